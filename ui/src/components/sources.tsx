import type { ComponentChildren, JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, roleAllows, type Role, type SourceJson, type SourceKind } from '../api.js';
import { notify } from './notify.js';
import { Empty, ErrorNotice, Loading, PageHeader, StatusBadge } from './ui.js';
import { toApiError, useApi } from './use-api.js';

export interface SourceColumn {
  label: string;
  cell: (source: SourceJson) => JSX.Element | string;
  /** Hidden on a phone. */
  wide?: boolean;
}

const NOUN: Record<SourceKind, string> = { schedule: 'schedule', webhook: 'webhook', watcher: 'watcher' };

/** A string field of a source's config, or '' (configs are validated JSON objects on the server). */
export function configText(source: SourceJson, key: string): string {
  const value = source.config[key];
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function SourceActions({ kind, source, onChanged }: { kind: SourceKind; source: SourceJson; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const act = async (what: string, action: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await action();
      notify(`${NOUN[kind]} ${source.name} ${what}`);
      onChanged();
    } catch (error) {
      notify(`${NOUN[kind]} ${source.name} unchanged: ${toApiError(error).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" disabled={busy} onClick={() => act(source.enabled ? 'disabled' : 'enabled', () => api.setSourceEnabled(kind, source.name, !source.enabled))} aria-label={`${source.enabled ? 'Disable' : 'Enable'} ${NOUN[kind]} ${source.name}`}>
        {source.enabled ? 'Disable' : 'Enable'}
      </button>
      <button
        type="button"
        class="button-danger"
        disabled={busy}
        aria-label={`Remove ${NOUN[kind]} ${source.name}`}
        onClick={() => {
          if (confirm(`Remove ${NOUN[kind]} ${source.name}?`)) void act('removed', () => api.deleteSource(kind, source.name));
        }}
      >
        Remove
      </button>
    </>
  );
}

/**
 * The page of one kind of event source: a table with enable/disable/remove for operators and
 * the kind's add form. A server without these routes gets a clear notice, not an empty table.
 */
export function SourcesPage({
  kind,
  title,
  intro,
  columns,
  role,
  form,
}: {
  kind: SourceKind;
  title: string;
  intro: ComponentChildren;
  columns: SourceColumn[];
  role: Role;
  form?: (onAdded: () => void) => JSX.Element;
}) {
  const loaded = useApi(() => api.sources(kind), [kind]);
  const operator = roleAllows(role, 'operator');
  const missing = loaded.error?.routeMissing === true;
  return (
    <section>
      <PageHeader title={title} />
      <p class="muted">{intro}</p>
      {loaded.error ? (
        <ErrorNotice error={loaded.error} what={title} />
      ) : !loaded.data ? (
        <Loading />
      ) : loaded.data.length === 0 ? (
        <Empty>No {NOUN[kind]}s yet.</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                {columns.map((column) => (
                  <th key={column.label} scope="col" class={column.wide ? 'wide-only' : undefined}>
                    {column.label}
                  </th>
                ))}
                <th scope="col">State</th>
                {operator ? (
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {loaded.data.map((source) => (
                <tr key={source.name}>
                  <td>
                    {source.name}
                    {source.config.stack ? <div class="muted small">stack {configText(source, 'stack')}</div> : null}
                  </td>
                  {columns.map((column) => (
                    <td key={column.label} class={column.wide ? 'wide-only' : undefined}>
                      {column.cell(source)}
                    </td>
                  ))}
                  <td>
                    <StatusBadge status={source.enabled ? 'enabled' : 'disabled'} />
                  </td>
                  {operator ? (
                    <td class="actions">
                      <SourceActions kind={kind} source={source} onChanged={loaded.reload} />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {operator && form && !missing ? form(loaded.reload) : null}
    </section>
  );
}

/** Saves a new source from a form, with the server's warnings (a secret not set yet) shown. */
export async function addSource(kind: SourceKind, name: string, config: Record<string, unknown>): Promise<boolean> {
  try {
    const answer = await api.addSource(kind, { name, config });
    notify(`${NOUN[kind]} ${answer.source.name} added${answer.warnings.length ? `; note: ${answer.warnings.join('; ')}` : ''}`, answer.warnings.length ? 'error' : 'ok');
    return true;
  } catch (error) {
    const failure = toApiError(error);
    notify(`${NOUN[kind]} not added: ${failure.message}${failure.hint ? ` (${failure.hint})` : ''}`, 'error');
    return false;
  }
}
