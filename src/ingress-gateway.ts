import { ApiObject, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { renderDeploymentTuning } from './_infrastructure';
import { SECRET_KIND, kubeObjectOf } from './_kube-inputs';
import { MeshRegistry } from './_registry';
import { checkDns1035Label, checkHostname, checkNamespaceName, checkObjectName, constructError, namespaceOf, sortedUnique } from './_validation';
import { PolicySource } from './authz/policy-source';
import * as gwapi from './imports/gateway.networking.k8s.io';
import * as sec from './imports/security.istio.io';
import { IstioLabels } from './labels';
import { MeshIdentity } from './mesh-identity';
import { invalidCidrs } from './semantics/cidr';
import { GatewayDeploymentOptions, GatewayNamespaces } from './waypoint';

/** GatewayClass istiod creates for ingress gateways (controller `istio.io/gateway-controller`). */
export const INGRESS_GATEWAY_CLASS = 'istio';
/** Istio's annotation for the type of the Service it creates for a Gateway. */
export const SERVICE_TYPE_ANNOTATION = 'networking.istio.io/service-type';

/** Protocol of an ingress listener. */
export enum ListenerProtocol {
  /** Plain HTTP. */
  HTTP = 'HTTP',
  /** HTTPS, terminated at the gateway with a certificate from a Secret. */
  HTTPS = 'HTTPS',
}

/** Type of the Service istiod creates for the gateway. */
export enum GatewayServiceType {
  /** External load balancer (Istio's default for class `istio`). */
  LOAD_BALANCER = 'LoadBalancer',
  /** Cluster-internal only. */
  CLUSTER_IP = 'ClusterIP',
  /** A port on every node. */
  NODE_PORT = 'NodePort',
}

/** A TLS certificate Secret (`kubernetes.io/tls`, or generic with `key`/`cert`). */
export class TlsCertificate {
  /** A Secret by name, in the gateway's namespace unless `namespace` is given. */
  public static fromSecretName(name: string, namespace?: string): TlsCertificate {
    checkObjectName('TlsCertificate.fromSecretName()', 'Secret name', name);
    if (namespace !== undefined) checkNamespaceName('TlsCertificate.fromSecretName()', 'namespace', namespace);
    return new TlsCertificate(name, namespace);
  }

  /**
   * A Secret declared in this app: a cdk8s-plus Secret of any version, an `ApiObject` of kind Secret,
   * or an `Include` holding one.
   */
  public static fromSecret(secret: IConstruct): TlsCertificate {
    const obj = kubeObjectOf(secret, SECRET_KIND, 'TlsCertificate.fromSecret()', 'for a Secret declared elsewhere use TlsCertificate.fromSecretName(name, namespace)');
    return new TlsCertificate(obj.name, obj.metadata.namespace);
  }

  /** Secret name. */
  public readonly name: string;
  /** Secret namespace, when not the gateway's. */
  public readonly namespace?: string;

  private constructor(name: string, namespace?: string) {
    this.name = name;
    this.namespace = namespace;
  }
}

/** A listener of an ingress gateway. */
export interface GatewayListener {
  /** Listener name (unique in the gateway); routes can attach to it by this `sectionName`. */
  readonly name: string;
  /** Protocol. */
  readonly protocol: ListenerProtocol;
  /**
   * Port.
   * @default 80 for HTTP, 443 for HTTPS
   */
  readonly port?: number;
  /**
   * Host name the listener serves, e.g. `shop.example.com` or `*.example.com`.
   * @default - any host
   */
  readonly hostname?: string;
  /**
   * Certificates for HTTPS (TLS terminated at the gateway). A Secret in another namespace gets the
   * ReferenceGrant it needs.
   * @default - none (required for HTTPS)
   */
  readonly certificates?: TlsCertificate[];
}

/** Props for `IngressGateway`. */
export interface IngressGatewayProps extends GatewayDeploymentOptions {
  /** Name of the Gateway (istiod names its Deployment and Service `<name>-istio`). */
  readonly name: string;
  /**
   * Namespace.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Listeners.
   * @default - one HTTP listener `http` on port 80
   */
  readonly listeners?: GatewayListener[];
  /**
   * Type of the Service istiod creates (`networking.istio.io/service-type`).
   * @default GatewayServiceType.LOAD_BALANCER
   */
  readonly serviceType?: GatewayServiceType;
  /**
   * Namespaces whose routes may attach.
   * @default - its own namespace plus the namespaces of routes this app attaches
   */
  readonly allowedNamespaces?: GatewayNamespaces;
  /**
   * Mesh trust domain, for the gateway's identity.
   * @default - the app's AmbientMesh trust domain (wherever it is declared), else "cluster.local"
   */
  readonly trustDomain?: string;
  /**
   * Client addresses (CIDRs) the gateway accepts requests from, as an ALLOW policy attached to it.
   *
   * Istio applies AuthorizationPolicies without `targetRefs` or `selector` from the gateway's
   * namespace and from the root namespace to a Gateway API gateway too, so a ZeroTrustPolicy's default
   * deny (allow-nothing) there would refuse every ingress request; this policy admits the clients.
   * ALLOW policies add up: narrow the clients here, not with a second ALLOW on the gateway.
   * @default ["0.0.0.0/0", "::/0"] - any client
   */
  readonly clientCidrs?: string[];
  /**
   * Name of the AuthorizationPolicy that admits the clients.
   * @default "<name>-clients"
   */
  readonly clientsPolicyName?: string;
}

/**
 * An Istio ingress gateway declared with the Gateway API (class `istio`): HTTP and HTTPS listeners,
 * TLS termination from Secrets, the Service type, and Deployment tuning through
 * `spec.infrastructure.parametersRef`. istiod deploys it as `<name>-istio`, running as service
 * account `<name>-istio`: that identity is what destinations see (`policySource`).
 *
 * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/gateway-api/
 */
export class IngressGateway extends Construct {
  /** Gateway name. */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** The Gateway object. */
  public readonly apiObject: ApiObject;

  private readonly trustDomain?: string;
  private readonly listeners: GatewayListener[] = [];
  private readonly allowedNamespaces?: GatewayNamespaces;
  private readonly routeNamespaces = new Set<string>();
  private readonly grants = new Set<string>();

  public constructor(scope: Construct, id: string, props: IngressGatewayProps) {
    super(scope, id);
    this.name = props.name;
    checkDns1035Label(this, 'gateway name', this.name);
    if (this.name.length > 57) {
      throw constructError(this, `gateway name "${this.name}" is too long: istiod names its Service "${this.name}-istio", which must fit in 63 characters.`);
    }
    this.namespace = namespaceOf(this, props.namespace, `IngressGateway "${this.name}"`);
    this.trustDomain = props.trustDomain;
    this.identity; // checks the trust domain now
    this.allowedNamespaces = props.allowedNamespaces;
    const tuning = renderDeploymentTuning(this, props);
    const options = tuning ? new kplus.k8s.KubeConfigMap(this, 'Options', {
      metadata: { name: `${this.name}-gateway-options`, namespace: this.namespace },
      data: tuning,
    }) : undefined;

    this.apiObject = new gwapi.Gateway(this, 'Resource', {
      metadata: {
        name: this.name,
        namespace: this.namespace,
        annotations: { [SERVICE_TYPE_ANNOTATION]: props.serviceType ?? GatewayServiceType.LOAD_BALANCER },
      },
      spec: Lazy.any({
        produce: () => ({
          gatewayClassName: INGRESS_GATEWAY_CLASS,
          infrastructure: options ? { parametersRef: { group: '', kind: 'ConfigMap', name: options.name } } : undefined,
          listeners: this.listeners.map(l => this.renderListener(l)),
        }),
      }),
    });
    for (const listener of props.listeners ?? [{ name: 'http', protocol: ListenerProtocol.HTTP }]) this.addListener(listener);
    this.admitClients(props);
    this.node.addValidation({ validate: () => this.validateGateway() });
  }

  /** The ALLOW policy at the gateway for its clients (see `clientCidrs`). */
  private admitClients(props: IngressGatewayProps): void {
    const cidrs = props.clientCidrs ?? ['0.0.0.0/0', '::/0'];
    if (cidrs.length === 0) {
      throw constructError(this, 'clientCidrs is empty, so no client could reach the gateway. Give the client ranges, e.g. ["203.0.113.0/24"], or leave it unset for any client.');
    }
    const invalid = invalidCidrs(cidrs);
    if (invalid.length > 0) {
      throw constructError(this, `clientCidrs has entries that are not IP addresses or CIDR ranges: ${invalid.map(c => `"${c}"`).join(', ')} (istiod would skip them). Write them like "203.0.113.0/24" or "2001:db8::/32".`);
    }
    const name = props.clientsPolicyName ?? `${this.name}-clients`;
    checkObjectName(this, 'clientsPolicyName', name);
    new sec.AuthorizationPolicy(this, 'Clients', {
      metadata: { name, namespace: this.namespace },
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: this.name }],
        action: sec.AuthorizationPolicySpecAction.ALLOW,
        rules: [{ from: [{ source: { ipBlocks: sortedUnique(cidrs) } }] }],
      },
    });
  }

  /** Adds a listener. */
  public addListener(listener: GatewayListener): void {
    checkDns1035Label(this, 'listener name', listener.name);
    const port = listener.port ?? (listener.protocol === ListenerProtocol.HTTPS ? 443 : 80);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw constructError(this, `listener "${listener.name}": port ${port} is not a port number.`);
    if (this.listeners.some(l => l.name === listener.name)) {
      throw constructError(this, `listener "${listener.name}" already exists; listener names are unique in a Gateway.`);
    }
    const clash = this.listeners.find(l => l.port === port && l.hostname === listener.hostname);
    if (clash) {
      throw constructError(this, `listeners "${clash.name}" and "${listener.name}" both serve port ${port}${listener.hostname ? ` for ${listener.hostname}` : ''}; give them different ports or hostnames.`);
    }
    if (listener.hostname !== undefined) checkHostname(this, `listener "${listener.name}": hostname`, listener.hostname, true);
    const certs = listener.certificates ?? [];
    if (listener.protocol === ListenerProtocol.HTTPS && certs.length === 0) {
      throw constructError(this, `listener "${listener.name}" is HTTPS but has no certificates: give a TLS Secret (TlsCertificate.fromSecretName()).`);
    }
    if (listener.protocol === ListenerProtocol.HTTP && certs.length > 0) {
      throw constructError(this, `listener "${listener.name}" is HTTP and cannot use certificates; use ListenerProtocol.HTTPS to terminate TLS.`);
    }
    for (const cert of certs) {
      if (cert.namespace && cert.namespace !== this.namespace) this.grantSecret(cert);
    }
    this.listeners.push({ ...listener, port });
  }

  /** Listener names. Returns a copy. */
  public get listenerNames(): string[] {
    return this.listeners.map(l => l.name);
  }

  /**
   * The gateway's identity (service account `<name>-istio`), in the trust domain given, else the
   * app's AmbientMesh's (wherever it is declared), else `cluster.local`.
   */
  public get identity(): MeshIdentity {
    return MeshIdentity.fromServiceAccountName(this.namespace, `${this.name}-istio`, this.trustDomain ?? MeshRegistry.of(this).mesh?.trustDomain);
  }

  /** The gateway as a source for ZeroTrustPolicy rules. */
  public get policySource(): PolicySource {
    return PolicySource._ingressGateway(this.name, this.namespace, `${this.name}-istio`, () => this.identity.trustDomain);
  }

  /**
   * Admits routes from a namespace (called when a route of this app attaches).
   * @internal
   */
  public _admitRouteNamespace(namespace: string): void {
    if (namespace !== this.namespace) this.routeNamespaces.add(namespace);
  }

  /** Routes from these namespaces attached in this app. Returns a copy. */
  public get routeNamespaceNames(): string[] {
    return sortedUnique(this.routeNamespaces);
  }

  private grantSecret(cert: TlsCertificate): void {
    const key = `${cert.namespace}/${cert.name}`;
    if (this.grants.has(key)) return;
    this.grants.add(key);
    new gwapi.ReferenceGrant(this, `Grant-${cert.namespace}-${cert.name}`, {
      metadata: { name: `${this.namespace}-${this.name}-${cert.name}`.slice(0, 253), namespace: cert.namespace },
      spec: {
        from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: this.namespace }],
        to: [{ group: '', kind: 'Secret', name: cert.name }],
      },
    });
  }

  private renderListener(l: GatewayListener): gwapi.GatewaySpecListeners {
    return {
      name: l.name,
      port: l.port!,
      protocol: l.protocol,
      hostname: l.hostname,
      tls: l.protocol === ListenerProtocol.HTTPS ? {
        mode: gwapi.GatewaySpecListenersTlsMode.TERMINATE,
        certificateRefs: l.certificates!.map(c => ({ group: '', kind: 'Secret', name: c.name, namespace: c.namespace !== this.namespace ? c.namespace : undefined })),
      } : undefined,
      allowedRoutes: this.renderAllowedRoutes(),
    };
  }

  private renderAllowedRoutes(): gwapi.GatewaySpecListenersAllowedRoutes | undefined {
    const From = gwapi.GatewaySpecListenersAllowedRoutesNamespacesFrom;
    const allowed = this.allowedNamespaces;
    if (allowed?._mode === 'All') return { namespaces: { from: From.ALL } };
    if (allowed?._mode === 'Same') return { namespaces: { from: From.SAME } };
    if (allowed?._mode === 'Selector') return { namespaces: { from: From.SELECTOR, selector: { matchLabels: { ...allowed._matchLabels } } } };
    const names = allowed?._mode === 'Names' ? allowed._names : [...this.routeNamespaces];
    if (names.length === 0) return { namespaces: { from: From.SAME } };
    const all = sortedUnique([this.namespace, ...names]);
    return {
      namespaces: {
        from: From.SELECTOR,
        selector: all.length === 1
          ? { matchLabels: { [IstioLabels.NAMESPACE_NAME]: all[0] } }
          : { matchExpressions: [{ key: IstioLabels.NAMESPACE_NAME, operator: 'In', values: all }] },
      },
    };
  }

  private validateGateway(): string[] {
    const mode = this.allowedNamespaces?._mode;
    if (mode === undefined || mode === 'All' || mode === 'Selector') return [];
    const admitted = new Set([this.namespace, ...this.allowedNamespaces!._names]);
    return this.routeNamespaceNames.filter(ns => !admitted.has(ns)).map(ns =>
      `a route in namespace "${ns}" attaches to this gateway, but allowedNamespaces does not admit "${ns}": the route would not be accepted (NotAllowedByListeners). Add it to GatewayNamespaces.names(...), or leave allowedNamespaces unset.`);
  }
}
