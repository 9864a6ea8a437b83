import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parseAllDocuments } from 'yaml';
import {
  AmbientMesh, AmbientMeshProps, AmbientNamespace, CertManagerIssuerKind, EastWestGateway, IstioChart, MeshCertificateAuthority,
  MeshCluster, MeshDelivery, MeshIdentity, MultiClusterMesh, PolicySource, PolicyTarget, Waypoint, ZeroTrustPolicy,
} from '../src';
import { findObject, synthValid } from './support';
import { unknownValueKeys } from '../src/_chart-values';

/** The shared folder with the pinned CRDs and crdcheck (CEL rules need crdcheck), found walking up. */
function findShared(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared');
    if (fs.existsSync(path.join(candidate, 'tools', 'crdcheck', 'crdcheck.mjs'))) return candidate;
  }
  throw new Error('shared/tools/crdcheck not found above the repository');
}

const certManagerCa = () => MeshCertificateAuthority.certManager({ rootIssuer: { name: 'mesh-root' }, rootCaSecretName: 'mesh-root-ca' });
const istioCsrCa = () => MeshCertificateAuthority.istioCsr({ issuer: { name: 'istio-ca', kind: CertManagerIssuerKind.ISSUER } });

function twoClusters(ca: MeshCertificateAuthority | undefined = certManagerCa()) {
  const mesh = new MultiClusterMesh({ meshId: 'mesh1', certificateAuthority: ca });
  const cluster1 = mesh.addCluster({ clusterName: 'cluster1', network: 'network1' });
  const cluster2 = mesh.addCluster({ clusterName: 'cluster2', network: 'network2' });
  return { mesh, cluster1, cluster2 };
}

function install(props: AmbientMeshProps): { chart: Chart; mesh: AmbientMesh } {
  const chart = new Chart(Testing.app(), 'istio', { disableResourceNameHashes: true });
  return { chart, mesh: new AmbientMesh(chart, 'mesh', props) };
}

function expectKnownKeys(m: AmbientMesh) {
  for (const chart of m.charts) expect(unknownValueKeys(chart, m.valuesFor(chart))).toEqual([]);
}

describe('multi-cluster install values (facts doc §2.1, Istio 1.30 multi-primary_multi-network, Helm tab)', () => {
  test('istiod: profile ambient, meshID, clusterName, network, the multi-network switches and the global scope', () => {
    const { cluster1 } = twoClusters();
    const { mesh } = install({ cluster: cluster1 });
    expect(mesh.valuesFor(IstioChart.ISTIOD)).toEqual({
      profile: 'ambient',
      base: { validationFailurePolicy: 'Fail' },
      env: { AMBIENT_ENABLE_BAGGAGE: 'true', AMBIENT_ENABLE_MULTI_NETWORK: 'true' },
      global: { meshID: 'mesh1', multiCluster: { clusterName: 'cluster1' }, network: 'network1' },
      meshConfig: {
        // manifests/helm-profiles/ambient.yaml (1.30.3), written out so a user list cannot drop it.
        serviceScopeConfigs: [{ servicesSelector: { matchExpressions: [{ key: 'istio.io/global', operator: 'In', values: ['true'] }] }, scope: 'GLOBAL' }],
      },
    });
    expectKnownKeys(mesh);
  });

  test('ztunnel: its own clusterName and network; cni: profile ambient only', () => {
    const { cluster2 } = twoClusters();
    const { mesh } = install({ cluster: cluster2 });
    expect(mesh.valuesFor(IstioChart.ZTUNNEL)).toEqual({ profile: 'ambient', multiCluster: { clusterName: 'cluster2' }, global: { network: 'network2' } });
    expect(mesh.valuesFor(IstioChart.CNI)).toEqual({ profile: 'ambient' });
  });

  test('Flux: the mesh namespace carries the network label; istiod waits for cacerts through a required valuesFrom', () => {
    const { cluster1 } = twoClusters();
    const { chart } = install({ cluster: cluster1, delivery: MeshDelivery.flux() });
    const objects = synthValid(chart);
    expect(findObject(objects, 'Namespace', 'istio-system').metadata.labels).toEqual({
      'istio.io/dataplane-mode': 'none',
      'topology.istio.io/network': 'network1',
    });
    expect(findObject(objects, 'HelmRelease', 'istiod').spec.valuesFrom).toEqual([
      { kind: 'Secret', name: 'cacerts', valuesKey: 'ca.crt', targetPath: 'podAnnotations.cdk8s-istio-ambient/cacerts-root', literal: true },
    ]);
    expect(unknownValueKeys('istiod', { podAnnotations: { 'cdk8s-istio-ambient/cacerts-root': 'pem' } })).toEqual([]);
    expect(findObject(objects, 'HelmRelease', 'istio-base').spec.valuesFrom).toBeUndefined();
  });

  test('the plugged-in CA: cacerts Certificate from the shared root (facts doc §1.1), field for field', () => {
    const { cluster1 } = twoClusters();
    const objects = synthValid(install({ cluster: cluster1, delivery: MeshDelivery.flux() }).chart);
    expect(findObject(objects, 'ClusterIssuer', 'mesh-root')).toEqual({
      apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'mesh-root' }, spec: { ca: { secretName: 'mesh-root-ca' } },
    });
    expect(findObject(objects, 'Certificate', 'cacerts')).toEqual({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'cacerts', namespace: 'istio-system' },
      spec: {
        secretName: 'cacerts',
        isCA: true,
        commonName: 'Intermediate CA',
        subject: { organizations: ['Istio'], localities: ['cluster1'] },
        dnsNames: ['istiod.istio-system.svc'],
        duration: '8760h',
        privateKey: { algorithm: 'RSA', size: 4096 },
        usages: ['digital signature', 'key encipherment', 'cert sign'],
        issuerRef: { name: 'mesh-root', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      },
    });
  });

  test('Argo CD: namespace at wave -3, CA at wave -2, before base at 0', () => {
    const { cluster1 } = twoClusters();
    const objects = synthValid(install({ cluster: cluster1, delivery: MeshDelivery.argoCd() }).chart);
    const wave = (kind: string, name: string) => findObject(objects, kind, name).metadata.annotations['argocd.argoproj.io/sync-wave'];
    expect(findObject(objects, 'Namespace', 'istio-system').metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'none', 'topology.istio.io/network': 'network1' });
    expect([wave('Namespace', 'istio-system'), wave('ClusterIssuer', 'mesh-root'), wave('Certificate', 'cacerts'), wave('Application', 'istio-base')]).toEqual(['-3', '-2', '-2', '0']);
  });

  test('helm CLI: the namespace and CA are applied and the Certificate awaited before base and istiod', () => {
    const { cluster1 } = twoClusters();
    const plan = install({ cluster: cluster1 }).mesh.helmInstall();
    expect(plan.commands.slice(0, 4)).toEqual([
      'kubectl apply --server-side -f mesh-prerequisites.yaml',
      'kubectl wait --for=condition=Ready certificate/cacerts --namespace istio-system --timeout=5m',
      'helm repo add istio https://istio-release.storage.googleapis.com/charts',
      'helm repo update istio',
    ]);
    expect(plan.commands[4]).toMatch(/^helm upgrade --install istio-base /);
    const docs = parseAllDocuments(plan.files['mesh-prerequisites.yaml']).map(d => d.toJS());
    expect(docs.map((d: any) => `${d.kind}/${d.metadata.name}`)).toEqual(['Namespace/istio-system', 'ClusterIssuer/mesh-root', 'Certificate/cacerts']);
    expect(plan.files['README.md']).toContain('the mesh namespace and the cacerts Certificate (wait until Ready), then base, then the Gateway API CRDs, then istiod, then cni, then ztunnel.');
    expect(plan.files['README.md']).toContain([
      'Once every cluster of mesh mesh1 is installed, give each istiod read access to the other clusters',
      '(the remote secrets hold credentials, so they are never generated into files):',
      '',
      '```sh',
      'istioctl create-remote-secret --context=cluster1 --name=cluster1 | kubectl apply --context=cluster2 -f -',
      'istioctl create-remote-secret --context=cluster2 --name=cluster2 | kubectl apply --context=cluster1 -f -',
      '```',
    ].join('\n'));
  });

  test('remote secrets: the istioctl commands for every ordered pair, never the Secrets', () => {
    const mesh = new MultiClusterMesh({ meshId: 'mesh1', certificateAuthority: certManagerCa() });
    const c1 = mesh.addCluster({ clusterName: 'cluster1', network: 'network1', kubeContext: 'kind-east' });
    const c2 = mesh.addCluster({ clusterName: 'cluster2', network: 'network2' });
    expect(mesh.remoteSecretCommands()).toEqual([
      'istioctl create-remote-secret --context=kind-east --name=cluster1 | kubectl apply --context=cluster2 -f -',
      'istioctl create-remote-secret --context=cluster2 --name=cluster2 | kubectl apply --context=kind-east -f -',
    ]);
    expect(c2.remoteSecretName(c1)).toBe('istio-remote-secret-cluster1');
    expect(mesh.clusters.map(c => c.clusterName)).toEqual(['cluster1', 'cluster2']);
  });
});

describe('istio-csr (facts doc §1.2)', () => {
  test('istiod and ztunnel ask istio-csr; istiod CA server off; istio-csr values match the mesh', () => {
    const { cluster1 } = twoClusters(istioCsrCa());
    const { mesh, chart } = install({ cluster: cluster1, delivery: MeshDelivery.flux() });
    const istiod = mesh.valuesFor(IstioChart.ISTIOD);
    expect(istiod.env).toEqual({ AMBIENT_ENABLE_BAGGAGE: 'true', AMBIENT_ENABLE_MULTI_NETWORK: 'true', ENABLE_CA_SERVER: 'false' });
    expect(istiod.global.caAddress).toBe('cert-manager-istio-csr.cert-manager.svc:443');
    expect(mesh.valuesFor(IstioChart.ZTUNNEL).caAddress).toBe('cert-manager-istio-csr.cert-manager.svc:443');
    expectKnownKeys(mesh);
    const objects = synthValid(chart);
    expect(findObject(objects, 'HelmRepository', 'jetstack').spec).toEqual({ interval: '1h', url: 'https://charts.jetstack.io' });
    const csr = findObject(objects, 'HelmRelease', 'cert-manager-istio-csr');
    expect(csr.metadata.namespace).toBe('cert-manager');
    expect(csr.spec.chart.spec).toEqual({ chart: 'cert-manager-istio-csr', version: 'v0.17.0', sourceRef: { kind: 'HelmRepository', name: 'jetstack', namespace: 'flux-system' } });
    expect(csr.spec.values).toEqual({
      app: {
        certmanager: { namespace: 'istio-system', issuer: { name: 'istio-ca', kind: 'Issuer', group: 'cert-manager.io' } },
        istio: { revisions: ['default'] },
        server: { clusterID: 'cluster1', caTrustedNodeAccounts: 'istio-system/ztunnel' },
        tls: { trustDomain: 'cluster.local', rootCAFile: '/var/run/secrets/istio-csr/ca.pem' },
      },
      volumeMounts: [{ name: 'root-ca', mountPath: '/var/run/secrets/istio-csr' }],
      volumes: [{ name: 'root-ca', secret: { secretName: 'istio-root-ca' } }],
    });
    // HelmRelease dependsOn names HelmReleases only: the install chain starts after istio-csr.
    expect(findObject(objects, 'HelmRelease', 'istio-base').spec.dependsOn).toEqual([{ name: 'cert-manager-istio-csr', namespace: 'cert-manager' }]);
    expect(findObject(objects, 'HelmRelease', 'istiod').spec.valuesFrom).toBeUndefined();
    expect(objects.filter(o => o.kind === 'Certificate')).toEqual([]);
  });

  test('Argo CD: the istio-csr Application syncs at wave -1; helm CLI installs it before base', () => {
    const { chart, mesh } = install({ certificateAuthority: istioCsrCa(), trustDomain: 'mesh.example.com', delivery: MeshDelivery.argoCd() });
    const objects = synthValid(chart);
    const app = findObject(objects, 'Application', 'cert-manager-istio-csr');
    expect(app.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '-1' });
    expect(app.spec.source).toMatchObject({ repoURL: 'https://charts.jetstack.io', chart: 'cert-manager-istio-csr', targetRevision: 'v0.17.0' });
    expect(app.spec.source.helm.valuesObject.app.tls.trustDomain).toBe('mesh.example.com');
    expect(app.spec.source.helm.valuesObject.app.server.clusterID).toBe('Kubernetes');
    const commands = mesh.helmInstall().commands;
    expect(commands.slice(0, 4)).toEqual([
      'kubectl apply --server-side -f mesh-prerequisites.yaml',
      'helm repo add jetstack https://charts.jetstack.io',
      'helm repo update jetstack',
      'helm upgrade --install cert-manager-istio-csr jetstack/cert-manager-istio-csr --version v0.17.0 --namespace cert-manager --values values-istio-csr.yaml --wait',
    ]);
  });
});

describe('east-west gateway (facts doc §2.2 = gen-eastwest-gateway.sh --network network1 --ambient, 1.30.3)', () => {
  test('field for field', () => {
    const { cluster1 } = twoClusters();
    const chart = new Chart(Testing.app(), 'net');
    new EastWestGateway(chart, 'eastwest', { cluster: cluster1 });
    expect(synthValid(chart)).toEqual([{
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'istio-eastwestgateway', namespace: 'istio-system', labels: { 'topology.istio.io/network': 'network1' } },
      spec: {
        gatewayClassName: 'istio-east-west',
        listeners: [{
          name: 'mesh',
          port: 15008,
          protocol: 'HBONE',
          tls: { mode: 'Terminate', options: { 'gateway.istio.io/tls-terminate-mode': 'ISTIO_MUTUAL' } },
        }],
      },
    }]);
  });
});

describe('global services and waypoints (facts doc §2.4, §2.5)', () => {
  test('the Service and the waypoint Gateway are labelled istio.io/global', () => {
    const chart = new Chart(Testing.app(), 'sample', { namespace: 'sample' });
    const ns = new AmbientNamespace(chart, 'ns', { name: 'sample' });
    const waypoint = ns.addWaypoint('waypoint');
    const service = new kplus.Service(chart, 'svc', { metadata: { name: 'helloworld' }, ports: [{ port: 5000 }] });
    MeshCluster.globalService(service);
    MeshCluster.globalWaypoint(waypoint);
    const objects = synthValid(chart);
    expect(findObject(objects, 'Service', 'helloworld').metadata.labels).toEqual({ 'istio.io/global': 'true' });
    expect(findObject(objects, 'Gateway', 'waypoint').metadata.labels).toEqual({ 'istio.io/global': 'true' });
  });
});

describe('trust domain and aliases', () => {
  test('meshConfig.trustDomain and trustDomainAliases; policies and waypoints take the mesh trust domain', () => {
    const app = Testing.app();
    const istio = new Chart(app, 'istio');
    const m = new AmbientMesh(istio, 'mesh', { trustDomain: 'mesh.example.com', trustDomainAliases: ['old.example.com'] });
    expect(m.valuesFor(IstioChart.ISTIOD).meshConfig).toEqual({ trustDomain: 'mesh.example.com', trustDomainAliases: ['old.example.com'] });
    const chart = new Chart(app, 'sample', { namespace: 'sample' });
    const ns = new AmbientNamespace(chart, 'ns', { name: 'sample' });
    const waypoint = ns.addWaypoint('waypoint');
    expect(waypoint.principal).toBe('mesh.example.com/ns/sample/sa/waypoint');
    const policy = new ZeroTrustPolicy(chart, 'zt', { namespace: 'sample' });
    expect(policy.trustDomain).toBe('mesh.example.com');
    policy.allowFrom(PolicySource.serviceAccountName('other', 'curl'), { methods: ['GET'] });
    const objects = synthValid(chart);
    expect(findObject(objects, 'AuthorizationPolicy', 'require-waypoint').spec.rules).toEqual([{ from: [{ source: { principals: ['mesh.example.com/ns/sample/sa/waypoint'] } }] }]);
  });

  test('an alias principal at a waypoint is accepted (istiod expands it)', () => {
    const app = Testing.app();
    new AmbientMesh(new Chart(app, 'istio'), 'mesh', { trustDomain: 'mesh.example.com', trustDomainAliases: ['old.example.com'] });
    const chart = new Chart(app, 'sample', { namespace: 'sample' });
    new AmbientNamespace(chart, 'ns', { name: 'sample' }).addWaypoint('waypoint');
    const policy = new ZeroTrustPolicy(chart, 'zt', { namespace: 'sample' });
    policy.allowFrom(PolicySource.identity(MeshIdentity.fromServiceAccountName('other', 'curl', 'old.example.com')), { methods: ['GET'] });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('the example: two clusters, two networks, plugged-in CA, a global service with a waypoint', () => {
  test('one App per cluster; the policy admits curl from either cluster by its cluster-independent identity', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const example = require('../examples/multicluster-ambient');
    const apps: App[] = example.build(Testing.app());
    expect(apps.map(a => a.charts.map(c => c.node.id))).toEqual([['istio', 'mesh-network', 'sample'], ['istio', 'mesh-network', 'sample']]);
    for (const [i, app] of apps.entries()) {
      const [istio, network, sample] = app.charts.map(c => synthValid(c));
      expect(findObject(istio, 'Namespace', 'istio-system').metadata.labels['topology.istio.io/network']).toBe(`network${i + 1}`);
      expect(findObject(istio, 'Certificate', 'cacerts').spec.issuerRef).toEqual({ name: 'mesh-root', kind: 'ClusterIssuer', group: 'cert-manager.io' });
      expect(findObject(network, 'Gateway', 'istio-eastwestgateway').metadata.labels).toEqual({ 'topology.istio.io/network': `network${i + 1}` });
      expect(findObject(sample, 'Service', 'helloworld').metadata.labels['istio.io/global']).toBe('true');
      expect(findObject(sample, 'Gateway', 'waypoint').metadata.labels['istio.io/global']).toBe('true');
      expect(findObject(sample, 'AuthorizationPolicy', 'helloworld-waypoint').spec.rules).toEqual([{
        from: [{ source: { principals: ['mesh.example.com/ns/sample/sa/curl'] } }],
        to: [{ operation: { methods: ['GET'] } }],
      }]);
    }
  });
});

describe('refusals: construct path, bad value and fix', () => {
  const ca = () => MeshCertificateAuthority.certManager({ rootIssuer: { name: 'mesh-root' } });
  const csr = () => MeshCertificateAuthority.istioCsr({ issuer: { name: 'istio-ca' } });
  const cluster = (authority?: MeshCertificateAuthority) =>
    new MultiClusterMesh({ meshId: 'mesh1', trustDomain: 'mesh.example.com', certificateAuthority: authority }).addCluster({ clusterName: 'cluster1', network: 'network1' });
  const mesh = (props: AmbientMeshProps) => () => install(props);

  test('a second cluster without a shared root', () => {
    const m = new MultiClusterMesh({ meshId: 'mesh1' });
    m.addCluster({ clusterName: 'c1', network: 'n1' });
    expect(() => m.addCluster({ clusterName: 'c2', network: 'n2' })).toThrow(
      '[MultiClusterMesh mesh1] cannot add cluster "c2": clusters "c1", "c2" use istiod\'s built-in CA, which generates a self-signed root in each cluster, so workloads cannot verify peers in other clusters. Set certificateAuthority to MeshCertificateAuthority.certManager({ rootIssuer }) or istioCsr({ issuer }) with one root shared by every cluster.');
  });

  test('a cluster install without a shared root', () => {
    expect(mesh({ cluster: cluster() })).toThrow(
      '[istio/mesh] cluster "cluster1" of mesh "mesh1" has no shared root of trust: istiod\'s built-in CA generates a self-signed root per cluster, so workloads in other clusters fail mTLS. Set certificateAuthority on the MultiClusterMesh (MeshCertificateAuthority.certManager({ rootIssuer }) or istioCsr({ issuer })).');
  });

  test('a cluster on another root, or another trust domain, or with its own aliases', () => {
    expect(mesh({ cluster: cluster(ca()), certificateAuthority: MeshCertificateAuthority.certManager({ rootIssuer: { name: 'other-root' } }) })).toThrow(
      '[istio/mesh] certificateAuthority chains to ClusterIssuer/other-root, but mesh "mesh1" uses ClusterIssuer/mesh-root: cross-cluster mTLS needs one shared root. Drop certificateAuthority; the cluster\'s mesh sets it.');
    expect(mesh({ cluster: cluster(ca()), trustDomain: 'other.org' })).toThrow(
      '[istio/mesh] trustDomain "other.org" differs from the trust domain "mesh.example.com" of mesh "mesh1": every cluster of an ambient mesh uses one trust domain (ztunnel gets no aliases). Drop trustDomain; the cluster\'s mesh sets it.');
    expect(mesh({ cluster: cluster(ca()), trustDomainAliases: ['old'] })).toThrow(
      '[istio/mesh] trustDomainAliases is set on a cluster of mesh "mesh1"; set them on the MultiClusterMesh so every cluster has the same aliases.');
  });

  test('single-network and duplicate clusters (Istio 1.30 ambient supports multi-network only)', () => {
    const m = new MultiClusterMesh({ meshId: 'mesh1', certificateAuthority: ca() });
    m.addCluster({ clusterName: 'c1', network: 'n1' });
    expect(() => m.addCluster({ clusterName: 'c2', network: 'n1' })).toThrow(
      '[MultiClusterMesh mesh1] cluster "c2" is on network "n1" like cluster "c1": ambient multicluster in Istio 1.30 supports only multi-network (each cluster on its own network, reached through its east-west gateway); single-network is untested upstream. Give each cluster its own network.');
    expect(() => m.addCluster({ clusterName: 'c1', network: 'n2' })).toThrow(
      '[MultiClusterMesh mesh1] cluster "c1" is already declared; give every cluster its own clusterName (istiod keys remote secrets and CSRs by it).');
  });

  test('istio-csr and the built-in CA both on, or another CA address', () => {
    expect(mesh({ certificateAuthority: csr(), istiod: { env: { ENABLE_CA_SERVER: 'true' } } })).toThrow(
      '[istio/mesh] istiod.env sets ENABLE_CA_SERVER="true" while istio-csr is the CA: istiod\'s built-in CA and istio-csr would both sign workload certificates. Remove ENABLE_CA_SERVER; the library sets it to "false".');
    expect(mesh({ certificateAuthority: csr(), values: { istiod: { pilot: { env: { ENABLE_CA_SERVER: 'true' } } } } })).toThrow(
      '[istio/mesh] values.istiod sets ENABLE_CA_SERVER="true" while istio-csr is the CA: istiod\'s built-in CA and istio-csr would both sign workload certificates. Remove ENABLE_CA_SERVER; the library sets it to "false".');
    expect(mesh({ certificateAuthority: csr(), values: { ztunnel: { caAddress: 'istiod.istio-system.svc:15012' } } })).toThrow(
      '[istio/mesh] values.ztunnel.caAddress is "istiod.istio-system.svc:15012", but istio-csr serves at "cert-manager-istio-csr.cert-manager.svc:443": istiod, waypoints and ztunnel must all ask istio-csr. Remove the value; the library sets it.');
    expect(mesh({ certificateAuthority: ca(), istiod: { env: { ENABLE_CA_SERVER: 'false' } } })).toThrow(
      '[istio/mesh] istiod.env sets ENABLE_CA_SERVER="false", but the plugged-in CA (Secret cacerts) is served by istiod\'s CA server. Remove it, or use MeshCertificateAuthority.istioCsr().');
  });

  test('values that contradict the cluster', () => {
    expect(mesh({ cluster: cluster(ca()), values: { ztunnel: { multiCluster: { clusterName: 'Kubernetes' } } } })).toThrow(
      '[istio/mesh] values.ztunnel.multiCluster.clusterName is "Kubernetes", but cluster "cluster1" says "cluster1": istiod and ztunnel must agree (a different cluster ID makes istiod reject ztunnel\'s certificate requests). Remove the value; the cluster sets it.');
    expect(mesh({ cluster: cluster(ca()), istiod: { env: { AMBIENT_ENABLE_MULTI_NETWORK: 'false' } } })).toThrow(
      '[istio/mesh] istiod.env sets AMBIENT_ENABLE_MULTI_NETWORK="false", but a multi-cluster ambient mesh needs it "true" (Istio 1.30 ambient multicluster). Remove it; the cluster sets it.');
    expect(mesh({ cluster: cluster(ca()), values: { istiod: { meshConfig: { serviceScopeConfigs: [{ scope: 'LOCAL' }] } } } })).toThrow(
      '[istio/mesh] values.istiod.meshConfig.serviceScopeConfigs replaces the ambient profile\'s list (Helm replaces lists), dropping the entry that makes Services labelled istio.io/global: "true" global. Include {"servicesSelector":{"matchExpressions":[{"key":"istio.io/global","operator":"In","values":["true"]}]},"scope":"GLOBAL"} in your list.');
  });

  test('bad aliases and intermediate lifetimes', () => {
    expect(() => new MultiClusterMesh({ meshId: 'mesh1', trustDomain: 'td', trustDomainAliases: ['td'] })).toThrow(
      '[MultiClusterMesh mesh1] alias "td" is the trust domain itself; drop it from the aliases.');
    expect(mesh({ trustDomainAliases: ['spiffe://old'] })).toThrow(
      '[istio/mesh] trustDomainAliases: alias: trust domain "spiffe://old" contains "spiffe://" or "/": give only the host part of the SPIFFE ID, e.g. "cluster.local".');
    expect(mesh({ certificateAuthority: MeshCertificateAuthority.certManager({ rootIssuer: { name: 'r' }, intermediateDuration: Duration.minutes(90) }) })).toThrow(
      '[istio/mesh] intermediateDuration is 1.5h; give whole hours, at least 24 (cert-manager renews at 2/3 of the lifetime).');
  });

  test('a waypoint reference cannot be made global', () => {
    const chart = new Chart(Testing.app(), 'x');
    expect(() => MeshCluster.globalWaypoint(Waypoint.fromName(chart, 'w', 'waypoint', { namespace: 'sample' }))).toThrow(
      '[x/w] waypoint "sample/waypoint" is a reference (Waypoint.fromName); label the Gateway that declares it with istio.io/global: "true".');
  });

  function sampleApp(meshFirst: boolean, source: PolicySource, l4: boolean): App {
    const app = Testing.app();
    const declareMesh = () => new AmbientMesh(new Chart(app, 'istio'), 'mesh', { trustDomain: 'mesh.example.com', trustDomainAliases: ['old.example.com'] });
    if (meshFirst) declareMesh();
    const chart = new Chart(app, 'sample', { namespace: 'sample' });
    const ns = new AmbientNamespace(chart, 'ns', { name: 'sample' });
    if (!l4) ns.addWaypoint('waypoint');
    const policy = new ZeroTrustPolicy(chart, 'zt', { namespace: 'sample' });
    if (l4) policy.allowFrom(source, { to: PolicyTarget.pods('httpbin', { app: 'httpbin' }), ports: [8080] });
    else policy.allowFrom(source, { methods: ['GET'] });
    if (!meshFirst) declareMesh();
    return app;
  }
  const identity = (td: string) => PolicySource.identity(MeshIdentity.fromServiceAccountName('other', 'curl', td));

  test('a principal whose trust domain is neither the domain nor an alias', () => {
    expect(() => sampleApp(true, identity('other.org'), false).synth()).toThrow(
      '[istio/mesh] [sample/zt/namespace-waypoint] AuthorizationPolicy sample/namespace-waypoint rules[0].from.source.principals: principal "other.org/ns/other/sa/curl" names trust domain "other.org", which is neither the mesh trust domain "mesh.example.com" nor an alias (aliases "old.example.com"), so it matches no workload of this mesh. Write "mesh.example.com/ns/other/sa/curl" (or pass the mesh\'s trustDomain), or add "other.org" to trustDomainAliases if it is the mesh\'s former domain (honoured by waypoints only).');
  });

  test('an alias principal enforced by ztunnel (matched literally: silently denies)', () => {
    expect(() => sampleApp(true, identity('old.example.com'), true).synth()).toThrow(
      '[istio/mesh] [sample/zt/httpbin-workload-ztunnel] AuthorizationPolicy sample/httpbin-workload-ztunnel rules[0].from.source.principals: principal "old.example.com/ns/other/sa/curl" is enforced by ztunnel, which matches principals literally (no "cluster.local" pointer and no alias expansion, istio/ztunnel#1260), while peers present "mesh.example.com": the rule silently never matches (an ALLOW then denies). Write "mesh.example.com/ns/other/sa/curl" (or pass the mesh\'s trustDomain), or use PolicySource.serviceAccountAnyTrustDomain("other", "curl") (source.serviceAccounts, which names no trust domain).');
  });

  test('a policy and a waypoint declared before the mesh take its trust domain (principals are written at synth)', () => {
    const sampleChart = (app: App) => Testing.synth(app.node.findChild('sample') as Chart);
    for (const l4 of [true, false]) {
      const late = sampleChart(sampleApp(false, PolicySource.serviceAccountName('other', 'curl'), l4));
      expect(late).toEqual(sampleChart(sampleApp(true, PolicySource.serviceAccountName('other', 'curl'), l4)));
      const principals = late.filter(o => o.kind === 'AuthorizationPolicy')
        .flatMap(o => (o.spec.rules ?? []).flatMap((r: any) => (r.from ?? []).flatMap((f: any) => f.source.principals ?? [])));
      expect(principals.sort()).toEqual(l4 ? ['mesh.example.com/ns/other/sa/curl'] : ['mesh.example.com/ns/other/sa/curl', 'mesh.example.com/ns/sample/sa/waypoint']);
    }
  });
});

describe('ingress-use-waypoint across clusters (istio/istio#61092)', () => {
  function app(version: string | undefined, ingressUseWaypoint: boolean): App {
    const a = Testing.app();
    const mesh = new MultiClusterMesh({ meshId: 'mesh1', certificateAuthority: MeshCertificateAuthority.certManager({ rootIssuer: { name: 'mesh-root' } }) });
    new AmbientMesh(new Chart(a, 'istio'), 'mesh', { cluster: mesh.addCluster({ clusterName: 'cluster1', network: 'network1' }), version });
    const chart = new Chart(a, 'sample', { namespace: 'sample' });
    new AmbientNamespace(chart, 'ns', { name: 'sample', ingressUseWaypoint }).addWaypoint('waypoint');
    MeshCluster.globalService(new kplus.Service(chart, 'svc', { metadata: { name: 'helloworld' }, ports: [{ port: 5000 }] }));
    return a;
  }

  test('refused on 1.30.3 for a global Service whose namespace sends ingress through the waypoint', () => {
    expect(() => app(undefined, true).synth()).toThrow(
      '[istio/mesh] [sample/svc/Resource] Service sample/helloworld is global and sets istio.io/ingress-use-waypoint, but ingress gateways of istiod 1.30.3 skip the waypoint of a global service with workloads on another network (istio/istio#61092, fixed on release-1.30 after 1.30.3), so waypoint policies are not enforced for ingress traffic. Use a 1.30 patch whose release notes list istio#61092, or enforce the ingress rules at the ingress gateway and drop istio.io/ingress-use-waypoint.');
  });

  test('accepted without ingress-use-waypoint, and on a later 1.30 patch', () => {
    expect(() => app(undefined, false).synth()).not.toThrow();
    expect(() => app('1.30.5', true).synth()).not.toThrow();
  });
});

describe('declaration order', () => {
  test('remote-secret commands and cluster output do not depend on the order clusters and constructs are declared', () => {
    const build = (reverse: boolean) => {
      const mesh = new MultiClusterMesh({ meshId: 'mesh1', certificateAuthority: MeshCertificateAuthority.certManager({ rootIssuer: { name: 'mesh-root' } }) });
      const specs = [{ clusterName: 'cluster1', network: 'network1' }, { clusterName: 'cluster2', network: 'network2' }];
      const clusters = (reverse ? [...specs].reverse() : specs).map(s => mesh.addCluster(s));
      const c1 = clusters.find(c => c.clusterName === 'cluster1')!;
      const chart = new Chart(Testing.app(), 'istio', { disableResourceNameHashes: true });
      const network = new Chart(chart.node.scope as App, 'net', { disableResourceNameHashes: true });
      if (reverse) new EastWestGateway(network, 'eastwest', { cluster: c1 });
      new AmbientMesh(chart, 'mesh', { cluster: c1, delivery: MeshDelivery.flux() });
      if (!reverse) new EastWestGateway(network, 'eastwest', { cluster: c1 });
      return { commands: mesh.remoteSecretCommands(), yaml: JSON.stringify([Testing.synth(chart), Testing.synth(network)]) };
    };
    expect(build(true)).toEqual(build(false));
  });
});

describe('PolicySource.serviceAccountAnyTrustDomain: source.serviceAccounts, matched without the trust domain', () => {
  test('ztunnel and waypoint rules; DENY projections exclude the waypoint with notServiceAccounts (never notPrincipals)', () => {
    const app = Testing.app();
    new AmbientMesh(new Chart(app, 'istio'), 'mesh', { trustDomain: 'mesh.example.com', trustDomainAliases: ['old.example.com'] });
    const chart = new Chart(app, 'sample', { namespace: 'sample' });
    new AmbientNamespace(chart, 'ns', { name: 'sample' });
    const mesh = new Chart(app, 'mesh-policy');
    const waypointChart = new Chart(app, 'wp', { namespace: 'edge' });
    new AmbientNamespace(waypointChart, 'ns', { name: 'edge' }).addWaypoint('waypoint');
    new ZeroTrustPolicy(waypointChart, 'zt', { namespace: 'edge' })
      .allowFrom(PolicySource.serviceAccountAnyTrustDomain('other', 'curl'), { methods: ['GET'] });
    const policy = new ZeroTrustPolicy(chart, 'zt', { namespace: 'sample' });
    policy.allowFrom(PolicySource.serviceAccountAnyTrustDomain('other', 'curl'), { to: PolicyTarget.pods('httpbin', { app: 'httpbin' }), ports: [8080] });
    new ZeroTrustPolicy(mesh, 'mesh-wide', { meshWide: true, defaultDeny: false })
      .denyFrom(PolicySource.serviceAccountAnyTrustDomain('legacy', 'batch'), { ports: [5432] });
    const objects = synthValid(chart);
    expect(findObject(objects, 'AuthorizationPolicy', 'httpbin-workload-ztunnel').spec.rules).toEqual([
      { from: [{ source: { serviceAccounts: ['other/curl'] } }], to: [{ operation: { ports: ['8080'] } }] },
    ]);
    expect(findObject(synthValid(waypointChart), 'AuthorizationPolicy', 'namespace-waypoint').spec.rules).toEqual([
      { from: [{ source: { serviceAccounts: ['other/curl'] } }], to: [{ operation: { methods: ['GET'] } }] },
    ]);
    const deny = findObject(synthValid(mesh), 'AuthorizationPolicy', 'mesh-ztunnel-deny');
    expect(deny.spec.rules).toEqual([{
      from: [{ source: { notServiceAccounts: ['edge/waypoint'], serviceAccounts: ['legacy/batch'] } }],
      to: [{ operation: { ports: ['5432'] } }],
    }]);
    app.synth();
    // Istio's CEL rule (serviceAccounts never with principals or namespaces) holds: crdcheck admits all.
    const shared = findShared();
    const out = execFileSync(process.execPath, [path.join(shared, 'tools', 'crdcheck', 'crdcheck.mjs'), '--crds', path.join(shared, 'upstream'), app.outdir], { encoding: 'utf8' });
    expect(out).toMatch(/, 0 errors, /);
  });
});

describe('refusals: names', () => {
  test('issuer, cluster, network and gateway names', () => {
    expect(() => MeshCertificateAuthority.certManager({ rootIssuer: { name: 'Mesh_Root' } })).toThrow(
      '[MeshCertificateAuthority.certManager()] rootIssuer.name "Mesh_Root" is not a valid object name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit.');
    expect(() => MeshCertificateAuthority.istioCsr({ issuer: { name: 'istio-ca' }, namespace: 'Cert-Manager' })).toThrow(
      '[MeshCertificateAuthority.istioCsr()] namespace "Cert-Manager" is not a valid namespace name: use at most 63 lowercase letters, digits and \'-\', starting and ending with a letter or digit.');
    const mesh = new MultiClusterMesh({ meshId: 'mesh1', certificateAuthority: certManagerCa() });
    expect(() => mesh.addCluster({ clusterName: 'cluster1', network: 'Network 1' })).toThrow(
      '[MultiClusterMesh mesh1] network "Network 1" is not a valid object name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit.');
    const cluster1 = mesh.addCluster({ clusterName: 'cluster1', network: 'network1' });
    expect(() => new EastWestGateway(new Chart(Testing.app(), 'net'), 'eastwest', { cluster: cluster1, name: 'east.west' })).toThrow(
      '[net/eastwest] name "east.west" is not a valid name: use at most 63 lowercase letters, digits and \'-\', starting with a letter and ending with a letter or digit.');
  });
});
