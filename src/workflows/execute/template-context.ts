import type { JsonObject } from '../../events/model.js';
import { stepsView, type StepView, type TemplateContext } from '../../actions/templates.js';

/**
 * What a workflow's templates see (step conditions, step params, the DAG's outputs): `params` (the
 * run's parameters) and `steps.ID.outputs.KEY` / `steps.ID.status`. A skipped step is absent, so
 * reading its outputs is undefined (REFERENCE.md: `| default(…)`), even if outputs were given for it.
 */
export function workflowTemplateContext(params: JsonObject, stepOutputs: Readonly<Record<string, JsonObject>>, statuses: Readonly<Record<string, string>> = {}): TemplateContext {
  const steps: Record<string, StepView> = stepsView(stepOutputs, statuses);
  for (const [id, status] of Object.entries(statuses)) if (status === 'skipped') delete steps[id];
  return { params, steps };
}
