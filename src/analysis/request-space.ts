/**
 * The request space of an access diff, partitioned by the policies themselves.
 *
 * Every AuthorizationPolicy field is matched against one request attribute with a handful of
 * patterns (Istio string matching: exact, `prefix*`, `*suffix`, `*`; CIDRs for IPs). Two values of
 * an attribute that every pattern of every policy treats alike (the same "signature") can never get
 * different decisions, so one representative per signature covers the attribute. The classes of a
 * request are the product of the classes of its attributes; attributes no policy mentions have one
 * class. `prunedRequestRepresentatives` builds that product attribute by attribute and keeps one
 * partial request per state of the rules, so combinations no rule tells apart are evaluated once.
 * Pure: no model, no evaluation (string matching is `matchValue`, the evaluator's own).
 */
import { matchValue } from './access';

/** The patterns policies use, per request attribute. */
export interface RequestAtoms {
  readonly principals: Set<string>;
  readonly namespaces: Set<string>;
  readonly serviceAccounts: Set<string>;
  readonly ipBlocks: Set<string>;
  readonly destinationIps: Set<string>;
  readonly requestPrincipals: Set<string>;
  readonly claims: Map<string, Set<string>>;
  readonly ports: Set<string>;
  readonly methods: Set<string>;
  readonly paths: Set<string>;
  readonly hosts: Set<string>;
  readonly headers: Map<string, Set<string>>;
}

/** A JWT of a representative request. */
export interface RepresentativeToken {
  readonly issuer: string;
  readonly subject?: string;
  readonly claims?: { [name: string]: string };
  readonly invalid?: boolean;
}

/** One representative of a class of L7 requests (method, path, host, headers, token, IPs). */
export interface RequestRepresentative {
  readonly method: string;
  readonly path: string;
  readonly host?: string;
  readonly headers: { [name: string]: string };
  readonly token?: RepresentativeToken;
  readonly sourceIp?: string;
  readonly destinationIp?: string;
  /**
   * Other methods (paths) that no rule tells apart from this one, given the rest of the request:
   * the representative stands for all of them.
   */
  readonly sameMethods?: string[];
  readonly samePaths?: string[];
}

/** A class of source identities (`namespace/serviceaccount`) that every policy treats alike. */
export interface SourceClass {
  /** The identity evaluated; undefined for an unauthenticated (plaintext) client. */
  readonly representative?: string;
  /** Known identities (workload service accounts, named principals) in the class, sorted. */
  readonly members: string[];
  /** The class also holds identities no policy names and no workload has. @default false */
  readonly others?: boolean;
}

export function emptyAtoms(): RequestAtoms {
  return {
    principals: new Set(),
    namespaces: new Set(),
    serviceAccounts: new Set(),
    ipBlocks: new Set(),
    destinationIps: new Set(),
    requestPrincipals: new Set(),
    claims: new Map(),
    ports: new Set(),
    methods: new Set(),
    paths: new Set(),
    hosts: new Set(),
    headers: new Map(),
  };
}

function addAll(set: Set<string>, values: unknown): void {
  if (!Array.isArray(values)) return;
  for (const v of values) if (typeof v === 'string') set.add(v);
}

function addTo(map: Map<string, Set<string>>, name: string, values: unknown[]): void {
  const set = map.get(name) ?? new Set<string>();
  for (const v of values) if (typeof v === 'string') set.add(v);
  map.set(name, set);
}

/** Adds the patterns of AuthorizationPolicies (any action) to `atoms`. */
export function collectAtoms(policies: any[], atoms: RequestAtoms = emptyAtoms()): RequestAtoms {
  for (const p of policies) {
    const rules = Array.isArray(p?.spec?.rules) ? p.spec.rules : [];
    for (const rule of rules) {
      for (const f of Array.isArray(rule?.from) ? rule.from : []) {
        const s = f?.source ?? {};
        addAll(atoms.principals, s.principals); addAll(atoms.principals, s.notPrincipals);
        addAll(atoms.namespaces, s.namespaces); addAll(atoms.namespaces, s.notNamespaces);
        addAll(atoms.serviceAccounts, s.serviceAccounts); addAll(atoms.serviceAccounts, s.notServiceAccounts);
        for (const k of ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks']) addAll(atoms.ipBlocks, s[k]);
        addAll(atoms.requestPrincipals, s.requestPrincipals); addAll(atoms.requestPrincipals, s.notRequestPrincipals);
      }
      for (const t of Array.isArray(rule?.to) ? rule.to : []) {
        const o = t?.operation ?? {};
        addAll(atoms.ports, o.ports); addAll(atoms.ports, o.notPorts);
        addAll(atoms.methods, o.methods); addAll(atoms.methods, o.notMethods);
        addAll(atoms.paths, o.paths); addAll(atoms.paths, o.notPaths);
        addAll(atoms.hosts, o.hosts); addAll(atoms.hosts, o.notHosts);
      }
      for (const w of Array.isArray(rule?.when) ? rule.when : []) {
        const k: string = typeof w?.key === 'string' ? w.key : '';
        const values = [...(Array.isArray(w.values) ? w.values : []), ...(Array.isArray(w.notValues) ? w.notValues : [])];
        const byKey: { [key: string]: Set<string> } = {
          'source.principal': atoms.principals,
          'source.namespace': atoms.namespaces,
          'source.ip': atoms.ipBlocks,
          'remote.ip': atoms.ipBlocks,
          'destination.ip': atoms.destinationIps,
          'destination.port': atoms.ports,
          'request.auth.principal': atoms.requestPrincipals,
        };
        const target = byKey[k];
        if (target) addAll(target, values);
        const header = /^request\.headers\[(.+)\]$/.exec(k);
        if (header) addTo(atoms.headers, header[1].toLowerCase(), values);
        const claim = /^request\.auth\.claims\[(.+)\]$/.exec(k);
        if (claim) addTo(atoms.claims, claim[1], values);
        if (k === 'request.auth.audiences') addTo(atoms.claims, 'aud', values);
        if (k === 'request.auth.presenter') addTo(atoms.claims, 'azp', values);
      }
    }
  }
  return atoms;
}

/**
 * One value per class of values that the string patterns tell apart. Candidates: each exact
 * pattern, a value under each prefix and each suffix and each prefix-suffix pair, and `fresh`
 * values; two candidates that match the same patterns are one class. Deterministic.
 */
export function stringRepresentatives(patterns: Iterable<string>, fresh: string[]): string[] {
  const all = [...new Set(patterns)].sort();
  const prefixes = all.filter(p => p.length > 1 && p.endsWith('*')).map(p => p.slice(0, -1));
  const suffixes = all.filter(p => p.length > 1 && p.startsWith('*') && !p.endsWith('*')).map(p => p.slice(1));
  const candidates: string[] = [...fresh, ...all.filter(p => !p.includes('*'))];
  for (const p of prefixes) candidates.push(`${p}x`, p);
  for (const s of suffixes) candidates.push(`x${s}`, `/x${s}`);
  for (const p of prefixes) for (const s of suffixes) candidates.push(`${p}x${s}`);
  return dedupeBySignature(candidates, v => all.map(p => matchValue(p, v) ? '1' : '0').join(''));
}

function dedupeBySignature<T>(candidates: T[], signature: (v: T) => string): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const c of candidates) {
    const s = signature(c);
    if (seen.has(s)) continue;
    seen.add(s);
    out.push(c);
  }
  return out;
}

/** Parses an IPv4 address into a number; undefined for anything else. */
function ipv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some(p => p > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function formatIpv4(n: number): string {
  return [3, 2, 1, 0].map(i => Math.floor(n / 256 ** i) % 256).join('.');
}

/** Is an IPv4 address in a CIDR or equal to a plain address (for representative generation only)? */
export function ipv4InBlock(address: string, block: string): boolean {
  const [base, len] = block.split('/');
  const a = ipv4(address);
  const b = ipv4(base);
  if (a === undefined || b === undefined) return address === block;
  const bits = len === undefined ? 32 : Number(len);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(a / size) === Math.floor(b / size);
}

/**
 * One address per class of addresses that the CIDRs tell apart: the first address of each block, the
 * last, and an address outside all of them (IPv6 blocks: their base address). Empty when no policy
 * names an address (the request then carries none).
 */
export function ipRepresentatives(blocks: Iterable<string>): string[] {
  const all = [...new Set(blocks)].sort();
  if (all.length === 0) return [];
  const candidates: string[] = [];
  for (const b of all) {
    const [base, len] = b.split('/');
    const n = ipv4(base);
    if (n === undefined) {
      candidates.push(base);
      continue;
    }
    const bits = len === undefined ? 32 : Number(len);
    const size = bits >= 32 || !Number.isInteger(bits) ? 1 : 2 ** (32 - Math.max(0, bits));
    const first = n - (n % size);
    candidates.push(formatIpv4(first), formatIpv4(first + size - 1));
  }
  // Outside every block: try documentation and private ranges until one matches nothing.
  for (const c of ['203.0.113.77', '198.51.100.77', '192.0.2.77', '172.31.255.77', '100.127.0.77', '240.0.0.77']) {
    candidates.push(c);
    if (!all.some(b => ipv4InBlock(c, b))) break;
  }
  return dedupeBySignature(candidates, v => all.map(b => ipv4InBlock(v, b) ? '1' : '0').join(''));
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE'];

/** Splits a request principal `<issuer>/<subject>` at a known issuer, else at the last `/`. */
function splitPrincipal(principal: string, issuers: string[]): { issuer: string; subject: string } {
  const known = issuers.filter(i => principal.startsWith(`${i}/`)).sort((a, b) => b.length - a.length)[0];
  if (known) return { issuer: known, subject: principal.slice(known.length + 1) };
  const at = principal.lastIndexOf('/');
  return at < 0 ? { issuer: principal, subject: 'x' } : { issuer: principal.slice(0, at), subject: principal.slice(at + 1) || 'x' };
}

/**
 * Tokens: none, one invalid token, and one valid token per class of request principals (issuers of
 * RequestAuthentications count as `<issuer>/*`), crossed with the classes of every claim policies test.
 */
export function tokenRepresentatives(atoms: RequestAtoms, issuers: Iterable<string>): (RepresentativeToken | undefined)[] {
  const knownIssuers = [...new Set(issuers)].sort();
  if (knownIssuers.length === 0 && atoms.requestPrincipals.size === 0 && atoms.claims.size === 0) return [undefined];
  const patterns = [...atoms.requestPrincipals, ...knownIssuers.map(i => `${i}/*`)];
  const principals = stringRepresentatives(patterns, []).filter(p => p.length > 0);
  let claimSets: { [name: string]: string }[] = [{}];
  for (const [name, values] of [...atoms.claims.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const reps = stringRepresentatives(values, ['zz-other']);
    claimSets = claimSets.flatMap(set => [set, ...reps.map(v => ({ ...set, [name]: v }))]);
  }
  const tokens: (RepresentativeToken | undefined)[] = [undefined];
  const firstIssuer = knownIssuers[0] ?? (principals[0] ? splitPrincipal(principals[0], knownIssuers).issuer : 'https://issuer.invalid');
  tokens.push({ issuer: firstIssuer, subject: 'x', invalid: true });
  for (const p of principals) {
    const { issuer, subject } = splitPrincipal(p, knownIssuers);
    for (const claims of claimSets) tokens.push(Object.keys(claims).length ? { issuer, subject, claims } : { issuer, subject });
  }
  return tokens;
}

/** Options for `requestRepresentatives`. */
export interface RequestSpaceOptions {
  /** Whether an L7 proxy (waypoint or gateway) can see the request; if not, L7 attributes are one class. */
  readonly l7: boolean;
  /** Issuers validated by RequestAuthentications. */
  readonly issuers: string[];
  /** The host a request carries by default (the Service's name). */
  readonly defaultHost: string;
}

/** The values of each attribute of the request space, in product order. */
function dimensions(atoms: RequestAtoms, options: RequestSpaceOptions): { name: string; values: unknown[] }[] {
  const dims: { name: string; values: unknown[] }[] = [];
  const sourceIps = ipRepresentatives(atoms.ipBlocks);
  const destinationIps = ipRepresentatives(atoms.destinationIps);
  if (sourceIps.length) dims.push({ name: 'sourceIp', values: sourceIps });
  if (destinationIps.length) dims.push({ name: 'destinationIp', values: destinationIps });
  if (!options.l7) return dims;
  const freshMethod = METHODS.find(m => !atoms.methods.has(m)) ?? 'PROPFIND';
  dims.push({ name: 'method', values: stringRepresentatives(atoms.methods, ['GET', freshMethod]) });
  dims.push({ name: 'path', values: stringRepresentatives(atoms.paths, ['/', '/zz-unmatched']) });
  if (atoms.hosts.size) {
    dims.push({ name: 'host', values: stringRepresentatives(atoms.hosts, [options.defaultHost, 'zz-other.example']).map(h => (h === options.defaultHost ? undefined : h)) });
  }
  for (const [name, values] of [...atoms.headers.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    dims.push({ name: `header:${name}`, values: [undefined, ...stringRepresentatives(values, ['zz-other'])] });
  }
  const tokens = tokenRepresentatives(atoms, options.issuers);
  if (tokens.length > 1) dims.push({ name: 'token', values: tokens });
  return dims;
}

/** How many classes each worded attribute has (1 where it does not vary). */
export function classCounts(
  atoms: RequestAtoms, options: RequestSpaceOptions,
): { methods: number; paths: number; tokens: number; sourceIps: number } {
  const dims = dimensions(atoms, options);
  const count = (name: string) => dims.find(d => d.name === name)?.values.length ?? 1;
  return { methods: count('method'), paths: count('path'), tokens: count('token'), sourceIps: count('sourceIp') };
}

function assign(rep: RequestRepresentative, dim: string, value: any): RequestRepresentative {
  if (dim.startsWith('header:')) return value === undefined ? rep : { ...rep, headers: { ...rep.headers, [dim.slice(7)]: value } };
  return { ...rep, [dim]: value };
}

/** The product of the classes of every L7 attribute (and of source/destination IPs). */
export function requestRepresentatives(atoms: RequestAtoms, options: RequestSpaceOptions): RequestRepresentative[] {
  let out: RequestRepresentative[] = [{ method: 'GET', path: '/', headers: {} }];
  for (const d of dimensions(atoms, options)) out = out.flatMap(rep => d.values.map(v => assign(rep, d.name, v)));
  return out;
}

/** The client side of a request that stays fixed while the L7 attributes vary. */
export interface FixedAttributes {
  /** `namespace/serviceaccount`, or undefined for no identity. */
  readonly identity?: string;
  readonly port?: number;
  readonly trustDomain?: string;
}

/** Would a list field match a value (unset = match; `not` values exclude)? Istio string matching. */
function fieldMatches(values: unknown, notValues: unknown, value: string | undefined, match: (p: string, v: string | undefined) => boolean): boolean {
  const vs = Array.isArray(values) ? values.filter((x): x is string => typeof x === 'string') : [];
  const nvs = Array.isArray(notValues) ? notValues.filter((x): x is string => typeof x === 'string') : [];
  if (vs.length && !vs.some(p => match(p, value))) return false;
  if (nvs.length && nvs.some(p => match(p, value))) return false;
  return true;
}

const ipMatch = (block: string, ip: string | undefined) => ip !== undefined && ipv4InBlock(ip, block);

/**
 * The request as the rules see it, for the attributes assigned so far: unassigned attributes do
 * not constrain (their fields count as matching), so two partial requests with the same state agree
 * on every rule for every completion.
 */
class RuleState {
  public constructor(private readonly rules: any[], private readonly fixed: FixedAttributes, private readonly defaultHost: string) {}

  public of(rep: RequestRepresentative, assigned: Set<string>): string {
    const td = this.fixed.trustDomain ?? 'cluster.local';
    const [ns, sa] = this.fixed.identity?.split('/') ?? [];
    const principal = this.fixed.identity ? `${td}/ns/${ns}/sa/${sa}` : undefined;
    const port = this.fixed.port !== undefined ? String(this.fixed.port) : undefined;
    const has = (d: string) => assigned.has(d);
    const token = rep.token;
    const requestPrincipal = token && !token.invalid ? `${token.issuer}/${token.subject ?? ''}` : undefined;
    const str = (p: string, v: string | undefined) => matchValue(p, v);
    const parts: string[] = [];
    // Token validity and issuer matter beyond the rules (a RequestAuthentication rejects bad tokens).
    parts.push(has('token') ? (token ? `${token.invalid ? 'invalid' : 'valid'}:${token.issuer}` : 'none') : '?');
    for (const rule of this.rules) {
      const froms: any[] = Array.isArray(rule?.from) ? rule.from : [];
      const tos: any[] = Array.isArray(rule?.to) ? rule.to : [];
      const whens: any[] = Array.isArray(rule?.when) ? rule.when : [];
      const fromBits = froms.map(f => {
        const src = f?.source ?? {};
        return fieldMatches(src.principals, src.notPrincipals, principal, str)
          && fieldMatches(src.namespaces, src.notNamespaces, ns, str)
          && fieldMatches(src.serviceAccounts, src.notServiceAccounts, this.fixed.identity, str)
          && (!has('sourceIp') || (fieldMatches(src.ipBlocks, src.notIpBlocks, rep.sourceIp, ipMatch) && fieldMatches(src.remoteIpBlocks, src.notRemoteIpBlocks, rep.sourceIp, ipMatch)))
          && (!has('token') || fieldMatches(src.requestPrincipals, src.notRequestPrincipals, requestPrincipal, str));
      });
      const toBits = tos.map(t => {
        const op = t?.operation ?? {};
        return fieldMatches(op.ports, op.notPorts, port, str)
          && (!has('method') || fieldMatches(op.methods, op.notMethods, rep.method, str))
          && (!has('path') || fieldMatches(op.paths, op.notPaths, rep.path, str))
          && (!has('host') || fieldMatches(op.hosts, op.notHosts, rep.host ?? this.defaultHost, str));
      });
      const whenBits = whens.map(w => {
        const k: string = typeof w?.key === 'string' ? w.key : '';
        const header = /^request\.headers\[(.+)\]$/.exec(k);
        const claim = /^request\.auth\.claims\[(.+)\]$/.exec(k);
        const claimOf = (name: string) => (token && !token.invalid ? token.claims?.[name] : undefined);
        let value: string | undefined;
        let match = str;
        if (k === 'source.principal') {value = principal;} else if (k === 'source.namespace') {value = ns;} else if (k === 'destination.port') {value = port;} else if (k === 'source.ip' || k === 'remote.ip') {
          if (!has('sourceIp')) return true;
          value = rep.sourceIp;
          match = ipMatch;
        } else if (k === 'destination.ip') {
          if (!has('destinationIp')) return true;
          value = rep.destinationIp;
          match = ipMatch;
        } else if (header) {
          if (!has(`header:${header[1].toLowerCase()}`)) return true;
          value = rep.headers[header[1].toLowerCase()];
        } else if (k === 'request.auth.principal' || claim || k === 'request.auth.audiences' || k === 'request.auth.presenter') {
          if (!has('token')) return true;
          value = k === 'request.auth.principal' ? requestPrincipal : claimOf(claim ? claim[1] : k.endsWith('audiences') ? 'aud' : 'azp');
        } else {
          return true; // a key no varied attribute feeds: the same for every request of the product
        }
        return fieldMatches(w.values, w.notValues, value, match);
      });
      const dead = (froms.length > 0 && !fromBits.includes(true)) || (tos.length > 0 && !toBits.includes(true)) || whenBits.includes(false);
      parts.push(dead ? 'x' : `${fromBits.map(Number).join('')}.${toBits.map(Number).join('')}`);
    }
    return parts.join('|');
  }
}

/**
 * Like `requestRepresentatives`, but attribute by attribute, keeping one partial request per
 * distinct rule state: combinations no rule tells apart (a header that only a rule for another
 * source tests, a path only a dead rule names) are evaluated once. Exact for Istio's rule semantics:
 * a rule matches when some `from`, some `to` and every `when` match, each the AND of its fields.
 */
export function prunedRequestRepresentatives(
  atoms: RequestAtoms, options: RequestSpaceOptions, rules: any[], fixed: FixedAttributes,
): RequestRepresentative[] {
  // Rules that the fixed attributes already rule out cannot tell any two requests apart.
  const base: RequestRepresentative = { method: 'GET', path: '/', headers: {} };
  const live = rules.filter(r => new RuleState([r], fixed, options.defaultHost).of(base, new Set()) !== '?|x');
  const state = new RuleState(live, fixed, options.defaultHost);
  const assigned = new Set<string>();
  let out: RequestRepresentative[] = [base];
  for (const d of dimensions(atoms, options)) {
    assigned.add(d.name);
    const seen = new Map<string, { parent: RequestRepresentative; index: number }>();
    const next: RequestRepresentative[] = [];
    for (const rep of out) {
      for (const v of d.values) {
        const candidate = assign(rep, d.name, v);
        const key = state.of(candidate, assigned);
        const owner = seen.get(key);
        if (owner) {
          // Same prefix, same state: this value is an alternative of the owner's (for the wording).
          if (owner.parent === rep && (d.name === 'method' || d.name === 'path')) {
            const o = next[owner.index];
            next[owner.index] = d.name === 'method'
              ? { ...o, sameMethods: [...o.sameMethods ?? [o.method], v as string] }
              : { ...o, samePaths: [...o.samePaths ?? [o.path], v as string] };
          }
          continue;
        }
        seen.set(key, { parent: rep, index: next.length });
        next.push(candidate);
      }
    }
    out = next;
  }
  return out;
}

/** The rules of policies (any action), deduplicated. */
export function rulesOf(policies: any[]): any[] {
  const out = new Map<string, any>();
  for (const p of policies) for (const r of Array.isArray(p?.spec?.rules) ? p.spec.rules : []) out.set(JSON.stringify(r), r);
  return [...out.values()];
}

/** The port classes of a Service: its ports (policies match Service ports translated to pod ports). */
export function portRepresentatives(servicePorts: number[]): (number | undefined)[] {
  const ports = [...new Set(servicePorts)].sort((a, b) => a - b);
  return ports.length ? ports : [undefined];
}

/** The identity that stands for every identity no policy names and no workload has. */
export const OTHER_IDENTITY = 'zz-other/zz-other';

const PRINCIPAL = /^(?:spiffe:\/\/)?([^/]*)\/ns\/([^/]+)\/sa\/([^/]+)$/;

/**
 * Source identities grouped into classes that every principal, namespace and service-account
 * pattern treats alike, plus an identity no policy names and an unauthenticated client.
 */
export function sourceClasses(atoms: RequestAtoms, knownIdentities: string[], trustDomain = 'cluster.local'): SourceClass[] {
  const principals = [...atoms.principals].sort();
  const namespaces = [...atoms.namespaces].sort();
  const accounts = [...atoms.serviceAccounts].sort();
  const candidates: string[] = [...new Set(knownIdentities)].sort();
  // Identities that land in each pattern's class even when no workload has them yet.
  for (const ns of stringRepresentatives(namespaces, [])) candidates.push(`${ns}/zz-any`);
  for (const sa of stringRepresentatives(accounts, [])) if (sa.includes('/')) candidates.push(sa);
  for (const p of principals) {
    const m = PRINCIPAL.exec(p.replace(/\*$/, 'x').replace(/^\*/, ''));
    if (m && m[2] && m[3]) candidates.push(`${m[2]}/${m[3]}`);
  }
  candidates.push(OTHER_IDENTITY);
  const signature = (id: string) => {
    const [ns, sa] = id.split('/');
    const principal = `${trustDomain}/ns/${ns}/sa/${sa}`;
    return principals.map(p => matchValue(p, principal) ? '1' : '0').join('')
      + '|' + namespaces.map(p => matchValue(p, ns) ? '1' : '0').join('')
      + '|' + accounts.map(p => matchValue(p, id) ? '1' : '0').join('');
  };
  const known = new Set(knownIdentities);
  const classes = new Map<string, { representative: string; members: string[]; others: boolean }>();
  for (const c of candidates) {
    const s = signature(c);
    const cls = classes.get(s) ?? { representative: c, members: [], others: false };
    if (c === OTHER_IDENTITY) cls.others = true;
    if (known.has(c) && !cls.members.includes(c)) cls.members.push(c);
    // Prefer a real workload identity as the representative.
    if (!known.has(cls.representative) && known.has(c)) cls.representative = c;
    classes.set(s, cls);
  }
  const out: SourceClass[] = [...classes.values()].map(c => (c.others
    ? { representative: c.representative, members: c.members.sort(), others: true }
    : { representative: c.representative, members: c.members.sort() }));
  out.push({ representative: undefined, members: [] });
  return out;
}
