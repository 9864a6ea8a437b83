import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { parseAllDocuments } from 'yaml';
import { CHECKS, runChecks } from './checks';
import { Located, MeshModel } from './model';

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

  private readonly located: Located[] = [];

  private constructor() {}

  /** Adds objects (a `List` is expanded). Returns this. */
  public addObjects(objects: any[], source?: string): MeshAnalyzer {
    for (const obj of objects) {
      if (obj?.kind === 'List' && Array.isArray(obj.items)) this.addObjects(obj.items, source);
      else if (obj && typeof obj === 'object') this.located.push({ obj, source });
    }
    return this;
  }

  /** Adds YAML or JSON text. Returns this. */
  public addYaml(text: string, source?: string): MeshAnalyzer {
    const docs = parseAllDocuments(text);
    for (const doc of docs) {
      if (doc.errors.length > 0) throw new Error(`${source ?? 'input'}: ${doc.errors[0].message}`);
      const value = doc.toJS();
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
    return this;
  }
}
