import nunjucks from 'nunjucks';
import { HookflowError } from '../errors.js';
import { contextOrFrameLookup, installJinjaFilters, installJinjaTests, lazyObjects, memberLookup, pyEquals, pyIn, type JinjaEnvironment } from './template-jinja.js';
import { pyStr, pyTruthy } from './template-values.js';

/**
 * Compiles templates into plans: what kind of template a source is (plain text, one bare path, one
 * expression with or without filters, text around templates), and the compiled render function.
 *
 * nunjucks parses; before compiling, the syntax tree is rewritten so the result behaves like
 * Jinja2: every printed value goes through Python's str() (`True`, `None`), `and`/`or`/`not`/`if`
 * use Python truthiness (an empty list is false), `==` compares structurally, `in` tests membership,
 * and in strict mode every variable used (other than under `is defined` or `default`) must exist.
 * Rendering runs with member lookups that reach only data (see template-jinja.ts).
 * Plans are cached by source text, bounded, since the same templates are rendered on every execution.
 */

/** A template problem in the template's own terms; the caller adds which parameter it was. */
export class TemplateProblem extends Error {
  constructor(
    readonly what: string,
    readonly detail?: string,
    readonly line?: number,
    readonly column?: number,
    readonly hint?: string,
  ) {
    super(detail ? `${what}: ${detail}` : what);
    this.name = 'TemplateProblem';
  }
}

interface AstNode {
  readonly typename: string;
  readonly fields: readonly string[];
  lineno: number;
  colno: number;
  [field: string]: unknown;
}
type NodeConstructor = new (lineno: number, colno: number, ...fields: unknown[]) => AstNode;
interface CompilerInstance {
  compile(node: AstNode, frame?: unknown): void;
  getCode(): string;
  compileFilter(node: AstNode, frame: unknown): void;
  _emit(code: string): void;
  _compileAggregate(node: AstNode, frame: unknown): void;
}
/** nunjucks' parser, node classes, compiler and runtime: exported by the package, untyped by @types. */
interface NunjucksInternals {
  parser: { parse(source: string): AstNode };
  nodes: Record<'Node' | 'Root' | 'Output' | 'Filter' | 'Symbol' | 'NodeList' | 'Literal' | 'InlineIf', NodeConstructor>;
  compiler: { Compiler: new (name: string, throwOnUndefined: boolean) => CompilerInstance };
  runtime: Record<string, unknown>;
}
type RenderRoot = (env: unknown, context: unknown, frame: unknown, runtime: unknown, callback: unknown) => unknown;

const internals = nunjucks as unknown as NunjucksInternals;
const nodes = internals.nodes;

const STR = '__hf_str';
const TRUTHY = '__hf_truthy';
const CAPTURE = '__hf_capture';
const DEFINED = '__hf_defined';
const COMPARE = '__hf_compare';
const IN = '__hf_in';
const ARITHMETIC = '__hf_arithmetic';
const ARITHMETIC_OPS: Record<string, string> = { Add: '+', Sub: '-', Mul: '*', Div: '/', FloorDiv: '//', Mod: '%', Pow: '**' };
const DEFAULT_FILTERS = new Set(['default', 'd']);
const LITERAL_NAMES = new Set(['True', 'False', 'None']);

const environment = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false, dev: true }) as JinjaEnvironment;
installJinjaFilters(environment);
installJinjaTests(environment);
environment.addGlobal('True', true);
environment.addGlobal('False', false);
environment.addGlobal('None', null);
const globals = (environment as unknown as { globals: Record<string, unknown> }).globals;

let captured: unknown;
environment.addFilter(STR, pyStr);
environment.addFilter(TRUTHY, pyTruthy);
environment.addFilter(IN, pyIn);
environment.addFilter(CAPTURE, (value: unknown) => {
  captured = value;
  return '';
});
environment.addFilter(DEFINED, (value: unknown, path: string, line: number, column: number) => {
  if (value === undefined) throw undefinedProblem(path, line, column);
  return value;
});
environment.addFilter(COMPARE, compareChain);
environment.addFilter(ARITHMETIC, arithmetic);

/** Calls a filter and marks an error it throws with the filter's place (the innermost failing call wins). */
function callFilter(lineno: number, colno: number, filter: (...args: unknown[]) => unknown, context: unknown, args: unknown[]): unknown {
  try {
    return filter.apply(context, args);
  } catch (error) {
    if (error instanceof Error && !('lineno' in error)) Object.assign(error, { lineno, colno });
    throw error;
  }
}

const nunjucksFromIterator = internals.runtime.fromIterator as (value: unknown) => unknown;
/** What a `{% for %}` walks: a lazy object (`secret`) has nothing to list. */
function fromIterator(value: unknown): unknown {
  return typeof value === 'object' && value !== null && lazyObjects.has(value) ? [] : nunjucksFromIterator(value);
}

const safeRuntime = { ...internals.runtime, memberLookup, contextOrFrameLookup, callFilter, fromIterator };

/** An undefined value used in arithmetic or an ordering: Jinja raises; lenient callers turn it into "" or false. */
export class UndefinedOperand extends TemplateProblem {
  constructor(line?: number, column?: number) {
    super('an undefined value used in an operation', undefined, line, column, 'test it with "is defined", or use "| default(…)"');
  }
}

export function undefinedProblem(path: string, line?: number, column?: number): TemplateProblem {
  return new TemplateProblem(`"${path}" is undefined`, undefined, line, column, 'give it a value, test it with "is defined", or use "| default(…)"');
}

function compareChain(first: unknown, ...rest: unknown[]): boolean {
  let left = first;
  for (let i = 0; i + 1 < rest.length; i += 2) {
    const right = rest[i + 1];
    if (!compare(left, String(rest[i]), right)) return false;
    left = right;
  }
  return true;
}

function compare(left: unknown, op: string, right: unknown): boolean {
  switch (op) {
    case '==':
    case '===':
      return pyEquals(left, right);
    case '!=':
    case '!==':
      return !pyEquals(left, right);
    default: {
      if (left === undefined || right === undefined) throw new UndefinedOperand();
      if (left === null || right === null) return false;
      const a = left as number;
      const b = right as number;
      return op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
    }
  }
}

function pyTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  return Array.isArray(value) ? 'list' : typeof value === 'object' ? 'dict' : typeof value;
}

function isNumeric(value: unknown): value is number | boolean {
  return typeof value === 'number' || typeof value === 'boolean';
}

function repeat<T>(items: T[], times: number): T[] {
  const result: T[] = [];
  for (let i = 0; i < times; i++) result.push(...items);
  return result;
}

/** Python's arithmetic: numbers (booleans count as 0/1), str and list `+` and `*`, errors for the rest. */
function arithmetic(left: unknown, op: string, right?: unknown): unknown {
  const unary = op === 'neg' || op === 'pos';
  if (left === undefined || (!unary && right === undefined)) throw new UndefinedOperand();
  if (unary) {
    if (!isNumeric(left)) throw new Error(`bad operand type for unary ${op === 'neg' ? '-' : '+'}: '${pyTypeName(left)}'`);
    return op === 'neg' ? -Number(left) : Number(left);
  }
  const a = left instanceof nunjucks.runtime.SafeString ? left.toString() : left;
  const b = right instanceof nunjucks.runtime.SafeString ? right.toString() : right;
  if (isNumeric(a) && isNumeric(b)) {
    const x = Number(a);
    const y = Number(b);
    if (y === 0 && (op === '/' || op === '//' || op === '%')) throw new Error('division by zero');
    switch (op) {
      case '+':
        return x + y;
      case '-':
        return x - y;
      case '*':
        return x * y;
      case '/':
        return x / y;
      case '//':
        return Math.floor(x / y);
      case '%':
        return ((x % y) + y) % y;
      default:
        return x ** y;
    }
  }
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (op === '*') {
    const times = typeof b === 'number' && Number.isInteger(b) ? b : typeof a === 'number' && Number.isInteger(a) ? a : undefined;
    const items = typeof b === 'number' ? a : b;
    if (times !== undefined && typeof items === 'string') return items.repeat(Math.max(0, times));
    if (times !== undefined && Array.isArray(items)) return repeat(items, times);
  }
  throw new Error(`unsupported operand types for ${op}: '${pyTypeName(a)}' and '${pyTypeName(b)}'`);
}

// ---------- scanning and parsing ----------

export function hasTemplateSyntax(source: string): boolean {
  return source.includes('{{') || source.includes('{%') || source.includes('{#');
}

function positionAt(source: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i !== -1 && i < index; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: index - lineStart + 1 };
}

/** The end of a tag's code: the closer outside any quoted string, or -1. */
function findCloser(source: string, from: number, closer: string): number {
  let quote = '';
  for (let i = from; i < source.length; i++) {
    const ch = source[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === closer[0] && source[i + 1] === closer[1]) return i;
  }
  return -1;
}

/** The first `{{`, `{%` or `{#` that is never closed, as a problem with its position. */
function findUnclosed(source: string): TemplateProblem | undefined {
  let from = 0;
  for (;;) {
    const start = source.indexOf('{', from);
    if (start === -1 || start === source.length - 1) return undefined;
    const kind = source[start + 1];
    if (kind !== '{' && kind !== '%' && kind !== '#') {
      from = start + 1;
      continue;
    }
    const closer = kind === '{' ? '}}' : kind === '%' ? '%}' : '#}';
    const end = kind === '#' ? source.indexOf(closer, start + 2) : findCloser(source, start + 2, closer);
    const here = positionAt(source, start);
    if (end === -1) {
      return new TemplateProblem(`unclosed "{${kind}"`, undefined, here.line, here.column, `close it with "${closer}" (a quote left open inside it hides the closer)`);
    }
    from = end + 2;
    const raw = kind === '%' ? /^\{%-?\s*(raw|verbatim)\s*-?%\}$/.exec(source.slice(start, from)) : null;
    if (raw) {
      const endTag = new RegExp(`\\{%-?\\s*end${raw[1]}\\s*-?%\\}`, 'g');
      endTag.lastIndex = from;
      const match = endTag.exec(source);
      if (!match) return new TemplateProblem(`unclosed "{% ${raw[1]} %}"`, undefined, here.line, here.column, `close it with "{% end${raw[1]} %}"`);
      from = match.index + match[0].length;
    }
  }
}

function parse(source: string): AstNode {
  const unclosed = findUnclosed(source);
  if (unclosed) throw unclosed;
  let ast: AstNode;
  try {
    ast = internals.parser.parse(source);
  } catch (error) {
    const { lineno, colno } = error as { lineno?: number; colno?: number };
    const message = error instanceof Error ? error.message : String(error);
    const atEnd = /end of file/.test(message) && lineno === undefined ? positionAt(source, source.length) : undefined;
    throw new TemplateProblem('syntax error', message, lineno ?? atEnd?.line, colno ?? atEnd?.column);
  }
  checkNames(ast);
  return ast;
}

function isNode(value: unknown): value is AstNode {
  return value instanceof nodes.Node;
}

function childNodes(node: AstNode): AstNode[] {
  const result: AstNode[] = [];
  for (const field of node.fields) {
    const value = node[field];
    if (isNode(value)) result.push(value);
    else if (Array.isArray(value)) for (const item of value) if (isNode(item)) result.push(item);
  }
  return result;
}

function symbolName(node: unknown): string | undefined {
  return isNode(node) && node.typename === 'Symbol' ? String(node.value) : undefined;
}

/** Unknown filters and tests are found when compiling, with their position, as Jinja does. */
function checkNames(node: AstNode): void {
  if (node.typename === 'Filter') {
    const name = symbolName(node.name) ?? '';
    try {
      environment.getFilter(name);
    } catch {
      throw new TemplateProblem(`unknown filter "${name}"`, undefined, node.lineno + 1, node.colno + 1);
    }
  } else if (node.typename === 'Is') {
    const right = node.right as AstNode;
    const name = right.typename === 'FunCall' ? symbolName(right.name) : right.typename === 'Symbol' ? String(right.value) : String(right.value);
    try {
      environment.getTest(name ?? '');
    } catch {
      throw new TemplateProblem(`unknown test "${name}"`, undefined, right.lineno + 1, right.colno + 1);
    }
  }
  for (const child of childNodes(node)) checkNames(child);
}

// ---------- analysis ----------

export interface PathRef {
  root: string;
  keys: Array<string | number>;
  text: string;
  line: number;
  column: number;
}

/** The one expression a template consists of (whitespace and comments around it allowed), if any. */
function singleExpression(ast: AstNode): AstNode | undefined {
  let found: AstNode | undefined;
  for (const output of ast.children as AstNode[]) {
    if (output.typename !== 'Output') return undefined;
    for (const child of output.children as AstNode[]) {
      if (child.typename === 'TemplateData') {
        if (String(child.value).trim() !== '') return undefined;
      } else if (found) return undefined;
      else found = child;
    }
  }
  return found;
}

/** `params.a.b`, `steps["x"].outputs[0]`: a name followed by constant keys. */
function asPath(node: AstNode): PathRef | undefined {
  const keys: Array<string | number> = [];
  let current = node;
  while (current.typename === 'LookupVal') {
    const key = current.val as AstNode;
    if (key.typename !== 'Literal' || (typeof key.value !== 'string' && typeof key.value !== 'number')) return undefined;
    keys.unshift(key.value);
    current = current.target as AstNode;
  }
  const root = symbolName(current);
  if (root === undefined || LITERAL_NAMES.has(root)) return undefined;
  return { root, keys, text: describePath(node), line: current.lineno + 1, column: current.colno + 1 };
}

function describePath(node: AstNode): string {
  if (node.typename === 'Symbol') return String(node.value);
  if (node.typename !== 'LookupVal') return '(…)';
  const base = describePath(node.target as AstNode);
  const key = node.val as AstNode;
  if (key.typename !== 'Literal') return `${base}[…]`;
  if (typeof key.value === 'number') return `${base}[${key.value}]`;
  const name = String(key.value);
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${base}.${name}` : `${base}[${JSON.stringify(name)}]`;
}

export function evaluatePath(path: PathRef, scope: Record<string, unknown>): unknown {
  let value = Object.hasOwn(scope, path.root) ? scope[path.root] : Object.hasOwn(globals, path.root) ? globals[path.root] : undefined;
  for (const key of path.keys) value = memberLookup(value, key);
  return value;
}

// ---------- rewriting the syntax tree to Jinja's semantics ----------

function filterNode(name: string, node: AstNode, ...extra: AstNode[]): AstNode {
  return new nodes.Filter(node.lineno, node.colno, new nodes.Symbol(node.lineno, node.colno, name), new nodes.NodeList(node.lineno, node.colno, [node, ...extra]));
}

function literalNode(at: AstNode, value: unknown): AstNode {
  return new nodes.Literal(at.lineno, at.colno, value);
}

/** Python truthiness for and/or/not/if, str() for `~`, structural `==`, membership `in`. */
function pythonize(node: AstNode): AstNode {
  for (const field of node.fields) {
    const value = node[field];
    if (isNode(value)) node[field] = pythonize(value);
    else if (Array.isArray(value)) node[field] = value.map((item: unknown) => (isNode(item) ? pythonize(item) : item));
  }
  const left = node.left as AstNode;
  switch (node.typename) {
    case 'And':
      return new nodes.InlineIf(node.lineno, node.colno, filterNode(TRUTHY, left), node.right, left);
    case 'Or':
      return new nodes.InlineIf(node.lineno, node.colno, filterNode(TRUTHY, left), left, node.right);
    case 'Not':
      node.target = filterNode(TRUTHY, node.target as AstNode);
      return node;
    case 'If':
    case 'IfAsync':
    case 'InlineIf':
      node.cond = filterNode(TRUTHY, node.cond as AstNode);
      return node;
    case 'Concat':
      node.left = filterNode(STR, left);
      node.right = filterNode(STR, node.right as AstNode);
      return node;
    case 'In':
      return filterNode(IN, left, node.right as AstNode);
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'FloorDiv':
    case 'Mod':
    case 'Pow':
      return filterNode(ARITHMETIC, left, literalNode(node, ARITHMETIC_OPS[node.typename]), node.right as AstNode);
    case 'Neg':
    case 'Pos':
      return filterNode(ARITHMETIC, node.target as AstNode, literalNode(node, node.typename === 'Neg' ? 'neg' : 'pos'));
    case 'Compare': {
      const operands = (node.ops as AstNode[]).flatMap((op) => [literalNode(op, op.type), op.expr as AstNode]);
      return filterNode(COMPARE, node.expr as AstNode, ...operands);
    }
    default:
      return node;
  }
}

/** Every Output prints through Python's str(). */
function printPythonStyle(node: AstNode): void {
  if (node.typename === 'Output') {
    node.children = (node.children as AstNode[]).map((child) => (child.typename === 'TemplateData' ? child : filterNode(STR, child)));
    return;
  }
  for (const child of childNodes(node)) printPythonStyle(child);
}

/** Strict mode: statements whose expressions must only use defined variables. */
function strictStatements(node: unknown): void {
  if (!isNode(node)) return;
  switch (node.typename) {
    case 'Output':
      node.children = (node.children as AstNode[]).map((child) => (child.typename === 'TemplateData' ? child : strictExpression(child)));
      return;
    case 'If':
    case 'IfAsync':
      node.cond = strictExpression(node.cond as AstNode);
      break;
    case 'For':
    case 'AsyncEach':
    case 'AsyncAll':
      node.arr = strictExpression(node.arr as AstNode);
      break;
    case 'Set':
      if (isNode(node.value) && node.value.typename !== 'Capture') node.value = strictExpression(node.value);
      break;
    case 'Switch':
      node.expr = strictExpression(node.expr as AstNode);
      for (const entry of node.cases as AstNode[]) entry.cond = strictExpression(entry.cond as AstNode);
      break;
  }
  for (const child of childNodes(node)) {
    if (!['cond', 'arr', 'expr'].some((field) => node[field] === child)) strictStatements(child);
  }
}

function strictExpression(node: AstNode): AstNode {
  if (node.typename === 'Symbol' || node.typename === 'LookupVal') {
    let current = node;
    while (current.typename === 'LookupVal') {
      const key = current.val as AstNode;
      if (key.typename !== 'Literal') current.val = strictExpression(key);
      const target = current.target as AstNode;
      if (target.typename !== 'LookupVal' && target.typename !== 'Symbol') current.target = strictExpression(target);
      current = target;
    }
    return filterNode(DEFINED, node, literalNode(node, describePath(node)), literalNode(node, current.lineno + 1), literalNode(node, current.colno + 1));
  }
  const strictAll = (list: unknown): void => {
    if (!isNode(list)) return;
    list.children = (list.children as AstNode[]).map((child) => strictExpression(child));
  };
  switch (node.typename) {
    case 'Filter': {
      const args = node.args as AstNode;
      const [first, ...rest] = args.children as AstNode[];
      const exempt = DEFAULT_FILTERS.has(symbolName(node.name) ?? '');
      args.children = [...(first ? [exempt ? first : strictExpression(first)] : []), ...rest.map(strictExpression)];
      return node;
    }
    case 'FunCall': {
      const name = node.name as AstNode;
      if (name.typename === 'LookupVal') name.target = strictExpression(name.target as AstNode);
      strictAll(node.args);
      return node;
    }
    case 'KeywordArgs':
    case 'Dict':
      for (const pair of node.children as AstNode[]) pair.value = strictExpression(pair.value as AstNode);
      return node;
    case 'Is': {
      const right = node.right as AstNode;
      if (right.typename === 'FunCall') strictAll(right.args);
      return node;
    }
    case 'Compare':
      node.expr = strictExpression(node.expr as AstNode);
      for (const op of node.ops as AstNode[]) op.expr = strictExpression(op.expr as AstNode);
      return node;
    case 'InlineIf':
      node.cond = strictExpression(node.cond as AstNode);
      node.body = strictExpression(node.body as AstNode);
      if (isNode(node.else_)) node.else_ = strictExpression(node.else_);
      return node;
    case 'Group':
    case 'Array':
      strictAll(node);
      return node;
    case 'Not':
    case 'Neg':
    case 'Pos':
      node.target = strictExpression(node.target as AstNode);
      return node;
    default:
      if (node.fields.includes('left') && node.fields.includes('right')) {
        node.left = strictExpression(node.left as AstNode);
        node.right = strictExpression(node.right as AstNode);
      }
      return node;
  }
}

// ---------- compiling ----------

export type RenderFunction = (scope: Record<string, unknown>) => string;

function compile(ast: AstNode): RenderFunction {
  const compiler = new internals.compiler.Compiler('template', false);
  compiler.compileFilter = function (node, frame) {
    const name = JSON.stringify(symbolName(node.name) ?? '');
    this._emit(`runtime.callFilter(${node.lineno}, ${node.colno}, env.getFilter(${name}), context, [`);
    this._compileAggregate(node.args as AstNode, frame);
    this._emit('])');
  };
  compiler.compile(ast);
  const props = new Function(compiler.getCode())() as Record<string, unknown>;
  const root = props.root as RenderRoot;
  props.root = (env: unknown, context: unknown, frame: unknown, _runtime: unknown, callback: unknown) => root(env, context, frame, safeRuntime, callback);
  const template = new nunjucks.Template({ type: 'code', obj: props } as unknown as string, environment);
  return (scope) => {
    try {
      return template.render(scope);
    } catch (error) {
      throw renderProblem(error);
    }
  };
}

function renderProblem(error: unknown): unknown {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof TemplateProblem || cause instanceof HookflowError) return cause;
  const marked = cause as { lineno?: unknown; colno?: unknown };
  const { lineno, colno } = typeof marked.lineno === 'number' ? marked : (error as { lineno?: unknown; colno?: unknown });
  const message = cause instanceof Error ? cause.message : String(cause);
  return new TemplateProblem('render error', message, typeof lineno === 'number' ? lineno + 1 : undefined, typeof colno === 'number' ? colno + 1 : undefined);
}

function compileText(source: string, strict: boolean): RenderFunction {
  const ast = parse(source);
  if (strict) strictStatements(ast);
  const python = pythonize(ast);
  printPythonStyle(python);
  return compile(python);
}

function compileCapture(expression: AstNode): (scope: Record<string, unknown>) => unknown {
  const { lineno, colno } = expression;
  const output = new nodes.Output(lineno, colno, [filterNode(CAPTURE, pythonize(expression))]);
  const render = compile(new nodes.Root(lineno, colno, [output]));
  return (scope) => {
    captured = undefined;
    try {
      render(scope);
      return captured;
    } finally {
      captured = undefined;
    }
  };
}

// ---------- plans ----------

/** How a parameter value resolves (REFERENCE.md's typing rules). */
export type ValuePlan =
  | { kind: 'path'; path: PathRef }
  | { kind: 'filtered' | 'expression' | 'text'; render: RenderFunction }
  | { kind: 'problem'; problem: TemplateProblem };

/** How a condition resolves: a path or an expression gives a value, anything else its text. */
export type ConditionPlan =
  | { kind: 'path'; path: PathRef }
  | { kind: 'value'; evaluate: (scope: Record<string, unknown>) => unknown }
  | { kind: 'text'; render: RenderFunction }
  | { kind: 'problem'; problem: TemplateProblem };

const CACHE_LIMIT = 2000;
const valuePlans = new Map<string, ValuePlan>();
const conditionPlans = new Map<string, ConditionPlan>();

function cached<T>(cache: Map<string, T>, key: string, build: () => T): T {
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const plan = build();
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, plan);
  return plan;
}

function asProblem(error: unknown): TemplateProblem {
  if (error instanceof TemplateProblem) return error;
  return new TemplateProblem('template error', error instanceof Error ? error.message : String(error));
}

/** The plan for a source known to contain template syntax. */
export function valuePlan(source: string, strict: boolean): ValuePlan {
  return cached(valuePlans, (strict ? 's' : 'l') + source, () => {
    try {
      const ast = parse(source);
      const expression = singleExpression(ast);
      const path = expression && asPath(expression);
      if (path) return { kind: 'path', path };
      const kind = !expression ? 'text' : expression.typename === 'Filter' ? 'filtered' : 'expression';
      return { kind, render: compileText(source, strict) };
    } catch (error) {
      return { kind: 'problem', problem: asProblem(error) };
    }
  });
}

export function conditionPlan(source: string): ConditionPlan {
  return cached(conditionPlans, source, () => {
    try {
      const expression = singleExpression(parse(source));
      const path = expression && asPath(expression);
      if (path) return { kind: 'path', path };
      if (expression) return { kind: 'value', evaluate: compileCapture(expression) };
      return { kind: 'text', render: compileText(source, false) };
    } catch (error) {
      return { kind: 'problem', problem: asProblem(error) };
    }
  });
}

export function templateCacheSize(): number {
  return valuePlans.size + conditionPlans.size;
}

export function clearTemplateCache(): void {
  valuePlans.clear();
  conditionPlans.clear();
}
