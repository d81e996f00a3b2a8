import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { actionRoutes } from './actions.js';
import { authRoutes } from './auth.js';
import { eventRoutes } from './events.js';
import { hookRoutes } from './hooks.js';
import { metricsRoutes } from './metrics.js';
import { rootRoutes } from './root.js';
import { scheduleRoutes } from './schedules.js';
import { secretRoutes } from './secrets.js';
import { stateRoutes } from './state.js';
import { streamRoutes } from './stream.js';
import { tokenRoutes } from './tokens.js';
import { userRoutes } from './users.js';
import { watcherRoutes } from './watchers.js';
import { webhookRoutes } from './webhooks.js';
import { workflowRoutes } from './workflows.js';
import { programRoutes } from './programs.js';
import { uiRoutes } from '../ui.js';

/** A route file: registers the routes of one resource. */
export type RouteFile = (app: HookflowApp, ctx: ServerContext) => void | Promise<void>;

/** Every route file, one per resource; later capabilities add theirs here. */
export const ROUTE_FILES: readonly RouteFile[] = [rootRoutes, authRoutes, eventRoutes, hookRoutes, secretRoutes, stateRoutes, userRoutes, tokenRoutes, streamRoutes, metricsRoutes, webhookRoutes, scheduleRoutes, watcherRoutes, actionRoutes, workflowRoutes, programRoutes, uiRoutes];

export async function registerRoutes(app: HookflowApp, ctx: ServerContext): Promise<void> {
  for (const register of ROUTE_FILES) await register(app, ctx);
}
