import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, Chart, Include, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { findObject, synthValid, testChart } from './support';
import { AmbientNamespace, GrpcRoute, HttpRoute, MeshAnalyzer, ResiliencePolicy, ResiliencePreset, RouteBackend, RouteParent } from '../src';
import { runCli } from '../src/cli';

function shop() {
  const chart = testChart({ namespace: 'shop' });
  new AmbientNamespace(chart, 'ns', { name: 'shop' }).addWaypoint('waypoint');
  const api = new kplus.Service(chart, 'api', { metadata: { name: 'api' }, ports: [{ port: 8080, name: 'http' }] });
  api.selectLabel('app', 'api');
  return { chart, api };
}

describe('two constructs writing the same object are refused, whatever the declaration order', () => {
  test.each([['strict', 'pool'], ['pool', 'strict']])('ResiliencePolicies %s then %s for one Service', (first, second) => {
    const { chart, api } = shop();
    const declare = (id: string) => new ResiliencePolicy(chart, id, id === 'strict'
      ? { service: api, preset: ResiliencePreset.STRICT }
      : { service: api, connectionPool: { maxConnections: 10 } });
    declare(first);
    expect(() => declare(second)).toThrow(
      `[test/${second}] DestinationRule "shop/api" is already written by test/${first}; the second would overwrite the first at apply time. Merge the settings into one ResiliencePolicy for the Service.`);
    expect(findObject(synthValid(chart), 'DestinationRule').spec.trafficPolicy.connectionPool.tcp.maxConnections).toBe(first === 'strict' ? 100 : 10);
  });

  test('a policy refused for another reason claims nothing', () => {
    const { chart, api } = shop();
    expect(() => new ResiliencePolicy(chart, 'bad', { service: api, connectionPool: { maxConnections: 0 } }))
      .toThrow('[test/bad] connectionPool.maxConnections is 0; it must be a whole number of at least 1.');
    new ResiliencePolicy(chart, 'good', { service: api, connectionPool: { maxConnections: 5 } });
    expect(findObject(synthValid(chart), 'DestinationRule', 'api').spec.trafficPolicy.connectionPool.tcp.maxConnections).toBe(5);
  });

  test.each([['a', 'b'], ['b', 'a']])('HTTPRoutes %s then %s with one name', (first, second) => {
    const { chart, api } = shop();
    const declare = (id: string) => new HttpRoute(chart, id, { name: 'api', parents: [RouteParent.service(api)], rules: [{ backends: [RouteBackend.service(api)] }] });
    declare(first);
    expect(() => declare(second)).toThrow(
      `[test/${second}] HTTPRoute "shop/api" is already written by test/${first}; the second would overwrite the first at apply time. Merge the rules into one HTTPRoute, or give one a different \`name\`.`);
  });

  test('a GRPCRoute and an HTTPRoute may share a name (different kinds); two GRPCRoutes may not', () => {
    const { chart, api } = shop();
    new HttpRoute(chart, 'http', { name: 'api', parents: [RouteParent.service(api)], rules: [{ backends: [RouteBackend.service(api)] }] });
    new GrpcRoute(chart, 'grpc', { name: 'api', parents: [RouteParent.service(api)], rules: [{ backends: [RouteBackend.service(api)] }] });
    expect(() => new GrpcRoute(chart, 'grpc2', { name: 'api', parents: [RouteParent.service(api)], rules: [{ backends: [RouteBackend.service(api)] }] }))
      .toThrow('[test/grpc2] GRPCRoute "shop/api" is already written by test/grpc; the second would overwrite the first at apply time. Merge the rules into one GRPCRoute, or give one a different `name`.');
    const objects = synthValid(chart);
    expect(findObject(objects, 'HTTPRoute', 'api').metadata.namespace).toBe('shop');
    expect(findObject(objects, 'GRPCRoute', 'api').metadata.namespace).toBe('shop');
  });
});

describe('two ResiliencePolicies for one Service under different DestinationRule names are refused', () => {
  // istiod merges two DestinationRules for one host and keeps the trafficPolicy of the older one only
  // (test/conformance/destination-rules.test.ts), so the second policy would be silently dropped.
  test.each([['a', 'b'], ['b', 'a']])('%s then %s', (first, second) => {
    const { chart, api } = shop();
    new ResiliencePolicy(chart, first, { service: api, name: `api-${first}`, preset: ResiliencePreset.STANDARD });
    expect(() => new ResiliencePolicy(chart, second, { service: api, name: `api-${second}`, connectionPool: { maxConnections: 7 } })).toThrow(
      `[test/${second}] Service "shop/api" already has a ResiliencePolicy at test/${first} (DestinationRule "api-${first}"); with a second DestinationRule "api-${second}" for the same host, istiod keeps the trafficPolicy of the one created first and silently drops the other's. Merge the settings into one ResiliencePolicy for the Service.`);
    const objects = synthValid(chart);
    expect(objects.filter(o => o.kind === 'DestinationRule').map(o => o.metadata.name)).toEqual([`api-${first}`]);
  });

  test('policies for two Services of one namespace are both written', () => {
    const { chart, api } = shop();
    const web = new kplus.Service(chart, 'web', { metadata: { name: 'web' }, ports: [{ port: 80, name: 'http' }] });
    web.selectLabel('app', 'web');
    new ResiliencePolicy(chart, 'api-policy', { service: api, preset: ResiliencePreset.STRICT });
    new ResiliencePolicy(chart, 'web-policy', { service: web, preset: ResiliencePreset.STRICT });
    const objects = synthValid(chart);
    expect(objects.filter(o => o.kind === 'DestinationRule').map(o => o.spec.host)).toEqual(['api.shop.svc.cluster.local', 'web.shop.svc.cluster.local']);
    expect(MeshAnalyzer.fromConstruct(chart).analyze().filter(f => f.severity === 'error')).toEqual([]);
  });
});

const fix = 'Fix: Keep one copy: drop the object from the included manifest or ApiObject, or give the library construct another `name` (one construct per object).';

describe('a library construct and a hand-written object for the same object fail synth (AMB135)', () => {

  test('ResiliencePolicy and an ApiObject DestinationRule of the same name: one message naming both paths', () => {
    const { chart, api } = shop();
    new ResiliencePolicy(chart, 'strict', { service: api, preset: ResiliencePreset.STRICT });
    new ApiObject(chart, 'mine', { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'api' }, spec: { host: 'api.shop.svc.cluster.local', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } } });
    expect(() => Testing.synth(chart)).toThrow(new Error(
      'Validation failed with the following errors:\n  [test/strict] AMB135 DestinationRule shop/api: DestinationRule.networking.istio.io shop/api is written twice, by `test/mine` and `test/strict/Resource`: the API server holds one such object, so at apply time the copy applied last silently replaces the others. '
      + fix));
  });

  test('HttpRoute and an Include of a manifest with the same HTTPRoute (apiVersion v1beta1: the version does not matter)', () => {
    const { chart, api } = shop();
    new HttpRoute(chart, 'route', { name: 'api', parents: [RouteParent.service(api)], rules: [{ backends: [RouteBackend.service(api)] }] });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dup-')), 'route.yaml');
    fs.writeFileSync(file, 'apiVersion: gateway.networking.k8s.io/v1beta1\nkind: HTTPRoute\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  parentRefs: [{group: "", kind: Service, name: api}]\n  rules: [{backendRefs: [{name: api, port: 8080}]}]\n');
    new Include(chart, 'legacy', { url: file });
    let message = '';
    try {
      Testing.synth(chart);
    } catch (e: any) {
      message = e.message;
    }
    expect(message.split('\n').filter(l => l.includes('AMB'))).toEqual([
      '  [test/route] AMB135 HTTPRoute shop/api: HTTPRoute.gateway.networking.k8s.io shop/api is written twice, by `test/legacy/api-httproute-shop` and `test/route/Resource`: the API server holds one such object, so at apply time the copy applied last silently replaces the others. ' + fix,
    ]);
  });

  test('same names in other namespaces, other kinds or other API groups are different objects', () => {
    const { chart, api } = shop();
    new ResiliencePolicy(chart, 'strict', { service: api, preset: ResiliencePreset.STRICT });
    new ApiObject(chart, 'other-ns', { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'api', namespace: 'other' }, spec: { host: 'api.other.svc.cluster.local' } });
    new ApiObject(chart, 'other-kind', { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'api' }, spec: { hosts: ['api.example.com'], resolution: 'DNS', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] } });
    new ApiObject(chart, 'other-group', { apiVersion: 'example.com/v1', kind: 'DestinationRule', metadata: { name: 'api' } });
    expect(Testing.synth(chart).filter(o => o.metadata.name === 'api')).toHaveLength(5);
  });
});

describe('AMB135 over manifests', () => {
  const analyze = (yaml: string) => MeshAnalyzer.fromYaml(yaml, 'all.yaml').analyze().filter(f => f.code === 'AMB135');
  const cm = (meta: string, data = 'a') => `apiVersion: v1\nkind: ConfigMap\nmetadata: {${meta}}\ndata: {k: ${data}}\n`;

  test('two documents with one group, kind, namespace and name', () => {
    const [finding, ...rest] = analyze(`${cm('name: c, namespace: shop')}---\n${cm('name: c, namespace: shop', 'b')}`);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      code: 'AMB135',
      severity: 'error',
      kind: 'ConfigMap',
      namespace: 'shop',
      name: 'c',
      source: 'all.yaml',
      title: 'Two manifests write the same object (group, kind, namespace, name)',
      message: 'ConfigMap shop/c is written twice in `all.yaml`: the API server holds one such object, so at apply time the copy applied last silently replaces the others.',
    });
  });

  test('identical copies are reported too; a missing namespace is the default namespace', () => {
    expect(analyze(`${cm('name: c')}---\n${cm('name: c, namespace: default')}`).map(f => f.message)).toEqual([
      'ConfigMap default/c is written twice in `all.yaml`: the API server holds one such object, so at apply time the copy applied last silently replaces the others.',
    ]);
    expect(analyze(`${cm('name: c')}---\n${cm('name: c')}`).map(f => f.message)).toEqual([
      'ConfigMap default/c is written twice in `all.yaml`: the API server holds one such object, so at apply time the copy applied last silently replaces the others (identical today, so a change to one copy is silently undone by the other).',
    ]);
  });

  test('cluster-scoped kinds: the namespace cdk8s writes into them does not tell copies apart', () => {
    const issuer = (ns: string) => `apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: mesh-ca, namespace: ${ns}}\nspec: {selfSigned: {}}\n`;
    expect(analyze(`${issuer('a')}---\n${issuer('b')}`).map(f => [f.namespace, f.message])).toEqual([[
      'b',
      'ClusterIssuer.cert-manager.io mesh-ca is written twice in `all.yaml` (ClusterIssuer is cluster-scoped: the namespace in the manifests does not tell copies apart): the API server holds one such object, so at apply time the copy applied last silently replaces the others.',
    ]]);
  });

  test('other namespaces, kinds, groups, and generateName are different objects', () => {
    const gw = (group: string) => `apiVersion: ${group}\nkind: Gateway\nmetadata: {name: g, namespace: shop}\n`;
    expect(analyze([cm('name: c, namespace: a'), cm('name: c, namespace: b'), 'apiVersion: v1\nkind: Secret\nmetadata: {name: c, namespace: a}\n',
      gw('gateway.networking.k8s.io/v1'), gw('networking.istio.io/v1'), 'apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: j-, namespace: a}\n',
      'apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: j-, namespace: a}\n'].join('---\n'))).toEqual([]);
  });

  test('the CLI names both files and fails', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dup-cli-'));
    fs.writeFileSync(path.join(dir, 'a.yaml'), cm('name: c, namespace: shop'));
    fs.writeFileSync(path.join(dir, 'b.yaml'), cm('name: c, namespace: shop', 'b'));
    const out: string[] = [];
    const code = runCli(['analyze', dir, '--format', 'json'], { stdout: t => out.push(t), stderr: t => out.push(t), stdin: () => '' });
    expect(code).toBe(1);
    const findings = JSON.parse(out.join('')).findings;
    expect(findings.filter((f: any) => f.code === 'AMB135').map((f: any) => [f.source, f.message])).toEqual([[
      path.join(dir, 'b.yaml'),
      `ConfigMap shop/c is written twice, by \`${path.join(dir, 'a.yaml')}\` and \`${path.join(dir, 'b.yaml')}\`: the API server holds one such object, so at apply time the copy applied last silently replaces the others.`,
    ]]);
  });
});

describe('a cdk8s-plus object and a library construct for one object', () => {
  test('a kplus Namespace next to the AmbientNamespace of the same name fails synth, whatever the chart namespaces', () => {
    const app = Testing.app();
    const platform = new Chart(app, 'platform', { namespace: 'platform' });
    new AmbientNamespace(platform, 'shop', { name: 'shop' });
    const team = new Chart(app, 'team', { namespace: 'team' });
    new kplus.Namespace(team, 'shop', { metadata: { name: 'shop' } });
    expect(() => app.synth()).toThrow(new Error(
      'Validation failed with the following errors:\n  [team/shop] AMB135 Namespace team/shop: Namespace shop is written twice, by `platform/shop/Resource` and `team/shop/Resource` (Namespace is cluster-scoped: the namespace in the manifests does not tell copies apart): the API server holds one such object, so at apply time the copy applied last silently replaces the others. ' + fix));
  });
});
