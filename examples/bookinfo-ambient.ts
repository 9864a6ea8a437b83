/**
 * The Istio ambient getting-started, end to end: Bookinfo in namespace `default`, enrolled in ambient,
 * with a namespace waypoint (what `kubectl label namespace default istio.io/dataplane-mode=ambient`
 * and `istioctl waypoint apply --enroll-namespace` produce), and the "Enforce authorization
 * policies" step completed into zero trust for the whole call graph:
 *
 * - STRICT mTLS, `allow-nothing` at ztunnel and `allow-nothing-waypoint` at the waypoint;
 * - `require-waypoint`: ztunnel admits the namespace waypoint, the only way in besides the ingress;
 * - `productpage-ztunnel`: only the ingress gateway (and the waypoint) reach productpage's pods (L4);
 * - `productpage-waypoint`: `curl` may only GET productpage (L7, at the waypoint);
 * - productpage may GET details and reviews, and reviews may GET ratings (L7, at the waypoint).
 *
 * Traffic, as in the getting-started and "Manage traffic" steps: the `bookinfo-gateway` ingress
 * (ClusterIP) with the `bookinfo` HTTPRoute to productpage, the `reviews` HTTPRoute sending 90% to
 * reviews-v1 and 10% to reviews-v2 at the waypoint, and outlier detection for ratings.
 */
import { App, Chart } from 'cdk8s';
import {
  AmbientNamespace, GatewayServiceType, HttpRoute, IngressGateway, PathMatch, PolicySource, PolicyTarget, ResiliencePolicy, ResiliencePreset,
  RouteBackend, RouteParent, ZeroTrustPolicy,
} from '../src';
import { bookinfo } from './lib/bookinfo';
import { AS_WRITTEN, declare, DeclarationOrder } from './lib/declare';

export function build(app: App, order: DeclarationOrder = AS_WRITTEN): void {
  const chart = new Chart(app, 'bookinfo', { namespace: 'default', disableResourceNameHashes: true });

  // `default` exists in every cluster: the Namespace object adopts it and adds the ambient labels.
  const ns = new AmbientNamespace(chart, 'default', { name: 'default' });
  const { services, serviceAccounts } = bookinfo(chart);
  // samples/bookinfo/gateway-api/bookinfo-gateway.yaml, annotated ClusterIP as in the getting-started.
  const gateway = new IngressGateway(chart, 'bookinfo-gateway', { name: 'bookinfo-gateway', serviceType: GatewayServiceType.CLUSTER_IP });

  declare(order, {
    // What `istioctl waypoint apply --enroll-namespace` does.
    waypoint: () => ns.addWaypoint('waypoint'),
    ingressRoute: () => new HttpRoute(chart, 'bookinfo', {
      parents: [RouteParent.gateway(gateway)],
      rules: [{
        matches: [
          { path: PathMatch.exact('/productpage') },
          { path: PathMatch.prefix('/static') },
          { path: PathMatch.exact('/login') },
          { path: PathMatch.exact('/logout') },
          { path: PathMatch.prefix('/api/v1/products') },
        ],
        backends: [RouteBackend.service(services.productpage, { port: 9080 })],
      }],
    }),
    // Manage traffic: 90/10 between reviews-v1 and reviews-v2, applied by the waypoint.
    reviewsRoute: () => new HttpRoute(chart, 'reviews', {
      parents: [RouteParent.service(services.reviews, 9080)],
      rules: [{
        backends: [
          RouteBackend.service(services['reviews-v1'], { weight: 90 }),
          RouteBackend.service(services['reviews-v2'], { weight: 10 }),
        ],
      }],
    }),
    ratingsResilience: () => new ResiliencePolicy(chart, 'ratings-resilience', { service: services.ratings, preset: ResiliencePreset.STANDARD }),
    zeroTrust: () => {
      const policy = new ZeroTrustPolicy(chart, 'zero-trust', { namespace: 'default' });
      const productpage = PolicySource.serviceAccount(serviceAccounts.productpage);
      declare(order, {
        toProductpage: () => policy.to(PolicyTarget.service(services.productpage))
          .allowFrom(gateway.policySource)
          .allowFrom(PolicySource.serviceAccountName('default', 'curl'), { methods: ['GET'] }),
        toDetails: () => policy.to(PolicyTarget.service(services.details)).allowFrom(productpage, { methods: ['GET'], ports: [9080] }),
        toReviews: () => policy.to(PolicyTarget.service(services.reviews)).allowFrom(productpage, { methods: ['GET'], ports: [9080] }),
        toRatings: () => policy.to(PolicyTarget.service(services.ratings))
          .allowFrom(PolicySource.serviceAccount(serviceAccounts.reviews), { methods: ['GET'], ports: [9080] }),
      });
    },
  });
}

if (require.main === module) {
  const app = new App({ outdir: 'dist/bookinfo-ambient' });
  build(app);
  app.synth();
}
