import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart, Duration, Lazy, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { TrustContext, emitCertManagerCa, istioCsrValues } from './_cert-manager';
import { unknownValueKeys } from './_chart-values';
import { primaryCnis } from './_cni-chain';
import { memoizeForSynth } from './_memo';
import { MeshTrustSettings, resolveTrust, trustValues } from './_mesh-trust-install';
import { ingressWaypointErrors } from './_multicluster-validation';
import { MeshRegistry } from './_registry';
import { tracingProvidersOf } from './_telemetry';
import { principalTrustErrors } from './_trust-validation';
import { checkNamespaceName, checkObjectName, constructError, wholeSeconds } from './_validation';
import * as argo from './imports/argoproj.io';
import * as helm from './imports/helm.toolkit.fluxcd.io';
import * as kustomize from './imports/kustomize.toolkit.fluxcd.io';
import * as source from './imports/source.toolkit.fluxcd.io';
import { DEFAULT_TRUST_DOMAIN, MeshIdentity } from './mesh-identity';
import { ISTIO_CSR_VERSION, JETSTACK_HELM_REPOSITORY, MeshCertificateAuthority } from './mesh-trust';
import { MeshCluster, NETWORK_LABEL } from './multi-cluster';
import { ISTIO_CNI_PROVIDERS } from './semantics/cni-chaining';
import { istioOperatorFor } from './semantics/istio-operator';

/** The Istio version this library targets by default. */
export const DEFAULT_ISTIO_VERSION = '1.30.3';
/** Istio's https Helm repository. */
export const ISTIO_HELM_REPOSITORY = 'https://istio-release.storage.googleapis.com/charts';
/** Istio's OCI Helm repository. */
export const ISTIO_OCI_REPOSITORY = 'oci://registry.istio.io/release/charts';
/** The Gateway API release Istio 1.30 is built against (standard channel). */
export const GATEWAY_API_VERSION = 'v1.5.1';
/** The Gateway API repository, whose `config/crd/standard` folder holds the standard-channel CRDs. */
const GATEWAY_API_REPOSITORY = 'https://github.com/kubernetes-sigs/gateway-api';
const GATEWAY_API_CRD_PATH = 'config/crd/standard';

/** The Istio Helm charts, in install order. */
export enum IstioChart {
  /** CRDs and cluster roles. */
  BASE = 'base',
  /** The control plane. */
  ISTIOD = 'istiod',
  /** The CNI node agent that redirects pod traffic to ztunnel. */
  CNI = 'cni',
  /** The per-node L4 proxy. */
  ZTUNNEL = 'ztunnel',
  /** An ingress gateway deployment (optional). */
  GATEWAY = 'gateway',
}

/** Kubernetes platforms with an Istio platform profile (`global.platform`). */
export enum MeshPlatform {
  /** Google Kubernetes Engine. */
  GKE = 'gke',
  /** k3d. */
  K3D = 'k3d',
  /** k3s. */
  K3S = 'k3s',
  /** MicroK8s. */
  MICROK8S = 'microk8s',
  /** minikube. */
  MINIKUBE = 'minikube',
  /** OpenShift (cni and ztunnel go to kube-system). */
  OPENSHIFT = 'openshift',
  /** Amazon EKS: refused, Istio has no EKS platform profile (see the error for what EKS needs). */
  EKS = 'eks',
}

/** What the mesh does with traffic to hosts it does not know (`meshConfig.outboundTrafficPolicy`). */
export enum OutboundTrafficPolicy {
  /** Pass it through. */
  ALLOW_ANY = 'ALLOW_ANY',
  /**
   * Block it at sidecars: only ServiceEntry hosts are reachable from them. ztunnel does not enforce it
   * (istio/istio#54281), so ambient pods are not restricted; use a NetworkPolicy egress rule and
   * `EgressHost` for them (the analyzer warns, AMB134).
   */
  REGISTRY_ONLY = 'REGISTRY_ONLY',
}

/** A HelmRelease the istiod release waits for (e.g. one that installs the Gateway API CRDs). */
export interface FluxReleaseReference {
  /** HelmRelease name. */
  readonly name: string;
  /**
   * HelmRelease namespace.
   * @default - the istiod release's namespace
   */
  readonly namespace?: string;
}

/**
 * The Gateway API CRDs delivered by Flux, and the mesh applied after them.
 *
 * Flux orders only objects of one kind: a HelmRelease `dependsOn` names HelmReleases, a Kustomization
 * `dependsOn` names Kustomizations (https://fluxcd.io/flux/components/kustomize/kustomizations/#dependencies).
 * So the CRDs come from a Kustomization (`gateway-api-crds`, with `wait: true`: ready once every CRD is
 * established), and the mesh's HelmReleases are applied by a second Kustomization that depends on
 * it, the layering Flux documents for CRDs and the releases that need them.
 */
export interface FluxGatewayApiCrdsOptions {
  /**
   * The chart for the Flux objects your Flux bootstrap applies: the GitRepository and Kustomization
   * of the Gateway API CRDs, and the Kustomization that applies the mesh's chart after them. Not the
   * mesh's own chart: its manifests are what that Kustomization applies.
   */
  readonly bootstrapChart: Chart;
  /**
   * Path, in the Git repository Flux syncs, of the folder with the mesh chart's manifests and nothing
   * else, e.g. `./dist/mesh` with `new App({ yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE })`.
   */
  readonly meshPath: string;
  /**
   * The GitRepository (in the source namespace) that holds `meshPath`.
   * @default "flux-system"
   */
  readonly meshSourceName?: string;
}

/** Options for `MeshDelivery.flux`. */
export interface FluxDeliveryOptions {
  /**
   * Chart repository: https (HelmRepository) or `oci://` (HelmRepository of type oci).
   * @default "https://istio-release.storage.googleapis.com/charts"
   */
  readonly repositoryUrl?: string;
  /**
   * Name of the HelmRepository.
   * @default "istio"
   */
  readonly repositoryName?: string;
  /**
   * Namespace of the HelmRepository.
   * @default "flux-system"
   */
  readonly sourceNamespace?: string;
  /**
   * Reconcile interval of the releases.
   * @default Duration.minutes(10)
   */
  readonly interval?: Duration;
  /**
   * HelmReleases istiod waits for, e.g. the one installing the Gateway API CRDs.
   * @default - none (install the Gateway API CRDs before applying, see the README)
   */
  readonly istiodDependsOn?: FluxReleaseReference[];
  /**
   * Install the Gateway API standard-channel CRDs (v1.5.1) with Flux, and apply the mesh after them:
   * a GitRepository of the upstream repository at its release tag, a Kustomization of its
   * `config/crd/standard` folder, and a Kustomization of the mesh chart that depends on it.
   * @default - the CRDs are installed by other means before the mesh (see the README)
   */
  readonly gatewayApiCrds?: FluxGatewayApiCrdsOptions;
}

/** Options for `MeshDelivery.argoCd`. */
export interface ArgoCdDeliveryOptions {
  /**
   * Namespace of the Argo CD Applications.
   * @default "argocd"
   */
  readonly namespace?: string;
  /**
   * Argo CD project.
   * @default "default"
   */
  readonly project?: string;
  /**
   * Chart repository URL.
   * @default "https://istio-release.storage.googleapis.com/charts"
   */
  readonly repositoryUrl?: string;
  /**
   * Destination cluster API server.
   * @default "https://kubernetes.default.svc"
   */
  readonly destinationServer?: string;
  /**
   * Sync automatically, with prune and self-heal.
   * @default true
   */
  readonly automatedSync?: boolean;
  /**
   * Also install the Gateway API standard-channel CRDs (v1.5.1) from the upstream repository, in an
   * Application that syncs before the charts.
   * @default false
   */
  readonly installGatewayApiCrds?: boolean;
}

/** How the charts are delivered to the cluster. */
export class MeshDelivery {
  /** Flux: a HelmRepository and one HelmRelease per chart, chained with `dependsOn`. */
  public static flux(options: FluxDeliveryOptions = {}): MeshDelivery {
    return new MeshDelivery('flux', options, {});
  }

  /** Argo CD: one Application per chart, ordered with sync waves. */
  public static argoCd(options: ArgoCdDeliveryOptions = {}): MeshDelivery {
    return new MeshDelivery('argocd', {}, options);
  }

  /** The helm CLI: no manifests; `AmbientMesh.helmInstall()` gives values files and ordered commands. */
  public static helmCli(): MeshDelivery {
    return new MeshDelivery('helm', {}, {});
  }

  /** @internal */ public readonly _kind: string;
  /** @internal */ public readonly _flux: FluxDeliveryOptions;
  /** @internal */ public readonly _argo: ArgoCdDeliveryOptions;

  private constructor(kind: string, flux: FluxDeliveryOptions, argoOptions: ArgoCdDeliveryOptions) {
    this._kind = kind;
    this._flux = flux;
    this._argo = argoOptions;
  }
}

/** istiod settings. */
export interface IstiodOptions {
  /**
   * Fixed replica count (turns autoscaling off).
   * @default - autoscaling 1 to 5 replicas (chart default)
   */
  readonly replicas?: number;
  /**
   * Autoscaling bounds. Not together with `replicas`.
   * @default - chart default (1 to 5)
   */
  readonly minReplicas?: number;
  /**
   * Autoscaling upper bound.
   * @default - chart default (5)
   */
  readonly maxReplicas?: number;
  /**
   * Container resources.
   * @default - chart default (requests 500m / 2048Mi)
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Extra environment variables (feature flags), e.g. `{ ENABLE_INGRESS_WAYPOINT_ROUTING: 'true' }`.
   * @default - none
   */
  readonly env?: { [name: string]: string };
}

/** istio-cni settings. */
export interface CniOptions {
  /**
   * Chart version; at most one minor older than istiod, never newer.
   * @default - the mesh version
   */
  readonly version?: string;
  /**
   * Namespace of the cni release.
   * @default - "kube-system" on OpenShift, else the mesh namespace
   */
  readonly namespace?: string;
  /**
   * Directory of the CNI plugin binaries on the nodes.
   * @default - chart or platform default (/opt/cni/bin)
   */
  readonly binDir?: string;
  /**
   * Directory of the CNI network configuration on the nodes.
   * @default - chart or platform default (/etc/cni/net.d)
   */
  readonly confDir?: string;
  /**
   * Chain istio-cni after the cluster's primary CNI (set false for Multus).
   * @default - chart default (true)
   */
  readonly chained?: boolean;
  /**
   * Namespaces whose pods the CNI agent never touches.
   * @default - chart default ([kube-system])
   */
  readonly excludeNamespaces?: string[];
  /**
   * Container resources.
   * @default - chart default
   */
  readonly resources?: kplus.ContainerResources;
}

/** ztunnel settings. */
export interface ZtunnelOptions {
  /**
   * Chart version; at most one minor older than istiod, never newer.
   * @default - the mesh version
   */
  readonly version?: string;
  /**
   * Namespace of the ztunnel release.
   * @default - "kube-system" on OpenShift, else the mesh namespace
   */
  readonly namespace?: string;
  /**
   * Container resources.
   * @default - chart default (requests 200m / 512Mi)
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Log level, e.g. "info" or "debug".
   * @default "info"
   */
  readonly logLevel?: string;
}

/** Mesh-wide settings (`meshConfig`). */
export interface MeshConfigOptions {
  /**
   * Traffic to unknown hosts.
   * @default - ALLOW_ANY (Istio's default)
   */
  readonly outboundTrafficPolicy?: OutboundTrafficPolicy;
  /**
   * File for Envoy access logs of waypoints and gateways, e.g. "/dev/stdout".
   * @default - access logs off unless a Telemetry turns them on
   */
  readonly accessLogFile?: string;
  /**
   * Tracing providers used when a Telemetry names none.
   * @default - none
   */
  readonly defaultTracingProviders?: string[];
  /**
   * Access-log providers used when a Telemetry names none.
   * @default - none
   */
  readonly defaultAccessLogProviders?: string[];
}

/** The optional ingress gateway chart install. */
export interface IngressGatewayInstallOptions {
  /**
   * Namespace of the gateway release.
   * @default "istio-ingress"
   */
  readonly namespace?: string;
  /**
   * Release name (and Deployment name).
   * @default "istio-ingress"
   */
  readonly releaseName?: string;
  /**
   * Service type.
   * @default "LoadBalancer"
   */
  readonly serviceType?: string;
}

/** Image registry and tag for all components. */
export interface MeshImageOptions {
  /**
   * Registry, e.g. "registry.example.com/istio".
   * @default - the chart's (registry.istio.io/release)
   */
  readonly hub?: string;
  /**
   * Image tag.
   * @default - the chart version
   */
  readonly tag?: string;
}

/** Extra values per chart, merged last. Keys the 1.30 charts do not have are refused. */
export interface ChartValueOverrides {
  /** @default - none */
  readonly base?: { [key: string]: any };
  /** @default - none */
  readonly istiod?: { [key: string]: any };
  /** @default - none */
  readonly cni?: { [key: string]: any };
  /** @default - none */
  readonly ztunnel?: { [key: string]: any };
  /** @default - none */
  readonly gateway?: { [key: string]: any };
}

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

interface Release {
  readonly chart: IstioChart;
  readonly releaseName: string;
  readonly namespace: string;
  readonly version: string;
}

/** Values files and ordered `helm upgrade --install` commands for the helm CLI. */
export class HelmInstallPlan {
  /** File name -> content (values files and README.md). */
  public readonly files: { [name: string]: string };
  /** The commands, in install order. */
  public readonly commands: string[];

  public constructor(files: { [name: string]: string }, commands: string[]) {
    this.files = files;
    this.commands = commands;
  }

  /** Writes the files into `directory` (created if needed); returns the paths written. */
  public writeTo(directory: string): string[] {
    fs.mkdirSync(directory, { recursive: true });
    return Object.entries(this.files).map(([name, content]) => {
      const file = path.join(directory, name);
      fs.writeFileSync(file, content);
      return file;
    });
  }
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

  private readonly props: AmbientMeshProps;
  private readonly trust: MeshTrustSettings;
  private readonly releases: Release[];
  /** The mesh namespace and CA objects that must exist before istiod starts, in apply order. */
  private readonly prerequisites: ApiObject[] = [];

  public constructor(scope: Construct, id: string, props: AmbientMeshProps = {}) {
    super(scope, id);
    this.props = props;
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

    this.releases = [
      { chart: IstioChart.BASE, releaseName: 'istio-base', namespace: this.namespace, version: this.version },
      { chart: IstioChart.ISTIOD, releaseName: props.revision ? `istiod-${props.revision}` : 'istiod', namespace: this.namespace, version: this.version },
      { chart: IstioChart.CNI, releaseName: 'istio-cni', namespace: cniNamespace, version: cniVersion },
      { chart: IstioChart.ZTUNNEL, releaseName: 'ztunnel', namespace: ztunnelNamespace, version: ztunnelVersion },
    ];
    if (props.ingressGateway) {
      const gatewayNamespace = props.ingressGateway.namespace ?? 'istio-ingress';
      checkNamespaceName(this, 'ingressGateway.namespace', gatewayNamespace);
      this.releases.push({ chart: IstioChart.GATEWAY, releaseName: props.ingressGateway.releaseName ?? 'istio-ingress', namespace: gatewayNamespace, version: this.version });
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
    this.emitDelivery();
    this.node.addValidation({ validate: () => this.checkNoIstioResourcesInChart() });
    this.node.addValidation({
      validate: () => primaryCnis(this).map(c => this._checkChainedAfter(c.path)).filter((e): e is string => e !== undefined),
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
    if (this.delivery._kind === 'helm') return [];
    const chart = Chart.of(this);
    const crs = chart.node.findAll()
      .filter((c): c is ApiObject => ApiObject.isApiObject(c))
      .filter(o => /(\.istio\.io|gateway\.networking\.k8s\.io)\//.test(o.apiVersion))
      .map(o => `${o.kind} ${o.name}`);
    if (crs.length === 0) return [];
    return [`chart "${chart.node.id}" installs Istio with ${this.delivery._kind === 'flux' ? 'Flux' : 'Argo CD'} and also holds ${crs.slice(0, 3).join(', ')}${crs.length > 3 ? `, and ${crs.length - 3} more` : ''}, whose CRDs that install creates: the GitOps dry-run of the batch would fail before the CRDs exist. Put the mesh configuration in another chart, applied after the install (a dependent Kustomization or a later sync wave).`];
  }

  /** Release name and namespace of each chart, in install order. */
  public get charts(): IstioChart[] {
    return this.releases.map(r => r.chart);
  }

  /** Release name of a chart. */
  public releaseName(chart: IstioChart): string {
    const release = this.releases.find(r => r.chart === chart);
    if (!release) throw constructError(this, `chart ${chart} is not part of this install.`);
    return release.releaseName;
  }

  /** Namespace a chart is released into. */
  public releaseNamespace(chart: IstioChart): string {
    const release = this.releases.find(r => r.chart === chart);
    if (!release) throw constructError(this, `chart ${chart} is not part of this install.`);
    return release.namespace;
  }

  /** Names of the providers added to `meshConfig.extensionProviders`, sorted. */
  public get extensionProviderNames(): string[] {
    return tracingProvidersOf(this).map(p => p.name).sort();
  }

  /** The values this mesh gives a chart (a copy). */
  public valuesFor(chart: IstioChart): { [key: string]: any } {
    const release = this.releases.find(r => r.chart === chart);
    if (!release) throw constructError(this, `chart ${chart} is not part of this install (set ingressGateway to install the gateway chart).`);
    return this.renderValues(release);
  }

  /** Values files and the ordered helm commands (any delivery form; the helm CLI form has nothing else). */
  public helmInstall(): HelmInstallPlan {
    const files: { [name: string]: string } = {};
    const repo = this.delivery._kind === 'flux' && this.delivery._flux.repositoryUrl?.startsWith('oci://')
      ? this.delivery._flux.repositoryUrl : ISTIO_HELM_REPOSITORY;
    const oci = repo.startsWith('oci://');
    const commands: string[] = oci ? [] : [`helm repo add istio ${repo}`, 'helm repo update istio'];
    const before: string[] = [];
    if (this.prerequisites.length) {
      files['mesh-prerequisites.yaml'] = Yaml.stringify(...this.prerequisites.map(o => o.toJson()));
      before.push('kubectl apply --server-side -f mesh-prerequisites.yaml');
    }
    const ca = this.certificateAuthority;
    if (ca?._kind === 'cacerts') {
      // istiod must find cacerts when it starts, or it generates a self-signed root.
      before.push(`kubectl wait --for=condition=Ready certificate/cacerts --namespace ${this.namespace} --timeout=5m`);
    }
    if (ca?._kind === 'istio-csr') {
      const csr = ca._istioCsr!;
      files['values-istio-csr.yaml'] = Yaml.stringify(istioCsrValues(ca, this.trustContext()));
      before.push(`helm repo add jetstack ${JETSTACK_HELM_REPOSITORY}`, 'helm repo update jetstack',
        `helm upgrade --install cert-manager-istio-csr jetstack/cert-manager-istio-csr --version ${csr.version ?? ISTIO_CSR_VERSION} --namespace ${csr.namespace ?? 'cert-manager'} --values values-istio-csr.yaml --wait`);
    }
    commands.unshift(...before);
    for (const release of this.releases) {
      if (release.chart === IstioChart.ISTIOD) {
        // istiod needs the Gateway API CRDs (standard channel) to run waypoints and gateways.
        commands.push(`kubectl get crd gateways.gateway.networking.k8s.io >/dev/null 2>&1 || kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/${GATEWAY_API_VERSION}/standard-install.yaml`);
      }
      const file = `values-${release.chart}.yaml`;
      files[file] = Yaml.stringify(this.renderValues(release));
      const chartRef = oci ? `${repo}/${release.chart}` : `istio/${release.chart}`;
      commands.push(`helm upgrade --install ${release.releaseName} ${chartRef} --version ${release.version} --namespace ${release.namespace} --create-namespace --values ${file} --wait`);
    }
    files['README.md'] = [
      '# Istio ambient install (helm CLI)',
      '',
      `Generated by cdk8s-istio-ambient for Istio ${this.version}. Run from this directory, in order:`,
      (ca ? (ca._kind === 'cacerts' ? 'the mesh namespace and the cacerts Certificate (wait until Ready), then ' : 'the mesh namespace and istio-csr, then ') : '') +
      'base, then the Gateway API CRDs, then istiod, then cni, then ztunnel' + (this.props.ingressGateway ? ', then the gateway.' : '.'),
      'Upgrade in the same order; cni and ztunnel may lag istiod by one minor version, never lead it.',
      '',
      '```sh',
      ...commands,
      '```',
      '',
      ...this.cluster ? [
        `Once every cluster of mesh ${this.cluster.mesh.meshId} is installed, give each istiod read access to the other clusters`,
        '(the remote secrets hold credentials, so they are never generated into files):',
        '',
        '```sh',
        ...this.cluster.mesh.remoteSecretCommands(),
        '```',
        '',
      ] : [],
    ].join('\n');
    return new HelmInstallPlan(files, commands);
  }

  /**
   * The istioctl form of this install, for clusters installed with `istioctl install --set
   * profile=ambient`: an IstioOperator file with the same values, and the commands.
   */
  public istioctlInstall(): HelmInstallPlan {
    if (this.props.values?.gateway && Object.keys(this.props.values.gateway).length) {
      throw constructError(this, 'values.gateway targets the Helm `gateway` chart; istioctl installs ingress gateways from another chart (gateways/istio-ingress), so these values have no IstioOperator equivalent. Drop them for the istioctl path, or install with Helm.');
    }
    const gw = this.releases.find(r => r.chart === IstioChart.GATEWAY);
    const operator = istioOperatorFor({
      base: this.valuesFor(IstioChart.BASE),
      istiod: this.valuesFor(IstioChart.ISTIOD),
      cni: this.valuesFor(IstioChart.CNI),
      ztunnel: this.valuesFor(IstioChart.ZTUNNEL),
    }, {
      cniNamespace: this.releaseNamespace(IstioChart.CNI) !== this.namespace ? this.releaseNamespace(IstioChart.CNI) : undefined,
      ztunnelNamespace: this.releaseNamespace(IstioChart.ZTUNNEL) !== this.namespace ? this.releaseNamespace(IstioChart.ZTUNNEL) : undefined,
      ingressGateway: gw ? { name: gw.releaseName, namespace: gw.namespace, serviceType: this.props.ingressGateway?.serviceType ?? 'LoadBalancer' } : undefined,
    });
    const file = 'istio-operator.yaml';
    const skew = [IstioChart.CNI, IstioChart.ZTUNNEL].filter(c => this.releases.find(r => r.chart === c)!.version !== this.version);
    if (skew.length) {
      throw constructError(this, `${skew.join(' and ')} ${skew.length > 1 ? 'are' : 'is'} pinned to another version than istiod; istioctl installs every component at its own version. Drop the ${skew.map(c => `${c}.version`).join('/')} setting for the istioctl path, or install with Helm.`);
    }
    const commands = [
      `istioctl version --remote=false  # must print ${this.version}`,
      `kubectl get crd gateways.gateway.networking.k8s.io >/dev/null 2>&1 || kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/${GATEWAY_API_VERSION}/standard-install.yaml`,
      `istioctl manifest generate -f ${file} > istio-manifest.yaml  # review what will be applied`,
      `istioctl install -y -f ${file}`,
    ];
    const files = {
      [file]: Yaml.stringify(prune(operator)),
      'README.md': [
        '# Istio ambient install (istioctl)',
        '',
        `Generated by cdk8s-istio-ambient for Istio ${this.version}: the same values as the Helm install, as an IstioOperator`,
        '(what `istioctl install --set profile=ambient` takes). Use istioctl of exactly that version. Run, in order:',
        '',
        '```sh',
        ...commands,
        '```',
        '',
      ].join('\n'),
    };
    return new HelmInstallPlan(files, commands);
  }

  /**
   * Refuses an unchained istio-cni next to a primary CNI installed by the same app (used by CiliumCni,
   * and at synth for a CNI declared before the mesh).
   * @internal
   */
  public _checkChainedAfter(requester: string): string | undefined {
    const chained = this.props.cni?.chained ?? (this.props.values?.cni as any)?.cni?.chained ?? (this.props.values?.cni as any)?.chained;
    if (chained !== false) return undefined;
    return `${this.node.path} sets cni.chained: false, but istio-cni must chain after the primary CNI declared here (${requester}); only Multus setups run it unchained. Drop chained: false.`;
  }

  private renderValues(release: Release): { [key: string]: any } {
    const p = this.props;
    const global: any = {};
    if (p.platform) global.platform = p.platform;
    let values: any;
    switch (release.chart) {
      case IstioChart.BASE:
        values = {
          defaultRevision: p.revision,
          base: p.validationFailurePolicyFail ?? true ? { validationFailurePolicy: 'Fail' } : undefined,
        };
        if (this.namespace !== 'istio-system') global.istioNamespace = this.namespace;
        break;
      case IstioChart.ISTIOD: {
        const ztunnelNs = this.releases.find(r => r.chart === IstioChart.ZTUNNEL)!.namespace;
        if (p.image?.hub) global.hub = p.image.hub;
        if (p.image?.tag) global.tag = p.image.tag;
        if (this.namespace !== 'istio-system') global.istioNamespace = this.namespace;
        const autoscale = p.istiod?.replicas !== undefined ? false
          : p.istiod?.minReplicas !== undefined || p.istiod?.maxReplicas !== undefined ? true : undefined;
        values = {
          profile: 'ambient',
          revision: p.revision,
          revisionTags: p.revisionTags?.length ? [...p.revisionTags] : undefined,
          replicaCount: p.istiod?.replicas,
          autoscaleEnabled: autoscale,
          autoscaleMin: p.istiod?.minReplicas,
          autoscaleMax: p.istiod?.maxReplicas,
          resources: renderResources(p.istiod?.resources),
          env: p.istiod?.env && Object.keys(p.istiod.env).length ? sortObject(p.istiod.env) : undefined,
          // Written whenever a platform is set: the OpenShift profile sets its own (kube-system).
          trustedZtunnelNamespace: ztunnelNs !== this.namespace || p.platform ? ztunnelNs : undefined,
          meshConfig: this.renderMeshConfig(),
          base: p.validationFailurePolicyFail ?? true ? { validationFailurePolicy: 'Fail' } : undefined,
        };
        break;
      }
      case IstioChart.CNI:
        if (p.image?.hub) global.hub = p.image.hub;
        if (p.image?.tag) global.tag = p.image.tag;
        // Under `cni.`: the chart copies cni.* over the top level after the platform profile, so
        // only there do the user's settings win over the profile's (k3s, openshift, ...).
        values = {
          profile: 'ambient',
          revision: p.revision,
          cni: {
            cniBinDir: p.cni?.binDir,
            cniConfDir: p.cni?.confDir,
            chained: p.cni?.chained,
            excludeNamespaces: p.cni?.excludeNamespaces ? [...p.cni.excludeNamespaces] : undefined,
            resources: renderResources(p.cni?.resources),
          },
        };
        break;
      case IstioChart.ZTUNNEL:
        values = {
          profile: 'ambient',
          revision: p.revision,
          hub: p.image?.hub,
          tag: p.image?.tag,
          istioNamespace: this.namespace !== 'istio-system' ? this.namespace : undefined,
          logLevel: p.ztunnel?.logLevel,
          resources: renderResources(p.ztunnel?.resources),
        };
        break;
      case IstioChart.GATEWAY:
        values = {
          revision: p.revision,
          service: { type: p.ingressGateway?.serviceType ?? 'LoadBalancer' },
        };
        break;
    }
    if (Object.keys(global).length > 0) values.global = global;
    values = deepMerge(values, trustValues(release.chart, this.trust));
    const overrides = (p.values as any)?.[release.chart] ?? {};
    return prune(deepMerge(values, overrides));
  }

  private renderMeshConfig(): any {
    const m = this.props.meshConfig ?? {};
    const tracing = tracingProvidersOf(this);
    const defaultProviders: any = {
      tracing: m.defaultTracingProviders?.length ? [...m.defaultTracingProviders] : undefined,
      accessLogging: m.defaultAccessLogProviders?.length ? [...m.defaultAccessLogProviders] : undefined,
    };
    return {
      trustDomain: this.trustDomain !== DEFAULT_TRUST_DOMAIN ? this.trustDomain : undefined,
      outboundTrafficPolicy: m.outboundTrafficPolicy ? { mode: m.outboundTrafficPolicy } : undefined,
      accessLogFile: m.accessLogFile,
      // The tracing constructs of the app add their providers, declared before or after the mesh.
      enableTracing: tracing.length ? true : undefined,
      defaultProviders,
      extensionProviders: tracing.length
        ? [...tracing].sort((a, b) => a.name.localeCompare(b.name)).map(e => JSON.parse(JSON.stringify(e)))
        : undefined,
    };
  }

  private trustContext(annotations?: { [key: string]: string }): TrustContext {
    return {
      meshNamespace: this.namespace,
      ztunnelNamespace: this.releases.find(r => r.chart === IstioChart.ZTUNNEL)!.namespace,
      trustDomain: this.trustDomain,
      clusterName: this.cluster?.clusterName ?? 'Kubernetes', // istiod's default CLUSTER_ID
      revision: this.revision,
      annotations,
    };
  }

  /** Labels of the mesh namespace: out of ambient, and its network (ambient istiod reads it only there). */
  private meshNamespaceLabels(): { [key: string]: string } {
    const labels: { [key: string]: string } = { 'istio.io/dataplane-mode': 'none' };
    if (this.cluster) labels[NETWORK_LABEL] = this.cluster.network;
    return labels;
  }

  /**
   * The mesh namespace and the cert-manager objects of a plugged-in CA. Flux writes its release
   * namespaces itself; Argo CD applies these in waves -3 (namespace) and -2 (CA), before base (0).
   */
  private emitPrerequisites(): void {
    const ca = this.certificateAuthority;
    const argoWave = (wave: string) => this.delivery._kind === 'argocd' ? { 'argocd.argoproj.io/sync-wave': wave } : undefined;
    if (this.delivery._kind !== 'flux' && (this.cluster || ca)) {
      this.prerequisites.push(new ApiObject(this, `Namespace-${this.namespace}`, {
        apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace, labels: this.meshNamespaceLabels(), annotations: argoWave('-3') },
      }));
    }
    if (ca?._kind === 'cacerts') this.prerequisites.push(...emitCertManagerCa(this, ca, this.trustContext(argoWave('-2'))));
  }

  private emitDelivery(): void {
    switch (this.delivery._kind) {
      case 'flux': return this.emitFlux(this.delivery._flux);
      case 'argocd': return this.emitArgo(this.delivery._argo);
      default: return;
    }
  }

  private emitFlux(options: FluxDeliveryOptions): void {
    const repoName = options.repositoryName ?? 'istio';
    const sourceNamespace = options.sourceNamespace ?? 'flux-system';
    const url = options.repositoryUrl ?? ISTIO_HELM_REPOSITORY;
    checkNamespaceName(this, 'flux sourceNamespace', sourceNamespace);
    if (!url.startsWith('https://') && !url.startsWith('oci://')) {
      throw constructError(this, `flux repositoryUrl "${url}" must be https:// or oci://.`);
    }
    const interval = durationString(wholeSeconds(this, 'flux interval', options.interval ?? Duration.minutes(10)));
    new source.HelmRepository(this, 'HelmRepository', {
      metadata: { name: repoName, namespace: sourceNamespace },
      spec: { interval: '1h', url, type: url.startsWith('oci://') ? source.HelmRepositorySpecType.OCI : undefined },
    });
    this.emitNamespaces();
    const ca = this.certificateAuthority;
    let csrRelease: helm.HelmReleaseSpecDependsOn | undefined;
    if (ca?._kind === 'istio-csr') {
      // The HelmRelease-to-HelmRelease dependsOn below holds the whole install until istio-csr is ready.
      const csr = ca._istioCsr!;
      new source.HelmRepository(this, 'HelmRepository-jetstack', {
        metadata: { name: 'jetstack', namespace: sourceNamespace },
        spec: { interval: '1h', url: JETSTACK_HELM_REPOSITORY },
      });
      csrRelease = { name: 'cert-manager-istio-csr', namespace: csr.namespace ?? 'cert-manager' };
      new helm.HelmRelease(this, 'HelmRelease-istio-csr', {
        metadata: { name: csrRelease.name, namespace: csrRelease.namespace },
        spec: {
          interval,
          releaseName: csrRelease.name,
          chart: { spec: { chart: 'cert-manager-istio-csr', version: csr.version ?? ISTIO_CSR_VERSION, sourceRef: { kind: helm.HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY, name: 'jetstack', namespace: sourceNamespace } } },
          install: { remediation: { retries: 3 } },
          upgrade: { remediation: { retries: 3 } },
          values: istioCsrValues(ca, this.trustContext()),
        },
      });
    }
    let previous: Release | undefined;
    for (const release of this.releases) {
      const dependsOn: helm.HelmReleaseSpecDependsOn[] = [];
      // The gateway chart only needs istiod; the node agents chain after istiod in upgrade order.
      const after = release.chart === IstioChart.GATEWAY ? this.releases.find(r => r.chart === IstioChart.ISTIOD) : previous;
      if (after) dependsOn.push({ name: after.releaseName, namespace: after.namespace });
      if (release.chart === IstioChart.BASE && csrRelease) dependsOn.push(csrRelease);
      if (release.chart === IstioChart.ISTIOD) {
        for (const dep of options.istiodDependsOn ?? []) dependsOn.push({ name: dep.name, namespace: dep.namespace ?? release.namespace });
      }
      // istio-cni waits for the primary CNI declared in the app (Cilium), wherever it is declared.
      const cniDependsOn = () => (release.chart === IstioChart.CNI ? primaryCnis(this) : []);
      new helm.HelmRelease(this, `HelmRelease-${release.chart}`, {
        metadata: { name: release.releaseName, namespace: release.namespace },
        spec: {
          interval,
          releaseName: release.releaseName,
          chart: {
            spec: {
              chart: release.chart,
              version: release.version,
              sourceRef: { kind: helm.HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY, name: repoName, namespace: sourceNamespace },
            },
          },
          dependsOn: Lazy.any({
            produce: () => {
              const all = [...dependsOn, ...cniDependsOn().map(d => ({ name: d.name, namespace: d.namespace }))];
              return all.length ? all : undefined;
            },
          }),
          // Flux fails (and retries) a release whose non-optional valuesFrom Secret is missing, so istiod
          // starts only once cert-manager has written cacerts; otherwise it would self-sign a root.
          valuesFrom: release.chart === IstioChart.ISTIOD && ca?._kind === 'cacerts'
            // literal: the PEM's newlines and '=' must not be read as Helm --set syntax.
            ? [{ kind: helm.HelmReleaseSpecValuesFromKind.SECRET, name: 'cacerts', valuesKey: 'ca.crt', targetPath: 'podAnnotations.cdk8s-istio-ambient/cacerts-root', literal: true }]
            : undefined,
          install: { remediation: { retries: 3 } },
          upgrade: { remediation: { retries: 3 } },
          values: Lazy.any({ produce: () => this.renderValues(release) }),
        },
      });
      if (release.chart !== IstioChart.GATEWAY) previous = release;
    }
    if (options.gatewayApiCrds) this.emitFluxGatewayApiCrds(options.gatewayApiCrds, sourceNamespace, interval);
  }

  /** The CRDs' GitRepository and Kustomization, and the mesh's Kustomization after them, in the bootstrap chart. */
  private emitFluxGatewayApiCrds(options: FluxGatewayApiCrdsOptions, sourceNamespace: string, interval: string): void {
    const bootstrap = options.bootstrapChart;
    if (bootstrap === Chart.of(this)) {
      throw constructError(this, 'flux gatewayApiCrds.bootstrapChart is the chart of the AmbientMesh itself: the Kustomization that applies the mesh chart would apply itself, before the CRDs. Give a separate chart, applied by your Flux bootstrap.');
    }
    const meshPath = options.meshPath;
    if (!/^\.\/[^\s]*$/.test(meshPath) || meshPath.split('/').includes('..')) {
      throw constructError(this, `flux gatewayApiCrds.meshPath "${meshPath}" must be a path inside the Git repository starting with "./", e.g. "./dist/mesh".`);
    }
    const sourceName = options.meshSourceName ?? 'flux-system';
    checkObjectName(this, 'flux gatewayApiCrds.meshSourceName', sourceName);
    const id = `${this.node.id}-${this.node.addr.slice(0, 8)}`;
    new source.GitRepository(bootstrap, `${id}-GitRepository-gateway-api`, {
      metadata: { name: 'gateway-api', namespace: sourceNamespace },
      spec: {
        interval: '1h',
        url: GATEWAY_API_REPOSITORY,
        ref: { tag: GATEWAY_API_VERSION },
        // Only the standard-channel CRDs are fetched.
        ignore: `/*\n!/${GATEWAY_API_CRD_PATH}/\n`,
      },
    });
    new kustomize.Kustomization(bootstrap, `${id}-Kustomization-gateway-api-crds`, {
      metadata: { name: 'gateway-api-crds', namespace: sourceNamespace },
      spec: {
        interval,
        path: `./${GATEWAY_API_CRD_PATH}`,
        sourceRef: { kind: kustomize.KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: 'gateway-api' },
        // Deleting a CRD deletes every Gateway and route of its kind: never prune them.
        prune: false,
        // Ready only once the CRDs are established, which is what the mesh waits for.
        wait: true,
      },
    });
    new kustomize.Kustomization(bootstrap, `${id}-Kustomization-mesh`, {
      metadata: { name: this.revision ? `istio-${this.revision}` : 'istio', namespace: sourceNamespace },
      spec: {
        interval,
        path: meshPath,
        sourceRef: { kind: kustomize.KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: sourceName },
        dependsOn: [{ name: 'gateway-api-crds' }],
        prune: true,
        wait: true,
      },
    });
  }

  private emitArgo(options: ArgoCdDeliveryOptions): void {
    const argoNamespace = options.namespace ?? 'argocd';
    checkNamespaceName(this, 'argo namespace', argoNamespace);
    const project = options.project ?? 'default';
    const repoURL = options.repositoryUrl ?? ISTIO_HELM_REPOSITORY;
    if (!repoURL.startsWith('https://')) {
      throw constructError(this, `argo repositoryUrl "${repoURL}" must be an https Helm repository. For an OCI registry, register it in Argo CD as a Helm repository with enableOCI and give its https form.`);
    }
    const server = options.destinationServer ?? 'https://kubernetes.default.svc';
    const automated = options.automatedSync ?? true;
    const syncPolicy = {
      automated: automated ? { prune: true, selfHeal: true } : undefined,
      // RespectIgnoreDifferences: without it Argo CD still overwrites the ignored webhook fields on sync.
      syncOptions: ['CreateNamespace=true', 'RespectIgnoreDifferences=true', 'ServerSideApply=true'],
    };
    if (options.installGatewayApiCrds) {
      new argo.Application(this, 'Application-gateway-api-crds', {
        metadata: { name: 'gateway-api-crds', namespace: argoNamespace, annotations: { 'argocd.argoproj.io/sync-wave': '-1' } },
        spec: {
          project,
          source: { repoUrl: `${GATEWAY_API_REPOSITORY}.git`, path: GATEWAY_API_CRD_PATH, targetRevision: GATEWAY_API_VERSION },
          destination: { server },
          syncPolicy: { automated: automated ? { prune: false, selfHeal: true } : undefined, syncOptions: ['ServerSideApply=true'] },
        },
      });
    }
    const ca = this.certificateAuthority;
    if (ca?._kind === 'istio-csr') {
      const csr = ca._istioCsr!;
      new argo.Application(this, 'Application-istio-csr', {
        metadata: { name: 'cert-manager-istio-csr', namespace: argoNamespace, annotations: { 'argocd.argoproj.io/sync-wave': '-1' }, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
        spec: {
          project,
          source: {
            repoUrl: JETSTACK_HELM_REPOSITORY,
            chart: 'cert-manager-istio-csr',
            targetRevision: csr.version ?? ISTIO_CSR_VERSION,
            helm: { releaseName: 'cert-manager-istio-csr', valuesObject: istioCsrValues(ca, this.trustContext()) },
          },
          destination: { server, namespace: csr.namespace ?? 'cert-manager' },
          syncPolicy,
        },
      });
    }
    this.releases.forEach((release, wave) => {
      // istiod rewrites the webhooks' CA bundle (and, without validationFailurePolicy Fail, the failure policy).
      const webhookPaths = ['.webhooks[]?.clientConfig.caBundle'];
      if (!(this.props.validationFailurePolicyFail ?? true)) webhookPaths.push('.webhooks[]?.failurePolicy');
      const ignoreDifferences = release.chart === IstioChart.BASE || release.chart === IstioChart.ISTIOD
        ? [{ group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', jqPathExpressions: webhookPaths }]
        : [];
      if (release.chart === IstioChart.ISTIOD) {
        ignoreDifferences.push({ group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'] });
      }
      new argo.Application(this, `Application-${release.chart}`, {
        metadata: {
          name: release.releaseName,
          namespace: argoNamespace,
          annotations: { 'argocd.argoproj.io/sync-wave': String(wave) },
          finalizers: ['resources-finalizer.argocd.argoproj.io'],
        },
        spec: {
          project,
          source: {
            repoUrl: repoURL,
            chart: release.chart,
            targetRevision: release.version,
            helm: { releaseName: release.releaseName, valuesObject: Lazy.any({ produce: () => this.renderValues(release) }) },
          },
          destination: { server, namespace: release.namespace },
          syncPolicy,
          ignoreDifferences: ignoreDifferences.length ? ignoreDifferences : undefined,
        },
      });
    });
  }

  /** Namespaces the Flux HelmReleases live in (they must exist before the releases). */
  private emitNamespaces(): void {
    const names = [...new Set(this.releases.map(r => r.namespace))].filter(ns => ns !== 'kube-system' && ns !== 'default').sort();
    for (const name of names) {
      const ns = new ApiObject(this, `Namespace-${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      // Control-plane namespaces stay out of ambient: their pods must not depend on the mesh they run.
      if (name === this.namespace) for (const [k, v] of Object.entries(this.meshNamespaceLabels())) ns.metadata.addLabel(k, v);
    }
  }
}

interface Version { readonly major: number; readonly minor: number; readonly patch: number }

function parseVersion(scope: Construct, what: string, version: string): Version {
  const m = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/.exec(version);
  if (!m) throw constructError(scope, `${what} "${version}" is not a version like "1.30.3".`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** cni and ztunnel at 1.x work with istiod 1.x and 1.x+1: never newer than istiod, at most one minor older. */
function checkSkew(scope: Construct, component: string, version: string, istiod: string): void {
  const v = parseVersion(scope, `${component}.version`, version);
  const i = parseVersion(scope, 'version', istiod);
  const newer = v.major > i.major || (v.major === i.major && (v.minor > i.minor || (v.minor === i.minor && v.patch > i.patch)));
  if (newer) {
    throw constructError(scope, `${component} ${version} is newer than istiod ${istiod}: upgrade istiod first (${component} may lag istiod by one minor version, never lead it).`);
  }
  if (v.major !== i.major || i.minor - v.minor > 1) {
    throw constructError(scope, `${component} ${version} is more than one minor version older than istiod ${istiod}: Istio supports ${component} 1.x with istiod 1.x and 1.x+1 only. Upgrade ${component} to ${i.major}.${i.minor - 1}.x or later.`);
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

/** A Go duration as Flux writes it: "10m", "1h", "90s". */
function durationString(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

function renderResources(resources?: kplus.ContainerResources): any {
  if (!resources) return undefined;
  const requests: any = {};
  const limits: any = {};
  if (resources.cpu?.request) requests.cpu = resources.cpu.request.amount;
  if (resources.cpu?.limit) limits.cpu = resources.cpu.limit.amount;
  if (resources.memory?.request) requests.memory = `${resources.memory.request.toMebibytes()}Mi`;
  if (resources.memory?.limit) limits.memory = `${resources.memory.limit.toMebibytes()}Mi`;
  const out: any = {};
  if (Object.keys(requests).length) out.requests = requests;
  if (Object.keys(limits).length) out.limits = limits;
  return Object.keys(out).length ? out : undefined;
}

function sortObject(obj: { [key: string]: string }): { [key: string]: string } {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => a.localeCompare(b)));
}

function isPlainObject(x: any): boolean {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function deepMerge(base: any, override: any): any {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: any = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = deepMerge(base[k], v);
  return out;
}

/**
 * Drops undefined values, and maps left empty by that, and sorts keys, so values files are stable
 * and minimal. Maps that were empty to begin with (`resourceDetectors: { environment: {} }`) stay.
 */
function prune(x: any): any {
  if (Array.isArray(x)) return x.map(prune);
  if (!isPlainObject(x)) return x;
  const out: any = {};
  for (const key of Object.keys(x).sort()) {
    const original = x[key];
    const v = prune(original);
    if (v === undefined) continue;
    if (isPlainObject(v) && Object.keys(v).length === 0 && Object.keys(original).length > 0) continue;
    out[key] = v;
  }
  return out;
}
