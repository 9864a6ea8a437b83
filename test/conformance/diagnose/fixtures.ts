/**
 * A small ambient mesh (Istio 1.30 shapes) and planted mistakes, one per symptom. The healthy mesh:
 * namespace shop in ambient with a service waypoint; Services web and payments; frontend calls
 * payments; an ingress Gateway routes shop.example.com to web.
 */
import { dump } from 'js-yaml';

export const healthy: any[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'edge', labels: { 'istio.io/dataplane-mode': 'ambient' } } },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: 'shop', labels: { 'istio.io/waypoint-for': 'service' } },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'public', namespace: 'edge' },
    spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', hostname: '*.example.com', allowedRoutes: { namespaces: { from: 'All' } } }] },
  },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'payments', namespace: 'shop' }, spec: { selector: { app: 'payments' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] } },
  deployment('web', 'shop', 'web', { app: 'web', version: 'v1' }),
  deployment('payments', 'shop', 'payments', { app: 'payments', version: 'v1' }),
  deployment('frontend', 'shop', 'frontend', { app: 'frontend' }),
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web', namespace: 'edge' },
    spec: {
      parentRefs: [{ name: 'public' }],
      hostnames: ['shop.example.com'],
      rules: [{ backendRefs: [{ name: 'web', namespace: 'shop', port: 80 }] }],
    },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: { name: 'edge-to-web', namespace: 'shop' },
    spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'edge' }], to: [{ group: '', kind: 'Service' }] },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'payments', namespace: 'shop' },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'payments', port: 8080 }],
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/charge' } }], backendRefs: [{ name: 'payments', port: 8080 }] },
        { matches: [{ path: { type: 'Exact', value: '/healthz' }, method: 'GET' }], backendRefs: [{ name: 'payments', port: 8080 }] },
      ],
    },
  },
  { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } },
  {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'payments', namespace: 'shop' },
    spec: {
      targetRefs: [{ kind: 'Service', group: '', name: 'payments' }],
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'] } }], to: [{ operation: { methods: ['POST'], paths: ['/charge/*'] } }] }],
    },
  },
];

export function deployment(name: string, namespace: string, serviceAccount: string, labels: { [k: string]: string }, extra: any = {}): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, ...extra.metadata },
        spec: { serviceAccountName: serviceAccount, containers: [{ name, image: `example/${name}:1`, ports: [{ containerPort: 8080 }] }], ...extra.spec },
      },
    },
  };
}

/** The healthy mesh with some objects replaced (matched by kind, namespace and name) or added. */
export function withChanges(...changed: any[]): any[] {
  const id = (o: any) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const replaced = new Map(changed.map(o => [id(o), o]));
  const out = healthy.map(o => replaced.get(id(o)) ?? o);
  for (const o of changed) if (!healthy.some(h => id(h) === id(o))) out.push(o);
  return out;
}

export function toYaml(objects: any[]): string {
  return objects.map(o => dump(o, { noRefs: true })).join('---\n');
}
