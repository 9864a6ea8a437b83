/**
 * Synth-time checks of a multi-cluster install against the app's Services (rules in semantics/multicluster).
 */
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { IstioLabels } from './labels';
import { GLOBAL_SERVICE_LABEL } from './multi-cluster';
import { IstioVersion, ingressSkipsWaypointAcrossNetworks } from './semantics/multicluster';

/** Global Services that ask ingress to use their waypoint, on an istiod that drops that across networks. */
export function ingressWaypointErrors(root: IConstruct, version: IstioVersion, versionText: string): string[] {
  if (!ingressSkipsWaypointAcrossNetworks(version)) return [];
  const objects = root.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
  const namespaceIngress = new Map<string, string>();
  for (const ns of objects.filter(o => o.kind === 'Namespace' && o.apiVersion === 'v1')) {
    const value = ns.toJson().metadata?.labels?.[IstioLabels.INGRESS_USE_WAYPOINT];
    if (value !== undefined) namespaceIngress.set(ns.name, value);
  }
  const errors: string[] = [];
  for (const svc of objects.filter(o => o.kind === 'Service' && o.apiVersion === 'v1')) {
    const meta = svc.toJson().metadata ?? {};
    const labels = meta.labels ?? {};
    if (labels[GLOBAL_SERVICE_LABEL] !== 'true') continue;
    // The Service label wins over its namespace's.
    const ingress = labels[IstioLabels.INGRESS_USE_WAYPOINT] ?? namespaceIngress.get(meta.namespace ?? '');
    if (ingress !== 'true') continue;
    errors.push(`[${svc.node.path}] Service ${meta.namespace}/${meta.name} is global and sets ${IstioLabels.INGRESS_USE_WAYPOINT}, but ingress gateways of istiod ${versionText} skip the waypoint of a global service with workloads on another network (istio/istio#61092, fixed on release-1.30 after 1.30.3), so waypoint policies are not enforced for ingress traffic. Use a 1.30 patch whose release notes list istio#61092, or enforce the ingress rules at the ingress gateway and drop ${IstioLabels.INGRESS_USE_WAYPOINT}.`);
  }
  return errors;
}
