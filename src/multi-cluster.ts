import * as kplus from 'cdk8s-plus-28';
import { checkObjectName, constructError } from './_validation';
import { DEFAULT_TRUST_DOMAIN } from './mesh-identity';
import { MeshCertificateAuthority } from './mesh-trust';
import { GLOBAL_LABEL, NETWORK_LABEL as TOPOLOGY_NETWORK_LABEL } from './semantics/multicluster';
import { bundleProblems, sharedTrustProblems } from './semantics/trust';
import { IWaypoint, Waypoint } from './waypoint';

/** The label that puts a Service in every cluster's registry (matched by `meshConfig.serviceScopeConfigs`). */
export const GLOBAL_SERVICE_LABEL = GLOBAL_LABEL;
/** The network label istiod reads from the mesh namespace and from east-west Gateways. */
export const NETWORK_LABEL = TOPOLOGY_NETWORK_LABEL;

/** Props for `MultiClusterMesh`. */
export interface MultiClusterMeshProps {
  /** Mesh ID, equal in every cluster (`global.meshID`). */
  readonly meshId: string;
  /**
   * Trust domain of every cluster. ztunnel gets no trust-domain aliases, so all clusters share one.
   * @default "cluster.local"
   */
  readonly trustDomain?: string;
  /**
   * Trust-domain aliases (`meshConfig.trustDomainAliases`), honoured by waypoints and gateways only.
   * @default - none
   */
  readonly trustDomainAliases?: string[];
  /**
   * The CA of every cluster: its certificates must chain to one shared root. Required as soon as a
   * second cluster is added.
   * @default - none (refused for a second cluster)
   */
  readonly certificateAuthority?: MeshCertificateAuthority;
}

/** Options for `MultiClusterMesh.addCluster`. */
export interface MeshClusterOptions {
  /** Cluster name (`global.multiCluster.clusterName`, istio-csr `clusterID`); unique in the mesh. */
  readonly clusterName: string;
  /** Network of the cluster; each cluster of an ambient mesh is on its own network (multi-network). */
  readonly network: string;
  /**
   * kubectl context of the cluster, used in the `istioctl create-remote-secret` commands.
   * @default - the cluster name
   */
  readonly kubeContext?: string;
}

/**
 * An Istio ambient mesh over several clusters: multi-primary, multi-network (Beta since Istio 1.29).
 * Each cluster runs its own istiod, has its own network and east-west gateway, and all share one mesh
 * ID, one trust domain and one root of trust. Declare each cluster in its own cdk8s App (its own
 * output folder) with `new AmbientMesh(chart, 'mesh', { cluster })`.
 *
 * Not supported (Istio 1.30 ambient): primary-remote, single-network (clusters sharing a network),
 * different trust domains per cluster.
 */
export class MultiClusterMesh {
  /** Mesh ID. */
  public readonly meshId: string;
  /** Trust domain of every cluster. */
  public readonly trustDomain: string;
  /** Trust-domain aliases. */
  public readonly trustDomainAliases: string[];
  /** The shared certificate authority, if any. */
  public readonly certificateAuthority?: MeshCertificateAuthority;
  private readonly members: MeshCluster[] = [];

  public constructor(props: MultiClusterMeshProps) {
    const where = `MultiClusterMesh ${props.meshId}`;
    checkObjectName(where, 'meshId', props.meshId);
    this.meshId = props.meshId;
    this.trustDomain = props.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    this.trustDomainAliases = [...props.trustDomainAliases ?? []];
    const problems = bundleProblems({ trustDomain: this.trustDomain, aliases: this.trustDomainAliases });
    if (problems.length) throw constructError(where, problems.join(' '));
    this.certificateAuthority = props.certificateAuthority;
  }

  /** Declares a cluster of the mesh. */
  public addCluster(options: MeshClusterOptions): MeshCluster {
    const where = `MultiClusterMesh ${this.meshId}`;
    checkObjectName(where, 'clusterName', options.clusterName);
    checkObjectName(where, 'network', options.network);
    const sameName = this.members.find(c => c.clusterName === options.clusterName);
    if (sameName) throw constructError(where, `cluster "${options.clusterName}" is already declared; give every cluster its own clusterName (istiod keys remote secrets and CSRs by it).`);
    const sameNetwork = this.members.find(c => c.network === options.network);
    if (sameNetwork) {
      throw constructError(where, `cluster "${options.clusterName}" is on network "${options.network}" like cluster "${sameNetwork.clusterName}": ambient multicluster in Istio 1.30 supports only multi-network (each cluster on its own network, reached through its east-west gateway); single-network is untested upstream. Give each cluster its own network.`);
    }
    const cluster = MeshCluster._create(this, options);
    const root = this.certificateAuthority?.root;
    const trust = [...this.members, cluster].map(c => ({ cluster: c.clusterName, trustDomain: this.trustDomain, root }));
    const problems = sharedTrustProblems(trust);
    if (problems.length) {
      throw constructError(where, `cannot add cluster "${options.clusterName}": ${problems.join(' ')} Set certificateAuthority to MeshCertificateAuthority.certManager({ rootIssuer }) or istioCsr({ issuer }) with one root shared by every cluster.`);
    }
    this.members.push(cluster);
    return cluster;
  }

  /** The clusters, in the order they were added. */
  public get clusters(): MeshCluster[] {
    return [...this.members];
  }

  /**
   * The commands that give each primary read access to every other cluster's API server:
   * `istioctl create-remote-secret` in one cluster, applied in the other. The Secrets hold credentials,
   * so the library never writes them; run these once per pair. Ordered by cluster name, whatever the
   * order the clusters were added in.
   */
  public remoteSecretCommands(): string[] {
    const out: string[] = [];
    const byName = [...this.members].sort((a, b) => a.clusterName.localeCompare(b.clusterName));
    for (const from of byName) {
      for (const to of byName) {
        if (from === to) continue;
        out.push(`istioctl create-remote-secret --context=${from.kubeContext} --name=${from.clusterName} | kubectl apply --context=${to.kubeContext} -f -`);
      }
    }
    return out;
  }
}

/** One cluster of a `MultiClusterMesh`: pass it to `AmbientMesh` (`cluster`) and `EastWestGateway`. */
export class MeshCluster {
  /**
   * Marks a Service global: `istio.io/global: "true"`. Label it in every cluster where it exists (the
   * Service and its namespace must exist in each client cluster for DNS).
   */
  public static globalService(service: kplus.Service): void {
    service.metadata.addLabel(GLOBAL_SERVICE_LABEL, 'true');
  }

  /**
   * Marks a waypoint global: the label on its Gateway is copied by istiod onto the waypoint's Service.
   * Declare an identically named waypoint in every cluster; a Service behind a global waypoint is global too.
   */
  public static globalWaypoint(waypoint: IWaypoint): void {
    if (!(waypoint instanceof Waypoint)) {
      throw constructError(waypoint, `waypoint "${waypoint.namespace}/${waypoint.name}" is a reference (Waypoint.fromName); label the Gateway that declares it with ${GLOBAL_SERVICE_LABEL}: "true".`);
    }
    waypoint.apiObject.metadata.addLabel(GLOBAL_SERVICE_LABEL, 'true');
  }

  /** @internal */
  public static _create(mesh: MultiClusterMesh, options: MeshClusterOptions): MeshCluster {
    return new MeshCluster(mesh, options);
  }

  /** The mesh. */
  public readonly mesh: MultiClusterMesh;
  /** Cluster name. */
  public readonly clusterName: string;
  /** Network name. */
  public readonly network: string;
  /** kubectl context. */
  public readonly kubeContext: string;

  private constructor(mesh: MultiClusterMesh, options: MeshClusterOptions) {
    this.mesh = mesh;
    this.clusterName = options.clusterName;
    this.network = options.network;
    this.kubeContext = options.kubeContext ?? options.clusterName;
  }

  /** Name of the Secret `istioctl create-remote-secret` creates in this cluster for `remote`. */
  public remoteSecretName(remote: MeshCluster): string {
    return `istio-remote-secret-${remote.clusterName}`;
  }
}
