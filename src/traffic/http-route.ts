import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { headerModifier, modifier, renderCors } from './_render-filters';
import { renderHttpMatch } from './_render-matches';
import { HttpRouteWithRetries, renderRetry, renderTimeouts } from './_retries-timeouts';
import { _RouteBase } from './_route-base';
import { RouteBackend } from './route-backend';
import { HeaderChanges, HttpCors, HttpMirror, HttpRedirect, HttpRewrite } from './route-filters';
import { HttpRouteMatch } from './route-match';
import { RouteParent } from './route-parent';
import { MeshRegistry } from '../_registry';
import { checkHostname, constructError } from '../_validation';
import * as gwapi from '../imports/gateway.networking.k8s.io';
import { REDIRECT_SCHEMES, portProblem } from '../semantics/gateway-api-syntax';

/** Gateway API release channel of the installed CRDs. */
export enum GatewayApiChannel {
  /** The standard channel (what Istio's docs install). */
  STANDARD = 'standard',
  /** The experimental channel (needed for HTTPRoute `retry`). */
  EXPERIMENTAL = 'experimental',
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

/**
 * A Gateway API HTTPRoute: from an ingress gateway to Services, or for a Service's own traffic at its
 * waypoint (canaries, header routing, timeouts). A route for a Service without waypoint is refused,
 * because Istio ignores it. This library never writes a VirtualService, so an HTTPRoute is never mixed
 * with one for the same Service.
 */
export class HttpRoute extends _RouteBase {
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
    if (props.parents.some(p => p._kind === 'gateway')) {
      // Its backends receive ingress traffic: the ZeroTrustPolicy of their namespace checks that
      // waypoint-only protection (JWT, L7 DENY) is not skipped.
      MeshRegistry.of(this).registerIngressRoute({
        description: `HTTPRoute "${this.name}" (${this.node.path})`,
        backends: props.rules.flatMap(r => r.backends ?? []).map(b => ({ namespace: b._namespace ?? this.namespace, name: b._name })),
      });
    }

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
