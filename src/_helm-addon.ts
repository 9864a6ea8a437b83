/**
 * Third-party Helm charts (Traefik, Cilium, Tempo, Kiali) delivered the same way as the mesh: a Flux
 * HelmRepository and HelmRelease, an Argo CD Application, or ordered helm CLI commands.
 */
import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { MeshContext } from './_context';
import { MeshRegistry } from './_registry';
import { checkNamespaceName, constructError } from './_validation';
import { MeshDelivery } from './ambient-mesh';
import * as argo from './imports/argoproj.io';
import * as helm from './imports/helm.toolkit.fluxcd.io';
import * as source from './imports/source.toolkit.fluxcd.io';

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
  const repositoryOwners = new Map<string, Construct>();
  for (const { addon, delivery, release } of resolved) {
    if (delivery._kind !== 'flux') continue;
    const key = `${delivery._flux.sourceNamespace ?? 'flux-system'}/${release.repositoryName}`;
    if (!repositoryOwners.has(key)) repositoryOwners.set(key, addon.scope);
  }
  for (const { addon, delivery, release } of resolved) {
    const scope = addon.scope;
    const repoId = `HelmRepository-${release.repositoryName}`;
    const sourceNamespace = delivery._kind === 'flux' ? delivery._flux.sourceNamespace ?? 'flux-system' : undefined;
    const owns = sourceNamespace !== undefined && repositoryOwners.get(`${sourceNamespace}/${release.repositoryName}`) === scope;
    const existing = scope.node.tryFindChild(repoId);
    if (existing && !owns) scope.node.tryRemoveChild(repoId);
    if (owns && !existing) {
      new source.HelmRepository(scope, repoId, {
        metadata: { name: release.repositoryName, namespace: sourceNamespace },
        spec: { interval: '1h', url: release.repositoryUrl },
      });
    }
    if (scope.node.tryFindChild('HelmRelease') || scope.node.tryFindChild('Application')) continue;
    emitRelease(scope, delivery, release);
  }
}

function emitRelease(scope: Construct, delivery: MeshDelivery, release: AddonRelease): void {
  if (delivery._kind === 'flux') {
    const sourceNamespace = delivery._flux.sourceNamespace ?? 'flux-system';
    new helm.HelmRelease(scope, 'HelmRelease', {
      metadata: { name: release.releaseName, namespace: release.namespace },
      spec: {
        interval: '10m',
        releaseName: release.releaseName,
        chart: {
          spec: {
            chart: release.chart,
            version: release.version,
            sourceRef: { kind: helm.HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY, name: release.repositoryName, namespace: sourceNamespace },
          },
        },
        dependsOn: Lazy.any({ produce: () => { const d = release.dependsOn?.() ?? []; return d.length ? d : undefined; } }),
        install: { createNamespace: true, remediation: { retries: 3 } },
        upgrade: { remediation: { retries: 3 } },
        values: Lazy.any({ produce: () => release.values() }),
      },
    });
  } else if (delivery._kind === 'argocd') {
    const automated = delivery._argo.automatedSync ?? true;
    new argo.Application(scope, 'Application', {
      metadata: {
        name: release.releaseName,
        namespace: delivery._argo.namespace ?? 'argocd',
        annotations: { 'argocd.argoproj.io/sync-wave': String(release.syncWave) },
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: {
        project: delivery._argo.project ?? 'default',
        source: {
          repoUrl: release.repositoryUrl,
          chart: release.chart,
          targetRevision: release.version,
          helm: { releaseName: release.releaseName, valuesObject: Lazy.any({ produce: () => release.values() }) },
        },
        destination: { server: delivery._argo.destinationServer ?? 'https://kubernetes.default.svc', namespace: release.namespace },
        syncPolicy: {
          automated: automated ? { prune: true, selfHeal: true } : undefined,
          syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'],
        },
      },
    });
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
