// Lists of ids in queries, chunked. SQLite (as Prisma drives it) allows 999 bind parameters per statement
// (past that: P2029, and the whole query fails); PostgreSQL allows 65,535. Prisma spends one parameter per
// `in` value and, for an `include`, one per parent row in the relation query, so any list that grows with
// the data goes through here.

/** Ids per statement: well under SQLite's 999, leaving room for the query's other parameters. */
export const IN_CHUNK = 400;

/**
 * Values bound per raw statement (sql`…`, $executeRaw): the 999 above is Prisma's own limit for the queries
 * it builds; a raw statement goes to the driver as it is, and the better-sqlite3 build allows 32,766
 * (MAX_VARIABLE_NUMBER; outbox.test.ts writes a statement of RAW_MAX_BOUND values), PostgreSQL 65,535. Bulk writes of a job stay well under both.
 */
export const RAW_MAX_BOUND = 8_000;

/** Runs `query` on consecutive slices of `ids` (at most `size` each, in order) and concatenates the rows. */
export async function inChunks<T, R>(ids: readonly T[], query: (chunk: T[]) => Promise<R[]>, size = IN_CHUNK): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < ids.length; i += size) out.push(...(await query(ids.slice(i, i + size))));
  return out;
}
