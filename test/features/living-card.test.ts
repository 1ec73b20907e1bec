// One living card per lead (issue 18): the form the submitter sends turns into his card about the lead, and
// that one card is updated in place at every step; every earlier copy of an approval card and a stale
// 我的待办 button show the lead as it is now. Driven through the real forms and buttons; the stand-in keeps
// every card body as sent and as patched, and the tests read them there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, cardOf } from '../support/harness.ts';
import { buttons, cardText, replyCard, validCard } from '../support/cards.ts';
import type { CardJson } from '../../src/platform/lark/types.ts';
import type { DeliveredMessage } from '../../src/sandbox/standin.ts';

const ADMIN = 'ou_admin0001';
const STAFF = 'ou_staff0001'; // 陈登记, 丁堰镇
const REV1 = 'ou_rev00001'; // 张三
const REV2 = 'ou_rev00002'; // 李四
const APP1 = 'ou_app00001'; // 赵六

// Monday 2026-03-02 09:30 in Asia/Shanghai.
let now = new Date('2026-03-02T01:30:00Z');
let bot: TestBot;
const prisma = () => bot.app.database.prisma;

beforeAll(async () => {
  bot = await TestBot.start({ name: 'living_card', admins: [ADMIN], clock: () => now });
  await prisma().roleGrant.createMany({
    data: [
      { userId: STAFF, role: 'staff', town: '丁堰镇', grantedBy: ADMIN },
      { userId: REV1, role: 'reviewer', grantedBy: ADMIN },
      { userId: REV2, role: 'reviewer', grantedBy: ADMIN },
      { userId: APP1, role: 'approver', grantedBy: ADMIN },
    ],
  });
  await prisma().user.createMany({
    data: [
      { openId: STAFF, name: '陈登记' },
      { openId: REV1, name: '张三' },
      { openId: REV2, name: '李四' },
      { openId: APP1, name: '赵六' },
    ],
  });
});
afterAll(async () => {
  await bot?.stop();
});

const titleOf = (c: CardJson) => String(((c.header as Record<string, unknown>)?.title as Record<string, unknown>)?.content ?? '');
const textOf = (m: DeliveredMessage) => cardText(cardOf(m));
const buttonTexts = (m: DeliveredMessage) => buttons(cardOf(m)).map((b) => b.text);

/** Every card the stand-in holds that is about `code`, as it shows now. */
const cardsAbout = (code: string) => bot.state.messages.filter((m) => m.msgType === 'interactive' && m.currentContent.includes(code));

/** The step card (审批 · project) a person holds for `project`, newest last. */
function stepCards(user: string, project: string, label: string): DeliveredMessage[] {
  return bot.messagesTo(user).filter((m) => m.msgType === 'interactive' && titleOf(cardOf(m)).includes(`${label}审批 · ${project}`));
}
const stepCard = (user: string, project: string, label: string) => stepCards(user, project, label).at(-1)!;

/** What the submitter types into the service form (Feishu sends every field, pre-filled ones too). */
const fields = (project: string, town: string, more: Record<string, unknown> = {}) => ({
  project_name: project, company_name: `如皋${project}有限公司`, town, industry: '氢能', service_type: '技术评估检测',
  contact_name: '钱经理', contact_phone: '13812345678', investment_wan: '800', ...more,
});

/** Opens the service form in the private chat and submits it; returns the form's message (now the living card). */
async function register(project: string, town: string): Promise<{ msg: DeliveredMessage; code: string }> {
  await bot.say(STAFF, '登记服务');
  const msg = bot.lastMessageTo(STAFF);
  expect(buttonTexts(msg)).toContain('提交');
  const reply = await bot.click(STAFF, msg, '提交', fields(project, town));
  const card = replyCard(reply);
  const code = /KZ-\d{4}-\d{4}/.exec(titleOf(card))![0];
  return { msg, code };
}

/**
 * No card about the lead carries a button that no longer applies: the approval cards none at all, and the
 * submitter's living card only `living`. Every body the stand-in ever held (sent and patched) is valid.
 */
function expectNoStaleButtons(code: string, living: DeliveredMessage, allowed: string[]): void {
  for (const m of cardsAbout(code)) {
    for (const body of [m.content, ...m.updates.map((u) => u.content)]) validCard(JSON.parse(body) as CardJson);
    expect(buttonTexts(m), `${titleOf(cardOf(m))} to ${m.chatId}`).toEqual(m === living ? allowed : []);
  }
}

describe('one living card per lead', () => {
  it('register → 初审 → 审签 → approved: one submitter card, updated in place, and no stale button anywhere', async () => {
    const project = '氢能检测平台项目';
    const { msg: living, code } = await register(project, '丁堰镇');
    const sentBefore = bot.messagesTo(STAFF).length;
    expect(titleOf(cardOf(living))).toBe(`待初审 · ${code}`);
    expect(textOf(living)).toContain('已提交，进入审批');
    expect(textOf(living)).toContain('**下一步**：等待初审：张三、李四（任一人处理即可）');
    expect(buttonTexts(living)).toEqual(['撤回', '催办']);

    await bot.click(REV1, stepCard(REV1, project, '初审'), '同意', { comment: '材料齐全' });
    expect(titleOf(cardOf(living))).toBe(`待审签 · ${code}`);
    expect(textOf(living)).toContain('**初审**：张三 同意（2026-03-02 09:30） · 意见：材料齐全');
    expect(textOf(living)).toContain('**下一步**：等待审签：赵六');
    expect(buttonTexts(living)).toEqual(['催办']);
    // The other reviewer's copy: the outcome, no buttons.
    expect(buttonTexts(stepCard(REV2, project, '初审'))).toEqual([]);

    now = new Date(now.getTime() + 3600_000);
    await bot.click(APP1, stepCard(APP1, project, '审签'), '同意');
    expect(titleOf(cardOf(living))).toBe(`已通过 · ${code}`);
    expect(textOf(living)).toContain('**审签**：赵六 同意（2026-03-02 10:30）');
    expect(textOf(living)).toContain('**下一步**：签约 → 注册 → 落地 → 投产');
    expect(living.updates.filter((u) => u.via === 'patch')).toHaveLength(2);

    // The submitter got no further card: one brief text at the end, pointing to the card.
    const after = bot.messagesTo(STAFF).slice(sentBefore);
    expect(after.map((m) => m.msgType)).toEqual(['text']);
    expect(JSON.parse(after[0].content).text).toContain(`${code}）已审批通过（审签：赵六 同意）`);
    expect(cardsAbout(code).filter((m) => m.chatId === living.chatId)).toEqual([living]);

    // Earlier copies show the lead as it is now: the 初审 cards no longer say 待审签.
    for (const user of [REV1, REV2]) expect(textOf(stepCard(user, project, '初审'))).toContain('**当前状态**：已通过');
    expectNoStaleButtons(code, living, ['登记项目进展']);
  });

  it('退回修改 → 修改并重新提交 on the same card → approved; a stale 我的待办 button refreshes that list', async () => {
    const project = '白蒲检测服务站';
    // Staff of 丁堰镇 registers a lead for 白蒲镇: the approval cards say so.
    const { msg: living, code } = await register(project, '白蒲镇');
    const first = stepCard(REV2, project, '初审');
    expect(textOf(first)).toContain('⚠️ **跨镇区登记**：登记人 陈登记 属丁堰镇，项目登记在白蒲镇，请核实归属');

    await bot.click(REV2, first, '退回修改', { comment: '请补充检测资质' });
    expect(titleOf(cardOf(living))).toBe(`退回修改 · ${code}`);
    expect(textOf(living)).toContain('**修改意见**（李四）：请补充检测资质');
    expect(buttonTexts(living)).toEqual(['修改并重新提交']);
    const texts = () => bot.messagesTo(STAFF).filter((m) => m.msgType === 'text' && m.content.includes(code)).map((m) => JSON.parse(m.content).text as string);
    expect(texts()).toHaveLength(1);
    expect(texts()[0]).toContain('被 李四 退回修改：请补充检测资质');

    // The card turns into the pre-filled form, and back into the living card, round 2.
    const form = replyCard(await bot.click(STAFF, living, '修改并重新提交'));
    expect(cardText(form)).toContain('请补充检测资质');
    const again = replyCard(await bot.click(STAFF, living, '提交', fields(project, '白蒲镇', { investment_wan: '900' })));
    expect(titleOf(again)).toBe(`待初审 · ${code}`);
    expect(cardText(again)).toContain('**审批轮次**：第 2 轮');
    expect(cardText(again)).toContain('**第 1 轮退回修改**：李四（初审） · 意见：请补充检测资质');
    expect((await prisma().lead.findUniqueOrThrow({ where: { code } })).cardMessageId).toBe(living.messageId);

    // 我的待办 for 李四 lists the lead; 张三 handles it first, so 李四's button is stale.
    await bot.say(REV2, '待办');
    const pending = bot.lastMessageTo(REV2);
    expect(buttonTexts(pending)).toEqual([`1. ${code}`]);
    await bot.click(REV1, stepCard(REV1, project, '初审'), '同意');
    const stale = await bot.click(REV2, pending, `1. ${code}`);
    expect(stale.toast).toEqual({ type: 'warning', content: '该环节已处理或已不需要您处理' });
    expect(textOf(pending)).toContain('目前没有等待您处理的审批');
    expect(buttonTexts(pending)).toEqual([]);

    await bot.click(APP1, stepCard(APP1, project, '审签'), '同意');
    expect(titleOf(cardOf(living))).toBe(`已通过 · ${code}`);
    expect(textOf(living)).toContain('**审批轮次**：第 2 轮');
    expect(texts()).toHaveLength(2);
    // Round 1's cards keep their outcome (退回修改) and, like round 2's, carry no button.
    expect(textOf(first)).toContain('**修改意见**：请补充检测资质');
    expectNoStaleButtons(code, living, ['登记项目进展']);
  });

  it('a stale 待我审批 on a 查询 list redraws that list without it', async () => {
    const project = '九华检测中心项目';
    await register(project, '丁堰镇');
    await bot.say(REV2, `查询 ${project}`);
    const list = bot.lastMessageTo(REV2);
    expect(buttonTexts(list)).toEqual(['查看', '待我审批']);
    await bot.click(REV1, stepCard(REV1, project, '初审'), '同意');
    const stale = await bot.click(REV2, list, '待我审批');
    expect(stale.toast).toEqual({ type: 'warning', content: '该环节已处理或已不需要您处理' });
    expect(textOf(list)).toContain(project);
    expect(buttonTexts(list)).toEqual(['查看']);
  });

  it('a lead resubmitted from its /lead card: that card becomes the living one, the old one points to it', async () => {
    const project = '如皋计量服务中心';
    const { msg: old, code } = await register(project, '丁堰镇');
    await bot.click(REV1, stepCard(REV1, project, '初审'), '退回修改', { comment: '名称有误' });
    await bot.say(STAFF, `项目 ${code}`);
    const view = bot.lastMessageTo(STAFF);
    await bot.click(STAFF, view, '修改并重新提交');
    await bot.click(STAFF, view, '提交', fields(project, '丁堰镇'));
    expect(titleOf(cardOf(view))).toBe(`待初审 · ${code}`);
    expect(titleOf(cardOf(old))).toBe(`已重新提交 · ${code}`);
    expect(buttonTexts(old)).toEqual([]);
    // A stale 修改并重新提交 answers with the lead as it is now.
    const late = await bot.clickValue(STAFF, { action: 'register.edit', leadId: (await prisma().lead.findUniqueOrThrow({ where: { code } })).id }, { message: old });
    expect(late.toast?.content).toContain('只有退回修改或已撤回的项目可以修改');
    expect(titleOf(cardOf(old))).toBe(`待初审 · ${code}`);
  });
});
