import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { testChart } from './support';
import { AmbientNamespace, FindingSeverity, MeshAnalyzer, MeshValidationPlugin } from '../src';
import { runCli } from '../src/cli';

const FIXTURES = path.join(__dirname, 'fixtures', 'analyzer');
const broken = fs.readdirSync(path.join(FIXTURES, 'broken')).sort();
const quiet = fs.readdirSync(path.join(FIXTURES, 'quiet')).sort();

function expected(file: string): string[] {
  const line = fs.readFileSync(file, 'utf8').split('\n').find(l => l.startsWith('# expect:'))!;
  const value = line.replace('# expect:', '').trim();
  return value === 'none' ? [] : value.split(',').map(s => s.trim());
}

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
    const all = MeshAnalyzer.fromFiles([path.join(FIXTURES, 'broken'), path.join(FIXTURES, 'quiet')]).analyze();
    const want = broken.flatMap(f => expected(path.join(FIXTURES, 'broken', f))).sort();
    expect(all.map(f => f.code).sort()).toEqual(want);
    for (const f of all) expect(f.source).toMatch(/broken\/amb\d+-/);
  });

  test('every check has a fixture that fires and one that stays quiet', () => {
    const fired = new Set(broken.flatMap(f => expected(path.join(FIXTURES, 'broken', f))));
    const quietCodes = new Set(quiet.map(f => f.slice(0, 6).toUpperCase()));
    for (const check of MeshAnalyzer.checks()) {
      expect({ code: check.code, fires: fired.has(check.code), quiet: quietCodes.has(check.code) }).toEqual({ code: check.code, fires: true, quiet: true });
    }
    expect(MeshAnalyzer.checks().length).toBeGreaterThanOrEqual(25);
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
    expect(() => Testing.synth(chart)).toThrow(/AMB101 AuthorizationPolicy shop\/get-only \(test\/raw\): AuthorizationPolicy shop\/get-only uses L7 attributes \(methods\) but has no targetRefs/);
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
    runCli(['analyze', brokenDir, '--format', 'json'], cliIo);
    const report = JSON.parse(out.join(''));
    expect(report.summary.errors + report.summary.warnings + report.summary.info).toBe(report.findings.length);
    expect(report.findings.length).toBe(broken.length);
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
      ruleName: 'AMB104 Cross-namespace waypoint does not admit the consumer namespace',
      violatingResources: [expect.objectContaining({ resourceName: 'Namespace f104-team', manifestPath: expect.stringMatching(/amb104/) })],
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
    expect(() => new MeshValidationPlugin({ failOn: 'fatal' })).toThrow('failOn "fatal" must be "error", "warning" or "info".');
  });
});
