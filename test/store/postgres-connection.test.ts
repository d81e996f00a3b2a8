import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isTransientConflict,
  openError,
  redactUrl,
  schemaFromUrl,
  validateSchema,
  validateUrl,
} from '../../src/store/postgres/connection.js';

describe('PostgreSQL connection helpers', () => {
  it('redactUrl hides the password and nothing else', () => {
    const cases: Array<[string, string]> = [
      ['postgres://u:secret@db:5432/app', 'postgres://u:***@db:5432/app'],
      ['postgres://u@db/app', 'postgres://u@db/app'],
      ['postgresql://db/app?sslmode=require', 'postgresql://db/app?sslmode=require'],
    ];
    for (const [url, expected] of cases) assert.equal(redactUrl(url), expected, url);
  });

  it('schemaFromUrl splits ?schema= off and keeps the other parameters', () => {
    const cases: Array<[string, { url: string; schema: string | undefined }]> = [
      ['postgres://u:p@h/db', { url: 'postgres://u:p@h/db', schema: undefined }],
      ['postgres://u:p@h/db?schema=tenant_1', { url: 'postgres://u:p@h/db', schema: 'tenant_1' }],
      ['postgres://u:p@h/db?sslmode=disable&schema=s', { url: 'postgres://u:p@h/db?sslmode=disable', schema: 's' }],
    ];
    for (const [url, expected] of cases) assert.deepEqual(schemaFromUrl(url), expected, url);
  });

  it('accepts plain schema identifiers only', () => {
    const cases: Array<[string, boolean]> = [
      ['hookflow', true],
      ['_tenant_2', true],
      ['a'.repeat(63), true],
      ['a'.repeat(64), false],
      ['Tenant', false],
      ['2fast', false],
      ['x;drop', false],
      ['', false],
    ];
    for (const [schema, valid] of cases) {
      if (valid) assert.doesNotThrow(() => validateSchema(schema), schema);
      else assert.throws(() => validateSchema(schema), { code: 'HF_ERR_INVALID_STORE_URL' }, schema);
    }
  });

  it('accepts postgres:// and postgresql:// URLs only', () => {
    assert.doesNotThrow(() => validateUrl('postgres://h/db'));
    assert.doesNotThrow(() => validateUrl('postgresql://h/db'));
    assert.throws(() => validateUrl('sqlite:./x.db'), { code: 'HF_ERR_INVALID_STORE_URL' });
  });

  it('openError names the server without the password and hints by cause', () => {
    const url = 'postgres://u:secret@db:5432/app';
    const cases: Array<[unknown, RegExp | undefined]> = [
      [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), /running/],
      [Object.assign(new Error('password authentication failed'), { code: '28P01' }), /password/],
      [Object.assign(new Error('database "app" does not exist'), { code: '3D000' }), /create the database/],
      [Object.assign(new Error('syntax error'), { code: '42601' }), undefined],
    ];
    for (const [cause, hint] of cases) {
      const error = openError(url, cause);
      assert.equal(error.code, 'HF_ERR_STORE');
      assert.ok(error.message.includes('db:5432/app') && !error.message.includes('secret'), error.message);
      if (hint) assert.match(String(error.details.hint), hint);
      else assert.equal(error.details.hint, undefined);
    }
  });

  it('retries deadlocks and serialization failures only', () => {
    const cases: Array<[unknown, boolean]> = [
      [{ code: '40P01' }, true],
      [{ code: '40001' }, true],
      [{ code: '23505' }, false],
      [new Error('x'), false],
      [null, false],
    ];
    for (const [error, expected] of cases) assert.equal(isTransientConflict(error), expected, JSON.stringify(error));
  });
});
