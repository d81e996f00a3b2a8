import type { Role, SourceJson } from '../api.js';
import { SourcesPage } from '../components/sources.js';

const list = (source: SourceJson, key: string) => (Array.isArray(source.config[key]) ? (source.config[key] as unknown[]).map(String).join(', ') : '');

export function WatchersPage({ role }: { role: Role }) {
  return (
    <SourcesPage
      kind="watcher"
      title="File watchers"
      role={role}
      intro={
        <>
          File watchers publish <code>file.*</code> and <code>dir.*</code> events for paths on the server's machine. Add them with <code>hookflow watch add</code>.
        </>
      }
      columns={[
        { label: 'Paths', cell: (source) => <code class="clip">{list(source, 'paths')}</code> },
        { label: 'Patterns', cell: (source) => <code>{list(source, 'patterns')}</code>, wide: true },
        { label: 'Recursive', cell: (source) => (source.config.recursive === false ? 'no' : 'yes'), wide: true },
      ]}
    />
  );
}
