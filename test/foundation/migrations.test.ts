import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, migrationStatus, readMigrations } from '../../src/platform/db/migrate.ts';
import { openDatabase } from '../../src/platform/db/client.ts';
import { parseDatabaseUrl } from '../../src/platform/db/url.ts';
import { derivePostgresSchema, postgresSchemaPath } from '../../scripts/generate.mjs';
import { pendingSql } from '../../scripts/db.ts';
import { ROOT } from '../support/process.ts';
import { openTestDb } from '../support/db.ts';

const PG = 'postgresql://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
afterAll(async () => {
  const c = new pg.Client({ connectionString: PG });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await c.end();
});

const TABLES = ['Lead', 'ApprovalStep', 'StepAssignee', 'AuditEvent', 'RoleGrant', 'Subscription', 'Quota', 'Activity', 'JobRun', 'OutboxMessage', 'ProcessedEvent', 'LeadStage', 'FollowUp', 'LeadDraft', 'User', 'Lease', 'LeadSequence'];

describe('one schema, two providers', () => {
  it('derives the PostgreSQL schema from the SQLite one without drift', () => {
    const source = readFileSync(join(ROOT, 'prisma', 'schema.prisma'), 'utf8');
    expect(readFileSync(postgresSchemaPath, 'utf8')).toBe(derivePostgresSchema(source));
  });

  it('has migrations on both providers that carry every change in prisma/schema.prisma', async () => {
    expect(readMigrations('sqlite').map((m) => m.name.slice(15))).toEqual(readMigrations('postgres').map((m) => m.name.slice(15)));
    for (const provider of ['sqlite', 'postgres'] as const) {
      const sql = await pendingSql(provider);
      expect(sql.split('\n').filter((l) => l.trim() && !l.trim().startsWith('--')), `${provider} schema changes without a migration`).toEqual([]);
    }
  });
});

describe('migrations on SQLite', () => {
  it('creates every table, records Prisma-compatible rows and is idempotent', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mig-')), 'nested', 'db.sqlite');
    const target = parseDatabaseUrl(`file:${file}`);
    expect((await migrationStatus(target)).pending.length).toBeGreaterThan(0);
    const applied = await migrate(target);
    expect(applied).toEqual(readMigrations('sqlite').map((m) => m.name));
    const db = new Database(file, { readonly: true });
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type='table'`).all() as { name: string }[]).map((r) => r.name);
    for (const t of TABLES) expect(tables).toContain(t);
    const rows = db.prepare('SELECT migration_name, checksum, finished_at FROM _prisma_migrations').all() as { migration_name: string; checksum: string; finished_at: string }[];
    db.close();
    for (const m of readMigrations('sqlite')) {
      const row = rows.find((r) => r.migration_name === m.name)!;
      expect(row.checksum).toBe(createHash('sha256').update(readFileSync(join(ROOT, 'prisma', 'migrations', 'sqlite', m.name, 'migration.sql'))).digest('hex'));
      expect(row.finished_at).toBeTruthy();
    }
    expect(await migrate(target)).toEqual([]);
    expect(await migrationStatus(target)).toMatchObject({ pending: [], modified: [] });
  });
});

describe('migrations on PostgreSQL', () => {
  it('applies once even when two processes start together, and the client works on the schema', async () => {
    const schema = `t_mig_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    const target = parseDatabaseUrl(`${PG}?schema=${schema}`);
    const [a, b] = await Promise.all([migrate(target), migrate(target)]);
    expect([...a, ...b]).toEqual(readMigrations('postgres').map((m) => m.name));
    expect(await migrationStatus(target)).toMatchObject({ pending: [], modified: [] });
    const c = new pg.Client({ connectionString: PG });
    await c.connect();
    const { rows } = await c.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, [schema]);
    await c.end();
    for (const t of TABLES) expect(rows.map((r) => r.table_name)).toContain(t);
    const database = openDatabase(target);
    try {
      await database.prisma.quota.create({ data: { year: 2026, town: '丁堰镇', metric: 'projects', target: 22 } });
      expect(await database.prisma.quota.count()).toBe(1);
    } finally {
      await database.close();
    }
  });
});

describe('moving 一月一报 follow-ups to the month they ask about', () => {
  it('files rows written when the period was the month sent in under the month before, on the provider under test', async () => {
    const { db, cleanup } = await openTestDb('mig-followup');
    try {
      const provider = db.target.provider;
      // As the old code left them: sent on 1 October and 1 November, filed under the month sent in.
      for (const period of ['2026-10', '2026-11', '2026-01']) {
        await db.prisma.followUp.create({ data: { leadId: 7, period } });
        await db.prisma.jobRun.create({ data: { job: 'follow-ups', period, target: 'lead:7', status: 'done' } });
      }
      await db.prisma.jobRun.create({ data: { job: 'monthly-report', period: '2026-10', target: 'chat:oc_1', status: 'done' } });
      const sql = readMigrations(provider).find((m) => m.name.endsWith('_follow_up_month_asked_about'))!.sql;
      for (const statement of sql.split(';').map((s) => s.replace(/^\s*--.*$/gm, '').trim()).filter(Boolean)) {
        await db.prisma.$executeRawUnsafe(statement);
      }
      const followUps = await db.prisma.followUp.findMany({ orderBy: { period: 'asc' } });
      expect(followUps.map((f) => f.period)).toEqual(['2025-12', '2026-09', '2026-10']);
      const runs = await db.prisma.jobRun.findMany({ orderBy: [{ job: 'asc' }, { period: 'asc' }] });
      expect(runs.map((r) => `${r.job} ${r.period}`)).toEqual(['follow-ups 2025-12', 'follow-ups 2026-09', 'follow-ups 2026-10', 'monthly-report 2026-10']);
    } finally {
      await cleanup();
    }
  });
});
