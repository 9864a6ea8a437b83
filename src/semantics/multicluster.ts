/**
 * Ambient multicluster behaviour that depends on the Istio release (pure, no cdk8s).
 */

/** A parsed Istio version. */
export interface IstioVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/**
 * Whether ingress gateways of this istiod skip the waypoint of a global Service that has workloads on
 * another network, even with `istio.io/ingress-use-waypoint: "true"` (istio/istio#61092): in 1.30.3
 * `SplitHorizonServices` (pilot/pkg/serviceregistry/ambient/multicluster.go) rebuilds the ServiceInfo
 * without its `Waypoint` binding, so `IngressUseWaypoint` reads false. Fixed on release-1.30 by
 * ab33d4433ae (#61124, 2026-08-05), after 1.30.3. Only releases known to carry the bug are reported:
 * 1.30.0 to 1.30.3.
 */
export function ingressSkipsWaypointAcrossNetworks(version: IstioVersion): boolean {
  return version.major === 1 && version.minor === 30 && version.patch <= 3;
}

/** The label naming a network: on the istiod namespace (the cluster's network) and on east-west Gateways. */
export const NETWORK_LABEL = 'topology.istio.io/network';
/** The label the ambient profile's `serviceScopeConfigs` entry matches to make a Service global. */
export const GLOBAL_LABEL = 'istio.io/global';
/** The entry the ambient profile puts in `meshConfig.serviceScopeConfigs` (manifests/helm-profiles/ambient.yaml, 1.30.3). */
export const GLOBAL_SERVICE_SCOPE = {
  servicesSelector: { matchExpressions: [{ key: GLOBAL_LABEL, operator: 'In', values: ['true'] }] },
  scope: 'GLOBAL',
};
/** The label istiod's secret controller selects remote secrets by (`pkg/kube/multicluster/secretcontroller.go`). */
export const REMOTE_SECRET_LABEL = 'istio/multiCluster';
/** GatewayClass of ambient east-west gateways (`pilot/pkg/config/kube/gatewaycommon/classinfo.go`). */
export const EAST_WEST_CLASS = 'istio-east-west';

/**
 * Whether other clusters' istiods take a Gateway as the network gateway of its network
 * (`pilot/pkg/serviceregistry/ambient/networks.go` remoteK8sGatewayToNetworkGateways, 1.30.3): a
 * `topology.istio.io/network` label, class `istio-east-west`, and a listener of protocol HBONE with
 * `tls.mode: Terminate`. (It also needs `status.addresses`, which only the live object has.)
 * @returns the network it serves, or undefined when it is not a network gateway
 */
export function networkGatewayNetwork(labels: { [k: string]: string } | undefined, spec: any): string | undefined {
  const network = labels?.[NETWORK_LABEL];
  if (!network || spec?.gatewayClassName !== EAST_WEST_CLASS) return undefined;
  const listeners: any[] = Array.isArray(spec?.listeners) ? spec.listeners : [];
  return listeners.some(l => l?.protocol === 'HBONE' && l?.tls?.mode === 'Terminate') ? network : undefined;
}

/**
 * Whether istiod runs with ambient multi-network on: `AMBIENT_ENABLE_MULTI_NETWORK` defaults to false
 * (`pilot/pkg/features/ambient.go`), and env values are strings parsed as booleans.
 */
export function multiNetworkEnabled(value: unknown): boolean {
  // pkg/env reads booleans with Go's strconv.ParseBool: true for "1", "t", "T", "TRUE", "true", "True".
  return value === true || (typeof value === 'string' && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value));
}

/**
 * The clusters a remote secret gives istiod access to: one per data key (`secretcontroller.go`
 * addSecret iterates the Secret's keys as cluster IDs, skipping its own cluster's).
 */
export function remoteSecretClusters(secret: any, localCluster: string): string[] {
  const keys = [...Object.keys(secret?.data ?? {}), ...Object.keys(secret?.stringData ?? {})];
  return [...new Set(keys)].filter(k => k !== localCluster).sort();
}

/** A label selector of `serviceScopeConfigs` (matchLabels, matchExpressions). */
function selectorMatches(selector: any, labels: { [k: string]: string }): boolean {
  // A missing or empty selector selects everything (matchServiceScope treats Nothing as Everything).
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector?.matchExpressions ?? []) {
    const values: string[] = (e?.values ?? []).map(String);
    const has = Object.prototype.hasOwnProperty.call(labels, e?.key);
    if (e?.operator === 'In' && !(has && values.includes(labels[e.key]))) return false;
    if (e?.operator === 'NotIn' && has && values.includes(labels[e.key])) return false;
    if (e?.operator === 'Exists' && !has) return false;
    if (e?.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/**
 * Whether a Service is global, as istiod decides it with AMBIENT_ENABLE_MULTI_NETWORK on
 * (`pilot/pkg/serviceregistry/ambient/services.go` matchServiceScope, 1.30.3): some
 * `meshConfig.serviceScopeConfigs` entry of scope GLOBAL whose namespaceSelector matches the
 * namespace's labels and servicesSelector the Service's labels. Nothing else makes a Service global.
 */
export function serviceScopeIsGlobal(serviceScopeConfigs: any[], namespaceLabels: { [k: string]: string },
  serviceLabels: { [k: string]: string }): boolean {
  return serviceScopeConfigs.some(c => c?.scope === 'GLOBAL'
    && selectorMatches(c.namespaceSelector, namespaceLabels) && selectorMatches(c.servicesSelector, serviceLabels));
}

/** The cluster ID istiod and ztunnel use when `multiCluster.clusterName` is not set. */
export const DEFAULT_CLUSTER_ID = 'Kubernetes';

/**
 * Whether istiod's CA authenticates a certificate request from a client of its own cluster that claims
 * cluster ID `claimed` (ztunnel sends its `multiCluster.clusterName`). istio 1.30.3
 * `security/pkg/server/ca/authenticate/kubeauth/kube_jwt.go` `getKubeClient`: the local cluster is used
 * when the claim is empty, equals istiod's cluster ID or is one of its aliases; any other claim is
 * checked against that remote cluster's API server (where a local token does not authenticate), or
 * refused outright when istiod knows no such cluster ("client claims to be in cluster ...").
 */
export function caAcceptsLocalClient(
  istiodCluster: string | undefined, claimed: string | undefined, aliases: { [alias: string]: string } = {},
): boolean {
  const local = istiodCluster ?? DEFAULT_CLUSTER_ID;
  if (claimed === '') return true;
  const id = claimed ?? DEFAULT_CLUSTER_ID;
  return id === local || aliases[id] === local;
}
