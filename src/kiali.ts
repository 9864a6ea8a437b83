import { Yaml } from 'cdk8s';
import { Construct } from 'constructs';
import { AddonRelease, addAddonRelease, addonHelmCommands, pruneValues } from './_helm-addon';
import { MeshRegistry } from './_registry';
import { checkNamespaceName, constructError } from './_validation';
import { HelmInstallPlan, IstioChart, MeshDelivery } from './install';
import { Tempo } from './tempo';

/** Kiali's Helm repository. */
export const KIALI_HELM_REPOSITORY = 'https://kiali.org/helm-charts';
/** The `kiali-server` chart version the library writes values for. */
export const KIALI_CHART_VERSION = '2.29.0';

/** Props for `Kiali`. */
export interface KialiProps {
  /**
   * The Prometheus that scrapes the mesh (the monitors of `MeshMetrics`), e.g.
   * `http://kube-prometheus-stack-prometheus.monitoring:9090`.
   */
  readonly prometheusUrl: string;
  /**
   * Namespace. Kiali reads istiod's debug endpoints, which Istio 1.29+ restricts to the mesh
   * namespace unless istiod's `DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES` lists Kiali's.
   * @default - the app's AmbientMesh namespace, else "istio-system"
   */
  readonly namespace?: string;
  /**
   * Chart version (kiali/kiali-server).
   * @default "2.29.0"
   */
  readonly version?: string;
  /**
   * How the chart reaches the cluster.
   * @default - the delivery of the app's AmbientMesh, else the helm CLI
   */
  readonly delivery?: MeshDelivery;
  /**
   * Query URL of the trace store (Tempo's HTTP API).
   * @default - the app's `Tempo` (`queryUrl`), else tracing off in Kiali
   */
  readonly tracingUrl?: string;
}

/**
 * Kiali (chart `kiali-server`) wired to the mesh: Prometheus for the graph and metrics, Tempo for
 * traces (`provider: tempo` over HTTP; the single-binary Tempo chart exposes no gRPC query port), and
 * the mesh's root namespace. Ambient needs no Kiali flag: Kiali detects ztunnel and waypoints.
 */
export class Kiali extends Construct {
  /** Release name. */
  public readonly releaseName = 'kiali-server';

  private readonly props: KialiProps;

  public constructor(scope: Construct, id: string, props: KialiProps) {
    super(scope, id);
    this.props = props;
    if (props.namespace !== undefined) checkNamespaceName(this, 'namespace', props.namespace);
    for (const [what, url] of [['prometheusUrl', props.prometheusUrl], ['tracingUrl', props.tracingUrl]] as const) {
      if (url !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(url)) {
        throw constructError(this, `${what} "${url}" is not an http(s) URL such as "http://prometheus.monitoring:9090".`);
      }
    }
    // At synth: the mesh may be declared after Kiali.
    this.node.addValidation({ validate: () => this.debugEndpointProblems() });
    addAddonRelease(this, props.delivery, () => this.release());
  }

  /** Namespace: the one given, else the app's AmbientMesh namespace (declared before or after), else "istio-system". */
  public get namespace(): string {
    return this.props.namespace ?? MeshRegistry.of(this).mesh?.namespace ?? 'istio-system';
  }

  /** The helm CLI commands that install Kiali. */
  public get helmCommands(): string[] {
    return addonHelmCommands(this.release());
  }

  private release(): AddonRelease {
    return {
      repositoryName: 'kiali',
      repositoryUrl: KIALI_HELM_REPOSITORY,
      chart: 'kiali-server',
      version: this.props.version ?? KIALI_CHART_VERSION,
      releaseName: this.releaseName,
      namespace: this.namespace,
      values: () => this.values,
      dependsOn: () => {
        const m = MeshRegistry.of(this).mesh;
        return m ? [{ name: m.revision ? `istiod-${m.revision}` : 'istiod', namespace: m.namespace }] : [];
      },
      syncWave: 10,
    };
  }

  private debugEndpointProblems(): string[] {
    const mesh = MeshRegistry.of(this).mesh;
    if (!mesh || this.namespace === mesh.namespace) return [];
    const allowed = (mesh.valuesFor(IstioChart.ISTIOD).env?.DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES ?? '').split(',').map((s: string) => s.trim());
    if (allowed.includes(this.namespace)) return [];
    return [`Kiali in namespace "${this.namespace}" could not read istiod's debug endpoints: Istio 1.29+ serves them only to the mesh namespace "${mesh.namespace}" (ENABLE_DEBUG_ENDPOINT_AUTH). Install Kiali in "${mesh.namespace}", or add "${this.namespace}" to istiod.env.DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES of the AmbientMesh.`];
  }

  /**
   * The chart values: `external_services` of the Kiali config. kiali/helm-charts
   * `kiali-server/templates/configmap.yaml` writes the chart's values (except `kiali_route_url`) into
   * Kiali's config.yaml; the keys are Kiali's (`config/config.go` v2.30.0: `external_services.prometheus.url`,
   * `tracing.{enabled,provider,internal_url,use_grpc}`, `istio.root_namespace`).
   */
  public get values(): { [key: string]: any } {
    const tracingUrl = this.props.tracingUrl ?? Tempo.of(this)?.queryUrl;
    const mesh = MeshRegistry.of(this).mesh;
    return pruneValues({
      external_services: {
        istio: { root_namespace: mesh?.namespace ?? 'istio-system' },
        prometheus: { url: this.props.prometheusUrl },
        tracing: tracingUrl ? { enabled: true, provider: 'tempo', internal_url: tracingUrl, use_grpc: false } : undefined,
      },
    });
  }

  /** A values file and the helm commands that install Kiali. */
  public helmInstall(): HelmInstallPlan {
    return new HelmInstallPlan({ 'values-kiali-server.yaml': Yaml.stringify(this.values) }, [...this.helmCommands]);
  }
}
