// Validates Kubernetes objects (a JSON array on stdin) with the kubernetes-models validators, which are
// generated from the upstream OpenAPI schemas and CRDs. Prints a JSON array of error strings.
// It runs as a child process because those packages are ESM-only and jest runs the tests as CommonJS.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  'networking.k8s.io': 'kubernetes-models',
};

// Groups without a kubernetes-models package: admitted by crdcheck against the pinned upstream CRDs
// (shared/upstream next to the repository, or CRDCHECK_ROOT).
const CRDCHECK_GROUPS = new Set(['traefik.io', 'cert-manager.io']);

function sharedRoot() {
  if (process.env.CRDCHECK_ROOT) return process.env.CRDCHECK_ROOT;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    dir = resolve(dir, '..');
    if (existsSync(join(dir, 'shared', 'tools', 'crdcheck', 'crdcheck.mjs'))) return join(dir, 'shared');
  }
  return undefined;
}

function crdcheckErrors(objs) {
  const shared = sharedRoot();
  if (!shared) return objs.map(o => `${o.apiVersion} ${o.kind} ${o.metadata?.name ?? ''}: crdcheck not found (set CRDCHECK_ROOT to the shared folder)`);
  const dir = mkdtempSync(join(tmpdir(), 'crdcheck-'));
  try {
    writeFileSync(join(dir, 'objects.json'), JSON.stringify(objs));
    try {
      execFileSync(process.execPath, [join(shared, 'tools', 'crdcheck', 'crdcheck.mjs'), '--crds', join(shared, 'upstream'), dir], { encoding: 'utf8' });
      return [];
    } catch (e) {
      const out = String(e.stdout);
      // A crash (no summary line) is an error, never an empty list: the objects were not admitted.
      if (!out.includes('crdcheck:')) return [`crdcheck did not run: ${String(e.stderr).trim().split('\n').find(l => l.includes('Error')) ?? e.message}`];
      return out.split('\n').filter(l => l.trim() && !l.startsWith('crdcheck:'));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === '') return `kubernetes-models/${version}/${kind}`;
  if (PACKAGES[group]) return `${PACKAGES[group]}/${group}/${version}/${kind}`;
  if (!group.includes('.')) return `kubernetes-models/${group}/${version}/${kind}`;
  return undefined;
}

const objects = JSON.parse(readFileSync(0, 'utf8'));
const errors = [];
const viaCrdcheck = objects.filter(o => CRDCHECK_GROUPS.has((o.apiVersion ?? '').split('/')[0]));
if (viaCrdcheck.length) errors.push(...crdcheckErrors(viaCrdcheck));
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
