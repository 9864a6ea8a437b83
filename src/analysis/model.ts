/**
 * A resolved model of what Istio ambient will do with a set of manifests: which namespaces and pods
 * are in ambient, which waypoint serves each Service and pod, and where each policy is enforced.
 * Built in one pass with hash indexes, so it is linear in the number of objects.
 */
import { CORE_SCHEMA, load } from '../_yaml';

/** A Kubernetes object as written in a manifest. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: { [k: string]: string };
    readonly annotations?: { [k: string]: string };
  };
  readonly spec?: any;
  readonly data?: any;
}

/** An object and where it came from (file, or construct path). */
export interface Located {
  readonly obj: K8sObject;
  readonly source?: string;
}

export interface NamespaceInfo {
  readonly name: string;
  readonly labels: { [k: string]: string };
  readonly located: Located;
  /** Labelled ambient and not overridden by sidecar injection. */
  readonly ambient: boolean;
  /** Sidecar injection labels present. */
  readonly sidecar: boolean;
}

export interface WaypointInfo {
  readonly name: string;
  readonly namespace: string;
  readonly trafficType: string;
  readonly located: Located;
}

export interface WaypointRef {
  readonly name: string;
  readonly namespace: string;
}

export interface ServiceInfo {
  readonly name: string;
  readonly namespace: string;
  readonly located: Located;
  readonly selector: { [k: string]: string };
  readonly ports: any[];
  readonly headless: boolean;
  /** The waypoint that serves traffic addressed to the Service, if any. */
  readonly waypoint?: WaypointRef;
  /** The Service itself carries use-waypoint (beats the namespace). */
  readonly explicitWaypointLabel: boolean;
  readonly ingressUseWaypoint: boolean;
}

export interface WorkloadInfo {
  readonly name: string;
  readonly namespace: string;
  readonly located: Located;
  readonly podLabels: { [k: string]: string };
  readonly serviceAccount: string;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

export const BUILT_IN_PROVIDERS = ['envoy', 'prometheus', 'stackdriver'];

export function key(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

export function isTrue(value: string | undefined): boolean {
  return value?.toLowerCase() === 'true';
}

/** Do two label selectors possibly select the same pods (no key with different values)? */
export function selectorsOverlap(a: { [k: string]: string }, b: { [k: string]: string }): boolean {
  for (const [k, v] of Object.entries(a)) if (k in b && b[k] !== v) return false;
  return true;
}

export class MeshModel {
  public readonly objects: Located[] = [];
  public readonly byKind = new Map<string, Located[]>();
  public readonly namespaces = new Map<string, NamespaceInfo>();
  public readonly waypoints = new Map<string, WaypointInfo>();
  public readonly ingressGateways = new Map<string, Located>();
  public readonly services = new Map<string, ServiceInfo>();
  public readonly servicesByNamespace = new Map<string, ServiceInfo[]>();
  public readonly workloadsByNamespace = new Map<string, WorkloadInfo[]>();
  /** Telemetry providers defined in meshConfig, when an istiod install is part of the manifests. */
  public providers?: Set<string>;
  /** Chart releases of Istio installs in the manifests (HelmRelease / Application). */
  public readonly chartReleases: { chart: string; namespace: string; version: string; located: Located }[] = [];
  /** Waypoints referenced by some use-waypoint label. */
  public readonly referencedWaypoints = new Set<string>();

  public constructor(objects: Located[]) {
    for (const located of objects) {
      const o = located.obj;
      if (!o || typeof o !== 'object' || !o.kind || !o.apiVersion) continue;
      this.objects.push(located);
      const list = this.byKind.get(o.kind) ?? [];
      list.push(located);
      this.byKind.set(o.kind, list);
    }
    for (const l of this.kind('Namespace')) this.addNamespace(l);
    for (const l of this.kind('Gateway')) this.addGateway(l);
    for (const l of this.kind('Service')) this.addService(l);
    for (const l of this.objects) if (WORKLOAD_KINDS.has(l.obj.kind) && l.obj.apiVersion !== 'gateway.networking.k8s.io/v1') this.addWorkload(l);
    this.readInstall();
  }

  public kind(kind: string): Located[] {
    return this.byKind.get(kind) ?? [];
  }

  /** true/false when the namespace is in the manifests, undefined when unknown. */
  public isAmbient(namespace: string | undefined): boolean | undefined {
    const ns = this.namespaces.get(namespace ?? 'default');
    return ns ? ns.ambient : undefined;
  }

  /** The waypoint a namespace label names, if any (use-waypoint: none means none). */
  public namespaceWaypoint(namespace: string): WaypointRef | undefined {
    const ns = this.namespaces.get(namespace);
    const name = ns?.labels['istio.io/use-waypoint'];
    if (!name || name === 'none') return undefined;
    return { name, namespace: ns!.labels['istio.io/use-waypoint-namespace'] ?? namespace };
  }

  public service(namespace: string | undefined, name: string): ServiceInfo | undefined {
    return this.services.get(key(namespace ?? 'default', name));
  }

  public waypoint(ref: WaypointRef | undefined): WaypointInfo | undefined {
    return ref ? this.waypoints.get(key(ref.namespace, ref.name)) : undefined;
  }

  /** Pod-addressed traffic: the pod's own waypoint, else the namespace's if it serves workload traffic. */
  public podWaypoint(namespace: string, podLabels: { [k: string]: string }): WaypointRef | undefined {
    const own = podLabels['istio.io/use-waypoint'];
    if (own === 'none') return undefined;
    if (own) return { name: own, namespace: podLabels['istio.io/use-waypoint-namespace'] ?? namespace };
    const nsWaypoint = this.namespaceWaypoint(namespace);
    const info = this.waypoint(nsWaypoint);
    return info && (info.trafficType === 'workload' || info.trafficType === 'all') ? nsWaypoint : undefined;
  }

  /** Waypoint-served Services of a namespace whose pods a selector could also select. */
  public waypointServicesOverlapping(namespace: string, selector: { [k: string]: string } | undefined): ServiceInfo[] {
    return (this.servicesByNamespace.get(namespace) ?? [])
      .filter(s => s.waypoint && !s.headless && Object.keys(s.selector).length > 0 && (!selector || selectorsOverlap(selector, s.selector)));
  }

  private addNamespace(l: Located): void {
    const labels = { ...(l.obj.metadata.labels ?? {}) };
    const sidecar = (labels['istio-injection'] !== undefined && labels['istio-injection'] !== 'disabled') || labels['istio.io/rev'] !== undefined;
    const ambient = labels['istio.io/dataplane-mode'] === 'ambient' && !sidecar;
    const name = l.obj.metadata.name ?? '';
    this.namespaces.set(name, { name, labels, located: l, ambient, sidecar });
    if (labels['istio.io/use-waypoint'] && labels['istio.io/use-waypoint'] !== 'none') {
      this.referencedWaypoints.add(key(labels['istio.io/use-waypoint-namespace'] ?? name, labels['istio.io/use-waypoint']));
    }
  }

  private addGateway(l: Located): void {
    const o = l.obj;
    if (o.apiVersion.split('/')[0] !== 'gateway.networking.k8s.io') return;
    const ns = o.metadata.namespace ?? 'default';
    if (o.spec?.gatewayClassName === 'istio-waypoint') {
      this.waypoints.set(key(ns, o.metadata.name), {
        name: o.metadata.name ?? '',
        namespace: ns,
        trafficType: o.metadata.labels?.['istio.io/waypoint-for'] ?? 'service',
        located: l,
      });
    } else if (o.spec?.gatewayClassName === 'istio') {
      this.ingressGateways.set(key(ns, o.metadata.name), l);
    }
  }

  private addService(l: Located): void {
    const o = l.obj;
    if (o.apiVersion !== 'v1') return;
    const ns = o.metadata.namespace ?? 'default';
    const labels = o.metadata.labels ?? {};
    const own = labels['istio.io/use-waypoint'];
    let waypoint: WaypointRef | undefined;
    if (own !== undefined) {
      waypoint = own === 'none' ? undefined : { name: own, namespace: labels['istio.io/use-waypoint-namespace'] ?? ns };
    } else {
      waypoint = this.namespaceWaypoint(ns);
    }
    const headless = o.spec?.clusterIP === 'None';
    const nsLabels = this.namespaces.get(ns)?.labels ?? {};
    const ingressLabel = labels['istio.io/ingress-use-waypoint'];
    const info: ServiceInfo = {
      name: o.metadata.name ?? '',
      namespace: ns,
      located: l,
      selector: { ...(o.spec?.selector ?? {}) },
      ports: o.spec?.ports ?? [],
      headless,
      waypoint: headless ? undefined : waypoint,
      explicitWaypointLabel: own !== undefined,
      ingressUseWaypoint: ingressLabel !== undefined ? isTrue(ingressLabel) : isTrue(nsLabels['istio.io/ingress-use-waypoint']),
    };
    this.services.set(key(ns, info.name), info);
    const list = this.servicesByNamespace.get(ns) ?? [];
    list.push(info);
    this.servicesByNamespace.set(ns, list);
    if (own && own !== 'none') this.referencedWaypoints.add(key(waypoint!.namespace, own));
  }

  private addWorkload(l: Located): void {
    const o = l.obj;
    const ns = o.metadata.namespace ?? 'default';
    const template = o.kind === 'Pod' ? o : o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template : o.spec?.template;
    const podLabels = { ...(template?.metadata?.labels ?? {}) };
    const info: WorkloadInfo = {
      name: o.metadata.name ?? '',
      namespace: ns,
      located: l,
      podLabels,
      serviceAccount: template?.spec?.serviceAccountName ?? 'default',
    };
    const list = this.workloadsByNamespace.get(ns) ?? [];
    list.push(info);
    this.workloadsByNamespace.set(ns, list);
    const own = podLabels['istio.io/use-waypoint'];
    if (own && own !== 'none') this.referencedWaypoints.add(key(podLabels['istio.io/use-waypoint-namespace'] ?? ns, own));
  }

  /** meshConfig providers and chart versions from an install in the manifests (Flux, Argo CD, ConfigMap). */
  private readInstall(): void {
    const providersFrom = (meshConfig: any) => {
      this.providers ??= new Set(BUILT_IN_PROVIDERS);
      for (const p of meshConfig?.extensionProviders ?? []) if (p?.name) this.providers.add(p.name);
    };
    for (const l of this.kind('HelmRelease')) {
      const chart = l.obj.spec?.chart?.spec?.chart;
      const releaseNs = l.obj.spec?.targetNamespace ?? l.obj.metadata.namespace ?? 'default';
      if (chart) this.chartReleases.push({ chart, namespace: releaseNs, version: String(l.obj.spec.chart.spec.version ?? ''), located: l });
      if (chart === 'istiod') providersFrom(l.obj.spec?.values?.meshConfig);
    }
    for (const l of this.kind('Application')) {
      const source = l.obj.spec?.source;
      if (source?.chart) this.chartReleases.push({ chart: source.chart, namespace: l.obj.spec?.destination?.namespace ?? 'default', version: String(source.targetRevision ?? ''), located: l });
      if (source?.chart === 'istiod') providersFrom(source.helm?.valuesObject?.meshConfig);
    }
    for (const l of this.kind('ConfigMap')) {
      const name = l.obj.metadata.name ?? '';
      if ((name === 'istio' || name.startsWith('istio-')) && typeof l.obj.data?.mesh === 'string') {
        try {
          providersFrom(load(l.obj.data.mesh, { schema: CORE_SCHEMA }));
        } catch {
          // not a mesh config
        }
      }
    }
  }
}
