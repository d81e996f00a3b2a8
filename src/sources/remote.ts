import type { SourceKind } from '../store/sources.js';
import { sourceFromJson, type SourceJson } from './json.js';
import type { SavedSource, SourceInput, SourceOperations, SourceView } from './service.js';

/** Where each kind's management routes live (src/server/routes/{webhooks,schedules,watchers}.ts). */
export const SOURCE_ROUTES: Record<SourceKind, { path: string; list: string }> = {
  webhook: { path: '/webhook-endpoints', list: 'webhooks' },
  schedule: { path: '/schedules', list: 'schedules' },
  watcher: { path: '/watchers', list: 'watchers' },
};

/** The one thing needed of an HTTP client: a JSON call that throws the server's HookflowErrors. */
export interface JsonCaller {
  call<T>(method: string, path: string, options?: { body?: unknown }): Promise<T>;
}

/** The sources of a remote server, for `hookflow --url URL schedule …`. */
export function remoteSources(client: JsonCaller): SourceOperations {
  const one = (kind: SourceKind, name: string) => `${SOURCE_ROUTES[kind].path}/${encodeURIComponent(name)}`;
  return {
    async list(kind: SourceKind): Promise<SourceView[]> {
      const answer = await client.call<Record<string, SourceJson[]>>('GET', SOURCE_ROUTES[kind].path);
      return (answer[SOURCE_ROUTES[kind].list] ?? []).map(sourceFromJson);
    },
    async get(kind: SourceKind, name: string): Promise<SourceView> {
      return sourceFromJson(await client.call<SourceJson>('GET', one(kind, name)));
    },
    async save(kind: SourceKind, input: SourceInput, options: { replace?: boolean } = {}): Promise<SavedSource> {
      const body = { enabled: input.enabled, config: input.config };
      const answer = options.replace
        ? await client.call<{ source: SourceJson; warnings: string[] }>('PUT', one(kind, input.name), { body })
        : await client.call<{ source: SourceJson; warnings: string[] }>('POST', SOURCE_ROUTES[kind].path, { body: { ...body, name: input.name } });
      return { source: sourceFromJson(answer.source), warnings: answer.warnings };
    },
    async setEnabled(kind: SourceKind, name: string, enabled: boolean): Promise<SourceView> {
      return sourceFromJson(await client.call<SourceJson>('POST', `${one(kind, name)}/${enabled ? 'enable' : 'disable'}`));
    },
    async remove(kind: SourceKind, name: string): Promise<void> {
      await client.call<null>('DELETE', one(kind, name));
    },
  };
}
