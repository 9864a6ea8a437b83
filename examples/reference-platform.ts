/**
 * The reference platform as one program: Istio ambient and its neighbours installed with Flux, on
 * Cilium, behind Traefik, traced through an OpenTelemetry Collector into Tempo, watched with
 * Prometheus monitors and Kiali.
 *
 * - `install`: what Flux installs, in order: Cilium (istio-cni chains after it), the Istio charts,
 *   Traefik (after ztunnel, so it starts inside the mesh), Tempo and Kiali, plus the monitors.
 * - `observability`: the collector, exporting to that Tempo.
 * - `microservices`: the ambient namespace with its waypoint, the apps, and the NetworkPolicy Cilium
 *   needs for probes and HBONE.
 * - `mesh-config`: Istio and Traefik resources, applied after the install (their CRDs come with it):
 *   default deny, Traefik admitted at the waypoint with a JWT, a 90/10 canary, tracing, the route.
 */
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  AmbientMesh, AmbientNamespace, AmbientNetworkPolicy, CiliumCni, HttpRoute, Kiali, MeshDelivery, MeshMetrics, OtelCollector, OtelTracing,
  PolicySource, PolicyTarget, RouteBackend, RouteParent, Tempo, TraefikBackend, TraefikIngress, TraefikIngressRoute, ZeroTrustPolicy,
} from '../src';
import { AS_WRITTEN, declare, DeclarationOrder } from './lib/declare';

const ISSUER = 'https://auth.example.com';
const PROMETHEUS = 'http://kube-prometheus-stack-prometheus.monitoring:9090';

function app(chart: Chart, name: string, serviceAccount: kplus.ServiceAccount, version?: string): kplus.Deployment {
  const labels: { [key: string]: string } = version ? { app: name, version } : { app: name };
  return new kplus.Deployment(chart, version ? `${name}-${version}` : name, {
    metadata: { name: version ? `${name}-${version}` : name },
    podMetadata: { labels },
    serviceAccount,
    containers: [{ name, image: `ghcr.io/example/${name}:${version ?? '1.0.0'}`, portNumber: 8080, securityContext: { user: 10001, group: 10001 } }],
  });
}

export function build(application: App, order: DeclarationOrder = AS_WRITTEN): void {
  const charts = declare(order, {
    install: () => new Chart(application, 'install', { disableResourceNameHashes: true }),
    observability: () => new Chart(application, 'observability', { namespace: 'observability', disableResourceNameHashes: true }),
    microservices: () => new Chart(application, 'microservices', { namespace: 'microservices', disableResourceNameHashes: true }),
    meshConfig: () => new Chart(application, 'mesh-config', { namespace: 'microservices', disableResourceNameHashes: true }),
  });

  const { install, observability, microservices } = declare(order, {
    // ---- install (Flux)
    install: () => declare(order, {
      mesh: () => new AmbientMesh(charts.install, 'mesh', {
        delivery: MeshDelivery.flux({ istiodDependsOn: [{ name: 'gateway-api-crds', namespace: 'flux-system' }] }),
        istiod: { minReplicas: 2, maxReplicas: 5 },
      }),
      cilium: () => new CiliumCni(charts.install, 'cilium', { kubeProxyReplacement: true, k8sServiceHost: 'api.cluster.example.com', k8sServicePort: 6443 }),
      traefik: () => new TraefikIngress(charts.install, 'traefik', { replicas: 2 }),
      tempo: () => new Tempo(charts.install, 'tempo', { retention: '72h' }),
      kiali: () => new Kiali(charts.install, 'kiali', { prometheusUrl: PROMETHEUS }),
      metrics: () => new MeshMetrics(charts.install, 'metrics', { labels: { release: 'kube-prometheus-stack' } }),
    }),

    // ---- observability: the collector exports to the Tempo above
    observability: () => ({ collector: new OtelCollector(charts.observability, 'collector') }),

    // ---- microservices
    microservices: () => {
      const apps = charts.microservices;
      const ns = new AmbientNamespace(apps, 'namespace', { name: 'microservices' });
      ns.addWaypoint('waypoint', { replicas: 2 });
      new AmbientNetworkPolicy(apps, 'network-policy', { scrapeFromNamespace: 'monitoring' });
      const http = [{ port: 8080, targetPort: 8080, name: 'http' }];
      const frontendAccount = new kplus.ServiceAccount(apps, 'frontend-sa', { metadata: { name: 'frontend' }, automountToken: false });
      const ordersAccount = new kplus.ServiceAccount(apps, 'orders-sa', { metadata: { name: 'orders' }, automountToken: false });
      const frontend = app(apps, 'frontend', frontendAccount).exposeViaService({ name: 'frontend', ports: http });
      const orders = new kplus.Service(apps, 'orders', { metadata: { name: 'orders' }, ports: http });
      orders.selectLabel('app', 'orders');
      const ordersV1 = app(apps, 'orders', ordersAccount, 'v1').exposeViaService({ name: 'orders-v1', ports: http });
      const ordersV2 = app(apps, 'orders', ordersAccount, 'v2').exposeViaService({ name: 'orders-v2', ports: http });
      return { frontendAccount, frontend, orders, ordersV1, ordersV2 };
    },
  });

  // ---- mesh configuration (applied after the install)
  const config = charts.meshConfig;
  const { frontend, orders, ordersV1, ordersV2 } = microservices;
  declare(order, {
    zeroTrust: () => {
      const policy = new ZeroTrustPolicy(config, 'zero-trust', { namespace: 'microservices' });
      declare(order, {
        frontend: () => policy.to(PolicyTarget.service(frontend))
          .requireJwt({ issuer: ISSUER, jwksUri: `${ISSUER}/.well-known/jwks.json` })
          .allowFrom(install.traefik.policySource, { methods: ['GET', 'POST'] }),
        ...Object.fromEntries([orders, ordersV1, ordersV2].map(target => [target.name, () => policy.to(PolicyTarget.service(target))
          .allowFrom(PolicySource.serviceAccount(microservices.frontendAccount), { methods: ['GET', 'POST'], paths: ['/orders*'] })])),
      });
    },
    canary: () => new HttpRoute(config, 'orders-canary', {
      parents: [RouteParent.service(orders, 8080)],
      rules: [{ backends: [RouteBackend.service(ordersV1, { weight: 90 }), RouteBackend.service(ordersV2, { weight: 10 })] }],
    }),
    tracing: () => new OtelTracing(config, 'tracing', { service: observability.collector.host, samplingPercentage: 10 }),
    shop: () => new TraefikIngressRoute(config, 'shop', {
      name: 'shop',
      entryPoints: ['web'],
      rules: [{ match: 'Host(`shop.example.com`)', backends: [TraefikBackend.service(frontend, 8080)] }],
    }),
  });
}

if (require.main === module) {
  const out = new App({ outdir: 'dist/reference-platform' });
  build(out);
  out.synth();
}
