import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { errorMessage, HookflowError } from '../errors.js';
import { newId } from '../events/ids.js';
import type { EventRecord, HookExecutionRecord, JsonObject } from '../events/model.js';
import type { RuntimeProvider } from '../events/dispatcher.js';
import type { SecretBox } from '../secrets/crypto.js';
import { nearest } from '../events/suggest.js';
import type { Store } from '../store/store.js';
import { buildHook, nameFromFile, runtimeForFile, type HookInput } from './definition.js';
import { createDryRunHost, type DryRunRecord } from './host.js';
import type { HookRecord, HookRunResult, HookScriptMeta, RetryPolicy } from './model.js';

/** What `hook add` may override; unset fields come from the file. */
export interface HookOverrides {
  name?: string;
  events?: string[];
  stack?: string | null;
  description?: string;
  filter?: string | null;
  timeout_ms?: number;
  memory_mb?: number;
  enabled?: boolean;
  cwd?: string;
  retry?: Partial<RetryPolicy>;
}

export interface SavedHook {
  hook: HookRecord;
  warnings: string[];
}

export interface HookTestResult {
  hook: string;
  event: EventRecord;
  result: HookRunResult;
  duration_ms: number;
  /** What the run would have written or dispatched; nothing was recorded. */
  dry_run: DryRunRecord;
}

export type ScriptLanguage = 'lua' | 'js' | 'ts' | 'commands';
const SCRIPT_EXTENSIONS: Record<ScriptLanguage, string> = { lua: '.lua', js: '.js', ts: '.ts', commands: '.yaml' };
const SCRIPT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const LANGUAGES: Record<string, string> = { '.lua': 'lua', '.js': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript', '.ts': 'typescript', '.mts': 'typescript', '.yaml': 'yaml', '.yml': 'yaml' };

/** Hook management, shared by the CLI, the HTTP API and start-up loading. */
export class HookService {
  constructor(
    private readonly store: Store,
    private readonly runtimes: RuntimeProvider,
    private readonly secrets: SecretBox,
    private readonly home: string,
  ) {}

  /** Reads a hook from a file (.lua, .js/.ts, .yaml), merges `overrides`, validates and saves it. */
  async addFromFile(file: string, overrides: HookOverrides = {}, options: { replace?: boolean } = {}): Promise<SavedHook> {
    const input = await this.inputFromFile(file);
    return this.save({ ...input, ...definedOnly(overrides), retry: { ...input.retry, ...overrides.retry } }, options);
  }

  /** A commands hook defined by flags alone. */
  async addCommands(definition: HookOverrides & { commands: string[] }, options: { replace?: boolean } = {}): Promise<SavedHook> {
    return this.save({ ...definedOnly(definition), runtime: 'commands', commands: definition.commands, source: null }, options);
  }

  /** An action hook defined by flags alone: a typed action and its params (templates over the event). */
  async addAction(definition: HookOverrides & { action: string; params?: JsonObject }, options: { replace?: boolean } = {}): Promise<SavedHook> {
    return this.save({ ...definedOnly(definition), runtime: 'action', action: definition.action, params: definition.params ?? {}, source: null }, options);
  }

  private async save(input: HookInput, options: { replace?: boolean }): Promise<SavedHook> {
    const built = buildHook(input);
    const runtime = await this.runtimes.get(built.hook.runtime);
    const problems = runtime?.validate ? await runtime.validate(built.hook) : [];
    if (problems.length > 0) {
      throw new HookflowError('HF_ERR_INVALID_HOOK', `hook "${built.hook.name}" is not valid:\n  - ${problems.join('\n  - ')}`, { problems });
    }
    await this.store.saveHook(built.hook, { replace: options.replace ?? false });
    return { hook: (await this.store.getHook(built.hook.name)) ?? built.hook, warnings: built.warnings };
  }

  private async inputFromFile(file: string): Promise<HookInput> {
    const path = resolve(file);
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new HookflowError('HF_ERR_NOT_FOUND', `hook file ${file} does not exist`, { where: path });
    }
    const runtime = runtimeForFile(path);
    if (!runtime) {
      throw new HookflowError('HF_ERR_INVALID_HOOK', `cannot tell the runtime of ${file} from its extension`, {
        hint: 'use .lua for Lua, .js/.mjs/.ts for JavaScript or TypeScript, .yaml/.yml for a commands hook',
      });
    }
    if (runtime === 'commands') {
      // The YAML parser is loaded with the first commands hook: engines that add none (a worker, `state get`) skip it.
      const { parseCommandsHookFile } = await import('./runtimes/commands-yaml.js');
      const spec = parseCommandsHookFile(readFileSync(path, 'utf8'), path);
      return {
        ...fromMeta(spec),
        ...(spec.action === undefined ? { runtime } : { runtime: 'action' as const, action: spec.action, params: spec.params ?? {} }),
        source: path,
        commands: spec.action === undefined ? spec.commands : null,
        cwd: spec.cwd ?? null,
        enabled: spec.enabled,
        retry: spec.retry,
        name: spec.name ?? nameFromFile(path),
      };
    }
    const inspector = await this.runtimes.get(runtime);
    const meta = inspector?.inspect ? await inspector.inspect(path) : {};
    return { ...fromMeta(meta), runtime, source: path, name: meta.name ?? nameFromFile(path) };
  }

  /**
   * A hook from script text (the API, the UI, a remote `hook add`): saved as
   * HOOKFLOW_HOME/hooks/NAME.EXT, so it is loaded again at the next start like any other hook file.
   * A failed validation leaves the folder as it was.
   */
  async addFromScript(name: string, language: ScriptLanguage, script: string, overrides: HookOverrides = {}, options: { replace?: boolean } = {}): Promise<SavedHook> {
    if (!SCRIPT_NAME.test(name)) {
      throw new HookflowError('HF_ERR_INVALID_HOOK', `hook name "${name}" is not valid`, { where: 'name', hint: 'use 1-128 letters, digits and _ . -, starting with a letter or digit' });
    }
    if (!options.replace && (await this.store.getHook(name))) {
      throw new HookflowError('HF_ERR_CONFLICT', `a hook named "${name}" exists already`, { hint: 'replace it (PUT, or `hook add --replace`) or choose another name' });
    }
    const folder = join(this.home, 'hooks');
    mkdirSync(folder, { recursive: true });
    const file = join(folder, `${name}${SCRIPT_EXTENSIONS[language]}`);
    const previous = existsSync(file) ? readFileSync(file) : null;
    const staging = `${file}.${process.pid}.tmp`;
    writeFileSync(staging, script);
    renameSync(staging, file);
    try {
      return await this.addFromFile(file, { ...overrides, name }, { replace: options.replace ?? false });
    } catch (error) {
      if (previous === null) rmSync(file, { force: true });
      else writeFileSync(file, previous);
      throw error;
    }
  }

  /** A hook's script (or its commands) as text, with the language to highlight it as. */
  async source(name: string): Promise<{ name: string; runtime: string; language: string; path: string | null; text: string }> {
    const hook = await this.get(name);
    if (!hook.source && hook.runtime === 'action') {
      return { name, runtime: hook.runtime, language: 'json', path: null, text: JSON.stringify({ action: hook.action, params: hook.params ?? {} }, null, 2) };
    }
    if (!hook.source) return { name, runtime: hook.runtime, language: 'shell', path: null, text: (hook.commands ?? []).join('\n') };
    let text: string;
    try {
      text = readFileSync(hook.source, 'utf8');
    } catch (error) {
      throw new HookflowError('HF_ERR_NOT_FOUND', `the file of hook "${name}" cannot be read: ${(error as Error).message}`, { where: hook.source });
    }
    return { name, runtime: hook.runtime, language: LANGUAGES[extname(hook.source).toLowerCase()] ?? 'plaintext', path: hook.source, text };
  }

  /**
   * Loads every hook file of a folder (HOOKFLOW_HOME/hooks by default), replacing hooks of the same
   * name. One bad file is reported and the others still load.
   */
  async loadDirectory(folder: string = join(this.home, 'hooks')): Promise<{ loaded: SavedHook[]; errors: Array<{ file: string; error: string }> }> {
    const loaded: SavedHook[] = [];
    const errors: Array<{ file: string; error: string }> = [];
    if (!existsSync(folder)) return { loaded, errors };
    for (const entry of readdirSync(folder).sort()) {
      const file = join(folder, entry);
      if (!statSync(file).isFile() || !runtimeForFile(file) || entry.endsWith('.d.ts')) continue;
      try {
        loaded.push(await this.addFromFile(file, {}, { replace: true }));
      } catch (error) {
        errors.push({ file, error: errorMessage(error) });
      }
    }
    return { loaded, errors };
  }

  list(stack?: string): Promise<HookRecord[]> {
    return this.store.listHooks({ stack: stack ?? null });
  }

  async get(name: string): Promise<HookRecord> {
    const hook = await this.store.getHook(name);
    if (!hook) throw notFound(name, await this.names());
    return hook;
  }

  async setEnabled(name: string, enabled: boolean): Promise<HookRecord> {
    if (!(await this.store.setHookEnabled(name, enabled))) throw notFound(name, await this.names());
    return this.get(name);
  }

  async remove(name: string): Promise<void> {
    if (!(await this.store.deleteHook(name))) throw notFound(name, await this.names());
  }

  async history(name: string, query: { limit?: number; onlyFailed?: boolean } = {}): Promise<HookExecutionRecord[]> {
    await this.get(name);
    return this.store.listExecutionsForHook(name, { limit: Math.min(query.limit ?? 20, 10_000), onlyFailed: query.onlyFailed ?? false });
  }

  /** Runs a hook once on a synthetic event of its type; records nothing. */
  async test(name: string, input: { data?: JsonObject; type?: string; stack?: string | null } = {}): Promise<HookTestResult> {
    const hook = await this.get(name);
    const now = Date.now();
    const type = input.type ?? hook.events.find((pattern) => !pattern.includes('*')) ?? hook.events[0].replace(/\*/g, 'test');
    const event: EventRecord = {
      id: newId(now),
      type,
      stack: input.stack ?? hook.stack,
      source: 'hook-test',
      data: input.data ?? {},
      status: 'processing',
      attempts: 1,
      error: null,
      created_at: now,
      processed_at: null,
      correlation_id: null,
      idempotency_key: null,
      parent_id: null,
    };
    const runtime = await this.runtimes.get(hook.runtime);
    if (!runtime) throw new HookflowError('HF_ERR_INVALID_HOOK', `runtime "${hook.runtime}" is not available`);
    const { host, record } = createDryRunHost(this.store, this.secrets);
    const started = performance.now();
    const result = await runtime.run({ hook, event, attempt: 1, dryRun: true }, host);
    return { hook: name, event, result, duration_ms: Math.round(performance.now() - started), dry_run: record };
  }

  private async names(): Promise<string[]> {
    return (await this.store.listHooks({})).map((hook) => hook.name);
  }
}

function notFound(name: string, names: string[]): HookflowError {
  const near = nearest(name, names) ?? names.find((candidate) => candidate.includes(name) || name.includes(candidate));
  return new HookflowError('HF_ERR_NOT_FOUND', `no hook named "${name}"`, {
    hint: near ? `did you mean ${near}?` : 'see `hookflow hook list`',
  });
}

function fromMeta(meta: HookScriptMeta): Omit<HookInput, 'runtime'> {
  return definedOnly({
    name: meta.name,
    description: meta.description,
    events: meta.events,
    stack: meta.stack,
    filter: meta.filter,
    timeout_ms: meta.timeout_ms,
  });
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
