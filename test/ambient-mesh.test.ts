import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parse } from 'yaml';
import { findObject, synthValid, testChart } from './support';
import {
  AmbientMesh, AmbientMeshProps, IstioChart, MeshDelivery, MeshPlatform, OtelTracing, OutboundTrafficPolicy,
} from '../src';
import { unknownValueKeys } from '../src/_chart-values';

function mesh(props: AmbientMeshProps = {}) {
  const chart = testChart();
  const m = new AmbientMesh(chart, 'mesh', props);
  return { chart, mesh: m };
}

/** Every generated values object uses only keys the 1.30 charts have. */
function expectKnownKeys(m: AmbientMesh) {
  for (const chart of m.charts) expect(unknownValueKeys(chart, m.valuesFor(chart))).toEqual([]);
}

describe('AmbientMesh values', () => {
  test('defaults: profile ambient everywhere, webhook failure policy Fail, nothing else', () => {
    const { chart, mesh: m } = mesh();
    expect(m.charts).toEqual(['base', 'istiod', 'cni', 'ztunnel']);
    expect(m.valuesFor(IstioChart.BASE)).toEqual({ base: { validationFailurePolicy: 'Fail' } });
    expect(m.valuesFor(IstioChart.ISTIOD)).toEqual({ base: { validationFailurePolicy: 'Fail' }, profile: 'ambient' });
    expect(m.valuesFor(IstioChart.CNI)).toEqual({ profile: 'ambient' });
    expect(m.valuesFor(IstioChart.ZTUNNEL)).toEqual({ profile: 'ambient' });
    expect(Testing.synth(chart)).toEqual([]); // helm CLI delivery writes no manifests
    expectKnownKeys(m);
  });

  test('every option lands on a key the 1.30 charts have', () => {
    const { mesh: m } = mesh({
      platform: MeshPlatform.MINIKUBE,
      revision: 'canary',
      revisionTags: ['prod', 'default'],
      trustDomain: 'prod.example.com',
      namespace: 'mesh-system',
      image: { hub: 'registry.example.com/istio', tag: '1.30.3-distroless' },
      istiod: { minReplicas: 2, maxReplicas: 4, env: { B: '2', A: '1' }, resources: { cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.units(2) }, memory: { request: Size.gibibytes(1) } } },
      cni: { version: '1.29.4', binDir: '/opt/cni/bin', confDir: '/etc/cni/net.d', chained: true, excludeNamespaces: ['kube-system'], resources: { memory: { limit: Size.mebibytes(256) } } },
      ztunnel: { version: '1.30.1', namespace: 'ztunnel-system', resources: { cpu: { request: kplus.Cpu.millis(300) } }, logLevel: 'debug' },
      meshConfig: { outboundTrafficPolicy: OutboundTrafficPolicy.REGISTRY_ONLY, accessLogFile: '/dev/stdout', defaultTracingProviders: ['otel'], defaultAccessLogProviders: ['envoy'] },
      ingressGateway: { serviceType: 'ClusterIP', namespace: 'ingress', releaseName: 'edge' },
    });
    expectKnownKeys(m);
    expect(m.valuesFor(IstioChart.ISTIOD)).toEqual({
      autoscaleEnabled: true,
      autoscaleMax: 4,
      autoscaleMin: 2,
      base: { validationFailurePolicy: 'Fail' },
      env: { A: '1', B: '2' },
      global: { hub: 'registry.example.com/istio', istioNamespace: 'mesh-system', platform: 'minikube', tag: '1.30.3-distroless' },
      meshConfig: {
        accessLogFile: '/dev/stdout',
        defaultProviders: { accessLogging: ['envoy'], tracing: ['otel'] },
        outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
        trustDomain: 'prod.example.com',
      },
      profile: 'ambient',
      resources: { limits: { cpu: '2' }, requests: { cpu: '250m', memory: '1024Mi' } },
      revision: 'canary',
      revisionTags: ['prod', 'default'],
      trustedZtunnelNamespace: 'ztunnel-system',
    });
    expect(m.valuesFor(IstioChart.BASE)).toEqual({ base: { validationFailurePolicy: 'Fail' }, defaultRevision: 'canary', global: { istioNamespace: 'mesh-system', platform: 'minikube' } });
    // Under cni.: the chart applies cni.* after the platform profile, so these win over it.
    expect(m.valuesFor(IstioChart.CNI)).toEqual({
      cni: { chained: true, cniBinDir: '/opt/cni/bin', cniConfDir: '/etc/cni/net.d', excludeNamespaces: ['kube-system'], resources: { limits: { memory: '256Mi' } } },
      global: { hub: 'registry.example.com/istio', platform: 'minikube', tag: '1.30.3-distroless' },
      profile: 'ambient',
      revision: 'canary',
    });
    expect(m.valuesFor(IstioChart.ZTUNNEL)).toEqual({
      global: { platform: 'minikube' },
      hub: 'registry.example.com/istio',
      istioNamespace: 'mesh-system',
      logLevel: 'debug',
      profile: 'ambient',
      resources: { requests: { cpu: '300m' } },
      revision: 'canary',
      tag: '1.30.3-distroless',
    });
    expect(m.valuesFor(IstioChart.GATEWAY)).toEqual({ global: { platform: 'minikube' }, revision: 'canary', service: { type: 'ClusterIP' } });
    expect(m.releaseNamespace(IstioChart.GATEWAY)).toBe('ingress');
  });

  test('a platform makes istiod trust the ztunnel namespace explicitly (the OpenShift profile sets kube-system)', () => {
    const { mesh: m } = mesh({ platform: MeshPlatform.OPENSHIFT, ztunnel: { namespace: 'istio-system' } });
    expect(m.valuesFor(IstioChart.ISTIOD).trustedZtunnelNamespace).toBe('istio-system');
  });

  test('fails synth when a GitOps install shares its chart with Istio resources', () => {
    const chart = testChart();
    new AmbientMesh(chart, 'mesh', { delivery: MeshDelivery.flux() });
    new OtelTracing(chart, 'tracing', { service: 'otel.observability.svc.cluster.local' });
    expect(() => Testing.synth(chart)).toThrow(/chart "test" installs Istio with Flux and also holds Telemetry default, whose CRDs that install creates: the GitOps dry-run of the batch would fail before the CRDs exist/);
    const helmChart = testChart();
    new AmbientMesh(helmChart, 'mesh');
    new OtelTracing(helmChart, 'tracing', { service: 'otel.observability.svc.cluster.local' });
    synthValid(helmChart);
  });

  test('fixed istiod replicas turn autoscaling off', () => {
    const { mesh: m } = mesh({ istiod: { replicas: 3 } });
    expect(m.valuesFor(IstioChart.ISTIOD)).toMatchObject({ autoscaleEnabled: false, replicaCount: 3 });
  });

  test('OpenShift puts cni and ztunnel in kube-system and tells istiod', () => {
    const { mesh: m } = mesh({ platform: MeshPlatform.OPENSHIFT });
    expect(m.releaseNamespace(IstioChart.CNI)).toBe('kube-system');
    expect(m.releaseNamespace(IstioChart.ZTUNNEL)).toBe('kube-system');
    expect(m.valuesFor(IstioChart.ISTIOD)).toMatchObject({ trustedZtunnelNamespace: 'kube-system', global: { platform: 'openshift' } });
  });

  test('validationFailurePolicyFail: false leaves the webhook to istiod', () => {
    const { mesh: m } = mesh({ validationFailurePolicyFail: false });
    expect(m.valuesFor(IstioChart.BASE)).toEqual({});
    expect(m.valuesFor(IstioChart.ISTIOD)).toEqual({ profile: 'ambient' });
  });

  test('escape hatch values are merged over the generated ones', () => {
    const { mesh: m } = mesh({ values: { istiod: { pilot: { env: { X: 'y' } }, meshConfig: { enablePrometheusMerge: false } }, ztunnel: { global: { logAsJson: true } } } });
    expect(m.valuesFor(IstioChart.ISTIOD)).toMatchObject({ pilot: { env: { X: 'y' } }, meshConfig: { enablePrometheusMerge: false } });
    expect(m.valuesFor(IstioChart.ZTUNNEL)).toMatchObject({ global: { logAsJson: true } });
  });

  test('refuses value keys the chart does not have', () => {
    expect(() => mesh({ values: { istiod: { pilot: { replicaCnt: 2 } }, cni: { ambient: { enabled: true } } } }))
      .toThrow('[test/mesh] values.istiod has keys the Istio 1.30 istiod chart does not have: pilot.replicaCnt. Check the chart\'s values.yaml; a misspelt key would be ignored silently by helm.');
    expect(() => mesh({ values: { ztunnel: { resource: {} } } })).toThrow('values.ztunnel has keys the Istio 1.30 ztunnel chart does not have: resource.');
  });

  test('valuesFor a chart that is not installed', () => {
    expect(() => mesh().mesh.valuesFor(IstioChart.GATEWAY)).toThrow('chart gateway is not part of this install (set ingressGateway to install the gateway chart).');
    expect(() => mesh().mesh.releaseNamespace(IstioChart.GATEWAY)).toThrow('chart gateway is not part of this install.');
  });

  test.each([
    [{ version: '1.29.4' }, 'version 1.29.4 is not supported: this library targets Istio 1.30.x'],
    [{ version: 'latest' }, 'version "latest" is not a version like "1.30.3".'],
    [{ cni: { version: '1.30.4' } }, 'cni 1.30.4 is newer than istiod 1.30.3: upgrade istiod first (cni may lag istiod by one minor version, never lead it).'],
    [{ ztunnel: { version: '1.31.0' } }, 'ztunnel 1.31.0 is newer than istiod 1.30.3'],
    [{ ztunnel: { version: '1.28.2' } }, 'ztunnel 1.28.2 is more than one minor version older than istiod 1.30.3: Istio supports ztunnel 1.x with istiod 1.x and 1.x+1 only. Upgrade ztunnel to 1.29.x or later.'],
    [{ platform: MeshPlatform.EKS }, 'Istio has no "eks" platform profile (the charts would fail with "unknown platform"). On EKS leave `platform` unset'],
    [{ revisionTags: ['prod'] }, 'revisionTags point at a revision: set `revision` too.'],
    [{ revision: '1.30' }, 'revision "1.30" is invalid'],
    [{ istiod: { replicas: 2, maxReplicas: 4 } }, 'istiod: set either `replicas` (fixed) or `minReplicas`/`maxReplicas` (autoscaling), not both.'],
    [{ trustDomain: 'spiffe://x' }, 'trust domain "spiffe://x" is invalid'],
    [{ namespace: 'Istio' }, 'namespace "Istio" is not a valid namespace name'],
    [{ delivery: MeshDelivery.flux({ repositoryUrl: 'http://charts.example.com' }) }, 'flux repositoryUrl "http://charts.example.com" must be https:// or oci://.'],
    [{ delivery: MeshDelivery.argoCd({ repositoryUrl: 'oci://registry.istio.io/release/charts' }) }, 'argo repositoryUrl "oci://registry.istio.io/release/charts" must be an https Helm repository'],
    [{ istiod: { minReplicas: 7 } }, 'istiod.minReplicas (7) is greater than maxReplicas (5, the chart default); the HorizontalPodAutoscaler would be rejected.'],
    [{ istiod: { replicas: 0 } }, 'istiod.replicas is 0; it must be a whole number of at least 1.'],
  ])('refuses %j', (props, message) => {
    expect(() => mesh(props as AmbientMeshProps)).toThrow(message);
  });

  test('one AmbientMesh per app', () => {
    const { chart } = mesh();
    expect(() => new AmbientMesh(chart, 'again')).toThrow('[test/again] an AmbientMesh is already declared at test/mesh; an app installs one mesh.');
  });
});

describe('AmbientMesh delivery', () => {
  test('helm CLI: values files and ordered commands (base, CRDs, istiod, cni, ztunnel)', () => {
    const { mesh: m } = mesh({ revision: 'stable' });
    const plan = m.helmInstall();
    expect(Object.keys(plan.files).sort()).toEqual(['README.md', 'values-base.yaml', 'values-cni.yaml', 'values-istiod.yaml', 'values-ztunnel.yaml']);
    expect(parse(plan.files['values-istiod.yaml'])).toEqual(m.valuesFor(IstioChart.ISTIOD));
    expect(plan.commands).toEqual([
      'helm repo add istio https://istio-release.storage.googleapis.com/charts',
      'helm repo update istio',
      'helm upgrade --install istio-base istio/base --version 1.30.3 --namespace istio-system --create-namespace --values values-base.yaml --wait',
      'kubectl get crd gateways.gateway.networking.k8s.io >/dev/null 2>&1 || kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml',
      'helm upgrade --install istiod-stable istio/istiod --version 1.30.3 --namespace istio-system --create-namespace --values values-istiod.yaml --wait',
      'helm upgrade --install istio-cni istio/cni --version 1.30.3 --namespace istio-system --create-namespace --values values-cni.yaml --wait',
      'helm upgrade --install ztunnel istio/ztunnel --version 1.30.3 --namespace istio-system --create-namespace --values values-ztunnel.yaml --wait',
    ]);
    expect(plan.files['README.md']).toContain(plan.commands[4]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-plan-'));
    const written = plan.writeTo(path.join(dir, 'out'));
    expect(written.map(f => path.basename(f)).sort()).toEqual(Object.keys(plan.files).sort());
    expect(fs.readFileSync(path.join(dir, 'out', 'values-cni.yaml'), 'utf8')).toBe(plan.files['values-cni.yaml']);
  });

  test('Flux: HelmRepository, Namespace and HelmReleases chained with dependsOn', () => {
    const { chart, mesh: m } = mesh({
      delivery: MeshDelivery.flux({ istiodDependsOn: [{ name: 'gateway-api', namespace: 'flux-system' }, { name: 'cert-manager' }], interval: Duration.hours(1) }),
      ingressGateway: {},
    });
    const objects = synthValid(chart);
    expect(objects.map(o => `${o.kind}/${o.metadata.name}`)).toEqual([
      'HelmRepository/istio', 'Namespace/istio-ingress', 'Namespace/istio-system',
      'HelmRelease/istio-base', 'HelmRelease/istiod', 'HelmRelease/istio-cni', 'HelmRelease/ztunnel', 'HelmRelease/istio-ingress',
    ]);
    expect(findObject(objects, 'HelmRepository').spec).toEqual({ interval: '1h', url: 'https://istio-release.storage.googleapis.com/charts' });
    expect(findObject(objects, 'Namespace', 'istio-system').metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'none' });
    const release = (name: string) => findObject(objects, 'HelmRelease', name).spec;
    expect(release('istio-base').dependsOn).toBeUndefined();
    expect(release('istiod').dependsOn).toEqual([
      { name: 'istio-base', namespace: 'istio-system' },
      { name: 'gateway-api', namespace: 'flux-system' },
      { name: 'cert-manager', namespace: 'istio-system' },
    ]);
    expect(release('istio-cni').dependsOn).toEqual([{ name: 'istiod', namespace: 'istio-system' }]);
    expect(release('ztunnel').dependsOn).toEqual([{ name: 'istio-cni', namespace: 'istio-system' }]);
    expect(release('istio-ingress').dependsOn).toEqual([{ name: 'istiod', namespace: 'istio-system' }]);
    expect(release('istiod')).toMatchObject({
      interval: '1h',
      releaseName: 'istiod',
      chart: { spec: { chart: 'istiod', version: '1.30.3', sourceRef: { kind: 'HelmRepository', name: 'istio', namespace: 'flux-system' } } },
      values: m.valuesFor(IstioChart.ISTIOD),
    });
  });

  test('Flux with the OCI repository', () => {
    const { chart, mesh: m } = mesh({ delivery: MeshDelivery.flux({ repositoryUrl: 'oci://registry.istio.io/release/charts', repositoryName: 'istio-oci', sourceNamespace: 'sources' }) });
    const objects = synthValid(chart);
    expect(findObject(objects, 'HelmRepository').spec).toEqual({ interval: '1h', type: 'oci', url: 'oci://registry.istio.io/release/charts' });
    expect(findObject(objects, 'HelmRelease', 'ztunnel').spec.chart.spec.sourceRef).toEqual({ kind: 'HelmRepository', name: 'istio-oci', namespace: 'sources' });
    expect(m.helmInstall().commands[0]).toBe('helm upgrade --install istio-base oci://registry.istio.io/release/charts/base --version 1.30.3 --namespace istio-system --create-namespace --values values-base.yaml --wait');
  });

  test('Flux on OpenShift does not write kube-system', () => {
    const { chart } = mesh({ delivery: MeshDelivery.flux(), platform: MeshPlatform.OPENSHIFT });
    const objects = synthValid(chart);
    expect(objects.filter(o => o.kind === 'Namespace').map(o => o.metadata.name)).toEqual(['istio-system']);
    expect(findObject(objects, 'HelmRelease', 'ztunnel').metadata.namespace).toBe('kube-system');
  });

  test('Flux: Gateway API CRDs from a GitRepository and Kustomization, the mesh applied by a Kustomization that depends on them', () => {
    const app = Testing.app();
    const bootstrap = new Chart(app, 'bootstrap');
    const meshChart = new Chart(app, 'mesh');
    new AmbientMesh(meshChart, 'mesh', { delivery: MeshDelivery.flux({ gatewayApiCrds: { bootstrapChart: bootstrap, meshPath: './dist/mesh' } }) });
    expect(synthValid(meshChart).filter(o => o.apiVersion.startsWith('kustomize.') || o.kind === 'GitRepository')).toEqual([]);
    expect(synthValid(bootstrap)).toEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name: 'gateway-api', namespace: 'flux-system' },
        spec: { interval: '1h', url: 'https://github.com/kubernetes-sigs/gateway-api', ref: { tag: 'v1.5.1' }, ignore: '/*\n!/config/crd/standard/\n' },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'gateway-api-crds', namespace: 'flux-system' },
        spec: { interval: '10m', path: './config/crd/standard', sourceRef: { kind: 'GitRepository', name: 'gateway-api' }, prune: false, wait: true },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'istio', namespace: 'flux-system' },
        spec: { interval: '10m', path: './dist/mesh', sourceRef: { kind: 'GitRepository', name: 'flux-system' }, dependsOn: [{ name: 'gateway-api-crds' }], prune: true, wait: true },
      },
    ]);
  });

  test.each([
    [(c: Chart) => ({ bootstrapChart: c, meshPath: './dist/mesh' }), '[test/mesh] flux gatewayApiCrds.bootstrapChart is the chart of the AmbientMesh itself: the Kustomization that applies the mesh chart would apply itself, before the CRDs. Give a separate chart, applied by your Flux bootstrap.'],
    [(_c: Chart) => ({ bootstrapChart: new Chart(Testing.app(), 'b'), meshPath: 'dist/mesh' }), '[test/mesh] flux gatewayApiCrds.meshPath "dist/mesh" must be a path inside the Git repository starting with "./", e.g. "./dist/mesh".'],
    [(_c: Chart) => ({ bootstrapChart: new Chart(Testing.app(), 'b'), meshPath: './../mesh' }), '[test/mesh] flux gatewayApiCrds.meshPath "./../mesh" must be a path inside the Git repository starting with "./", e.g. "./dist/mesh".'],
  ])('Flux gatewayApiCrds refuses a bad bootstrap chart or path (%#)', (options, message) => {
    const chart = testChart();
    expect(() => new AmbientMesh(chart, 'mesh', { delivery: MeshDelivery.flux({ gatewayApiCrds: options(chart) }) })).toThrow(message);
  });

  test('Argo CD: one Application per chart in sync waves, webhook drift ignored', () => {
    const { chart, mesh: m } = mesh({ delivery: MeshDelivery.argoCd({ installGatewayApiCrds: true }) });
    const objects = synthValid(chart);
    expect(objects.map(o => `${o.metadata.name}@${o.metadata.annotations['argocd.argoproj.io/sync-wave']}`))
      .toEqual(['gateway-api-crds@-1', 'istio-base@0', 'istiod@1', 'istio-cni@2', 'ztunnel@3']);
    expect(findObject(objects, 'Application', 'gateway-api-crds').spec.source)
      .toEqual({ repoURL: 'https://github.com/kubernetes-sigs/gateway-api.git', path: 'config/crd/standard', targetRevision: 'v1.5.1' });
    const istiod = findObject(objects, 'Application', 'istiod');
    expect(istiod.metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
    expect(istiod.spec).toEqual({
      project: 'default',
      source: {
        repoURL: 'https://istio-release.storage.googleapis.com/charts',
        chart: 'istiod',
        targetRevision: '1.30.3',
        helm: { releaseName: 'istiod', valuesObject: m.valuesFor(IstioChart.ISTIOD) },
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'istio-system' },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true', 'RespectIgnoreDifferences=true', 'ServerSideApply=true'] },
      ignoreDifferences: [
        { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'] },
        { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'] },
      ],
    });
    expect(findObject(objects, 'Application', 'ztunnel').spec.ignoreDifferences).toBeUndefined();
  });

  test('Argo CD without automated sync and with the webhook flip left to istiod', () => {
    const { chart } = mesh({
      delivery: MeshDelivery.argoCd({ namespace: 'gitops', project: 'platform', repositoryUrl: 'https://charts.example.com/istio', destinationServer: 'https://prod.example.com', automatedSync: false }),
      validationFailurePolicyFail: false,
    });
    const base = findObject(synthValid(chart), 'Application', 'istio-base');
    expect(base.metadata.namespace).toBe('gitops');
    expect(base.spec.project).toBe('platform');
    expect(base.spec.syncPolicy).toEqual({ syncOptions: ['CreateNamespace=true', 'RespectIgnoreDifferences=true', 'ServerSideApply=true'] });
    expect(base.spec.destination.server).toBe('https://prod.example.com');
    expect(base.spec.source.repoURL).toBe('https://charts.example.com/istio');
    expect(base.spec.ignoreDifferences[0].jqPathExpressions).toEqual(['.webhooks[]?.clientConfig.caBundle', '.webhooks[]?.failurePolicy']);
  });
});
