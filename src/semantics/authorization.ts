/**
 * AuthorizationPolicy matching and evaluation, at an Envoy proxy (waypoint or gateway: every field)
 * and at ztunnel (the converted L4 form, see ./enforcement). Istio's order: CUSTOM, then DENY,
 * then ALLOW (no ALLOW policy: allow; else allow only if one ALLOW rule matches), from the
 * AuthorizationPolicy API and ztunnel `src/state.rs` `assert_rbac` (ztunnel 1.30.3).
 *
 * A request may leave a dimension unknown (its source or destination IP): a rule that needs it
 * matches `unknown`, and a decision that hinges on it is reported as undecided, never guessed.
 */
import { cidrsContain, cidrsCoverEveryAddress } from './cidr';
import { isDryRun, isEmptyMatch, toZtunnelRule, ZtunnelMatch, ZtunnelRule, ztunnelPolicyEffect } from './enforcement';

/** Three-valued match: the request matches, does not, or it depends on a dimension it did not give. */
export type Tri = 'yes' | 'no' | 'unknown';

function and(values: Tri[]): Tri {
  if (values.includes('no')) return 'no';
  return values.includes('unknown') ? 'unknown' : 'yes';
}

function or(values: Tri[]): Tri {
  if (values.includes('yes')) return 'yes';
  return values.includes('unknown') ? 'unknown' : 'no';
}

function not(value: Tri): Tri {
  return value === 'unknown' ? 'unknown' : value === 'yes' ? 'no' : 'yes';
}

const tri = (b: boolean): Tri => (b ? 'yes' : 'no');

/** Istio string matching: exact, `prefix*`, `*suffix`, `*` (presence). A missing value matches nothing. */
export function matchValue(pattern: string, value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

/** The peer identity of a connection (SPIFFE `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`). */
export interface PeerIdentity {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** The principal string policies match (without `spiffe://`). */
export function principalOf(id: PeerIdentity): string {
  return `${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

/** What a proxy knows of a request. Undefined IPs are unknown; an undefined identity is a plaintext peer. */
export interface RequestAttributes {
  readonly identity?: PeerIdentity;
  readonly sourceIp?: string;
  readonly destinationIp?: string;
  readonly port?: number;
  readonly method?: string;
  readonly path?: string;
  readonly host?: string;
  /** Lower-case header names. */
  readonly headers?: { readonly [name: string]: string };
  /** `<iss>/<sub>` of a token validated at this proxy. */
  readonly requestPrincipal?: string;
  /** Claims of a token validated at this proxy. */
  readonly claims?: { readonly [name: string]: string[] };
}

/** Collects the dimensions a decision needed but the request did not give. */
export class Needs {
  private readonly found = new Set<string>();
  public add(what: string): void {
    this.found.add(what);
  }
  public get list(): string[] {
    return [...this.found].sort();
  }
}

function anyOf(patterns: string[] | undefined, value: string | undefined, match = matchValue): boolean {
  return (patterns ?? []).some(p => match(p, value));
}

/** A positive/negative field pair: unset matches; the positive needs one hit, the negative none. */
function pair(values: string[] | undefined, notValues: string[] | undefined, test: (patterns: string[]) => Tri): Tri {
  const parts: Tri[] = [];
  if (values?.length) parts.push(test(values));
  if (notValues?.length) parts.push(not(test(notValues)));
  return and(parts);
}

function ipTest(ip: string | undefined, what: string, needs: Needs): (cidrs: string[]) => Tri {
  return cidrs => {
    if (ip === undefined) {
      if (cidrsCoverEveryAddress(cidrs)) return 'yes';
      needs.add(what);
      return 'unknown';
    }
    return tri(cidrsContain(cidrs, ip));
  };
}

function serviceAccountMatches(entries: string[], id: PeerIdentity | undefined, policyNamespace: string): boolean {
  // Exact `<ns>/<sa>` or a bare `<sa>` in the policy's namespace; no wildcards; any trust domain.
  if (!id) return false;
  return entries.some(e => {
    const [ns, sa] = e.includes('/') ? e.split('/', 2) : [policyNamespace, e];
    return ns === id.namespace && sa === id.serviceAccount;
  });
}

function hostMatches(pattern: string, host: string | undefined): boolean {
  // Istio compares hosts case-insensitively.
  return matchValue(pattern.toLowerCase(), host?.toLowerCase());
}

function sourceMatches(s: any, r: RequestAttributes, policyNamespace: string, needs: Needs): Tri {
  if (!s) return 'yes';
  const principal = r.identity ? principalOf(r.identity) : undefined;
  return and([
    pair(s.principals, s.notPrincipals, p => tri(anyOf(p, principal))),
    pair(s.namespaces, s.notNamespaces, p => tri(anyOf(p, r.identity?.namespace))),
    pair(s.serviceAccounts, s.notServiceAccounts, p => tri(serviceAccountMatches(p, r.identity, policyNamespace))),
    pair(s.ipBlocks, s.notIpBlocks, ipTest(r.sourceIp, 'source IP', needs)),
    pair(s.remoteIpBlocks, s.notRemoteIpBlocks, ipTest(r.sourceIp, 'source IP', needs)),
    pair(s.requestPrincipals, s.notRequestPrincipals, p => tri(anyOf(p, r.requestPrincipal))),
  ]);
}

function operationMatches(o: any, r: RequestAttributes): Tri {
  if (!o) return 'yes';
  const port = r.port !== undefined ? String(r.port) : undefined;
  return and([
    pair(o.ports, o.notPorts, p => tri(p.includes(port ?? ''))),
    pair(o.methods, o.notMethods, p => tri(anyOf(p, r.method))),
    pair(o.paths, o.notPaths, p => tri(anyOf(p, r.path))),
    pair(o.hosts, o.notHosts, p => tri(anyOf(p, r.host, hostMatches))),
  ]);
}

/** `request.auth.claims[a][b]` → `a.b`. */
function claimName(key: string): string | undefined {
  const m = /^request\.auth\.claims((?:\[[^\]]+\])+)$/.exec(key);
  return m ? m[1].slice(1, -1).split('][').join('.') : undefined;
}

function conditionMatches(w: any, r: RequestAttributes, needs: Needs): Tri {
  const key: string = w?.key ?? '';
  const one = (value: string | undefined) => (p: string[]) => tri(anyOf(p, value));
  const many = (values: string[] | undefined) => (p: string[]) => tri((values ?? []).some(v => anyOf(p, v)));
  let test: (patterns: string[]) => Tri;
  const header = /^request\.headers\[(.+)\]$/.exec(key);
  const claim = claimName(key);
  if (key === 'source.ip' || key === 'remote.ip') {test = ipTest(r.sourceIp, 'source IP', needs);} else if (key === 'destination.ip') {test = ipTest(r.destinationIp, 'destination IP', needs);} else if (key === 'source.namespace') {test = one(r.identity?.namespace);} else if (key === 'source.principal') {test = one(r.identity ? principalOf(r.identity) : undefined);} else if (key === 'destination.port') {test = p => tri(p.includes(r.port !== undefined ? String(r.port) : ''));} else if (header) {test = one(r.headers?.[header[1].toLowerCase()]);} else if (key === 'request.auth.principal') {test = one(r.requestPrincipal);} else if (key === 'request.auth.audiences') {test = many(r.claims?.aud);} else if (key === 'request.auth.presenter') {test = many(r.claims?.azp);} else if (claim) {test = many(r.claims?.[claim]);} else {
    needs.add(`condition ${key}`);
    return 'unknown';
  }
  return pair(w.values, w.notValues, test);
}

/** Does one rule match at an Envoy proxy (waypoint or gateway)? */
export function envoyRuleMatches(rule: any, r: RequestAttributes, policyNamespace: string, needs: Needs): Tri {
  const from: any[] = rule?.from ?? [];
  const to: any[] = rule?.to ?? [];
  const when: any[] = rule?.when ?? [];
  return and([
    from.length ? or(from.map(f => sourceMatches(f?.source, r, policyNamespace, needs))) : 'yes',
    to.length ? or(to.map(t => operationMatches(t?.operation, r))) : 'yes',
    ...when.map(w => conditionMatches(w, r, needs)),
  ]);
}

function ztunnelMatchGroup(m: ZtunnelMatch, r: RequestAttributes, needs: Needs): Tri {
  const principal = r.identity ? principalOf(r.identity) : undefined;
  const portTest = (ports: number[]) => tri(r.port !== undefined && ports.includes(r.port));
  const numPair = (values: number[] | undefined, notValues: number[] | undefined) => and([
    values?.length ? portTest(values) : 'yes',
    notValues?.length ? not(portTest(notValues)) : 'yes',
  ]);
  const saTest = (entries: string[]) => tri(serviceAccountMatches(entries, r.identity, ''));
  return and([
    pair(m.destinationIps, m.notDestinationIps, ipTest(r.destinationIp, 'destination IP', needs)),
    pair(m.sourceIps, m.notSourceIps, ipTest(r.sourceIp, 'source IP', needs)),
    numPair(m.destinationPorts, m.notDestinationPorts),
    pair(m.serviceAccounts, m.notServiceAccounts, saTest),
    pair(m.principals, m.notPrincipals, p => tri(anyOf(p, principal))),
    pair(m.namespaces, m.notNamespaces, p => tri(anyOf(p, r.identity?.namespace))),
  ]);
}

/** Does a converted rule match at ztunnel (`src/rbac.rs` `Authorization::matches`)? */
export function ztunnelRuleMatches(rule: ZtunnelRule, r: RequestAttributes, needs: Needs): Tri {
  return and(rule.map(clause => {
    if (clause.length === 0) return 'yes';
    // Empty groups are skipped: a clause of only empty groups matches nothing.
    return or(clause.filter(m => !isEmptyMatch(m)).map(m => ztunnelMatchGroup(m, r, needs)));
  }));
}

/** Where a policy set is evaluated. */
/** Where a decision is taken: an Envoy (gateway, waypoint, a sidecar-mode pod's sidecar) or ztunnel. */
export type EnforcementPoint = 'gateway' | 'waypoint' | 'ztunnel' | 'sidecar';

/** The decision of one proxy over the policies that apply at it. */
export interface PolicyDecision {
  /** `yes` allowed, `no` denied, `unknown` depends on a dimension the request did not give. */
  readonly allowed: Tri;
  /** `<namespace>/<name>` of the deciding policy. */
  readonly policy?: string;
  readonly reason: string;
  /** What the request would need to give for a definite answer. */
  readonly needs: string[];
}

function policyName(o: any): string {
  return `${o.metadata?.namespace ?? 'default'}/${o.metadata?.name}`;
}

/** A synthetic DENY for ztunnel, e.g. STRICT mTLS; evaluated with the DENY policies. */
export interface SyntheticDeny {
  readonly name: string;
  readonly matches: Tri;
  readonly reason: string;
}

/**
 * Evaluates the policies that apply at one proxy: CUSTOM (not evaluated offline), DENY, ALLOW.
 * Dry-run policies never decide.
 */
export function evaluatePolicies(
  point: EnforcementPoint, policies: readonly any[], r: RequestAttributes, extraDenies: readonly SyntheticDeny[] = [],
): PolicyDecision {
  const needs = new Needs();
  const atZtunnel = point === 'ztunnel';
  // Sorted, so the deciding policy never depends on declaration order.
  const active = [...policies].filter(p => !isDryRun(p)).sort((a, b) => policyName(a).localeCompare(policyName(b)));
  const actionOf = (p: any): string => p?.spec?.action ?? 'ALLOW';
  const enforced = atZtunnel ? active.filter(p => ['ALLOW', 'DENY'].includes(actionOf(p))) : active;
  const ruleResult = (p: any, rule: any): Tri => {
    const ns = p.metadata?.namespace ?? 'default';
    if (!atZtunnel) return envoyRuleMatches(rule, r, ns, needs);
    const converted = toZtunnelRule(rule, actionOf(p), ns);
    return converted ? ztunnelRuleMatches(converted, r, needs) : 'no';
  };
  const policyMatch = (p: any): { m: Tri; index?: number } => {
    const results = (p.spec?.rules ?? []).map((rule: any) => ruleResult(p, rule));
    const yes = results.indexOf('yes');
    if (yes >= 0) return { m: 'yes', index: yes };
    const unknown = results.indexOf('unknown');
    return unknown >= 0 ? { m: 'unknown', index: unknown } : { m: 'no' };
  };
  const custom = enforced.filter(p => actionOf(p) === 'CUSTOM');
  const ignored = atZtunnel ? active.filter(p => !['ALLOW', 'DENY'].includes(actionOf(p))) : [];
  // At ztunnel, say what happened to policies whose L7 fields were stripped or dropped.
  const reshaped = atZtunnel
    ? enforced.map(p => [policyName(p), ztunnelPolicyEffect(p)] as const)
      .filter(([, e]) => e.rules.some(f => f !== 'enforced'))
      .map(([n, e]) => `${n}: ${e.summary}`).sort()
    : [];
  const notes = [
    ...(custom.length ? [`CUSTOM policies ${custom.map(policyName).sort().join(', ')} are not evaluated offline`] : []),
    ...(ignored.length ? [`ztunnel ignores ${ignored.map(p => `${actionOf(p)} policy ${policyName(p)}`).sort().join(', ')}`] : []),
    ...reshaped,
  ];
  const customNote = notes.length ? ` (${notes.join('; ')})` : '';
  let undecidedDeny: { policy: string; reason: string } | undefined;
  for (const d of extraDenies) {
    if (d.matches === 'yes') return { allowed: 'no', policy: d.name, reason: d.reason, needs: needs.list };
    if (d.matches === 'unknown') undecidedDeny ??= { policy: d.name, reason: d.reason };
  }
  for (const p of enforced.filter(x => actionOf(x) === 'DENY')) {
    const { m, index } = policyMatch(p);
    if (m === 'yes') return { allowed: 'no', policy: policyName(p), reason: `DENY rule ${index} matches${customNote}`, needs: needs.list };
    if (m === 'unknown') undecidedDeny ??= { policy: policyName(p), reason: `DENY rule ${index} matches depending on the ${needs.list.join(' and ')}` };
  }
  const allows = enforced.filter(x => actionOf(x) === 'ALLOW');
  if (undecidedDeny) return { allowed: 'unknown', policy: undecidedDeny.policy, reason: `${undecidedDeny.reason}; give it for a definite answer`, needs: needs.list };
  if (allows.length === 0) return { allowed: 'yes', reason: `no ALLOW policy applies${customNote}`, needs: needs.list };
  let undecidedAllow: string | undefined;
  for (const p of allows) {
    const { m, index } = policyMatch(p);
    if (m === 'yes') return { allowed: 'yes', policy: policyName(p), reason: `ALLOW rule ${index} matches${customNote}`, needs: needs.list };
    if (m === 'unknown') undecidedAllow ??= policyName(p);
  }
  if (undecidedAllow) {
    return { allowed: 'unknown', policy: undecidedAllow, reason: `an ALLOW rule matches depending on the ${needs.list.join(' and ')}; give it for a definite answer`, needs: needs.list };
  }
  const names = allows.map(policyName).sort();
  // The deciding policy is the most specific one the request failed: one with rules (not an
  // allow-nothing), attached to a Service or selecting pods before broader ones.
  const specificity = (p: any) => ((p.spec?.rules?.length ?? 0) > 0 ? 0 : 2)
    + ((p.spec?.targetRefs ?? []).some((x: any) => x.kind === 'Service') || p.spec?.selector ? 0 : 1);
  const deciding = [...allows].sort((a, b) => specificity(a) - specificity(b) || policyName(a).localeCompare(policyName(b)))[0];
  return { allowed: 'no', policy: policyName(deciding), reason: `no rule of the ALLOW policies (${names.join(', ')}) matches${customNote}`, needs: needs.list };
}
