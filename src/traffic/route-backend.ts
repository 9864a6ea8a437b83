import { IConstruct } from 'constructs';
import { SERVICE_KIND, kubeObjectOf, objectNamespace, serviceInfo } from '../_kube-inputs';
import { checkNamespaceName, checkObjectName, constructError } from '../_validation';

/** Options for a route backend. */
export interface RouteBackendOptions {
  /**
   * Service port.
   * @default - the Service's only port (required when it has several)
   */
  readonly port?: number;
  /**
   * Relative weight among the rule's backends (traffic splitting, canaries).
   * @default 1
   */
  readonly weight?: number;
}

/** Options for `RouteBackend.serviceName`. */
export interface RouteBackendNameOptions {
  /**
   * Namespace of the Service (a ReferenceGrant is emitted there when it differs from the route's).
   * @default - the route's namespace
   */
  readonly namespace?: string;
  /**
   * Relative weight among the rule's backends.
   * @default 1
   */
  readonly weight?: number;
}

/** A Service that receives the traffic of a route rule. */
export class RouteBackend {
  /**
   * A Service declared in this app: a cdk8s-plus Service of any version, an `ApiObject` of kind
   * Service, or an `Include` holding one. The port defaults to its only port.
   */
  public static service(service: IConstruct, options: RouteBackendOptions = {}): RouteBackend {
    const obj = kubeObjectOf(service, SERVICE_KIND, 'RouteBackend.service()', 'for a Service declared elsewhere use RouteBackend.serviceName(name, port)');
    const ns = objectNamespace(obj, service);
    const ports = serviceInfo(obj).ports.map(p => p.port);
    const port = options.port ?? (ports.length === 1 ? ports[0] : undefined);
    if (port === undefined) {
      throw constructError(obj, `Service "${obj.name}" has ${ports.length === 0 ? 'no ports' : `ports ${ports.join(', ')}`}: give the backend port.`);
    }
    if (ports.length > 0 && !ports.includes(port)) {
      throw constructError(obj, `Service "${obj.name}" has no port ${port} (ports: ${ports.join(', ')}).`);
    }
    return new RouteBackend(obj.name, ns, port, options.weight);
  }

  /** A Service by name (namespace defaults to the route's). */
  public static serviceName(name: string, port: number, options: RouteBackendNameOptions = {}): RouteBackend {
    checkObjectName('RouteBackend.serviceName()', 'Service name', name);
    if (options.namespace !== undefined) checkNamespaceName('RouteBackend.serviceName()', 'namespace', options.namespace);
    return new RouteBackend(name, options.namespace, port, options.weight);
  }

  /** @internal */ public readonly _name: string;
  /** @internal */ public readonly _namespace?: string;
  /** @internal */ public readonly _port: number;
  /** @internal */ public readonly _weight?: number;

  private constructor(name: string, namespace: string | undefined, port: number, weight?: number) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`backend ${name}: port ${port} is not a port number.`);
    if (weight !== undefined && (!Number.isInteger(weight) || weight < 0 || weight > 1000000)) {
      throw new Error(`backend ${name}: weight ${weight} must be a whole number from 0 to 1000000.`);
    }
    this._name = name;
    this._namespace = namespace;
    this._port = port;
    this._weight = weight;
  }
}
