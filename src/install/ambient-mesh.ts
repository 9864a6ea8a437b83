/** The AmbientMesh construct: the Istio charts of an ambient install, checked and delivered. */
import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { TrustContext } from '../_cert-manager';
import { unknownValueKeys } from '../_chart-values';
import { primaryCnis } from '../_cni-chain';
import { memoizeForSynth } from '../_memo';
import { MeshTrustSettings, resolveTrust } from '../_mesh-trust-install';
import { ingressWaypointErrors } from '../_multicluster-validation';
import { MeshRegistry } from '../_registry';
import { tracingProvidersOf } from '../_telemetry';
import { principalTrustErrors } from '../_trust-validation';
import { checkNamespaceName, constructError } from '../_validation';
import { DEFAULT_TRUST_DOMAIN, MeshIdentity } from '../mesh-identity';
import { MeshCertificateAuthority } from '../mesh-trust';
import { MeshCluster, NETWORK_LABEL } from '../multi-cluster';
import { MeshDelivery } from './delivery';
import { HelmInstallPlan, helmCliPlan } from './helm-install-plan';
import { IstioRelease, chartValues } from './helm-values';
import { istioctlPlan } from './istioctl-install';
import {
  ChartValueOverrides, CniOptions, IngressGatewayInstallOptions, IstioChart, IstiodOptions, MeshConfigOptions, MeshImageOptions, MeshPlatform,
  ZtunnelOptions,
} from './options';
import { DEFAULT_ISTIO_VERSION, checkSkew, parseVersion } from './versions';
import { ISTIO_CNI_PROVIDERS } from '../semantics/cni-chaining';

/** Props for `AmbientMesh`. */
export interface AmbientMeshProps {
  /**
   * Istio version of every chart (1.30.x).
   * @default "1.30.3"
   */
  readonly version?: string;
  /**
   * How the charts reach the cluster.
   * @default MeshDelivery.helmCli()
   */
  readonly delivery?: MeshDelivery;
  /**
   * Namespace of base and istiod (and of cni and ztunnel unless set).
   * @default "istio-system"
   */
  readonly namespace?: string;
  /**
   * Kubernetes platform profile.
   * @default - none (vanilla Kubernetes)
   */
  readonly platform?: MeshPlatform;
  /**
   * Control-plane revision (istiod release `istiod-<revision>`).
   * @default - the default revision
   */
  readonly revision?: string;
  /**
   * Revision tags pointing at this revision.
   * @default - none
   */
  readonly revisionTags?: string[];
  /**
   * Mesh trust domain.
   * @default - the cluster's mesh's, else "cluster.local"
   */
  readonly trustDomain?: string;
  /**
   * Trust-domain aliases (`meshConfig.trustDomainAliases`). Waypoints and gateways accept principals of
   * an alias; ztunnel does not (it matches principals literally), so L4 rules must use the trust domain.
   * @default - none
   */
  readonly trustDomainAliases?: string[];
  /**
   * Who signs mesh certificates: a plugged-in intermediate from cert-manager (`cacerts`) or istio-csr.
   * @default - the cluster's mesh's, else istiod's built-in CA (self-signed root)
   */
  readonly certificateAuthority?: MeshCertificateAuthority;
  /**
   * This install is one cluster of a multi-cluster mesh (multi-primary, multi-network): sets mesh ID,
   * cluster name, network, the multi-network switches, the network label of the mesh namespace and the
   * global service scope, and takes the mesh's trust domain and CA.
   * @default - a single-cluster mesh
   */
  readonly cluster?: MeshCluster;
  /** @default - chart defaults */
  readonly istiod?: IstiodOptions;
  /** @default - chart defaults */
  readonly cni?: CniOptions;
  /** @default - chart defaults */
  readonly ztunnel?: ZtunnelOptions;
  /** @default - chart defaults */
  readonly meshConfig?: MeshConfigOptions;
  /** @default - the images of the chart version */
  readonly image?: MeshImageOptions;
  /**
   * Also install the `gateway` chart (an ingress gateway Deployment).
   * @default - not installed
   */
  readonly ingressGateway?: IngressGatewayInstallOptions;
  /**
   * Start the validating webhook with `failurePolicy: Fail` (`base.validationFailurePolicy`, new in
   * 1.30) instead of letting istiod flip it, which GitOps tools report as drift.
   * @default true
   */
  readonly validationFailurePolicyFail?: boolean;
  /**
   * Escape hatch: extra values per chart, merged over the generated ones.
   * @default - none
   */
  readonly values?: ChartValueOverrides;
}

/**
 * Installs Istio in ambient mode from the program that configures it: the charts base, istiod, cni
 * and ztunnel (and optionally gateway), in that order, with `profile: ambient`, delivered with
 * Flux, Argo CD or the helm CLI.
 *
 * Values use only keys the 1.30 charts have. cni and ztunnel may not be newer than istiod and at
 * most one minor older. The Gateway API CRDs (v1.5.x standard channel) must be installed first.
 *
 * @see https://istio.io/latest/docs/ambient/install/helm/
 */
export class AmbientMesh extends Construct {
  /** Istio version of istiod (and base). */
  public readonly version: string;
  /** Namespace of istiod. */
  public readonly namespace: string;
  /** Mesh trust domain. */
  public readonly trustDomain: string;
  /** Control-plane revision, if any. */
  public readonly revision?: string;
  /** The delivery form. */
  public readonly delivery: MeshDelivery;
  /** Trust-domain aliases. */
  public readonly trustDomainAliases: string[];
  /** The certificate authority, unless istiod's built-in CA. */
  public readonly certificateAuthority?: MeshCertificateAuthority;
  /** The cluster of a multi-cluster mesh this install is, if any. */
  public readonly cluster?: MeshCluster;

  /** @internal */ public readonly _props: AmbientMeshProps;
  /** The releases, in install order. @internal */ public readonly _releases: IstioRelease[];
  /** The mesh namespace and CA objects that must exist before istiod starts, in apply order. @internal */
  public readonly _prerequisites: ApiObject[] = [];
  private readonly trust: MeshTrustSettings;

  public constructor(scope: Construct, id: string, props: AmbientMeshProps = {}) {
    super(scope, id);
    this._props = props;
    this.version = props.version ?? DEFAULT_ISTIO_VERSION;
    this.namespace = props.namespace ?? 'istio-system';
    this.trust = resolveTrust(this, props, DEFAULT_TRUST_DOMAIN);
    this.trustDomain = this.trust.trustDomain;
    this.trustDomainAliases = [...this.trust.trustDomainAliases];
    this.certificateAuthority = this.trust.certificateAuthority;
    this.cluster = this.trust.cluster;
    this.revision = props.revision;
    this.delivery = props.delivery ?? MeshDelivery.helmCli();
    checkNamespaceName(this, 'namespace', this.namespace);
    MeshIdentity.fromServiceAccountName('default', 'default', this.trustDomain); // validates it

    const version = parseVersion(this, 'version', this.version);
    if (version.major !== 1 || version.minor !== 30) {
      throw constructError(this, `version ${this.version} is not supported: this library targets Istio 1.30.x (its values are checked against the 1.30 charts). Use a 1.30 patch release, e.g. "${DEFAULT_ISTIO_VERSION}".`);
    }
    if (props.platform === MeshPlatform.EKS) {
      throw constructError(this, 'Istio has no "eks" platform profile (the charts would fail with "unknown platform"). On EKS leave `platform` unset; with the VPC CNI and security groups for pods, set POD_SECURITY_GROUP_ENFORCING_MODE=standard on the aws-node DaemonSet.');
    }
    if (props.revision !== undefined) checkLabelValue(this, 'revision', props.revision);
    for (const tag of props.revisionTags ?? []) checkLabelValue(this, 'revision tag', tag);
    if (props.revisionTags?.length && props.revision === undefined) {
      throw constructError(this, 'revisionTags point at a revision: set `revision` too.');
    }
    const nodeNamespace = props.platform === MeshPlatform.OPENSHIFT ? 'kube-system' : this.namespace;
    const cniVersion = props.cni?.version ?? this.version;
    const ztunnelVersion = props.ztunnel?.version ?? this.version;
    checkSkew(this, 'cni', cniVersion, this.version);
    checkSkew(this, 'ztunnel', ztunnelVersion, this.version);
    if (props.istiod?.replicas !== undefined && (props.istiod.minReplicas !== undefined || props.istiod.maxReplicas !== undefined)) {
      throw constructError(this, 'istiod: set either `replicas` (fixed) or `minReplicas`/`maxReplicas` (autoscaling), not both.');
    }
    const minReplicas = props.istiod?.minReplicas ?? 1;
    const maxReplicas = props.istiod?.maxReplicas ?? 5; // the chart's autoscaleMin/autoscaleMax
    for (const [what, n] of [['istiod.replicas', props.istiod?.replicas], ['istiod.minReplicas', props.istiod?.minReplicas], ['istiod.maxReplicas', props.istiod?.maxReplicas]] as const) {
      if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw constructError(this, `${what} is ${n}; it must be a whole number of at least 1.`);
    }
    if (minReplicas > maxReplicas) {
      throw constructError(this, `istiod.minReplicas (${minReplicas}) is greater than maxReplicas (${maxReplicas}${props.istiod?.maxReplicas === undefined ? ', the chart default' : ''}); the HorizontalPodAutoscaler would be rejected. Raise maxReplicas.`);
    }
    const cniNamespace = props.cni?.namespace ?? nodeNamespace;
    const ztunnelNamespace = props.ztunnel?.namespace ?? nodeNamespace;
    [cniNamespace, ztunnelNamespace].forEach(ns => checkNamespaceName(this, 'namespace', ns));

    this._releases = [
      { chart: IstioChart.BASE, releaseName: 'istio-base', namespace: this.namespace, version: this.version },
      { chart: IstioChart.ISTIOD, releaseName: props.revision ? `istiod-${props.revision}` : 'istiod', namespace: this.namespace, version: this.version },
      { chart: IstioChart.CNI, releaseName: 'istio-cni', namespace: cniNamespace, version: cniVersion },
      { chart: IstioChart.ZTUNNEL, releaseName: 'ztunnel', namespace: ztunnelNamespace, version: ztunnelVersion },
    ];
    if (props.ingressGateway) {
      const gatewayNamespace = props.ingressGateway.namespace ?? 'istio-ingress';
      checkNamespaceName(this, 'ingressGateway.namespace', gatewayNamespace);
      this._releases.push({ chart: IstioChart.GATEWAY, releaseName: props.ingressGateway.releaseName ?? 'istio-ingress', namespace: gatewayNamespace, version: this.version });
    }

    for (const [chart, values] of Object.entries(props.values ?? {})) {
      const unknown = unknownValueKeys(chart, values);
      if (unknown.length > 0) {
        throw constructError(this, `values.${chart} has keys the Istio 1.30 ${chart} chart does not have: ${unknown.join(', ')}. Check the chart's values.yaml; a misspelt key would be ignored silently by helm.`);
      }
    }

    checkCniProvider(this, props);

    MeshRegistry.of(this).registerMesh(this);
    this.emitPrerequisites();
    this.delivery.bind(this);
    this.node.addValidation({ validate: () => this.checkNoIstioResourcesInChart() });
    this.node.addValidation({
      validate: () => primaryCnis(this).map(c => this.chainedAfterProblem(c.path)).filter((e): e is string => e !== undefined),
    });
    // App-wide checks, memoized: cdk8s validates the whole app once per chart it writes.
    const bundle = { trustDomain: this.trustDomain, aliases: this.trustDomainAliases };
    this.node.addValidation({ validate: () => memoizeForSynth(this, 'trust-principals', () => principalTrustErrors(this.node.root, bundle)) });
    if (this.cluster) {
      this.node.addValidation({ validate: () => memoizeForSynth(this, 'multicluster-ingress', () => ingressWaypointErrors(this.node.root, version, this.version)) });
    }
  }

  /**
   * Flux and Argo CD dry-run a whole batch before applying it: an Istio or Gateway API resource in the
   * same output as the releases that install its CRDs fails the dry-run, so the install never starts.
   */
  private checkNoIstioResourcesInChart(): string[] {
    if (!this.delivery.appliesAsBatch) return [];
    const chart = Chart.of(this);
    const crs = chart.node.findAll()
      .filter((c): c is ApiObject => ApiObject.isApiObject(c))
      .filter(o => /(\.istio\.io|gateway\.networking\.k8s\.io)\//.test(o.apiVersion))
      .map(o => `${o.kind} ${o.name}`);
    if (crs.length === 0) return [];
    return [`chart "${chart.node.id}" installs Istio with ${this.delivery.displayName} and also holds ${crs.slice(0, 3).join(', ')}${crs.length > 3 ? `, and ${crs.length - 3} more` : ''}, whose CRDs that install creates: the GitOps dry-run of the batch would fail before the CRDs exist. Put the mesh configuration in another chart, applied after the install (a dependent Kustomization or a later sync wave).`];
  }

  /** Release name and namespace of each chart, in install order. */
  public get charts(): IstioChart[] {
    return this._releases.map(r => r.chart);
  }

  /** The Helm releases (chart, release name, namespace, version), in install order: what a delivery delivers. */
  public get releases(): IstioRelease[] {
    return this._releases.map(r => ({ ...r }));
  }

  /** Release name of a chart. */
  public releaseName(chart: IstioChart): string {
    const release = this._releases.find(r => r.chart === chart);
    if (!release) throw constructError(this, `chart ${chart} is not part of this install.`);
    return release.releaseName;
  }

  /** Namespace a chart is released into. */
  public releaseNamespace(chart: IstioChart): string {
    const release = this._releases.find(r => r.chart === chart);
    if (!release) throw constructError(this, `chart ${chart} is not part of this install.`);
    return release.namespace;
  }

  /** Names of the providers added to `meshConfig.extensionProviders`, sorted. */
  public get extensionProviderNames(): string[] {
    return tracingProvidersOf(this).map(p => p.name).sort();
  }

  /** The values this mesh gives a chart (a copy). */
  public valuesFor(chart: IstioChart): { [key: string]: any } {
    const release = this._releases.find(r => r.chart === chart);
    if (!release) throw constructError(this, `chart ${chart} is not part of this install (set ingressGateway to install the gateway chart).`);
    return this._renderValues(release);
  }

  /** Values files and the ordered helm commands (any delivery form; the helm CLI form has nothing else). */
  public helmInstall(): HelmInstallPlan {
    return helmCliPlan(this);
  }


  /**
   * The istioctl form of this install, for clusters installed with `istioctl install --set
   * profile=ambient`: an IstioOperator file with the same values, and the commands.
   */
  public istioctlInstall(): HelmInstallPlan {
    return istioctlPlan(this);
  }

  /** Refuses an unchained istio-cni next to a primary CNI installed by the same app (declared before or after). */
  private chainedAfterProblem(requester: string): string | undefined {
    const chained = this._props.cni?.chained ?? (this._props.values?.cni as any)?.cni?.chained ?? (this._props.values?.cni as any)?.chained;
    if (chained !== false) return undefined;
    return `${this.node.path} sets cni.chained: false, but istio-cni must chain after the primary CNI declared here (${requester}); only Multus setups run it unchained. Drop chained: false.`;
  }

  /**
   * The values of one release, rendered now (deliveries render them at synth, so every construct of the app counts).
   * @internal
   */
  public _renderValues(release: IstioRelease): { [key: string]: any } {
    return chartValues(release, {
      props: this._props,
      namespace: this.namespace,
      releases: this._releases,
      trust: this.trust,
      tracingProviders: tracingProvidersOf(this),
    });
  }

  /** What the CA's objects and chart need from the install. @internal */
  public _trustContext(annotations?: { [key: string]: string }): TrustContext {
    return {
      meshNamespace: this.namespace,
      ztunnelNamespace: this._releases.find(r => r.chart === IstioChart.ZTUNNEL)!.namespace,
      trustDomain: this.trustDomain,
      clusterName: this.cluster?.clusterName ?? 'Kubernetes', // istiod's default CLUSTER_ID
      revision: this.revision,
      annotations,
    };
  }

  /** Labels of the mesh namespace: out of ambient, and its network (ambient istiod reads it only there). @internal */
  public _meshNamespaceLabels(): { [key: string]: string } {
    const labels: { [key: string]: string } = { 'istio.io/dataplane-mode': 'none' };
    if (this.cluster) labels[NETWORK_LABEL] = this.cluster.network;
    return labels;
  }

  /**
   * The mesh namespace and the objects of the CA that must exist before istiod starts. A delivery
   * that writes the release namespaces writes the mesh namespace itself; Argo CD applies these in
   * waves -3 (namespace) and -2 (CA), before base (0).
   */
  private emitPrerequisites(): void {
    const ca = this.certificateAuthority;
    if (!this.delivery._writesNamespaces && (this.cluster || ca)) {
      this._prerequisites.push(new ApiObject(this, `Namespace-${this.namespace}`, {
        apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace, labels: this._meshNamespaceLabels(), annotations: this.delivery._prerequisiteAnnotations('-3') },
      }));
    }
    if (ca) this._prerequisites.push(...ca._prerequisites(this, this._trustContext(this.delivery._prerequisiteAnnotations('-2'))));
  }
}

/** istio-cni has the providers `default` and `multus` only; chaining after Cilium (or any CNI) is `cni.chained`. */
function checkCniProvider(scope: Construct, props: AmbientMeshProps): void {
  const cniValues: any = props.values?.cni ?? {};
  for (const [where, provider] of [['values.cni.provider', cniValues.provider], ['values.cni.cni.provider', cniValues.cni?.provider]]) {
    if (provider !== undefined && !ISTIO_CNI_PROVIDERS.includes(provider)) {
      throw constructError(scope, `${where} is "${provider}", but istio-cni only has the providers ${ISTIO_CNI_PROVIDERS.map(p => `"${p}"`).join(' and ')}. To run with ${provider === 'cilium' ? 'Cilium' : `"${provider}"`}, keep the default provider (istio-cni chains after the primary CNI, cni.chained: true) and configure the primary CNI for ambient (see CiliumCni).`);
    }
  }
}

function checkLabelValue(scope: Construct, what: string, value: string): void {
  if (value.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value)) {
    throw constructError(scope, `${what} "${value}" is invalid: use lowercase letters, digits and '-' (e.g. "1-30-3" or "stable").`);
  }
}

