import { ApiObject, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { MeshContext } from './_context';
import { consumerNamespacesOf, enrollConsumer, findServiceObject, servesServices, servesWorkloads } from './_enrollment';
import { renderDeploymentTuning } from './_infrastructure';
import { LabelTarget, SERVICE_KIND, WORKLOAD_KINDS, kubeObjectOf, objectNamespace, podLabels, podTemplateLabels, workloadSelector } from './_kube-inputs';
import { MeshRegistry } from './_registry';
import { checkDns1035Label, checkNamespaceName, checkObjectName, constructError, namespaceOf, sortedUnique } from './_validation';
import * as gwapi from './imports/gateway.networking.k8s.io';
import { IstioLabels } from './labels';
import { MeshIdentity } from './mesh-identity';

/** Name `istioctl waypoint apply` gives a namespace waypoint. */
export const DEFAULT_WAYPOINT_NAME = 'waypoint';
/** GatewayClass istiod creates for waypoints (controller `istio.io/mesh-controller`). */
export const WAYPOINT_GATEWAY_CLASS = 'istio-waypoint';
/** The HBONE port every waypoint listens on. */
export const HBONE_PORT = 15008;

/**
 * Which traffic a waypoint processes (`istio.io/waypoint-for`): decided by how the traffic was
 * originally addressed, to a Service or straight to a pod IP.
 */
export enum WaypointTrafficType {
  /** Traffic addressed to Kubernetes Services (Istio's default). */
  SERVICE = 'service',
  /** Traffic addressed to pod or VM IPs. */
  WORKLOAD = 'workload',
  /** Both service and workload traffic. */
  ALL = 'all',
  /** No traffic (useful for testing). */
  NONE = 'none',
}

/**
 * A waypoint that namespaces, services and workloads can be enrolled in: one declared in this app
 * (`Waypoint`) or one that exists in the cluster already (`Waypoint.fromName`).
 */
export interface IWaypoint extends IConstruct {
  /** Name of the waypoint Gateway (and of its Deployment, Service and ServiceAccount). */
  readonly name: string;
  /** Namespace of the waypoint. */
  readonly namespace: string;
  /** The traffic the waypoint serves. */
  readonly trafficType: WaypointTrafficType;
  /** The waypoint's mesh identity: the service account named after the Gateway. */
  readonly identity: MeshIdentity;

  /**
   * Sends a Service's traffic through this waypoint (`istio.io/use-waypoint` on the Service, plus
   * `istio.io/use-waypoint-namespace` when the Service is in another namespace). A Service label
   * takes precedence over its namespace's waypoint. The waypoint must serve `service` or `all`.
   *
   * @param service a cdk8s-plus Service of any version, an `ApiObject` of kind Service, or an `Include` holding one
   */
  enrollService(service: IConstruct, options?: WaypointEnrollServiceOptions): void;

  /**
   * Like `enrollService`, for a Service declared in this app without cdk8s-plus (an `ApiObject` or
   * an `Include`d manifest), anywhere in the app: it is found and labelled at synth.
   */
  enrollServiceByName(name: string, options?: WaypointEnrollServiceByNameOptions): void;

  /**
   * Sends traffic addressed to a workload's pods through this waypoint (`istio.io/use-waypoint`
   * on the pod template). The waypoint must serve `workload` or `all` traffic.
   *
   * @param workload a cdk8s-plus workload of any version, an `ApiObject` of a workload kind, or an `Include` holding one
   */
  enrollWorkload(workload: IConstruct): void;
}

/** Options for `Waypoint.fromName`. */
export interface WaypointReferenceOptions {
  /** Namespace of the existing waypoint. */
  readonly namespace: string;
  /**
   * The traffic the existing waypoint serves (its `istio.io/waypoint-for` label).
   * @default WaypointTrafficType.SERVICE
   */
  readonly trafficType?: WaypointTrafficType;
  /**
   * Mesh trust domain, for the waypoint's identity.
   * @default - the app's AmbientMesh trust domain (wherever it is declared), else "cluster.local"
   */
  readonly trustDomain?: string;
}

/**
 * Which namespaces may attach to a Gateway listener (`allowedRoutes.namespaces`): namespaces enrolled
 * in a waypoint, or namespaces whose routes attach to an ingress gateway. Istio refuses attachments
 * this does not admit (`AttachmentDenied`, `NotAllowedByListeners`).
 */
export class GatewayNamespaces {
  /** Any namespace may use the waypoint. */
  public static all(): GatewayNamespaces {
    return new GatewayNamespaces('All', [], {});
  }

  /** Only the waypoint's own namespace. */
  public static same(): GatewayNamespaces {
    return new GatewayNamespaces('Same', [], {});
  }

  /** The named namespaces (plus the waypoint's own). */
  public static names(...names: string[]): GatewayNamespaces {
    if (names.length === 0) {
      throw new Error('GatewayNamespaces.names() needs at least one namespace name; use GatewayNamespaces.same() for none.');
    }
    names.forEach(n => checkNamespaceName('GatewayNamespaces.names()', 'namespace', n));
    return new GatewayNamespaces('Names', sortedUnique(names), {});
  }

  /** Namespaces whose labels match all of `matchLabels`. */
  public static selector(matchLabels: { [key: string]: string }): GatewayNamespaces {
    if (Object.keys(matchLabels).length === 0) {
      throw new Error('GatewayNamespaces.selector() needs at least one label; an empty selector would admit every namespace: use GatewayNamespaces.all() to say so.');
    }
    return new GatewayNamespaces('Selector', [], { ...matchLabels });
  }

  private constructor(
    /** @internal */ public readonly _mode: string,
    /** @internal */ public readonly _names: string[],
    /** @internal */ public readonly _matchLabels: { [key: string]: string },
  ) {}
}

/** Replica autoscaling for a waypoint (a HorizontalPodAutoscaler created by istiod). */
export interface WaypointAutoscaling {
  /**
   * Minimum number of replicas.
   * @default 1
   */
  readonly minReplicas?: number;
  /** Maximum number of replicas. */
  readonly maxReplicas: number;
  /**
   * Average CPU utilization (percent of the request) to scale at.
   * @default 80
   */
  readonly targetCpuUtilizationPercent?: number;
}

/** PodDisruptionBudget for a waypoint (created by istiod). Set exactly one field. */
export interface WaypointDisruptionBudget {
  /**
   * Replicas that must stay available during voluntary disruptions.
   * @default - not set
   */
  readonly minAvailable?: number;
  /**
   * Replicas that may be unavailable during voluntary disruptions.
   * @default - not set
   */
  readonly maxUnavailable?: number;
}

/**
 * The Deployment istiod creates for a Gateway (a waypoint or an ingress gateway), tuned through the
 * Gateway's `infrastructure.parametersRef` ConfigMap.
 */
export interface GatewayDeploymentOptions {
  /**
   * Fixed number of proxy replicas. Not together with `autoscaling`.
   * @default - istiod's default (one replica)
   */
  readonly replicas?: number;
  /**
   * Resources of the proxy container (`istio-proxy`).
   * @default - istiod's defaults (for waypoints `global.waypoint.resources`: requests 100m/128Mi, limits 2 CPU/1Gi)
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Horizontal autoscaling. Not together with `replicas`.
   * @default - no HorizontalPodAutoscaler
   */
  readonly autoscaling?: WaypointAutoscaling;
  /**
   * PodDisruptionBudget for the proxy pods.
   * @default - no PodDisruptionBudget
   */
  readonly podDisruptionBudget?: WaypointDisruptionBudget;
}

/** Options shared by `Waypoint` and `AmbientNamespace.addWaypoint`. */
export interface WaypointOptions extends GatewayDeploymentOptions {
  /**
   * Name of the waypoint Gateway. istiod names its Deployment, Service and ServiceAccount the same.
   * @default "waypoint"
   */
  readonly name?: string;
  /**
   * The traffic this waypoint serves. When unset no `istio.io/waypoint-for` label is written (as
   * `istioctl waypoint apply` does) and istiod serves service traffic.
   * @default - no label; Istio treats the waypoint as `service`
   */
  readonly trafficType?: WaypointTrafficType;
  /**
   * Control-plane revision or revision tag that manages this waypoint (`istio.io/rev`).
   * @default - the default revision
   */
  readonly revision?: string;
  /**
   * Namespaces allowed to use this waypoint.
   * @default - its own namespace plus every namespace whose services, workloads or namespace this
   * app enrolls in it
   */
  readonly allowedNamespaces?: GatewayNamespaces;
  /**
   * Mesh trust domain (`meshConfig.trustDomain`), for the waypoint's identity.
   * @default - the app's AmbientMesh trust domain (wherever it is declared), else "cluster.local"
   */
  readonly trustDomain?: string;
}

/** Props for `Waypoint`. */
export interface WaypointProps extends WaypointOptions {
  /**
   * Namespace of the waypoint.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Label the waypoint's namespace with `istio.io/use-waypoint` (like `istioctl waypoint apply
   * --enroll-namespace`). The namespace must be declared as an `AmbientNamespace` in this app.
   * @default false
   */
  readonly enrollNamespace?: boolean;
}

/** Options for `Waypoint.enrollService`. */
export interface WaypointEnrollServiceOptions {
  /**
   * Also route ingress-gateway traffic for the service through this waypoint
   * (`istio.io/ingress-use-waypoint: "true"`). L7 then runs at both the gateway and the waypoint.
   * @default false
   */
  readonly ingressUseWaypoint?: boolean;
}

/** Options for `Waypoint.enrollServiceByName`. */
export interface WaypointEnrollServiceByNameOptions extends WaypointEnrollServiceOptions {
  /**
   * Namespace of the Service.
   * @default - the waypoint's namespace
   */
  readonly namespace?: string;
}

/**
 * Behaviour shared by declared and referenced waypoints: enrolling services and workloads.
 */
export abstract class WaypointBase extends Construct implements IWaypoint {
  public abstract readonly name: string;
  public abstract readonly namespace: string;
  public abstract readonly trafficType: WaypointTrafficType;
  public abstract readonly identity: MeshIdentity;

  /**
   * Sends a Service's traffic through this waypoint (`istio.io/use-waypoint` on the Service, plus
   * `istio.io/use-waypoint-namespace` when the Service is in another namespace). A Service label
   * takes precedence over its namespace's waypoint.
   */
  public enrollService(service: IConstruct, options: WaypointEnrollServiceOptions = {}): void {
    const obj = kubeObjectOf(service, SERVICE_KIND, 'Waypoint.enrollService()', 'for a Service declared elsewhere in this app use enrollServiceByName()');
    this.enrollServiceObject(obj.metadata, obj.name, objectNamespace(obj, service), service.node.path, options);
  }

  /**
   * Like `enrollService`, for a Service declared in this app without cdk8s-plus (an `ApiObject` or
   * an `Include`d manifest), anywhere in the app: the Service is found and labelled at synth.
   */
  public enrollServiceByName(name: string, options: WaypointEnrollServiceByNameOptions = {}): void {
    checkObjectName(this, 'Service name', name);
    const ns = options.namespace ?? this.namespace;
    checkNamespaceName(this, 'Service namespace', ns);
    this.checkServesServices(ns, name);
    let outcome: { error?: string } | undefined;
    // Enrollments come before placement: the "1-" prefix orders this step before the policies' steps.
    MeshContext.of(this).onPrepare(`1-enroll:${this.node.path}:${ns}/${name}`, () => {
      if (outcome) return;
      const service = findServiceObject(this, name, ns);
      if (!service) return;
      try {
        this.enrollServiceObject(service.metadata, name, ns, service.node.path, options);
        outcome = {};
      } catch (e) {
        outcome = { error: (e as Error).message.replace(`[${this.node.path}] `, '') };
      }
    });
    this.node.addValidation({
      validate: () => {
        if (outcome) return outcome.error ? [outcome.error] : [];
        return [`enrollServiceByName("${name}"): no Service "${ns}/${name}" is declared in this app, so it cannot be labelled with istio.io/use-waypoint. Declare the Service (cdk8s-plus Service, ApiObject or Include), or pass the cdk8s-plus Service to enrollService().`];
      },
    });
  }

  /**
   * Sends traffic addressed to a workload's pods through this waypoint (`istio.io/use-waypoint`
   * on the pod template). The waypoint must serve `workload` or `all` traffic.
   */
  public enrollWorkload(workload: IConstruct): void {
    const obj = kubeObjectOf(workload, WORKLOAD_KINDS, 'Waypoint.enrollWorkload()', 'label pods declared elsewhere with istio.io/use-waypoint on their pod template');
    if (!servesWorkloads(this)) {
      throw constructError(this, `cannot enroll workload ${workload.node.path}: waypoint "${this.namespace}/${this.name}" serves ${this.trafficType} traffic, and Istio only binds pods to waypoints for \`workload\` or \`all\` traffic (status UnsupportedTrafficType), so pod traffic would skip it. Set trafficType: WaypointTrafficType.WORKLOAD or ALL.`);
    }
    const namespace = objectNamespace(obj, workload);
    enrollConsumer(this, podTemplateLabels(workload, obj), namespace, workload.node.path);
    MeshRegistry.of(this).registerWorkloadEnrollment({
      waypoint: this, namespace, name: obj.name, selector: workloadSelector(obj).matchLabels, podLabels: podLabels(obj),
    });
  }

  private checkServesServices(ns: string, name: string): void {
    if (!servesServices(this)) {
      throw constructError(this, `cannot enroll Service "${ns}/${name}": waypoint "${this.namespace}/${this.name}" serves ${this.trafficType} traffic, and Istio only binds Services to waypoints for \`service\` or \`all\` traffic (status UnsupportedTrafficType), so the Service's traffic would skip it. Set trafficType: WaypointTrafficType.SERVICE or ALL, or enroll the workloads with enrollWorkload().`);
    }
  }

  private enrollServiceObject(
    metadata: LabelTarget, name: string, ns: string, path: string, options: WaypointEnrollServiceOptions,
  ): void {
    this.checkServesServices(ns, name);
    enrollConsumer(this, metadata, ns, path);
    if (options.ingressUseWaypoint) metadata.addLabel(IstioLabels.INGRESS_USE_WAYPOINT, 'true');
  }

}

/**
 * An Istio ambient waypoint proxy: the L7 enforcement point (HTTP routes, methods, paths, JWT) for
 * the services or workloads enrolled in it.
 *
 * Synthesizes exactly what `istioctl waypoint generate` does: a `gateway.networking.k8s.io/v1`
 * Gateway of class `istio-waypoint` with one `mesh` listener on port 15008 (HBONE). istiod then
 * deploys it. Deployment tuning (replicas, resources, autoscaling, disruption budget) goes into a
 * ConfigMap referenced from `spec.infrastructure.parametersRef`, which istiod merges into what it
 * generates.
 *
 * @see https://istio.io/latest/docs/ambient/usage/waypoint/
 */
export class Waypoint extends WaypointBase {
  /**
   * Refers to a waypoint that exists in the cluster already (for example one installed by
   * `istioctl waypoint apply`), so that this app can enroll namespaces, services and workloads in it.
   */
  public static fromName(scope: Construct, id: string, name: string, options: WaypointReferenceOptions): IWaypoint {
    return new ImportedWaypoint(scope, id, name, options);
  }

  /** Name of the waypoint Gateway, Deployment, Service and ServiceAccount. */
  public readonly name: string;
  /** Namespace of the waypoint. */
  public readonly namespace: string;
  /** The traffic this waypoint serves. */
  public readonly trafficType: WaypointTrafficType;
  /** The Gateway object. */
  public readonly apiObject: ApiObject;
  /** The ConfigMap holding deployment tuning, when any is set. */
  public readonly options?: ApiObject;

  private readonly explicitTrafficType: boolean;
  private readonly allowedNamespaces?: GatewayNamespaces;
  private readonly trustDomain?: string;

  public constructor(scope: Construct, id: string, props: WaypointProps = {}) {
    super(scope, id);
    this.name = props.name ?? DEFAULT_WAYPOINT_NAME;
    checkDns1035Label(this, 'waypoint name', this.name);
    if (this.name === IstioLabels.NONE) {
      throw constructError(this, 'a waypoint cannot be named "none": Istio reserves `istio.io/use-waypoint: none` to opt out of a waypoint. Choose another `name`.');
    }
    this.namespace = namespaceOf(this, props.namespace, `Waypoint "${this.name}"`);
    this.trafficType = props.trafficType ?? WaypointTrafficType.SERVICE;
    this.explicitTrafficType = props.trafficType !== undefined;
    this.allowedNamespaces = props.allowedNamespaces;
    this.trustDomain = props.trustDomain;
    this.identity; // checks the name and trust domain now

    const labels: { [key: string]: string } = {};
    if (this.explicitTrafficType) labels[IstioLabels.WAYPOINT_FOR] = this.trafficType;
    if (props.revision !== undefined) {
      checkRevision(this, props.revision);
      labels[IstioLabels.REVISION] = props.revision;
    }

    const tuning = renderDeploymentTuning(this, props);
    if (tuning) {
      this.options = new kplus.k8s.KubeConfigMap(this, 'Options', {
        metadata: { name: `${this.name}-waypoint-options`, namespace: this.namespace },
        data: tuning,
      });
    }

    this.apiObject = new gwapi.Gateway(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace, labels },
      spec: Lazy.any({ produce: () => this.renderSpec() }),
    });

    const registry = MeshRegistry.of(this);
    registry.registerWaypoint(this);
    if (props.enrollNamespace) registry.enrollNamespaceWhenDeclared(this);

    this.node.addValidation({
      validate: () => {
        const errors: string[] = [];
        if (registry.isNamespaceEnrollmentPending(this)) {
          errors.push(`enrollNamespace is set but namespace "${this.namespace}" is not declared in this app. Declare it with new AmbientNamespace(scope, id, { name: '${this.namespace}' }) so it can carry the istio.io/use-waypoint label.`);
        }
        errors.push(...this.checkConsumersAdmitted());
        return errors;
      },
    });
  }

  /**
   * The waypoint's identity: service account `<name>` in `<namespace>`, in the trust domain given,
   * else the app's AmbientMesh's (wherever it is declared), else `cluster.local`.
   */
  public get identity(): MeshIdentity {
    return MeshIdentity.fromServiceAccountName(this.namespace, this.name, this.trustDomain ?? MeshRegistry.of(this).mesh?.trustDomain);
  }

  /** The principal other policies use to admit this waypoint: `<trustDomain>/ns/<ns>/sa/<name>`. */
  public get principal(): string {
    return this.identity.principal;
  }

  /** Namespaces (other than its own) that this app enrolled in the waypoint. Returns a copy. */
  public get consumerNamespaceNames(): string[] {
    return sortedUnique(consumerNamespacesOf(this).keys());
  }

  private checkConsumersAdmitted(): string[] {
    const mode = this.allowedNamespaces?._mode;
    if (mode === undefined || mode === 'All' || mode === 'Selector') return [];
    const admitted = new Set(this.allowedNamespaces!._names);
    return [...consumerNamespacesOf(this).entries()]
      .filter(([ns]) => !admitted.has(ns))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([ns, path]) => `${path} in namespace "${ns}" is enrolled in this waypoint, but allowedNamespaces does not admit "${ns}": Istio would refuse the attachment (AttachmentDenied) and the traffic would skip the waypoint. Add "${ns}" to GatewayNamespaces.names(...), or leave allowedNamespaces unset.`);
  }

  /** The Gateway spec, rendered at synth (consumer namespaces may be enrolled after the waypoint). */
  private renderSpec(): gwapi.GatewaySpec {
    const listener: gwapi.GatewaySpecListeners = {
      name: 'mesh',
      port: HBONE_PORT,
      protocol: 'HBONE',
      allowedRoutes: this.renderAllowedRoutes(),
    };
    return {
      gatewayClassName: WAYPOINT_GATEWAY_CLASS,
      listeners: [listener],
      infrastructure: this.options
        ? { parametersRef: { group: '', kind: 'ConfigMap', name: this.options.name } }
        : undefined,
    };
  }

  private renderAllowedRoutes(): gwapi.GatewaySpecListenersAllowedRoutes | undefined {
    const From = gwapi.GatewaySpecListenersAllowedRoutesNamespacesFrom;
    const allowed = this.allowedNamespaces;
    if (allowed?._mode === 'All') return { namespaces: { from: From.ALL } };
    if (allowed?._mode === 'Same') return { namespaces: { from: From.SAME } };
    if (allowed?._mode === 'Selector') return { namespaces: { from: From.SELECTOR, selector: { matchLabels: { ...allowed._matchLabels } } } };
    const names = allowed?._mode === 'Names' ? allowed._names : [...consumerNamespacesOf(this).keys()];
    // Unset means `Same`, which is what istioctl writes too.
    if (names.length === 0) return undefined;
    const all = sortedUnique([this.namespace, ...names]);
    return { namespaces: { from: From.SELECTOR, selector: namespaceNameSelector(all) } };
  }
}

/** Selects namespaces by name through the label Kubernetes sets on every namespace. */
function namespaceNameSelector(names: string[]): gwapi.GatewaySpecListenersAllowedRoutesNamespacesSelector {
  if (names.length === 1) return { matchLabels: { [IstioLabels.NAMESPACE_NAME]: names[0] } };
  return { matchExpressions: [{ key: IstioLabels.NAMESPACE_NAME, operator: 'In', values: names }] };
}

function checkRevision(scope: IConstruct, revision: string): void {
  if (revision.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(revision)) {
    throw constructError(scope, `revision "${revision}" is not a valid revision name (a label value of lowercase letters, digits and '-', e.g. "1-30-3" or "stable").`);
  }
}

class ImportedWaypoint extends WaypointBase {
  public readonly name: string;
  public readonly namespace: string;
  public readonly trafficType: WaypointTrafficType;
  private readonly trustDomain?: string;

  public constructor(scope: Construct, id: string, name: string, options: WaypointReferenceOptions) {
    super(scope, id);
    checkDns1035Label(this, 'waypoint name', name);
    if (name === IstioLabels.NONE) {
      throw constructError(this, 'a waypoint cannot be named "none": Istio reserves `istio.io/use-waypoint: none` to opt out of a waypoint.');
    }
    checkNamespaceName(this, 'waypoint namespace', options.namespace);
    this.name = name;
    this.namespace = options.namespace;
    this.trafficType = options.trafficType ?? WaypointTrafficType.SERVICE;
    this.trustDomain = options.trustDomain;
    this.identity; // checks the trust domain now
    MeshRegistry.of(this).registerWaypointReference(this);
  }

  public get identity(): MeshIdentity {
    return MeshIdentity.fromServiceAccountName(this.namespace, this.name, this.trustDomain ?? MeshRegistry.of(this).mesh?.trustDomain);
  }
}
