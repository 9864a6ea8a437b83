import { IConstruct } from 'constructs';
import { SERVICE_ACCOUNT_KIND, kubeObjectOf, objectNamespace } from './_kube-inputs';
import { constructError, checkNamespaceName, checkObjectName } from './_validation';

/** Trust domain Istio uses when `meshConfig.trustDomain` is not set. */
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

// A trust domain is the host part of a SPIFFE ID: letters, digits, '.', '-' and '_'.
const TRUST_DOMAIN = /^[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$/;

/**
 * The SPIFFE identity of a workload in the mesh: the service account it runs as, in its namespace,
 * under the mesh trust domain. This is what ztunnel and waypoints see as the peer `principal`.
 */
export class MeshIdentity {
  /**
   * The identity of a service account given by name.
   *
   * @param namespace namespace of the service account
   * @param serviceAccount name of the service account
   * @param trustDomain mesh trust domain (`meshConfig.trustDomain`); default `cluster.local`
   */
  public static fromServiceAccountName(namespace: string, serviceAccount: string, trustDomain?: string): MeshIdentity {
    return new MeshIdentity(namespace, serviceAccount, trustDomain ?? DEFAULT_TRUST_DOMAIN);
  }

  /**
   * The identity of a ServiceAccount declared in this app. Its namespace (or its chart's) must be set.
   *
   * @param serviceAccount a cdk8s-plus ServiceAccount of any version, an `ApiObject` of kind ServiceAccount, or an `Include` holding one
   * @param trustDomain mesh trust domain; default `cluster.local`
   */
  public static fromServiceAccount(serviceAccount: IConstruct, trustDomain?: string): MeshIdentity {
    const obj = kubeObjectOf(serviceAccount, SERVICE_ACCOUNT_KIND, 'MeshIdentity.fromServiceAccount()', 'for one declared elsewhere use MeshIdentity.fromServiceAccountName(namespace, name)');
    return new MeshIdentity(objectNamespace(obj, serviceAccount), obj.name, trustDomain ?? DEFAULT_TRUST_DOMAIN);
  }

  /** The trust domain. */
  public readonly trustDomain: string;
  /** The namespace of the service account. */
  public readonly namespace: string;
  /** The service account name. */
  public readonly serviceAccount: string;

  private constructor(namespace: string, serviceAccount: string, trustDomain: string) {
    const where = `MeshIdentity ${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
    checkNamespaceName(where, 'namespace', namespace);
    checkObjectName(where, 'service account', serviceAccount);
    if (!TRUST_DOMAIN.test(trustDomain)) {
      throw constructError(where, `trust domain "${trustDomain}" is invalid: use the host part of a SPIFFE ID (letters, digits, '.', '-', '_'), e.g. "cluster.local", without "spiffe://" or "/".`);
    }
    this.namespace = namespace;
    this.serviceAccount = serviceAccount;
    this.trustDomain = trustDomain;
  }

  /** The principal as written in AuthorizationPolicy `source.principals`: `<trustDomain>/ns/<ns>/sa/<sa>`. */
  public get principal(): string {
    return `${this.trustDomain}/ns/${this.namespace}/sa/${this.serviceAccount}`;
  }

  /** The full SPIFFE ID: `spiffe://<trustDomain>/ns/<ns>/sa/<sa>`. */
  public get spiffeId(): string {
    return `spiffe://${this.principal}`;
  }
}
