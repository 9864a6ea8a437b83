/** Primary CNIs (e.g. Cilium) declared in an app, which istio-cni must chain after, in any declaration order. */
import { IConstruct } from 'constructs';
import { MeshContext } from './_context';

export interface PrimaryCni {
  /** HelmRelease (Flux) of the primary CNI. */
  readonly name: string;
  readonly namespace: string;
  /** Construct path, for messages. */
  readonly path: string;
}

/** The app's primary CNIs (a MeshContext slot). */
const PRIMARY_CNIS_SLOT = 'cni-chain.primary-cnis';

export function registerPrimaryCni(scope: IConstruct, cni: PrimaryCni): void {
  MeshContext.of(scope).slot<PrimaryCni[]>(PRIMARY_CNIS_SLOT, () => []).push(cni);
}

/** The app's primary CNIs by construct path, so the order does not depend on declaration order. */
export function primaryCnis(scope: IConstruct): PrimaryCni[] {
  return [...MeshContext.of(scope).slot<PrimaryCni[]>(PRIMARY_CNIS_SLOT, () => [])]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
