import { useState } from 'preact/hooks';
import type { Role } from '../api.js';
import { addSource, configText, SourcesPage } from '../components/sources.js';
import { Field, Time } from '../components/ui.js';
import { parseJsonObject } from '../lib/json-input.js';

function AddSchedule({ onAdded }: { onAdded: () => void }) {
  const [name, setName] = useState('');
  const [cron, setCron] = useState('*/5 * * * *');
  const [timezone, setTimezone] = useState('');
  const [eventType, setEventType] = useState('schedule.triggered');
  const [payload, setPayload] = useState('{}');
  const [catchUp, setCatchUp] = useState(false);
  const parsed = parseJsonObject(payload);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!parsed.ok) return;
    const config = { cron: cron.trim(), timezone: timezone.trim() || null, event_type: eventType.trim() || undefined, payload: parsed.value, catch_up: catchUp };
    if (await addSource('schedule', name.trim(), config)) {
      setName('');
      onAdded();
    }
  };
  return (
    <form class="panel" onSubmit={submit} aria-label="Add a schedule">
      <h2>Add a schedule</h2>
      <div class="row">
        <Field label="Name">
          <input name="schedule-name" required value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </Field>
        <Field label="Cron" hint="5 fields, 6 with seconds, or @hourly">
          <input name="schedule-cron" required value={cron} onInput={(event) => setCron(event.currentTarget.value)} />
        </Field>
        <Field label="Time zone">
          <input name="schedule-timezone" placeholder="server's (or Europe/Paris, UTC)" value={timezone} onInput={(event) => setTimezone(event.currentTarget.value)} />
        </Field>
        <Field label="Event type">
          <input name="schedule-type" value={eventType} onInput={(event) => setEventType(event.currentTarget.value)} />
        </Field>
      </div>
      <Field label="Payload (JSON object)" hint={parsed.ok ? undefined : <span class="error-text">{parsed.message}</span>}>
        <textarea name="schedule-payload" class="json-input" rows={3} spellcheck={false} aria-invalid={!parsed.ok} value={payload} onInput={(event) => setPayload(event.currentTarget.value)} />
      </Field>
      <label class="check">
        <input type="checkbox" checked={catchUp} onChange={(event) => setCatchUp(event.currentTarget.checked)} /> after downtime, run once for missed ticks
      </label>
      <button type="submit" class="button-primary" disabled={!parsed.ok}>
        Add schedule
      </button>
    </form>
  );
}

export function SchedulesPage({ role }: { role: Role }) {
  return (
    <SourcesPage
      kind="schedule"
      title="Schedules"
      role={role}
      intro="Cron schedules publish an event on every tick; exactly one server fires each tick when several share the store."
      columns={[
        {
          label: 'Cron',
          cell: (source) => (
            <span>
              <code>{configText(source, 'cron')}</code>
              {source.config.timezone ? <div class="muted small">{configText(source, 'timezone')}</div> : null}
            </span>
          ),
        },
        { label: 'Event', cell: (source) => <code>{configText(source, 'event_type')}</code>, wide: true },
        { label: 'Next run', cell: (source) => <Time iso={source.next_run ?? null} /> },
        { label: 'Last run', cell: (source) => <Time iso={source.last_run ?? null} />, wide: true },
      ]}
      form={(onAdded) => <AddSchedule onAdded={onAdded} />}
    />
  );
}
