import { IConstruct } from 'constructs';

/**
 * cdk8s validates the whole app once per chart it writes (App.synth runs validate() and then each
 * chart's toJson() runs it again), so app-wide checks would be quadratic. Their results are kept for
 * the rest of the current synchronous synthesis: until the next microtask, and only while the
 * construct tree has the same signature (adding constructs invalidates them).
 *
 * The signature is taken once per validation pass, by the root's validation (which cdk8s runs first:
 * it validates in pre-order).
 */
interface Memo { size: number; readonly values: Map<string, { size: number; value: any }> }

const MEMOS = new WeakMap<IConstruct, Memo>();

function memoOf(root: IConstruct): Memo {
  let memo = MEMOS.get(root);
  if (!memo) {
    memo = { size: -1, values: new Map() };
    MEMOS.set(root, memo);
    queueMicrotask(() => MEMOS.delete(root));
  }
  return memo;
}

/** Called by the root's validation at the start of each pass: takes the tree's signature once. */
export function beginValidationPass(root: IConstruct): void {
  memoOf(root).size = treeSignature(root);
}

export function memoizeForSynth<T>(scope: IConstruct, key: string, compute: () => T): T {
  const root = scope.node.root;
  const memo = memoOf(root);
  if (memo.size < 0) memo.size = treeSignature(root);
  const hit = memo.values.get(key);
  if (hit && hit.size === memo.size) return hit.value;
  const value = compute();
  memo.values.set(key, { size: memo.size, value });
  return value;
}

/**
 * A cheap fingerprint of the tree: the number of constructs at the top two levels (the app's charts
 * and what they hold directly). Constructs added to the app between two syntheses in the same
 * synchronous run (tests do that) change it; a full walk per pass would make synthesis quadratic.
 */
function treeSignature(root: IConstruct): number {
  let n = 0;
  for (const child of root.node.children) n += 1 + child.node.children.length;
  return n;
}

/** Drops the memo of an app: the library calls it whenever its own API changes the mesh. */
export function invalidateSynthMemo(scope: IConstruct): void {
  MEMOS.delete(scope.node.root);
}
