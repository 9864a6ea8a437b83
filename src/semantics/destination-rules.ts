/**
 * What istiod does with several DestinationRules for one host (Istio 1.30, pilot/pkg/model:
 * push_context.go setDestinationRules, destination_rule.go mergeDestinationRule). Pure functions
 * (no cdk8s); the vectors are in test/conformance/destination-rules.test.ts.
 */

/**
 * The host a DestinationRule applies to, as istiod resolves it (ResolveShortnameToFQDN): a short
 * name (no dot) is a Service of the rule's namespace; anything else is taken as written.
 */
export function destinationRuleHost(host: string, namespace: string, domainSuffix = 'cluster.local'): string {
  if (host === '*' || host.includes('.') || host.includes(':') || /^\d+(\.\d+){3}$/.test(host)) return host;
  return `${host}.${namespace}.svc.${domainSuffix}`;
}

/** A DestinationRule, as far as merging goes. */
export interface DestinationRuleShape {
  readonly name: string;
  readonly namespace: string;
  readonly host: string;
  readonly hasTrafficPolicy: boolean;
  readonly subsets: readonly string[];
  /** `workloadSelector` is set (such rules merge only with rules of the same selector). */
  readonly hasWorkloadSelector: boolean;
  /** `exportTo`, as written (rules merge only with rules of the same set). */
  readonly exportTo: readonly string[];
}

/** What the rule istiod merges second loses to the first. */
export interface DestinationRuleMergeLoss {
  /** Its top-level `trafficPolicy` is dropped whole (the first rule's applies). */
  readonly trafficPolicy: boolean;
  /** Subsets it defines under a name the first already has: dropped. */
  readonly subsets: string[];
}

/**
 * Two selector-less DestinationRules of one namespace for one host (resolved), exported alike, are
 * merged into one: istiod takes them oldest first (creation time, then name, then namespace), keeps
 * the first one's top-level `trafficPolicy` (the later one's applies only if the first has none, and
 * never field by field), and appends the later one's subsets whose names are new. Returns what the
 * later of `a` and `b` loses, or undefined when they are not merged together (different hosts or
 * namespaces, a workload selector, different `exportTo`) or nothing is lost. Which one is later
 * depends on creation time, which manifests do not fix.
 */
export function destinationRuleMergeLoss(a: DestinationRuleShape, b: DestinationRuleShape, domainSuffix = 'cluster.local'): DestinationRuleMergeLoss | undefined {
  if (a.namespace !== b.namespace) return undefined;
  if (destinationRuleHost(a.host, a.namespace, domainSuffix) !== destinationRuleHost(b.host, b.namespace, domainSuffix)) return undefined;
  if (a.hasWorkloadSelector || b.hasWorkloadSelector) return undefined;
  const exportA = new Set(a.exportTo);
  if (exportA.size !== new Set(b.exportTo).size || b.exportTo.some(e => !exportA.has(e))) return undefined;
  const trafficPolicy = a.hasTrafficPolicy && b.hasTrafficPolicy;
  const subsets = b.subsets.filter(s => a.subsets.includes(s));
  return trafficPolicy || subsets.length > 0 ? { trafficPolicy, subsets } : undefined;
}
