/**
 * Checks for third-party ingress controllers (Traefik; NGINX Ingress) in front of ambient Services.
 * A controller inside the mesh is an ordinary client: its requests pass the destination's waypoint
 * only when it dials the Service VIP.
 */
import type { CheckInfo } from './checks';
import { key, Located, MeshModel, ServiceInfo } from './model';
import { l7AttributesOf } from '../semantics/enforcement';
import { selectorsSelectSamePods } from '../semantics/selectors';
import { ingressRouteUsesServiceVip, traefikServiceAccountName } from '../semantics/third-party-ingress';

export const INGRESS_TO_PODS: CheckInfo = {
  code: 'AMB140', severity: 'warning', title: 'Third-party ingress routes to pod IPs and skips the waypoint',
};
export const INGRESS_ADMITTED_AT_ZTUNNEL: CheckInfo = {
  code: 'AMB141', severity: 'warning', title: 'Ingress controller admitted at ztunnel while L7 rules sit at the waypoint',
};

/** The checks of this file, for the registry in checks.ts. */
export const THIRD_PARTY_INGRESS_CHECKS: CheckInfo[] = [INGRESS_TO_PODS, INGRESS_ADMITTED_AT_ZTUNNEL];

type Report = (code: string, located: Located, message: string, fix: string) => void;

/** A Traefik install found in the manifests: its identity and provider defaults. */
interface TraefikInstall {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly crdNativeLB: boolean;
  readonly ingressNativeLB: boolean;
  /** Namespaces whose IngressRoutes it reads (empty: all). */
  readonly crdNamespaces: string[];
}

function traefikInstalls(model: MeshModel): TraefikInstall[] {
  const installs: TraefikInstall[] = [];
  const add = (releaseName: string, namespace: string, values: any) => installs.push({
    namespace,
    serviceAccount: values?.serviceAccount?.name || traefikServiceAccountName(values?.fullnameOverride || releaseName),
    crdNativeLB: values?.providers?.kubernetesCRD?.nativeLBByDefault === true,
    ingressNativeLB: values?.providers?.kubernetesIngress?.nativeLBByDefault === true,
    crdNamespaces: values?.providers?.kubernetesCRD?.namespaces ?? [],
  });
  for (const l of model.kind('HelmRelease')) {
    const o = l.obj;
    if (o.spec?.chart?.spec?.chart !== 'traefik') continue;
    add(o.spec?.releaseName ?? o.metadata.name ?? 'traefik', o.spec?.targetNamespace ?? o.metadata.namespace ?? 'default', o.spec?.values);
  }
  for (const l of model.kind('Application')) {
    const source = l.obj.spec?.source;
    if (source?.chart !== 'traefik') continue;
    add(source.helm?.releaseName ?? l.obj.metadata.name ?? 'traefik', l.obj.spec?.destination?.namespace ?? 'default', source.helm?.valuesObject);
  }
  return installs;
}

/** Services whose waypoint has L7 authorization (targetRefs to the Service, or to the waypoint Gateway). */
function l7AtWaypoint(model: MeshModel): Map<string, Located> {
  const byService = new Map<string, Located>();
  for (const l of model.kind('AuthorizationPolicy')) {
    const o = l.obj;
    const refs: any[] = o.spec?.targetRefs ?? [];
    if (!refs.length || !(o.spec?.rules ?? []).some((r: any) => l7AttributesOf(r).length > 0)) continue;
    const ns = o.metadata.namespace ?? 'default';
    for (const ref of refs) {
      if (ref.kind === 'Service') {
        if (!byService.has(key(ns, ref.name))) byService.set(key(ns, ref.name), l);
      } else if (ref.kind === 'Gateway') {
        for (const s of model.services.values()) {
          const served = s.waypoint?.name === ref.name && s.waypoint?.namespace === ns;
          if (served && !byService.has(key(s.namespace, s.name))) byService.set(key(s.namespace, s.name), l);
        }
      }
    }
  }
  return byService;
}

export function checkThirdPartyIngress(model: MeshModel, report: Report): void {
  const traefik = traefikInstalls(model);
  const l7 = l7AtWaypoint(model);
  const describeL7 = (svc: ServiceInfo) => (l7.has(key(svc.namespace, svc.name)) ? ' and its L7 authorization' : '');

  // AMB126: routes that reach a waypoint-served Service by pod IP.
  // Without an install in the manifests, Traefik's default applies: pod IPs.
  const crdNativeLB = (ns: string) => {
    const serving = traefik.filter(t => !t.crdNamespaces.length || t.crdNamespaces.includes(ns));
    return serving.length > 0 && serving.every(t => t.crdNativeLB);
  };
  for (const l of model.kind('IngressRoute')) {
    const o = l.obj;
    if (!o.apiVersion.startsWith('traefik.')) continue;
    const ns = o.metadata.namespace ?? 'default';
    for (const route of o.spec?.routes ?? []) {
      for (const s of route.services ?? []) {
        if ((s.kind ?? 'Service') !== 'Service') continue;
        const svc = model.service(s.namespace ?? ns, s.name);
        if (!svc?.waypoint || ingressRouteUsesServiceVip(s, crdNativeLB(ns))) continue;
        report(INGRESS_TO_PODS.code, l, `IngressRoute ${ns}/${o.metadata.name ?? ''} sends requests to Service ${svc.namespace}/${svc.name} by pod IP (Traefik's default load balancing), so they skip waypoint ${svc.waypoint.namespace}/${svc.waypoint.name}${describeL7(svc)}. istio.io/ingress-use-waypoint does not apply to third-party controllers.`,
          'Set nativeLB: true on the service (or providers.kubernetesCRD.nativeLBByDefault: true in the Traefik values) so Traefik dials the Service VIP and ztunnel sends the request through the waypoint.');
      }
    }
  }
  for (const l of model.kind('Ingress')) {
    const o = l.obj;
    if (o.apiVersion.split('/')[0] !== 'networking.k8s.io') continue;
    const ns = o.metadata.namespace ?? 'default';
    const className = o.spec?.ingressClassName ?? o.metadata.annotations?.['kubernetes.io/ingress.class'];
    let viaVip: boolean;
    let fix: string;
    if (className === 'nginx') {
      // ingress-nginx: service-upstream; NGINX Inc.'s controller: nginx.org/use-cluster-ip (both default to pod IPs).
      viaVip = o.metadata.annotations?.['nginx.ingress.kubernetes.io/service-upstream'] === 'true' || /^true$/i.test(o.metadata.annotations?.['nginx.org/use-cluster-ip'] ?? '');
      fix = 'Annotate the Ingress with nginx.ingress.kubernetes.io/service-upstream: "true" so NGINX dials the Service VIP and ztunnel sends the request through the waypoint.';
    } else if (className === 'traefik' && traefik.length) {
      viaVip = traefik.every(t => t.ingressNativeLB) || o.metadata.annotations?.['traefik.ingress.kubernetes.io/service.nativelb'] === 'true';
      fix = 'Set providers.kubernetesIngress.nativeLBByDefault: true in the Traefik values so Traefik dials the Service VIP.';
    } else {
      continue;
    }
    if (viaVip) continue;
    const backends = [o.spec?.defaultBackend, ...(o.spec?.rules ?? []).flatMap((r: any) => (r.http?.paths ?? []).map((p: any) => p.backend))];
    for (const b of backends) {
      const svc = b?.service?.name ? model.service(ns, b.service.name) : undefined;
      if (!svc?.waypoint) continue;
      report(INGRESS_TO_PODS.code, l, `Ingress ${ns}/${o.metadata.name ?? ''} (class ${className}) sends requests to Service ${svc.namespace}/${svc.name} by pod IP, so they skip waypoint ${svc.waypoint.namespace}/${svc.waypoint.name}${describeL7(svc)}. istio.io/ingress-use-waypoint does not apply to third-party controllers.`, fix);
    }
  }

  // AMB127: a ztunnel ALLOW that admits the controller's identity for pods whose Service has L7 rules at its waypoint.
  if (!traefik.length) return;
  const principals = traefik.map(t => `/ns/${t.namespace}/sa/${t.serviceAccount}`);
  for (const l of model.kind('AuthorizationPolicy')) {
    const o = l.obj;
    if (o.spec?.targetRefs?.length || o.spec?.targetRef || (o.spec?.action ?? 'ALLOW') !== 'ALLOW') continue;
    const isController = (p: string) => principals.some(s => p.endsWith(s));
    const admitsController = (o.spec?.rules ?? []).some((r: any) => (r.from ?? []).some((f: any) => (f.source?.principals ?? []).some(isController)));
    if (!admitsController) continue;
    const ns = o.metadata.namespace ?? 'default';
    const selector = o.spec?.selector?.matchLabels;
    for (const svc of model.servicesByNamespace.get(ns) ?? []) {
      const policy = l7.get(key(svc.namespace, svc.name));
      if (!svc.waypoint || !policy || (selector && !selectorsSelectSamePods(selector, svc.selector, model.workloadIndex(svc.namespace)))) continue;
      report(INGRESS_ADMITTED_AT_ZTUNNEL.code, l, `AuthorizationPolicy ${ns}/${o.metadata.name ?? ''} admits the ingress controller at ztunnel for the pods of Service ${svc.namespace}/${svc.name}, whose L7 rules (${policy.obj.kind} ${policy.obj.metadata.namespace ?? 'default'}/${policy.obj.metadata.name ?? ''}) sit at waypoint ${svc.waypoint.namespace}/${svc.waypoint.name}: requests the controller sends to pod IPs pass ztunnel and never meet those rules.`,
        'Route the controller to the Service VIP (nativeLB) and admit it in the waypoint policy instead; at ztunnel admit only the waypoint.');
    }
  }
}
