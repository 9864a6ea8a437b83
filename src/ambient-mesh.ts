/**
 * The Istio ambient install. Its parts live in `src/install/`: the AmbientMesh construct, the chart
 * values, one module per delivery form (Flux, Argo CD, helm CLI) and per plan (helm CLI, istioctl),
 * the certificate authorities and the version rules. This module keeps the public names in one place.
 */
export { AmbientMesh, AmbientMeshProps } from './install/ambient-mesh';
export { ArgoCdDeliveryOptions } from './install/argo-cd-delivery';
export { MeshDelivery } from './install/delivery';
export { FluxDeliveryOptions, FluxGatewayApiCrdsOptions, FluxReleaseReference } from './install/flux-delivery';
export { HelmInstallPlan } from './install/helm-install-plan';
export { IstioRelease } from './install/helm-values';
export {
  ChartValueOverrides, CniOptions, IngressGatewayInstallOptions, IstioChart, IstiodOptions, MeshConfigOptions, MeshImageOptions, MeshPlatform,
  OutboundTrafficPolicy, ZtunnelOptions,
} from './install/options';
export { DEFAULT_ISTIO_VERSION, GATEWAY_API_VERSION, ISTIO_HELM_REPOSITORY, ISTIO_OCI_REPOSITORY } from './install/versions';
