/**
 * Istio ambient for users of the helm CLI on k3s with Cilium: values files per chart and the ordered
 * `helm upgrade --install` commands, written to dist/install-helm-cli/helm/.
 *
 * Cilium is declared next to the mesh: `values-cilium.yaml` has what ambient needs
 * (`cni.exclusive: false`, `socketLB.hostNamespaceOnly: true`); install it first (`cilium.helmCommands`).
 */
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { AmbientMesh, CiliumCni, MeshDelivery, MeshPlatform } from '../src';
import { AS_WRITTEN, declare, DeclarationOrder } from './lib/declare';

export function build(app: App, order: DeclarationOrder = AS_WRITTEN): void {
  const chart = new Chart(app, 'istio-helm', { disableResourceNameHashes: true });
  const { mesh, cilium } = declare(order, {
    mesh: () => new AmbientMesh(chart, 'mesh', {
      delivery: MeshDelivery.helmCli(),
      platform: MeshPlatform.K3S,
      cni: { excludeNamespaces: ['kube-system', 'cilium'] },
      ztunnel: { logLevel: 'info' },
      meshConfig: { accessLogFile: '/dev/stdout' },
    }),
    cilium: () => new CiliumCni(chart, 'cilium'),
  });
  declare(order, {
    ciliumValues: () => cilium.helmInstall().writeTo(path.join(app.outdir, 'helm')),
    meshValues: () => mesh.helmInstall().writeTo(path.join(app.outdir, 'helm')),
  });
}

if (require.main === module) {
  const app = new App({ outdir: 'dist/install-helm-cli' });
  build(app);
  app.synth();
}
