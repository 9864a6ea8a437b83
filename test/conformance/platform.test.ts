/**
 * Conformance vectors for the platform integrations (third-party ingress, CNI chaining). Each vector
 * cites the upstream file and test (Istio tag 1.30.3 unless noted) that shows the behaviour the
 * library or the analyzer states, and asserts what the library emits or reports for it.
 */
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  AmbientMesh, AmbientNamespace, AmbientNetworkPolicy, IstioMetric, MeshAnalyzer, MeshDelivery, MeshMetrics, MetricMode, MetricTag, TelemetryMetrics, TelemetryScope,
} from '../../src';
import { HBONE_PORT, HOST_PROBE_SNAT_IPV4, HOST_PROBE_SNAT_IPV6, ISTIO_CNI_PROVIDERS } from '../../src/semantics/cni-chaining';
import { overrideReachesWaypoint } from '../../src/semantics/metrics';

const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' } } };
const waypoint = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'waypoint', namespace: 'shop' }, spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] } };
const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop' }, spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 8000 }] } };

describe('conformance: third-party ingress', () => {
  test('istio.io/ingress-use-waypoint only changes the endpoints istiod gives Istio gateway proxies', () => {
    // pilot/pkg/xds/waypoint_test.go TestIngressUseWaypoint: the label turns the endpoints of an
    // Istio ingress proxy (model.Router, configured by istiod over xDS) into "connect_originate" to
    // the waypoint. A third-party controller gets no xDS, so it still dials what it resolves itself:
    // pod IPs by default (Traefik's load balancer, NGINX endpoints). tests/integration/ambient/
    // baseline_test.go TestPodIP: calls by pod IP to a Service-addressed waypoint's pods are "not
    // traversed" through the waypoint.
    const route = {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: { name: 'api', namespace: 'shop' },
      spec: { routes: [{ match: 'Host(`a`)', services: [{ name: 'api', port: 8000 }] }] },
    };
    expect(MeshAnalyzer.fromObjects([ns, waypoint, svc, route]).analyze().map(f => f.code)).toEqual(['AMB140']);
  });

  test('a client in ambient that dials the Service VIP goes through the Service waypoint', () => {
    // tests/integration/ambient/baseline_test.go TestServices: an HBONE (ambient) client calling a
    // Service with a Service-addressed waypoint goes through the waypoint (the check expects the
    // waypoint, not the original source). With nativeLB the controller dials the VIP, so the analyzer
    // has nothing to report.
    const route = {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: { name: 'api', namespace: 'shop' },
      spec: { routes: [{ match: 'Host(`a`)', services: [{ name: 'api', port: 8000, nativeLB: true }] }] },
    };
    expect(MeshAnalyzer.fromObjects([ns, waypoint, svc, route]).analyze()).toEqual([]);
  });
});

describe('conformance: CNI chaining', () => {
  test('kubelet probes of ambient pods come from the istio-cni SNAT addresses; mesh traffic arrives on 15008', () => {
    // cni/pkg/nodeagent/options.go: DefaultHostProbeSNATIP = "169.254.7.127",
    // DefaultHostProbeSNATIPV6 = "fd16:9254:7127:1337:ffff:ffff:ffff:ffff" (HOST_PROBE_SNAT_IP[V6]).
    // pilot/pkg/model/listener.go: HBoneInboundListenPort = 15008 (istio.io docs ambient/usage/networkpolicy).
    expect([HOST_PROBE_SNAT_IPV4, HOST_PROBE_SNAT_IPV6, HBONE_PORT]).toEqual(['169.254.7.127', 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff', 15008]);
    const chart = new Chart(Testing.app(), 'apps', { namespace: 'shop' });
    new AmbientNetworkPolicy(chart, 'np', { ipv6: true });
    const [policy] = Testing.synth(chart);
    expect(policy.spec.ingress).toEqual([
      { from: [{ ipBlock: { cidr: '169.254.7.127/32' } }, { ipBlock: { cidr: 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128' } }] },
      { ports: [{ port: 15008, protocol: 'TCP' }] },
    ]);
  });

  test('istio-cni has the providers "default" and "multus" only', () => {
    // manifests/charts/istio-cni/values.yaml: cni.provider, "Possible values: "default", "multus"".
    expect(ISTIO_CNI_PROVIDERS).toEqual(['default', 'multus']);
    const chart = new Chart(Testing.app(), 'install');
    expect(() => new AmbientMesh(chart, 'mesh', { delivery: MeshDelivery.flux(), values: { cni: { provider: 'cilium' } } })).toThrow(/istio-cni only has the providers "default" and "multus"/);
  });
});

describe('conformance: Telemetry metrics in ambient', () => {
  function shop(withWaypoint: boolean) {
    const chart = new Chart(Testing.app(), 'apps', { namespace: 'shop' });
    const namespace = new AmbientNamespace(chart, 'ns', { name: 'shop' });
    const wp = withWaypoint ? namespace.addWaypoint('waypoint') : undefined;
    const api = new kplus.Service(chart, 'api', { metadata: { name: 'api' }, ports: [{ port: 8000, name: 'http' }] });
    api.selectLabel('app', 'api');
    return { chart, wp, api };
  }

  test('a Service-targeted metrics override applies at its waypoint', () => {
    // tests/integration/ambient/baseline_test.go TestCustomizeMetrics (1.30.3): Telemetry with
    // targetRefs to the Service of a service-addressed waypoint; REQUEST_COUNT with custom_dimension
    // upserted and source_principal removed appears on istio_requests_total with reporter="waypoint".
    const { chart, api } = shop(true);
    new TelemetryMetrics(chart, 'm', {
      scopes: [TelemetryScope.service(api).named('ns-default')],
      overrides: [{ metric: IstioMetric.REQUEST_COUNT, tagOverrides: { custom_dimension: MetricTag.upsert("'test'"), source_principal: MetricTag.remove() } }],
    });
    const [telemetry] = Testing.synth(chart).filter(o => o.kind === 'Telemetry');
    expect(telemetry.metadata.name).toBe('ns-default');
    expect(telemetry.spec.metrics[0].overrides[0].tagOverrides).toEqual({ custom_dimension: { value: "'test'" }, source_principal: { operation: 'REMOVE' } });
  });

  test('waypoints take the SERVER metrics configuration: CLIENT overrides never reach them', () => {
    // pilot/pkg/model/telemetry.go MetricsForClass: ListenerClassSidecarInbound -> ServerMetrics,
    // ListenerClassGateway -> ClientMetrics; pilot/pkg/networking/core/listener_waypoint.go builds the
    // waypoint's filter chains with ListenerClassSidecarInbound.
    expect([overrideReachesWaypoint('CLIENT'), overrideReachesWaypoint('SERVER'), overrideReachesWaypoint(undefined)]).toEqual([false, true, true]);
    const { chart, wp } = shop(true);
    expect(() => new TelemetryMetrics(chart, 'm', { scopes: [TelemetryScope.waypoint(wp!)], overrides: [{ mode: MetricMode.CLIENT, disabled: true }] }))
      .toThrow(/generates SERVER-side metrics only/);
  });

  test('nothing in Telemetry metrics reaches ztunnel', () => {
    // pilot/pkg/model/telemetry.go turns metrics into Envoy's istio.stats filter only; the ambient
    // registry (pilot/pkg/serviceregistry/ambient/) sends ztunnel no Telemetry configuration.
    const { chart, api } = shop(false);
    new TelemetryMetrics(chart, 'm', { scopes: [TelemetryScope.service(api)], overrides: [{ disabled: true }] });
    expect(() => Testing.synth(chart)).toThrow(/Telemetry does not configure ztunnel's metrics/);
  });
});

describe('conformance: what the monitors select', () => {
  test('waypoints and Gateway API gateways carry gateway.istio.io/managed; the gateway chart exposes Envoy stats on 15090', () => {
    // pkg/config/constants/constants.go: ManagedGatewayControllerLabel = "istio.io-gateway-controller",
    // ManagedGatewayMeshControllerLabel = "istio.io-mesh-controller" (label gateway.istio.io/managed on the
    // Deployments istiod creates); istio-discovery files/kube-gateway.yaml: containerPort 15020
    // (prometheus.io/port) and 15090; manifests/charts/gateway/templates/deployment.yaml: containerPort 15090
    // named http-envoy-prom, pods labelled app: <release name> (templates/_helpers.tpl).
    const chart = new Chart(Testing.app(), 'install');
    new AmbientMesh(chart, 'mesh', { ingressGateway: {} });
    new MeshMetrics(chart, 'metrics');
    const monitors = Object.fromEntries(Testing.synth(chart).map(o => [o.metadata.name, o.spec]));
    expect(monitors.waypoints.selector.matchLabels).toEqual({ 'gateway.istio.io/managed': 'istio.io-mesh-controller' });
    expect(monitors['ingress-gateways'].selector.matchLabels).toEqual({ 'gateway.istio.io/managed': 'istio.io-gateway-controller' });
    expect(monitors['istio-ingress'].podMetricsEndpoints[0].port).toBe('http-envoy-prom');
  });
});
