// A second test reporter beside TAP: after the run it repeats every failed test with its file, line
// and error. Why: TAP prints a failure where it happens, among thousands of lines, and a CI log is
// often seen only by its head and tail; this puts the failures in the tail. Prints nothing when all pass.

/** @param {AsyncIterable<{ type: string, data: Record<string, unknown> }>} source */
export default async function* failuresReporter(source) {
  const pathsByPlace = new Map();
  const stacksByFile = new Map();
  const failures = [];
  for await (const event of source) {
    const data = event.data;
    if (event.type === 'test:start') {
      const stack = stacksByFile.get(data.file) ?? [];
      stack.length = data.nesting;
      stack.push(data.name);
      stacksByFile.set(data.file, stack);
      pathsByPlace.set(placeOf(data), stack.join(' › '));
    } else if (event.type === 'test:fail') {
      const error = data.details?.error;
      // A suite fails because a test inside it failed; that test is reported on its own.
      if (error?.failureType === 'subtestsFailed') continue;
      failures.push({
        where: placeInStack(error, data.file) ?? `${data.file ?? '?'}:${data.line ?? '?'}`,
        path: pathsByPlace.get(placeOf(data)) ?? data.name,
        message: describe(error),
      });
    }
  }
  if (failures.length === 0) return;
  yield `\nfailed tests (${failures.length}):\n`;
  for (const failure of failures) {
    yield `  ✖ ${failure.path}\n    at ${failure.where}\n${indent(failure.message, '    ')}\n`;
  }
}

function placeOf(data) {
  return `${data.file}:${data.line}:${data.column}:${data.nesting}:${data.name}`;
}

// A file compiled on the fly (tsx) reports its tests at line 1; the error's stack has the real line.
function placeInStack(error, file) {
  if (typeof file !== 'string') return null;
  const stack = String((error?.cause ?? error)?.stack ?? '');
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const found = new RegExp(`(?:file://)?${escaped}:(\\d+):\\d+`).exec(stack);
  return found ? `${file}:${found[1]}` : null;
}

function describe(error) {
  if (error === undefined || error === null) return '(no error given)';
  const cause = error.cause ?? error;
  const text = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
  // Node's own frames say nothing about the test; dropping them keeps the tail short.
  const lines = text.split('\n').filter((line) => !/\(?node:(internal|async_hooks)|\(<anonymous>\)$/.test(line));
  return (lines.length > 20 ? [...lines.slice(0, 20), `… ${lines.length - 20} more lines`] : lines).join('\n');
}

function indent(text, prefix) {
  return text.split('\n').map((line) => prefix + line).join('\n');
}
