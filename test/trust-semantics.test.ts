import {
  PrincipalTrust, bundleProblems, classifyPrincipal, parsePrincipal, sharedTrustProblems, trustDomainProblem,
} from '../src/semantics/trust';

const bundle = { trustDomain: 'mesh.example.com', aliases: ['old.example.com'] };

describe('trust semantics', () => {
  test('trust domains: host part of a SPIFFE ID only', () => {
    expect(trustDomainProblem('mesh.example.com')).toBeUndefined();
    expect(trustDomainProblem('spiffe://mesh.example.com')).toBe('trust domain "spiffe://mesh.example.com" contains "spiffe://" or "/": give only the host part of the SPIFFE ID, e.g. "cluster.local".');
    expect(trustDomainProblem('-bad')).toBe('trust domain "-bad" is invalid: use letters, digits, \'.\', \'-\' and \'_\', starting and ending with a letter or digit.');
  });

  test('bundle problems: invalid, self and duplicate aliases', () => {
    expect(bundleProblems(bundle)).toEqual([]);
    expect(bundleProblems({ trustDomain: 'td', aliases: ['td', 'a', 'a', 'x/y'] })).toEqual([
      'alias "td" is the trust domain itself; drop it from the aliases.',
      'alias "a" is listed twice.',
      'alias: trust domain "x/y" contains "spiffe://" or "/": give only the host part of the SPIFFE ID, e.g. "cluster.local".',
    ]);
  });

  test('parsePrincipal', () => {
    expect(parsePrincipal('td/ns/a/sa/b')).toEqual({ trustDomain: 'td', namespace: 'a', serviceAccount: 'b' });
    expect(parsePrincipal('spiffe://td/ns/a/sa/b')).toBeUndefined();
    expect(parsePrincipal('td/a/b')).toBeUndefined();
  });

  test.each([
    ['mesh.example.com/ns/a/sa/b', 'ztunnel', PrincipalTrust.OK],
    ['mesh.example.com/ns/a/sa/b', 'envoy', PrincipalTrust.OK],
    ['old.example.com/ns/a/sa/b', 'envoy', PrincipalTrust.ALIAS],
    ['old.example.com/ns/a/sa/b', 'ztunnel', PrincipalTrust.LITERAL_MISMATCH],
    ['cluster.local/ns/a/sa/b', 'envoy', PrincipalTrust.LOCAL_POINTER],
    ['cluster.local/ns/a/sa/b', 'ztunnel', PrincipalTrust.LITERAL_MISMATCH],
    ['other.org/ns/a/sa/b', 'envoy', PrincipalTrust.FOREIGN],
    ['other.org/ns/a/sa/b', 'ztunnel', PrincipalTrust.FOREIGN],
    ['*/ns/a/sa/b', 'ztunnel', PrincipalTrust.OK],
    ['*', 'ztunnel', PrincipalTrust.OK],
  ] as const)('classifyPrincipal(%s at %s) = %s', (principal, enforcement, verdict) => {
    expect(classifyPrincipal(principal, bundle, enforcement)).toBe(verdict);
  });

  test('sharedTrustProblems: built-in CA, different roots, different trust domains', () => {
    expect(sharedTrustProblems([{ cluster: 'c1', trustDomain: 'td' }])).toEqual([]);
    expect(sharedTrustProblems([
      { cluster: 'c1', trustDomain: 'td', root: 'ClusterIssuer/a' },
      { cluster: 'c2', trustDomain: 'td', root: 'ClusterIssuer/a' },
    ])).toEqual([]);
    expect(sharedTrustProblems([
      { cluster: 'c1', trustDomain: 'td', root: 'ClusterIssuer/a' },
      { cluster: 'c2', trustDomain: 'td2' },
      { cluster: 'c3', trustDomain: 'td', root: 'ClusterIssuer/b' },
    ])).toEqual([
      'cluster "c2" uses istiod\'s built-in CA, which generates a self-signed root in each cluster, so workloads cannot verify peers in other clusters.',
      'clusters chain to different roots (c1: ClusterIssuer/a, c3: ClusterIssuer/b), so cross-cluster mTLS fails.',
      'clusters use different trust domains (c1: td, c2: td2, c3: td); istiod sends ztunnel no trust-domain aliases, so ambient clusters need one trust domain.',
    ]);
  });
});
