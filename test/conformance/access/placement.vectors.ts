/**
 * Where policies are enforced and which waypoint serves what, checked through `explain` (per
 * Service) and the hop list of `check-access` (for pod-addressed traffic).
 */
import {
  authz, Citation, cite, deployment, ingressGateway, namespace, peerAuthn, requestAuthn, service, targetGateway, targetService, targetWaypointClass, waypoint,
} from './fixtures';
import { AccessRequest, ServiceExplanation } from '../../../src';

export interface PlacementVector {
  readonly name: string;
  readonly cite: Citation;
  readonly manifests: any[];
  /** `explain` of this Service must contain these fields. */
  readonly service?: string;
  readonly explain?: Partial<ServiceExplanation>;
  /** Or: the `where` of each hop of this request. */
  readonly request?: AccessRequest;
  readonly hops?: string[];
}

const AMBIENT = { 'istio.io/dataplane-mode': 'ambient' };
const NS = 'ns1';
const WAYPOINTS = 'pilot/pkg/serviceregistry/ambient/waypoints.go';
const INDEX_TEST = 'pilot/pkg/serviceregistry/ambient/ambientindex_test.go';
const ATTACH_TEST = 'pilot/pkg/model/policyattachment_test.go';

/** TestAmbientIndex_WaypointForWorkloadTraffic: pod1 and svc1 both label test-wp of each traffic type. */
function trafficTypeCase(trafficType: string, servesService: boolean, servesPod: boolean): PlacementVector[] {
  const manifests = [
    namespace(NS, AMBIENT), waypoint(NS, 'test-wp', { trafficType }),
    service(NS, 'svc1', { selector: { app: 'a' }, labels: { 'istio.io/use-waypoint': 'test-wp' } }),
    deployment(NS, 'pod1', { labels: { 'app': 'a', 'istio.io/use-waypoint': 'test-wp' } }),
  ];
  const c = cite('istio', INDEX_TEST, `TestAmbientIndex_WaypointForWorkloadTraffic "${trafficType === 'none' ? 'no' : trafficType} traffic"`);
  return [
    {
      name: `waypoint-for ${trafficType}: the Service is ${servesService ? '' : 'not '}served by test-wp`,
      cite: c,
      manifests,
      service: `${NS}/svc1`,
      explain: { waypoint: servesService ? `${NS}/test-wp` : `none (L4 only: waypoint ${NS}/test-wp serves ${trafficType} traffic (istio.io/waypoint-for), not service traffic)` },
    },
    {
      name: `waypoint-for ${trafficType}: pod-addressed traffic ${servesPod ? 'passes' : 'skips'} test-wp`,
      cite: c,
      manifests,
      request: { from: `${NS}/client`, to: `${NS}/svc1`, toPod: true },
      hops: servesPod ? [`waypoint ${NS}/test-wp`, `ztunnel of ${NS}/svc1's pods`] : [`ztunnel of ${NS}/svc1's pods`],
    },
  ];
}

const base = (extra: any[]) => [namespace(NS, AMBIENT), waypoint(NS, 'waypoint'), service(NS, 'svc', { labels: { 'istio.io/use-waypoint': 'waypoint' } }), deployment(NS, 'svc'), ...extra];
const attach = (sub: string) => cite('istio', ATTACH_TEST, `TestShouldAttachPolicy "${sub}"`);

export const PLACEMENT_VECTORS: PlacementVector[] = [
  ...trafficTypeCase('service', true, false),
  ...trafficTypeCase('all', true, true),
  ...trafficTypeCase('workload', false, true),
  ...trafficTypeCase('none', false, false),

  // TestAmbientIndex_ServiceAttachedWaypoints and getUseWaypoint precedence.
  { name: 'a Service labelled use-waypoint is served by that waypoint', cite: cite('istio', INDEX_TEST, 'TestAmbientIndex_ServiceAttachedWaypoints'), manifests: [namespace(NS, AMBIENT), waypoint(NS, 'test-wp'), service(NS, 'svc1', { labels: { 'istio.io/use-waypoint': 'test-wp' } })], service: `${NS}/svc1`, explain: { waypoint: `${NS}/test-wp` } },
  { name: 'the Service label beats the namespace label', cite: cite('istio', WAYPOINTS, 'fetchWaypointForTarget (object label first)'), manifests: [namespace(NS, { ...AMBIENT, 'istio.io/use-waypoint': 'ns-wp' }), waypoint(NS, 'ns-wp'), waypoint(NS, 'svc-wp'), service(NS, 'svc1', { labels: { 'istio.io/use-waypoint': 'svc-wp' } })], service: `${NS}/svc1`, explain: { waypoint: `${NS}/svc-wp` } },
  { name: 'use-waypoint: none on the Service opts out of the namespace waypoint', cite: cite('istio', WAYPOINTS, 'getUseWaypoint ("none")'), manifests: [namespace(NS, { ...AMBIENT, 'istio.io/use-waypoint': 'ns-wp' }), waypoint(NS, 'ns-wp'), service(NS, 'svc1', { labels: { 'istio.io/use-waypoint': 'none' } })], service: `${NS}/svc1`, explain: { waypoint: 'none (L4 only)' } },
  { name: 'a label naming a missing waypoint binds nothing (no fallback to the namespace)', cite: cite('istio', WAYPOINTS, 'fetchWaypointForTarget (ReportWaypointIsNotReady)'), manifests: [namespace(NS, { ...AMBIENT, 'istio.io/use-waypoint': 'ns-wp' }), waypoint(NS, 'ns-wp'), service(NS, 'svc1', { labels: { 'istio.io/use-waypoint': 'missing' } })], service: `${NS}/svc1`, explain: { waypoint: `none (L4 only: waypoint ${NS}/missing is not in the manifests (istiod binds nothing until it exists))` } },
  { name: 'a cross-namespace waypoint with the default allowedRoutes (Same) does not admit the Service', cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/waypoints_test.go', 'TestMakeAllowedRoutes "istio-waypoint defaults to same namespace"'), manifests: [namespace(NS, { ...AMBIENT, 'istio.io/use-waypoint': 'shared', 'istio.io/use-waypoint-namespace': 'infra' }), namespace('infra', AMBIENT), waypoint('infra', 'shared'), service(NS, 'svc1')], service: `${NS}/svc1`, explain: { waypoint: `none (L4 only: waypoint infra/shared does not admit namespace ${NS} (allowedRoutes.namespaces.from: Same))` } },
  { name: 'a cross-namespace waypoint with allowedRoutes All serves the Service', cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/waypoints_test.go', 'TestMakeAllowedRoutes "istio-waypoint matching listener with allowed routes"'), manifests: [namespace(NS, { ...AMBIENT, 'istio.io/use-waypoint': 'shared', 'istio.io/use-waypoint-namespace': 'infra' }), namespace('infra', AMBIENT), waypoint('infra', 'shared', { from: 'All' }), service(NS, 'svc1')], service: `${NS}/svc1`, explain: { waypoint: 'infra/shared' } },
  { name: 'a cross-namespace waypoint with a Selector admits matching namespaces', cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/waypoints_test.go', 'TestMakeAllowedRoutes "istio-waypoint matching listener with selector"'), manifests: [namespace(NS, { ...AMBIENT, 'istio.io/use-waypoint': 'shared', 'istio.io/use-waypoint-namespace': 'infra', 'team': 'a' }), namespace('infra', AMBIENT), waypoint('infra', 'shared', { from: 'Selector', selector: { team: 'a' } }), service(NS, 'svc1')], service: `${NS}/svc1`, explain: { waypoint: 'infra/shared' } },
  { name: 'waypoint-for from the GatewayClass label when the Gateway has none', cite: cite('istio', WAYPOINTS, 'gatewayToWaypointTransform (GatewayClass label)'), manifests: [namespace(NS, AMBIENT), { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'istio-waypoint', labels: { 'istio.io/waypoint-for': 'workload' } }, spec: { controllerName: 'istio.io/mesh-controller' } }, waypoint(NS, 'test-wp'), service(NS, 'svc1', { labels: { 'istio.io/use-waypoint': 'test-wp' } })], service: `${NS}/svc1`, explain: { waypoint: `none (L4 only: waypoint ${NS}/test-wp serves workload traffic (istio.io/waypoint-for), not service traffic)` } },
  { name: 'a headless Service is pod-addressed: its pods\' workload waypoint serves it', cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/services_test.go', 'TestServiceServices "headless" (no VIP) + waypoints.go fetchWaypointForWorkload'), manifests: [namespace(NS, { ...AMBIENT, 'istio.io/use-waypoint': 'wp' }), waypoint(NS, 'wp', { trafficType: 'all' }), service(NS, 'db', { headless: true }), deployment(NS, 'db')], service: `${NS}/db`, explain: { waypoint: `${NS}/wp (headless: pod-addressed, workload waypoint)` } },
  { name: 'a headless Service behind a service-only waypoint is unserved (pod traffic skips it)', cite: cite('istio', WAYPOINTS, 'fetchWaypointForWorkload (namespace-inherited service waypoint: no binding)'), manifests: [namespace(NS, { ...AMBIENT, 'istio.io/use-waypoint': 'wp' }), waypoint(NS, 'wp'), service(NS, 'db', { headless: true }), deployment(NS, 'db')], service: `${NS}/db`, explain: { waypoint: `none (L4 only: waypoint ${NS}/wp serves service traffic (istio.io/waypoint-for), not workload traffic)` } },
  { name: 'pod-addressed traffic to a Service-labelled waypoint skips it (toPod)', cite: cite('istio', 'tests/integration/ambient/baseline_test.go', 'TestServerRouting / TestPodIP (pod address bypasses the service waypoint)'), manifests: base([]), request: { from: `${NS}/client`, to: `${NS}/svc`, toPod: true }, hops: [`ztunnel of ${NS}/svc's pods`] },

  // policyattachment_test.go: which policies attach where.
  { name: 'non-gateway API workload and a targetRef: not at ztunnel', cite: attach('non-gateway API workload and a targetRef'), manifests: base([authz(NS, 'p', { ...targetService('svc') })]), service: `${NS}/svc`, explain: { ztunnelPolicies: [], waypointPolicies: [`${NS}/p (ALLOW nothing)`] } },
  { name: 'non-gateway API workload and a selector: at ztunnel', cite: attach('non-gateway API workload and a selector'), manifests: base([authz(NS, 'p', { selector: { matchLabels: { app: 'svc' } }, rules: [{}] })]), service: `${NS}/svc`, explain: { ztunnelPolicies: [`${NS}/p (ALLOW, 1 rule)`] } },
  { name: 'non-gateway API workload and both a targetRef and a selector: not at ztunnel', cite: attach('non-gateway API workload and both a targetRef and a selector'), manifests: base([authz(NS, 'p', { selector: { matchLabels: { app: 'svc' } }, ...targetService('svc'), rules: [{}] })]), service: `${NS}/svc`, explain: { ztunnelPolicies: [] } },
  { name: 'non-gateway API workload and no targetRef or selector: at ztunnel', cite: attach('non-gateway API workload and no targetRef or selector'), manifests: base([authz(NS, 'p', {})]), service: `${NS}/svc`, explain: { ztunnelPolicies: [`${NS}/p (ALLOW nothing)`], waypointPolicies: [] } },
  { name: 'waypoint and a selector: not at the waypoint', cite: attach('waypoint and a selector'), manifests: base([authz(NS, 'p', { selector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } }, rules: [{}] })]), service: `${NS}/svc`, explain: { waypointPolicies: [] } },
  { name: 'waypoint and a targetRef (its Gateway): at the waypoint', cite: attach('waypoint and a targetRef'), manifests: base([authz(NS, 'p', { ...targetGateway('waypoint'), rules: [{}] })]), service: `${NS}/svc`, explain: { waypointPolicies: [`${NS}/p (ALLOW, 1 rule)`], ztunnelPolicies: [] } },
  { name: 'waypoint and non-matching targetRef: not at the waypoint', cite: attach('waypoint and non-matching targetRef'), manifests: base([authz(NS, 'p', { ...targetGateway('other'), rules: [{}] })]), service: `${NS}/svc`, explain: { waypointPolicies: [] } },
  { name: 'service attached policy: at the waypoint', cite: attach('service attached policy'), manifests: base([authz(NS, 'p', { ...targetService('svc'), rules: [{}] })]), service: `${NS}/svc`, explain: { waypointPolicies: [`${NS}/p (ALLOW, 1 rule)`] } },
  { name: 'gateway class attached policy in root namespace: at the waypoint', cite: attach('gateway class attached policy in root namespace'), manifests: base([authz('istio-system', 'p', { ...targetWaypointClass })]), service: `${NS}/svc`, explain: { waypointPolicies: ['istio-system/p (ALLOW nothing)'] } },
  { name: 'gateway class attached policy in non-root namespace: ignored', cite: attach('gateway class attached policy in non-root namespace'), manifests: base([authz(NS, 'p', { ...targetWaypointClass })]), service: `${NS}/svc`, explain: { waypointPolicies: [] } },
  { name: 'gateway attached policy with cross-namespace service: a Gateway ref from the Service\'s namespace does not reach a waypoint in another namespace', cite: attach('gateway attached policy with cross-namespace service'), manifests: [namespace(NS, { ...AMBIENT, 'istio.io/use-waypoint': 'shared', 'istio.io/use-waypoint-namespace': 'infra' }), namespace('infra', AMBIENT), waypoint('infra', 'shared', { from: 'All' }), service(NS, 'svc'), authz(NS, 'p', { ...targetGateway('shared') })], service: `${NS}/svc`, explain: { waypoint: 'infra/shared', waypointPolicies: [] } },
  { name: 'gateway API ingress and no targetRef or selector: a namespace-wide policy applies at the ingress gateway', cite: attach('gateway API ingress and no targetRef or selector'), manifests: [namespace(NS, AMBIENT), ingressGateway(NS, 'gw'), service(NS, 'svc'), authz(NS, 'allow-nothing', {})], request: { to: `${NS}/svc`, viaIngress: `${NS}/gw` }, hops: [`ingress gateway ${NS}/gw`] },
  { name: 'gateway API ingress and a selector (gateway-name label): applies at the ingress gateway', cite: attach('gateway API ingress and a selector'), manifests: [namespace(NS, AMBIENT), ingressGateway(NS, 'gw'), service(NS, 'svc'), authz(NS, 'deny-all', { action: 'DENY', selector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'gw' } }, rules: [{}] })], request: { to: `${NS}/svc`, viaIngress: `${NS}/gw` }, hops: [`ingress gateway ${NS}/gw`] },
  { name: 'root-namespace selector policy applies to matching workloads in every namespace', cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/workloads.go', 'buildWorkloadPolicies (nsMatch: root namespace or workload namespace)'), manifests: base([authz('istio-system', 'p', { selector: { matchLabels: { app: 'svc' } }, action: 'DENY', rules: [{ from: [{ source: { namespaces: ['evil'] } }] }] })]), service: `${NS}/svc`, explain: { ztunnelPolicies: ['istio-system/p (DENY, 1 rule)'] } },

  // What explain says about ztunnel's handling of L7 fields (authorization.go handleRule; rbac.rs).
  { name: 'explain: a DENY whose clause is L7-only has no effect at ztunnel', cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization_test.go', 'TestConvertAuthorizationPolicyStatus "DENY policy with only L7 attributes results in no effect at ztunnel"', 'master'), manifests: [namespace(NS, AMBIENT), service(NS, 'svc'), authz(NS, 'p', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'] } }] }] })], service: `${NS}/svc`, explain: { ztunnelPolicies: [`${NS}/p (DENY, 1 rule): every rule has an L7-only clause: no effect at ztunnel (fails open)`] } },
  { name: 'explain: a DENY mixing L4 and L7 in one entry denies more at ztunnel', cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization_test.go', 'TestConvertAuthorizationPolicyStatus "DENY policy with mixed L4 and L7 attributes is enforced without HTTP rules"', 'master'), manifests: [namespace(NS, AMBIENT), service(NS, 'svc'), authz(NS, 'p', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'], ports: ['8080'] } }] }] })], service: `${NS}/svc`, explain: { ztunnelPolicies: [`${NS}/p (DENY, 1 rule): 1 rule enforced on the L4 part alone (denies more than written)`] } },
  { name: 'explain: an ALLOW with only L7 rules allows nothing at ztunnel', cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization_test.go', 'TestConvertAuthorizationPolicyStatus "unsupported HTTP methods"'), manifests: [namespace(NS, AMBIENT), service(NS, 'svc'), authz(NS, 'p', { rules: [{ to: [{ operation: { methods: ['GET'] } }] }] })], service: `${NS}/svc`, explain: { ztunnelPolicies: [`${NS}/p (ALLOW, 1 rule): every rule uses L7 attributes and is dropped: at ztunnel it allows nothing`] } },
  { name: 'explain: JWT rules attached to the waypoint are listed; selector-based ones are ignored at the waypoint', cite: cite('istio', 'tests/integration/ambient/baseline_test.go', 'TestL7JWT (testdata/requestauthn/waypoint-jwt.yaml.tmpl)'), manifests: base([requestAuthn(NS, 'by-ref', { ...targetGateway('waypoint'), jwtRules: [{ issuer: 'one', jwksUri: 'https://x/jwks' }] }), requestAuthn(NS, 'by-selector', { selector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } }, jwtRules: [{ issuer: 'three', jwksUri: 'https://x/jwks' }] })]), service: `${NS}/svc`, explain: { jwt: [`${NS}/by-ref: one`] } },

  // Effective mTLS (authorization.go convertedSelectorPeerAuthentications).
  { name: 'mTLS: the workload PeerAuthentication beats the namespace one', cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization.go', 'convertedSelectorPeerAuthentications (workload > namespace > mesh)'), manifests: base([peerAuthn(NS, 'ns-wide', { mtls: { mode: 'STRICT' } }), peerAuthn(NS, 'wl', { selector: { matchLabels: { app: 'svc' } }, mtls: { mode: 'PERMISSIVE' } })]), service: `${NS}/svc`, explain: { mtls: `PERMISSIVE (workload ${NS}/wl)` } },
  { name: 'mTLS: an UNSET namespace mode inherits the mesh STRICT', cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization.go', 'convertPeerAuthentication (isMtlsModeUnset)'), manifests: base([peerAuthn('istio-system', 'mesh', { mtls: { mode: 'STRICT' } }), peerAuthn(NS, 'ns-unset', {})]), service: `${NS}/svc`, explain: { mtls: 'STRICT (mesh istio-system/mesh)' } },
  { name: 'mTLS: no PeerAuthentication is PERMISSIVE in ambient', cite: cite('istio', 'tests/integration/ambient/baseline_test.go', 'TestPeerAuthentication "permissive"'), manifests: base([]), service: `${NS}/svc`, explain: { mtls: 'PERMISSIVE (ambient default)' } },
  { name: 'mTLS: a selector PeerAuthentication in the root namespace is not a workload policy', cite: cite('istio', 'pilot/pkg/serviceregistry/ambient/authorization.go', 'convertedSelectorPeerAuthentications (cfg.Namespace != rootNamespace)'), manifests: base([peerAuthn('istio-system', 'root-selector', { selector: { matchLabels: { app: 'svc' } }, mtls: { mode: 'STRICT' } })]), service: `${NS}/svc`, explain: { mtls: 'PERMISSIVE (ambient default)' } },
];
