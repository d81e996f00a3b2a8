import type { JsonObject, JsonValue } from '../events/model.js';

/**
 * `KEY=VALUE` pairs (`--param`, `?param=`) as an object: each value as JSON when it parses
 * (numbers, booleans, lists), else as its text. A pair without a key before `=` goes to `refuse`,
 * which throws the caller's own error.
 */
export function parseAssignments(assignments: readonly string[], refuse: (assignment: string) => never): JsonObject {
  const params: JsonObject = {};
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    if (at <= 0) refuse(assignment);
    const text = assignment.slice(at + 1);
    let value: JsonValue;
    try {
      value = JSON.parse(text) as JsonValue;
    } catch {
      value = text;
    }
    params[assignment.slice(0, at)] = value;
  }
  return params;
}
