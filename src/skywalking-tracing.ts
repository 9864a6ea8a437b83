import { Construct } from 'constructs';
import { enableTracing, renderTags } from './_telemetry';
import { checkObjectName, constructError } from './_validation';
import { AmbientMesh } from './install';
import { TracingTag } from './otel-tracing';
import { checkTracingService } from './semantics/tracing';
import { TelemetryScope } from './telemetry';

/** Props for `SkyWalkingTracing`. */
export interface SkyWalkingTracingProps {
  /** The SkyWalking OAP Service, `[<namespace>/]<hostname>`, e.g. `tracing.istio-system.svc.cluster.local`. */
  readonly service: string;
  /**
   * The OAP gRPC port.
   * @default 11800
   */
  readonly port?: number;
  /**
   * Token the OAP server expects (`accessToken`). Stored in istiod's mesh config in clear text.
   * @default - none
   */
  readonly accessToken?: string;
  /**
   * Name of the extension provider in meshConfig.
   * @default "skywalking"
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
 * Distributed tracing to Apache SkyWalking: a `skywalking` extension provider in `meshConfig` and
 * Telemetry for the mesh, namespaces, waypoints or Services, with the same scoping rules as
 * `OtelTracing` (spans come from waypoints and gateways only).
 *
 * @see https://istio.io/latest/docs/tasks/observability/distributed-tracing/skywalking/
 */
export class SkyWalkingTracing extends Construct {
  /** The provider name in `meshConfig.extensionProviders`. */
  public readonly providerName: string;
  /** The meshConfig fragment to merge into istiod's values when the mesh is installed elsewhere. */
  public readonly meshConfigFragment: { [key: string]: any };

  public constructor(scope: Construct, id: string, props: SkyWalkingTracingProps) {
    super(scope, id);
    this.providerName = props.providerName ?? 'skywalking';
    checkObjectName(this, 'providerName', this.providerName);
    const port = props.port ?? 11800;
    checkTracingService(this, props.service, port, 'tracing.istio-system.svc.cluster.local');
    if (props.accessToken !== undefined && props.accessToken.trim() === '') {
      throw constructError(this, 'accessToken is empty; drop it if the OAP server needs none.');
    }
    const skywalking: { [key: string]: any } = { service: props.service, port };
    if (props.accessToken !== undefined) skywalking.accessToken = props.accessToken;
    this.meshConfigFragment = enableTracing(this, {
      provider: { name: this.providerName, skywalking },
      scopes: props.scopes,
      samplingPercentage: props.samplingPercentage,
      customTags: renderTags(props.customTags),
      mesh: props.mesh,
      what: 'SkyWalkingTracing',
    });
  }
}
