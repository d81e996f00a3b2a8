import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseProgramsConfig, PROGRAM_FIELDS, SETTINGS_FIELDS } from '../../src/programs/config.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hookflow-programs-fuzz-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Whatever the text, a result: a configuration or errors, every problem well formed, no internal failure. */
function checkResult(text: string): void {
  const file = join(dir, 'config.yaml');
  const result = parseProgramsConfig(text, file);
  assert.equal(result.config === null, result.errors.length > 0, 'a configuration exactly when there are no errors');
  for (const problem of [...result.errors, ...result.warnings]) {
    assert.equal(typeof problem.message, 'string');
    assert.ok(problem.message.length > 0);
    assert.ok(problem.where.startsWith(file), problem.where);
    assert.equal(typeof problem.path, 'string');
    for (const place of [problem.line, problem.column]) assert.ok(place === null || (Number.isInteger(place) && place >= 1), `${place}`);
    // The catch-all in parseProgramsConfig is a safety net: reaching it is a bug.
    assert.doesNotMatch(problem.message, /could not be read/, problem.message);
  }
  for (const program of result.config?.programs ?? []) {
    assert.ok(program.directory.startsWith('/'), program.directory);
    assert.ok(Array.isArray(program.argv));
    for (const value of Object.values(program.env)) assert.equal(typeof value, 'string');
  }
}

const tokens = fc.constantFrom(
  'scripts:',
  'bots:',
  'settings:',
  '\n',
  '  ',
  '    ',
  'path: ',
  'id: ',
  'a:',
  '- ',
  '&x ',
  '*x',
  '<<: ',
  '{',
  '}',
  '[',
  ']',
  ', ',
  '"',
  "'",
  ':',
  'x',
  '#',
  '..',
  '/',
  '!!binary ',
  '!!set ',
  '!!omap ',
  '!!timestamp 2001-12-14',
  '? ',
  '|',
  '>',
  '%YAML 1.1\n',
  '---\n',
  '...\n',
  '.inf',
  '-.nan',
  'null',
  '~',
  'yes',
  '0x1F',
  '1e400',
  '__proto__: ',
  'constructor: ',
  'memory_limit: ',
  'cpu_limit: ',
  'schedule: ',
  'parameters: ',
  'env: ',
  'before: ',
  '\t',
  '\u0000',
  '\uFEFF',
);

const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('1g', '256Mi', '0.5', '500m', '*/5 * * * *', 'Europe/Paris', 'docker', 'compose', '../x', '/etc', 'a | b', "it's"));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('node'), { maxKeys: 3 })),
})).node;
const field = (names: readonly string[]) => fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 10 }));
const programArb = fc.dictionary(field(PROGRAM_FIELDS), value, { maxKeys: 8 });
const configArb = fc.record(
  {
    scripts: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(programArb, value), { maxKeys: 4 }), value),
    bots: fc.dictionary(fc.string({ maxLength: 8 }), programArb, { maxKeys: 3 }),
    settings: fc.oneof(fc.dictionary(field(SETTINGS_FIELDS), value, { maxKeys: 6 }), value),
  },
  { requiredKeys: [] },
);

describe('parseProgramsConfig on any input', () => {
  it('takes any text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), checkResult), { numRuns: 200 });
  });

  it('takes any soup of YAML tokens', () => {
    fc.assert(
      fc.property(fc.array(tokens, { maxLength: 60 }), (parts) => checkResult(parts.join(''))),
      { numRuns: 200 },
    );
  });

  it('takes any document shaped like a configuration', () => {
    fc.assert(
      fc.property(configArb, (config) => checkResult(stringify(config))),
      { numRuns: 200 },
    );
  });
});
