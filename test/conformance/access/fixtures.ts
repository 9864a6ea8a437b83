/**
 * Builders for the manifests of the access conformance vectors: written here, shaped after the
 * objects the upstream tests create (names such as `ns1`, `sa1` or `test-wp` are ours).
 */
import { AccessRequest, MeshAnalyzer } from '../../../src';

/** Where a vector's fact comes from. */
export interface Citation {
  /** `istio` or `ztunnel`. */
  readonly repo: 'istio' | 'ztunnel';
  /** Path in the upstream repository. */
  readonly file: string;
  /** Test function, table case or Rust test fn. */
  readonly test: string;
  /** Tag (or `master` where the fact is only tested there). */
  readonly tag: string;
}

/** One access decision vector. */
export interface AccessVector {
  readonly name: string;
  readonly cite: Citation;
  readonly manifests: any[];
  readonly request: AccessRequest;
  readonly expect: 'ALLOW' | 'DENY';
  /** The hop that decides. */
  readonly hop: 'gateway' | 'waypoint' | 'ztunnel' | 'sidecar';
  /** The deciding policy `namespace/name`, where meaningful. */
  readonly policy?: string;
  /** A substring the decision's reason must contain, where the wording matters. */
  readonly reason?: string;
}

export const TAG = '1.30.3';

export function cite(repo: 'istio' | 'ztunnel', file: string, test: string, tag = TAG): Citation {
  return { repo, file, test, tag };
}

export function namespace(name: string, labels: { [k: string]: string } = { 'istio.io/dataplane-mode': 'ambient' }): any {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

export function service(ns: string, name: string, options: { selector?: { [k: string]: string }; ports?: any[]; labels?: { [k: string]: string }; headless?: boolean } = {}): any {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, ...(options.labels ? { labels: options.labels } : {}) },
    spec: {
      selector: options.selector ?? { app: name },
      ports: options.ports ?? [{ name: 'http', port: 80, targetPort: 8080 }],
      ...(options.headless ? { clusterIP: 'None' } : {}),
    },
  };
}

export function deployment(ns: string, name: string, options: { labels?: { [k: string]: string }; serviceAccount?: string } = {}): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: options.labels ?? { app: name } }, spec: { serviceAccountName: options.serviceAccount ?? name, containers: [{ name: 'app', image: 'app' }] } },
    },
  };
}

export function waypoint(ns: string, name: string, options: { trafficType?: string; from?: string; selector?: { [k: string]: string }; className?: string } = {}): any {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: ns, ...(options.trafficType ? { labels: { 'istio.io/waypoint-for': options.trafficType } } : {}) },
    spec: {
      gatewayClassName: options.className ?? 'istio-waypoint',
      listeners: [{
        name: 'mesh',
        port: 15008,
        protocol: 'HBONE',
        ...(options.from ? { allowedRoutes: { namespaces: { from: options.from, ...(options.selector ? { selector: { matchLabels: options.selector } } : {}) } } } : {}),
      }],
    },
  };
}

export function ingressGateway(ns: string, name: string): any {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: ns },
    spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] },
  };
}

export function authz(ns: string, name: string, spec: any, annotations?: { [k: string]: string }): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) }, spec };
}

export function requestAuthn(ns: string, name: string, spec: any): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name, namespace: ns }, spec };
}

export function peerAuthn(ns: string, name: string, spec: any): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace: ns }, spec };
}

export const targetService = (name: string) => ({ targetRefs: [{ group: '', kind: 'Service', name }] });
export const targetGateway = (name: string) => ({ targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name }] });
export const targetWaypointClass = { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }] };

/** Runs a vector table as jest tests. */
export function runVectors(title: string, vectors: AccessVector[]): void {
  describe(title, () => {
    test.each(vectors.map(v => [`${v.name} [${v.cite.repo}@${v.cite.tag} ${v.cite.file} ${v.cite.test}]`, v] as const))('%s', (_n, v) => {
      const decision = MeshAnalyzer.fromObjects(v.manifests).checkAccess(v.request);
      const got: any = { decision: decision.allowed ? 'ALLOW' : 'DENY', hop: decision.enforcedBy };
      const want: any = { decision: v.expect, hop: v.hop };
      if (v.policy !== undefined) {
        got.policy = decision.policy;
        want.policy = v.policy;
      }
      expect(got).toEqual(want);
      if (v.reason) expect(decision.reason).toContain(v.reason);
    });
  });
}

/** Vector counts per upstream file, for docs/conformance/access.md. */
export function countBySource(vectors: { cite: Citation }[]): { [file: string]: number } {
  const out: { [file: string]: number } = {};
  for (const v of vectors) out[`${v.cite.repo} ${v.cite.file}`] = (out[`${v.cite.repo} ${v.cite.file}`] ?? 0) + 1;
  return out;
}
