import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { checkDns1035Label, checkNamespaceName, checkObjectName } from './_validation';
import * as gwapi from './imports/gateway.networking.k8s.io';
import { IstioLabels } from './labels';
import { MeshCluster, NETWORK_LABEL } from './multi-cluster';
import { EAST_WEST_CLASS } from './semantics/multicluster';

/** The GatewayClass of ambient east-west gateways (exists when istiod runs with AMBIENT_ENABLE_MULTI_NETWORK). */
export const EAST_WEST_GATEWAY_CLASS = EAST_WEST_CLASS;

/** Props for `EastWestGateway`. */
export interface EastWestGatewayProps {
  /** The cluster the gateway belongs to (its network). */
  readonly cluster: MeshCluster;
  /**
   * Gateway name (istiod names its Deployment and Service the same).
   * @default "istio-eastwestgateway"
   */
  readonly name?: string;
  /**
   * Namespace (the mesh namespace).
   * @default "istio-system"
   */
  readonly namespace?: string;
  /**
   * Control-plane revision (`istio.io/rev`), for revisioned installs without a default tag.
   * @default - none
   */
  readonly revision?: string;
}

/**
 * The ambient east-west gateway of one cluster: what `samples/multicluster/gen-eastwest-gateway.sh
 * --network <network> --ambient` writes. A Gateway of class `istio-east-west` with one HBONE listener
 * on 15008 that terminates the outer HBONE with Istio mTLS ("double HBONE"), labelled with the network.
 * Other clusters' istiods use it as the network gateway once it has an address; it carries only meshed
 * mTLS traffic (not the API server or istiod). Its Service defaults to type LoadBalancer.
 */
export class EastWestGateway extends Construct {
  /** Gateway name. */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** The Gateway object. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: EastWestGatewayProps) {
    super(scope, id);
    this.name = props.name ?? 'istio-eastwestgateway';
    this.namespace = props.namespace ?? 'istio-system';
    checkDns1035Label(this, 'name', this.name);
    checkNamespaceName(this, 'namespace', this.namespace);
    const labels: { [key: string]: string } = { [NETWORK_LABEL]: props.cluster.network };
    if (props.revision !== undefined) {
      checkObjectName(this, 'revision', props.revision);
      labels[IstioLabels.REVISION] = props.revision;
    }
    this.apiObject = new gwapi.Gateway(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace, labels },
      spec: {
        gatewayClassName: EAST_WEST_GATEWAY_CLASS,
        listeners: [{
          name: 'mesh',
          port: 15008,
          protocol: 'HBONE',
          tls: { mode: gwapi.GatewaySpecListenersTlsMode.TERMINATE, options: { 'gateway.istio.io/tls-terminate-mode': 'ISTIO_MUTUAL' } },
        }],
      },
    });
  }
}
