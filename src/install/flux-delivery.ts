/**
 * The Flux delivery: a HelmRepository and one HelmRelease per chart, chained with `dependsOn`, and
 * the release namespaces.
 */
import { ApiObject, Chart, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { primaryCnis } from '../_cni-chain';
import type { AddonRelease } from '../_helm-addon';
import { checkNamespaceName, checkObjectName, constructError, wholeSeconds } from '../_validation';
import type { AmbientMesh } from './ambient-mesh';
import { MeshDelivery } from './delivery';
import { IstioChart } from './options';
import { GATEWAY_API_CRD_PATH, GATEWAY_API_REPOSITORY, GATEWAY_API_VERSION, ISTIO_HELM_REPOSITORY } from './versions';
import * as helm from '../imports/helm.toolkit.fluxcd.io';
import * as kustomize from '../imports/kustomize.toolkit.fluxcd.io';
import * as source from '../imports/source.toolkit.fluxcd.io';

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

/** `MeshDelivery.flux()`. */
export class FluxDelivery extends MeshDelivery {
  private readonly options: FluxDeliveryOptions;

  public constructor(options: FluxDeliveryOptions) {
    super();
    this.options = options;
  }

  public get displayName(): string {
    return 'Flux';
  }

  public get appliesAsBatch(): boolean {
    return true;
  }

  /** The namespace of the HelmRepositories. */
  private get sourceNamespace(): string {
    return this.options.sourceNamespace ?? 'flux-system';
  }

  public bind(mesh: AmbientMesh): void {
    const options = this.options;
    const repoName = options.repositoryName ?? 'istio';
    const sourceNamespace = this.sourceNamespace;
    const url = options.repositoryUrl ?? ISTIO_HELM_REPOSITORY;
    checkNamespaceName(mesh, 'flux sourceNamespace', sourceNamespace);
    if (!url.startsWith('https://') && !url.startsWith('oci://')) {
      throw constructError(mesh, `flux repositoryUrl "${url}" must be https:// or oci://.`);
    }
    const interval = durationString(wholeSeconds(mesh, 'flux interval', options.interval ?? Duration.minutes(10)));
    const sourceRef = (name: string) => ({ kind: helm.HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY, name, namespace: sourceNamespace });
    new source.HelmRepository(mesh, 'HelmRepository', {
      metadata: { name: repoName, namespace: sourceNamespace },
      spec: { interval: '1h', url, type: url.startsWith('oci://') ? source.HelmRepositorySpecType.OCI : undefined },
    });
    this.emitNamespaces(mesh);
    const caChart = mesh.certificateAuthority?._chartRelease(mesh._trustContext());
    let caRelease: helm.HelmReleaseSpecDependsOn | undefined;
    if (caChart) {
      // The HelmRelease-to-HelmRelease dependsOn below holds the whole install until the CA's chart is ready.
      new source.HelmRepository(mesh, `HelmRepository-${caChart.repositoryName}`, {
        metadata: { name: caChart.repositoryName, namespace: sourceNamespace },
        spec: { interval: '1h', url: caChart.repositoryUrl },
      });
      caRelease = { name: caChart.releaseName, namespace: caChart.namespace };
      new helm.HelmRelease(mesh, `HelmRelease-${caChart.name}`, {
        metadata: { name: caRelease.name, namespace: caRelease.namespace },
        spec: {
          interval,
          releaseName: caRelease.name,
          chart: {
            spec: {
              chart: caChart.chart,
              version: caChart.version,
              sourceRef: sourceRef(caChart.repositoryName),
            },
          },
          install: { remediation: { retries: 3 } },
          upgrade: { remediation: { retries: 3 } },
          values: caChart.values,
        },
      });
    }
    const caSecret = mesh.certificateAuthority?._istiodWaitsFor;
    const releases = mesh._releases;
    let previous: typeof releases[number] | undefined;
    for (const release of releases) {
      const dependsOn: helm.HelmReleaseSpecDependsOn[] = [];
      // The gateway chart only needs istiod; the node agents chain after istiod in upgrade order.
      const after = release.chart === IstioChart.GATEWAY ? releases.find(r => r.chart === IstioChart.ISTIOD) : previous;
      if (after) dependsOn.push({ name: after.releaseName, namespace: after.namespace });
      if (release.chart === IstioChart.BASE && caRelease) dependsOn.push(caRelease);
      if (release.chart === IstioChart.ISTIOD) {
        for (const dep of options.istiodDependsOn ?? []) dependsOn.push({ name: dep.name, namespace: dep.namespace ?? release.namespace });
      }
      // istio-cni waits for the primary CNI declared in the app (Cilium), wherever it is declared.
      const cniDependsOn = () => (release.chart === IstioChart.CNI ? primaryCnis(mesh) : []);
      new helm.HelmRelease(mesh, `HelmRelease-${release.chart}`, {
        metadata: { name: release.releaseName, namespace: release.namespace },
        spec: {
          interval,
          releaseName: release.releaseName,
          chart: {
            spec: {
              chart: release.chart,
              version: release.version,
              sourceRef: sourceRef(repoName),
            },
          },
          dependsOn: Lazy.any({
            produce: () => {
              const all = [...dependsOn, ...cniDependsOn().map(d => ({ name: d.name, namespace: d.namespace }))];
              return all.length ? all : undefined;
            },
          }),
          // Flux fails (and retries) a release whose non-optional valuesFrom Secret is missing, so istiod
          // starts only once cert-manager has written the CA's Secret; otherwise it would self-sign a root.
          valuesFrom: release.chart === IstioChart.ISTIOD && caSecret
            // literal: the PEM's newlines and '=' must not be read as Helm --set syntax.
            ? [{ kind: helm.HelmReleaseSpecValuesFromKind.SECRET, name: caSecret, valuesKey: 'ca.crt', targetPath: `podAnnotations.cdk8s-istio-ambient/${caSecret}-root`, literal: true }]
            : undefined,
          install: { remediation: { retries: 3 } },
          upgrade: { remediation: { retries: 3 } },
          values: Lazy.any({ produce: () => mesh._renderValues(release) }),
        },
      });
      if (release.chart !== IstioChart.GATEWAY) previous = release;
    }
    if (options.gatewayApiCrds) this.emitGatewayApiCrds(mesh, options.gatewayApiCrds, interval);
  }

  /** Namespaces the HelmReleases live in (they must exist before the releases). */
  private emitNamespaces(mesh: AmbientMesh): void {
    const names = [...new Set(mesh._releases.map(r => r.namespace))].filter(ns => ns !== 'kube-system' && ns !== 'default').sort();
    for (const name of names) {
      const ns = new ApiObject(mesh, `Namespace-${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      // Control-plane namespaces stay out of ambient: their pods must not depend on the mesh they run.
      if (name === mesh.namespace) for (const [k, v] of Object.entries(mesh._meshNamespaceLabels())) ns.metadata.addLabel(k, v);
    }
  }

  /** The CRDs' GitRepository and Kustomization, and the mesh's Kustomization after them, in the bootstrap chart. */
  private emitGatewayApiCrds(mesh: AmbientMesh, options: FluxGatewayApiCrdsOptions, interval: string): void {
    const sourceNamespace = this.sourceNamespace;
    const bootstrap = options.bootstrapChart;
    if (bootstrap === Chart.of(mesh)) {
      throw constructError(mesh, 'flux gatewayApiCrds.bootstrapChart is the chart of the AmbientMesh itself: the Kustomization that applies the mesh chart would apply itself, before the CRDs. Give a separate chart, applied by your Flux bootstrap.');
    }
    const meshPath = options.meshPath;
    if (!/^\.\/[^\s]*$/.test(meshPath) || meshPath.split('/').includes('..')) {
      throw constructError(mesh, `flux gatewayApiCrds.meshPath "${meshPath}" must be a path inside the Git repository starting with "./", e.g. "./dist/mesh".`);
    }
    const sourceName = options.meshSourceName ?? 'flux-system';
    checkObjectName(mesh, 'flux gatewayApiCrds.meshSourceName', sourceName);
    const id = `${mesh.node.id}-${mesh.node.addr.slice(0, 8)}`;
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
      metadata: { name: mesh.revision ? `istio-${mesh.revision}` : 'istio', namespace: sourceNamespace },
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

  /** @internal */
  public get _writesNamespaces(): boolean {
    return true;
  }

  /** @internal */
  public _helmCliRepository(): string {
    // The helm CLI installs from the same OCI registry Flux uses; https repositories are all Istio's.
    const url = this.options.repositoryUrl;
    return url?.startsWith('oci://') ? url : ISTIO_HELM_REPOSITORY;
  }

  /** @internal */
  public _addonSourceKey(release: AddonRelease): string {
    return `${this.sourceNamespace}/${release.repositoryName}`;
  }

  /** @internal */
  public _bindAddon(scope: Construct, release: AddonRelease, ownsSource: boolean): void {
    const sourceNamespace = this.sourceNamespace;
    if (ownsSource) {
      new source.HelmRepository(scope, `HelmRepository-${release.repositoryName}`, {
        metadata: { name: release.repositoryName, namespace: sourceNamespace },
        spec: { interval: '1h', url: release.repositoryUrl },
      });
    }
    new helm.HelmRelease(scope, 'HelmRelease', {
      metadata: { name: release.releaseName, namespace: release.namespace },
      spec: {
        interval: '10m',
        releaseName: release.releaseName,
        chart: {
          spec: {
            chart: release.chart,
            version: release.version,
            sourceRef: { kind: helm.HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY, name: release.repositoryName, namespace: sourceNamespace },
          },
        },
        dependsOn: Lazy.any({ produce: () => { const d = release.dependsOn?.() ?? []; return d.length ? d : undefined; } }),
        install: { createNamespace: true, remediation: { retries: 3 } },
        upgrade: { remediation: { retries: 3 } },
        values: Lazy.any({ produce: () => release.values() }),
      },
    });
  }
}

/** A Go duration as Flux writes it: "10m", "1h", "90s". */
function durationString(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
