import type { JsonObject, JsonValue } from '../../events/model.js';
import { clip } from './values.js';

/** What each notification channel receives, built from one description. Pure functions. */

export const SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Notice {
  id: string;
  title: string;
  message: string;
  severity: Severity;
  recipients: string[];
  metadata: JsonObject;
  /** ISO 8601 */
  sentAt: string;
}

const SEVERITY_HEX: Record<Severity, string> = { info: '2563eb', warning: 'd97706', error: 'dc2626', critical: '7f1d1d' };
const SEVERITY_EMOJI: Record<Severity, string> = { info: ':information_source:', warning: ':warning:', error: ':x:', critical: ':rotating_light:' };
const ADAPTIVE_COLOR: Record<Severity, string> = { info: 'Accent', warning: 'Warning', error: 'Attention', critical: 'Attention' };

/** The generic webhook body: everything, as JSON. */
export function webhookPayload(notice: Notice): JsonObject {
  return {
    notification_id: notice.id,
    channel: 'webhook',
    title: notice.title,
    message: notice.message,
    severity: notice.severity,
    recipients: notice.recipients,
    metadata: notice.metadata,
    sent_at: notice.sentAt,
  };
}

// Slack's limits: a header block holds 150 characters, a section 3000, `text` about 40000.
const SLACK_HEADER_MAX = 150;
const SLACK_SECTION_MAX = 3000;

/** A Slack incoming-webhook message: `text` (the notification fallback) and blocks. */
export function slackPayload(notice: Notice): JsonObject {
  const blocks: JsonValue[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(notice.title, SLACK_HEADER_MAX), emoji: true } },
    ...(notice.message ? [{ type: 'section', text: { type: 'mrkdwn', text: clip(notice.message, SLACK_SECTION_MAX) } }] : []),
    { type: 'context', elements: [{ type: 'mrkdwn', text: `${SEVERITY_EMOJI[notice.severity]} severity: *${notice.severity}*` }] },
  ];
  return { text: clip(`${SEVERITY_EMOJI[notice.severity]} *${notice.title}*${notice.message ? `\n${notice.message}` : ''}`, 39_000), blocks };
}

export type TeamsFormat = 'adaptive' | 'message_card';

/**
 * A Microsoft Teams message: an Adaptive Card in a message envelope (what Teams workflow webhooks
 * take), or the legacy connector MessageCard.
 */
export function teamsPayload(notice: Notice, format: TeamsFormat): JsonObject {
  if (format === 'message_card') {
    return {
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: notice.title,
      themeColor: SEVERITY_HEX[notice.severity],
      title: notice.title,
      text: notice.message,
      sections: [{ facts: [{ name: 'Severity', value: notice.severity }] }],
    };
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: notice.title, weight: 'Bolder', size: 'Medium', wrap: true, color: ADAPTIVE_COLOR[notice.severity] },
            { type: 'TextBlock', text: notice.message, wrap: true },
            { type: 'FactSet', facts: [{ title: 'Severity', value: notice.severity }] },
          ],
        },
      },
    ],
  };
}

export interface EmailMessage {
  to: string[];
  subject: string;
  text: string;
  headers: Record<string, string>;
}

/** An e-mail: the title as subject (tagged with the severity unless info), the message as text. */
export function emailMessage(notice: Notice): EmailMessage {
  return {
    to: notice.recipients,
    subject: notice.severity === 'info' ? notice.title : `[${notice.severity.toUpperCase()}] ${notice.title}`,
    text: notice.message,
    headers: { 'X-Hookflow-Notification-Id': notice.id, 'X-Hookflow-Severity': notice.severity },
  };
}

/** Recipients as written: a list, or one string of addresses separated by commas or semicolons. */
export function recipientList(value: JsonValue | undefined): string[] {
  const items = Array.isArray(value) ? value.map((item) => (typeof item === 'string' ? item : '')) : typeof value === 'string' ? value.split(/[,;]/) : [];
  return items.map((item) => item.trim()).filter((item) => item.length > 0);
}
