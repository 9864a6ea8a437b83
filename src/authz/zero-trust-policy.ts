import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { MeshContext } from '../_context';
import { renderOnce } from '../_kube-inputs';
import { invalidateSynthMemo, memoizeForSynth } from '../_memo';
import { MeshRegistry } from '../_registry';
import { checkNamespaceName, checkObjectName, constructError, namespaceOf } from '../_validation';
import { Condition } from '../condition';
import * as sec from '../imports/security.istio.io';
import { DEFAULT_TRUST_DOMAIN, MeshIdentity } from '../mesh-identity';
import { JwtIntent, PolicyPlan, RuleIntent, planPolicy } from './policy-planner';
import { IPolicySource } from './policy-source';
import { IPolicyTarget, PolicyTarget, PolicyTargetKind } from './policy-target';
import { RuleInputError, checkRuleOptions, refsOf, renderJwtRule, renderPolicySpec, renderRule, sortJwtRules } from './rule-rendering';

/** Istio's default root namespace (`meshConfig.rootNamespace`). */
export const DEFAULT_ROOT_NAMESPACE = 'istio-system';
/** Annotation that makes an AuthorizationPolicy log its decisions instead of enforcing them. */
export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';

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
   * (anywhere in it), so the policy knows which waypoint serves it.
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
   * @default - the namespace of the app's AmbientMesh, else "istio-system"
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
   * @default - the app's AmbientMesh trust domain (wherever it is declared), else "cluster.local"
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
  readonly to?: IPolicyTarget;
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
  readonly to?: IPolicyTarget;
}

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
 * Rules are placed at synth, against the whole app: namespaces, waypoints, enrollments and the mesh
 * may be declared before or after the policy, in any chart or file, with the same result.
 *
 * @see https://istio.io/latest/docs/ambient/usage/l4-policy/
 * @see https://istio.io/latest/docs/ambient/usage/l7-features/
 */
export class ZeroTrustPolicy extends Construct {
  /** Whether this is the mesh-wide policy. */
  public readonly meshWide: boolean;
  /** The mTLS mode. */
  public readonly mtls: MtlsMode;
  /** Whether everything not allowed is denied. */
  public readonly defaultDeny: boolean;

  private readonly props: ZeroTrustPolicyProps;
  private readonly ownNamespace?: string;
  private readonly namePrefix: string;
  private readonly renames: Map<string, string>;
  private readonly dryRun: boolean;
  private readonly rules: RuleIntent[] = [];
  private readonly jwts: JwtIntent[] = [];
  /** The objects written at the last synthesis, in order: ids, kinds, names and namespaces. */
  private materialized: { id: string; signature: string }[] = [];
  private materializedPlan?: PolicyPlan;

  public constructor(scope: Construct, id: string, props: ZeroTrustPolicyProps = {}) {
    super(scope, id);
    this.props = props;
    this.meshWide = props.meshWide ?? false;
    if (props.trustDomain !== undefined) MeshIdentity.fromServiceAccountName('default', 'default', props.trustDomain); // validates it
    if (this.meshWide) {
      if (props.namespace !== undefined) {
        throw constructError(this, 'a mesh-wide policy lives in the root namespace: set `rootNamespace`, not `namespace`.');
      }
      if (props.rootNamespace !== undefined) checkNamespaceName(this, 'rootNamespace', props.rootNamespace);
    } else {
      if (props.rootNamespace !== undefined) {
        throw constructError(this, '`rootNamespace` applies to a mesh-wide policy only; set `meshWide: true` or drop it.');
      }
      this.ownNamespace = namespaceOf(this, props.namespace, 'ZeroTrustPolicy');
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
    this.dryRun = props.dryRun ?? false;
    if (this.mtls === MtlsMode.DISABLE) {
      throw constructError(this, 'mtls DISABLE is not supported in ambient mode: ztunnel always uses mTLS (HBONE) between workloads and Istio ignores DISABLE policies. Use MtlsMode.PERMISSIVE to accept plaintext from outside the mesh, or keep STRICT.');
    }
    MeshRegistry.of(this).registerPolicy(this);
    // The objects are written at synth, from the whole app (see policy-planner.ts).
    MeshContext.of(this).onPrepare(`authz:${this.node.path}`, () => this.materialize());
    this.node.addValidation({ validate: () => [...this.plan().errors, ...this.checkNames()] });
  }

  /** The namespace the policy objects are written to (the root namespace for a mesh-wide policy). */
  public get namespace(): string {
    // istiod's root namespace is the namespace it is installed in (global.istioNamespace).
    return this.ownNamespace ?? this.props.rootNamespace ?? MeshRegistry.of(this).mesh?.namespace ?? DEFAULT_ROOT_NAMESPACE;
  }

  /** Mesh trust domain: the one given, else the app's AmbientMesh's, else `cluster.local`. */
  public get trustDomain(): string {
    return this.props.trustDomain ?? MeshRegistry.of(this).mesh?.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  }

  /** Names of the AuthorizationPolicies this policy writes (placed against the app as it is now), sorted. */
  public get policyNames(): string[] {
    return [...this.plan().policies.keys()].sort();
  }

  /** Allows `source` to reach the destination (`options.to`, default the whole namespace). */
  public allowFrom(source: IPolicySource, options: ZeroTrustRuleOptions = {}): void {
    this.declare(sec.AuthorizationPolicySpecAction.ALLOW, source, options);
  }

  /** Denies `source`; DENY rules win over every ALLOW. */
  public denyFrom(source: IPolicySource, options: ZeroTrustRuleOptions = {}): void {
    this.declare(sec.AuthorizationPolicySpecAction.DENY, source, options);
  }

  /**
   * Marks matching requests for audit logging (AUDIT action; waypoints only). AUDIT only marks the
   * requests: nothing is logged unless meshConfig defines an audit-capable extension provider (Istio
   * supports only Stackdriver), and the analyzer warns otherwise (AMB133).
   */
  public auditFrom(source: IPolicySource, options: ZeroTrustRuleOptions = {}): void {
    this.declare(sec.AuthorizationPolicySpecAction.AUDIT, source, options);
  }

  /**
   * Requires a valid JWT from the given issuer at the destination: a RequestAuthentication and a
   * DENY for requests without a token, attached to the destination's waypoint. Call it once per
   * accepted issuer.
   */
  public requireJwt(options: RequireJwtOptions): void {
    if (this.meshWide) {
      throw constructError(this, 'requireJwt() is per namespace: declare it in the ZeroTrustPolicy of the namespace whose waypoint validates the token.');
    }
    const jwtRule = this.inputCheck(() => renderJwtRule(options));
    invalidateSynthMemo(this);
    this.jwts.push({ issuer: options.issuer, to: options.to ?? PolicyTarget.namespace(), jwtRule });
  }

  /** A helper that declares rules for one destination, like cdk8s-plus `connections`. */
  public to(target: IPolicyTarget): PolicyDestination {
    return new PolicyDestination(this, target);
  }

  /** Records a rule after the checks that do not depend on the rest of the app. */
  private declare(action: sec.AuthorizationPolicySpecAction, source: IPolicySource, options: ZeroTrustRuleOptions): void {
    const target = options.to ?? PolicyTarget.namespace();
    const verb = action === 'ALLOW' ? 'allowFrom' : action === 'DENY' ? 'denyFrom' : 'auditFrom';
    const what = `${verb}(${source.description}) to ${this.meshWide ? 'the mesh' : target.description}`;
    this.inputCheck(() => checkRuleOptions(options, what));
    // The trust domain does not change whether a rule matches everything: any domain checks it now.
    const bound = source.bind(this);
    this.inputCheck(() => renderRule(bound, options, what, DEFAULT_TRUST_DOMAIN));
    if ((options.dryRun ?? this.dryRun) && action === 'AUDIT') {
      throw constructError(this, `${what}: dry-run applies to ALLOW and DENY rules only; an AUDIT rule enforces nothing already.`);
    }
    if (this.meshWide) {
      if (!(target instanceof PolicyTarget && target._kind === PolicyTargetKind.NAMESPACE)) {
        throw constructError(this, `${what}: a mesh-wide policy applies to the whole mesh; put rules for ${target.description} in the ZeroTrustPolicy of its namespace.`);
      }
      if (bound.requestPrincipals?.length) {
        throw constructError(this, `${what}: JWT principals need a RequestAuthentication at the same waypoint; declare this rule in the namespace's ZeroTrustPolicy with requireJwt().`);
      }
    }
    invalidateSynthMemo(this);
    this.rules.push({ action, source, options, what });
  }

  private inputCheck<T>(check: () => T): T {
    try {
      return check();
    } catch (e) {
      if (e instanceof RuleInputError) throw constructError(this, e.message);
      throw e;
    }
  }

  /** The placement of every declared rule against the app as it is now (once per synthesis pass). */
  private plan(): PolicyPlan {
    return memoizeForSynth(this, `authz-plan:${this.node.path}`, () => planPolicy({
      scope: this,
      namespace: this.namespace,
      meshWide: this.meshWide,
      trustDomain: this.trustDomain,
      defaultDeny: this.defaultDeny,
      allowWaypointBypass: this.props.allowWaypointBypass ?? false,
      dryRun: this.dryRun,
      namePrefix: this.namePrefix,
    }, this.rules, this.jwts));
  }

  /**
   * Writes the planned objects as children, in kind and name order (so the output does not depend on
   * declaration order), replacing those of an earlier synthesis when the plan changed.
   */
  private materialize(): void {
    const plan = this.plan();
    // The per-chart passes of one synthesis share the plan: its objects are written already.
    if (plan === this.materializedPlan) return;
    this.materializedPlan = plan;
    const namespace = this.namespace;
    const wanted: { id: string; signature: string; create: () => void }[] = [];
    wanted.push({
      id: 'Mtls',
      signature: `PeerAuthentication/${namespace}/${this.chosenName('default')}/${this.mtls}`,
      create: () => new PlannedPeerAuthentication(this, 'Mtls', {
        metadata: { name: this.chosenName('default'), namespace },
        spec: {
          mtls: { mode: this.mtls === MtlsMode.STRICT ? sec.PeerAuthenticationSpecMtlsMode.STRICT : sec.PeerAuthenticationSpecMtlsMode.PERMISSIVE },
        },
      }),
    });
    for (const name of this.byWrittenName(plan.requestAuthentications.keys())) {
      wanted.push({
        id: name,
        signature: `RequestAuthentication/${namespace}/${this.chosenName(name)}`,
        create: () => new PlannedRequestAuthentication(this, name, {
          metadata: { name: this.chosenName(name), namespace },
          spec: Lazy.any({ produce: () => this.requestAuthenticationSpec(name) }),
        }),
      });
    }
    for (const name of this.byWrittenName(plan.policies.keys())) {
      const dryRun = plan.policies.get(name)!.dryRun;
      wanted.push({
        id: name,
        signature: `AuthorizationPolicy/${namespace}/${this.chosenName(name)}/${dryRun}`,
        create: () => new PlannedAuthorizationPolicy(this, name, {
          metadata: { name: this.chosenName(name), namespace, annotations: dryRun ? { [DRY_RUN_ANNOTATION]: 'true' } : undefined },
          spec: Lazy.any({ produce: () => this.authorizationPolicySpec(name) }),
        }),
      });
    }
    const same = wanted.length === this.materialized.length
      && wanted.every((w, i) => w.signature === this.materialized[i].signature && w.id === this.materialized[i].id);
    if (same) return;
    for (const { id } of this.materialized) this.node.tryRemoveChild(id);
    for (const w of wanted) w.create();
    this.materialized = wanted.map(({ id, signature }) => ({ id, signature }));
  }

  /** Object names in the order they are written: by the name they are written with. */
  private byWrittenName(names: Iterable<string>): string[] {
    return [...names].sort((a, b) => this.chosenName(a).localeCompare(this.chosenName(b)));
  }

  private authorizationPolicySpec(name: string): sec.AuthorizationPolicySpec | undefined {
    const planned = this.plan().policies.get(name);
    if (!planned) return undefined;
    planned.spec ??= renderPolicySpec(planned.action, planned.attachment, planned.rules);
    return planned.spec;
  }

  private requestAuthenticationSpec(name: string): sec.RequestAuthenticationSpec | undefined {
    const planned = this.plan().requestAuthentications.get(name);
    return planned ? { targetRefs: refsOf(planned.attachment), jwtRules: sortJwtRules(planned.rules) } : undefined;
  }

  /** The name an object is written with: the user's choice (`names`), else the library's. */
  private chosenName(defaultName: string): string {
    return this.renames.get(defaultName) ?? defaultName;
  }

  /** `names` keys must name emitted objects, and chosen names must not clash with the library's. */
  private checkNames(): string[] {
    if (this.renames.size === 0) return [];
    const plan = this.plan();
    const emitted = ['default', ...plan.requestAuthentications.keys(), ...plan.policies.keys()];
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
}

/** Rules for one destination of a ZeroTrustPolicy (see `ZeroTrustPolicy.to`). */
export class PolicyDestination {
  /** The policy. */
  public readonly policy: ZeroTrustPolicy;
  /** The destination. */
  public readonly target: IPolicyTarget;

  public constructor(policy: ZeroTrustPolicy, target: IPolicyTarget) {
    this.policy = policy;
    this.target = target;
  }

  /** Allows `source` to reach this destination. Returns this, for chaining. */
  public allowFrom(source: IPolicySource, options: ZeroTrustRuleOptions = {}): PolicyDestination {
    this.policy.allowFrom(source, { ...options, to: this.target });
    return this;
  }

  /** Denies `source` at this destination. Returns this, for chaining. */
  public denyFrom(source: IPolicySource, options: ZeroTrustRuleOptions = {}): PolicyDestination {
    this.policy.denyFrom(source, { ...options, to: this.target });
    return this;
  }

  /**
   * Audits matching requests at this destination (waypoints only); needs an audit-capable provider
   * (Stackdriver) in meshConfig to log anything. Returns this, for chaining.
   */
  public auditFrom(source: IPolicySource, options: ZeroTrustRuleOptions = {}): PolicyDestination {
    this.policy.auditFrom(source, { ...options, to: this.target });
    return this;
  }

  /** Requires a valid JWT at this destination. Returns this, for chaining. */
  public requireJwt(requirement: JwtRequirement): PolicyDestination {
    this.policy.requireJwt({ ...requirement, to: this.target });
    return this;
  }
}

/*
 * The policy's objects are rendered once per synthesis pass: the synth-time analysis reads them and
 * cdk8s writes them, and between the two nothing can change them. Their specs are plain JSON already
 * (the planner builds them with the generated types), so they are rendered as cdk8s renders any
 * ApiObject (sorted keys, no undefined), without the generated classes' second conversion.
 */
function renderPlanned(obj: ApiObject): any {
  return renderOnce(obj, () => ApiObject.prototype.toJson.call(obj));
}

class PlannedPeerAuthentication extends sec.PeerAuthentication {
  public toJson(): any {
    return renderPlanned(this);
  }
}

class PlannedRequestAuthentication extends sec.RequestAuthentication {
  public toJson(): any {
    return renderPlanned(this);
  }
}

class PlannedAuthorizationPolicy extends sec.AuthorizationPolicy {
  public toJson(): any {
    return renderPlanned(this);
  }
}
