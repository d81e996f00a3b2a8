/**
 * Reading a commands hook file (YAML). Every rejection names file:line:column and, where it can,
 * what would be right (the nearest valid key, the expected type).
 *
 * ```yaml
 * name: restart-on-failure
 * events: [task.failed]          # also `event:` / `event_type:` (one) or `event_types:` (a list)
 * stack: production
 * filter: data.task.exit_code != 0
 * timeout: 60                    # seconds
 * cwd: /srv/app
 * commands:
 *   - systemctl restart app
 * retry: {max_attempts: 3, backoff_seconds: 2, backoff_multiplier: 2}
 * ```
 *
 * The same file may name a typed action instead of `commands` (an `action` hook):
 *
 * ```yaml
 * name: slack-on-failure
 * events: [task.failed]
 * action: notification
 * params:
 *   channel: slack
 *   url: "{{ secret.SLACK_URL }}"
 *   message: "{{ event.data.task.task_name }} failed"
 * ```
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair, type YAMLError, type YAMLMap } from 'yaml';
import { HookflowError } from '../../errors.js';
import type { JsonObject } from '../../events/model.js';
import { editDistance } from '../../events/suggest.js';
import { isValidPattern } from '../../events/patterns.js';
import { NO_RETRY, type HookScriptMeta, type RetryPolicy } from '../model.js';

export interface CommandsHookSpec extends HookScriptMeta {
  /** Empty for an action hook. */
  commands: string[];
  /** The action type of an action hook (then `commands` is empty). */
  action?: string;
  params?: JsonObject;
  cwd?: string;
  enabled?: boolean;
  retry?: RetryPolicy;
}

const EVENT_KEYS = ['events', 'event', 'event_type', 'event_types'] as const;
const TOP_KEYS = ['name', 'description', ...EVENT_KEYS, 'stack', 'filter', 'timeout', 'cwd', 'commands', 'action', 'params', 'retry', 'enabled'] as const;
const RETRY_KEYS = ['max_attempts', 'backoff_seconds', 'backoff_ms', 'backoff_multiplier'] as const;

/** yaml's messages where a plainer one (and a hint) helps a person more. */
const SYNTAX_MESSAGES: Partial<Record<YAMLError['code'], readonly [string, string?]>> = {
  DUPLICATE_KEY: ['a field appears twice', 'keep one of them'],
  MULTIPLE_DOCS: ['the file holds more than one YAML document', 'one hook per file: remove the `---` line and what follows, or split the file'],
  TAB_AS_INDENT: ['a tab is used for indentation', 'indent with spaces'],
};

export function parseCommandsHookFile(text: string, path: string): CommandsHookSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { keepSourceTokens: true, lineCounter: lines, prettyErrors: false });
  const reader = new SpecReader(doc, lines, path);
  const [syntax] = doc.errors;
  if (syntax) {
    const position = syntax.linePos?.[0] ?? lines.linePos(syntax.pos[0]);
    const where = `${path}:${position.line}:${position.col}`;
    const known = SYNTAX_MESSAGES[syntax.code];
    const message = known?.[0] ?? (syntax.message.split('\n')[0] ?? syntax.message).replace(/ at line \d+, column \d+:?$/, '');
    const hint = known?.[1];
    throw new HookflowError('HF_ERR_INVALID_HOOK', `${path}: invalid YAML: ${message}`, hint ? { where, hint } : { where });
  }
  const root = reader.resolve(doc.contents);
  if (!root || (isScalar(root) && root.value === null)) {
    throw reader.fail(null, 'the file is empty', 'a commands hook needs at least `name`, `events` and `commands`');
  }
  if (!isMap(root)) throw reader.fail(root, 'the file must be a mapping of fields (name, events, commands, …)', `it is ${describeNode(root)}`);
  return reader.readSpec(root);
}

class SpecReader {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly path: string,
  ) {}

  readSpec(root: YAMLMap): CommandsHookSpec {
    const fields = this.fields(root, TOP_KEYS, 'field');
    const spec: Partial<CommandsHookSpec> = {};

    const name = fields.get('name');
    if (!name) throw this.fail(root, 'the hook has no `name`', 'add `name: my-hook`');
    spec.name = this.nonEmptyString(name, 'name');

    const description = fields.get('description');
    if (description && !this.isNull(description.value)) spec.description = this.string(description, 'description');

    const eventFields = EVENT_KEYS.map((key) => fields.get(key))
      .filter((pair): pair is Pair<Node, unknown> => pair !== undefined)
      .sort((a, b) => (a.key.range?.[0] ?? 0) - (b.key.range?.[0] ?? 0));
    if (eventFields.length > 1) {
      throw this.fail(eventFields[1]?.key ?? null, `the hook gives the event types twice (${eventFields.map((pair) => `\`${this.keyName(pair)}\``).join(' and ')})`, 'keep one of them');
    }
    const [events] = eventFields;
    if (events) spec.events = this.patterns(events);

    const stack = fields.get('stack');
    if (stack) spec.stack = this.isNull(stack.value) ? null : this.nonEmptyString(stack, 'stack');
    const filter = fields.get('filter');
    if (filter) spec.filter = this.isNull(filter.value) ? null : this.nonEmptyString(filter, 'filter');

    const timeout = fields.get('timeout');
    if (timeout) spec.timeout_ms = Math.round(this.number(timeout, 'timeout', { min: 0, exclusive: true, unit: 'seconds', example: 'timeout: 60' }) * 1000);

    const cwd = fields.get('cwd');
    if (cwd && !this.isNull(cwd.value)) spec.cwd = this.nonEmptyString(cwd, 'cwd');

    const enabled = fields.get('enabled');
    if (enabled) {
      const node = this.resolve(enabled.value);
      if (!isScalar(node) || typeof node.value !== 'boolean') throw this.fail(node ?? enabled.key, '`enabled` must be true or false', `it is ${describeNode(node)}`);
      spec.enabled = node.value;
    }

    const commands = fields.get('commands');
    const action = fields.get('action');
    const params = fields.get('params');
    if (action && commands) throw this.fail(commands.key as Node, 'the hook gives both `commands` and `action`', 'a hook runs shell commands or one action: keep one of them');
    if (params && !action) throw this.fail(params.key as Node, '`params` without `action`', 'name the action the params are for: `action: notification`');
    if (action) {
      spec.action = this.nonEmptyString(action, 'action');
      spec.commands = [];
      if (params && !this.isNull(params.value)) spec.params = this.params(params);
    } else {
      if (!commands) throw this.fail(root, 'the hook has no `commands`', 'add `commands:` with a list of shell commands, e.g. `- echo hello`, or `action:` with a typed action');
      spec.commands = this.commands(commands);
    }

    const retry = fields.get('retry');
    if (retry && !this.isNull(retry.value)) spec.retry = this.retry(retry);

    return spec as CommandsHookSpec;
  }

  /** The fields of a mapping by name; unknown or non-name keys are rejected with the nearest valid key. */
  private fields<K extends string>(map: YAMLMap, known: readonly K[], kind: string): Map<K, Pair<Node, unknown>> {
    const fields = new Map<K, Pair<Node, unknown>>();
    for (const item of map.items as Pair<unknown, unknown>[]) {
      const key = this.resolve(item.key);
      if (!isScalar(key) || typeof key.value !== 'string') {
        throw this.fail(key ?? map, `a ${kind} name must be a word, not ${describeNode(key)}`, `${kind} names are words: ${known.join(', ')}`);
      }
      const name = key.value;
      if (!(known as readonly string[]).includes(name)) {
        const nearest = nearestWord(name, known);
        throw this.fail(key, `unknown ${kind} \`${name}\``, nearest ? `did you mean \`${nearest}\`?` : `valid ${kind}s: ${known.join(', ')}`);
      }
      fields.set(name as K, item as Pair<Node, unknown>);
    }
    return fields;
  }

  private patterns(pair: Pair<Node, unknown>): string[] {
    const keyName = this.keyName(pair);
    const node = this.resolve(pair.value);
    const items = isSeq(node) ? (node.items as unknown[]).map((item) => this.resolve(item)) : [node];
    if (isSeq(node) && items.length === 0) throw this.fail(node, `\`${keyName}\` is an empty list`, 'name at least one event type, e.g. `task.failed`');
    return items.map((item) => {
      if (!isScalar(item) || typeof item.value !== 'string' || item.value.trim() === '') {
        throw this.fail(item ?? pair.key, `\`${keyName}\` must be an event type pattern or a list of them, not ${describeNode(item)}`, 'e.g. `events: [task.failed, deploy.*]`');
      }
      const pattern = item.value.trim();
      if (!isValidPattern(pattern)) {
        throw this.fail(item, `\`${pattern}\` is not a valid event type pattern`, 'dotted lower-case words, `*` for one word or a trailing `*` for the rest: `task.failed`, `task.*`, `*`');
      }
      return pattern;
    });
  }

  private commands(pair: Pair<Node, unknown>): string[] {
    const node = this.resolve(pair.value);
    if (isScalar(node) && typeof node.value === 'string' && node.value.trim() !== '') return [node.value];
    if (!isSeq(node)) throw this.fail(node ?? pair.key, '`commands` must be a list of shell commands', `it is ${describeNode(node)}`);
    if (node.items.length === 0) throw this.fail(node, '`commands` is an empty list', 'add at least one command, e.g. `- echo hello`');
    return (node.items as unknown[]).map((raw, index) => {
      const item = this.resolve(raw);
      if (!isScalar(item) || typeof item.value !== 'string') {
        const quote = isScalar(item) && item.value !== null ? `quote it: \`- "${String(item.value)}"\`` : 'write the command as text';
        throw this.fail(item ?? node, `command ${index + 1} must be a string, not ${describeNode(item)}`, quote);
      }
      if (item.value.trim() === '') throw this.fail(item, `command ${index + 1} is empty`, 'remove it or write a command');
      return item.value;
    });
  }

  private params(pair: Pair<Node, unknown>): JsonObject {
    const node = this.resolve(pair.value);
    if (!isMap(node)) throw this.fail(node ?? pair.key, '`params` must be a mapping of param names to values', `it is ${describeNode(node)}`);
    return node.toJS(this.doc) as JsonObject;
  }

  private retry(pair: Pair<Node, unknown>): RetryPolicy {
    const node = this.resolve(pair.value);
    if (!isMap(node)) throw this.fail(node ?? pair.key, '`retry` must be a mapping', 'e.g. `retry: {max_attempts: 3, backoff_seconds: 2, backoff_multiplier: 2}`');
    const fields = this.fields(node, RETRY_KEYS, 'retry field');
    const policy: RetryPolicy = { ...NO_RETRY };
    const attempts = fields.get('max_attempts');
    if (attempts) {
      const value = this.number(attempts, 'retry.max_attempts', { min: 1, integer: true, example: 'max_attempts: 3' });
      policy.max_attempts = value;
    }
    const seconds = fields.get('backoff_seconds');
    const millis = fields.get('backoff_ms');
    if (seconds && millis) throw this.fail(millis.key as Node, '`retry` gives the backoff twice (`backoff_seconds` and `backoff_ms`)', 'keep one of them');
    if (seconds) policy.backoff_ms = Math.round(this.number(seconds, 'retry.backoff_seconds', { min: 0, unit: 'seconds', example: 'backoff_seconds: 2' }) * 1000);
    if (millis) policy.backoff_ms = Math.round(this.number(millis, 'retry.backoff_ms', { min: 0, unit: 'milliseconds', example: 'backoff_ms: 2000' }));
    const multiplier = fields.get('backoff_multiplier');
    if (multiplier) policy.backoff_multiplier = this.number(multiplier, 'retry.backoff_multiplier', { min: 1, example: 'backoff_multiplier: 2' });
    return policy;
  }

  private number(
    pair: Pair<Node, unknown>,
    field: string,
    rule: { min: number; exclusive?: boolean; integer?: boolean; unit?: string; example: string },
  ): number {
    const node = this.resolve(pair.value);
    const value = isScalar(node) ? node.value : undefined;
    const what = `${rule.integer ? 'a whole number' : 'a number'}${rule.unit ? ` of ${rule.unit}` : ''}`;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw this.fail(node ?? pair.key, `\`${field}\` must be ${what}, not ${describeNode(node)}`, `e.g. \`${rule.example}\``);
    }
    const tooSmall = rule.exclusive ? value <= rule.min : value < rule.min;
    if (tooSmall || (rule.integer && !Number.isInteger(value))) {
      const bound = rule.exclusive ? `more than ${rule.min}` : `at least ${rule.min}`;
      throw this.fail(node, `\`${field}\` must be ${what}, ${bound}; it is ${value}`, `e.g. \`${rule.example}\``);
    }
    return value;
  }

  private string(pair: Pair<Node, unknown>, field: string): string {
    const node = this.resolve(pair.value);
    if (!isScalar(node) || typeof node.value !== 'string') {
      throw this.fail(node ?? pair.key, `\`${field}\` must be text, not ${describeNode(node)}`, isScalar(node) ? `quote it: \`${field}: "${String(node.value)}"\`` : undefined);
    }
    return node.value;
  }

  private nonEmptyString(pair: Pair<Node, unknown>, field: string): string {
    const value = this.string(pair, field);
    if (value.trim() === '') throw this.fail(this.resolve(pair.value) ?? pair.key, `\`${field}\` is empty`);
    return value;
  }

  private isNull(value: unknown): boolean {
    const node = this.resolve(value);
    return node === null || (isScalar(node) && node.value === null);
  }

  private keyName(pair: Pair<Node, unknown>): string {
    const key = this.resolve(pair.key);
    return isScalar(key) ? String(key.value) : '?';
  }

  /** The node behind an alias (`*name`), so an anchored value reads like the value itself. */
  resolve(value: unknown): Node | null {
    if (isAlias(value)) {
      const target = value.resolve(this.doc);
      return target && !isAlias(target) ? target : null;
    }
    return value && typeof value === 'object' && 'range' in value ? (value as Node) : null;
  }

  fail(node: Node | null, problem: string, hint?: string): HookflowError {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    const where = `${this.path}:${line}:${col}`;
    return new HookflowError('HF_ERR_INVALID_HOOK', `${this.path}: ${problem}`, hint ? { where, hint } : { where });
  }
}

function describeNode(node: Node | null | undefined): string {
  if (!node) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const value = node.value;
    if (value === null) return 'empty';
    if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value === 'number' ? 'the number' : 'the boolean'} ${String(value)}`;
    return `a ${typeof value}`;
  }
  return 'an unreadable value';
}

/** The known word closest to `word` (edit distance), if close enough to be a likely typo. */
export function nearestWord(word: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(word.toLowerCase(), candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(2, Math.floor(word.length / 3));
  if (best && (bestDistance <= allowed || best.startsWith(word) || word.startsWith(best))) return best;
  return null;
}
