import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { AccessRequest, MeshAnalyzer } from '../src';
import { matchValue } from '../src/analysis/access';
import { runCli } from '../src/cli';
import { cidrsContain, invalidCidrs, parseIp } from '../src/semantics/cidr';

function exampleAnalyzer(file: string): MeshAnalyzer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const example = require(path.join(__dirname, '..', 'examples', file));
  const app = Testing.app();
  example.build(app);
  return MeshAnalyzer.fromApp(app);
}

function exampleYaml(file: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'example-'));
  const analyzerInput = path.join(dir, 'all.yaml');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const example = require(path.join(__dirname, '..', 'examples', file));
  const app = Testing.app();
  example.build(app);
  fs.writeFileSync(analyzerInput, app.charts.flatMap(c => Testing.synth(c)).map(o => stringify(o)).join('---\n'));
  return analyzerInput;
}

const bookinfo = exampleAnalyzer('bookinfo-ambient.ts');
const jwt = exampleAnalyzer('jwt-waypoint.ts');
const l4 = exampleAnalyzer('l4-only-zero-trust.ts');

type Case = [string, MeshAnalyzer, AccessRequest, boolean, string, string | undefined];

describe('check-access: Istio docs scenarios', () => {
  const cases: Case[] = [
    // Getting-started "Enforce authorization policies", L4: only the ingress gateway reaches productpage.
    // The gateway lives in "default", whose namespace-wide ALLOW policies (allow-nothing,
    // require-waypoint) also apply to a Gateway API gateway's Envoy (istio 1.30.3
    // pilot/pkg/model/policyattachment_test.go "gateway API ingress and no targetRef or selector"):
    // the example's ingress is denied at the gateway.
    // Namespace-wide policies (allow-nothing, require-waypoint) apply at a Gateway API gateway too; the
    // IngressGateway's own <name>-clients ALLOW admits the external client there, then productpage-ztunnel at L4 decides.
    ['ingress gateway to productpage: admitted at the gateway by its clients policy, then at ztunnel', bookinfo, { to: 'default/productpage', viaIngress: 'default/bookinfo-gateway' }, true, 'ztunnel', 'default/productpage-ztunnel'],
    ['reviews-v1 to productpage is denied (L4 docs: connection reset)', bookinfo, { from: 'default/bookinfo-reviews', to: 'default/productpage', method: 'GET' }, false, 'waypoint', 'default/productpage-waypoint'],
    // L7 policy at the waypoint: curl may only GET.
    ['curl GET productpage (L7 policy at the waypoint)', bookinfo, { from: 'default/curl', to: 'default/productpage', method: 'GET', path: '/productpage' }, true, 'waypoint', 'default/productpage-waypoint'],
    ['curl DELETE productpage: RBAC access denied at the waypoint', bookinfo, { from: 'default/curl', to: 'default/productpage', method: 'DELETE' }, false, 'waypoint', 'default/productpage-waypoint'],
    // require-waypoint: dialling the pods directly skips the waypoint, and ztunnel refuses it.
    ['curl dialling productpage pods directly (require-waypoint)', bookinfo, { from: 'default/curl', to: 'default/productpage', toPod: true }, false, 'ztunnel', 'default/productpage-ztunnel'],
    ['productpage GET reviews', bookinfo, { from: 'default/bookinfo-productpage', to: 'default/reviews', method: 'GET', port: 9080 }, true, 'waypoint', 'default/reviews-waypoint'],
    ['productpage GET ratings is denied (only reviews may)', bookinfo, { from: 'default/bookinfo-productpage', to: 'default/ratings', method: 'GET' }, false, 'waypoint', 'default/ratings-waypoint'],
    ['a client from another namespace is denied by default', bookinfo, { from: 'other/app', to: 'default/details', method: 'GET' }, false, 'waypoint', 'default/details-waypoint'],
    // JWT at the waypoint.
    ['JWT: GET with a valid token', jwt, { from: 'jwt-demo/client', to: 'jwt-demo/httpbin', method: 'GET', path: '/headers', jwtPrincipal: 'testing@secure.istio.io/testing@secure.istio.io' }, true, 'waypoint', 'jwt-demo/httpbin-waypoint'],
    ['JWT: no token is denied by the require-jwt DENY', jwt, { from: 'jwt-demo/client', to: 'jwt-demo/httpbin', method: 'GET', path: '/headers' }, false, 'waypoint', 'jwt-demo/httpbin-require-jwt'],
    ['JWT: /admin needs the named subject', jwt, { from: 'jwt-demo/client', to: 'jwt-demo/httpbin', method: 'GET', path: '/admin/users', jwtPrincipal: 'testing@secure.istio.io/someone-else' }, false, 'waypoint', 'jwt-demo/httpbin-waypoint'],
    ['JWT: /admin with the named subject', jwt, { from: 'jwt-demo/client', to: 'jwt-demo/httpbin', method: 'POST', path: '/admin/users', jwtPrincipal: 'testing@secure.istio.io/testing@secure.istio.io' }, true, 'waypoint', 'jwt-demo/httpbin-waypoint'],
    ['JWT: POST outside /admin is denied', jwt, { from: 'jwt-demo/client', to: 'jwt-demo/httpbin', method: 'POST', path: '/post', jwtPrincipal: 'testing@secure.istio.io/x' }, false, 'waypoint', 'jwt-demo/httpbin-waypoint'],
    // L4 only (no waypoint): allow-curl-to-httpbin.
    ['L4: curl to httpbin on 8000 (pod port 8080)', l4, { from: 'ambient-demo/curl', to: 'ambient-demo/httpbin', port: 8000 }, true, 'ztunnel', 'ambient-demo/httpbin-workload-ztunnel'],
    ['L4: another identity is denied', l4, { from: 'ambient-demo/other', to: 'ambient-demo/httpbin', port: 8000 }, false, 'ztunnel', 'ambient-demo/httpbin-workload-ztunnel'],
  ];

  test.each(cases)('%s', (_name, analyzer, request, allowed, point, policy) => {
    const decision = analyzer.checkAccess(request);
    expect({ allowed: decision.allowed, point: decision.enforcedBy, policy: decision.policy }).toEqual({ allowed, point, policy });
  });

  test('hops show the identity seen at each point', () => {
    const decision = bookinfo.checkAccess({ from: 'default/curl', to: 'default/productpage', method: 'GET' });
    expect(decision.hops.map(h => [h.point, h.identity, h.allowed, h.policy])).toEqual([
      ['waypoint', 'cluster.local/ns/default/sa/curl', true, 'default/productpage-waypoint'],
      // Both productpage-ztunnel and require-waypoint admit the waypoint; policies are evaluated by name.
      ['ztunnel', 'cluster.local/ns/default/sa/waypoint', true, 'default/productpage-ztunnel'],
    ]);
    const ingress = bookinfo.checkAccess({ to: 'default/productpage', viaIngress: 'default/bookinfo-gateway' });
    expect(ingress.hops.map(h => [h.point, h.identity, h.allowed])).toEqual([
      ['gateway', 'client outside the mesh (no identity)', true],
      ['ztunnel', 'cluster.local/ns/default/sa/bookinfo-gateway-istio', true],
    ]);
  });

  test('unknown Services and gateways are input errors', () => {
    expect(() => bookinfo.checkAccess({ to: 'default/nope' })).toThrow('Service default/nope is not in the manifests');
    expect(() => bookinfo.checkAccess({ to: 'default/productpage', viaIngress: 'x/y' })).toThrow('ingress Gateway x/y is not in the manifests (ingress Gateways of class istio: default/bookinfo-gateway)');
  });
});

describe('check-access: Istio matching semantics', () => {
  const base = (policies: any[], extra: any[] = []) => MeshAnalyzer.fromObjects([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', labels: { 'istio.io/dataplane-mode': 'ambient' } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'ns' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    ...policies.map((spec, i) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: `p${i}`, namespace: spec.namespace ?? 'ns', annotations: spec.annotations }, spec: spec.spec })),
    ...extra,
  ]);
  const from = 'ns/client';

  test('string matching: exact, prefix, suffix, presence', () => {
    expect([matchValue('a', 'a'), matchValue('a*', 'abc'), matchValue('*c', 'abc'), matchValue('*', 'x'), matchValue('*', undefined), matchValue('a', 'b')])
      .toEqual([true, true, true, true, false, false]);
  });

  test('no policy: allowed; allow-nothing: denied', () => {
    expect(base([]).checkAccess({ from, to: 'ns/web' }).allowed).toBe(true);
    expect(base([{ spec: {} }]).checkAccess({ from, to: 'ns/web' })).toMatchObject({ allowed: false, policy: 'ns/p0' });
  });

  test('namespaces, notPrincipals and ports (pod ports at ztunnel)', () => {
    const a = base([{ spec: { rules: [{ from: [{ source: { namespaces: ['ns'], notPrincipals: ['*/sa/blocked'] } }], to: [{ operation: { ports: ['8080'] } }] }] } }]);
    expect(a.checkAccess({ from, to: 'ns/web', port: 80 }).allowed).toBe(true);
    expect(a.checkAccess({ from: 'ns/blocked', to: 'ns/web', port: 80 }).allowed).toBe(false);
    expect(a.checkAccess({ from: 'other/client', to: 'ns/web', port: 80 }).allowed).toBe(false);
  });

  test('ztunnel drops ALLOW rules with L7 attributes and strips L7 from DENY rules', () => {
    const allowL7 = base([{ spec: { rules: [{ from: [{ source: { namespaces: ['ns'] } }], to: [{ operation: { methods: ['GET'] } }] }] } }]);
    expect(allowL7.checkAccess({ from, to: 'ns/web', method: 'GET' })).toMatchObject({ allowed: false, enforcedBy: 'ztunnel' });
    const denyL7 = base([{ spec: { action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'], ports: ['8080'] } }] }] } }]);
    expect(denyL7.checkAccess({ from, to: 'ns/web', method: 'GET' })).toMatchObject({ allowed: false, policy: 'ns/p0' });
  });

  test('conditions, headers, CUSTOM, AUDIT and dry-run', () => {
    const when = base([{ spec: { rules: [{ when: [{ key: 'source.namespace', values: ['ns'] }, { key: 'destination.port', notValues: ['22'] }] }] } }]);
    expect(when.checkAccess({ from, to: 'ns/web' }).allowed).toBe(true);
    const dry = base([{ spec: {}, annotations: { 'istio.io/dry-run': 'true' } }]);
    expect(dry.checkAccess({ from, to: 'ns/web' }).allowed).toBe(true);
    const custom = base([{ spec: { action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{}] } }, { spec: { action: 'AUDIT', rules: [{}] } }]);
    // ztunnel receives neither CUSTOM nor AUDIT (istio 1.30.3 authorization_test.go "unsupported CUSTOM action").
    expect(custom.checkAccess({ from, to: 'ns/web' }).reason).toBe("ztunnel of ns/web's pods: no ALLOW policy applies (ztunnel ignores AUDIT policy ns/p1, CUSTOM policy ns/p0)");
    // ipBlocks is CIDR containment; without the source IP the decision is undecided (DENY, fail closed).
    const ipOnly = base([{ spec: { rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/8'] } }] }] } }]);
    expect(ipOnly.checkAccess({ from, to: 'ns/web' })).toMatchObject({ allowed: false, dependsOn: ['source IP'] });
    expect(ipOnly.checkAccess({ from, to: 'ns/web', sourceIp: '10.1.2.3' }).allowed).toBe(true);
    expect(ipOnly.checkAccess({ from, to: 'ns/web', sourceIp: '192.168.0.1' }).allowed).toBe(false);
  });

  test('root-namespace policies apply mesh-wide at ztunnel; headers at the waypoint', () => {
    const mesh = base([{ namespace: 'istio-system', spec: { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['evil'] } }] }] } }]);
    expect(mesh.checkAccess({ from: 'evil/x', to: 'ns/web' })).toMatchObject({ allowed: false, policy: 'istio-system/p0' });
    expect(mesh.checkAccess({ from, to: 'ns/web' }).allowed).toBe(true);
    const withWaypoint = MeshAnalyzer.fromObjects([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } } },
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'waypoint', namespace: 'ns' }, spec: { gatewayClassName: 'istio-waypoint' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'ns' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
      { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'hdr', namespace: 'ns' }, spec: { targetRefs: [{ kind: 'Service', group: '', name: 'web' }], rules: [{ when: [{ key: 'request.headers[x-tenant]', values: ['blue'] }] }] } },
    ]);
    expect(withWaypoint.checkAccess({ from, to: 'ns/web', headers: { 'X-Tenant': 'blue' } }).allowed).toBe(true);
    expect(withWaypoint.checkAccess({ from, to: 'ns/web', headers: { 'x-tenant': 'red' } }).allowed).toBe(false);
  });
});

describe('explain', () => {
  test('who enforces what for productpage', () => {
    const [e] = bookinfo.explain({ namespace: 'default', service: 'productpage' });
    expect(e).toEqual({
      service: 'productpage',
      namespace: 'default',
      ambient: 'yes',
      waypoint: 'default/waypoint',
      ingressUsesWaypoint: false,
      mtls: 'STRICT (namespace default/default)',
      ztunnelPolicies: ['default/allow-nothing (ALLOW nothing)', 'default/productpage-ztunnel (ALLOW, 1 rule)', 'default/require-waypoint (ALLOW, 1 rule)'],
      waypointPolicies: ['default/productpage-waypoint (ALLOW, 1 rule)', 'default/allow-nothing-waypoint (ALLOW nothing)'],
      jwt: [],
      routes: [],
      ingressRoutes: ['HTTPRoute bookinfo via default/bookinfo-gateway'],
      resilience: [],
      telemetry: [],
    });
  });

  test('routes, resilience, JWT and telemetry columns', () => {
    expect(bookinfo.explain({ service: 'reviews' })[0].routes).toEqual(['HTTPRoute reviews']);
    expect(bookinfo.explain({ service: 'ratings' })[0].resilience).toEqual(['default/ratings']);
    expect(jwt.explain({ service: 'httpbin' })[0].jwt).toEqual(['jwt-demo/httpbin-jwt: testing@secure.istio.io']);
    const seed = exampleAnalyzer('reference-platform.ts');
    expect(seed.explain({ namespace: 'observability' })[0].telemetry).toEqual(['istio-system/default (tracing; no waypoint: no spans or HTTP logs from ztunnel)']);
  });

  test('Markdown and text', () => {
    const md = bookinfo.explainMarkdown({ service: 'productpage' });
    expect(md.split('\n')[0]).toBe('| service | waypoint | mTLS | ztunnel (L4) | waypoint (L7) | JWT | routes | ingress | resilience | telemetry |');
    expect(md).toContain('| default/productpage | default/waypoint | STRICT (namespace default/default) |');
    expect(bookinfo.explainText({ service: 'productpage' })).toContain('  waypoint (L7)  default/productpage-waypoint (ALLOW, 1 rule)');
    expect(bookinfo.explainText({ service: 'nothing' })).toBe('No Services found.\n');
    expect(bookinfo.explainMarkdown({ service: 'nothing' })).toBe('No Services found.\n');
  });
});

describe('diff', () => {
  const objects = () => JSON.parse(JSON.stringify(MeshAnalyzer.fromObjects([]) && Testing.synth((() => {
    const app = Testing.app();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../examples/bookinfo-ambient').build(app);
    return app.charts[0];
  })())));

  test('object and access changes; widening is flagged', () => {
    const before = objects();
    const after = objects();
    const pp = after.find((o: any) => o.metadata.name === 'productpage-waypoint');
    pp.spec.rules[0].to[0].operation.methods = ['GET', 'POST'];
    after.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new', namespace: 'default' }, data: {} });
    const removedIdx = after.findIndex((o: any) => o.kind === 'DestinationRule');
    after.splice(removedIdx, 1);
    const d = MeshAnalyzer.diff(MeshAnalyzer.fromObjects(before), MeshAnalyzer.fromObjects(after));
    expect(d.added).toEqual(['ConfigMap.core default/new']);
    expect(d.removed).toEqual(['DestinationRule.networking.istio.io default/ratings']);
    expect(d.changed).toEqual(['AuthorizationPolicy.security.istio.io default/productpage-waypoint']);
    expect(d.accessGained).toEqual([{
      source: 'default/curl',
      sources: ['default/curl'],
      destination: 'default/productpage',
      port: 9080,
      via: 'service',
      request: 'POST on any path',
      before: 'DENY (waypoint, default/productpage-waypoint)',
      after: 'ALLOW (waypoint, default/productpage-waypoint)',
      summary: 'default/curl → productpage:9080 POST on any path: DENY (waypoint, default/productpage-waypoint) → ALLOW (waypoint, default/productpage-waypoint)',
      representative: { from: 'default/curl', to: 'default/productpage', port: 9080, method: 'POST', path: '/', headers: {} },
    }]);
    expect(d.accessLost).toEqual([]);
    expect(d.accessWidened).toBe(true);
    expect(d.markdown).toContain('### Access gained (1)');
  });

  test('moving enforcement (ingress through the waypoint) and losing access', () => {
    // The namespace-wide policies apply at the gateway too; its bookinfo-gateway-clients ALLOW admits the client there.
    const before = objects();
    const after = objects();
    const ns = after.find((o: any) => o.kind === 'Namespace');
    ns.metadata.labels['istio.io/ingress-use-waypoint'] = 'true';
    const d = MeshAnalyzer.diff(MeshAnalyzer.fromObjects(before), MeshAnalyzer.fromObjects(after));
    // Through the waypoint the ingress is no longer allowed there (only curl is): access lost.
    expect(d.accessLost.map(c => c.summary)).toEqual([
      'external client via default/bookinfo-gateway → productpage:9080 any request: ALLOW (ztunnel, default/productpage-ztunnel) → DENY (waypoint, default/productpage-waypoint)',
    ]);
    expect(d.postureChanges.filter(p => p.service === 'default/productpage')).toEqual([
      { service: 'default/productpage', aspect: 'ingress-use-waypoint', before: 'false', after: 'true', widens: false },
    ]);
    expect(d.accessWidened).toBe(false);
  });

  test('identical inputs: nothing changed, ignoring key order', () => {
    const before = objects();
    const after = objects().reverse().map((o: any) => Object.fromEntries(Object.entries(o).reverse()));
    const d = MeshAnalyzer.diff(MeshAnalyzer.fromObjects(before), MeshAnalyzer.fromObjects(after));
    expect([d.added, d.removed, d.changed, d.accessGained, d.accessLost, d.accessMoved]).toEqual([[], [], [], [], [], []]);
    expect(d.markdown).toContain('**Access:** unchanged.');
  });
});

describe('CLI: explain, check-access, diff', () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), stdin: () => '' } };
  };
  const file = exampleYaml('bookinfo-ambient.ts');

  test('check-access exits 0 on ALLOW and 1 on DENY', () => {
    const ok = capture();
    expect(runCli(['check-access', file, '--from', 'default/curl', '--to', 'default/productpage:9080', '--method', 'GET', '--path', '/productpage'], ok.io)).toBe(0);
    expect(ok.out.join('')).toMatch(/^ALLOW {2}decided at waypoint by default\/productpage-waypoint/);
    const denied = capture();
    expect(runCli(['check-access', file, '--from', 'default/curl', '--to', 'default/productpage', '--to-pod', '--format', 'json'], denied.io)).toBe(1);
    expect(JSON.parse(denied.out.join(''))).toMatchObject({ allowed: false, enforcedBy: 'ztunnel' });
    const ingress = capture();
    expect(runCli(['check-access', file, '--to', 'default/productpage', '--via-ingress', 'default/bookinfo-gateway', '--header', 'x-a=b'], ingress.io)).toBe(0);
    expect(ingress.out.join('')).toMatch(/^ALLOW {2}decided at ztunnel by default\/productpage-ztunnel/);
    expect(ingress.out.join('')).toContain('  pass  ingress gateway default/bookinfo-gateway  (sees client outside the mesh (no identity))  default/bookinfo-gateway-clients: ALLOW rule 0 matches');
  });

  test('explain in three formats', () => {
    const text = capture();
    expect(runCli(['explain', file, '--service', 'productpage'], text.io)).toBe(0);
    expect(text.out.join('')).toContain('default/productpage  (ambient: yes)');
    const md = capture();
    runCli(['explain', file, '--namespace', 'default', '--format', 'markdown'], md.io);
    expect(md.out.join('').split('\n').length).toBeGreaterThan(8);
    const json = capture();
    runCli(['explain', file, '--format', 'json'], json.io);
    expect(JSON.parse(json.out.join('')).length).toBe(7);
  });

  test('diff exits 1 when access widens', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-'));
    const objects = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(path.join(dir, 'new.yaml'), objects.replace('- GET\n', '- GET\n              - POST\n'));
    const same = capture();
    expect(runCli(['diff', file, file], same.io)).toBe(0);
    expect(same.out.join('')).toContain('**Access:** unchanged.');
    const widened = capture();
    const code = runCli(['diff', file, path.join(dir, 'new.yaml'), '--format', 'json'], widened.io);
    const result = JSON.parse(widened.out.join(''));
    expect(code).toBe(result.accessWidened ? 1 : 0);
    expect(result.changed.length).toBeGreaterThan(0);
  });

  test.each([
    [['check-access', 'x'], 'check-access needs --to'],
    [['check-access', 'x', '--to', 'bad'], '--to "bad" must be <namespace>/<service>[:port]'],
    [['check-access', 'x', '--to', 'a/b', '--from', 'bad'], '--from "bad" must be <namespace>/<serviceaccount>'],
    [['check-access', 'x', '--to', 'a/b', '--header', 'novalue'], '--header "novalue" must be name=value'],
    [['diff', 'a'], 'diff needs exactly two inputs'],
    [['explain', 'x', '--fail-on', 'error'], 'unknown option --fail-on'],
    [['explain', 'x', '--format', 'sarif'], '--format must be table, markdown, json or mermaid (got "sarif")'],
  ])('usage errors exit 2: %j', (args, message) => {
    const c = capture();
    expect(runCli(args as string[], c.io)).toBe(2);
    expect(c.err.join('')).toContain(message);
  });

  test('an unknown Service is an input error (exit 2)', () => {
    const c = capture();
    expect(runCli(['check-access', file, '--to', 'default/nope'], c.io)).toBe(2);
    expect(c.err.join('')).toContain('Service default/nope is not in the manifests');
  });
});

describe('check-access: every request dimension (CLI and API)', () => {
  // A Service behind a service waypoint with JWT, host, IP and claim rules; a pod behind a workload waypoint.
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app', labels: { 'istio.io/dataplane-mode': 'ambient' } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'legacy' } },
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'waypoint', namespace: 'app' }, spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] } },
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'pods', namespace: 'app', labels: { 'istio.io/waypoint-for': 'workload' } }, spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'app', labels: { 'istio.io/use-waypoint': 'waypoint' } }, spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'app' }, spec: { template: { metadata: { labels: { 'app': 'api', 'istio.io/use-waypoint': 'pods' } }, spec: { serviceAccountName: 'api', containers: [{ name: 'a', image: 'a' }] } } } },
    { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'jwt', namespace: 'app' }, spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }], jwtRules: [{ issuer: 'https://idp.example.com', jwksUri: 'https://idp.example.com/jwks', audiences: ['api'] }] } },
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'api', namespace: 'app' },
      spec: {
        targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
        rules: [
          { from: [{ source: { requestPrincipals: ['https://idp.example.com/*'] } }], to: [{ operation: { hosts: ['api.example.com'] } }], when: [{ key: 'request.auth.claims[groups]', values: ['admin'] }] },
          { from: [{ source: { ipBlocks: ['10.0.0.0/8', 'fd00::/8'] } }], to: [{ operation: { methods: ['GET'], paths: ['/health'] } }] },
        ],
      },
    },
    { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'pods', namespace: 'app' }, spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'pods' }], rules: [{ to: [{ operation: { ports: ['9090'] } }] }] } },
    { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'strict', namespace: 'app' }, spec: { mtls: { mode: 'STRICT' } } },
  ];
  const analyzer = MeshAnalyzer.fromObjects(objects);
  const admin = { issuer: 'https://idp.example.com', subject: 'alice', claims: { groups: 'dev,admin', aud: 'api' } };
  const req = { from: 'app/client', to: 'app/api', method: 'GET', path: '/', host: 'api.example.com' };

  test.each<[string, AccessRequest, boolean, string, string]>([
    ['token with the admin group claim and the right host', { ...req, token: admin }, true, 'waypoint', 'ALLOW rule 0 matches'],
    ['another host', { ...req, host: 'other.example.com', token: admin }, false, 'waypoint', 'no rule of the ALLOW policies (app/api) matches'],
    ['no admin in the groups claim', { ...req, token: { ...admin, claims: { groups: 'dev', aud: 'api' } } }, false, 'waypoint', 'no rule of the ALLOW policies'],
    ['a token for another audience: 403 at the waypoint', { ...req, token: { ...admin, claims: { groups: 'admin', aud: 'web' } } }, false, 'waypoint', 'token audience "web" is not among api: 403 Forbidden'],
    ['an invalid token: 401', { ...req, token: { ...admin, invalid: true } }, false, 'waypoint', 'invalid or expired token: 401 Unauthorized'],
    ['an unknown issuer: 401', { ...req, token: { issuer: 'https://evil.example.com', subject: 'x' } }, false, 'waypoint', 'no RequestAuthentication here accepts issuer "https://evil.example.com": 401 Unauthorized'],
    ['health check from an IPv4 address in the block', { ...req, path: '/health', sourceIp: '10.2.3.4' }, true, 'waypoint', 'ALLOW rule 1 matches'],
    ['health check from an IPv6 address in the block', { ...req, path: '/health', sourceIp: 'fd12::1' }, true, 'waypoint', 'ALLOW rule 1 matches'],
    ['health check from outside the block', { ...req, path: '/health', sourceIp: '192.168.1.1' }, false, 'waypoint', 'no rule of the ALLOW policies'],
    ['health check without the source IP: undecided', { ...req, path: '/health' }, false, 'waypoint', 'undecided: an ALLOW rule matches depending on the source IP; give it for a definite answer'],
    ['pod-addressed on the allowed pod port: the workload waypoint decides', { from: 'app/client', to: 'app/api', toPod: true, port: 9090 }, true, 'waypoint', 'ALLOW rule 0 matches'],
    ['pod-addressed on another pod port', { from: 'app/client', to: 'app/api', toPod: true, port: 8080 }, false, 'waypoint', 'no rule of the ALLOW policies (app/pods) matches'],
    ['a client in a namespace outside the mesh: STRICT mTLS refuses it at ztunnel', { from: 'legacy/app', to: 'app/api' }, false, 'ztunnel', 'STRICT mTLS (namespace PeerAuthentication app/strict) rejects a client without a mesh identity (plaintext)'],
  ])('%s', (_name, request, allowed, hop, reason) => {
    const d = analyzer.checkAccess(request);
    expect({ allowed: d.allowed, hop: d.enforcedBy }).toEqual({ allowed, hop });
    expect(d.reason).toContain(reason);
  });

  test('undecided decisions name what they depend on', () => {
    const d = analyzer.checkAccess({ ...req, path: '/health' });
    expect(d.dependsOn).toEqual(['source IP']);
    expect(d.hops[0]).toMatchObject({ point: 'waypoint', allowed: false, dependsOn: ['source IP'] });
  });

  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), stdin: () => '' } };
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-'));
  const file = path.join(dir, 'app.yaml');
  fs.writeFileSync(file, objects.map(o => stringify(o)).join('---\n'));
  const cli = (...args: string[]) => {
    const c = capture();
    const code = runCli(['check-access', file, ...args], c.io);
    return { code, out: c.out.join(''), err: c.err.join('') };
  };

  test('--jwt-issuer, --jwt-subject, repeated --claim and --host', () => {
    const r = cli('--from', 'app/client', '--to', 'app/api', '--method', 'GET', '--path', '/', '--host', 'api.example.com',
      '--jwt-issuer', 'https://idp.example.com', '--jwt-subject', 'alice', '--claim', 'groups=dev', '--claim', 'groups=admin', '--claim', 'aud=api');
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toMatch(/^ALLOW {2}decided at waypoint by app\/api: waypoint app\/waypoint: ALLOW rule 0 matches/);
  });

  test('--jwt-invalid is a 401 at the waypoint', () => {
    const r = cli('--from', 'app/client', '--to', 'app/api', '--jwt-issuer', 'https://idp.example.com', '--jwt-invalid', '--format', 'json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ allowed: false, enforcedBy: 'waypoint', reason: 'waypoint app/waypoint: invalid or expired token: 401 Unauthorized' });
  });

  test('--source-ip and --port with --to-pod; json carries the hop-by-hop trace', () => {
    const r = cli('--from', 'app/client', '--to', 'app/api', '--to-pod', '--port', '9090', '--source-ip', '10.0.0.1', '--format', 'json');
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    expect(d.hops.map((h: any) => [h.point, h.where, h.identity, h.allowed])).toEqual([
      ['waypoint', 'waypoint app/pods', 'cluster.local/ns/app/sa/client', true],
      ['ztunnel', "ztunnel of app/api's pods", 'cluster.local/ns/app/sa/pods', true],
    ]);
  });

  test('undecided text output says what it depends on', () => {
    const r = cli('--from', 'app/client', '--to', 'app/api', '--method', 'GET', '--path', '/health');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^DENY \(undecided: depends on the source IP\) {2}decided at waypoint by app\/api/);
  });

  test.each([
    [['--to', 'app/api', '--source-ip', '10.0.0.300'], '--source-ip "10.0.0.300" must be an IPv4 or IPv6 address'],
    [['--to', 'app/api', '--destination-ip', 'fd00::1::2'], '--destination-ip "fd00::1::2" must be an IPv4 or IPv6 address'],
    [['--to', 'app/api', '--claim', 'groups=admin'], '--jwt-subject, --claim and --jwt-invalid describe a token: give its --jwt-issuer'],
    [['--to', 'app/api', '--jwt-issuer', 'a', '--claim', 'groups'], '--claim "groups" must be name=value'],
    [['--to', 'app/api', '--jwt-issuer', 'a', '--jwt-principal', 'a/b'], 'give either --jwt-principal or --jwt-issuer, not both'],
    [['--to', 'app/api', '--port', 'http'], '--port "http" must be a port number'],
    [['--to', 'app/api:80', '--port', '81'], '--port 81 contradicts --to app/api:80'],
  ])('usage error %j', (args, message) => {
    const r = cli(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});

describe('CIDR containment (istiod stringToIP, ztunnel IpNet::contains)', () => {
  test.each<[string[], string, boolean]>([
    [['10.0.0.0/8'], '10.255.1.2', true],
    [['10.0.0.0/8'], '11.0.0.1', false],
    [['192.168.1.7'], '192.168.1.7', true],
    [['192.168.1.7'], '192.168.1.8', false],
    [['0.0.0.0/0'], '8.8.8.8', true],
    [['0.0.0.0/0'], '2001:db8::1', false],
    [['2001:db8::/32'], '2001:db8:ffff::1', true],
    [['2001:db8::/32'], '2001:db9::1', false],
    [['::ffff:10.0.0.0/104'], '::ffff:10.1.2.3', true],
    [['fe80::1'], 'fe80:0:0:0:0:0:0:1', true],
    [['10.0.0.0/33', '10.0.0.0/8'], '10.0.0.1', true],
  ])('%j contains %s: %s', (cidrs, ip, expected) => {
    expect(cidrsContain(cidrs, ip)).toBe(expected);
  });

  test('invalid addresses and prefixes', () => {
    expect(['1.2.3', '1.2.3.256', '1::2::3', '12345::', 'x'].map(parseIp)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(invalidCidrs(['10.0.0.0/33', '10.0.0.0/8', 'fd00::/129', 'nope'])).toEqual(['10.0.0.0/33', 'fd00::/129', 'nope']);
  });
});

describe('root namespace', () => {
  test('meshConfig.rootNamespace in the manifests moves where mesh-wide policies live', () => {
    const objects = (root?: string) => [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: root ? `rootNamespace: ${root}\n` : 'trustDomain: cluster.local\n' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', labels: { 'istio.io/dataplane-mode': 'ambient' } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'ns' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
      { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', namespace: 'mesh-root' }, spec: {} },
    ];
    expect(MeshAnalyzer.fromObjects(objects('mesh-root')).checkAccess({ from: 'ns/client', to: 'ns/web' })).toMatchObject({ allowed: false, policy: 'mesh-root/allow-nothing' });
    expect(MeshAnalyzer.fromObjects(objects()).checkAccess({ from: 'ns/client', to: 'ns/web' }).allowed).toBe(true);
  });
});

describe('ports at ztunnel', () => {
  test('a named targetPort is the container port of that name', () => {
    const analyzer = MeshAnalyzer.fromObjects([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', labels: { 'istio.io/dataplane-mode': 'ambient' } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'ns' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns' }, spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i', ports: [{ name: 'http', containerPort: 8080 }] }] } } } },
      { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'ns' }, spec: { rules: [{ to: [{ operation: { ports: ['8080'] } }] }] } },
    ]);
    expect(analyzer.checkAccess({ from: 'ns/client', to: 'ns/web', port: 80 })).toMatchObject({ allowed: true, policy: 'ns/p' });
  });
});

describe('AMB101 says what ztunnel does with each rule', () => {
  const analyze = (spec: any) => MeshAnalyzer.fromObjects([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', labels: { 'istio.io/dataplane-mode': 'ambient' } } },
    { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'ns' }, spec },
  ]).analyze().filter(f => f.code === 'AMB101').map(f => f.message);

  test('a DENY with an L7-only clause fails open (istio master authorization_test.go "DENY policy with only L7 attributes results in no effect at ztunnel")', () => {
    expect(analyze({ action: 'DENY', rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }] }] })).toEqual([
      'AuthorizationPolicy ns/p uses L7 attributes (notRequestPrincipals) but has no targetRefs, so ztunnel enforces it: istiod strips the HTTP fields and ztunnel skips the emptied clause, so rule 0 never matches: no effect at ztunnel (fails open).',
    ]);
  });

  test('a DENY mixing L4 and L7 in one entry denies more ("DENY policy with mixed L4 and L7 attributes is enforced without HTTP rules")', () => {
    expect(analyze({ action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'], ports: ['8080'] } }] }, { when: [{ key: 'request.headers[x]', values: ['y'] }] }] })).toEqual([
      'AuthorizationPolicy ns/p uses L7 attributes (methods, request.headers[x]) but has no targetRefs, so ztunnel enforces it: istiod strips the HTTP fields and ztunnel skips the emptied clause, so rule 1 never matches: no effect at ztunnel (fails open); istiod strips the HTTP fields, so ztunnel enforces rule 0 on the L4 part alone and denies more than written.',
    ]);
  });

  test('an ALLOW drops its L7 rules (1.30.3 "unsupported HTTP methods")', () => {
    expect(analyze({ rules: [{ to: [{ operation: { ports: ['80'] } }] }, { to: [{ operation: { methods: ['GET'] } }] }] })).toEqual([
      'AuthorizationPolicy ns/p uses L7 attributes (methods) but has no targetRefs, so ztunnel enforces it: ztunnel drops the rules with HTTP attributes (rule 1), so the traffic they allow is denied.',
    ]);
  });
});
