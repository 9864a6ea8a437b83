/**
 * Telemetry objects shared by the constructs that configure the same scope, and the tracing
 * providers they add to the app's AmbientMesh. Constructs record requests; the objects are made at
 * synth (a MeshContext prepare step) from the whole app, so declaration order never matters.
 */
import { Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { MeshContext } from './_context';
import { MeshRegistry } from './_registry';
import { constructError } from './_validation';
import * as tel from './imports/telemetry.istio.io';
import type { AmbientMesh } from './install';
import { BUILT_IN_TELEMETRY_PROVIDERS, TelemetryScope } from './telemetry';

/** The section of a Telemetry object a request fills. */
export enum TelemetrySection {
  TRACING = 'tracing',
  ACCESS_LOGGING = 'accessLogging',
  METRICS = 'metrics',
}

/** One construct's entry in the Telemetry of one scope. */
interface TelemetryRequest {
  readonly requester: Construct;
  /** The scope as the user gave it (the mesh scope's root namespace is resolved at synth). */
  readonly scope: TelemetryScope;
  readonly section: TelemetrySection;
  readonly entry: any;
}

/** The Telemetry object of one scope, as of the last prepare step. */
interface TelemetryGroup {
  readonly scope: TelemetryScope;
  /** Requests sorted by requester path. */
  requests: TelemetryRequest[];
  owner?: Construct;
  object?: tel.Telemetry;
  /** The object's name (a name given with `TelemetryScope.named`, else the scope's default). */
  name?: string;
}

interface TelemetryState {
  readonly requests: TelemetryRequest[];
  /** Groups by resolved scope key, rebuilt by every prepare step. */
  readonly groups: Map<string, TelemetryGroup>;
}

/** The app's telemetry requests (a MeshContext slot). */
const TELEMETRY_SLOT = 'telemetry.requests';

/** Construct paths compared by code unit, so the order is the same on every machine. */
export function byPath(a: IConstruct, b: IConstruct): number {
  const pa = a.node.path;
  const pb = b.node.path;
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

function telemetryState(scope: IConstruct): TelemetryState {
  const context = MeshContext.of(scope);
  return context.slot(TELEMETRY_SLOT, () => {
    const state: TelemetryState = { requests: [], groups: new Map() };
    context.onPrepare('telemetry.objects', () => prepareTelemetry(state));
    return state;
  });
}

/**
 * Adds an entry to the Telemetry of a scope. Istio allows one selector-less Telemetry per
 * namespace, so tracing, access logging and metrics for the same scope share one object, made at
 * synth under the requester with the smallest construct path; conflicts fail synth on the
 * requester with the larger path.
 */
export function requestTelemetry(requester: Construct, scope: TelemetryScope, section: TelemetrySection, entry: any): void {
  const state = telemetryState(requester);
  const request: TelemetryRequest = { requester, scope, section, entry };
  state.requests.push(request);
  requester.node.addValidation({ validate: () => conflicts(state, request) });
}

/** The resolved scope of a request (the mesh scope's root namespace is the app's mesh namespace). */
function groupKey(request: TelemetryRequest): { key: string; scope: TelemetryScope } {
  const scope = request.scope._resolveIn(request.requester);
  return { key: scope._key, scope };
}

function prepareTelemetry(state: TelemetryState): void {
  const previous = new Map(state.groups);
  state.groups.clear();
  for (const request of [...state.requests].sort((a, b) => byPath(a.requester, b.requester))) {
    const { key, scope } = groupKey(request);
    const before = previous.get(key);
    const group = state.groups.get(key) ?? { scope, requests: [], owner: before?.owner, object: before?.object, name: before?.name };
    group.requests.push(request);
    state.groups.set(key, group);
  }
  for (const [key, group] of state.groups) {
    const owner = group.requests[0].requester;
    const id = `Telemetry-${group.scope._namespace}-${group.scope._objectName}`;
    const name = customName(group)?.name ?? group.scope._objectName;
    if (group.object && (group.owner !== owner || group.name !== name)) group.owner!.node.tryRemoveChild(id);
    if (!group.object || group.owner !== owner || group.name !== name) {
      group.owner = owner;
      group.name = name;
      group.object = new tel.Telemetry(owner, id, {
        metadata: { name, namespace: group.scope._namespace },
        spec: Lazy.any({ produce: () => telemetrySpec(state, key) }),
      });
    }
  }
  for (const [key, group] of previous) {
    if (!state.groups.has(key) && group.owner) group.owner.node.tryRemoveChild(`Telemetry-${group.scope._namespace}-${group.scope._objectName}`);
  }
}

/** The first name given by `TelemetryScope.named`, by requester path. */
function customName(group: TelemetryGroup): { name: string; owner: string } | undefined {
  const named = group.requests.find(r => r.scope._name !== undefined);
  return named ? { name: named.scope._name!, owner: named.requester.node.path } : undefined;
}

function telemetrySpec(state: TelemetryState, key: string): any {
  const group = state.groups.get(key)!;
  const section = (s: TelemetrySection) => {
    const entries = group.requests.filter(r => r.section === s).map(r => r.entry);
    return entries.length ? entries : undefined;
  };
  return {
    targetRefs: group.scope._targetRef ? [{ ...group.scope._targetRef }] : undefined,
    tracing: section(TelemetrySection.TRACING),
    accessLogging: section(TelemetrySection.ACCESS_LOGGING),
    metrics: section(TelemetrySection.METRICS),
  };
}

/** What refuses a request next to the others of its scope (reported on the later requester). */
function conflicts(state: TelemetryState, request: TelemetryRequest): string[] {
  const group = [...state.groups.values()].find(g => g.requests.includes(request));
  if (!group) return [];
  const problems: string[] = [];
  const description = group.scope.description;
  const first = group.requests.find(r => r.section === request.section);
  if (first && first !== request && request.section === TelemetrySection.TRACING) {
    problems.push(`${description} already has tracing configured by ${first.requester.node.path}; one Telemetry per scope takes one tracing provider (Istio accepts a single provider per tracing rule).`);
  }
  if (first && first !== request && request.section === TelemetrySection.METRICS) {
    problems.push(`${description} already has metrics configured by ${first.requester.node.path}; put all overrides for one scope in one TelemetryMetrics.`);
  }
  const named = customName(group);
  if (named && request.scope._name !== undefined && request.scope._name !== named.name) {
    problems.push(`${description} is already named "${named.name}" by ${named.owner}; its one Telemetry cannot also be named "${request.scope._name}". Use the same name for every construct that configures this scope.`);
  }
  return problems;
}

/**
 * Refuses scopes where no proxy would produce L7 telemetry: a Service without waypoint, or an
 * ambient namespace without one. Run at synth, so waypoints and namespaces declared later count.
 */
export function l7ScopeProblems(requester: Construct, requested: TelemetryScope, what: string): string[] {
  const scope = requested._resolveIn(requester);
  if (scope._kind === 'service') {
    const resolved = scope._policyTarget!._resolve(requester, scope._namespace);
    if (!resolved.waypoint) {
      return [`${what} for ${scope.description}: the Service has no waypoint, and ztunnel emits no spans or HTTP access logs, so nothing would be recorded. Enroll the Service in a waypoint, or use TelemetryScope.waypoint().`];
    }
  }
  if (scope._kind === 'namespace') {
    const ns = MeshRegistry.of(requester).namespace(scope._namespace);
    if (ns && !ns.waypoint) {
      return [`${what} for ${scope.description}: the namespace is in ambient without a waypoint, and ztunnel emits no spans or HTTP access logs, so nothing would be recorded. Give it a waypoint, or scope the telemetry to the mesh, a waypoint or a gateway namespace.`];
    }
  }
  return [];
}

/** Checks that a provider name is defined: built in, or added to the app's AmbientMesh. */
export function checkProviderDefined(requester: Construct, provider: string, extra: string[] = []): string[] {
  const mesh = MeshRegistry.of(requester).mesh;
  if (!mesh) return []; // installed elsewhere: the user owns meshConfig
  const defined = [...BUILT_IN_TELEMETRY_PROVIDERS, ...mesh.extensionProviderNames, ...extra];
  return defined.includes(provider) ? [] : [`provider "${provider}" is not defined in meshConfig.extensionProviders of ${mesh.node.path} (defined: ${defined.join(', ')}): istiod finds no provider of that name and produces none of this telemetry. Add the provider or use a defined one.`];
}

/** A tracing provider a construct adds to a mesh's `meshConfig.extensionProviders`. */
export interface TracingProviderRequest {
  readonly requester: Construct;
  readonly provider: { name: string; [key: string]: any };
  /** The mesh named by the requester; else the app's AmbientMesh, whenever it is declared. */
  readonly mesh?: AmbientMesh;
}

/** The app's tracing providers (a MeshContext slot). */
const TRACING_PROVIDERS_SLOT = 'telemetry.tracing-providers';

function tracingProviderRequests(scope: IConstruct): TracingProviderRequest[] {
  return MeshContext.of(scope).slot<TracingProviderRequest[]>(TRACING_PROVIDERS_SLOT, () => []);
}

/**
 * The tracing providers added to `mesh`, by requester path, one per name (the first; a different
 * provider under the same name fails synth on its requester).
 */
export function tracingProvidersOf(mesh: AmbientMesh): any[] {
  const app = MeshRegistry.of(mesh).mesh;
  const providers = new Map<string, any>();
  for (const request of [...tracingProviderRequests(mesh)].sort((a, b) => byPath(a.requester, b.requester))) {
    if ((request.mesh ?? app) !== mesh) continue;
    if (!providers.has(request.provider.name)) providers.set(request.provider.name, request.provider);
  }
  return [...providers.values()];
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
 * Adds a tracing provider to the mesh (the app's AmbientMesh, wherever it is declared, or the one
 * given) and turns tracing on in the Telemetry of each scope; returns the provider as a meshConfig
 * fragment for a mesh installed elsewhere. The same scoping rules hold for every provider: in
 * ambient only waypoints and gateways emit spans, one tracing provider per scope.
 */
export function enableTracing(requester: Construct, request: TracingRequest): { [key: string]: any } {
  const sampling = request.samplingPercentage ?? 1;
  if (!(sampling >= 0 && sampling <= 100) || Math.round(sampling * 100) !== sampling * 100) {
    throw constructError(requester, `samplingPercentage ${sampling} must be between 0 and 100, in steps of 0.01.`);
  }
  const providerRequest: TracingProviderRequest = { requester, provider: request.provider, mesh: request.mesh };
  tracingProviderRequests(requester).push(providerRequest);
  requester.node.addValidation({ validate: () => providerConflicts(providerRequest) });
  const customTags = request.customTags && Object.keys(request.customTags).length
    ? Object.fromEntries(Object.entries(request.customTags).sort(([a], [b]) => a.localeCompare(b)))
    : undefined;
  for (const scope of request.scopes ?? [TelemetryScope.mesh()]) {
    requester.node.addValidation({ validate: () => l7ScopeProblems(requester, scope, request.what) });
    const entry = { providers: [{ name: request.provider.name }], randomSamplingPercentage: sampling, customTags };
    requestTelemetry(requester, scope, TelemetrySection.TRACING, entry);
  }
  requester.node.addValidation({ validate: () => checkProviderDefined(requester, request.provider.name) });
  return { enableTracing: true, extensionProviders: [request.provider] };
}

/** A different provider of the same name for the same mesh, added by a construct with a smaller path. */
function providerConflicts(request: TracingProviderRequest): string[] {
  const app = MeshRegistry.of(request.requester).mesh;
  const mesh = request.mesh ?? app;
  if (!mesh) return [];
  const first = [...tracingProviderRequests(request.requester)]
    .sort((a, b) => byPath(a.requester, b.requester))
    .find(r => (r.mesh ?? app) === mesh && r.provider.name === request.provider.name);
  if (!first || first === request || JSON.stringify(first.provider) === JSON.stringify(request.provider)) return [];
  return [`meshConfig.extensionProviders of ${mesh.node.path} already has a different provider named "${request.provider.name}" `
    + `(added by ${first.requester.node.path}); give the second one another name.`];
}

/** Custom span tags (TracingTag) as Telemetry writes them. */
export function renderTags(tags?: { [tag: string]: { readonly _spec: any } }): { [tag: string]: any } | undefined {
  return tags ? Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, v._spec])) : undefined;
}
