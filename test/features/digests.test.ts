// Scheduled digests end to end: /subscribe and /unsubscribe (admins, per chat), the weekly, bimonthly and
// monthly jobs run as of chosen times over seeded rows (the numbers a person reads on the card), exactly
// once per period and chat (a second run, a restart after a missed Monday, two instances at once, and
// `npm run job` as a child process), /digest on demand, and leaders by p2p.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, cardOf } from '../support/harness.ts';
import { cardText } from '../support/cards.ts';
import { ROOT, runToEnd, type Finished } from '../support/process.ts';
import { testProvider } from '../support/db.ts';
import { assertValidCard, cardSize, CARD_MAX_BYTES } from '../../src/platform/cards/validate.ts';
import { bimonthlyDigestJob, monthlyReportJob, weeklyDigestJob } from '../../src/features/digests/jobs.ts';
import { STANDIN_APP_ID, STANDIN_APP_SECRET, type DeliveredMessage } from '../../src/sandbox/standin.ts';
import type { Services } from '../../src/platform/bot/services.ts';
import { createScheduler } from '../../src/platform/jobs/scheduler.ts';
import { JOBS } from '../../src/jobs.ts';
import { defaultOffice } from '../../src/office/config.ts';
import { activityRemindersJob } from '../../src/features/activities/reminders.ts';
import type { JobDef, JobResult } from '../../src/platform/jobs/scheduler.ts';

const ADMIN = 'ou_admin0001';
const STAFF = 'ou_staff0001';
const LEADER = 'ou_leader001';
const GROUP_A = 'oc_digest_group_a';
const GROUP_B = 'oc_digest_group_b';

/** An instant given as Shanghai wall-clock time. */
const sh = (iso: string) => new Date(`${iso}+08:00`);

// The service's clock: Wednesday 25 November 2026, 10:00 in Shanghai, moving with real time.
const BASE = sh('2026-11-25T10:00:00').getTime();
const started = Date.now();
const clock = () => new Date(BASE + (Date.now() - started));

let bot: TestBot;
const prisma = () => bot.app.database.prisma;

/** Header titles of the cards delivered to a chat (or a user's p2p chat), in order. */
function titles(chatOrOpenId: string): string[] {
  return bot.messagesTo(chatOrOpenId).filter((m) => m.msgType === 'interactive').map((m) => ((cardOf(m).header as { title: { content: string } }).title.content));
}

function lastCard(chatId: string, title: string): DeliveredMessage {
  const found = bot.messagesTo(chatId).filter((m) => m.msgType === 'interactive' && (cardOf(m).header as { title: { content: string } }).title.content === title);
  if (!found.length) throw new Error(`no card "${title}" in ${chatId}: ${JSON.stringify(titles(chatId))}`);
  return found[found.length - 1];
}

function textOf(message: DeliveredMessage): string {
  const card = cardOf(message);
  assertValidCard(card);
  expect(cardSize(card)).toBeLessThanOrEqual(CARD_MAX_BYTES);
  return cardText(card);
}

function lastText(chatId: string): string {
  const m = bot.lastMessageTo(chatId);
  return m.msgType === 'text' ? (JSON.parse(m.content) as { text: string }).text : cardText(cardOf(m));
}

async function sayInGroup(openId: string, chatId: string, text: string): Promise<void> {
  await bot.say(openId, `@科招助手 ${text}`, { chatId, mentions: [{ openId: 'ou_botself01', name: '科招助手' }] });
}

/** Runs a job function directly, as the scheduler would, and waits for its messages to be delivered. */
async function runJob(job: typeof weeklyDigestJob, now: Date, services: Services = bot.app.services) {
  const result = await job.run({ services, now, force: false });
  await bot.settle();
  return result;
}

// ---- seed ---------------------------------------------------------------------------------------------

interface SeedLead {
  n: number;
  town: string;
  kind: string;
  industry?: string;
  status: string;
  created: string;
  approved?: string;
  tier?: string;
  major?: boolean;
  stage?: string;
  patents?: number;
  /** The pending step and when it started. */
  pending?: { step: string; since: string };
}

const code = (n: number) => `KZ-2026-${String(n).padStart(4, '0')}`;

const LEADS: SeedLead[] = [
  { n: 1, town: '丁堰镇', kind: 'tech', industry: '氢能', status: 'pending', created: '2026-11-17T10:00:00', pending: { step: 'review', since: '2026-11-18T14:00:00' } },
  { n: 2, town: '丁堰镇', kind: 'talent', industry: '合成生物学', status: 'pending', created: '2026-11-20T10:00:00', pending: { step: 'prereview', since: '2026-11-20T10:00:00' } },
  { n: 3, town: '白蒲镇', kind: 'tech', industry: '氢能', status: 'approved', created: '2026-11-19T10:00:00', approved: '2026-11-22T10:00:00' },
  { n: 4, town: '长江镇', kind: 'fund', industry: '其他', status: 'rejected', created: '2026-11-21T10:00:00' },
  { n: 5, town: '丁堰镇', kind: 'platform', industry: '储能节能', status: 'pending', created: '2026-11-01T10:00:00', pending: { step: 'signoff', since: '2026-11-03T10:00:00' } },
  { n: 6, town: '白蒲镇', kind: 'service', industry: '大健康', status: 'returned', created: '2026-10-20T10:00:00' },
  { n: 7, town: '丁堰镇', kind: 'tech', industry: '氢能', status: 'withdrawn', created: '2026-11-23T10:00:00' },
  { n: 8, town: '丁堰镇', kind: 'talent', industry: '合成生物学', status: 'withdrawn', created: '2026-11-16T09:00:00' },
  { n: 9, town: '丁堰镇', kind: 'tech', industry: '氢能', status: 'approved', created: '2026-03-01T10:00:00', approved: '2026-03-10T10:00:00', tier: 'key', stage: 'registered', patents: 2 },
  { n: 10, town: '丁堰镇', kind: 'platform', industry: '氢能', status: 'approved', created: '2026-06-01T10:00:00', approved: '2026-06-10T10:00:00' },
  { n: 11, town: '长江镇', kind: 'tech', industry: '前沿新材料', status: 'pending', created: '2026-11-24T10:00:00', tier: 'regular', major: true, pending: { step: 'signoff', since: '2026-11-24T10:00:00' } },
  { n: 12, town: '白蒲镇', kind: 'tech', industry: '氢能', status: 'rejected', created: '2026-02-01T10:00:00', tier: 'key' },
  { n: 13, town: '长江镇', kind: 'tech', industry: '氢能', status: 'withdrawn', created: '2026-10-05T10:00:00' },
  { n: 14, town: '长江镇', kind: 'tech', industry: '氢能', status: 'approved', created: '2026-10-08T10:00:00', approved: '2026-10-15T10:00:00' },
  { n: 15, town: '丁堰镇', kind: 'talent', industry: '氢能', status: 'pending', created: '2026-12-10T10:00:00', pending: { step: 'review', since: '2026-12-11T10:00:00' } },
];

const AUDITS: Array<[n: number, action: string, at: string]> = [
  [1, 'approve', '2026-11-18T10:00:00'],
  [3, 'approve', '2026-11-21T10:00:00'],
  [3, 'approve', '2026-11-22T10:00:00'],
  [4, 'reject', '2026-11-22T11:00:00'],
  [6, 'return', '2026-10-25T10:00:00'],
  [6, 'return', '2026-11-17T10:00:00'],
  [6, 'submit', '2026-11-17T12:00:00'],
  [14, 'approve', '2026-10-15T10:00:00'],
  [12, 'reject', '2026-02-10T10:00:00'],
];

async function seed(): Promise<void> {
  const db = prisma();
  await db.roleGrant.createMany({
    data: [
      { userId: STAFF, role: 'staff', town: '丁堰镇', grantedBy: ADMIN },
      { userId: LEADER, role: 'leader', grantedBy: ADMIN },
    ],
  });
  const ids = new Map<number, number>();
  for (const l of LEADS) {
    const row = await db.lead.create({
      data: {
        code: code(l.n),
        kind: l.kind,
        projectName: `测试项目${l.n}`,
        industry: l.industry ?? null,
        town: l.town,
        submitterId: STAFF,
        status: l.status,
        createdAt: sh(l.created),
        approvedAt: l.approved ? sh(l.approved) : null,
        tier: l.tier ?? null,
        major: l.major ?? false,
        stage: l.stage ?? null,
        inventionPatents: l.patents ?? 0,
        investmentWan: l.major ? 20000 : null,
      },
    });
    ids.set(l.n, row.id);
    // Patents count as recorded in the owner's 一月一报 answer (here: for the month of approval).
    if (l.patents && l.approved) {
      const period = l.approved.slice(0, 7);
      await db.followUp.create({ data: { leadId: row.id, period, sentAt: sh(l.approved), answeredAt: sh(l.approved), answer: 'updated', inventionPatents: l.patents } });
    }
    if (l.pending) {
      await db.approvalStep.create({ data: { leadId: row.id, round: 1, position: 1, step: l.pending.step, mode: 'any', status: 'pending', startedAt: sh(l.pending.since) } });
    }
  }
  for (const [n, action, at] of AUDITS) await db.auditEvent.create({ data: { actorId: ADMIN, action, leadId: ids.get(n)!, createdAt: sh(at) } });
  await db.leadStage.createMany({
    data: [
      { leadId: ids.get(9)!, stage: 'signed', date: new Date(Date.UTC(2026, 8, 14)), actorId: STAFF, createdAt: sh('2026-09-15T10:00:00') },
      { leadId: ids.get(9)!, stage: 'registered', date: new Date(Date.UTC(2026, 9, 19)), actorId: STAFF, createdAt: sh('2026-10-20T10:00:00') },
      { leadId: ids.get(10)!, stage: 'signed', date: new Date(Date.UTC(2026, 10, 4)), actorId: STAFF, createdAt: sh('2026-11-05T10:00:00') },
    ],
  });
  await db.quota.createMany({
    data: [
      { year: 2026, town: '丁堰镇', metric: 'projects', target: 10 },
      { year: 2026, town: '丁堰镇', metric: 'invention_patents', target: 5 },
      { year: 2026, town: '丁堰镇', metric: 'platforms', target: 2 },
      { year: 2026, town: '白蒲镇', metric: 'projects', target: 4 },
    ],
  });
  await db.activity.createMany({
    data: [
      { year: 2026, seq: 1, name: '科技招商推介会', timeText: '11月28日', month: 11, date: new Date(Date.UTC(2026, 10, 28)), organizer: '市科技局' },
      { year: 2026, seq: 2, name: '远期项目对接会', timeText: '12月10日', month: 12, date: new Date(Date.UTC(2026, 11, 10)) },
      { year: 2026, seq: 3, name: '十二月产业链专场', timeText: '12月', month: 12 },
      { year: 2026, seq: 4, name: '常态化走访', timeText: '全年', allYear: true },
    ],
  });
}

beforeAll(async () => {
  // Projects count on approval here (quota.countOn: approved); test/features/quota-rules.test.ts covers the rules.
  const office = defaultOffice();
  bot = await TestBot.start({ name: 'digests', admins: [ADMIN], clock, office: { ...office, quota: { ...office.quota, countOn: 'approved' } } });
  // The feature registers itself in src/bot.ts; register it here when that line is not there yet.
  await bot.app.scheduler.idle(); // the catch-up on start: no subscriber yet, nothing sent
  await seed();
});

afterAll(async () => {
  await bot?.stop();
});

// ---- tests --------------------------------------------------------------------------------------------

describe('/subscribe and /unsubscribe', () => {
  it('are for admins only', async () => {
    await sayInGroup(STAFF, GROUP_A, '/subscribe weekly');
    expect(lastText(GROUP_A)).toBe('您没有权限使用「订阅」指令。如需开通，请联系管理员。');
    await sayInGroup(STAFF, GROUP_A, '取消订阅 weekly');
    expect(lastText(GROUP_A)).toContain('您没有权限使用「取消订阅」指令');
    expect(await prisma().subscription.count()).toBe(0);
  });

  it('subscribe the chat the command is sent in, list and undo', async () => {
    await sayInGroup(ADMIN, GROUP_A, '/subscribe');
    expect(lastText(GROUP_A)).toContain('本群尚未订阅任何推送');

    await sayInGroup(ADMIN, GROUP_A, '/subscribe weekly');
    expect(lastText(GROUP_A)).toBe('已订阅「周例会简报」：本群将按计划收到推送。发送 /digest weekly 可立即查看本期内容。');
    await sayInGroup(ADMIN, GROUP_A, '订阅 周例会');
    expect(lastText(GROUP_A)).toBe('本群已订阅「周例会简报」，无需重复订阅。');
    await sayInGroup(ADMIN, GROUP_A, '订阅 双月例会');
    await sayInGroup(ADMIN, GROUP_A, '/subscribe monthly');
    await sayInGroup(ADMIN, GROUP_A, '/subscribe alerts 如皋港工业园区');
    expect(lastText(GROUP_A)).toBe('已订阅「任务进度预警（长江镇）」：本群将按计划收到推送。');
    await sayInGroup(ADMIN, GROUP_A, '/subscribe leads 氢能');
    // 新项目推送 goes out when a lead is approved, not on a schedule.
    expect(lastText(GROUP_A)).toBe('已订阅「新项目推送（氢能）」：今后每有「氢能」相关的项目审批通过，本群都会随即收到推送。');
    await sayInGroup(ADMIN, GROUP_A, '/subscribe weekly 丁堰镇');
    expect(lastText(GROUP_A)).toBe('「周例会简报」不支持筛选条件，请发送 /subscribe weekly');
    await sayInGroup(ADMIN, GROUP_A, '/subscribe alerts 火星镇');
    expect(lastText(GROUP_A)).toContain('未知镇区「火星镇」');
    await sayInGroup(ADMIN, GROUP_A, '/subscribe daily');
    expect(lastText(GROUP_A)).toContain('未知订阅主题「daily」');

    await sayInGroup(ADMIN, GROUP_A, '/subscribe');
    const list = lastText(GROUP_A);
    expect(list).toContain('本群已订阅 5 项');
    for (const name of ['周例会简报', '双月例会简报', '一月一报', '任务进度预警（长江镇）', '新项目推送（氢能）']) expect(list).toContain(`- ${name}`);

    await sayInGroup(ADMIN, GROUP_A, '取消订阅 预警');
    expect(lastText(GROUP_A)).toBe('已取消订阅「任务进度预警」。');
    await sayInGroup(ADMIN, GROUP_A, '/unsubscribe leads 氢能');
    expect(lastText(GROUP_A)).toBe('已取消订阅「新项目推送（氢能）」。');
    await sayInGroup(ADMIN, GROUP_A, '/unsubscribe leads');
    expect(lastText(GROUP_A)).toBe('本群没有订阅「新项目推送」。');

    await sayInGroup(ADMIN, GROUP_B, '/subscribe weekly');
    const rows = await prisma().subscription.findMany({ orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.chatId, r.topic, r.filter, r.createdBy])).toEqual([
      [GROUP_A, 'weekly', '', ADMIN],
      [GROUP_A, 'bimonthly', '', ADMIN],
      [GROUP_A, 'monthly', '', ADMIN],
      [GROUP_B, 'weekly', '', ADMIN],
    ]);
  });

  it('speak to the person, not to a group, in a private chat', async () => {
    const before = bot.messagesTo(ADMIN).length;
    await bot.say(ADMIN, '/subscribe');
    expect(lastText(ADMIN)).toContain('本会话尚未订阅任何推送');
    await bot.say(ADMIN, '/subscribe weekly');
    expect(lastText(ADMIN)).toBe('已订阅「周例会简报」：您将按计划收到推送。发送 /digest weekly 可立即查看本期内容。');
    await bot.say(ADMIN, '/subscribe weekly');
    expect(lastText(ADMIN)).toBe('本会话已订阅「周例会简报」，无需重复订阅。');
    await bot.say(ADMIN, '/subscribe leads');
    expect(lastText(ADMIN)).toBe('已订阅「新项目推送」：今后每有项目审批通过，您都会随即收到推送。');
    await bot.say(ADMIN, '/subscribe');
    expect(lastText(ADMIN)).toContain('本会话已订阅 2 项');
    await bot.say(ADMIN, '/unsubscribe weekly');
    await bot.say(ADMIN, '/unsubscribe leads');
    await bot.say(ADMIN, '/unsubscribe alerts');
    expect(lastText(ADMIN)).toBe('本会话没有订阅「任务进度预警」。');
    const replies = bot.messagesTo(ADMIN).slice(before).map((m) => (JSON.parse(m.content) as { text: string }).text);
    expect(replies).toHaveLength(8);
    for (const reply of replies) expect(reply).not.toContain('本群');
    expect(await prisma().subscription.count({ where: { chatId: { notIn: [GROUP_A, GROUP_B] } } })).toBe(0);
  });
});

describe('weekly digest (周例会)', () => {
  const MONDAY = sh('2026-11-23T09:17:00');
  const TITLE = '周例会简报 · 2026年第48周';

  it('sends each subscribed chat the numbers of the week', async () => {
    const result = await runJob(weeklyDigestJob, MONDAY);
    expect(result).toMatchObject({ sent: 2, skipped: 0 });
    expect(titles(GROUP_B)).toContain(TITLE);
    const text = textOf(lastCard(GROUP_A, TITLE));
    expect(text).toContain('统计区间：11月16日 — 11月23日');
    expect(text).toContain('本周新增项目 4 项');
    expect(text).toContain('科创类 2 · 人才类 1 · 平台类 0 · 服务类 0 · 基金类 1');
    expect(text).toContain('丁堰镇 | 2 | 科创类 1、人才类 1');
    expect(text).toContain('白蒲镇 | 1 | 科创类 1');
    expect(text).toContain('长江镇 | 1 | 基金类 1');
    expect(text).toContain('审批通过 1 项 · 通过某一环节、仍在审批 1 项 · 驳回 1 项 · 退回修改 1 项');
    expect(text).toContain('待审批 3 项');
    const queue = ['KZ-2026-0005 | 测试项目5（丁堰镇） | 待审签 | ⚠️\u00a019', 'KZ-2026-0001 | 测试项目1（丁堰镇） | 待初审 | 4', 'KZ-2026-0002 | 测试项目2（丁堰镇） | 待预审 | 2'];
    const at = queue.map((row) => text.indexOf(row));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at); // oldest first
    expect(text).toContain('停滞超过 7 天 1 项');
    expect(text).toContain('未来 14 天活动 2 项');
    expect(text).toContain('11月28日（5 天后） 科技招商推介会 · 主办：市科技局');
    expect(text).toContain('12月（具体日期待定） 十二月产业链专场');
    expect(text).not.toContain('远期项目对接会');
  });

  it('sends nothing on a second run of the same week', async () => {
    const before = bot.state.messages.length;
    expect(await runJob(weeklyDigestJob, MONDAY)).toMatchObject({ sent: 0, skipped: 2 });
    expect(await runJob(weeklyDigestJob, sh('2026-11-26T15:00:00'))).toMatchObject({ sent: 0, skipped: 2 }); // same ISO week
    expect(bot.state.messages.length).toBe(before);
    expect(await prisma().jobRun.count({ where: { job: 'weekly-digest', period: '2026-W48' } })).toBe(2);
  });
});

describe('bimonthly digest (双月例会)', () => {
  const TITLE = '双月例会简报 · 2026年9月–10月';

  it('shows quota progress, key projects, items to coordinate and lifecycle movements', async () => {
    const now = sh('2026-11-25T10:00:00');
    expect(await runJob(bimonthlyDigestJob, now)).toMatchObject({ sent: 1, skipped: 0 });
    expect(titles(GROUP_B)).not.toContain(TITLE);
    const text = textOf(lastCard(GROUP_A, TITLE));
    expect(text).toContain('统计区间：2026年9月–10月；任务进度截至 11月25日');
    expect(text).toContain('丁堰镇 | 1/10 | 33.3% | 滞后');
    expect(text).toContain('白蒲镇 | 1/4 | 25.0% | 滞后');
    expect(text).toContain('全市 | 3/14 | 37.1% | ');
    expect(text).toContain('**丁堰镇**：发明专利 2/5 · 实用新型 — · 平台类 1/2 · 基金类 —');
    expect(text).toContain('**滞后镇区 2 个**（综合完成率由低到高）：白蒲镇 25.0% · 丁堰镇 33.3%');
    expect(text).toContain('重点项目 2 项');
    expect(text).toContain('KZ-2026-0011 | 【重大】测试项目11（长江镇，科创类） | 待审签');
    expect(text).toContain('KZ-2026-0009 | 测试项目9（丁堰镇，科创类） | 注册');
    expect(text).not.toContain('KZ-2026-0012');
    expect(text).toContain('审批需协调 2 项');
    expect(text).toContain('KZ-2026-0005 | 测试项目5（丁堰镇） | 待审签 | 停滞 22 天');
    expect(text).toContain('KZ-2026-0006 | 测试项目6（白蒲镇） | 退回修改（待登记人修改） | 停滞 8 天，退回 2 次');
    expect(text).toContain('项目进展 2 项');
    expect(text).toContain('注册 1 · 签约 1');

    expect(await runJob(bimonthlyDigestJob, now)).toMatchObject({ sent: 0, skipped: 1 });
  });

  it('in January shows how the year of its Nov–Dec window ended, not the new year', async () => {
    expect(await runJob(bimonthlyDigestJob, sh('2027-01-04T09:23:00'))).toMatchObject({ sent: 1, skipped: 0 });
    const text = textOf(lastCard(GROUP_A, '双月例会简报 · 2026年11月–12月'));
    expect(text).toContain('统计区间：2026年11月–12月；任务进度截至 12月31日');
    expect(text).toContain('2026 年任务进度');
    expect(text).toContain('丁堰镇 | 1/10 | 33.3% | 滞后');
    expect(text).not.toContain('尚未导入');
  });
});

describe('monthly report (一月一报)', () => {
  it('reports the previous month with its change, charts and the analysis', async () => {
    expect(await runJob(monthlyReportJob, sh('2026-12-01T08:37:00'))).toMatchObject({ sent: 1, skipped: 0 });
    const message = lastCard(GROUP_A, '一月一报 · 2026年11月');
    const text = textOf(message);
    expect(text).toContain('新增项目 | 8 | 3 | +5（+166.7%）');
    expect(text).toContain('审批通过 | 1 | 1 | 持平');
    expect(text).toContain('驳回 | 1 | 0 | +1');
    expect(text).toContain('11月新增项目 8 项，环比增加 5 项（+166.7%）；审批通过 1 项，与上月持平；驳回 1 项，环比增加 1 项（上月为 0）。');
    expect(text).toContain('按类别看，科创类增幅最大（2 → 4，+2 项），服务类降幅最大（1 → 0，−1 项）。');
    expect(text).toContain('按产业方向看，合成生物学增幅最大（0 → 2，+2 项），大健康降幅最大（1 → 0，−1 项）。');
    expect(text).toContain('截至月末，2 个镇区有指标低于序时进度的 80%。');
    expect(text).toContain('**滞后镇区 2 个**（综合完成率由低到高）：白蒲镇 25.0% · 丁堰镇 33.3%');
    const charts = (cardOf(message).body as { elements: Array<{ tag: string; chart_spec?: { type: string; data: Array<{ values: unknown[] }> } }> }).elements.filter((e) => e.tag === 'chart');
    expect(charts.map((c) => c.chart_spec!.type)).toEqual(['pie', 'bar', 'bar']);
    expect(charts[0].chart_spec!.data[0].values).toEqual([
      { name: '科创类', value: 4 }, { name: '人才类', value: 2 }, { name: '平台类', value: 1 }, { name: '基金类', value: 1 },
    ]);
    expect(charts[1].chart_spec!.data[0].values).toContainEqual({ category: '氢能', series: '本月', value: 3 });
    expect(charts[1].chart_spec!.data[0].values).toContainEqual({ category: '氢能', series: '上月', value: 2 });
    expect(charts[2].chart_spec!.data[0].values).toContainEqual({ category: '丁堰镇', series: '综合完成率', value: 33.3 });
    expect(charts[2].chart_spec!.data[0].values).toContainEqual({ category: '白蒲镇', series: '综合完成率', value: 25 });
    expect(await prisma().jobRun.count({ where: { job: 'monthly-report', period: '2026-11', target: GROUP_A } })).toBe(1);
  });
});

describe('/digest', () => {
  it('sends this period’s digest to the chat now, even when the schedule already sent it', async () => {
    const before = titles(GROUP_A).filter((t) => t === '周例会简报 · 2026年第48周').length;
    await sayInGroup(ADMIN, GROUP_A, '/digest weekly');
    expect(titles(GROUP_A).filter((t) => t === '周例会简报 · 2026年第48周').length).toBe(before + 1);
    // As of the service's clock (Wednesday 25 November): the 7 days before it.
    expect(textOf(bot.lastMessageTo(GROUP_A))).toContain('本周新增项目 5 项');
    await sayInGroup(ADMIN, GROUP_A, '报告 一月一报');
    expect(textOf(bot.lastMessageTo(GROUP_A))).toContain('一月一报 · 2026年10月');
    await sayInGroup(ADMIN, GROUP_A, '/digest');
    expect(lastText(GROUP_A)).toContain('用法：/digest weekly|bimonthly|monthly');
    await sayInGroup(STAFF, GROUP_A, '/digest weekly');
    expect(lastText(GROUP_A)).toBe('您没有权限使用「报告」指令。如需开通，请联系管理员。');
  });
});

/** Another service instance on this test's database and Lark stand-in. */
async function another(name: string, at: Date): Promise<TestBot> {
  const base = at.getTime();
  const t0 = Date.now();
  return TestBot.start({ name, admins: [ADMIN], clock: () => new Date(base + (Date.now() - t0)), env: { DATABASE_URL: bot.databaseUrl.url, LARK_DOMAIN: bot.lark.url } });
}

async function dispose(other: TestBot): Promise<void> {
  await other.app.stop();
  await other.lark.close();
  await other.databaseUrl.drop(); // the unused database the harness made for it
}

describe('exactly once across restarts and processes', () => {
  it('a service started after a missed Monday sends that week’s digest once; a second start sends nothing', async () => {
    const W49 = '周例会简报 · 2026年第49周';
    // Down over Monday 30 November 09:17; back on Wednesday 2 December. This test's own instance stands
    // aside meanwhile: on SQLite two instances in one process would block each other (see below).
    await bot.app.outbox.stop();
    const first = await another('digests-restart-1', sh('2026-12-02T10:00:00'));
    await first.app.scheduler.idle();
    await first.settle();
    await dispose(first);
    bot.app.outbox.start();
    await bot.settle();
    expect(titles(GROUP_A).filter((t) => t === W49)).toHaveLength(1);
    expect(titles(GROUP_B).filter((t) => t === W49)).toHaveLength(1);
    // The monthly report of November was already sent: the catch-up of 1 December sent it no second time.
    expect(titles(GROUP_A).filter((t) => t === '一月一报 · 2026年11月')).toHaveLength(1);
    const W49text = textOf(lastCard(GROUP_A, W49));
    expect(W49text).toContain('统计区间：11月23日 — 11月30日');

    const before = bot.state.messages.length;
    await bot.app.outbox.stop();
    const second = await another('digests-restart-2', sh('2026-12-02T11:00:00'));
    await second.app.scheduler.idle();
    await second.settle();
    await dispose(second);
    bot.app.outbox.start();
    await bot.settle();
    expect(bot.state.messages.length).toBe(before);
  });

  // Two instances in ONE process on one SQLite file block each other (better-sqlite3 waits synchronously),
  // which is not a deployment: SQLite has one process. Two processes on SQLite are covered with npm run job below.
  it.runIf(testProvider() === 'postgres')('two instances running the same job at once send it once (PostgreSQL)', async () => {
    const W50 = '周例会简报 · 2026年第50周';
    const other = await another('digests-twin', sh('2026-12-02T12:00:00'));
    try {
      await other.app.scheduler.idle();
      const at = sh('2026-12-07T09:17:00');
      const outcomes = await Promise.all([bot.app.scheduler.run('weekly-digest', at), other.app.scheduler.run('weekly-digest', at)]);
      const sent = outcomes.map((o) => (o.status === 'done' ? o.result.sent : 0));
      expect(sent.reduce((a, b) => a + b, 0)).toBe(2);
      expect(outcomes.every((o) => o.status === 'done' || o.status === 'busy'), JSON.stringify(outcomes)).toBe(true);
      await other.settle();
      await bot.settle();
    } finally {
      await dispose(other);
    }
    expect(titles(GROUP_A).filter((t) => t === W50)).toHaveLength(1);
    expect(titles(GROUP_B).filter((t) => t === W50)).toHaveLength(1);
  });
});

/** Runs `npm run job -- …args` against this test's database and Lark stand-in. */
function npmJob(args: string[]): Promise<Finished> {
  return runToEnd('npm', ['run', '--silent', 'job', '--', ...args], {
    DATABASE_URL: bot.databaseUrl.url,
    LARK_APP_ID: STANDIN_APP_ID,
    LARK_APP_SECRET: STANDIN_APP_SECRET,
    LARK_DOMAIN: bot.lark.url,
    LOG_LEVEL: 'warn',
  });
}

describe('npm run job', () => {
  it('runs one job as of --at, delivers through Lark and prints one line; again, it sends nothing', async () => {
    const W51 = '周例会简报 · 2026年第51周';
    const first = await npmJob(['weekly-digest', '--at', '2026-12-14T09:17:00+08:00']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim().split('\n')).toHaveLength(1);
    expect(first.stdout).toContain('weekly-digest 2026-W51: queued for 2 chat(s)');
    expect(first.stdout).toContain(`delivered 2 message(s) to ${bot.lark.url}`);
    const text = textOf(lastCard(GROUP_A, W51));
    expect(text).toContain('本周新增项目 1 项');
    expect(text).toContain('丁堰镇 | 1 | 人才类 1');
    expect(text).toContain('待审批 5 项');
    expect(titles(GROUP_B).filter((t) => t === W51)).toHaveLength(1);

    const again = await npmJob(['weekly-digest', '--at', '2026-12-15T10:00:00+08:00']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('weekly-digest 2026-W51: queued for 0 chat(s), 2 already sent');
    expect(titles(GROUP_A).filter((t) => t === W51)).toHaveLength(1);
  });

  it('refuses bad arguments with a plain message', async () => {
    const res = await npmJob(['weekly-digests']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('unknown job "weekly-digests"');
    expect(res.stderr).toContain('usage: npm run job -- <weekly-digest|bimonthly-digest|monthly-report|quota-alerts|reminders|');
    const bad = await npmJob(['weekly-digest', '--at', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--at: "yesterday" is not an ISO time');
  });
});

describe('two processes at once', () => {
  it('two `npm run job` processes running the same job at the same moment send it once', async () => {
    const W53 = '周例会简报 · 2026年第53周';
    const runs = await Promise.all([1, 2].map(() => npmJob(['weekly-digest', '--at', '2026-12-28T09:17:00+08:00'])));
    for (const r of runs) expect(r.code, r.stdout + r.stderr).toBe(0);
    // Each chat is claimed on its own, so the two processes may split the chats between them
    // (1 + 1) or one may take both (2 + 0); either way the two of them queue each chat exactly once.
    const counts = runs.map((r) => {
      const m = /weekly-digest 2026-W53: queued for (\d) chat\(s\)(?:, (\d) already sent)?/.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      return { queued: Number(m![1]), skipped: Number(m![2] ?? 0) };
    });
    expect(counts.map((c) => c.queued + c.skipped)).toEqual([2, 2]);
    expect(counts[0]!.queued + counts[1]!.queued).toBe(2);
    await bot.settle();
    expect(titles(GROUP_A).filter((t) => t === W53)).toHaveLength(1);
    expect(titles(GROUP_B).filter((t) => t === W53)).toHaveLength(1);
  });
});

describe('leaders by p2p', () => {
  it('when the office wants it, every leader gets the digest in a p2p chat, once', async () => {
    const services: Services = { ...bot.app.services, office: { ...bot.app.services.office, digests: { ...bot.app.services.office.digests, leadersByP2p: true } } };
    const at = sh('2026-12-21T09:17:00');
    expect(await runJob(weeklyDigestJob, at, services)).toMatchObject({ sent: 3, skipped: 0 });
    expect(titles(LEADER)).toEqual(['周例会简报 · 2026年第52周']);
    expect(await runJob(weeklyDigestJob, at, services)).toMatchObject({ sent: 0, skipped: 3 });
    expect(titles(LEADER)).toHaveLength(1);
  });
});

describe('scheduler', () => {
  const DAY = 86_400_000;
  const make = (jobs: readonly JobDef[], missedRunDays = 3) => createScheduler({
    services: bot.app.services,
    database: bot.app.database,
    jobs,
    office: { ...bot.app.services.office, digests: { ...bot.app.services.office.digests, missedRunDays } },
    timezone: 'Asia/Shanghai',
    cron: false,
  });

  it('finds the last scheduled time of each default schedule in the office time zone', async () => {
    const s = make(JOBS);
    try {
      expect(s.lastScheduled('weekly-digest', sh('2026-11-25T10:00:00'), 3 * DAY)).toEqual(sh('2026-11-23T09:17:00'));
      expect(s.lastScheduled('weekly-digest', sh('2026-11-23T09:17:00'), 3 * DAY)).toEqual(sh('2026-11-23T09:17:00'));
      expect(s.lastScheduled('weekly-digest', sh('2026-11-23T09:16:00'), 3 * DAY)).toBeUndefined();
      // First Monday of Jan/Mar/May/Jul/Sep/Nov only: 2 November, not the Mondays after it.
      expect(s.lastScheduled('bimonthly-digest', sh('2026-11-25T10:00:00'), 40 * DAY)).toEqual(sh('2026-11-02T09:23:00'));
      expect(s.lastScheduled('monthly-report', sh('2026-12-02T10:00:00'), 3 * DAY)).toEqual(sh('2026-12-01T08:37:00'));
      expect(s.lastScheduled('reminders', sh('2026-11-25T20:00:00'), DAY)).toEqual(sh('2026-11-25T17:13:00'));
    } finally {
      await s.stop();
    }
  });

  it('catches up a digest missed within missedRunDays as of its scheduled time, and none beyond', async () => {
    const seen: Date[] = [];
    const job: JobDef = { name: 'weekly-digest', run: async ({ now }) => (seen.push(now), { sent: 0, skipped: 0, summary: 'seen' }) };
    const s = make([job]);
    const outcomes = await s.catchUp(sh('2026-11-25T10:00:00'));
    expect(outcomes.map((o) => o.status)).toEqual(['done']);
    expect(seen).toEqual([sh('2026-11-23T09:17:00')]);
    expect(await s.catchUp(sh('2026-11-26T10:00:00'))).toEqual([]); // Monday 09:17 is more than 3 days back
    await s.stop();
    const off = make([job], 0);
    expect(await off.catchUp(sh('2026-11-23T09:20:00'))).toEqual([]);
    await off.stop();
    expect(seen).toHaveLength(1);
  });

  it('catches up missed activity reminders worded from the day they go out, and none for an activity already begun', async () => {
    const backAt = (at: Date) => createScheduler({
      services: { ...bot.app.services, clock: () => at },
      database: bot.app.database,
      jobs: [activityRemindersJob],
      office: bot.app.services.office,
      timezone: 'Asia/Shanghai',
      cron: false,
    });
    // Down over Saturday 21 November 09:07, 7 days before the 推介会 of the 28th; back at 08:00 on the 22nd.
    const early = backAt(sh('2026-11-22T08:00:00'));
    const [missedD7] = await early.catchUp(sh('2026-11-22T08:00:00'));
    await early.stop();
    await bot.settle();
    expect(missedD7).toMatchObject({ job: 'activity-reminders', at: sh('2026-11-21T09:07:00'), status: 'done', result: { sent: 2, skipped: 0 } });
    for (const chat of [GROUP_A, GROUP_B]) {
      expect(textOf(lastCard(chat, '活动提醒：近期有招商活动'))).toContain('科技招商推介会**（6 天后，11月28日（周六））');
    }
    // Down over Friday 27 November 09:07, the day before; back at 08:00 on the 28th: too late for 「明天」.
    const before = bot.state.messages.length;
    const late = backAt(sh('2026-11-28T08:00:00'));
    const [missedD1] = await late.catchUp(sh('2026-11-28T08:00:00'));
    await late.stop();
    await bot.settle();
    expect(missedD1).toMatchObject({ at: sh('2026-11-27T09:07:00'), status: 'done', result: { sent: 0 } });
    expect(bot.state.messages.length).toBe(before);
  });

  it('stop() waits for the job in progress', async () => {
    let release!: () => void;
    let entered!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inside = new Promise<void>((r) => (entered = r));
    const job: JobDef = { name: 'weekly-digest', run: async (): Promise<JobResult> => (entered(), await gate, { sent: 0, skipped: 0, summary: 'released' }) };
    const s = make([job]);
    const run = s.run('weekly-digest', sh('2026-11-23T09:17:00'));
    await inside;
    // The same job again while it runs: the lock turns it away.
    expect((await s.run('weekly-digest', sh('2026-11-23T09:17:00'))).status).toBe('busy');
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect((await run).status).toBe('done');
  });

  it('finishes a run whose lock holder died mid-run: the replica that was turned away runs it once', async () => {
    let die!: () => void;
    let entered!: () => void;
    const dying = new Promise<void>((r) => (die = r));
    const inside = new Promise<void>((r) => (entered = r));
    const at = sh('2031-03-03T09:17:00');
    // The holder: another replica whose run stops half-way (its lock is released as a dead process's is).
    const holder = make([{ name: 'weekly-digest', run: async (): Promise<JobResult> => { entered(); await dying; throw new Error('killed'); } }]);
    const ran: Date[] = [];
    const replica = make([{ name: 'weekly-digest', run: async ({ now }): Promise<JobResult> => (ran.push(now), { sent: 1, skipped: 0, summary: 'finished' }) }]);
    try {
      const held = holder.run('weekly-digest', at);
      await inside;
      expect((await replica.run('weekly-digest', at)).status).toBe('busy');
      die();
      expect((await held).status).toBe('failed');
      const deadline = Date.now() + 10_000;
      while (ran.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(ran).toEqual([at]);
      await replica.idle();
      // A run that finished is not done again by a replica that was turned away from it.
      let finish!: () => void;
      const finishing = new Promise<void>((r) => (finish = r));
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      const finisher = make([{ name: 'weekly-digest', run: async (): Promise<JobResult> => { started(); await finishing; return { sent: 0, skipped: 0, summary: 'done' }; } }]);
      const next = sh('2031-03-10T09:17:00');
      const first = finisher.run('weekly-digest', next);
      await running;
      expect((await replica.run('weekly-digest', next)).status).toBe('busy');
      finish();
      expect((await first).status).toBe('done');
      await replica.idle();
      expect(ran).toEqual([at]);
      await finisher.stop();
    } finally {
      await holder.stop();
      await replica.stop();
    }
  });

  it('does not keep the process alive: a process with armed timers exits on its own after stop()', async () => {
    const code = [
      `import { createScheduler } from ${JSON.stringify(`${ROOT}/src/platform/jobs/scheduler.ts`)};`,
      `import { defaultOffice } from ${JSON.stringify(`${ROOT}/src/office/config.ts`)};`,
      `const log = { debug() {}, info() {}, warn() {}, error() {} };`,
      `const services = { log, clock: () => new Date() };`,
      `const database = { withLock: (_name, fn) => fn() };`,
      `const jobs = [{ name: 'reminders', run: async () => ({ sent: 0, skipped: 0, summary: '' }) }];`,
      `const s = createScheduler({ services, database, jobs, office: defaultOffice(), timezone: 'Asia/Shanghai', catchUpJobs: [] });`,
      `await s.start();`,
      `console.log('armed', s.lastScheduled('reminders', new Date(), 86400000) !== undefined);`,
      `await s.stop();`,
      `console.log('stopped');`,
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const exit = await new Promise<{ code: number | null; signal: string | null }>((r) => child.on('close', (c, sig) => r({ code: c, signal: sig })));
    clearTimeout(killer);
    expect(exit, out).toEqual({ code: 0, signal: null });
    expect(out).toContain('armed true');
    expect(out).toContain('stopped');
  });
});
