/**
 * Recognises a multi-cluster output: a folder with one subfolder per cluster, each holding an Istio
 * install (what `MultiClusterMesh` programs synthesize: `dist/<example>/<cluster>/`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { MANIFEST_FILE, ManifestError, readManifestPath, ReadObject } from './manifest-reader';

/** One cluster's folder and its objects. */
export interface ClusterFolder {
  readonly name: string;
  readonly path: string;
  readonly objects: ReadObject[];
}

/** The values of each istiod install: HelmRelease or Argo CD Application of chart `istiod`, or IstioOperator. */
function istiodValues(objects: ReadObject[]): any[] {
  const out: any[] = [];
  for (const { obj } of objects) {
    if (obj?.kind === 'HelmRelease' && obj.spec?.chart?.spec?.chart === 'istiod') out.push(obj.spec?.values ?? {});
    else if (obj?.kind === 'Application' && obj.spec?.source?.chart === 'istiod') out.push(obj.spec.source.helm?.valuesObject ?? {});
    else if (obj?.kind === 'IstioOperator') out.push(obj.spec?.values ?? {});
  }
  return out;
}

function hasManifests(dir: string): boolean {
  return fs.readdirSync(dir).some(entry => {
    const child = path.join(dir, entry);
    return fs.statSync(child).isDirectory() ? hasManifests(child) : MANIFEST_FILE.test(entry);
  });
}

/**
 * The clusters of a multi-cluster output, in name order: when `folder` has two or more subfolders
 * that each hold one istiod install, and at least one of those sets `global.multiCluster.clusterName`
 * (so a folder of single-cluster examples is not taken for clusters). Undefined when it is not such a folder (a file, or one cluster's
 * output). Throws when manifests lie outside the cluster folders (which cluster would they be in?).
 */
export function clusterFolders(folder: string): ClusterFolder[] | undefined {
  let entries: string[];
  try {
    if (!fs.statSync(folder).isDirectory()) return undefined;
    entries = fs.readdirSync(folder).sort();
  } catch {
    return undefined; // the ordinary reader reports a missing or unreadable input
  }
  const clusters: ClusterFolder[] = [];
  const others: string[] = [];
  let multiCluster = false;
  for (const entry of entries) {
    const child = path.join(folder, entry);
    if (!fs.statSync(child).isDirectory()) {
      if (MANIFEST_FILE.test(entry)) others.push(entry);
      continue;
    }
    if (!hasManifests(child)) continue;
    const objects = readManifestPath(child);
    const installs = istiodValues(objects);
    if (installs.length === 1) {
      clusters.push({ name: entry, path: child, objects });
      multiCluster ||= typeof installs[0]?.global?.multiCluster?.clusterName === 'string';
    } else {
      others.push(`${entry}/`);
    }
  }
  if (clusters.length < 2 || !multiCluster) return undefined;
  if (others.length > 0) {
    throw new ManifestError(`${folder}: holds cluster folders (${clusters.map(c => c.name).join(', ')}: each has an Istio install) and manifests outside them (${others.join(', ')}), which belong to no cluster: move them into a cluster folder, or name the clusters with --clusters <name>=<folder>,...`);
  }
  return clusters;
}
