/**
 * Controlled egress through a waypoint: namespace `egress` runs an egress waypoint, httpbin.org is
 * declared as a ServiceEntry enrolled in it, applications call http://httpbin.org and the waypoint
 * originates TLS to port 443. Only namespace `apps` may call it, GET only, and only under /get and
 * /status/*. A second host, api.github.com, is reached with the application's own TLS (L4 rules only).
 *
 * `outboundTrafficPolicy: REGISTRY_ONLY` does not stop ambient pods from reaching hosts without a
 * ServiceEntry (ztunnel does not enforce it, istio/istio#54281): block other external destinations
 * with a Kubernetes NetworkPolicy egress rule on the client pods.
 */
import { App, Chart } from 'cdk8s';
import { AmbientNamespace, EgressHost, EgressProtocol, GatewayNamespaces, PolicySource } from '../src';
import { AS_WRITTEN, declare, DeclarationOrder } from './lib/declare';

export function build(app: App, order: DeclarationOrder = AS_WRITTEN): void {
  const chart = new Chart(app, 'egress', { namespace: 'egress', disableResourceNameHashes: true });
  const ns = new AmbientNamespace(chart, 'namespace', { name: 'egress' });
  const waypoint = ns.addWaypoint('egress-waypoint', { name: 'egress-waypoint', enroll: false, allowedNamespaces: GatewayNamespaces.names('egress') });

  declare(order, {
    httpbin: () => new EgressHost(chart, 'httpbin', {
      host: 'httpbin.org',
      waypoint,
      protocol: EgressProtocol.HTTP_WITH_TLS_ORIGINATION,
      allow: [{ source: PolicySource.namespaces('apps'), methods: ['GET'], paths: ['/get', '/status/*'] }],
    }),
    github: () => new EgressHost(chart, 'github', {
      host: 'api.github.com',
      waypoint,
      allow: [{ source: PolicySource.serviceAccountName('apps', 'release-bot') }],
    }),
  });
}

if (require.main === module) {
  const app = new App({ outdir: 'dist/egress-waypoint' });
  build(app);
  app.synth();
}
