/**
 * Istio ambient with Flux, Gateway API CRDs included. Flux orders only objects of one kind (a
 * HelmRelease waits for HelmReleases, a Kustomization for Kustomizations), so the CRDs come from a
 * Kustomization of the upstream repository and the mesh chart is applied by a second Kustomization
 * that depends on it. The bootstrap chart is what the `flux-system` Kustomization applies; the mesh
 * chart is committed to its own folder (e.g. with `yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE`),
 * which `meshPath` points at.
 */
import { App, Chart } from 'cdk8s';
import { AmbientMesh, MeshDelivery } from '../src';
import { AS_WRITTEN, declare, DeclarationOrder } from './lib/declare';

export function build(app: App, order: DeclarationOrder = AS_WRITTEN): void {
  const { bootstrap, mesh } = declare(order, {
    bootstrap: () => new Chart(app, 'flux-bootstrap', { disableResourceNameHashes: true }),
    mesh: () => new Chart(app, 'istio-flux', { disableResourceNameHashes: true }),
  });
  new AmbientMesh(mesh, 'mesh', {
    delivery: MeshDelivery.flux({
      repositoryUrl: 'oci://registry.istio.io/release/charts',
      repositoryName: 'istio-oci',
      gatewayApiCrds: { bootstrapChart: bootstrap, meshPath: './clusters/prod/istio-flux' },
    }),
    // Its own control-plane namespace: dist/ also holds reference-platform's Flux install in istio-system.
    namespace: 'istio-prod',
    trustDomain: 'prod.example.com',
  });
}

if (require.main === module) {
  const app = new App({ outdir: 'dist/install-flux' });
  build(app);
  app.synth();
}
