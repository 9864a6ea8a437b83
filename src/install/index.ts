/**
 * The Istio ambient install. Its parts live in `src/install/`: the AmbientMesh construct, the chart
 * values, one module per delivery form (Flux, Argo CD, helm CLI) and per plan (helm CLI, istioctl),
 * the certificate authorities and the version rules. This module keeps the public names in one place.
 */
export { AmbientMesh, AmbientMeshProps } from './ambient-mesh';
export { ArgoCdDeliveryOptions } from './argo-cd-delivery';
export { MeshDelivery } from './delivery';
export { FluxDeliveryOptions, FluxGatewayApiCrdsOptions, FluxReleaseReference } from './flux-delivery';
export { HelmInstallPlan } from './helm-install-plan';
export { IstioRelease } from './helm-values';
export {
  ChartValueOverrides, CniOptions, IngressGatewayInstallOptions, IstioChart, IstiodOptions, MeshConfigOptions, MeshImageOptions, MeshPlatform,
  OutboundTrafficPolicy, ZtunnelOptions,
} from './options';
export { DEFAULT_ISTIO_VERSION, GATEWAY_API_VERSION, ISTIO_HELM_REPOSITORY, ISTIO_OCI_REPOSITORY } from './versions';
