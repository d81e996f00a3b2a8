import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

export interface ScriptSource {
  /** mtime, size and inode: a compiled script is reused while this stays the same. */
  stamp: string;
  source: string;
}

/**
 * Script files as the engine compiles them. A file is read again when its stamp changes; the stat
 * behind the stamp is shared by the runs started in the same tick (a batch of events), never
 * reused across ticks, so an edited script is picked up by the next batch.
 */
export class ScriptSources {
  private readonly sources = new Map<string, ScriptSource>();
  private readonly stamps = new Map<string, string>();
  private readonly paths = new Map<string, string>();

  constructor(private readonly home: string) {}

  /** The full path of a hook's script (relative paths are under the home). */
  path(source: string): string {
    let full = this.paths.get(source);
    if (full === undefined) {
      full = resolve(this.home, source);
      if (this.paths.size >= 4096) this.paths.clear();
      this.paths.set(source, full);
    }
    return full;
  }

  /** Throws the fs error (ENOENT…) when the file cannot be read. */
  read(path: string): ScriptSource {
    let stamp = this.stamps.get(path);
    if (stamp === undefined) {
      const stat = statSync(path);
      stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
      if (this.stamps.size === 0) queueMicrotask(() => this.stamps.clear());
      this.stamps.set(path, stamp);
    }
    const cached = this.sources.get(path);
    if (cached && cached.stamp === stamp) return cached;
    let source = readFileSync(path, 'utf8');
    // A shebang line, as the lua command line tool allows it.
    if (source.startsWith('#')) source = `--${source}`;
    const entry = { stamp, source };
    if (this.sources.size >= 1024) this.sources.delete(this.sources.keys().next().value as string);
    this.sources.set(path, entry);
    return entry;
  }
}
