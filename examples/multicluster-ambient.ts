/**
 * One ambient mesh over two clusters on two networks (Istio 1.30 multi-primary, multi-network), from
 * one program: each cluster is its own cdk8s App, synthesized into its own folder.
 *
 * - Trust: both clusters' istiods sign with an intermediate (`cacerts`) that cert-manager issues from
 *   one shared root (ClusterIssuer `mesh-root`, reading Secret `mesh-root-ca` copied to both clusters).
 * - Install (Flux): mesh ID, cluster name, network, AMBIENT_ENABLE_MULTI_NETWORK and the global
 *   service scope are set by `cluster`; `istio-system` carries the network label.
 * - Network: an ambient east-west gateway per cluster; remote secrets with `istioctl` (remote-secrets.sh).
 * - Workloads: `helloworld` is global (labelled in both clusters) behind an identically named global
 *   waypoint; only `curl` may call it with GET, wherever curl runs (identities are cluster-independent).
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  AmbientMesh, AmbientNamespace, EastWestGateway, MeshCertificateAuthority, MeshCluster, MeshDelivery, MultiClusterMesh,
  PolicySource, PolicyTarget, ZeroTrustPolicy,
} from '../src';
import { AS_WRITTEN, declare, DeclarationOrder } from './lib/declare';

const NAMESPACE = 'sample';

function declareCluster(app: App, cluster: MeshCluster, version: string, order: DeclarationOrder): void {
  declare(order, {
    install: () => new AmbientMesh(new Chart(app, 'istio', { disableResourceNameHashes: true }), 'mesh', {
      cluster,
      delivery: MeshDelivery.flux({ istiodDependsOn: [{ name: 'gateway-api-crds', namespace: 'flux-system' }] }),
    }),
    // Istio and Gateway API resources in their own chart: Flux applies it after the install.
    network: () => new EastWestGateway(new Chart(app, 'mesh-network', { disableResourceNameHashes: true }), 'eastwest', { cluster }),
    sample: () => declareSample(app, version, order),
  });
}

function declareSample(app: App, version: string, order: DeclarationOrder): void {
  const sample = new Chart(app, NAMESPACE, { namespace: NAMESPACE, disableResourceNameHashes: true });
  const ns = new AmbientNamespace(sample, 'namespace', { name: NAMESPACE });

  const helloworldSa = new kplus.ServiceAccount(sample, 'helloworld-sa', { metadata: { name: 'helloworld' } });
  const helloworld = new kplus.Deployment(sample, 'helloworld', {
    metadata: { name: `helloworld-${version}` },
    serviceAccount: helloworldSa,
    podMetadata: { labels: { app: 'helloworld', version } },
    select: false,
    containers: [{
      name: 'helloworld',
      image: `docker.io/istio/examples-helloworld-${version}:1.0`,
      portNumber: 5000,
      securityContext: { ensureNonRoot: false },
    }],
  });
  helloworld.select(kplus.LabelSelector.of({ labels: { app: 'helloworld', version } }));
  const service = new kplus.Service(sample, 'helloworld-service', {
    metadata: { name: 'helloworld', labels: { app: 'helloworld' } },
    selector: kplus.Pods.select(sample, 'helloworld-pods', { labels: { app: 'helloworld' } }),
    ports: [{ port: 5000, targetPort: 5000, name: 'http' }],
  });

  const curlSa = new kplus.ServiceAccount(sample, 'curl-sa', { metadata: { name: 'curl' } });
  new kplus.Deployment(sample, 'curl', {
    metadata: { name: 'curl' },
    serviceAccount: curlSa,
    containers: [{ name: 'curl', image: 'curlimages/curl:8.16.0', command: ['/bin/sleep', 'infinity'], securityContext: { ensureNonRoot: false } }],
  });

  declare(order, {
    // The same waypoint name in every cluster, and global, so either cluster's waypoint can serve helloworld.
    waypoint: () => MeshCluster.globalWaypoint(ns.addWaypoint('waypoint')),
    // Global in every cluster where it exists.
    globalService: () => MeshCluster.globalService(service),
    // The same policy in both clusters: curl from either cluster may GET helloworld, at the waypoint.
    zeroTrust: () => new ZeroTrustPolicy(sample, 'zero-trust', { namespace: NAMESPACE })
      .to(PolicyTarget.service(service)).allowFrom(PolicySource.serviceAccount(curlSa), { methods: ['GET'] }),
  });
}

export function build(app: App, order: DeclarationOrder = AS_WRITTEN): App[] {
  const mesh = new MultiClusterMesh({
    meshId: 'mesh1',
    trustDomain: 'mesh.example.com',
    certificateAuthority: MeshCertificateAuthority.certManager({ rootIssuer: { name: 'mesh-root' }, rootCaSecretName: 'mesh-root-ca' }),
  });
  const cluster1 = mesh.addCluster({ clusterName: 'cluster1', network: 'network1', kubeContext: 'ctx-cluster1' });
  const cluster2 = mesh.addCluster({ clusterName: 'cluster2', network: 'network2', kubeContext: 'ctx-cluster2' });

  const clusterApp = (cluster: MeshCluster, version: string) => {
    const out = new App({ outdir: path.join(app.outdir, cluster.clusterName) });
    declareCluster(out, cluster, version, order);
    return out;
  };
  const apps = declare(order, {
    cluster1: () => clusterApp(cluster1, 'v1'),
    cluster2: () => clusterApp(cluster2, 'v2'),
    // Remote secrets carry credentials: the program writes the commands, never the Secrets.
    remoteSecrets: () => {
      fs.mkdirSync(app.outdir, { recursive: true });
      fs.writeFileSync(path.join(app.outdir, 'remote-secrets.sh'), ['#!/bin/sh', 'set -e', ...mesh.remoteSecretCommands(), ''].join('\n'));
    },
  });
  return [apps.cluster1, apps.cluster2];
}

if (require.main === module) {
  const app = new App({ outdir: 'dist/multicluster-ambient' });
  for (const clusterApp of build(app)) clusterApp.synth();
}
