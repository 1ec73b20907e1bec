// better-sqlite3 is one connection. The Prisma adapter serialises transactions with a mutex, but a query
// made OUTSIDE a transaction while one is open runs on the same connection and silently becomes part of
// it (and is lost if it rolls back). This wrapper puts every top-level query behind the same lock as the
// transactions, so each transaction is really isolated from the rest of the process.
//
// It also keeps another process's write lock (a second bot, `npm run job`, an admin's sqlite3 shell) from
// freezing this one. better-sqlite3 waits for a lock synchronously (its `timeout` blocks the event loop:
// a locked file froze even /healthz for 10 s), so the connection is opened with a busy timeout of a few
// milliseconds and the waiting happens here, asynchronously, between tries:
// - a top-level statement that finds the database locked is tried again after a pause;
// - a transaction takes the write lock as its first act (a no-op UPDATE), where a refusal is safe to
//   retry because nothing has been done yet. (A deferred BEGIN would meet the lock at its first write,
//   mid-transaction, where in WAL mode a retry cannot succeed once another writer has committed.)
// Meanwhile other work of this process waits its turn on the lock, without blocking timers or HTTP.
import type { SqlDriverAdapter, SqlDriverAdapterFactory, Transaction } from '@prisma/driver-adapter-utils';

/** better-sqlite3's own (blocking) busy timeout: short, so the event loop is never held for long. */
export const SQLITE_BLOCKING_BUSY_MS = 20;
/** How long a statement or a transaction start keeps trying a locked database before it fails. */
export const SQLITE_BUSY_BUDGET_MS = 10_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True for SQLite's "database is locked" (SQLITE_BUSY and its extended codes), as raised or as the adapter maps it. */
export function isBusy(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { kind?: unknown; originalCode?: unknown }; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && e.code.startsWith('SQLITE_BUSY')) return true;
  if (e.cause?.kind === 'SocketTimeout') return true;
  return typeof e.message === 'string' && /database is locked/i.test(e.message);
}

/** Runs `fn`, trying again with growing pauses while the database is locked by another process. */
async function whileBusy<R>(fn: () => Promise<R>, budgetMs = SQLITE_BUSY_BUDGET_MS): Promise<R> {
  const start = Date.now();
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      return await fn();
    } catch (err) {
      if (!isBusy(err) || Date.now() - start + pause > budgetMs) throw err;
      await sleep(pause);
    }
  }
}

// Any write statement takes the write lock when it starts, also when it changes no row.
const TAKE_WRITE_LOCK = { sql: 'UPDATE "_prisma_migrations" SET "id" = "id" WHERE 0', args: [], argTypes: [] };

class Lock {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}

function serialise(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const lock = new Lock();
  const guarded = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    const release = await lock.acquire();
    try {
      return await whileBusy(() => fn(...args));
    } finally {
      release();
    }
  };
  const wrapTx = (tx: Transaction, release: () => void): Transaction => {
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        release();
      }
    };
    return new Proxy(tx, {
      get(target, prop) {
        if (prop === 'commit' || prop === 'rollback') {
          return async () => {
            try {
              await (target[prop] as () => Promise<void>).call(target);
            } finally {
              finish();
            }
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  return new Proxy(adapter, {
    get(target, prop) {
      if (prop === 'queryRaw' || prop === 'executeRaw' || prop === 'executeScript') {
        const fn = Reflect.get(target, prop, target) as (...a: unknown[]) => Promise<unknown>;
        return guarded((...a: unknown[]) => fn.apply(target, a));
      }
      if (prop === 'startTransaction') {
        return async (...a: unknown[]) => {
          const release = await lock.acquire();
          try {
            const tx = await whileBusy(async () => {
              const started = await (target.startTransaction as (...x: unknown[]) => Promise<Transaction>).apply(target, a);
              try {
                await started.executeRaw(TAKE_WRITE_LOCK as Parameters<Transaction['executeRaw']>[0]);
              } catch (err) {
                // The engine normally sends ROLLBACK itself; here it never saw the transaction.
                await started.executeRaw({ ...TAKE_WRITE_LOCK, sql: 'ROLLBACK' } as Parameters<Transaction['executeRaw']>[0]).catch(() => {});
                await started.rollback().catch(() => {});
                throw err;
              }
              return started;
            });
            return wrapTx(tx, release);
          } catch (err) {
            release();
            throw err;
          }
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

// Prepared statements, reused. Prisma's adapter prepares every statement anew (better-sqlite3's `prepare`
// compiles the SQL each time: ≈ 6 % of the process's CPU under intake and card load, as much as running
// the statements), while the texts Prisma sends repeat. The adapter's connection keeps the statements of
// the most recent texts; a use binds its own parameters to the shared statement. Every use is synchronous
// (prepare, bind, run or read all rows: no iterators), so two uses never overlap.

/** Distinct SQL texts whose statements are kept (an `IN` list of another length is another text). */
export const STATEMENT_CACHE_SIZE = 200;

/** What the adapter uses of a better-sqlite3 statement. */
interface SqliteStatement {
  readonly reader: boolean;
  bind(...params: unknown[]): SqliteStatement;
  columns(): unknown[];
  raw(toggle?: boolean): SqliteStatement;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): unknown;
}

interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}

/** A cached statement as the adapter sees a fresh one: `bind` once, then run or read it. */
function reuse(stmt: SqliteStatement, params: unknown[] = []): SqliteStatement {
  const use: SqliteStatement = {
    get reader() {
      return stmt.reader;
    },
    bind: (...p: unknown[]) => reuse(stmt, p),
    columns: () => stmt.columns(),
    raw: () => ({ ...use, all: () => stmt.raw(true).all(...params) }),
    all: () => stmt.raw(false).all(...params),
    run: () => stmt.run(...params),
  };
  return use;
}

/** Makes `connection.prepare` hand out cached statements (least recently used first out). */
export function cacheStatements(connection: SqliteConnection, size = STATEMENT_CACHE_SIZE): void {
  const prepare = connection.prepare.bind(connection);
  const cache = new Map<string, SqliteStatement>();
  connection.prepare = (sql: string) => {
    let stmt = cache.get(sql);
    if (stmt) {
      cache.delete(sql); // re-inserted below: the Map's order is the order of use
    } else {
      stmt = prepare(sql);
      if (cache.size >= size) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, stmt);
    return reuse(stmt);
  };
}

/** The better-sqlite3 connection behind Prisma's adapter (its `client`), when it has the expected shape. */
function connectionOf(adapter: SqlDriverAdapter): SqliteConnection | undefined {
  const client = (adapter as unknown as { client?: unknown }).client;
  return client && typeof (client as SqliteConnection).prepare === 'function' ? (client as SqliteConnection) : undefined;
}

/**
 * Wraps a SQLite adapter factory so each connection serialises top-level queries with transactions, and
 * reuses prepared statements (see cacheStatements; skipped, not fatal, should another version of
 * @prisma/adapter-better-sqlite3 keep its connection elsewhere: test/foundation/db.test.ts notices).
 */
export function serialSqlite<F extends SqlDriverAdapterFactory>(factory: F): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      const connection = connectionOf(adapter);
      if (connection) cacheStatements(connection);
      return serialise(adapter);
    },
  };
}
