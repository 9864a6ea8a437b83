import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { enrollConsumer } from '../_enrollment';
import { MeshRegistry } from '../_registry';
import { checkNamespaceName, checkObjectName, constructError, namespaceOf } from '../_validation';
import { IPolicySource } from '../authz/policy-source';
import { renderSource } from '../authz/rule-rendering';
import * as net from '../imports/networking.istio.io';
import * as sec from '../imports/security.istio.io';
import { DEFAULT_TRUST_DOMAIN } from '../mesh-identity';
import { canonicalRules } from '../semantics/canonical-rules';
import { DestinationRuleShape } from '../semantics/destination-rules';
import { IWaypoint } from '../waypoint';
import { checkDestinationRuleHostFree, claimDestinationRule } from './_destination-rule-hosts';

/** How applications reach the external host. */
export enum EgressProtocol {
  /** The application speaks TLS itself (port 443): the waypoint sees SNI only, so rules are L4. */
  TLS = 'TLS',
  /** The application speaks plain HTTP (port 80) and the waypoint originates TLS to the host's 443. */
  HTTP_WITH_TLS_ORIGINATION = 'HTTP_WITH_TLS_ORIGINATION',
  /** Plain HTTP end to end (port 80). */
  HTTP = 'HTTP',
}

/** An allow rule for egress traffic to the host. */
export interface EgressAllowRule {
  /** Who may call the host. */
  readonly source: IPolicySource;
  /** HTTP methods (needs an HTTP protocol). @default - any */
  readonly methods?: string[];
  /** HTTP paths (needs an HTTP protocol). @default - any */
  readonly paths?: string[];
}

/** Props for `EgressHost`. */
export interface EgressHostProps {
  /** The external host name, e.g. `api.stripe.com`. */
  readonly host: string;
  /** The egress waypoint that carries (and controls) the traffic. */
  readonly waypoint: IWaypoint;
  /**
   * Namespace of the ServiceEntry (and its policies).
   * @default - the waypoint's namespace
   */
  readonly namespace?: string;
  /** @default EgressProtocol.TLS */
  readonly protocol?: EgressProtocol;
  /**
   * Who may reach the host: an ALLOW policy attached to the ServiceEntry at the waypoint.
   *
   * Without it no policy is written, so who may call the host is decided by the policies you manage
   * at the egress waypoint. That is only accepted when the waypoint's namespace (or the mesh) has a
   * ZeroTrustPolicy with default deny, so the host is closed until you admit callers, never silently
   * open to every client in the mesh.
   * @default - no ALLOW policy (requires default deny at the egress waypoint)
   */
  readonly allow?: EgressAllowRule[];
  /**
   * Name of the ServiceEntry (also the default for the other objects' names).
   * @default - the host with dots replaced by dashes, e.g. "api-stripe-com"
   */
  readonly serviceEntryName?: string;
  /**
   * Name of the TLS-origination DestinationRule.
   * @default - the ServiceEntry's name
   */
  readonly destinationRuleName?: string;
  /**
   * Name of the ALLOW AuthorizationPolicy.
   * @default "<ServiceEntry name>-egress"
   */
  readonly policyName?: string;
}

/**
 * Egress through a waypoint: a ServiceEntry for an external host enrolled in an egress waypoint,
 * optional TLS origination (the application calls http://host, the waypoint connects with TLS), and
 * an ALLOW policy attached to the ServiceEntry at the waypoint. `outboundTrafficPolicy: REGISTRY_ONLY`
 * does not lock the rest down for ambient pods: ztunnel does not enforce it (istio/istio#54281). Block
 * other external destinations with a Kubernetes NetworkPolicy egress rule on the ambient pods.
 *
 * @see https://istio.io/latest/docs/ambient/usage/waypoint/#usewaypointnamespace
 */
export class EgressHost extends Construct {
  /** Name of the ServiceEntry. */
  public readonly name: string;
  /** The ServiceEntry. */
  public readonly serviceEntry: ApiObject;

  public constructor(scope: Construct, id: string, props: EgressHostProps) {
    super(scope, id);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(props.host)) {
      throw constructError(this, `host "${props.host}" must be a fully qualified lowercase DNS name, e.g. "api.example.com" (no scheme, port or wildcard).`);
    }
    if (props.waypoint.trafficType !== 'service' && props.waypoint.trafficType !== 'all') {
      throw constructError(this, `waypoint "${props.waypoint.namespace}/${props.waypoint.name}" serves ${props.waypoint.trafficType} traffic; a ServiceEntry binds only to a \`service\` or \`all\` waypoint.`);
    }
    const ns = namespaceOf(this, props.namespace ?? props.waypoint.namespace, `EgressHost "${props.host}"`);
    checkNamespaceName(this, 'namespace', ns);
    if (props.allow !== undefined && props.allow.length === 0) {
      throw constructError(this, 'allow is empty: nobody could reach the host. Name the sources that may call it, or drop allow to manage the waypoint\'s policies yourself.');
    }
    const protocol = props.protocol ?? EgressProtocol.TLS;
    this.name = props.serviceEntryName ?? props.host.replace(/\./g, '-');
    for (const [what, value] of [['serviceEntryName', props.serviceEntryName], ['destinationRuleName', props.destinationRuleName], ['policyName', props.policyName]] as const) {
      if (value !== undefined) checkObjectName(this, what, value);
    }
    if (props.destinationRuleName !== undefined && protocol !== EgressProtocol.HTTP_WITH_TLS_ORIGINATION) {
      throw constructError(this, 'destinationRuleName names the TLS-origination DestinationRule, which only EgressProtocol.HTTP_WITH_TLS_ORIGINATION writes. Drop it.');
    }
    if (props.policyName !== undefined && props.allow === undefined) {
      throw constructError(this, 'policyName names the ALLOW policy written for allow rules, and there are none. Drop policyName or add allow rules.');
    }
    const port = protocol === EgressProtocol.TLS
      ? { number: 443, name: 'tls', protocol: 'TLS' }
      : protocol === EgressProtocol.HTTP_WITH_TLS_ORIGINATION
        ? { number: 80, name: 'http', protocol: 'HTTP', targetPort: 443 }
        : { number: 80, name: 'http', protocol: 'HTTP' };
    // One object, one owner: a second EgressHost writing the same objects is refused here, not at apply time.
    const registry = MeshRegistry.of(this);
    const drName = props.destinationRuleName ?? this.name;
    const policyName = props.policyName ?? `${this.name}-egress`;
    const originatesTls = protocol === EgressProtocol.HTTP_WITH_TLS_ORIGINATION;
    const tlsRule: DestinationRuleShape = {
      name: drName, namespace: ns, host: props.host, hasTrafficPolicy: true, subsets: [], hasWorkloadSelector: false, exportTo: [],
    };
    registry.checkObjectFree(this, 'ServiceEntry', ns, this.name, 'Declare one EgressHost per host, or give one a different `serviceEntryName`.');
    if (originatesTls) {
      registry.checkObjectFree(this, 'DestinationRule', ns, drName, 'Give one a different `destinationRuleName`.');
      checkDestinationRuleHostFree(this, tlsRule, other => `host "${props.host}" already has a DestinationRule "${other.shape.name}" in namespace "${ns}", written by ${other.owner.node.path}; with a second one for the same host, istiod keeps the trafficPolicy of the one created first and silently drops the other's. Declare one EgressHost per host.`);
    }
    if (props.allow !== undefined) registry.checkObjectFree(this, 'AuthorizationPolicy', ns, policyName, 'Give one a different `policyName`.');
    this.serviceEntry = new net.ServiceEntry(this, 'Resource', {
      metadata: { name: this.name, namespace: ns },
      spec: {
        hosts: [props.host],
        ports: [port],
        resolution: net.ServiceEntrySpecResolution.DNS,
        location: net.ServiceEntrySpecLocation.MESH_UNDERSCORE_EXTERNAL,
      },
    });
    // Labels the ServiceEntry and, across namespaces, makes the waypoint admit its namespace.
    enrollConsumer(props.waypoint, this.serviceEntry.metadata, ns, this.node.path);
    registry.claimObject(this, 'ServiceEntry', ns, this.name);
    if (originatesTls) {
      new net.DestinationRule(this, 'TlsOrigination', {
        metadata: { name: drName, namespace: ns },
        spec: { host: props.host, trafficPolicy: { tls: { mode: net.DestinationRuleSpecTrafficPolicyTlsMode.SIMPLE, sni: props.host } } },
      });
      registry.claimObject(this, 'DestinationRule', ns, drName);
      claimDestinationRule(this, tlsRule);
    }
    if (props.allow === undefined) {
      const waypoint = props.waypoint;
      this.node.addValidation({ validate: () => checkClosedWithoutAllow(this, waypoint, props.host) });
      return;
    }
    // Principals are written at synth, in the waypoint's trust domain (the mesh may be declared later).
    const renderRules = (trustDomain: string) => props.allow!.map((rule, i) => {
      const l7 = (rule.methods?.length ?? 0) + (rule.paths?.length ?? 0) > 0;
      if (l7 && protocol === EgressProtocol.TLS) {
        throw constructError(this, `allow[${i}]: methods and paths need HTTP: with protocol TLS the waypoint only sees the encrypted stream. Use EgressProtocol.HTTP_WITH_TLS_ORIGINATION, or drop them.`);
      }
      const source = rule.source.bind(this);
      if (source.requestPrincipals?.length) {
        throw constructError(this, `allow[${i}]: JWT sources are not supported for egress; name workloads or namespaces.`);
      }
      const from = renderSource(source, trustDomain);
      return {
        from: from.principals || from.namespaces || from.serviceAccounts || from.ipBlocks ? [{ source: from }] : undefined,
        to: l7 ? [{
          operation: {
            methods: rule.methods?.length ? [...rule.methods] : undefined,
            paths: rule.paths?.length ? [...rule.paths] : undefined,
          },
        }] : undefined,
      };
    });
    if (renderRules(DEFAULT_TRUST_DOMAIN).some(r => !r.from && !r.to)) {
      throw constructError(this, 'an allow rule for anyone without methods or paths would allow everything; name the sources.');
    }
    new sec.AuthorizationPolicy(this, 'Allow', {
      metadata: { name: policyName, namespace: ns },
      spec: {
        targetRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: this.name }],
        action: sec.AuthorizationPolicySpecAction.ALLOW,
        rules: Lazy.any({ produce: () => canonicalRules(renderRules(props.waypoint.identity.trustDomain)) }) as any,
      },
    });
    registry.claimObject(this, 'AuthorizationPolicy', ns, policyName);
  }
}

/**
 * Without allow rules the library writes no policy: the host must be closed by default deny at the
 * egress waypoint (its namespace's ZeroTrustPolicy, or the mesh-wide one), never open to everyone.
 */
function checkClosedWithoutAllow(scope: EgressHost, waypoint: IWaypoint, host: string): string[] {
  const registry = MeshRegistry.of(scope);
  const own = registry.policyFor(waypoint.namespace);
  if (own?.defaultDeny || registry.meshPolicy?.defaultDeny) return [];
  return [`EgressHost "${host}" has no allow rules, and nothing denies by default at waypoint "${waypoint.namespace}/${waypoint.name}" (no ZeroTrustPolicy with default deny in namespace "${waypoint.namespace}" or mesh-wide), so every client in the mesh could reach the host. Add allow rules, or declare a ZeroTrustPolicy for namespace "${waypoint.namespace}" and admit the callers there.`];
}
