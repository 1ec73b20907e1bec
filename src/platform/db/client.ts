// Opens the database behind one typed Prisma client, on either provider. Both generated clients have the
// same API (they come from one schema), so the rest of the code sees one type: `Db`.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as SqliteClient, Prisma as SqlTags } from '../../generated/sqlite/client.ts';
import { PrismaClient as PostgresClient } from '../../generated/postgres/client.ts';
import type { DbTarget } from './url.ts';
import { serialSqlite, SQLITE_BLOCKING_BUSY_MS } from './sqlite-serial.ts';

export type Db = InstanceType<typeof SqliteClient>;
export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/**
 * The one set of interactive-transaction limits: generous, since writers queue (on SQLite one at a time,
 * see sqlite-serial.ts; actions on one lead queue in-process) and a transaction may write a large card.
 */
export const TX_OPTIONS = { maxWait: 20_000, timeout: 20_000 } as const;
export type { Prisma } from '../../generated/sqlite/client.ts';
/** Builds raw SQL with bound values (the same on both providers): sql`…${value}…`, join([...], ', '). */
export const sql = SqlTags.sql;
export const joinSql = SqlTags.join;
export const rawSql = SqlTags.raw;

export interface Database {
  prisma: Db;
  target: DbTarget;
  /** Runs a trivial query; rejects when the database does not answer within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>;
  /** Runs `fn` while holding a cross-process lock named `name` (PostgreSQL advisory lock; SQLite has one writer anyway). Returns undefined when another process holds it. */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T | undefined>;
  close(): Promise<void>;
}

export function openDatabase(target: DbTarget): Database {
  if (target.provider === 'sqlite') {
    if (target.file !== ':memory:') mkdirSync(dirname(target.file), { recursive: true });
    const adapter = serialSqlite(new PrismaBetterSqlite3({ url: `file:${target.file}`, timeout: SQLITE_BLOCKING_BUSY_MS }));
    const prisma = new SqliteClient({ adapter });
    const held = new Set<string>();
    return {
      prisma,
      target,
      ping: (timeoutMs = 2000) => withTimeout(prisma.$queryRawUnsafe('SELECT 1').then(() => undefined), timeoutMs),
      async withLock(name, fn) {
        // One process owns a SQLite file; an in-process guard keeps jobs from overlapping.
        if (held.has(name)) return undefined;
        held.add(name);
        try {
          return await fn();
        } finally {
          held.delete(name);
        }
      },
      close: () => prisma.$disconnect(),
    };
  }
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: 10,
    connectionTimeoutMillis: 5000,
    options: `-c search_path="${target.schema}"`,
  });
  pool.on('error', () => {}); // idle client errors surface on the next query instead
  const adapter = new PrismaPg(pool, { schema: target.schema });
  const prisma = new PostgresClient({ adapter }) as unknown as Db;
  return {
    prisma,
    target,
    ping: (timeoutMs = 2000) => withTimeout(pool.query('SELECT 1').then(() => undefined), timeoutMs),
    async withLock(name, fn) {
      // Advisory locks are shared by the whole PostgreSQL database; two deployments (or test runs) on
      // different schemas of one database must not hold each other's jobs, so the key names the schema.
      const key = `kezhao:${target.schema}:${name}`;
      const client = await pool.connect();
      try {
        const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key]);
        if (!rows[0].ok) return undefined;
        try {
          return await fn();
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
        }
      } finally {
        client.release();
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end().catch(() => {});
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => { clearTimeout(timer); resolve(v); },
      (e) => { clearTimeout(timer); reject(e); },
    );
  });
}

/** True when `err` is a unique-constraint violation (Prisma P2002) on either provider. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'P2002';
}
