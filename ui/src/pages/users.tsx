import { useState } from 'preact/hooks';
import { api, roleAllows, type Role, type TokenJson, type UserJson } from '../api.js';
import { notify } from '../components/notify.js';
import { Empty, ErrorNotice, Field, Loading, PageHeader, StatusBadge, Time } from '../components/ui.js';
import { toApiError, useApi } from '../components/use-api.js';
import type { Session } from '../session.js';

const ROLES: Role[] = ['viewer', 'operator', 'admin'];

function RoleSelect({ value, onChange, name, label }: { value: Role; onChange: (role: Role) => void; name: string; label?: string }) {
  return (
    <select name={name} value={value} aria-label={label} onChange={(event) => onChange(event.currentTarget.value as Role)}>
      {ROLES.map((role) => (
        <option key={role} value={role}>
          {role}
        </option>
      ))}
    </select>
  );
}

function PasswordForm({ user, onDone }: { user: UserJson; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const save = async (event: Event) => {
    event.preventDefault();
    try {
      await api.updateUser(user.username, { password });
      notify(`Password of ${user.username} changed`);
      onDone();
    } catch (error) {
      notify(`Password not changed: ${toApiError(error).message}`, 'error');
    }
  };
  return (
    <form class="inline-form" onSubmit={save} aria-label={`New password for ${user.username}`}>
      <input name="new-password" type="password" minLength={8} required autoComplete="new-password" aria-label={`new password for ${user.username}`} placeholder="new password (8+)" value={password} onInput={(event) => setPassword(event.currentTarget.value)} autoFocus />
      <button type="submit">Save</button>
      <button type="button" class="button-quiet" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}

function Users({ me }: { me: string }) {
  const loaded = useApi(() => api.users(), []);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [editing, setEditing] = useState<string | null>(null);

  const add = async (event: Event) => {
    event.preventDefault();
    try {
      const user = await api.addUser(username.trim(), password, role);
      notify(`User ${user.username} added (${user.role})`);
      setUsername('');
      setPassword('');
      loaded.reload();
    } catch (error) {
      notify(`User not added: ${toApiError(error).message}`, 'error');
    }
  };
  const changeRole = async (user: UserJson, next: Role) => {
    try {
      const saved = await api.updateUser(user.username, { role: next });
      notify(`${saved.username} is now ${saved.role}`);
    } catch (error) {
      notify(`Role not changed: ${toApiError(error).message}`, 'error');
    }
    loaded.reload();
  };
  const remove = async (user: UserJson) => {
    if (!confirm(`Remove user ${user.username}?`)) return;
    try {
      await api.deleteUser(user.username);
      notify(`User ${user.username} removed`);
      loaded.reload();
    } catch (error) {
      notify(`User not removed: ${toApiError(error).message}`, 'error');
    }
  };

  return (
    <section class="panel" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      {loaded.error ? (
        <ErrorNotice error={loaded.error} what="Users" />
      ) : !loaded.data ? (
        <Loading />
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col" class="wide-only">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {loaded.data.users.map((user) => (
                <tr key={user.username}>
                  <td>
                    {user.username}
                    {user.username === me ? <span class="muted"> (you)</span> : null}
                  </td>
                  <td>
                    <RoleSelect name={`role-${user.username}`} label={`role of ${user.username}`} value={user.role} onChange={(next) => changeRole(user, next)} />
                  </td>
                  <td class="wide-only">
                    <Time iso={user.created_at} />
                  </td>
                  <td class="actions">
                    {editing === user.username ? (
                      <PasswordForm user={user} onDone={() => setEditing(null)} />
                    ) : (
                      <>
                        <button type="button" onClick={() => setEditing(user.username)}>
                          Password
                        </button>
                        <button type="button" class="button-danger" onClick={() => remove(user)} disabled={user.username === me} aria-label={`Remove user ${user.username}`}>
                          Remove
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form class="inline-form" onSubmit={add} aria-label="Add a user">
        <Field label="Username">
          <input name="user-name" required maxLength={64} autoComplete="off" value={username} onInput={(event) => setUsername(event.currentTarget.value)} />
        </Field>
        <Field label="Password">
          <input name="user-password" type="password" required minLength={8} autoComplete="new-password" value={password} onInput={(event) => setPassword(event.currentTarget.value)} />
        </Field>
        <Field label="Role">
          <RoleSelect name="user-role" value={role} onChange={setRole} />
        </Field>
        <button type="submit" class="button-primary">
          Add user
        </button>
      </form>
    </section>
  );
}

function NewToken({ token, onClose }: { token: TokenJson & { token: string }; onClose: () => void }) {
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token.token);
      notify('Token copied');
    } catch {
      notify('Copying is not allowed here: select the token and copy it', 'error');
    }
  };
  return (
    <div class="notice notice-secret" role="alert">
      <strong>Token {token.name} created. Copy it now: it is not shown again.</strong>
      <div class="token-row">
        <input class="token-value" readOnly value={token.token} aria-label="the new token" onFocus={(event) => event.currentTarget.select()} />
        <button type="button" onClick={copy}>
          Copy
        </button>
        <button type="button" class="button-quiet" onClick={onClose}>
          Done
        </button>
      </div>
    </div>
  );
}

function Tokens() {
  const loaded = useApi(() => api.tokens(), []);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<(TokenJson & { token: string }) | null>(null);

  const create = async (event: Event) => {
    event.preventDefault();
    try {
      const token = await api.createToken({ name: name.trim(), role, expires_in: expires.trim() || undefined });
      setCreated(token);
      setName('');
      setExpires('');
      loaded.reload();
    } catch (error) {
      notify(`Token not created: ${toApiError(error).message}`, 'error');
    }
  };
  const revoke = async (token: TokenJson) => {
    if (!confirm(`Revoke token ${token.name}? Whatever uses it loses access at once.`)) return;
    try {
      await api.revokeToken(token.id);
      notify(`Token ${token.name} revoked`);
      loaded.reload();
    } catch (error) {
      notify(`Token not revoked: ${toApiError(error).message}`, 'error');
    }
  };

  return (
    <section class="panel" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      {created ? <NewToken token={created} onClose={() => setCreated(null)} /> : null}
      {loaded.error ? (
        <ErrorNotice error={loaded.error} what="Tokens" />
      ) : !loaded.data ? (
        <Loading />
      ) : loaded.data.tokens.length === 0 ? (
        <Empty>No API tokens.</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Token</th>
                <th scope="col">Role</th>
                <th scope="col" class="wide-only">Created</th>
                <th scope="col" class="wide-only">Expires</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {loaded.data.tokens.map((token) => (
                <tr key={token.id}>
                  <td>
                    {token.name}
                    <div class="muted small">
                      <code>{token.id}</code>
                      {token.created_by ? ` · by ${token.created_by}` : ''}
                    </div>
                  </td>
                  <td>{token.role}</td>
                  <td class="wide-only">
                    <Time iso={token.created_at} />
                  </td>
                  <td class="wide-only">{token.expires_at ? <Time iso={token.expires_at} /> : <span class="muted">never</span>}</td>
                  <td class="actions">
                    {token.revoked_at ? (
                      <StatusBadge status="revoked" />
                    ) : (
                      <button type="button" class="button-danger" onClick={() => revoke(token)} aria-label={`Revoke token ${token.name}`}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form class="inline-form" onSubmit={create} aria-label="Create an API token">
        <Field label="Name">
          <input name="token-name" required maxLength={64} autoComplete="off" value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </Field>
        <Field label="Role">
          <RoleSelect name="token-role" value={role} onChange={setRole} />
        </Field>
        <Field label="Expires in">
          <input name="token-expires" placeholder="never (or 30d, 12h)" value={expires} onInput={(event) => setExpires(event.currentTarget.value)} />
        </Field>
        <button type="submit" class="button-primary">
          Create token
        </button>
      </form>
    </section>
  );
}

/** Users and API tokens: admins only (the server refuses others too). */
export function UsersPage({ session }: { session: Session }) {
  if (!roleAllows(session.role, 'admin')) {
    return (
      <section>
        <PageHeader title="Users & tokens" />
        <div class="notice notice-missing" role="note">
          Users and API tokens are managed by admins; you are signed in as {session.role}.
        </div>
      </section>
    );
  }
  return (
    <section>
      <PageHeader title="Users & tokens" />
      <Users me={session.username} />
      <Tokens />
    </section>
  );
}
