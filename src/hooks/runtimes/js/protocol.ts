/**
 * Messages between the JS runtime (main thread) and its workers. Both directions post arrays of
 * tuples, collected over one turn of the event loop, so 10 000 runs cost a handful of postMessage
 * calls rather than 20 000.
 */
import type { EventRecord } from '../../../events/model.js';
import type { HookScriptMeta } from '../../model.js';

/** What the worker needs to start: its code, its module hooks, and where hookflow lives. */
export interface WorkerBootData {
  /** The worker's code: a `data:` URL of the bundle, or worker.ts's file URL. */
  workerUrl: string;
  /** loader-hooks.mjs. */
  loaderHooksUrl: string;
  /** tsx's ESM hooks module, loaded for the first TypeScript file; null when tsx cannot be found. */
  tsxUrl: string | null;
  /** A file URL inside hookflow's root; bare imports a hook cannot resolve are retried from here. */
  rootUrl: string;
  /** Candidate entries for `import … from 'hookflow'`; the first that exists wins. */
  entryUrls: string[];
  /** Directory of hookflow's node_modules, for CommonJS hooks' `require`. */
  nodeModulesDir: string;
}

export type HostOperation = 'stateGet' | 'stateSet' | 'stateDelete' | 'stateIncrement' | 'secretGet' | 'dispatch';

export type ToWorker =
  /** Run the default export of `path` for `event`. */
  | readonly ['run', runId: number, path: string, hookName: string, attempt: number, event: EventRecord]
  /** Abort the run's ctx.signal (time limit reached or shutdown). */
  | readonly ['abort', runId: number, reason: string]
  | readonly ['reply', callId: number, ok: boolean, value: unknown]
  | readonly ['inspect', requestId: number, path: string]
  /** Answered at once: a worker that does not answer is stuck in a synchronous loop. */
  | readonly ['ping', sequence: number];

export interface WireError {
  message: string;
  where?: string;
  hint?: string;
}

export type FromWorker =
  | readonly ['ready']
  | readonly ['done', runId: number, success: boolean, output: string, error: string | null]
  | readonly ['call', callId: number, runId: number, operation: HostOperation, args: readonly unknown[]]
  | readonly ['meta', requestId: number, ok: true, meta: HookScriptMeta]
  | readonly ['meta', requestId: number, ok: false, error: WireError]
  | readonly ['pong', sequence: number];
