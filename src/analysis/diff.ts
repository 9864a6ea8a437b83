/**
 * What changed between two sets of manifests: objects (by kind/namespace/name, ignoring formatting
 * and key order) and access (which identity gained or lost access to which Service, and which
 * decisions moved between enforcement points).
 */
import { AccessResult, evaluateAccess, knownSources, PolicyIndex } from './access';
import { Located, MeshModel } from './model';

export interface AccessChange {
  readonly source: string;
  readonly destination: string;
  readonly request: string;
  readonly before: string;
  readonly after: string;
}

export interface DiffResult {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
  readonly gained: AccessChange[];
  readonly lost: AccessChange[];
  readonly moved: AccessChange[];
}

function canonical(value: any): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') return `{${Object.keys(value).sort().map(k => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  return JSON.stringify(value);
}

function objectKey(l: Located): string {
  const o = l.obj;
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : 'core';
  return `${o.kind}.${group} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

function index(objects: Located[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of objects) {
    const { status, ...rest } = l.obj as any;
    void status;
    m.set(objectKey(l), canonical(rest));
  }
  return m;
}

function describe(r: AccessResult | undefined): string {
  if (!r) return 'no such Service';
  return `${r.allowed ? 'ALLOW' : 'DENY'} at ${r.enforcedBy}${r.policy ? ` (${r.policy})` : ''}`;
}

export function diffModels(before: MeshModel, after: MeshModel): DiffResult {
  const b = index(before.objects);
  const a = index(after.objects);
  const added = [...a.keys()].filter(k => !b.has(k)).sort();
  const removed = [...b.keys()].filter(k => !a.has(k)).sort();
  const changed = [...a.keys()].filter(k => b.has(k) && b.get(k) !== a.get(k)).sort();

  const bIndex = new PolicyIndex(before);
  const aIndex = new PolicyIndex(after);
  const sources = [...new Set([...knownSources(before), ...knownSources(after)])].sort();
  const ingresses = [...new Set([...before.ingressGateways.keys(), ...after.ingressGateways.keys()])].sort();
  const destinations = [...new Set([...before.services.keys(), ...after.services.keys()])].sort();
  const gained: AccessChange[] = [];
  const lost: AccessChange[] = [];
  const moved: AccessChange[] = [];
  const evaluate = (model: MeshModel, idx: PolicyIndex, query: any): AccessResult | undefined => {
    const [ns, name] = query.to.split('/');
    if (!model.service(ns, name)) return undefined;
    if (query.viaIngress && !model.ingressGateways.has(query.viaIngress)) return undefined;
    return evaluateAccess(model, idx, query);
  };
  const queries: { source: string; query: any }[] = [];
  for (const to of destinations) {
    for (const method of ['GET', 'POST']) {
      for (const from of sources) queries.push({ source: from, query: { from, to, method, path: '/' } });
      for (const gw of ingresses) queries.push({ source: `external via ${gw}`, query: { to, method, path: '/', viaIngress: gw } });
    }
  }
  for (const { source, query } of queries) {
    const rb = evaluate(before, bIndex, query);
    const ra = evaluate(after, aIndex, query);
    const change = { source, destination: query.to, request: `${query.method} /`, before: describe(rb), after: describe(ra) };
    const wasAllowed = rb?.allowed ?? false;
    const isAllowed = ra?.allowed ?? false;
    if (!wasAllowed && isAllowed) gained.push(change);
    else if (wasAllowed && !isAllowed) lost.push(change);
    else if (rb && ra && (rb.enforcedBy !== ra.enforcedBy || rb.policy !== ra.policy)) moved.push(change);
  }
  return { added, removed, changed, gained, lost, moved };
}

export function diffMarkdown(d: DiffResult): string {
  const lines: string[] = ['## Mesh changes', ''];
  const objects = d.added.length + d.removed.length + d.changed.length;
  lines.push(`**Objects:** ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed.`);
  if (objects > 0) {
    lines.push('', '| change | object |', '| --- | --- |');
    for (const k of d.added) lines.push(`| added | \`${k}\` |`);
    for (const k of d.removed) lines.push(`| removed | \`${k}\` |`);
    for (const k of d.changed) lines.push(`| changed | \`${k}\` |`);
  }
  lines.push('');
  const table = (title: string, items: AccessChange[]) => {
    if (items.length === 0) return;
    lines.push(`### ${title} (${items.length})`, '', '| source | destination | request | before | after |', '| --- | --- | --- | --- | --- |');
    for (const c of items) lines.push(`| ${c.source} | ${c.destination} | ${c.request} | ${c.before} | ${c.after} |`);
    lines.push('');
  };
  if (d.gained.length + d.lost.length + d.moved.length === 0) {
    lines.push('**Access:** unchanged.', '');
  } else {
    lines.push(`**Access:** ${d.gained.length} gained${d.gained.length ? ' (access widened: review)' : ''}, ${d.lost.length} lost, ${d.moved.length} moved between enforcement points or policies.`, '');
    table('Access gained', d.gained);
    table('Access lost', d.lost);
    table('Decision moved', d.moved);
  }
  return lines.join('\n');
}
