/** Telemetry objects shared by the constructs that configure the same scope. */
import { Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { MeshRegistry } from './_registry';
import { constructError } from './_validation';
import * as tel from './imports/telemetry.istio.io';
import { BUILT_IN_TELEMETRY_PROVIDERS, TelemetryScope } from './telemetry';

/** The sections of one Telemetry object, filled by several constructs. */
export interface TelemetryState {
  readonly scope: TelemetryScope;
  readonly tracing: tel.TelemetrySpecTracing[];
  readonly accessLogging: tel.TelemetrySpecAccessLogging[];
  readonly owners: string[];
}

const STATES = new WeakMap<IConstruct, Map<string, TelemetryState>>();

/**
 * The Telemetry object of a scope. Istio allows one selector-less Telemetry per namespace, so
 * tracing and access logging for the same scope share it.
 */
export function telemetryFor(requester: Construct, scope: TelemetryScope): TelemetryState {
  const root = requester.node.root;
  let states = STATES.get(root);
  if (!states) {
    states = new Map();
    STATES.set(root, states);
  }
  let state = states.get(scope._key);
  if (!state) {
    const created: TelemetryState = { scope, tracing: [], accessLogging: [], owners: [] };
    state = created;
    states.set(scope._key, created);
    new tel.Telemetry(requester, `Telemetry-${scope._namespace}-${scope._objectName}`, {
      metadata: { name: scope._objectName, namespace: scope._namespace },
      spec: Lazy.any({
        produce: () => ({
          targetRefs: scope._targetRef ? [{ ...scope._targetRef }] : undefined,
          tracing: created.tracing.length ? created.tracing : undefined,
          accessLogging: created.accessLogging.length ? created.accessLogging : undefined,
        }),
      }),
    });
  }
  state.owners.push(requester.node.path);
  return state;
}

/**
 * Refuses scopes where no proxy would produce L7 telemetry: a Service without waypoint, or an
 * ambient namespace without one. Returns nothing when the scope is fine.
 */
export function checkL7Scope(requester: Construct, scope: TelemetryScope, what: string): void {
  if (scope._kind === 'service') {
    const resolved = scope._policyTarget!._resolve(requester, scope._namespace);
    if (!resolved.waypoint) {
      throw constructError(requester, `${what} for ${scope.description}: the Service has no waypoint, and ztunnel emits no spans or HTTP access logs, so nothing would be recorded. Enroll the Service in a waypoint, or use TelemetryScope.waypoint().`);
    }
  }
  if (scope._kind === 'namespace') {
    const ns = MeshRegistry.of(requester).namespace(scope._namespace);
    if (ns && !ns.waypoint) {
      throw constructError(requester, `${what} for ${scope.description}: the namespace is in ambient without a waypoint, and ztunnel emits no spans or HTTP access logs, so nothing would be recorded. Give it a waypoint, or scope the telemetry to the mesh, a waypoint or a gateway namespace.`);
    }
  }
}

/**
 * Checks that a provider name is defined: built in, or added to the app's AmbientMesh.
 */
export function checkProviderDefined(requester: Construct, provider: string, extra: string[] = []): string[] {
  const mesh = MeshRegistry.of(requester).mesh;
  if (!mesh) return []; // installed elsewhere: the user owns meshConfig
  const defined = [...BUILT_IN_TELEMETRY_PROVIDERS, ...mesh.extensionProviderNames, ...extra];
  return defined.includes(provider) ? [] : [`provider "${provider}" is not defined in meshConfig.extensionProviders of ${mesh.node.path} (defined: ${defined.join(', ')}): istiod finds no provider of that name and produces none of this telemetry. Add the provider or use a defined one.`];
}
