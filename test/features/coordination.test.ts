// The 在谈 pipeline and the coordination register, driven as people would: stages before 签约 recorded on the
// progress card, the 周例会 digest (what moved this week, leads in talks) run as of chosen times; problems
// raised from the progress card, /problems, answered and closed, who may do what, and the 双月例会 digest
// (open problems by owner with their age, overdue marked, and the ones solved in the period).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, cardOf } from '../support/harness.ts';
import { buttons, cardText } from '../support/cards.ts';
import { assertValidCard, cardSize, CARD_MAX_BYTES } from '../../src/platform/cards/validate.ts';
import { bimonthlyDigestJob, weeklyDigestJob } from '../../src/features/digests/jobs.ts';
import type { CardJson } from '../../src/platform/lark/types.ts';
import type { DeliveredMessage } from '../../src/sandbox/standin.ts';

const ADMIN = 'ou_admin0001';
const OWNER = 'ou_owner0001'; // staff of 开发区, registers the leads
const OTHER = 'ou_other0001'; // staff of 开发区, not the owner
const FAR = 'ou_far000001'; // staff of 丁堰镇
const LEADER = 'ou_leader001';
const WEEKLY = 'oc_coord_weekly';
const BIMONTHLY = 'oc_coord_bimonthly';

/** An instant given as Shanghai wall-clock time. */
const sh = (iso: string) => new Date(`${iso}+08:00`);
let now = sh('2026-11-02T10:00:00');
let bot: TestBot;
let seq = 0;
const db = () => bot.app.database.prisma;
const replyCard = (r: unknown) => (r as { card?: { data: CardJson } }).card?.data;

async function insertLead(projectName: string, town = '开发区', status = 'approved') {
  seq++;
  return db().lead.create({
    data: {
      code: `KZ-2026-${String(seq).padStart(4, '0')}`, kind: 'tech', projectName, industry: '氢能', town, submitterId: town === '开发区' ? OWNER : FAR,
      status, approvedAt: status === 'approved' ? sh('2026-10-01T10:00:00') : null,
    },
  });
}

/** Records a stage as the owner does: the stage's form submitted from the progress card. */
async function record(leadId: number, stage: string, form: Record<string, string>) {
  const r = await bot.clickValue(OWNER, { action: 'lifecycle.submit', leadId, stage }, { formValue: form });
  expect(r.toast?.type, JSON.stringify(r.toast)).toBe('success');
  return r;
}

/** Runs a digest job as of `at` (forced: the catch-up on start may have sent this period already). */
async function runJob(job: typeof weeklyDigestJob, at: Date) {
  const result = await job.run({ services: bot.app.services, now: at, force: true });
  await bot.settle();
  return result;
}

function lastCardText(chatId: string): string {
  const m: DeliveredMessage = bot.lastMessageTo(chatId);
  const card = cardOf(m);
  assertValidCard(card);
  expect(cardSize(card)).toBeLessThanOrEqual(CARD_MAX_BYTES);
  return cardText(card);
}

beforeAll(async () => {
  bot = await TestBot.start({ name: 'coordination', clock: () => now, admins: [ADMIN] });
  await bot.app.scheduler.idle(); // the catch-up on start (2 November is the 双月例会's Monday) finds nothing to send
  await db().roleGrant.createMany({
    data: [
      { userId: OWNER, role: 'staff', town: '开发区', grantedBy: ADMIN },
      { userId: OTHER, role: 'staff', town: '开发区', grantedBy: ADMIN },
      { userId: FAR, role: 'staff', town: '丁堰镇', grantedBy: ADMIN },
      { userId: LEADER, role: 'leader', grantedBy: ADMIN },
    ],
  });
  await db().subscription.createMany({
    data: [
      { chatId: WEEKLY, topic: 'weekly', filter: '', createdBy: ADMIN },
      { chatId: BIMONTHLY, topic: 'bimonthly', filter: '', createdBy: ADMIN },
    ],
  });
});

afterAll(async () => {
  await bot?.stop();
});

describe('the 在谈 pipeline in the 周例会', () => {
  it('records 接洽 / 在谈 before 签约 (skippable, never backwards) and shows what moved each week', async () => {
    const a = await insertLead('氢能膜电极项目');
    const b = await insertLead('储氢材料项目');
    const c = await insertLead('燃料电池测试平台');
    const d = await insertLead('加氢站装备项目');

    // The progress card offers the pre-签约 stages and 签约.
    await bot.say(OWNER, `进度 ${a.code}`);
    const card = bot.lastMessageTo(OWNER);
    expect(cardText(cardOf(card))).toContain('接洽 → 在谈 → 签约 → 注册 → 落地（开工） → 投产');
    expect(buttons(cardOf(card)).map((x) => x.text)).toEqual(['登记接洽', '登记在谈', '登记签约', '提出问题']);
    await bot.click(OWNER, card, '登记接洽');
    const form = await bot.click(OWNER, card, '提交', { date: '2026-11-02', note: '首次电话接洽' });
    expect(form.toast).toEqual({ type: 'success', content: '已登记「接洽」' });
    expect(cardText(cardOf(card))).toContain('接洽 ✓ → 在谈 → 签约');
    expect(cardText(cardOf(card))).toContain('接洽** 2026-11-02：进展说明 首次电话接洽');
    expect(buttons(cardOf(card)).map((x) => x.text)).toEqual(['登记在谈', '登记签约', '提出问题']);

    now = sh('2026-11-03T10:00:00');
    await record(c.id, 'negotiating', { date: '2026-11-03' });

    // The week of 2–8 November, as of Monday 9 November.
    await runJob(weeklyDigestJob, sh('2026-11-09T09:17:00'));
    let text = lastCardText(WEEKLY);
    expect(text).toContain('推进 2 项 · 在谈 2 项');
    expect(text).toContain('本周项目推进 2 项');
    expect(text).toContain('未登记 → 接洽 **1** · 未登记 → 在谈 **1**');
    expect(text).toContain(`**${a.code}** 氢能膜电极项目（开发区）：未登记 → 接洽（11月2日）`);
    expect(text).toContain('在谈项目 2 项');
    expect(text).toContain('接洽 1 · 在谈 1');

    now = sh('2026-11-10T10:00:00');
    await record(a.id, 'negotiating', { date: '2026-11-10' });
    await record(b.id, 'contact', { date: '2026-11-10' });
    now = sh('2026-11-11T10:00:00');
    await record(d.id, 'signed', { date: '2026-11-11', investment_wan: '3000' });
    now = sh('2026-11-12T10:00:00');
    await record(a.id, 'signed', { date: '2026-11-12', investment_wan: '5000' });
    await record(b.id, 'negotiating', { date: '2026-11-12' });
    // Backwards is refused; a lead in talks may still go straight to 签约.
    const back = await bot.clickValue(OWNER, { action: 'lifecycle.submit', leadId: a.id, stage: 'contact' }, { formValue: { date: '2026-11-12' } });
    expect(back.toast).toEqual({ type: 'error', content: '项目已到「签约」阶段，不能回到「接洽」。' });
    expect((await db().lead.findUniqueOrThrow({ where: { id: b.id } })).stage).toBe('negotiating');

    await runJob(weeklyDigestJob, sh('2026-11-16T09:17:00'));
    text = lastCardText(WEEKLY);
    expect(text).toContain('本周项目推进 3 项');
    // Each lead once, from where it stood before the week to where it got.
    expect(text).toContain('未登记 → 签约 **1**');
    expect(text).toContain('接洽 → 签约 **1**');
    expect(text).toContain('未登记 → 在谈 **1**');
    expect(text).toContain(`**${a.code}** 氢能膜电极项目（开发区）：接洽 → 签约（11月12日）`);
    expect(text).toContain(`**${b.code}** 储氢材料项目（开发区）：未登记 → 在谈（11月12日）`);
    expect(text).toContain(`**${d.code}** 加氢站装备项目（开发区）：未登记 → 签约（11月11日）`);
    expect(text).not.toContain(`**${c.code}** 燃料电池测试平台（开发区）：`);
    // In talks as of Monday: 储氢材料 since 12 Nov, 燃料电池测试平台 since 3 Nov (the longest first).
    expect(text).toContain('在谈项目 2 项');
    expect(text).toContain('接洽 0 · 在谈 2');
    expect(text.indexOf(`**${c.code}** 燃料电池测试平台（开发区）· 13 天`)).toBeLessThan(text.indexOf(`**${b.code}** 储氢材料项目（开发区）· 4 天`));
    expect(text.indexOf(`**${b.code}**`)).toBeGreaterThan(0);
  });
});

describe('the coordination register', () => {
  let leadId = 0;
  let code = '';

  it('raises a problem from the progress card; bad forms save nothing; another town cannot raise on a hidden lead', async () => {
    now = sh('2026-11-10T10:00:00');
    const lead = await insertLead('氢能重卡整车项目');
    leadId = lead.id;
    code = lead.code;
    await bot.say(OWNER, `进度 ${code}`);
    const card = bot.lastMessageTo(OWNER);
    await bot.click(OWNER, card, '提出问题');
    const formCard = cardOf(card);
    assertValidCard(formCard);
    expect(cardText(formCard)).toContain('提出问题：氢能重卡整车项目');
    for (const label of ['问题类别', '问题描述', '责任部门', '完成时限']) expect(cardText(formCard)).toContain(label);

    const bad = await bot.click(OWNER, card, '提交', { category: 'land', description: '', owner_dept: '自然资源和规划局', due_date: '2026-11-01' });
    expect(bad.toast).toEqual({ type: 'warning', content: '有 2 项需要修改，尚未保存' });
    expect(cardText(cardOf(card))).toContain('请填写问题描述');
    expect(cardText(cardOf(card))).toContain('完成时限不能早于今天（2026-11-10）');
    expect(await db().problem.count()).toBe(0);

    const ok = await bot.click(OWNER, card, '提交', { category: 'land', description: '缺少 50 亩工业用地指标', owner_dept: '自然资源和规划局', due_date: '2026-11-20' });
    expect(ok.toast).toEqual({ type: 'success', content: '已登记协调事项，将列入双月例会' });
    const shown = cardText(cardOf(card));
    expect(shown).toContain('缺少 50 亩工业用地指标');
    expect(shown).toContain('自然资源和规划局');
    expect(shown).toContain('待解决，已 0 天');
    const rows = await db().problem.findMany();
    expect(rows.map((p) => [p.category, p.ownerDept, p.dueDate.toISOString().slice(0, 10), p.raisedBy, p.status])).toEqual([
      ['land', '自然资源和规划局', '2026-11-20', OWNER, 'open'],
    ]);
    expect(await db().auditEvent.count({ where: { action: 'problem_raise', leadId } })).toBe(1);

    // 丁堰镇's staff cannot see this 开发区 lead: neither the form nor a forged submit goes through.
    const open = await bot.clickValue(FAR, { action: 'problem.raise', leadId });
    expect(open.toast).toEqual({ type: 'error', content: '未找到该项目，或您无权查看该项目。' });
    const forged = await bot.clickValue(FAR, { action: 'problem.submit', leadId }, { formValue: { category: 'funding', description: '伪造', owner_dept: '财政局', due_date: '2026-12-01' } });
    expect(forged.toast).toEqual({ type: 'error', content: '未找到该项目，或您无权查看该项目。' });
    expect(await db().problem.count()).toBe(1);
    // A colleague of the same town may raise one too, from the lead's card (「项目 编号」).
    now = sh('2026-11-12T10:00:00');
    await bot.say(OTHER, `项目 ${code}`);
    expect(buttons(cardOf(bot.lastMessageTo(OTHER))).map((x) => x.text)).toEqual(['提出问题']);
    const second = await bot.clickValue(OTHER, { action: 'problem.submit', leadId }, { formValue: { category: 'plant', description: '需要 2 万平方米标准厂房', owner_dept: '开发区管委会', due_date: '2026-12-31' } });
    expect(second.toast?.type).toBe('success');
  });

  it('/problems lists open problems; the raiser, leaders and admins answer and close them, others only read', async () => {
    now = sh('2026-11-25T10:00:00');
    await bot.say(OWNER, '问题');
    const list = bot.lastMessageTo(OWNER);
    const text = cardText(cardOf(list));
    expect(text).toContain('待协调事项（共 2 项）');
    expect(text).toContain(`**${code}** 【用地】缺少 50 亩工业用地指标`);
    expect(text).toContain('⚠️ 逾期 5 天');
    expect(buttons(cardOf(list)).map((x) => x.text)).toEqual(['答复/关闭', '查看']); // his own, then OTHER's
    await bot.say(FAR, '/problems');
    expect(cardText(cardOf(bot.lastMessageTo(FAR)))).toContain('当前没有待协调的事项');

    const [land, plant] = await db().problem.findMany({ orderBy: { id: 'asc' } });
    const refused = await bot.clickValue(OTHER, { action: 'problem.solve', problemId: land.id }, { formValue: { answer: '' } });
    expect(refused.toast).toEqual({ type: 'error', content: '只有提出人、领导或管理员可以答复或关闭协调事项。' });

    // A leader answers (the problem stays open), then an admin closes the other one.
    const empty = await bot.clickValue(LEADER, { action: 'problem.answer', problemId: land.id }, { formValue: { answer: ' ' } });
    expect(empty.toast).toEqual({ type: 'warning', content: '请填写答复内容' });
    const answered = await bot.clickValue(LEADER, { action: 'problem.answer', problemId: land.id }, { formValue: { answer: '已列入 12 月土地供应计划' } });
    expect(answered.toast).toEqual({ type: 'success', content: '已保存答复' });
    expect(cardText(replyCard(answered)!)).toContain('**答复**：已列入 12 月土地供应计划');
    now = sh('2026-12-01T10:00:00');
    const closed = await bot.clickValue(ADMIN, { action: 'problem.solve', problemId: plant.id }, { formValue: { answer: '已协调园区 3 号标准厂房' } });
    expect(closed.toast).toEqual({ type: 'success', content: '已关闭：问题已解决' });
    expect(buttons(replyCard(closed)!)).toEqual([]);
    const again = await bot.clickValue(OTHER, { action: 'problem.show', problemId: plant.id });
    expect(cardText(replyCard(again)!)).toContain('已解决');
    const rows = await db().problem.findMany({ orderBy: { id: 'asc' } });
    expect(rows.map((p) => [p.status, p.answer, p.answeredBy, p.solvedBy])).toEqual([
      ['open', '已列入 12 月土地供应计划', LEADER, null],
      ['solved', '已协调园区 3 号标准厂房', ADMIN, ADMIN],
    ]);
    // The raiser closes his own.
    now = sh('2026-12-05T10:00:00');
    await bot.clickValue(OWNER, { action: 'problem.raise', leadId });
    const third = await bot.clickValue(OWNER, { action: 'problem.submit', leadId }, { formValue: { category: 'talent', description: '高级工程师落户', owner_dept: '人社局', due_date: '2027-02-01' } });
    expect(third.toast?.type).toBe('success');
  });

  it('shows the 双月例会 open problems by owner with age and overdue, and those solved in the period', async () => {
    // The first Monday of January reviews November–December.
    await runJob(bimonthlyDigestJob, sh('2027-01-04T09:23:00'));
    const text = lastCardText(BIMONTHLY);
    expect(text).toContain('协调事项 2 项 · 审批需协调 0 项');
    expect(text).toContain('**协调事项 2 项（逾期 1 项）**');
    expect(text).toContain('**自然资源和规划局** 1 项 · ⚠️ 逾期 1');
    expect(text).toContain('**人社局** 1 项');
    expect(text).toContain(`⚠️ **${code}** 【用地】缺少 50 亩工业用地指标（开发区）· 已 54 天 · 逾期 45 天`);
    expect(text).toContain(`**${code}** 【人才】高级工程师落户（开发区）· 已 29 天 · 时限 2月1日`);
    expect(text).toContain('本期已解决 1 项');
    expect(text).toContain(`**${code}** 【厂房】开发区管委会，12月1日解决：已协调园区 3 号标准厂房`);
    expect(text).toContain('审批需协调 0 项');

    // As of the November meeting, nothing was solved yet and only the first two had been raised.
    await runJob(bimonthlyDigestJob, sh('2026-11-16T09:23:00'));
    const nov = lastCardText(BIMONTHLY);
    expect(nov).toContain('**协调事项 2 项**');
    expect(nov).toContain('本期已解决 0 项');
    expect(nov).not.toContain('高级工程师落户');
  });
});
