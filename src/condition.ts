/**
 * A `when` condition of an authorization rule: an Istio attribute and the values it must (or must
 * not) take.
 *
 * Only `source.ip`, `source.namespace`, `source.principal`, `destination.ip` and `destination.port`
 * are L4 attributes ztunnel can enforce; any other key (`request.headers[...]`, `request.auth.*`,
 * ...) needs a waypoint.
 *
 * @see https://istio.io/latest/docs/reference/config/security/conditions/
 */
export class Condition {
  /** The attribute must match one of `values` (exact, prefix `abc*`, suffix `*abc` or presence `*`). */
  public static matches(key: string, ...values: string[]): Condition {
    return new Condition(key, values, []);
  }

  /** The attribute must not match any of `values`. */
  public static notMatches(key: string, ...values: string[]): Condition {
    return new Condition(key, [], values);
  }

  /** A request header must match one of `values` (L7). */
  public static header(name: string, ...values: string[]): Condition {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      throw new Error(`Condition.header(): "${name}" is not an HTTP header name.`);
    }
    return new Condition(`request.headers[${name}]`, values, []);
  }

  /** The attribute key. */
  public readonly key: string;
  /** Values that match. */
  public readonly values: string[];
  /** Values that do not match. */
  public readonly notValues: string[];

  private constructor(key: string, values: string[], notValues: string[]) {
    if (!key || /\s/.test(key)) {
      throw new Error(`Condition key "${key}" is invalid: use an Istio attribute such as "source.ip" or "request.headers[x-tenant]".`);
    }
    if (values.length + notValues.length === 0) {
      throw new Error(`Condition "${key}" needs at least one value: a condition without values can never match.`);
    }
    for (const v of [...values, ...notValues]) {
      if (v === '') throw new Error(`Condition "${key}" has an empty value; use "*" to require the attribute to be present.`);
      checkValue(key, v);
    }
    this.key = key;
    this.values = [...values];
    this.notValues = [...notValues];
  }
}

/** Keys Istio replaced or removed, with what to use instead (istiod rejects them). */
const REMOVED_KEYS: { [key: string]: string } = {
  'destination.labels': 'a workload selector (PolicyTarget.pods())',
  'destination.name': 'a workload selector (PolicyTarget.pods())',
  'destination.namespace': 'the policy namespace',
  'destination.user': 'a workload selector (PolicyTarget.pods())',
};

/** The checks istiod runs on `when` values at apply time, run at synth time instead. */
function checkValue(key: string, value: string): void {
  const base = key.replace(/\[.*$/, '');
  if (REMOVED_KEYS[base]) {
    throw new Error(`Condition key "${key}" is not supported by Istio; use ${REMOVED_KEYS[base]}.`);
  }
  if ((key === 'source.ip' || key === 'destination.ip' || key === 'remote.ip') && !IP_OR_CIDR.test(value)) {
    throw new Error(`Condition "${key}": "${value}" is not an IP address or CIDR block.`);
  }
  if (key === 'destination.port' && !(/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 65535)) {
    throw new Error(`Condition "destination.port": "${value}" is not a port number (1-65535).`);
  }
}

const IP_OR_CIDR = /^((\d{1,3}\.){3}\d{1,3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)(\/\d{1,3})?$/;
