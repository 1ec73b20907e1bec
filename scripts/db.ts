// Database CLI, working without Prisma's native engine binaries:
//   npm run db:migration -- <name>   create migrations for SQLite and PostgreSQL from prisma/schema.prisma
//   npm run db:deploy                apply pending migrations to DATABASE_URL
//   npm run db:status                show applied / pending migrations of DATABASE_URL
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { loadSchemaEngine, type SchemaFile } from './schema-engine.ts';
import { migrate, migrationStatus, migrationsDir, readMigrations } from '../src/platform/db/migrate.ts';
import { describeTarget, parseDatabaseUrl, type DbTarget } from '../src/platform/db/url.ts';

const root = join(import.meta.dirname, '..');

function schemaFiles(provider: DbTarget['provider']): SchemaFile[] {
  const path = provider === 'sqlite' ? join(root, 'prisma', 'schema.prisma') : join(root, 'prisma', 'postgres', 'schema.prisma');
  return [{ path, content: readFileSync(path, 'utf8') }];
}

const filters = { externalTables: [], externalEnums: [] };

/** SQL that takes a database holding every existing migration to the current schema. */
export async function pendingSql(provider: DbTarget['provider']): Promise<string> {
  const files = schemaFiles(provider);
  const existing = readMigrations(provider);
  if (provider === 'sqlite') {
    const dir = join(root, 'data', `.diff-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'shadow.db');
    const db = new Database(file);
    for (const m of existing) db.exec(m.sql);
    db.close();
    const engine = await loadSchemaEngine(new PrismaBetterSqlite3({ url: `file:${file}` }), files);
    try {
      const r = await engine.diff({ from: { tag: 'schemaDatasource', files, configDir: root }, to: { tag: 'schemaDatamodel', files }, script: true, exitCode: null, filters });
      return r.stdout ?? '';
    } finally {
      engine.free();
      (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
    }
  }
  const pglite = new PGlite();
  try {
    for (const m of existing) await pglite.exec(m.sql);
    const engine = await loadSchemaEngine(new PrismaPGlite(pglite), files);
    try {
      const r = await engine.diff({ from: { tag: 'schemaDatasource', files, configDir: root }, to: { tag: 'schemaDatamodel', files }, script: true, exitCode: null, filters });
      return r.stdout ?? '';
    } finally {
      engine.free();
    }
  } finally {
    await pglite.close();
  }
}

function isEmptyScript(sql: string): boolean {
  return sql.split('\n').every((l) => l.trim() === '' || l.trim().startsWith('--'));
}

async function createMigration(name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error('migration name: lower-case letters, digits and _ only');
  const stamp = new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  for (const provider of ['sqlite', 'postgres'] as const) {
    const sql = await pendingSql(provider);
    if (isEmptyScript(sql)) {
      console.log(`${provider}: schema unchanged, no migration written`);
      continue;
    }
    const dir = join(migrationsDir(provider), `${stamp}_${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'migration.sql'), sql);
    console.log(`${provider}: wrote ${dir}/migration.sql`);
  }
}

async function main(): Promise<void> {
  const [cmd, arg] = process.argv.slice(2);
  if (cmd === 'migration') {
    if (!arg) throw new Error('usage: npm run db:migration -- <name>');
    await createMigration(arg);
  } else if (cmd === 'deploy' || cmd === 'status') {
    const target = parseDatabaseUrl(process.env.DATABASE_URL || undefined);
    if (cmd === 'deploy') {
      const applied = await migrate(target);
      console.log(`${describeTarget(target)}: ${applied.length ? `applied ${applied.join(', ')}` : 'already up to date'}`);
    } else {
      const s = await migrationStatus(target);
      console.log(`${describeTarget(target)}: ${s.applied.length} applied, ${s.pending.length} pending${s.pending.length ? ` (${s.pending.join(', ')})` : ''}`);
      if (s.modified.length) console.log(`modified after being applied: ${s.modified.join(', ')}`);
      if (s.pending.length || s.modified.length) process.exitCode = 1;
    }
  } else if (cmd === 'check') {
    // Fails when prisma/schema.prisma has changes that no migration carries yet.
    for (const provider of ['sqlite', 'postgres'] as const) {
      const sql = await pendingSql(provider);
      if (!isEmptyScript(sql)) {
        console.log(`${provider}: schema has changes without a migration:\n${sql}`);
        process.exitCode = 1;
      }
    }
  } else {
    throw new Error('usage: tsx scripts/db.ts migration <name> | deploy | status | check');
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  main().then(
    () => process.exit(),
    (err: Error) => {
      console.error(`db: ${err.message}`);
      process.exit(1);
    },
  );
}
