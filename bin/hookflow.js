#!/usr/bin/env node
// The `hookflow` binary: runs the CLI compiled to lib/ when it matches the sources, otherwise
// registers tsx so the TypeScript sources run as they are.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compiledEntry } from './compiled.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

async function loadCli() {
  const { entry } = compiledEntry(packageRoot);
  if (entry) return import(pathToFileURL(entry).href);
  const { register } = await import('tsx/esm/api');
  // Compile with this package's settings, not those of a tsconfig.json in whatever folder hookflow runs from.
  const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
  register({ tsconfig: existsSync(tsconfig) ? tsconfig : false });
  return import('../src/cli/main.ts');
}

const { runCli } = await loadCli();
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  isTTY: Boolean(process.stdout.isTTY),
});
// Exit only once everything written has reached the pipe or terminal.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
