/**
 * check-access across clusters: a client `<cluster>/<namespace>/<serviceaccount>` calling a Service.
 * Identities do not depend on the cluster (one trust domain), so each destination cluster evaluates
 * the client's identity with its own policies (`./access`). Which clusters can serve the request
 * follows istiod's service merging (`pilot/pkg/serviceregistry/ambient/multicluster.go`, 1.30.3): the
 * client cluster's own copy decides the scope; a local Service is served by local endpoints only, a
 * global one also by every cluster where it is global (remote non-global copies are skipped,
 * `services.go`).
 */
import { AccessQuery, AccessResult, evaluateAccess, HopResult, PolicyIndex } from './access';
import { MeshModel } from './model';
import { clusterInstall, ClusterInstall, ClusterModel, eastWestGateway, isGlobal } from './multicluster-checks';

/** One cluster for access evaluation. */
export interface AccessCluster {
  readonly name: string;
  readonly model: MeshModel;
  readonly index: PolicyIndex;
}

/** A hop with the cluster it happens in. */
export interface ClusterHop extends Omit<HopResult, 'point'> {
  readonly point: string;
  readonly cluster: string;
}

/** The outcome across clusters. */
export interface ClusterAccessResult {
  readonly allowed: boolean;
  readonly enforcedBy: string;
  readonly policy?: string;
  readonly reason: string;
  readonly hops: ClusterHop[];
  readonly dependsOn?: string[];
}

/** A request with the client's cluster and, optionally, the destination cluster. */
export interface ClusterQuery extends AccessQuery {
  /** `<cluster>/<namespace>/<serviceaccount>`, or undefined for a client outside the mesh (then toCluster is its cluster). */
  readonly from?: string;
  readonly toCluster?: string;
}

/**
 * The clusters whose endpoints the client cluster's istiod gives a meshed client for a Service: its
 * own copy's cluster, and when that copy is global (or absent), every cluster where the Service is
 * global in that cluster's own configuration.
 */
export function servingClusters<C extends ClusterModel>(clusters: C[], client: C, namespace: string, name: string,
  installs = new Map(clusters.map(c => [c.name, clusterInstall(c.name, c.model)]))): C[] {
  const own = client.model.service(namespace, name);
  const globalHere = own ? isGlobal(client, installs.get(client.name)!, own) : true;
  return clusters.filter(c => {
    const svc = c.model.service(namespace, name);
    if (!svc) return false;
    return c === client || (globalHere && isGlobal(c, installs.get(c.name)!, svc));
  });
}

function names(clusters: AccessCluster[]): string {
  return clusters.map(c => c.name).join(', ');
}

/** Evaluates one request across clusters: ALLOW only when every cluster that may serve it allows it. */
export function evaluateAcrossClusters(clusters: AccessCluster[], query: ClusterQuery): ClusterAccessResult {
  const byName = new Map(clusters.map(c => [c.name, c]));
  const cluster = (name: string, what: string) => {
    const c = byName.get(name);
    if (!c) throw new Error(`${what} "${name}" is not one of the clusters (${names(clusters)})`);
    return c;
  };
  let client: AccessCluster;
  let from: string | undefined;
  if (query.from !== undefined) {
    const parts = query.from.split('/');
    if (parts.length !== 3) throw new Error(`from "${query.from}" must be <cluster>/<namespace>/<serviceaccount> in a multi-cluster analysis (clusters: ${names(clusters)})`);
    client = cluster(parts[0], 'cluster');
    from = `${parts[1]}/${parts[2]}`;
  } else {
    if (!query.toCluster) throw new Error(`a client outside the mesh has no identity to carry across clusters: give toCluster, the cluster it calls from (clusters: ${names(clusters)})`);
    client = cluster(query.toCluster, 'toCluster');
  }
  const installs = new Map(clusters.map(c => [c.name, clusterInstall(c.name, c.model)]));
  const clientInstall = installs.get(client.name)!;
  const trustDomain = query.trustDomain ?? clientInstall.trustDomain;
  const [ns, name] = query.to.split('/');

  const own = client.model.service(ns, name);
  const globalHere = own ? isGlobal(client, clientInstall, own) : true;
  const candidates = from !== undefined ? servingClusters(clusters, client, ns, name, installs) : clusters.filter(c => c === client && own);
  // Ingress gateways keep traffic local (AMBIENT_ENABLE_MULTI_NETWORK_INGRESS defaults to false).
  const reachable = query.viaIngress ? candidates.filter(c => c === client) : candidates;
  const targets = query.toCluster && query.from !== undefined ? reachable.filter(c => c.name === query.toCluster) : reachable;
  if (targets.length === 0) {
    const where = query.toCluster && query.from !== undefined ? cluster(query.toCluster, 'toCluster') : undefined;
    if (!where) {
      if (candidates.length === 0) throw new Error(`Service ${query.to} is not in the manifests of cluster ${client.name}, and no other cluster has it as a global Service`);
      // viaIngress and the Service only in other clusters
      throw new Error(`Service ${query.to} is not in cluster ${client.name}, and ingress gateways keep traffic in their own cluster (AMBIENT_ENABLE_MULTI_NETWORK_INGRESS is off by default)`);
    }
    const reason = !where.model.service(ns, name)
      ? `Service ${query.to} is not in cluster ${where.name}`
      : query.viaIngress && where !== client
        ? `ingress gateway ${query.viaIngress} keeps traffic in cluster ${client.name} (AMBIENT_ENABLE_MULTI_NETWORK_INGRESS is off by default)`
        : `Service ${query.to} is ${own && !globalHere ? `local in the client's cluster ${client.name}` : `not global in cluster ${where.name}`}: istiod in ${client.name} gives the client no endpoints in ${where.name}`;
    const hop: ClusterHop = { point: 'client', where: `client ztunnel in ${client.name}`, cluster: client.name, identity: from ?? 'client outside the mesh (no identity)', allowed: false, reason };
    return { allowed: false, enforcedBy: 'client', reason: `${hop.where}: ${reason}`, hops: [hop] };
  }

  const results = targets.map(d => ({ d, result: evaluateIn(d, client, from, trustDomain, installs, query, !own) }));
  const denied = results.find(r => !r.result.allowed);
  const deciding = denied ?? results[0];
  const dependsOn = [...new Set(results.flatMap(r => r.result.dependsOn ?? []))];
  return {
    allowed: !denied,
    enforcedBy: deciding.result.enforcedBy,
    policy: deciding.result.policy,
    reason: `cluster ${deciding.d.name}: ${deciding.result.reason}${targets.length > 1 ? ` (the Service is global: ${targets.map(t => t.name).join(' and ')} may serve the request, and ${denied ? 'one denying is enough' : 'each allows it'})` : ''}`,
    hops: results.flatMap(r => r.result.hops),
    ...(dependsOn.length ? { dependsOn } : {}),
  };
}

function evaluateIn(d: AccessCluster, client: AccessCluster, from: string | undefined, trustDomain: string, installs: Map<string, ClusterInstall>,
  query: ClusterQuery, noLocalCopy: boolean): ClusterAccessResult {
  const inner: AccessResult = evaluateAccess(d.model, d.index, { ...query, from, trustDomain });
  const local = d === client;
  const dnsNote = noLocalCopy && local === false
    ? ` Service ${query.to} is not in the client's cluster ${client.name}: the Istio docs require the Service and its namespace in every client cluster for DNS; name resolution without it is not verified here.`
    : '';
  const hops: ClusterHop[] = inner.hops.map(h => ({
    ...h,
    cluster: d.name,
    where: `${h.where} in ${d.name}`,
    reason: !local && h.point === 'waypoint'
      ? `${h.reason} (evaluated with cluster ${d.name}'s policies: the identically named waypoint of ${client.name} or of ${d.name} may handle the request, which one is not verified here, so keep their policies identical)`
      : h.reason,
  }));
  if (local) return { ...inner, hops };
  // The same request through the client cluster's own instance of the waypoint: if it decides
  // otherwise, the answer depends on which instance handles the request (fail closed, undecided).
  const wAt = hops.findIndex(h => h.point === 'waypoint');
  if (wAt >= 0 && client.model.service(...query.to.split('/') as [string, string])) {
    const other = evaluateAccess(client.model, client.index, { ...query, from, trustDomain }).hops.find(h => h.point === 'waypoint');
    if (other && other.allowed !== hops[wAt].allowed) {
      const said = (h: { allowed: boolean; policy?: string }, c: string) => `${c}'s ${h.allowed ? 'allows' : 'denies'} it${h.policy ? ` (${h.policy})` : ''}`;
      const reason = `undecided: the waypoint instances decide differently: ${said(other, client.name)}, ${said(hops[wAt], d.name)}; which instance handles a request served by ${d.name} is not verified here, so make their policies identical`;
      const hop: ClusterHop = { ...hops[wAt], allowed: false, reason, dependsOn: ['waypoint instance'] };
      return { allowed: false, enforcedBy: 'waypoint', policy: hop.policy, reason: `${hop.where}: ${reason}`, hops: [...hops.slice(0, wAt), hop], dependsOn: ['waypoint instance'] };
    }
  }
  // The hop that crosses networks comes before the destination's ztunnel (after a waypoint, which
  // AMBIENT_ENABLE_MULTI_NETWORK_WAYPOINT, default true, lets route to remote networks).
  const at = hops.findIndex(h => h.point === 'ztunnel' || h.point === 'sidecar');
  if (at < 0) return { ...inner, hops };
  const dInstall = installs.get(d.name)!;
  const network = dInstall.network;
  const fromNetwork = installs.get(client.name)!.network;
  const gateway = eastWestGateway(d.model, network);
  const identity = hops[at].identity;
  let entry: ClusterHop;
  if (network !== undefined && network === fromNetwork) {
    entry = {
      point: 'network',
      where: `network ${network}`,
      cluster: d.name,
      identity,
      allowed: true,
      reason: `clusters ${client.name} and ${d.name} share network "${network}": the request goes to the pods directly, not through an east-west gateway (single-network ambient multicluster is not supported in Istio 1.30).${dnsNote}`,
    };
  } else if (!gateway) {
    entry = {
      point: 'east-west gateway',
      where: `east-west gateway of ${d.name}`,
      cluster: d.name,
      identity,
      allowed: false,
      reason: `cluster ${d.name} has no east-west gateway for its network${network ? ` "${network}"` : ''} (class istio-east-west, label ${'topology.istio.io/network'}, HBONE listener with tls.mode Terminate): istiod in ${client.name} has no network gateway to send the request to.${dnsNote}`,
    };
    const before = hops.slice(0, at);
    return { allowed: false, enforcedBy: entry.point, reason: `${entry.where}: ${entry.reason}`, hops: [...before, entry] };
  } else {
    const gw = `${gateway.obj.metadata.namespace ?? 'default'}/${gateway.obj.metadata.name}`;
    entry = {
      point: 'east-west gateway',
      where: `east-west gateway ${gw} in ${d.name}`,
      cluster: d.name,
      identity,
      allowed: true,
      reason: `the request leaves network "${fromNetwork ?? '(none)'}" for "${network}" in double HBONE: this gateway terminates the outer tunnel (ISTIO_MUTUAL) and passes the inner one, whose mTLS is made with the certificate of ${identity}, to the pods; policies at the east-west gateway itself are not evaluated here (not verified).${dnsNote}`,
    };
  }
  return { ...inner, hops: [...hops.slice(0, at), entry, ...hops.slice(at)] };
}
