import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MeshAnalyzer } from '../src';
import { runCli } from '../src/cli';

function capture(stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), stdin: () => stdin } };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-input-'));
function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n';

describe('bad input exits 2 with the file (and line), never a stack trace, never 1', () => {
  const cases: [string, () => string, string][] = [
    ['missing file', () => path.join(dir, 'nope.yaml'), `${path.join(dir, 'nope.yaml')}: no such file or folder`],
    ['malformed YAML (line of the error, in the second document)', () => write('bad.yaml', `${SERVICE}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n`), `${path.join(dir, 'bad.yaml')}:12: invalid YAML: unexpected end of the stream within a flow collection`],
    ['binary file', () => write('image.yaml', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d])), `${path.join(dir, 'image.yaml')}: is a binary file, not YAML or JSON`],
    ['unrendered Helm template', () => write('chart.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n'),
      `${path.join(dir, 'chart.yaml')}:4: unrendered Helm template ({{ ... }}): render it first (helm template ... > out.yaml) and analyze the output`],
    ['Helm control structure', () => write('chart2.yaml', '{{- if .Values.enabled }}\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n{{- end }}\n'), `${path.join(dir, 'chart2.yaml')}:1: unrendered Helm template`],
    ['object without metadata', () => write('nometa.yaml', 'apiVersion: v1\nkind: Service\nspec: {}\n'), `${path.join(dir, 'nometa.yaml')}:1: Service: has no metadata (metadata.name is required)`],
    ['object without a name (second document: its line)', () => write('noname.yaml', `${SERVICE}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  labels: {a: b}\n`), `${path.join(dir, 'noname.yaml')}:10: Namespace: has no metadata.name`],
    ['apiVersion: 1', () => write('apiversion.yaml', 'apiVersion: 1\nkind: Service\nmetadata: {name: a}\n'), `${path.join(dir, 'apiversion.yaml')}:1: Service a: apiVersion must be a non-empty string (got number 1)`],
    ['rules: "nope"', () => write('rules.yaml', 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  rules: "nope"\n'),
      `${path.join(dir, 'rules.yaml')}:1: AuthorizationPolicy shop/p: spec.rules must be a list (got string "nope")`],
    ['ports: \'8080\'', () => write('ports.yaml', "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  ports: '8080'\n"),
      `${path.join(dir, 'ports.yaml')}:1: Service shop/web: spec.ports must be a list (got string "8080")`],
    ['a principal that is not a string', () => write('principal.yaml', 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  rules:\n  - from: [{source: {principals: [1]}}]\n'),
      `${path.join(dir, 'principal.yaml')}:1: AuthorizationPolicy shop/p: spec.rules[0].from[0].source.principals[0] must be a non-empty string (got number 1)`],
    ['a scalar document', () => write('scalar.yaml', 'just text\n'), `${path.join(dir, 'scalar.yaml')}:1: expected a Kubernetes object, got string "just text"`],
    ['kind without apiVersion', () => write('noversion.yaml', 'kind: Service\nmetadata: {name: a}\n'), `${path.join(dir, 'noversion.yaml')}:1: Service a: apiVersion must be a non-empty string (got nothing)`],
    ['JSON nested 200,000 levels deep', () => write('deep.json', '['.repeat(200000) + ']'.repeat(200000)), `${path.join(dir, 'deep.json')}: nested too deeply to be a Kubernetes manifest`],
    // js-yaml stops at its depth limit or at the stack limit, whichever comes first in this worker.
    ['YAML nested 200,000 levels deep', () => write('deep.yaml', `a: ${'['.repeat(200000)}${']'.repeat(200000)}\n`), `${path.join(dir, 'deep.yaml')}:1: invalid YAML: `],
    ['a folder without manifests', () => fs.mkdtempSync(path.join(dir, 'empty-')), 'no .yaml, .yml or .json files in this folder'],
  ];

  test.each(cases)('%s', (_name, make, message) => {
    const file = make();
    for (const args of [['analyze', file], ['explain', file], ['check-access', file, '--to', 'shop/web'], ['diff', file, file]]) {
      const c = capture();
      expect(runCli(args, c.io)).toBe(2);
      expect(c.err.join('')).toContain(message);
      expect(c.err.join('')).not.toMatch(/\n\s+at /);
      expect(c.out).toEqual([]);
    }
  });

  test('YAML alias bomb: refused (exit 2), without expanding it', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    lines.push('apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: bomb}', 'data: {x: *a11}');
    const file = write('bomb.yaml', lines.join('\n') + '\n');
    const c = capture();
    expect(runCli(['analyze', file], c.io)).toBe(2);
    expect(c.err.join('')).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: YAML aliases expand to more than \\d+ nodes \\(an alias bomb\\?\\): refusing to read it\n$`));
    // A few aliases are fine.
    const fine = write('anchors.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok, labels: &l {a: b}, annotations: *l}\n');
    expect(MeshAnalyzer.fromFiles([fine]).objectCount).toBe(1);
  });

  test('an unexpected failure is exit 2 with one line, not a stack trace', () => {
    const err: string[] = [];
    const io = { stdout: () => undefined, stderr: (t: string) => err.push(t), stdin: () => { throw new Error('boom'); } };
    expect(runCli(['analyze', '-'], io)).toBe(2);
    expect(err).toEqual(['internal error (please report it with the input that caused it): boom\n']);
  });

  test('stdin errors name stdin', () => {
    const c = capture('apiVersion: v1\nkind: Service\nmetadata: {name: [a}\n');
    expect(runCli(['analyze', '-'], c.io)).toBe(2);
    expect(c.err.join('')).toContain('stdin:3: invalid YAML:');
  });

  test('unknown flags and subcommands exit 2 with the usage', () => {
    for (const args of [['analyze', 'x', '--nope'], ['diff', 'a', 'b', '--fail-on', 'error'], ['lint', 'x'], ['explain', 'x', '--format']]) {
      const c = capture();
      expect(runCli(args, c.io)).toBe(2);
      expect(c.err.join('')).toContain('usage:\n  cdk8s-istio-ambient analyze');
    }
  });

  test('an unwritable --output is exit 2, not a crash', () => {
    // (An unexpected failure would say "internal error (please report it ...)", also with exit 2.)
    const c = capture();
    const file = write('ok.yaml', SERVICE);
    expect(runCli(['analyze', file, '--output', path.join(dir, 'missing-dir', 'out.txt')], c.io)).toBe(2);
    expect(c.err.join('')).toBe(`${path.join(dir, 'missing-dir', 'out.txt')}: cannot write the report: ENOENT\n`);
  });
});

describe('inputs that are fine', () => {
  test('kind: List and JSON are read as their items', () => {
    const list = write('list.yaml', 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: b}\n');
    expect(MeshAnalyzer.fromFiles([list]).explain()).toEqual([]);
    expect(MeshAnalyzer.fromFiles([list]).objectCount).toBe(2);
    const json = write('objects.json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [JSON.parse(JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ port: 80 }] } }))] }));
    expect(MeshAnalyzer.fromFiles([json]).explain().map(e => `${e.namespace}/${e.service}`)).toEqual(['shop/web']);
    const array = write('array.json', JSON.stringify([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' } }]));
    expect(MeshAnalyzer.fromFiles([array]).objectCount).toBe(2);
    const c = capture();
    expect(runCli(['analyze', dir.replace(/$/, ''), '--format', 'json'], c.io)).toBe(2); // the folder holds the bad files above
  });

  test('documents without apiVersion and kind (Helm values next to manifests) are not objects: skipped', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'values-'));
    fs.writeFileSync(path.join(folder, 'values-istiod.yaml'), 'profile: ambient\nmeshConfig:\n  accessLogFile: /dev/stdout\n');
    fs.writeFileSync(path.join(folder, 'app.k8s.yaml'), SERVICE);
    const c = capture();
    expect(runCli(['analyze', folder], c.io)).toBe(0);
    expect(c.out.join('')).toBe('No problems found in 1 objects.\n');
  });

  test('templates kept as data (a block string in a ConfigMap) are not unrendered Helm', () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: alert-templates, namespace: monitoring}\ndata:\n  slack.tmpl: |\n    {{ define "slack.title" }}\n    {{ .CommonLabels.alertname }}\n    {{ end }}\n';
    const analyzer = MeshAnalyzer.fromYaml(yaml, 'templates.yaml');
    expect(analyzer.objectCount).toBe(1);
  });

  test('security.istio.io/v1beta1 is analyzed like v1', () => {
    const policy = (version: string) => `apiVersion: security.istio.io/${version}\nkind: AuthorizationPolicy\nmetadata: {name: get-only, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  rules:\n  - to: [{operation: {methods: [GET]}}]\n`;
    const ns = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}\n---\n';
    const v1 = MeshAnalyzer.fromYaml(ns + policy('v1')).analyze().map(f => [f.code, f.message]);
    const beta = MeshAnalyzer.fromYaml(ns + policy('v1beta1')).analyze().map(f => [f.code, f.message]);
    expect(beta).toEqual(v1);
    expect(beta.map(f => f[0])).toContain('AMB101');
    const deny = (version: string) => MeshAnalyzer.fromYaml(`${ns}${SERVICE}---\napiVersion: security.istio.io/${version}\nkind: AuthorizationPolicy\nmetadata: {name: none, namespace: shop}\nspec: {}\n`)
      .checkAccess({ from: 'shop/a', to: 'shop/web' });
    expect(deny('v1beta1')).toEqual(deny('v1'));
    expect(deny('v1beta1').allowed).toBe(false);
  });

  test('a 50 MB input is read, and read correctly', () => {
    const big = fs.mkdtempSync(path.join(os.tmpdir(), 'big-'));
    const file = path.join(big, 'big.yaml');
    const fd = fs.openSync(file, 'w');
    const padding = 'x'.repeat(400);
    let services = 0;
    let bytes = 0;
    while (bytes < 50 * 1024 * 1024) {
      const chunk: string[] = [];
      for (let i = 0; i < 1000; i++, services++) {
        chunk.push(`apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-${services}\n  namespace: ns-${services % 50}\n  annotations: {note: ${padding}}\nspec:\n  selector: {app: svc-${services}}\n  ports: [{port: 80}]\n---\n`);
      }
      const text = chunk.join('');
      fs.writeSync(fd, text);
      bytes += Buffer.byteLength(text);
    }
    // A mistake at the very end is still found, with its line.
    fs.writeSync(fd, 'apiVersion: v1\nkind: Service\nmetadata: {name: last, namespace: ns-0}\nspec: {ports: "80"}\n');
    fs.closeSync(fd);
    const c = capture();
    expect(runCli(['analyze', file], c.io)).toBe(2);
    const lines = fs.readFileSync(file, 'utf8').split('\n').length;
    expect(c.err.join('')).toBe(`${file}:${lines - 4}: Service ns-0/last: spec.ports must be a list (got string "80")\n`);
    // Without the mistake: every object is read.
    fs.truncateSync(file, bytes);
    const analyzer = MeshAnalyzer.fromFiles([file]);
    expect(analyzer.objectCount).toBe(services);
    expect(analyzer.explain({ namespace: 'ns-7' }).length).toBe(services / 50);
    fs.rmSync(big, { recursive: true });
  });
});

test('the CLI and the analyzer load neither cdk8s, constructs, cdk8s-plus nor the generated L1 classes (start-up time)', () => {
  // A fresh process, so that what this test file imported does not count.
  const script = "require('./src/cli'); process.stdout.write(JSON.stringify(Object.keys(require.cache)));";
  const loaded: string[] = JSON.parse(execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: path.join(__dirname, '..'), encoding: 'utf8', env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, 'tsconfig.json') },
  }));
  const heavy = loaded.filter(m => /[\\/]node_modules[\\/](cdk8s|constructs|cdk8s-plus-\d+)[\\/]/.test(m) || /[\\/]src[\\/]imports[\\/]/.test(m));
  expect(heavy).toEqual([]);
  expect(loaded.some(m => m.endsWith(path.join('src', 'analysis', 'analyzer.ts')))).toBe(true);
}, 60_000);
