import * as fs from 'fs';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { findObject, synthValid } from './support';
import { MeshAnalyzer } from '../src';

const EXAMPLES_DIR = path.join(__dirname, '..', 'examples');
const examples = fs.readdirSync(EXAMPLES_DIR).filter(f => f.endsWith('.ts') && f !== 'synth-all.ts').sort();

/** Synthesizes an example into plain objects per chart, validated against the upstream schemas. */
function synthExample(file: string): { [chart: string]: any[] } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const example = require(path.join(EXAMPLES_DIR, file));
  const app = Testing.app();
  // A multi-cluster example returns one App per cluster; its charts are keyed `<cluster folder>/<chart>`.
  const clusterApps: App[] = example.build(app) ?? [];
  const out: { [chart: string]: any[] } = {};
  for (const chart of app.charts) out[chart.node.id] = synthValid(chart);
  for (const clusterApp of clusterApps) {
    for (const chart of clusterApp.charts) out[`${path.basename(clusterApp.outdir)}/${chart.node.id}`] = synthValid(chart);
  }
  return out;
}

describe('examples', () => {
  test('there are examples', () => {
    expect(examples).toEqual(expect.arrayContaining(['bookinfo-ambient.ts', 'shared-waypoint.ts']));
  });

  test.each(examples)('%s synthesizes valid objects (snapshot)', (file) => {
    expect(synthExample(file)).toMatchSnapshot();
  });

  test('bookinfo-ambient: the Namespace and waypoint match the Istio getting-started', () => {
    const { bookinfo } = synthExample('bookinfo-ambient.ts');
    // kubectl label namespace default istio.io/dataplane-mode=ambient + istioctl waypoint apply --enroll-namespace
    expect(findObject(bookinfo, 'Namespace')).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'default', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } },
    });
    expect(findObject(bookinfo, 'Gateway', 'waypoint')).toEqual({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'waypoint', namespace: 'default' },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    const services = bookinfo.filter(o => o.kind === 'Service').map(o => o.metadata.name).sort();
    expect(services).toEqual(['details', 'productpage', 'ratings', 'reviews', 'reviews-v1', 'reviews-v2', 'reviews-v3']);
    const accounts = bookinfo.filter(o => o.kind === 'ServiceAccount').map(o => o.metadata.name).sort();
    expect(accounts).toEqual(['bookinfo-details', 'bookinfo-productpage', 'bookinfo-ratings', 'bookinfo-reviews']);
  });

  test('shared-waypoint: consumers are labelled and admitted', () => {
    const charts = synthExample('shared-waypoint.ts');
    const gateway = findObject(charts.platform, 'Gateway');
    expect(gateway.spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0].values)
      .toEqual(['common-infrastructure', 'team-a', 'team-b']);
    expect(findObject(charts['team-a'], 'Namespace').metadata.labels).toEqual({
      'istio.io/dataplane-mode': 'ambient',
      'istio.io/ingress-use-waypoint': 'true',
      'istio.io/use-waypoint': 'shared-waypoint',
      'istio.io/use-waypoint-namespace': 'common-infrastructure',
    });
    expect(findObject(charts['team-b'], 'Service', 'orders').metadata.labels).toEqual({
      'istio.io/use-waypoint': 'shared-waypoint',
      'istio.io/use-waypoint-namespace': 'common-infrastructure',
    });
    expect(findObject(charts['team-b'], 'Service', 'metrics').metadata.labels).toEqual({ 'istio.io/use-waypoint': 'none' });
    expect(findObject(charts['team-b'], 'Deployment', 'nightly-batch').spec.template.metadata.labels['istio.io/dataplane-mode']).toBe('none');
  });
});

describe('reference platform', () => {
  const charts = synthExample('reference-platform.ts');

  test('install: Cilium before istio-cni, Traefik after ztunnel, Tempo and Kiali wired to each other', () => {
    const releases = Object.fromEntries(charts.install.filter(o => o.kind === 'HelmRelease').map(o => [o.metadata.name, o.spec]));
    expect(Object.keys(releases).sort()).toEqual(['cilium', 'istio-base', 'istio-cni', 'istiod', 'kiali-server', 'tempo', 'traefik', 'ztunnel']);
    expect(releases['istio-cni'].dependsOn).toEqual([{ name: 'istiod', namespace: 'istio-system' }, { name: 'cilium', namespace: 'kube-system' }]);
    expect(releases.cilium.values).toEqual({
      cni: { exclusive: false },
      k8sServiceHost: 'api.cluster.example.com',
      k8sServicePort: 6443,
      kubeProxyReplacement: true,
      socketLB: { hostNamespaceOnly: true },
    });
    expect(releases.traefik.dependsOn).toEqual([{ name: 'ztunnel', namespace: 'istio-system' }]);
    expect(releases.traefik.values.providers).toEqual({ kubernetesCRD: { nativeLBByDefault: true }, kubernetesIngress: { nativeLBByDefault: true } });
    expect(releases.tempo.values).toEqual({
      tempo: { receivers: { otlp: { protocols: { grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } } } }, retention: '72h' },
    });
    expect(releases['kiali-server'].values).toEqual({
      external_services: {
        istio: { root_namespace: 'istio-system' },
        prometheus: { url: 'http://kube-prometheus-stack-prometheus.monitoring:9090' },
        tracing: { enabled: true, internal_url: 'http://tempo.observability.svc.cluster.local:3200', provider: 'tempo', use_grpc: false },
      },
    });
    expect(findObject(charts.install, 'Namespace', 'traefik').metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'ambient' });
  });

  test('observability: the collector exports to that Tempo; tracing goes to the collector', () => {
    const config = findObject(charts.observability, 'ConfigMap').data['config.yaml'];
    expect(parse(config).exporters).toEqual({ otlp: { endpoint: 'tempo.observability.svc.cluster.local:4317', tls: { insecure: true } } });
    const telemetry = findObject(charts['mesh-config'], 'Telemetry', 'default');
    expect(telemetry.spec.tracing).toEqual([{ providers: [{ name: 'otel-tracing' }], randomSamplingPercentage: 10 }]);
  });

  test('mesh-config: Traefik admitted at the waypoint behind a JWT, a 90/10 canary, a Service-VIP IngressRoute', () => {
    const mc = charts['mesh-config'];
    expect(findObject(mc, 'AuthorizationPolicy', 'frontend-waypoint').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/traefik/sa/traefik'] } }], to: [{ operation: { methods: ['GET', 'POST'] } }] },
    ]);
    expect(findObject(mc, 'RequestAuthentication', 'frontend-jwt').spec.jwtRules).toEqual([{ issuer: 'https://auth.example.com', jwksUri: 'https://auth.example.com/.well-known/jwks.json' }]);
    expect(findObject(mc, 'HTTPRoute').spec.rules[0].backendRefs.map((b: any) => [b.name, b.weight])).toEqual([['orders-v1', 90], ['orders-v2', 10]]);
    expect(findObject(mc, 'IngressRoute', 'shop').spec.routes[0].services).toEqual([{ name: 'frontend', port: 8080, nativeLB: true }]);
    expect(findObject(charts.microservices, 'NetworkPolicy').spec.ingress[1]).toEqual({ ports: [{ port: 15008, protocol: 'TCP' }] });
  });

  test('the whole platform is analyzer-clean', () => {
    const objects = Object.values(charts).flat();
    expect(MeshAnalyzer.fromObjects(objects).analyze()).toEqual([]);
  });
});
