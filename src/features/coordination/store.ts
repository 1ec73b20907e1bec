// 协调事项 in the database: raising (Problem + AuditEvent 'problem_raise'), answering ('problem_answer') and
// closing ('problem_solve'), each conditional on the problem still being open, and the rows the digests and
// /problems read.
import type { Db, Prisma, Tx } from '../../platform/db/client.ts';
import { visibleTo, type Viewer } from '../leads/store.ts';
import type { ProblemFact, ProblemInput } from './problem.ts';

type DbOrTx = Db | Tx;
export type ProblemRow = Prisma.ProblemModel;

const WITH_LEAD = { lead: { select: { code: true, projectName: true, town: true, submitterId: true, status: true } } } as const;

type ProblemWithLead = ProblemRow & { lead: { code: string; projectName: string; town: string; submitterId: string; status: string } };

export function toFact(p: ProblemWithLead): ProblemFact {
  return {
    id: p.id,
    leadId: p.leadId,
    code: p.lead.code,
    projectName: p.lead.projectName,
    town: p.lead.town,
    category: p.category,
    description: p.description,
    ownerDept: p.ownerDept,
    dueDate: p.dueDate,
    raisedBy: p.raisedBy,
    createdAt: p.createdAt,
    answer: p.answer,
    answeredAt: p.answeredAt,
    solvedAt: p.solvedAt,
  };
}

export async function loadProblem(db: DbOrTx, id: number): Promise<ProblemWithLead | null> {
  return db.problem.findUnique({ where: { id }, include: WITH_LEAD });
}

export async function raiseProblem(tx: Tx, input: { leadId: number; leadCode: string; problem: ProblemInput; actorId: string; now: Date }): Promise<ProblemRow> {
  const { problem: p, now } = input;
  const row = await tx.problem.create({
    data: {
      leadId: input.leadId,
      category: p.category,
      description: p.description,
      ownerDept: p.ownerDept,
      dueDate: new Date(`${p.dueDay}T00:00:00.000Z`),
      raisedBy: input.actorId,
      createdAt: now,
    },
  });
  await tx.auditEvent.create({
    data: {
      actorId: input.actorId, action: 'problem_raise', role: 'raiser', leadId: input.leadId, createdAt: now,
      data: { code: input.leadCode, problemId: row.id, category: p.category, ownerDept: p.ownerDept, dueDate: p.dueDay, description: p.description },
    },
  });
  return row;
}

/**
 * Records an answer and/or closes the problem, if still open and unchanged since `version`; false when
 * someone else answered or closed it first.
 */
export async function answerProblem(
  tx: Tx,
  input: { problem: Pick<ProblemRow, 'id' | 'leadId' | 'version'>; answer: string | null; solve: boolean; actorId: string; role: string; now: Date },
): Promise<boolean> {
  const { answer, solve, now, actorId } = input;
  const res = await tx.problem.updateMany({
    where: { id: input.problem.id, status: 'open', version: input.problem.version },
    data: {
      version: { increment: 1 },
      ...(answer !== null ? { answer, answeredBy: actorId, answeredAt: now } : {}),
      ...(solve ? { status: 'solved', solvedBy: actorId, solvedAt: now } : {}),
    },
  });
  if (res.count !== 1) return false;
  await tx.auditEvent.create({
    data: {
      actorId, action: solve ? 'problem_solve' : 'problem_answer', role: input.role, leadId: input.problem.leadId, createdAt: now,
      data: { problemId: input.problem.id, ...(answer !== null ? { answer } : {}) },
    },
  });
  return true;
}

/** Open problems on leads the viewer may see, the earliest due first. */
export async function openProblemsFor(db: DbOrTx, viewer: Viewer, take: number): Promise<{ rows: ProblemWithLead[]; total: number }> {
  const where: Prisma.ProblemWhereInput = { status: 'open', lead: visibleTo(viewer) };
  const [rows, total] = await Promise.all([
    db.problem.findMany({ where, include: WITH_LEAD, orderBy: [{ dueDate: 'asc' }, { id: 'asc' }], take }),
    db.problem.count({ where }),
  ]);
  return { rows, total };
}

/** For the 双月例会: problems open now (or solved after `since`, for a run as of an earlier time) and those solved since `since`. */
export async function problemFacts(db: DbOrTx, since: Date): Promise<ProblemFact[]> {
  const rows = await db.problem.findMany({
    where: { OR: [{ status: 'open' }, { solvedAt: { gte: since } }] },
    include: WITH_LEAD,
  });
  return rows.map(toFact);
}
