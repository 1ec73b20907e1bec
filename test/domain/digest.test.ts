// Digest content as plain data (src/features/digests/digest.ts) and its cards (src/features/digests/cards.ts): periods,
// counts, waiting times, month-over-month changes and the analysis text; cards stay valid and under 30 KB
// with 100,000 synthetic leads, and a cut list says how many were left out.
import { describe, expect, it } from 'vitest';
import { defaultOffice, LEAD_KINDS } from '../../src/office/config.ts';
import {
  bimonthlyDigest, digestPeriod, isoWeek, monthlyDigest, weeklyDigest, zonedInstant,
  type AuditFact, type KeyProjectFact, type LeadFact, type OpenLeadFact, type StageFact,
} from '../../src/features/digests/digest.ts';
import { bimonthlyCard, monthlyCard, weeklyCard } from '../../src/features/digests/cards.ts';
import { assertValidCard, cardSize, CARD_MAX_BYTES } from '../../src/platform/cards/validate.ts';
import type { CountedLeadFact, QuotaTarget } from '../../src/features/quotas/quota.ts';
import type { CardJson } from '../../src/platform/lark/types.ts';
import { cardText } from '../support/cards.ts';

const TZ = 'Asia/Shanghai';
const office = defaultOffice();
const towns = office.towns.map((t) => t.name);
/** An instant given as Shanghai wall-clock time. */
const sh = (iso: string) => new Date(`${iso}+08:00`);
const DAY = 86_400_000;

describe('periods', () => {
  it('names the ISO week of the local date', () => {
    expect(digestPeriod('weekly', sh('2026-11-23T09:17:00'), TZ)).toBe('2026-W48');
    // Sunday 22 November in UTC, already Monday 23 November in Shanghai.
    expect(digestPeriod('weekly', new Date('2026-11-22T16:30:00Z'), TZ)).toBe('2026-W48');
    expect(digestPeriod('weekly', sh('2026-11-22T23:59:00'), TZ)).toBe('2026-W47');
    // 1 January 2027 is a Friday: it belongs to the last week of 2026.
    expect(digestPeriod('weekly', sh('2027-01-01T10:00:00'), TZ)).toBe('2026-W53');
    expect(isoWeek(2026, 1, 1)).toEqual({ year: 2026, week: 1 });
    expect(isoWeek(2024, 12, 30)).toEqual({ year: 2025, week: 1 });
  });

  it('names the two-month block and the previous month', () => {
    expect(digestPeriod('bimonthly', sh('2026-11-02T09:23:00'), TZ)).toBe('2026-B6');
    expect(digestPeriod('bimonthly', sh('2026-01-05T09:23:00'), TZ)).toBe('2026-B1');
    expect(digestPeriod('monthly', sh('2026-11-01T08:37:00'), TZ)).toBe('2026-10');
    expect(digestPeriod('monthly', sh('2027-01-01T08:37:00'), TZ)).toBe('2026-12');
    // 00:37 on 1 November in Shanghai is still 31 October in UTC.
    expect(digestPeriod('monthly', new Date('2026-10-31T16:37:00Z'), TZ)).toBe('2026-10');
  });

  it('turns a wall-clock time into the instant', () => {
    expect(zonedInstant(2026, 11, 1, TZ).toISOString()).toBe('2026-10-31T16:00:00.000Z');
    expect(zonedInstant(2026, 3, 8, 'America/New_York', 12).toISOString()).toBe('2026-03-08T16:00:00.000Z');
  });
});

function open(o: Partial<OpenLeadFact> & Pick<OpenLeadFact, 'leadId' | 'status'>): OpenLeadFact {
  return { code: `KZ-2026-${String(o.leadId).padStart(4, '0')}`, projectName: `项目${o.leadId}`, town: '丁堰镇', kind: 'tech', step: null, stepStartedAt: null, updatedAt: sh('2026-01-01T00:00:00'), ...o };
}

describe('weekly digest', () => {
  const now = sh('2026-11-23T09:17:00');
  const lead = (town: string, kind: string, at: string): LeadFact => ({ town, kind, createdAt: sh(at) });
  const digest = weeklyDigest({
    now,
    tz: TZ,
    towns,
    stuckDays: 7,
    newLeads: [
      lead('丁堰镇', 'tech', '2026-11-17T10:00:00'),
      lead('丁堰镇', 'talent', '2026-11-20T10:00:00'),
      lead('白蒲镇', 'tech', '2026-11-19T10:00:00'),
      lead('白蒲镇', 'tech', '2026-11-16T09:17:00'), // exactly at the start: counted
      lead('长江镇', 'fund', '2026-11-21T10:00:00'),
      lead('丁堰镇', 'tech', '2026-11-16T09:16:59'), // before the window
      lead('丁堰镇', 'tech', '2026-11-23T09:17:00'), // at the end: next week's
    ],
    decisions: [
      { action: 'approve', leadId: 1, createdAt: sh('2026-11-18T10:00:00') },
      { action: 'approve', leadId: 3, createdAt: sh('2026-11-21T10:00:00') },
      { action: 'reject', leadId: 4, createdAt: sh('2026-11-22T10:00:00') },
      { action: 'return', leadId: 6, createdAt: sh('2026-11-17T10:00:00') },
      { action: 'transfer', leadId: 6, createdAt: sh('2026-11-17T11:00:00') },
      { action: 'approve', leadId: 9, createdAt: sh('2026-11-10T10:00:00') },
    ],
    approvals: [{ leadId: 3, approvedAt: sh('2026-11-22T10:00:00') }, { approvedAt: sh('2026-11-01T10:00:00') }, { approvedAt: null }],
    open: [
      open({ leadId: 1, status: 'pending', step: 'review', stepStartedAt: sh('2026-11-18T14:00:00') }),
      open({ leadId: 2, status: 'pending', step: 'prereview', stepStartedAt: sh('2026-11-20T10:00:00') }),
      open({ leadId: 5, status: 'pending', step: 'signoff', stepStartedAt: sh('2026-11-03T10:00:00') }),
      open({ leadId: 6, status: 'returned', updatedAt: sh('2026-11-17T10:00:00') }),
      open({ leadId: 7, status: 'returned', updatedAt: sh('2026-11-20T10:00:00') }),
      open({ leadId: 8, status: 'pending', step: 'review', stepStartedAt: sh('2026-11-24T10:00:00') }), // after `now`
    ],
    returns: [
      { action: 'return', leadId: 7, createdAt: sh('2026-11-02T10:00:00') }, // returned 21 days ago
    ],
    activities: [
      { year: 2026, date: new Date(Date.UTC(2026, 10, 28)), allYear: false, name: '科技招商推介会' },
      { year: 2026, date: new Date(Date.UTC(2026, 11, 10)), allYear: false, name: '远期活动' },
      { year: 2026, month: 12, allYear: false, name: '十二月专场', organizer: '市科技局' },
      { year: 2026, allYear: true, name: '全年活动' },
    ],
  });

  it('counts new leads in the 7 days before the run, by town and kind', () => {
    expect(digest.period).toBe('2026-W48');
    expect(digest.newLeads.total).toBe(5);
    expect(digest.newLeads.byKind).toEqual({ tech: 3, talent: 1, platform: 0, service: 0, fund: 1 });
    expect(digest.newLeads.rows.map((r) => [r.town, r.total])).toEqual([['丁堰镇', 2], ['白蒲镇', 2], ['长江镇', 1]]);
    expect(digest.newLeads.rows[0].byKind).toEqual({ tech: 1, talent: 1, platform: 0, service: 0, fund: 0 });
  });

  it('counts the decisions of the week from the audit trail', () => {
    expect(digest.decisions).toEqual({ approve: 2, reject: 1, return: 1, approvedLeads: 1 });
  });

  it('counts the decisions per lead, not per step approval', () => {
    const twoSteps = weeklyDigest({
      now: sh('2026-11-23T09:17:00'), tz: TZ, towns, stuckDays: 7, newLeads: [], open: [], returns: [], activities: [],
      decisions: [
        // Lead 1 passed 预审, 初审 and 审签 this week: one lead approved, not three approvals.
        { action: 'approve', leadId: 1, createdAt: sh('2026-11-17T10:00:00') },
        { action: 'approve', leadId: 1, createdAt: sh('2026-11-18T10:00:00') },
        { action: 'approve', leadId: 1, createdAt: sh('2026-11-19T10:00:00') },
        // Lead 2 passed two steps and waits at 审签; lead 3 passed one and was then returned.
        { action: 'approve', leadId: 2, createdAt: sh('2026-11-18T10:00:00') },
        { action: 'approve', leadId: 2, createdAt: sh('2026-11-20T10:00:00') },
        { action: 'approve', leadId: 3, createdAt: sh('2026-11-18T10:00:00') },
        { action: 'return', leadId: 3, createdAt: sh('2026-11-19T10:00:00') },
      ],
      approvals: [{ leadId: 1, approvedAt: sh('2026-11-19T10:00:00') }],
    });
    expect(twoSteps.leadDecisions).toEqual({ approved: 1, advanced: 1, rejected: 0, returned: 1 });
    expect(cardText(weeklyCard(twoSteps, TZ))).toContain('审批通过 1 项 · 通过某一环节、仍在审批 1 项 · 驳回 0 项 · 退回修改 1 项');
    expect(cardText(weeklyCard(twoSteps, TZ))).not.toMatch(/同意 \d+ 次/);
  });

  it('lists the pending queue oldest first with whole days waited, and what is stuck', () => {
    expect(digest.queue.map((q) => [q.leadId, q.step, q.days])).toEqual([[5, 'signoff', 19], [1, 'review', 4], [2, 'prereview', 2]]);
    // 5: signoff 19 days; 7: returned 20 days ago (its last return); 6 waits 5 days: not stuck.
    expect(digest.stuck.map((q) => [q.leadId, q.status, q.days])).toEqual([[7, 'returned', 20], [5, 'pending', 19]]);
  });

  it('puts 重点类 first in the pending queue and marks them 【重点】', () => {
    const tiered = weeklyDigest({
      now, tz: TZ, towns, stuckDays: 7, newLeads: [], decisions: [], approvals: [], returns: [], activities: [],
      open: [
        open({ leadId: 21, status: 'pending', step: 'review', stepStartedAt: sh('2026-11-10T10:00:00'), tier: 'regular' }),
        open({ leadId: 22, status: 'pending', step: 'review', stepStartedAt: sh('2026-11-20T10:00:00'), tier: 'key' }),
        open({ leadId: 23, status: 'pending', step: 'review', stepStartedAt: sh('2026-11-12T10:00:00'), tier: 'potential' }),
      ],
    });
    expect(tiered.queue.map((q) => q.leadId)).toEqual([22, 21, 23]);
    const text = cardText(weeklyCard(tiered, TZ));
    expect(text).toContain('KZ-2026-0022 | 【重点】项目22（丁堰镇）');
    expect(text).toContain('KZ-2026-0021 | 项目21（丁堰镇）');
  });

  it('lists activities of the next 14 days, soonest first', () => {
    expect(digest.activities.map((a) => [a.name, a.startsOn, a.daysAway, a.monthOnly])).toEqual([
      ['科技招商推介会', '2026-11-28', 5, false],
      ['十二月专场', '2026-12-01', 8, true],
    ]);
  });

  it('renders what a person reads in the meeting', () => {
    const card = weeklyCard(digest, TZ);
    assertValidCard(card);
    const text = cardText(card);
    expect(text).toContain('周例会简报 · 2026年第48周');
    expect(text).toContain('统计区间：11月16日 — 11月23日'); // days, no clock times
    expect(text).not.toMatch(/\d{2}:\d{2}/);
    expect(text).toContain('**新增 5 项 · 推进 0 项 · 在谈 0 项 · 审批通过 1 项 · 待审批 3 项 · 停滞 2 项**'); // key figures first
    expect(text).toContain('本周新增项目 5 项');
    expect(text).toContain('科创类 3 · 人才类 1 · 平台类 0 · 服务类 0 · 基金类 1');
    expect(text).toContain('丁堰镇 | 2 | 科创类 1、人才类 1');
    expect(text).toContain('合计 | 5 | 科创类 3、人才类 1、基金类 1');
    expect(text).toContain('审批通过 1 项 · 通过某一环节、仍在审批 1 项 · 驳回 1 项 · 退回修改 1 项');
    expect(text).toContain('待审批 3 项');
    expect(text).toContain('KZ-2026-0005 | 项目5（丁堰镇） | 待审签 | ⚠️\u00a019'); // stuck: marked in the queue, not listed twice
    expect(text).toContain('停滞超过 7 天 2 项');
    expect(text).toContain('待审批 1 项（上表 ⚠️ 标出）；退回待修改 1 项：');
    expect(text).toContain('KZ-2026-0007 | 项目7（丁堰镇） | 退回修改（待登记人修改） | 20');
    expect(text.split('KZ-2026-0005')).toHaveLength(2);
    // Every table is at most four columns, and a code has a column wide enough not to wrap.
    const tables = (card.body as { elements: Array<{ tag: string; columns?: Array<{ name: string; width?: string }> }> }).elements.filter((e) => e.tag === 'table');
    for (const t of tables) expect(t.columns!.length).toBeLessThanOrEqual(4);
    for (const t of tables) for (const c of t.columns!) if (c.name === 'code') expect(c.width).toBe('110px');
    expect(text).toContain('11月28日（5 天后） 科技招商推介会');
    expect(text).toContain('12月（具体日期待定） 十二月专场 · 主办：市科技局');
    expect(text).not.toContain('远期活动');
    expect(text).not.toContain('另有');
    const charts = (card.body as { elements: Array<{ tag: string; chart_spec?: { title: { text: string }; data: Array<{ values: unknown[] }> } }> }).elements.filter((e) => e.tag === 'chart');
    // One bar per town (kinds are in the table: five bars per town do not fit a phone).
    expect(charts.map((c) => c.chart_spec!.title.text)).toEqual(['本周新增项目按镇区（项）', '待审批项目按环节（项）']);
    expect(charts[0].chart_spec!.data[0].values).toContainEqual({ category: '白蒲镇', series: '新增', value: 2 });
    expect(charts[1].chart_spec!.data[0].values).toEqual([
      { category: '待预审', series: '待审批', value: 1 }, { category: '待初审', series: '待审批', value: 1 }, { category: '待审签', series: '待审批', value: 1 },
    ]);
  });
});

describe('bimonthly digest', () => {
  const now = sh('2026-11-25T10:00:00');
  const quotas: QuotaTarget[] = [
    { year: 2026, town: '丁堰镇', metric: 'projects', target: 10 },
    { year: 2026, town: '丁堰镇', metric: 'invention_patents', target: 5 },
    { year: 2026, town: '白蒲镇', metric: 'projects', target: 4 },
    { year: 2025, town: '白蒲镇', metric: 'projects', target: 99 },
  ];
  const approved = (town: string, kind: string, at: string): CountedLeadFact => ({ town, kind, countedAt: sh(at) });
  const key = (k: Partial<KeyProjectFact> & Pick<KeyProjectFact, 'leadId'>): KeyProjectFact => ({
    code: `KZ-2026-${String(k.leadId).padStart(4, '0')}`, projectName: `项目${k.leadId}`, town: '丁堰镇', kind: 'tech', tier: null, major: false, status: 'approved', step: null, stage: null, investmentWan: null, ...k,
  });
  const stage = (leadId: number, code: string, at: string): StageFact => ({ leadId, code: `KZ-2026-${String(leadId).padStart(4, '0')}`, projectName: `项目${leadId}`, town: '白蒲镇', stage: code, date: sh(at), createdAt: sh(at) });
  const digest = bimonthlyDigest({
    now,
    tz: TZ,
    towns,
    stuckDays: 7,
    alertShare: 0.8,
    quotas,
    // 4 invention patents recorded in 丁堰镇's March 一月一报; December's come after the progress moment.
    patents: [
      { town: '丁堰镇', period: '2026-03', inventionPatents: 4, utilityModels: 0 },
      { town: '丁堰镇', period: '2026-12', inventionPatents: 7, utilityModels: 0 },
    ],
    countedLeads: [
      approved('丁堰镇', 'tech', '2026-03-10T10:00:00'),
      approved('丁堰镇', 'talent', '2026-06-10T10:00:00'),
      approved('白蒲镇', 'tech', '2026-11-20T10:00:00'),
      approved('白蒲镇', 'tech', '2026-12-20T10:00:00'), // after `now`
      approved('白蒲镇', 'tech', '2025-12-20T10:00:00'), // last year
    ],
    keyProjects: [
      key({ leadId: 9, tier: 'key', stage: 'registered' }),
      key({ leadId: 11, tier: 'regular', major: true, status: 'pending', step: 'signoff' }),
      key({ leadId: 12, tier: 'key', status: 'rejected' }),
    ],
    open: [
      open({ leadId: 1, status: 'pending', step: 'review', stepStartedAt: sh('2026-11-18T14:00:00') }),
      open({ leadId: 5, status: 'pending', step: 'signoff', stepStartedAt: sh('2026-11-03T10:00:00') }),
      open({ leadId: 6, status: 'returned' }),
      open({ leadId: 13, status: 'pending', step: 'review', stepStartedAt: sh('2026-11-24T10:00:00') }),
    ],
    returns: [
      { action: 'return', leadId: 6, createdAt: sh('2026-10-25T10:00:00') },
      { action: 'return', leadId: 6, createdAt: sh('2026-11-20T10:00:00') },
      { action: 'return', leadId: 13, createdAt: sh('2026-09-25T10:00:00') },
      { action: 'return', leadId: 13, createdAt: sh('2026-10-25T10:00:00') },
    ],
    stages: [
      stage(9, 'signed', '2026-09-15T10:00:00'),
      stage(9, 'registered', '2026-10-20T10:00:00'),
      stage(10, 'signed', '2026-11-05T10:00:00'), // after the window
      stage(14, 'signed', '2026-08-31T23:59:00'), // before it
    ],
  });

  it('measures each town against its yearly quota and the pace', () => {
    const dy = digest.progress.towns.find((t) => t.town === '丁堰镇')!;
    expect(dy.metrics.projects.done).toBe(2);
    expect(dy.metrics.invention_patents.done).toBe(4);
    expect(dy.completion).toBeCloseTo((2 / 10 + 4 / 5) / 2, 9);
    const bp = digest.progress.towns.find((t) => t.town === '白蒲镇')!;
    expect(bp.metrics.projects).toMatchObject({ done: 1, target: 4 });
    expect(digest.lagging.map((l) => [l.town, l.metric])).toEqual([['丁堰镇', 'projects'], ['白蒲镇', 'projects']]);
  });

  it('keeps open key and major projects, coordination items and the movements of the last two months', () => {
    expect(digest.keyProjects.map((k) => k.leadId)).toEqual([11, 9]);
    expect(digest.coordination.map((c) => [c.leadId, c.stuck, c.returns])).toEqual([[5, true, 0], [6, false, 2], [13, false, 2]]);
    expect(digest.windowLabel).toBe('2026年9月–10月');
    expect(digest.movements.map((m) => [m.leadId, m.stage])).toEqual([[9, 'registered'], [9, 'signed']]);
    expect(digest.movementCounts).toEqual({ registered: 1, signed: 1 });
  });

  it('renders the table and lists', () => {
    const card = bimonthlyCard(digest, TZ);
    assertValidCard(card);
    const text = cardText(card);
    // One period label: the title and the body name the same two months.
    expect(text).toContain('双月例会简报 · 2026年9月–10月');
    expect(text).toContain('统计区间：2026年9月–10月；任务进度截至 11月25日');
    expect(text).not.toContain('11–12月');
    expect(text).not.toMatch(/\d{2}:\d{2}/);
    expect(text).toContain('丁堰镇 | 2/10 | 50.0% | 滞后');
    expect(text).toContain('白蒲镇 | 1/4 | 25.0% | 滞后');
    expect(text).toContain('全市 | 3/14 | 50.7% | ');
    expect(text).toContain('**丁堰镇**：发明专利 4/5 · 实用新型 — · 平台类 — · 基金类 —'); // in the folded panel
    // Lagging towns: one ranked line, each town once, the furthest behind first.
    expect(text).toContain('**滞后镇区 2 个**（综合完成率由低到高）：白蒲镇 25.0% · 丁堰镇 50.0%');
    expect(text).toContain('KZ-2026-0011 | 【重大】项目11（丁堰镇，科创类） | 待审签');
    expect(text).toContain('KZ-2026-0009 | 项目9（丁堰镇，科创类） | 注册');
    expect(text).not.toContain('KZ-2026-0012');
    expect(text).toContain('审批需协调 3 项');
    expect(text).toContain('KZ-2026-0005 | 项目5（丁堰镇） | 待审签 | 停滞 22 天');
    expect(text).toContain('KZ-2026-0006 | 项目6（丁堰镇） | 退回修改（待登记人修改） | 退回 2 次');
    expect(text).toContain('项目进展 2 项');
    expect(text).toContain('KZ-2026-0009 | 项目9（白蒲镇） | 注册 | 10月20日');
    const els = (card.body as { elements: Array<{ tag: string; columns?: Array<{ name: string; width?: string }> }> }).elements;
    for (const t of els.filter((e) => e.tag === 'table')) expect(t.columns!.length).toBeLessThanOrEqual(4);
    expect(els.filter((e) => e.tag === 'collapsible_panel')).toHaveLength(1);
    expect(text).toContain('签约 1');
  });

  it('in January shows the final progress of the year the Nov–Dec window belongs to', () => {
    const january = bimonthlyDigest({
      now: sh('2027-01-04T09:23:00'), // the first Monday of January 2027
      tz: TZ,
      towns,
      stuckDays: 7,
      alertShare: 0.8,
      quotas: [...quotas, { year: 2027, town: '丁堰镇', metric: 'projects', target: 50 }],
      countedLeads: [
        approved('丁堰镇', 'tech', '2026-03-10T10:00:00'),
        approved('丁堰镇', 'tech', '2026-12-31T23:00:00'),
        approved('丁堰镇', 'tech', '2027-01-02T10:00:00'), // the new year: not in 2026's result
      ],
      keyProjects: [],
      open: [],
      returns: [],
      stages: [],
    });
    expect(january.windowLabel).toBe('2026年11月–12月');
    expect(january.progress.year).toBe(2026);
    expect(january.progressAsOf).toEqual(new Date(sh('2027-01-01T00:00:00').getTime() - 1));
    expect(january.progress.share).toBeCloseTo(1, 6);
    const dy = january.progress.towns.find((t) => t.town === '丁堰镇')!;
    expect(dy.metrics.projects).toMatchObject({ done: 2, target: 10 });
    const text = cardText(bimonthlyCard(january, TZ));
    expect(text).toContain('2026 年任务进度');
    expect(text).toContain('任务进度截至 12月31日');
    expect(text).toContain('丁堰镇 | 2/10 |');
    // Any other month measures the current year as of the run.
    expect(digest.progress.year).toBe(2026);
    expect(digest.progressAsOf).toEqual(now);
  });
});

describe('monthly report', () => {
  const now = sh('2026-12-01T08:37:00');
  const lead = (kind: string, industry: string | null, at: string): LeadFact => ({ town: '丁堰镇', kind, industry, createdAt: sh(at) });
  const leads: LeadFact[] = [
    // November (reported): tech 3, talent 2, fund 1; 氢能 3, 合成生物学 2, no industry 1
    lead('tech', '氢能', '2026-11-01T00:00:00'),
    lead('tech', '氢能', '2026-11-15T10:00:00'),
    lead('tech', '氢能', '2026-11-30T23:59:59'),
    lead('talent', '合成生物学', '2026-11-03T10:00:00'),
    lead('talent', '合成生物学', '2026-11-04T10:00:00'),
    lead('fund', null, '2026-11-05T10:00:00'),
    // October: tech 2, service 2; 氢能 1, 大健康 3
    lead('tech', '氢能', '2026-10-05T10:00:00'),
    lead('tech', '大健康', '2026-10-06T10:00:00'),
    lead('service', '大健康', '2026-10-07T10:00:00'),
    lead('service', '大健康', '2026-10-31T23:59:59'),
    // neither
    lead('tech', '氢能', '2026-09-30T23:59:59'),
    lead('tech', '氢能', '2026-12-01T00:00:00'),
  ];
  const digest = monthlyDigest({
    now,
    tz: TZ,
    towns,
    industries: office.industries,
    alertShare: 0.8,
    leads,
    approvals: [{ approvedAt: sh('2026-11-10T10:00:00') }, { approvedAt: sh('2026-11-11T10:00:00') }, { approvedAt: sh('2026-10-11T10:00:00') }],
    rejections: [{ action: 'reject', leadId: 1, createdAt: sh('2026-10-11T10:00:00') }, { action: 'reject', leadId: 2, createdAt: sh('2026-10-12T10:00:00') }],
    quotas: [{ year: 2026, town: '丁堰镇', metric: 'projects', target: 12 }, { year: 2026, town: '白蒲镇', metric: 'projects', target: 2 }],
    countedLeads: [
      { town: '丁堰镇', kind: 'tech', countedAt: sh('2026-05-10T10:00:00') },
      { town: '白蒲镇', kind: 'tech', countedAt: sh('2026-06-10T10:00:00') },
      { town: '白蒲镇', kind: 'tech', countedAt: sh('2026-11-10T10:00:00') },
      { town: '白蒲镇', kind: 'tech', countedAt: sh('2026-12-01T00:00:00') }, // December
    ],
  });

  it('reports the previous month against the month before', () => {
    expect(digest.period).toBe('2026-11');
    expect(digest.totals.newLeads).toMatchObject({ current: 6, previous: 4, change: 2 });
    expect(digest.totals.newLeads.ratio).toBeCloseTo(0.5, 9);
    expect(digest.totals.approved).toMatchObject({ current: 2, previous: 1, change: 1 });
    expect(digest.totals.rejected).toMatchObject({ current: 0, previous: 2, change: -2 });
    expect(Object.fromEntries(digest.byKind.map((k) => [k.key, [k.current, k.previous]]))).toEqual({ tech: [3, 2], talent: [2, 0], platform: [0, 0], service: [0, 2], fund: [1, 0] });
    expect(digest.byIndustry.map((i) => [i.label, i.current, i.previous])).toEqual([['氢能', 3, 1], ['合成生物学', 2, 0], ['未填写', 1, 0], ['大健康', 0, 3]]);
  });

  it('measures quotas as of the end of the month', () => {
    const bp = digest.progress.towns.find((t) => t.town === '白蒲镇')!;
    expect(bp.metrics.projects.done).toBe(2);
    expect(digest.progress.share).toBeCloseTo(1 - 31 / 365, 6);
    expect(digest.lagging.map((l) => l.town)).toEqual(['丁堰镇']);
  });

  it('writes the analysis from the numbers', () => {
    expect(digest.analysis).toEqual([
      '11月新增项目 6 项，环比增加 2 项（+50.0%）；审批通过 2 项，环比增加 1 项（+100.0%）；驳回 0 项，环比减少 2 项（−100.0%）。',
      '按类别看，人才类增幅最大（0 → 2，+2 项），服务类降幅最大（2 → 0，−2 项）。',
      '按产业方向看，氢能增幅最大（1 → 3，+2 项），大健康降幅最大（3 → 0，−3 项）。',
      '截至月末，1 个镇区有指标低于序时进度的 80%。',
    ]);
  });

  it('renders totals, the analysis and three charts', () => {
    const card = monthlyCard(digest, TZ);
    assertValidCard(card);
    const text = cardText(card);
    expect(text).toContain('一月一报 · 2026年11月');
    expect(text).toContain('新增项目 | 6 | 4 | +2（+50.0%）');
    expect(text).toContain('驳回 | 0 | 2 | −2（−100.0%）');
    expect(text).toContain('人才类增幅最大');
    const charts = (card.body as { elements: Array<{ tag: string; chart_spec?: { type: string; data: Array<{ values: unknown[] }> } }> }).elements.filter((e) => e.tag === 'chart');
    expect(charts.map((c) => c.chart_spec!.type)).toEqual(['pie', 'bar', 'bar']);
    expect(charts[0].chart_spec!.data[0].values).toEqual([{ name: '科创类', value: 3 }, { name: '人才类', value: 2 }, { name: '基金类', value: 1 }]);
    expect(charts[1].chart_spec!.data[0].values).toContainEqual({ category: '大健康', series: '上月', value: 3 });
    expect(charts[2].chart_spec!.data[0].values).toContainEqual({ category: '白蒲镇', series: '综合完成率', value: 100 });
    expect(charts[2].chart_spec!.data[0].values).toContainEqual({ category: '丁堰镇', series: '综合完成率', value: 8.3 });
    // 序时进度 is a reference line, not a bar beside every town.
    expect(charts[2].chart_spec!.data[0].values).not.toContainEqual(expect.objectContaining({ series: '序时进度' }));
    expect(JSON.stringify(charts[2].chart_spec)).toContain('"markLine":[{"y":91.5,"label":{"visible":true,"text":"序时进度 91.5%"');
    // The lagging towns are named once: the analysis counts them, the ranked line names them.
    expect(text.split('丁堰镇 8.3%')).toHaveLength(2);
    expect(text).toContain('**滞后镇区 1 个**（综合完成率由低到高）：丁堰镇 8.3%');
    expect(text).not.toContain('丁堰镇（总数）');
  });

  it('says so when nothing changed', () => {
    const quiet = monthlyDigest({ now, tz: TZ, towns, industries: office.industries, alertShare: 0.8, leads: [], approvals: [], rejections: [], quotas: [], countedLeads: [] });
    expect(quiet.analysis[0]).toBe('11月新增项目 0 项，与上月持平；审批通过 0 项，与上月持平；驳回 0 项，与上月持平。');
    expect(quiet.analysis[1]).toBe('按类别看，各类别新增项目数与上月持平。');
    // No quota for the year: the pace cannot be judged, rather than "every town is on pace".
    expect(quiet.analysis[3]).toBe('尚未导入 2026 年任务分解表，无法评估序时进度。');
    const card = monthlyCard(quiet, TZ);
    assertValidCard(card);
    expect(cardText(card)).toContain('尚未导入 2026 年任务分解表');
    expect(cardText(card)).not.toContain('均达到序时进度');
  });
});

// ---- 100,000 synthetic leads: the renderer must cut its lists to fit 30 KB ----------------------------

const N = 100_000;

function big() {
  const now = sh('2026-12-01T08:37:00');
  const leads: LeadFact[] = [];
  const openLeads: OpenLeadFact[] = [];
  const audits: AuditFact[] = [];
  const approvedLeads: CountedLeadFact[] = [];
  const keyProjects: KeyProjectFact[] = [];
  const stages: StageFact[] = [];
  for (let i = 0; i < N; i++) {
    const createdAt = new Date(now.getTime() - (i % 60) * DAY - 3600_000);
    const town = towns[i % towns.length];
    const kind = LEAD_KINDS[i % LEAD_KINDS.length];
    const code = `KZ-2026-${String(i + 1).padStart(6, '0')}`;
    const projectName = `氢能储能一体化示范项目（二期）第${i + 1}号`;
    leads.push({ town, kind, industry: `产业方向${i % 40}`, createdAt });
    openLeads.push({ leadId: i + 1, code, projectName, town, kind, status: i % 2 ? 'pending' : 'returned', step: 'review', stepStartedAt: new Date(createdAt.getTime() - 20 * DAY), updatedAt: createdAt });
    audits.push({ action: 'return', leadId: i + 1, createdAt: new Date(createdAt.getTime() - 30 * DAY) }, { action: 'return', leadId: i + 1, createdAt: new Date(createdAt.getTime() - 25 * DAY) });
    approvedLeads.push({ town, kind, countedAt: createdAt });
    keyProjects.push({ leadId: i + 1, code, projectName, town, kind, tier: 'key', major: i % 3 === 0, status: 'approved', step: null, stage: 'signed', investmentWan: 1000 });
    stages.push({ leadId: i + 1, code, projectName, town, stage: 'signed', date: new Date(Date.UTC(2026, 9, 1)), createdAt: sh('2026-10-01T10:00:00') });
  }
  const quotas: QuotaTarget[] = towns.map((town) => ({ year: 2026, town, metric: 'projects', target: 10_000 }));
  const activities = Array.from({ length: 500 }, (_, i) => ({ year: 2026, date: new Date(Date.UTC(2026, 11, 1 + (i % 14))), allYear: false, name: `活动${i + 1}` }));
  return { now, leads, openLeads, audits, approvedLeads, keyProjects, stages, quotas, activities };
}

type Element = { tag: string; content?: string; rows?: unknown[] };

/** Each table on the card with the "另有 N 项" count written right after it (0 when none). */
function tablesWithRest(card: CardJson): Array<{ rows: number; rest: number }> {
  const els = (card.body as { elements: Element[] }).elements;
  const out: Array<{ rows: number; rest: number }> = [];
  els.forEach((e, i) => {
    if (e.tag !== 'table') return;
    const next = els[i + 1];
    const m = next?.tag === 'markdown' ? /另有 (\d+) 项/.exec(next.content ?? '') : null;
    out.push({ rows: e.rows!.length, rest: m ? Number(m[1]) : 0 });
  });
  return out;
}

function fits(card: CardJson): void {
  assertValidCard(card);
  expect(cardSize(card)).toBeLessThanOrEqual(CARD_MAX_BYTES);
}

describe(`cards over ${N.toLocaleString('en-US')} leads`, () => {
  const data = big();

  it('weekly: valid, under 30 KB, every cut list ends with the count left out and where to see it', () => {
    const d = weeklyDigest({ now: data.now, tz: TZ, towns, stuckDays: 7, newLeads: data.leads, decisions: data.audits, approvals: [], open: data.openLeads, returns: data.audits, activities: data.activities });
    expect(d.queue.length).toBe(N / 2);
    const card = weeklyCard(d, TZ);
    fits(card);
    const [byTown, queue, stuck] = tablesWithRest(card);
    expect(byTown.rest).toBe(0);
    expect(queue.rows).toBeGreaterThan(10);
    expect(queue.rows + queue.rest).toBe(N / 2);
    expect(stuck.rows + stuck.rest).toBe(N / 2); // the returned ones; the pending ones are marked ⚠️ in the queue
    const text = cardText(card);
    expect(text).toContain(`待审批 ${N / 2} 项`);
    expect(text).toContain(`停滞超过 7 天 ${N} 项`);
    expect(text).toMatch(/另有 \d+ 项…，发送「\/lead 项目编号」查看项目详情，「\/find 关键词」查找项目/);
    expect(text).toMatch(/另有 \d+ 项…，发送 \/activities 查看全年活动安排$/m); // the activity list, cut too
  });

  it('bimonthly: valid, under 30 KB, counts add up', () => {
    const d = bimonthlyDigest({ now: data.now, tz: TZ, towns, stuckDays: 7, alertShare: 0.8, quotas: data.quotas, countedLeads: data.approvedLeads, keyProjects: data.keyProjects, open: data.openLeads, returns: data.audits, stages: data.stages });
    const card = bimonthlyCard(d, TZ);
    fits(card);
    const [progress, key, coordination, movements] = tablesWithRest(card);
    expect(progress.rows).toBe(towns.length + 1);
    expect(key.rows + key.rest).toBe(N);
    expect(coordination.rows + coordination.rest).toBe(N);
    expect(movements.rows + movements.rest).toBe(N);
  });

  it('bimonthly: when the store read only the first 500 key projects, the card counts them all', () => {
    const first = data.keyProjects.slice(0, 500);
    const d = bimonthlyDigest({ now: data.now, tz: TZ, towns, stuckDays: 7, alertShare: 0.8, quotas: data.quotas, countedLeads: data.approvedLeads, keyProjects: first, keyProjectsTotal: N, open: [], returns: [], stages: [] });
    const card = bimonthlyCard(d, TZ);
    fits(card);
    const [, key] = tablesWithRest(card);
    expect(key.rows + key.rest).toBe(N);
    expect(cardText(card)).toContain(`重点项目 ${N} 项`);
  });

  it('monthly: valid and under 30 KB, charts keep at most 12 industries plus 其他', () => {
    const d = monthlyDigest({ now: data.now, tz: TZ, towns, industries: office.industries, alertShare: 0.8, leads: data.leads, approvals: data.approvedLeads.map((l) => ({ approvedAt: l.countedAt })), rejections: data.audits, quotas: data.quotas, countedLeads: data.approvedLeads });
    const card = monthlyCard(d, TZ);
    fits(card);
    const bar = (card.body as { elements: Array<{ tag: string; chart_spec?: { data: Array<{ values: Array<{ category: string }> }> } }> }).elements.filter((e) => e.tag === 'chart')[1];
    const categories = new Set(bar.chart_spec!.data[0].values.map((v) => v.category));
    expect(categories.size).toBe(13);
    expect(categories.has('其他（28 项）')).toBe(true);
  });
});
