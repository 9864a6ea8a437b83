/**
 * What trust (plugged-in CA, istio-csr, trust domain) and multi-cluster membership add to an
 * AmbientMesh install: chart values, the cert-manager objects and the refusals.
 */
import { IConstruct } from 'constructs';
import { constructError } from './_validation';
import type { AmbientMeshProps } from './install';
import { MeshIdentity } from './mesh-identity';
import { MeshCertificateAuthority } from './mesh-trust';
import { GLOBAL_SERVICE_LABEL, MeshCluster } from './multi-cluster';
import { GLOBAL_SERVICE_SCOPE } from './semantics/multicluster';
import { bundleProblems } from './semantics/trust';

/** The ambient profile's global-Service scope entry; the fact lives in semantics/multicluster. */
export { GLOBAL_SERVICE_SCOPE };

/** Trust and cluster settings of one install, resolved from its props. */
export interface MeshTrustSettings {
  readonly trustDomain: string;
  readonly trustDomainAliases: string[];
  readonly certificateAuthority?: MeshCertificateAuthority;
  readonly cluster?: MeshCluster;
}

function envValue(values: any, name: string): string | undefined {
  const v = values?.env?.[name] ?? values?.pilot?.env?.[name];
  return v === undefined ? undefined : String(v);
}

/** Where the install sets istiod's ENABLE_CA_SERVER, and to what (each CA refuses what contradicts it). */
export function caServerOverrides(props: AmbientMeshProps): Array<[string, string | undefined]> {
  return [
    ['istiod.env', props.istiod?.env?.ENABLE_CA_SERVER],
    ['values.istiod', envValue(props.values?.istiod, 'ENABLE_CA_SERVER')],
  ];
}

/** Resolves and checks trust and cluster settings; throws with the construct path, the bad value and the fix. */
export function resolveTrust(scope: IConstruct, props: AmbientMeshProps, defaultTrustDomain: string): MeshTrustSettings {
  const cluster = props.cluster;
  if (cluster) {
    const mesh = cluster.mesh;
    if (props.trustDomain !== undefined && props.trustDomain !== mesh.trustDomain) {
      throw constructError(scope, `trustDomain "${props.trustDomain}" differs from the trust domain "${mesh.trustDomain}" of mesh "${mesh.meshId}": every cluster of an ambient mesh uses one trust domain (ztunnel gets no aliases). Drop trustDomain; the cluster's mesh sets it.`);
    }
    if (props.trustDomainAliases !== undefined) {
      throw constructError(scope, `trustDomainAliases is set on a cluster of mesh "${mesh.meshId}"; set them on the MultiClusterMesh so every cluster has the same aliases.`);
    }
    if (props.certificateAuthority !== undefined && props.certificateAuthority.root !== mesh.certificateAuthority?.root) {
      throw constructError(scope, `certificateAuthority chains to ${props.certificateAuthority.root}, but mesh "${mesh.meshId}" uses ${mesh.certificateAuthority?.root ?? "istiod's self-signed CA"}: cross-cluster mTLS needs one shared root. Drop certificateAuthority; the cluster's mesh sets it.`);
    }
  }
  const settings: MeshTrustSettings = {
    trustDomain: props.trustDomain ?? cluster?.mesh.trustDomain ?? defaultTrustDomain,
    trustDomainAliases: [...props.trustDomainAliases ?? cluster?.mesh.trustDomainAliases ?? []],
    certificateAuthority: props.certificateAuthority ?? cluster?.mesh.certificateAuthority,
    cluster,
  };
  MeshIdentity.fromServiceAccountName('default', 'default', settings.trustDomain); // validates it
  const problems = bundleProblems({ trustDomain: settings.trustDomain, aliases: settings.trustDomainAliases });
  if (problems.length) throw constructError(scope, `trustDomainAliases: ${problems.join(' ')}`);
  if (cluster && !settings.certificateAuthority) {
    throw constructError(scope, `cluster "${cluster.clusterName}" of mesh "${cluster.mesh.meshId}" has no shared root of trust: istiod's built-in CA generates a self-signed root per cluster, so workloads in other clusters fail mTLS. Set certificateAuthority on the MultiClusterMesh (MeshCertificateAuthority.certManager({ rootIssuer }) or istioCsr({ issuer })).`);
  }

  settings.certificateAuthority?._checkInstall(scope, props);
  const istiodOverrides = props.values?.istiod;

  if (cluster) {
    const expect: Array<[string, unknown, string]> = [
      ['values.istiod.global.meshID', istiodOverrides?.global?.meshID, cluster.mesh.meshId],
      ['values.istiod.global.multiCluster.clusterName', istiodOverrides?.global?.multiCluster?.clusterName, cluster.clusterName],
      ['values.istiod.global.network', istiodOverrides?.global?.network, cluster.network],
      ['values.ztunnel.multiCluster.clusterName', props.values?.ztunnel?.multiCluster?.clusterName, cluster.clusterName],
      ['values.ztunnel.global.network', props.values?.ztunnel?.global?.network, cluster.network],
      ['values.ztunnel.network', props.values?.ztunnel?.network, cluster.network],
    ];
    for (const [where, value, wanted] of expect) {
      if (value !== undefined && value !== wanted) {
        throw constructError(scope, `${where} is "${value}", but cluster "${cluster.clusterName}" says "${wanted}": istiod and ztunnel must agree (a different cluster ID makes istiod reject ztunnel's certificate requests). Remove the value; the cluster sets it.`);
      }
    }
    for (const name of ['AMBIENT_ENABLE_MULTI_NETWORK', 'AMBIENT_ENABLE_BAGGAGE']) {
      for (const [where, value] of [['istiod.env', props.istiod?.env?.[name]], ['values.istiod', envValue(istiodOverrides, name)]] as const) {
        if (value !== undefined && value !== 'true') {
          throw constructError(scope, `${where} sets ${name}="${value}", but a multi-cluster ambient mesh needs it "true" (Istio 1.30 ambient multicluster). Remove it; the cluster sets it.`);
        }
      }
    }
    const scopes = istiodOverrides?.meshConfig?.serviceScopeConfigs;
    if (scopes !== undefined && !(Array.isArray(scopes) && scopes.some(s => JSON.stringify(s) === JSON.stringify(GLOBAL_SERVICE_SCOPE)))) {
      throw constructError(scope, `values.istiod.meshConfig.serviceScopeConfigs replaces the ambient profile's list (Helm replaces lists), dropping the entry that makes Services labelled ${GLOBAL_SERVICE_LABEL}: "true" global. Include ${JSON.stringify(GLOBAL_SERVICE_SCOPE)} in your list.`);
    }
  }
  return settings;
}

/** Values one chart gets from trust and cluster settings, merged before the user's overrides. */
export function trustValues(chart: string, s: MeshTrustSettings): any {
  const ca = s.certificateAuthority;
  const c = s.cluster;
  switch (chart) {
    case 'istiod': {
      const env: any = {};
      const global: any = {};
      // A CA served outside istiod (istio-csr): istiod's own CA server is turned off.
      if (ca?.caAddress !== undefined) {
        env.ENABLE_CA_SERVER = 'false';
        global.caAddress = ca.caAddress;
      }
      if (c) {
        env.AMBIENT_ENABLE_MULTI_NETWORK = 'true';
        env.AMBIENT_ENABLE_BAGGAGE = 'true';
        global.meshID = c.mesh.meshId;
        global.multiCluster = { clusterName: c.clusterName };
        global.network = c.network;
      }
      // Empty maps would be written out (prune keeps maps that start empty), so they are left undefined.
      return {
        env: Object.keys(env).length ? env : undefined,
        global: Object.keys(global).length ? global : undefined,
        meshConfig: {
          trustDomainAliases: s.trustDomainAliases.length ? [...s.trustDomainAliases] : undefined,
          // Written out: the profile's list is lost as soon as anyone sets serviceScopeConfigs.
          serviceScopeConfigs: c ? [JSON.parse(JSON.stringify(GLOBAL_SERVICE_SCOPE))] : undefined,
        },
      };
    }
    case 'ztunnel':
      return {
        caAddress: ca?.caAddress,
        multiCluster: c ? { clusterName: c.clusterName } : undefined,
        global: c ? { network: c.network } : undefined,
      };
    default:
      return {};
  }
}
