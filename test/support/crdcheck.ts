import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sharedRoot } from './chart-values';

/**
 * Admits objects the way the API server would, with the shared crdcheck tool (structural schema and
 * CEL rules of the pinned upstream CRDs). Returns its error lines.
 */
export function crdcheckErrors(objects: any[]): string[] {
  const shared = sharedRoot();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crdcheck-'));
  try {
    fs.writeFileSync(path.join(dir, 'objects.json'), JSON.stringify(objects));
    try {
      execFileSync(process.execPath, [path.join(shared, 'tools', 'crdcheck', 'crdcheck.mjs'), '--crds', path.join(shared, 'upstream'), dir], { encoding: 'utf8' });
      return [];
    } catch (e: any) {
      const out = String(e.stdout);
      // A crash (no summary line) is an error, never an empty list: the objects were not admitted.
      if (!out.includes('crdcheck:')) return [`crdcheck did not run: ${String(e.stderr).trim().split('\n').find(l => l.includes('Error')) ?? e.message}`];
      return out.split('\n').filter(l => l.trim() && !l.startsWith('crdcheck:'));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Like `crdcheckErrors`, for several independent sets of objects in one crdcheck run (it loads the CRDs
 * once, which is most of its time). Returns each set's error lines; an object that another set also
 * declares is not a duplicate, since the sets are never applied together.
 */
export function crdcheckErrorsBySet(sets: Map<string, any[]>): Map<string, string[]> {
  const shared = sharedRoot();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crdcheck-'));
  const result = new Map<string, string[]>([...sets.keys()].map(k => [k, []]));
  try {
    const files = new Map<string, string>();
    [...sets.keys()].forEach((key, i) => {
      const file = `set-${i}.json`;
      files.set(file, key);
      fs.writeFileSync(path.join(dir, file), JSON.stringify(sets.get(key)));
    });
    let out: string;
    try {
      out = execFileSync(process.execPath, [path.join(shared, 'tools', 'crdcheck', 'crdcheck.mjs'), '--crds', path.join(shared, 'upstream'), '.'], { cwd: dir, encoding: 'utf8' });
    } catch (e: any) {
      out = String(e.stdout);
      if (!out.includes('crdcheck:')) {
        const reason = `crdcheck did not run: ${String(e.stderr).trim().split('\n').find(l => l.includes('Error')) ?? e.message}`;
        for (const key of sets.keys()) result.set(key, [reason]);
        return result;
      }
    }
    for (const line of out.split('\n')) {
      if (!line.trim() || line.startsWith('crdcheck:')) continue;
      const file = line.slice(0, line.indexOf(':'));
      const key = files.get(file);
      const duplicateOf = /duplicate object \(also in (.*)\)$/.exec(line)?.[1];
      if (duplicateOf !== undefined && path.basename(duplicateOf) !== file) continue;
      if (key === undefined) throw new Error(`crdcheck reported an unknown file: ${line}`);
      result.get(key)!.push(line.slice(file.length + 2));
    }
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
