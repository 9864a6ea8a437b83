/**
 * Conformance vectors for the multi-cluster and plugged-in-CA output: each names the upstream file
 * (Istio tag 1.30.3 unless said otherwise) whose behaviour the library relies on, restated here.
 */
import { Chart, Testing } from 'cdk8s';
import { AmbientMesh, EastWestGateway, IstioChart, MeshCertificateAuthority, MultiClusterMesh } from '../../src';
import { GLOBAL_SERVICE_SCOPE } from '../../src/_mesh-trust-install';
import { caAcceptsLocalClient } from '../../src/semantics/multicluster';

function cluster(ca = MeshCertificateAuthority.certManager({ rootIssuer: { name: 'mesh-root' } })) {
  return new MultiClusterMesh({ meshId: 'mesh1', certificateAuthority: ca }).addCluster({ clusterName: 'cluster1', network: 'network1' });
}
function install(c = cluster()) {
  const chart = new Chart(Testing.app(), 'istio');
  return { chart, mesh: new AmbientMesh(chart, 'mesh', { cluster: c }) };
}

describe('multicluster conformance (Istio 1.30.3)', () => {
  test('samples/multicluster/gen-eastwest-gateway.sh --network network1 --ambient', () => {
    const chart = new Chart(Testing.app(), 'net');
    new EastWestGateway(chart, 'eastwest', { cluster: cluster() });
    // The script's ambient branch prints this Gateway (name, namespace, network label, class, one listener).
    expect(Testing.synth(chart)).toEqual([{
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'istio-eastwestgateway', namespace: 'istio-system', labels: { 'topology.istio.io/network': 'network1' } },
      spec: {
        gatewayClassName: 'istio-east-west',
        listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE', tls: { mode: 'Terminate', options: { 'gateway.istio.io/tls-terminate-mode': 'ISTIO_MUTUAL' } } }],
      },
    }]);
  });

  test('manifests/helm-profiles/ambient.yaml: the serviceScopeConfigs entry for istio.io/global', () => {
    // meshConfig.serviceScopeConfigs: [{servicesSelector: {matchExpressions: [{key: istio.io/global,
    // operator: In, values: ["true"]}]}, scope: GLOBAL}] in the profile; Helm replaces lists, so the
    // library writes the same entry itself.
    expect(GLOBAL_SERVICE_SCOPE).toEqual({ servicesSelector: { matchExpressions: [{ key: 'istio.io/global', operator: 'In', values: ['true'] }] }, scope: 'GLOBAL' });
    expect(install().mesh.valuesFor(IstioChart.ISTIOD).meshConfig.serviceScopeConfigs).toEqual([GLOBAL_SERVICE_SCOPE]);
  });

  test('pilot/pkg/features/ambient.go: AMBIENT_ENABLE_MULTI_NETWORK and AMBIENT_ENABLE_BAGGAGE default to false', () => {
    // registerAmbient("AMBIENT_ENABLE_MULTI_NETWORK", false, ...) and ("AMBIENT_ENABLE_BAGGAGE", false, ...):
    // a multi-cluster install must turn both on.
    expect(install().mesh.valuesFor(IstioChart.ISTIOD).env).toEqual({ AMBIENT_ENABLE_BAGGAGE: 'true', AMBIENT_ENABLE_MULTI_NETWORK: 'true' });
  });

  test('manifests/charts/ztunnel/templates/daemonset.yaml: NETWORK, ISTIO_META_CLUSTER_ID and CA_ADDRESS come from ztunnel\'s own values', () => {
    // NETWORK from .Values.network (zzz_profile.yaml flattens global.* into the top level),
    // ISTIO_META_CLUSTER_ID from .Values.multiCluster.clusterName (default "Kubernetes"), CA_ADDRESS from
    // .Values.caAddress (default istiod.<ns>.svc:15012): istiod's values do not reach ztunnel.
    const csr = MeshCertificateAuthority.istioCsr({ issuer: { name: 'istio-ca' } });
    expect(install(cluster(csr)).mesh.valuesFor(IstioChart.ZTUNNEL)).toEqual({
      profile: 'ambient',
      global: { network: 'network1' },
      multiCluster: { clusterName: 'cluster1' },
      caAddress: 'cert-manager-istio-csr.cert-manager.svc:443',
    });
  });

  test('istio-discovery deployment.yaml and pilot/pkg/bootstrap/istio_ca.go: Secret cacerts in the istiod namespace, tls layout', () => {
    // The chart mounts Secret "cacerts" (optional: true) at /etc/cacerts; detectSigningCABundleAndCRL
    // uses tls.crt / tls.key / ca.crt when tls.crt exists (the kubernetes.io/tls layout cert-manager writes).
    const objects = Testing.synth(install().chart);
    const cert = objects.find(o => o.kind === 'Certificate');
    expect([cert.metadata.namespace, cert.spec.secretName, cert.spec.isCA]).toEqual(['istio-system', 'cacerts', true]);
  });
});

describe('istiod CA: which cluster a client may claim (istio 1.30.3 kube_jwt.go getKubeClient)', () => {
  // security/pkg/server/ca/authenticate/kubeauth/kube_jwt_test.go TestAuthenticate: a local client
  // with no "clusterid" metadata, or with istiod's own cluster ID ("Kubernetes" by default), is
  // authenticated against the local cluster; a claim of an alias maps to its cluster; a cluster istiod
  // does not know fails with `client claims to be in cluster "non-exist", but we only know about local
  // cluster "Kubernetes" ...`; a known remote cluster validates the token against that cluster's API
  // server, where a token of this cluster does not authenticate.
  test.each([
    ['no cluster ID sent (single cluster)', 'cluster1', '', {}, true],
    ['the same cluster ID', 'cluster1', 'cluster1', {}, true],
    ['both unset: both are "Kubernetes"', undefined, undefined, {}, true],
    ['istiod unset, ztunnel "Kubernetes"', undefined, 'Kubernetes', {}, true],
    ['an alias of istiod\'s cluster', 'cluster1', 'old-name', { 'old-name': 'cluster1' }, true],
    ['a cluster istiod does not know', 'Kubernetes', 'non-exist', {}, false],
    ['ztunnel unset ("Kubernetes") against istiod cluster1', 'cluster1', undefined, {}, false],
    ['another cluster of the mesh: its API server does not know this token', 'cluster1', 'cluster2', {}, false],
  ] as const)('%s', (_name, istiod, claimed, aliases, accepted) => {
    expect(caAcceptsLocalClient(istiod, claimed, { ...aliases })).toBe(accepted);
  });
});
