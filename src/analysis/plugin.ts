import { FindingSeverity, MeshAnalyzer, MeshFinding } from './analyzer';

/** Props for `MeshValidationPlugin` (the `properties` of its entry in cdk8s.yaml). */
export interface MeshValidationPluginProps {
  /**
   * Lowest severity that fails `cdk8s synth`: "error", "warning" or "info".
   * @default "error"
   */
  readonly failOn?: string;
}

const SEVERITIES = ['error', 'warning', 'info'];
const PACKAGE = 'cdk8s-istio-ambient';

/**
 * A cdk8s validation plugin: `cdk8s synth` runs the mesh analyzer over the synthesized manifests and
 * prints each finding with the construct that wrote the object.
 *
 * ```yaml
 * # cdk8s.yaml: the package installed in the app (npm install cdk8s-istio-ambient)
 * validations:
 *   - package: ./node_modules/cdk8s-istio-ambient
 *     version: <installed version>
 *     class: MeshValidationPlugin
 *     properties: { failOn: warning }
 * ```
 *
 * With `package: cdk8s-istio-ambient` (a name instead of a path) the cdk8s CLI installs that exact
 * version from the npm registry into its own plugins folder instead.
 *
 * Problems with the configuration or the manifests are reported as a failed validation with a
 * message, never as an exception: the cdk8s CLI would print those as a stack trace.
 */
export class MeshValidationPlugin {
  private readonly failOn: string;
  private readonly configError?: string;

  public constructor(props: MeshValidationPluginProps = {}) {
    const unknown = Object.keys(props).filter(k => k !== 'failOn');
    this.failOn = props.failOn ?? 'error';
    if (unknown.length > 0) {
      this.configError = `unknown propert${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map(k => `"${k}"`).join(', ')} in cdk8s.yaml validations[].properties; the only property is "failOn".`;
    } else if (typeof this.failOn !== 'string' || !SEVERITIES.includes(this.failOn)) {
      this.configError = `failOn "${this.failOn}" must be "error", "warning" or "info".`;
    }
  }

  /** Called by the cdk8s CLI with its ValidationContext. */
  public async validate(context: any): Promise<void> {
    if (this.configError) {
      this.fail(context, 'configuration', `MeshValidationPlugin: ${this.configError}`, 'Fix the MeshValidationPlugin entry under validations in cdk8s.yaml.');
      return;
    }
    let findings: MeshFinding[];
    try {
      // Read like `cdk8s-istio-ambient analyze` does (YAML 1.2 core schema, errors with the file name).
      findings = MeshAnalyzer.fromFiles([...context.manifests as string[]]).analyze();
    } catch (e) {
      this.fail(context, 'manifests', `MeshValidationPlugin could not analyze the synthesized manifests: ${(e as Error).message}`,
        'Check that every synthesized file is valid Kubernetes YAML, or run `npx cdk8s-istio-ambient analyze dist/` for details.');
      return;
    }
    for (const f of findings) {
      context.report.addViolation({
        ruleName: `${f.code} ${f.title} [${f.severity}]`,
        recommendation: f.message,
        fix: f.fix,
        violatingResources: [{
          // The CLI looks the construct path up by object name (construct-metadata.json is keyed by
          // metadata.name); the location says which object it is.
          resourceName: f.name,
          locations: [`${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name}`],
          manifestPath: f.source ?? '',
        }],
      });
    }
    const rank = (s: string) => SEVERITIES.indexOf(s);
    const failing = findings.filter(f => rank(f.severity) <= rank(this.failOn));
    const count = (s: string) => String(findings.filter(f => f.severity === s).length);
    context.report.submit(failing.length > 0 ? 'failure' : 'success', {
      'errors': count('error'),
      'warnings': count('warning'),
      'infos': count('info'),
      'fails on': this.failOn,
    });
  }

  /** The severity that fails synth. */
  public get failSeverity(): FindingSeverity {
    return this.failOn as FindingSeverity;
  }

  private fail(context: any, what: string, message: string, fix: string): void {
    context.report.addViolation({
      ruleName: `${PACKAGE} ${what}`,
      recommendation: message,
      fix,
      violatingResources: [{ resourceName: PACKAGE, locations: [message], manifestPath: 'cdk8s.yaml' }],
    });
    context.report.submit('failure', { error: message });
  }
}
