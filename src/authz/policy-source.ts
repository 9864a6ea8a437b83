import { IConstruct } from 'constructs';
import { SERVICE_ACCOUNT_KIND, WORKLOAD_KINDS, kubeObjectOf, objectNamespace, podServiceAccount } from '../_kube-inputs';
import { checkNamespaceName, checkObjectName, sortedUnique } from '../_validation';
import { MeshIdentity } from '../mesh-identity';
import { IWaypoint } from '../waypoint';

/** Options for `PolicySource.jwt`. */
export interface JwtPrincipalOptions {
  /** The token issuer (`iss` claim). */
  readonly issuer: string;
  /**
   * The token subject (`sub` claim).
   * @default - any subject of the issuer
   */
  readonly subject?: string;
}

/** Options for `PolicySource.ingressGateway`. */
export interface IngressGatewaySourceOptions {
  /** Namespace of the Gateway. */
  readonly namespace: string;
  /**
   * Name of the gateway's service account. istiod names it `<gateway>-istio` for class `istio`.
   * @default "<name>-istio"
   */
  readonly serviceAccount?: string;
  /**
   * Mesh trust domain.
   * @default - the policy's trust domain
   */
  readonly trustDomain?: string;
}

/** A principal kept in parts until the trust domain is known (at synth). @internal */
export interface _PrincipalRef {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The principal's own trust domain, read at synth; undefined: the policy's. */
  readonly trustDomain?: () => string | undefined;
}

/** A mesh identity, by service account. */
export interface PrincipalConfig {
  /** The service account's namespace. */
  readonly namespace: string;
  /** The service account. */
  readonly serviceAccount: string;
  /**
   * The identity's trust domain.
   * @default - the policy's trust domain
   */
  readonly trustDomain?: string;
}

/** Who a rule is about, as AuthorizationPolicy source fields (see `IPolicySource.bind`). */
export interface PolicySourceConfig {
  /**
   * Mesh identities (`source.principals`).
   * @default - none
   */
  readonly principals?: PrincipalConfig[];
  /**
   * Namespaces (`source.namespaces`).
   * @default - none
   */
  readonly namespaces?: string[];
  /**
   * `<namespace>/<service account>` in any trust domain (`source.serviceAccounts`).
   * @default - none
   */
  readonly serviceAccounts?: string[];
  /**
   * Client IP blocks (`source.ipBlocks`).
   * @default - none
   */
  readonly ipBlocks?: string[];
  /**
   * JWT principals `<issuer>/<subject>` (`source.requestPrincipals`, L7).
   * @default - none
   */
  readonly requestPrincipals?: string[];
  /**
   * The source is an ingress gateway, which reaches pods directly unless the destination sets
   * `istio.io/ingress-use-waypoint`.
   * @default false
   */
  readonly viaIngressGateway?: boolean;
}

/**
 * A source of ZeroTrustPolicy rules. `PolicySource` covers identities, namespaces, IP blocks and JWT
 * principals; implement it for other sources.
 */
export interface IPolicySource {
  /** Human-readable description, used in error messages. */
  readonly description: string;
  /** The source as AuthorizationPolicy fields. Called at synth, when the whole app is declared. */
  bind(scope: IConstruct): PolicySourceConfig;
}

/**
 * Who a rule is about: mesh identities (service accounts, workloads, waypoints, ingress gateways),
 * namespaces, IP blocks, or end users authenticated with a JWT.
 *
 * Identity and namespace sources are L4 (ztunnel can enforce them, unless a waypoint sits in front of
 * the destination). JWT sources are L7 and need a waypoint.
 */
export class PolicySource implements IPolicySource {
  /**
   * Workloads running as a ServiceAccount declared in this app: a cdk8s-plus ServiceAccount of any
   * version, an `ApiObject` of kind ServiceAccount, or an `Include` holding one.
   */
  public static serviceAccount(serviceAccount: IConstruct): PolicySource {
    const obj = kubeObjectOf(serviceAccount, SERVICE_ACCOUNT_KIND, 'PolicySource.serviceAccount()', 'for one declared elsewhere use PolicySource.serviceAccountName(namespace, name)');
    const ns = objectNamespace(obj, serviceAccount);
    return PolicySource.fromPrincipals(`service account ${ns}/${obj.name}`, [{ namespace: ns, serviceAccount: obj.name }]);
  }

  /** Workloads running as the service account `name` in `namespace`. */
  public static serviceAccountName(namespace: string, name: string): PolicySource {
    checkNamespaceName('PolicySource.serviceAccountName()', 'namespace', namespace);
    checkObjectName('PolicySource.serviceAccountName()', 'service account', name);
    return PolicySource.fromPrincipals(`service account ${namespace}/${name}`, [{ namespace, serviceAccount: name }]);
  }

  /**
   * The pods of a workload, by the service account they run as (`default` when unset): a cdk8s-plus
   * Deployment, StatefulSet, DaemonSet, Job, CronJob or Pod of any version, an `ApiObject` of one of
   * those kinds, or an `Include` holding one.
   */
  public static workload(workload: IConstruct): PolicySource {
    const obj = kubeObjectOf(workload, WORKLOAD_KINDS, 'PolicySource.workload()', 'for pods declared elsewhere use PolicySource.serviceAccountName(namespace, name)');
    const ns = objectNamespace(obj, workload);
    const sa = podServiceAccount(obj);
    return PolicySource.fromPrincipals(sa === 'default'
      ? `workload ${ns}/${obj.name} (service account default)`
      : `service account ${ns}/${sa}`, [{ namespace: ns, serviceAccount: sa }]);
  }

  /** A mesh identity. */
  public static identity(identity: MeshIdentity): PolicySource {
    return PolicySource.fromPrincipals(`identity ${identity.principal}`, [{
      namespace: identity.namespace, serviceAccount: identity.serviceAccount, trustDomain: () => identity.trustDomain,
    }]);
  }

  /** Traffic forwarded by a waypoint (its service account). */
  public static waypoint(waypoint: IWaypoint): PolicySource {
    return PolicySource.fromPrincipals(`waypoint ${waypoint.namespace}/${waypoint.name}`, [{
      namespace: waypoint.namespace, serviceAccount: waypoint.name, trustDomain: () => waypoint.identity.trustDomain,
    }]);
  }

  /**
   * An Istio ingress gateway (Gateway API class `istio`), by its service account `<name>-istio`.
   * Ingress traffic goes straight to the destination pods, past their waypoint, unless the
   * destination sets `istio.io/ingress-use-waypoint`.
   */
  public static ingressGateway(name: string, options: IngressGatewaySourceOptions): PolicySource {
    checkNamespaceName('PolicySource.ingressGateway()', 'namespace', options.namespace);
    const sa = options.serviceAccount ?? `${name}-istio`;
    checkObjectName('PolicySource.ingressGateway()', 'service account', sa);
    const trustDomain = options.trustDomain;
    return PolicySource._ingressGateway(name, options.namespace, sa, trustDomain === undefined ? undefined : () => trustDomain);
  }

  /**
   * An ingress gateway source whose trust domain is read at synth (the gateway takes the app's mesh
   * trust domain, and the mesh may be declared after it).
   * @internal
   */
  public static _ingressGateway(name: string, namespace: string, serviceAccount: string, trustDomain?: () => string | undefined): PolicySource {
    return new PolicySource(`ingress gateway ${namespace}/${name}`, {
      principals: [{ namespace, serviceAccount, trustDomain }],
      ingress: true,
    });
  }

  /**
   * Workloads running as the service account `name` in `namespace`, in any trust domain:
   * `source.serviceAccounts: ["<namespace>/<name>"]`. ztunnel and waypoints match it without comparing
   * trust domains, so it keeps working across a trust-domain migration, where a ztunnel principal
   * (matched literally) would not. A source of this kind cannot be combined with principals or
   * namespaces in one rule (Istio refuses it), which the library never does.
   */
  public static serviceAccountAnyTrustDomain(namespace: string, name: string): PolicySource {
    checkNamespaceName('PolicySource.serviceAccountAnyTrustDomain()', 'namespace', namespace);
    checkObjectName('PolicySource.serviceAccountAnyTrustDomain()', 'service account', name);
    return new PolicySource(`service account ${namespace}/${name} (any trust domain)`, { serviceAccounts: [`${namespace}/${name}`] });
  }

  /** Any workload in the given namespaces (by their mTLS identity). */
  public static namespaces(...names: string[]): PolicySource {
    if (names.length === 0) throw new Error('PolicySource.namespaces() needs at least one namespace name.');
    names.forEach(n => checkNamespaceName('PolicySource.namespaces()', 'namespace', n));
    return new PolicySource(`namespaces ${sortedUnique(names).join(', ')}`, { namespaces: sortedUnique(names) });
  }

  /** Clients whose source IP is in one of the CIDR blocks (or single IPs). */
  public static ipBlocks(...cidrs: string[]): PolicySource {
    if (cidrs.length === 0) throw new Error('PolicySource.ipBlocks() needs at least one CIDR block.');
    cidrs.forEach(checkCidr);
    return new PolicySource(`IP blocks ${sortedUnique(cidrs).join(', ')}`, { ipBlocks: sortedUnique(cidrs) });
  }

  /**
   * End users with a valid JWT from `issuer` (and `subject`, when given): `requestPrincipals`.
   * L7: needs a waypoint and a `requireJwt()` for the same destination to validate the token.
   */
  public static jwt(options: JwtPrincipalOptions): PolicySource {
    if (!options.issuer) throw new Error('PolicySource.jwt() needs a non-empty issuer.');
    const principal = `${options.issuer}/${options.subject ?? '*'}`;
    return new PolicySource(`JWT principal ${principal}`, { requestPrincipals: [principal] });
  }

  /** End users with any valid JWT (`requestPrincipals: ["*"]`). L7: needs a waypoint. */
  public static anyAuthenticatedUser(): PolicySource {
    return new PolicySource('any authenticated end user', { requestPrincipals: ['*'] });
  }

  /**
   * Any client. Only allowed together with something that narrows the rule (ports, methods,
   * paths, hosts or conditions), so that it never becomes an accidental allow-all.
   */
  public static anyone(): PolicySource {
    return new PolicySource('anyone', {});
  }

  private static fromPrincipals(description: string, principals: _PrincipalRef[]): PolicySource {
    return new PolicySource(description, { principals });
  }

  /** Human-readable description, used in error messages. */
  public readonly description: string;
  /** @internal */ public readonly _principals: _PrincipalRef[];
  /** @internal */ public readonly _namespaces: string[];
  /** @internal */ public readonly _ipBlocks: string[];
  /** @internal */ public readonly _requestPrincipals: string[];
  /** @internal */ public readonly _serviceAccounts: string[];
  /** @internal */ public readonly _ingress: boolean;

  private constructor(description: string, parts: {
    principals?: _PrincipalRef[];
    namespaces?: string[];
    ipBlocks?: string[];
    requestPrincipals?: string[];
    serviceAccounts?: string[];
    ingress?: boolean;
  }) {
    this.description = description;
    this._principals = parts.principals ?? [];
    this._namespaces = parts.namespaces ?? [];
    this._ipBlocks = parts.ipBlocks ?? [];
    this._requestPrincipals = parts.requestPrincipals ?? [];
    this._serviceAccounts = parts.serviceAccounts ?? [];
    this._ingress = parts.ingress ?? false;
  }

  /** The source as AuthorizationPolicy fields, with the trust domains known at synth. */
  public bind(_scope: IConstruct): PolicySourceConfig {
    const nonEmpty = (values: string[]) => values.length ? [...values] : undefined;
    return {
      principals: this._principals.length
        ? this._principals.map(p => ({ namespace: p.namespace, serviceAccount: p.serviceAccount, trustDomain: p.trustDomain?.() }))
        : undefined,
      namespaces: nonEmpty(this._namespaces),
      serviceAccounts: nonEmpty(this._serviceAccounts),
      ipBlocks: nonEmpty(this._ipBlocks),
      requestPrincipals: nonEmpty(this._requestPrincipals),
      viaIngressGateway: this._ingress || undefined,
    };
  }

  /** True when the source is identified by its mTLS identity (principals, service accounts or namespaces). */
  public get isIdentityBased(): boolean {
    return this._principals.length > 0 || this._namespaces.length > 0 || this._serviceAccounts.length > 0;
  }
}

function checkCidr(cidr: string): void {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d{1,2}))?$/.exec(cidr);
  if (v4) {
    const octetsOk = v4.slice(1, 5).every(o => Number(o) <= 255);
    const maskOk = v4[6] === undefined || Number(v4[6]) <= 32;
    if (octetsOk && maskOk) return;
  } else if (/^[0-9a-fA-F:]+(\/\d{1,3})?$/.test(cidr) && cidr.includes(':')) {
    const mask = cidr.split('/')[1];
    if (mask === undefined || Number(mask) <= 128) return;
  }
  throw new Error(`"${cidr}" is not an IP address or CIDR block (e.g. "10.0.0.0/8", "192.168.1.10" or "fd00::/8").`);
}
