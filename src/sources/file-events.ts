/**
 * Turns the raw notifications of a file watcher (chokidar's add/change/unlink/addDir/unlinkDir)
 * into the changes people mean: one event per path per burst, and a file that disappears under
 * one name and appears under another as a rename. Pure: times are given, nothing is read.
 */

export type RawKind = 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';

/** What tells two names apart from one file moved: its inode, else (no inodes) its size. */
export interface FileIdentity {
  ino: number;
  size: number;
}

export interface RawFileEvent {
  kind: RawKind;
  path: string;
  /** epoch ms */
  at: number;
  /** For add and change. */
  identity?: FileIdentity;
}

export type FileChangeType = 'file.created' | 'file.modified' | 'file.deleted' | 'file.renamed' | 'dir.created' | 'dir.deleted';

export interface FileChange {
  type: FileChangeType;
  path: string;
  old_path?: string;
  size?: number;
  old_size?: number;
  new_size?: number;
}

interface Pending {
  path: string;
  dir: boolean;
  existedBefore: boolean;
  exists: boolean;
  lastAt: number;
  before?: FileIdentity;
  now?: FileIdentity;
}

type Net = 'created' | 'modified' | 'deleted' | null;

function net(entry: Pending): Net {
  if (entry.existedBefore) return entry.exists ? (entry.dir ? null : 'modified') : 'deleted';
  return entry.exists ? 'created' : null;
}

function sameFile(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  if (!a || !b) return false;
  return a.ino > 0 && b.ino > 0 ? a.ino === b.ino : a.size === b.size;
}

export class FileEventCoalescer {
  /** Files present as last seen, for the identity of one that is deleted (its stat is gone by then). */
  private readonly known = new Map<string, FileIdentity>();
  private readonly pending = new Map<string, Pending>();

  /** `windowMs`: changes to one path this close together make one event; an unlink and an add this close may be a rename. */
  constructor(private readonly windowMs: number) {}

  /** A file already there when watching started: no event, but its identity is known. */
  remember(path: string, identity: FileIdentity): void {
    this.known.set(path, identity);
  }

  push(event: RawFileEvent): void {
    const dir = event.kind === 'addDir' || event.kind === 'unlinkDir';
    let entry = this.pending.get(event.path);
    if (!entry) {
      entry = {
        path: event.path,
        dir,
        existedBefore: event.kind === 'change' || event.kind === 'unlink' || event.kind === 'unlinkDir',
        exists: false,
        lastAt: event.at,
        before: this.known.get(event.path),
      };
      this.pending.set(event.path, entry);
    }
    entry.dir = dir;
    entry.lastAt = event.at;
    entry.exists = event.kind === 'add' || event.kind === 'change' || event.kind === 'addDir';
    if (event.kind === 'add' || event.kind === 'change') {
      entry.now = event.identity;
      if (event.identity) this.known.set(event.path, event.identity);
    } else if (event.kind === 'unlink' || event.kind === 'unlinkDir') {
      entry.now = undefined;
      this.known.delete(event.path);
    }
  }

  /** When the next flush has something to give, or null when nothing is pending. */
  nextDueAt(): number | null {
    let earliest: number | null = null;
    for (const entry of this.pending.values()) {
      const due = entry.lastAt + this.windowMs;
      if (earliest === null || due < earliest) earliest = due;
    }
    return earliest;
  }

  /** The changes of every path quiet for the window by `now`, oldest first. */
  flush(now: number): FileChange[] {
    const due = [...this.pending.values()].filter((entry) => entry.lastAt + this.windowMs <= now).sort((a, b) => a.lastAt - b.lastAt);
    const changes: FileChange[] = [];
    for (const entry of due) {
      if (!this.pending.has(entry.path)) continue;
      this.pending.delete(entry.path);
      const kind = net(entry);
      if (kind === null) continue;
      if (entry.dir) {
        changes.push({ type: kind === 'created' ? 'dir.created' : 'dir.deleted', path: entry.path });
        continue;
      }
      const partner = kind === 'created' || kind === 'deleted' ? this.partner(entry, kind) : null;
      if (partner) {
        this.pending.delete(partner.path);
        const [from, to] = kind === 'deleted' ? [entry, partner] : [partner, entry];
        changes.push({ type: 'file.renamed', path: to.path, old_path: from.path, ...(to.now ? { size: to.now.size } : {}) });
      } else if (kind === 'created') {
        changes.push({ type: 'file.created', path: entry.path, ...(entry.now ? { size: entry.now.size } : {}) });
      } else if (kind === 'modified') {
        changes.push({
          type: 'file.modified',
          path: entry.path,
          ...(entry.before ? { old_size: entry.before.size } : {}),
          ...(entry.now ? { new_size: entry.now.size } : {}),
        });
      } else {
        changes.push({ type: 'file.deleted', path: entry.path });
      }
    }
    return changes;
  }

  /** The other half of a rename: a file that appeared (or vanished) within the window with the same identity. */
  private partner(entry: Pending, kind: 'created' | 'deleted'): Pending | null {
    const identity = kind === 'deleted' ? entry.before : entry.now;
    for (const other of this.pending.values()) {
      if (other.dir || Math.abs(other.lastAt - entry.lastAt) > this.windowMs) continue;
      const otherNet = net(other);
      if (kind === 'deleted' && otherNet === 'created' && sameFile(identity, other.now)) return other;
      if (kind === 'created' && otherNet === 'deleted' && sameFile(identity, other.before)) return other;
    }
    return null;
  }
}
