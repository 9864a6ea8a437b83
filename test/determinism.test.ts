import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AmbientNamespace, HttpRoute, PolicySource, PolicyTarget, RouteBackend, RouteParent, Waypoint, ZeroTrustPolicy } from '../src';

const EXAMPLES = path.join(__dirname, '..', 'examples');
const examples = fs.readdirSync(EXAMPLES).filter(f => f.endsWith('.ts') && f !== 'synth-all.ts').sort();

/** Synthesizes an example with `app.synth()` into a fresh folder; returns file name -> bytes. */
function synthToDisk(file: string): Map<string, Buffer> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'determinism-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const example = require(path.join(EXAMPLES, file));
  const app = new App({ outdir });
  const clusterApps: App[] = example.build(app) ?? [];
  app.synth();
  for (const clusterApp of clusterApps) clusterApp.synth();
  const files = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, entry);
      if (fs.statSync(p).isDirectory()) walk(p);
      else files.set(path.relative(outdir, p), fs.readFileSync(p));
    }
  };
  walk(outdir);
  return files;
}

describe('determinism', () => {
  test.each(examples)('%s: two synths give byte-identical files', (file) => {
    const first = synthToDisk(file);
    const second = synthToDisk(file);
    expect([...second.keys()]).toEqual([...first.keys()]);
    for (const [name, bytes] of first) expect(second.get(name)!.equals(bytes)).toBe(true);
    expect(first.size).toBeGreaterThan(0);
  });

  /** A mesh whose rules, enrollments and routes are declared in the given order. */
  function mesh(order: number[]): string {
    const app = Testing.app();
    const chart = new Chart(app, 'shop', { namespace: 'shop', disableResourceNameHashes: true });
    const ns = new AmbientNamespace(chart, 'ns', { name: 'shop' });
    ns.addWaypoint('waypoint');
    const infra = new Waypoint(chart, 'shared', { name: 'shared', namespace: 'infra' });
    const names = ['api', 'cart', 'orders', 'payments'];
    const services = Object.fromEntries(names.map(n => {
      const svc = new kplus.Service(chart, `svc-${n}`, { metadata: { name: n }, ports: [{ port: 8080, name: 'http' }] });
      svc.selectLabel('app', n);
      return [n, svc];
    }));
    const others = ['team-c', 'team-a', 'team-b'].map(t => new kplus.Service(chart, `other-${t}`, { metadata: { name: 'x', namespace: t }, ports: [{ port: 80 }] }));
    const policy = new ZeroTrustPolicy(chart, 'zero-trust');
    const steps: (() => void)[] = [
      () => policy.allowFrom(PolicySource.serviceAccountName('shop', 'frontend'), { to: PolicyTarget.service(services.api), methods: ['GET', 'POST'] }),
      () => policy.allowFrom(PolicySource.serviceAccountName('shop', 'api'), { to: PolicyTarget.service(services.orders), methods: ['GET'] }),
      () => policy.allowFrom(PolicySource.serviceAccountName('shop', 'api'), { to: PolicyTarget.service(services.cart), paths: ['/b', '/a'] }),
      () => policy.allowFrom(PolicySource.namespaces('billing', 'audit'), { to: PolicyTarget.service(services.payments), ports: [8080] }),
      () => policy.denyFrom(PolicySource.ipBlocks('203.0.113.0/24', '198.51.100.0/24'), { to: PolicyTarget.service(services.api) }),
      () => policy.allowFrom(PolicySource.serviceAccountName('shop', 'orders'), { to: PolicyTarget.service(services.payments), methods: ['POST'] }),
      () => others.forEach(o => infra.enrollService(o)),
      () => policy.to(PolicyTarget.service(services.orders))
        .requireJwt({ issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/jwks.json' })
        .allowFrom(PolicySource.jwt({ issuer: 'https://id.example.com' }), { methods: ['POST'] }),
    ];
    order.forEach(i => steps[i]());
    new HttpRoute(chart, 'api-route', { parents: [RouteParent.service(services.api)], rules: [{ backends: [RouteBackend.service(services.api)] }] });
    return Yaml.stringify(...app.charts.flatMap(c => Testing.synth(c)));
  }

  test('declaring the same rules and enrollments in another order gives the same YAML', () => {
    const forward = mesh([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(mesh([7, 6, 5, 4, 3, 2, 1, 0])).toBe(forward);
    expect(mesh([3, 7, 0, 6, 2, 5, 1, 4])).toBe(forward);
    expect(forward).toContain('name: payments-waypoint');
    expect(forward).toContain('name: orders-require-jwt');
    // Canonical lists: paths and namespaces come out sorted whatever order they were given in.
    expect(forward.indexOf('- /a')).toBeLessThan(forward.indexOf('- /b'));
    expect(forward.indexOf('- audit')).toBeLessThan(forward.indexOf('- billing'));
  });
});
