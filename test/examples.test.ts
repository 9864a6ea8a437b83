import * as fs from 'fs';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { findObject, synthValid } from './support';

const EXAMPLES_DIR = path.join(__dirname, '..', 'examples');
const examples = fs.readdirSync(EXAMPLES_DIR).filter(f => f.endsWith('.ts') && f !== 'synth-all.ts').sort();

/** Synthesizes an example into plain objects per chart, validated against the upstream schemas. */
function synthExample(file: string): { [chart: string]: any[] } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const example = require(path.join(EXAMPLES_DIR, file));
  const app = Testing.app();
  // A multi-cluster example returns one App per cluster; its charts are keyed `<cluster folder>/<chart>`.
  const clusterApps: App[] = example.build(app) ?? [];
  const out: { [chart: string]: any[] } = {};
  for (const chart of app.charts) out[chart.node.id] = synthValid(chart);
  for (const clusterApp of clusterApps) {
    for (const chart of clusterApp.charts) out[`${path.basename(clusterApp.outdir)}/${chart.node.id}`] = synthValid(chart);
  }
  return out;
}

describe('examples', () => {
  test('there are examples', () => {
    expect(examples).toEqual(expect.arrayContaining(['bookinfo-ambient.ts', 'shared-waypoint.ts']));
  });

  test.each(examples)('%s synthesizes valid objects (snapshot)', (file) => {
    expect(synthExample(file)).toMatchSnapshot();
  });

  test('bookinfo-ambient: the Namespace and waypoint match the Istio getting-started', () => {
    const { bookinfo } = synthExample('bookinfo-ambient.ts');
    // kubectl label namespace default istio.io/dataplane-mode=ambient + istioctl waypoint apply --enroll-namespace
    expect(findObject(bookinfo, 'Namespace')).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'default', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } },
    });
    expect(findObject(bookinfo, 'Gateway', 'waypoint')).toEqual({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'waypoint', namespace: 'default' },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    const services = bookinfo.filter(o => o.kind === 'Service').map(o => o.metadata.name).sort();
    expect(services).toEqual(['details', 'productpage', 'ratings', 'reviews', 'reviews-v1', 'reviews-v2', 'reviews-v3']);
    const accounts = bookinfo.filter(o => o.kind === 'ServiceAccount').map(o => o.metadata.name).sort();
    expect(accounts).toEqual(['bookinfo-details', 'bookinfo-productpage', 'bookinfo-ratings', 'bookinfo-reviews']);
  });

  test('shared-waypoint: consumers are labelled and admitted', () => {
    const charts = synthExample('shared-waypoint.ts');
    const gateway = findObject(charts.platform, 'Gateway');
    expect(gateway.spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0].values)
      .toEqual(['common-infrastructure', 'team-a', 'team-b']);
    expect(findObject(charts['team-a'], 'Namespace').metadata.labels).toEqual({
      'istio.io/dataplane-mode': 'ambient',
      'istio.io/ingress-use-waypoint': 'true',
      'istio.io/use-waypoint': 'shared-waypoint',
      'istio.io/use-waypoint-namespace': 'common-infrastructure',
    });
    expect(findObject(charts['team-b'], 'Service', 'orders').metadata.labels).toEqual({
      'istio.io/use-waypoint': 'shared-waypoint',
      'istio.io/use-waypoint-namespace': 'common-infrastructure',
    });
    expect(findObject(charts['team-b'], 'Service', 'metrics').metadata.labels).toEqual({ 'istio.io/use-waypoint': 'none' });
    expect(findObject(charts['team-b'], 'Deployment', 'nightly-batch').spec.template.metadata.labels['istio.io/dataplane-mode']).toBe('none');
  });
});
