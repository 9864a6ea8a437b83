import { ApiObject, Duration } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import type { CaChartRelease, TrustContext } from './_cert-manager';
import { checkNamespaceName, checkObjectName } from './_validation';
import type { AmbientMeshProps } from './install';

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
 *
 * Each kind of CA is a subclass that says what it adds to the install (objects before istiod, a
 * chart before the mesh's, refusals of contradicting values); the install and every delivery form
 * ask it, so a new kind is a new subclass.
 */
export abstract class MeshCertificateAuthority {
  /**
   * istiod's CA with a plugged-in intermediate: a cert-manager Certificate writes the Secret `cacerts`
   * (`tls.crt`, `tls.key`, `ca.crt`) in the mesh namespace, signed by the shared root issuer.
   */
  public static certManager(options: CertManagerCaOptions): MeshCertificateAuthority {
    checkObjectName('MeshCertificateAuthority.certManager()', 'rootIssuer.name', options.rootIssuer.name);
    if (options.rootCaSecretName !== undefined) checkObjectName('MeshCertificateAuthority.certManager()', 'rootCaSecretName', options.rootCaSecretName);
    // Loaded here: the subclass module extends this class.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { CertManagerCertificateAuthority } = require('./install/cert-manager-ca') as typeof import('./install/cert-manager-ca');
    return new CertManagerCertificateAuthority(options);
  }

  /**
   * cert-manager istio-csr signs every mesh certificate; istiod's CA server is turned off and istiod
   * and ztunnel send their certificate requests to istio-csr.
   */
  public static istioCsr(options: IstioCsrOptions): MeshCertificateAuthority {
    checkObjectName('MeshCertificateAuthority.istioCsr()', 'issuer.name', options.issuer.name);
    checkNamespaceName('MeshCertificateAuthority.istioCsr()', 'namespace', options.namespace ?? 'cert-manager');
    checkObjectName('MeshCertificateAuthority.istioCsr()', 'rootCaSecretName', options.rootCaSecretName ?? 'istio-root-ca');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { IstioCsrCertificateAuthority } = require('./install/istio-csr-ca') as typeof import('./install/istio-csr-ca');
    return new IstioCsrCertificateAuthority(options);
  }

  protected constructor() {}

  /** What the mesh's certificates chain to, e.g. `ClusterIssuer/mesh-root`: equal across clusters of one mesh. */
  public abstract get root(): string;

  /** `cert-manager-istio-csr.<namespace>.svc:443` for istio-csr, else undefined (istiod is the CA). */
  public abstract get caAddress(): string | undefined;

  /**
   * Refuses install settings that contradict this CA, with the construct path, the value and the fix.
   * @internal
   */
  public _checkInstall(_scope: IConstruct, _props: AmbientMeshProps): void {}

  /**
   * The objects that must exist before istiod starts, as children of `scope`, in apply order.
   * @internal
   */
  public _prerequisites(_scope: Construct, _ctx: TrustContext): ApiObject[] {
    return [];
  }

  /**
   * A chart installed before the mesh's charts, which the base release waits for.
   * @internal
   */
  public _chartRelease(_ctx: TrustContext): CaChartRelease | undefined {
    return undefined;
  }

  /**
   * The cert-manager Certificate (and Secret) istiod must find when it starts, or it self-signs a root.
   * @internal
   */
  public get _istiodWaitsFor(): string | undefined {
    return undefined;
  }

  /**
   * What is installed before the charts, for the helm CLI README ("the mesh namespace and istio-csr").
   * @internal
   */
  public get _installStep(): string {
    return 'the mesh namespace';
  }
}

