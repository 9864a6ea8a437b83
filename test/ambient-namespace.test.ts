import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { findObject, synthValid, testChart } from './support';
import { AmbientNamespace, Waypoint, WaypointTrafficType } from '../src';

describe('AmbientNamespace', () => {
  test('matches `kubectl label namespace default istio.io/dataplane-mode=ambient`', () => {
    const chart = testChart();
    new AmbientNamespace(chart, 'ns', { name: 'default' });
    expect(synthValid(chart)).toEqual([{
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'default', labels: { 'istio.io/dataplane-mode': 'ambient' } },
    }]);
  });

  test('the Namespace object does not inherit the chart namespace', () => {
    const chart = testChart({ namespace: 'apps' });
    new AmbientNamespace(chart, 'ns', { name: 'apps' });
    expect(findObject(synthValid(chart), 'Namespace').metadata).toEqual({
      name: 'apps',
      labels: { 'istio.io/dataplane-mode': 'ambient' },
    });
  });

  test('labels a cdk8s-plus Namespace in place', () => {
    const chart = testChart();
    const plus = new kplus.Namespace(chart, 'plus', { metadata: { name: 'shop', labels: { team: 'shop' } } });
    const ns = new AmbientNamespace(chart, 'ns', { namespace: plus });
    expect(ns.name).toBe('shop');
    const objects = synthValid(chart);
    expect(objects).toHaveLength(1);
    expect(findObject(objects, 'Namespace').metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'ambient', 'team': 'shop' });
  });

  test('extra labels and annotations', () => {
    const chart = testChart();
    new AmbientNamespace(chart, 'ns', { name: 'shop', labels: { team: 'shop' }, annotations: { owner: 'shop@example.com' } });
    expect(findObject(synthValid(chart), 'Namespace').metadata).toEqual({
      name: 'shop',
      labels: { 'istio.io/dataplane-mode': 'ambient', 'team': 'shop' },
      annotations: { owner: 'shop@example.com' },
    });
  });

  test('istio-injection=disabled is compatible with ambient', () => {
    const chart = testChart();
    new AmbientNamespace(chart, 'ns', { name: 'shop', labels: { 'istio-injection': 'disabled' } });
    expect(findObject(synthValid(chart), 'Namespace').metadata.labels['istio-injection']).toBe('disabled');
  });

  test.each(['false', 'disabled'])('istio-injection=%s turns injection off, so even istio.io/rev does not override ambient', (value) => {
    // The injector webhook injects on istio-injection=enabled, or on istio.io/rev only without an istio-injection label.
    const chart = testChart();
    new AmbientNamespace(chart, 'ns', { name: 'shop', labels: { 'istio-injection': value, 'istio.io/rev': 'canary' } });
    expect(findObject(synthValid(chart), 'Namespace').metadata.labels).toEqual({
      'istio-injection': value, 'istio.io/rev': 'canary', 'istio.io/dataplane-mode': 'ambient',
    });
  });

  describe('refuses', () => {
    test('both name and namespace, or neither', () => {
      const chart = testChart();
      const plus = new kplus.Namespace(chart, 'plus', { metadata: { name: 'shop' } });
      expect(() => new AmbientNamespace(chart, 'both', { name: 'shop', namespace: plus }))
        .toThrow('[test/both] give exactly one of `name` (a namespace to create or adopt) or `namespace` (a Namespace declared in this app).');
      expect(() => new AmbientNamespace(chart, 'neither', {})).toThrow('[test/neither] give exactly one of `name`');
    });

    test('an invalid namespace name', () => {
      expect(() => new AmbientNamespace(testChart(), 'ns', { name: 'Shop' })).toThrow('[test/ns] namespace name "Shop" is not a valid namespace name');
    });

    test('the same namespace declared twice', () => {
      const chart = testChart();
      new AmbientNamespace(chart, 'a', { name: 'shop' });
      expect(() => new AmbientNamespace(chart, 'b', { name: 'shop' }))
        .toThrow('[test/b] namespace "shop" is already declared as an AmbientNamespace at test/a');
    });

    test('istio-injection=enabled (the sidecar would win)', () => {
      expect(() => new AmbientNamespace(testChart(), 'ns', { name: 'shop', labels: { 'istio-injection': 'enabled' } }))
        .toThrow('[test/ns] namespace "shop" has label istio-injection=enabled: with sidecar injection and ambient on the same namespace, the sidecar wins and ztunnel skips the pods.');
    });

    test('istio.io/rev', () => {
      expect(() => new AmbientNamespace(testChart(), 'ns', { name: 'shop', labels: { 'istio.io/rev': 'canary' } }))
        .toThrow('[test/ns] namespace "shop" has label istio.io/rev=canary, which turns on sidecar injection for that revision');
    });

    test.each(['istio.io/use-waypoint', 'istio.io/use-waypoint-namespace', 'istio.io/ingress-use-waypoint'])('waypoint label %s set by hand', (label) => {
      expect(() => new AmbientNamespace(testChart(), 'ns', { name: 'shop', labels: { [label]: 'x' } }))
        .toThrow(`[test/ns] label ${label}=x is managed by this construct: use the \`waypoint\` prop`);
      const chart = testChart();
      const plus = new kplus.Namespace(chart, 'plus', { metadata: { name: 'shop', labels: { [label]: 'x' } } });
      expect(() => new AmbientNamespace(chart, 'ns', { namespace: plus })).toThrow(`label ${label}=x is managed by this construct`);
    });

    test('a conflicting dataplane-mode label', () => {
      expect(() => new AmbientNamespace(testChart(), 'ns', { name: 'shop', labels: { 'istio.io/dataplane-mode': 'none' } }))
        .toThrow('[test/ns] namespace "shop" has label istio.io/dataplane-mode=none, but an AmbientNamespace is enrolled in ambient.');
    });

    test('a cdk8s-plus Namespace that already has sidecar injection', () => {
      const chart = testChart();
      const plus = new kplus.Namespace(chart, 'plus', { metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } });
      expect(() => new AmbientNamespace(chart, 'ns', { namespace: plus })).toThrow('has label istio-injection=enabled');
    });

    test('a sidecar label added after construction (at synth)', () => {
      const chart = testChart();
      const plus = new kplus.Namespace(chart, 'plus', { metadata: { name: 'shop' } });
      new AmbientNamespace(chart, 'ns', { namespace: plus });
      plus.metadata.addLabel('istio.io/rev', '1-30');
      expect(() => Testing.synth(chart)).toThrow(/\[test\/ns\] namespace "shop" has label istio.io\/rev=1-30/);
    });
  });

  describe('waypoint', () => {
    test('prop in the same namespace sets use-waypoint only', () => {
      const chart = testChart();
      const waypoint = new Waypoint(chart, 'wp', { namespace: 'shop' });
      const ns = new AmbientNamespace(chart, 'ns', { name: 'shop', waypoint });
      expect(ns.waypoint).toBe(waypoint);
      expect(findObject(synthValid(chart), 'Namespace').metadata.labels).toEqual({
        'istio.io/dataplane-mode': 'ambient',
        'istio.io/use-waypoint': 'waypoint',
      });
    });

    test('in another namespace also sets use-waypoint-namespace and is admitted by the waypoint', () => {
      const chart = testChart();
      const waypoint = new Waypoint(chart, 'wp', { namespace: 'infra', name: 'shared' });
      new AmbientNamespace(chart, 'ns', { name: 'shop', waypoint });
      const objects = synthValid(chart);
      expect(findObject(objects, 'Namespace').metadata.labels).toEqual({
        'istio.io/dataplane-mode': 'ambient',
        'istio.io/use-waypoint': 'shared',
        'istio.io/use-waypoint-namespace': 'infra',
      });
      expect(findObject(objects, 'Gateway').spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0].values)
        .toEqual(['infra', 'shop']);
    });

    test.each([WaypointTrafficType.WORKLOAD, WaypointTrafficType.NONE])('refuses a %s waypoint as the namespace waypoint', (type) => {
      const chart = testChart();
      const waypoint = new Waypoint(chart, 'wp', { namespace: 'shop', trafficType: type });
      expect(() => new AmbientNamespace(chart, 'ns', { name: 'shop', waypoint }))
        .toThrow(`[test/ns] waypoint "shop/waypoint" serves ${type} traffic, so the services of namespace "shop" would not use it`);
    });

    test('addWaypoint creates and enrolls a waypoint in the namespace', () => {
      const chart = testChart();
      const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
      const waypoint = ns.addWaypoint('waypoint', { trafficType: WaypointTrafficType.ALL });
      expect(waypoint.namespace).toBe('shop');
      expect(ns.waypoint).toBe(waypoint);
      const objects = synthValid(chart);
      expect(findObject(objects, 'Namespace').metadata.labels['istio.io/use-waypoint']).toBe('waypoint');
      expect(findObject(objects, 'Gateway').metadata).toEqual({ name: 'waypoint', namespace: 'shop', labels: { 'istio.io/waypoint-for': 'all' } });
    });

    test('addWaypoint with enroll: false leaves the namespace unlabelled', () => {
      const chart = testChart();
      const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
      ns.addWaypoint('waypoint', { name: 'reviews-wp', enroll: false });
      expect(ns.waypoint).toBeUndefined();
      expect(findObject(synthValid(chart), 'Namespace').metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'ambient' });
    });

    test('refuses a second, different waypoint', () => {
      const chart = testChart();
      const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
      ns.addWaypoint('a', { name: 'a' });
      const b = new Waypoint(chart, 'b', { namespace: 'shop', name: 'b' });
      expect(() => ns.useWaypoint(b)).toThrow('[test/ns] namespace "shop" already uses waypoint "shop/a"; a namespace has one waypoint.');
    });

    test('using the same waypoint twice is idempotent', () => {
      const chart = testChart();
      const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
      const waypoint = ns.addWaypoint('waypoint');
      ns.useWaypoint(waypoint);
      expect(ns.waypoint).toBe(waypoint);
    });

    test('ingressUseWaypoint labels the namespace', () => {
      const chart = testChart();
      const waypoint = new Waypoint(chart, 'wp', { namespace: 'shop' });
      new AmbientNamespace(chart, 'ns', { name: 'shop', waypoint, ingressUseWaypoint: true });
      expect(findObject(synthValid(chart), 'Namespace').metadata.labels['istio.io/ingress-use-waypoint']).toBe('true');
    });

    test('ingressUseWaypoint without a waypoint fails synth', () => {
      const chart = testChart();
      new AmbientNamespace(chart, 'ns', { name: 'shop', ingressUseWaypoint: true });
      expect(() => Testing.synth(chart)).toThrow(/\[test\/ns\] ingressUseWaypoint is set but namespace "shop" has no waypoint/);
    });
  });

  describe('workloads and services', () => {
    test('excludeWorkload labels the pod template dataplane-mode=none', () => {
      const chart = testChart({ namespace: 'shop' });
      const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
      const job = new kplus.Deployment(chart, 'batch', { containers: [{ image: 'busybox', securityContext: { ensureNonRoot: false } }] });
      ns.excludeWorkload(job);
      const deployment = findObject(synthValid(chart), 'Deployment');
      expect(deployment.spec.template.metadata.labels['istio.io/dataplane-mode']).toBe('none');
    });

    test('excludeWorkload refuses a workload of another namespace', () => {
      const chart = testChart({ namespace: 'other' });
      const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
      const pod = new kplus.Pod(chart, 'pod', { metadata: { name: 'batch' }, containers: [{ image: 'busybox' }] });
      expect(() => ns.excludeWorkload(pod)).toThrow('[test/ns] workload "batch" is in namespace "other", not "shop". Call this on the AmbientNamespace of "other".');
    });

    test('bypassWaypoint labels a Service use-waypoint=none', () => {
      const chart = testChart({ namespace: 'shop' });
      const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
      ns.addWaypoint('waypoint');
      const svc = new kplus.Service(chart, 'svc', { metadata: { name: 'metrics' }, ports: [{ port: 9102 }] });
      ns.bypassWaypoint(svc);
      expect(findObject(synthValid(chart), 'Service').metadata.labels).toEqual({ 'istio.io/use-waypoint': 'none' });
    });

    test('bypassWaypoint refuses a Service enrolled in a waypoint', () => {
      const chart = testChart({ namespace: 'shop' });
      const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
      const waypoint = ns.addWaypoint('waypoint');
      const svc = new kplus.Service(chart, 'svc', { metadata: { name: 'web' }, ports: [{ port: 80 }] });
      waypoint.enrollService(svc);
      expect(() => ns.bypassWaypoint(svc)).toThrow('[test/ns] Service "web" is enrolled in waypoint "waypoint"; it cannot also opt out of waypoints.');
    });

    test('a Service opted out cannot be enrolled afterwards', () => {
      const chart = testChart({ namespace: 'shop' });
      const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
      const waypoint = ns.addWaypoint('waypoint');
      const svc = new kplus.Service(chart, 'svc', { metadata: { name: 'web' }, ports: [{ port: 80 }] });
      ns.bypassWaypoint(svc);
      expect(() => waypoint.enrollService(svc)).toThrow('already uses waypoint "shop/none"');
    });
  });
});
