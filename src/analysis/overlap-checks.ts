/**
 * Checks for manifests that write over each other: two documents for one object (the one applied
 * last replaces the other), and DestinationRules for one host that istiod merges, dropping settings
 * of one of them. Linear in the objects (hash maps keyed by object and by host).
 */
import type { CheckInfo } from './checks';
import { Located, MeshModel } from './model';
import { destinationRuleHost, destinationRuleMergeLoss, DestinationRuleShape } from '../semantics/destination-rules';
import { apiGroup, describeObject, objectIdentity, ObjectIdentity } from '../semantics/object-identity';

export const DUPLICATE_OBJECT: CheckInfo = {
  code: 'AMB135', severity: 'error', title: 'Two manifests write the same object (group, kind, namespace, name)',
};
export const DESTINATION_RULES_MERGED: CheckInfo = {
  code: 'AMB136', severity: 'error', title: 'Two DestinationRules for one host: istiod keeps one trafficPolicy', upstream: ['KIA0201'],
};

/** The checks of this file, for the registry in checks.ts. */
export const OVERLAP_CHECKS: CheckInfo[] = [DUPLICATE_OBJECT, DESTINATION_RULES_MERGED];

type Report = (code: string, located: Located, message: string, fix: string) => void;

export function checkOverlaps(model: MeshModel, report: Report): void {
  checkDuplicateObjects(model, report);
  checkMergedDestinationRules(model, report);
}

/** Where an object came from, for a message: the construct path or file, in backquotes. */
function sourceOf(l: Located): string {
  return l.source ? `\`${l.source}\`` : 'the input';
}

/**
 * How many times and by whom an object is written, with the sources sorted (so the message does not
 * depend on declaration order): "twice in `a.yaml`", "twice, by `x` and `y`".
 */
function writtenBy(copies: Located[]): string {
  const times = (n: number) => n === 2 ? 'twice' : `${n} times`;
  const counts = new Map<string, number>();
  for (const c of copies) counts.set(sourceOf(c), (counts.get(sourceOf(c)) ?? 0) + 1);
  const sources = [...counts.keys()].sort();
  if (sources.length === 1) return `${times(copies.length)} in ${sources[0]}`;
  const parts = sources.map(s => counts.get(s)! > 1 ? `${s} (${times(counts.get(s)!)})` : s);
  return `${times(copies.length)}, by ${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

function bySource(a: Located, b: Located): number {
  return (a.source ?? '').localeCompare(b.source ?? '');
}

function checkDuplicateObjects(model: MeshModel, report: Report): void {
  const copies = new Map<string, { id: ObjectIdentity; located: Located[] }>();
  for (const l of model.objects) {
    const id = objectIdentity(l.obj);
    if (!id) continue;
    const key = `${id.group}\u0000${id.kind}\u0000${id.namespace}\u0000${id.name}`;
    const entry = copies.get(key);
    if (entry) entry.located.push(l);
    else copies.set(key, { id, located: [l] });
  }
  for (const { id, located } of copies.values()) {
    if (located.length < 2) continue;
    const sorted = [...located].sort(bySource);
    const same = new Set(located.map(l => JSON.stringify(l.obj))).size === 1;
    const scope = id.namespace ? '' : ` (${id.kind} is cluster-scoped: the namespace in the manifests does not tell copies apart)`;
    report(DUPLICATE_OBJECT.code, sorted[sorted.length - 1],
      `${describeObject(id)} is written ${writtenBy(sorted)}${scope}: the API server holds one such object, so at apply time the copy applied last silently replaces the others${same ? ' (identical today, so a change to one copy is silently undone by the other)' : ''}.`,
      'Keep one copy: drop the object from the included manifest or ApiObject, or give the library construct another `name` (one construct per object).');
  }
}

function shapeOf(l: Located): DestinationRuleShape {
  const o = l.obj;
  return {
    name: o.metadata.name ?? '',
    namespace: o.metadata.namespace || 'default',
    host: String(o.spec?.host ?? ''),
    hasTrafficPolicy: o.spec?.trafficPolicy != null,
    subsets: (o.spec?.subsets ?? []).map((s: any) => String(s?.name ?? '')),
    hasWorkloadSelector: o.spec?.workloadSelector != null,
    exportTo: (o.spec?.exportTo ?? []).map(String),
  };
}

function checkMergedDestinationRules(model: MeshModel, report: Report): void {
  const byHost = new Map<string, { shape: DestinationRuleShape; located: Located }[]>();
  for (const l of model.kind('DestinationRule')) {
    if (apiGroup(l.obj.apiVersion) !== 'networking.istio.io') continue;
    const shape = shapeOf(l);
    if (!shape.host || !shape.name) continue;
    const key = `${shape.namespace}/${destinationRuleHost(shape.host, shape.namespace)}`;
    const list = byHost.get(key) ?? [];
    list.push({ shape, located: l });
    byHost.set(key, list);
  }
  for (const rules of byHost.values()) {
    if (rules.length < 2) continue;
    // Same-named copies are one object (AMB135); each name once, in name order.
    const distinct = [...new Map(rules.map(r => [r.shape.name, r])).values()].sort((a, b) => a.shape.name.localeCompare(b.shape.name));
    for (let i = 0; i < distinct.length; i++) {
      for (let j = i + 1; j < distinct.length; j++) {
        const [a, b] = [distinct[i], distinct[j]];
        const loss = destinationRuleMergeLoss(a.shape, b.shape);
        if (!loss) continue;
        const lost = [
          loss.trafficPolicy ? 'its whole top-level trafficPolicy (not field by field)' : undefined,
          loss.subsets.length ? `its subsets ${loss.subsets.map(s => `"${s}"`).join(', ')} (the other defines them too)` : undefined,
        ].filter(x => x !== undefined).join(' and ');
        const host = destinationRuleHost(a.shape.host, a.shape.namespace);
        report(DESTINATION_RULES_MERGED.code, b.located,
          `DestinationRules ${a.shape.namespace}/${a.shape.name} (${sourceOf(a.located)}) and ${b.shape.namespace}/${b.shape.name} (${sourceOf(b.located)}) both configure host ${host}: istiod merges them into one, taking them oldest first (creation time, then name), and the later one loses ${lost}. Which one wins depends on when each was created.`,
          'Put the settings for a host in one DestinationRule (in the library: one ResiliencePolicy per Service).');
      }
    }
  }
}
