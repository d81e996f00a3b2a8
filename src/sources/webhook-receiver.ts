import { HookflowError } from '../errors.js';
import type { JsonObject, NewEvent } from '../events/model.js';
import type { SourceStore } from '../store/sources.js';
import { validateWebhookConfig } from './config.js';
import { deliveryData } from './webhook-data.js';
import { verifyDelivery, type RequestHeaders } from './webhook-verify.js';

export interface WebhookDelivery {
  name: string;
  headers: RequestHeaders;
  /** The body exactly as received. */
  body: Buffer;
  ip: string;
}

export interface WebhookReceiverDeps {
  sources: SourceStore;
  revealSecret(name: string): Promise<string | null>;
  publish(event: NewEvent): Promise<{ event: { id: string } }>;
  /** Records a refused delivery (a security.unauthorized event). */
  unauthorized(data: JsonObject): void;
  parseJson(text: string): unknown;
  now?: () => number;
}

/**
 * Turns a webhook delivery into an event: the endpoint must exist and be enabled, the delivery
 * must carry a valid signature, and only then is anything stored.
 */
export class WebhookReceiver {
  constructor(private readonly deps: WebhookReceiverDeps) {}

  async receive(delivery: WebhookDelivery): Promise<{ event_id: string }> {
    const record = await this.deps.sources.getSource('webhook', delivery.name);
    if (!record || !record.enabled) {
      throw new HookflowError('HF_ERR_NOT_FOUND', record ? `webhook "${delivery.name}" is disabled` : `no webhook named "${delivery.name}"`);
    }
    const config = validateWebhookConfig(record.config);
    const secret = await this.deps.revealSecret(config.secret);
    const verdict =
      secret === null || secret === ''
        ? { ok: false as const, reason: `secret "${config.secret}" is not set (hookflow secret set ${config.secret})`, hidden: true }
        : verifyDelivery(config, secret, delivery.headers, delivery.body, (this.deps.now ?? Date.now)());
    if (!verdict.ok) {
      this.deps.unauthorized({ webhook: delivery.name, ip: delivery.ip, reason: verdict.reason });
      const shown = 'hidden' in verdict ? 'it cannot be verified' : verdict.reason;
      throw new HookflowError('HF_ERR_UNAUTHORIZED', `webhook "${delivery.name}" refused the delivery: ${shown}`);
    }
    const data = deliveryData(headerText(delivery.headers['content-type']), delivery.body, delivery.headers, config.headers, this.deps.parseJson);
    const { event } = await this.deps.publish({ type: config.event_type, stack: config.stack, data, source: `webhook:${delivery.name}` });
    return { event_id: event.id };
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
