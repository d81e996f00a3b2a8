/**
 * Workflow documents as text (YAML, JSON or JSON5) → a plain value, plus a locator that turns a
 * document path (`jobs[2].depends_on[0]`) into line:column. The value is read by the fastest parser
 * that accepts the text; positions are found only when a problem needs one, so a valid document
 * never pays for them.
 */
import JSON5 from 'json5';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';

export type DocumentSyntax = 'yaml' | 'json' | 'json5';
export type Segment = string | number;

/** One problem found in a document, at the place it names (1-based line and column). */
export interface SpecProblem {
  message: string;
  line: number;
  column: number;
  /** Where in the document: `jobs[1].depends_on[0]`; empty for the document itself. */
  path: string;
}

export interface Position {
  line: number;
  column: number;
}

export interface Locator {
  /** The value at path (or, with `key`, the key naming it); the nearest existing ancestor when absent. */
  locate(path: readonly Segment[], key?: boolean): Position;
}

export interface LoadedDocument {
  syntax: DocumentSyntax;
  /** Null when there are syntax errors. */
  value: unknown;
  locator: Locator;
  /** Syntax errors (path ''); empty when the text parsed. */
  errors: SpecProblem[];
}

export function formatPath(path: readonly Segment[]): string {
  let text = '';
  path.forEach((segment, index) => {
    text += typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`;
  });
  return text;
}

/** The text after a byte-order mark, leading blanks and JavaScript comments (which JSON5 allows). */
function significantStart(text: string): number {
  let at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    while (at < text.length && /\s/.test(text[at])) at++;
    if (text.startsWith('//', at)) {
      const end = text.indexOf('\n', at);
      at = end < 0 ? text.length : end + 1;
    } else if (text.startsWith('/*', at)) {
      const end = text.indexOf('*/', at + 2);
      at = end < 0 ? text.length : end + 2;
    } else return at;
  }
}

/** Marks of JSON5 that neither JSON nor (flow) YAML has: comments, unquoted or single-quoted keys. */
const JSON5_HINTS = /(^|[\s,{[])\/[/*]|[{,]\s*([A-Za-z_$][\w$]*|'[^'\n]*')\s*:/;

/**
 * Parses text as the given syntax, or detects it: text opening with `{` or `[` (after comments) is
 * JSON when JSON.parse accepts it, else JSON5 when the json5 package does, else YAML when that parses
 * (a YAML flow mapping is not JSON5: `{a: b}` has a bare value); anything else is YAML.
 */
export function loadDocument(text: string, options: { syntax?: DocumentSyntax } = {}): LoadedDocument {
  if (options.syntax === 'json') return loadJson(text);
  if (options.syntax === 'json5') return loadJson5(text);
  if (options.syntax === 'yaml') return loadYaml(text);
  const start = significantStart(text);
  const first = text[start];
  if (first !== '{' && first !== '[') return loadYaml(text);
  const json = loadJson(text);
  if (json.errors.length === 0) return json;
  const json5 = loadJson5(text);
  if (json5.errors.length === 0) return json5;
  const yaml = text.slice(0, start).includes('/') ? null : loadYaml(text);
  if (yaml && yaml.errors.length === 0) return yaml;
  return JSON5_HINTS.test(text) ? json5 : json;
}

/** The syntax loadDocument would read the text as. */
export function detectSyntax(text: string): DocumentSyntax {
  return loadDocument(text).syntax;
}

function loadJson(text: string): LoadedDocument {
  const locator = new TextLocator(text);
  // JSON.parse refuses a byte-order mark; positions stay those of the text as given.
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  try {
    return { syntax: 'json', value: JSON.parse(bom ? text.slice(1) : text) as unknown, locator, errors: [] };
  } catch (caught) {
    const message = caught instanceof Error ? caught.message : String(caught);
    const position = /position (\d+)/.exec(message);
    const { line, column } = position ? locator.at(Number(position[1]) + bom) : jsonErrorPosition(text, locator);
    const problem = { message: `invalid JSON: ${message.replace(/\s*\(line \d+ column \d+\)/, '')}`, line, column, path: '' };
    return { syntax: 'json', value: null, locator, errors: [problem] };
  }
}

/**
 * Where JSON.parse failed when its message has no position (V8 often says only "Unexpected token"):
 * where the json5 parser fails, or else the first thing JSON5 allows and JSON does not.
 */
function jsonErrorPosition(text: string, locator: TextLocator): Position {
  try {
    JSON5.parse(text);
  } catch (caught) {
    const error = caught as { lineNumber?: unknown; columnNumber?: unknown };
    if (typeof error.lineNumber === 'number' && typeof error.columnNumber === 'number') return { line: Math.max(1, error.lineNumber), column: Math.max(1, error.columnNumber) };
  }
  let inString = false;
  let previous = '';
  for (let at = 0; at < text.length; at++) {
    const char = text[at];
    if (inString) {
      if (char === '\\') at++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === "'") return locator.at(at);
    else if (char === '/' && (text[at + 1] === '/' || text[at + 1] === '*')) return locator.at(at);
    else if (char === ',') {
      const next = /\S/.exec(text.slice(at + 1));
      if (next && (next[0] === ']' || next[0] === '}')) return locator.at(at + 1 + next.index);
    } else if (/[A-Za-z_$]/.test(char) && (previous === '{' || previous === ',')) return locator.at(at);
    if (/\S/.test(char)) previous = char;
  }
  return locator.at(text.length);
}

function loadJson5(text: string): LoadedDocument {
  const locator = new TextLocator(text);
  try {
    return { syntax: 'json5', value: JSON5.parse(text) as unknown, locator, errors: [] };
  } catch (caught) {
    const error = caught as { message?: unknown; lineNumber?: unknown; columnNumber?: unknown };
    const message = typeof error.message === 'string' ? error.message : String(caught);
    const line = typeof error.lineNumber === 'number' && error.lineNumber >= 1 ? error.lineNumber : 1;
    const column = typeof error.columnNumber === 'number' && error.columnNumber >= 1 ? error.columnNumber : 1;
    const problem = { message: `invalid JSON5: ${message.replace(/^JSON5:\s*/, '').replace(/\s+at \d+:\d+$/, '')}`, line, column, path: '' };
    return { syntax: 'json5', value: null, locator, errors: [problem] };
  }
}

function loadYaml(text: string): LoadedDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const locator = new YamlLocator(doc, lines);
  const errors: SpecProblem[] = doc.errors.map((error) => {
    const pos = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
    return { message: error.message.split('\n')[0], line: Math.max(1, pos.line), column: Math.max(1, pos.col), path: '' };
  });
  if (errors.length > 0) return { syntax: 'yaml', value: null, locator, errors };
  try {
    return { syntax: 'yaml', value: doc.toJS({ maxAliasCount: 1000 }) as unknown, locator, errors: [] };
  } catch (caught) {
    // Too many aliases (a "billion laughs" document) or an alias to nothing.
    const message = caught instanceof Error ? caught.message : String(caught);
    return { syntax: 'yaml', value: null, locator, errors: [{ message: message.split('\n')[0], line: 1, column: 1, path: '' }] };
  }
}

/** Through the nodes the yaml package parsed, with their source ranges. */
class YamlLocator implements Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  locate(path: readonly Segment[], key = false): Position {
    let node: unknown = this.doc.contents;
    let offset = offsetOf(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      if (isMap(node)) {
        const pair = node.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === String(segment));
        if (!pair) break;
        const last = i === path.length - 1;
        const keyOffset = offsetOf(pair.key);
        const valueOffset = offsetOf(pair.value);
        offset = (last && key) || valueOffset === undefined ? (keyOffset ?? offset) : valueOffset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
        node = node.items[segment];
        offset = offsetOf(node) ?? offset;
      } else break;
    }
    const pos = this.lines.linePos(offset);
    return { line: Math.max(1, pos.line), column: Math.max(1, pos.col) };
  }
}

function offsetOf(node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined;
  const range = (node as { range?: unknown }).range;
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined;
}

interface Place {
  key: number | null;
  value: number;
}

const SEPARATOR = '\u0001';

function pathKey(path: readonly Segment[], length = path.length): string {
  let key = '';
  for (let i = 0; i < length; i++) key += typeof path[i] === 'number' ? `${SEPARATOR}#${path[i]}` : `${SEPARATOR}${path[i]}`;
  return key;
}

/**
 * JSON and JSON5 positions by scanning the text (no second full parse): on the first question it
 * indexes every key and value of the document once. The scan follows the JSON5 grammar (comments,
 * single quotes, unquoted keys, trailing commas), which covers JSON; it runs only on text that a
 * parser has already accepted, and it stops early rather than loop on anything unexpected.
 */
class TextLocator implements Locator {
  private index: Map<string, Place> | null = null;
  private lineStarts: number[] | null = null;

  constructor(private readonly text: string) {}

  locate(path: readonly Segment[], key = false): Position {
    const index = this.index ?? (this.index = this.scan());
    for (let length = path.length; length >= 0; length--) {
      const place = index.get(pathKey(path, length));
      if (!place) continue;
      return this.at(length === path.length && key && place.key !== null ? place.key : place.value);
    }
    return this.at(significantStart(this.text));
  }

  at(offset: number): Position {
    const starts = this.lineStarts ?? (this.lineStarts = lineStartsOf(this.text));
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: Math.max(1, offset - starts[low] + 1) };
  }

  private scan(): Map<string, Place> {
    const index = new Map<string, Place>();
    const text = this.text;
    let pos = 0;

    const skip = (): void => {
      for (;;) {
        while (pos < text.length && /[\s\uFEFF]/.test(text[pos])) pos++;
        if (text.startsWith('//', pos)) {
          const end = text.indexOf('\n', pos);
          pos = end < 0 ? text.length : end + 1;
        } else if (text.startsWith('/*', pos)) {
          const end = text.indexOf('*/', pos + 2);
          pos = end < 0 ? text.length : end + 2;
        } else return;
      }
    };
    const readString = (): string => {
      const quote = text[pos];
      const start = pos++;
      while (pos < text.length && text[pos] !== quote) pos += text[pos] === '\\' ? 2 : 1;
      pos = Math.min(pos + 1, text.length);
      const raw = text.slice(start, pos);
      if (!raw.includes('\\')) return raw.slice(1, -1);
      try {
        return String(JSON5.parse(raw));
      } catch {
        return raw.slice(1, -1);
      }
    };
    const readBare = (): string => {
      const start = pos;
      while (pos < text.length && !/[\s,:\]}[{/'"]/.test(text[pos])) pos++;
      return text.slice(start, pos);
    };
    const value = (path: string, keyAt: number | null): void => {
      skip();
      index.set(path, { key: keyAt, value: pos });
      const char = text[pos];
      if (char === '{') {
        pos++;
        for (;;) {
          skip();
          if (pos >= text.length) return;
          if (text[pos] === '}') {
            pos++;
            return;
          }
          const at = pos;
          const name = text[pos] === '"' || text[pos] === "'" ? readString() : readBare();
          skip();
          if (text[pos] !== ':' || pos === at) return;
          pos++;
          value(`${path}${SEPARATOR}${name}`, at);
          skip();
          if (text[pos] === ',') pos++;
          else if (text[pos] !== '}') return;
        }
      } else if (char === '[') {
        pos++;
        for (let item = 0; ; item++) {
          skip();
          if (pos >= text.length) return;
          if (text[pos] === ']') {
            pos++;
            return;
          }
          const at = pos;
          value(`${path}${SEPARATOR}#${item}`, null);
          if (pos === at) return;
          skip();
          if (text[pos] === ',') pos++;
          else if (text[pos] !== ']') return;
        }
      } else if (char === '"' || char === "'") readString();
      else readBare();
    };
    value('', null);
    return index;
  }
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
  return starts;
}
