// Derives prisma/postgres/schema.prisma from prisma/schema.prisma (the single source of truth) and
// generates both Prisma clients. Runs on `npm install` (postinstall) and `npm run db:generate`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function derivePostgresSchema(sqliteSchema) {
  const out = sqliteSchema
    .replace('provider = "sqlite"', 'provider = "postgresql"')
    .replace('output       = "../src/generated/sqlite"', 'output       = "../../src/generated/postgres"');
  if (!out.includes('"postgresql"') || !out.includes('generated/postgres')) {
    throw new Error('prisma/schema.prisma: datasource or generator block not in the expected form');
  }
  return '// GENERATED from prisma/schema.prisma by scripts/generate.mjs: do not edit.\n' + out;
}

export const postgresSchemaPath = join(root, 'prisma', 'postgres', 'schema.prisma');

function main() {
  const source = readFileSync(join(root, 'prisma', 'schema.prisma'), 'utf8');
  mkdirSync(dirname(postgresSchemaPath), { recursive: true });
  writeFileSync(postgresSchemaPath, derivePostgresSchema(source));
  const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
  for (const schema of ['prisma/schema.prisma', 'prisma/postgres/schema.prisma']) {
    execFileSync(process.execPath, [join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'generate', '--schema', schema], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  console.log('prisma: clients generated for sqlite and postgres');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
