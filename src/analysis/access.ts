/**
 * Evaluates a request hop by hop the way Istio ambient does: at the ingress gateway (if any), at the
 * destination's waypoint (if the traffic passes one), and at the destination ztunnel. At each point:
 * CUSTOM (not evaluated offline), then DENY, then ALLOW (no ALLOW policy = allow). ztunnel sees the
 * waypoint's identity behind a waypoint, drops ALLOW rules with L7 attributes and strips L7 parts of
 * DENY rules.
 */
import { l7AttributesOf } from '../_authz';
import { K8sObject, key, Located, MeshModel, selectorsOverlap, ServiceInfo } from './model';

export interface AccessQuery {
  /** Source: `<namespace>/<serviceaccount>`, or empty for an unauthenticated external client. */
  readonly from?: string;
  /** Destination Service: `<namespace>/<service>`. */
  readonly to: string;
  readonly port?: number;
  readonly method?: string;
  readonly path?: string;
  readonly host?: string;
  readonly jwtPrincipal?: string;
  /** The JWT the request carries; takes precedence over jwtPrincipal. */
  readonly token?: { readonly issuer: string; readonly subject?: string; readonly claims?: { [name: string]: string }; readonly invalid?: boolean };
  readonly sourceIp?: string;
  readonly destinationIp?: string;
  readonly headers?: { [name: string]: string };
  /** Ingress Gateway `<namespace>/<name>` the request enters through. */
  readonly viaIngress?: string;
  /** The client dials a pod IP instead of the Service (skips a service waypoint). */
  readonly toPod?: boolean;
  readonly trustDomain?: string;
}

export interface HopResult {
  readonly point: 'gateway' | 'waypoint' | 'ztunnel';
  readonly where: string;
  readonly identity: string;
  readonly allowed: boolean;
  readonly policy?: string;
  readonly reason: string;
}

export interface AccessResult {
  readonly allowed: boolean;
  readonly enforcedBy: string;
  readonly policy?: string;
  readonly reason: string;
  readonly hops: HopResult[];
}

interface Request {
  readonly principal?: string;
  readonly namespace?: string;
  readonly requestPrincipal?: string;
  readonly port?: number;
  readonly method?: string;
  readonly path?: string;
  readonly host?: string;
  readonly headers: { [name: string]: string };
}

/** Istio string matching: exact, `prefix*`, `*suffix`, `*` (presence). */
export function matchValue(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

function any(patterns: string[] | undefined, value: string | undefined): boolean {
  return (patterns ?? []).some(p => matchValue(p, value));
}

/** A list field matches if unset, or if one pattern matches; a not-field excludes. */
function field(values: string[] | undefined, notValues: string[] | undefined, value: string | undefined): boolean {
  if (values?.length && !any(values, value)) return false;
  if (notValues?.length && any(notValues, value)) return false;
  return true;
}

function sourceMatches(source: any, req: Request, l4Only: boolean): boolean {
  if (!source) return true;
  if (!field(source.principals, source.notPrincipals, req.principal)) return false;
  if (!field(source.namespaces, source.notNamespaces, req.namespace)) return false;
  if (source.serviceAccounts?.length || source.notServiceAccounts?.length) {
    const sa = req.principal ? req.principal.replace(/^.*\/ns\/([^/]+)\/sa\/(.+)$/, '$1/$2') : undefined;
    if (!field(source.serviceAccounts, source.notServiceAccounts, sa)) return false;
  }
  // IP blocks cannot be known offline: a rule that needs one does not match.
  if (source.ipBlocks?.length || source.remoteIpBlocks?.length) return false;
  if (!l4Only && !field(source.requestPrincipals, source.notRequestPrincipals, req.requestPrincipal)) return false;
  return true;
}

function operationMatches(op: any, req: Request, l4Only: boolean): boolean {
  if (!op) return true;
  const port = req.port !== undefined ? String(req.port) : undefined;
  if (!field(op.ports, op.notPorts, port)) return false;
  if (l4Only) return true;
  if (!field(op.methods, op.notMethods, req.method)) return false;
  if (!field(op.paths, op.notPaths, req.path)) return false;
  if (!field(op.hosts, op.notHosts, req.host)) return false;
  return true;
}

function conditionMatches(when: any, req: Request, l4Only: boolean): boolean {
  const k: string = when.key;
  let value: string | undefined;
  if (k === 'source.principal') value = req.principal;
  else if (k === 'source.namespace') value = req.namespace;
  else if (k === 'destination.port') value = req.port !== undefined ? String(req.port) : undefined;
  else if (k.startsWith('request.headers[')) value = l4Only ? undefined : req.headers[k.slice(16, -1).toLowerCase()];
  else if (k === 'request.auth.principal') value = l4Only ? undefined : req.requestPrincipal;
  else return false; // IPs, claims: unknown offline
  return field(when.values, when.notValues, value);
}

/** Does a rule match? At ztunnel (l4Only) ALLOW rules with L7 attributes never match; DENY rules drop them. */
function ruleMatches(rule: any, req: Request, action: string, atZtunnel: boolean): boolean {
  if (atZtunnel && action === 'ALLOW' && l7AttributesOf(rule).length > 0) return false;
  const l4Only = atZtunnel;
  const from: any[] = rule.from ?? [];
  const to: any[] = rule.to ?? [];
  const when: any[] = rule.when ?? [];
  if (from.length && !from.some(f => sourceMatches(f.source, req, l4Only))) return false;
  if (to.length && !to.some(t => operationMatches(t.operation, req, l4Only))) return false;
  const conditions = atZtunnel ? when.filter(w => l7AttributesOf({ when: [w] }).length === 0) : when;
  return conditions.every(w => conditionMatches(w, req, l4Only));
}

function policyName(o: K8sObject): string {
  return `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
}

/** CUSTOM, then DENY, then ALLOW; AUDIT does not decide. */
function decide(policies: K8sObject[], req: Request, atZtunnel: boolean): { allowed: boolean; policy?: string; reason: string } {
  const active = policies.filter(p => p.metadata.annotations?.['istio.io/dry-run'] !== 'true');
  const custom = active.filter(p => p.spec?.action === 'CUSTOM');
  for (const p of active.filter(x => x.spec?.action === 'DENY')) {
    const idx = (p.spec?.rules ?? []).findIndex((r: any) => ruleMatches(r, req, 'DENY', atZtunnel));
    if (idx >= 0) return { allowed: false, policy: policyName(p), reason: `DENY rule ${idx} matches` };
  }
  const allows = active.filter(x => (x.spec?.action ?? 'ALLOW') === 'ALLOW');
  if (allows.length === 0) {
    return { allowed: true, reason: custom.length ? 'no DENY or ALLOW policy applies (CUSTOM policies are not evaluated offline)' : 'no ALLOW policy applies' };
  }
  for (const p of allows) {
    const idx = (p.spec?.rules ?? []).findIndex((r: any) => ruleMatches(r, req, 'ALLOW', atZtunnel));
    if (idx >= 0) return { allowed: true, policy: policyName(p), reason: `ALLOW rule ${idx} matches` };
  }
  const names = allows.map(policyName).sort();
  // The deciding policy is the most specific one the request failed: one with rules (not an
  // allow-nothing), attached to the Service or selecting its pods before broader ones.
  const specificity = (p: K8sObject) => ((p.spec?.rules?.length ?? 0) > 0 ? 0 : 2)
    + ((p.spec?.targetRefs ?? []).some((r: any) => r.kind === 'Service') || p.spec?.selector ? 0 : 1);
  const deciding = [...allows].sort((a, b) => specificity(a) - specificity(b) || policyName(a).localeCompare(policyName(b)))[0];
  return { allowed: false, policy: policyName(deciding), reason: `no rule of the ALLOW policies (${names.join(', ')}) matches` };
}

/** Policies per enforcement point, indexed once per model. */
export class PolicyIndex {
  private readonly byTarget = new Map<string, K8sObject[]>();
  private readonly ztunnelByNamespace = new Map<string, K8sObject[]>();
  private readonly gatewayClassPolicies: K8sObject[] = [];
  private readonly requestAuthn = new Set<string>();

  public constructor(private readonly model: MeshModel, private readonly rootNamespace = 'istio-system') {
    for (const l of model.kind('AuthorizationPolicy')) {
      const o = l.obj;
      if (!o.apiVersion.startsWith('security.istio.io/')) continue;
      const ns = o.metadata.namespace ?? 'default';
      const refs: any[] = o.spec?.targetRefs ?? (o.spec?.targetRef ? [o.spec.targetRef] : []);
      if (refs.length === 0) {
        const list = this.ztunnelByNamespace.get(ns) ?? [];
        list.push(o);
        this.ztunnelByNamespace.set(ns, list);
        continue;
      }
      for (const ref of refs) {
        if (ref.kind === 'GatewayClass' && ns === rootNamespace) this.gatewayClassPolicies.push(o);
        const k = `${ns}/${ref.kind}/${ref.name}`;
        const list = this.byTarget.get(k) ?? [];
        list.push(o);
        this.byTarget.set(k, list);
      }
    }
    for (const l of model.kind('RequestAuthentication')) {
      const ns = l.obj.metadata.namespace ?? 'default';
      for (const ref of l.obj.spec?.targetRefs ?? []) this.requestAuthn.add(`${ns}/${ref.kind}/${ref.name}`);
    }
  }

  /** Waypoint policies for traffic to a Service: Service targetRefs, the waypoint Gateway, GatewayClass defaults. */
  public waypointPolicies(svc: ServiceInfo): K8sObject[] {
    const w = svc.waypoint!;
    return [
      ...this.byTarget.get(`${svc.namespace}/Service/${svc.name}`) ?? [],
      ...this.byTarget.get(`${w.namespace}/Gateway/${w.name}`) ?? [],
      ...this.gatewayClassPolicies.filter(p => (p.spec?.targetRefs ?? []).some((r: any) => r.name === 'istio-waypoint')),
    ];
  }

  /** Ingress gateway policies. */
  public gatewayPolicies(namespace: string, name: string): K8sObject[] {
    return this.byTarget.get(`${namespace}/Gateway/${name}`) ?? [];
  }

  /** ztunnel policies for a Service's pods: namespace-wide, matching selectors, and root-namespace (mesh-wide). */
  public ztunnelPolicies(svc: ServiceInfo): K8sObject[] {
    const inNs = (this.ztunnelByNamespace.get(svc.namespace) ?? [])
      .filter(p => !p.spec?.selector?.matchLabels || selectorsOverlap(p.spec.selector.matchLabels, svc.selector));
    const root = svc.namespace === this.rootNamespace ? [] : (this.ztunnelByNamespace.get(this.rootNamespace) ?? []).filter(p => !p.spec?.selector);
    return [...inNs, ...root];
  }

  /** Is a JWT validated where the waypoint handles this Service? */
  public jwtAtWaypoint(svc: ServiceInfo): boolean {
    const w = svc.waypoint!;
    return this.requestAuthn.has(`${svc.namespace}/Service/${svc.name}`) || this.requestAuthn.has(`${w.namespace}/Gateway/${w.name}`);
  }

  public jwtAtGateway(namespace: string, name: string): boolean {
    return this.requestAuthn.has(`${namespace}/Gateway/${name}`);
  }

  /** Does any policy of the index name this service? (for the access diff) */
  public get modelRef(): MeshModel {
    return this.model;
  }
}

function principal(trustDomain: string, ref: string): string {
  const [ns, sa] = ref.split('/');
  return `${trustDomain}/ns/${ns}/sa/${sa}`;
}

/** Evaluates one request. */
export function evaluateAccess(model: MeshModel, index: PolicyIndex, query: AccessQuery): AccessResult {
  const td = query.trustDomain ?? 'cluster.local';
  const [toNs, toName] = query.to.split('/');
  const svc = model.service(toNs, toName);
  if (!svc) throw new Error(`Service ${query.to} is not in the manifests`);
  const servicePort = query.port ?? svc.ports[0]?.port;
  const podPort = (() => {
    const p = svc.ports.find((x: any) => x.port === servicePort);
    return typeof p?.targetPort === 'number' ? p.targetPort : servicePort;
  })();
  const client = query.from ? principal(td, query.from) : undefined;
  const base: Request = {
    principal: client,
    namespace: query.from?.split('/')[0],
    port: servicePort,
    method: query.method,
    path: query.path,
    host: query.host ?? `${svc.name}.${svc.namespace}.svc.cluster.local`,
    headers: Object.fromEntries(Object.entries(query.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const hops: HopResult[] = [];
  let identity = client;
  let identityNs = base.namespace;
  let directToPods = !!query.toPod;

  if (query.viaIngress) {
    const [gwNs, gwName] = query.viaIngress.split('/');
    if (!model.ingressGateways.has(key(gwNs, gwName))) throw new Error(`ingress Gateway ${query.viaIngress} is not in the manifests`);
    const req: Request = { ...base, requestPrincipal: index.jwtAtGateway(gwNs, gwName) ? query.jwtPrincipal : undefined };
    const d = decide(index.gatewayPolicies(gwNs, gwName), req, false);
    const where = `ingress gateway ${gwNs}/${gwName}`;
    hops.push({ point: 'gateway', where, identity: client ?? 'external client', allowed: d.allowed, policy: d.policy, reason: d.reason });
    if (!d.allowed) return finish(hops);
    identity = `${td}/ns/${gwNs}/sa/${gwName}-istio`;
    identityNs = gwNs;
    directToPods = !svc.ingressUseWaypoint;
  }

  if (svc.waypoint && !directToPods) {
    // The waypoint only knows a JWT principal when a RequestAuthentication validates tokens there.
    const requestPrincipal = index.jwtAtWaypoint(svc) ? query.jwtPrincipal : undefined;
    const req: Request = { ...base, principal: identity, namespace: identityNs, requestPrincipal };
    const d = decide(index.waypointPolicies(svc), req, false);
    hops.push({ point: 'waypoint', where: `waypoint ${svc.waypoint.namespace}/${svc.waypoint.name}`, identity: identity ?? 'external client', allowed: d.allowed, policy: d.policy, reason: d.reason });
    if (!d.allowed) return finish(hops);
    identity = `${td}/ns/${svc.waypoint.namespace}/sa/${svc.waypoint.name}`;
    identityNs = svc.waypoint.namespace;
  }

  const req: Request = { ...base, principal: identity, namespace: identityNs, port: podPort, requestPrincipal: undefined };
  const d = decide(index.ztunnelPolicies(svc), req, true);
  hops.push({ point: 'ztunnel', where: `ztunnel of ${svc.namespace}/${svc.name}'s pods`, identity: identity ?? 'external client', allowed: d.allowed, policy: d.policy, reason: d.reason });
  return finish(hops);
}

function finish(hops: HopResult[]): AccessResult {
  // Denied: the hop that denied. Allowed: the first hop whose policy admitted the request (the one
  // that saw the client), else the last hop.
  const deciding = hops.find(h => !h.allowed) ?? hops.find(h => h.policy) ?? hops[hops.length - 1];
  const allowed = hops.every(h => h.allowed);
  return {
    allowed,
    enforcedBy: deciding.point,
    policy: deciding.policy,
    reason: `${deciding.where}: ${deciding.reason}`,
    hops,
  };
}

/** Sources worth checking in a diff: every service account of a workload, and every principal a policy names. */
export function knownSources(model: MeshModel): string[] {
  const sources = new Set<string>();
  for (const workloads of model.workloadsByNamespace.values()) for (const w of workloads) sources.add(`${w.namespace}/${w.serviceAccount}`);
  for (const l of model.kind('AuthorizationPolicy')) {
    for (const rule of l.obj.spec?.rules ?? []) {
      for (const f of rule.from ?? []) {
        for (const p of f.source?.principals ?? []) {
          const m = /\/ns\/([^/*]+)\/sa\/([^/*]+)$/.exec(p);
          if (m) sources.add(`${m[1]}/${m[2]}`);
        }
      }
    }
  }
  return [...sources].sort();
}

export type { Located };
