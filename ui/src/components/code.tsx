import { useEffect, useState } from 'preact/hooks';

type Highlighter = (text: string, language: string) => string | null;
let highlighter: Promise<Highlighter> | null = null;

/** highlight.js is loaded on the first source shown, not with every page (its own chunk). */
function loadHighlighter(): Promise<Highlighter> {
  highlighter ??= import('../highlight.js').then((module) => module.highlight);
  return highlighter;
}

/** Source text with line numbers and syntax colours; focusable so it scrolls by keyboard. */
export function Code({ text, language, label }: { text: string; language: string; label: string }) {
  const [html, setHtml] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    setHtml(null);
    loadHighlighter().then(
      (highlight) => current && setHtml(highlight(text, language)),
      () => undefined, // plain text stays: colours are a nicety
    );
    return () => {
      current = false;
    };
  }, [text, language]);
  const lines = text.split('\n').length;
  return (
    <div class="code-view">
      <pre class="code-lines" aria-hidden="true">
        {Array.from({ length: lines }, (_, index) => index + 1).join('\n')}
      </pre>
      <pre class="code-text" tabIndex={0} aria-label={label} data-highlighted={html !== null ? 'yes' : 'no'}>
        {html === null ? <code>{text}</code> : <code class={`hljs language-${language}`} dangerouslySetInnerHTML={{ __html: html }} />}
      </pre>
    </div>
  );
}
