/**
 * Who may reach whom: for every Service, the workload identities and ingress gateways that some
 * request (one per class of the request space) gets through to it, and the enforcement points it
 * passes. Feeds `explain --format mermaid`.
 */
import { AccessResult, evaluateAccess, knownSources, PolicyIndex } from './access';
import { mermaidGraph, ReachEdge } from './mermaid';
import { MeshModel } from './model';
import { collectAtoms, portRepresentatives, requestRepresentatives, sourceClasses } from './request-space';

/** Identities that reach a Service from everywhere are drawn as one edge from this node. */
export const ANY_IDENTITY = 'any identity';

function label(results: AccessResult[], total: number): string {
  const points = [...new Set(results.map(r => r.hops.filter(h => h.point !== 'gateway').map(h => h.point).join(' → ')))].sort().join(' / ');
  return results.length < total ? `${points} (some requests)` : points;
}

/** Reachability edges for the Services that pass the filter. */
export function reachability(model: MeshModel, index: PolicyIndex, filter: { namespace?: string; service?: string } = {}): ReachEdge[] {
  const identities = knownSources(model);
  const gateways = [...model.ingressGateways.keys()].sort();
  const issuers = model.kind('RequestAuthentication').flatMap(l => (Array.isArray(l.obj.spec?.jwtRules) ? l.obj.spec.jwtRules : []).map((r: any) => r?.issuer)).filter((i: unknown) => typeof i === 'string');
  const edges: ReachEdge[] = [];
  const services = [...model.services.values()]
    .filter(s => (!filter.namespace || s.namespace === filter.namespace) && (!filter.service || s.name === filter.service))
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  for (const svc of services) {
    const to = `${svc.namespace}/${svc.name}`;
    const meshPolicies = [...index.ztunnelPolicies(svc), ...(svc.waypoint ? index.waypointPolicies(svc) : [])];
    const atoms = collectAtoms(meshPolicies);
    const reps = requestRepresentatives(atoms, { l7: !!svc.waypoint, issuers, defaultHost: `${svc.name}.${svc.namespace}.svc.cluster.local` });
    const ports = portRepresentatives(svc.ports.map((p: any) => p?.port).filter((p: unknown) => typeof p === 'number'));
    const total = reps.length * ports.length;
    const reached: { from: string; results: AccessResult[] }[] = [];
    for (const cls of sourceClasses(atoms, identities)) {
      if (cls.members.length === 0) continue;
      const results: AccessResult[] = [];
      for (const port of ports) {
        for (const r of reps) {
          const result = evaluateAccess(model, index, { ...r, from: cls.representative, to, port, jwtPrincipal: r.token && !r.token.invalid ? `${r.token.issuer}/${r.token.subject ?? ''}` : undefined });
          if (result.allowed) results.push(result);
        }
      }
      if (results.length) for (const m of cls.members) reached.push({ from: m, results });
    }
    if (identities.length > 1 && reached.length === identities.length && new Set(reached.map(r => label(r.results, total))).size === 1) {
      edges.push({ from: ANY_IDENTITY, to, label: label(reached[0].results, total), status: 'same' });
    } else {
      for (const r of reached) edges.push({ from: r.from, to, label: label(r.results, total), status: 'same' });
    }
    for (const gw of gateways) {
      const gAtoms = collectAtoms([...meshPolicies, ...index.gatewayPolicies(...(gw.split('/') as [string, string]))]);
      const gReps = requestRepresentatives(gAtoms, { l7: true, issuers, defaultHost: `${svc.name}.${svc.namespace}.svc.cluster.local` });
      const results: AccessResult[] = [];
      for (const port of ports) {
        for (const r of gReps) {
          const result = evaluateAccess(model, index, { ...r, to, port, viaIngress: gw, jwtPrincipal: r.token && !r.token.invalid ? `${r.token.issuer}/${r.token.subject ?? ''}` : undefined });
          if (result.allowed) results.push(result);
        }
      }
      if (results.length) edges.push({ from: `gateway ${gw}`, to, label: label(results, gReps.length * ports.length), status: 'same' });
    }
  }
  return edges;
}

/** `explain --format mermaid`: who may reach whom, grouped by namespace. */
export function reachabilityMermaid(model: MeshModel, index: PolicyIndex, filter: { namespace?: string; service?: string } = {}): string {
  const services = [...model.services.values()]
    .filter(s => (!filter.namespace || s.namespace === filter.namespace) && (!filter.service || s.name === filter.service))
    .map(s => `${s.namespace}/${s.name}`);
  return mermaidGraph(reachability(model, index, filter), services);
}
