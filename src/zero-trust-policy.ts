import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { Rule, canonicalRules, l7AttributesOf, matchesEverything } from './_authz';
import { consumerNamespacesOf } from './_enrollment';
import { invalidateSynthMemo, memoizeForSynth } from './_memo';
import { MeshRegistry, WorkloadEnrollment } from './_registry';
import { checkNamespaceName, checkObjectName, constructError, namespaceOf, wholeSeconds } from './_validation';
import { Condition } from './condition';
import * as sec from './imports/security.istio.io';
import { DEFAULT_TRUST_DOMAIN, MeshIdentity } from './mesh-identity';
import { PolicySource } from './policy-source';
import { PolicyTarget, _ResolvedTarget, _WaypointBinding } from './policy-target';
import { ztunnelRuleFate } from './semantics/enforcement';
import { WAYPOINT_GATEWAY_CLASS } from './waypoint';

/** Istio's default root namespace (`meshConfig.rootNamespace`). */
export const DEFAULT_ROOT_NAMESPACE = 'istio-system';
/** Annotation that makes an AuthorizationPolicy log its decisions instead of enforcing them. */
export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';

const HTTP_METHOD = /^(\*|\*?[A-Z]+\*?)$/;
const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** mTLS mode for the PeerAuthentication of a ZeroTrustPolicy. */
export enum MtlsMode {
  /** Only mTLS (HBONE) connections are accepted: plaintext from outside the mesh is refused. */
  STRICT = 'STRICT',
  /** mTLS from the mesh and plaintext from outside it (Istio's ambient default). */
  PERMISSIVE = 'PERMISSIVE',
  /** Refused: ambient always uses mTLS between ztunnels and ignores DISABLE policies. */
  DISABLE = 'DISABLE',
}

/** Props for `ZeroTrustPolicy`. */
export interface ZeroTrustPolicyProps {
  /**
   * The namespace the policy protects. It must be declared as an `AmbientNamespace` in this app
   * (before the policy), so the policy knows which waypoint serves it.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Make this the mesh-wide policy, in the root namespace: STRICT mTLS and default deny for every
   * workload (ztunnel) and every waypoint (GatewayClass `istio-waypoint`).
   * @default false
   */
  readonly meshWide?: boolean;
  /**
   * Istio's root namespace (`meshConfig.rootNamespace`), for a mesh-wide policy.
   * @default "istio-system"
   */
  readonly rootNamespace?: string;
  /**
   * Prefix for the names of the emitted objects, e.g. `"team-a"` gives `team-a-productpage-waypoint`.
   * @default - no prefix: `allow-nothing`, `require-waypoint`, `<service>-ztunnel`, `<service>-waypoint`, ...
   */
  readonly namePrefix?: string;
  /**
   * Names of your choice for emitted objects, keyed by the name the library would give them (after
   * `namePrefix`): `{ 'productpage-waypoint': 'allow-curl-get', 'allow-nothing': 'deny-all', 'default': 'mtls' }`.
   * Use it to keep the names of policies already running in the cluster. A key that names no emitted
   * object fails synth, so a typo cannot go unnoticed.
   * @default - the library's names
   */
  readonly names?: { [defaultName: string]: string };
  /**
   * mTLS mode (PeerAuthentication `default`). DISABLE is refused: ambient ignores it.
   * @default MtlsMode.STRICT
   */
  readonly mtls?: MtlsMode;
  /**
   * Deny everything that no rule allows: an allow-nothing policy at ztunnel and at the waypoints
   * that live in the namespace. Turning it off is an explicit opt-out.
   * @default true
   */
  readonly defaultDeny?: boolean;
  /**
   * Mesh trust domain (`meshConfig.trustDomain`); principals are built from it.
   * @default - the app's AmbientMesh trust domain if declared before, else "cluster.local"
   */
  readonly trustDomain?: string;
  /**
   * By default a destination with waypoint rules admits only its waypoint at ztunnel, so its L7
   * rules cannot be skipped by dialling pod IPs or while the waypoint is down. Set this to also admit
   * the rules' sources directly at L4 (their L7 attributes are then not enforced on that path).
   * @default false
   */
  readonly allowWaypointBypass?: boolean;
  /**
   * Emit every AuthorizationPolicy with `istio.io/dry-run: "true"`: decisions are logged, not
   * enforced. Waypoints log them; ztunnel ignores dry-run policies unless istiod runs with
   * `AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true` (ztunnel 1.29+).
   * @default false
   */
  readonly dryRun?: boolean;
}

/** What a rule matches besides its source, and where it applies. */
export interface ZeroTrustRuleOptions {
  /**
   * The destination.
   * @default PolicyTarget.namespace()
   */
  readonly to?: PolicyTarget;
  /**
   * Destination ports: Service ports for a Service target, container ports otherwise.
   * @default - any port
   */
  readonly ports?: number[];
  /**
   * HTTP methods (L7: needs a waypoint).
   * @default - any method
   */
  readonly methods?: string[];
  /**
   * HTTP paths, exact or with a `*` prefix/suffix wildcard (L7).
   * @default - any path
   */
  readonly paths?: string[];
  /**
   * HTTP paths that do not match (L7).
   * @default - none excluded
   */
  readonly notPaths?: string[];
  /**
   * HTTP hosts (L7).
   * @default - any host
   */
  readonly hosts?: string[];
  /**
   * Request headers that must match one of their values (L7), e.g. `{ 'x-tenant': ['blue'] }`.
   * @default - no header condition
   */
  readonly headers?: { [name: string]: string[] };
  /**
   * Further `when` conditions. `source.ip`, `source.namespace`, `source.principal`,
   * `destination.ip` and `destination.port` are L4; any other key is L7.
   * @default - none
   */
  readonly conditions?: Condition[];
  /**
   * Log instead of enforce, for this rule only (it goes into a separate `-dry-run` policy).
   * @default - the policy's `dryRun`
   */
  readonly dryRun?: boolean;
}

/** Where to read the JWT from, besides the default `Authorization: Bearer` header. */
export interface JwtHeader {
  /** Header name. */
  readonly name: string;
  /**
   * Prefix before the token, e.g. `"Bearer "`.
   * @default - the whole header value
   */
  readonly prefix?: string;
}

/** A JWT claim copied to a request header. */
export interface JwtClaimToHeader {
  /** Header to write. */
  readonly header: string;
  /** Claim to copy. */
  readonly claim: string;
}

/** The issuer a destination accepts JWTs from, and how they are validated. */
export interface JwtRequirement {
  /** Token issuer (`iss`). */
  readonly issuer: string;
  /**
   * URL of the issuer's JSON Web Key Set. Must be https unless `allowInsecureJwksUri`. Give exactly
   * one of `jwksUri` and `jwks`.
   * @default - none
   */
  readonly jwksUri?: string;
  /**
   * Inline JSON Web Key Set (JSON). Give exactly one of `jwksUri` and `jwks`.
   * @default - none
   */
  readonly jwks?: string;
  /**
   * Accepted audiences (`aud`).
   * @default - the service name
   */
  readonly audiences?: string[];
  /**
   * Headers to read the token from.
   * @default - `Authorization: Bearer <token>`, then the `access_token` query parameter
   */
  readonly fromHeaders?: JwtHeader[];
  /**
   * Query parameters to read the token from.
   * @default - see fromHeaders
   */
  readonly fromParams?: string[];
  /**
   * Cookies to read the token from.
   * @default - none
   */
  readonly fromCookies?: string[];
  /**
   * Forward the token to the destination.
   * @default false
   */
  readonly forwardOriginalToken?: boolean;
  /**
   * Header receiving the base64-encoded JWT payload.
   * @default - none
   */
  readonly outputPayloadToHeader?: string;
  /**
   * Claims copied to headers.
   * @default - none
   */
  readonly outputClaimToHeaders?: JwtClaimToHeader[];
  /**
   * JWKS fetch timeout.
   * @default - Istio's default (5s)
   */
  readonly timeout?: Duration;
  /**
   * Accept an `http://` JWKS URI. Keys fetched in plaintext can be forged on the way.
   * @default false
   */
  readonly allowInsecureJwksUri?: boolean;
}

/** Options for `ZeroTrustPolicy.requireJwt`. */
export interface RequireJwtOptions extends JwtRequirement {
  /**
   * The destination that requires the token.
   * @default PolicyTarget.namespace()
   */
  readonly to?: PolicyTarget;
}

/** Where a policy applies: namespace-wide, to selected pods, or attached to a waypoint. @internal */
type Attachment =
  | { readonly kind: 'namespace' }
  | { readonly kind: 'selector'; readonly matchLabels: { [key: string]: string } }
  | { readonly kind: 'targetRefs'; readonly refs: sec.AuthorizationPolicySpecTargetRefs[] };

interface EmittedPolicy {
  readonly action: sec.AuthorizationPolicySpecAction;
  readonly attachment: Attachment;
  readonly rules: Rule[];
}

interface Placement {
  readonly target: PolicyTarget;
  readonly resolved: _ResolvedTarget;
  readonly what: string;
}

const ACTION_SUFFIX: { [action: string]: string } = { ALLOW: '', DENY: '-deny', AUDIT: '-audit' };

/**
 * Zero-trust authorization for an ambient namespace (or the whole mesh): STRICT mTLS, default deny,
 * and identity-based allows, each enforced where Istio can enforce it.
 *
 * - Rules with only L4 attributes (identities, namespaces, IP blocks, ports, L4 conditions) for a
 *   destination without a waypoint are enforced by ztunnel (`selector` or namespace-wide policy).
 * - Rules for a destination served by a waypoint are attached to the waypoint (`targetRefs` to the
 *   Service, or the waypoint Gateway for the whole namespace): behind a waypoint ztunnel only sees
 *   the waypoint's identity. ztunnel then admits only the waypoint, so the rules cannot be bypassed.
 * - L7 attributes (methods, paths, hosts, headers, JWT principals) need a waypoint: without one the
 *   rule is refused, because ztunnel would drop an ALLOW rule and over-deny with a DENY rule.
 * - Ingress gateways reach pods directly unless the destination sets `ingress-use-waypoint`, so
 *   their rules are enforced by ztunnel.
 *
 * Declare namespaces, waypoints and enrollments before the policy and its rules: each rule is placed
 * against the mesh as declared so far, and synth fails if a later enrollment would move it.
 *
 * @see https://istio.io/latest/docs/ambient/usage/l4-policy/
 * @see https://istio.io/latest/docs/ambient/usage/l7-features/
 */
export class ZeroTrustPolicy extends Construct {
  /** The namespace the policy objects are written to (the root namespace for a mesh-wide policy). */
  public readonly namespace: string;
  /** Whether this is the mesh-wide policy. */
  public readonly meshWide: boolean;
  /** Mesh trust domain. */
  public readonly trustDomain: string;
  /** The mTLS mode. */
  public readonly mtls: MtlsMode;
  /** Whether everything not allowed is denied. */
  public readonly defaultDeny: boolean;

  private readonly namePrefix: string;
  private readonly renames: Map<string, string>;
  private readonly allowWaypointBypass: boolean;
  private readonly dryRun: boolean;
  private readonly policies = new Map<string, EmittedPolicy>();
  private readonly requestAuthentications = new Map<string, { attachment: Attachment; rules: sec.RequestAuthenticationSpecJwtRules[] }>();
  private readonly placements: Placement[] = [];
  private readonly jwtPrincipalUses: { attachmentKey: string; namespaceKey?: string; what: string }[] = [];
  private readonly waypointsDeniedByDefault: string[] = [];
  private readonly jwtValidatedAt = new Set<string>();
  private readonly namespaceWaypoint?: _WaypointBinding;
  /** Cleared whenever an object is added, so the objects are put in order once per change. */
  private objectsOrdered = false;
  /** Per destination: ingress allows placed at ztunnel, and waypoint rules that ingress would skip. */
  private readonly destinations = new Map<string, { description: string; ingressDirect: string[]; waypointOnly: string[] }>();
  /** Namespace-wide rules placed at the namespace waypoint. */
  private readonly namespaceWaypointRules: string[] = [];
  /** Waypoint principals excluded from mesh-wide ztunnel DENYs, and how many waypoints were known then. */
  private meshDenyWaypointCount?: number;

  public constructor(scope: Construct, id: string, props: ZeroTrustPolicyProps = {}) {
    super(scope, id);
    this.meshWide = props.meshWide ?? false;
    this.trustDomain = props.trustDomain ?? MeshRegistry.of(this).mesh?.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    MeshIdentity.fromServiceAccountName('default', 'default', this.trustDomain); // validates the trust domain
    if (this.meshWide) {
      if (props.namespace !== undefined) {
        throw constructError(this, 'a mesh-wide policy lives in the root namespace: set `rootNamespace`, not `namespace`.');
      }
      // istiod's root namespace is the namespace it is installed in (global.istioNamespace).
      this.namespace = props.rootNamespace ?? MeshRegistry.of(this).mesh?.namespace ?? DEFAULT_ROOT_NAMESPACE;
      checkNamespaceName(this, 'rootNamespace', this.namespace);
    } else {
      if (props.rootNamespace !== undefined) {
        throw constructError(this, '`rootNamespace` applies to a mesh-wide policy only; set `meshWide: true` or drop it.');
      }
      this.namespace = namespaceOf(this, props.namespace, 'ZeroTrustPolicy');
    }
    this.namePrefix = props.namePrefix ? `${props.namePrefix}-` : '';
    this.renames = new Map(Object.entries(props.names ?? {}));
    const chosen = new Map<string, string>();
    for (const [from, to] of this.renames) {
      checkObjectName(this, `names["${from}"]`, to);
      if (chosen.has(to)) throw constructError(this, `names gives "${chosen.get(to)}" and "${from}" the same name "${to}"; each object needs its own.`);
      chosen.set(to, from);
    }
    this.mtls = props.mtls ?? MtlsMode.STRICT;
    this.defaultDeny = props.defaultDeny ?? true;
    this.allowWaypointBypass = props.allowWaypointBypass ?? false;
    this.dryRun = props.dryRun ?? false;

    if (this.mtls === MtlsMode.DISABLE) {
      throw constructError(this, 'mtls DISABLE is not supported in ambient mode: ztunnel always uses mTLS (HBONE) between workloads and Istio ignores DISABLE policies. Use MtlsMode.PERMISSIVE to accept plaintext from outside the mesh, or keep STRICT.');
    }
    const registry = MeshRegistry.of(this);
    registry.registerPolicy(this);

    new sec.PeerAuthentication(this, 'Mtls', {
      metadata: { name: this.chosenName('default'), namespace: this.namespace },
      spec: {
        mtls: { mode: this.mtls === MtlsMode.STRICT ? sec.PeerAuthenticationSpecMtlsMode.STRICT : sec.PeerAuthenticationSpecMtlsMode.PERMISSIVE },
      },
    });

    const namespaceTarget = this.meshWide ? undefined : PolicyTarget.namespace()._resolve(this, this.namespace);
    this.namespaceWaypoint = namespaceTarget?.waypoint;
    if (this.defaultDeny) {
      this.policy(this.objectName('allow-nothing'), sec.AuthorizationPolicySpecAction.ALLOW, { kind: 'namespace' }, this.dryRun);
      if (this.meshWide) {
        this.policy(this.objectName('allow-nothing-istio-waypoint'), sec.AuthorizationPolicySpecAction.ALLOW, {
          kind: 'targetRefs', refs: [{ group: GATEWAY_GROUP, kind: 'GatewayClass', name: WAYPOINT_GATEWAY_CLASS }],
        }, this.dryRun);
      } else {
        // The waypoints that live here get a default deny too: waypoints ignore namespace-wide policies.
        for (const waypoint of registry.waypointsInNamespace(this.namespace)) {
          this.denyAllAtWaypoint(waypoint.name);
        }
        if (namespaceTarget?.waypoint) this.requireWaypoint(namespaceTarget);
        for (const enrollment of registry.workloadEnrollments(this.namespace)) this._admitWorkloadWaypoint(enrollment);
      }
    }

    this.node.addValidation({
      validate: () => {
        this.orderObjects();
        return memoizeForSynth(this, `zero-trust-policy:${this.node.path}`, () => [...this.checkNames(), ...this.validatePolicy()]);
      },
    });
  }

  /**
   * Objects are created when a destination is first used, so their order would follow declaration
   * order. Putting them in kind and name order makes the output the same whatever order rules are
   * declared in. The children are re-inserted in that order (constructs keeps them in insertion
   * order); should the constructs internals differ, the order is imposed with dependencies instead
   * (slower: cdk8s resolves dependencies once per chart). Idempotent.
   */
  private orderObjects(): void {
    if (this.objectsOrdered) return;
    this.objectsOrdered = true;
    const rank = (kind: string) => ['PeerAuthentication', 'RequestAuthentication', 'AuthorizationPolicy'].indexOf(kind);
    const objects = this.node.children.filter((c): c is ApiObject => ApiObject.isApiObject(c))
      .sort((a, b) => rank(a.kind) - rank(b.kind) || a.name.localeCompare(b.name));
    const children: { [id: string]: IConstruct } | undefined = (this.node as any)._children;
    if (children && typeof children === 'object' && !(children instanceof Map) && this.node.children.length === objects.length) {
      const entries = objects.map(o => [o.node.id, o] as const);
      for (const [id] of entries) delete children[id];
      for (const [id, o] of entries) children[id] = o;
      if (this.node.children.every((c, i) => c === objects[i])) return;
    }
    for (let i = 1; i < objects.length; i++) objects[i].node.addDependency(objects[i - 1]);
  }

  /** Names of the AuthorizationPolicies emitted so far, sorted. Returns a copy. */
  public get policyNames(): string[] {
    return [...this.policies.keys()].sort();
  }

  /** Allows `source` to reach the destination (`options.to`, default the whole namespace). */
  public allowFrom(source: PolicySource, options: ZeroTrustRuleOptions = {}): void {
    this.place(sec.AuthorizationPolicySpecAction.ALLOW, source, options);
  }

  /** Denies `source`; DENY rules win over every ALLOW. */
  public denyFrom(source: PolicySource, options: ZeroTrustRuleOptions = {}): void {
    this.place(sec.AuthorizationPolicySpecAction.DENY, source, options);
  }

  /**
   * Marks matching requests for audit logging (AUDIT action; waypoints only). AUDIT only marks the
   * requests: nothing is logged unless meshConfig defines an audit-capable extension provider (Istio
   * supports only Stackdriver), and the analyzer warns otherwise (AMB133).
   */
  public auditFrom(source: PolicySource, options: ZeroTrustRuleOptions = {}): void {
    this.place(sec.AuthorizationPolicySpecAction.AUDIT, source, options);
  }

  /**
   * Requires a valid JWT from the given issuer at the destination: a RequestAuthentication and a
   * DENY for requests without a token, attached to the destination's waypoint. Call it once per
   * accepted issuer.
   */
  public requireJwt(options: RequireJwtOptions): void {
    invalidateSynthMemo(this);
    const target = options.to ?? PolicyTarget.namespace();
    const jwtRule = renderJwtRule(this, options);
    if (this.meshWide) {
      throw constructError(this, 'requireJwt() is per namespace: declare it in the ZeroTrustPolicy of the namespace whose waypoint validates the token.');
    }
    const resolved = target._resolve(this, this.namespace);
    const what = `requireJwt(${options.issuer}) for ${resolved.description}`;
    if (!resolved.waypoint) {
      throw constructError(this, `${what}: JWT validation is L7 and ${resolved.description} has no waypoint; ztunnel cannot read requests. Add a waypoint (AmbientNamespace.addWaypoint() or waypoint.enrollService()).`);
    }
    const attachment = this.waypointAttachment(resolved, what);
    const base = this.objectName(resolved.baseName);
    const key = attachmentKey(attachment);
    let ra = this.requestAuthentications.get(`${base}-jwt`);
    if (!ra) {
      ra = { attachment, rules: [] };
      this.requestAuthentications.set(`${base}-jwt`, ra);
      this.objectsOrdered = false;
      const state = ra;
      new sec.RequestAuthentication(this, `${base}-jwt`, {
        metadata: { name: this.chosenName(`${base}-jwt`), namespace: this.namespace },
        spec: Lazy.any({ produce: () => ({ targetRefs: refsOf(state.attachment), jwtRules: sortJwtRules(state.rules) }) }),
      });
    }
    if (ra.rules.some(r => r.issuer === jwtRule.issuer)) {
      throw constructError(this, `${what}: issuer "${jwtRule.issuer}" is already required for ${resolved.description}; configure each issuer once.`);
    }
    ra.rules.push(jwtRule);
    this.addRule(`${base}-require-jwt`, sec.AuthorizationPolicySpecAction.DENY, attachment,
      { from: [{ source: { notRequestPrincipals: ['*'] } }] }, this.dryRun);
    this.recordPlacement(target, resolved, what);
    this.destination(resolved).waypointOnly.push(what);
    this.jwtValidatedAt.add(key);
  }

  /** A helper that declares rules for one destination, like cdk8s-plus `connections`. */
  public to(target: PolicyTarget): PolicyDestination {
    return new PolicyDestination(this, target);
  }

  private place(action: sec.AuthorizationPolicySpecAction, source: PolicySource, options: ZeroTrustRuleOptions): void {
    invalidateSynthMemo(this);
    const target = options.to ?? PolicyTarget.namespace();
    const verb = action === 'ALLOW' ? 'allowFrom' : action === 'DENY' ? 'denyFrom' : 'auditFrom';
    const what = `${verb}(${source.description}) to ${this.meshWide ? 'the mesh' : target.description}`;
    const rule = this.renderRule(source, options, what);
    const l7 = l7AttributesOf(rule);
    const dryRun = options.dryRun ?? this.dryRun;
    if (dryRun && action === 'AUDIT') {
      throw constructError(this, `${what}: dry-run applies to ALLOW and DENY rules only; an AUDIT rule enforces nothing already.`);
    }
    const suffix = ACTION_SUFFIX[action] + (dryRun && !this.dryRun ? '-dry-run' : '');

    if (this.meshWide) {
      if (target._kind !== 'namespace') {
        throw constructError(this, `${what}: a mesh-wide policy applies to the whole mesh; put rules for ${target.description} in the ZeroTrustPolicy of its namespace.`);
      }
      if (source._requestPrincipals.length > 0) {
        throw constructError(this, `${what}: JWT principals need a RequestAuthentication at the same waypoint; declare this rule in the namespace's ZeroTrustPolicy with requireJwt().`);
      }
      const gatewayClass: Attachment = { kind: 'targetRefs', refs: [{ group: GATEWAY_GROUP, kind: 'GatewayClass', name: WAYPOINT_GATEWAY_CLASS }] };
      this.addRule(this.objectName(`mesh-waypoint${suffix}`), action, gatewayClass, rule, dryRun);
      if (l7.length === 0 && action !== 'AUDIT') {
        let ztunnelRule = rule;
        if (action === 'DENY') {
          // At ztunnel, traffic through a waypoint carries the waypoint's identity: never deny that.
          const waypoints = MeshRegistry.of(this).allWaypoints();
          this.meshDenyWaypointCount = waypoints.length;
          ztunnelRule = excludePrincipals(rule, waypoints.map(w => w.identity.principal));
        }
        this.addRule(this.objectName(`mesh-ztunnel${suffix}`), action, { kind: 'namespace' }, ztunnelRule, dryRun);
      }
      return;
    }

    const resolved = target._resolve(this, this.namespace);
    this.recordPlacement(target, resolved, what);
    const base = this.objectName(resolved.baseName);
    const waypoint = resolved.waypoint;

    if (!waypoint) {
      if (l7.length > 0) {
        // What ztunnel would do with the rule (semantics/enforcement).
        const fate = action === 'DENY' ? ztunnelRuleFate(rule, action) : 'dropped';
        const effect = fate === 'no-effect'
          ? 'istiod would strip them and ztunnel would skip the emptied clause, so the DENY would have no effect (fail open)'
          : fate === 'broadened'
            ? 'ztunnel would enforce the DENY without them and deny more traffic than intended'
            : 'ztunnel would drop the rule, so the traffic it allows would be denied';
        throw constructError(this, `${what} uses L7 attributes (${l7.join(', ')}), but ${resolved.description} has no waypoint: ${effect}. Add a waypoint (AmbientNamespace.addWaypoint() or waypoint.enrollService()) before declaring the rule, or drop the L7 attributes.`);
      }
      if (action === 'AUDIT') {
        throw constructError(this, `${what}: AUDIT is enforced by waypoints only (ztunnel ignores AUDIT policies), and ${resolved.description} has no waypoint. Add a waypoint or use dryRun.`);
      }
      this.addRule(`${base}-ztunnel${suffix}`, action, this.ztunnelAttachment(resolved, what), this.toPodPorts(rule, resolved, what), dryRun);
      return;
    }

    if (source._ingress && !resolved.ingressUsesWaypoint) {
      if (l7.length > 0) {
        throw constructError(this, `${what} uses L7 attributes (${l7.join(', ')}), but the ingress gateway sends traffic for ${resolved.description} straight to its pods, past waypoint "${waypoint.namespace}/${waypoint.name}", so no proxy that can read requests sees it. Set ingressUseWaypoint on the Service or namespace (L7 then runs at the gateway and the waypoint), or drop the L7 attributes.`);
      }
      if (action === 'AUDIT') {
        throw constructError(this, `${what}: ingress traffic to ${resolved.description} bypasses its waypoint, and only waypoints enforce AUDIT. Set ingressUseWaypoint on the Service or namespace.`);
      }
      const attachment = this.ztunnelAttachment(resolved, what);
      this.addRule(`${base}-ztunnel${suffix}`, action, attachment, this.toPodPorts(rule, resolved, what), dryRun);
      if (action === 'ALLOW') {
        this.admitWaypoint(`${base}-ztunnel${suffix}`, attachment, waypoint, dryRun);
        this.destination(resolved).ingressDirect.push(what);
      }
      return;
    }

    if (resolved.headless) {
      // Pod-addressed traffic takes the waypoint's direct pod chain, built without Service-attached
      // policies (istio 1.30.3 listener_waypoint.go "Direct pod access chain"), and ztunnel then sees
      // the waypoint's identity: no attachment expresses a rule for this one Service.
      throw constructError(this, `${what}: ${resolved.description} has no VIP, so its traffic is addressed to pod IPs and passes waypoint "${waypoint.namespace}/${waypoint.name}", which ignores Service-attached policies for pod-addressed traffic while ztunnel sees the waypoint's identity. Give the Service a cluster IP, or opt its pods out of the waypoint (label istio.io/use-waypoint: none).`);
    }
    if (resolved.kind === 'workload') {
      throw constructError(this, `${what}: ${resolved.description} is behind waypoint "${waypoint.namespace}/${waypoint.name}", where ztunnel sees the waypoint's identity instead of the client's, and waypoints can only be targeted per Service or Gateway. Target the Service instead (PolicyTarget.service()).`);
    }
    if (source._requestPrincipals.length > 0) {
      this.jwtPrincipalUses.push({
        attachmentKey: attachmentKey(this.waypointAttachment(resolved, what)),
        namespaceKey: this.namespaceJwtKey(resolved),
        what,
      });
    }
    const attachment = this.waypointAttachment(resolved, what);
    this.addRule(`${base}-waypoint${suffix}`, action, attachment, rule, dryRun);
    if (resolved.kind === 'namespace') this.namespaceWaypointRules.push(what);
    if (action === 'DENY' && couldMatchIngress(rule)) this.destination(resolved).waypointOnly.push(what);
    if (action === 'AUDIT') return; // AUDIT restricts nothing, so it needs no bypass protection
    // A Service on a waypoint that has no default deny of ours gets an ALLOW policy of its own:
    // once one exists, the waypoint denies the Service everything it does not allow.
    if (this.defaultDeny && resolved.kind === 'service' && !this.deniesByDefault(waypoint)) {
      this.policy(`${base}-waypoint`, sec.AuthorizationPolicySpecAction.ALLOW, attachment, this.dryRun);
    }
    this.protectFromBypass(resolved, what, dryRun);
    if (this.allowWaypointBypass) this.projectToZtunnel(action, rule, resolved, base, suffix, dryRun, what);
  }

  private destination(resolved: _ResolvedTarget): { description: string; ingressDirect: string[]; waypointOnly: string[] } {
    const key = `${resolved.kind}/${resolved.baseName}`;
    let entry = this.destinations.get(key);
    if (!entry) {
      entry = { description: resolved.description, ingressDirect: [], waypointOnly: [] };
      this.destinations.set(key, entry);
    }
    return entry;
  }

  /** The waypoint has an allow-nothing of this policy (it lives in this namespace). */
  private deniesByDefault(waypoint: _WaypointBinding): boolean {
    return waypoint.namespace === this.namespace && this.waypointsDeniedByDefault.includes(waypoint.name);
  }

  private renderRule(source: PolicySource, options: ZeroTrustRuleOptions, what: string): Rule {
    const src: sec.AuthorizationPolicySpecRulesFromSource = {
      principals: source._principals.length ? source._principals.map(p => `${p.trustDomain ?? this.trustDomain}/ns/${p.namespace}/sa/${p.serviceAccount}`) : undefined,
      namespaces: source._namespaces.length ? [...source._namespaces] : undefined,
      serviceAccounts: source._serviceAccounts.length ? [...source._serviceAccounts] : undefined,
      ipBlocks: source._ipBlocks.length ? [...source._ipBlocks] : undefined,
      requestPrincipals: source._requestPrincipals.length ? [...source._requestPrincipals] : undefined,
    };
    for (const port of options.ports ?? []) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw constructError(this, `${what}: port ${port} is not a port number (1-65535).`);
    }
    for (const method of options.methods ?? []) {
      if (!HTTP_METHOD.test(method)) throw constructError(this, `${what}: method "${method}" is not an HTTP method; use upper case, e.g. "GET".`);
    }
    for (const path of [...options.paths ?? [], ...options.notPaths ?? []]) {
      if (!path.startsWith('/') && !path.startsWith('*')) throw constructError(this, `${what}: path "${path}" must start with "/" (or "*" for a suffix match).`);
      if (/[{}]/.test(path.replace(/\{\*\*?\}/g, ''))) {
        throw constructError(this, `${what}: path "${path}" uses a template Istio does not support; only {*} (one segment) and {**} (any segments) are allowed.`);
      }
    }
    const operation: sec.AuthorizationPolicySpecRulesToOperation = {
      ports: options.ports?.length ? options.ports.map(String) : undefined,
      methods: options.methods?.length ? [...options.methods] : undefined,
      paths: options.paths?.length ? [...options.paths] : undefined,
      notPaths: options.notPaths?.length ? [...options.notPaths] : undefined,
      hosts: options.hosts?.length ? [...options.hosts] : undefined,
    };
    const when: sec.AuthorizationPolicySpecRulesWhen[] = [];
    for (const [name, values] of Object.entries(options.headers ?? {})) {
      const c = Condition.header(name, ...values);
      when.push({ key: c.key, values: c.values });
    }
    for (const c of options.conditions ?? []) {
      when.push({ key: c.key, values: c.values.length ? c.values : undefined, notValues: c.notValues.length ? c.notValues : undefined });
    }
    const hasSource = Object.values(src).some(v => v !== undefined);
    const hasOperation = Object.values(operation).some(v => v !== undefined);
    const rule: Rule = {
      from: hasSource ? [{ source: src }] : undefined,
      to: hasOperation ? [{ operation }] : undefined,
      when: when.length ? when : undefined,
    };
    if (matchesEverything(rule)) {
      throw constructError(this, `${what} would match every request (an allow-all rule \`{}\`). Narrow it with ports, methods, paths, hosts or conditions, or name the sources; to switch off default deny, set \`defaultDeny: false\` instead.`);
    }
    return rule;
  }

  private objectName(base: string): string {
    return `${this.namePrefix}${base}`;
  }

  /** The name an object is written with: the user's choice (`names`), else the library's. */
  private chosenName(defaultName: string): string {
    return this.renames.get(defaultName) ?? defaultName;
  }

  /** `names` keys must name emitted objects, and chosen names must not clash with the library's. */
  private checkNames(): string[] {
    if (this.renames.size === 0) return [];
    const emitted = ['default', ...this.requestAuthentications.keys(), ...this.policies.keys()];
    const errors: string[] = [];
    for (const [from, to] of this.renames) {
      if (!emitted.includes(from)) {
        errors.push(`names has "${from}", but this policy emits no object of that name (it emits ${[...emitted].sort().join(', ')}). Fix the key.`);
      } else if (emitted.includes(to) && !this.renames.has(to)) {
        errors.push(`names renames "${from}" to "${to}", which is also the name of another object of this policy. Choose another name.`);
      }
    }
    return errors;
  }

  private policy(name: string, action: sec.AuthorizationPolicySpecAction, attachment: Attachment, dryRun: boolean): EmittedPolicy {
    const existing = this.policies.get(name);
    if (existing) {
      if (existing.action !== action || attachmentKey(existing.attachment) !== attachmentKey(attachment)) {
        throw constructError(this, `two different policies would be named "${name}" (${existing.action} ${attachmentKey(existing.attachment)} and ${action} ${attachmentKey(attachment)}); rename a Service or workload, or set namePrefix.`);
      }
      return existing;
    }
    const state: EmittedPolicy = { action, attachment, rules: [] };
    this.objectsOrdered = false;
    new sec.AuthorizationPolicy(this, name, {
      metadata: {
        name: this.chosenName(name),
        namespace: this.namespace,
        annotations: dryRun ? { [DRY_RUN_ANNOTATION]: 'true' } : undefined,
      },
      // Rendered once per synthesis: the synth-time analysis and the chart output share it.
      spec: Lazy.any({ produce: () => memoizeForSynth(this, `authorization-policy:${this.node.path}/${name}`, () => renderPolicySpec(state)) }),
    });
    this.policies.set(name, state);
    return state;
  }

  private addRule(name: string, action: sec.AuthorizationPolicySpecAction, attachment: Attachment, rule: Rule, dryRun: boolean): void {
    this.policy(name, action, attachment, dryRun).rules.push(rule);
  }

  private ztunnelAttachment(resolved: _ResolvedTarget, what: string): Attachment {
    if (resolved.kind === 'namespace') return { kind: 'namespace' };
    if (!resolved.selector) {
      throw constructError(this, `${what}: the rule is enforced by ztunnel, which selects pods by labels, but ${resolved.selectorProblem}.`);
    }
    return { kind: 'selector', matchLabels: resolved.selector };
  }

  private waypointAttachment(resolved: _ResolvedTarget, what: string): Attachment {
    const waypoint = resolved.waypoint!;
    if (resolved.kind === 'service') {
      return { kind: 'targetRefs', refs: [{ group: '', kind: 'Service', name: resolved.serviceName! }] };
    }
    if (waypoint.namespace !== this.namespace) {
      throw constructError(this, `${what}: the namespace's waypoint "${waypoint.namespace}/${waypoint.name}" lives in another namespace, and a policy can only attach to a Gateway in its own namespace. Target the Services instead (PolicyTarget.service()).`);
    }
    const declared = MeshRegistry.of(this).waypoint(waypoint.namespace, waypoint.name);
    const others = declared ? [...consumerNamespacesOf(declared).keys()].filter(ns => ns !== this.namespace).sort() : [];
    if (others.length > 0) {
      throw constructError(this, `${what}: waypoint "${waypoint.namespace}/${waypoint.name}" also serves namespaces ${others.join(', ')}, so a rule attached to it would apply to them too. Target the Services instead (PolicyTarget.service()).`);
    }
    return { kind: 'targetRefs', refs: [{ group: GATEWAY_GROUP, kind: 'Gateway', name: waypoint.name }] };
  }

  private namespaceJwtKey(resolved: _ResolvedTarget): string | undefined {
    const waypoint = resolved.waypoint;
    if (!waypoint || waypoint.namespace !== this.namespace) return undefined;
    return attachmentKey({ kind: 'targetRefs', refs: [{ group: GATEWAY_GROUP, kind: 'Gateway', name: waypoint.name }] });
  }

  private waypointPrincipal(waypoint: _WaypointBinding): string {
    return `${waypoint.trustDomain ?? this.trustDomain}/ns/${waypoint.namespace}/sa/${waypoint.name}`;
  }

  private admitWaypoint(name: string, attachment: Attachment, waypoint: _WaypointBinding, dryRun: boolean): void {
    const rule: Rule = { from: [{ source: { principals: [this.waypointPrincipal(waypoint)] } }] };
    this.addRule(name, sec.AuthorizationPolicySpecAction.ALLOW, attachment, rule, dryRun);
  }

  /**
   * Under default deny, ztunnel admits a workload waypoint to the pods enrolled in it: traffic addressed
   * to those pods arrives from the waypoint, and allow-nothing would refuse it. Called by the registry
   * for enrollments declared before or after this policy.
   * @internal
   */
  public _admitWorkloadWaypoint(enrollment: WorkloadEnrollment): void {
    if (!this.defaultDeny || this.meshWide) return;
    const w = enrollment.waypoint;
    if (this.namespaceWaypoint?.namespace === w.namespace && this.namespaceWaypoint.name === w.name) return; // require-waypoint admits it
    const binding: _WaypointBinding = { name: w.name, namespace: w.namespace, trustDomain: w.identity.trustDomain, trafficType: w.trafficType };
    this.admitWaypoint(this.objectName(`require-${w.name}`), { kind: 'selector', matchLabels: { ...enrollment.selector } }, binding, this.dryRun);
  }

  /** ztunnel admits the namespace's waypoint: with default deny nothing else would reach the pods. */
  private requireWaypoint(resolved: _ResolvedTarget, dryRun: boolean = this.dryRun): void {
    const suffix = dryRun && !this.dryRun ? '-dry-run' : '';
    this.admitWaypoint(this.objectName(`require-waypoint${suffix}`), { kind: 'namespace' }, resolved.waypoint!, dryRun);
  }

  private denyAllAtWaypoint(waypointName: string): void {
    this.waypointsDeniedByDefault.push(waypointName);
    this.policy(this.objectName(`allow-nothing-${waypointName}`), sec.AuthorizationPolicySpecAction.ALLOW, {
      kind: 'targetRefs', refs: [{ group: GATEWAY_GROUP, kind: 'Gateway', name: waypointName }],
    }, this.dryRun);
  }

  /** For a destination with waypoint rules, ztunnel admits only the waypoint (unless bypass is allowed). */
  private protectFromBypass(resolved: _ResolvedTarget, what: string, dryRun: boolean): void {
    if (resolved.kind === 'namespace') {
      this.requireWaypoint(resolved, dryRun);
      return;
    }
    // Under default deny, the namespace's require-waypoint already admits only that waypoint.
    if (this.defaultDeny && describeBinding(resolved.waypoint) === describeBinding(this.namespaceWaypoint)) return;
    if (!resolved.selector) {
      throw constructError(this, `${what}: to stop clients from bypassing the waypoint, ztunnel must admit only the waypoint to the Service's pods, but ${resolved.selectorProblem}. Give the selector, or set allowWaypointBypass: true on the policy.`);
    }
    const suffix = dryRun && !this.dryRun ? '-dry-run' : '';
    const name = this.objectName(`${resolved.baseName}-ztunnel${suffix}`);
    this.admitWaypoint(name, { kind: 'selector', matchLabels: resolved.selector }, resolved.waypoint!, dryRun);
  }

  private projectToZtunnel(
    action: sec.AuthorizationPolicySpecAction, rule: Rule, resolved: _ResolvedTarget, base: string, suffix: string, dryRun: boolean, what: string,
  ): void {
    // A source named by its JWT cannot be expressed at L4: projecting it would admit anyone.
    const l7Source = (rule.from ?? []).some(f => f.source?.requestPrincipals?.length || f.source?.notRequestPrincipals?.length
      || f.source?.remoteIpBlocks?.length || f.source?.notRemoteIpBlocks?.length);
    if (l7Source) return;
    const l4: Rule = {
      from: rule.from,
      to: rule.to?.map(t => ({ operation: { ports: t.operation?.ports } })).filter(t => t.operation.ports !== undefined),
      when: rule.when?.filter(w => l7AttributesOf({ when: [w] }).length === 0),
    };
    const normalized: Rule = {
      from: l4.from?.length ? l4.from : undefined,
      to: l4.to?.length ? l4.to : undefined,
      when: l4.when?.length ? l4.when : undefined,
    };
    if (matchesEverything(normalized)) return; // nothing left to say at L4: the waypoint-only path stays
    let projected = normalized;
    if (action === 'DENY') {
      // Without its L7 part a DENY would deny more than written; with it, ztunnel cannot enforce it.
      if (l7AttributesOf(rule).length > 0) return;
      // At ztunnel, traffic through the waypoint carries the waypoint's identity: never deny that.
      projected = excludePrincipals(normalized, [this.waypointPrincipal(resolved.waypoint!)]);
    }
    this.addRule(`${base}-ztunnel${suffix}`, action, this.ztunnelAttachment(resolved, what), this.toPodPorts(projected, resolved, what), dryRun);
  }

  /** ztunnel sees pod ports: translate the Service ports of a rule for a Service. */
  private toPodPorts(rule: Rule, resolved: _ResolvedTarget, what: string): Rule {
    if (resolved.kind !== 'service' || !rule.to) return rule;
    const to = rule.to.map(t => {
      const ports = t.operation?.ports?.map(p => {
        if (resolved.portsUnknown) {
          throw constructError(this, `${what}: ztunnel enforces ports on the pods, and ${resolved.description} is not declared in this app, so its port ${p} cannot be translated to a pod port. Declare the Service, or target the pods with PolicyTarget.pods() and container ports.`);
        }
        const pod = resolved.podPorts.get(Number(p));
        if (pod === undefined) {
          throw constructError(this, `${what}: ${resolved.description} has no port ${p} (ports: ${[...resolved.podPorts.keys()].join(', ')}).`);
        }
        if (typeof pod === 'string') {
          throw constructError(this, `${what}: ztunnel enforces ports on the pods, and port ${p} of ${resolved.description} targets the named port "${pod}". Use a numeric targetPort, or target the pods with PolicyTarget.pods() and container ports.`);
        }
        return String(pod);
      });
      return { operation: { ...t.operation, ports } };
    });
    return { ...rule, to };
  }

  private recordPlacement(target: PolicyTarget, resolved: _ResolvedTarget, what: string): void {
    this.placements.push({ target, resolved, what });
  }

  private validatePolicy(): string[] {
    const errors: string[] = [];
    const registry = MeshRegistry.of(this);
    // Rules were placed against the mesh as declared at the time; a later enrollment moves them.
    for (const placement of this.placements) {
      const now = placement.target._resolve(this, this.namespace);
      const before = describeBinding(placement.resolved.waypoint);
      const after = describeBinding(now.waypoint);
      if (before !== after || placement.resolved.ingressUsesWaypoint !== now.ingressUsesWaypoint) {
        errors.push(`${placement.what} was placed when ${placement.resolved.description} was served by ${before}, but it is now served by ${after}${placement.resolved.ingressUsesWaypoint !== now.ingressUsesWaypoint ? ' (ingress-use-waypoint changed)' : ''}, which changes where Istio enforces it. Declare waypoints and enrollments before the ZeroTrustPolicy rules.`);
      }
    }
    for (const use of this.jwtPrincipalUses) {
      if (!this.jwtValidatedAt.has(use.attachmentKey) && !(use.namespaceKey && this.jwtValidatedAt.has(use.namespaceKey))) {
        errors.push(`${use.what} matches JWT principals, but no RequestAuthentication validates tokens at that waypoint, so requests never carry a principal and the rule never matches. Call requireJwt({ issuer, jwksUri, to }) for the same destination.`);
      }
    }
    const namespaceEntry = this.destinations.get('namespace/namespace');
    for (const dest of this.destinations.values()) {
      const ingress = [...dest.ingressDirect, ...(dest !== namespaceEntry ? namespaceEntry?.ingressDirect ?? [] : [])];
      if (ingress.length > 0 && dest.waypointOnly.length > 0) {
        errors.push(`${ingress[0]} lets the ingress gateway reach ${dest.description} directly, past its waypoint, so ${dest.waypointOnly.join('; ')} would not apply to ingress traffic. Set ingressUseWaypoint on the Service or namespace (the gateway then sends through the waypoint), or drop the ingress rule.`);
      }
    }
    if (this.namespaceWaypointRules.length > 0 && this.namespaceWaypoint) {
      const missed = servicesOfNamespace(this, this.namespace)
        .map(svc => PolicyTarget.service(svc)._resolve(this, this.namespace))
        .filter(r => describeBinding(r.waypoint) !== describeBinding(this.namespaceWaypoint))
        .map(r => `${r.description} (${describeBinding(r.waypoint)})`);
      if (missed.length > 0) {
        errors.push(`${this.namespaceWaypointRules[0]} is enforced at the namespace waypoint "${this.namespaceWaypoint.namespace}/${this.namespaceWaypoint.name}", which does not serve ${missed.join(', ')}: those would stay denied. Add rules for them with PolicyTarget.service().`);
      }
    }
    if (this.meshDenyWaypointCount !== undefined && registry.allWaypoints().length !== this.meshDenyWaypointCount) {
      errors.push('a waypoint was declared after the mesh-wide DENY rules, so those rules do not exempt it at ztunnel and would deny its traffic. Declare waypoints before the mesh-wide policy\'s rules.');
    }
    if (this.defaultDeny && !this.meshWide) {
      for (const waypoint of registry.waypointsInNamespace(this.namespace)) {
        if (!this.waypointsDeniedByDefault.includes(waypoint.name)) {
          errors.push(`waypoint "${waypoint.namespace}/${waypoint.name}" was declared after this ZeroTrustPolicy, so it has no default deny. Declare waypoints before the policy.`);
        }
      }
      const nsWaypoint = PolicyTarget.namespace()._resolve(this, this.namespace).waypoint;
      if (nsWaypoint && nsWaypoint.namespace !== this.namespace) {
        const owner = registry.policyFor(nsWaypoint.namespace);
        if (!(owner?.defaultDeny) && !(registry.meshPolicy?.defaultDeny)) {
          errors.push(`namespace "${this.namespace}" uses waypoint "${nsWaypoint.namespace}/${nsWaypoint.name}", which has no default deny: waypoints ignore namespace-wide policies, and its allow-nothing belongs to its own namespace. Declare a ZeroTrustPolicy for "${nsWaypoint.namespace}" (or a mesh-wide one).`);
        }
      }
    }
    if (this.meshWide && this.defaultDeny) {
      for (const ns of registry.ambientNamespaces) {
        if (ns.waypoint && !registry.policyFor(ns.name)) {
          errors.push(`namespace "${ns.name}" uses waypoint "${ns.waypoint.namespace}/${ns.waypoint.name}", and under mesh-wide default deny ztunnel rejects the waypoint's traffic to its pods. Declare a ZeroTrustPolicy for "${ns.name}": it admits its waypoint (require-waypoint).`);
        }
      }
    }
    return errors;
  }
}

/** Rules for one destination of a ZeroTrustPolicy (see `ZeroTrustPolicy.to`). */
export class PolicyDestination {
  /** The policy. */
  public readonly policy: ZeroTrustPolicy;
  /** The destination. */
  public readonly target: PolicyTarget;

  public constructor(policy: ZeroTrustPolicy, target: PolicyTarget) {
    this.policy = policy;
    this.target = target;
  }

  /** Allows `source` to reach this destination. Returns this, for chaining. */
  public allowFrom(source: PolicySource, options: ZeroTrustRuleOptions = {}): PolicyDestination {
    this.policy.allowFrom(source, { ...options, to: this.target });
    return this;
  }

  /** Denies `source` at this destination. Returns this, for chaining. */
  public denyFrom(source: PolicySource, options: ZeroTrustRuleOptions = {}): PolicyDestination {
    this.policy.denyFrom(source, { ...options, to: this.target });
    return this;
  }

  /**
   * Audits matching requests at this destination (waypoints only); needs an audit-capable provider
   * (Stackdriver) in meshConfig to log anything. Returns this, for chaining.
   */
  public auditFrom(source: PolicySource, options: ZeroTrustRuleOptions = {}): PolicyDestination {
    this.policy.auditFrom(source, { ...options, to: this.target });
    return this;
  }

  /** Requires a valid JWT at this destination. Returns this, for chaining. */
  public requireJwt(requirement: JwtRequirement): PolicyDestination {
    this.policy.requireJwt({ ...requirement, to: this.target });
    return this;
  }
}

/**
 * The rule, restricted to peers that are none of `principals` (fields of one source are ANDed). A
 * source that matches `serviceAccounts` cannot also carry `notPrincipals` (Istio's CEL rule), so there
 * the exclusion is written as `notServiceAccounts`.
 */
function excludePrincipals(rule: Rule, principals: string[]): Rule {
  if (principals.length === 0) return rule;
  const accounts = principals.map(p => { const parts = p.split('/'); return `${parts[2]}/${parts[4]}`; });
  const exclude = (source: any) => source?.serviceAccounts?.length
    ? { ...source, notServiceAccounts: [...(source.notServiceAccounts ?? []), ...accounts] }
    : { ...source, notPrincipals: [...(source?.notPrincipals ?? []), ...principals] };
  const from = rule.from?.length
    ? rule.from.map(f => ({ source: exclude(f.source) }))
    : [{ source: { notPrincipals: [...principals] } }];
  return { ...rule, from };
}

/** Could a DENY rule match a request arriving from an ingress gateway (whose identity is unknown here)? */
function couldMatchIngress(rule: Rule): boolean {
  if (!rule.from?.length) return true;
  return rule.from.some(f => !(f.source?.principals?.length || f.source?.namespaces?.length || f.source?.serviceAccounts?.length));
}

function attachmentKey(attachment: Attachment): string {
  switch (attachment.kind) {
    case 'namespace': return 'namespace-wide';
    case 'selector': return `selector ${JSON.stringify(sortObject(attachment.matchLabels))}`;
    case 'targetRefs': return `targetRefs ${attachment.refs.map(r => `${r.kind}/${r.name}`).join(',')}`;
  }
}

function sortObject(obj: { [key: string]: string }): { [key: string]: string } {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => a.localeCompare(b)));
}

function refsOf(attachment: Attachment): sec.RequestAuthenticationSpecTargetRefs[] {
  return attachment.kind === 'targetRefs' ? attachment.refs.map(r => ({ ...r })) : [];
}

function renderPolicySpec(state: EmittedPolicy): sec.AuthorizationPolicySpec {
  const rules = canonicalRules(state.rules);
  return {
    selector: state.attachment.kind === 'selector' ? { matchLabels: sortObject(state.attachment.matchLabels) } : undefined,
    targetRefs: state.attachment.kind === 'targetRefs' ? state.attachment.refs.map(r => ({ ...r })) : undefined,
    action: state.action,
    rules: rules.length ? rules : undefined,
  };
}

/** The Service objects the app declares in a namespace (cdk8s-plus, ApiObject or Include). */
function servicesOfNamespace(scope: Construct, namespace: string): ApiObject[] {
  return scope.node.root.node.findAll()
    .filter((c): c is ApiObject => ApiObject.isApiObject(c))
    .filter(o => o.kind === 'Service' && o.apiVersion === 'v1' && o.metadata.namespace === namespace)
    .sort((a, b) => a.name.localeCompare(b.name));
}

function describeBinding(waypoint: _WaypointBinding | undefined): string {
  return waypoint ? `waypoint "${waypoint.namespace}/${waypoint.name}"` : 'no waypoint';
}

function renderJwtRule(policy: ZeroTrustPolicy, options: JwtRequirement): sec.RequestAuthenticationSpecJwtRules {
  const what = `requireJwt(${options.issuer || '""'})`;
  if (!options.issuer) throw constructError(policy, `${what} needs an issuer.`);
  if ((options.jwksUri === undefined) === (options.jwks === undefined)) {
    throw constructError(policy, `${what} needs exactly one of \`jwksUri\` (where the issuer publishes its keys) or \`jwks\` (the keys inline).`);
  }
  if (options.jwksUri !== undefined) {
    let url: URL;
    try {
      url = new URL(options.jwksUri);
    } catch {
      throw constructError(policy, `${what}: jwksUri "${options.jwksUri}" is not a URL.`);
    }
    if (url.protocol === 'http:' && !options.allowInsecureJwksUri) {
      throw constructError(policy, `${what}: jwksUri "${options.jwksUri}" uses http, so the signing keys could be replaced in transit. Use https, or set allowInsecureJwksUri: true to accept the risk.`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw constructError(policy, `${what}: jwksUri "${options.jwksUri}" must be an https URL.`);
    }
  }
  if (options.jwks !== undefined) {
    let parsed: any;
    try {
      parsed = JSON.parse(options.jwks);
    } catch {
      throw constructError(policy, `${what}: jwks is not valid JSON; give the JSON Web Key Set, e.g. '{"keys":[...]}'.`);
    }
    if (!Array.isArray(parsed?.keys) || parsed.keys.length === 0) {
      throw constructError(policy, `${what}: jwks must be a JSON Web Key Set with a non-empty "keys" array.`);
    }
  }
  for (const h of options.fromHeaders ?? []) {
    if (!h.name) throw constructError(policy, `${what}: every fromHeaders entry needs a header name.`);
  }
  for (const [field, values] of [['audiences', options.audiences], ['fromParams', options.fromParams], ['fromCookies', options.fromCookies]] as const) {
    if ((values ?? []).some(v => v === '')) throw constructError(policy, `${what}: ${field} has an empty entry; remove it.`);
  }
  for (const c of options.outputClaimToHeaders ?? []) {
    if (!/^[-_A-Za-z0-9]+$/.test(c.header) || !/^[-_A-Za-z0-9.]+$/.test(c.claim)) {
      throw constructError(policy, `${what}: outputClaimToHeaders {header: "${c.header}", claim: "${c.claim}"} needs a header of letters, digits, '-' and '_', and a claim name (nested claims with '.').`);
    }
  }
  return {
    issuer: options.issuer,
    jwksUri: options.jwksUri,
    jwks: options.jwks,
    audiences: options.audiences?.length ? [...options.audiences].sort() : undefined,
    fromHeaders: options.fromHeaders?.map(h => ({ name: h.name, prefix: h.prefix })),
    fromParams: options.fromParams?.length ? [...options.fromParams] : undefined,
    fromCookies: options.fromCookies?.length ? [...options.fromCookies] : undefined,
    forwardOriginalToken: options.forwardOriginalToken,
    outputPayloadToHeader: options.outputPayloadToHeader,
    outputClaimToHeaders: options.outputClaimToHeaders?.map(c => ({ header: c.header, claim: c.claim })),
    timeout: options.timeout ? `${wholeSeconds(policy, `${what}: timeout`, options.timeout)}s` : undefined,
  };
}

function sortJwtRules(rules: sec.RequestAuthenticationSpecJwtRules[]): sec.RequestAuthenticationSpecJwtRules[] {
  return [...rules].sort((a, b) => (a.issuer ?? '').localeCompare(b.issuer ?? ''));
}
