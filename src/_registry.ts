import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { MeshContext } from './_context';
import { WORKLOAD_KINDS, podLabels } from './_kube-inputs';
import { beginValidationPass, invalidateSynthMemo, memoizeForSynth } from './_memo';
import type { AmbientNamespace } from './ambient-namespace';
import type { ZeroTrustPolicy } from './authz/zero-trust-policy';
import type { AmbientMesh } from './install';
import type { IWaypoint, Waypoint } from './waypoint';

/** A route attached to an ingress gateway, and the Services it sends to. */
export interface IngressRoute {
  /** For messages: `HTTPRoute "web" (shop/web)`. */
  readonly description: string;
  readonly backends: { readonly namespace: string; readonly name: string }[];
}

/** Pods sent through a waypoint by `Waypoint.enrollWorkload`. */
export interface WorkloadEnrollment {
  readonly waypoint: IWaypoint;
  readonly namespace: string;
  /** The workload's name, for the names of the objects that admit the waypoint to it. */
  readonly name: string;
  /** The workload's pod selector (what a ztunnel policy selects). */
  readonly selector: { [key: string]: string };
  /** The labels of its pod template (what a Service selector is matched against). */
  readonly podLabels: { [key: string]: string };
}

/**
 * What the constructs of one app declare about the mesh, indexed for O(1) lookups
 * (walking the construct tree per lookup would make large apps quadratic).
 */
export class MeshRegistry {
  public static of(scope: IConstruct): MeshRegistry {
    const context = MeshContext.of(scope);
    return context.slot(REGISTRY_SLOT, () => {
      const root = scope.node.root;
      context.onPrepare('0-begin-pass', () => beginValidationPass(root));
      // Once per pass, after every other step: the whole app, including objects the constructs did not
      // write (Include, ApiObject), goes through the mesh analyzer before synth writes anything. Each
      // error is reported by the construct that declared the object ("~" sorts after the other keys).
      const reported = new Set<IConstruct>();
      context.onPrepare('~mesh-analysis', () => {
        for (const construct of meshAnalysis(root).keys()) {
          if (reported.has(construct)) continue;
          reported.add(construct);
          construct.node.addValidation({ validate: () => meshAnalysis(root).get(construct) ?? [] });
        }
      });
      return new MeshRegistry(root);
    });
  }

  private readonly namespaces = new Map<string, AmbientNamespace>();
  private readonly waypoints = new Map<string, Waypoint>();
  private readonly pendingNamespaceEnrollments = new Map<string, Waypoint>();
  private readonly waypointsByNamespace = new Map<string, IWaypoint[]>();
  private readonly policies = new Map<string, ZeroTrustPolicy>();
  private readonly workloadEnrollmentsByNamespace = new Map<string, WorkloadEnrollment[]>();
  private readonly objectOwners = new Map<string, IConstruct>();
  private readonly ingressRoutes: IngressRoute[] = [];
  private _meshPolicy?: ZeroTrustPolicy;
  private _mesh?: AmbientMesh;

  private constructor(private readonly root: IConstruct) {}

  public registerNamespace(ns: AmbientNamespace): void {
    invalidateSynthMemo(ns);
    const existing = this.namespaces.get(ns.name);
    if (existing) {
      throw new Error(`[${ns.node.path}] namespace "${ns.name}" is already declared as an AmbientNamespace at ${existing.node.path}. Declare each namespace once and share the construct.`);
    }
    this.namespaces.set(ns.name, ns);
    const pending = this.pendingNamespaceEnrollments.get(ns.name);
    if (pending) {
      this.pendingNamespaceEnrollments.delete(ns.name);
      ns.useWaypoint(pending);
    }
  }

  /**
   * Refuses a second construct writing the same object (kind, namespace, name): at apply time one
   * would silently overwrite the other. Call before creating the object, then `claimObject` after, so
   * a construct refused for another reason claims nothing.
   */
  public checkObjectFree(owner: IConstruct, kind: string, namespace: string, name: string, fix: string): void {
    const existing = this.objectOwners.get(`${kind}/${namespace}/${name}`);
    if (existing && existing !== owner) {
      throw new Error(`[${owner.node.path}] ${kind} "${namespace}/${name}" is already written by ${existing.node.path}; the second would overwrite the first at apply time. ${fix}`);
    }
  }

  /** Records the construct that writes an object (see `checkObjectFree`). */
  public claimObject(owner: IConstruct, kind: string, namespace: string, name: string): void {
    this.checkObjectFree(owner, kind, namespace, name, '');
    this.objectOwners.set(`${kind}/${namespace}/${name}`, owner);
  }

  public namespace(name: string): AmbientNamespace | undefined {
    return this.namespaces.get(name);
  }

  public registerWaypoint(waypoint: Waypoint): void {
    invalidateSynthMemo(waypoint);
    const key = `${waypoint.namespace}/${waypoint.name}`;
    const existing = this.waypoints.get(key);
    if (existing) {
      throw new Error(`[${waypoint.node.path}] waypoint "${key}" is already declared at ${existing.node.path}. Give the second waypoint another \`name\`.`);
    }
    this.waypoints.set(key, waypoint);
    this.addWaypointToNamespace(waypoint);
  }

  /** Records a waypoint referenced with `Waypoint.fromName` (several references may name one waypoint). */
  public registerWaypointReference(waypoint: IWaypoint): void {
    invalidateSynthMemo(waypoint);
    const existing = (this.waypointsByNamespace.get(waypoint.namespace) ?? []).some(w => w.name === waypoint.name);
    if (!existing) this.addWaypointToNamespace(waypoint);
  }

  /** Waypoints that live in a namespace, declared or referenced, in declaration order. */
  public waypointsInNamespace(namespace: string): IWaypoint[] {
    return [...(this.waypointsByNamespace.get(namespace) ?? [])];
  }

  /** A waypoint declared or referenced in the app, by namespace and name. */
  public anyWaypoint(namespace: string, name: string): IWaypoint | undefined {
    return this.waypointsByNamespace.get(namespace)?.find(w => w.name === name);
  }

  /** Every waypoint declared or referenced in the app. */
  public allWaypoints(): IWaypoint[] {
    return [...this.waypointsByNamespace.values()].flat();
  }

  private addWaypointToNamespace(waypoint: IWaypoint): void {
    const list = this.waypointsByNamespace.get(waypoint.namespace) ?? [];
    list.push(waypoint);
    this.waypointsByNamespace.set(waypoint.namespace, list);
  }

  public registerPolicy(policy: ZeroTrustPolicy): void {
    invalidateSynthMemo(policy);
    if (policy.meshWide) {
      if (this._meshPolicy) {
        throw new Error(`[${policy.node.path}] a mesh-wide ZeroTrustPolicy is already declared at ${this._meshPolicy.node.path}; declare one per mesh.`);
      }
      this._meshPolicy = policy;
      return;
    }
    const existing = this.policies.get(policy.namespace);
    if (existing) {
      throw new Error(`[${policy.node.path}] namespace "${policy.namespace}" already has a ZeroTrustPolicy at ${existing.node.path}; declare one per namespace and add all its rules there.`);
    }
    this.policies.set(policy.namespace, policy);
  }

  /**
   * A workload's pods were sent through a waypoint (enrollWorkload). The namespace's ZeroTrustPolicy
   * admits that waypoint to those pods at ztunnel (at synth, wherever either is declared).
   */
  public registerWorkloadEnrollment(enrollment: WorkloadEnrollment): void {
    invalidateSynthMemo(enrollment.waypoint);
    const list = this.workloadEnrollmentsByNamespace.get(enrollment.namespace) ?? [];
    list.push(enrollment);
    this.workloadEnrollmentsByNamespace.set(enrollment.namespace, list);
  }

  /** The Service objects of the app in a namespace (any origin: cdk8s-plus, ApiObject, Include), by name. */
  public servicesInNamespace(namespace: string): ApiObject[] {
    return [...serviceIndex(this.root).byNamespace.get(namespace) ?? []];
  }

  /** The pod template labels of every workload of the app in a namespace (any origin). */
  public podLabelSets(namespace: string): { [key: string]: string }[] {
    return [...serviceIndex(this.root).podLabelsByNamespace.get(namespace) ?? []];
  }

  /** A Service object of the app, by namespace and name. */
  public service(namespace: string, name: string): ApiObject | undefined {
    return serviceIndex(this.root).byName.get(`${namespace}/${name}`);
  }

  /** A route attached to an ingress gateway (its backends receive ingress traffic). */
  public registerIngressRoute(route: IngressRoute): void {
    this.ingressRoutes.push(route);
  }

  /** The ingress routes that send to a Service. */
  public ingressRoutesTo(namespace: string, service: string): IngressRoute[] {
    return this.ingressRoutes.filter(r => r.backends.some(b => b.namespace === namespace && b.name === service));
  }

  /** Workloads of a namespace enrolled in a waypoint. */
  public workloadEnrollments(namespace: string): WorkloadEnrollment[] {
    return [...(this.workloadEnrollmentsByNamespace.get(namespace) ?? [])];
  }

  public policyFor(namespace: string): ZeroTrustPolicy | undefined {
    return this.policies.get(namespace);
  }

  public get meshPolicy(): ZeroTrustPolicy | undefined {
    return this._meshPolicy;
  }

  public registerMesh(mesh: AmbientMesh): void {
    invalidateSynthMemo(mesh);
    if (this._mesh) {
      throw new Error(`[${mesh.node.path}] an AmbientMesh is already declared at ${this._mesh.node.path}; an app installs one mesh.`);
    }
    this._mesh = mesh;
  }

  public get mesh(): AmbientMesh | undefined {
    return this._mesh;
  }

  public get ambientNamespaces(): AmbientNamespace[] {
    return [...this.namespaces.values()];
  }

  public waypoint(namespace: string, name: string): Waypoint | undefined {
    return this.waypoints.get(`${namespace}/${name}`);
  }

  /** Enrolls the waypoint's namespace now if it is declared, or as soon as it is. */
  public enrollNamespaceWhenDeclared(waypoint: Waypoint): void {
    const ns = this.namespaces.get(waypoint.namespace);
    if (ns) {
      ns.useWaypoint(waypoint);
    } else {
      this.pendingNamespaceEnrollments.set(waypoint.namespace, waypoint);
    }
  }

  public isNamespaceEnrollmentPending(waypoint: Waypoint): boolean {
    return this.pendingNamespaceEnrollments.get(waypoint.namespace) === waypoint;
  }
}

/** The registry's slot in the app's MeshContext. */
const REGISTRY_SLOT = 'registry';

interface ServiceIndex {
  readonly byNamespace: Map<string, ApiObject[]>;
  readonly byName: Map<string, ApiObject>;
  readonly podLabelsByNamespace: Map<string, { [key: string]: string }[]>;
}

/** Every Service and workload object of the app, indexed once per synthesis (one walk, not one per lookup). */
function serviceIndex(root: IConstruct): ServiceIndex {
  return memoizeForSynth(root, 'service-index', () => {
    const byNamespace = new Map<string, ApiObject[]>();
    const byName = new Map<string, ApiObject>();
    const podLabelsByNamespace = new Map<string, { [key: string]: string }[]>();
    for (const node of root.node.findAll()) {
      if (!ApiObject.isApiObject(node)) continue;
      if (WORKLOAD_KINDS.includes(node.kind)) {
        const namespace = node.metadata.namespace ?? '';
        podLabelsByNamespace.set(namespace, [...podLabelsByNamespace.get(namespace) ?? [], podLabels(node)]);
        continue;
      }
      if (node.kind !== 'Service' || node.apiVersion !== 'v1') continue;
      const namespace = node.metadata.namespace ?? '';
      const list = byNamespace.get(namespace) ?? [];
      list.push(node);
      byNamespace.set(namespace, list);
      if (!byName.has(`${namespace}/${node.name}`)) byName.set(`${namespace}/${node.name}`, node);
    }
    for (const list of byNamespace.values()) list.sort((a, b) => a.name.localeCompare(b.name));
    return { byNamespace, byName, podLabelsByNamespace };
  });
}

/**
 * Analyzer errors for the whole app (once per synthesis pass), as validation messages keyed by the
 * construct that declared the object: a cdk8s-plus construct rather than its `Resource`, otherwise the
 * ApiObject itself. An error with no object of the app behind it goes to the app's MeshContext.
 */
function meshAnalysis(root: IConstruct): Map<IConstruct, string[]> {
  return memoizeForSynth(root, 'mesh-analysis', () => {
    // Loaded here: the analyzer depends on modules that depend on this one.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { MeshAnalyzer } = require('./analysis/analyzer') as typeof import('./analysis/analyzer');
    const errors = MeshAnalyzer.fromConstruct(root).analyze().filter(f => f.severity === 'error');
    const byPath = new Map<string, IConstruct>();
    if (errors.length > 0) for (const node of root.node.findAll()) byPath.set(node.node.path, node);
    const out = new Map<IConstruct, string[]>();
    for (const f of errors) {
      const object = f.source !== undefined ? byPath.get(f.source) : undefined;
      const declaredBy = object && object.node.id === 'Resource' && object.node.scope && object.node.scope !== root ? object.node.scope : object;
      const owner = declaredBy ?? MeshContext.of(root);
      const list = out.get(owner) ?? [];
      list.push(`${f.code} ${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name}: ${f.message} Fix: ${f.fix}`);
      out.set(owner, list);
    }
    return out;
  });
}
