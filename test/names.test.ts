import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { findObject, synthValid } from './support';
import { AmbientNamespace, EgressHost, EgressProtocol, PolicySource, PolicyTarget, ZeroTrustPolicy } from '../src';

function egress() {
  const app = Testing.app();
  const chart = new Chart(app, 'egress', { namespace: 'egress' });
  const ns = new AmbientNamespace(chart, 'ns', { name: 'egress' });
  return { app, chart, waypoint: ns.addWaypoint('wp', { name: 'egress-waypoint', enroll: false }) };
}

describe('EgressHost: names and the ALLOW policy as an option', () => {
  test('default names are unchanged: <host-with-dashes>, and <name>-egress for the policy', () => {
    const { chart, waypoint } = egress();
    new EgressHost(chart, 'h', { host: 'api.stripe.com', waypoint, protocol: EgressProtocol.HTTP_WITH_TLS_ORIGINATION, allow: [{ source: PolicySource.namespaces('shop') }] });
    const objects = synthValid(chart);
    expect(objects.filter(o => o.kind !== 'Namespace' && o.kind !== 'Gateway').map(o => `${o.kind}/${o.metadata.name}`))
      .toEqual(['ServiceEntry/api-stripe-com', 'DestinationRule/api-stripe-com', 'AuthorizationPolicy/api-stripe-com-egress']);
  });

  test('names users keep from a running cluster', () => {
    const { chart, waypoint } = egress();
    new EgressHost(chart, 'h', {
      host: 'api.stripe.com',
      waypoint,
      protocol: EgressProtocol.HTTP_WITH_TLS_ORIGINATION,
      serviceEntryName: 'stripe',
      destinationRuleName: 'stripe-tls',
      policyName: 'stripe-callers',
      allow: [{ source: PolicySource.namespaces('shop') }],
    });
    const objects = synthValid(chart);
    expect(findObject(objects, 'ServiceEntry').metadata.name).toBe('stripe');
    expect(findObject(objects, 'DestinationRule').metadata.name).toBe('stripe-tls');
    expect(findObject(objects, 'AuthorizationPolicy').metadata.name).toBe('stripe-callers');
    expect(findObject(objects, 'AuthorizationPolicy').spec.targetRefs).toEqual([{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'stripe' }]);
  });

  test('without allow rules no policy is written, when the egress waypoint denies by default', () => {
    const { app, chart, waypoint } = egress();
    new EgressHost(chart, 'h', { host: 'api.stripe.com', waypoint });
    new ZeroTrustPolicy(chart, 'zero-trust');
    app.synth();
    const objects = Testing.synth(chart);
    expect(objects.filter(o => o.kind === 'AuthorizationPolicy').map(o => o.metadata.name).sort()).toEqual(['allow-nothing', 'allow-nothing-egress-waypoint']);
  });

  test('refused: no allow rules and nothing denies by default (that would be allow-all)', () => {
    const { app, chart, waypoint } = egress();
    new EgressHost(chart, 'h', { host: 'api.stripe.com', waypoint });
    expect(() => app.synth()).toThrow('EgressHost "api.stripe.com" has no allow rules, and nothing denies by default at waypoint "egress/egress-waypoint" (no ZeroTrustPolicy with default deny in namespace "egress" or mesh-wide), so every client in the mesh could reach the host. Add allow rules, or declare a ZeroTrustPolicy for namespace "egress" and admit the callers there.');
  });

  test('refused: names for objects that are not written, invalid names, empty allow', () => {
    const { chart, waypoint } = egress();
    expect(() => new EgressHost(chart, 'a', { host: 'x.com', waypoint, destinationRuleName: 'x-tls', allow: [{ source: PolicySource.namespaces('a') }] })).toThrow(
      '[egress/a] destinationRuleName names the TLS-origination DestinationRule, which only EgressProtocol.HTTP_WITH_TLS_ORIGINATION writes. Drop it.');
    expect(() => new EgressHost(chart, 'b', { host: 'x.com', waypoint, policyName: 'x-allow' })).toThrow(
      '[egress/b] policyName names the ALLOW policy written for allow rules, and there are none. Drop policyName or add allow rules.');
    expect(() => new EgressHost(chart, 'c', { host: 'x.com', waypoint, serviceEntryName: 'X_com', allow: [{ source: PolicySource.namespaces('a') }] })).toThrow(
      '[egress/c] serviceEntryName "X_com" is not a valid object name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit.');
    expect(() => new EgressHost(chart, 'd', { host: 'x.com', waypoint, allow: [] })).toThrow(
      '[egress/d] allow is empty: nobody could reach the host. Name the sources that may call it, or drop allow to manage the waypoint\'s policies yourself.');
  });
});

describe('ZeroTrustPolicy: names users choose', () => {
  function shop(names?: { [key: string]: string }) {
    const app = Testing.app();
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    new AmbientNamespace(chart, 'ns', { name: 'shop' }).addWaypoint('waypoint');
    const api = new kplus.Service(chart, 'api', { metadata: { name: 'api' }, ports: [{ port: 8000, targetPort: 8080, name: 'http' }] });
    api.selectLabel('app', 'api');
    const policy = new ZeroTrustPolicy(chart, 'policy', { names });
    policy.to(PolicyTarget.service(api))
      .requireJwt({ issuer: 'https://issuer.example.com', jwksUri: 'https://issuer.example.com/jwks.json' })
      .allowFrom(PolicySource.serviceAccountName('shop', 'frontend'), { methods: ['GET'] });
    return { app, chart };
  }

  test('every emitted object can be renamed, per destination and enforcement point; the others keep their names', () => {
    const { app, chart } = shop({
      'api-waypoint': 'allow-frontend-get',
      'api-jwt': 'api-token',
      'api-require-jwt': 'api-deny-without-token',
      'allow-nothing': 'deny-all',
      'default': 'mtls',
    });
    app.synth();
    const objects = synthValid(chart).filter(o => o.apiVersion.startsWith('security.istio.io'));
    expect(objects.map(o => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'AuthorizationPolicy/allow-frontend-get',
      'AuthorizationPolicy/allow-nothing-waypoint',
      'AuthorizationPolicy/api-deny-without-token',
      'AuthorizationPolicy/deny-all',
      'AuthorizationPolicy/require-waypoint',
      'PeerAuthentication/mtls',
      'RequestAuthentication/api-token',
    ]);
    expect(findObject(objects, 'AuthorizationPolicy', 'allow-frontend-get').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'] } }], to: [{ operation: { methods: ['GET'] } }] },
    ]);
  });

  test('without names the output is unchanged', () => {
    const { chart } = shop();
    expect(Testing.synth(chart).filter(o => o.apiVersion.startsWith('security.istio.io')).map(o => o.metadata.name).sort()).toEqual([
      'allow-nothing', 'allow-nothing-waypoint', 'api-jwt', 'api-require-jwt', 'api-waypoint', 'default', 'require-waypoint',
    ]);
  });

  test('refused: unknown keys, clashes, invalid names', () => {
    const typo = shop({ 'api-waypiont': 'x' });
    expect(() => typo.app.synth()).toThrow('names has "api-waypiont", but this policy emits no object of that name (it emits allow-nothing, allow-nothing-waypoint, api-jwt, api-require-jwt, api-waypoint, default, require-waypoint). Fix the key.');
    const clash = shop({ 'api-waypoint': 'require-waypoint' });
    expect(() => clash.app.synth()).toThrow('names renames "api-waypoint" to "require-waypoint", which is also the name of another object of this policy. Choose another name.');
    expect(() => shop({ 'api-waypoint': 'same', 'allow-nothing': 'same' })).toThrow('[shop/policy] names gives "api-waypoint" and "allow-nothing" the same name "same"; each object needs its own.');
    expect(() => shop({ 'api-waypoint': 'Not_Valid' })).toThrow('[shop/policy] names["api-waypoint"] "Not_Valid" is not a valid object name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit.');
  });
});

describe('EgressHost: two hosts writing the same objects are refused', () => {
  const tls = EgressProtocol.HTTP_WITH_TLS_ORIGINATION;
  const allow = [{ source: PolicySource.namespaces('shop') }];

  test('the same host twice: the ServiceEntry name is taken', () => {
    const { chart, waypoint } = egress();
    new EgressHost(chart, 'a', { host: 'api.stripe.com', waypoint, allow });
    expect(() => new EgressHost(chart, 'b', { host: 'api.stripe.com', waypoint, allow })).toThrow(
      '[egress/b] ServiceEntry "egress/api-stripe-com" is already written by egress/a; the second would overwrite the first at apply time. Declare one EgressHost per host, or give one a different `serviceEntryName`.');
  });

  test('another ServiceEntry name, but the same TLS-origination DestinationRule name', () => {
    const { chart, waypoint } = egress();
    new EgressHost(chart, 'a', { host: 'api.stripe.com', waypoint, protocol: tls, destinationRuleName: 'tls', allow });
    expect(() => new EgressHost(chart, 'b', { host: 'files.stripe.com', waypoint, protocol: tls, destinationRuleName: 'tls', allow })).toThrow(
      '[egress/b] DestinationRule "egress/tls" is already written by egress/a; the second would overwrite the first at apply time. Give one a different `destinationRuleName`.');
  });

  test('other names, one host: two TLS-origination DestinationRules istiod would merge', () => {
    const { chart, waypoint } = egress();
    new EgressHost(chart, 'a', { host: 'api.stripe.com', waypoint, protocol: tls, allow });
    expect(() => new EgressHost(chart, 'b', { host: 'api.stripe.com', waypoint, protocol: tls, serviceEntryName: 'stripe', destinationRuleName: 'stripe-tls', policyName: 'stripe-callers', allow })).toThrow(
      '[egress/b] host "api.stripe.com" already has a DestinationRule "api-stripe-com" in namespace "egress", written by egress/a; with a second one for the same host, istiod keeps the trafficPolicy of the one created first and silently drops the other\'s. Declare one EgressHost per host.');
  });

  test('the same policy name for two hosts', () => {
    const { chart, waypoint } = egress();
    new EgressHost(chart, 'a', { host: 'api.stripe.com', waypoint, policyName: 'callers', allow });
    expect(() => new EgressHost(chart, 'b', { host: 'files.stripe.com', waypoint, policyName: 'callers', allow })).toThrow(
      '[egress/b] AuthorizationPolicy "egress/callers" is already written by egress/a; the second would overwrite the first at apply time. Give one a different `policyName`.');
    const objects = synthValid(chart);
    expect(objects.filter(o => o.kind === 'ServiceEntry').map(o => o.metadata.name)).toEqual(['api-stripe-com']);
  });
});
