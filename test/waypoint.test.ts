import { ApiObject, Chart, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parse } from 'yaml';
import { findObject, synthValid, testChart } from './support';
import { AmbientNamespace, IstioLabels, Waypoint, GatewayNamespaces, WaypointTrafficType } from '../src';

function service(chart: Chart, name: string, namespace?: string): kplus.Service {
  return new kplus.Service(chart, `svc-${namespace ?? 'chart'}-${name}`, {
    metadata: { name, namespace },
    ports: [{ port: 8080, name: 'http' }],
  });
}

describe('Waypoint', () => {
  test('default matches `istioctl waypoint apply` (no --for) field for field', () => {
    const chart = testChart({ namespace: 'default' });
    new Waypoint(chart, 'waypoint');
    const objects = synthValid(chart);
    expect(objects).toEqual([{
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'waypoint', namespace: 'default' },
      spec: {
        gatewayClassName: 'istio-waypoint',
        listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }],
      },
    }]);
  });

  test('trafficType SERVICE matches `istioctl waypoint generate --for service -n default`', () => {
    const chart = testChart();
    new Waypoint(chart, 'waypoint', { namespace: 'default', trafficType: WaypointTrafficType.SERVICE });
    const expected = parse(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  labels:
    istio.io/waypoint-for: service
  name: waypoint
  namespace: default
spec:
  gatewayClassName: istio-waypoint
  listeners:
  - name: mesh
    port: 15008
    protocol: HBONE
`);
    expect(synthValid(chart)).toEqual([expected]);
  });

  test.each([
    [WaypointTrafficType.WORKLOAD, 'workload'],
    [WaypointTrafficType.ALL, 'all'],
    [WaypointTrafficType.NONE, 'none'],
  ])('trafficType %s sets istio.io/waypoint-for', (type, label) => {
    const chart = testChart({ namespace: 'apps' });
    const waypoint = new Waypoint(chart, 'wp', { trafficType: type });
    expect(waypoint.trafficType).toBe(type);
    expect(findObject(synthValid(chart), 'Gateway').metadata.labels).toEqual({ 'istio.io/waypoint-for': label });
  });

  test('unset trafficType reports what istiod will use: service', () => {
    const waypoint = new Waypoint(testChart({ namespace: 'apps' }), 'wp');
    expect(waypoint.trafficType).toBe(WaypointTrafficType.SERVICE);
  });

  test('revision sets istio.io/rev', () => {
    const chart = testChart({ namespace: 'apps' });
    new Waypoint(chart, 'wp', { revision: '1-30-3', trafficType: WaypointTrafficType.SERVICE });
    expect(findObject(synthValid(chart), 'Gateway').metadata.labels).toEqual({
      'istio.io/rev': '1-30-3',
      'istio.io/waypoint-for': 'service',
    });
  });

  test('refuses an invalid revision', () => {
    expect(() => new Waypoint(testChart({ namespace: 'apps' }), 'wp', { revision: '1.30' }))
      .toThrow('[test/wp] revision "1.30" is not a valid revision name');
  });

  test('identity is the service account named after the Gateway', () => {
    const waypoint = new Waypoint(testChart(), 'wp', { name: 'reviews-wp', namespace: 'bookinfo' });
    expect(waypoint.principal).toBe('cluster.local/ns/bookinfo/sa/reviews-wp');
    expect(waypoint.identity.spiffeId).toBe('spiffe://cluster.local/ns/bookinfo/sa/reviews-wp');
    expect(waypoint.identity.serviceAccount).toBe('reviews-wp');
  });

  test('identity uses the configured trust domain', () => {
    const waypoint = new Waypoint(testChart(), 'wp', { namespace: 'bookinfo', trustDomain: 'prod.example.com' });
    expect(waypoint.principal).toBe('prod.example.com/ns/bookinfo/sa/waypoint');
  });

  test('refuses an invalid trust domain', () => {
    expect(() => new Waypoint(testChart(), 'wp', { namespace: 'bookinfo', trustDomain: 'spiffe://x' }))
      .toThrow('trust domain "spiffe://x" is invalid');
  });

  test('explicit namespace wins over the chart namespace', () => {
    const chart = testChart({ namespace: 'chart-ns' });
    const waypoint = new Waypoint(chart, 'wp', { namespace: 'other' });
    expect(waypoint.namespace).toBe('other');
    expect(findObject(synthValid(chart), 'Gateway').metadata.namespace).toBe('other');
  });

  test('refuses a waypoint without a namespace', () => {
    expect(() => new Waypoint(testChart(), 'wp'))
      .toThrow('[test/wp] Waypoint "waypoint" has no namespace. Set its namespace (or the Chart\'s `namespace`)');
  });

  test('refuses the reserved name "none"', () => {
    expect(() => new Waypoint(testChart({ namespace: 'apps' }), 'wp', { name: 'none' }))
      .toThrow('[test/wp] a waypoint cannot be named "none": Istio reserves `istio.io/use-waypoint: none`');
  });

  test('refuses names Kubernetes cannot give its Service', () => {
    expect(() => new Waypoint(testChart({ namespace: 'apps' }), 'wp', { name: '1-waypoint' }))
      .toThrow('waypoint name "1-waypoint" is not a valid name');
    expect(() => new Waypoint(testChart({ namespace: 'apps' }), 'wp', { name: 'Waypoint' }))
      .toThrow('waypoint name "Waypoint" is not a valid name');
  });

  test('refuses two waypoints with the same namespace and name', () => {
    const chart = testChart({ namespace: 'apps' });
    new Waypoint(chart, 'a');
    expect(() => new Waypoint(chart, 'b')).toThrow('[test/b] waypoint "apps/waypoint" is already declared at test/a');
  });

  describe('enrollNamespace', () => {
    test('labels an AmbientNamespace declared before', () => {
      const chart = testChart();
      const ns = new AmbientNamespace(chart, 'ns', { name: 'default' });
      const waypoint = new Waypoint(chart, 'wp', { namespace: 'default', enrollNamespace: true });
      expect(ns.waypoint).toBe(waypoint);
      expect(findObject(synthValid(chart), 'Namespace').metadata.labels).toEqual({
        'istio.io/dataplane-mode': 'ambient',
        'istio.io/use-waypoint': 'waypoint',
      });
    });

    test('labels an AmbientNamespace declared after', () => {
      const chart = testChart();
      const waypoint = new Waypoint(chart, 'wp', { namespace: 'default', enrollNamespace: true });
      const ns = new AmbientNamespace(chart, 'ns', { name: 'default' });
      expect(ns.waypoint).toBe(waypoint);
      expect(findObject(synthValid(chart), 'Namespace').metadata.labels['istio.io/use-waypoint']).toBe('waypoint');
    });

    test('fails synth when the namespace is not declared', () => {
      const chart = testChart();
      new Waypoint(chart, 'wp', { namespace: 'default', enrollNamespace: true });
      expect(() => Testing.synth(chart)).toThrow(/\[test\/wp\] enrollNamespace is set but namespace "default" is not declared in this app/);
    });
  });

  describe('enrollService', () => {
    test('labels a Service in the same namespace with use-waypoint only', () => {
      const chart = testChart({ namespace: 'apps' });
      const waypoint = new Waypoint(chart, 'wp');
      waypoint.enrollService(service(chart, 'reviews'));
      const objects = synthValid(chart);
      expect(findObject(objects, 'Service', 'reviews').metadata.labels).toEqual({ 'istio.io/use-waypoint': 'waypoint' });
      expect(findObject(objects, 'Gateway').spec.listeners[0].allowedRoutes).toBeUndefined();
    });

    test('across namespaces labels both and admits the consumer namespace', () => {
      const chart = testChart();
      const waypoint = new Waypoint(chart, 'wp', { namespace: 'infra', name: 'shared' });
      waypoint.enrollService(service(chart, 'orders', 'team-b'));
      const objects = synthValid(chart);
      expect(findObject(objects, 'Service', 'orders').metadata.labels).toEqual({
        'istio.io/use-waypoint': 'shared',
        'istio.io/use-waypoint-namespace': 'infra',
      });
      expect(findObject(objects, 'Gateway').spec.listeners[0].allowedRoutes).toEqual({
        namespaces: {
          from: 'Selector',
          selector: {
            matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['infra', 'team-b'] }],
          },
        },
      });
      expect(waypoint.consumerNamespaceNames).toEqual(['team-b']);
    });

    test('consumers enrolled after the waypoint still show in allowedRoutes (sorted)', () => {
      const chart = testChart();
      const waypoint = new Waypoint(chart, 'wp', { namespace: 'infra' });
      waypoint.enrollService(service(chart, 'b', 'zeta'));
      waypoint.enrollService(service(chart, 'a', 'alpha'));
      const gateway = findObject(synthValid(chart), 'Gateway');
      expect(gateway.spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0].values).toEqual(['alpha', 'infra', 'zeta']);
    });

    test('ingressUseWaypoint labels the Service', () => {
      const chart = testChart({ namespace: 'apps' });
      const waypoint = new Waypoint(chart, 'wp');
      waypoint.enrollService(service(chart, 'web'), { ingressUseWaypoint: true });
      expect(findObject(synthValid(chart), 'Service').metadata.labels).toEqual({
        'istio.io/ingress-use-waypoint': 'true',
        'istio.io/use-waypoint': 'waypoint',
      });
    });

    test.each([WaypointTrafficType.WORKLOAD, WaypointTrafficType.NONE])('refuses a %s waypoint', (type) => {
      const chart = testChart({ namespace: 'apps' });
      const waypoint = new Waypoint(chart, 'wp', { trafficType: type });
      expect(() => waypoint.enrollService(service(chart, 'web')))
        .toThrow(`[test/wp] cannot enroll Service "apps/web": waypoint "apps/waypoint" serves ${type} traffic, and Istio only binds Services to waypoints for \`service\` or \`all\` traffic`);
    });

    test('an ALL waypoint serves services', () => {
      const chart = testChart({ namespace: 'apps' });
      new Waypoint(chart, 'wp', { trafficType: WaypointTrafficType.ALL }).enrollService(service(chart, 'web'));
      expect(findObject(synthValid(chart), 'Service').metadata.labels['istio.io/use-waypoint']).toBe('waypoint');
    });

    test('refuses a Service already enrolled in another waypoint', () => {
      const chart = testChart({ namespace: 'apps' });
      const svc = service(chart, 'web');
      new Waypoint(chart, 'a', { name: 'a' }).enrollService(svc);
      const b = new Waypoint(chart, 'b', { name: 'b' });
      expect(() => b.enrollService(svc)).toThrow('[test/b] test/svc-chart-web already uses waypoint "apps/a" (istio.io/use-waypoint); an object uses one waypoint');
    });

    test('enrolling the same Service twice is idempotent', () => {
      const chart = testChart({ namespace: 'apps' });
      const svc = service(chart, 'web');
      const waypoint = new Waypoint(chart, 'wp');
      waypoint.enrollService(svc);
      waypoint.enrollService(svc);
      expect(findObject(synthValid(chart), 'Service').metadata.labels).toEqual({ 'istio.io/use-waypoint': 'waypoint' });
    });

    test('refuses a Service without a namespace', () => {
      const chart = testChart();
      const waypoint = new Waypoint(chart, 'wp', { namespace: 'apps' });
      expect(() => waypoint.enrollService(service(chart, 'web'))).toThrow('[test/svc-chart-web] Service "web" has no namespace.');
    });
  });

  describe('enrollServiceByName', () => {
    test('labels a Service declared as a plain ApiObject', () => {
      const chart = testChart({ namespace: 'apps' });
      new ApiObject(chart, 'raw', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'legacy' }, spec: { ports: [{ port: 80 }] } });
      new Waypoint(chart, 'wp').enrollServiceByName('legacy');
      expect(findObject(synthValid(chart), 'Service').metadata.labels).toEqual({ 'istio.io/use-waypoint': 'waypoint' });
    });

    test('finds a Service in another chart and namespace', () => {
      const app = Testing.app();
      const infra = new Chart(app, 'infra');
      const team = new Chart(app, 'team', { namespace: 'team-b' });
      new ApiObject(team, 'raw', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'orders' }, spec: { ports: [{ port: 80 }] } });
      new Waypoint(infra, 'wp', { namespace: 'infra' }).enrollServiceByName('orders', { namespace: 'team-b', ingressUseWaypoint: true });
      expect(findObject(synthValid(team), 'Service').metadata.labels).toEqual({
        'istio.io/ingress-use-waypoint': 'true',
        'istio.io/use-waypoint': 'waypoint',
        'istio.io/use-waypoint-namespace': 'infra',
      });
      expect(findObject(synthValid(infra), 'Gateway').spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0].values)
        .toEqual(['infra', 'team-b']);
    });

    test('refuses at synth a Service that is not declared in the app', () => {
      const chart = testChart({ namespace: 'apps' });
      new Waypoint(chart, 'wp').enrollServiceByName('ghost');
      expect(() => Testing.synth(chart)).toThrow('Validation failed with the following errors:\n  [test/wp] enrollServiceByName("ghost"): no Service "apps/ghost" is declared in this app, so it cannot be labelled with istio.io/use-waypoint. Declare the Service (cdk8s-plus Service, ApiObject or Include), or pass the cdk8s-plus Service to enrollService().');
    });

    test('a Service declared after the enrollment, in another chart, is labelled the same', () => {
      const build = (serviceFirst: boolean) => {
        const app = Testing.app();
        const declareService = () => new ApiObject(new Chart(app, 'team', { namespace: 'team-b' }), 'raw', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'orders' }, spec: { ports: [{ port: 80 }] } });
        if (serviceFirst) declareService();
        new Waypoint(new Chart(app, 'infra'), 'wp', { namespace: 'infra' }).enrollServiceByName('orders', { namespace: 'team-b' });
        if (!serviceFirst) declareService();
        return ['team', 'infra'].map(id => synthValid(app.node.findChild(id) as Chart));
      };
      const [team, infra] = build(false);
      expect([team, infra]).toEqual(build(true));
      expect(findObject(team, 'Service').metadata.labels).toEqual({ 'istio.io/use-waypoint': 'waypoint', 'istio.io/use-waypoint-namespace': 'infra' });
      expect(findObject(infra, 'Gateway').spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0].values).toEqual(['infra', 'team-b']);
    });

    test('refuses an invalid Service name', () => {
      const waypoint = new Waypoint(testChart({ namespace: 'apps' }), 'wp');
      expect(() => waypoint.enrollServiceByName('Bad_Name')).toThrow('Service name "Bad_Name" is not a valid object name');
    });
  });

  describe('enrollWorkload', () => {
    test('labels the pod template of a workload waypoint consumer', () => {
      const chart = testChart({ namespace: 'apps' });
      const deployment = new kplus.Deployment(chart, 'web', { containers: [{ image: 'nginx', securityContext: { ensureNonRoot: false } }] });
      new Waypoint(chart, 'wp', { trafficType: WaypointTrafficType.WORKLOAD }).enrollWorkload(deployment);
      const objects = synthValid(chart);
      expect(findObject(objects, 'Deployment').spec.template.metadata.labels['istio.io/use-waypoint']).toBe('waypoint');
      expect(findObject(objects, 'Deployment').metadata.labels).toBeUndefined();
    });

    test('refuses a service-only waypoint', () => {
      const chart = testChart({ namespace: 'apps' });
      const pod = new kplus.Pod(chart, 'pod', { containers: [{ image: 'nginx' }] });
      expect(() => new Waypoint(chart, 'wp').enrollWorkload(pod))
        .toThrow('[test/wp] cannot enroll workload test/pod: waypoint "apps/waypoint" serves service traffic, and Istio only binds pods to waypoints for `workload` or `all` traffic');
    });
  });

  describe('allowedNamespaces', () => {
    test('all() admits every namespace', () => {
      const chart = testChart({ namespace: 'infra' });
      new Waypoint(chart, 'wp', { allowedNamespaces: GatewayNamespaces.all() });
      expect(findObject(synthValid(chart), 'Gateway').spec.listeners[0].allowedRoutes).toEqual({ namespaces: { from: 'All' } });
    });

    test('same() is written out explicitly', () => {
      const chart = testChart({ namespace: 'infra' });
      new Waypoint(chart, 'wp', { allowedNamespaces: GatewayNamespaces.same() });
      expect(findObject(synthValid(chart), 'Gateway').spec.listeners[0].allowedRoutes).toEqual({ namespaces: { from: 'Same' } });
    });

    test('names() with one other namespace plus its own', () => {
      const chart = testChart({ namespace: 'infra' });
      new Waypoint(chart, 'wp', { allowedNamespaces: GatewayNamespaces.names('team-a', 'team-a') });
      expect(findObject(synthValid(chart), 'Gateway').spec.listeners[0].allowedRoutes.namespaces.selector).toEqual({
        matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['infra', 'team-a'] }],
      });
    });

    test('names() of only its own namespace uses matchLabels', () => {
      const chart = testChart({ namespace: 'infra' });
      new Waypoint(chart, 'wp', { allowedNamespaces: GatewayNamespaces.names('infra') });
      expect(findObject(synthValid(chart), 'Gateway').spec.listeners[0].allowedRoutes).toEqual({
        namespaces: { from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': 'infra' } } },
      });
    });

    test('selector() matches namespace labels', () => {
      const chart = testChart({ namespace: 'infra' });
      new Waypoint(chart, 'wp', { allowedNamespaces: GatewayNamespaces.selector({ 'mesh.example.com/tenant': 'true' }) });
      expect(findObject(synthValid(chart), 'Gateway').spec.listeners[0].allowedRoutes).toEqual({
        namespaces: { from: 'Selector', selector: { matchLabels: { 'mesh.example.com/tenant': 'true' } } },
      });
    });

    test('fails synth when same() would deny an enrolled consumer', () => {
      const chart = testChart();
      const waypoint = new Waypoint(chart, 'wp', { namespace: 'infra', allowedNamespaces: GatewayNamespaces.same() });
      waypoint.enrollService(service(chart, 'orders', 'team-b'));
      expect(() => Testing.synth(chart)).toThrow(/\[test\/wp\] test\/svc-team-b-orders in namespace "team-b" is enrolled in this waypoint, but allowedNamespaces does not admit "team-b": Istio would refuse the attachment \(AttachmentDenied\)/);
    });

    test('fails synth when names() leaves out an enrolled consumer', () => {
      const chart = testChart();
      const waypoint = new Waypoint(chart, 'wp', { namespace: 'infra', allowedNamespaces: GatewayNamespaces.names('team-a') });
      waypoint.enrollService(service(chart, 'orders', 'team-b'));
      expect(() => Testing.synth(chart)).toThrow(/does not admit "team-b"/);
    });

    test('refuses empty names() and selector()', () => {
      expect(() => GatewayNamespaces.names()).toThrow('GatewayNamespaces.names() needs at least one namespace name');
      expect(() => GatewayNamespaces.selector({})).toThrow('GatewayNamespaces.selector() needs at least one label');
      expect(() => GatewayNamespaces.names('Team_A')).toThrow('namespace "Team_A" is not a valid namespace name');
    });
  });

  describe('deployment tuning', () => {
    test('no tuning writes no ConfigMap and no parametersRef', () => {
      const chart = testChart({ namespace: 'apps' });
      const waypoint = new Waypoint(chart, 'wp');
      expect(waypoint.options).toBeUndefined();
      const objects = synthValid(chart);
      expect(objects.map(o => o.kind)).toEqual(['Gateway']);
      expect(findObject(objects, 'Gateway').spec.infrastructure).toBeUndefined();
    });

    test('replicas and resources patch the Deployment through parametersRef', () => {
      const chart = testChart({ namespace: 'apps' });
      new Waypoint(chart, 'wp', {
        replicas: 3,
        resources: {
          cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.units(1) },
          memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
          ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(2) },
        },
      });
      const objects = synthValid(chart);
      const configMap = findObject(objects, 'ConfigMap', 'waypoint-waypoint-options');
      expect(configMap.metadata.namespace).toBe('apps');
      expect(Object.keys(configMap.data)).toEqual(['deployment']);
      expect(parse(configMap.data.deployment)).toEqual({
        spec: {
          replicas: 3,
          template: {
            spec: {
              containers: [{
                name: 'istio-proxy',
                resources: {
                  limits: { 'cpu': '1', 'memory': '512Mi', 'ephemeral-storage': '2Gi' },
                  requests: { 'cpu': '250m', 'memory': '128Mi', 'ephemeral-storage': '1Gi' },
                },
              }],
            },
          },
        },
      });
      expect(findObject(objects, 'Gateway').spec.infrastructure).toEqual({
        parametersRef: { group: '', kind: 'ConfigMap', name: 'waypoint-waypoint-options' },
      });
    });

    test('autoscaling creates the HorizontalPodAutoscaler overlay with defaults', () => {
      const chart = testChart({ namespace: 'apps' });
      new Waypoint(chart, 'wp', { autoscaling: { maxReplicas: 4 } });
      const configMap = findObject(synthValid(chart), 'ConfigMap');
      expect(parse(configMap.data.horizontalPodAutoscaler)).toEqual({
        spec: {
          minReplicas: 1,
          maxReplicas: 4,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
        },
      });
    });

    test.each([
      [{ minAvailable: 1 }, { minAvailable: 1 }],
      [{ maxUnavailable: 0 }, { maxUnavailable: 0 }],
    ])('podDisruptionBudget %j', (budget, spec) => {
      const chart = testChart({ namespace: 'apps' });
      new Waypoint(chart, 'wp', { podDisruptionBudget: budget });
      expect(parse(findObject(synthValid(chart), 'ConfigMap').data.podDisruptionBudget)).toEqual({ spec });
    });

    test.each([
      [{ replicas: 2, autoscaling: { maxReplicas: 3 } }, 'set either `replicas` or `autoscaling`, not both'],
      [{ replicas: 0 }, 'replicas is 0; it must be a whole number of at least 1.'],
      [{ replicas: 1.5 }, 'replicas is 1.5; it must be a whole number of at least 1.'],
      [{ autoscaling: { minReplicas: 5, maxReplicas: 3 } }, 'autoscaling.minReplicas (5) is greater than maxReplicas (3)'],
      [{ autoscaling: { maxReplicas: 3, targetCpuUtilizationPercent: 0 } }, 'autoscaling.targetCpuUtilizationPercent is 0; it must be a whole number from 1 to 100.'],
      [{ autoscaling: { maxReplicas: 0 } }, 'autoscaling.maxReplicas is 0'],
      [{ podDisruptionBudget: {} }, 'podDisruptionBudget needs exactly one of `minAvailable` or `maxUnavailable`.'],
      [{ podDisruptionBudget: { minAvailable: 1, maxUnavailable: 1 } }, 'podDisruptionBudget needs exactly one of'],
      [{ podDisruptionBudget: { minAvailable: -1 } }, 'podDisruptionBudget.minAvailable is -1'],
    ])('refuses %j', (props, message) => {
      expect(() => new Waypoint(testChart({ namespace: 'apps' }), 'wp', props)).toThrow(`[test/wp] ${message}`);
    });
  });

  describe('fromName', () => {
    test('enrolls a namespace in a waypoint installed elsewhere', () => {
      const chart = testChart();
      const waypoint = Waypoint.fromName(chart, 'existing', 'egress', { namespace: 'infra' });
      new AmbientNamespace(chart, 'ns', { name: 'apps', waypoint });
      expect(waypoint.identity.principal).toBe('cluster.local/ns/infra/sa/egress');
      expect(findObject(synthValid(chart), 'Namespace').metadata.labels).toEqual({
        'istio.io/dataplane-mode': 'ambient',
        'istio.io/use-waypoint': 'egress',
        'istio.io/use-waypoint-namespace': 'infra',
      });
    });

    test('enrolls services and workloads', () => {
      const chart = testChart({ namespace: 'apps' });
      const waypoint = Waypoint.fromName(chart, 'existing', 'wp', { namespace: 'apps', trafficType: WaypointTrafficType.ALL, trustDomain: 'td' });
      waypoint.enrollService(service(chart, 'web'));
      const pod = new kplus.Pod(chart, 'pod', { containers: [{ image: 'nginx', securityContext: { ensureNonRoot: false } }] });
      waypoint.enrollWorkload(pod);
      const objects = synthValid(chart);
      expect(findObject(objects, 'Service').metadata.labels[IstioLabels.USE_WAYPOINT]).toBe('wp');
      expect(findObject(objects, 'Pod').metadata.labels[IstioLabels.USE_WAYPOINT]).toBe('wp');
      expect(waypoint.identity.principal).toBe('td/ns/apps/sa/wp');
    });

    test('refuses "none" and invalid namespaces', () => {
      expect(() => Waypoint.fromName(testChart(), 'x', 'none', { namespace: 'infra' })).toThrow('a waypoint cannot be named "none"');
      expect(() => Waypoint.fromName(testChart(), 'x', 'wp', { namespace: 'Infra' })).toThrow('waypoint namespace "Infra" is not a valid namespace name');
    });
  });

  test('snapshot: fully configured shared waypoint', () => {
    const chart = testChart();
    const waypoint = new Waypoint(chart, 'wp', {
      name: 'shared',
      namespace: 'infra',
      trafficType: WaypointTrafficType.ALL,
      revision: 'stable',
      autoscaling: { minReplicas: 2, maxReplicas: 5, targetCpuUtilizationPercent: 60 },
      podDisruptionBudget: { maxUnavailable: 1 },
      resources: { cpu: { request: kplus.Cpu.millis(100) } },
    });
    waypoint.enrollService(service(chart, 'orders', 'shop'));
    expect(synthValid(chart)).toMatchSnapshot();
  });
});
