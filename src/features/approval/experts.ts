// /experts (专家库): admins add, remove and list the experts who sit on 专家组评审 panels, with their fields
// (industry chains or lead kinds) and conflicts of interest (company names, towns). Adding an expert grants
// the expert role; removing him revokes it; both re-staff pending panel steps in the same transaction.
import type { Bot, MessageContext } from '../../platform/bot/router.ts';
import { card, fitCard, header, markdown, truncateList } from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import { TX_OPTIONS } from '../../platform/db/client.ts';
import { holdersOf, namesOf } from '../../platform/people.ts';
import { userText } from '../../platform/lark/text.ts';
import { resolveTown } from '../../office/config.ts';
import { expertProfiles, restaffRoleIn } from './service.ts';

const KEYS = {
  fields: ['领域', '专业领域', 'fields'],
  companies: ['回避单位', '回避企业', 'companies'],
  towns: ['回避镇区', 'towns'],
} as const;
type Key = keyof typeof KEYS;

export const EXPERTS_USAGE = [
  '用法：',
  '/experts　查看专家库',
  '/experts add @某人 领域 氢能、储能节能 回避单位 某某公司 回避镇区 白蒲镇　添加或修改专家（授予专家角色）',
  '/experts remove @某人　移出专家库（撤销专家角色）',
  '领域写产业链或项目类型（tech 科创、talent 人才、platform 平台、service 服务、fund 基金）；抽取专家组时优先抽取领域相符的专家，',
  '与项目单位或所在镇区有利益关系的专家自动回避。',
].join('\n');

/** Splits `领域 氢能、储能 回避镇区 白蒲镇` into its lists; words before the first key are returned as `stray`. */
export function parseExpertArgs(words: readonly string[]): { lists: Partial<Record<Key, string[]>>; stray: string[] } {
  const lists: Partial<Record<Key, string[]>> = {};
  const stray: string[] = [];
  let current: Key | undefined;
  for (const w of words) {
    const key = (Object.keys(KEYS) as Key[]).find((k) => (KEYS[k] as readonly string[]).includes(w.toLowerCase()));
    if (key) {
      current = key;
      lists[key] ??= [];
      continue;
    }
    const values = w.split(/[,，、;；]/).map((x) => x.trim()).filter(Boolean);
    if (current) lists[current]!.push(...values);
    else stray.push(w);
  }
  return { lists, stray };
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function registerExperts(bot: Bot): void {
  bot.command({
    name: 'experts',
    words: ['专家库'],
    summary: '管理专家库：专家的专业领域与回避关系（单位、镇区）',
    usage: '/experts [add|remove] @某人 [领域 …] [回避单位 …] [回避镇区 …]',
    roles: ['admin'],
    async run(ctx) {
      const keys = new Set(ctx.event.mentions.map((m) => m.key));
      const words = ctx.args.filter((a) => !keys.has(a));
      const sub = (words[0] ?? 'list').toLowerCase();
      if (['list', 'ls', '列表', '查看'].includes(sub)) return listExperts(ctx);
      if (['add', '添加', '设置', '修改'].includes(sub)) return addExperts(ctx, words.slice(1));
      if (['remove', 'rm', '移除', '删除'].includes(sub)) return removeExperts(ctx);
      await ctx.reply(EXPERTS_USAGE);
    },
  });
}

async function listExperts(ctx: MessageContext): Promise<void> {
  const { db } = ctx.services;
  const holders = await holdersOf(db, 'expert');
  const profiles = await expertProfiles(db);
  const ids = [...new Set([...holders, ...profiles.keys()])];
  if (ids.length === 0) {
    await ctx.reply(`专家库为空。\n${EXPERTS_USAGE}`);
    return;
  }
  const names = await namesOf(db, ids);
  const lines = ids.map((id) => {
    const p = profiles.get(id);
    const parts = [`**${md(names.get(id)!)}**`];
    parts.push(`领域：${p?.fields.length ? md(p.fields.join('、')) : '不限'}`);
    const avoid = [...(p?.companies ?? []), ...(p?.towns ?? [])];
    if (avoid.length > 0) parts.push(`回避：${md(avoid.join('、'))}`);
    if (!holders.includes(id)) parts.push('（已无专家角色，不参与抽取）');
    return parts.join(' · ');
  });
  const { size, rule, threshold } = ctx.services.office.panel;
  const ruleText = rule === 'mean' ? `均分 ≥ ${threshold} 分通过` : '过半数专家通过即通过';
  await ctx.reply(fitCard((max) => card(header(`专家库（${ids.length} 位）`, 'blue'), [
    markdown(`每个项目抽取 ${size} 位专家评审，${ruleText}。`),
    markdown(truncateList(lines, max).join('\n')),
  ])));
}

async function addExperts(ctx: MessageContext, words: string[]): Promise<void> {
  const { services } = ctx;
  const people = [...new Map(ctx.mentioned.map((m) => [m.openId, m])).values()];
  if (people.length === 0) {
    await ctx.reply(`请 @ 要加入专家库的人。\n${EXPERTS_USAGE}`);
    return;
  }
  const { lists, stray } = parseExpertArgs(words);
  if (stray.length > 0) {
    await ctx.reply(`无法识别「${userText(stray.join(' '))}」：请在内容前写「领域」「回避单位」或「回避镇区」。\n${EXPERTS_USAGE}`);
    return;
  }
  const towns: string[] = [];
  for (const t of lists.towns ?? []) {
    const town = resolveTown(services.office, t);
    if (!town) {
      await ctx.reply(`未知镇区「${userText(t)}」。可选镇区：${services.office.towns.map((x) => x.name).join('、')}`);
      return;
    }
    towns.push(town);
  }
  const by = ctx.person.openId;
  const now = services.clock();
  await services.db.$transaction(async (tx) => {
    for (const p of people) {
      const old = await tx.expert.findUnique({ where: { userId: p.openId } });
      const data = {
        fields: lists.fields ?? strings(old?.fields),
        companies: lists.companies ?? strings(old?.companies),
        towns: lists.towns ? towns : strings(old?.towns),
      };
      await tx.expert.upsert({ where: { userId: p.openId }, create: { userId: p.openId, ...data, addedBy: by, createdAt: now }, update: data });
      const had = await tx.roleGrant.findUnique({ where: { userId_role: { userId: p.openId, role: 'expert' } } });
      if (!had) await tx.roleGrant.create({ data: { userId: p.openId, role: 'expert', grantedBy: by, createdAt: now } });
      await tx.auditEvent.create({ data: { actorId: by, action: 'expert_set', role: 'admin', data: { userId: p.openId, ...data }, createdAt: now } });
    }
    await restaffRoleIn(tx, services, 'expert', by);
  }, TX_OPTIONS);
  services.kickOutbox();
  const names = await namesOf(services.db, people.map((p) => p.openId));
  const profiles = await expertProfiles(services.db);
  const lines = people.map((p) => {
    const x = profiles.get(p.openId)!;
    return `已将 ${names.get(p.openId)} 加入专家库（领域：${x.fields.join('、') || '不限'}；回避：${[...x.companies, ...x.towns].join('、') || '无'}）。`;
  });
  await ctx.reply(lines.join('\n'));
}

async function removeExperts(ctx: MessageContext): Promise<void> {
  const { services } = ctx;
  const people = [...new Map(ctx.mentioned.map((m) => [m.openId, m])).values()];
  if (people.length === 0) {
    await ctx.reply(`请 @ 要移出专家库的人。\n${EXPERTS_USAGE}`);
    return;
  }
  const by = ctx.person.openId;
  const now = services.clock();
  await services.db.$transaction(async (tx) => {
    for (const p of people) {
      await tx.expert.deleteMany({ where: { userId: p.openId } });
      const r = await tx.roleGrant.deleteMany({ where: { userId: p.openId, role: 'expert' } });
      await tx.auditEvent.create({ data: { actorId: by, action: 'expert_remove', role: 'admin', data: { userId: p.openId, revoked: r.count > 0 }, createdAt: now } });
    }
    await restaffRoleIn(tx, services, 'expert', by);
  }, TX_OPTIONS);
  services.kickOutbox();
  const names = await namesOf(services.db, people.map((p) => p.openId));
  await ctx.reply(people.map((p) => `已将 ${names.get(p.openId)} 移出专家库。`).join('\n'));
}
