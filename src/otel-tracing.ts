import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { enableTracing, renderTags } from './_telemetry';
import { checkObjectName, constructError, wholeSeconds } from './_validation';
import { AmbientMesh } from './install';
import { TelemetryScope } from './telemetry';

/** How spans are exported to the collector. */
export enum OtelExportProtocol {
  /** OTLP over gRPC (port 4317 by convention). */
  GRPC = 'grpc',
  /** OTLP over HTTP (port 4318 by convention). */
  HTTP = 'http',
}

/** Resource detectors that add attributes to spans. */
export enum OtelResourceDetector {
  /** `OTEL_RESOURCE_ATTRIBUTES` from the proxy's environment. */
  ENVIRONMENT = 'environment',
  /** Dynatrace host attributes. */
  DYNATRACE = 'dynatrace',
}

/** The value of a custom span tag. */
export class TracingTag {
  /** A fixed value. */
  public static literal(value: string): TracingTag {
    return new TracingTag({ literal: { value } });
  }

  /** An environment variable of the proxy. */
  public static environment(name: string, defaultValue?: string): TracingTag {
    return new TracingTag({ environment: { name, defaultValue } });
  }

  /** A request header. */
  public static header(name: string, defaultValue?: string): TracingTag {
    return new TracingTag({ header: { name, defaultValue } });
  }

  /** @internal */ public readonly _spec: any;

  private constructor(spec: any) {
    this._spec = spec;
  }
}

/** Props for `OtelTracing`. */
export interface OtelTracingProps {
  /**
   * The collector's Service, `[<namespace>/]<hostname>`, e.g. `otel-collector.observability.svc.cluster.local`.
   */
  readonly service: string;
  /**
   * The collector's port.
   * @default 4317 (gRPC) or 4318 (HTTP)
   */
  readonly port?: number;
  /**
   * Export protocol.
   * @default OtelExportProtocol.GRPC
   */
  readonly protocol?: OtelExportProtocol;
  /**
   * Path for OTLP/HTTP.
   * @default "/v1/traces"
   */
  readonly httpPath?: string;
  /**
   * Export timeout.
   * @default - Istio's default
   */
  readonly timeout?: Duration;
  /**
   * Name of the extension provider in meshConfig.
   * @default "otel-tracing"
   */
  readonly providerName?: string;
  /**
   * Resource detectors.
   * @default - none
   */
  readonly resourceDetectors?: OtelResourceDetector[];
  /**
   * Where tracing is turned on.
   * @default [TelemetryScope.mesh()]
   */
  readonly scopes?: TelemetryScope[];
  /**
   * Share of requests traced, 0 to 100 (0.01 steps).
   * @default 1
   */
  readonly samplingPercentage?: number;
  /**
   * Custom span tags.
   * @default - none
   */
  readonly customTags?: { [tag: string]: TracingTag };
  /**
   * The mesh whose istiod values get the provider and `enableTracing`.
   * @default - the AmbientMesh declared in this app, if any; otherwise add `meshConfigFragment` to your values
   */
  readonly mesh?: AmbientMesh;
}

/**
 * Distributed tracing with OpenTelemetry: an OTel extension provider in `meshConfig` (added to the
 * app's AmbientMesh, or exposed as `meshConfigFragment` for a mesh installed elsewhere) and
 * Telemetry resources that turn tracing on for the mesh, namespaces, waypoints or Services.
 *
 * In ambient, spans come from waypoints and gateways only: ztunnel is L4 and emits none. Scopes
 * where nothing would emit spans (a Service or ambient namespace without waypoint) are refused.
 *
 * @see https://istio.io/latest/docs/tasks/observability/distributed-tracing/opentelemetry/
 */
export class OtelTracing extends Construct {
  /** The provider name in `meshConfig.extensionProviders`. */
  public readonly providerName: string;
  /** The meshConfig fragment to merge into istiod's values when the mesh is installed elsewhere. */
  public readonly meshConfigFragment: { [key: string]: any };

  public constructor(scope: Construct, id: string, props: OtelTracingProps) {
    super(scope, id);
    this.providerName = props.providerName ?? 'otel-tracing';
    checkObjectName(this, 'providerName', this.providerName);
    const protocol = props.protocol ?? OtelExportProtocol.GRPC;
    const port = props.port ?? (protocol === OtelExportProtocol.GRPC ? 4317 : 4318);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw constructError(this, `port ${port} is not a port number (1-65535).`);
    if (!/^([a-z0-9-]+\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(props.service)) {
      throw constructError(this, `service "${props.service}" must be a fully qualified host name like "otel-collector.observability.svc.cluster.local" (optionally "<namespace>/<host>"), without scheme or port: istiod cannot resolve short names, and spans would be dropped.`);
    }
    if (protocol !== OtelExportProtocol.HTTP && props.httpPath !== undefined) {
      throw constructError(this, 'httpPath applies to the HTTP protocol only: set protocol: OtelExportProtocol.HTTP or drop httpPath.');
    }
    const timeout = props.timeout ? `${wholeSeconds(this, 'timeout', props.timeout)}s` : undefined;
    const detectors = props.resourceDetectors?.length
      ? Object.fromEntries([...new Set(props.resourceDetectors)].sort().map(d => [d, {}]))
      : undefined;
    const provider = {
      name: this.providerName,
      opentelemetry: prune({
        service: props.service,
        port,
        http: protocol === OtelExportProtocol.HTTP ? prune({ path: props.httpPath ?? '/v1/traces', timeout }) : undefined,
        grpc: protocol === OtelExportProtocol.GRPC && timeout ? { timeout } : undefined,
        resourceDetectors: detectors,
      }),
    };
    this.meshConfigFragment = enableTracing(this, {
      provider,
      scopes: props.scopes,
      samplingPercentage: props.samplingPercentage,
      customTags: renderTags(props.customTags),
      mesh: props.mesh,
      what: 'OtelTracing',
    });
  }
}

function prune(obj: { [key: string]: any }): any {
  const out: any = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out;
}
