import { useState } from 'preact/hooks';
import { api, type ActionCatalogue, type ActionSummaryJson } from '../api.js';
import { ActionIcon } from '../components/action-icon.js';
import { Empty, ErrorNotice, Loading, PageHeader } from '../components/ui.js';
import { useApi } from '../components/use-api.js';
import { byCategory, matchesAction, safeColor } from '../lib/action-form.js';
import { href } from '../router.js';
import './actions.css';

/** Plugins that failed to load: the rest of the catalogue works, but someone should know. */
export function PluginFailures({ failures }: { failures: ActionCatalogue['plugin_failures'] }) {
  if (failures.length === 0) return null;
  return (
    <div class="notice notice-missing plugin-failures" role="note">
      <strong>
        {failures.length === 1 ? 'One action plugin' : `${failures.length} action plugins`} could not be loaded.
      </strong>{' '}
      The other actions work; fix the plugin and restart the server.
      <ul>
        {failures.map((failure) => (
          <li key={failure.source}>
            <code>{failure.source}</code>: {failure.error}
          </li>
        ))}
      </ul>
    </div>
  );
}

function ActionCard({ action }: { action: ActionSummaryJson }) {
  const color = safeColor(action.color);
  return (
    <li class="action-card" data-action={action.type} style={color ? { '--action-color': color } : undefined}>
      <ActionIcon icon={action.icon} color={action.color} name={action.name} />
      <div class="action-card-body">
        <a class="action-name" href={href(['actions', action.type])}>
          {action.name}
        </a>
        <div class="action-meta">
          <code>{action.type}</code> <span class="muted">v{action.version}</span>
          {action.executionMode === 'event_driven' ? <span class="badge badge-pending" title="Waits for an event before it completes">event-driven</span> : null}
          {action.source !== 'builtin' ? (
            <span class="badge" title={action.source}>
              plugin
            </span>
          ) : null}
        </div>
        <p class="action-description">{action.description}</p>
      </div>
    </li>
  );
}

/** Every action (built-ins and plugins) by category, with a filter box; each opens its run form. */
export function ActionsPage() {
  const loaded = useApi(() => api.actions(), []);
  const [query, setQuery] = useState('');
  const catalogue = loaded.data;
  const shown = catalogue ? catalogue.actions.filter((action) => matchesAction(action, query)) : [];
  const groups = catalogue ? byCategory(shown, catalogue.categories) : [];

  return (
    <section>
      <PageHeader title="Actions" />
      {loaded.error ? (
        <ErrorNotice error={loaded.error} what="Actions" />
      ) : !catalogue ? (
        <Loading />
      ) : (
        <>
          <PluginFailures failures={catalogue.plugin_failures} />
          <p class="muted">
            Typed units of work that hooks, pipelines and workflows run. Open one to see its params and outputs and to run it once. {catalogue.actions.length} actions in{' '}
            {catalogue.categories.length} categories.
          </p>
          <div class="filters">
            <label class="field">
              <span class="field-label">Filter</span>
              <input type="search" name="action-filter" placeholder="name, type or words of the description" value={query} onInput={(event) => setQuery(event.currentTarget.value)} />
            </label>
          </div>
          {catalogue.actions.length === 0 ? (
            <Empty>No actions are registered.</Empty>
          ) : groups.length === 0 ? (
            <Empty>No action matches “{query}”.</Empty>
          ) : (
            groups.map((group) => {
              const id = `category-${group.category.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
              return (
                <section class="action-category" key={group.category} aria-labelledby={id} data-category={group.category}>
                  <h2 id={id}>
                    {group.category} <span class="muted small">{group.actions.length}</span>
                  </h2>
                  <ul class="action-cards">
                    {group.actions.map((action) => (
                      <ActionCard key={action.type} action={action} />
                    ))}
                  </ul>
                </section>
              );
            })
          )}
        </>
      )}
    </section>
  );
}
