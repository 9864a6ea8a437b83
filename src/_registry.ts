import { IConstruct } from 'constructs';
import type { AmbientNamespace } from './ambient-namespace';
import type { Waypoint } from './waypoint';

/**
 * What the constructs of one app declare about the mesh, indexed for O(1) lookups
 * (walking the construct tree per lookup would make large apps quadratic).
 */
export class MeshRegistry {
  public static of(scope: IConstruct): MeshRegistry {
    const root = scope.node.root;
    let registry = REGISTRIES.get(root);
    if (!registry) {
      registry = new MeshRegistry();
      REGISTRIES.set(root, registry);
    }
    return registry;
  }

  private readonly namespaces = new Map<string, AmbientNamespace>();
  private readonly waypoints = new Map<string, Waypoint>();
  private readonly pendingNamespaceEnrollments = new Map<string, Waypoint>();

  private constructor() {}

  public registerNamespace(ns: AmbientNamespace): void {
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

  public namespace(name: string): AmbientNamespace | undefined {
    return this.namespaces.get(name);
  }

  public registerWaypoint(waypoint: Waypoint): void {
    const key = `${waypoint.namespace}/${waypoint.name}`;
    const existing = this.waypoints.get(key);
    if (existing) {
      throw new Error(`[${waypoint.node.path}] waypoint "${key}" is already declared at ${existing.node.path}. Give the second waypoint another \`name\`.`);
    }
    this.waypoints.set(key, waypoint);
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

const REGISTRIES = new WeakMap<IConstruct, MeshRegistry>();
