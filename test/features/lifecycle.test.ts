// After approval, driven as people would: /stage (进度) and its cards, the 一月一报 job and its answers, the
// 靶向推送 to subscribed chats, and re-scoring when the scoring config changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, cardOf } from '../support/harness.ts';
import { buttons, cardText, findButton } from '../support/cards.ts';
import { validateCard } from '../../src/platform/cards/validate.ts';
import { onLeadApproved } from '../../src/features/push/push.ts';
import { followUpsJob, overdueFollowUps } from '../../src/features/lifecycle/follow-ups.ts';
import { monthlyReportJob } from '../../src/features/digests/jobs.ts';
import { rescoreIfChanged, scoreAndStore } from '../../src/features/leads/scores.ts';
import { defaultOffice } from '../../src/office/config.ts';
import { scoringSchema } from '../../src/features/leads/scoring.ts';
import type { DeliveredMessage } from '../../src/sandbox/standin.ts';
import type { CardJson } from '../../src/platform/lark/types.ts';

const ADMIN = 'ou_admin0001';
const OWNER = 'ou_owner0001';
const OTHER = 'ou_other0001'; // staff of the same town, not the owner
const FAR = 'ou_far000001'; // staff of another town
const REVIEWER = 'ou_review001';
const VALID_CODE = '91320682MA1W3T8K2K';

let now = new Date('2023-12-15T02:00:00Z'); // 10:00 in Asia/Shanghai
let bot: TestBot;
let seq = 0;

const db = () => bot.app.database.prisma;
const latest = (id: string) => bot.lastMessageTo(id);
const textOf = (m: DeliveredMessage) => cardText(cardOf(m));
const replyCard = (r: unknown) => ((r as { card?: { data: CardJson } }).card?.data);

interface LeadOverrides {
  kind?: string;
  projectName?: string;
  industry?: string | null;
  town?: string;
  submitterId?: string;
  status?: string;
  approvedAt?: Date | null;
  stage?: string | null;
  details?: object;
  investmentWan?: number | null;
  inventionPatents?: number;
  contactName?: string;
  contactPhone?: string;
}

/** An approved lead, written directly (the approval flow is another feature). */
async function insertLead(o: LeadOverrides = {}) {
  seq++;
  return db().lead.create({
    data: {
      code: `KZ-2023-${String(seq).padStart(4, '0')}`,
      kind: o.kind ?? 'tech',
      projectName: o.projectName ?? `氢燃料电池膜电极项目${seq}`,
      industry: o.industry === undefined ? '氢能' : o.industry,
      town: o.town ?? '开发区',
      submitterId: o.submitterId ?? OWNER,
      status: o.status ?? 'approved',
      approvedAt: o.approvedAt === undefined ? new Date('2023-02-10T03:00:00Z') : o.approvedAt,
      stage: o.stage ?? null,
      details: o.details ?? { hightech_field: '新能源与节能', stage: '产业化', market_outlook: '较好', team_strength: '有专职研发团队' },
      investmentWan: o.investmentWan === undefined ? 1200 : o.investmentWan,
      inventionPatents: o.inventionPatents ?? 3,
      contactName: o.contactName ?? '李经理',
      contactPhone: o.contactPhone ?? '13812345678',
    },
  });
}

async function openStage(who: string, code: string): Promise<DeliveredMessage> {
  await bot.say(who, `进度 ${code}`);
  return latest(who);
}

beforeAll(async () => {
  bot = await TestBot.start({ name: 'lifecycle', clock: () => now, admins: [ADMIN] });
  await db().roleGrant.createMany({
    data: [
      { userId: OWNER, role: 'staff', town: '开发区', grantedBy: ADMIN },
      { userId: OTHER, role: 'staff', town: '开发区', grantedBy: ADMIN },
      { userId: FAR, role: 'staff', town: '丁堰镇', grantedBy: ADMIN },
      { userId: REVIEWER, role: 'reviewer', grantedBy: ADMIN },
    ],
  });
});

afterAll(async () => {
  await bot?.stop();
});

describe('项目进度: 签约 → 注册 → 落地 → 投产 and the growth milestones', () => {
  it('scores a project again when it moves: 签约 raises 技术成熟度 and lifts it to 重点类, recorded and shown', async () => {
    // 技术先进性 15.2 + 研发 0.3 × 10 = 3 + 市场前景广阔 10 + 国家级人才领衔 10 + 商业模式 3 + 税收 200 万元 (0.4 / 4) × 15 = 1.5
    // + 1,200 万元 2.5 + 国内领先 4 + 不新增用地 5 + 开发区's own chain 5 = 59.2 → 常规类.
    const lead = await insertLead({
      details: {
        hightech_field: '新能源与节能', stage: '研发', market_outlook: '广阔', team_strength: '国家级人才领衔', business_model: '初步形成',
        industry_position: '国内领先', tax_wan: 200,
      },
    });
    await scoreAndStore(db(), lead.id, bot.app.services.office);
    expect(await db().lead.findUniqueOrThrow({ where: { id: lead.id } })).toMatchObject({ score: 59.2, tier: 'regular' });
    const card = await openStage(OWNER, lead.code);
    expect(textOf(card)).toContain('综合评分：59.2 分 · 常规类');
    expect(textOf(card)).toContain('技术成熟度 3/10：项目阶段：研发');
    await bot.click(OWNER, card, '登记签约');
    const reply = await bot.click(OWNER, card, '提交', { date: '2023-03-01', investment_wan: '5000' });
    // 签约 0.5 beats 研发 0.3: 技术成熟度 5, 61.2 → 重点类.
    expect(reply.toast).toEqual({ type: 'success', content: '已登记「签约」；评级由常规类调整为重点类' });
    expect(textOf(card)).toContain('综合评分：61.2 分 · 重点类');
    expect(textOf(card)).toContain('技术成熟度 5/10：已签约');
    expect(textOf(card)).toContain('综合评分 59.2 → 61.2 分；评级由常规类调整为重点类');
    expect(await db().lead.findUniqueOrThrow({ where: { id: lead.id } })).toMatchObject({ score: 61.2, tier: 'key' });
    const audit = await db().auditEvent.findMany({ where: { leadId: lead.id, action: 'tier_change' } });
    expect(audit.map((a) => [a.actorId, a.data])).toEqual([
      [OWNER, { code: lead.code, from: 'regular', to: 'key', fromScore: 59.2, score: 61.2, cause: '登记「签约」' }],
    ]);
    // 注册 raises the score again (0.6 → 6) but not the tier: no second tier_change.
    await bot.click(OWNER, card, '登记注册');
    const again = await bot.click(OWNER, card, '提交', { credit_code: VALID_CODE, date: '2023-03-20' });
    expect(again.toast).toEqual({ type: 'success', content: '已登记「注册」' });
    expect(await db().lead.findUniqueOrThrow({ where: { id: lead.id } })).toMatchObject({ score: 62.2, tier: 'key' });
    expect(await db().auditEvent.count({ where: { leadId: lead.id, action: 'tier_change' } })).toBe(1);
  });

  it('takes a lead through every stage and milestone, with a LeadStage row and an AuditEvent per update', async () => {
    const lead = await insertLead();
    const card = await openStage(OWNER, lead.code);
    expect(validateCard(cardOf(card))).toEqual({ ok: true });
    expect(textOf(card)).toContain('签约 → 注册 → 落地（开工） → 投产');
    // The office's pre-签约 stages (default 接洽, 在谈) may be skipped; every approved lead may raise a problem.
    expect(buttons(cardOf(card)).map((b) => b.text)).toEqual(['登记接洽', '登记在谈', '登记签约', '提出问题']);

    const steps: Array<[string, string, Record<string, string>, string]> = [
      [OWNER, '登记签约', { date: '2023-03-01', investment_wan: '5000' }, '签约 ✓ → 注册 → 落地（开工） → 投产'],
      [OWNER, '登记注册', { credit_code: VALID_CODE, date: '2023-03-20 +0800' }, '签约 ✓ → 注册 ✓ → 落地（开工） → 投产'],
      [OWNER, '登记科技型中小企业入库', { date: '2023-04-10' }, '签约 ✓ → 注册 ✓ → 落地（开工） → 投产'],
      [REVIEWER, '登记落地（开工）', { carrier: '氢能孵化器', address: '开发区氢能产业园 3 号楼', date: '2023-05-08' }, '签约 ✓ → 注册 ✓ → 落地（开工） ✓ → 投产'],
      [OWNER, '登记投产', { date: '2023-09-30' }, '签约 ✓ → 注册 ✓ → 落地（开工） ✓ → 投产 ✓'],
      [ADMIN, '登记高新技术企业认定', { date: '2023-11-20', certificate_no: 'GR202332001234' }, '投产 ✓'],
      [OWNER, '登记领军企业', { date: '2023-12-01' }, '投产 ✓'],
    ];
    let current = card;
    for (const [who, label, form, progress] of steps) {
      // The owner keeps using the card he has (it is replaced after each update); the others open their own.
      if (who !== OWNER) current = await openStage(who, lead.code);
      else if (current.chatId !== card.chatId) current = await openStage(OWNER, lead.code);
      await bot.click(who, current, label);
      const formCard = cardOf(current);
      expect(validateCard(formCard)).toEqual({ ok: true });
      const reply = await bot.click(who, current, '提交', form);
      expect(reply.toast).toEqual({ type: 'success', content: `已登记「${label.replace('登记', '')}」` });
      expect(textOf(current)).toContain(progress);
    }
    const finalText = textOf(current);
    expect(finalText).toContain('签约** 2023-03-01：协议投资额 5,000 万元');
    expect(finalText).toContain(`注册** 2023-03-20：统一社会信用代码 ${VALID_CODE}`);
    expect(finalText).toContain('落地（开工）** 2023-05-08：落地载体 氢能孵化器，地址 开发区氢能产业园 3 号楼');
    expect(finalText).toContain('高新技术企业认定** 2023-11-20：证书编号 GR202332001234');
    expect(finalText).toContain('项目已投产，成长路径已全部登记。');
    expect(buttons(cardOf(current)).map((b) => b.text)).toEqual(['提出问题']);

    const stages = await db().leadStage.findMany({ where: { leadId: lead.id }, orderBy: { id: 'asc' } });
    expect(stages.map((s) => [s.stage, s.date.toISOString().slice(0, 10), s.actorId])).toEqual([
      ['signed', '2023-03-01', OWNER],
      ['registered', '2023-03-20', OWNER],
      ['tech_sme', '2023-04-10', OWNER],
      ['landed', '2023-05-08', REVIEWER],
      ['producing', '2023-09-30', OWNER],
      ['high_tech', '2023-11-20', ADMIN],
      ['leading', '2023-12-01', OWNER],
    ]);
    expect(stages[0].data).toEqual({ investment_wan: 5000 });
    const row = await db().lead.findUniqueOrThrow({ where: { id: lead.id } });
    expect(row.stage).toBe('producing');
    expect(row.creditCode).toBe(VALID_CODE);
    const audit = await db().auditEvent.findMany({ where: { leadId: lead.id, action: 'stage_update' }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.actorId, a.role, (a.data as { stage: string }).stage])).toEqual([
      [OWNER, 'submitter', 'signed'],
      [OWNER, 'submitter', 'registered'],
      [OWNER, 'submitter', 'tech_sme'],
      [REVIEWER, 'reviewer', 'landed'],
      [OWNER, 'submitter', 'producing'],
      [ADMIN, 'admin', 'high_tech'],
      [OWNER, 'submitter', 'leading'],
    ]);
  });

  it('takes 协议投资额 in 亿 at 签约, as registration takes 计划投资额', async () => {
    const lead = await insertLead();
    const card = await openStage(OWNER, lead.code);
    await bot.click(OWNER, card, '登记签约');
    const reply = await bot.click(OWNER, card, '提交', { date: '2023-03-01', investment_wan: '1.5亿' });
    expect(reply.toast).toEqual({ type: 'success', content: '已登记「签约」' });
    expect(textOf(card)).toContain('签约** 2023-03-01：协议投资额 15,000 万元');
    expect((await db().leadStage.findFirstOrThrow({ where: { leadId: lead.id } })).data).toEqual({ investment_wan: 15000 });
  });

  it('refuses a bad credit code, in Chinese, on the form, and records nothing', async () => {
    const lead = await insertLead({ stage: 'signed' });
    await db().leadStage.create({ data: { leadId: lead.id, stage: 'signed', date: new Date('2023-03-01T00:00:00Z'), actorId: OWNER } });
    const card = await openStage(OWNER, lead.code);
    await bot.click(OWNER, card, '登记注册');
    const reply = await bot.click(OWNER, card, '提交', { credit_code: '91320682MA1W3T8K2A', date: '2023-03-20' });
    expect(reply.toast).toEqual({ type: 'warning', content: '有 1 项需要修改，尚未保存' });
    expect(textOf(card)).toContain('统一社会信用代码校验位不正确：请核对每一位是否抄错');
    expect(validateCard(cardOf(card))).toEqual({ ok: true });
    const future = await bot.click(OWNER, card, '提交', { credit_code: VALID_CODE, date: '2023-12-16' });
    expect(future.toast?.type).toBe('warning');
    expect(textOf(card)).toContain('注册日期不能晚于今天（2023-12-15）');
    expect(await db().leadStage.count({ where: { leadId: lead.id } })).toBe(1);
    expect((await db().lead.findUniqueOrThrow({ where: { id: lead.id } })).stage).toBe('signed');
  });

  it('refuses going backwards from a stale card', async () => {
    const lead = await insertLead();
    const stale = await openStage(OWNER, lead.code);
    const card = await openStage(OWNER, lead.code);
    await bot.click(OWNER, card, '登记签约');
    await bot.click(OWNER, card, '提交', { date: '2023-03-01', investment_wan: '800' });
    await bot.click(OWNER, card, '登记注册');
    await bot.click(OWNER, card, '提交', { credit_code: VALID_CODE, date: '2023-03-05' });
    // The first card still shows 登记签约.
    const again = await bot.click(OWNER, stale, '登记签约');
    expect(again.toast).toEqual({ type: 'error', content: '项目已到「注册」阶段，不能回到「签约」。' });
    const submit = await bot.clickValue(OWNER, { action: 'lifecycle.submit', leadId: lead.id, stage: 'signed' }, { formValue: { date: '2023-03-01', investment_wan: '900' } });
    expect(submit.toast).toEqual({ type: 'error', content: '项目已到「注册」阶段，不能回到「签约」。' });
    const skip = await bot.clickValue(OWNER, { action: 'lifecycle.submit', leadId: lead.id, stage: 'producing' }, { formValue: { date: '2023-06-01' } });
    expect(skip.toast).toEqual({ type: 'error', content: '请先登记「落地（开工）」，再登记「投产」。' });
    expect((await db().leadStage.findMany({ where: { leadId: lead.id } })).map((s) => s.stage).sort()).toEqual(['registered', 'signed']);
  });

  it('shows other staff only 提出问题 and refuses their updates; other towns do not see the lead', async () => {
    const lead = await insertLead();
    const card = await openStage(OTHER, lead.code);
    expect(textOf(card)).toContain(lead.projectName);
    expect(buttons(cardOf(card)).map((b) => b.text)).toEqual(['提出问题']);
    const open = await bot.clickValue(OTHER, { action: 'lifecycle.open', leadId: lead.id, stage: 'signed' });
    expect(open.toast).toEqual({ type: 'error', content: '只有项目登记人、初审人员或管理员可以更新项目进度。' });
    const submit = await bot.clickValue(OTHER, { action: 'lifecycle.submit', leadId: lead.id, stage: 'signed' }, { formValue: { date: '2023-03-01', investment_wan: '900' } });
    expect(submit.toast?.content).toBe('只有项目登记人、初审人员或管理员可以更新项目进度。');
    await bot.say(FAR, `进度 ${lead.code}`);
    expect(bot.lastMessageTo(FAR).content).toContain(`未找到项目 ${lead.code}，或您无权查看该项目。`);
    expect(await db().leadStage.count({ where: { leadId: lead.id } })).toBe(0);
    expect(await db().auditEvent.count({ where: { leadId: lead.id } })).toBe(0);
  });

  it('refuses updates on a lead still in approval', async () => {
    const lead = await insertLead({ status: 'pending', approvedAt: null });
    const card = await openStage(OWNER, lead.code);
    expect(textOf(card)).toContain('项目审批通过后可登记签约、注册、落地（开工）、投产等进度。');
    expect(buttons(cardOf(card))).toEqual([]);
    const r = await bot.clickValue(OWNER, { action: 'lifecycle.submit', leadId: lead.id, stage: 'signed' }, { formValue: { date: '2023-03-01', investment_wan: '900' } });
    expect(r.toast).toEqual({ type: 'error', content: '项目尚在审批中，审批通过后才能登记进度。' });
  });

  it('lists my approved projects with their stage when /stage has no code', async () => {
    await bot.say(OWNER, '/stage');
    const text = textOf(latest(OWNER));
    expect(text).toMatch(/我的已通过项目（共 \d+ 项）/);
    expect(text).toContain('投产');
    expect(text).toContain('尚未签约');
  });
});

describe('一月一报', () => {
  let plain: Awaited<ReturnType<typeof insertLead>>;
  let silent: Awaited<ReturnType<typeof insertLead>>;
  let progressing: Awaited<ReturnType<typeof insertLead>>;
  const OWNER2 = 'ou_owner0002';
  const run = (at: Date) => followUpsJob.run({ services: bot.app.services, now: at, force: false });
  const first = new Date('2024-01-01T01:41:00Z'); // 09:41 on 1 January in Asia/Shanghai

  beforeAll(async () => {
    now = new Date('2024-01-01T03:00:00Z');
    await db().roleGrant.create({ data: { userId: OWNER2, role: 'staff', town: '开发区', grantedBy: ADMIN } });
    await db().lead.deleteMany({});
    plain = await insertLead({ submitterId: OWNER2, approvedAt: new Date('2023-10-05T02:00:00Z') });
    silent = await insertLead({ submitterId: OWNER2, approvedAt: new Date('2023-11-10T02:00:00Z'), stage: 'signed' });
    progressing = await insertLead({ submitterId: OWNER2, approvedAt: new Date('2023-12-20T02:00:00Z') });
    await insertLead({ submitterId: OWNER2, stage: 'producing' }); // 投产: no report
    await insertLead({ submitterId: OWNER2, status: 'pending', approvedAt: null }); // not approved
    await insertLead({ submitterId: OWNER2, approvedAt: new Date('2023-12-31T17:00:00Z') }); // approved on 1 January: next month
  });

  it('sends one card per approved project not yet 投产, once even when run twice', async () => {
    const before = bot.messagesTo(OWNER2).length;
    const r1 = await run(first);
    expect(r1).toMatchObject({ sent: 3, skipped: 0 });
    await bot.settle();
    const r2 = await run(new Date(first.getTime() + 3600_000));
    expect(r2).toMatchObject({ sent: 0, skipped: 3 });
    await bot.settle();
    const cards = bot.messagesTo(OWNER2).slice(before);
    expect(cards).toHaveLength(3);
    const texts = cards.map(textOf);
    for (const lead of [plain, silent, progressing]) expect(texts.filter((t) => t.includes(lead.code))).toHaveLength(1);
    // Sent on 1 January, the card asks about the month that just ended: December 2023.
    expect(texts[0]).toContain('一月一报：2023年12月项目进展');
    expect(texts[0]).toContain('反馈上月（2023年12月）的项目进展');
    expect(texts[0]).not.toContain('本月');
    expect(texts[0]).not.toContain('2024年1月');
    expect(texts.find((t) => t.includes(silent.code))).toContain('当前阶段**：签约');
    for (const c of cards) expect(validateCard(cardOf(c))).toEqual({ ok: true });
    // Filed under the month it asks about; the run ledger uses the same key, so the second run sent nothing.
    expect(await db().followUp.count({ where: { period: '2023-12' } })).toBe(3);
    expect(await db().followUp.count({ where: { period: '2024-01' } })).toBe(0);
    expect(await db().jobRun.count({ where: { job: 'follow-ups', period: '2023-12' } })).toBe(3);
  });

  it('records 「无变化」 with one tap, only from the owner, and only once', async () => {
    const card = bot.messagesTo(OWNER2).find((m) => textOf(m).includes(plain.code) && textOf(m).includes('一月一报'))!;
    const stranger = await bot.click(OTHER, card, '无变化');
    expect(stranger.toast).toEqual({ type: 'error', content: '只有项目登记人可以反馈一月一报。' });
    const reply = await bot.click(OWNER2, card, '无变化');
    expect(reply.toast).toEqual({ type: 'success', content: '已记录：2023年12月无变化' });
    expect(textOf(card)).toContain('已反馈**：无变化');
    expect(buttons(cardOf(card))).toEqual([]);
    const f = await db().followUp.findUniqueOrThrow({ where: { leadId_period: { leadId: plain.id, period: '2023-12' } } });
    expect(f.answer).toBe('unchanged');
    expect(f.answeredAt?.toISOString()).toBe(now.toISOString());
    const again = await bot.clickValue(OWNER2, { action: 'followup.unchanged', followUpId: f.id });
    expect(again.toast).toEqual({ type: 'info', content: '2023年12月进展已反馈过' });
  });

  it('takes a short note, or a new stage, as the answer', async () => {
    const card = bot.messagesTo(OWNER2).find((m) => textOf(m).includes(progressing.code) && textOf(m).includes('一月一报'))!;
    const bad = await bot.click(OWNER2, card, '提交进展', { invention_patents: '两件', note: '  ' });
    expect(bad.toast).toEqual({ type: 'warning', content: '有 1 项需要修改，尚未保存' });
    expect(textOf(card)).toContain('上月新增发明专利实审应为 0 或正整数');
    // 登记新阶段 opens the lifecycle card; recording 签约 answers the month's report.
    now = new Date('2024-01-03T02:00:00Z');
    await bot.click(OWNER2, card, '登记新阶段');
    expect(textOf(card)).toContain(`项目进度：${progressing.projectName}`);
    await bot.click(OWNER2, card, '登记签约');
    await bot.click(OWNER2, card, '提交', { date: '2024-01-02', investment_wan: '3000' });
    const f = await db().followUp.findUniqueOrThrow({ where: { leadId_period: { leadId: progressing.id, period: '2023-12' } } });
    expect(f).toMatchObject({ answer: 'updated', note: '登记「签约」' });
  });

  it('lists owners who did not answer within 7 days', async () => {
    // The cards sent in January (they ask about December) are the ones the January report looks at.
    expect(await overdueFollowUps(db(), '2024-01', new Date('2024-01-08T01:40:00Z'))).toEqual([]);
    const overdue = await overdueFollowUps(db(), '2024-01', new Date('2024-01-08T01:41:00Z'));
    expect(overdue).toEqual([
      { followUpId: expect.any(Number), leadId: silent.id, code: silent.code, projectName: silent.projectName, town: '开发区', ownerId: OWNER2, sentAt: first },
    ]);
    // The 一月一报 report for January (made on 1 February) names the silent owner.
    await db().user.upsert({ where: { openId: OWNER2 }, create: { openId: OWNER2, name: '周沉默' }, update: { name: '周沉默' } });
    await db().subscription.create({ data: { chatId: 'oc_monthly_report', topic: 'monthly', createdBy: ADMIN } });
    await monthlyReportJob.run({ services: bot.app.services, now: new Date('2024-02-01T00:37:00Z'), force: false });
    await bot.settle();
    const report = textOf(bot.lastMessageTo('oc_monthly_report'));
    expect(report).toContain('一月一报超过 7 天未反馈');
    expect(report).toContain(`${silent.code} ${silent.projectName}（开发区，周沉默）`);
    expect(report).not.toContain(plain.code);
    // A note answers too.
    const card = bot.messagesTo(OWNER2).find((m) => textOf(m).includes(silent.code) && textOf(m).includes('一月一报'))!;
    await bot.click(OWNER2, card, '提交进展', { note: '已完成工商注册材料准备' });
    expect(textOf(card)).toContain('阶段 签约 · 发明专利实审 +0 · 实用新型授权 +0');
    expect(textOf(card)).toContain('说明：已完成工商注册材料准备');
    expect(await overdueFollowUps(db(), '2024-01', new Date('2024-01-20T00:00:00Z'))).toEqual([]);
  });

  it('a service back after missing the 1st sends that month’s cards once, as of the 1st', async () => {
    // Down over 1 February 09:41, back on the 2nd; then started once more.
    now = new Date('2024-02-02T02:00:00Z');
    const before = bot.messagesTo(OWNER2).length;
    const followUps = async () => (await bot.app.scheduler.catchUp(now)).filter((o) => o.job === 'follow-ups');
    const first = await followUps();
    await bot.settle();
    // plain, silent, progressing and the lead approved on 1 January.
    expect(first).toEqual([expect.objectContaining({ status: 'done', at: new Date('2024-02-01T01:41:00Z'), result: expect.objectContaining({ sent: 4, skipped: 0 }) })]);
    const cards = bot.messagesTo(OWNER2).slice(before);
    expect(cards).toHaveLength(4);
    for (const c of cards) expect(textOf(c)).toContain('一月一报：2024年1月项目进展');
    expect(await db().followUp.count({ where: { period: '2024-01', sentAt: new Date('2024-02-01T01:41:00Z') } })).toBe(4);

    now = new Date('2024-02-02T03:00:00Z');
    const second = await followUps();
    await bot.settle();
    expect(second).toEqual([expect.objectContaining({ status: 'done', result: expect.objectContaining({ sent: 0, skipped: 4 }) })]);
    expect(bot.messagesTo(OWNER2)).toHaveLength(before + 4);
  });
});

describe('一月一报 by tier', () => {
  it('asks 潜力类 projects only every scoring.followUpMonths.potential months, 重点类 every month', async () => {
    const owner = 'ou_owner0003';
    const october = new Date('2023-10-05T02:00:00Z');
    const key = await insertLead({ submitterId: owner, approvedAt: october });
    const potential = await insertLead({ submitterId: owner, approvedAt: october });
    await db().lead.update({ where: { id: key.id }, data: { tier: 'key' } });
    await db().lead.update({ where: { id: potential.id }, data: { tier: 'potential' } });
    const services = { ...bot.app.services, office: { ...bot.app.services.office, scoring: scoringSchema.parse({ followUpMonths: { potential: 3 } }) } };
    const asked = async (at: string, period: string) => {
      await followUpsJob.run({ services, now: new Date(at), force: false });
      const rows = await db().followUp.findMany({ where: { period, leadId: { in: [key.id, potential.id] } } });
      return rows.map((r) => (r.leadId === key.id ? 'key' : 'potential')).sort();
    };
    // Approved in October: asked about October, then the 潜力类 one again about January (3 months on), not November.
    expect(await asked('2023-11-01T01:41:00Z', '2023-10')).toEqual(['key', 'potential']);
    expect(await asked('2023-12-01T01:41:00Z', '2023-11')).toEqual(['key']);
    expect(await asked('2024-02-01T01:41:00Z', '2024-01')).toEqual(['key', 'potential']);
  });
});

describe('一月一报 cards are made when they are sent', () => {
  it('show the stage of that moment, and none goes out for a project closed in the meantime', async () => {
    const OWNER3 = 'ou_owner0004';
    await db().roleGrant.create({ data: { userId: OWNER3, role: 'staff', town: '开发区', grantedBy: ADMIN } });
    const moving = await insertLead({ submitterId: OWNER3, approvedAt: new Date('2024-02-10T02:00:00Z') });
    const closing = await insertLead({ submitterId: OWNER3, approvedAt: new Date('2024-02-11T02:00:00Z') });
    // Queued on 1 March; the outbox is held so that the cards wait, as thousands do behind Lark's pace.
    await bot.app.outbox.stop();
    try {
      await followUpsJob.run({ services: bot.app.services, now: new Date('2024-03-01T01:41:00Z'), force: false });
      const queued = await db().outboxMessage.findMany({ where: { receiveId: OWNER3, status: 'pending' } });
      expect(queued.map((m) => [m.refType, m.content])).toEqual([['followup', null], ['followup', null]]);
      await db().lead.update({ where: { id: moving.id }, data: { stage: 'signed' } });
      await db().lead.update({ where: { id: closing.id }, data: { closedAt: new Date('2024-03-01T03:00:00Z') } });
    } finally {
      bot.app.outbox.start();
    }
    await bot.settle();
    const cards = bot.messagesTo(OWNER3);
    expect(cards).toHaveLength(1);
    expect(textOf(cards[0])).toContain(moving.code);
    expect(textOf(cards[0])).toContain('当前阶段**：签约');
    expect(validateCard(cardOf(cards[0]))).toEqual({ ok: true });
    expect(await db().outboxMessage.count({ where: { receiveId: OWNER3, status: 'dropped' } })).toBe(1);

    // npm run job -- follow-ups --force sends the month's card again, for the same 一月一报 row.
    const again = await followUpsJob.run({ services: bot.app.services, now: new Date('2024-03-01T02:00:00Z'), force: true });
    expect(again.sent).toBeGreaterThanOrEqual(1);
    await bot.settle();
    const both = bot.messagesTo(OWNER3);
    expect(both).toHaveLength(2);
    const rowOf = (m: DeliveredMessage) => findButton(cardOf(m), '无变化')!.value.followUpId;
    expect(rowOf(both[1])).toBe(rowOf(both[0]));
    expect(await db().followUp.count({ where: { leadId: { in: [moving.id, closing.id] }, period: '2024-02' } })).toBe(2);
  });
});

describe('靶向推送', () => {
  it('reaches only the chats subscribed to the lead\'s chain, a park carrying it, or all chains; without contact details', async () => {
    const subs: Array<[string, string, string]> = [
      ['oc_hydrogen', 'leads', '氢能'],
      ['oc_optics', 'leads', '精密光学制造'],
      ['oc_park', 'leads', '氢能产业园'],
      ['oc_all', 'leads', ''],
      ['oc_weekly', 'weekly', ''],
      ['oc_hydrogen', 'leads', '储能节能'], // a second subscription of the same chat: still one card
      ['oc_hydrogen', 'alerts', '开发区'],
    ];
    await db().subscription.createMany({ data: subs.map(([chatId, topic, filter]) => ({ chatId, topic, filter, createdBy: ADMIN })) });
    const lead = await insertLead({ projectName: '氢燃料电池电堆项目', contactName: '王总', contactPhone: '13900001111' });
    await scoreAndStore(db(), lead.id, bot.app.services.office); // as registration does
    const pushTo = async (id: number) => bot.app.database.prisma.$transaction((tx) => onLeadApproved(tx, bot.app.services, id));
    expect((await pushTo(lead.id)).sort()).toEqual(['oc_all', 'oc_hydrogen', 'oc_park']);
    await pushTo(lead.id); // called again: nothing new
    await bot.settle();
    for (const chat of ['oc_hydrogen', 'oc_park', 'oc_all']) expect(bot.messagesTo(chat)).toHaveLength(1);
    for (const chat of ['oc_optics', 'oc_weekly']) expect(bot.messagesTo(chat)).toHaveLength(0);
    const text = textOf(bot.messagesTo('oc_hydrogen')[0]);
    expect(text).toContain('项目推送：氢燃料电池电堆项目');
    expect(text).toContain('项目类别**：科创类');
    expect(text).toContain('产业方向**：氢能');
    expect(text).toContain('所属镇区**：开发区');
    // 技术先进性 (0.4 + 3 × 0.12) × 20 = 15.2, 产业化 10, 市场前景较好 6, 团队 4, 1,200 万元 2.5, 开发区's own chain 5
    // = 42.7 → 常规类 (35 ≤ 42.7 < 60).
    expect(text).toContain('评级**：常规类');
    expect(text).toContain('本群订阅了「氢能」产业链的项目推送');
    expect(textOf(bot.messagesTo('oc_park')[0])).toContain('「氢能产业园」园区方向');
    for (const chat of ['oc_hydrogen', 'oc_park', 'oc_all']) {
      const raw = bot.messagesTo(chat)[0].content;
      expect(raw).not.toContain('王总');
      expect(raw).not.toContain('13900001111');
    }
    expect((await db().lead.findUniqueOrThrow({ where: { id: lead.id } })).tier).toBe('regular');

    const optics = await insertLead({ industry: '精密光学制造', town: '高新区' });
    expect((await pushTo(optics.id)).sort()).toEqual(['oc_all', 'oc_optics']);
    const pending = await insertLead({ status: 'pending', approvedAt: null });
    expect(await pushTo(pending.id)).toEqual([]);
  });
});

describe('re-scoring when the scoring config changes', () => {
  it('scores every lead on the first start, not again with the same config, and again after a change', async () => {
    await db().lead.deleteMany({});
    const a = await insertLead({ investmentWan: 1200 }); // 15.2 + 10 + 6 + 4 + 2.5 + 5 = 42.7 → 常规类
    const b = await insertLead({ kind: 'service', industry: null, details: { service_type: '科技咨询' }, investmentWan: null, inventionPatents: 0 }); // 0 → 潜力类
    await db().jobRun.deleteMany({ where: { job: 'scoring-config' } });
    const office = defaultOffice();
    expect(await rescoreIfChanged(db(), office)).toEqual({ changed: true, rescored: 2 });
    expect((await db().lead.findUniqueOrThrow({ where: { id: a.id } })).score).toBe(42.7);
    expect((await db().lead.findUniqueOrThrow({ where: { id: a.id } })).tier).toBe('regular');
    expect((await db().lead.findUniqueOrThrow({ where: { id: b.id } })).tier).toBe('potential');
    expect(await rescoreIfChanged(db(), office)).toEqual({ changed: false, rescored: 0 });

    const lower = scoringSchema.parse({ tiers: { key: 40, regular: 30 } });
    expect(await rescoreIfChanged(db(), office, lower)).toEqual({ changed: true, rescored: 1 });
    expect((await db().lead.findUniqueOrThrow({ where: { id: a.id } })).tier).toBe('key');
    // A changed model (only 市场前景 counts for 科创类) re-scores too: 较好 0.6 × 100 = 60 → 重点类.
    const marketOnly = scoringSchema.parse({ weights: { tech: { market: 1 } } });
    expect(await rescoreIfChanged(db(), office, marketOnly)).toEqual({ changed: true, rescored: 1 });
    const onlyMarket = await db().lead.findUniqueOrThrow({ where: { id: a.id } });
    expect([onlyMarket.score, onlyMarket.tier, onlyMarket.scoreReasons]).toEqual([60, 'key', [{ rule: 'market', points: 60, max: 100, text: '市场前景 60/100：市场前景较好' }]]);
    // Back to the defaults: noticed as a change too.
    expect(await rescoreIfChanged(db(), office)).toEqual({ changed: true, rescored: 1 });
    expect((await db().lead.findUniqueOrThrow({ where: { id: a.id } })).tier).toBe('regular');
    expect(await db().jobRun.count({ where: { job: 'scoring-config' } })).toBe(1);
    // Same config: a lead written without a score (as the demo seed writes them) is scored, the others left alone.
    const c = await insertLead({ investmentWan: 1200 });
    expect(await rescoreIfChanged(db(), office)).toEqual({ changed: false, rescored: 1 });
    expect((await db().lead.findUniqueOrThrow({ where: { id: c.id } })).tier).toBe('regular');
    expect(await rescoreIfChanged(db(), office)).toEqual({ changed: false, rescored: 0 });
  });

  it('re-scores more than a page of leads, skipping one edited since it was read', async () => {
    await db().lead.deleteMany({});
    const template = await insertLead({ investmentWan: 1200 });
    await db().lead.createMany({
      data: Array.from({ length: 1100 }, (_, i) => ({
        code: `KZ-2022-${String(i + 1).padStart(4, '0')}`, kind: 'tech', projectName: `批量项目${i}`, industry: '氢能', town: '开发区',
        submitterId: OWNER, status: 'approved', approvedAt: template.approvedAt, details: template.details as object, investmentWan: 1200, inventionPatents: 3,
      })),
    });
    await db().jobRun.deleteMany({ where: { job: 'scoring-config' } });
    const office = defaultOffice();
    expect(await rescoreIfChanged(db(), office)).toEqual({ changed: true, rescored: 1101 });
    expect(await db().lead.count({ where: { tier: 'regular' } })).toBe(1101);
    const lower = scoringSchema.parse({ tiers: { key: 40, regular: 30 } });
    expect(await rescoreIfChanged(db(), office, lower)).toEqual({ changed: true, rescored: 1101 });
    expect(await db().lead.count({ where: { tier: 'key' } })).toBe(1101);
  });
});
