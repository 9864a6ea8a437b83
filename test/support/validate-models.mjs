// Validates Kubernetes objects (a JSON array on stdin) with the kubernetes-models validators, which are
// generated from the upstream OpenAPI schemas and CRDs. Prints a JSON array of error strings.
// It runs as a child process because those packages are ESM-only and jest runs the tests as CommonJS.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// API groups without a kubernetes-models package: admitted with crdcheck against the pinned CRDs
// (shared/upstream), found by walking up from this repository.
const CRDCHECK_GROUPS = new Set(['cert-manager.io']);

function findShared() {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'shared');
    if (existsSync(join(candidate, 'tools', 'crdcheck', 'crdcheck.mjs')) && existsSync(join(candidate, 'upstream'))) return candidate;
    const parent = resolve(dir, '..');
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function crdcheckErrors(objects) {
  if (objects.length === 0) return [];
  const shared = findShared();
  if (!shared) return objects.map(o => `${o.apiVersion} ${o.kind} ${o.metadata?.name}: crdcheck (shared/tools/crdcheck) not found`);
  const dir = mkdtempSync(join(tmpdir(), 'crdcheck-'));
  const file = join(dir, 'objects.json');
  writeFileSync(file, JSON.stringify({ kind: 'List', items: objects }));
  try {
    execFileSync(process.execPath, [join(shared, 'tools', 'crdcheck', 'crdcheck.mjs'), '--crds', join(shared, 'upstream'), file], { encoding: 'utf8' });
    return [];
  } catch (e) {
    return String(e.stdout).split('\n').filter(l => l.includes(': ') && !l.startsWith('crdcheck:'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PACKAGES = {
  'security.istio.io': '@kubernetes-models/istio',
  'networking.istio.io': '@kubernetes-models/istio',
  'telemetry.istio.io': '@kubernetes-models/istio',
  'gateway.networking.k8s.io': '@kubernetes-models/gateway-api',
  'helm.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
  'source.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
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
const viaCrdcheck = objects.filter(o => CRDCHECK_GROUPS.has(o.apiVersion.split('/')[0]));
errors.push(...crdcheckErrors(viaCrdcheck));
for (const obj of objects.filter(o => !viaCrdcheck.includes(o))) {
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
