/**
 * The cert-manager side of a MeshCertificateAuthority: the cacerts Certificate chain and the istio-csr
 * chart values.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { constructError } from './_validation';
import { CertManagerCaOptions, CertManagerIssuerKind, CertManagerIssuerRef, IstioCsrOptions } from './mesh-trust';

/**
 * cert-manager objects are written as plain ApiObjects: the three kinds are few fields here, while their
 * generated classes (Issuer's ACME solvers carry whole pod templates) would add 750 KB to the package.
 * Tests admit every one against the pinned cert-manager v1.21.1 CRDs with crdcheck.
 */
const CERT_MANAGER = { apiVersion: 'cert-manager.io/v1' };

/** What the trust objects need from the mesh install. */
export interface TrustContext {
  readonly meshNamespace: string;
  readonly ztunnelNamespace: string;
  readonly trustDomain: string;
  readonly clusterName: string;
  readonly revision?: string;
  /** Extra annotations for every object (Argo CD sync waves). */
  readonly annotations?: { [key: string]: string };
}

/** The cert-manager objects of a plugged-in CA, as children of `scope`. Returns them in apply order. */
export function emitCertManagerCa(scope: Construct, o: CertManagerCaOptions, ctx: TrustContext): ApiObject[] {
  const kind = o.rootIssuer.kind ?? CertManagerIssuerKind.CLUSTER_ISSUER;
  const objects: ApiObject[] = [];
  const annotations = ctx.annotations;
  if (o.rootCaSecretName !== undefined) {
    const spec = { ca: { secretName: o.rootCaSecretName } };
    const namespace = kind === CertManagerIssuerKind.CLUSTER_ISSUER ? undefined : ctx.meshNamespace;
    objects.push(new ApiObject(scope, 'RootIssuer', { ...CERT_MANAGER, kind, metadata: { name: o.rootIssuer.name, namespace, annotations }, spec }));
  }
  const hours = o.intermediateDuration ? o.intermediateDuration.toHours({ integral: false }) : 8760;
  if (!Number.isInteger(hours) || hours < 24) {
    throw constructError(scope, `intermediateDuration is ${hours}h; give whole hours, at least 24 (cert-manager renews at 2/3 of the lifetime).`);
  }
  // Istio's plug-in-CA intermediate (tools/certs/common.mk): a CA, O=Istio, L=<cluster>, SAN istiod.<ns>.svc.
  objects.push(new ApiObject(scope, 'Cacerts', {
    ...CERT_MANAGER,
    kind: 'Certificate',
    metadata: { name: 'cacerts', namespace: ctx.meshNamespace, annotations },
    spec: {
      secretName: 'cacerts',
      isCA: true,
      commonName: 'Intermediate CA',
      subject: { organizations: ['Istio'], localities: [ctx.clusterName] },
      dnsNames: [`istiod.${ctx.meshNamespace}.svc`],
      duration: `${hours}h`,
      privateKey: { algorithm: 'RSA', size: 4096 },
      usages: ['digital signature', 'key encipherment', 'cert sign'],
      issuerRef: { name: o.rootIssuer.name, kind, group: 'cert-manager.io' },
    },
  }));
  return objects;
}

/** Helm values of the istio-csr chart for this mesh (cert-manager-istio-csr v0.17.0). */
export function istioCsrValues(o: IstioCsrOptions, ctx: TrustContext): { [key: string]: any } {
  const rootSecret = o.rootCaSecretName ?? 'istio-root-ca';
  return {
    app: {
      certmanager: {
        namespace: ctx.meshNamespace,
        issuer: { name: o.issuer.name, kind: o.issuer.kind ?? CertManagerIssuerKind.CLUSTER_ISSUER, group: 'cert-manager.io' },
      },
      istio: { revisions: [ctx.revision ?? 'default'] },
      server: {
        clusterID: ctx.clusterName,
        // ambient: ztunnel requests certificates for the identities of the pods on its node.
        caTrustedNodeAccounts: `${ctx.ztunnelNamespace}/ztunnel`,
      },
      tls: { trustDomain: ctx.trustDomain, rootCAFile: '/var/run/secrets/istio-csr/ca.pem' },
    },
    volumeMounts: [{ name: 'root-ca', mountPath: '/var/run/secrets/istio-csr' }],
    volumes: [{ name: 'root-ca', secret: { secretName: rootSecret } }],
  };
}

/** A chart a certificate authority installs before the mesh's charts (istio-csr). */
export interface CaChartRelease {
  /** Short name for construct ids and values files, e.g. "istio-csr". */
  readonly name: string;
  /** Name of the chart repository (`helm repo add` name, Flux HelmRepository). */
  readonly repositoryName: string;
  /** https URL of the chart repository. */
  readonly repositoryUrl: string;
  readonly chart: string;
  readonly version: string;
  readonly releaseName: string;
  readonly namespace: string;
  readonly values: { [key: string]: any };
}

/** `Kind/name` of an issuer. */
export function issuerRoot(issuer: CertManagerIssuerRef): string {
  return `${issuer.kind ?? CertManagerIssuerKind.CLUSTER_ISSUER}/${issuer.name}`;
}
