// Bulk writes of a job (thousands of ledger, follow-up and outbox rows): the rows as one table expression
// for INSERT … SELECT, in the form each database plans fastest. On PostgreSQL a VALUES list of 1,000 rows
// with 8,000 bound values costs about four times the insert itself to parse and plan (62 ms against 15 ms per
// 1,000 outbox rows on this machine); unnest() of one bound array per column is planned once. On SQLite a
// VALUES list is what it plans fastest, and it has no arrays.
import { joinSql, rawSql, sql, type Db, type Tx } from './client.ts';
import { RAW_MAX_BOUND } from './chunks.ts';

export type BulkType = 'text' | 'int';
type Sql = ReturnType<typeof sql>;

/** The database behind a client or a transaction (Prisma's client records it; db.test.ts checks it does). */
export function providerOf(db: Db | Tx): 'sqlite' | 'postgres' {
  const p = (db as unknown as { _activeProvider?: string })._activeProvider;
  if (p === 'sqlite') return 'sqlite';
  if (p === 'postgresql') return 'postgres';
  throw new Error(`providerOf: unknown database provider ${String(p)}`);
}

/** Rows per statement for rows of `width` values (RAW_MAX_BOUND on SQLite, which binds each value). */
export function bulkChunk(width: number): number {
  return Math.max(1, Math.floor(RAW_MAX_BOUND / width));
}

/**
 * `rows` (each with one value per entry of `types`, in order) as a sub-query with the columns in that order
 * (named column1, column2, …):
 * use as INSERT INTO t (a, b) SELECT * FROM (<rows>) AS r WHERE true … (SQLite needs the WHERE before an
 * ON CONFLICT clause). Pass at most bulkChunk(types.length) rows.
 */
export function bulkRows(db: Db | Tx, types: readonly BulkType[], rows: ReadonlyArray<readonly unknown[]>): Sql {
  if (rows.length === 0) throw new Error('bulkRows: no rows');
  if (providerOf(db) === 'postgres') {
    const arrays = types.map((type, k) => {
      const column = rows.map((r) => r[k] ?? null);
      return type === 'int' ? sql`${column}::int[]` : sql`${column}::text[]`;
    });
    // Named as SQLite names a VALUES list's columns.
    return sql`SELECT * FROM unnest(${joinSql(arrays)}) AS b(${rawSql(types.map((_, k) => `"column${k + 1}"`).join(', '))})`;
  }
  return sql`VALUES ${joinSql(rows.map((r) => sql`(${joinSql(types.map((_, k) => sql`${r[k] ?? null}`))})`))}`;
}
