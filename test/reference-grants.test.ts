import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import { GrpcRoute, HttpRoute, MeshAnalyzer, RouteBackend, RouteParent } from '../src';

/** A gateway route in namespace `web` sending to Service shop/api (which needs a ReferenceGrant in shop). */
function crossNamespaceRoute(chart: Chart, id: string, grpc = false): void {
  const props = { namespace: 'web', parents: [RouteParent.gatewayName('public', 'infra')], rules: [{ backends: [RouteBackend.serviceName('api', 8080, { namespace: 'shop' })] }] };
  if (grpc) new GrpcRoute(chart, id, props);
  else new HttpRoute(chart, id, props);
}

/** Writes an app to a fresh folder with `app.synth()`; returns file name -> contents. */
function synthToDisk(build: (app: App) => void): Map<string, string> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'grants-'));
  const app = new App({ outdir });
  build(app);
  app.synth();
  return new Map(fs.readdirSync(outdir).sort().map(f => [f, fs.readFileSync(path.join(outdir, f), 'utf8')]));
}

/** Construct paths of the ReferenceGrants an app writes. */
function grantPaths(scope: App | Chart): string[] {
  return scope.node.findAll().filter(c => c.node.id.startsWith('Grant-')).map(c => c.node.path);
}

describe('the ReferenceGrant of a cross-namespace backend has one deterministic owner', () => {
  test('routes in two charts, charts and routes declared in either order: the same bytes in the same files', () => {
    const build = (order: string[]) => (app: App) => {
      const charts = new Map(order.map(id => [id, new Chart(app, id)]));
      for (const id of order) crossNamespaceRoute(charts.get(id)!, `${id}-route`);
    };
    const forward = synthToDisk(build(['alpha', 'beta']));
    const backward = synthToDisk(build(['beta', 'alpha']));
    expect([...backward.keys()]).toEqual(['alpha.k8s.yaml', 'beta.k8s.yaml']);
    expect(backward).toEqual(forward);
    // The route with the smallest construct path owns it: the grant is written into alpha's file only.
    expect(forward.get('alpha.k8s.yaml')).toContain('kind: ReferenceGrant');
    expect(forward.get('beta.k8s.yaml')).not.toContain('kind: ReferenceGrant');
  });

  test.each([[['r1', 'r2']], [['r2', 'r1']]])('routes declared %j in one chart: one grant, under the same route', (order) => {
    const chart = new Chart(Testing.app(), 'web');
    for (const id of order) crossNamespaceRoute(chart, id, id === 'r2');
    const grants = Testing.synth(chart).filter(o => o.kind === 'ReferenceGrant');
    expect(grants).toEqual([{
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'ReferenceGrant',
      metadata: { name: 'from-web-to-api', namespace: 'shop' },
      spec: {
        from: [
          { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'web' },
          { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute', namespace: 'web' },
        ],
        to: [{ group: '', kind: 'Service', name: 'api' }],
      },
    }]);
    expect(grantPaths(chart)).toEqual(['web/r1/Grant-shop-api']);
  });

  test('a route added after a synth with a smaller path takes the grant over: still one grant, no duplicate', () => {
    const app = Testing.app();
    const beta = new Chart(app, 'beta');
    crossNamespaceRoute(beta, 'route-b');
    expect(Testing.synth(beta).filter(o => o.kind === 'ReferenceGrant')).toHaveLength(1);
    const alpha = new Chart(app, 'alpha');
    crossNamespaceRoute(alpha, 'route-a');
    expect(Testing.synth(beta).filter(o => o.kind === 'ReferenceGrant')).toEqual([]);
    expect(Testing.synth(alpha).filter(o => o.kind === 'ReferenceGrant').map(o => o.metadata.name)).toEqual(['from-web-to-api']);
    expect(grantPaths(app)).toEqual(['alpha/route-a/Grant-shop-api']);
    expect(MeshAnalyzer.fromApp(app).analyze().filter(f => f.code === 'AMB135')).toEqual([]);
  });

  test('routes of two namespaces to one Service get one grant each', () => {
    const chart = new Chart(Testing.app(), 'routes');
    crossNamespaceRoute(chart, 'web-route');
    new HttpRoute(chart, 'admin-route', { namespace: 'admin', parents: [RouteParent.gatewayName('public', 'infra')], rules: [{ backends: [RouteBackend.serviceName('api', 8080, { namespace: 'shop' })] }] });
    expect(Testing.synth(chart).filter(o => o.kind === 'ReferenceGrant').map(o => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['shop/from-web-to-api', 'shop/from-admin-to-api']);
    expect(grantPaths(chart)).toEqual(['routes/web-route/Grant-shop-api', 'routes/admin-route/Grant-shop-api']);
  });
});
