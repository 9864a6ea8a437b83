import { Construct } from 'constructs';
import { requestReferenceGrant } from './_reference-grants';
import { RouteBackend } from './route-backend';
import { RouteParent } from './route-parent';
import { MeshRegistry } from '../_registry';
import { checkDns1035Label, checkHostname, checkNamespaceName, constructError, namespaceOf } from '../_validation';
import * as gwapi from '../imports/gateway.networking.k8s.io';

/**
 * Shared parts of HTTPRoute and GRPCRoute: a hidden base class (its name makes it internal for jsii, so
 * its public members are HttpRoute's and GrpcRoute's own in the jsii API). Deliberately not tagged internal: the
 * declarations of both routes extend it, so it must stay in the emitted .d.ts.
 */
export abstract class _RouteBase extends Construct {
  public readonly name: string;
  public readonly namespace: string;

  protected constructor(scope: Construct, id: string, name: string | undefined, namespace: string | undefined, parents: RouteParent[], kind: string) {
    super(scope, id);
    this.name = name ?? id;
    checkDns1035Label(this, `${kind} name`, this.name);
    if (parents.length === 0) throw constructError(this, `${article(kind)} ${kind} needs at least one parent (RouteParent.gateway() or RouteParent.service()).`);
    if (parents.length > 32) throw constructError(this, `${article(kind)} ${kind} takes at most 32 parents.`);
    const serviceParent = parents.find(p => p._kind === 'service');
    this.namespace = namespace ?? serviceParent?._namespace ?? namespaceOf(this, undefined, `${kind} "${this.name}"`);
    checkNamespaceName(this, 'namespace', this.namespace);
    MeshRegistry.of(this).checkObjectFree(this, kind, this.namespace, this.name, `Merge the rules into one ${kind}, or give one a different \`name\`.`);
    for (const parent of parents) {
      if (parent._kind === 'service') this.checkServiceParent(parent, kind);
      parent._gateway?._admitRouteNamespace(this.namespace);
    }
  }

  /** Istio only honours a Service route in the Service's namespace (and at its waypoint: AMB102). */
  private checkServiceParent(parent: RouteParent, kind: string): void {
    if (parent._namespace !== this.namespace) {
      throw constructError(this, `${kind} "${this.name}" in namespace "${this.namespace}" names Service "${parent._namespace}/${parent._name}" as parent; declare the route in the Service's namespace so it applies to all its clients.`);
    }
    // Whether the Service has a waypoint is judged at synth, when every waypoint and enrollment of the
    // app is known, by the analyzer's AMB102 (reported on this route): one rule, one message.
  }

  /** @internal */
  protected _renderParents(parents: RouteParent[]): gwapi.HttpRouteSpecParentRefs[] {
    return parents.map(p => p._kind === 'service'
      ? { group: '', kind: 'Service', name: p._name, port: p._port }
      : { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: p._name, namespace: p._namespace !== this.namespace ? p._namespace : undefined, sectionName: p._sectionName });
  }

  /** @internal */
  protected _renderBackends(backends: RouteBackend[]): gwapi.HttpRouteSpecRulesBackendRefs[] {
    if (backends.length > 16) throw constructError(this, 'a rule takes at most 16 backends.');
    return backends.map(b => {
      const ns = b._namespace ?? this.namespace;
      if (ns !== this.namespace) requestReferenceGrant(this, this.namespace, ns, b._name);
      return { name: b._name, namespace: ns !== this.namespace ? ns : undefined, port: b._port, weight: b._weight };
    });
  }

  /** @internal */
  protected _renderHostnames(hostnames: string[] | undefined, parents: RouteParent[]): string[] | undefined {
    if (!hostnames?.length) return undefined;
    if (parents.some(p => p._kind === 'service')) {
      throw constructError(this, 'hostnames apply to gateway routes only; a Service route matches traffic addressed to the Service.');
    }
    if (hostnames.length > 16) throw constructError(this, `hostnames: ${hostnames.length} given; a route takes at most 16 (split the route).`);
    hostnames.forEach((h, i) => checkHostname(this, `hostnames[${i}]`, h, true));
    return [...hostnames];
  }
}

export function article(word: string): string {
  return /^[AEFHILMNORSX]/.test(word) ? 'an' : 'a';
}
