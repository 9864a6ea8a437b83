/** The helm CLI delivery: nothing in the manifests; `AmbientMesh.helmInstall()` has the commands. */
import type { AmbientMesh } from './ambient-mesh';
import { MeshDelivery } from './delivery';

/** `MeshDelivery.helmCli()`. */
export class HelmCliDelivery extends MeshDelivery {
  public constructor() {
    super();
  }

  public get displayName(): string {
    return 'the helm CLI';
  }

  public get appliesAsBatch(): boolean {
    return false;
  }

  public bind(_mesh: AmbientMesh): void {}
}
