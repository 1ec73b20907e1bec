// Approval persistence: reads a lead's workflow state (the lead and the steps of its current round with their
// assignees), applies the database effects of a workflow transition (src/features/approval/workflow.ts) with conditional
// updates, and the queries behind /pending, /history, reminders and re-staffing.
import { joinSql, sql, type Db, type Prisma, type Tx } from '../../platform/db/client.ts';
import type { Role } from '../../platform/people.ts';
import {
  asLeadStatus, asStepKind, asStepStatus, oneOf, STEP_KINDS, STEP_MODES, STEP_ROLE, type AssigneeState, type Decision, type Effect, type LeadFacts, type LeadStatus,
  type StepKind, type StepMode, type StepRef, type StepState, type StepStatus, type WorkflowState,
} from './workflow.ts';
import type { LeadKind } from '../../office/config.ts';
import { inChunks } from '../../platform/db/chunks.ts';

type DbOrTx = Db | Tx;

/** A stored lead as the store hands it out: its status read as the workflow's type. */
export type LeadRow = Omit<Prisma.LeadModel, 'status'> & { status: LeadStatus };
/** A stored step as the store hands it out: its strings read as the workflow's types, with its assignees. */
export type StepRow = Omit<Prisma.ApprovalStepModel, 'step' | 'mode' | 'status'> & {
  step: StepKind;
  mode: StepMode;
  status: StepStatus;
  assignees: Prisma.StepAssigneeModel[];
};

/** Reads a stored lead's status as the workflow's type (the one place it is checked). */
export function typedLead<R extends { status: string }>(row: R): Omit<R, 'status'> & { status: LeadStatus } {
  return { ...row, status: asLeadStatus(row.status) };
}

/** Reads a stored step's strings as the workflow's types (the one place they are checked). */
export function typedStep<R extends Pick<Prisma.ApprovalStepModel, 'step' | 'mode' | 'status'>>(row: R): Omit<R, 'step' | 'mode' | 'status'> & { step: StepKind; mode: StepMode; status: StepStatus } {
  return { ...row, step: asStepKind(row.step), mode: oneOf(STEP_MODES, row.mode, 'step mode'), status: asStepStatus(row.status) };
}

/** A lead with the steps of its current round, as stored and as the workflow sees it. */
export interface LoadedWorkflow {
  lead: LeadRow;
  /** Steps of the current round, by position, assignees by userId. */
  steps: StepRow[];
  state: WorkflowState;
}

/** Effects that talk to people; the service renders and enqueues them. */
export type MessageEffect = Extract<
  Effect,
  { type: 'send_step_cards' | 'update_step_cards' | 'notify_assignees' | 'notify_submitter' | 'notify_admins_no_assignee' }
>;

/** A conditional update found the row changed: roll the transaction back, reload and decide again. */
export class WorkflowConflict extends Error {
  constructor(what: string) {
    super(`workflow conflict: ${what}`);
    this.name = 'WorkflowConflict';
  }
}

// ---- reading -----------------------------------------------------------------------------------------

const stepInclude = { assignees: { orderBy: { userId: 'asc' } } } satisfies Prisma.ApprovalStepInclude;

export function toAssigneeState(a: Prisma.StepAssigneeModel): AssigneeState {
  return {
    userId: a.userId,
    active: a.active,
    decision: (a.decision as Decision | null) ?? null,
    comment: a.comment,
    decidedAt: a.decidedAt,
    transferredFrom: a.transferredFrom,
  };
}

export function toStepState(s: StepRow): StepState {
  return {
    id: s.id,
    round: s.round,
    position: s.position,
    step: s.step,
    mode: s.mode,
    status: s.status,
    startedAt: s.startedAt,
    decidedAt: s.decidedAt,
    decidedBy: s.decidedBy,
    lastRemindedAt: s.lastRemindedAt,
    assignees: s.assignees.map(toAssigneeState),
  };
}

export function toLeadFacts(lead: LeadRow): LeadFacts {
  return {
    id: lead.id,
    kind: lead.kind as LeadKind,
    investmentWan: lead.investmentWan,
    major: lead.major,
    status: lead.status,
    round: lead.round,
    submitterId: lead.submitterId,
    version: lead.version,
  };
}

/** The lead (read first: its version guards what follows) and the steps of its current round. */
export async function loadWorkflow(db: DbOrTx, leadId: number): Promise<LoadedWorkflow | null> {
  const row = await db.lead.findUnique({ where: { id: leadId } });
  if (!row) return null;
  const lead = typedLead(row);
  const steps = (await db.approvalStep.findMany({
    where: { leadId, round: lead.round },
    include: stepInclude,
    orderBy: { position: 'asc' },
  })).map(typedStep);
  return { lead, steps, state: { lead: toLeadFacts(lead), steps: steps.map(toStepState) } };
}

/** A lead by its code, as the store hands it out. */
export async function leadByCode(db: DbOrTx, code: string): Promise<LeadRow | null> {
  const row = await db.lead.findUnique({ where: { code } });
  return row ? typedLead(row) : null;
}

/** The kind of every step of a lead, any round, by step id. */
export async function stepKindsOf(db: DbOrTx, leadId: number): Promise<Map<number, StepKind>> {
  const rows = await db.approvalStep.findMany({ where: { leadId }, select: { id: true, step: true } });
  return new Map(rows.map((s) => [s.id, asStepKind(s.step)]));
}

/** One step with its assignees (any round). */
export async function loadStep(db: DbOrTx, stepId: number): Promise<StepRow | null> {
  const row = await db.approvalStep.findUnique({ where: { id: stepId }, include: stepInclude });
  return row ? typedStep(row) : null;
}

/** Kept here for older importers (src/sandbox/seed.ts); the one implementation lives in roles.ts. */
export { loadHolders } from '../../platform/people.ts';

/** Ids of leads with a pending step taken by `role` (to re-staff after a role change). */
export async function leadsWithPendingStepOf(db: DbOrTx, role: Role): Promise<number[]> {
  // A meeting step is taken by the secretary or an admin, whatever its kind; other steps by STEP_ROLE.
  const kinds = STEP_KINDS.filter((k) => STEP_ROLE[k] === role);
  const meeting = role === 'secretary' || role === 'admin';
  if (kinds.length === 0 && !meeting) return [];
  const rows = await db.approvalStep.findMany({
    where: {
      status: 'pending',
      lead: { status: 'pending' },
      OR: [
        ...(kinds.length > 0 ? [{ step: { in: kinds }, mode: { not: 'meeting' } }] : []),
        ...(meeting ? [{ mode: 'meeting' }] : []),
      ],
    },
    select: { leadId: true },
    orderBy: { id: 'asc' },
  });
  return [...new Set(rows.map((r) => r.leadId))];
}

/** Pending steps of pending leads (reminder candidates), with what a reminder needs. */
export async function pendingSteps(db: DbOrTx): Promise<Array<StepRow & { lead: { round: number } }>> {
  // Ids first, then the steps with their assignees in chunks: the include binds one parameter per step.
  const ids = await db.approvalStep.findMany({
    where: { status: 'pending', lead: { status: 'pending' } },
    select: { id: true },
    orderBy: [{ startedAt: 'asc' }, { id: 'asc' }],
  });
  const rows = await inChunks(ids.map((r) => r.id), (chunk) =>
    db.approvalStep.findMany({
      where: { id: { in: chunk }, status: 'pending', lead: { status: 'pending' } },
      include: { ...stepInclude, lead: { select: { round: true } } },
      orderBy: [{ startedAt: 'asc' }, { id: 'asc' }],
    }),
  );
  return rows.filter((r) => r.round === r.lead.round).map(typedStep);
}

/** Steps per statement when recording reminders (one bound value each; RAW_MAX_BOUND). */
const REMIND_CHUNK = 2000;

/**
 * Records a reminder of each step at `at`, if it is still pending and was not reminded on the local `day`
 * (reminderDay) meanwhile, e.g. by the submitter's 催办: the steps whose reminder this recorded, so each is
 * reminded once however many run at once.
 */
export async function markStepsReminded(tx: DbOrTx, stepIds: readonly number[], at: Date, day: { start: Date; end: Date }): Promise<Set<number>> {
  const marked = new Set<number>();
  for (let i = 0; i < stepIds.length; i += REMIND_CHUNK) {
    const ids = joinSql(stepIds.slice(i, i + REMIND_CHUNK).map((id) => sql`${id}`));
    const rows = await tx.$queryRaw<Array<{ id: number }>>`UPDATE "ApprovalStep" SET "lastRemindedAt" = ${at} WHERE "id" IN (${ids}) AND "status" = 'pending' AND ("lastRemindedAt" IS NULL OR "lastRemindedAt" < ${day.start} OR "lastRemindedAt" >= ${day.end}) RETURNING "id"`;
    for (const r of rows) marked.add(Number(r.id));
  }
  return marked;
}

export interface WaitingItem {
  step: Omit<StepRow, 'assignees'>;
  lead: LeadRow;
}

const waitingWhere = (userId: string, leadIds?: readonly number[]): Prisma.StepAssigneeWhereInput => ({
  userId,
  active: true,
  decision: null,
  step: { status: 'pending', lead: { status: 'pending' }, ...(leadIds ? { leadId: { in: [...leadIds] } } : {}) },
});

/**
 * Steps waiting for this user's decision (active, undecided, step pending), oldest first: at most `take`
 * (an approver with thousands waiting gets the oldest, read in index order, not all of them), or only those
 * on `leadIds` (the leads a list card shows).
 */
export async function waitingFor(db: DbOrTx, userId: string, opts: { take?: number; leadIds?: readonly number[] } = {}): Promise<WaitingItem[]> {
  if (opts.leadIds && opts.leadIds.length === 0) return [];
  const rows = await db.stepAssignee.findMany({
    where: waitingWhere(userId, opts.leadIds),
    include: { step: { include: { lead: true } } },
    orderBy: [{ step: { startedAt: 'asc' } }, { stepId: 'asc' }],
    ...(opts.take !== undefined ? { take: opts.take } : {}),
  });
  return rows
    .filter((r) => r.step.round === r.step.lead.round)
    .map((r) => {
      const { lead, ...step } = r.step;
      return { step: typedStep(step), lead: typedLead(lead) };
    });
}

/** How many steps wait for this user's decision. */
export async function countWaiting(db: DbOrTx, userId: string): Promise<number> {
  return db.stepAssignee.count({ where: waitingWhere(userId) });
}

/** The audit trail of a lead, oldest first. */
export async function auditTrail(db: DbOrTx, leadId: number): Promise<Prisma.AuditEventModel[]> {
  return db.auditEvent.findMany({ where: { leadId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
}

// ---- writing -----------------------------------------------------------------------------------------

/** Key of AppliedEffects.stepIds: a step is named by its round and kind within its lead. */
export const stepKey = (round: number, step: StepKind): string => `${round}:${step}`;

export interface AppliedEffects {
  /** The effects that talk to people, their stepId filled in. */
  messages: MessageEffect[];
  /** Ids of the steps the effects created or named without an id, by stepKey. */
  stepIds: ReadonlyMap<string, number>;
}

/**
 * Applies the database effects of one transition, in order, inside the caller's transaction. Every update is
 * conditional on what the effect expects; a miss throws WorkflowConflict (roll back, reload, decide again).
 * Returns the effects that talk to people, for the caller to render and enqueue in the same transaction, and
 * the ids of the steps it created.
 */
export async function applyEffects(tx: Tx, leadId: number, effects: readonly Effect[], now: Date): Promise<AppliedEffects> {
  const created = new Map<string, number>();
  const key = stepKey;
  const stepIdOf = async (ref: StepRef): Promise<number> => {
    if (ref.stepId !== null) return ref.stepId;
    const known = created.get(key(ref.round, ref.step));
    if (known !== undefined) return known;
    const row = await tx.approvalStep.findUnique({ where: { leadId_round_step: { leadId, round: ref.round, step: ref.step } }, select: { id: true } });
    if (!row) throw new Error(`applyEffects: no step ${ref.step} in round ${ref.round} of lead ${leadId}`);
    created.set(key(ref.round, ref.step), row.id);
    return row.id;
  };
  const must = (count: number, what: string) => {
    if (count !== 1) throw new WorkflowConflict(`${what} (lead ${leadId})`);
  };
  const messages: MessageEffect[] = [];

  for (const e of effects) {
    switch (e.type) {
      case 'lead_version': {
        const r = await tx.lead.updateMany({ where: { id: leadId, version: e.expected }, data: { version: e.next } });
        must(r.count, `lead version ${e.expected} → ${e.next}`);
        break;
      }
      case 'lead_status': {
        const r = await tx.lead.updateMany({
          where: { id: leadId, status: e.from },
          data: {
            status: e.to,
            round: e.round,
            ...(e.approvedAt ? { approvedAt: e.approvedAt } : {}),
            ...(e.closedAt ? { closedAt: e.closedAt } : {}),
          },
        });
        must(r.count, `lead status ${e.from} → ${e.to}`);
        break;
      }
      case 'lead_major':
        await tx.lead.update({ where: { id: leadId }, data: { major: true } });
        break;
      case 'step_created': {
        const row = await tx.approvalStep.create({
          data: { leadId, round: e.round, position: e.position, step: e.step, mode: e.mode, status: 'waiting', createdAt: now },
          select: { id: true },
        });
        created.set(key(e.round, e.step), row.id);
        break;
      }
      case 'step_started': {
        const id = await stepIdOf(e);
        const r = await tx.approvalStep.updateMany({ where: { id, status: 'waiting' }, data: { status: 'pending', startedAt: e.at } });
        must(r.count, `step ${id} waiting → pending`);
        for (const userId of e.assignees) {
          await tx.stepAssignee.create({ data: { stepId: id, userId, active: true } });
        }
        break;
      }
      case 'assignee_decided': {
        const id = await stepIdOf(e);
        const r = await tx.stepAssignee.updateMany({
          where: { stepId: id, userId: e.userId, active: true, decision: null },
          data: { decision: e.decision, comment: e.comment, decidedAt: e.at },
        });
        must(r.count, `assignee ${e.userId} of step ${id} decides`);
        break;
      }
      case 'step_decided': {
        const id = await stepIdOf(e);
        const r = await tx.approvalStep.updateMany({
          where: { id, status: 'pending' },
          data: { status: e.outcome, decidedAt: e.at, decidedBy: e.by, version: { increment: 1 } },
        });
        must(r.count, `step ${id} pending → ${e.outcome}`);
        break;
      }
      case 'step_cancelled': {
        const id = await stepIdOf(e);
        const r = await tx.approvalStep.updateMany({ where: { id, status: e.from }, data: { status: 'cancelled', version: { increment: 1 } } });
        must(r.count, `step ${id} ${e.from} → cancelled`);
        break;
      }
      case 'assignee_transferred': {
        const id = await stepIdOf(e);
        const r = await tx.stepAssignee.updateMany({ where: { stepId: id, userId: e.from, active: true, decision: null }, data: { active: false } });
        must(r.count, `assignee ${e.from} of step ${id} transfers`);
        const fresh = { active: true, decision: null, comment: null, decidedAt: null, transferredFrom: e.from };
        await tx.stepAssignee.upsert({
          where: { stepId_userId: { stepId: id, userId: e.to } },
          create: { stepId: id, userId: e.to, ...fresh },
          update: fresh,
        });
        break;
      }
      case 'assignees_added': {
        const id = await stepIdOf(e);
        const fresh = { active: true, decision: null, comment: null, decidedAt: null, transferredFrom: null };
        for (const userId of e.userIds) {
          await tx.stepAssignee.upsert({ where: { stepId_userId: { stepId: id, userId } }, create: { stepId: id, userId, ...fresh }, update: fresh });
        }
        break;
      }
      case 'assignees_removed': {
        const id = await stepIdOf(e);
        await tx.stepAssignee.updateMany({ where: { stepId: id, userId: { in: e.userIds }, active: true, decision: null }, data: { active: false } });
        break;
      }
      case 'step_reminded': {
        const id = await stepIdOf(e);
        const r = await tx.approvalStep.updateMany({
          where: { id, status: 'pending', lastRemindedAt: e.previous },
          data: { lastRemindedAt: e.at },
        });
        must(r.count, `step ${id} reminded`);
        break;
      }
      case 'audit': {
        const stepId = e.step ? await stepIdOf({ stepId: e.stepId, round: e.round, step: e.step }) : null;
        await tx.auditEvent.create({
          data: {
            actorId: e.actorId,
            action: e.action,
            role: e.role,
            leadId,
            stepId,
            comment: e.comment,
            data: { round: e.round, ...(e.step ? { step: e.step } : {}), ...(e.data ?? {}) },
            createdAt: now,
          },
        });
        break;
      }
      case 'notify_submitter':
        messages.push(e);
        break;
      case 'send_step_cards':
      case 'update_step_cards':
      case 'notify_assignees':
      case 'notify_admins_no_assignee': {
        const stepId = await stepIdOf(e);
        messages.push({ ...e, stepId });
        break;
      }
    }
  }
  return { messages, stepIds: created };
}
