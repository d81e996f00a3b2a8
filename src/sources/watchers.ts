import { existsSync, type Stats } from 'node:fs';
import { basename, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { Minimatch } from 'minimatch';
import type { JsonObject, NewEvent } from '../events/model.js';
import type { SourceRecord } from '../store/sources.js';
import { validateWatcherConfig, type WatcherConfig } from './config.js';
import { FileEventCoalescer, type FileChange, type RawKind } from './file-events.js';

export interface WatcherSetOptions {
  publish(event: NewEvent): Promise<unknown>;
  onError?(error: unknown, watcher: string): void;
  now?: () => number;
  /** How often a watched path that does not exist is looked for (default 1 s). */
  appearPollMs?: number;
}

/**
 * Which paths a watcher reports: the path relative to its watched root must match a pattern and
 * no ignore glob. A glob without `/` matches the file name at any depth (`*.log`).
 */
export class PathMatcher {
  private readonly patterns: Minimatch[];
  private readonly ignore: Minimatch[];

  constructor(private readonly config: Pick<WatcherConfig, 'paths' | 'patterns' | 'ignore'>) {
    const compile = (pattern: string) => new Minimatch(pattern, { dot: true, matchBase: true });
    this.patterns = config.patterns.map(compile);
    this.ignore = config.ignore.map(compile);
  }

  /** The path relative to the watched root it is under ('' for a root itself), or null when under none. */
  relativePath(path: string): string | null {
    for (const root of this.config.paths) {
      if (path === root) return '';
      if (path.startsWith(root.endsWith(sep) ? root : root + sep)) return relative(root, path).split(sep).join('/');
    }
    return null;
  }

  /** Whether an ignore glob matches the path or a directory it is in (chokidar does not descend there). */
  ignored(path: string): boolean {
    const rel = this.relativePath(path);
    return rel !== null && rel !== '' && this.ignoredRelative(rel);
  }

  matches(path: string): boolean {
    let rel = this.relativePath(path);
    if (rel === null) return false;
    // A watched file (not a directory) is matched by its own name.
    if (rel === '') rel = basename(path);
    else if (this.ignoredRelative(rel)) return false;
    return this.patterns.some((glob) => glob.match(rel));
  }

  private ignoredRelative(rel: string): boolean {
    if (this.ignore.length === 0) return false;
    const parts = rel.split('/');
    for (let end = 1; end <= parts.length; end += 1) {
      const prefix = parts.slice(0, end).join('/');
      if (this.ignore.some((glob) => glob.match(prefix))) return true;
    }
    return false;
  }
}

function watcherKey(record: SourceRecord): string {
  return `${record.updated_at}|${JSON.stringify(record.config)}`;
}

const DATA_KEYS = ['old_path', 'size', 'old_size', 'new_size'] as const;

/**
 * One watcher: chokidar over its paths, its raw notifications coalesced and published. One
 * chokidar instance per path: 'ready' tells the initial scan from real changes, and chokidar
 * gives it early for a path that does not exist. Such a path is looked for every
 * `appearPollMs` instead, and watched (its contents reported as created) once it appears.
 */
class RunningWatcher {
  readonly key: string;
  private readonly watchers: FSWatcher[] = [];
  private readonly pollers: NodeJS.Timeout[] = [];
  private readonly matcher: PathMatcher;
  private readonly coalescer: FileEventCoalescer;
  private readonly readyPromise: Promise<void>;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    readonly name: string,
    record: SourceRecord,
    private readonly config: WatcherConfig,
    private readonly options: WatcherSetOptions,
  ) {
    this.key = watcherKey(record);
    this.matcher = new PathMatcher(config);
    this.coalescer = new FileEventCoalescer(config.debounce_ms);
    this.readyPromise = Promise.all(config.paths.map((path) => this.watchPath(path))).then(() => undefined);
  }

  /** Resolves once the initial scans are done: changes from then on are reported. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  private watchPath(path: string): Promise<void> {
    if (existsSync(path)) return this.startChokidar(path, false);
    const poller = setInterval(() => {
      if (this.closed || !existsSync(path)) return;
      clearInterval(poller);
      void this.startChokidar(path, true);
    }, this.options.appearPollMs ?? 1000);
    poller.unref();
    this.pollers.push(poller);
    return Promise.resolve();
  }

  /** `appeared`: the path came after the watcher started, so what its scan finds is new. */
  private startChokidar(path: string, appeared: boolean): Promise<void> {
    const fs = watch(path, {
      ignoreInitial: false,
      alwaysStat: true,
      // Unlinks at once: rename pairing and same-path replace are done here, within the debounce window.
      atomic: false,
      depth: this.config.recursive ? undefined : 0,
      ignored: (candidate: string) => this.matcher.ignored(candidate),
    });
    this.watchers.push(fs);
    let scanned = appeared;
    fs.on('all', (kind, changed, stats) => this.raw(kind, changed, stats, scanned));
    fs.on('error', (error) => this.options.onError?.(error, this.name));
    return new Promise((resolve) =>
      fs.once('ready', () => {
        scanned = true;
        resolve();
      }),
    );
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private raw(kind: string, path: string, stats: Stats | undefined, scanned: boolean): void {
    if (this.closed || !isRawKind(kind) || !this.matcher.matches(path)) return;
    const identity = stats ? { ino: Number(stats.ino), size: stats.size } : undefined;
    if (!scanned) {
      // The initial scan: files already there are not news, but their identity pairs later renames.
      if (kind === 'add' && identity) this.coalescer.remember(path, identity);
      return;
    }
    this.coalescer.push({ kind, path, at: this.now(), identity });
    this.arm();
  }

  private arm(): void {
    if (this.timer || this.closed) return;
    const due = this.coalescer.nextDueAt();
    if (due === null) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, due - this.now()));
  }

  private flush(): void {
    this.timer = null;
    for (const change of this.coalescer.flush(this.now())) this.publish(change);
    this.arm();
  }

  private publish(change: FileChange): void {
    const data: JsonObject = { path: change.path, watcher: this.name };
    for (const key of DATA_KEYS) if (change[key] !== undefined) data[key] = change[key];
    this.options.publish({ type: change.type, data, stack: this.config.stack, source: `watcher:${this.name}` }).catch((error: unknown) => this.options.onError?.(error, this.name));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const poller of this.pollers) clearInterval(poller);
    // Changes already seen are still reported: they happened.
    for (const change of this.coalescer.flush(Number.POSITIVE_INFINITY)) this.publish(change);
    await Promise.all(this.watchers.map((fs) => fs.close()));
  }
}

function isRawKind(kind: string): kind is RawKind {
  return kind === 'add' || kind === 'change' || kind === 'unlink' || kind === 'addDir' || kind === 'unlinkDir';
}

/** The enabled watchers of the store, each running in this server; reloaded when sources change. */
export class WatcherSet {
  private readonly running = new Map<string, RunningWatcher>();

  constructor(private readonly options: WatcherSetOptions) {}

  /** Starts new and changed watchers and stops removed or disabled ones; resolves when every new one is ready. */
  async reload(records: SourceRecord[]): Promise<void> {
    const wanted = new Map(records.filter((record) => record.enabled).map((record) => [record.name, record]));
    for (const [name, watcher] of this.running) {
      const record = wanted.get(name);
      if (!record || watcherKey(record) !== watcher.key) {
        this.running.delete(name);
        await watcher.close();
      }
    }
    const started: RunningWatcher[] = [];
    for (const [name, record] of wanted) {
      if (this.running.has(name)) continue;
      let config: WatcherConfig;
      try {
        config = validateWatcherConfig(record.config);
      } catch (error) {
        this.options.onError?.(error, name);
        continue;
      }
      const watcher = new RunningWatcher(name, record, config, this.options);
      this.running.set(name, watcher);
      started.push(watcher);
    }
    await Promise.all(started.map((watcher) => watcher.ready()));
  }

  names(): string[] {
    return [...this.running.keys()].sort();
  }

  async stop(): Promise<void> {
    const watchers = [...this.running.values()];
    this.running.clear();
    await Promise.all(watchers.map((watcher) => watcher.close()));
  }
}
