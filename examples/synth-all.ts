/**
 * Synthesizes every example in this folder into dist/<example>/ (the quick start's main job).
 * Each example exports `build(app)`; a failing example stops the run with its error. `build` may return
 * more Apps (one per cluster), synthesized after `app`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';

const outRoot = path.join(__dirname, '..', 'dist');
fs.rmSync(outRoot, { recursive: true, force: true });

const examples = fs.readdirSync(__dirname)
  .filter(f => f.endsWith('.ts') && f !== 'synth-all.ts' && !f.endsWith('.d.ts'))
  .sort();

for (const file of examples) {
  const name = path.basename(file, '.ts');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const example = require(path.join(__dirname, file));
  if (typeof example.build !== 'function') throw new Error(`examples/${file} must export build(app)`);
  const app = new App({ outdir: path.join(outRoot, name) });
  // A multi-cluster example returns one App per cluster, each with its own folder under dist/<example>/.
  const clusterApps: App[] = example.build(app) ?? [];
  app.synth();
  for (const clusterApp of clusterApps) clusterApp.synth();
  const files = fs.readdirSync(app.outdir);
  console.log(`examples/${file} -> dist/${name}/ (${files.join(', ')})`);
}
