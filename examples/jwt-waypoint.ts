/**
 * A JWT-protected service at a waypoint: `httpbin` in namespace `jwt-demo` accepts only requests
 * with a valid token from the Istio sample issuer, GET only, and `/admin` only for one subject.
 *
 * The RequestAuthentication and the AuthorizationPolicies that use `requestPrincipals` are attached
 * to the same enforcement point, the Service at its waypoint: ztunnel cannot read tokens.
 */
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AmbientNamespace, PolicySource, PolicyTarget, ZeroTrustPolicy } from '../src';
import { AS_WRITTEN, declare, DeclarationOrder } from './lib/declare';

const ISSUER = 'testing@secure.istio.io';

export function build(app: App, order: DeclarationOrder = AS_WRITTEN): void {
  const chart = new Chart(app, 'jwt-demo', { namespace: 'jwt-demo', disableResourceNameHashes: true });
  const ns = new AmbientNamespace(chart, 'namespace', { name: 'jwt-demo' });

  const httpbin = new kplus.Deployment(chart, 'httpbin', {
    metadata: { name: 'httpbin' },
    podMetadata: { labels: { app: 'httpbin' } },
    containers: [{ name: 'httpbin', image: 'docker.io/mccutchen/go-httpbin:v2.15.0', portNumber: 8080, securityContext: { ensureNonRoot: false } }],
  });
  const service = httpbin.exposeViaService({ name: 'httpbin', ports: [{ port: 8000, targetPort: 8080, name: 'http' }] });

  declare(order, {
    waypoint: () => ns.addWaypoint('waypoint'),
    zeroTrust: () => {
      const policy = new ZeroTrustPolicy(chart, 'zero-trust', { namespace: 'jwt-demo' });
      policy.to(PolicyTarget.service(service))
        .requireJwt({
          issuer: ISSUER,
          jwksUri: 'https://raw.githubusercontent.com/istio/istio/release-1.30/security/tools/jwt/samples/jwks.json',
          forwardOriginalToken: true,
        })
        .allowFrom(PolicySource.jwt({ issuer: ISSUER }), { methods: ['GET'], notPaths: ['/admin*'] })
        .allowFrom(PolicySource.jwt({ issuer: ISSUER, subject: ISSUER }), { paths: ['/admin*'] });
    },
  });
}

if (require.main === module) {
  const app = new App({ outdir: 'dist/jwt-waypoint' });
  build(app);
  app.synth();
}
