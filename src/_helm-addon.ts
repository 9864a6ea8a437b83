/**
 * Third-party Helm charts (Traefik, Cilium, Tempo, Kiali) delivered the same way as the mesh: a Flux
 * HelmRepository and HelmRelease, an Argo CD Application, or ordered helm CLI commands.
 */
import { Construct } from 'constructs';
import { MeshContext } from './_context';
import { MeshRegistry } from './_registry';
import { checkNamespaceName, constructError } from './_validation';
import { MeshDelivery } from './install';

/** A chart release of an add-on. */
export interface AddonRelease {
  /** Name of the chart repository (Flux HelmRepository, `helm repo add` name). */
  readonly repositoryName: string;
  /** https URL of the chart repository. */
  readonly repositoryUrl: string;
  readonly chart: string;
  readonly version: string;
  readonly releaseName: string;
  readonly namespace: string;
  /** Values, rendered at synth. */
  readonly values: () => { [key: string]: any };
  /** Flux: HelmReleases this one waits for. */
  readonly dependsOn?: () => { name: string; namespace: string }[];
  /** Argo CD sync wave. */
  readonly syncWave: number;
}

/** An add-on declared in an app: its release is emitted at synth, when the app's mesh is known. */
interface Addon {
  readonly scope: Construct;
  readonly explicit?: MeshDelivery;
  readonly release: () => AddonRelease;
  /** What an earlier synthesis pass emitted: the child ids, and whether they include the shared chart source. */
  emitted?: { ownsSource: boolean; ids: string[] };
}

/** The app's add-ons (a MeshContext slot). */
const ADDONS_SLOT = 'helm-addon.addons';

/**
 * The delivery an add-on uses: its own, else the app's mesh's (declared before or after the add-on),
 * else the helm CLI. Read at synth.
 */
export function addonDelivery(scope: Construct, explicit?: MeshDelivery): MeshDelivery {
  return explicit ?? MeshRegistry.of(scope).mesh?.delivery ?? MeshDelivery.helmCli();
}

/**
 * Declares the release of an add-on: checked now, emitted for its delivery at synth (the delivery
 * of a mesh declared later counts). `release` is read at synth too, so it may depend on the mesh.
 */
export function addAddonRelease(scope: Construct, explicit: MeshDelivery | undefined, release: () => AddonRelease): void {
  const r = release();
  checkNamespaceName(scope, 'namespace', r.namespace);
  if (!r.repositoryUrl.startsWith('https://')) {
    throw constructError(scope, `chart repository "${r.repositoryUrl}" must be an https URL.`);
  }
  const context = MeshContext.of(scope);
  const addons = context.slot(ADDONS_SLOT, () => {
    const list: Addon[] = [];
    context.onPrepare('helm-addon.releases', () => emitAddonReleases(list));
    return list;
  });
  addons.push({ scope, explicit, release });
}

/** The helm CLI commands that install an add-on's release (for every delivery form). */
export function addonHelmCommands(release: AddonRelease): string[] {
  return [
    `helm repo add ${release.repositoryName} ${release.repositoryUrl}`,
    `helm upgrade --install ${release.releaseName} ${release.repositoryName}/${release.chart} --version ${release.version} --namespace ${release.namespace} --create-namespace --values values-${release.releaseName}.yaml --wait`,
  ];
}

function byPath(a: Addon, b: Addon): number {
  const pa = a.scope.node.path;
  const pb = b.scope.node.path;
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/**
 * Emits every add-on's release. A Flux HelmRepository is shared by the releases that use it and
 * lives under the user with the smallest construct path, so its chart and file do not depend on
 * declaration order. Idempotent: runs at the start of every synthesis pass.
 */
function emitAddonReleases(addons: Addon[]): void {
  const resolved = [...addons].sort(byPath).map(a => ({ addon: a, delivery: addonDelivery(a.scope, a.explicit), release: a.release() }));
  const sourceOwners = new Map<string, Construct>();
  for (const { addon, delivery, release } of resolved) {
    const key = delivery._addonSourceKey(release);
    if (key !== undefined && !sourceOwners.has(key)) sourceOwners.set(key, addon.scope);
  }
  for (const { addon, delivery, release } of resolved) {
    const scope = addon.scope;
    const key = delivery._addonSourceKey(release);
    const ownsSource = key !== undefined && sourceOwners.get(key) === scope;
    if (addon.emitted) {
      // Emitted by an earlier pass: keep it, unless the owner of the shared source changed.
      if (addon.emitted.ownsSource === ownsSource) continue;
      for (const id of addon.emitted.ids) scope.node.tryRemoveChild(id);
    }
    const before = new Set(scope.node.children);
    delivery._bindAddon(scope, release, ownsSource);
    addon.emitted = { ownsSource, ids: scope.node.children.filter(c => !before.has(c)).map(c => c.node.id) };
  }
}

/** Drops undefined values and maps left empty, and sorts keys, so values are stable and minimal. */
export function pruneValues(x: any): any {
  if (Array.isArray(x)) return x.map(pruneValues);
  if (x === null || typeof x !== 'object') return x;
  const out: any = {};
  for (const key of Object.keys(x).sort()) {
    const v = pruneValues(x[key]);
    if (v === undefined) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 && Object.keys(x[key]).length > 0) continue;
    out[key] = v;
  }
  return out;
}
