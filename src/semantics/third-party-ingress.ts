/**
 * Third-party ingress controllers (Traefik, NGINX, ...) in ambient: pure rules, no cdk8s.
 *
 * A controller pod enrolled in ambient is an ordinary mesh client: ztunnel on its node sends its
 * connections through the destination's waypoint only when the controller dials the Service VIP. A
 * controller that load-balances to pod IPs itself reaches the pods directly, past the waypoint, and
 * `istio.io/ingress-use-waypoint` does not change that: istiod reads it for Istio gateways only.
 */

/** Chart repository of Traefik. */
export const TRAEFIK_HELM_REPOSITORY = 'https://traefik.github.io/charts';
/** The Traefik chart version whose values and IngressRoute CRD the library is checked against. */
export const TRAEFIK_CHART_VERSION = '41.3.0';
/** IngressRoute API version (traefik.io/v1alpha1 in Traefik v3). */
export const TRAEFIK_INGRESS_ROUTE_API_VERSION = 'traefik.io/v1alpha1';

/**
 * The service account the Traefik chart gives its pods: the chart's fullname, which is the release
 * name when it contains "traefik", else `<release>-traefik` (`traefik.fullname` in the chart's
 * templates/_helpers.tpl).
 */
export function traefikServiceAccountName(releaseName: string): string {
  const name = releaseName.includes('traefik') ? releaseName : `${releaseName}-traefik`;
  return name.slice(0, 63).replace(/-+$/, '');
}

/**
 * Whether an IngressRoute service entry makes Traefik dial the Service VIP (`nativeLB: true`) rather
 * than the pod IPs (Traefik's default). An unset `nativeLB` takes the provider's `nativeLBByDefault`.
 */
export function ingressRouteUsesServiceVip(service: { nativeLB?: boolean }, providerNativeLBByDefault: boolean): boolean {
  return service.nativeLB ?? providerNativeLBByDefault;
}
