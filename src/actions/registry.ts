import { HookflowError } from '../errors.js';
import { nearest } from '../events/suggest.js';
import { checkActionDefinition } from './meta.js';
import type { ActionDefinition, ActionMeta, RefResolver } from './model.js';
import { paramsSchema, type JsonSchema } from './params.js';

export interface RegisteredAction {
  definition: ActionDefinition;
  /** Where it came from: `builtin`, an npm package name, or a file path. */
  source: string;
}

/** The actions this process knows: built-ins and discovered plugins, one type each. */
export class ActionRegistry {
  private readonly actions = new Map<string, RegisteredAction>();
  private readonly refResolvers = new Map<string, { resolve: RefResolver; source: string }>();

  /** Adds the resolver of a reference type (`model_ref`); one per type, like action types. */
  registerResolver(refType: string, resolve: unknown, source: string): void {
    if (!/^[a-z][a-z0-9_]*_ref$/.test(refType)) {
      throw new HookflowError('HF_ERR_INVALID_ACTION', `resolver "${refType}" from ${source} is not for a reference type`, { where: source, hint: 'name it after the param type it resolves, e.g. model_ref' });
    }
    if (typeof resolve !== 'function') throw new HookflowError('HF_ERR_INVALID_ACTION', `resolver "${refType}" from ${source} is not a function`, { where: source });
    const existing = this.refResolvers.get(refType);
    if (existing) {
      throw new HookflowError('HF_ERR_INVALID_ACTION', `two resolvers for "${refType}": one from ${existing.source}, one from ${source}`, { where: source });
    }
    this.refResolvers.set(refType, { resolve: resolve as RefResolver, source });
  }

  /** Reference types with a resolver, for runAction. */
  resolvers(): ReadonlyMap<string, RefResolver> {
    return new Map([...this.refResolvers].map(([type, entry]) => [type, entry.resolve]));
  }

  /**
   * Adds an action after checking its meta (every problem listed). A second action with a type
   * already registered is an error naming both sources.
   */
  register(definition: unknown, source: string): ActionDefinition {
    const checked = checkActionDefinition(definition, source);
    const existing = this.actions.get(checked.meta.type);
    if (existing) {
      throw new HookflowError('HF_ERR_INVALID_ACTION', `two actions have the type "${checked.meta.type}": one from ${existing.source}, one from ${source}`, {
        where: source,
        hint: 'rename one of them (types are unique)',
      });
    }
    this.actions.set(checked.meta.type, { definition: checked, source });
    return checked;
  }

  has(type: string): boolean {
    return this.actions.has(type);
  }

  /** The action of a type; an unknown type is an error suggesting the nearest known one. */
  get(type: string): ActionDefinition {
    const found = this.actions.get(type);
    if (found) return found.definition;
    const near = nearest(type, [...this.actions.keys()]);
    throw new HookflowError('HF_ERR_UNKNOWN_ACTION', `no action of type "${type}"`, {
      hint: near ? `did you mean ${near}?` : 'see `hookflow actions list`',
    });
  }

  source(type: string): string | null {
    return this.actions.get(type)?.source ?? null;
  }

  /** Every action, by category then type. */
  list(category?: string): RegisteredAction[] {
    return [...this.actions.values()]
      .filter((entry) => category === undefined || entry.definition.meta.category.toLowerCase() === category.toLowerCase())
      .sort((a, b) => a.definition.meta.category.localeCompare(b.definition.meta.category) || a.definition.meta.type.localeCompare(b.definition.meta.type));
  }

  categories(): string[] {
    return [...new Set([...this.actions.values()].map((entry) => entry.definition.meta.category))].sort();
  }

  schema(type: string): JsonSchema {
    return paramsSchema(this.get(type).meta);
  }
}

export type { ActionMeta };
