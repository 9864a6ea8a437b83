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
