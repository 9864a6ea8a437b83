// A consumer app as `cdk8s init typescript-app` creates it, using the library from its packed
// tarball. test/consumer/run.sh swaps the cdk8s-plus import for each major it checks.
import { ApiObject, App, Chart, Include } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import {
  AmbientNamespace, HttpRoute, IngressGateway, ListenerProtocol, MeshIdentity, PolicySource, PolicyTarget, ResiliencePolicy,
  RouteBackend, RouteParent, TlsCertificate, Waypoint, WaypointTrafficType, ZeroTrustPolicy,
} from 'cdk8s-istio-ambient';
import { Construct } from 'constructs';

const IMAGE = 'registry.example.com/shop/app:1.0.0';

export class Shop extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'shop' });

    // The app's own cdk8s-plus objects, passed to every construct that takes them.
    const namespace = new kplus.Namespace(this, 'namespace', { metadata: { name: 'shop' } });
    const mesh = new AmbientNamespace(this, 'mesh', { namespace });
    // The namespace waypoint serves Service traffic; the database's pods get a workload waypoint.
    mesh.addWaypoint('waypoint');
    const dbWaypoint = new Waypoint(this, 'db-waypoint', { name: 'db-waypoint', trafficType: WaypointTrafficType.WORKLOAD });

    const frontendSa = new kplus.ServiceAccount(this, 'frontend-sa', { metadata: { name: 'frontend' } });
    const frontend = new kplus.Deployment(this, 'frontend', {
      metadata: { name: 'frontend' },
      serviceAccount: frontendSa,
      containers: [{ image: IMAGE, portNumber: 8080 }],
    });
    const api = new kplus.Deployment(this, 'api', { metadata: { name: 'api' }, containers: [{ image: IMAGE, portNumber: 8080 }] });
    const apiService = api.exposeViaService({ name: 'api', ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
    const db = new kplus.StatefulSet(this, 'db', {
      metadata: { name: 'db' },
      service: new kplus.Service(this, 'db-headless', { metadata: { name: 'db' }, clusterIP: 'None', ports: [{ name: 'tcp-postgres', port: 5432 }] }),
      containers: [{ image: IMAGE, portNumber: 5432 }],
    });
    const batch = new kplus.Deployment(this, 'batch', { metadata: { name: 'batch' }, containers: [{ image: IMAGE }] });

    // A plain ApiObject next to them.
    const legacy = new ApiObject(this, 'legacy', {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'legacy' },
      spec: { selector: { app: 'legacy' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    new ApiObject(this, 'legacy-deployment', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'legacy' },
      spec: {
        selector: { matchLabels: { app: 'legacy' } },
        template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'legacy', image: IMAGE, ports: [{ containerPort: 8080 }] }] } },
      },
    });

    // Objects brought in with Include (manifests/reports.yaml, written by run.sh: a Service and its Deployment).
    const reports = new Include(this, 'reports', { url: 'manifests/reports.yaml' });

    dbWaypoint.enrollWorkload(db);
    mesh.excludeWorkload(batch);
    mesh.bypassWaypoint(legacy);

    const policy = new ZeroTrustPolicy(this, 'policy');
    policy.allowFrom(PolicySource.workload(frontend), { to: PolicyTarget.service(apiService), methods: ['GET'], paths: ['/api/*'] });
    policy.allowFrom(PolicySource.serviceAccount(frontendSa), { to: PolicyTarget.workload(api), ports: [8080] });
    // No rule for the headless db Service: its pods sit behind a workload waypoint, which ignores
    // Service-attached policies for pod-addressed traffic, so the library refuses such a rule.
    policy.allowFrom(PolicySource.identity(MeshIdentity.fromServiceAccount(frontendSa)), { to: PolicyTarget.service(legacy), ports: [80] });
    policy.allowFrom(PolicySource.workload(frontend), { to: PolicyTarget.service(reports), methods: ['GET'] });

    new HttpRoute(this, 'api-route', {
      parents: [RouteParent.service(apiService)],
      rules: [{ backends: [RouteBackend.service(apiService)] }],
    });
    new ResiliencePolicy(this, 'api-resilience', { service: apiService, connectionPool: { maxRequestsPerConnection: 100 } });

    const tls = new kplus.Secret(this, 'tls', { metadata: { name: 'shop-tls' }, type: 'kubernetes.io/tls' });
    new IngressGateway(this, 'gateway', {
      name: 'web',
      listeners: [{ name: 'https', protocol: ListenerProtocol.HTTPS, hostname: 'shop.example.com', certificates: [TlsCertificate.fromSecret(tls)] }],
    });
  }
}

/**
 * The planted mistake (PLANT_MISTAKE=1): a Service sent to a waypoint that does not exist. Synthesis
 * itself only refuses errors; this is a warning (AMB103) that the validation plugin must fail with
 * `failOn: warning`.
 */
export class Orders extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'orders' });
    new AmbientNamespace(this, 'mesh', { name: 'orders' });
    const orders = new kplus.Service(this, 'orders', {
      metadata: { name: 'orders', labels: { 'istio.io/use-waypoint': 'missing-waypoint' } },
      ports: [{ name: 'http', port: 80 }],
    });
    orders.selectLabel('app', 'orders');
  }
}

const app = new App();
new Shop(app, 'shop');
if (process.env.PLANT_MISTAKE) new Orders(app, 'orders');
app.synth();
