// 双层签批 end to end: the real service behind signed Lark callbacks, roles granted with /role, leads started
// through startApproval (the registration feature's entry point), decisions clicked on the delivered cards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, cardOf } from '../support/harness.ts';
import { buttons, cardText, findButton } from '../support/cards.ts';
import { validateCard } from '../../src/platform/cards/validate.ts';
import type { DeliveredMessage } from '../../src/sandbox/standin.ts';
import type { CardJson } from '../../src/platform/lark/types.ts';
import { startApproval, startResubmission } from '../../src/features/approval/start.ts';
import { act } from '../../src/features/approval/service.ts';
import { runReminders } from '../../src/features/approval/reminders.ts';
import { submitterButtons } from '../../src/features/approval/cards.ts';
import { createLead } from '../../src/features/leads/store.ts';
import { officeSchema, type LeadKind } from '../../src/office/config.ts';

const ADMIN = 'ou_admin0001';
const STAFF = 'ou_staff0001'; // 陈登记, 白蒲镇
const OTHER_STAFF = 'ou_staff0002'; // 丁堰镇
const REV1 = 'ou_rev00001'; // 张三
const REV2 = 'ou_rev00002'; // 李四
const REV3 = 'ou_rev00003'; // 王五 (granted later)
const REV4 = 'ou_rev00004'; // 孙老师 (granted later)
const APP1 = 'ou_app00001'; // 赵六
const EXP1 = 'ou_exp00001'; // 钱七
const LEADERS = ['ou_lead0001', 'ou_lead0002', 'ou_lead0003']; // 孙一 周二 吴三
const NOBODY = 'ou_nobody001';
const HYDROGEN_CHAT = 'oc_hydrogen01';
const HEALTH_CHAT = 'oc_health0001';

// Monday 2026-03-02 09:30 in Asia/Shanghai.
const T0 = new Date('2026-03-02T01:30:00Z');
let now = T0;
const at = (hours: number) => new Date(T0.getTime() + hours * 3600_000);

let bot: TestBot;

async function grant(role: string, openId: string, name: string, town = ''): Promise<void> {
  await bot.say(ADMIN, `/role add ${role} @${name}${town ? ` ${town}` : ''}`, { mentions: [{ openId, name }] });
}

beforeAll(async () => {
  // One expert decides 预审 and the 领导小组 decides by 会签 here; panels and meetings: test/features/panel.test.ts.
  const office = officeSchema.parse({ panel: { prereview: false, major: false }, major: { decision: 'unanimous' } });
  bot = await TestBot.start({ name: 'approval', admins: [ADMIN], clock: () => now, office });
  await grant('staff', STAFF, '陈登记', '白蒲镇');
  await grant('staff', OTHER_STAFF, '林外镇', '丁堰镇');
  await grant('reviewer', REV1, '张三');
  await grant('初审', REV2, '李四');
  await grant('approver', APP1, '赵六');
  await grant('专家', EXP1, '钱七');
  await grant('leader', LEADERS[0], '孙一');
  await grant('leader', LEADERS[1], '周二');
  await grant('领导', LEADERS[2], '吴三');
  await bot.app.database.prisma.subscription.createMany({
    data: [
      { chatId: HYDROGEN_CHAT, topic: 'leads', filter: '氢能', createdBy: ADMIN },
      { chatId: HEALTH_CHAT, topic: 'leads', filter: '大健康', createdBy: ADMIN },
    ],
  });
});
afterAll(async () => {
  await bot?.stop();
});

// ---- helpers -----------------------------------------------------------------------------------------

let seq = 0;
interface TestLead {
  id: number;
  code: string;
  projectName: string;
}

/** Inserts a pending lead (createLead) and starts its approval in one transaction, as the registration feature does. */
async function newLead(opts: { kind?: LeadKind; investmentWan?: number; town?: string } = {}): Promise<TestLead> {
  seq++;
  const prisma = bot.app.database.prisma;
  const lead = await prisma.$transaction(async (tx) => {
    const row = await createLead(tx, {
      lead: {
        kind: opts.kind ?? 'service',
        projectName: `示范项目${seq}号`,
        companyName: '如皋示范科技有限公司',
        companyNorm: null,
        creditCode: null,
        town: opts.town ?? '白蒲镇',
        industry: '氢能',
        sourceRegion: null,
        investmentWan: opts.investmentWan ?? 500,
        contactName: '王经理',
        contactPhone: '13800000000',
        summary: '氢燃料电池<b>电堆</b>项目 *测试*',
        needsFund: false,
        inventionPatents: 0,
        utilityModels: 0,
        activityId: null,
        details: {},
      },
      submitterId: STAFF,
      year: 2026,
      major: false,
      role: 'staff',
      now,
    });
    await startApproval(tx, bot.app.services, row.id);
    return row;
  });
  await bot.settle();
  return { id: lead.id, code: lead.code, projectName: lead.projectName };
}

const isCard = (m: DeliveredMessage) => m.msgType === 'interactive';
const textOf = (m: DeliveredMessage) => cardText(cardOf(m));
const titleOf = (m: DeliveredMessage) => String(((cardOf(m).header as Record<string, unknown>)?.title as Record<string, unknown>)?.content ?? '');

/** Every step card of `label` about `lead` that `user` received (reminders included), oldest first. */
function stepCards(user: string, lead: TestLead, label: string): DeliveredMessage[] {
  return bot.messagesTo(user).filter((m) => isCard(m) && titleOf(m).includes(`${label}审批 · ${lead.projectName}`));
}

function stepCardOf(user: string, lead: TestLead, label: string): DeliveredMessage {
  const all = stepCards(user, lead, label);
  if (all.length === 0) throw new Error(`${user} got no ${label} card for ${lead.projectName}`);
  return all[all.length - 1];
}

/** Notices to the submitter about `lead`, by title prefix. */
function noticesTo(user: string, lead: TestLead, titlePrefix: string): DeliveredMessage[] {
  return bot.messagesTo(user).filter((m) => isCard(m) && titleOf(m).startsWith(titlePrefix) && titleOf(m).endsWith(lead.code));
}

const buttonTexts = (m: DeliveredMessage) => buttons(cardOf(m)).map((b) => b.text);

/** The submitter's living cards about `lead` (updated in place at every step): there must be exactly one. */
function livingCard(lead: TestLead): DeliveredMessage {
  const all = bot.messagesTo(STAFF).filter((m) => isCard(m) && titleOf(m).endsWith(lead.code) && textOf(m).includes('**下一步**'));
  expect(all).toHaveLength(1);
  return all[0];
}

/** Brief text messages to the submitter about `lead` (the end of a round). */
function textsAbout(lead: TestLead): string[] {
  return bot.messagesTo(STAFF).filter((m) => m.msgType === 'text' && m.content.includes(lead.code)).map((m) => JSON.parse(m.content).text as string);
}

async function leadRow(lead: TestLead) {
  return bot.app.database.prisma.lead.findUniqueOrThrow({ where: { id: lead.id } });
}

async function auditActions(lead: TestLead): Promise<string[]> {
  const rows = await bot.app.database.prisma.auditEvent.findMany({ where: { leadId: lead.id }, orderBy: { id: 'asc' } });
  return rows.map((r) => r.action);
}

function lastReplyTo(user: string): DeliveredMessage {
  return bot.lastMessageTo(user);
}

// ---- the flow ----------------------------------------------------------------------------------------

describe('approval flow', () => {
  it('runs 初审 → 审签 → approved: every copy of a card is updated, the next step gets its cards, the submitter is told', async () => {
    const lead = await newLead();
    const c1 = stepCardOf(REV1, lead, '初审');
    const c2 = stepCardOf(REV2, lead, '初审');
    expect(buttonTexts(c1)).toEqual(['同意', '同意并提交一事一议', '退回修改', '驳回']);
    expect(buttonTexts(c2)).toEqual(['同意', '同意并提交一事一议', '退回修改', '驳回']);
    const before = textOf(c1);
    expect(before).toContain(lead.code);
    expect(before).toContain('陈登记');
    expect(before).toContain('初审 … → 审签');
    expect(before).toContain('如皋示范科技有限公司');
    expect(before).toContain('500 万元');
    // User text is escaped, not interpreted.
    expect(before).toContain('&#60;b&#62;电堆&#60;/b&#62;');
    expect(before).not.toContain('<b>');
    expect(stepCards(APP1, lead, '审签')).toHaveLength(0);

    const reply = await bot.click(REV1, c1, '同意', { comment: '材料齐全，同意' });
    expect(reply.toast).toEqual({ type: 'success', content: '已同意' });

    // Both copies (the clicked one and the other reviewer's) show the outcome, who and when, without buttons.
    for (const copy of [c1, c2]) {
      expect(buttonTexts(copy)).toEqual([]);
      const t = textOf(copy);
      expect(t).toContain('**处理结果**：张三 同意（2026-03-02 09:30）');
      expect(t).toContain('材料齐全，同意');
      expect(t).toContain('初审 ✓ → 审签 …');
    }
    expect(c2.updates.length).toBeGreaterThan(0);

    // No new message for the submitter: his one card about the lead shows who acted and what comes next.
    expect(noticesTo(STAFF, lead, '初审已通过')).toHaveLength(0);
    const living = livingCard(lead);
    expect(titleOf(living)).toBe(`待审签 · ${lead.code}`);
    expect(textOf(living)).toContain('**初审**：张三 同意（2026-03-02 09:30） · 意见：材料齐全，同意');
    expect(textOf(living)).toContain('**下一步**：等待审签：赵六');
    expect(buttonTexts(living)).toEqual(['催办']);
    expect(textsAbout(lead)).toEqual([]);

    const a = stepCardOf(APP1, lead, '审签');
    expect(buttonTexts(a)).toEqual(['同意', '退回修改', '驳回']);
    expect(textOf(a)).toContain('**初审**：张三 同意 · 意见：材料齐全，同意');
    await bot.click(APP1, a, '同意');
    expect(buttonTexts(a)).toEqual([]);
    expect(textOf(a)).toContain('赵六 同意');

    const row = await leadRow(lead);
    expect(row.status).toBe('approved');
    expect(row.approvedAt).not.toBeNull();
    const approved = livingCard(lead);
    expect(titleOf(approved)).toBe(`已通过 · ${lead.code}`);
    expect(buttonTexts(approved)).toEqual(['登记项目进展']);
    expect(textsAbout(lead)).toEqual([`您登记的项目「${lead.projectName}」（${lead.code}）已审批通过（审签：赵六 同意）。请在项目卡片上点「登记项目进展」登记签约、注册、落地。`]);
    expect(await auditActions(lead)).toEqual(['submit', 'approve', 'approve']);
    // From the card the submitter goes on to record 签约, 注册, 落地, 投产.
    const lifecycle = await bot.click(STAFF, approved, '登记项目进展');
    expect(lifecycle.card).toBeDefined();
    expect(buttonTexts(approved)).toContain('登记签约');

    // 靶向推送: the chat following 氢能 hears of the approved lead, the one following 大健康 does not.
    const pushed = bot.messagesTo(HYDROGEN_CHAT).filter((m) => textOf(m).includes(lead.code));
    expect(pushed).toHaveLength(1);
    expect(textOf(pushed[0])).not.toContain('13800000000');
    expect(bot.messagesTo(HEALTH_CHAT).filter((m) => textOf(m).includes(lead.code))).toHaveLength(0);
  });

  it('starts tech leads at 预审 by the experts', async () => {
    const lead = await newLead({ kind: 'tech' });
    const e = stepCardOf(EXP1, lead, '预审');
    expect(textOf(e)).toContain('预审 … → 初审 → 审签');
    expect(stepCards(REV1, lead, '初审')).toHaveLength(0);
    await bot.click(EXP1, e, '同意', { comment: '技术路线可行' });
    expect(textOf(stepCardOf(REV1, lead, '初审'))).toContain('**预审**：钱七 同意 · 意见：技术路线可行');
  });

  it('驳回 needs a reason, is final, and tells the submitter why', async () => {
    const lead = await newLead();
    const c1 = stepCardOf(REV1, lead, '初审');
    const refused = await bot.click(REV1, c1, '驳回', { comment: '  ' });
    expect(refused.toast).toEqual({ type: 'warning', content: '驳回须填写理由' });
    expect(buttonTexts(c1)).toContain('驳回');
    expect((await leadRow(lead)).status).toBe('pending');

    await bot.click(REV1, c1, '驳回', { comment: '不属于科技招商范围' });
    const row = await leadRow(lead);
    expect(row.status).toBe('rejected');
    expect(row.closedAt).not.toBeNull();
    for (const copy of [c1, stepCardOf(REV2, lead, '初审')]) {
      expect(buttonTexts(copy)).toEqual([]);
      expect(textOf(copy)).toContain('张三 驳回');
      expect(textOf(copy)).toContain('**驳回理由**：不属于科技招商范围');
    }
    expect(textsAbout(lead)).toHaveLength(1);
    expect(textsAbout(lead)[0]).toContain('被 张三 驳回：不属于科技招商范围，审批结束');
    expect(titleOf(livingCard(lead))).toBe(`已驳回 · ${lead.code}`);
    expect(buttonTexts(livingCard(lead))).toEqual([]);
    expect(stepCards(APP1, lead, '审签')).toHaveLength(0);
    const steps = await bot.app.database.prisma.approvalStep.findMany({ where: { leadId: lead.id }, orderBy: { position: 'asc' } });
    expect(steps.map((s) => s.status)).toEqual(['rejected', 'cancelled']);
  });

  it('退回修改 sends the lead back; the resubmission starts a new round at the first step', async () => {
    const lead = await newLead();
    const c2 = stepCardOf(REV2, lead, '初审');
    const stale = findButton(cardOf(c2), '同意')!.value;
    expect((await bot.click(REV2, c2, '退回修改', {})).toast?.content).toBe('退回修改须填写修改意见');
    await bot.click(REV2, c2, '退回修改', { comment: '请补充投资协议' });
    expect((await leadRow(lead)).status).toBe('returned');
    expect(textOf(c2)).toContain('**修改意见**：请补充投资协议');
    expect(textsAbout(lead)).toHaveLength(1);
    expect(textsAbout(lead)[0]).toContain('被 李四 退回修改：请补充投资协议');
    const living = livingCard(lead);
    expect(textOf(living)).toContain('**修改意见**（李四）：请补充投资协议');
    expect(findButton(cardOf(living), '修改并重新提交')?.value).toEqual({ action: 'register.edit', leadId: lead.id });

    // The submitter's edits (now a tech lead), saved and resubmitted in one transaction, as registration does.
    await bot.app.database.prisma.$transaction(async (tx) => {
      await tx.lead.update({ where: { id: lead.id }, data: { kind: 'tech', investmentWan: 800, version: { increment: 1 } } });
      await startResubmission(tx, bot.app.services, lead.id);
    });
    await bot.settle();
    const row = await leadRow(lead);
    expect(row).toMatchObject({ status: 'pending', round: 2 });
    const e = stepCardOf(EXP1, lead, '预审');
    expect(textOf(e)).toContain('第 2 轮');
    expect(textOf(e)).toContain('预审 … → 初审 → 审签');
    // Round 2's reviewer sees why round 1 was returned, so he can check the edits against it.
    expect(textOf(e)).toContain('**第 1 轮退回修改**：李四（初审） · 意见：请补充投资协议');
    expect(await auditActions(lead)).toEqual(['submit', 'return', 'resubmit']);

    // A click on a card of round 1 changes nothing.
    const old = await bot.clickValue(REV1, stale, { formValue: { comment: '' } });
    expect(old.toast).toEqual({ type: 'warning', content: '该审批卡片已失效，请以最新卡片为准' });
    expect(await auditActions(lead)).toEqual(['submit', 'return', 'resubmit']);
  });

  it('the submitter may 撤回 until someone acts; the assignees are told and their cards lose the buttons', async () => {
    const lead = await newLead();
    const withdraw = findButton({ body: { elements: [submitterButtons(lead.id)] } } as CardJson, '撤回')!.value;

    const notMine = await bot.clickValue(REV1, withdraw);
    expect(notMine.toast).toEqual({ type: 'error', content: '只有项目登记人可以撤回' });

    const done = await bot.clickValue(STAFF, withdraw);
    expect(done.toast).toEqual({ type: 'success', content: '已撤回' });
    expect((await leadRow(lead)).status).toBe('withdrawn');
    for (const user of [REV1, REV2]) {
      const copy = stepCardOf(user, lead, '初审');
      expect(buttonTexts(copy)).toEqual([]);
      expect(textOf(copy)).toContain('登记人已撤回该项目');
      expect(bot.messagesTo(user).some((m) => isCard(m) && titleOf(m) === `项目已撤回 · ${lead.code}`)).toBe(true);
    }

    const acted = await newLead();
    await bot.click(REV1, stepCardOf(REV1, acted, '初审'), '同意');
    const tooLate = await bot.clickValue(STAFF, { action: 'approval.withdraw', leadId: acted.id });
    expect(tooLate.toast?.content).toBe('审批人已处理该项目，无法撤回');
    expect((await leadRow(acted)).status).toBe('pending');
  });

  it('refuses a click by anyone who is not an active assignee and changes nothing', async () => {
    const lead = await newLead();
    const c1 = stepCardOf(REV1, lead, '初审');
    const before = await leadRow(lead);
    for (const who of [APP1, NOBODY, STAFF]) {
      const r = await bot.click(who, c1, '同意', { comment: '越权' });
      expect(r.toast).toEqual({ type: 'error', content: '您不是该环节的审批人' });
    }
    expect(buttonTexts(c1)).toContain('同意');
    expect((await leadRow(lead)).version).toBe(before.version);
    expect(await auditActions(lead)).toEqual(['submit']);
    expect(stepCards(APP1, lead, '审签')).toHaveLength(0);
  });

  it('takes 50 concurrent approve clicks by two reviewers exactly once', async () => {
    const lead = await newLead();
    const c1 = stepCardOf(REV1, lead, '初审');
    const c2 = stepCardOf(REV2, lead, '初审');
    const v1 = findButton(cardOf(c1), '同意')!.value;
    const v2 = findButton(cardOf(c2), '同意')!.value;
    const version = (await leadRow(lead)).version;

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0 ? bot.clickValue(REV1, v1, { formValue: { comment: '' } }) : bot.clickValue(REV2, v2, { formValue: { comment: '' } }),
      ),
    );
    await bot.settle();
    // On a loaded machine a click may wait longer than Lark does and be answered 正在处理 (its result follows
    // by card update); every other answer is the one approval or says who made it.
    const busy = answers.filter((a) => a.toast?.content === '已收到，正在处理，请稍候。');
    const won = answers.filter((a) => a.toast?.type === 'success');
    expect(won.length).toBeLessThanOrEqual(1);
    expect(won.length + busy.length).toBeGreaterThanOrEqual(1);
    const lost = answers.filter((a) => a.toast?.type !== 'success' && !busy.includes(a)).map((a) => a.toast?.content);
    for (const reason of lost) expect(reason).toMatch(/^(该环节已由 (张三|李四) 处理（同意）|您已处理该环节（同意）)$/);

    const prisma = bot.app.database.prisma;
    expect(await prisma.auditEvent.count({ where: { leadId: lead.id, action: 'approve' } })).toBe(1);
    expect((await leadRow(lead)).version).toBe(version + 1);
    const steps = await prisma.approvalStep.findMany({ where: { leadId: lead.id }, orderBy: { position: 'asc' } });
    expect(steps.map((s) => s.status)).toEqual(['approved', 'pending']);
    expect(stepCards(APP1, lead, '审签')).toHaveLength(1);
    expect(textOf(livingCard(lead))).toMatch(/\*\*初审\*\*：(张三|李四) 同意/);
    for (const copy of [c1, c2]) expect(buttonTexts(copy)).toEqual([]);
  });

  it('a click reads the lead and its steps once: the cards after it are rendered from the transition', async () => {
    const lead = await newLead({ investmentWan: 300 });
    const c1 = stepCardOf(REV1, lead, '初审');
    const c2 = stepCardOf(REV2, lead, '初审');
    // Every read of a lead or of its steps inside the click, counted on a client that passes them through.
    const reads: string[] = [];
    const count = (model: string) => ({
      $allOperations({ operation, args, query }: { operation: string; args: unknown; query: (args: unknown) => Promise<unknown> }) {
        if (/^(find|count|aggregate|groupBy)/.test(operation)) reads.push(`${model}.${operation}`);
        return query(args);
      },
    });
    const counted = bot.app.database.prisma.$extends({ query: { lead: count('lead'), approvalStep: count('approvalStep') } });
    const services = { ...bot.app.services, db: counted as unknown as typeof bot.app.services.db };
    const step = await bot.app.database.prisma.approvalStep.findFirstOrThrow({ where: { leadId: lead.id, step: 'review' } });
    // 同意并提交一事一议: the transition adds the 领导小组 step, so the cards after it show a step no read saw.
    const r = await act(services, { openId: REV1, roles: new Set(['reviewer']) }, { leadId: lead.id, stepId: step.id, action: 'approve', major: true, comment: '同意' });
    expect(r.ok).toBe(true);
    expect(reads).toEqual(['lead.findUnique', 'approvalStep.findMany']);
    if (r.ok) expect(cardText(r.card!)).toContain('初审 ✓ → 审签 … → 领导小组');
    await bot.settle();
    for (const copy of [c1, c2]) {
      expect(buttonTexts(copy)).toEqual([]);
      expect(textOf(copy)).toContain('初审 ✓ → 审签 … → 领导小组');
    }
    expect(titleOf(livingCard(lead))).toBe(`待审签 · ${lead.code}`);
    expect(stepCards(APP1, lead, '审签')).toHaveLength(1);
    expect((await leadRow(lead)).major).toBe(true);
  });
});

describe('the submitter’s own cards', () => {
  /** The submitter's lead card (「项目 KZ-…」), which carries 撤回 and 催办 while the lead is in approval. */
  async function leadCardOf(lead: TestLead): Promise<DeliveredMessage> {
    await bot.say(STAFF, `项目 ${lead.code}`);
    return lastReplyTo(STAFF);
  }

  it('撤回 turns the clicked card into 已撤回 with 修改并重新提交; a stale copy says 您已撤回该项目', async () => {
    const lead = await newLead();
    const card = await leadCardOf(lead);
    const stale = await leadCardOf(lead);
    expect(buttonTexts(card)).toEqual(['撤回', '催办']);

    const done = await bot.click(STAFF, card, '撤回');
    expect(done.toast).toEqual({ type: 'success', content: '已撤回' });
    expect((await leadRow(lead)).status).toBe('withdrawn');
    expect(buttonTexts(card)).toEqual(['修改并重新提交']);
    expect(findButton(cardOf(card), '修改并重新提交')?.value).toEqual({ action: 'register.edit', leadId: lead.id });
    expect(textOf(card)).toContain('**当前状态**：已撤回');
    expect(textOf(card)).not.toContain('审批中');

    const again = await bot.click(STAFF, stale, '撤回');
    expect(again.toast).toEqual({ type: 'warning', content: '您已撤回该项目' });
    expect(buttonTexts(stale)).toEqual(['修改并重新提交']);
    expect(await auditActions(lead)).toEqual(['submit', 'withdraw']);
  });

  it('催办 answers with the card as it is now: no 撤回 once an approver has acted', async () => {
    const lead = await newLead();
    const card = await leadCardOf(lead);
    const stale = await leadCardOf(lead);
    await bot.click(REV1, stepCardOf(REV1, lead, '初审'), '同意');

    const r = await bot.click(STAFF, card, '催办');
    expect(r.toast).toEqual({ type: 'success', content: '已催办' });
    expect(buttonTexts(card)).toEqual(['催办']);
    expect(textOf(card)).toContain('已催办审签（1 位审批人）。');
    expect(textOf(card)).toContain('**当前状态**：待审签');

    const late = await bot.click(STAFF, stale, '撤回');
    expect(late.toast?.content).toBe('审批人已处理该项目，无法撤回');
    expect(buttonTexts(stale)).toEqual(['催办']);
  });

  it('the living card keeps only the buttons that apply: 撤回 and 催办, then 催办, then none or 登记项目进展', async () => {
    const rejected = await newLead();
    const card = livingCard(rejected);
    expect(buttonTexts(card)).toEqual(['撤回', '催办']);
    await bot.click(REV1, stepCardOf(REV1, rejected, '初审'), '同意', { comment: '同意上报' });
    expect(buttonTexts(card)).toEqual(['催办']);
    await bot.click(APP1, stepCardOf(APP1, rejected, '审签'), '驳回', { comment: '不符合产业方向' });
    expect(card.updates.length).toBeGreaterThan(0);
    expect(buttonTexts(card)).toEqual([]);
    expect(textOf(card)).toContain('**初审**：张三 同意（2026-03-02 09:30） · 意见：同意上报');
    expect(textOf(card)).toContain('**审签**：赵六 驳回');
    expect(textOf(card)).toContain('**当前状态**：已驳回');

    const approved = await newLead();
    await bot.click(REV2, stepCardOf(REV2, approved, '初审'), '同意');
    await bot.click(APP1, stepCardOf(APP1, approved, '审签'), '同意');
    expect(textOf(livingCard(approved))).toContain('**当前状态**：已通过');
    expect(buttonTexts(livingCard(approved))).toEqual(['登记项目进展']);
  });
});

describe('major projects (一事一议)', () => {
  async function throughSignoff(lead: TestLead, flag = false): Promise<void> {
    await bot.click(REV1, stepCardOf(REV1, lead, '初审'), flag ? '同意并提交一事一议' : '同意');
    await bot.click(APP1, stepCardOf(APP1, lead, '审签'), '同意');
  }

  it('needs every leader to agree (会签)', async () => {
    const lead = await newLead({ investmentWan: 20000 });
    expect((await leadRow(lead)).major).toBe(true);
    expect(textOf(stepCardOf(REV1, lead, '初审'))).toContain('初审 … → 审签 → 领导小组');
    expect(buttonTexts(stepCardOf(REV1, lead, '初审'))).not.toContain('同意并提交一事一议');
    await throughSignoff(lead);

    const [l1, l2, l3] = LEADERS.map((l) => stepCardOf(l, lead, '领导小组'));
    const first = await bot.click(LEADERS[0], l1, '同意', { comment: '支持' });
    expect(first.toast).toEqual({ type: 'success', content: '已同意，等待其他成员审议' });
    expect(buttonTexts(l1)).toEqual([]);
    expect(textOf(l1)).toContain('您已同意，等待其他成员审议（已同意 1/3）');
    for (const copy of [l2, l3]) {
      expect(buttonTexts(copy)).toContain('同意');
      expect(textOf(copy)).toContain('孙一：同意');
      expect(textOf(copy)).toContain('领导小组 … 1/3');
    }
    expect((await leadRow(lead)).status).toBe('pending');
    const again = await bot.clickValue(LEADERS[0], findButton(cardOf(l2), '同意')!.value, { formValue: {} });
    expect(again.toast?.content).toBe('您已同意，等待其他成员审议');

    await bot.click(LEADERS[1], l2, '同意');
    expect((await leadRow(lead)).status).toBe('pending');
    await bot.click(LEADERS[2], l3, '同意');
    expect((await leadRow(lead)).status).toBe('approved');
    for (const copy of [l1, l2, l3]) {
      expect(buttonTexts(copy)).toEqual([]);
      expect(textOf(copy)).toContain('会签通过');
    }
    // The decision is the group's: every leader who agreed is named, not only the last to click.
    expect(textsAbout(lead)).toHaveLength(1);
    expect(textsAbout(lead)[0]).toContain('已审批通过（领导小组会签通过：孙一、周二、吴三 同意）');
    const living = textOf(livingCard(lead));
    for (const name of ['孙一', '周二', '吴三']) expect(living).toContain(`${name} 同意`);
  });

  it('is rejected by one leader’s 不同意', async () => {
    const lead = await newLead({ investmentWan: 15000 });
    await throughSignoff(lead);
    await bot.click(LEADERS[0], stepCardOf(LEADERS[0], lead, '领导小组'), '同意');
    await bot.click(LEADERS[1], stepCardOf(LEADERS[1], lead, '领导小组'), '驳回', { comment: '投资强度不足' });
    expect((await leadRow(lead)).status).toBe('rejected');
    const l3 = stepCardOf(LEADERS[2], lead, '领导小组');
    expect(buttonTexts(l3)).toEqual([]);
    expect(textOf(l3)).toContain('周二 驳回');
    expect(textsAbout(lead)[0]).toContain('投资强度不足');
    expect(textOf(livingCard(lead))).toContain('**领导小组**：周二 驳回');
  });

  it('is added by a reviewer’s 同意并提交一事一议 during 初审', async () => {
    const lead = await newLead({ investmentWan: 300 });
    await throughSignoff(lead, true);
    const row = await leadRow(lead);
    expect(row.major).toBe(true);
    expect(row.status).toBe('pending');
    const l1 = stepCardOf(LEADERS[0], lead, '领导小组');
    expect(textOf(l1)).toContain('初审 ✓ → 审签 ✓ → 领导小组 … 0/3');
    expect(textOf(l1)).toContain('重大项目');
  });
});

describe('转交, 我的待办 and 审批记录', () => {
  it('/pending lists what waits for me, oldest first, with its age', async () => {
    const older = await newLead({ kind: 'talent' });
    now = at(5);
    const newer = await newLead({ kind: 'talent' });
    now = at(7);
    await bot.say(EXP1, '/pending');
    const text = textOf(lastReplyTo(EXP1));
    expect(text).toContain('我的待办');
    const i = text.indexOf(older.code);
    const j = text.indexOf(newer.code);
    expect(i).toBeGreaterThan(-1);
    expect(j).toBeGreaterThan(i);
    expect(text).toContain(`**${older.code}** ${older.projectName} · 人才类 · 白蒲镇 · 预审 · 已等待 7 小时`);
    expect(text).toContain(`**${newer.code}** ${newer.projectName} · 人才类 · 白蒲镇 · 预审 · 已等待 2 小时`);
    await bot.say(EXP1, '待办');
    expect(textOf(lastReplyTo(EXP1))).toContain(older.code);

    // Staff approve nothing: not refused, told what waits for them instead (issue 18).
    await bot.say(STAFF, '/pending');
    expect(JSON.parse(lastReplyTo(STAFF).content).text).toContain('不参与审批');
  });

  it('转交 hands a step to another holder of the role, who then decides', async () => {
    const lead = await newLead();
    await grant('reviewer', REV3, '王五'); // a reviewer who joins after the step started
    expect(stepCards(REV3, lead, '初审')).toHaveLength(0);

    const original = stepCardOf(REV1, lead, '初审');
    const originalApprove = findButton(cardOf(original), '同意')!.value;
    // 我的待办 → a fresh card for this step, which now offers 王五.
    await bot.say(REV1, '/pending');
    const list = lastReplyTo(REV1);
    const open = buttons(cardOf(list)).find((b) => b.text.includes(lead.code));
    expect(open).toBeDefined();
    await bot.clickValue(REV1, open!.value, { message: list });
    const fresh = stepCardOf(REV1, lead, '初审');
    expect(buttonTexts(fresh)).toContain('转交');
    expect(textOf(fresh)).toContain('转交给其他初审人员');
    expect(JSON.stringify(cardOf(fresh))).toContain('王五');

    expect((await bot.click(REV1, fresh, '转交', {})).toast?.content).toBe('请选择转交对象');
    const r = await bot.click(REV1, fresh, '转交', { to: REV3, comment: '请王五负责' });
    expect(r.toast).toEqual({ type: 'success', content: '已转交' });
    for (const copy of stepCards(REV1, lead, '初审')) {
      expect(buttonTexts(copy)).toEqual([]);
      expect(textOf(copy)).toContain('您已将该环节转交给 王五');
    }
    expect(buttonTexts(stepCardOf(REV2, lead, '初审'))).toContain('同意');
    const mine = stepCardOf(REV3, lead, '初审');
    expect(textOf(mine)).toContain('张三 将该环节转交给您处理');

    const late = await bot.clickValue(REV1, originalApprove, { formValue: {} });
    expect(late.toast?.content).toBe('您已将该环节转交给 王五');
    await bot.click(REV3, mine, '同意');
    expect(textOf(stepCardOf(REV2, lead, '初审'))).toContain('王五 同意');
    expect(await auditActions(lead)).toEqual(['submit', 'transfer', 'approve']);
  });

  it('转交 with a note: the new assignee’s card shows the note, escaped and cut to length', async () => {
    const lead = await newLead();
    const long = await newLead();
    await grant('reviewer', REV4, '孙老师'); // joins after both steps started
    /** 我的待办 → a fresh copy of the step card, which now offers 孙老师 as a transfer target. */
    const fresh = async (user: string, l: TestLead) => {
      await bot.say(user, '/pending');
      const list = lastReplyTo(user);
      await bot.clickValue(user, buttons(cardOf(list)).find((b) => b.text.includes(l.code))!.value, { message: list });
      return stepCardOf(user, l, '初审');
    };
    const note = '我本周出差，请<孙老师>处理 *急*';
    await bot.click(REV1, await fresh(REV1, lead), '转交', { to: REV4, comment: note });
    const mine = stepCardOf(REV4, lead, '初审');
    const text = textOf(mine);
    expect(text).toContain('张三 将该环节转交给您处理。');
    expect(text).toContain('**转交附言**：我本周出差，请&#60;孙老师&#62;处理 &#42;急&#42;');
    expect(JSON.stringify(cardOf(mine))).not.toContain('<孙老师>');
    expect(buttonTexts(mine)).toContain('同意');

    const essay = `请孙老师处理：${'材料已齐全，请重点核实投资协议。'.repeat(30)}`.slice(0, 500);
    await bot.click(REV2, await fresh(REV2, long), '转交', { to: REV4, comment: essay });
    const cut = textOf(stepCardOf(REV4, long, '初审'));
    expect(cut).toContain(`**转交附言**：${Array.from(essay).slice(0, 200).join('')}…`);
    expect(cut).not.toContain(essay);
  });

  it('/history shows the audit trail to whoever may see the lead', async () => {
    const lead = await newLead();
    await bot.click(REV2, stepCardOf(REV2, lead, '初审'), '退回修改', { comment: '补充<材料>' });
    await bot.say(STAFF, `/history ${lead.code.toLowerCase()}`);
    const text = textOf(lastReplyTo(STAFF));
    expect(text).toContain(`审批记录 · ${lead.code}`);
    expect(text).toContain('退回修改');
    const lines = text.split('\n').filter((l) => l.includes(' · '));
    const submitLine = lines.find((l) => l.includes('**提交**'));
    const returnLine = lines.find((l) => l.includes('**退回修改**'));
    expect(submitLine).toMatch(/^2026-03-02 \d\d:\d\d · 陈登记（招商人员） · \*\*提交\*\*$/);
    expect(returnLine).toMatch(/^2026-03-02 \d\d:\d\d · 初审 · 李四（初审人员） · \*\*退回修改\*\* · 意见：补充&#60;材料&#62;$/);

    await bot.say(LEADERS[0], `历史 ${lead.code}`);
    expect(textOf(lastReplyTo(LEADERS[0]))).toContain('李四（初审人员）');

    await bot.say(OTHER_STAFF, `/history ${lead.code}`);
    expect(JSON.parse(lastReplyTo(OTHER_STAFF).content).text).toBe(`未找到项目「${lead.code}」，或您无权查看该项目。`);
  });
});

describe('user text the bot repeats', () => {
  it('/history with Feishu markup in a group repeats it as typed, without @所有人', async () => {
    await bot.say(STAFF, '@科招助手 /history <at user_id="all">所有人</at>', { chatId: HYDROGEN_CHAT, mentions: [{ openId: 'ou_botself01', name: '科招助手' }] });
    const replies = bot.state.deliveriesTo(HYDROGEN_CHAT).map((d) => bot.state.message(d.messageId)!);
    const answer = replies[replies.length - 1];
    expect(answer.msgType).toBe('text');
    const text: string = JSON.parse(answer.content).text;
    expect(text).not.toMatch(/<at\b/i);
    expect(text).toBe('未找到项目「＜at user_id="all"＞所有人＜/at＞」，或您无权查看该项目。');
  });

  it('a 退回意见 with <font> and a [link](url) shows as literal text in the /history card', async () => {
    const lead = await newLead();
    await bot.click(REV2, stepCardOf(REV2, lead, '初审'), '退回修改', { comment: "<font color='red'>加急</font>[链接](https://evil.example)<a href='https://evil.example'>点我</a>" });
    await bot.say(STAFF, `/history ${lead.code}`);
    const card = cardOf(lastReplyTo(STAFF));
    const text = textOf(lastReplyTo(STAFF));
    expect(text).toContain("意见：&#60;font color='red'&#62;加急&#60;/font&#62;&#91;链接&#93;&#40;https://evil.example&#41;&#60;a href='https://evil.example'&#62;点我&#60;/a&#62;");
    expect(JSON.stringify(card)).not.toMatch(/<font color='red'>加急|\[链接\]\(|<a href/);
  });
});

describe('reminders (催办)', () => {
  it('reminds an overdue step once a local day and only in working hours', async () => {
    now = at(10); // Monday 19:30 local
    const lead = await newLead();
    const step = await bot.app.database.prisma.approvalStep.findFirstOrThrow({ where: { leadId: lead.id, step: 'review' } });
    const reminders = (user: string) => stepCards(user, lead, '初审').filter((m) => titleOf(m).startsWith('催办'));
    const run = async (hours: number) => {
      now = at(hours); // the service's clock: the cards are made when sent, and say how long the step has waited then
      const r = await runReminders(bot.app.services, at(hours));
      await bot.settle();
      return r.stepIds.includes(step.id);
    };

    expect(await run(31.5)).toBe(false); // Tuesday 17:00: waited 21.5 h
    expect(await run(41.5)).toBe(false); // Wednesday 03:00: overdue, but night
    expect(reminders(REV1)).toHaveLength(0);
    expect(await run(48)).toBe(true); // Wednesday 09:30
    expect(reminders(REV1)).toHaveLength(1);
    expect(reminders(REV2)).toHaveLength(1);
    expect(await run(53.5)).toBe(false); // Wednesday 15:00: already reminded today
    expect(reminders(REV1)).toHaveLength(1);
    expect(await run(72)).toBe(true); // Thursday 09:30
    expect(reminders(REV1)).toHaveLength(2);

    const card = reminders(REV1)[0];
    expect(textOf(card)).toContain('催办：该项目已等待 1 天 14 小时');
    expect(buttonTexts(card)).toContain('同意');

    // A decision on any copy updates the reminders too.
    now = at(72);
    await bot.click(REV2, reminders(REV2)[1], '同意');
    for (const copy of stepCards(REV1, lead, '初审')) {
      expect(buttonTexts(copy)).toEqual([]);
      expect(textOf(copy)).toContain('李四 同意');
    }
    expect(await run(96)).toBe(false);
  });

  it('sends no 催办 to reviewers of a step decided after the reminders were queued', async () => {
    now = at(10);
    const lead = await newLead();
    const reminders = (user: string) => stepCards(user, lead, '初审').filter((m) => titleOf(m).startsWith('催办'));
    const before = { rev1: stepCards(REV1, lead, '初审').length, rev2: stepCards(REV2, lead, '初审').length };
    // The reminders wait behind the day's other cards (the outbox is held), and 张三 decides meanwhile.
    await bot.app.outbox.stop();
    try {
      now = at(48);
      const step = await bot.app.database.prisma.approvalStep.findFirstOrThrow({ where: { leadId: lead.id, step: 'review' } });
      expect((await runReminders(bot.app.services, at(48))).stepIds).toContain(step.id);
      await bot.click(REV1, stepCardOf(REV1, lead, '初审'), '同意', undefined, { settle: false });
    } finally {
      bot.app.outbox.start();
    }
    await bot.settle();
    expect(reminders(REV1)).toHaveLength(0);
    expect(reminders(REV2)).toHaveLength(0);
    // Each keeps the one card he had, updated to the decision.
    expect(stepCards(REV1, lead, '初审')).toHaveLength(before.rev1);
    expect(stepCards(REV2, lead, '初审')).toHaveLength(before.rev2);
    for (const copy of stepCards(REV2, lead, '初审')) expect(buttonTexts(copy)).toEqual([]);
  });

  it('lets the submitter 催办 the pending step at most once an hour', async () => {
    const lead = await newLead();
    await bot.click(REV1, stepCardOf(REV1, lead, '初审'), '同意');
    const notice = livingCard(lead);
    const first = await bot.click(STAFF, notice, '催办');
    expect(first.toast).toEqual({ type: 'success', content: '已催办' });
    const remind = stepCards(APP1, lead, '审签').filter((m) => titleOf(m).startsWith('催办'));
    expect(remind).toHaveLength(1);
    expect(buttonTexts(remind[0])).toContain('同意');
    const second = await bot.click(STAFF, notice, '催办');
    expect(second.toast?.content).toBe('该环节 1 小时内已催办过，请稍后再试');
    const other = await bot.click(REV2, notice, '催办');
    expect(other.toast?.content).toBe('只有项目登记人或管理员可以催办');
    expect((await auditActions(lead)).filter((a) => a === 'remind')).toHaveLength(1);
  });

  it('sends no automatic reminders outside the office’s work days (Monday to Friday by default)', async () => {
    const lead = await newLead(); // Thursday 09:30
    const step = await bot.app.database.prisma.approvalStep.findFirstOrThrow({ where: { leadId: lead.id, step: 'review' } });
    const reminders = () => stepCards(REV1, lead, '初审').filter((m) => titleOf(m).startsWith('催办'));
    const run = async (hours: number) => {
      now = at(hours); // the service's clock: the cards are made when sent, and say how long the step has waited then
      const r = await runReminders(bot.app.services, at(hours));
      await bot.settle();
      return r.stepIds.includes(step.id);
    };
    expect(await run(120.5)).toBe(false); // Saturday 10:00: overdue, but the weekend
    expect(await run(144.5)).toBe(false); // Sunday 10:00
    expect(reminders()).toHaveLength(0);
    expect(await run(168)).toBe(true); // Monday 09:30
    expect(reminders()).toHaveLength(1);
  });
});

describe('双层签批 by different people', () => {
  it('keeps whoever signed 初审 out of 审签: with nobody left the admins are told, and a new approver takes it (recorded in /history)', async () => {
    await grant('reviewer', APP1, '赵六'); // 赵六 now holds both reviewer and approver
    const lead = await newLead();
    await bot.click(APP1, stepCardOf(APP1, lead, '初审'), '同意');
    expect(stepCards(APP1, lead, '审签')).toHaveLength(0);
    const alerts = bot.messagesTo(ADMIN).filter((m) => isCard(m) && titleOf(m) === `无人可审批 · ${lead.code}`);
    expect(alerts).toHaveLength(1);
    expect(textOf(alerts[0])).toContain('已处理本轮前面环节的人不能审批');
    expect((await leadRow(lead)).status).toBe('pending');

    await grant('approver', REV2, '李四');
    expect(JSON.parse(lastReplyTo(ADMIN).content).text).toBe('已授予 李四「审签人员」角色。\n已为 1 个审批中的项目更新了审签人员。');
    const card = stepCardOf(REV2, lead, '审签');
    expect(textOf(card)).toContain('您已被分配为该环节的审批人');
    expect(textOf(card)).toContain('**初审**：赵六 同意');
    await bot.click(REV2, card, '同意');
    expect((await leadRow(lead)).status).toBe('approved');
    expect(await auditActions(lead)).toEqual(['submit', 'approve', 'restaff', 'approve']);

    await bot.say(STAFF, `/history ${lead.code}`);
    const restaffLine = textOf(lastReplyTo(STAFF)).split('\n').find((l) => l.includes('调整审批人'));
    expect(restaffLine).toMatch(/ · 审签 · 未知用户（admin0001）（管理员） · \*\*调整审批人\*\*（新增 李四）$/);

    await bot.say(ADMIN, '/role remove reviewer @赵六', { mentions: [{ openId: APP1, name: '赵六' }] });
    await bot.say(ADMIN, '/role remove approver @李四', { mentions: [{ openId: REV2, name: '李四' }] });
  });

  it('refuses a comment longer than 500 characters and changes nothing', async () => {
    const lead = await newLead();
    const c1 = stepCardOf(REV1, lead, '初审');
    const r = await bot.click(REV1, c1, '同意', { comment: '长'.repeat(501) });
    expect(r.toast).toEqual({ type: 'warning', content: '意见不能超过 500 字' });
    expect(buttonTexts(c1)).toContain('同意');
    expect(await auditActions(lead)).toEqual(['submit']);
  });
});

describe('a large 领导小组', () => {
  it('takes the decisions of 25 leaders with 500-character comments; every card stays valid and within 30 KB', async () => {
    const extra = Array.from({ length: 22 }, (_, i) => ({ openId: `ou_lead${String(i + 4).padStart(4, '0')}`, name: `成员${i + 4}号` }));
    await bot.say(ADMIN, `/role add leader ${extra.map((p) => `@${p.name}`).join(' ')}`, { mentions: extra });
    const leaders = [...LEADERS, ...extra.map((p) => p.openId)];
    const lead = await newLead({ investmentWan: 30000 });
    await bot.click(REV1, stepCardOf(REV1, lead, '初审'), '同意');
    await bot.click(APP1, stepCardOf(APP1, lead, '审签'), '同意');

    const comment = (i: number) => `第${i + 1}位意见：${'同意引进该项目并建议加快落地'.repeat(40)}`.slice(0, 500);
    // The first 23 agree as their clicks would have recorded it (clicking each is slow: every click re-renders 25 copies).
    const prisma = bot.app.database.prisma;
    const step = await prisma.approvalStep.findFirstOrThrow({ where: { leadId: lead.id, step: 'leadership' } });
    for (const [i, id] of leaders.slice(0, 23).entries()) {
      await prisma.stepAssignee.updateMany({ where: { stepId: step.id, userId: id }, data: { decision: 'approve', comment: comment(i), decidedAt: now } });
    }
    // The 24th and 25th click: each decision re-renders every copy, now listing 24 and 25 long comments.
    for (const i of [23, 24]) {
      const r = await bot.click(leaders[i], stepCardOf(leaders[i], lead, '领导小组'), '同意', { comment: comment(i) });
      expect(r.toast?.type, `leader ${i + 1}`).toBe('success');
    }
    expect((await leadRow(lead)).status).toBe('approved');

    const copies = leaders.map((id) => stepCardOf(id, lead, '领导小组'));
    for (const copy of copies) {
      for (const content of [copy.content, ...copy.updates.map((u) => u.content)]) {
        expect(validateCard(JSON.parse(content))).toEqual({ ok: true });
        expect(Buffer.byteLength(content, 'utf8')).toBeLessThanOrEqual(30 * 1024);
      }
    }
    const last = textOf(copies[0]);
    expect(last).toContain('会签通过');
    expect(last).toContain(`成员25号：同意`);
    expect(last).toContain(`${comment(24).slice(0, 60)}…`);
    expect(last).not.toContain(comment(24));
    expect(last).toContain(`完整意见请发送 /history ${lead.code} 查看`);

    // The submitter's notice credits the whole group, naming a few; his card stays valid and within 30 KB.
    const notice = textsAbout(lead)[0];
    expect(notice).toContain('领导小组会签通过：孙一、周二、吴三、成员4号、成员5号 等 25 位领导 同意');
    expect(notice).not.toContain(comment(24));
    const living = livingCard(lead);
    for (const content of [living.content, ...living.updates.map((u) => u.content)]) {
      expect(validateCard(JSON.parse(content))).toEqual({ ok: true });
      expect(Buffer.byteLength(content, 'utf8')).toBeLessThanOrEqual(30 * 1024);
    }

    await bot.say(LEADERS[0], `/history ${lead.code}`);
    expect(textOf(lastReplyTo(LEADERS[0]))).toContain(comment(23));
  });
});

describe('cards', () => {
  it('every card sent or updated passes validation and fits in 30 KB', async () => {
    let checked = 0;
    for (const m of bot.state.messages.filter(isCard)) {
      for (const content of [m.content, ...m.updates.map((u) => u.content)]) {
        expect(validateCard(JSON.parse(content))).toEqual({ ok: true });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});

describe('an expired or forged card', () => {
  it('gets the same answer from the router and from every feature', async () => {
    const lead = await newLead();
    const unknown = await bot.clickValue(STAFF, { action: 'no.such.action' });
    const decide = await bot.clickValue(REV1, { action: 'approval.decide', leadId: lead.id, stepId: 'x', decision: 'approve' });
    const withdraw = await bot.clickValue(STAFF, { action: 'approval.withdraw' });
    const stage = await bot.clickValue(STAFF, { action: 'lifecycle.open', leadId: lead.id, stage: 'no_such_stage' });
    // Every action's value is checked against its schema before the handler runs.
    const typed = [
      await bot.clickValue(STAFF, { action: 'lifecycle.open', leadId: 'x', stage: 'signed' }),
      await bot.clickValue(STAFF, { action: 'register.edit', leadId: -1 }),
      await bot.clickValue(STAFF, { action: 'register.confirm', draftId: 'abc' }),
      await bot.clickValue(STAFF, { action: 'register.submit', kind: 'no_such_kind', openedBy: STAFF }),
      await bot.clickValue(STAFF, { action: 'followup.unchanged', followUpId: 1.5 }),
      await bot.clickValue(STAFF, { action: 'quota.import.cancel', draftId: { id: 1 } }),
    ];
    expect(unknown).toEqual({ toast: { type: 'warning', content: '该卡片已过期，请以最新卡片为准或重新发送指令。' } });
    for (const r of [decide, withdraw, stage, ...typed]) expect(r).toEqual(unknown);
    expect(await auditActions(lead)).toEqual(['submit']);
  });
});

describe('我的待办 for an approver with hundreds waiting', () => {
  it('lists the oldest 200 and counts them all', async () => {
    const BULK = 'ou_rev00009';
    await grant('reviewer', BULK, '郑九');
    const db = bot.app.database.prisma;
    const n = 230;
    await db.lead.createMany({
      data: Array.from({ length: n }, (_, i) => ({
        code: `KZ-2025-${String(i + 1).padStart(4, '0')}`,
        kind: 'service',
        projectName: `积压项目${i + 1}`,
        town: '白蒲镇',
        submitterId: STAFF,
        status: 'pending',
      })),
    });
    const leads = await db.lead.findMany({ where: { projectName: { startsWith: '积压项目' } }, select: { id: true, code: true } });
    const seq = (code: string) => Number(code.slice(-4));
    // The higher the number, the longer it has waited: the list must come out by waiting time, not by id.
    await db.approvalStep.createMany({
      data: leads.map((l) => ({ leadId: l.id, round: 1, position: 1, step: 'review', mode: 'any', status: 'pending', startedAt: new Date(T0.getTime() - seq(l.code) * 60_000) })),
    });
    const steps = await db.approvalStep.findMany({ where: { leadId: { in: leads.map((l) => l.id) } }, select: { id: true } });
    await db.stepAssignee.createMany({ data: steps.map((s) => ({ stepId: s.id, userId: BULK })) });

    await bot.say(BULK, '/pending');
    const { card } = bot.lastCard(BULK);
    const text = cardText(card);
    expect(text).toContain(`共 ${n} 项等待您处理`);
    const lines = text.split('\n').filter((l) => /^\d+\. .*积压项目/.test(l));
    expect(lines[0]).toContain('KZ-2025-0230'); // waited longest
    expect(lines.length).toBeLessThanOrEqual(200);
    expect(text).toContain(`另有 ${n - lines.length} 项`);
    expect(text).not.toContain('KZ-2025-0001 '); // the newest is past the first 200
    expect(validateCard(card)).toEqual({ ok: true });
  });
});
