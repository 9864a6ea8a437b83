import { Duration } from 'cdk8s';
import { checkNamespaceName, checkObjectName } from './_validation';

/** The cert-manager istio-csr chart version this library configures (its values are written for it). */
export const ISTIO_CSR_VERSION = 'v0.17.0';
/** The Helm repository of cert-manager and istio-csr. */
export const JETSTACK_HELM_REPOSITORY = 'https://charts.jetstack.io';

/** Kind of a cert-manager issuer. */
export enum CertManagerIssuerKind {
  /** A namespaced `Issuer`. */
  ISSUER = 'Issuer',
  /** A cluster-wide `ClusterIssuer`. */
  CLUSTER_ISSUER = 'ClusterIssuer',
}

/** A cert-manager issuer by name. */
export interface CertManagerIssuerRef {
  /** Issuer name. */
  readonly name: string;
  /**
   * Issuer kind.
   * @default CertManagerIssuerKind.CLUSTER_ISSUER
   */
  readonly kind?: CertManagerIssuerKind;
}

/** Options for `MeshCertificateAuthority.certManager`. */
export interface CertManagerCaOptions {
  /**
   * The issuer of the shared root. Every cluster of a multi-cluster mesh must name the same root:
   * each cluster's intermediate (`cacerts`) chains to it.
   */
  readonly rootIssuer: CertManagerIssuerRef;
  /**
   * Also declare the root issuer as a cert-manager CA issuer reading this Secret (`tls.crt`, `tls.key`
   * of the shared root, created once and copied to every cluster; for a ClusterIssuer, in
   * cert-manager's cluster-resource namespace). The library never writes the key.
   * @default - the root issuer exists already
   */
  readonly rootCaSecretName?: string;
  /**
   * Lifetime of the per-cluster intermediate. cert-manager renews it; istiod reloads `cacerts`.
   * @default Duration.hours(8760)
   */
  readonly intermediateDuration?: Duration;
}

/** Options for `MeshCertificateAuthority.istioCsr`. */
export interface IstioCsrOptions {
  /** The issuer istio-csr signs workload and istiod certificates with (an `Issuer` lives in the mesh namespace). */
  readonly issuer: CertManagerIssuerRef;
  /**
   * Secret (in the istio-csr namespace) with the root certificate under `ca.pem`, mounted as istio-csr's
   * static trust root (`app.tls.rootCAFile`) so a compromised signer cannot swap the root.
   * @default "istio-root-ca"
   */
  readonly rootCaSecretName?: string;
  /**
   * Namespace of the istio-csr release (and its Service).
   * @default "cert-manager"
   */
  readonly namespace?: string;
  /**
   * Chart version of `jetstack/cert-manager-istio-csr`.
   * @default "v0.17.0"
   */
  readonly version?: string;
}

/**
 * Who signs the mesh's workload certificates. Without one, istiod's built-in CA generates a
 * self-signed root per cluster, which is refused for a multi-cluster mesh.
 */
export class MeshCertificateAuthority {
  /**
   * istiod's CA with a plugged-in intermediate: a cert-manager Certificate writes the Secret `cacerts`
   * (`tls.crt`, `tls.key`, `ca.crt`) in the mesh namespace, signed by the shared root issuer.
   */
  public static certManager(options: CertManagerCaOptions): MeshCertificateAuthority {
    checkObjectName('MeshCertificateAuthority.certManager()', 'rootIssuer.name', options.rootIssuer.name);
    if (options.rootCaSecretName !== undefined) checkObjectName('MeshCertificateAuthority.certManager()', 'rootCaSecretName', options.rootCaSecretName);
    return new MeshCertificateAuthority('cacerts', options, undefined);
  }

  /**
   * cert-manager istio-csr signs every mesh certificate; istiod's CA server is turned off and istiod
   * and ztunnel send their certificate requests to istio-csr.
   */
  public static istioCsr(options: IstioCsrOptions): MeshCertificateAuthority {
    checkObjectName('MeshCertificateAuthority.istioCsr()', 'issuer.name', options.issuer.name);
    checkNamespaceName('MeshCertificateAuthority.istioCsr()', 'namespace', options.namespace ?? 'cert-manager');
    checkObjectName('MeshCertificateAuthority.istioCsr()', 'rootCaSecretName', options.rootCaSecretName ?? 'istio-root-ca');
    return new MeshCertificateAuthority('istio-csr', undefined, options);
  }

  /** @internal */ public readonly _kind: 'cacerts' | 'istio-csr';
  /** @internal */ public readonly _certManager?: CertManagerCaOptions;
  /** @internal */ public readonly _istioCsr?: IstioCsrOptions;

  private constructor(kind: 'cacerts' | 'istio-csr', certManager?: CertManagerCaOptions, istioCsr?: IstioCsrOptions) {
    this._kind = kind;
    this._certManager = certManager;
    this._istioCsr = istioCsr;
  }

  /** What the mesh's certificates chain to, e.g. `ClusterIssuer/mesh-root`: equal across clusters of one mesh. */
  public get root(): string {
    const issuer = this._certManager?.rootIssuer ?? this._istioCsr!.issuer;
    return `${issuer.kind ?? CertManagerIssuerKind.CLUSTER_ISSUER}/${issuer.name}`;
  }

  /** `cert-manager-istio-csr.<namespace>.svc:443` for istio-csr, else undefined (istiod is the CA). */
  public get caAddress(): string | undefined {
    return this._istioCsr ? `cert-manager-istio-csr.${this._istioCsr.namespace ?? 'cert-manager'}.svc:443` : undefined;
  }
}
