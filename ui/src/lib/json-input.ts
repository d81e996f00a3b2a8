/** Checks the JSON a person typed before it is sent, with a line and column for mistakes. */

export type JsonObjectInput = { ok: true; value: Record<string, unknown> } | { ok: false; message: string; line: number | null; column: number | null };

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  return { line, column: position - before.lastIndexOf('\n') };
}

/** An empty text is `{}`; anything else must be one JSON object. */
export function parseJsonObject(text: string): JsonObjectInput {
  if (text.trim() === '') return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(raw);
    const message = raw.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '');
    if (position) {
      const { line, column } = lineAndColumn(text, Number(position[1]));
      return { ok: false, message: `${message} at line ${line}, column ${column}`, line, column };
    }
    return { ok: false, message, line: null, column: null };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, message: `the data must be a JSON object ({…}), not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}`, line: null, column: null };
  }
  return { ok: true, value: value as Record<string, unknown> };
}
