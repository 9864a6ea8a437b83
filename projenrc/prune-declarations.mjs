// Deletes the .d.ts files in lib that lib/index.d.ts cannot reach: internal modules (generated L1
// classes, semantics, analysis internals) whose declarations no consumer can import. The consumer
// check compiles an app against the package without skipLibCheck, which proves the kept set complete.
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve('lib');
const reachable = new Set();
const queue = [path.join(root, 'index.d.ts')];
const IMPORT = /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
while (queue.length) {
  const file = queue.pop();
  if (reachable.has(file) || !fs.existsSync(file)) continue;
  reachable.add(file);
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(IMPORT)) {
    const target = path.resolve(path.dirname(file), m[1]);
    for (const candidate of [`${target}.d.ts`, path.join(target, 'index.d.ts')]) {
      if (fs.existsSync(candidate)) queue.push(candidate);
    }
  }
}
let removed = 0;
let bytes = 0;
const walk = dir => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.name.endsWith('.d.ts') && !reachable.has(full)) {
      bytes += fs.statSync(full).size;
      fs.rmSync(full);
      removed++;
    }
  }
};
walk(root);
console.log(`declarations: kept ${reachable.size}, removed ${removed} unreachable (${bytes} bytes)`);
