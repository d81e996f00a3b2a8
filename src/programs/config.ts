/**
 * PyExecutorHub's config.yaml, read as hookflow reads it: `scripts:` and `bots:` maps of programs
 * and `settings:`, unchanged, plus hookflow's optional additions. Every problem of a file is
 * reported at once, each at its file:line:column and dotted path with the right form in its
 * hint; a file with errors gives no configuration (the catalog keeps the last good one), one with
 * warnings only (unknown fields, missing folders) is used.
 *
 * Lenient where PyExecutorHub's own files would otherwise break (name, description, enabled and
 * main_file have defaults; PyYAML's `yes`/`no` booleans and `<<` merge keys are honoured), strict
 * where a value is wrong.
 */
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { errorMessage, isHookflowError } from '../errors.js';
import type { JsonObject, JsonValue } from '../events/model.js';
import { nearest } from '../events/suggest.js';
import { validateCron, validateTimezone } from '../sources/config.js';
import type { ProgramKind, RunnerKind } from '../store/programs.js';
import { formatPath, loadDocument, type Locator, type Segment } from '../workflows/spec/document.js';
import { parseMemory } from '../workflows/spec/units.js';
import { pathInside, quoteParameters, splitParameters } from './launch.js';
import {
  PYEXECUTORHUB_DEFAULTS,
  type ConfigProblem,
  type NetworkMode,
  type ProgramActionStep,
  type ProgramDefinition,
  type ProgramLanguage,
  type ProgramSchedule,
  type ProgramSettings,
  type ProgramsConfig,
} from './model.js';

export interface ParseProgramsOptions {
  /** Whether a path exists (default: the file system's answer). Missing program folders and files are warnings. */
  exists?: (path: string) => boolean;
  /**
   * Allowed roots given outside the file (HOOKFLOW_PROGRAM_ROOTS), absolute: PyExecutorHub's
   * external scripts (`path: /docker/scripts/x`) then load from a config.yaml left unchanged.
   */
  extraRoots?: readonly string[];
}

export interface ProgramsConfigResult {
  /** Null when there are errors. */
  config: ProgramsConfig | null;
  errors: ConfigProblem[];
  /** The same as config.warnings when there is a config; also given when errors stop it. */
  warnings: ConfigProblem[];
}

export const TOP_LEVEL_FIELDS = ['scripts', 'bots', 'settings'] as const;
export const PROGRAM_FIELDS = [
  'id',
  'name',
  'path',
  'description',
  'enabled',
  'main_file',
  'docker_image',
  'parameters',
  'path_docker_compose_run',
  'runner',
  'env',
  'network',
  'timeout_seconds',
  'memory_limit',
  'cpu_limit',
  'max_concurrent',
  'schedule',
  'language',
  'writable',
  'sandbox',
  'before',
  'after',
] as const;
export const SETTINGS_FIELDS = [
  'docker_image',
  'timeout_seconds',
  'max_concurrent_executions',
  'memory_limit',
  'cpu_limit',
  'runner',
  'network',
  'allowed_roots',
  'interpreters',
  'retention_days',
  'retention_count',
  'output_limit_bytes',
] as const;
const SCHEDULE_FIELDS = ['cron', 'timezone', 'parameters'] as const;
const STEP_FIELDS = ['action', 'params'] as const;

export const RUNNER_KINDS: readonly RunnerKind[] = ['docker', 'compose', 'process'];
export const NETWORK_MODES: readonly NetworkMode[] = ['none', 'bridge', 'host'];
export const PROGRAM_LANGUAGES: readonly ProgramLanguage[] = ['python', 'node', 'typescript', 'bash', 'sh', 'executable'];
const INTERPRETER_LANGUAGES: readonly ProgramLanguage[] = ['python', 'node', 'typescript', 'bash', 'sh'];

/**
 * settings.network when the file names none: 'bridge', what PyExecutorHub's programs always had
 * through Docker's default network (its bots call APIs, read mail…). The process runner reads
 * it as "the host's network"; 'none' isolates a program (docker --network none, bwrap --unshare-net).
 */
export const DEFAULT_NETWORK: NetworkMode = 'bridge';
export const DEFAULT_OUTPUT_LIMIT_BYTES = 1024 * 1024;
/** Docker refuses a memory limit under 6 MB. */
const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

// ── problems ────────────────────────────────────────────────────────────────────────────────

class Report {
  readonly errors: ConfigProblem[] = [];
  readonly warnings: ConfigProblem[] = [];

  constructor(
    private readonly file: string,
    private readonly locator: Locator | null,
  ) {}

  problem(path: readonly Segment[], message: string, hint?: string, key = false): ConfigProblem {
    const position = this.locator ? this.locator.locate(path, key) : null;
    const problem: ConfigProblem = {
      message,
      where: position ? `${this.file}:${position.line}:${position.column}` : this.file,
      line: position?.line ?? null,
      column: position?.column ?? null,
      path: formatPath(path),
    };
    if (hint) problem.hint = hint;
    return problem;
  }

  error(path: readonly Segment[], message: string, hint?: string, key = false): void {
    this.errors.push(this.problem(path, message, hint, key));
  }

  warn(path: readonly Segment[], message: string, hint?: string, key = false): void {
    this.warnings.push(this.problem(path, message, hint, key));
  }
}

/** A problem as one line for people: `file:line:column path: message (hint)`. */
export function formatConfigProblem(problem: ConfigProblem): string {
  const path = problem.path ? ` ${problem.path}:` : '';
  const hint = problem.hint ? ` (${problem.hint})` : '';
  return `${problem.where}${path} ${problem.message}${hint}`;
}

function byPlace(a: ConfigProblem, b: ConfigProblem): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

// ── values ──────────────────────────────────────────────────────────────────────────────────

type Fields = Record<string, unknown>;
const BAD: unique symbol = Symbol('bad');
type Bad = typeof BAD;

/** A plain mapping: not a list, nor what a YAML tag makes (!!set, !!omap, !!binary, !!timestamp). */
function isRecord(value: unknown): value is Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function own(record: Fields, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return isRecord(value) ? 'a mapping' : `a ${value.constructor?.name ?? 'tagged'} value`;
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function suggestion(word: string, known: readonly string[]): string {
  // A field written short or long (path_docker_compose for path_docker_compose_run) is near too.
  const lower = word.toLowerCase();
  const near =
    nearest(word, known) ?? (lower.length >= 4 ? (known.find((name) => name.startsWith(lower)) ?? known.find((name) => name.length >= 4 && lower.startsWith(name)) ?? null) : null);
  return near ? `did you mean ${near}?` : `the fields are ${known.join(', ')}`;
}

/** Warns about the fields of a mapping that are not known, each at its key, with the nearest known one. */
function checkFields(report: Report, path: readonly Segment[], record: Fields, known: readonly string[], what: string): void {
  for (const key of Object.keys(record)) {
    if (known.includes(key)) continue;
    report.warn([...path, key], `unknown field "${key}" in ${what}: it is ignored`, suggestion(key, known), true);
  }
}

function text(report: Report, path: readonly Segment[], value: unknown, hint: string): string | null | Bad {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  // YAML reads `name: 2024` or `id: 42` as numbers; PyExecutorHub users mean the text.
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  report.error(path, `${String(path[path.length - 1])} must be text, not ${kindOf(value)}`, hint);
  return BAD;
}

const TRUE_WORDS = new Set(['true', 'yes', 'y', 'on']);
const FALSE_WORDS = new Set(['false', 'no', 'n', 'off']);

/** true/false, and PyYAML's (YAML 1.1) yes/no/on/off, which the yaml package (YAML 1.2) reads as text. */
function flag(report: Report, path: readonly Segment[], value: unknown, fallback: boolean): boolean | Bad {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  report.error(path, `${String(path[path.length - 1])} must be true or false, not ${kindOf(value)}`, `write ${String(path[path.length - 1])}: ${fallback}`);
  return BAD;
}

function numberOf(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(value)) return Number(value);
  return null;
}

/** A positive number (an integer with `integer`); null when absent or null. */
function positive(report: Report, path: readonly Segment[], value: unknown, options: { integer?: boolean; unit: string; example: string }): number | null | Bad {
  if (value === undefined || value === null) return null;
  const field = String(path[path.length - 1]);
  const number = numberOf(value);
  if (number === null || !Number.isFinite(number) || number <= 0 || (options.integer && !Number.isInteger(number))) {
    const kind = options.integer ? 'a whole number' : 'a number';
    report.error(path, `${field} must be ${kind} of ${options.unit} greater than 0, not ${kindOf(value)}`, `write ${field}: ${options.example}`);
    return BAD;
  }
  return number;
}

function oneOf<T extends string>(report: Report, path: readonly Segment[], value: unknown, options: readonly T[]): T | null | Bad {
  if (value === undefined || value === null) return null;
  const field = String(path[path.length - 1]);
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    const found = options.find((option) => option === word);
    if (found) return found;
    const near = nearest(word, options);
    report.error(path, `${field} "${value}" is not one of ${options.join(', ')}`, near ? `did you mean ${near}?` : `write one of ${options.join(', ')}`);
    return BAD;
  }
  report.error(path, `${field} must be one of ${options.join(', ')}, not ${kindOf(value)}`, `write ${field}: ${options[0]}`);
  return BAD;
}

interface Memory {
  bytes: number | null;
  text: string | null;
}

/** "1g", "512m", "256Mi", "1.5g", a number of bytes; 0 or null: no limit. */
function memory(report: Report, path: readonly Segment[], value: unknown): Memory | Bad {
  if (value === null || value === 0 || value === '0') return { bytes: null, text: value === null ? null : String(value) };
  const field = String(path[path.length - 1]);
  const hint = `write a size such as ${field}: "512m", "1g" or "256Mi"`;
  if (typeof value !== 'string' && typeof value !== 'number') {
    report.error(path, `${field} must be a size, not ${kindOf(value)}`, hint);
    return BAD;
  }
  // Kubernetes' binary suffixes (Mi, Gi) are the same units as Docker's m, g.
  const written = typeof value === 'string' ? value.trim().replace(/^(.*[kmgtp])i$/i, '$1') : value;
  const parsed = parseMemory(written);
  if (!parsed.ok) {
    report.error(path, `${field} ${kindOf(value)} is not a size`, hint);
    return BAD;
  }
  if (parsed.value === 0) return { bytes: null, text: String(value) };
  if (parsed.value < MIN_MEMORY_BYTES) {
    report.error(path, `${field} ${kindOf(value)} is too small: Docker needs at least 6m`, hint);
    return BAD;
  }
  return { bytes: parsed.value, text: String(value) };
}

/** CPUs: 0.5, "0.5", "1", Kubernetes' "500m" (0.5); 0 or null: no limit. */
function cpus(report: Report, path: readonly Segment[], value: unknown): number | null | Bad {
  if (value === null || value === 0 || value === '0') return null;
  const milli = typeof value === 'string' ? /^\s*(\d+)m\s*$/.exec(value) : null;
  const number = milli ? Number(milli[1]) / 1000 : numberOf(value);
  if (number === null || !Number.isFinite(number) || number <= 0) {
    const field = String(path[path.length - 1]);
    report.error(path, `${field} must be a number of CPUs such as 0.5 or "2", not ${kindOf(value)}`, `write ${field}: "0.5" for half a core`);
    return BAD;
  }
  return number;
}

/** A value for JSON (action params): no infinities, no NaN, not nested without end. */
function json(report: Report, path: readonly Segment[], value: unknown, depth = 0): JsonValue | Bad {
  if (depth > 64) {
    report.error(path, 'this value is nested too deeply (or refers to itself through an alias)', 'write it out flat');
    return BAD;
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    report.error(path, `${String(value)} is not a number JSON can hold`, 'write a finite number');
    return BAD;
  }
  if (Array.isArray(value)) {
    const items: JsonValue[] = [];
    let bad = false;
    value.forEach((item, index) => {
      const converted = json(report, [...path, index], item, depth + 1);
      if (converted === BAD) bad = true;
      else items.push(converted);
    });
    return bad ? BAD : items;
  }
  if (isRecord(value)) {
    const object: JsonObject = {};
    let bad = false;
    for (const [key, item] of Object.entries(value)) {
      const converted = json(report, [...path, key], item, depth + 1);
      if (converted === BAD) bad = true;
      else Object.defineProperty(object, key, { value: converted, enumerable: true, writable: true, configurable: true });
    }
    return bad ? BAD : object;
  }
  report.error(path, `${kindOf(value)} is not a JSON value`, 'write text, a number, true/false, a list or a mapping');
  return BAD;
}

/**
 * YAML merge keys (`<<: *defaults`), which PyYAML (so PyExecutorHub's users) honour and the yaml
 * package leaves as a `<<` key under YAML 1.2: a mapping's own keys win over merged ones, and of
 * several merged mappings the first wins.
 */
function resolveMerges(value: unknown, seen = new WeakMap<object, unknown>()): unknown {
  if (typeof value !== 'object' || value === null || (!Array.isArray(value) && !isRecord(value))) return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    seen.set(value, items);
    for (const item of value) items.push(resolveMerges(item, seen));
    return items;
  }
  const record = value as Fields;
  const out: Fields = {};
  seen.set(value, out);
  const set = (key: string, item: unknown): void => {
    Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
  };
  const merge = own(record, '<<');
  const sources = Array.isArray(merge) ? merge : [merge];
  const merging = merge !== undefined && sources.every(isRecord);
  if (merging) {
    for (const source of [...sources].reverse()) {
      const resolved = resolveMerges(source, seen);
      if (isRecord(resolved)) for (const [key, item] of Object.entries(resolved)) set(key, item);
    }
  }
  for (const [key, item] of Object.entries(record)) {
    if (merging && key === '<<') continue;
    set(key, resolveMerges(item, seen));
  }
  return out;
}

// ── paths ───────────────────────────────────────────────────────────────────────────────────

/** The real path (symbolic links resolved) of the deepest part that exists, with the rest as written. */
export function realPathOf(path: string): string {
  const rest: string[] = [];
  let current = path;
  for (;;) {
    try {
      const real = realpathSync.native(current);
      return rest.length > 0 ? join(real, ...rest.reverse()) : real;
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      rest.push(basename(current));
      current = parent;
    }
  }
}

interface Roots {
  /** Real paths, the config file's directory first. */
  real: string[];
}

function insideRoots(roots: Roots, real: string): boolean {
  return roots.real.some((root) => pathInside(root, real) !== null);
}

/** An absolute path checked against the roots; null (reported) when it escapes them. */
function confined(report: Report, path: readonly Segment[], absolute: string, roots: Roots, written: string, what: string): string | null {
  const real = realPathOf(absolute);
  if (insideRoots(roots, real)) return real;
  const throughLink = insideRoots(roots, absolute) ? ' through a symbolic link' : '';
  report.error(
    path,
    `${what} "${written}" resolves${throughLink} to ${real}, outside the allowed roots (${roots.real.join(', ')})`,
    `keep it under ${roots.real[0]}, or add its parent directory to settings.allowed_roots (or to HOOKFLOW_PROGRAM_ROOTS, leaving config.yaml as it is)`,
  );
  return null;
}

// ── settings ────────────────────────────────────────────────────────────────────────────────

export function defaultProgramSettings(directory: string): ProgramSettings {
  const memoryBytes = parseMemory(PYEXECUTORHUB_DEFAULTS.memory_limit);
  return {
    docker_image: PYEXECUTORHUB_DEFAULTS.docker_image,
    timeout_seconds: PYEXECUTORHUB_DEFAULTS.timeout_seconds,
    max_concurrent_executions: PYEXECUTORHUB_DEFAULTS.max_concurrent_executions,
    memory_limit: memoryBytes.ok ? memoryBytes.value : null,
    memory_limit_text: PYEXECUTORHUB_DEFAULTS.memory_limit,
    cpu_limit: Number(PYEXECUTORHUB_DEFAULTS.cpu_limit),
    runner: null,
    network: DEFAULT_NETWORK,
    allowed_roots: [realPathOf(directory)],
    interpreters: {},
    retention_days: null,
    retention_count: null,
    output_limit_bytes: DEFAULT_OUTPUT_LIMIT_BYTES,
  };
}

/** No programs, default settings: what a missing file means. */
export function emptyProgramsConfig(file: string, warnings: ConfigProblem[] = []): ProgramsConfig {
  const absolute = resolve(file);
  const directory = dirname(absolute);
  return { file: absolute, directory, programs: [], settings: defaultProgramSettings(directory), warnings };
}

const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;

function image(report: Report, path: readonly Segment[], value: unknown): string | null | Bad {
  const written = text(report, path, value, 'write an image such as "python:3.11-slim"');
  if (written === null || written === BAD) return written;
  const field = String(path[path.length - 1]);
  const trimmed = written.trim();
  if (trimmed === '') return null;
  if (!IMAGE.test(trimmed) || trimmed.length > 512) {
    report.error(path, `${field} "${written}" is not an image reference`, 'write an image such as "python:3.11-slim" or "registry.example.com/team/app:1.2"');
    return BAD;
  }
  const name = trimmed.split('@')[0];
  const colon = name.lastIndexOf(':');
  const repository = colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
  if (/[A-Z]/.test(repository)) {
    report.error(path, `${field} "${written}": Docker repository names must be lowercase`, `write "${repository.toLowerCase()}${trimmed.slice(repository.length)}"`);
    return BAD;
  }
  return trimmed;
}

function parseSettings(report: Report, value: unknown, directory: string, exists: (path: string) => boolean): { settings: ProgramSettings; roots: Roots } {
  const settings = defaultProgramSettings(directory);
  const roots: Roots = { real: [...settings.allowed_roots] };
  if (value === undefined || value === null) return { settings, roots };
  const base: Segment[] = ['settings'];
  if (!isRecord(value)) {
    report.error(base, `settings must be a mapping, not ${kindOf(value)}`, 'write settings: with docker_image, timeout_seconds, max_concurrent_executions, memory_limit, cpu_limit');
    return { settings, roots };
  }
  checkFields(report, base, value, SETTINGS_FIELDS, 'settings');
  const at = (field: string): Segment[] => [...base, field];

  const dockerImage = image(report, at('docker_image'), own(value, 'docker_image'));
  if (typeof dockerImage === 'string') settings.docker_image = dockerImage;
  const timeout = positive(report, at('timeout_seconds'), own(value, 'timeout_seconds'), { unit: 'seconds', example: '300' });
  if (typeof timeout === 'number') settings.timeout_seconds = timeout;
  const concurrent = positive(report, at('max_concurrent_executions'), own(value, 'max_concurrent_executions'), { integer: true, unit: 'executions', example: '5' });
  if (typeof concurrent === 'number') settings.max_concurrent_executions = concurrent;
  if (Object.hasOwn(value, 'memory_limit')) {
    const limit = memory(report, at('memory_limit'), own(value, 'memory_limit'));
    if (limit !== BAD) {
      settings.memory_limit = limit.bytes;
      settings.memory_limit_text = limit.text;
    }
  }
  if (Object.hasOwn(value, 'cpu_limit')) {
    const limit = cpus(report, at('cpu_limit'), own(value, 'cpu_limit'));
    if (limit !== BAD) settings.cpu_limit = limit;
  }
  const runner = oneOf(report, at('runner'), own(value, 'runner'), RUNNER_KINDS);
  if (runner === 'compose') {
    report.error(at('runner'), 'runner compose cannot be the default: it needs a path_docker_compose_run per program', 'write runner: docker or runner: process (a program with path_docker_compose_run runs with compose anyway)');
  } else if (runner !== BAD) settings.runner = runner;
  const network = oneOf(report, at('network'), own(value, 'network'), NETWORK_MODES);
  if (network !== null && network !== BAD) settings.network = network;

  const allowed = own(value, 'allowed_roots');
  if (allowed !== undefined && allowed !== null) {
    const list = typeof allowed === 'string' ? [allowed] : allowed;
    if (!Array.isArray(list)) {
      report.error(at('allowed_roots'), `allowed_roots must be a list of directories, not ${kindOf(allowed)}`, 'write allowed_roots: ["/srv/scripts"]');
    } else {
      list.forEach((item, index) => {
        const path = typeof allowed === 'string' ? at('allowed_roots') : [...at('allowed_roots'), index];
        if (typeof item !== 'string' || item.trim() === '') {
          report.error(path, `an allowed root must be a directory path, not ${kindOf(item)}`, 'write an absolute path, or one relative to the config file: "/srv/scripts"');
          return;
        }
        const absolute = resolve(directory, item.trim());
        if (!exists(absolute)) report.warn(path, `allowed root ${absolute} does not exist`, 'create it, or remove it from allowed_roots');
        const real = realPathOf(absolute);
        if (!roots.real.includes(real)) roots.real.push(real);
      });
      settings.allowed_roots = [...roots.real];
    }
  }

  const interpreters = own(value, 'interpreters');
  if (interpreters !== undefined && interpreters !== null) {
    if (!isRecord(interpreters)) {
      report.error(at('interpreters'), `interpreters must be a mapping of language to command, not ${kindOf(interpreters)}`, 'write interpreters: {python: /usr/bin/python3}');
    } else {
      for (const [language, command] of Object.entries(interpreters)) {
        const path = [...at('interpreters'), language];
        if (!INTERPRETER_LANGUAGES.includes(language as ProgramLanguage)) {
          report.warn(path, `unknown language "${language}" in interpreters: it is ignored`, suggestion(language, INTERPRETER_LANGUAGES), true);
          continue;
        }
        if (typeof command !== 'string' || command.trim() === '') {
          report.error(path, `the ${language} interpreter must be a command, not ${kindOf(command)}`, `write ${language}: ${language === 'python' ? '/usr/bin/python3' : language}`);
          continue;
        }
        try {
          splitParameters(command);
          settings.interpreters[language as ProgramLanguage] = command.trim();
        } catch (error) {
          report.error(path, `the ${language} interpreter: ${errorMessage(error)}`, 'write a command and its arguments, like "python3 -u"');
        }
      }
    }
  }

  const days = positive(report, at('retention_days'), own(value, 'retention_days'), { unit: 'days', example: '30' });
  if (typeof days === 'number') settings.retention_days = days;
  const count = positive(report, at('retention_count'), own(value, 'retention_count'), { integer: true, unit: 'executions', example: '1000' });
  if (typeof count === 'number') settings.retention_count = count;
  const outputLimit = own(value, 'output_limit_bytes');
  if (outputLimit !== undefined && outputLimit !== null) {
    const parsed = typeof outputLimit === 'string' || typeof outputLimit === 'number' ? parseMemory(typeof outputLimit === 'string' ? outputLimit.replace(/^(.*[kmgtp])i$/i, '$1') : outputLimit) : null;
    if (!parsed || !parsed.ok || parsed.value < 1) {
      report.error(at('output_limit_bytes'), `output_limit_bytes must be a size greater than 0, not ${kindOf(outputLimit)}`, 'write output_limit_bytes: 1048576, or "1m"');
    } else settings.output_limit_bytes = parsed.value;
  }
  return { settings, roots };
}

// ── programs ────────────────────────────────────────────────────────────────────────────────

interface Identity {
  key: string;
  id: string;
  kind: ProgramKind;
  where: string;
  /** Whether the file names the id (a duplicate is shown at it then, else at the key). */
  explicitId: boolean;
}

interface ProgramContext {
  report: Report;
  /** Every program's names, even of programs with errors: duplicates are reported with the rest. */
  identities: Identity[];
  settings: ProgramSettings;
  roots: Roots;
  directory: string;
  exists: (path: string) => boolean;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function envMap(report: Report, path: readonly Segment[], value: unknown): Record<string, string> | Bad {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) {
    report.error(path, `env must be a mapping of variable names to values, not ${kindOf(value)}`, 'write env: {LOG_LEVEL: debug}');
    return BAD;
  }
  const env: Record<string, string> = {};
  let bad = false;
  for (const [name, item] of Object.entries(value)) {
    const itemPath = [...path, name];
    if (!ENV_NAME.test(name)) {
      report.error(itemPath, `"${name}" is not a variable name`, 'use letters, digits and _, not starting with a digit: LOG_LEVEL', true);
      bad = true;
      continue;
    }
    if (name === 'PROGRAM_ID' || name === 'EXECUTION_ID' || name.startsWith('PARAM_')) {
      report.warn(itemPath, `${name} is set by hookflow for every execution: this value is replaced`, 'choose another name', true);
    }
    if (item === null) env[name] = '';
    else if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') env[name] = String(item);
    else {
      report.error(itemPath, `${name} must be text, a number or true/false, not ${kindOf(item)}`, `write ${name}: "value"`);
      bad = true;
    }
  }
  return bad ? BAD : env;
}

function schedule(report: Report, path: readonly Segment[], value: unknown): ProgramSchedule | null | Bad {
  if (value === undefined || value === null) return null;
  const record: Fields | null = typeof value === 'string' ? { cron: value } : isRecord(value) ? value : null;
  if (!record) {
    report.error(path, `schedule must be a cron expression or a mapping with cron, timezone and parameters, not ${kindOf(value)}`, 'write schedule: {cron: "0 6 * * *", timezone: "Europe/Paris"}');
    return BAD;
  }
  if (isRecord(value)) checkFields(report, path, value, SCHEDULE_FIELDS, 'a schedule');
  const cronPath = typeof value === 'string' ? path : [...path, 'cron'];
  let bad = false;
  let timezone: string | null = null;
  try {
    timezone = validateTimezone(own(record, 'timezone'));
  } catch (error) {
    report.error([...path, 'timezone'], errorMessage(isHookflowError(error) ? error.message : error), isHookflowError(error) ? error.details.hint : undefined);
    bad = true;
  }
  let cron = '';
  if (own(record, 'cron') === undefined) {
    report.error(path, 'a schedule needs a cron expression', 'write cron: "*/15 * * * *"', true);
    bad = true;
  } else {
    try {
      cron = validateCron(own(record, 'cron'), timezone);
    } catch (error) {
      report.error(cronPath, isHookflowError(error) ? error.message : errorMessage(error), isHookflowError(error) ? error.details.hint : undefined);
      bad = true;
    }
  }
  const parameters: Record<string, string> = {};
  const given = own(record, 'parameters');
  if (given !== undefined && given !== null) {
    if (!isRecord(given)) {
      report.error([...path, 'parameters'], `schedule parameters must be a mapping (each becomes PARAM_<KEY>), not ${kindOf(given)}`, 'write parameters: {mode: nightly}');
      bad = true;
    } else {
      for (const [key, item] of Object.entries(given)) {
        const converted = json(report, [...path, 'parameters', key], item);
        if (converted === BAD) bad = true;
        else parameters[key] = typeof converted === 'string' ? converted : JSON.stringify(converted);
      }
    }
  }
  return bad ? BAD : { cron, timezone, parameters };
}

function steps(report: Report, path: readonly Segment[], value: unknown): ProgramActionStep[] | Bad {
  if (value === undefined || value === null) return [];
  const field = String(path[path.length - 1]);
  if (!Array.isArray(value)) {
    report.error(path, `${field} must be a list of actions, not ${kindOf(value)}`, `write ${field}: [{action: log, params: {message: "hello"}}]`);
    return BAD;
  }
  const list: ProgramActionStep[] = [];
  let bad = false;
  value.forEach((item, index) => {
    const itemPath = [...path, index];
    if (typeof item === 'string' && item.trim() !== '') {
      list.push({ action: item.trim(), params: {} });
      return;
    }
    if (!isRecord(item)) {
      report.error(itemPath, `an action must be a mapping with action and params, not ${kindOf(item)}`, '{action: log, params: {message: "hello"}}');
      bad = true;
      return;
    }
    checkFields(report, itemPath, item, STEP_FIELDS, 'an action step');
    const action = own(item, 'action');
    if (typeof action !== 'string' || action.trim() === '') {
      report.error(action === undefined ? itemPath : [...itemPath, 'action'], action === undefined ? 'an action step needs the action to run' : `action must be an action name, not ${kindOf(action)}`, 'write action: log');
      bad = true;
      return;
    }
    const params = own(item, 'params');
    if (params !== undefined && params !== null && !isRecord(params)) {
      report.error([...itemPath, 'params'], `params must be a mapping, not ${kindOf(params)}`, 'write params: {message: "hello"}');
      bad = true;
      return;
    }
    const converted = params === undefined || params === null ? {} : json(report, [...itemPath, 'params'], params);
    if (converted === BAD) bad = true;
    else list.push({ action: action.trim(), params: converted as JsonObject });
  });
  return bad ? BAD : list;
}

/** Argv from the `parameters` string, or a list of words (a hookflow convenience). */
function parameters(report: Report, path: readonly Segment[], value: unknown): { argv: string[]; text: string | null } | Bad {
  if (value === undefined || value === null) return { argv: [], text: null };
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean')) {
      const argv = value.map(String);
      return { argv, text: quoteParameters(argv) };
    }
    report.error(path, 'parameters as a list must hold only words', 'write parameters: "--mode production --verbose", or ["--mode", "production"]');
    return BAD;
  }
  if (typeof value !== 'string' && typeof value !== 'number') {
    report.error(path, `parameters must be the command-line arguments as text, not ${kindOf(value)}`, 'write parameters: "--mode production --verbose"');
    return BAD;
  }
  const written = String(value);
  try {
    return { argv: splitParameters(written), text: written };
  } catch (error) {
    report.error(path, isHookflowError(error) ? error.message : errorMessage(error), isHookflowError(error) ? error.details.hint : undefined);
    return BAD;
  }
}

function mainFile(report: Report, path: readonly Segment[], value: unknown): string | null | Bad {
  const written = text(report, path, value, 'write main_file: "main.py"');
  if (written === null || written === BAD) return written;
  const trimmed = written.trim();
  if (trimmed === '') return null;
  const normalized = normalize(trimmed);
  if (isAbsolute(trimmed) || normalized === '..' || normalized.startsWith(`..${sep}`)) {
    report.error(path, `main_file "${written}" must be inside the program's directory`, 'write a path relative to the program\'s path, such as "main.py" or "src/run.py"');
    return BAD;
  }
  return trimmed;
}

function parseProgram(context: ProgramContext, section: 'scripts' | 'bots', key: string, entry: unknown): ProgramDefinition | null {
  const { report, settings, roots, directory, exists } = context;
  const base: Segment[] = [section, key];
  const at = (field: string): Segment[] => [...base, field];
  const kind: ProgramKind = section === 'scripts' ? 'script' : 'bot';
  const pathHint = `write path: "${section}/${key}" (relative to the config file) under this program`;
  if (entry === undefined || entry === null) {
    report.error(base, `program ${key} has no fields: it needs at least a path`, pathHint, true);
    return null;
  }
  if (!isRecord(entry)) {
    report.error(base, `program ${key} must be a mapping of its fields, not ${kindOf(entry)}`, pathHint);
    return null;
  }
  checkFields(report, base, entry, PROGRAM_FIELDS, `program ${key}`);
  let bad = false;
  const take = <T>(value: T | Bad): T | null => {
    if (value === BAD) {
      bad = true;
      return null;
    }
    return value;
  };

  let id = take(text(report, at('id'), own(entry, 'id'), `write id: "${key}"`));
  if (id !== null && id.trim() === '') {
    report.error(at('id'), 'id must not be empty', `write id: "${key}", or leave it out (the key is the id then)`);
    bad = true;
  }
  if (id !== null && /[\u0000-\u001f\u007f]/.test(id)) {
    report.error(at('id'), 'id must not hold control characters', `write id: "${key}"`);
    bad = true;
  }
  id = id?.trim() || key;
  context.identities.push({ key, id, kind, where: report.problem(base, '', undefined, true).where, explicitId: own(entry, 'id') !== undefined && own(entry, 'id') !== null });
  const name = take(text(report, at('name'), own(entry, 'name'), `write name: "${key}"`)) ?? key;
  const description = take(text(report, at('description'), own(entry, 'description'), 'write description: "what it does"')) ?? '';
  const enabled = take(flag(report, at('enabled'), own(entry, 'enabled'), true)) ?? true;

  const rawPath = own(entry, 'path');
  let programDirectory: string | null = null;
  let lexicalDirectory: string | null = null;
  if (rawPath === undefined || rawPath === null || (typeof rawPath === 'string' && rawPath.trim() === '')) {
    report.error(rawPath === undefined ? base : at('path'), `program ${key} needs a path: the directory holding its files`, pathHint, rawPath === undefined);
    bad = true;
  } else if (typeof rawPath !== 'string') {
    report.error(at('path'), `path must be a directory path, not ${kindOf(rawPath)}`, pathHint);
    bad = true;
  } else {
    lexicalDirectory = resolve(directory, rawPath.trim());
    programDirectory = confined(report, at('path'), lexicalDirectory, roots, rawPath, 'path');
    if (programDirectory === null) bad = true;
  }

  const main = take(mainFile(report, at('main_file'), own(entry, 'main_file')));
  const dockerImage = take(image(report, at('docker_image'), own(entry, 'docker_image')));
  const argv = take(parameters(report, at('parameters'), own(entry, 'parameters')));

  const rawCompose = own(entry, 'path_docker_compose_run');
  const hasCompose = typeof rawCompose === 'string' ? rawCompose.trim() !== '' : rawCompose !== undefined && rawCompose !== null;
  let composeFile: string | null = null;
  if (hasCompose) {
    if (typeof rawCompose !== 'string') {
      report.error(at('path_docker_compose_run'), `path_docker_compose_run must be a file path, not ${kindOf(rawCompose)}`, 'write path_docker_compose_run: "docker-compose.yml" (relative to the program\'s path)');
      bad = true;
    } else if (lexicalDirectory !== null) {
      // Relative to the program's path, as PyExecutorHub resolves it.
      const absolute = resolve(lexicalDirectory, rawCompose.trim());
      composeFile = confined(report, at('path_docker_compose_run'), absolute, roots, rawCompose, 'path_docker_compose_run');
      if (composeFile === null) bad = true;
    }
  }

  const ownRunner = take(oneOf(report, at('runner'), own(entry, 'runner'), RUNNER_KINDS));
  const runner: RunnerKind | null = ownRunner ?? (hasCompose ? 'compose' : settings.runner);
  if (ownRunner === 'compose' && !hasCompose) {
    report.error(at('runner'), `runner compose needs path_docker_compose_run: the compose file to run`, 'add path_docker_compose_run: "docker-compose.yml" (relative to the program\'s path), or choose runner: docker or process');
    bad = true;
  } else if (ownRunner !== null && ownRunner !== 'compose' && composeFile !== null) {
    report.warn(at('path_docker_compose_run'), `path_docker_compose_run is ignored: the program's runner is ${ownRunner}`, 'remove runner: to run it with compose');
  }

  const env = take(envMap(report, at('env'), own(entry, 'env')));
  const network = take(oneOf(report, at('network'), own(entry, 'network'), NETWORK_MODES)) ?? settings.network;
  const timeout = take(positive(report, at('timeout_seconds'), own(entry, 'timeout_seconds'), { unit: 'seconds', example: '300' })) ?? settings.timeout_seconds;
  let memoryLimit: Memory = { bytes: settings.memory_limit, text: settings.memory_limit_text };
  if (Object.hasOwn(entry, 'memory_limit')) memoryLimit = take(memory(report, at('memory_limit'), own(entry, 'memory_limit'))) ?? memoryLimit;
  let cpuLimit = settings.cpu_limit;
  if (Object.hasOwn(entry, 'cpu_limit')) {
    const limit = cpus(report, at('cpu_limit'), own(entry, 'cpu_limit'));
    if (limit === BAD) bad = true;
    else cpuLimit = limit;
  }
  const maxConcurrent = take(positive(report, at('max_concurrent'), own(entry, 'max_concurrent'), { integer: true, unit: 'executions', example: '1' }));
  const programSchedule = take(schedule(report, at('schedule'), own(entry, 'schedule')));
  const language = take(oneOf(report, at('language'), own(entry, 'language'), PROGRAM_LANGUAGES));
  const writable = take(flag(report, at('writable'), own(entry, 'writable'), false)) ?? false;
  const sandbox = take(flag(report, at('sandbox'), own(entry, 'sandbox'), true)) ?? true;
  const before = take(steps(report, at('before'), own(entry, 'before')));
  const after = take(steps(report, at('after'), own(entry, 'after')));

  if (programDirectory !== null) {
    // PyExecutorHub fails only when it runs the program; a folder may well come after the config.
    if (!exists(programDirectory)) {
      report.warn(at('path'), `directory ${programDirectory} does not exist: executions of ${id} fail until it does`, 'create it, or correct path');
    } else if (runner !== 'compose') {
      if (main !== null && !exists(join(programDirectory, main))) {
        report.warn(at('main_file'), `main_file ${main} is not in ${programDirectory}: executions of ${id} fail until it is`, 'create it, or correct main_file');
      }
    }
    if (composeFile !== null && !exists(composeFile)) {
      report.warn(at('path_docker_compose_run'), `compose file ${composeFile} does not exist: executions of ${id} fail until it does`, 'create it, or correct path_docker_compose_run');
    }
  }

  if (bad || programDirectory === null) return null;
  return {
    key,
    id,
    name,
    description,
    kind,
    enabled,
    directory: programDirectory,
    main_file: main,
    docker_image: dockerImage,
    argv: argv?.argv ?? [],
    parameters: argv?.text ?? null,
    compose_file: composeFile,
    runner,
    env: env ?? {},
    network,
    timeout_seconds: timeout,
    memory_limit: memoryLimit.bytes,
    memory_limit_text: memoryLimit.text,
    cpu_limit: cpuLimit,
    max_concurrent: maxConcurrent,
    schedule: programSchedule,
    language,
    writable,
    sandbox,
    before: before ?? [],
    after: after ?? [],
    where: report.problem(base, '', undefined, true).where,
  };
}

// ── lookup ──────────────────────────────────────────────────────────────────────────────────

/**
 * The program a name means, as PyExecutorHub looks it up: scripts before bots, and in each a map
 * key before an `id`. Disabled programs are found too (the caller tells them apart).
 */
export function lookupProgram<T extends Pick<ProgramDefinition, 'key' | 'id' | 'kind'>>(programs: readonly T[], name: string): T | null {
  for (const kind of ['script', 'bot'] as const) {
    const ofKind = programs.filter((program) => program.kind === kind);
    const found = ofKind.find((program) => program.key === name) ?? ofKind.find((program) => program.id === name);
    if (found) return found;
  }
  return null;
}

function sectionOf(kind: ProgramKind): string {
  return kind === 'script' ? 'scripts' : 'bots';
}

/** Ids unique across scripts and bots (an error); a name that finds another program first (a warning). */
function crossCheck(report: Report, identities: Identity[]): void {
  const byId = new Map<string, Identity>();
  const duplicated = new Set<Identity>();
  for (const identity of identities) {
    const first = byId.get(identity.id);
    if (!first) {
      byId.set(identity.id, identity);
      continue;
    }
    const section = sectionOf(identity.kind);
    report.error(
      identity.explicitId ? [section, identity.key, 'id'] : [section, identity.key],
      `id "${identity.id}" is already the id of ${sectionOf(first.kind)}.${first.key} (${first.where})${identity.explicitId ? '' : ': a program without id has its key as id'}`,
      'ids must be unique across scripts and bots: give one of them another id',
      !identity.explicitId,
    );
    duplicated.add(identity);
  }
  for (const identity of identities) {
    if (duplicated.has(identity)) continue;
    for (const name of new Set([identity.key, identity.id])) {
      const winner = lookupProgram(identities, name);
      if (!winner || winner === identity || duplicated.has(winner)) continue;
      const other = name === identity.key ? identity.id : identity.key;
      report.warn(
        [sectionOf(identity.kind), identity.key],
        `looking up "${name}" finds ${sectionOf(winner.kind)}.${winner.key}, not this program`,
        other !== name ? `this one is found as "${other}"; give one of them another name` : 'give one of them another name',
        true,
      );
    }
  }
}

// ── the file ────────────────────────────────────────────────────────────────────────────────

function parse(text: string, file: string, options: ParseProgramsOptions): ProgramsConfigResult {
  const directory = dirname(file);
  const exists = options.exists ?? existsSync;
  const document = loadDocument(text, { syntax: 'yaml' });
  const report = new Report(file, document.locator);
  if (document.errors.length > 0) {
    for (const problem of document.errors) {
      report.errors.push({ message: `invalid YAML: ${problem.message}`, where: `${file}:${problem.line}:${problem.column}`, line: problem.line, column: problem.column, path: '' });
    }
    return { config: null, errors: report.errors, warnings: [] };
  }
  const value = resolveMerges(document.value);
  if (value === null || value === undefined) {
    const config = emptyProgramsConfig(file);
    return { config, errors: [], warnings: config.warnings };
  }
  if (!isRecord(value)) {
    report.error([], `the programs configuration must be a mapping with scripts:, bots: and settings:, not ${kindOf(value)}`, 'start the file with scripts:');
    return { config: null, errors: report.errors, warnings: [] };
  }
  for (const key of Object.keys(value)) {
    // Room for YAML anchors to merge from, as in compose files: `x-defaults: &defaults`.
    if ((TOP_LEVEL_FIELDS as readonly string[]).includes(key) || key.startsWith('x-') || key.startsWith('.')) continue;
    report.warn([key], `unknown section "${key}": it is ignored`, `${suggestion(key, TOP_LEVEL_FIELDS)} (keys starting with x- hold shared values without a warning)`, true);
  }
  const { settings, roots } = parseSettings(report, own(value, 'settings'), directory, exists);
  for (const root of options.extraRoots ?? []) {
    const real = realPathOf(resolve(root));
    if (!roots.real.includes(real)) roots.real.push(real);
  }
  settings.allowed_roots = [...roots.real];
  const context: ProgramContext = { report, identities: [], settings, roots, directory, exists };
  const programs: ProgramDefinition[] = [];
  for (const section of ['scripts', 'bots'] as const) {
    const entries = own(value, section);
    if (entries === undefined || entries === null) continue;
    if (!isRecord(entries)) {
      report.error([section], `${section} must be a mapping of program keys to programs, not ${kindOf(entries)}`, `under ${section}: one entry per program, like my_program: {path: "${section}/my_program"}`);
      continue;
    }
    for (const [key, entry] of Object.entries(entries)) {
      const program = parseProgram(context, section, key, entry);
      if (program) programs.push(program);
    }
  }
  crossCheck(report, context.identities);
  report.errors.sort(byPlace);
  report.warnings.sort(byPlace);
  if (report.errors.length > 0) return { config: null, errors: report.errors, warnings: report.warnings };
  return { config: { file, directory, programs, settings, warnings: report.warnings }, errors: [], warnings: report.warnings };
}

/**
 * Reads the text of a programs configuration found at `file` (relative paths in it are relative
 * to its directory). Never throws: every problem is in the result.
 */
export function parseProgramsConfig(text: string, file: string, options: ParseProgramsOptions = {}): ProgramsConfigResult {
  const absolute = resolve(file);
  try {
    return parse(text, absolute, options);
  } catch (error) {
    const problem: ConfigProblem = { message: `the programs configuration could not be read: ${errorMessage(error)}`, where: absolute, line: null, column: null, path: '' };
    return { config: null, errors: [problem], warnings: [] };
  }
}
