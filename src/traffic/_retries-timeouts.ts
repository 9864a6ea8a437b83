import { Duration } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import type { HttpRouteRule } from './http-route';
import { constructError } from '../_validation';
import * as gwapi from '../imports/gateway.networking.k8s.io';

/**
 * The typed HTTPRoute is generated from the standard channel, whose schema has no `retry`: its
 * `toJson()` drops unknown keys (even JSON patches), so retries are added after it.
 */
export class HttpRouteWithRetries extends gwapi.HttpRoute {
  public constructor(scope: Construct, id: string, private readonly retries: any[], props: gwapi.HttpRouteProps) {
    super(scope, id, props);
  }

  public toJson(): any {
    const json = super.toJson();
    this.retries.forEach((retry, i) => {
      if (retry) json.spec.rules[i].retry = retry;
    });
    return json;
  }
}

/** Gateway API durations: `1h`, `30s`, `500ms` (whole milliseconds). */
export function gatewayDuration(scope: IConstruct, what: string, d: Duration): string {
  const ms = d.toMilliseconds();
  if (!Number.isInteger(ms) || ms <= 0) throw constructError(scope, `${what} must be a positive whole number of milliseconds.`);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The rule's `timeouts`, the per-attempt one no longer than the total. */
export function renderTimeouts(scope: IConstruct, rule: HttpRouteRule, what: string): gwapi.HttpRouteSpecRulesTimeouts | undefined {
  if (!rule.timeout && !rule.backendTimeout) return undefined;
  if (rule.timeout && rule.backendTimeout && rule.backendTimeout.toMilliseconds() > rule.timeout.toMilliseconds()) {
    throw constructError(scope, `${what}: backendTimeout (${rule.backendTimeout.toHumanString()}) cannot be longer than timeout (${rule.timeout.toHumanString()}): each attempt must fit in the request's total time.`);
  }
  return {
    request: rule.timeout ? gatewayDuration(scope, `${what}: timeout`, rule.timeout) : undefined,
    backendRequest: rule.backendTimeout ? gatewayDuration(scope, `${what}: backendTimeout`, rule.backendTimeout) : undefined,
  };
}

/** Retries must fit in the request timeout: attempts x (per-attempt timeout + backoff) <= timeout. */
export function renderRetry(scope: IConstruct, rule: HttpRouteRule, index: number): any {
  const retry = rule.retry!;
  const what = `rule ${index}: retry`;
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1) throw constructError(scope, `${what}.attempts must be a whole number of at least 1.`);
  for (const code of retry.codes ?? []) {
    if (!Number.isInteger(code) || code < 400 || code > 599) throw constructError(scope, `${what}: code ${code} is not an HTTP error status (400-599).`);
  }
  if (rule.timeout) {
    const per = (rule.backendTimeout?.toMilliseconds() ?? 0) + (retry.backoff?.toMilliseconds() ?? 0);
    const total = (retry.attempts + 1) * per;
    if (per > 0 && total > rule.timeout.toMilliseconds()) {
      throw constructError(scope, `${what}: ${retry.attempts + 1} attempts of ${per}ms (backendTimeout + backoff) take ${total}ms, longer than the request timeout (${rule.timeout.toMilliseconds()}ms), so the last attempts could never finish. Lower attempts or backendTimeout, or raise timeout.`);
    }
  }
  // Added after the typed toJson(), which would otherwise drop undefined keys: only set fields are written,
  // so a retry without codes or backoff has no `null` fields in the YAML.
  const rendered: { attempts: number; codes?: number[]; backoff?: string } = { attempts: retry.attempts };
  if (retry.codes?.length) rendered.codes = [...retry.codes];
  if (retry.backoff) rendered.backoff = gatewayDuration(scope, `${what}.backoff`, retry.backoff);
  return rendered;
}
