import { ApiObject, ApiObjectMetadataDefinition, Chart, JsonPatch } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { enrollConsumer, servesServices } from './_enrollment';
import { NAMESPACE_KIND, SERVICE_KIND, WORKLOAD_KINDS, kubeObjectOf, objectNamespace, podTemplateLabels } from './_kube-inputs';
import { invalidateSynthMemo } from './_memo';
import { MeshRegistry } from './_registry';
import { checkLabels, checkNamespaceName, constructError } from './_validation';
import { IstioLabels } from './labels';
import { namespaceInjectsSidecars } from './semantics/membership';
import { IWaypoint, Waypoint, WaypointOptions } from './waypoint';

/** Props for `AmbientNamespace`. */
export interface AmbientNamespaceProps {
  /**
   * Name of the namespace to create, or to adopt when it exists already (such as `default`):
   * applying a Namespace object adds the labels to the existing namespace. Give either `name` or
   * `namespace`.
   * @default - the name of `namespace`
   */
  readonly name?: string;
  /**
   * A Namespace declared in this app: a cdk8s-plus Namespace of any version, an `ApiObject` of kind
   * Namespace, or an `Include` holding one. It is labelled in place and no second Namespace object
   * is written. Give either `name` or `namespace`.
   * @default - a Namespace object named `name` is written
   */
  readonly namespace?: IConstruct;
  /**
   * The waypoint serving the namespace's services (`istio.io/use-waypoint`, plus
   * `istio.io/use-waypoint-namespace` when it lives in another namespace). It must serve
   * `service` or `all` traffic.
   * @default - no namespace waypoint; L4 only (ztunnel)
   */
  readonly waypoint?: IWaypoint;
  /**
   * Route ingress-gateway traffic to the namespace's services through their waypoint
   * (`istio.io/ingress-use-waypoint: "true"`), so waypoint policy also applies to it. L7 then runs
   * at both the gateway and the waypoint. Needs a namespace waypoint.
   * @default false
   */
  readonly ingressUseWaypoint?: boolean;
  /**
   * Extra labels for the namespace. Sidecar injection labels are refused.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  /**
   * Extra annotations for the namespace.
   * @default - none
   */
  readonly annotations?: { [key: string]: string };
}

/** Options for `AmbientNamespace.addWaypoint`. */
export interface AmbientNamespaceAddWaypointOptions extends WaypointOptions {
  /**
   * Make it the namespace's waypoint (`istio.io/use-waypoint` on the namespace).
   * @default true
   */
  readonly enroll?: boolean;
}

/**
 * A namespace enrolled in Istio ambient mode (`istio.io/dataplane-mode: ambient`): ztunnel captures
 * its pods and secures their traffic with mTLS (HBONE) at L4. Optionally a waypoint adds L7
 * processing for its services.
 *
 * Refuses what Istio would resolve differently from what the program says: sidecar-injection labels
 * on the same namespace (the sidecar wins), and a namespace waypoint that cannot serve services.
 *
 * @see https://istio.io/latest/docs/ambient/usage/add-workloads/
 */
export class AmbientNamespace extends Construct {
  /** The namespace name. */
  public readonly name: string;
  /** The labelled Namespace object (this construct's, or the cdk8s-plus Namespace's). */
  public readonly apiObject: ApiObject;

  private _waypoint?: IWaypoint;
  private readonly ingressUseWaypoint: boolean;

  public constructor(scope: Construct, id: string, props: AmbientNamespaceProps) {
    super(scope, id);
    if ((props.name === undefined) === (props.namespace === undefined)) {
      throw constructError(this, 'give exactly one of `name` (a namespace to create or adopt) or `namespace` (a Namespace declared in this app).');
    }
    this.ingressUseWaypoint = props.ingressUseWaypoint ?? false;

    if (props.namespace) {
      this.apiObject = kubeObjectOf(props.namespace, NAMESPACE_KIND, 'AmbientNamespace `namespace`', 'to adopt a namespace that exists already give `name` instead');
      this.name = this.apiObject.name;
      checkNamespaceName(this, 'namespace name', this.name);
    } else {
      this.name = props.name!;
      checkNamespaceName(this, 'namespace name', this.name);
      this.apiObject = new ApiObject(this, 'Resource', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: this.name },
      });
      // Namespaces are cluster-scoped: do not inherit the chart's namespace.
      if (Chart.of(this).namespace) this.apiObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }

    const metadata = this.metadata;
    // Waypoint labels set by hand would be invisible to the policies that depend on them.
    for (const key of [IstioLabels.USE_WAYPOINT, IstioLabels.USE_WAYPOINT_NAMESPACE, IstioLabels.INGRESS_USE_WAYPOINT]) {
      const value = props.labels?.[key] ?? metadata.getLabel(key);
      if (value !== undefined) {
        throw constructError(this, `label ${key}=${value} is managed by this construct: use the \`waypoint\` prop (Waypoint.fromName() for an existing waypoint) and \`ingressUseWaypoint\` instead, so policies know where their rules are enforced.`);
      }
    }
    checkLabels(this, 'labels', props.labels ?? {});
    for (const [key, value] of Object.entries(props.labels ?? {})) metadata.addLabel(key, value);
    for (const [key, value] of Object.entries(props.annotations ?? {})) metadata.addAnnotation(key, value);
    this.checkNoSidecarLabels();
    metadata.addLabel(IstioLabels.DATAPLANE_MODE, IstioLabels.AMBIENT);
    if (this.ingressUseWaypoint) metadata.addLabel(IstioLabels.INGRESS_USE_WAYPOINT, 'true');

    MeshRegistry.of(this).registerNamespace(this);
    if (props.waypoint) this.useWaypoint(props.waypoint);

    this.node.addValidation({
      validate: () => {
        const errors = this.sidecarLabelErrors();
        if (this.ingressUseWaypoint && !this._waypoint) {
          errors.push(`ingressUseWaypoint is set but namespace "${this.name}" has no waypoint, so ingress traffic has no waypoint to go through. Give the namespace a waypoint (waypoint prop, addWaypoint() or useWaypoint()) or drop ingressUseWaypoint.`);
        }
        return errors;
      },
    });
  }

  /** The namespace's waypoint, if it has one. */
  public get waypoint(): IWaypoint | undefined {
    return this._waypoint;
  }

  /**
   * Makes `waypoint` the namespace's waypoint. It must serve `service` or `all` traffic: with a
   * `workload`-only waypoint the namespace's services would silently skip it.
   */
  public useWaypoint(waypoint: IWaypoint): void {
    if (this._waypoint && this._waypoint !== waypoint) {
      throw constructError(this, `namespace "${this.name}" already uses waypoint "${this._waypoint.namespace}/${this._waypoint.name}"; a namespace has one waypoint. Enroll individual services in the other waypoint with waypoint.enrollService().`);
    }
    if (!servesServices(waypoint)) {
      throw constructError(this, `waypoint "${waypoint.namespace}/${waypoint.name}" serves ${waypoint.trafficType} traffic, so the services of namespace "${this.name}" would not use it (Istio binds Services only to \`service\` or \`all\` waypoints). Give the waypoint trafficType SERVICE or ALL, or enroll workloads with waypoint.enrollWorkload().`);
    }
    enrollConsumer(waypoint, this.metadata, this.name, this.node.path);
    this._waypoint = waypoint;
  }

  /**
   * Creates a waypoint in this namespace and, unless `enroll` is false, makes it the namespace's
   * waypoint (what `istioctl waypoint apply --enroll-namespace` does).
   */
  public addWaypoint(id: string, options: AmbientNamespaceAddWaypointOptions = {}): Waypoint {
    const { enroll, ...waypointOptions } = options;
    const waypoint = new Waypoint(this, id, { ...waypointOptions, namespace: this.name });
    if (enroll ?? true) this.useWaypoint(waypoint);
    return waypoint;
  }

  /**
   * Takes a workload's pods out of ambient (`istio.io/dataplane-mode: none` on the pod template):
   * ztunnel no longer captures them, so they get no mTLS and no mesh policy.
   */
  public excludeWorkload(workload: IConstruct): void {
    const obj = kubeObjectOf(workload, WORKLOAD_KINDS, 'AmbientNamespace.excludeWorkload()', 'exclude pods declared elsewhere with the label istio.io/dataplane-mode=none on their pod template');
    invalidateSynthMemo(this);
    this.checkInNamespace(obj, workload);
    podTemplateLabels(workload, obj).addLabel(IstioLabels.DATAPLANE_MODE, IstioLabels.NONE);
  }

  /**
   * Opts a Service out of the namespace waypoint (`istio.io/use-waypoint: none`): its traffic is
   * handled by ztunnel only, so L7 policy and routes no longer apply to it.
   */
  public bypassWaypoint(service: IConstruct): void {
    const obj = kubeObjectOf(service, SERVICE_KIND, 'AmbientNamespace.bypassWaypoint()', 'label a Service declared elsewhere with istio.io/use-waypoint=none');
    invalidateSynthMemo(this);
    this.checkInNamespace(obj, service);
    const current = obj.metadata.getLabel(IstioLabels.USE_WAYPOINT);
    if (current !== undefined && current !== IstioLabels.NONE) {
      throw constructError(this, `Service "${obj.name}" is enrolled in waypoint "${current}"; it cannot also opt out of waypoints. Remove one of the two.`);
    }
    obj.metadata.addLabel(IstioLabels.USE_WAYPOINT, IstioLabels.NONE);
  }

  private get metadata(): ApiObjectMetadataDefinition {
    return this.apiObject.metadata;
  }

  private checkInNamespace(obj: ApiObject, input: IConstruct): void {
    const ns = objectNamespace(obj, input);
    if (ns !== this.name) {
      const what = obj.kind === 'Service' ? `Service "${obj.name}"` : `workload "${obj.name}"`;
      throw constructError(this, `${what} is in namespace "${ns}", not "${this.name}". Call this on the AmbientNamespace of "${ns}".`);
    }
  }

  private checkNoSidecarLabels(): void {
    const errors = this.sidecarLabelErrors();
    if (errors.length > 0) throw constructError(this, errors[0]);
  }

  private sidecarLabelErrors(): string[] {
    const errors: string[] = [];
    const injection = this.metadata.getLabel(IstioLabels.SIDECAR_INJECTION);
    const revision = this.metadata.getLabel(IstioLabels.REVISION);
    const labels: { [key: string]: string } = {};
    if (injection !== undefined) labels[IstioLabels.SIDECAR_INJECTION] = injection;
    if (revision !== undefined) labels[IstioLabels.REVISION] = revision;
    // Only labels that turn injection on override ambient (src/semantics/membership.ts).
    if (namespaceInjectsSidecars(labels)) {
      if (injection !== undefined) {
        errors.push(`namespace "${this.name}" has label istio-injection=${injection}: with sidecar injection and ambient on the same namespace, the sidecar wins and ztunnel skips the pods. Remove the istio-injection label (or set it to "disabled").`);
      } else {
        errors.push(`namespace "${this.name}" has label istio.io/rev=${revision}, which turns on sidecar injection for that revision; the sidecar would win over ambient. Remove the label; to pin a waypoint to a revision, set Waypoint \`revision\`.`);
      }
    }
    const mode = this.metadata.getLabel(IstioLabels.DATAPLANE_MODE);
    if (mode !== undefined && mode !== IstioLabels.AMBIENT) {
      errors.push(`namespace "${this.name}" has label istio.io/dataplane-mode=${mode}, but an AmbientNamespace is enrolled in ambient. Remove the label.`);
    }
    return errors;
  }
}
