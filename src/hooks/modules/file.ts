import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

/**
 * File access for hooks. Hooks run with hookflow's own permissions (as in Sloth Runner); relative
 * paths are resolved against the hookflow home so a hook does not depend on the server's cwd.
 */
export function resolveHookPath(home: string, path: string): string {
  if (path.length === 0) throw new Error('file path is empty');
  return isAbsolute(path) ? path : resolve(home, path);
}

export function fileRead(home: string, path: string): string {
  return readFileSync(resolveHookPath(home, path), 'utf8');
}

export function fileWrite(home: string, path: string, content: string | Uint8Array, append = false): void {
  const target = resolveHookPath(home, path);
  mkdirSync(dirname(target), { recursive: true });
  if (append) appendFileSync(target, content);
  else writeFileSync(target, content);
}

export function fileExists(home: string, path: string): boolean {
  return existsSync(resolveHookPath(home, path));
}

export interface LineInFileOptions {
  path: string;
  line: string;
  /** Create the file when it does not exist (otherwise that is an error). */
  create?: boolean;
  /** A JavaScript regular expression: the last matching line is replaced by `line`. */
  regexp?: string | null;
}

/**
 * Ensures `line` is in the file, like Ansible's lineinfile: unchanged when present, otherwise it
 * replaces the last line matching `regexp` or is appended. Returns whether the file changed.
 */
export function lineInFile(home: string, options: LineInFileOptions): boolean {
  const target = resolveHookPath(home, options.path);
  if (options.line.includes('\n')) throw new Error('lineinfile: line must not contain a newline');
  let content: string;
  if (existsSync(target)) content = readFileSync(target, 'utf8');
  else if (options.create) content = '';
  else throw new Error(`lineinfile: ${target} does not exist (set create = true to create it)`);
  const next = applyLine(content, options.line, options.regexp ?? null);
  if (next === content && existsSync(target)) return false;
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, next);
  return true;
}

/** The pure part of lineInFile: the new content for `content`. */
export function applyLine(content: string, line: string, regexp: string | null): string {
  const lines = content.length === 0 ? [] : content.replace(/\n$/, '').split('\n');
  if (regexp !== null) {
    const pattern = new RegExp(regexp);
    for (let i = lines.length - 1; i >= 0; i--) {
      if (pattern.test(lines[i])) {
        if (lines[i] === line) return content;
        lines[i] = line;
        return `${lines.join('\n')}\n`;
      }
    }
  }
  if (lines.includes(line)) return content;
  lines.push(line);
  return `${lines.join('\n')}\n`;
}
