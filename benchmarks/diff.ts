/**
 * Access diff benchmark: 500 Services and 2,000 AuthorizationPolicies (plus RequestAuthentications
 * and an ingress gateway), diffed (1) for a typical pull request that changes one Service's policy,
 * and (2) exhaustively, every Service evaluated class by class (the worst case: a change that
 * touches every namespace). Prints the figures and writes docs/diff-benchmark.md. Not a test:
 * figures depend on the machine.
 *
 *   npx projen bench:diff
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// The compiled library (what users run; `spawn: compile` runs first), typed from the sources.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MeshAnalyzer }: typeof import('../src') = require('../lib');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const access: typeof import('../src/analysis/access') = require('../lib/analysis/access');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { diffModels }: typeof import('../src/analysis/diff') = require('../lib/analysis/diff');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MeshModel }: typeof import('../src/analysis/model') = require('../lib/analysis/model');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const space: typeof import('../src/analysis/request-space') = require('../lib/analysis/request-space');

/** The bound without pruning: per Service, ports × (source classes × full L7 product × 2 + gateways × ingress product). */
function unprunedBound(model: InstanceType<typeof MeshModel>): number {
  const index = new access.PolicyIndex(model);
  const identities = access.knownSources(model);
  const gateways = [...model.ingressGateways.keys()];
  let total = 0;
  for (const svc of model.services.values()) {
    const policies = [...index.ztunnelPolicies(svc), ...(svc.waypoint ? index.waypointPolicies(svc) : [])];
    const atoms = space.collectAtoms(policies);
    const options = { l7: !!svc.waypoint, issuers: ['https://auth.example.com'], defaultHost: 'h' };
    const l7 = space.requestRepresentatives(atoms, options).length;
    const ingress = gateways.reduce((n, g) => {
      const atGateway = space.collectAtoms([...policies, ...index.gatewayPolicies(g.split('/')[0], g.split('/')[1])]);
      return n + space.requestRepresentatives(atGateway, { ...options, l7: true }).length;
    }, 0);
    total += svc.ports.length * (space.sourceClasses(atoms, identities).length * l7 * 2 + ingress);
  }
  return total;
}

const NAMESPACES = 25;
const SERVICES_PER_NAMESPACE = 20;

/** 500 Services, 2,000 AuthorizationPolicies: per Service an L7 ALLOW, a DENY and a JWT ALLOW; per namespace allow-nothing and require-waypoint; 450 header-condition policies. */
export function mesh(): any[] {
  const out: any[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ingress' } },
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'public', namespace: 'ingress' }, spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } },
  ];
  const ap = (ns: string, name: string, spec: any) => out.push({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: ns }, spec });
  for (let n = 0; n < NAMESPACES; n++) {
    const ns = `team-${n}`;
    out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } } });
    out.push({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'waypoint', namespace: ns }, spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] } });
    ap(ns, 'allow-nothing', {});
    ap(ns, 'require-waypoint', { rules: [{ from: [{ source: { principals: [`cluster.local/ns/${ns}/sa/waypoint`, 'cluster.local/ns/ingress/sa/public-istio'] } }] }] });
    for (let s = 0; s < SERVICES_PER_NAMESPACE; s++) {
      const app = `svc-${s}`;
      const target = [{ group: '', kind: 'Service', name: app }];
      const caller = `cluster.local/ns/${ns}/sa/svc-${(s + 1) % SERVICES_PER_NAMESPACE}`;
      out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: app, namespace: ns }, spec: { selector: { app }, ports: [{ name: 'http', port: 8080 }, { name: 'grpc', port: 9090 }] } });
      out.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: app, namespace: ns }, spec: { template: { metadata: { labels: { app } }, spec: { serviceAccountName: app } } } });
      out.push({ apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: `${app}-jwt`, namespace: ns }, spec: { targetRefs: target, jwtRules: [{ issuer: 'https://auth.example.com', jwksUri: 'https://auth.example.com/jwks' }] } });
      ap(ns, `${app}-allow`, { targetRefs: target, rules: [{ from: [{ source: { principals: [caller] } }], to: [{ operation: { methods: ['GET', 'POST'], paths: ['/api/*', '/health'] } }] }] });
      ap(ns, `${app}-deny`, { targetRefs: target, action: 'DENY', rules: [{ from: [{ source: { notNamespaces: [ns] } }], to: [{ operation: { paths: ['/admin/*'] } }] }] });
      ap(ns, `${app}-jwt`, { targetRefs: target, rules: [{ from: [{ source: { requestPrincipals: ['https://auth.example.com/*'] } }], to: [{ operation: { methods: ['GET'], paths: ['/public/*'] } }] }] });
      if (s < 18) ap(ns, `${app}-header`, { targetRefs: target, rules: [{ from: [{ source: { namespaces: [ns] } }], when: [{ key: 'request.headers[x-tenant]', values: [ns] }] }] });
    }
  }
  return out;
}

function time<T>(f: () => T): { ms: number; value: T } {
  const start = process.hrtime.bigint();
  const value = f();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

function main(): void {
  const before = mesh();
  const policies = before.filter(o => o.kind === 'AuthorizationPolicy').length;
  const services = before.filter(o => o.kind === 'Service').length;
  // The pull request: team-3/svc-7 also admits POST on /charge/* with a JWT.
  const after = JSON.parse(JSON.stringify(before));
  after.find((o: any) => o.metadata.name === 'svc-7-jwt' && o.metadata.namespace === 'team-3' && o.kind === 'AuthorizationPolicy')
    .spec.rules.push({ from: [{ source: { requestPrincipals: ['https://auth.example.com/*'] } }], to: [{ operation: { methods: ['POST'], paths: ['/charge/*'] } }] });

  const typical = time(() => MeshAnalyzer.diff(MeshAnalyzer.fromObjects(before), MeshAnalyzer.fromObjects(after)));
  const mb = new MeshModel(before.map((obj: any) => ({ obj })));
  const ma = new MeshModel(after.map((obj: any) => ({ obj })));
  const exhaustive = time(() => diffModels(mb, ma, { exhaustive: true }));
  const typicalStats = diffModels(mb, ma);
  const evaluatedTypical = typical.value.requestsEvaluated;
  const perService = exhaustive.value.statistics.requests / exhaustive.value.statistics.servicesEvaluated;
  const bound = unprunedBound(mb);
  const rows = [
    '| scenario | Services evaluated | requests evaluated (each in both versions) | per Service evaluated | time (ms) | widenings found |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| one Service's policy changed | ${typicalStats.statistics.servicesEvaluated} of ${services} | ${evaluatedTypical.toLocaleString('en-US')} | ${(evaluatedTypical / Math.max(1, typicalStats.statistics.servicesEvaluated)).toFixed(0)} | ${typical.ms.toFixed(0)} | ${typical.value.accessGained.length} |`,
    `| bound without pruning (every Service, full product of classes) | ${services} of ${services} | ${bound.toLocaleString('en-US')} | ${(bound / services).toFixed(0)} | | |`,
    `| exhaustive (every Service) | ${exhaustive.value.statistics.servicesEvaluated} of ${services} | ${exhaustive.value.statistics.requests.toLocaleString('en-US')} | ${perService.toFixed(0)} | ${exhaustive.ms.toFixed(0)} | ${exhaustive.value.gained.length} |`,
  ];
  const table = rows.join('\n');
  console.log(`${services} Services, ${policies} AuthorizationPolicies, ${before.length} objects`);
  console.log(table);
  for (const g of typical.value.accessGained) console.log(`  ${g.summary}`);
  const doc = [
    '# Access diff benchmark',
    '',
    `Measured with \`npx projen bench:diff\` on ${process.platform}/${process.arch}, Node ${process.version}, ${os.cpus().length} cores.`,
    `${services} Services (two ports each) in ${NAMESPACES} namespaces with waypoints, ${policies} AuthorizationPolicies (per Service an L7`,
    'ALLOW, a DENY, a JWT ALLOW and most a header condition; per namespace allow-nothing and require-waypoint), a',
    'RequestAuthentication per Service and one ingress gateway. The typical time is `MeshAnalyzer.diff` from objects',
    '(building both models and fingerprinting every Service included); the exhaustive time is the diff alone.',
    '',
    table,
    '',
    '**Bound.** For each Service whose access inputs differ between the versions (the Service, its namespace and waypoint,',
    'the policies of every hop, the Request- and PeerAuthentications, its pods), the diff evaluates, in both versions,',
    '`ports × (source classes × L7 classes × 2 [through the Service, to pods] + gateways × ingress L7 classes)`',
    'requests, where each class count is at most the number of distinct patterns of that attribute in the policies',
    'that apply to the Service plus two, and L7 classes are the product over method, path, host, each header,',
    'token (and claims) and IPs ("bound without pruning" above). The classes are built attribute by attribute,',
    'keeping one partial request per distinct state of the rules (which `from`, `to` and `when` entries can still',
    'match), so combinations no rule tells apart are evaluated once ("exhaustive"). Services whose inputs are',
    'identical in both versions are skipped: their decisions cannot differ ("one Service\'s policy changed").',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(__dirname, '..', 'docs', 'diff-benchmark.md'), doc);
}

if (require.main === module) main();
