import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dump, loadAll } from 'js-yaml';
import { MeshAnalyzer } from '../src';
import { schemaErrors } from './support';
import { runCli } from '../src/cli';
import { migrateToAmbient } from '../src/migration/sidecar-to-ambient';
import { virtualServiceToRoute } from '../src/migration/virtual-service-to-route';
import { bookinfoSidecar } from './fixtures/migrate/bookinfo-sidecar';

const find = (objects: any[], kind: string, name: string) => {
  const found = objects.filter(o => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0];
};

describe('migrate Bookinfo from sidecars to ambient', () => {
  const result = migrateToAmbient(bookinfoSidecar);
  const out = result.objects;

  test('every object it writes is admitted by the upstream schemas', () => {
    expect(schemaErrors(out)).toEqual([]);
  });

  test('the namespace moves to ambient with a waypoint; injection labels go', () => {
    expect(find(out, 'Namespace', 'bookinfo').metadata.labels).toEqual({
      'istio.io/dataplane-mode': 'ambient',
      'istio.io/use-waypoint': 'waypoint',
      'istio.io/ingress-use-waypoint': 'true',
    });
    expect(find(out, 'Gateway', 'waypoint')).toEqual({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'waypoint', namespace: 'bookinfo', labels: { 'istio.io/waypoint-for': 'service' } },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    expect(find(out, 'Namespace', 'istio-ingress').metadata.labels).toBeUndefined();
  });

  test('the reviews VirtualService becomes an HTTPRoute to one Service per version', () => {
    expect(find(out, 'HTTPRoute', 'reviews')).toEqual({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'reviews', namespace: 'bookinfo' },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }],
        rules: [
          { matches: [{ headers: [{ type: 'Exact', name: 'end-user', value: 'jason' }] }], backendRefs: [{ name: 'reviews-v2', port: 9080 }] },
          { backendRefs: [{ name: 'reviews-v3', port: 9080 }] },
        ],
      },
    });
    expect(find(out, 'Service', 'reviews-v2').spec).toEqual({ selector: { app: 'reviews', version: 'v2' }, ports: [{ name: 'http', port: 9080 }] });
    expect(find(out, 'Service', 'reviews-v3').spec.selector).toEqual({ app: 'reviews', version: 'v3' });
    expect(out.filter(o => o.kind === 'Service' && o.metadata.name === 'reviews-v1')).toEqual([]);
    expect(out.filter(o => o.kind === 'VirtualService' && o.metadata.name === 'reviews')).toEqual([]);
  });

  test('the DestinationRule keeps its traffic policy, without subsets', () => {
    expect(find(out, 'DestinationRule', 'reviews').spec).toEqual({ host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } });
  });

  test('L7 selector policies move to the Services (new names) with a ztunnel guard each', () => {
    expect(find(out, 'AuthorizationPolicy', 'details-viewer-waypoint').spec).toEqual({
      action: 'ALLOW',
      targetRefs: [{ group: '', kind: 'Service', name: 'details' }],
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/bookinfo/sa/bookinfo-productpage'] } }], to: [{ operation: { methods: ['GET'] } }] }],
    });
    expect(find(out, 'AuthorizationPolicy', 'details-viewer-require-waypoint').spec).toEqual({
      action: 'DENY',
      selector: { matchLabels: { app: 'details' } },
      rules: [{ from: [{ source: { notPrincipals: ['cluster.local/ns/bookinfo/sa/waypoint'] } }] }],
    });
    expect(out.filter(o => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'details-viewer')).toEqual([]);
    // The per-version Services reach the same pods: the moved policy covers them too.
    expect(find(out, 'AuthorizationPolicy', 'reviews-viewer-waypoint').spec.targetRefs).toEqual([
      { group: '', kind: 'Service', name: 'reviews' }, { group: '', kind: 'Service', name: 'reviews-v2' }, { group: '', kind: 'Service', name: 'reviews-v3' },
    ]);
    expect(find(out, 'RequestAuthentication', 'ratings-jwt-waypoint').spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'ratings' }]);
  });

  test('the ingress Gateway and its VirtualService stay (the guide keeps networking.istio.io Gateways)', () => {
    expect(find(out, 'Gateway', 'bookinfo-gateway').apiVersion).toBe('networking.istio.io/v1');
    expect(find(out, 'VirtualService', 'bookinfo').spec.gateways).toEqual(['bookinfo-gateway']);
  });

  test('notes say what happened to each object, and nothing is blocked', () => {
    expect(result.notes.filter(n => n.status === 'blocked')).toEqual([]);
    expect(result.notes.find(n => n.kind === 'VirtualService' && n.name === 'reviews')).toEqual({
      kind: 'VirtualService',
      namespace: 'bookinfo',
      name: 'reviews',
      status: 'converted',
      reason: 'HTTPRoute bookinfo/reviews attached to Service reviews, routing to reviews-v2, reviews-v3',
    });
  });

  test('the rollout follows the guide: use-waypoint, dataplane-mode, remove injection, restart, delete replaced objects', () => {
    expect(result.steps[2]).toBe('Namespace bookinfo: kubectl label namespace bookinfo istio.io/use-waypoint=waypoint; then kubectl label namespace bookinfo istio.io/dataplane-mode=ambient; then kubectl label namespace bookinfo istio-injection- istio.io/rev-; then kubectl rollout restart deployment -n bookinfo; then delete the selector-based policies replaced by *-waypoint ones and the VirtualServices/DestinationRules replaced by HTTPRoutes in bookinfo right away (ztunnel would enforce L7 selector policies as deny-all).');
  });
});

describe('what cannot move', () => {
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app', labels: { 'istio.io/rev': 'stable' } } };
  test('EnvoyFilter and PeerAuthentication DISABLE are blocked with the guide\'s advice; Sidecar is dropped', () => {
    const r = migrateToAmbient([
      ns,
      { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'lua', namespace: 'app' }, spec: {} },
      { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'off', namespace: 'app' }, spec: { mtls: { mode: 'DISABLE' } } },
      { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: 'app' }, spec: {} },
    ]);
    expect(r.notes.map(n => [n.kind, n.name, n.status, n.reason])).toEqual([
      ['Namespace', 'app', 'converted', 'labelled istio.io/dataplane-mode=ambient, injection labels removed'],
      ['EnvoyFilter', 'lua', 'blocked', 'EnvoyFilter is not supported on waypoints (Istio migration guide): express it with Gateway API filters or a WasmPlugin attached to the waypoint, or keep these workloads on sidecars.'],
      ['PeerAuthentication', 'off', 'blocked', 'PeerAuthentication mode DISABLE is a hard blocker of the migration guide: ambient has no way to turn mTLS off for a workload. Remove it (or keep those workloads on sidecars) before migrating.'],
      ['Sidecar', 'default', 'dropped', 'Sidecar resources have no effect in ambient mode (IST0167)'],
    ]);
    expect(r.objects.map(o => o.kind)).toEqual(['Namespace', 'PeerAuthentication']);
  });

  test('istio-injection=disabled is not a sidecar namespace: left alone', () => {
    const r = migrateToAmbient([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', labels: { 'istio-injection': 'disabled' } } }]);
    expect(r.objects[0].metadata.labels).toEqual({ 'istio-injection': 'disabled' });
    expect(r.notes).toEqual([]);
  });

  test('a selector that selects no Service cannot be attached', () => {
    const r = migrateToAmbient([ns, {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'jobs', namespace: 'app' },
      spec: { selector: { matchLabels: { app: 'batch' } }, rules: [{ to: [{ operation: { paths: ['/run'] } }] }] },
    }]);
    expect(r.notes[1]).toEqual({ kind: 'AuthorizationPolicy', namespace: 'app', name: 'jobs', status: 'blocked', reason: 'its selector (app=batch) selects no Service\'s pods: a waypoint applies policies to Services, so it has nothing to attach to' });
  });
});

describe('VirtualService to HTTPRoute keeps matching exact', () => {
  const svc = { namespace: 'a', name: 'web', selector: { app: 'web' }, ports: [{ port: 80 }] };
  const convert = (http: any[]) => virtualServiceToRoute({ metadata: { name: 'web', namespace: 'a' }, spec: { hosts: ['web'], http } }, [svc], () => svc, () => ({ version: 'v1' }));

  test('a string prefix becomes a regular expression (PathPrefix would match whole segments only)', () => {
    const r = convert([{ match: [{ uri: { prefix: '/api' } }], route: [{ destination: { host: 'web' } }] }]);
    expect(r.route.spec.rules[0].matches).toEqual([{ path: { type: 'RegularExpression', value: '/api.*' } }]);
  });

  test('exact, method, query and a weighted split with a mirror and a timeout', () => {
    const r = convert([{
      match: [{ uri: { exact: '/a.b' }, method: { exact: 'get' }, queryParams: { q: { exact: '1' } } }],
      route: [{ destination: { host: 'web' }, weight: 90 }, { destination: { host: 'web', subset: 'v1' }, weight: 10 }],
      mirror: { host: 'web', subset: 'v1' },
      mirrorPercentage: { value: 5 },
      timeout: '3s',
    }]);
    expect(r.route.spec.rules[0]).toEqual({
      matches: [{ path: { type: 'Exact', value: '/a.b' }, method: 'GET', queryParams: [{ type: 'Exact', name: 'q', value: '1' }] }],
      backendRefs: [{ name: 'web', port: 80, weight: 90 }, { name: 'web-v1', port: 80, weight: 10 }],
      filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'web-v1', port: 80 }, percent: 5 } }],
      timeouts: { request: '3s' },
    });
  });

  test('first-match order that Gateway API precedence would change is kept as a VirtualService', () => {
    const r = convert([
      { match: [{ uri: { prefix: '/' } }], route: [{ destination: { host: 'web' } }] },
      { match: [{ uri: { exact: '/admin' } }], route: [{ destination: { host: 'web', subset: 'v1' } }] },
    ]);
    expect(r.route).toBeUndefined();
    expect(r.reasons).toEqual(['its routes rely on first-match order, which Gateway API precedence (exact, then prefix, then regex, longer paths, method, headers, query parameters first) would change']);
  });

  test('retries, fault injection and rewrites have no standard HTTPRoute form', () => {
    const r = convert([{ route: [{ destination: { host: 'web' } }], retries: { attempts: 3 }, fault: { abort: { httpStatus: 500 } }, rewrite: { uri: '/' } }]);
    expect(r.route).toBeUndefined();
    expect(r.reasons).toEqual([
      'http.retries has no HTTPRoute equivalent in the standard channel',
      'http.fault has no HTTPRoute equivalent in the standard channel',
      'http.rewrite has no HTTPRoute equivalent in the standard channel',
    ]);
  });
});

describe('migrate proves itself with the access diff', () => {
  const run = (objects: any[], extra: string[] = []) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrate-'));
    fs.writeFileSync(path.join(dir, 'in.yaml'), objects.map(o => dump(o)).join('---\n'));
    let out = '';
    let err = '';
    const code = runCli(['migrate', path.join(dir, 'in.yaml'), '--out', path.join(dir, 'out'), ...extra], { stdout: t => { out += t; }, stderr: t => { err += t; }, stdin: () => '' });
    return { code, out, err, dir: path.join(dir, 'out') };
  };

  test('Bookinfo: every request class gets the same decision before (sidecars) and after (ambient); exit 0', () => {
    const m = MeshAnalyzer.fromObjects(bookinfoSidecar).migrateToAmbient();
    expect(m.complete).toBe(true);
    expect(m.accessChanges).toEqual([]);
    // The raw diff does see the new per-version Services and the enforcement moving to the waypoint.
    expect(m.access.accessGained.map(c => c.destination)).toContain('bookinfo/reviews-v2');
    expect(m.access.accessMoved.length).toBeGreaterThan(0);
    const r = run(bookinfoSidecar);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('access unchanged.');
    expect(r.out).toContain('Every request class the policies tell apart gets the same decision before (sidecars) and after (ambient); per-version Services answer like the Service they split.');
    expect(fs.readFileSync(path.join(r.dir, 'MIGRATION.md'), 'utf8')).toBe(r.out);
    const written = loadAll(fs.readFileSync(path.join(r.dir, 'ambient.yaml'), 'utf8')) as any[];
    expect(written).toEqual(m.objects);
  });

  test('what cannot move is listed with the guide\'s advice: exit 1', () => {
    const objects = [...bookinfoSidecar, { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'lua', namespace: 'bookinfo' }, spec: {} }];
    const m = MeshAnalyzer.fromObjects(objects).migrateToAmbient();
    expect(m.complete).toBe(false);
    expect(m.items.filter(i => i.status === 'blocked').map(i => `${i.kind} ${i.name}`)).toEqual(['EnvoyFilter lua']);
    const r = run(objects);
    expect(r.code).toBe(1);
    expect(r.out).toContain('- BLOCKED EnvoyFilter bookinfo/lua: EnvoyFilter is not supported on waypoints (Istio migration guide)');
  });

  test('input errors exit 2', () => {
    const r = runCli(['migrate', '/nonexistent.yaml', '--out', os.tmpdir()], { stdout: () => undefined, stderr: () => undefined, stdin: () => '' });
    expect(r).toBe(2);
    let err = '';
    expect(runCli(['migrate', 'x.yaml'], { stdout: () => undefined, stderr: t => { err += t; }, stdin: () => '' })).toBe(2);
    expect(err.split('\n')[0]).toBe('migrate needs --out <dir> for the ambient manifests');
  });
});
