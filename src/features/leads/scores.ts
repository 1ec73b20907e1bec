// Lead scores in the database: score one lead after it is written, and score every lead again when the
// office's scoring config changes (the scoring itself is ./scoring.ts).
import { TX_OPTIONS, type Db, type Prisma, type Tx } from '../../platform/db/client.ts';
import type { OfficeConfig } from '../../office/config.ts';
import { scoreLead, scoringFingerprint, storedReasons, type LeadScore, type ScoringConfig, type ScoringLead } from './scoring.ts';
import { claimRun } from '../../platform/delivery/ledger.ts';

type DbOrTx = Db | Tx;

function scoreColumns(s: LeadScore) {
  return { score: s.score, tier: s.tier, scoreReasons: s.reasons as unknown as Prisma.InputJsonValue };
}

/** The growth milestones among a lead's recorded stages (LeadStage rows). */
const MILESTONE_CODES = new Set(['tech_sme', 'high_tech', 'leading']);
const withStages = { stages: { select: { stage: true } } } as const;

function scoringInput<L extends ScoringLead & { stages: Array<{ stage: string }> }>(lead: L): ScoringLead {
  return { ...lead, milestones: lead.stages.map((s) => s.stage).filter((s) => MILESTONE_CODES.has(s)) };
}

/**
 * Scores one lead from its stored fields, stage and milestones and stores score, tier and reasons. Call after
 * a lead is created or resubmitted (in that transaction). `scoring` defaults to the office's scoring section.
 */
export async function scoreAndStore(db: DbOrTx, leadId: number, office: OfficeConfig, scoring: ScoringConfig = office.scoring): Promise<LeadScore | undefined> {
  const lead = await db.lead.findUnique({ where: { id: leadId }, include: withStages });
  if (!lead) return undefined;
  const result = scoreLead(scoringInput(lead), office, scoring);
  await db.lead.update({ where: { id: leadId }, data: scoreColumns(result) });
  return result;
}

export interface Rescored {
  before: { score: number | null; tier: string | null };
  after: LeadScore;
}

/**
 * Scores a lead again after its facts changed (a stage or milestone recorded), in the caller's transaction.
 * When the tier changes, an AuditEvent 'tier_change' records it (from, to, score, why).
 */
export async function rescoreLead(
  tx: Tx,
  leadId: number,
  office: OfficeConfig,
  audit: { actorId: string; role: string; now: Date; cause: string },
): Promise<Rescored | undefined> {
  const lead = await tx.lead.findUnique({ where: { id: leadId }, select: { score: true, tier: true, code: true } });
  if (!lead) return undefined;
  const after = await scoreAndStore(tx, leadId, office);
  if (!after) return undefined;
  if (lead.tier !== after.tier) {
    await tx.auditEvent.create({
      data: {
        actorId: audit.actorId,
        action: 'tier_change',
        role: audit.role,
        leadId,
        data: { code: lead.code, from: lead.tier, to: after.tier, fromScore: lead.score, score: after.score, cause: audit.cause },
        createdAt: audit.now,
      },
    });
  }
  return { before: { score: lead.score, tier: lead.tier }, after };
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
    const page = await db.lead.findMany({ where: { ...where, id: { gt: afterId } }, orderBy: { id: 'asc' }, take: 500, include: withStages });
    if (page.length === 0) break;
    afterId = page[page.length - 1].id;
    const updates = page.flatMap((lead) => {
      const s = scoreLead(scoringInput(lead), office, scoring);
      const same = lead.score === s.score && lead.tier === s.tier && reasonsKey(lead.scoreReasons) === reasonsKey(s.reasons);
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

/** Reasons as comparable text: PostgreSQL's jsonb does not keep the keys' order, so compare the fields. */
function reasonsKey(json: unknown): string {
  return JSON.stringify(storedReasons(json).map((r) => [r.rule, r.points, r.max ?? null, r.text]));
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
