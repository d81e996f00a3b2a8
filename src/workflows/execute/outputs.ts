import { renderValue } from '../../actions/templates.js';
import { errorMessage, isHookflowError } from '../../errors.js';
import type { JsonObject } from '../../events/model.js';
import type { WorkflowModel } from '../model.js';
import { workflowTemplateContext } from './template-context.js';

export interface ResolvedWorkflowOutputs {
  outputs: JsonObject;
  /** The problems of the outputs that could not be rendered (those are left out), or null. */
  error: string | null;
}

/**
 * A DAG's `outputs` templates rendered over the run's params and its steps' outputs, with the
 * typing rules of step params (a bare path keeps its type, an expression gives text). Each output
 * is rendered on its own: one broken template is reported without losing the others.
 */
export function resolveWorkflowOutputs(
  model: Pick<WorkflowModel, 'outputs'>,
  params: JsonObject,
  stepOutputs: Readonly<Record<string, JsonObject>>,
  statuses: Readonly<Record<string, string>> = {},
): ResolvedWorkflowOutputs {
  const context = workflowTemplateContext(params, stepOutputs, statuses);
  const outputs: JsonObject = {};
  const problems: string[] = [];
  for (const [name, template] of Object.entries(model.outputs)) {
    try {
      const value = renderValue(template, context, { where: `outputs.${name}` });
      if (name === '__proto__') Object.defineProperty(outputs, name, { value, enumerable: true, writable: true, configurable: true });
      else outputs[name] = value;
    } catch (error) {
      problems.push(isHookflowError(error) ? errorMessage(error) : `outputs.${name}: ${errorMessage(error)}`);
    }
  }
  return { outputs, error: problems.length > 0 ? problems.join('; ') : null };
}
