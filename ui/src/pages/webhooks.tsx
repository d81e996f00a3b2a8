import { useState } from 'preact/hooks';
import type { Role } from '../api.js';
import { addSource, configText, SourcesPage } from '../components/sources.js';
import { Field } from '../components/ui.js';

const SCHEMES = [
  ['github', 'GitHub (X-Hub-Signature-256)'],
  ['hmac', 'HMAC with a signed timestamp'],
  ['bearer', 'Bearer secret'],
] as const;

function AddWebhook({ onAdded }: { onAdded: () => void }) {
  const [name, setName] = useState('');
  const [eventType, setEventType] = useState('');
  const [verify, setVerify] = useState('github');
  const [secret, setSecret] = useState('');
  const [stack, setStack] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    if (await addSource('webhook', name.trim(), { event_type: eventType.trim(), verify, secret: secret.trim(), stack: stack.trim() || null })) {
      setName('');
      onAdded();
    }
  };
  return (
    <form class="panel" onSubmit={submit} aria-label="Add a webhook">
      <h2>Add a webhook</h2>
      <div class="row">
        <Field label="Name">
          <input name="webhook-name" required value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </Field>
        <Field label="Event type">
          <input name="webhook-type" required placeholder="github.push" value={eventType} onInput={(event) => setEventType(event.currentTarget.value)} />
        </Field>
        <Field label="Verification">
          <select name="webhook-verify" value={verify} onChange={(event) => setVerify(event.currentTarget.value)}>
            {SCHEMES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Secret name" hint="a secret set on the Secrets page">
          <input name="webhook-secret" required value={secret} onInput={(event) => setSecret(event.currentTarget.value)} />
        </Field>
        <Field label="Stack">
          <input name="webhook-stack" placeholder="none" value={stack} onInput={(event) => setStack(event.currentTarget.value)} />
        </Field>
      </div>
      <button type="submit" class="button-primary">
        Add webhook
      </button>
    </form>
  );
}

export function WebhooksPage({ role }: { role: Role }) {
  return (
    <SourcesPage
      kind="webhook"
      title="Webhooks"
      role={role}
      intro="Webhook endpoints turn signed HTTP deliveries (POST /webhooks/NAME) into events; a bad signature is refused and recorded as security.unauthorized."
      columns={[
        {
          label: 'Deliveries to',
          cell: (source) => {
            const path = source.url ?? `/webhooks/${encodeURIComponent(source.name)}`;
            return (
              <code title={`${location.origin}${path}`}>
                POST {path}
              </code>
            );
          },
          wide: true,
        },
        { label: 'Event', cell: (source) => <code>{configText(source, 'event_type')}</code> },
        {
          label: 'Verification',
          cell: (source) => (
            <span>
              {configText(source, 'verify')}
              <div class="muted small">secret {configText(source, 'secret')}</div>
            </span>
          ),
          wide: true,
        },
      ]}
      form={(onAdded) => <AddWebhook onAdded={onAdded} />}
    />
  );
}
