import { Duration, Testing, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { findObject, synthValid, testChart } from './support';
import {
  AmbientNamespace, GatewayApiChannel, GrpcRoute, HttpRoute, HttpRouteRule, IngressGateway, PathMatch, PathModifier, PolicyTarget, RouteBackend, RouteParent,
} from '../src';
import { headerNameProblem, hostnameProblem, matchValueProblem, pathMatchProblem, portProblem } from '../src/semantics/gateway-api-syntax';

function shop() {
  const chart = testChart({ namespace: 'shop' });
  new AmbientNamespace(chart, 'ns', { name: 'shop' }).addWaypoint('waypoint');
  const api = new kplus.Service(chart, 'api', { metadata: { name: 'api' }, ports: [{ port: 8080, name: 'http' }] });
  api.selectLabel('app', 'api');
  return { chart, api };
}

describe('Gateway API syntax (HTTPRoute/GRPCRoute CRD v1.5.1 patterns and CEL rules)', () => {
  test.each([
    ['/api//v1', "contains '//', which the HTTPRoute CRD refuses in a path match"],
    ['/a/./b', "contains '/./', which the HTTPRoute CRD refuses in a path match"],
    ['/a/../b', "contains '/../', which the HTTPRoute CRD refuses in a path match"],
    ['/a%2fb', "contains '%2f', which the HTTPRoute CRD refuses in a path match"],
    ['/a%2Fb', "contains '%2F', which the HTTPRoute CRD refuses in a path match"],
    ['/a#frag', "contains '#', which the HTTPRoute CRD refuses in a path match"],
    ['/a/..', "ends with '/..', which the HTTPRoute CRD refuses in a path match"],
    ['/a/.', "ends with '/.', which the HTTPRoute CRD refuses in a path match"],
    ['/a b', "has characters a URL path cannot hold unescaped: percent-encode them (e.g. ' ' as %20)"],
    ['api', "must start with '/'"],
    ['/' + 'a'.repeat(1024), 'is 1025 characters long, more than 1024'],
  ])('path match %j is refused: %s', (path, problem) => {
    expect(pathMatchProblem(path)).toBe(problem);
    expect(() => PathMatch.prefix(path)).toThrow(`[PathMatch.prefix()] path: "${path}" ${problem}. Give the path as clients send it, normalized (e.g. "/api/v1").`);
    expect(() => PathMatch.exact(path)).toThrow(`[PathMatch.exact()] path: "${path}" ${problem}.`);
  });

  test('valid paths and regexes pass; a regex path is not held to the Exact/PathPrefix rules', () => {
    for (const p of ['/', '/api/v1', '/a%20b', "/x-y_z~!$&'()*+,;=:@"]) expect(pathMatchProblem(p)).toBeUndefined();
    expect(PathMatch.regex('/a//b.*')._value).toBe('/a//b.*');
  });

  test('path modifiers name the factory', () => {
    expect(() => PathModifier.replaceFullPath('v2')).toThrow('[PathModifier.replaceFullPath()] path: "v2" must start with "/", e.g. "/v2".');
    expect(() => PathModifier.replacePrefix('/' + 'a'.repeat(1024))).toThrow(`[PathModifier.replacePrefix()] path: "/${'a'.repeat(31)}..." is 1025 characters long; the HTTPRoute CRD takes at most 1024.`);
  });

  test('pure rules: header names, values, hostnames, ports', () => {
    expect(headerNameProblem('x-user')).toBeUndefined();
    expect(headerNameProblem('')).toBe('is empty');
    expect(headerNameProblem('a'.repeat(257))).toBe('is 257 characters long, more than 256');
    expect(headerNameProblem('x user')).toBe("is not an HTTP token: use letters, digits and !#$%&'*+-.^_`|~ only (no spaces, ':' or '/')");
    expect(headerNameProblem(':authority')).toBe("is not an HTTP token: use letters, digits and !#$%&'*+-.^_`|~ only (no spaces, ':' or '/')");
    expect(matchValueProblem('', 4096)).toBe('is empty');
    expect(matchValueProblem('a'.repeat(1025), 1024)).toBe('is 1025 characters long, more than 1024');
    expect(matchValueProblem('a'.repeat(1025), 4096)).toBeUndefined();
    expect(hostnameProblem('*.example.com', true)).toBeUndefined();
    expect(hostnameProblem('*.example.com', false)).toBe('must be a lowercase DNS name without wildcard or port');
    expect(hostnameProblem('shop.example.com:443', true)).toBe('must be a lowercase DNS name, optionally starting with "*.", without port');
    expect(hostnameProblem('a.'.repeat(127) + 'a', true)).toBe('is 255 characters long, more than 253');
    expect(portProblem(65535)).toBeUndefined();
    expect(portProblem(0)).toBe('is not a port number (a whole number from 1 to 65535)');
    expect(portProblem(8.5)).toBe('is not a port number (a whole number from 1 to 65535)');
  });

  const matchCases: [string, HttpRouteRule['matches'], string][] = [
    ['header name', [{ headers: [{ name: 'x user', value: 'a' }] }],
      '[test/r] rule 0: matches[0].headers[0].name: "x user" is not an HTTP token'],
    ['empty header value', [{ headers: [{ name: 'x-user', value: '' }] }],
      '[test/r] rule 0: matches[0].headers[0].value: "" is empty; give a value of 1 to 4096 characters.'],
    ['long header value', [{ headers: [{ name: 'x-user', value: 'v'.repeat(4097) }] }],
      `[test/r] rule 0: matches[0].headers[0].value: "${'v'.repeat(64)}" is 4097 characters long, more than 4096; give a value of 1 to 4096 characters.`],
    ['bad header regex', [{ headers: [{ name: 'x-user', value: '(', regex: true }] }],
      '[test/r] rule 0: matches[0].headers[0].value: "(" is not a valid regular expression; fix it or drop `regex`.'],
    ['query name', [{ queryParams: [{ name: 'a=b', value: '1' }] }],
      '[test/r] rule 0: matches[0].queryParams[0].name: "a=b" is not an HTTP token'],
    ['long query value', [{ queryParams: [{ name: 'q', value: 'v'.repeat(1025) }] }],
      `[test/r] rule 0: matches[0].queryParams[0].value: "${'v'.repeat(64)}" is 1025 characters long, more than 1024; give a value of 1 to 1024 characters.`],
  ];
  test.each(matchCases)('HTTPRoute %s is refused', (_what, matches, message) => {
    const { chart, api } = shop();
    expect(() => new HttpRoute(chart, 'r', { parents: [RouteParent.service(api)], rules: [{ matches, backends: [RouteBackend.service(api)] }] })).toThrow(message);
  });

  test('GRPCRoute header matches are checked the same way', () => {
    const { chart, api } = shop();
    expect(() => new GrpcRoute(chart, 'g', {
      parents: [RouteParent.service(api)],
      rules: [{ matches: [{ service: 'echo.Echo' }, { headers: [{ name: 'x:y', value: 'a' }] }], backends: [RouteBackend.service(api)] }],
    })).toThrow('[test/g] rule 0: matches[1].headers[0].name: "x:y" is not an HTTP token');
  });

  test.each([
    [{ requestHeaders: { set: { 'x y': 'a' } } }, '[test/r] rule 0: requestHeaders: header name: "x y" is not an HTTP token'],
    [{ responseHeaders: { remove: [''] } }, '[test/r] rule 0: responseHeaders: header name: "" is empty.'],
    [{ requestHeaders: { add: { 'x-a': '' } } }, '[test/r] rule 0: requestHeaders: value of header "x-a": "" is empty; give a value of 1 to 4096 characters (use remove to drop a header).'],
  ])('header modifier %j is refused', (filters, message) => {
    const { chart, api } = shop();
    expect(() => new HttpRoute(chart, 'r', { parents: [RouteParent.service(api)], rules: [{ ...filters, backends: [RouteBackend.service(api)] }] })).toThrow(message);
  });

  test.each([
    [{ scheme: 'HTTPS' }, '[test/r] rule 0: redirect.scheme: "HTTPS" is not a redirect scheme; use "http" or "https" (lowercase).'],
    [{ scheme: 'ftp' }, '[test/r] rule 0: redirect.scheme: "ftp" is not a redirect scheme'],
    [{ port: 0 }, '[test/r] rule 0: redirect.port: 0 is not a port number (a whole number from 1 to 65535); give the port clients should use, or leave it out.'],
    [{ port: 70000 }, '[test/r] rule 0: redirect.port: 70000 is not a port number'],
    [{ hostname: '*.example.com' }, '[test/r] rule 0: redirect.hostname: "*.example.com" must be a lowercase DNS name without wildcard or port, e.g. "shop.example.com".'],
  ])('redirect %j is refused', (redirect, message) => {
    const { chart } = shop();
    const gw = new IngressGateway(chart, 'gw', { name: 'web' });
    expect(() => new HttpRoute(chart, 'r', { parents: [RouteParent.gateway(gw)], rules: [{ redirect }] })).toThrow(message);
  });

  test('rewrite hostname and route hostnames are checked; valid redirects are admitted', () => {
    const { chart, api } = shop();
    const gw = new IngressGateway(chart, 'gw', { name: 'web' });
    expect(() => new HttpRoute(chart, 'r', { parents: [RouteParent.gateway(gw)], rules: [{ rewrite: { hostname: 'API' }, backends: [RouteBackend.service(api)] }] }))
      .toThrow('[test/r] rule 0: rewrite.hostname: "API" must be a lowercase DNS name without wildcard or port, e.g. "shop.example.com".');
    expect(() => new HttpRoute(chart, 'h', { parents: [RouteParent.gateway(gw)], hostnames: ['shop.example.com', 'Shop.example.com'], rules: [{ backends: [RouteBackend.service(api)] }] }))
      .toThrow('[test/h] hostnames[1]: "Shop.example.com" must be a lowercase DNS name, optionally starting with "*.", without port, e.g. "shop.example.com".');
    expect(() => new HttpRoute(chart, 'many', { parents: [RouteParent.gateway(gw)], hostnames: Array.from({ length: 17 }, (_, i) => `h${i}.example.com`), rules: [{ backends: [RouteBackend.service(api)] }] }))
      .toThrow('[test/many] hostnames: 17 given; a route takes at most 16 (split the route).');
    new HttpRoute(chart, 'ok', {
      parents: [RouteParent.gateway(gw)],
      hostnames: ['*.example.com'],
      rules: [{ matches: [{ path: PathMatch.prefix('/old'), headers: [{ name: 'x-env', value: 'prod' }] }], redirect: { scheme: 'https', port: 443, hostname: 'new.example.com', statusCode: 301 } }],
    });
    const route = findObject(synthValid(chart), 'HTTPRoute', 'ok');
    expect(route.spec.rules[0].filters).toEqual([{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', port: 443, hostname: 'new.example.com', statusCode: 301 } }]);
  });

  test('a retry without backoff or codes writes no null fields', () => {
    const { chart, api } = shop();
    new HttpRoute(chart, 'r', { parents: [RouteParent.service(api)], channel: GatewayApiChannel.EXPERIMENTAL, rules: [{ backends: [RouteBackend.service(api)], retry: { attempts: 2 } }] });
    const route = Testing.synth(chart).find(o => o.kind === 'HTTPRoute');
    expect(route.spec.rules[0].retry).toStrictEqual({ attempts: 2 });
    expect(Yaml.stringify(route)).not.toContain('null');
  });

  test('a retry backoff is rendered', () => {
    const { chart, api } = shop();
    new HttpRoute(chart, 'r', { parents: [RouteParent.service(api)], channel: GatewayApiChannel.EXPERIMENTAL, rules: [{ backends: [RouteBackend.service(api)], retry: { attempts: 1, backoff: Duration.millis(250) } }] });
    expect(Testing.synth(chart).find(o => o.kind === 'HTTPRoute').spec.rules[0].retry).toStrictEqual({ attempts: 1, backoff: '250ms' });
  });

  test('a Service parent port must be one of the Service\'s ports', () => {
    const { chart, api } = shop();
    expect(() => RouteParent.service(api, 9090))
      .toThrow('[test/api] RouteParent.service() port: Service "api" has no port 9090 (ports: 8080); give one of its ports, or leave port out to attach to all of them.');
    expect(() => RouteParent.service(api, 0)).toThrow('[test/api] RouteParent.service() port: 0 is not a port number (a whole number from 1 to 65535).');
    new HttpRoute(chart, 'r', { parents: [RouteParent.service(api, 8080)], rules: [{ backends: [RouteBackend.service(api)] }] });
    expect(findObject(synthValid(chart), 'HTTPRoute').spec.parentRefs).toEqual([{ group: '', kind: 'Service', name: 'api', port: 8080 }]);
  });
});

describe('Kubernetes label syntax (apimachinery IsQualifiedName / IsValidLabelValue)', () => {
  test.each([
    [{ 'team name': 'shop' }, 'labels: label key "team name" is not a valid label key: use an optional DNS prefix and \'/\' (e.g. "example.com/"), then at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit.'],
    [{ 'Example.com/team': 'shop' }, 'labels: label key "Example.com/team" is not a valid label key'],
    [{ ['t'.repeat(64)]: 'shop' }, `labels: label key "${'t'.repeat(64)}" is not a valid label key`],
    [{ team: 'shop floor' }, 'labels: label team="shop floor" is not a valid label value: use at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit (or an empty value).'],
    [{ team: '-shop' }, 'labels: label team="-shop" is not a valid label value'],
    [{ team: 's'.repeat(64) }, `labels: label team="${'s'.repeat(64)}" is not a valid label value`],
  ])('AmbientNamespace labels %j are refused', (labels, message) => {
    const chart = testChart();
    expect(() => new AmbientNamespace(chart, 'ns', { name: 'shop', labels })).toThrow(`[test/ns] ${message}`);
  });

  test('valid keys and values, including a prefix and an empty value, are written', () => {
    const chart = testChart();
    new AmbientNamespace(chart, 'ns', { name: 'shop', labels: { 'example.com/team': 'shop_1.a', 'tier': '' } });
    expect(findObject(synthValid(chart), 'Namespace').metadata.labels).toEqual({ 'example.com/team': 'shop_1.a', 'tier': '', 'istio.io/dataplane-mode': 'ambient' });
  });

  test('PolicyTarget.serviceName() selector is checked', () => {
    expect(() => PolicyTarget.serviceName('api', { selector: { app: 'api v2' } }))
      .toThrow('[PolicyTarget.serviceName()] selector: label app="api v2" is not a valid label value');
  });
});
