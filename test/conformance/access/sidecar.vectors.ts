/**
 * Sidecar-mode destinations (the "before" side of a migration): the destination pod's own Envoy
 * enforces selector, namespace and mesh policies with every field and sees the client's identity.
 * Shaped after istio 1.30.3 `tests/integration/security/authz_test.go` and its `testdata/authz/*`
 * templates, which run against sidecar-injected echo apps.
 */
import { AccessVector, authz, cite, deployment, namespace, peerAuthn, requestAuthn, service } from './fixtures';

const FILE = 'tests/integration/security/authz_test.go';
const SIDECAR = { 'istio-injection': 'enabled' };
const app = (extra: any[]) => [
  namespace('ns1', SIDECAR), namespace('ns2', SIDECAR), namespace('plain', {}),
  service('ns1', 'b'), deployment('ns1', 'b'),
  ...extra,
];
/** allow-principal.yaml.tmpl: ns1/a may GET /allow on the HTTP workload port. */
const allowPrincipal = authz('ns1', 'b', {
  selector: { matchLabels: { app: 'b' } },
  action: 'ALLOW',
  rules: [{ to: [{ operation: { ports: ['8080'], paths: ['/allow'], methods: ['GET'] } }], from: [{ source: { principals: ['cluster.local/ns/ns1/sa/a'] } }] }],
});

export const SIDECAR_VECTORS: AccessVector[] = [
  {
    name: 'sidecar enforces an L7 selector policy with the client identity: allowed principal, allowed path',
    cite: cite('istio', FILE, 'TestAuthz_Principal (path /allow)'),
    manifests: app([allowPrincipal]),
    request: { from: 'ns1/a', to: 'ns1/b', method: 'GET', path: '/allow' },
    expect: 'ALLOW',
    hop: 'sidecar',
    policy: 'ns1/b',
  },
  {
    name: 'sidecar: allowed principal, path outside the rule',
    cite: cite('istio', FILE, 'TestAuthz_Principal (path /deny)'),
    manifests: app([allowPrincipal]),
    request: { from: 'ns1/a', to: 'ns1/b', method: 'GET', path: '/deny' },
    expect: 'DENY',
    hop: 'sidecar',
    policy: 'ns1/b',
  },
  {
    name: 'sidecar: another principal is denied',
    cite: cite('istio', FILE, 'TestAuthz_Principal (denied = ns2/a)'),
    manifests: app([allowPrincipal]),
    request: { from: 'ns2/a', to: 'ns1/b', method: 'GET', path: '/allow' },
    expect: 'DENY',
    hop: 'sidecar',
    policy: 'ns1/b',
  },
  {
    name: 'sidecar: ports are workload (target) ports',
    cite: cite('istio', FILE, 'TestAuthz_Principal (ports: WorkloadPort)'),
    manifests: app([allowPrincipal]),
    request: { from: 'ns1/a', to: 'ns1/b', port: 80, method: 'GET', path: '/allow' },
    expect: 'ALLOW',
    hop: 'sidecar',
    policy: 'ns1/b',
  },
  {
    name: 'sidecar: DENY on a namespace',
    cite: cite('istio', FILE, 'TestAuthz_DenyNamespace'),
    manifests: app([authz('ns1', 'deny-ns2', { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['ns2'] } }] }] })]),
    request: { from: 'ns2/a', to: 'ns1/b', method: 'GET', path: '/' },
    expect: 'DENY',
    hop: 'sidecar',
    policy: 'ns1/deny-ns2',
  },
  {
    name: 'sidecar: notMethods',
    cite: cite('istio', FILE, 'TestAuthz_NotMethod'),
    manifests: app([authz('ns1', 'not-method', { selector: { matchLabels: { app: 'b' } }, rules: [{ to: [{ operation: { notMethods: ['PUT'] } }] }] })]),
    request: { from: 'ns1/a', to: 'ns1/b', method: 'PUT', path: '/' },
    expect: 'DENY',
    hop: 'sidecar',
    policy: 'ns1/not-method',
  },
  {
    name: 'sidecar: STRICT mTLS rejects a plaintext client',
    cite: cite('istio', FILE, 'TestAuthz_DenyPlaintext (plaintext.yaml.tmpl)'),
    manifests: app([peerAuthn('ns1', 'default', { mtls: { mode: 'STRICT' } })]),
    request: { from: 'plain/client', to: 'ns1/b', method: 'GET', path: '/' },
    expect: 'DENY',
    hop: 'sidecar',
    policy: 'ns1/default',
  },
  {
    name: 'sidecar: a selector RequestAuthentication validates the token there',
    cite: cite('istio', FILE, 'TestAuthz_JWT (jwt.yaml.tmpl: requestPrincipals at the workload)'),
    manifests: app([
      requestAuthn('ns1', 'jwt', { selector: { matchLabels: { app: 'b' } }, jwtRules: [{ issuer: 'test-issuer-1@istio.io', jwksUri: 'https://example.com/jwks' }] }),
      authz('ns1', 'jwt', { selector: { matchLabels: { app: 'b' } }, rules: [{ from: [{ source: { requestPrincipals: ['test-issuer-1@istio.io/sub-1'] } }], to: [{ operation: { paths: ['/token1'] } }] }] }),
    ]),
    request: { from: 'ns1/a', to: 'ns1/b', method: 'GET', path: '/token1', token: { issuer: 'test-issuer-1@istio.io', subject: 'sub-1' } },
    expect: 'ALLOW',
    hop: 'sidecar',
    policy: 'ns1/jwt',
  },
  {
    name: 'sidecar: no token, the requestPrincipals rule does not match',
    cite: cite('istio', FILE, 'TestAuthz_JWT ([No JWT])'),
    manifests: app([
      requestAuthn('ns1', 'jwt', { selector: { matchLabels: { app: 'b' } }, jwtRules: [{ issuer: 'test-issuer-1@istio.io', jwksUri: 'https://example.com/jwks' }] }),
      authz('ns1', 'jwt', { selector: { matchLabels: { app: 'b' } }, rules: [{ from: [{ source: { requestPrincipals: ['test-issuer-1@istio.io/sub-1'] } }], to: [{ operation: { paths: ['/token1'] } }] }] }),
    ]),
    request: { from: 'ns1/a', to: 'ns1/b', method: 'GET', path: '/token1' },
    expect: 'DENY',
    hop: 'sidecar',
    policy: 'ns1/jwt',
  },
];
