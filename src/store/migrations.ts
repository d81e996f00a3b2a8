import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Reads `NNN_name.sql` files from a folder, in version order. */
export function loadMigrations(folder: string): Migration[] {
  return readdirSync(folder)
    .filter((file) => /^\d+_.+\.sql$/.test(file))
    .map((file) => {
      const match = /^(\d+)_(.+)\.sql$/.exec(file) as RegExpExecArray;
      return { version: Number(match[1]), name: match[2], sql: readFileSync(join(folder, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
}
