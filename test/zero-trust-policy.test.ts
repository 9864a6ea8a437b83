import { ApiObject, Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { parse } from 'yaml';
import { findObject, synthValid, testChart } from './support';
import {
  AmbientMesh, AmbientNamespace, Condition, MtlsMode, PolicySource, PolicyTarget, Waypoint, ZeroTrustPolicy, ZeroTrustPolicyProps,
  MeshAnalyzer, MeshIdentity, WaypointTrafficType, IPolicySource, IPolicyTarget, PolicySourceConfig, PolicyTargetConfig, HttpRoute, IngressGateway, RouteBackend, RouteParent,
} from '../src';

const JWKS_URI = 'https://example.com/.well-known/jwks.json';

function svc(chart: Chart, name: string, labels: { [key: string]: string } = { app: name }, port = 8000, targetPort = 8080): kplus.Service {
  const service = new kplus.Service(chart, `svc-${name}`, { metadata: { name }, ports: [{ port, targetPort, name: 'http' }] });
  for (const [k, v] of Object.entries(labels)) service.selectLabel(k, v);
  return service;
}

/** A namespace `shop` (optionally with a namespace waypoint) and a policy for it. */
function shop(options: { waypoint?: boolean; policy?: ZeroTrustPolicyProps } = {}) {
  const chart = testChart({ namespace: 'shop' });
  const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
  const waypoint = options.waypoint ? ns.addWaypoint('waypoint') : undefined;
  const api = svc(chart, 'api');
  const policy = new ZeroTrustPolicy(chart, 'policy', options.policy);
  return { chart, ns, waypoint, api, policy };
}

function policies(objects: any[]): { [name: string]: any } {
  return Object.fromEntries(objects.filter(o => o.kind === 'AuthorizationPolicy').map(o => [o.metadata.name, o.spec]));
}

const frontend = PolicySource.serviceAccountName('shop', 'frontend');

/**
 * Declares something whose placement depends on the whole app (so it is checked at synth) and
 * returns the synth error: the declaration itself must not throw, and synth must.
 */
function refusal(scope: IConstruct, declare: () => void): string {
  declare();
  try {
    Testing.synth(Chart.of(scope));
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('synth did not fail');
}

describe('ZeroTrustPolicy defaults', () => {
  test('STRICT mTLS and namespace allow-nothing, nothing else, for a namespace without waypoint', () => {
    const { chart } = shop();
    const objects = synthValid(chart).filter(o => o.apiVersion.startsWith('security.istio.io'));
    expect(objects).toEqual([
      { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'shop' }, spec: { mtls: { mode: 'STRICT' } } },
      { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', namespace: 'shop' }, spec: { action: 'ALLOW' } },
    ]);
  });

  test('with a namespace waypoint: allow-nothing at the waypoint and require-waypoint at ztunnel', () => {
    const { chart } = shop({ waypoint: true });
    expect(policies(synthValid(chart))).toEqual({
      'allow-nothing': { action: 'ALLOW' },
      'allow-nothing-waypoint': { action: 'ALLOW', targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }] },
      'require-waypoint': { action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }] }] },
    });
  });

  test('every waypoint living in the namespace gets a default deny', () => {
    const chart = testChart({ namespace: 'shop' });
    const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
    new Waypoint(chart, 'extra', { name: 'reviews-wp' });
    ns.addWaypoint('waypoint');
    Waypoint.fromName(chart, 'ref', 'legacy-wp', { namespace: 'shop' });
    const policy = new ZeroTrustPolicy(chart, 'policy');
    expect(policy.policyNames).toEqual(['allow-nothing', 'allow-nothing-legacy-wp', 'allow-nothing-reviews-wp', 'allow-nothing-waypoint', 'require-waypoint']);
    synthValid(chart);
  });

  test('PERMISSIVE mTLS', () => {
    const { chart, policy } = shop({ policy: { mtls: MtlsMode.PERMISSIVE } });
    expect(policy.mtls).toBe(MtlsMode.PERMISSIVE);
    expect(findObject(synthValid(chart), 'PeerAuthentication').spec).toEqual({ mtls: { mode: 'PERMISSIVE' } });
  });

  test('refuses DISABLE mTLS', () => {
    expect(() => shop({ policy: { mtls: MtlsMode.DISABLE } }))
      .toThrow('[test/policy] mtls DISABLE is not supported in ambient mode: ztunnel always uses mTLS (HBONE) between workloads and Istio ignores DISABLE policies.');
  });

  test('defaultDeny: false emits no allow-nothing', () => {
    const { chart, policy } = shop({ waypoint: true, policy: { defaultDeny: false } });
    expect(policy.defaultDeny).toBe(false);
    expect(policies(synthValid(chart))).toEqual({});
  });

  test('namePrefix prefixes every AuthorizationPolicy', () => {
    const { chart, policy, api } = shop({ waypoint: true, policy: { namePrefix: 'team-a' } });
    policy.allowFrom(frontend, { to: PolicyTarget.service(api) });
    expect(Object.keys(policies(synthValid(chart))).sort())
      .toEqual(['team-a-allow-nothing', 'team-a-allow-nothing-waypoint', 'team-a-api-waypoint', 'team-a-require-waypoint']);
  });

  test('trustDomain is used for principals', () => {
    const { chart, policy, api } = shop({ policy: { trustDomain: 'prod.example.com' } });
    policy.allowFrom(frontend, { to: PolicyTarget.service(api) });
    expect(policies(synthValid(chart))['api-ztunnel'].rules[0].from[0].source.principals).toEqual(['prod.example.com/ns/shop/sa/frontend']);
  });

  test('refuses an invalid trust domain', () => {
    expect(() => shop({ policy: { trustDomain: 'a/b' } })).toThrow('trust domain "a/b" is invalid');
  });

  test('refuses a namespace not declared as AmbientNamespace', () => {
    const chart = testChart({ namespace: 'shop' });
    const policy = new ZeroTrustPolicy(chart, 'policy');
    expect(refusal(policy, () => policy.allowFrom(frontend, { ports: [80] }))).toBe('Validation failed with the following errors:\n  [test/policy] namespace "shop" is not declared as an AmbientNamespace in this app, so it is unknown which waypoint (if any) serves it, and where rules are enforced. Declare it with new AmbientNamespace(scope, id, { name: \'shop\' }) (use Waypoint.fromName() for a waypoint that exists already).');
  });

  test('refuses a policy without a namespace', () => {
    expect(() => new ZeroTrustPolicy(testChart(), 'policy')).toThrow('[test/policy] ZeroTrustPolicy has no namespace.');
  });

  test('refuses a second policy for the same namespace', () => {
    const { chart } = shop();
    expect(() => new ZeroTrustPolicy(chart, 'again')).toThrow('[test/again] namespace "shop" already has a ZeroTrustPolicy at test/policy');
  });

  test('refuses rootNamespace without meshWide', () => {
    expect(() => shop({ policy: { rootNamespace: 'istio-system' } })).toThrow('`rootNamespace` applies to a mesh-wide policy only');
  });
});

describe('ZeroTrustPolicy without a waypoint (ztunnel, L4)', () => {
  test('identity rule for a Service: selector policy, Service port translated to the pod port', () => {
    const { chart, policy, api } = shop();
    policy.allowFrom(frontend, { to: PolicyTarget.service(api), ports: [8000] });
    expect(policies(synthValid(chart))['api-ztunnel']).toEqual({
      action: 'ALLOW',
      selector: { matchLabels: { app: 'api' } },
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'] } }], to: [{ operation: { ports: ['8080'] } }] }],
    });
  });

  test('namespace-wide rule', () => {
    const { chart, policy } = shop();
    policy.allowFrom(PolicySource.namespaces('monitoring'), { ports: [15020] });
    expect(policies(synthValid(chart))['namespace-ztunnel']).toEqual({
      action: 'ALLOW',
      rules: [{ from: [{ source: { namespaces: ['monitoring'] } }], to: [{ operation: { ports: ['15020'] } }] }],
    });
  });

  test('workload and pods targets use their labels', () => {
    const { chart, policy } = shop();
    const worker = new kplus.Deployment(chart, 'worker', { metadata: { name: 'worker' }, containers: [{ image: 'busybox', securityContext: { ensureNonRoot: false } }] });
    policy.allowFrom(frontend, { to: PolicyTarget.workload(worker) });
    policy.allowFrom(frontend, { to: PolicyTarget.pods('cache', { app: 'redis', tier: 'cache' }), ports: [6379] });
    const out = policies(synthValid(chart));
    expect(out['worker-workload-ztunnel'].selector).toEqual({ matchLabels: worker.matchLabels });
    expect(out['cache-workload-ztunnel'].selector).toEqual({ matchLabels: { app: 'redis', tier: 'cache' } });
  });

  test('DENY rule at ztunnel', () => {
    const { chart, policy, api } = shop();
    policy.denyFrom(PolicySource.ipBlocks('203.0.113.0/24'), { to: PolicyTarget.service(api) });
    expect(policies(synthValid(chart))['api-ztunnel-deny']).toEqual({
      action: 'DENY',
      selector: { matchLabels: { app: 'api' } },
      rules: [{ from: [{ source: { ipBlocks: ['203.0.113.0/24'] } }] }],
    });
  });

  test('L4 conditions stay at ztunnel', () => {
    const { chart, policy } = shop();
    policy.allowFrom(frontend, { conditions: [Condition.matches('source.ip', '10.0.0.0/8'), Condition.notMatches('destination.port', '22')] });
    expect(policies(synthValid(chart))['namespace-ztunnel'].rules[0].when).toEqual([
      { key: 'destination.port', notValues: ['22'] },
      { key: 'source.ip', values: ['10.0.0.0/8'] },
    ]);
  });

  test.each([
    [{ methods: ['GET'] }, 'methods'],
    [{ paths: ['/api'] }, 'paths'],
    [{ hosts: ['api.example.com'] }, 'hosts'],
    [{ headers: { 'x-tenant': ['blue'] } }, 'request.headers[x-tenant]'],
    [{ conditions: [Condition.matches('request.auth.claims[group]', 'admin')] }, 'request.auth.claims[group]'],
  ])('refuses an ALLOW with L7 attributes %j: ztunnel would drop it', (options, attribute) => {
    const { policy, api } = shop();
    expect(refusal(policy, () => policy.allowFrom(frontend, { ...options, to: PolicyTarget.service(api) }))).toContain(`[test/policy] allowFrom(service account shop/frontend) to Service "api" uses L7 attributes (${attribute}), but Service "shop/api" has no waypoint: ztunnel would drop the rule, so the traffic it allows would be denied. Add a waypoint (AmbientNamespace.addWaypoint() or waypoint.enrollService()), or drop the L7 attributes.`);
  });

  test('refuses a DENY with L7 attributes: ztunnel would over-deny', () => {
    const { policy } = shop();
    expect(refusal(policy, () => policy.denyFrom(frontend, { methods: ['POST'], ports: [8080] }))).toContain('uses L7 attributes (methods), but namespace "shop" has no waypoint: ztunnel would enforce the DENY without them and deny more traffic than intended.');
  });

  test('refuses a DENY whose clause is L7-only: at ztunnel it would fail open', () => {
    // istio master authorization_test.go "DENY policy with L4 From and L7-only To methods is a no-op due to AND empty clause".
    const { policy } = shop();
    expect(refusal(policy, () => policy.denyFrom(frontend, { methods: ['POST'] }))).toContain('[test/policy] denyFrom(service account shop/frontend) to the namespace uses L7 attributes (methods), but namespace "shop" has no waypoint: istiod would strip them and ztunnel would skip the emptied clause, so the DENY would have no effect (fail open). Add a waypoint (AmbientNamespace.addWaypoint() or waypoint.enrollService()), or drop the L7 attributes.');
  });

  test('refuses JWT principals without a waypoint', () => {
    const { policy } = shop();
    expect(refusal(policy, () => policy.allowFrom(PolicySource.jwt({ issuer: 'https://issuer.example.com' })))).toContain('uses L7 attributes (requestPrincipals)');
  });

  test('refuses AUDIT without a waypoint', () => {
    const { policy, api } = shop();
    expect(refusal(policy, () => policy.auditFrom(frontend, { to: PolicyTarget.service(api) }))).toContain('[test/policy] auditFrom(service account shop/frontend) to Service "api": AUDIT is enforced by waypoints only (ztunnel ignores AUDIT policies)');
  });

  test('refuses a Service target without a selector', () => {
    const { chart, policy } = shop();
    new ApiObject(chart, 'headless', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'external' }, spec: { ports: [{ port: 80 }] } });
    expect(refusal(policy, () => policy.allowFrom(frontend, { to: PolicyTarget.serviceName('external') }))).toContain('the rule is enforced by ztunnel, which selects pods by labels, but Service "shop/external" has no pod selector.');
    const other = shop();
    expect(refusal(other.policy, () => other.policy.allowFrom(frontend, { to: PolicyTarget.serviceName('ghost') })))
      .toContain('Service "shop/ghost" is not declared in this app and no selector was given (PolicyTarget.serviceName(name, { selector }))');
  });

  test('serviceName with an explicit selector', () => {
    const { chart, policy } = shop();
    policy.allowFrom(frontend, { to: PolicyTarget.serviceName('legacy', { selector: { app: 'legacy' } }) });
    expect(policies(synthValid(chart))['legacy-ztunnel'].selector).toEqual({ matchLabels: { app: 'legacy' } });
  });

  test('refuses ports the Service does not have, and named target ports', () => {
    const { chart, policy, api } = shop();
    expect(refusal(policy, () => policy.allowFrom(frontend, { to: PolicyTarget.service(api), ports: [9999] }))).toContain('Service "shop/api" has no port 9999 (ports: 8000).');
    new ApiObject(chart, 'named', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'named' },
      spec: { selector: { app: 'named' }, ports: [{ port: 80, name: 'http', targetPort: 'web' }] },
    });
    policy.allowFrom(frontend, { to: PolicyTarget.serviceName('named'), ports: [80] });
    expect(() => Testing.synth(chart)).toThrow('port 80 of Service "shop/named" targets the named port "web"');
  });

  test('refuses a target in another namespace', () => {
    const { chart, policy } = shop();
    const other = new kplus.Service(chart, 'other', { metadata: { name: 'other', namespace: 'payments' }, ports: [{ port: 80 }] });
    expect(refusal(policy, () => policy.allowFrom(frontend, { to: PolicyTarget.service(other) }))).toContain('[test/policy] Service "other" is in namespace "payments", but this policy is for namespace "shop": an AuthorizationPolicy only applies in its own namespace.');
  });

  test('refuses label expressions on a workload target', () => {
    const { chart, policy } = shop();
    const deployment = new ApiObject(chart, 'expr', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'expr' },
      spec: {
        selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] },
        template: { metadata: { labels: { app: 'expr' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } },
      },
    });
    expect(refusal(policy, () => policy.allowFrom(frontend, { to: PolicyTarget.workload(deployment) }))).toContain('[test/policy] workload "expr" is selected with label expressions, but AuthorizationPolicy selectors take matchLabels only. Select the workload by labels.');
  });
});

describe('ZeroTrustPolicy with a waypoint (L7 and identity rules at the waypoint)', () => {
  test('identity rules for a waypoint-served Service go to the waypoint, where the client identity is visible', () => {
    const { chart, policy, api } = shop({ waypoint: true });
    policy.allowFrom(frontend, { to: PolicyTarget.service(api), methods: ['GET', 'HEAD'], paths: ['/v1/*'] });
    const out = policies(synthValid(chart));
    expect(out['api-waypoint']).toEqual({
      action: 'ALLOW',
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      rules: [{
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'] } }],
        to: [{ operation: { methods: ['GET', 'HEAD'], paths: ['/v1/*'] } }],
      }],
    });
    // Under default deny, require-waypoint already admits only the waypoint at ztunnel.
    expect(out['api-ztunnel']).toBeUndefined();
  });

  test('without default deny, ztunnel admits only the waypoint to the Service pods (bypass protection)', () => {
    const { chart, policy, api } = shop({ waypoint: true, policy: { defaultDeny: false } });
    policy.allowFrom(frontend, { to: PolicyTarget.service(api), methods: ['GET'] });
    expect(policies(synthValid(chart))['api-ztunnel']).toEqual({
      action: 'ALLOW',
      selector: { matchLabels: { app: 'api' } },
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }] }],
    });
  });

  test('namespace-wide rules attach to the waypoint Gateway', () => {
    const { chart, policy } = shop({ waypoint: true, policy: { defaultDeny: false } });
    policy.allowFrom(PolicySource.namespaces('shop'), { methods: ['GET'] });
    const out = policies(synthValid(chart));
    expect(out['namespace-waypoint'].targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }]);
    expect(out['require-waypoint']).toEqual({ action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }] }] });
  });

  test('DENY and AUDIT rules at the waypoint', () => {
    const { chart, policy, api } = shop({ waypoint: true });
    policy.denyFrom(PolicySource.namespaces('legacy'), { to: PolicyTarget.service(api), methods: ['DELETE'] });
    policy.auditFrom(PolicySource.anyone(), { to: PolicyTarget.service(api), paths: ['/admin*'] });
    const out = policies(synthValid(chart));
    expect(out['api-waypoint-deny']).toEqual({
      action: 'DENY',
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      rules: [{ from: [{ source: { namespaces: ['legacy'] } }], to: [{ operation: { methods: ['DELETE'] } }] }],
    });
    expect(out['api-waypoint-audit']).toEqual({
      action: 'AUDIT',
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }],
    });
  });

  test('a Service enrolled in its own waypoint is protected with that waypoint (the docs require-waypoint)', () => {
    const chart = testChart({ namespace: 'default' });
    new AmbientNamespace(chart, 'ns', { name: 'default' });
    const reviews = svc(chart, 'reviews', { app: 'reviews' }, 9080, 9080);
    new Waypoint(chart, 'wp', { name: 'reviews-svc-waypoint' }).enrollService(reviews);
    const policy = new ZeroTrustPolicy(chart, 'policy');
    policy.allowFrom(PolicySource.serviceAccountName('default', 'bookinfo-productpage'), { to: PolicyTarget.service(reviews), methods: ['GET'] });
    const out = policies(synthValid(chart));
    // Verbatim spec of `require-waypoint` in istio.io docs/ambient/usage/waypoint (#require-waypoint).
    expect(out['reviews-ztunnel']).toEqual(parse(`
selector:
  matchLabels:
    app: reviews
action: ALLOW
rules:
- from:
  - source:
      principals:
      - cluster.local/ns/default/sa/reviews-svc-waypoint
`));
    expect(out['reviews-waypoint'].targetRefs).toEqual([{ group: '', kind: 'Service', name: 'reviews' }]);
    // The dedicated waypoint gets its own default deny: ALLOW with no rules, attached to that waypoint.
    expect(out['allow-nothing-reviews-svc-waypoint']).toEqual({
      action: 'ALLOW',
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'reviews-svc-waypoint' }],
    });
  });

  test('a Service that opted out of the waypoint is enforced by ztunnel', () => {
    const { chart, ns, policy } = shop({ waypoint: true });
    const metrics = svc(chart, 'metrics');
    ns.bypassWaypoint(metrics);
    policy.allowFrom(PolicySource.namespaces('monitoring'), { to: PolicyTarget.service(metrics), ports: [8000] });
    expect(policies(synthValid(chart))['metrics-ztunnel'].selector).toEqual({ matchLabels: { app: 'metrics' } });
    expect(refusal(policy, () => policy.allowFrom(frontend, { to: PolicyTarget.service(metrics), methods: ['GET'] }))).toContain('Service "shop/metrics" has no waypoint');
  });

  test('pod-addressed traffic skips a service waypoint: workload rules stay at ztunnel (e.g. scraping)', () => {
    const { chart, policy } = shop({ waypoint: true });
    policy.allowFrom(PolicySource.namespaces('monitoring'), { to: PolicyTarget.pods('app', { app: 'api' }), ports: [15020] });
    expect(policies(synthValid(chart))['app-workload-ztunnel']).toEqual({
      action: 'ALLOW',
      selector: { matchLabels: { app: 'api' } },
      rules: [{ from: [{ source: { namespaces: ['monitoring'] } }], to: [{ operation: { ports: ['15020'] } }] }],
    });
  });

  test('a headless Service is pod-addressed: its rules stay at ztunnel', () => {
    const { chart, policy } = shop({ waypoint: true });
    const db = new kplus.Service(chart, 'db', { metadata: { name: 'db' }, clusterIP: 'None', ports: [{ port: 5432 }] });
    db.selectLabel('app', 'db');
    policy.allowFrom(frontend, { to: PolicyTarget.service(db), ports: [5432] });
    expect(policies(synthValid(chart))['db-ztunnel'].selector).toEqual({ matchLabels: { app: 'db' } });
    expect(refusal(policy, () => policy.allowFrom(frontend, { to: PolicyTarget.service(db), methods: ['GET'] }))).toContain('headless Service "shop/db" has no waypoint');
  });

  test('refuses a headless Service behind a waypoint that carries pod traffic (Service targetRefs are ignored there)', () => {
    const chart = testChart();
    new AmbientNamespace(chart, 'pods-ns', { name: 'pods', waypoint: new Waypoint(chart, 'pods-all', { name: 'pods-all', namespace: 'pods', trafficType: WaypointTrafficType.ALL }) });
    const policy = new ZeroTrustPolicy(chart, 'pods-policy', { namespace: 'pods' });
    const cache = new kplus.Service(chart, 'cache', { metadata: { name: 'cache', namespace: 'pods' }, clusterIP: 'None', ports: [{ port: 6379 }] });
    cache.selectLabel('app', 'cache');
    expect(refusal(policy, () => policy.allowFrom(frontend, { to: PolicyTarget.service(cache), ports: [6379] }))).toContain('[test/pods-policy] allowFrom(service account shop/frontend) to Service "cache": headless Service "pods/cache" has no VIP, so its traffic is addressed to pod IPs and passes waypoint "pods/pods-all", which ignores Service-attached policies for pod-addressed traffic while ztunnel sees the waypoint\'s identity. Give the Service a cluster IP, or opt its pods out of the waypoint (label istio.io/use-waypoint: none).');
  });

  test('refuses a workload target behind a workload waypoint (no targetRefs can name it)', () => {
    const { chart, policy } = shop({ waypoint: true });
    const wp = new Waypoint(chart, 'pods-wp', { name: 'pods-wp', trafficType: WaypointTrafficType.WORKLOAD });
    const pod = new kplus.Pod(chart, 'pod', { metadata: { name: 'worker' }, containers: [{ image: 'busybox' }] });
    wp.enrollWorkload(pod);
    expect(refusal(policy, () => policy.allowFrom(frontend, { to: PolicyTarget.workload(pod) }))).toContain('[test/policy] allowFrom(service account shop/frontend) to workload "worker": workload "shop/worker" is behind waypoint "shop/pods-wp", where ztunnel sees the waypoint\'s identity instead of the client\'s');
  });

  test('refuses a namespace rule when the waypoint lives in another namespace', () => {
    const chart = testChart();
    const infra = new AmbientNamespace(chart, 'infra', { name: 'infra' });
    const shared = infra.addWaypoint('wp', { name: 'shared', enroll: false });
    new AmbientNamespace(chart, 'ns', { name: 'shop', waypoint: shared });
    new ZeroTrustPolicy(chart, 'infra-policy', { namespace: 'infra' });
    const policy = new ZeroTrustPolicy(chart, 'policy', { namespace: 'shop' });
    // Its require-waypoint admits the shared waypoint; its default deny lives with the waypoint.
    const out = Object.fromEntries(synthValid(chart).filter(o => o.kind === 'AuthorizationPolicy').map(o => [`${o.metadata.namespace}/${o.metadata.name}`, o.spec]));
    expect(out['shop/require-waypoint'].rules[0].from[0].source.principals).toEqual(['cluster.local/ns/infra/sa/shared']);
    expect(out['infra/allow-nothing-shared'].targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'shared' }]);
    expect(refusal(policy, () => policy.allowFrom(frontend, { methods: ['GET'] }))).toContain('the namespace\'s waypoint "infra/shared" lives in another namespace, and a policy can only attach to a Gateway in its own namespace. Target the Services instead');
  });

  test('fails synth when a shared waypoint has no default deny', () => {
    const chart = testChart();
    const infra = new AmbientNamespace(chart, 'infra', { name: 'infra' });
    const shared = infra.addWaypoint('wp', { name: 'shared', enroll: false });
    new AmbientNamespace(chart, 'ns', { name: 'shop', waypoint: shared });
    new ZeroTrustPolicy(chart, 'policy', { namespace: 'shop' });
    expect(() => Testing.synth(chart)).toThrow(/namespace "shop" uses waypoint "infra\/shared", which has no default deny: waypoints ignore namespace-wide policies, and its allow-nothing belongs to its own namespace. Declare a ZeroTrustPolicy for "infra"/);
  });

  test('refuses a namespace rule when the waypoint also serves other namespaces', () => {
    const chart = testChart();
    const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
    const waypoint = ns.addWaypoint('waypoint');
    new AmbientNamespace(chart, 'other', { name: 'other', waypoint });
    const policy = new ZeroTrustPolicy(chart, 'policy', { namespace: 'shop' });
    expect(refusal(policy, () => policy.allowFrom(frontend, { methods: ['GET'] }))).toContain('waypoint "shop/waypoint" also serves namespaces other, so a rule attached to it would apply to them too.');
  });

  describe('ingress gateways', () => {
    const ingress = PolicySource.ingressGateway('web-gateway', { namespace: 'ingress' });

    test('reach pods directly: their rule is enforced by ztunnel, next to the waypoint', () => {
      const { chart, policy, api } = shop({ waypoint: true });
      policy.allowFrom(ingress, { to: PolicyTarget.service(api), ports: [8000] });
      expect(policies(synthValid(chart))['api-ztunnel']).toEqual({
        action: 'ALLOW',
        selector: { matchLabels: { app: 'api' } },
        rules: [
          { from: [{ source: { principals: ['cluster.local/ns/ingress/sa/web-gateway-istio'] } }], to: [{ operation: { ports: ['8080'] } }] },
          { from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }] },
        ],
      });
    });

    test('refuses L7 rules for ingress that bypasses the waypoint', () => {
      const { policy, api } = shop({ waypoint: true });
      expect(refusal(policy, () => policy.allowFrom(ingress, { to: PolicyTarget.service(api), methods: ['GET'] }))).toContain('uses L7 attributes (methods), but the ingress gateway sends traffic for Service "shop/api" straight to its pods, past waypoint "shop/waypoint", so no proxy that can read requests sees it. Set ingressUseWaypoint on the Service or namespace');
      const other = shop({ waypoint: true });
      expect(refusal(other.policy, () => other.policy.auditFrom(ingress, { to: PolicyTarget.service(other.api) }))).toContain('ingress traffic to Service "shop/api" bypasses its waypoint, and only waypoints enforce AUDIT.');
    });

    test('with ingress-use-waypoint the rule goes to the waypoint', () => {
      const chart = testChart({ namespace: 'shop' });
      const ns = new AmbientNamespace(chart, 'ns', { name: 'shop', ingressUseWaypoint: true });
      ns.addWaypoint('waypoint');
      const api = svc(chart, 'api');
      const policy = new ZeroTrustPolicy(chart, 'policy');
      policy.allowFrom(ingress, { to: PolicyTarget.service(api), methods: ['GET'] });
      expect(policies(synthValid(chart))['api-waypoint'].rules[0].from[0].source.principals).toEqual(['cluster.local/ns/ingress/sa/web-gateway-istio']);
    });

    test('custom service account and trust domain', () => {
      const source = PolicySource.ingressGateway('gw', { namespace: 'ingress', serviceAccount: 'istio-ingressgateway', trustDomain: 'td' });
      const { chart, policy, api } = shop();
      policy.allowFrom(source, { to: PolicyTarget.service(api) });
      expect(policies(synthValid(chart))['api-ztunnel'].rules[0].from[0].source.principals).toEqual(['td/ns/ingress/sa/istio-ingressgateway']);
    });
  });

  describe('allowWaypointBypass', () => {
    test('also admits the L4 part of each rule directly at ztunnel', () => {
      const { chart, policy, api } = shop({ waypoint: true, policy: { allowWaypointBypass: true } });
      policy.allowFrom(frontend, { to: PolicyTarget.service(api), methods: ['GET'], ports: [8000] });
      policy.allowFrom(PolicySource.anyone(), { to: PolicyTarget.service(api), paths: ['/health'] });
      expect(policies(synthValid(chart))['api-ztunnel']).toEqual({
        action: 'ALLOW',
        selector: { matchLabels: { app: 'api' } },
        rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'] } }], to: [{ operation: { ports: ['8080'] } }] }],
      });
    });

    test('projects every L4 DENY, excluding the waypoint, but never an L7 DENY', () => {
      const { chart, policy, api } = shop({ waypoint: true, policy: { allowWaypointBypass: true } });
      policy.denyFrom(PolicySource.namespaces('legacy'), { to: PolicyTarget.service(api) });
      policy.denyFrom(PolicySource.namespaces('shop'), { to: PolicyTarget.service(api), ports: [8000] });
      policy.denyFrom(PolicySource.ipBlocks('10.0.0.0/8'), { to: PolicyTarget.service(api) });
      policy.denyFrom(PolicySource.anyone(), { to: PolicyTarget.service(api), conditions: [Condition.notMatches('source.namespace', 'team-a')] });
      policy.denyFrom(PolicySource.namespaces('batch'), { to: PolicyTarget.service(api), methods: ['POST'] });
      const out = policies(synthValid(chart));
      const waypointSa = 'cluster.local/ns/shop/sa/waypoint';
      expect(out['api-ztunnel-deny'].rules).toEqual([
        { from: [{ source: { ipBlocks: ['10.0.0.0/8'], notPrincipals: [waypointSa] } }] },
        { from: [{ source: { namespaces: ['legacy'], notPrincipals: [waypointSa] } }] },
        { from: [{ source: { namespaces: ['shop'], notPrincipals: [waypointSa] } }], to: [{ operation: { ports: ['8080'] } }] },
        { from: [{ source: { notPrincipals: [waypointSa] } }], when: [{ key: 'source.namespace', notValues: ['team-a'] }] },
      ]);
      expect(out['api-waypoint-deny'].rules).toHaveLength(5);
    });

    test('never projects a JWT source (it would admit anyone at L4)', () => {
      const { chart, policy, api } = shop({ waypoint: true, policy: { allowWaypointBypass: true } });
      policy.to(PolicyTarget.service(api))
        .requireJwt({ issuer: 'iss', jwksUri: JWKS_URI })
        .allowFrom(PolicySource.jwt({ issuer: 'iss' }), { ports: [8000], methods: ['GET'] });
      expect(policies(synthValid(chart))['api-ztunnel']).toBeUndefined();
    });
  });
});

describe('ZeroTrustPolicy rules', () => {
  test('rules for the same destination merge into one policy; declaration order does not matter', () => {
    const build = (order: number[]) => {
      const { chart, policy, api } = shop({ waypoint: true });
      const rules = [
        () => policy.allowFrom(PolicySource.serviceAccountName('shop', 'b'), { to: PolicyTarget.service(api), methods: ['POST', 'GET'] }),
        () => policy.allowFrom(PolicySource.serviceAccountName('shop', 'a'), { to: PolicyTarget.service(api), methods: ['GET', 'POST'] }),
        () => policy.allowFrom(PolicySource.namespaces('z', 'y'), { to: PolicyTarget.service(api), paths: ['/b', '/a'] }),
      ];
      order.forEach(i => rules[i]());
      return Testing.synth(chart);
    };
    const first = build([0, 1, 2]);
    expect(build([2, 1, 0])).toEqual(first);
    expect(build([1, 2, 0])).toEqual(first);
    expect(policies(first)['api-waypoint'].rules).toEqual([
      { from: [{ source: { namespaces: ['y', 'z'] } }], to: [{ operation: { paths: ['/a', '/b'] } }] },
      { from: [{ source: { principals: ['cluster.local/ns/shop/sa/a', 'cluster.local/ns/shop/sa/b'] } }], to: [{ operation: { methods: ['GET', 'POST'] } }] },
    ]);
  });

  test('the same rule twice is written once', () => {
    const { chart, policy, api } = shop();
    policy.allowFrom(frontend, { to: PolicyTarget.service(api) });
    policy.allowFrom(frontend, { to: PolicyTarget.service(api) });
    expect(policies(synthValid(chart))['api-ztunnel'].rules).toHaveLength(1);
  });

  test('refuses an accidental allow-all', () => {
    const { policy } = shop();
    expect(() => policy.allowFrom(PolicySource.anyone()))
      .toThrow('[test/policy] allowFrom(anyone) to the namespace would match every request (an allow-all rule `{}`). Narrow it with ports, methods, paths, hosts or conditions, or name the sources; to switch off default deny, set `defaultDeny: false` instead.');
  });

  test('anyone on a port is allowed', () => {
    const { chart, policy, api } = shop();
    policy.allowFrom(PolicySource.anyone(), { to: PolicyTarget.service(api), ports: [8000] });
    expect(policies(synthValid(chart))['api-ztunnel'].rules).toEqual([{ to: [{ operation: { ports: ['8080'] } }] }]);
  });

  test.each([
    [{ ports: [0] }, 'port 0 is not a port number (1-65535).'],
    [{ ports: [70000] }, 'port 70000 is not a port number'],
    [{ methods: ['get'] }, 'method "get" is not an HTTP method; use upper case'],
    [{ paths: ['api'] }, 'path "api" must start with "/"'],
    [{ notPaths: ['x'] }, 'path "x" must start with "/"'],
  ])('refuses %j', (options, message) => {
    const { policy } = shop({ waypoint: true });
    expect(() => policy.allowFrom(frontend, options)).toThrow(message);
  });

  test('dry-run for one rule goes to a separate annotated policy', () => {
    const { chart, policy, api } = shop({ waypoint: true });
    policy.denyFrom(PolicySource.namespaces('legacy'), { to: PolicyTarget.service(api), methods: ['DELETE'], dryRun: true });
    const objects = synthValid(chart);
    const dry = findObject(objects, 'AuthorizationPolicy', 'api-waypoint-deny-dry-run');
    expect(dry.metadata.annotations).toEqual({ 'istio.io/dry-run': 'true' });
    expect(dry.spec.action).toBe('DENY');
    expect(findObject(objects, 'AuthorizationPolicy', 'allow-nothing').metadata.annotations).toBeUndefined();
  });

  test('dry-run for the whole policy annotates every AuthorizationPolicy', () => {
    const { chart, policy, api } = shop({ waypoint: true, policy: { dryRun: true } });
    policy.allowFrom(frontend, { to: PolicyTarget.service(api), methods: ['GET'] });
    const aps = synthValid(chart).filter(o => o.kind === 'AuthorizationPolicy');
    expect(aps.map(o => o.metadata.name).sort()).toEqual(['allow-nothing', 'allow-nothing-waypoint', 'api-waypoint', 'require-waypoint']);
    for (const ap of aps) expect(ap.metadata.annotations).toEqual({ 'istio.io/dry-run': 'true' });
  });

  test('a dry-run rule gets dry-run bypass protection, an AUDIT rule none', () => {
    const { chart, policy, api } = shop({ waypoint: true, policy: { defaultDeny: false } });
    policy.allowFrom(PolicySource.namespaces('team-a'), { to: PolicyTarget.service(api), dryRun: true });
    policy.auditFrom(PolicySource.namespaces('team-a'), { methods: ['POST'] });
    const objects = synthValid(chart);
    expect(objects.filter(o => o.kind === 'AuthorizationPolicy').map(o => [o.metadata.name, o.metadata.annotations?.['istio.io/dry-run'] ?? '-']))
      .toEqual([['api-waypoint-dry-run', 'true'], ['api-ztunnel-dry-run', 'true'], ['namespace-waypoint-audit', '-']]);
  });

  test('refuses dry-run AUDIT rules', () => {
    const { policy, api } = shop({ waypoint: true });
    expect(() => policy.auditFrom(frontend, { to: PolicyTarget.service(api), dryRun: true })).toThrow('dry-run applies to ALLOW and DENY rules only');
  });

  test('a waypoint declared after the rule serves it: the same objects as declaring it first', () => {
    const build = (waypointFirst: boolean) => {
      const chart = testChart({ namespace: 'shop' });
      const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
      const api = svc(chart, 'api');
      if (waypointFirst) ns.addWaypoint('waypoint');
      new ZeroTrustPolicy(chart, 'policy').allowFrom(frontend, { to: PolicyTarget.service(api), methods: ['GET'] });
      if (!waypointFirst) ns.addWaypoint('waypoint');
      return synthValid(chart);
    };
    const late = build(false);
    expect(late).toEqual(build(true));
    expect(policies(late)['api-waypoint']).toEqual({
      action: 'ALLOW',
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'] } }], to: [{ operation: { methods: ['GET'] } }] }],
    });
  });

  test('a waypoint declared in the namespace after the policy gets its default deny', () => {
    const { chart } = shop();
    new Waypoint(chart, 'late', { name: 'late' });
    expect(policies(synthValid(chart))['allow-nothing-late']).toEqual({
      action: 'ALLOW',
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'late' }],
    });
  });

  test('a name collision between different policies is refused', () => {
    const { chart, policy } = shop();
    const ns2 = svc(chart, 'namespace');
    policy.allowFrom(frontend, { ports: [8080] });
    expect(refusal(policy, () => policy.allowFrom(frontend, { to: PolicyTarget.service(ns2) }))).toContain('two different policies would be named "namespace-ztunnel"');
  });
});

describe('ZeroTrustPolicy review fixes', () => {
  const ingress = PolicySource.ingressGateway('gw', { namespace: 'ingress' });

  test('fails synth when ingress reaches a Service directly but requireJwt or an L7 DENY guards it at the waypoint', () => {
    const { chart, policy, api } = shop({ waypoint: true });
    policy.to(PolicyTarget.service(api))
      .allowFrom(ingress)
      .requireJwt({ issuer: 'iss', jwksUri: JWKS_URI })
      .denyFrom(PolicySource.anyone(), { paths: ['/admin*'] });
    expect(() => Testing.synth(chart)).toThrow(/allowFrom\(ingress gateway ingress\/gw\) to Service "api" lets the ingress gateway reach Service "shop\/api" directly, past its waypoint, so denyFrom\(anyone\) to Service "api"; requireJwt\(iss\) for Service "shop\/api" would not apply to ingress traffic\. Set ingressUseWaypoint/);
  });

  test('a namespace-wide ingress rule conflicts with Service JWT requirements too; identity DENYs do not', () => {
    const { chart, policy, api } = shop({ waypoint: true });
    policy.allowFrom(ingress, { ports: [8080] });
    policy.denyFrom(PolicySource.namespaces('legacy'), { to: PolicyTarget.service(api), methods: ['POST'] });
    synthValid(chart);
    policy.requireJwt({ issuer: 'iss', jwksUri: JWKS_URI, to: PolicyTarget.service(api) });
    expect(() => Testing.synth(chart)).toThrow(/allowFrom\(ingress gateway ingress\/gw\) to the namespace lets the ingress gateway reach Service "shop\/api" directly/);
  });

  test('a Service on a waypoint in another namespace gets an ALLOW policy, so it is denied by default there', () => {
    const app = Testing.app();
    const platform = new Chart(app, 'platform');
    new AmbientNamespace(platform, 'common', { name: 'common' });
    const shared = new Waypoint(platform, 'wp', { name: 'shared', namespace: 'common' });
    const team = new Chart(app, 'team', { namespace: 'team-b' });
    new AmbientNamespace(team, 'ns', { name: 'team-b' });
    const orders = svc(team, 'orders');
    shared.enrollService(orders);
    const policy = new ZeroTrustPolicy(team, 'policy');
    policy.denyFrom(PolicySource.namespaces('evil'), { to: PolicyTarget.service(orders) });
    const out = policies(synthValid(team));
    expect(out['orders-waypoint']).toEqual({ action: 'ALLOW', targetRefs: [{ group: '', kind: 'Service', name: 'orders' }] });
    expect(out['orders-ztunnel'].rules[0].from[0].source.principals).toEqual(['cluster.local/ns/common/sa/shared']);
  });

  test('fails synth when a namespace-wide waypoint rule cannot reach Services off the namespace waypoint', () => {
    const { chart, ns, policy } = shop({ waypoint: true });
    ns.bypassWaypoint(svc(chart, 'metrics'));
    policy.allowFrom(PolicySource.namespaces('team-a'), { methods: ['GET'] });
    expect(() => Testing.synth(chart)).toThrow(/allowFrom\(namespaces team-a\) to the namespace is enforced at the namespace waypoint "shop\/waypoint", which does not serve Service "shop\/metrics" \(no waypoint\): those would stay denied\. Add rules for them with PolicyTarget.service\(\)\./);
  });

  test('a Service label ingress-use-waypoint=false overrides the namespace', () => {
    const chart = testChart({ namespace: 'shop' });
    const ns = new AmbientNamespace(chart, 'ns', { name: 'shop', ingressUseWaypoint: true });
    ns.addWaypoint('waypoint');
    const api = svc(chart, 'api');
    api.metadata.addLabel('istio.io/ingress-use-waypoint', 'false');
    const policy = new ZeroTrustPolicy(chart, 'policy');
    policy.allowFrom(ingress, { to: PolicyTarget.service(api) });
    const out = policies(synthValid(chart));
    expect(out['api-ztunnel'].selector).toEqual({ matchLabels: { app: 'api' } });
    expect(out['api-waypoint']).toBeUndefined();
  });

  test('refuses ports for an undeclared Service enforced at ztunnel', () => {
    const { policy } = shop();
    expect(refusal(policy, () => policy.allowFrom(frontend, { to: PolicyTarget.serviceName('ext', { selector: { app: 'ext' } }), ports: [80] }))).toContain('ztunnel enforces ports on the pods, and Service "shop/ext" is not declared in this app, so its port 80 cannot be translated to a pod port.');
  });

  test('mesh-wide DENY at ztunnel exempts every waypoint of the app, declared before or after', () => {
    const chart = testChart();
    const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
    ns.addWaypoint('waypoint');
    new ZeroTrustPolicy(chart, 'shop', { namespace: 'shop' });
    const mesh = new ZeroTrustPolicy(chart, 'mesh', { meshWide: true });
    mesh.denyFrom(PolicySource.anyone(), { conditions: [Condition.notMatches('source.namespace', 'prod')] });
    expect(policies(synthValid(chart))['mesh-ztunnel-deny'].rules).toEqual([{
      from: [{ source: { notPrincipals: ['cluster.local/ns/shop/sa/waypoint'] } }],
      when: [{ key: 'source.namespace', notValues: ['prod'] }],
    }]);
    // A waypoint declared after the rules is exempted too: the rules are placed at synth.
    Waypoint.fromName(chart, 'late', 'late', { namespace: 'other' });
    expect(policies(synthValid(chart))['mesh-ztunnel-deny'].rules[0].from).toEqual([
      { source: { notPrincipals: ['cluster.local/ns/other/sa/late', 'cluster.local/ns/shop/sa/waypoint'] } },
    ]);
  });

  test.each([
    [() => Condition.matches('destination.port', 'http'), 'Condition "destination.port": "http" is not a port number (1-65535).'],
    [() => Condition.matches('source.ip', 'abc'), 'Condition "source.ip": "abc" is not an IP address or CIDR block.'],
    [() => Condition.matches('destination.labels[app]', 'x'), 'Condition key "destination.labels[app]" is not supported by Istio; use a workload selector'],
    [() => Condition.header('', 'x'), 'Condition.header(): "" is not an HTTP header name.'],
  ])('refuses values istiod would reject %#', (make, message) => {
    expect(make).toThrow(message);
  });

  test('refuses unsupported path templates and empty JWT entries', () => {
    const { policy } = shop({ waypoint: true });
    expect(() => policy.allowFrom(frontend, { paths: ['/a/{id}'] })).toThrow('path "/a/{id}" uses a template Istio does not support; only {*} (one segment) and {**} (any segments) are allowed.');
    policy.allowFrom(frontend, { paths: ['/a/{*}/b/{**}'] });
    expect(() => policy.requireJwt({ issuer: 'i', jwksUri: JWKS_URI, audiences: [''] })).toThrow('audiences has an empty entry; remove it.');
    expect(() => policy.requireJwt({ issuer: 'i', jwksUri: JWKS_URI, outputClaimToHeaders: [{ header: 'x.user', claim: 'sub' }] }))
      .toThrow('outputClaimToHeaders {header: "x.user", claim: "sub"} needs a header of letters, digits');
    expect(() => policy.requireJwt({ issuer: 'i', jwksUri: JWKS_URI, timeout: Duration.millis(500) })).toThrow('timeout must be a whole number of seconds, at least 1 (got 500ms).');
  });
});

describe('ZeroTrustPolicy JWT', () => {
  test('requireJwt: RequestAuthentication and DENY without token at the same waypoint attachment', () => {
    const { chart, policy, api } = shop({ waypoint: true });
    policy.to(PolicyTarget.service(api))
      .requireJwt({
        issuer: 'https://issuer.example.com',
        jwksUri: JWKS_URI,
        audiences: ['shop', 'api'],
        fromHeaders: [{ name: 'x-jwt', prefix: 'Bearer ' }],
        fromParams: ['token'],
        fromCookies: ['session'],
        forwardOriginalToken: true,
        outputPayloadToHeader: 'x-jwt-payload',
        outputClaimToHeaders: [{ header: 'x-user', claim: 'sub' }],
        timeout: Duration.seconds(3),
      })
      .allowFrom(PolicySource.jwt({ issuer: 'https://issuer.example.com', subject: 'alice' }), { methods: ['GET'] });
    const objects = synthValid(chart);
    expect(findObject(objects, 'RequestAuthentication').spec).toEqual({
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      jwtRules: [{
        issuer: 'https://issuer.example.com',
        jwksUri: JWKS_URI,
        audiences: ['api', 'shop'],
        fromHeaders: [{ name: 'x-jwt', prefix: 'Bearer ' }],
        fromParams: ['token'],
        fromCookies: ['session'],
        forwardOriginalToken: true,
        outputPayloadToHeader: 'x-jwt-payload',
        outputClaimToHeaders: [{ header: 'x-user', claim: 'sub' }],
        timeout: '3s',
      }],
    });
    const out = policies(objects);
    expect(out['api-require-jwt']).toEqual({
      action: 'DENY',
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }] }],
    });
    expect(out['api-waypoint'].rules[0].from[0].source).toEqual({ requestPrincipals: ['https://issuer.example.com/alice'] });
  });

  test('two issuers share one RequestAuthentication; inline jwks', () => {
    const { chart, policy, api } = shop({ waypoint: true });
    const to = PolicyTarget.service(api);
    policy.requireJwt({ issuer: 'b', jwks: '{"keys":[{"kty":"RSA","e":"AQAB","n":"xyz"}]}', to });
    policy.requireJwt({ issuer: 'a', jwksUri: JWKS_URI, to });
    expect(findObject(synthValid(chart), 'RequestAuthentication').spec.jwtRules.map((r: any) => r.issuer)).toEqual(['a', 'b']);
    expect(refusal(policy, () => policy.requireJwt({ issuer: 'a', jwksUri: JWKS_URI, to }))).toContain('issuer "a" is already required for Service "shop/api"');
  });

  test('a namespace-wide requireJwt covers JWT rules of the namespace services', () => {
    const { chart, policy, api } = shop({ waypoint: true });
    policy.requireJwt({ issuer: 'iss', jwksUri: JWKS_URI });
    policy.allowFrom(PolicySource.anyAuthenticatedUser(), { to: PolicyTarget.service(api) });
    const objects = synthValid(chart);
    expect(findObject(objects, 'RequestAuthentication', 'namespace-jwt').spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }]);
    expect(policies(objects)['api-waypoint'].rules[0].from[0].source).toEqual({ requestPrincipals: ['*'] });
  });

  test('fails synth when JWT principals have no RequestAuthentication at that waypoint', () => {
    const { chart, policy, api } = shop({ waypoint: true });
    policy.allowFrom(PolicySource.jwt({ issuer: 'iss' }), { to: PolicyTarget.service(api) });
    expect(() => Testing.synth(chart)).toThrow(/allowFrom\(JWT principal iss\/\*\) to Service "api" matches JWT principals, but no RequestAuthentication validates tokens at that waypoint, so requests never carry a principal and the rule never matches\. Call requireJwt/);
  });

  test.each([
    [{ issuer: '', jwksUri: JWKS_URI }, 'requireJwt("") needs an issuer.'],
    [{ issuer: 'i' }, 'requireJwt(i) needs exactly one of `jwksUri` (where the issuer publishes its keys) or `jwks` (the keys inline).'],
    [{ issuer: 'i', jwksUri: JWKS_URI, jwks: '{"keys":[{}]}' }, 'needs exactly one of `jwksUri`'],
    [{ issuer: 'i', jwksUri: 'http://keys.example.com/jwks.json' }, 'requireJwt(i): jwksUri "http://keys.example.com/jwks.json" uses http, so the signing keys could be replaced in transit. Use https, or set allowInsecureJwksUri: true to accept the risk.'],
    [{ issuer: 'i', jwksUri: 'not a url' }, 'jwksUri "not a url" is not a URL.'],
    [{ issuer: 'i', jwksUri: 'ftp://x/jwks' }, 'must be an https URL'],
    [{ issuer: 'i', jwks: 'nope' }, 'jwks is not valid JSON'],
    [{ issuer: 'i', jwks: '{"keys":[]}' }, 'jwks must be a JSON Web Key Set with a non-empty "keys" array.'],
    [{ issuer: 'i', jwksUri: JWKS_URI, fromHeaders: [{ name: '' }] }, 'every fromHeaders entry needs a header name.'],
  ])('refuses %j', (options, message) => {
    const { policy } = shop({ waypoint: true });
    expect(() => policy.requireJwt(options)).toThrow(message);
  });

  test('allowInsecureJwksUri accepts http', () => {
    const { chart, policy } = shop({ waypoint: true });
    policy.requireJwt({ issuer: 'i', jwksUri: 'http://keys.internal/jwks.json', allowInsecureJwksUri: true });
    expect(findObject(synthValid(chart), 'RequestAuthentication').spec.jwtRules[0].jwksUri).toBe('http://keys.internal/jwks.json');
  });

  test('refuses requireJwt without a waypoint, and mesh-wide', () => {
    const { policy } = shop();
    expect(refusal(policy, () => policy.requireJwt({ issuer: 'i', jwksUri: JWKS_URI }))).toContain('requireJwt(i) for namespace "shop": JWT validation is L7 and namespace "shop" has no waypoint; ztunnel cannot read requests.');
    const mesh = new ZeroTrustPolicy(testChart(), 'mesh', { meshWide: true });
    expect(() => mesh.requireJwt({ issuer: 'i', jwksUri: JWKS_URI })).toThrow('requireJwt() is per namespace');
  });
});

describe('ZeroTrustPolicy mesh-wide', () => {
  test('root namespace: STRICT, allow-nothing at ztunnel and at every waypoint (GatewayClass)', () => {
    const chart = testChart();
    const mesh = new ZeroTrustPolicy(chart, 'mesh', { meshWide: true });
    expect(mesh.namespace).toBe('istio-system');
    const objects = synthValid(chart);
    expect(findObject(objects, 'PeerAuthentication').metadata).toEqual({ name: 'default', namespace: 'istio-system' });
    expect(policies(objects)).toEqual({
      'allow-nothing': { action: 'ALLOW' },
      'allow-nothing-istio-waypoint': { action: 'ALLOW', targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }] },
    });
  });

  test('custom root namespace; L4 rules at ztunnel and waypoints, L7 rules at waypoints', () => {
    const chart = testChart();
    const mesh = new ZeroTrustPolicy(chart, 'mesh', { meshWide: true, rootNamespace: 'mesh-root' });
    mesh.allowFrom(PolicySource.namespaces('monitoring'), { ports: [15020] });
    mesh.allowFrom(PolicySource.namespaces('ops'), { methods: ['GET'], paths: ['/healthz'] });
    const out = policies(synthValid(chart));
    expect(out['mesh-ztunnel'].rules).toEqual([{ from: [{ source: { namespaces: ['monitoring'] } }], to: [{ operation: { ports: ['15020'] } }] }]);
    expect(out['mesh-waypoint'].targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }]);
    expect(out['mesh-waypoint'].rules).toHaveLength(2);
  });

  test('the root namespace follows the AmbientMesh namespace', () => {
    const chart = testChart();
    new AmbientMesh(chart, 'mesh', { namespace: 'mesh-system' });
    expect(new ZeroTrustPolicy(chart, 'zt', { meshWide: true }).namespace).toBe('mesh-system');
  });

  test('refusals', () => {
    const chart = testChart();
    expect(() => new ZeroTrustPolicy(chart, 'a', { meshWide: true, namespace: 'x' })).toThrow('a mesh-wide policy lives in the root namespace: set `rootNamespace`, not `namespace`.');
    const mesh = new ZeroTrustPolicy(chart, 'mesh', { meshWide: true });
    expect(() => new ZeroTrustPolicy(chart, 'mesh2', { meshWide: true })).toThrow('a mesh-wide ZeroTrustPolicy is already declared at test/mesh');
    expect(() => mesh.allowFrom(frontend, { to: PolicyTarget.serviceName('api') })).toThrow('a mesh-wide policy applies to the whole mesh; put rules for Service "api" in the ZeroTrustPolicy of its namespace.');
    expect(() => mesh.allowFrom(PolicySource.anyAuthenticatedUser())).toThrow('JWT principals need a RequestAuthentication at the same waypoint');
  });

  test('fails synth when a namespace with a waypoint has no namespace policy to admit it', () => {
    const chart = testChart();
    const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
    ns.addWaypoint('waypoint');
    new ZeroTrustPolicy(chart, 'mesh', { meshWide: true });
    expect(() => Testing.synth(chart)).toThrow(/namespace "shop" uses waypoint "shop\/waypoint", and under mesh-wide default deny ztunnel rejects the waypoint's traffic to its pods\. Declare a ZeroTrustPolicy for "shop"/);
    new ZeroTrustPolicy(chart, 'shop', { namespace: 'shop' });
    synthValid(chart);
  });
});

describe('PolicySource', () => {
  test('identities', () => {
    const chart = testChart({ namespace: 'shop' });
    const sa = new kplus.ServiceAccount(chart, 'sa', { metadata: { name: 'api' } });
    const withSa = new kplus.Deployment(chart, 'a', { serviceAccount: sa, containers: [{ image: 'x' }] });
    const withoutSa = new kplus.Deployment(chart, 'b', { metadata: { name: 'b' }, containers: [{ image: 'x' }] });
    const waypoint = new Waypoint(chart, 'wp', { trustDomain: 'td' });
    const p = (s: PolicySource) => s._principals.map(x => `${x.trustDomain?.() ?? '-'}/${x.namespace}/${x.serviceAccount}`);
    expect(p(PolicySource.serviceAccount(sa))).toEqual(['-/shop/api']);
    expect(p(PolicySource.workload(withSa))).toEqual(['-/shop/api']);
    expect(p(PolicySource.workload(withoutSa))).toEqual(['-/shop/default']);
    expect(PolicySource.workload(withoutSa).description).toBe('workload shop/b (service account default)');
    expect(p(PolicySource.waypoint(waypoint))).toEqual(['td/shop/waypoint']);
    expect(p(PolicySource.identity(MeshIdentity.fromServiceAccountName('x', 'y', 'other')))).toEqual(['other/x/y']);
    expect(PolicySource.namespaces('b', 'a', 'b')._namespaces).toEqual(['a', 'b']);
    expect(PolicySource.namespaces('a').isIdentityBased).toBe(true);
    expect(PolicySource.ipBlocks('10.0.0.0/8', '192.168.1.10', 'fd00::/8')._ipBlocks).toEqual(['10.0.0.0/8', '192.168.1.10', 'fd00::/8']);
    expect(PolicySource.ipBlocks('10.0.0.0/8').isIdentityBased).toBe(false);
    expect(PolicySource.anyAuthenticatedUser()._requestPrincipals).toEqual(['*']);
  });

  test.each([
    [() => PolicySource.ipBlocks('10.0.0.0/33'), '"10.0.0.0/33" is not an IP address or CIDR block'],
    [() => PolicySource.ipBlocks('300.1.1.1'), '"300.1.1.1" is not an IP address or CIDR block'],
    [() => PolicySource.ipBlocks('fd00::/200'), '"fd00::/200" is not an IP address'],
    [() => PolicySource.ipBlocks(), 'needs at least one CIDR block'],
    [() => PolicySource.namespaces(), 'needs at least one namespace name'],
    [() => PolicySource.namespaces('Bad'), 'namespace "Bad" is not a valid namespace name'],
    [() => PolicySource.serviceAccountName('shop', 'Bad_SA'), 'service account "Bad_SA" is not a valid object name'],
    [() => PolicySource.jwt({ issuer: '' }), 'PolicySource.jwt() needs a non-empty issuer.'],
    [() => PolicySource.ingressGateway('gw', { namespace: 'Bad' }), 'namespace "Bad" is not a valid namespace name'],
  ])('refuses invalid input %#', (make, message) => {
    expect(make).toThrow(message);
  });
});

describe('Condition', () => {
  test.each([
    [() => Condition.matches('bad key', 'x'), 'Condition key "bad key" is invalid'],
    [() => Condition.matches('source.ip'), 'Condition "source.ip" needs at least one value'],
    [() => Condition.notMatches('source.ip', ''), 'has an empty value; use "*"'],
  ])('refuses invalid conditions %#', (make, message) => {
    expect(make).toThrow(message);
  });

  test('header condition', () => {
    const c = Condition.header('x-tenant', 'blue');
    expect([c.key, c.values, c.notValues]).toEqual(['request.headers[x-tenant]', ['blue'], []]);
  });
});

describe('PolicyTarget', () => {
  test('refuses invalid names and empty pod selectors', () => {
    expect(() => PolicyTarget.serviceName('Bad')).toThrow('Service name "Bad" is not a valid object name');
    expect(() => PolicyTarget.pods('x', {})).toThrow('PolicyTarget.pods() needs at least one label');
  });

  test('workload traffic type waypoint on pods counts as a waypoint', () => {
    const chart = testChart({ namespace: 'shop' });
    new AmbientNamespace(chart, 'ns', { name: 'shop' });
    const wp = new Waypoint(chart, 'wp', { name: 'pods-wp', trafficType: WaypointTrafficType.WORKLOAD });
    const pod = new kplus.Pod(chart, 'pod', { metadata: { name: 'worker' }, containers: [{ image: 'busybox' }] });
    wp.enrollWorkload(pod);
    const policy = new ZeroTrustPolicy(chart, 'policy');
    expect(refusal(policy, () => policy.allowFrom(frontend, { to: PolicyTarget.workload(pod) }))).toContain('is behind waypoint "shop/pods-wp"');
  });
});

describe('workload waypoints under default deny', () => {
  // Traffic addressed to pods enrolled in a workload waypoint arrives at their ztunnel from the
  // waypoint (test/conformance/access: pod-addressed traffic passes the pod's workload waypoint).
  const build = (policyFirst: boolean) => {
    const chart = testChart({ namespace: 'shop' });
    const mesh = new AmbientNamespace(chart, 'mesh', { name: 'shop' });
    mesh.addWaypoint('waypoint');
    const db = new kplus.StatefulSet(chart, 'db', {
      metadata: { name: 'db' },
      service: new kplus.Service(chart, 'db-headless', { metadata: { name: 'db' }, clusterIP: 'None', ports: [{ name: 'tcp-postgres', port: 5432 }] }),
      containers: [{ image: 'postgres', portNumber: 5432 }],
    });
    const dbWaypoint = new Waypoint(chart, 'db-waypoint', { name: 'db-waypoint', trafficType: WaypointTrafficType.WORKLOAD });
    const enroll = () => dbWaypoint.enrollWorkload(db);
    if (!policyFirst) enroll();
    const policy = new ZeroTrustPolicy(chart, 'policy');
    if (policyFirst) enroll();
    return { chart, policy, db };
  };

  test('ztunnel admits the workload waypoint to its pods, whether the enrollment comes before or after the policy', () => {
    const before = synthValid(build(false).chart);
    const after = synthValid(build(true).chart);
    expect(findObject(before, 'AuthorizationPolicy', 'require-db-waypoint').spec).toEqual({
      action: 'ALLOW',
      selector: { matchLabels: findObject(before, 'StatefulSet', 'db').spec.selector.matchLabels },
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/db-waypoint'] } }] }],
    });
    expect(after).toEqual(before);
    expect(MeshAnalyzer.fromObjects(before).analyze().filter(f => f.code === 'AMB123')).toEqual([]);
  });

  test('a rule for a headless Service declared before its pods are enrolled is refused as if declared after', () => {
    const chart = testChart({ namespace: 'shop' });
    new AmbientNamespace(chart, 'mesh', { name: 'shop' });
    const db = new kplus.StatefulSet(chart, 'db', {
      metadata: { name: 'db' },
      service: new kplus.Service(chart, 'db-headless', { metadata: { name: 'db' }, clusterIP: 'None', ports: [{ name: 'tcp-postgres', port: 5432 }] }),
      containers: [{ image: 'postgres', portNumber: 5432 }],
    });
    const dbWaypoint = new Waypoint(chart, 'db-waypoint', { name: 'db-waypoint', trafficType: WaypointTrafficType.WORKLOAD });
    const policy = new ZeroTrustPolicy(chart, 'policy');
    policy.allowFrom(PolicySource.serviceAccountName('shop', 'api'), { to: PolicyTarget.service(db.service), ports: [5432] });
    dbWaypoint.enrollWorkload(db);
    expect(() => Testing.synth(chart)).toThrow('Validation failed with the following errors:\n  [test/policy] allowFrom(service account shop/api) to Service "db": headless Service "shop/db" has no VIP, so its traffic is addressed to pod IPs and passes waypoint "shop/db-waypoint", which ignores Service-attached policies for pod-addressed traffic while ztunnel sees the waypoint\'s identity. Give the Service a cluster IP, or opt its pods out of the waypoint (label istio.io/use-waypoint: none).');
  });

  test('a rule for a headless Service whose pods use a workload waypoint is refused', () => {
    const { policy, db } = build(false);
    expect(refusal(policy, () => policy.allowFrom(PolicySource.serviceAccountName('shop', 'api'), { to: PolicyTarget.service(db.service), ports: [5432] }))).toContain('[test/policy] allowFrom(service account shop/api) to Service "db": headless Service "shop/db" has no VIP, so its traffic is addressed to pod IPs and passes waypoint "shop/db-waypoint", which ignores Service-attached policies for pod-addressed traffic while ztunnel sees the waypoint\'s identity. Give the Service a cluster IP, or opt its pods out of the waypoint (label istio.io/use-waypoint: none).');
  });
});

describe('waypoints other than the namespace\'s, under default deny', () => {
  test('two workloads in one workload waypoint: ztunnel admits it to each, one policy per selector', () => {
    const chart = testChart({ namespace: 'pay' });
    const ns = new AmbientNamespace(chart, 'ns', { name: 'pay' });
    const wp = ns.addWaypoint('wp', { name: 'pods', trafficType: WaypointTrafficType.WORKLOAD, enroll: false });
    const web = new kplus.Deployment(chart, 'web', { metadata: { name: 'web' }, podMetadata: { labels: { app: 'web' } }, containers: [{ image: 'web' }] });
    const api = new kplus.Deployment(chart, 'api', { metadata: { name: 'api' }, podMetadata: { labels: { app: 'api' } }, containers: [{ image: 'api' }] });
    new ZeroTrustPolicy(chart, 'policy');
    wp.enrollWorkload(web);
    wp.enrollWorkload(api);
    const objects = synthValid(chart);
    const out = policies(objects);
    const admit = { from: [{ source: { principals: ['cluster.local/ns/pay/sa/pods'] } }] };
    expect(out['require-pods-api']).toEqual({ action: 'ALLOW', selector: { matchLabels: findObject(objects, 'Deployment', 'api').spec.selector.matchLabels }, rules: [admit] });
    expect(out['require-pods-web']).toEqual({ action: 'ALLOW', selector: { matchLabels: findObject(objects, 'Deployment', 'web').spec.selector.matchLabels }, rules: [admit] });
    expect(out['require-pods']).toBeUndefined();
    expect(MeshAnalyzer.fromObjects(objects).analyze().filter(f => f.severity !== 'info')).toEqual([]);
  });

  test('a Service enrolled in a shared waypoint: ztunnel admits that waypoint to its pods, with no rule declared', () => {
    const chart = testChart();
    const infra = new AmbientNamespace(chart, 'infra', { name: 'infra' });
    const shared = infra.addWaypoint('shared', { name: 'shared', enroll: false });
    new ZeroTrustPolicy(chart, 'infra-policy', { namespace: 'infra' });
    const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
    ns.addWaypoint('waypoint');
    const orders = new kplus.Service(chart, 'orders', { metadata: { name: 'orders', namespace: 'shop' }, ports: [{ port: 80, targetPort: 8080 }] });
    orders.selectLabel('app', 'orders');
    shared.enrollService(orders);
    new ZeroTrustPolicy(chart, 'policy', { namespace: 'shop' });
    const objects = synthValid(chart);
    const ap = objects.find(o => o.kind === 'AuthorizationPolicy' && o.metadata.namespace === 'shop' && o.metadata.name === 'orders-ztunnel');
    expect(ap.spec).toEqual({
      action: 'ALLOW',
      selector: { matchLabels: { app: 'orders' } },
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/infra/sa/shared'] } }] }],
    });
    expect(MeshAnalyzer.fromObjects(objects).analyze().filter(f => f.severity !== 'info').map(f => `${f.code} ${f.name}`)).toEqual([]);
  });
});

describe('open to extension: sources and targets of your own', () => {
  test('an IPolicySource and an IPolicyTarget are bound at synth and placed like the built-in ones', () => {
    const { chart, policy, api } = shop({ waypoint: true });
    /** Everyone on a team: its namespaces. */
    class TeamSource implements IPolicySource {
      public readonly description = 'team payments';
      public bind(): PolicySourceConfig {
        return { namespaces: ['billing', 'payments'] };
      }
    }
    /** The API Service, under a policy name of the team's choice. */
    class PublicApi implements IPolicyTarget {
      public readonly description = 'the public API';
      public bind(scope: IConstruct, namespace: string): PolicyTargetConfig {
        return { ...PolicyTarget.service(api).bind(scope, namespace), baseName: 'public-api' };
      }
    }
    policy.allowFrom(new TeamSource(), { to: new PublicApi(), methods: ['GET'] });
    const out = policies(synthValid(chart));
    expect(out['public-api-waypoint']).toEqual({
      action: 'ALLOW',
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      rules: [{ from: [{ source: { namespaces: ['billing', 'payments'] } }], to: [{ operation: { methods: ['GET'] } }] }],
    });
  });

  test('a mesh-wide policy refuses a target of another kind than the whole mesh', () => {
    const chart = testChart();
    const mesh = new ZeroTrustPolicy(chart, 'mesh', { meshWide: true });
    const custom: IPolicyTarget = { description: 'a custom target', bind: () => { throw new Error('not bound'); } };
    expect(() => mesh.allowFrom(frontend, { to: custom })).toThrow('[test/mesh] allowFrom(service account shop/frontend) to the mesh: a mesh-wide policy applies to the whole mesh; put rules for a custom target in the ZeroTrustPolicy of its namespace.');
  });
});

describe('DENY for pods behind a Service waypoint', () => {
  test('an identity DENY for a workload whose Service is served by a waypoint is refused: it would not match Service traffic', () => {
    // The same fact the analyzer reports as AMB107 on such a policy (analysis/checks.ts).
    const chart = testChart({ namespace: 'pay' });
    const ns = new AmbientNamespace(chart, 'ns', { name: 'pay' });
    ns.addWaypoint('waypoint');
    const api = new kplus.Deployment(chart, 'api', { metadata: { name: 'api' }, containers: [{ image: 'api', portNumber: 8080 }] });
    api.exposeViaService({ name: 'api', ports: [{ port: 80, targetPort: 8080 }] });
    const policy = new ZeroTrustPolicy(chart, 'policy');
    policy.denyFrom(PolicySource.namespaces('guest'), { to: PolicyTarget.workload(api) });
    expect(() => Testing.synth(chart)).toThrow('Validation failed with the following errors:\n  [test/policy] denyFrom(namespaces guest) to workload "api": Service "pay/api" selects these pods and is served by waypoint "pay/waypoint", so its traffic reaches them from the waypoint, with the waypoint\'s identity: this DENY at ztunnel would not match it (fail open). Declare the DENY for the Service (PolicyTarget.service()), which places it at the waypoint.');
  });
});

describe('ingress routes and waypoint-only protection', () => {
  function app(ingressUseWaypoint: boolean): Chart {
    const chart = testChart({ namespace: 'shop' });
    new AmbientNamespace(chart, 'ns', { name: 'shop', ingressUseWaypoint }).addWaypoint('waypoint');
    const api = svc(chart, 'api');
    const gw = new IngressGateway(chart, 'gw', { name: 'web' });
    new HttpRoute(chart, 'route', { name: 'web', parents: [RouteParent.gateway(gw)], rules: [{ backends: [RouteBackend.service(api)] }] });
    new ZeroTrustPolicy(chart, 'policy').requireJwt({ issuer: 'https://issuer.example.com', jwksUri: JWKS_URI, to: PolicyTarget.service(api) });
    return chart;
  }

  test('an HTTPRoute on an ingress gateway to a Service whose JWT check runs at its waypoint is refused (AMB108)', () => {
    expect(() => Testing.synth(app(false))).toThrow('Validation failed with the following errors:\n  [test/policy] HTTPRoute "web" (test/route) sends ingress traffic to Service "shop/api" straight to its pods, past waypoint "shop/waypoint", so requireJwt(https://issuer.example.com) for Service "shop/api" would not apply to ingress traffic. Set ingressUseWaypoint on the Service or namespace (the gateway then sends through the waypoint).');
  });

  test('with ingress-use-waypoint the gateway sends through the waypoint: accepted, and analyzer-clean', () => {
    const objects = synthValid(app(true));
    expect(MeshAnalyzer.fromObjects(objects).analyze().filter(f => f.code === 'AMB108')).toEqual([]);
  });
});
