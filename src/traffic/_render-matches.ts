import { IConstruct } from 'constructs';
import { HttpRouteMatch, ValueMatch } from './route-match';
import { constructError } from '../_validation';
import * as gwapi from '../imports/gateway.networking.k8s.io';
import { headerNameProblem, matchValueProblem } from '../semantics/gateway-api-syntax';

export function renderHttpMatch(scope: IConstruct, m: HttpRouteMatch, what: string): gwapi.HttpRouteSpecRulesMatches {
  const method = m.method?.toUpperCase();
  const methods = Object.values(gwapi.HttpRouteSpecRulesMatchesMethod) as string[];
  if (method !== undefined && !methods.includes(method)) {
    throw constructError(scope, `method "${m.method}" is not an HTTP method Gateway API matches (${methods.join(', ')}).`);
  }
  return {
    path: m.path ? { type: m.path._type as any, value: m.path._value } : undefined,
    method: method as any,
    headers: m.headers?.map((h, i) => valueMatch(scope, `${what}.headers[${i}]`, h, 4096, gwapi.HttpRouteSpecRulesMatchesHeadersType.REGULAR_EXPRESSION)),
    queryParams: m.queryParams?.map((q, i) => valueMatch(scope, `${what}.queryParams[${i}]`, q, 1024, gwapi.HttpRouteSpecRulesMatchesQueryParamsType.REGULAR_EXPRESSION)),
  };
}

/** A header or query match; exact unless `regex` (the type is left out for exact, the default). */
export function valueMatch<T>(
  scope: IConstruct, what: string, m: ValueMatch, maxValueLength: number, regexType: T,
): { name: string; value: string; type?: T } {
  checkHeaderName(scope, `${what}.name`, m.name);
  const problem = matchValueProblem(m.value, maxValueLength);
  if (problem) throw constructError(scope, `${what}.value: "${m.value.slice(0, 64)}" ${problem}; give a value of 1 to ${maxValueLength} characters.`);
  if (m.regex) {
    try {
      new RegExp(m.value);
    } catch {
      throw constructError(scope, `${what}.value: "${m.value}" is not a valid regular expression; fix it or drop \`regex\`.`);
    }
  }
  return { name: m.name, value: m.value, type: m.regex ? regexType : undefined };
}

/** Refuses a header or query parameter name the route CRDs would reject. */
export function checkHeaderName(scope: IConstruct, what: string, name: string): void {
  const problem = headerNameProblem(name);
  if (problem) throw constructError(scope, `${what}: "${name}" ${problem}.`);
}
