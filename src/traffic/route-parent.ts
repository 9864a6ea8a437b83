import { IConstruct } from 'constructs';
import { SERVICE_KIND, kubeObjectOf, objectNamespace, serviceInfo } from '../_kube-inputs';
import { checkNamespaceName, checkObjectName, constructError } from '../_validation';
import { PolicyTarget } from '../authz/policy-target';
import { IngressGateway } from '../ingress-gateway';
import { portProblem } from '../semantics/gateway-api-syntax';

/** Where a route attaches: an ingress gateway (north-south) or a Service at its waypoint (east-west). */
export class RouteParent {
  /** An IngressGateway of this app, optionally one of its listeners. */
  public static gateway(gateway: IngressGateway, sectionName?: string): RouteParent {
    if (sectionName !== undefined && !gateway.listenerNames.includes(sectionName)) {
      throw constructError(gateway, `gateway "${gateway.name}" has no listener "${sectionName}" (listeners: ${gateway.listenerNames.join(', ')}).`);
    }
    return new RouteParent('gateway', gateway.name, gateway.namespace, sectionName, undefined, gateway);
  }

  /** A Gateway by name (installed elsewhere). */
  public static gatewayName(name: string, namespace: string, sectionName?: string): RouteParent {
    checkObjectName('RouteParent.gatewayName()', 'Gateway name', name);
    checkNamespaceName('RouteParent.gatewayName()', 'namespace', namespace);
    return new RouteParent('gateway', name, namespace, sectionName);
  }

  /**
   * A Service (GAMMA): the route applies to traffic addressed to the Service, at its waypoint. The
   * Service (or its namespace) must use a waypoint; Istio ignores routes for Services without one.
   */
  public static service(service: IConstruct, port?: number): RouteParent {
    const obj = kubeObjectOf(service, SERVICE_KIND, 'RouteParent.service()', 'a Service not declared in this app can be declared with an ApiObject or an Include of its manifest');
    if (port !== undefined) {
      // parentRefs[].port: minimum 1, maximum 65535; a port the Service lacks matches no traffic.
      const problem = portProblem(port);
      if (problem) throw constructError(service, `RouteParent.service() port: ${port} ${problem}.`);
      const ports = serviceInfo(obj).ports.map(p => p.port);
      if (ports.length > 0 && !ports.includes(port)) {
        throw constructError(service, `RouteParent.service() port: Service "${obj.name}" has no port ${port} (ports: ${ports.join(', ')}); give one of its ports, or leave port out to attach to all of them.`);
      }
    }
    return new RouteParent('service', obj.name, objectNamespace(obj, service), undefined, port, undefined, PolicyTarget.service(service));
  }

  /** @internal */ public readonly _kind: string;
  /** @internal */ public readonly _name: string;
  /** @internal */ public readonly _namespace: string;
  /** @internal */ public readonly _sectionName?: string;
  /** @internal */ public readonly _port?: number;
  /** @internal */ public readonly _gateway?: IngressGateway;
  /** @internal */ public readonly _target?: PolicyTarget;

  private constructor(
    kind: string, name: string, namespace: string, sectionName?: string, port?: number, gateway?: IngressGateway, target?: PolicyTarget,
  ) {
    this._kind = kind;
    this._name = name;
    this._namespace = namespace;
    this._sectionName = sectionName;
    this._port = port;
    this._gateway = gateway;
    this._target = target;
  }
}
