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
 * Items with pod labels (a namespace's workloads or their label sets), indexed by label so that
 * finding what a selector selects does not scan every pod: analysis of a namespace with thousands
 * of workloads would otherwise be quadratic. Read-only once built; results keep the items' order.
 */
export class PodLabelIndex<T = StringMap> {
  private readonly byLabel = new Map<string, T[]>();
  private readonly selections = new Map<string, T[]>();

  /** `labelsOf` reads an item's pod labels (the item itself when it is a label set). */
  public constructor(private readonly items: readonly T[], public readonly labelsOf: (item: T) => StringMap = item => item as unknown as StringMap) {
    for (const item of items) {
      for (const [k, v] of Object.entries(labelsOf(item))) {
        const entry = labelEntry(k, v);
        const list = this.byLabel.get(entry);
        if (list) list.push(item); else this.byLabel.set(entry, [item]);
      }
    }
  }

  /** The items whose labels a `matchLabels` selector selects (every item for an empty selector), in order. */
  public select(selector: StringMap): readonly T[] {
    const entries = Object.entries(selector);
    if (entries.length === 0) return this.items;
    const cacheKey = entries.map(([k, v]) => labelEntry(k, v)).sort().join('\n');
    let selected = this.selections.get(cacheKey);
    if (!selected) {
      // Candidates: the items carrying the rarest of the selector's labels.
      let candidates: readonly T[] | undefined;
      for (const [k, v] of entries) {
        const list = this.byLabel.get(labelEntry(k, v)) ?? [];
        if (!candidates || list.length < candidates.length) candidates = list;
      }
      selected = candidates!.filter(item => selectorMatches(selector, this.labelsOf(item)));
      this.selections.set(cacheKey, selected);
    }
    return selected;
  }
}

function labelEntry(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

/**
 * Can two `matchLabels` selectors select the same pods?
 *
 * When some of the known pods (`pods`, the label sets of a namespace's workloads, or an index of
 * them) are selected by either selector, the answer comes from those pods: true only if one pod is
 * selected by both. Otherwise the selectors alone decide: they must agree on every key they share,
 * and share at least one key (two selectors over unrelated keys, such as `cdk8s.io/metadata.addr`
 * and `app`, are not known to select the same pods). An empty selector selects every pod.
 */
export function selectorsSelectSamePods(a: StringMap, b: StringMap, pods: readonly StringMap[] | PodLabelIndex<any> = []): boolean {
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length === 0 || bKeys.length === 0) return true;
  const index = pods instanceof PodLabelIndex ? pods : new PodLabelIndex(pods);
  const byA = index.select(a);
  if (byA.length > 0 || index.select(b).length > 0) return byA.some(p => selectorMatches(b, index.labelsOf(p)));
  const shared = aKeys.filter(k => k in b);
  return shared.length > 0 && shared.every(k => a[k] === b[k]);
}

/**
 * Candidates that select pods (e.g. a namespace's Services), indexed by their selectors' labels so
 * that finding the ones selecting a pod does not test every candidate. Read-only once built.
 */
export class SelectorIndex<C> {
  private readonly byLabel = new Map<string, number[]>();
  /** Positions of the candidates with an empty selector (they select every pod). */
  public readonly selectingAll: readonly number[];

  public constructor(public readonly candidates: readonly C[], public readonly selectorOf: (candidate: C) => StringMap) {
    const selectingAll: number[] = [];
    this.selectingAll = selectingAll;
    candidates.forEach((candidate, position) => {
      const selector = selectorOf(candidate);
      if (Object.keys(selector).length === 0) selectingAll.push(position);
      for (const [k, v] of Object.entries(selector)) {
        const entry = labelEntry(k, v);
        const list = this.byLabel.get(entry);
        if (list) list.push(position); else this.byLabel.set(entry, [position]);
      }
    });
  }

  /** Positions of the candidates whose (non-empty) selector selects a pod with these labels. */
  public selecting(labels: StringMap): number[] {
    const out: number[] = [];
    for (const [k, v] of Object.entries(labels)) {
      for (const position of this.byLabel.get(labelEntry(k, v)) ?? []) {
        if (selectorMatches(this.selectorOf(this.candidates[position]), labels)) out.push(position);
      }
    }
    return out;
  }
}

/**
 * The candidates whose selector can select the same pods as `selector` (`selectorsSelectSamePods`
 * for each, in the candidates' order), without testing every candidate against every pod.
 */
export function selectingSamePods<C>(selector: StringMap, candidates: SelectorIndex<C>, pods: PodLabelIndex<any>): C[] {
  if (Object.keys(selector).length === 0) return [...candidates.candidates];
  const selected = pods.select(selector);
  if (selected.length === 0) return candidates.candidates.filter(c => selectorsSelectSamePods(selector, candidates.selectorOf(c), pods));
  // Known pods decide: a candidate qualifies if it selects one of them; an empty selector selects all.
  const positions = new Set<number>(candidates.selectingAll);
  for (const pod of selected) for (const position of candidates.selecting(pods.labelsOf(pod))) positions.add(position);
  return [...positions].sort((a, b) => a - b).map(position => candidates.candidates[position]);
}
