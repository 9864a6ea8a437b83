import { cdk8s, javascript } from 'projen';

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-istio-ambient',
  description:
    'cdk8s constructs for an Istio ambient-mode service mesh: ambient namespaces, waypoints and zero-trust policies that are enforced where Istio can enforce them.',
  author: 'cdk8s-istio-ambient maintainers',
  authorAddress: 'maintainers@example.com',
  repositoryUrl: 'https://github.com/cdk8s-istio-ambient/cdk8s-istio-ambient.git',
  defaultReleaseBranch: 'main',
  keywords: ['cdk8s', 'istio', 'ambient', 'service-mesh', 'kubernetes', 'gateway-api', 'ztunnel', 'waypoint'],
  stability: 'experimental',
  projenrcTs: true,
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.16.0',
  workflowNodeVersion: '20.x',

  cdk8sVersion: '2.70.0',
  constructsVersion: '10.4.0',
  jsiiVersion: '~6.0.0',

  // cdk8s-plus-28 objects (Namespace, Service, ServiceAccount, workloads) are accepted as inputs.
  peerDeps: ['cdk8s-plus-28@^2.5.6'],
  // The analyzer parses YAML (js-yaml: about 5x faster than yaml on large manifests); non-jsii
  // dependencies are bundled and stay out of the public API.
  deps: ['js-yaml@^4.1.0'],
  bundledDeps: ['js-yaml'],
  devDeps: [
    'cdk8s-plus-28@2.5.6',
    'cdk8s-cli@^2.207.60',
    'yaml@^2.9.0',
    '@types/js-yaml@^4.0.9',
    // Schema validators built from the upstream CRDs; ESM-only, loaded by test/support/validate-models.mjs.
    '@kubernetes-models/istio@^3.0.1',
    '@kubernetes-models/gateway-api@^2.0.0',
    'kubernetes-models@^5.1.0',
    '@kubernetes-models/flux-cd@^4.0.0',
    '@kubernetes-models/argo-cd@^4.0.0',
    '@kubernetes-models/prometheus-operator@^6.0.0',
  ],

  // The examples synthesize into dist/, so the package artifacts go elsewhere.
  artifactsDirectory: 'dist-package',

  jestOptions: {
    // Snapshots must fail on drift, in CI and locally; `npx projen test:update` rewrites them on purpose.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      coveragePathIgnorePatterns: ['/node_modules/', '/src/imports/', '\\.generated\\.ts$'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/dist-package/'],
    },
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'projenrc', 'benchmarks'],
    ignorePatterns: ['src/imports/*.ts', 'src/*.generated.ts', '*.d.ts', '*.js', 'node_modules/'],
  },
  gitignore: ['/dist/', '/dist-package/', '.tmp/'],
});

// unrs-resolver 1.13.0 (via eslint-import-resolver-typescript) lists platform bindings that the
// registry does not serve at 1.13.0; npm then writes a lock file that `npm ci` rejects. 1.12.2 is complete.
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// jsii-pacmak appends the artifacts directory itself when it is missing; declaring it keeps the file stable.
project.npmignore?.exclude('/examples/', '/dist/', '/.ci/', '/test/', '/projenrc/', '/benchmarks/', '/docs/', 'dist-package');

// Regenerate the typed L1 classes from pinned upstream CRDs:
//   npx projen import                 (reads ../shared/upstream)
//   npx projen import -- <crd-dir>    (any folder with the same layout)
const importTask = project.addTask('import', {
  description: 'Generate src/imports from the pinned upstream CRDs (descriptions stripped, emitted versions only) and the chart value keys',
  exec: 'ts-node --project test/tsconfig.json projenrc/import-crds.ts',
  receiveArgs: true,
});
importTask.exec('ts-node --project test/tsconfig.json projenrc/import-chart-values.ts', { receiveArgs: true });

// Tests assert whole error messages and objects; long lines there are clearer than wrapped ones.
project.eslint?.addOverride({ files: ['test/**/*.ts'], rules: { '@stylistic/max-len': 'off' } });

project.addBins({ 'cdk8s-istio-ambient': 'lib/cli.js' });

project.addTask('bench', {
  description: 'Synth time and memory of the library against raw cdk8s ApiObjects, plus the analyzer (writes docs/benchmarks.md)',
  steps: [{ spawn: 'compile' }, { exec: 'ts-node --project benchmarks/tsconfig.json benchmarks/synth.ts' }],
});

project.addTask('bench:analyzer', {
  description: 'Analyzer time and memory for 1k, 10k and 50k objects (writes docs/analyzer-benchmark.md)',
  steps: [{ spawn: 'compile' }, { exec: 'ts-node --project benchmarks/tsconfig.json benchmarks/analyzer.ts' }],
});

project.addTask('bench:diff', {
  description: 'Access diff time for 500 Services and 2,000 AuthorizationPolicies, typical and exhaustive (writes docs/diff-benchmark.md)',
  steps: [{ spawn: 'compile' }, { exec: 'ts-node --project benchmarks/tsconfig.json benchmarks/diff.ts' }],
});

// The examples are type-checked and linted like the tests, against the library sources.
new javascript.TypescriptConfig(project, {
  fileName: 'examples/tsconfig.json',
  extends: javascript.TypescriptConfigExtends.fromPaths(['../tsconfig.json']),
  include: ['**/*.ts'],
  exclude: ['node_modules'],
  compilerOptions: { noEmit: true, rootDir: '..' },
});

new javascript.TypescriptConfig(project, {
  fileName: 'benchmarks/tsconfig.json',
  extends: javascript.TypescriptConfigExtends.fromPaths(['../tsconfig.json']),
  include: ['**/*.ts'],
  exclude: ['node_modules'],
  compilerOptions: { noEmit: true, rootDir: '..' },
});

// Synthesize every program in examples/ into dist/<example>/.
project.addTask('examples', {
  description: 'Synthesize every example in examples/ into dist/',
  exec: 'ts-node --project examples/tsconfig.json examples/synth-all.ts',
});

project.synth();
