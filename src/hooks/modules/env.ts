/**
 * Environment variables for hooks. With an allowlist only the listed names are visible (an entry
 * ending in `*` allows a prefix); without one (null), every variable is.
 */
export function envAllowed(name: string, allowlist: readonly string[] | null): boolean {
  if (allowlist === null) return true;
  return allowlist.some((entry) => (entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : entry === name));
}

export function envGet(name: string, allowlist: readonly string[] | null, env: NodeJS.ProcessEnv = process.env): string | null {
  if (!envAllowed(name, allowlist)) return null;
  return env[name] ?? null;
}
