/**
 * Which Kubernetes object a manifest writes: two manifests with the same API group, kind, namespace
 * and name are one object on the API server, so applying both leaves only the one applied last.
 * Pure functions (no cdk8s).
 */

/**
 * Kinds the API server stores without a namespace, by `group/kind` (core group empty): their
 * `metadata.namespace` is ignored, so a copy in another namespace is still the same object. cdk8s
 * writes a chart's namespace into every object, cluster-scoped or not. Kinds of other CRDs are taken
 * as namespaced (the manifests do not say otherwise).
 */
const CLUSTER_SCOPED = new Set([
  '/Namespace', '/Node', '/PersistentVolume', '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition', 'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration', 'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy', 'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy', 'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'storage.k8s.io/StorageClass', 'storage.k8s.io/CSIDriver', 'storage.k8s.io/CSINode', 'storage.k8s.io/VolumeAttachment',
  'storage.k8s.io/VolumeAttributesClass', 'scheduling.k8s.io/PriorityClass', 'node.k8s.io/RuntimeClass',
  'networking.k8s.io/IngressClass', 'networking.k8s.io/IPAddress', 'networking.k8s.io/ServiceCIDR',
  'certificates.k8s.io/CertificateSigningRequest', 'certificates.k8s.io/ClusterTrustBundle',
  'flowcontrol.apiserver.k8s.io/FlowSchema', 'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'resource.k8s.io/DeviceClass',
  // CRDs with `scope: Cluster` among those the library writes or reads.
  'gateway.networking.k8s.io/GatewayClass', 'cert-manager.io/ClusterIssuer',
  'cilium.io/CiliumClusterwideNetworkPolicy', 'cilium.io/CiliumClusterwideEnvoyConfig',
]);

/** The API group of an `apiVersion` (`""` for the core group: `v1`). */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Is `group`/`kind` stored without a namespace? */
export function isClusterScoped(group: string, kind: string): boolean {
  return CLUSTER_SCOPED.has(`${group}/${kind}`);
}

/** The object a manifest writes on the API server. */
export interface ObjectIdentity {
  readonly group: string;
  readonly kind: string;
  /** Empty for a cluster-scoped kind. */
  readonly namespace: string;
  readonly name: string;
}

/**
 * The object a manifest writes, or undefined when it names none (no name: `generateName` makes a new
 * object on every create). The version is not part of it: `v1` and `v1beta1` of a kind are one
 * object. A namespaced object without a namespace lands in the namespace it is applied to: like the
 * rest of the analysis, `default`.
 */
export function objectIdentity(
  obj: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } },
): ObjectIdentity | undefined {
  const name = obj.metadata?.name;
  if (!name || !obj.kind) return undefined;
  const group = apiGroup(obj.apiVersion ?? '');
  const namespace = isClusterScoped(group, obj.kind) ? '' : obj.metadata?.namespace || 'default';
  return { group, kind: obj.kind, namespace, name };
}

/** `Kind.group namespace/name` (`Kind name` when cluster-scoped), as messages name an object. */
export function describeObject(id: ObjectIdentity): string {
  const kind = id.group ? `${id.kind}.${id.group}` : id.kind;
  return id.namespace ? `${kind} ${id.namespace}/${id.name}` : `${kind} ${id.name}`;
}
