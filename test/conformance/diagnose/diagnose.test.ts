/**
 * Conformance vectors for `diagnose`: a planted mistake, a request and symptom, and the cause that
 * must come first (or none). Each cites the upstream test or code (Istio tag 1.30.3) that shows the
 * behaviour the cause's message states.
 */
import { deployment, healthy, withChanges } from './fixtures';
import { DiagnoseRequest, MeshAnalyzer, Symptom } from '../../../src';

interface Vector {
  readonly name: string;
  /** Upstream file and test (tag 1.30.3). */
  readonly source: string;
  readonly objects: any[];
  readonly request: DiagnoseRequest;
  /** `Kind namespace/name` of the first cause, or undefined for "no cause". */
  readonly first?: string;
  readonly hop?: string;
  /** Words the first cause's `why` must contain. */
  readonly why?: string;
}

const istiod = (revision?: string, version = '1.30.3') => ({
  apiVersion: 'helm.toolkit.fluxcd.io/v2',
  kind: 'HelmRelease',
  metadata: { name: 'istiod', namespace: 'istio-system' },
  spec: { chart: { spec: { chart: 'istiod', version } }, values: revision ? { revision } : {} },
});
const ztunnel = (version: string) => ({
  apiVersion: 'helm.toolkit.fluxcd.io/v2',
  kind: 'HelmRelease',
  metadata: { name: 'ztunnel', namespace: 'istio-system' },
  spec: { chart: { spec: { chart: 'ztunnel', version } }, values: {} },
});
const paymentsRoute = healthy.find(o => o.kind === 'HTTPRoute' && o.metadata.name === 'payments');
const waypoint = healthy.find(o => o.kind === 'Gateway' && o.metadata.name === 'waypoint');
const payments = healthy.find(o => o.kind === 'Service' && o.metadata.name === 'payments');

const vectors: Vector[] = [
  // ---- 404: no route rule matches
  {
    name: 'path outside every rule of the Service route',
    source: 'tests/integration/pilot/common/routing.go virtualServiceCases "weird header matches"/"no match" (a request no route matches gets 404)',
    objects: healthy,
    request: { symptom: Symptom.NOT_FOUND, to: 'shop/payments', port: 8080, from: 'shop/frontend', method: 'POST', path: '/refund' },
    first: 'HTTPRoute shop/payments',
    hop: 'waypoint shop/waypoint',
    why: 'No rule of HTTPRoute payments matches POST /refund',
  },
  {
    name: 'PathPrefix matches whole segments: /charge does not match /chargeback',
    source: 'pilot/pkg/networking/core/route/route.go translateRouteMatch (Gateway API prefix becomes PathSeparatedPrefix)',
    objects: healthy,
    request: { symptom: Symptom.NOT_FOUND, to: 'shop/payments', port: 8080, from: 'shop/frontend', method: 'POST', path: '/chargeback' },
    first: 'HTTPRoute shop/payments',
    why: 'matches POST /chargeback',
  },
  {
    name: 'PathPrefix /charge matches /charge/123: the 404 is the application\'s',
    source: 'pilot/pkg/networking/core/route/route.go translateRouteMatch (PathSeparatedPrefix)',
    objects: healthy,
    request: { symptom: Symptom.NOT_FOUND, to: 'shop/payments', port: 8080, from: 'shop/frontend', method: 'POST', path: '/charge/123' },
    first: 'Service shop/payments',
    hop: 'destination pod',
    why: 'most likely comes from the application',
  },
  {
    name: 'PathPrefix trailing slash is ignored: /charge/ matches /charge',
    source: 'pilot/pkg/config/kube/gateway/conversion.go createURIMatch ("a trailing / is ignored")',
    objects: withChanges({ ...paymentsRoute, spec: { ...paymentsRoute.spec, rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/charge/' } }], backendRefs: [{ name: 'payments', port: 8080 }] }] } }),
    request: { symptom: Symptom.NOT_FOUND, to: 'shop/payments', port: 8080, from: 'shop/frontend', method: 'POST', path: '/charge' },
    first: 'Service shop/payments',
    hop: 'destination pod',
  },
  {
    name: 'method outside an Exact + method match',
    source: 'tests/integration/pilot/common/routing.go virtualServiceCases "pseudo header matches" (POST against a GET-only match gets 404)',
    objects: healthy,
    request: { symptom: Symptom.NOT_FOUND, to: 'shop/payments', port: 8080, from: 'shop/frontend', method: 'POST', path: '/healthz' },
    first: 'HTTPRoute shop/payments',
    why: 'No rule of HTTPRoute payments matches POST /healthz',
  },
  {
    name: 'a rule without matches matches every path (PathPrefix /)',
    source: 'pilot/pkg/config/kube/gateway/conversion.go createURIMatch (no path: PathPrefix "/")',
    objects: withChanges({ ...paymentsRoute, spec: { ...paymentsRoute.spec, rules: [{ backendRefs: [{ name: 'payments', port: 8080 }] }] } }),
    request: { symptom: Symptom.NOT_FOUND, to: 'shop/payments', port: 8080, from: 'shop/frontend', method: 'DELETE', path: '/anything' },
    first: 'Service shop/payments',
    hop: 'destination pod',
  },
  {
    name: 'ingress host that no route serves',
    source: 'tests/integration/pilot/common/routing.go gatewayCases "404" (Host foo.bar through a gateway with no route for it)',
    objects: healthy,
    request: { symptom: Symptom.NOT_FOUND, to: 'shop/web', viaIngress: 'edge/public', host: 'other.example.com', path: '/' },
    first: 'Gateway edge/public',
    hop: 'ingress gateway edge/public',
    why: 'accepts host "other.example.com"',
  },
  {
    name: 'ingress host that a route serves: not the gateway',
    source: 'tests/integration/pilot/common/routing.go gatewayCases (matching host is routed)',
    objects: healthy,
    request: { symptom: Symptom.NOT_FOUND, to: 'shop/web', viaIngress: 'edge/public', host: 'shop.example.com', path: '/' },
    first: 'Service shop/web',
    hop: 'destination pod',
  },
  {
    name: 'route attached to a Service without waypoint is not applied',
    source: 'tests/integration/ambient/baseline_test.go TestServerRouting (runTestToServiceWaypoint: routes need the service waypoint); TestBogusUseWaypoint (no waypoint: L4 only)',
    objects: withChanges({ ...payments, metadata: { ...payments.metadata, labels: { 'istio.io/use-waypoint': 'none' } } }),
    request: { symptom: Symptom.NOT_FOUND, to: 'shop/payments', port: 8080, from: 'shop/frontend', method: 'POST', path: '/refund' },
    first: 'HTTPRoute shop/payments',
    hop: 'client ztunnel',
    why: 'so the route is not applied',
  },
  {
    name: 'VirtualService at the waypoint with a header match the request lacks',
    source: 'tests/integration/pilot/common/routing.go virtualServiceCases "weird header matches"/"no match"; baseline_test.go TestServerRouting (VirtualService applied by the waypoint)',
    objects: withChanges({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { hosts: ['web'], http: [{ match: [{ headers: { 'x-canary': { exact: 'yes' } } }], route: [{ destination: { host: 'web' } }] }] },
    }),
    request: { symptom: Symptom.NOT_FOUND, to: 'shop/web', from: 'shop/frontend', method: 'GET', path: '/' },
    first: 'VirtualService shop/web',
    hop: 'waypoint shop/waypoint',
    why: 'No http route of VirtualService web matches GET /',
  },
  {
    name: 'VirtualService :method pseudo-header match',
    source: 'tests/integration/pilot/common/routing.go virtualServiceCases "pseudo header matches"',
    objects: withChanges({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { hosts: ['web.shop.svc.cluster.local'], http: [{ match: [{ headers: { ':method': { exact: 'GET' } } }], route: [{ destination: { host: 'web.shop.svc.cluster.local' } }] }] },
    }),
    request: { symptom: Symptom.NOT_FOUND, to: 'shop/web', from: 'shop/frontend', method: 'POST', path: '/' },
    first: 'VirtualService shop/web',
  },
  {
    name: 'VirtualService prefix is a plain string prefix (/api matches /apix)',
    source: 'pilot/pkg/networking/core/route/route.go translateRouteMatch (VirtualService prefix stays RouteMatch_Prefix)',
    objects: withChanges({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { hosts: ['web'], http: [{ match: [{ uri: { prefix: '/api' } }], route: [{ destination: { host: 'web' } }] }] },
    }),
    request: { symptom: Symptom.NOT_FOUND, to: 'shop/web', from: 'shop/frontend', method: 'GET', path: '/apix' },
    first: 'Service shop/web',
    hop: 'destination pod',
  },

  // ---- 503: nothing to send to
  {
    name: 'Service selector matches no pod',
    source: 'tests/integration/pilot/label_test.go (no endpoints for a destination: "no healthy upstream")',
    objects: withChanges({ ...payments, spec: { ...payments.spec, selector: { app: 'payment' } } }),
    request: { symptom: Symptom.UNAVAILABLE, to: 'shop/payments', port: 8080, from: 'shop/frontend' },
    first: 'Service shop/payments',
    why: 'matches no workload',
  },
  {
    name: 'backendRef to a Service that does not exist',
    source: 'tests/integration/ambient/baseline_test.go TestWaypointWithInvalidBackend (waypoint answers 500)',
    objects: withChanges({ ...paymentsRoute, spec: { ...paymentsRoute.spec, rules: [{ backendRefs: [{ name: 'payments-v2', port: 8080 }] }] } }),
    request: { symptom: Symptom.UNAVAILABLE, to: 'shop/payments', port: 8080, from: 'shop/frontend', method: 'POST', path: '/charge' },
    first: 'HTTPRoute shop/payments',
    hop: 'waypoint shop/waypoint',
    why: 'Istio answers 500 for an invalid backend',
  },
  {
    name: 'backendRef port the backend Service lacks',
    source: 'tests/integration/ambient/baseline_test.go TestWaypointWithInvalidBackend (a backend the waypoint cannot resolve)',
    objects: withChanges({ ...paymentsRoute, spec: { ...paymentsRoute.spec, rules: [{ backendRefs: [{ name: 'payments', port: 9090 }] }] } }),
    request: { symptom: Symptom.UNAVAILABLE, to: 'shop/payments', port: 8080, from: 'shop/frontend', method: 'POST', path: '/charge' },
    first: 'HTTPRoute shop/payments',
    why: 'sends to port 9090',
  },
  {
    name: 'backend Service of the matching rule has no pods',
    source: 'tests/integration/pilot/label_test.go ("no healthy upstream" until a pod carries the labels)',
    objects: withChanges(
      { ...paymentsRoute, spec: { ...paymentsRoute.spec, rules: [{ backendRefs: [{ name: 'payments-v2', port: 8080 }] }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'payments-v2', namespace: 'shop' }, spec: { selector: { app: 'payments', version: 'v2' }, ports: [{ port: 8080 }] } },
    ),
    request: { symptom: Symptom.UNAVAILABLE, to: 'shop/payments', port: 8080, from: 'shop/frontend', method: 'POST', path: '/charge' },
    first: 'Service shop/payments-v2',
    why: 'whose selector matches no workload',
  },
  {
    name: 'VirtualService routes to a subset no DestinationRule defines',
    source: 'pkg/config/analysis/analyzers/virtualservice/destinationrules.go (IST0101 referenced subset not found); baseline_test.go TestServerRouting "subset"',
    objects: withChanges({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'payments', namespace: 'shop' },
      spec: { hosts: ['payments'], http: [{ route: [{ destination: { host: 'payments', subset: 'v2' } }] }] },
    }),
    request: { symptom: Symptom.UNAVAILABLE, to: 'shop/payments', port: 8080, from: 'shop/frontend' },
    first: 'VirtualService shop/payments',
    why: 'subset "v2"',
  },
  {
    name: 'DestinationRule subset whose labels no pod carries',
    source: 'tests/integration/pilot/label_test.go (subset label on no pod: "no healthy upstream"); baseline_test.go TestServerRouting "subset" (waypoint applies subsets)',
    objects: withChanges(
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'payments', namespace: 'shop' },
        spec: { hosts: ['payments'], http: [{ route: [{ destination: { host: 'payments', subset: 'v2' } }] }] },
      },
      { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'payments', namespace: 'shop' }, spec: { host: 'payments', subsets: [{ name: 'v2', labels: { version: 'v2' } }] } },
    ),
    request: { symptom: Symptom.UNAVAILABLE, to: 'shop/payments', port: 8080, from: 'shop/frontend' },
    first: 'DestinationRule shop/payments',
    why: 'which no pod of shop/payments carries',
  },
  {
    name: 'subset that pods carry is not a cause',
    source: 'tests/integration/pilot/label_test.go (routes once a pod carries the subset labels)',
    objects: withChanges(
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'payments', namespace: 'shop' },
        spec: { hosts: ['payments'], http: [{ route: [{ destination: { host: 'payments', subset: 'v1' } }] }] },
      },
      { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'payments', namespace: 'shop' }, spec: { host: 'payments', subsets: [{ name: 'v1', labels: { version: 'v1' } }] } },
    ),
    request: { symptom: Symptom.UNAVAILABLE, to: 'shop/payments', port: 8080, from: 'shop/frontend' },
  },
  {
    name: 'targetPort that no container declares',
    source: 'tests/integration/ambient/baseline_test.go TestDirect "local port pod ip" (a port nothing serves on the pod IP: 503)',
    objects: withChanges({ ...payments, spec: { ...payments.spec, ports: [{ name: 'http', port: 8080, targetPort: 9000 }] } }),
    request: { symptom: Symptom.UNAVAILABLE, to: 'shop/payments', port: 8080, from: 'shop/frontend' },
    first: 'Deployment shop/payments',
    hop: 'destination ztunnel',
    why: 'targetPort 9000',
  },
  {
    name: 'port the Service does not have',
    source: 'tests/integration/ambient/baseline_test.go TestDirect (only exposed ports are callable)',
    objects: healthy,
    request: { symptom: Symptom.UNAVAILABLE, to: 'shop/payments', port: 9999, from: 'shop/frontend' },
    first: 'Service shop/payments',
    why: 'has no port 9999',
  },
  {
    name: 'healthy mesh: no cause for 503',
    source: 'tests/integration/ambient/baseline_test.go TestServices (healthy service calls succeed)',
    objects: healthy,
    request: { symptom: Symptom.UNAVAILABLE, to: 'shop/payments', port: 8080, from: 'shop/frontend' },
  },

  // ---- denied: the evaluator names the hop and policy
  {
    name: 'method the waypoint ALLOW does not admit',
    source: 'tests/integration/ambient/baseline_test.go TestAuthorizationL7 (ALLOW with methods at the waypoint denies other methods)',
    objects: healthy,
    request: { symptom: Symptom.DENIED, to: 'shop/payments', port: 8080, from: 'shop/frontend', method: 'GET', path: '/charge/1' },
    first: 'AuthorizationPolicy shop/payments',
    hop: 'waypoint shop/waypoint',
    why: 'waypoint shop/waypoint denies the request',
  },
  {
    name: 'identity the waypoint ALLOW does not name',
    source: 'tests/integration/ambient/baseline_test.go TestAuthorizationL7 (principals at the waypoint)',
    objects: healthy,
    request: { symptom: Symptom.DENIED, to: 'shop/payments', port: 8080, from: 'shop/web', method: 'POST', path: '/charge/1' },
    first: 'AuthorizationPolicy shop/payments',
    hop: 'waypoint shop/waypoint',
  },
  {
    name: 'admitted request: no cause',
    source: 'tests/integration/ambient/baseline_test.go TestAuthorizationL7 (matching method and principal allowed)',
    objects: healthy,
    request: { symptom: Symptom.DENIED, to: 'shop/payments', port: 8080, from: 'shop/frontend', method: 'POST', path: '/charge/1' },
  },
  {
    name: 'namespace-wide DENY at ztunnel',
    source: 'tests/integration/ambient/baseline_test.go TestAuthorizationL4 (DENY on source namespace enforced by ztunnel)',
    objects: withChanges({
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'deny-edge', namespace: 'shop' },
      spec: { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['edge'] } }] }] },
    }, {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'batch', namespace: 'shop', labels: { 'istio.io/use-waypoint': 'none' } }, spec: { selector: { app: 'batch' }, ports: [{ port: 9000 }] },
    }),
    request: { symptom: Symptom.DENIED, to: 'shop/batch', port: 9000, from: 'edge/public-istio' },
    first: 'AuthorizationPolicy shop/deny-edge',
    hop: 'ztunnel of shop/batch\'s pods',
  },

  // ---- tls
  {
    name: 'plaintext client into STRICT mTLS',
    source: 'tests/integration/ambient/baseline_test.go TestPeerAuthentication "strict" (uncaptured clients rejected)',
    objects: withChanges({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'legacy' } }),
    request: { symptom: Symptom.TLS, to: 'shop/payments', port: 8080, from: 'legacy/client' },
    first: 'PeerAuthentication istio-system/default',
    hop: 'destination ztunnel',
    why: 'is not in the mesh',
  },
  {
    name: 'client in the mesh: STRICT is not a cause',
    source: 'tests/integration/ambient/baseline_test.go TestPeerAuthentication "strict" (captured clients pass)',
    objects: healthy,
    request: { symptom: Symptom.TLS, to: 'shop/payments', port: 8080, from: 'shop/frontend' },
  },
  {
    name: 'PERMISSIVE namespace override admits plaintext',
    source: 'tests/integration/ambient/baseline_test.go TestPeerAuthentication "permissive"',
    objects: withChanges(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'legacy' } },
      { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'shop' }, spec: { mtls: { mode: 'PERMISSIVE' } } },
    ),
    request: { symptom: Symptom.TLS, to: 'shop/payments', port: 8080, from: 'legacy/client' },
  },
  {
    name: 'DestinationRule TLS origination at the waypoint',
    source: 'tests/integration/ambient/baseline_test.go TestDestinationRule "TLS" (the waypoint applies tls.mode SIMPLE towards the pods)',
    objects: withChanges({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'payments', namespace: 'shop' }, spec: { host: 'payments', trafficPolicy: { tls: { mode: 'SIMPLE' } } } }),
    request: { symptom: Symptom.TLS, to: 'shop/payments', port: 8080, from: 'shop/frontend' },
    first: 'DestinationRule shop/payments',
    hop: 'waypoint shop/waypoint',
    why: 'originates TLS to the pods',
  },

  // ---- not-captured
  {
    name: 'namespace not labelled ambient',
    source: 'manifests/charts/istio-cni/values.yaml ambient.enablementSelectors (namespace istio.io/dataplane-mode=ambient)',
    objects: withChanges({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/use-waypoint': 'waypoint' } } }),
    request: { symptom: Symptom.NOT_CAPTURED, to: 'shop/payments' },
    first: 'Namespace /shop',
    hop: 'destination ztunnel',
    why: 'is not labelled istio.io/dataplane-mode=ambient',
  },
  {
    name: 'sidecar injection on an ambient namespace',
    source: 'cni/pkg/util/enablement_selector.go Matches (a pod with a sidecar is never enrolled); pkg/config/analysis/msg/messages.yaml IST0123',
    objects: withChanges({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio-injection': 'enabled' } } }),
    request: { symptom: Symptom.NOT_CAPTURED, to: 'shop/payments' },
    first: 'Namespace /shop',
    why: 'ztunnel does not capture a pod that has a sidecar',
  },
  {
    name: 'pod opted out with dataplane-mode=none',
    source: 'manifests/charts/istio-cni/values.yaml ambient.enablementSelectors (pod istio.io/dataplane-mode NotIn [none])',
    objects: withChanges(deployment('payments', 'shop', 'payments', { 'app': 'payments', 'version': 'v1', 'istio.io/dataplane-mode': 'none' })),
    request: { symptom: Symptom.NOT_CAPTURED, to: 'shop/payments' },
    first: 'Deployment shop/payments',
    why: 'istio.io/dataplane-mode=none',
  },
  {
    name: 'client pod requesting a sidecar',
    source: 'cni/pkg/util/enablement_selector.go Matches ("Ztunnel and sidecar for a single pod is currently not supported; opt out")',
    objects: withChanges(deployment('frontend', 'shop', 'frontend', { 'app': 'frontend', 'sidecar.istio.io/inject': 'true' })),
    request: { symptom: Symptom.NOT_CAPTURED, to: 'shop/payments', from: 'shop/frontend' },
    first: 'Deployment shop/frontend',
    hop: 'client ztunnel',
    why: 'never captured by ztunnel',
  },
  {
    name: 'enrolled namespace and pods: no cause',
    source: 'manifests/charts/istio-cni/values.yaml ambient.enablementSelectors',
    objects: healthy,
    request: { symptom: Symptom.NOT_CAPTURED, to: 'shop/payments', from: 'shop/frontend' },
  },

  // ---- not-synced
  {
    name: 'waypoint of a revision that is not installed',
    source: 'tests/integration/ambient/baseline_test.go TestOtherRevisionIgnored (a waypoint for another revision gets no deployment)',
    objects: withChanges(istiod(), { ...waypoint, metadata: { ...waypoint.metadata, labels: { ...waypoint.metadata.labels, 'istio.io/rev': 'canary' } } }),
    request: { symptom: Symptom.NOT_SYNCED, to: 'shop/payments' },
    first: 'Gateway shop/waypoint',
    hop: 'control plane',
    why: 'istio.io/rev=canary',
  },
  {
    name: 'waypoint of the installed revision',
    source: 'tests/integration/ambient/baseline_test.go TestOtherRevisionIgnored (inverse: matching revision is controlled)',
    objects: withChanges(istiod('canary'), { ...waypoint, metadata: { ...waypoint.metadata, labels: { ...waypoint.metadata.labels, 'istio.io/rev': 'canary' } } }),
    request: { symptom: Symptom.NOT_SYNCED, to: 'shop/payments' },
  },
  {
    name: 'ztunnel newer than istiod',
    source: 'release notes / istio.io upgrade docs as encoded in AMB119 (ztunnel at most one minor behind istiod, never newer)',
    objects: withChanges(istiod(undefined, '1.29.2'), ztunnel('1.30.3')),
    request: { symptom: Symptom.NOT_SYNCED, to: 'shop/payments' },
    first: 'HelmRelease istio-system/ztunnel',
    hop: 'manifests',
    why: 'AMB119',
  },
];

describe('diagnose conformance vectors', () => {
  it.each(vectors.map(v => [v.name, v] as const))('%s', (_name, v) => {
    const d = MeshAnalyzer.fromObjects(v.objects).diagnose(v.request);
    if (v.first === undefined) {
      expect(d.causes).toEqual([]);
      return;
    }
    expect(d.causes.length).toBeGreaterThan(0);
    const c = d.causes[0];
    expect(`${c.object.kind} ${c.object.namespace}/${c.object.name}`).toBe(v.first);
    if (v.hop) expect(c.hop).toBe(v.hop);
    if (v.why) expect(c.why).toContain(v.why);
    expect(c.fix.length).toBeGreaterThan(10);
  });

  it('has a vector per symptom, each citing its source', () => {
    for (const s of Object.values(Symptom)) expect(vectors.filter(v => v.request.symptom === s).length).toBeGreaterThanOrEqual(3);
    for (const v of vectors) expect(v.source).toMatch(/\.(go|yaml)|AMB\d+/);
  });
});
