import type { App, Chart } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { evaluateAccess, PolicyIndex } from './access';
import { CHECKS, runChecks } from './checks';
import { clusterFolders } from './cluster-layout';
import { diagnose, diagnoseText } from './diagnose';
import { AccessChange, diffMarkdown, diffModels } from './diff';
import { explain, explainMarkdown, explainText } from './explain';
import { ManifestError, parseManifests, readManifestPath } from './manifest-reader';
import { Located, MeshModel } from './model';
import { evaluateAcrossClusters, servingClusters } from './multicluster-access';
import { runMultiClusterChecks } from './multicluster-checks';
import { reachabilityMermaid } from './reachability';
import { migrateToAmbient } from '../migration/sidecar-to-ambient';

/** How serious a finding is. */
export enum FindingSeverity {
  /** Istio rejects, ignores or enforces differently from what the manifests say. */
  ERROR = 'error',
  /** Likely a mistake, or a gap that weakens what the manifests intend. */
  WARNING = 'warning',
  /** Worth knowing. */
  INFO = 'info',
}

/** One problem in a set of manifests. */
export interface MeshFinding {
  /** Stable code, e.g. `AMB101`. */
  readonly code: string;
  /** Severity. */
  readonly severity: FindingSeverity;
  /** What the check is about. */
  readonly title: string;
  /** Kind of the object. */
  readonly kind: string;
  /** Namespace of the object. */
  readonly namespace: string;
  /** Name of the object. */
  readonly name: string;
  /** Where the object came from: a file, or the construct path. */
  readonly source?: string;
  /** What Istio will do. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  /** Matching istioctl analyze (IST) and Kiali (KIA) codes. */
  readonly upstreamCodes: string[];
  /** The cluster the object is in, in a multi-cluster analysis (`MeshAnalyzer.fromClusters`). @default - a single-cluster analysis */
  readonly cluster?: string;
}

/** One cluster of a multi-cluster analysis. */
export interface ClusterManifests {
  /** The cluster's name, as `checkAccess` takes it in `from: "<cluster>/<namespace>/<serviceaccount>"`. */
  readonly name: string;
  /** The analyzer holding that cluster's manifests (e.g. `MeshAnalyzer.fromApp(clusterApp)`). */
  readonly analyzer: MeshAnalyzer;
}

/** A check the analyzer runs. */
export interface MeshCheck {
  /** Stable code. */
  readonly code: string;
  /** Severity of its findings. */
  readonly severity: FindingSeverity;
  /** What it checks. */
  readonly title: string;
  /** Matching istioctl analyze (IST) and Kiali (KIA) codes. */
  readonly upstreamCodes: string[];
}

/** A request to evaluate with `MeshAnalyzer.checkAccess`. */
export interface AccessRequest {
  /**
   * The client: `<namespace>/<serviceaccount>`; in a multi-cluster analysis
   * `<cluster>/<namespace>/<serviceaccount>`. A namespace in the manifests that is neither ambient
   * nor sidecar-injected makes it a client outside the mesh (no identity).
   * @default - a client outside the mesh: no identity, reaches the pods without their waypoint (or enters through viaIngress)
   */
  readonly from?: string;
  /** The destination Service: `<namespace>/<service>`. */
  readonly to: string;
  /** Service port; with `toPod`, the pod (container) port. @default - the Service's first port (its target port with `toPod`) */
  readonly port?: number;
  /** HTTP method. @default - none (a plain connection) */
  readonly method?: string;
  /** HTTP path. @default - none */
  readonly path?: string;
  /** Request headers. @default - none */
  readonly headers?: { [name: string]: string };
  /** The JWT principal `<issuer>/<subject>` of a valid token the request carries (shorthand for `token`). @default - no token */
  readonly jwtPrincipal?: string;
  /**
   * The JWT the request carries (issuer, subject, claims), or an invalid one.
   * Takes precedence over `jwtPrincipal`.
   * @default - no token
   */
  readonly token?: AccessToken;
  /** The `Host`/`:authority` of the request. @default - the Service's cluster-local name */
  readonly host?: string;
  /**
   * The client's IP address (matched by `ipBlocks`, `remoteIpBlocks` and `source.ip`).
   * @default - unknown: rules that need it are reported, not guessed
   */
  readonly sourceIp?: string;
  /** The destination IP address (matched by `destination.ip`). @default - unknown */
  readonly destinationIp?: string;
  /** Ingress Gateway (class `istio`) `<namespace>/<name>` the request enters through. @default - from inside the mesh */
  readonly viaIngress?: string;
  /** The client dials a pod IP instead of the Service (skips a service waypoint). @default false */
  readonly toPod?: boolean;
  /**
   * Mesh trust domain.
   * @default "cluster.local"; in a multi-cluster analysis, the client cluster's meshConfig.trustDomain
   */
  readonly trustDomain?: string;
  /**
   * Multi-cluster analysis: the cluster whose endpoints serve the request (for a client outside the
   * mesh, the cluster it calls from).
   * @default - every cluster the client's cluster may send it to (the Service's own cluster, and for a global Service every cluster where it is global)
   */
  readonly toCluster?: string;
}

/** A JWT carried by a request to `MeshAnalyzer.checkAccess`. */
export interface AccessToken {
  /** The `iss` claim. */
  readonly issuer: string;
  /** The `sub` claim. @default - none */
  readonly subject?: string;
  /** Other claims, by name (`groups`, `scope`, nested as `a.b`). @default - none */
  readonly claims?: { [name: string]: string };
  /** The token fails validation (bad signature, expired). @default false */
  readonly invalid?: boolean;
}

/** The decision at one enforcement point. */
export interface AccessHop {
  /**
   * `gateway`, `waypoint`, `ztunnel`, or `sidecar` (the destination pod's own proxy, in sidecar mode);
   * across clusters also `east-west gateway`, `network` (clusters sharing a network) or `client`.
   */
  readonly point: string;
  /** The cluster of this hop, in a multi-cluster analysis. @default - a single-cluster analysis */
  readonly cluster?: string;
  /** Which proxy. */
  readonly where: string;
  /** The source identity this proxy sees. */
  readonly identity: string;
  /** Whether this hop lets the request through. */
  readonly allowed: boolean;
  /** The policy that decided. @default - no policy */
  readonly policy?: string;
  /** Why. */
  readonly reason: string;
  /**
   * What the request did not give and this hop's decision depends on (e.g. `source IP`); the hop
   * is then reported as not allowed, and undecided in its reason.
   * @default - the decision is definite
   */
  readonly dependsOn?: string[];
}

/** The outcome of `MeshAnalyzer.checkAccess`. */
export interface AccessDecision {
  /** ALLOW (true) or DENY (false). */
  readonly allowed: boolean;
  /** The enforcement point that decided. */
  readonly enforcedBy: string;
  /** The deciding policy (`namespace/name`). @default - none */
  readonly policy?: string;
  /** Why. */
  readonly reason: string;
  /** Every hop, in order. */
  readonly hops: AccessHop[];
  /**
   * What the request did not give and the decision depends on (e.g. `source IP`): the decision is
   * then DENY (fail closed) and undecided; give the missing dimension for a definite answer.
   * @default - the decision is definite
   */
  readonly dependsOn?: string[];
}

/** Filters for `MeshAnalyzer.explain`. */
export interface ExplainOptions {
  /** @default - all namespaces */
  readonly namespace?: string;
  /** @default - all Services */
  readonly service?: string;
  /**
   * Multi-cluster analysis: `<cluster>` or `<cluster>/<namespace>/<serviceaccount>`, a client's
   * cluster. Lists the Services as clients there reach them: each row is a cluster whose pods serve
   * the Service for them (their own cluster's Services, and global Services in every cluster where
   * they are global), with that cluster's enforcement.
   * @default - every cluster's own Services
   */
  readonly from?: string;
}

/** Who enforces what for one Service. */
export interface ServiceExplanation {
  /** The cluster, in a multi-cluster analysis. @default - a single-cluster analysis */
  readonly cluster?: string;
  readonly service: string;
  readonly namespace: string;
  readonly ambient: string;
  readonly waypoint: string;
  readonly ingressUsesWaypoint: boolean;
  readonly mtls: string;
  readonly ztunnelPolicies: string[];
  readonly waypointPolicies: string[];
  readonly jwt: string[];
  readonly routes: string[];
  readonly ingressRoutes: string[];
  readonly resilience: string[];
  readonly telemetry: string[];
}

/** One access consequence of a change; identical changes from several sources are one entry. */
export interface AccessChangeEntry {
  /** The sources, comma-separated (identities `namespace/serviceaccount`, or a class such as "any other identity"). */
  readonly source: string;
  /** The sources, one per entry. */
  readonly sources: string[];
  /** The destination Service, `namespace/name`. */
  readonly destination: string;
  /** The Service port. @default - the Service has no ports */
  readonly port?: number;
  /** `service` (through its waypoint, if any), `pod` (dialing pod IPs) or `ingress <namespace>/<gateway>`. */
  readonly via: string;
  /** The request in words: method, path, JWT, host, headers, IPs. */
  readonly request: string;
  /** Decision before: `ALLOW (waypoint, ns/policy)` or `DENY (ztunnel, ns/policy)`. */
  readonly before: string;
  /** Decision after. */
  readonly after: string;
  /** The change on one line: who, to which Service and port, what request, before and after. */
  readonly summary: string;
  /** The representative request that was evaluated: pass it to `checkAccess` to reproduce. */
  readonly representative: AccessRequest;
}

/** A change of a Service's mTLS mode, waypoint, waypoint-bypass protection or ingress-use-waypoint. */
export interface PostureChangeEntry {
  /** `namespace/name` of the Service. */
  readonly service: string;
  /** `mtls`, `waypoint`, `bypass` or `ingress-use-waypoint`. */
  readonly aspect: string;
  /** Before. */
  readonly before: string;
  /** After. */
  readonly after: string;
  /** The change lets more traffic through or skips checks (fails the diff). */
  readonly widens: boolean;
}

/** A change in where a route (HTTPRoute, GRPCRoute, VirtualService) sends traffic. */
export interface RoutingChangeEntry {
  /** `HTTPRoute namespace/name`. */
  readonly route: string;
  /** Backends, weights, mirrors and timeouts before (`absent` for a new route). */
  readonly before: string;
  /** After (`absent` for a removed route). */
  readonly after: string;
}

/** The result of `MeshAnalyzer.diff`. */
export interface MeshDiff {
  /** Objects added, as `Kind.group namespace/name`. */
  readonly added: string[];
  /** Objects removed. */
  readonly removed: string[];
  /** Objects changed (ignoring formatting, key order and status). */
  readonly changed: string[];
  /** Requests denied before and allowed after. */
  readonly accessGained: AccessChangeEntry[];
  /** Requests allowed before and denied after. */
  readonly accessLost: AccessChangeEntry[];
  /** Requests allowed in both, by another enforcement point or policy. */
  readonly accessMoved: AccessChangeEntry[];
  /** mTLS, waypoint, bypass and ingress-use-waypoint changes per Service. */
  readonly postureChanges: PostureChangeEntry[];
  /** Routing changes (backends, weights, mirrors, timeouts). */
  readonly routingChanges: RoutingChangeEntry[];
  /** Requests evaluated, each in both versions (one per class of request, source and port). */
  readonly requestsEvaluated: number;
  /** Some request is allowed that was denied before, or the posture got weaker. */
  readonly accessWidened: boolean;
  /** The diff as Markdown, for a pull-request comment (with a Mermaid picture of the changed access). */
  readonly markdown: string;
}

/** A symptom for `MeshAnalyzer.diagnose`. */
export enum Symptom {
  /** HTTP 404: no route matched. */
  NOT_FOUND = '404',
  /** HTTP 503 (or 500): no endpoint, backend, subset or port to send to. */
  UNAVAILABLE = '503',
  /** The request is denied (RBAC: access denied, connection reset by ztunnel). */
  DENIED = 'denied',
  /** TLS or mTLS handshake failures. */
  TLS = 'tls',
  /** Pods are not captured by ztunnel (no mTLS, no policy). */
  NOT_CAPTURED = 'not-captured',
  /** Configuration is not pushed to the proxies. */
  NOT_SYNCED = 'not-synced',
}

/** The request to diagnose with `MeshAnalyzer.diagnose`. */
export interface DiagnoseRequest {
  /** What the user sees. */
  readonly symptom: Symptom;
  /** The destination Service: `<namespace>/<service>`. */
  readonly to: string;
  /** Service port. @default - the Service's first port */
  readonly port?: number;
  /** The client: `<namespace>/<serviceaccount>`. @default - a client outside the mesh */
  readonly from?: string;
  /** HTTP method. @default "GET" */
  readonly method?: string;
  /** HTTP path. @default "/" */
  readonly path?: string;
  /** The `Host` header. @default - the Service's cluster-local name */
  readonly host?: string;
  /** Ingress Gateway `<namespace>/<name>` the request enters through. @default - from inside the mesh */
  readonly viaIngress?: string;
}

/** The object a diagnosed cause points at. */
export interface DiagnosedObject {
  /** Kind. */
  readonly kind: string;
  /** Namespace (empty for cluster-scoped objects). */
  readonly namespace: string;
  /** Name. */
  readonly name: string;
}

/** One likely cause of a symptom. */
export interface DiagnosisCause {
  /** The object to change. */
  readonly object: DiagnosedObject;
  /** The hop where it bites: client ztunnel, ingress gateway, waypoint, destination ztunnel, control plane. */
  readonly hop: string;
  /** Why it causes the symptom. */
  readonly why: string;
  /** What to change. */
  readonly fix: string;
}

/** The result of `MeshAnalyzer.diagnose`. */
export interface Diagnosis {
  /** The symptom diagnosed. */
  readonly symptom: string;
  /** The request, in words. */
  readonly request: string;
  /** Likely causes, most likely first. */
  readonly causes: DiagnosisCause[];
  /** Live commands that confirm the causes, hop by hop. */
  readonly commands: string[];
  /** The diagnosis as text for a terminal. */
  readonly text: string;
}

/** Options for `MeshAnalyzer.migrateToAmbient`. */
export interface MigrateOptions {
  /** Istio root namespace. @default "istio-system" */
  readonly rootNamespace?: string;
  /** Mesh trust domain (for the waypoint principal of the bypass guards). @default "cluster.local" */
  readonly trustDomain?: string;
  /** Name of the waypoint created in each namespace that needs L7. @default "waypoint" */
  readonly waypointName?: string;
}

/** What the migration did with one object. */
export interface MigrationItem {
  /** Kind. */
  readonly kind: string;
  /** Namespace (empty for cluster-scoped objects). */
  readonly namespace: string;
  /** Name. */
  readonly name: string;
  /** `converted`, `kept`, `added`, `dropped` or `blocked` (could not be migrated). */
  readonly status: string;
  /** Why, and for `blocked` what to do instead. */
  readonly reason: string;
}

/** The result of `MeshAnalyzer.migrateToAmbient`. */
export interface MeshMigration {
  /** The ambient manifests. */
  readonly objects: any[];
  /** What happened to each object, in input order, then what was added. */
  readonly items: MigrationItem[];
  /** The rollout, in the order of the Istio migration guide. */
  readonly steps: string[];
  /** Access before (sidecars) and after (ambient), as `MeshAnalyzer.diff` reports it. */
  readonly access: MeshDiff;
  /**
   * The access changes that remain once each per-version Service (added for a DestinationRule subset)
   * is compared with the Service it splits, leaving out what the migration guide intends: the
   * waypoints' own identities, and pod-IP traffic that the added bypass guards refuse (clients address
   * the Service, whose rules the waypoint enforces). What a client can reach that it could not, or no
   * longer can.
   */
  readonly accessChanges: AccessChangeEntry[];
  /** Nothing was blocked. */
  readonly complete: boolean;
}

const SEVERITY_ORDER: { [s: string]: number } = { error: 0, warning: 1, info: 2 };

/**
 * Analyzes manifests offline for Istio ambient mistakes: a cdk8s App or Chart in process, YAML or
 * JSON files and folders, or objects. No cluster is needed; analysis is linear in the objects.
 */
export class MeshAnalyzer {
  /** Every object of a cdk8s app, with its construct path as source. */
  public static fromApp(app: App): MeshAnalyzer {
    return new MeshAnalyzer().addConstructs(app);
  }

  /** Every object under any construct (an app, a chart or a construct of your own). */
  public static fromConstruct(scope: IConstruct): MeshAnalyzer {
    return new MeshAnalyzer().addConstructs(scope);
  }

  /** Every object of a chart. */
  public static fromChart(chart: Chart): MeshAnalyzer {
    return new MeshAnalyzer().addConstructs(chart);
  }

  /** YAML or JSON files, or folders of them (searched recursively, in name order). */
  public static fromFiles(paths: string[]): MeshAnalyzer {
    const analyzer = new MeshAnalyzer();
    for (const p of paths) analyzer.addFile(p);
    return analyzer;
  }

  /** Manifests as YAML (several documents) or JSON text. */
  public static fromYaml(text: string, source?: string): MeshAnalyzer {
    return new MeshAnalyzer().addYaml(text, source);
  }

  /** Manifests as objects. */
  public static fromObjects(objects: any[], source?: string): MeshAnalyzer {
    return new MeshAnalyzer().addObjects(objects, source);
  }

  /**
   * Several clusters of one mesh, each with its own manifests: every check runs per cluster (findings
   * carry the cluster), plus the cross-cluster checks (networks, east-west gateways, shared root, mesh
   * ID, global services, remote secrets); `checkAccess` takes `from: "<cluster>/<ns>/<sa>"`.
   */
  public static fromClusters(clusters: ClusterManifests[]): MeshAnalyzer {
    if (clusters.length === 0) throw new Error('fromClusters needs at least one cluster');
    const seen = new Set<string>();
    for (const c of clusters) {
      if (!/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/i.test(c.name)) throw new Error(`cluster name "${c.name}" must be letters, digits, '.', '_' or '-' (it is the first part of "<cluster>/<namespace>/<serviceaccount>")`);
      if (seen.has(c.name)) throw new Error(`cluster "${c.name}" is given twice`);
      if (c.analyzer.clusterInputs) throw new Error(`cluster "${c.name}": its analyzer is itself a multi-cluster analyzer`);
      seen.add(c.name);
    }
    const analyzer = new MeshAnalyzer();
    analyzer.clusterInputs = clusters.map(c => ({ name: c.name, analyzer: c.analyzer }));
    return analyzer;
  }

  /**
   * A multi-cluster output: a folder with one subfolder per cluster (named by the subfolder), each
   * holding an Istio install (an istiod HelmRelease or Application, or an IstioOperator). Throws
   * when the folder is not laid out so, or has manifests outside the cluster folders.
   */
  public static fromClusterFolder(folder: string): MeshAnalyzer {
    const folders = MeshAnalyzer.clusterFoldersOf(folder);
    if (!folders) throw new ManifestError(`${folder}: not a multi-cluster output (two or more subfolders, each holding an Istio install: an istiod HelmRelease or Application, or an IstioOperator)`);
    return MeshAnalyzer.fromClusters(folders);
  }

  /**
   * The clusters of a folder laid out as `fromClusterFolder` reads it, or undefined when it is not
   * (a file, or one cluster's output).
   */
  public static detectClusters(folder: string): ClusterManifests[] | undefined {
    return MeshAnalyzer.clusterFoldersOf(folder);
  }

  /** The checks the analyzer runs. */
  public static checks(): MeshCheck[] {
    return Object.values(CHECKS).map(c => ({
      code: c.code, severity: c.severity as FindingSeverity, title: c.title, upstreamCodes: [...c.upstream ?? []],
    }));
  }

  /**
   * Object-level and access-level differences between two sets of manifests (e.g. main and a pull
   * request).
   */
  public static diff(before: MeshAnalyzer, after: MeshAnalyzer): MeshDiff {
    const d = diffModels(before.model(), after.model());
    const entry = (c: AccessChange): AccessChangeEntry => ({
      source: c.source,
      sources: [...c.sources],
      destination: c.destination,
      port: c.port,
      via: c.via,
      request: c.request,
      before: c.before,
      after: c.after,
      summary: c.summary,
      representative: { ...c.query },
    });
    return {
      added: d.added,
      removed: d.removed,
      changed: d.changed,
      accessGained: d.gained.map(entry),
      accessLost: d.lost.map(entry),
      accessMoved: d.moved.map(entry),
      postureChanges: d.posture.map(p => ({ ...p })),
      routingChanges: d.routing.map(r => ({ ...r })),
      requestsEvaluated: d.statistics.requests,
      accessWidened: d.gained.length > 0 || d.posture.some(p => p.widens),
      markdown: diffMarkdown(d),
    };
  }

  private static clusterFoldersOf(folder: string): ClusterManifests[] | undefined {
    return clusterFolders(folder)?.map(c => {
      const analyzer = new MeshAnalyzer();
      for (const r of c.objects) analyzer.located.push({ obj: r.obj, source: r.source });
      return { name: c.name, analyzer };
    });
  }

  private readonly located: Located[] = [];
  private clusterInputs?: ClusterManifests[];
  private cachedModel?: MeshModel;
  private cachedIndex?: PolicyIndex;

  private constructor() {}

  /** Evaluates a request hop by hop: ingress gateway, waypoint, destination ztunnel. */
  public checkAccess(request: AccessRequest): AccessDecision {
    if (this.clusterInputs) {
      const clusters = this.clusterInputs.map(c => ({ name: c.name, model: c.analyzer.model(), index: c.analyzer.policyIndex() }));
      const across = evaluateAcrossClusters(clusters, request);
      return { ...across, hops: across.hops.map(h => ({ ...h })) };
    }
    if (request.from !== undefined && request.from.split('/').length === 3) {
      throw new Error(`from "${request.from}" names a cluster, but these manifests are one cluster's: give <namespace>/<serviceaccount>, or analyze a multi-cluster output (MeshAnalyzer.fromClusters)`);
    }
    if (request.toCluster !== undefined) throw new Error('toCluster needs a multi-cluster analysis (MeshAnalyzer.fromClusters)');
    const result = evaluateAccess(this.model(), this.policyIndex(), request);
    return { ...result, hops: result.hops.map(h => ({ ...h })) };
  }

  /**
   * Names the objects that most likely cause a symptom for one request (most likely first), with
   * the live commands that confirm each hop.
   */
  public diagnose(request: DiagnoseRequest): Diagnosis {
    const d = diagnose(this.model(), this.policyIndex(), request);
    return { ...d, text: diagnoseText(d) };
  }

  /**
   * Rewrites a sidecar-mode mesh (namespaces with istio-injection or istio.io/rev) for ambient, the way
   * the Istio 1.30 migration guide does, and diffs access before and after.
   */
  public migrateToAmbient(options: MigrateOptions = {}): MeshMigration {
    this.model(); // one cluster's manifests only
    const out = migrateToAmbient(this.located.map(l => l.obj), options);
    const after = MeshAnalyzer.fromObjects(out.objects);
    const access = MeshAnalyzer.diff(this, after);
    // A per-version Service is new, so the diff sees access gained to it; it is no change when the
    // same request to the Service it splits was allowed before.
    const parents = new Map(out.versionServices.map(v => [v.service, v.parent]));
    const sameAsParent = (c: AccessChangeEntry, allowedAfter: boolean) => {
      const parent = parents.get(c.destination);
      return parent !== undefined && this.checkAccess({ ...c.representative, to: parent }).allowed === allowedAfter;
    };
    // By the guide's design: the waypoints' own identities, and pod-IP traffic that the added guards
    // now refuse (clients address the Service, whose rules the waypoint enforces).
    const added = (kind: string) => new Set(out.notes.filter(n => n.status === 'added' && n.kind === kind).map(n => `${n.namespace}/${n.name}`));
    const waypoints = added('Gateway');
    const guards = added('AuthorizationPolicy');
    const byDesign = (c: AccessChangeEntry, gained: boolean) => c.sources.every(s => waypoints.has(s))
      || (!gained && c.via === 'pod' && guards.has(after.checkAccess(c.representative).policy ?? ''));
    const accessChanges = [
      ...access.accessGained.filter(c => !sameAsParent(c, true) && !byDesign(c, true)),
      ...access.accessLost.filter(c => !sameAsParent(c, false) && !byDesign(c, false)),
    ];
    return {
      objects: out.objects,
      items: out.notes.map(n => ({ ...n })),
      steps: out.steps,
      access,
      accessChanges,
      complete: !out.notes.some(n => n.status === 'blocked'),
    };
  }

  /** Who enforces what, per Service. */
  public explain(options: ExplainOptions = {}): ServiceExplanation[] {
    if (this.clusterInputs) return this.explainClusters(this.clusterInputs, options);
    if (options.from !== undefined) throw new Error(`explain from "${options.from}" names a cluster, but these manifests are one cluster's`);
    return explain(this.model(), this.policyIndex(), options);
  }

  /** `explain` as Markdown (one row per Service). */
  public explainMarkdown(options: ExplainOptions = {}): string {
    return explainMarkdown(this.explain(options));
  }

  /**
   * Who may reach whom as a Mermaid flowchart (GitHub renders it): Services and workload identities
   * grouped by namespace, an edge where some request is allowed, labelled with the enforcement points.
   */
  public explainMermaid(options: ExplainOptions = {}): string {
    return reachabilityMermaid(this.model(), this.policyIndex(), options);
  }

  /** `explain` as text for a terminal. */
  public explainText(options: ExplainOptions = {}): string {
    return explainText(this.explain(options));
  }

  /** The cluster names of a multi-cluster analysis, in the order given (empty for one cluster). */
  public get clusterNames(): string[] {
    return (this.clusterInputs ?? []).map(c => c.name);
  }

  private model(): MeshModel {
    if (this.clusterInputs) throw new Error(`this analyzer holds several clusters (${this.clusterNames.join(', ')}): diff, diagnose, migrateToAmbient and explainMermaid read one cluster's manifests; use that cluster's analyzer`);
    this.cachedModel ??= new MeshModel(this.located);
    return this.cachedModel;
  }

  private policyIndex(): PolicyIndex {
    this.cachedIndex ??= new PolicyIndex(this.model());
    return this.cachedIndex;
  }

  /** Adds objects (a `List` is expanded). Returns this. */
  public addObjects(objects: any[], source?: string): MeshAnalyzer {
    this.singleCluster();
    for (const obj of objects) {
      if (obj?.kind === 'List' && Array.isArray(obj.items)) this.addObjects(obj.items, source);
      else if (obj && typeof obj === 'object') this.located.push({ obj, source });
    }
    this.cachedModel = undefined;
    this.cachedIndex = undefined;
    return this;
  }

  /**
   * Adds YAML (several documents) or JSON text; a `List` or an array yields its items. Throws an
   * error naming `source` and the line for malformed YAML, binary data, unrendered Helm templates,
   * alias bombs and objects without a name or with fields of the wrong type. Returns this.
   */
  public addYaml(text: string, source?: string): MeshAnalyzer {
    this.singleCluster();
    for (const r of parseManifests(text, source ?? 'input')) this.located.push({ obj: r.obj, source: r.source });
    this.cachedModel = undefined;
    this.cachedIndex = undefined;
    return this;
  }

  /** Adds a file, or a folder of `.yaml`/`.yml`/`.json` files (recursively, in name order). Returns this. */
  public addFile(file: string): MeshAnalyzer {
    this.singleCluster();
    for (const r of readManifestPath(file)) this.located.push({ obj: r.obj, source: r.source });
    this.cachedModel = undefined;
    this.cachedIndex = undefined;
    return this;
  }

  /** Number of objects loaded. */
  public get objectCount(): number {
    if (this.clusterInputs) return this.clusterInputs.reduce((n, c) => n + c.analyzer.objectCount, 0);
    return this.located.length;
  }

  /** Runs every check; findings sorted by severity, code and object, each reported once. */
  public analyze(): MeshFinding[] {
    if (this.clusterInputs) return this.analyzeClusters(this.clusterInputs);
    const model = new MeshModel(this.located);
    const seen = new Set<string>();
    const findings: MeshFinding[] = [];
    for (const raw of runChecks(model)) {
      const info = CHECKS[raw.code];
      const o = raw.located.obj;
      const finding: MeshFinding = {
        code: raw.code,
        severity: info.severity as FindingSeverity,
        title: info.title,
        kind: o.kind,
        namespace: o.metadata?.namespace ?? (o.kind === 'Namespace' ? '' : 'default'),
        name: o.metadata?.name ?? '',
        source: raw.located.source,
        message: raw.message,
        fix: raw.fix,
        upstreamCodes: [...info.upstream ?? []],
      };
      const id = `${finding.code}|${finding.kind}|${finding.namespace}|${finding.name}|${finding.message}`;
      if (seen.has(id)) continue;
      seen.add(id);
      findings.push(finding);
    }
    return findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]
      || a.code.localeCompare(b.code) || a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  private explainClusters(clusters: ClusterManifests[], options: ExplainOptions): ServiceExplanation[] {
    const filter = { namespace: options.namespace, service: options.service };
    const rows = (c: ClusterManifests) => c.analyzer.explain(filter).map(e => ({ cluster: c.name, ...e }));
    if (options.from === undefined) return clusters.flatMap(rows);
    const parts = options.from.split('/');
    const client = clusters.find(c => c.name === parts[0]);
    if (!client || (parts.length !== 1 && parts.length !== 3)) {
      throw new Error(`explain from "${options.from}" must be <cluster> or <cluster>/<namespace>/<serviceaccount> (clusters: ${this.clusterNames.join(', ')})`);
    }
    const models = clusters.map(c => ({ name: c.name, model: c.analyzer.model(), c }));
    const byCluster = new Map(clusters.map(c => [c.name, rows(c)]));
    const services = [...new Set(clusters.flatMap(c => byCluster.get(c.name)!.map(e => `${e.namespace}/${e.service}`)))].sort();
    const out: ServiceExplanation[] = [];
    for (const s of services) {
      const [ns, name] = s.split('/');
      for (const serving of servingClusters(models, models.find(m => m.c === client)!, ns, name)) {
        out.push(...byCluster.get(serving.name)!.filter(e => e.namespace === ns && e.service === name));
      }
    }
    return out;
  }

  private singleCluster(): void {
    if (this.clusterInputs) throw new Error(`this analyzer holds several clusters (${this.clusterNames.join(', ')}): add manifests to a cluster's own analyzer`);
  }

  private analyzeClusters(clusters: ClusterManifests[]): MeshFinding[] {
    const perCluster = clusters.flatMap(c => c.analyzer.analyze().map(f => ({ ...f, cluster: c.name })));
    const across = runMultiClusterChecks(clusters.map(c => ({ name: c.name, model: c.analyzer.model() }))).map(raw => {
      const info = CHECKS[raw.code];
      const o = raw.located.obj;
      return {
        code: raw.code,
        severity: info.severity as FindingSeverity,
        title: info.title,
        kind: o.kind,
        namespace: o.metadata?.namespace ?? (o.kind === 'Namespace' ? '' : 'default'),
        name: o.metadata?.name ?? '',
        source: raw.located.source,
        message: raw.message,
        fix: raw.fix,
        upstreamCodes: [...info.upstream ?? []],
        cluster: raw.cluster,
      };
    });
    return [...perCluster, ...across].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]
      || a.code.localeCompare(b.code) || (a.cluster ?? '').localeCompare(b.cluster ?? '') || a.kind.localeCompare(b.kind)
      || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.message.localeCompare(b.message));
  }

  private addConstructs(scope: IConstruct): MeshAnalyzer {
    // Loaded here, not at the top: the CLI reads files and never needs cdk8s or the construct side
    // (it doubles start-up time); a caller passing constructs has them loaded already.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { ApiObject } = require('cdk8s') as typeof import('cdk8s');
    const { MeshContext } = require('../_context') as typeof import('../_context');
    const { renderedObject } = require('../_kube-inputs') as typeof import('../_kube-inputs');
    /* eslint-enable @typescript-eslint/no-require-imports */
    // The library writes some objects at synth, from the whole app: make them as synth would.
    MeshContext.prepareApp(scope);
    for (const node of scope.node.findAll()) {
      // Rendered once per synthesis pass: the chart output reuses what the analysis read.
      if (ApiObject.isApiObject(node)) this.located.push({ obj: renderedObject(node), source: node.node.path });
    }
    this.cachedModel = undefined;
    return this;
  }
}
