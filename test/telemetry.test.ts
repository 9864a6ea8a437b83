import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parse } from 'yaml';
import { findObject, synthValid, testChart } from './support';
import {
  AccessLogging, AmbientMesh, AmbientNamespace, IstioChart, MeshMetrics, MeshPlatform, OtelCollector, OtelExportProtocol,
  OtelResourceDetector, OtelTracing, TelemetryScope, TracingTag,
} from '../src';
import { celSyntaxProblem } from '../src/semantics/cel-syntax';

const COLLECTOR = 'otel-collector.observability.svc.cluster.local';

function telemetries(objects: any[]): { [key: string]: any } {
  return Object.fromEntries(objects.filter(o => o.kind === 'Telemetry').map(o => [`${o.metadata.namespace}/${o.metadata.name}`, o.spec]));
}

describe('OtelTracing', () => {
  test('without an AmbientMesh: mesh-wide Telemetry and a meshConfig fragment for the user', () => {
    const chart = testChart();
    const tracing = new OtelTracing(chart, 'tracing', { service: COLLECTOR });
    expect(tracing.providerName).toBe('otel-tracing');
    expect(tracing.meshConfigFragment).toEqual({
      enableTracing: true,
      extensionProviders: [{ name: 'otel-tracing', opentelemetry: { service: COLLECTOR, port: 4317 } }],
    });
    expect(telemetries(synthValid(chart))).toEqual({
      'istio-system/default': { tracing: [{ providers: [{ name: 'otel-tracing' }], randomSamplingPercentage: 1 }] },
    });
  });

  test('the mesh scope follows the AmbientMesh namespace (istiod\'s root namespace)', () => {
    const chart = testChart();
    new AmbientMesh(chart, 'mesh', { namespace: 'mesh-system' });
    new OtelTracing(chart, 'tracing', { service: COLLECTOR });
    new AccessLogging(chart, 'logs');
    expect(Object.keys(telemetries(synthValid(chart)))).toEqual(['mesh-system/default']);
  });

  test('with an AmbientMesh: the provider and enableTracing go into the istiod values', () => {
    const chart = testChart();
    const mesh = new AmbientMesh(chart, 'mesh');
    new OtelTracing(chart, 'tracing', {
      service: COLLECTOR,
      protocol: OtelExportProtocol.HTTP,
      timeout: Duration.seconds(5),
      resourceDetectors: [OtelResourceDetector.ENVIRONMENT, OtelResourceDetector.DYNATRACE, OtelResourceDetector.ENVIRONMENT],
      samplingPercentage: 12.5,
      customTags: { zone: TracingTag.environment('ZONE', 'unknown'), app: TracingTag.literal('shop'), user: TracingTag.header('x-user') },
    });
    expect(mesh.valuesFor(IstioChart.ISTIOD).meshConfig).toEqual({
      enableTracing: true,
      extensionProviders: [{
        name: 'otel-tracing',
        opentelemetry: { service: COLLECTOR, port: 4318, http: { path: '/v1/traces', timeout: '5s' }, resourceDetectors: { dynatrace: {}, environment: {} } },
      }],
    });
    expect(mesh.extensionProviderNames).toEqual(['otel-tracing']);
    expect(telemetries(synthValid(chart))['istio-system/default'].tracing[0]).toEqual({
      providers: [{ name: 'otel-tracing' }],
      randomSamplingPercentage: 12.5,
      customTags: {
        app: { literal: { value: 'shop' } },
        user: { header: { name: 'x-user' } },
        zone: { environment: { name: 'ZONE', defaultValue: 'unknown' } },
      },
    });
  });

  test('gRPC timeout and a custom port', () => {
    const tracing = new OtelTracing(testChart(), 'tracing', { service: 'observability/otel.observability.svc.cluster.local', port: 14317, timeout: Duration.seconds(2) });
    expect(tracing.meshConfigFragment.extensionProviders[0].opentelemetry).toEqual({ service: 'observability/otel.observability.svc.cluster.local', port: 14317, grpc: { timeout: '2s' } });
  });

  test('scopes: namespace with a waypoint, a waypoint, a Service at its waypoint', () => {
    const chart = testChart({ namespace: 'shop' });
    const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
    const waypoint = ns.addWaypoint('waypoint');
    const api = new kplus.Service(chart, 'api', { metadata: { name: 'api' }, ports: [{ port: 80 }] });
    new OtelTracing(chart, 'ns-tracing', { service: COLLECTOR, scopes: [TelemetryScope.namespace('shop')] });
    new OtelTracing(chart, 'wp-tracing', { service: COLLECTOR, providerName: 'otel-wp', scopes: [TelemetryScope.waypoint(waypoint)] });
    new OtelTracing(chart, 'svc-tracing', { service: COLLECTOR, providerName: 'otel-api', scopes: [TelemetryScope.service(api)], samplingPercentage: 100 });
    const out = telemetries(synthValid(chart));
    expect(out['shop/default'].targetRefs).toBeUndefined();
    expect(out['shop/waypoint-telemetry'].targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }]);
    expect(out['shop/api-telemetry']).toEqual({
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      tracing: [{ providers: [{ name: 'otel-api' }], randomSamplingPercentage: 100 }],
    });
  });

  test('refuses scopes where nothing emits spans', () => {
    const chart = testChart({ namespace: 'shop' });
    new AmbientNamespace(chart, 'ns', { name: 'shop' });
    const api = new kplus.Service(chart, 'api', { metadata: { name: 'api' }, ports: [{ port: 80 }] });
    new OtelTracing(chart, 'a', { service: COLLECTOR, scopes: [TelemetryScope.service(api)] });
    new OtelTracing(chart, 'b', { service: COLLECTOR, providerName: 'b', scopes: [TelemetryScope.namespace('shop')] });
    expect(() => Testing.synth(chart))
      .toThrow('[test/a] OtelTracing for Service "shop/api": the Service has no waypoint, and ztunnel emits no spans or HTTP access logs, so nothing would be recorded.');
    expect(() => Testing.synth(chart))
      .toThrow('[test/b] OtelTracing for namespace "shop": the namespace is in ambient without a waypoint, and ztunnel emits no spans');
  });

  test('a waypoint declared after the tracing construct counts (scopes are checked at synth)', () => {
    const chart = testChart({ namespace: 'shop' });
    const api = new kplus.Service(chart, 'api', { metadata: { name: 'api' }, ports: [{ port: 80, name: 'http' }] });
    new OtelTracing(chart, 'a', { service: COLLECTOR, scopes: [TelemetryScope.service(api), TelemetryScope.namespace('shop')] });
    const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
    ns.addWaypoint('waypoint');
    expect(Object.keys(telemetries(synthValid(chart)))).toEqual(['shop/api-telemetry', 'shop/default']);
  });

  test('a namespace not declared in the app (e.g. a gateway namespace) is accepted', () => {
    const chart = testChart();
    new OtelTracing(chart, 'tracing', { service: COLLECTOR, scopes: [TelemetryScope.namespace('istio-ingress')] });
    expect(Object.keys(telemetries(synthValid(chart)))).toEqual(['istio-ingress/default']);
  });

  test('two tracing configurations for one scope are refused', () => {
    const chart = testChart();
    new OtelTracing(chart, 'b', { service: COLLECTOR, providerName: 'other' });
    new OtelTracing(chart, 'a', { service: COLLECTOR });
    // Reported on the construct with the larger path, whichever was declared first.
    expect(() => Testing.synth(chart))
      .toThrow('[test/b] the mesh (root namespace istio-system) already has tracing configured by test/a');
  });

  test('two providers with the same name but different settings are refused', () => {
    const chart = testChart();
    new AmbientMesh(chart, 'mesh');
    new OtelTracing(chart, 'a', { service: COLLECTOR });
    new OtelTracing(chart, 'b', { service: 'other.svc.cluster.local', scopes: [TelemetryScope.namespace('gw')] });
    expect(() => Testing.synth(chart))
      .toThrow('[test/b] meshConfig.extensionProviders of test/mesh already has a different provider named "otel-tracing" (added by test/a); give the second one another name.');
  });

  test.each([
    [{ service: 'http://collector:4317' }, 'service "http://collector:4317" must be a fully qualified host name'],
    [{ service: 'otel-collector' }, 'istiod cannot resolve short names, and spans would be dropped.'],
    [{ service: COLLECTOR, port: 0 }, 'port 0 is not a port number (1-65535).'],
    [{ service: COLLECTOR, httpPath: '/v1/traces' }, 'httpPath applies to the HTTP protocol only'],
    [{ service: COLLECTOR, samplingPercentage: 101 }, 'samplingPercentage 101 must be between 0 and 100, in steps of 0.01.'],
    [{ service: COLLECTOR, samplingPercentage: 0.001 }, 'samplingPercentage 0.001 must be between 0 and 100'],
    [{ service: COLLECTOR, providerName: 'Otel Tracing' }, 'providerName "Otel Tracing" is not a valid object name'],
  ])('refuses %j', (props, message) => {
    expect(() => new OtelTracing(testChart(), 'tracing', props)).toThrow(message);
  });
});

describe('AccessLogging', () => {
  test('envoy access logs, shared with tracing in one Telemetry per scope', () => {
    const chart = testChart({ namespace: 'shop' });
    const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
    const waypoint = ns.addWaypoint('waypoint');
    new OtelTracing(chart, 'tracing', { service: COLLECTOR });
    new AccessLogging(chart, 'mesh-logs');
    new AccessLogging(chart, 'wp-logs', { scopes: [TelemetryScope.waypoint(waypoint)], filter: 'response.code >= 500' });
    const out = telemetries(synthValid(chart));
    expect(out['istio-system/default']).toEqual({
      tracing: [{ providers: [{ name: 'otel-tracing' }], randomSamplingPercentage: 1 }],
      accessLogging: [{ providers: [{ name: 'envoy' }] }],
    });
    expect(out['shop/waypoint-telemetry']).toEqual({
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
      accessLogging: [{ providers: [{ name: 'envoy' }], filter: { expression: 'response.code >= 500' } }],
    });
  });

  test('an undefined provider fails synth when the mesh is declared in the app', () => {
    const chart = testChart();
    new AmbientMesh(chart, 'mesh');
    new AccessLogging(chart, 'logs', { provider: 'otel-als' });
    expect(() => Testing.synth(chart)).toThrow(/\[test\/logs\] provider "otel-als" is not defined in meshConfig.extensionProviders of test\/mesh \(defined: envoy, prometheus, stackdriver\): istiod finds no provider of that name and produces none of this telemetry\. Add the provider or use a defined one\./);
  });

  test('an unknown provider is accepted when the mesh is installed elsewhere', () => {
    const chart = testChart();
    new AccessLogging(chart, 'logs', { provider: 'otel-als' });
    expect(telemetries(synthValid(chart))['istio-system/default'].accessLogging[0].providers).toEqual([{ name: 'otel-als' }]);
  });

  test.each([
    ["response.code >= 400 && request.headers['x-debug'] == \"1\"", undefined],
    ["request.url_path.contains(')') || (response.code == 503)", undefined],
    ["'''it's'''.size() > 0 && [1, 2][0] == 1 && {'a': 1}['a'] == 1", undefined],
    ["request.url_path.matches(r'^/a\\') && error == 'x'", undefined],
    ['(response.code >= 400', "has '(' at character 1 never closed (add ')')"],
    ['response.code >= 400)', "has ')' at character 21 with nothing open to close"],
    ["request.headers['x-id') == 'a'", "has ')' at character 23 closing the '[' at character 16"],
    ["request.path == '/api", "has a string literal opened at character 17 and never closed (add the closing ')"],
    ['request.path == "a\\"', 'has a string literal opened at character 17 and never closed (add the closing ")'],
  ])('CEL filter %j: %s', (filter, problem) => {
    expect(celSyntaxProblem(filter)).toBe(problem);
    const chart = testChart();
    if (problem === undefined) {
      new AccessLogging(chart, 'logs', { filter });
      expect(telemetries(synthValid(chart))['istio-system/default'].accessLogging[0].filter).toEqual({ expression: filter });
    } else {
      expect(() => new AccessLogging(chart, 'logs', { filter }))
        .toThrow(`[test/logs] filter: "${filter}" ${problem}, so it is not a valid CEL expression. Fix it, e.g. "response.code >= 400".`);
    }
  });

  test('refuses an empty filter', () => {
    expect(() => new AccessLogging(testChart(), 'logs', { filter: ' ' })).toThrow('filter is empty; drop it to log every request.');
  });
});

describe('MeshMetrics', () => {
  test('istiod, ztunnel and waypoints on their real ports and paths', () => {
    const chart = testChart();
    new MeshMetrics(chart, 'metrics', { labels: { release: 'prom' }, interval: Duration.seconds(15) });
    const objects = synthValid(chart);
    expect(objects.map(o => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`))
      .toEqual(['ServiceMonitor/istio-system/istiod', 'PodMonitor/istio-system/ztunnel', 'PodMonitor/istio-system/waypoints', 'PodMonitor/istio-system/ingress-gateways']);
    expect(findObject(objects, 'ServiceMonitor').spec).toEqual({
      selector: { matchLabels: { app: 'istiod' }, matchExpressions: [{ key: 'istio.io/tag', operator: 'DoesNotExist' }] },
      endpoints: [{ port: 'http-monitoring', path: '/metrics', interval: '15s' }],
    });
    expect(findObject(objects, 'PodMonitor', 'ztunnel').spec).toEqual({
      selector: { matchLabels: { app: 'ztunnel' } },
      podMetricsEndpoints: [{ portNumber: 15020, path: '/stats/prometheus', interval: '15s' }],
    });
    expect(findObject(objects, 'PodMonitor', 'waypoints').spec).toEqual({
      namespaceSelector: { any: true },
      selector: { matchLabels: { 'gateway.istio.io/managed': 'istio.io-mesh-controller' } },
      podMetricsEndpoints: [{ portNumber: 15020, path: '/stats/prometheus', interval: '15s' }],
    });
    for (const o of objects) expect(o.metadata.labels).toEqual({ release: 'prom' });
  });

  test('follows the AmbientMesh namespaces; waypoints can be left out', () => {
    const chart = testChart();
    new AmbientMesh(chart, 'mesh', { platform: MeshPlatform.OPENSHIFT, namespace: 'mesh' });
    new MeshMetrics(chart, 'metrics', { waypoints: false, ingressGateways: false });
    const objects = synthValid(chart);
    expect(objects.map(o => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['ServiceMonitor/mesh/istiod', 'PodMonitor/kube-system/ztunnel']);
  });

  test('refuses a sub-second interval', () => {
    expect(() => new MeshMetrics(testChart(), 'm', { interval: Duration.millis(500) })).toThrow('[test/m] interval must be a whole number of seconds, at least 1 (got 500ms).');
  });
});

describe('OtelCollector', () => {
  test('OTLP receivers, an exporter to Tempo, and a Service with protocol-named ports', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'obs');
    const collector = new OtelCollector(chart, 'collector', { exporterEndpoint: 'tempo.observability.svc.cluster.local:4317', exporterInsecure: true });
    expect(collector.host).toBe('otel-collector.observability.svc.cluster.local');
    const objects = synthValid(chart);
    const config = parse(findObject(objects, 'ConfigMap', 'otel-collector-config').data['config.yaml']);
    expect(config).toEqual({
      receivers: { otlp: { protocols: { grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } } } },
      processors: { batch: {} },
      exporters: { otlp: { endpoint: 'tempo.observability.svc.cluster.local:4317', tls: { insecure: true } } },
      service: { pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['otlp'] } } },
    });
    const service = findObject(objects, 'Service', 'otel-collector');
    expect(service.metadata.namespace).toBe('observability');
    expect(service.spec.ports).toEqual([
      { name: 'grpc-otlp', port: 4317, targetPort: 4317 },
      { name: 'http-otlp', port: 4318, targetPort: 4318 },
    ]);
    const container = findObject(objects, 'Deployment', 'otel-collector').spec.template.spec.containers[0];
    expect(container.args).toEqual(['--config=/conf/config.yaml']);
    expect(container.image).toBe('otel/opentelemetry-collector:0.138.0');
  });

  test('the namespace is written unless the app declares it or createNamespace is false', () => {
    const chart = testChart({ namespace: 'other' });
    new OtelCollector(chart, 'a', { exporterEndpoint: 'tempo:4317' });
    expect(findObject(synthValid(chart), 'Namespace')).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'observability' } });
    const declared = testChart();
    new AmbientNamespace(declared, 'ns', { name: 'observability' });
    new OtelCollector(declared, 'b', { exporterEndpoint: 'tempo:4317' });
    new OtelCollector(declared, 'c', { exporterEndpoint: 'tempo:4317', namespace: 'tracing', name: 'collector', createNamespace: false });
    expect(synthValid(declared).filter(o => o.kind === 'Namespace').map(o => o.metadata.name)).toEqual(['observability']);
  });

  test('TLS to the exporter by default; custom name and namespace', () => {
    const chart = testChart();
    const collector = new OtelCollector(chart, 'c', { exporterEndpoint: 'jaeger:4317', name: 'collector', namespace: 'tracing' });
    expect(collector.host).toBe('collector.tracing.svc.cluster.local');
    const config = parse(findObject(synthValid(chart), 'ConfigMap').data['config.yaml']);
    expect(config.exporters.otlp.tls).toEqual({ insecure: false });
  });

  test('refuses an endpoint with a scheme', () => {
    expect(() => new OtelCollector(testChart(), 'c', { exporterEndpoint: 'http://tempo:4317' }))
      .toThrow('exporterEndpoint "http://tempo:4317" must be host:port');
  });
});
