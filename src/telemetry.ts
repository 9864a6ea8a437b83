import { IConstruct } from 'constructs';
import { SERVICE_KIND, kubeObjectOf, objectNamespace } from './_kube-inputs';
import { MeshRegistry } from './_registry';
import { checkNamespaceName, checkObjectName } from './_validation';
import { PolicyTarget } from './authz/policy-target';
import { DEFAULT_ROOT_NAMESPACE } from './authz/zero-trust-policy';
import * as tel from './imports/telemetry.istio.io';
import { IWaypoint } from './waypoint';

/** Providers every mesh has without configuration (`pkg/config/mesh/mesh.go`). */
export const BUILT_IN_TELEMETRY_PROVIDERS = ['envoy', 'prometheus', 'stackdriver'];

/**
 * Where a Telemetry applies: the whole mesh, a namespace, a waypoint, or a Service at its waypoint.
 *
 * ztunnel emits no spans and no HTTP access logs: L7 telemetry comes from waypoints and gateways.
 */
export class TelemetryScope {
  /** Every proxy in the mesh (a selector-less Telemetry in the root namespace). */
  public static mesh(rootNamespace?: string): TelemetryScope {
    if (rootNamespace !== undefined) checkNamespaceName('TelemetryScope.mesh()', 'root namespace', rootNamespace);
    // Unset: resolved when used, to the app's AmbientMesh namespace (istiod's root namespace) or istio-system.
    return new TelemetryScope('mesh', rootNamespace ?? '', 'default', 'the mesh');
  }

  /** The proxies of one namespace, and waypoints serving its services (a selector-less Telemetry there). */
  public static namespace(name: string): TelemetryScope {
    checkNamespaceName('TelemetryScope.namespace()', 'namespace', name);
    return new TelemetryScope('namespace', name, 'default', `namespace "${name}"`);
  }

  /** One waypoint (`targetRefs` to its Gateway). */
  public static waypoint(waypoint: IWaypoint): TelemetryScope {
    return new TelemetryScope('waypoint', waypoint.namespace, `${waypoint.name}-telemetry`, `waypoint "${waypoint.namespace}/${waypoint.name}"`,
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: waypoint.name });
  }

  /**
   * One Service, at its waypoint (`targetRefs` to the Service). The Service needs a waypoint.
   *
   * @param service a cdk8s-plus Service of any version, an `ApiObject` of kind Service, or an `Include` holding one
   */
  public static service(service: IConstruct): TelemetryScope {
    const obj = kubeObjectOf(service, SERVICE_KIND, 'TelemetryScope.service()', 'a Service not declared in this app can be declared with an ApiObject or an Include of its manifest');
    const ns = objectNamespace(obj, service);
    return new TelemetryScope('service', ns, `${obj.name}-telemetry`, `Service "${ns}/${obj.name}"`,
      { group: '', kind: 'Service', name: obj.name }, PolicyTarget.service(service));
  }

  /** @internal */ public readonly _kind: string;
  /** @internal */ public readonly _namespace: string;
  /** @internal */ public readonly _objectName: string;
  /** @internal */ public readonly _targetRef?: tel.TelemetrySpecTargetRefs;
  /** @internal */ public readonly _policyTarget?: PolicyTarget;
  /** @internal */ public readonly _name?: string;
  /** What the scope is, for messages. */
  public readonly description: string;

  private constructor(
    kind: string, namespace: string, objectName: string, description: string, targetRef?: tel.TelemetrySpecTargetRefs, target?: PolicyTarget,
    name?: string,
  ) {
    this._name = name;
    this._kind = kind;
    this._namespace = namespace;
    this._objectName = objectName;
    this.description = description;
    this._targetRef = targetRef;
    this._policyTarget = target;
  }

  /**
   * The same scope, with the Telemetry object named `name` instead of the default (`default` for
   * the mesh and namespaces, `<waypoint>-telemetry` / `<service>-telemetry` otherwise), e.g. to keep
   * the name of a Telemetry that already exists in the cluster.
   */
  public named(name: string): TelemetryScope {
    checkObjectName('TelemetryScope.named()', 'name', name);
    return new TelemetryScope(this._kind, this._namespace, this._objectName, this.description, this._targetRef, this._policyTarget, name);
  }

  /**
   * The scope with its namespace resolved (the mesh scope defaults to the app's mesh namespace).
   * @internal
   */
  public _resolveIn(scope: IConstruct): TelemetryScope {
    if (this._kind !== 'mesh' || this._namespace) return this;
    const ns = MeshRegistry.of(scope).mesh?.namespace ?? DEFAULT_ROOT_NAMESPACE;
    return new TelemetryScope('mesh', ns, 'default', `the mesh (root namespace ${ns})`, undefined, undefined, this._name);
  }

  /** @internal */
  public get _key(): string {
    return `${this._namespace}/${this._objectName}`;
  }
}
