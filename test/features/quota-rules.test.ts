// 考核 counting rules and the structured 一月一报, through the real HTTP routes: /quota under each
// quota.countOn (审批通过 / 签约 / 注册 / 落地), patents counted from the owners' 一月一报 answers (not from the
// registration form), and those answers in the monthly analysis (一月一分析).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, cardOf } from '../support/harness.ts';
import { cardText } from '../support/cards.ts';
import { followUpsJob } from '../../src/features/lifecycle/follow-ups.ts';
import { monthlyReportJob, renderDigest } from '../../src/features/digests/jobs.ts';
import type { CountRule } from '../../src/office/config.ts';
import type { CardJson } from '../../src/platform/lark/types.ts';
import type { DeliveredMessage } from '../../src/sandbox/standin.ts';

const ADMIN = 'ou_admin0001';
const OWNER = 'ou_owner0001';
const GROUP = 'oc_monthly_group';

// The office clock: 25 November 2026 in Shanghai unless a test moves it.
let now = new Date('2026-11-25T02:00:00Z');
let bot: TestBot;
const db = () => bot.app.database.prisma;
const textOf = (m: DeliveredMessage) => cardText(cardOf(m));

let seq = 0;
const codes: Record<string, string> = {};

/** A lead of `town` approved at `approved`, with the stages given (local days), written directly. */
async function seedLead(key: string, town: string, approved: string, stages: Array<[string, string, object?]>, stage: string | null = null) {
  seq++;
  const code = `KZ-2026-${String(seq).padStart(4, '0')}`;
  codes[key] = code;
  const lead = await db().lead.create({
    data: {
      code, kind: 'tech', projectName: `项目${key}`, town, submitterId: OWNER, status: 'approved',
      approvedAt: new Date(`${approved}T02:00:00Z`), stage: stage ?? stages.at(-1)?.[0] ?? null,
      inventionPatents: 9, utilityModels: 9, // typed at registration: must not count
    },
  });
  for (const [s, day, data] of stages) {
    const date = new Date(`${day}T00:00:00.000Z`);
    await db().leadStage.create({ data: { leadId: lead.id, stage: s, date, data: data ?? {}, actorId: OWNER, createdAt: date } });
  }
}

/** 丁堰镇's and 白蒲镇's 总数 on the /quota card ("⚠️ 2/10" → 2). */
async function projectsDone(): Promise<Record<string, number>> {
  await bot.say(ADMIN, '/quota 2026');
  const card = bot.lastCard(ADMIN).card;
  const el = (card.body as { elements: Array<Record<string, unknown>> }).elements.find((e) => e.tag === 'table')!;
  const rows = el.rows as Array<Record<string, string>>;
  const done = (town: string) => Number(/(\d+)\/\d+/.exec(String(rows.find((r) => r.town === town)!.projects))![1]);
  return { 丁堰镇: done('丁堰镇'), 白蒲镇: done('白蒲镇') };
}

beforeAll(async () => {
  bot = await TestBot.start({ name: 'quota-rules', admins: [ADMIN], clock: () => now });
  await db().roleGrant.create({ data: { userId: OWNER, role: 'staff', town: '丁堰镇', grantedBy: ADMIN } });
  await db().user.create({ data: { openId: OWNER, name: '陈招商' } });
  await db().quota.createMany({
    data: [
      { year: 2026, town: '丁堰镇', metric: 'projects', target: 10 },
      { year: 2026, town: '丁堰镇', metric: 'invention_patents', target: 5 },
      { year: 2026, town: '丁堰镇', metric: 'utility_models', target: 5 },
      { year: 2026, town: '白蒲镇', metric: 'projects', target: 10 },
    ],
  });
  // 丁堰镇: approved in 2026 B, C, D, G (4); signed in 2026 A, B, C (3); registered A, B (2); landed A (1).
  await seedLead('A', '丁堰镇', '2025-12-20', [
    ['signed', '2026-01-10', { investment_wan: 5000 }], ['registered', '2026-02-01'], ['landed', '2026-03-01'],
  ]);
  await seedLead('B', '丁堰镇', '2026-02-01', [['signed', '2026-03-01', { investment_wan: 800 }], ['registered', '2026-04-01']]);
  await seedLead('C', '丁堰镇', '2026-03-01', [['signed', '2026-05-01', { investment_wan: 300 }]]);
  await seedLead('D', '丁堰镇', '2026-04-01', []);
  await seedLead('G', '丁堰镇', '2026-06-01', []);
  // 白蒲镇: one lead through to 落地 within 2026 counts under every rule.
  await seedLead('E', '白蒲镇', '2026-05-01', [['signed', '2026-06-01'], ['registered', '2026-07-01'], ['landed', '2026-08-01']]);
});

afterAll(async () => {
  await bot?.stop();
});

describe('quota.countOn: which event counts a project toward its town', () => {
  const expected: Array<[CountRule, string, Record<string, number>]> = [
    ['registered', '按注册计', { 丁堰镇: 2, 白蒲镇: 1 }], // the default
    ['approved', '按审批通过计', { 丁堰镇: 4, 白蒲镇: 1 }],
    ['signed', '按签约计', { 丁堰镇: 3, 白蒲镇: 1 }],
    ['landed', '按落地计', { 丁堰镇: 1, 白蒲镇: 1 }],
  ];
  it.each(expected)('countOn %s: /quota says 「%s」 and counts the towns accordingly', async (rule, label, done) => {
    // As if the office's YAML said quota.countOn: <rule> (the default when it says nothing is registered).
    if (rule !== 'registered') bot.app.services.office.quota.countOn = rule;
    else expect(bot.app.services.office.quota.countOn).toBe('registered');
    try {
      expect(await projectsDone()).toEqual(done);
      const card = bot.lastCard(ADMIN).card;
      expect((card.header as { subtitle?: { content: string } }).subtitle?.content).toContain(label);
      expect(cardText(card)).toContain(`项目${label}`);
    } finally {
      bot.app.services.office.quota.countOn = 'registered';
    }
  });

  it('counts a 签约 on 1 January in the new year (the local day of the event decides the year)', async () => {
    await seedLead('H', '白蒲镇', '2026-10-01', [['signed', '2027-01-01']]);
    bot.app.services.office.quota.countOn = 'signed';
    try {
      expect((await projectsDone()).白蒲镇).toBe(1);
    } finally {
      bot.app.services.office.quota.countOn = 'registered';
    }
  });
});

describe('一月一报 answers: structured, counted and analysed', () => {
  const cardFor = (key: string) => bot.messagesTo(OWNER).find((m) => textOf(m).includes(codes[key]) && textOf(m).includes('一月一报'))!;

  it('patents come from the recorded answers, not from the registration form', async () => {
    // No answer yet: the 9 patents typed on each registration form count for nothing.
    await bot.say(ADMIN, '/quota 2026');
    expect(cardText(bot.lastCard(ADMIN).card)).toMatch(/\*\*丁堰镇\*\*：总数 (⚠️\u00a0)?2\/10（[^）]*） · 发明专利 (⚠️\u00a0)?0\/5/);

    // 1 November: the cards ask about October.
    now = new Date('2026-11-01T01:41:00Z');
    await followUpsJob.run({ services: bot.app.services, now, force: false });
    await bot.settle();
    const a = cardFor('A');
    expect(textOf(a)).toContain('一月一报：2026年10月项目进展');
    for (const label of ['当前阶段', '累计到位投资（万元）', '上月新增发明专利实审（件）', '上月新增实用新型专利授权（件）', '需协调解决的问题']) {
      expect(textOf(a)).toContain(label);
    }
    now = new Date('2026-11-03T02:00:00Z');
    const bad = await bot.click(OWNER, a, '提交进展', { stage: 'landed', investment_arrived_wan: '三千', invention_patents: '-1' });
    expect(bad.toast).toEqual({ type: 'warning', content: '有 2 项需要修改，尚未保存' });
    expect(await db().followUp.count({ where: { answeredAt: { not: null } } })).toBe(0);
    const ok = await bot.click(OWNER, a, '提交进展', {
      stage: 'landed', investment_arrived_wan: '3,000', invention_patents: '2', utility_models: '3', problems: '用地指标紧张，需协调', note: '厂房装修中',
    });
    expect(ok.toast).toEqual({ type: 'success', content: '已记录2026年10月进展' });
    expect(textOf(a)).toContain('阶段 落地（开工） · 累计到位 3,000 万元 · 发明专利实审 +2 · 实用新型授权 +3');
    const row = await db().followUp.findFirstOrThrow({ where: { answeredAt: { not: null } } });
    expect(row).toMatchObject({ period: '2026-10', answer: 'updated', stage: 'landed', investmentArrivedWan: 3000, inventionPatents: 2, utilityModels: 3, problems: '用地指标紧张，需协调', note: '厂房装修中' });

    await bot.click(OWNER, cardFor('B'), '无变化');
    // C reports 注册 although only 签约 is recorded.
    await bot.click(OWNER, cardFor('C'), '提交进展', { stage: 'registered' });

    await bot.say(ADMIN, '/quota 2026');
    const text = cardText(bot.lastCard(ADMIN).card);
    expect(text).toMatch(/\*\*丁堰镇\*\*：总数 (⚠️\u00a0)?2\/10（[^）]*） · 发明专利 (⚠️\u00a0)?2\/5（[^）]*） · 实用新型 (⚠️\u00a0)?3\/5/);
    expect(text).toContain('发明专利、实用新型按一月一报登记的成果计');
  });

  it('the monthly analysis covers landed projects against their agreements, patents, silence and problems', async () => {
    await db().subscription.create({ data: { chatId: GROUP, topic: 'monthly', createdBy: ADMIN } });
    now = new Date('2026-12-01T00:37:00Z');
    await monthlyReportJob.run({ services: bot.app.services, now, force: false });
    await bot.settle();
    const text = textOf(bot.lastMessageTo(GROUP));
    expect(text).toContain('一月一报 · 2026年11月');
    // Landed: A (协议 5,000, 到位 3,000 = 60%) and E (no agreement amount, never reported).
    expect(text).toContain('落地项目 2 个：协议与到位');
    expect(text).toContain('已落地项目 2 个，协议投资额合计 5,000 万元，已到位 3,000 万元，到位率 60.0%。');
    const card = cardOf(bot.lastMessageTo(GROUP)) as CardJson;
    const tables = (card.body as { elements: Array<Record<string, unknown>> }).elements.filter((e) => e.tag === 'table');
    const landed = tables.find((t) => (t.columns as Array<{ display_name: string }>).some((c) => c.display_name === '协议(万元)'))!;
    expect((landed.columns as unknown[]).length).toBeLessThanOrEqual(4);
    expect(landed.rows).toEqual([
      expect.objectContaining({ code: codes.A, agreed: '5,000', arrived: '3,000（60%）' }),
      expect.objectContaining({ code: codes.E, agreed: '—', arrived: '未报' }),
    ]);
    // The answers: 3 of 7 (A–G and H), the month's patents, the stage to record, the problem raised, who stayed silent.
    expect(text).toContain('一月一报反馈 3/7');
    expect(text).toContain('一月一报发出 7 份，已反馈 3 份；新增发明专利实审 2 件、实用新型授权 3 件，提出需协调问题 1 项。');
    expect(text).toContain('新增发明专利实审 **2** 件 · 实用新型授权 **3** 件');
    expect(text).toContain(`${codes.C} 项目C：反馈「注册」，已登记「签约」`);
    expect(text).toContain(`${codes.A} 项目A（丁堰镇）：用地指标紧张，需协调`);
    expect(text).toContain('一月一报超过 7 天未反馈 4 项');
    for (const key of ['D', 'G', 'E', 'H']) expect(text).toContain(`${codes[key]} 项目${key}（`);
  });

  it('/patents records a month’s patents outside the card, set not added, and they count', async () => {
    await bot.say(OWNER, `/patents ${codes.D} 两 1`);
    expect(bot.lastText(OWNER)).toContain('用法：/patents 项目编号 发明专利实审数 实用新型授权数 [月份]');
    await bot.say(OWNER, `/patents ${codes.D} 5 1 2026-10`);
    await bot.say(OWNER, `/patents ${codes.D} 1 1 2026-10`); // a correction replaces the month's figures
    expect(bot.lastText(OWNER)).toBe(`已登记 ${codes.D} 2026年10月新增专利：发明专利实审 1 件，实用新型授权 1 件（计入丁堰镇任务进度）。`);
    expect(await db().auditEvent.count({ where: { action: 'patents_set' } })).toBe(2);
    await bot.say(ADMIN, '/quota 2026');
    expect(cardText(bot.lastCard(ADMIN).card)).toMatch(/\*\*丁堰镇\*\*：总数 (⚠️\u00a0)?2\/10（[^）]*） · 发明专利 (⚠️\u00a0)?3\/5（[^）]*） · 实用新型 (⚠️\u00a0)?4\/5/);
  });
});

describe('scoring.quotaWeight: a 重点类 project counts by its weight', () => {
  it('alike in /quota, the 双月例会 and the monthly report', async () => {
    // B (registered April) becomes 重点类, which this office counts twice: 丁堰镇 has A (1) + B (2) = 3.
    await db().lead.update({ where: { code: codes.B }, data: { tier: 'key' } });
    const weights = bot.app.services.office.scoring.quotaWeight;
    const before = weights.key;
    weights.key = 2;
    try {
      expect((await projectsDone()).丁堰镇).toBe(3);
      const bimonthly = await renderDigest(bot.app.services, 'bimonthly', now);
      expect(cardText(bimonthly.card)).toMatch(/丁堰镇[^\n]*?3\/10/);
      // The monthly report shows the completion rate: projects 3/10, patents 3/5 and 4/5 → 56.7% (53.3% unweighted).
      const monthly = await renderDigest(bot.app.services, 'monthly', now);
      expect(cardText(monthly.card)).toContain('丁堰镇 56.7%');
    } finally {
      weights.key = before;
      await db().lead.update({ where: { code: codes.B }, data: { tier: null } });
    }
  });
});

describe('the monthly analysis of landed projects', () => {
  it('follows projects until their 投产 year is over', async () => {
    // P: in production since 2025, left the analysis; Q: reached 投产 this year, still in it.
    await seedLead('P', '白蒲镇', '2024-10-01', [['signed', '2024-11-01'], ['registered', '2024-12-01'], ['landed', '2025-03-01'], ['producing', '2025-09-01']]);
    await seedLead('Q', '白蒲镇', '2024-10-01', [['signed', '2024-11-01'], ['registered', '2024-12-01'], ['landed', '2025-05-01'], ['producing', '2026-02-01']]);
    const { card } = await renderDigest(bot.app.services, 'monthly', now);
    const text = cardText(card);
    expect(text).toContain('落地项目 3 个：协议与到位');
    expect(text).toContain(`${codes.Q} | 项目Q（白蒲镇）·已投产`);
    expect(text).not.toContain(codes.P);
  });
});
