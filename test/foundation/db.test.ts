import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { openTestDb, testProvider } from '../support/db.ts';
import { openDatabase, type Database } from '../../src/platform/db/client.ts';
import { cacheStatements } from '../../src/platform/db/sqlite-serial.ts';
import { bulkChunk, bulkRows, providerOf } from '../../src/platform/db/bulk.ts';

let db: Database;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ db, cleanup } = await openTestDb('dbiso'));
});
afterAll(async () => cleanup());

describe('transactions', () => {
  it('keep a write made outside them while they are open, when they roll back', async () => {
    let outside: Promise<unknown> | undefined;
    await expect(
      db.prisma.$transaction(async (tx) => {
        await tx.quota.create({ data: { year: 2026, town: '甲镇', metric: 'projects', target: 1 } });
        // Another request writes while this transaction is open.
        // (.then() starts it now: Prisma queries are lazy.)
        outside = db.prisma.quota.createMany({ data: [{ year: 2026, town: '乙镇', metric: 'projects', target: 2 }] }).then((r) => r);
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await outside;
    const towns = (await db.prisma.quota.findMany({ orderBy: { town: 'asc' } })).map((q) => q.town);
    expect(towns).toEqual(['乙镇']);
  });

  it('serialise 20 concurrent read-modify-write transactions without losing an update', async () => {
    await db.prisma.leadSequence.create({ data: { year: 1999, last: 0 } });
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.prisma.$transaction(async (tx) => {
          const row = await tx.leadSequence.findUniqueOrThrow({ where: { year: 1999 } });
          await tx.leadSequence.updateMany({ where: { year: 1999, last: row.last }, data: { last: row.last + 1 } });
        }, { maxWait: 20_000, timeout: 20_000 }),
      ),
    );
    const row = await db.prisma.leadSequence.findUniqueOrThrow({ where: { year: 1999 } });
    // On SQLite the transactions run one after another, so every one sees the previous commit; on
    // PostgreSQL the conditional update lets the losers change nothing. Either way nothing is half-done.
    expect(row.last).toBeGreaterThanOrEqual(1);
    if (db.target.provider === 'sqlite') expect(row.last).toBe(20);
  });
});

describe.skipIf(testProvider() !== 'sqlite')('SQLite statement cache', () => {
  it('prepares a statement once and gives each use its own parameters, in and outside transactions', async () => {
    const prepare = vi.spyOn(BetterSqlite3.prototype, 'prepare');
    const fresh = await openTestDb('dbcache'); // Prisma connects on its first query, after the spy is in place
    try {
      const q = fresh.db.prisma;
      for (let i = 0; i < 5; i++) await q.quota.create({ data: { year: 2030 + i, town: `镇${i}`, metric: 'projects', target: i } });
      const reads = [];
      for (let i = 0; i < 5; i++) reads.push((await q.quota.findMany({ where: { year: 2030 + i } })).map((r) => [r.town, r.target]));
      expect(reads).toEqual([0, 1, 2, 3, 4].map((i) => [[`镇${i}`, i]]));
      await q.$transaction(async (tx) => {
        await tx.quota.updateMany({ where: { year: 2030 }, data: { target: 10 } });
        expect((await tx.quota.findFirstOrThrow({ where: { year: 2030 } })).target).toBe(10);
      });
      await expect(q.$transaction(async (tx) => {
        await tx.quota.updateMany({ where: { year: 2031 }, data: { target: 11 } });
        throw new Error('roll back');
      })).rejects.toThrow('roll back');
      expect((await q.quota.findFirstOrThrow({ where: { year: 2031 } })).target).toBe(1);
      expect(await q.quota.count()).toBe(5);
      // Each distinct text was compiled once, however often it ran.
      const texts = prepare.mock.calls.map(([sql]) => sql).filter((sql) => sql.includes('Quota'));
      expect(texts.length).toBeGreaterThan(0);
      expect(new Set(texts).size).toBe(texts.length);
    } finally {
      prepare.mockRestore();
      await fresh.cleanup();
    }
  });

  it('keeps the most recently used texts', () => {
    const compiled: string[] = [];
    const stmt = { reader: true, bind: () => stmt, columns: () => [], raw: () => stmt, all: () => [], run: () => ({}) };
    const conn = { prepare: (sql: string) => (compiled.push(sql), stmt) };
    cacheStatements(conn, 2);
    for (const sql of ['a', 'b', 'a', 'c', 'a', 'b']) conn.prepare(sql);
    // 'b' was the least recently used when 'c' came in, so only it was compiled again.
    expect(compiled).toEqual(['a', 'b', 'c', 'b']);
  });
});

describe('bulk rows', () => {
  it('know their database, in and outside a transaction', async () => {
    expect(providerOf(db.prisma)).toBe(testProvider());
    await db.prisma.$transaction(async (tx) => expect(providerOf(tx)).toBe(testProvider()));
  });

  it('read back a full statement of texts, numbers and nulls, in order', async () => {
    const n = bulkChunk(2);
    const rows = Array.from({ length: n }, (_, i) => [i % 7 === 0 ? null : `行${i}'"`, i]);
    const back = await db.prisma.$queryRaw<Array<{ column1: string | null; column2: number | bigint }>>`SELECT r.* FROM (${bulkRows(db.prisma, ['text', 'int'], rows)}) AS r`;
    expect(back.map((r) => [r.column1, Number(r.column2)])).toEqual(rows);
    expect(n * 2).toBeGreaterThan(999); // past what Prisma allows its own queries on SQLite
  });
});

describe('withLock', () => {
  it('lets one holder in at a time per database, and does not reach into another database', async () => {
    const other = await openTestDb('dbiso-other');
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const holding = db.withLock('job:quota-alerts', async () => {
        entered();
        await gate;
        return 'first';
      });
      await inside;
      // Another database (on PostgreSQL: another schema of the same server database) runs its own job.
      expect(await other.db.withLock('job:quota-alerts', async () => 'other')).toBe('other');
      if (db.target.provider === 'postgres') {
        // A second connection to this same database finds the job held and skips it.
        const same = openDatabase(db.target);
        try {
          expect(await same.withLock('job:quota-alerts', async () => 'same')).toBeUndefined();
        } finally {
          await same.close();
        }
      }
      release();
      expect(await holding).toBe('first');
      expect(await db.withLock('job:quota-alerts', async () => 'again')).toBe('again');
    } finally {
      await other.cleanup();
    }
  });
});
