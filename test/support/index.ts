import { execFileSync } from 'child_process';
import * as path from 'path';
import { App, Chart, ChartProps, Testing } from 'cdk8s';

/** Runs the upstream schema validators over synthesized objects; returns the errors. */
export function schemaErrors(objects: any[]): string[] {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'validate-models.mjs')], {
    input: JSON.stringify(objects),
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

/** A chart in a fresh app, the way the tests build them. */
export function testChart(props: ChartProps = {}): Chart {
  return new Chart(Testing.app(), 'test', props);
}

/** Synthesizes an app and checks every object against the upstream schemas. */
export function synthValid(scope: App | Chart): any[] {
  const objects = scope instanceof App
    ? scope.charts.flatMap(c => Testing.synth(c))
    : Testing.synth(scope);
  expect(schemaErrors(objects)).toEqual([]);
  return objects;
}

/** The one object of a kind (and name) in a synthesized list. */
export function findObject(objects: any[], kind: string, name?: string): any {
  const matches = objects.filter(o => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (matches.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${matches.length}`);
  }
  return matches[0];
}
