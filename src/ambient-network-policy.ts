import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { checkNamespaceName, checkObjectName, namespaceOf } from './_validation';
import { HBONE_PORT, HOST_PROBE_SNAT_IPV4, HOST_PROBE_SNAT_IPV6 } from './semantics/cni-chaining';

/** Props for `AmbientNetworkPolicy`. */
export interface AmbientNetworkPolicyProps {
  /**
   * Namespace of the pods.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Name of the NetworkPolicy.
   * @default "allow-ambient-probes-and-hbone"
   */
  readonly name?: string;
  /**
   * Also admit the IPv6 probe source address (dual-stack clusters).
   * @default false
   */
  readonly ipv6?: boolean;
  /**
   * Namespace of a Prometheus outside the mesh that scrapes the waypoints' and gateways' Envoy
   * metrics port (15020) in this namespace.
   * @default - no scraping admitted
   */
  readonly scrapeFromNamespace?: string;
}

/**
 * A Kubernetes NetworkPolicy that lets ambient traffic through a CNI that enforces NetworkPolicy
 * (Cilium, Calico, ...): kubelet probes, which istio-cni sends from 169.254.7.127 (and the IPv6
 * SNAT address), and mesh traffic, which arrives on the HBONE port 15008 rather than the
 * application's ports.
 *
 * It selects every pod of the namespace, so, like any NetworkPolicy, it also isolates them: traffic it
 * does not admit is refused unless another NetworkPolicy admits it. In ambient with STRICT mTLS all
 * mesh traffic uses 15008, so this is the namespace's CNI-level default deny for everything else.
 *
 * @see https://istio.io/latest/docs/ambient/usage/networkpolicy/
 */
export class AmbientNetworkPolicy extends Construct {
  /** The NetworkPolicy. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: AmbientNetworkPolicyProps = {}) {
    super(scope, id);
    const ns = namespaceOf(this, props.namespace, 'AmbientNetworkPolicy');
    const name = props.name ?? 'allow-ambient-probes-and-hbone';
    checkObjectName(this, 'name', name);
    if (props.scrapeFromNamespace !== undefined) checkNamespaceName(this, 'scrapeFromNamespace', props.scrapeFromNamespace);
    const probeSources = [{ ipBlock: { cidr: `${HOST_PROBE_SNAT_IPV4}/32` } }];
    if (props.ipv6) probeSources.push({ ipBlock: { cidr: `${HOST_PROBE_SNAT_IPV6}/128` } });
    const ingress: any[] = [
      { from: probeSources },
      { ports: [{ port: HBONE_PORT, protocol: 'TCP' }] },
    ];
    if (props.scrapeFromNamespace) {
      ingress.push({
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.scrapeFromNamespace } } }],
        ports: [{ port: 15020, protocol: 'TCP' }],
      });
    }
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace: ns },
      spec: { podSelector: {}, policyTypes: ['Ingress'], ingress },
    });
  }
}
