// Applies prisma/migrations/<provider>/<name>/migration.sql in order, each in a transaction, and records
// them in Prisma's own `_prisma_migrations` table (checksum = sha256 of the file), so a machine with the
// native Prisma engine reads the database as up to date. On PostgreSQL an advisory lock keeps two
// starting processes from migrating at once.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { DbTarget } from './url.ts';

export const MIGRATIONS_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'prisma', 'migrations');

export interface Migration { name: string; sql: string; checksum: string }
export interface MigrationStatus { applied: string[]; pending: string[]; modified: string[] }

export function migrationsDir(provider: DbTarget['provider']): string {
  return join(MIGRATIONS_ROOT, provider);
}

export function readMigrations(provider: DbTarget['provider']): Migration[] {
  const dir = migrationsDir(provider);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const SQLITE_LEDGER = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

const PG_LEDGER = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

function compare(migrations: Migration[], rows: { migration_name: string; checksum: string }[]): MigrationStatus {
  const done = new Map(rows.map((r) => [r.migration_name, r.checksum]));
  return {
    applied: migrations.filter((m) => done.has(m.name)).map((m) => m.name),
    pending: migrations.filter((m) => !done.has(m.name)).map((m) => m.name),
    modified: migrations.filter((m) => done.has(m.name) && done.get(m.name) !== m.checksum).map((m) => m.name),
  };
}

/** Applies pending migrations; returns the names applied now. */
export async function migrate(target: DbTarget, migrations = readMigrations(target.provider)): Promise<string[]> {
  return target.provider === 'sqlite' ? migrateSqlite(target.file, migrations) : migratePostgres(target, migrations);
}

export async function migrationStatus(target: DbTarget, migrations = readMigrations(target.provider)): Promise<MigrationStatus> {
  if (target.provider === 'sqlite') {
    if (target.file !== ':memory:' && !existsSync(target.file)) return compare(migrations, []);
    const db = new Database(target.file, { readonly: true });
    try {
      const has = db.prepare(`SELECT 1 FROM sqlite_master WHERE type='table' AND name='_prisma_migrations'`).get();
      const rows = has ? (db.prepare(`SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`).all() as { migration_name: string; checksum: string }[]) : [];
      return compare(migrations, rows);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    const has = await client.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = '_prisma_migrations'`, [target.schema]);
    const rows = has.rowCount
      ? (await client.query(`SELECT migration_name, checksum FROM "${target.schema}"."_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`)).rows
      : [];
    return compare(migrations, rows);
  } finally {
    await client.end();
  }
}

function migrateSqlite(file: string, migrations: Migration[]): string[] {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 10000');
    db.exec(SQLITE_LEDGER);
    const applied: string[] = [];
    // BEGIN IMMEDIATE takes the write lock first, so two processes starting together serialise here.
    const run = db.transaction(() => {
      const rows = db.prepare(`SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`).all() as { migration_name: string; checksum: string }[];
      for (const name of compare(migrations, rows).pending) {
        const m = migrations.find((x) => x.name === name)!;
        db.exec(m.sql);
        db.prepare(`INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES (?, ?, ?, ?, ?, 1)`)
          .run(randomUUID(), m.checksum, new Date().toISOString(), m.name, new Date().toISOString());
        applied.push(name);
      }
    });
    run.immediate();
    return applied;
  } finally {
    db.close();
  }
}

async function migratePostgres(target: Extract<DbTarget, { provider: 'postgres' }>, migrations: Migration[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    await client.query('BEGIN');
    // One migrator at a time per schema; the lock ends with the transaction.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`kezhao-migrate:${target.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${target.schema}"`);
    await client.query(`SET LOCAL search_path TO "${target.schema}"`);
    await client.query(PG_LEDGER);
    const rows = (await client.query(`SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`)).rows;
    const applied: string[] = [];
    for (const name of compare(migrations, rows).pending) {
      const m = migrations.find((x) => x.name === name)!;
      await client.query(m.sql);
      await client.query(`INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ($1, $2, now(), $3, now(), 1)`, [randomUUID(), m.checksum, m.name]);
      applied.push(name);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}
