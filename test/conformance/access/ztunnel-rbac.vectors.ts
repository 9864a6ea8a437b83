/**
 * ztunnel's own RBAC tests, as AuthorizationPolicies evaluated by check-access at the destination
 * ztunnel. ztunnel tests `Authorization::matches` with an ALLOW policy of one match group; as the
 * only ALLOW policy of the destination, a match is ALLOW and no match is DENY.
 * Source: ztunnel 1.30.3 `src/rbac.rs` (mod tests) and `src/state.rs` (assert_rbac tests).
 */
import { AccessVector, authz, cite, namespace, service } from './fixtures';
import { AccessRequest } from '../../../src';

const NS = 'dest';
const manifests = (policy: any, extra: any[] = []) => [
  namespace(NS),
  service(NS, 'dst', { ports: [{ name: 'tcp-a', port: 8080, targetPort: 8080 }, { name: 'tcp-b', port: 9090, targetPort: 9090 }] }),
  authz(NS, 'policy', policy),
  ...extra,
];

// The three connections of rbac.rs: plaintext_conn, tls_conn, tls_conn_alt.
const CONNECTIONS: { [name: string]: AccessRequest } = {
  plaintext_conn: { to: `${NS}/dst`, sourceIp: '127.0.0.1', destinationIp: '127.0.0.2', port: 8080 },
  tls_conn: { from: 'namespace/account', trustDomain: 'td', to: `${NS}/dst`, sourceIp: '127.0.0.1', destinationIp: '127.0.0.2', port: 8080 },
  tls_conn_alt: { from: 'ns-alt/sa=alt', trustDomain: 'td-alt', to: `${NS}/dst`, sourceIp: '127.0.0.3', destinationIp: '127.0.0.4', port: 9090 },
};

/** One rbac_test! macro: a single-field match and its expected result per connection. */
function rbacTest(testFn: string, rule: any, results: [boolean, boolean, boolean]): AccessVector[] {
  return Object.entries(CONNECTIONS).map(([conn, request], i) => ({
    name: `${testFn}: ${conn} ${results[i] ? 'matches' : 'does not match'}`,
    cite: cite('ztunnel', 'src/rbac.rs', `rbac_test!(${testFn})`),
    manifests: manifests({ rules: [rule] }),
    request,
    expect: results[i] ? 'ALLOW' : 'DENY',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  }));
}

export const ZTUNNEL_RBAC_VECTORS: AccessVector[] = [
  ...rbacTest('namespaces', { from: [{ source: { namespaces: ['namespace'] } }] }, [false, true, false]),
  ...rbacTest('not_namespaces', { from: [{ source: { notNamespaces: ['namespace'] } }] }, [true, false, true]),
  ...rbacTest('service_accounts', { from: [{ source: { serviceAccounts: ['namespace/account'] } }] }, [false, true, false]),
  ...rbacTest('not_service_accounts', { from: [{ source: { notServiceAccounts: ['namespace/account'] } }] }, [true, false, true]),
  ...rbacTest('principals', { from: [{ source: { principals: ['td/ns/namespace/sa/account'] } }] }, [false, true, false]),
  ...rbacTest('not_principals', { from: [{ source: { notPrincipals: ['td/ns/namespace/sa/account'] } }] }, [true, false, true]),
  ...rbacTest('source_ips', { from: [{ source: { ipBlocks: ['127.0.0.1'] } }] }, [true, true, false]),
  ...rbacTest('not_source_ips', { from: [{ source: { notIpBlocks: ['127.0.0.1'] } }] }, [false, false, true]),
  ...rbacTest('destination_ips', { when: [{ key: 'destination.ip', values: ['127.0.0.2'] }] }, [true, true, false]),
  ...rbacTest('not_destination_ips', { when: [{ key: 'destination.ip', notValues: ['127.0.0.2'] }] }, [false, false, true]),
  ...rbacTest('cidr_range', { when: [{ key: 'destination.ip', values: ['127.0.0.1/24'] }] }, [true, true, true]),
  ...rbacTest('destination_ports', { to: [{ operation: { ports: ['8080'] } }] }, [true, true, false]),
  ...rbacTest('not_destination_ports', { to: [{ operation: { notPorts: ['8080'] } }] }, [false, false, true]),

  // rbac_empty_policy: a rule with no clauses matches everything; no rules match nothing; a
  // clause whose only group is empty matches nothing (reached from YAML through a DENY whose
  // clause was L7-only, see the istiod vectors).
  {
    name: 'rbac_empty_policy: a rule with no clauses (`{}`) matches every connection',
    cite: cite('ztunnel', 'src/rbac.rs', 'rbac_empty_policy'),
    manifests: manifests({ rules: [{}] }),
    request: CONNECTIONS.plaintext_conn,
    expect: 'ALLOW',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  {
    name: 'rbac_empty_policy: a policy without rules matches nothing (allow-nothing)',
    cite: cite('ztunnel', 'src/rbac.rs', 'rbac_empty_policy'),
    manifests: manifests({}),
    request: CONNECTIONS.plaintext_conn,
    expect: 'DENY',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  {
    name: 'rbac_empty_policy: a clause of one empty match group never matches (DENY with an L7-only clause)',
    cite: cite('ztunnel', 'src/rbac.rs', 'rbac_empty_policy'),
    manifests: manifests({ action: 'DENY', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }),
    request: CONNECTIONS.tls_conn,
    expect: 'ALLOW',
    hop: 'ztunnel',
  },

  // rbac_nesting: (namespace a OR b) AND port 80.
  ...([
    ['a', 80, true], ['b', 80, true], ['bad', 80, false], ['b', 12345, false],
  ] as const).map(([ns, port, ok]): AccessVector => ({
    name: `rbac_nesting: namespace ${ns}, port ${port}`,
    cite: cite('ztunnel', 'src/rbac.rs', 'rbac_nesting'),
    manifests: [
      namespace(NS),
      service(NS, 'dst', { ports: [{ port: 80, targetPort: 80 }, { port: 12345, targetPort: 12345 }] }),
      authz(NS, 'nested', { rules: [{ from: [{ source: { namespaces: ['a'] } }, { source: { namespaces: ['b'] } }], to: [{ operation: { ports: ['80'] } }] }] }),
    ],
    request: { from: `${ns}/account`, trustDomain: 'td', to: `${NS}/dst`, port },
    expect: ok ? 'ALLOW' : 'DENY',
    hop: 'ztunnel',
    policy: `${NS}/nested`,
  })),

  // rbac_multi_rule: rule 1 namespace a, rule 2 namespace b (any rule matching is a match).
  ...([['a', true], ['b', true], ['bad', false]] as const).map(([ns, ok]): AccessVector => ({
    name: `rbac_multi_rule: namespace ${ns}`,
    cite: cite('ztunnel', 'src/rbac.rs', 'rbac_multi_rule'),
    manifests: manifests({ rules: [{ from: [{ source: { namespaces: ['a'] } }] }, { from: [{ source: { namespaces: ['b'] } }] }] }),
    request: { from: `${ns}/account`, trustDomain: 'td', to: `${NS}/dst`, port: 8080 },
    expect: ok ? 'ALLOW' : 'DENY',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  })),

  // string_match test cases, through `namespaces` (istiod turns `x*`, `*x`, `*` into prefix,
  // suffix and presence matches: authorization.go stringToMatch).
  ...([
    ['foo', 'foo', true, 'exact match'], ['foo', 'not', false, 'exact mismatch'], ['foo', undefined, false, 'exact empty mismatch'],
    ['foo*', 'foobar', true, 'prefix match'], ['foo*', 'notfoo', false, 'prefix mismatch'], ['foo*', undefined, false, 'prefix empty mismatch'],
    ['*foo', 'barfoo', true, 'suffix match'], ['*foo', 'foonot', false, 'suffix mismatch'], ['*foo', undefined, false, 'suffix empty mismatch'],
    ['*', 'foo', true, 'presence match'], ['*', undefined, false, 'presence mismatch'],
  ] as const).map(([pattern, ns, ok, label]): AccessVector => ({
    name: `string_match "${label}": namespaces ["${pattern}"] vs ${ns === undefined ? 'a plaintext client (empty namespace)' : `namespace ${ns}`}`,
    cite: cite('ztunnel', 'src/rbac.rs', `string_match (${label})`),
    manifests: manifests({ rules: [{ from: [{ source: { namespaces: [pattern] } }] }] }),
    request: ns === undefined ? CONNECTIONS.plaintext_conn : { from: `${ns}/account`, to: `${NS}/dst`, port: 8080 },
    expect: ok ? 'ALLOW' : 'DENY',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  })),

  // state.rs assert_rbac_logic_deny_allow: DENY first, no ALLOW = allow, any ALLOW = allow, else
  // deny; dry-run wildcard policies have no effect.
  ...((): AccessVector[] => {
    const c = cite('ztunnel', 'src/state.rs', 'assert_rbac_logic_deny_allow');
    const dryRun = { 'istio.io/dry-run': 'true' };
    const objects = [
      namespace('ns1'), namespace('ns2'),
      service('ns1', 'wl1'), service('ns2', 'wl2'),
      authz('ns1', 'wildcard-allow', { rules: [{}] }, dryRun),
      authz('ns1', 'wildcard-deny', { action: 'DENY', rules: [{}] }, dryRun),
      authz('ns1', 'foo', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/defaultacct'] } }] }] }),
      authz('ns1', 'deny', { action: 'DENY', rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/denyacct'] } }] }] }),
    ];
    return [
      { name: 'no ALLOW policy for the workload: allow', cite: c, manifests: objects, request: { from: 'default/not-defaultacct', to: 'ns2/wl2' }, expect: 'ALLOW', hop: 'ztunnel' },
      { name: 'an ALLOW policy matches: allow', cite: c, manifests: objects, request: { from: 'default/defaultacct', to: 'ns1/wl1' }, expect: 'ALLOW', hop: 'ztunnel', policy: 'ns1/foo' },
      { name: 'ALLOW policies exist, none matches: deny (NotAllowed)', cite: c, manifests: objects, request: { from: 'default/not-defaultacct', to: 'ns1/wl1' }, expect: 'DENY', hop: 'ztunnel', policy: 'ns1/foo' },
      { name: 'a DENY policy matches: deny (ExplicitlyDenied ns1/deny)', cite: c, manifests: objects, request: { from: 'default/denyacct', to: 'ns1/wl1' }, expect: 'DENY', hop: 'ztunnel', policy: 'ns1/deny' },
    ];
  })(),
  ...((): AccessVector[] => {
    const c = cite('ztunnel', 'src/state.rs', 'assert_rbac_dry_run_with_real_policies');
    const dryRun = { 'istio.io/dry-run': 'true' };
    const objects = [
      namespace('ns1'), service('ns1', 'wl1'),
      authz('ns1', 'real-deny', { action: 'DENY', rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/denyacct'] } }] }] }),
      authz('ns1', 'dry-run-deny', { action: 'DENY', rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/defaultacct'] } }] }, { from: [{ source: { principals: ['cluster.local/ns/default/sa/denyacct'] } }] }] }, dryRun),
      authz('ns1', 'real-allow', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/defaultacct'] } }] }] }),
      authz('ns1', 'dry-run-allow', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/defaultacct'] } }] }] }, dryRun),
    ];
    return [
      { name: 'a matching dry-run DENY does not deny; the real ALLOW decides', cite: c, manifests: objects, request: { from: 'default/defaultacct', to: 'ns1/wl1' }, expect: 'ALLOW', hop: 'ztunnel', policy: 'ns1/real-allow' },
      { name: 'the real DENY still denies', cite: c, manifests: objects, request: { from: 'default/denyacct', to: 'ns1/wl1' }, expect: 'DENY', hop: 'ztunnel', policy: 'ns1/real-deny' },
    ];
  })(),
];
