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
 */
import { App, Chart } from 'cdk8s';
import { AmbientNamespace, PolicySource, PolicyTarget, ZeroTrustPolicy } from '../src';
import { bookinfo } from './lib/bookinfo';

export function build(app: App): void {
  const chart = new Chart(app, 'bookinfo', { namespace: 'default', disableResourceNameHashes: true });

  // `default` exists in every cluster: the Namespace object adopts it and adds the ambient labels.
  const ns = new AmbientNamespace(chart, 'default', { name: 'default' });
  ns.addWaypoint('waypoint');
  const { services, serviceAccounts } = bookinfo(chart);

  const policy = new ZeroTrustPolicy(chart, 'zero-trust', { namespace: 'default' });
  const ingress = PolicySource.ingressGateway('bookinfo-gateway', { namespace: 'default' });

  policy.to(PolicyTarget.service(services.productpage))
    .allowFrom(ingress)
    .allowFrom(PolicySource.serviceAccountName('default', 'curl'), { methods: ['GET'] });

  const productpage = PolicySource.serviceAccount(serviceAccounts.productpage);
  policy.to(PolicyTarget.service(services.details)).allowFrom(productpage, { methods: ['GET'], ports: [9080] });
  policy.to(PolicyTarget.service(services.reviews)).allowFrom(productpage, { methods: ['GET'], ports: [9080] });
  policy.to(PolicyTarget.service(services.ratings))
    .allowFrom(PolicySource.serviceAccount(serviceAccounts.reviews), { methods: ['GET'], ports: [9080] });
}

if (require.main === module) {
  const app = new App({ outdir: 'dist/bookinfo-ambient' });
  build(app);
  app.synth();
}
