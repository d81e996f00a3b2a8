/**
 * Which steps a DAG template reads (`steps.ID…`): the worker asks this of every action step it
 * runs, so it lives apart from the DAG validator (which loads the YAML parser and every action).
 */

const STEP_REF = /(?<![\w.])steps\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*(['"])(.*?)\2\s*\])/g;
const TEMPLATE_BLOCK = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}/g;

/** The step ids a template (or, with `bare`, an expression without braces) reads through `steps.ID`. */
export function stepReferences(text: string, bare = false): string[] {
  const sources = bare && !text.includes('{{') && !text.includes('{%') ? [text] : [...text.matchAll(TEMPLATE_BLOCK)].map((match) => match[1] ?? match[2] ?? '');
  const ids: string[] = [];
  for (const source of sources) for (const match of source.matchAll(STEP_REF)) ids.push(match[1] ?? match[3]);
  return [...new Set(ids)];
}
