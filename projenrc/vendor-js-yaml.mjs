// Copies js-yaml's self-contained minified build into lib/_vendor/js-yaml.js, headed by its MIT
// licence (the minified file carries none). src/_yaml.ts loads it in the package and falls back to
// the js-yaml devDependency when it runs from source (tests, ts-node).
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const pkgDir = path.dirname(require.resolve('js-yaml/package.json'));
const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const licence = fs.readFileSync(path.join(pkgDir, 'LICENSE'), 'utf8').trim();
const code = fs.readFileSync(path.join(pkgDir, 'dist', 'js-yaml.min.js'), 'utf8');
const out = path.join('lib', '_vendor', 'js-yaml.js');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `/*! js-yaml ${version} https://github.com/nodeca/js-yaml\n${licence}\n*/\n${code}`);
console.log(`vendored js-yaml ${version} -> ${out}`);
