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

/** HelmRepositories already emitted in an app (a MeshContext slot). */
const REPOSITORIES_SLOT = 'helm-addon.repositories';

/**
 * The delivery an add-on uses: its own, else the app's mesh's, else the helm CLI. The mesh's is read
 * when the add-on is declared; a mesh declared later fails synth instead of silently leaving the
 * add-on on the helm CLI.
 */
export function addonDelivery(scope: Construct, explicit?: MeshDelivery): MeshDelivery {
  if (explicit) return explicit;
  const mesh = MeshRegistry.of(scope).mesh;
  if (mesh) return mesh.delivery;
  scope.node.addValidation({
    validate: () => {
      const later = MeshRegistry.of(scope).mesh;
      return later && later.delivery._kind !== 'helm'
        ? [`no delivery is set and the AmbientMesh (${later.node.path}) is declared after this construct, so it would not be installed with the mesh's delivery. Declare the AmbientMesh first, or pass delivery.`]
        : [];
    },
  });
  return MeshDelivery.helmCli();
}

/** Emits the release for the delivery; returns the helm CLI commands that install it (for every form). */
export function emitAddonRelease(scope: Construct, delivery: MeshDelivery, release: AddonRelease): string[] {
  checkNamespaceName(scope, 'namespace', release.namespace);
  if (!release.repositoryUrl.startsWith('https://')) {
    throw constructError(scope, `chart repository "${release.repositoryUrl}" must be an https URL.`);
  }
  if (delivery._kind === 'flux') {
    const sourceNamespace = delivery._flux.sourceNamespace ?? 'flux-system';
    // One HelmRepository per repository and app, shared by the releases that use it.
    const repoId = `HelmRepository-${release.repositoryName}`;
    const emitted = MeshContext.of(scope).slot(REPOSITORIES_SLOT, () => new Set<string>());
    if (!emitted.has(repoId)) {
      // The repository object lives in the chart of its first user.
      new source.HelmRepository(scope, repoId, {
        metadata: { name: release.repositoryName, namespace: sourceNamespace },
        spec: { interval: '1h', url: release.repositoryUrl },
      });
      emitted.add(repoId);
    }
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
  return [
    `helm repo add ${release.repositoryName} ${release.repositoryUrl}`,
    `helm upgrade --install ${release.releaseName} ${release.repositoryName}/${release.chart} --version ${release.version} --namespace ${release.namespace} --create-namespace --values values-${release.releaseName}.yaml --wait`,
  ];
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
