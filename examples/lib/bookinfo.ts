/** The Bookinfo sample (samples/bookinfo/platform/kube/bookinfo.yaml + bookinfo-versions.yaml) in cdk8s-plus. */
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

const BOOKINFO_VERSION = '1.20.3';

export interface Bookinfo {
  readonly services: { [name: string]: kplus.Service };
  readonly serviceAccounts: { [name: string]: kplus.ServiceAccount };
}

function deployment(chart: Chart, app: string, version: string, serviceAccount: kplus.ServiceAccount): kplus.Deployment {
  const d = new kplus.Deployment(chart, `${app}-${version}`, {
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
  d.select(kplus.LabelSelector.of({ labels: { app, version } }));
  return d;
}

function service(chart: Chart, name: string, labels: { [key: string]: string }): kplus.Service {
  return new kplus.Service(chart, `${name}-service`, {
    metadata: { name, labels: { app: labels.app, service: name } },
    selector: kplus.Pods.select(chart, `${name}-pods`, { labels }),
    ports: [{ port: 9080, name: 'http' }],
  });
}

/** Declares the Bookinfo ServiceAccounts, Deployments and Services in the chart's namespace. */
export function bookinfo(chart: Chart): Bookinfo {
  const services: { [name: string]: kplus.Service } = {};
  const serviceAccounts: { [name: string]: kplus.ServiceAccount } = {};
  for (const app of ['details', 'ratings', 'reviews', 'productpage']) {
    const sa = new kplus.ServiceAccount(chart, `${app}-sa`, {
      metadata: { name: `bookinfo-${app}`, labels: { account: app } },
      automountToken: false,
    });
    serviceAccounts[app] = sa;
    const versions = app === 'reviews' ? ['v1', 'v2', 'v3'] : ['v1'];
    for (const version of versions) {
      deployment(chart, app, version, sa);
      if (app === 'reviews') services[`reviews-${version}`] = service(chart, `reviews-${version}`, { app, version });
    }
    services[app] = service(chart, app, { app });
  }
  return { services, serviceAccounts };
}
