import { useState } from 'preact/hooks';
import { api, roleAllows, type ExecutionJson, type Role } from '../api.js';
import { notify } from '../components/notify.js';
import { Duration, Empty, ErrorNotice, JsonBlock, Loading, PageHeader, StatusBadge, Time } from '../components/ui.js';
import { toApiError, useApi } from '../components/use-api.js';
import { useLive } from '../live.js';
import { href, navigate } from '../router.js';

function Execution({ execution }: { execution: ExecutionJson }) {
  return (
    <article class={`execution ${execution.success ? 'execution-ok' : 'execution-failed'}`} aria-label={`hook ${execution.hook_name}`}>
      <header>
        <h3>
          <a href={href(['hooks', execution.hook_name])}>{execution.hook_name}</a>
        </h3>
        <StatusBadge status={execution.success ? 'success' : 'failure'} />
        <span class="muted">
          <Duration ms={execution.duration_ms} /> · attempt {execution.attempt} · <Time iso={execution.executed_at} />
        </span>
      </header>
      {execution.output ? (
        <>
          <h4>Output</h4>
          <pre class="block output" tabIndex={0}>
            {execution.output}
          </pre>
        </>
      ) : (
        <p class="muted small">No output.</p>
      )}
      {execution.error ? (
        <>
          <h4>Error</h4>
          <pre class="block output error-text" tabIndex={0}>
            {execution.error}
          </pre>
        </>
      ) : null}
    </article>
  );
}

/** One event: its fields, data, and every hook execution with output and error; replay and delete. */
export function EventPage({ id, role }: { id: string; role: Role }) {
  const loaded = useApi(() => api.event(id), [id]);
  const [busy, setBusy] = useState(false);
  useLive(
    (message) => {
      if (message.event.id === id) loaded.reload();
    },
    [id],
  );

  const replay = async () => {
    setBusy(true);
    try {
      const answer = await api.replay(id);
      notify(`Replayed as ${answer.event.id}`);
      navigate(['events', answer.event.id]);
    } catch (error) {
      notify(`Replay failed: ${toApiError(error).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (!confirm(`Delete event ${id} and its hook executions?`)) return;
    setBusy(true);
    try {
      await api.deleteEvent(id);
      notify(`Deleted event ${id}`);
      navigate(['events']);
    } catch (error) {
      notify(`Not deleted: ${toApiError(error).message}`, 'error');
      setBusy(false);
    }
  };

  const event = loaded.data;
  const operator = roleAllows(role, 'operator');
  const final = event && (event.status === 'completed' || event.status === 'failed');
  return (
    <section>
      <PageHeader title={event ? event.type : 'Event'}>
        {event && operator ? (
          <>
            <button type="button" class="button-primary" onClick={replay} disabled={busy}>
              Replay
            </button>
            <button type="button" class="button-danger" onClick={remove} disabled={busy || !final} title={final ? undefined : 'only processed events can be deleted'}>
              Delete
            </button>
          </>
        ) : null}
      </PageHeader>
      <p>
        <a href={href(['events'])}>← All events</a>
      </p>
      {loaded.error ? (
        <ErrorNotice error={loaded.error} what={`Event ${id}`} />
      ) : !event ? (
        <Loading />
      ) : (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={event.status} /> {event.attempts > 1 ? <span class="muted">after {event.attempts} attempts</span> : null}
            </dd>
            <dt>ID</dt>
            <dd>
              <code>{event.id}</code>
            </dd>
            <dt>Stack</dt>
            <dd>{event.stack ?? <span class="muted">—</span>}</dd>
            <dt>Source</dt>
            <dd>{event.source}</dd>
            <dt>Created</dt>
            <dd>
              <Time iso={event.created_at} />
            </dd>
            <dt>Processed</dt>
            <dd>
              <Time iso={event.processed_at} />
            </dd>
            {event.correlation_id ? (
              <>
                <dt>Correlation</dt>
                <dd>
                  <code>{event.correlation_id}</code>
                </dd>
              </>
            ) : null}
            {event.parent_id ? (
              <>
                <dt>Replay of</dt>
                <dd>
                  <a href={href(['events', event.parent_id])}>{event.parent_id}</a>
                </dd>
              </>
            ) : null}
            {event.idempotency_key ? (
              <>
                <dt>Idempotency key</dt>
                <dd>
                  <code>{event.idempotency_key}</code>
                </dd>
              </>
            ) : null}
          </dl>
          {event.error ? (
            <div class="notice notice-error" role="note">
              {event.error}
            </div>
          ) : null}
          <h2>Data</h2>
          <JsonBlock value={event.data} label="event data" />
          <h2>Hook executions ({event.executions.length})</h2>
          {event.executions.length === 0 ? (
            <Empty>{final ? 'No hook matched this event.' : 'Waiting for the dispatcher: executions appear here when the event is processed.'}</Empty>
          ) : (
            <div class="executions">
              {event.executions.map((execution) => (
                <Execution key={`${execution.hook_name}:${execution.attempt}`} execution={execution} />
              ))}
            </div>
          )}
        </>
      )}
    </section>
  );
}
