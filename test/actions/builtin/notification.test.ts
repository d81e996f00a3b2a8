import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { notificationAction } from '../../../src/actions/builtin/notification.js';
import { emailMessage, recipientList, slackPayload, teamsPayload, webhookPayload, type Notice } from '../../../src/actions/builtin/notification-payloads.js';
import type { JsonObject, JsonValue } from '../../../src/events/model.js';
import { json, localServer, run, type LocalServer } from './support.js';

const notice = (overrides: Partial<Notice> = {}): Notice => ({
  id: 'ex-1-notify',
  title: 'Deploy failed',
  message: 'api v2 did not start',
  severity: 'error',
  recipients: ['ops@example.com'],
  metadata: { source: 'hookflow' },
  sentAt: '2030-01-01T00:00:00.000Z',
  ...overrides,
});

describe('notification payloads', () => {
  it('webhook: the whole notification as JSON', () => {
    assert.deepEqual(webhookPayload(notice()), {
      notification_id: 'ex-1-notify',
      channel: 'webhook',
      title: 'Deploy failed',
      message: 'api v2 did not start',
      severity: 'error',
      recipients: ['ops@example.com'],
      metadata: { source: 'hookflow' },
      sent_at: '2030-01-01T00:00:00.000Z',
    });
  });

  it('slack: text plus header, section and context blocks, within Slack’s limits', () => {
    const payload = slackPayload(notice());
    assert.equal(payload.text, ':x: *Deploy failed*\napi v2 did not start');
    assert.deepEqual(
      (payload.blocks as JsonObject[]).map((block) => block.type),
      ['header', 'section', 'context'],
    );
    const long = slackPayload(notice({ title: 'x'.repeat(400), message: '' }));
    const header = (long.blocks as JsonObject[])[0].text as JsonObject;
    assert.equal(String(header.text).length, 150);
    assert.deepEqual(
      (long.blocks as JsonObject[]).map((block) => block.type),
      ['header', 'context'],
    );
  });

  it('teams: an Adaptive Card in a message, or a MessageCard', () => {
    const adaptive = teamsPayload(notice(), 'adaptive');
    const attachment = (adaptive.attachments as JsonObject[])[0];
    assert.equal(adaptive.type, 'message');
    assert.equal(attachment.contentType, 'application/vnd.microsoft.card.adaptive');
    const card = attachment.content as JsonObject;
    assert.equal(card.type, 'AdaptiveCard');
    assert.deepEqual((card.body as JsonObject[])[0], { type: 'TextBlock', text: 'Deploy failed', weight: 'Bolder', size: 'Medium', wrap: true, color: 'Attention' });
    const legacy = teamsPayload(notice({ severity: 'warning' }), 'message_card');
    assert.equal(legacy['@type'], 'MessageCard');
    assert.equal(legacy.themeColor, 'd97706');
    assert.equal(legacy.text, 'api v2 did not start');
  });

  const subjects: Array<[Notice['severity'], string]> = [
    ['info', 'Deploy failed'],
    ['warning', '[WARNING] Deploy failed'],
    ['critical', '[CRITICAL] Deploy failed'],
  ];
  for (const [severity, subject] of subjects) {
    it(`email: a ${severity} subject reads "${subject}"`, () => assert.equal(emailMessage(notice({ severity })).subject, subject));
  }

  const lists: Array<[JsonValue | undefined, string[]]> = [
    [['a@x.io', ' b@x.io '], ['a@x.io', 'b@x.io']],
    ['a@x.io, b@x.io; c@x.io', ['a@x.io', 'b@x.io', 'c@x.io']],
    ['', []],
    [undefined, []],
  ];
  for (const [value, expected] of lists) {
    it(`recipients ${JSON.stringify(value)} → ${JSON.stringify(expected)}`, () => assert.deepEqual(recipientList(value), expected));
  }
});

describe('notification over HTTP', () => {
  let server: LocalServer;
  before(async () => {
    server = await localServer((request, response) => {
      if (request.url === '/slack-bad') {
        response.writeHead(400, { 'content-type': 'text/plain' });
        return response.end('invalid_payload');
      }
      if (request.url === '/slack') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        return response.end('ok');
      }
      json(response, 202, { accepted: true });
    });
  });
  after(() => server.close());

  const last = () => JSON.parse(server.requests[server.requests.length - 1].body) as JsonObject;

  it('webhook: POSTs the notification as JSON, with its headers', async () => {
    const outcome = await run(
      notificationAction,
      { channel: 'webhook', url: `${server.url}/hook`, title: 'Nightly', message: 'done', recipients: 'a@x.io', headers: { 'X-Token': 'abc' }, metadata: { run: 7 } },
      { stepId: 'notify', executionId: 'ex-9' },
    );
    assert.equal(outcome.status, 'completed', outcome.error ?? '');
    assert.deepEqual(outcome.outputs, { sent: true, notification_id: 'ex-9-notify', channel: 'webhook', status_code: 202, message_id: null });
    const request = server.requests[server.requests.length - 1];
    assert.equal(request.method, 'POST');
    assert.equal(request.headers['x-token'], 'abc');
    assert.equal(request.headers['content-type'], 'application/json');
    const body = last();
    assert.equal(body.notification_id, 'ex-9-notify');
    assert.equal(body.title, 'Nightly');
    assert.equal(body.severity, 'info');
    assert.deepEqual(body.recipients, ['a@x.io']);
    assert.deepEqual(body.metadata, { run: 7, source: 'hookflow', execution_id: 'ex-9', step_id: 'notify' });
    assert.deepEqual(outcome.warnings, []);
  });

  it('slack: POSTs {text, blocks} to the incoming-webhook URL', async () => {
    const outcome = await run(notificationAction, { channel: 'slack', url: `${server.url}/slack`, title: 'Task failed', message: 'build 12 failed', severity: 'warning' });
    assert.equal(outcome.status, 'completed', outcome.error ?? '');
    const body = last();
    assert.equal(body.text, ':warning: *Task failed*\nbuild 12 failed');
    assert.equal((body.blocks as JsonObject[]).length, 3);
    assert.match(String(outcome.outputs.notification_id), /^notification-[0-9a-f-]{36}$/);
  });

  it('teams: POSTs an Adaptive Card by default, a MessageCard when asked', async () => {
    await run(notificationAction, { channel: 'teams', url: `${server.url}/teams`, message: 'hello' });
    assert.equal(last().type, 'message');
    await run(notificationAction, { channel: 'teams', url: `${server.url}/teams`, message: 'hello', teams_format: 'message_card' });
    assert.equal(last()['@type'], 'MessageCard');
  });

  it('fails with what the endpoint answered', async () => {
    const outcome = await run(notificationAction, { channel: 'slack', url: `${server.url}/slack-bad`, message: 'x' });
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.error, 'the slack endpoint answered 400: invalid_payload');
    assert.deepEqual({ sent: outcome.outputs.sent, status_code: outcome.outputs.status_code }, { sent: false, status_code: 400 });
  });

  it('needs a URL for the HTTP channels', async () => {
    const outcome = await run(notificationAction, { channel: 'slack', message: 'x' });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /url is required/);
  });
});

interface Received {
  from: string;
  to: string[];
  user: string | null;
  raw: string;
}

describe('notification by e-mail', () => {
  const received: Received[] = [];
  let smtp: SMTPServer;
  let port = 0;
  const savedEnv = { url: process.env.HOOKFLOW_SMTP_URL, from: process.env.HOOKFLOW_SMTP_FROM };

  before(async () => {
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'mailer' && auth.password === 's3cret') return callback(null, { user: auth.username });
        callback(new Error('Invalid username or password'));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            user: typeof session.user === 'string' ? session.user : null,
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    port = (smtp.server.address() as AddressInfo).port;
  });
  after(async () => {
    process.env.HOOKFLOW_SMTP_URL = savedEnv.url;
    process.env.HOOKFLOW_SMTP_FROM = savedEnv.from;
    if (savedEnv.url === undefined) delete process.env.HOOKFLOW_SMTP_URL;
    if (savedEnv.from === undefined) delete process.env.HOOKFLOW_SMTP_FROM;
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('sends through the SMTP server in the params, with login', async () => {
    const outcome = await run(
      notificationAction,
      {
        channel: 'email',
        recipients: ['ops@example.com', 'dev@example.com'],
        title: 'Disk almost full',
        message: 'node-3: 95% used',
        severity: 'critical',
        smtp_host: '127.0.0.1',
        smtp_port: port,
        smtp_user: 'mailer',
        smtp_password: 's3cret',
        from: 'hookflow@example.com',
      },
      { stepId: 'mail', executionId: 'ex-3' },
    );
    assert.equal(outcome.status, 'completed', outcome.error ?? '');
    assert.equal(outcome.outputs.sent, true);
    assert.match(String(outcome.outputs.message_id), /^<.+@.+>$/);
    const mail = received[received.length - 1];
    assert.equal(mail.from, 'hookflow@example.com');
    assert.deepEqual(mail.to, ['ops@example.com', 'dev@example.com']);
    assert.equal(mail.user, 'mailer');
    assert.match(mail.raw, /^Subject: \[CRITICAL\] Disk almost full\r?$/m);
    assert.match(mail.raw, /^X-Hookflow-Notification-Id: ex-3-mail\r?$/im);
    assert.match(mail.raw, /^X-Hookflow-Severity: critical\r?$/m);
    assert.match(mail.raw, /node-3: 95% used/);
  });

  it('sends through HOOKFLOW_SMTP_URL when the params name no server', async () => {
    process.env.HOOKFLOW_SMTP_URL = `smtp://mailer:s3cret@127.0.0.1:${port}`;
    process.env.HOOKFLOW_SMTP_FROM = 'alerts@example.com';
    const outcome = await run(notificationAction, { channel: 'email', recipients: 'team@example.com', title: 'Hi', message: 'from the env' });
    assert.equal(outcome.status, 'completed', outcome.error ?? '');
    const mail = received[received.length - 1];
    assert.deepEqual([mail.from, mail.to, mail.user], ['alerts@example.com', ['team@example.com'], 'mailer']);
    assert.match(mail.raw, /^Subject: Hi\r?$/m);
  });

  it('fails with the server’s refusal of a wrong password', async () => {
    const outcome = await run(notificationAction, { channel: 'email', recipients: 'a@example.com', message: 'x', smtp_host: '127.0.0.1', smtp_port: port, smtp_user: 'mailer', smtp_password: 'wrong' });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /^email could not be sent: .*Invalid username or password/);
    assert.equal(outcome.outputs.sent, false);
  });

  it('says what is missing: a server, or recipients', async () => {
    delete process.env.HOOKFLOW_SMTP_URL;
    const noServer = await run(notificationAction, { channel: 'email', recipients: 'a@example.com', message: 'x' });
    assert.match(noServer.error ?? '', /email needs an SMTP server: set smtp_host .* or HOOKFLOW_SMTP_URL/);
    const noRecipients = await run(notificationAction, { channel: 'email', message: 'x', smtp_host: '127.0.0.1' });
    assert.match(noRecipients.error ?? '', /recipients is required for email/);
  });
});
