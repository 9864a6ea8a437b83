/**
 * The field types the analyzer relies on, checked before an object enters the model: what the API
 * server would reject (`apiVersion: 1`, `ports: '8080'`, `rules: "nope"`) is an input error with the
 * field's path, never a crash deep inside a check.
 */

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value).slice(0, 40)}`;
}

const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);

class Shape {
  public readonly errors: string[] = [];

  public string(v: unknown, at: string, required = false): void {
    if (v === undefined && !required) return;
    if (typeof v !== 'string' || (required && v === '')) this.errors.push(`${at} must be a ${required ? 'non-empty ' : ''}string (got ${describe(v)})`);
  }

  public object(v: unknown, at: string): boolean {
    if (v === undefined) return false;
    if (!isObject(v)) {
      this.errors.push(`${at} must be an object (got ${describe(v)})`);
      return false;
    }
    return true;
  }

  public list(v: unknown, at: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.errors.push(`${at} must be a list (got ${describe(v)})`);
      return [];
    }
    return v;
  }

  public strings(v: unknown, at: string): void {
    this.list(v, at).forEach((s, i) => this.string(s, `${at}[${i}]`, true));
  }

  public stringMap(v: unknown, at: string): void {
    if (!this.object(v, at)) return;
    for (const [k, x] of Object.entries(v as object)) if (typeof x !== 'string') this.errors.push(`${at}.${k} must be a string (got ${describe(x)})`);
  }

  public port(v: unknown, at: string, required: boolean): void {
    if (v === undefined && !required) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) this.errors.push(`${at} must be a port number 1-65535 (got ${describe(v)})`);
  }
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

function authorizationPolicy(s: Shape, spec: any): void {
  s.string(spec.action, 'spec.action');
  if (s.object(spec.selector, 'spec.selector')) s.stringMap(spec.selector.matchLabels, 'spec.selector.matchLabels');
  s.list(spec.targetRefs, 'spec.targetRefs').forEach((r, i) => s.object(r, `spec.targetRefs[${i}]`));
  s.list(spec.rules, 'spec.rules').forEach((rule: any, i) => {
    const at = `spec.rules[${i}]`;
    if (!s.object(rule, at)) return;
    s.list(rule.from, `${at}.from`).forEach((f: any, j) => {
      if (s.object(f, `${at}.from[${j}]`) && s.object(f.source, `${at}.from[${j}].source`)) {
        for (const [k, v] of Object.entries(f.source)) s.strings(v, `${at}.from[${j}].source.${k}`);
      }
    });
    s.list(rule.to, `${at}.to`).forEach((t: any, j) => {
      if (s.object(t, `${at}.to[${j}]`) && s.object(t.operation, `${at}.to[${j}].operation`)) {
        for (const [k, v] of Object.entries(t.operation)) s.strings(v, `${at}.to[${j}].operation.${k}`);
      }
    });
    s.list(rule.when, `${at}.when`).forEach((w: any, j) => {
      if (!s.object(w, `${at}.when[${j}]`)) return;
      s.string(w.key, `${at}.when[${j}].key`, true);
      s.strings(w.values, `${at}.when[${j}].values`);
      s.strings(w.notValues, `${at}.when[${j}].notValues`);
    });
  });
}

function byKind(s: Shape, kind: string, group: string, spec: any): void {
  if (kind === 'AuthorizationPolicy' && group === 'security.istio.io') authorizationPolicy(s, spec);
  if (kind === 'RequestAuthentication' && group === 'security.istio.io') {
    s.list(spec.jwtRules, 'spec.jwtRules').forEach((r: any, i) => {
      if (s.object(r, `spec.jwtRules[${i}]`)) s.string(r.issuer, `spec.jwtRules[${i}].issuer`, true);
    });
    s.list(spec.targetRefs, 'spec.targetRefs').forEach((r, i) => s.object(r, `spec.targetRefs[${i}]`));
  }
  if (kind === 'PeerAuthentication' && group === 'security.istio.io') {
    if (s.object(spec.mtls, 'spec.mtls')) s.string(spec.mtls.mode, 'spec.mtls.mode');
    if (s.object(spec.selector, 'spec.selector')) s.stringMap(spec.selector.matchLabels, 'spec.selector.matchLabels');
  }
  if (kind === 'Service' && group === '') {
    s.list(spec.ports, 'spec.ports').forEach((p: any, i) => {
      if (s.object(p, `spec.ports[${i}]`)) s.port(p.port, `spec.ports[${i}].port`, true);
    });
    s.stringMap(spec.selector, 'spec.selector');
  }
  if ((kind === 'HTTPRoute' || kind === 'GRPCRoute') && group === 'gateway.networking.k8s.io') {
    s.list(spec.parentRefs, 'spec.parentRefs').forEach((r, i) => s.object(r, `spec.parentRefs[${i}]`));
    s.list(spec.rules, 'spec.rules').forEach((r: any, i) => {
      if (s.object(r, `spec.rules[${i}]`)) s.list(r.backendRefs, `spec.rules[${i}].backendRefs`).forEach((b, j) => s.object(b, `spec.rules[${i}].backendRefs[${j}]`));
    });
  }
  if (kind === 'Gateway' && group === 'gateway.networking.k8s.io') s.string(spec.gatewayClassName, 'spec.gatewayClassName');
  if (kind === 'VirtualService' && group === 'networking.istio.io') {
    s.strings(spec.hosts, 'spec.hosts');
    s.list(spec.http, 'spec.http').forEach((r: any, i) => {
      if (s.object(r, `spec.http[${i}]`)) s.list(r.route, `spec.http[${i}].route`);
    });
  }
  if (WORKLOADS.has(kind) && s.object(spec.template, 'spec.template') && spec.template.metadata !== undefined) {
    if (s.object(spec.template.metadata, 'spec.template.metadata')) s.stringMap(spec.template.metadata.labels, 'spec.template.metadata.labels');
  }
}

/** What is wrong with an object's shape; empty when the analyzer can read it. */
export function shapeErrors(obj: any): string[] {
  const s = new Shape();
  s.string(obj.apiVersion, 'apiVersion', true);
  s.string(obj.kind, 'kind', true);
  if (obj.metadata === undefined) {
    s.errors.push('has no metadata (metadata.name is required)');
  } else if (s.object(obj.metadata, 'metadata')) {
    const m = obj.metadata;
    if (m.name === undefined && m.generateName === undefined) s.errors.push('has no metadata.name');
    else s.string(m.name ?? m.generateName, m.name === undefined ? 'metadata.generateName' : 'metadata.name', true);
    s.string(m.namespace, 'metadata.namespace');
    s.stringMap(m.labels, 'metadata.labels');
    s.stringMap(m.annotations, 'metadata.annotations');
  }
  if (s.errors.length) return s.errors;
  if (obj.spec !== undefined && !s.object(obj.spec, 'spec')) return s.errors;
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
  byKind(s, obj.kind, group, obj.spec ?? {});
  return s.errors;
}
