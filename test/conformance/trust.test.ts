/**
 * Conformance vectors for src/semantics/trust.ts: how Istio 1.30.3 treats the trust domain of a
 * principal at Envoy proxies (waypoints, gateways) and at ztunnel. Facts carried over from upstream
 * tests and code; the vectors are restated here, not copied.
 */
import { ingressSkipsWaypointAcrossNetworks } from '../../src/semantics/multicluster';
import { envoyServiceAccountMatches, expandPrincipalForEnvoy, ztunnelPrincipalMatches, ztunnelServiceAccountMatches } from '../../src/semantics/trust';

// istio/istio 1.30.3, pilot/pkg/security/trustdomain/bundle_test.go, TestReplaceTrustDomainAliases:
// the principals istiod writes into Envoy RBAC for a policy principal, given trust domain + aliases.
const ENVOY_VECTORS: Array<[string, string, string[], string[], string[]]> = [
  ['No trust domain aliases (no change in trust domain)', 'cluster.local', [], ['cluster.local/ns/foo/sa/bar'], ['cluster.local/ns/foo/sa/bar']],
  ['Principal with *', 'cluster.local', [], ['*'], ['*']],
  ['Principal with * prefix', 'cluster.local', [], ['*/ns/foo/sa/bar'], ['*/ns/foo/sa/bar']],
  ['One trust domain alias, one principal', 'td2', ['td1'], ['td1/ns/foo/sa/bar'], ['td2/ns/foo/sa/bar', 'td1/ns/foo/sa/bar']],
  ['One trust domain alias, two principals', 'td1', ['cluster.local'], ['cluster.local/ns/foo/sa/bar', 'cluster.local/ns/yyy/sa/zzz'],
    ['td1/ns/foo/sa/bar', 'cluster.local/ns/foo/sa/bar', 'td1/ns/yyy/sa/zzz', 'cluster.local/ns/yyy/sa/zzz']],
  ['One trust domain alias, principals with * as-is', 'td1', ['cluster.local'], ['*/ns/foo/sa/bar', '*sa/zzz', '*'], ['*/ns/foo/sa/bar', '*sa/zzz', '*']],
  ['Two trust domain aliases, two principals', 'td2', ['td1', 'cluster.local'], ['cluster.local/ns/foo/sa/bar', 'td1/ns/yyy/sa/zzz'],
    ['td2/ns/foo/sa/bar', 'td1/ns/foo/sa/bar', 'cluster.local/ns/foo/sa/bar', 'td2/ns/yyy/sa/zzz', 'td1/ns/yyy/sa/zzz', 'cluster.local/ns/yyy/sa/zzz']],
  ['Two trust domain aliases with * prefix in trust domain', 'td2', ['foo-td1', 'cluster.local'], ['*-td1/ns/foo/sa/bar'],
    ['td2/ns/foo/sa/bar', '*-td1/ns/foo/sa/bar', 'cluster.local/ns/foo/sa/bar']],
  ['Principals not match any trust domains', 'td1', ['td2'], ['some-td/ns/foo/sa/bar'], ['some-td/ns/foo/sa/bar']],
  ['Principals match one alias', 'td1', ['td2', 'some-td'], ['some-td/ns/foo/sa/bar'], ['td1/ns/foo/sa/bar', 'td2/ns/foo/sa/bar', 'some-td/ns/foo/sa/bar']],
  ['One principal match one alias', 'new-td', ['td2', 'td3'], ['td1/ns/some-ns/sa/some-sa', 'td2/ns/foo/sa/bar'],
    ['td1/ns/some-ns/sa/some-sa', 'new-td/ns/foo/sa/bar', 'td2/ns/foo/sa/bar', 'td3/ns/foo/sa/bar']],
  ['Trust domain is empty string', 'new-td', ['td2', 'td3'], ['/ns/some-ns/sa/some-sa'], ['/ns/some-ns/sa/some-sa']],
  ['No duplicated principals for prefix', 'new-td', ['old-td'], ['*-td/ns/some-ns/sa/some-sa'], ['*-td/ns/some-ns/sa/some-sa']],
];

describe('Envoy (waypoint, gateway): istiod expands a principal over the trust domain and its aliases', () => {
  test.each(ENVOY_VECTORS)('bundle_test.go TestReplaceTrustDomainAliases: %s', (_name, trustDomain, aliases, principals, expected) => {
    expect(principals.flatMap(p => expandPrincipalForEnvoy(p, { trustDomain, aliases }))).toEqual(expected);
  });
});

describe('ztunnel: principals are matched literally', () => {
  // istio/istio 1.30.3, pilot/pkg/serviceregistry/ambient/authorization.go stringToMatch: "*" is
  // presence, a leading "*" a suffix match, a trailing "*" a prefix match, anything else exact; no
  // trust-domain rewriting. istio/ztunnel 1.30.3, src/rbac.rs StringMatch::matches_principal strips
  // "spiffe://" from the peer identity and applies the match; rbac_test!(principals, ...) matches the
  // exact "td/ns/namespace/sa/account" against spiffe://td/ns/namespace/sa/account.
  const VECTORS: Array<[string, string, boolean]> = [
    ['td/ns/namespace/sa/account', 'td/ns/namespace/sa/account', true],
    ['cluster.local/ns/namespace/sa/account', 'td/ns/namespace/sa/account', false], // no local pointer at ztunnel
    ['old-td/ns/namespace/sa/account', 'td/ns/namespace/sa/account', false], // no alias expansion at ztunnel
    ['*', 'td/ns/namespace/sa/account', true],
    ['*/ns/namespace/sa/account', 'td/ns/namespace/sa/account', true],
    ['td/ns/namespace/*', 'td/ns/namespace/sa/account', true],
    ['td/ns/other/*', 'td/ns/namespace/sa/account', false],
  ];
  test.each(VECTORS)('%s vs peer %s -> %s', (pattern, peer, matches) => {
    expect(ztunnelPrincipalMatches(pattern, peer)).toBe(matches);
  });
});

describe('multicluster: ingress-use-waypoint of a global service across networks', () => {
  // istio/istio 1.30.3, pilot/pkg/serviceregistry/ambient/multicluster.go, SplitHorizonServices: the
  // rebuilt ServiceInfo keeps Service, Scope, CreationTime and DNSConnectStrategy only, so the
  // Waypoint binding (and its IngressUseWaypoint) is lost for a global service with workloads on
  // another network (istio/istio#61092). Fixed on release-1.30 by ab33d4433ae (#61124), with
  // TestMulticlusterAmbientIndex_SplitHorizonPreservesWaypoint, after the 1.30.3 tag.
  test.each([
    [{ major: 1, minor: 30, patch: 0 }, true],
    [{ major: 1, minor: 30, patch: 3 }, true],
    [{ major: 1, minor: 30, patch: 4 }, false],
    [{ major: 1, minor: 31, patch: 0 }, false],
  ])('%o -> %s', (version, affected) => {
    expect(ingressSkipsWaypointAcrossNetworks(version)).toBe(affected);
  });
});

describe('source.serviceAccounts names no trust domain', () => {
  // istio/istio 1.30.3, pilot/pkg/security/authz/model/generator_test.go, TestServiceAccount (cases
  // restated: full-string regex match of the peer SPIFFE ID) and TestServiceAccountRegex.
  const ENVOY: Array<[string, string, string, boolean]> = [
    ['standard', 'my-ns/my-sa', 'spiffe://cluster.local/ns/my-ns/sa/my-sa', true],
    ['suffix attributes', 'my-ns/my-sa', 'spiffe://cluster.local/ns/my-ns/sa/my-sa/k/v', true],
    ['middle attributes', 'my-ns/my-sa', 'spiffe://cluster.local/ns/my-ns/k/v/sa/my-sa', true],
    ['sa suffix string', 'my-ns/my-sa', 'spiffe://cluster.local/ns/my-ns/sa/my-sa-suffix', false],
    ['ns suffix string', 'my-ns/my-sa', 'spiffe://cluster.local/ns/my-ns-suffix/sa/my-sa', false],
    ['not spiffe', 'my-ns/my-sa', 'cluster.local/ns/my-ns/sa/my-sa', false],
    ['invalid spiffe', 'my-ns/my-sa', 'spiffe://ns/my-ns/sa/my-sa', false],
    ['regex metachars - dot should not match arbitrary char in sa', 'my.ns/my.sa', 'spiffe://cluster.local/ns/my.ns/sa/myXsa', false],
    // The regex starts `spiffe://.+/`: any trust domain.
    ['any trust domain', 'my-ns/my-sa', 'spiffe://old.example.com/ns/my-ns/sa/my-sa', true],
  ];
  test.each(ENVOY)('Envoy (generator.go serviceAccountRegex): %s', (_name, spec, identity, matches) => {
    expect(envoyServiceAccountMatches(spec, '', identity)).toBe(matches);
  });

  // istio/ztunnel 1.30.3, src/rbac.rs ServiceAccountMatch::matches compares namespace and service
  // account and ignores trust_domain; istio/istio 1.30.3 ambient/authorization.go
  // stringToServiceAccountMatch takes "<ns>/<sa>", or "<sa>" in the policy's namespace.
  test.each([
    ['namespace/account', { trustDomain: 'td', namespace: 'namespace', serviceAccount: 'account' }, true],
    ['namespace/account', { trustDomain: 'other-td', namespace: 'namespace', serviceAccount: 'account' }, true],
    ['account', { trustDomain: 'td', namespace: 'policy-ns', serviceAccount: 'account' }, true],
    ['namespace/account', { trustDomain: 'td', namespace: 'namespace', serviceAccount: 'other' }, false],
  ] as const)('ztunnel: %s vs %o -> %s', (spec, peer, matches) => {
    expect(ztunnelServiceAccountMatches(spec, 'policy-ns', peer)).toBe(matches);
  });
});
