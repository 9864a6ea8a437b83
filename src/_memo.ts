import { IConstruct } from 'constructs';
import { MeshContext } from './_context';

/**
 * cdk8s validates the whole app once per chart it writes (App.synth runs validate() and then each
 * chart's toJson() runs it again), so app-wide checks would be quadratic. Their results are kept for
 * the rest of the current synchronous synthesis: until the next microtask, and only while the app
 * has the same signature (the library's own changes and new top-level constructs invalidate them).
 *
 * The state lives in the app's MeshContext.
 */
interface Memo {
  /** Bumped by every change the library's API makes to the app. */
  epoch: number;
  /** The signature the values were computed for (-1: none yet in this job). */
  signature: string;
  readonly values: Map<string, { signature: string; value: any }>;
  /** Whether a microtask is queued to drop the values at the end of this synchronous job. */
  expiring: boolean;
}

const MEMO_SLOT = 'synth-memo';

function memoOf(scope: IConstruct): Memo {
  const memo = MeshContext.of(scope).slot<Memo>(MEMO_SLOT, () => ({ epoch: 0, signature: '', values: new Map(), expiring: false }));
  if (!memo.expiring) {
    memo.expiring = true;
    queueMicrotask(() => {
      memo.values.clear();
      memo.signature = '';
      memo.expiring = false;
    });
  }
  return memo;
}

/** Called by the root's validation at the start of each pass: takes the app's signature once. */
export function beginValidationPass(root: IConstruct): void {
  const memo = memoOf(root);
  memo.signature = treeSignature(root, memo.epoch);
}

export function memoizeForSynth<T>(scope: IConstruct, key: string, compute: () => T): T {
  const root = scope.node.root;
  const memo = memoOf(root);
  if (!memo.signature) memo.signature = treeSignature(root, memo.epoch);
  const hit = memo.values.get(key);
  if (hit && hit.signature === memo.signature) return hit.value;
  const value = compute();
  memo.values.set(key, { signature: memo.signature, value });
  return value;
}

/**
 * The library's epoch plus the number of constructs at the top two levels (the app's charts and
 * what they hold directly): a full walk per pass would make synthesis quadratic.
 */
function treeSignature(root: IConstruct, epoch: number): string {
  let n = 0;
  for (const child of root.node.children) n += 1 + child.node.children.length;
  return `${epoch}:${n}`;
}

/** Drops the memo of an app: the library calls it whenever its own API changes the mesh. */
export function invalidateSynthMemo(scope: IConstruct): void {
  const memo = memoOf(scope);
  memo.epoch++;
  memo.signature = '';
}
