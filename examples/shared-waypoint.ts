/**
 * A platform team runs one waypoint for several teams (Istio's cross-namespace waypoint pattern):
 * the waypoint lives in `common-infrastructure`, admits only the namespaces that use it, and is
 * tuned for production (autoscaling, disruption budget, proxy resources).
 *
 * - team-a uses it as its namespace waypoint, and routes ingress traffic through it too;
 * - team-b enrolls one Service (declared as a plain ApiObject) and keeps a batch job out of ambient;
 * - team-b's `metrics` Service opts out of waypoints and stays L4-only.
 */
import { ApiObject, App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AmbientNamespace, Waypoint, WaypointTrafficType } from '../src';
import { AS_WRITTEN, declare, DeclarationOrder } from './lib/declare';

export function build(app: App, order: DeclarationOrder = AS_WRITTEN): void {
  // One chart (one file) per team and one for the platform.
  const { platform, teamA, teamB } = declare(order, {
    platform: () => new Chart(app, 'platform', { disableResourceNameHashes: true }),
    teamA: () => new Chart(app, 'team-a', { namespace: 'team-a', disableResourceNameHashes: true }),
    teamB: () => new Chart(app, 'team-b', { namespace: 'team-b', disableResourceNameHashes: true }),
  });

  new AmbientNamespace(platform, 'common-infrastructure', { name: 'common-infrastructure' });
  const waypoint = new Waypoint(platform, 'shared-waypoint', {
    name: 'shared-waypoint',
    namespace: 'common-infrastructure',
    trafficType: WaypointTrafficType.SERVICE,
    autoscaling: { minReplicas: 2, maxReplicas: 6, targetCpuUtilizationPercent: 70 },
    podDisruptionBudget: { minAvailable: 1 },
    resources: {
      cpu: { request: kplus.Cpu.millis(200), limit: kplus.Cpu.units(2) },
      memory: { request: Size.mebibytes(256), limit: Size.gibibytes(1) },
    },
  });

  declare(order, {
    teamA: () => new AmbientNamespace(teamA, 'namespace', { name: 'team-a', waypoint, ingressUseWaypoint: true }),
    teamB: () => {
      const teamBNamespace = new AmbientNamespace(teamB, 'namespace', { name: 'team-b' });
      declare(order, {
        // A Service written as a raw object (as it would come from an Include): enrolled by name.
        ordersService: () => new ApiObject(teamB, 'orders-service', {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'orders' },
          spec: { selector: { app: 'orders' }, ports: [{ name: 'http', port: 8080 }] },
        }),
        enrollOrders: () => waypoint.enrollServiceByName('orders', { namespace: 'team-b' }),
        metrics: () => {
          const metrics = new kplus.Deployment(teamB, 'metrics', {
            metadata: { name: 'metrics' },
            containers: [{ image: 'prom/statsd-exporter:v0.28.0', portNumber: 9102, securityContext: { ensureNonRoot: false } }],
          });
          teamBNamespace.bypassWaypoint(metrics.exposeViaService({ name: 'metrics' }));
        },
        batch: () => {
          const batch = new kplus.Deployment(teamB, 'batch', {
            metadata: { name: 'nightly-batch' },
            containers: [{ image: 'busybox:1.37', command: ['sh', '-c', 'sleep 3600'], securityContext: { ensureNonRoot: false } }],
          });
          teamBNamespace.excludeWorkload(batch);
        },
      });
    },
  });
}

if (require.main === module) {
  const app = new App({ outdir: 'dist/shared-waypoint' });
  build(app);
  app.synth();
}
