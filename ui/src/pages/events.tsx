import { useEffect, useRef, useState } from 'preact/hooks';
import { api, roleAllows, type ApiError, type EventJson, type EventStatus, type Role } from '../api.js';
import { notify } from '../components/notify.js';
import { Empty, ErrorNotice, Field, Loading, PageHeader, StatusBadge, Time } from '../components/ui.js';
import { toApiError } from '../components/use-api.js';
import { matchesFilters, type EventFilters } from '../lib/filters.js';
import { parseJsonObject } from '../lib/json-input.js';
import { useLive } from '../live.js';
import { href, navigate, type Route } from '../router.js';

const STATUSES: EventStatus[] = ['pending', 'processing', 'completed', 'failed'];
/** Live rows on top of the loaded page: the list stops growing here. */
const MAX_ROWS = 500;
const PAGE = 50;

function filtersOf(route: Route): EventFilters {
  return { type: route.query.get('type') ?? '', status: route.query.get('status') ?? '', stack: route.query.get('stack') ?? '' };
}

function addressOf(filters: EventFilters): string {
  return `${filters.type}\n${filters.status}\n${filters.stack}`;
}

/** The filter form: its fields go into the address (#/events?type=…), so a filtered list is a link. */
function Filters({ filters }: { filters: EventFilters }) {
  const [type, setType] = useState(filters.type ?? '');
  const [status, setStatus] = useState(filters.status ?? '');
  const [stack, setStack] = useState(filters.stack ?? '');
  // Follows the address when it changes (a link, Back), not at mount: state set after the first
  // render would overwrite what was typed meanwhile. Not by remounting: that would lose the focus.
  const shownAddress = useRef(addressOf(filters));
  useEffect(() => {
    const address = addressOf(filters);
    if (address === shownAddress.current) return;
    shownAddress.current = address;
    setType(filters.type ?? '');
    setStatus(filters.status ?? '');
    setStack(filters.stack ?? '');
  }, [filters.type, filters.status, filters.stack]);

  return (
    <form
      class="filters"
      role="search"
      aria-label="Filter events"
      onSubmit={(event) => {
        event.preventDefault();
        navigate(['events'], { type: type.trim(), status, stack: stack.trim() });
      }}
    >
      <Field label="Type">
        <input name="type" placeholder="task.* or task.failed" value={type} onInput={(event) => setType(event.currentTarget.value)} />
      </Field>
      <Field label="Status">
        <select name="status" value={status} onChange={(event) => setStatus(event.currentTarget.value)}>
          <option value="">any</option>
          {STATUSES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Stack">
        <input name="stack" placeholder="any" value={stack} onInput={(event) => setStack(event.currentTarget.value)} />
      </Field>
      <div class="filters-actions">
        <button type="submit">Filter</button>
        {filters.type || filters.status || filters.stack ? <a href={href(['events'])}>Clear</a> : null}
      </div>
    </form>
  );
}

/** Publish an event by hand (operators): type, stack, and data as JSON checked before it is sent. */
function Publish() {
  const [type, setType] = useState('');
  const [stack, setStack] = useState('');
  const [data, setData] = useState('{\n  \n}');
  const [busy, setBusy] = useState(false);
  const parsed = parseJsonObject(data);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!parsed.ok) return;
    setBusy(true);
    try {
      const answer = await api.publish({ type: type.trim(), data: parsed.value, stack: stack.trim() || null });
      notify(`Published ${answer.event.type} (${answer.event.id})`);
    } catch (error) {
      notify(`Not published: ${toApiError(error).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <details class="panel publish">
      <summary>Publish an event</summary>
      <form onSubmit={submit}>
        <div class="row">
          <Field label="Type">
            <input name="publish-type" required placeholder="deploy.finished" value={type} onInput={(event) => setType(event.currentTarget.value)} />
          </Field>
          <Field label="Stack">
            <input name="publish-stack" placeholder="none" value={stack} onInput={(event) => setStack(event.currentTarget.value)} />
          </Field>
        </div>
        <Field label="Data (JSON object)" hint={parsed.ok ? 'Ctrl+Enter publishes' : <span class="error-text">{parsed.message}</span>}>
          <textarea
            name="publish-data"
            class="json-input"
            rows={5}
            spellcheck={false}
            aria-invalid={!parsed.ok}
            value={data}
            onInput={(event) => setData(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) event.currentTarget.form?.requestSubmit();
            }}
          />
        </Field>
        <button type="submit" class="button-primary" disabled={busy || !parsed.ok}>
          Publish
        </button>
      </form>
    </details>
  );
}

/** The event list: one page from GET /events, then live rows from the stream as they happen. */
export function EventsPage({ route, role }: { route: Route; role: Role }) {
  const filters = filtersOf(route);
  const filterKey = `${filters.type}|${filters.status}|${filters.stack}`;
  const [events, setEvents] = useState<EventJson[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  useEffect(() => {
    let current = true;
    setEvents(null);
    setError(null);
    api.events({ ...filters, limit: PAGE }).then(
      (page) => {
        if (!current) return;
        setEvents(page.events);
        setCursor(page.next_cursor);
      },
      (failure: unknown) => current && setError(toApiError(failure)),
    );
    return () => {
      current = false;
    };
  }, [filterKey]);

  const eventsRef = useRef(events);
  eventsRef.current = events;
  useLive((message) => {
    const event = withoutExecutions(message.event);
    if (!eventsRef.current) return;
    const known = eventsRef.current.some((row) => row.id === event.id);
    if (!known && !matchesFilters(event, filtersRef.current)) return;
    setEvents((previous) => {
      if (!previous) return previous;
      const index = previous.findIndex((row) => row.id === event.id);
      if (index < 0) return [event, ...previous].slice(0, MAX_ROWS);
      // A row that stops matching (a status filter) stays until the next load: rows do not jump away under the pointer.
      const next = [...previous];
      next[index] = { ...previous[index], ...event };
      return next;
    });
    if (!known) {
      setFresh((marks) => new Set(marks).add(event.id));
      setTimeout(
        () =>
          setFresh((marks) => {
            const next = new Set(marks);
            next.delete(event.id);
            return next;
          }),
        3000,
      );
    }
  });

  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await api.events({ ...filters, limit: PAGE, before: cursor });
      setEvents((previous) => {
        const seen = new Set((previous ?? []).map((row) => row.id));
        return [...(previous ?? []), ...page.events.filter((row) => !seen.has(row.id))];
      });
      setCursor(page.next_cursor);
    } catch (failure) {
      notify(`Could not load more: ${toApiError(failure).message}`, 'error');
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <section>
      <PageHeader title="Events" />
      <Filters filters={filters} />
      {roleAllows(role, 'operator') ? <Publish /> : null}
      {error ? (
        <ErrorNotice error={error} what="Events" />
      ) : !events ? (
        <Loading what="Loading events" />
      ) : events.length === 0 ? (
        <Empty>No events{filters.type || filters.status || filters.stack ? ' match these filters' : ' yet'}. New ones appear here as they happen.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="events-table">
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col" class="wide-only">Stack</th>
                <th scope="col" class="wide-only">Source</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id} class={fresh.has(event.id) ? 'fresh' : undefined} data-event-id={event.id}>
                  <td>
                    <a href={href(['events', event.id])}>{event.type}</a>
                    {event.error ? <div class="error-text small clip">{event.error}</div> : null}
                  </td>
                  <td>
                    <StatusBadge status={event.status} />
                  </td>
                  <td class="wide-only">{event.stack ?? <span class="muted">—</span>}</td>
                  <td class="wide-only">
                    <span class="clip">{event.source}</span>
                  </td>
                  <td>
                    <Time iso={event.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && events ? (
        <p>
          <button type="button" onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Older events'}
          </button>
        </p>
      ) : null}
    </section>
  );
}

function withoutExecutions(event: EventJson & { executions?: unknown }): EventJson {
  const { executions: _executions, ...rest } = event;
  return rest;
}
