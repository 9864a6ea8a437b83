/**
 * Zero trust with ztunnel only (no waypoint), as in the Istio "Layer 4 policy" docs: namespace
 * `ambient-demo` with curl and httpbin, where only curl may connect to httpbin, on port 8080.
 *
 * Every rule here is L4 (identities, namespaces, IP blocks, ports), so ztunnel enforces it with a
 * `selector` policy. Adding `methods: ['GET']` would be refused: without a waypoint ztunnel would
 * drop the rule and deny curl too.
 */
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AmbientNamespace, PolicySource, PolicyTarget, ZeroTrustPolicy } from '../src';
import { AS_WRITTEN, declare, DeclarationOrder } from './lib/declare';

export function build(app: App, order: DeclarationOrder = AS_WRITTEN): void {
  const chart = new Chart(app, 'ambient-demo', { namespace: 'ambient-demo', disableResourceNameHashes: true });

  declare(order, {
    namespace: () => new AmbientNamespace(chart, 'namespace', { name: 'ambient-demo' }),
    appsAndPolicy: () => {
      const curlSa = new kplus.ServiceAccount(chart, 'curl-sa', { metadata: { name: 'curl' } });
      const curl = new kplus.Deployment(chart, 'curl', {
        metadata: { name: 'curl' },
        serviceAccount: curlSa,
        containers: [{ name: 'curl', image: 'curlimages/curl:8.16.0', command: ['/bin/sleep', 'infinity'], securityContext: { ensureNonRoot: false } }],
      });
      const httpbinSa = new kplus.ServiceAccount(chart, 'httpbin-sa', { metadata: { name: 'httpbin' } });
      const httpbin = new kplus.Deployment(chart, 'httpbin', {
        metadata: { name: 'httpbin' },
        serviceAccount: httpbinSa,
        podMetadata: { labels: { app: 'httpbin' } },
        containers: [{ name: 'httpbin', image: 'docker.io/mccutchen/go-httpbin:v2.15.0', portNumber: 8080, securityContext: { ensureNonRoot: false } }],
      });
      httpbin.exposeViaService({ name: 'httpbin', ports: [{ port: 8000, targetPort: 8080, name: 'http' }] });

      const policy = new ZeroTrustPolicy(chart, 'zero-trust', { namespace: 'ambient-demo' });
      declare(order, {
        // allow-curl-to-httpbin: enforced by ztunnel on httpbin's pods.
        curlToHttpbin: () => policy.allowFrom(PolicySource.workload(curl), { to: PolicyTarget.pods('httpbin', { app: 'httpbin' }), ports: [8080] }),
        // Monitoring may scrape any pod of the namespace from its own namespace.
        monitoring: () => policy.allowFrom(PolicySource.namespaces('monitoring'), { ports: [15020] }),
      });
    },
  });
}

if (require.main === module) {
  const app = new App({ outdir: 'dist/l4-only-zero-trust' });
  build(app);
  app.synth();
}
