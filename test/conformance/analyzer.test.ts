/**
 * Analyzer conformance: each vector in test/conformance/analyzer/<source>/ is a set of manifests
 * written for this project, with the findings the analyzer must report (`# expect:` lines, exactly,
 * or `clean`) and the upstream test it carries the fact from (`# upstream:`, with tag or commit).
 */
import * as fs from 'fs';
import * as path from 'path';
import { MeshAnalyzer } from '../../src';

const ROOT = path.join(__dirname, 'analyzer');
const SOURCES = fs.readdirSync(ROOT).filter(d => fs.statSync(path.join(ROOT, d)).isDirectory()).sort();

interface Vector {
  readonly source: string;
  readonly file: string;
  readonly upstream: string;
  readonly expect: string[];
}

function header(text: string, key: string): string[] {
  return text.split('\n').filter(l => l.startsWith(`# ${key}:`)).map(l => l.slice(key.length + 3).trim());
}

const vectors: Vector[] = SOURCES.flatMap(source => fs.readdirSync(path.join(ROOT, source)).filter(f => f.endsWith('.yaml')).sort().map(file => {
  const text = fs.readFileSync(path.join(ROOT, source, file), 'utf8');
  const expect = header(text, 'expect');
  return { source, file, upstream: header(text, 'upstream')[0] ?? '', expect: expect.length === 1 && expect[0] === 'clean' ? [] : expect.sort() };
}));

function findingIds(file: string): string[] {
  return MeshAnalyzer.fromFiles([file]).analyze()
    .map(f => `${f.code} ${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name}`).sort();
}

describe('analyzer conformance vectors', () => {
  test.each(vectors.map(v => [`${v.source}/${v.file}`, v] as const))('%s', (_name, v) => {
    expect(findingIds(path.join(ROOT, v.source, v.file))).toEqual(v.expect);
  });

  test('every vector cites its upstream test with a tag or commit', () => {
    for (const v of vectors) {
      expect({ file: v.file, cited: /^(istio 1\.30\.3 |kiali master [0-9a-f]{8} |istio\/istio#\d+)/.test(v.upstream) }).toEqual({ file: v.file, cited: true });
    }
  });

  test('counts per upstream source, flagged and clean', () => {
    const counts = Object.fromEntries(SOURCES.map(s => {
      const of = vectors.filter(v => v.source === s);
      return [s, { flagged: of.filter(v => v.expect.length > 0).length, clean: of.filter(v => v.expect.length === 0).length }];
    }));
    expect(counts).toEqual({ istio: { flagged: 32, clean: 32 }, kiali: { flagged: 17, clean: 20 } });
  });

  test('every check a vector flags also has a clean vector from the same upstream test family', () => {
    const flaggedCodes = new Set(vectors.flatMap(v => v.expect.map(e => e.split(' ')[0])));
    // Each flagged code appears in a vector file whose name prefix (the upstream code) also has a clean vector.
    const prefixes = (clean: boolean) => new Set(vectors.filter(v => (v.expect.length === 0) === clean).map(v => v.file.split('-')[0]));
    const flaggedPrefixes = prefixes(false);
    const cleanPrefixes = prefixes(true);
    for (const p of flaggedPrefixes) expect({ prefix: p, clean: cleanPrefixes.has(p) }).toEqual({ prefix: p, clean: true });
    expect(flaggedCodes.size).toBeGreaterThanOrEqual(14);
  });
});
