import * as kplus from 'cdk8s-plus-28';
import { parse } from 'yaml';
import { testChart } from './support';
import { AmbientMesh, AmbientMeshProps, IstioChart, MeshPlatform, OutboundTrafficPolicy } from '../src';
import { unknownValueKeys } from '../src/_chart-values';

/**
 * What istioctl hands each chart, from an IstioOperator (operator/pkg/render/manifest.go at 1.30.3):
 * spec.meshConfig -> meshConfig, spec.revision -> revision, values.pilot.* descoped into the istiod
 * chart, values.cni.* into istio-cni, values.ztunnel.* flattened for ztunnel; global shared.
 */
function chartValuesFromOperator(operator: any): { [chart: string]: any } {
  const v = operator.spec.values;
  const common = { profile: operator.spec.profile, revision: operator.spec.revision };
  return {
    istiod: { ...common, ...v.pilot, meshConfig: operator.spec.meshConfig, global: v.global, base: v.base },
    cni: { ...common, cni: v.cni, global: v.global },
    ztunnel: { ...common, ...v.ztunnel, global: v.global },
    base: { defaultRevision: v.defaultRevision, base: v.base, global: v.global },
  };
}

function plan(props: AmbientMeshProps) {
  const mesh = new AmbientMesh(testChart(), 'mesh', props);
  const p = mesh.istioctlInstall();
  return { mesh, plan: p, operator: parse(p.files['istio-operator.yaml']) };
}

describe('AmbientMesh.istioctlInstall', () => {
  test('defaults: profile ambient, the webhook failure policy, commands in order', () => {
    const { plan: p, operator } = plan({});
    expect(operator).toEqual({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: 'ambient', namespace: 'istio-system' },
      spec: {
        profile: 'ambient',
        components: { cni: { enabled: true }, ztunnel: { enabled: true } },
        values: { base: { validationFailurePolicy: 'Fail' } },
      },
    });
    expect(p.commands).toEqual([
      'istioctl version --remote=false  # must print 1.30.3',
      'kubectl get crd gateways.gateway.networking.k8s.io >/dev/null 2>&1 || kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml',
      'istioctl manifest generate -f istio-operator.yaml > istio-manifest.yaml  # review what will be applied',
      'istioctl install -y -f istio-operator.yaml',
    ]);
    expect(p.files['README.md']).toContain('```sh\nistioctl version --remote=false');
  });

  test('every Helm value reaches the same chart key through the IstioOperator', () => {
    const props: AmbientMeshProps = {
      platform: MeshPlatform.OPENSHIFT,
      revision: 'canary',
      trustDomain: 'prod.example.com',
      image: { hub: 'registry.example.com/istio', tag: '1.30.3-distroless' },
      istiod: { minReplicas: 2, maxReplicas: 4, env: { PILOT_X: '1' }, resources: { cpu: { request: kplus.Cpu.millis(250) } } },
      cni: { excludeNamespaces: ['kube-system', 'batch'] },
      ztunnel: { logLevel: 'debug' },
      meshConfig: { outboundTrafficPolicy: OutboundTrafficPolicy.REGISTRY_ONLY, accessLogFile: '/dev/stdout' },
      ingressGateway: { serviceType: 'ClusterIP' },
    };
    const { mesh, operator } = plan(props);
    const fromOperator = chartValuesFromOperator(operator);
    for (const chart of [IstioChart.ISTIOD, IstioChart.CNI, IstioChart.ZTUNNEL]) {
      const helm = mesh.valuesFor(chart);
      for (const [key, value] of Object.entries(helm)) {
        if (key === 'global') {
          for (const [g, gv] of Object.entries(value as any)) expect([chart, `global.${g}`, fromOperator[chart].global[g]]).toEqual([chart, `global.${g}`, gv]);
        } else {
          expect([chart, key, fromOperator[chart][key]]).toEqual([chart, key, value]);
        }
      }
      expect(unknownValueKeys(chart, fromOperator[chart])).toEqual([]);
    }
    expect(operator.spec.revision).toBe('canary');
    expect(operator.spec.meshConfig).toEqual({ accessLogFile: '/dev/stdout', outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, trustDomain: 'prod.example.com' });
    expect(operator.spec.components).toEqual({
      cni: { enabled: true, namespace: 'kube-system' },
      ztunnel: { enabled: true, namespace: 'kube-system' },
      ingressGateways: [{ name: 'istio-ingress', namespace: 'istio-ingress', enabled: true, k8s: { service: { type: 'ClusterIP' } } }],
    });
  });

  test('refused: per-component versions and gateway chart values (no istioctl equivalent)', () => {
    expect(() => plan({ ztunnel: { version: '1.30.1' } })).toThrow(
      '[test/mesh] ztunnel is pinned to another version than istiod; istioctl installs every component at its own version. Drop the ztunnel.version setting for the istioctl path, or install with Helm.');
    expect(() => plan({ ingressGateway: {}, values: { gateway: { replicaCount: 2 } } })).toThrow(
      '[test/mesh] values.gateway targets the Helm `gateway` chart; istioctl installs ingress gateways from another chart (gateways/istio-ingress), so these values have no IstioOperator equivalent. Drop them for the istioctl path, or install with Helm.');
  });
});
