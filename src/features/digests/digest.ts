// The content of the scheduled digests as plain data: 周例会 (weekly), 双月例会 (bimonthly) and 一月一报
// (monthly report). Pure: the caller passes the rows (leads, audit events, steps, quotas, activities) and
// `now`; every function returns numbers and lists, ready for src/features/digests/cards.ts to render. No I/O.
import type { CarrierProgress } from '../carriers/carrier.ts';
import { LEAD_KINDS, type CountRule, type LeadKind } from '../../office/config.ts';
import { LEAD_KIND_LABELS } from '../leads/lead.ts';
import { upcomingActivities, type ActivityLike } from '../activities/activity.ts';
import {
  computeProgress, laggingTowns, METRIC_LABELS,
  type CountedLeadFact, type LaggingEntry, type PatentFact, type QuotaProgress, type QuotaTarget,
} from '../quotas/quota.ts';
import { addMonths, localMonth, localParts, zonedInstant } from '../../platform/time.ts';
import type { LeadStatus, StepKind } from '../approval/workflow.ts';
import { DEFAULT_PRE_STAGES, isMilestone, pipelineOrder, stageLabel, type PreStages } from '../lifecycle/lifecycle.ts';
import { problemRegister, type ProblemFact, type ProblemRegister } from '../coordination/problem.ts';

export const DIGEST_KINDS = ['weekly', 'bimonthly', 'monthly'] as const;
export type DigestKind = (typeof DIGEST_KINDS)[number];

/** What users see for each digest. */
export const DIGEST_LABELS: Readonly<Record<DigestKind, string>> = {
  weekly: '周例会简报',
  bimonthly: '双月例会简报',
  monthly: '一月一报',
};

const DAY_MS = 86_400_000;
/** Activities listed in the weekly digest: the next 14 days. */
export const ACTIVITY_DAYS = 14;

// ---------------------------------------------------------------------------------------------------------
// Calendar

export { zonedInstant } from '../../platform/time.ts';

/** ISO 8601 week of a calendar date: the year that owns the week, and its number (1-53). */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = Date.UTC(year, month - 1, day);
  const monday = date - ((new Date(date).getUTCDay() + 6) % 7) * DAY_MS;
  const thursday = monday + 3 * DAY_MS;
  const weekYear = new Date(thursday).getUTCFullYear();
  const jan4 = Date.UTC(weekYear, 0, 4);
  const week1 = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY_MS;
  return { year: weekYear, week: 1 + Math.round((monday - week1) / (7 * DAY_MS)) };
}

/** Two-month block (1-6) of a month: Jan–Feb = 1 … Nov–Dec = 6. */
export function bimonthOf(month: number): number {
  return Math.ceil(month / 2);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * The period a digest run at `now` belongs to, as recorded in the run ledger: weekly "2026-W48" (ISO week
 * of the local date), bimonthly "2026-B6" (Nov–Dec), monthly the previous month "2026-10" (run on 1 Nov).
 */
export function digestPeriod(kind: DigestKind, now: Date, tz: string): string {
  const p = localParts(now, tz);
  switch (kind) {
    case 'weekly': {
      const w = isoWeek(p.year, p.month, p.day);
      return `${w.year}-W${pad2(w.week)}`;
    }
    case 'bimonthly':
      return `${p.year}-B${bimonthOf(p.month)}`;
    case 'monthly': {
      const prev = addMonths(p.year, p.month, -1);
      return `${prev.year}-${pad2(prev.month)}`;
    }
  }
}

/** [from, to) with a label such as "2026年10月" or "9月–10月". */
export interface Window {
  from: Date;
  to: Date;
}

/** Weekly: the 7 days before the run (back-to-back Monday runs neither overlap nor leave a gap). */
export function weeklyWindow(now: Date): Window {
  return { from: new Date(now.getTime() - 7 * DAY_MS), to: now };
}

/** Bimonthly: the whole two-month block before the one `now` is in (a run in Nov covers Sep–Oct). */
export function bimonthlyWindow(now: Date, tz: string): Window & { firstMonth: { year: number; month: number }; lastMonth: { year: number; month: number } } {
  const p = localParts(now, tz);
  const blockStart = addMonths(p.year, p.month, -((p.month - 1) % 2));
  const first = addMonths(blockStart.year, blockStart.month, -2);
  const last = addMonths(blockStart.year, blockStart.month, -1);
  return {
    from: zonedInstant(first.year, first.month, 1, tz),
    to: zonedInstant(blockStart.year, blockStart.month, 1, tz),
    firstMonth: first,
    lastMonth: last,
  };
}

/**
 * The year whose quota progress a bimonthly digest shows, and the moment it is measured at: the year of the
 * window's last month (measured as of the window's end − 1 ms, as the monthly report does). In that same
 * year the progress is measured as of `now`; when the window ended in the year before (the first Monday of
 * January covers Nov–Dec), as of that year's last moment.
 */
export function bimonthlyProgressMoment(now: Date, tz: string): { year: number; at: Date } {
  const lastMoment = new Date(bimonthlyWindow(now, tz).to.getTime() - 1);
  const year = localParts(lastMoment, tz).year;
  return { year, at: localParts(now, tz).year === year ? now : lastMoment };
}

/** A local calendar month as an instant range. */
export function monthWindow(year: number, month: number, tz: string): Window {
  const next = addMonths(year, month, 1);
  return { from: zonedInstant(year, month, 1, tz), to: zonedInstant(next.year, next.month, 1, tz) };
}

/** Monthly: the previous month (reported) and the month before it (for the change). */
export function monthlyWindows(now: Date, tz: string): { year: number; month: number; current: Window; previous: Window; prevYear: number; prevMonth: number } {
  const p = localParts(now, tz);
  const cur = addMonths(p.year, p.month, -1);
  const prev = addMonths(p.year, p.month, -2);
  return {
    year: cur.year,
    month: cur.month,
    current: monthWindow(cur.year, cur.month, tz),
    previous: monthWindow(prev.year, prev.month, tz),
    prevYear: prev.year,
    prevMonth: prev.month,
  };
}

const within = (at: Date | null | undefined, w: Window) => !!at && at.getTime() >= w.from.getTime() && at.getTime() < w.to.getTime();

// ---------------------------------------------------------------------------------------------------------
// Input rows

/** A lead as counted by the digests. */
export interface LeadFact {
  town: string;
  kind: string;
  industry?: string | null;
  createdAt: Date;
}

/** One AuditEvent row (approve / reject / return / …). */
export interface AuditFact {
  action: string;
  leadId: number | null;
  createdAt: Date;
}

/** A lead still open: pending (at its pending step) or returned to the submitter. */
export interface OpenLeadFact {
  leadId: number;
  code: string;
  projectName: string;
  town: string;
  kind: string;
  /** pending | returned */
  status: LeadStatus;
  /** The pending step of a pending lead (null between steps, or a step the workflow does not know). */
  step: StepKind | null;
  /** When that step started. */
  stepStartedAt: Date | null;
  /** When the lead was last changed (fallback for a returned lead without a return audit). */
  updatedAt: Date;
  /** The lead's tier (key | regular | potential): 重点类 come first in the digests' waiting lists. */
  tier?: string | null;
}

export interface KeyProjectFact {
  leadId: number;
  code: string;
  projectName: string;
  town: string;
  kind: string;
  tier: string | null;
  major: boolean;
  status: LeadStatus;
  /** The pending step of a pending lead. */
  step: StepKind | null;
  stage: string | null;
  investmentWan: number | null;
  /** 一事一议: the expert panel's latest result ("专家组通过"), and the 领导小组's latest decision ("会议通过 03-12"). */
  panel?: string | null;
  decision?: string | null;
}

export interface StageFact {
  leadId: number;
  code: string;
  projectName: string;
  town: string;
  stage: string;
  /** The date the stage happened. */
  date: Date;
  /** When it was recorded. */
  createdAt: Date;
}

// ---------------------------------------------------------------------------------------------------------
// The pipeline (接洽 → 在谈 → 签约 → 注册 → 落地 → 投产) as the 周例会 reviews it

/** One lead that moved along the pipeline in the window: from its stage before the window's first move. */
export interface PipelineMove {
  leadId: number;
  code: string;
  projectName: string;
  town: string;
  /** Label of the stage before (「未登记」 when none). */
  from: string;
  to: string;
  /** The date of the latest stage (a calendar day, UTC midnight). */
  date: Date;
}

/** A lead at a pre-签约 stage (接洽, 在谈, …) as of `now`. */
export interface InTalksLead {
  leadId: number;
  code: string;
  projectName: string;
  town: string;
  stage: string;
  /** Whole days since the stage's date. */
  days: number;
}

export interface PipelineWeek {
  /** "接洽 → 在谈" and how many leads made that move, most first. */
  transitions: Array<{ from: string; to: string; count: number }>;
  /** Leads that moved, the latest first. */
  moved: PipelineMove[];
  /** Per pre-签约 stage (office order) the leads at it as of `now`, the longest there first. */
  inTalks: Array<{ stage: string; leads: InTalksLead[] }>;
}

export const NO_STAGE_LABEL = '未登记';

/**
 * What moved along the pipeline: the stage rows recorded in the window (milestones left out) by lead, each
 * lead once, from the stage it had before to the last one reached; and the leads whose latest stage
 * recorded by `now` is a pre-签约 stage. `stages` must hold every pipeline row of the leads concerned.
 */
export function pipelineWeek(stages: readonly StageFact[], window: Window, now: Date, pre: PreStages = DEFAULT_PRE_STAGES): PipelineWeek {
  const order = pipelineOrder(pre);
  const rank = (s: string) => order.indexOf(s);
  const byLead = new Map<number, StageFact[]>();
  for (const s of stages) {
    if (isMilestone(s.stage) || rank(s.stage) < 0 || s.createdAt.getTime() > now.getTime()) continue;
    byLead.set(s.leadId, [...(byLead.get(s.leadId) ?? []), s]);
  }
  const moved: PipelineMove[] = [];
  const inTalks = new Map<string, InTalksLead[]>(pre.map((p) => [p.code, []]));
  for (const rows of byLead.values()) {
    rows.sort((a, b) => rank(a.stage) - rank(b.stage));
    const inWindow = rows.filter((r) => within(r.createdAt, window));
    const last = rows[rows.length - 1];
    if (inWindow.length > 0) {
      const first = inWindow[0];
      const before = rows.filter((r) => rank(r.stage) < rank(first.stage) && !within(r.createdAt, window)).pop();
      const to = inWindow[inWindow.length - 1];
      moved.push({
        leadId: to.leadId, code: to.code, projectName: to.projectName, town: to.town,
        from: before ? stageLabel(before.stage, pre) : NO_STAGE_LABEL, to: stageLabel(to.stage, pre), date: to.date,
      });
    }
    const talks = inTalks.get(last.stage);
    if (talks) {
      talks.push({ leadId: last.leadId, code: last.code, projectName: last.projectName, town: last.town, stage: stageLabel(last.stage, pre), days: Math.max(0, Math.floor((now.getTime() - last.date.getTime()) / DAY_MS)) });
    }
  }
  const counts = new Map<string, { from: string; to: string; count: number }>();
  for (const m of moved) {
    const key = `${m.from}\u0000${m.to}`;
    const c = counts.get(key) ?? { from: m.from, to: m.to, count: 0 };
    c.count++;
    counts.set(key, c);
  }
  const labelRank = (l: string) => order.findIndex((s) => stageLabel(s, pre) === l);
  return {
    transitions: [...counts.values()].sort((a, b) => b.count - a.count || labelRank(a.to) - labelRank(b.to) || labelRank(a.from) - labelRank(b.from)),
    moved: moved.sort((a, b) => b.date.getTime() - a.date.getTime() || a.code.localeCompare(b.code)),
    inTalks: pre.map((p) => ({
      stage: p.label,
      leads: inTalks.get(p.code)!.sort((a, b) => b.days - a.days || a.code.localeCompare(b.code)),
    })),
  };
}

export interface ActivityFact extends ActivityLike {
  name: string;
  organizer?: string | null;
}

// ---------------------------------------------------------------------------------------------------------
// Shared pieces

export type KindCounts = Record<LeadKind, number>;

export function zeroKinds(): KindCounts {
  return { tech: 0, talent: 0, platform: 0, service: 0, fund: 0 };
}

const isKind = (k: string): k is LeadKind => (LEAD_KINDS as readonly string[]).includes(k);

/** Sorts names in the office's order, unknown names after them by name. */
function officeOrder(order: readonly string[]): (a: string, b: string) => number {
  const rank = new Map(order.map((n, i) => [n, i]));
  return (a, b) => (rank.get(a) ?? order.length) - (rank.get(b) ?? order.length) || a.localeCompare(b, 'zh-CN');
}

export interface TownKindRow {
  town: string;
  byKind: KindCounts;
  total: number;
}

/** Leads per town and kind: towns with leads only, most first (the office's order breaks ties). */
export function countByTownAndKind(leads: readonly Pick<LeadFact, 'town' | 'kind'>[], towns: readonly string[]): { rows: TownKindRow[]; byKind: KindCounts; total: number } {
  const map = new Map<string, TownKindRow>();
  const byKind = zeroKinds();
  let total = 0;
  for (const l of leads) {
    if (!isKind(l.kind)) continue;
    let row = map.get(l.town);
    if (!row) map.set(l.town, (row = { town: l.town, byKind: zeroKinds(), total: 0 }));
    row.byKind[l.kind]++;
    row.total++;
    byKind[l.kind]++;
    total++;
  }
  const order = officeOrder(towns);
  return { rows: [...map.values()].sort((a, b) => b.total - a.total || order(a.town, b.town)), byKind, total };
}

/** One open lead with how long it has been waiting. */
export interface WaitingItem {
  leadId: number;
  code: string;
  projectName: string;
  town: string;
  kind: string;
  status: 'pending' | 'returned';
  /** The pending step (null for a returned lead: it waits for its submitter). */
  step: StepKind | null;
  since: Date;
  /** Whole days waited (floor). */
  days: number;
  /** 重点类 (tier 'key'): listed first and marked. */
  key?: boolean;
}

function waitingItems(open: readonly OpenLeadFact[], returns: readonly AuditFact[], now: Date): WaitingItem[] {
  const lastReturn = new Map<number, number>();
  for (const a of returns) {
    if (a.action !== 'return' || a.leadId === null) continue;
    lastReturn.set(a.leadId, Math.max(lastReturn.get(a.leadId) ?? 0, a.createdAt.getTime()));
  }
  const out: WaitingItem[] = [];
  for (const l of open) {
    let since: number;
    let step: StepKind | null = null;
    if (l.status === 'pending') {
      if (l.step === null) continue; // between steps: nothing to wait for
      step = l.step;
      since = (l.stepStartedAt ?? l.updatedAt).getTime();
    } else if (l.status === 'returned') {
      since = lastReturn.get(l.leadId) ?? l.updatedAt.getTime();
    } else continue;
    if (since > now.getTime()) continue; // not waiting yet as of `now` (a run as of an earlier time)
    out.push({
      leadId: l.leadId,
      code: l.code,
      projectName: l.projectName,
      town: l.town,
      kind: l.kind,
      status: l.status,
      step,
      since: new Date(since),
      days: Math.max(0, Math.floor((now.getTime() - since) / DAY_MS)),
      ...(l.tier === 'key' ? { key: true } : {}),
    });
  }
  // 重点类 first (seed 002: 分类管理), then oldest first; the code keeps equal ages in a stable order.
  return out.sort((a, b) => Number(!!b.key) - Number(!!a.key) || a.since.getTime() - b.since.getTime() || a.code.localeCompare(b.code));
}

/** Waiting longer than `stuckDays` whole days. */
function isStuck(item: WaitingItem, now: Date, stuckDays: number): boolean {
  return now.getTime() - item.since.getTime() > stuckDays * DAY_MS;
}

// ---------------------------------------------------------------------------------------------------------
// 周例会 (weekly)

export interface WeeklyInput {
  now: Date;
  tz: string;
  /** Town names in the office's order. */
  towns: readonly string[];
  stuckDays: number;
  /** Leads created in the window (more may be passed; only the window counts). */
  newLeads: readonly LeadFact[];
  /** approve / reject / return audit events (only the window counts). */
  decisions: readonly AuditFact[];
  /** approvedAt of leads that completed approval (only the window counts); leadId to count each lead once. */
  approvals: readonly { leadId?: number; approvedAt: Date | null }[];
  /** Open leads (pending and returned). */
  open: readonly OpenLeadFact[];
  /** 'return' audit events of those leads (for how long a returned lead has waited). */
  returns: readonly AuditFact[];
  activities: readonly ActivityFact[];
  /** Pipeline rows of the leads that moved in the window or sit at a pre-签约 stage (see pipelineWeek). */
  stages?: readonly StageFact[];
  /** The office's pre-签约 stages. */
  pre?: PreStages;
}

export interface UpcomingItem {
  name: string;
  organizer: string | null;
  /** YYYY-MM-DD */
  startsOn: string;
  daysAway: number;
  monthOnly: boolean;
}

export interface WeeklyDigest {
  kind: 'weekly';
  period: string;
  /** The moment the digest is as of. */
  asOf: Date;
  window: Window;
  newLeads: { total: number; rows: TownKindRow[]; byKind: KindCounts };
  /** Audit events of the week (one per step decision) and the leads that completed approval. */
  decisions: { approve: number; reject: number; return: number; approvedLeads: number };
  /**
   * The week's decisions per lead, as a meeting counts them: leads that completed approval, leads that passed
   * a step and are still under approval, leads rejected, leads returned for changes (each lead once per line).
   */
  leadDecisions: { approved: number; advanced: number; rejected: number; returned: number };
  /** Pending leads at their current step, oldest first. */
  queue: WaitingItem[];
  stuckDays: number;
  /** Pending or returned leads waiting longer than stuckDays, oldest first. */
  stuck: WaitingItem[];
  activities: UpcomingItem[];
  /** What moved along the pipeline this week, and the leads in talks (接洽, 在谈). */
  pipeline: PipelineWeek;
}

export function weeklyDigest(input: WeeklyInput): WeeklyDigest {
  const { now, tz } = input;
  const window = weeklyWindow(now);
  const counted = countByTownAndKind(input.newLeads.filter((l) => within(l.createdAt, window)), input.towns);
  const decisions = { approve: 0, reject: 0, return: 0, approvedLeads: 0 };
  for (const d of input.decisions) {
    if (!within(d.createdAt, window)) continue;
    if (d.action === 'approve' || d.action === 'reject' || d.action === 'return') decisions[d.action]++;
  }
  decisions.approvedLeads = input.approvals.filter((a) => within(a.approvedAt, window)).length;
  const leadsWith = (action: string) => new Set(input.decisions.filter((d) => d.action === action && d.leadId !== null && within(d.createdAt, window)).map((d) => d.leadId));
  const approvedIds = new Set(input.approvals.filter((a) => within(a.approvedAt, window) && a.leadId !== undefined).map((a) => a.leadId));
  const rejected = leadsWith('reject');
  const returned = leadsWith('return');
  const leadDecisions = {
    approved: decisions.approvedLeads,
    advanced: [...leadsWith('approve')].filter((id) => !approvedIds.has(id as number) && !rejected.has(id) && !returned.has(id)).length,
    rejected: rejected.size,
    returned: returned.size,
  };
  const waiting = waitingItems(input.open, input.returns, now);
  return {
    kind: 'weekly',
    period: digestPeriod('weekly', now, tz),
    asOf: now,
    window,
    newLeads: { total: counted.total, rows: counted.rows, byKind: counted.byKind },
    decisions,
    leadDecisions,
    queue: waiting.filter((w) => w.status === 'pending'),
    stuckDays: input.stuckDays,
    stuck: waiting.filter((w) => isStuck(w, now, input.stuckDays)),
    activities: upcomingActivities([...input.activities], now, ACTIVITY_DAYS, tz).map((u) => ({
      name: u.activity.name,
      organizer: u.activity.organizer ?? null,
      startsOn: u.startsOn,
      daysAway: u.daysAway,
      monthOnly: u.monthOnly,
    })),
    pipeline: pipelineWeek(input.stages ?? [], window, now, input.pre),
  };
}

// ---------------------------------------------------------------------------------------------------------
// 双月例会 (bimonthly)

export interface BimonthlyInput {
  now: Date;
  tz: string;
  towns: readonly string[];
  stuckDays: number;
  /** A town lags on a metric below this share of the expected pace (office.quota.alertShare). */
  alertShare: number;
  quotas: readonly QuotaTarget[];
  /** Leads counted in the window's year under `rule` (only those counted by the progress moment count). */
  countedLeads: readonly CountedLeadFact[];
  /** Patents recorded in the year's 一月一报 answers (months up to the progress moment's count). */
  patents?: readonly PatentFact[];
  /** quota.countOn; default 'registered'. */
  rule?: CountRule;
  keyProjects: readonly KeyProjectFact[];
  /** How many key projects there are in all, when `keyProjects` holds only the first of them; default its length. */
  keyProjectsTotal?: number;
  open: readonly OpenLeadFact[];
  /** Every 'return' audit event of the open leads. */
  returns: readonly AuditFact[];
  /** LeadStage rows (only those created in the window count). */
  stages: readonly StageFact[];
  /** The year's carriers against the office's carrier targets, when carriers of that year were imported. */
  carriers?: CarrierProgress;
  /** 协调事项 open at `now` or solved in the window (more may be passed). */
  problems?: readonly ProblemFact[];
  /** The office's pre-签约 stages (labels of the movements). */
  pre?: PreStages;
}

export interface CoordinationItem extends WaitingItem {
  /** Times the lead was returned for changes (all rounds). */
  returns: number;
  stuck: boolean;
}

export interface BimonthlyDigest {
  kind: 'bimonthly';
  period: string;
  /** The moment the digest is as of (waiting times). */
  asOf: Date;
  /**
   * The moment the progress is measured at: `asOf`, or the window's last moment when the window ends in the
   * year before (a January run covers Nov–Dec and shows that year's final progress).
   */
  progressAsOf: Date;
  window: Window;
  /** "2026年9月–10月" */
  windowLabel: string;
  /** Progress of the year the window's last month is in. */
  progress: QuotaProgress;
  lagging: LaggingEntry[];
  /** tier 'key' or major, not closed; major first, then by code (the first of them: see keyProjectsTotal). */
  keyProjects: KeyProjectFact[];
  /** How many key projects there are in all. */
  keyProjectsTotal: number;
  stuckDays: number;
  /** Stuck, or returned twice or more; oldest first. */
  coordination: CoordinationItem[];
  /** Stage rows recorded in the window, newest first. */
  movements: StageFact[];
  /** Movements per stage code. */
  movementCounts: Record<string, number>;
  /** 科创载体 against the targets (area, incubators by level), when the year has carriers. */
  carriers?: CarrierProgress;
  /** 协调事项: open as of `asOf` by owner department, and solved in the window. */
  problems: ProblemRegister;
  pre: PreStages;
}

/** Returned at least this many times: the lead needs the meeting's attention. */
export const RETURNS_NEEDING_COORDINATION = 2;

export function bimonthlyDigest(input: BimonthlyInput): BimonthlyDigest {
  const { now, tz } = input;
  const w = bimonthlyWindow(now, tz);
  const { year, at: progressAsOf } = bimonthlyProgressMoment(now, tz);
  const countedByThen = input.countedLeads.filter((l) => l.countedAt && l.countedAt.getTime() <= progressAsOf.getTime());
  const lastMonth = localMonth(progressAsOf, tz);
  const progress = computeProgress(year, [...input.quotas], countedByThen, progressAsOf, tz, {
    rule: input.rule,
    patents: (input.patents ?? []).filter((p) => p.period <= lastMonth),
  });
  const returnCounts = new Map<number, number>();
  for (const a of input.returns) if (a.action === 'return' && a.leadId !== null) returnCounts.set(a.leadId, (returnCounts.get(a.leadId) ?? 0) + 1);
  const coordination = waitingItems(input.open, input.returns, now)
    .map((item) => ({ ...item, returns: returnCounts.get(item.leadId) ?? 0, stuck: isStuck(item, now, input.stuckDays) }))
    .filter((item) => item.stuck || item.returns >= RETURNS_NEEDING_COORDINATION);
  const movements = input.stages
    .filter((s) => within(s.createdAt, w))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.leadId - a.leadId);
  const movementCounts: Record<string, number> = {};
  for (const m of movements) movementCounts[m.stage] = (movementCounts[m.stage] ?? 0) + 1;
  const keyProjects = input.keyProjects
    .filter((k) => (k.tier === 'key' || k.major) && k.status !== 'rejected' && k.status !== 'withdrawn')
    .sort((a, b) => Number(b.major) - Number(a.major) || a.code.localeCompare(b.code));
  const sameYear = w.firstMonth.year === w.lastMonth.year;
  return {
    kind: 'bimonthly',
    period: digestPeriod('bimonthly', now, tz),
    asOf: now,
    progressAsOf,
    window: { from: w.from, to: w.to },
    windowLabel: sameYear
      ? `${w.firstMonth.year}年${w.firstMonth.month}月–${w.lastMonth.month}月`
      : `${w.firstMonth.year}年${w.firstMonth.month}月–${w.lastMonth.year}年${w.lastMonth.month}月`,
    progress,
    lagging: laggingTowns(progress, input.alertShare),
    keyProjects,
    keyProjectsTotal: Math.max(input.keyProjectsTotal ?? 0, keyProjects.length),
    stuckDays: input.stuckDays,
    coordination,
    movements,
    movementCounts,
    ...(input.carriers ? { carriers: input.carriers } : {}),
    problems: problemRegister(input.problems ?? [], now, localDay(now, tz), { from: w.from, to: w.to }),
    pre: input.pre ?? DEFAULT_PRE_STAGES,
  };
}

function localDay(at: Date, tz: string): string {
  const p = localParts(at, tz);
  return `${p.year}-${pad2(p.month)}-${pad2(p.day)}`;
}

// ---------------------------------------------------------------------------------------------------------
// 一月一报 (monthly)

export interface MonthlyInput {
  now: Date;
  tz: string;
  towns: readonly string[];
  /** Industry chains in the office's order. */
  industries: readonly string[];
  /** Leads created in the reported month and the month before (others are ignored). */
  leads: readonly LeadFact[];
  /** approvedAt of leads approved in those two months. */
  approvals: readonly { approvedAt: Date | null }[];
  /** 'reject' audit events of those two months. */
  rejections: readonly AuditFact[];
  /** A town lags on a metric below this share of the expected pace (office.quota.alertShare). */
  alertShare: number;
  quotas: readonly QuotaTarget[];
  /** Leads counted in the reported month's year under `rule` (only those counted before the month ends count). */
  countedLeads: readonly CountedLeadFact[];
  /** Patents recorded in the year's 一月一报 answers (months up to the reported one count). */
  patents?: readonly PatentFact[];
  /** quota.countOn; default 'registered'. */
  rule?: CountRule;
  /** 一月一报 cards of the reported month that their owners left unanswered for 7 days or more. */
  silentFollowUps?: readonly SilentFollowUp[];
  /** The reported month's 一月一报 cards, answered or not. */
  followUps?: readonly FollowUpFact[];
  /** Projects at 落地（开工） or 投产 by the end of the reported month, with their agreement and latest answer. */
  landed?: readonly LandedFact[];
}

/** One 一月一报 card of the reported month and its answer (typed fields; null/0 when not answered). */
export interface FollowUpFact {
  code: string;
  projectName: string;
  town: string;
  answered: boolean;
  /** unchanged | updated */
  answer: string | null;
  note: string | null;
  /** The stage the owner reported (none | signed | …), and the one recorded on the project. */
  reportedStage: string | null;
  recordedStage: string | null;
  investmentArrivedWan: number | null;
  inventionPatents: number;
  utilityModels: number;
  problems: string | null;
}

/** A landed project against its agreement (签约 协议投资额) and the latest 到位 an owner reported. */
export interface LandedFact {
  code: string;
  projectName: string;
  town: string;
  /** landed | producing */
  stage: string;
  agreementWan: number | null;
  /** Latest cumulative 到位投资 reported up to the reported month; null when never reported. */
  arrivedWan: number | null;
  /** The month of that report ("YYYY-MM"). */
  arrivedPeriod: string | null;
}

/** The 一月一分析 of the month's 一月一报 answers. */
export interface FollowUpSummary {
  asked: number;
  answered: number;
  /** New patents reported for the month. */
  inventionPatents: number;
  utilityModels: number;
  /** Answers whose reported stage differs from the recorded one (the owner should 登记新阶段). */
  stageMismatches: FollowUpFact[];
  /** Answers that raised a problem. */
  problems: Array<{ code: string; projectName: string; town: string; text: string }>;
  /** Landed projects, least of their agreement arrived first (never reported last). */
  landed: Array<LandedFact & { ratio: number | null }>;
  agreementWan: number;
  arrivedWan: number;
}

/** One unanswered 一月一报 card: which project, whose. */
export interface SilentFollowUp {
  code: string;
  projectName: string;
  town: string;
  ownerName: string;
}

export interface Change {
  current: number;
  previous: number;
  /** current − previous */
  change: number;
  /** change / previous, null when previous is 0. */
  ratio: number | null;
}

export interface NamedChange extends Change {
  /** Kind code or industry name. */
  key: string;
  label: string;
}

export interface MonthlyDigest {
  kind: 'monthly';
  period: string;
  /** The moment the report was made (its numbers stop at the end of the reported month). */
  asOf: Date;
  /** "2026年10月" */
  monthLabel: string;
  /** "2026年9月" */
  previousLabel: string;
  window: Window;
  totals: { newLeads: Change; approved: Change; rejected: Change };
  byKind: NamedChange[];
  /** Industries with leads in either month, most this month first; "未填写" for leads without one. */
  byIndustry: NamedChange[];
  /** Progress as of the end of the reported month. */
  progress: QuotaProgress;
  lagging: LaggingEntry[];
  /** The analysis paragraph, sentence by sentence. */
  analysis: string[];
  /** Owners who did not answer the month's 一月一报 within 7 days. */
  silentFollowUps: SilentFollowUp[];
  /** The month's 一月一报 answers and the landed projects against their agreements. */
  followUps: FollowUpSummary;
}

export const NO_INDUSTRY = '未填写';

function change(current: number, previous: number): Change {
  return { current, previous, change: current - previous, ratio: previous === 0 ? null : (current - previous) / previous };
}

export function monthlyDigest(input: MonthlyInput): MonthlyDigest {
  const { now, tz } = input;
  const w = monthlyWindows(now, tz);
  const kindCur = zeroKinds();
  const kindPrev = zeroKinds();
  const indCur = new Map<string, number>();
  const indPrev = new Map<string, number>();
  let newCur = 0;
  let newPrev = 0;
  for (const l of input.leads) {
    const cur = within(l.createdAt, w.current);
    if (!cur && !within(l.createdAt, w.previous)) continue;
    const industry = l.industry?.trim() || NO_INDUSTRY;
    if (cur) newCur++;
    else newPrev++;
    if (isKind(l.kind)) (cur ? kindCur : kindPrev)[l.kind]++;
    const m = cur ? indCur : indPrev;
    m.set(industry, (m.get(industry) ?? 0) + 1);
  }
  const count = <T>(rows: readonly T[], at: (r: T) => Date | null, win: Window) => rows.filter((r) => within(at(r), win)).length;
  const totals = {
    newLeads: change(newCur, newPrev),
    approved: change(count(input.approvals, (a) => a.approvedAt, w.current), count(input.approvals, (a) => a.approvedAt, w.previous)),
    rejected: change(
      count(input.rejections.filter((r) => r.action === 'reject'), (r) => r.createdAt, w.current),
      count(input.rejections.filter((r) => r.action === 'reject'), (r) => r.createdAt, w.previous),
    ),
  };
  const byKind: NamedChange[] = LEAD_KINDS.map((k) => ({ key: k, label: LEAD_KIND_LABELS[k], ...change(kindCur[k], kindPrev[k]) }));
  const order = officeOrder([...input.industries, NO_INDUSTRY]);
  const byIndustry: NamedChange[] = [...new Set([...indCur.keys(), ...indPrev.keys()])]
    .map((name) => ({ key: name, label: name, ...change(indCur.get(name) ?? 0, indPrev.get(name) ?? 0) }))
    .sort((a, b) => b.current - a.current || b.previous - a.previous || order(a.key, b.key));

  // Progress as it stood when the reported month ended.
  const asOf = new Date(w.current.to.getTime() - 1);
  const countedByThen = input.countedLeads.filter((l) => l.countedAt && l.countedAt.getTime() < w.current.to.getTime());
  const reported = `${w.year}-${pad2(w.month)}`;
  const progress = computeProgress(w.year, [...input.quotas], countedByThen, asOf, tz, {
    rule: input.rule,
    patents: (input.patents ?? []).filter((p) => p.period <= reported),
  });
  const followUps = followUpSummary(input.followUps ?? [], input.landed ?? []);
  const lagging = laggingTowns(progress, input.alertShare);
  const monthLabel = `${w.year}年${w.month}月`;
  const previousLabel = `${w.prevYear}年${w.prevMonth}月`;
  return {
    kind: 'monthly',
    period: digestPeriod('monthly', now, tz),
    asOf: now,
    monthLabel,
    previousLabel,
    window: w.current,
    totals,
    byKind,
    byIndustry,
    progress,
    lagging,
    analysis: [
      ...analyse(`${w.month}月`, totals, byKind, byIndustry, progress, lagging, input.towns, input.alertShare),
      ...followUpSentences(followUps),
    ],
    silentFollowUps: [...(input.silentFollowUps ?? [])],
    followUps,
  };
}

const NO_STAGE = 'none';

/** Sums the month's answers and ranks the landed projects by how much of their agreement has arrived. */
export function followUpSummary(rows: readonly FollowUpFact[], landed: readonly LandedFact[]): FollowUpSummary {
  const answered = rows.filter((r) => r.answered);
  const withRatio = landed.map((l) => ({
    ...l,
    ratio: l.agreementWan && l.agreementWan > 0 && l.arrivedWan !== null ? l.arrivedWan / l.agreementWan : null,
  }));
  withRatio.sort((a, b) => (a.ratio ?? Infinity) - (b.ratio ?? Infinity) || a.code.localeCompare(b.code));
  return {
    asked: rows.length,
    answered: answered.length,
    inventionPatents: answered.reduce((s, r) => s + r.inventionPatents, 0),
    utilityModels: answered.reduce((s, r) => s + r.utilityModels, 0),
    stageMismatches: answered.filter((r) => r.reportedStage !== null && r.reportedStage !== (r.recordedStage ?? NO_STAGE)),
    problems: answered
      .filter((r) => r.problems && r.problems.trim() !== '')
      .map((r) => ({ code: r.code, projectName: r.projectName, town: r.town, text: r.problems!.trim() })),
    landed: withRatio,
    agreementWan: landed.reduce((s, l) => s + (l.agreementWan ?? 0), 0),
    arrivedWan: landed.reduce((s, l) => s + (l.arrivedWan ?? 0), 0),
  };
}

/** The analysis sentences on the month's 一月一报 answers and the landed projects. */
function followUpSentences(f: FollowUpSummary): string[] {
  const out: string[] = [];
  if (f.asked > 0) {
    out.push(
      `一月一报发出 ${f.asked} 份，已反馈 ${f.answered} 份；新增发明专利实审 ${f.inventionPatents} 件、实用新型授权 ${f.utilityModels} 件` +
        `${f.problems.length > 0 ? `，提出需协调问题 ${f.problems.length} 项` : ''}。`,
    );
  }
  if (f.landed.length > 0) {
    const pct = f.agreementWan > 0 ? `，到位率 ${((f.arrivedWan / f.agreementWan) * 100).toFixed(1)}%` : '';
    out.push(`已落地项目 ${f.landed.length} 个，协议投资额合计 ${wan(f.agreementWan)} 万元，已到位 ${wan(f.arrivedWan)} 万元${pct}。`);
  }
  return out;
}

/** 万元 with at most one decimal and thousands separators. */
export function wan(n: number): string {
  return WAN_FORMAT.format(Math.round(n * 10) / 10);
}
// One formatter for every call: toLocaleString(…, options) builds a new Intl.NumberFormat each time (≈ 35 µs),
// which made a monthly report over 17,000 landed projects take 12 s inside fitCard's retries.
const WAN_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

// ---------------------------------------------------------------------------------------------------------
// Analysis text

/** "增加 5 项（+25.0%）" / "减少 2 项（−20.0%）" / "持平" / "增加 3 项（上月为 0）". */
export function changeText(c: Change, unit = '项'): string {
  if (c.change === 0) return '与上月持平';
  const verb = c.change > 0 ? '增加' : '减少';
  const pct = c.ratio === null ? '上月为 0' : `${c.change > 0 ? '+' : '−'}${(Math.abs(c.ratio) * 100).toFixed(1)}%`;
  return `环比${verb} ${Math.abs(c.change)} ${unit}（${pct}）`;
}

function extremes(items: readonly NamedChange[]): { rise?: NamedChange; fall?: NamedChange } {
  let rise: NamedChange | undefined;
  let fall: NamedChange | undefined;
  for (const i of items) {
    if (i.change > 0 && (!rise || i.change > rise.change)) rise = i;
    if (i.change < 0 && (!fall || i.change < fall.change)) fall = i;
  }
  return { rise, fall };
}

function extremesSentence(what: string, items: readonly NamedChange[]): string {
  const { rise, fall } = extremes(items);
  if (!rise && !fall) return `按${what}看，各${what}新增项目数与上月持平。`;
  const parts: string[] = [];
  if (rise) parts.push(`${rise.label}增幅最大（${rise.previous} → ${rise.current}，+${rise.change} 项）`);
  else parts.push(`没有${what}增长`);
  if (fall) parts.push(`${fall.label}降幅最大（${fall.previous} → ${fall.current}，−${Math.abs(fall.change)} 项）`);
  else parts.push(`没有${what}下降`);
  return `按${what}看，${parts.join('，')}。`;
}

/** Lagging towns, each with the metrics it lags on: "丁堰镇（总数、发明专利实审数）". */
export function laggingSummary(lagging: readonly LaggingEntry[], towns: readonly string[]): string[] {
  const byTown = new Map<string, string[]>();
  for (const e of lagging) byTown.set(e.town, [...(byTown.get(e.town) ?? []), METRIC_LABELS[e.metric]]);
  const order = officeOrder(towns);
  return [...byTown.entries()].sort((a, b) => order(a[0], b[0])).map(([town, metrics]) => `${town}（${metrics.join('、')}）`);
}

/** A lagging town with its overall completion, for the one ranked line of lagging towns. */
export interface RankedLagging {
  town: string;
  completion: number | null;
}

/** The towns that lag on any metric, each once, the furthest behind (lowest completion) first. */
export function rankedLagging(lagging: readonly LaggingEntry[], progress: QuotaProgress, towns: readonly string[]): RankedLagging[] {
  const names = [...new Set(lagging.map((e) => e.town))];
  const completion = new Map(progress.towns.map((t) => [t.town, t.completion]));
  const order = officeOrder(towns);
  return names
    .map((town) => ({ town, completion: completion.get(town) ?? null }))
    .sort((a, b) => (a.completion ?? 0) - (b.completion ?? 0) || order(a.town, b.town));
}

function analyse(
  month: string,
  totals: MonthlyDigest['totals'],
  byKind: readonly NamedChange[],
  byIndustry: readonly NamedChange[],
  progress: QuotaProgress,
  lagging: readonly LaggingEntry[],
  towns: readonly string[],
  alertShare: number,
): string[] {
  const out = [
    `${month}新增项目 ${totals.newLeads.current} 项，${changeText(totals.newLeads)}；审批通过 ${totals.approved.current} 项，${changeText(totals.approved)}；驳回 ${totals.rejected.current} 项，${changeText(totals.rejected)}。`,
    extremesSentence('类别', byKind),
    extremesSentence('产业方向', byIndustry),
  ];
  // No target for the year at all: nobody can be behind (or on) the pace.
  if (progress.city.completion === null) {
    out.push(`尚未导入 ${progress.year} 年任务分解表，无法评估序时进度。`);
    return out;
  }
  // The towns themselves are named once, on the card's ranked line of lagging towns.
  const lag = rankedLagging(lagging, progress, towns);
  const share = `${Math.round(alertShare * 100)}%`;
  out.push(
    lag.length === 0
      ? `截至月末，各镇区各项指标均达到序时进度的 ${share} 以上。`
      : `截至月末，${lag.length} 个镇区有指标低于序时进度的 ${share}。`,
  );
  return out;
}
