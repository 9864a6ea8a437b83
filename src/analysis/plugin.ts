import { FindingSeverity, MeshAnalyzer } from './analyzer';

/** Props for `MeshValidationPlugin` (the `properties` of its entry in cdk8s.yaml). */
export interface MeshValidationPluginProps {
  /**
   * Lowest severity that fails `cdk8s synth`: "error", "warning" or "info".
   * @default "error"
   */
  readonly failOn?: string;
}

/**
 * A cdk8s validation plugin: `cdk8s synth` runs the mesh analyzer over the synthesized manifests.
 *
 * ```yaml
 * # cdk8s.yaml
 * validations:
 *   - package: cdk8s-istio-ambient
 *     version: <version>
 *     class: MeshValidationPlugin
 *     properties: { failOn: warning }
 * ```
 */
export class MeshValidationPlugin {
  private readonly failOn: string;

  public constructor(props: MeshValidationPluginProps = {}) {
    this.failOn = props.failOn ?? 'error';
    if (!['error', 'warning', 'info'].includes(this.failOn)) {
      throw new Error(`MeshValidationPlugin: failOn "${this.failOn}" must be "error", "warning" or "info".`);
    }
  }

  /** Called by the cdk8s CLI with its ValidationContext. */
  public async validate(context: any): Promise<void> {
    const analyzer = MeshAnalyzer.fromObjects([]);
    for (const manifest of context.manifests as string[]) analyzer.addObjects(context.parseManifest(manifest), manifest);
    const findings = analyzer.analyze();
    const rank = (s: string) => ['error', 'warning', 'info'].indexOf(s);
    for (const f of findings) {
      context.report.addViolation({
        ruleName: `${f.code} ${f.title}`,
        recommendation: f.message,
        fix: f.fix,
        violatingResources: [{ resourceName: `${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name}`, locations: [], manifestPath: f.source ?? '' }],
      });
    }
    const failing = findings.some(f => rank(f.severity) <= rank(this.failOn));
    context.report.submit(failing ? 'failure' : 'success', { findings: String(findings.length) });
  }

  /** The severity that fails synth. */
  public get failSeverity(): FindingSeverity {
    return this.failOn as FindingSeverity;
  }
}
