import type { JsonObject } from '../events/model.js';
import type { SourceKind } from '../store/sources.js';
import type { SourceView } from './service.js';

/** A source as JSON (the API's answers, the CLI's --json): timestamps as ISO-8601. */
export interface SourceJson {
  kind: SourceKind;
  name: string;
  enabled: boolean;
  config: JsonObject;
  created_at: string;
  updated_at: string;
  next_run?: string | null;
  last_run?: string | null;
  /** Webhooks: the path deliveries are posted to. */
  url?: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const ms = (text: string | null | undefined): number | null => (text === null || text === undefined ? null : Date.parse(text));

/** Where a webhook's deliveries go, relative to the server. */
export function webhookPath(name: string): string {
  return `/webhooks/${encodeURIComponent(name)}`;
}

export function sourceJson(view: SourceView): SourceJson {
  const json: SourceJson = {
    kind: view.kind,
    name: view.name,
    enabled: view.enabled,
    config: view.config,
    created_at: new Date(view.created_at).toISOString(),
    updated_at: new Date(view.updated_at).toISOString(),
  };
  if (view.next_run !== undefined) json.next_run = iso(view.next_run);
  if (view.last_run !== undefined) json.last_run = iso(view.last_run);
  if (view.kind === 'webhook') json.url = webhookPath(view.name);
  return json;
}

export function sourceFromJson(json: SourceJson): SourceView {
  const view: SourceView = {
    kind: json.kind,
    name: json.name,
    enabled: json.enabled,
    config: json.config,
    created_at: ms(json.created_at) ?? 0,
    updated_at: ms(json.updated_at) ?? 0,
  };
  if (json.next_run !== undefined) view.next_run = ms(json.next_run);
  if (json.last_run !== undefined) view.last_run = ms(json.last_run);
  return view;
}
