import type { JsonObject, JsonValue } from '../../events/model.js';
import { defineAction } from '../model.js';
import { isTruthy } from '../template-values.js';
import { isJsonObject } from './values.js';

/**
 * Which branch a conditional takes. Branch mode: the first branch whose (rendered) condition is
 * true, by REFERENCE.md's truth rules ("", "false", "none", 0 and empty collections are false).
 * Legacy mode (no branches): `condition` picks true_result or false_result.
 */
export function chooseBranch(params: JsonObject): JsonObject {
  const branches = Array.isArray(params.branches) ? params.branches : [];
  if (branches.length > 0) {
    for (const [index, branch] of branches.entries()) {
      if (!isJsonObject(branch) || !isTruthy(branch.condition)) continue;
      const id = nonEmpty(branch.id) ?? nonEmpty(branch.label) ?? `branch_${index}`;
      const label = nonEmpty(branch.label) ?? id;
      const target = nonEmpty(branch.target_step);
      return { matched_branch: id, matched_label: label, target_step: target, matched_index: index, result: label, branch: id };
    }
    return { matched_branch: null, matched_label: 'none', target_step: null, matched_index: null, result: null, branch: 'none' };
  }
  const taken = isTruthy(params.condition === undefined ? true : params.condition);
  const branch = taken ? 'true' : 'false';
  const result: JsonValue = (taken ? params.true_result : params.false_result) ?? { branch };
  return { result, branch, matched_branch: branch, matched_label: branch, target_step: null, matched_index: null };
}

// A condition still reading like `params.x > 5` was written without {{ }}: it was never evaluated.
const BARE_EXPRESSION = /^\s*(?:not\s+)?(?:params|steps|event|env|workflow)\.[A-Za-z_]/;

/** Conditions that look like expressions left unrendered (they would always count as true). */
export function conditionProblems(params: JsonObject): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  const check = (value: JsonValue | undefined, field: string) => {
    if (typeof value === 'string' && BARE_EXPRESSION.test(value)) {
      problems.push({ field, message: `reads like an expression without {{ }} (${JSON.stringify(value)}): write "{{ ${value.trim()} }}" so it is evaluated` });
    }
  };
  if (Array.isArray(params.branches)) params.branches.forEach((branch, index) => isJsonObject(branch) && check(branch.condition, `branches.${index}.condition`));
  check(params.condition, 'condition');
  return problems;
}

function nonEmpty(value: JsonValue | undefined): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

export const conditionalAction = defineAction({
  meta: {
    type: 'conditional',
    version: '1.0.0',
    name: 'Conditional Branch',
    description:
      'Chooses a branch: the first of `branches` whose condition is true (outputs its target_step and label), or, without branches, true_result or false_result by a boolean `condition`. ' +
      'Conditions are rendered before they are read, so write them as templates ("{{ params.priority > 5 }}") or literals (true, false); false, "", "false", "none", 0 and empty collections are false, anything else is true.',
    category: 'Control Flow',
    icon: 'git-branch',
    color: '#8b5cf6',
    executionMode: 'sync',
    idempotent: true,
    params: [
      { name: 'branches', label: 'Branches', type: 'branches', default: [], description: 'Branches [{id?, label, condition, target_step}], tried in order: the first true one wins.' },
      { name: 'condition', label: 'Condition', type: 'json', default: true, description: 'Without branches: the condition (a boolean or a rendered template).', group: 'Two-way' },
      { name: 'true_result', label: 'Result when true', type: 'json', default: { branch: 'true' }, description: 'Without branches: the result when the condition is true.', group: 'Two-way' },
      { name: 'false_result', label: 'Result when false', type: 'json', default: { branch: 'false' }, description: 'Without branches: the result when the condition is false.', group: 'Two-way' },
    ],
    outputs: [
      { name: 'matched_branch', type: 'string', description: 'The id (or label) of the branch taken; null when none matched; "true"/"false" without branches' },
      { name: 'matched_label', type: 'string', description: 'The label of the branch taken ("none" when none matched)' },
      { name: 'target_step', type: 'string', description: 'The step the taken branch names, or null' },
      { name: 'matched_index', type: 'integer', description: 'The position of the branch taken in branches, or null' },
      { name: 'result', type: 'any', description: 'The label of the branch taken, or true_result / false_result without branches' },
      { name: 'branch', type: 'string', description: 'The branch id, "none", or "true"/"false" without branches' },
    ],
    examples: [
      {
        title: 'Route by priority',
        params: {
          branches: [
            { id: 'high', label: 'High priority', condition: '{{ params.priority > 5 }}', target_step: 'urgent_processing' },
            { id: 'normal', label: 'Normal priority', condition: 'true', target_step: 'standard_processing' },
          ],
        },
      },
      { title: 'Two-way choice', params: { condition: '{{ steps.check.outputs.ok }}', true_result: 'proceed', false_result: 'stop' } },
    ],
  },
  validateParams: conditionProblems,
  execute(ctx) {
    const outputs = chooseBranch(ctx.params);
    ctx.log.info(outputs.matched_branch === null ? 'no branch matched' : `branch ${String(outputs.matched_branch)}${outputs.target_step ? ` → ${String(outputs.target_step)}` : ''}`);
    return { success: true, outputs };
  },
});
