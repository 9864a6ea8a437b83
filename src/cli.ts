#!/usr/bin/env node
/**
 * cdk8s-istio-ambient CLI: analyze, explain, check-access and diff manifests offline.
 * Exit codes: 0 clean / allowed / access not widened; 1 findings / denied / access widened;
 * 2 usage or input error.
 */
import * as fs from 'fs';
import { MeshAnalyzer } from './analysis/analyzer';
import { formatJson, formatSarif, formatTable } from './analysis/format';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdin: () => string;
}

const USAGE = `usage:
  cdk8s-istio-ambient analyze <file|folder|->... [--format table|json|sarif] [--fail-on error|warning|info|none] [--output <file>]
  cdk8s-istio-ambient explain <file|folder|->... [--namespace NS] [--service SVC] [--format table|markdown|json|mermaid]
  cdk8s-istio-ambient check-access <file|folder|->... --to <ns>/<service>[:port] [--from <ns>/<serviceaccount>]
      [--method GET] [--path /x] [--header name=value] [--jwt-principal iss/sub] [--via-ingress <ns>/<gateway>] [--to-pod] [--format text|json]
  cdk8s-istio-ambient diff <old-file|folder> <new-file|folder> [--format markdown|json] [--output <file>]

analyze       checks manifests offline for Istio ambient mistakes
  --format    table (default), json or sarif
  --fail-on   lowest severity that makes the exit code 1 (default: error; none never fails)
explain       who enforces what for each Service: ztunnel and waypoint policies, mTLS, JWT, routes,
              resilience, telemetry; --format mermaid draws who may reach whom
check-access  ALLOW or DENY for one request, hop by hop (ingress gateway, waypoint, ztunnel)
diff          object, access, routing and mTLS changes between two sets of manifests (for pull requests):
              every class of request the policies tell apart, from every identity, to every Service port
--output      write the report to a file instead of stdout

Inputs: YAML (several documents) or JSON files, folders of them, or - for stdin; List objects are read
as their items.

Exit codes: analyze 0 clean, 1 findings at or above --fail-on; check-access 0 ALLOW, 1 DENY;
diff 0 unchanged or narrowed, 1 access widened; all commands 2 on a usage or input error
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

const FLAGS = new Set(['--to-pod']);

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
  'analyze': ['--format', '--fail-on', '--output'],
  'explain': ['--format', '--namespace', '--service', '--output'],
  'check-access': ['--format', '--from', '--to', '--method', '--path', '--header', '--jwt-principal', '--via-ingress', '--to-pod', '--trust-domain', '--output'],
  'diff': ['--format', '--output'],
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
  const analyzer = load(p.inputs, io);
  const findings = analyzer.analyze();
  write(format === 'json' ? formatJson(findings, analyzer.objectCount)
    : format === 'sarif' ? formatSarif(findings, version())
      : formatTable(findings, analyzer.objectCount));
  const rank = (s: string) => ['error', 'warning', 'info'].indexOf(s);
  return failOn !== 'none' && findings.some(f => rank(f.severity) <= rank(failOn)) ? 1 : 0;
}

function explainCommand(p: Parsed, io: CliIo, write: (t: string) => void): number {
  const format = one(p, '--format', ['table', 'markdown', 'json', 'mermaid'], 'table')!;
  const analyzer = load(p.inputs, io);
  const options = { namespace: one(p, '--namespace', []), service: one(p, '--service', []) };
  write(format === 'json' ? JSON.stringify(analyzer.explain(options), null, 2) + '\n'
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
  if (from !== undefined && !/^[a-z0-9-]+\/[a-z0-9.-]+$/.test(from)) throw new UsageError(`--from "${from}" must be <namespace>/<serviceaccount>`);
  const headers: { [name: string]: string } = {};
  for (const h of p.options['--header'] ?? []) {
    const [name, ...value] = h.split('=');
    if (!name || value.length === 0) throw new UsageError(`--header "${h}" must be name=value`);
    headers[name] = value.join('=');
  }
  const analyzer = load(p.inputs, io);
  let decision;
  try {
    decision = analyzer.checkAccess({
      from,
      to: `${m[1]}/${m[2]}`,
      port: m[3] ? Number(m[3]) : undefined,
      method: one(p, '--method', []),
      path: one(p, '--path', []),
      headers,
      jwtPrincipal: one(p, '--jwt-principal', []),
      viaIngress: one(p, '--via-ingress', []),
      toPod: p.options['--to-pod'] !== undefined,
      trustDomain: one(p, '--trust-domain', []),
    });
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  if (format === 'json') {
    write(JSON.stringify(decision, null, 2) + '\n');
  } else {
    const lines = [`${decision.allowed ? 'ALLOW' : 'DENY'}  decided at ${decision.enforcedBy}${decision.policy ? ` by ${decision.policy}` : ''}: ${decision.reason}`];
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
  const d = MeshAnalyzer.diff(load([p.inputs[0]], io), load([p.inputs[1]], io));
  write(format === 'json' ? JSON.stringify(d, null, 2) + '\n' : d.markdown);
  return d.accessWidened ? 1 : 0;
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
