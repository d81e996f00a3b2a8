import nunjucks from 'nunjucks';

/**
 * Jinja-style templates for hooks (`{{ task.task_name }}`, `{% if %}`, filters), rendered by
 * nunjucks with autoescape off: the output goes to messages, commands and payloads, not HTML.
 * Go-template field references from Sloth Runner's documentation (`{{.name}}`, `{{ .task.error }}`)
 * are accepted too: the leading dot is dropped.
 */
const environment = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false });
const compiled = new Map<string, nunjucks.Template>();
const CACHE_LIMIT = 256;
const GO_FIELD = /\{\{(-?)\s*\.(?=[A-Za-z_])/g;

export function renderTemplate(source: string, context: Record<string, unknown>): string {
  try {
    let template = compiled.get(source);
    if (!template) {
      template = new nunjucks.Template(source.replace(GO_FIELD, '{{$1 '), environment, undefined, true);
      if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value as string);
      compiled.set(source, template);
    }
    return template.render(context);
  } catch (error) {
    throw new Error(`template: ${cleanNunjucksMessage(error)}`);
  }
}

function cleanNunjucksMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\(unknown path\)\s*/, '').replace(/\s+/g, ' ').trim();
}
