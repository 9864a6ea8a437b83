/**
 * Random mesh programs for the property test (test/property/random-programs.test.ts), built through the
 * public API only.
 *
 * A program is a list of declaration steps. Each step declares something (a namespace, a waypoint, an
 * app, an enrollment, a rule, a route ...) and names the earlier steps whose constructs it uses, so the
 * steps can run in any topological order of those data dependencies. Everything random comes from one
 * seeded PRNG, so a seed replays a program exactly.
 *
 * cdk8s writes objects in construct-tree order, and the tree order is the user's to choose, not the
 * library's. So each step declares its constructs under its own scope (`s<step>`), created up front
 * in step order: shuffling the steps shuffles when every constructor and method runs, while the
 * user's constructs keep their place in the tree. Anything else that moves in the output is the
 * library's doing.
 */
import { App, Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  AccessLogging, AmbientMesh, AmbientNamespace, EgressHost, EgressProtocol, GatewayServiceType, GrpcRoute, HttpRoute,
  IngressGateway, IstioMetric, IWaypoint, MeshDelivery, MetricTag, OtelTracing, PathMatch, PolicySource, PolicyTarget, ResiliencePolicy,
  ResiliencePreset, RouteBackend, RouteParent, TelemetryMetrics, TelemetryScope, Waypoint, WaypointTrafficType, ZeroTrustPolicy,
} from '../../src';

/* eslint-disable no-bitwise */
/** mulberry32: a small, fast, well-distributed 32-bit PRNG; the same seed gives the same sequence. */
export class Rng {
  private state: number;

  public constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  public next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /* eslint-enable no-bitwise */

  /** An integer in [0, n). */
  public int(n: number): number {
    return Math.floor(this.next() * n);
  }

  public chance(p: number): boolean {
    return this.next() < p;
  }

  public pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A random subset of `items` with at least `min` elements, in the items' order. */
  public subset<T>(items: readonly T[], min = 1): T[] {
    for (;;) {
      const chosen = items.filter(() => this.chance(0.5));
      if (chosen.length >= Math.min(min, items.length)) return chosen;
    }
  }
}

/** What the steps of one program run in: the app, its charts, and what earlier steps declared. */
export class World {
  private readonly scopes = new Map<number, Construct>();
  private readonly values = new Map<string, any>();

  public constructor(public readonly app: App, program: Program) {
    const charts = new Map<string, Chart>();
    for (const spec of program.charts) {
      charts.set(spec.id, new Chart(app, spec.id, { namespace: spec.namespace, disableResourceNameHashes: true }));
    }
    for (const step of program.steps) this.scopes.set(step.id, new Construct(charts.get(step.chart)!, `s${step.id}`));
  }

  /** The scope a step declares its constructs in. */
  public scope(step: Step): Construct {
    return this.scopes.get(step.id)!;
  }

  public put(key: string, value: any): void {
    if (this.values.has(key)) throw new Error(`generator bug: ${key} declared twice`);
    this.values.set(key, value);
  }

  public get<T = any>(key: string): T {
    if (!this.values.has(key)) throw new Error(`generator bug: ${key} used before the step that declares it (missing dependency)`);
    return this.values.get(key);
  }
}

/** One declaration of a program. */
export interface Step {
  /** Position in the program as written (the canonical order). */
  readonly id: number;
  /** What the step declares, for failure messages. */
  readonly label: string;
  /** The chart whose scope the step declares in. */
  readonly chart: string;
  /** Steps whose constructs this step uses; always earlier ids. */
  readonly after: number[];
  /**
   * Whether the step lays the mesh out (the install, namespaces, waypoints, ingress, apps, enrollments)
   * rather than configuring it (policies, routes, traffic policies, egress, telemetry).
   */
  readonly foundation: boolean;
  readonly run: (world: World, scope: Construct) => void;
}

export interface ChartSpec {
  readonly id: string;
  readonly namespace?: string;
}

export interface Program {
  readonly seed: number;
  readonly charts: ChartSpec[];
  readonly steps: Step[];
  /**
   * The steps that deliberately declare something the library must refuse (an L7 rule, route or JWT
   * where no waypoint serves the target ...), with why. A program without any must synthesize.
   */
  readonly invalid: { readonly step: number; readonly why: string }[];
}

/** The result of running a program in one order. */
export interface Outcome {
  /** `app.synthYaml()` when synthesis succeeded. */
  readonly yaml?: string;
  /** The thrown value when a step or synthesis refused. */
  readonly error?: unknown;
}

/** Runs the steps in the given order (step ids), then synthesizes the whole app. */
export function runProgram(program: Program, order: readonly number[]): Outcome {
  const app = Testing.app();
  const world = new World(app, program);
  const steps = new Map(program.steps.map(s => [s.id, s]));
  try {
    for (const id of order) {
      const step = steps.get(id)!;
      step.run(world, world.scope(step));
    }
    return { yaml: app.synthYaml() };
  } catch (error) {
    return { error };
  }
}

/**
 * A random topological order of the steps (every step after the steps it uses). With `foundationFirst`,
 * the steps that lay the mesh out come first (in random order), then the configuration (in random order):
 * the orders a user would most likely write, which isolate order effects among policies, routes and
 * telemetry from those of declaring a waypoint or namespace late.
 */
export function randomOrder(program: Program, rng: Rng, foundationFirst = false): number[] {
  const steps = new Map(program.steps.map(s => [s.id, s]));
  const pending = new Map(program.steps.map(s => [s.id, new Set(s.after)]));
  const order: number[] = [];
  while (pending.size) {
    let ready = [...pending.keys()].filter(id => pending.get(id)!.size === 0);
    if (foundationFirst && ready.some(id => steps.get(id)!.foundation)) ready = ready.filter(id => steps.get(id)!.foundation);
    const next = rng.pick(ready);
    order.push(next);
    pending.delete(next);
    for (const deps of pending.values()) deps.delete(next);
  }
  return order;
}

/** Whether `order` runs every step after the steps it uses. */
export function isTopological(program: Program, order: readonly number[]): boolean {
  const position = new Map(order.map((id, i) => [id, i]));
  return program.steps.every(s => s.after.every(d => position.get(d)! < position.get(s.id)!));
}

/** The program without the given steps and every step that (transitively) uses them. */
export function withoutSteps(program: Program, removed: ReadonlySet<number>): Program {
  const gone = new Set(removed);
  for (const step of program.steps) if (step.after.some(d => gone.has(d))) gone.add(step.id);
  return { ...program, steps: program.steps.filter(s => !gone.has(s.id)) };
}

/** `order` restricted to the steps still in the program. */
export function restrictOrder(program: Program, order: readonly number[]): number[] {
  const ids = new Set(program.steps.map(s => s.id));
  return order.filter(id => ids.has(id));
}

/** The program's steps in the given order, one per line, for failure messages. */
export function describeOrder(program: Program, order: readonly number[]): string {
  const steps = new Map(program.steps.map(s => [s.id, s]));
  return order.map(id => `    s${id}: ${steps.get(id)!.label}`).join('\n');
}

const NAMESPACES = ['shop', 'pay', 'infra'];
const APPS = ['web', 'api', 'orders', 'cart'];
const TRAFFIC_TYPES = [WaypointTrafficType.SERVICE, WaypointTrafficType.WORKLOAD, WaypointTrafficType.ALL];
const INGRESS_NAMESPACE = 'istio-ingress';
const ISSUER = 'https://id.example.com';
const COLLECTOR = 'otel-collector.observability.svc.cluster.local';

interface AppInfo {
  readonly ns: string;
  readonly name: string;
  readonly port: number;
  readonly grpc: boolean;
  readonly step: number;
  /** The waypoint that serves the app's Service, if any. */
  serviceWaypoint?: WaypointInfo;
  /** Whether ingress traffic to the Service goes through its waypoint (ingressUseWaypoint). */
  ingressViaWaypoint: boolean;
  /** The waypoint that serves traffic addressed to the app's pods, if any. */
  workloadWaypoint?: WaypointInfo;
}

interface WaypointInfo {
  readonly key: string;
  readonly ns: string;
  readonly type: WaypointTrafficType;
  readonly step: number;
  readonly label: string;
}

function servesServices(waypoint: WaypointInfo): boolean {
  return waypoint.type !== WaypointTrafficType.WORKLOAD;
}

/** A random program: what it declares depends on the seed only. */
export function generateProgram(seed: number): Program {
  const rng = new Rng(seed);
  const steps: Step[] = [];
  const invalid: { step: number; why: string }[] = [];
  // The mesh install and the mesh configuration are separate charts: a Flux or Argo CD install applies
  // the CRDs that Telemetry needs, so they cannot be one batch (the library refuses that).
  const charts: ChartSpec[] = [{ id: 'platform' }, { id: 'telemetry' }];
  let foundation = true;
  const add = (chart: string, label: string, after: (number | undefined)[], run: Step['run']): number => {
    const id = steps.length;
    const deps = [...new Set(after.filter((d): d is number => d !== undefined))].sort((a, b) => a - b);
    steps.push({ id, label, chart, after: deps, foundation, run });
    return id;
  };

  const namespaces = rng.subset(NAMESPACES, 2);
  for (const ns of namespaces) charts.push({ id: ns, namespace: ns });

  // ---- the mesh install (its add-ons find it in the app)
  if (rng.chance(0.6)) {
    const flux = rng.chance(0.5);
    add('platform', `new AmbientMesh (${flux ? 'Flux' : 'helm CLI'})`, [], (_w, s) => {
      new AmbientMesh(s, 'mesh', { delivery: flux ? MeshDelivery.flux() : MeshDelivery.helmCli() });
    });
  }

  // ---- a shared waypoint in one namespace, used by others
  let shared: WaypointInfo | undefined;
  if (rng.chance(0.6)) {
    const ns = rng.pick(namespaces);
    const type = rng.pick(TRAFFIC_TYPES);
    const label = `new Waypoint ${ns}/shared (${type})`;
    const step = add(ns, label, [], (w, s) => {
      w.put('waypoint:shared', new Waypoint(s, 'shared', { name: 'shared', namespace: ns, trafficType: type }));
    });
    shared = { key: 'waypoint:shared', ns, type, step, label };
  }

  // ---- namespaces, each with its own waypoint, the shared one, or none
  const nsStep = new Map<string, number>();
  const nsWaypoint = new Map<string, WaypointInfo>();
  const nsIngressUsesWaypoint = new Set<string>();
  for (const ns of namespaces) {
    const useShared = shared !== undefined && shared.ns !== ns && servesServices(shared) && rng.chance(0.4);
    // A workload waypoint cannot be a namespace's waypoint: it is added unenrolled, and its workloads enroll one by one.
    const ownType = !useShared && rng.chance(0.6) ? rng.pick([undefined, ...TRAFFIC_TYPES]) ?? 'default' : undefined;
    const servesNamespaceServices = useShared || (ownType !== undefined && ownType !== WaypointTrafficType.WORKLOAD);
    const ingressUseWaypoint = servesNamespaceServices && rng.chance(0.3);
    if (ingressUseWaypoint) nsIngressUsesWaypoint.add(ns);
    nsStep.set(ns, add(ns, `new AmbientNamespace ${ns}${useShared ? ' (waypoint: shared)' : ''}${ingressUseWaypoint ? ' (ingressUseWaypoint)' : ''}`,
      [useShared ? shared!.step : undefined], (w, s) => {
        w.put(`ns:${ns}`, new AmbientNamespace(s, 'namespace', {
          name: ns,
          waypoint: useShared ? w.get<IWaypoint>('waypoint:shared') : undefined,
          ingressUseWaypoint: ingressUseWaypoint || undefined,
        }));
      }));
    if (useShared) {
      nsWaypoint.set(ns, shared!);
    } else if (ownType !== undefined) {
      const type = ownType === 'default' ? undefined : ownType;
      const enroll = type !== WaypointTrafficType.WORKLOAD;
      const label = `${ns}: addWaypoint(${type ?? 'default type'}${enroll ? '' : ', enroll: false'})`;
      const step = add(ns, label, [nsStep.get(ns)], (w) => {
        w.put(`waypoint:${ns}`, w.get<AmbientNamespace>(`ns:${ns}`).addWaypoint('waypoint', { trafficType: type, enroll: enroll ? undefined : false }));
      });
      nsWaypoint.set(ns, { key: `waypoint:${ns}`, ns, type: type ?? WaypointTrafficType.SERVICE, step, label });
    }
  }

  // ---- an ingress gateway in its own namespace
  let ingressStep: number | undefined;
  if (rng.chance(0.4)) {
    charts.push({ id: 'ingress', namespace: INGRESS_NAMESPACE });
    ingressStep = add('ingress', `new IngressGateway ${INGRESS_NAMESPACE}/ingress`, [], (w, s) => {
      w.put('ingress', new IngressGateway(s, 'gateway', { name: 'ingress', serviceType: GatewayServiceType.CLUSTER_IP }));
    });
  }

  // ---- apps: ServiceAccount, Deployment and Service (cdk8s-plus)
  const apps: AppInfo[] = [];
  for (const ns of namespaces) {
    for (const name of rng.subset(APPS, 1).slice(0, 3)) {
      const grpc = rng.chance(0.2);
      const port = rng.pick([80, 8080]);
      const step = add(ns, `app ${ns}/${name} (Deployment, Service port ${port}${grpc ? ' grpc' : ''})`, [], (w, s) => {
        const sa = new kplus.ServiceAccount(s, 'sa', { metadata: { name }, automountToken: false });
        const deployment = new kplus.Deployment(s, 'deployment', {
          metadata: { name },
          serviceAccount: sa,
          podMetadata: { labels: { app: name } },
          containers: [{ name, image: `ghcr.io/example/${name}:1.0.0`, portNumber: 8080, securityContext: { user: 10001, group: 10001 } }],
        });
        const service = deployment.exposeViaService({ name, ports: [{ port, targetPort: 8080, name: grpc ? 'grpc' : 'http' }] });
        w.put(`sa:${ns}/${name}`, sa);
        w.put(`deployment:${ns}/${name}`, deployment);
        w.put(`service:${ns}/${name}`, service);
      });
      const nsWp = nsWaypoint.get(ns);
      apps.push({
        ns,
        name,
        port,
        grpc,
        step,
        serviceWaypoint: nsWp && servesServices(nsWp) ? nsWp : undefined,
        ingressViaWaypoint: nsIngressUsesWaypoint.has(ns),
        workloadWaypoint: nsWp?.type === WaypointTrafficType.ALL ? nsWp : undefined,
      });
    }
  }

  // ---- enrollments: workloads in their namespace's workload waypoint, Services and workloads in the shared one
  for (const app of apps) {
    const nsWp = nsWaypoint.get(app.ns);
    if (nsWp && nsWp !== shared && nsWp.type === WaypointTrafficType.WORKLOAD && rng.chance(0.8)) {
      add(app.ns, `${app.ns} waypoint.enrollWorkload(${app.ns}/${app.name})`, [nsWp.step, app.step], (w) => {
        w.get<Waypoint>(nsWp.key).enrollWorkload(w.get(`deployment:${app.ns}/${app.name}`));
      });
      app.workloadWaypoint = nsWp;
      continue;
    }
    if (!shared || !rng.chance(0.35)) continue;
    const sharedKey = shared.key;
    if (!servesServices(shared) || (shared.type === WaypointTrafficType.ALL && rng.chance(0.3))) {
      add(app.ns, `shared.enrollWorkload(${app.ns}/${app.name})`, [shared.step, app.step], (w) => {
        w.get<Waypoint>(sharedKey).enrollWorkload(w.get(`deployment:${app.ns}/${app.name}`));
      });
      app.workloadWaypoint = shared;
    } else if (rng.chance(0.4)) {
      // By name: the step does not use the Service construct, so it may run before the Service is declared.
      add(app.ns, `shared.enrollServiceByName("${app.name}", { namespace: "${app.ns}" })`, [shared.step], (w) => {
        w.get<Waypoint>(sharedKey).enrollServiceByName(app.name, { namespace: app.ns });
      });
      app.serviceWaypoint = shared;
      app.ingressViaWaypoint = false;
    } else {
      const ingressUseWaypoint = rng.chance(0.3);
      add(app.ns, `shared.enrollService(${app.ns}/${app.name}${ingressUseWaypoint ? ', { ingressUseWaypoint: true }' : ''})`, [shared.step, app.step], (w) => {
        w.get<Waypoint>(sharedKey).enrollService(w.get(`service:${app.ns}/${app.name}`), { ingressUseWaypoint: ingressUseWaypoint || undefined });
      });
      app.serviceWaypoint = shared;
      app.ingressViaWaypoint = ingressUseWaypoint;
    }
  }

  // ---- zero-trust policies: L4 and L7, allow and deny, JWT
  foundation = false;
  // Mostly rules the library accepts; `rarely` one it must refuse (recorded in `invalid`).
  const rarely = 0.03;
  // Services with protection only their waypoint enforces (requireJwt, a DENY an ingress request could
  // match): an ingress route to one must go through the waypoint (the library refuses it otherwise).
  const guardedAtWaypoint = new Set<AppInfo>();
  for (const ns of namespaces) {
    // A namespace whose services use the shared waypoint relies on default deny at that waypoint, which
    // the ZeroTrustPolicy of the waypoint's namespace declares: that namespace always has one.
    if (ns !== shared?.ns && !rng.chance(0.8)) continue;
    const policyStep = add(ns, `new ZeroTrustPolicy ${ns}`, [], (w, s) => {
      w.put(`policy:${ns}`, new ZeroTrustPolicy(s, 'zero-trust', { namespace: ns }));
    });
    const local = apps.filter(a => a.ns === ns);
    const ownWaypoint = nsWaypoint.get(ns);
    const rules = 1 + rng.int(4);
    for (let r = 0; r < rules; r++) {
      const target = rng.pick(local);
      let source = randomSource(rng, apps, namespaces, ingressStep);
      let why: string | undefined;
      // Workload targets are for pods no waypoint stands in front of (ztunnel would see the waypoint's identity).
      const behindWaypoint = ownWaypoint !== undefined || target.workloadWaypoint !== undefined || target.serviceWaypoint !== undefined;
      let targetKind = rng.pick(['service', 'service', 'service', 'workload', 'namespace'] as const);
      if (targetKind === 'workload' && behindWaypoint) {
        if (rng.chance(rarely)) why = 'a workload target behind a waypoint';
        else targetKind = 'service';
      }
      // A namespace-wide rule is enforced where the namespace's Services are: only without waypoints, or
      // at the namespace's own waypoint when it serves them all.
      const namespaceWide = ownWaypoint === undefined ? local.every(a => !a.serviceWaypoint && !a.workloadWaypoint)
        : ownWaypoint !== shared && servesServices(ownWaypoint) && local.every(a => a.serviceWaypoint === ownWaypoint);
      if (targetKind === 'namespace' && !namespaceWide) {
        if (rng.chance(rarely)) why ??= 'a namespace-wide rule in a namespace whose Services have different waypoints (or another namespace\'s)';
        else targetKind = 'service';
      }
      // L7 needs a waypoint that serves the target, and one that ingress traffic passes when the source is the ingress.
      const waypoint = targetKind === 'service' ? target.serviceWaypoint
        : targetKind === 'namespace' && ownWaypoint !== undefined && ownWaypoint !== shared && servesServices(ownWaypoint) ? ownWaypoint : undefined;
      const ingressPasses = targetKind === 'service' ? target.ingressViaWaypoint : nsIngressUsesWaypoint.has(ns);
      // Admitting the ingress straight to pods a waypoint guards would skip that waypoint's rules: the
      // library refuses it, so the ingress is a source only where its traffic passes the waypoint.
      while (source.ingress && waypoint !== undefined && !ingressPasses) source = randomSource(rng, apps, namespaces, ingressStep);
      const l7Possible = waypoint !== undefined && (!source.ingress || ingressPasses);
      let l7 = l7Possible && rng.chance(0.6);
      if (!l7Possible && rng.chance(rarely)) {
        l7 = true;
        why ??= waypoint === undefined ? 'L7 attributes where no waypoint serves the target' : 'L7 attributes for ingress traffic that skips the waypoint';
      }
      const options: { methods?: string[]; paths?: string[]; ports?: number[] } = {};
      if (l7) {
        if (rng.chance(0.7)) options.methods = rng.subset(['GET', 'POST', 'DELETE']);
        if (!options.methods || rng.chance(0.4)) options.paths = rng.subset(['/api/*', '/health', '/admin*']);
      }
      if (rng.chance(0.4)) options.ports = targetKind === 'service' ? [target.port] : [8080];
      const deny = rng.chance(0.25);
      if (deny && waypoint !== undefined && source.label.startsWith('ipBlocks')) {
        const guarded = targetKind === 'service' ? [target] : targetKind === 'namespace' ? local.filter(a => a.serviceWaypoint === waypoint) : [];
        guarded.forEach(a => guardedAtWaypoint.add(a));
      }
      const to = targetKind === 'namespace' ? 'the namespace' : `${targetKind} ${ns}/${target.name}`;
      const label = `${ns} policy: ${deny ? 'denyFrom' : 'allowFrom'}(${source.label}) to ${to} ${JSON.stringify(options)}`;
      const step = add(ns, label, [policyStep, target.step, ...source.after], (w) => {
        const policy = w.get<ZeroTrustPolicy>(`policy:${ns}`);
        const toTarget = targetKind === 'namespace' ? undefined
          : targetKind === 'service' ? PolicyTarget.service(w.get(`service:${ns}/${target.name}`))
            : PolicyTarget.workload(w.get(`deployment:${ns}/${target.name}`));
        const rule = { ...options, to: toTarget };
        if (deny) policy.denyFrom(source.make(w), rule);
        else policy.allowFrom(source.make(w), rule);
      });
      if (why) invalid.push({ step, why });
    }
    const jwtTargets = local.filter(a => a.serviceWaypoint !== undefined);
    const jwtInvalid = !jwtTargets.length && rng.chance(rarely * 3);
    if ((jwtTargets.length || jwtInvalid) && rng.chance(0.4)) {
      const target = rng.pick(jwtTargets.length ? jwtTargets : local);
      const subject = rng.chance(0.5) ? 'ci-bot' : undefined;
      const step = add(ns, `${ns} policy: to(service ${ns}/${target.name}).requireJwt(${ISSUER}).allowFrom(jwt${subject ? ` sub ${subject}` : ''}, GET)`,
        [policyStep, target.step], (w) => {
          w.get<ZeroTrustPolicy>(`policy:${ns}`).to(PolicyTarget.service(w.get(`service:${ns}/${target.name}`)))
            .requireJwt({ issuer: ISSUER, jwksUri: `${ISSUER}/.well-known/jwks.json` })
            .allowFrom(PolicySource.jwt({ issuer: ISSUER, subject }), { methods: ['GET'] });
        });
      if (jwtInvalid) invalid.push({ step, why: 'requireJwt where no waypoint serves the Service' });
      else guardedAtWaypoint.add(target);
    }
  }

  // ---- traffic: HTTP and gRPC routes, resilience (at waypoints: mostly on Services a waypoint serves)
  for (const ns of namespaces) {
    const local = apps.filter(a => a.ns === ns);
    // Routes and traffic policies apply at waypoints: mostly on Services a waypoint serves, `rarely` on one without.
    const served = (candidates: AppInfo[]): AppInfo[] => {
      const withWaypoint = candidates.filter(a => a.serviceWaypoint !== undefined);
      if (withWaypoint.length) return withWaypoint;
      return rng.chance(rarely * 3) ? candidates : [];
    };
    const noteIfUnserved = (app: AppInfo, step: number, what: string) => {
      if (!app.serviceWaypoint) invalid.push({ step, why: `${what} on a Service no waypoint serves` });
    };
    const http = served(local.filter(a => !a.grpc));
    if (http.length && rng.chance(0.5)) {
      const parent = rng.pick(http);
      const backends = rng.subset(http);
      const weighted = backends.length > 1;
      const step = add(ns, `HttpRoute on ${ns}/${parent.name} -> ${backends.map(b => b.name).join(', ')}`, [parent.step, ...backends.map(b => b.step)], (w, s) => {
        new HttpRoute(s, 'route', {
          name: `${parent.name}-route`,
          parents: [RouteParent.service(w.get(`service:${ns}/${parent.name}`), parent.port)],
          rules: [{
            matches: [{ path: PathMatch.prefix('/api') }],
            backends: backends.map((b, i) => RouteBackend.service(w.get(`service:${ns}/${b.name}`), weighted ? { weight: i === 0 ? 90 : 10 } : {})),
            timeout: Duration.seconds(10),
          }],
        });
      });
      noteIfUnserved(parent, step, 'an HTTPRoute');
    }
    const grpcApps = served(local.filter(a => a.grpc));
    if (grpcApps.length && rng.chance(0.6)) {
      const target = rng.pick(grpcApps);
      const step = add(ns, `GrpcRoute on ${ns}/${target.name}`, [target.step], (w, s) => {
        const service = w.get(`service:${ns}/${target.name}`);
        new GrpcRoute(s, 'grpc', {
          name: `${target.name}-grpc`,
          parents: [RouteParent.service(service, target.port)],
          rules: [{ matches: [{ service: 'example.v1.Orders' }], backends: [RouteBackend.service(service)] }],
        });
      });
      noteIfUnserved(target, step, 'a GRPCRoute');
    }
    const resilient = served(local);
    if (resilient.length && rng.chance(0.4)) {
      const target = rng.pick(resilient);
      const step = add(ns, `ResiliencePolicy for ${ns}/${target.name}`, [target.step], (w, s) => {
        new ResiliencePolicy(s, 'resilience', { service: w.get(`service:${ns}/${target.name}`), preset: ResiliencePreset.STANDARD });
      });
      noteIfUnserved(target, step, 'a ResiliencePolicy');
    }
  }

  // ---- the ingress routes to one app
  if (ingressStep !== undefined) {
    const target = rng.pick(apps);
    const step = add(target.ns, `HttpRoute from the ingress to ${target.ns}/${target.name}`, [ingressStep, target.step], (w, s) => {
      new HttpRoute(s, 'ingress-route', {
        name: `${target.name}-ingress`,
        parents: [RouteParent.gateway(w.get<IngressGateway>('ingress'))],
        rules: [{ backends: [RouteBackend.service(w.get(`service:${target.ns}/${target.name}`), { port: target.port })] }],
      });
    });
    if (guardedAtWaypoint.has(target) && !(target.ingressViaWaypoint || nsIngressUsesWaypoint.has(target.ns))) {
      invalid.push({ step, why: 'an ingress route to a Service whose JWT or DENY only its waypoint enforces, past that waypoint' });
    }
  }

  // ---- egress through a service (or all) waypoint
  const egressWaypoints = [shared, ...nsWaypoint.values()].filter((wp): wp is WaypointInfo => wp !== undefined && wp.type !== WaypointTrafficType.WORKLOAD);
  if (egressWaypoints.length && rng.chance(0.4)) {
    const wp = rng.pick(egressWaypoints);
    const client = rng.pick(namespaces);
    const origination = rng.chance(0.5);
    add(wp.ns, `EgressHost api.example.com via ${wp.label}${origination ? ' (TLS origination, GET /v1/*)' : ' (L4)'} from ${client}`, [wp.step], (w, s) => {
      new EgressHost(s, 'egress', {
        host: 'api.example.com',
        waypoint: w.get<IWaypoint>(wp.key),
        protocol: origination ? EgressProtocol.HTTP_WITH_TLS_ORIGINATION : undefined,
        allow: [origination
          ? { source: PolicySource.namespaces(client), methods: ['GET'], paths: ['/v1/*'] }
          : { source: PolicySource.namespaces(client) }],
      });
    });
  }

  // ---- telemetry
  const waypoints = [shared, ...nsWaypoint.values()].filter((wp): wp is WaypointInfo => wp !== undefined);
  if (rng.chance(0.4)) {
    const wp = waypoints.length && rng.chance(0.5) ? rng.pick(waypoints) : undefined;
    add('telemetry', `new OtelTracing (${wp ? `scope ${wp.label}` : 'mesh'})`, [wp?.step], (w, s) => {
      new OtelTracing(s, 'tracing', {
        service: COLLECTOR,
        samplingPercentage: 10,
        scopes: wp ? [TelemetryScope.waypoint(w.get<IWaypoint>(wp.key))] : undefined,
      });
    });
  }
  if (rng.chance(0.3)) {
    const ns = rng.pick(namespaces);
    const scoped = nsWaypoint.has(ns) && rng.chance(0.5);
    add('telemetry', `new AccessLogging (${scoped ? `namespace ${ns}` : 'mesh'})`, [], (_w, s) => {
      new AccessLogging(s, 'access-logs', { scopes: scoped ? [TelemetryScope.namespace(ns)] : undefined });
    });
  }
  if (rng.chance(0.3)) {
    add('telemetry', 'new TelemetryMetrics (drop request_protocol from requests_total)', [], (_w, s) => {
      new TelemetryMetrics(s, 'metrics', { overrides: [{ metric: IstioMetric.REQUEST_COUNT, tagOverrides: { request_protocol: MetricTag.remove() } }] });
    });
  }

  return { seed, charts, steps, invalid };
}

interface SourceChoice {
  readonly label: string;
  /** Whether the source is the ingress gateway. */
  readonly ingress?: boolean;
  readonly after: (number | undefined)[];
  readonly make: (w: World) => PolicySource;
}

function randomSource(rng: Rng, apps: AppInfo[], namespaces: string[], ingressStep: number | undefined): SourceChoice {
  const client = rng.pick(apps);
  const kinds = ['serviceAccount', 'serviceAccountName', 'namespaces', 'ipBlocks', 'workload', ...(ingressStep !== undefined ? ['ingress'] : [])];
  switch (rng.pick(kinds)) {
    case 'serviceAccount':
      return { label: `serviceAccount ${client.ns}/${client.name}`, after: [client.step], make: w => PolicySource.serviceAccount(w.get(`sa:${client.ns}/${client.name}`)) };
    case 'serviceAccountName':
      return { label: `serviceAccountName ${client.ns}/${client.name}`, after: [], make: () => PolicySource.serviceAccountName(client.ns, client.name) };
    case 'namespaces': {
      const names = rng.subset(namespaces);
      return { label: `namespaces ${names.join(',')}`, after: [], make: () => PolicySource.namespaces(...names) };
    }
    case 'ipBlocks':
      return { label: 'ipBlocks 203.0.113.0/24', after: [], make: () => PolicySource.ipBlocks('203.0.113.0/24') };
    case 'workload':
      return { label: `workload ${client.ns}/${client.name}`, after: [client.step], make: w => PolicySource.workload(w.get(`deployment:${client.ns}/${client.name}`)) };
    default:
      return { label: 'the ingress gateway', ingress: true, after: [ingressStep], make: w => w.get<IngressGateway>('ingress').policySource };
  }
}
