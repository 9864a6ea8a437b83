import { Yaml } from 'cdk8s';
import { Construct } from 'constructs';
import { MeshContext } from './_context';
import { AddonRelease, addAddonRelease, addonHelmCommands, pruneValues } from './_helm-addon';
import { MeshRegistry } from './_registry';
import { checkDns1035Label, checkNamespaceName, constructError } from './_validation';
import { AmbientNamespace } from './ambient-namespace';
import { PolicySource } from './authz/policy-source';
import { MtlsMode } from './authz/zero-trust-policy';
import { HelmInstallPlan, IstioChart, MeshDelivery } from './install';
import { TRAEFIK_CHART_VERSION, TRAEFIK_HELM_REPOSITORY, traefikServiceAccountName } from './semantics/third-party-ingress';

/** Props for `TraefikIngress`. */
export interface TraefikIngressProps {
  /**
   * Namespace of the controller; it is enrolled in ambient (declared as an AmbientNamespace unless
   * the app declares one of that name, anywhere).
   * @default "traefik"
   */
  readonly namespace?: string;
  /**
   * Helm release name. The chart names the Deployment, Service and service account after it
   * (`<release>-traefik` unless the name contains "traefik").
   * @default "traefik"
   */
  readonly releaseName?: string;
  /**
   * Chart version (traefik/traefik).
   * @default "41.3.0"
   */
  readonly version?: string;
  /**
   * How the chart reaches the cluster.
   * @default - the delivery of the app's AmbientMesh, else the helm CLI
   */
  readonly delivery?: MeshDelivery;
  /**
   * Replicas of the Deployment.
   * @default - chart default (1)
   */
  readonly replicas?: number;
  /**
   * Type of the controller's Service.
   * @default - chart default ("LoadBalancer")
   */
  readonly serviceType?: string;
}

/**
 * Traefik as the ingress of an ambient mesh (the pattern for any third-party controller):
 *
 * - its namespace is enrolled in ambient, so Traefik's connections to the mesh are mTLS with its own
 *   identity (`policySource`, for ZeroTrustPolicy rules);
 * - its Kubernetes CRD and Ingress providers route to Service VIPs (`nativeLBByDefault: true`), so
 *   ztunnel sends each request through the destination's waypoint and its L7 policy applies.
 *   Traefik's default dials pod IPs and skips the waypoint; `istio.io/ingress-use-waypoint` does not
 *   help there, istiod reads it for Istio gateways only;
 * - the chart is installed through the app's delivery (Flux, Argo CD or the helm CLI), after ztunnel,
 *   so the controller pods start inside the mesh.
 *
 * Declare routes with `TraefikIngressRoute` in a chart applied after the install (the chart creates
 * the IngressRoute CRD).
 */
export class TraefikIngress extends Construct {
  /** Namespace of the controller. */
  public readonly namespace: string;
  /** Helm release name. */
  public readonly releaseName: string;
  /** The controller's service account (the chart's fullname). */
  public readonly serviceAccountName: string;
  /** The controller's mesh identity, for ZeroTrustPolicy rules (enforced at the destination's waypoint). */
  public readonly policySource: PolicySource;

  private readonly props: TraefikIngressProps;

  public constructor(scope: Construct, id: string, props: TraefikIngressProps = {}) {
    super(scope, id);
    this.props = props;
    this.namespace = props.namespace ?? 'traefik';
    this.releaseName = props.releaseName ?? 'traefik';
    checkNamespaceName(this, 'namespace', this.namespace);
    checkDns1035Label(this, 'releaseName', this.releaseName);
    if (props.replicas !== undefined && (!Number.isInteger(props.replicas) || props.replicas < 1)) {
      throw constructError(this, `replicas is ${props.replicas}; it must be a whole number of at least 1.`);
    }
    this.serviceAccountName = traefikServiceAccountName(this.releaseName);
    this.policySource = PolicySource.serviceAccountName(this.namespace, this.serviceAccountName);

    // The namespace is declared at synth unless the app declares it anywhere (before placement: "0-").
    const registry = MeshRegistry.of(this);
    MeshContext.of(this).onPrepare(`0-traefik-namespace:${this.node.path}`, () => {
      if (!registry.namespace(this.namespace)) new AmbientNamespace(this, 'Namespace', { name: this.namespace });
    });

    addAddonRelease(this, props.delivery, () => this.release());
    this.node.addValidation({ validate: () => this.checkPlaintextEntry() });
  }

  /** The helm CLI commands that install the chart (for any delivery form). */
  public get helmCommands(): string[] {
    return addonHelmCommands(this.release());
  }

  private release(): AddonRelease {
    return {
      repositoryName: 'traefik',
      repositoryUrl: TRAEFIK_HELM_REPOSITORY,
      chart: 'traefik',
      version: this.props.version ?? TRAEFIK_CHART_VERSION,
      releaseName: this.releaseName,
      namespace: this.namespace,
      values: () => this.values,
      // After ztunnel: pods that start before the node agents are not redirected until restarted.
      dependsOn: () => {
        const mesh = MeshRegistry.of(this).mesh;
        return mesh ? [{ name: 'ztunnel', namespace: mesh.releaseNamespace(IstioChart.ZTUNNEL) }] : [];
      },
      syncWave: 10,
    };
  }

  /** The chart values (keys of traefik/traefik 41.3.0). */
  public get values(): { [key: string]: any } {
    return pruneValues({
      deployment: { replicas: this.props.replicas },
      providers: {
        kubernetesCRD: { nativeLBByDefault: true },
        kubernetesIngress: { nativeLBByDefault: true },
      },
      service: this.props.serviceType ? { spec: { type: this.props.serviceType } } : undefined,
    });
  }

  /** A values file and the helm commands that install Traefik. */
  public helmInstall(): HelmInstallPlan {
    return new HelmInstallPlan({ [`values-${this.releaseName}.yaml`]: Yaml.stringify(this.values) }, [...this.helmCommands]);
  }

  /**
   * Clients of the load balancer are outside the mesh and speak plaintext to Traefik's entrypoints:
   * STRICT mTLS in Traefik's namespace (its own policy, or the mesh-wide one) makes ztunnel refuse them.
   */
  private checkPlaintextEntry(): string[] {
    const registry = MeshRegistry.of(this);
    const own = registry.policyFor(this.namespace);
    // A namespace PeerAuthentication overrides the mesh-wide one.
    const effective = own ?? registry.meshPolicy;
    const strictBy = effective?.mtls === MtlsMode.STRICT ? effective : undefined;
    if (!strictBy) return [];
    return [`Traefik in namespace "${this.namespace}" receives plaintext from clients outside the mesh, but ${strictBy.node.path} makes mTLS STRICT there, so ztunnel would refuse every external connection. Give namespace "${this.namespace}" a ZeroTrustPolicy with mtls: MtlsMode.PERMISSIVE.`];
  }
}
