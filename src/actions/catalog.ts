import type { JsonObject, JsonValue } from '../events/model.js';
import { discoverActions, type DiscoveryReport } from './discovery.js';
import type { ActionServices, ParamRenderer } from './executor.js';
import type { ActionDefinition } from './model.js';
import { ActionRegistry } from './registry.js';
import { pickEnv, renderParams, type TemplateContext } from './templates.js';

/** What a run's templates may see besides its params' own values. */
export interface RenderScope {
  params?: JsonObject;
  event?: object;
  stepOutputs?: Record<string, JsonObject>;
  vars?: Record<string, unknown>;
}

/** Every action this process can run, how they reach the world, and how their params render. */
export interface LoadedActions {
  registry: ActionRegistry;
  discovery: DiscoveryReport;
  services: ActionServices;
  /**
   * A renderer for one run: templates over `params` (the run's own params unless the scope gives
   * workflow params), `steps`, `event`, `env` (HOOKFLOW_TEMPLATE_ENV's variables only) and `secret`
   * (the secrets a template names, fetched before rendering).
   */
  renderer(params: JsonObject, scope?: RenderScope): Promise<ParamRenderer>;
}

export interface LoadActionsOptions {
  builtins: readonly ActionDefinition[];
  projectRoot: string;
  home: string;
  env: NodeJS.ProcessEnv;
  services: ActionServices;
  revealSecret(name: string): Promise<string | null>;
}

const SECRET_REFERENCE = /secret\s*(?:\.\s*([A-Za-z0-9_]+)|\[\s*["']([^"']+)["']\s*\])/g;

/** The secret names a set of params refers to, so they can be fetched before a synchronous render. */
export function referencedSecrets(value: JsonValue): string[] {
  const names = new Set<string>();
  const visit = (node: JsonValue): void => {
    if (typeof node === 'string') for (const match of node.matchAll(SECRET_REFERENCE)) names.add(match[1] ?? match[2]);
    else if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') Object.values(node).forEach(visit);
  };
  visit(value);
  return [...names];
}

/** Built-ins first, then discovered plugins (a plugin cannot take a built-in's type). */
export async function loadActions(options: LoadActionsOptions): Promise<LoadedActions> {
  const registry = new ActionRegistry();
  for (const action of options.builtins) registry.register(action, 'builtin');
  const discovery = await discoverActions(registry, { projectRoot: options.projectRoot, home: options.home });
  const allowed = (options.env.HOOKFLOW_TEMPLATE_ENV ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  const env = pickEnv(allowed, options.env);
  return {
    registry,
    discovery,
    services: options.services,
    async renderer(params, scope = {}) {
      const secrets: Record<string, string | undefined> = {};
      for (const name of referencedSecrets(params)) secrets[name] = (await options.revealSecret(name)) ?? undefined;
      const steps = Object.fromEntries(Object.entries(scope.stepOutputs ?? {}).map(([id, outputs]) => [id, { outputs }]));
      const context: TemplateContext = { params: scope.params ?? params, steps, event: scope.event, env, secret: secrets, vars: scope.vars };
      return (raw) => renderParams(raw, context);
    },
  };
}
