/** Telemetry objects shared by the constructs that configure the same scope. */
import { JsonPatch, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { MeshContext } from './_context';
import { MeshRegistry } from './_registry';
import { constructError } from './_validation';
import type { AmbientMesh } from './ambient-mesh';
import * as tel from './imports/telemetry.istio.io';
import { BUILT_IN_TELEMETRY_PROVIDERS, TelemetryScope } from './telemetry';

/** The sections of one Telemetry object, filled by several constructs. */
export interface TelemetryState {
  readonly scope: TelemetryScope;
  readonly tracing: tel.TelemetrySpecTracing[];
  readonly accessLogging: tel.TelemetrySpecAccessLogging[];
  readonly metrics: tel.TelemetrySpecMetrics[];
  readonly owners: string[];
  /** The name a requester chose (`TelemetryScope.named`), and who chose it. */
  customName?: { name: string; owner: string };
  readonly telemetry: tel.Telemetry;
}

/** The app's shared Telemetry objects by scope key (a MeshContext slot). */
const TELEMETRY_SLOT = 'telemetry.states';

/**
 * The Telemetry object of a scope. Istio allows one selector-less Telemetry per namespace, so
 * tracing and access logging for the same scope share it.
 */
export function telemetryFor(requester: Construct, scope: TelemetryScope): TelemetryState {
  const states = MeshContext.of(requester).slot(TELEMETRY_SLOT, () => new Map<string, TelemetryState>());
  let state = states.get(scope._key);
  if (!state) {
    const tracing: tel.TelemetrySpecTracing[] = [];
    const accessLogging: tel.TelemetrySpecAccessLogging[] = [];
    const metrics: tel.TelemetrySpecMetrics[] = [];
    const telemetry = new tel.Telemetry(requester, `Telemetry-${scope._namespace}-${scope._objectName}`, {
      metadata: { name: scope._objectName, namespace: scope._namespace },
      spec: Lazy.any({
        produce: () => ({
          targetRefs: scope._targetRef ? [{ ...scope._targetRef }] : undefined,
          tracing: tracing.length ? tracing : undefined,
          accessLogging: accessLogging.length ? accessLogging : undefined,
          metrics: metrics.length ? metrics : undefined,
        }),
      }),
    });
    state = { scope, tracing, accessLogging, metrics, owners: [], telemetry };
    states.set(scope._key, state);
  }
  if (scope._name !== undefined) {
    if (state.customName && state.customName.name !== scope._name) {
      throw constructError(requester, `${scope.description} is already named "${state.customName.name}" by ${state.customName.owner}; its one Telemetry cannot also be named "${scope._name}". Use the same name for every construct that configures this scope.`);
    }
    if (!state.customName) {
      state.customName = { name: scope._name, owner: requester.node.path };
      // Patched at synth, so a name given by a later construct still applies to the shared object.
      state.telemetry.addJsonPatch(JsonPatch.replace('/metadata/name', scope._name));
    }
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

/** What every tracing provider construct (OpenTelemetry, Zipkin, SkyWalking) declares. */
export interface TracingRequest {
  /** The extension provider (`name` plus one provider key). */
  readonly provider: { name: string; [key: string]: any };
  readonly scopes?: TelemetryScope[];
  readonly samplingPercentage?: number;
  /** Custom tags, already rendered (`{ tag: { literal: ... } }`). */
  readonly customTags?: { [tag: string]: any };
  readonly mesh?: AmbientMesh;
  /** The construct kind, for messages. */
  readonly what: string;
}

/**
 * Adds a tracing provider to the mesh (or returns it as a meshConfig fragment) and turns tracing on
 * in the Telemetry of each scope. The same scoping rules hold for every provider: in ambient only
 * waypoints and gateways emit spans, one tracing provider per scope.
 */
export function enableTracing(requester: Construct, request: TracingRequest): { [key: string]: any } {
  const sampling = request.samplingPercentage ?? 1;
  if (!(sampling >= 0 && sampling <= 100) || Math.round(sampling * 100) !== sampling * 100) {
    throw constructError(requester, `samplingPercentage ${sampling} must be between 0 and 100, in steps of 0.01.`);
  }
  const mesh = request.mesh ?? MeshRegistry.of(requester).mesh;
  if (mesh) {
    mesh._addExtensionProvider(request.provider);
    mesh._enableTracing();
  }
  const customTags = request.customTags && Object.keys(request.customTags).length
    ? Object.fromEntries(Object.entries(request.customTags).sort(([a], [b]) => a.localeCompare(b)))
    : undefined;
  for (const requested of request.scopes ?? [TelemetryScope.mesh()]) {
    const telemetryScope = requested._resolveIn(requester);
    checkL7Scope(requester, telemetryScope, request.what);
    const state = telemetryFor(requester, telemetryScope);
    if (state.tracing.length > 0) {
      throw constructError(requester, `${telemetryScope.description} already has tracing configured by ${state.owners[0]}; one Telemetry per scope takes one tracing provider (Istio accepts a single provider per tracing rule).`);
    }
    state.tracing.push({ providers: [{ name: request.provider.name }], randomSamplingPercentage: sampling, customTags });
  }
  requester.node.addValidation({ validate: () => checkProviderDefined(requester, request.provider.name) });
  return { enableTracing: true, extensionProviders: [request.provider] };
}

/** Custom span tags (TracingTag) as Telemetry writes them. */
export function renderTags(tags?: { [tag: string]: { readonly _spec: any } }): { [tag: string]: any } | undefined {
  return tags ? Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, v._spec])) : undefined;
}
