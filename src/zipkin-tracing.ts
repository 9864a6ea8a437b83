import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { enableTracing, renderTags } from './_telemetry';
import { checkObjectName, constructError, wholeSeconds } from './_validation';
import { AmbientMesh } from './install';
import { TracingTag } from './otel-tracing';
import { checkTracingService } from './semantics/tracing';
import { TelemetryScope } from './telemetry';

/** How Zipkin trace context is propagated (`traceContextOption`, Istio 1.28+). */
export enum ZipkinTraceContext {
  /** B3 headers only (Istio's default). */
  USE_B3 = 'USE_B3',
  /** B3 and W3C `traceparent` headers. */
  USE_B3_WITH_W3C_PROPAGATION = 'USE_B3_WITH_W3C_PROPAGATION',
}

/** Props for `ZipkinTracing`. */
export interface ZipkinTracingProps {
  /** The Zipkin collector's Service, `[<namespace>/]<hostname>`, e.g. `zipkin.istio-system.svc.cluster.local`. */
  readonly service: string;
  /**
   * The collector's port.
   * @default 9411
   */
  readonly port?: number;
  /**
   * The spans endpoint path.
   * @default - Istio's default ("/api/v2/spans")
   */
  readonly path?: string;
  /**
   * Longest tag value kept.
   * @default - Istio's default (256)
   */
  readonly maxTagLength?: number;
  /**
   * 64-bit trace IDs instead of 128-bit.
   * @default false
   */
  readonly enable64bitTraceId?: boolean;
  /**
   * Trace context headers.
   * @default ZipkinTraceContext.USE_B3
   */
  readonly traceContext?: ZipkinTraceContext;
  /**
   * Export timeout (Istio 1.29+).
   * @default - Istio's default
   */
  readonly timeout?: Duration;
  /**
   * Extra HTTP headers sent with every export (Istio 1.29+), e.g. a tenant header.
   * @default - none
   */
  readonly headers?: { [name: string]: string };
  /**
   * Name of the extension provider in meshConfig.
   * @default "zipkin"
   */
  readonly providerName?: string;
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
 * Distributed tracing to Zipkin (or any Zipkin-compatible collector, e.g. Jaeger's 9411): a `zipkin`
 * extension provider in `meshConfig` and Telemetry for the mesh, namespaces, waypoints or Services,
 * with the same scoping rules as `OtelTracing` (spans come from waypoints and gateways only).
 *
 * @see https://istio.io/latest/docs/tasks/observability/distributed-tracing/zipkin/
 */
export class ZipkinTracing extends Construct {
  /** The provider name in `meshConfig.extensionProviders`. */
  public readonly providerName: string;
  /** The meshConfig fragment to merge into istiod's values when the mesh is installed elsewhere. */
  public readonly meshConfigFragment: { [key: string]: any };

  public constructor(scope: Construct, id: string, props: ZipkinTracingProps) {
    super(scope, id);
    this.providerName = props.providerName ?? 'zipkin';
    checkObjectName(this, 'providerName', this.providerName);
    const port = props.port ?? 9411;
    checkTracingService(this, props.service, port, 'zipkin.istio-system.svc.cluster.local');
    if (props.path !== undefined && !props.path.startsWith('/')) {
      throw constructError(this, `path "${props.path}" must start with "/", e.g. "/api/v2/spans".`);
    }
    if (props.maxTagLength !== undefined && (!Number.isInteger(props.maxTagLength) || props.maxTagLength < 1)) {
      throw constructError(this, `maxTagLength ${props.maxTagLength} must be a whole number of at least 1.`);
    }
    const headers = Object.entries(props.headers ?? {}).sort(([a], [b]) => a.localeCompare(b));
    for (const [name] of headers) {
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw constructError(this, `headers: "${name}" is not an HTTP header name.`);
    }
    const zipkin: { [key: string]: any } = { service: props.service, port };
    if (props.path !== undefined) zipkin.path = props.path;
    if (props.maxTagLength !== undefined) zipkin.maxTagLength = props.maxTagLength;
    if (props.enable64bitTraceId) zipkin.enable64bitTraceId = true;
    if (props.traceContext !== undefined) zipkin.traceContextOption = props.traceContext;
    if (props.timeout) zipkin.timeout = `${wholeSeconds(this, 'timeout', props.timeout)}s`;
    if (headers.length) zipkin.headers = headers.map(([name, value]) => ({ name, value }));
    this.meshConfigFragment = enableTracing(this, {
      provider: { name: this.providerName, zipkin },
      scopes: props.scopes,
      samplingPercentage: props.samplingPercentage,
      customTags: renderTags(props.customTags),
      mesh: props.mesh,
      what: 'ZipkinTracing',
    });
  }
}
