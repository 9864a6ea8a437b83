/**
 * Trust domains, aliases and how each proxy matches a principal against them (pure, no cdk8s).
 *
 * - Envoy proxies (waypoints, gateways): istiod rewrites every principal whose trust domain is the
 *   mesh's, one of its aliases, or the pointer `cluster.local`, into one principal per trust domain
 *   of the bundle (`pilot/pkg/security/trustdomain/bundle.go` ReplaceTrustDomainAliases, 1.30.3).
 * - ztunnel: istiod copies `principals` verbatim into string matches (`pilot/pkg/serviceregistry/
 *   ambient/authorization.go` stringToMatch, 1.30.3), so only the literal trust domain of the peer
 *   matches. istiod sends ztunnel no aliases, so peers hold certificates of the mesh's own domain.
 * - `serviceAccounts: ["<ns>/<sa>"]` names no trust domain at all (ServiceAccountMatch).
 */

/** Trust domain istiod uses when `meshConfig.trustDomain` is unset; for Envoy it also points at the local one. */
export const CLUSTER_LOCAL_TRUST_DOMAIN = 'cluster.local';

// The host part of a SPIFFE ID: letters, digits, '.', '-' and '_'.
const TRUST_DOMAIN = /^[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$/;

/** The mesh's trust domain and its aliases (`meshConfig.trustDomain`, `meshConfig.trustDomainAliases`). */
export interface TrustDomainBundle {
  readonly trustDomain: string;
  readonly aliases: readonly string[];
}

/** Where a principal is matched. */
export type PrincipalEnforcement = 'ztunnel' | 'envoy';

/** A principal `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
export interface ParsedPrincipal {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** Why a trust domain is not usable, or undefined when it is. */
export function trustDomainProblem(trustDomain: string): string | undefined {
  if (trustDomain.startsWith('spiffe://') || trustDomain.includes('/')) {
    return `trust domain "${trustDomain}" contains "spiffe://" or "/": give only the host part of the SPIFFE ID, e.g. "cluster.local".`;
  }
  if (!TRUST_DOMAIN.test(trustDomain)) {
    return `trust domain "${trustDomain}" is invalid: use letters, digits, '.', '-' and '_', starting and ending with a letter or digit.`;
  }
  return undefined;
}

/**
 * Problems of a trust-domain bundle: an invalid domain or alias, an alias equal to the domain, a
 * duplicated alias.
 */
export function bundleProblems(bundle: TrustDomainBundle): string[] {
  const problems: string[] = [];
  const own = trustDomainProblem(bundle.trustDomain);
  if (own) problems.push(own);
  const seen = new Set<string>();
  for (const alias of bundle.aliases) {
    const p = trustDomainProblem(alias);
    if (p) problems.push(`alias: ${p}`);
    else if (alias === bundle.trustDomain) problems.push(`alias "${alias}" is the trust domain itself; drop it from the aliases.`);
    else if (seen.has(alias)) problems.push(`alias "${alias}" is listed twice.`);
    seen.add(alias);
  }
  return problems;
}

/** Splits a principal; undefined when it does not have the five parts istiod expects. */
export function parsePrincipal(principal: string): ParsedPrincipal | undefined {
  const parts = principal.split('/');
  if (parts.length !== 5 || parts[1] !== 'ns' || parts[3] !== 'sa') return undefined;
  return { trustDomain: parts[0], namespace: parts[2], serviceAccount: parts[4] };
}

/** `*` alone, or a `*` prefix/suffix pattern, the way Istio's trust-domain bundle compares them. */
function patternMatch(a: string, b: string): boolean {
  const prefix = (s: string, p: string) => p.endsWith('*') && s.startsWith(p.slice(0, -1));
  const suffix = (s: string, p: string) => p.startsWith('*') && s.endsWith(p.slice(1));
  return a === b || b === '*' || prefix(a, b) || prefix(b, a) || suffix(a, b) || suffix(b, a);
}

/**
 * The principals an Envoy proxy (waypoint, gateway) is configured with for one written principal:
 * one per trust domain of the bundle when the written trust domain is the mesh's, an alias or
 * `cluster.local`; the principal unchanged otherwise (and for `*` trust domains or malformed ones).
 */
export function expandPrincipalForEnvoy(principal: string, bundle: TrustDomainBundle): string[] {
  const parts = principal.split('/');
  if (parts.length !== 5 || parts[0] === '*') return [principal];
  const written = parts[0];
  const domains = [bundle.trustDomain, ...bundle.aliases];
  if (!domains.some(d => patternMatch(written, d)) && written !== CLUSTER_LOCAL_TRUST_DOMAIN) return [principal];
  const out: string[] = [];
  for (const td of domains) {
    // A `*-suffix` trust domain that covers this domain stays as written.
    const rewritten = written.startsWith('*') && td.endsWith(written.slice(1)) ? principal : [td, ...parts.slice(1)].join('/');
    if (!out.includes(rewritten)) out.push(rewritten);
  }
  return out;
}

/**
 * Whether a peer identity (a principal, without `spiffe://`) matches a principal pattern the way
 * ztunnel matches it: `*` is presence, a leading `*` a suffix, a trailing `*` a prefix, else exact.
 */
export function ztunnelPrincipalMatches(pattern: string, peer: string): boolean {
  if (pattern === '*') return peer.length > 0;
  if (pattern.startsWith('*')) return peer.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return peer.startsWith(pattern.slice(0, -1));
  return pattern === peer;
}

/** How a written principal behaves where it is enforced. */
export enum PrincipalTrust {
  /** Names the mesh's trust domain (or a wildcard, or is not an identity we can judge). */
  OK = 'ok',
  /** Envoy only: `cluster.local` points at the mesh's domain and aliases. */
  LOCAL_POINTER = 'local-pointer',
  /** Envoy only: an alias, expanded to the domain and every alias. */
  ALIAS = 'alias',
  /** ztunnel: an alias or `cluster.local`, matched literally, while peers hold the mesh's domain: never matches. */
  LITERAL_MISMATCH = 'literal-mismatch',
  /** Neither the domain nor an alias (nor `cluster.local` at Envoy): matches no peer of this mesh. */
  FOREIGN = 'foreign',
}

/**
 * Classifies a written principal against the mesh bundle for the proxy that enforces it.
 * Wildcard trust domains (`*`, `*-suffix`, `prefix-*`) and malformed principals are left to other checks.
 */
export function classifyPrincipal(principal: string, bundle: TrustDomainBundle, enforcement: PrincipalEnforcement): PrincipalTrust {
  const parsed = parsePrincipal(principal);
  if (!parsed || parsed.trustDomain.includes('*')) return PrincipalTrust.OK;
  const td = parsed.trustDomain;
  if (td === bundle.trustDomain) return PrincipalTrust.OK;
  const isAlias = bundle.aliases.includes(td);
  if (enforcement === 'ztunnel') {
    return isAlias || td === CLUSTER_LOCAL_TRUST_DOMAIN ? PrincipalTrust.LITERAL_MISMATCH : PrincipalTrust.FOREIGN;
  }
  if (isAlias) return PrincipalTrust.ALIAS;
  if (td === CLUSTER_LOCAL_TRUST_DOMAIN) return PrincipalTrust.LOCAL_POINTER;
  return PrincipalTrust.FOREIGN;
}

/** One cluster's trust setup, as far as cross-cluster mTLS depends on it. */
export interface ClusterTrust {
  readonly cluster: string;
  readonly trustDomain: string;
  /**
   * What the cluster's intermediate chains to (e.g. `ClusterIssuer/mesh-root`), or undefined when
   * istiod's built-in CA generates its own self-signed root.
   */
  readonly root?: string;
  /**
   * A CA is plugged in (e.g. a `cacerts` Secret) but what it chains to is not visible: the cluster is
   * not on the built-in CA, and its root is not compared.
   */
  readonly rootUnknown?: boolean;
}

/**
 * Why clusters cannot share one ambient mesh, if they cannot: a cluster on istiod's self-signed root,
 * different roots, or different trust domains (ztunnel gets no aliases, so one domain is required).
 */
export function sharedTrustProblems(clusters: readonly ClusterTrust[]): string[] {
  if (clusters.length < 2) return [];
  const problems: string[] = [];
  const selfSigned = clusters.filter(c => c.root === undefined && !c.rootUnknown).map(c => `"${c.cluster}"`);
  if (selfSigned.length) {
    problems.push(`${selfSigned.length > 1 ? `clusters ${selfSigned.join(', ')} use` : `cluster ${selfSigned[0]} uses`} istiod's built-in CA, which generates a self-signed root in each cluster, so workloads cannot verify peers in other clusters.`);
  }
  const roots = [...new Set(clusters.filter(c => c.root !== undefined).map(c => c.root!))];
  if (roots.length > 1) {
    problems.push(`clusters chain to different roots (${clusters.filter(c => c.root).map(c => `${c.cluster}: ${c.root}`).join(', ')}), so cross-cluster mTLS fails.`);
  }
  const domains = [...new Set(clusters.map(c => c.trustDomain))];
  if (domains.length > 1) {
    problems.push(`clusters use different trust domains (${clusters.map(c => `${c.cluster}: ${c.trustDomain}`).join(', ')}); istiod sends ztunnel no trust-domain aliases, so ambient clusters need one trust domain.`);
  }
  return problems;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `<ns>/<sa>`, or `<sa>` in the rule's namespace. */
function splitServiceAccount(spec: string, ruleNamespace: string): [string, string] {
  const slash = spec.indexOf('/');
  return slash < 0 ? [ruleNamespace, spec] : [spec.slice(0, slash), spec.slice(slash + 1)];
}

/**
 * Whether a `source.serviceAccounts` entry matches a peer's SPIFFE ID at an Envoy proxy: any trust
 * domain, the namespace and service account as path segments, extra key/value segments allowed.
 */
export function envoyServiceAccountMatches(spec: string, ruleNamespace: string, spiffeId: string): boolean {
  const [ns, sa] = splitServiceAccount(spec, ruleNamespace);
  return new RegExp(`^spiffe://.+/ns/${escapeRegex(ns)}/(.+/|)sa/${escapeRegex(sa)}(/.+)?$`).test(spiffeId);
}

/** Whether a `source.serviceAccounts` entry matches a peer at ztunnel: namespace and name, trust domain ignored. */
export function ztunnelServiceAccountMatches(spec: string, ruleNamespace: string, peer: ParsedPrincipal): boolean {
  const [ns, sa] = splitServiceAccount(spec, ruleNamespace);
  return peer.namespace === ns && peer.serviceAccount === sa;
}
