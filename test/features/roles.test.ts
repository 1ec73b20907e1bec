// /role (角色): granting, removing and listing roles, admins only, audited; a role change re-staffs the
// pending steps of that role.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, cardOf } from '../support/harness.ts';
import { buttons, cardText } from '../support/cards.ts';
import { validateCard } from '../../src/platform/cards/validate.ts';
import type { DeliveredMessage } from '../../src/sandbox/standin.ts';
import { startApproval } from '../../src/features/approval/start.ts';
import { unknownUserName } from '../../src/platform/people.ts';
import { officeSchema } from '../../src/office/config.ts';

const ADMIN = 'ou_admin0001';
const ZHANG = 'ou_zhang0001';
const LI = 'ou_li00000001';
const WANG = 'ou_wang000001';
const NOBODY = 'ou_nobody0001';

let bot: TestBot;
beforeAll(async () => {
  // One expert decides 预审 and the 领导小组 decides by 会签 here (panels: test/features/panel.test.ts).
  bot = await TestBot.start({ name: 'roles', admins: [ADMIN], office: officeSchema.parse({ panel: { prereview: false, major: false }, major: { decision: 'unanimous' } }) });
});
afterAll(async () => {
  await bot?.stop();
});

const mention = (openId: string, name: string) => ({ mentions: [{ openId, name }] });
/** The bot's last reply to a message of `user` (cards sent to them on the side may arrive in either order). */
const replyText = (user: string): string => {
  const m = bot.messagesTo(user).filter((x) => x.parentId !== undefined).at(-1);
  if (!m) throw new Error(`no reply to ${user}`);
  return m.msgType === 'text' ? JSON.parse(m.content).text : cardText(cardOf(m));
};
const prisma = () => bot.app.database.prisma;

async function audits(action: string) {
  return prisma().auditEvent.findMany({ where: { action }, orderBy: { id: 'asc' } });
}

describe('/role', () => {
  it('is for admins only: others are refused and nothing changes', async () => {
    await bot.say(NOBODY, '/role add reviewer @张三', mention(ZHANG, '张三'));
    expect(replyText(NOBODY)).toBe('您没有权限使用「角色」指令。如需开通，请联系管理员。');
    await bot.say(NOBODY, '角色');
    expect(replyText(NOBODY)).toBe('您没有权限使用「角色」指令。如需开通，请联系管理员。');
    expect(await prisma().roleGrant.count()).toBe(0);
    expect(await audits('role_grant')).toHaveLength(0);
  });

  it('grants a role (English or Chinese names), audits it, and does not grant twice', async () => {
    await bot.say(ADMIN, '/role add reviewer @张三', mention(ZHANG, '张三'));
    expect(replyText(ADMIN)).toBe('已授予 张三「初审人员」角色。');
    const grant = await prisma().roleGrant.findUnique({ where: { userId_role: { userId: ZHANG, role: 'reviewer' } } });
    expect(grant).toMatchObject({ grantedBy: ADMIN, town: null });
    const [audit] = await audits('role_grant');
    expect(audit).toMatchObject({ actorId: ADMIN, role: 'admin', data: { userId: ZHANG, role: 'reviewer' } });

    await bot.say(ADMIN, '/role add 初审 @张三', mention(ZHANG, '张三'));
    expect(replyText(ADMIN)).toBe('张三 已是初审人员，无需重复授予。');
    expect(await audits('role_grant')).toHaveLength(1);

    await bot.say(ADMIN, '角色 添加 审签 @李四', mention(LI, '李四'));
    expect(replyText(ADMIN)).toBe('已授予 李四「审签人员」角色。');
    expect(await prisma().roleGrant.count({ where: { userId: LI, role: 'approver' } })).toBe(1);

    await bot.say(ADMIN, '/role add boss @李四', mention(LI, '李四'));
    expect(replyText(ADMIN)).toMatch(/^未知角色「boss」。可用角色：staff（招商人员）、reviewer（初审）/);
    await bot.say(ADMIN, '/role add reviewer');
    expect(replyText(ADMIN)).toBe('请 @ 要授予角色的人，例如：/role add reviewer @张三');
  });

  it('requires a known town for staff and lists the valid ones', async () => {
    await bot.say(ADMIN, '/role add staff @王五', mention(WANG, '王五'));
    expect(replyText(ADMIN)).toContain('招商人员须指定所属镇区');
    expect(replyText(ADMIN)).toContain('可选镇区：丁堰镇、东陈镇、白蒲镇');
    await bot.say(ADMIN, '/role add 招商人员 @王五 火星镇', mention(WANG, '王五'));
    expect(replyText(ADMIN)).toMatch(/^未知镇区「火星镇」。可选镇区：丁堰镇、.*高新区$/);
    expect(await prisma().roleGrant.count({ where: { userId: WANG } })).toBe(0);

    await bot.say(ADMIN, '/role add staff @王五 如皋港工业园区', mention(WANG, '王五'));
    expect(replyText(ADMIN)).toBe('已授予 王五「招商人员」角色（长江镇）。');
    await bot.say(ADMIN, '/role add staff @王五 白蒲镇', mention(WANG, '王五'));
    expect(replyText(ADMIN)).toBe('已将 王五 的所属镇区改为 白蒲镇。');
    expect((await prisma().roleGrant.findUniqueOrThrow({ where: { userId_role: { userId: WANG, role: 'staff' } } })).town).toBe('白蒲镇');
    const last = (await audits('role_grant')).at(-1);
    expect(last?.data).toEqual({ userId: WANG, role: 'staff', town: '白蒲镇', previousTown: '长江镇' });
  });

  it('lists who holds which role, with towns and the BOT_ADMINS', async () => {
    await bot.say(ADMIN, '/role list');
    const card = cardOf(bot.lastMessageTo(ADMIN));
    expect(validateCard(card)).toEqual({ ok: true });
    const text = cardText(card);
    expect(text).toContain('角色列表');
    expect(text).toContain('**招商人员**（1 人）\n- 王五 · 白蒲镇');
    expect(text).toContain('**初审人员**（1 人）\n- 张三');
    expect(text).toContain('**预审专家**（0 人）\n- 暂无');
    // Lark did not give the admin's name: a readable stand-in, not a cut-off id (「用户0001」 before).
    expect(text).toContain('**管理员**（1 人）\n- 未知用户（admin0001）（BOT_ADMINS）');

    // One role only, by its English or Chinese name.
    await bot.say(ADMIN, '/role list 初审');
    const one = cardText(cardOf(bot.lastMessageTo(ADMIN)));
    expect(one).toContain('角色列表 · 初审人员');
    expect(one).toContain('**初审人员**（1 人）\n- 张三');
    expect(one).not.toContain('招商人员');
    await bot.say(ADMIN, '/role list boss');
    expect(replyText(ADMIN)).toContain('未知角色「boss」。可用角色：');
  });

  it('removes a role with an audit event', async () => {
    await bot.say(ADMIN, '/role remove reviewer @张三', mention(ZHANG, '张三'));
    expect(replyText(ADMIN)).toBe('已移除 张三 的「初审人员」角色。');
    expect(await prisma().roleGrant.count({ where: { userId: ZHANG } })).toBe(0);
    const [audit] = await audits('role_revoke');
    expect(audit).toMatchObject({ actorId: ADMIN, role: 'admin', data: { userId: ZHANG, role: 'reviewer' } });
    await bot.say(ADMIN, '角色 移除 初审 @张三', mention(ZHANG, '张三'));
    expect(replyText(ADMIN)).toBe('张三 没有「初审人员」角色，无需移除。');
    expect(await audits('role_revoke')).toHaveLength(1);
  });
});

describe('role changes re-staff pending steps', () => {
  const titled = (user: string, text: string): DeliveredMessage[] =>
    bot.messagesTo(user).filter((m) => m.msgType === 'interactive' && cardText(cardOf(m)).split('\n')[0].includes(text));

  it('gives a step nobody could take to the new holder, and moves it on when he loses the role', async () => {
    const lead = await prisma().$transaction(async (tx) => {
      const row = await tx.lead.create({
        data: { code: 'KZ-2026-0101', kind: 'tech', projectName: '无人预审项目', town: '白蒲镇', submitterId: WANG, status: 'pending', round: 1 },
      });
      await startApproval(tx, bot.app.services, row.id);
      return row;
    });
    await bot.settle();
    const alert = titled(ADMIN, `无人可审批 · ${lead.code}`);
    expect(alert).toHaveLength(1);
    expect(cardText(cardOf(alert[0]))).toContain('/role add expert @某人');

    await bot.say(ADMIN, '/role add expert @张三', mention(ZHANG, '张三'));
    expect(replyText(ADMIN)).toBe('已授予 张三「预审专家」角色。\n已为 1 个审批中的项目更新了预审专家。');
    const [zhangCard] = titled(ZHANG, `预审审批 · ${lead.projectName}`);
    expect(cardText(cardOf(zhangCard))).toContain('您已被分配为该环节的审批人');
    expect(buttons(cardOf(zhangCard)).map((b) => b.text)).toContain('同意');

    // A second expert joins: the step already has someone to decide, nothing moves.
    await bot.say(ADMIN, '/role add 专家 @李四', mention(LI, '李四'));
    expect(replyText(ADMIN)).toBe('已授予 李四「预审专家」角色。');
    expect(titled(LI, `预审审批 · ${lead.projectName}`)).toHaveLength(0);

    // 张三 loses the role: his card loses its buttons and the step goes to the remaining expert.
    await bot.say(ADMIN, '/role remove expert @张三', mention(ZHANG, '张三'));
    expect(replyText(ADMIN)).toBe('已移除 张三 的「预审专家」角色。\n已为 1 个审批中的项目更新了预审专家。');
    expect(buttons(cardOf(zhangCard))).toEqual([]);
    expect(cardText(cardOf(zhangCard))).toContain('您已不再是该环节的审批人');
    const [liCard] = titled(LI, `预审审批 · ${lead.projectName}`);
    expect(buttons(cardOf(liCard)).map((b) => b.text)).toContain('同意');
    const assignees = await prisma().stepAssignee.findMany({ where: { step: { leadId: lead.id } }, orderBy: { userId: 'asc' } });
    expect(assignees.map((a) => [a.userId, a.active])).toEqual([[LI, true], [ZHANG, false]]);
    const restaffs = await prisma().auditEvent.findMany({ where: { leadId: lead.id, action: 'restaff' }, orderBy: { id: 'asc' } });
    expect(restaffs.map((a) => [a.actorId, a.role, a.data])).toEqual([
      [ADMIN, 'admin', { round: 1, step: 'prereview', added: ZHANG }],
      [ADMIN, 'admin', { round: 1, step: 'prereview', removed: ZHANG, added: LI }],
    ]);
  });

  it('re-staffs even when the command changes nothing, so a retry heals a step an interrupted run left stuck', async () => {
    // Nobody holds reviewer: the lead waits at 初审 with nobody to decide.
    const lead = await prisma().$transaction(async (tx) => {
      const row = await tx.lead.create({
        data: { code: 'KZ-2026-0102', kind: 'service', projectName: '待初审项目', town: '白蒲镇', submitterId: WANG, status: 'pending', round: 1 },
      });
      await startApproval(tx, bot.app.services, row.id);
      return row;
    });
    await bot.settle();
    // As if an earlier run granted 李四 the role and stopped before re-staffing.
    await prisma().roleGrant.create({ data: { userId: LI, role: 'reviewer', grantedBy: ADMIN } });
    expect(titled(LI, `初审审批 · ${lead.projectName}`)).toHaveLength(0);

    await bot.say(ADMIN, '/role add reviewer @李四', mention(LI, '李四'));
    expect(replyText(ADMIN)).toBe('李四 已是初审人员，无需重复授予。\n已为 1 个审批中的项目更新了初审人员。');
    const [liCard] = titled(LI, `初审审批 · ${lead.projectName}`);
    expect(buttons(cardOf(liCard)).map((b) => b.text)).toContain('同意');

    // The same for a removal whose re-staffing never ran.
    await prisma().roleGrant.delete({ where: { userId_role: { userId: LI, role: 'reviewer' } } });
    await bot.say(ADMIN, '/role remove reviewer @李四', mention(LI, '李四'));
    expect(replyText(ADMIN)).toBe('李四 没有「初审人员」角色，无需移除。\n已为 1 个审批中的项目更新了初审人员。');
    expect(buttons(cardOf(liCard))).toEqual([]);
    expect(cardText(cardOf(liCard))).toContain('您已不再是该环节的审批人');
  });
});

describe('people whose name Lark did not give', () => {
  it('are called 未知用户 with the whole short id or a marked tail, never a cut word', () => {
    expect(unknownUserName('ou_admin')).toBe('未知用户（admin）'); // was 「用户dmin」
    expect(unknownUserName('ou_admin0001')).toBe('未知用户（admin0001）');
    expect(unknownUserName('ou_7d8a6e6df7621556ce0d21922b676706ccs')).toBe('未知用户（…6ccs）');
    expect(unknownUserName('ou_')).toBe('未知用户');
  });
});
