import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import type { LabelTarget } from './_kube-inputs';
import { invalidateSynthMemo } from './_memo';
import { constructError } from './_validation';
import { IstioLabels } from './labels';
import type { IWaypoint } from './waypoint';

// Namespaces (other than the waypoint's own) enrolled in each waypoint, with the first consumer's path.
const CONSUMERS = new WeakMap<IWaypoint, Map<string, string>>();

/** Namespaces enrolled in a waypoint from outside its own namespace, keyed by name. */
export function consumerNamespacesOf(waypoint: IWaypoint): Map<string, string> {
  return CONSUMERS.get(waypoint) ?? new Map();
}

/**
 * Labels a consumer (namespace, Service or pod template) with `istio.io/use-waypoint`, plus
 * `istio.io/use-waypoint-namespace` across namespaces, and records the consumer's namespace so the
 * waypoint can admit it.
 */
export function enrollConsumer(waypoint: IWaypoint, metadata: LabelTarget, consumerNamespace: string, consumerPath: string): void {
  invalidateSynthMemo(waypoint);
  const current = metadata.getLabel(IstioLabels.USE_WAYPOINT);
  const currentNs = metadata.getLabel(IstioLabels.USE_WAYPOINT_NAMESPACE) ?? consumerNamespace;
  if (current !== undefined && (current !== waypoint.name || currentNs !== waypoint.namespace)) {
    throw constructError(waypoint, `${consumerPath} already uses waypoint "${currentNs}/${current}" (istio.io/use-waypoint); an object uses one waypoint. Remove the other enrollment first.`);
  }
  metadata.addLabel(IstioLabels.USE_WAYPOINT, waypoint.name);
  if (consumerNamespace === waypoint.namespace) return;
  metadata.addLabel(IstioLabels.USE_WAYPOINT_NAMESPACE, waypoint.namespace);
  let consumers = CONSUMERS.get(waypoint);
  if (!consumers) {
    consumers = new Map();
    CONSUMERS.set(waypoint, consumers);
  }
  if (!consumers.has(consumerNamespace)) consumers.set(consumerNamespace, consumerPath);
}

export function servesServices(waypoint: IWaypoint): boolean {
  return waypoint.trafficType === 'service' || waypoint.trafficType === 'all';
}

export function servesWorkloads(waypoint: IWaypoint): boolean {
  return waypoint.trafficType === 'workload' || waypoint.trafficType === 'all';
}

/** Finds a Service object declared anywhere in the app (cdk8s-plus, ApiObject or Include). */
export function findServiceObject(scope: IConstruct, name: string, namespace: string): ApiObject | undefined {
  for (const node of scope.node.root.node.findAll()) {
    if (!ApiObject.isApiObject(node)) continue;
    if (node.kind === 'Service' && node.apiVersion === 'v1' && node.name === name && node.metadata.namespace === namespace) {
      return node;
    }
  }
  return undefined;
}
