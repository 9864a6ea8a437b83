import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { findServiceObject } from '../_enrollment';
import {
  SERVICE_KIND, ServiceInfo, WORKLOAD_KINDS, kubeObjectOf, objectNamespace, podLabels, serviceInfo, workloadSelector,
} from '../_kube-inputs';
import { MeshRegistry } from '../_registry';
import { checkLabels, checkObjectName, constructError } from '../_validation';
import { IstioLabels } from '../labels';
import { selectorMatches } from '../semantics/selectors';

/** Options for `PolicyTarget.serviceName`. */
export interface ServiceNameTargetOptions {
  /**
   * The Service's pod selector, needed when a rule for it is enforced by ztunnel.
   * @default - read from the Service when it is declared in this app
   */
  readonly selector?: { [key: string]: string };
}

/** The waypoint a destination's traffic goes through. @internal */
export interface _WaypointBinding {
  readonly name: string;
  readonly namespace: string;
  readonly trustDomain?: string;
  /** `service`, `workload`, `all` or `none`; undefined when the waypoint is not declared in the app (Istio's default, service). */
  readonly trafficType?: string;
}

/** A destination resolved against the mesh as declared in the app. @internal */
export interface _ResolvedTarget {
  readonly kind: 'namespace' | 'service' | 'workload';
  /** Base of the names of the policies emitted for it. */
  readonly baseName: string;
  /** Human-readable, for error messages. */
  readonly description: string;
  /** Service name, for `targetRefs`. */
  readonly serviceName?: string;
  /** Pod selector, for ztunnel `selector` policies (undefined for namespace-wide). */
  readonly selector?: { [key: string]: string };
  /** Why a selector is missing, when it is needed but cannot be known. */
  readonly selectorProblem?: string;
  /** The waypoint serving the destination, if any. */
  readonly waypoint?: _WaypointBinding;
  /** Ingress gateways send this destination's traffic through its waypoint. */
  readonly ingressUsesWaypoint: boolean;
  /** Service port -> pod port, for ztunnel rules on a Service. */
  readonly podPorts: Map<number, number | string>;
  /** The Service's ports are unknown (not declared in the app), so they cannot be translated to pod ports. */
  readonly portsUnknown?: boolean;
  /** A headless Service: its traffic is addressed to pod IPs (semantics/binding). */
  readonly headless?: boolean;
}

/**
 * Which destination a rule protects: the whole namespace, a Service (enforced at its waypoint when
 * it has one), or a workload's pods.
 */
export class PolicyTarget {
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
  private readonly resolver: (scope: IConstruct, namespace: string) => _ResolvedTarget;

  private constructor(kind: string, description: string, resolver: (scope: IConstruct, namespace: string) => _ResolvedTarget) {
    this._kind = kind;
    this.description = description;
    this.resolver = resolver;
  }

  /** @internal */
  public _resolve(scope: IConstruct, namespace: string): _ResolvedTarget {
    return this.resolver(scope, namespace);
  }
}

function checkSameNamespace(scope: IConstruct, what: string, actual: string, expected: string): void {
  if (actual !== expected) {
    throw constructError(scope, `${what} is in namespace "${actual}", but this policy is for namespace "${expected}": an AuthorizationPolicy only applies in its own namespace. Declare the rule in the ZeroTrustPolicy of "${actual}".`);
  }
}

function namespaceBinding(scope: IConstruct, namespace: string): { waypoint?: _WaypointBinding; ingress: boolean } {
  const ns = MeshRegistry.of(scope).namespace(namespace);
  if (!ns) {
    throw constructError(scope, `namespace "${namespace}" is not declared as an AmbientNamespace in this app, so it is unknown which waypoint (if any) serves it, and where rules are enforced. Declare it with new AmbientNamespace(scope, id, { name: '${namespace}' }) (use Waypoint.fromName() for a waypoint that exists already).`);
  }
  const wp = ns.waypoint;
  return {
    waypoint: wp ? { name: wp.name, namespace: wp.namespace, trustDomain: wp.identity.trustDomain, trafficType: wp.trafficType } : undefined,
    ingress: ns.apiObject.metadata.getLabel(IstioLabels.INGRESS_USE_WAYPOINT)?.toLowerCase() === 'true',
  };
}

/** Traffic addressed to pod IPs only goes through a waypoint for `workload` or `all` traffic. */
function carriesPodTraffic(waypoint: _WaypointBinding | undefined): _WaypointBinding | undefined {
  return waypoint && (waypoint.trafficType === 'workload' || waypoint.trafficType === 'all') ? waypoint : undefined;
}

function resolveNamespace(scope: IConstruct, namespace: string): _ResolvedTarget {
  const binding = namespaceBinding(scope, namespace);
  return {
    kind: 'namespace',
    baseName: 'namespace',
    description: `namespace "${namespace}"`,
    waypoint: binding.waypoint,
    ingressUsesWaypoint: binding.ingress,
    podPorts: new Map(),
  };
}

/** Istio's precedence: a Service label beats the namespace label; `none` opts out. */
interface LabelBinding {
  readonly waypoint?: _WaypointBinding;
  /** The object has its own use-waypoint label (which may be `none`). */
  readonly explicit: boolean;
}

function bindingFromLabels(scope: IConstruct, labels: { [key: string]: string | undefined }, namespace: string): LabelBinding {
  const name = labels[IstioLabels.USE_WAYPOINT];
  if (name === undefined) return { explicit: false };
  if (name === IstioLabels.NONE) return { explicit: true };
  const wpNamespace = labels[IstioLabels.USE_WAYPOINT_NAMESPACE] ?? namespace;
  const known = MeshRegistry.of(scope).waypoint(wpNamespace, name);
  return { explicit: true, waypoint: { name, namespace: wpNamespace, trustDomain: known?.identity.trustDomain, trafficType: known?.trafficType } };
}

function resolveService(
  scope: IConstruct, namespace: string, name: string, service?: ApiObject, selector?: { [key: string]: string }, knownSpec?: ServiceInfo,
): _ResolvedTarget {
  const nsBinding = namespaceBinding(scope, namespace);
  const own: LabelBinding = service ? bindingFromLabels(scope, service.metadata.toJson().labels ?? {}, namespace) : { explicit: false };
  const spec: ServiceInfo = knownSpec ?? (service ? serviceInfo(service) : { ports: [] });
  const podPorts = new Map<number, number | string>();
  for (const port of spec.ports) podPorts.set(port.port, port.targetPort);
  const effectiveSelector = selector ?? (spec.selector && Object.keys(spec.selector).length > 0 ? { ...spec.selector } : undefined);
  // Istio reads ingress-use-waypoint from the Service first and falls back to its namespace.
  const ingressLabel = service?.metadata.getLabel(IstioLabels.INGRESS_USE_WAYPOINT);
  // A headless Service has no VIP: clients dial pod IPs, which only a workload waypoint sees.
  const headless = spec.clusterIP === 'None';
  const serviceWaypoint = own.explicit ? own.waypoint : nsBinding.waypoint;
  return {
    kind: 'service',
    baseName: name,
    description: `${headless ? 'headless ' : ''}Service "${namespace}/${name}"`,
    serviceName: name,
    selector: effectiveSelector,
    selectorProblem: effectiveSelector ? undefined : service
      ? `Service "${namespace}/${name}" has no pod selector`
      : `Service "${namespace}/${name}" is not declared in this app and no selector was given (PolicyTarget.serviceName(name, { selector }))`,
    waypoint: headless ? headlessWaypoint(scope, namespace, effectiveSelector, nsBinding.waypoint) : serviceWaypoint,
    ingressUsesWaypoint: ingressLabel !== undefined ? ingressLabel.toLowerCase() === 'true' : nsBinding.ingress,
    podPorts,
    portsUnknown: !service,
    headless,
  };
}

/**
 * A headless Service's traffic is addressed to its pods, so it passes their waypoint: a workload
 * waypoint they are enrolled in (their own istio.io/use-waypoint), else the namespace's if it serves
 * workload traffic (semantics/binding, as the analyzer resolves it).
 */
function headlessWaypoint(
  scope: IConstruct, namespace: string, selector: { [key: string]: string } | undefined, namespaceWaypoint: _WaypointBinding | undefined,
): _WaypointBinding | undefined {
  if (selector) {
    const enrolled = MeshRegistry.of(scope).workloadEnrollments(namespace)
      .find(e => selectorMatches(selector, e.podLabels));
    if (enrolled) {
      const w = enrolled.waypoint;
      return { name: w.name, namespace: w.namespace, trustDomain: w.identity.trustDomain, trafficType: w.trafficType };
    }
  }
  return carriesPodTraffic(namespaceWaypoint);
}

function resolveWorkload(
  scope: IConstruct, namespace: string, name: string, selector: { [key: string]: string }, podTemplateLabels?: { [key: string]: string },
): _ResolvedTarget {
  const nsBinding = namespaceBinding(scope, namespace);
  const own: LabelBinding = podTemplateLabels ? bindingFromLabels(scope, podTemplateLabels, namespace) : { explicit: false };
  return {
    kind: 'workload',
    baseName: `${name}-workload`,
    description: `workload "${namespace}/${name}"`,
    selector,
    // A workload target is about traffic addressed to the pods' IPs (scrapes, StatefulSet peers):
    // it passes the pod's own waypoint, or the namespace's if that one serves workload traffic.
    waypoint: own.explicit ? own.waypoint : carriesPodTraffic(nsBinding.waypoint),
    ingressUsesWaypoint: nsBinding.ingress,
    podPorts: new Map(),
  };
}
