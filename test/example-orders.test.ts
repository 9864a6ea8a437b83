/**
 * Every example in examples/ writes the same files whatever order its declarations run in.
 *
 * Each example lists its independent declarations (charts, namespaces, waypoints, routes, policies and
 * their rules, add-ons, files) with `declare` (examples/lib/declare.ts); `build(app, order)` runs them in
 * `order`. Here every example runs reversed and in seeded shuffles, and must write the same file names
 * with the same bytes. In a chart's YAML file, cdk8s writes the objects in the order their constructs
 * were added to the tree, which is the user's declaration order and not the library's to change: those
 * files must hold the same objects, each byte-identical, in any sequence.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { Rng } from './support/random-program';
import { AS_WRITTEN, DeclarationOrder } from '../examples/lib/declare';

const EXAMPLES = path.join(__dirname, '..', 'examples');
const examples = fs.readdirSync(EXAMPLES).filter(f => f.endsWith('.ts') && f !== 'synth-all.ts').sort();
const SEED = Number(process.env.EXAMPLE_ORDER_SEED ?? 20261130);
const SHUFFLES = 3;

interface Synthesized {
  /** File path (relative to the example's folder) -> content. */
  readonly files?: Map<string, string>;
  readonly error?: string;
  /** The order each `declare` call ran its declarations in. */
  readonly orders: string[];
}

/** Synthesizes an example the way `npm run examples` does, with its declarations in `order`. */
function synth(file: string, order: DeclarationOrder): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'example-orders-'));
  const orders: string[] = [];
  const recording: DeclarationOrder = names => {
    const ordered = order(names);
    orders.push(ordered.join(', '));
    return ordered;
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const example = require(path.join(EXAMPLES, file));
    const app = new App({ outdir });
    const clusterApps: App[] = example.build(app, recording) ?? [];
    app.synth();
    for (const clusterApp of clusterApps) clusterApp.synth();
    const files = new Map<string, string>();
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir).sort()) {
        const p = path.join(dir, entry);
        if (fs.statSync(p).isDirectory()) walk(p);
        else files.set(path.relative(outdir, p), fs.readFileSync(p, 'utf8'));
      }
    };
    walk(outdir);
    return { files, orders };
  } catch (e) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), orders };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** A chart file's objects, each as written, in a fixed sequence. */
function documents(yaml: string): string[] {
  return yaml.split(/^---\n/m).filter(d => d.trim()).sort();
}

/** What differs between the written order's files and another order's, one line per difference. */
function differences(written: Map<string, string>, other: Map<string, string>): string[] {
  const out: string[] = [];
  const names = [...new Set([...written.keys(), ...other.keys()])].sort();
  for (const name of names) {
    const a = written.get(name);
    const b = other.get(name);
    if (a === undefined || b === undefined) {
      out.push(`${name}: ${a === undefined ? 'only written in this order' : 'not written in this order'}`);
    } else if (name.endsWith('.k8s.yaml')) {
      const da = documents(a);
      const db = documents(b);
      const missing = da.filter(d => !db.includes(d));
      const extra = db.filter(d => !da.includes(d));
      for (const d of missing) out.push(`${name}: object only in the written order:\n${d}`);
      for (const d of extra) out.push(`${name}: object only in this order:\n${d}`);
      if (!missing.length && !extra.length && da.length !== db.length) out.push(`${name}: ${da.length} objects in the written order, ${db.length} in this order`);
    } else if (a !== b) {
      out.push(`${name}: different bytes`);
    }
  }
  return out;
}

function shuffled(seed: number): DeclarationOrder {
  const rng = new Rng(seed);
  return names => {
    const out = [...names];
    for (let i = out.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
}

const reversed: DeclarationOrder = names => [...names].reverse();
const orders: [string, () => DeclarationOrder][] = [
  ['reversed', () => reversed],
  ...Array.from({ length: SHUFFLES }, (_, i): [string, () => DeclarationOrder] => [`shuffled (EXAMPLE_ORDER_SEED=${SEED + i})`, () => shuffled(SEED + i)]),
];

describe.each(examples)('%s', (file) => {
  const written = synth(file, AS_WRITTEN);

  test('synthesizes in the written order', () => {
    expect(written.error).toBeUndefined();
    expect(written.files!.size).toBeGreaterThan(0);
  });

  test.each(orders)('%s: the same files', (_name, order) => {
    const other = synth(file, order());
    const declared = other.orders.map(o => `    declare(${o})`).join('\n');
    if (other.error !== undefined) throw new Error(`refused in this order:\n${declared}\n  ${other.error}`);
    expect({ order: declared, differences: differences(written.files!, other.files!) }).toEqual({ order: declared, differences: [] });
  });
});

describe('the harness', () => {
  test('examples list their declarations, and reversing changes the order', () => {
    const listed = examples.filter(f => synth(f, AS_WRITTEN).orders.some(o => o.includes(', ')));
    // install-argocd declares one AmbientMesh only: nothing to reorder.
    expect(examples.filter(f => !listed.includes(f))).toEqual(['install-argocd.ts']);
    expect(synth('bookinfo-ambient.ts', reversed).orders[0]).toBe('zeroTrust, ratingsResilience, reviewsRoute, ingressRoute, waypoint');
  });

  test('documents are compared as objects, and a missing or changed one is reported', () => {
    const a = new Map([['c.k8s.yaml', 'kind: A\n---\nkind: B\n'], ['values.yaml', 'x: 1\n']]);
    expect(differences(a, new Map([['c.k8s.yaml', 'kind: B\n---\nkind: A\n'], ['values.yaml', 'x: 1\n']]))).toEqual([]);
    expect(differences(a, new Map([['c.k8s.yaml', 'kind: B\n---\nkind: C\n'], ['values.yaml', 'x: 2\n']]))).toEqual([
      'c.k8s.yaml: object only in the written order:\nkind: A\n',
      'c.k8s.yaml: object only in this order:\nkind: C\n',
      'values.yaml: different bytes',
    ]);
    expect(differences(a, new Map([['values.yaml', 'x: 1\n']]))).toEqual(['c.k8s.yaml: not written in this order']);
  });
});
