import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { SERVICE_KIND, kubeObjectOf, objectNamespace } from './_kube-inputs';
import { checkObjectName, constructError, namespaceOf } from './_validation';
import { TRAEFIK_INGRESS_ROUTE_API_VERSION } from './semantics/third-party-ingress';

/** A Kubernetes Service an IngressRoute sends requests to. */
export class TraefikBackend {
  /** A Service of this app (any cdk8s-plus major, an ApiObject or an Include), by port number. */
  public static service(service: IConstruct, port: number, weight?: number): TraefikBackend {
    const obj = kubeObjectOf(service, SERVICE_KIND, 'TraefikBackend.service()', 'for a Service declared elsewhere use TraefikBackend.serviceName(name, port)');
    return new TraefikBackend(obj.name, objectNamespace(obj, service), port, weight);
  }

  /** A Service by name (in the route's namespace unless given). */
  public static serviceName(name: string, port: number, namespace?: string, weight?: number): TraefikBackend {
    return new TraefikBackend(name, namespace, port, weight);
  }

  /** @internal */ public readonly _name: string;
  /** @internal */ public readonly _namespace?: string;
  /** @internal */ public readonly _port: number;
  /** @internal */ public readonly _weight?: number;

  private constructor(name: string, namespace: string | undefined, port: number, weight?: number) {
    this._name = name;
    this._namespace = namespace;
    this._port = port;
    this._weight = weight;
  }
}

/** One routing rule of an IngressRoute. */
export interface TraefikRouteRule {
  /** Traefik rule expression, e.g. "Host(`shop.example.com`) && PathPrefix(`/api`)". */
  readonly match: string;
  /** Where matching requests go. */
  readonly backends: TraefikBackend[];
  /**
   * Priority among the entrypoint's routes.
   * @default - by rule length (Traefik's default)
   */
  readonly priority?: number;
}

/** Props for `TraefikIngressRoute`. */
export interface TraefikIngressRouteProps {
  /**
   * Name of the IngressRoute.
   * @default - derived from the construct path
   */
  readonly name?: string;
  /**
   * Namespace of the IngressRoute (and of its backend Services).
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Traefik entrypoints.
   * @default ["web"]
   */
  readonly entryPoints?: string[];
  /** The rules. */
  readonly rules: TraefikRouteRule[];
}

/**
 * A Traefik IngressRoute (traefik.io/v1alpha1) whose backends are always reached through their
 * Service VIP (`nativeLB: true` on each service), so that in ambient the destination's waypoint
 * processes the request. Traefik's own default (pod IPs) would skip the waypoint.
 */
export class TraefikIngressRoute extends Construct {
  /** The IngressRoute. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: TraefikIngressRouteProps) {
    super(scope, id);
    const ns = namespaceOf(this, props.namespace, 'TraefikIngressRoute');
    if (props.name !== undefined) checkObjectName(this, 'name', props.name);
    if (props.rules.length === 0) throw constructError(this, 'rules is empty: an IngressRoute needs at least one rule.');
    const routes = props.rules.map((rule, i) => {
      if (!rule.match.trim()) throw constructError(this, `rules[${i}].match is empty; give a Traefik rule such as "Host(\`example.com\`)".`);
      if (rule.backends.length === 0) throw constructError(this, `rules[${i}] has no backends.`);
      return {
        kind: 'Rule',
        match: rule.match,
        priority: rule.priority,
        services: rule.backends.map(b => {
          if (b._namespace !== undefined && b._namespace !== ns) {
            throw constructError(this, `rules[${i}]: Service ${b._namespace}/${b._name} is in another namespace than the IngressRoute ("${ns}"); Traefik refuses cross-namespace services unless providers.kubernetesCRD.allowCrossNamespace is set. Declare the IngressRoute in namespace "${b._namespace}".`);
          }
          if (!Number.isInteger(b._port) || b._port < 1 || b._port > 65535) throw constructError(this, `rules[${i}]: port ${b._port} of Service ${b._name} is not a port number (1-65535).`);
          return { name: b._name, port: b._port, weight: b._weight, nativeLB: true };
        }),
      };
    });
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: TRAEFIK_INGRESS_ROUTE_API_VERSION,
      kind: 'IngressRoute',
      metadata: { name: props.name, namespace: ns },
      spec: { entryPoints: [...(props.entryPoints ?? ['web'])], routes },
    });
  }
}
