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
