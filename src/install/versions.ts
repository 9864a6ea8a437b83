/** Versions and sources of what the install delivers, and the version-skew rules between its charts. */
import { IConstruct } from 'constructs';
import { constructError } from '../_validation';

/** The Istio version this library targets by default. */
export const DEFAULT_ISTIO_VERSION = '1.30.3';
/** Istio's https Helm repository. */
export const ISTIO_HELM_REPOSITORY = 'https://istio-release.storage.googleapis.com/charts';
/** Istio's OCI Helm repository. */
export const ISTIO_OCI_REPOSITORY = 'oci://registry.istio.io/release/charts';
/** The Gateway API release Istio 1.30 is built against (standard channel). */
export const GATEWAY_API_VERSION = 'v1.5.1';
/** The Gateway API repository, whose `config/crd/standard` folder holds the standard-channel CRDs. */
export const GATEWAY_API_REPOSITORY = 'https://github.com/kubernetes-sigs/gateway-api';
/** The folder of the standard-channel CRDs in that repository. */
export const GATEWAY_API_CRD_PATH = 'config/crd/standard';

/** The command that installs the Gateway API standard-channel CRDs unless they exist. */
export function gatewayApiCrdsCommand(): string {
  return `kubectl get crd gateways.gateway.networking.k8s.io >/dev/null 2>&1 || kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/${GATEWAY_API_VERSION}/standard-install.yaml`;
}

export interface Version { readonly major: number; readonly minor: number; readonly patch: number }

export function parseVersion(scope: IConstruct, what: string, version: string): Version {
  const m = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/.exec(version);
  if (!m) throw constructError(scope, `${what} "${version}" is not a version like "1.30.3".`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** cni and ztunnel at 1.x work with istiod 1.x and 1.x+1: never newer than istiod, at most one minor older. */
export function checkSkew(scope: IConstruct, component: string, version: string, istiod: string): void {
  const v = parseVersion(scope, `${component}.version`, version);
  const i = parseVersion(scope, 'version', istiod);
  const newer = v.major > i.major || (v.major === i.major && (v.minor > i.minor || (v.minor === i.minor && v.patch > i.patch)));
  if (newer) {
    throw constructError(scope, `${component} ${version} is newer than istiod ${istiod}: upgrade istiod first (${component} may lag istiod by one minor version, never lead it).`);
  }
  if (v.major !== i.major || i.minor - v.minor > 1) {
    throw constructError(scope, `${component} ${version} is more than one minor version older than istiod ${istiod}: Istio supports ${component} 1.x with istiod 1.x and 1.x+1 only. Upgrade ${component} to ${i.major}.${i.minor - 1}.x or later.`);
  }
}
