import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { MeshContext } from './_context';
import { MeshRegistry } from './_registry';
import { checkNamespaceName, checkObjectName, wholeSeconds } from './_validation';
import * as mon from './imports/monitoring.coreos.com';
import { IstioChart } from './install';

/** Names of the monitors `MeshMetrics` writes (to keep monitors that already exist). */
export interface MeshMetricsNames {
  /** @default "istiod" */
  readonly istiod?: string;
  /** @default "ztunnel" */
  readonly ztunnel?: string;
  /** @default "waypoints" */
  readonly waypoints?: string;
  /** @default "ingress-gateways" */
  readonly ingressGateways?: string;
  /** @default - the gateway chart's release name */
  readonly gatewayChart?: string;
}

/** Props for `MeshMetrics`. */
export interface MeshMetricsProps {
  /**
   * Namespace of istiod.
   * @default - the app's AmbientMesh namespace, else "istio-system"
   */
  readonly istiodNamespace?: string;
  /**
   * Namespace of ztunnel.
   * @default - the app's AmbientMesh ztunnel namespace, else "istio-system"
   */
  readonly ztunnelNamespace?: string;
  /**
   * Scrape waypoints (all namespaces).
   * @default true
   */
  readonly waypoints?: boolean;
  /**
   * Scrape ingress gateways: Gateway API gateways of class `istio` (all namespaces, 15020) and the
   * `gateway` chart's pods of the app's AmbientMesh (15090).
   * @default true
   */
  readonly ingressGateways?: boolean;
  /**
   * Scrape interval.
   * @default Duration.seconds(30)
   */
  readonly interval?: Duration;
  /**
   * Names of the monitors.
   * @default - istiod, ztunnel, waypoints, ingress-gateways, and the gateway chart's release name
   */
  readonly names?: MeshMetricsNames;
  /**
   * Labels on the monitors, for the Prometheus `serviceMonitorSelector`/`podMonitorSelector`.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
}

/** Label istiod puts on the workloads it deploys for waypoints and gateways. */
export const WAYPOINT_MANAGED_LABEL = 'gateway.istio.io/managed';
/** Its value on waypoints (`constants.ManagedGatewayMeshControllerLabel`). */
const MESH_CONTROLLER = 'istio.io-mesh-controller';
/** Its value on Gateway API gateways of class `istio` (`constants.ManagedGatewayControllerLabel`). */
const GATEWAY_CONTROLLER = 'istio.io-gateway-controller';

/**
 * prometheus-operator monitors for the ambient data and control plane, on their real ports:
 * istiod (`http-monitoring`, 15014, `/metrics`), ztunnel (15020, `/stats/prometheus`,
 * `reporter="source"` metrics) and waypoints (15020, `/stats/prometheus`, `reporter="waypoint"`).
 * Ambient has no metrics merging: ztunnel and waypoints are scraped separately.
 */
export class MeshMetrics extends Construct {
  public constructor(scope: Construct, id: string, props: MeshMetricsProps = {}) {
    super(scope, id);
    if (props.istiodNamespace !== undefined) checkNamespaceName(this, 'istiodNamespace', props.istiodNamespace);
    if (props.ztunnelNamespace !== undefined) checkNamespaceName(this, 'ztunnelNamespace', props.ztunnelNamespace);
    const interval = `${wholeSeconds(this, 'interval', props.interval ?? Duration.seconds(30))}s`;
    for (const [what, name] of Object.entries(props.names ?? {})) checkObjectName(this, `names.${what}`, name as string);
    // The monitors are written at synth: their namespaces and the gateway chart's monitor come from
    // the app's AmbientMesh, which may be declared after this construct.
    MeshContext.of(this).onPrepare(`mesh-metrics ${this.node.path}`, () => this.emitMonitors(props, interval));
  }

  private emitMonitors(props: MeshMetricsProps, interval: string): void {
    if (this.node.tryFindChild('Istiod')) return;
    const mesh = MeshRegistry.of(this).mesh;
    const istiodNamespace = props.istiodNamespace ?? mesh?.namespace ?? 'istio-system';
    const ztunnelNamespace = props.ztunnelNamespace
      ?? (mesh ? mesh.releaseNamespace(IstioChart.ZTUNNEL) : 'istio-system');
    const labels = props.labels && Object.keys(props.labels).length ? { ...props.labels } : undefined;
    const names = props.names ?? {};

    new mon.ServiceMonitor(this, 'Istiod', {
      metadata: { name: names.istiod ?? 'istiod', namespace: istiodNamespace, labels },
      spec: {
        // Revision-tag Services (istiod-revision-tag-<tag>) select the same pods: skip them.
        selector: { matchLabels: { app: 'istiod' }, matchExpressions: [{ key: 'istio.io/tag', operator: 'DoesNotExist' }] },
        endpoints: [{ port: 'http-monitoring', path: '/metrics', interval }],
      },
    });
    new mon.PodMonitor(this, 'Ztunnel', {
      metadata: { name: names.ztunnel ?? 'ztunnel', namespace: ztunnelNamespace, labels },
      spec: {
        selector: { matchLabels: { app: 'ztunnel' } },
        podMetricsEndpoints: [{ portNumber: 15020, path: '/stats/prometheus', interval }],
      },
    });
    if (props.waypoints ?? true) {
      new mon.PodMonitor(this, 'Waypoints', {
        metadata: { name: names.waypoints ?? 'waypoints', namespace: istiodNamespace, labels },
        spec: {
          namespaceSelector: { any: true },
          selector: { matchLabels: { [WAYPOINT_MANAGED_LABEL]: MESH_CONTROLLER } },
          podMetricsEndpoints: [{ portNumber: 15020, path: '/stats/prometheus', interval }],
        },
      });
    }
    if (props.ingressGateways ?? true) {
      new mon.PodMonitor(this, 'IngressGateways', {
        metadata: { name: names.ingressGateways ?? 'ingress-gateways', namespace: istiodNamespace, labels },
        spec: {
          namespaceSelector: { any: true },
          selector: { matchLabels: { [WAYPOINT_MANAGED_LABEL]: GATEWAY_CONTROLLER } },
          podMetricsEndpoints: [{ portNumber: 15020, path: '/stats/prometheus', interval }],
        },
      });
      const chartGateway = mesh?.charts.includes(IstioChart.GATEWAY) ? mesh : undefined;
      if (chartGateway) {
        // The gateway chart labels its pods app: <release name> and declares Envoy's stats port 15090 (http-envoy-prom).
        const release = chartGateway.releaseName(IstioChart.GATEWAY);
        new mon.PodMonitor(this, 'GatewayChart', {
          metadata: { name: names.gatewayChart ?? release, namespace: chartGateway.releaseNamespace(IstioChart.GATEWAY), labels },
          spec: {
            selector: { matchLabels: { app: release } },
            podMetricsEndpoints: [{ port: 'http-envoy-prom', path: '/stats/prometheus', interval }],
          },
        });
      }
    }
  }
}
