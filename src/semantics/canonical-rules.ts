/**
 * What Istio ambient does with AuthorizationPolicy rules: which attributes ztunnel can enforce (L4)
 * and which need a waypoint (L7), and a canonical form of rules so that output does not depend on
 * declaration order. Shared by the constructs and the analyzer.
 */
import type * as sec from '../imports/security.istio.io';

export type Rule = sec.AuthorizationPolicySpecRules;

/** Which attributes are L7 (need a waypoint) is owned by the semantics layer. */
export { ZTUNNEL_CONDITION_KEYS as L4_CONDITION_KEYS, l7AttributesOf } from './enforcement';

function sortStrings(values: string[] | undefined): string[] | undefined {
  return values && values.length > 0 ? [...new Set(values)].sort() : undefined;
}

function sortFields<T extends object>(obj: T | undefined): T | undefined {
  if (!obj) return undefined;
  const out: any = {};
  for (const key of Object.keys(obj).sort()) {
    const value = (obj as any)[key];
    const sorted = Array.isArray(value) ? sortStrings(value) : value;
    if (sorted !== undefined) out[key] = sorted;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A rule with every list sorted and deduplicated, and its `from`/`to`/`when` entries in stable order. */
export function canonicalRule(rule: Rule): Rule {
  const byJson = <T>(items: T[] | undefined): T[] | undefined => {
    if (!items || items.length === 0) return undefined;
    const unique = new Map(items.map(i => [JSON.stringify(i), i]));
    return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  };
  return {
    from: byJson((rule.from ?? []).map(f => ({ source: sortFields(f.source) }))),
    to: byJson((rule.to ?? []).map(t => ({ operation: sortFields(t.operation) }))),
    when: byJson((rule.when ?? []).map(w => ({ key: w.key, values: sortStrings(w.values), notValues: sortStrings(w.notValues) }))),
  };
}

/**
 * Rules that differ only in the values of one source field (say `principals`) are merged into one
 * rule listing all of them: a rule matches if the peer matches any value, so the union is the same
 * policy, written the way the Istio docs write it.
 */
/** Only positive fields merge: `{notPrincipals:[a]} OR {notPrincipals:[b]}` is not `{notPrincipals:[a,b]}`. */
const MERGEABLE_SOURCE_FIELDS = new Set(['principals', 'namespaces', 'ipBlocks', 'requestPrincipals', 'serviceAccounts', 'remoteIpBlocks']);

function mergeBySourceField(rules: Rule[]): Rule[] {
  const merged = new Map<string, Rule>();
  const rest: Rule[] = [];
  for (const rule of rules) {
    const source = rule.from?.length === 1 ? rule.from[0].source : undefined;
    const fields = source ? Object.keys(source).filter(k => (source as any)[k] !== undefined) : [];
    if (fields.length !== 1 || !MERGEABLE_SOURCE_FIELDS.has(fields[0])) {
      rest.push(rule);
      continue;
    }
    const field = fields[0];
    const key = JSON.stringify([field, rule.to ?? null, rule.when ?? null]);
    const existing = merged.get(key);
    const values: string[] = (source as any)[field];
    if (existing) {
      (existing.from![0].source as any)[field].push(...values);
    } else {
      merged.set(key, { from: [{ source: { [field]: [...values] } }], to: rule.to, when: rule.when });
    }
  }
  return [...merged.values(), ...rest];
}

/** Canonical rules, merged, deduplicated and sorted, so that declaration order never changes the output. */
export function canonicalRules(rules: Rule[]): Rule[] {
  const unique = new Map<string, Rule>();
  for (const rule of mergeBySourceField(rules.map(canonicalRule))) {
    const canonical = canonicalRule(rule);
    unique.set(JSON.stringify(canonical), canonical);
  }
  return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

/** True for a rule that matches every request (`{}`), the accidental allow-all. */
export function matchesEverything(rule: Rule): boolean {
  return !rule.from?.length && !rule.to?.length && !rule.when?.length;
}
