/**
 * The `action` hook runtime: a hook that names a typed action instead of code. Its params are
 * templates over `event` (the event the hook runs for), `env` (the allowed variables) and
 * `secret` (by name); the action runs through the full path of runAction (params validated,
 * rendered, executed under the hook's time limit, outputs checked), and its outcome becomes the
 * hook execution. An event-driven action that awaits its event is parked, owned by the hook
 * execution; the execution records that it parked and where, and the wait's end is published as
 * step.completed / step.failed / step.timeout.
 */
import { errorMessage, isHookflowError } from '../../errors.js';
import type { JsonObject } from '../../events/model.js';
import type { LoadedActions } from '../../actions/catalog.js';
import { runAction, type ActionServices } from '../../actions/executor.js';
import type { ActionOutcome } from '../../actions/model.js';
import { checkParams } from '../../actions/params.js';
import { WaitService } from '../../actions/waits.js';
import type { Store } from '../../store/store.js';
import type { HookHost, HookRecord, HookRunRequest, HookRunResult, HookRuntime } from '../model.js';

export interface ActionRuntimeOptions {
  /** The engine's action catalogue (Engine.loadActions). */
  loadActions(): Promise<LoadedActions>;
  /** Where awaiting actions park. */
  store: Store;
}

/** Longest outputs summary kept in a hook execution's output. */
const SUMMARY_LIMIT = 2_000;

export class ActionRuntime implements HookRuntime {
  readonly name = 'action' as const;
  private readonly waits: WaitService;

  constructor(private readonly options: ActionRuntimeOptions) {
    this.waits = new WaitService(options.store);
  }

  async validate(hook: HookRecord): Promise<string[]> {
    if (!hook.action) return ['an action hook needs its action type'];
    try {
      const { registry } = await this.options.loadActions();
      // Templates stay unresolved until the event comes; everything else is checked now.
      checkParams(registry.get(hook.action), hook.params ?? {}, { templatesUnresolved: true, where: `${hook.action} params` });
      return [];
    } catch (error) {
      return [isHookflowError(error) ? error.describe() : errorMessage(error)];
    }
  }

  async run(request: HookRunRequest, host: HookHost): Promise<HookRunResult> {
    const { hook, event } = request;
    if (!hook.action) return { success: false, output: '', error: `HF_ERR_INVALID_HOOK: action hook ${hook.name} names no action` };
    const params = hook.params ?? {};
    let outcome: ActionOutcome;
    try {
      const loaded = await this.options.loadActions();
      const definition = loaded.registry.get(hook.action);
      const services: ActionServices = {
        // Through the host: the event is recorded as dispatched by this one (parent_id) and keeps
        // its stack unless the action names one, as a script hook's event.dispatch does; under
        // `hook test` it is only recorded as what would be published.
        publish: (type, data, options) =>
          host.dispatch(type, data ?? {}, {
            parent_id: event.id,
            source: 'action',
            stack: options?.stack ?? event.stack,
            correlation_id: options?.correlationId ?? null,
          }),
        invokeService: (appId, methodPath, options) => loaded.services.invokeService(appId, methodPath, options),
      };
      outcome = await runAction({
        definition,
        params,
        render: await loaded.renderer(params, { event }),
        services,
        stepId: hook.name,
        executionId: event.id,
        timeoutSeconds: hook.timeout_ms / 1000,
        retryCount: request.attempt - 1,
        metadata: { hook: hook.name, event_id: event.id, event_type: event.type, attempt: request.attempt },
        signal: request.signal,
        resolvers: loaded.registry.resolvers(),
      });
    } catch (error) {
      return { success: false, output: '', error: `HF_ERR_HOOK_FAILED: hook ${hook.name}: ${errorMessage(error)}` };
    }

    const lines = [...outcome.log, ...outcome.warnings.map((warning) => `[warn] ${warning}`)];
    if (outcome.awaitingEvent) {
      if (request.dryRun) {
        lines.push(`would wait for an event with workflow id ${outcome.externalWorkflowId} (dry run: not parked)`);
        return { success: true, output: lines.join('\n'), error: null };
      }
      try {
        const wait = await this.waits.park({
          outcome,
          actionType: hook.action,
          params,
          owner: { kind: 'hook', id: `${hook.name}:${event.id}` },
          metadata: { hook: hook.name, event_id: event.id, event_type: event.type, attempt: request.attempt },
          ignoreEvents: [event.id],
        });
        lines.push(`parked as wait ${wait.id}: waiting for an event with workflow id ${wait.correlation_id} until ${new Date(wait.deadline).toISOString()}`);
      } catch (error) {
        return { success: false, output: lines.join('\n'), error: `HF_ERR_HOOK_FAILED: hook ${hook.name}: could not park ${hook.action}: ${errorMessage(error)}` };
      }
    }
    lines.push(summary(hook.action, outcome));
    return { success: outcome.success, output: lines.join('\n'), error: outcome.success ? null : errorFor(hook.action, outcome) };
  }

  async close(): Promise<void> {}
}

function summary(action: string, outcome: ActionOutcome): string {
  const outputs = Object.keys(outcome.outputs).length > 0 ? `; outputs: ${truncate(JSON.stringify(outcome.outputs as JsonObject))}` : '';
  return `action ${action}: ${outcome.status} in ${Math.round(outcome.durationMs)} ms${outputs}`;
}

function errorFor(action: string, outcome: ActionOutcome): string {
  const message = outcome.error ?? `${action} failed`;
  return outcome.status === 'timeout' ? `HF_ERR_ACTION_TIMEOUT: ${message}` : message;
}

function truncate(text: string): string {
  return text.length > SUMMARY_LIMIT ? `${text.slice(0, SUMMARY_LIMIT)}… (${text.length} characters)` : text;
}
