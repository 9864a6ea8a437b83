/**
 * What each proxy does with each AuthorizationPolicy field in ambient mode.
 *
 * ztunnel only receives what istiod converts for it (istio 1.30.3
 * `pilot/pkg/serviceregistry/ambient/authorization.go` `convertAuthorizationPolicy`/`handleRule`):
 * - a rule becomes an AND of clauses: one clause for all `to` entries, one for all `from` entries,
 *   one per `when` condition; inside a clause the entries are OR-ed;
 * - L7 fields are stripped from each entry, which stays in its clause (possibly empty);
 * - ALLOW: a rule that used any L7 field is dropped whole ("L7 policies never match for ALLOW");
 * - ztunnel skips an empty entry (`src/rbac.rs` `mg.is_empty() => continue`), so a clause whose
 *   entries were all L7-only never matches, and the rule (an AND) never matches: a DENY rule with
 *   such a clause has no effect; an entry that mixed L4 and L7 fields keeps its L4 part and so
 *   matches more than written;
 * - CUSTOM and AUDIT are not sent; dry-run policies are not sent (AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY
 *   defaults to false); policies with targetRefs are not for ztunnel.
 * Waypoints and gateways are Envoy and enforce every field.
 */

/** `when` keys ztunnel evaluates; any other key is L7 (`l4WhenAttributes`, authorization.go). */
export const ZTUNNEL_CONDITION_KEYS: ReadonlySet<string> = new Set([
  'source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port',
]);

/** Source fields istiod strips for ztunnel (`httpSources`). */
export const L7_SOURCE_FIELDS: readonly string[] = ['requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks', 'notRemoteIpBlocks'];
/** Operation fields istiod strips for ztunnel (`httpOperations`). */
export const L7_OPERATION_FIELDS: readonly string[] = ['methods', 'notMethods', 'paths', 'notPaths', 'hosts', 'notHosts'];

/** One match group ztunnel evaluates (`RbacMatch`): every non-empty field must match. */
export interface ZtunnelMatch {
  readonly namespaces?: string[];
  readonly notNamespaces?: string[];
  /** `<namespace>/<serviceaccount>`, the bare form already qualified with the policy's namespace. */
  readonly serviceAccounts?: string[];
  readonly notServiceAccounts?: string[];
  readonly principals?: string[];
  readonly notPrincipals?: string[];
  readonly sourceIps?: string[];
  readonly notSourceIps?: string[];
  readonly destinationIps?: string[];
  readonly notDestinationIps?: string[];
  readonly destinationPorts?: number[];
  readonly notDestinationPorts?: number[];
}

/** A rule as ztunnel holds it: an AND of clauses, each an OR of match groups. */
export type ZtunnelRule = ZtunnelMatch[][];

/** What ztunnel does with one rule of a policy without targetRefs. */
export type RuleFate =
  /** Only L4 fields: enforced as written. */
  | 'enforced'
  /** ALLOW rule with an L7 field: dropped, the traffic it allowed is denied. */
  | 'dropped'
  /** DENY rule with a clause made only of L7 fields: never matches (fails open). */
  | 'no-effect'
  /** DENY rule whose L7 fields shared entries with L4 fields: enforced on the L4 part alone (denies more). */
  | 'broadened';

function nonEmpty<T>(values: T[] | undefined): T[] | undefined {
  return values && values.length > 0 ? values : undefined;
}

function ports(values: string[] | undefined): number[] | undefined {
  // istiod skips values that are not a port number (`stringToPort`).
  return nonEmpty((values ?? []).filter(v => /^\d+$/.test(v) && Number(v) <= 65535).map(Number));
}

function qualifyServiceAccounts(values: string[] | undefined, policyNamespace: string): string[] | undefined {
  // A bare name means the policy's namespace (`stringToServiceAccountMatch`).
  return nonEmpty((values ?? []).map(v => (v.includes('/') ? v : `${policyNamespace}/${v}`)));
}

function clean(m: ZtunnelMatch): ZtunnelMatch {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as ZtunnelMatch;
}

/** Is a match group empty (ztunnel skips it: it matches nothing)? */
export function isEmptyMatch(m: ZtunnelMatch): boolean {
  return Object.values(m).every(v => v === undefined || (Array.isArray(v) && v.length === 0));
}

/** The L7 attributes a rule uses, e.g. `["methods", "request.headers[x-user]"]`; empty for an L4 rule. */
export function l7AttributesOf(rule: any): string[] {
  const found = new Set<string>();
  for (const from of rule?.from ?? []) {
    for (const field of L7_SOURCE_FIELDS) if (from?.source?.[field]?.length) found.add(field);
  }
  for (const to of rule?.to ?? []) {
    for (const field of L7_OPERATION_FIELDS) if (to?.operation?.[field]?.length) found.add(field);
  }
  for (const when of rule?.when ?? []) if (!ZTUNNEL_CONDITION_KEYS.has(when?.key)) found.add(when?.key);
  return [...found].sort();
}

/**
 * The rule istiod sends to ztunnel, or undefined when it drops it (an ALLOW rule with L7 fields).
 * @param policyNamespace qualifies bare `serviceAccounts` names.
 */
export function toZtunnelRule(rule: any, action: string, policyNamespace: string): ZtunnelRule | undefined {
  if (action === 'ALLOW' && l7AttributesOf(rule).length > 0) return undefined;
  const clauses: ZtunnelRule = [];
  const to: any[] = rule?.to ?? [];
  const from: any[] = rule?.from ?? [];
  if (to.length > 0) {
    clauses.push(to.map(t => clean({
      destinationPorts: ports(t?.operation?.ports),
      notDestinationPorts: ports(t?.operation?.notPorts),
    })));
  }
  if (from.length > 0) {
    clauses.push(from.map(f => {
      const s = f?.source ?? {};
      return clean({
        sourceIps: nonEmpty(s.ipBlocks),
        notSourceIps: nonEmpty(s.notIpBlocks),
        namespaces: nonEmpty(s.namespaces),
        notNamespaces: nonEmpty(s.notNamespaces),
        serviceAccounts: qualifyServiceAccounts(s.serviceAccounts, policyNamespace),
        notServiceAccounts: qualifyServiceAccounts(s.notServiceAccounts, policyNamespace),
        principals: nonEmpty(s.principals),
        notPrincipals: nonEmpty(s.notPrincipals),
      });
    }));
  }
  for (const w of rule?.when ?? []) {
    const pick = (k: string, values: string[] | undefined) => (w?.key === k ? nonEmpty(values) : undefined);
    clauses.push([clean({
      namespaces: pick('source.namespace', w?.values),
      notNamespaces: pick('source.namespace', w?.notValues),
      principals: pick('source.principal', w?.values),
      notPrincipals: pick('source.principal', w?.notValues),
      sourceIps: pick('source.ip', w?.values),
      notSourceIps: pick('source.ip', w?.notValues),
      destinationIps: pick('destination.ip', w?.values),
      notDestinationIps: pick('destination.ip', w?.notValues),
      destinationPorts: w?.key === 'destination.port' ? ports(w?.values) : undefined,
      notDestinationPorts: w?.key === 'destination.port' ? ports(w?.notValues) : undefined,
    })]);
  }
  return clauses;
}

/** Can a converted rule ever match (no clause made only of skipped empty groups)? */
export function canMatch(rule: ZtunnelRule): boolean {
  return rule.every(clause => clause.length === 0 || clause.some(m => !isEmptyMatch(m)));
}

/** What ztunnel does with one rule (see {@link RuleFate}). */
export function ztunnelRuleFate(rule: any, action: string): RuleFate {
  if (l7AttributesOf(rule).length === 0) return 'enforced';
  if (action === 'ALLOW') return 'dropped';
  const converted = toZtunnelRule(rule, action, 'default')!;
  return canMatch(converted) ? 'broadened' : 'no-effect';
}

/** What ztunnel does with a whole policy (without targetRefs), for messages and explain. */
export interface ZtunnelPolicyEffect {
  /** The policy reaches ztunnel at all. */
  readonly sent: boolean;
  /** Why it is not sent, when it is not. */
  readonly notSentReason?: string;
  /** Fate of each rule, by index. */
  readonly rules: RuleFate[];
  /** The L7 attributes istiod strips or drops. */
  readonly l7: string[];
  /** One sentence: what ztunnel does with it. */
  readonly summary: string;
}

/** The effect at ztunnel of a policy that has no targetRefs. */
export function ztunnelPolicyEffect(policy: any, options: { dryRunEnabled?: boolean } = {}): ZtunnelPolicyEffect {
  const spec = policy?.spec ?? {};
  const action: string = spec.action ?? 'ALLOW';
  const rules: any[] = spec.rules ?? [];
  const l7 = [...new Set(rules.flatMap(r => l7AttributesOf(r)))].sort();
  if ((spec.targetRefs?.length ?? 0) > 0 || spec.targetRef) {
    return { sent: false, notSentReason: 'it has targetRefs, which are for waypoints and gateways', rules: [], l7, summary: 'not sent to ztunnel (targetRefs)' };
  }
  if (action === 'CUSTOM' || action === 'AUDIT') {
    return { sent: false, notSentReason: `ztunnel does not support the ${action} action`, rules: [], l7, summary: `ignored by ztunnel (${action} is not supported)` };
  }
  if (isDryRun(policy) && !options.dryRunEnabled) {
    return { sent: false, notSentReason: 'dry-run policies reach ztunnel only with AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true', rules: [], l7, summary: 'not sent to ztunnel (dry-run)' };
  }
  const fates = rules.map(r => ztunnelRuleFate(r, action));
  return { sent: true, rules: fates, l7, summary: summarizeFates(action, fates, rules.length) };
}

function summarizeFates(action: string, fates: RuleFate[], count: number): string {
  if (count === 0) return action === 'ALLOW' ? 'allow-nothing: allows nothing to what it selects' : 'no rules: matches nothing';
  const n = (f: RuleFate) => fates.filter(x => x === f).length;
  if (action === 'ALLOW') {
    if (n('dropped') === 0) return 'enforced as written';
    if (n('dropped') === count) return 'every rule uses L7 attributes and is dropped: at ztunnel it allows nothing';
    return `${n('dropped')} of ${count} rules use L7 attributes and are dropped: the traffic they allow is denied`;
  }
  const parts: string[] = [];
  if (n('no-effect') > 0) parts.push(`${n('no-effect')} rule${n('no-effect') === 1 ? '' : 's'} with an L7-only clause never match${n('no-effect') === 1 ? 'es' : ''} (no effect: fails open)`);
  if (n('broadened') > 0) parts.push(`${n('broadened')} rule${n('broadened') === 1 ? '' : 's'} enforced on the L4 part alone (denies more than written)`);
  if (parts.length === 0) return 'enforced as written';
  if (n('no-effect') === count) return 'every rule has an L7-only clause: no effect at ztunnel (fails open)';
  return parts.join('; ');
}

/** The `istio.io/dry-run` annotation is set to true. */
export function isDryRun(policy: any): boolean {
  return String(policy?.metadata?.annotations?.['istio.io/dry-run'] ?? '').toLowerCase() === 'true';
}

/** Explains a rule's fate in words, for messages (AMB101, construct errors, check-access). */
export function describeRuleFate(fate: RuleFate): string {
  switch (fate) {
    case 'dropped': return 'ztunnel drops an ALLOW rule that uses L7 attributes, so the traffic it allows is denied';
    case 'no-effect': return 'istiod strips the L7 fields and ztunnel skips the emptied clause, so this DENY rule never matches at ztunnel: it has no effect (fails open)';
    case 'broadened': return 'istiod strips the L7 fields, so ztunnel enforces this DENY rule on its L4 part alone and denies more than written';
    default: return 'enforced as written';
  }
}

/** How to read the principals of a ztunnel DENY that stands in front of a waypoint. */
export interface WaypointTrafficContext {
  /** Whether a principal names the waypoint's identity. */
  readonly namesWaypoint: (principal: string) => boolean;
  /** Whether a principal names an ingress gateway. */
  readonly isIngressPrincipal: (principal: string) => boolean;
  /** Whether ingress traffic to the destination goes through the waypoint (`istio.io/ingress-use-waypoint`). */
  readonly ingressUsesWaypoint: boolean;
}

/**
 * Whether a DENY enforced by ztunnel on pods that a waypoint serves fails to match the traffic that
 * comes through the waypoint: ztunnel then sees the waypoint's identity, not the client's. It still
 * holds when it names the waypoint itself, or names only ingress gateways, which reach the pods
 * directly unless the destination sets ingress-use-waypoint. `rules` are AuthorizationPolicy rules.
 */
export function ztunnelDenyMissesWaypointTraffic(rules: any[], ctx: WaypointTrafficContext): boolean {
  const sources = rules.flatMap(r => (r.from ?? []).map((f: any) => f.source ?? {}));
  if (sources.some((src: any) => [...src.principals ?? [], ...src.notPrincipals ?? []].some(ctx.namesWaypoint))) return false;
  const byIdentity = (src: any) => src.principals?.length || src.namespaces?.length || src.serviceAccounts?.length
    || src.notPrincipals?.length || src.notNamespaces?.length;
  return sources
    .filter(byIdentity)
    .some((src: any) => {
      const onlyPrincipals = src.principals?.length
        && !(src.namespaces?.length || src.serviceAccounts?.length || src.notPrincipals?.length || src.notNamespaces?.length);
      const onlyIngress = onlyPrincipals && (src.principals as string[]).every(ctx.isIngressPrincipal);
      return !(onlyIngress && !ctx.ingressUsesWaypoint);
    });
}
