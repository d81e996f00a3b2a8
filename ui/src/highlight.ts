/**
 * Syntax highlighting for hook sources: highlight.js core with only the languages hooks are
 * written in, so the bundle carries five grammars instead of ~190.
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import javascript from 'highlight.js/lib/languages/javascript';
import lua from 'highlight.js/lib/languages/lua';
import typescript from 'highlight.js/lib/languages/typescript';
import yaml from 'highlight.js/lib/languages/yaml';

hljs.registerLanguage('bash', bash);
hljs.registerLanguage('javascript', javascript);
hljs.registerLanguage('lua', lua);
hljs.registerLanguage('typescript', typescript);
hljs.registerLanguage('yaml', yaml);

/** The server's language names (GET /hooks/:name/source) → highlight.js grammars. */
const ALIASES: Record<string, string> = { shell: 'bash', sh: 'bash', js: 'javascript', ts: 'typescript', yml: 'yaml' };

/** HTML with highlight.js token spans (the text is escaped by highlight.js), or null for plain text. */
export function highlight(text: string, language: string): string | null {
  const name = ALIASES[language] ?? language;
  if (!hljs.getLanguage(name)) return null;
  return hljs.highlight(text, { language: name, ignoreIllegals: true }).value;
}
