/**
 * Hook filters: safe expressions over an event (jexl), such as
 * `data.task.exit_code != 0 && "production" in data.agent.tags`.
 *
 * Why it is safe: jexl has no assignment, no loops and no way to call a value; the only callables
 * are the transforms registered here, looked up by own name in prototype-free pools, and any other
 * call is rejected at compile time. Names that live on Object.prototype (`constructor`,
 * `__proto__`, `toString`…) do not even lex as identifiers, and the event's data is handed over as
 * prototype-free copies, so `data["constructor"]` is undefined unless the data has such a key.
 * Built-in functions stay reachable as values through strings and arrays
 * (`type["constructor"]`), but a value can never be called, and a filter only yields a boolean.
 * Evaluation never throws: an error means "does not match".
 */
import { createRequire } from 'node:module';
import { HookflowError } from '../errors.js';
import type { EventRecord, JsonValue } from '../events/model.js';
import { nearest } from '../events/suggest.js';

export interface CompiledFilter {
  readonly source: string;
  /** Whether the event passes; false on any evaluation error. */
  matches(event: EventRecord): boolean;
}

export const MAX_FILTER_LENGTH = 2000;

// ── jexl, typed as far as this module uses it ───────────────────────────────────────────────
interface JexlToken {
  type: string | undefined;
  value: unknown;
  raw: string;
}
interface JexlAst {
  type: string;
  [key: string]: unknown;
}
interface JexlExpression {
  evalSync(context: object): unknown;
}
interface JexlGrammar {
  elements: Record<string, unknown>;
  functions: Record<string, unknown>;
  transforms: Record<string, unknown>;
}
interface JexlInstance {
  _grammar: JexlGrammar;
  compile(expression: string): JexlExpression;
  addTransform(name: string, fn: (...args: unknown[]) => unknown): void;
  addBinaryOp(operator: string, precedence: number, fn: (left: unknown, right: unknown) => unknown): void;
}
interface JexlLexer {
  getElements(text: string): string[];
  getTokens(elements: string[]): JexlToken[];
}
interface JexlParser {
  addToken(token: JexlToken): unknown;
  complete(): JexlAst | null;
}

interface JexlKit {
  jexl: JexlInstance;
  // The lexer and parser are used directly only to say where a syntax error is.
  Lexer: new (grammar: JexlGrammar) => JexlLexer;
  Parser: new (grammar: JexlGrammar) => JexlParser;
}

let kit: JexlKit | undefined;

/** jexl, required with the first filter compiled: engines whose hooks have no filter (a worker, `state get`) never load it. */
function jexlKit(): JexlKit {
  if (kit) return kit;
  const require = createRequire(import.meta.url);
  const { Jexl } = require('jexl') as { Jexl: new () => JexlInstance };
  kit = {
    jexl: createJexl(new Jexl()),
    Lexer: require('jexl/dist/Lexer.js') as JexlKit['Lexer'],
    Parser: require('jexl/dist/parser/Parser.js') as JexlKit['Parser'],
  };
  return kit;
}

// ── the language: operators and transforms ──────────────────────────────────────────────────
/** Missing (undefined) equals only null; everything else compares strictly, without coercion. */
function equals(left: unknown, right: unknown): boolean {
  if (left === undefined || right === undefined) return (left ?? null) === null && (right ?? null) === null;
  return left === right;
}

/** A missing field is not "different": comparisons involving it are simply false. */
function differs(left: unknown, right: unknown): boolean {
  if (left === undefined || right === undefined) return false;
  return left !== right;
}

function ordered(compare: (left: number | string, right: number | string) => boolean) {
  return (left: unknown, right: unknown): boolean => {
    if (typeof left === 'number' && typeof right === 'number') return compare(left, right);
    if (typeof left === 'string' && typeof right === 'string') return compare(left, right);
    return false;
  };
}

function contains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') return typeof item === 'string' && container.includes(item);
  if (Array.isArray(container)) return container.some((element) => element === item);
  if (container !== null && typeof container === 'object') return typeof item === 'string' && Object.hasOwn(container, item);
  return false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const TRANSFORMS: Readonly<Record<string, (value: unknown, ...args: unknown[]) => unknown>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, (value: unknown, ...args: unknown[]) => unknown>, {
    length: (value: unknown) => (typeof value === 'string' || Array.isArray(value) ? value.length : isRecord(value) ? Object.keys(value).length : undefined),
    lower: (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : undefined),
    upper: (value: unknown) => (typeof value === 'string' ? value.toUpperCase() : undefined),
    trim: (value: unknown) => (typeof value === 'string' ? value.trim() : undefined),
    keys: (value: unknown) => (isRecord(value) ? Object.keys(value) : undefined),
    values: (value: unknown) => (isRecord(value) ? Object.values(value) : undefined),
    string: (value: unknown) => {
      if (value === undefined || typeof value === 'function') return undefined;
      return typeof value === 'string' ? value : JSON.stringify(value);
    },
    number: (value: unknown) => {
      if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') return undefined;
      if (typeof value === 'string' && value.trim() === '') return undefined;
      const number = Number(value);
      return Number.isFinite(number) ? number : undefined;
    },
    startsWith: (value: unknown, prefix: unknown) => typeof value === 'string' && typeof prefix === 'string' && value.startsWith(prefix),
    endsWith: (value: unknown, suffix: unknown) => typeof value === 'string' && typeof suffix === 'string' && value.endsWith(suffix),
    contains: (value: unknown, item: unknown) => contains(value, item),
    default: (value: unknown, fallback: unknown) => value ?? fallback,
  }),
);

/** The transforms a filter may use (`data.tags|length > 0`). */
export const FILTER_TRANSFORMS: readonly string[] = Object.freeze(Object.keys(TRANSFORMS));

function createJexl(jexl: JexlInstance): JexlInstance {
  // Prototype-free pools: a call by a name that is not registered finds nothing, not Object's methods.
  jexl._grammar.functions = Object.create(null) as Record<string, unknown>;
  jexl._grammar.transforms = Object.create(null) as Record<string, unknown>;
  for (const [name, transform] of Object.entries(TRANSFORMS)) jexl.addTransform(name, transform);
  jexl.addBinaryOp('==', 20, equals);
  jexl.addBinaryOp('!=', 20, differs);
  jexl.addBinaryOp('<', 20, ordered((left, right) => left < right));
  jexl.addBinaryOp('<=', 20, ordered((left, right) => left <= right));
  jexl.addBinaryOp('>', 20, ordered((left, right) => left > right));
  jexl.addBinaryOp('>=', 20, ordered((left, right) => left >= right));
  jexl.addBinaryOp('in', 20, (left, right) => contains(right, left));
  return jexl;
}

// ── compiling ───────────────────────────────────────────────────────────────────────────────
const cache = new Map<string, CompiledFilter>();
const CACHE_LIMIT = 1000;

/** Compiles (once per source) a filter; a malformed one throws HF_ERR_INVALID_FILTER naming the column. */
export function compileFilter(expression: string): CompiledFilter {
  const cached = cache.get(expression);
  if (cached) return cached;
  const compiled = buildFilter(expression);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(expression, compiled);
  return compiled;
}

function buildFilter(source: string): CompiledFilter {
  if (typeof source !== 'string') {
    throw new HookflowError('HF_ERR_INVALID_FILTER', 'a filter must be a string', { where: 'filter' });
  }
  if (source.length > MAX_FILTER_LENGTH) {
    throw new HookflowError('HF_ERR_INVALID_FILTER', `filter is ${source.length} characters long: at most ${MAX_FILTER_LENGTH} are allowed`, {
      where: 'filter',
    });
  }
  if (source.trim() === '') {
    throw new HookflowError('HF_ERR_INVALID_FILTER', 'filter is empty', { where: 'filter', hint: 'write an expression such as data.task.exit_code != 0, or leave the filter out' });
  }
  let expression: JexlExpression;
  try {
    const tokens = tokenize(source);
    checkBrackets(source, tokens);
    const ast = parse(source, tokens);
    checkCalls(source, tokens, ast);
    expression = jexlKit().jexl.compile(source);
  } catch (error) {
    if (error instanceof HookflowError) throw error;
    // Anything jexl throws that the checks above did not foresee (a stack overflow on absurd nesting…).
    throw new HookflowError('HF_ERR_INVALID_FILTER', `filter is not valid: ${error instanceof Error ? error.message : String(error)}`, { where: 'filter' });
  }
  return Object.freeze({
    source,
    matches(event: EventRecord): boolean {
      try {
        return Boolean(expression.evalSync(contextOf(event)));
      } catch {
        return false;
      }
    },
  });
}

interface Located {
  token: JexlToken;
  /** Offset of the token's first character in the source. */
  offset: number;
  text: string;
}

function tokenize(source: string): Located[] {
  const { jexl, Lexer } = jexlKit();
  const lexer = new Lexer(jexl._grammar);
  const elements = lexer.getElements(source);
  let tokens: JexlToken[];
  try {
    tokens = lexer.getTokens([...elements]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const bad = /Invalid expression token: ([\s\S]*)$/.exec(message)?.[1] ?? '';
    let offset = 0;
    for (const element of elements) {
      if (element === bad || `-${element}` === bad) break;
      offset += element.length;
    }
    throw syntaxError(source, offset, `unexpected ${JSON.stringify(bad)}`, hintForCharacter(bad));
  }
  const located: Located[] = [];
  let cursor = 0;
  for (const token of tokens) {
    const text = token.raw.trimEnd();
    const quote = text[0];
    if ((quote === '"' || quote === "'") && (text.length < 2 || text[text.length - 1] !== quote)) {
      // jexl's lexer turns a lone quote into an empty string; say what really happened.
      throw syntaxError(source, source.indexOf(quote, cursor), `unterminated string: the closing ${quote} is missing`);
    }
    let offset: number;
    if (typeof token.value === 'number' && text.startsWith('-')) {
      // A negative number may have been written with a space after the minus ("- 1").
      offset = source.indexOf('-', cursor);
      const digits = source.indexOf(text.slice(1), offset + 1);
      cursor = digits < 0 ? offset + 1 : digits + text.length - 1;
    } else {
      offset = source.indexOf(text, cursor);
      cursor = offset < 0 ? cursor : offset + text.length;
    }
    located.push({ token, offset: offset < 0 ? cursor : offset, text });
  }
  return located;
}

const OPENERS: Readonly<Record<string, string>> = { openParen: ')', openBracket: ']', openCurl: '}' };
const CLOSERS = new Set(['closeParen', 'closeBracket', 'closeCurl']);

/** jexl quietly accepts `(a` and `((( a`; a filter with unclosed brackets is rejected here. */
function checkBrackets(source: string, tokens: readonly Located[]): void {
  const open: Located[] = [];
  for (const located of tokens) {
    const type = located.token.type ?? '';
    if (Object.hasOwn(OPENERS, type)) open.push(located);
    else if (CLOSERS.has(type)) {
      const opener = open.pop();
      if (!opener || OPENERS[opener.token.type ?? ''] !== located.text) {
        const hint = opener
          ? `expected "${OPENERS[opener.token.type ?? '']}" to close the "${opener.text}" at column ${opener.offset + 1}`
          : `there is no opening bracket for it`;
        throw syntaxError(source, located.offset, `unexpected "${located.text}"`, hint);
      }
    }
  }
  const unclosed = open.pop();
  if (unclosed) {
    throw syntaxError(source, unclosed.offset, `"${unclosed.text}" is never closed`, `add "${OPENERS[unclosed.token.type ?? '']}"`);
  }
}

function parse(source: string, tokens: readonly Located[]): JexlAst {
  const { jexl, Parser } = jexlKit();
  const parser = new Parser(jexl._grammar);
  for (const located of tokens) {
    try {
      parser.addToken(located.token);
    } catch {
      throw unexpectedToken(source, located);
    }
  }
  let ast: JexlAst | null;
  try {
    ast = parser.complete();
  } catch {
    const last = tokens[tokens.length - 1];
    throw syntaxError(source, source.trimEnd().length, 'the expression ends too early', last ? `complete it after "${last.text}"` : undefined);
  }
  if (!ast) throw syntaxError(source, 0, 'there is no expression', 'write an expression such as data.task.exit_code != 0');
  return ast;
}

function unexpectedToken(source: string, located: Located): HookflowError {
  if (located.token.type === undefined) {
    // jexl's lexer resolves names through Object.prototype, so `constructor` & co. never become identifiers.
    return syntaxError(source, located.offset, `"${located.text}" cannot be used in a filter`, `to read a field with that name write data["${located.text}"]`);
  }
  return syntaxError(source, located.offset, `unexpected "${located.text}"`, hintForToken(located.token));
}

function hintForToken(token: JexlToken): string | undefined {
  if (token.type === 'identifier' || token.type === 'literal') return 'an operator (== != < > && || in) is missing before it';
  if (token.type === 'binaryOp') return 'an operand is missing before it';
  if (token.type === 'dot') return 'field paths look like data.task.exit_code';
  return undefined;
}

function hintForCharacter(bad: string): string {
  if (bad === '=') return 'compare with ==';
  if (bad === '&') return 'use && for "and"';
  if (bad.startsWith('"') || bad.startsWith("'")) return 'a string is not closed';
  return 'filters use == != < <= > >= && || ! in + - * / % ?: and |transform';
}

function checkCalls(source: string, tokens: readonly Located[], node: JexlAst): void {
  const visit = (child: unknown): void => {
    if (child && typeof child === 'object') checkCalls(source, tokens, child as JexlAst);
  };
  switch (node.type) {
    case 'FunctionCall': {
      const name = typeof node.name === 'string' ? node.name : '';
      if (node.pool !== 'transforms') {
        const at = tokens.find((located, index) => located.token.type === 'openParen' && index > 0 && ['identifier', 'closeBracket'].includes(tokens[index - 1].token.type ?? ''));
        throw syntaxError(source, at ? at.offset : 0, name ? `"${name}(…)" is a function call: filters cannot call functions` : 'filters cannot call values', `use transforms instead: ${FILTER_TRANSFORMS.join(', ')}`);
      }
      if (!Object.hasOwn(TRANSFORMS, name)) {
        const at = tokens.find((located, index) => located.text === name && index > 0 && tokens[index - 1].token.type === 'pipe');
        const meant = nearest(name, FILTER_TRANSFORMS);
        throw syntaxError(source, at ? at.offset : 0, `unknown transform "|${name}"`, `${meant ? `did you mean |${meant}? ` : ''}transforms: ${FILTER_TRANSFORMS.join(', ')}`);
      }
      for (const argument of (node.args as unknown[] | undefined) ?? []) visit(argument);
      return;
    }
    case 'BinaryExpression':
      visit(node.left);
      visit(node.right);
      return;
    case 'UnaryExpression':
      visit(node.right);
      return;
    case 'ConditionalExpression':
      visit(node.test);
      visit(node.consequent);
      visit(node.alternate);
      return;
    case 'FilterExpression':
      visit(node.subject);
      visit(node.expr);
      return;
    case 'Identifier':
      visit(node.from);
      return;
    case 'ObjectLiteral':
      for (const value of Object.values((node.value as Record<string, unknown> | undefined) ?? {})) visit(value);
      return;
    case 'ArrayLiteral':
      for (const value of (node.value as unknown[] | undefined) ?? []) visit(value);
      return;
    case 'Literal':
      return;
    default:
      throw syntaxError(source, 0, `unsupported expression (${node.type})`);
  }
}

function syntaxError(source: string, offset: number, problem: string, hint?: string): HookflowError {
  const column = offset + 1;
  const shown = source.length > 80 ? `${source.slice(0, 77)}...` : source;
  return new HookflowError('HF_ERR_INVALID_FILTER', `filter ${JSON.stringify(shown)} is not valid at column ${column}: ${problem}`, {
    where: `filter:1:${column}`,
    column,
    hint,
  });
}

// ── evaluating ──────────────────────────────────────────────────────────────────────────────
/** A prototype-free deep copy: the expression sees the data's own keys and nothing inherited. */
function safeCopy(value: JsonValue | undefined): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => safeCopy(item));
  const copy = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) copy[key] = safeCopy(value[key]);
  return copy;
}

function contextOf(event: EventRecord): Record<string, unknown> {
  const context = Object.create(null) as Record<string, unknown>;
  context.data = safeCopy(event.data);
  context.type = event.type;
  context.stack = event.stack;
  context.source = event.source;
  context.id = event.id;
  context.attempts = event.attempts;
  context.correlation_id = event.correlation_id;
  // jexl has no null literal: `null` is an identifier, so give it its meaning.
  context.null = null;
  return context;
}
