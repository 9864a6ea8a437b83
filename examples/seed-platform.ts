/**
 * The seed platform, from one program: Istio ambient installed with Flux, namespace `microservices`
 * in ambient with a waypoint, traces from the waypoints to an OpenTelemetry Collector
 * (`otel-collector.observability.svc.cluster.local:4317`, gRPC) that exports to Tempo, waypoint
 * access logs, and prometheus-operator monitors for istiod, ztunnel and the waypoints.
 */
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  AccessLogging, AmbientMesh, AmbientNamespace, MeshDelivery, MeshMetrics, OtelCollector, OtelTracing, OutboundTrafficPolicy,
  TelemetryScope, TracingTag,
} from '../src';

export function build(app: App): void {
  const platform = new Chart(app, 'istio', { disableResourceNameHashes: true });
  new AmbientMesh(platform, 'mesh', {
    delivery: MeshDelivery.flux({ istiodDependsOn: [{ name: 'gateway-api-crds', namespace: 'flux-system' }] }),
    istiod: { minReplicas: 2, maxReplicas: 5, resources: { cpu: { request: kplus.Cpu.millis(500) } } },
    meshConfig: { outboundTrafficPolicy: OutboundTrafficPolicy.ALLOW_ANY },
  });
  new MeshMetrics(platform, 'metrics', { labels: { release: 'kube-prometheus-stack' } });

  const observability = new Chart(app, 'observability', { namespace: 'observability', disableResourceNameHashes: true });
  const collector = new OtelCollector(observability, 'collector', {
    exporterEndpoint: 'tempo.observability.svc.cluster.local:4317',
    exporterInsecure: true, // in-cluster Tempo without TLS
  });

  const apps = new Chart(app, 'microservices', { namespace: 'microservices', disableResourceNameHashes: true });
  const ns = new AmbientNamespace(apps, 'namespace', { name: 'microservices' });
  const waypoint = ns.addWaypoint('waypoint', { replicas: 2 });

  // Istio resources go in their own chart: Flux applies it after the install (a dependent Kustomization).
  const meshConfig = new Chart(app, 'mesh-config', { disableResourceNameHashes: true });
  new OtelTracing(meshConfig, 'tracing', {
    service: collector.host,
    port: OtelCollector.GRPC_PORT,
    samplingPercentage: 10,
    customTags: { cluster: TracingTag.literal('seed'), tenant: TracingTag.header('x-tenant', 'none') },
  });
  new AccessLogging(apps, 'access-logs', { scopes: [TelemetryScope.waypoint(waypoint)], filter: 'response.code >= 400' });
}

if (require.main === module) {
  const app = new App({ outdir: 'dist/seed-platform' });
  build(app);
  app.synth();
}
