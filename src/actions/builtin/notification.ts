import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Mail, SMTPSentMessageInfo, SMTPTransportOptions } from 'nodemailer';
import type { JsonObject, JsonValue } from '../../events/model.js';
import { httpRequest } from '../../hooks/modules/http.js';
import { defineAction, type ActionContext, type ActionResult } from '../model.js';
import { SEVERITIES, emailMessage, recipientList, slackPayload, teamsPayload, webhookPayload, type Notice, type Severity } from './notification-payloads.js';
import { errorDetail, headerProblems, headerRecord, isJsonObject, jsonKind, parseBody } from './values.js';

export const NOTIFICATION_CHANNELS = ['webhook', 'slack', 'teams', 'email'] as const;
type Channel = (typeof NOTIFICATION_CHANNELS)[number];

const EMAIL_GROUP = 'Email (SMTP)';

function outputsOf(channel: Channel, id: string, fields: { sent: boolean; status_code?: number | null; message_id?: string | null }): JsonObject {
  return { sent: fields.sent, notification_id: id, channel, status_code: fields.status_code ?? null, message_id: fields.message_id ?? null };
}

async function postJson(ctx: ActionContext, channel: Channel, notice: Notice, payload: JsonObject, headers: Record<string, string>): Promise<ActionResult> {
  const url = String(ctx.params.url);
  const timeoutSeconds = Number(ctx.params.timeout_seconds);
  try {
    const response = await httpRequest('POST', url, { headers: { 'content-type': 'application/json', ...headers }, body: payload, timeout_ms: timeoutSeconds * 1000 }, ctx.signal);
    const outputs = outputsOf(channel, notice.id, { sent: response.status_code < 400, status_code: response.status_code });
    if (response.status_code < 400) {
      ctx.log.info(`${channel} notification ${notice.id} sent (${response.status_code})`);
      return { success: true, outputs };
    }
    const detail = errorDetail(parseBody(response.body, response.headers['content-type']));
    return { success: false, outputs, error: `the ${channel} endpoint answered ${response.status_code}${detail ? `: ${detail}` : ''}` };
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    const message = (error as Error).message;
    return { success: false, outputs: outputsOf(channel, notice.id, { sent: false }), error: /timed out or was aborted/.test(message) ? `the ${channel} endpoint did not answer within ${timeoutSeconds} s` : message };
  }
}

/**
 * SMTP settings from the params, else from HOOKFLOW_SMTP_URL (smtp://user:password@host:port, smtps:// for TLS).
 * nodemailer is imported here, with the first email: every process that loads the built-in actions (a worker,
 * `hookflow serve`) would otherwise load its modules at start-up.
 */
async function smtpTransport(params: JsonObject, timeoutMs: number): Promise<{ transport: Mail<SMTPSentMessageInfo, SMTPTransportOptions>; from: string } | string> {
  const { default: nodemailer } = await import('nodemailer');
  const timeouts = { connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs };
  const from = typeof params.from === 'string' && params.from !== '' ? params.from : (process.env.HOOKFLOW_SMTP_FROM ?? `hookflow@${hostname()}`);
  if (typeof params.smtp_host === 'string' && params.smtp_host !== '') {
    const secure = params.smtp_secure === true;
    const user = typeof params.smtp_user === 'string' && params.smtp_user !== '' ? params.smtp_user : null;
    const transport = nodemailer.createTransport({
      host: params.smtp_host,
      port: typeof params.smtp_port === 'number' ? params.smtp_port : secure ? 465 : 587,
      secure,
      ...(user ? { auth: { user, pass: String(params.smtp_password ?? '') } } : {}),
      ...timeouts,
    });
    return { transport, from };
  }
  const url = process.env.HOOKFLOW_SMTP_URL;
  if (!url) return 'email needs an SMTP server: set smtp_host (with smtp_port, smtp_user, smtp_password as needed) or HOOKFLOW_SMTP_URL (smtp://user:password@host:587)';
  if (!/^smtps?:\/\//i.test(url)) return 'HOOKFLOW_SMTP_URL must start with smtp:// or smtps://';
  const parsed = new URL(url);
  const transport = nodemailer.createTransport({
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : parsed.protocol === 'smtps:' ? 465 : 587,
    secure: parsed.protocol === 'smtps:',
    ...(parsed.username ? { auth: { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) } } : {}),
    ...timeouts,
  });
  return { transport, from };
}

async function sendEmail(ctx: ActionContext, notice: Notice): Promise<ActionResult> {
  const timeoutSeconds = Number(ctx.params.timeout_seconds);
  const smtp = await smtpTransport(ctx.params, timeoutSeconds * 1000);
  if (typeof smtp === 'string') return { success: false, outputs: outputsOf('email', notice.id, { sent: false }), error: smtp };
  const message = emailMessage(notice);
  try {
    const info = await smtp.transport.sendMail({ from: smtp.from, to: message.to, subject: message.subject, text: message.text, headers: message.headers, signal: ctx.signal });
    const rejected = info.rejected ?? [];
    ctx.log.info(`email notification ${notice.id} sent to ${message.to.join(', ')}${rejected.length > 0 ? ` (rejected: ${rejected.join(', ')})` : ''}`);
    return { success: true, outputs: outputsOf('email', notice.id, { sent: true, message_id: info.messageId ?? null }) };
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    return { success: false, outputs: outputsOf('email', notice.id, { sent: false }), error: `email could not be sent: ${(error as Error).message}` };
  } finally {
    smtp.transport.close();
  }
}

/** Sends one notification to a webhook, Slack, Teams or by e-mail. */
export const notificationAction = defineAction({
  meta: {
    type: 'notification',
    version: '1.0.0',
    name: 'Send Notification',
    description:
      'Sends a notification: to a webhook (the notification as JSON), Slack (an incoming-webhook URL), Microsoft Teams (a workflow or connector webhook URL), or by e-mail over SMTP (smtp_* params, or HOOKFLOW_SMTP_URL and HOOKFLOW_SMTP_FROM).',
    category: 'Integration',
    icon: 'bell',
    color: '#f59e0b',
    executionMode: 'sync',
    timeoutSeconds: 120,
    idempotent: false,
    params: [
      {
        name: 'channel',
        label: 'Channel',
        type: 'select',
        required: true,
        description: 'Where the notification goes.',
        options: [
          { label: 'Webhook', value: 'webhook' },
          { label: 'Slack', value: 'slack' },
          { label: 'Microsoft Teams', value: 'teams' },
          { label: 'Email', value: 'email' },
        ],
      },
      { name: 'title', label: 'Title', type: 'string', default: 'Workflow Notification', description: 'The headline (the subject of an e-mail).' },
      { name: 'message', label: 'Message', type: 'template', required: true, description: 'The text of the notification (a Jinja2 template).' },
      { name: 'severity', label: 'Severity', type: 'select', default: 'info', options: SEVERITIES.map((severity) => ({ label: severity[0].toUpperCase() + severity.slice(1), value: severity })) },
      { name: 'url', label: 'Webhook URL', type: 'string', required: true, description: 'The webhook, Slack or Teams URL.', placeholder: 'https://hooks.slack.com/services/…', validation: { pattern: '^https?://', patternMessage: 'must start with http:// or https://' }, showWhen: { param: 'channel', notEquals: 'email' } },
      { name: 'recipients', label: 'Recipients', type: 'json', description: 'E-mail addresses (a list, or one string separated by commas); sent along in a webhook body.', placeholder: '["ops@example.com"]' },
      { name: 'headers', label: 'Headers', type: 'json', description: 'Extra HTTP headers for the webhook ({name: value}).', showWhen: { param: 'channel', equals: 'webhook' } },
      {
        name: 'teams_format',
        label: 'Teams card',
        type: 'select',
        default: 'adaptive',
        description: 'Adaptive Card (Teams workflows) or the legacy MessageCard (Office 365 connectors).',
        options: [
          { label: 'Adaptive Card', value: 'adaptive' },
          { label: 'MessageCard (legacy connector)', value: 'message_card' },
        ],
        showWhen: { param: 'channel', equals: 'teams' },
      },
      { name: 'metadata', label: 'Metadata', type: 'json', description: 'More fields for the webhook body’s metadata.' },
      { name: 'smtp_host', label: 'SMTP host', type: 'string', description: 'The mail server (else HOOKFLOW_SMTP_URL).', group: EMAIL_GROUP, showWhen: { param: 'channel', equals: 'email' } },
      { name: 'smtp_port', label: 'SMTP port', type: 'number', description: '587 by default, 465 with smtp_secure.', group: EMAIL_GROUP, validation: { min: 1, max: 65535 }, showWhen: { param: 'channel', equals: 'email' } },
      { name: 'smtp_secure', label: 'TLS from the start', type: 'boolean', default: false, description: 'Connect with TLS (port 465); otherwise STARTTLS is used when the server offers it.', group: EMAIL_GROUP, showWhen: { param: 'channel', equals: 'email' } },
      { name: 'smtp_user', label: 'SMTP user', type: 'string', group: EMAIL_GROUP, showWhen: { param: 'channel', equals: 'email' } },
      { name: 'smtp_password', label: 'SMTP password', type: 'string', description: 'Best given as {{ secret.NAME }}.', group: EMAIL_GROUP, showWhen: { param: 'channel', equals: 'email' } },
      { name: 'from', label: 'From', type: 'string', description: 'The sender (else HOOKFLOW_SMTP_FROM, else hookflow@<host>).', group: EMAIL_GROUP, showWhen: { param: 'channel', equals: 'email' } },
      { name: 'timeout_seconds', label: 'Timeout (seconds)', type: 'number', default: 30, validation: { min: 0.1, max: 110 } },
    ],
    outputs: [
      { name: 'sent', type: 'boolean', description: 'Whether the notification was accepted' },
      { name: 'notification_id', type: 'string', description: 'An id for tracing it (the execution and step ids)' },
      { name: 'channel', type: 'string', description: 'The channel used' },
      { name: 'status_code', type: 'integer', description: 'The HTTP status of the webhook (null for e-mail)' },
      { name: 'message_id', type: 'string', description: 'The Message-ID of the e-mail (null for the others)' },
    ],
    examples: [
      { title: 'Slack when a task fails', params: { channel: 'slack', url: '{{ secret.SLACK_WEBHOOK_URL }}', title: 'Task failed', message: '{{ event.data.task.task_name }} failed', severity: 'error' } },
      { title: 'E-mail the on-call team', params: { channel: 'email', recipients: ['oncall@example.com'], title: 'Nightly run done', message: 'All steps completed.' } },
    ],
  },
  validateParams(params) {
    const problems: Array<{ field: string; message: string }> = [...headerProblems(params.headers, 'headers')];
    if (params.metadata !== undefined && params.metadata !== null && !isJsonObject(params.metadata)) problems.push({ field: 'metadata', message: `must be an object, not ${jsonKind(params.metadata)}` });
    const recipients = params.recipients;
    if (Array.isArray(recipients) && recipients.some((item) => typeof item !== 'string')) problems.push({ field: 'recipients', message: 'must list addresses as strings' });
    else if (recipients !== undefined && recipients !== null && !Array.isArray(recipients) && typeof recipients !== 'string') problems.push({ field: 'recipients', message: `must be a list of addresses or one string, not ${jsonKind(recipients)}` });
    if (params.channel === 'email' && recipientList(recipients).length === 0) problems.push({ field: 'recipients', message: 'is required for email: give at least one address' });
    return problems;
  },
  async execute(ctx) {
    const channel = String(ctx.params.channel) as Channel;
    const notice: Notice = {
      id: ctx.executionId ? `${ctx.executionId}-${ctx.stepId}` : `${ctx.stepId}-${randomUUID()}`,
      title: String(ctx.params.title),
      message: String(ctx.params.message),
      severity: String(ctx.params.severity) as Severity,
      recipients: recipientList(ctx.params.recipients),
      metadata: { ...(isJsonObject(ctx.params.metadata) ? ctx.params.metadata : {}), source: 'hookflow', execution_id: ctx.executionId, step_id: ctx.stepId },
      sentAt: new Date().toISOString(),
    };
    switch (channel) {
      case 'webhook':
        return postJson(ctx, channel, notice, webhookPayload(notice), headerRecord(ctx.params.headers));
      case 'slack':
        return postJson(ctx, channel, notice, slackPayload(notice), {});
      case 'teams':
        return postJson(ctx, channel, notice, teamsPayload(notice, ctx.params.teams_format === 'message_card' ? 'message_card' : 'adaptive'), {});
      case 'email':
        return sendEmail(ctx, notice);
      default:
        return { success: false, error: `notification has no channel "${String(channel as JsonValue)}"` };
    }
  },
});
