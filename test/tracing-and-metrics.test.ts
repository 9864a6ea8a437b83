import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { findObject, synthValid, testChart } from './support';
import {
  AccessLogging, AmbientMesh, AmbientNamespace, IstioChart, IstioMetric, MetricMode, MetricTag, OtelTracing, SkyWalkingTracing, TelemetryMetrics,
  TelemetryScope, TracingTag, ZipkinTraceContext, ZipkinTracing,
} from '../src';

function shop(waypoint = true) {
  const chart = testChart({ namespace: 'shop' });
  const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
  const wp = waypoint ? ns.addWaypoint('waypoint') : undefined;
  const api = new kplus.Service(chart, 'api', { metadata: { name: 'api' }, ports: [{ port: 8000, name: 'http' }] });
  api.selectLabel('app', 'api');
  return { chart, ns, waypoint: wp, api };
}

describe('ZipkinTracing', () => {
  test('zipkin provider in meshConfig (every field) and Telemetry per scope', () => {
    const chart = testChart();
    const mesh = new AmbientMesh(chart, 'mesh');
    new ZipkinTracing(chart, 'zipkin', {
      service: 'zipkin.istio-system.svc.cluster.local',
      path: '/api/v2/spans',
      maxTagLength: 512,
      enable64bitTraceId: true,
      traceContext: ZipkinTraceContext.USE_B3_WITH_W3C_PROPAGATION,
      timeout: Duration.seconds(5),
      headers: { 'X-Tenant': 'shop', 'X-Custom-Header': 'test-value' },
      samplingPercentage: 50,
      customTags: { cluster: TracingTag.literal('east') },
    });
    expect(mesh.valuesFor(IstioChart.ISTIOD).meshConfig).toEqual({
      enableTracing: true,
      extensionProviders: [{
        name: 'zipkin',
        zipkin: {
          service: 'zipkin.istio-system.svc.cluster.local',
          port: 9411,
          path: '/api/v2/spans',
          maxTagLength: 512,
          enable64bitTraceId: true,
          traceContextOption: 'USE_B3_WITH_W3C_PROPAGATION',
          timeout: '5s',
          headers: [{ name: 'X-Custom-Header', value: 'test-value' }, { name: 'X-Tenant', value: 'shop' }],
        },
      }],
    });
    expect(findObject(synthValid(chart), 'Telemetry').spec).toEqual({
      tracing: [{ providers: [{ name: 'zipkin' }], randomSamplingPercentage: 50, customTags: { cluster: { literal: { value: 'east' } } } }],
    });
  });

  test('same scoping rules as OtelTracing: refused for a Service without waypoint, one provider per scope', () => {
    const { chart, api } = shop(false);
    new ZipkinTracing(chart, 'z', { service: 'zipkin.istio-system.svc.cluster.local', scopes: [TelemetryScope.service(api)] });
    expect(() => Testing.synth(chart)).toThrow(
      '[test/z] ZipkinTracing for Service "shop/api": the Service has no waypoint, and ztunnel emits no spans or HTTP access logs, so nothing would be recorded. Enroll the Service in a waypoint, or use TelemetryScope.waypoint().');
    const other = testChart();
    new ZipkinTracing(other, 'zipkin', { service: 'zipkin.istio-system.svc.cluster.local' });
    new OtelTracing(other, 'otel', { service: 'otel-collector.observability.svc.cluster.local' });
    expect(() => Testing.synth(other)).toThrow(
      '[test/zipkin] the mesh (root namespace istio-system) already has tracing configured by test/otel; one Telemetry per scope takes one tracing provider (Istio accepts a single provider per tracing rule).');
  });

  test('refused: short service names, bad ports, paths, tag lengths and header names', () => {
    const chart = testChart();
    expect(() => new ZipkinTracing(chart, 'a', { service: 'zipkin' })).toThrow(
      '[test/a] service "zipkin" must be a fully qualified host name like "zipkin.istio-system.svc.cluster.local" (optionally "<namespace>/<host>"), without scheme or port: istiod cannot resolve short names, and spans would be dropped.');
    expect(() => new ZipkinTracing(chart, 'b', { service: 'zipkin.istio-system.svc.cluster.local', port: 70000 })).toThrow('[test/b] port 70000 is not a port number (1-65535).');
    expect(() => new ZipkinTracing(chart, 'c', { service: 'zipkin.istio-system.svc.cluster.local', path: 'api/v2/spans' })).toThrow('[test/c] path "api/v2/spans" must start with "/", e.g. "/api/v2/spans".');
    expect(() => new ZipkinTracing(chart, 'd', { service: 'zipkin.istio-system.svc.cluster.local', maxTagLength: 0 })).toThrow('[test/d] maxTagLength 0 must be a whole number of at least 1.');
    expect(() => new ZipkinTracing(chart, 'e', { service: 'zipkin.istio-system.svc.cluster.local', headers: { 'bad header': 'x' } })).toThrow('[test/e] headers: "bad header" is not an HTTP header name.');
    expect(() => new ZipkinTracing(chart, 'f', { service: 'zipkin.istio-system.svc.cluster.local', samplingPercentage: 101 })).toThrow('[test/f] samplingPercentage 101 must be between 0 and 100, in steps of 0.01.');
  });
});

describe('SkyWalkingTracing', () => {
  test('skywalking provider (the Istio docs\' service and port) and a waypoint-scoped Telemetry', () => {
    const { chart, waypoint } = shop();
    const mesh = new AmbientMesh(chart, 'mesh');
    const sw = new SkyWalkingTracing(chart, 'sw', { service: 'tracing.istio-system.svc.cluster.local', accessToken: 'token', scopes: [TelemetryScope.waypoint(waypoint!)] });
    expect(sw.meshConfigFragment).toEqual({ enableTracing: true, extensionProviders: [{ name: 'skywalking', skywalking: { service: 'tracing.istio-system.svc.cluster.local', port: 11800, accessToken: 'token' } }] });
    expect(mesh.extensionProviderNames).toEqual(['skywalking']);
    expect(findObject(synthValid(chart), 'Telemetry')).toEqual({
      apiVersion: 'telemetry.istio.io/v1',
      kind: 'Telemetry',
      metadata: { name: 'waypoint-telemetry', namespace: 'shop' },
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
        tracing: [{ providers: [{ name: 'skywalking' }], randomSamplingPercentage: 1 }],
      },
    });
  });

  test('refused: empty access token', () => {
    expect(() => new SkyWalkingTracing(testChart(), 'sw', { service: 'tracing.istio-system.svc.cluster.local', accessToken: ' ' })).toThrow(
      '[test/sw] accessToken is empty; drop it if the OAP server needs none.');
  });
});

describe('TelemetryMetrics', () => {
  test('TestCustomizeMetrics (tests/integration/ambient/baseline_test.go, Istio 1.30.3), with its name ns-default', () => {
    // The upstream Telemetry targets the Service of a service-addressed waypoint, upserts
    // custom_dimension = 'test' and removes source_principal on REQUEST_COUNT for prometheus.
    const { chart, api } = shop();
    new TelemetryMetrics(chart, 'metrics', {
      scopes: [TelemetryScope.service(api).named('ns-default')],
      overrides: [{ metric: IstioMetric.REQUEST_COUNT, tagOverrides: { custom_dimension: MetricTag.upsert("'test'"), source_principal: MetricTag.remove() } }],
    });
    expect(findObject(synthValid(chart), 'Telemetry')).toEqual({
      apiVersion: 'telemetry.istio.io/v1',
      kind: 'Telemetry',
      metadata: { name: 'ns-default', namespace: 'shop' },
      spec: {
        targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
        metrics: [{
          providers: [{ name: 'prometheus' }],
          overrides: [{ match: { metric: 'REQUEST_COUNT' }, tagOverrides: { custom_dimension: { value: "'test'" }, source_principal: { operation: 'REMOVE' } } }],
        }],
      },
    });
  });

  test('disabled metrics, SERVER mode and custom metrics at a waypoint; shares the scope\'s Telemetry with access logging', () => {
    const { chart, waypoint } = shop();
    const scope = TelemetryScope.waypoint(waypoint!);
    new AccessLogging(chart, 'logs', { scopes: [scope] });
    new TelemetryMetrics(chart, 'metrics', {
      scopes: [scope],
      overrides: [
        { metric: IstioMetric.REQUEST_DURATION, mode: MetricMode.SERVER, disabled: true },
        { customMetric: 'my_requests', tagOverrides: { team: MetricTag.upsert('request.host') } },
      ],
    });
    const telemetry = findObject(synthValid(chart), 'Telemetry');
    expect(telemetry.spec).toEqual({
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
      accessLogging: [{ providers: [{ name: 'envoy' }] }],
      metrics: [{
        providers: [{ name: 'prometheus' }],
        overrides: [
          { match: { metric: 'REQUEST_DURATION', mode: 'SERVER' }, disabled: true },
          { match: { customMetric: 'my_requests' }, tagOverrides: { team: { value: 'request.host' } } },
        ],
      }],
    });
  });

  test('refused: what ambient ignores (ztunnel-only scopes, CLIENT overrides at waypoints)', () => {
    const { chart, api, waypoint } = shop();
    expect(() => new TelemetryMetrics(chart, 'a', { scopes: [TelemetryScope.waypoint(waypoint!)], overrides: [{ mode: MetricMode.CLIENT, disabled: true }] })).toThrow(
      '[test/a] overrides[0] has mode CLIENT, but waypoint "shop/waypoint" is served by a waypoint, which generates SERVER-side metrics only (reporter="waypoint"); the override would never apply. Use MetricMode.SERVER or CLIENT_AND_SERVER.');
    expect(() => new TelemetryMetrics(chart, 'b', { scopes: [TelemetryScope.service(api)], overrides: [{ disabled: true }, { mode: MetricMode.CLIENT, disabled: true }] })).toThrow(
      '[test/b] overrides[1] has mode CLIENT, but Service "shop/api" is served by a waypoint, which generates SERVER-side metrics only (reporter="waypoint"); the override would never apply. Use MetricMode.SERVER or CLIENT_AND_SERVER.');
    const plain = shop(false);
    new TelemetryMetrics(plain.chart, 'c', { scopes: [TelemetryScope.service(plain.api)], overrides: [{ disabled: true }] });
    new TelemetryMetrics(plain.chart, 'd', { scopes: [TelemetryScope.namespace('shop')], overrides: [{ disabled: true }] });
    expect(() => Testing.synth(plain.chart)).toThrow(
      '[test/c] TelemetryMetrics for Service "shop/api": the Service has no waypoint, so only ztunnel reports its traffic, and Telemetry does not configure ztunnel\'s metrics. Enroll the Service in a waypoint, or drop this scope.');
    expect(() => Testing.synth(plain.chart)).toThrow(
      '[test/d] TelemetryMetrics for namespace "shop": the namespace is in ambient without a waypoint, so only ztunnel reports its traffic, and Telemetry does not configure ztunnel\'s metrics. Give it a waypoint, or scope the overrides to the mesh, a waypoint or a gateway namespace.');
  });

  test('CLIENT overrides are allowed mesh-wide (gateways generate CLIENT metrics)', () => {
    const chart = testChart();
    new TelemetryMetrics(chart, 'm', { overrides: [{ metric: IstioMetric.REQUEST_COUNT, mode: MetricMode.CLIENT, tagOverrides: { request_host: MetricTag.remove() } }] });
    expect(findObject(synthValid(chart), 'Telemetry').metadata).toEqual({ name: 'default', namespace: 'istio-system' });
  });

  test('refused: malformed overrides', () => {
    const chart = testChart();
    expect(() => new TelemetryMetrics(chart, 'a', { overrides: [] })).toThrow('[test/a] overrides is empty: give at least one metric override.');
    expect(() => new TelemetryMetrics(chart, 'b', { overrides: [{ metric: IstioMetric.REQUEST_COUNT, customMetric: 'x', disabled: true }] })).toThrow('[test/b] overrides[0] sets both metric and customMetric; a match names one metric.');
    expect(() => new TelemetryMetrics(chart, 'c', { overrides: [{ customMetric: 'my-metric', disabled: true }] })).toThrow('[test/c] overrides[0].customMetric "my-metric" is not a metric name (letters, digits and \'_\').');
    expect(() => new TelemetryMetrics(chart, 'd', { overrides: [{ tagOverrides: { 'bad-tag': MetricTag.remove() } }] })).toThrow('[test/d] overrides[0].tagOverrides: "bad-tag" is not a tag name (letters, digits and \'_\', not starting with a digit).');
    expect(() => new TelemetryMetrics(chart, 'e', { overrides: [{ disabled: true, tagOverrides: { a: MetricTag.remove() } }] })).toThrow('[test/e] overrides[0] disables the metric and also overrides its tags; a disabled metric has no tags. Drop one of them.');
    expect(() => new TelemetryMetrics(chart, 'f', { overrides: [{ metric: IstioMetric.REQUEST_COUNT }] })).toThrow('[test/f] overrides[0] changes nothing: set disabled or tagOverrides.');
    expect(() => new TelemetryMetrics(chart, 'g', { overrides: [{ disabled: true }], providers: [] })).toThrow('[test/g] providers is empty; drop it to use "prometheus".');
    expect(() => MetricTag.upsert(' ')).toThrow('MetricTag.upsert() needs a CEL expression; a literal is quoted, e.g. "\'text\'".');
    const twice = testChart();
    new TelemetryMetrics(twice, 'i', { overrides: [{ disabled: true }] });
    new TelemetryMetrics(twice, 'h', { overrides: [{ disabled: true }] });
    expect(() => Testing.synth(twice)).toThrow(
      '[test/i] the mesh (root namespace istio-system) already has metrics configured by test/h; put all overrides for one scope in one TelemetryMetrics.');
  });

  test('an undefined metrics provider fails synth (IST0157)', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    new AmbientMesh(chart, 'mesh');
    new TelemetryMetrics(chart, 'm', { overrides: [{ disabled: true }], providers: ['custom-prom'] });
    expect(() => app.synth()).toThrow(/provider "custom-prom" is not defined in meshConfig.extensionProviders of c\/mesh/);
  });
});

describe('TelemetryScope.named', () => {
  test('names the shared Telemetry whichever construct names it, in any declaration order', () => {
    const build = (namedFirst: boolean) => {
      const chart = testChart();
      const named = () => new AccessLogging(chart, 'logs', { scopes: [TelemetryScope.mesh().named('mesh-default')] });
      const plain = () => new OtelTracing(chart, 'otel', { service: 'otel-collector.observability.svc.cluster.local' });
      if (namedFirst) { named(); plain(); } else { plain(); named(); }
      return Testing.synth(chart);
    };
    expect(build(true)).toEqual(build(false));
    expect(findObject(build(false), 'Telemetry').metadata).toEqual({ name: 'mesh-default', namespace: 'istio-system' });
  });

  test('refused: two names for one scope, and invalid names', () => {
    const chart = testChart();
    new OtelTracing(chart, 'otel', { service: 'otel-collector.observability.svc.cluster.local', scopes: [TelemetryScope.mesh().named('tracing')] });
    new AccessLogging(chart, 'logs', { scopes: [TelemetryScope.mesh().named('mesh-default')] });
    expect(() => Testing.synth(chart)).toThrow(
      '[test/otel] the mesh (root namespace istio-system) is already named "mesh-default" by test/logs; its one Telemetry cannot also be named "tracing". Use the same name for every construct that configures this scope.');
    expect(() => TelemetryScope.mesh().named('Mesh Default')).toThrow(
      '[TelemetryScope.named()] name "Mesh Default" is not a valid object name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit.');
  });
});
