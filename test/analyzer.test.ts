import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parseAllDocuments } from 'yaml';
import { testChart } from './support';
import { AmbientNamespace, FindingSeverity, GatewayServiceType, IngressGateway, MeshAnalyzer, MeshValidationPlugin, PolicySource, PolicyTarget, ZeroTrustPolicy } from '../src';
import { runCli } from '../src/cli';

const FIXTURES = path.join(__dirname, 'fixtures', 'analyzer');
const broken = fs.readdirSync(path.join(FIXTURES, 'broken')).sort();
const quiet = fs.readdirSync(path.join(FIXTURES, 'quiet')).sort();

function expected(file: string): string[] {
  const line = fs.readFileSync(file, 'utf8').split('\n').find(l => l.startsWith('# expect:'))!;
  const value = line.replace('# expect:', '').trim();
  return value === 'none' ? [] : value.split(',').map(s => s.trim());
}

/** Fixtures that declare their own meshConfig: one mesh has one meshConfig, so they are analyzed alone. */
function ownMesh(file: string): boolean {
  return fs.readFileSync(file, 'utf8').split('\n').some(l => l.startsWith('# own-mesh:'));
}
const corpusBroken = broken.filter(f => !ownMesh(path.join(FIXTURES, 'broken', f)));
const corpusQuiet = quiet.filter(f => !ownMesh(path.join(FIXTURES, 'quiet', f)));

function codes(file: string): string[] {
  return MeshAnalyzer.fromFiles([file]).analyze().map(f => f.code);
}

function io(stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), stdin: () => stdin } };
}

describe('MeshAnalyzer: broken corpus', () => {
  test.each(broken)('%s reports its planted mistake exactly once', (file) => {
    expect(codes(path.join(FIXTURES, 'broken', file))).toEqual(expected(path.join(FIXTURES, 'broken', file)));
  });

  test.each(quiet)('%s stays quiet', (file) => {
    expect(codes(path.join(FIXTURES, 'quiet', file))).toEqual([]);
  });

  test('the whole corpus at once reports each planted mistake exactly once', () => {
    const files = [...corpusBroken.map(f => path.join(FIXTURES, 'broken', f)), ...corpusQuiet.map(f => path.join(FIXTURES, 'quiet', f))];
    expect(files.length).toBeGreaterThan(50);
    const all = MeshAnalyzer.fromFiles(files).analyze();
    const want = corpusBroken.flatMap(f => expected(path.join(FIXTURES, 'broken', f))).sort();
    expect(all.map(f => f.code).sort()).toEqual(want);
    for (const f of all) expect(f.source).toMatch(/broken\/amb\d+-/);
  });

  test('every check has a fixture that fires and one that stays quiet', () => {
    // Cross-cluster checks have folder fixtures (one subfolder per cluster) in multicluster/, run by test/multicluster-analysis.test.ts.
    const mc = (kind: string) => fs.readdirSync(path.join(FIXTURES, 'multicluster', kind)).sort();
    const fired = new Set([...broken.flatMap(f => expected(path.join(FIXTURES, 'broken', f))),
      ...mc('broken').flatMap(f => expected(path.join(FIXTURES, 'multicluster', 'broken', f, 'cluster1', 'mesh.yaml')))]);
    const quietCodes = new Set([...quiet, ...mc('quiet')].map(f => f.slice(0, 6).toUpperCase()));
    for (const check of MeshAnalyzer.checks()) {
      expect({ code: check.code, fires: fired.has(check.code), quiet: quietCodes.has(check.code) }).toEqual({ code: check.code, fires: true, quiet: true });
    }
    expect(MeshAnalyzer.checks().length).toBeGreaterThanOrEqual(34);
  });

  test('upstream codes: each check maps only to istioctl analyze / Kiali codes that flag the same mistake', () => {
    // Audited against istio 1.30.3 pkg/config/analysis/msg/messages.yaml and the analyzers that emit
    // each code, and Kiali models/istio_validation.go with business/checkers (master).
    expect(Object.fromEntries(MeshAnalyzer.checks().map(c => [c.code, c.upstreamCodes]))).toEqual({
      AMB001: ['IST0106'],
      AMB101: ['KIA0110', 'IST0171'],
      AMB102: ['KIA0109', 'KIA1110', 'KIA1111', 'KIA1112', 'KIA1113', 'IST0171'],
      AMB103: ['KIA1313'],
      AMB104: ['IST0171'],
      AMB105: ['IST0171'],
      AMB106: ['IST0123', 'KIA1311', 'KIA1316'],
      AMB107: [],
      AMB108: [],
      AMB109: [],
      AMB110: ['IST0167', 'KIA1115', 'KIA1116', 'KIA1117'],
      AMB111: [],
      AMB112: ['IST0173', 'KIA0203'],
      AMB113: ['KIA0212'],
      AMB114: [],
      AMB115: [],
      AMB116: [],
      AMB117: ['IST0157'],
      AMB118: ['KIA0210', 'KIA0211'],
      AMB119: [],
      AMB120: [],
      AMB121: ['IST0118'],
      AMB122: [],
      AMB123: [],
      AMB124: ['IST0171'],
      AMB125: [],
      AMB126: ['IST0123'],
      AMB127: ['IST0101', 'KIA1107'],
      AMB128: [],
      AMB129: ['IST0002'],
      AMB130: ['IST0166'],
      AMB131: ['KIA1110', 'KIA1112', 'KIA1115'],
      AMB132: ['IST0127', 'KIA0004'],
      AMB133: [],
      AMB134: [],
      AMB135: [],
      AMB136: ['KIA0201'],
      AMB140: [],
      AMB141: [],
      AMB142: [],
      AMB143: [],
      AMB144: [],
      AMB145: [],
      AMB146: [],
      AMB147: [],
      AMB148: ['IST0170'],
      AMB149: [],
      AMB150: [],
    });
  });

  test.each([
    ['amb106-sidecar-and-ambient.yaml', 'Namespace f106 is labelled for ambient and for sidecar injection (istio-injection=enabled): the sidecar wins and ztunnel skips its pods.',
      'Remove istio-injection / istio.io/rev from the namespace (or set istio-injection=disabled), or drop istio.io/dataplane-mode=ambient to stay on sidecars.'],
    ['amb112-subset-selects-no-pods.yaml', 'DestinationRule f112/reviews subset "v3" (version=v3) selects none of the pods of Service f112/reviews: traffic routed to it fails with 503 (no healthy upstream).',
      'Fix the subset labels to match a version of the Service\'s pods, or remove the subset and the routes to it.'],
    ['amb117-access-logging-without-provider.yaml', 'Telemetry f117/logs turns on access logging without a provider, and no meshConfig with defaultProviders.accessLogging is in these manifests: Istio ignores it (IST0157) and writes no access log.',
      'Name a provider (providers: [{name: envoy}] for stdout), or set meshConfig.defaultProviders.accessLogging.'],
    ['amb126-dataplane-none-and-injection.yaml', 'Namespace f126 has more than one kind of injection label (istio-injection=enabled, istio.io/dataplane-mode=none): istioctl analyze reports it (IST0123), and which one applies depends on the webhook\'s selectors, not on what the labels say together.',
      'Keep one: istio-injection=enabled or istio.io/rev for sidecars, or istio.io/dataplane-mode for ambient.'],
    ['amb127-undefined-subset.yaml', 'VirtualService f127/reviews routes to subset "v2" of host reviews, which no DestinationRule for that host defines: requests on that route fail with 503 (there is no cluster for the subset).',
      'Define subset v2 in the DestinationRule for reviews, or fix the subset name.'],
    ['amb128-undefined-provider.yaml', 'Telemetry f117/default uses provider "zipkin", which meshConfig.extensionProviders does not define (defined: envoy, otel, prometheus, stackdriver): istiod skips the unknown provider and the telemetry is not produced.',
      'Add an extension provider named zipkin to meshConfig, or use a defined one.'],
    ['amb129-lightstep-provider.yaml', 'Telemetry istio-system/tracing traces through provider "ls", a Lightstep provider: it is deprecated (IST0002).',
      'Define an opentelemetry extension provider and trace through it instead.'],
    ['amb130-selector-on-gateway-pods.yaml', 'RequestAuthentication f130/jwt selects the pods of Gateway f130/ingress with a workload selector: Gateway API gateways take policy through targetRefs, so it has no effect there (IST0166).',
      'Replace the selector with targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: ingress}].'],
    ['amb131-namespace-telemetry-without-waypoint.yaml', 'Telemetry f131/logs configures telemetry for ambient namespace f131, which no waypoint lives in or serves: ztunnel produces no spans or HTTP access logs and applies no Telemetry, so it has no effect.',
      'Enroll the namespace (or its Services) in a waypoint (istio.io/use-waypoint), or remove the Telemetry.'],
    ['amb132-selector-matches-nothing.yaml', 'AuthorizationPolicy f132/web selects app=api, which matches none of the mesh workloads declared in namespace f132: the policy applies to nothing.',
      'Fix the selector to the pod labels of the workload it protects (or put the workload in the mesh).'],
    ['amb133-audit-without-provider.yaml', 'AuthorizationPolicy f133/audit is an AUDIT policy, but no meshConfig with an audit-capable provider is in these manifests: AUDIT only marks matching requests, and a separate plugin must log them (the only supported one is Stackdriver), so nothing is audited.',
      'Configure a stackdriver extension provider in meshConfig, or log the requests with a Telemetry access-logging filter instead.'],
    ['amb134-registry-only-with-ambient.yaml', 'meshConfig.outboundTrafficPolicy.mode is REGISTRY_ONLY, but ztunnel does not enforce it: pods in ambient namespaces (f134) still reach hosts that have no ServiceEntry, directly.',
      'Lock egress down where it holds: a Kubernetes NetworkPolicy egress rule on the ambient pods that allows only in-cluster destinations and DNS, with external hosts declared as ServiceEntries behind an egress waypoint and an AuthorizationPolicy on it (see EgressHost).'],
  ])('%s: message and fix', (file, message, fix) => {
    const findings = MeshAnalyzer.fromFiles([path.join(FIXTURES, 'broken', file)]).analyze();
    expect(findings.map(f => [f.message, f.fix])).toEqual([[message, fix]]);
  });

  test.each([
    ['a RequestAuthentication without selector or targetRefs', { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'jwt', namespace: 'shop' }, spec: { jwtRules: [{ issuer: 'https://issuer.example.com' }] } },
      'RequestAuthentication shop/jwt has neither selector nor targetRefs in ambient namespace shop: ztunnel does not validate JWTs and waypoints apply a RequestAuthentication only through targetRefs, so no token is validated for this namespace.',
      'Attach it to the waypoint with targetRefs (kind Gateway for the namespace waypoint, or kind Service).'],
    ['a mirror to an undefined subset', { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'web', namespace: 'other' }, spec: { hosts: ['web'], http: [{ route: [{ destination: { host: 'web' } }], mirror: { host: 'web', subset: 'canary' } }] } },
      'VirtualService other/web mirrors to subset "canary" of host web, which no DestinationRule for that host defines: nothing is mirrored.',
      'Define subset canary in the DestinationRule for web, or fix the subset name.'],
    ['a VirtualService for a Service without waypoint', { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'web', namespace: 'shop' }, spec: { hosts: ['web'], http: [{ timeout: '5s', route: [{ destination: { host: 'web' } }] }] } },
      'VirtualService shop/web routes mesh traffic for Service shop/web, which has no waypoint: in ambient only a waypoint applies VirtualService rules, so ztunnel sends the traffic straight to the pods and ignores it.',
      'Enroll the Service or its namespace in a waypoint (istio.io/use-waypoint), or remove the VirtualService.'],
    ['a pod that asks for a sidecar in an ambient namespace', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'legacy', namespace: 'shop' }, spec: { template: { metadata: { labels: { 'app': 'legacy', 'sidecar.istio.io/inject': 'true' } } } } },
      'Deployment shop/legacy gets a sidecar (sidecar.istio.io/inject=true) while its pods are asked into ambient: the sidecar wins and ztunnel skips them.',
      'Remove the sidecar opt-in (or label the pods sidecar.istio.io/inject=false), or label the pods istio.io/dataplane-mode=none to stay on sidecars.'],
  ])('%s: message and fix', (_what, obj, message, fix) => {
    const shop = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient' } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } },
    ];
    expect(MeshAnalyzer.fromObjects([...shop, obj]).analyze().map(f => [f.message, f.fix])).toEqual([[message, fix]]);
  });

  test('a finding carries object, severity, message, fix and upstream codes', () => {
    const [finding] = MeshAnalyzer.fromFiles([path.join(FIXTURES, 'broken', 'amb101-l7-at-ztunnel.yaml')]).analyze();
    expect(finding).toMatchObject({
      code: 'AMB101',
      severity: FindingSeverity.ERROR,
      title: 'L7 authorization rules enforced by ztunnel',
      kind: 'AuthorizationPolicy',
      namespace: 'f101',
      name: 'get-only',
      upstreamCodes: ['KIA0110', 'IST0171'],
    });
    expect(finding.message).toContain('uses L7 attributes (methods) but has no targetRefs, so ztunnel enforces it: ztunnel drops the rules with HTTP attributes');
    expect(finding.fix).toContain('Attach it to the waypoint with targetRefs');
  });
});

describe('MeshAnalyzer: inputs', () => {
  test.each(fs.readdirSync(path.join(__dirname, '..', 'examples')).filter(f => f.endsWith('.ts') && f !== 'synth-all.ts'))('example %s reports nothing', (file) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const example = require(path.join(__dirname, '..', 'examples', file));
    const app = Testing.app();
    example.build(app);
    expect(MeshAnalyzer.fromApp(app).analyze()).toEqual([]);
  });

  test('construct paths are the source for objects of an app', () => {
    const chart = testChart();
    new ApiObject(chart, 'ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio-injection': 'enabled' } } });
    const [finding] = MeshAnalyzer.fromChart(chart).analyze();
    expect([finding.code, finding.source]).toEqual(['AMB106', 'test/ns']);
  });

  test('YAML text, Lists, and objects', () => {
    const yaml = 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: security.istio.io/v1\n  kind: AuthorizationPolicy\n  metadata: {name: all, namespace: x}\n  spec: {rules: [{}]}\n';
    const analyzer = MeshAnalyzer.fromYaml(yaml, 'inline.yaml');
    expect(analyzer.objectCount).toBe(1);
    expect(analyzer.analyze().map(f => [f.code, f.source])).toEqual([['AMB122', 'inline.yaml']]);
    expect(MeshAnalyzer.fromObjects([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } }, null, 'x']).objectCount).toBe(1);
    expect(() => MeshAnalyzer.fromYaml('a: [b', 'bad.yaml')).toThrow('bad.yaml:1: invalid YAML: unexpected end of the stream within a flow collection');
  });
});

describe('synth runs the analyzer', () => {
  test('an app the constructs can see is wrong fails synth with the finding, before writing files', () => {
    const app = Testing.app();
    const chart = testChart();
    void app;
    new AmbientNamespace(chart, 'ns', { name: 'shop' });
    // Hand-written YAML next to the constructs (as an Include would add it).
    new ApiObject(chart, 'raw', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'get-only', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'web' } }, rules: [{ to: [{ operation: { methods: ['GET'] } }] }] },
    });
    // Reported by the construct that declared the object, never with an empty path.
    expect(() => Testing.synth(chart)).toThrow('Validation failed with the following errors:\n  [test/raw] AMB101 AuthorizationPolicy shop/get-only: AuthorizationPolicy shop/get-only uses L7 attributes (methods) but has no targetRefs, so ztunnel enforces it: ztunnel drops the rules with HTTP attributes (rule 0), so the traffic they allow is denied. Fix: Attach it to the waypoint with targetRefs (kind Service, or the waypoint Gateway); without a waypoint, deploy one or drop the L7 attributes.');
  });

  test('a DENY from an ingress gateway, placed at ztunnel for a waypoint-served Service, passes its own analyzer', () => {
    // Ingress gateways call the pods directly unless ingress-use-waypoint is set, so the destination
    // ztunnel sees the gateway's identity and the DENY does match (AMB107 used to refuse it).
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'shop', disableResourceNameHashes: true });
    new AmbientNamespace(chart, 'ns', { name: 'shop' }).addWaypoint('waypoint');
    const web = new kplus.Deployment(chart, 'web', { containers: [{ image: 'web', portNumber: 8080 }] });
    const svc = web.exposeViaService({ name: 'web', ports: [{ port: 80, targetPort: 8080, name: 'http' }] });
    const gateway = new IngressGateway(chart, 'gw', { name: 'gw', serviceType: GatewayServiceType.CLUSTER_IP });
    new ZeroTrustPolicy(chart, 'zt', { namespace: 'shop' }).to(PolicyTarget.service(svc))
      .allowFrom(PolicySource.namespaces('shop'))
      .denyFrom(gateway.policySource);
    const deny = Testing.synth(chart).find(o => o.metadata.name === 'web-ztunnel-deny');
    expect(deny.spec).toEqual({
      action: 'DENY',
      selector: { matchLabels: { 'cdk8s.io/metadata.addr': 'c-web-c81a99f2' } },
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/gw-istio'] } }] }],
    });
    expect(MeshAnalyzer.fromApp(app).analyze()).toEqual([]);
  });

  test('a ztunnel policy over other label keys than the Service selector is judged by the pods both select', () => {
    // cdk8s-plus selects pods by cdk8s.io/metadata.addr; a hand-written policy selects app=web.
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'shop', disableResourceNameHashes: true });
    new AmbientNamespace(chart, 'ns', { name: 'shop' }).addWaypoint('waypoint');
    const web = new kplus.Deployment(chart, 'web', { containers: [{ image: 'web', portNumber: 8080 }], podMetadata: { labels: { app: 'web' } } });
    web.exposeViaService({ name: 'web', ports: [{ port: 80, targetPort: 8080, name: 'http' }] });
    new kplus.Deployment(chart, 'api', { containers: [{ image: 'api', portNumber: 8080 }], podMetadata: { labels: { app: 'api' } } });
    const deny = (app_: string) => new ApiObject(chart, `deny-${app_}`, {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: `deny-${app_}`, namespace: 'shop' },
      spec: { action: 'DENY', selector: { matchLabels: { app: app_ } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/bad'] } }] }] },
    });
    deny('web');
    deny('api');
    const findings = MeshAnalyzer.fromChart(chart).analyze().filter(f => f.code === 'AMB107');
    // app=web selects the pods of Service web (waypoint-served); app=api selects only the api pods.
    expect(findings.map(f => f.name)).toEqual(['deny-web']);
    expect(findings[0].message).toBe('AuthorizationPolicy shop/deny-web is enforced by ztunnel and matches client identities, but Service shop/web is served by waypoint shop/waypoint: ztunnel sees the waypoint\'s identity, not the client\'s, so the rule never matches.');
  });

  test('warnings do not fail synth', () => {
    const chart = testChart();
    new AmbientNamespace(chart, 'ns', { name: 'shop' });
    new ApiObject(chart, 'raw', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'all', namespace: 'other' }, spec: { rules: [{}] } });
    expect(Testing.synth(chart)).toHaveLength(2);
  });
});

describe('CLI', () => {
  const brokenDir = path.join(FIXTURES, 'broken');

  test('table output and exit code 1 for errors', () => {
    const { out, io: cliIo } = io();
    expect(runCli(['analyze', path.join(brokenDir, 'amb101-l7-at-ztunnel.yaml')], cliIo)).toBe(1);
    const text = out.join('');
    expect(text).toContain('ERROR   AMB101  AuthorizationPolicy f101/get-only');
    expect(text).toContain('fix: Attach it to the waypoint with targetRefs');
    expect(text).toContain('1 findings in 2 objects: 1 errors, 0 warnings, 0 info.');
  });

  test('clean input: exit 0', () => {
    const { out, io: cliIo } = io();
    expect(runCli(['analyze', path.join(FIXTURES, 'quiet')], cliIo)).toBe(0);
    expect(out.join('')).toMatch(/^No problems found in \d+ objects.\n$/);
  });

  test('--fail-on decides the exit code', () => {
    const warningOnly = path.join(brokenDir, 'amb120-dead-waypoint.yaml');
    expect(runCli(['analyze', warningOnly], io().io)).toBe(0);
    expect(runCli(['analyze', warningOnly, '--fail-on', 'warning'], io().io)).toBe(1);
    expect(runCli(['analyze', path.join(brokenDir, 'amb101-l7-at-ztunnel.yaml'), '--fail-on', 'none'], io().io)).toBe(0);
  });

  test('--format json', () => {
    const { out, io: cliIo } = io();
    runCli(['analyze', ...corpusBroken.map(f => path.join(brokenDir, f)), '--format', 'json'], cliIo);
    const report = JSON.parse(out.join(''));
    expect(report.summary.errors + report.summary.warnings + report.summary.info).toBe(report.findings.length);
    expect(report.findings.length).toBe(corpusBroken.length);
  });

  test('--format sarif for code scanning', () => {
    const { out, io: cliIo } = io();
    runCli(['analyze', path.join(brokenDir, 'amb120-dead-waypoint.yaml'), '--format', 'sarif'], cliIo);
    const sarif = JSON.parse(out.join(''));
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    expect(run.tool.driver.name).toBe('cdk8s-istio-ambient');
    expect(run.tool.driver.rules.map((r: any) => r.id)).toEqual(MeshAnalyzer.checks().map(c => c.code));
    expect(run.results).toEqual([expect.objectContaining({
      ruleId: 'AMB120',
      level: 'warning',
      locations: [{ physicalLocation: { artifactLocation: { uri: expect.stringMatching(/amb120-dead-waypoint.yaml$/) } } }],
    })]);
  });

  test('stdin and --output', () => {
    const { out, io: cliIo } = io(fs.readFileSync(path.join(brokenDir, 'amb114-peerauthentication-disable.yaml'), 'utf8'));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-')), 'report.json');
    expect(runCli(['analyze', '-', '--format', 'json', '--output', file], cliIo)).toBe(1);
    expect(out).toEqual([]);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).findings[0]).toMatchObject({ code: 'AMB114', source: 'stdin' });
  });

  test.each([
    [[], 'cdk8s-istio-ambient analyze <file|folder|->...'],
    [['lint'], 'unknown command "lint"'],
    [['analyze'], 'no input: give files, folders or - for stdin'],
    [['analyze', 'x', '--format', 'xml'], '--format must be table, json or sarif (got "xml")'],
    [['analyze', 'x', '--fail-on', 'fatal'], '--fail-on must be error, warning, info or none (got "fatal")'],
    [['analyze', 'x', '--bogus'], 'unknown option --bogus'],
    [['analyze', 'x', '--format'], '--format needs a value'],
    [['analyze', '/does/not/exist.yaml'], '/does/not/exist.yaml: no such file or folder'],
  ])('usage errors exit 2: %j', (args, message) => {
    const { out, err, io: cliIo } = io();
    expect(runCli(args as string[], cliIo)).toBe(2);
    expect(err.join('') + out.join('')).toContain(message);
  });

  test('--help exits 0', () => {
    const { out, io: cliIo } = io();
    expect(runCli(['--help'], cliIo)).toBe(0);
    expect(out.join('')).toContain('Exit codes: analyze 0 clean, 1 findings at or above --fail-on; check-access 0 ALLOW, 1 DENY;');
  });
});

describe('MeshValidationPlugin (cdk8s.yaml validations)', () => {
  function context(files: string[]) {
    const violations: any[] = [];
    let status: string | undefined;
    return {
      violations,
      status: () => status,
      ctx: {
        manifests: files,
        parseManifest: (f: string) => parseAllDocuments(fs.readFileSync(f, 'utf8')).map(d => d.toJS()).filter(Boolean),
        report: { addViolation: (v: any) => violations.push(v), submit: (s: string) => { status = s; } },
        logger: { log: () => undefined },
      },
    };
  }

  test('reports violations and fails on errors', async () => {
    const c = context([path.join(FIXTURES, 'broken', 'amb104-cross-namespace-not-admitted.yaml')]);
    await new MeshValidationPlugin().validate(c.ctx);
    expect(c.status()).toBe('failure');
    expect(c.violations).toEqual([expect.objectContaining({
      ruleName: 'AMB104 Cross-namespace waypoint does not admit the consumer namespace [error]',
      violatingResources: [{ resourceName: 'f104-team', locations: ['Namespace f104-team'], manifestPath: expect.stringMatching(/amb104/) }],
    })]);
  });

  test('warnings pass unless failOn says otherwise', async () => {
    const file = path.join(FIXTURES, 'broken', 'amb120-dead-waypoint.yaml');
    const lenient = context([file]);
    await new MeshValidationPlugin().validate(lenient.ctx);
    expect(lenient.status()).toBe('success');
    const strict = context([file]);
    const plugin = new MeshValidationPlugin({ failOn: 'warning' });
    expect(plugin.failSeverity).toBe(FindingSeverity.WARNING);
    await plugin.validate(strict.ctx);
    expect(strict.status()).toBe('failure');
  });
});
