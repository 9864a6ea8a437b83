#!/usr/bin/env node
/**
 * cdk8s-istio-ambient CLI: analyze, explain, check-access and diff manifests offline.
 * Exit codes: 0 clean / allowed / access not widened; 1 findings / denied / access widened;
 * 2 usage or input error.
 */
import * as fs from 'fs';
import * as path from 'path';
import { dump as dumpYaml } from './_yaml';
import { MeshAnalyzer, Symptom } from './analysis/analyzer';
import { formatJson, formatSarif, formatTable } from './analysis/format';
import { parseIp } from './semantics/cidr';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdin: () => string;
}

const USAGE = `usage:
  cdk8s-istio-ambient analyze <file|folder|->... [--format table|json|sarif] [--fail-on error|warning|info|none] [--output <file>]
  cdk8s-istio-ambient explain <file|folder|->... [--namespace NS] [--service SVC] [--from [<cluster>/]<ns>/<sa>] [--format table|markdown|json|mermaid]
  cdk8s-istio-ambient check-access <file|folder|->... --to <ns>/<service>[:port] [--from [<cluster>/]<ns>/<serviceaccount>] [--to-cluster C]
      [--port N] [--method GET] [--path /x] [--host h] [--header name=value]... [--source-ip IP] [--destination-ip IP]
      [--jwt-issuer iss [--jwt-subject sub] [--claim name=value]... [--jwt-invalid]] [--jwt-principal iss/sub]
      [--via-ingress <ns>/<gateway>] [--to-pod] [--trust-domain td] [--format text|json]
  cdk8s-istio-ambient diff <old-file|folder> <new-file|folder> [--format markdown|json] [--output <file>]
  cdk8s-istio-ambient migrate <file|folder|->... --out <dir> [--format text|json]
  cdk8s-istio-ambient diagnose <file|folder|->... --symptom 404|503|denied|tls|not-captured|not-synced
      --to <ns>/<service>[:port] [--from <ns>/<serviceaccount>] [--method GET] [--path /x] [--host h] [--via-ingress <ns>/<gateway>] [--format text|json]

analyze       checks manifests offline for Istio ambient mistakes
  --format    table (default), json or sarif
  --fail-on   lowest severity that makes the exit code 1 (default: error; none never fails)
explain       who enforces what for each Service: ztunnel and waypoint policies, mTLS, JWT, routes,
              resilience, telemetry; --format mermaid draws who may reach whom
check-access  ALLOW or DENY for one request, hop by hop (ingress gateway, waypoint, ztunnel, or the
              sidecar of a sidecar-mode pod); without --from the client is outside the mesh (no
              identity); --to-pod dials a pod IP (--port is then the pod port); a rule that needs an IP
              not given is reported undecided
diff          object, access, routing and mTLS changes between two sets of manifests (for pull requests):
              every class of request the policies tell apart, from every identity, to every Service port
migrate       rewrites a sidecar-mode mesh for ambient (the Istio migration guide's steps), writes it to
              --out, and reports what moved, what could not, and the access diff before/after
diagnose      the objects that most likely cause a symptom for one request, most likely first,
              and the live istioctl/kubectl commands that confirm it hop by hop
--output      write the report to a file instead of stdout

Multi-cluster: a folder with one subfolder per cluster, each holding one istiod install (HelmRelease,
Application or IstioOperator) and at least one setting global.multiCluster.clusterName, is read as
one cluster per subfolder (analyze, explain, check-access); or name them: --clusters c1=<folder>,c2=<folder>.
analyze then also runs the cross-cluster checks; check-access takes --from <cluster>/<ns>/<sa> and
--to-cluster (the cluster whose pods serve the request); explain takes --from <cluster>/... to show
the Services as that cluster's clients reach them (local ones, and global ones of every cluster).

Inputs: YAML (several documents) or JSON files, folders of them, or - for stdin; List objects are read
as their items.

Exit codes: analyze 0 clean, 1 findings at or above --fail-on; check-access 0 ALLOW, 1 DENY;
diff 0 unchanged or narrowed, 1 access widened; migrate 0 all migrated and access unchanged,
1 otherwise; diagnose 0 a cause found, 1 none; all commands 2 on a usage or input error
(bad file, malformed YAML, unrendered Helm template, wrong field types).
`;

function version(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../package.json').version;
  } catch {
    return '0.0.0';
  }
}

interface Parsed {
  readonly inputs: string[];
  readonly options: { [name: string]: string[] };
}

const FLAGS = new Set(['--to-pod', '--jwt-invalid']);

function parseArgs(args: string[], known: string[]): Parsed {
  const inputs: string[] = [];
  const options: { [name: string]: string[] } = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith('--')) {
      if (!known.includes(arg)) throw new UsageError(`unknown option ${arg}`);
      if (FLAGS.has(arg)) {
        options[arg] = ['true'];
        continue;
      }
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      (options[arg] ??= []).push(v);
    } else {
      inputs.push(arg);
    }
  }
  return { inputs, options };
}

function one(p: Parsed, name: string, allowed: string[], fallback?: string): string | undefined {
  const values = p.options[name];
  if (!values) return fallback;
  const v = values[values.length - 1];
  if (allowed.length && !allowed.includes(v)) {
    throw new UsageError(`${name} must be ${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]} (got "${v}")`);
  }
  return v;
}

/** One cluster's manifests, or several clusters' (--clusters, or a folder of cluster folders). */
function loadClusters(p: Parsed, io: CliIo, command: string): MeshAnalyzer {
  const flag = one(p, '--clusters', []);
  if (flag !== undefined) {
    if (p.inputs.length > 0) throw new UsageError(`--clusters names every input: drop ${p.inputs.join(' ')}`);
    const clusters = flag.split(',').map(pair => {
      const eq = pair.indexOf('=');
      if (eq <= 0 || eq === pair.length - 1) throw new UsageError(`--clusters "${flag}" must be <name>=<folder>,<name>=<folder>...`);
      return { name: pair.slice(0, eq), analyzer: load([pair.slice(eq + 1)], io) };
    });
    try {
      return MeshAnalyzer.fromClusters(clusters);
    } catch (e) {
      throw new UsageError(`--clusters: ${(e as Error).message}`);
    }
  }
  const clusters = p.inputs.length === 1 ? detect(p.inputs[0]) : undefined;
  if (!clusters) return load(p.inputs, io);
  if (!['analyze', 'explain', 'check-access'].includes(command)) {
    throw new InputError(`${p.inputs[0]}: is a multi-cluster output (clusters ${clusters.map(c => c.name).join(', ')}): ${command} reads one cluster's manifests; give one cluster's folder, e.g. ${path.join(p.inputs[0], clusters[0].name)}`);
  }
  return MeshAnalyzer.fromClusters(clusters);
}

function detect(input: string) {
  if (input === '-') return undefined;
  try {
    return MeshAnalyzer.detectClusters(input);
  } catch (e) {
    if ((e as Error)?.name === 'ManifestError') throw new InputError((e as Error).message);
    throw e;
  }
}

function load(inputs: string[], io: CliIo): MeshAnalyzer {
  if (inputs.length === 0) throw new UsageError('no input: give files, folders or - for stdin');
  const analyzer = MeshAnalyzer.fromObjects([]);
  try {
    for (const input of inputs) {
      if (input === '-') analyzer.addYaml(io.stdin(), 'stdin');
      else analyzer.addFile(input);
    }
  } catch (e) {
    // A bad input names the file and line (see manifest-reader); anything else is a bug of ours.
    if ((e as Error)?.name === 'ManifestError') throw new InputError((e as Error).message);
    throw e;
  }
  return analyzer;
}

const KNOWN: { [command: string]: string[] } = {
  'analyze': ['--format', '--fail-on', '--output', '--clusters'],
  'explain': ['--format', '--namespace', '--service', '--output', '--clusters', '--from'],
  'check-access': ['--format', '--from', '--to', '--to-cluster', '--clusters', '--port', '--method', '--path', '--host', '--header', '--source-ip', '--destination-ip', '--jwt-principal',
    '--jwt-issuer', '--jwt-subject', '--claim', '--jwt-invalid', '--via-ingress', '--to-pod', '--trust-domain', '--output'],
  'diff': ['--format', '--output'],
  'migrate': ['--format', '--out'],
  'diagnose': ['--format', '--symptom', '--to', '--from', '--method', '--path', '--host', '--via-ingress', '--output'],
};

/** Runs the CLI; returns the exit code. */
export function runCli(args: string[], io: CliIo): number {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h') {
    io.stdout(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (!KNOWN[command]) {
    io.stderr(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  try {
    const p = parseArgs(rest, KNOWN[command]);
    const write = (text: string) => {
      const output = one(p, '--output', []);
      if (!output) return io.stdout(text);
      try {
        fs.writeFileSync(output, text);
      } catch (e) {
        throw new InputError(`${output}: cannot write the report: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    };
    switch (command) {
      case 'analyze': return analyze(p, io, write);
      case 'explain': return explainCommand(p, io, write);
      case 'check-access': return checkAccess(p, io, write);
      case 'diagnose': return diagnoseCommand(p, io, write);
      case 'migrate': return migrateCommand(p, io);
      default: return diff(p, io, write);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof InputError) {
      io.stderr(`${e.message}\n`);
      return 2;
    }
    // Never a stack trace, and never 1 (findings / DENY / widened): an unexpected failure is exit 2.
    io.stderr(`internal error (please report it with the input that caused it): ${(e as Error)?.message ?? String(e)}\n`);
    return 2;
  }
}

function analyze(p: Parsed, io: CliIo, write: (t: string) => void): number {
  const format = one(p, '--format', ['table', 'json', 'sarif'], 'table')!;
  const failOn = one(p, '--fail-on', ['error', 'warning', 'info', 'none'], 'error')!;
  const analyzer = loadClusters(p, io, 'analyze');
  const findings = analyzer.analyze();
  write(format === 'json' ? formatJson(findings, analyzer.objectCount)
    : format === 'sarif' ? formatSarif(findings, version())
      : formatTable(findings, analyzer.objectCount));
  const rank = (s: string) => ['error', 'warning', 'info'].indexOf(s);
  return failOn !== 'none' && findings.some(f => rank(f.severity) <= rank(failOn)) ? 1 : 0;
}

function explainCommand(p: Parsed, io: CliIo, write: (t: string) => void): number {
  const format = one(p, '--format', ['table', 'markdown', 'json', 'mermaid'], 'table')!;
  const analyzer = loadClusters(p, io, 'explain');
  const from = one(p, '--from', []);
  if (from !== undefined && analyzer.clusterNames.length === 0) throw new UsageError(`--from "${from}" needs a multi-cluster input (a folder of cluster folders, or --clusters)`);
  if (format === 'mermaid' && analyzer.clusterNames.length > 0) throw new UsageError('--format mermaid draws one cluster: give one cluster\'s folder');
  const options = { namespace: one(p, '--namespace', []), service: one(p, '--service', []), from };
  let items;
  try {
    items = analyzer.explain(options);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  write(format === 'json' ? JSON.stringify(items, null, 2) + '\n'
    : format === 'mermaid' ? analyzer.explainMermaid(options)
      : format === 'markdown' ? analyzer.explainMarkdown(options) : analyzer.explainText(options));
  return 0;
}

function checkAccess(p: Parsed, io: CliIo, write: (t: string) => void): number {
  const format = one(p, '--format', ['text', 'json'], 'text')!;
  const to = one(p, '--to', []);
  if (!to) throw new UsageError('check-access needs --to <namespace>/<service>[:port]');
  const m = /^([a-z0-9-]+)\/([a-z0-9.-]+)(?::(\d+))?$/.exec(to);
  if (!m) throw new UsageError(`--to "${to}" must be <namespace>/<service>[:port]`);
  const from = one(p, '--from', []);
  if (from !== undefined && !/^([a-z0-9][a-z0-9._-]*\/)?[a-z0-9-]+\/[a-z0-9.-]+$/i.test(from)) throw new UsageError(`--from "${from}" must be <namespace>/<serviceaccount> (<cluster>/<namespace>/<serviceaccount> for a multi-cluster input)`);
  const pairs = (flag: string): { [name: string]: string } => {
    const out: { [name: string]: string } = {};
    for (const h of p.options[flag] ?? []) {
      const [name, ...value] = h.split('=');
      if (!name || value.length === 0) throw new UsageError(`${flag} "${h}" must be name=value`);
      // A repeated claim is a list claim (e.g. --claim groups=a --claim groups=b).
      out[name] = out[name] !== undefined && flag === '--claim' ? `${out[name]},${value.join('=')}` : value.join('=');
    }
    return out;
  };
  const headers = pairs('--header');
  const claims = pairs('--claim');
  const portFlag = one(p, '--port', []);
  if (portFlag !== undefined && !/^\d+$/.test(portFlag)) throw new UsageError(`--port "${portFlag}" must be a port number`);
  if (portFlag !== undefined && m[3] && portFlag !== m[3]) throw new UsageError(`--port ${portFlag} contradicts --to ${to}`);
  const ip = (flag: string): string | undefined => {
    const v = one(p, flag, []);
    if (v !== undefined && !parseIp(v)) throw new UsageError(`${flag} "${v}" must be an IPv4 or IPv6 address`);
    return v;
  };
  const sourceIp = ip('--source-ip');
  const destinationIp = ip('--destination-ip');
  const issuer = one(p, '--jwt-issuer', []);
  const invalid = p.options['--jwt-invalid'] !== undefined;
  if (!issuer && (one(p, '--jwt-subject', []) !== undefined || Object.keys(claims).length > 0 || invalid)) {
    throw new UsageError('--jwt-subject, --claim and --jwt-invalid describe a token: give its --jwt-issuer');
  }
  if (issuer && one(p, '--jwt-principal', []) !== undefined) throw new UsageError('give either --jwt-principal or --jwt-issuer, not both');
  const analyzer = loadClusters(p, io, 'check-access');
  const multi = analyzer.clusterNames.length > 0;
  if (from !== undefined && multi !== (from.split('/').length === 3)) {
    throw new UsageError(multi
      ? `--from "${from}": the input holds clusters ${analyzer.clusterNames.join(', ')}: give <cluster>/<namespace>/<serviceaccount>`
      : `--from "${from}" names a cluster, but the input is one cluster's manifests: give <namespace>/<serviceaccount>`);
  }
  const toCluster = one(p, '--to-cluster', []);
  if (toCluster !== undefined && !multi) throw new UsageError('--to-cluster needs a multi-cluster input (a folder of cluster folders, or --clusters)');
  let decision;
  try {
    decision = analyzer.checkAccess({
      from,
      to: `${m[1]}/${m[2]}`,
      port: m[3] ? Number(m[3]) : portFlag !== undefined ? Number(portFlag) : undefined,
      method: one(p, '--method', []),
      path: one(p, '--path', []),
      host: one(p, '--host', []),
      headers,
      sourceIp,
      destinationIp,
      jwtPrincipal: one(p, '--jwt-principal', []),
      token: issuer ? { issuer, subject: one(p, '--jwt-subject', []), claims: Object.keys(claims).length ? claims : undefined, invalid: invalid || undefined } : undefined,
      viaIngress: one(p, '--via-ingress', []),
      toPod: p.options['--to-pod'] !== undefined,
      trustDomain: one(p, '--trust-domain', []),
      toCluster,
    });
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  if (format === 'json') {
    write(JSON.stringify(decision, null, 2) + '\n');
  } else {
    const verdict = decision.dependsOn ? `DENY (undecided: depends on the ${decision.dependsOn.join(' and ')})` : decision.allowed ? 'ALLOW' : 'DENY';
    const lines = [`${verdict}  decided at ${decision.enforcedBy}${decision.policy ? ` by ${decision.policy}` : ''}: ${decision.reason}`];
    for (const hop of decision.hops) {
      lines.push(`  ${hop.allowed ? 'pass' : 'deny'}  ${hop.where}  (sees ${hop.identity})  ${hop.policy ? `${hop.policy}: ` : ''}${hop.reason}`);
    }
    write(lines.join('\n') + '\n');
  }
  return decision.allowed ? 0 : 1;
}

function diff(p: Parsed, io: CliIo, write: (t: string) => void): number {
  const format = one(p, '--format', ['markdown', 'json'], 'markdown')!;
  if (p.inputs.length !== 2) throw new UsageError('diff needs exactly two inputs: <old> <new>');
  const d = MeshAnalyzer.diff(loadClusters({ inputs: [p.inputs[0]], options: {} }, io, 'diff'), loadClusters({ inputs: [p.inputs[1]], options: {} }, io, 'diff'));
  write(format === 'json' ? JSON.stringify(d, null, 2) + '\n' : d.markdown);
  return d.accessWidened ? 1 : 0;
}

function diagnoseCommand(p: Parsed, io: CliIo, write: (t: string) => void): number {
  const format = one(p, '--format', ['text', 'json'], 'text')!;
  const symptom = one(p, '--symptom', Object.values(Symptom));
  if (!symptom) throw new UsageError(`diagnose needs --symptom ${Object.values(Symptom).join('|')}`);
  const to = one(p, '--to', []);
  if (!to) throw new UsageError('diagnose needs --to <namespace>/<service>[:port]');
  const m = /^([a-z0-9-]+)\/([a-z0-9.-]+)(?::(\d+))?$/.exec(to);
  if (!m) throw new UsageError(`--to "${to}" must be <namespace>/<service>[:port]`);
  const from = one(p, '--from', []);
  if (from !== undefined && !/^[a-z0-9-]+\/[a-z0-9.-]+$/.test(from)) throw new UsageError(`--from "${from}" must be <namespace>/<serviceaccount>`);
  const analyzer = loadClusters(p, io, 'diagnose');
  let d;
  try {
    d = analyzer.diagnose({
      symptom: symptom as Symptom,
      to: `${m[1]}/${m[2]}`,
      port: m[3] ? Number(m[3]) : undefined,
      from,
      method: one(p, '--method', []),
      path: one(p, '--path', []),
      host: one(p, '--host', []),
      viaIngress: one(p, '--via-ingress', []),
    });
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  if (format === 'json') {
    const { text: _text, ...json } = d;
    write(JSON.stringify(json, null, 2) + '\n');
  } else {
    write(d.text);
  }
  return d.causes.length > 0 ? 0 : 1;
}

function migrateCommand(p: Parsed, io: CliIo): number {
  const format = one(p, '--format', ['text', 'json'], 'text')!;
  const out = one(p, '--out', []);
  if (!out) throw new UsageError('migrate needs --out <dir> for the ambient manifests');
  const analyzer = loadClusters(p, io, 'migrate');
  const m = analyzer.migrateToAmbient();
  const widened = m.accessChanges.some(c => m.access.accessGained.includes(c));
  const changed = m.accessChanges.length > 0;
  const report = [
    '# Sidecar to ambient migration',
    '',
    `${m.items.filter(i => i.status !== 'blocked').length} objects migrated, ${m.items.filter(i => i.status === 'blocked').length} blocked; access ${widened ? 'WIDENED' : changed ? 'narrowed' : 'unchanged'}.`,
    '',
    '## Objects',
    '',
    ...m.items.map(i => `- ${i.status.toUpperCase()} ${i.kind} ${i.namespace ? `${i.namespace}/` : ''}${i.name}: ${i.reason}`),
    '',
    '## Rollout (Istio migration guide order)',
    '',
    ...m.steps.map((s, n) => `${n + 1}. ${s}`),
    '',
    '## Access before and after',
    '',
    changed
      ? ['Access changes (per-version Services compared with the Service they split):', '', ...m.accessChanges.map(c => `- ${c.summary}`)].join('\n')
      : 'Every request class the policies tell apart gets the same decision before (sidecars) and after (ambient); per-version Services answer like the Service they split.',
    '',
    '<details><summary>Full diff</summary>',
    '',
    m.access.markdown,
    '</details>',
    '',
  ].join('\n');
  try {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'ambient.yaml'), m.objects.map(o => dumpYaml(o, { noRefs: true, lineWidth: -1 })).join('---\n'));
    fs.writeFileSync(path.join(out, 'MIGRATION.md'), report);
  } catch (e) {
    throw new InputError(`cannot write ${out}: ${(e as Error).message}`);
  }
  if (format === 'json') {
    io.stdout(JSON.stringify({ complete: m.complete, accessWidened: widened, accessChanged: changed, items: m.items, steps: m.steps, accessChanges: m.accessChanges }, null, 2) + '\n');
  } else {
    io.stdout(report);
  }
  return m.complete && !changed ? 0 : 1;
}

class UsageError extends Error {}
class InputError extends Error {}

if (require.main === module) {
  const code = runCli(process.argv.slice(2), {
    stdout: t => process.stdout.write(t),
    stderr: t => process.stderr.write(t),
    stdin: () => fs.readFileSync(0, 'utf8'),
  });
  process.exitCode = code;
}
