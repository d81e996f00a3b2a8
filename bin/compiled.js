// Whether lib/ (hookflow's sources compiled to JavaScript by `npm run build`) matches src/ as it is
// now. Plain JavaScript, because the binary must decide this before anything can read TypeScript.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Where the build records the fingerprint of the sources it compiled. */
export const STAMP_FILE = 'build-stamp.json';

/**
 * A fingerprint of every file under `dir`: how many, their total size and the newest change.
 * Editing, adding or removing a file changes it; walking src/'s ~280 files costs 5–13 ms of a
 * start (~0.3 s), where compiling them would cost ~0.4 s.
 */
export function sourceFingerprint(dir) {
  let files = 0;
  let bytes = 0;
  let newest = 0;
  const walk = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        walk(path);
      } else if (entry.isFile()) {
        const stat = statSync(path);
        files += 1;
        bytes += stat.size;
        newest = Math.max(newest, stat.mtimeMs);
      }
    }
  };
  walk(dir);
  return { files, bytes, newest };
}

/**
 * The compiled CLI's entry when lib/ was built from the sources as they are now, otherwise null with
 * the reason: hookflow then runs its TypeScript through tsx, slower to start but never stale.
 * `HOOKFLOW_FROM_SOURCE=1` always chooses the sources.
 */
export function compiledEntry(packageRoot, env = process.env) {
  if (env.HOOKFLOW_FROM_SOURCE === '1') return { entry: null, reason: 'HOOKFLOW_FROM_SOURCE=1' };
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(packageRoot, 'lib', STAMP_FILE), 'utf8'));
  } catch {
    return { entry: null, reason: 'lib/ has not been built (npm run build)' };
  }
  const now = sourceFingerprint(join(packageRoot, 'src'));
  const same = stamp?.files === now.files && stamp?.bytes === now.bytes && stamp?.newest === now.newest;
  if (!same) return { entry: null, reason: 'src/ changed since lib/ was built (npm run build)' };
  return { entry: join(packageRoot, 'lib', 'cli', 'main.js'), reason: null };
}
