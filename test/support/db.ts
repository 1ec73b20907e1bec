// A fresh, migrated database per test file: a SQLite file under the OS temp dir by default, or (with
// TEST_DB=postgres) a fresh schema in postgresql://postgres@127.0.0.1:5432/test.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/platform/db/client.ts';
import { migrate } from '../../src/platform/db/migrate.ts';
import { parseDatabaseUrl } from '../../src/platform/db/url.ts';

export const TEST_PG_URL = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export function testProvider(): 'sqlite' | 'postgres' {
  return process.env.TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
}

export interface TestDatabaseUrl {
  /** DATABASE_URL of the fresh database. */
  url: string;
  /** Deletes it (idempotent). */
  drop: () => Promise<void>;
}

/** Creates and migrates a fresh database named after `name`; returns its DATABASE_URL. */
export async function testDatabase(name: string): Promise<TestDatabaseUrl> {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40) || 'db';
  const suffix = randomBytes(4).toString('hex');
  const url =
    testProvider() === 'postgres'
      ? `${TEST_PG_URL}${TEST_PG_URL.includes('?') ? '&' : '?'}schema=t_${slug}_${suffix}`
      : `file:${join(tmpdir(), `kezhao-test-${slug}-${suffix}.db`)}`;
  await migrate(parseDatabaseUrl(url));
  return { url, drop: () => dropTestDatabase(url) };
}

/** Deletes a database made by testDatabase (the SQLite file and its journals, or the PostgreSQL schema). */
export async function dropTestDatabase(url: string): Promise<void> {
  const target = parseDatabaseUrl(url);
  if (target.provider === 'sqlite') {
    if (target.file === ':memory:') return;
    for (const ext of ['', '-wal', '-shm', '-journal']) rmSync(target.file + ext, { force: true });
    return;
  }
  if (!target.schema.startsWith('t_')) throw new Error(`refusing to drop schema ${target.schema}: not a test schema`);
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${target.schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export interface TestDb {
  db: Database;
  url: string;
  /** Closes the connection and drops the database. */
  cleanup: () => Promise<void>;
}

/** A fresh migrated database, opened. */
export async function openTestDb(name: string): Promise<TestDb> {
  const { url, drop } = await testDatabase(name);
  const db = openDatabase(parseDatabaseUrl(url));
  let done = false;
  return {
    db,
    url,
    cleanup: async () => {
      if (done) return;
      done = true;
      await db.close();
      await drop();
    },
  };
}

/**
 * Holds `tables` in an open transaction until `release()`: on PostgreSQL an ACCESS EXCLUSIVE lock on them, on
 * SQLite the process's one writer. Shows what the bot does while its database is busy.
 */
export async function holdTables(db: Database['prisma'], tables: string[]): Promise<{ release: () => Promise<void> }> {
  let begun!: () => void;
  const started = new Promise<void>((resolve) => (begun = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const done = db.$transaction(async (tx) => {
    if (testProvider() === 'postgres') await tx.$executeRawUnsafe(`LOCK TABLE ${tables.map((t) => `"${t}"`).join(', ')} IN ACCESS EXCLUSIVE MODE`);
    else await tx.$queryRawUnsafe('SELECT 1');
    begun();
    await released;
  }, { maxWait: 10_000, timeout: 60_000 });
  await started;
  return { release: async () => { release(); await done; } };
}
