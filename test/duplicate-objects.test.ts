import * as kplus from 'cdk8s-plus-28';
import { findObject, synthValid, testChart } from './support';
import { AmbientNamespace, GrpcRoute, HttpRoute, ResiliencePolicy, ResiliencePreset, RouteBackend, RouteParent } from '../src';

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
