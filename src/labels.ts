/**
 * The Istio labels and annotations this library reads and writes.
 *
 * @see https://istio.io/latest/docs/reference/config/labels/
 */
export class IstioLabels {
  /** `ambient` enrolls a namespace or pod in ambient mode; `none` opts a pod out. */
  public static readonly DATAPLANE_MODE = 'istio.io/dataplane-mode';
  /** Name of the waypoint that serves a namespace, service or workload (`none` opts out). */
  public static readonly USE_WAYPOINT = 'istio.io/use-waypoint';
  /** Namespace of the waypoint named by `istio.io/use-waypoint`, for cross-namespace waypoints. */
  public static readonly USE_WAYPOINT_NAMESPACE = 'istio.io/use-waypoint-namespace';
  /** `"true"` makes ingress gateways send traffic for a service or namespace through its waypoint. */
  public static readonly INGRESS_USE_WAYPOINT = 'istio.io/ingress-use-waypoint';
  /** Which traffic a waypoint serves: `service`, `workload`, `all` or `none`. */
  public static readonly WAYPOINT_FOR = 'istio.io/waypoint-for';
  /** Control-plane revision (or revision tag). On a namespace it also selects sidecar injection. */
  public static readonly REVISION = 'istio.io/rev';
  /** Sidecar injection for a namespace (`enabled`/`disabled`). */
  public static readonly SIDECAR_INJECTION = 'istio-injection';
  /** Sidecar injection for a pod. */
  public static readonly SIDECAR_INJECT = 'sidecar.istio.io/inject';
  /** The label Kubernetes puts on every namespace with its own name. */
  public static readonly NAMESPACE_NAME = 'kubernetes.io/metadata.name';

  /** Value of `istio.io/dataplane-mode` that enrolls in ambient. */
  public static readonly AMBIENT = 'ambient';
  /** Reserved value: opts out of ambient (`dataplane-mode`) or of a waypoint (`use-waypoint`). */
  public static readonly NONE = 'none';

  private constructor() {}
}
