/**
 * What istiod sends to ztunnel for an AuthorizationPolicy without targetRefs, and so what ztunnel
 * decides. Sources: istio `pilot/pkg/serviceregistry/ambient/authorization.go` (`convertAuthorizationPolicy`,
 * `handleRule`, `stringToServiceAccountMatch`, `stringToIP`) and its tests in `authorization_test.go`
 * (TestConvertAuthorizationPolicyStatus). The DENY cases with L7 fields are table cases of istio
 * master's authorization_test.go; at 1.30.3 the conversion code is the same (only the status
 * message differs: master says "has no enforceable rules at ztunnel and will have no effect"
 * where 1.30.3 says "enforced without the HTTP rules").
 */
import {
  AccessVector, authz, cite, ingressGateway, namespace, requestAuthn, service, targetGateway, targetService, waypoint,
} from './fixtures';

/** A token validated at the ingress gateway reaches the waypoint only with forwardOriginalToken. */
function forwarded(forward: boolean): any[] {
  const rule = { issuer: 'https://idp', jwksUri: 'https://idp/jwks', ...(forward ? { forwardOriginalToken: true } : {}) };
  return [
    namespace('edge', {}), ingressGateway('edge', 'gw'), requestAuthn('edge', 'gw-jwt', { ...targetGateway('gw'), jwtRules: [rule] }),
    namespace('shop', { 'istio.io/dataplane-mode': 'ambient' }), waypoint('shop', 'waypoint'),
    service('shop', 'api', { labels: { 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' } }),
    requestAuthn('shop', 'api-jwt', { ...targetService('api'), jwtRules: [{ issuer: 'https://idp', jwksUri: 'https://idp/jwks' }] }),
    authz('shop', 'api', { ...targetService('api'), rules: [{ from: [{ source: { requestPrincipals: ['https://idp/*'] } }] }] }),
  ];
}

const NS = 'foo';
const FILE = 'pilot/pkg/serviceregistry/ambient/authorization_test.go';
const objects = (spec: any) => [namespace(NS), service(NS, 'app'), authz(NS, 'policy', spec)];
const bar = { from: 'foo/bar', to: `${NS}/app` };
const other = { from: 'foo/other', to: `${NS}/app` };
const denyCase = (name: string, spec: any, request: any, denied: boolean, reason?: string): AccessVector => ({
  name,
  cite: cite('istio', FILE, `TestConvertAuthorizationPolicyStatus "${name.split(':')[0]}"`, 'master'),
  manifests: objects(spec),
  request,
  expect: denied ? 'DENY' : 'ALLOW',
  hop: 'ztunnel',
  ...(denied ? { policy: `${NS}/policy` } : {}),
  ...(reason ? { reason } : {}),
});
const NO_EFFECT = 'foo/policy: every rule has an L7-only clause: no effect at ztunnel (fails open)';
const principalBar = { principals: ['cluster.local/ns/foo/sa/bar'] };

export const ISTIOD_CONVERSION_VECTORS: AccessVector[] = [
  denyCase('DENY policy with only L4 attributes - no status warning: foo/bar denied',
    { action: 'DENY', rules: [{ from: [{ source: principalBar }] }] }, bar, true),
  denyCase('DENY policy with only L4 attributes - no status warning: another identity allowed',
    { action: 'DENY', rules: [{ from: [{ source: principalBar }] }] }, other, false),
  denyCase('DENY policy with only L7 attributes results in no effect at ztunnel: foo/bar allowed',
    { action: 'DENY', rules: [{ from: [{ source: { notRequestPrincipals: ['example.com/sub-1'] } }] }] }, bar, false, NO_EFFECT),
  denyCase('DENY policy with only L7 attributes results in no effect at ztunnel: a plaintext client allowed',
    { action: 'DENY', rules: [{ from: [{ source: { notRequestPrincipals: ['example.com/sub-1'] } }] }] }, { to: `${NS}/app` }, false),
  denyCase('DENY policy with mixed L4 and L7 attributes is enforced without HTTP rules: foo/bar denied whatever its token',
    { action: 'DENY', rules: [{ from: [{ source: { ...principalBar, notRequestPrincipals: ['example.com/sub-1'] } }] }] }, { ...bar, jwtPrincipal: 'example.com/sub-1' }, true,
    'DENY rule 0 matches (foo/policy: 1 rule enforced on the L4 part alone (denies more than written))'),
  denyCase('DENY policy with mixed L4 and L7 attributes is enforced without HTTP rules: another identity allowed',
    { action: 'DENY', rules: [{ from: [{ source: { ...principalBar, notRequestPrincipals: ['example.com/sub-1'] } }] }] }, other, false),
  denyCase('DENY policy with L7-only and separate L4 rule is still enforced: foo/bar denied by the L4 rule',
    { action: 'DENY', rules: [{ from: [{ source: { notRequestPrincipals: ['example.com/sub-1'] } }] }, { from: [{ source: principalBar }] }] }, bar, true),
  denyCase('DENY policy with L7-only and separate L4 rule is still enforced: another identity allowed',
    { action: 'DENY', rules: [{ from: [{ source: { notRequestPrincipals: ['example.com/sub-1'] } }] }, { from: [{ source: principalBar }] }] }, other, false),
  denyCase('DENY policy with empty catch-all rule and L7-only rule is still enforced: everyone denied',
    { action: 'DENY', rules: [{}, { from: [{ source: { notRequestPrincipals: ['example.com/sub-1'] } }] }] }, other, true),
  denyCase('DENY policy with L4 From and L7 When is a no-op due to AND empty clause: foo/bar allowed',
    { action: 'DENY', rules: [{ from: [{ source: principalBar }], when: [{ key: 'request.headers[x-token]', values: ['secret'] }] }] }, { ...bar, headers: { 'x-token': 'secret' } }, false, NO_EFFECT),
  denyCase('DENY policy with L4 From and L7-only To methods is a no-op due to AND empty clause: foo/bar allowed',
    { action: 'DENY', rules: [{ from: [{ source: principalBar }], to: [{ operation: { methods: ['GET'] } }] }] }, { ...bar, method: 'GET' }, false, NO_EFFECT),
  // handleRule: an operation mixing ports and methods keeps its ports: DENY on the whole port.
  {
    name: 'handleRule: DENY {methods: [POST], ports: [8080]} denies every connection to pod port 8080',
    cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization.go', 'handleRule (DENY keeps L4 part of a mixed operation)'),
    manifests: objects({ action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'], ports: ['8080'] } }] }] }),
    request: { ...bar, method: 'GET' },
    expect: 'DENY',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  {
    name: 'handleRule: a `to` list with an L7-only entry and a ports entry matches the ports entry only',
    cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization.go', 'handleRule (one clause per to list; empty entries skipped)'),
    manifests: [namespace(NS), service(NS, 'app', { ports: [{ port: 80, targetPort: 8080 }, { port: 90, targetPort: 9090 }] }),
      authz(NS, 'policy', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'] } }, { operation: { ports: ['9090'] } }] }] })],
    request: { ...bar, port: 80, method: 'POST' },
    expect: 'ALLOW',
    hop: 'ztunnel',
  },
  // 1.30.3 table case "unsupported HTTP methods": an ALLOW rule with HTTP attributes is omitted.
  {
    name: 'unsupported HTTP methods: the ALLOW rule is omitted, the policy allows nothing at ztunnel',
    cite: cite('istio', FILE, 'TestConvertAuthorizationPolicyStatus "unsupported HTTP methods"'),
    manifests: objects({ rules: [{ from: [{ source: { requestPrincipals: ['example.com/sub-1'] } }], to: [{ operation: { methods: ['GET'] } }], when: [{ key: 'request.auth.presenter', values: ['presenter.example.com'] }] }] }),
    request: { ...bar, method: 'GET', token: { issuer: 'example.com', subject: 'sub-1', claims: { azp: 'presenter.example.com' } } },
    expect: 'DENY',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  {
    name: 'unsupported HTTP methods: an L4 rule next to the omitted one still allows',
    cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization.go', 'handleRule ("L7 policies never match for ALLOW")'),
    manifests: objects({ rules: [{ to: [{ operation: { methods: ['GET'] } }] }, { from: [{ source: principalBar }] }] }),
    request: bar,
    expect: 'ALLOW',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  {
    name: 'unsupported AUDIT action: not sent to ztunnel',
    cite: cite('istio', FILE, 'TestConvertAuthorizationPolicyStatus "unsupported AUDIT action"'),
    manifests: objects({ action: 'AUDIT', rules: [{}] }),
    request: bar,
    expect: 'ALLOW',
    hop: 'ztunnel',
    reason: 'ztunnel ignores AUDIT policy foo/policy',
  },
  {
    name: 'unsupported CUSTOM action: not sent to ztunnel',
    cite: cite('istio', FILE, 'TestConvertAuthorizationPolicyStatus "unsupported CUSTOM action"'),
    manifests: objects({ action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{}] }),
    request: bar,
    expect: 'ALLOW',
    hop: 'ztunnel',
    reason: 'ztunnel ignores CUSTOM policy foo/policy',
  },
  {
    name: 'no status - targetRef is not for ztunnel: an allow-nothing with targetRefs does not apply at ztunnel',
    cite: cite('istio', FILE, 'TestConvertAuthorizationPolicyStatus "no status - targetRef is not for ztunnel"'),
    manifests: objects({ ...targetService('app') }),
    request: bar,
    expect: 'ALLOW',
    hop: 'ztunnel',
    reason: 'no ALLOW policy applies',
  },
  {
    name: 'no status - policy is fine: an L4 ALLOW admits its principal',
    cite: cite('istio', FILE, 'TestConvertAuthorizationPolicyStatus "no status - policy is fine"'),
    manifests: objects({ rules: [{ from: [{ source: principalBar }] }] }),
    request: bar,
    expect: 'ALLOW',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  // Dry-run: not sent unless AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY (default false).
  {
    name: 'dry-run allow-nothing is not sent to ztunnel',
    cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization.go', 'convertAuthorizationPolicy (dry-run && !EnableWdsDryRunAuthzPol)'),
    manifests: [namespace(NS), service(NS, 'app'), authz(NS, 'policy', {}, { 'istio.io/dry-run': 'true' })],
    request: bar,
    expect: 'ALLOW',
    hop: 'ztunnel',
  },
  // serviceAccounts: a bare name is the policy's namespace; exact match, any trust domain.
  {
    name: 'stringToServiceAccountMatch: a bare name means the policy namespace (foo/bar matches "bar")',
    cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization.go', 'stringToServiceAccountMatch'),
    manifests: objects({ rules: [{ from: [{ source: { serviceAccounts: ['bar'] } }] }] }),
    request: bar,
    expect: 'ALLOW',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  {
    name: 'stringToServiceAccountMatch: a bare name does not match the same account in another namespace',
    cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization.go', 'stringToServiceAccountMatch'),
    manifests: objects({ rules: [{ from: [{ source: { serviceAccounts: ['bar'] } }] }] }),
    request: { from: 'other/bar', to: `${NS}/app` },
    expect: 'DENY',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  {
    name: 'ServiceAccountMatch: no wildcard (`ba*` is a literal name)',
    cite: cite('ztunnel', 'src/rbac.rs', 'ServiceAccountMatch::matches (exact namespace and name)'),
    manifests: objects({ rules: [{ from: [{ source: { serviceAccounts: ['foo/ba*'] } }] }] }),
    request: bar,
    expect: 'DENY',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  {
    name: 'ServiceAccountMatch: the trust domain is not compared',
    cite: cite('ztunnel', 'src/rbac.rs', 'ServiceAccountMatch::matches (trust_domain: _)'),
    manifests: objects({ rules: [{ from: [{ source: { serviceAccounts: ['foo/bar'] } }] }] }),
    request: { ...bar, trustDomain: 'other.domain' },
    expect: 'ALLOW',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  // stringToIP: IPv6 prefixes, bare addresses as full-length prefixes, invalid entries skipped.
  {
    name: 'stringToIP: IPv6 CIDR contains the address',
    cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization.go', 'stringToIP (netip.ParsePrefix)'),
    manifests: objects({ rules: [{ from: [{ source: { ipBlocks: ['2001:db8::/32'] } }] }] }),
    request: { ...bar, sourceIp: '2001:db8:1::5' },
    expect: 'ALLOW',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  {
    name: 'stringToIP: an IPv4 client never matches an IPv6 block',
    cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization.go', 'stringToIP (netip.ParsePrefix)'),
    manifests: objects({ rules: [{ from: [{ source: { ipBlocks: ['::/0'] } }] }] }),
    request: { ...bar, sourceIp: '10.0.0.1' },
    expect: 'DENY',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  {
    name: 'stringToIP: an unparsable entry is skipped (the rest still matches)',
    cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization.go', 'stringToIP (invalid entries continue)'),
    manifests: objects({ rules: [{ from: [{ source: { ipBlocks: ['not-an-ip', '10.0.0.0/8'] } }] }] }),
    request: { ...bar, sourceIp: '10.9.9.9' },
    expect: 'ALLOW',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  // tests/integration/security/jwt_test.go "aud" (testdata/requestauthn/aud.yaml.tmpl), at a waypoint.
  ...((): AccessVector[] => {
    const c = (sub: string) => cite('istio', 'tests/integration/security/jwt_test.go', `TestRequestAuthentication "aud/${sub}"`);
    const aud = [
      namespace('shop', { 'istio.io/dataplane-mode': 'ambient' }), waypoint('shop', 'waypoint'),
      service('shop', 'api', { labels: { 'istio.io/use-waypoint': 'waypoint' } }),
      requestAuthn('shop', 'part1', { ...targetService('api'), jwtRules: [{ issuer: 'test-issuer-1@istio.io', jwksUri: 'https://x/jwks', audiences: ['foo'] }, { issuer: 'test-issuer-2@istio.io', jwksUri: 'https://x/jwks', audiences: ['bar'] }] }),
      requestAuthn('shop', 'part2', { ...targetService('api'), jwtRules: [{ issuer: 'test-issuer-2@istio.io', jwksUri: 'https://x/jwks' }] }),
    ];
    const req = { from: 'shop/client', to: 'shop/api', method: 'GET', path: '/valid-aud' };
    return [
      { name: 'invalid-aud: a token without the required audience is a 403', cite: c('invalid-aud'), manifests: aud, request: { ...req, token: { issuer: 'test-issuer-1@istio.io', subject: 'sub-1' } }, expect: 'DENY', hop: 'waypoint', reason: 'is not among foo: 403 Forbidden' },
      { name: 'valid-aud: a token for audience foo passes', cite: c('valid-aud'), manifests: aud, request: { ...req, token: { issuer: 'test-issuer-1@istio.io', subject: 'sub-1', claims: { aud: 'foo' } } }, expect: 'ALLOW', hop: 'ztunnel' },
      { name: 'verify-policies-are-combined: issuer 2 without audience passes through part2', cite: c('verify-policies-are-combined'), manifests: aud, request: { ...req, token: { issuer: 'test-issuer-2@istio.io', subject: 'sub-2' } }, expect: 'ALLOW', hop: 'ztunnel' },
    ];
  })(),
  {
    name: 'forwardOriginalToken unset: the gateway removes the validated token, the waypoint sees none (403)',
    cite: cite('istio', 'pilot/pkg/security/authn/policy_applier_test.go', 'TestJwtFilter "Forward original token" (Forward: jwtRule.ForwardOriginalToken)'),
    manifests: forwarded(false),
    request: { to: 'shop/api', viaIngress: 'edge/gw', method: 'GET', token: { issuer: 'https://idp', subject: 'u' } },
    expect: 'DENY',
    hop: 'waypoint',
    policy: 'shop/api',
  },
  {
    name: 'forwardOriginalToken: true: the waypoint validates the same token again and allows',
    cite: cite('istio', 'pilot/pkg/security/authn/policy_applier_test.go', 'TestJwtFilter "Forward original token" (Forward: jwtRule.ForwardOriginalToken)'),
    manifests: forwarded(true),
    request: { to: 'shop/api', viaIngress: 'edge/gw', method: 'GET', token: { issuer: 'https://idp', subject: 'u' } },
    expect: 'ALLOW',
    hop: 'waypoint',
    policy: 'shop/api',
  },
  // The waypoint's direct pod chain is built without a Service (listener_waypoint.go
  // buildWaypointInboundHTTPFilters(nil, ...)): Service-attached policies do not apply to pod-addressed traffic.
  ...((): AccessVector[] => {
    const shop = [
      namespace('shop', { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' }), waypoint('shop', 'waypoint', { trafficType: 'all' }),
      service('shop', 'api'), authz('shop', 'deny-delete', { ...targetService('api'), action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'] } }] }] }),
    ];
    const c = cite('istio', 'pilot/pkg/networking/core/listener_waypoint.go', 'buildWaypointInbound "Direct pod access chain" (no Service-attached policies)');
    return [
      { name: 'Service-addressed DELETE: the Service-attached DENY applies at the waypoint', cite: c, manifests: shop, request: { from: 'shop/client', to: 'shop/api', method: 'DELETE' }, expect: 'DENY', hop: 'waypoint', policy: 'shop/deny-delete' },
      { name: 'pod-addressed DELETE through the same waypoint: the Service-attached DENY does not apply', cite: c, manifests: shop, request: { from: 'shop/client', to: 'shop/api', toPod: true, method: 'DELETE' }, expect: 'ALLOW', hop: 'ztunnel' },
    ];
  })(),
  // buildWorkloadPolicies: selector policies apply from the workload's namespace or the root namespace.
  {
    name: 'a root-namespace selector policy applies to matching pods in another namespace',
    cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/workloads.go', 'buildWorkloadPolicies (nsMatch: RootNamespace or workload namespace)'),
    manifests: [...objects({ rules: [{}] }), authz('istio-system', 'root-deny', { selector: { matchLabels: { app: 'app' } }, action: 'DENY', rules: [{ from: [{ source: { namespaces: ['foo'] } }] }] })],
    request: bar,
    expect: 'DENY',
    hop: 'ztunnel',
    policy: 'istio-system/root-deny',
  },
  {
    name: 'a selector policy in a third namespace does not apply',
    cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/workloads.go', 'buildWorkloadPolicies (nsMatch: RootNamespace or workload namespace)'),
    manifests: [...objects({ rules: [{}] }), authz('elsewhere', 'deny', { selector: { matchLabels: { app: 'app' } }, action: 'DENY', rules: [{}] })],
    request: bar,
    expect: 'ALLOW',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  {
    name: 'a root-namespace policy is not applied to pods its selector does not match',
    cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/workloads.go', 'buildWorkloadPolicies (krt.FilterSelects(workloadLabels))'),
    manifests: [...objects({ rules: [{}] }), authz('istio-system', 'root-deny', { selector: { matchLabels: { app: 'other' } }, action: 'DENY', rules: [{}] })],
    request: bar,
    expect: 'ALLOW',
    hop: 'ztunnel',
    policy: `${NS}/policy`,
  },
  {
    name: 'ipBlocks without the source IP: undecided, reported as DENY (fail closed)',
    cite: cite('ztunnel', 'src/rbac.rs', 'rbac_test!(source_ips) (the decision needs conn.src)'),
    manifests: objects({ rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/8'] } }] }] }),
    request: bar,
    expect: 'DENY',
    hop: 'ztunnel',
    reason: 'undecided',
  },
];
