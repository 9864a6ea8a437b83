/**
 * Tracing extension providers: pure rules, no cdk8s.
 *
 * istiod resolves a provider's `service` (`[<namespace>/]<hostname>`) to a cluster by exact host
 * name (`pilot/pkg/networking/core/tracing.go` clusterLookupFn); a short name finds nothing and the
 * proxies export no spans.
 */

const SERVICE = /^([a-z0-9-]+\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;

/** The problem with a provider's service and port, or undefined. */
export function tracingServiceProblem(service: string, port: number, example: string): string | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `port ${port} is not a port number (1-65535).`;
  if (!SERVICE.test(service)) {
    return `service "${service}" must be a fully qualified host name like "${example}" (optionally "<namespace>/<host>"), without scheme or port: istiod cannot resolve short names, and spans would be dropped.`;
  }
  return undefined;
}

/** Throws the problem with a provider's service and port, naming the construct path. */
export function checkTracingService(scope: { node: { path: string } }, service: string, port: number, example: string): void {
  const problem = tracingServiceProblem(service, port, example);
  if (problem) throw new Error(`[${scope.node.path}] ${problem}`);
}
