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
import { formatLeadCode, parseLeadCode } from '../leads/lead.ts';

/** How long after /attach the next file sent by the same person is taken as the lead's report. */
export const ATTACH_WINDOW_MS = 10 * 60_000;

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
    name: 'attach',
    words: ['尽调报告', '分析报告'],
    summary: '为项目附上尽调 / 项目分析报告（随后发送文件）',
    usage: '/attach <项目编号>',
    roles: ['admin', 'secretary'],
    async run(ctx) {
      const input = ctx.args.join(' ').trim();
      const parts = input ? parseLeadCode(input) : undefined;
      const code = parts ? formatLeadCode(parts.year, parts.seq) : undefined;
      const lead = code ? await ctx.services.db.lead.findUnique({ where: { code } }) : null;
      if (!lead) {
        await ctx.reply(input ? `未找到项目「${userText(input)}」。` : '请在指令后写项目编号，例如：/attach KZ-2026-0001');
        return;
      }
      await ctx.services.db.auditEvent.create({
        data: { actorId: ctx.person.openId, action: 'report_expected', role: null, leadId: lead.id, data: {}, createdAt: ctx.services.clock() },
      });
      await ctx.reply(`请在 10 分钟内发送「${lead.projectName}」（${lead.code}）的尽调 / 项目分析报告文件，领导小组审议卡片会列出它。`);
    },
  });

  // A file from someone who just ran /attach is that lead's report; any other file goes on to the next listener.
  bot.file(async (ctx) => {
    const file = ctx.event.file;
    if (!file || !(ctx.person.roles.has('admin') || ctx.person.roles.has('secretary'))) return false;
    const now = ctx.services.clock();
    const { db } = ctx.services;
    const expected = await db.auditEvent.findFirst({
      where: { actorId: ctx.person.openId, action: { in: ['report_expected', 'report'] }, createdAt: { gte: new Date(now.getTime() - ATTACH_WINDOW_MS) } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    if (!expected || expected.action !== 'report_expected' || expected.leadId === null) return false;
    const lead = await db.lead.findUnique({ where: { id: expected.leadId } });
    if (!lead) return false;
    await db.$transaction(async (tx) => {
      await tx.leadReport.create({ data: { leadId: lead.id, fileKey: file.fileKey, fileName: file.fileName, uploadedBy: ctx.person.openId, createdAt: now } });
      await tx.auditEvent.create({ data: { actorId: ctx.person.openId, action: 'report', role: null, leadId: lead.id, comment: file.fileName, data: {}, createdAt: now } });
    }, TX_OPTIONS);
    await ctx.reply(`已将「${file.fileName}」作为「${lead.projectName}」（${lead.code}）的尽调 / 分析报告。`);
    return true;
  });

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
