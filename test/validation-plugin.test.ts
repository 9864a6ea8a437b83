/**
 * The validation plugin, loaded and run the way `cdk8s synth` does it: the class is taken from the
 * package module and constructed with the `properties` of cdk8s.yaml (as cdk8s-cli's PluginManager
 * does), and runs against cdk8s-cli's own ValidationContext with the construct metadata the app
 * recorded. test/consumer/run.sh runs the real `cdk8s synth` against the packed library.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { ValidationContext } from 'cdk8s-cli/plugins';
import * as kplus from 'cdk8s-plus-latest';
import * as pkg from '../src';
import { AmbientNamespace } from '../src';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plugin-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Synthesizes an app into a fresh folder, recording construct metadata as the CLI asks it to. */
function synthApp(build: (chart: Chart) => void): { manifests: string[]; constructMetadata: string } {
  const outdir = fs.mkdtempSync(path.join(tmp, 'app-'));
  const app = new App({ outdir, recordConstructMetadata: true });
  build(new Chart(app, 'shop', { namespace: 'shop' }));
  app.synth();
  return {
    manifests: fs.readdirSync(outdir).filter(f => f.endsWith('.yaml')).map(f => path.join(outdir, f)),
    constructMetadata: path.join(outdir, 'construct-metadata.json'),
  };
}

async function runPlugin(app: { manifests: string[]; constructMetadata?: string }, properties: any = {}) {
  // cdk8s-cli: `new (module[validation.class])(validation.properties ?? {})`.
  const plugin = new (pkg as any).MeshValidationPlugin(properties);
  // cdk8s-cli: construct metadata keyed by object name, from the app's construct-metadata.json.
  const metadata: { [name: string]: { path: string } } = {};
  if (app.constructMetadata) {
    const recorded = JSON.parse(fs.readFileSync(app.constructMetadata, 'utf8'));
    for (const [name, m] of Object.entries<any>(recorded.resources)) metadata[name] = { path: m.path };
  }
  const context = new ValidationContext(app.manifests, 'cdk8s-istio-ambient', '0.0.0', metadata, false);
  await plugin.validate(context);
  return context.report;
}

/** A Service sent to a waypoint that does not exist: istiod cannot bind it (AMB103). */
function plantedMistake(chart: Chart): void {
  new AmbientNamespace(chart, 'ns', { name: 'shop' });
  const orders = new kplus.Service(chart, 'orders', { metadata: { name: 'orders', labels: { 'istio.io/use-waypoint': 'missing-waypoint' } }, ports: [{ port: 80 }] });
  orders.selectLabel('app', 'orders');
}

describe('MeshValidationPlugin under cdk8s-cli', () => {
  test('catches a planted mistake with the construct path, the object and one occurrence', async () => {
    const report = await runPlugin(synthApp(plantedMistake), { failOn: 'warning' });
    expect(report.success).toBe(false);
    const json = report.toJson();
    expect(json.summary.metadata).toEqual({ 'errors': '0', 'warnings': '1', 'infos': '0', 'fails on': 'warning' });
    expect(json.violations).toHaveLength(1);
    const [violation] = json.violations;
    expect(violation.ruleName).toBe('AMB103 istio.io/use-waypoint names a waypoint that is not in the manifests [warning]');
    expect(violation.violatingConstructs).toEqual([expect.objectContaining({
      resourceName: 'orders',
      constructPath: 'shop/orders/Resource',
      locations: ['Service shop/orders'],
      manifestPath: expect.stringMatching(/shop\.k8s\.yaml$/),
    })]);
    const text = report.toString();
    expect(text).toContain('(1 occurrences)');
    expect(text).toContain('- Construct Path: shop/orders/Resource');
    expect(text).not.toContain('N/A');
  });

  test('a clean app passes', async () => {
    const report = await runPlugin(synthApp(chart => new AmbientNamespace(chart, 'ns', { name: 'shop' })));
    expect(report.success).toBe(true);
    expect(report.toJson().violations).toEqual([]);
  });

  test('a bad failOn or an unknown property fails the validation with a message, not an exception', async () => {
    const app = synthApp(chart => new AmbientNamespace(chart, 'ns', { name: 'shop' }));
    const bad = await runPlugin(app, { failOn: 'fatal' });
    expect(bad.success).toBe(false);
    expect(bad.toJson().violations[0].recommendation).toBe('MeshValidationPlugin: failOn "fatal" must be "error", "warning" or "info".');
    const typo = await runPlugin(app, { failon: 'warning' });
    expect(typo.toJson().violations[0].recommendation).toBe('MeshValidationPlugin: unknown property "failon" in cdk8s.yaml validations[].properties; the only property is "failOn".');
  });

  test('unreadable manifests fail the validation with the reason', async () => {
    const file = path.join(tmp, 'broken.k8s.yaml');
    fs.writeFileSync(file, 'apiVersion: v1\nkind: Service\nmetadata: [unclosed\n');
    const report = await runPlugin({ manifests: [file] });
    expect(report.success).toBe(false);
    expect(report.toJson().violations[0].recommendation).toMatch(/^MeshValidationPlugin could not analyze the synthesized manifests: .*broken\.k8s\.yaml:(\d+:)? /);
  });

  test('warnings fail only with failOn: warning', async () => {
    const app = synthApp(plantedMistake);
    const lenient = await runPlugin(app);
    const strict = await runPlugin(app, { failOn: 'warning' });
    expect(lenient.toJson().summary.metadata?.warnings).toBe('1');
    expect(lenient.success).toBe(true);
    expect(strict.success).toBe(false);
  });
});
