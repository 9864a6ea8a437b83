/** cert-manager istio-csr as the mesh's CA: istiod's CA server is off, istiod and ztunnel ask istio-csr. */
import { IConstruct } from 'constructs';
import { CaChartRelease, TrustContext, istioCsrValues, issuerRoot } from '../_cert-manager';
import { caServerOverrides } from '../_mesh-trust-install';
import { constructError } from '../_validation';
import type { AmbientMeshProps } from './index';
import { ISTIO_CSR_VERSION, IstioCsrOptions, JETSTACK_HELM_REPOSITORY, MeshCertificateAuthority } from '../mesh-trust';

/** `MeshCertificateAuthority.istioCsr()`: the istio-csr chart, installed before the mesh's charts. */
export class IstioCsrCertificateAuthority extends MeshCertificateAuthority {
  private readonly options: IstioCsrOptions;

  public constructor(options: IstioCsrOptions) {
    super();
    this.options = options;
  }

  public get root(): string {
    return issuerRoot(this.options.issuer);
  }

  public get caAddress(): string | undefined {
    return `cert-manager-istio-csr.${this.options.namespace ?? 'cert-manager'}.svc:443`;
  }

  /** @internal */
  public _checkInstall(scope: IConstruct, props: AmbientMeshProps): void {
    for (const [where, value] of caServerOverrides(props)) {
      if (value !== undefined && value !== 'false') {
        throw constructError(scope, `${where} sets ENABLE_CA_SERVER="${value}" while istio-csr is the CA: istiod's built-in CA and istio-csr would both sign workload certificates. Remove ENABLE_CA_SERVER; the library sets it to "false".`);
      }
    }
    const caAddresses: Array<[string, unknown]> = [
      ['values.istiod.global.caAddress', props.values?.istiod?.global?.caAddress],
      ['values.ztunnel.caAddress', props.values?.ztunnel?.caAddress],
      ['values.ztunnel.global.caAddress', props.values?.ztunnel?.global?.caAddress],
    ];
    for (const [where, value] of caAddresses) {
      if (value !== undefined && value !== this.caAddress) {
        throw constructError(scope, `${where} is "${value}", but istio-csr serves at "${this.caAddress}": istiod, waypoints and ztunnel must all ask istio-csr. Remove the value; the library sets it.`);
      }
    }
  }

  /** @internal */
  public _chartRelease(ctx: TrustContext): CaChartRelease {
    return {
      name: 'istio-csr',
      repositoryName: 'jetstack',
      repositoryUrl: JETSTACK_HELM_REPOSITORY,
      chart: 'cert-manager-istio-csr',
      version: this.options.version ?? ISTIO_CSR_VERSION,
      releaseName: 'cert-manager-istio-csr',
      namespace: this.options.namespace ?? 'cert-manager',
      values: istioCsrValues(this.options, ctx),
    };
  }

  /** @internal */
  public get _installStep(): string {
    return 'the mesh namespace and istio-csr';
  }
}
