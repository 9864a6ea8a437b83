import { ApiObject, Chart, JsonPatch, Lazy, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MeshContext } from './_context';
import { MeshRegistry } from './_registry';
import { checkDns1035Label, checkNamespaceName, constructError } from './_validation';
import { Tempo } from './tempo';

/** Props for `OtelCollector`. */
export interface OtelCollectorProps {
  /**
   * Where traces go: an OTLP/gRPC endpoint `host:port`, e.g. `tempo.observability.svc.cluster.local:4317`.
   * @default - the app's `Tempo` (its OTLP/gRPC endpoint); without one, synth fails
   */
  readonly exporterEndpoint?: string;
  /**
   * Send to the exporter in plaintext (typical for an in-cluster Tempo or Jaeger). Explicit for other
   * endpoints, because traces can carry sensitive data.
   * @default - true for the app's Tempo (the chart serves plain OTLP in the cluster), else false
   */
  readonly exporterInsecure?: boolean;
  /**
   * Namespace.
   * @default "observability"
   */
  readonly namespace?: string;
  /**
   * Name of the Deployment, Service and ConfigMap.
   * @default "otel-collector"
   */
  readonly name?: string;
  /**
   * Collector image.
   * @default "otel/opentelemetry-collector:0.138.0"
   */
  readonly image?: string;
  /**
   * Replicas.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Also write the Namespace object.
   * @default - true, unless the app declares the namespace as an AmbientNamespace
   */
  readonly createNamespace?: boolean;
}

/**
 * A small OpenTelemetry Collector (cdk8s-plus Deployment, Service and ConfigMap) that receives OTLP
 * from waypoints and gateways on 4317 (gRPC) and 4318 (HTTP) and exports traces to Tempo, Jaeger or
 * any OTLP endpoint. Pair it with `OtelTracing({ service: collector.host })`.
 */
export class OtelCollector extends Construct {
  /** Port of the OTLP/gRPC receiver. */
  public static readonly GRPC_PORT = 4317;
  /** Port of the OTLP/HTTP receiver. */
  public static readonly HTTP_PORT = 4318;

  /** Name of the collector's Service. */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** The Service. */
  public readonly service: kplus.Service;
  /** The Deployment. */
  public readonly deployment: kplus.Deployment;

  public constructor(scope: Construct, id: string, props: OtelCollectorProps = {}) {
    super(scope, id);
    this.name = props.name ?? 'otel-collector';
    this.namespace = props.namespace ?? 'observability';
    checkDns1035Label(this, 'name', this.name);
    checkNamespaceName(this, 'namespace', this.namespace);
    if (props.exporterEndpoint !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:\d{1,5}$/.test(props.exporterEndpoint)) {
      throw constructError(this, `exporterEndpoint "${props.exporterEndpoint}" must be host:port, e.g. "tempo.observability.svc.cluster.local:4317", without scheme.`);
    }
    if (props.exporterEndpoint === undefined) {
      this.node.addValidation({ validate: () => (Tempo.of(this) ? [] : ['exporterEndpoint is not set and the app declares no Tempo: set exporterEndpoint (host:port of an OTLP/gRPC endpoint) or declare a Tempo.']) });
    }
    if (props.createNamespace ?? true) {
      const ns = new ApiObject(this, 'Namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } });
      // Namespaces are cluster-scoped: do not inherit the chart's namespace.
      if (Chart.of(this).namespace) ns.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
    if (props.createNamespace === undefined) {
      // At synth: an AmbientNamespace declared before or after this construct writes the Namespace itself.
      MeshContext.of(this).onPrepare(`otel-collector ${this.node.path}`, () => {
        if (MeshRegistry.of(this).namespace(this.namespace)) this.node.tryRemoveChild('Namespace');
      });
    }
    const config = () => ({
      receivers: {
        otlp: {
          protocols: {
            grpc: { endpoint: `0.0.0.0:${OtelCollector.GRPC_PORT}` },
            http: { endpoint: `0.0.0.0:${OtelCollector.HTTP_PORT}` },
          },
        },
      },
      processors: { batch: {} },
      exporters: {
        otlp: this.exporter(props),
      },
      service: {
        pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['otlp'] } },
      },
    });
    const configMap = new kplus.ConfigMap(this, 'Config', {
      metadata: { name: `${this.name}-config`, namespace: this.namespace },
      // Rendered at synth: the default exporter is the app's Tempo, wherever it is declared.
      data: { 'config.yaml': Lazy.any({ produce: () => Yaml.stringify(config()) }) },
    });
    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: this.name, namespace: this.namespace },
      replicas: props.replicas ?? 1,
      podMetadata: { labels: { app: this.name } },
      containers: [{
        name: 'otel-collector',
        image: props.image ?? 'otel/opentelemetry-collector:0.138.0',
        args: ['--config=/conf/config.yaml'],
        ports: [
          { number: OtelCollector.GRPC_PORT, name: 'grpc-otlp' },
          { number: OtelCollector.HTTP_PORT, name: 'http-otlp' },
        ],
        volumeMounts: [{ path: '/conf', volume: kplus.Volume.fromConfigMap(this, 'ConfigVolume', configMap) }],
        securityContext: { ensureNonRoot: true, user: 10001, group: 10001 },
        resources: {
          cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(1000) },
          memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
        },
      }],
    });
    this.service = new kplus.Service(this, 'Service', {
      metadata: { name: this.name, namespace: this.namespace },
      selector: this.deployment,
      // Named ports tell the waypoint and ztunnel the protocol (grpc / http).
      ports: [
        { port: OtelCollector.GRPC_PORT, name: 'grpc-otlp', targetPort: OtelCollector.GRPC_PORT },
        { port: OtelCollector.HTTP_PORT, name: 'http-otlp', targetPort: OtelCollector.HTTP_PORT },
      ],
    });
  }

  private exporter(props: OtelCollectorProps): { endpoint: string; tls: { insecure: boolean } } {
    if (props.exporterEndpoint) return { endpoint: props.exporterEndpoint, tls: { insecure: props.exporterInsecure ?? false } };
    const tempo = Tempo.of(this);
    if (!tempo) {
      throw constructError(this, 'exporterEndpoint is not set and the app declares no Tempo: set exporterEndpoint (host:port of an OTLP/gRPC endpoint) or declare a Tempo.');
    }
    return { endpoint: tempo.otlpGrpcEndpoint, tls: { insecure: props.exporterInsecure ?? true } };
  }

  /** The collector's in-cluster host name, for `OtelTracing({ service })`. */
  public get host(): string {
    return `${this.name}.${this.namespace}.svc.cluster.local`;
  }
}
