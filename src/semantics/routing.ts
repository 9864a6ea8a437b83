/**
 * How Istio matches an HTTP request against Gateway API routes and VirtualServices. Pure functions:
 * the diagnose command and any check that asks "which rule serves this request" use these.
 *
 * Sources (Istio 1.30.3): pilot/pkg/config/kube/gateway/conversion.go `createURIMatch` (HTTPRoute
 * PathPrefix drops a trailing `/`, no match means PathPrefix `/`), pilot/pkg/networking/core/route/route.go
 * (Gateway API prefixes become Envoy path-separated prefixes; VirtualService prefixes stay plain string
 * prefixes), tests/integration/pilot/common/routing.go (a request no route matches gets 404).
 */

/** The parts of an HTTP request that routes match on. */
export interface RoutedRequest {
  readonly path: string;
  readonly method?: string;
  /** Lower-case header names. */
  readonly headers: { readonly [name: string]: string };
  readonly host?: string;
}

/** Gateway API PathPrefix: whole path segments, a trailing `/` in the prefix ignored. */
export function pathSeparatedPrefixMatches(prefix: string, path: string): boolean {
  const p = prefix === '/' ? '/' : prefix.replace(/\/$/, '');
  if (p === '/') return path.startsWith('/');
  const bare = path.split('?')[0];
  return bare === p || bare.startsWith(`${p}/`);
}

function regexMatches(pattern: string, value: string): boolean {
  try {
    // Envoy's safe_regex must match the whole value.
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false;
  }
}

/** One `HTTPRouteMatch` of a Gateway API HTTPRoute (an absent match is PathPrefix `/`). */
export function httpRouteMatchMatches(match: any, req: RoutedRequest): boolean {
  const pathType: string = match?.path?.type ?? 'PathPrefix';
  const pathValue: string = match?.path?.value ?? '/';
  const bare = req.path.split('?')[0];
  if (pathType === 'Exact' && bare !== pathValue) return false;
  if (pathType === 'PathPrefix' && !pathSeparatedPrefixMatches(pathValue, req.path)) return false;
  if (pathType === 'RegularExpression' && !regexMatches(pathValue, bare)) return false;
  if (match?.method && req.method && match.method !== req.method.toUpperCase()) return false;
  if (match?.method && !req.method) return false;
  for (const h of match?.headers ?? []) {
    const value = req.headers[String(h.name).toLowerCase()];
    if (value === undefined) return false;
    if ((h.type ?? 'Exact') === 'Exact' ? value !== h.value : !regexMatches(h.value, value)) return false;
  }
  const query = new URLSearchParams(req.path.includes('?') ? req.path.slice(req.path.indexOf('?') + 1) : '');
  for (const q of match?.queryParams ?? []) {
    const value = query.get(q.name);
    if (value === null) return false;
    if ((q.type ?? 'Exact') === 'Exact' ? value !== q.value : !regexMatches(q.value, value)) return false;
  }
  return true;
}

/** Does some rule of an HTTPRoute match? (a rule without matches matches everything) */
export function httpRouteRuleFor(route: any, req: RoutedRequest): number {
  const rules: any[] = route?.spec?.rules ?? [];
  return rules.findIndex(r => (r.matches ?? [{}]).length === 0 || (r.matches ?? [{}]).some((m: any) => httpRouteMatchMatches(m, req)));
}

function stringMatch(m: any, value: string | undefined): boolean {
  if (!m) return true;
  if (value === undefined) return false;
  if (m.exact !== undefined) return value === m.exact;
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  if (m.regex !== undefined) return regexMatches(m.regex, value);
  return true;
}

/** One VirtualService `HTTPMatchRequest` (prefixes are plain string prefixes here). */
export function virtualServiceMatchMatches(match: any, req: RoutedRequest): boolean {
  if (!stringMatch(match?.uri, req.path.split('?')[0])) return false;
  if (!stringMatch(match?.method, req.method?.toUpperCase())) return false;
  if (match?.authority && !stringMatch(match.authority, req.host)) return false;
  for (const [name, m] of Object.entries(match?.headers ?? {})) {
    const lower = name.toLowerCase();
    const value = lower === ':method' ? req.method?.toUpperCase() : req.headers[lower];
    if (!stringMatch(m, value)) return false;
  }
  return true;
}

/** Index of the first VirtualService http route that matches, or -1 (Istio then answers 404). */
export function virtualServiceRouteFor(vs: any, req: RoutedRequest): number {
  const routes: any[] = vs?.spec?.http ?? [];
  return routes.findIndex(r => (r.match ?? []).length === 0 || (r.match as any[]).some(m => virtualServiceMatchMatches(m, req)));
}

/**
 * Gateway API hostname matching: exact, or a `*.` wildcard that matches one or more labels in front
 * of the suffix (never the bare suffix).
 */
export function hostnameMatches(pattern: string, host: string): boolean {
  const h = host.toLowerCase().replace(/:\d+$/, '');
  const p = pattern.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return h === p;
}
