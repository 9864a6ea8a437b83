import { ApiObject, ApiObjectMetadataDefinition } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { findServiceObject } from './_enrollment';
import { MeshRegistry } from './_registry';
import { checkObjectName, constructError, namespaceOf } from './_validation';
import { IstioLabels } from './labels';

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

  /** A cdk8s-plus Service in the policy's namespace. */
  public static service(service: kplus.Service): PolicyTarget {
    return new PolicyTarget('service', `Service "${service.name}"`, (scope, ns) => {
      const serviceNs = namespaceOf(service, service.metadata.namespace, `Service "${service.name}"`);
      checkSameNamespace(scope, `Service "${service.name}"`, serviceNs, ns);
      return resolveService(scope, ns, service.name, ApiObject.of(service), undefined, serviceSpec(service));
    });
  }

  /** A Service by name in the policy's namespace (declared in this app, or with its `selector` given). */
  public static serviceName(name: string, options: ServiceNameTargetOptions = {}): PolicyTarget {
    checkObjectName('PolicyTarget.serviceName()', 'Service name', name);
    return new PolicyTarget('service', `Service "${name}"`, (scope, ns) =>
      resolveService(scope, ns, name, findServiceObject(scope, name, ns), options.selector));
  }

  /** The pods of a cdk8s-plus workload in the policy's namespace. */
  public static workload(workload: kplus.AbstractPod): PolicyTarget {
    return new PolicyTarget('workload', `workload "${workload.name}"`, (scope, ns) => {
      const workloadNs = namespaceOf(workload, workload.metadata.namespace, `workload "${workload.name}"`);
      checkSameNamespace(scope, `workload "${workload.name}"`, workloadNs, ns);
      const selector = workload.toPodSelectorConfig().labelSelector._toKube();
      if (selector.matchExpressions?.length) {
        throw constructError(scope, `workload "${workload.name}" is selected with label expressions, but AuthorizationPolicy selectors take matchLabels only. Select the workload by labels.`);
      }
      return resolveWorkload(scope, ns, workload.name, { ...selector.matchLabels }, workload.podMetadata);
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

function bindingFromLabels(scope: IConstruct, metadata: ApiObjectMetadataDefinition, namespace: string): LabelBinding {
  const name = metadata.getLabel(IstioLabels.USE_WAYPOINT);
  if (name === undefined) return { explicit: false };
  if (name === IstioLabels.NONE) return { explicit: true };
  const wpNamespace = metadata.getLabel(IstioLabels.USE_WAYPOINT_NAMESPACE) ?? namespace;
  const known = MeshRegistry.of(scope).waypoint(wpNamespace, name);
  return { explicit: true, waypoint: { name, namespace: wpNamespace, trustDomain: known?.identity.trustDomain, trafficType: known?.trafficType } };
}

/**
 * Resolves a Service object declared in the app, as a policy target.
 * @internal
 */
export function _resolveServiceObject(scope: IConstruct, namespace: string, service: ApiObject): _ResolvedTarget {
  return resolveService(scope, namespace, service.name, service);
}

/**
 * The parts of a cdk8s-plus Service's spec that placement needs, without resolving the whole object
 * (a rule is placed per allowFrom call, so this runs often).
 */
function serviceSpec(service: kplus.Service): any {
  let selector: { [key: string]: string } | undefined;
  try {
    selector = service._toKube().selector;
  } catch {
    selector = ApiObject.of(service).toJson().spec?.selector;
  }
  return {
    selector,
    clusterIP: service.clusterIP,
    ports: service.ports.map(p => ({ port: p.port, targetPort: p.targetPort ?? p.port })),
  };
}

function resolveService(
  scope: IConstruct, namespace: string, name: string, service?: ApiObject, selector?: { [key: string]: string }, knownSpec?: any,
): _ResolvedTarget {
  const nsBinding = namespaceBinding(scope, namespace);
  const own: LabelBinding = service ? bindingFromLabels(scope, service.metadata, namespace) : { explicit: false };
  const spec = knownSpec ?? (service ? service.toJson().spec ?? {} : {});
  const podPorts = new Map<number, number | string>();
  for (const port of spec.ports ?? []) podPorts.set(port.port, port.targetPort ?? port.port);
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
    waypoint: headless ? carriesPodTraffic(nsBinding.waypoint) : serviceWaypoint,
    ingressUsesWaypoint: ingressLabel !== undefined ? ingressLabel.toLowerCase() === 'true' : nsBinding.ingress,
    podPorts,
    portsUnknown: !service,
    headless,
  };
}

function resolveWorkload(
  scope: IConstruct, namespace: string, name: string, selector: { [key: string]: string }, podMetadata?: ApiObjectMetadataDefinition,
): _ResolvedTarget {
  const nsBinding = namespaceBinding(scope, namespace);
  const own: LabelBinding = podMetadata ? bindingFromLabels(scope, podMetadata, namespace) : { explicit: false };
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
