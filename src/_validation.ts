import { Chart, Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { hostnameProblem } from './semantics/gateway-api-syntax';

/**
 * Errors raised at construction time name the construct path, the bad value and the fix.
 * Validations registered with `node.addValidation` are prefixed with the path by cdk8s itself.
 */
export function constructError(where: IConstruct | string, message: string): Error {
  return new Error(`[${typeof where === 'string' ? where : where.node.path}] ${message}`);
}

// RFC 1035 label: what Kubernetes requires for Service names (a waypoint's Service is named after it).
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
// RFC 1123 label: namespaces.
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// RFC 1123 subdomain: most object names (ServiceAccount, Service references by name).
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function checkDns1035Label(where: IConstruct | string, what: string, value: string): void {
  if (value.length > 63 || !DNS_1035_LABEL.test(value)) {
    throw constructError(where, `${what} "${value}" is not a valid name: use at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit.`);
  }
}

export function checkNamespaceName(where: IConstruct | string, what: string, value: string): void {
  if (value.length > 63 || !DNS_1123_LABEL.test(value)) {
    throw constructError(where, `${what} "${value}" is not a valid namespace name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit.`);
  }
}

export function checkObjectName(where: IConstruct | string, what: string, value: string): void {
  if (value.length > 253 || !DNS_1123_SUBDOMAIN.test(value)) {
    throw constructError(where, `${what} "${value}" is not a valid object name: use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit.`);
  }
}

/**
 * The namespace an object lands in: its own, else its chart's. Istio identities and label
 * resolution need it, so an object without one is refused rather than guessed.
 */
export function namespaceOf(scope: IConstruct, explicit: string | undefined, what: string): string {
  const ns = explicit ?? Chart.of(scope).namespace;
  if (!ns) {
    throw constructError(scope, `${what} has no namespace. Set its namespace (or the Chart's \`namespace\`): Istio resolves waypoints, identities and policies per namespace, so it cannot be left to the kubectl context.`);
  }
  checkNamespaceName(scope, `${what}: namespace`, ns);
  return ns;
}

/** Sorted copy without duplicates, so rendered lists do not depend on declaration order. */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** A duration in whole seconds (Istio and Flux durations), refusing fractions with a clear message. */
export function wholeSeconds(where: IConstruct | string, what: string, duration: Duration): number {
  const problem = wholeSecondsProblem(what, duration);
  if (problem) throw constructError(where, problem);
  return duration.toMilliseconds() / 1000;
}

/** Why a duration is not a whole number of seconds (at least 1), or undefined when it is. */
export function wholeSecondsProblem(what: string, duration: Duration): string | undefined {
  const millis = duration.toMilliseconds();
  return millis < 1000 || millis % 1000 !== 0 ? `${what} must be a whole number of seconds, at least 1 (got ${millis}ms).` : undefined;
}

/** Refuses a Gateway API hostname the CRDs would reject (`wildcard`: a leading "*." is allowed). */
export function checkHostname(where: IConstruct | string, what: string, hostname: string, wildcard: boolean): void {
  const problem = hostnameProblem(hostname, wildcard);
  if (problem) throw constructError(where, `${what}: "${hostname}" ${problem}, e.g. "shop.example.com".`);
}

// Kubernetes label syntax (apimachinery validation IsQualifiedName for keys, IsValidLabelValue for values):
// a key is an optional DNS-1123 subdomain prefix (at most 253 characters) and '/', then a name of at most
// 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric; a value is empty or such a name.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Refuses label keys and values (pod selectors, namespace labels) the API server would reject. */
export function checkLabels(where: IConstruct | string, what: string, labels: { [key: string]: string }): void {
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.indexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS_1123_SUBDOMAIN.test(prefix));
    if (!prefixOk || name.length > 63 || !LABEL_NAME.test(name)) {
      throw constructError(where, `${what}: label key "${key}" is not a valid label key: use an optional DNS prefix and '/' (e.g. "example.com/"), then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.`);
    }
    if (value.length > 63 || (value !== '' && !LABEL_NAME.test(value))) {
      throw constructError(where, `${what}: label ${key}="${value}" is not a valid label value: use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (or an empty value).`);
    }
  }
}
