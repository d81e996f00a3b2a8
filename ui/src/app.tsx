import { useEffect, useState } from 'preact/hooks';
import { onUnauthorized, roleAllows, type Role } from './api.js';
import { notify, Notes } from './components/notify.js';
import { live, useLiveState } from './live.js';
import { ActionsRoute } from './pages/actions-route.js';
import { DashboardPage } from './pages/dashboard.js';
import { EventPage } from './pages/event.js';
import { EventsPage } from './pages/events.js';
import { HookPage } from './pages/hook.js';
import { HooksPage } from './pages/hooks.js';
import { LoginPage } from './pages/login.js';
import { NotFoundPage } from './pages/not-found.js';
import { ProgramsRoute } from './pages/programs-route.js';
import { SchedulesPage } from './pages/schedules.js';
import { SecretsPage } from './pages/secrets.js';
import { UsersPage } from './pages/users.js';
import { WatchersPage } from './pages/watchers.js';
import { WebhooksPage } from './pages/webhooks.js';
import { WorkflowsRoute } from './pages/workflows-route.js';
import { href, useRoute, type Route } from './router.js';
import { clearSession, currentSession, onSessionChange, type Session } from './session.js';

interface NavItem {
  segment: string;
  label: string;
  role: Role;
}

/** The pages in the menu; later capabilities (actions, workflows, programs) add theirs here. */
const NAV: NavItem[] = [
  { segment: '', label: 'Dashboard', role: 'viewer' },
  { segment: 'events', label: 'Events', role: 'viewer' },
  { segment: 'hooks', label: 'Hooks', role: 'viewer' },
  { segment: 'actions', label: 'Actions', role: 'viewer' },
  { segment: 'workflows', label: 'Workflows', role: 'viewer' },
  { segment: 'programs', label: 'Programs', role: 'viewer' },
  { segment: 'schedules', label: 'Schedules', role: 'viewer' },
  { segment: 'webhooks', label: 'Webhooks', role: 'viewer' },
  { segment: 'watchers', label: 'Watchers', role: 'viewer' },
  { segment: 'secrets', label: 'Secrets', role: 'viewer' },
  { segment: 'users', label: 'Users & tokens', role: 'admin' },
];

function page(route: Route, session: Session) {
  const [first = '', second] = route.segments;
  switch (first) {
    case '':
    case 'dashboard':
      return <DashboardPage />;
    case 'events':
      return second ? <EventPage id={second} role={session.role} /> : <EventsPage route={route} role={session.role} />;
    case 'hooks':
      return second ? <HookPage name={second} role={session.role} /> : <HooksPage role={session.role} />;
    case 'actions':
      return <ActionsRoute type={second} role={session.role} />;
    case 'workflows':
      return <WorkflowsRoute id={second} route={route} role={session.role} />;
    case 'programs':
      return <ProgramsRoute route={route} role={session.role} />;
    case 'schedules':
      return <SchedulesPage role={session.role} />;
    case 'webhooks':
      return <WebhooksPage role={session.role} />;
    case 'watchers':
      return <WatchersPage role={session.role} />;
    case 'secrets':
      return <SecretsPage role={session.role} />;
    case 'users':
      return <UsersPage session={session} />;
    default:
      return <NotFoundPage />;
  }
}

function LiveIndicator() {
  const state = useLiveState();
  if (state === 'idle') return null;
  const text = { connecting: 'Connecting…', live: 'Live', polling: 'Refreshing every 3 s' }[state];
  const title = state === 'polling' ? 'The server has no live stream (GET /stream): the list is refreshed every 3 seconds' : 'Events arrive as they happen (GET /stream)';
  return (
    <span class={`live live-${state}`} title={title}>
      <span class="live-dot" aria-hidden="true" />
      <span class="live-text">{text}</span>
    </span>
  );
}

function Shell({ session, route }: { session: Session; route: Route }) {
  const current = route.segments[0] === 'dashboard' ? '' : (route.segments[0] ?? '');
  const routeKey = route.segments.join('/');
  useEffect(() => {
    // Move focus to the new page's heading, as a full page load would (screen readers, keyboard).
    const heading = document.getElementById('page-title');
    if (heading) heading.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [routeKey]);

  const logout = () => {
    live.stop();
    clearSession();
    notify('Signed out');
  };

  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(event) => {
        event.preventDefault();
        document.getElementById('main')?.focus();
      }}>
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={href([])}>
          <svg class="brand-mark" viewBox="0 0 16 16" aria-hidden="true">
            <rect width="16" height="16" rx="3" />
            <path d="M5 3v6a3 3 0 0 0 6 0" />
          </svg>
          hookflow
        </a>
        <nav class="nav" aria-label="Pages">
          <ul>
            {NAV.filter((item) => roleAllows(session.role, item.role)).map((item) => (
              <li key={item.segment}>
                <a href={href(item.segment ? [item.segment] : [])} aria-current={current === item.segment ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="account">
          <LiveIndicator />
          <span class="who" title={`signed in as ${session.username} (${session.role})`}>
            {session.username} <span class="role">{session.role}</span>
          </span>
          <button type="button" class="button-quiet" onClick={logout}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {page(route, session)}
      </main>
      <Notes />
    </div>
  );
}

export function App() {
  const [session, setSession] = useState<Session | null>(() => currentSession());
  const route = useRoute();
  useEffect(() => onSessionChange(setSession), []);
  useEffect(
    () =>
      onUnauthorized(() => {
        live.stop();
        notify('The server ended this session (expired or revoked): sign in again.', 'error');
      }),
    [],
  );
  useEffect(() => {
    if (!session) return;
    const timer = setTimeout(() => {
      live.stop();
      clearSession();
      notify('Your session expired: sign in again.', 'error');
    }, Math.min(session.expiresAt - Date.now(), 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [session]);

  if (!session) {
    return (
      <>
        <LoginPage />
        <Notes />
      </>
    );
  }
  return <Shell session={session} route={route} />;
}
