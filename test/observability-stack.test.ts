import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { findObject, synthValid } from './support';
import { AmbientMesh, Kiali, MeshDelivery, MeshMetrics, OtelCollector, Tempo } from '../src';

function app(delivery = MeshDelivery.flux(), meshProps: any = {}) {
  const application = Testing.app();
  const install = new Chart(application, 'install', { disableResourceNameHashes: true });
  new AmbientMesh(install, 'mesh', { delivery, ...meshProps });
  return { application, install };
}

describe('Tempo', () => {
  test('OTLP receivers on 0.0.0.0, query URL and endpoint from the chart fullname', () => {
    const { install } = app();
    const tempo = new Tempo(install, 'tempo', { releaseName: 'traces', namespace: 'tracing' });
    expect(tempo.serviceName).toBe('traces-tempo');
    expect(tempo.otlpGrpcEndpoint).toBe('traces-tempo.tracing.svc.cluster.local:4317');
    expect(tempo.queryUrl).toBe('http://traces-tempo.tracing.svc.cluster.local:3200');
    const release = findObject(synthValid(install), 'HelmRelease', 'traces');
    expect(release.metadata.namespace).toBe('tracing');
    expect(release.spec.chart.spec).toEqual({ chart: 'tempo', version: '2.2.4', sourceRef: { kind: 'HelmRepository', name: 'grafana-community', namespace: 'flux-system' } });
    expect(release.spec.values).toEqual({ tempo: { receivers: { otlp: { protocols: { grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } } } } } });
  });

  test('refused: a second Tempo, a bad retention', () => {
    const { install } = app();
    new Tempo(install, 'tempo');
    expect(() => new Tempo(install, 'again')).toThrow('[install/again] a Tempo is already declared at install/tempo; declare one per app.');
    expect(() => new Tempo(app().install, 'tempo', { retention: '3 days' })).toThrow('[install/tempo] retention "3 days" is not a Go duration such as "72h" or "90m".');
  });
});

describe('OtelCollector exporter default', () => {
  test('the app\'s Tempo, declared before or after the collector, in plaintext OTLP', () => {
    const { application, install } = app();
    const observability = new Chart(application, 'observability', { namespace: 'observability' });
    const collector = new OtelCollector(observability, 'collector');
    new Tempo(install, 'tempo');
    const config = parse(findObject(Testing.synth(observability), 'ConfigMap').data['config.yaml']);
    expect(config.exporters).toEqual({ otlp: { endpoint: 'tempo.observability.svc.cluster.local:4317', tls: { insecure: true } } });
    expect(collector.host).toBe('otel-collector.observability.svc.cluster.local');
  });

  test('refused: no exporterEndpoint and no Tempo', () => {
    const { application } = app();
    const observability = new Chart(application, 'observability', { namespace: 'observability' });
    new OtelCollector(observability, 'collector');
    expect(() => application.synth()).toThrow('exporterEndpoint is not set and the app declares no Tempo: set exporterEndpoint (host:port of an OTLP/gRPC endpoint) or declare a Tempo.');
  });
});

describe('Kiali', () => {
  test('Prometheus, the app\'s Tempo over HTTP and the mesh root namespace; waits for istiod', () => {
    const { install } = app();
    new Kiali(install, 'kiali', { prometheusUrl: 'http://prometheus.monitoring:9090' });
    new Tempo(install, 'tempo');
    const release = findObject(synthValid(install), 'HelmRelease', 'kiali-server');
    expect(release.metadata.namespace).toBe('istio-system');
    expect(release.spec.dependsOn).toEqual([{ name: 'istiod', namespace: 'istio-system' }]);
    expect(release.spec.chart.spec.chart).toBe('kiali-server');
    expect(release.spec.values).toEqual({
      external_services: {
        istio: { root_namespace: 'istio-system' },
        prometheus: { url: 'http://prometheus.monitoring:9090' },
        tracing: { enabled: true, internal_url: 'http://tempo.observability.svc.cluster.local:3200', provider: 'tempo', use_grpc: false },
      },
    });
  });

  test('without a Tempo, tracing stays off', () => {
    const kiali = new Kiali(app(MeshDelivery.helmCli()).install, 'kiali', { prometheusUrl: 'http://prometheus.monitoring:9090' });
    expect(kiali.values.external_services.tracing).toBeUndefined();
    expect(kiali.helmInstall().commands[1]).toBe('helm upgrade --install kiali-server kiali/kiali-server --version 2.29.0 --namespace istio-system --create-namespace --values values-kiali-server.yaml --wait');
  });

  test('refused: outside the mesh namespace unless istiod allows it; bad URLs', () => {
    const outside = app().install;
    new Kiali(outside, 'kiali', { prometheusUrl: 'http://p:9090', namespace: 'kiali' });
    expect(() => Testing.synth(outside)).toThrow(
      '[install/kiali] Kiali in namespace "kiali" could not read istiod\'s debug endpoints: Istio 1.29+ serves them only to the mesh namespace "istio-system" (ENABLE_DEBUG_ENDPOINT_AUTH). Install Kiali in "istio-system", or add "kiali" to istiod.env.DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES of the AmbientMesh.');
    const allowed = app(MeshDelivery.flux(), { istiod: { env: { DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES: 'kiali' } } });
    expect(new Kiali(allowed.install, 'kiali', { prometheusUrl: 'http://p:9090', namespace: 'kiali' }).namespace).toBe('kiali');
    expect(() => new Kiali(app().install, 'kiali', { prometheusUrl: 'prometheus:9090' })).toThrow(
      '[install/kiali] prometheusUrl "prometheus:9090" is not an http(s) URL such as "http://prometheus.monitoring:9090".');
  });
});

describe('MeshMetrics: ingress gateways', () => {
  test('Gateway API gateways (15020) and the gateway chart pods (http-envoy-prom)', () => {
    const { install } = app(MeshDelivery.flux(), { ingressGateway: { serviceType: 'ClusterIP' } });
    new MeshMetrics(install, 'metrics');
    const objects = synthValid(install);
    expect(findObject(objects, 'PodMonitor', 'ingress-gateways').spec).toEqual({
      namespaceSelector: { any: true },
      selector: { matchLabels: { 'gateway.istio.io/managed': 'istio.io-gateway-controller' } },
      podMetricsEndpoints: [{ portNumber: 15020, path: '/stats/prometheus', interval: '30s' }],
    });
    expect(findObject(objects, 'PodMonitor', 'istio-ingress')).toEqual({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: { name: 'istio-ingress', namespace: 'istio-ingress' },
      spec: { selector: { matchLabels: { app: 'istio-ingress' } }, podMetricsEndpoints: [{ port: 'http-envoy-prom', path: '/stats/prometheus', interval: '30s' }] },
    });
  });

  test('ingressGateways: false leaves them out', () => {
    const { install } = app();
    new MeshMetrics(install, 'metrics', { ingressGateways: false });
    expect(Testing.synth(install).filter(o => o.kind === 'PodMonitor').map(o => o.metadata.name)).toEqual(['ztunnel', 'waypoints']);
  });
});

describe('MeshMetrics: names', () => {
  test('monitors keep names users already have', () => {
    const { install } = app(MeshDelivery.flux(), { ingressGateway: {} });
    new MeshMetrics(install, 'metrics', { names: { istiod: 'istio-control-plane', ztunnel: 'istio-ztunnel', waypoints: 'istio-waypoints', ingressGateways: 'istio-gateways', gatewayChart: 'edge' } });
    expect(Testing.synth(install).filter(o => o.apiVersion === 'monitoring.coreos.com/v1').map(o => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceMonitor/istio-control-plane', 'PodMonitor/istio-ztunnel', 'PodMonitor/istio-waypoints', 'PodMonitor/istio-gateways', 'PodMonitor/edge',
    ]);
    expect(() => new MeshMetrics(app().install, 'm', { names: { istiod: 'Bad Name' } })).toThrow('[install/m] names.istiod "Bad Name" is not a valid object name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit.');
  });
});

describe('Kiali: declaration order', () => {
  test('takes the namespace of a mesh declared after it', () => {
    const application = Testing.app();
    const install = new Chart(application, 'install');
    const kiali = new Kiali(install, 'kiali', { prometheusUrl: 'http://p:9090' });
    new AmbientMesh(install, 'mesh', { delivery: MeshDelivery.flux(), namespace: 'mesh-system' });
    expect(kiali.namespace).toBe('mesh-system');
    expect(kiali.helmCommands[1]).toContain('--namespace mesh-system');
    const release = findObject(Testing.synth(install), 'HelmRelease', 'kiali-server');
    expect(release.metadata.namespace).toBe('mesh-system');
    expect(release.spec.values.external_services.istio).toEqual({ root_namespace: 'mesh-system' });
  });
});
