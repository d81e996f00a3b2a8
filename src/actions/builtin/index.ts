import type { ActionDefinition } from '../model.js';
import type { ActionRegistry } from '../registry.js';
import { aggregateAction } from './aggregate.js';
import { conditionalAction } from './conditional.js';
import { delayAction } from './delay.js';
import { dispatchEventAction } from './dispatch-event.js';
import { failAction } from './fail.js';
import { httpRequestAction } from './http-request.js';
import { invokeServiceAction } from './invoke-service.js';
import { logAction } from './log.js';
import { notificationAction } from './notification.js';
import { runCommandsAction } from './run-commands.js';
import { setOutputAction } from './set-output.js';
import { stateActions, type StateAccess } from './state.js';
import { transformAction } from './transform.js';
import { waitUntilAction } from './wait-until.js';

/** The built-in actions that need nothing from the engine. set_state/get_state come from stateActions(access). */
export const BUILTIN_ACTIONS: ActionDefinition[] = [
  logAction,
  delayAction,
  waitUntilAction,
  conditionalAction,
  transformAction,
  aggregateAction,
  setOutputAction,
  failAction,
  httpRequestAction,
  notificationAction,
  runCommandsAction,
  dispatchEventAction,
  invokeServiceAction,
];

/** Every built-in: BUILTIN_ACTIONS, plus set_state and get_state when the engine's state is given. */
export function builtinActions(options: { state?: StateAccess } = {}): ActionDefinition[] {
  return [...BUILTIN_ACTIONS, ...(options.state ? stateActions(options.state) : [])];
}

/** Registers every built-in with source `builtin`. */
export function registerBuiltinActions(registry: ActionRegistry, options: { state?: StateAccess } = {}): void {
  for (const definition of builtinActions(options)) registry.register(definition, 'builtin');
}

export { stateActions, type StateAccess };
