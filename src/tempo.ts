import { Yaml } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { MeshContext } from './_context';
import { AddonRelease, addAddonRelease, addonHelmCommands, pruneValues } from './_helm-addon';
import { checkDns1035Label, constructError } from './_validation';
import { HelmInstallPlan, MeshDelivery } from './install';

/** The grafana-community Helm repository, where the `tempo` chart lives since 2026. */
export const TEMPO_HELM_REPOSITORY = 'https://grafana-community.github.io/helm-charts';
/** The `tempo` (single binary) chart version whose values the library writes. */
export const TEMPO_CHART_VERSION = '2.2.4';

/** Props for `Tempo`. */
export interface TempoProps {
  /**
   * Namespace.
   * @default "observability"
   */
  readonly namespace?: string;
  /**
   * Release name; the chart names its Service after it (`<release>` when it contains "tempo").
   * @default "tempo"
   */
  readonly releaseName?: string;
  /**
   * Chart version (grafana-community/tempo).
   * @default "2.2.4"
   */
  readonly version?: string;
  /**
   * How the chart reaches the cluster.
   * @default - the delivery of the app's AmbientMesh, else the helm CLI
   */
  readonly delivery?: MeshDelivery;
  /**
   * How long traces are kept, as a Go duration (`tempo.retention`), e.g. "72h".
   * @default - chart default ("24h")
   */
  readonly retention?: string;
}

/** The app's Tempo (a MeshContext slot), so the collector and Kiali find it in any declaration order. */
const TEMPO_SLOT = 'tempo.instance';

/**
 * Grafana Tempo (single binary chart `tempo`) as the trace store of the mesh, installed through the
 * app's delivery. It receives OTLP on 4317 (gRPC) and 4318 (HTTP), bound to 0.0.0.0 explicitly
 * (OpenTelemetry receivers default to localhost), and serves its query API on 3200, which Kiali
 * reads. `OtelCollector` exports to it by default.
 */
export class Tempo extends Construct {
  /** OTLP/gRPC port. */
  public static readonly OTLP_GRPC_PORT = 4317;
  /** OTLP/HTTP port. */
  public static readonly OTLP_HTTP_PORT = 4318;
  /** HTTP API (query) port. */
  public static readonly HTTP_PORT = 3200;

  /** The app's Tempo, if one is declared. */
  public static of(scope: IConstruct): Tempo | undefined {
    return MeshContext.of(scope).slot<{ tempo?: Tempo }>(TEMPO_SLOT, () => ({})).tempo;
  }

  /** Namespace. */
  public readonly namespace: string;
  /** Release name. */
  public readonly releaseName: string;
  /** Name of Tempo's Service (the chart's fullname). */
  public readonly serviceName: string;

  private readonly props: TempoProps;

  public constructor(scope: Construct, id: string, props: TempoProps = {}) {
    super(scope, id);
    const existing = Tempo.of(this);
    if (existing) throw constructError(this, `a Tempo is already declared at ${existing.node.path}; declare one per app.`);
    MeshContext.of(this).slot<{ tempo?: Tempo }>(TEMPO_SLOT, () => ({})).tempo = this;
    this.props = props;
    this.namespace = props.namespace ?? 'observability';
    this.releaseName = props.releaseName ?? 'tempo';
    checkDns1035Label(this, 'releaseName', this.releaseName);
    if (props.retention !== undefined && !/^(\d+(ns|us|ms|s|m|h))+$/.test(props.retention)) {
      throw constructError(this, `retention "${props.retention}" is not a Go duration such as "72h" or "90m".`);
    }
    // The chart's fullname: the release name when it contains the chart name (tempo.fullname).
    this.serviceName = this.releaseName.includes('tempo') ? this.releaseName : `${this.releaseName}-tempo`;
    addAddonRelease(this, props.delivery, () => this.release());
  }

  /** The helm CLI commands that install Tempo. */
  public get helmCommands(): string[] {
    return addonHelmCommands(this.release());
  }

  private release(): AddonRelease {
    return {
      repositoryName: 'grafana-community',
      repositoryUrl: TEMPO_HELM_REPOSITORY,
      chart: 'tempo',
      version: this.props.version ?? TEMPO_CHART_VERSION,
      releaseName: this.releaseName,
      namespace: this.namespace,
      values: () => this.values,
      syncWave: 10,
    };
  }

  /**
   * The chart values. Keys from grafana-community/helm-charts `charts/tempo/values.yaml` (commit
   * d1e8f02): `tempo.retention`, `tempo.receivers.otlp.protocols.{grpc,http}.endpoint`; the chart
   * renders `tempo.receivers` into the distributor's receivers and names the Service after
   * `tempo.fullname` (`templates/_helpers.tpl`).
   */
  public get values(): { [key: string]: any } {
    return pruneValues({
      tempo: {
        retention: this.props.retention,
        receivers: {
          otlp: {
            protocols: {
              grpc: { endpoint: `0.0.0.0:${Tempo.OTLP_GRPC_PORT}` },
              http: { endpoint: `0.0.0.0:${Tempo.OTLP_HTTP_PORT}` },
            },
          },
        },
      },
    });
  }

  /** Tempo's in-cluster host name. */
  public get host(): string {
    return `${this.serviceName}.${this.namespace}.svc.cluster.local`;
  }

  /** OTLP/gRPC endpoint `host:4317` (for a collector exporter, or `OtelTracing` directly). */
  public get otlpGrpcEndpoint(): string {
    return `${this.host}:${Tempo.OTLP_GRPC_PORT}`;
  }

  /** The query API URL, for Kiali and Grafana. */
  public get queryUrl(): string {
    return `http://${this.host}:${Tempo.HTTP_PORT}`;
  }

  /** A values file and the helm commands that install Tempo. */
  public helmInstall(): HelmInstallPlan {
    return new HelmInstallPlan({ [`values-${this.releaseName}.yaml`]: Yaml.stringify(this.values) }, [...this.helmCommands]);
  }
}
