import { defineAction } from 'hookflow';

/** Turns text into a URL slug: "Hello, World!" → "hello-world". */
export const slugify = defineAction({
  meta: {
    type: 'slugify',
    version: '1.0.0',
    name: 'Slugify',
    description: 'Turns text into a lowercase URL slug (letters, digits and one separator between words)',
    category: 'Text',
    icon: '🔗',
    color: '#0ea5e9',
    executionMode: 'sync',
    timeoutSeconds: 5,
    idempotent: true,
    params: [
      { name: 'text', label: 'Text', type: 'template', required: true, description: 'the text to slugify', validation: { maxLength: 10_000 } },
      {
        name: 'separator',
        label: 'Separator',
        type: 'select',
        default: '-',
        options: [
          { label: 'Hyphen', value: '-' },
          { label: 'Underscore', value: '_' },
        ],
      },
      { name: 'max_length', label: 'Longest slug', type: 'number', default: 80, validation: { min: 1, max: 500 } },
    ],
    outputs: [
      { name: 'slug', type: 'string', description: 'the slug' },
      { name: 'length', type: 'integer', description: 'its length' },
    ],
    examples: [{ title: 'a release title', params: { text: 'Release 1.4: Faster Hooks!' } }],
  },
  execute(ctx) {
    const separator = String(ctx.params.separator);
    const slug = String(ctx.params.text)
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, separator)
      .replace(new RegExp(`^\\${separator}+|\\${separator}+$`, 'g'), '')
      .slice(0, Number(ctx.params.max_length));
    if (slug.length === 0) return { success: false, error: 'the text has no letters or digits to make a slug from', outputs: { slug: '', length: 0 } };
    return { success: true, outputs: { slug, length: slug.length } };
  },
});

export const actions = [slugify];
