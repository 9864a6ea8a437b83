import { IConstruct } from 'constructs';
import { PolicyTarget } from '../authz/policy-target';

/**
 * A validation (run at synth, against the whole app) refusing a construct whose Service has no
 * waypoint: waypoints, enrollments and namespaces may be declared after it, in any order. A problem
 * resolving the Service (e.g. its namespace is not declared) is reported the same way, as one message.
 */
export function requireWaypoint(scope: IConstruct, target: PolicyTarget, namespace: string, problem: (description: string) => string): void {
  scope.node.addValidation({
    validate: () => {
      try {
        const resolved = target._resolve(scope, namespace);
        return resolved.waypoint ? [] : [problem(resolved.description)];
      } catch (e) {
        const prefix = `[${scope.node.path}] `;
        if (e instanceof Error && e.message.startsWith(prefix)) return [e.message.slice(prefix.length)];
        throw e;
      }
    },
  });
}
