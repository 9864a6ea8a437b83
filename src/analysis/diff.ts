/**
 * What changed between two sets of manifests: objects (by kind/namespace/name, ignoring formatting
 * and key order), access (every class of request the policies of either version tell apart, from
 * every class of source identity, to every Service port, through the waypoint, direct to pods and via
 * each ingress gateway), routing, and security posture (mTLS, waypoint bypass, ingress-use-waypoint).
 */
import { createHash } from 'crypto';
import { AccessQuery, AccessResult, evaluateAccess, knownSources, PolicyIndex } from './access';
import { mtlsMode } from './explain';
import { mermaidGraph, ReachEdge } from './mermaid';
import { Located, MeshModel, ServiceInfo } from './model';
import {
  classCounts, collectAtoms, emptyAtoms, FixedAttributes, OTHER_IDENTITY, portRepresentatives, prunedRequestRepresentatives,
  RequestAtoms, RequestRepresentative,
  rulesOf, SourceClass, sourceClasses,
} from './request-space';

/** One access change (identical changes from several sources are grouped). */
export interface AccessChange {
  /** The sources, for a table cell: `default/frontend, default/curl` or a class description. */
  readonly source: string;
  /** Every source identity (`namespace/serviceaccount`) or class description of the group. */
  readonly sources: string[];
  /** `namespace/service`. */
  readonly destination: string;
  readonly port?: number;
  /** `service` (through the Service's waypoint, if any), `pod` (dialing pod IPs) or `ingress <ns>/<gateway>`. */
  readonly via: string;
  /** The request in words: method, path, token, host, headers, IPs. */
  readonly request: string;
  readonly before: string;
  readonly after: string;
  /** One line: `frontend → payments:8080 GET /x with JWT from iss: DENY (…) → ALLOW (…)`. */
  readonly summary: string;
  /** The representative request that was evaluated (to reproduce with check-access). */
  readonly query: AccessQuery;
}

/** A change of mTLS mode, waypoint bypass protection, waypoint or ingress-use-waypoint for a Service. */
export interface PostureChange {
  readonly service: string;
  /** `mtls`, `waypoint`, `bypass` or `ingress-use-waypoint`. */
  readonly aspect: string;
  readonly before: string;
  readonly after: string;
  /** The change lets more traffic through or skips checks. */
  readonly widens: boolean;
}

/** A change in where a route sends traffic. */
export interface RoutingChange {
  /** `HTTPRoute default/reviews`. */
  readonly route: string;
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
  readonly posture: PostureChange[];
  readonly routing: RoutingChange[];
  /** Reachability edges of the Services that changed, for the picture. */
  readonly edges: ReachEdge[];
  readonly statistics: DiffStatistics;
}

/** How much of the request space was evaluated. */
export interface DiffStatistics {
  readonly services: number;
  /** Services whose access inputs differ, evaluated request class by request class. */
  readonly servicesEvaluated: number;
  /** Requests evaluated (each in both versions). */
  readonly requests: number;
}

export interface DiffOptions {
  /** Evaluate every Service, even those whose access inputs are identical in both versions. */
  readonly exhaustive?: boolean;
  readonly rootNamespace?: string;
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

function decision(r: AccessResult | undefined): string {
  if (!r) return 'DENY (no such Service or gateway)';
  return `${r.allowed ? 'ALLOW' : 'DENY'} (${r.enforcedBy}${r.policy ? `, ${r.policy}` : ''})`;
}

/** A request in the user's terms: `GET /x with JWT from iss (sub s), header x-a: b`. */
export function describeRequest(q: AccessQuery, space: Space, methods?: string, paths?: string): string {
  const l7 = space.l7;
  const parts: string[] = [];
  const method = methods ?? q.method ?? 'GET';
  const path = paths ?? q.path ?? '/';
  if (!l7 || (method === 'any method' && path === 'any path')) parts.push('any request');
  else parts.push(`${method}${path === 'any path' ? ' on any path' : ` ${path}`}`);
  const extra: string[] = [];
  if (q.token) {
    extra.push(q.token.invalid ? `with an invalid JWT from ${q.token.issuer}`
      : `with JWT from ${q.token.issuer}${q.token.subject && q.token.subject !== 'x' ? ` (sub ${q.token.subject})` : ''}`
        + Object.entries(q.token.claims ?? {}).map(([k, v]) => `, claim ${k}=${v}`).join(''));
  } else if (l7 && space.tokens > 1) {
    extra.push('without JWT');
  }
  if (q.host) extra.push(`Host ${q.host}`);
  for (const [k, v] of Object.entries(q.headers ?? {})) extra.push(`header ${k}: ${v}`);
  if (q.sourceIp) extra.push(`from IP ${q.sourceIp}`);
  if (q.destinationIp) extra.push(`to IP ${q.destinationIp}`);
  if (q.toPod) extra.push('dialing pod IPs');
  return [parts.join(' '), ...extra].join(', ').replace(/, (with|without)/, ' $1');
}

function sourceLabel(c: SourceClass, viaIngress?: string): string[] {
  if (viaIngress) return [`external client via ${viaIngress}`];
  if (c.members.length) return c.others ? [...c.members, 'any other identity'] : c.members;
  if (c.representative === undefined) return ['unauthenticated client'];
  if (c.representative === OTHER_IDENTITY) return ['any other identity'];
  const [ns, sa] = c.representative.split('/');
  return [sa === 'zz-any' ? `any identity in namespace ${ns}` : c.representative];
}

/** What the representatives of one Service vary: to word a merged change ("any method"). */
interface Space {
  readonly l7: boolean;
  readonly tokens: number;
  readonly sourceIps: number;
  readonly methods: number;
  readonly paths: number;
}

interface Raw {
  readonly sources: string[];
  readonly query: AccessQuery;
  readonly space: Space;
  readonly before?: AccessResult;
  readonly after?: AccessResult;
  /** Methods and paths the representative stands for. */
  readonly methods: string[];
  readonly paths: string[];
}

class Side {
  public readonly index: PolicyIndex;
  /** Issuers of the RequestAuthentications attached to each `namespace/kind/name`. */
  private readonly issuersByTarget = new Map<string, string[]>();
  public constructor(public readonly model: MeshModel, rootNamespace: string) {
    this.index = new PolicyIndex(model, rootNamespace);
    for (const l of model.kind('RequestAuthentication')) {
      const ns = l.obj.metadata.namespace ?? 'default';
      const rules = Array.isArray(l.obj.spec?.jwtRules) ? l.obj.spec.jwtRules : [];
      const issuers = rules.map((r: any) => r?.issuer).filter((i: unknown): i is string => typeof i === 'string');
      for (const r of Array.isArray(l.obj.spec?.targetRefs) ? l.obj.spec.targetRefs : []) {
        const k = `${ns}/${r?.kind}/${r?.name}`;
        this.issuersByTarget.set(k, [...this.issuersByTarget.get(k) ?? [], ...issuers]);
      }
    }
  }

  public evaluate(query: AccessQuery): AccessResult | undefined {
    const [ns, name] = query.to.split('/');
    if (!this.model.service(ns, name)) return undefined;
    if (query.viaIngress && !this.model.ingressGateways.has(query.viaIngress)) return undefined;
    return evaluateAccess(this.model, this.index, query);
  }

  /** AuthorizationPolicies that may decide traffic to `svc` (any hop, any mode). */
  public policiesFor(svc: ServiceInfo | undefined, gateways: string[]): any[] {
    if (!svc) return [];
    const out = [...this.index.ztunnelPolicies(svc)];
    if (svc.waypoint) out.push(...this.index.waypointPolicies(svc));
    const podWaypoints = new Set<string>();
    for (const w of this.model.workloadsByNamespace.get(svc.namespace) ?? []) {
      const ref = this.model.podWaypoint(svc.namespace, w.podLabels);
      if (ref) podWaypoints.add(`${ref.namespace}/${ref.name}`);
    }
    for (const ref of podWaypoints) {
      const [ns, name] = ref.split('/');
      out.push(...this.index.waypointPolicies({ ...svc, waypoint: { namespace: ns, name } }));
    }
    for (const gw of gateways) {
      const [ns, name] = gw.split('/');
      out.push(...this.index.gatewayPolicies(ns, name));
    }
    return out;
  }

  /**
   * Issuers of the RequestAuthentications attached where traffic to `svc` is handled: the Service,
   * its waypoint, the given gateways (only there is a token validated, or an invalid one rejected).
   */
  public issuers(svc: ServiceInfo | undefined, gateways: string[]): string[] {
    if (!svc) return [];
    const targets = [`${svc.namespace}/Service/${svc.name}`, ...gateways.map(g => `${g.split('/')[0]}/Gateway/${g.split('/')[1]}`)];
    if (svc.waypoint) targets.push(`${svc.waypoint.namespace}/Gateway/${svc.waypoint.name}`);
    return targets.flatMap(t => this.issuersByTarget.get(t) ?? []);
  }

  /**
   * Everything an evaluation of traffic to `svc` reads: the Service, its namespace, its waypoint, the
   * policies of every hop, the RequestAuthentications and PeerAuthentications that apply, its pods and
   * the gateways. Equal fingerprints in both versions: no request to it can be decided differently.
   */
  public fingerprint(svc: ServiceInfo, gateways: string[], root: string): string {
    const strip = (o: any) => {
      const { status, ...rest } = o;
      void status;
      return rest;
    };
    const ns = svc.namespace;
    const parts = [
      canonical({ ...svc, located: strip(svc.located.obj) }),
      canonical(this.model.namespaces.get(ns)?.located.obj ?? null),
      canonical(this.model.waypoint(svc.waypoint)?.located.obj ?? null),
      ...this.policiesFor(svc, gateways).map(p => canonical(strip(p))).sort(),
      ...[...this.model.kind('RequestAuthentication'), ...this.model.kind('PeerAuthentication')]
        .filter(l => [ns, root, svc.waypoint?.namespace, ...gateways.map(g => g.split('/')[0])].includes(l.obj.metadata.namespace ?? 'default'))
        .map(l => canonical(strip(l.obj))).sort(),
      ...this.model.workloadIndex(ns).select(svc.selector)
        .map(w => canonical({ labels: w.podLabels, sa: w.serviceAccount, waypoint: this.model.podWaypoint(ns, w.podLabels) ?? null })).sort(),
      gateways.filter(g => this.model.ingressGateways.has(g)).join(','),
    ];
    return createHash('sha1').update(parts.join('\n')).digest('hex');
  }
}

/** The representative requests of one destination Service (both versions' atoms). */
function requestsFor(before: Side, after: Side, svcKey: string, gateways: string[], identities: string[]):
{
  sourceClasses: SourceClass[];
  ports: (number | undefined)[];
  meshFor: (fixed: FixedAttributes) => RequestRepresentative[];
  meshSpace: Space;
  ingressFor: (fixed: FixedAttributes) => RequestRepresentative[];
  ingressSpace: Space;
} {
  const [ns, name] = svcKey.split('/');
  const sb = before.model.service(ns, name);
  const sa = after.model.service(ns, name);
  const meshAtoms: RequestAtoms = emptyAtoms();
  collectAtoms([...before.policiesFor(sb, []), ...after.policiesFor(sa, [])], meshAtoms);
  const ingressAtoms: RequestAtoms = collectAtoms([...before.policiesFor(sb, gateways), ...after.policiesFor(sa, gateways)]);
  const issuers = [...before.issuers(sb, []), ...after.issuers(sa, [])];
  const ingressIssuers = [...before.issuers(sb, gateways), ...after.issuers(sa, gateways)];
  const podWaypoint = (s: Side) => (s.model.workloadsByNamespace.get(ns) ?? []).some(w => s.model.podWaypoint(ns, w.podLabels));
  const meshL7 = !!(sb?.waypoint || sa?.waypoint) || podWaypoint(before) || podWaypoint(after);
  const defaultHost = `${name}.${ns}.svc.cluster.local`;
  const ports = portRepresentatives([...(sb?.ports ?? []), ...(sa?.ports ?? [])].map((p: any) => p?.port).filter((p: any) => typeof p === 'number'));
  const meshOptions = { l7: meshL7, issuers, defaultHost };
  const ingressOptions = { l7: true, issuers: ingressIssuers, defaultHost };
  const meshRules = rulesOf([...before.policiesFor(sb, []), ...after.policiesFor(sa, [])]);
  const ingressRules = rulesOf([...before.policiesFor(sb, gateways), ...after.policiesFor(sa, gateways)]);
  // Class counts of the full product: to word a change "any method" / "any path" / no token.
  const space = (atoms: RequestAtoms, options: { l7: boolean; issuers: string[]; defaultHost: string }): Space =>
    ({ l7: options.l7, ...classCounts(atoms, options) });
  return {
    sourceClasses: sourceClasses(meshAtoms, identities),
    ports,
    meshFor: fixed => prunedRequestRepresentatives(meshAtoms, meshOptions, meshRules, fixed),
    meshSpace: space(meshAtoms, meshOptions),
    ingressFor: fixed => (gateways.length ? prunedRequestRepresentatives(ingressAtoms, ingressOptions, ingressRules, fixed) : []),
    ingressSpace: space(ingressAtoms, ingressOptions),
  };
}

function toQuery(rep: RequestRepresentative, base: { from?: string; to: string; port?: number; toPod?: boolean; viaIngress?: string }): AccessQuery {
  const q: { -readonly [K in keyof AccessQuery]: AccessQuery[K] } = { to: base.to, method: rep.method, path: rep.path, headers: rep.headers };
  if (base.from !== undefined) q.from = base.from;
  if (base.port !== undefined) q.port = base.port;
  if (base.toPod) q.toPod = true;
  if (base.viaIngress !== undefined) q.viaIngress = base.viaIngress;
  if (rep.host !== undefined) q.host = rep.host;
  if (rep.token) {
    q.token = rep.token;
    if (!rep.token.invalid) q.jwtPrincipal = `${rep.token.issuer}/${rep.token.subject ?? ''}`;
  }
  if (rep.sourceIp !== undefined) q.sourceIp = rep.sourceIp;
  if (rep.destinationIp !== undefined) q.destinationIp = rep.destinationIp;
  return q;
}

function withoutSourceIp(q: AccessQuery): AccessQuery {
  const { sourceIp, ...rest } = q;
  void sourceIp;
  return rest;
}

function withoutToken(q: AccessQuery): AccessQuery {
  const { token, jwtPrincipal, ...rest } = q;
  void token;
  void jwtPrincipal;
  return rest;
}

/** The access diff of two models. */
export function diffModels(beforeModel: MeshModel, afterModel: MeshModel, options: DiffOptions = {}): DiffResult {
  const b = index(beforeModel.objects);
  const a = index(afterModel.objects);
  const added = [...a.keys()].filter(k => !b.has(k)).sort();
  const removed = [...b.keys()].filter(k => !a.has(k)).sort();
  const changed = [...a.keys()].filter(k => b.has(k) && b.get(k) !== a.get(k)).sort();

  const root = options.rootNamespace ?? 'istio-system';
  const before = new Side(beforeModel, root);
  const after = new Side(afterModel, root);
  const identities = [...new Set([...knownSources(beforeModel), ...knownSources(afterModel)])].sort();
  const gateways = [...new Set([...beforeModel.ingressGateways.keys(), ...afterModel.ingressGateways.keys()])].sort();
  const services = [...new Set([...beforeModel.services.keys(), ...afterModel.services.keys()])].sort();

  const raws: Raw[] = [];
  // Per (source class, Service): the hop paths of allowed requests, for the picture. Keyed by class,
  // expanded to the class's members only for the Services whose access changed.
  const reach = new Map<string, { nodes: string[]; to: string; via: string; before: Set<string>; after: Set<string> }>();
  const hopPath = (r: AccessResult) => r.hops.filter(h => h.point !== 'gateway').map(h => h.point).join(' → ');
  const note = (classKey: string, nodes: string[], to: string, via: string, rb: AccessResult | undefined, ra: AccessResult | undefined) => {
    if (!rb?.allowed && !ra?.allowed) return;
    const k = `${classKey}\n${to}\n${via}`;
    let entry = reach.get(k);
    if (!entry) {
      entry = { nodes, to, via, before: new Set(), after: new Set() };
      reach.set(k, entry);
    }
    if (rb?.allowed) entry.before.add(hopPath(rb));
    if (ra?.allowed) entry.after.add(hopPath(ra));
  };
  let evaluated = 0;
  let requests = 0;
  for (const svcKey of services) {
    const [ns, name] = svcKey.split('/');
    const sb = beforeModel.service(ns, name);
    const sa = afterModel.service(ns, name);
    if (!options.exhaustive && sb && sa && before.fingerprint(sb, gateways, root) === after.fingerprint(sa, gateways, root)) continue;
    evaluated++;
    const space = requestsFor(before, after, svcKey, gateways, identities);
    const record = (sources: string[], nodes: string[], query: AccessQuery, sp: Space, rep: RequestRepresentative) => {
      const classKey = nodes.join(',');
      const rb = before.evaluate(query);
      const ra = after.evaluate(query);
      requests++;
      if (nodes.length) note(classKey, nodes, svcKey, query.viaIngress ? `ingress ${query.viaIngress}` : query.toPod ? 'pod' : 'service', rb, ra);
      const changedDecision = (rb?.allowed ?? false) !== (ra?.allowed ?? false)
        || (rb && ra && rb.allowed && (rb.enforcedBy !== ra.enforcedBy || rb.policy !== ra.policy));
      if (!changedDecision) return;
      raws.push({ sources, query, space: sp, before: rb, after: ra, methods: rep.sameMethods ?? [rep.method], paths: rep.samePaths ?? [rep.path] });
    };
    for (const port of space.ports) {
      for (const cls of space.sourceClasses) {
        const labels = sourceLabel(cls);
        const nodes = labels;
        for (const rep of space.meshFor({ identity: cls.representative, port })) {
          record(labels, nodes, toQuery(rep, { from: cls.representative, to: svcKey, port }), space.meshSpace, rep);
          record(labels, nodes, toQuery(rep, { from: cls.representative, to: svcKey, port, toPod: true }), space.meshSpace, rep);
        }
      }
      for (const gw of gateways) {
        for (const rep of space.ingressFor({ port })) record(sourceLabel({ members: [] }, gw), [`gateway ${gw}`], toQuery(rep, { to: svcKey, port, viaIngress: gw }), space.ingressSpace, rep);
      }
    }
  }

  const gained: AccessChange[] = [];
  const lost: AccessChange[] = [];
  const moved: AccessChange[] = [];
  // Identical changes from several sources are one entry; then entries that differ only in the
  // method (then the path) are one entry, worded "any method" when every class of it changed alike.
  interface Group { raw: Raw; sources: string[]; methods: string[]; paths: string[]; tokens: number; ips: number }
  const merge = (items: Group[], key: (g: Group) => string, fold: (into: Group, g: Group) => void): Group[] => {
    const m = new Map<string, Group>();
    for (const g of items) {
      const k = key(g);
      const into = m.get(k);
      if (into) fold(into, g);
      else m.set(k, { ...g, sources: [...g.sources], methods: [...g.methods], paths: [...g.paths], tokens: g.tokens, ips: g.ips });
    }
    return [...m.values()];
  };
  const verdict = (r: Raw) => ({ b: decision(r.before), a: decision(r.after) });
  let groups: Group[] = raws.map(r => ({ raw: r, sources: r.sources, methods: r.methods, paths: r.paths, tokens: 1, ips: 1 }));
  groups = merge(groups, g => canonical({ ...g.raw.query, from: undefined, ...verdict(g.raw) }),
    (into, g) => {
      into.sources.push(...g.sources.filter(s => !into.sources.includes(s)));
      into.methods.push(...g.methods.filter(x => !into.methods.includes(x)));
      into.paths.push(...g.paths.filter(x => !into.paths.includes(x)));
    });
  // Every class of client address changed alike (say an ingress ALLOW over 0.0.0.0/0 and ::/0): the address does not matter.
  groups = merge(groups, g => canonical({ ...withoutSourceIp(g.raw.query), from: undefined, s: g.sources, ...verdict(g.raw) }),
    (into, g) => { into.ips += g.ips; });
  groups = groups.map(g => (g.ips > 1 && g.ips === g.raw.space.sourceIps
    ? { ...g, raw: { ...g.raw, query: withoutSourceIp(g.raw.query), space: { ...g.raw.space, sourceIps: 1 } } }
    : g));
  groups = merge(groups, g => canonical({ ...withoutToken(g.raw.query), from: undefined, s: g.sources, ...verdict(g.raw) }),
    (into, g) => { into.tokens += g.tokens; });
  // Every class of token changed alike: the token does not matter.
  groups = groups.map(g => (g.tokens > 1 && g.tokens === g.raw.space.tokens
    ? { ...g, raw: { ...g.raw, query: withoutToken(g.raw.query), space: { ...g.raw.space, tokens: 1 } } }
    : g));
  groups = merge(groups, g => canonical({ ...g.raw.query, from: undefined, method: undefined, s: g.sources, ...verdict(g.raw) }),
    (into, g) => into.methods.push(...g.methods.filter(x => !into.methods.includes(x))));
  groups = merge(groups, g => canonical({
    ...g.raw.query,
    from: undefined,
    method: undefined,
    path: undefined,
    m: g.methods,
    s: g.sources,
    ...verdict(g.raw),
  }),
  (into, g) => into.paths.push(...g.paths.filter(x => !into.paths.includes(x))));
  for (const { raw, sources, methods, paths } of groups) {
    const q = raw.query;
    const methodText = methods.length === raw.space.methods ? 'any method' : methods.join('|');
    const pathText = paths.length === raw.space.paths ? 'any path' : paths.join(' | ');
    const request = describeRequest(q, raw.space, methodText, pathText);
    const via = q.viaIngress ? `ingress ${q.viaIngress}` : q.toPod ? 'pod' : 'service';
    const [, svcName] = q.to.split('/');
    const shown = sources.length > 6 ? `${sources.slice(0, 5).join(', ')} and ${sources.length - 5} more` : sources.join(', ');
    const change: AccessChange = {
      source: shown,
      sources,
      destination: q.to,
      port: q.port,
      via,
      request,
      before: decision(raw.before),
      after: decision(raw.after),
      summary: `${shown} → ${svcName}${q.port !== undefined ? `:${q.port}` : ''} ${request}: ${decision(raw.before)} → ${decision(raw.after)}`,
      query: q,
    };
    const was = raw.before?.allowed ?? false;
    const is = raw.after?.allowed ?? false;
    (!was && is ? gained : was && !is ? lost : moved).push(change);
  }
  const order = (x: AccessChange, y: AccessChange) => x.destination.localeCompare(y.destination) || (x.port ?? 0) - (y.port ?? 0)
    || x.via.localeCompare(y.via) || x.source.localeCompare(y.source) || x.request.localeCompare(y.request);
  gained.sort(order);
  lost.sort(order);
  moved.sort(order);

  const posture = postureChanges(before, after, services);
  const touched = new Set([...gained, ...lost].map(c => c.destination));
  const edges: ReachEdge[] = [];
  for (const v of reach.values()) {
    if (!touched.has(v.to)) continue;
    const to = v.to;
    const paths = v.after.size ? v.after : v.before;
    const label = `${v.via === 'pod' ? 'pod IPs: ' : ''}${[...paths].sort().join(' / ')}`;
    for (const from of v.nodes) {
      const involves = (c: AccessChange) => c.destination === to && c.via === v.via && (v.via.startsWith('ingress ') || c.sources.includes(from));
      const status = gained.some(involves) ? 'widened' : lost.some(involves) ? 'narrowed' : 'same';
      // Traffic to pod IPs is drawn only where it changed: otherwise every Service would have two edges.
      if (v.via !== 'pod' || status !== 'same') edges.push({ from, to, label, status });
    }
  }
  return {
    added,
    removed,
    changed,
    gained,
    lost,
    moved,
    posture,
    routing: routingChanges(beforeModel, afterModel),
    edges,
    statistics: { services: services.length, servicesEvaluated: evaluated, requests },
  };
}

const MTLS_RANK: { [mode: string]: number } = { STRICT: 2, PERMISSIVE: 1, UNSET: 1, DISABLE: 0 };

function postureChanges(before: Side, after: Side, services: string[]): PostureChange[] {
  const out: PostureChange[] = [];
  for (const k of services) {
    const [ns, name] = k.split('/');
    const sb = before.model.service(ns, name);
    const sa = after.model.service(ns, name);
    if (!sb || !sa) continue;
    const mb = mtlsMode(before.model, before.index, sb);
    const ma = mtlsMode(after.model, after.index, sa);
    if (mb !== ma) {
      const rank = (m: string) => MTLS_RANK[m.split(' ')[0]] ?? 1;
      out.push({ service: k, aspect: 'mtls', before: mb, after: ma, widens: rank(ma) < rank(mb) });
    }
    const wb = sb.waypoint ? `${sb.waypoint.namespace}/${sb.waypoint.name}` : 'none';
    const wa = sa.waypoint ? `${sa.waypoint.namespace}/${sa.waypoint.name}` : 'none';
    if (wb !== wa) {
      const hadL7 = sb.waypoint && before.index.waypointPolicies(sb).length > 0;
      out.push({ service: k, aspect: 'waypoint', before: wb, after: wa, widens: !!hadL7 && wa === 'none' });
    }
    if (sb.ingressUseWaypoint !== sa.ingressUseWaypoint && (sb.waypoint || sa.waypoint)) {
      // Ingress traffic that stops going through the waypoint skips its L7 checks.
      const l7 = sb.waypoint ? before.index.waypointPolicies(sb).length > 0 : false;
      out.push({
        service: k,
        aspect: 'ingress-use-waypoint',
        before: String(sb.ingressUseWaypoint),
        after: String(sa.ingressUseWaypoint),
        widens: sb.ingressUseWaypoint && !sa.ingressUseWaypoint && l7,
      });
    }
    if (sb.waypoint || sa.waypoint) {
      const protectedIn = (s: Side, svc: ServiceInfo) =>
        !!svc.waypoint && s.evaluate({ from: OTHER_IDENTITY, to: k, toPod: true })?.allowed === false;
      const pb = protectedIn(before, sb);
      const pa = protectedIn(after, sa);
      if (pb !== pa) {
        const word = (p: boolean) => (p ? 'pods reject traffic that skips the waypoint' : 'pods accept traffic that skips the waypoint');
        out.push({ service: k, aspect: 'bypass', before: word(pb), after: word(pa), widens: pb && !pa });
      }
    }
  }
  return out;
}

/** Where each route sends traffic: per rule, backends with weights, mirrors and timeouts. */
function routeSummaries(model: MeshModel): Map<string, string> {
  const out = new Map<string, string>();
  const backend = (ref: any, ns: string) => `${ref?.namespace && ref.namespace !== ns ? `${ref.namespace}/` : ''}${ref?.name}${ref?.port ? `:${ref.port}` : ''}${ref?.weight !== undefined ? ` (weight ${ref.weight})` : ''}`;
  for (const l of [...model.kind('HTTPRoute'), ...model.kind('GRPCRoute')]) {
    const o = l.obj;
    const ns = o.metadata.namespace ?? 'default';
    const rules = Array.isArray(o.spec?.rules) ? o.spec.rules : [];
    const parts = rules.map((r: any, i: number) => {
      const backends = (Array.isArray(r?.backendRefs) ? r.backendRefs : []).map((b: any) => backend(b, ns)).join(', ') || 'no backends';
      const mirrors = (Array.isArray(r?.filters) ? r.filters : []).filter((f: any) => f?.type === 'RequestMirror').map((f: any) => `mirror ${backend(f.requestMirror?.backendRef, ns)}`);
      const timeouts = r?.timeouts ? [`timeouts ${canonical(r.timeouts)}`] : [];
      return `rule ${i}: ${[backends, ...mirrors, ...timeouts].join('; ')}`;
    });
    const parents = (Array.isArray(o.spec?.parentRefs) ? o.spec.parentRefs : []).map((p: any) => `${p?.kind ?? 'Gateway'} ${p?.name}`).join(', ');
    out.set(`${o.kind} ${ns}/${o.metadata.name}`, `parents ${parents || 'none'}; ${parts.join(' | ') || 'no rules'}`);
  }
  for (const l of model.kind('VirtualService')) {
    const o = l.obj;
    const ns = o.metadata.namespace ?? 'default';
    const http = Array.isArray(o.spec?.http) ? o.spec.http : [];
    const parts = http.map((r: any, i: number) => {
      const dest = (Array.isArray(r?.route) ? r.route : []).map((d: any) => `${d?.destination?.host}${d?.destination?.subset ? `/${d.destination.subset}` : ''}${d?.weight !== undefined ? ` (weight ${d.weight})` : ''}`).join(', ') || 'no route';
      const extra = [r?.mirror ? `mirror ${r.mirror.host}` : '', r?.timeout ? `timeout ${r.timeout}` : '', r?.retries ? `retries ${canonical(r.retries)}` : ''].filter(Boolean);
      return `http ${i}: ${[dest, ...extra].join('; ')}`;
    });
    out.set(`VirtualService ${ns}/${o.metadata.name}`, `hosts ${(o.spec?.hosts ?? []).join(', ')}; ${parts.join(' | ') || 'no http routes'}`);
  }
  return out;
}

function routingChanges(before: MeshModel, after: MeshModel): RoutingChange[] {
  const b = routeSummaries(before);
  const a = routeSummaries(after);
  const out: RoutingChange[] = [];
  for (const k of [...new Set([...b.keys(), ...a.keys()])].sort()) {
    if (b.get(k) !== a.get(k)) out.push({ route: k, before: b.get(k) ?? 'absent', after: a.get(k) ?? 'absent' });
  }
  return out;
}

const MAX_ROWS = 100;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
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
    lines.push(`### ${title} (${items.length})`, '', '| source | destination | via | request | before | after |', '| --- | --- | --- | --- | --- | --- |');
    for (const c of items.slice(0, MAX_ROWS)) {
      lines.push(`| ${cell(c.source)} | ${c.destination}${c.port !== undefined ? `:${c.port}` : ''} | ${cell(c.via)} | ${cell(c.request)} | ${cell(c.before)} | ${cell(c.after)} |`);
    }
    if (items.length > MAX_ROWS) lines.push('', `… and ${items.length - MAX_ROWS} more (\`--format json\` lists all).`);
    lines.push('');
  };
  const widenedPosture = d.posture.filter(p => p.widens);
  if (d.gained.length + d.lost.length + d.moved.length === 0) {
    lines.push('**Access:** unchanged.', '');
  } else {
    lines.push(`**Access:** ${d.gained.length} gained${d.gained.length ? ' (access widened: review)' : ''}, ${d.lost.length} lost, ${d.moved.length} moved between enforcement points or policies.`, '');
    table('Access gained', d.gained);
    table('Access lost', d.lost);
    table('Decision moved', d.moved);
  }
  if (d.posture.length) {
    lines.push(`### Security posture (${d.posture.length}${widenedPosture.length ? `, ${widenedPosture.length} weaker` : ''})`, '', '| Service | aspect | before | after | |', '| --- | --- | --- | --- | --- |');
    for (const p of d.posture) lines.push(`| ${p.service} | ${p.aspect} | ${cell(p.before)} | ${cell(p.after)} | ${p.widens ? '**weaker**' : ''} |`);
    lines.push('');
  }
  if (d.routing.length) {
    lines.push(`### Routing (${d.routing.length})`, '', '| route | before | after |', '| --- | --- | --- |');
    for (const r of d.routing) lines.push(`| ${cell(r.route)} | ${cell(r.before)} | ${cell(r.after)} |`);
    lines.push('');
  }
  if (d.edges.length) {
    lines.push('### Who may reach the changed Services', '', mermaidGraph(d.edges, []));
  }
  return lines.join('\n');
}
