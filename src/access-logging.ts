import { Construct } from 'constructs';
import { TelemetrySection, checkProviderDefined, l7ScopeProblems, requestTelemetry } from './_telemetry';
import { checkObjectName, constructError } from './_validation';
import { celSyntaxProblem } from './semantics/cel-syntax';
import { TelemetryScope } from './telemetry';

/** Props for `AccessLogging`. */
export interface AccessLoggingProps {
  /**
   * Where access logs are turned on.
   * @default [TelemetryScope.mesh()]
   */
  readonly scopes?: TelemetryScope[];
  /**
   * Access-log provider: `envoy` (built in, stdout of the waypoint or gateway) or one added to meshConfig.
   * @default "envoy"
   */
  readonly provider?: string;
  /**
   * CEL filter: only matching requests are logged, e.g. `response.code >= 400`.
   * @default - every request
   */
  readonly filter?: string;
}

/**
 * Envoy access logs for waypoints and gateways (Telemetry `accessLogging`). ztunnel writes its own
 * connection logs to its pod's stdout and is not configured by Telemetry.
 */
export class AccessLogging extends Construct {
  /** The provider used. */
  public readonly provider: string;

  public constructor(scope: Construct, id: string, props: AccessLoggingProps = {}) {
    super(scope, id);
    this.provider = props.provider ?? 'envoy';
    checkObjectName(this, 'provider', this.provider);
    if (props.filter !== undefined && props.filter.trim() === '') {
      throw constructError(this, 'filter is empty; drop it to log every request.');
    }
    const celProblem = props.filter !== undefined ? celSyntaxProblem(props.filter) : undefined;
    if (celProblem) {
      throw constructError(this, `filter: "${props.filter}" ${celProblem}, so it is not a valid CEL expression. Fix it, e.g. "response.code >= 400".`);
    }
    for (const telemetryScope of props.scopes ?? [TelemetryScope.mesh()]) {
      // At synth: a waypoint declared after this construct still counts.
      this.node.addValidation({ validate: () => l7ScopeProblems(this, telemetryScope, 'AccessLogging') });
      requestTelemetry(this, telemetryScope, TelemetrySection.ACCESS_LOGGING, {
        providers: [{ name: this.provider }],
        filter: props.filter ? { expression: props.filter } : undefined,
      });
    }
    this.node.addValidation({ validate: () => checkProviderDefined(this, this.provider) });
  }
}
