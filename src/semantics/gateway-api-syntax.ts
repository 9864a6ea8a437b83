/**
 * Syntax the Gateway API v1.5.1 CRDs (schema patterns and CEL rules) enforce at admission, checked
 * before the API server does so constructs can name the field. Each function returns what is wrong
 * (a phrase to follow the bad value), or undefined when the value is admitted. Pure: no cdk8s import.
 */

// HTTPRoute/GRPCRoute `matches[].headers[].name`, `matches[].queryParams[].name`, and the
// RequestHeaderModifier/ResponseHeaderModifier `set[].name`/`add[].name`/`remove[]`:
// pattern ^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$, minLength 1, maxLength 256 (RFC 7230 token).
const HTTP_HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

/** An HTTP header (or query parameter) name as the route CRDs admit it. */
export function headerNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > 256) return `is ${name.length} characters long, more than 256`;
  if (!HTTP_HEADER_NAME.test(name)) return "is not an HTTP token: use letters, digits and !#$%&'*+-.^_`|~ only (no spaces, ':' or '/')";
  return undefined;
}

/**
 * A header or query match value, or a header modifier value: minLength 1; maxLength 4096 for header
 * values (`matches[].headers[].value`, `set[].value`) and 1024 for `matches[].queryParams[].value`.
 */
export function matchValueProblem(value: string, maxLength: number): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > maxLength) return `is ${value.length} characters long, more than ${maxLength}`;
  return undefined;
}

// HTTPRoute `matches[].path` CEL rules for types Exact and PathPrefix (each rule's message kept in meaning).
const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;

/** An Exact or PathPrefix path match value (HTTPRoute `matches[].path.value`, its CEL rules and maxLength 1024). */
export function pathMatchProblem(value: string): string | undefined {
  if (value.length > 1024) return `is ${value.length} characters long, more than 1024`;
  // rule: self.value.startsWith('/')
  if (!value.startsWith('/')) return "must start with '/'";
  // rules: !self.value.contains('//' | '/./' | '/../' | '%2f' | '%2F' | '#')
  for (const bad of ['//', '/./', '/../', '%2f', '%2F', '#']) {
    if (value.includes(bad)) return `contains '${bad}', which the HTTPRoute CRD refuses in a path match`;
  }
  // rules: !self.value.endsWith('/..' | '/.')
  for (const bad of ['/..', '/.']) {
    if (value.endsWith(bad)) return `ends with '${bad}', which the HTTPRoute CRD refuses in a path match`;
  }
  // rule: self.value.matches(^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$)
  if (!PATH_CHARS.test(value)) return "has characters a URL path cannot hold unescaped: percent-encode them (e.g. ' ' as %20)";
  return undefined;
}

// HTTPRoute/GRPCRoute `spec.hostnames[]` and Gateway `listeners[].hostname`: pattern
// ^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$, maxLength 253.
const WILDCARD_HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// HTTPRoute `filters[].requestRedirect.hostname` and `urlRewrite.hostname` (PreciseHostname): no wildcard.
const PRECISE_HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Gateway API hostname; `wildcard` allows a leading "*." (route and listener hostnames). */
export function hostnameProblem(hostname: string, wildcard: boolean): string | undefined {
  if (hostname.length === 0) return 'is empty';
  if (hostname.length > 253) return `is ${hostname.length} characters long, more than 253`;
  if (!(wildcard ? WILDCARD_HOSTNAME : PRECISE_HOSTNAME).test(hostname)) {
    return wildcard
      ? 'must be a lowercase DNS name, optionally starting with "*.", without port'
      : 'must be a lowercase DNS name without wildcard or port';
  }
  return undefined;
}

/** HTTPRoute `filters[].requestRedirect.scheme`: enum [http, https]. */
export const REDIRECT_SCHEMES: readonly string[] = ['http', 'https'];

/** A port number field (`requestRedirect.port`, backend `port`): int32, minimum 1, maximum 65535. */
export function portProblem(port: number): string | undefined {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? undefined : 'is not a port number (a whole number from 1 to 65535)';
}
