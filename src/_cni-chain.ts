/** Primary CNIs (e.g. Cilium) declared in an app, which istio-cni must chain after, in any declaration order. */
import { IConstruct } from 'constructs';

export interface PrimaryCni {
  /** HelmRelease (Flux) of the primary CNI. */
  readonly name: string;
  readonly namespace: string;
  /** Construct path, for messages. */
  readonly path: string;
}

const PRIMARY_CNIS = new WeakMap<IConstruct, PrimaryCni[]>();

export function registerPrimaryCni(scope: IConstruct, cni: PrimaryCni): void {
  const list = PRIMARY_CNIS.get(scope.node.root) ?? [];
  list.push(cni);
  PRIMARY_CNIS.set(scope.node.root, list);
}

export function primaryCnis(scope: IConstruct): PrimaryCni[] {
  return [...(PRIMARY_CNIS.get(scope.node.root) ?? [])];
}
