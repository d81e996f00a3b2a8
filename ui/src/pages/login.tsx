import { useState } from 'preact/hooks';
import { api, type ApiError } from '../api.js';
import { ErrorNotice, Field } from '../components/ui.js';
import { toApiError } from '../components/use-api.js';
import { saveSession } from '../session.js';

/** Sign in with POST /auth/login; the token lives in sessionStorage until sign-out or expiry. */
export function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api.login(username.trim(), password);
      saveSession({ token: answer.access_token, username: answer.username, role: answer.role, expiresAt: Date.now() + answer.expires_in * 1000 });
    } catch (failure) {
      setError(toApiError(failure));
      setBusy(false);
    }
  };

  return (
    <main class="login" id="main">
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">
          <svg class="brand-mark" viewBox="0 0 16 16" aria-hidden="true">
            <rect width="16" height="16" rx="3" />
            <path d="M5 3v6a3 3 0 0 0 6 0" />
          </svg>
          hookflow
        </h1>
        <p class="muted">Sign in to manage events, hooks and sources.</p>
        {error ? <ErrorNotice error={error} what="Sign-in failed" /> : null}
        <Field label="Username">
          <input name="username" autoComplete="username" required autoFocus value={username} onInput={(event) => setUsername(event.currentTarget.value)} />
        </Field>
        <Field label="Password">
          <input name="password" type="password" autoComplete="current-password" required value={password} onInput={(event) => setPassword(event.currentTarget.value)} />
        </Field>
        <button type="submit" class="button-primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="muted small">
          The first start of <code>hookflow serve</code> prints the admin's password once. API docs: <a href="/docs">/docs</a>.
        </p>
      </form>
    </main>
  );
}
