import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { HookflowError } from '../errors.js';

/**
 * Tokens saved by `hookflow login`, one per server URL, in a 0600 file:
 * HOOKFLOW_CREDENTIALS, else $XDG_CONFIG_HOME/hookflow/credentials.json, else ~/.config/….
 */
export interface SavedCredential {
  token: string;
  username: string;
  expires_at: number | null;
}

export function credentialsFile(env: NodeJS.ProcessEnv): string {
  if (env.HOOKFLOW_CREDENTIALS) return env.HOOKFLOW_CREDENTIALS;
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(config, 'hookflow', 'credentials.json');
}

/** A server URL in one spelling (no trailing slash), the key credentials are saved under. */
export function normaliseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `"${url}" is not a URL`, { hint: 'e.g. http://127.0.0.1:8001' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `"${url}" is not an http(s) URL`, { hint: 'e.g. http://127.0.0.1:8001' });
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
}

function readAll(file: string): Record<string, SavedCredential> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, SavedCredential>;
  } catch {
    return {};
  }
}

export function loadCredential(env: NodeJS.ProcessEnv, url: string): SavedCredential | null {
  return readAll(credentialsFile(env))[normaliseUrl(url)] ?? null;
}

export function saveCredential(env: NodeJS.ProcessEnv, url: string, credential: SavedCredential | null): string {
  const file = credentialsFile(env);
  const all = readAll(file);
  if (credential) all[normaliseUrl(url)] = credential;
  else delete all[normaliseUrl(url)];
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(all, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
