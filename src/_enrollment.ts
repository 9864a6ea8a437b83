import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { MeshContext } from './_context';
import type { LabelTarget } from './_kube-inputs';
import { invalidateSynthMemo } from './_memo';
import { MeshRegistry } from './_registry';
import { constructError } from './_validation';
import { IstioLabels } from './labels';
import type { IWaypoint } from './waypoint';

/** Per waypoint: namespaces (other than its own) enrolled in it, with the first consumer's path (a MeshContext slot). */
const CONSUMERS_SLOT = 'enrollment.consumers';

function consumersOfApp(scope: IConstruct): Map<IWaypoint, Map<string, string>> {
  return MeshContext.of(scope).slot(CONSUMERS_SLOT, () => new Map<IWaypoint, Map<string, string>>());
}

/** Namespaces enrolled in a waypoint from outside its own namespace, keyed by name. */
export function consumerNamespacesOf(waypoint: IWaypoint): Map<string, string> {
  return consumersOfApp(waypoint).get(waypoint) ?? new Map();
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
  const all = consumersOfApp(waypoint);
  let consumers = all.get(waypoint);
  if (!consumers) {
    consumers = new Map();
    all.set(waypoint, consumers);
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
  return MeshRegistry.of(scope).service(namespace, name);
}
