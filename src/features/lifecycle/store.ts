// After approval, in the database: recording stages and milestones (LeadStage + AuditEvent), scores and
// tiers (Lead.score/tier/scoreReasons, re-scored when the scoring config changes), and the 活动安排表.
import { TX_OPTIONS, type Db, type Prisma, type Tx } from '../../platform/db/client.ts';
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

/**
 * Scores the leads matching `where` again, a page of 500 at a time with one transaction per page (one
 * commit per lead made 10,000 leads take 14 s on SQLite); returns how many scores or tiers changed.
 */
async function rescoreWhere(db: Db, office: OfficeConfig, scoring: ScoringConfig, where: Prisma.LeadWhereInput): Promise<number> {
  let changed = 0;
  let afterId = 0;
  for (;;) {
    const page = await db.lead.findMany({ where: { ...where, id: { gt: afterId } }, orderBy: { id: 'asc' }, take: 500 });
    if (page.length === 0) break;
    afterId = page[page.length - 1].id;
    const updates = page.flatMap((lead) => {
      const s = scoreLead(lead, office, scoring);
      const same = lead.score === s.score && lead.tier === s.tier && JSON.stringify(lead.scoreReasons) === JSON.stringify(s.reasons);
      return same ? [] : [{ lead, s }];
    });
    if (updates.length === 0) continue;
    changed += await db.$transaction(async (tx) => {
      let n = 0;
      // Only if the lead is still as read: one edited meanwhile was scored from its new fields already.
      for (const { lead, s } of updates) n += (await tx.lead.updateMany({ where: { id: lead.id, version: lead.version }, data: scoreColumns(s) })).count;
      return n;
    }, TX_OPTIONS);
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
