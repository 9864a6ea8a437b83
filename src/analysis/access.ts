/**
 * Evaluates a request hop by hop the way Istio ambient does: at the ingress gateway (if any), at the
 * waypoint the traffic passes (if any), and at the destination ztunnel. Which policies apply where,
 * what each proxy does with each field, JWT and mTLS come from `../semantics`; this module only
 * walks the path.
 */
import { Located, MeshModel, ServiceInfo, WorkloadInfo, key } from './model';
import { EnforcementPoint, evaluatePolicies, matchValue, PeerIdentity, PolicyDecision, principalOf, RequestAttributes, SyntheticDeny } from '../semantics/authorization';
import { ingressGatewayServiceAccount, podsWaypoint, WaypointBinding, WaypointName, waypointServiceAccount } from '../semantics/binding';
import { authenticate, Authentication, TokenClaims } from '../semantics/jwt';
import { effectiveMtls } from '../semantics/mtls';
import { selectorMatches, selectorsSelectSamePods } from '../semantics/selectors';

export { matchValue };

export interface AccessQuery {
  /** Source: `<namespace>/<serviceaccount>`, or empty for a client outside the mesh. */
  readonly from?: string;
  /** Destination Service: `<namespace>/<service>`. */
  readonly to: string;
  /** Service port; with toPod, the pod port. */
  readonly port?: number;
  readonly method?: string;
  readonly path?: string;
  readonly host?: string;
  /** `<issuer>/<subject>` of a valid token (shorthand for token). */
  readonly jwtPrincipal?: string;
  /** The JWT the request carries; takes precedence over jwtPrincipal. */
  readonly token?: TokenClaims;
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
  readonly point: EnforcementPoint;
  readonly where: string;
  readonly identity: string;
  readonly allowed: boolean;
  readonly policy?: string;
  readonly reason: string;
  /** Dimensions the request did not give and the decision here depends on. */
  readonly dependsOn?: string[];
}

export interface AccessResult {
  readonly allowed: boolean;
  readonly enforcedBy: string;
  readonly policy?: string;
  readonly reason: string;
  readonly hops: HopResult[];
  /** Set when the answer depends on something the request did not give (e.g. the source IP). */
  readonly dependsOn?: string[];
}

const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

function refsOf(o: Located['obj']): any[] {
  return o.spec?.targetRefs ?? (o.spec?.targetRef ? [o.spec.targetRef] : []);
}

function ns(o: Located['obj']): string {
  return o.metadata.namespace ?? 'default';
}

/**
 * Which policies apply at which proxy (istio 1.30.3 `pilot/pkg/model/policyattachment.go`
 * `ShouldAttachPolicy`; ambient `workloads.go` `buildWorkloadPolicies`):
 * - ztunnel: no targetRefs; in the workload's namespace or the root namespace; no selector, or a
 *   selector matching the pods (a root-namespace selector applies in every namespace);
 * - waypoint: targetRefs only: the Service (same namespace as the policy), the waypoint Gateway
 *   (same namespace), or GatewayClass istio-waypoint from the root namespace;
 * - ingress Gateway (class istio): targetRefs to the Gateway, and (ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY,
 *   default true) policies without targetRefs in its namespace or the root namespace whose selector
 *   is empty or matches its pods (`gateway.networking.k8s.io/gateway-name`).
 * The same rules hold for RequestAuthentication.
 */
export class PolicyIndex {
  private readonly authz: Located['obj'][];
  private readonly authn: Located['obj'][];

  /** @param rootNamespace where mesh-wide policies live; defaults to the manifests' meshConfig.rootNamespace, else istio-system */
  public constructor(private readonly model: MeshModel, public readonly rootNamespace = model.rootNamespace) {
    this.authz = model.kind('AuthorizationPolicy').map(l => l.obj).filter(o => o.apiVersion.startsWith('security.istio.io/'));
    this.authn = model.kind('RequestAuthentication').map(l => l.obj).filter(o => o.apiVersion.startsWith('security.istio.io/'));
  }

  /** Policies without targetRefs that select pods with these labels (`podLabels` undefined: a Service selector, matched by overlap). */
  private selected(list: Located['obj'][], namespace: string, podLabels: { [k: string]: string }, exact: boolean): Located['obj'][] {
    return list.filter(o => {
      if (refsOf(o).length > 0) return false;
      if (ns(o) !== namespace && ns(o) !== this.rootNamespace) return false;
      const sel: { [k: string]: string } | undefined = o.spec?.selector?.matchLabels;
      if (!sel || Object.keys(sel).length === 0) return true;
      return exact ? selectorMatches(sel, podLabels) : selectorsSelectSamePods(sel, podLabels, this.model.workloadIndex(namespace));
    });
  }

  private attached(list: Located['obj'][], accept: (ref: any, policyNamespace: string) => boolean): Located['obj'][] {
    return list.filter(o => refsOf(o).some(r => accept(r, ns(o))));
  }

  private atWaypoint(list: Located['obj'][], w: WaypointName, svc?: ServiceInfo): Located['obj'][] {
    const toService = this.attached(list, (r, pns) => svc !== undefined && r.kind === 'Service' && (r.group ?? '') !== 'networking.istio.io'
      && pns === svc.namespace && r.name === svc.name);
    const toGateway = this.attached(list, (r, pns) => r.kind === 'Gateway' && pns === w.namespace && r.name === w.name && (!r.namespace || r.namespace === pns));
    const toClass = this.attached(list, (r, pns) => r.kind === 'GatewayClass' && r.name === 'istio-waypoint' && pns === this.rootNamespace);
    return [...new Set([...toService, ...toGateway, ...toClass])];
  }

  private atGateway(list: Located['obj'][], namespace: string, name: string): Located['obj'][] {
    const byRef = this.attached(list, (r, pns) => r.kind === 'Gateway' && pns === namespace && r.name === name && (!r.namespace || r.namespace === pns));
    const bySelector = this.selected(list, namespace, { [GATEWAY_NAME_LABEL]: name }, true);
    return [...byRef, ...bySelector];
  }

  /**
   * The pods' labels: those every workload the Service selects shares (so the answer holds for any
   * pod the request lands on, whatever the declaration order), else the Service's selector (matched by overlap).
   */
  private podsOf(svc: ServiceInfo): { labels: { [k: string]: string }; exact: boolean } {
    const workloads = this.model.workloadsOf(svc);
    if (workloads.length === 0) return { labels: svc.selector, exact: false };
    const shared = Object.entries(workloads[0].podLabels).filter(([k, v]) => workloads.every(w => w.podLabels[k] === v));
    return { labels: Object.fromEntries(shared), exact: true };
  }

  /** Waypoint policies for traffic to a Service (svc set) or to pods (svc undefined) through waypoint w. */
  public waypointPolicies(svc: ServiceInfo | undefined, w?: WaypointName): Located['obj'][] {
    const waypoint = w ?? (svc ? this.model.serviceBinding(svc).waypoint : undefined);
    if (!waypoint) return [];
    return this.atWaypoint(this.authz, waypoint, svc && !svc.headless ? svc : undefined);
  }

  /** RequestAuthentications at a waypoint. */
  public waypointAuthn(svc: ServiceInfo | undefined, w: WaypointName): Located['obj'][] {
    return this.atWaypoint(this.authn, w, svc && !svc.headless ? svc : undefined);
  }

  /** Ingress gateway policies. */
  public gatewayPolicies(namespace: string, name: string): Located['obj'][] {
    return this.atGateway(this.authz, namespace, name);
  }

  public gatewayAuthn(namespace: string, name: string): Located['obj'][] {
    return this.atGateway(this.authn, namespace, name);
  }

  /** ztunnel policies for a Service's pods: namespace-wide, matching selectors, root namespace (mesh-wide and selectors). */
  public ztunnelPolicies(svc: ServiceInfo): Located['obj'][] {
    const pods = this.podsOf(svc);
    return this.selected(this.authz, svc.namespace, pods.labels, pods.exact);
  }

  /**
   * A sidecar-mode pod's own policies: namespace-wide, matching selectors and root namespace, with
   * every field (the sidecar is an Envoy); targetRefs policies are for waypoints and gateways.
   */
  public sidecarPolicies(svc: ServiceInfo): Located['obj'][] {
    return this.ztunnelPolicies(svc);
  }

  /** RequestAuthentications a sidecar-mode pod applies: selector-based and namespace-wide ones. */
  public sidecarAuthn(svc: ServiceInfo): Located['obj'][] {
    const pods = this.podsOf(svc);
    return this.selected(this.authn, svc.namespace, pods.labels, pods.exact);
  }

  /** The pod labels ztunnel policies and PeerAuthentication are matched against. */
  public podLabels(svc: ServiceInfo): { [k: string]: string } {
    return this.podsOf(svc).labels;
  }

  /** Is a JWT validated where the waypoint handles this Service? */
  public jwtAtWaypoint(svc: ServiceInfo): boolean {
    const w = this.model.serviceBinding(svc).waypoint;
    return !!w && this.waypointAuthn(svc, w).length > 0;
  }

  public jwtAtGateway(namespace: string, name: string): boolean {
    return this.gatewayAuthn(namespace, name).length > 0;
  }

  public get modelRef(): MeshModel {
    return this.model;
  }
}

function identityOf(trustDomain: string, ref: string): PeerIdentity {
  const [namespace, serviceAccount] = ref.split('/');
  return { trustDomain, namespace, serviceAccount };
}

function tokenOf(query: AccessQuery): TokenClaims | undefined {
  if (query.token) return query.token;
  if (!query.jwtPrincipal) return undefined;
  const slash = query.jwtPrincipal.lastIndexOf('/');
  return slash < 0 ? { issuer: query.jwtPrincipal } : { issuer: query.jwtPrincipal.slice(0, slash), subject: query.jwtPrincipal.slice(slash + 1) };
}

function podPortOf(svc: ServiceInfo, servicePort: number | undefined, workloads: WorkloadInfo[]): number | undefined {
  const p = svc.ports.find((x: any) => x.port === servicePort);
  if (typeof p?.targetPort === 'number') return p.targetPort;
  if (typeof p?.targetPort === 'string') {
    // A named targetPort: the container port of that name, when the workload is in the manifests.
    for (const w of workloads) {
      const t = w.located.obj.kind === 'Pod' ? w.located.obj : w.located.obj.kind === 'CronJob' ? w.located.obj.spec?.jobTemplate?.spec?.template : w.located.obj.spec?.template;
      for (const c of t?.spec?.containers ?? []) {
        const named = (c.ports ?? []).find((cp: any) => cp.name === p.targetPort);
        if (named) return named.containerPort;
      }
    }
  }
  return servicePort;
}

function tokenAfter(auth: Authentication, authn: Located['obj'][], token: TokenClaims | undefined): TokenClaims | undefined {
  // A validated token is removed before forwarding unless its rule sets forwardOriginalToken.
  if (auth.status !== 'valid' || !token) return token;
  const rules = authn.flatMap(r => r.spec?.jwtRules ?? []).filter((j: any) => j.issuer === token.issuer);
  return rules.some((j: any) => j.forwardOriginalToken === true) ? token : undefined;
}

/** Evaluates one request. */
export function evaluateAccess(model: MeshModel, index: PolicyIndex, query: AccessQuery): AccessResult {
  const td = query.trustDomain ?? 'cluster.local';
  const [toNs, toName] = query.to.split('/');
  const svc = model.service(toNs, toName);
  if (!svc) throw new Error(`Service ${query.to} is not in the manifests`);
  const workloads = model.workloadsOf(svc);
  const servicePort = query.toPod ? undefined : query.port ?? svc.ports[0]?.port;
  const podPort = query.toPod ? query.port ?? podPortOf(svc, svc.ports[0]?.port, workloads) : podPortOf(svc, servicePort, workloads);
  const headers = Object.fromEntries(Object.entries(query.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const hops: HopResult[] = [];
  let token = tokenOf(query);

  // The client: a mesh identity, unless it is outside the mesh (no from, or a namespace that is
  // known and neither ambient nor sidecar-injected).
  const fromNs = query.from?.split('/')[0];
  const fromNsInfo = fromNs ? model.namespaces.get(fromNs) : undefined;
  const clientInMesh = !!query.from && !(fromNsInfo && !fromNsInfo.ambient && !fromNsInfo.sidecar);
  let identity: PeerIdentity | undefined = clientInMesh ? identityOf(td, query.from!) : undefined;
  let sourceIp: string | undefined = query.sourceIp;
  const describeIdentity = () => (identity ? principalOf(identity) : query.from ? `${query.from} (outside the mesh: no identity)` : 'client outside the mesh (no identity)');

  const push = (point: EnforcementPoint, where: string, d: PolicyDecision) => {
    const dependsOn = d.allowed === 'unknown' ? d.needs : undefined;
    const reason = d.allowed === 'unknown' ? `undecided: ${d.reason}` : d.reason;
    hops.push({ point, where, identity: describeIdentity(), allowed: d.allowed === 'yes', policy: d.policy, reason, ...(dependsOn ? { dependsOn } : {}) });
    return d.allowed === 'yes';
  };

  /** JWT then authorization at an Envoy hop. */
  const envoyHop = (point: EnforcementPoint, where: string, policies: Located['obj'][], authn: Located['obj'][], port: number | undefined, note = ''): boolean => {
    const auth = authenticate(authn, token);
    if (auth.status === 'rejected') return push(point, where, { allowed: 'no', policy: authn.map(o => `${ns(o)}/${o.metadata.name}`).sort()[0], reason: auth.reason, needs: [] });
    const req: RequestAttributes = {
      identity,
      sourceIp,
      destinationIp: query.destinationIp,
      port,
      method: query.method,
      path: query.path,
      host: query.host ?? `${svc.name}.${svc.namespace}.svc.cluster.local`,
      headers,
      requestPrincipal: auth.principal,
      claims: auth.claims,
    };
    const d = evaluatePolicies(point, policies, req);
    const jwtNote = token && auth.status !== 'valid' ? ` (${auth.reason})` : '';
    token = tokenAfter(auth, authn, token);
    return push(point, where, { ...d, reason: d.reason + jwtNote + note });
  };

  const binding: WaypointBinding = query.toPod ? podBindingOf(model, svc, workloads) : model.serviceBinding(svc);
  let viaWaypoint = !!binding.waypoint && clientInMesh;
  let waypointSkipNote: string | undefined = binding.waypoint && !clientInMesh ? 'a client outside the mesh reaches the pods directly (ztunnel does not send plaintext inbound traffic to a waypoint)' : undefined;

  if (query.viaIngress) {
    const [gwNs, gwName] = query.viaIngress.split('/');
    if (!model.ingressGateways.has(key(gwNs, gwName))) {
      const declared = [...model.ingressGateways.keys()].sort();
      throw new Error(`ingress Gateway ${query.viaIngress} is not in the manifests (${declared.length ? `ingress Gateways of class istio: ${declared.join(', ')}` : 'it has no Gateway of class istio'})`);
    }
    const where = `ingress gateway ${gwNs}/${gwName}`;
    const atGateway = index.gatewayPolicies(gwNs, gwName);
    const unattached = atGateway.filter(o => refsOf(o).length === 0).map(o => `${ns(o)}/${o.metadata.name}`).sort();
    const note = unattached.length
      ? `; ${unattached.join(', ')} ${unattached.length === 1 ? 'has' : 'have'} no targetRefs and so ${unattached.length === 1 ? 'applies' : 'apply'} to this Gateway API gateway too`
      : '';
    if (!envoyHop('gateway', where, atGateway, index.gatewayAuthn(gwNs, gwName), servicePort, note)) return finish(hops);
    identity = { trustDomain: td, namespace: gwNs, serviceAccount: ingressGatewayServiceAccount(gwName) };
    sourceIp = undefined; // the gateway pod's IP
    // Gateways call the pods directly unless istio.io/ingress-use-waypoint is set.
    viaWaypoint = !!binding.waypoint && svc.ingressUseWaypoint && !query.toPod;
    waypointSkipNote = binding.waypoint && !viaWaypoint ? 'the ingress gateway calls the pods directly (no istio.io/ingress-use-waypoint)' : undefined;
  }

  if (viaWaypoint && binding.waypoint) {
    const w = binding.waypoint;
    const target = query.toPod ? undefined : svc;
    const where = `waypoint ${w.namespace}/${w.name}`;
    if (!envoyHop('waypoint', where, index.waypointPolicies(target, w), index.waypointAuthn(target, w), query.toPod ? podPort : servicePort)) return finish(hops);
    identity = { trustDomain: td, namespace: w.namespace, serviceAccount: waypointServiceAccount(w) };
    sourceIp = undefined; // the waypoint pod's IP
  }

  const destNs = model.namespaces.get(svc.namespace);
  if (destNs?.sidecar) {
    // Sidecar mode: the destination pod's own Envoy enforces its selector, namespace and mesh policies
    // with every field, seeing the client's identity; STRICT mTLS rejects plaintext there.
    const sidecarMtls = effectiveMtls(model.kind('PeerAuthentication').map(l => l.obj), index.rootNamespace, svc.namespace, index.podLabels(svc), podPort);
    const at = `sidecar of ${svc.namespace}/${svc.name}'s pods`;
    if (sidecarMtls.mode === 'STRICT' && !identity) {
      push('sidecar', at, { allowed: 'no', policy: sidecarMtls.policy, reason: `STRICT mTLS (${sidecarMtls.level} PeerAuthentication ${sidecarMtls.policy}) rejects a client without a mesh identity (plaintext)`, needs: [] });
      return finish(hops);
    }
    envoyHop('sidecar', at, index.sidecarPolicies(svc), index.sidecarAuthn(svc), podPort);
    return finish(hops);
  }

  // ztunnel of the destination pods.
  const where = `ztunnel of ${svc.namespace}/${svc.name}'s pods`;
  if (destNs && !destNs.ambient) {
    push('ztunnel', where, { allowed: 'yes', reason: `namespace ${svc.namespace} is not in ambient mode: no ztunnel enforces policy for its pods`, needs: [] });
    return finish(hops);
  }
  const podLabels = index.podLabels(svc);
  const mtls = effectiveMtls(model.kind('PeerAuthentication').map(l => l.obj), index.rootNamespace, svc.namespace, podLabels, podPort);
  const strict: SyntheticDeny[] = mtls.mode === 'STRICT'
    ? [{ name: mtls.policy!, matches: identity ? 'no' : 'yes', reason: `STRICT mTLS (${mtls.level} PeerAuthentication ${mtls.policy}) rejects a client without a mesh identity (plaintext)` }]
    : [];
  const req: RequestAttributes = { identity, sourceIp, destinationIp: query.destinationIp, port: podPort };
  const d = evaluatePolicies('ztunnel', index.ztunnelPolicies(svc), req, strict);
  const notes = [binding.problem, waypointSkipNote].filter(Boolean);
  push('ztunnel', where, { ...d, reason: d.reason + (notes.length ? ` (${notes.join('; ')})` : '') });
  return finish(hops);
}

function podBindingOf(model: MeshModel, svc: ServiceInfo, workloads: WorkloadInfo[]): WaypointBinding {
  return podsWaypoint(workloads.map(w => model.podBinding(svc.namespace, w.podLabels)), model.podBinding(svc.namespace, {}));
}

function finish(hops: HopResult[]): AccessResult {
  // Denied: the hop that denied. Allowed: the first hop inside the mesh whose policy admitted the
  // request (the one that saw the client), else the ingress gateway's (it admits the edge's clients),
  // else the last hop.
  const undecided = hops.find(h => h.dependsOn);
  const deciding = undecided ?? hops.find(h => !h.allowed)
    ?? hops.find(h => h.policy && h.point !== 'gateway') ?? hops.find(h => h.policy) ?? hops[hops.length - 1];
  const allowed = hops.every(h => h.allowed);
  return {
    allowed,
    enforcedBy: deciding.point,
    policy: deciding.policy,
    reason: `${deciding.where}: ${deciding.reason}`,
    hops,
    ...(undecided ? { dependsOn: undecided.dependsOn } : {}),
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
