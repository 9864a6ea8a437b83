import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { findObject, synthValid, testChart } from './support';
import { AmbientNamespace, HttpRoute, RouteBackend, RouteParent } from '../src';
import { crdcheckErrors } from './support/crdcheck';

function shop() {
  const chart = testChart({ namespace: 'shop' });
  new AmbientNamespace(chart, 'ns', { name: 'shop' }).addWaypoint('waypoint');
  const svc = (name: string) => {
    const s = new kplus.Service(chart, name, { metadata: { name }, ports: [{ port: 8080, name: 'http' }] });
    s.selectLabel('app', name);
    return s;
  };
  return { chart, api: svc('api'), apiV2: svc('api-v2'), shadow: svc('api-shadow') };
}

describe('HttpRoute: RequestMirror and CORS (Gateway API v1.5 standard channel)', () => {
  test('mirror a share of requests and answer CORS at the waypoint; admitted by the HTTPRoute CRD', () => {
    const { chart, api, apiV2, shadow } = shop();
    new HttpRoute(chart, 'api-route', {
      name: 'api',
      parents: [RouteParent.service(api, 8080)],
      rules: [{
        backends: [RouteBackend.service(api), RouteBackend.service(apiV2, { weight: 0 })],
        mirrors: [{ backend: RouteBackend.service(shadow), percent: 10 }, { backend: RouteBackend.serviceName('audit', 9000, { namespace: 'audit' }) }],
        cors: {
          allowOrigins: ['https://shop.example.com', 'https://*.example.com'],
          allowMethods: ['GET', 'POST'],
          allowHeaders: ['Content-Type', 'Authorization'],
          exposeHeaders: ['X-Request-Id'],
          allowCredentials: true,
          maxAge: Duration.minutes(10),
        },
      }],
    });
    const objects = synthValid(chart);
    const route = findObject(objects, 'HTTPRoute');
    expect(route.spec.rules[0].filters).toEqual([
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'api-shadow', port: 8080 }, percent: 10 } },
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'audit', namespace: 'audit', port: 9000 } } },
      {
        type: 'CORS',
        cors: {
          allowOrigins: ['https://shop.example.com', 'https://*.example.com'],
          allowMethods: ['GET', 'POST'],
          allowHeaders: ['Content-Type', 'Authorization'],
          exposeHeaders: ['X-Request-Id'],
          allowCredentials: true,
          maxAge: 600,
        },
      },
    ]);
    // The cross-namespace mirror gets its ReferenceGrant, like a backend.
    expect(findObject(objects, 'ReferenceGrant').metadata.namespace).toBe('audit');
    expect(crdcheckErrors(objects.filter(o => o.apiVersion.startsWith('gateway.networking.k8s.io')))).toEqual([]);
    // The same check rejects what the CRD's CEL rules forbid (so the assertion above can fail).
    const bad = JSON.parse(JSON.stringify(route));
    bad.spec.rules[0].filters[0].requestMirror.fraction = { numerator: 1 };
    expect(crdcheckErrors([bad]).join('\n')).toContain('Only one of percent or fraction may be specified in HTTPRequestMirrorFilter');
  });

  test('refused: what the CRD rejects or the browser would misuse', () => {
    const { chart, api, shadow } = shop();
    const route = (id: string, rule: any) => new HttpRoute(chart, id, { parents: [RouteParent.service(api, 8080)], rules: [{ backends: [RouteBackend.service(api)], ...rule }] });
    expect(() => route('a', { cors: { allowOrigins: ['*', 'https://a.example.com'] } })).toThrow('[test/a] rule 0: cors.allowOrigins has "*" alongside other values; "*" must stand alone.');
    expect(() => route('b', { cors: { allowOrigins: ['shop.example.com'] } })).toThrow('[test/b] rule 0: cors origin "shop.example.com" must be "*" or scheme://host[:port], e.g. "https://shop.example.com" or "https://*.example.com".');
    expect(() => route('c', { cors: { allowOrigins: ['*'], allowCredentials: true } })).toThrow('[test/c] rule 0: cors.allowCredentials with the origin "*" would let any web site make credentialed requests (cookies, Authorization). Name the origins instead.');
    expect(() => route('d', { cors: { allowOrigins: ['*'], allowMethods: ['FETCH'] } })).toThrow('[test/d] rule 0: cors method "FETCH" is not one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH, *.');
    expect(() => route('e', { cors: { allowOrigins: [] } })).toThrow('[test/e] rule 0: cors.allowOrigins is empty; name the origins allowed (or "*").');
    expect(() => route('f', { cors: { allowOrigins: ['*'], allowHeaders: ['bad header'] } })).toThrow('[test/f] rule 0: cors header "bad header" is not an HTTP header name.');
    expect(() => route('g', { mirrors: [{ backend: RouteBackend.service(shadow), percent: 150 }] })).toThrow('[test/g] rule 0 mirrors[0]: percent 150 must be a whole number from 0 to 100.');
    expect(() => route('h', { mirrors: [{ backend: RouteBackend.service(shadow, { weight: 5 }) }] })).toThrow('[test/h] rule 0 mirrors[0]: a mirror backend has no weight (every mirrored request goes to it); use percent.');
    expect(() => new HttpRoute(chart, 'i', { parents: [RouteParent.service(api, 8080)], rules: [{ redirect: { hostname: 'x.example.com' }, mirrors: [{ backend: RouteBackend.service(shadow) }] }] }))
      .toThrow('[test/i] rule 0: a redirect answers the request itself, so nothing would be mirrored. Remove the mirrors or the redirect.');
  });
});
