import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { findServiceObject } from '../_enrollment';
import {
  SERVICE_KIND, ServiceInfo, WORKLOAD_KINDS, kubeObjectOf, objectNamespace, podLabels, serviceInfo, workloadSelector,
} from '../_kube-inputs';
import { MeshRegistry } from '../_registry';
import { checkLabels, checkObjectName, constructError } from '../_validation';
import { IstioLabels } from '../labels';
import { BindingContext, WaypointBinding, podsWaypoint, resolveWaypoint } from '../semantics/binding';
import { selectorMatches } from '../semantics/selectors';

/** Options for `PolicyTarget.serviceName`. */
export interface ServiceNameTargetOptions {
  /**
   * The Service's pod selector, needed when a rule for it is enforced by ztunnel.
   * @default - read from the Service when it is declared in this app
   */
  readonly selector?: { [key: string]: string };
}

/** What kind of destination a policy target is: it decides which objects a rule can attach to. */
export enum PolicyTargetKind {
  /** Every workload of the namespace: namespace-wide policies, or the namespace's waypoint Gateway. */
  NAMESPACE = 'namespace',
  /** A Service: `targetRefs` to it at its waypoint, its pods' selector at ztunnel. */
  SERVICE = 'service',
  /** Pods selected by labels: traffic addressed to the pods' own IPs. */
  WORKLOAD = 'workload',
}

/** The waypoint a destination's traffic goes through. */
export interface TargetWaypoint {
  /** The waypoint's name (its Gateway and service account). */
  readonly name: string;
  /** The waypoint's namespace. */
  readonly namespace: string;
  /**
   * The waypoint's trust domain.
   * @default - the policy's trust domain
   */
  readonly trustDomain?: string;
  /**
   * `service`, `workload`, `all` or `none`.
   * @default - not declared in the app (Istio's default, `service`)
   */
  readonly trafficType?: string;
}

/** A Service port and the pod port it targets (what ztunnel sees). */
export interface ServicePortMapping {
  /** The Service port. */
  readonly port: number;
  /**
   * The numeric pod port.
   * @default - see targetPortName
   */
  readonly targetPort?: number;
  /**
   * A named pod port, which ztunnel rules cannot use.
   * @default - the port is numeric
   */
  readonly targetPortName?: string;
}

/** A policy destination, resolved against the app at synth (see `IPolicyTarget.bind`). */
export interface PolicyTargetConfig {
  /** What kind of destination it is. */
  readonly kind: PolicyTargetKind;
  /** Base of the names of the policies written for it (`<base>-waypoint`, `<base>-ztunnel`). */
  readonly baseName: string;
  /** Human-readable, for error messages: `Service "shop/api"`. */
  readonly description: string;
  /**
   * Service name, for `targetRefs` (kind SERVICE).
   * @default - not a Service
   */
  readonly serviceName?: string;
  /**
   * Pod selector, for ztunnel `selector` policies.
   * @default - none (namespace-wide, or unknown: see selectorProblem)
   */
  readonly selector?: { [key: string]: string };
  /**
   * Why the selector is missing when it is needed, e.g. `Service "shop/x" has no pod selector`.
   * @default - the selector is known
   */
  readonly selectorProblem?: string;
  /**
   * The waypoint that serves the destination's traffic.
   * @default - no waypoint: ztunnel enforces its rules
   */
  readonly waypoint?: TargetWaypoint;
  /** Ingress gateways send this destination's traffic through its waypoint (`istio.io/ingress-use-waypoint`). */
  readonly ingressUsesWaypoint: boolean;
  /**
   * Service ports and their pod ports (kind SERVICE).
   * @default - none
   */
  readonly ports?: ServicePortMapping[];
  /**
   * The Service's ports are unknown (it is not declared in the app), so they cannot be translated to pod ports.
   * @default false
   */
  readonly portsUnknown?: boolean;
  /**
   * A headless Service: its traffic is addressed to pod IPs.
   * @default false
   */
  readonly headless?: boolean;
}

/**
 * A destination of ZeroTrustPolicy rules. `PolicyTarget` covers namespaces, Services and workloads;
 * implement it for other destinations (for example by delegating to `PolicyTarget.service()`).
 */
export interface IPolicyTarget {
  /** What the target is, for messages. */
  readonly description: string;
  /** Resolves the destination against the app. Called at synth, when the whole app is declared. */
  bind(scope: IConstruct, namespace: string): PolicyTargetConfig;
}


/**
 * Which destination a rule protects: the whole namespace, a Service (enforced at its waypoint when
 * it has one), or a workload's pods.
 */
export class PolicyTarget implements IPolicyTarget {
  /** Every workload in the policy's namespace (or the whole mesh for a mesh-wide policy). */
  public static namespace(): PolicyTarget {
    return new PolicyTarget('namespace', 'the namespace', (scope, ns) => resolveNamespace(scope, ns));
  }

  /**
   * A Service in the policy's namespace: a cdk8s-plus Service of any version, an `ApiObject` of kind
   * Service, or an `Include` holding one. Its selector and ports are read from the object.
   */
  public static service(service: IConstruct): PolicyTarget {
    const obj = kubeObjectOf(service, SERVICE_KIND, 'PolicyTarget.service()', 'for a Service declared elsewhere use PolicyTarget.serviceName(name, { selector })');
    return new PolicyTarget('service', `Service "${obj.name}"`, (scope, ns) => {
      checkSameNamespace(scope, `Service "${obj.name}"`, objectNamespace(obj, service), ns);
      return resolveService(scope, ns, obj.name, obj, undefined, serviceInfo(obj));
    });
  }

  /** A Service by name in the policy's namespace (declared in this app, or with its `selector` given). */
  public static serviceName(name: string, options: ServiceNameTargetOptions = {}): PolicyTarget {
    checkObjectName('PolicyTarget.serviceName()', 'Service name', name);
    if (options.selector) checkLabels('PolicyTarget.serviceName()', 'selector', options.selector);
    return new PolicyTarget('service', `Service "${name}"`, (scope, ns) =>
      resolveService(scope, ns, name, findServiceObject(scope, name, ns), options.selector));
  }

  /**
   * The pods of a workload in the policy's namespace: a cdk8s-plus Deployment, StatefulSet, DaemonSet,
   * Job, CronJob or Pod of any version, an `ApiObject` of one of those kinds, or an `Include` holding
   * one. The pods are selected by the workload's own selector (or its pod labels).
   */
  public static workload(workload: IConstruct): PolicyTarget {
    const obj = kubeObjectOf(workload, WORKLOAD_KINDS, 'PolicyTarget.workload()', 'for pods declared elsewhere use PolicyTarget.pods(name, matchLabels)');
    return new PolicyTarget('workload', `workload "${obj.name}"`, (scope, ns) => {
      checkSameNamespace(scope, `workload "${obj.name}"`, objectNamespace(obj, workload), ns);
      const selector = workloadSelector(obj);
      if (selector.hasExpressions) {
        throw constructError(scope, `workload "${obj.name}" is selected with label expressions, but AuthorizationPolicy selectors take matchLabels only. Select the workload by labels.`);
      }
      if (Object.keys(selector.matchLabels).length === 0) {
        throw constructError(scope, `workload "${obj.name}" has no pod labels to select it by, so a policy for it would select every pod of the namespace. Label its pods.`);
      }
      return resolveWorkload(scope, ns, obj.name, selector.matchLabels, podLabels(obj));
    });
  }

  /** Pods in the policy's namespace selected by labels; `name` names the emitted policies. */
  public static pods(name: string, matchLabels: { [key: string]: string }): PolicyTarget {
    checkObjectName('PolicyTarget.pods()', 'name', name);
    if (Object.keys(matchLabels).length === 0) {
      throw new Error('PolicyTarget.pods() needs at least one label; use PolicyTarget.namespace() for every pod.');
    }
    return new PolicyTarget('workload', `pods "${name}"`, (scope, ns) => resolveWorkload(scope, ns, name, { ...matchLabels }));
  }

  /** What the target is, for messages. */
  public readonly description: string;
  /** @internal */ public readonly _kind: string;
  private readonly resolver: (scope: IConstruct, namespace: string) => PolicyTargetConfig;

  private constructor(kind: string, description: string, resolver: (scope: IConstruct, namespace: string) => PolicyTargetConfig) {
    this._kind = kind;
    this.description = description;
    this.resolver = resolver;
  }

  /** Resolves the destination against the app (at synth). */
  public bind(scope: IConstruct, namespace: string): PolicyTargetConfig {
    return this.resolver(scope, namespace);
  }

  /** @internal */
  public _resolve(scope: IConstruct, namespace: string): PolicyTargetConfig {
    return this.bind(scope, namespace);
  }
}

function checkSameNamespace(scope: IConstruct, what: string, actual: string, expected: string): void {
  if (actual !== expected) {
    throw constructError(scope, `${what} is in namespace "${actual}", but this policy is for namespace "${expected}": an AuthorizationPolicy only applies in its own namespace. Declare the rule in the ZeroTrustPolicy of "${actual}".`);
  }
}

/**
 * Which waypoint serves what, decided by semantics/binding (as istiod binds, and as the analyzer
 * reads the output), over the app's declared namespaces and waypoints.
 */
function bindingContext(scope: IConstruct): BindingContext {
  const registry = MeshRegistry.of(scope);
  return {
    waypoint: (namespace, name) => {
      const w = registry.anyWaypoint(namespace, name);
      // A waypoint of this app admits the namespaces enrolled in it (it refuses the others itself);
      // a reference (Waypoint.fromName) is taken to admit them.
      return w ? { name: w.name, namespace: w.namespace, trafficType: w.trafficType, allowedFrom: 'All' } : undefined;
    },
    namespaceLabels: namespace => labelsOf(registry.namespace(namespace)?.apiObject),
  };
}

function labelsOf(obj: ApiObject | undefined): { [key: string]: string } | undefined {
  if (!obj) return undefined;
  const labels: { [key: string]: string } = {};
  for (const key of [IstioLabels.USE_WAYPOINT, IstioLabels.USE_WAYPOINT_NAMESPACE, IstioLabels.INGRESS_USE_WAYPOINT]) {
    const value = obj.metadata.getLabel(key);
    if (value !== undefined) labels[key] = value;
  }
  return labels;
}

/** The app's waypoint for a binding, with what the planner needs (identity, traffic type). */
function targetWaypoint(scope: IConstruct, binding: WaypointBinding): TargetWaypoint | undefined {
  if (!binding.waypoint) return undefined;
  const { name, namespace } = binding.waypoint;
  const w = MeshRegistry.of(scope).anyWaypoint(namespace, name);
  return { name, namespace, trustDomain: w?.identity.trustDomain, trafficType: w?.trafficType };
}

function namespaceOfApp(scope: IConstruct, namespace: string): { labels: { [key: string]: string }; ingress: boolean } {
  const ns = MeshRegistry.of(scope).namespace(namespace);
  if (!ns) {
    throw constructError(scope, `namespace "${namespace}" is not declared as an AmbientNamespace in this app, so it is unknown which waypoint (if any) serves it, and where rules are enforced. Declare it with new AmbientNamespace(scope, id, { name: '${namespace}' }) (use Waypoint.fromName() for a waypoint that exists already).`);
  }
  const labels = labelsOf(ns.apiObject)!;
  return { labels, ingress: labels[IstioLabels.INGRESS_USE_WAYPOINT]?.toLowerCase() === 'true' };
}

function resolveNamespace(scope: IConstruct, namespace: string): PolicyTargetConfig {
  const ns = namespaceOfApp(scope, namespace);
  return {
    kind: PolicyTargetKind.NAMESPACE,
    baseName: 'namespace',
    description: `namespace "${namespace}"`,
    // Namespace-wide rules at a waypoint are about the traffic it serves for the namespace's Services.
    waypoint: targetWaypoint(scope, resolveWaypoint(bindingContext(scope), 'service', namespace, {})),
    ingressUsesWaypoint: ns.ingress,
  };
}

function resolveService(
  scope: IConstruct, namespace: string, name: string, service?: ApiObject, selector?: { [key: string]: string }, knownSpec?: ServiceInfo,
): PolicyTargetConfig {
  const ns = namespaceOfApp(scope, namespace);
  const spec: ServiceInfo = knownSpec ?? (service ? serviceInfo(service) : { ports: [] });
  const ports: ServicePortMapping[] = spec.ports.map(p => typeof p.targetPort === 'string'
    ? { port: p.port, targetPortName: p.targetPort }
    : { port: p.port, targetPort: p.targetPort });
  const effectiveSelector = selector ?? (spec.selector && Object.keys(spec.selector).length > 0 ? { ...spec.selector } : undefined);
  // Istio reads ingress-use-waypoint from the Service first and falls back to its namespace.
  const ingressLabel = service?.metadata.getLabel(IstioLabels.INGRESS_USE_WAYPOINT);
  // A headless Service has no VIP: clients dial pod IPs, so its traffic passes its pods' waypoint.
  const headless = spec.clusterIP === 'None';
  const context = bindingContext(scope);
  const binding = headless
    ? headlessBinding(scope, context, namespace, effectiveSelector)
    : resolveWaypoint(context, 'service', namespace, labelsOf(service));
  return {
    kind: PolicyTargetKind.SERVICE,
    baseName: name,
    description: `${headless ? 'headless ' : ''}Service "${namespace}/${name}"`,
    serviceName: name,
    selector: effectiveSelector,
    selectorProblem: effectiveSelector ? undefined : service
      ? `Service "${namespace}/${name}" has no pod selector`
      : `Service "${namespace}/${name}" is not declared in this app and no selector was given (PolicyTarget.serviceName(name, { selector }))`,
    waypoint: targetWaypoint(scope, binding),
    ingressUsesWaypoint: ingressLabel !== undefined ? ingressLabel.toLowerCase() === 'true' : ns.ingress,
    ports,
    portsUnknown: !service,
    headless,
  };
}

/**
 * A headless Service's traffic is addressed to its pods: the waypoint of the pods it selects that
 * were enrolled in one, else the namespace's binding for workload traffic (semantics/binding podsWaypoint).
 */
function headlessBinding(
  scope: IConstruct, context: BindingContext, namespace: string, selector: { [key: string]: string } | undefined,
): WaypointBinding {
  const pods = selector
    ? MeshRegistry.of(scope).workloadEnrollments(namespace).filter(e => selectorMatches(selector, e.podLabels))
      .map(e => resolveWaypoint(context, 'workload', namespace, e.podLabels))
    : [];
  return podsWaypoint(pods, resolveWaypoint(context, 'workload', namespace, {}));
}

function resolveWorkload(
  scope: IConstruct, namespace: string, name: string, selector: { [key: string]: string }, podTemplateLabels?: { [key: string]: string },
): PolicyTargetConfig {
  const ns = namespaceOfApp(scope, namespace);
  return {
    kind: PolicyTargetKind.WORKLOAD,
    baseName: `${name}-workload`,
    description: `workload "${namespace}/${name}"`,
    selector,
    // A workload target is about traffic addressed to the pods' IPs (scrapes, StatefulSet peers):
    // it passes the pod's own waypoint, or the namespace's if that one serves workload traffic.
    waypoint: targetWaypoint(scope, resolveWaypoint(bindingContext(scope), 'workload', namespace, podTemplateLabels)),
    ingressUsesWaypoint: ns.ingress,
  };
}
