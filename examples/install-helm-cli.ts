/**
 * Istio ambient for users of the helm CLI on k3s with Cilium: values files per chart and the ordered
 * `helm upgrade --install` commands, written to dist/install-helm-cli/helm/.
 *
 * Cilium deletes other CNI configurations unless it runs with `cni.exclusive=false` (a Cilium Helm
 * value), so set that on Cilium before installing istio-cni.
 */
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { AmbientMesh, MeshDelivery, MeshPlatform } from '../src';

export function build(app: App): void {
  const chart = new Chart(app, 'istio-helm', { disableResourceNameHashes: true });
  const mesh = new AmbientMesh(chart, 'mesh', {
    delivery: MeshDelivery.helmCli(),
    platform: MeshPlatform.K3S,
    cni: { excludeNamespaces: ['kube-system', 'cilium'] },
    ztunnel: { logLevel: 'info' },
    meshConfig: { accessLogFile: '/dev/stdout' },
  });
  mesh.helmInstall().writeTo(path.join(app.outdir, 'helm'));
}

if (require.main === module) {
  const app = new App({ outdir: 'dist/install-helm-cli' });
  build(app);
  app.synth();
}
