// Minifies, in place, the generated L1 classes in lib/imports (internal: no public declaration or jsii
// type refers to them), the offline tooling in lib/analysis, lib/semantics and lib/migration, and the
// internal construct modules: together over half of the package. The public constructs stay as compiled. Class and function names are kept, so
// stack traces and jsii's runtime type info stay readable.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { minify } from 'terser';

const dirs = ['imports', 'analysis', 'semantics', 'migration'].map(d => path.join('lib', d));
// Internal construct modules too: the `_`-prefixed helpers and the placement planner (no public type
// is declared in them); the public constructs stay as compiled.
const internalModules = ['lib', 'lib/authz', 'lib/install', 'lib/traffic']
  .flatMap(dir => fs.readdirSync(dir).filter(f => f.startsWith('_') && f.endsWith('.js')).map(f => path.join(dir, f)))
  .concat(['lib/authz/policy-planner.js', 'lib/authz/rule-rendering.js']);
let before = 0;
let after = 0;
const files = dirs.flatMap(dir => fs.readdirSync(dir).filter(f => f.endsWith('.js')).sort().map(f => path.join(dir, f)))
  .concat(internalModules.sort());
for (const full of files) {
  const code = fs.readFileSync(full, 'utf8');
  const out = await minify(code, { module: false, compress: true, mangle: true, keep_classnames: true, keep_fnames: true, format: { comments: false } });
  fs.writeFileSync(full, out.code);
  before += code.length;
  after += out.code.length;
}
console.log(`minified ${files.length} files in ${dirs.join(', ')} and the internal construct modules: ${before} -> ${after} bytes`);
