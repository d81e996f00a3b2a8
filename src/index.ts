/** hookflow's public API: what hook authors and embedders import from 'hookflow'. */
export { defineHook } from './hooks/define.js';
export type {
  HookContext,
  HookDefinition,
  HookDispatchOptions,
  HookEvent,
  HookFunction,
  HookHttp,
  HookLog,
  HookReturn,
  HookSecrets,
  HookState,
} from './hooks/define.js';
export { Engine, type EngineOptions } from './engine.js';
export { HookflowError, type HookflowErrorCode } from './errors.js';
export type { EventRecord, EventStatus, HookExecutionRecord, JsonObject, JsonValue, NewEvent } from './events/model.js';
export type { HookRecord } from './hooks/model.js';
export { defineAction } from './actions/model.js';
export type {
  ActionContext,
  ActionDefinition,
  ActionMeta,
  ActionOutcome,
  ActionResult,
  EventContext,
  EventResult,
  OutputDefinition,
  ParamDefinition,
} from './actions/model.js';
export { runAction, type ActionServices } from './actions/executor.js';
export { ActionRegistry } from './actions/registry.js';
