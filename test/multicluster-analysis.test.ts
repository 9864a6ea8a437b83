import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { build } from '../examples/multicluster-ambient';
import { MeshAnalyzer } from '../src';
import { runCli } from '../src/cli';

const FIXTURES = path.join(__dirname, 'fixtures', 'analyzer', 'multicluster');
const broken = fs.readdirSync(path.join(FIXTURES, 'broken')).sort();
const quiet = fs.readdirSync(path.join(FIXTURES, 'quiet')).sort();
const base = path.join(FIXTURES, 'quiet', 'amb145-east-west-gateways');

function expected(folder: string): string[] {
  const line = fs.readFileSync(path.join(folder, 'cluster1', 'mesh.yaml'), 'utf8').split('\n').find(l => l.startsWith('# expect:'))!;
  const value = line.replace('# expect:', '').trim();
  return value === 'none' ? [] : value.split(',').map(s => s.trim());
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), stdin: () => '' } };
}

/** The base two-cluster fixture, with extra objects per cluster. */
function mesh(extra1: any[] = [], extra2: any[] = [], drop2: (o: any) => boolean = () => false): MeshAnalyzer {
  const c1 = MeshAnalyzer.fromFiles([path.join(base, 'cluster1')]).addObjects(extra1);
  const objects2 = MeshAnalyzer.fromFiles([path.join(base, 'cluster2')]);
  const c2 = drop2 === undefined ? objects2 : MeshAnalyzer.fromObjects(readObjects(path.join(base, 'cluster2', 'mesh.yaml')).filter(o => !drop2(o))).addObjects(extra2);
  return MeshAnalyzer.fromClusters([{ name: 'cluster1', analyzer: c1 }, { name: 'cluster2', analyzer: c2 }]);
}

function readObjects(file: string): any[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseAllDocuments } = require('yaml');
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d: any) => d.toJS()).filter(Boolean);
}

const allowOnly = (principal: string) => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name: 'api-allow', namespace: 'shop' },
  spec: { selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { principals: [principal] } }] }] },
});
const localService = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'local', namespace: 'shop' }, spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 8080 }] } };

describe('multi-cluster analysis: fixtures', () => {
  test.each(broken)('%s reports its planted mistake exactly once per cluster it is in', (folder) => {
    const findings = MeshAnalyzer.fromClusterFolder(path.join(FIXTURES, 'broken', folder)).analyze();
    expect(findings.map(f => f.code)).toEqual(expected(path.join(FIXTURES, 'broken', folder)));
  });

  test.each(quiet)('%s stays quiet', (folder) => {
    expect(MeshAnalyzer.fromClusterFolder(path.join(FIXTURES, 'quiet', folder)).analyze()).toEqual([]);
  });

  test.each([
    ['amb142-namespace-without-network', 'cluster2', 'Namespace /istio-system',
      'cluster cluster2: namespace istio-system has no topology.istio.io/network label: ambient istiod reads the cluster\'s network only from that label, so its workloads are on no network and peers cannot reach them through an east-west gateway.',
      'Label namespace istio-system with topology.istio.io/network: <network> (the same value as istiod\'s and ztunnel\'s global.network).'],
    ['amb143-one-network', 'cluster2', 'Namespace /istio-system',
      'cluster cluster2 is on network "network1" like cluster cluster1: Istio 1.30 ambient multicluster supports only multi-network (each cluster on its own network, reached through its east-west gateway); single-network is untested and not supported.',
      'Give cluster cluster2 its own network (namespace label topology.istio.io/network, istiod and ztunnel global.network).'],
    ['amb144-mesh-id-differs', 'cluster2', 'HelmRelease istio-system/istiod',
      'cluster cluster2 has mesh ID "mesh2" and cluster cluster1 "mesh1": clusters of one mesh share one global.meshID.',
      'Set istiod global.meshID to the same value in every cluster ("mesh1").'],
    ['amb145-no-east-west-gateway', 'cluster2', 'HelmRelease istio-system/istiod',
      'cluster cluster2: there is no Gateway of class istio-east-west labelled topology.istio.io/network: network2, so istiod in cluster1 finds no network gateway for network "network2" and cannot send traffic to this cluster\'s workloads.',
      'Add an east-west Gateway: class istio-east-west, label topology.istio.io/network: network2, listener "mesh" on port 15008, protocol HBONE, tls.mode Terminate with option gateway.istio.io/tls-terminate-mode: ISTIO_MUTUAL (EastWestGateway, or gen-eastwest-gateway.sh --ambient).'],
    ['amb146-multi-network-off', 'cluster2', 'HelmRelease istio-system/istiod',
      'cluster cluster2: istiod runs without AMBIENT_ENABLE_MULTI_NETWORK (default false), while the mesh spans cluster1 too: istiod ignores serviceScopeConfigs (no Service is global) and does not serve the istio-east-west GatewayClass, so no east-west gateway is deployed and no traffic crosses networks.',
      'Set istiod env.AMBIENT_ENABLE_MULTI_NETWORK: "true" in every cluster.'],
    ['amb147-different-roots', 'cluster2', 'Certificate istio-system/cacerts',
      'clusters chain to different roots (cluster1: ClusterIssuer/mesh-root, cluster2: ClusterIssuer/cluster2-root), so cross-cluster mTLS fails.',
      'Issue every cluster\'s intermediate from the same root (the same issuer, e.g. ClusterIssuer/mesh-root, reading the same root Secret copied to every cluster).'],
    ['amb148-global-in-one-cluster', 'cluster2', 'Service shop/api',
      'cluster cluster2: Service shop/api is global in cluster1 but local here: clients in this cluster reach only its local endpoints, and istiod takes the scope only from each cluster\'s own configuration (service scope must be uniform across clusters).',
      'Label Service shop/api istio.io/global: "true" in cluster cluster2 too, or in no cluster.'],
    ['amb149-remote-secret-for-other-cluster', 'cluster1', 'Secret istio-system/istio-remote-secret-cluster3',
      'cluster cluster1: the remote secrets here (istio/multiCluster: "true") give istiod access to cluster3, not to cluster2: istiod reads no services or endpoints of that cluster.',
      'Create the missing ones: istioctl create-remote-secret --name=cluster2 (in cluster2) | kubectl apply -f - (in cluster1).'],
    ['amb150-ingress-use-waypoint-global', 'cluster1', 'Service shop/api',
      'cluster cluster1: Service shop/api is global with istio.io/ingress-use-waypoint, and istiod 1.30.3 drops the waypoint binding when it merges a global service with workloads on another network (istio#61092): ingress gateways skip the waypoint and its policies.',
      'Upgrade istiod past 1.30.3 (the fix is on release-1.30 after 1.30.3), or enforce the ingress rules at the ingress gateway until then.'],
  ])('%s: cluster, object, message and fix', (folder, cluster, object, message, fix) => {
    const [f] = MeshAnalyzer.fromClusterFolder(path.join(FIXTURES, 'broken', folder)).analyze();
    expect([f.cluster, `${f.kind} ${f.namespace}/${f.name}`, f.message, f.fix]).toEqual([cluster, object, message, fix]);
    expect(f.source).toContain(path.join(folder, cluster, 'mesh.yaml'));
  });

  test('cluster network, cluster name and trust variants', () => {
    const values = (o: any) => o.kind === 'HelmRelease' ? o.spec.values : undefined;
    const mutate = (change: (objects: any[]) => any[]) => {
      const c2 = change(readObjects(path.join(base, 'cluster2', 'mesh.yaml')));
      return MeshAnalyzer.fromClusters([
        { name: 'cluster1', analyzer: MeshAnalyzer.fromFiles([path.join(base, 'cluster1')]) },
        { name: 'cluster2', analyzer: MeshAnalyzer.fromObjects(c2) },
      ]).analyze().map(f => `${f.code} ${f.kind} ${f.name}: ${f.message}`);
    };
    // ztunnel on another network and another cluster ID than istiod.
    expect(mutate(objects => objects.map(o => {
      if (o.metadata.name === 'ztunnel') return { ...o, spec: { ...o.spec, values: { ...values(o), global: { network: 'network9' }, multiCluster: { clusterName: 'other' } } } };
      return o;
    }))).toEqual([
      'AMB142 HelmRelease ztunnel: cluster cluster2: ztunnel multiCluster.clusterName is "other" but istiod\'s is "cluster2": istiod\'s CA rejects certificate requests from a ztunnel that claims another cluster.',
      'AMB142 HelmRelease ztunnel: cluster cluster2: ztunnel\'s network is "network9" while the cluster\'s is "network2": the ztunnel chart reads only its own values (global.network), not istiod\'s.',
    ]);
    // istiod's own network disagrees with the namespace label.
    expect(mutate(objects => objects.map(o => (o.metadata.name === 'istiod' ? { ...o, spec: { ...o.spec, values: { ...values(o), global: { ...values(o).global, network: 'network7' } } } } : o))))
      .toEqual(['AMB142 HelmRelease istiod: cluster cluster2: istiod global.network is "network7", but namespace istio-system is labelled network "network2".']);
    // The built-in CA (no cacerts, no istio-csr), and another trust domain.
    expect(mutate(objects => objects.filter(o => o.kind !== 'Certificate').map(o => (o.metadata.name === 'istiod'
      ? { ...o, spec: { ...o.spec, values: { ...values(o), meshConfig: { trustDomain: 'other.example.com' } } } } : o)))).toEqual([
      'AMB147 HelmRelease istiod: cluster "cluster2" uses istiod\'s built-in CA, which generates a self-signed root in each cluster, so workloads cannot verify peers in other clusters.',
      'AMB147 HelmRelease istiod: clusters use different trust domains (cluster1: mesh.example.com, cluster2: other.example.com); istiod sends ztunnel no trust-domain aliases, so ambient clusters need one trust domain.',
    ]);
    // A plugged-in cacerts Secret whose root is not visible is not the built-in CA, and is not compared.
    expect(mutate(objects => [...objects.filter(o => o.kind !== 'Certificate'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cacerts', namespace: 'istio-system' }, data: {} }])).toEqual([]);
    // Same issuer name, different root Secrets.
    expect(mutate(objects => objects.map(o => (o.kind === 'ClusterIssuer' ? { ...o, spec: { ca: { secretName: 'root-2' } } } : o)))).toEqual([
      'AMB147 Certificate cacerts: cluster cluster2\'s root issuer ClusterIssuer/mesh-root reads Secret root-2, cluster cluster1\'s reads mesh-root-ca: unless both hold the same key pair, the clusters chain to different roots and cross-cluster mTLS fails.',
    ]);
    // The Service declared differently (istioctl's IST0170 comparison).
    expect(mutate(objects => objects.map(o => (o.kind === 'Service' ? { ...o, spec: { ...o.spec, type: 'NodePort', ports: [{ name: 'http', port: 8080, protocol: 'UDP' }] } } : o)))).toEqual([
      'AMB148 Service api: cluster cluster2: Service shop/api differs from its copy in cluster cluster1 (service type is inconsistent; service ports are inconsistent), which can lead to undefined behaviour (IST0170).',
    ]);
    // An east-west gateway labelled for another network; and an own serviceScopeConfigs list without the global entry.
    expect(mutate(objects => objects.map(o => (o.kind === 'Gateway' ? { ...o, metadata: { ...o.metadata, labels: { 'topology.istio.io/network': 'network1' } } } : o))))
      .toEqual(['AMB145 Gateway istio-eastwestgateway: cluster cluster2: Gateway istio-system/istio-eastwestgateway is of class istio-east-west but is labelled network "network1", not "network2", so istiod in cluster1 finds no network gateway for network "network2" and cannot send traffic to this cluster\'s workloads.']);
    expect(mutate(objects => objects.map(o => (o.metadata.name === 'istiod'
      ? { ...o, spec: { ...o.spec, values: { ...values(o), meshConfig: { trustDomain: 'mesh.example.com', serviceScopeConfigs: [] } } } } : o)))).toEqual([
      'AMB148 Service api: cluster cluster2: Service shop/api is labelled istio.io/global: "true", but no meshConfig.serviceScopeConfigs entry of scope GLOBAL in this cluster\'s istiod matches it (an own list replaces the ambient profile\'s), so it stays local.',
    ]);
  });

  test('a global Service whose waypoint is not global, or missing in another cluster', () => {
    const quietFolder = path.join(FIXTURES, 'quiet', 'amb148-global-service-and-waypoint');
    const c1 = readObjects(path.join(quietFolder, 'cluster1', 'mesh.yaml'));
    const c2 = readObjects(path.join(quietFolder, 'cluster2', 'mesh.yaml'));
    const notGlobal = c1.map(o => (o.kind === 'Gateway' && o.metadata.name === 'waypoint' ? { ...o, metadata: { ...o.metadata, labels: { 'istio.io/waypoint-for': 'service' } } } : o));
    const noWaypoint = c2.filter(o => !(o.kind === 'Gateway' && o.metadata.name === 'waypoint'));
    const findings = MeshAnalyzer.fromClusters([
      { name: 'cluster1', analyzer: MeshAnalyzer.fromObjects(notGlobal) },
      { name: 'cluster2', analyzer: MeshAnalyzer.fromObjects(noWaypoint) },
    ]).analyze().filter(f => f.code === 'AMB148');
    expect(findings.map(f => [f.cluster, `${f.kind} ${f.name}`, f.message, f.fix])).toEqual([
      ['cluster1', 'Gateway waypoint', 'cluster cluster1: global Service shop/api uses waypoint shop/waypoint, which is not global (its Gateway carries no istio.io/global: "true", which istiod copies onto the waypoint\'s Service): clients in other clusters cannot reach it.',
        'Label Gateway shop/waypoint istio.io/global: "true" (MeshCluster.globalWaypoint) in every cluster.'],
      ['cluster2', 'Service api', 'cluster cluster2: Service shop/api is served by waypoint shop/waypoint in cluster cluster1, but this cluster has no waypoint of that name: waypoints of a global Service must exist, identically named, in every cluster.',
        'Declare waypoint shop/waypoint in cluster cluster2 too (identical to cluster cluster1\'s).'],
    ]);
  });

  test('remote secrets: none in the manifests is quiet (they carry credentials and are created out of band)', () => {
    expect(mesh().analyze()).toEqual([]);
  });
});

describe('multi-cluster analysis: the multicluster-ambient example', () => {
  const apps = build(new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'mc-example-')) }));

  test('in process: both clusters and the cross-cluster checks are clean', () => {
    const analyzer = MeshAnalyzer.fromClusters(apps.map(a => ({ name: path.basename(a.outdir), analyzer: MeshAnalyzer.fromApp(a) })));
    expect(analyzer.clusterNames).toEqual(['cluster1', 'cluster2']);
    expect(analyzer.analyze()).toEqual([]);
    expect(analyzer.objectCount).toBe(MeshAnalyzer.fromApp(apps[0]).objectCount + MeshAnalyzer.fromApp(apps[1]).objectCount);
  });

  test('the CLI detects the cluster folders of the synthesized output', () => {
    for (const a of apps) a.synth();
    const root = path.dirname(apps[0].outdir);
    const { out, io: cliIo } = io();
    expect(runCli(['analyze', root, '--fail-on', 'warning'], cliIo)).toBe(0);
    expect(out.join('')).toBe(`No problems found in ${MeshAnalyzer.fromClusterFolder(root).objectCount} objects.\n`);
    const json = io();
    expect(runCli(['check-access', root, '--from', 'cluster2/sample/curl', '--to', 'sample/helloworld', '--method', 'GET', '--format', 'json'], json.io)).toBe(0);
    const decision = JSON.parse(json.out.join(''));
    expect(decision.hops.map((h: any) => `${h.cluster} ${h.point} ${h.allowed}`)).toEqual([
      'cluster1 waypoint true', 'cluster1 east-west gateway true', 'cluster1 ztunnel true', 'cluster2 waypoint true', 'cluster2 ztunnel true',
    ]);
    expect(decision.hops[1].identity).toBe('mesh.example.com/ns/sample/sa/waypoint');
    const post = io();
    expect(runCli(['check-access', root, '--from', 'cluster1/sample/curl', '--to', 'sample/helloworld', '--method', 'POST'], post.io)).toBe(1);
    expect(post.out.join('').split('\n')[0]).toBe('DENY  decided at waypoint by sample/helloworld-waypoint: cluster cluster1: waypoint sample/waypoint: no rule of the ALLOW policies (sample/allow-nothing-waypoint, sample/helloworld-waypoint) matches (the Service is global: cluster1 and cluster2 may serve the request, and one denying is enough)');
  });
});

describe('multi-cluster analysis: check-access', () => {
  test('the client\'s identity is evaluated against each destination cluster\'s own policies', () => {
    // cluster1 admits only shop/web; cluster2 has no policy: shop/curl from cluster2 is denied where cluster1 serves it.
    const analyzer = mesh([allowOnly('mesh.example.com/ns/shop/sa/web')]);
    const d = analyzer.checkAccess({ from: 'cluster2/shop/curl', to: 'shop/api' });
    expect([d.allowed, d.enforcedBy, d.policy]).toEqual([false, 'ztunnel', 'shop/api-allow']);
    expect(d.reason).toBe('cluster cluster1: ztunnel of shop/api\'s pods: no rule of the ALLOW policies (shop/api-allow) matches (the Service is global: cluster1 and cluster2 may serve the request, and one denying is enough)');
    expect(d.hops.map(h => `${h.cluster} ${h.point} ${h.identity} ${h.allowed}`)).toEqual([
      'cluster1 east-west gateway mesh.example.com/ns/shop/sa/curl true',
      'cluster1 ztunnel mesh.example.com/ns/shop/sa/curl false',
      'cluster2 ztunnel mesh.example.com/ns/shop/sa/curl true',
    ]);
    expect(d.hops[0].where).toBe('east-west gateway istio-system/istio-eastwestgateway in cluster1');
    expect(d.hops[0].reason).toBe('the request leaves network "network2" for "network1" in double HBONE: this gateway terminates the outer tunnel (ISTIO_MUTUAL) and passes the inner one, whose mTLS is made with the certificate of mesh.example.com/ns/shop/sa/curl, to the pods; policies at the east-west gateway itself are not evaluated here (not verified).');
    // The same identity from cluster1 (no east-west hop), and the admitted one from either cluster.
    expect(analyzer.checkAccess({ from: 'cluster1/shop/web', to: 'shop/api' }).allowed).toBe(true);
    expect(analyzer.checkAccess({ from: 'cluster2/shop/web', to: 'shop/api' }).allowed).toBe(true);
    // toCluster: only cluster2's pods.
    const only2 = analyzer.checkAccess({ from: 'cluster2/shop/curl', to: 'shop/api', toCluster: 'cluster2' });
    expect([only2.allowed, only2.hops.map(h => `${h.cluster} ${h.point}`)]).toEqual([true, ['cluster2 ztunnel']]);
  });

  test('waypoint instances that decide differently: undecided, fail closed', () => {
    const folder = path.join(FIXTURES, 'quiet', 'amb148-global-service-and-waypoint');
    const atWaypoint = (principal: string) => ({
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'api-waypoint', namespace: 'shop' },
      spec: { targetRefs: [{ kind: 'Service', group: '', name: 'api' }], rules: [{ from: [{ source: { principals: [principal] } }] }] },
    });
    const analyzer = MeshAnalyzer.fromClusters([
      { name: 'cluster1', analyzer: MeshAnalyzer.fromFiles([path.join(folder, 'cluster1')]).addObjects([atWaypoint('mesh.example.com/ns/shop/sa/curl')]) },
      { name: 'cluster2', analyzer: MeshAnalyzer.fromFiles([path.join(folder, 'cluster2')]).addObjects([atWaypoint('mesh.example.com/ns/shop/sa/web')]) },
    ]);
    const d = analyzer.checkAccess({ from: 'cluster1/shop/curl', to: 'shop/api', toCluster: 'cluster2' });
    expect([d.allowed, d.enforcedBy, d.dependsOn]).toEqual([false, 'waypoint', ['waypoint instance']]);
    expect(d.reason).toBe('cluster cluster2: waypoint shop/waypoint in cluster2: undecided: the waypoint instances decide differently: cluster1\'s allows it (shop/api-waypoint), cluster2\'s denies it (shop/api-waypoint); which instance handles a request served by cluster2 is not verified here, so make their policies identical');
    // Served by the client's own cluster: its own waypoint decides.
    expect(analyzer.checkAccess({ from: 'cluster1/shop/curl', to: 'shop/api', toCluster: 'cluster1' }).allowed).toBe(true);
  });

  test('a local Service is served by the client\'s cluster only; asking for another cluster is a DENY that says why', () => {
    const analyzer = mesh([localService], [localService]);
    const d = analyzer.checkAccess({ from: 'cluster2/shop/curl', to: 'shop/local' });
    expect(d.hops.map(h => `${h.cluster} ${h.point}`)).toEqual(['cluster2 ztunnel']);
    const remote = analyzer.checkAccess({ from: 'cluster2/shop/curl', to: 'shop/local', toCluster: 'cluster1' });
    expect([remote.allowed, remote.enforcedBy, remote.reason]).toEqual([false, 'client',
      'client ztunnel in cluster2: Service shop/local is local in the client\'s cluster cluster2: istiod in cluster2 gives the client no endpoints in cluster1']);
  });

  test('a remote cluster without an east-west gateway cannot be reached', () => {
    const analyzer = mesh([], [], o => o.kind === 'Gateway');
    const d = analyzer.checkAccess({ from: 'cluster1/shop/curl', to: 'shop/api', toCluster: 'cluster2' });
    expect([d.allowed, d.enforcedBy, d.hops.length]).toEqual([false, 'east-west gateway', 1]);
    expect(d.reason).toBe('cluster cluster2: east-west gateway of cluster2: cluster cluster2 has no east-west gateway for its network "network2" (class istio-east-west, label topology.istio.io/network, HBONE listener with tls.mode Terminate): istiod in cluster1 has no network gateway to send the request to.');
  });

  test('a global Service only in another cluster: evaluated there, with the DNS caveat', () => {
    const analyzer = mesh([], [], o => o.kind === 'Service');
    const d = analyzer.checkAccess({ from: 'cluster2/shop/curl', to: 'shop/api' });
    expect(d.hops.map(h => `${h.cluster} ${h.point}`)).toEqual(['cluster1 east-west gateway', 'cluster1 ztunnel']);
    expect(d.hops[0].reason).toContain('Service shop/api is not in the client\'s cluster cluster2: the Istio docs require the Service and its namespace in every client cluster for DNS; name resolution without it is not verified here.');
  });

  test('request errors name the clusters', () => {
    const analyzer = mesh();
    expect(() => analyzer.checkAccess({ from: 'shop/curl', to: 'shop/api' })).toThrow('from "shop/curl" must be <cluster>/<namespace>/<serviceaccount> in a multi-cluster analysis (clusters: cluster1, cluster2)');
    expect(() => analyzer.checkAccess({ from: 'cluster3/shop/curl', to: 'shop/api' })).toThrow('cluster "cluster3" is not one of the clusters (cluster1, cluster2)');
    expect(() => analyzer.checkAccess({ to: 'shop/api' })).toThrow('a client outside the mesh has no identity to carry across clusters: give toCluster, the cluster it calls from (clusters: cluster1, cluster2)');
    expect(() => analyzer.checkAccess({ from: 'cluster1/shop/curl', to: 'shop/nope' })).toThrow('Service shop/nope is not in the manifests of cluster cluster1, and no other cluster has it as a global Service');
    const single = MeshAnalyzer.fromFiles([path.join(base, 'cluster1')]);
    expect(() => single.checkAccess({ from: 'cluster1/shop/curl', to: 'shop/api' })).toThrow('from "cluster1/shop/curl" names a cluster, but these manifests are one cluster\'s');
    expect(() => single.checkAccess({ to: 'shop/api', toCluster: 'cluster1' })).toThrow('toCluster needs a multi-cluster analysis');
  });

  test('a client outside the mesh stays in its cluster', () => {
    const d = mesh().checkAccess({ to: 'shop/api', toCluster: 'cluster1' });
    expect(d.hops.map(h => `${h.cluster} ${h.point} ${h.identity}`)).toEqual(['cluster1 ztunnel client outside the mesh (no identity)']);
  });
});

describe('multi-cluster analysis: explain --from', () => {
  test('the Services as a cluster\'s clients reach them: local ones there, global ones in every cluster', () => {
    const analyzer = mesh([localService]);
    expect(analyzer.explain({ from: 'cluster2' }).map(e => `${e.cluster} ${e.namespace}/${e.service}`)).toEqual(['cluster1 shop/api', 'cluster2 shop/api']);
    expect(analyzer.explain({ from: 'cluster1/shop/curl' }).map(e => `${e.cluster} ${e.namespace}/${e.service}`)).toEqual(['cluster1 shop/api', 'cluster2 shop/api', 'cluster1 shop/local']);
    expect(analyzer.explain().map(e => `${e.cluster} ${e.service}`)).toEqual(['cluster1 api', 'cluster1 local', 'cluster2 api']);
    expect(analyzer.explainText({ from: 'cluster2' }).split('\n')[0]).toBe('cluster1: shop/api  (ambient: yes)');
    expect(() => analyzer.explain({ from: 'cluster9' })).toThrow('explain from "cluster9" must be <cluster> or <cluster>/<namespace>/<serviceaccount> (clusters: cluster1, cluster2)');
  });
});

describe('multi-cluster analysis: API and CLI input', () => {
  test('fromClusters refuses bad cluster lists, and one-cluster operations say which analyzer to use', () => {
    const one = () => MeshAnalyzer.fromObjects([]);
    expect(() => MeshAnalyzer.fromClusters([])).toThrow('fromClusters needs at least one cluster');
    expect(() => MeshAnalyzer.fromClusters([{ name: 'a/b', analyzer: one() }])).toThrow('cluster name "a/b" must be letters, digits');
    expect(() => MeshAnalyzer.fromClusters([{ name: 'a', analyzer: one() }, { name: 'a', analyzer: one() }])).toThrow('cluster "a" is given twice');
    const multi = mesh();
    expect(() => MeshAnalyzer.fromClusters([{ name: 'x', analyzer: multi }])).toThrow('cluster "x": its analyzer is itself a multi-cluster analyzer');
    const msg = 'this analyzer holds several clusters (cluster1, cluster2): diff, diagnose, migrateToAmbient and explainMermaid read one cluster\'s manifests; use that cluster\'s analyzer';
    expect(() => MeshAnalyzer.diff(multi, multi)).toThrow(msg);
    expect(() => multi.explainMermaid()).toThrow(msg);
    expect(() => multi.migrateToAmbient()).toThrow(msg);
    expect(() => multi.addObjects([])).toThrow('this analyzer holds several clusters (cluster1, cluster2): add manifests to a cluster\'s own analyzer');
    expect(() => MeshAnalyzer.fromClusterFolder(path.join(base, 'cluster1'))).toThrow('not a multi-cluster output');
  });

  test('detection: single-cluster outputs side by side are not clusters; manifests outside cluster folders are refused', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-layout-'));
    const single = readObjects(path.join(base, 'cluster1', 'mesh.yaml')).map(o => (o.metadata.name === 'istiod'
      ? { ...o, spec: { ...o.spec, values: { ...o.spec.values, global: { network: 'network1' } } } } : o));
    for (const example of ['app-a', 'app-b']) {
      fs.mkdirSync(path.join(root, example));
      fs.writeFileSync(path.join(root, example, 'mesh.json'), JSON.stringify(single));
    }
    expect(MeshAnalyzer.detectClusters(root)).toBeUndefined();
    // Read as one cluster's manifests, the two copies write every object twice (AMB135), and that is all.
    const report = io();
    expect(runCli(['analyze', root, '--format', 'json'], report.io)).toBe(1);
    expect([...new Set(JSON.parse(report.out.join('')).findings.map((f: any) => f.code))]).toEqual(['AMB135']);
    const mc = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-stray-'));
    fs.cpSync(base, mc, { recursive: true });
    expect(MeshAnalyzer.detectClusters(mc)!.map(c => c.name)).toEqual(['cluster1', 'cluster2']);
    fs.writeFileSync(path.join(mc, 'shared.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n');
    const { err, io: cliIo } = io();
    expect(runCli(['analyze', mc], cliIo)).toBe(2);
    expect(err.join('')).toBe(`${mc}: holds cluster folders (cluster1, cluster2: each has an Istio install) and manifests outside them (shared.yaml), which belong to no cluster: move them into a cluster folder, or name the clusters with --clusters <name>=<folder>,...\n`);
  });

  test('CLI: --clusters names the clusters; findings carry them; one-cluster commands refuse a multi-cluster folder', () => {
    const folder = path.join(FIXTURES, 'broken', 'amb144-mesh-id-differs');
    const named = io();
    expect(runCli(['analyze', '--clusters', `east=${path.join(folder, 'cluster1')},west=${path.join(folder, 'cluster2')}`], named.io)).toBe(1);
    expect(named.out.join('')).toContain('ERROR   AMB144  west: HelmRelease istio-system/istiod');
    expect(named.out.join('')).toContain('cluster west has mesh ID "mesh2" and cluster east "mesh1"');
    const json = io();
    runCli(['analyze', folder, '--format', 'json'], json.io);
    expect(JSON.parse(json.out.join('')).findings.map((f: any) => [f.code, f.cluster])).toEqual([['AMB144', 'cluster2']]);
    const sarif = io();
    runCli(['analyze', folder, '--format', 'sarif'], sarif.io);
    expect(JSON.parse(sarif.out.join('')).runs[0].results[0].properties).toEqual({ kind: 'HelmRelease', namespace: 'istio-system', name: 'istiod', cluster: 'cluster2' });
    const cases: [string[], string][] = [
      [['analyze', 'x', '--clusters', `a=${folder}`], '--clusters names every input: drop x'],
      [['analyze', '--clusters', 'a'], '--clusters "a" must be <name>=<folder>,<name>=<folder>...'],
      [['diff', folder, folder], `${folder}: is a multi-cluster output (clusters cluster1, cluster2): diff reads one cluster's manifests; give one cluster's folder, e.g. ${path.join(folder, 'cluster1')}`],
      [['diagnose', folder, '--symptom', '503', '--to', 'shop/api'], `${folder}: is a multi-cluster output (clusters cluster1, cluster2): diagnose reads one cluster's manifests`],
      [['check-access', folder, '--from', 'shop/curl', '--to', 'shop/api'], '--from "shop/curl": the input holds clusters cluster1, cluster2: give <cluster>/<namespace>/<serviceaccount>'],
      [['check-access', path.join(folder, 'cluster1'), '--from', 'cluster1/shop/curl', '--to', 'shop/api'], '--from "cluster1/shop/curl" names a cluster, but the input is one cluster\'s manifests: give <namespace>/<serviceaccount>'],
      [['check-access', path.join(folder, 'cluster1'), '--to', 'shop/api', '--to-cluster', 'cluster1'], '--to-cluster needs a multi-cluster input'],
      [['explain', path.join(folder, 'cluster1'), '--from', 'cluster1'], '--from "cluster1" needs a multi-cluster input'],
      [['explain', folder, '--format', 'mermaid'], '--format mermaid draws one cluster: give one cluster\'s folder'],
      [['check-access', folder, '--from', 'cluster9/shop/curl', '--to', 'shop/api'], 'cluster "cluster9" is not one of the clusters (cluster1, cluster2)'],
    ];
    for (const [args, message] of cases) {
      const r = io();
      expect({ args, code: runCli(args, r.io) }).toEqual({ args, code: 2 });
      expect(r.err.join('')).toContain(message);
    }
  });

  test('CLI: explain --from and check-access --to-cluster over a cluster folder', () => {
    const folder = path.join(FIXTURES, 'quiet', 'amb148-global-service-and-waypoint');
    const e = io();
    expect(runCli(['explain', folder, '--from', 'cluster2/shop/curl', '--format', 'json'], e.io)).toBe(0);
    expect(JSON.parse(e.out.join('')).map((x: any) => `${x.cluster} ${x.service} ${x.waypoint}`)).toEqual(['cluster1 api shop/waypoint', 'cluster2 api shop/waypoint']);
    const c = io();
    expect(runCli(['check-access', folder, '--from', 'cluster2/shop/curl', '--to', 'shop/api', '--to-cluster', 'cluster1'], c.io)).toBe(0);
    expect(c.out.join('').split('\n').slice(1, 4).map(l => l.split('  (')[0].trim())).toEqual([
      'pass  waypoint shop/waypoint in cluster1', 'pass  east-west gateway istio-system/istio-eastwestgateway in cluster1', 'pass  ztunnel of shop/api\'s pods in cluster1',
    ]);
  });
});
