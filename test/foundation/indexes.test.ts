// Hot filters stay index reads as the tables grow (issue 15): checked on the query plan of each database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, testProvider, type TestDb } from '../support/db.ts';

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb('indexes');
});
afterAll(async () => {
  await t?.cleanup();
});

/** The plan of /my's query: a person's newest leads. */
async function planOfMy(): Promise<string> {
  const sql = `SELECT "id" FROM "Lead" WHERE "submitterId" = 'ou_someone' ORDER BY "id" DESC LIMIT 20`;
  if (testProvider() === 'postgres') {
    // On a small table the planner would rather scan it; ask for the plan it uses once the table is big.
    return t.db.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL enable_seqscan = off');
      const rows = await tx.$queryRawUnsafe<Array<Record<string, string>>>(`EXPLAIN ${sql}`);
      return rows.map((r) => Object.values(r)[0]).join('\n');
    });
  }
  const rows = await t.db.prisma.$queryRawUnsafe<Array<{ detail: string }>>(`EXPLAIN QUERY PLAN ${sql}`);
  return rows.map((r) => r.detail).join('\n');
}

describe('indexes', () => {
  it('/my reads one person\'s newest leads from the (submitterId, id) index, without sorting or scanning every lead', async () => {
    const plan = await planOfMy();
    expect(plan).toMatch(/Lead_submitterId_id_idx/);
    expect(plan).not.toMatch(/Sort|TEMP B-TREE|SCAN "?Lead"?\b(?! USING)/);
  });
});

describe('substring search on PostgreSQL', () => {
  it.skipIf(testProvider() !== 'postgres')('/find\'s LIKE \'%…%\' on project and company names can read trigram indexes (pg_trgm) instead of every lead', async () => {
    const plan = await t.db.prisma.$transaction(async (tx) => {
      // A small table is cheaper to scan: ask for the plan of a big one.
      await tx.$executeRawUnsafe('SET LOCAL enable_seqscan = off');
      await tx.$executeRawUnsafe('SET LOCAL enable_indexscan = off');
      const rows = await tx.$queryRawUnsafe<Array<Record<string, string>>>(
        `EXPLAIN SELECT "id" FROM "Lead" WHERE "projectName" LIKE '%氢能源%' OR "companyName" LIKE '%氢能源%' OR "companyNorm" LIKE '%氢能源%' ORDER BY "id" DESC LIMIT 201`,
      );
      return rows.map((r) => Object.values(r)[0]).join('\n');
    });
    for (const index of ['Lead_projectName_trgm_idx', 'Lead_companyName_trgm_idx', 'Lead_companyNorm_trgm_idx']) expect(plan).toContain(index);
  });
});
