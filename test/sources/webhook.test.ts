import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebhookConfig } from '../../src/sources/config.js';
import { deliveryData } from '../../src/sources/webhook-data.js';
import { githubSignature, hmacSignature, verifyDelivery, type RequestHeaders } from '../../src/sources/webhook-verify.js';

const SECRET = 'k3y';
const NOW_MS = 1_700_000_000_000;
const NOW_S = NOW_MS / 1000;
const BODY = Buffer.from('{"action":"opened"}');

const github: WebhookConfig = { event_type: 'a.b', stack: null, verify: 'github', secret: 's', headers: [] };
const hmac: WebhookConfig = { event_type: 'a.b', stack: null, verify: 'hmac', secret: 's', signature_header: 'x-sig', tolerance_s: 300, headers: [] };
const bearer: WebhookConfig = { event_type: 'a.b', stack: null, verify: 'bearer', secret: 's', headers: [] };

describe('verifyDelivery', () => {
  const v1 = (t: number, secret = SECRET) => hmacSignature(secret, BODY, t).split(',')[1];
  const cases: Array<[string, WebhookConfig, RequestHeaders, true | RegExp]> = [
    ['github: a good signature', github, { 'x-hub-signature-256': githubSignature(SECRET, BODY) }, true],
    ['github: hex in capitals', github, { 'x-hub-signature-256': githubSignature(SECRET, BODY).toUpperCase().replace('SHA256', 'sha256') }, true],
    ['github: no header', github, {}, /no x-hub-signature-256 header/],
    ['github: sha1 instead', github, { 'x-hub-signature-256': 'sha1=abc' }, /is not "sha256=<hex>"/],
    ['github: a short digest', github, { 'x-hub-signature-256': 'sha256=abcd' }, /does not match/],
    ['github: two headers', github, { 'x-hub-signature-256': ['sha256=a', 'sha256=b'] }, /more than one/],
    ['github: another secret', github, { 'x-hub-signature-256': githubSignature('other', BODY) }, /does not match/],
    ['hmac: a good signature now', hmac, { 'x-sig': hmacSignature(SECRET, BODY, NOW_S) }, true],
    ['hmac: signed 299 s ago', hmac, { 'x-sig': hmacSignature(SECRET, BODY, NOW_S - 299) }, true],
    ['hmac: signed 301 s ago (a replay)', hmac, { 'x-sig': hmacSignature(SECRET, BODY, NOW_S - 301) }, /301 s ago, more than the 300 s tolerance/],
    ['hmac: signed 301 s ahead', hmac, { 'x-sig': hmacSignature(SECRET, BODY, NOW_S + 301) }, /in the future/],
    ['hmac: rotating secrets, the second v1 matches', hmac, { 'x-sig': `t=${NOW_S},${v1(NOW_S, 'old')},${v1(NOW_S)}` }, true],
    ['hmac: the signature of another time', hmac, { 'x-sig': `t=${NOW_S},${v1(NOW_S - 1)}` }, /does not match/],
    ['hmac: two timestamps', hmac, { 'x-sig': `t=${NOW_S},t=${NOW_S},${v1(NOW_S)}` }, /more than one t=/],
    ['hmac: no v1', hmac, { 'x-sig': `t=${NOW_S}` }, /is not "t=<unix seconds>,v1=<hex>"/],
    ['hmac: a timestamp that is not a number', hmac, { 'x-sig': `t=soon,${v1(NOW_S)}` }, /is not "t=<unix seconds>,v1=<hex>"/],
    ['hmac: the default header is not the configured one', hmac, { 'x-hookflow-signature': hmacSignature(SECRET, BODY, NOW_S) }, /no x-sig header/],
    ['bearer: the secret', bearer, { authorization: `Bearer ${SECRET}` }, true],
    ['bearer: lowercase scheme', bearer, { authorization: `bearer ${SECRET}` }, true],
    ['bearer: a prefix of the secret', bearer, { authorization: 'Bearer k3' }, /does not match/],
    ['bearer: basic auth', bearer, { authorization: 'Basic azN5Og==' }, /is not "Bearer <secret>"/],
    ['bearer: nothing', bearer, {}, /no authorization header/],
  ];
  for (const [name, config, headers, expected] of cases) {
    it(name, () => {
      const verdict = verifyDelivery(config, SECRET, headers, BODY, NOW_MS);
      if (expected === true) assert.deepEqual(verdict, { ok: true });
      else {
        assert.equal(verdict.ok, false);
        assert.match((verdict as { reason: string }).reason, expected);
      }
    });
  }
});

describe('deliveryData', () => {
  const parse = (text: string) => JSON.parse(text) as unknown;
  const cases: Array<[string, string | undefined, Buffer, RequestHeaders, string[], unknown]> = [
    ['a JSON object as is', 'application/json; charset=utf-8', Buffer.from('{"a":{"b":1}}'), { 'x-e': 'push' }, ['x-e', 'x-missing'], { a: { b: 1 }, headers: { 'x-e': 'push' } }],
    ['a +json type', 'application/vnd.github+json', Buffer.from('{"a":1}'), {}, [], { a: 1, headers: {} }],
    ['a JSON list goes under body', 'application/json', Buffer.from('[1,2]'), {}, [], { body: [1, 2], headers: {} }],
    ['a payload of its own headers is kept aside', 'application/json', Buffer.from('{"headers":{"x":1}}'), { 'x-e': 'e' }, ['x-e'], { body_headers: { x: 1 }, headers: { 'x-e': 'e' } }],
    ['a form', 'application/x-www-form-urlencoded', Buffer.from('a=1&b=x+y&a=2&c=%26'), {}, [], { a: ['1', '2'], b: 'x y', c: '&', headers: {} }],
    ['text', 'text/plain', Buffer.from('héllo'), {}, [], { body: 'héllo', headers: {} }],
    ['no type is text', undefined, Buffer.from('raw'), {}, [], { body: 'raw', headers: {} }],
    ['bytes that are not UTF-8 as base64', 'application/octet-stream', Buffer.from([0xff, 0xfe, 0x00]), {}, [], { body: '//4A', body_encoding: 'base64', headers: {} }],
    ['an empty body', 'application/json', Buffer.alloc(0), {}, [], { headers: {} }],
    ['a repeated header joined', 'text/plain', Buffer.from('x'), { 'x-r': ['1', '2'] }, ['x-r'], { body: 'x', headers: { 'x-r': '1, 2' } }],
  ];
  for (const [name, type, body, headers, selected, expected] of cases) {
    it(name, () => assert.deepEqual(deliveryData(type, body, headers, selected, parse), expected));
  }

  it('invalid JSON is HF_ERR_INVALID_JSON', () => {
    assert.throws(() => deliveryData('application/json', Buffer.from('{'), {}, [], parse), { code: 'HF_ERR_INVALID_JSON' });
  });
});
