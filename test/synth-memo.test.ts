/**
 * App-wide results (placement, the mesh analysis) are kept only between the passes of one
 * `App.synth()`: a second synthesis always sees the app as it is then (src/_memo.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AmbientNamespace, MeshAnalyzer, PolicySource, PolicyTarget, ZeroTrustPolicy } from '../src';

function shop(app: App = Testing.app()): { app: App; chart: Chart; team: Construct; policy: ZeroTrustPolicy } {
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  new AmbientNamespace(chart, 'ns', { name: 'shop' });
  const team = new Construct(new Construct(chart, 'teams'), 'payments');
  const api = new kplus.Service(team, 'api', { metadata: { name: 'api' }, ports: [{ port: 80, targetPort: 8080 }] });
  api.selectLabel('app', 'api');
  const policy = new ZeroTrustPolicy(chart, 'policy');
  policy.allowFrom(PolicySource.serviceAccountName('shop', 'web'), { to: PolicyTarget.service(api), ports: [80] });
  return { app, chart, team, policy };
}

const L7_AT_ZTUNNEL = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'get-only' }, spec: { selector: { matchLabels: { app: 'api' } }, rules: [{ to: [{ operation: { methods: ['GET'] } }] }] } };

describe('a second synthesis in the same job sees the app as it is', () => {
  test('a bad policy added under a nested construct after a first synth fails the second synth', () => {
    const { chart, team } = shop();
    Testing.synth(chart);
    const nested = new Construct(team, 'billing');
    new AmbientNamespace(nested, 'ns', { name: 'billing' });
    const late = new ZeroTrustPolicy(nested, 'policy', { namespace: 'billing' });
    late.allowFrom(PolicySource.namespaces('shop'), { methods: ['GET'] });
    expect(() => Testing.synth(chart)).toThrow('Validation failed with the following errors:\n  [shop/teams/payments/billing/policy] allowFrom(namespaces shop) to the namespace uses L7 attributes (methods), but namespace "billing" has no waypoint: ztunnel would drop the rule, so the traffic it allows would be denied. Add a waypoint (AmbientNamespace.addWaypoint() or waypoint.enrollService()), or drop the L7 attributes.');
  });

  test('a plain ApiObject added deep in the tree after a first synth fails the second synth', () => {
    const { chart, team } = shop();
    Testing.synth(chart);
    new ApiObject(new Construct(team, 'raw'), 'policy', L7_AT_ZTUNNEL);
    expect(() => Testing.synth(chart)).toThrow('[shop/teams/payments/raw/policy] AMB101 AuthorizationPolicy shop/get-only: AuthorizationPolicy shop/get-only uses L7 attributes (methods) but has no targetRefs');
  });

  test('a Service added deep in the tree after a first synth is placed at the second synth', () => {
    const { chart, team, policy } = shop();
    policy.allowFrom(PolicySource.namespaces('monitoring'), { to: PolicyTarget.serviceName('metrics'), ports: [9090] });
    expect(() => Testing.synth(chart)).toThrow('Service "shop/metrics" is not declared in this app');
    new ApiObject(new Construct(team, 'metrics'), 'svc', {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'metrics' }, spec: { selector: { app: 'metrics' }, ports: [{ port: 9090, targetPort: 9100 }] },
    });
    const ap = Testing.synth(chart).find(o => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'metrics-ztunnel');
    expect(ap.spec).toEqual({
      action: 'ALLOW',
      selector: { matchLabels: { app: 'metrics' } },
      rules: [{ from: [{ source: { namespaces: ['monitoring'] } }], to: [{ operation: { ports: ['9100'] } }] }],
    });
  });

  test('app.synth() twice in one job, with a deep change in between', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'memo-'));
    const { app, team } = shop(new App({ outdir }));
    new Chart(app, 'other');
    app.synth();
    new ApiObject(new Construct(team, 'raw'), 'policy', L7_AT_ZTUNNEL);
    expect(() => app.synth()).toThrow('AMB101 AuthorizationPolicy shop/get-only');
  });
});

describe('the passes of one App.synth() share the app-wide work', () => {
  test('the mesh analysis runs once for an app of five charts', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'memo-'));
    const { app } = shop(new App({ outdir }));
    for (let i = 0; i < 4; i++) new Chart(app, `extra-${i}`);
    const analyze = jest.spyOn(MeshAnalyzer.prototype, 'analyze');
    try {
      app.synth();
      expect(analyze).toHaveBeenCalledTimes(1);
      analyze.mockClear();
      // A chart of its own is a synthesis of its own: it recomputes.
      Testing.synth(app.node.findChild('shop') as Chart);
      expect(analyze).toHaveBeenCalledTimes(1);
    } finally {
      analyze.mockRestore();
    }
  });
});
