// Queries behind the digests (rows for src/features/digests/digest.ts) and the subscriptions that say who gets them.
import { MEETING_OUTCOME_LABELS, type MeetingOutcome } from '../approval/panel.ts';
import type { Db, Prisma, Tx } from '../../platform/db/client.ts';
import { isUniqueViolation } from '../../platform/db/client.ts';
import { holdersOf } from '../../platform/people.ts';
import type {
  ActivityFact, AuditFact, BimonthlyInput, FollowUpFact, KeyProjectFact, LandedFact, LeadFact, MonthlyInput, OpenLeadFact, StageFact, WeeklyInput, Window,
} from './digest.ts';
import type { CountRule } from '../../office/config.ts';
import { countedLeadGroups, patentFacts, quotasOfYear } from '../quotas/store.ts';
import type { ScoringConfig } from '../../office/scoring.ts';
import { inChunks } from '../../platform/db/chunks.ts';
import { MILESTONES } from '../lifecycle/lifecycle.ts';
import { problemFacts } from '../coordination/store.ts';
import { asLeadStatus, isStepKind, type StepKind } from '../approval/workflow.ts';

type DbOrTx = Db | Tx;

// ---- subscriptions ----------------------------------------------------------------------------------------

export const SUBSCRIPTION_TOPICS = ['weekly', 'bimonthly', 'monthly', 'alerts', 'leads'] as const;
export type SubscriptionTopic = (typeof SUBSCRIPTION_TOPICS)[number];

export interface SubscriptionRow {
  id: number;
  chatId: string;
  topic: string;
  filter: string;
  createdBy: string;
  createdAt: Date;
}

/** This chat's subscriptions, in the order of SUBSCRIPTION_TOPICS, then by filter. */
export async function chatSubscriptions(db: DbOrTx, chatId: string): Promise<SubscriptionRow[]> {
  const rows = await db.subscription.findMany({ where: { chatId } });
  const rank = (t: string) => {
    const i = (SUBSCRIPTION_TOPICS as readonly string[]).indexOf(t);
    return i < 0 ? SUBSCRIPTION_TOPICS.length : i;
  };
  return rows.sort((a, b) => rank(a.topic) - rank(b.topic) || a.filter.localeCompare(b.filter, 'zh-CN'));
}

/** Adds a subscription; false when the chat already had it. */
export async function subscribe(db: DbOrTx, s: { chatId: string; topic: SubscriptionTopic; filter: string; createdBy: string }): Promise<boolean> {
  const existing = await db.subscription.findFirst({ where: { chatId: s.chatId, topic: s.topic, filter: s.filter } });
  if (existing) return false;
  try {
    await db.subscription.create({ data: s });
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false; // two admins at once
    throw err;
  }
}

/** Removes this chat's subscriptions to `topic` (only the one with `filter` when given); returns how many. */
export async function unsubscribe(db: DbOrTx, chatId: string, topic: SubscriptionTopic, filter?: string): Promise<number> {
  const res = await db.subscription.deleteMany({ where: { chatId, topic, ...(filter !== undefined ? { filter } : {}) } });
  return res.count;
}

/** Where a digest goes: a chat (chat_id) or a leader's p2p chat (open_id). `id` is also the ledger target. */
export interface DigestRecipient {
  receiveIdType: 'chat_id' | 'open_id';
  id: string;
}

/** Chats subscribed to `topic`, then (with leadersByP2p) every leader by p2p. */
export async function digestRecipients(db: DbOrTx, topic: 'weekly' | 'bimonthly' | 'monthly', leadersByP2p: boolean): Promise<DigestRecipient[]> {
  const subs = await db.subscription.findMany({ where: { topic }, orderBy: { id: 'asc' }, select: { chatId: true } });
  const chats = [...new Set(subs.map((s) => s.chatId))].map((id): DigestRecipient => ({ receiveIdType: 'chat_id', id }));
  if (!leadersByP2p) return chats;
  const leaders = (await holdersOf(db, 'leader')).map((id): DigestRecipient => ({ receiveIdType: 'open_id', id }));
  return [...chats, ...leaders];
}

// ---- digest rows ------------------------------------------------------------------------------------------

const range = (w: Window) => ({ gte: w.from, lt: w.to });
/** A pending step's kind; one the workflow does not know reads as none (the lead is left out of the waiting lists). */
const knownStep = (step: string | undefined): StepKind | null => (isStepKind(step) ? step : null);

async function openLeads(db: DbOrTx): Promise<OpenLeadFact[]> {
  const rows = await db.lead.findMany({
    where: { status: { in: ['pending', 'returned'] } },
    select: {
      id: true, code: true, projectName: true, town: true, kind: true, status: true, round: true, updatedAt: true, tier: true,
      steps: { where: { status: 'pending' }, select: { step: true, startedAt: true, round: true } },
    },
  });
  return rows.map((r) => {
    const step = r.steps.find((s) => s.round === r.round) ?? r.steps[0];
    return {
      leadId: r.id,
      code: r.code,
      projectName: r.projectName,
      town: r.town,
      kind: r.kind,
      status: asLeadStatus(r.status),
      step: knownStep(step?.step),
      stepStartedAt: step?.startedAt ?? null,
      updatedAt: r.updatedAt,
      tier: r.tier,
    };
  });
}

async function auditsOf(db: DbOrTx, actions: string[], where: { createdAt?: { gte: Date; lt: Date }; leadIds?: number[] }): Promise<AuditFact[]> {
  return db.auditEvent.findMany({
    where: {
      action: { in: actions },
      ...(where.createdAt ? { createdAt: where.createdAt } : {}),
      ...(where.leadIds ? { leadId: { in: where.leadIds } } : {}),
    },
    select: { action: true, leadId: true, createdAt: true },
  });
}

/** 'return' audit events of the given leads, fetched in chunks (SQLite's bind-parameter limit). */
async function returnsOf(db: DbOrTx, leadIds: number[]): Promise<AuditFact[]> {
  return inChunks(leadIds, (chunk) => auditsOf(db, ['return'], { leadIds: chunk }));
}

async function newLeads(db: DbOrTx, w: Window): Promise<LeadFact[]> {
  return db.lead.findMany({ where: { createdAt: range(w) }, select: { town: true, kind: true, industry: true, createdAt: true } });
}

async function approvals(db: DbOrTx, w: Window): Promise<{ leadId: number; approvedAt: Date | null }[]> {
  const rows = await db.lead.findMany({ where: { approvedAt: range(w) }, select: { id: true, approvedAt: true } });
  return rows.map((r) => ({ leadId: r.id, approvedAt: r.approvedAt }));
}

/**
 * Every pipeline row (no milestones) of the leads that recorded a stage in the window or whose stage is one
 * of `preCodes` (in talks): what pipelineWeek() needs.
 */
async function pipelineRows(db: DbOrTx, window: Window, preCodes: readonly string[]): Promise<StageFact[]> {
  const [moved, talking] = await Promise.all([
    db.leadStage.findMany({ where: { createdAt: range(window) }, select: { leadId: true }, distinct: ['leadId'] }),
    preCodes.length > 0 ? db.lead.findMany({ where: { status: 'approved', stage: { in: [...preCodes] } }, select: { id: true } }) : [],
  ]);
  const ids = [...new Set([...moved.map((m) => m.leadId), ...talking.map((l) => l.id)])];
  const rows = await inChunks(ids, (chunk) => db.leadStage.findMany({
    where: { leadId: { in: chunk }, stage: { notIn: [...MILESTONES] } },
    include: { lead: { select: { code: true, projectName: true, town: true } } },
  }));
  return rows.map((s): StageFact => ({
    leadId: s.leadId, code: s.lead.code, projectName: s.lead.projectName, town: s.lead.town, stage: s.stage, date: s.date, createdAt: s.createdAt,
  }));
}

/** Rows for weeklyDigest(): the caller adds now, tz, towns, stuckDays and pre. */
export async function loadWeeklyRows(
  db: DbOrTx,
  window: Window,
  localYear: number,
  preCodes: readonly string[] = [],
): Promise<Pick<WeeklyInput, 'newLeads' | 'decisions' | 'approvals' | 'open' | 'returns' | 'activities' | 'stages'>> {
  const [leads, decisions, approved, open, activities, stages] = await Promise.all([
    newLeads(db, window),
    auditsOf(db, ['approve', 'reject', 'return'], { createdAt: range(window) }),
    approvals(db, window),
    openLeads(db),
    db.activity.findMany({ where: { year: { in: [localYear, localYear + 1] } } }),
    pipelineRows(db, window, preCodes),
  ]);
  const returns = await returnsOf(db, open.filter((o) => o.status === 'returned').map((o) => o.leadId));
  return {
    newLeads: leads,
    decisions,
    approvals: approved,
    open,
    returns,
    activities: activities.map((a): ActivityFact => ({ year: a.year, month: a.month, date: a.date, allYear: a.allYear, name: a.name, organizer: a.organizer })),
    stages,
  };
}

/** 重点项目 of the 双月例会: 重点类 or 重大, not closed. */
const KEY_PROJECTS = { OR: [{ tier: 'key' }, { major: true }], status: { notIn: ['rejected', 'withdrawn'] } } satisfies Prisma.LeadWhereInput;
/** The most key projects read: the card lists at most 500 (cards.ts HARD_MAX_ROWS). */
const KEY_PROJECTS_READ = 500;

/**
 * Rows for bimonthlyDigest(): `year` and `asOf` are the year and moment whose quota progress it shows
 * (bimonthlyProgressMoment). The counted leads come summed in SQL per (town, kind, tier) up to `asOf`, each
 * group weighed by scoring.quotaWeight as in /quota: a year of leads is never loaded.
 */
export async function loadBimonthlyRows(
  db: DbOrTx,
  window: Window,
  progress: { year: number; asOf: Date },
  rule: CountRule,
  tz: string,
  scoring?: ScoringConfig,
): Promise<Pick<BimonthlyInput, 'quotas' | 'countedLeads' | 'patents' | 'rule' | 'keyProjects' | 'keyProjectsTotal' | 'open' | 'returns' | 'stages' | 'problems'>> {
  const [quotas, countedLeads, patents, key, keyTotal, open, stages, problems] = await Promise.all([
    quotasOfYear(db, progress.year),
    countedLeadGroups(db, progress.year, progress.asOf, tz, rule, scoring),
    patentFacts(db, progress.year),
    db.lead.findMany({
      where: KEY_PROJECTS,
      // The card lists at most 500; the total is counted apart (a third of a city's leads may be 重点类).
      orderBy: [{ major: 'desc' }, { code: 'asc' }],
      take: KEY_PROJECTS_READ,
      select: {
        id: true, code: true, projectName: true, town: true, kind: true, tier: true, major: true, status: true, stage: true, investmentWan: true, round: true,
        steps: { where: { status: 'pending' }, select: { step: true, round: true } },
      },
    }),
    db.lead.count({ where: KEY_PROJECTS }),
    openLeads(db),
    db.leadStage.findMany({ where: { createdAt: range(window) }, include: { lead: { select: { code: true, projectName: true, town: true } } } }),
    problemFacts(db, window.from),
  ]);
  const returns = await returnsOf(db, open.map((o) => o.leadId));
  const { panels, decisions } = await majorOutcomes(db, key.filter((k) => k.major).map((k) => k.id));
  return {
    quotas,
    countedLeads,
    patents,
    rule,
    keyProjectsTotal: keyTotal,
    keyProjects: key.map((k): KeyProjectFact => ({
      panel: panels.get(k.id) ?? null,
      decision: decisions.get(k.id) ?? null,
      leadId: k.id,
      code: k.code,
      projectName: k.projectName,
      town: k.town,
      kind: k.kind,
      tier: k.tier,
      major: k.major,
      status: asLeadStatus(k.status),
      step: knownStep((k.steps.find((s) => s.round === k.round) ?? k.steps[0])?.step),
      stage: k.stage,
      investmentWan: k.investmentWan,
    })),
    open,
    returns,
    problems,
    stages: stages.map((s): StageFact => ({
      leadId: s.leadId, code: s.lead.code, projectName: s.lead.projectName, town: s.lead.town, stage: s.stage, date: s.date, createdAt: s.createdAt,
    })),
  };
}

/**
 * Rows for monthlyDigest(): both months in `twoMonths`; quotas, counted leads (summed in SQL up to the end of
 * `twoMonths`, weighed by scoring.quotaWeight) and patents of `year`, the reported month's; the 一月一报 answers of `answersPeriod` (the cards sent at the start of the reported month)
 * and the projects landed before `twoMonths.to` with their agreements and latest reported 到位 up to `reported`.
 */
export async function loadMonthlyRows(
  db: DbOrTx,
  twoMonths: Window,
  year: number,
  opts: { rule: CountRule; tz: string; reported: string; answersPeriod: string; scoring?: ScoringConfig },
): Promise<Pick<MonthlyInput, 'leads' | 'approvals' | 'rejections' | 'quotas' | 'countedLeads' | 'patents' | 'rule' | 'followUps' | 'landed'>> {
  const [leads, approved, rejections, quotas, countedLeads, patents, followUps, landed] = await Promise.all([
    newLeads(db, twoMonths),
    approvals(db, twoMonths),
    auditsOf(db, ['reject'], { createdAt: range(twoMonths) }),
    quotasOfYear(db, year),
    countedLeadGroups(db, year, new Date(twoMonths.to.getTime() - 1), opts.tz, opts.rule, opts.scoring),
    patentFacts(db, year, opts.reported),
    followUpFacts(db, opts.answersPeriod),
    landedFacts(db, twoMonths.to, opts.reported),
  ]);
  return { leads, approvals: approved, rejections, quotas, countedLeads, patents, rule: opts.rule, followUps, landed };
}

/** The 一月一报 cards of one period with their answers and projects. */
async function followUpFacts(db: DbOrTx, period: string): Promise<FollowUpFact[]> {
  const rows = await db.followUp.findMany({ where: { period }, orderBy: { id: 'asc' } });
  if (rows.length === 0) return [];
  const leads = await inChunks([...new Set(rows.map((r) => r.leadId))], (chunk) =>
    db.lead.findMany({ where: { id: { in: chunk } }, select: { id: true, code: true, projectName: true, town: true, stage: true, status: true } }),
  );
  const byId = new Map(leads.map((l) => [l.id, l]));
  return rows.flatMap((r): FollowUpFact[] => {
    const l = byId.get(r.leadId);
    if (!l || l.status !== 'approved') return [];
    return [{
      code: l.code,
      projectName: l.projectName,
      town: l.town,
      answered: r.answeredAt !== null,
      answer: r.answer,
      note: r.note,
      reportedStage: r.stage,
      recordedStage: l.stage,
      investmentArrivedWan: r.investmentArrivedWan,
      inventionPatents: r.inventionPatents,
      utilityModels: r.utilityModels,
      problems: r.problems,
    }];
  });
}

/**
 * Projects whose 落地（开工） was recorded before `before`, with 协议投资额 from 签约 and the latest reported 到位:
 * those still on their way to 投产, and those that reached it in the reported month's year. A project in
 * production since an earlier year has left the monthly analysis (as it has left 一月一报): over the years
 * they would be most of a city's projects, read every month for nothing.
 */
async function landedFacts(db: DbOrTx, before: Date, reported: string): Promise<LandedFact[]> {
  const yearStart = new Date(Date.UTC(Number(reported.slice(0, 4)), 0, 1)); // LeadStage.date is a calendar day
  const rows = await db.lead.findMany({
    where: {
      status: 'approved',
      stages: { some: { stage: 'landed', createdAt: { lt: before } } },
      OR: [{ stage: { not: 'producing' } }, { stages: { some: { stage: 'producing', date: { gte: yearStart } } } }],
    },
    select: {
      id: true, code: true, projectName: true, town: true, stage: true, investmentWan: true,
      stages: { where: { stage: 'signed' }, select: { data: true } },
    },
  });
  if (rows.length === 0) return [];
  const answers = await inChunks(rows.map((r) => r.id), (chunk) =>
    db.followUp.findMany({
      where: { leadId: { in: chunk }, period: { lte: reported }, answeredAt: { not: null }, investmentArrivedWan: { not: null } },
      select: { leadId: true, period: true, investmentArrivedWan: true },
    }),
  );
  const latest = new Map<number, { period: string; wan: number }>();
  for (const a of answers) {
    const cur = latest.get(a.leadId);
    if (!cur || a.period > cur.period) latest.set(a.leadId, { period: a.period, wan: a.investmentArrivedWan! });
  }
  return rows.map((r) => {
    const signed = r.stages[0]?.data;
    const agreed = signed && typeof signed === 'object' && !Array.isArray(signed) ? (signed as Record<string, unknown>).investment_wan : undefined;
    const last = latest.get(r.id);
    return {
      code: r.code,
      projectName: r.projectName,
      town: r.town,
      stage: r.stage === 'producing' ? 'producing' : 'landed',
      agreementWan: typeof agreed === 'number' ? agreed : r.investmentWan,
      arrivedWan: last?.wan ?? null,
      arrivedPeriod: last?.period ?? null,
    };
  });
}

/**
 * 一事一议 in the 双月例会: each major lead's latest panel result ("专家组通过") and latest 领导小组 meeting
 * ("会议通过 03-12"), or its 会签 outcome when it was decided that way.
 */
async function majorOutcomes(db: DbOrTx, leadIds: number[]): Promise<{ panels: Map<number, string>; decisions: Map<number, string> }> {
  const panels = new Map<number, string>();
  const decisions = new Map<number, string>();
  if (leadIds.length === 0) return { panels, decisions };
  const [results, meetings] = await Promise.all([
    inChunks(leadIds, (chunk) => db.auditEvent.findMany({ where: { leadId: { in: chunk }, action: 'panel_result' }, orderBy: { id: 'asc' } })),
    inChunks(leadIds, (chunk) => db.leadMeeting.findMany({ where: { leadId: { in: chunk } }, orderBy: { id: 'asc' } })),
  ]);
  for (const r of results) {
    if (r.leadId === null) continue;
    const data = r.data && typeof r.data === 'object' && !Array.isArray(r.data) ? (r.data as Record<string, unknown>) : {};
    panels.set(r.leadId, data.outcome === 'approved' ? '专家组通过' : '专家组未通过');
  }
  for (const m of meetings) {
    const label = MEETING_OUTCOME_LABELS[m.outcome as MeetingOutcome] ?? m.outcome;
    decisions.set(m.leadId, `会议${label} ${m.meetingDate.slice(5)}`);
  }
  return { panels, decisions };
}
