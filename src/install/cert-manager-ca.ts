/** istiod's CA with a plugged-in intermediate that cert-manager writes into the Secret `cacerts`. */
import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { TrustContext, emitCertManagerCa, issuerRoot } from '../_cert-manager';
import { caServerOverrides } from '../_mesh-trust-install';
import { constructError } from '../_validation';
import type { AmbientMeshProps } from './index';
import { CertManagerCaOptions, MeshCertificateAuthority } from '../mesh-trust';

/** `MeshCertificateAuthority.certManager()`: the `cacerts` Certificate chain, served by istiod's CA server. */
export class CertManagerCertificateAuthority extends MeshCertificateAuthority {
  private readonly options: CertManagerCaOptions;

  public constructor(options: CertManagerCaOptions) {
    super();
    this.options = options;
  }

  public get root(): string {
    return issuerRoot(this.options.rootIssuer);
  }

  public get caAddress(): string | undefined {
    return undefined;
  }

  /** @internal */
  public _checkInstall(scope: IConstruct, props: AmbientMeshProps): void {
    for (const [where, value] of caServerOverrides(props)) {
      if (value === 'false') {
        throw constructError(scope, `${where} sets ENABLE_CA_SERVER="false", but the plugged-in CA (Secret cacerts) is served by istiod's CA server. Remove it, or use MeshCertificateAuthority.istioCsr().`);
      }
    }
  }

  /** @internal */
  public _prerequisites(scope: Construct, ctx: TrustContext): ApiObject[] {
    return emitCertManagerCa(scope, this.options, ctx);
  }

  /** @internal */
  public get _istiodWaitsFor(): string | undefined {
    // istiod must find cacerts when it starts, or it generates a self-signed root.
    return 'cacerts';
  }

  /** @internal */
  public get _installStep(): string {
    return 'the mesh namespace and the cacerts Certificate (wait until Ready)';
  }
}
