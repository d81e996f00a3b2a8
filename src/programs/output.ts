import { StringDecoder } from 'node:string_decoder';
import type { OutputSink } from './model.js';

/**
 * An execution's output as it is produced: stdout and stderr kept apart, PyExecutorHub's log
 * formatting applied (a literal `\n` or `\t` printed by a program becomes a real line break or
 * tab), before/after actions' lines prefixed `[ACT_BEFORE]` / `[ACT_AFTER]`, and each stream kept
 * within a size: its first and last halves survive, with a marker saying how much was cut.
 */

export type OutputStream = 'stdout' | 'stderr';

export interface OutputChunk {
  stream: OutputStream;
  text: string;
}

/** Turns the two-character sequences `\n`, `\t` (and `\r\n`) a program printed literally into the characters. */
export function formatLogText(text: string): string {
  return text.replace(/\\r\\n|\\n|\\t/g, (match) => (match === '\\t' ? '\t' : '\n'));
}

/** Adds `[TAG] ` to each line that does not carry the tag already (PyExecutorHub's act_* scripts print it themselves). */
export function prefixLines(text: string, tag: string): string {
  const label = `[${tag}]`;
  return text
    .split('\n')
    .map((line, index, lines) => (line === '' && index === lines.length - 1 ? line : line.includes(label) ? line : `${label} ${line}`))
    .join('\n');
}

export function truncationMarker(omittedBytes: number): string {
  return `\n[… ${omittedBytes} bytes of output omitted here: the execution's output limit was reached …]\n`;
}

/** One stream's kept text: all of it while it fits, then its head, and a rolling tail. */
class CappedText {
  private head = '';
  private headBytes = 0;
  private tail: string[] = [];
  private tailBytes = 0;
  private omitted = 0;

  constructor(private readonly limitBytes: number) {}

  append(text: string): void {
    const bytes = Buffer.byteLength(text);
    const half = Math.floor(this.limitBytes / 2);
    if (this.omitted === 0 && this.tail.length === 0 && this.headBytes + bytes <= this.limitBytes) {
      this.head += text;
      this.headBytes += bytes;
      return;
    }
    if (this.tail.length === 0 && this.omitted === 0) {
      // Crossing the limit: keep the first half as the head, the rest starts the tail.
      const all = Buffer.from(this.head + text);
      const headCut = cutAt(all, half);
      this.head = all.subarray(0, headCut).toString();
      this.headBytes = headCut;
      this.tail = [all.subarray(headCut).toString()];
      this.tailBytes = all.length - headCut;
    } else {
      this.tail.push(text);
      this.tailBytes += bytes;
    }
    const tailLimit = this.limitBytes - half;
    if (this.tailBytes > tailLimit) {
      const joined = Buffer.from(this.tail.join(''));
      const start = cutAt(joined, joined.length - tailLimit, true);
      this.omitted += start;
      this.tail = [joined.subarray(start).toString()];
      this.tailBytes = joined.length - start;
    }
  }

  get truncated(): boolean {
    return this.omitted > 0;
  }

  text(): string {
    return this.omitted > 0 ? this.head + truncationMarker(this.omitted) + this.tail.join('') : this.head + this.tail.join('');
  }
}

/** A byte offset at or after (or before) `at` that does not split a UTF-8 character. */
function cutAt(buffer: Buffer, at: number, forward = false): number {
  let index = Math.max(0, Math.min(buffer.length, at));
  const continuation = (i: number) => i < buffer.length && (buffer[i]! & 0xc0) === 0x80;
  while (continuation(index)) index += forward ? 1 : -1;
  return Math.max(0, index);
}

/** Per stream: decodes bytes, formats complete text, keeps a trailing backslash for the next chunk. */
class StreamFormatter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  write(chunk: Buffer): string {
    return this.take(this.pending + this.decoder.write(chunk), false);
  }

  end(): string {
    return this.take(this.pending + this.decoder.end(), true);
  }

  private take(text: string, final: boolean): string {
    // A `\` at the end may be the first half of a literal `\n` split across chunks.
    const keep = !final && text.endsWith('\\') ? 1 : 0;
    this.pending = text.slice(text.length - keep);
    return formatLogText(text.slice(0, text.length - keep));
  }
}

export type OutputListener = (chunk: OutputChunk) => void;

export class ExecutionOutput {
  private readonly kept: Record<OutputStream, CappedText>;
  private readonly listeners = new Set<OutputListener>();
  private lineCounts: Record<OutputStream, number> = { stdout: 0, stderr: 0 };

  constructor(limitBytes: number) {
    this.kept = { stdout: new CappedText(limitBytes), stderr: new CappedText(limitBytes) };
  }

  /** Text written by hookflow itself (headers, action results). */
  note(stream: OutputStream, text: string): void {
    this.emit(stream, text);
  }

  /**
   * A sink for one run: `tag` prefixes every line (before/after actions), line by line so a
   * prefix never lands mid-line.
   */
  sink(tag: string | null = null): OutputSink & { close(): void } {
    const formatters = { stdout: new StreamFormatter(), stderr: new StreamFormatter() };
    const partial: Record<OutputStream, string> = { stdout: '', stderr: '' };
    const push = (stream: OutputStream, text: string, final: boolean) => {
      if (tag === null) {
        if (text) this.emit(stream, text);
        return;
      }
      const all = partial[stream] + text;
      const lastBreak = all.lastIndexOf('\n');
      if (final) {
        partial[stream] = '';
        if (all) this.emit(stream, prefixLines(all.endsWith('\n') ? all : `${all}\n`, tag));
      } else if (lastBreak >= 0) {
        partial[stream] = all.slice(lastBreak + 1);
        this.emit(stream, prefixLines(all.slice(0, lastBreak + 1), tag));
      } else {
        partial[stream] = all;
      }
    };
    return {
      stdout: (chunk) => push('stdout', formatters.stdout.write(chunk), false),
      stderr: (chunk) => push('stderr', formatters.stderr.write(chunk), false),
      close: () => {
        push('stdout', formatters.stdout.end(), true);
        push('stderr', formatters.stderr.end(), true);
      },
    };
  }

  onChunk(listener: OutputListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  result(): { output: string; error_output: string; output_truncated: boolean; error_output_truncated: boolean } {
    return {
      output: this.kept.stdout.text(),
      error_output: this.kept.stderr.text(),
      output_truncated: this.kept.stdout.truncated,
      error_output_truncated: this.kept.stderr.truncated,
    };
  }

  /** What has been kept so far (for a late subscriber of a live stream). */
  snapshot(): { output: string; error_output: string } {
    return { output: this.kept.stdout.text(), error_output: this.kept.stderr.text() };
  }

  lines(): Record<OutputStream, number> {
    return { ...this.lineCounts };
  }

  private emit(stream: OutputStream, text: string): void {
    if (!text) return;
    this.kept[stream].append(text);
    this.lineCounts[stream] += text.split('\n').length - 1;
    for (const listener of this.listeners) listener({ stream, text });
  }
}
