import { ApiObject, ApiObjectMetadataDefinition, JsonPatch } from 'cdk8s';
import { IConstruct } from 'constructs';
import { memoizeForSynth } from './_memo';
import { constructError, namespaceOf } from './_validation';

/**
 * Services, workloads, ServiceAccounts and Namespaces are taken as plain constructs and read through
 * their Kubernetes object, so that the objects of every cdk8s-plus major (28 to the newest), plain
 * `ApiObject`s and objects brought in with `Include` all work. Only what every version shares is
 * used: `ApiObject.of()` / the construct's children, the object's metadata and `toJson()`.
 */

/** Kinds whose objects run pods, with where their pod template sits in the object. */
const POD_TEMPLATE_PATHS: { [kind: string]: string[] } = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
  Pod: [],
};

/** The kinds accepted where a Service is expected. */
export const SERVICE_KIND = ['Service'];
/** The kinds accepted where a ServiceAccount is expected. */
export const SERVICE_ACCOUNT_KIND = ['ServiceAccount'];
/** The kinds accepted where a Secret is expected. */
export const SECRET_KIND = ['Secret'];
/** The kinds accepted where a Namespace is expected. */
export const NAMESPACE_KIND = ['Namespace'];
/** The kinds accepted where a workload is expected. */
export const WORKLOAD_KINDS = Object.keys(POD_TEMPLATE_PATHS);

/**
 * The Kubernetes object behind an input: the construct itself when it is an `ApiObject`, else its
 * default child (`ApiObject.of()`, what cdk8s-plus constructs have), else its only child object of
 * one of `kinds` (an `Include` with one such object).
 *
 * @param input what the user passed (its path names it in the error)
 * @param kinds the accepted kinds
 * @param what how the parameter is called in messages, e.g. `PolicyTarget.service()`
 * @param alternative how to refer to an object that is not declared in this app
 */
export function kubeObjectOf(input: IConstruct, kinds: string[], what: string, alternative: string): ApiObject {
  const candidates = candidateObjects(input);
  const matching = candidates.filter(o => kinds.includes(o.kind));
  if (matching.length === 1) return matching[0];
  const expected = kinds.length === 1 ? `a ${kinds[0]}` : `a workload (${kinds.join(', ')})`;
  const found = candidates.length === 0
    ? 'it holds no Kubernetes object (objects imported by name, such as fromServiceAccountName(), are not declared in this app)'
    : matching.length > 1
      ? `it holds ${matching.length} objects of that kind (${matching.map(o => `${o.kind} "${o.name}"`).join(', ')})`
      : `it holds ${candidates.map(o => `${o.kind} "${o.name}"`).join(', ')}`;
  throw constructError(input, `${what} needs ${expected}, but ${found}. Pass a cdk8s-plus object (any version), an ApiObject, or one object of an Include (include.apiObjects.find(o => o.kind === '${kinds[0]}' && o.name === '...')); ${alternative}.`);
}

function candidateObjects(input: IConstruct): ApiObject[] {
  if (ApiObject.isApiObject(input)) return [input];
  const defaultChild = input.node.defaultChild;
  if (defaultChild && ApiObject.isApiObject(defaultChild)) return [defaultChild];
  return input.node.children.filter((c): c is ApiObject => ApiObject.isApiObject(c));
}

/**
 * The namespace the object lands in (its own, else its chart's); refused when there is none, naming
 * the construct the user passed.
 */
export function objectNamespace(obj: ApiObject, input: IConstruct): string {
  return namespaceOf(input, obj.metadata.namespace, `${obj.kind} "${obj.name}"`);
}

/**
 * The object as it will be written. cdk8s-plus objects render from their current state, so one that
 * is not complete yet (a Deployment without containers, a Service without ports) cannot be read:
 * that is reported with its path instead of cdk8s-plus's own error.
 */
export function renderedObject(obj: ApiObject): any {
  try {
    return renderOnce(obj, () => obj.toJson());
  } catch (e) {
    // cdk8s wraps the construct's own error in "Failed serializing construct at path ...: Error: ...".
    const reason = (e as Error).message.replace(/^Failed serializing construct at path '[^']*' with name '[^']*': (Error: )?/, '');
    throw constructError(obj, `${obj.kind} "${obj.name}" cannot be read yet: ${reason}. Complete it (containers, ports) before passing it to the mesh constructs.`);
  }
}

/**
 * An object's JSON, rendered once per synthesis pass: placement reads a Service for every rule that
 * targets it, and the synth-time analysis reads every object before cdk8s writes it. Outside
 * synthesis it renders every time.
 */
export function renderOnce(obj: ApiObject, render: () => any): any {
  const rendered = memoizeForSynth(obj, 'rendered-objects', () => new Map<ApiObject, any>());
  const known = rendered.get(obj);
  if (known !== undefined) return known;
  const json = render();
  rendered.set(obj, json);
  return json;
}

/** The ports of a Service object: port -> target port (the port itself when unset). */
export interface ServicePortInfo {
  readonly port: number;
  readonly targetPort: number | string;
}

/** The parts of a Service that placement needs. */
export interface ServiceInfo {
  readonly selector?: { [key: string]: string };
  readonly clusterIP?: string;
  readonly ports: ServicePortInfo[];
}

export function serviceInfo(service: ApiObject): ServiceInfo {
  const spec = renderedObject(service).spec ?? {};
  return {
    selector: spec.selector,
    clusterIP: spec.clusterIP,
    ports: (spec.ports ?? []).map((p: any) => ({ port: p.port, targetPort: p.targetPort ?? p.port })),
  };
}

function podTemplate(workload: ApiObject): any {
  let node = renderedObject(workload);
  for (const key of POD_TEMPLATE_PATHS[workload.kind] ?? []) node = node?.[key];
  return node ?? {};
}

/** The labels of the workload's pods (from its pod template; a Pod's own labels). */
export function podLabels(workload: ApiObject): { [key: string]: string } {
  return { ...podTemplate(workload).metadata?.labels };
}

/** The service account the workload's pods run as (`default` when unset, as Kubernetes does). */
export function podServiceAccount(workload: ApiObject): string {
  const spec = podTemplate(workload).spec ?? {};
  return spec.serviceAccountName ?? spec.serviceAccount ?? 'default';
}

/**
 * The pods a workload owns, as a label selector: the controller's `spec.selector` (Deployment,
 * StatefulSet, DaemonSet, ReplicaSet), else the pod template's labels (Pod, Job, CronJob).
 */
export function workloadSelector(workload: ApiObject): { matchLabels: { [key: string]: string }; hasExpressions: boolean } {
  const json = renderedObject(workload);
  const ownSelector = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(workload.kind) ? json.spec?.selector : undefined;
  if (ownSelector) {
    return { matchLabels: { ...ownSelector.matchLabels }, hasExpressions: (ownSelector.matchExpressions ?? []).length > 0 };
  }
  return { matchLabels: podLabels(workload), hasExpressions: false };
}

/** Reads and writes labels: an object's metadata, or a workload's pod template. */
export interface LabelTarget {
  getLabel(key: string): string | undefined;
  addLabel(key: string, value: string): void;
}

/**
 * The labels of a workload's pod template, for writing. cdk8s-plus workloads of every major expose
 * it as `podMetadata`; for a plain object the labels are added with JSON patches at the template.
 */
export function podTemplateLabels(input: IConstruct, workload: ApiObject): LabelTarget {
  const podMetadata = (input as { podMetadata?: unknown }).podMetadata;
  if (podMetadata instanceof ApiObjectMetadataDefinition) return podMetadata;
  const templatePath = POD_TEMPLATE_PATHS[workload.kind];
  if (templatePath.length === 0) return workload.metadata;
  const metadataPath = '/' + [...templatePath, 'metadata'].join('/');
  return {
    getLabel: key => podLabels(workload)[key],
    addLabel: (key, value) => {
      const metadata = podTemplate(workload).metadata;
      if (metadata?.labels) {
        workload.addJsonPatch(JsonPatch.add(`${metadataPath}/labels/${escapePointer(key)}`, value));
      } else if (metadata) {
        workload.addJsonPatch(JsonPatch.add(`${metadataPath}/labels`, { [key]: value }));
      } else {
        workload.addJsonPatch(JsonPatch.add(metadataPath, { labels: { [key]: value } }));
      }
    },
  };
}

/** RFC 6901: `~` and `/` in a key. */
function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
