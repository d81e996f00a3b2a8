/// <reference types="vite/client" />

// highlight.js ships no types for its single-language entry points.
declare module 'highlight.js/lib/languages/*' {
  import type { LanguageFn } from 'highlight.js';
  const language: LanguageFn;
  export default language;
}
