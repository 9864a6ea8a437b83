import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { AccessRequest, MeshAnalyzer } from '../src';
import { matchValue } from '../src/analysis/access';
import { runCli } from '../src/cli';

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
    ['ingress gateway to productpage (L4 policy)', bookinfo, { to: 'default/productpage', viaIngress: 'default/bookinfo-gateway' }, true, 'ztunnel', 'default/productpage-ztunnel'],
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
      ['ztunnel', 'cluster.local/ns/default/sa/waypoint', true, 'default/require-waypoint'],
    ]);
    const ingress = bookinfo.checkAccess({ to: 'default/productpage', viaIngress: 'default/bookinfo-gateway' });
    expect(ingress.hops.map(h => [h.point, h.identity])).toEqual([['gateway', 'external client'], ['ztunnel', 'cluster.local/ns/default/sa/bookinfo-gateway-istio']]);
  });

  test('unknown Services and gateways are input errors', () => {
    expect(() => bookinfo.checkAccess({ to: 'default/nope' })).toThrow('Service default/nope is not in the manifests');
    expect(() => bookinfo.checkAccess({ to: 'default/productpage', viaIngress: 'x/y' })).toThrow('ingress Gateway x/y is not in the manifests');
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
    expect(custom.checkAccess({ from, to: 'ns/web' }).reason).toContain('CUSTOM policies are not evaluated offline');
    const ipOnly = base([{ spec: { rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/8'] } }] }] } }]);
    expect(ipOnly.checkAccess({ from, to: 'ns/web' }).allowed).toBe(false);
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
      ztunnelPolicies: ['default/allow-nothing (ALLOW nothing)', 'default/require-waypoint (ALLOW, 1 rule)', 'default/productpage-ztunnel (ALLOW, 1 rule)'],
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
    const seed = exampleAnalyzer('seed-platform.ts');
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
