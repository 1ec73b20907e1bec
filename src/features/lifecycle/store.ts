// After approval, in the database: recording stages and milestones (LeadStage + AuditEvent), scores and
// tiers (Lead.score/tier/scoreReasons, re-scored when the scoring config changes), and the 活动安排表.
import type { Db, Prisma, Tx } from '../../platform/db/client.ts';
import type { OfficeConfig } from '../../office/config.ts';
import { isLifecycleStage, isMilestone, STAGE_LABELS, type StageUpdate } from './lifecycle.ts';
import { scoreLead, scoringFingerprint, type LeadScore, type ScoringConfig } from '../leads/scoring.ts';
import { activityNameKey, matchActivityRows, parseActivityRows, parseActivityTable, type ParsedActivity } from '../activities/activity.ts';
import type { TableRow } from '../../platform/imports/table.ts';
import { claimRun } from '../../platform/delivery/ledger.ts';

type DbOrTx = Db | Tx;
export type LeadRow = Prisma.LeadModel;
export type LeadStageRow = Prisma.LeadStageModel;

// ---- stages ------------------------------------------------------------------------------------------

export interface LeadLifecycle {
  lead: LeadRow;
  /** Recorded stages and milestones, oldest first. */
  stages: LeadStageRow[];
}

export async function loadLifecycle(db: DbOrTx, leadId: number): Promise<LeadLifecycle | null> {
  const lead = await db.lead.findUnique({ where: { id: leadId }, include: { stages: { orderBy: [{ date: 'asc' }, { id: 'asc' }] } } });
  if (!lead) return null;
  const { stages, ...row } = lead;
  return { lead: row, stages };
}

/** Thrown when the lead changed between reading and writing (another update got there first). */
export class LifecycleConflict extends Error {}

export interface RecordStageInput {
  lead: Pick<LeadRow, 'id' | 'stage' | 'code'>;
  update: StageUpdate;
  actorId: string;
  /** The role the actor acts in: owner (登记人) or his role. */
  role: string;
  now: Date;
}

/**
 * Records one stage or milestone in the caller's transaction: the LeadStage row, Lead.stage for the four
 * stages (conditional on the stage the caller saw; a miss throws LifecycleConflict), Lead.creditCode at
 * 注册, and AuditEvent 'stage_update'. A milestone recorded twice throws the unique violation (P2002).
 */
export async function recordStage(tx: Tx, input: RecordStageInput): Promise<LeadStageRow> {
  const { lead, update, now } = input;
  if (isLifecycleStage(update.stage)) {
    const res = await tx.lead.updateMany({
      where: { id: lead.id, status: 'approved', stage: lead.stage },
      data: {
        stage: update.stage,
        version: { increment: 1 },
        ...(update.stage === 'registered' && typeof update.data.credit_code === 'string' ? { creditCode: update.data.credit_code } : {}),
      },
    });
    if (res.count !== 1) throw new LifecycleConflict(`lead ${lead.id} is no longer at stage ${lead.stage ?? '(none)'}`);
  } else if (!isMilestone(update.stage)) {
    throw new Error(`recordStage: unknown stage ${String(update.stage)}`);
  }
  const row = await tx.leadStage.create({
    data: { leadId: lead.id, stage: update.stage, date: update.date, data: update.data, actorId: input.actorId, createdAt: now },
  });
  await tx.auditEvent.create({
    data: {
      actorId: input.actorId,
      action: 'stage_update',
      role: input.role,
      leadId: lead.id,
      data: { code: lead.code, stage: update.stage, date: update.date.toISOString().slice(0, 10), ...update.data },
      createdAt: now,
    },
  });
  // The month's 一月一报 is answered by the update itself.
  await tx.followUp.updateMany({
    where: { leadId: lead.id, answeredAt: null },
    data: { answeredAt: now, answer: 'updated', note: `登记「${STAGE_LABELS[update.stage]}」` },
  });
  return row;
}

// ---- scores ------------------------------------------------------------------------------------------

function scoreColumns(s: LeadScore) {
  return { score: s.score, tier: s.tier, scoreReasons: s.reasons as unknown as Prisma.InputJsonValue };
}

/**
 * Scores one lead from its stored fields and stores score, tier and reasons. Call after a lead is created or
 * resubmitted (in that transaction). `scoring` defaults to the office's scoring section.
 */
export async function scoreAndStore(db: DbOrTx, leadId: number, office: OfficeConfig, scoring: ScoringConfig = office.scoring): Promise<LeadScore | undefined> {
  const lead = await db.lead.findUnique({ where: { id: leadId } });
  if (!lead) return undefined;
  const result = scoreLead(lead, office, scoring);
  await db.lead.update({ where: { id: leadId }, data: scoreColumns(result) });
  return result;
}

/** Scores every lead again; returns how many scores or tiers changed. */
export async function rescoreAll(db: Db, office: OfficeConfig, scoring: ScoringConfig = office.scoring): Promise<number> {
  return rescoreWhere(db, office, scoring, {});
}

/** Scores the leads matching `where` again; returns how many scores or tiers changed. */
async function rescoreWhere(db: Db, office: OfficeConfig, scoring: ScoringConfig, where: Prisma.LeadWhereInput): Promise<number> {
  let changed = 0;
  let afterId = 0;
  for (;;) {
    const page = await db.lead.findMany({ where: { ...where, id: { gt: afterId } }, orderBy: { id: 'asc' }, take: 500 });
    if (page.length === 0) break;
    for (const lead of page) {
      afterId = lead.id;
      const s = scoreLead(lead, office, scoring);
      const same = lead.score === s.score && lead.tier === s.tier && JSON.stringify(lead.scoreReasons) === JSON.stringify(s.reasons);
      if (same) continue;
      // Only if the lead is still as read: one edited meanwhile was scored from its new fields already.
      const r = await db.lead.updateMany({ where: { id: lead.id, version: lead.version }, data: scoreColumns(s) });
      changed += r.count;
    }
  }
  return changed;
}

/** The JobRun row ('scoring-config', <fingerprint>, 'current') remembers what the stored scores were computed with. */
export const SCORING_CONFIG_JOB = 'scoring-config';
const SCORING_CONFIG_TARGET = 'current';

/**
 * Re-scores every lead when the scoring config (weights, or the chains of towns and parks) differs from the
 * one the stored scores were computed with; call on start. The fingerprint is kept as the `period` of the
 * single JobRun row with job 'scoring-config' (changing back to an earlier config is noticed too). With the
 * config unchanged, only leads written without a score (e.g. by `npm run demo:seed`) are scored, so every lead
 * has a tier after start.
 */
export async function rescoreIfChanged(db: Db, office: OfficeConfig, scoring: ScoringConfig = office.scoring): Promise<{ changed: boolean; rescored: number }> {
  const fingerprint = scoringFingerprint(office, scoring);
  const current = await db.jobRun.findFirst({ where: { job: SCORING_CONFIG_JOB, target: SCORING_CONFIG_TARGET } });
  if (current?.period === fingerprint) return { changed: false, rescored: await rescoreWhere(db, office, scoring, { tier: null }) };
  const rescored = await rescoreAll(db, office, scoring);
  await db.$transaction(async (tx) => {
    await tx.jobRun.deleteMany({ where: { job: SCORING_CONFIG_JOB, target: SCORING_CONFIG_TARGET, period: { not: fingerprint } } });
    await claimRun(tx, SCORING_CONFIG_JOB, fingerprint, SCORING_CONFIG_TARGET);
  });
  return { changed: true, rescored };
}

// ---- activities --------------------------------------------------------------------------------------

export type ActivityRow = Prisma.ActivityModel;

export async function activitiesOf(db: DbOrTx, year: number): Promise<ActivityRow[]> {
  return db.activity.findMany({ where: { year }, orderBy: { seq: 'asc' } });
}

/** Activities with a date, of the given years. */
export async function datedActivities(db: DbOrTx, years: number[]): Promise<ActivityRow[]> {
  return db.activity.findMany({ where: { year: { in: years }, date: { not: null } }, orderBy: [{ date: 'asc' }, { seq: 'asc' }] });
}

export type ActivityImportResult =
  | {
      ok: true;
      year: number;
      activities: ParsedActivity[];
      created: number;
      updated: number;
      /** Rows of that year no longer in the file, deleted. */
      removed: number;
      /** 序号 of the rows no longer in the file but kept because leads name them as their source. */
      kept: number[];
      warnings: string[];
    }
  | { ok: false; errors: string[] };

/**
 * Imports a 活动安排表 for one year, replacing that year's calendar. Rows are matched to the stored activities
 * by name, then by 序号 (matchActivityRows), and updated in place, so ids stay and leads keep their source
 * activity even when the table is renumbered; stored activities missing from the file are deleted unless a
 * lead names them (those are kept, moved after the last row when the new table uses their 序号). Records
 * AuditEvent 'activity_import'. Any error in the file refuses the whole file.
 */
export async function importActivityTable(
  db: Db,
  input: { filename: string; year: number; actorId: string; now: Date } & ({ buffer: Uint8Array } | { rows: TableRow[] }),
): Promise<ActivityImportResult> {
  // Rows already read (by the chat upload, in a worker) are not read again.
  const parsed = 'rows' in input ? parseActivityRows(input.rows, input.year) : await parseActivityTable(input.buffer, input.filename, input.year);
  if (!parsed.ok) return parsed;
  const { year } = input;
  return db.$transaction(async (tx) => {
    const existing = await tx.activity.findMany({ where: { year }, orderBy: { seq: 'asc' } });
    const matches = matchActivityRows(existing, parsed.activities);
    const matchedIds = new Set(matches.flatMap((m) => (m ? [m.id] : [])));
    const gone = existing.filter((a) => !matchedIds.has(a.id));
    const referenced = gone.length
      ? new Set((await tx.lead.findMany({ where: { activityId: { in: gone.map((a) => a.id) } }, select: { activityId: true } })).map((l) => l.activityId))
      : new Set<number | null>();
    const keptRows = gone.filter((a) => referenced.has(a.id));
    const removable = gone.filter((a) => !referenced.has(a.id)).map((a) => a.id);
    if (removable.length) await tx.activity.deleteMany({ where: { id: { in: removable } } });

    // Where each stored activity ends up: its row's 序号, or (kept) its own unless the new table uses it.
    const fileSeqs = new Set(parsed.activities.map((a) => a.seq));
    let after = Math.max(0, ...fileSeqs, ...keptRows.map((a) => a.seq));
    const keptSeq = new Map(keptRows.map((a) => [a.id, fileSeqs.has(a.seq) ? ++after : a.seq]));
    const finalSeq = new Map<number, number>(keptSeq);
    matches.forEach((m, i) => m && finalSeq.set(m.id, parsed.activities[i].seq));
    // Those changing 序号 step aside first (to -id), so no two rows ever hold the same (year, 序号).
    for (const a of existing) {
      const to = finalSeq.get(a.id);
      if (to !== undefined && to !== a.seq) await tx.activity.update({ where: { id: a.id }, data: { seq: -a.id } });
    }
    let created = 0;
    let updated = 0;
    for (const [i, a] of parsed.activities.entries()) {
      const data = {
        seq: a.seq,
        name: a.name,
        timeText: a.timeText,
        month: a.month ?? null,
        date: a.date ?? null,
        allYear: a.allYear,
        organizer: a.organizer ?? null,
      };
      const old = matches[i];
      if (old) {
        await tx.activity.update({ where: { id: old.id }, data });
        updated++;
      } else {
        await tx.activity.create({ data: { year, ...data } });
        created++;
      }
    }
    for (const a of keptRows) {
      const to = keptSeq.get(a.id)!;
      if (to !== a.seq) await tx.activity.update({ where: { id: a.id }, data: { seq: to } });
    }
    const kept = keptRows.map((a) => keptSeq.get(a.id)!);
    // Matched by 序号 alone: taken as renamed. Say so when leads name it, in case it is another activity.
    const renamed = parsed.activities.flatMap((a, i) => {
      const old = matches[i];
      return old && activityNameKey(old.name) !== activityNameKey(a.name) ? [{ old, name: a.name }] : [];
    });
    const renamedLeads = new Map<number, number>();
    if (renamed.length) {
      const named = await tx.lead.findMany({ where: { activityId: { in: renamed.map((r) => r.old.id) } }, select: { activityId: true } });
      for (const l of named) renamedLeads.set(l.activityId!, (renamedLeads.get(l.activityId!) ?? 0) + 1);
    }
    await tx.auditEvent.create({
      data: {
        actorId: input.actorId,
        action: 'activity_import',
        data: { year, file: input.filename, count: parsed.activities.length, created, updated, removed: removable.length },
        createdAt: input.now,
      },
    });
    const warnings = [
      ...parsed.warnings,
      ...keptRows.map((a) => {
        const to = keptSeq.get(a.id)!;
        return `「${a.name}」（原序号 ${a.seq}）不在新表中，但已有项目将其作为来源活动，未删除${to !== a.seq ? `，现排在序号 ${to}` : ''}`;
      }),
      ...renamed.filter((r) => renamedLeads.has(r.old.id)).map((r) =>
        `序号 ${r.old.seq} 的「${r.old.name}」已改名为「${r.name}」（按同一活动处理，${renamedLeads.get(r.old.id)} 个项目以其为来源活动）`),
    ];
    return { ok: true as const, year, activities: parsed.activities, created, updated, removed: removable.length, kept, warnings };
  });
}
