/**
 * Which value keys the Istio 1.30 charts accept: the keys of their values.yaml plus the ones their
 * templates read without declaring a default.
 */
import { CHART_VALUE_KEYS } from './_chart-values.generated';

/** Keys the charts' templates read that values.yaml only mentions in comments (or not at all). */
const UNDECLARED_KEYS: { [chart: string]: string[] } = {
  // zzz_profile.yaml in every chart.
  // Kubernetes ResourceRequirements: the charts declare only some of requests/limits.
  '*': ['profile', 'platform', 'compatibilityVersion', 'global.profile', 'global.platform', 'resources.*'],
  'base': ['base.validationFailurePolicy'],
  // meshConfig is the MeshConfig API, merged over the generated mesh config.
  'istiod': ['base.validationFailurePolicy', 'pdb.maxUnavailable', 'meshConfig.*'],
  'ztunnel': ['meshConfig.*'],
};

/** Prefixes the charts copy to the top level (templates/zzy_descope_legacy.yaml, flattened globals). */
const ALIASES: { [chart: string]: string[] } = {
  istiod: ['pilot.'],
  cni: ['cni.'],
  ztunnel: ['global.'],
};

function declared(tree: any, path: string[]): boolean {
  let node = tree;
  for (const part of path) {
    if (node === '*') return true;
    if (node === true || node === undefined || typeof node !== 'object' || !(part in node)) return false;
    node = node[part];
  }
  return true;
}

function allowed(chart: string, path: string): boolean {
  const extra = [...UNDECLARED_KEYS['*'], ...UNDECLARED_KEYS[chart] ?? []];
  if (extra.some(k => k === path || (k.endsWith('.*') && path.startsWith(k.slice(0, -1))))) return true;
  if (declared(CHART_VALUE_KEYS[chart], path.split('.'))) return true;
  return (ALIASES[chart] ?? []).some(prefix => path.startsWith(prefix) && allowed(chart, path.slice(prefix.length)));
}

/** Dotted paths of the leaves of a values object (maps are walked, arrays are leaves). */
function leafPaths(values: any, prefix = ''): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(values ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      paths.push(...leafPaths(value, path));
    } else {
      paths.push(path);
    }
  }
  return paths;
}

/** Keys of `values` the chart does not have, sorted. */
export function unknownValueKeys(chart: string, values: any): string[] {
  if (!(chart in CHART_VALUE_KEYS)) throw new Error(`unknown chart ${chart}`);
  return leafPaths(values).filter(p => !allowed(chart, p)).sort();
}
