// After approval, in the database: recording stages and milestones (LeadStage + AuditEvent), scores and
// tiers (Lead.score/tier/scoreReasons, re-scored when the scoring config changes), and the 活动安排表.
import type { Db, Prisma, Tx } from '../../platform/db/client.ts';
import { isLifecycleStage, isMilestone, type StageUpdate } from './lifecycle.ts';
import { activityNameKey, matchActivityRows, parseActivityRows, parseActivityTable, type ParsedActivity } from '../activities/activity.ts';
import type { TableRow } from '../../platform/imports/table.ts';
import { addTenant } from '../carriers/store.ts';

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
 * Records one stage or milestone in the caller's transaction: the LeadStage row, Lead.stage for the
 * pipeline stages (conditional on the stage the caller saw; a miss throws LifecycleConflict), Lead.creditCode at
 * 注册, and AuditEvent 'stage_update'. A milestone recorded twice throws the unique violation (P2002).
 */
export async function recordStage(tx: Tx, input: RecordStageInput): Promise<LeadStageRow> {
  const { lead, update, now } = input;
  // Every pipeline stage (pre-签约 ones too) moves Lead.stage; milestones do not.
  if (!isMilestone(update.stage)) {
    const res = await tx.lead.updateMany({
      where: { id: lead.id, status: 'approved', stage: lead.stage },
      data: {
        stage: update.stage,
        version: { increment: 1 },
        ...(update.stage === 'registered' && typeof update.data.credit_code === 'string' ? { creditCode: update.data.credit_code } : {}),
        ...(update.stage === 'landed' && typeof update.data.carrier_id === 'number' ? { carrierId: update.data.carrier_id } : {}),
      },
    });
    if (res.count !== 1) throw new LifecycleConflict(`lead ${lead.id} is no longer at stage ${lead.stage ?? '(none)'}`);
  }
  // A lead landing in a carrier of the 载体库 becomes one of its tenants.
  if (update.stage === 'landed' && typeof update.data.carrier_id === 'number') {
    const names = await tx.lead.findUnique({ where: { id: lead.id }, select: { companyName: true, projectName: true } });
    if (names) await addTenant(tx, update.data.carrier_id, names.companyName ?? names.projectName);
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
    data: { answeredAt: now, answer: 'updated', note: `登记「${update.label}」`, ...(isLifecycleStage(update.stage) ? { stage: update.stage } : {}) },
  });
  return row;
}
