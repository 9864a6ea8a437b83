import * as fs from 'fs';
import * as path from 'path';
import type * as JsYaml from 'js-yaml';

/**
 * js-yaml, from the minified copy that compile puts next to the compiled library (lib/_vendor), or
 * from the js-yaml devDependency when the sources run directly (tests, ts-node). Shipping the single
 * minified file instead of bundling the package keeps the package small.
 */
function loadJsYaml(): typeof JsYaml {
  const vendored = path.join(__dirname, '_vendor', 'js-yaml.js');
  // The fallback only runs from the source tree, where js-yaml is a devDependency.
  // eslint-disable-next-line import/no-extraneous-dependencies, @typescript-eslint/no-require-imports
  return fs.existsSync(vendored) ? require(vendored) : require('js-yaml');
}

const jsYaml = loadJsYaml();

/** The YAML 1.2 core schema (no timestamps or binary, as Kubernetes reads manifests). */
export const CORE_SCHEMA = jsYaml.CORE_SCHEMA;
/** Parses one YAML document. */
export const load: typeof JsYaml.load = jsYaml.load;
/** Parses every document of a YAML stream. */
export const loadAll: typeof JsYaml.loadAll = jsYaml.loadAll;
/** Writes one YAML document. */
export const dump: typeof JsYaml.dump = jsYaml.dump;
