/**
 * The programs configuration in force: config.yaml read, then watched. A change is read once the
 * file has stopped changing; an edit with errors is reported (each problem at file:line:column)
 * and the last good configuration stays in force; a missing file is an empty configuration with a
 * note, and a file appearing later is picked up. Editors that save by writing a new file and
 * renaming it over the old one are handled: the directory is watched, not the file's inode.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { errorMessage, HookflowError } from '../errors.js';
import { nearest } from '../events/suggest.js';
import { emptyProgramsConfig, lookupProgram, parseProgramsConfig, type ParseProgramsOptions } from './config.js';
import type { ConfigProblem, ProgramDefinition, ProgramsConfig } from './model.js';

export interface ProgramCatalogOptions {
  /** How long (ms) the file must stay the same size before a change is read (default 100). */
  stabilityMs?: number;
  /** How long (ms) after the last notification the file is read (default 50). */
  debounceMs?: number;
  /**
   * How long (ms) a file that disappeared must stay away before it counts as deleted (default 500):
   * an editor saving by delete-then-create must not empty the configuration for a moment.
   */
  missingGraceMs?: number;
  /** How often (ms) to look for the config's directory when it does not exist yet (default 1000). */
  appearPollMs?: number;
  /** Called with the errors of each rejected edit (as the 'invalid' event). */
  onProblems?: (problems: ConfigProblem[]) => void;
  parse?: ParseProgramsOptions;
}

export type ProgramCatalogEvents = {
  /** A new configuration is in force (also a deleted file's empty one). */
  reloaded: [config: ProgramsConfig];
  /** An edit was rejected: the problems; the previous configuration stays in force. */
  invalid: [problems: ConfigProblem[]];
  /** The watcher failed (the configuration in force is unchanged). */
  watch_error: [error: unknown];
};

export interface CatalogLoadResult {
  /** The configuration in force after the read. */
  config: ProgramsConfig;
  /** The problems that stopped the file being used; empty when it was. */
  errors: ConfigProblem[];
  /** Whether the configuration in force changed. */
  changed: boolean;
}

export type ProgramLookup = { program: ProgramDefinition } | { error: 'not_found'; suggestion: string | null } | { error: 'disabled'; program: ProgramDefinition };

/** Larger than any sensible config.yaml; reading more would only slow a mistake down. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

type FileState = { kind: 'missing' } | { kind: 'text'; text: string } | { kind: 'unread' };

export class ProgramCatalog extends EventEmitter<ProgramCatalogEvents> {
  private path: string;
  private config: ProgramsConfig;
  private problems: ConfigProblem[] = [];
  /** What the file held at the last read (valid or not): the same content is not read twice. */
  private seen: FileState = { kind: 'unread' };
  private loaded = false;
  private closed = false;
  private watcher: FSWatcher | null = null;
  private started: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private poller: NodeJS.Timeout | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    file: string,
    private readonly options: ProgramCatalogOptions = {},
  ) {
    super();
    this.path = resolve(file);
    this.config = emptyProgramsConfig(this.path);
  }

  /** Absolute path of the config file. */
  get file(): string {
    return this.path;
  }

  /** Reads the file (another one when given, before start()). Never rejects for the file's problems: they are in the result. */
  load(file?: string): Promise<CatalogLoadResult> {
    if (file !== undefined && resolve(file) !== this.path) {
      if (this.watcher || this.started) {
        return Promise.reject(new HookflowError('HF_ERR_INVALID_ARGUMENT', 'the programs catalog is already watching its file', { where: this.path, hint: 'close() it and create another' }));
      }
      this.path = resolve(file);
      this.config = emptyProgramsConfig(this.path);
      this.seen = { kind: 'unread' };
    }
    return this.reload();
  }

  /** Reads the file now (one read at a time, in order). */
  reload(): Promise<CatalogLoadResult> {
    const next = this.queue.then(() => this.read());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Watches the file and reloads on change; resolves once changes are being seen. */
  start(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.started ??= (async () => {
      if (!this.loaded) await this.reload();
      await this.watchDirectory();
    })();
    return this.started;
  }

  current(): ProgramsConfig {
    return this.config;
  }

  /** The errors of the last read when it was refused (the configuration in force is older); empty when it was used. */
  lastProblems(): ConfigProblem[] {
    return this.problems;
  }

  /** A program by map key or id, scripts before bots; a disabled one is an error of its own. */
  find(idOrKey: string): ProgramLookup {
    const program = lookupProgram(this.config.programs, idOrKey);
    if (!program) {
      const names = this.enabledPrograms().flatMap((candidate) => [candidate.id, candidate.key]);
      return { error: 'not_found', suggestion: nearest(idOrKey, names) };
    }
    if (!program.enabled) return { error: 'disabled', program };
    return { program };
  }

  /** find() for callers that answer with an error: HF_ERR_PROGRAM_NOT_FOUND (404) or HF_ERR_PROGRAM_DISABLED (400). */
  get(idOrKey: string): ProgramDefinition {
    const found = this.find(idOrKey);
    if (!('error' in found)) return found.program;
    if (found.error === 'disabled') {
      throw new HookflowError('HF_ERR_PROGRAM_DISABLED', `Program '${idOrKey}' is disabled`, { where: found.program.where, hint: 'set enabled: true for it in config.yaml to run it' });
    }
    const known = this.enabledPrograms().map((program) => program.id);
    const hint = found.suggestion ? `did you mean ${found.suggestion}?` : known.length > 0 ? `programs: ${known.slice(0, 20).join(', ')}` : `${this.path} has no enabled programs`;
    throw new HookflowError('HF_ERR_PROGRAM_NOT_FOUND', `Program '${idOrKey}' not found`, { where: this.path, hint });
  }

  /** Programs users can run: the enabled ones, scripts before bots, each in file order. */
  enabledPrograms(): ProgramDefinition[] {
    return this.config.programs.filter((program) => program.enabled);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.poller) clearInterval(this.poller);
    this.timer = null;
    this.poller = null;
    await this.started?.catch(() => undefined);
    await this.watcher?.close();
    this.watcher = null;
    await this.queue;
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────────

  private async read(): Promise<CatalogLoadResult> {
    this.loaded = true;
    let text: string;
    try {
      const buffer = await readFile(this.path);
      if (buffer.length > MAX_FILE_BYTES) throw new Error(`it is ${buffer.length} bytes, more than the ${MAX_FILE_BYTES} a configuration may have`);
      text = buffer.toString('utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return this.missing();
      return this.refuse([{ message: `cannot read the programs configuration: ${errorMessage(error)}`, where: this.path, line: null, column: null, path: '' }], null);
    }
    if (this.seen.kind === 'text' && this.seen.text === text) return { config: this.config, errors: this.problems, changed: false };
    const result = parseProgramsConfig(text, this.path, this.options.parse);
    if (!result.config) return this.refuse(result.errors, text);
    this.seen = { kind: 'text', text };
    return this.use(result.config);
  }

  private missing(): CatalogLoadResult {
    if (this.seen.kind === 'missing') return { config: this.config, errors: this.problems, changed: false };
    this.seen = { kind: 'missing' };
    const note: ConfigProblem = {
      message: `no programs configuration at ${this.path}: no programs are defined (it is read when it appears)`,
      where: this.path,
      line: null,
      column: null,
      path: '',
      hint: 'create it with scripts:, bots: and settings: as in PyExecutorHub',
    };
    return this.use(emptyProgramsConfig(this.path, [note]));
  }

  private use(config: ProgramsConfig): CatalogLoadResult {
    this.config = config;
    this.problems = [];
    this.emit('reloaded', config);
    return { config, errors: [], changed: true };
  }

  private refuse(problems: ConfigProblem[], text: string | null): CatalogLoadResult {
    // The same invalid content is reported once; an unreadable file each time it is tried.
    if (text !== null) this.seen = { kind: 'text', text };
    this.problems = problems;
    this.options.onProblems?.(problems);
    this.emit('invalid', problems);
    return { config: this.config, errors: problems, changed: false };
  }

  // ── watching ──────────────────────────────────────────────────────────────────────────────

  private async watchDirectory(): Promise<void> {
    const directory = dirname(this.path);
    if (!existsSync(directory)) {
      this.poller = setInterval(() => {
        if (this.closed || !existsSync(directory)) return;
        if (this.poller) clearInterval(this.poller);
        this.poller = null;
        void this.watchDirectory().catch((error: unknown) => this.emit('watch_error', error));
      }, this.options.appearPollMs ?? 1000);
      this.poller.unref();
      return;
    }
    const stability = this.options.stabilityMs ?? 100;
    const watcher = watch(directory, {
      ignoreInitial: true,
      depth: 0,
      // Only the file itself: an editor's temporary files beside it are not news.
      ignored: (candidate: string) => {
        const path = resolve(candidate);
        return path !== directory && path !== this.path;
      },
      awaitWriteFinish: stability > 0 ? { stabilityThreshold: stability, pollInterval: Math.max(5, Math.min(50, Math.floor(stability / 2))) } : false,
    });
    this.watcher = watcher;
    watcher.on('all', (_kind, changed) => {
      if (resolve(changed) === this.path) this.schedule(this.options.debounceMs ?? 50);
    });
    watcher.on('error', (error) => this.emit('watch_error', error));
    await new Promise<void>((done) => watcher.once('ready', () => done()));
    if (this.closed) {
      await watcher.close();
      return;
    }
    // What changed between the first read and the watcher being ready.
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.check();
    }, delayMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    if (this.closed) return;
    if (!existsSync(this.path) && this.seen.kind !== 'missing' && this.seen.kind !== 'unread') {
      // Gone: perhaps being replaced. Deleted only if still gone after the grace period.
      const grace = this.options.missingGraceMs ?? 500;
      await new Promise((done) => setTimeout(done, grace).unref());
      if (this.closed) return;
    }
    await this.reload().catch((error: unknown) => this.emit('watch_error', error));
  }
}
