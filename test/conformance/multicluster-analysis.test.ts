/**
 * Conformance vectors for the multi-cluster analysis (cross-cluster checks AMB142-AMB150 and
 * check-access across clusters). Each vector names the upstream file and test (Istio tag 1.30.3
 * unless said otherwise) whose behaviour the analyzer relies on, restated here with manifests
 * written for this project; each check has a flagged and a clean vector.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { MeshAnalyzer } from '../../src';
import { multiNetworkEnabled, networkGatewayNetwork, remoteSecretClusters, serviceScopeIsGlobal } from '../../src/semantics/multicluster';
import { sharedTrustProblems } from '../../src/semantics/trust';

const BASE = path.join(__dirname, '..', 'fixtures', 'analyzer', 'multicluster', 'quiet', 'amb145-east-west-gateways');
const read = (cluster: string): any[] => parseAllDocuments(fs.readFileSync(path.join(BASE, cluster, 'mesh.yaml'), 'utf8')).map(d => d.toJS());

/** Two clusters (network1, network2, one root, one mesh ID, east-west gateways, global shop/api), each changed by a function. */
function clusters(change1: (o: any[]) => any[] = o => o, change2: (o: any[]) => any[] = o => o): MeshAnalyzer {
  return MeshAnalyzer.fromClusters([
    { name: 'cluster1', analyzer: MeshAnalyzer.fromObjects(change1(read('cluster1'))) },
    { name: 'cluster2', analyzer: MeshAnalyzer.fromObjects(change2(read('cluster2'))) },
  ]);
}
const codes = (a: MeshAnalyzer) => a.analyze().map(f => `${f.code} ${f.cluster}`);
const istiodValues = (objects: any[], change: (v: any) => any) => objects.map(o => (o.kind === 'HelmRelease' && o.metadata.name === 'istiod'
  ? { ...o, spec: { ...o.spec, values: change(JSON.parse(JSON.stringify(o.spec.values))) } } : o));

interface Vector {
  readonly name: string;
  /** upstream file, test and tag */
  readonly cite: string;
  readonly analyzer: () => MeshAnalyzer;
  readonly expect: string[];
}

const VECTORS: Vector[] = [
  {
    name: 'AMB142 flagged: istio-system without the network label',
    cite: 'istio 1.30.3 pilot/pkg/serviceregistry/ambient/networks.go buildGlobalNetworkCollections (LocalSystemNamespaceNetwork: no label, no network); ambientindex_test.go TestAmbientSystemNamespaceNetworkChange',
    analyzer: () => clusters(o => o, o => o.map(x => (x.kind === 'Namespace' && x.metadata.name === 'istio-system' ? { ...x, metadata: { name: 'istio-system' } } : x))),
    expect: ['AMB142 cluster2'],
  },
  {
    name: 'AMB142 flagged: ztunnel claims another cluster ID than istiod',
    cite: 'istio 1.30.3 security/pkg/server/ca/authenticate/kubeauth/kube_jwt_test.go TestAuthenticate "not found remote cluster results in error"; manifests/charts/ztunnel/templates/daemonset.yaml ISTIO_META_CLUSTER_ID from .Values.multiCluster.clusterName',
    analyzer: () => clusters(o => o.map(x => (x.metadata.name === 'ztunnel' ? { ...x, spec: { ...x.spec, values: { ...x.spec.values, multiCluster: {} } } } : x))),
    expect: ['AMB142 cluster1'],
  },
  {
    name: 'AMB142 clean: label, istiod and ztunnel agree',
    cite: 'istio 1.30.3 pilot/pkg/serviceregistry/ambient/ambientindex_multicluster_test.go (each cluster\'s system namespace labelled topology.istio.io/network)',
    analyzer: () => clusters(),
    expect: [],
  },
  {
    name: 'AMB143 flagged: two clusters on one network',
    cite: 'istio.io docs 1.30 content/en/docs/ambient/install/multicluster/_index.md limitations (only multi-network is supported; single-network untested), with pilot/pkg/features/ambient.go AMBIENT_ENABLE_MULTI_NETWORK at 1.30.3',
    analyzer: () => clusters(o => o, o => JSON.parse(JSON.stringify(o).split('network2').join('network1'))),
    expect: ['AMB143 cluster2'],
  },
  {
    name: 'AMB143 clean: network1 and network2',
    cite: 'istio 1.30.3 pilot/pkg/serviceregistry/ambient/ambientindex_multicluster_test.go TestMulticlusterAmbientIndex_SplitHorizon (clusters on their own networks)',
    analyzer: () => clusters(),
    expect: [],
  },
  {
    name: 'AMB144 flagged: mesh IDs differ',
    cite: 'istio.io docs 1.30 content/en/docs/ambient/install/multicluster/multi-primary_multi-network/index.md (global.meshID mesh1 in every cluster), chart istio 1.30.3 manifests/charts/istio-control/istio-discovery/values.yaml global.meshID',
    analyzer: () => clusters(o => o, o => istiodValues(o, v => ({ ...v, global: { ...v.global, meshID: 'mesh2' } }))),
    expect: ['AMB144 cluster2'],
  },
  {
    name: 'AMB144 clean: one mesh ID',
    cite: 'istio.io docs 1.30 content/en/docs/ambient/install/multicluster/multi-primary_multi-network/index.md',
    analyzer: () => clusters(),
    expect: [],
  },
  {
    name: 'AMB145 flagged: east-west Gateway without an HBONE Terminate listener',
    cite: 'istio 1.30.3 pilot/pkg/serviceregistry/ambient/networks.go remoteK8sGatewayToNetworkGateways (network label, class istio-east-west, HBONE listener with TLS Terminate)',
    analyzer: () => clusters(o => o.map(x => (x.kind === 'Gateway' ? { ...x, spec: { ...x.spec, listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] } } : x))),
    expect: ['AMB145 cluster1'],
  },
  {
    name: 'AMB145 clean: the gateway addNetworkGatewayForClient creates',
    cite: 'istio 1.30.3 pilot/pkg/serviceregistry/ambient/ambientindex_test.go addNetworkGatewayForClient (istio-east-west, port 15008, HBONE, TLS Terminate, network label)',
    analyzer: () => clusters(),
    expect: [],
  },
  {
    name: 'AMB146 flagged: AMBIENT_ENABLE_MULTI_NETWORK "false"',
    cite: 'istio 1.30.3 pilot/pkg/features/ambient.go EnableAmbientMultiNetwork (default false); pilot/pkg/config/kube/gatewaycommon/classinfo.go (istio-east-west only when it is true); ambient/services.go (serviceScope checked only when it is true)',
    analyzer: () => clusters(o => istiodValues(o, v => ({ ...v, env: { AMBIENT_ENABLE_MULTI_NETWORK: 'false' } }))),
    expect: ['AMB146 cluster1'],
  },
  {
    name: 'AMB146 clean: set through pilot.env as "True"',
    cite: 'istio 1.30.3 pkg/env/var.go BoolVar (strconv.ParseBool); manifests/charts/istio-control/istio-discovery/templates/zzy_descope_legacy.yaml (pilot.* merged over the top level)',
    analyzer: () => clusters(o => istiodValues(o, v => ({ ...v, env: undefined, pilot: { env: { AMBIENT_ENABLE_MULTI_NETWORK: 'True' } } }))),
    expect: [],
  },
  {
    name: 'AMB147 flagged: one cluster on the built-in CA',
    cite: 'istio 1.30.3 pilot/pkg/bootstrap/istio_ca.go (no cacerts: self-signed root in istio-ca-secret); istio.io docs content/en/docs/ambient/install/multicluster/before-you-begin/index.md (a common root)',
    analyzer: () => clusters(o => o, o => o.filter(x => x.kind !== 'Certificate')),
    expect: ['AMB147 cluster2'],
  },
  {
    name: 'AMB147 flagged: trust domains differ',
    cite: 'istio/istio#58511 (istiod sends ztunnel no trust-domain aliases); istio 1.30.3 pilot/pkg/serviceregistry/ambient/authorization.go stringToMatch',
    analyzer: () => clusters(o => o, o => istiodValues(o, v => ({ ...v, meshConfig: { trustDomain: 'cluster2.example.com' } }))),
    expect: ['AMB147 cluster2'],
  },
  {
    name: 'AMB147 clean: istio-csr in one cluster, cacerts in the other, one root issuer',
    cite: 'istio 1.30.3 pilot/pkg/bootstrap/istio_ca.go detectSigningCABundleAndCRL (tls.crt layout); cert-manager istio-csr v0.17.0 deploy/charts/istio-csr/values.yaml app.certmanager.issuer',
    analyzer: () => clusters(o => o, o => [...o.filter(x => x.kind !== 'Certificate'), {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: 'cert-manager-istio-csr', namespace: 'cert-manager' },
      spec: { interval: '10m', chart: { spec: { chart: 'cert-manager-istio-csr', version: 'v0.17.0', sourceRef: { kind: 'HelmRepository', name: 'jetstack' } } }, values: { app: { certmanager: { issuer: { name: 'mesh-root', kind: 'ClusterIssuer' } } } } },
    }]),
    expect: [],
  },
  {
    name: 'AMB148 flagged: global in one cluster, local in the other',
    cite: 'istio 1.30.3 pilot/pkg/serviceregistry/ambient/multicluster.go (a locally scoped local copy is not merged); istio.io docs 1.30 ambient multicluster limitations (service scope must be uniform)',
    analyzer: () => clusters(o => o, o => o.map(x => (x.kind === 'Service' ? { ...x, metadata: { ...x.metadata, labels: {} } } : x))),
    expect: ['AMB148 cluster2'],
  },
  {
    name: 'AMB148 flagged: istio.io/global with an own serviceScopeConfigs list that does not match it',
    cite: 'istio 1.30.3 pilot/pkg/serviceregistry/ambient/services_test.go TestMatchServiceScope "service without istio.io/global label - match local"; manifests/helm-profiles/ambient.yaml',
    analyzer: () => clusters(o => istiodValues(o, v => ({ ...v, meshConfig: { ...v.meshConfig, serviceScopeConfigs: [{ servicesSelector: { matchLabels: { tier: 'global' } }, scope: 'GLOBAL' }] } }))),
    expect: ['AMB148 cluster1'],
  },
  {
    name: 'AMB148 clean: global by a namespace-wide entry in both clusters',
    cite: 'istio 1.30.3 pilot/pkg/serviceregistry/ambient/services_test.go TestMatchServiceScope "services global by default, opt out by namespace - match global"',
    analyzer: () => {
      const everyNamespace = (v: any) => ({ ...v, meshConfig: { ...v.meshConfig, serviceScopeConfigs: [{ namespaceSelector: { matchExpressions: [{ key: 'istio.io/local', operator: 'DoesNotExist' }] }, scope: 'GLOBAL' }] } });
      const unlabel = (o: any[]) => istiodValues(o, everyNamespace).map(x => (x.kind === 'Service' ? { ...x, metadata: { ...x.metadata, labels: {} } } : x));
      return clusters(unlabel, unlabel);
    },
    expect: [],
  },
  {
    name: 'AMB148 flagged: Services declared differently across clusters (extra port, port name, headless, type, protocol); the identical one is clean',
    cite: 'istio 1.30.3 pkg/config/analysis/analyzers/multicluster_analyzers_test.go TestMultiClusterAnalyzers "InconsistentMultiClusterService" (testdata/multicluster/inconsistent-service-1.yaml, -2.yaml)',
    analyzer: () => {
      const svc = (name: string, spec: any) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'my-namespace' }, spec: { selector: { app: 'my-service' }, ...spec } });
      const port = { name: 'tcp-foo', protocol: 'TCP', port: 8080, targetPort: 8080 };
      const one = [svc('my-service', { ports: [port] }), svc('extra-port', { ports: [port] }), svc('inconsistent-port-name', { ports: [port] }),
        svc('mixed-mode', { ports: [port] }), svc('mixed-type', { ports: [port] }), svc('mixed-port-protocol', { ports: [port] })];
      const two = [svc('my-service', { ports: [port] }), svc('extra-port', { ports: [port, { ...port, name: 'tcp-bar', port: 9090, targetPort: 9090 }] }),
        svc('inconsistent-port-name', { ports: [{ ...port, name: 'tcp-bar' }] }), svc('mixed-mode', { clusterIP: 'None', ports: [port] }),
        svc('mixed-type', { type: 'NodePort', ports: [port] }), svc('mixed-port-protocol', { ports: [{ ...port, protocol: 'UDP' }] })];
      return clusters(o => [...o, ...one], o => [...o, ...two]);
    },
    expect: ['AMB148 cluster2', 'AMB148 cluster2', 'AMB148 cluster2', 'AMB148 cluster2', 'AMB148 cluster2'],
  },
  {
    name: 'AMB149 flagged: the remote secret names another cluster',
    cite: 'istio 1.30.3 pkg/kube/multicluster/secretcontroller.go addSecret (each data key is a cluster ID); ambientindex_test.go makeSecret (label istio/multiCluster: "true", Data keyed by cluster ID)',
    analyzer: () => clusters(o => [...o, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'istio-remote-secret-cluster2', namespace: 'istio-system', labels: { 'istio/multiCluster': 'true' } }, data: { 'cluster-two': 'e30=' } }]),
    expect: ['AMB149 cluster1'],
  },
  {
    name: 'AMB149 clean: one secret per peer, keyed by its cluster ID',
    cite: 'istio 1.30.3 pilot/pkg/serviceregistry/ambient/ambientindex_multicluster_test.go TestMulticlusterAmbientIndex_TestServiceMerging (s.AddSecret("s1", "remote-cluster"))',
    analyzer: () => clusters(o => [...o, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1', namespace: 'istio-system', labels: { 'istio/multiCluster': 'true' } }, stringData: { cluster2: 'kubeconfig' } }]),
    expect: [],
  },
  {
    name: 'AMB150 flagged: istiod 1.30.2, global Service with ingress-use-waypoint',
    cite: 'istio/istio#61092 (1.30.3 pilot/pkg/serviceregistry/ambient/multicluster.go SplitHorizonServices drops the Waypoint binding; fixed on release-1.30 by #61124)',
    analyzer: () => {
      const withWaypoint = (o: any[]) => [
        ...o.map(x => (x.kind === 'Service' ? { ...x, metadata: { ...x.metadata, labels: { ...x.metadata.labels, 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' } } } : x))
          .map(x => (x.kind === 'HelmRelease' ? { ...x, spec: { ...x.spec, chart: { spec: { ...x.spec.chart.spec, version: '1.30.2' } } } } : x)),
        { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'waypoint', namespace: 'shop', labels: { 'istio.io/global': 'true' } }, spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] } },
      ];
      return clusters(withWaypoint, withWaypoint);
    },
    expect: ['AMB150 cluster1', 'AMB150 cluster2'],
  },
  {
    name: 'AMB150 clean: the same Service local (no merging across networks)',
    cite: 'istio/istio#61092 (only SplitHorizonServices, the merge of a global service with workloads on another network, loses the binding)',
    analyzer: () => {
      const local = (o: any[]) => [
        ...o.map(x => (x.kind === 'Service' ? { ...x, metadata: { ...x.metadata, labels: { 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' } } } : x)),
        { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'waypoint', namespace: 'shop' }, spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] } },
      ];
      return clusters(local, local);
    },
    expect: [],
  },
];

describe('multi-cluster analysis conformance (Istio 1.30.3)', () => {
  test.each(VECTORS.map(v => [v.name, v] as const))('%s', (_name, v) => {
    expect(codes(v.analyzer())).toEqual(v.expect);
  });

  test('every vector cites an upstream file or issue with a tag, and every cross-cluster check has a flagged and a clean vector', () => {
    for (const v of VECTORS) expect({ name: v.name, cited: /^(istio 1\.30\.3 |istio\.io docs 1\.30 |istio\/istio#\d+)/.test(v.cite) }).toEqual({ name: v.name, cited: true });
    const multi = MeshAnalyzer.checks().filter(c => Number(c.code.slice(3)) >= 142).map(c => c.code);
    for (const code of multi) {
      expect({ code, flagged: VECTORS.some(v => v.name.startsWith(`${code} flagged`)), clean: VECTORS.some(v => v.name.startsWith(`${code} clean`)) })
        .toEqual({ code, flagged: true, clean: true });
    }
    expect(multi).toHaveLength(9);
  });
});

describe('pure rules (src/semantics/multicluster.ts)', () => {
  test('pilot/pkg/serviceregistry/ambient/services_test.go TestMatchServiceScope (1.30.3)', () => {
    const ns = { 'istio.io/dataplane-mode': 'ambient' };
    const global = { 'istio.io/global': 'true' };
    const byService = [{ servicesSelector: { matchLabels: { 'istio.io/global': 'true' } }, scope: 'GLOBAL' }];
    const byNamespaceOptOut = [{ namespaceSelector: { matchExpressions: [{ key: 'istio.io/local', operator: 'DoesNotExist' }] }, scope: 'GLOBAL' }];
    // "explicit service opt-in - match global" / "service without istio.io/global label - match local"
    expect(serviceScopeIsGlobal(byService, ns, global)).toBe(true);
    expect(serviceScopeIsGlobal(byService, ns, {})).toBe(false);
    // "services global by default, opt out by namespace - match global" / "- no match" (namespace labelled istio.io/local)
    expect(serviceScopeIsGlobal(byNamespaceOptOut, ns, {})).toBe(true);
    expect(serviceScopeIsGlobal(byNamespaceOptOut, { 'istio.io/local': 'true' }, global)).toBe(false);
    // "namespace opt-in - match global"
    expect(serviceScopeIsGlobal([{ namespaceSelector: { matchLabels: { 'istio.io/global': 'true' } }, scope: 'GLOBAL' }], global, {})).toBe(true);
    // No entries: matchServiceScope defaults to local.
    expect(serviceScopeIsGlobal([], ns, global)).toBe(false);
  });

  test('networks.go remoteK8sGatewayToNetworkGateways (1.30.3): label, class, HBONE listener with TLS Terminate', () => {
    const listener = { name: 'mesh', port: 15008, protocol: 'HBONE', tls: { mode: 'Terminate' } };
    const labels = { 'topology.istio.io/network': 'network1' };
    expect(networkGatewayNetwork(labels, { gatewayClassName: 'istio-east-west', listeners: [listener] })).toBe('network1');
    expect(networkGatewayNetwork({}, { gatewayClassName: 'istio-east-west', listeners: [listener] })).toBeUndefined();
    expect(networkGatewayNetwork(labels, { gatewayClassName: 'istio-waypoint', listeners: [listener] })).toBeUndefined();
    expect(networkGatewayNetwork(labels, { gatewayClassName: 'istio-east-west', listeners: [{ ...listener, tls: { mode: 'Passthrough' } }] })).toBeUndefined();
  });

  test('secretcontroller.go addSecret (1.30.3): data keys are cluster IDs; the config cluster\'s own is ignored', () => {
    expect(remoteSecretClusters({ data: { cluster2: 'x', cluster1: 'y' }, stringData: { cluster3: 'z' } }, 'cluster1')).toEqual(['cluster2', 'cluster3']);
  });

  test('pilot/pkg/bootstrap/istio_ca.go (1.30.3): a plugged-in cacerts is not the self-signed root, even when its root is not visible', () => {
    // createIstioCA uses the cacerts bundle when present and generates istio-ca-secret only without it.
    const visible = { cluster: 'a', trustDomain: 'td', root: 'ClusterIssuer/mesh-root' };
    expect(sharedTrustProblems([visible, { cluster: 'b', trustDomain: 'td', rootUnknown: true }])).toEqual([]);
    expect(sharedTrustProblems([visible, { cluster: 'b', trustDomain: 'td' }])).toEqual([
      'cluster "b" uses istiod\'s built-in CA, which generates a self-signed root in each cluster, so workloads cannot verify peers in other clusters.',
    ]);
  });

  test('pkg/env BoolVar (1.30.3): strconv.ParseBool', () => {
    expect(['1', 't', 'T', 'TRUE', 'true', 'True'].map(multiNetworkEnabled)).toEqual([true, true, true, true, true, true]);
    expect(['tRuE', 'yes', 'false', '', undefined].map(multiNetworkEnabled)).toEqual([false, false, false, false, false]);
  });
});

describe('check-access across clusters: which clusters serve a request', () => {
  const local = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'local', namespace: 'shop' }, spec: { selector: { app: 'api' }, ports: [{ port: 8080 }] } };
  const gateway = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'ingress', namespace: 'shop' }, spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } };

  test('multicluster.go (1.30.3): a local Service is not merged, a global one is served by every cluster where it is global', () => {
    // TestMulticlusterAmbientIndex_TestServiceMerging: a locally scoped local copy skips merging; a
    // global one merges the remote global copies (services.go skips remote non-global Services).
    const a = clusters(o => [...o, local], o => [...o, local]);
    expect(a.checkAccess({ from: 'cluster1/shop/curl', to: 'shop/local' }).hops.map(h => `${h.cluster} ${h.point}`)).toEqual(['cluster1 ztunnel']);
    expect(a.checkAccess({ from: 'cluster1/shop/curl', to: 'shop/api' }).hops.map(h => `${h.cluster} ${h.point}`)).toEqual(['cluster1 ztunnel', 'cluster2 east-west gateway', 'cluster2 ztunnel']);
    // The remote copy not global: skipped.
    const b = clusters(o => o, o => o.map(x => (x.kind === 'Service' ? { ...x, metadata: { ...x.metadata, labels: {} } } : x)));
    expect(b.checkAccess({ from: 'cluster1/shop/curl', to: 'shop/api' }).hops.map(h => `${h.cluster} ${h.point}`)).toEqual(['cluster1 ztunnel']);
  });

  test('ambient.go AMBIENT_ENABLE_MULTI_NETWORK_INGRESS (default false, 1.30.3): ingress gateways keep traffic local', () => {
    const a = clusters(o => [...o, gateway], o => o);
    const d = a.checkAccess({ to: 'shop/api', toCluster: 'cluster1', viaIngress: 'shop/ingress' });
    expect(d.hops.map(h => `${h.cluster} ${h.point}`)).toEqual(['cluster1 gateway', 'cluster1 ztunnel']);
  });

  test('ztunnel 1.30.3 src/proxy/outbound.rs build_request_double_hbone / proxy_to_double_hbone: the inner tunnel carries the client\'s own certificate', () => {
    // A workload on a remote network is reached through its network gateway with protocol DOUBLEHBONE;
    // the inner TLS connection is made with the local workload's certificate to the destination's SANs,
    // so the destination ztunnel sees the client's identity, not the east-west gateway's.
    const d = clusters().checkAccess({ from: 'cluster1/shop/curl', to: 'shop/api', toCluster: 'cluster2' });
    expect(d.hops.map(h => `${h.point} ${h.identity}`)).toEqual(['east-west gateway mesh.example.com/ns/shop/sa/curl', 'ztunnel mesh.example.com/ns/shop/sa/curl']);
  });

  test('networks.go (1.30.3): without a network gateway for the destination network, remote endpoints are unreachable', () => {
    const a = clusters(o => o, o => o.filter(x => x.kind !== 'Gateway'));
    const d = a.checkAccess({ from: 'cluster1/shop/curl', to: 'shop/api' });
    expect([d.allowed, d.enforcedBy]).toEqual([false, 'east-west gateway']);
  });
});
