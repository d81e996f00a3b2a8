import YAML from 'yaml';
import type { JsonValue } from '../../events/model.js';

/** YAML for hooks: plain data in, plain data out (no custom tags, dates stay strings). */
export function yamlDecode(text: string): JsonValue {
  const document = YAML.parseDocument(text, { schema: 'core', uniqueKeys: true });
  if (document.errors.length > 0) throw new Error(`yaml: ${document.errors[0].message.split('\n')[0]}`);
  return (document.toJS({ maxAliasCount: 100 }) ?? null) as JsonValue;
}

export function yamlEncode(value: JsonValue): string {
  return YAML.stringify(value, { schema: 'core', lineWidth: 0 });
}
