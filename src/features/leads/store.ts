// Leads in the database: registering one under a yearly code, editing a returned one, finding possible
// duplicates, what a person may see (lists, search, one lead), and the drafts kept while a user confirms.
import type { Db, Prisma, Tx } from '../../platform/db/client.ts';
import type { Role } from '../../platform/people.ts';
import { formatLeadCode, LEAD_KINDS, type LeadFormValues, type LeadInput, type LeadKind } from './lead.ts';

type DbOrTx = Db | Tx;
export type LeadRow = Prisma.LeadModel;

/** Who is asking, for visibility: open_id, roles, and the town of a staff grant. */
export interface Viewer {
  openId: string;
  roles: ReadonlySet<Role>;
  town?: string;
}

/** Roles that see every lead of the office; everybody else sees their town's leads and their own. */
export const SEE_ALL_ROLES: readonly Role[] = ['reviewer', 'approver', 'expert', 'leader', 'admin'];

export function seesAll(viewer: Viewer): boolean {
  return SEE_ALL_ROLES.some((r) => viewer.roles.has(r));
}

/** The leads a viewer may see, as a where clause: all; or own town's (staff) and own submissions. */
export function visibleTo(viewer: Viewer): Prisma.LeadWhereInput {
  if (seesAll(viewer)) return {};
  const own: Prisma.LeadWhereInput[] = [{ submitterId: viewer.openId }];
  if (viewer.roles.has('staff') && viewer.town) own.push({ town: viewer.town });
  return { OR: own };
}

export function canSee(viewer: Viewer, lead: Pick<LeadRow, 'town' | 'submitterId'>): boolean {
  if (seesAll(viewer) || lead.submitterId === viewer.openId) return true;
  return viewer.roles.has('staff') && !!viewer.town && lead.town === viewer.town;
}

// ---- codes -------------------------------------------------------------------------------------------

/**
 * The next sequence number of `year`, in the caller's transaction. One statement (INSERT … ON CONFLICT DO
 * UPDATE … RETURNING, on SQLite ≥ 3.35 and PostgreSQL alike): on PostgreSQL the row stays locked until the
 * transaction ends, so concurrent registrations queue here and get consecutive numbers; a rolled-back
 * registration gives its number back. SQLite runs one write transaction at a time anyway.
 */
export async function nextLeadSeq(tx: Tx, year: number): Promise<number> {
  const rows = await tx.$queryRaw<Array<{ last: number | bigint }>>`
    INSERT INTO "LeadSequence" ("year", "last") VALUES (${year}, 1)
    ON CONFLICT ("year") DO UPDATE SET "last" = "LeadSequence"."last" + 1
    RETURNING "last"`;
  const last = Number(rows[0]?.last);
  if (!Number.isInteger(last) || last < 1) throw new Error(`lead sequence for ${year} returned ${String(rows[0]?.last)}`);
  return last;
}

// ---- writing -----------------------------------------------------------------------------------------

function columns(lead: LeadInput) {
  return {
    kind: lead.kind,
    projectName: lead.projectName,
    companyName: lead.companyName,
    companyNorm: lead.companyNorm,
    creditCode: lead.creditCode,
    industry: lead.industry,
    town: lead.town,
    sourceRegion: lead.sourceRegion,
    contactName: lead.contactName,
    contactPhone: lead.contactPhone,
    investmentWan: lead.investmentWan,
    summary: lead.summary,
    needsFund: lead.needsFund,
    details: lead.details as Prisma.InputJsonObject,
    inventionPatents: lead.inventionPatents,
    utilityModels: lead.utilityModels,
    activityId: lead.activityId,
    referrer: lead.referrer ?? null,
    referrerType: lead.referrerType ?? null,
  };
}

export interface NewLead {
  lead: LeadInput;
  submitterId: string;
  /** The year of the code, on the office's clock. */
  year: number;
  major: boolean;
  /** The role he registers under (staff, or admin for an admin without a staff grant). */
  role: Role;
  now: Date;
}

/**
 * Inserts a lead (status pending, round 1) under the next code of its year and records the AuditEvent
 * 'submit'. Call inside the transaction that also starts its approval.
 */
export async function createLead(tx: Tx, input: NewLead): Promise<LeadRow> {
  const seq = await nextLeadSeq(tx, input.year);
  const row = await tx.lead.create({
    data: {
      ...columns(input.lead),
      code: formatLeadCode(input.year, seq),
      submitterId: input.submitterId,
      status: 'pending',
      round: 1,
      major: input.major,
      createdAt: input.now,
    },
  });
  await tx.auditEvent.create({
    data: { actorId: input.submitterId, action: 'submit', role: input.role, leadId: row.id, data: { code: row.code, round: 1 }, createdAt: input.now },
  });
  return row;
}

export interface LeadEdit {
  leadId: number;
  lead: LeadInput;
  submitterId: string;
  major: boolean;
}

/**
 * Saves the submitter's edits into a returned lead's columns (major stays set once set) and bumps its
 * version, leaving status and round as they are: startResubmission (src/features/approval/start.ts) then opens
 * the next round (status pending, round + 1, AuditEvent 'resubmit'). Conditional on the lead being returned
 * and his: returns undefined when it is not (someone changed it meanwhile, or it is not his).
 */
export async function saveLeadEdits(tx: Tx, edit: LeadEdit): Promise<LeadRow | undefined> {
  const current = await tx.lead.findUnique({ where: { id: edit.leadId } });
  if (!current || current.submitterId !== edit.submitterId || (current.status !== 'returned' && current.status !== 'withdrawn')) return undefined;
  const done = await tx.lead.updateMany({
    where: { id: current.id, status: current.status, submitterId: edit.submitterId, version: current.version },
    data: { ...columns(edit.lead), major: current.major || edit.major, version: current.version + 1 },
  });
  if (done.count !== 1) return undefined;
  return (await tx.lead.findUnique({ where: { id: current.id } })) ?? undefined;
}

// ---- reading -----------------------------------------------------------------------------------------

/** Existing leads with the same credit code or the same normalised company name (newest first). */
export async function findDuplicates(
  db: DbOrTx,
  lead: Pick<LeadInput, 'creditCode' | 'companyNorm'>,
  excludeId?: number,
  limit = 5,
): Promise<LeadRow[]> {
  const or: Prisma.LeadWhereInput[] = [];
  if (lead.creditCode) or.push({ creditCode: lead.creditCode });
  if (lead.companyNorm) or.push({ companyNorm: lead.companyNorm });
  if (or.length === 0) return [];
  return db.lead.findMany({
    where: { OR: or, ...(excludeId !== undefined ? { id: { not: excludeId } } : {}) },
    orderBy: { id: 'desc' },
    take: limit,
  });
}

export async function findLeadByCode(db: DbOrTx, code: string): Promise<LeadRow | null> {
  return db.lead.findUnique({ where: { code } });
}

/** The lead with this code if `viewer` may see it; otherwise undefined, said alike whether it exists or not. */
export async function findVisibleLead(db: DbOrTx, viewer: Viewer, code: string): Promise<LeadRow | undefined> {
  const lead = await findLeadByCode(db, code);
  return lead && canSee(viewer, lead) ? lead : undefined;
}

/** What a command answers when findVisibleLead found nothing. */
export const leadNotFound = (code: string): string => `未找到项目 ${code}，或您无权查看该项目。`;

export async function findLeadById(db: DbOrTx, id: number): Promise<LeadRow | null> {
  return db.lead.findUnique({ where: { id } });
}

/** A lead with the step kinds pending in its current round (the next thing to happen to it). */
export type LeadWithSteps = LeadRow & { steps: Array<{ step: string; status: string; position: number; round: number }> };

const withCurrentSteps = {
  steps: { select: { step: true, status: true, position: true, round: true }, orderBy: { position: 'asc' } },
} satisfies Prisma.LeadInclude;

/** One lead with the steps of its current round. */
export async function loadLeadWithSteps(db: DbOrTx, id: number): Promise<LeadWithSteps | null> {
  const lead = await db.lead.findUnique({ where: { id }, include: withCurrentSteps });
  if (!lead) return null;
  return { ...lead, steps: lead.steps.filter((s) => s.round === lead.round) };
}

export interface LeadPage {
  leads: LeadWithSteps[];
  /** How many match in all (may exceed leads.length); with `atLeast`, only that many were counted. */
  total: number;
  /** The count stopped at `total` (countCap): there are more. */
  atLeast?: boolean;
}

/** A keyword search counts its matches up to this many: a common word matches a tenth of a city's leads. */
export const SEARCH_COUNT_CAP = 10_000;

/**
 * The newest `take` leads matching `where`. The total is counted only when more match than are shown: a
 * count is a second pass over every match (for a keyword search, over the whole table).
 */
async function page(db: DbOrTx, where: Prisma.LeadWhereInput, take: number, countCap?: number): Promise<LeadPage> {
  const rows = await db.lead.findMany({ where, orderBy: { id: 'desc' }, take: take + 1, include: withCurrentSteps });
  const leads = rows.slice(0, take).map((l) => ({ ...l, steps: l.steps.filter((s) => s.round === l.round) }));
  if (rows.length <= take) return { leads, total: rows.length };
  // Counting stops at countCap + 1 rows (a LIMITed subquery), so a common keyword does not read every lead.
  const total = await db.lead.count({ where, ...(countCap !== undefined ? { take: countCap + 1 } : {}) });
  return countCap !== undefined && total > countCap ? { leads, total: countCap, atLeast: true } : { leads, total };
}

/** The leads a person submitted, newest first (at most `take`). */
export async function listLeadsBySubmitter(db: DbOrTx, openId: string, take = 200): Promise<LeadPage> {
  return page(db, { submitterId: openId }, take);
}

/**
 * Leads whose project name or company name contains the keyword (the company name also compared after
 * normalisation, so 「（如皋）」 finds 「(如皋)」), or whose code is the keyword; only those the viewer may see.
 */
export async function searchLeads(db: DbOrTx, viewer: Viewer, keyword: string, companyNorm: string, code: string | undefined, take = 200): Promise<LeadPage> {
  // A code that names a lead the viewer sees is that lead: one read of the unique index, where ORing it into
  // the substring search would scan every lead (1 s at a million).
  if (code) {
    const hit = await page(db, { AND: [visibleTo(viewer), { code }] }, take);
    if (hit.total > 0) return hit;
  }
  const or: Prisma.LeadWhereInput[] = [{ projectName: { contains: keyword } }, { companyName: { contains: keyword } }];
  if (companyNorm) or.push({ companyNorm: { contains: companyNorm } });
  return page(db, { AND: [visibleTo(viewer), { OR: or }] }, take, SEARCH_COUNT_CAP);
}

/**
 * The activities (活动安排表) of a year, in calendar order, as form options. `keep` (the source activity of a
 * lead being edited) is offered too when it is of another year, last and named with its year, so editing a
 * lead registered last year does not lose its 来源活动.
 */
export async function activitiesOfYear(db: DbOrTx, year: number, keep?: number | null): Promise<Array<{ id: number; name: string }>> {
  const rows = await db.activity.findMany({ where: { year }, orderBy: { seq: 'asc' }, select: { id: true, name: true } });
  if (keep === undefined || keep === null || rows.some((r) => r.id === keep)) return rows;
  const own = await db.activity.findUnique({ where: { id: keep }, select: { id: true, name: true, year: true } });
  return own ? [...rows, { id: own.id, name: `${own.name}（${own.year}年）` }] : rows;
}

/** The comment of the latest 退回修改 of a lead, if any. */
export async function lastReturnComment(db: DbOrTx, leadId: number): Promise<string | undefined> {
  const row = await db.auditEvent.findFirst({ where: { leadId, action: 'return' }, orderBy: { id: 'desc' } });
  return row?.comment ?? undefined;
}

// ---- drafts ------------------------------------------------------------------------------------------

export interface DraftInput {
  userId: string;
  kind: LeadKind;
  values: LeadFormValues;
  /** Set when the draft edits a returned lead. */
  leadId?: number;
  now: Date;
}

/** Keeps validated form values while the user confirms a possible duplicate; returns the draft id. */
export async function saveDraft(db: DbOrTx, draft: DraftInput): Promise<number> {
  const row = await db.leadDraft.create({
    data: { userId: draft.userId, kind: draft.kind, values: draft.values as Prisma.InputJsonObject, leadId: draft.leadId ?? null, createdAt: draft.now },
  });
  return row.id;
}

export interface Draft {
  id: number;
  kind: string;
  values: Record<string, unknown>;
  leadId: number | null;
}

/** A draft, whoever owns it (callers compare userId). */
export async function findDraft(db: DbOrTx, id: number): Promise<(Draft & { userId: string }) | undefined> {
  // Only lead drafts (kind is a lead kind): other features keep their own drafts in this table.
  const row = await db.leadDraft.findFirst({ where: { id, kind: { in: [...LEAD_KINDS] } } });
  if (!row) return undefined;
  return { id: row.id, userId: row.userId, kind: row.kind, values: jsonObject(row.values), leadId: row.leadId };
}

const jsonObject = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * Takes a draft for use: only its owner can, and only once (it is deleted; of two concurrent takes one
 * gets undefined). Use inside the transaction that saves the lead, so a failed save keeps the draft.
 */
export async function takeDraft(tx: Tx, id: number, userId: string): Promise<Draft | undefined> {
  const row = await tx.leadDraft.findFirst({ where: { id, userId, kind: { in: [...LEAD_KINDS] } } });
  if (!row) return undefined;
  const deleted = await tx.leadDraft.deleteMany({ where: { id, userId, kind: row.kind } });
  if (deleted.count !== 1) return undefined;
  return { id: row.id, kind: row.kind, values: jsonObject(row.values), leadId: row.leadId };
}
