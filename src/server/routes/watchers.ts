import { Type } from 'typebox';
import { registerSourceRoutes } from '../../sources/routes.js';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';

const WatcherConfig = Type.Object(
  {
    paths: Type.Optional(Type.Array(Type.String(), { description: "absolute paths on the server's machine" })),
    patterns: Type.Optional(Type.Array(Type.String(), { description: 'globs below each path ("*.log", "reports/**"); default everything' })),
    ignore: Type.Optional(Type.Array(Type.String(), { description: 'globs left out (and not descended into)' })),
    recursive: Type.Optional(Type.Boolean({ description: 'default true' })),
    debounce_ms: Type.Optional(Type.Integer({ description: 'changes to one path this close make one event; default 200' })),
    stack: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { description: 'Publishes file.created|modified|deleted|renamed and dir.created|deleted with {path, watcher}' },
);

/** File watchers: `/watchers`. Every server runs them on its own machine (src/sources/watchers.ts). */
export function watcherRoutes(app: HookflowApp, ctx: ServerContext): void {
  registerSourceRoutes(app, ctx, { kind: 'watcher', noun: 'file watcher', tag: 'watchers', config: WatcherConfig });
}
