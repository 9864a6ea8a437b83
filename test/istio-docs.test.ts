/**
 * The Istio docs' ambient authorization policies, reproduced from a few lines of TypeScript each and
 * compared with the YAML the docs publish (istio/istio.io, content/en/docs/ambient/...).
 */
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parse } from 'yaml';
import { findObject, synthValid, testChart } from './support';
import {
  AccessLogging, AmbientNamespace, EgressHost, EgressProtocol, PolicySource, PolicyTarget, TelemetryScope, WaypointTrafficType, ZeroTrustPolicy,
} from '../src';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bookinfoExample = require('../examples/bookinfo-ambient');

/** Istio treats a missing action as ALLOW; compare policies with the default made explicit. */
function normalize(spec: any): any {
  return { action: 'ALLOW', ...spec };
}

function bookinfoObjects(): any[] {
  const app = Testing.app();
  bookinfoExample.build(app);
  return synthValid(app.charts[0]);
}

describe('Istio docs: ambient getting-started, "Enforce authorization policies"', () => {
  test('L4 policy: only the ingress gateway (and the waypoint) reach productpage (update_l4_policy)', () => {
    const docs = parse(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: productpage-ztunnel
  namespace: default
spec:
  selector:
    matchLabels:
      app: productpage
  action: ALLOW
  rules:
  - from:
    - source:
        principals:
        - cluster.local/ns/default/sa/bookinfo-gateway-istio
        - cluster.local/ns/default/sa/waypoint
`);
    expect(findObject(bookinfoObjects(), 'AuthorizationPolicy', 'productpage-ztunnel')).toEqual(docs);
  });

  test('L7 policy at the waypoint: curl may only GET productpage (deploy_l7_policy)', () => {
    const docs = parse(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: productpage-waypoint
  namespace: default
spec:
  targetRefs:
  - kind: Service
    group: ""
    name: productpage
  action: ALLOW
  rules:
  - from:
    - source:
        principals:
        - cluster.local/ns/default/sa/curl
    to:
    - operation:
        methods: ["GET"]
`);
    expect(findObject(bookinfoObjects(), 'AuthorizationPolicy', 'productpage-waypoint')).toEqual(docs);
  });

  test('without a waypoint the L4 policy alone is what the docs deploy first (deploy_l4_policy)', () => {
    const chart = testChart({ namespace: 'default' });
    new AmbientNamespace(chart, 'ns', { name: 'default' });
    const productpage = new kplus.Service(chart, 'productpage', { metadata: { name: 'productpage' }, ports: [{ port: 9080 }] });
    productpage.selectLabel('app', 'productpage');
    new ZeroTrustPolicy(chart, 'policy', { defaultDeny: false })
      .allowFrom(PolicySource.ingressGateway('bookinfo-gateway', { namespace: 'default' }), { to: PolicyTarget.service(productpage) });
    const docs = parse(`
selector:
  matchLabels:
    app: productpage
action: ALLOW
rules:
- from:
  - source:
      principals:
      - cluster.local/ns/default/sa/bookinfo-gateway-istio
`);
    expect(findObject(synthValid(chart), 'AuthorizationPolicy', 'productpage-ztunnel').spec).toEqual(docs);
  });
});

describe('Istio docs: namespace allow-nothing and require-waypoint', () => {
  test('allow-nothing is `spec: {}` (ALLOW with no rules) in the namespace', () => {
    const allowNothing = findObject(bookinfoObjects(), 'AuthorizationPolicy', 'allow-nothing');
    expect(allowNothing.metadata).toEqual({ name: 'allow-nothing', namespace: 'default' });
    expect(allowNothing.spec).toEqual(normalize(parse('{}')));
  });

  test('require-waypoint admits only the namespace waypoint at ztunnel', () => {
    const requireWaypoint = findObject(bookinfoObjects(), 'AuthorizationPolicy', 'require-waypoint');
    expect(requireWaypoint.spec).toEqual(parse(`
action: ALLOW
rules:
- from:
  - source:
      principals:
      - cluster.local/ns/default/sa/waypoint
`));
  });
});

describe('Istio docs: Layer 4 policy (allow-curl-to-httpbin)', () => {
  test('only curl may connect to httpbin, enforced by ztunnel', () => {
    const chart = new Chart(Testing.app(), 'demo', { namespace: 'ambient-demo' });
    new AmbientNamespace(chart, 'ns', { name: 'ambient-demo' });
    const policy = new ZeroTrustPolicy(chart, 'policy');
    policy.allowFrom(PolicySource.serviceAccountName('ambient-demo', 'curl'), { to: PolicyTarget.pods('httpbin', { app: 'httpbin' }) });
    const docs = parse(`
selector:
  matchLabels:
    app: httpbin
action: ALLOW
rules:
- from:
  - source:
      principals:
      - cluster.local/ns/ambient-demo/sa/curl
`);
    expect(findObject(synthValid(chart), 'AuthorizationPolicy', 'httpbin-workload-ztunnel').spec).toEqual(docs);
  });

  test('the L7 variant (GET only) is refused without a waypoint instead of becoming a deny', () => {
    const chart = new Chart(Testing.app(), 'demo', { namespace: 'ambient-demo' });
    new AmbientNamespace(chart, 'ns', { name: 'ambient-demo' });
    const policy = new ZeroTrustPolicy(chart, 'policy');
    policy.allowFrom(PolicySource.serviceAccountName('ambient-demo', 'curl'), {
      to: PolicyTarget.pods('httpbin', { app: 'httpbin' }),
      methods: ['GET'],
    });
    expect(() => Testing.synth(chart)).toThrow(/uses L7 attributes \(methods\), but workload "ambient-demo\/httpbin" has no waypoint: ztunnel would drop the rule/);
  });
});

describe('Istio docs: Telemetry with its documented names', () => {
  test('mesh-default access logging (tasks/observability/logs/access-log, "Using Telemetry API")', () => {
    const docs = parse(`
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: mesh-default
  namespace: istio-system
spec:
  accessLogging:
    - providers:
      - name: envoy
`);
    const chart = testChart();
    new AccessLogging(chart, 'logs', { scopes: [TelemetryScope.mesh().named('mesh-default')] });
    expect(findObject(synthValid(chart), 'Telemetry')).toEqual(docs);
  });
});

describe('Istio docs: egress through a waypoint (ambient/usage/egress-gateway) with its documented names', () => {
  function istioEgress() {
    const chart = testChart({ namespace: 'istio-egress' });
    // kubectl label namespace istio-egress istio.io/dataplane-mode=ambient; istioctl waypoint apply --for service --enroll-namespace
    const ns = new AmbientNamespace(chart, 'ns', { name: 'istio-egress' });
    const waypoint = ns.addWaypoint('waypoint', { trafficType: WaypointTrafficType.SERVICE });
    return { chart, waypoint };
  }

  test('ServiceEntry httpbin-org and AuthorizationPolicy httpbin-org (GET /get only)', () => {
    const { chart, waypoint } = istioEgress();
    new EgressHost(chart, 'httpbin', {
      host: 'httpbin.org',
      waypoint,
      protocol: EgressProtocol.HTTP,
      serviceEntryName: 'httpbin-org',
      policyName: 'httpbin-org',
      allow: [{ source: PolicySource.anyone(), methods: ['GET'], paths: ['/get'] }],
    });
    const objects = synthValid(chart);
    const docsServiceEntry = parse(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: httpbin-org
  namespace: istio-egress
spec:
  hosts:
  - httpbin.org
  ports:
  - number: 80
    name: http
    protocol: HTTP
  resolution: DNS
`);
    const se = findObject(objects, 'ServiceEntry');
    // The library also writes the default location and labels the ServiceEntry itself (the docs rely on the namespace label).
    expect(se).toEqual({
      ...docsServiceEntry,
      metadata: { ...docsServiceEntry.metadata, labels: { 'istio.io/use-waypoint': 'waypoint' } },
      spec: { ...docsServiceEntry.spec, location: 'MESH_EXTERNAL' },
    });
    expect(findObject(objects, 'AuthorizationPolicy', 'httpbin-org')).toEqual(parse(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: httpbin-org
  namespace: istio-egress
spec:
  targetRefs:
  - kind: ServiceEntry
    group: networking.istio.io
    name: httpbin-org
  action: ALLOW
  rules:
  - to:
    - operation:
        methods: ["GET"]
        paths: ["/get"]
`));
  });

  test('TLS origination: DestinationRule httpbin-org-tls', () => {
    const { chart, waypoint } = istioEgress();
    new EgressHost(chart, 'httpbin', {
      host: 'httpbin.org',
      waypoint,
      protocol: EgressProtocol.HTTP_WITH_TLS_ORIGINATION,
      serviceEntryName: 'httpbin-org',
      destinationRuleName: 'httpbin-org-tls',
      allow: [{ source: PolicySource.anyone(), methods: ['GET'] }],
    });
    const objects = synthValid(chart);
    expect(findObject(objects, 'ServiceEntry').spec.ports).toEqual([{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 443 }]);
    // The library adds the SNI explicitly, so the origination does not depend on the Host header.
    expect(findObject(objects, 'DestinationRule')).toEqual({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'httpbin-org-tls', namespace: 'istio-egress' },
      spec: { host: 'httpbin.org', trafficPolicy: { tls: { mode: 'SIMPLE', sni: 'httpbin.org' } } },
    });
  });
});
