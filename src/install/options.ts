/** Settings of the Istio charts an AmbientMesh installs. */
import * as kplus from 'cdk8s-plus-28';

/** The Istio Helm charts, in install order. */
export enum IstioChart {
  /** CRDs and cluster roles. */
  BASE = 'base',
  /** The control plane. */
  ISTIOD = 'istiod',
  /** The CNI node agent that redirects pod traffic to ztunnel. */
  CNI = 'cni',
  /** The per-node L4 proxy. */
  ZTUNNEL = 'ztunnel',
  /** An ingress gateway deployment (optional). */
  GATEWAY = 'gateway',
}

/** Kubernetes platforms with an Istio platform profile (`global.platform`). */
export enum MeshPlatform {
  /** Google Kubernetes Engine. */
  GKE = 'gke',
  /** k3d. */
  K3D = 'k3d',
  /** k3s. */
  K3S = 'k3s',
  /** MicroK8s. */
  MICROK8S = 'microk8s',
  /** minikube. */
  MINIKUBE = 'minikube',
  /** OpenShift (cni and ztunnel go to kube-system). */
  OPENSHIFT = 'openshift',
  /** Amazon EKS: refused, Istio has no EKS platform profile (see the error for what EKS needs). */
  EKS = 'eks',
}

/** What the mesh does with traffic to hosts it does not know (`meshConfig.outboundTrafficPolicy`). */
export enum OutboundTrafficPolicy {
  /** Pass it through. */
  ALLOW_ANY = 'ALLOW_ANY',
  /**
   * Block it at sidecars: only ServiceEntry hosts are reachable from them. ztunnel does not enforce it
   * (istio/istio#54281), so ambient pods are not restricted; use a NetworkPolicy egress rule and
   * `EgressHost` for them (the analyzer warns, AMB134).
   */
  REGISTRY_ONLY = 'REGISTRY_ONLY',
}

/** istiod settings. */
export interface IstiodOptions {
  /**
   * Fixed replica count (turns autoscaling off).
   * @default - autoscaling 1 to 5 replicas (chart default)
   */
  readonly replicas?: number;
  /**
   * Autoscaling bounds. Not together with `replicas`.
   * @default - chart default (1 to 5)
   */
  readonly minReplicas?: number;
  /**
   * Autoscaling upper bound.
   * @default - chart default (5)
   */
  readonly maxReplicas?: number;
  /**
   * Container resources.
   * @default - chart default (requests 500m / 2048Mi)
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Extra environment variables (feature flags), e.g. `{ ENABLE_INGRESS_WAYPOINT_ROUTING: 'true' }`.
   * @default - none
   */
  readonly env?: { [name: string]: string };
}

/** istio-cni settings. */
export interface CniOptions {
  /**
   * Chart version; at most one minor older than istiod, never newer.
   * @default - the mesh version
   */
  readonly version?: string;
  /**
   * Namespace of the cni release.
   * @default - "kube-system" on OpenShift, else the mesh namespace
   */
  readonly namespace?: string;
  /**
   * Directory of the CNI plugin binaries on the nodes.
   * @default - chart or platform default (/opt/cni/bin)
   */
  readonly binDir?: string;
  /**
   * Directory of the CNI network configuration on the nodes.
   * @default - chart or platform default (/etc/cni/net.d)
   */
  readonly confDir?: string;
  /**
   * Chain istio-cni after the cluster's primary CNI (set false for Multus).
   * @default - chart default (true)
   */
  readonly chained?: boolean;
  /**
   * Namespaces whose pods the CNI agent never touches.
   * @default - chart default ([kube-system])
   */
  readonly excludeNamespaces?: string[];
  /**
   * Container resources.
   * @default - chart default
   */
  readonly resources?: kplus.ContainerResources;
}

/** ztunnel settings. */
export interface ZtunnelOptions {
  /**
   * Chart version; at most one minor older than istiod, never newer.
   * @default - the mesh version
   */
  readonly version?: string;
  /**
   * Namespace of the ztunnel release.
   * @default - "kube-system" on OpenShift, else the mesh namespace
   */
  readonly namespace?: string;
  /**
   * Container resources.
   * @default - chart default (requests 200m / 512Mi)
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Log level, e.g. "info" or "debug".
   * @default "info"
   */
  readonly logLevel?: string;
}

/** Mesh-wide settings (`meshConfig`). */
export interface MeshConfigOptions {
  /**
   * Traffic to unknown hosts.
   * @default - ALLOW_ANY (Istio's default)
   */
  readonly outboundTrafficPolicy?: OutboundTrafficPolicy;
  /**
   * File for Envoy access logs of waypoints and gateways, e.g. "/dev/stdout".
   * @default - access logs off unless a Telemetry turns them on
   */
  readonly accessLogFile?: string;
  /**
   * Tracing providers used when a Telemetry names none.
   * @default - none
   */
  readonly defaultTracingProviders?: string[];
  /**
   * Access-log providers used when a Telemetry names none.
   * @default - none
   */
  readonly defaultAccessLogProviders?: string[];
}

/** The optional ingress gateway chart install. */
export interface IngressGatewayInstallOptions {
  /**
   * Namespace of the gateway release.
   * @default "istio-ingress"
   */
  readonly namespace?: string;
  /**
   * Release name (and Deployment name).
   * @default "istio-ingress"
   */
  readonly releaseName?: string;
  /**
   * Service type.
   * @default "LoadBalancer"
   */
  readonly serviceType?: string;
}

/** Image registry and tag for all components. */
export interface MeshImageOptions {
  /**
   * Registry, e.g. "registry.example.com/istio".
   * @default - the chart's (registry.istio.io/release)
   */
  readonly hub?: string;
  /**
   * Image tag.
   * @default - the chart version
   */
  readonly tag?: string;
}

/** Extra values per chart, merged last. Keys the 1.30 charts do not have are refused. */
export interface ChartValueOverrides {
  /** @default - none */
  readonly base?: { [key: string]: any };
  /** @default - none */
  readonly istiod?: { [key: string]: any };
  /** @default - none */
  readonly cni?: { [key: string]: any };
  /** @default - none */
  readonly ztunnel?: { [key: string]: any };
  /** @default - none */
  readonly gateway?: { [key: string]: any };
}

