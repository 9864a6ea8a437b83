import { ApiObject, Chart, Testing, Yaml } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { findObject } from './support';
import {
  AccessLogging, AmbientMesh, AmbientNamespace, CertManagerIssuerKind, CiliumCni, IstioChart, Kiali, MeshCertificateAuthority, MeshDelivery,
  MeshMetrics, OtelCollector, OtelTracing, SkyWalkingTracing, TelemetryMetrics, TelemetryScope, Tempo, TraefikIngress, ZipkinTracing,
} from '../src';

/** One declaration of a program: the chart it goes into and what it declares there. */
interface Declaration {
  readonly chart: string;
  readonly declare: (chart: Chart) => void;
}

/**
 * Builds the program with its charts created in `chartOrder` and its declarations made in
 * `order`; returns chart path -> YAML of the chart, so files can be compared whatever the chart order.
 */
function build(declarations: Declaration[], order: number[], chartOrder: string[]): { [chart: string]: string } {
  const app = Testing.app();
  const charts = new Map<string, Chart>();
  for (const id of chartOrder) charts.set(id, new Chart(app, id, { disableResourceNameHashes: true }));
  for (const i of order) declarations[i].declare(charts.get(declarations[i].chart)!);
  const out: { [chart: string]: string } = Object.fromEntries(app.charts.map(c => [c.node.path, Yaml.stringify(...c.toJson())]));
  // The values files and commands of the helm CLI form (every delivery has them).
  const mesh = app.node.findAll().find((c): c is AmbientMesh => c instanceof AmbientMesh);
  if (mesh) out['helm-install'] = JSON.stringify(mesh.helmInstall().files);
  return out;
}

/** Every permutation of 0..n-1 (n is small here). */
function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap(p => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

/** The program gives the same bytes per chart in every declaration order and chart order. */
function expectOrderIndependent(declarations: Declaration[]): { [chart: string]: string } {
  const chartIds = [...new Set(declarations.map(d => d.chart))].sort();
  const reference = build(declarations, declarations.map((_, i) => i), chartIds);
  for (const order of permutations(declarations.length)) {
    for (const chartOrder of [chartIds, [...chartIds].reverse()]) {
      expect(build(declarations, order, chartOrder)).toEqual(reference);
    }
  }
  return reference;
}

const DELIVERIES: Array<[string, () => MeshDelivery]> = [
  ['Flux', () => MeshDelivery.flux()],
  ['Argo CD', () => MeshDelivery.argoCd()],
  ['the helm CLI', () => MeshDelivery.helmCli()],
];

const ADDONS: Array<[string, (chart: Chart) => void]> = [
  ['CiliumCni', c => { new CiliumCni(c, 'cilium'); }],
  ['Kiali', c => { new Kiali(c, 'kiali', { prometheusUrl: 'http://prometheus.monitoring:9090' }); }],
  ['Tempo', c => { new Tempo(c, 'tempo'); }],
  ['TraefikIngress', c => { new TraefikIngress(c, 'traefik'); }],
  ['MeshMetrics', c => { new MeshMetrics(c, 'metrics'); }],
  ['OtelTracing', c => { new OtelTracing(c, 'otel', { service: 'otel-collector.observability.svc.cluster.local' }); }],
  ['ZipkinTracing', c => { new ZipkinTracing(c, 'zipkin', { service: 'zipkin.istio-system.svc.cluster.local' }); }],
  ['SkyWalkingTracing', c => { new SkyWalkingTracing(c, 'skywalking', { service: 'tracing.istio-system.svc.cluster.local' }); }],
  ['AccessLogging', c => { new AccessLogging(c, 'logs'); }],
  ['TelemetryMetrics', c => { new TelemetryMetrics(c, 'metrics', { overrides: [{ disabled: true }] }); }],
];

/** The YAML documents of an app, sorted: the objects and their bytes, whatever their order in a file. */
function sortedDocuments(declarations: Declaration[], order: number[]): string[] {
  const { 'helm-install': helmInstall, ...charts } = build(declarations, order, ['install']);
  return [helmInstall, ...Object.values(charts).flatMap(y => y.split(/^---$/m)).map(d => d.trim())].sort();
}

describe.each(DELIVERIES)('add-ons declared before or after the AmbientMesh (%s)', (_name, delivery) => {
  const mesh = (chart: string): Declaration => ({
    chart,
    declare: c => { new AmbientMesh(c, 'mesh', { delivery: delivery(), namespace: 'mesh-system', ingressGateway: {} }); },
  });

  test.each(ADDONS)('%s: byte-identical YAML, charts in either order', (_addon, declare) => {
    const yaml = expectOrderIndependent([mesh('install'), { chart: 'addons', declare }]);
    expect(yaml['helm-install']).toContain('values-istiod.yaml');
  });

  test.each(ADDONS.filter(([name]) => !delivery().appliesAsBatch || !/Tracing|Logging|TelemetryMetrics/.test(name)))(
    '%s: in the mesh\'s own chart, the same objects with the same bytes', (_addon, declare) => {
      const declarations = [mesh('install'), { chart: 'install', declare }];
      expect(sortedDocuments(declarations, [1, 0])).toEqual(sortedDocuments(declarations, [0, 1]));
    });
});

describe('add-ons take what the mesh declared after them gives', () => {
  test('delivery: an add-on without delivery uses a later mesh\'s (Flux HelmRelease, Argo CD Application)', () => {
    for (const [kind, delivery] of [['HelmRelease', MeshDelivery.flux()], ['Application', MeshDelivery.argoCd()]] as const) {
      const chart = new Chart(Testing.app(), 'install');
      new Tempo(chart, 'tempo');
      new AmbientMesh(chart, 'mesh', { delivery });
      expect(findObject(Testing.synth(chart), kind, 'tempo').metadata.namespace).toBe(kind === 'HelmRelease' ? 'observability' : 'argocd');
    }
  });

  test('tracing: a provider declared before the mesh goes into its istiod values', () => {
    const chart = new Chart(Testing.app(), 'install');
    new ZipkinTracing(chart, 'zipkin', { service: 'zipkin.istio-system.svc.cluster.local' });
    const mesh = new AmbientMesh(chart, 'mesh', { namespace: 'mesh-system' });
    expect(mesh.extensionProviderNames).toEqual(['zipkin']);
    expect(mesh.valuesFor(IstioChart.ISTIOD).meshConfig).toEqual({
      enableTracing: true,
      extensionProviders: [{ name: 'zipkin', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411 } }],
    });
    // The mesh scope's Telemetry is in the mesh's root namespace.
    expect(findObject(Testing.synth(chart), 'Telemetry').metadata).toEqual({ name: 'default', namespace: 'mesh-system' });
  });

  test('MeshMetrics: monitors in the namespaces of a later mesh, and the gateway chart monitor', () => {
    const chart = new Chart(Testing.app(), 'install');
    new MeshMetrics(chart, 'metrics');
    new AmbientMesh(chart, 'mesh', { namespace: 'mesh-system', ztunnel: { namespace: 'kube-system' }, ingressGateway: { namespace: 'edge' } });
    const objects = Testing.synth(chart);
    expect(findObject(objects, 'ServiceMonitor', 'istiod').metadata.namespace).toBe('mesh-system');
    expect(findObject(objects, 'PodMonitor', 'ztunnel').metadata.namespace).toBe('kube-system');
    expect(findObject(objects, 'PodMonitor', 'istio-ingress').metadata.namespace).toBe('edge');
  });

  test('OtelCollector: no Namespace object when the namespace is an AmbientNamespace declared later', () => {
    const chart = new Chart(Testing.app(), 'apps');
    new OtelCollector(chart, 'collector', { exporterEndpoint: 'tempo.observability.svc.cluster.local:4317' });
    expect(Testing.synth(chart).filter(o => o.kind === 'Namespace')).toHaveLength(1);
    const later = new Chart(Testing.app(), 'apps');
    new OtelCollector(later, 'collector', { exporterEndpoint: 'tempo.observability.svc.cluster.local:4317' });
    new AmbientNamespace(later, 'ns', { name: 'observability' });
    const namespaces = Testing.synth(later).filter(o => o.kind === 'Namespace');
    expect(namespaces.map(n => n.metadata.labels?.['istio.io/dataplane-mode'])).toEqual(['ambient']);
  });
});

describe('shared objects have one owner, whatever the order', () => {
  test('a Flux HelmRepository lives in the chart of its user with the smallest construct path', () => {
    const charts = expectOrderIndependent([
      { chart: 'install', declare: c => { new AmbientMesh(c, 'mesh', { delivery: MeshDelivery.flux() }); } },
      { chart: 'b-edge', declare: c => { new TraefikIngress(c, 'traefik', { namespace: 'edge', releaseName: 'edge-traefik' }); } },
      { chart: 'a-internal', declare: c => { new TraefikIngress(c, 'traefik', { namespace: 'internal', releaseName: 'internal-traefik' }); } },
    ]);
    expect(charts['a-internal']).toContain('kind: HelmRepository\nmetadata:\n  name: traefik\n  namespace: flux-system');
    expect(charts['b-edge']).not.toContain('kind: HelmRepository\nmetadata');
    expect(charts['b-edge']).toContain('name: edge-traefik');
  });

  test('a shared Telemetry lives under the requester with the smallest construct path', () => {
    const charts = expectOrderIndependent([
      { chart: 'install', declare: c => { new AmbientMesh(c, 'mesh'); } },
      { chart: 'b-logs', declare: c => { new AccessLogging(c, 'logs', { scopes: [TelemetryScope.mesh().named('mesh-telemetry')] }); } },
      { chart: 'a-tracing', declare: c => { new OtelTracing(c, 'otel', { service: 'otel-collector.observability.svc.cluster.local' }); } },
      { chart: 'c-metrics', declare: c => { new TelemetryMetrics(c, 'metrics', { overrides: [{ disabled: true }] }); } },
    ]);
    expect(charts['a-tracing']).toContain('kind: Telemetry');
    expect(charts['b-logs']).toBe('');
    expect(charts['c-metrics']).toBe('');
    const chart = new Chart(Testing.app(), 'one');
    new AccessLogging(chart, 'b', { filter: 'response.code >= 500' });
    new AccessLogging(chart, 'a', { filter: 'response.code >= 400' });
    // Entries of one section follow the requesters' paths, not their declaration order.
    expect(findObject(Testing.synth(chart), 'Telemetry').spec.accessLogging).toEqual([
      { providers: [{ name: 'envoy' }], filter: { expression: 'response.code >= 400' } },
      { providers: [{ name: 'envoy' }], filter: { expression: 'response.code >= 500' } },
    ]);
  });

  test('primary CNIs are waited for in construct-path order', () => {
    const charts = expectOrderIndependent([
      { chart: 'install', declare: c => { new AmbientMesh(c, 'mesh', { delivery: MeshDelivery.flux() }); } },
      { chart: 'cni-b', declare: c => { new CiliumCni(c, 'cilium', { namespace: 'cni-b' }); } },
      { chart: 'cni-a', declare: c => { new CiliumCni(c, 'cilium', { namespace: 'cni-a' }); } },
    ]);
    const cni = parseAllDocuments(charts.install).map(d => d.toJSON()).find(o => o.kind === 'HelmRelease' && o.metadata.name === 'istio-cni');
    expect(cni.spec.dependsOn).toEqual([
      { name: 'istiod', namespace: 'istio-system' }, { name: 'cilium', namespace: 'cni-a' }, { name: 'cilium', namespace: 'cni-b' },
    ]);
  });
});

describe('delivery and CA forms are subclasses', () => {
  /** A delivery written outside the library: one ConfigMap listing the releases, from the mesh's public API. */
  class ReleaseListDelivery extends MeshDelivery {
    public constructor() {
      super();
    }

    public get displayName(): string {
      return 'a release list';
    }

    public get appliesAsBatch(): boolean {
      return true;
    }

    public bind(mesh: AmbientMesh): void {
      new ApiObject(mesh, 'Releases', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio-releases', namespace: mesh.namespace },
        data: Object.fromEntries(mesh.releases.map(r => [r.releaseName, `${r.chart} ${r.version} in ${r.namespace}`])),
      });
    }
  }

  test('a new delivery form is a new subclass: the mesh binds it and names it in messages', () => {
    const chart = new Chart(Testing.app(), 'install');
    new AmbientMesh(chart, 'mesh', { delivery: new ReleaseListDelivery() });
    expect(findObject(Testing.synth(chart), 'ConfigMap', 'istio-releases').data).toEqual({
      'istio-base': 'base 1.30.3 in istio-system',
      'istiod': 'istiod 1.30.3 in istio-system',
      'istio-cni': 'cni 1.30.3 in istio-system',
      'ztunnel': 'ztunnel 1.30.3 in istio-system',
    });
    new AccessLogging(chart, 'logs');
    expect(() => Testing.synth(chart)).toThrow('chart "install" installs Istio with a release list and also holds Telemetry default');
  });

  test('the built-in forms keep their factories and say what they are', () => {
    expect([MeshDelivery.flux(), MeshDelivery.argoCd(), MeshDelivery.helmCli()].map(d => [d.displayName, d.appliesAsBatch])).toEqual([
      ['Flux', true], ['Argo CD', true], ['the helm CLI', false],
    ]);
    const csr = MeshCertificateAuthority.istioCsr({ issuer: { name: 'mesh-ca' }, namespace: 'pki' });
    expect([csr.root, csr.caAddress]).toEqual(['ClusterIssuer/mesh-ca', 'cert-manager-istio-csr.pki.svc:443']);
    const cacerts = MeshCertificateAuthority.certManager({ rootIssuer: { name: 'root', kind: CertManagerIssuerKind.ISSUER } });
    expect([cacerts.root, cacerts.caAddress]).toEqual(['Issuer/root', undefined]);
  });
});

describe('prepare steps are idempotent across synthesis passes', () => {
  test('a user with a smaller path added after a first synth takes over the shared objects', () => {
    const app = Testing.app();
    const install = new Chart(app, 'install');
    const edge = new Chart(app, 'b-edge');
    new AmbientMesh(install, 'mesh', { delivery: MeshDelivery.flux() });
    new TraefikIngress(edge, 'traefik', { namespace: 'edge', releaseName: 'edge-traefik' });
    new AccessLogging(edge, 'logs');
    const first = app.charts.flatMap(c => c.toJson());
    expect(first.filter(o => o.kind === 'HelmRepository' && o.metadata.name === 'traefik')).toHaveLength(1);
    expect(first.filter(o => o.kind === 'Telemetry')).toHaveLength(1);
    const internal = new Chart(app, 'a-internal');
    new TraefikIngress(internal, 'traefik', { namespace: 'internal', releaseName: 'internal-traefik' });
    new OtelTracing(internal, 'otel', { service: 'otel-collector.observability.svc.cluster.local' });
    for (let pass = 0; pass < 2; pass++) {
      const kinds = (c: Chart) => c.toJson().map((o: any) => `${o.kind}/${o.metadata.name}`);
      expect(kinds(internal)).toEqual(['Namespace/internal', 'HelmRepository/traefik', 'HelmRelease/internal-traefik', 'Telemetry/default']);
      expect(kinds(edge)).toEqual(['Namespace/edge', 'HelmRelease/edge-traefik']);
    }
  });
});
