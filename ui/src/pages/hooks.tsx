import { useState } from 'preact/hooks';
import { api, roleAllows, type HookJson, type Role } from '../api.js';
import { notify } from '../components/notify.js';
import { Empty, ErrorNotice, Loading, PageHeader, StatusBadge, Time } from '../components/ui.js';
import { toApiError, useApi } from '../components/use-api.js';
import { href } from '../router.js';

/** Enable or disable a hook; answers the hook as saved. Shared by the list and the hook's page. */
export function EnableButton({ hook, onSaved }: { hook: HookJson; onSaved: (hook: HookJson) => void }) {
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setBusy(true);
    try {
      const saved = await api.setHookEnabled(hook.name, !hook.enabled);
      onSaved(saved);
      notify(`Hook ${saved.name} ${saved.enabled ? 'enabled' : 'disabled'}`);
    } catch (error) {
      notify(`Hook ${hook.name} unchanged: ${toApiError(error).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" onClick={toggle} disabled={busy} aria-label={`${hook.enabled ? 'Disable' : 'Enable'} hook ${hook.name}`}>
      {hook.enabled ? 'Disable' : 'Enable'}
    </button>
  );
}

export function HooksPage({ role }: { role: Role }) {
  const loaded = useApi(() => api.hooks(), []);
  const operator = roleAllows(role, 'operator');
  const replace = (saved: HookJson) =>
    loaded.setData((previous) => previous && { hooks: previous.hooks.map((hook) => (hook.name === saved.name ? saved : hook)) });

  return (
    <section>
      <PageHeader title="Hooks" />
      {loaded.error ? (
        <ErrorNotice error={loaded.error} what="Hooks" />
      ) : !loaded.data ? (
        <Loading />
      ) : loaded.data.hooks.length === 0 ? (
        <Empty>
          No hooks yet. Add one with <code>hookflow hook add</code>, a file in <code>HOOKFLOW_HOME/hooks/</code>, or <code>POST /hooks</code>.
        </Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Hook</th>
                <th scope="col" class="wide-only">Runtime</th>
                <th scope="col">Events</th>
                <th scope="col" class="wide-only">Runs</th>
                <th scope="col" class="wide-only">Last run</th>
                <th scope="col">State</th>
                {operator ? <th scope="col"><span class="visually-hidden">Actions</span></th> : null}
              </tr>
            </thead>
            <tbody>
              {loaded.data.hooks.map((hook) => (
                <tr key={hook.name} data-hook={hook.name}>
                  <td>
                    <a href={href(['hooks', hook.name])}>{hook.name}</a>
                    {hook.description ? <div class="muted small">{hook.description}</div> : null}
                  </td>
                  <td class="wide-only">{hook.runtime}</td>
                  <td>
                    <code class="clip">{hook.events.join(', ')}</code>
                    {hook.stack ? <div class="muted small">stack {hook.stack}</div> : null}
                  </td>
                  <td class="wide-only">{hook.run_count}</td>
                  <td class="wide-only">
                    <Time iso={hook.last_run} />
                  </td>
                  <td>
                    <StatusBadge status={hook.enabled ? 'enabled' : 'disabled'} />
                  </td>
                  {operator ? (
                    <td class="actions">
                      <EnableButton hook={hook} onSaved={replace} />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
