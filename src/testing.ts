import type { ActionServices } from './actions/executor.js';
import { runAction } from './actions/executor.js';
import { checkActionDefinition } from './actions/meta.js';
import type { ActionDefinition, ActionOutcome } from './actions/model.js';
import type { JsonObject, JsonValue } from './events/model.js';

/**
 * Helpers for testing actions, the ones hookflow's own tests use: import from `hookflow/testing`
 * in a plugin's tests (examples/action-plugin shows how).
 */

export interface RecordingServices extends ActionServices {
  /** Every event the action published, in order. */
  published: Array<{ type: string; data: JsonObject; stack?: string }>;
  /** Every service call, in order. */
  invoked: Array<{ appId: string; methodPath: string; data: JsonValue | undefined }>;
}

/**
 * Services that record what an action publishes and answer service calls from `responses`
 * (`app_id/method/path` → answer); an unknown call fails as an unreachable service would.
 */
export function recordingServices(responses: Record<string, JsonValue> = {}): RecordingServices {
  const published: RecordingServices['published'] = [];
  const invoked: RecordingServices['invoked'] = [];
  return {
    published,
    invoked,
    publish: async (type, data, options) => {
      published.push({ type, data: data ?? {}, ...(options?.stack ? { stack: options.stack } : {}) });
      return `test-event-${published.length}`;
    },
    invokeService: async (appId, methodPath, options) => {
      invoked.push({ appId, methodPath, data: options?.data });
      const key = `${appId}/${methodPath}`;
      if (!(key in responses)) throw new Error(`service ${appId} has no method ${methodPath} in this test`);
      return responses[key];
    },
  };
}

/**
 * Checks the action's meta as the registry would (every problem listed), then runs it once
 * through the same path as hookflow (validation, timeout, output check). Throws on a bad meta.
 */
export async function runActionForTest(action: ActionDefinition, params: JsonObject, options: { services?: ActionServices; timeoutSeconds?: number; strictOutputs?: boolean } = {}): Promise<ActionOutcome> {
  const definition = checkActionDefinition(action, 'test');
  return runAction({ definition, params, services: options.services ?? recordingServices(), timeoutSeconds: options.timeoutSeconds, strictOutputs: options.strictOutputs ?? true });
}
