import { ApiObject, Duration } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { MeshContext } from './_context';
import { SERVICE_KIND, kubeObjectOf, objectNamespace, serviceInfo } from './_kube-inputs';
import { MeshRegistry } from './_registry';
import { checkDns1035Label, checkHostname, checkNamespaceName, checkObjectName, constructError, namespaceOf, wholeSeconds } from './_validation';
import { PolicyTarget } from './authz/policy-target';
import * as gwapi from './imports/gateway.networking.k8s.io';
import { IngressGateway } from './ingress-gateway';
import { REDIRECT_SCHEMES, headerNameProblem, matchValueProblem, pathMatchProblem, portProblem } from './semantics/gateway-api-syntax';

/** Gateway API release channel of the installed CRDs. */
export enum GatewayApiChannel {
  /** The standard channel (what Istio's docs install). */
  STANDARD = 'standard',
  /** The experimental channel (needed for HTTPRoute `retry`). */
  EXPERIMENTAL = 'experimental',
}

/** Where a route attaches: an ingress gateway (north-south) or a Service at its waypoint (east-west). */
export class RouteParent {
  /** An IngressGateway of this app, optionally one of its listeners. */
  public static gateway(gateway: IngressGateway, sectionName?: string): RouteParent {
    if (sectionName !== undefined && !gateway.listenerNames.includes(sectionName)) {
      throw constructError(gateway, `gateway "${gateway.name}" has no listener "${sectionName}" (listeners: ${gateway.listenerNames.join(', ')}).`);
    }
    return new RouteParent('gateway', gateway.name, gateway.namespace, sectionName, undefined, gateway);
  }

  /** A Gateway by name (installed elsewhere). */
  public static gatewayName(name: string, namespace: string, sectionName?: string): RouteParent {
    checkObjectName('RouteParent.gatewayName()', 'Gateway name', name);
    checkNamespaceName('RouteParent.gatewayName()', 'namespace', namespace);
    return new RouteParent('gateway', name, namespace, sectionName);
  }

  /**
   * A Service (GAMMA): the route applies to traffic addressed to the Service, at its waypoint. The
   * Service (or its namespace) must use a waypoint; Istio ignores routes for Services without one.
   */
  public static service(service: IConstruct, port?: number): RouteParent {
    const obj = kubeObjectOf(service, SERVICE_KIND, 'RouteParent.service()', 'a Service not declared in this app can be declared with an ApiObject or an Include of its manifest');
    if (port !== undefined) {
      // parentRefs[].port: minimum 1, maximum 65535; a port the Service lacks matches no traffic.
      const problem = portProblem(port);
      if (problem) throw constructError(service, `RouteParent.service() port: ${port} ${problem}.`);
      const ports = serviceInfo(obj).ports.map(p => p.port);
      if (ports.length > 0 && !ports.includes(port)) {
        throw constructError(service, `RouteParent.service() port: Service "${obj.name}" has no port ${port} (ports: ${ports.join(', ')}); give one of its ports, or leave port out to attach to all of them.`);
      }
    }
    return new RouteParent('service', obj.name, objectNamespace(obj, service), undefined, port, undefined, PolicyTarget.service(service));
  }

  /** @internal */ public readonly _kind: string;
  /** @internal */ public readonly _name: string;
  /** @internal */ public readonly _namespace: string;
  /** @internal */ public readonly _sectionName?: string;
  /** @internal */ public readonly _port?: number;
  /** @internal */ public readonly _gateway?: IngressGateway;
  /** @internal */ public readonly _target?: PolicyTarget;

  private constructor(
    kind: string, name: string, namespace: string, sectionName?: string, port?: number, gateway?: IngressGateway, target?: PolicyTarget,
  ) {
    this._kind = kind;
    this._name = name;
    this._namespace = namespace;
    this._sectionName = sectionName;
    this._port = port;
    this._gateway = gateway;
    this._target = target;
  }
}

/** Options for a route backend. */
export interface RouteBackendOptions {
  /**
   * Service port.
   * @default - the Service's only port (required when it has several)
   */
  readonly port?: number;
  /**
   * Relative weight among the rule's backends (traffic splitting, canaries).
   * @default 1
   */
  readonly weight?: number;
}

/** Options for `RouteBackend.serviceName`. */
export interface RouteBackendNameOptions {
  /**
   * Namespace of the Service (a ReferenceGrant is emitted there when it differs from the route's).
   * @default - the route's namespace
   */
  readonly namespace?: string;
  /**
   * Relative weight among the rule's backends.
   * @default 1
   */
  readonly weight?: number;
}

/** A Service that receives the traffic of a route rule. */
export class RouteBackend {
  /**
   * A Service declared in this app: a cdk8s-plus Service of any version, an `ApiObject` of kind
   * Service, or an `Include` holding one. The port defaults to its only port.
   */
  public static service(service: IConstruct, options: RouteBackendOptions = {}): RouteBackend {
    const obj = kubeObjectOf(service, SERVICE_KIND, 'RouteBackend.service()', 'for a Service declared elsewhere use RouteBackend.serviceName(name, port)');
    const ns = objectNamespace(obj, service);
    const ports = serviceInfo(obj).ports.map(p => p.port);
    const port = options.port ?? (ports.length === 1 ? ports[0] : undefined);
    if (port === undefined) {
      throw constructError(obj, `Service "${obj.name}" has ${ports.length === 0 ? 'no ports' : `ports ${ports.join(', ')}`}: give the backend port.`);
    }
    if (ports.length > 0 && !ports.includes(port)) {
      throw constructError(obj, `Service "${obj.name}" has no port ${port} (ports: ${ports.join(', ')}).`);
    }
    return new RouteBackend(obj.name, ns, port, options.weight);
  }

  /** A Service by name (namespace defaults to the route's). */
  public static serviceName(name: string, port: number, options: RouteBackendNameOptions = {}): RouteBackend {
    checkObjectName('RouteBackend.serviceName()', 'Service name', name);
    if (options.namespace !== undefined) checkNamespaceName('RouteBackend.serviceName()', 'namespace', options.namespace);
    return new RouteBackend(name, options.namespace, port, options.weight);
  }

  /** @internal */ public readonly _name: string;
  /** @internal */ public readonly _namespace?: string;
  /** @internal */ public readonly _port: number;
  /** @internal */ public readonly _weight?: number;

  private constructor(name: string, namespace: string | undefined, port: number, weight?: number) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`backend ${name}: port ${port} is not a port number.`);
    if (weight !== undefined && (!Number.isInteger(weight) || weight < 0 || weight > 1000000)) {
      throw new Error(`backend ${name}: weight ${weight} must be a whole number from 0 to 1000000.`);
    }
    this._name = name;
    this._namespace = namespace;
    this._port = port;
    this._weight = weight;
  }
}

/** How a request path is matched. */
export class PathMatch {
  /** The path equals `path`. */
  public static exact(path: string): PathMatch {
    return new PathMatch('Exact', path, 'PathMatch.exact()');
  }

  /** The path starts with `path` (by segments: `/api` matches `/api/x`, not `/apix`). */
  public static prefix(path: string): PathMatch {
    return new PathMatch('PathPrefix', path, 'PathMatch.prefix()');
  }

  /** The path matches a regular expression (RE2). */
  public static regex(pattern: string): PathMatch {
    return new PathMatch('RegularExpression', pattern, 'PathMatch.regex()');
  }

  /** @internal */ public readonly _type: string;
  /** @internal */ public readonly _value: string;

  private constructor(type: string, value: string, where: string) {
    const problem = type !== 'RegularExpression' ? pathMatchProblem(value) : undefined;
    if (problem) throw constructError(where, `path: "${value}" ${problem}. Give the path as clients send it, normalized (e.g. "/api/v1").`);
    if (type === 'RegularExpression') {
      try {
        new RegExp(value);
      } catch {
        throw new Error(`path regex "${value}" is not a valid regular expression.`);
      }
    }
    this._type = type;
    this._value = value;
  }
}

/** A header (or query parameter) that must have a value. */
export interface ValueMatch {
  /** Name. */
  readonly name: string;
  /** Value (exact, or a regular expression with `regex`). */
  readonly value: string;
  /**
   * Match `value` as a regular expression.
   * @default false
   */
  readonly regex?: boolean;
}

/** Conditions of an HTTP route rule (all must hold). */
export interface HttpRouteMatch {
  /**
   * Path.
   * @default - any path ("/" prefix)
   */
  readonly path?: PathMatch;
  /**
   * HTTP method.
   * @default - any method
   */
  readonly method?: string;
  /**
   * Headers.
   * @default - none
   */
  readonly headers?: ValueMatch[];
  /**
   * Query parameters.
   * @default - none
   */
  readonly queryParams?: ValueMatch[];
}

/** How a path is rewritten or redirected. */
export class PathModifier {
  /** Replace the whole path. */
  public static replaceFullPath(path: string): PathModifier {
    return new PathModifier('ReplaceFullPath', path, 'PathModifier.replaceFullPath()');
  }

  /** Replace the matched prefix (the rule's matches must all be `PathMatch.prefix`). */
  public static replacePrefix(prefix: string): PathModifier {
    return new PathModifier('ReplacePrefixMatch', prefix, 'PathModifier.replacePrefix()');
  }

  /** @internal */ public readonly _type: string;
  /** @internal */ public readonly _value: string;

  private constructor(type: string, value: string, where: string) {
    // HTTPRoute filters[].requestRedirect.path and urlRewrite.path: replaceFullPath/replacePrefixMatch maxLength 1024.
    if (!value.startsWith('/')) throw constructError(where, `path: "${value}" must start with "/", e.g. "/${value}".`);
    if (value.length > 1024) throw constructError(where, `path: "${value.slice(0, 32)}..." is ${value.length} characters long; the HTTPRoute CRD takes at most 1024.`);
    this._type = type;
    this._value = value;
  }
}

/** An HTTP redirect response. */
export interface HttpRedirect {
  /** @default - unchanged */
  readonly scheme?: string;
  /** @default - unchanged */
  readonly hostname?: string;
  /** @default - unchanged */
  readonly port?: number;
  /** @default - unchanged */
  readonly path?: PathModifier;
  /**
   * 301 or 302.
   * @default 302
   */
  readonly statusCode?: number;
}

/** A rewrite of the request before it is forwarded. */
export interface HttpRewrite {
  /** @default - unchanged */
  readonly hostname?: string;
  /** @default - unchanged */
  readonly path?: PathModifier;
}

/** Header changes. */
export interface HeaderChanges {
  /** Headers set (replacing any value). @default - none */
  readonly set?: { [name: string]: string };
  /** Headers added (appending). @default - none */
  readonly add?: { [name: string]: string };
  /** Headers removed. @default - none */
  readonly remove?: string[];
}

/** Retries of an HTTP route rule (Gateway API experimental channel). */
export interface HttpRetry {
  /** Attempts after the first. */
  readonly attempts: number;
  /**
   * Status codes to retry.
   * @default - the implementation's default (5xx and connection failures)
   */
  readonly codes?: number[];
  /**
   * Backoff between attempts.
   * @default - the implementation's default
   */
  readonly backoff?: Duration;
}

/** A rule of an HTTPRoute. */
export interface HttpRouteRule {
  /** @default - every request */
  readonly matches?: HttpRouteMatch[];
  /** Where requests go (weighted). Not together with `redirect`. @default - none */
  readonly backends?: RouteBackend[];
  /** Answer with a redirect instead of forwarding. @default - none */
  readonly redirect?: HttpRedirect;
  /** Rewrite before forwarding. @default - none */
  readonly rewrite?: HttpRewrite;
  /** Request header changes. @default - none */
  readonly requestHeaders?: HeaderChanges;
  /** Response header changes. @default - none */
  readonly responseHeaders?: HeaderChanges;
  /** Total time for the request, retries included. @default - none */
  readonly timeout?: Duration;
  /** Time for each attempt to the backend. @default - none */
  readonly backendTimeout?: Duration;
  /** Retries (experimental channel only). @default - none */
  readonly retry?: HttpRetry;
  /**
   * Copies of the requests sent to other backends, whose responses are ignored (RequestMirror).
   * @default - none
   */
  readonly mirrors?: HttpMirror[];
  /**
   * CORS: the proxy answers preflight requests and adds the CORS response headers (CORS filter).
   * @default - none
   */
  readonly cors?: HttpCors;
}

/** A mirror of a rule's requests (Gateway API RequestMirror filter). */
export interface HttpMirror {
  /** Where the copies go. Its weight is not used. */
  readonly backend: RouteBackend;
  /**
   * Share of requests mirrored, 0 to 100.
   * @default 100
   */
  readonly percent?: number;
}

/** CORS settings of a rule (Gateway API CORS filter, standard channel since v1.5). */
export interface HttpCors {
  /**
   * Origins allowed, e.g. "https://shop.example.com", "https://*.example.com", or "*" alone.
   */
  readonly allowOrigins: string[];
  /**
   * Methods allowed (GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH, or "*" alone).
   * @default - none beyond the simple methods browsers always allow
   */
  readonly allowMethods?: string[];
  /**
   * Request headers allowed (or "*" alone).
   * @default - none
   */
  readonly allowHeaders?: string[];
  /**
   * Response headers the browser may read.
   * @default - none
   */
  readonly exposeHeaders?: string[];
  /**
   * Allow credentials (cookies, Authorization). Refused together with the origin "*".
   * @default false
   */
  readonly allowCredentials?: boolean;
  /**
   * How long browsers cache the preflight answer.
   * @default - Gateway API default (5 seconds)
   */
  readonly maxAge?: Duration;
}

/** Props for `HttpRoute`. */
export interface HttpRouteProps {
  /**
   * Route name.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Namespace.
   * @default - the Service's namespace for a Service parent, else the chart's
   */
  readonly namespace?: string;
  /** Where the route attaches. */
  readonly parents: RouteParent[];
  /** Host names (gateway routes). @default - all the listener's hosts */
  readonly hostnames?: string[];
  /** Rules, in order of precedence. */
  readonly rules: HttpRouteRule[];
  /**
   * The Gateway API channel installed in the cluster; `retry` needs EXPERIMENTAL.
   * @default GatewayApiChannel.STANDARD
   */
  readonly channel?: GatewayApiChannel;
}

/** Conditions of a gRPC route rule. */
export interface GrpcRouteMatch {
  /** Fully qualified gRPC service, e.g. `echo.EchoService`. @default - any */
  readonly service?: string;
  /** Method name. @default - any */
  readonly method?: string;
  /** Headers (metadata). @default - none */
  readonly headers?: ValueMatch[];
}

/** A rule of a GRPCRoute. */
export interface GrpcRouteRule {
  /** @default - every call */
  readonly matches?: GrpcRouteMatch[];
  /** Where calls go (weighted). */
  readonly backends: RouteBackend[];
  /** @default - none */
  readonly requestHeaders?: HeaderChanges;
  /** @default - none */
  readonly responseHeaders?: HeaderChanges;
}

/** Props for `GrpcRoute`. */
export interface GrpcRouteProps {
  /** @default - the construct id */
  readonly name?: string;
  /** @default - the Service's namespace for a Service parent, else the chart's */
  readonly namespace?: string;
  /** Where the route attaches. */
  readonly parents: RouteParent[];
  /** @default - all the listener's hosts */
  readonly hostnames?: string[];
  /** Rules. */
  readonly rules: GrpcRouteRule[];
}

/** Shared parts of HTTPRoute and GRPCRoute. */
abstract class RouteBase extends Construct {
  public readonly name: string;
  public readonly namespace: string;

  protected constructor(scope: Construct, id: string, name: string | undefined, namespace: string | undefined, parents: RouteParent[], kind: string) {
    super(scope, id);
    this.name = name ?? id;
    checkDns1035Label(this, `${kind} name`, this.name);
    if (parents.length === 0) throw constructError(this, `${article(kind)} ${kind} needs at least one parent (RouteParent.gateway() or RouteParent.service()).`);
    if (parents.length > 32) throw constructError(this, `${article(kind)} ${kind} takes at most 32 parents.`);
    const serviceParent = parents.find(p => p._kind === 'service');
    this.namespace = namespace ?? serviceParent?._namespace ?? namespaceOf(this, undefined, `${kind} "${this.name}"`);
    checkNamespaceName(this, 'namespace', this.namespace);
    MeshRegistry.of(this).checkObjectFree(this, kind, this.namespace, this.name, `Merge the rules into one ${kind}, or give one a different \`name\`.`);
    for (const parent of parents) {
      if (parent._kind === 'service') this.checkServiceParent(parent, kind);
      parent._gateway?._admitRouteNamespace(this.namespace);
    }
  }

  /** Istio only honours a Service route at a waypoint, for a route in the Service's namespace. */
  private checkServiceParent(parent: RouteParent, kind: string): void {
    if (parent._namespace !== this.namespace) {
      throw constructError(this, `${kind} "${this.name}" in namespace "${this.namespace}" names Service "${parent._namespace}/${parent._name}" as parent; declare the route in the Service's namespace so it applies to all its clients.`);
    }
    const resolved = parent._target!._resolve(this, parent._namespace);
    if (!resolved.waypoint) {
      throw constructError(this, `${kind} "${this.name}" attaches to ${resolved.description}, which has no waypoint: Istio would ignore the route (ResolvedWaypoints: MissingUseWaypointLabel), since only waypoints apply routes to mesh traffic. Enroll the Service (or its namespace) in a waypoint first.`);
    }
  }

  /** @internal */
  protected _renderParents(parents: RouteParent[]): gwapi.HttpRouteSpecParentRefs[] {
    return parents.map(p => p._kind === 'service'
      ? { group: '', kind: 'Service', name: p._name, port: p._port }
      : { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: p._name, namespace: p._namespace !== this.namespace ? p._namespace : undefined, sectionName: p._sectionName });
  }

  /** @internal */
  protected _renderBackends(backends: RouteBackend[]): gwapi.HttpRouteSpecRulesBackendRefs[] {
    if (backends.length > 16) throw constructError(this, 'a rule takes at most 16 backends.');
    return backends.map(b => {
      const ns = b._namespace ?? this.namespace;
      if (ns !== this.namespace) grantRoutesTo(this, this.namespace, ns, b._name);
      return { name: b._name, namespace: ns !== this.namespace ? ns : undefined, port: b._port, weight: b._weight };
    });
  }

  /** @internal */
  protected _renderHostnames(hostnames: string[] | undefined, parents: RouteParent[]): string[] | undefined {
    if (!hostnames?.length) return undefined;
    if (parents.some(p => p._kind === 'service')) {
      throw constructError(this, 'hostnames apply to gateway routes only; a Service route matches traffic addressed to the Service.');
    }
    if (hostnames.length > 16) throw constructError(this, `hostnames: ${hostnames.length} given; a route takes at most 16 (split the route).`);
    hostnames.forEach((h, i) => checkHostname(this, `hostnames[${i}]`, h, true));
    return [...hostnames];
  }
}

/**
 * A Gateway API HTTPRoute: from an ingress gateway to Services, or for a Service's own traffic at its
 * waypoint (canaries, header routing, timeouts). A route for a Service without waypoint is refused,
 * because Istio ignores it. This library never writes a VirtualService, so an HTTPRoute is never mixed
 * with one for the same Service.
 */
export class HttpRoute extends RouteBase {
  /** The HTTPRoute object. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: HttpRouteProps) {
    super(scope, id, props.name, props.namespace, props.parents, 'HTTPRoute');
    if (props.rules.length === 0) throw constructError(this, 'an HTTPRoute needs at least one rule.');
    if (props.rules.length > 16) throw constructError(this, 'an HTTPRoute takes at most 16 rules.');
    const channel = props.channel ?? GatewayApiChannel.STANDARD;
    const rules = props.rules.map((r, i) => this.renderRule(r, i));
    // Everything is checked before the object exists, so a refused route leaves nothing behind.
    const retries = props.rules.map((rule, i) => {
      if (!rule.retry) return undefined;
      if (channel !== GatewayApiChannel.EXPERIMENTAL) {
        throw constructError(this, `rule ${i}: retry is part of the Gateway API experimental channel only; with the standard-channel CRDs the API server would drop or reject it. Install the experimental CRDs and set channel: GatewayApiChannel.EXPERIMENTAL, or remove retry.`);
      }
      return renderRetry(this, rule, i);
    });
    this.apiObject = new HttpRouteWithRetries(this, 'Resource', retries, {
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        parentRefs: this._renderParents(props.parents),
        hostnames: this._renderHostnames(props.hostnames, props.parents),
        rules,
      },
    });
    MeshRegistry.of(this).claimObject(this, 'HTTPRoute', this.namespace, this.name);

  }

  private renderMirror(mirror: HttpMirror, what: string): gwapi.HttpRouteSpecRulesFiltersRequestMirror {
    if (mirror.backend._weight !== undefined) throw constructError(this, `${what}: a mirror backend has no weight (every mirrored request goes to it); use percent.`);
    const percent = mirror.percent;
    if (percent !== undefined && (!Number.isInteger(percent) || percent < 0 || percent > 100)) {
      throw constructError(this, `${what}: percent ${percent} must be a whole number from 0 to 100.`);
    }
    const [ref] = this._renderBackends([mirror.backend]);
    return { backendRef: { name: ref.name, namespace: ref.namespace, port: ref.port }, percent };
  }

  private renderRule(rule: HttpRouteRule, index: number): gwapi.HttpRouteSpecRules {
    const what = `rule ${index}`;
    if (rule.redirect && rule.backends?.length) {
      throw constructError(this, `${what}: a redirect answers the request itself, so it cannot also have backends. Remove one.`);
    }
    if (rule.redirect && rule.rewrite) throw constructError(this, `${what}: use either redirect or rewrite, not both.`);
    if (!rule.redirect && !rule.backends?.length) throw constructError(this, `${what} has neither backends nor a redirect; requests would get a 500.`);
    const matches = rule.matches ?? [];
    if (matches.length > 64) throw constructError(this, `${what}: at most 64 matches.`);
    const usesPrefixModifier = rule.rewrite?.path?._type === 'ReplacePrefixMatch' || rule.redirect?.path?._type === 'ReplacePrefixMatch';
    if (usesPrefixModifier && (matches.length !== 1 || matches[0].path?._type !== 'PathPrefix')) {
      throw constructError(this, `${what}: PathModifier.replacePrefix() needs exactly one match with a PathMatch.prefix() path.`);
    }
    const filters: gwapi.HttpRouteSpecRulesFilters[] = [];
    const FilterType = gwapi.HttpRouteSpecRulesFiltersType;
    if (rule.requestHeaders) {
      filters.push({ type: FilterType.REQUEST_HEADER_MODIFIER, requestHeaderModifier: headerModifier(this, rule.requestHeaders, `${what}: requestHeaders`) });
    }
    if (rule.responseHeaders) {
      filters.push({ type: FilterType.RESPONSE_HEADER_MODIFIER, responseHeaderModifier: headerModifier(this, rule.responseHeaders, `${what}: responseHeaders`) });
    }
    if (rule.redirect) {
      const code = rule.redirect.statusCode ?? 302;
      if (code !== 301 && code !== 302) throw constructError(this, `${what}: redirect statusCode must be 301 or 302.`);
      const { scheme, port, hostname } = rule.redirect;
      // HTTPRoute filters[].requestRedirect.scheme: enum [http, https].
      if (scheme !== undefined && !REDIRECT_SCHEMES.includes(scheme)) {
        throw constructError(this, `${what}: redirect.scheme: "${scheme}" is not a redirect scheme; use "http" or "https" (lowercase).`);
      }
      // HTTPRoute filters[].requestRedirect.port: minimum 1, maximum 65535.
      const portIssue = port !== undefined ? portProblem(port) : undefined;
      if (portIssue) throw constructError(this, `${what}: redirect.port: ${port} ${portIssue}; give the port clients should use, or leave it out.`);
      if (hostname !== undefined) checkHostname(this, `${what}: redirect.hostname`, hostname, false);
      filters.push({
        type: gwapi.HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
        requestRedirect: {
          scheme: rule.redirect.scheme as any,
          hostname: rule.redirect.hostname,
          port: rule.redirect.port,
          path: modifier(rule.redirect.path) as any,
          statusCode: code as any,
        },
      });
    }
    if (rule.rewrite) {
      if (rule.rewrite.hostname !== undefined) checkHostname(this, `${what}: rewrite.hostname`, rule.rewrite.hostname, false);
      filters.push({ type: FilterType.URL_REWRITE, urlRewrite: { hostname: rule.rewrite.hostname, path: modifier(rule.rewrite.path) as any } });
    }
    if (rule.mirrors?.length) {
      if (rule.redirect) throw constructError(this, `${what}: a redirect answers the request itself, so nothing would be mirrored. Remove the mirrors or the redirect.`);
      rule.mirrors.forEach((m, i) => filters.push({ type: FilterType.REQUEST_MIRROR, requestMirror: this.renderMirror(m, `${what} mirrors[${i}]`) }));
    }
    if (rule.cors) filters.push({ type: FilterType.CORS, cors: renderCors(this, rule.cors, what) });
    const timeouts = renderTimeouts(this, rule, what);
    return {
      matches: matches.length ? matches.map((m, j) => renderHttpMatch(this, m, `${what}: matches[${j}]`)) : undefined,
      filters: filters.length ? filters : undefined,
      backendRefs: rule.backends?.length ? this._renderBackends(rule.backends) : undefined,
      timeouts,
    };
  }
}

const CORS_ORIGIN = /^(\*|https?:\/\/((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:[0-9]{1,5})?)$/;
const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', '*'];

/** The CORS filter, with the HTTPRoute CRD's rules (v1.5.1) checked before the API server does. */
function renderCors(scope: IConstruct, cors: HttpCors, what: string): gwapi.HttpRouteSpecRulesFiltersCors {
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

/**
 * The typed HTTPRoute is generated from the standard channel, whose schema has no `retry`: its
 * `toJson()` drops unknown keys (even JSON patches), so retries are added after it.
 */
class HttpRouteWithRetries extends gwapi.HttpRoute {
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

/**
 * A Gateway API GRPCRoute: route gRPC calls by service and method, from an ingress gateway or at a
 * Service's waypoint.
 */
export class GrpcRoute extends RouteBase {
  /** The GRPCRoute object. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: GrpcRouteProps) {
    super(scope, id, props.name, props.namespace, props.parents, 'GRPCRoute');
    if (props.rules.length === 0) throw constructError(this, 'a GRPCRoute needs at least one rule.');
    if (props.rules.length > 16) throw constructError(this, 'a GRPCRoute takes at most 16 rules.');
    this.apiObject = new gwapi.GrpcRoute(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        parentRefs: this._renderParents(props.parents) as gwapi.GrpcRouteSpecParentRefs[],
        hostnames: this._renderHostnames(props.hostnames, props.parents),
        rules: props.rules.map((rule, i) => {
          if (rule.backends.length === 0) throw constructError(this, `rule ${i} needs at least one backend.`);
          const filters: gwapi.GrpcRouteSpecRulesFilters[] = [];
          const FilterType = gwapi.GrpcRouteSpecRulesFiltersType;
          if (rule.requestHeaders) {
            filters.push({ type: FilterType.REQUEST_HEADER_MODIFIER, requestHeaderModifier: headerModifier(this, rule.requestHeaders, `rule ${i}: requestHeaders`) });
          }
          if (rule.responseHeaders) {
            filters.push({ type: FilterType.RESPONSE_HEADER_MODIFIER, responseHeaderModifier: headerModifier(this, rule.responseHeaders, `rule ${i}: responseHeaders`) });
          }
          return {
            matches: rule.matches?.length ? rule.matches.map((m, j) => {
              if (m.method !== undefined && m.service === undefined && !/^[A-Za-z_][A-Za-z_0-9]*$/.test(m.method)) {
                throw constructError(this, `rule ${i}: method "${m.method}" is not a gRPC method name.`);
              }
              if (m.service !== undefined && !/^[A-Za-z_][A-Za-z_0-9]*(\.[A-Za-z_][A-Za-z_0-9]*)*$/.test(m.service)) {
                throw constructError(this, `rule ${i}: service "${m.service}" is not a fully qualified gRPC service name (e.g. "echo.EchoService").`);
              }
              return {
                method: m.service || m.method
                  ? { type: gwapi.GrpcRouteSpecRulesMatchesMethodType.EXACT, service: m.service, method: m.method }
                  : undefined,
                headers: m.headers?.map((h, k) => valueMatch(this, `rule ${i}: matches[${j}].headers[${k}]`, h, 4096, gwapi.GrpcRouteSpecRulesMatchesHeadersType.REGULAR_EXPRESSION)),
              };
            }) : undefined,
            filters: filters.length ? filters : undefined,
            backendRefs: this._renderBackends(rule.backends) as gwapi.GrpcRouteSpecRulesBackendRefs[],
          };
        }),
      },
    });
    MeshRegistry.of(this).claimObject(this, 'GRPCRoute', this.namespace, this.name);
  }
}

function article(word: string): string {
  return /^[AEFHILMNORSX]/.test(word) ? 'an' : 'a';
}

function renderHttpMatch(scope: IConstruct, m: HttpRouteMatch, what: string): gwapi.HttpRouteSpecRulesMatches {
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
function valueMatch<T>(
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

function modifier(path: PathModifier | undefined): any {
  if (!path) return undefined;
  return path._type === 'ReplaceFullPath'
    ? { type: 'ReplaceFullPath', replaceFullPath: path._value }
    : { type: 'ReplacePrefixMatch', replacePrefixMatch: path._value };
}

/** Refuses a header or query parameter name the route CRDs would reject. */
function checkHeaderName(scope: IConstruct, what: string, name: string): void {
  const problem = headerNameProblem(name);
  if (problem) throw constructError(scope, `${what}: "${name}" ${problem}.`);
}

function headerModifier(scope: IConstruct, changes: HeaderChanges, what: string): any {
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

/** Gateway API durations: `1h`, `30s`, `500ms` (whole milliseconds). */
function gatewayDuration(scope: IConstruct, what: string, d: Duration): string {
  const ms = d.toMilliseconds();
  if (!Number.isInteger(ms) || ms <= 0) throw constructError(scope, `${what} must be a positive whole number of milliseconds.`);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function renderTimeouts(scope: IConstruct, rule: HttpRouteRule, what: string): gwapi.HttpRouteSpecRulesTimeouts | undefined {
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
function renderRetry(scope: IConstruct, rule: HttpRouteRule, index: number): any {
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

/** ReferenceGrants already emitted in an app (a MeshContext slot). */
const GRANTS_SLOT = 'routes.reference-grants';

/** A route in one namespace may send to a Service in another only with a ReferenceGrant there. */
function grantRoutesTo(route: RouteBase, routeNamespace: string, serviceNamespace: string, service: string): void {
  const seen = MeshContext.of(route).slot(GRANTS_SLOT, () => new Set<string>());
  const key = `${routeNamespace}->${serviceNamespace}/${service}`;
  if (seen.has(key)) return;
  seen.add(key);
  new gwapi.ReferenceGrant(route, `Grant-${serviceNamespace}-${service}`, {
    metadata: { name: `from-${routeNamespace}-to-${service}`.slice(0, 253), namespace: serviceNamespace },
    spec: {
      from: [
        { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: routeNamespace },
        { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute', namespace: routeNamespace },
      ],
      to: [{ group: '', kind: 'Service', name: service }],
    },
  });
}

