// Minifies the generated L1 classes in lib/imports in place. They are internal (no public declaration
// or jsii type refers to them) and make up about 40% of the package; their .d.ts files do not ship.
// Class and function names are kept, so stack traces and jsii's runtime type info stay readable.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { minify } from 'terser';

const dir = path.join('lib', 'imports');
let before = 0;
let after = 0;
for (const file of fs.readdirSync(dir).filter(f => f.endsWith('.js')).sort()) {
  const full = path.join(dir, file);
  const code = fs.readFileSync(full, 'utf8');
  const out = await minify(code, { module: false, compress: true, mangle: true, keep_classnames: true, keep_fnames: true, format: { comments: false } });
  fs.writeFileSync(full, out.code);
  before += code.length;
  after += out.code.length;
}
console.log(`minified lib/imports: ${before} -> ${after} bytes`);
