// Where the database is: an embedded SQLite file (default) or a PostgreSQL server.
import { resolve } from 'node:path';

export type DbTarget =
  | { provider: 'sqlite'; file: string }
  | { provider: 'postgres'; connectionString: string; schema: string };

export const DEFAULT_SQLITE_FILE = './data/zhaoshang.db';

/** Parses DATABASE_URL; `undefined` means the embedded SQLite file. Throws a plain message on a bad value. */
export function parseDatabaseUrl(url: string | undefined): DbTarget {
  if (!url) return { provider: 'sqlite', file: resolve(DEFAULT_SQLITE_FILE) };
  if (url.startsWith('file:')) {
    const path = url.slice('file:'.length);
    if (!path) throw new Error('file: URL needs a path, e.g. file:./data/zhaoshang.db');
    return { provider: 'sqlite', file: path === ':memory:' ? path : resolve(path) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error('not a valid postgresql:// URL');
    }
    const schema = parsed.searchParams.get('schema') ?? 'public';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new Error('schema= must be a plain SQL identifier');
    parsed.searchParams.delete('schema');
    return { provider: 'postgres', connectionString: parsed.toString(), schema };
  }
  throw new Error('expected postgresql://… or file:… (or leave it unset for ./data/zhaoshang.db)');
}

/** Human-readable description without the password. */
export function describeTarget(t: DbTarget): string {
  if (t.provider === 'sqlite') return `SQLite ${t.file}`;
  const u = new URL(t.connectionString);
  return `PostgreSQL ${u.hostname}:${u.port || 5432}${u.pathname} schema=${t.schema}`;
}
