/**
 * Synthesis benchmark: the library against a baseline that writes the same manifests directly as
 * cdk8s ApiObjects (what a user would write without it), for meshes of 10, 100, 1,000 and 5,000
 * services, plus the analyzer over the library's output. Each run is its own process (peak RSS is
 * that run's). Prints a table and writes docs/benchmarks.md. Not a test: figures depend on the machine.
 *
 *   npm run bench
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

// The compiled library (what users run; `spawn: compile` runs first), typed from the sources.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compiled: typeof import('../src') = require('../lib');
const { AmbientNamespace, HttpRoute, MeshAnalyzer, OtelTracing, PolicySource, PolicyTarget, RouteBackend, RouteParent, ZeroTrustPolicy } = compiled;

const SERVICES_PER_NAMESPACE = 25;
const COLLECTOR = 'otel-collector.observability.svc.cluster.local';

interface Layout { readonly namespace: string; readonly services: string[] }

function layout(services: number): Layout[] {
  const out: Layout[] = [];
  for (let i = 0; i < services; i++) {
    const ns = `team-${Math.floor(i / SERVICES_PER_NAMESPACE)}`;
    if (out.length === 0 || out[out.length - 1].namespace !== ns) out.push({ namespace: ns, services: [] });
    out[out.length - 1].services.push(`svc-${i % SERVICES_PER_NAMESPACE}`);
  }
  return out;
}

/** Three clients per service: its neighbours in the namespace. */
function clients(services: string[], index: number): string[] {
  return [1, 2, 3].map(d => services[(index + d) % services.length]);
}

function service(chart: Chart, name: string): kplus.Service {
  const svc = new kplus.Service(chart, `${name}-svc`, { metadata: { name }, ports: [{ port: 8080, name: 'http' }] });
  svc.selectLabel('app', name);
  return svc;
}

/** (a) The library. */
function buildLibrary(app: App, total: number): void {
  const mesh = new Chart(app, 'mesh', { disableResourceNameHashes: true });
  new OtelTracing(mesh, 'tracing', { service: COLLECTOR });
  for (const { namespace, services } of layout(total)) {
    const chart = new Chart(app, namespace, { namespace, disableResourceNameHashes: true });
    new AmbientNamespace(chart, 'ns', { name: namespace }).addWaypoint('waypoint');
    const svcs = services.map(s => service(chart, s));
    const policy = new ZeroTrustPolicy(chart, 'zero-trust');
    svcs.forEach((svc, i) => {
      for (const client of clients(services, i)) {
        policy.allowFrom(PolicySource.serviceAccountName(namespace, client), { to: PolicyTarget.service(svc), methods: ['GET'] });
      }
      if (i % 10 === 0) new HttpRoute(chart, `${svc.name}-route`, { name: svc.name, parents: [RouteParent.service(svc, 8080)], rules: [{ backends: [RouteBackend.service(svc)] }] });
    });
  }
}

/** (b) The same manifests, written directly. */
function buildBaseline(app: App, total: number): void {
  const mesh = new Chart(app, 'mesh', { disableResourceNameHashes: true });
  new ApiObject(mesh, 'tracing', {
    apiVersion: 'telemetry.istio.io/v1',
    kind: 'Telemetry',
    metadata: { name: 'default', namespace: 'istio-system' },
    spec: { tracing: [{ providers: [{ name: 'otel-tracing' }], randomSamplingPercentage: 1 }] },
  });
  const ap = (chart: Chart, id: string, namespace: string, spec: any) =>
    new ApiObject(chart, id, { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: id, namespace }, spec });
  for (const { namespace, services } of layout(total)) {
    const chart = new Chart(app, namespace, { namespace, disableResourceNameHashes: true });
    new ApiObject(chart, 'ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } } })
      .addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    new ApiObject(chart, 'waypoint', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'waypoint', namespace },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    const svcs = services.map(s => service(chart, s));
    new ApiObject(chart, 'default', { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace }, spec: { mtls: { mode: 'STRICT' } } });
    ap(chart, 'allow-nothing', namespace, { action: 'ALLOW' });
    ap(chart, 'allow-nothing-waypoint', namespace, { action: 'ALLOW', targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }] });
    const perService = svcs.map((svc, i) => ({ svc, i })).sort((a, b) => a.svc.name.localeCompare(b.svc.name));
    const requireWaypoint = { action: 'ALLOW', rules: [{ from: [{ source: { principals: [`cluster.local/ns/${namespace}/sa/waypoint`] } }] }] };
    let requireWritten = false;
    for (const { svc, i } of perService) {
      if (!requireWritten && `${svc.name}-waypoint` > 'require-waypoint') {
        ap(chart, 'require-waypoint', namespace, requireWaypoint);
        requireWritten = true;
      }
      ap(chart, `${svc.name}-waypoint`, namespace, {
        action: 'ALLOW',
        targetRefs: [{ group: '', kind: 'Service', name: svc.name }],
        rules: [{
          from: [{ source: { principals: clients(services, i).map(c => `cluster.local/ns/${namespace}/sa/${c}`).sort() } }],
          to: [{ operation: { methods: ['GET'] } }],
        }],
      });
    }
    if (!requireWritten) ap(chart, 'require-waypoint', namespace, requireWaypoint);
    svcs.forEach((svc, i) => {
      if (i % 10 !== 0) return;
      new ApiObject(chart, `${svc.name}-route`, {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: svc.name, namespace },
        spec: { parentRefs: [{ group: '', kind: 'Service', name: svc.name, port: 8080 }], rules: [{ backendRefs: [{ name: svc.name, port: 8080 }] }] },
      });
    });
  }
}

interface Run { readonly ms: number; readonly rssMb: number; readonly objects: number; readonly outdir: string }

function runOne(mode: string, services: number, outdir: string): void {
  const start = process.hrtime.bigint();
  const app = new App({ outdir });
  (mode === 'library' ? buildLibrary : buildBaseline)(app, services);
  app.synth();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const objects = fs.readdirSync(outdir).reduce((n, f) => n + (fs.readFileSync(path.join(outdir, f), 'utf8').match(/^kind: /gm)?.length ?? 0), 0);
  const run: Run = { ms, rssMb: process.resourceUsage().maxRSS / 1024, objects, outdir };
  process.stdout.write(JSON.stringify(run));
}

function analyzeOne(outdir: string): void {
  const start = process.hrtime.bigint();
  const analyzer = MeshAnalyzer.fromFiles([outdir]);
  const findings = analyzer.analyze();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ ms, objects: analyzer.objectCount, findings: findings.length, rssMb }));
}

const RUNS = 3;

function median(runs: Run[]): Run {
  return [...runs].sort((x, y) => x.ms - y.ms)[Math.floor(runs.length / 2)];
}

function child(args: string[]): any {
  const out = execFileSync(process.execPath, ['--max-old-space-size=4096', '-r', 'ts-node/register/transpile-only', __filename, ...args], {
    encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, 'tsconfig.json') },
  });
  return JSON.parse(out);
}

function sameOutput(a: string, b: string): boolean {
  const files = fs.readdirSync(a).sort();
  const sameBytes = (f: string) => fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f)));
  return files.join() === fs.readdirSync(b).sort().join() && files.every(sameBytes);
}

function main(): void {
  const argv = process.argv;
  if (argv.includes('--run')) return runOne(argv[argv.indexOf('--run') + 1], Number(argv[argv.indexOf('--services') + 1]), argv[argv.indexOf('--outdir') + 1]);
  if (argv.includes('--analyze')) return analyzeOne(argv[argv.indexOf('--analyze') + 1]);
  const sizes = [10, 100, 1000, 5000];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const rows: string[] = [];
  let perServiceAt100 = 0;
  const results: { services: number; ratio: number; perService: number; rssMb: number; objects: number; analyzerMs: number }[] = [];
  for (const services of sizes) {
    // Library and baseline alternate, RUNS times each; the median run of each is reported (shared VMs are noisy).
    const libRuns: Run[] = [];
    const baseRuns: Run[] = [];
    for (let r = 0; r < RUNS; r++) {
      libRuns.push(child(['--run', 'library', '--services', String(services), '--outdir', path.join(tmp, `lib-${services}`)]));
      baseRuns.push(child(['--run', 'baseline', '--services', String(services), '--outdir', path.join(tmp, `base-${services}`)]));
    }
    const lib = median(libRuns);
    const base = median(baseRuns);
    const analysis = child(['--analyze', lib.outdir]);
    const identical = sameOutput(lib.outdir, base.outdir);
    const perService = lib.ms / services;
    if (services === 100) perServiceAt100 = perService;
    results.push({ services, ratio: lib.ms / base.ms, perService, rssMb: lib.rssMb, objects: lib.objects, analyzerMs: analysis.ms });
    rows.push(`| ${services.toLocaleString('en-US')} | ${lib.objects.toLocaleString('en-US')} | ${lib.ms.toFixed(0)} | ${base.ms.toFixed(0)} | ${(lib.ms / base.ms).toFixed(2)} | ${perService.toFixed(2)} | ${perServiceAt100 ? (perService / perServiceAt100).toFixed(2) + '×' : '-'} | ${lib.rssMb.toFixed(0)} | ${base.rssMb.toFixed(0)} | ${analysis.ms.toFixed(0)} | ${analysis.findings} | ${identical ? 'yes' : 'NO'} |`);
    console.error(rows[rows.length - 1]);
  }
  const last = results[results.length - 1];
  const flat = results.filter(r => r.services >= 100).map(r => r.perService);
  const minPer = Math.min(...flat);
  const maxPer = Math.max(...flat);
  // Targets of issue 12 (Speed).
  const ratioRows = results.filter(r => r.services >= 1000);
  const verdicts = [
    `ratio at 1,000 and 5,000 services: ${ratioRows.map(r => r.ratio.toFixed(2)).join(' and ')} (target <= 1.2): ${ratioRows.every(r => r.ratio <= 1.2) ? 'met' : 'MISSED'}`,
    `time per service from 100 to 5,000: ${minPer.toFixed(2)} to ${maxPer.toFixed(2)} ms (target within 2x): ${maxPer / minPer <= 2 ? 'met' : 'MISSED'}`,
    `library peak RSS at 5,000 services: ${last.rssMb.toFixed(0)} MiB (target < 512 MiB): ${last.rssMb < 512 ? 'met' : 'MISSED'}`,
    `analyzer over ${last.objects.toLocaleString('en-US')} objects: ${last.analyzerMs.toFixed(0)} ms (100,000 objects: see docs/analyzer-benchmark.md, target < 3 s)`,
  ];
  verdicts.forEach(v => console.log(v));
  const header = [
    '| services | objects | library synth (ms) | baseline synth (ms) | ratio (a)/(b) | library ms per service | per service vs 100 | library peak RSS (MiB) | baseline peak RSS (MiB) | analyzer (ms) | findings | same YAML |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |',
  ];
  const table = [...header, ...rows].join('\n');
  console.log(table);
  const doc = [
    '# Benchmarks',
    '',
    `Measured with \`npm run bench\` on ${process.platform}/${process.arch}, Node ${process.version}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB.`,
    '',
    'Each mesh spreads its services over namespaces of 25; every namespace has an AmbientNamespace with a',
    'waypoint, a ZeroTrustPolicy (STRICT mTLS, default deny) with 3 allows per service, an HTTPRoute per 10',
    'services, and the mesh has OTel tracing. (a) is the library; (b) writes the same manifests directly as',
    'cdk8s ApiObjects, the way a user would without it ("same YAML" checks that both outputs are byte-identical).',
    'Synth time is build plus `app.synth()` to disk, in a fresh process per run, using the compiled library',
    '(`lib/`); each row is the median of 3 runs of each, library and baseline alternating. The library time includes',
    'its synth-time validation and mesh analysis. The analyzer column is `MeshAnalyzer.fromFiles(dist)` over',
    "the library's output.",
    '',
    table,
    '',
    'Targets (issue 12): (a)/(b) <= 1.2 at 1,000 and 5,000 services; time per service flat (within 2x) from 100',
    'to 5,000; peak RSS < 512 MiB at 5,000 services; analyzer < 3 s for 100,000 objects (docs/analyzer-benchmark.md);',
    'CLI cold start for `analyze` on one small file < 300 ms of user CPU (docs/cli-benchmark.md).',
    '',
    ...verdicts.map(v => `- ${v}`),
    '',
    'Both programs pay cdk8s\'s own cost, which grows faster than the app: every chart written re-resolves',
    'dependencies and re-validates the whole app. The library adds its synth-time checks (each ZeroTrustPolicy',
    'validates its rules, and the whole app goes through the mesh analyzer once per synth; results are',
    'memoized across the passes cdk8s makes) and the rendering of canonical rules.',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(__dirname, '..', 'docs', 'benchmarks.md'), doc);
  fs.rmSync(tmp, { recursive: true, force: true });
}

main();
