import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { CORE_SCHEMA, loadAll } from '../_yaml';
import { evaluateAccess, PolicyIndex } from './access';
import { CHECKS, runChecks } from './checks';
import { diagnose, diagnoseText, SymptomName } from './diagnose';
import { diffMarkdown, diffModels } from './diff';
import { explain, explainMarkdown, explainText } from './explain';
import { Located, MeshModel } from './model';
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
   * The client: `<namespace>/<serviceaccount>`. A namespace in the manifests that is neither ambient
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
  /** Mesh trust domain. @default "cluster.local" */
  readonly trustDomain?: string;
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
  /** `gateway`, `waypoint`, `ztunnel`, or `sidecar` (the destination pod's own proxy, in sidecar mode). */
  readonly point: string;
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
}

/** Who enforces what for one Service. */
export interface ServiceExplanation {
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

/** One access consequence of a change. */
export interface AccessChangeEntry {
  readonly source: string;
  readonly destination: string;
  readonly request: string;
  readonly before: string;
  readonly after: string;
}

/** The result of `MeshAnalyzer.diff`. */
export interface MeshDiff {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
  readonly accessGained: AccessChangeEntry[];
  readonly accessLost: AccessChangeEntry[];
  readonly accessMoved: AccessChangeEntry[];
  /** Some identity can reach something it could not before. */
  readonly accessWidened: boolean;
  /** The diff as Markdown, for a pull-request comment. */
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
  /** Access before (sidecars) and after (ambient). */
  readonly access: MeshDiff;
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
    return {
      added: d.added,
      removed: d.removed,
      changed: d.changed,
      accessGained: d.gained,
      accessLost: d.lost,
      accessMoved: d.moved,
      accessWidened: d.gained.length > 0,
      markdown: diffMarkdown(d),
    };
  }

  private readonly located: Located[] = [];
  private cachedModel?: MeshModel;
  private cachedIndex?: PolicyIndex;

  private constructor() {}

  /** Evaluates a request hop by hop: ingress gateway, waypoint, destination ztunnel. */
  public checkAccess(request: AccessRequest): AccessDecision {
    const result = evaluateAccess(this.model(), this.policyIndex(), request);
    return { ...result, hops: result.hops.map(h => ({ ...h })) };
  }

  /**
   * Names the objects that most likely cause a symptom for one request (most likely first), with
   * the live commands that confirm each hop.
   */
  public diagnose(request: DiagnoseRequest): Diagnosis {
    const d = diagnose(this.model(), this.policyIndex(), { ...request, symptom: request.symptom as string as SymptomName });
    return { ...d, text: diagnoseText(d) };
  }

  /**
   * Rewrites a sidecar-mode mesh (namespaces with istio-injection or istio.io/rev) for ambient, the way
   * the Istio 1.30 migration guide does, and diffs access before and after.
   */
  public migrateToAmbient(options: MigrateOptions = {}): MeshMigration {
    const out = migrateToAmbient(this.located.map(l => l.obj), options);
    const access = MeshAnalyzer.diff(this, MeshAnalyzer.fromObjects(out.objects));
    return {
      objects: out.objects,
      items: out.notes.map(n => ({ ...n })),
      steps: out.steps,
      access,
      complete: !out.notes.some(n => n.status === 'blocked'),
    };
  }

  /** Who enforces what, per Service. */
  public explain(options: ExplainOptions = {}): ServiceExplanation[] {
    return explain(this.model(), this.policyIndex(), options);
  }

  /** `explain` as Markdown (one row per Service). */
  public explainMarkdown(options: ExplainOptions = {}): string {
    return explainMarkdown(this.explain(options));
  }

  /** `explain` as text for a terminal. */
  public explainText(options: ExplainOptions = {}): string {
    return explainText(this.explain(options));
  }

  private model(): MeshModel {
    this.cachedModel ??= new MeshModel(this.located);
    return this.cachedModel;
  }

  private policyIndex(): PolicyIndex {
    this.cachedIndex ??= new PolicyIndex(this.model());
    return this.cachedIndex;
  }

  /** Adds objects (a `List` is expanded). Returns this. */
  public addObjects(objects: any[], source?: string): MeshAnalyzer {
    for (const obj of objects) {
      if (obj?.kind === 'List' && Array.isArray(obj.items)) this.addObjects(obj.items, source);
      else if (obj && typeof obj === 'object') this.located.push({ obj, source });
    }
    this.cachedModel = undefined;
    this.cachedIndex = undefined;
    return this;
  }

  /** Adds YAML or JSON text. Returns this. */
  public addYaml(text: string, source?: string): MeshAnalyzer {
    let docs: unknown[];
    try {
      // YAML 1.2 core schema: no timestamps or yes/no booleans (what the API server reads).
      docs = loadAll(text, undefined, { schema: CORE_SCHEMA });
    } catch (e) {
      throw new Error(`${source ?? 'input'}: ${(e as Error).message.split('\n')[0]}`);
    }
    for (const value of docs) {
      if (Array.isArray(value)) this.addObjects(value, source);
      else if (value) this.addObjects([value], source);
    }
    return this;
  }

  /** Adds a file or a folder. Returns this. */
  public addFile(file: string): MeshAnalyzer {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file).sort()) {
        const child = path.join(file, entry);
        if (fs.statSync(child).isDirectory() || /\.(ya?ml|json)$/.test(entry)) this.addFile(child);
      }
      return this;
    }
    return this.addYaml(fs.readFileSync(file, 'utf8'), file);
  }

  /** Number of objects loaded. */
  public get objectCount(): number {
    return this.located.length;
  }

  /** Runs every check; findings sorted by severity, code and object, each reported once. */
  public analyze(): MeshFinding[] {
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

  private addConstructs(scope: IConstruct): MeshAnalyzer {
    for (const node of scope.node.findAll()) {
      if (ApiObject.isApiObject(node)) this.located.push({ obj: node.toJson(), source: node.node.path });
    }
    this.cachedModel = undefined;
    return this;
  }
}
