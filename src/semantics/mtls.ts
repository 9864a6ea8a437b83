/**
 * The mTLS mode ztunnel enforces for a workload port (istio 1.30.3
 * `pilot/pkg/serviceregistry/ambient/authorization.go` `convertedSelectorPeerAuthentications`,
 * `convertPeerAuthentication`, `policies.go` static STRICT policy; `tests/integration/ambient/baseline_test.go`
 * TestPeerAuthentication):
 * - the workload policy (selector, not in the root namespace) beats the namespace policy (no
 *   selector), which beats the mesh policy (root namespace, no selector); with several at one
 *   level the oldest wins (offline: the first by name);
 * - an UNSET mode inherits from the next level; `portLevelMtls` of the workload policy overrides
 *   the port;
 * - STRICT is a DENY of connections without a peer identity (`notPrincipals: ["*"]` presence);
 *   PERMISSIVE, DISABLE or no policy admit plaintext clients (ambient's default is PERMISSIVE).
 */

/** The effective mode at one workload port, and the PeerAuthentication that set it. */
export interface EffectiveMtls {
  /** `STRICT`, `PERMISSIVE`, `DISABLE`, or `PERMISSIVE` by default. */
  readonly mode: string;
  /** `<namespace>/<name>` of the deciding PeerAuthentication; undefined for the default. */
  readonly policy?: string;
  /** `workload`, `namespace`, `mesh`, `port` (portLevelMtls) or `default`. */
  readonly level: string;
}

function selects(selector: { [k: string]: string } | undefined, labels: { [k: string]: string }): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

function name(o: any): string {
  return `${o.metadata?.namespace ?? 'default'}/${o.metadata?.name}`;
}

function firstByName(list: any[]): any | undefined {
  return [...list].sort((a, b) => name(a).localeCompare(name(b)))[0];
}

function modeOf(o: any): string {
  return String(o?.spec?.mtls?.mode ?? 'UNSET').toUpperCase();
}

/** The mode ztunnel enforces for pods with these labels in this namespace, at a pod port. */
export function effectiveMtls(
  peerAuthentications: readonly any[], rootNamespace: string, namespace: string, podLabels: { [k: string]: string }, podPort?: number,
): EffectiveMtls {
  const hasSelector = (o: any) => Object.keys(o?.spec?.selector?.matchLabels ?? {}).length > 0;
  const workload = firstByName(peerAuthentications.filter(o => (o.metadata?.namespace ?? 'default') === namespace && namespace !== rootNamespace
    && hasSelector(o) && selects(o.spec.selector.matchLabels, podLabels)));
  const ns = firstByName(peerAuthentications.filter(o => (o.metadata?.namespace ?? 'default') === namespace && !hasSelector(o)));
  const mesh = firstByName(peerAuthentications.filter(o => (o.metadata?.namespace ?? 'default') === rootNamespace && !hasSelector(o)));
  if (workload && podPort !== undefined) {
    const port = workload.spec?.portLevelMtls?.[String(podPort)];
    const m = String(port?.mode ?? 'UNSET').toUpperCase();
    if (m !== 'UNSET') return { mode: m, policy: name(workload), level: 'port' };
  }
  for (const [o, level] of [[workload, 'workload'], [ns, 'namespace'], [mesh, 'mesh']] as const) {
    if (o && modeOf(o) !== 'UNSET') return { mode: modeOf(o), policy: name(o), level };
  }
  return { mode: 'PERMISSIVE', level: 'default' };
}
