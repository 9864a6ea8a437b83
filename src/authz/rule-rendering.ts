/**
 * Turning what a user declares (a source, rule options, a JWT requirement) into AuthorizationPolicy
 * and RequestAuthentication fields. Depends on nothing but the inputs: checks here never depend on
 * the rest of the app, so they run when the rule is declared.
 */
import { wholeSecondsProblem } from '../_validation';
import { Condition } from '../condition';
import type { PolicySourceConfig } from './policy-source';
import type { JwtRequirement, ZeroTrustRuleOptions } from './zero-trust-policy';
import * as sec from '../imports/security.istio.io';
import { Rule, canonicalRules, matchesEverything } from '../semantics/canonical-rules';

const HTTP_METHOD = /^(\*|\*?[A-Z]+\*?)$/;
export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** Where a policy applies: namespace-wide, to selected pods, or attached to Services or Gateways. */
export type Attachment =
  | { readonly kind: 'namespace' }
  | { readonly kind: 'selector'; readonly matchLabels: { [key: string]: string } }
  | { readonly kind: 'targetRefs'; readonly refs: sec.AuthorizationPolicySpecTargetRefs[] };

/** An input problem: the message without the construct path (the caller adds it). */
export class RuleInputError extends Error {}

/** Checks the parts of rule options that do not depend on the app (ports, methods, paths). */
export function checkRuleOptions(options: ZeroTrustRuleOptions, what: string): void {
  for (const port of options.ports ?? []) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RuleInputError(`${what}: port ${port} is not a port number (1-65535).`);
  }
  for (const method of options.methods ?? []) {
    if (!HTTP_METHOD.test(method)) throw new RuleInputError(`${what}: method "${method}" is not an HTTP method; use upper case, e.g. "GET".`);
  }
  for (const path of [...options.paths ?? [], ...options.notPaths ?? []]) {
    if (!path.startsWith('/') && !path.startsWith('*')) throw new RuleInputError(`${what}: path "${path}" must start with "/" (or "*" for a suffix match).`);
    if (/[{}]/.test(path.replace(/\{\*\*?\}/g, ''))) {
      throw new RuleInputError(`${what}: path "${path}" uses a template Istio does not support; only {*} (one segment) and {**} (any segments) are allowed.`);
    }
  }
}

/**
 * The rule as AuthorizationPolicy fields. Principals without a trust domain of their own take
 * `trustDomain` (known only at synth: the app's mesh may be declared anywhere).
 */
export function renderRule(source: PolicySourceConfig, options: ZeroTrustRuleOptions, what: string, trustDomain: string): Rule {
  checkRuleOptions(options, what);
  const src = renderSource(source, trustDomain);
  const operation: sec.AuthorizationPolicySpecRulesToOperation = {
    ports: options.ports?.length ? options.ports.map(String) : undefined,
    methods: options.methods?.length ? [...options.methods] : undefined,
    paths: options.paths?.length ? [...options.paths] : undefined,
    notPaths: options.notPaths?.length ? [...options.notPaths] : undefined,
    hosts: options.hosts?.length ? [...options.hosts] : undefined,
  };
  const when: sec.AuthorizationPolicySpecRulesWhen[] = [];
  for (const [name, values] of Object.entries(options.headers ?? {})) {
    const c = Condition.header(name, ...values);
    when.push({ key: c.key, values: c.values });
  }
  for (const c of options.conditions ?? []) {
    when.push({ key: c.key, values: c.values.length ? c.values : undefined, notValues: c.notValues.length ? c.notValues : undefined });
  }
  const hasSource = Object.values(src).some(v => v !== undefined);
  const hasOperation = Object.values(operation).some(v => v !== undefined);
  const rule: Rule = {
    from: hasSource ? [{ source: src }] : undefined,
    to: hasOperation ? [{ operation }] : undefined,
    when: when.length ? when : undefined,
  };
  if (matchesEverything(rule)) {
    throw new RuleInputError(`${what} would match every request (an allow-all rule \`{}\`). Narrow it with ports, methods, paths, hosts or conditions, or name the sources; to switch off default deny, set \`defaultDeny: false\` instead.`);
  }
  return rule;
}

/** A source as AuthorizationPolicy `from.source` fields; principals without a trust domain take `trustDomain`. */
export function renderSource(source: PolicySourceConfig, trustDomain: string): sec.AuthorizationPolicySpecRulesFromSource {
  const nonEmpty = (values: string[] | undefined) => values?.length ? [...values] : undefined;
  return {
    principals: source.principals?.length ? source.principals.map(p => `${p.trustDomain ?? trustDomain}/ns/${p.namespace}/sa/${p.serviceAccount}`) : undefined,
    namespaces: nonEmpty(source.namespaces),
    serviceAccounts: nonEmpty(source.serviceAccounts),
    ipBlocks: nonEmpty(source.ipBlocks),
    requestPrincipals: nonEmpty(source.requestPrincipals),
  };
}

/** A RequestAuthentication jwtRule, after checking the requirement (https JWKS unless opted out). */
export function renderJwtRule(options: JwtRequirement): sec.RequestAuthenticationSpecJwtRules {
  const what = `requireJwt(${options.issuer || '""'})`;
  if (!options.issuer) throw new RuleInputError(`${what} needs an issuer.`);
  if ((options.jwksUri === undefined) === (options.jwks === undefined)) {
    throw new RuleInputError(`${what} needs exactly one of \`jwksUri\` (where the issuer publishes its keys) or \`jwks\` (the keys inline).`);
  }
  if (options.jwksUri !== undefined) {
    let url: URL;
    try {
      url = new URL(options.jwksUri);
    } catch {
      throw new RuleInputError(`${what}: jwksUri "${options.jwksUri}" is not a URL.`);
    }
    if (url.protocol === 'http:' && !options.allowInsecureJwksUri) {
      throw new RuleInputError(`${what}: jwksUri "${options.jwksUri}" uses http, so the signing keys could be replaced in transit. Use https, or set allowInsecureJwksUri: true to accept the risk.`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new RuleInputError(`${what}: jwksUri "${options.jwksUri}" must be an https URL.`);
    }
  }
  if (options.jwks !== undefined) {
    let parsed: any;
    try {
      parsed = JSON.parse(options.jwks);
    } catch {
      throw new RuleInputError(`${what}: jwks is not valid JSON; give the JSON Web Key Set, e.g. '{"keys":[...]}'.`);
    }
    if (!Array.isArray(parsed?.keys) || parsed.keys.length === 0) {
      throw new RuleInputError(`${what}: jwks must be a JSON Web Key Set with a non-empty "keys" array.`);
    }
  }
  for (const h of options.fromHeaders ?? []) {
    if (!h.name) throw new RuleInputError(`${what}: every fromHeaders entry needs a header name.`);
  }
  for (const [field, values] of [['audiences', options.audiences], ['fromParams', options.fromParams], ['fromCookies', options.fromCookies]] as const) {
    if ((values ?? []).some(v => v === '')) throw new RuleInputError(`${what}: ${field} has an empty entry; remove it.`);
  }
  for (const c of options.outputClaimToHeaders ?? []) {
    if (!/^[-_A-Za-z0-9]+$/.test(c.header) || !/^[-_A-Za-z0-9.]+$/.test(c.claim)) {
      throw new RuleInputError(`${what}: outputClaimToHeaders {header: "${c.header}", claim: "${c.claim}"} needs a header of letters, digits, '-' and '_', and a claim name (nested claims with '.').`);
    }
  }
  const timeoutProblem = options.timeout && wholeSecondsProblem(`${what}: timeout`, options.timeout);
  if (timeoutProblem) throw new RuleInputError(timeoutProblem);
  const timeout = options.timeout ? `${options.timeout.toMilliseconds() / 1000}s` : undefined;
  return {
    issuer: options.issuer,
    jwksUri: options.jwksUri,
    jwks: options.jwks,
    audiences: options.audiences?.length ? [...options.audiences].sort() : undefined,
    fromHeaders: options.fromHeaders?.map(h => ({ name: h.name, prefix: h.prefix })),
    fromParams: options.fromParams?.length ? [...options.fromParams] : undefined,
    fromCookies: options.fromCookies?.length ? [...options.fromCookies] : undefined,
    forwardOriginalToken: options.forwardOriginalToken,
    outputPayloadToHeader: options.outputPayloadToHeader,
    outputClaimToHeaders: options.outputClaimToHeaders?.map(c => ({ header: c.header, claim: c.claim })),
    timeout,
  };
}

export function sortJwtRules(rules: sec.RequestAuthenticationSpecJwtRules[]): sec.RequestAuthenticationSpecJwtRules[] {
  return [...rules].sort((a, b) => (a.issuer ?? '').localeCompare(b.issuer ?? ''));
}

/**
 * The rule, restricted to peers that are none of `principals` (fields of one source are ANDed). A
 * source that matches `serviceAccounts` cannot also carry `notPrincipals` (Istio's CEL rule), so there
 * the exclusion is written as `notServiceAccounts`.
 */
export function excludePrincipals(rule: Rule, principals: string[]): Rule {
  if (principals.length === 0) return rule;
  const accounts = principals.map(p => { const parts = p.split('/'); return `${parts[2]}/${parts[4]}`; });
  const exclude = (source: any) => source?.serviceAccounts?.length
    ? { ...source, notServiceAccounts: [...(source.notServiceAccounts ?? []), ...accounts] }
    : { ...source, notPrincipals: [...(source?.notPrincipals ?? []), ...principals] };
  const from = rule.from?.length
    ? rule.from.map(f => ({ source: exclude(f.source) }))
    : [{ source: { notPrincipals: [...principals] } }];
  return { ...rule, from };
}

/** Could a DENY rule match a request arriving from an ingress gateway (whose identity is unknown here)? */
export function couldMatchIngress(rule: Rule): boolean {
  if (!rule.from?.length) return true;
  return rule.from.some(f => !(f.source?.principals?.length || f.source?.namespaces?.length || f.source?.serviceAccounts?.length));
}

export function attachmentKey(attachment: Attachment): string {
  switch (attachment.kind) {
    case 'namespace': return 'namespace-wide';
    case 'selector': return `selector ${JSON.stringify(sortObject(attachment.matchLabels))}`;
    case 'targetRefs': return `targetRefs ${attachment.refs.map(r => `${r.kind}/${r.name}`).join(',')}`;
  }
}

export function sortObject(obj: { [key: string]: string }): { [key: string]: string } {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => a.localeCompare(b)));
}

export function refsOf(attachment: Attachment): sec.RequestAuthenticationSpecTargetRefs[] {
  return attachment.kind === 'targetRefs' ? attachment.refs.map(r => ({ ...r })) : [];
}

/** An AuthorizationPolicy spec, with canonical rules (declaration order never shows). */
export function renderPolicySpec(action: sec.AuthorizationPolicySpecAction, attachment: Attachment, rules: Rule[]): sec.AuthorizationPolicySpec {
  const canonical = canonicalRules(rules);
  return {
    selector: attachment.kind === 'selector' ? { matchLabels: sortObject(attachment.matchLabels) } : undefined,
    targetRefs: attachment.kind === 'targetRefs' ? attachment.refs.map(r => ({ ...r })) : undefined,
    action,
    rules: canonical.length ? canonical : undefined,
  };
}
