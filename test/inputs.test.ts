/**
 * Every construct that takes Services, workloads, ServiceAccounts, Namespaces or Secrets, fed with
 * the objects of cdk8s-plus-28, of the newest cdk8s-plus major (installed as cdk8s-plus-latest), of
 * plain ApiObjects and of an Include: the same program must give the same YAML.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, Chart, Include, Testing } from 'cdk8s';
import * as plus28 from 'cdk8s-plus-28';
import * as plusLatest from 'cdk8s-plus-latest';
import { IConstruct } from 'constructs';
import { findObject, synthValid } from './support';
import {
  AmbientNamespace, HttpRoute, IngressGateway, ListenerProtocol, MeshIdentity, OtelTracing, PolicySource, PolicyTarget,
  ResiliencePolicy, RouteBackend, RouteParent, TelemetryScope, TlsCertificate, Waypoint, WaypointTrafficType, ZeroTrustPolicy,
} from '../src';

interface ServiceSpec { readonly name: string; readonly app: string; readonly port: number; readonly targetPort: number }
interface WorkloadSpec { readonly name: string; readonly app: string; readonly serviceAccount?: string }

/** Builds the inputs of one kind. Every object is in the chart's namespace. */
interface InputKit {
  namespace(chart: Chart, name: string): IConstruct;
  service(chart: Chart, spec: ServiceSpec): IConstruct;
  deployment(chart: Chart, spec: WorkloadSpec): IConstruct;
  serviceAccount(chart: Chart, name: string): IConstruct;
  secret(chart: Chart, name: string): IConstruct;
}

type Plus = typeof plus28 | typeof plusLatest;

function plusKit(kplus: Plus): InputKit {
  return {
    namespace: (chart, name) => new kplus.Namespace(chart, `ns-${name}`, { metadata: { name } }),
    service: (chart, s) => {
      const svc = new kplus.Service(chart, `svc-${s.name}`, { metadata: { name: s.name }, ports: [{ port: s.port, targetPort: s.targetPort, name: 'http' }] });
      svc.selectLabel('app', s.app);
      return svc;
    },
    deployment: (chart, w) => {
      const serviceAccount = w.serviceAccount
        ? kplus.ServiceAccount.fromServiceAccountName(chart, `sa-ref-${w.name}`, w.serviceAccount)
        : undefined;
      const deployment = new kplus.Deployment(chart, `deploy-${w.name}`, {
        metadata: { name: w.name },
        select: false,
        serviceAccount: serviceAccount as any,
        automountServiceAccountToken: false,
        containers: [{ image: 'registry.example.com/app:1', portNumber: 8080, securityContext: { ensureNonRoot: false } }],
      });
      deployment.podMetadata.addLabel('app', w.app);
      deployment.select(kplus.LabelSelector.of({ labels: { app: w.app } }) as any);
      return deployment;
    },
    serviceAccount: (chart, name) => new kplus.ServiceAccount(chart, `sa-${name}`, { metadata: { name } }),
    secret: (chart, name) => new kplus.Secret(chart, `secret-${name}`, { metadata: { name }, type: 'kubernetes.io/tls' }),
  };
}

function manifest(kind: string, s: any): any {
  switch (kind) {
    case 'Namespace': return { apiVersion: 'v1', kind, metadata: { name: s } };
    case 'Service': return {
      apiVersion: 'v1',
      kind,
      metadata: { name: s.name },
      spec: { selector: { app: s.app }, ports: [{ name: 'http', port: s.port, targetPort: s.targetPort }] },
    };
    case 'Deployment': return {
      apiVersion: 'apps/v1',
      kind,
      metadata: { name: s.name },
      spec: {
        selector: { matchLabels: { app: s.app } },
        template: {
          metadata: { labels: { app: s.app } },
          spec: { serviceAccountName: s.serviceAccount, containers: [{ name: 'main', image: 'registry.example.com/app:1', ports: [{ containerPort: 8080 }] }] },
        },
      },
    };
    case 'ServiceAccount': return { apiVersion: 'v1', kind, metadata: { name: s } };
    case 'Secret': return { apiVersion: 'v1', kind, type: 'kubernetes.io/tls', metadata: { name: s } };
    default: throw new Error(kind);
  }
}

const apiObjectKit: InputKit = {
  namespace: (chart, name) => new ApiObject(chart, `ns-${name}`, manifest('Namespace', name)),
  service: (chart, s) => new ApiObject(chart, `svc-${s.name}`, manifest('Service', s)),
  deployment: (chart, w) => new ApiObject(chart, `deploy-${w.name}`, manifest('Deployment', w)),
  serviceAccount: (chart, name) => new ApiObject(chart, `sa-${name}`, manifest('ServiceAccount', name)),
  secret: (chart, name) => new ApiObject(chart, `secret-${name}`, manifest('Secret', name)),
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inputs-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Each object through an Include of a one-document manifest (the Include itself is passed). */
function includeOf(chart: Chart, id: string, doc: any): IConstruct {
  const file = path.join(tmp, `${chart.node.addr}-${id}.yaml`);
  fs.writeFileSync(file, JSON.stringify(doc));
  return new Include(chart, id, { url: file });
}

const includeKit: InputKit = {
  namespace: (chart, name) => includeOf(chart, `ns-${name}`, manifest('Namespace', name)),
  service: (chart, s) => includeOf(chart, `svc-${s.name}`, manifest('Service', s)),
  deployment: (chart, w) => includeOf(chart, `deploy-${w.name}`, manifest('Deployment', w)),
  serviceAccount: (chart, name) => includeOf(chart, `sa-${name}`, manifest('ServiceAccount', name)),
  secret: (chart, name) => includeOf(chart, `secret-${name}`, manifest('Secret', name)),
};

const KITS: Array<[string, InputKit]> = [
  ['cdk8s-plus-28', plusKit(plus28)],
  [`${JSON.parse(fs.readFileSync(require.resolve('cdk8s-plus-latest/package.json'), 'utf8')).name} (newest)`, plusKit(plusLatest)],
  ['ApiObject', apiObjectKit],
  ['Include', includeKit],
];

function chartIn(namespace: string): Chart {
  return new Chart(Testing.app(), 'test', { namespace });
}

function labelsOf(objects: any[], kind: string, name: string): any {
  return findObject(objects, kind, name).metadata.labels;
}

/** Pod template labels, without the address label cdk8s-plus adds to every pod. */
function podLabelsOf(objects: any[], name: string): any {
  const { ['cdk8s.io/metadata.addr']: _addr, ...labels } = findObject(objects, 'Deployment', name).spec.template.metadata.labels;
  return labels;
}

describe.each(KITS)('inputs from %s', (_label, kit) => {
  test('AmbientNamespace labels the given Namespace in place; excludeWorkload and bypassWaypoint label the objects', () => {
    const chart = chartIn('shop');
    const ns = new AmbientNamespace(chart, 'ns', { namespace: kit.namespace(chart, 'shop') });
    ns.addWaypoint('waypoint');
    const batch = kit.deployment(chart, { name: 'batch', app: 'batch' });
    const legacy = kit.service(chart, { name: 'legacy', app: 'legacy', port: 80, targetPort: 8080 });
    ns.excludeWorkload(batch);
    ns.bypassWaypoint(legacy);
    const objects = synthValid(chart);
    expect(ns.name).toBe('shop');
    expect(objects.filter(o => o.kind === 'Namespace')).toHaveLength(1);
    expect(labelsOf(objects, 'Namespace', 'shop')).toEqual({ 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' });
    expect(podLabelsOf(objects, 'batch')).toEqual({ 'app': 'batch', 'istio.io/dataplane-mode': 'none' });
    expect(labelsOf(objects, 'Service', 'legacy')).toEqual({ 'istio.io/use-waypoint': 'none' });
  });

  test('Waypoint.enrollService and enrollWorkload label the Service and the pod template', () => {
    const app = Testing.app();
    const infra = new Chart(app, 'infra', { namespace: 'infra' });
    new AmbientNamespace(infra, 'ns', { name: 'infra' });
    const waypoint = new Waypoint(infra, 'wp', { name: 'shared', trafficType: WaypointTrafficType.ALL });
    const shop = new Chart(app, 'shop', { namespace: 'shop' });
    new AmbientNamespace(shop, 'ns', { name: 'shop' });
    waypoint.enrollService(kit.service(shop, { name: 'api', app: 'api', port: 80, targetPort: 8080 }), { ingressUseWaypoint: true });
    waypoint.enrollWorkload(kit.deployment(shop, { name: 'db', app: 'db' }));
    const objects = synthValid(app);
    const shared = { 'istio.io/use-waypoint': 'shared', 'istio.io/use-waypoint-namespace': 'infra' };
    expect(labelsOf(objects, 'Service', 'api')).toEqual({ ...shared, 'istio.io/ingress-use-waypoint': 'true' });
    expect(podLabelsOf(objects, 'db')).toEqual({ app: 'db', ...shared });
  });

  test('ZeroTrustPolicy: service account and workload sources, Service and workload targets', () => {
    const chart = chartIn('shop');
    new AmbientNamespace(chart, 'ns', { name: 'shop' }).addWaypoint('waypoint');
    const frontend = kit.serviceAccount(chart, 'frontend');
    const worker = kit.deployment(chart, { name: 'worker', app: 'worker', serviceAccount: 'worker-sa' });
    const api = kit.service(chart, { name: 'api', app: 'api', port: 80, targetPort: 8080 });
    const db = kit.deployment(chart, { name: 'db', app: 'db' });
    const policy = new ZeroTrustPolicy(chart, 'policy');
    policy.allowFrom(PolicySource.serviceAccount(frontend), { to: PolicyTarget.service(api), methods: ['GET'] });
    policy.allowFrom(PolicySource.workload(worker), { to: PolicyTarget.workload(db), ports: [5432] });
    const objects = synthValid(chart);
    const specs = Object.fromEntries(objects.filter(o => o.kind === 'AuthorizationPolicy').map(o => [o.metadata.name, o.spec]));
    expect(specs['api-waypoint']).toEqual({
      action: 'ALLOW',
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'] } }], to: [{ operation: { methods: ['GET'] } }] }],
    });
    expect(specs['db-workload-ztunnel']).toEqual({
      action: 'ALLOW',
      selector: { matchLabels: { app: 'db' } },
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/worker-sa'] } }], to: [{ operation: { ports: ['5432'] } }] }],
    });
    expect(MeshIdentity.fromServiceAccount(frontend, 'example.org').principal).toBe('example.org/ns/shop/sa/frontend');
  });

  test('a workload without a service account is identified as `default`', () => {
    const chart = chartIn('shop');
    expect(PolicySource.workload(kit.deployment(chart, { name: 'cron', app: 'cron' })).description).toBe('workload shop/cron (service account default)');
  });

  test('routes, ResiliencePolicy and Telemetry on a Service; TLS certificates from a Secret', () => {
    const chart = chartIn('shop');
    new AmbientNamespace(chart, 'ns', { name: 'shop' }).addWaypoint('waypoint');
    const reviews = kit.service(chart, { name: 'reviews', app: 'reviews', port: 9080, targetPort: 8080 });
    const reviewsV2 = kit.service(chart, { name: 'reviews-v2', app: 'reviews-v2', port: 9080, targetPort: 8080 });
    new HttpRoute(chart, 'route', { parents: [RouteParent.service(reviews, 9080)], rules: [{ backends: [RouteBackend.service(reviewsV2)] }] });
    new ResiliencePolicy(chart, 'resilience', { service: reviews, connectionPool: { maxRequestsPerConnection: 10 } });
    new OtelTracing(chart, 'tracing', { service: 'otel-collector.observability.svc.cluster.local', scopes: [TelemetryScope.service(reviews)] });
    new IngressGateway(chart, 'gw', {
      name: 'web',
      listeners: [{ name: 'https', protocol: ListenerProtocol.HTTPS, hostname: 'shop.example.com', certificates: [TlsCertificate.fromSecret(kit.secret(chart, 'shop-tls'))] }],
    });
    const objects = synthValid(chart);
    const route = findObject(objects, 'HTTPRoute');
    expect(route.spec.parentRefs).toEqual([{ group: '', kind: 'Service', name: 'reviews', port: 9080 }]);
    expect(route.spec.rules[0].backendRefs).toEqual([{ name: 'reviews-v2', port: 9080 }]);
    expect(findObject(objects, 'DestinationRule').spec).toEqual({
      host: 'reviews.shop.svc.cluster.local',
      trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 10 } } },
    });
    expect(findObject(objects, 'Telemetry', 'reviews-telemetry').spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'reviews' }]);
    expect(findObject(objects, 'Gateway', 'web').spec.listeners[0].tls).toEqual({ mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'shop-tls' }] });
  });

  test('refuses an object of the wrong kind, naming it and the fix', () => {
    const chart = chartIn('shop');
    const sa = kit.serviceAccount(chart, 'frontend');
    expect(() => PolicyTarget.service(sa)).toThrow(`[${sa.node.path}] PolicyTarget.service() needs a Service, but it holds ServiceAccount "frontend". Pass a cdk8s-plus object (any version), an ApiObject, or one object of an Include (include.apiObjects.find(o => o.kind === 'Service' && o.name === '...')); for a Service declared elsewhere use PolicyTarget.serviceName(name, { selector }).`);
  });
});

describe('inputs that cannot be read', () => {
  test('an Include with two Services is ambiguous', () => {
    const chart = chartIn('shop');
    const file = path.join(tmp, 'two-services.yaml');
    fs.writeFileSync(file, [manifest('Service', { name: 'a', app: 'a', port: 80, targetPort: 80 }), manifest('Service', { name: 'b', app: 'b', port: 80, targetPort: 80 })].map(d => JSON.stringify(d)).join('\n---\n'));
    const include = new Include(chart, 'both', { url: file });
    expect(() => PolicyTarget.service(include)).toThrow('[test/both] PolicyTarget.service() needs a Service, but it holds 2 objects of that kind (Service "a", Service "b").');
    const b = include.apiObjects.find(o => o.kind === 'Service' && o.name === 'b')!;
    expect(RouteBackend.service(b)._name).toBe('b');
  });

  test('a cdk8s-plus Service without ports is reported with its path, not cdk8s-plus\'s stack', () => {
    const chart = chartIn('shop');
    const svc = new plusLatest.Service(chart, 'bare', { metadata: { name: 'bare' } });
    expect(() => RouteBackend.service(svc)).toThrow('[test/bare/Resource] Service "bare" cannot be read yet: A service must be configured with a port. Complete it (containers, ports) before passing it to the mesh constructs.');
  });

  test('a workload selecting no pods would select the whole namespace and is refused', () => {
    const chart = chartIn('shop');
    new AmbientNamespace(chart, 'ns', { name: 'shop' });
    const pod = new ApiObject(chart, 'bare', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bare' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const policy = new ZeroTrustPolicy(chart, 'policy');
    policy.allowFrom(PolicySource.namespaces('shop'), { to: PolicyTarget.workload(pod) });
    expect(() => Testing.synth(chart)).toThrow('Validation failed with the following errors:\n  [test/policy] workload "bare" has no pod labels to select it by, so a policy for it would select every pod of the namespace. Label its pods.');
  });
});
