/**
 * Property test: random mesh programs (test/support/random-program.ts), each run in its written order and
 * in random topological orders of its declarations.
 *
 * - Every synth that succeeds gives byte-identical YAML in every order, is admitted by crdcheck (schema +
 *   CEL of the pinned CRDs), and is clean at warning level under the library's own analyzer (security checks).
 * - Every refusal is one library error naming the user's construct path (never `[]`, never a TypeError
 *   from inside the library), and the program refuses in every order with the same message.
 * - A program the generator built valid synthesizes; one it built with a deliberate mistake is refused.
 *
 * Replay: the failure message gives the program's seed; `PROPTEST_SEED=<seed> PROPTEST_PROGRAMS=1 npx jest
 * test/property` runs that program alone. Other seeds explore other programs.
 */
import { parseAllDocuments } from 'yaml';
import { FindingSeverity, MeshAnalyzer } from '../../src';
import { crdcheckErrorsBySet } from '../support/crdcheck';
import {
  describeOrder, generateProgram, isTopological, Outcome, Program, randomOrder, restrictOrder, Rng, runProgram, withoutSteps,
} from '../support/random-program';

const BASE_SEED = Number(process.env.PROPTEST_SEED ?? 20261130);
const PROGRAMS = Number(process.env.PROPTEST_PROGRAMS ?? 40);
/** The written order, this many random orders, and one random order that lays the mesh out first. */
const RANDOM_ORDERS = 3;
/** Time shrinking may take per failure, and in all (a failing run stays bounded; a passing run never shrinks). */
const SHRINK_MS = 1_500;
const SHRINK_BUDGET_MS = 15_000;

/**
 * Analyzer checks that are not about security, left out of property (c): they report choices a random
 * program may legitimately make (a waypoint nothing uses, a traffic policy, telemetry providers, versions).
 */
const NOT_SECURITY = new Set(['AMB110', 'AMB111', 'AMB112', 'AMB113', 'AMB117', 'AMB118', 'AMB119', 'AMB120', 'AMB126', 'AMB127', 'AMB128', 'AMB129', 'AMB134']);

/** Why a thrown value is not a well-formed library refusal, or undefined when it is one. */
export function refusalProblem(error: unknown): string | undefined {
  if (!(error instanceof Error)) return `threw a non-Error: ${String(error)}`;
  if (error.name !== 'Error' || error.constructor !== Error) return `threw ${error.name} (a crash, not a refusal): ${error.message}\n${error.stack}`;
  const message = error.message;
  const named = (line: string) => /^\[[^\]\s][^\]]*\] \S/.test(line);
  const validation = 'Validation failed with the following errors:\n';
  if (message.startsWith(validation)) {
    const lines = message.slice(validation.length).split('\n').map(l => l.trim());
    const bad = lines.filter(l => !named(l));
    return bad.length ? `a validation line names no construct path:\n      ${bad.join('\n      ')}` : undefined;
  }
  return named(message) ? undefined : `the message does not start with "[<construct path>]": ${message}`;
}

function outcomeText(outcome: Outcome): string {
  return outcome.error !== undefined ? `refused: ${(outcome.error as Error)?.message ?? String(outcome.error)}` : 'synthesized';
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  if (a.error !== undefined || b.error !== undefined) {
    return a.error !== undefined && b.error !== undefined && (a.error as Error).message === (b.error as Error).message;
  }
  return a.yaml === b.yaml;
}

/** Same refusal message, or both synthesized. */
function sameKind(a: Outcome, b: Outcome): boolean {
  return a.error === undefined ? b.error === undefined : b.error !== undefined && (a.error as Error).message === (b.error as Error).message;
}

/** The first line where two YAML texts differ, with its neighbours, for a readable failure. */
function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  let i = 0;
  while (i < la.length && la[i] === lb[i]) i++;
  const around = (l: string[]) => l.slice(Math.max(0, i - 3), i + 3).join('\n        ');
  return `line ${i + 1}:\n      written order:\n        ${around(la)}\n      other order:\n        ${around(lb)}`;
}

let shrinkBudgetEnd = 0;

/**
 * Greedy shrinking: drops steps (with the steps that use them) while `stillFails` holds, so the report
 * shows the fewest declarations that reproduce the failure.
 */
function shrink(program: Program, stillFails: (p: Program) => boolean): Program {
  let current = program;
  const deadline = Math.min(Date.now() + SHRINK_MS, shrinkBudgetEnd);
  for (const step of [...program.steps].reverse()) {
    if (Date.now() > deadline) break;
    if (!current.steps.some(s => s.id === step.id)) continue;
    const candidate = withoutSteps(current, new Set([step.id]));
    if (candidate.steps.length && stillFails(candidate)) current = candidate;
  }
  return current;
}

interface ProgramRun {
  readonly program: Program;
  readonly orders: number[][];
  readonly outcomes: Outcome[];
}

const runs: ProgramRun[] = [];
const admission = new Map<string, string[]>();
const findings = new Map<string, string[]>();

function replay(program: Program): string {
  return `seed ${program.seed} (replay: PROPTEST_SEED=${program.seed} PROPTEST_PROGRAMS=1 npx jest test/property)`;
}

/** Every property of one program; an empty list when it holds. */
function problems(run: ProgramRun): string[] {
  const { program, orders, outcomes } = run;
  const out: string[] = [];
  const written = outcomes[0];
  const orderName = (i: number) => i === 0 ? 'the written order' : i <= RANDOM_ORDERS ? `random order ${i}` : 'the random foundation-first order';

  // Refusals are library errors with a construct path.
  outcomes.forEach((outcome, i) => {
    if (outcome.error === undefined) return;
    const problem = refusalProblem(outcome.error);
    if (problem) out.push(`${orderName(i)}: ${problem}\n    order:\n${describeOrder(program, orders[i])}`);
  });

  // Every order gives the written order's bytes, or its refusal.
  outcomes.forEach((outcome, i) => {
    if (i === 0 || sameOutcome(written, outcome)) return;
    const detail = written.yaml !== undefined && outcome.yaml !== undefined
      ? `different YAML, first difference at ${firstDifference(written.yaml, outcome.yaml)}`
      : `the written order ${outcomeText(written)}\n    ${orderName(i)} ${outcomeText(outcome)}`;
    // Shrink to the same failure: the same refusal message(s), or two different YAMLs.
    const minimal = shrink(program, p => {
      const a = runProgram(p, restrictOrder(p, orders[0]));
      const b = runProgram(p, restrictOrder(p, orders[i]));
      return !sameOutcome(a, b) && sameKind(a, written) && sameKind(b, outcome);
    });
    const a = runProgram(minimal, restrictOrder(minimal, orders[0]));
    const b = runProgram(minimal, restrictOrder(minimal, orders[i]));
    out.push(`${orderName(i)} differs from the written order: ${detail}\n`
      + `    smallest program found (${minimal.steps.length} of ${program.steps.length} steps):\n`
      + `    written order (${outcomeText(a).split('\n')[0]}):\n${describeOrder(minimal, restrictOrder(minimal, orders[0]))}\n`
      + `    this order (${outcomeText(b).split('\n')[0]}):\n${describeOrder(minimal, restrictOrder(minimal, orders[i]))}`);
  });

  // The generator's intent: valid programs synthesize, deliberate mistakes are refused.
  if (!program.invalid.length && written.error !== undefined) {
    const message = (written.error as Error).message;
    const minimal = shrink(program, p => (runProgram(p, restrictOrder(p, orders[0])).error as Error)?.message === message);
    out.push(`a valid program is refused in the written order: ${message}\n    smallest program found (${minimal.steps.length} of ${program.steps.length} steps):\n`
      + describeOrder(minimal, restrictOrder(minimal, orders[0])));
  }
  if (program.invalid.length && written.error === undefined) {
    out.push(`synthesized, but these steps should be refused:\n${program.invalid.map(i => `    s${i.step}: ${i.why}`).join('\n')}`);
  }

  // Whatever synthesized is admitted and analyzer-clean.
  for (const yaml of new Set(outcomes.map(o => o.yaml).filter((y): y is string => y !== undefined))) {
    for (const line of admission.get(yaml) ?? []) out.push(`crdcheck rejects: ${line}`);
    for (const line of findings.get(yaml) ?? []) out.push(`analyzer: ${line}`);
  }
  return out.map(p => `program ${replay(program)}\n  ${p}`);
}

beforeAll(() => {
  for (let i = 0; i < PROGRAMS; i++) {
    const program = generateProgram(BASE_SEED + i);
    const rng = new Rng(program.seed + 0x5eed);
    const orders = [program.steps.map(s => s.id)];
    for (let o = 0; o < RANDOM_ORDERS; o++) orders.push(randomOrder(program, rng));
    orders.push(randomOrder(program, rng, true));
    runs.push({ program, orders, outcomes: orders.map(order => runProgram(program, order)) });
  }
  const yamls = [...new Set(runs.flatMap(r => r.outcomes.map(o => o.yaml)).filter((y): y is string => y !== undefined))];
  const sets = new Map(yamls.map(y => [y, parseAllDocuments(y).map(d => d.toJS()).filter(d => d)]));
  for (const [yaml, errors] of crdcheckErrorsBySet(sets)) admission.set(yaml, errors);
  for (const yaml of yamls) {
    findings.set(yaml, MeshAnalyzer.fromYaml(yaml, 'program.yaml').analyze()
      .filter(f => f.severity !== FindingSeverity.INFO && !NOT_SECURITY.has(f.code))
      .map(f => `${f.code} ${f.kind} ${f.namespace}/${f.name}: ${f.message}`));
  }
  shrinkBudgetEnd = Date.now() + SHRINK_BUDGET_MS;
}, 120_000);

describe('random programs in random declaration orders', () => {
  test.each(Array.from({ length: PROGRAMS }, (_, i) => i))('program %i: same bytes or same refusal in every order; admitted; analyzer-clean', (i) => {
    expect(problems(runs[i])).toEqual([]);
  }, 30_000);
});

describe('the generator and the harness', () => {
  test('the same seed gives the same program and the same orders', () => {
    const a = generateProgram(BASE_SEED);
    const b = generateProgram(BASE_SEED);
    expect(b.steps.map(s => [s.label, s.after])).toEqual(a.steps.map(s => [s.label, s.after]));
    expect(randomOrder(b, new Rng(9))).toEqual(randomOrder(a, new Rng(9)));
    expect(generateProgram(BASE_SEED + 1).steps.map(s => s.label)).not.toEqual(a.steps.map(s => s.label));
  });

  test('random orders respect data dependencies and do shuffle', () => {
    for (const { program, orders } of runs) {
      for (const order of orders) {
        expect(isTopological(program, order)).toBe(true);
        expect([...order].sort((x, y) => x - y)).toEqual(program.steps.map(s => s.id));
      }
    }
    const shuffled = runs.filter(r => r.orders.slice(1).some(o => o.join() !== r.orders[0].join()));
    expect(shuffled.length).toBe(runs.length);
  });

  test('the programs cover the public API this test is about', () => {
    const labels = runs.flatMap(r => r.program.steps.map(s => s.label)).join('\n');
    for (const what of [
      'new AmbientMesh (Flux)', 'new AmbientMesh (helm CLI)', 'new AmbientNamespace', '(waypoint: shared)', 'addWaypoint(service', 'addWaypoint(workload, enroll: false)',
      'addWaypoint(all', 'new Waypoint', 'shared.enrollService(', 'shared.enrollServiceByName(', 'waypoint.enrollWorkload(', 'shared.enrollWorkload(',
      'new IngressGateway', 'new ZeroTrustPolicy', 'allowFrom(serviceAccount', 'denyFrom(', 'allowFrom(the ingress gateway)', 'ipBlocks', 'namespaces ',
      'workload ', '"methods":', '"paths":', '"ports":', 'requireJwt(', 'HttpRoute on', 'HttpRoute from the ingress', 'GrpcRoute on', 'ResiliencePolicy for',
      'EgressHost', 'new OtelTracing', 'new AccessLogging', 'new TelemetryMetrics',
    ]) expect(labels).toContain(what);
    // Most programs synthesize in their written order, so the admission and analyzer properties are exercised.
    expect(runs.filter(r => r.outcomes[0].yaml !== undefined).length).toBeGreaterThanOrEqual(PROGRAMS / 2);
    expect(runs.filter(r => r.program.invalid.length).length).toBeGreaterThan(0);
  });

  test('a refusal is well formed only as one library error with a construct path', () => {
    expect(refusalProblem(new Error('[shop/s3/zero-trust] allowFrom(...) uses L7 attributes'))).toBeUndefined();
    expect(refusalProblem(new Error('Validation failed with the following errors:\n  [shop/s3/zero-trust] one\n  [pay/s1/route] two'))).toBeUndefined();
    expect(refusalProblem(new Error('Validation failed with the following errors:\n  [] AMB107 AuthorizationPolicy shop/require-waypoint')))
      .toBe('a validation line names no construct path:\n      [] AMB107 AuthorizationPolicy shop/require-waypoint');
    expect(refusalProblem(new Error('[] something'))).toBe('the message does not start with "[<construct path>]": [] something');
    expect(refusalProblem(new Error('no path here'))).toBe('the message does not start with "[<construct path>]": no path here');
    expect(refusalProblem(new TypeError('Cannot read properties of undefined'))).toMatch(/^threw TypeError \(a crash, not a refusal\): Cannot read properties of undefined\n/);
    expect(refusalProblem('a string')).toBe('threw a non-Error: a string');
  });

  test('crdcheck runs over the synthesized programs and reports what it rejects', () => {
    expect(admission.size).toBeGreaterThan(0);
    const bad = new Map([['bad', [{ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'x', namespace: 'shop' }, spec: { action: 'MAYBE' } }]]]);
    expect(crdcheckErrorsBySet(bad).get('bad')).toEqual([expect.stringContaining('AuthorizationPolicy/shop/x: ')]);
  });
});
