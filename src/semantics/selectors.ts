/**
 * Label selectors: which pods a `matchLabels` selects, and whether two selectors select the same pods.
 * Pure functions (no cdk8s).
 */
import type { StringMap } from './membership';

/** Does a `matchLabels` selector select a pod with these labels (every key equal)? */
export function selectorMatches(selector: StringMap, labels: StringMap): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/**
 * Can two `matchLabels` selectors select the same pods?
 *
 * When some of the known pods (`pods`, the label sets of a namespace's workloads) are selected by
 * either selector, the answer comes from those pods: true only if one pod is selected by both.
 * Otherwise the selectors alone decide: they must agree on every key they share, and share at least
 * one key (two selectors over unrelated keys, such as `cdk8s.io/metadata.addr` and `app`, are not
 * known to select the same pods). An empty selector selects every pod.
 */
export function selectorsSelectSamePods(a: StringMap, b: StringMap, pods: readonly StringMap[] = []): boolean {
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length === 0 || bKeys.length === 0) return true;
  const known = pods.filter(p => selectorMatches(a, p) || selectorMatches(b, p));
  if (known.length > 0) return known.some(p => selectorMatches(a, p) && selectorMatches(b, p));
  const shared = aKeys.filter(k => k in b);
  return shared.length > 0 && shared.every(k => a[k] === b[k]);
}
