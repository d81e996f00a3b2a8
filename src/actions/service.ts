import type { JsonObject } from '../events/model.js';
import type { LoadedActions, RenderScope } from './catalog.js';
import type { DiscoveryReport } from './discovery.js';
import { runAction } from './executor.js';
import type { ActionMeta, ActionOutcome } from './model.js';
import type { JsonSchema } from './params.js';

export interface ActionSummary {
  type: string;
  version: string;
  name: string;
  description: string;
  category: string;
  icon: string | null;
  color: string | null;
  executionMode: ActionMeta['executionMode'];
  source: string;
}

export interface ActionDescription {
  meta: ActionMeta;
  source: string;
  schema: JsonSchema;
}

export interface RunActionInput {
  params: JsonObject;
  timeoutSeconds?: number;
  strictOutputs?: boolean;
  signal?: AbortSignal;
  scope?: RenderScope;
  onLog?: (line: string) => void;
}

function summary(meta: ActionMeta, source: string): ActionSummary {
  return {
    type: meta.type,
    version: meta.version,
    name: meta.name,
    description: meta.description,
    category: meta.category,
    icon: meta.icon ?? null,
    color: meta.color ?? null,
    executionMode: meta.executionMode,
    source,
  };
}

/** Listing, describing and running actions: shared by the CLI, the HTTP API and the UI. */
export class ActionService {
  constructor(private readonly loaded: LoadedActions) {}

  get discovery(): DiscoveryReport {
    return this.loaded.discovery;
  }

  list(category?: string): ActionSummary[] {
    return this.loaded.registry.list(category).map((entry) => summary(entry.definition.meta, entry.source));
  }

  categories(): string[] {
    return this.loaded.registry.categories();
  }

  describe(type: string): ActionDescription {
    const definition = this.loaded.registry.get(type);
    return { meta: definition.meta, source: this.loaded.registry.source(type) ?? 'builtin', schema: this.loaded.registry.schema(type) };
  }

  /** One execution through the full path (validation, templates, timeout, output check). */
  async run(type: string, input: RunActionInput): Promise<ActionOutcome> {
    const definition = this.loaded.registry.get(type);
    const render = await this.loaded.renderer(input.params, input.scope);
    return runAction({
      definition,
      params: input.params,
      render,
      services: this.loaded.services,
      timeoutSeconds: input.timeoutSeconds,
      strictOutputs: input.strictOutputs,
      signal: input.signal,
      onLog: input.onLog,
      resolvers: this.loaded.registry.resolvers(),
      executionId: `run-${Date.now().toString(36)}`,
    });
  }
}
