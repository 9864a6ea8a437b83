/**
 * Reads manifests (YAML with several documents, JSON, `kind: List`) from text, files and folders,
 * with one clear error per bad input naming the file and line: missing or binary files, unrendered
 * Helm templates, YAML syntax errors, alias bombs, and objects whose fields have the wrong type.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CORE_SCHEMA, load } from '../_yaml';
import { shapeErrors } from './manifest-shape';

/** A bad input: the message names the file (and line). */
export class ManifestError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** An object read from a manifest, with where it came from. */
export interface ReadObject {
  readonly obj: any;
  readonly source: string;
  /** 1-based line of the document (or List item's document) the object is in. */
  readonly line: number;
}

/**
 * Aliases make YAML a graph: a few lines can stand for billions of nodes ("billion laughs"). The
 * objects of a document may expand to at most this many nodes beyond the document's size.
 */
const ALIAS_EXPANSION_ALLOWANCE = 100_000;

/** Lines at which a Helm/Go template action starts where YAML expects a value or an entry. */
const HELM_ACTION = /^\s*(?:-\s+)?(?:[\w.\-/"']+:\s+)?\{\{-?\s*(?:[.$]|if\b|else\b|end\b|range\b|with\b|include\b|define\b|template\b|toYaml\b|tpl\b|required\b|default\b|quote\b|printf\b|\/\*)/;

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Counts the nodes of a value as if every alias were expanded; stops once over `limit`. */
function expandedSize(value: unknown, limit: number, memo: Map<object, number>): number {
  if (value === null || typeof value !== 'object') return 1;
  const known = memo.get(value);
  if (known !== undefined) return known;
  let size = 1;
  const children = Array.isArray(value) ? value : Object.values(value as object);
  for (const child of children) {
    size += expandedSize(child, limit, memo);
    if (size > limit) break;
  }
  memo.set(value, size);
  return size;
}

/** Does a parsed value hold `{{` in some string (a template kept as data)? */
function holdsTemplate(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (value === null || typeof value !== 'object') return false;
  return (Array.isArray(value) ? value : Object.values(value as object)).some(holdsTemplate);
}

/** Splits YAML text into documents at `---` lines, keeping each document's first line number. */
function documents(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  const marker = /^---(?=[ \t]|\r?$)/gm;
  let start = 0;
  let startLine = 1;
  let counted = 0;
  let match: RegExpExecArray | null;
  while ((match = marker.exec(text)) !== null) {
    out.push({ text: text.slice(start, match.index), line: startLine });
    // Count lines incrementally: linear in the text, however many documents.
    for (let i = text.indexOf('\n', counted); i >= 0 && i < match.index; i = text.indexOf('\n', i + 1)) {
      startLine++;
      counted = i + 1;
    }
    start = match.index + 3;
  }
  out.push({ text: text.slice(start), line: startLine });
  return out;
}

/** Parses manifest text (YAML documents or JSON) into objects; `List`s and arrays yield their items. */
export function parseManifests(text: string, source: string): ReadObject[] {
  try {
    return parse(text, source);
  } catch (e) {
    // JSON nested thousands of levels deep (YAML stops at depth 100 by itself).
    if (e instanceof RangeError) throw new ManifestError(`${source}: nested too deeply to be a Kubernetes manifest`);
    throw e;
  }
}

function parse(text: string, source: string): ReadObject[] {
  if (text.includes('\u0000')) throw new ManifestError(`${source}: is a binary file, not YAML or JSON`);
  // A template action where YAML expects a value or an entry. Templates kept as data (in a quoted or
  // block string, e.g. an Alertmanager template in a ConfigMap) parse to strings that still hold `{{`.
  const helmLine = text.includes('{{') ? text.split('\n').findIndex(l => HELM_ACTION.test(l)) : -1;
  const helm = () => new ManifestError(
    `${source}:${helmLine + 1}: unrendered Helm template ({{ ... }}): render it first (helm template ... > out.yaml) and analyze the output`);
  const values: { value: unknown; line: number }[] = [];
  const trimmed = text.trimStart();
  let parsedAsJson = false;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      values.push({ value: JSON.parse(text), line: lineOf(text, text.length - trimmed.length) });
      parsedAsJson = true;
    } catch {
      // Not strict JSON: YAML (a superset) reports the error with its line.
    }
  }
  if (!parsedAsJson) {
    for (const doc of documents(text)) {
      let value: unknown;
      try {
        // YAML 1.2 core schema: no timestamps or yes/no booleans (what the API server reads).
        value = load(doc.text, { schema: CORE_SCHEMA, filename: source });
      } catch (e) {
        if (helmLine >= 0) throw helm();
        const mark = (e as any).mark;
        // js-yaml reports "end of stream" one line past the last one.
        const lastLine = doc.text.replace(/\n$/, '').split('\n').length - 1;
        const line = mark && typeof mark.line === 'number' ? doc.line + Math.min(mark.line, lastLine) : doc.line;
        const reason = (e as any).reason ?? (e as Error).message.split('\n')[0];
        throw new ManifestError(`${source}:${line}: invalid YAML: ${reason}`);
      }
      if (value !== null && typeof value === 'object') {
        const limit = doc.text.length + ALIAS_EXPANSION_ALLOWANCE;
        if (expandedSize(value, limit, new Map()) > limit) {
          throw new ManifestError(`${source}:${doc.line}: YAML aliases expand to more than ${limit} nodes (an alias bomb?): refusing to read it`);
        }
      }
      // Objects are reported at their first line (after the `---` and any comments).
      const lead = /^(?:[ \t]*(?:#[^\n]*)?\r?\n)*/.exec(doc.text)![0];
      values.push({ value, line: doc.line + (lead.match(/\n/g)?.length ?? 0) });
    }
  }
  if (helmLine >= 0 && !values.some(v => holdsTemplate(v.value))) throw helm();
  const out: ReadObject[] = [];
  const add = (value: unknown, line: number, where: string) => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => add(v, line, `${where}[${i}]`));
      return;
    }
    if (typeof value !== 'object') throw new ManifestError(`${source}:${line}: expected a Kubernetes object, got ${typeof value} ${JSON.stringify(value).slice(0, 40)}`);
    const obj = value as any;
    if (obj.kind === 'List' || (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items))) {
      if (!Array.isArray(obj.items)) throw new ManifestError(`${source}:${line}: ${obj.kind}: items must be a list`);
      obj.items.forEach((v: unknown, i: number) => add(v, line, `items[${i}]`));
      return;
    }
    // Neither apiVersion nor kind: not a Kubernetes object (a Helm values file next to manifests).
    if (obj.apiVersion === undefined && obj.kind === undefined) return;
    const errors = shapeErrors(obj);
    if (errors.length) {
      const name = typeof obj.metadata?.name === 'string' ? ` ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}` : '';
      const kind = typeof obj.kind === 'string' ? obj.kind : 'object';
      throw new ManifestError(`${source}:${line}: ${kind}${name}: ${errors.join('; ')}`);
    }
    out.push({ obj, source, line });
  };
  for (const { value, line } of values) add(value, line, '');
  return out;
}

export const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/** Reads a file, or every `.yaml`/`.yml`/`.json` file under a folder (recursively, in name order). */
export function readManifestPath(file: string): ReadObject[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ManifestError(`${file}: ${code === 'ENOENT' ? 'no such file or folder' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  if (stat.isDirectory()) {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir).sort()) {
        const child = path.join(dir, entry);
        if (fs.statSync(child).isDirectory()) walk(child);
        else if (MANIFEST_FILE.test(entry)) files.push(child);
      }
    };
    walk(file);
    if (files.length === 0) throw new ManifestError(`${file}: no .yaml, .yml or .json files in this folder`);
    return files.flatMap(f => readManifestFile(f));
  }
  return readManifestFile(file);
}

function readManifestFile(file: string): ReadObject[] {
  let buffer: Buffer;
  try {
    buffer = fs.readFileSync(file);
  } catch (e) {
    throw new ManifestError(`${file}: cannot read: ${(e as Error).message}`);
  }
  // A NUL byte or invalid UTF-8 in the first 8 KiB: an archive, image or compiled file.
  const head = buffer.subarray(0, 8192);
  const decoded = head.toString('utf8');
  // A multi-byte character cut at the end of the sample is not a sign of a binary file.
  const sample = buffer.length > head.length ? decoded.slice(0, -3) : decoded;
  if (head.includes(0) || sample.includes('\uFFFD')) throw new ManifestError(`${file}: is a binary file, not YAML or JSON`);
  return parseManifests(buffer.toString('utf8'), file);
}
