import { ApiObject, Duration } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { SERVICE_KIND, kubeObjectOf, objectNamespace } from '../_kube-inputs';
import { MeshRegistry } from '../_registry';
import { checkObjectName, constructError } from '../_validation';
import { checkDestinationRuleHostFree, claimDestinationRule } from './_destination-rule-hosts';
import { requireWaypoint } from './_waypoint-check';
import { PolicyTarget } from '../authz/policy-target';
import * as net from '../imports/networking.istio.io';
import { DestinationRuleShape } from '../semantics/destination-rules';

/** How a waypoint spreads requests over a Service's endpoints. */
export class LoadBalancing {
  /** Round robin. */
  public static roundRobin(): LoadBalancing {
    return new LoadBalancing({ simple: net.DestinationRuleSpecTrafficPolicyLoadBalancerSimple.ROUND_UNDERSCORE_ROBIN });
  }

  /** Least outstanding requests (Envoy's default). */
  public static leastRequest(): LoadBalancing {
    return new LoadBalancing({ simple: net.DestinationRuleSpecTrafficPolicyLoadBalancerSimple.LEAST_UNDERSCORE_REQUEST });
  }

  /** Random. */
  public static random(): LoadBalancing {
    return new LoadBalancing({ simple: net.DestinationRuleSpecTrafficPolicyLoadBalancerSimple.RANDOM });
  }

  /** Sticky sessions by a request header (consistent hashing). */
  public static consistentHashByHeader(header: string): LoadBalancing {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) throw new Error(`LoadBalancing.consistentHashByHeader(): "${header}" is not an HTTP header name.`);
    return new LoadBalancing({ consistentHash: { httpHeaderName: header } });
  }

  /** @internal */ public readonly _spec: net.DestinationRuleSpecTrafficPolicyLoadBalancer;

  private constructor(spec: net.DestinationRuleSpecTrafficPolicyLoadBalancer) {
    this._spec = spec;
  }
}

/** Connection pool limits (circuit breaking by volume). */
export interface ConnectionPoolLimits {
  /** Max TCP connections to the Service. @default - unlimited (2^32-1) */
  readonly maxConnections?: number;
  /** TCP connect timeout. @default 10s */
  readonly connectTimeout?: Duration;
  /** Max requests queued waiting for a connection. @default - unlimited */
  readonly maxPendingRequests?: number;
  /** Max concurrent requests. @default - unlimited */
  readonly maxRequests?: number;
  /** Max requests per connection (1 disables keep-alive). @default - unlimited */
  readonly maxRequestsPerConnection?: number;
  /** Max concurrent retries to the Service. @default - unlimited */
  readonly maxRetries?: number;
  /** Close idle connections after. @default 1h */
  readonly idleTimeout?: Duration;
}

/** Ejecting failing endpoints (circuit breaking by errors). */
export interface OutlierDetection {
  /** Consecutive 5xx (or connection errors) before ejection. @default 5 */
  readonly consecutive5xxErrors?: number;
  /** How often endpoints are scanned. @default 10s */
  readonly interval?: Duration;
  /** Minimum ejection time (grows with each ejection). @default 30s */
  readonly baseEjectionTime?: Duration;
  /** Max share of endpoints ejected, in percent. @default 10 */
  readonly maxEjectionPercent?: number;
}

/** TLS from the waypoint to the Service (the application serves TLS itself). */
export interface UpstreamTls {
  /** SNI to send. @default - none */
  readonly sni?: string;
  /** Kubernetes Secret with the client certificate for mutual TLS (in the waypoint's namespace). @default - one-way TLS */
  readonly credentialName?: string;
  /** Accepted server certificate SANs. @default - any certificate the CA trusts */
  readonly subjectAltNames?: string[];
}

/** Named starting points; explicit options override them. */
export enum ResiliencePreset {
  /** Moderate limits and ejection after 5 consecutive errors. */
  STANDARD = 'STANDARD',
  /** Tight limits, quick ejection: protects a fragile backend. */
  STRICT = 'STRICT',
  /** Only outlier detection, no volume limits. */
  OUTLIER_DETECTION_ONLY = 'OUTLIER_DETECTION_ONLY',
}

const PRESETS: { [preset: string]: { pool?: ConnectionPoolLimits; outlier?: OutlierDetection } } = {
  STANDARD: {
    pool: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, connectTimeout: Duration.seconds(5) },
    outlier: { consecutive5xxErrors: 5, interval: Duration.seconds(10), baseEjectionTime: Duration.seconds(30), maxEjectionPercent: 50 },
  },
  STRICT: {
    pool: { maxConnections: 100, maxPendingRequests: 50, maxRequests: 100, maxRetries: 3, connectTimeout: Duration.seconds(2) },
    outlier: { consecutive5xxErrors: 3, interval: Duration.seconds(5), baseEjectionTime: Duration.seconds(60), maxEjectionPercent: 50 },
  },
  OUTLIER_DETECTION_ONLY: {
    outlier: { consecutive5xxErrors: 5, interval: Duration.seconds(10), baseEjectionTime: Duration.seconds(30), maxEjectionPercent: 50 },
  },
};

/** Props for `ResiliencePolicy`. */
export interface ResiliencePolicyProps {
  /**
   * The Service: a cdk8s-plus Service of any version, an `ApiObject` of kind Service, or an `Include`
   * holding one. It must be served by a waypoint: ztunnel does not apply these settings.
   */
  readonly service: IConstruct;
  /**
   * Name of the DestinationRule.
   * @default - the Service name
   */
  readonly name?: string;
  /** Starting point. @default - none */
  readonly preset?: ResiliencePreset;
  /** Load balancing. @default - Envoy's default (least request) */
  readonly loadBalancing?: LoadBalancing;
  /** Connection pool limits (merged over the preset's). @default - the preset's, or none */
  readonly connectionPool?: ConnectionPoolLimits;
  /** Outlier detection (merged over the preset's). @default - the preset's, or none */
  readonly outlierDetection?: OutlierDetection;
  /** TLS to the application. @default - none (the mesh already encrypts with mTLS) */
  readonly tls?: UpstreamTls;
}

/**
 * Traffic policy for a Service, applied by its waypoint: load balancing, connection limits, outlier
 * detection (circuit breaking) and TLS to the application. Emitted as a DestinationRule in the
 * Service's namespace.
 *
 * It defines no subsets: the library routes with Gateway API HTTPRoutes, whose backends are Services, so
 * split traffic between per-version Services. (A waypoint does apply VirtualService routes to
 * DestinationRule subsets, as Istio's ambient TestTrafficSplit shows; the analyzer checks those with
 * AMB112 and AMB127.) A Service without waypoint is refused: ztunnel would ignore the policy.
 */
export class ResiliencePolicy extends Construct {
  /** The DestinationRule. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: ResiliencePolicyProps) {
    super(scope, id);
    const service = kubeObjectOf(props.service, SERVICE_KIND, 'ResiliencePolicy `service`', 'a Service not declared in this app can be declared with an ApiObject or an Include of its manifest');
    const ns = objectNamespace(service, props.service);
    const name = props.name ?? service.name;
    checkObjectName(this, 'name', name);
    // Judged at synth, when every waypoint and enrollment of the app is known.
    requireWaypoint(this, PolicyTarget.service(props.service), ns, description => `${description} has no waypoint, and ztunnel applies no load balancing, connection limits, outlier detection or TLS settings: the DestinationRule would be ignored. Enroll the Service in a waypoint first.`);
    const registry = MeshRegistry.of(this);
    registry.checkObjectFree(this, 'DestinationRule', ns, name, 'Merge the settings into one ResiliencePolicy for the Service.');
    const host = `${service.name}.${ns}.svc.cluster.local`;
    const shape: DestinationRuleShape = { name, namespace: ns, host, hasTrafficPolicy: true, subsets: [], hasWorkloadSelector: false, exportTo: [] };
    checkDestinationRuleHostFree(this, shape, other => `Service "${ns}/${service.name}" already has a ResiliencePolicy at ${other.owner.node.path} (DestinationRule "${other.shape.name}"); with a second DestinationRule "${name}" for the same host, istiod keeps the trafficPolicy of the one created first and silently drops the other's. Merge the settings into one ResiliencePolicy for the Service.`);
    const preset = props.preset ? PRESETS[props.preset] : {};
    const pool = { ...preset.pool, ...props.connectionPool };
    const outlier = { ...preset.outlier, ...props.outlierDetection };
    this.apiObject = new net.DestinationRule(this, 'Resource', {
      metadata: { name, namespace: ns },
      spec: {
        host,
        trafficPolicy: {
          loadBalancer: props.loadBalancing?._spec,
          connectionPool: this.renderPool(pool),
          outlierDetection: this.renderOutlier(outlier),
          tls: props.tls ? {
            mode: props.tls.credentialName ? net.DestinationRuleSpecTrafficPolicyTlsMode.MUTUAL : net.DestinationRuleSpecTrafficPolicyTlsMode.SIMPLE,
            sni: props.tls.sni,
            credentialName: props.tls.credentialName,
            subjectAltNames: props.tls.subjectAltNames?.length ? [...props.tls.subjectAltNames] : undefined,
          } : undefined,
        },
      },
    });
    registry.claimObject(this, 'DestinationRule', ns, name);
    claimDestinationRule(this, shape);
  }

  private renderPool(pool: ConnectionPoolLimits): net.DestinationRuleSpecTrafficPolicyConnectionPool | undefined {
    for (const key of ['maxConnections', 'maxPendingRequests', 'maxRequests', 'maxRequestsPerConnection', 'maxRetries'] as const) {
      const v = pool[key];
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw constructError(this, `connectionPool.${key} is ${v}; it must be a whole number of at least 1.`);
    }
    const tcp = { maxConnections: pool.maxConnections, connectTimeout: seconds(this, 'connectTimeout', pool.connectTimeout) };
    const http = {
      http1MaxPendingRequests: pool.maxPendingRequests,
      http2MaxRequests: pool.maxRequests,
      maxRequestsPerConnection: pool.maxRequestsPerConnection,
      maxRetries: pool.maxRetries,
      idleTimeout: seconds(this, 'idleTimeout', pool.idleTimeout),
    };
    const some = (o: object) => Object.values(o).some(v => v !== undefined);
    if (!some(tcp) && !some(http)) return undefined;
    return { tcp: some(tcp) ? tcp : undefined, http: some(http) ? http : undefined };
  }

  private renderOutlier(o: OutlierDetection): net.DestinationRuleSpecTrafficPolicyOutlierDetection | undefined {
    if (Object.values(o).every(v => v === undefined)) return undefined;
    if (o.consecutive5xxErrors !== undefined && (!Number.isInteger(o.consecutive5xxErrors) || o.consecutive5xxErrors < 1)) {
      throw constructError(this, `outlierDetection.consecutive5xxErrors is ${o.consecutive5xxErrors}; it must be a whole number of at least 1.`);
    }
    if (o.maxEjectionPercent !== undefined && !(o.maxEjectionPercent >= 0 && o.maxEjectionPercent <= 100)) {
      throw constructError(this, `outlierDetection.maxEjectionPercent is ${o.maxEjectionPercent}; it must be from 0 to 100.`);
    }
    return {
      consecutive5XxErrors: o.consecutive5xxErrors,
      interval: seconds(this, 'interval', o.interval),
      baseEjectionTime: seconds(this, 'baseEjectionTime', o.baseEjectionTime),
      maxEjectionPercent: o.maxEjectionPercent,
    };
  }
}

/** Istio durations: whole seconds or milliseconds, at least 1ms. */
function seconds(scope: Construct, what: string, d: Duration | undefined): string | undefined {
  if (!d) return undefined;
  const ms = d.toMilliseconds();
  if (!Number.isInteger(ms) || ms < 1) throw constructError(scope, `${what} must be at least 1ms.`);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
