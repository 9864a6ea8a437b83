import { Construct } from 'constructs';
import { MeshRegistry } from './_registry';
import { TelemetrySection, checkProviderDefined, requestTelemetry } from './_telemetry';
import { checkObjectName, constructError } from './_validation';
import { isMetricTagName, overrideReachesWaypoint } from './semantics/metrics';
import { TelemetryScope } from './telemetry';

/** An Istio standard metric (`match.metric`). */
export enum IstioMetric {
  /** Every metric. */
  ALL_METRICS = 'ALL_METRICS',
  /** `istio_requests_total`. */
  REQUEST_COUNT = 'REQUEST_COUNT',
  /** `istio_request_duration_milliseconds`. */
  REQUEST_DURATION = 'REQUEST_DURATION',
  /** `istio_request_bytes`. */
  REQUEST_SIZE = 'REQUEST_SIZE',
  /** `istio_response_bytes`. */
  RESPONSE_SIZE = 'RESPONSE_SIZE',
  /** `istio_tcp_connections_opened_total` (of waypoints and gateways; ztunnel's are not configurable). */
  TCP_OPENED_CONNECTIONS = 'TCP_OPENED_CONNECTIONS',
  /** `istio_tcp_connections_closed_total`. */
  TCP_CLOSED_CONNECTIONS = 'TCP_CLOSED_CONNECTIONS',
  /** `istio_tcp_sent_bytes_total`. */
  TCP_SENT_BYTES = 'TCP_SENT_BYTES',
  /** `istio_tcp_received_bytes_total`. */
  TCP_RECEIVED_BYTES = 'TCP_RECEIVED_BYTES',
  /** `istio_request_messages_total`. */
  GRPC_REQUEST_MESSAGES = 'GRPC_REQUEST_MESSAGES',
  /** `istio_response_messages_total`. */
  GRPC_RESPONSE_MESSAGES = 'GRPC_RESPONSE_MESSAGES',
}

/** Which side's metrics an override applies to (`match.mode`). */
export enum MetricMode {
  /** Both (Istio's default). */
  CLIENT_AND_SERVER = 'CLIENT_AND_SERVER',
  /** Server side: what waypoints generate. */
  SERVER = 'SERVER',
  /** Client side: gateways. Never applies to waypoints, which generate SERVER metrics. */
  CLIENT = 'CLIENT',
}

/** A change to one tag (label) of a metric. */
export class MetricTag {
  /** Drop the tag. */
  public static remove(): MetricTag {
    return new MetricTag({ operation: 'REMOVE' });
  }

  /**
   * Add or replace the tag with a CEL expression, e.g. `"'fixed-text'"` or `request.host`.
   */
  public static upsert(celExpression: string): MetricTag {
    if (!celExpression.trim()) throw new Error('MetricTag.upsert() needs a CEL expression; a literal is quoted, e.g. "\'text\'".');
    // UPSERT is the default operation (written as in TestCustomizeMetrics: value only).
    return new MetricTag({ value: celExpression });
  }

  /** @internal */ public readonly _spec: { operation?: string; value?: string };

  private constructor(spec: { operation?: string; value?: string }) {
    this._spec = spec;
  }
}

/** One metrics override. */
export interface MetricOverride {
  /**
   * The standard metric. Not together with `customMetric`.
   * @default IstioMetric.ALL_METRICS, unless customMetric is set
   */
  readonly metric?: IstioMetric;
  /**
   * A custom metric name (without the `istio_` prefix).
   * @default - a standard metric
   */
  readonly customMetric?: string;
  /**
   * Side.
   * @default MetricMode.CLIENT_AND_SERVER
   */
  readonly mode?: MetricMode;
  /**
   * Drop the metric.
   * @default false
   */
  readonly disabled?: boolean;
  /**
   * Tags to add, replace or remove.
   * @default - none
   */
  readonly tagOverrides?: { [tag: string]: MetricTag };
}

/** Props for `TelemetryMetrics`. */
export interface TelemetryMetricsProps {
  /**
   * Where the overrides apply.
   * @default [TelemetryScope.mesh()]
   */
  readonly scopes?: TelemetryScope[];
  /** The overrides. */
  readonly overrides: MetricOverride[];
  /**
   * Metrics providers.
   * @default ["prometheus"]
   */
  readonly providers?: string[];
}

/**
 * Istio standard metrics customized per mesh, namespace, waypoint or Service (Telemetry `metrics`):
 * tags added, replaced or removed, metrics disabled.
 *
 * Ambient limits what can be customized, and the construct refuses what would silently do nothing:
 * ztunnel's metrics are not configurable by Telemetry (a Service or ambient namespace without a
 * waypoint has nothing to customize), and waypoints generate SERVER-side metrics, so `CLIENT`
 * overrides for a waypoint or Service scope never apply.
 */
export class TelemetryMetrics extends Construct {
  public constructor(scope: Construct, id: string, props: TelemetryMetricsProps) {
    super(scope, id);
    if (props.overrides.length === 0) throw constructError(this, 'overrides is empty: give at least one metric override.');
    const providers = props.providers ?? ['prometheus'];
    if (providers.length === 0) throw constructError(this, 'providers is empty; drop it to use "prometheus".');
    providers.forEach(p => checkObjectName(this, 'provider', p));
    const overrides = props.overrides.map((o, i) => this.renderOverride(o, i));
    for (const telemetryScope of props.scopes ?? [TelemetryScope.mesh()]) {
      this.checkMode(telemetryScope, props.overrides);
      // At synth: a waypoint declared after this construct still counts.
      this.node.addValidation({ validate: () => this.scopeProblems(telemetryScope._resolveIn(this)) });
      requestTelemetry(this, telemetryScope, TelemetrySection.METRICS, { providers: providers.map(name => ({ name })), overrides: overrides as any });
    }
    for (const provider of providers) this.node.addValidation({ validate: () => checkProviderDefined(this, provider) });
  }

  private renderOverride(o: MetricOverride, i: number): any {
    if (o.metric !== undefined && o.customMetric !== undefined) {
      throw constructError(this, `overrides[${i}] sets both metric and customMetric; a match names one metric.`);
    }
    if (o.customMetric !== undefined && !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(o.customMetric)) {
      throw constructError(this, `overrides[${i}].customMetric "${o.customMetric}" is not a metric name (letters, digits and '_').`);
    }
    const tags = Object.entries(o.tagOverrides ?? {}).sort(([a], [b]) => a.localeCompare(b));
    for (const [tag] of tags) {
      if (!isMetricTagName(tag)) throw constructError(this, `overrides[${i}].tagOverrides: "${tag}" is not a tag name (letters, digits and '_', not starting with a digit).`);
    }
    if (o.disabled && tags.length) {
      throw constructError(this, `overrides[${i}] disables the metric and also overrides its tags; a disabled metric has no tags. Drop one of them.`);
    }
    if (!o.disabled && !tags.length) {
      throw constructError(this, `overrides[${i}] changes nothing: set disabled or tagOverrides.`);
    }
    const match: any = {};
    if (o.customMetric !== undefined) match.customMetric = o.customMetric;
    else if (o.metric !== undefined) match.metric = o.metric;
    if (o.mode !== undefined) match.mode = o.mode;
    return {
      match: Object.keys(match).length ? match : undefined,
      disabled: o.disabled ? true : undefined,
      tagOverrides: tags.length ? Object.fromEntries(tags.map(([k, v]) => [k, { ...v._spec }])) : undefined,
    };
  }

  /** Scopes where only ztunnel would see the traffic (checked at synth, when every waypoint is declared). */
  private scopeProblems(scope: TelemetryScope): string[] {
    if (scope._kind === 'service') {
      const resolved = scope._policyTarget!._resolve(this, scope._namespace);
      if (!resolved.waypoint) {
        return [`TelemetryMetrics for ${scope.description}: the Service has no waypoint, so only ztunnel reports its traffic, and Telemetry does not configure ztunnel's metrics. Enroll the Service in a waypoint, or drop this scope.`];
      }
    }
    if (scope._kind === 'namespace') {
      const ns = MeshRegistry.of(this).namespace(scope._namespace);
      if (ns && !ns.waypoint) {
        return [`TelemetryMetrics for ${scope.description}: the namespace is in ambient without a waypoint, so only ztunnel reports its traffic, and Telemetry does not configure ztunnel's metrics. Give it a waypoint, or scope the overrides to the mesh, a waypoint or a gateway namespace.`];
      }
    }
    return [];
  }

  private checkMode(scope: TelemetryScope, overrides: MetricOverride[]): void {
    if (scope._kind === 'service' || scope._kind === 'waypoint') {
      const i = overrides.findIndex(o => !overrideReachesWaypoint(o.mode));
      if (i >= 0) {
        throw constructError(this, `overrides[${i}] has mode CLIENT, but ${scope.description} is served by a waypoint, which generates SERVER-side metrics only (reporter="waypoint"); the override would never apply. Use MetricMode.SERVER or CLIENT_AND_SERVER.`);
      }
    }
  }
}
