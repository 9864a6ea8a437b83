/**
 * Who enforces what, per destination Service: the split operators need when debugging a 503, an
 * `RBAC: access denied` or an unexpected allow.
 */
import { PolicyIndex } from './access';
import type { ServiceExplanation } from './analyzer';
import { K8sObject, MeshModel, ServiceInfo } from './model';
import { ztunnelPolicyEffect } from '../semantics/enforcement';
import { effectiveMtls } from '../semantics/mtls';

/** The public struct, declared (for jsii) next to MeshAnalyzer. */
export type Explanation = ServiceExplanation;

function describePolicy(o: K8sObject): string {
  const action = o.spec?.action ?? 'ALLOW';
  const rules = o.spec?.rules?.length ?? 0;
  const dry = o.metadata.annotations?.['istio.io/dry-run'] === 'true' ? ', dry-run' : '';
  return `${o.metadata.name} (${action}${rules === 0 && action === 'ALLOW' ? ' nothing' : `, ${rules} rule${rules === 1 ? '' : 's'}`}${dry})`;
}

/** A ztunnel policy, with what ztunnel really does with it when that differs from what it says. */
function describeZtunnelPolicy(o: K8sObject): string {
  const effect = ztunnelPolicyEffect(o);
  const base = `${o.metadata.namespace}/${describePolicy(o)}`;
  return effect.summary === 'enforced as written' || (effect.rules.length === 0 && effect.sent) ? base : `${base}: ${effect.summary}`;
}

/** The effective mTLS mode of a Service's pods and the PeerAuthentication that sets it. */
export function mtlsMode(model: MeshModel, index: PolicyIndex, svc: ServiceInfo): string {
  const pas = model.kind('PeerAuthentication').map(l => l.obj);
  const m = effectiveMtls(pas, index.rootNamespace, svc.namespace, index.podLabels(svc));
  if (!m.policy) return 'PERMISSIVE (ambient default)';
  return `${m.mode} (${m.level} ${m.policy})`;
}

export function explain(model: MeshModel, index: PolicyIndex, filter: { namespace?: string; service?: string } = {}): Explanation[] {
  const routesByService = new Map<string, string[]>();
  const ingressByService = new Map<string, string[]>();
  for (const l of [...model.kind('HTTPRoute'), ...model.kind('GRPCRoute')]) {
    const o = l.obj;
    const ns = o.metadata.namespace ?? 'default';
    for (const p of o.spec?.parentRefs ?? []) {
      if (p.kind === 'Service') {
        const k = `${ns}/${p.name}`;
        routesByService.set(k, [...routesByService.get(k) ?? [], `${o.kind} ${o.metadata.name}`]);
      }
    }
    const viaGateway = (o.spec?.parentRefs ?? []).some((p: any) => (p.kind ?? 'Gateway') === 'Gateway');
    if (viaGateway) {
      for (const rule of o.spec?.rules ?? []) {
        for (const b of rule.backendRefs ?? []) {
          const k = `${b.namespace ?? ns}/${b.name}`;
          const gws = (o.spec.parentRefs as any[]).filter(p => (p.kind ?? 'Gateway') === 'Gateway').map(p => `${p.namespace ?? ns}/${p.name}`);
          ingressByService.set(k, [...new Set([...ingressByService.get(k) ?? [], `${o.kind} ${o.metadata.name} via ${gws.join(', ')}`])]);
        }
      }
    }
  }
  const drs = model.kind('DestinationRule').map(l => l.obj);
  const telemetries = model.kind('Telemetry').map(l => l.obj);
  const out: Explanation[] = [];
  const services = [...model.services.values()]
    .filter(s => (!filter.namespace || s.namespace === filter.namespace) && (!filter.service || s.name === filter.service))
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  for (const svc of services) {
    const k = `${svc.namespace}/${svc.name}`;
    const binding = model.serviceBinding(svc);
    const w = binding.waypoint;
    const jwt = (w ? index.waypointAuthn(svc, w) : [])
      .map(r => `${r.metadata.namespace}/${r.metadata.name}: ${(r.spec?.jwtRules ?? []).map((j: any) => j.issuer).join(', ')}`);
    const resilience = drs.filter(d => [svc.name, `${svc.name}.${svc.namespace}`, `${svc.name}.${svc.namespace}.svc.cluster.local`].includes(d.spec?.host))
      .map(d => `${d.metadata.namespace}/${d.metadata.name}${w ? '' : ' (ignored: no waypoint)'}`);
    const telemetry = telemetries.filter(t => {
      const refs: any[] = t.spec?.targetRefs ?? [];
      if (refs.length === 0) return !t.spec?.selector && [svc.namespace, 'istio-system'].includes(t.metadata.namespace ?? '');
      return refs.some(r => (t.metadata.namespace === svc.namespace && r.kind === 'Service' && r.name === svc.name)
        || (w && t.metadata.namespace === w.namespace && r.kind === 'Gateway' && r.name === w.name));
    }).map(t => {
      const parts = [t.spec?.tracing && 'tracing', t.spec?.accessLogging && 'access logs', t.spec?.metrics && 'metrics'].filter(Boolean).join(' + ');
      return `${t.metadata.namespace}/${t.metadata.name} (${parts}${w ? '' : '; no waypoint: no spans or HTTP logs from ztunnel'})`;
    });
    out.push({
      service: svc.name,
      namespace: svc.namespace,
      ambient: model.isAmbient(svc.namespace) === undefined ? 'unknown' : model.isAmbient(svc.namespace) ? 'yes' : 'no',
      waypoint: w
        ? `${w.namespace}/${w.name}${svc.headless ? ' (headless: pod-addressed, workload waypoint)' : ''}`
        : binding.problem ? `none (L4 only: ${binding.problem})` : 'none (L4 only)',
      ingressUsesWaypoint: svc.ingressUseWaypoint,
      mtls: mtlsMode(model, index, svc),
      ztunnelPolicies: index.ztunnelPolicies(svc).map(describeZtunnelPolicy),
      waypointPolicies: w ? index.waypointPolicies(svc, w).map(o => `${o.metadata.namespace}/${describePolicy(o)}`) : [],
      jwt,
      routes: routesByService.get(k) ?? [],
      ingressRoutes: ingressByService.get(k) ?? [],
      resilience,
      telemetry,
    });
  }
  return out;
}

const COLUMNS: [keyof Explanation, string][] = [
  ['waypoint', 'waypoint'], ['mtls', 'mTLS'], ['ztunnelPolicies', 'ztunnel (L4)'], ['waypointPolicies', 'waypoint (L7)'],
  ['jwt', 'JWT'], ['routes', 'routes'], ['ingressRoutes', 'ingress'], ['resilience', 'resilience'], ['telemetry', 'telemetry'],
];

function cell(e: Explanation, k: keyof Explanation): string {
  const v = e[k];
  if (Array.isArray(v)) return v.length ? v.join('; ') : '-';
  if (k === 'waypoint' && e.ingressUsesWaypoint) return `${v} (ingress too)`;
  return String(v);
}

export function explainMarkdown(items: Explanation[]): string {
  if (items.length === 0) return 'No Services found.\n';
  const lines = ['| service | ' + COLUMNS.map(c => c[1]).join(' | ') + ' |', '| --- |' + COLUMNS.map(() => ' --- |').join('')];
  for (const e of items) lines.push(`| ${e.cluster ? `${e.cluster}: ` : ''}${e.namespace}/${e.service} | ` + COLUMNS.map(([k]) => cell(e, k).replace(/\|/g, '\\|')).join(' | ') + ' |');
  return lines.join('\n') + '\n';
}

export function explainText(items: Explanation[]): string {
  if (items.length === 0) return 'No Services found.\n';
  const out: string[] = [];
  for (const e of items) {
    out.push(`${e.cluster ? `${e.cluster}: ` : ''}${e.namespace}/${e.service}  (ambient: ${e.ambient})`);
    for (const [k, label] of COLUMNS) out.push(`  ${label.padEnd(14)} ${cell(e, k)}`);
    out.push('');
  }
  return out.join('\n');
}
