/**
 * Converts a mesh VirtualService into a Gateway API HTTPRoute attached to its Service, when the
 * conversion keeps the same matches and destinations; otherwise says why not (the VirtualService is
 * then kept: a Service waypoint applies VirtualServices too).
 *
 * Matching is kept exact: a VirtualService `prefix` is a plain string prefix while HTTPRoute
 * `PathPrefix` matches whole segments (pilot/pkg/networking/core/route/route.go, Istio 1.30.3), so a
 * prefix other than `/` becomes a RegularExpression match.
 */

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
  readonly selector: { readonly [k: string]: string };
  readonly ports: any[];
}

export interface SubsetRef {
  readonly service: ServiceRef;
  readonly subset: string;
  readonly labels: { readonly [k: string]: string };
}

export interface RouteConversion {
  /** The HTTPRoute, or undefined when the VirtualService cannot be expressed. */
  readonly route?: any;
  /** The per-version Services the route sends to. */
  readonly versionServices: SubsetRef[];
  /** Why the VirtualService is kept, when it is. */
  readonly reasons: string[];
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function stringToRegex(m: any): string | undefined {
  if (m.exact !== undefined) return escapeRegex(m.exact);
  if (m.prefix !== undefined) return `${escapeRegex(m.prefix)}.*`;
  if (m.regex !== undefined) return m.regex;
  return undefined;
}

function convertMatch(m: any, reasons: string[]): any {
  const out: any = {};
  for (const k of Object.keys(m)) {
    if (!['uri', 'method', 'headers', 'queryParams', 'name', 'ignoreUriCase'].includes(k)) reasons.push(`match field "${k}" has no HTTPRoute equivalent`);
  }
  if (m.ignoreUriCase) reasons.push('ignoreUriCase has no HTTPRoute equivalent');
  if (m.uri) {
    if (m.uri.exact !== undefined) out.path = { type: 'Exact', value: m.uri.exact };
    else if (m.uri.prefix === '/') out.path = { type: 'PathPrefix', value: '/' };
    else out.path = { type: 'RegularExpression', value: stringToRegex(m.uri) };
  }
  if (m.method) {
    if (m.method.exact !== undefined) out.method = String(m.method.exact).toUpperCase();
    else reasons.push('a method match other than exact has no HTTPRoute equivalent');
  }
  const headers: any[] = [];
  for (const [name, hm] of Object.entries<any>(m.headers ?? {})) {
    if (name.startsWith(':')) {
      if (name === ':method' && hm.exact !== undefined) out.method = String(hm.exact).toUpperCase();
      else reasons.push(`pseudo-header match "${name}" has no HTTPRoute equivalent`);
      continue;
    }
    if (hm.exact !== undefined) headers.push({ type: 'Exact', name, value: hm.exact });
    else if (hm.prefix !== undefined || hm.regex !== undefined) headers.push({ type: 'RegularExpression', name, value: stringToRegex(hm) });
    else reasons.push(`header match "${name}" (presence or absence) has no HTTPRoute equivalent`);
  }
  if (headers.length) out.headers = headers.sort((a, b) => a.name.localeCompare(b.name));
  const query: any[] = [];
  for (const [name, qm] of Object.entries<any>(m.queryParams ?? {})) {
    if (qm.exact !== undefined) query.push({ type: 'Exact', name, value: qm.exact });
    else if (qm.regex !== undefined) query.push({ type: 'RegularExpression', name, value: qm.regex });
    else reasons.push(`query parameter match "${name}" (prefix or presence) has no HTTPRoute equivalent`);
  }
  if (query.length) out.queryParams = query.sort((a, b) => a.name.localeCompare(b.name));
  return out;
}

/**
 * Istio orders the rules of an HTTPRoute by specificity, one entry per match: exact before prefix
 * before regular expression, longer paths first, then with a method, then more headers, then more
 * query parameters; rules without matches last; ties keep their order
 * (pilot/pkg/config/kube/gateway/conversion.go sortHTTPRoutes, Istio 1.30.3). A VirtualService takes
 * the first route that matches. The two agree when that sort keeps the routes' order.
 */
function precedenceKeepsOrder(rules: any[]): boolean {
  const entries: { route: number; m?: any }[] = [];
  rules.forEach((r, route) => {
    if (!r.matches?.length) entries.push({ route });
    else for (const m of r.matches) entries.push({ route, m });
  });
  const rank = (m: any) => (m.path?.type === 'Exact' ? 3 : m.path?.type === 'RegularExpression' ? 1 : 2);
  const length = (m: any) => {
    const v: string = m.path?.value ?? '/';
    return m.path?.type === 'PathPrefix' || !m.path ? (v === '/' ? 1 : v.replace(/\/$/, '').length) : v.length;
  };
  const before = (a: { m?: any }, b: { m?: any }): number => {
    if (!a.m && !b.m) return 0;
    if (!a.m) return 1;
    if (!b.m) return -1;
    return (rank(b.m) - rank(a.m)) || (length(b.m) - length(a.m))
      || (Number(!!b.m.method) - Number(!!a.m.method))
      || ((b.m.headers?.length ?? 0) - (a.m.headers?.length ?? 0))
      || ((b.m.queryParams?.length ?? 0) - (a.m.queryParams?.length ?? 0));
  };
  const sorted = entries.map((e, i) => ({ e, i })).sort((a, b) => before(a.e, b.e) || a.i - b.i).map(x => x.e.route);
  return sorted.every((route, i) => i === 0 || route >= sorted[i - 1]);
}

const SUPPORTED_ROUTE_FIELDS = new Set(['name', 'match', 'route', 'timeout', 'headers', 'mirror', 'mirrorPercentage']);

/**
 * Converts one VirtualService. `resolve` finds the Service a destination host names (in the
 * VirtualService's namespace), `subsetLabels` the labels of a DestinationRule subset.
 */
export function virtualServiceToRoute(
  vs: any,
  services: ServiceRef[],
  resolve: (host: string) => ServiceRef | undefined,
  subsetLabels: (service: ServiceRef, subset: string) => { [k: string]: string } | undefined,
): RouteConversion {
  const reasons: string[] = [];
  const versionServices = new Map<string, SubsetRef>();
  const backend = (dest: any, weight?: number): any => {
    const svc = resolve(dest.host ?? '');
    if (!svc) {
      reasons.push(`destination host "${dest.host}" is not a Service of the manifests`);
      return undefined;
    }
    let name = svc.name;
    if (dest.subset) {
      const labels = subsetLabels(svc, dest.subset);
      if (!labels) {
        reasons.push(`subset "${dest.subset}" of ${svc.name} is not defined by a DestinationRule`);
        return undefined;
      }
      name = `${svc.name}-${dest.subset}`;
      versionServices.set(name, { service: svc, subset: dest.subset, labels });
    }
    const port = dest.port?.number ?? (svc.ports.length === 1 ? svc.ports[0].port : undefined);
    if (port === undefined) reasons.push(`destination ${dest.host} has several ports and names none`);
    const ref: any = { name, port };
    if (svc.namespace !== vs.metadata.namespace) reasons.push(`destination ${dest.host} is in another namespace (an HTTPRoute would need a ReferenceGrant there)`);
    if (weight !== undefined) ref.weight = weight;
    return ref;
  };

  const rules: any[] = [];
  for (const http of vs.spec?.http ?? []) {
    for (const k of Object.keys(http)) {
      if (!SUPPORTED_ROUTE_FIELDS.has(k)) reasons.push(`http.${k} has no HTTPRoute equivalent in the standard channel`);
    }
    const rule: any = {};
    const matches = (http.match ?? []).map((m: any) => convertMatch(m, reasons));
    if (matches.length) rule.matches = matches;
    const dests: any[] = http.route ?? [];
    rule.backendRefs = dests.map(d => backend(d.destination ?? {}, dests.length > 1 ? d.weight ?? 0 : undefined)).filter(Boolean);
    const filters: any[] = [];
    const h = http.headers;
    if (h?.response) reasons.push('response header manipulation is kept for the VirtualService (convert by hand to ResponseHeaderModifier)');
    if (h?.request) {
      const mod: any = {};
      if (h.request.set) mod.set = Object.entries(h.request.set).map(([name, value]) => ({ name, value }));
      if (h.request.add) mod.add = Object.entries(h.request.add).map(([name, value]) => ({ name, value }));
      if (h.request.remove) mod.remove = [...h.request.remove];
      filters.push({ type: 'RequestHeaderModifier', requestHeaderModifier: mod });
    }
    if (http.mirror) {
      const ref = backend(http.mirror);
      if (ref) {
        const { weight: _w, ...backendRef } = ref;
        const mirror: any = { backendRef };
        const pct = http.mirrorPercentage?.value;
        if (pct !== undefined && pct !== 100) mirror.percent = Math.round(pct);
        filters.push({ type: 'RequestMirror', requestMirror: mirror });
      }
    }
    if (filters.length) rule.filters = filters;
    if (http.timeout) rule.timeouts = { request: http.timeout };
    rules.push(rule);
  }
  if (!precedenceKeepsOrder(rules)) {
    reasons.push('its routes rely on first-match order, which Gateway API precedence (exact, then prefix, then regex, longer paths, method, headers, query parameters first) would change');
  }
  if (rules.length > 16) reasons.push(`${rules.length} http routes: an HTTPRoute holds at most 16 rules`);
  if ((vs.spec?.tcp ?? []).length || (vs.spec?.tls ?? []).length) reasons.push('tcp/tls routes are kept for the VirtualService');
  const route = reasons.length ? undefined : {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: vs.metadata.name, namespace: vs.metadata.namespace },
    spec: {
      parentRefs: services.map(s => ({ group: '', kind: 'Service', name: s.name, ...(s.namespace !== vs.metadata.namespace ? { namespace: s.namespace } : {}) })),
      rules,
    },
  };
  return { route, versionServices: [...versionServices.values()], reasons: [...new Set(reasons)] };
}
