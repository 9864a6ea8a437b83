/** The Argo CD delivery: one Application per chart, ordered with sync waves. */
import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import type { AddonRelease } from '../_helm-addon';
import { checkNamespaceName, constructError } from '../_validation';
import type { AmbientMesh } from './ambient-mesh';
import { MeshDelivery } from './delivery';
import { IstioChart } from './options';
import { GATEWAY_API_CRD_PATH, GATEWAY_API_REPOSITORY, GATEWAY_API_VERSION, ISTIO_HELM_REPOSITORY } from './versions';
import * as argo from '../imports/argoproj.io';

/** Options for `MeshDelivery.argoCd`. */
export interface ArgoCdDeliveryOptions {
  /**
   * Namespace of the Argo CD Applications.
   * @default "argocd"
   */
  readonly namespace?: string;
  /**
   * Argo CD project.
   * @default "default"
   */
  readonly project?: string;
  /**
   * Chart repository URL.
   * @default "https://istio-release.storage.googleapis.com/charts"
   */
  readonly repositoryUrl?: string;
  /**
   * Destination cluster API server.
   * @default "https://kubernetes.default.svc"
   */
  readonly destinationServer?: string;
  /**
   * Sync automatically, with prune and self-heal.
   * @default true
   */
  readonly automatedSync?: boolean;
  /**
   * Also install the Gateway API standard-channel CRDs (v1.5.1) from the upstream repository, in an
   * Application that syncs before the charts.
   * @default false
   */
  readonly installGatewayApiCrds?: boolean;
}

/** `MeshDelivery.argoCd()`. */
export class ArgoCdDelivery extends MeshDelivery {
  private readonly options: ArgoCdDeliveryOptions;

  public constructor(options: ArgoCdDeliveryOptions) {
    super();
    this.options = options;
  }

  public get displayName(): string {
    return 'Argo CD';
  }

  public get appliesAsBatch(): boolean {
    return true;
  }

  public bind(mesh: AmbientMesh): void {
    const options = this.options;
    const argoNamespace = options.namespace ?? 'argocd';
    checkNamespaceName(mesh, 'argo namespace', argoNamespace);
    const project = options.project ?? 'default';
    const repoURL = options.repositoryUrl ?? ISTIO_HELM_REPOSITORY;
    if (!repoURL.startsWith('https://')) {
      throw constructError(mesh, `argo repositoryUrl "${repoURL}" must be an https Helm repository. For an OCI registry, register it in Argo CD as a Helm repository with enableOCI and give its https form.`);
    }
    const server = options.destinationServer ?? 'https://kubernetes.default.svc';
    const automated = options.automatedSync ?? true;
    const syncPolicy = {
      automated: automated ? { prune: true, selfHeal: true } : undefined,
      // RespectIgnoreDifferences: without it Argo CD still overwrites the ignored webhook fields on sync.
      syncOptions: ['CreateNamespace=true', 'RespectIgnoreDifferences=true', 'ServerSideApply=true'],
    };
    if (options.installGatewayApiCrds) {
      new argo.Application(mesh, 'Application-gateway-api-crds', {
        metadata: { name: 'gateway-api-crds', namespace: argoNamespace, annotations: { 'argocd.argoproj.io/sync-wave': '-1' } },
        spec: {
          project,
          source: { repoUrl: `${GATEWAY_API_REPOSITORY}.git`, path: GATEWAY_API_CRD_PATH, targetRevision: GATEWAY_API_VERSION },
          destination: { server },
          syncPolicy: { automated: automated ? { prune: false, selfHeal: true } : undefined, syncOptions: ['ServerSideApply=true'] },
        },
      });
    }
    const caChart = mesh.certificateAuthority?._chartRelease(mesh._trustContext());
    if (caChart) {
      new argo.Application(mesh, `Application-${caChart.name}`, {
        metadata: { name: caChart.releaseName, namespace: argoNamespace, annotations: { 'argocd.argoproj.io/sync-wave': '-1' }, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
        spec: {
          project,
          source: {
            repoUrl: caChart.repositoryUrl,
            chart: caChart.chart,
            targetRevision: caChart.version,
            helm: { releaseName: caChart.releaseName, valuesObject: caChart.values },
          },
          destination: { server, namespace: caChart.namespace },
          syncPolicy,
        },
      });
    }
    mesh._releases.forEach((release, wave) => {
      // istiod rewrites the webhooks' CA bundle (and, without validationFailurePolicy Fail, the failure policy).
      const webhookPaths = ['.webhooks[]?.clientConfig.caBundle'];
      if (!(mesh._props.validationFailurePolicyFail ?? true)) webhookPaths.push('.webhooks[]?.failurePolicy');
      const ignoreDifferences = release.chart === IstioChart.BASE || release.chart === IstioChart.ISTIOD
        ? [{ group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', jqPathExpressions: webhookPaths }]
        : [];
      if (release.chart === IstioChart.ISTIOD) {
        ignoreDifferences.push({ group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'] });
      }
      new argo.Application(mesh, `Application-${release.chart}`, {
        metadata: {
          name: release.releaseName,
          namespace: argoNamespace,
          annotations: { 'argocd.argoproj.io/sync-wave': String(wave) },
          finalizers: ['resources-finalizer.argocd.argoproj.io'],
        },
        spec: {
          project,
          source: {
            repoUrl: repoURL,
            chart: release.chart,
            targetRevision: release.version,
            helm: { releaseName: release.releaseName, valuesObject: Lazy.any({ produce: () => mesh._renderValues(release) }) },
          },
          destination: { server, namespace: release.namespace },
          syncPolicy,
          ignoreDifferences: ignoreDifferences.length ? ignoreDifferences : undefined,
        },
      });
    });
  }

  /** @internal */
  public _prerequisiteAnnotations(step: string): { [key: string]: string } {
    // Applied in waves before base (0): the namespace at -3, the CA at -2.
    return { 'argocd.argoproj.io/sync-wave': step };
  }

  /** @internal */
  public _bindAddon(scope: Construct, release: AddonRelease, _ownsSource: boolean): void {
    const options = this.options;
    const automated = options.automatedSync ?? true;
    new argo.Application(scope, 'Application', {
      metadata: {
        name: release.releaseName,
        namespace: options.namespace ?? 'argocd',
        annotations: { 'argocd.argoproj.io/sync-wave': String(release.syncWave) },
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: {
        project: options.project ?? 'default',
        source: {
          repoUrl: release.repositoryUrl,
          chart: release.chart,
          targetRevision: release.version,
          helm: { releaseName: release.releaseName, valuesObject: Lazy.any({ produce: () => release.values() }) },
        },
        destination: { server: options.destinationServer ?? 'https://kubernetes.default.svc', namespace: release.namespace },
        syncPolicy: {
          automated: automated ? { prune: true, selfHeal: true } : undefined,
          syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'],
        },
      },
    });
  }
}
