/**
 * Which waypoint serves a Service or a pod in ambient mode (istio 1.30.3
 * `pilot/pkg/serviceregistry/ambient/waypoints.go`: `getUseWaypoint`, `fetchWaypointForTarget`,
 * `fetchWaypointForService`, `fetchWaypointForWorkload`, `gatewayToWaypointTransform`,
 * `makeAllowedRoutes`):
 * - the object's own `istio.io/use-waypoint` label wins over its namespace's; `none` opts out;
 *   `istio.io/use-waypoint-namespace` names another namespace (default: the object's);
 * - an own label naming a waypoint that does not exist binds nothing (no fallback to the namespace);
 * - a waypoint in another namespace must admit the object's namespace on its HBONE listener
 *   (`allowedRoutes.namespaces.from`: Same by default, All, or Selector);
 * - traffic type (`istio.io/waypoint-for` on the Gateway, else its GatewayClass, else `service`):
 *   Services need `service` or `all`, pods need `workload` or `all`;
 * - traffic to a pod IP (and so to a headless Service, which has no VIP: `services_test.go` "headless"
 *   carries no address) passes the pod's workload waypoint, never a Service's.
 * istio master (after 1.30) adds canary waypoints (`istio.io/use-waypoint-canary`) and refuses to bind a
 * NAMESPACE-visibility ServiceEntry to a waypoint in another namespace; neither is modelled here.
 */

export const USE_WAYPOINT = 'istio.io/use-waypoint';
export const USE_WAYPOINT_NAMESPACE = 'istio.io/use-waypoint-namespace';
export const WAYPOINT_FOR = 'istio.io/waypoint-for';

/** A waypoint name and namespace. */
export interface WaypointName {
  readonly name: string;
  readonly namespace: string;
}

/** What binding needs to know of a waypoint Gateway. */
export interface WaypointFacts extends WaypointName {
  /** `service` (default), `workload`, `all` or `none`. */
  readonly trafficType: string;
  /** `allowedRoutes.namespaces.from` of the HBONE listener: `Same` (default), `All` or `Selector`. */
  readonly allowedFrom: string;
  /** `allowedRoutes.namespaces.selector.matchLabels`, for `Selector`. */
  readonly allowedSelector?: { [k: string]: string };
}

/** The result of resolving a binding. */
export interface WaypointBinding {
  /** The waypoint that serves the traffic; undefined when none does. */
  readonly waypoint?: WaypointName;
  /** The label binding (what the labels name), even when it does not resolve. */
  readonly named?: WaypointName;
  /** The binding came from the object's own label (not its namespace's). */
  readonly explicit: boolean;
  /** Why a named waypoint does not serve the traffic. */
  readonly problem?: string;
}

/** What a use-waypoint label says. */
export interface UseWaypointLabel {
  readonly named?: WaypointName;
  readonly optOut: boolean;
  readonly present: boolean;
}

/** The waypoint a use-waypoint label names; `none` is an explicit opt-out. */
export function useWaypointLabel(labels: { [k: string]: string } | undefined, defaultNamespace: string): UseWaypointLabel {
  const value = labels?.[USE_WAYPOINT];
  if (value === undefined) return { optOut: false, present: false };
  if (value === 'none') return { optOut: true, present: true };
  return { named: { name: value, namespace: labels?.[USE_WAYPOINT_NAMESPACE] ?? defaultNamespace }, optOut: false, present: true };
}

/** Traffic type of a waypoint Gateway: its label, else its class's label, else `service`. */
export function waypointTrafficType(gatewayLabels: { [k: string]: string } | undefined, classLabels?: { [k: string]: string }): string {
  return gatewayLabels?.[WAYPOINT_FOR] ?? classLabels?.[WAYPOINT_FOR] ?? 'service';
}

/** `allowedRoutes` of the HBONE listener (port 15008), defaulting to `Same`. */
export function waypointAllowedRoutes(gatewaySpec: any): { from: string; selector?: { [k: string]: string } } {
  const hbone = (gatewaySpec?.listeners ?? []).find((l: any) => l?.protocol === 'HBONE' && Number(l?.port) === 15008);
  const namespaces = hbone?.allowedRoutes?.namespaces;
  return { from: namespaces?.from ?? 'Same', selector: namespaces?.selector?.matchLabels };
}

/** Does a waypoint admit objects of a namespace? */
export function admitsNamespace(w: WaypointFacts, namespace: string, namespaceLabels: { [k: string]: string } | undefined): boolean {
  if (w.allowedFrom === 'All') return true;
  if (w.allowedFrom === 'Selector') {
    return Object.entries(w.allowedSelector ?? {}).every(([k, v]) => namespaceLabels?.[k] === v);
  }
  return w.namespace === namespace;
}

/** Does a traffic type carry traffic of this kind? */
export function servesTraffic(trafficType: string, kind: 'service' | 'workload'): boolean {
  return trafficType === kind || trafficType === 'all';
}

/** Context binding needs: waypoints and namespace labels. */
export interface BindingContext {
  readonly waypoint: (namespace: string, name: string) => WaypointFacts | undefined;
  readonly namespaceLabels: (namespace: string) => { [k: string]: string } | undefined;
}

/**
 * The waypoint serving traffic addressed to a Service (`kind: service`) or to a pod (`kind: workload`).
 * @param labels the Service's labels, or the pod template's labels
 */
export function resolveWaypoint(ctx: BindingContext, kind: 'service' | 'workload', namespace: string, labels: { [k: string]: string } | undefined): WaypointBinding {
  const own = useWaypointLabel(labels, namespace);
  if (own.optOut) return { explicit: true };
  const nsLabels = ctx.namespaceLabels(namespace);
  const fromNamespace = own.present ? undefined : useWaypointLabel(nsLabels, namespace);
  if (fromNamespace?.optOut) return { explicit: false };
  const named = own.named ?? fromNamespace?.named;
  if (!named) return { explicit: false };
  const explicit = own.present;
  const facts = ctx.waypoint(named.namespace, named.name);
  if (!facts) return { named, explicit, problem: `waypoint ${named.namespace}/${named.name} is not in the manifests (istiod binds nothing until it exists)` };
  if (!admitsNamespace(facts, namespace, nsLabels)) {
    return { named, explicit, problem: `waypoint ${named.namespace}/${named.name} does not admit namespace ${namespace} (allowedRoutes.namespaces.from: ${facts.allowedFrom})` };
  }
  if (!servesTraffic(facts.trafficType, kind)) {
    // A namespace-inherited binding to a waypoint of the other traffic type is not an error upstream.
    return { named, explicit, problem: `waypoint ${named.namespace}/${named.name} serves ${facts.trafficType} traffic (istio.io/waypoint-for), not ${kind} traffic` };
  }
  return { waypoint: { name: facts.name, namespace: facts.namespace }, named, explicit };
}

/**
 * The waypoint of pod-addressed traffic to a set of pods (a Service's, or a headless Service's, whose
 * traffic always goes to pod IPs): their workload waypoint when they all agree; with no pods known,
 * the namespace's binding for workload traffic.
 */
export function podsWaypoint(podBindings: WaypointBinding[], namespaceFallback: WaypointBinding): WaypointBinding {
  if (podBindings.length === 0) return namespaceFallback;
  const keys = new Set(podBindings.map(b => (b.waypoint ? `${b.waypoint.namespace}/${b.waypoint.name}` : '')));
  if (keys.size === 1) return podBindings[0];
  return { explicit: false, problem: 'the selected pods use different waypoints: each pod-addressed request passes its own pod\'s' };
}

/** The service account (and so the identity) of a waypoint: the Gateway's name. */
export function waypointServiceAccount(w: WaypointName): string {
  return w.name;
}

/** The service account of an ingress Gateway of class `istio`: `<name>-istio`. */
export function ingressGatewayServiceAccount(name: string): string {
  return `${name}-istio`;
}
