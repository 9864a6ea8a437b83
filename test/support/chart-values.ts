import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

/** The shared folder (pinned upstream data) next to the repository, or CRDCHECK_ROOT. */
export function sharedRoot(): string {
  if (process.env.CRDCHECK_ROOT) return process.env.CRDCHECK_ROOT;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    dir = path.resolve(dir, '..');
    if (fs.existsSync(path.join(dir, 'shared', 'upstream'))) return path.join(dir, 'shared');
  }
  throw new Error('shared/upstream not found next to the repository; set CRDCHECK_ROOT');
}

function leafPaths(values: any, prefix = ''): string[] {
  return Object.entries(values ?? {}).flatMap(([k, v]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length ? leafPaths(v, p) : [p];
  });
}

/**
 * Keys of `values` that a chart's values.yaml (under shared/upstream) does not declare. A key counts as
 * declared when its path exists, when an ancestor is a free-form map (`{}`), or when values.yaml
 * documents it as a commented-out key at the right indentation under its declared parent.
 */
export function undeclaredChartKeys(valuesFile: string, values: any): string[] {
  const text = fs.readFileSync(path.join(sharedRoot(), 'upstream', valuesFile), 'utf8');
  const tree = parse(text);
  const lines = text.split('\n');
  return leafPaths(values).filter(p => {
    const parts = p.split('.');
    let node = tree;
    for (let i = 0; i < parts.length; i++) {
      if (node && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length === 0 && i > 0) return false; // free-form map
      if (!node || typeof node !== 'object' || !(parts[i] in node)) {
        if (i !== parts.length - 1) return true;
        // Commented-out documented key: "  # hostNamespaceOnly: false" under its parent block.
        const parent = parts.slice(0, -1);
        const indent = '  '.repeat(parent.length);
        const start = lines.findIndex(l => l === `${'  '.repeat(parent.length - 1)}${parent[parent.length - 1]}:` || l.startsWith(`${'  '.repeat(parent.length - 1)}${parent[parent.length - 1]}: `) || l.startsWith(`${'  '.repeat(parent.length - 1)}${parent[parent.length - 1]}:  #`));
        if (start < 0) return true;
        for (let j = start + 1; j < lines.length && (lines[j].startsWith(indent) || lines[j].trim() === ''); j++) {
          if (lines[j].startsWith(`${indent}# ${parts[i]}:`)) return false;
        }
        return true;
      }
      node = node[parts[i]];
    }
    return false;
  });
}
