/**
 * Who may reach whom: for every Service, the workload identities and ingress gateways that some
 * request (one per class of the request space) gets through to it, and the enforcement points it
 * passes. Feeds `explain --format mermaid`.
 */
import { AccessQuery, AccessResult, evaluateAccess, knownSources, PolicyIndex } from './access';
import { mermaidGraph, ReachEdge } from './mermaid';
import { MeshModel } from './model';
import { collectAtoms, portRepresentatives, prunedRequestRepresentatives, RequestRepresentative, rulesOf, sourceClasses } from './request-space';

/** Identities that reach a Service from everywhere are drawn as one edge from this node. */
export const ANY_IDENTITY = 'any identity';

function label(results: AccessResult[], all: boolean): string {
  const points = [...new Set(results.map(r => r.hops.filter(h => h.point !== 'gateway').map(h => h.point).join(' → ')))].sort().join(' / ');
  return all ? points : `${points} (some requests)`;
}

function query(r: RequestRepresentative, base: { from?: string; to: string; port?: number; viaIngress?: string }): AccessQuery {
  const { sameMethods, samePaths, ...request } = r;
  void sameMethods;
  void samePaths;
  return { ...request, ...base, jwtPrincipal: r.token && !r.token.invalid ? `${r.token.issuer}/${r.token.subject ?? ''}` : undefined };
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
    const rules = rulesOf(meshPolicies);
    const options = { l7: !!svc.waypoint, issuers, defaultHost: `${svc.name}.${svc.namespace}.svc.cluster.local` };
    const ports = portRepresentatives(svc.ports.map((p: any) => p?.port).filter((p: unknown) => typeof p === 'number'));
    const reached: { from: string; label: string }[] = [];
    for (const cls of sourceClasses(atoms, identities)) {
      if (cls.members.length === 0) continue;
      const results: AccessResult[] = [];
      let all = true;
      for (const port of ports) {
        // One request per class the policies tell apart (see request-space): all allowed means any request is.
        for (const r of prunedRequestRepresentatives(atoms, options, rules, { identity: cls.representative, port })) {
          const result = evaluateAccess(model, index, query(r, { from: cls.representative, to, port }));
          if (result.allowed) results.push(result);
          else all = false;
        }
      }
      if (results.length) for (const m of cls.members) reached.push({ from: m, label: label(results, all) });
    }
    if (identities.length > 1 && reached.length === identities.length && new Set(reached.map(r => r.label)).size === 1) {
      edges.push({ from: ANY_IDENTITY, to, label: reached[0].label, status: 'same' });
    } else {
      for (const r of reached) edges.push({ from: r.from, to, label: r.label, status: 'same' });
    }
    for (const gw of gateways) {
      const [gwNs, gwName] = gw.split('/');
      const gatewayPolicies = [...meshPolicies, ...index.gatewayPolicies(gwNs, gwName)];
      const gAtoms = collectAtoms(gatewayPolicies);
      const results: AccessResult[] = [];
      let all = true;
      for (const port of ports) {
        for (const r of prunedRequestRepresentatives(gAtoms, { ...options, l7: true }, rulesOf(gatewayPolicies), { port })) {
          const result = evaluateAccess(model, index, query(r, { to, port, viaIngress: gw }));
          if (result.allowed) results.push(result);
          else all = false;
        }
      }
      if (results.length) edges.push({ from: `gateway ${gw}`, to, label: label(results, all), status: 'same' });
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
