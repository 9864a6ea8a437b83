import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { headerModifier } from './_render-filters';
import { valueMatch } from './_render-matches';
import { _RouteBase } from './_route-base';
import { RouteBackend } from './route-backend';
import { HeaderChanges } from './route-filters';
import { ValueMatch } from './route-match';
import { RouteParent } from './route-parent';
import { MeshRegistry } from '../_registry';
import { constructError } from '../_validation';
import * as gwapi from '../imports/gateway.networking.k8s.io';

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

/**
 * A Gateway API GRPCRoute: route gRPC calls by service and method, from an ingress gateway or at a
 * Service's waypoint.
 */
export class GrpcRoute extends _RouteBase {
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
    if (props.parents.some(p => p._kind === 'gateway')) {
      // Its backends receive ingress traffic: the ZeroTrustPolicy of their namespace checks that
      // waypoint-only protection (JWT, L7 DENY) is not skipped.
      MeshRegistry.of(this).registerIngressRoute({
        description: `GRPCRoute "${this.name}" (${this.node.path})`,
        backends: props.rules.flatMap(r => r.backends ?? []).map(b => ({ namespace: b._namespace ?? this.namespace, name: b._name })),
      });
    }
  }
}
