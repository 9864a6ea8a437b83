import { IConstruct } from 'constructs';
import { MeshContext } from '../_context';
import { constructError } from '../_validation';
import { DestinationRuleShape, destinationRuleHost, destinationRuleMergeLoss } from '../semantics/destination-rules';

/** A DestinationRule a construct of the app writes, and that construct. */
export interface DestinationRuleClaim {
  readonly owner: IConstruct;
  readonly shape: DestinationRuleShape;
}

/** The DestinationRules library constructs write, by `namespace/host` (a MeshContext slot). */
const HOSTS_SLOT = 'traffic.destination-rule-hosts';

function claims(scope: IConstruct): Map<string, DestinationRuleClaim[]> {
  return MeshContext.of(scope).slot(HOSTS_SLOT, () => new Map<string, DestinationRuleClaim[]>());
}

function hostKey(shape: DestinationRuleShape): string {
  return `${shape.namespace}/${destinationRuleHost(shape.host, shape.namespace)}`;
}

/**
 * Refuses a DestinationRule that istiod would merge with one another library construct writes, losing
 * settings of one of them (`destinationRuleMergeLoss`): one host's settings belong in one rule. Call
 * before creating the rule, and `claimDestinationRule` after, so a construct refused for another
 * reason claims nothing. `conflict` words the error from the other claim.
 */
export function checkDestinationRuleHostFree(
  owner: IConstruct, shape: DestinationRuleShape, conflict: (other: DestinationRuleClaim) => string,
): void {
  const other = (claims(owner).get(hostKey(shape)) ?? []).find(c => c.owner !== owner && destinationRuleMergeLoss(c.shape, shape));
  if (other) throw constructError(owner, conflict(other));
}

/** Records a DestinationRule a construct writes (see `checkDestinationRuleHostFree`). */
export function claimDestinationRule(owner: IConstruct, shape: DestinationRuleShape): void {
  const map = claims(owner);
  const key = hostKey(shape);
  map.set(key, [...map.get(key) ?? [], { owner, shape }]);
}
