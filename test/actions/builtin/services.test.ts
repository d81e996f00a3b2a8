import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dispatchEventAction } from '../../../src/actions/builtin/dispatch-event.js';
import { invokeServiceAction } from '../../../src/actions/builtin/invoke-service.js';
import { stateActions } from '../../../src/actions/builtin/state.js';
import type { ActionServices } from '../../../src/actions/executor.js';
import { createServiceInvoker, serviceTarget, serviceUrlVariable, ServiceInvocationError } from '../../../src/actions/invoke-service.js';
import type { InvokeServiceOptions } from '../../../src/actions/model.js';
import type { JsonObject, JsonValue } from '../../../src/events/model.js';
import { recordingServices } from '../fixtures.js';
import { json, localServer, run, type LocalServer } from './support.js';

describe('dispatch_event', () => {
  it('publishes the event and outputs its id', async () => {
    const published: Array<{ type: string; data: JsonObject | undefined }> = [];
    const services: ActionServices = {
      ...recordingServices(),
      publish: async (type, data) => {
        published.push({ type, data });
        return 'evt-42';
      },
    };
    const outcome = await run(dispatchEventAction, { type: 'custom.deployed', data: { service: 'api', version: 2 } }, { services });
    assert.equal(outcome.status, 'completed', outcome.error ?? '');
    assert.deepEqual(outcome.outputs, { event_id: 'evt-42', type: 'custom.deployed' });
    assert.deepEqual(published, [{ type: 'custom.deployed', data: { service: 'api', version: 2 } }]);
  });

  it('publishes empty data by default', async () => {
    const services = recordingServices();
    await run(dispatchEventAction, { type: 'custom.ping' }, { services });
    assert.deepEqual(services.published, [{ type: 'custom.ping', data: {} }]);
  });

  const refusals: Array<[JsonObject, RegExp]> = [
    [{ type: 'Task Failed' }, /type is not valid: .*event type/],
    [{ type: 'task.failed', data: [1] }, /data must be an object, not array/],
    [{ type: 'task.failed', stack: 'bad stack!' }, /stack is not valid/],
  ];
  for (const [params, expected] of refusals) {
    it(`refuses ${JSON.stringify(params)} without publishing`, async () => {
      const services = recordingServices();
      const outcome = await run(dispatchEventAction, params, { services });
      assert.equal(outcome.status, 'failed');
      assert.match(outcome.error ?? '', expected);
      assert.deepEqual(services.published, []);
    });
  }

  it('publishes to the stack it names', async () => {
    const services = recordingServices();
    const outcome = await run(dispatchEventAction, { type: 'task.failed', stack: 'production' }, { services });
    assert.equal(outcome.status, 'completed', outcome.error ?? '');
    assert.deepEqual(services.published, [{ type: 'task.failed', data: {}, stack: 'production' }]);
  });
});

describe('set_state and get_state', () => {
  const values = new Map<string, JsonValue>();
  const [setState, getState] = stateActions({ get: async (key) => values.get(key) ?? null, set: async (key, value) => void values.set(key, value) });

  it('write a value and read it back', async () => {
    const written = await run(setState, { key: 'deploys/last', value: { version: '2.1', ok: true } });
    assert.deepEqual(written.outputs, { key: 'deploys/last', value: { version: '2.1', ok: true } });
    assert.deepEqual(values.get('deploys/last'), { version: '2.1', ok: true });
    const read = await run(getState, { key: 'deploys/last' });
    assert.deepEqual(read.outputs, { key: 'deploys/last', value: { version: '2.1', ok: true }, found: true });
  });

  it('give the default for a missing key', async () => {
    assert.deepEqual((await run(getState, { key: 'missing', default: 0 })).outputs, { key: 'missing', value: 0, found: false });
    assert.deepEqual((await run(getState, { key: 'missing' })).outputs, { key: 'missing', value: null, found: false });
  });

  it('refuse a key the store would refuse, and a missing value', async () => {
    assert.match((await run(getState, { key: 'has space' })).error ?? '', /key must be 1-256 letters, digits and _ \. : \/ -/);
    assert.match((await run(setState, { key: 'k' })).error ?? '', /value is required/);
  });
});

describe('service targets', () => {
  const cases: Array<[string, string, InvokeServiceOptions['query'], Parameters<typeof serviceTarget>[3], string, Record<string, string>]> = [
    ['budapp', 'endpoints/1/delete', undefined, { env: {} }, 'http://localhost:3500/v1.0/invoke/budapp/method/endpoints/1/delete', {}],
    ['budapp', '/health', { verbose: true, n: 2 }, { env: { DAPR_HTTP_ENDPOINT: 'http://dapr:3600/', DAPR_API_TOKEN: 'tok' } }, 'http://dapr:3600/v1.0/invoke/budapp/method/health?verbose=true&n=2', { 'dapr-api-token': 'tok' }],
    ['budapp', 'x', undefined, { env: { DAPR_HTTP_PORT: '3999' } }, 'http://localhost:3999/v1.0/invoke/budapp/method/x', {}],
    ['bud-cluster', 'nodes', undefined, { env: { HOOKFLOW_SERVICE_BUD_CLUSTER_URL: 'http://cluster:8080/api/', DAPR_API_TOKEN: 'tok' } }, 'http://cluster:8080/api/nodes', {}],
    ['budapp', 'a/b?c=1', undefined, { env: {}, baseUrls: { budapp: 'https://app.example.com' } }, 'https://app.example.com/a/b?c=1', {}],
  ];
  for (const [appId, path, query, options, url, headers] of cases) {
    it(`${appId} ${path} → ${url}`, () => {
      const target = serviceTarget(appId, path, query, options);
      assert.equal(target.url.href, url);
      assert.deepEqual(target.headers, headers);
    });
  }

  it('names the variable per app id, and refuses bad ids and dot segments', () => {
    assert.equal(serviceUrlVariable('bud.app-x'), 'HOOKFLOW_SERVICE_BUD_APP_X_URL');
    assert.throws(() => serviceTarget('bad/app', 'x', undefined, { env: {} }), /app id "bad\/app" is not valid/);
    for (const path of ['../admin', 'a/./b', 'a/%2e%2E/b']) assert.throws(() => serviceTarget('app', path, undefined, { env: {} }), /may not contain "\." or "\.\." segments/, path);
  });
});

describe('service invocation against a local server', () => {
  let server: LocalServer;
  before(async () => {
    server = await localServer((request, response) => {
      const path = request.url.split('?')[0];
      if (path.endsWith('/echo')) return json(response, 200, { method: request.method, body: request.body ? (JSON.parse(request.body) as JsonValue) : null, url: request.url, token: request.headers['dapr-api-token'] ?? null });
      if (path.endsWith('/bad')) return json(response, 422, { detail: [{ loc: ['body', 'name'], msg: 'field required' }] });
      if (path.endsWith('/gone')) return json(response, 410, { message: 'workflow expired' });
      if (path.endsWith('/plain')) {
        response.writeHead(500);
        return response.end('{"error":"db down"}');
      }
      if (path.endsWith('/slow')) return;
      response.writeHead(204);
      response.end();
    });
  });
  after(() => server.close());

  it('goes through the Dapr URL with the token, JSON in and out', async () => {
    const invoke = createServiceInvoker({ env: { DAPR_HTTP_ENDPOINT: server.url, DAPR_API_TOKEN: 'sekret' } });
    const answer = await invoke('budapp', 'items/echo', { data: { name: 'x' }, query: { dry: true } });
    assert.deepEqual(answer, { method: 'POST', body: { name: 'x' }, url: '/v1.0/invoke/budapp/method/items/echo?dry=true', token: 'sekret' });
    const request = server.requests[server.requests.length - 1];
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers.accept, 'application/json');
  });

  it('goes to a configured base URL without the Dapr token; GET without data, null for no content', async () => {
    const invoke = createServiceInvoker({ env: { DAPR_API_TOKEN: 'sekret', [serviceUrlVariable('budapp')]: `${server.url}/api` } });
    assert.deepEqual(await invoke('budapp', 'echo'), { method: 'GET', body: null, url: '/api/echo', token: null });
    assert.equal(await invoke('budapp', 'nothing', { method: 'delete' }), null);
  });

  const failures: Array<[string, number, RegExp, JsonValue]> = [
    ['bad', 422, /^POST budapp\/bad answered 422: \[\{"loc":\["body","name"\],"msg":"field required"\}\]$/, { detail: [{ loc: ['body', 'name'], msg: 'field required' }] }],
    ['gone', 410, /^POST budapp\/gone answered 410: workflow expired$/, { message: 'workflow expired' }],
    ['plain', 500, /^POST budapp\/plain answered 500: db down$/, { error: 'db down' }],
  ];
  for (const [path, status, message, body] of failures) {
    it(`turns a ${status} into an error carrying the body’s detail`, async () => {
      const invoke = createServiceInvoker({ baseUrls: { budapp: server.url } });
      const error = await invoke('budapp', path, { data: {} }).then(
        () => null,
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof ServiceInvocationError);
      assert.match(error.message, message);
      assert.equal(error.status, status);
      assert.deepEqual(error.body, body);
      assert.equal(error.code, 'HF_ERR_SERVICE_INVOCATION');
    });
  }

  it('times out, and is cancelled by a signal', async () => {
    const invoke = createServiceInvoker({ baseUrls: { budapp: server.url } });
    await assert.rejects(invoke('budapp', 'slow', { timeoutSeconds: 0.2 }), /GET budapp\/slow did not answer within 0\.2 s/);
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 50);
    await assert.rejects(invoke('budapp', 'slow', { signal: cancel.signal } as InvokeServiceOptions), /GET budapp\/slow was cancelled/);
  });

  it('says where it tried when nothing listens', async () => {
    const closed = await localServer(() => undefined);
    await closed.close();
    const invoke = createServiceInvoker({ env: { DAPR_HTTP_ENDPOINT: closed.url } });
    const error = await invoke('budapp', 'x').catch((caught: unknown) => caught);
    assert.ok(error instanceof ServiceInvocationError);
    assert.match(error.message, /GET budapp\/x failed: .*ECONNREFUSED/);
    assert.match(String(error.details.hint), /is a Dapr sidecar listening at http:\/\/127\.0\.0\.1:\d+\? Or set HOOKFLOW_SERVICE_BUDAPP_URL/);
  });

  it('backs the invoke_service action: response on success, the error answer on failure', async () => {
    const services: ActionServices = { ...recordingServices(), invokeService: createServiceInvoker({ baseUrls: { budapp: server.url } }) };
    const ok = await run(invokeServiceAction, { app_id: 'budapp', method_path: 'echo', data: { a: 1 }, query: { q: 'x' } }, { services });
    assert.equal(ok.status, 'completed', ok.error ?? '');
    assert.deepEqual(ok.outputs.response, { method: 'POST', body: { a: 1 }, url: '/echo?q=x', token: null });
    const failed = await run(invokeServiceAction, { app_id: 'budapp', method_path: 'gone', method: 'GET' }, { services });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, 'GET budapp/gone answered 410: workflow expired');
    assert.deepEqual(failed.outputs.response, { message: 'workflow expired' });
  });

  it('passes its timeout to the invoker', async () => {
    const calls: Array<{ appId: string; path: string; options: InvokeServiceOptions | undefined }> = [];
    const services: ActionServices = {
      ...recordingServices(),
      invokeService: async (appId, path, options) => {
        calls.push({ appId, path, options });
        return 'ok';
      },
    };
    await run(invokeServiceAction, { app_id: 'a', method_path: 'p' }, { services });
    assert.deepEqual(calls.map((call) => [call.appId, call.path, call.options?.timeoutSeconds]), [['a', 'p', 30]]);
    assert.ok(calls[0].options?.signal instanceof AbortSignal, 'the run’s signal travels with the call, so a cancel aborts it');
  });
});
