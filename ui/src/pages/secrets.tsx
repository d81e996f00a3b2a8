import { useState } from 'preact/hooks';
import { api, roleAllows, type Role } from '../api.js';
import { notify } from '../components/notify.js';
import { Empty, ErrorNotice, Field, Loading, PageHeader, Time } from '../components/ui.js';
import { toApiError, useApi } from '../components/use-api.js';

/** Secret names and dates; values can be set and deleted, never read back. */
export function SecretsPage({ role }: { role: Role }) {
  const loaded = useApi(() => api.secrets(), []);
  const operator = roleAllows(role, 'operator');
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const saved = await api.setSecret(name.trim(), value);
      notify(`Secret ${saved.name} saved`);
      setName('');
      setValue('');
      loaded.reload();
    } catch (error) {
      notify(`Secret not saved: ${toApiError(error).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };
  const remove = async (secret: string) => {
    if (!confirm(`Delete secret ${secret}? Hooks that read it will fail.`)) return;
    try {
      await api.deleteSecret(secret);
      notify(`Secret ${secret} deleted`);
      loaded.reload();
    } catch (error) {
      notify(`Secret ${secret} not deleted: ${toApiError(error).message}`, 'error');
    }
  };

  return (
    <section>
      <PageHeader title="Secrets" />
      <p class="muted">Hooks read secrets by name. Values are encrypted at rest and are never shown again once saved.</p>
      {operator ? (
        <form class="panel inline-form" onSubmit={save} aria-label="Set a secret">
          <Field label="Name">
            <input name="secret-name" required value={name} onInput={(event) => setName(event.currentTarget.value)} />
          </Field>
          <Field label="Value">
            <input name="secret-value" type="password" required autoComplete="off" value={value} onInput={(event) => setValue(event.currentTarget.value)} />
          </Field>
          <button type="submit" class="button-primary" disabled={busy}>
            Save secret
          </button>
        </form>
      ) : null}
      {loaded.error ? (
        <ErrorNotice error={loaded.error} what="Secrets" />
      ) : !loaded.data ? (
        <Loading />
      ) : loaded.data.secrets.length === 0 ? (
        <Empty>No secrets yet.</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Updated</th>
                <th scope="col" class="wide-only">Created</th>
                {operator ? <th scope="col"><span class="visually-hidden">Actions</span></th> : null}
              </tr>
            </thead>
            <tbody>
              {loaded.data.secrets.map((secret) => (
                <tr key={secret.name}>
                  <td>
                    <code>{secret.name}</code>
                  </td>
                  <td>
                    <Time iso={secret.updated_at} />
                  </td>
                  <td class="wide-only">
                    <Time iso={secret.created_at} />
                  </td>
                  {operator ? (
                    <td class="actions">
                      <button type="button" class="button-danger" onClick={() => remove(secret.name)} aria-label={`Delete secret ${secret.name}`}>
                        Delete
                      </button>
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
