/**
 * The Istio ambient getting-started layout: Bookinfo in namespace `default`, enrolled in ambient,
 * with a namespace waypoint that serves all of its services (what `kubectl label namespace default
 * istio.io/dataplane-mode=ambient` and `istioctl waypoint apply --enroll-namespace` produce).
 */
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AmbientNamespace } from '../src';

const BOOKINFO_VERSION = '1.20.3';

/** A Bookinfo microservice: its ServiceAccount, Deployment and Service, as in samples/bookinfo. */
function microservice(chart: Chart, app: string, version: string, serviceAccount: kplus.ServiceAccount, withService: boolean): kplus.Deployment {
  const deployment = new kplus.Deployment(chart, `${app}-${version}`, {
    metadata: { name: `${app}-${version}`, labels: { app, version } },
    serviceAccount,
    replicas: 1,
    select: false,
    podMetadata: { labels: { app, version } },
    containers: [{
      name: app,
      image: `docker.io/istio/examples-bookinfo-${app}-${version}:${BOOKINFO_VERSION}`,
      portNumber: 9080,
      securityContext: { ensureNonRoot: false, user: 1000 },
    }],
  });
  deployment.select(kplus.LabelSelector.of({ labels: { app, version } }));
  if (withService) {
    new kplus.Service(chart, `${app}-${version}-service`, {
      metadata: { name: `${app}-${version}`, labels: { app, version } },
      selector: deployment,
      ports: [{ port: 9080, name: 'http' }],
    });
  }
  return deployment;
}

export function build(app: App): void {
  const chart = new Chart(app, 'bookinfo', { namespace: 'default', disableResourceNameHashes: true });

  // `default` exists in every cluster: the Namespace object adopts it and adds the ambient labels.
  const ns = new AmbientNamespace(chart, 'default', { name: 'default' });
  ns.addWaypoint('waypoint');

  for (const name of ['details', 'ratings', 'reviews', 'productpage']) {
    const sa = new kplus.ServiceAccount(chart, `${name}-sa`, {
      metadata: { name: `bookinfo-${name}`, labels: { account: name } },
      automountToken: false,
    });
    const versions = name === 'reviews' ? ['v1', 'v2', 'v3'] : ['v1'];
    for (const version of versions) microservice(chart, name, version, sa, name === 'reviews');
    new kplus.Service(chart, `${name}-service`, {
      metadata: { name, labels: { app: name, service: name } },
      selector: kplus.Pods.select(chart, `${name}-pods`, { labels: { app: name } }),
      ports: [{ port: 9080, name: 'http' }],
    });
  }
}

if (require.main === module) {
  const app = new App({ outdir: 'dist/bookinfo-ambient' });
  build(app);
  app.synth();
}
