// npm run bench:scale -- [--sizes 10000,100000] [--db sqlite|postgres|both] [--runs 7]
//
// The growth benchmark (issue 15): seeds a database with N leads spread over ten years (13 towns, five kinds,
// 70 % approved with their stages and 一月一报 (those approved over three years ago through to 投产), the newest
// 0.5 % in approval with eight reviewers on each), starts
// the real service against the Lark stand-in, and times what people do: each command from the signed event
// to the reply delivered (p50 / p95 / max over --runs runs, each run by another person so Lark's per-chat
// pacing does not add up), and each scheduled job as of a Wednesday (queueing its messages, not delivering
// them). For each it records how far the process's RSS rose above its level before (sampled every 20 ms), and how
// much more the heap holds after a full collection than before (what the operation kept, not its garbage).
// Prints a table per database and size and writes bench/scale-<db>.json. PostgreSQL from TEST_PG_URL
// (default postgresql://postgres@127.0.0.1:5432/test, a schema bench_scale_<n>, dropped after); SQLite in a
// temporary file. --keep leaves the seeded database in place (its URL is printed) for profiling; --skip <regexp> leaves out
// the commands and jobs it matches.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import Database from 'better-sqlite3';
import { TestBot } from '../../test/support/harness.ts';
import { migrate } from '../../src/platform/db/migrate.ts';
import { openDatabase, type Db } from '../../src/platform/db/client.ts';
import { parseDatabaseUrl } from '../../src/platform/db/url.ts';
import { defaultOffice } from '../../src/office/config.ts';
import { normalizeCompanyName } from '../../src/features/leads/company.ts';
import { JOBS } from '../../src/jobs.ts';
import { runLocked } from '../../src/platform/jobs/scheduler.ts';
import { claimRun } from '../../src/platform/delivery/ledger.ts';
import { scoringFingerprint } from '../../src/features/leads/scoring.ts';
import { SCORING_CONFIG_JOB } from '../../src/features/leads/scores.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PG_URL = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
/** Wednesday 25 November 2026, 10:00 in Shanghai: the office's clock during the run. */
const NOW = new Date('2026-11-25T02:00:00Z');
const DAY = 86_400_000;
const SPAN = 10 * 365 * DAY;
const KINDS = ['tech', 'talent', 'platform', 'service', 'fund'] as const;
const STAFF = 260;
const PEOPLE = 8; // admins, reviewers: one per run
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const staffId = (k: number) => `ou_scalestaff${pad(k, 4)}`;
const adminId = (k: number) => `ou_scaleadmin${pad(k, 2)}`;
const reviewerId = (k: number) => `ou_scalerev${pad(k, 2)}`;
const APPROVER = 'ou_scaleapprover';
const LEADER = 'ou_scaleleader';
const DIGEST_CHAT = 'oc_scale_digests';

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '10000,100000' }, db: { type: 'string', default: 'both' }, runs: { type: 'string', default: '7' }, keep: { type: 'boolean', default: false }, skip: { type: 'string' } },
});
const SIZES = values.sizes!.split(',').map((s) => Number(s.replace(/_/g, '')));
const RUNS = Math.min(PEOPLE, Math.max(1, Number(values.runs)));
const PROVIDERS = values.db === 'both' ? (['sqlite', 'postgres'] as const) : ([values.db] as Array<'sqlite' | 'postgres'>);

const office = defaultOffice();
const TOWNS = office.towns.map((t) => t.name);
const INDUSTRIES = office.industries;

// ---- seeding ---------------------------------------------------------------------------------------------

/** Inserts rows made by `make(i)` for i in [1, n], `chunk` at a time. */
async function insert<T>(n: number, chunk: number, make: (i: number) => T | T[] | undefined, write: (rows: T[]) => Promise<unknown>): Promise<number> {
  let total = 0;
  for (let from = 1; from <= n; from += chunk) {
    const rows: T[] = [];
    for (let i = from; i < Math.min(n + 1, from + chunk); i++) {
      const r = make(i);
      if (Array.isArray(r)) rows.push(...r);
      else if (r !== undefined) rows.push(r);
    }
    if (rows.length) await write(rows);
    total += rows.length;
  }
  return total;
}

interface Shape {
  createdAt: Date;
  status: 'approved' | 'rejected' | 'withdrawn' | 'pending' | 'returned';
  approvedAt: Date | null;
  stages: number; // 0..4: signed, registered, landed, producing
}

function shape(i: number, n: number): Shape {
  const createdAt = new Date(NOW.getTime() - DAY - Math.floor((SPAN * (n - i)) / n));
  const open = i > n - Math.max(50, Math.floor(n * 0.005));
  const status: Shape['status'] = open
    ? i % 10 === 0 ? 'returned' : 'pending'
    : (['approved', 'approved', 'approved', 'approved', 'approved', 'approved', 'approved', 'rejected', 'rejected', 'withdrawn'] as const)[i % 10];
  const approvedAt = status === 'approved' ? new Date(createdAt.getTime() + 7 * DAY) : null;
  // Projects approved over three years ago have gone through to 投产 (no 一月一报 any more); younger ones are
  // spread over the stages before it, a quarter not yet signed.
  const stages = !approvedAt ? 0 : approvedAt.getTime() < NOW.getTime() - 3 * 365 * DAY ? 4 : approvedAt.getTime() < NOW.getTime() - 100 * DAY ? i % 4 : 0;
  return { createdAt, status, approvedAt, stages };
}

const STAGES = ['signed', 'registered', 'landed', 'producing'] as const;

/** The codes of leads 1..n as the service numbers them: KZ-<year>-<sequence within the year, 4+ digits>. */
function leadCodes(n: number): string[] {
  const codes = [''];
  const seq = new Map<number, number>();
  for (let i = 1; i <= n; i++) {
    const year = shape(i, n).createdAt.getUTCFullYear();
    const k = (seq.get(year) ?? 0) + 1;
    seq.set(year, k);
    codes.push(`KZ-${year}-${pad(k, 4)}`);
  }
  return codes;
}
const dayOf = (d: Date) => new Date(Math.floor(d.getTime() / DAY) * DAY);

type Value = string | number | boolean | Date | null | object;

/**
 * Bulk rows straight through the driver (Prisma's createMany took ~40 s for 10k leads): values in Prisma's
 * stored form (SQLite: ISO text with +00:00, 0/1, JSON text; PostgreSQL: UTC timestamps, jsonb).
 */
interface RawWriter {
  insert(table: string, rows: Array<Record<string, Value>>): Promise<void>;
  close(): Promise<void>;
}

function sqliteWriter(file: string): RawWriter {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const conv = (v: Value) => (v instanceof Date ? v.toISOString().replace('Z', '+00:00') : typeof v === 'boolean' ? (v ? 1 : 0) : v !== null && typeof v === 'object' ? JSON.stringify(v) : v);
  return {
    async insert(table, rows) {
      if (rows.length === 0) return;
      const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      const stmt = db.prepare(`INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
      db.transaction(() => {
        for (const r of rows) stmt.run(...cols.map((c) => conv(r[c] ?? null)));
      })();
    },
    async close() {
      db.close();
    },
  };
}

async function postgresWriter(url: string, schema: string): Promise<RawWriter> {
  const c = new pg.Client({ connectionString: url.replace(/[?&]schema=[^&]*/, '') });
  await c.connect();
  await c.query(`SET search_path TO "${schema}"`);
  const conv = (v: Value) => (v instanceof Date ? v.toISOString().replace('Z', '') : v !== null && typeof v === 'object' ? JSON.stringify(v) : v);
  return {
    async insert(table, rows) {
      if (rows.length === 0) return;
      const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      const per = Math.floor(60_000 / cols.length);
      for (let i = 0; i < rows.length; i += per) {
        const chunk = rows.slice(i, i + per);
        const params: unknown[] = [];
        const tuples = chunk.map((r) => `(${cols.map((col) => (params.push(conv(r[col] ?? null)), `$${params.length}`)).join(', ')})`);
        await c.query(`INSERT INTO "${table}" (${cols.map((col) => `"${col}"`).join(', ')}) VALUES ${tuples.join(', ')}`, params);
      }
    },
    async close() {
      await c.end();
    },
  };
}

async function seed(db: Db, raw: RawWriter, n: number, codes: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const CH = 5000;
  await db.user.createMany({
    data: [
      ...Array.from({ length: STAFF }, (_, k) => ({ openId: staffId(k), name: `招商${k}` })),
      ...Array.from({ length: PEOPLE }, (_, k) => ({ openId: reviewerId(k), name: `初审${k}` })),
      ...Array.from({ length: PEOPLE }, (_, k) => ({ openId: adminId(k), name: `管理${k}` })),
      { openId: APPROVER, name: '审签人' }, { openId: LEADER, name: '领导' },
    ],
  });
  await db.roleGrant.createMany({
    data: [
      ...Array.from({ length: STAFF }, (_, k) => ({ userId: staffId(k), role: 'staff', town: TOWNS[k % TOWNS.length], grantedBy: 'bench' })),
      ...Array.from({ length: PEOPLE }, (_, k) => ({ userId: reviewerId(k), role: 'reviewer', grantedBy: 'bench' })),
      { userId: APPROVER, role: 'approver', grantedBy: 'bench' }, { userId: LEADER, role: 'leader', grantedBy: 'bench' },
    ],
  });
  counts.leads = await insert(n, CH, (i) => {
    const s = shape(i, n);
    const industry = INDUSTRIES[i % INDUSTRIES.length];
    const companyName = `如皋${i}号${industry}科技有限公司`;
    return {
      id: i,
      code: codes[i],
      kind: KINDS[i % KINDS.length],
      projectName: `${industry}产业化项目${i}号`,
      companyName,
      companyNorm: normalizeCompanyName(companyName),
      industry,
      town: TOWNS[i % TOWNS.length],
      sourceRegion: '上海',
      contactName: '王经理',
      contactPhone: '13800000000',
      investmentWan: 500 + (i % 50) * 100,
      summary: '团队来自上海，计划在如皋落地产业化。',
      submitterId: staffId(i % STAFF),
      status: s.status,
      tier: (['key', 'regular', 'potential'] as const)[i % 3],
      score: 40 + (i % 60),
      stage: s.stages > 0 ? STAGES[s.stages - 1] : null,
      approvedAt: s.approvedAt,
      closedAt: s.status === 'rejected' || s.status === 'withdrawn' ? new Date(s.createdAt.getTime() + 7 * DAY) : null,
      createdAt: s.createdAt,
      updatedAt: s.approvedAt ?? s.createdAt,
    };
  }, (rows) => raw.insert('Lead', rows));
  const stepStatus: Record<Shape['status'], [string, string]> = {
    approved: ['approved', 'approved'], rejected: ['approved', 'rejected'], withdrawn: ['cancelled', 'cancelled'],
    pending: ['pending', 'waiting'], returned: ['returned', 'cancelled'],
  };
  counts.steps = await insert(n, CH, (i) => {
    const s = shape(i, n);
    const [a, b] = stepStatus[s.status];
    const decided = (st: string) => (st === 'approved' || st === 'rejected' || st === 'returned' ? new Date(s.createdAt.getTime() + 3 * DAY) : null);
    return [
      { id: 2 * i - 1, leadId: i, round: 1, position: 1, step: 'review', mode: 'any', status: a, startedAt: s.createdAt, decidedAt: decided(a), createdAt: s.createdAt },
      { id: 2 * i, leadId: i, round: 1, position: 2, step: 'signoff', mode: 'any', status: b, startedAt: b === 'waiting' ? null : s.createdAt, decidedAt: decided(b), createdAt: s.createdAt },
    ];
  }, (rows) => raw.insert('ApprovalStep', rows));
  counts.assignees = await insert(n, CH, (i) => {
    const s = shape(i, n);
    if (s.status === 'pending') return Array.from({ length: PEOPLE }, (_, k) => ({ stepId: 2 * i - 1, userId: reviewerId(k), decision: null, active: true }));
    const [a, b] = stepStatus[s.status];
    const word = (st: string) => (st === 'approved' ? 'approve' : st === 'rejected' ? 'reject' : st === 'returned' ? 'return' : null);
    return [
      { stepId: 2 * i - 1, userId: reviewerId(i % PEOPLE), decision: word(a), active: false },
      { stepId: 2 * i, userId: APPROVER, decision: word(b), active: false },
    ];
  }, (rows) => raw.insert('StepAssignee', rows));
  counts.audits = await insert(n, CH, (i) => {
    const s = shape(i, n);
    if (s.status === 'pending') return undefined;
    const action = { approved: 'approve', rejected: 'reject', withdrawn: 'withdraw', returned: 'return' }[s.status];
    return { actorId: s.status === 'withdrawn' ? staffId(i % STAFF) : APPROVER, action, leadId: i, createdAt: s.approvedAt ?? new Date(s.createdAt.getTime() + 3 * DAY) };
  }, (rows) => raw.insert('AuditEvent', rows));
  counts.stages = await insert(n, CH, (i) => {
    const s = shape(i, n);
    return Array.from({ length: s.stages }, (_, k) => {
      const at = new Date(s.approvedAt!.getTime() + (k + 1) * 30 * DAY);
      return { leadId: i, stage: STAGES[k], date: dayOf(at), data: k === 0 ? { investment_wan: 1000 } : {}, actorId: staffId(i % STAFF), createdAt: at };
    });
  }, (rows) => raw.insert('LeadStage', rows));
  counts.followUps = await insert(n, CH, (i) => {
    const s = shape(i, n);
    if (!s.approvedAt || s.approvedAt.getTime() < NOW.getTime() - 365 * DAY) return undefined;
    return ['2026-09', '2026-10'].map((period) => {
      const answered = i % 3 !== 0;
      return {
        leadId: i, period, sentAt: new Date(`${period}-28T01:00:00Z`),
        answeredAt: answered ? new Date(`${period}-28T03:00:00Z`) : null, answer: answered ? 'updated' : null,
        inventionPatents: answered ? i % 2 : 0, utilityModels: answered ? i % 3 : 0, investmentArrivedWan: answered ? 300 : null,
      };
    });
  }, (rows) => raw.insert('FollowUp', rows));
  const perTown = Math.max(5, Math.round(n / 10 / TOWNS.length / 2));
  await db.quota.createMany({
    data: TOWNS.flatMap((town) => [
      { year: 2026, town, metric: 'projects', target: perTown },
      { year: 2026, town, metric: 'invention_patents', target: perTown },
      { year: 2026, town, metric: 'utility_models', target: perTown * 2 },
      { year: 2026, town, metric: 'platforms', target: 2 },
      { year: 2026, town, metric: 'funds', target: 2 },
    ]),
  });
  // The leads carry a tier already: mark the scores as computed with this office's model, or the service
  // would re-score every lead in the background after it starts, during the measurements.
  await claimRun(db, SCORING_CONFIG_JOB, scoringFingerprint(office, office.scoring), 'current');
  await db.subscription.createMany({ data: ['weekly', 'bimonthly', 'monthly', 'alerts'].map((topic) => ({ chatId: DIGEST_CHAT, topic, createdBy: 'bench' })) });
  return counts;
}

// ---- measuring -------------------------------------------------------------------------------------------

interface Row {
  what: string;
  p50: number;
  p95: number;
  max: number;
  /** How far RSS rose above its level before the operation, MiB (the largest over the runs). */
  rssRiseMiB: number;
  /**
   * How much more the JavaScript heap holds after a full collection once the operation is over than before it,
   * MiB: memory it kept, as against the garbage counted in the RSS rise.
   */
  heapKeptMiB: number;
  note?: string;
}

const MiB = 1024 * 1024;

const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** Runs `op` while sampling RSS; returns the time taken, the RSS rise and the heap kept after a collection. */
async function measured(op: () => Promise<unknown>): Promise<{ ms: number; rise: number; kept: number }> {
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  try {
    await op();
  } finally {
    clearInterval(timer);
  }
  const ms = performance.now() - t0;
  peak = Math.max(peak, process.memoryUsage().rss);
  gc();
  return { ms, rise: (peak - base) / MiB, kept: Math.max(0, process.memoryUsage().heapUsed - heapBefore) / MiB };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};
const round = (x: number) => Math.round(x * 10) / 10;

async function timeRuns(what: string, runs: number, op: (k: number) => Promise<unknown>, note?: string): Promise<Row> {
  await op(PEOPLE - 1); // warm-up, by a person the timed runs do not use
  const ms: number[] = [];
  let rise = 0;
  let kept = 0;
  for (let k = 0; k < runs; k++) {
    const m = await measured(() => op(k));
    ms.push(m.ms);
    rise = Math.max(rise, m.rise);
    kept = Math.max(kept, m.kept);
  }
  return { what, p50: round(quantile(ms, 0.5)), p95: round(quantile(ms, 0.95)), max: round(Math.max(...ms)), rssRiseMiB: round(rise), heapKeptMiB: round(kept), ...(note ? { note } : {}) };
}

async function databaseFor(provider: 'sqlite' | 'postgres', n: number): Promise<{ url: string; drop: () => Promise<void> }> {
  if (provider === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kz-scale-'));
    return { url: `file:${join(dir, 'scale.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `bench_scale_${n}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  return { url: `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`, drop: () => admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`) };
}

async function scaleRun(provider: 'sqlite' | 'postgres', n: number): Promise<{ seedSeconds: number; counts: Record<string, number>; rows: Row[] }> {
  const target = await databaseFor(provider, n);
  try {
    const t0 = performance.now();
    await migrate(parseDatabaseUrl(target.url));
    const seeding = openDatabase(parseDatabaseUrl(target.url));
    const raw = provider === 'sqlite' ? sqliteWriter(target.url.slice('file:'.length)) : await postgresWriter(target.url, `bench_scale_${n}`);
    const codes = leadCodes(n);
    const counts = await seed(seeding.prisma, raw, n, codes);
    await raw.close();
    if (provider === 'postgres') {
      for (const t of ['Lead', 'ApprovalStep']) await seeding.prisma.$executeRawUnsafe(`SELECT setval(pg_get_serial_sequence('"${t}"', 'id'), (SELECT max("id") FROM "${t}"))`);
      await seeding.prisma.$executeRawUnsafe('ANALYZE');
    } else {
      await seeding.prisma.$executeRawUnsafe('ANALYZE');
    }
    await seeding.close();
    const seedSeconds = round((performance.now() - t0) / 1000);
    process.stderr.write(`  seeded ${n.toLocaleString('en')} leads on ${provider} in ${seedSeconds} s: ${JSON.stringify(counts)}\n`);

    const bot = await TestBot.start({
      name: `scale-${n}`,
      env: { DATABASE_URL: target.url, BOT_ADMINS: Array.from({ length: PEOPLE }, (_, k) => adminId(k)).join(',') },
      admins: Array.from({ length: PEOPLE }, (_, k) => adminId(k)),
      clock: () => NOW,
    });
    const rows: Row[] = [];
    try {
      // The start-up catch-up runs the jobs the seeded history "missed" (thousands of 一月一报 cards): let it
      // finish and drop what it queued, which would otherwise be delivered during the measurements.
      await bot.app.scheduler.idle();
      await bot.app.outbox.stop();
      await bot.app.database.prisma.outboxMessage.deleteMany({ where: { status: { in: ['pending', 'sending'] } } });
      bot.app.outbox.start();
      await bot.settle();
      const say = (who: string, text: string) => async () => {
        const before = bot.messagesTo(who).length;
        await bot.say(who, text);
        if (bot.messagesTo(who).length === before) throw new Error(`no reply to ${text}`);
      };
      const mid = Math.floor(n / 2);
      const midCode = codes[mid];
      const commands: Array<[string, (k: number) => () => Promise<void>, string?]> = [
        ['/help', (k) => say(adminId(k), '/help')],
        ['/quota', (k) => say(adminId(k), '/quota')],
        ['/my (a staff member, ~n/260 leads)', (k) => say(staffId(k), '/my')],
        ['/pending (every open lead waits on each reviewer)', (k) => say(reviewerId(k), '/pending')],
        [`/lead <code>`, (k) => say(adminId(k), `/lead ${midCode}`)],
        ['/find 氢能 (matches ~1 in 10)', (k) => say(adminId(k), '/find 氢能')],
        ['/find <one project\'s name> (one match)', (k) => say(adminId(k), `/find 项目${mid}号`)],
        ['/find 量子纠缠 (no match)', (k) => say(adminId(k), '/find 量子纠缠')],
        ['/find <code>', (k) => say(adminId(k), `/find ${midCode}`)],
      ];
      const skipped = (what: string) => values.skip !== undefined && new RegExp(values.skip).test(what);
      for (const [what, op] of commands) {
        if (skipped(what)) continue;
        rows.push(await timeRuns(what, RUNS, (k) => op(k)()));
        process.stderr.write(`  ${what}: p95 ${rows.at(-1)!.p95} ms\n`);
      }
      // Jobs queue their messages; the worker is stopped so that delivering them (paced to Lark's limits)
      // does not overlap the next measurement, and what they queued is dropped after each.
      await bot.app.outbox.stop();
      const services = bot.app.services;
      // Each job forced as of the Wednesday; then 一月一报 as it runs on the 1st of a month (1 December 09:41),
      // for a month nothing was sent for yet (the forced run re-sends October, whose rows the seed holds).
      const runs: Array<{ what: string; job: (typeof JOBS)[number]; at: Date; force: boolean }> = [
        ...JOBS.map((job) => ({ what: `job ${job.name}`, job, at: NOW, force: true })),
        ...JOBS.filter((job) => job.name === 'follow-ups').map((job) => ({ what: `job ${job.name} on the 1st (a new month)`, job, at: new Date('2026-12-01T01:41:00Z'), force: false })),
      ];
      for (const { what, job, at, force } of runs) {
        if (skipped(what)) continue;
        let summary = '';
        const m = await measured(async () => {
          const r = await runLocked(bot.app.database, job, services, at, force);
          summary = r?.summary ?? 'busy';
        });
        const queued = await bot.app.database.prisma.outboxMessage.deleteMany({ where: { status: 'pending' } });
        rows.push({ what, p50: round(m.ms), p95: round(m.ms), max: round(m.ms), rssRiseMiB: round(m.rise), heapKeptMiB: round(m.kept), note: `${queued.count} queued; ${summary}` });
        process.stderr.write(`  ${what}: ${round(m.ms)} ms (${summary})\n`);
      }
    } finally {
      await bot.stop().catch(() => {});
    }
    return { seedSeconds, counts, rows };
  } finally {
    if (values.keep) process.stderr.write(`  kept the database: ${target.url}\n`);
    else await target.drop().catch(() => {});
  }
}

const results: Array<{ provider: string; leads: number; seedSeconds: number; counts: Record<string, number>; rows: Row[] }> = [];
for (const provider of PROVIDERS) {
  for (const n of SIZES) {
    process.stderr.write(`${provider}, ${n.toLocaleString('en')} leads\n`);
    const r = await scaleRun(provider, n);
    results.push({ provider, leads: n, ...r });
    console.log(`\n${provider}, ${n.toLocaleString('en')} leads (seeded in ${r.seedSeconds} s)`);
    console.log('| what | p50 ms | p95 ms | max ms | RSS rise MiB | heap kept MiB | note |');
    console.log('|---|---|---|---|---|---|---|');
    for (const row of r.rows) console.log(`| ${row.what} | ${row.p50} | ${row.p95} | ${row.max} | ${row.rssRiseMiB} | ${row.heapKeptMiB} | ${row.note ?? ''} |`);
  }
}
mkdirSync(join(ROOT, 'bench'), { recursive: true });
writeFileSync(
  join(ROOT, 'bench', `scale-${values.db}.json`),
  JSON.stringify({ date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, memGiB: round(totalmem() / 1024 ** 3), node: process.version }, runs: RUNS, results }, null, 2) + '\n',
);
process.exit(0);
