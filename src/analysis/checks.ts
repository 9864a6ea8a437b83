/**
 * The checks: each one reads the model and reports what Istio ambient will do that the manifests'
 * author probably did not intend. Every check is linear in the objects it looks at.
 */
import { key, K8sObject, Located, MeshModel, ServiceInfo, WaypointRef } from './model';
import { MULTICLUSTER_CHECKS } from './multicluster-checks';
import { checkOverlaps, OVERLAP_CHECKS } from './overlap-checks';
import { checkThirdPartyIngress, THIRD_PARTY_INGRESS_CHECKS } from './third-party-ingress-checks';
import { matchesEverything } from '../semantics/canonical-rules';
import { l7AttributesOf, RuleFate, ztunnelDenyMissesWaypointTraffic, ztunnelPolicyEffect } from '../semantics/enforcement';
import { conflictingInjectionLabels, namespaceInjectionLabel, namespaceRequestsAmbient } from '../semantics/membership';
import { selectorMatches, selectorsSelectSamePods } from '../semantics/selectors';

export type Severity = 'error' | 'warning' | 'info';

/** What a finding code means (shared by all findings of that code). */
export interface CheckInfo {
  readonly code: string;
  readonly severity: Severity;
  readonly title: string;
  /** Matching istioctl analyze / Kiali codes. */
  readonly upstream?: string[];
}

export const CHECKS: { [code: string]: CheckInfo } = {};
function check(code: string, severity: Severity, title: string, upstream?: string[]): string {
  CHECKS[code] = { code, severity, title, upstream };
  return code;
}

const SCHEMA = check('AMB001', 'error', 'Invalid Istio resource (fails admission or CEL validation)', ['IST0106']);
const L7_AT_ZTUNNEL = check('AMB101', 'error', 'L7 authorization rules enforced by ztunnel', ['KIA0110', 'IST0171']);
const SERVICE_WITHOUT_WAYPOINT = check('AMB102', 'error', 'Resource attached to a Service that has no waypoint', ['KIA0109', 'KIA1110', 'KIA1111', 'KIA1112', 'KIA1113', 'IST0171']);
const UNRESOLVED_WAYPOINT = check('AMB103', 'warning', 'istio.io/use-waypoint names a waypoint that is not in the manifests', ['KIA1313']);
const NOT_ADMITTED = check('AMB104', 'error', 'Cross-namespace waypoint does not admit the consumer namespace', ['IST0171']);
const WAYPOINT_FOR_MISMATCH = check('AMB105', 'error', 'Waypoint does not serve the traffic type of what uses it (waypoint-for)', ['IST0171']);
const SIDECAR_AND_AMBIENT = check('AMB106', 'error', 'Sidecar injection and ambient on the same namespace or pod', ['IST0123', 'KIA1311', 'KIA1316']);
const IDENTITY_BEHIND_WAYPOINT = check('AMB107', 'error', 'ztunnel policy matches client identities, but a waypoint is in front');
const INGRESS_BYPASS = check('AMB108', 'warning', 'Ingress traffic bypasses the waypoint that enforces L7 policy');
const MISSING_REQUIRE_WAYPOINT = check('AMB109', 'warning', 'Waypoint policy can be bypassed: ztunnel does not require the waypoint');
const INEFFECTIVE_IN_AMBIENT = check('AMB110', 'warning', 'Resource has no effect in ambient mode', ['IST0167', 'KIA1115', 'KIA1116', 'KIA1117']);
const VS_AND_ROUTE = check('AMB111', 'error', 'VirtualService and HTTPRoute/GRPCRoute for the same Service');
const SUBSET_SELECTS_NO_PODS = check('AMB112', 'error', 'DestinationRule subset selects none of the Service\'s pods', ['IST0173', 'KIA0203']);
const DR_NAMESPACE = check('AMB113', 'warning', 'DestinationRule outside the namespace of its ambient Service', ['KIA0212']);
const PA_DISABLE = check('AMB114', 'error', 'PeerAuthentication DISABLE is ignored in ambient');
const PA_PORT_LEVEL = check('AMB115', 'error', 'portLevelMtls without a workload selector');
const JWT_SPLIT = check('AMB116', 'error', 'requestPrincipals without a RequestAuthentication at the same waypoint');
const NO_ACCESS_LOG_PROVIDER = check('AMB117', 'warning', 'Telemetry access logging without a provider, and meshConfig has no default', ['IST0157']);
const RESILIENCE_WITHOUT_WAYPOINT = check('AMB118', 'warning', 'Traffic policy for an ambient Service without waypoint is not applied', ['KIA0210', 'KIA0211']);
const VERSION_SKEW = check('AMB119', 'error', 'Istio component versions out of the supported skew');
const DEAD_WAYPOINT = check('AMB120', 'warning', 'Waypoint that nothing uses');
const UNDECLARED_PROTOCOL = check('AMB121', 'warning', 'Service port behind a waypoint with L7 rules does not declare its protocol', ['IST0118']);
const ALLOW_ALL = check('AMB122', 'warning', 'ALLOW rule that matches every request (rules: [{}])');
const ALLOW_NOTHING_BLOCKS_WAYPOINT = check('AMB123', 'error', 'allow-nothing at ztunnel also blocks the namespace waypoint');
const UNSUPPORTED_ACTION_AT_ZTUNNEL = check('AMB124', 'error', 'CUSTOM or AUDIT policy enforced by ztunnel (ignored)', ['IST0171']);
const NETWORK_POLICY_HBONE = check('AMB125', 'warning', 'NetworkPolicy restricts ports of ambient pods but not HBONE (15008)');
const INJECTION_LABELS = check('AMB126', 'warning', 'Namespace has more than one kind of injection label', ['IST0123']);
const UNDEFINED_SUBSET = check('AMB127', 'error', 'VirtualService routes or mirrors to a subset that no DestinationRule defines', ['IST0101', 'KIA1107']);
const UNDEFINED_PROVIDER = check('AMB128', 'warning', 'Telemetry names a provider that meshConfig does not define');
const DEPRECATED_PROVIDER = check('AMB129', 'warning', 'Telemetry uses a deprecated provider (Lightstep)', ['IST0002']);
const GATEWAY_SELECTOR = check('AMB130', 'warning', 'Selector policy selects the pods of a Gateway API gateway or waypoint (ignored)', ['IST0166']);
const NAMESPACE_POLICY_NO_PROXY = check('AMB131', 'warning', 'Namespace-wide RequestAuthentication or Telemetry in an ambient namespace that no proxy applies', ['KIA1110', 'KIA1112', 'KIA1115']);
const SELECTOR_MATCHES_NOTHING = check('AMB132', 'warning', 'AuthorizationPolicy selector matches no workload in the manifests', ['IST0127', 'KIA0004']);
const AUDIT_WITHOUT_PROVIDER = check('AMB133', 'warning', 'AUDIT policy without an audit-capable provider (nothing is logged)');
const REGISTRY_ONLY_AMBIENT = check('AMB134', 'warning', 'outboundTrafficPolicy REGISTRY_ONLY does not restrict ambient pods');
// Duplicate objects and merged DestinationRules (AMB135, AMB136) live in their own file.
for (const info of OVERLAP_CHECKS) check(info.code, info.severity, info.title, info.upstream);
// Third-party ingress checks (AMB140, AMB141) live in their own file.
for (const info of THIRD_PARTY_INGRESS_CHECKS) check(info.code, info.severity, info.title, info.upstream);
// Cross-cluster checks (AMB142-AMB150) run over several clusters' models: multicluster-checks.ts.
for (const info of MULTICLUSTER_CHECKS) check(info.code, info.severity, info.title, info.upstream);

export interface RawFinding {
  readonly code: string;
  readonly located: Located;
  readonly message: string;
  readonly fix: string;
}

type Report = (code: string, located: Located, message: string, fix: string) => void;

const SECURITY = 'security.istio.io';
const ATTACHABLE = new Set(['AuthorizationPolicy', 'RequestAuthentication', 'Telemetry', 'WasmPlugin']);

function group(o: K8sObject): string {
  return o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
}

function ns(o: K8sObject): string {
  return o.metadata.namespace ?? 'default';
}

function name(o: K8sObject): string {
  return `${o.kind} ${ns(o)}/${o.metadata.name ?? ''}`;
}

function principalOf(w: WaypointRef): string {
  return `/ns/${w.namespace}/sa/${w.name}`;
}

/** Principals are written `<trustDomain>/ns/<ns>/sa/<sa>`; compare without the trust domain. */
function hasPrincipal(principals: string[] | undefined, w: WaypointRef): boolean {
  return (principals ?? []).some(p => p.endsWith(principalOf(w)));
}

function identitySources(rule: any): boolean {
  return (rule.from ?? []).some((f: any) => f.source?.principals?.length || f.source?.namespaces?.length || f.source?.serviceAccounts?.length
    || f.source?.notPrincipals?.length || f.source?.notNamespaces?.length);
}

/** Services a targetRefs policy attaches to: named Services, or every Service bound to a named waypoint Gateway. */
function targetedServices(model: MeshModel, o: K8sObject): { service?: ServiceInfo; ref: any }[] {
  return (o.spec?.targetRefs ?? []).filter((r: any) => r.kind === 'Service').map((ref: any) => ({ ref, service: model.service(ns(o), ref.name) }));
}

function isRootNamespace(namespace: string): boolean {
  return namespace === 'istio-system';
}

export function runChecks(model: MeshModel): RawFinding[] {
  const findings: RawFinding[] = [];
  const report: Report = (code, located, message, fix) => findings.push({ code, located, message, fix });
  checkSchema(model, report);
  checkNamespacesAndPods(model, report);
  checkWaypointBindings(model, report);
  checkAuthorization(model, report);
  checkAttachments(model, report);
  checkRoutes(model, report);
  checkDestinationRules(model, report);
  checkPeerAuthentication(model, report);
  checkTelemetry(model, report);
  checkInstall(model, report);
  checkOutboundPolicy(model, report);
  checkNetworkPolicies(model, report);
  checkThirdPartyIngress(model, report);
  checkOverlaps(model, report);
  return findings;
}

function checkSchema(model: MeshModel, report: Report): void {
  for (const l of model.objects) {
    const o = l.obj;
    if (!ATTACHABLE.has(o.kind) || !group(o).endsWith('istio.io')) continue;
    if (o.spec?.selector && (o.spec?.targetRefs?.length || o.spec?.targetRef)) {
      report(SCHEMA, l, `${name(o)} sets both selector and targetRefs; the API server rejects it ("only one of targetRefs or selector can be set").`, 'Keep targetRefs for waypoint or gateway enforcement, or selector for ztunnel.');
    }
    for (const ref of o.spec?.targetRefs ?? []) {
      if (ref.namespace) {
        report(SCHEMA, l, `${name(o)} has a targetRef with namespace "${ref.namespace}"; cross-namespace targetRefs are rejected ("cross namespace referencing is not currently supported").`, 'Move the policy into the namespace of its target and drop targetRef.namespace.');
      }
    }
    if (o.kind === 'RequestAuthentication') {
      for (const rule of o.spec?.jwtRules ?? []) {
        if (rule.jwks && (rule.jwksUri || rule.jwks_uri)) {
          report(SCHEMA, l, `${name(o)} sets both jwks and jwksUri for issuer ${rule.issuer}; the API server rejects it.`, 'Keep one of them.');
        }
      }
    }
  }
}

function checkNamespacesAndPods(model: MeshModel, report: Report): void {
  for (const n of model.namespaces.values()) {
    const injection = namespaceInjectionLabel(n.labels);
    if (namespaceRequestsAmbient(n.labels) && injection) {
      report(SIDECAR_AND_AMBIENT, n.located, `Namespace ${n.name} is labelled for ambient and for sidecar injection (${injection}): the sidecar wins and ztunnel skips its pods.`,
        'Remove istio-injection / istio.io/rev from the namespace (or set istio-injection=disabled), or drop istio.io/dataplane-mode=ambient to stay on sidecars.');
      continue;
    }
    const conflict = isRootNamespace(n.name) ? [] : conflictingInjectionLabels(n.labels);
    if (conflict.length > 0) {
      report(INJECTION_LABELS, n.located, `Namespace ${n.name} has more than one kind of injection label (${conflict.join(', ')}): istioctl analyze reports it (IST0123), and which one applies depends on the webhook's selectors, not on what the labels say together.`,
        'Keep one: istio-injection=enabled or istio.io/rev for sidecars, or istio.io/dataplane-mode for ambient.');
    }
  }
  for (const workloads of model.workloadsByNamespace.values()) {
    for (const w of workloads) {
      const nsSidecar = model.namespaces.get(w.namespace)?.sidecar ?? false;
      if (w.membership.sidecar && w.membership.ambientRequested && !(nsSidecar && model.namespaces.get(w.namespace)?.labels['istio.io/dataplane-mode'] === 'ambient')) {
        const why = w.podLabels['sidecar.istio.io/inject'] === 'true' ? 'sidecar.istio.io/inject=true'
          : w.podLabels['istio.io/rev'] !== undefined && !nsSidecar ? `istio.io/rev=${w.podLabels['istio.io/rev']}`
            : `its namespace's ${namespaceInjectionLabel(model.namespaces.get(w.namespace)?.labels ?? {})}`;
        report(SIDECAR_AND_AMBIENT, w.located, `${name(w.located.obj)} gets a sidecar (${why}) while its pods are asked into ambient: the sidecar wins and ztunnel skips them.`,
          'Remove the sidecar opt-in (or label the pods sidecar.istio.io/inject=false), or label the pods istio.io/dataplane-mode=none to stay on sidecars.');
      }
    }
  }
}

function checkWaypointBindings(model: MeshModel, report: Report): void {
  const consumers: { located: Located; ref: WaypointRef; consumerNs: string; type: 'service' | 'workload' | 'namespace'; what: string }[] = [];
  for (const n of model.namespaces.values()) {
    const ref = model.namespaceWaypoint(n.name);
    if (ref) consumers.push({ located: n.located, ref, consumerNs: n.name, type: 'namespace', what: `Namespace ${n.name}` });
  }
  for (const s of model.services.values()) {
    if (s.explicitWaypointLabel && s.waypoint) consumers.push({ located: s.located, ref: s.waypoint, consumerNs: s.namespace, type: 'service', what: `Service ${s.namespace}/${s.name}` });
  }
  for (const l of model.kind('ServiceEntry')) {
    const label = l.obj.metadata.labels?.['istio.io/use-waypoint'];
    if (label && label !== 'none') {
      const ref = { name: label, namespace: l.obj.metadata.labels?.['istio.io/use-waypoint-namespace'] ?? ns(l.obj) };
      model.referencedWaypoints.add(key(ref.namespace, ref.name));
      consumers.push({ located: l, ref, consumerNs: ns(l.obj), type: 'service', what: `ServiceEntry ${ns(l.obj)}/${l.obj.metadata.name}` });
    }
  }
  for (const workloads of model.workloadsByNamespace.values()) {
    for (const w of workloads) {
      const label = w.podLabels['istio.io/use-waypoint'];
      if (label && label !== 'none') {
        consumers.push({ located: w.located, ref: { name: label, namespace: w.podLabels['istio.io/use-waypoint-namespace'] ?? w.namespace }, consumerNs: w.namespace, type: 'workload', what: `${w.located.obj.kind} ${w.namespace}/${w.name}` });
      }
    }
  }
  for (const c of consumers) {
    if (c.ref.name === 'none') continue;
    const wp = model.waypoint(c.ref);
    if (!wp) {
      report(UNRESOLVED_WAYPOINT, c.located, `${c.what} uses waypoint "${c.ref.namespace}/${c.ref.name}", which is not in these manifests. If it does not exist in the cluster either, ztunnel sends the traffic straight to the destination and L7 policy is skipped.`,
        `Declare the waypoint (a Gateway of class istio-waypoint named ${c.ref.name} in ${c.ref.namespace}), or fix the label.`);
      continue;
    }
    const serves = c.type === 'workload' ? ['workload', 'all'] : ['service', 'all'];
    if (c.type !== 'namespace' && !serves.includes(wp.trafficType)) {
      report(WAYPOINT_FOR_MISMATCH, c.located, `${c.what} uses waypoint ${wp.namespace}/${wp.name}, which serves ${wp.trafficType} traffic: Istio does not bind it (UnsupportedTrafficType) and the traffic skips the waypoint.`,
        `Set istio.io/waypoint-for on the waypoint to ${c.type === 'workload' ? 'workload' : 'service'} or all.`);
    }
    if (c.type === 'namespace' && !['service', 'all'].includes(wp.trafficType)) {
      report(WAYPOINT_FOR_MISMATCH, c.located, `${c.what} uses waypoint ${wp.namespace}/${wp.name}, which serves ${wp.trafficType} traffic: the namespace's Services are not bound to it and their traffic skips it.`,
        'Set istio.io/waypoint-for to service or all, or enroll the workloads individually.');
    }
    if (c.consumerNs !== wp.namespace && !admits(wp.located.obj, c.consumerNs, model)) {
      report(NOT_ADMITTED, c.located, `${c.what} uses waypoint ${wp.namespace}/${wp.name} in another namespace, but its listener's allowedRoutes does not admit namespace ${c.consumerNs}: Istio refuses the binding (AttachmentDenied) and the traffic skips the waypoint.`,
        `Add ${c.consumerNs} to spec.listeners[].allowedRoutes.namespaces of the waypoint (from: Selector on kubernetes.io/metadata.name, or All).`);
    }
  }
  for (const wp of model.waypoints.values()) {
    if (!model.referencedWaypoints.has(key(wp.namespace, wp.name))) {
      report(DEAD_WAYPOINT, wp.located, `Waypoint ${wp.namespace}/${wp.name} is not used by any namespace, Service, ServiceEntry or pod (istio.io/use-waypoint): it carries no traffic and its policies apply to nothing.`,
        'Label its consumers with istio.io/use-waypoint, or remove it.');
    }
  }
}

function admits(gateway: K8sObject, namespace: string, model: MeshModel): boolean {
  const listeners: any[] = gateway.spec?.listeners ?? [];
  return listeners.some(l => {
    const nsSpec = l.allowedRoutes?.namespaces;
    const from = nsSpec?.from ?? 'Same';
    if (from === 'All') return true;
    if (from === 'Same') return namespace === (gateway.metadata.namespace ?? 'default');
    const labels: { [k: string]: string } = { ...(model.namespaces.get(namespace)?.labels ?? {}), 'kubernetes.io/metadata.name': namespace };
    const sel = nsSpec?.selector ?? {};
    const byLabels = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    const byExpr = (sel.matchExpressions ?? []).every((e: any) => {
      const v = labels[e.key];
      if (e.operator === 'In') return v !== undefined && e.values.includes(v);
      if (e.operator === 'NotIn') return v === undefined || !e.values.includes(v);
      if (e.operator === 'Exists') return v !== undefined;
      return v === undefined;
    });
    return byLabels && byExpr;
  });
}

function checkAuthorization(model: MeshModel, report: Report): void {
  const aps = model.kind('AuthorizationPolicy').filter(l => group(l.obj) === SECURITY);
  // ztunnel ALLOW policies per namespace, to know whether a waypoint is admitted.
  const ztunnelAllows = new Map<string, K8sObject[]>();
  for (const l of aps) {
    const o = l.obj;
    if (o.spec?.targetRefs?.length || (o.spec?.action ?? 'ALLOW') !== 'ALLOW') continue;
    const list = ztunnelAllows.get(ns(o)) ?? [];
    list.push(o);
    ztunnelAllows.set(ns(o), list);
  }
  const admitsWaypoint = (namespace: string, w: WaypointRef, selector?: { [k: string]: string }) =>
    (ztunnelAllows.get(namespace) ?? []).concat(ztunnelAllows.get('istio-system') ?? [])
      .some(p => (!p.spec?.selector?.matchLabels || !selector
          || selectorsSelectSamePods(p.spec.selector.matchLabels, selector, model.workloadIndex(namespace)))
        && (p.spec?.rules ?? []).some((r: any) => (r.from ?? []).some((f: any) => hasPrincipal(f.source?.principals, w))));

  const auditProvider = model.extensionProviders.some((p: any) => p?.stackdriver !== undefined);
  for (const l of aps) {
    const o = l.obj;
    const action = o.spec?.action ?? 'ALLOW';
    const rules: any[] = o.spec?.rules ?? [];
    const attached = (o.spec?.targetRefs?.length ?? 0) > 0;
    const namespace = ns(o);
    if (action === 'ALLOW' && rules.some(r => matchesEverything(r))) {
      report(ALLOW_ALL, l, `${name(o)} has a rule that matches every request (\`{}\`): everything its scope receives is allowed, whatever the other rules say.`,
        'Name the sources, ports or operations the rule allows; delete the policy if allow-all is what you want.');
    }
    if (action === 'AUDIT' && attached && !auditProvider) {
      report(AUDIT_WITHOUT_PROVIDER, l, `${name(o)} is an AUDIT policy, but ${model.meshConfig ? 'meshConfig.extensionProviders defines no audit-capable provider' : 'no meshConfig with an audit-capable provider is in these manifests'}: AUDIT only marks matching requests, and a separate plugin must log them (the only supported one is Stackdriver), so nothing is audited.`,
        'Configure a stackdriver extension provider in meshConfig, or log the requests with a Telemetry access-logging filter instead.');
    }
    if (gatewaySelectorFinding(model, l, report)) continue;
    if (!attached) checkSelectorMatches(model, l, report);
    if (attached) continue;
    const ambient = model.isAmbient(namespace) === true || (isRootNamespace(namespace) && model.namespaces.size > 0);
    if (!ambient) continue;
    if (action === 'CUSTOM' || action === 'AUDIT') {
      report(UNSUPPORTED_ACTION_AT_ZTUNNEL, l, `${name(o)} is a ${action} policy without targetRefs in an ambient namespace: ztunnel does not support ${action} (status UnsupportedValue), so it is not enforced at all.`,
        'Attach it to a waypoint with targetRefs (the Service or the waypoint Gateway).');
      continue;
    }
    const l7 = [...new Set(rules.flatMap(r => l7AttributesOf(r)))].sort();
    if (l7.length > 0) {
      // What ztunnel really does with each rule (semantics/enforcement: istiod handleRule, ztunnel rbac.rs).
      const fates = ztunnelPolicyEffect(o).rules;
      const which = (fate: RuleFate) => fates.map((f, i) => (f === fate ? i : -1)).filter(i => i >= 0);
      const list = (idx: number[]) => `rule${idx.length === 1 ? '' : 's'} ${idx.join(', ')}`;
      const effects: string[] = [];
      if (which('dropped').length) effects.push(`ztunnel drops the rules with HTTP attributes (${list(which('dropped'))}), so the traffic they allow is denied`);
      if (which('no-effect').length) effects.push(`istiod strips the HTTP fields and ztunnel skips the emptied clause, so ${list(which('no-effect'))} never match${which('no-effect').length === 1 ? 'es' : ''}: no effect at ztunnel (fails open)`);
      if (which('broadened').length) effects.push(`istiod strips the HTTP fields, so ztunnel enforces ${list(which('broadened'))} on the L4 part alone and denies more than written`);
      report(L7_AT_ZTUNNEL, l, `${name(o)} uses L7 attributes (${l7.join(', ')}) but has no targetRefs, so ztunnel enforces it: ${effects.join('; ')}.`,
        'Attach it to the waypoint with targetRefs (kind Service, or the waypoint Gateway); without a waypoint, deploy one or drop the L7 attributes.');
    }
    const selector: { [k: string]: string } | undefined = o.spec?.selector?.matchLabels;
    if (rules.some(identitySources) && !isRootNamespace(namespace)) {
      // Harmful only if the waypoint's own traffic is then denied (ALLOW: nothing admits the
      // waypoint) or the author did not account for the waypoint (DENY that never names it).
      const behind = model.waypointServicesOverlapping(namespace, selector)
        .filter(s => action === 'DENY'
          ? denyMissesClients(model, rules, s)
          : !admitsWaypoint(namespace, s.waypoint!, s.selector));
      if (behind.length > 0) {
        const s = behind[0];
        report(IDENTITY_BEHIND_WAYPOINT, l, `${name(o)} is enforced by ztunnel and matches client identities, but Service ${s.namespace}/${s.name} is served by waypoint ${s.waypoint!.namespace}/${s.waypoint!.name}: ztunnel sees the waypoint's identity, not the client's, so the rule ${action === 'DENY' ? 'never matches' : 'denies those clients'}.`,
          `Enforce identity rules at the waypoint (targetRefs to the Service), and let ztunnel admit only the waypoint (principal .../ns/${s.waypoint!.namespace}/sa/${s.waypoint!.name}).`);
      }
    }
    if (action === 'ALLOW' && rules.length === 0 && !selector) {
      const blocked = (model.servicesByNamespace.get(namespace) ?? []).filter(s => s.waypoint && !admitsWaypoint(namespace, s.waypoint));
      if (blocked.length > 0) {
        const w = blocked[0].waypoint!;
        report(ALLOW_NOTHING_BLOCKS_WAYPOINT, l, `${name(o)} denies everything at ztunnel in namespace ${namespace}, and no ztunnel ALLOW admits waypoint ${w.namespace}/${w.name}: traffic through the waypoint is denied too (waypoints ignore namespace policies, but the destination ztunnel does not).`,
          `Add a ztunnel ALLOW for principal <trustDomain>/ns/${w.namespace}/sa/${w.name} (the docs' require-waypoint policy).`);
      }
    }
  }

  // Waypoint-attached policies for a Service whose pods ztunnel does not restrict to the waypoint.
  for (const l of aps) {
    const o = l.obj;
    const action = o.spec?.action ?? 'ALLOW';
    if (action !== 'ALLOW' && action !== 'DENY') continue;
    for (const { service } of targetedServices(model, o)) {
      if (!service?.waypoint || model.isAmbient(service.namespace) !== true) continue;
      if (!admitsWaypoint(service.namespace, service.waypoint, service.selector)) {
        report(MISSING_REQUIRE_WAYPOINT, l, `${name(o)} is enforced at waypoint ${service.waypoint.namespace}/${service.waypoint.name} for Service ${service.namespace}/${service.name}, but no ztunnel policy admits only the waypoint: clients that dial the pods directly, or any client while the waypoint is down, skip this policy.`,
          `Add a ztunnel ALLOW (selector on the Service's pods) admitting principal <trustDomain>/ns/${service.waypoint.namespace}/sa/${service.waypoint.name}.`);
      }
    }
  }
}

/** The principal of an ingress Gateway (class istio) in the manifests: istiod names its service account `<name>-istio`. */
function isIngressPrincipal(model: MeshModel, principal: string): boolean {
  return [...model.ingressGateways.values()].some(g => principal.endsWith(`/ns/${ns(g.obj)}/sa/${g.obj.metadata.name}-istio`));
}

/**
 * A ztunnel DENY on the pods of waypoint-served Service `s` never sees the identities it names, unless
 * it names the waypoint, or names only ingress gateways that reach the pods directly (no
 * ingress-use-waypoint on the Service).
 */
function denyMissesClients(model: MeshModel, rules: any[], s: ServiceInfo): boolean {
  return ztunnelDenyMissesWaypointTraffic(rules, {
    namesWaypoint: p => hasPrincipal([p], s.waypoint!),
    isIngressPrincipal: p => isIngressPrincipal(model, p),
    ingressUsesWaypoint: s.ingressUseWaypoint,
  });
}

/**
 * IST0166: a selector-based policy whose selector picks the pods of a Gateway API gateway or
 * waypoint. Gateway API proxies take policy through targetRefs; waypoints never use selectors, so it
 * is ignored there. Returns whether it reported.
 */
function gatewaySelectorFinding(model: MeshModel, l: Located, report: Report): boolean {
  const o = l.obj;
  const selector: { [k: string]: string } | undefined = o.spec?.selector?.matchLabels;
  if (!selector || Object.keys(selector).length === 0 || o.spec?.targetRefs?.length || o.spec?.targetRef) return false;
  const hit = (model.gatewayPods.get(ns(o)) ?? []).find(g => selectorMatches(selector, g.labels));
  if (!hit) return false;
  report(GATEWAY_SELECTOR, l, `${name(o)} selects the pods of ${hit.waypoint ? 'waypoint' : 'Gateway'} ${hit.namespace}/${hit.gateway} with a workload selector: Gateway API ${hit.waypoint ? 'waypoints never apply selector-based policies' : 'gateways take policy through targetRefs'}, so it has no effect there (IST0166).`,
    `Replace the selector with targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: ${hit.gateway}}].`);
  return true;
}

/**
 * IST0127: a selector AuthorizationPolicy that matches none of the mesh workloads of its namespace
 * (the root namespace: of any namespace). Judged only where the manifests declare mesh workloads.
 */
function checkSelectorMatches(model: MeshModel, l: Located, report: Report): void {
  const o = l.obj;
  const selector: { [k: string]: string } | undefined = o.spec?.selector?.matchLabels;
  if (!selector || Object.keys(selector).length === 0) return;
  const namespace = ns(o);
  const selected = isRootNamespace(namespace)
    ? [...model.workloadsByNamespace.keys()].flatMap(n => model.workloadIndex(n).select(selector))
    : model.workloadIndex(namespace).select(selector);
  const declared = isRootNamespace(namespace) ? model.workloadsByNamespace.size > 0 : model.workloadsByNamespace.has(namespace);
  if (!declared || selected.some(w => w.membership.ambient || w.membership.sidecar)) return;
  const labels = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
  report(SELECTOR_MATCHES_NOTHING, l, `${name(o)} selects ${labels}, which matches none of the mesh workloads declared in namespace ${isRootNamespace(namespace) ? '(any)' : namespace}: the policy applies to nothing.`,
    'Fix the selector to the pod labels of the workload it protects (or put the workload in the mesh).');
}

function checkAttachments(model: MeshModel, report: Report): void {
  const ras = model.kind('RequestAuthentication');
  const raAttachments = new Set<string>();
  for (const l of ras) {
    for (const ref of l.obj.spec?.targetRefs ?? []) raAttachments.add(`${ns(l.obj)}/${ref.kind}/${ref.name}`);
  }
  for (const l of model.objects) {
    const o = l.obj;
    if (!ATTACHABLE.has(o.kind) || !group(o).endsWith('istio.io')) continue;
    const namespace = ns(o);
    const gatewaySelected = o.kind !== 'AuthorizationPolicy' && gatewaySelectorFinding(model, l, report);
    if (o.kind !== 'AuthorizationPolicy' && !gatewaySelected && o.spec?.selector && model.isAmbient(namespace) === true) {
      report(INEFFECTIVE_IN_AMBIENT, l, `${name(o)} selects pods with a workload selector in an ambient namespace: ztunnel does not apply ${o.kind}, and waypoints ignore selector-based ${o.kind}, so it has no effect.`,
        'Attach it to the waypoint with targetRefs (kind Service or Gateway).');
    }
    for (const { service, ref } of targetedServices(model, o)) {
      if (!service) continue; // not in the manifests: cannot judge
      if (!service.waypoint) {
        report(SERVICE_WITHOUT_WAYPOINT, l, `${name(o)} targets Service ${namespace}/${ref.name}, which has no waypoint (no istio.io/use-waypoint on it or its namespace): only waypoints apply targetRefs policies, so it is ignored (WaypointAccepted: AncestorNotBound).`,
          'Label the Service or namespace with istio.io/use-waypoint, or use a ztunnel policy (selector) for L4 rules.');
      }
    }
    if (o.kind === 'AuthorizationPolicy' && o.spec?.targetRefs?.length) {
      const jwtSource = (f: any) => f.source?.requestPrincipals?.length || f.source?.notRequestPrincipals?.length;
      const usesJwt = (o.spec?.rules ?? []).some((r: any) => (r.from ?? []).some(jwtSource))
        || (o.spec?.rules ?? []).some((r: any) => (r.when ?? []).some((w: any) => String(w.key).startsWith('request.auth.')));
      if (usesJwt) {
        const covered = (o.spec.targetRefs as any[]).every(ref => {
          if (raAttachments.has(`${namespace}/${ref.kind}/${ref.name}`)) return true;
          if (ref.kind === 'Service') {
            const svc = model.service(namespace, ref.name);
            return !!svc?.waypoint && raAttachments.has(`${svc.waypoint.namespace}/Gateway/${svc.waypoint.name}`);
          }
          return false;
        });
        if (!covered) {
          report(JWT_SPLIT, l, `${name(o)} matches JWT principals, but no RequestAuthentication is attached to the same targets: requests never carry a principal there, so its rules never match (an ALLOW denies, a DENY of missing principals denies everything).`,
            'Add a RequestAuthentication with the same targetRefs (or on the waypoint Gateway that serves them).');
        }
      }
    }
  }
  checkNamespaceWidePolicies(model, report);
  for (const l of [...model.kind('Sidecar'), ...model.kind('EnvoyFilter')]) {
    const o = l.obj;
    if (group(o) !== 'networking.istio.io' || model.isAmbient(ns(o)) !== true) continue;
    if (o.kind === 'EnvoyFilter' && o.spec?.targetRefs?.length) continue;
    report(INEFFECTIVE_IN_AMBIENT, l, `${name(o)} is in an ambient namespace: ${o.kind === 'Sidecar' ? 'Sidecar resources configure sidecar proxies only' : 'EnvoyFilter is not supported with waypoints or ztunnel'}, so it has no effect here.`,
      o.kind === 'Sidecar' ? 'Remove it; use waypoint routes and policies instead.' : 'Remove it, or express the change with Gateway API routes or Telemetry at the waypoint.');
  }
}

/**
 * Selector-less RequestAuthentication and Telemetry in an ambient namespace. ztunnel applies neither.
 * Waypoints apply a RequestAuthentication only through targetRefs (pilot/pkg/model/policyattachment.go
 * ShouldAttachPolicy), and a namespace-wide Telemetry only where a waypoint lives in, or serves, the
 * namespace (pilot/pkg/model/telemetry.go applicableTelemetries). An ingress gateway in the namespace
 * applies both.
 */
function checkNamespaceWidePolicies(model: MeshModel, report: Report): void {
  const servedNamespaces = new Set<string>();
  for (const w of model.waypoints.values()) servedNamespaces.add(w.namespace);
  for (const svc of model.services.values()) if (svc.waypoint) servedNamespaces.add(svc.namespace);
  for (const n of model.namespaces.values()) if (model.namespaceWaypoint(n.name)) servedNamespaces.add(n.name);
  const gatewayNamespaces = new Set([...model.gatewayPods.values()].flat().filter(g => !g.waypoint).map(g => g.namespace));
  for (const l of [...model.kind('RequestAuthentication'), ...model.kind('Telemetry')]) {
    const o = l.obj;
    if (!group(o).endsWith('istio.io') || o.spec?.selector || o.spec?.targetRefs?.length || o.spec?.targetRef) continue;
    const namespace = ns(o);
    if (isRootNamespace(namespace) || model.isAmbient(namespace) !== true || gatewayNamespaces.has(namespace)) continue;
    if (o.kind === 'RequestAuthentication') {
      report(NAMESPACE_POLICY_NO_PROXY, l, `${name(o)} has neither selector nor targetRefs in ambient namespace ${namespace}: ztunnel does not validate JWTs and waypoints apply a RequestAuthentication only through targetRefs, so no token is validated for this namespace.`,
        'Attach it to the waypoint with targetRefs (kind Gateway for the namespace waypoint, or kind Service).');
    } else if (!servedNamespaces.has(namespace)) {
      report(NAMESPACE_POLICY_NO_PROXY, l, `${name(o)} configures telemetry for ambient namespace ${namespace}, which no waypoint lives in or serves: ztunnel produces no spans or HTTP access logs and applies no Telemetry, so it has no effect.`,
        'Enroll the namespace (or its Services) in a waypoint (istio.io/use-waypoint), or remove the Telemetry.');
    }
  }
}

function routeServiceParents(o: K8sObject): string[] {
  return (o.spec?.parentRefs ?? []).filter((p: any) => p.kind === 'Service' && (p.group ?? '') === '').map((p: any) => p.name);
}

function checkRoutes(model: MeshModel, report: Report): void {
  const routes = [...model.kind('HTTPRoute'), ...model.kind('GRPCRoute')].filter(l => group(l.obj) === 'gateway.networking.k8s.io');
  const routedServices = new Map<string, Located>();
  for (const l of routes) {
    const o = l.obj;
    for (const parent of routeServiceParents(o)) {
      const svc = model.service(ns(o), parent);
      routedServices.set(key(ns(o), parent), l);
      if (svc && !svc.waypoint && model.isAmbient(svc.namespace) === true) {
        report(SERVICE_WITHOUT_WAYPOINT, l, `${name(o)} attaches to Service ${svc.namespace}/${svc.name}, which has no waypoint: Istio ignores the route for mesh traffic (ResolvedWaypoints: MissingUseWaypointLabel), including its timeouts and retries.`,
          'Enroll the Service or its namespace in a waypoint (istio.io/use-waypoint).');
      }
      if (svc?.waypoint) checkProtocol(model, svc, l, report);
    }
  }
  for (const l of model.kind('VirtualService')) {
    const o = l.obj;
    if ((o.spec?.gateways ?? []).some((g: string) => g !== 'mesh')) continue; // ingress VirtualServices mix fine
    for (const host of o.spec?.hosts ?? []) {
      const [svcName, svcNs] = String(host).split('.');
      const k = key(svcNs ?? ns(o), svcName);
      const svc = model.service(svcNs ?? ns(o), svcName);
      if (svc && !svc.waypoint && model.isAmbient(svc.namespace) === true) {
        report(SERVICE_WITHOUT_WAYPOINT, l, `${name(o)} routes mesh traffic for Service ${svc.namespace}/${svc.name}, which has no waypoint${svc.explicitWaypointLabel ? ' (istio.io/use-waypoint: none)' : ''}: in ambient only a waypoint applies VirtualService rules, so ztunnel sends the traffic straight to the pods and ignores it.`,
          'Enroll the Service or its namespace in a waypoint (istio.io/use-waypoint), or remove the VirtualService.');
      }
      if (routedServices.has(k)) {
        report(VS_AND_ROUTE, l, `${name(o)} and ${name(routedServices.get(k)!.obj)} both route Service ${k}: mixing VirtualService and Gateway API routes for the same Service is undefined in Istio (the HTTPRoute wins at the waypoint).`,
          'Keep one of them: move the VirtualService rules into the HTTPRoute.');
      }
    }
  }
  // Services whose waypoint enforces protection that ingress traffic should get too: a JWT
  // requirement, or a DENY that could match an ingress request. ALLOW rules at the waypoint are about
  // mesh clients; the ingress is admitted (or not) at ztunnel.
  const waypointProtected = new Set<string>();
  const waypointL7 = new Set<string>();
  const l7PolicyFor = new Map<string, Located>();
  for (const l of model.kind('AuthorizationPolicy')) {
    const o = l.obj;
    if (!o.spec?.targetRefs?.length) continue;
    const rules: any[] = o.spec?.rules ?? [];
    const jwt = rules.some(r => (r.from ?? []).some((f: any) => f.source?.requestPrincipals?.length || f.source?.notRequestPrincipals?.length));
    const anonymousDeny = (o.spec?.action === 'DENY') && rules.some(r => !(r.from ?? []).length || (r.from ?? []).some((f: any) => !(f.source?.principals?.length || f.source?.namespaces?.length)));
    const usesL7 = rules.some(r => l7AttributesOf(r).length > 0);
    for (const { service } of targetedServices(model, o)) {
      if (!service) continue;
      const k = key(service.namespace, service.name);
      waypointL7.add(k);
      if (jwt || anonymousDeny) waypointProtected.add(k);
      if (usesL7 && !l7PolicyFor.has(k)) l7PolicyFor.set(k, l);
    }
  }
  for (const l of routes) {
    const o = l.obj;
    const viaIngress = (o.spec?.parentRefs ?? []).some((p: any) => (p.kind ?? 'Gateway') === 'Gateway' && model.ingressGateways.has(key(p.namespace ?? ns(o), p.name)));
    if (!viaIngress) continue;
    for (const rule of o.spec?.rules ?? []) {
      for (const b of rule.backendRefs ?? []) {
        const svc = model.service(b.namespace ?? ns(o), b.name);
        if (svc?.waypoint && waypointProtected.has(key(svc.namespace, svc.name)) && !svc.ingressUseWaypoint) {
          report(INGRESS_BYPASS, l, `${name(o)} sends ingress traffic to Service ${svc.namespace}/${svc.name}, whose JWT requirement or DENY rules are enforced at waypoint ${svc.waypoint.namespace}/${svc.waypoint.name}; ingress gateways call the pods directly unless istio.io/ingress-use-waypoint is set, so that protection does not apply to ingress traffic.`,
            'Label the Service (or namespace) istio.io/ingress-use-waypoint=true (L7 then runs at the gateway and the waypoint), or enforce the policy at the gateway.');
        }
      }
    }
  }
  // Services with waypoint L7 policies: protocol must be declared.
  for (const [k, ap] of l7PolicyFor) {
    const svc = model.services.get(k);
    if (svc?.waypoint && !routedServices.has(k)) checkProtocol(model, svc, ap, report);
  }
}

const L7_PORT_PREFIXES = ['http', 'http2', 'https', 'grpc', 'grpc-web'];

function checkProtocol(model: MeshModel, svc: ServiceInfo, cause: Located, report: Report): void {
  for (const p of svc.ports) {
    const declared = p.appProtocol || L7_PORT_PREFIXES.some(prefix => p.name === prefix || String(p.name ?? '').startsWith(`${prefix}-`));
    if (!declared) {
      report(UNDECLARED_PROTOCOL, svc.located, `Service ${svc.namespace}/${svc.name} port ${p.port} does not declare its protocol (name "${p.name ?? ''}", no appProtocol), while ${name(cause.obj)} needs HTTP at waypoint ${svc.waypoint!.namespace}/${svc.waypoint!.name}: the waypoint has to sniff it, or treats it as TCP where HTTP routes and rules do not apply.`,
        'Name the port http-<x> or grpc-<x>, or set appProtocol (http, http2, grpc).');
      return;
    }
  }
  void model;
}

/** A VirtualService or DestinationRule host as `<namespace>/<name>` for cluster-local names, else the host itself. */
function hostKey(host: string, namespace: string): string {
  const parts = host.split('.');
  if (parts.length === 1) return key(namespace, host);
  if (parts.length === 2 || (parts.length >= 3 && parts[2] === 'svc')) return key(parts[1], parts[0]);
  return host;
}

/** IST0101: route and mirror destinations naming a subset that no DestinationRule for the host defines. */
function checkSubsetReferences(model: MeshModel, report: Report): void {
  const defined = new Set<string>();
  for (const l of model.kind('DestinationRule')) {
    for (const subset of l.obj.spec?.subsets ?? []) defined.add(`${hostKey(String(l.obj.spec?.host ?? ''), ns(l.obj))}+${subset.name}`);
  }
  for (const l of model.kind('VirtualService')) {
    const o = l.obj;
    if (group(o) !== 'networking.istio.io') continue;
    const destinations: { d: any; what: string }[] = [];
    for (const section of ['http', 'tcp', 'tls']) {
      for (const r of o.spec?.[section] ?? []) {
        for (const rd of r.route ?? []) if (rd.destination) destinations.push({ d: rd.destination, what: 'routes' });
        if (section === 'http' && r.mirror) destinations.push({ d: r.mirror, what: 'mirrors' });
        if (section === 'http') for (const m of r.mirrors ?? []) if (m.destination) destinations.push({ d: m.destination, what: 'mirrors' });
      }
    }
    for (const { d, what } of destinations) {
      if (!d.subset || defined.has(`${hostKey(String(d.host ?? ''), ns(o))}+${d.subset}`)) continue;
      const effect = what === 'routes' ? 'requests on that route fail with 503 (there is no cluster for the subset)' : 'nothing is mirrored';
      report(UNDEFINED_SUBSET, l, `${name(o)} ${what} to subset "${d.subset}" of host ${d.host}, which no DestinationRule for that host defines: ${effect}.`,
        `Define subset ${d.subset} in the DestinationRule for ${d.host}, or fix the subset name.`);
    }
  }
}

function checkDestinationRules(model: MeshModel, report: Report): void {
  checkSubsetReferences(model, report);
  for (const l of model.kind('DestinationRule')) {
    const o = l.obj;
    if (group(o) !== 'networking.istio.io') continue;
    const host = String(o.spec?.host ?? '');
    const parts = host.split('.');
    const svcNs = parts.length > 1 ? parts[1] : ns(o);
    const svc = model.service(svcNs, parts[0]);
    if (!svc) continue;
    // IST0173: a subset selects the Service's selector plus its labels. Judged when the manifests
    // declare some of the Service's pods.
    const pods = Object.keys(svc.selector).length > 0 ? model.workloadsOf(svc).map(w => w.podLabels) : [];
    for (const subset of pods.length > 0 ? o.spec?.subsets ?? [] : []) {
      if (!pods.some(p => selectorMatches(subset.labels ?? {}, p))) {
        const labels = Object.entries(subset.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
        report(SUBSET_SELECTS_NO_PODS, l, `${name(o)} subset "${subset.name}" (${labels}) selects none of the pods of Service ${svc.namespace}/${svc.name}: traffic routed to it fails with 503 (no healthy upstream).`,
          'Fix the subset labels to match a version of the Service\'s pods, or remove the subset and the routes to it.');
      }
    }
    if (model.isAmbient(svc.namespace) !== true) continue;
    if (svc.namespace !== ns(o)) {
      report(DR_NAMESPACE, l, `${name(o)} configures Service ${svc.namespace}/${svc.name} from namespace ${ns(o)}: for ambient Services the waypoint applies DestinationRules from the Service's namespace.`,
        `Move the DestinationRule to namespace ${svc.namespace}.`);
    }
    const tp = o.spec?.trafficPolicy ?? {};
    if (!svc.waypoint && (tp.connectionPool || tp.outlierDetection || tp.loadBalancer || tp.tls)) {
      report(RESILIENCE_WITHOUT_WAYPOINT, l, `${name(o)} sets traffic policy for ambient Service ${svc.namespace}/${svc.name}, which has no waypoint: ztunnel does not apply load balancing, connection pools, outlier detection or TLS settings.`,
        'Enroll the Service in a waypoint, or remove the DestinationRule.');
    }
  }
}

function checkPeerAuthentication(model: MeshModel, report: Report): void {
  for (const l of model.kind('PeerAuthentication')) {
    const o = l.obj;
    if (group(o) !== SECURITY) continue;
    const ambient = model.isAmbient(ns(o)) === true || (isRootNamespace(ns(o)) && [...model.namespaces.values()].some(n => n.ambient));
    const modes = [o.spec?.mtls?.mode, ...Object.values(o.spec?.portLevelMtls ?? {}).map((p: any) => p?.mode)];
    if (ambient && modes.includes('DISABLE')) {
      report(PA_DISABLE, l, `${name(o)} sets mTLS DISABLE: ambient always encrypts between ztunnels (HBONE) and ignores DISABLE, so plaintext is not what happens.`,
        'Use PERMISSIVE to accept plaintext from outside the mesh, or STRICT.');
    }
    if (o.spec?.portLevelMtls && Object.keys(o.spec.portLevelMtls).length > 0 && !o.spec?.selector) {
      report(PA_PORT_LEVEL, l, `${name(o)} sets portLevelMtls without a workload selector: the API server rejects it ("portLevelMtls requires selector").`,
        'Add a selector for the pods (the ports are container ports, not Service ports).');
    }
  }
}

function checkTelemetry(model: MeshModel, report: Report): void {
  const defaultAccessLogging: any[] = model.meshConfig?.defaultProviders?.accessLogging ?? [];
  const lightstep = new Set<string>(model.extensionProviders.filter((p: any) => p?.lightstep !== undefined).map((p: any) => p.name));
  for (const l of model.kind('Telemetry')) {
    const o = l.obj;
    if (group(o) !== 'telemetry.istio.io') continue;
    // IST0157 (telemetry.ProviderAnalyzer): access logging that is not disabled and names no provider
    // (a missing list and an empty one are the same), with no default access-logging provider.
    if (defaultAccessLogging.length === 0) {
      for (const entry of o.spec?.accessLogging ?? []) {
        if (entry?.disabled === true || (entry?.providers ?? []).length > 0) continue;
        report(NO_ACCESS_LOG_PROVIDER, l, `${name(o)} turns on access logging without a provider, and ${model.meshConfig ? 'meshConfig.defaultProviders.accessLogging is empty' : 'no meshConfig with defaultProviders.accessLogging is in these manifests'}: Istio ignores it (IST0157) and writes no access log.`,
          'Name a provider (providers: [{name: envoy}] for stdout), or set meshConfig.defaultProviders.accessLogging.');
        break;
      }
    }
    for (const section of [...(o.spec?.tracing ?? []), ...(o.spec?.accessLogging ?? []), ...(o.spec?.metrics ?? [])]) {
      for (const p of section?.providers ?? []) {
        // istiod looks providers up by name, ignoring case (pilot/pkg/model/telemetry.go fetchProvider).
        if (model.providers && ![...model.providers].some(d => d.toLowerCase() === String(p.name).toLowerCase())) {
          report(UNDEFINED_PROVIDER, l, `${name(o)} uses provider "${p.name}", which meshConfig.extensionProviders does not define (defined: ${[...model.providers].sort().join(', ')}): istiod skips the unknown provider and the telemetry is not produced.`,
            `Add an extension provider named ${p.name} to meshConfig, or use a defined one.`);
        }
      }
    }
    // IST0002 (telemetry.LightstepAnalyzer): tracing through a Lightstep provider.
    for (const t of o.spec?.tracing ?? []) {
      for (const p of t?.providers ?? []) {
        if (lightstep.has(p.name)) {
          report(DEPRECATED_PROVIDER, l, `${name(o)} traces through provider "${p.name}", a Lightstep provider: it is deprecated (IST0002).`,
            'Define an opentelemetry extension provider and trace through it instead.');
        }
      }
    }
  }
}

function parseVersion(v: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function checkInstall(model: MeshModel, report: Report): void {
  const istiods = model.chartReleases.filter(r => r.chart === 'istiod');
  for (const c of model.chartReleases.filter(r => r.chart === 'cni' || r.chart === 'ztunnel')) {
    // One install: compare with its istiod (cni/ztunnel may live in kube-system). Several: per namespace.
    const istiod = istiods.length === 1 ? istiods[0] : istiods.find(i => i.namespace === c.namespace);
    const iv = istiod && parseVersion(istiod.version);
    const cv = parseVersion(c.version);
    if (!iv || !cv) continue;
    const newer = cv[0] > iv[0] || (cv[0] === iv[0] && (cv[1] > iv[1] || (cv[1] === iv[1] && cv[2] > iv[2])));
    const tooOld = cv[0] !== iv[0] || iv[1] - cv[1] > 1;
    if (newer || tooOld) {
      report(VERSION_SKEW, c.located, `${c.chart} ${c.version} with istiod ${istiod!.version}: Istio supports ${c.chart} 1.x only with istiod 1.x or 1.x+1 (${newer ? `${c.chart} is newer than istiod` : 'more than one minor apart'}).`,
        `Upgrade istiod first, then ${c.chart}, keeping ${c.chart} at most one minor version behind.`);
    }
  }
}

/**
 * ztunnel does not read meshConfig.outboundTrafficPolicy (istio/istio#54281; the ztunnel chart passes
 * only meshConfig.defaultConfig.proxyMetadata to it), so REGISTRY_ONLY restricts sidecars only.
 */
function checkOutboundPolicy(model: MeshModel, report: Report): void {
  if (model.meshConfig?.outboundTrafficPolicy?.mode !== 'REGISTRY_ONLY') return;
  const ambient = [...model.namespaces.values()].filter(n => n.ambient).map(n => n.name).sort();
  if (ambient.length === 0) return;
  const install = model.chartReleases.find(r => r.chart === 'istiod');
  const located = install?.located ?? model.kind('ConfigMap').find(l => typeof l.obj.data?.mesh === 'string');
  if (!located) return;
  report(REGISTRY_ONLY_AMBIENT, located, `meshConfig.outboundTrafficPolicy.mode is REGISTRY_ONLY, but ztunnel does not enforce it: pods in ambient namespaces (${ambient.join(', ')}) still reach hosts that have no ServiceEntry, directly.`,
    'Lock egress down where it holds: a Kubernetes NetworkPolicy egress rule on the ambient pods that allows only in-cluster destinations and DNS, with external hosts declared as ServiceEntries behind an egress waypoint and an AuthorizationPolicy on it (see EgressHost).');
}

function checkNetworkPolicies(model: MeshModel, report: Report): void {
  for (const l of model.kind('NetworkPolicy')) {
    const o = l.obj;
    if (o.apiVersion !== 'networking.k8s.io/v1' || model.isAmbient(ns(o)) !== true) continue;
    const ingress: any[] = o.spec?.ingress ?? [];
    const portRules = ingress.filter(r => r.ports?.length);
    if (portRules.length === 0) continue;
    const allows15008 = ingress.some(r => !r.ports?.length || r.ports.some((p: any) => Number(p.port) === 15008));
    if (!allows15008) {
      report(NETWORK_POLICY_HBONE, l, `${name(o)} restricts ingress ports of pods in an ambient namespace without allowing 15008: mesh traffic arrives over HBONE on 15008 and is dropped, and the listed ports no longer restrict mesh traffic.`,
        'Add TCP port 15008 to the ingress rule, and enforce port restrictions with AuthorizationPolicy instead.');
    }
  }
}
