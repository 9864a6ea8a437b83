/**
 * Sidecar versus ambient membership of namespaces and pods, as Istio 1.30 decides it.
 *
 * Pure functions over labels and annotations (no cdk8s): the constructs and the analyzer both call
 * them, so there is one owner for the rule.
 *
 * Sources (istio 1.30.3):
 * - sidecar injection: the injector webhook's namespace and object selectors
 *   (`manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml`): a namespace
 *   injects with `istio-injection=enabled`, or with `istio.io/rev` when it has no `istio-injection`
 *   label; any other `istio-injection` value (`disabled`, `false`) injects nothing. A pod opts out with
 *   `sidecar.istio.io/inject=false`, and opts in with `sidecar.istio.io/inject=true` or `istio.io/rev`
 *   only in a namespace without either label.
 * - ambient capture: the istio-cni enablement selectors (`manifests/charts/istio-cni/values.yaml`
 *   `ambient.enablementSelectors`, `cni/pkg/util/enablement_selector.go`): a pod labelled
 *   `istio.io/dataplane-mode=ambient`, or any pod not labelled `istio.io/dataplane-mode=none` in a
 *   namespace labelled `istio.io/dataplane-mode=ambient`; never a pod that has a sidecar.
 * - observed state: istio-cni annotates captured pods `ambient.istio.io/redirection: enabled`
 *   (`pkg/config/analysis/analyzers/util/in_mesh.go` PodInAmbientMode).
 * - conflicting namespace labels (IST0123): `pkg/config/analysis/analyzers/injection/injection.go`.
 */

/** Labels or annotations of an object. */
export interface StringMap {
  readonly [key: string]: string;
}

export const DATAPLANE_MODE = 'istio.io/dataplane-mode';
export const SIDECAR_INJECTION = 'istio-injection';
export const REVISION = 'istio.io/rev';
export const SIDECAR_INJECT = 'sidecar.istio.io/inject';
export const AMBIENT_REDIRECTION = 'ambient.istio.io/redirection';

/** Does the namespace's label set turn on sidecar injection (injector webhook selectors)? */
export function namespaceInjectsSidecars(nsLabels: StringMap): boolean {
  const injection = nsLabels[SIDECAR_INJECTION];
  if (injection !== undefined) return injection === 'enabled';
  return nsLabels[REVISION] !== undefined;
}

/** The label that turns on injection for the namespace, e.g. `istio-injection=enabled`. */
export function namespaceInjectionLabel(nsLabels: StringMap): string | undefined {
  if (nsLabels[SIDECAR_INJECTION] === 'enabled') return `${SIDECAR_INJECTION}=enabled`;
  if (nsLabels[SIDECAR_INJECTION] === undefined && nsLabels[REVISION] !== undefined) return `${REVISION}=${nsLabels[REVISION]}`;
  return undefined;
}

/** Is the namespace labelled for ambient (`istio.io/dataplane-mode=ambient`)? */
export function namespaceRequestsAmbient(nsLabels: StringMap): boolean {
  return nsLabels[DATAPLANE_MODE] === 'ambient';
}

/** Are the namespace's pods in ambient by default (labelled ambient, and injection does not win)? */
export function namespaceIsAmbient(nsLabels: StringMap): boolean {
  return namespaceRequestsAmbient(nsLabels) && !namespaceInjectsSidecars(nsLabels);
}

/**
 * The namespace labels istioctl analyze reports together as IST0123 (NamespaceMultipleInjectionLabels):
 * `istio-injection` if present, plus `istio.io/rev` and `istio.io/dataplane-mode` when there is no
 * `istio-injection` label or it is `enabled`. Two or more is a conflict; fewer returns [].
 */
export function conflictingInjectionLabels(nsLabels: StringMap): string[] {
  const found: string[] = [];
  const injection = nsLabels[SIDECAR_INJECTION];
  if (injection !== undefined) found.push(`${SIDECAR_INJECTION}=${injection}`);
  for (const key of [REVISION, DATAPLANE_MODE]) {
    if (nsLabels[key] !== undefined && (injection === undefined || injection === 'enabled')) found.push(`${key}=${nsLabels[key]}`);
  }
  return found.length > 1 ? found : [];
}

/** Where a pod ends up, and why. */
export interface PodMembership {
  /** The injector adds a sidecar. */
  readonly sidecar: boolean;
  /** Something asks for ambient: the pod's or its namespace's `dataplane-mode=ambient`, or the redirection annotation. */
  readonly ambientRequested: boolean;
  /** ztunnel captures the pod. */
  readonly ambient: boolean;
  /** The pod opts out of ambient (`istio.io/dataplane-mode=none`). */
  readonly optedOut: boolean;
}

/**
 * Membership of a pod.
 * @param nsLabels the namespace's labels; undefined when the Namespace object is not known
 */
export function podMembership(nsLabels: StringMap | undefined, podLabels: StringMap, podAnnotations: StringMap = {}): PodMembership {
  const ns = nsLabels ?? {};
  const optOut = podLabels[SIDECAR_INJECT] === 'false' || (podLabels[SIDECAR_INJECT] === undefined && podAnnotations[SIDECAR_INJECT] === 'false');
  let sidecar: boolean;
  if (optOut) sidecar = false;
  else if (ns[SIDECAR_INJECTION] !== undefined || ns[REVISION] !== undefined) sidecar = namespaceInjectsSidecars(ns);
  else sidecar = podLabels[REVISION] !== undefined || podLabels[SIDECAR_INJECT] === 'true';
  const mode = podLabels[DATAPLANE_MODE];
  const optedOut = mode === 'none';
  const redirected = podAnnotations[AMBIENT_REDIRECTION] === 'enabled';
  const ambientRequested = mode === 'ambient' || redirected || (!optedOut && namespaceRequestsAmbient(ns));
  return { sidecar, ambientRequested, ambient: ambientRequested && !sidecar, optedOut };
}
