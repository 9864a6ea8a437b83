import { DependencyType, cdk8s, javascript } from 'projen';

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

  // Inputs (Services, workloads, ServiceAccounts, Namespaces) are plain constructs read through their
  // ApiObject, so objects of any cdk8s-plus major work. cdk8s-plus-28 stays a peer for the constructs
  // that build their own cdk8s-plus objects (OtelCollector) and for ContainerResources.
  peerDeps: ['cdk8s-plus-28@^2.5.6'],
  // The analyzer parses YAML with js-yaml (about 5x faster than yaml on large manifests). Its
  // self-contained minified build (44 KB, MIT header kept) is copied into lib/_vendor at compile time
  // instead of bundling the package: the bundled package with its source maps, ESM build and CLI
  // (argparse) was 1.1 MB of the 5.7 MB unpacked package.
  devDeps: [
    'js-yaml@4.1.0',
    'cdk8s-plus-28@2.5.6',
    // The newest cdk8s-plus major, under a stable alias: the input tests run against it and plus-28.
    'cdk8s-plus-latest@npm:cdk8s-plus-34@2.0.54',
    'cdk8s-cli@^2.207.60',
    'yaml@^2.9.0',
    // Minifies the generated L1 classes and the offline tooling in lib at compile (projenrc/minify-internals.mjs).
    'terser@^5.51.0',
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

  // The same targets and naming scheme as cdk8s-plus (npm name as artifact/dist name, reverse-DNS
  // Java package mirrored in the .NET namespace, a -go module beside the repository).
  publishToPypi: { distName: 'cdk8s-istio-ambient', module: 'cdk8s_istio_ambient' },
  publishToMaven: {
    javaPackage: 'io.github.cdk8sistioambient',
    mavenGroupId: 'io.github.cdk8s-istio-ambient',
    mavenArtifactId: 'cdk8s-istio-ambient',
  },
  publishToNuget: { dotNetNamespace: 'Io.Github.Cdk8sIstioAmbient', packageId: 'Io.Github.Cdk8sIstioAmbient' },
  publishToGo: { moduleName: 'github.com/cdk8s-istio-ambient/cdk8s-istio-ambient-go', packageName: 'cdk8sistioambient' },

  tsconfig: {
    compilerOptions: {
      // No source maps in the package: inline maps with embedded sources were 40% of its size.
      inlineSourceMap: false,
      inlineSources: false,
    },
  },

  jestOptions: {
    // Snapshots must fail on drift, in CI and locally; `npx projen test:update` rewrites them on purpose.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      coveragePathIgnorePatterns: ['/node_modules/', '/src/imports/', '\\.generated\\.ts$'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/dist-package/'],
      // Installs the shared crdcheck tool's dependencies on a fresh machine (the tests admit objects with it).
      globalSetup: '<rootDir>/test/support/global-setup.js',
    },
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'projenrc', 'benchmarks'],
    // test/consumer/main.ts is a consumer app's source: it imports the packed library and a
    // cdk8s-plus major swapped in by test/consumer/run.sh, which type-checks it in that app.
    ignorePatterns: ['src/imports/*.ts', 'src/*.generated.ts', '*.d.ts', '*.js', 'node_modules/', 'test/consumer/'],
  },
  gitignore: ['/dist/', '/dist-package/', '.tmp/'],
});

// unrs-resolver 1.13.0 (via eslint-import-resolver-typescript) lists platform bindings that the
// registry does not serve at 1.13.0; npm then writes a lock file that `npm ci` rejects. 1.12.2 is complete.
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// commit-and-tag-version 13 (projen's default) and its conventional-changelog dependencies require
// Node >= 22 (16 EBADENGINE warnings on Node 20); 12.x does the same release bumping on Node 20.
project.deps.removeDependency('commit-and-tag-version', DependencyType.BUILD);
project.deps.addDependency('commit-and-tag-version@^12', DependencyType.BUILD);

// jsii-pacmak appends the artifacts directory itself when it is missing; declaring it keeps the file stable.
project.npmignore?.exclude('/examples/', '/dist/', '/.ci/', '/test/', '/projenrc/', '/benchmarks/', '/docs/', 'dist-package');
// The API reference is generated from the .jsii assembly, which the package carries (Construct Hub and
// the other languages' docs read that); API.md (400 KB) stays in the repository.
project.npmignore?.exclude('/API.md');


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
  description: 'Analyzer time and memory for 1k to 100k objects (writes docs/analyzer-benchmark.md)',
  steps: [{ spawn: 'compile' }, { exec: 'ts-node --project benchmarks/tsconfig.json benchmarks/analyzer.ts' }],
});

project.addTask('bench:cli', {
  description: 'CLI cold start: user CPU of `analyze` on one small file in a fresh process (writes docs/cli-benchmark.md)',
  steps: [{ spawn: 'compile' }, { exec: 'ts-node --project benchmarks/tsconfig.json benchmarks/cli.ts' }],
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

// Part of compile, so that every path to a package (build, package:js in a fresh clone) has it.
project.compileTask.exec('node projenrc/vendor-js-yaml.mjs');
project.compileTask.exec('node projenrc/minify-internals.mjs');
// Internal declarations (the generated L1 classes' 500 KB among them) do not ship; see the script.
project.tasks.tryFind('package:js')!.prependExec('node projenrc/prune-declarations.mjs');
// jsii refuses `stripInternal` in the tsconfig it compiles with (its strict tsconfig rules), so the
// .d.ts files are re-emitted without @internal members after jsii has written the assembly (.jsii,
// from which API.md and the other languages are built). TypeScript users then see only the public API.
project.compileTask.exec('tsc -p tsconfig.json --emitDeclarationOnly --stripInternal');

// jsii-pacmak packs the compiled assembly (.jsii and lib/): in a fresh clone neither exists yet, so
// package:js compiles first when the assembly is missing.
project.tasks.tryFind('package:js')?.prependSpawn(project.compileTask, {
  condition: 'node -e "process.exit(require(\'fs\').existsSync(\'.jsii\') ? 1 : 0)"',
});

// test/tsconfig.json is the dev tsconfig: its paths are relative to test/.
project.tsconfigDev.addExclude('consumer');

// A new user's app: packs the library, installs the tarball into a fresh cdk8s TypeScript app with
// cdk8s-plus-28 or the newest cdk8s-plus, compiles and synthesizes it, and runs the validation plugin.
project.addTask('test:consumer', {
  description: 'Pack the library, install it into fresh cdk8s apps (cdk8s-plus-28 and newest), compile, synth and validate',
  steps: [{ spawn: 'package:js' }, { exec: 'bash test/consumer/run.sh', receiveArgs: true }],
});

// Synthesize every program in examples/ into dist/<example>/.
project.addTask('examples', {
  description: 'Synthesize every example in examples/ into dist/',
  exec: 'ts-node --project examples/tsconfig.json examples/synth-all.ts',
});

project.synth();
