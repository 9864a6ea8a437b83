import { IConstruct } from 'constructs';
import { MeshContext } from './_context';

/**
 * Results of app-wide work (placement, the mesh analysis, indexes), kept for one synthesis.
 *
 * cdk8s validates the whole app once per chart it writes: `App.synth()` runs validate() and then
 * each chart's toJson() runs it again. Recomputing app-wide results in each of those passes would make
 * synthesis quadratic, and between the passes of one `App.synth()` no user code runs, so the app
 * cannot change. A pass therefore starts fresh unless it is one of those nested passes:
 *
 * - the first pass of `App.synth()` / `App.synthYaml()`, and every `Chart.toJson()` /
 *   `Testing.synth()` of its own, recompute everything;
 * - the per-chart passes inside one `App.synth()` reuse the first pass's results;
 * - the library's own API (a rule, an enrollment, a new construct) drops them at once.
 *
 * Results are kept only from the start of a pass to the end of the current synchronous job; outside
 * synthesis every call computes afresh. The state lives in the app's MeshContext.
 */
interface Memo {
  /** Bumped by every change the library's API makes to the app. */
  epoch: number;
  /** Bumped at the start of every pass that must not reuse results. */
  pass: number;
  /** A pass began in the current synchronous job (results may be kept). */
  inPass: boolean;
  readonly values: Map<string, { pass: number; epoch: number; value: any }>;
}

const MEMO_SLOT = 'synth-memo';

function memoOf(scope: IConstruct): Memo {
  return MeshContext.of(scope).slot<Memo>(MEMO_SLOT, () => ({ epoch: 0, pass: 0, inPass: false, values: new Map() }));
}

/** Called by the root's validation at the start of each synthesis pass. */
export function beginValidationPass(root: IConstruct): void {
  const memo = memoOf(root);
  if (!memo.inPass) {
    memo.inPass = true;
    queueMicrotask(() => {
      memo.inPass = false;
      memo.values.clear();
    });
  }
  if (!continuesAppSynth()) memo.pass++;
}

export function memoizeForSynth<T>(scope: IConstruct, key: string, compute: () => T): T {
  const context = MeshContext.find(scope);
  if (!context) return compute(); // an app without the library's constructs: nothing is kept
  const memo = memoOf(context);
  if (!memo.inPass) return compute();
  const hit = memo.values.get(key);
  if (hit && hit.pass === memo.pass && hit.epoch === memo.epoch) return hit.value;
  const value = compute();
  memo.values.set(key, { pass: memo.pass, epoch: memo.epoch, value });
  return value;
}

/** Drops the results of an app: the library calls it whenever its own API changes the mesh. */
export function invalidateSynthMemo(scope: IConstruct): void {
  memoOf(scope).epoch++;
}

/**
 * Whether this pass is a per-chart pass inside `App.synth()`/`App.synthYaml()` (cdk8s's `_synthChart`
 * called from them), read from the call stack: nothing else tells the passes of one synthesis from a
 * new synthesis. When the frames are not recognized, the pass recomputes (slower, never stale).
 */
function continuesAppSynth(): boolean {
  // Structured frames (V8's CallSite API) instead of the stack text: formatting the text goes through
  // source-map support under ts-node, which costs far more than the check.
  const original = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  let stack: unknown;
  try {
    Error.prepareStackTrace = (_error, callSites) => callSites;
    Error.stackTraceLimit = 30;
    Error.captureStackTrace(holder, continuesAppSynth);
    stack = holder.stack; // formatted on first read, so read before the formatter is restored
  } finally {
    Error.prepareStackTrace = original;
    Error.stackTraceLimit = limit;
  }
  const frames = Array.isArray(stack) ? stack as NodeJS.CallSite[] : [];
  const inChartPass = frames.some(f => f.getFunctionName() === '_synthChart' || f.getMethodName() === '_synthChart');
  const inAppSynth = frames.some(f => {
    const name = f.getMethodName() ?? f.getFunctionName() ?? '';
    return (name === 'synth' || name === 'synthYaml') && /[\\/]app\.(js|ts)$/.test(f.getFileName() ?? '');
  });
  return inChartPass && inAppSynth;
}
