/**
 * Placement of a ZeroTrustPolicy's rules, computed at synth from the whole app: which proxy enforces
 * each rule (ztunnel or a waypoint), the default deny of the namespace and of its waypoints, the
 * admission of waypoints at ztunnel (bypass protection), and JWT pairing. The facts it applies (which
 * fields ztunnel enforces, what it does with the others, which waypoint serves what) come from
 * src/semantics; this module only decides which objects to write.
 *
 * The planner has no state between syntheses: it starts from the declared intents every time, so the
 * order in which namespaces, waypoints, enrollments and rules were declared never shows.
 */
import { IConstruct } from 'constructs';
import { consumerNamespacesOf } from '../_enrollment';
import { MeshRegistry, WorkloadEnrollment } from '../_registry';
import * as sec from '../imports/security.istio.io';
import { IstioLabels } from '../labels';
import { Rule, l7AttributesOf, matchesEverything } from '../semantics/canonical-rules';
import { ztunnelDenyMissesWaypointTraffic, ztunnelRuleFate } from '../semantics/enforcement';
import { selectorsSelectSamePods } from '../semantics/selectors';
import { WAYPOINT_GATEWAY_CLASS } from '../waypoint';
import type { IPolicySource, PolicySourceConfig } from './policy-source';
import { IPolicyTarget, PolicyTarget, PolicyTargetConfig, PolicyTargetKind, TargetWaypoint } from './policy-target';
import {
  Attachment, GATEWAY_GROUP, RuleInputError, attachmentKey, couldMatchIngress, excludePrincipals, renderRule,
} from './rule-rendering';
import type { ZeroTrustRuleOptions } from './zero-trust-policy';

/** A rule as declared. */
export interface RuleIntent {
  readonly action: sec.AuthorizationPolicySpecAction;
  readonly source: IPolicySource;
  readonly options: ZeroTrustRuleOptions;
  /** The declaration, for messages: `allowFrom(service account a/b) to Service "c"`. */
  readonly what: string;
}

/** A JWT requirement as declared (the jwtRule already checked and rendered). */
export interface JwtIntent {
  readonly issuer: string;
  readonly to: IPolicyTarget;
  readonly jwtRule: sec.RequestAuthenticationSpecJwtRules;
}

/** The policy's settings, read at synth. */
export interface PlannerSettings {
  /** The construct, for resolving targets against its app. */
  readonly scope: IConstruct;
  readonly namespace: string;
  readonly meshWide: boolean;
  readonly trustDomain: string;
  readonly defaultDeny: boolean;
  readonly allowWaypointBypass: boolean;
  readonly dryRun: boolean;
  readonly namePrefix: string;
}

/** One AuthorizationPolicy to write. */
export interface PlannedPolicy {
  readonly action: sec.AuthorizationPolicySpecAction;
  readonly attachment: Attachment;
  readonly rules: Rule[];
  readonly dryRun: boolean;
  /** The rendered spec, once asked for (a plan is never changed after planning). */
  spec?: sec.AuthorizationPolicySpec;
}

/** One RequestAuthentication to write. */
export interface PlannedRequestAuthentication {
  readonly attachment: Attachment;
  readonly rules: sec.RequestAuthenticationSpecJwtRules[];
}

/** What a ZeroTrustPolicy writes, by the library's object name, and why it cannot, if it cannot. */
export interface PolicyPlan {
  readonly policies: Map<string, PlannedPolicy>;
  readonly requestAuthentications: Map<string, PlannedRequestAuthentication>;
  /** One message per cause, sorted (declaration order never shows). */
  readonly errors: string[];
}

const ACTION_SUFFIX: { [action: string]: string } = { ALLOW: '', DENY: '-deny', AUDIT: '-audit' };

/** A placement problem with one rule: reported, and planning goes on with the next rule. */
class PlacementError extends Error {}

export function planPolicy(settings: PlannerSettings, rules: RuleIntent[], jwts: JwtIntent[]): PolicyPlan {
  return new PolicyPlanner(settings).plan(rules, jwts);
}

interface Destination { description: string; resolved: PolicyTargetConfig; ingressDirect: string[]; waypointOnly: string[] }

class PolicyPlanner {
  private readonly registry: MeshRegistry;
  private readonly policies = new Map<string, PlannedPolicy>();
  private readonly requestAuthentications = new Map<string, PlannedRequestAuthentication>();
  private readonly errors = new Set<string>();
  private readonly jwtPrincipalUses: { attachmentKey: string; namespaceKey?: string; what: string }[] = [];
  private readonly jwtValidatedAt = new Set<string>();
  private readonly destinations = new Map<string, Destination>();
  private readonly namespaceWaypointRules: string[] = [];
  private namespaceWaypoint?: TargetWaypoint;
  private boundServices?: PolicyTargetConfig[];

  public constructor(private readonly settings: PlannerSettings) {
    this.registry = MeshRegistry.of(settings.scope);
  }

  public plan(rules: RuleIntent[], jwts: JwtIntent[]): PolicyPlan {
    const s = this.settings;
    if (s.meshWide) {
      if (s.defaultDeny) {
        this.policy(this.objectName('allow-nothing'), sec.AuthorizationPolicySpecAction.ALLOW, { kind: 'namespace' }, s.dryRun);
        this.policy(this.objectName('allow-nothing-istio-waypoint'), sec.AuthorizationPolicySpecAction.ALLOW, {
          kind: 'targetRefs', refs: [{ group: GATEWAY_GROUP, kind: 'GatewayClass', name: WAYPOINT_GATEWAY_CLASS }],
        }, s.dryRun);
      }
    } else {
      const namespaceTarget = this.attempt(() => PolicyTarget.namespace().bind(s.scope, s.namespace));
      if (!namespaceTarget) return this.result(); // the namespace is not declared: nothing can be placed
      this.namespaceWaypoint = namespaceTarget.waypoint;
      if (s.defaultDeny) {
        this.policy(this.objectName('allow-nothing'), sec.AuthorizationPolicySpecAction.ALLOW, { kind: 'namespace' }, s.dryRun);
        // Waypoints ignore namespace-wide policies: each one that lives here gets a default deny too.
        for (const waypoint of this.registry.waypointsInNamespace(s.namespace)) {
          this.policy(this.objectName(`allow-nothing-${waypoint.name}`), sec.AuthorizationPolicySpecAction.ALLOW, {
            kind: 'targetRefs', refs: [{ group: GATEWAY_GROUP, kind: 'Gateway', name: waypoint.name }],
          }, s.dryRun);
        }
        if (namespaceTarget.waypoint) this.requireWaypoint(namespaceTarget);
        this.admitWorkloadWaypoints();
        this.admitServiceWaypoints();
      }
    }
    for (const jwt of jwts) this.attempt(() => this.placeJwt(jwt));
    for (const rule of rules) this.attempt(() => this.place(rule));
    this.checkPlacement();
    return this.result();
  }

  private result(): PolicyPlan {
    return { policies: this.policies, requestAuthentications: this.requestAuthentications, errors: [...this.errors].sort() };
  }

  /** Runs one placement; a placement problem is recorded (without the construct path: validation adds it). */
  private attempt<T>(placement: () => T): T | undefined {
    try {
      return placement();
    } catch (e) {
      if (!(e instanceof PlacementError || e instanceof RuleInputError || isConstructError(e, this.settings.scope))) throw e;
      this.errors.add((e as Error).message.replace(`[${this.settings.scope.node.path}] `, ''));
      return undefined;
    }
  }

  private placeJwt(jwt: JwtIntent): void {
    const resolved = jwt.to.bind(this.settings.scope, this.settings.namespace);
    const what = `requireJwt(${jwt.issuer}) for ${resolved.description}`;
    if (!resolved.waypoint) {
      throw new PlacementError(`${what}: JWT validation is L7 and ${resolved.description} has no waypoint; ztunnel cannot read requests. Add a waypoint (AmbientNamespace.addWaypoint() or waypoint.enrollService()).`);
    }
    const attachment = this.waypointAttachment(resolved, what);
    const base = this.objectName(resolved.baseName);
    let ra = this.requestAuthentications.get(`${base}-jwt`);
    if (!ra) {
      ra = { attachment, rules: [] };
      this.requestAuthentications.set(`${base}-jwt`, ra);
    }
    if (ra.rules.some(r => r.issuer === jwt.jwtRule.issuer)) {
      throw new PlacementError(`${what}: issuer "${jwt.jwtRule.issuer}" is already required for ${resolved.description}; configure each issuer once.`);
    }
    ra.rules.push(jwt.jwtRule);
    this.addRule(`${base}-require-jwt`, sec.AuthorizationPolicySpecAction.DENY, attachment,
      { from: [{ source: { notRequestPrincipals: ['*'] } }] }, this.settings.dryRun);
    this.destination(resolved).waypointOnly.push(what);
    this.jwtValidatedAt.add(attachmentKey(attachment));
  }

  private place(intent: RuleIntent): void {
    const s = this.settings;
    const { action, source, options, what } = intent;
    const target = options.to ?? PolicyTarget.namespace();
    const boundSource = source.bind(s.scope);
    const rule = renderRule(boundSource, options, what, s.trustDomain);
    const l7 = l7AttributesOf(rule);
    const dryRun = options.dryRun ?? s.dryRun;
    const suffix = ACTION_SUFFIX[action] + (dryRun && !s.dryRun ? '-dry-run' : '');

    if (s.meshWide) {
      const gatewayClass: Attachment = { kind: 'targetRefs', refs: [{ group: GATEWAY_GROUP, kind: 'GatewayClass', name: WAYPOINT_GATEWAY_CLASS }] };
      this.addRule(this.objectName(`mesh-waypoint${suffix}`), action, gatewayClass, rule, dryRun);
      if (l7.length === 0 && action !== 'AUDIT') {
        // At ztunnel, traffic through a waypoint carries the waypoint's identity: never deny that.
        const ztunnelRule = action === 'DENY'
          ? excludePrincipals(rule, this.registry.allWaypoints().map(w => w.identity.principal).sort())
          : rule;
        this.addRule(this.objectName(`mesh-ztunnel${suffix}`), action, { kind: 'namespace' }, ztunnelRule, dryRun);
      }
      return;
    }

    const resolved = target.bind(s.scope, s.namespace);
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
        throw new PlacementError(`${what} uses L7 attributes (${l7.join(', ')}), but ${resolved.description} has no waypoint: ${effect}. Add a waypoint (AmbientNamespace.addWaypoint() or waypoint.enrollService()), or drop the L7 attributes.`);
      }
      if (action === 'AUDIT') {
        throw new PlacementError(`${what}: AUDIT is enforced by waypoints only (ztunnel ignores AUDIT policies), and ${resolved.description} has no waypoint. Add a waypoint or use dryRun.`);
      }
      if (action === 'DENY' && resolved.kind === PolicyTargetKind.WORKLOAD) this.checkDenyNotBehindServiceWaypoint(boundSource, rule, resolved, what);
      this.addRule(`${base}-ztunnel${suffix}`, action, this.ztunnelAttachment(resolved, what), this.toPodPorts(rule, resolved, what), dryRun);
      return;
    }

    if (boundSource.viaIngressGateway && !resolved.ingressUsesWaypoint) {
      if (l7.length > 0) {
        throw new PlacementError(`${what} uses L7 attributes (${l7.join(', ')}), but the ingress gateway sends traffic for ${resolved.description} straight to its pods, past waypoint "${waypoint.namespace}/${waypoint.name}", so no proxy that can read requests sees it. Set ingressUseWaypoint on the Service or namespace (L7 then runs at the gateway and the waypoint), or drop the L7 attributes.`);
      }
      if (action === 'AUDIT') {
        throw new PlacementError(`${what}: ingress traffic to ${resolved.description} bypasses its waypoint, and only waypoints enforce AUDIT. Set ingressUseWaypoint on the Service or namespace.`);
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
      throw new PlacementError(`${what}: ${resolved.description} has no VIP, so its traffic is addressed to pod IPs and passes waypoint "${waypoint.namespace}/${waypoint.name}", which ignores Service-attached policies for pod-addressed traffic while ztunnel sees the waypoint's identity. Give the Service a cluster IP, or opt its pods out of the waypoint (label istio.io/use-waypoint: none).`);
    }
    if (resolved.kind === PolicyTargetKind.WORKLOAD) {
      throw new PlacementError(`${what}: ${resolved.description} is behind waypoint "${waypoint.namespace}/${waypoint.name}", where ztunnel sees the waypoint's identity instead of the client's, and waypoints can only be targeted per Service or Gateway. Target the Service instead (PolicyTarget.service()).`);
    }
    const attachment = this.waypointAttachment(resolved, what);
    if (boundSource.requestPrincipals?.length) {
      this.jwtPrincipalUses.push({ attachmentKey: attachmentKey(attachment), namespaceKey: this.namespaceJwtKey(resolved), what });
    }
    this.addRule(`${base}-waypoint${suffix}`, action, attachment, rule, dryRun);
    if (resolved.kind === PolicyTargetKind.NAMESPACE) this.namespaceWaypointRules.push(what);
    if (action === 'DENY' && couldMatchIngress(rule)) this.destination(resolved).waypointOnly.push(what);
    if (action === 'AUDIT') return; // AUDIT restricts nothing, so it needs no bypass protection
    // A Service on a waypoint that has no default deny of ours gets an ALLOW policy of its own:
    // once one exists, the waypoint denies the Service everything it does not allow.
    if (s.defaultDeny && resolved.kind === PolicyTargetKind.SERVICE && !this.deniesByDefault(waypoint)) {
      this.policy(`${base}-waypoint`, sec.AuthorizationPolicySpecAction.ALLOW, attachment, s.dryRun);
    }
    this.protectFromBypass(resolved, what, dryRun);
    if (s.allowWaypointBypass) this.projectToZtunnel(action, rule, resolved, base, suffix, dryRun, what);
  }

  /**
   * A DENY by identity at ztunnel for pods that a waypoint-served Service also selects would not match
   * the Service's traffic: it arrives from the waypoint, with the waypoint's identity (fail open).
   */
  private checkDenyNotBehindServiceWaypoint(source: PolicySourceConfig, rule: Rule, resolved: PolicyTargetConfig, what: string): void {
    const pods = this.registry.podLabelSets(this.settings.namespace);
    for (const served of this.namespaceServices()) {
      if (!served.waypoint || served.headless || !served.selector || !resolved.selector) continue;
      if (!selectorsSelectSamePods(resolved.selector, served.selector, pods)) continue;
      const waypoint = served.waypoint;
      const misses = ztunnelDenyMissesWaypointTraffic([rule], {
        namesWaypoint: p => p.endsWith(`/ns/${waypoint.namespace}/sa/${waypoint.name}`),
        isIngressPrincipal: () => source.viaIngressGateway === true,
        ingressUsesWaypoint: served.ingressUsesWaypoint,
      });
      if (!misses) continue;
      throw new PlacementError(`${what}: ${served.description} selects these pods and is served by waypoint "${served.waypoint.namespace}/${served.waypoint.name}", so its traffic reaches them from the waypoint, with the waypoint's identity: this DENY at ztunnel would not match it (fail open). Declare the DENY for the Service (PolicyTarget.service()), which places it at the waypoint.`);
    }
  }

  /**
   * The namespace's Services, bound once per plan (a Service that cannot be read is reported once).
   * Only for the checks that need every Service; admitServiceWaypoints reads labels first.
   */
  private namespaceServices(): PolicyTargetConfig[] {
    if (!this.boundServices) {
      const s = this.settings;
      this.boundServices = this.registry.servicesInNamespace(s.namespace)
        .map(svc => this.attempt(() => PolicyTarget.service(svc).bind(s.scope, s.namespace)))
        .filter((r): r is PolicyTargetConfig => r !== undefined);
    }
    return this.boundServices;
  }

  private destination(resolved: PolicyTargetConfig): Destination {
    const key = `${resolved.kind}/${resolved.baseName}`;
    let entry = this.destinations.get(key);
    if (!entry) {
      entry = { description: resolved.description, resolved, ingressDirect: [], waypointOnly: [] };
      this.destinations.set(key, entry);
    }
    return entry;
  }

  /** The waypoint has an allow-nothing of this policy (it lives in this namespace, under default deny). */
  private deniesByDefault(waypoint: TargetWaypoint): boolean {
    return this.settings.defaultDeny && waypoint.namespace === this.settings.namespace
      && this.registry.waypointsInNamespace(this.settings.namespace).some(w => w.name === waypoint.name);
  }

  private objectName(base: string): string {
    return `${this.settings.namePrefix}${base}`;
  }

  private policy(name: string, action: sec.AuthorizationPolicySpecAction, attachment: Attachment, dryRun: boolean): PlannedPolicy {
    const existing = this.policies.get(name);
    if (existing) {
      if (existing.action !== action || attachmentKey(existing.attachment) !== attachmentKey(attachment)) {
        throw new PlacementError(`two different policies would be named "${name}" (${existing.action} ${attachmentKey(existing.attachment)} and ${action} ${attachmentKey(attachment)}); rename a Service or workload, or set namePrefix.`);
      }
      return existing;
    }
    const planned: PlannedPolicy = { action, attachment, rules: [], dryRun };
    this.policies.set(name, planned);
    return planned;
  }

  private addRule(name: string, action: sec.AuthorizationPolicySpecAction, attachment: Attachment, rule: Rule, dryRun: boolean): void {
    this.policy(name, action, attachment, dryRun).rules.push(rule);
  }

  private ztunnelAttachment(resolved: PolicyTargetConfig, what: string): Attachment {
    if (resolved.kind === PolicyTargetKind.NAMESPACE) return { kind: 'namespace' };
    if (!resolved.selector) {
      throw new PlacementError(`${what}: the rule is enforced by ztunnel, which selects pods by labels, but ${resolved.selectorProblem}.`);
    }
    return { kind: 'selector', matchLabels: resolved.selector };
  }

  private waypointAttachment(resolved: PolicyTargetConfig, what: string): Attachment {
    const waypoint = resolved.waypoint!;
    if (resolved.kind === PolicyTargetKind.SERVICE) {
      return { kind: 'targetRefs', refs: [{ group: '', kind: 'Service', name: resolved.serviceName! }] };
    }
    const namespace = this.settings.namespace;
    if (waypoint.namespace !== namespace) {
      throw new PlacementError(`${what}: the namespace's waypoint "${waypoint.namespace}/${waypoint.name}" lives in another namespace, and a policy can only attach to a Gateway in its own namespace. Target the Services instead (PolicyTarget.service()).`);
    }
    const declared = this.registry.waypoint(waypoint.namespace, waypoint.name);
    const others = declared ? [...consumerNamespacesOf(declared).keys()].filter(ns => ns !== namespace).sort() : [];
    if (others.length > 0) {
      throw new PlacementError(`${what}: waypoint "${waypoint.namespace}/${waypoint.name}" also serves namespaces ${others.join(', ')}, so a rule attached to it would apply to them too. Target the Services instead (PolicyTarget.service()).`);
    }
    return { kind: 'targetRefs', refs: [{ group: GATEWAY_GROUP, kind: 'Gateway', name: waypoint.name }] };
  }

  private namespaceJwtKey(resolved: PolicyTargetConfig): string | undefined {
    const waypoint = resolved.waypoint;
    if (!waypoint || waypoint.namespace !== this.settings.namespace) return undefined;
    return attachmentKey({ kind: 'targetRefs', refs: [{ group: GATEWAY_GROUP, kind: 'Gateway', name: waypoint.name }] });
  }

  private waypointPrincipal(waypoint: TargetWaypoint): string {
    return `${waypoint.trustDomain ?? this.settings.trustDomain}/ns/${waypoint.namespace}/sa/${waypoint.name}`;
  }

  private admitWaypoint(name: string, attachment: Attachment, waypoint: TargetWaypoint, dryRun: boolean): void {
    const rule: Rule = { from: [{ source: { principals: [this.waypointPrincipal(waypoint)] } }] };
    this.addRule(name, sec.AuthorizationPolicySpecAction.ALLOW, attachment, rule, dryRun);
  }

  /**
   * Under default deny, ztunnel admits each workload waypoint to the pods enrolled in it: traffic
   * addressed to those pods arrives from the waypoint, and allow-nothing would refuse it.
   */
  private admitWorkloadWaypoints(): void {
    const byWaypoint = new Map<string, WorkloadEnrollment[]>();
    for (const enrollment of this.registry.workloadEnrollments(this.settings.namespace)) {
      const w = enrollment.waypoint;
      if (this.namespaceWaypoint?.namespace === w.namespace && this.namespaceWaypoint.name === w.name) continue; // require-waypoint admits it
      const key = `${w.namespace}/${w.name}`;
      byWaypoint.set(key, [...byWaypoint.get(key) ?? [], enrollment]);
    }
    for (const enrollments of byWaypoint.values()) {
      // One selector per policy: one policy per workload when a waypoint serves several of them.
      for (const enrollment of enrollments) {
        const w = enrollment.waypoint;
        const binding: TargetWaypoint = { name: w.name, namespace: w.namespace, trustDomain: w.identity.trustDomain, trafficType: w.trafficType };
        const name = enrollments.length === 1 ? `require-${w.name}` : `require-${w.name}-${enrollment.name}`;
        this.admitWaypoint(this.objectName(name), { kind: 'selector', matchLabels: { ...enrollment.selector } }, binding, this.settings.dryRun);
      }
    }
  }

  /**
   * Under default deny, ztunnel admits the waypoint of each Service that another waypoint than the
   * namespace's serves (its own enrollment): that waypoint's traffic to the pods would be refused.
   */
  private admitServiceWaypoints(): void {
    const s = this.settings;
    for (const service of this.registry.servicesInNamespace(s.namespace)) {
      // Only a Service's own istio.io/use-waypoint label can bind it to another waypoint.
      if (service.metadata.getLabel(IstioLabels.USE_WAYPOINT) === undefined) continue;
      const resolved = this.attempt(() => PolicyTarget.service(service).bind(s.scope, s.namespace));
      if (!resolved?.waypoint || resolved.headless || !resolved.selector) continue;
      if (describeBinding(resolved.waypoint) === describeBinding(this.namespaceWaypoint)) continue;
      this.admitWaypoint(this.objectName(`${resolved.baseName}-ztunnel`), { kind: 'selector', matchLabels: resolved.selector }, resolved.waypoint, s.dryRun);
    }
  }

  /** ztunnel admits the namespace's waypoint: with default deny nothing else would reach the pods. */
  private requireWaypoint(resolved: PolicyTargetConfig, dryRun: boolean = this.settings.dryRun): void {
    const suffix = dryRun && !this.settings.dryRun ? '-dry-run' : '';
    this.admitWaypoint(this.objectName(`require-waypoint${suffix}`), { kind: 'namespace' }, resolved.waypoint!, dryRun);
  }

  /** For a destination with waypoint rules, ztunnel admits only the waypoint (unless bypass is allowed). */
  private protectFromBypass(resolved: PolicyTargetConfig, what: string, dryRun: boolean): void {
    if (resolved.kind === PolicyTargetKind.NAMESPACE) {
      this.requireWaypoint(resolved, dryRun);
      return;
    }
    // Under default deny, the namespace's require-waypoint already admits only that waypoint.
    if (this.settings.defaultDeny && describeBinding(resolved.waypoint) === describeBinding(this.namespaceWaypoint)) return;
    if (!resolved.selector) {
      throw new PlacementError(`${what}: to stop clients from bypassing the waypoint, ztunnel must admit only the waypoint to the Service's pods, but ${resolved.selectorProblem}. Give the selector, or set allowWaypointBypass: true on the policy.`);
    }
    const suffix = dryRun && !this.settings.dryRun ? '-dry-run' : '';
    const name = this.objectName(`${resolved.baseName}-ztunnel${suffix}`);
    this.admitWaypoint(name, { kind: 'selector', matchLabels: resolved.selector }, resolved.waypoint!, dryRun);
  }

  private projectToZtunnel(
    action: sec.AuthorizationPolicySpecAction, rule: Rule, resolved: PolicyTargetConfig, base: string, suffix: string, dryRun: boolean, what: string,
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
  private toPodPorts(rule: Rule, resolved: PolicyTargetConfig, what: string): Rule {
    if (resolved.kind !== PolicyTargetKind.SERVICE || !rule.to) return rule;
    const to = rule.to.map(t => {
      const ports = t.operation?.ports?.map(p => {
        if (resolved.portsUnknown) {
          throw new PlacementError(`${what}: ztunnel enforces ports on the pods, and ${resolved.description} is not declared in this app, so its port ${p} cannot be translated to a pod port. Declare the Service, or target the pods with PolicyTarget.pods() and container ports.`);
        }
        const pod = podPortOf(resolved, Number(p));
        if (pod === undefined) {
          throw new PlacementError(`${what}: ${resolved.description} has no port ${p} (ports: ${(resolved.ports ?? []).map(m => m.port).join(', ')}).`);
        }
        if (typeof pod === 'string') {
          throw new PlacementError(`${what}: ztunnel enforces ports on the pods, and port ${p} of ${resolved.description} targets the named port "${pod}". Use a numeric targetPort, or target the pods with PolicyTarget.pods() and container ports.`);
        }
        return String(pod);
      });
      return { operation: { ...t.operation, ports } };
    });
    return { ...rule, to };
  }

  /**
   * A route on an ingress gateway sends to a Service's pods directly unless the Service (or its
   * namespace) sets ingress-use-waypoint: protection that only its waypoint enforces (requireJwt, L7
   * or anonymous DENY) would not apply to that traffic (the analyzer's AMB108).
   */
  private checkIngressRoutes(): void {
    const s = this.settings;
    for (const dest of this.destinations.values()) {
      if (dest.waypointOnly.length === 0) continue;
      const services = dest.resolved.kind === PolicyTargetKind.SERVICE
        ? [dest.resolved]
        : dest.resolved.kind === PolicyTargetKind.NAMESPACE
          ? this.namespaceServices().filter(r => describeBinding(r.waypoint) === describeBinding(dest.resolved.waypoint))
          : [];
      for (const service of services) {
        if (!service.waypoint || service.ingressUsesWaypoint || !service.serviceName) continue;
        const routes = this.registry.ingressRoutesTo(s.namespace, service.serviceName).map(r => r.description).sort();
        if (routes.length === 0) continue;
        this.errors.add(`${routes[0]} sends ingress traffic to ${service.description} straight to its pods, past waypoint "${service.waypoint.namespace}/${service.waypoint.name}", so ${[...dest.waypointOnly].sort().join('; ')} would not apply to ingress traffic. Set ingressUseWaypoint on the Service or namespace (the gateway then sends through the waypoint).`);
      }
    }
  }

  /** Checks of the placement as a whole: JWT pairing, ingress past waypoints, coverage, default deny. */
  private checkPlacement(): void {
    const s = this.settings;
    for (const use of this.jwtPrincipalUses) {
      if (!this.jwtValidatedAt.has(use.attachmentKey) && !(use.namespaceKey && this.jwtValidatedAt.has(use.namespaceKey))) {
        this.errors.add(`${use.what} matches JWT principals, but no RequestAuthentication validates tokens at that waypoint, so requests never carry a principal and the rule never matches. Call requireJwt({ issuer, jwksUri, to }) for the same destination.`);
      }
    }
    const namespaceEntry = this.destinations.get('namespace/namespace');
    for (const dest of this.destinations.values()) {
      const ingress = [...dest.ingressDirect, ...(dest !== namespaceEntry ? namespaceEntry?.ingressDirect ?? [] : [])].sort();
      if (ingress.length > 0 && dest.waypointOnly.length > 0) {
        this.errors.add(`${ingress[0]} lets the ingress gateway reach ${dest.description} directly, past its waypoint, so ${[...dest.waypointOnly].sort().join('; ')} would not apply to ingress traffic. Set ingressUseWaypoint on the Service or namespace (the gateway then sends through the waypoint), or drop the ingress rule.`);
      }
    }
    this.checkIngressRoutes();
    if (this.namespaceWaypointRules.length > 0 && this.namespaceWaypoint) {
      const missed = this.namespaceServices()
        .filter(r => describeBinding(r.waypoint) !== describeBinding(this.namespaceWaypoint))
        .map(r => `${r.description} (${describeBinding(r.waypoint)})`);
      if (missed.length > 0) {
        this.errors.add(`${[...this.namespaceWaypointRules].sort()[0]} is enforced at the namespace waypoint "${this.namespaceWaypoint.namespace}/${this.namespaceWaypoint.name}", which does not serve ${missed.join(', ')}: those would stay denied. Add rules for them with PolicyTarget.service().`);
      }
    }
    if (s.defaultDeny && !s.meshWide) {
      const nsWaypoint = this.namespaceWaypoint;
      if (nsWaypoint && nsWaypoint.namespace !== s.namespace) {
        const owner = this.registry.policyFor(nsWaypoint.namespace);
        if (!(owner?.defaultDeny) && !(this.registry.meshPolicy?.defaultDeny)) {
          this.errors.add(`namespace "${s.namespace}" uses waypoint "${nsWaypoint.namespace}/${nsWaypoint.name}", which has no default deny: waypoints ignore namespace-wide policies, and its allow-nothing belongs to its own namespace. Declare a ZeroTrustPolicy for "${nsWaypoint.namespace}" (or a mesh-wide one).`);
        }
      }
    }
    if (s.meshWide && s.defaultDeny) {
      for (const ns of this.registry.ambientNamespaces) {
        if (ns.waypoint && !this.registry.policyFor(ns.name)) {
          this.errors.add(`namespace "${ns.name}" uses waypoint "${ns.waypoint.namespace}/${ns.waypoint.name}", and under mesh-wide default deny ztunnel rejects the waypoint's traffic to its pods. Declare a ZeroTrustPolicy for "${ns.name}": it admits its waypoint (require-waypoint).`);
        }
      }
    }
  }
}

/** A Service's pod port for a Service port: a number, a port name, or undefined when there is no such port. */
function podPortOf(target: PolicyTargetConfig, port: number): number | string | undefined {
  const mapping = (target.ports ?? []).find(m => m.port === port);
  return mapping ? mapping.targetPort ?? mapping.targetPortName : undefined;
}

function describeBinding(waypoint: TargetWaypoint | undefined): string {
  return waypoint ? `waypoint "${waypoint.namespace}/${waypoint.name}"` : 'no waypoint';
}

/** An error of the library's own input checks about this construct (`[path] message`). */
function isConstructError(e: unknown, scope: IConstruct): boolean {
  return e instanceof Error && e.constructor === Error && e.message.startsWith(`[${scope.node.path}] `);
}
