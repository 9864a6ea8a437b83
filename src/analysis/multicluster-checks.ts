/**
 * Cross-cluster checks of a multi-cluster ambient mesh (Istio 1.30 multi-primary, multi-network):
 * each cluster's model is built on its own, then compared. The Istio rules come from
 * `../semantics/multicluster` and `../semantics/trust`.
 */
import type { CheckInfo } from './checks';
import { key, Located, MeshModel, ServiceInfo } from './model';
import {
  EAST_WEST_CLASS, GLOBAL_LABEL, GLOBAL_SERVICE_SCOPE, ingressSkipsWaypointAcrossNetworks, multiNetworkEnabled, NETWORK_LABEL, networkGatewayNetwork,
  REMOTE_SECRET_LABEL, remoteSecretClusters, serviceScopeIsGlobal,
  caAcceptsLocalClient,
} from '../semantics/multicluster';
import { CLUSTER_LOCAL_TRUST_DOMAIN, ClusterTrust, sharedTrustProblems } from '../semantics/trust';

export const CLUSTER_NETWORK: CheckInfo = { code: 'AMB142', severity: 'error', title: 'Cluster network or cluster name not set consistently (istiod namespace label, istiod, ztunnel)' };
export const SHARED_NETWORK: CheckInfo = { code: 'AMB143', severity: 'error', title: 'Two clusters on the same network (ambient multicluster supports only multi-network)' };
export const MESH_ID: CheckInfo = { code: 'AMB144', severity: 'error', title: 'Clusters of one mesh with different mesh IDs' };
export const EAST_WEST_GATEWAY: CheckInfo = { code: 'AMB145', severity: 'error', title: 'Cluster with remote peers has no ambient east-west gateway for its network' };
export const MULTI_NETWORK_OFF: CheckInfo = { code: 'AMB146', severity: 'error', title: 'istiod of a multi-cluster mesh without AMBIENT_ENABLE_MULTI_NETWORK' };
export const SHARED_TRUST: CheckInfo = { code: 'AMB147', severity: 'error', title: 'Clusters without a shared root of trust or trust domain (built-in CA, different roots or trust domains)' };
export const GLOBAL_SERVICES: CheckInfo = {
  code: 'AMB148', severity: 'warning', title: 'Service scope, ports or type, or a global Service\'s waypoint, not consistent across clusters', upstream: ['IST0170'],
};
export const REMOTE_SECRETS: CheckInfo = { code: 'AMB149', severity: 'warning', title: 'Remote secrets in the manifests do not cover every peer cluster' };
export const GLOBAL_INGRESS_WAYPOINT: CheckInfo = { code: 'AMB150', severity: 'error', title: 'Ingress skips the waypoint of a global Service on istiod 1.30.0-1.30.3 (istio#61092)' };

/** The checks of this file, for the registry in checks.ts. */
export const MULTICLUSTER_CHECKS: CheckInfo[] = [
  CLUSTER_NETWORK, SHARED_NETWORK, MESH_ID, EAST_WEST_GATEWAY, MULTI_NETWORK_OFF, SHARED_TRUST, GLOBAL_SERVICES, REMOTE_SECRETS,
  GLOBAL_INGRESS_WAYPOINT,
];

/** One cluster of the analysis: its name and the model of its manifests. */
export interface ClusterModel {
  readonly name: string;
  readonly model: MeshModel;
}

/** A finding of a cross-cluster check, in the cluster whose object it points at. */
export interface ClusterFinding {
  readonly cluster: string;
  readonly code: string;
  readonly located: Located;
  readonly message: string;
  readonly fix: string;
}

interface Release {
  readonly located: Located;
  readonly namespace: string;
  readonly version: string;
  readonly values: any;
}

/** What an Istio install in one cluster's manifests says about multi-cluster. */
export interface ClusterInstall {
  readonly istiod?: Release;
  readonly ztunnel?: Release;
  /** The istiod namespace (where remote secrets, cacerts and the network label live). */
  readonly namespace: string;
  /** The cluster's network: the istiod namespace label, else istiod's `global.network`. */
  readonly network?: string;
  readonly trustDomain: string;
  /** meshConfig.serviceScopeConfigs in effect. */
  readonly serviceScopeConfigs: any[];
  readonly trust: ClusterTrust;
  /** The object that plugs the CA in, if any. */
  readonly caObject?: Located;
}

function releases(model: MeshModel, chart: string): Release[] {
  const out: Release[] = [];
  for (const l of model.kind('HelmRelease')) {
    if (l.obj.spec?.chart?.spec?.chart !== chart) continue;
    out.push({ located: l, namespace: l.obj.spec?.targetNamespace ?? l.obj.metadata.namespace ?? 'default', version: String(l.obj.spec.chart.spec.version ?? ''), values: l.obj.spec?.values ?? {} });
  }
  for (const l of model.kind('Application')) {
    const source = l.obj.spec?.source;
    if (source?.chart !== chart) continue;
    out.push({ located: l, namespace: l.obj.spec?.destination?.namespace ?? 'default', version: String(source.targetRevision ?? ''), values: source.helm?.valuesObject ?? {} });
  }
  return out;
}

/** istiod env values: `env`, or `pilot.env` (merged over the top level by the chart). */
function istiodEnv(values: any, name: string): unknown {
  return values?.pilot?.env?.[name] ?? values?.env?.[name];
}

/** The install facts of one cluster (istiod, ztunnel, CA), from its manifests. */
export function clusterInstall(name: string, model: MeshModel): ClusterInstall {
  const istiod = releases(model, 'istiod')[0];
  const ztunnel = releases(model, 'ztunnel')[0];
  const namespace = istiod?.namespace ?? 'istio-system';
  const values = istiod?.values ?? {};
  const trustDomain = values.meshConfig?.trustDomain ?? CLUSTER_LOCAL_TRUST_DOMAIN;
  const network = model.namespaces.get(namespace)?.labels[NETWORK_LABEL] ?? values.global?.network;
  const explicitScopes = values.meshConfig?.serviceScopeConfigs;
  // Helm replaces lists: an own list is all there is; else the ambient profile's entry (assumed when no install is visible).
  const serviceScopeConfigs = Array.isArray(explicitScopes) ? explicitScopes : !istiod || values.profile === 'ambient' ? [GLOBAL_SERVICE_SCOPE] : [];
  // The CA: a cert-manager Certificate writing cacerts (root: its issuer), istio-csr (root: its issuer), or a plain cacerts Secret.
  const certificate = model.kind('Certificate').find(l => l.obj.apiVersion.startsWith('cert-manager.io/') && l.obj.spec?.secretName === 'cacerts' && (l.obj.metadata.namespace ?? 'default') === namespace);
  const csr = releases(model, 'cert-manager-istio-csr')[0];
  const secret = model.kind('Secret').find(l => l.obj.metadata.name === 'cacerts' && (l.obj.metadata.namespace ?? 'default') === namespace);
  let trust: ClusterTrust = { cluster: name, trustDomain };
  let caObject: Located | undefined;
  if (certificate) {
    const ref = certificate.obj.spec?.issuerRef ?? {};
    trust = { ...trust, root: `${ref.kind ?? 'Issuer'}/${ref.name ?? ''}` };
    caObject = certificate;
  } else if (csr) {
    const issuer = csr.values?.app?.certmanager?.issuer ?? {};
    trust = { ...trust, root: `${issuer.kind ?? 'Issuer'}/${issuer.name ?? 'istio-ca'}` };
    caObject = csr.located;
  } else if (secret || String(istiodEnv(values, 'ENABLE_CA_SERVER') ?? '').toLowerCase() === 'false') {
    trust = { ...trust, rootUnknown: true };
    caObject = secret;
  }
  return { istiod, ztunnel, namespace, network, trustDomain, serviceScopeConfigs, trust, caObject };
}

/** Whether a Service is global in its cluster (its own cluster's serviceScopeConfigs decide). */
export function isGlobal(c: ClusterModel, install: ClusterInstall, svc: ServiceInfo): boolean {
  const namespaceLabels = c.model.namespaces.get(svc.namespace)?.labels ?? {};
  return serviceScopeIsGlobal(install.serviceScopeConfigs, namespaceLabels, svc.located.obj.metadata.labels ?? {});
}

/** The network gateway of a cluster's network among its Gateways, if any. */
export function eastWestGateway(model: MeshModel, network: string | undefined): Located | undefined {
  return model.kind('Gateway').find(l => network !== undefined && networkGatewayNetwork(l.obj.metadata.labels, l.obj.spec) === network);
}

function parseVersion(v: string): { major: number; minor: number; patch: number } | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

/** Runs the cross-cluster checks over two or more clusters. */
export function runMultiClusterChecks(clusters: ClusterModel[]): ClusterFinding[] {
  const findings: ClusterFinding[] = [];
  if (clusters.length < 2) return findings;
  const installs = new Map(clusters.map(c => [c.name, clusterInstall(c.name, c.model)]));
  const report: Reporter = (cluster, info, located, message, fix) => findings.push({ cluster, code: info.code, located, message, fix });
  const visible = clusters.filter(c => installs.get(c.name)!.istiod);

  for (const c of visible) {
    const inst = installs.get(c.name)!;
    const istiod = inst.istiod!;
    const peers = clusters.filter(p => p !== c).map(p => p.name).join(', ');
    const where = `cluster ${c.name}:`;
    // Network and cluster ID (networks.go: the local network is read only from the istiod namespace's label).
    const nsInfo = c.model.namespaces.get(inst.namespace);
    const nsNetwork = nsInfo?.labels[NETWORK_LABEL];
    const istiodNetwork = istiod.values.global?.network;
    const ztunnelNetwork = inst.ztunnel ? inst.ztunnel.values.global?.network ?? inst.ztunnel.values.network : undefined;
    if (!nsNetwork) {
      report(c.name, CLUSTER_NETWORK, nsInfo?.located ?? istiod.located, `${where} namespace ${inst.namespace} ${nsInfo ? 'has no' : 'is not in the manifests with a'} ${NETWORK_LABEL} label: ambient istiod reads the cluster's network only from that label, so its workloads are on no network and peers cannot reach them through an east-west gateway.`,
        `Label namespace ${inst.namespace} with ${NETWORK_LABEL}: <network> (the same value as istiod's and ztunnel's global.network).`);
    }
    const net = nsNetwork ?? istiodNetwork;
    if (istiodNetwork !== undefined && nsNetwork && istiodNetwork !== nsNetwork) {
      report(c.name, CLUSTER_NETWORK, istiod.located, `${where} istiod global.network is "${istiodNetwork}", but namespace ${inst.namespace} is labelled network "${nsNetwork}".`,
        `Set istiod global.network to the cluster's network ("${nsNetwork}").`);
    }
    if (inst.ztunnel && net !== undefined && ztunnelNetwork !== net) {
      report(c.name, CLUSTER_NETWORK, inst.ztunnel.located, `${where} ztunnel's network is ${ztunnelNetwork === undefined ? 'not set' : `"${ztunnelNetwork}"`} while the cluster's is "${net}": the ztunnel chart reads only its own values (global.network), not istiod's.`,
        `Set ztunnel global.network: ${net}.`);
    }
    const istiodCluster = istiod.values.global?.multiCluster?.clusterName;
    const ztunnelValues = inst.ztunnel?.values;
    const ztunnelCluster = ztunnelValues ? ztunnelValues.multiCluster?.clusterName ?? ztunnelValues.global?.multiCluster?.clusterName : undefined;
    if (inst.ztunnel && !caAcceptsLocalClient(istiodCluster, ztunnelCluster)) {
      report(c.name, CLUSTER_NETWORK, inst.ztunnel.located, `${where} ztunnel multiCluster.clusterName is ${ztunnelCluster === undefined ? 'not set (default "Kubernetes")' : `"${ztunnelCluster}"`} but istiod's is ${istiodCluster === undefined ? 'not set' : `"${istiodCluster}"`}: istiod's CA rejects certificate requests from a ztunnel that claims another cluster.`,
        'Set ztunnel multiCluster.clusterName equal to istiod global.multiCluster.clusterName.');
    }
    // Multi-network switch (ambient.go: AMBIENT_ENABLE_MULTI_NETWORK defaults to false).
    if (!multiNetworkEnabled(istiodEnv(istiod.values, 'AMBIENT_ENABLE_MULTI_NETWORK'))) {
      report(c.name, MULTI_NETWORK_OFF, istiod.located, `${where} istiod runs without AMBIENT_ENABLE_MULTI_NETWORK (default false), while the mesh spans ${peers} too: istiod ignores serviceScopeConfigs (no Service is global) and does not serve the ${EAST_WEST_CLASS} GatewayClass, so no east-west gateway is deployed and no traffic crosses networks.`,
        'Set istiod env.AMBIENT_ENABLE_MULTI_NETWORK: "true" in every cluster.');
    }
    // East-west gateway of the cluster's network.
    if (net !== undefined && !eastWestGateway(c.model, net)) {
      const candidate = c.model.kind('Gateway').find(l => l.obj.spec?.gatewayClassName === EAST_WEST_CLASS);
      const why = candidate
        ? `Gateway ${candidate.obj.metadata.namespace ?? 'default'}/${candidate.obj.metadata.name} is of class ${EAST_WEST_CLASS} but ${candidate.obj.metadata.labels?.[NETWORK_LABEL] === undefined ? `has no ${NETWORK_LABEL} label` : candidate.obj.metadata.labels[NETWORK_LABEL] !== net ? `is labelled network "${candidate.obj.metadata.labels[NETWORK_LABEL]}", not "${net}"` : 'has no HBONE listener with tls.mode Terminate'}`
        : `there is no Gateway of class ${EAST_WEST_CLASS} labelled ${NETWORK_LABEL}: ${net}`;
      report(c.name, EAST_WEST_GATEWAY, candidate ?? istiod.located, `${where} ${why}, so istiod in ${peers} finds no network gateway for network "${net}" and cannot send traffic to this cluster's workloads.`,
        `Add an east-west Gateway: class ${EAST_WEST_CLASS}, label ${NETWORK_LABEL}: ${net}, listener "mesh" on port 15008, protocol HBONE, tls.mode Terminate with option gateway.istio.io/tls-terminate-mode: ISTIO_MUTUAL (EastWestGateway, or gen-eastwest-gateway.sh --ambient).`);
    }
    // Remote secrets: when any are in the manifests, they should name every peer.
    const secrets = c.model.kind('Secret').filter(l => l.obj.metadata.labels?.[REMOTE_SECRET_LABEL] === 'true');
    if (secrets.length > 0) {
      const covered = new Set(secrets.flatMap(l => remoteSecretClusters(l.obj, istiodCluster ?? c.name)));
      const missing = clusters.filter(p => p !== c && !covered.has(p.name) && !covered.has(installs.get(p.name)!.istiod?.values.global?.multiCluster?.clusterName ?? '')).map(p => p.name);
      if (missing.length) {
        report(c.name, REMOTE_SECRETS, secrets[0], `${where} the remote secrets here (${REMOTE_SECRET_LABEL}: "true") give istiod access to ${covered.size ? [...covered].sort().join(', ') : 'no cluster'}, not to ${missing.join(', ')}: istiod reads no services or endpoints of ${missing.length > 1 ? 'those clusters' : 'that cluster'}.`,
          `Create the missing ones: ${missing.map(m => `istioctl create-remote-secret --name=${m} (in ${m}) | kubectl apply -f - (in ${c.name})`).join('; ')}.`);
      }
    }
  }

  // Networks differ, mesh IDs and trust agree (compared with the first cluster in name order).
  const byNetwork = new Map<string, string>();
  for (const c of visible) {
    const inst = installs.get(c.name)!;
    if (inst.network === undefined) continue;
    const other = byNetwork.get(inst.network);
    if (other) {
      report(c.name, SHARED_NETWORK, c.model.namespaces.get(inst.namespace)?.located ?? inst.istiod!.located, `cluster ${c.name} is on network "${inst.network}" like cluster ${other}: Istio 1.30 ambient multicluster supports only multi-network (each cluster on its own network, reached through its east-west gateway); single-network is untested and not supported.`,
        `Give cluster ${c.name} its own network (namespace label ${NETWORK_LABEL}, istiod and ztunnel global.network).`);
    } else {
      byNetwork.set(inst.network, c.name);
    }
  }
  const [first, ...rest] = visible;
  for (const c of rest) {
    const a = installs.get(first.name)!;
    const b = installs.get(c.name)!;
    const idA = a.istiod!.values.global?.meshID;
    const idB = b.istiod!.values.global?.meshID;
    if (idA !== idB) {
      report(c.name, MESH_ID, b.istiod!.located, `cluster ${c.name} has mesh ID ${idB === undefined ? 'unset' : `"${idB}"`} and cluster ${first.name} ${idA === undefined ? 'unset' : `"${idA}"`}: clusters of one mesh share one global.meshID.`,
        `Set istiod global.meshID to the same value in every cluster${idA !== undefined ? ` ("${idA}")` : ''}.`);
    }
    // Roots and trust domains: each pair with the first cluster; the built-in CA is reported per cluster below.
    const pairProblems = sharedTrustProblems([
      { ...a.trust, rootUnknown: a.trust.root === undefined || a.trust.rootUnknown },
      { ...b.trust, rootUnknown: b.trust.root === undefined || b.trust.rootUnknown },
    ]);
    for (const p of pairProblems) {
      report(c.name, SHARED_TRUST, p.includes('trust domains') ? b.istiod!.located : b.caObject ?? b.istiod!.located, p,
        p.includes('trust domains')
          ? `Set meshConfig.trustDomain to "${a.trustDomain}" in every cluster.`
          : `Issue every cluster's intermediate from the same root (the same issuer, e.g. ${a.trust.root}, reading the same root Secret copied to every cluster).`);
    }
    const secretA = rootSecret(first.model, a);
    const secretB = rootSecret(c.model, b);
    if (a.trust.root === b.trust.root && secretA && secretB && secretA !== secretB) {
      report(c.name, SHARED_TRUST, b.caObject ?? b.istiod!.located, `cluster ${c.name}'s root issuer ${b.trust.root} reads Secret ${secretB}, cluster ${first.name}'s reads ${secretA}: unless both hold the same key pair, the clusters chain to different roots and cross-cluster mTLS fails.`,
        'Create the root key pair once and copy it to every cluster under one Secret name.');
    }
  }
  for (const c of visible) {
    const b = installs.get(c.name)!;
    const selfSigned = sharedTrustProblems([b.trust, { cluster: '', trustDomain: b.trustDomain, rootUnknown: true }]).filter(p => p.includes('built-in CA'));
    for (const p of selfSigned) {
      report(c.name, SHARED_TRUST, b.istiod!.located, p, 'Plug in a CA whose intermediate chains to a root shared by every cluster: a cert-manager Certificate writing Secret cacerts in the istiod namespace (MeshCertificateAuthority.certManager), or istio-csr.');
    }
  }
  checkGlobalServices(clusters, installs, report);
  return findings;
}

/** What istioctl's multicluster ServiceAnalyzer compares: headless or not, type, ports (by name, with API-server defaults). */
function serviceDifferences(a: ServiceInfo, b: ServiceInfo): string[] {
  const spec = (s: ServiceInfo) => s.located.obj.spec ?? {};
  const ports = (s: ServiceInfo) => JSON.stringify([...s.ports].map((p: any) => ({
    name: p?.name ?? '', port: p?.port, protocol: p?.protocol ?? 'TCP', targetPort: p?.targetPort ?? p?.port, appProtocol: p?.appProtocol,
  })).sort((x, y) => x.name.localeCompare(y.name)));
  const reasons: string[] = [];
  if (a.headless !== b.headless) reasons.push('service has mixed mode like headless and clusterIP');
  if ((spec(a).type ?? 'ClusterIP') !== (spec(b).type ?? 'ClusterIP')) reasons.push('service type is inconsistent');
  if (ports(a) !== ports(b)) reasons.push('service ports are inconsistent');
  return reasons;
}

function rootSecret(model: MeshModel, inst: ClusterInstall): string | undefined {
  if (!inst.trust.root) return undefined;
  const [kind, name] = inst.trust.root.split('/');
  const issuer = model.kind(kind).find(l => l.obj.metadata.name === name && l.obj.apiVersion.startsWith('cert-manager.io/'));
  return issuer?.obj.spec?.ca?.secretName;
}

type Reporter = (cluster: string, info: CheckInfo, located: Located, message: string, fix: string) => void;

function checkGlobalServices(clusters: ClusterModel[], installs: Map<string, ClusterInstall>, report: Reporter): void {
  // Every Service by namespace/name, with its copy in each cluster.
  const copies = new Map<string, { c: ClusterModel; svc: ServiceInfo; global: boolean }[]>();
  for (const c of clusters) {
    for (const svc of c.model.services.values()) {
      const list = copies.get(key(svc.namespace, svc.name)) ?? [];
      list.push({ c, svc, global: isGlobal(c, installs.get(c.name)!, svc) });
      copies.set(key(svc.namespace, svc.name), list);
    }
  }
  const waypointServices = new Set<string>();
  for (const c of clusters) for (const w of c.model.waypoints.values()) waypointServices.add(key(w.namespace, w.name));
  for (const [k, list] of [...copies.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (waypointServices.has(k)) continue; // a waypoint's own Service is generated by istiod, not declared
    const globalIn = list.filter(x => x.global).map(x => x.c.name);
    // istioctl analyze's multicluster ServiceAnalyzer (IST0170): headless or not, type and ports agree.
    const [first, ...others] = list;
    for (const x of others) {
      const reasons = serviceDifferences(first.svc, x.svc);
      if (reasons.length) {
        report(x.c.name, GLOBAL_SERVICES, x.svc.located, `cluster ${x.c.name}: Service ${k} differs from its copy in cluster ${first.c.name} (${reasons.join('; ')}), which can lead to undefined behaviour (IST0170).`,
          `Declare Service ${k} identically in every cluster (type, clusterIP None or not, ports with their names, protocols and target ports).`);
      }
    }
    for (const x of list) {
      const inst = installs.get(x.c.name)!;
      const labelled = x.svc.located.obj.metadata.labels?.[GLOBAL_LABEL] === 'true';
      if (labelled && !x.global) {
        report(x.c.name, GLOBAL_SERVICES, x.svc.located, `cluster ${x.c.name}: Service ${k} is labelled ${GLOBAL_LABEL}: "true", but no meshConfig.serviceScopeConfigs entry of scope GLOBAL in this cluster's istiod matches it (an own list replaces the ambient profile's), so it stays local.`,
          `Add ${JSON.stringify(GLOBAL_SERVICE_SCOPE)} to meshConfig.serviceScopeConfigs.`);
      } else if (!x.global && globalIn.length > 0) {
        report(x.c.name, GLOBAL_SERVICES, x.svc.located, `cluster ${x.c.name}: Service ${k} is global in ${globalIn.join(', ')} but local here: clients in this cluster reach only its local endpoints, and istiod takes the scope only from each cluster's own configuration (service scope must be uniform across clusters).`,
          `Label Service ${k} ${GLOBAL_LABEL}: "true" in cluster ${x.c.name} too, or in no cluster.`);
      }
      if (!x.global) continue;
      const w = x.c.model.serviceBinding(x.svc).waypoint;
      if (!w) continue;
      const wInfo = x.c.model.waypoint(w)!;
      const wLabels = { ...(wInfo.located.obj.metadata.labels ?? {}), ...(wInfo.located.obj.spec?.infrastructure?.labels ?? {}) };
      if (!serviceScopeIsGlobal(inst.serviceScopeConfigs, x.c.model.namespaces.get(w.namespace)?.labels ?? {}, wLabels)) {
        report(x.c.name, GLOBAL_SERVICES, wInfo.located, `cluster ${x.c.name}: global Service ${k} uses waypoint ${w.namespace}/${w.name}, which is not global (its Gateway carries no ${GLOBAL_LABEL}: "true", which istiod copies onto the waypoint's Service): clients in other clusters cannot reach it.`,
          `Label Gateway ${w.namespace}/${w.name} ${GLOBAL_LABEL}: "true" (MeshCluster.globalWaypoint) in every cluster.`);
      }
      for (const y of list) {
        if (y.c === x.c || y.c.model.waypoints.has(key(w.namespace, w.name))) continue;
        report(y.c.name, GLOBAL_SERVICES, y.svc.located, `cluster ${y.c.name}: Service ${k} is served by waypoint ${w.namespace}/${w.name} in cluster ${x.c.name}, but this cluster has no waypoint of that name: waypoints of a global Service must exist, identically named, in every cluster.`,
          `Declare waypoint ${w.namespace}/${w.name} in cluster ${y.c.name} too (identical to cluster ${x.c.name}'s).`);
      }
      // istio#61092: ingress skips the waypoint of a global Service that has workloads on another network.
      const version = parseVersion(inst.istiod?.version ?? '');
      const remoteNetwork = list.some(y => y.c !== x.c && y.global && installs.get(y.c.name)!.network !== inst.network);
      if (x.svc.ingressUseWaypoint && version && ingressSkipsWaypointAcrossNetworks(version) && remoteNetwork) {
        report(x.c.name, GLOBAL_INGRESS_WAYPOINT, x.svc.located, `cluster ${x.c.name}: Service ${k} is global with istio.io/ingress-use-waypoint, and istiod ${inst.istiod!.version} drops the waypoint binding when it merges a global service with workloads on another network (istio#61092): ingress gateways skip the waypoint and its policies.`,
          'Upgrade istiod past 1.30.3 (the fix is on release-1.30 after 1.30.3), or enforce the ingress rules at the ingress gateway until then.');
      }
    }
  }
}
