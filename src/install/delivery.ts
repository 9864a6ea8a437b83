/** How an install reaches the cluster: the base class every delivery form extends. */
import { Construct } from 'constructs';
import type { AddonRelease } from '../_helm-addon';
import type { AmbientMesh } from './ambient-mesh';
import type { ArgoCdDeliveryOptions } from './argo-cd-delivery';
import type { FluxDeliveryOptions } from './flux-delivery';
import { ISTIO_HELM_REPOSITORY } from './versions';

/**
 * How the charts are delivered to the cluster: Flux, Argo CD or the helm CLI (`MeshDelivery.flux()`,
 * `.argoCd()`, `.helmCli()`).
 *
 * Each form is a subclass that writes its own objects when a mesh (or an add-on chart) binds it;
 * the mesh never asks which form it has, so a new form is a new subclass.
 */
export abstract class MeshDelivery {
  /** Flux: a HelmRepository and one HelmRelease per chart, chained with `dependsOn`. */
  public static flux(options: FluxDeliveryOptions = {}): MeshDelivery {
    // Loaded here: the subclass modules extend this class.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { FluxDelivery } = require('./flux-delivery') as typeof import('./flux-delivery');
    return new FluxDelivery(options);
  }

  /** Argo CD: one Application per chart, ordered with sync waves. */
  public static argoCd(options: ArgoCdDeliveryOptions = {}): MeshDelivery {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ArgoCdDelivery } = require('./argo-cd-delivery') as typeof import('./argo-cd-delivery');
    return new ArgoCdDelivery(options);
  }

  /** The helm CLI: no manifests; `AmbientMesh.helmInstall()` gives values files and ordered commands. */
  public static helmCli(): MeshDelivery {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { HelmCliDelivery } = require('./helm-cli-delivery') as typeof import('./helm-cli-delivery');
    return new HelmCliDelivery();
  }

  protected constructor() {}

  /** The delivery's name in messages, e.g. "Flux". */
  public abstract get displayName(): string;

  /**
   * Whether a GitOps tool applies the written manifests as one batch (and dry-runs the batch first,
   * so it cannot hold resources whose CRDs the install creates).
   */
  public abstract get appliesAsBatch(): boolean;

  /**
   * Writes the objects that deliver `mesh`'s charts, as children of the mesh (nothing for the
   * helm CLI). Called once, by the mesh's constructor, after the prerequisites.
   */
  public abstract bind(mesh: AmbientMesh): void;

  /**
   * Annotations of the objects applied before the charts (mesh namespace, CA), by apply step
   * ("-3" namespace, "-2" CA).
   * @internal
   */
  public _prerequisiteAnnotations(_step: string): { [key: string]: string } | undefined {
    return undefined;
  }

  /**
   * Whether the delivery writes the namespaces of the releases itself (so the install does not).
   * @internal
   */
  public get _writesNamespaces(): boolean {
    return false;
  }

  /**
   * The chart repository the helm CLI plan installs from.
   * @internal
   */
  public _helmCliRepository(): string {
    return ISTIO_HELM_REPOSITORY;
  }

  /**
   * The key of the chart source an add-on release shares with others (one object per key), if any.
   * @internal
   */
  public _addonSourceKey(_release: AddonRelease): string | undefined {
    return undefined;
  }

  /**
   * Writes an add-on chart's release under `scope`, with the shared chart source when `ownsSource`.
   * @internal
   */
  public _bindAddon(_scope: Construct, _release: AddonRelease, _ownsSource: boolean): void {}
}
