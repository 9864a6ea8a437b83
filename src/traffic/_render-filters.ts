import { IConstruct } from 'constructs';
import { checkHeaderName } from './_render-matches';
import { HeaderChanges, HttpCors, PathModifier } from './route-filters';
import { constructError, wholeSeconds } from '../_validation';
import * as gwapi from '../imports/gateway.networking.k8s.io';
import { headerNameProblem, matchValueProblem } from '../semantics/gateway-api-syntax';

/** Origins the HTTPRoute CRD accepts in a CORS filter. */
const CORS_ORIGIN = /^(\*|https?:\/\/((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:[0-9]{1,5})?)$/;
const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', '*'];

/** The CORS filter, with the HTTPRoute CRD's rules (v1.5.1) checked before the API server does. */
export function renderCors(scope: IConstruct, cors: HttpCors, what: string): gwapi.HttpRouteSpecRulesFiltersCors {
  const lists: [string, string[] | undefined][] = [['allowOrigins', cors.allowOrigins], ['allowMethods', cors.allowMethods], ['allowHeaders', cors.allowHeaders]];
  for (const [field, values] of lists) {
    if (values && values.includes('*') && values.length > 1) {
      throw constructError(scope, `${what}: cors.${field} has "*" alongside other values; "*" must stand alone.`);
    }
  }
  if (cors.allowOrigins.length === 0) throw constructError(scope, `${what}: cors.allowOrigins is empty; name the origins allowed (or "*").`);
  for (const origin of cors.allowOrigins) {
    if (!CORS_ORIGIN.test(origin)) {
      throw constructError(scope, `${what}: cors origin "${origin}" must be "*" or scheme://host[:port], e.g. "https://shop.example.com" or "https://*.example.com".`);
    }
  }
  for (const method of cors.allowMethods ?? []) {
    if (!CORS_METHODS.includes(method)) throw constructError(scope, `${what}: cors method "${method}" is not one of ${CORS_METHODS.join(', ')}.`);
  }
  for (const header of [...(cors.allowHeaders ?? []), ...(cors.exposeHeaders ?? [])]) {
    if (header !== '*' && headerNameProblem(header)) throw constructError(scope, `${what}: cors header "${header}" is not an HTTP header name.`);
  }
  if (cors.allowCredentials && cors.allowOrigins.includes('*')) {
    throw constructError(scope, `${what}: cors.allowCredentials with the origin "*" would let any web site make credentialed requests (cookies, Authorization). Name the origins instead.`);
  }
  const maxAge = cors.maxAge ? wholeSeconds(scope, `${what}: cors.maxAge`, cors.maxAge) : undefined;
  return {
    allowOrigins: [...cors.allowOrigins],
    allowMethods: cors.allowMethods?.length ? [...cors.allowMethods] as any : undefined,
    allowHeaders: cors.allowHeaders?.length ? [...cors.allowHeaders] : undefined,
    exposeHeaders: cors.exposeHeaders?.length ? [...cors.exposeHeaders] : undefined,
    allowCredentials: cors.allowCredentials ? true : undefined,
    maxAge,
  };
}

/** A PathModifier as a redirect or rewrite `path`. */
export function modifier(path: PathModifier | undefined): any {
  if (!path) return undefined;
  return path._type === 'ReplaceFullPath'
    ? { type: 'ReplaceFullPath', replaceFullPath: path._value }
    : { type: 'ReplacePrefixMatch', replacePrefixMatch: path._value };
}

/** A RequestHeaderModifier or ResponseHeaderModifier, names sorted, values checked. */
export function headerModifier(scope: IConstruct, changes: HeaderChanges, what: string): any {
  const entries = (obj?: { [k: string]: string }) => obj && Object.keys(obj).length
    ? Object.entries(obj).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ({ name, value }))
    : undefined;
  for (const name of [...Object.keys(changes.set ?? {}), ...Object.keys(changes.add ?? {}), ...changes.remove ?? []]) {
    checkHeaderName(scope, `${what}: header name`, name);
  }
  // HeaderModifier set[].value / add[].value: minLength 1, maxLength 4096.
  for (const [name, value] of [...Object.entries(changes.set ?? {}), ...Object.entries(changes.add ?? {})]) {
    const problem = matchValueProblem(value, 4096);
    if (problem) throw constructError(scope, `${what}: value of header "${name}": "${value.slice(0, 64)}" ${problem}; give a value of 1 to 4096 characters (use remove to drop a header).`);
  }
  return { set: entries(changes.set), add: entries(changes.add), remove: changes.remove?.length ? [...changes.remove] : undefined };
}
