import { Yaml } from 'cdk8s';
import { Construct } from 'constructs';
import { registerPrimaryCni } from './_cni-chain';
import { AddonRelease, addAddonRelease, addonHelmCommands, pruneValues } from './_helm-addon';
import { checkNamespaceName, constructError } from './_validation';
import { HelmInstallPlan, MeshDelivery } from './install';
import { CILIUM_CHART_VERSION, CILIUM_HELM_REPOSITORY, ciliumValueProblems } from './semantics/cni-chaining';

/** Props for `CiliumCni`. */
export interface CiliumCniProps {
  /**
   * Cilium chart version.
   * @default "1.20.0"
   */
  readonly version?: string;
  /**
   * Namespace of the Cilium release.
   * @default "kube-system"
   */
  readonly namespace?: string;
  /**
   * How the chart reaches the cluster.
   * @default - the delivery of the app's AmbientMesh, else the helm CLI
   */
  readonly delivery?: MeshDelivery;
  /**
   * Replace kube-proxy with Cilium's eBPF service handling (`kubeProxyReplacement`). Needs
   * `k8sServiceHost` and `k8sServicePort`, because nothing else would route to the API server.
   * @default false
   */
  readonly kubeProxyReplacement?: boolean;
  /**
   * API server host, for kube-proxy replacement.
   * @default - none
   */
  readonly k8sServiceHost?: string;
  /**
   * API server port, for kube-proxy replacement.
   * @default - none
   */
  readonly k8sServicePort?: number;
  /**
   * Other Cilium values, merged under the ones ambient needs. Values known to break ambient
   * (`cni.exclusive: true`, `socketLB.hostNamespaceOnly: false`, `bpf.masquerade: true`) are refused.
   * @default - none
   */
  readonly values?: { [key: string]: any };
}

/**
 * Cilium as the cluster's primary CNI, with istio-cni chained after it, from one declaration:
 * Cilium's values for ambient (`cni.exclusive: false`, `socketLB.hostNamespaceOnly: true`), installed
 * through the app's delivery before istio-cni (Flux `dependsOn`, Argo CD sync wave -2, helm command
 * order), and the app's AmbientMesh kept on `cni.chained` (there is no "cilium" CNI provider in Istio).
 *
 * Pair it with `AmbientNetworkPolicy` in namespaces that have default-deny NetworkPolicies.
 *
 * @see https://istio.io/latest/docs/ambient/install/platform-prerequisites/#cilium
 */
export class CiliumCni extends Construct {
  /** Namespace of the release. */
  public readonly namespace: string;
  /** Release name ("cilium"). */
  public readonly releaseName = 'cilium';

  private readonly props: CiliumCniProps;

  public constructor(scope: Construct, id: string, props: CiliumCniProps = {}) {
    super(scope, id);
    this.props = props;
    this.namespace = props.namespace ?? 'kube-system';
    checkNamespaceName(this, 'namespace', this.namespace);
    const problems = ciliumValueProblems(props.values ?? {});
    if (problems.length) {
      throw constructError(this, `values: ${problems.join('; ')}. Drop these values; CiliumCni sets what ambient needs.`);
    }
    if (props.kubeProxyReplacement && (!props.k8sServiceHost || props.k8sServicePort === undefined)) {
      throw constructError(this, 'kubeProxyReplacement needs k8sServiceHost and k8sServicePort (the API server address): without kube-proxy nothing else routes the kubernetes Service.');
    }
    addAddonRelease(this, props.delivery, () => this.release());
    // The app's AmbientMesh, declared before or after, refuses an unchained istio-cni at synth.
    registerPrimaryCni(this, { name: this.releaseName, namespace: this.namespace, path: this.node.path });
  }

  /** The helm CLI commands that install Cilium (run them before istio-cni). */
  public get helmCommands(): string[] {
    return addonHelmCommands(this.release());
  }

  private release(): AddonRelease {
    return {
      repositoryName: 'cilium',
      repositoryUrl: CILIUM_HELM_REPOSITORY,
      chart: 'cilium',
      version: this.props.version ?? CILIUM_CHART_VERSION,
      releaseName: this.releaseName,
      namespace: this.namespace,
      values: () => this.values,
      syncWave: -2,
    };
  }

  /** The Cilium chart values. */
  public get values(): { [key: string]: any } {
    const p = this.props;
    const required = {
      cni: { exclusive: false },
      socketLB: { hostNamespaceOnly: true },
      kubeProxyReplacement: p.kubeProxyReplacement ? true : undefined,
      k8sServiceHost: p.k8sServiceHost,
      k8sServicePort: p.k8sServicePort,
    };
    return pruneValues(merge(p.values ?? {}, required));
  }

  /** A values file and the helm commands that install Cilium. */
  public helmInstall(): HelmInstallPlan {
    return new HelmInstallPlan({ 'values-cilium.yaml': Yaml.stringify(this.values) }, [...this.helmCommands]);
  }
}

function merge(base: any, over: any): any {
  if (base === null || typeof base !== 'object' || Array.isArray(base) || over === null || typeof over !== 'object' || Array.isArray(over)) {
    return over === undefined ? base : over;
  }
  const out: any = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}
