import { Chart, Testing } from 'cdk8s';
import { findObject, synthValid } from './support';
import { AmbientMesh, AmbientNetworkPolicy, CiliumCni, IstioChart, MeshAnalyzer, MeshDelivery } from '../src';
import { undeclaredChartKeys } from './support/chart-values';
import { ciliumValueProblems } from '../src/semantics/cni-chaining';

const CILIUM_VALUES = 'cilium-1.20.0/helm-values/cilium.values.yaml';

function install(delivery = MeshDelivery.flux(), meshProps: any = {}) {
  const app = Testing.app();
  const chart = new Chart(app, 'install', { disableResourceNameHashes: true });
  const mesh = new AmbientMesh(chart, 'mesh', { delivery, ...meshProps });
  return { app, chart, mesh };
}

describe('CiliumCni', () => {
  test('Flux: Cilium values for ambient, and istio-cni waits for Cilium', () => {
    const { chart } = install();
    const cilium = new CiliumCni(chart, 'cilium');
    const objects = synthValid(chart);
    expect(findObject(objects, 'HelmRepository', 'cilium').spec).toEqual({ interval: '1h', url: 'https://helm.cilium.io' });
    const release = findObject(objects, 'HelmRelease', 'cilium');
    expect(release.metadata).toEqual({ name: 'cilium', namespace: 'kube-system' });
    expect(release.spec.chart.spec).toEqual({ chart: 'cilium', version: '1.20.0', sourceRef: { kind: 'HelmRepository', name: 'cilium', namespace: 'flux-system' } });
    expect(release.spec.dependsOn).toBeUndefined();
    expect(release.spec.values).toEqual({ cni: { exclusive: false }, socketLB: { hostNamespaceOnly: true } });
    expect(findObject(objects, 'HelmRelease', 'istio-cni').spec.dependsOn).toEqual([
      { name: 'istiod', namespace: 'istio-system' },
      { name: 'cilium', namespace: 'kube-system' },
    ]);
    // socketLB.hostNamespaceOnly is documented as a commented-out key of socketLB in the 1.20.0 values.yaml.
    expect(undeclaredChartKeys(CILIUM_VALUES, cilium.values)).toEqual([]);
  });

  test('kube-proxy replacement with the API server address; user values merged under the required ones', () => {
    const { chart } = install();
    const cilium = new CiliumCni(chart, 'cilium', {
      kubeProxyReplacement: true,
      k8sServiceHost: 'api.example.internal',
      k8sServicePort: 6443,
      values: { bpf: { hostLegacyRouting: true }, cni: { chainingMode: 'none' } },
    });
    expect(cilium.values).toEqual({
      bpf: { hostLegacyRouting: true },
      cni: { chainingMode: 'none', exclusive: false },
      k8sServiceHost: 'api.example.internal',
      k8sServicePort: 6443,
      kubeProxyReplacement: true,
      socketLB: { hostNamespaceOnly: true },
    });
    expect(undeclaredChartKeys(CILIUM_VALUES, cilium.values)).toEqual([]);
  });

  test('Argo CD: Cilium syncs first (wave -2); helm CLI: commands', () => {
    const { chart } = install(MeshDelivery.argoCd());
    new CiliumCni(chart, 'cilium');
    expect(findObject(synthValid(chart), 'Application', 'cilium').metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '-2' });
    const helm = install(MeshDelivery.helmCli());
    expect(new CiliumCni(helm.chart, 'cilium').helmInstall().commands).toEqual([
      'helm repo add cilium https://helm.cilium.io',
      'helm upgrade --install cilium cilium/cilium --version 1.20.0 --namespace kube-system --create-namespace --values values-cilium.yaml --wait',
    ]);
  });

  test('refused: values that break ambient', () => {
    const { chart } = install();
    expect(() => new CiliumCni(chart, 'a', { values: { cni: { exclusive: true }, bpf: { masquerade: true } } })).toThrow(
      '[install/a] values: cni.exclusive: true breaks ambient: Cilium would rename the istio-cni configuration away (to *.cilium_bak), so pods would start without ambient redirection; '
      + 'bpf.masquerade: true breaks ambient: Istio documents BPF masquerading as unsupported with ambient: kubelet health probes of ambient pods fail. Drop these values; CiliumCni sets what ambient needs.');
    expect(() => new CiliumCni(chart, 'b', { values: { socketLB: { hostNamespaceOnly: false } } })).toThrow(
      '[install/b] values: socketLB.hostNamespaceOnly: false breaks ambient: socket load balancing would translate Service VIPs to pod IPs inside the pods, so traffic would skip waypoints and Service-level policy. Drop these values; CiliumCni sets what ambient needs.');
    expect(() => new CiliumCni(chart, 'c', { kubeProxyReplacement: true })).toThrow(
      '[install/c] kubeProxyReplacement needs k8sServiceHost and k8sServicePort (the API server address): without kube-proxy nothing else routes the kubernetes Service.');
    expect(ciliumValueProblems({ cni: { exclusive: false }, bpf: { masquerade: false } })).toEqual([]);
  });

  test('refused: an unchained istio-cni with Cilium, and a "cilium" CNI provider', () => {
    const { chart } = install(MeshDelivery.flux(), { cni: { chained: false } });
    new CiliumCni(chart, 'cilium');
    expect(() => Testing.synth(chart)).toThrow(
      '[install/mesh] install/mesh sets cni.chained: false, but istio-cni must chain after the primary CNI declared here (install/cilium); only Multus setups run it unchained. Drop chained: false.');
    expect(() => install(MeshDelivery.flux(), { values: { cni: { cni: { provider: 'cilium' } } } })).toThrow(
      '[install/mesh] values.cni.cni.provider is "cilium", but istio-cni only has the providers "default" and "multus". To run with Cilium, keep the default provider (istio-cni chains after the primary CNI, cni.chained: true) and configure the primary CNI for ambient (see CiliumCni).');
    expect(() => install(MeshDelivery.flux(), { values: { cni: { provider: 'calico' } } })).toThrow(
      '[install/mesh] values.cni.provider is "calico", but istio-cni only has the providers "default" and "multus". To run with "calico", keep the default provider (istio-cni chains after the primary CNI, cni.chained: true) and configure the primary CNI for ambient (see CiliumCni).');
    expect(install(MeshDelivery.flux(), { values: { cni: { provider: 'multus' } } }).mesh.valuesFor(IstioChart.CNI).provider).toBe('multus');
  });
});

describe('AmbientNetworkPolicy', () => {
  test('admits kubelet probes from the SNAT address and HBONE on 15008 (the Istio ambient NetworkPolicy guidance)', () => {
    const chart = new Chart(Testing.app(), 'apps', { namespace: 'shop' });
    new AmbientNetworkPolicy(chart, 'np', { ipv6: true, scrapeFromNamespace: 'monitoring' });
    expect(findObject(synthValid(chart), 'NetworkPolicy')).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-ambient-probes-and-hbone', namespace: 'shop' },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [
          { from: [{ ipBlock: { cidr: '169.254.7.127/32' } }, { ipBlock: { cidr: 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128' } }] },
          { ports: [{ port: 15008, protocol: 'TCP' }] },
          { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 15020, protocol: 'TCP' }] },
        ],
      },
    });
  });

  test('the analyzer finds nothing to report about it (AMB125 wants 15008)', () => {
    const chart = new Chart(Testing.app(), 'apps', { namespace: 'shop' });
    new AmbientNetworkPolicy(chart, 'np');
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient' } } };
    expect(MeshAnalyzer.fromObjects([ns, ...Testing.synth(chart)]).analyze()).toEqual([]);
  });

  test('refused: bad names', () => {
    const chart = new Chart(Testing.app(), 'apps', { namespace: 'shop' });
    expect(() => new AmbientNetworkPolicy(chart, 'a', { scrapeFromNamespace: 'Monitoring' })).toThrow(
      '[apps/a] scrapeFromNamespace "Monitoring" is not a valid namespace name: use at most 63 lowercase letters, digits and \'-\', starting and ending with a letter or digit.');
    expect(() => new AmbientNetworkPolicy(chart, 'b', { name: 'Bad_Name' })).toThrow(
      '[apps/b] name "Bad_Name" is not a valid object name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit.');
  });
});

describe('declaration order', () => {
  test('istio-cni waits for Cilium declared before the mesh too (with an explicit delivery)', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'install', { disableResourceNameHashes: true });
    new CiliumCni(chart, 'cilium', { delivery: MeshDelivery.flux() });
    new AmbientMesh(chart, 'mesh', { delivery: MeshDelivery.flux() });
    expect(findObject(Testing.synth(chart), 'HelmRelease', 'istio-cni').spec.dependsOn).toEqual([
      { name: 'istiod', namespace: 'istio-system' }, { name: 'cilium', namespace: 'kube-system' },
    ]);
  });

  test('an add-on declared before the mesh takes the mesh\'s delivery', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'install', { disableResourceNameHashes: true });
    new CiliumCni(chart, 'cilium');
    new AmbientMesh(chart, 'mesh', { delivery: MeshDelivery.flux() });
    const objects = Testing.synth(chart);
    expect(findObject(objects, 'HelmRelease', 'cilium').spec.chart.spec.sourceRef).toEqual({ kind: 'HelmRepository', name: 'cilium', namespace: 'flux-system' });
    expect(findObject(objects, 'HelmRelease', 'istio-cni').spec.dependsOn).toEqual([
      { name: 'istiod', namespace: 'istio-system' }, { name: 'cilium', namespace: 'kube-system' },
    ]);
  });

  test('refused at synth: an unchained mesh declared after Cilium', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'install');
    new CiliumCni(chart, 'cilium', { delivery: MeshDelivery.flux() });
    new AmbientMesh(chart, 'mesh', { delivery: MeshDelivery.flux(), cni: { chained: false } });
    expect(() => app.synth()).toThrow('install/mesh sets cni.chained: false, but istio-cni must chain after the primary CNI declared here (install/cilium); only Multus setups run it unchained. Drop chained: false.');
  });
});
