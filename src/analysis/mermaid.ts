/**
 * Who may reach whom as a Mermaid flowchart (GitHub renders it in pull-request comments): one
 * subgraph per namespace, identities and gateways pointing at the Services they may reach, each edge
 * labelled with the enforcement point that admits it; widened edges green, narrowed ones red.
 */

/** An edge of the reachability graph. */
export interface ReachEdge {
  /** `namespace/serviceaccount`, `gateway namespace/name`, or a label outside any namespace. */
  readonly from: string;
  /** `namespace/service`. */
  readonly to: string;
  /** The enforcement point(s) that admit the traffic, e.g. `waypoint`, `ztunnel`. */
  readonly label: string;
  /** `same`, `widened` (new or wider access) or `narrowed` (less access; the edge may be gone). */
  readonly status: 'same' | 'widened' | 'narrowed';
}

const GATEWAY = /^gateway ([^/]+)\/(.+)$/;
const IDENTITY = /^([^/ ]+)\/([^/ ]+)$/;

function escape(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/[<>]/g, c => (c === '<' ? '#lt;' : '#gt;'));
}

/** The Mermaid text; `services` are drawn even without edges. Deterministic (sorted). */
export function mermaidGraph(edges: ReachEdge[], services: string[], title?: string): string {
  const ids = new Map<string, string>();
  const id = (key: string) => {
    let v = ids.get(key);
    if (!v) {
      v = `n${ids.size}`;
      ids.set(key, v);
    }
    return v;
  };
  // Nodes: identities (from), Services (to); namespaced ones in their namespace's subgraph.
  const byNamespace = new Map<string, string[]>();
  const outside: string[] = [];
  const place = (ns: string | undefined, line: string) => {
    if (ns === undefined) outside.push(line);
    else byNamespace.set(ns, [...byNamespace.get(ns) ?? [], line]);
  };
  const sortedEdges = [...edges].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.label.localeCompare(b.label));
  const sources = [...new Set(sortedEdges.map(e => e.from))].sort();
  const targets = [...new Set([...services, ...sortedEdges.map(e => e.to)])].sort();
  for (const s of targets) {
    const [ns, name] = s.split('/');
    place(ns, `${id(`svc:${s}`)}["${escape(`svc ${name}`)}"]`);
  }
  for (const s of sources) {
    const gw = GATEWAY.exec(s);
    const identity = IDENTITY.exec(s);
    if (gw) place(gw[1], `${id(`src:${s}`)}{{"${escape(`gateway ${gw[2]}`)}"}}`);
    else if (identity) place(identity[1], `${id(`src:${s}`)}(["${escape(`sa ${identity[2]}`)}"])`);
    else place(undefined, `${id(`src:${s}`)}(["${escape(s)}"])`);
  }
  const lines: string[] = ['```mermaid', 'flowchart LR'];
  if (title) lines.splice(1, 0, '---', `title: ${title}`, '---');
  for (const line of outside) lines.push(`  ${line}`);
  const namespaces = [...byNamespace.keys()].sort();
  namespaces.forEach((ns, i) => {
    lines.push(`  subgraph ns${i}["namespace ${escape(ns)}"]`);
    for (const line of byNamespace.get(ns)!) lines.push(`    ${line}`);
    lines.push('  end');
  });
  const styles: string[] = [];
  sortedEdges.forEach((e, i) => {
    const from = id(`src:${e.from}`);
    const to = id(`svc:${e.to}`);
    const label = escape(e.status === 'same' ? e.label : `${e.status}: ${e.label}`);
    lines.push(e.status === 'narrowed' ? `  ${from} -.->|"${label}"| ${to}` : e.status === 'widened' ? `  ${from} ==>|"${label}"| ${to}` : `  ${from} -->|"${label}"| ${to}`);
    if (e.status === 'widened') styles.push(`  linkStyle ${i} stroke:#2da44e,stroke-width:3px`);
    if (e.status === 'narrowed') styles.push(`  linkStyle ${i} stroke:#cf222e,stroke-width:2px`);
  });
  lines.push(...styles, '```');
  return lines.join('\n') + '\n';
}
