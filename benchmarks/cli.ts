/**
 * CLI cold-start benchmark: user CPU of `node lib/cli.js analyze <one small file>` in a fresh process,
 * next to Node's own start-up (`node -e 0`), median of several runs. The CPU time is the process's own
 * `process.cpuUsage()` at exit (recorded by a preloaded hook), so it covers Node's start-up, loading
 * the CLI's modules and the analysis. Prints a table and writes docs/cli-benchmark.md. Not a test:
 * figures depend on the machine.
 *
 *   npx projen bench:cli
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const RUNS = 15;
const TARGET_MS = 300;
const CLI = path.join(__dirname, '..', 'lib', 'cli.js');

/** A small ambient namespace: a waypoint, a Service with its Deployment, default deny and one allow. */
const SMALL_FILE = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    istio.io/dataplane-mode: ambient
    istio.io/use-waypoint: waypoint
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: waypoint
  namespace: shop
spec:
  gatewayClassName: istio-waypoint
  listeners:
    - name: mesh
      port: 15008
      protocol: HBONE
---
apiVersion: v1
kind: Service
metadata:
  name: cart
  namespace: shop
spec:
  selector:
    app: cart
  ports:
    - name: http
      port: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  namespace: shop
spec:
  selector:
    matchLabels:
      app: cart
  template:
    metadata:
      labels:
        app: cart
    spec:
      serviceAccountName: cart
      containers:
        - name: cart
          image: example/cart:1.0
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-nothing
  namespace: shop
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: cart-waypoint
  namespace: shop
spec:
  targetRefs:
    - group: ""
      kind: Service
      name: cart
  rules:
    - from:
        - source:
            principals: ["cluster.local/ns/shop/sa/frontend"]
      to:
        - operation:
            methods: ["GET"]
`;

/** Preloaded into each measured process: writes its CPU time at exit. */
const HOOK = `process.on('exit', () => {
  const cpu = process.cpuUsage();
  require('fs').writeFileSync(process.env.CLI_BENCH_OUT, JSON.stringify({ userMs: cpu.user / 1000, systemMs: cpu.system / 1000 }));
});
`;

interface Sample { readonly userMs: number; readonly systemMs: number; readonly wallMs: number; readonly modules?: number }

function runOnce(tmp: string, args: string[]): Sample {
  const out = path.join(tmp, 'cpu.json');
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-r', path.join(tmp, 'hook.js'), ...args], { encoding: 'utf8', env: { ...process.env, CLI_BENCH_OUT: out } });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  // analyze exits 0 (clean) or 1 (findings); 2 is a usage or input error.
  if (result.status !== 0 && result.status !== 1) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { ...JSON.parse(fs.readFileSync(out, 'utf8')), wallMs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(tmp: string, args: string[]): { userMs: number; systemMs: number; wallMs: number } {
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(runOnce(tmp, args));
  return { userMs: median(samples.map(s => s.userMs)), systemMs: median(samples.map(s => s.systemMs)), wallMs: median(samples.map(s => s.wallMs)) };
}

/** The modules the CLI loads for `analyze` (what start-up time goes into). */
function modulesLoaded(tmp: string, file: string): string[] {
  const script = `process.argv = [process.argv[0], ${JSON.stringify(CLI)}, 'analyze', ${JSON.stringify(file)}];
process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(path.join(tmp, 'modules.json'))}, JSON.stringify(Object.keys(require.cache))));
require(${JSON.stringify(CLI)});`;
  spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  return JSON.parse(fs.readFileSync(path.join(tmp, 'modules.json'), 'utf8'));
}

function main(): void {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cli-'));
  const file = path.join(tmp, 'small.yaml');
  fs.writeFileSync(file, SMALL_FILE);
  fs.writeFileSync(path.join(tmp, 'hook.js'), HOOK);
  const node = measure(tmp, ['-e', '0']);
  const cli = measure(tmp, [CLI, 'analyze', file]);
  const modules = modulesLoaded(tmp, file);
  const fromDependencies = modules.filter(m => m.includes(`${path.sep}node_modules${path.sep}`)).length;
  fs.rmSync(tmp, { recursive: true, force: true });
  const verdict = `CLI cold start, \`analyze\` on one small file: ${cli.userMs.toFixed(0)} ms of user CPU (target < ${TARGET_MS} ms): ${cli.userMs < TARGET_MS ? 'met' : 'MISSED'}`;
  const table = [
    '| command | user CPU (ms) | system CPU (ms) | wall (ms) |',
    '| :--- | ---: | ---: | ---: |',
    `| \`node -e 0\` (Node's own start-up) | ${node.userMs.toFixed(0)} | ${node.systemMs.toFixed(0)} | ${node.wallMs.toFixed(0)} |`,
    `| \`node lib/cli.js analyze small.yaml\` | ${cli.userMs.toFixed(0)} | ${cli.systemMs.toFixed(0)} | ${cli.wallMs.toFixed(0)} |`,
  ].join('\n');
  console.log(table);
  console.log(`modules loaded by analyze: ${modules.length} (${fromDependencies} from node_modules)`);
  console.log(verdict);
  const doc = [
    '# CLI benchmark',
    '',
    `Measured with \`npx projen bench:cli\` on ${process.platform}/${process.arch}, Node ${process.version}, ${os.cpus().length} cores.`,
    `Each command runs ${RUNS} times in a fresh process; the table shows medians. CPU time is the process's own`,
    '`process.cpuUsage()` at exit: Node\'s start-up, loading the CLI\'s modules and the analysis of one small file',
    '(an ambient namespace with a waypoint, a Service and its Deployment, default deny and one waypoint policy).',
    '',
    table,
    '',
    `\`analyze\` loads ${modules.length} modules, ${fromDependencies} of them from node_modules: the analyzer does not load`,
    'cdk8s, constructs, cdk8s-plus or the generated L1 classes (it reads files; only `MeshAnalyzer.fromApp` and',
    '`fromChart`, whose callers have cdk8s loaded, use it).',
    '',
    `- ${verdict}`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(__dirname, '..', 'docs', 'cli-benchmark.md'), doc);
}

main();
