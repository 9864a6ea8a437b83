/**
 * Analyzer benchmark: analysis time and memory for synthetic meshes of 1k, 10k, 50k and 100k objects
 * in namespaces of 20 Services, and of 100k objects in namespaces of 2,000 Services (where a scan of
 * the namespace per policy or per Service would show). Each run is its own process (so peak RSS is
 * that run's); prints a table and writes docs/analyzer-benchmark.md. Not a test: figures depend on the machine.
 *
 *   npx projen bench:analyzer
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// The compiled library (what users run; `spawn: compile` runs first), typed from the sources.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compiled: typeof import('../src') = require('../lib');
const { MeshAnalyzer } = compiled;

/**
 * A mesh of `objects` objects: namespaces with waypoints, services, workloads, policies, routes.
 * Every fifth Service of a namespace has a ztunnel policy selecting its pods that admits the waypoint.
 */
export function syntheticMesh(objects: number, servicesPerNamespace = 20): any[] {
  const out: any[] = [];
  let ns = 0;
  while (out.length < objects) {
    const n = `ns-${ns++}`;
    out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n, labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } } });
    out.push({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'waypoint', namespace: n }, spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] } });
    out.push({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', namespace: n }, spec: {} });
    out.push({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'require-waypoint', namespace: n }, spec: { rules: [{ from: [{ source: { principals: [`cluster.local/ns/${n}/sa/waypoint`] } }] }] } });
    for (let s = 0; s < servicesPerNamespace && out.length < objects; s++) {
      const app = `svc-${s}`;
      out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: app, namespace: n }, spec: { selector: { app }, ports: [{ name: 'http', port: 8080 }] } });
      out.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: app, namespace: n }, spec: { template: { metadata: { labels: { app } }, spec: { serviceAccountName: app } } } });
      out.push({
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: `${app}-waypoint`, namespace: n },
        spec: { targetRefs: [{ group: '', kind: 'Service', name: app }], rules: [{ from: [{ source: { principals: [`cluster.local/ns/${n}/sa/svc-${(s + 1) % servicesPerNamespace}`] } }], to: [{ operation: { methods: ['GET'] } }] }] },
      });
      if (s % 5 === 1) {
        out.push({
          apiVersion: 'security.istio.io/v1',
          kind: 'AuthorizationPolicy',
          metadata: { name: `${app}-ztunnel`, namespace: n },
          spec: { selector: { matchLabels: { app } }, rules: [{ from: [{ source: { principals: [`cluster.local/ns/${n}/sa/waypoint`] } }] }] },
        });
      }
      if (s % 10 === 0) {
        out.push({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: app, namespace: n }, spec: { parentRefs: [{ group: '', kind: 'Service', name: app }], rules: [{ backendRefs: [{ name: app, port: 8080 }] }] } });
      }
    }
  }
  return out.slice(0, objects);
}

function measure(size: number, servicesPerNamespace: number): void {
  const objects = syntheticMesh(size, servicesPerNamespace);
  if (global.gc) global.gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  const findings = MeshAnalyzer.fromObjects(objects).analyze();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const mem = process.memoryUsage();
  const mib = (bytes: number) => bytes / 1048576;
  const heapMb = mib(mem.heapUsed - heapBefore);
  process.stdout.write(JSON.stringify({ size, servicesPerNamespace, ms, findings: findings.length, heapMb, rssMb: mib(mem.rss) }));
}

const RUNS = 3;

function main(): void {
  const sizeArg = process.argv.indexOf('--size');
  const perNamespaceArg = process.argv.indexOf('--services-per-namespace');
  if (sizeArg > 0) return measure(Number(process.argv[sizeArg + 1]), Number(process.argv[perNamespaceArg + 1]));
  const rows: any[] = [];
  const runs: [number, number][] = [[1000, 20], [10000, 20], [50000, 20], [100000, 20], [100000, 2000]];
  for (const [size, perNamespace] of runs) {
    // RUNS processes per row, the median by time reported (shared machines are noisy).
    const args = ['--expose-gc', '-r', 'ts-node/register/transpile-only', __filename, '--size', String(size), '--services-per-namespace', String(perNamespace)];
    const samples = Array.from({ length: RUNS }, () => JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })));
    rows.push(samples.sort((a, b) => a.ms - b.ms)[Math.floor(RUNS / 2)]);
    console.error(`${size} objects, ${perNamespace} Services per namespace: ${samples.map(r => r.ms.toFixed(0)).join(', ')} ms`);
  }
  const base = rows[0];
  const largest = rows.filter(r => r.size === 100000);
  const verdict = `analyzer over 100,000 objects: ${largest.map(r => `${r.ms.toFixed(0)} ms (${r.servicesPerNamespace.toLocaleString('en-US')} Services per namespace)`).join(', ')} (target < 3 s): ${largest.every(r => r.ms < 3000) ? 'met' : 'MISSED'}`;
  const lines = [
    '| objects | Services per namespace | analysis (ms) | µs per object | growth vs 1k (objects ×) | heap used by analysis (MiB) | process RSS (MiB) | findings |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(r => `| ${r.size.toLocaleString('en-US')} | ${r.servicesPerNamespace.toLocaleString('en-US')} | ${r.ms.toFixed(1)} | ${(r.ms * 1000 / r.size).toFixed(1)} | ${(r.ms / base.ms).toFixed(1)}× (${r.size / base.size}×) | ${r.heapMb.toFixed(1)} | ${r.rssMb.toFixed(0)} | ${r.findings} |`),
  ];
  const table = lines.join('\n');
  console.log(table);
  console.log(verdict);
  const doc = [
    '# Analyzer benchmark',
    '',
    `Measured with \`npx projen bench:analyzer\` on ${process.platform}/${process.arch}, Node ${process.version}, ${os.cpus().length} cores.`,
    'Synthetic ambient meshes (namespaces with a waypoint, allow-nothing and require-waypoint; per Service a',
    'Deployment and a waypoint AuthorizationPolicy; a ztunnel policy selecting the pods of every fifth Service;',
    'an HTTPRoute per 10 Services), in namespaces of 20 Services, and once in namespaces of 2,000 Services',
    '(lookups by selector are indexed, so a large namespace costs no more per object). Each row is the median of',
    `${RUNS} runs, each in its own process.`,
    '',
    table,
    '',
    `- ${verdict}`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(__dirname, '..', 'docs', 'analyzer-benchmark.md'), doc);
}

main();
