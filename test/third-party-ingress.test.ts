import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { findObject, synthValid } from './support';
import {
  AmbientMesh, AmbientNamespace, MeshAnalyzer, MeshDelivery, MtlsMode, PolicyTarget, TraefikBackend, TraefikIngress, TraefikIngressRoute,
  ZeroTrustPolicy,
} from '../src';
import { undeclaredChartKeys } from './support/chart-values';
import { ingressRouteUsesServiceVip, traefikServiceAccountName } from '../src/semantics/third-party-ingress';

const TRAEFIK_VALUES = 'traefik-helm-chart-v41.3.0/helm-values/traefik.values.yaml';

function platform(delivery = MeshDelivery.flux()) {
  const app = Testing.app();
  const install = new Chart(app, 'install', { disableResourceNameHashes: true });
  new AmbientMesh(install, 'mesh', { delivery });
  return { app, install };
}

describe('TraefikIngress', () => {
  test('Flux: HelmRepository, HelmRelease after ztunnel with Service-VIP routing, and its namespace in ambient', () => {
    const { install } = platform();
    const traefik = new TraefikIngress(install, 'traefik', { replicas: 2, serviceType: 'ClusterIP' });
    const objects = synthValid(install);
    expect(findObject(objects, 'HelmRepository', 'traefik')).toEqual({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'HelmRepository',
      metadata: { name: 'traefik', namespace: 'flux-system' },
      spec: { interval: '1h', url: 'https://traefik.github.io/charts' },
    });
    const release = findObject(objects, 'HelmRelease', 'traefik');
    expect(release.metadata).toEqual({ name: 'traefik', namespace: 'traefik' });
    expect(release.spec).toEqual({
      interval: '10m',
      releaseName: 'traefik',
      chart: { spec: { chart: 'traefik', version: '41.3.0', sourceRef: { kind: 'HelmRepository', name: 'traefik', namespace: 'flux-system' } } },
      dependsOn: [{ name: 'ztunnel', namespace: 'istio-system' }],
      install: { createNamespace: true, remediation: { retries: 3 } },
      upgrade: { remediation: { retries: 3 } },
      values: {
        deployment: { replicas: 2 },
        providers: { kubernetesCRD: { nativeLBByDefault: true }, kubernetesIngress: { nativeLBByDefault: true } },
        service: { spec: { type: 'ClusterIP' } },
      },
    });
    expect(findObject(objects, 'Namespace', 'traefik').metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'ambient' });
    // Every key exists in traefik/traefik 41.3.0 values.yaml.
    expect(undeclaredChartKeys(TRAEFIK_VALUES, traefik.values)).toEqual([]);
    expect(traefik.serviceAccountName).toBe('traefik');
  });

  test('the chart names its service account after the release (traefik.fullname)', () => {
    expect(traefikServiceAccountName('traefik')).toBe('traefik');
    expect(traefikServiceAccountName('edge-traefik')).toBe('edge-traefik');
    expect(traefikServiceAccountName('edge')).toBe('edge-traefik');
    const { install } = platform();
    const traefik = new TraefikIngress(install, 'traefik', { releaseName: 'edge', namespace: 'ingress' });
    expect(traefik.serviceAccountName).toBe('edge-traefik');
    expect(traefik.policySource.description).toBe('service account ingress/edge-traefik');
  });

  test('Argo CD: an Application after the mesh (sync wave 10)', () => {
    const { install } = platform(MeshDelivery.argoCd());
    new TraefikIngress(install, 'traefik');
    const app = findObject(synthValid(install), 'Application', 'traefik');
    expect(app.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '10' });
    expect(app.spec.source).toEqual({
      repoURL: 'https://traefik.github.io/charts',
      chart: 'traefik',
      targetRevision: '41.3.0',
      helm: { releaseName: 'traefik', valuesObject: { providers: { kubernetesCRD: { nativeLBByDefault: true }, kubernetesIngress: { nativeLBByDefault: true } } } },
    });
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'traefik' });
  });

  test('helm CLI: values file and commands', () => {
    const { install } = platform(MeshDelivery.helmCli());
    const traefik = new TraefikIngress(install, 'traefik');
    expect(traefik.helmInstall().commands).toEqual([
      'helm repo add traefik https://traefik.github.io/charts',
      'helm upgrade --install traefik traefik/traefik --version 41.3.0 --namespace traefik --create-namespace --values values-traefik.yaml --wait',
    ]);
    expect(traefik.helmInstall().files['values-traefik.yaml']).toBe('providers:\n  kubernetesCRD:\n    nativeLBByDefault: true\n  kubernetesIngress:\n    nativeLBByDefault: true\n');
  });

  test('its identity is admitted at the destination waypoint, where the L7 rules are', () => {
    const { app, install } = platform();
    const traefik = new TraefikIngress(install, 'traefik');
    const apps = new Chart(app, 'apps', { namespace: 'shop', disableResourceNameHashes: true });
    const ns = new AmbientNamespace(apps, 'ns', { name: 'shop' });
    ns.addWaypoint('waypoint');
    const api = new kplus.Service(apps, 'api', { metadata: { name: 'api' }, ports: [{ port: 8000, targetPort: 8080, name: 'http' }] });
    api.selectLabel('app', 'api');
    new ZeroTrustPolicy(apps, 'policy').to(PolicyTarget.service(api)).allowFrom(traefik.policySource, { methods: ['GET'] });
    const policy = findObject(synthValid(apps), 'AuthorizationPolicy', 'api-waypoint');
    expect(policy.spec).toEqual({
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/traefik/sa/traefik'] } }], to: [{ operation: { methods: ['GET'] } }] }],
    });
  });

  test('refused: STRICT mTLS in its namespace (clients of the load balancer are outside the mesh)', () => {
    const { app, install } = platform();
    new TraefikIngress(install, 'traefik');
    const config = new Chart(app, 'config');
    new ZeroTrustPolicy(config, 'mesh', { meshWide: true });
    expect(() => app.synth()).toThrow('Traefik in namespace "traefik" receives plaintext from clients outside the mesh, but config/mesh makes mTLS STRICT there, so ztunnel would refuse every external connection. Give namespace "traefik" a ZeroTrustPolicy with mtls: MtlsMode.PERMISSIVE.');
  });

  test('a PERMISSIVE policy in its namespace overrides the mesh-wide STRICT', () => {
    const { app, install } = platform();
    new TraefikIngress(install, 'traefik');
    const config = new Chart(app, 'config');
    new ZeroTrustPolicy(config, 'mesh', { meshWide: true });
    new ZeroTrustPolicy(config, 'traefik', { namespace: 'traefik', mtls: MtlsMode.PERMISSIVE, defaultDeny: false });
    app.synth();
    expect(Testing.synth(config).filter(o => o.kind === 'PeerAuthentication').map(o => [o.metadata.namespace, o.spec.mtls.mode]))
      .toEqual([['istio-system', 'STRICT'], ['traefik', 'PERMISSIVE']]);
  });

  test('refused: replicas below 1', () => {
    const { install } = platform();
    expect(() => new TraefikIngress(install, 'traefik', { replicas: 0 })).toThrow('[install/traefik] replicas is 0; it must be a whole number of at least 1.');
  });
});

describe('TraefikIngressRoute', () => {
  function routeChart(): Chart {
    return new Chart(new App(), 'routes', { namespace: 'shop', disableResourceNameHashes: true });
  }

  test('every backend is reached through its Service VIP (nativeLB), admitted by the IngressRoute CRD', () => {
    const chart = routeChart();
    const api = new kplus.Service(chart, 'api', { metadata: { name: 'api' }, ports: [{ port: 8000 }] });
    new TraefikIngressRoute(chart, 'route', {
      name: 'shop',
      entryPoints: ['websecure'],
      rules: [{ match: 'Host(`shop.example.com`)', backends: [TraefikBackend.service(api, 8000, 90), TraefikBackend.serviceName('api-canary', 8000, undefined, 10)], priority: 5 }],
    });
    expect(findObject(synthValid(chart), 'IngressRoute')).toEqual({
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: { name: 'shop', namespace: 'shop' },
      spec: {
        entryPoints: ['websecure'],
        routes: [{
          kind: 'Rule',
          match: 'Host(`shop.example.com`)',
          priority: 5,
          services: [{ name: 'api', port: 8000, weight: 90, nativeLB: true }, { name: 'api-canary', port: 8000, weight: 10, nativeLB: true }],
        }],
      },
    });
  });

  test('refused: cross-namespace backends, empty rules, empty match, bad port', () => {
    const chart = routeChart();
    expect(() => new TraefikIngressRoute(chart, 'a', { rules: [{ match: 'Host(`a`)', backends: [TraefikBackend.serviceName('api', 80, 'other')] }] }))
      .toThrow('[routes/a] rules[0]: Service other/api is in another namespace than the IngressRoute ("shop"); Traefik refuses cross-namespace services unless providers.kubernetesCRD.allowCrossNamespace is set. Declare the IngressRoute in namespace "other".');
    expect(() => new TraefikIngressRoute(chart, 'b', { rules: [] })).toThrow('[routes/b] rules is empty: an IngressRoute needs at least one rule.');
    expect(() => new TraefikIngressRoute(chart, 'c', { rules: [{ match: ' ', backends: [TraefikBackend.serviceName('api', 80)] }] }))
      .toThrow('[routes/c] rules[0].match is empty; give a Traefik rule such as "Host(`example.com`)".');
    expect(() => new TraefikIngressRoute(chart, 'd', { rules: [{ match: 'Host(`a`)', backends: [TraefikBackend.serviceName('api', 0)] }] }))
      .toThrow('[routes/d] rules[0]: port 0 of Service api is not a port number (1-65535).');
    expect(() => new TraefikIngressRoute(chart, 'e', { rules: [{ match: 'Host(`a`)', backends: [] }] })).toThrow('[routes/e] rules[0] has no backends.');
  });

  test('semantics: an unset nativeLB takes the provider default', () => {
    expect(ingressRouteUsesServiceVip({}, false)).toBe(false);
    expect(ingressRouteUsesServiceVip({}, true)).toBe(true);
    expect(ingressRouteUsesServiceVip({ nativeLB: false }, true)).toBe(false);
    expect(ingressRouteUsesServiceVip({ nativeLB: true }, false)).toBe(true);
  });
});

describe('analyzer: third-party ingress', () => {
  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } } };
  const waypoint = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'waypoint', namespace: 'shop' }, spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] } };
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop' }, spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 8000 }] } };
  const nginxIngress = (annotations: any) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'api', namespace: 'shop', annotations },
    spec: { ingressClassName: 'nginx', rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 8000 } } } }] } }] },
  });

  test('NGINX Ingress without service-upstream reaches the pods directly (AMB140)', () => {
    const findings = MeshAnalyzer.fromObjects([namespace, waypoint, service, nginxIngress(undefined)]).analyze().filter(f => f.code === 'AMB140');
    expect(findings.map(f => [f.message, f.fix])).toEqual([[
      'Ingress shop/api (class nginx) sends requests to Service shop/api by pod IP, so they skip waypoint shop/waypoint. istio.io/ingress-use-waypoint does not apply to third-party controllers.',
      'Annotate the Ingress with nginx.ingress.kubernetes.io/service-upstream: "true" so NGINX dials the Service VIP and ztunnel sends the request through the waypoint.',
    ]]);
    expect(MeshAnalyzer.fromObjects([namespace, waypoint, service, nginxIngress({ 'nginx.ingress.kubernetes.io/service-upstream': 'true' })]).analyze().filter(f => f.code === 'AMB140')).toEqual([]);
  });

  test('the objects TraefikIngress and TraefikIngressRoute emit are clean', () => {
    const { app, install } = platform();
    new TraefikIngress(install, 'traefik');
    const apps = new Chart(app, 'apps', { namespace: 'shop', disableResourceNameHashes: true });
    new AmbientNamespace(apps, 'ns', { name: 'shop' }).addWaypoint('waypoint');
    new kplus.Service(apps, 'api', { metadata: { name: 'api' }, ports: [{ port: 8000 }] }).selectLabel('app', 'api');
    new TraefikIngressRoute(apps, 'route', { rules: [{ match: 'Host(`shop.example.com`)', backends: [TraefikBackend.serviceName('api', 8000)] }] });
    const objects = app.charts.flatMap(c => Testing.synth(c));
    expect(MeshAnalyzer.fromObjects(objects).analyze().filter(f => f.code === 'AMB140' || f.code === 'AMB141')).toEqual([]);
  });
});

describe('TraefikIngress and its namespace in any order', () => {
  test('an AmbientNamespace of the same name declared after the controller is the one written', () => {
    const chart = new Chart(Testing.app(), 'edge');
    new TraefikIngress(chart, 'traefik');
    new AmbientNamespace(chart, 'ns', { name: 'traefik', ingressUseWaypoint: false });
    const namespaces = Testing.synth(chart).filter(o => o.kind === 'Namespace');
    expect(namespaces.map(o => o.metadata.name)).toEqual(['traefik']);
  });
});
