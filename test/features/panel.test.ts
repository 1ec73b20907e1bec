// 专家组评审 and 一事一议 end to end: experts registered with /experts, a panel drawn for a lead (conflicted
// experts skipped), each expert's 评分表 filed on his 预审 card, the panel's result by the YAML rule (mean and
// majority); a 一事一议 decided by the meeting the secretary records, and the unanimous 会签 rule kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, cardOf } from '../support/harness.ts';
import { buttons, cardText } from '../support/cards.ts';
import type { DeliveredMessage } from '../../src/sandbox/standin.ts';
import { startApproval } from '../../src/features/approval/start.ts';
import { createLead } from '../../src/features/leads/store.ts';
import { officeSchema, type LeadKind } from '../../src/office/config.ts';
import { drawPanel, panelResult, sheetIndicators, sheetTotal } from '../../src/features/approval/panel.ts';
import { defaultScoring } from '../../src/office/scoring.ts';

const ADMIN = 'ou_admin0001';
const STAFF = 'ou_staff0001'; // 白蒲镇
const REV = 'ou_rev00001';
const APP = 'ou_app00001';
const SEC = 'ou_sec00001';
const LEADERS = ['ou_lead0001', 'ou_lead0002'];
const E = ['ou_exp00001', 'ou_exp00002', 'ou_exp00003', 'ou_exp00004', 'ou_exp00005'];
const EXPERT_NAMES = ['钱一', '钱二', '钱三', '钱四', '钱五'];

const T0 = new Date('2026-03-02T01:30:00Z');
let bot: TestBot;
const office = officeSchema.parse({ panel: { size: 3, rule: 'mean', threshold: 60 } });

async function say(from: string, text: string, mentions: { openId: string; name: string }[] = []): Promise<void> {
  await bot.say(from, text, { mentions });
}

beforeAll(async () => {
  bot = await TestBot.start({ name: 'panel', admins: [ADMIN], clock: () => T0, office });
  await say(ADMIN, '/role add staff @陈登记 白蒲镇', [{ openId: STAFF, name: '陈登记' }]);
  await say(ADMIN, '/role add reviewer @张三', [{ openId: REV, name: '张三' }]);
  await say(ADMIN, '/role add approver @赵六', [{ openId: APP, name: '赵六' }]);
  await say(ADMIN, '/role add 秘书 @何秘书', [{ openId: SEC, name: '何秘书' }]);
  await say(ADMIN, '/role add leader @孙一', [{ openId: LEADERS[0], name: '孙一' }]);
  await say(ADMIN, '/role add leader @周二', [{ openId: LEADERS[1], name: '周二' }]);
  const m = (i: number) => [{ openId: E[i], name: EXPERT_NAMES[i] }];
  // Oldest first: 钱一 works for the lead's company, 钱四 is tied to its town; 钱二 and 钱三 fit its field.
  await say(ADMIN, '/experts add @钱一 领域 氢能 回避单位 如皋示范科技', m(0));
  await say(ADMIN, '/experts add @钱二 领域 氢能、储能节能', m(1));
  await say(ADMIN, '/experts add @钱三 领域 tech', m(2));
  await say(ADMIN, '/experts add @钱四 领域 氢能 回避镇区 白蒲镇', m(3));
  await say(ADMIN, '/专家库 add @钱五', m(4));
  await bot.settle();
});
afterAll(async () => {
  await bot?.stop();
});

let seq = 0;
async function newLead(opts: { kind?: LeadKind; investmentWan?: number } = {}): Promise<{ id: number; code: string; projectName: string }> {
  seq++;
  const prisma = bot.app.database.prisma;
  const lead = await prisma.$transaction(async (tx) => {
    const row = await createLead(tx, {
      lead: {
        kind: opts.kind ?? 'tech', projectName: `评审项目${seq}号`, companyName: '如皋示范科技有限公司', companyNorm: null, creditCode: null,
        town: '白蒲镇', industry: '氢能', sourceRegion: null, investmentWan: opts.investmentWan ?? 500, contactName: '王经理',
        contactPhone: '13800000000', summary: '氢燃料电池电堆', needsFund: false, inventionPatents: 0, utilityModels: 0, activityId: null,
        details: {},
      },
      submitterId: STAFF, year: 2026, major: false, role: 'staff', now: T0,
    });
    await startApproval(tx, bot.app.services, row.id);
    return row;
  });
  await bot.settle();
  return { id: lead.id, code: lead.code, projectName: lead.projectName };
}

const titleOf = (m: DeliveredMessage) => String(((cardOf(m).header as Record<string, unknown>)?.title as Record<string, unknown>)?.content ?? '');
function cardFor(user: string, projectName: string, label: string): DeliveredMessage | undefined {
  return bot.messagesTo(user).filter((m) => m.msgType === 'interactive' && titleOf(m).includes(`${label}审批 · ${projectName}`)).at(-1);
}

/** A sheet with every indicator at `share` of its maximum (the 综合评价模型's indicators of the kind, out of 100). */
function sheetForm(share: number, vote: 'pass' | 'fail', kind = 'tech'): Record<string, unknown> {
  const form: Record<string, unknown> = { vote, comment: `综合意见 ${share}` };
  for (const ind of sheetIndicators(office.scoring, kind)) {
    form[`score_${ind.key}`] = String(ind.max * share);
    form[`comment_${ind.key}`] = `${ind.label}评语`;
  }
  return form;
}

async function fileSheets(lead: { projectName: string }, shares: Array<[string, number, 'pass' | 'fail']>, label = '预审', kind = 'tech'): Promise<void> {
  for (const [who, share, vote] of shares) {
    const c = cardFor(who, lead.projectName, label);
    if (!c) throw new Error(`${who} got no ${label} card`);
    const reply = await bot.click(who, c, '提交评分表', sheetForm(share, vote, kind));
    expect(reply.toast?.content).toBe('已提交评分表');
  }
  await bot.settle();
}

describe('the panel, pure', () => {
  it('skips conflicted experts and draws the next; the rules give their results', () => {
    const profiles = new Map([
      ['a', { userId: 'a', fields: ['氢能'], companies: ['示范科技'], towns: [] }],
      ['b', { userId: 'b', fields: [], companies: [], towns: [] }],
      ['c', { userId: 'c', fields: ['氢能'], companies: [], towns: [] }],
      ['d', { userId: 'd', fields: [], companies: [], towns: ['白蒲镇'] }],
      ['e', { userId: 'e', fields: [], companies: [], towns: [] }],
    ]);
    const lead = { kind: 'tech', industry: '氢能', companyName: '如皋示范科技有限公司', town: '白蒲镇' };
    const d = drawPanel(['a', 'b', 'c', 'd', 'e'], profiles, lead, 3);
    expect(d.chosen).toEqual(['c', 'b', 'e']);
    expect(d.skipped.map((x) => x.userId)).toEqual(['a', 'd']);
    // The sheet's lines are the 综合评价模型's indicators of the kind, worth 100 together (tech: 技术先进性 20 …).
    const tech = sheetIndicators(defaultScoring as never, 'tech');
    expect(tech.reduce((s, i) => s + i.max, 0)).toBe(100);
    expect(tech[0]).toEqual({ key: 'advancement', label: '技术先进性', max: 20 });
    expect(sheetTotal([{ score: 17, max: 20 }, { score: 10, max: 20 }])).toBe(67.5);
    const sheets = [{ total: 100, pass: true }, { total: 50, pass: false }, { total: 40, pass: false }];
    expect(panelResult(sheets, 'mean', 60)).toMatchObject({ outcome: 'approved', mean: 63.3 });
    expect(panelResult(sheets, 'majority', 60)).toMatchObject({ outcome: 'rejected', passVotes: 1 });
    expect(panelResult(sheets.slice(0, 2), 'majority', 60).outcome).toBe('rejected'); // 1 of 2 is not more than half
  });
});

describe('/experts', () => {
  it('lists the register with fields and conflicts', async () => {
    await say(ADMIN, '/experts');
    await bot.settle();
    const text = cardText(bot.lastCard(ADMIN).card);
    expect(text).toContain('专家库（5 位）');
    expect(text).toContain('**钱一** · 领域：氢能 · 回避：如皋示范科技');
    expect(text).toContain('**钱四** · 领域：氢能 · 回避：白蒲镇');
    expect(text).toContain('**钱五** · 领域：不限');
    expect(text).toContain('每个项目抽取 3 位专家评审，均分 ≥ 60 分通过');
  });

  it('is for admins only', async () => {
    await say(STAFF, '/experts add @钱一', [{ openId: E[0], name: '钱一' }]);
    await bot.settle();
    expect(bot.lastText(STAFF)).not.toContain('已将');
  });
});

describe('预审 by a panel of three', () => {
  it('mean rule: conflicted experts are skipped, the mean of the sheets decides (63.3 ≥ 60)', async () => {
    const lead = await newLead();
    // 钱一 (company) and 钱四 (town) are skipped; 钱二 and 钱三 (field) and 钱五 (next) sit.
    expect(cardFor(E[0], lead.projectName, '预审')).toBeUndefined();
    expect(cardFor(E[3], lead.projectName, '预审')).toBeUndefined();
    const card = cardFor(E[1], lead.projectName, '预审')!;
    expect(buttons(cardOf(card)).map((b) => b.text)).toEqual(['提交评分表']);
    expect(cardText(cardOf(card))).toContain('技术先进性（0–20 分）');
    // A sheet with a score out of range is refused, nothing recorded.
    const bad = await bot.click(E[1], card, '提交评分表', { ...sheetForm(1, 'pass'), score_advancement: '25' });
    expect(bad.toast?.content).toBe('「技术先进性」的得分须在 0 到 20 之间');
    await fileSheets(lead, [[E[1], 1, 'pass'], [E[2], 0.5, 'fail']]);
    const row = await bot.app.database.prisma.lead.findUniqueOrThrow({ where: { id: lead.id } });
    expect(row.status).toBe('pending');
    await fileSheets(lead, [[E[4], 0.4, 'fail']]);
    // Mean (100 + 50 + 40) / 3 = 63.3 ≥ 60 although two of three voted 不通过: on to 初审.
    expect(cardFor(REV, lead.projectName, '初审')).toBeDefined();
    const sheets = await bot.app.database.prisma.panelSheet.findMany({ where: { leadId: lead.id }, orderBy: { id: 'asc' } });
    expect(sheets.map((s) => [s.expertId, s.total, s.pass])).toEqual([[E[1], 100, true], [E[2], 50, false], [E[4], 40, false]]);

    await say(STAFF, `/history ${lead.code}`);
    await bot.settle();
    const history = cardText(bot.lastCard(STAFF).card);
    expect(history).toContain('抽取专家组');
    expect(history).toContain('回避：钱一（与项目单位「如皋示范科技」有利益关系）、钱四（与项目所在镇区（白蒲镇）有利益关系）');
    expect(history).toContain('均分 63.3 ≥ 60，通过');
    expect(history).toContain('专家评分表');
    expect(history).toContain('钱三**（预审）50 分 · 不通过：技术先进性 10/20（技术先进性评语）');
  });

  it('majority rule: the same sheets reject the lead (1 of 3 votes 通过)', async () => {
    bot.app.services.office.panel.rule = 'majority';
    try {
      const lead = await newLead();
      await fileSheets(lead, [[E[1], 1, 'pass'], [E[2], 0.5, 'fail'], [E[4], 0.4, 'fail']]);
      const row = await bot.app.database.prisma.lead.findUniqueOrThrow({ where: { id: lead.id } });
      expect(row.status).toBe('rejected');
      expect(cardFor(REV, lead.projectName, '初审')).toBeUndefined();
      // The end of the round is one line of text to the submitter (his living card changes in place).
      const notice = bot.messagesTo(STAFF).filter((m) => m.msgType === 'text' && m.content.includes(lead.code)).at(-1)!;
      const text = (JSON.parse(notice.content) as { text: string }).text;
      expect(text).toContain('未通过预审专家组评审：3 票中 1 票通过，未过半，未通过，审批结束。');
    } finally {
      bot.app.services.office.panel.rule = 'mean';
    }
  });
});

describe('一事一议', () => {
  async function throughSignoff(lead: { projectName: string }): Promise<void> {
    await bot.click(REV, cardFor(REV, lead.projectName, '初审')!, '同意');
    await bot.settle();
    await bot.click(APP, cardFor(APP, lead.projectName, '审签')!, '同意');
    await bot.settle();
    // 专家组评审 of the 一事一议 (panel.major): the same draw, all three pass it.
    expect(cardFor(E[0], lead.projectName, '专家评审')).toBeUndefined();
    await fileSheets(lead, [[E[1], 1, 'pass'], [E[2], 0.8, 'pass'], [E[4], 0.7, 'pass']], '专家评审', 'service');
  }

  it('is decided by the meeting the secretary records; 暂缓 waits for the next meeting', async () => {
    const lead = await newLead({ kind: 'service', investmentWan: 20000 });
    await throughSignoff(lead);
    expect(cardFor(LEADERS[0], lead.projectName, '领导小组')).toBeUndefined();
    const card = cardFor(SEC, lead.projectName, '领导小组')!;
    expect(buttons(cardOf(card)).map((b) => b.text)).toEqual(['提交会议决议']);
    const missing = await bot.click(SEC, card, '提交会议决议', { date: '2026-03-05', outcome: 'pass' });
    expect(missing.toast?.content).toBe('请填写参会人员');
    // The 尽调 report: /attach, then the file; the quota import never sees it.
    await say(ADMIN, `/attach ${lead.code}`);
    await bot.sendFile(ADMIN, '尽调报告.pdf', Buffer.from('%PDF-1.4 test'));
    await bot.settle();
    expect(bot.lastText(ADMIN)).toBe(`已将「尽调报告.pdf」作为「${lead.projectName}」（${lead.code}）的尽调 / 分析报告。`);
    const deferred = await bot.click(SEC, card, '提交会议决议', { date: '2026-03-05 +0800', attendees: '孙一、周二', outcome: 'defer', minutes: '待补充尽调材料' });
    expect(deferred.toast?.content).toBe('已记录会议决议');
    await bot.settle();
    let row = await bot.app.database.prisma.lead.findUniqueOrThrow({ where: { id: lead.id } });
    expect(row.status).toBe('pending');
    const again = cardFor(SEC, lead.projectName, '领导小组')!;
    const passed = await bot.click(SEC, again, '提交会议决议', { date: '2026-03-12', attendees: '孙一、周二', outcome: 'pass', minutes: '同意引进' });
    expect(passed.toast?.content).toBe('已记录会议决议');
    expect(cardText(passed.card!)).toContain('领导小组会议决议通过');
    expect(cardText(passed.card!)).toContain('领导小组会议**（2026-03-12）：通过');
    expect(cardText(passed.card!)).toContain('尽调 / 分析报告**：尽调报告.pdf');
    await bot.settle();
    row = await bot.app.database.prisma.lead.findUniqueOrThrow({ where: { id: lead.id } });
    expect(row.status).toBe('approved');
    const meetings = await bot.app.database.prisma.leadMeeting.findMany({ where: { leadId: lead.id }, orderBy: { id: 'asc' } });
    expect(meetings.map((m) => [m.meetingDate, m.outcome, m.recordedBy])).toEqual([['2026-03-05', 'defer', SEC], ['2026-03-12', 'pass', SEC]]);
    // The 双月例会's 重点项目 show the panel's result and the meeting's decision.
    await say(ADMIN, '/digest bimonthly');
    await bot.settle();
    expect(cardText(bot.lastCard(ADMIN).card)).toContain('已通过 · 专家组通过 · 会议通过 03-12');
  });

  it('a meeting 不通过 rejects the lead', async () => {
    const lead = await newLead({ kind: 'service', investmentWan: 30000 });
    await throughSignoff(lead);
    await bot.click(SEC, cardFor(SEC, lead.projectName, '领导小组')!, '提交会议决议', { date: '2026-03-12', attendees: '孙一、周二', outcome: 'fail' });
    await bot.settle();
    const row = await bot.app.database.prisma.lead.findUniqueOrThrow({ where: { id: lead.id } });
    expect(row.status).toBe('rejected');
  });

  it('major.decision: unanimous keeps every leader’s 会签', async () => {
    bot.app.services.office.major.decision = 'unanimous';
    try {
      const lead = await newLead({ kind: 'service', investmentWan: 20000 });
      await throughSignoff(lead);
      expect(cardFor(SEC, lead.projectName, '领导小组')).toBeUndefined();
      await bot.click(LEADERS[0], cardFor(LEADERS[0], lead.projectName, '领导小组')!, '同意');
      await bot.settle();
      let row = await bot.app.database.prisma.lead.findUniqueOrThrow({ where: { id: lead.id } });
      expect(row.status).toBe('pending');
      await bot.click(LEADERS[1], cardFor(LEADERS[1], lead.projectName, '领导小组')!, '同意');
      await bot.settle();
      row = await bot.app.database.prisma.lead.findUniqueOrThrow({ where: { id: lead.id } });
      expect(row.status).toBe('approved');
    } finally {
      bot.app.services.office.major.decision = 'meeting';
    }
  });
});
