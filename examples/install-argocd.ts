/**
 * Istio ambient on GKE with Argo CD: one Application per chart, ordered by sync waves (put them in
 * an app-of-apps so the waves apply), the Gateway API CRDs first, a `stable` revision with a
 * `prod` tag, and an ingress gateway release.
 */
import { App, Chart } from 'cdk8s';
import { AmbientMesh, MeshDelivery, MeshPlatform } from '../src';

export function build(app: App): void {
  const chart = new Chart(app, 'istio-argocd', { disableResourceNameHashes: true });
  new AmbientMesh(chart, 'mesh', {
    delivery: MeshDelivery.argoCd({ installGatewayApiCrds: true }),
    platform: MeshPlatform.GKE,
    revision: 'stable',
    revisionTags: ['prod'],
    trustDomain: 'prod.example.com',
    ingressGateway: { serviceType: 'LoadBalancer' },
    // Escape hatch for any other chart value; keys the 1.30 charts do not have are refused.
    values: { istiod: { global: { logAsJson: true } } },
  });
}

if (require.main === module) {
  const app = new App({ outdir: 'dist/install-argocd' });
  build(app);
  app.synth();
}
