import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage } from '../errors.js';
import type { ActionRegistry } from './registry.js';

export interface DiscoveredPlugin {
  /** An npm package name or a file path. */
  source: string;
  kind: 'package' | 'file';
  types: string[];
}

export interface DiscoveryReport {
  loaded: DiscoveredPlugin[];
  failed: Array<{ source: string; error: string }>;
}

export interface DiscoveryOptions {
  /** The project whose node_modules is searched (packages with `"hookflow": {"actions": …}`). */
  projectRoot: string;
  /** HOOKFLOW_HOME: its `actions/` folder holds .ts/.js action files. */
  home: string;
  /** A plugin whose module takes longer than this to load is reported and skipped. */
  loadTimeoutMs?: number;
}

const ACTION_FILE = /\.(ts|mts|js|mjs)$/;

/** Packages in node_modules (and @scope/…) whose package.json declares hookflow actions. */
function pluginPackages(projectRoot: string): Array<{ name: string; entry: string }> {
  const modules = join(projectRoot, 'node_modules');
  if (!existsSync(modules)) return [];
  const folders: string[] = [];
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      for (const scoped of readdirSync(join(modules, entry))) folders.push(join(modules, entry, scoped));
    } else folders.push(join(modules, entry));
  }
  const found: Array<{ name: string; entry: string }> = [];
  for (const folder of folders) {
    const manifest = join(folder, 'package.json');
    if (!existsSync(manifest)) continue;
    try {
      const json = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; hookflow?: { actions?: unknown } };
      if (typeof json.hookflow?.actions === 'string') found.push({ name: json.name ?? folder, entry: resolve(folder, json.hookflow.actions) });
    } catch {
      // An unreadable package.json is not ours to report: npm would complain about it first.
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

function actionFiles(home: string): string[] {
  const folder = join(home, 'actions');
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((entry) => ACTION_FILE.test(entry) && !entry.endsWith('.d.ts') && statSync(join(folder, entry)).isFile())
    .sort()
    .map((entry) => join(folder, entry));
}

/** The actions a module exports: `default` (one or a list), `actions` (a list), or `action`. */
function exportedActions(module: Record<string, unknown>): unknown[] {
  const candidates = [module.default, module.actions, module.action].filter((value) => value !== undefined);
  return candidates.flatMap((value) => (Array.isArray(value) ? value : [value]));
}

async function importBounded(path: string, timeoutMs: number): Promise<Record<string, unknown>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      import(pathToFileURL(path).href) as Promise<Record<string, unknown>>,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not finish loading within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Loads action plugins into the registry: npm packages first (by name), then HOOKFLOW_HOME/actions
 * files (by name). Each plugin is loaded on its own: one that fails (a syntax error, a bad meta, a
 * duplicate type, a hang) is reported and the others still load. Everything is listed in the report.
 */
export async function discoverActions(registry: ActionRegistry, options: DiscoveryOptions): Promise<DiscoveryReport> {
  const report: DiscoveryReport = { loaded: [], failed: [] };
  const timeoutMs = options.loadTimeoutMs ?? 5_000;
  const candidates = [
    ...pluginPackages(options.projectRoot).map((plugin) => ({ source: plugin.name, kind: 'package' as const, path: plugin.entry })),
    ...actionFiles(options.home).map((path) => ({ source: path, kind: 'file' as const, path })),
  ];
  for (const candidate of candidates) {
    try {
      const module = await importBounded(candidate.path, timeoutMs);
      const actions = exportedActions(module);
      const resolvers = typeof module.resolvers === 'object' && module.resolvers !== null ? Object.entries(module.resolvers) : [];
      if (actions.length === 0 && resolvers.length === 0) throw new Error('exports no action: export default defineAction({...}) or `export const actions = [...]`');
      const types: string[] = [];
      const problems: string[] = [];
      let resolved = 0;
      for (const [refType, resolve] of resolvers) {
        try {
          registry.registerResolver(refType, resolve, candidate.source);
          resolved += 1;
        } catch (error) {
          problems.push(errorMessage(error));
        }
      }
      for (const action of actions) {
        try {
          types.push(registry.register(action, candidate.source).meta.type);
        } catch (error) {
          problems.push(errorMessage(error));
        }
      }
      if (types.length > 0 || resolved > 0) report.loaded.push({ source: candidate.source, kind: candidate.kind, types });
      if (problems.length > 0) report.failed.push({ source: candidate.source, error: problems.join('\n') });
    } catch (error) {
      report.failed.push({ source: candidate.source, error: errorMessage(error) });
    }
  }
  return report;
}
