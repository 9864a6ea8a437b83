/**
 * What a proxy does with a request's JWT, given the RequestAuthentications that apply at it
 * (istio 1.30.3 `tests/integration/ambient/baseline_test.go` TestL7JWT,
 * `testdata/requestauthn/waypoint-jwt.yaml.tmpl`; RequestAuthentication API):
 * - no token: the request is let through with no request principal;
 * - a token whose issuer no applicable jwtRule names, or an invalid or expired token: 401 at that proxy;
 * - a token whose `aud` is not among the rule's audiences: 403 at that proxy
 *   (`tests/integration/security/jwt_test.go` "aud"/"invalid-aud");
 * - the validated token is removed before forwarding unless `forwardOriginalToken`
 *   (`jwt_test.go` "authn-only"/"valid-token-noauthz" sees an empty Authorization header, "forward"
 *   keeps it; `pilot/pkg/security/authn/policy_applier.go` `Forward: jwtRule.ForwardOriginalToken`);
 * - a valid token: request principal `<iss>/<sub>` and its claims;
 * - no RequestAuthentication applies at the proxy: the token is not read (no request principal).
 */

/** A JWT carried by a request. */
export interface TokenClaims {
  readonly issuer: string;
  readonly subject?: string;
  /** Claims by name; nested claims as `a.b`; a list claim as comma-separated values. */
  readonly claims?: { readonly [name: string]: string };
  readonly invalid?: boolean;
}

/** The outcome of authenticating a request at one proxy. */
export interface Authentication {
  /** `absent`, `unread` (no RequestAuthentication here), `rejected` (401) or `valid`. */
  readonly status: 'absent' | 'unread' | 'rejected' | 'valid';
  /** `<iss>/<sub>` when valid. */
  readonly principal?: string;
  /** Claim values by name (`iss`, `sub`, `aud` included) when valid. */
  readonly claims?: { readonly [name: string]: string[] };
  readonly reason: string;
}

/** Claims Istio always splits on spaces (`spaceDelimitedClaims` adds more). */
const SPACE_DELIMITED = new Set(['scope', 'permission']);

function claimValues(name: string, value: string, spaceDelimited: ReadonlySet<string>): string[] {
  const parts = value.split(',').map(v => v.trim()).filter(v => v.length > 0);
  return spaceDelimited.has(name) ? parts.flatMap(p => p.split(/\s+/)) : parts;
}

/**
 * Authenticates a token against the RequestAuthentications applying at one proxy.
 * @param requestAuthentications the objects (with `spec.jwtRules`) that apply at this proxy
 */
export function authenticate(requestAuthentications: readonly any[], token: TokenClaims | undefined): Authentication {
  if (!token) return { status: 'absent', reason: 'no token: no request principal' };
  const rules: any[] = requestAuthentications.flatMap(r => r?.spec?.jwtRules ?? []);
  if (requestAuthentications.length === 0) {
    return { status: 'unread', reason: 'no RequestAuthentication applies here, so the token is not validated and gives no request principal' };
  }
  if (token.invalid) return { status: 'rejected', reason: 'invalid or expired token: 401 Unauthorized' };
  const matching = rules.filter(r => r?.issuer === token.issuer);
  if (matching.length === 0) {
    return { status: 'rejected', reason: `no RequestAuthentication here accepts issuer "${token.issuer}": 401 Unauthorized` };
  }
  const spaceDelimited = new Set([...SPACE_DELIMITED, ...matching.flatMap(r => r.spaceDelimitedClaims ?? [])]);
  const claims: { [name: string]: string[] } = { iss: [token.issuer] };
  if (token.subject !== undefined) claims.sub = [token.subject];
  for (const [name, value] of Object.entries(token.claims ?? {})) claims[name] = claimValues(name, value, spaceDelimited);
  const audiences = matching.find(r => !(r.audiences?.length))
    ? undefined
    : [...new Set(matching.flatMap(r => r.audiences as string[]))];
  if (audiences && !(claims.aud ?? []).some(a => audiences.includes(a))) {
    return { status: 'rejected', reason: `token audience ${claims.aud ? `"${claims.aud.join(',')}"` : '(none)'} is not among ${audiences.join(', ')}: 403 Forbidden` };
  }
  const principal = `${token.issuer}/${token.subject ?? ''}`;
  return { status: 'valid', principal, claims, reason: `valid token, request principal ${principal}` };
}
