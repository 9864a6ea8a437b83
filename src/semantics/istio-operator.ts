/**
 * The IstioOperator (istioctl) form of the Helm values of an ambient install: pure rules, no cdk8s.
 *
 * istioctl renders the same charts with one values tree (`operator/pkg/render/manifest.go`, Istio
 * 1.30.3): `spec.meshConfig` becomes `meshConfig`, `spec.revision` becomes `revision`; the istiod chart
 * reads `values.pilot.*` (its `zzy_descope_legacy.yaml` copies `pilot.*` to the top), the istio-cni chart
 * reads `values.cni.*` the same way, and the ztunnel component flattens `values.ztunnel.*`
 * (`FlattenValues`, `operator/pkg/component/component.go`). `global.*` is shared by all charts.
 */

export interface ChartValues {
  readonly base: { [key: string]: any };
  readonly istiod: { [key: string]: any };
  readonly cni: { [key: string]: any };
  readonly ztunnel: { [key: string]: any };
}

export interface OperatorComponents {
  readonly cniNamespace?: string;
  readonly ztunnelNamespace?: string;
  readonly ingressGateway?: { name: string; namespace: string; serviceType: string };
}

function without(values: { [key: string]: any }, keys: string[]): { [key: string]: any } {
  return Object.fromEntries(Object.entries(values).filter(([k]) => !keys.includes(k)));
}

function nonEmpty(values: { [key: string]: any }): { [key: string]: any } | undefined {
  return Object.keys(values).length ? values : undefined;
}

/** The IstioOperator resource that installs the same thing as the Helm values. */
export function istioOperatorFor(values: ChartValues, components: OperatorComponents): any {
  const chartKeys = ['profile', 'revision', 'global'];
  const global = { ...values.base.global, ...values.istiod.global, ...values.cni.global, ...values.ztunnel.global };
  const base = { ...values.base.base, ...values.istiod.base };
  const operatorValues: { [key: string]: any } = {
    defaultRevision: values.base.defaultRevision,
    global: nonEmpty(global),
    base: nonEmpty(base),
    pilot: nonEmpty(without(values.istiod, [...chartKeys, 'meshConfig', 'base'])),
    // The cni chart takes cni.* and top-level keys alike; nest everything under cni.
    cni: nonEmpty({ ...without(values.cni, [...chartKeys, 'cni']), ...values.cni.cni }),
    ztunnel: nonEmpty(without(values.ztunnel, chartKeys)),
  };
  const componentSpec: { [key: string]: any } = {
    cni: { enabled: true, namespace: components.cniNamespace },
    ztunnel: { enabled: true, namespace: components.ztunnelNamespace },
  };
  if (components.ingressGateway) {
    const gw = components.ingressGateway;
    componentSpec.ingressGateways = [{ name: gw.name, namespace: gw.namespace, enabled: true, k8s: { service: { type: gw.serviceType } } }];
  }
  return {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'ambient', namespace: global.istioNamespace ?? 'istio-system' },
    spec: {
      profile: 'ambient',
      revision: values.istiod.revision,
      meshConfig: values.istiod.meshConfig && Object.keys(values.istiod.meshConfig).length ? values.istiod.meshConfig : undefined,
      components: componentSpec,
      values: operatorValues,
    },
  };
}
