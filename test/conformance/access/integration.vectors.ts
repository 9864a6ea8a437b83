/**
 * Istio's integration tests (istio 1.30.3 `tests/integration/ambient/baseline_test.go` with
 * `testdata/requestauthn/waypoint-jwt.yaml.tmpl`, and the Gateway API ingress part of
 * `tests/integration/security/jwt_test.go`), reduced to the app shapes they run against:
 * a captured client, a Service without waypoint, a Service with a service waypoint, a pod behind
 * a workload waypoint, an uncaptured client and destination.
 */
import {
  AccessVector, authz, cite, deployment, ingressGateway, namespace, peerAuthn, requestAuthn, service,
  targetGateway, targetService, targetWaypointClass, waypoint,
} from './fixtures';

const FILE = 'tests/integration/ambient/baseline_test.go';
const NS = 'echo';
const AMBIENT = { 'istio.io/dataplane-mode': 'ambient' };

/** The echo apps: captured (no waypoint), svc-wp (service waypoint), wl-wp (workload waypoint). */
const app = (extra: any[]) => [
  namespace(NS, AMBIENT),
  namespace('uncaptured-ns', {}),
  waypoint(NS, 'waypoint'),
  waypoint(NS, 'wl-waypoint', { trafficType: 'workload' }),
  service(NS, 'captured'), deployment(NS, 'captured'),
  service(NS, 'svc-wp', { labels: { 'istio.io/use-waypoint': 'waypoint' } }), deployment(NS, 'svc-wp'),
  service(NS, 'wl-wp'), deployment(NS, 'wl-wp', { labels: { 'app': 'wl-wp', 'istio.io/use-waypoint': 'wl-waypoint' } }),
  ...extra,
];
const SRC = `${NS}/captured`;
const UNCAPTURED = 'uncaptured-ns/uncaptured';

/** TestAuthorizationL4: the same principals policy at the waypoint (targetRefs) and ztunnel (selector). */
function l4(dst: string, principals: string[]): any[] {
  const rules = [{ from: [{ source: { principals } }] }];
  return app([
    authz(NS, 'policy-waypoint', { ...targetService(dst), rules }),
    authz(NS, 'policy', { selector: { matchLabels: { app: dst } }, rules }),
  ]);
}

/** TestAuthorizationL7's policySpec, at the waypoint Gateway; the ztunnel policy admits the waypoint. */
function l7(dst: string, wp: string | undefined): any[] {
  const policySpec = {
    rules: [
      { to: [{ operation: { paths: ['/allowed'], methods: ['GET'] } }] },
      { from: [{ source: { principals: [`cluster.local/ns/${NS}/sa/captured`] } }], to: [{ operation: { paths: ['/allowed-identity'], methods: ['GET'] } }] },
      { from: [{ source: { principals: [`cluster.local/ns/${NS}/sa/someone-else`] } }], to: [{ operation: { paths: ['/denied-identity'], methods: ['GET'] } }] },
      { to: [{ operation: { methods: ['GET'], paths: ['/allowed-wildcard*'] } }] },
      { to: [{ operation: { methods: ['GET'], paths: ['/headers'] } }], when: [{ key: 'request.headers[x-test-header]', values: ['match'], notValues: ['do-not-match'] }] },
      { to: [{ operation: { methods: ['POST'] } }] },
    ],
  };
  const denySpec = { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/explicit-deny'] } }] }] };
  const workloadSpec = wp ? { rules: [{ from: [{ source: { principals: [`cluster.local/ns/${NS}/sa/${wp}`] } }] }] } : policySpec;
  return app([
    authz(NS, 'policy', { selector: { matchLabels: { app: dst } }, ...workloadSpec }),
    authz(NS, 'deny-policy', { selector: { matchLabels: { app: dst } }, ...denySpec }),
    ...(wp ? [authz(NS, 'policy-waypoint', { ...targetGateway(wp), ...policySpec }), authz(NS, 'deny-policy-waypoint', { ...targetGateway(wp), ...denySpec })] : []),
  ]);
}

const L7_CASES: [string, string, string, { [k: string]: string } | undefined, boolean][] = [
  ['simple deny', 'GET', '/deny', undefined, false],
  ['simple allow', 'GET', '/allowed', undefined, true],
  ['identity deny', 'GET', '/denied-identity', undefined, false],
  ['identity allow', 'GET', '/allowed-identity', undefined, true],
  ['explicit deny', 'POST', '/explicit-deny', undefined, false],
  ['wildcard allow', 'GET', '/allowed-wildcardtest', undefined, true],
  ['headers allow', 'GET', '/headers', { 'x-test-header': 'match' }, true],
  ['headers deny', 'GET', '/headers', { 'x-test-header': 'do-not-match' }, false],
];

/** TestL7JWT: waypoint-jwt.yaml.tmpl (issuers 1 and 2 by targetRef; issuer 3 only by an ignored selector). */
const jwtApp = app([
  requestAuthn(NS, 'default-svc-wp', { ...targetGateway('waypoint'), jwtRules: [{ issuer: 'test-issuer-1@istio.io', jwksUri: 'https://example.com/jwks' }, { issuer: 'test-issuer-2@istio.io', jwksUri: 'https://example.com/jwks' }] }),
  requestAuthn(NS, 'ignored-svc-wp', { selector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } }, jwtRules: [{ issuer: 'test-issuer-3@istio.io', jwksUri: 'https://example.com/jwks' }] }),
  authz(NS, 'authz-gateway-svc-wp', {
    ...targetGateway('waypoint'),
    rules: [
      { from: [{ source: { requestPrincipals: ['test-issuer-1@istio.io/sub-1'] } }, { source: { requestPrincipals: ['test-issuer-3@istio.io/sub-1'] } }] },
      { to: [{ operation: { paths: ['/healthz'] } }] },
    ],
  }),
]);
const jwtReq = { from: SRC, to: `${NS}/svc-wp`, method: 'GET', path: '/' };
const JWT = 'TestL7JWT';

export const INTEGRATION_VECTORS: AccessVector[] = [
  // TestAuthorizationL4
  { name: 'allow: captured to a Service without waypoint', cite: cite('istio', FILE, 'TestAuthorizationL4 "allow"'), manifests: l4('captured', [`cluster.local/ns/${NS}/sa/captured`]), request: { from: SRC, to: `${NS}/captured` }, expect: 'ALLOW', hop: 'ztunnel', policy: `${NS}/policy` },
  { name: 'not allow: captured to a Service without waypoint', cite: cite('istio', FILE, 'TestAuthorizationL4 "not allow"'), manifests: l4('captured', ['cluster.local/ns/something/sa/else']), request: { from: SRC, to: `${NS}/captured` }, expect: 'DENY', hop: 'ztunnel', policy: `${NS}/policy` },
  { name: 'allow: through the service waypoint (ztunnel admits the waypoint principal)', cite: cite('istio', FILE, 'TestAuthorizationL4 "allow"'), manifests: l4('svc-wp', [`cluster.local/ns/${NS}/sa/captured`, `cluster.local/ns/${NS}/sa/waypoint`]), request: { from: SRC, to: `${NS}/svc-wp` }, expect: 'ALLOW', hop: 'waypoint', policy: `${NS}/policy-waypoint` },
  { name: 'not allow: denied at the service waypoint', cite: cite('istio', FILE, 'TestAuthorizationL4 "not allow"'), manifests: l4('svc-wp', ['cluster.local/ns/something/sa/else']), request: { from: SRC, to: `${NS}/svc-wp` }, expect: 'DENY', hop: 'waypoint', policy: `${NS}/policy-waypoint` },
  { name: 'allow, uncaptured source: deny (the destination enforces policy, the source has no identity)', cite: cite('istio', FILE, 'TestAuthorizationL4 overrideCheck'), manifests: l4('captured', [`cluster.local/ns/${NS}/sa/captured`]), request: { from: UNCAPTURED, to: `${NS}/captured` }, expect: 'DENY', hop: 'ztunnel', policy: `${NS}/policy` },
  { name: 'not allow, uncaptured destination: no RBAC to apply', cite: cite('istio', FILE, 'TestAuthorizationL4 overrideCheck'), manifests: [...l4('plain', ['cluster.local/ns/something/sa/else']), service('uncaptured-ns', 'plain')], request: { from: SRC, to: 'uncaptured-ns/plain' }, expect: 'ALLOW', hop: 'ztunnel' },

  // TestAuthorizationServiceAttached
  ...((): AccessVector[] => {
    const objects = [
      ...app([authz(NS, 'policy-waypoint', { ...targetService('svc-wp'), rules: [{ from: [{ source: { principals: ['cluster.local/ns/something/sa/else'] } }] }] })]),
      service(NS, 'other', { labels: { 'istio.io/use-waypoint': 'waypoint' } }),
    ];
    const header = [
      ...app([authz(NS, 'policy-header-match', { ...targetService('svc-wp'), action: 'ALLOW', rules: [{ when: [{ key: 'request.headers[x-foo]', values: ['x-bar'] }] }] })]),
    ];
    const c = (sub: string) => cite('istio', FILE, `TestAuthorizationServiceAttached "${sub}"`);
    return [
      { name: 'principal: authz target deny', cite: c('principal/authz target deny'), manifests: objects, request: { from: SRC, to: `${NS}/svc-wp`, method: 'GET' }, expect: 'DENY', hop: 'waypoint', policy: `${NS}/policy-waypoint` },
      { name: 'principal: non-authz target on the same waypoint allow', cite: c('principal/non-authz target allow'), manifests: objects, request: { from: SRC, to: `${NS}/other`, method: 'GET' }, expect: 'ALLOW', hop: 'ztunnel' },
      { name: 'header: allow with matching header', cite: c('header/allow with matching header'), manifests: header, request: { from: SRC, to: `${NS}/svc-wp`, method: 'GET', headers: { 'x-foo': 'x-bar' } }, expect: 'ALLOW', hop: 'waypoint', policy: `${NS}/policy-header-match` },
      { name: 'header: deny without matching header', cite: c('header/deny without matching header'), manifests: header, request: { from: SRC, to: `${NS}/svc-wp`, method: 'GET', headers: { 'x-foo': 'wrong-value' } }, expect: 'DENY', hop: 'waypoint', policy: `${NS}/policy-header-match` },
    ];
  })(),

  // TestAuthorizationL7, service waypoint destination.
  ...L7_CASES.map(([sub, method, path, headers, ok]): AccessVector => ({
    name: `service waypoint: ${sub} (${method} ${path})`,
    cite: cite('istio', FILE, `TestAuthorizationL7 "${sub}"`),
    manifests: l7('svc-wp', 'waypoint'),
    request: { from: SRC, to: `${NS}/svc-wp`, method, path, headers },
    expect: ok ? 'ALLOW' : 'DENY',
    hop: 'waypoint',
    policy: ok || sub === 'explicit deny' ? (sub === 'explicit deny' ? `${NS}/deny-policy-waypoint` : `${NS}/policy-waypoint`) : `${NS}/policy-waypoint`,
  })),
  // Workload waypoint: the test sends to the pod address.
  ...L7_CASES.filter(([sub]) => ['simple allow', 'explicit deny', 'headers deny'].includes(sub)).map(([sub, method, path, headers, ok]): AccessVector => ({
    name: `workload waypoint (pod-addressed): ${sub}`,
    cite: cite('istio', FILE, `TestAuthorizationL7 "${sub}" (HasWorkloadAddressedWaypointProxy)`),
    manifests: l7('wl-wp', 'wl-waypoint'),
    request: { from: SRC, to: `${NS}/wl-wp`, toPod: true, method, path, headers },
    expect: ok ? 'ALLOW' : 'DENY',
    hop: 'waypoint',
  })),
  { name: 'no waypoint: only a waypoint can handle L7 policies (simple allow is denied)', cite: cite('istio', FILE, 'TestAuthorizationL7 overrideCheck (!HasAnyWaypointProxy)'), manifests: l7('captured', undefined), request: { from: SRC, to: `${NS}/captured`, method: 'GET', path: '/allowed' }, expect: 'DENY', hop: 'ztunnel', policy: `${NS}/policy` },
  { name: 'no waypoint: the L7-only explicit deny has no effect at ztunnel, the L7 allow is dropped', cite: cite('istio', FILE, 'TestAuthorizationL7 overrideCheck (!HasAnyWaypointProxy)'), manifests: l7('captured', undefined), request: { from: SRC, to: `${NS}/captured`, method: 'POST', path: '/explicit-deny' }, expect: 'DENY', hop: 'ztunnel', policy: `${NS}/policy`, reason: 'no rule of the ALLOW policies' },
  { name: 'uncaptured source: always denied, does not respect the waypoint', cite: cite('istio', FILE, 'TestAuthorizationL7 overrideCheck (!src.HasProxyCapabilities)'), manifests: l7('svc-wp', 'waypoint'), request: { from: UNCAPTURED, to: `${NS}/svc-wp`, method: 'GET', path: '/allowed' }, expect: 'DENY', hop: 'ztunnel', policy: `${NS}/policy` },

  // TestAuthorizationWaypointDefaultDeny
  ...((): AccessVector[] => {
    const nothing = authz('istio-system', 'allow-nothing', {});
    const fromWaypoint = (wp: string) => authz(NS, 'allow-from-waypoint', { action: 'ALLOW', rules: [{ from: [{ source: { principals: [`cluster.local/ns/${NS}/sa/${wp}`] } }] }] });
    const nothingWaypoint = authz('istio-system', 'allow-nothing-waypoint', { ...targetWaypointClass });
    const c = (sub: string) => cite('istio', FILE, `TestAuthorizationWaypointDefaultDeny "${sub}"`);
    const svcReq = { from: SRC, to: `${NS}/svc-wp`, method: 'GET' };
    const podReq = { from: SRC, to: `${NS}/wl-wp`, method: 'GET', toPod: true };
    return [
      { name: 'service waypoint: allow-nothing in the root namespace denies at ztunnel', cite: c('allow-nothing'), manifests: app([nothing]), request: svcReq, expect: 'DENY', hop: 'ztunnel', policy: 'istio-system/allow-nothing' },
      { name: 'service waypoint: workload-allow-from-waypoint (the waypoint ignores workload-selected policy)', cite: c('workload-allow-from-waypoint'), manifests: app([nothing, fromWaypoint('waypoint')]), request: svcReq, expect: 'ALLOW', hop: 'ztunnel', policy: `${NS}/allow-from-waypoint` },
      { name: 'service waypoint: allow-nothing-waypoint on GatewayClass istio-waypoint denies at the waypoint', cite: c('allow-nothing-waypoint'), manifests: app([nothing, fromWaypoint('waypoint'), nothingWaypoint]), request: svcReq, expect: 'DENY', hop: 'waypoint', policy: 'istio-system/allow-nothing-waypoint' },
      { name: 'workload waypoint: allow-nothing denies at ztunnel', cite: c('allow-nothing'), manifests: app([nothing]), request: podReq, expect: 'DENY', hop: 'ztunnel', policy: 'istio-system/allow-nothing' },
      { name: 'workload waypoint: workload-allow-from-waypoint', cite: c('workload-allow-from-waypoint'), manifests: app([nothing, fromWaypoint('wl-waypoint')]), request: podReq, expect: 'ALLOW', hop: 'ztunnel', policy: `${NS}/allow-from-waypoint` },
      { name: 'workload waypoint: allow-nothing-waypoint denies at the waypoint', cite: c('allow-nothing-waypoint'), manifests: app([nothing, fromWaypoint('wl-waypoint'), nothingWaypoint]), request: podReq, expect: 'DENY', hop: 'waypoint', policy: 'istio-system/allow-nothing-waypoint' },
    ];
  })(),

  // TestL7JWT
  { name: 'deny without token (403)', cite: cite('istio', FILE, `${JWT} "deny without token"`), manifests: jwtApp, request: jwtReq, expect: 'DENY', hop: 'waypoint', policy: `${NS}/authz-gateway-svc-wp` },
  { name: 'allow with sub-1 token', cite: cite('istio', FILE, `${JWT} "allow with sub-1 token"`), manifests: jwtApp, request: { ...jwtReq, token: { issuer: 'test-issuer-1@istio.io', subject: 'sub-1', claims: { groups: 'group-1' } } }, expect: 'ALLOW', hop: 'waypoint', policy: `${NS}/authz-gateway-svc-wp` },
  { name: 'deny with sub-3 token due to ignored RequestAuthentication (401)', cite: cite('istio', FILE, `${JWT} "deny with sub-3 token due to ignored RequestAuthentication"`), manifests: jwtApp, request: { ...jwtReq, token: { issuer: 'test-issuer-3@istio.io', subject: 'sub-1' } }, expect: 'DENY', hop: 'waypoint', reason: 'no RequestAuthentication here accepts issuer "test-issuer-3@istio.io": 401 Unauthorized' },
  { name: 'deny with sub-2 token (403)', cite: cite('istio', FILE, `${JWT} "deny with sub-2 token"`), manifests: jwtApp, request: { ...jwtReq, token: { issuer: 'test-issuer-2@istio.io', subject: 'sub-2' } }, expect: 'DENY', hop: 'waypoint', policy: `${NS}/authz-gateway-svc-wp` },
  { name: 'deny with expired token (401)', cite: cite('istio', FILE, `${JWT} "deny with expired token"`), manifests: jwtApp, request: { ...jwtReq, token: { issuer: 'test-issuer-1@istio.io', subject: 'sub-1', invalid: true } }, expect: 'DENY', hop: 'waypoint', reason: 'invalid or expired token: 401 Unauthorized' },
  { name: 'allow healthz without token', cite: cite('istio', FILE, `${JWT} "allow healthz"`), manifests: jwtApp, request: { ...jwtReq, path: '/healthz' }, expect: 'ALLOW', hop: 'waypoint', policy: `${NS}/authz-gateway-svc-wp` },

  // tests/integration/security/jwt_test.go TestGatewayAPIRequestAuthentication (gateway-api.yaml.tmpl,
  // gateway-jwt.yaml.tmpl): RequestAuthentication and AuthorizationPolicy at a Gateway API ingress
  // gateway, by the legacy targetRef and (ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY, default true) by selector.
  ...((): AccessVector[] => {
    const gw = 'a-gateway';
    const objects = [
      namespace('ns1', AMBIENT), ingressGateway('ns1', gw), service('ns1', 'a'),
      requestAuthn('ns1', 'default-a', { targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: gw }, jwtRules: [{ issuer: 'test-issuer-1@istio.io', jwksUri: 'https://x/jwks' }, { issuer: 'test-issuer-2@istio.io', jwksUri: 'https://x/jwks' }] }),
      requestAuthn('ns1', 'ignored-a', { selector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': gw } }, jwtRules: [{ issuer: 'test-issuer-3@istio.io', jwksUri: 'https://x/jwks' }] }),
      authz('ns1', 'authz-gateway-a', {
        targetRef: { name: gw, kind: 'Gateway', group: 'gateway.networking.k8s.io' },
        rules: [
          { to: [{ operation: { hosts: ['example.a.com'] } }], from: [{ source: { requestPrincipals: ['test-issuer-1@istio.io/sub-1'] } }, { source: { requestPrincipals: ['test-issuer-3@istio.io/sub-1'] } }] },
          { to: [{ operation: { hosts: ['any-request-principal-ok.a.com'] } }], from: [{ source: { requestPrincipals: ['*'] } }] },
          { to: [{ operation: { paths: ['/healthz'] } }] },
        ],
      }),
    ];
    const c = (sub: string) => cite('istio', 'tests/integration/security/jwt_test.go', `TestGatewayAPIRequestAuthentication "gateway-authn/${sub}"`);
    const req = (host: string, path: string, token?: any) => ({ to: 'ns1/a', viaIngress: `ns1/${gw}`, method: 'GET', host, path, ...(token ? { token } : {}) });
    const t1 = { issuer: 'test-issuer-1@istio.io', subject: 'sub-1' };
    const t2 = { issuer: 'test-issuer-2@istio.io', subject: 'sub-2' };
    const t3 = { issuer: 'test-issuer-3@istio.io', subject: 'sub-1' };
    const v = (sub: string, request: any, ok: boolean, reason?: string): AccessVector => ({
      name: sub,
      cite: c(sub),
      manifests: objects,
      request,
      expect: ok ? 'ALLOW' : 'DENY',
      hop: 'gateway',
      ...(reason ? { reason } : { policy: 'ns1/authz-gateway-a' }),
    });
    return [
      v('allow healthz', req('example.a.com', '/healthz'), true),
      v('deny without token', req('example.a.com', '/'), false),
      v('allow with sub-1 token', req('example.a.com', '/', t1), true),
      v('allow with sub-1 token despite "ignored" RequestAuthentication (enableGatewayAPISelectorPolicies flag = true)', req('example.a.com', '/', t3), true),
      v('deny with sub-2 token', req('example.a.com', '/', t2), false),
      v('deny with expired token', req('example.a.com', '/', { ...t1, invalid: true }), false, 'invalid or expired token: 401 Unauthorized'),
      v('allow with sub-1 token on any.com', req('any-request-principal-ok.a.com', '/', t1), true),
      v('allow with sub-2 token on any.com', req('any-request-principal-ok.a.com', '/', t2), true),
      v('deny without token on any.com', req('any-request-principal-ok.a.com', '/'), false),
      v('deny with token on other host', req('other-host.a.com', '/', t1), false),
    ];
  })(),

  // TestAuthorizationGateway: ztunnel sees the gateway identity and matches workload ports.
  ...((): AccessVector[] => {
    const objects = [
      namespace(NS, AMBIENT), namespace('istio-ingress', {}), ingressGateway('istio-ingress', 'ingress'),
      service(NS, 'captured', { ports: [{ name: 'http', port: 80, targetPort: 18080 }, { name: 'http2', port: 85, targetPort: 18085 }] }),
      authz(NS, 'policy', {
        selector: { matchLabels: { app: 'captured' } },
        rules: [
          { from: [{ source: { principals: ['cluster.local/ns/istio-ingress/sa/ingress-istio'] } }], to: [{ operation: { ports: ['18080'] } }] },
          { from: [{ source: { principals: [`cluster.local/ns/${NS}/sa/someone-else`] } }], to: [{ operation: { ports: ['18085'] } }] },
        ],
      }),
    ];
    const c = (sub: string) => cite('istio', FILE, `TestAuthorizationGateway "${sub}"`);
    return [
      { name: 'simple allow (/allowed routes to the allowed port)', cite: c('simple allow'), manifests: objects, request: { to: `${NS}/captured`, viaIngress: 'istio-ingress/ingress', port: 80, method: 'GET', path: '/allowed' }, expect: 'ALLOW', hop: 'ztunnel', policy: `${NS}/policy` },
      { name: 'simple deny (/deny routes to the other port)', cite: c('simple deny'), manifests: objects, request: { to: `${NS}/captured`, viaIngress: 'istio-ingress/ingress', port: 85, method: 'GET', path: '/deny' }, expect: 'DENY', hop: 'ztunnel', policy: `${NS}/policy` },
    ];
  })(),

  // TestPeerAuthentication: STRICT denies plaintext clients at ztunnel; PERMISSIVE admits them.
  ...((): AccessVector[] => {
    const c = (sub: string) => cite('istio', FILE, `TestPeerAuthentication "${sub}"`);
    const withPa = (...pas: any[]) => app(pas);
    const plaintext = { from: UNCAPTURED, to: `${NS}/captured` };
    const mesh = { from: SRC, to: `${NS}/captured` };
    return [
      { name: 'permissive: plaintext client allowed', cite: c('permissive'), manifests: withPa(peerAuthn(NS, 'global-permissive', { mtls: { mode: 'PERMISSIVE' } })), request: plaintext, expect: 'ALLOW', hop: 'ztunnel' },
      { name: 'strict: plaintext client denied', cite: c('strict'), manifests: withPa(peerAuthn(NS, 'global-strict', { mtls: { mode: 'STRICT' } })), request: plaintext, expect: 'DENY', hop: 'ztunnel', policy: `${NS}/global-strict` },
      { name: 'strict: mesh client allowed', cite: c('strict'), manifests: withPa(peerAuthn(NS, 'global-strict', { mtls: { mode: 'STRICT' } })), request: mesh, expect: 'ALLOW', hop: 'ztunnel' },
      { name: 'strict-permissive-ports: plaintext to the PERMISSIVE port allowed', cite: c('strict-permissive-ports'), manifests: withPa(peerAuthn(NS, 'global-strict', { selector: { matchLabels: { app: 'captured' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } })), request: { ...plaintext, port: 80 }, expect: 'ALLOW', hop: 'ztunnel' },
      { name: 'global-strict-permissive-workload-ports: plaintext to the PERMISSIVE port allowed', cite: c('global-strict-permissive-workload-ports'), manifests: withPa(peerAuthn('istio-system', 'global-strict', { mtls: { mode: 'STRICT' } }), peerAuthn(NS, 'local-port-override', { selector: { matchLabels: { app: 'captured' } }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } })), request: { ...plaintext, port: 80 }, expect: 'ALLOW', hop: 'ztunnel' },
      { name: 'global-permissive-strict-workload-ports: plaintext to the STRICT port denied', cite: c('global-permissive-strict-workload-ports'), manifests: withPa(peerAuthn('istio-system', 'global-permissive', { mtls: { mode: 'PERMISSIVE' } }), peerAuthn(NS, 'local-port-override', { selector: { matchLabels: { app: 'captured' } }, portLevelMtls: { 8080: { mode: 'STRICT' } } })), request: { ...plaintext, port: 80 }, expect: 'DENY', hop: 'ztunnel', policy: `${NS}/local-port-override` },
      { name: 'mesh-wide STRICT in the root namespace denies plaintext', cite: c('global-strict-permissive-workload-ports (root STRICT)'), manifests: withPa(peerAuthn('istio-system', 'global-strict', { mtls: { mode: 'STRICT' } })), request: plaintext, expect: 'DENY', hop: 'ztunnel', policy: 'istio-system/global-strict' },
    ];
  })(),
];
