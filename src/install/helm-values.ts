/** The values each Istio chart gets from an AmbientMesh's settings: what every delivery form installs. */
import * as kplus from 'cdk8s-plus-28';
import { MeshTrustSettings, trustValues } from '../_mesh-trust-install';
import { DEFAULT_TRUST_DOMAIN } from '../mesh-identity';
import type { AmbientMeshProps } from './ambient-mesh';
import { IstioChart, MeshConfigOptions } from './options';

/** One Helm release of the install. */
export interface IstioRelease {
  /** The Istio chart. */
  readonly chart: IstioChart;
  /** Release name. */
  readonly releaseName: string;
  /** Namespace the chart is released into. */
  readonly namespace: string;
  /** Chart version. */
  readonly version: string;
}

/** What the values of the charts are made from. */
export interface ChartValuesInput {
  readonly props: AmbientMeshProps;
  /** Namespace of istiod. */
  readonly namespace: string;
  readonly releases: IstioRelease[];
  readonly trust: MeshTrustSettings;
  /** `meshConfig.extensionProviders` added by the app's tracing constructs. */
  readonly tracingProviders: any[];
}

/** The values of one release: generated, then trust and cluster settings, then the user's overrides. */
export function chartValues(release: IstioRelease, input: ChartValuesInput): { [key: string]: any } {
  const p = input.props;
  const namespace = input.namespace;
  const global: any = {};
  if (p.platform) global.platform = p.platform;
  let values: any;
  switch (release.chart) {
    case IstioChart.BASE:
      values = {
        defaultRevision: p.revision,
        base: p.validationFailurePolicyFail ?? true ? { validationFailurePolicy: 'Fail' } : undefined,
      };
      if (namespace !== 'istio-system') global.istioNamespace = namespace;
      break;
    case IstioChart.ISTIOD: {
      const ztunnelNs = input.releases.find(r => r.chart === IstioChart.ZTUNNEL)!.namespace;
      if (p.image?.hub) global.hub = p.image.hub;
      if (p.image?.tag) global.tag = p.image.tag;
      if (namespace !== 'istio-system') global.istioNamespace = namespace;
      const autoscale = p.istiod?.replicas !== undefined ? false
        : p.istiod?.minReplicas !== undefined || p.istiod?.maxReplicas !== undefined ? true : undefined;
      values = {
        profile: 'ambient',
        revision: p.revision,
        revisionTags: p.revisionTags?.length ? [...p.revisionTags] : undefined,
        replicaCount: p.istiod?.replicas,
        autoscaleEnabled: autoscale,
        autoscaleMin: p.istiod?.minReplicas,
        autoscaleMax: p.istiod?.maxReplicas,
        resources: renderResources(p.istiod?.resources),
        env: p.istiod?.env && Object.keys(p.istiod.env).length ? sortObject(p.istiod.env) : undefined,
        // Written whenever a platform is set: the OpenShift profile sets its own (kube-system).
        trustedZtunnelNamespace: ztunnelNs !== namespace || p.platform ? ztunnelNs : undefined,
        meshConfig: meshConfig(p.meshConfig ?? {}, input),
        base: p.validationFailurePolicyFail ?? true ? { validationFailurePolicy: 'Fail' } : undefined,
      };
      break;
    }
    case IstioChart.CNI:
      if (p.image?.hub) global.hub = p.image.hub;
      if (p.image?.tag) global.tag = p.image.tag;
      // Under `cni.`: the chart copies cni.* over the top level after the platform profile, so
      // only there do the user's settings win over the profile's (k3s, openshift, ...).
      values = {
        profile: 'ambient',
        revision: p.revision,
        cni: {
          cniBinDir: p.cni?.binDir,
          cniConfDir: p.cni?.confDir,
          chained: p.cni?.chained,
          excludeNamespaces: p.cni?.excludeNamespaces ? [...p.cni.excludeNamespaces] : undefined,
          resources: renderResources(p.cni?.resources),
        },
      };
      break;
    case IstioChart.ZTUNNEL:
      values = {
        profile: 'ambient',
        revision: p.revision,
        hub: p.image?.hub,
        tag: p.image?.tag,
        istioNamespace: namespace !== 'istio-system' ? namespace : undefined,
        logLevel: p.ztunnel?.logLevel,
        resources: renderResources(p.ztunnel?.resources),
      };
      break;
    case IstioChart.GATEWAY:
      values = {
        revision: p.revision,
        service: { type: p.ingressGateway?.serviceType ?? 'LoadBalancer' },
      };
      break;
  }
  if (Object.keys(global).length > 0) values.global = global;
  values = deepMerge(values, trustValues(release.chart, input.trust));
  const overrides = (p.values as any)?.[release.chart] ?? {};
  return prune(deepMerge(values, overrides));
}

function meshConfig(m: MeshConfigOptions, input: ChartValuesInput): any {
  const tracing = input.tracingProviders;
  const trustDomain = input.trust.trustDomain;
  const defaultProviders: any = {
    tracing: m.defaultTracingProviders?.length ? [...m.defaultTracingProviders] : undefined,
    accessLogging: m.defaultAccessLogProviders?.length ? [...m.defaultAccessLogProviders] : undefined,
  };
  return {
    trustDomain: trustDomain !== DEFAULT_TRUST_DOMAIN ? trustDomain : undefined,
    outboundTrafficPolicy: m.outboundTrafficPolicy ? { mode: m.outboundTrafficPolicy } : undefined,
    accessLogFile: m.accessLogFile,
    // The tracing constructs of the app add their providers, declared before or after the mesh.
    enableTracing: tracing.length ? true : undefined,
    defaultProviders,
    extensionProviders: tracing.length
      ? [...tracing].sort((a, b) => a.name.localeCompare(b.name)).map(e => JSON.parse(JSON.stringify(e)))
      : undefined,
  };
}

function renderResources(resources?: kplus.ContainerResources): any {
  if (!resources) return undefined;
  const requests: any = {};
  const limits: any = {};
  if (resources.cpu?.request) requests.cpu = resources.cpu.request.amount;
  if (resources.cpu?.limit) limits.cpu = resources.cpu.limit.amount;
  if (resources.memory?.request) requests.memory = `${resources.memory.request.toMebibytes()}Mi`;
  if (resources.memory?.limit) limits.memory = `${resources.memory.limit.toMebibytes()}Mi`;
  const out: any = {};
  if (Object.keys(requests).length) out.requests = requests;
  if (Object.keys(limits).length) out.limits = limits;
  return Object.keys(out).length ? out : undefined;
}

function sortObject(obj: { [key: string]: string }): { [key: string]: string } {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => a.localeCompare(b)));
}

function isPlainObject(x: any): boolean {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function deepMerge(base: any, override: any): any {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: any = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = deepMerge(base[k], v);
  return out;
}

/**
 * Drops undefined values, and maps left empty by that, and sorts keys, so values files are stable
 * and minimal. Maps that were empty to begin with (`resourceDetectors: { environment: {} }`) stay.
 */
export function prune(x: any): any {
  if (Array.isArray(x)) return x.map(prune);
  if (!isPlainObject(x)) return x;
  const out: any = {};
  for (const key of Object.keys(x).sort()) {
    const original = x[key];
    const v = prune(original);
    if (v === undefined) continue;
    if (isPlainObject(v) && Object.keys(v).length === 0 && Object.keys(original).length > 0) continue;
    out[key] = v;
  }
  return out;
}
