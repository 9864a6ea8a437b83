/**
 * A resolved model of what Istio ambient will do with a set of manifests: which namespaces and pods
 * are in ambient, which waypoint serves each Service and pod, and where each policy is enforced.
 * Built in one pass with hash indexes, so it is linear in the number of objects.
 */
import { CORE_SCHEMA, load } from '../_yaml';
import {
  BindingContext, podsWaypoint, resolveWaypoint, WaypointBinding, waypointAllowedRoutes, waypointTrafficType,
} from '../semantics/binding';
import { namespaceInjectsSidecars, namespaceIsAmbient, podMembership, PodMembership } from '../semantics/membership';
import { PodLabelIndex, SelectorIndex, selectingSamePods } from '../semantics/selectors';

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
  /** Labelled ambient and not overridden by sidecar injection (`src/semantics/membership.ts`). */
  readonly ambient: boolean;
  /** Its labels turn on sidecar injection (`istio-injection=enabled`, or `istio.io/rev` alone). */
  readonly sidecar: boolean;
}

export interface WaypointInfo {
  readonly name: string;
  readonly namespace: string;
  readonly trafficType: string;
  /** `allowedRoutes.namespaces.from` of the HBONE listener (`Same` by default). */
  readonly allowedFrom: string;
  readonly allowedSelector?: { [k: string]: string };
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
  /**
   * The waypoint the labels bind the Service to (Service label, else namespace label). A headless
   * Service has no VIP: its traffic is pod-addressed, so this is its pods' workload waypoint.
   */
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
  readonly podAnnotations: { [k: string]: string };
  readonly serviceAccount: string;
  /** Sidecar or ambient, from the pod's and its namespace's labels (`src/semantics/membership.ts`). */
  readonly membership: PodMembership;
}

/** The pods istiod deploys for a Gateway API gateway (ingress or waypoint), as their labels. */
export interface GatewayPods {
  readonly gateway: string;
  readonly namespace: string;
  readonly waypoint: boolean;
  readonly labels: { [k: string]: string };
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

export const BUILT_IN_PROVIDERS = ['envoy', 'prometheus', 'stackdriver'];

export function key(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

export function isTrue(value: string | undefined): boolean {
  return value?.toLowerCase() === 'true';
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
  /** The meshConfig of an istiod install in the manifests (first found), if any. */
  public meshConfig?: any;
  /** meshConfig.extensionProviders of every istiod install in the manifests. */
  public readonly extensionProviders: any[] = [];
  /** Pods of Gateway API gateways, per namespace: from Gateway objects (labels istiod gives them) and Pod objects. */
  public readonly gatewayPods = new Map<string, GatewayPods[]>();
  /** meshConfig.rootNamespace of an install in the manifests (where mesh-wide policies live). */
  public rootNamespace = 'istio-system';
  /** Chart releases of Istio installs in the manifests (HelmRelease / Application). */
  public readonly chartReleases: { chart: string; namespace: string; version: string; located: Located }[] = [];
  /** Waypoints referenced by some use-waypoint label. */
  public readonly referencedWaypoints = new Set<string>();
  /** Namespaces with Pods annotated `ambient.istio.io/redirection: enabled`. */
  private readonly redirectedNamespaces: Set<string>;
  private readonly gatewayClassLabels = new Map<string, { [k: string]: string }>();
  /** Per namespace, its workloads indexed by pod label (built on first use, once every workload is read). */
  private readonly workloadIndexes = new Map<string, PodLabelIndex<WorkloadInfo>>();
  /** Per namespace, its waypoint-served Services with a selector, indexed by selector label (built on first use). */
  private readonly waypointServiceIndexes = new Map<string, SelectorIndex<ServiceInfo>>();

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
    for (const l of this.kind('GatewayClass')) this.gatewayClassLabels.set(l.obj.metadata.name ?? '', l.obj.metadata.labels ?? {});
    for (const l of this.kind('Gateway')) this.addGateway(l);
    for (const l of this.objects) if (WORKLOAD_KINDS.has(l.obj.kind) && l.obj.apiVersion !== 'gateway.networking.k8s.io/v1') this.addWorkload(l);
    this.redirectedNamespaces = new Set([...this.workloadsByNamespace.values()].flat()
      .filter(w => w.podAnnotations['ambient.istio.io/redirection'] === 'enabled').map(w => w.namespace));
    // Services after workloads: a headless Service's waypoint is its pods'.
    for (const l of this.kind('Service')) this.addService(l);
    this.readInstall();
  }

  public kind(kind: string): Located[] {
    return this.byKind.get(kind) ?? [];
  }

  /**
   * true/false when the namespace is in the manifests, undefined when unknown. Without a Namespace
   * object, a namespace whose Pods carry `ambient.istio.io/redirection: enabled` (set by istio-cni on
   * captured pods) counts as ambient.
   */
  public isAmbient(namespace: string | undefined): boolean | undefined {
    const ns = this.namespaces.get(namespace ?? 'default');
    if (ns) return ns.ambient;
    return this.redirectedNamespaces.has(namespace ?? 'default') ? true : undefined;
  }

  /** Pod label sets of the namespace's workloads in the manifests. */
  public podLabelSets(namespace: string): { [k: string]: string }[] {
    return (this.workloadsByNamespace.get(namespace) ?? []).map(w => w.podLabels);
  }

  /** The namespace's workloads indexed by pod label: what a selector selects, without scanning them all. */
  public workloadIndex(namespace: string): PodLabelIndex<WorkloadInfo> {
    let index = this.workloadIndexes.get(namespace);
    if (!index) {
      index = new PodLabelIndex(this.workloadsByNamespace.get(namespace) ?? [], w => w.podLabels);
      this.workloadIndexes.set(namespace, index);
    }
    return index;
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

  /** What waypoint binding needs from the manifests. */
  public get bindingContext(): BindingContext {
    return {
      waypoint: (namespace, name) => this.waypoints.get(key(namespace, name)),
      namespaceLabels: namespace => this.namespaces.get(namespace)?.labels,
    };
  }

  /** Pod-addressed traffic: the pod's own waypoint, else the namespace's if it serves workload traffic. */
  public podWaypoint(namespace: string, podLabels: { [k: string]: string }): WaypointRef | undefined {
    return this.podBinding(namespace, podLabels).waypoint;
  }

  /** The binding of pod-addressed traffic, as istiod resolves it (existence, admission, traffic type). */
  public podBinding(namespace: string, podLabels: { [k: string]: string }): WaypointBinding {
    return resolveWaypoint(this.bindingContext, 'workload', namespace, podLabels);
  }

  /** The workloads (in the manifests) whose pods a Service selects. */
  public workloadsOf(svc: { namespace: string; selector: { [k: string]: string } }): WorkloadInfo[] {
    if (Object.keys(svc.selector).length === 0) return [];
    return [...this.workloadIndex(svc.namespace).select(svc.selector)];
  }

  /**
   * The waypoint serving traffic addressed to a Service, as istiod resolves it: the label binding,
   * if that waypoint exists, admits the namespace and serves Service traffic. Headless: its pods'.
   */
  public serviceBinding(svc: ServiceInfo): WaypointBinding {
    if (svc.headless) return this.headlessBinding(svc.namespace, svc.selector);
    return resolveWaypoint(this.bindingContext, 'service', svc.namespace, svc.located.obj.metadata.labels);
  }

  private headlessBinding(namespace: string, selector: { [k: string]: string }): WaypointBinding {
    const pods = this.workloadsOf({ namespace, selector }).map(w => this.podBinding(namespace, w.podLabels));
    return podsWaypoint(pods, this.podBinding(namespace, {}));
  }

  /** Waypoint-served Services of a namespace whose pods a selector could also select. */
  public waypointServicesOverlapping(namespace: string, selector: { [k: string]: string } | undefined): ServiceInfo[] {
    let served = this.waypointServiceIndexes.get(namespace);
    if (!served) {
      served = new SelectorIndex((this.servicesByNamespace.get(namespace) ?? [])
        .filter(s => s.waypoint && !s.headless && Object.keys(s.selector).length > 0), s => s.selector);
      this.waypointServiceIndexes.set(namespace, served);
    }
    return selector ? selectingSamePods(selector, served, this.workloadIndex(namespace)) : [...served.candidates];
  }

  private addNamespace(l: Located): void {
    const labels = { ...(l.obj.metadata.labels ?? {}) };
    const sidecar = namespaceInjectsSidecars(labels);
    const ambient = namespaceIsAmbient(labels);
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
    const waypoint = o.spec?.gatewayClassName === 'istio-waypoint';
    if (waypoint || o.spec?.gatewayClassName === 'istio') {
      // The labels istiod's deployment controller gives the gateway's pods (istio-discovery files/kube-gateway.yaml, waypoint.yaml).
      this.addGatewayPods({
        gateway: o.metadata.name ?? '',
        namespace: ns,
        waypoint,
        labels: {
          'gateway.networking.k8s.io/gateway-name': o.metadata.name ?? '',
          'gateway.istio.io/managed': waypoint ? 'istio.io-mesh-controller' : 'istio.io-gateway-controller',
        },
      });
    }
    if (waypoint) {
      const allowed = waypointAllowedRoutes(o.spec);
      this.waypoints.set(key(ns, o.metadata.name), {
        name: o.metadata.name ?? '',
        namespace: ns,
        trafficType: waypointTrafficType(o.metadata.labels, this.gatewayClassLabels.get(o.spec.gatewayClassName)),
        allowedFrom: allowed.from,
        allowedSelector: allowed.selector,
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
      waypoint: headless ? this.headlessBinding(ns, { ...(o.spec?.selector ?? {}) }).waypoint : waypoint,
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
    const podAnnotations = { ...(template?.metadata?.annotations ?? {}) };
    const gatewayName = podLabels['gateway.networking.k8s.io/gateway-name'];
    if (o.kind === 'Pod' && gatewayName) this.addGatewayPods({ gateway: gatewayName, namespace: ns, waypoint: false, labels: podLabels });
    const info: WorkloadInfo = {
      name: o.metadata.name ?? '',
      namespace: ns,
      located: l,
      podLabels,
      podAnnotations,
      serviceAccount: template?.spec?.serviceAccountName ?? 'default',
      membership: podMembership(this.namespaces.get(ns)?.labels, podLabels, podAnnotations),
    };
    const list = this.workloadsByNamespace.get(ns) ?? [];
    list.push(info);
    this.workloadsByNamespace.set(ns, list);
    const own = podLabels['istio.io/use-waypoint'];
    if (own && own !== 'none') this.referencedWaypoints.add(key(podLabels['istio.io/use-waypoint-namespace'] ?? ns, own));
  }

  private addGatewayPods(pods: GatewayPods): void {
    const list = this.gatewayPods.get(pods.namespace) ?? [];
    list.push(pods);
    this.gatewayPods.set(pods.namespace, list);
  }

  /** meshConfig providers and chart versions from an install in the manifests (Flux, Argo CD, ConfigMap). */
  private readInstall(): void {
    const providersFrom = (meshConfig: any) => {
      this.meshConfig ??= meshConfig ?? {};
      if (typeof meshConfig?.rootNamespace === 'string' && meshConfig.rootNamespace) this.rootNamespace = meshConfig.rootNamespace;
      this.providers ??= new Set(BUILT_IN_PROVIDERS);
      for (const p of meshConfig?.extensionProviders ?? []) {
        if (p?.name) this.providers.add(p.name);
        if (p) this.extensionProviders.push(p);
      }
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
