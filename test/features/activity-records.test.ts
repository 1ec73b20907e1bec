// Activity records (活动成效): an admin records whether an activity was held, its day, attendance, cost and notes
// on a form card (活动登记 <序号|名称>, or the picker under /activities); /activities then shows per activity
// the leads, approvals and signings it brought, the cost per lead and the cost against the calendar's budget.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, cardOf } from '../support/harness.ts';
import { buttons, cardText, replyCard } from '../support/cards.ts';
import { ROOT } from '../support/process.ts';
import { validateCard } from '../../src/platform/cards/validate.ts';
import type { DeliveredMessage } from '../../src/sandbox/standin.ts';

const ADMIN = 'ou_admin0001';
const STAFF = 'ou_staff0001';
const FIXTURE = join(ROOT, 'test', 'fixtures', 'rugao-2023-activities.csv');

const now = new Date('2023-04-20T02:00:00Z'); // 10:00 in Asia/Shanghai
let bot: TestBot;
const db = () => bot.app.database.prisma;
const textOf = (m: DeliveredMessage) => cardText(cardOf(m));

/** The 2023 calendar with a 预算（万元） column: 8 for the 创新创业大赛 (3), 20 for the 洽谈会 (13). */
function calendarWithBudget(): Buffer {
  const lines = readFileSync(FIXTURE, 'utf8').split('\n');
  const text = lines
    .map((line, i) => {
      if (i === 0) return `${line},预算（万元）`;
      if (line.startsWith('3,')) return line; // the name runs over two lines: the budget goes on the second
      if (line.startsWith('（孵化项目专场）')) return `${line},8`;
      if (line.startsWith('13,')) return `${line},20万`;
      return line.trim() === '' ? line : `${line},`;
    })
    .join('\n');
  return Buffer.from(text);
}

async function activity(seq: number) {
  return db().activity.findUniqueOrThrow({ where: { year_seq: { year: 2023, seq } } });
}

beforeAll(async () => {
  bot = await TestBot.start({ name: 'activity_records', clock: () => now, admins: [ADMIN] });
  await db().roleGrant.create({ data: { userId: STAFF, role: 'staff', town: '开发区', grantedBy: ADMIN } });
  await bot.sendFile(ADMIN, '2023年活动安排表.csv', calendarWithBudget());
  expect(bot.lastText(ADMIN)).toContain('已导入 2023 年活动安排表：共 20 项');
  // Three leads name the 创新创业大赛 as their source: one approved and signed, one approved, one pending.
  const contest = await activity(3);
  await db().lead.createMany({
    data: [['approved', 'signed'], ['approved', null], ['pending', null]].map(([status, stage], i) => ({
      code: `KZ-2023-08${i}1`, kind: 'tech', projectName: `大赛项目${i}`, town: '开发区', submitterId: STAFF, status: status!, stage, activityId: contest.id,
    })),
  });
});

afterAll(async () => {
  await bot?.stop();
});

describe('budgets in the calendar', () => {
  it('reads a 预算 column in 万元 and refuses a file with a bad one, naming the row', async () => {
    expect((await activity(3)).budgetWan).toBe(8);
    expect((await activity(13)).budgetWan).toBe(20);
    expect((await activity(1)).budgetWan).toBeNull();
    const bad = calendarWithBudget().toString().replace(',20万', ',二十万');
    await bot.sendFile(ADMIN, '2023年活动安排表.csv', Buffer.from(bad));
    expect(bot.lastText(ADMIN)).toMatch(/第\d+行：预算“二十万”不是万元数（E列）/);
    expect((await activity(13)).budgetWan).toBe(20);
  });
});

describe('recording an activity', () => {
  it('opens the form for an admin, refuses wrong values without saving, then saves and shows the results', async () => {
    await bot.say(ADMIN, '活动登记 3');
    const form = bot.lastMessageTo(ADMIN);
    expect(validateCard(cardOf(form))).toEqual({ ok: true });
    expect(textOf(form)).toContain('登记活动情况：3. 如皋市创新创业大赛（孵化项目专场）');
    expect(textOf(form)).toContain('预算**：8 万元');

    const wrong = replyCard(await bot.click(ADMIN, form, '保存', { held: 'yes', attendance: '一百', cost_wan: '60000元' }));
    const wrongText = cardText(wrong);
    expect(wrongText).toContain('已举办的活动请填写举办日期');
    expect(wrongText).toContain('参加人数请填写不小于 0 的整数');
    expect(wrongText).toContain('费用以万元为单位');
    const future = replyCard(await bot.click(ADMIN, form, '保存', { held: 'yes', held_on: '2023-05-01', attendance: '120' }));
    expect(cardText(future)).toContain('举办日期不能晚于今天');
    expect((await activity(3)).held).toBeNull();

    const saved = replyCard(await bot.click(ADMIN, form, '保存', {
      held: 'yes', held_on: '2023-03-18 +0800', attendance: '120人', cost_wan: '6万', note: '现场签约意向 2 个',
    }));
    const savedText = cardText(saved);
    expect(savedText).toContain('已登记：3. 如皋市创新创业大赛（孵化项目专场）');
    expect(savedText).toContain('参加人数**：120 人');
    expect(savedText).toContain('费用**：6 万元（预算 8 万元）');
    expect(savedText).toContain('来源项目**：3 个（通过 2，签约 1）');
    expect(savedText).toContain('每个项目费用**：2 万元');
    const row = await activity(3);
    expect(row).toMatchObject({ held: true, attendance: 120, costWan: 6, resultNote: '现场签约意向 2 个', recordedBy: ADMIN });
    expect(row.heldOn?.toISOString()).toBe('2023-03-18T00:00:00.000Z');
    const audit = await db().auditEvent.findFirstOrThrow({ where: { action: 'activity_record' } });
    expect(audit).toMatchObject({ actorId: ADMIN, data: expect.objectContaining({ seq: 3, held: true, heldOn: '2023-03-18', costWan: 6 }) });
  });

  it('finds an activity by part of its name and records one not held', async () => {
    await bot.say(ADMIN, '/activity record 项目 2023');
    expect(bot.lastText(ADMIN)).toContain('请写序号');
    await bot.say(ADMIN, '/activity record 人才洽谈会');
    const form = bot.lastMessageTo(ADMIN);
    expect(textOf(form)).toContain('13. 如皋市科技·人才洽谈会');
    const refused = replyCard(await bot.click(ADMIN, form, '保存', { held: 'no', attendance: '50' }));
    expect(cardText(refused)).toContain('未举办的活动不填举办日期和参加人数');
    replyCard(await bot.click(ADMIN, form, '保存', { held: 'no', note: '改期至明年' }));
    expect(await activity(13)).toMatchObject({ held: false, heldOn: null, attendance: null, resultNote: '改期至明年' });
  });

  it('is for admins only', async () => {
    await bot.say(STAFF, '活动登记 3');
    expect(bot.lastText(STAFF)).toContain('没有权限');
    await bot.say(STAFF, '活动 登记 3');
    expect(bot.lastText(STAFF)).toContain('只有管理员可以登记活动举办情况');
    const form = bot.messagesTo(ADMIN).filter((m) => m.msgType === 'interactive' && textOf(m).includes('登记活动情况')).at(0)!;
    const reply = await bot.clickValue(STAFF, { action: 'activity.record', activityId: (await activity(3)).id }, { formValue: { held: 'no' }, message: form });
    expect(reply.toast?.content).toContain('只有管理员');
    expect((await activity(3)).held).toBe(true);
  });
});

describe('the year\'s activity table', () => {
  it('shows per activity held, leads / approvals / signings, cost per lead and cost against the budget', async () => {
    await bot.say(STAFF, '活动 2023');
    const msg = bot.lastMessageTo(STAFF);
    expect(validateCard(cardOf(msg))).toEqual({ ok: true });
    const text = textOf(msg);
    expect(text).toContain('**活动成效**');
    expect(text).toContain('已举办 **1** 项，未举办 1 项，未登记 18 项');
    expect(text).toContain('费用合计 **6** 万元（预算 28 万元，已用 21.4%）');
    expect(text).toContain('每个来源项目 2 万元');
    expect(text).toContain('3. 如皋市创新创业大赛（孵化项目专场） | 3月18日 · 120人 | 3/2/1 | 6万元（预算8） · 每项目2');
    expect(text).toContain('13. 如皋市科技·人才洽谈会 | 未举办 | 0/0/0 | 预算20万元');
    // Staff get no record picker.
    expect(buttons(cardOf(msg)).map((b) => b.text)).not.toContain('登记举办情况');
  });

  it('lets an admin pick an activity under the listing and opens its form in place', async () => {
    await bot.say(ADMIN, '活动 2023');
    const msg = bot.lastMessageTo(ADMIN);
    const first = await activity(1);
    const opened = replyCard(await bot.click(ADMIN, msg, '登记举办情况', { activity_id: String(first.id) }));
    expect(cardText(opened)).toContain('登记活动情况：1. 如皋市科创载体建设推进会');
    await bot.say(ADMIN, '活动 2023');
    const none = await bot.click(ADMIN, bot.lastMessageTo(ADMIN), '登记举办情况', {});
    expect(none.toast?.content).toBe('请先选择活动');
  });
});
