// Validates Kubernetes objects (a JSON array on stdin) with the kubernetes-models validators, which are
// generated from the upstream OpenAPI schemas and CRDs. Prints a JSON array of error strings.
// It runs as a child process because those packages are ESM-only and jest runs the tests as CommonJS.
import { readFileSync } from 'node:fs';

const PACKAGES = {
  'security.istio.io': '@kubernetes-models/istio',
  'networking.istio.io': '@kubernetes-models/istio',
  'telemetry.istio.io': '@kubernetes-models/istio',
  'gateway.networking.k8s.io': '@kubernetes-models/gateway-api',
  'helm.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
  'source.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
  'kustomize.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
  'argoproj.io': '@kubernetes-models/argo-cd',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === '') return `kubernetes-models/${version}/${kind}`;
  if (PACKAGES[group]) return `${PACKAGES[group]}/${group}/${version}/${kind}`;
  if (!group.includes('.')) return `kubernetes-models/${group}/${version}/${kind}`;
  return undefined;
}

const objects = JSON.parse(readFileSync(0, 'utf8'));
const errors = [];
for (const obj of objects) {
  const id = `${obj.apiVersion} ${obj.kind} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
  const path = modulePath(obj.apiVersion, obj.kind);
  if (!path) {
    errors.push(`${id}: no schema validator is wired for this API group; add it to test/support/validate-models.mjs`);
    continue;
  }
  let Model;
  try {
    Model = (await import(path))[obj.kind];
  } catch (e) {
    errors.push(`${id}: no schema for this apiVersion/kind (${e.message.split('\n')[0]})`);
    continue;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    errors.push(`${id}: ${e.message}`);
  }
}
process.stdout.write(JSON.stringify(errors));
