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
    }
    this.key = key;
    this.values = [...values];
    this.notValues = [...notValues];
  }
}
