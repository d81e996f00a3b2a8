import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { authRoutes } from './auth.js';
import { eventRoutes } from './events.js';
import { hookRoutes } from './hooks.js';
import { rootRoutes } from './root.js';
import { secretRoutes } from './secrets.js';
import { stateRoutes } from './state.js';
import { tokenRoutes } from './tokens.js';
import { userRoutes } from './users.js';

/** A route file: registers the routes of one resource. */
export type RouteFile = (app: HookflowApp, ctx: ServerContext) => void | Promise<void>;

/** Every route file, one per resource; later capabilities add theirs here. */
export const ROUTE_FILES: readonly RouteFile[] = [rootRoutes, authRoutes, eventRoutes, hookRoutes, secretRoutes, stateRoutes, userRoutes, tokenRoutes];

export async function registerRoutes(app: HookflowApp, ctx: ServerContext): Promise<void> {
  for (const register of ROUTE_FILES) await register(app, ctx);
}
