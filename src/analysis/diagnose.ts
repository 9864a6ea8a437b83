/**
 * Diagnoses a symptom offline: walks the hops a request takes (client ztunnel, ingress gateway,
 * waypoint, destination ztunnel), names the objects in the manifests that most likely cause it, and
 * gives the live commands that confirm it at that hop. Decisions come from the same evaluator and
 * checks as check-access and analyze; routing matches come from semantics/routing.
 */
import { evaluateAccess, PolicyIndex } from './access';
import type { DiagnoseRequest, Diagnosis, DiagnosedObject, DiagnosisCause } from './analyzer';
import { CHECKS, RawFinding, runChecks } from './checks';
import { K8sObject, key, Located, MeshModel, ServiceInfo, WorkloadInfo } from './model';
import { podMembership } from '../semantics/membership';
import { apiGroup, isClusterScoped } from '../semantics/object-identity';
import { httpRouteRuleFor, hostnameMatches, RoutedRequest, virtualServiceRouteFor } from '../semantics/routing';
import { selectorMatches } from '../semantics/selectors';

/** The public structs, declared (for jsii) next to MeshAnalyzer. */
export type DiagnoseQuery = DiagnoseRequest & { readonly rootNamespace?: string };
export type Cause = DiagnosisCause;
export type CauseObject = DiagnosedObject;
export type DiagnoseResult = Omit<Diagnosis, 'text'>;

/** Analyzer checks whose findings can explain each symptom. */
const RELATED_CHECKS: { [symptom: string]: string[] } = {
  '404': ['AMB102', 'AMB103', 'AMB105', 'AMB111'],
  '503': ['AMB103', 'AMB104', 'AMB105', 'AMB112', 'AMB125', 'AMB127'],
  'denied': ['AMB101', 'AMB107', 'AMB109', 'AMB116', 'AMB123', 'AMB124', 'AMB130', 'AMB131'],
  'tls': ['AMB114', 'AMB115'],
  'not-captured': ['AMB106', 'AMB126'],
  'not-synced': ['AMB103', 'AMB119'],
};

interface Scored extends Cause {
  readonly score: number;
}


function objectOf(o: K8sObject): CauseObject {
  return { kind: o.kind, namespace: isClusterScoped(apiGroup(o.apiVersion ?? ''), o.kind) ? '' : o.metadata.namespace ?? 'default', name: o.metadata.name ?? '' };
}

function podSpecOf(w: WorkloadInfo): any {
  const o = w.located.obj;
  if (o.kind === 'Pod') return o.spec;
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template?.spec;
  return o.spec?.template?.spec;
}

function podAnnotationsOf(w: WorkloadInfo): { [k: string]: string } {
  const o = w.located.obj;
  const meta = o.kind === 'Pod' ? o.metadata : o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template?.metadata : o.spec?.template?.metadata;
  return meta?.annotations ?? {};
}

class DiagnosisRun {
  private readonly causes: Scored[] = [];
  private readonly commands: string[] = [];
  private readonly svc: ServiceInfo;
  private readonly root: string;
  private readonly req: RoutedRequest;
  /** The evaluator admits the request: only error findings can still explain a denial. */
  private requestAllowed = false;

  public constructor(private readonly model: MeshModel, private readonly index: PolicyIndex, private readonly q: DiagnoseQuery) {
    const [ns, name] = q.to.split('/');
    const svc = model.service(ns, name);
    if (!svc) throw new Error(`Service ${q.to} is not in the manifests`);
    this.svc = svc;
    this.root = q.rootNamespace ?? 'istio-system';
    const headers: { [k: string]: string } = {};
    this.req = { path: q.path ?? '/', method: q.method, headers, host: q.host ?? `${svc.name}.${svc.namespace}.svc.cluster.local` };
  }

  public run(): DiagnoseResult {
    switch (this.q.symptom as string) {
      case '404': this.notFound(); break;
      case '503': this.unavailable(); break;
      case 'denied': this.denied(); break;
      case 'tls': this.tls(); break;
      case 'not-captured': this.notCaptured(); break;
      default: this.notSynced();
    }
    this.relatedFindings();
    this.hopCommands();
    const seen = new Set<string>();
    const named = new Set<string>();
    const causes = this.causes
      .map((c, i) => ({ c, i }))
      .sort((a, b) => b.c.score - a.c.score || a.i - b.i)
      .map(({ c }) => c)
      .filter(c => {
        const object = `${c.object.kind}/${c.object.namespace}/${c.object.name}`;
        // An analyzer finding on an object the request's own causes already name adds nothing.
        if (c.hop === 'manifests' && named.has(object)) return false;
        const k = `${object}/${c.why}`;
        if (seen.has(k)) return false;
        seen.add(k);
        named.add(object);
        return true;
      })
      .map(({ object, hop, why, fix }) => ({ object, hop, why, fix }));
    return { symptom: this.q.symptom as string, request: this.describeRequest(), causes, commands: [...new Set(this.commands)] };
  }

  private describeRequest(): string {
    const port = this.q.port ? `:${this.q.port}` : '';
    const http = this.q.method || this.q.path ? ` ${this.q.method ?? 'GET'} ${this.q.path ?? '/'}` : '';
    const via = this.q.viaIngress ? ` via ingress ${this.q.viaIngress}` : '';
    return `${this.q.from ?? 'a client outside the mesh'} → ${this.q.to}${port}${http}${via}`;
  }

  private add(score: number, o: K8sObject | CauseObject, hop: string, why: string, fix: string): void {
    const object = 'metadata' in o ? objectOf(o as K8sObject) : o as CauseObject;
    this.causes.push({ score, object, hop, why, fix });
  }

  private get waypointHop(): string {
    return this.svc.waypoint ? `waypoint ${this.svc.waypoint.namespace}/${this.svc.waypoint.name}` : 'destination ztunnel';
  }

  /** 404: no route rule matches the request at the proxy that routes it. */
  private notFound(): void {
    const { svc, req } = this;
    if (this.q.viaIngress) {
      const [gwNs, gwName] = this.q.viaIngress.split('/');
      const routes = this.routesFor('Gateway', gwNs, gwName).filter(r => this.routeHostMatches(r.obj));
      const hop = `ingress gateway ${this.q.viaIngress}`;
      if (routes.length === 0) {
        const gw = this.model.ingressGateways.get(key(gwNs, gwName));
        if (gw) {
          this.add(3, gw.obj, hop, `No HTTPRoute attached to Gateway ${this.q.viaIngress} accepts host "${req.host}"; the gateway answers 404 for a host no route serves.`,
            `Add "${req.host}" to the hostnames of the HTTPRoute that should serve it (and to a listener's hostname), or call the gateway with a host it serves.`);
        }
      }
      for (const r of routes) this.routeMiss(r.obj, hop);
    } else if (!svc.waypoint) {
      for (const r of this.routesFor('Service', svc.namespace, svc.name)) {
        this.add(2, r.obj, 'client ztunnel', `${r.obj.kind} ${r.obj.metadata.name} is attached to Service ${svc.namespace}/${svc.name}, which has no waypoint: ztunnel does not route HTTP, so the route is not applied and a 404 comes from the application itself.`,
          'Enroll the Service in a waypoint (waypoint.enrollService(...) or the istio.io/use-waypoint label) so the route applies.');
      }
    } else {
      for (const r of this.routesFor('Service', svc.namespace, svc.name)) this.routeMiss(r.obj, this.waypointHop);
      for (const l of this.model.kind('VirtualService')) {
        const hosts: string[] = l.obj.spec?.hosts ?? [];
        const names = [svc.name, `${svc.name}.${svc.namespace}`, `${svc.name}.${svc.namespace}.svc`, `${svc.name}.${svc.namespace}.svc.cluster.local`];
        const sameNs = (l.obj.metadata.namespace ?? 'default') === svc.namespace;
        if (!hosts.some(h => names.includes(h) && (sameNs || h.includes('.')))) continue;
        if ((l.obj.spec?.gateways ?? []).length && !(l.obj.spec.gateways as string[]).includes('mesh')) continue;
        if (virtualServiceRouteFor(l.obj, req) < 0) {
          this.add(3, l.obj, this.waypointHop, `No http route of VirtualService ${l.obj.metadata.name} matches ${req.method ?? 'GET'} ${req.path}; the waypoint answers 404 when no route matches.`,
            `Add a route (or a catch-all last route without match) for ${req.path} to the VirtualService.`);
        }
      }
    }
    this.add(0, svc.located.obj, 'destination pod', `No route in the manifests rejects ${req.method ?? 'GET'} ${req.path}: the 404 most likely comes from the application at ${svc.namespace}/${svc.name}.`,
      'Check the application\'s own routes, and the path after any URLRewrite filter.');
  }

  private routeHostMatches(route: K8sObject): boolean {
    const hostnames: string[] = route.spec?.hostnames ?? [];
    return hostnames.length === 0 || hostnames.some(h => hostnameMatches(h, this.req.host!));
  }

  private routeMiss(route: K8sObject, hop: string): void {
    if (httpRouteRuleFor(route, this.req) >= 0) return;
    const matches = (route.spec?.rules ?? []).flatMap((r: any) => r.matches ?? [])
      .map((m: any) => `${m.method ? `${m.method} ` : ''}${m.path?.type ?? 'PathPrefix'} ${m.path?.value ?? '/'}`);
    this.add(3, route, hop, `No rule of ${route.kind} ${route.metadata.name} matches ${this.req.method ?? 'GET'} ${this.req.path} (it matches ${matches.join(', ')}); a request that no rule of an attached route matches gets 404.`,
      `Add a match for ${this.req.path} to ${route.kind} ${route.metadata.name}, or fix the path the client sends (PathPrefix matches whole segments: /api matches /api/x, not /apix).`);
  }

  private routesFor(parentKind: string, ns: string, name: string): Located[] {
    return [...this.model.kind('HTTPRoute'), ...this.model.kind('GRPCRoute')].filter(l => (l.obj.spec?.parentRefs ?? []).some((p: any) =>
      (p.kind ?? 'Gateway') === parentKind && p.name === name && (p.namespace ?? l.obj.metadata.namespace ?? 'default') === ns
      && (this.q.port === undefined || p.port === undefined || p.port === this.q.port)));
  }

  /** 503: nothing to send to (no endpoints, unknown backend or subset, closed port). */
  private unavailable(): void {
    const { svc } = this;
    const workloads = this.workloadsOf(svc);
    if (this.hasNoEndpoints(svc)) {
      this.add(3, svc.located.obj, this.waypointHop, `The selector of Service ${svc.namespace}/${svc.name} (${Object.entries(svc.selector).map(([k, v]) => `${k}=${v}`).join(', ')}) matches no workload in the manifests: the Service has no endpoints, so every proxy answers 503 (no healthy upstream).`,
        'Make the Service selector match the pod template labels of its Deployment.');
    }
    const port = svc.ports.find((p: any) => p.port === (this.q.port ?? svc.ports[0]?.port));
    if (this.q.port !== undefined && !port) {
      this.add(3, svc.located.obj, 'client ztunnel', `Service ${svc.namespace}/${svc.name} has no port ${this.q.port} (ports: ${svc.ports.map((p: any) => p.port).join(', ')}).`,
        `Call one of the Service's ports, or add port ${this.q.port} to the Service.`);
    }
    if (port && typeof port.targetPort === 'number') {
      for (const w of workloads) {
        const declared = (podSpecOf(w)?.containers ?? []).flatMap((c: any) => (c.ports ?? []).map((p: any) => p.containerPort));
        if (declared.length && !declared.includes(port.targetPort)) {
          this.add(2, w.located.obj, 'destination ztunnel', `Service port ${port.port} sends to targetPort ${port.targetPort}, but ${w.located.obj.kind} ${w.name}'s containers declare ports ${declared.join(', ')}: if nothing listens on ${port.targetPort}, the connection is refused and the caller sees 503.`,
            `Set the Service's targetPort to the port the container listens on (${declared.join(' or ')}).`);
        }
      }
    }
    this.backendCauses();
    this.subsetCauses();
  }

  private backendCauses(): void {
    const { svc } = this;
    const routes = this.q.viaIngress
      ? this.routesFor('Gateway', this.q.viaIngress.split('/')[0], this.q.viaIngress.split('/')[1])
      : svc.waypoint ? this.routesFor('Service', svc.namespace, svc.name) : [];
    for (const r of routes) {
      const ns = r.obj.metadata.namespace ?? 'default';
      const ruleIndex = httpRouteRuleFor(r.obj, this.req);
      const rule = ruleIndex >= 0 ? r.obj.spec.rules[ruleIndex] : undefined;
      for (const b of rule?.backendRefs ?? []) {
        if ((b.kind ?? 'Service') !== 'Service') continue;
        const backend = this.model.service(b.namespace ?? ns, b.name);
        if (!backend) {
          this.add(3, r.obj, this.q.viaIngress ? `ingress gateway ${this.q.viaIngress}` : this.waypointHop,
            `Rule ${ruleIndex} of ${r.obj.kind} ${r.obj.metadata.name} sends to Service ${b.namespace ?? ns}/${b.name}, which is not in the manifests: Istio answers 500 for an invalid backend (a 503 if it exists but has no endpoints).`,
            `Point the backendRef at an existing Service, or add Service ${b.namespace ?? ns}/${b.name}.`);
        } else if (b.port !== undefined && !backend.ports.some((p: any) => p.port === b.port)) {
          this.add(3, r.obj, this.waypointHop, `Rule ${ruleIndex} of ${r.obj.kind} ${r.obj.metadata.name} sends to port ${b.port} of Service ${backend.namespace}/${backend.name}, which has ports ${backend.ports.map((p: any) => p.port).join(', ')}.`,
            'Use one of the backend Service\'s ports in the backendRef.');
        } else if (this.hasNoEndpoints(backend)) {
          this.add(3, backend.located.obj, this.waypointHop, `${r.obj.kind} ${r.obj.metadata.name} sends to Service ${backend.namespace}/${backend.name}, whose selector matches no workload: no endpoints, 503.`,
            'Make the backend Service selector match the pods of the version it should reach.');
        }
      }
    }
  }

  private destinationRuleFor(dr: K8sObject): boolean {
    const { svc } = this;
    const host: string = dr.spec?.host ?? '';
    const drNs = dr.metadata.namespace ?? 'default';
    return host === `${svc.name}.${svc.namespace}.svc.cluster.local` || host === `${svc.name}.${svc.namespace}` || (host === svc.name && drNs === svc.namespace);
  }

  private subsetCauses(): void {
    const { svc } = this;
    const drs = this.model.kind('DestinationRule').filter(l => this.destinationRuleFor(l.obj));
    const subsets = new Map<string, { dr: K8sObject; labels: { [k: string]: string } }>();
    for (const d of drs) for (const s of d.obj.spec?.subsets ?? []) subsets.set(s.name, { dr: d.obj, labels: s.labels ?? {} });
    for (const l of this.model.kind('VirtualService')) {
      for (const route of l.obj.spec?.http ?? []) {
        for (const dest of [...(route.route ?? []).map((r: any) => r.destination), route.mirror].filter(Boolean)) {
          const host: string = dest.host ?? '';
          if (!dest.subset || ![svc.name, `${svc.name}.${svc.namespace}`, `${svc.name}.${svc.namespace}.svc.cluster.local`].includes(host)) continue;
          const subset = subsets.get(dest.subset);
          if (!subset) {
            this.add(3, l.obj, this.waypointHop, `VirtualService ${l.obj.metadata.name} routes to subset "${dest.subset}" of ${host}, which no DestinationRule defines: Envoy has no such cluster and answers 503.`,
              `Define subset "${dest.subset}" in the DestinationRule for ${host}, or route to a defined subset.`);
          } else if (this.hasWorkloadsInNamespace(svc.namespace)
            && !this.workloadsOf(svc).some(w => selectorMatches(subset.labels, w.podLabels))) {
            this.add(3, subset.dr, this.waypointHop, `Subset "${dest.subset}" of DestinationRule ${subset.dr.metadata.name} selects ${Object.entries(subset.labels).map(([k, v]) => `${k}=${v}`).join(', ')}, which no pod of ${svc.namespace}/${svc.name} carries: the subset has no endpoints, 503.`,
              'Make the subset labels match the version label of the pods (e.g. version=v1 on the pod template).');
          }
        }
      }
    }
  }

  /** denied: the evaluator's decision, hop by hop, names the policy. */
  private denied(): void {
    const result = evaluateAccess(this.model, this.index, {
      from: this.q.from,
      to: this.q.to,
      port: this.q.port,
      method: this.q.method,
      path: this.q.path,
      host: this.q.host,
      viaIngress: this.q.viaIngress,
    });
    const denying = result.hops.find(h => !h.allowed);
    this.requestAllowed = !denying;
    if (!denying) return;
    const [ns, name] = (denying.policy ?? '').split('/');
    const policy = this.model.kind('AuthorizationPolicy').find(l => (l.obj.metadata.namespace ?? 'default') === ns && l.obj.metadata.name === name);
    const object: CauseObject = policy ? objectOf(policy.obj) : { kind: 'AuthorizationPolicy', namespace: ns ?? '', name: name ?? '' };
    const action = policy?.obj.spec?.action ?? 'ALLOW';
    this.add(4, object, denying.where, `${denying.where} denies the request (it sees ${denying.identity}): ${denying.reason}.`,
      action === 'DENY'
        ? `Narrow the DENY rule of ${object.name} so it does not match this request, if the request is legitimate.`
        : `Add an ALLOW rule for ${denying.identity} to a policy enforced at the ${denying.point}${denying.point === 'ztunnel' && this.svc.waypoint ? ' (behind a waypoint, ztunnel sees the waypoint\'s identity: admit it and put client rules on the waypoint)' : ''}.`);
  }

  /** tls: plaintext into STRICT, or TLS settings that ambient does not use. */
  private tls(): void {
    const { svc } = this;
    const fromNs = this.q.from?.split('/')[0];
    const clientInMesh = fromNs !== undefined && (this.model.isAmbient(fromNs) === true || this.model.namespaces.get(fromNs)?.sidecar === true);
    const strict = this.strictPeerAuthentication(svc);
    if (strict && !clientInMesh) {
      this.add(4, strict, 'destination ztunnel', `PeerAuthentication ${strict.metadata.namespace}/${strict.metadata.name} requires mTLS (STRICT) for ${svc.namespace}/${svc.name}, and the client ${this.q.from ?? 'outside the mesh'} is not in the mesh: its plaintext connection is rejected.`,
        'Enroll the client\'s namespace in ambient (AmbientNamespace), or send it through an ingress gateway; switch to PERMISSIVE only for a migration window.');
    }
    for (const l of this.model.kind('DestinationRule')) {
      const mode = l.obj.spec?.trafficPolicy?.tls?.mode;
      if (!mode || !this.destinationRuleFor(l.obj)) continue;
      if (mode === 'SIMPLE' || mode === 'MUTUAL') {
        this.add(2, l.obj, this.waypointHop, `DestinationRule ${l.obj.metadata.name} sets tls.mode ${mode} for ${svc.namespace}/${svc.name}: the waypoint originates TLS to the pods, which speak plaintext inside HBONE unless the application itself serves TLS.`,
          'Remove trafficPolicy.tls unless the application serves TLS on that port: ambient already encrypts with mTLS (HBONE).');
      }
    }
  }

  private strictPeerAuthentication(svc: ServiceInfo): K8sObject | undefined {
    const pas = this.model.kind('PeerAuthentication').map(l => l.obj);
    const workloadLabels = this.workloadsOf(svc).map(w => w.podLabels);
    const workload = pas.find(p => (p.metadata.namespace ?? 'default') === svc.namespace && p.spec?.selector?.matchLabels
      && (workloadLabels.length
        ? workloadLabels.some(l => selectorMatches(p.spec.selector.matchLabels, l))
        : selectorMatches(p.spec.selector.matchLabels, svc.selector)));
    const namespace = pas.find(p => (p.metadata.namespace ?? 'default') === svc.namespace && !p.spec?.selector);
    const mesh = pas.find(p => p.metadata.namespace === this.root && !p.spec?.selector);
    const chosen = workload ?? namespace ?? mesh;
    return chosen?.spec?.mtls?.mode === 'STRICT' ? chosen : undefined;
  }

  /** not-captured: namespace or pod not in ambient. */
  private notCaptured(): void {
    const sides: { ns: string; role: string; workloads: WorkloadInfo[] }[] = [
      { ns: this.svc.namespace, role: 'destination', workloads: this.workloadsOf(this.svc) },
    ];
    if (this.q.from) {
      const [ns, sa] = this.q.from.split('/');
      sides.push({ ns, role: 'client', workloads: (this.model.workloadsByNamespace.get(ns) ?? []).filter(w => w.serviceAccount === sa) });
    }
    for (const side of sides) {
      const ns = this.model.namespaces.get(side.ns);
      const hop = `${side.role} ztunnel`;
      if (!ns) {
        this.add(1, { kind: 'Namespace', namespace: '', name: side.ns }, hop, `Namespace ${side.ns} is not in the manifests, so whether it is enrolled in ambient cannot be read offline.`,
          'Add the Namespace to the manifests (AmbientNamespace), labelled istio.io/dataplane-mode=ambient.');
      } else if (ns.sidecar) {
        this.add(4, ns.located.obj, hop, `Namespace ${side.ns} is labelled for sidecar injection (${ns.labels['istio.io/rev'] !== undefined ? `istio.io/rev=${ns.labels['istio.io/rev']}` : `istio-injection=${ns.labels['istio-injection']}`}): its pods get sidecars, and ztunnel does not capture a pod that has a sidecar.`,
          'Remove the injection label and restart the pods, then label the namespace istio.io/dataplane-mode=ambient.');
      } else if (!ns.ambient) {
        this.add(4, ns.located.obj, hop, `Namespace ${side.ns} is not labelled istio.io/dataplane-mode=ambient, so ztunnel does not capture its pods.`,
          'Label it istio.io/dataplane-mode=ambient (new AmbientNamespace(...) or enroll the existing Namespace).');
      }
      for (const w of side.workloads) {
        const membership = podMembership(ns?.labels, w.podLabels, podAnnotationsOf(w));
        if (membership.optedOut) {
          this.add(4, w.located.obj, hop, `${w.located.obj.kind} ${w.name}'s pods are labelled istio.io/dataplane-mode=none: they opt out of ambient even though the namespace is enrolled.`,
            'Remove the istio.io/dataplane-mode=none label from the pod template.');
        } else if (membership.sidecar && !ns?.sidecar) {
          this.add(3, w.located.obj, hop, `${w.located.obj.kind} ${w.name}'s pods request a sidecar (${w.podLabels['istio.io/rev'] !== undefined ? `istio.io/rev=${w.podLabels['istio.io/rev']}` : 'sidecar.istio.io/inject=true'}): a pod with a sidecar is never captured by ztunnel.`,
            'Remove the sidecar request from the pod template.');
        }
      }
    }
  }

  /** not-synced: a waypoint no installed istiod revision controls, and version skew (AMB119). */
  private notSynced(): void {
    const revisions = new Set<string>();
    for (const r of this.model.chartReleases) {
      if (r.chart !== 'istiod') continue;
      const values = r.located.obj.kind === 'HelmRelease' ? r.located.obj.spec?.values : r.located.obj.spec?.source?.helm?.valuesObject;
      revisions.add(values?.revision ?? '');
    }
    const wp = this.model.waypoint(this.svc.waypoint);
    const rev = wp?.located.obj.metadata.labels?.['istio.io/rev'];
    if (!wp || rev === undefined || revisions.size === 0 || revisions.has(rev)) return;
    const installed = [...revisions].map(r => r || 'default').join(', ');
    this.add(4, wp.located.obj, 'control plane', `Waypoint ${wp.namespace}/${wp.name} is labelled istio.io/rev=${rev}, but the manifests install istiod only as revision ${installed}: no control plane of that revision takes the Gateway, so no waypoint is deployed and nothing is pushed to it.`,
      `Set istio.io/rev on the waypoint to an installed revision (${installed}), or remove the label.`);
  }

  /** Analyzer findings that can explain the symptom, on objects on this request's path. */
  private relatedFindings(): void {
    const codes = RELATED_CHECKS[this.q.symptom as string] ?? [];
    const onPath = this.pathNamespaces();
    const findings: RawFinding[] = runChecks(this.model).filter(f => codes.includes(f.code));
    for (const f of findings) {
      const o = f.located.obj;
      const ns = o.metadata.namespace ?? (o.kind === 'Namespace' ? o.metadata.name : undefined) ?? 'default';
      const install = ['HelmRelease', 'Application'].includes(o.kind);
      if (!install && !onPath.has(ns)) continue;
      const severity = CHECKS[f.code].severity;
      if (this.requestAllowed && severity !== 'error') continue;
      this.add(severity === 'error' ? 2 : 1, o, 'manifests', `${f.code}: ${f.message}`, f.fix);
    }
  }

  private pathNamespaces(): Set<string> {
    const s = new Set<string>([this.svc.namespace, this.root]);
    if (this.svc.waypoint) s.add(this.svc.waypoint.namespace);
    if (this.q.from) s.add(this.q.from.split('/')[0]);
    if (this.q.viaIngress) s.add(this.q.viaIngress.split('/')[0]);
    return s;
  }

  private workloadsOf(svc: ServiceInfo): WorkloadInfo[] {
    return this.model.workloadsOf(svc);
  }

  /** A selector that matches none of the namespace's workloads (judged only when the manifests carry some). */
  private hasNoEndpoints(svc: ServiceInfo): boolean {
    return Object.keys(svc.selector).length > 0 && this.workloadsOf(svc).length === 0 && this.hasWorkloadsInNamespace(svc.namespace);
  }

  private hasWorkloadsInNamespace(ns: string): boolean {
    // Only judge endpoints when the manifests carry workloads for that namespace at all.
    return (this.model.workloadsByNamespace.get(ns) ?? []).length > 0;
  }

  /** The live commands that confirm the causes at each hop of this request. */
  private hopCommands(): void {
    const { svc, root } = this;
    const c = this.commands;
    const sym = this.q.symptom as string;
    if (this.q.viaIngress) {
      const [gwNs, gwName] = this.q.viaIngress.split('/');
      c.push(`istioctl proxy-config routes deploy/${gwName}-istio -n ${gwNs}`);
      c.push(`kubectl logs -n ${gwNs} -l gateway.networking.k8s.io/gateway-name=${gwName} --tail=100`);
    }
    if (sym === 'not-captured' || sym === 'tls' || sym === 'denied') {
      c.push(`istioctl ztunnel-config workloads --workload-namespace ${svc.namespace}`);
      if (this.q.from && this.q.from.split('/')[0] !== svc.namespace) c.push(`istioctl ztunnel-config workloads --workload-namespace ${this.q.from.split('/')[0]}`);
    }
    if (sym === 'denied') c.push(`istioctl ztunnel-config policies --policy-namespace ${svc.namespace}`);
    if (sym === '503') c.push(`kubectl get endpointslices -n ${svc.namespace} -l kubernetes.io/service-name=${svc.name}`);
    if (sym === 'not-captured') c.push(`kubectl get namespace ${svc.namespace} --show-labels`);
    if (sym === 'not-synced') c.push('istioctl proxy-status', 'istioctl version');
    if (svc.waypoint && sym !== 'not-captured') {
      const w = svc.waypoint;
      if (sym === '404' || sym === '503') c.push(`istioctl proxy-config routes deploy/${w.name} -n ${w.namespace}`);
      if (sym === '503') c.push(`istioctl proxy-config endpoints deploy/${w.name} -n ${w.namespace}`);
      c.push(`kubectl logs -n ${w.namespace} -l gateway.networking.k8s.io/gateway-name=${w.name} --tail=100`);
    }
    c.push(`kubectl logs -n ${root} -l app=ztunnel --tail=100`);
    c.push(`istioctl experimental describe service ${svc.name}.${svc.namespace}`);
    c.push(`istioctl analyze -n ${svc.namespace}`);
  }
}

/** Diagnoses a symptom for one request; causes are ordered most likely first. */
export function diagnose(model: MeshModel, index: PolicyIndex, query: DiagnoseQuery): DiagnoseResult {
  return new DiagnosisRun(model, index, query).run();
}

/** Text for a terminal: numbered causes, then the commands. */
export function diagnoseText(d: DiagnoseResult): string {
  const lines = [`${d.symptom} for ${d.request}`, ''];
  if (d.causes.length === 0) {
    lines.push('No cause found in the manifests.');
  } else {
    d.causes.forEach((c, i) => {
      const ns = c.object.namespace ? `${c.object.namespace}/` : '';
      lines.push(`${i + 1}. ${c.object.kind} ${ns}${c.object.name}  [${c.hop}]`);
      lines.push(`   why: ${c.why}`);
      lines.push(`   fix: ${c.fix}`);
    });
  }
  lines.push('', 'Confirm on the cluster:');
  for (const cmd of d.commands) lines.push(`  ${cmd}`);
  return lines.join('\n') + '\n';
}
