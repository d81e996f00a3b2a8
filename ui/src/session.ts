/**
 * The signed-in session, kept in sessionStorage: it survives a reload but not the tab, and other
 * sites' scripts cannot read it (same-origin).
 */
import type { Role } from './api.js';

export interface Session {
  token: string;
  username: string;
  role: Role;
  /** epoch ms */
  expiresAt: number;
}

const KEY = 'hookflow.session';
type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

function isSession(value: unknown): value is Session {
  const candidate = value as Partial<Session> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.token === 'string' &&
    typeof candidate.username === 'string' &&
    (candidate.role === 'admin' || candidate.role === 'operator' || candidate.role === 'viewer') &&
    typeof candidate.expiresAt === 'number'
  );
}

export function currentSession(): Session | null {
  let stored: unknown = null;
  try {
    stored = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
  } catch {
    return null;
  }
  if (!isSession(stored) || stored.expiresAt <= Date.now()) return null;
  return stored;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
  for (const listener of listeners) listener(session);
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener(null);
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
