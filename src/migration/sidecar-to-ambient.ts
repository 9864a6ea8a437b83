/**
 * Rewrites a sidecar-mode mesh as its ambient equivalent, following the Istio 1.30 migration guide
 * (istio.io/latest/docs/ambient/migrate/): namespaces labelled ambient, a waypoint where L7 is needed,
 * VirtualServices as HTTPRoutes with one Service per version, selector-based L7 policies attached to
 * Services with a ztunnel guard that requires the waypoint, RequestAuthentications beside them. What
 * cannot move is listed with the guide's advice. Pure: objects in, objects and notes out.
 */
import { ServiceRef, virtualServiceToRoute } from './virtual-service-to-route';
import { l7AttributesOf } from '../semantics/enforcement';
import { namespaceInjectsSidecars } from '../semantics/membership';
import { selectorMatches } from '../semantics/selectors';

/** What happened to one input object. */
export type MigrationStatus = 'converted' | 'kept' | 'added' | 'dropped' | 'blocked';

export interface MigrationNote {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly status: MigrationStatus;
  readonly reason: string;
}

export interface MigrationOutput {
  readonly objects: any[];
  readonly notes: MigrationNote[];
  /** Per-version Services (`namespace/name`) added for subsets, with the Service they split. */
  readonly versionServices: { readonly service: string; readonly parent: string }[];
  /** Rollout steps, in the guide's order. */
  readonly steps: string[];
}

export interface MigrationOptions {
  readonly rootNamespace?: string;
  readonly trustDomain?: string;
  /** Name of the waypoint created in each namespace that needs one. @default "waypoint" */
  readonly waypointName?: string;
}

const WAYPOINT_KINDS_L7 = new Set(['AuthorizationPolicy', 'RequestAuthentication', 'Telemetry', 'WasmPlugin']);
const SOURCE_IDENTITY_FIELDS = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'requestPrincipals', 'notRequestPrincipals'];

function ns(o: any): string {
  return o.metadata?.namespace ?? 'default';
}

function clone<T>(o: T): T {
  return JSON.parse(JSON.stringify(o));
}

function podLabels(o: any): { [k: string]: string } {
  if (o.kind === 'Pod') return o.metadata?.labels ?? {};
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template?.metadata?.labels ?? {};
  return o.spec?.template?.metadata?.labels ?? {};
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

/** Does a policy need the waypoint once its namespace is in ambient? */
function needsWaypoint(o: any): boolean {
  if (!WAYPOINT_KINDS_L7.has(o.kind)) return false;
  if (o.kind !== 'AuthorizationPolicy') return true;
  const action = o.spec?.action ?? 'ALLOW';
  if (action === 'CUSTOM' || action === 'AUDIT') return true;
  const rules: any[] = o.spec?.rules ?? [];
  // L7 attributes, or client identities: behind a waypoint ztunnel sees the waypoint, not the client.
  return rules.some(r => l7AttributesOf(r).length > 0
    || (r.from ?? []).some((f: any) => SOURCE_IDENTITY_FIELDS.some(k => (f.source?.[k] ?? []).length > 0)));
}

class Migration {
  private readonly out: any[] = [];
  private readonly notes: MigrationNote[] = [];
  private readonly sidecarNamespaces = new Set<string>();
  private readonly waypointNamespaces = new Set<string>();
  private readonly services = new Map<string, ServiceRef>();
  private readonly workloads = new Map<string, any[]>();
  private readonly root: string;
  private readonly td: string;
  private readonly waypoint: string;
  private readonly consumed = new Set<any>();

  public constructor(private readonly input: any[], options: MigrationOptions) {
    this.root = options.rootNamespace ?? 'istio-system';
    this.td = options.trustDomain ?? 'cluster.local';
    this.waypoint = options.waypointName ?? 'waypoint';
    for (const o of input) {
      if (o.kind === 'Namespace' && namespaceInjectsSidecars(o.metadata?.labels ?? {})) this.sidecarNamespaces.add(o.metadata.name);
      if (o.kind === 'Service' && o.apiVersion === 'v1') {
        this.services.set(`${ns(o)}/${o.metadata.name}`, { namespace: ns(o), name: o.metadata.name, selector: o.spec?.selector ?? {}, ports: o.spec?.ports ?? [] });
      }
      if (WORKLOAD_KINDS.has(o.kind)) this.workloads.set(ns(o), [...this.workloads.get(ns(o)) ?? [], o]);
    }
  }

  public run(): MigrationOutput {
    this.decideWaypoints();
    this.routes();
    for (const o of this.input) {
      if (this.consumed.has(o)) continue;
      const migrated = this.sidecarNamespaces.has(ns(o)) || (o.kind === 'Namespace' && this.sidecarNamespaces.has(o.metadata.name));
      if (!migrated) {
        this.out.push(clone(o));
        continue;
      }
      this.object(o);
    }
    for (const n of [...this.waypointNamespaces].sort()) this.addWaypoint(n);
    const versionServices = this.out.filter(o => o.kind === 'Service' && o.metadata.labels?.['app.kubernetes.io/part-of'] && this.notes.some(n => n.status === 'added' && n.kind === 'Service' && n.name === o.metadata.name))
      .map(o => ({ service: `${ns(o)}/${o.metadata.name}`, parent: `${ns(o)}/${o.metadata.labels['app.kubernetes.io/part-of']}` }));
    return { objects: this.out, notes: this.notes, steps: this.steps(), versionServices };
  }

  private note(o: any, status: MigrationStatus, reason: string): void {
    this.notes.push({ kind: o.kind, namespace: o.kind === 'Namespace' ? '' : ns(o), name: o.metadata?.name ?? '', status, reason });
  }

  /** Namespaces whose routes or policies need L7 after the move get a waypoint. */
  private decideWaypoints(): void {
    for (const o of this.input) {
      const n = ns(o);
      if (!this.sidecarNamespaces.has(n)) continue;
      if (needsWaypoint(o)) this.waypointNamespaces.add(n);
      if (o.kind === 'VirtualService' && !(o.spec?.gateways ?? []).some((g: string) => g !== 'mesh')) this.waypointNamespaces.add(n);
      if (o.kind === 'DestinationRule' && (o.spec?.trafficPolicy || o.spec?.subsets)) this.waypointNamespaces.add(n);
    }
  }

  private resolve(host: string, namespace: string): ServiceRef | undefined {
    const parts = host.split('.');
    if (parts.length === 1) return this.services.get(`${namespace}/${host}`);
    if (parts.length >= 2 && (parts.length === 2 || host.endsWith('.svc') || host.endsWith('.svc.cluster.local'))) return this.services.get(`${parts[1]}/${parts[0]}`);
    return undefined;
  }

  private subsetLabels(svc: ServiceRef, subset: string): { [k: string]: string } | undefined {
    for (const dr of this.input.filter(o => o.kind === 'DestinationRule')) {
      const host = this.resolve(dr.spec?.host ?? '', ns(dr));
      if (host?.namespace !== svc.namespace || host.name !== svc.name) continue;
      const s = (dr.spec?.subsets ?? []).find((x: any) => x.name === subset);
      if (s) return s.labels ?? {};
    }
    return undefined;
  }

  /** Mesh VirtualServices become HTTPRoutes (with per-version Services) when nothing is lost. */
  private routes(): void {
    const byHost = new Map<string, any[]>();
    for (const vs of this.input.filter(o => o.kind === 'VirtualService' && this.sidecarNamespaces.has(ns(o)))) {
      if ((vs.spec?.gateways ?? []).some((g: string) => g !== 'mesh')) continue; // ingress: Gateway unchanged
      for (const h of vs.spec?.hosts ?? []) {
        const svc = this.resolve(h, ns(vs));
        if (svc) byHost.set(`${svc.namespace}/${svc.name}`, [...byHost.get(`${svc.namespace}/${svc.name}`) ?? [], vs]);
      }
    }
    const versionServices = new Map<string, any>();
    const convertedDrSubsets = new Set<string>();
    for (const vs of [...new Set([...byHost.values()].flat())]) {
      const hosts = (vs.spec?.hosts ?? []).map((h: string) => this.resolve(h, ns(vs))).filter(Boolean) as ServiceRef[];
      const unresolved = (vs.spec?.hosts ?? []).filter((h: string) => !this.resolve(h, ns(vs)));
      const conversion = virtualServiceToRoute(vs, hosts, h => this.resolve(h, ns(vs)), (s, sub) => this.subsetLabels(s, sub));
      const reasons = [...conversion.reasons, ...unresolved.map((h: string) => `host "${h}" is not a Service of the manifests`)];
      // One VirtualService per Service: two would need merging, and VirtualService + HTTPRoute for one Service is undefined.
      if (hosts.some(h => (byHost.get(`${h.namespace}/${h.name}`) ?? []).length > 1)) reasons.push('another VirtualService routes the same Service');
      if (reasons.length || !conversion.route) {
        this.note(vs, 'kept', `kept as a VirtualService (the Service's waypoint applies it): ${reasons.join('; ')}`);
        continue;
      }
      this.consumed.add(vs);
      this.out.push(conversion.route);
      this.note(vs, 'converted', `HTTPRoute ${ns(vs)}/${vs.metadata.name} attached to Service ${hosts.map(h => h.name).join(', ')}${conversion.versionServices.length ? `, routing to ${conversion.versionServices.map(v => `${v.service.name}-${v.subset}`).join(', ')}` : ''}`);
      for (const v of conversion.versionServices) {
        const name = `${v.service.name}-${v.subset}`;
        convertedDrSubsets.add(`${v.service.namespace}/${v.service.name}`);
        if (versionServices.has(`${v.service.namespace}/${name}`)) continue;
        const svc = {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name, namespace: v.service.namespace, labels: { 'app.kubernetes.io/part-of': v.service.name } },
          spec: { selector: { ...v.service.selector, ...v.labels }, ports: clone(v.service.ports) },
        };
        versionServices.set(`${v.service.namespace}/${name}`, svc);
        // Policies that move to the waypoint must cover the per-version Service too: its clients reach
        // the same pods through the waypoint under another name.
        this.services.set(`${v.service.namespace}/${name}`, { namespace: v.service.namespace, name, selector: svc.spec.selector, ports: svc.spec.ports });
        this.out.push(svc);
        this.notes.push({ kind: 'Service', namespace: v.service.namespace, name, status: 'added', reason: `one Service per version replaces subset "${v.subset}" of ${v.service.name}` });
      }
    }
    // DestinationRules whose subsets all became Services keep only their traffic policy.
    for (const dr of this.input.filter(o => o.kind === 'DestinationRule' && this.sidecarNamespaces.has(ns(o)))) {
      const svc = this.resolve(dr.spec?.host ?? '', ns(dr));
      if (!svc || !convertedDrSubsets.has(`${svc.namespace}/${svc.name}`) || !dr.spec?.subsets) continue;
      const routesService = (o: any) => (o.spec?.hosts ?? []).some((h: string) => {
        const r = this.resolve(h, ns(o));
        return r?.name === svc.name && r.namespace === svc.namespace;
      });
      const keptVs = this.input.some(o => o.kind === 'VirtualService' && !this.consumed.has(o) && routesService(o));
      if (keptVs || dr.spec.subsets.some((s: any) => s.trafficPolicy)) continue;
      this.consumed.add(dr);
      if (dr.spec.trafficPolicy) {
        const copy = clone(dr);
        delete copy.spec.subsets;
        this.out.push(copy);
        this.note(dr, 'converted', 'subsets replaced by per-version Services; the traffic policy stays (the waypoint applies it)');
      } else {
        this.note(dr, 'dropped', 'its subsets are replaced by per-version Services');
      }
    }
  }

  private object(o: any): void {
    switch (o.kind) {
      case 'Namespace': return this.namespace(o);
      case 'AuthorizationPolicy':
      case 'RequestAuthentication':
      case 'Telemetry':
      case 'WasmPlugin':
        return this.attached(o);
      case 'DestinationRule':
        this.note(o, 'kept', 'the waypoint applies DestinationRule traffic policies (and subsets, for VirtualServices kept)');
        this.out.push(clone(o));
        return;
      case 'VirtualService':
        if ((o.spec?.gateways ?? []).some((g: string) => g !== 'mesh')) this.note(o, 'kept', 'ingress VirtualService: the Istio Gateway keeps working unchanged (migration guide); the namespace label istio.io/ingress-use-waypoint sends its traffic through the waypoint');
        this.out.push(clone(o));
        return;
      case 'PeerAuthentication':
        if (o.spec?.mtls?.mode === 'DISABLE' || Object.values<any>(o.spec?.portLevelMtls ?? {}).some(p => p.mode === 'DISABLE')) {
          this.note(o, 'blocked', 'PeerAuthentication mode DISABLE is a hard blocker of the migration guide: ambient has no way to turn mTLS off for a workload. Remove it (or keep those workloads on sidecars) before migrating.');
        } else {
          this.note(o, 'kept', 'PeerAuthentication STRICT/PERMISSIVE applies at ztunnel unchanged');
        }
        this.out.push(clone(o));
        return;
      case 'Sidecar':
        this.note(o, 'dropped', 'Sidecar resources have no effect in ambient mode (IST0167)');
        return;
      case 'EnvoyFilter':
        this.note(o, 'blocked', 'EnvoyFilter is not supported on waypoints (Istio migration guide): express it with Gateway API filters or a WasmPlugin attached to the waypoint, or keep these workloads on sidecars.');
        return;
      default:
        if (WORKLOAD_KINDS.has(o.kind)) return this.workload(o);
        this.out.push(clone(o));
    }
  }

  private namespace(o: any): void {
    const copy = clone(o);
    const labels = { ...copy.metadata.labels ?? {} };
    delete labels['istio-injection'];
    delete labels['istio.io/rev'];
    labels['istio.io/dataplane-mode'] = 'ambient';
    if (this.waypointNamespaces.has(o.metadata.name)) {
      labels['istio.io/use-waypoint'] = this.waypoint;
      // In sidecar mode ingress traffic met the destination sidecar's L7 policy; keep that through the waypoint.
      labels['istio.io/ingress-use-waypoint'] = 'true';
    }
    copy.metadata.labels = labels;
    this.out.push(copy);
    this.note(o, 'converted', `labelled istio.io/dataplane-mode=ambient, injection labels removed${this.waypointNamespaces.has(o.metadata.name) ? `, served by waypoint ${this.waypoint}` : ''}`);
  }

  private workload(o: any): void {
    const copy = clone(o);
    const meta = o.kind === 'Pod' ? copy.metadata : o.kind === 'CronJob' ? copy.spec?.jobTemplate?.spec?.template?.metadata : copy.spec?.template?.metadata;
    if (meta?.labels?.['sidecar.istio.io/inject'] !== undefined || meta?.annotations?.['sidecar.istio.io/inject'] !== undefined) {
      delete meta.labels?.['sidecar.istio.io/inject'];
      delete meta.annotations?.['sidecar.istio.io/inject'];
      this.note(o, 'converted', 'sidecar.istio.io/inject removed from the pod template (a pod with a sidecar is never captured by ztunnel)');
    }
    this.out.push(copy);
  }

  /** Services of a namespace whose pods a workload selector selects. */
  private servicesSelected(namespace: string, selector: { [k: string]: string }): ServiceRef[] {
    const pods = (this.workloads.get(namespace) ?? []).map(podLabels).filter(l => selectorMatches(selector, l));
    return [...this.services.values()].filter(s => s.namespace === namespace && Object.keys(s.selector).length > 0
      && (pods.length ? pods.some(l => selectorMatches(s.selector, l)) : selectorMatches(selector, s.selector)))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Selector-based policies move to the waypoint (targetRefs) when they need L7 or client identities. */
  private attached(o: any): void {
    const n = ns(o);
    if (n === this.root) {
      this.out.push(clone(o));
      return;
    }
    if (o.spec?.targetRefs || o.spec?.targetRef || !needsWaypoint(o)) {
      this.out.push(clone(o));
      this.note(o, 'kept', o.kind === 'AuthorizationPolicy' ? 'L4 policy: ztunnel enforces it unchanged' : 'already attached with targetRefs');
      return;
    }
    const copy = clone(o);
    // A new name: during the rollout the sidecars still need the selector-based original, which is
    // deleted only once the namespace runs in ambient (the guide's order).
    copy.metadata.name = `${o.metadata.name}-waypoint`;
    const selector = o.spec?.selector?.matchLabels;
    if (o.spec?.selector?.matchExpressions) {
      this.out.push(copy);
      this.note(o, 'blocked', 'selector with matchExpressions: the Services it covers cannot be worked out; attach it to the right Services by hand');
      return;
    }
    delete copy.spec.selector;
    if (selector) {
      const targets = this.servicesSelected(n, selector);
      if (targets.length === 0) {
        this.out.push(clone(o));
        this.note(o, 'blocked', `its selector (${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(', ')}) selects no Service's pods: a waypoint applies policies to Services, so it has nothing to attach to`);
        return;
      }
      copy.spec.targetRefs = targets.map(s => ({ group: '', kind: 'Service', name: s.name }));
      this.out.push(copy);
      this.note(o, 'converted', `replaced by ${o.kind} ${copy.metadata.name}, attached to Service ${targets.map(s => s.name).join(', ')} (enforced at waypoint ${this.waypoint})`);
      if (o.kind === 'AuthorizationPolicy') this.addGuard(n, `${o.metadata.name}-require-waypoint`, selector);
    } else {
      copy.spec.targetRefs = [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: this.waypoint }];
      this.out.push(copy);
      this.note(o, 'converted', `replaced by ${o.kind} ${copy.metadata.name}, attached to waypoint ${this.waypoint}, which serves every Service of ${n}`);
      if (o.kind === 'AuthorizationPolicy') this.addGuard(n, 'require-waypoint');
    }
  }

  /** ztunnel admits only the waypoint to pods whose rules moved to it (the guide's bypass guard). */
  private addGuard(namespace: string, name: string, selector?: { [k: string]: string }): void {
    if (this.out.some(o => o.kind === 'AuthorizationPolicy' && ns(o) === namespace && o.metadata.name === name)) return;
    const spec: any = {
      action: 'DENY',
      rules: [{ from: [{ source: { notPrincipals: [`${this.td}/ns/${namespace}/sa/${this.waypoint}`] } }] }],
    };
    if (selector) spec.selector = { matchLabels: { ...selector } };
    this.out.push({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec });
    this.notes.push({ kind: 'AuthorizationPolicy', namespace, name, status: 'added', reason: 'ztunnel guard: only the waypoint may reach these pods, so its L7 rules cannot be bypassed' });
  }

  private addWaypoint(namespace: string): void {
    if (this.out.some(o => o.kind === 'Gateway' && ns(o) === namespace && o.metadata.name === this.waypoint)) return;
    this.out.push({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: this.waypoint, namespace, labels: { 'istio.io/waypoint-for': 'service' } },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    this.notes.push({ kind: 'Gateway', namespace, name: this.waypoint, status: 'added', reason: 'waypoint for the L7 routes and policies the sidecars enforced' });
  }

  /** The guide's rollout order, per namespace. */
  private steps(): string[] {
    const out = [
      'Install the ambient components without touching workloads: helm upgrade istiod and istio-cni with profile=ambient, helm install ztunnel; restart sidecar workloads so they speak HBONE.',
      'Apply the waypoints, HTTPRoutes, per-version Services and targetRefs policies (the namespaces still use sidecars, so nothing changes yet).',
    ];
    for (const n of [...this.sidecarNamespaces].sort()) {
      const steps = [
        this.waypointNamespaces.has(n) ? `kubectl label namespace ${n} istio.io/use-waypoint=${this.waypoint}` : undefined,
        `kubectl label namespace ${n} istio.io/dataplane-mode=ambient`,
        `kubectl label namespace ${n} istio-injection- istio.io/rev-`,
        `kubectl rollout restart deployment -n ${n}`,
        this.waypointNamespaces.has(n) ? `delete the selector-based policies replaced by *-waypoint ones and the VirtualServices/DestinationRules replaced by HTTPRoutes in ${n} right away (ztunnel would enforce L7 selector policies as deny-all)` : undefined,
      ].filter(Boolean);
      out.push(`Namespace ${n}: ${steps.join('; then ')}.`);
    }
    out.push('Validate with istioctl ztunnel-config workloads and the access diff; each step can be rolled back by reverting the labels.');
    return out;
  }
}

/** Rewrites a sidecar-mode mesh for ambient. */
export function migrateToAmbient(objects: any[], options: MigrationOptions = {}): MigrationOutput {
  return new Migration(objects.filter(o => o && typeof o === 'object' && o.kind && o.metadata), options).run();
}
