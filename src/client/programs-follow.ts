import type { ProgramExecutionJson, ProgramStreamMessage } from './services.js';

/**
 * What following an execution has delivered so far, per stream. Every (re)connection to an
 * execution's stream starts with what it printed so far, and the final record holds it all: each
 * source is counted from its start, and only the part beyond what the listener already has goes
 * on, so a reconnect or a last look at the record never prints a line twice or drops one.
 */
export class DeliveredOutput {
  private delivered = { stdout: 0, stderr: 0 };
  private received = { stdout: 0, stderr: 0 };

  constructor(private readonly listener: (message: ProgramStreamMessage) => void) {}

  /** A new source of the execution's output: it starts again from the first character. */
  restart(): void {
    this.received = { stdout: 0, stderr: 0 };
  }

  output(stream: 'stdout' | 'stderr', text: string): void {
    const start = this.received[stream];
    this.received[stream] += text.length;
    const skip = Math.max(0, this.delivered[stream] - start);
    if (skip >= text.length) return;
    const fresh = skip > 0 ? text.slice(skip) : text;
    this.delivered[stream] += fresh.length;
    this.listener({ type: 'output', stream, text: fresh });
  }

  /** Whatever the final record holds that the listener has not had (none when its output was cut: it no longer lines up). */
  finish(execution: ProgramExecutionJson): void {
    this.restart();
    if (!execution.output_truncated) this.output('stdout', execution.output);
    if (!execution.error_truncated) this.output('stderr', execution.stderr);
  }
}

