// `npm run build`: compiles src/ to lib/ file by file (esbuild strips the types; nothing is bundled),
// so the `hookflow` binary starts without compiling TypeScript. lib/ sits at src/'s depth and gets
// src/'s other files too, so every path a module finds from its own URL is the same in both.
// `node scripts/build-lib.mjs [PACKAGE_ROOT]` (default: this package).
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { STAMP_FILE, sourceFingerprint } from '../bin/compiled.js';

const root = process.argv[2] ?? join(import.meta.dirname, '..');
const src = join(root, 'src');
const lib = join(root, 'lib');

// Taken before compiling: a source edited during the build leaves lib/ stale, never wrongly fresh.
const fingerprint = sourceFingerprint(src);
const modules = [];
const others = [];
const walk = (folder) => {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) walk(path);
    else (path.endsWith('.ts') ? modules : others).push(path);
  }
};
walk(src);

const started = performance.now();
rmSync(lib, { recursive: true, force: true });
await build({
  entryPoints: modules,
  outdir: lib,
  outbase: src,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  bundle: false,
  logLevel: 'warning',
});
for (const file of others) {
  const to = join(lib, relative(src, file));
  mkdirSync(dirname(to), { recursive: true });
  cpSync(file, to);
}
writeFileSync(join(lib, STAMP_FILE), `${JSON.stringify(fingerprint)}\n`);
console.log(`lib/: ${modules.length} modules and ${others.length} other files in ${Math.round(performance.now() - started)} ms`);
