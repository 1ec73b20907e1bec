// /role (角色): admins grant and remove roles and list who holds what. Staff carry a town. Every change is
// audited; in the same transaction the pending steps of that role are re-staffed (a step nobody could take
// gets the new holder; someone who lost the role drops out of his steps).
import type { Bot, MessageContext } from '../../platform/bot/router.ts';
import { card, fitCard, header, markdown, truncateList } from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import { resolveTown } from '../../office/config.ts';
import { holdersOf, namesOf, ROLES, type Role } from '../../platform/people.ts';
import { ROLE_LABELS, STEP_ROLE } from '../approval/workflow.ts';
import type { Mention } from '../../platform/lark/types.ts';
import { TX_OPTIONS, type Tx } from '../../platform/db/client.ts';
import { restaffRoleIn } from '../approval/service.ts';
import { userText } from '../../platform/lark/text.ts';

const ROLE_WORDS: Readonly<Record<Role, readonly string[]>> = {
  staff: ['staff', '招商人员', '招商', '招商专员'],
  reviewer: ['reviewer', '初审', '初审人员'],
  approver: ['approver', '审签', '审签人员'],
  expert: ['expert', '专家', '预审', '预审专家'],
  leader: ['leader', '领导', '领导小组', '领导小组成员'],
  secretary: ['secretary', '秘书', '领导小组秘书'],
  admin: ['admin', '管理员'],
};

const SUBCOMMANDS: Readonly<Record<'add' | 'remove' | 'list', readonly string[]>> = {
  add: ['add', 'grant', '添加', '增加', '授予', '设置'],
  remove: ['remove', 'rm', 'revoke', '移除', '删除', '撤销', '取消'],
  list: ['list', 'ls', '列表', '查看', '列出'],
};

/** A role from its English or Chinese name. */
export function parseRole(word: string): Role | undefined {
  const w = word.trim().toLowerCase();
  return ROLES.find((r) => ROLE_WORDS[r].includes(w));
}

const STEP_ROLES = new Set<Role>([...Object.values(STEP_ROLE), 'secretary', 'admin']);
const roleList = ROLES.map((r) => `${r}（${ROLE_WORDS[r][1]}）`).join('、');
const USAGE = [
  '用法：',
  '/role add <角色> @某人 [镇区]　授予角色（招商人员须写镇区）',
  '/role remove <角色> @某人　移除角色',
  '/role list [角色]　查看谁担任什么角色',
  `角色：${roleList}`,
].join('\n');

function uniquePeople(mentioned: Mention[]): Mention[] {
  const seen = new Set<string>();
  return mentioned.filter((m) => !seen.has(m.openId) && seen.add(m.openId));
}

export function registerRoles(bot: Bot): void {
  bot.command({
    name: 'role',
    words: ['角色'],
    summary: '授予、移除、查看角色（招商人员、初审、审签、专家、领导、管理员）',
    usage: '/role add|remove|list <角色> @某人 [镇区]',
    roles: ['admin'],
    async run(ctx) {
      const keys = new Set(ctx.event.mentions.map((m) => m.key));
      const words = ctx.args.filter((a) => !keys.has(a));
      const sub = (words[0] ?? 'list').toLowerCase();
      if (SUBCOMMANDS.list.includes(sub)) return listRoles(ctx, words[1]);
      if (SUBCOMMANDS.add.includes(sub)) return changeRole(ctx, 'add', words.slice(1));
      if (SUBCOMMANDS.remove.includes(sub)) return changeRole(ctx, 'remove', words.slice(1));
      await ctx.reply(USAGE);
    },
  });
}

async function changeRole(ctx: MessageContext, op: 'add' | 'remove', words: string[]): Promise<void> {
  const { services } = ctx;
  const [roleWord, ...rest] = words;
  if (!roleWord) {
    await ctx.reply(USAGE);
    return;
  }
  const role = parseRole(roleWord);
  if (!role) {
    await ctx.reply(`未知角色「${userText(roleWord)}」。可用角色：${roleList}`);
    return;
  }
  const people = uniquePeople(ctx.mentioned);
  if (people.length === 0) {
    await ctx.reply(`请 @ 要${op === 'add' ? '授予' : '移除'}角色的人，例如：/role ${op} ${role} @张三${role === 'staff' && op === 'add' ? ' 白蒲镇' : ''}`);
    return;
  }
  const towns = services.office.towns.map((t) => t.name).join('、');
  let town: string | undefined;
  if (op === 'add' && role === 'staff') {
    const typed = rest.join('');
    if (!typed) {
      await ctx.reply(`招商人员须指定所属镇区，例如：/role add staff @张三 ${services.office.towns[0].name}\n可选镇区：${towns}`);
      return;
    }
    town = resolveTown(services.office, typed);
    if (!town) {
      await ctx.reply(`未知镇区「${userText(typed)}」。可选镇区：${towns}`);
      return;
    }
  }

  const label = ROLE_LABELS[role];
  const names = await namesOf(services.db, people.map((p) => p.openId));
  const lines: string[] = [];
  const now = services.clock();
  // One transaction: the role changes and the re-staffing of that role's pending steps commit together. The
  // re-staffing runs even when nothing changed (it is a no-op then), so a retried command heals a step that
  // an earlier, interrupted run left stuck.
  const { results, restaffed } = await services.db.$transaction(async (tx) => {
    const results: Array<GrantResult | RevokeResult> = [];
    for (const p of people) results.push(op === 'add' ? await grant(tx, ctx, p.openId, role, town, now) : await revoke(tx, ctx, p.openId, role, now));
    const restaffed = STEP_ROLES.has(role) ? await restaffRoleIn(tx, services, role, ctx.person.openId) : 0;
    return { results, restaffed };
  }, TX_OPTIONS);
  for (const [i, p] of people.entries()) {
    const who = names.get(p.openId)!;
    const result = results[i];
    if (result === 'granted') lines.push(`已授予 ${who}「${label}」角色${town ? `（${town}）` : ''}。`);
    else if (result === 'moved') lines.push(`已将 ${who} 的所属镇区改为 ${town}。`);
    else if (result === 'unchanged') lines.push(`${who} 已是${label}${town ? `（${town}）` : ''}，无需重复授予。`);
    else if (result === 'revoked') {
      const still = role === 'admin' && services.env.BOT_ADMINS.includes(p.openId);
      lines.push(`已移除 ${who} 的「${label}」角色。${still ? '（该用户配置在 BOT_ADMINS 中，仍是管理员。）' : ''}`);
    } else if (result === 'absent') lines.push(`${who} 没有「${label}」角色，无需移除。`);
    else if (result === 'last_admin') lines.push(`不能移除 ${who}：他是最后一位管理员。请先授予其他人管理员角色。`);
  }
  if (restaffed > 0) lines.push(`已为 ${restaffed} 个审批中的项目更新了${label}。`);
  if (STEP_ROLES.has(role)) services.kickOutbox();
  await ctx.reply(lines.join('\n'));
}

type GrantResult = 'granted' | 'moved' | 'unchanged';
type RevokeResult = 'revoked' | 'absent' | 'last_admin';

async function grant(tx: Tx, ctx: MessageContext, userId: string, role: Role, town: string | undefined, now: Date): Promise<GrantResult> {
  const existing = await tx.roleGrant.findUnique({ where: { userId_role: { userId, role } } });
  if (existing && (existing.town ?? undefined) === town) return 'unchanged';
  await tx.roleGrant.upsert({
    where: { userId_role: { userId, role } },
    create: { userId, role, town: town ?? null, grantedBy: ctx.person.openId, createdAt: now },
    update: { town: town ?? null, grantedBy: ctx.person.openId },
  });
  const data: Record<string, string> = { userId, role };
  if (town) data.town = town;
  if (existing?.town) data.previousTown = existing.town;
  await tx.auditEvent.create({ data: { actorId: ctx.person.openId, action: 'role_grant', role: 'admin', data, createdAt: now } });
  return existing ? 'moved' : 'granted';
}

async function revoke(tx: Tx, ctx: MessageContext, userId: string, role: Role, now: Date): Promise<RevokeResult> {
  const { services } = ctx;
  const existing = await tx.roleGrant.findUnique({ where: { userId_role: { userId, role } } });
  if (!existing) return 'absent';
  if (role === 'admin') {
    const admins = await holdersOf(tx, 'admin', services.env.BOT_ADMINS);
    if (admins.filter((a) => a !== userId).length === 0) return 'last_admin';
  }
  await tx.roleGrant.deleteMany({ where: { userId, role } });
  const data: Record<string, string> = { userId, role };
  if (existing.town) data.town = existing.town;
  await tx.auditEvent.create({ data: { actorId: ctx.person.openId, action: 'role_revoke', role: 'admin', data, createdAt: now } });
  return 'revoked';
}

/** Lists every role's holders, or one role's when `roleWord` names it. */
async function listRoles(ctx: MessageContext, roleWord?: string): Promise<void> {
  const { services } = ctx;
  const only = roleWord === undefined ? undefined : parseRole(roleWord);
  if (roleWord !== undefined && !only) {
    await ctx.reply(`未知角色「${userText(roleWord)}」。可用角色：${roleList}`);
    return;
  }
  const grants = await services.db.roleGrant.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  const bootstrap = services.env.BOT_ADMINS;
  const names = await namesOf(services.db, [...grants.map((g) => g.userId), ...bootstrap]);
  const lines: string[] = [];
  for (const role of only ? [only] : ROLES) {
    const mine = grants.filter((g) => g.role === role);
    const entries = mine.map((g) => `- ${md(names.get(g.userId))}${g.town ? ` · ${md(g.town)}` : ''}`);
    if (role === 'admin') {
      for (const id of bootstrap) if (!mine.some((g) => g.userId === id)) entries.push(`- ${md(names.get(id))}（BOT_ADMINS）`);
    }
    lines.push(`**${ROLE_LABELS[role]}**（${entries.length} 人）`, ...(entries.length ? entries : ['- 暂无']));
  }
  await ctx.reply(fitCard((max) => card(header(only ? `角色列表 · ${ROLE_LABELS[only]}` : '角色列表', 'blue'), [
    markdown(truncateList(lines, max).join('\n')),
    markdown('授予：/role add <角色> @某人 [镇区]；移除：/role remove <角色> @某人', 'notation'),
  ])));
}
