/**
 * The same mesh declared in any order gives the same bytes: the constructs record intent and the
 * policy objects are placed at synth from the whole app (src/authz/policy-planner.ts).
 */
import { App, Chart, Testing, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { synthValid } from './support';
import {
  AmbientMesh, AmbientNamespace, IngressGateway, MeshAnalyzer, PolicySource, PolicyTarget, Waypoint, WaypointTrafficType, ZeroTrustPolicy,
} from '../src';
import { Rng } from './support/random-program';

const JWKS_URI = 'https://issuer.example.com/.well-known/jwks.json';

interface Step {
  readonly id: string;
  readonly after: string[];
  readonly run: (ctx: Ctx) => void;
}

interface Ctx {
  readonly app: App;
  readonly charts: { [id: string]: Chart };
  readonly made: { [id: string]: any };
}

/** A mesh touching every placement rule: namespace and workload waypoints, ingress, JWT, mesh-wide rules, trust domain. */
const STEPS: Step[] = [
  { id: 'mesh', after: [], run: c => { new AmbientMesh(c.charts.istio, 'mesh', { trustDomain: 'corp.example' }); } },
  { id: 'ns-shop', after: [], run: c => { new AmbientNamespace(c.charts.shop, 'ns', { name: 'shop', ingressUseWaypoint: true }); } },
  { id: 'ns-edge', after: [], run: c => { new AmbientNamespace(c.charts.edge, 'ns', { name: 'edge' }); } },
  { id: 'waypoint', after: [], run: c => { new Waypoint(c.charts.shop, 'waypoint', { enrollNamespace: true }); } },
  {
    id: 'db-waypoint',
    after: [],
    run: c => { c.made['db-waypoint'] = new Waypoint(c.charts.shop, 'db-waypoint', { name: 'db-waypoint', trafficType: WaypointTrafficType.WORKLOAD }); },
  },
  {
    id: 'api',
    after: [],
    run: c => {
      const api = new kplus.Service(c.charts.shop, 'api', { metadata: { name: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
      api.selectLabel('app', 'api');
      c.made.api = api;
    },
  },
  {
    id: 'db',
    after: [],
    run: c => {
      c.made.db = new kplus.StatefulSet(c.charts.shop, 'db', {
        metadata: { name: 'db' },
        service: new kplus.Service(c.charts.shop, 'db-headless', { metadata: { name: 'db' }, clusterIP: 'None', ports: [{ name: 'tcp-postgres', port: 5432 }] }),
        containers: [{ image: 'postgres', portNumber: 5432 }],
      });
    },
  },
  { id: 'enroll-db', after: ['db-waypoint', 'db'], run: c => c.made['db-waypoint'].enrollWorkload(c.made.db) },
  { id: 'gateway', after: [], run: c => { c.made.gateway = new IngressGateway(c.charts.edge, 'gateway', { name: 'web' }); } },
  { id: 'policy', after: [], run: c => { c.made.policy = new ZeroTrustPolicy(c.charts.shop, 'policy'); } },
  { id: 'edge-policy', after: [], run: c => { new ZeroTrustPolicy(c.charts.edge, 'policy'); } },
  {
    id: 'allow-frontend',
    after: ['policy', 'api'],
    run: c => c.made.policy.allowFrom(PolicySource.serviceAccountName('shop', 'frontend'), { to: PolicyTarget.service(c.made.api), methods: ['GET'], ports: [80] }),
  },
  { id: 'allow-ingress', after: ['policy', 'api', 'gateway'], run: c => c.made.policy.allowFrom(c.made.gateway.policySource, { to: PolicyTarget.service(c.made.api), ports: [80] }) },
  {
    id: 'require-jwt',
    after: ['policy', 'api'],
    run: c => c.made.policy.requireJwt({ issuer: 'https://issuer.example.com', jwksUri: JWKS_URI, to: PolicyTarget.service(c.made.api) }),
  },
  {
    id: 'allow-jwt',
    after: ['policy', 'api'],
    run: c => c.made.policy.allowFrom(PolicySource.jwt({ issuer: 'https://issuer.example.com' }), { to: PolicyTarget.service(c.made.api), paths: ['/public/*'] }),
  },
  {
    id: 'deny-admin',
    after: ['policy', 'api'],
    run: c => c.made.policy.denyFrom(PolicySource.namespaces('edge'), { to: PolicyTarget.service(c.made.api), paths: ['/admin*'] }),
  },
  { id: 'mesh-policy', after: [], run: c => { c.made.meshPolicy = new ZeroTrustPolicy(c.charts.istio, 'mesh-policy', { meshWide: true }); } },
  { id: 'mesh-deny', after: ['mesh-policy'], run: c => c.made.meshPolicy.denyFrom(PolicySource.namespaces('quarantine')) },
];

/** A random order of the steps that respects their data dependencies. */
function shuffledOrder(seed: number): Step[] {
  return shuffled(STEPS, seed);
}

function shuffled(steps: Step[], seed: number): Step[] {
  const rng = new Rng(seed);
  const done = new Set<string>();
  const left = [...steps];
  const order: Step[] = [];
  while (left.length > 0) {
    const ready = left.filter(s => s.after.every(a => done.has(a)));
    const pick = rng.pick(ready);
    order.push(pick);
    done.add(pick.id);
    left.splice(left.indexOf(pick), 1);
  }
  return order;
}

function build(order: Step[], chartOrder: string[] = ['istio', 'edge', 'shop']): App {
  const app = Testing.app();
  const charts: { [id: string]: Chart } = {};
  for (const id of chartOrder) charts[id] = new Chart(app, id, { namespace: id === 'istio' ? undefined : id });
  const ctx: Ctx = { app, charts, made: {} };
  for (const step of order) step.run(ctx);
  return app;
}

/**
 * Each chart's objects as YAML documents, by chart id (the files `cdk8s synth` writes). cdk8s writes a
 * chart's objects in the order their constructs were created, which is the user's to choose, so the
 * documents are compared as a set; each construct's own objects, their content and their files must
 * not change with the order.
 */
function files(app: App): { [chart: string]: string[] } {
  return Object.fromEntries(app.charts.map(c => [c.node.id, Testing.synth(c).map(o => Yaml.stringify(o)).sort()]));
}

describe('declaration order never shows in the output', () => {
  const reference = files(build(STEPS));

  test('the reference mesh is admitted and clean under the analyzer', () => {
    const app = build(STEPS);
    const objects = app.charts.flatMap(c => synthValid(c));
    const findings = MeshAnalyzer.fromObjects(objects).analyze().filter(f => f.severity !== 'info');
    expect(findings.map(f => `${f.code} ${f.name}: ${f.message}`)).toEqual([]);
    // Placement decided from the whole app: the mesh's trust domain, the workload waypoint admitted,
    // the mesh-wide DENY exempting both waypoints.
    const byName = Object.fromEntries(objects.filter(o => o.kind === 'AuthorizationPolicy').map(o => [`${o.metadata.namespace}/${o.metadata.name}`, o.spec]));
    expect(byName['shop/require-waypoint'].rules).toEqual([{ from: [{ source: { principals: ['corp.example/ns/shop/sa/waypoint'] } }] }]);
    expect(byName['shop/require-db-waypoint']).toEqual({
      action: 'ALLOW',
      selector: { matchLabels: objects.find(o => o.kind === 'StatefulSet').spec.selector.matchLabels },
      rules: [{ from: [{ source: { principals: ['corp.example/ns/shop/sa/db-waypoint'] } }] }],
    });
    expect(byName['istio-system/mesh-ztunnel-deny'].rules[0].from[0].source.notPrincipals)
      .toEqual(['corp.example/ns/shop/sa/db-waypoint', 'corp.example/ns/shop/sa/waypoint']);
    expect(byName['shop/api-waypoint'].rules).toContainEqual({
      from: [{ source: { principals: ['corp.example/ns/edge/sa/web-istio'] } }], to: [{ operation: { ports: ['80'] } }],
    });
  });

  test('every step reversed (data dependencies kept)', () => {
    const reversed: Step[] = [];
    const done = new Set<string>();
    const left = [...STEPS].reverse();
    while (left.length > 0) {
      const pick = left.find(s => s.after.every(a => done.has(a)))!;
      reversed.push(pick);
      done.add(pick.id);
      left.splice(left.indexOf(pick), 1);
    }
    expect(files(build(reversed))).toEqual(reference);
  });

  test.each(Array.from({ length: 24 }, (_, i) => 1000 + i))('random order, seed %i', seed => {
    expect(files(build(shuffledOrder(seed)))).toEqual(reference);
  });

  test('charts created in another order write the same files', () => {
    expect(files(build(shuffledOrder(7), ['shop', 'istio', 'edge']))).toEqual(reference);
  });
});

describe('one error per cause, in any order', () => {
  /** A mesh whose L7 rule has no waypoint to run at, declared in a random order. */
  function refusal(seed: number): string {
    const steps = STEPS.filter(s => ['mesh', 'ns-edge', 'api', 'policy', 'allow-frontend', 'edge-policy'].includes(s.id));
    steps.push({ id: 'ns-shop', after: [], run: c => { new AmbientNamespace(c.charts.shop, 'ns', { name: 'shop' }); } });
    const app = build(shuffled(steps, seed));
    try {
      app.synth();
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('synth did not fail');
  }

  test('the same single message, with the policy\'s path, in every order', () => {
    const expected = 'Validation failed with the following errors:\n  [shop/policy] allowFrom(service account shop/frontend) to Service "api" uses L7 attributes (methods), but Service "shop/api" has no waypoint: ztunnel would drop the rule, so the traffic it allows would be denied. Add a waypoint (AmbientNamespace.addWaypoint() or waypoint.enrollService()), or drop the L7 attributes.';
    for (const seed of [1, 2, 3, 4, 5]) expect(refusal(seed)).toBe(expected);
  });
});
