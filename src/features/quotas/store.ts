// 任务分解表 in the database: replacing a year's quotas atomically (with its AuditEvent), correcting one
// target, reading a year back with the approved leads that count against it, and the import drafts kept
// while an admin looks at the preview.
//
// Drafts live in LeadDraft: kind 'quota_import' holds a validated table waiting for 确认导入
// (values = QuotaDraft), kind 'quota_import_year' holds the year chosen by `/quota import <year>` for the
// next file the same admin sends (values = { year }). The housekeeping job drops both after KEEP.drafts.
import { tierWeight, type ScoringConfig } from '../leads/scoring.ts';
import type { Db, Prisma, Tx } from '../../platform/db/client.ts';
import { localDate, zonedInstant } from '../../platform/time.ts';
import type { CountRule } from '../../office/config.ts';
import {
  computeProgress, isQuotaMetric, QUOTA_METRICS, quotaRecords,
  type CountedLeadFact, type MetricValues, type PatentFact, type QuotaMetric, type QuotaProgress, type QuotaTarget,
} from './quota.ts';

type DbOrTx = Db | Tx;

/** A town's targets as stored in a draft and imported. */
export type TownTargets = { town: string } & MetricValues;

export interface QuotaImportInput {
  year: number;
  rows: TownTargets[];
  actorId: string;
  /** Where the import came from: the chat upload or the command line. */
  via: 'chat' | 'cli';
  fileName?: string;
  totals: MetricValues;
  statedTotals?: Partial<MetricValues>;
  warnings: string[];
  now: Date;
}

export interface QuotaImportOutcome {
  /** Quota records of the year before the import. */
  replaced: number;
  /** Quota records written. */
  created: number;
}

/**
 * Replaces every quota of `input.year` with the imported rows and records the AuditEvent 'quota_import',
 * inside the caller's transaction: the year is either wholly the old table or wholly the new one.
 */
export async function replaceQuotaYear(tx: Tx, input: QuotaImportInput): Promise<QuotaImportOutcome> {
  const records = quotaRecords(input.year, input.rows.map((r) => ({ ...r, sourceName: r.town, rowNumber: 0 })));
  const deleted = await tx.quota.deleteMany({ where: { year: input.year } });
  if (records.length > 0) {
    await tx.quota.createMany({ data: records.map((r) => ({ ...r, updatedAt: input.now })) });
  }
  await tx.auditEvent.create({
    data: {
      actorId: input.actorId,
      action: 'quota_import',
      role: input.via === 'chat' ? 'admin' : null,
      data: {
        year: input.year,
        via: input.via,
        fileName: input.fileName ?? null,
        towns: input.rows.map((r) => r.town),
        records: records.length,
        replaced: deleted.count,
        totals: input.totals,
        statedTotals: input.statedTotals ?? null,
        warnings: input.warnings,
      } as Prisma.InputJsonObject,
      createdAt: input.now,
    },
  });
  return { replaced: deleted.count, created: records.length };
}

export interface QuotaSetInput {
  year: number;
  town: string;
  metric: QuotaMetric;
  target: number;
  actorId: string;
  now: Date;
}

/** Sets one target (creating it when the year has none for that town and metric); audited as 'quota_set'. */
export async function setQuota(tx: Tx, input: QuotaSetInput): Promise<{ previous: number | null }> {
  const key = { year: input.year, town: input.town, metric: input.metric };
  const before = await tx.quota.findUnique({ where: { year_town_metric: key } });
  await tx.quota.upsert({
    where: { year_town_metric: key },
    create: { ...key, target: input.target, updatedAt: input.now },
    update: { target: input.target, updatedAt: input.now },
  });
  const previous = before?.target ?? null;
  await tx.auditEvent.create({
    data: {
      actorId: input.actorId,
      action: 'quota_set',
      role: 'admin',
      data: { ...key, from: previous, to: input.target } as Prisma.InputJsonObject,
      createdAt: input.now,
    },
  });
  return { previous };
}

/** The quota records of a year. */
export async function quotasOfYear(db: DbOrTx, year: number): Promise<QuotaTarget[]> {
  const rows = await db.quota.findMany({ where: { year }, orderBy: [{ town: 'asc' }, { metric: 'asc' }] });
  return rows.map((r) => ({ year: r.year, town: r.town, metric: r.metric, target: r.target }));
}

/** How many towns have quotas in a year (0: the year was never imported). */
export async function quotaTownCount(db: DbOrTx, year: number): Promise<number> {
  const rows = await db.quota.findMany({ where: { year }, select: { town: true }, distinct: ['town'] });
  return rows.length;
}

const DAY_MS = 86_400_000;

/**
 * The leads counted in `year` on the office calendar up to `now` under `rule`, summed in SQL per (town, kind, tier):
 * one fact per group with its count, so a year of leads is never loaded into the process.
 */
export async function countedLeadGroups(db: DbOrTx, year: number, now: Date, tz: string, rule: CountRule, scoring?: ScoringConfig): Promise<CountedLeadFact[]> {
  const from = zonedInstant(year, 1, 1, tz);
  let where: Prisma.LeadWhereInput;
  if (rule === 'approved') {
    const yearEnd = zonedInstant(year + 1, 1, 1, tz);
    const to = new Date(Math.min(yearEnd.getTime(), now.getTime() + 1));
    if (to.getTime() <= from.getTime()) return [];
    where = { status: 'approved', approvedAt: { gte: from, lt: to } };
  } else {
    // LeadStage.date is the UTC midnight of the local day: the year's days up to today's.
    const today = new Date(`${localDate(now, tz)}T00:00:00.000Z`);
    const to = new Date(Math.min(Date.UTC(year + 1, 0, 1), today.getTime() + DAY_MS));
    const start = new Date(Date.UTC(year, 0, 1));
    if (to.getTime() <= start.getTime()) return [];
    where = { status: 'approved', stages: { some: { stage: rule, date: { gte: start, lt: to } } } };
  }
  // Grouped by tier too: with `scoring`, each group counts by its tier's weight (scoring.quotaWeight).
  const groups = await db.lead.groupBy({ by: ['town', 'kind', 'tier'], where, _count: { _all: true } });
  return groups.map((g) => ({ town: g.town, kind: g.kind, countedAt: from, count: g._count._all, ...(scoring ? { weight: tierWeight(g.tier, scoring) } : {}) }));
}

/**
 * Patents recorded in the answered 一月一报 of `year`'s months (up to `lastPeriod` when given, "YYYY-MM"),
 * summed in SQL per (town, month). The town is the lead's.
 */
export async function patentFacts(db: DbOrTx, year: number, lastPeriod?: string): Promise<PatentFact[]> {
  const first = `${year}-01`;
  const last = lastPeriod && lastPeriod < `${year}-12` ? lastPeriod : `${year}-12`;
  const rows = await db.$queryRaw<Array<{ town: string; period: string; inv: number | bigint | null; um: number | bigint | null }>>`
    SELECT l."town" AS "town", f."period" AS "period", SUM(f."inventionPatents") AS "inv", SUM(f."utilityModels") AS "um"
    FROM "FollowUp" f JOIN "Lead" l ON l."id" = f."leadId"
    WHERE f."period" >= ${first} AND f."period" <= ${last} AND f."answeredAt" IS NOT NULL
      AND (f."inventionPatents" > 0 OR f."utilityModels" > 0)
    GROUP BY l."town", f."period"`;
  return rows.map((r) => ({ town: r.town, period: r.period, inventionPatents: Number(r.inv ?? 0), utilityModels: Number(r.um ?? 0) }));
}

/**
 * The city targets as the year's last imported 任务分解表 stated them in its 合计 row (附件2 states 400/400/2000
 * while its towns add up to 398/398/1990), metric by metric; undefined when that file had no 合计 row.
 */
export async function statedCityTargets(db: DbOrTx, year: number): Promise<Partial<MetricValues> | undefined> {
  const rows = await db.auditEvent.findMany({ where: { action: 'quota_import' }, orderBy: { id: 'desc' }, take: 100, select: { data: true } });
  const last = rows.map((r) => asObject(r.data)).find((d) => d.year === year);
  if (!last || !last.statedTotals || typeof last.statedTotals !== 'object') return undefined;
  const stated = asObject(last.statedTotals);
  const out: Partial<MetricValues> = {};
  for (const m of QUOTA_METRICS) if (typeof stated[m] === 'number') out[m] = stated[m];
  return Object.keys(out).length > 0 ? out : undefined;
}

export interface LoadedProgress {
  progress: QuotaProgress;
  /** Towns with quotas this year; 0 means nothing was imported for it. */
  quotaTowns: number;
}

/**
 * The year's quotas against the leads counted by `now` under `rule` (quota.countOn) and the patents recorded
 * in the year's 一月一报 answers. With `scoring`, each project counts by its tier's weight
 * (scoring.quotaWeight, e.g. a 重点类 project counts 1.5).
 */
export async function loadQuotaProgress(db: DbOrTx, year: number, now: Date, tz: string, rule: CountRule, scoring?: ScoringConfig): Promise<LoadedProgress> {
  const [quotas, groups, patents] = await Promise.all([quotasOfYear(db, year), countedLeadGroups(db, year, now, tz, rule, scoring), patentFacts(db, year)]);
  const quotaTowns = new Set(quotas.filter((q) => isQuotaMetric(q.metric)).map((q) => q.town)).size;
  return { progress: computeProgress(year, quotas, groups, now, tz, { rule, patents }), quotaTowns };
}

// ---- import drafts -----------------------------------------------------------------------------------

export const QUOTA_DRAFT_KIND = 'quota_import';
export const YEAR_INTENT_KIND = 'quota_import_year';

/** A validated table waiting for 确认导入. */
export interface QuotaDraft {
  year: number;
  /** How the year was chosen (see src/features/quotas/import.ts). */
  yearSource: string;
  fileName: string;
  rows: TownTargets[];
  totals: MetricValues;
  statedTotals?: Partial<MetricValues>;
  warnings: string[];
}

const asObject = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function metricValues(v: unknown): MetricValues {
  const o = asObject(v);
  return Object.fromEntries(QUOTA_METRICS.map((m) => [m, Number(o[m]) || 0])) as MetricValues;
}

function toDraft(values: unknown): QuotaDraft | undefined {
  const v = asObject(values);
  if (typeof v.year !== 'number' || !Array.isArray(v.rows)) return undefined;
  const stated = v.statedTotals === undefined || v.statedTotals === null ? undefined : asObject(v.statedTotals);
  return {
    year: v.year,
    yearSource: String(v.yearSource ?? ''),
    fileName: String(v.fileName ?? ''),
    rows: v.rows.map((r) => ({ ...metricValues(r), town: String(asObject(r).town) })),
    totals: metricValues(v.totals),
    ...(stated ? { statedTotals: Object.fromEntries(QUOTA_METRICS.filter((m) => typeof stated[m] === 'number').map((m) => [m, stated[m]])) } : {}),
    warnings: Array.isArray(v.warnings) ? v.warnings.map(String) : [],
  };
}

/** Keeps a validated table for the admin who sent it; returns the draft id. */
export async function saveQuotaDraft(db: DbOrTx, userId: string, draft: QuotaDraft, now: Date): Promise<number> {
  const row = await db.leadDraft.create({
    data: { userId, kind: QUOTA_DRAFT_KIND, values: JSON.parse(JSON.stringify(draft)) as Prisma.InputJsonObject, createdAt: now },
  });
  return row.id;
}

/** A quota draft and its owner. */
export async function findQuotaDraft(db: DbOrTx, id: number): Promise<(QuotaDraft & { userId: string }) | undefined> {
  const row = await db.leadDraft.findFirst({ where: { id, kind: QUOTA_DRAFT_KIND } });
  const draft = row ? toDraft(row.values) : undefined;
  return row && draft ? { ...draft, userId: row.userId } : undefined;
}

/** Uses up a quota draft of `userId` (once: of two concurrent takes one gets undefined). Call in the import transaction. */
export async function takeQuotaDraft(tx: Tx, id: number, userId: string): Promise<QuotaDraft | undefined> {
  const row = await tx.leadDraft.findFirst({ where: { id, userId, kind: QUOTA_DRAFT_KIND } });
  if (!row) return undefined;
  const deleted = await tx.leadDraft.deleteMany({ where: { id, userId, kind: QUOTA_DRAFT_KIND } });
  if (deleted.count !== 1) return undefined;
  return toDraft(row.values);
}

/** Discards a quota draft of `userId`; false when it was already used or discarded. */
export async function dropQuotaDraft(db: DbOrTx, id: number, userId: string): Promise<boolean> {
  const res = await db.leadDraft.deleteMany({ where: { id, userId, kind: QUOTA_DRAFT_KIND } });
  return res.count === 1;
}

/** Remembers the year `/quota import <year>` chose for the next file this user sends (replacing an earlier choice). */
export async function saveYearIntent(db: Db, userId: string, year: number, now: Date): Promise<void> {
  await db.$transaction([
    db.leadDraft.deleteMany({ where: { userId, kind: YEAR_INTENT_KIND } }),
    db.leadDraft.create({ data: { userId, kind: YEAR_INTENT_KIND, values: { year }, createdAt: now } }),
  ]);
}

/** The year this user chose with `/quota import <year>` since `since`, if any. */
export async function yearIntent(db: DbOrTx, userId: string, since: Date): Promise<number | undefined> {
  const row = await db.leadDraft.findFirst({ where: { userId, kind: YEAR_INTENT_KIND }, orderBy: { id: 'desc' } });
  const year = row ? asObject(row.values).year : undefined;
  return row && row.createdAt >= since && typeof year === 'number' ? year : undefined;
}

/** Forgets the user's year choice (it applied to the file just read). */
export async function clearYearIntent(db: DbOrTx, userId: string): Promise<void> {
  await db.leadDraft.deleteMany({ where: { userId, kind: YEAR_INTENT_KIND } });
}
