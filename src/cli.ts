#!/usr/bin/env node
/**
 * cdk8s-istio-ambient CLI.
 *
 *   cdk8s-istio-ambient analyze <file|folder|->... [--format table|json|sarif] [--fail-on error|warning|info|none] [--output <file>]
 *
 * Exit codes: 0 no finding at or above --fail-on; 1 findings at or above --fail-on; 2 usage or input error.
 */
import * as fs from 'fs';
import { MeshAnalyzer } from './analysis/analyzer';
import { formatJson, formatSarif, formatTable } from './analysis/format';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdin: () => string;
}

const USAGE = `usage: cdk8s-istio-ambient analyze <file|folder|->... [--format table|json|sarif] [--fail-on error|warning|info|none] [--output <file>]

Analyzes Kubernetes and Istio manifests offline for Istio ambient mistakes.
  --format   table (default), json or sarif
  --fail-on  lowest severity that makes the exit code 1 (default: error; none never fails)
  --output   write the report to a file instead of stdout
Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error.
`;

function version(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../package.json').version;
  } catch {
    return '0.0.0';
  }
}

/** Runs the CLI; returns the exit code. */
export function runCli(args: string[], io: CliIo): number {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h') {
    io.stdout(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'analyze') {
    io.stderr(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  let format = 'table';
  let failOn = 'error';
  let output: string | undefined;
  const inputs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    try {
      if (arg === '--format') format = value();
      else if (arg === '--fail-on') failOn = value();
      else if (arg === '--output') output = value();
      else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
      else inputs.push(arg);
    } catch (e) {
      io.stderr(`${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
  }
  if (!['table', 'json', 'sarif'].includes(format)) {
    io.stderr(`--format must be table, json or sarif (got "${format}")\n`);
    return 2;
  }
  if (!['error', 'warning', 'info', 'none'].includes(failOn)) {
    io.stderr(`--fail-on must be error, warning, info or none (got "${failOn}")\n`);
    return 2;
  }
  if (inputs.length === 0) {
    io.stderr(`no input: give files, folders or - for stdin\n\n${USAGE}`);
    return 2;
  }
  let analyzer: MeshAnalyzer;
  try {
    analyzer = MeshAnalyzer.fromObjects([]);
    for (const input of inputs) {
      if (input === '-') analyzer.addYaml(io.stdin(), 'stdin');
      else analyzer.addFile(input);
    }
  } catch (e) {
    io.stderr(`cannot read input: ${(e as Error).message}\n`);
    return 2;
  }
  const findings = analyzer.analyze();
  const text = format === 'json' ? formatJson(findings, analyzer.objectCount)
    : format === 'sarif' ? formatSarif(findings, version())
      : formatTable(findings, analyzer.objectCount);
  if (output) fs.writeFileSync(output, text);
  else io.stdout(text);
  const rank = (s: string) => ['error', 'warning', 'info'].indexOf(s);
  const failing = failOn !== 'none' && findings.some(f => rank(f.severity) <= rank(failOn));
  return failing ? 1 : 0;
}

class UsageError extends Error {}

if (require.main === module) {
  const code = runCli(process.argv.slice(2), {
    stdout: t => process.stdout.write(t),
    stderr: t => process.stderr.write(t),
    stdin: () => fs.readFileSync(0, 'utf8'),
  });
  process.exitCode = code;
}
