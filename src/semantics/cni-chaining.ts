/**
 * istio-cni chained after another CNI (Cilium first): pure rules, no cdk8s.
 *
 * Sources: Istio platform prerequisites (Cilium section), Cilium "Integration with Istio", the
 * istio-cni chart values and `cni/pkg/nodeagent/options.go` at 1.30.3.
 */

/** Source address istio-cni gives kubelet probes of ambient pods (`HOST_PROBE_SNAT_IP`). */
export const HOST_PROBE_SNAT_IPV4 = '169.254.7.127';
/** IPv6 probe source address (`HOST_PROBE_SNAT_IPV6`). */
export const HOST_PROBE_SNAT_IPV6 = 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff';
/** The port ztunnel receives mesh (HBONE) traffic on, in every ambient pod. */
export const HBONE_PORT = 15008;

/** `cni.provider` values the istio-cni chart has (there is no "cilium": chaining is `cni.chained`). */
export const ISTIO_CNI_PROVIDERS = ['default', 'multus'];

/** Cilium chart repository. */
export const CILIUM_HELM_REPOSITORY = 'https://helm.cilium.io';
/** The Cilium chart version whose values the library is checked against. */
export const CILIUM_CHART_VERSION = '1.20.0';

/**
 * Cilium values ambient needs, as dotted paths:
 * - `cni.exclusive: false`: otherwise Cilium renames other CNI configurations (istio-cni's) away;
 * - `socketLB.hostNamespaceOnly: true`: socket load balancing (on with kube-proxy replacement)
 *   would otherwise rewrite Service VIPs to pod IPs inside the pod, before ztunnel's redirection
 *   sees them, so waypoints and Service policies would be skipped.
 */
export const CILIUM_REQUIRED_VALUES: { [path: string]: any } = {
  'cni.exclusive': false,
  'socketLB.hostNamespaceOnly': true,
};

/** Cilium values known to break ambient, with why: dotted path -> [bad value, reason]. */
export const CILIUM_REFUSED_VALUES: { [path: string]: [any, string] } = {
  'cni.exclusive': [true, 'Cilium would rename the istio-cni configuration away (to *.cilium_bak), so pods would start without ambient redirection'],
  'socketLB.hostNamespaceOnly': [false, 'socket load balancing would translate Service VIPs to pod IPs inside the pods, so traffic would skip waypoints and Service-level policy'],
  'bpf.masquerade': [true, 'Istio documents BPF masquerading as unsupported with ambient: kubelet health probes of ambient pods fail'],
};

/** Reads a dotted path from a nested values object. */
export function valueAt(values: any, dottedPath: string): any {
  let node = values;
  for (const part of dottedPath.split('.')) {
    if (node === null || typeof node !== 'object' || !(part in node)) return undefined;
    node = node[part];
  }
  return node;
}

/** The problems of a Cilium values object for ambient: one sentence per refused value. */
export function ciliumValueProblems(values: any): string[] {
  return Object.entries(CILIUM_REFUSED_VALUES)
    .filter(([p, [bad]]) => valueAt(values, p) === bad)
    .map(([p, [bad, why]]) => `${p}: ${JSON.stringify(bad)} breaks ambient: ${why}`);
}
