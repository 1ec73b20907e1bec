// 载体库 in chat:
//   /carriers [镇区|关键词]   (载体) the carriers with occupancy, grouped by town in folded panels; a year's
//                            targets line on top
//   /carrier <名称> [面积 <㎡>] [已用 <㎡>] [入驻 <企业…>]   one carrier; with the keywords (admins) updates
//                            area, area used and tenants (audited). 入驻 +企业 adds, 入驻 无 clears.
//   an admin sends a 载体汇总表 file   imported at once (the bot's single file handler, src/features/quotas/commands.ts,
//                            recognises it by its header row: 科创载体名称 + 建设镇区)
import type { Bot, MessageContext } from '../../platform/bot/router.ts';
import type { Services } from '../../platform/bot/services.ts';
import type { CardJson } from '../../platform/lark/types.ts';
import type { TableRow } from '../../platform/imports/table.ts';
import { card, collapsible, fitCard, greyText, header, keyValues, markdown, noticeCard, type CardElement } from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import { assertValidCard } from '../../platform/cards/validate.ts';
import { resolveTown } from '../../office/config.ts';
import { localParts } from '../../platform/time.ts';
import { userText } from '../../platform/lark/text.ts';
import { formatNumber } from '../leads/format.ts';
import { yearInFileName } from '../activities/commands.ts';
import {
  BUILD_MODE_LABELS, carrierTargetsLine, freeArea, MAX_AREA_SQM, MAX_TENANTS, parseArea, splitList, type BuildMode, type CarrierProgress,
} from './carrier.ts';
import {
  findCarrierByName, importCarrierTable, listCarriers, loadCarrierProgress, updateCarrier, type Carrier, type CarrierImportResult, type CarrierUpdate,
} from './store.ts';

function thisYear(services: Services): number {
  return localParts(services.clock(), services.env.BOT_TIMEZONE).year;
}

// ---- text --------------------------------------------------------------------------------------------

/** 「面积 12,000㎡ · 已用 8,000㎡（66.7%）· 入驻 3 家」, leaving out what is not recorded. */
export function occupancyText(c: Carrier): string {
  const parts: string[] = [];
  if (c.areaSqm !== null) {
    parts.push(`面积 ${formatNumber(c.areaSqm)}㎡`);
    const used = c.usedSqm ?? 0;
    parts.push(`已用 ${formatNumber(used)}㎡${c.areaSqm > 0 ? `（${formatNumber(Math.round((used / c.areaSqm) * 1000) / 10)}%）` : ''}`);
  } else if (c.usedSqm !== null) parts.push(`已用 ${formatNumber(c.usedSqm)}㎡（面积未填）`);
  else parts.push('面积未填');
  parts.push(`入驻 ${c.tenants.length} 家`);
  return parts.join(' · ');
}

function kindText(c: Carrier): string {
  const mode = c.buildMode ? BUILD_MODE_LABELS[c.buildMode as BuildMode] : undefined;
  return [c.direction, mode].filter(Boolean).join(' · ');
}

// ---- cards -------------------------------------------------------------------------------------------

/** The 载体库: totals, the targets line, then one folded panel per town (phone first: no wide table). */
export function carriersCard(carriers: Carrier[], opts: { title?: string; progress?: CarrierProgress; filter?: string } = {}): CardJson {
  const towns = [...new Set(carriers.map((c) => c.town))];
  const area = carriers.reduce((n, c) => n + (c.areaSqm ?? 0), 0);
  const used = carriers.reduce((n, c) => n + (c.usedSqm ?? 0), 0);
  const tenants = carriers.reduce((n, c) => n + c.tenants.length, 0);
  const title = opts.title ?? `科创载体库${opts.filter ? ` · ${opts.filter}` : ''}（共 ${carriers.length} 个）`;
  return fitCard((max) => {
    const elements: CardElement[] = [
      markdown(`**${carriers.length}** 个载体 · ${towns.length} 个镇区 · 面积 ${formatNumber(area)}㎡ · 已用 ${formatNumber(used)}㎡ · 入驻 ${tenants} 家`),
    ];
    if (opts.progress) elements.push(markdown(carrierTargetsLine(opts.progress)));
    let budget = max;
    for (const town of towns) {
      const own = carriers.filter((c) => c.town === town);
      const shown = own.slice(0, Math.max(0, Math.min(own.length, budget)));
      budget -= shown.length;
      const lines = shown.map((c) => {
        const kind = kindText(c);
        return `**${md(c.name)}**${kind ? ` ${greyText(kind)}` : ''}\n${md(occupancyText(c))}`;
      });
      if (shown.length < own.length) lines.push(greyText(`另有 ${own.length - shown.length} 个…`));
      const townUsed = own.reduce((n, c) => n + (c.usedSqm ?? 0), 0);
      const townArea = own.reduce((n, c) => n + (c.areaSqm ?? 0), 0);
      elements.push(collapsible(
        `**${md(town)}**（${own.length} 个${townArea > 0 ? `，已用 ${formatNumber(townUsed)} / ${formatNumber(townArea)}㎡` : ''}）`,
        [markdown(lines.join('\n') || greyText('（略）'))],
        towns.length === 1,
      ));
    }
    elements.push(markdown(greyText('发送「载体信息 名称」查看一个载体；管理员可发送「/carrier 名称 面积 12000 已用 8000 入驻 甲公司、乙公司」更新。'), 'notation'));
    return card(header(title, 'blue'), elements, title);
  });
}

/** One carrier: town, kind, area, used, free, chains, tenants. */
export function carrierCard(c: Carrier, note?: string): CardJson {
  const free = freeArea(c);
  const rows: Array<[string, string]> = [
    ['建设镇区', c.town],
    ['建设方式', c.buildMode ? BUILD_MODE_LABELS[c.buildMode as BuildMode] : '未填'],
    ['建设方向', c.direction ?? '未填'],
    ['面积', c.areaSqm !== null ? `${formatNumber(c.areaSqm)}㎡` : '未填'],
    ['已用面积', c.usedSqm !== null ? `${formatNumber(c.usedSqm)}㎡` : '未填'],
  ];
  if (free !== undefined) rows.push(['空余面积', `${formatNumber(free)}㎡`]);
  rows.push(['服务产业链', c.chains.length ? c.chains.join('、') : '未填']);
  if (c.year !== null) rows.push(['汇总表年份', `${c.year} 年`]);
  const elements: CardElement[] = [
    keyValues(rows),
    markdown(`**入驻企业（${c.tenants.length} 家）**${c.tenants.length ? `\n${c.tenants.slice(0, 100).map((t) => `- ${md(t)}`).join('\n')}` : `\n${greyText('暂无')}`}`),
  ];
  if (note) elements.push(markdown(greyText(note), 'notation'));
  const c2 = card(header(c.name, 'blue', c.town), elements, c.name);
  assertValidCard(c2);
  return c2;
}

// ---- import ------------------------------------------------------------------------------------------

export type CarrierYearSource = 'file_name' | 'title' | 'current';
const YEAR_SOURCES: Record<CarrierYearSource, string> = { file_name: '取自文件名', title: '取自表格标题', current: '默认为今年' };

/** The year of a 载体汇总表: a year in the file name, else 「<year>年」 in its first rows, else this year. */
export function carrierImportYear(fileName: string, rows: TableRow[], now: Date, tz: string): { year: number; source: CarrierYearSource } {
  const fromName = yearInFileName(fileName);
  if (fromName !== undefined) return { year: fromName, source: 'file_name' };
  const title = /(?<!\d)(20\d{2})\s*年/.exec(rows.slice(0, 3).flatMap((r) => r.cells).join(' '));
  if (title) return { year: Number(title[1]), source: 'title' };
  return { year: localParts(now, tz).year, source: 'current' };
}

/** What an import did (chat and CLI). */
export function carrierImportLines(r: CarrierImportResult | { ok: false; errors: string[] }): string[] {
  if (!r.ok) return ['载体汇总表未导入，请修改后重新上传：', ...r.errors.map((e) => `- ${e}`)];
  const towns = new Set(r.carriers.map((c) => c.town)).size;
  const lines = [`已导入 ${r.year} 年载体汇总表：共 ${r.carriers.length} 个载体，${towns} 个镇区（新增 ${r.created} 个，更新 ${r.updated} 个）。`];
  if (r.warnings.length > 0) lines.push('注意：', ...r.warnings.map((w) => `- ${w}`));
  return lines;
}

export const CARRIER_ADMIN_ONLY = '只有管理员可以导入或更新载体。';

/** Imports a 载体汇总表 an admin sent (already downloaded and read by the bot's file handler). */
export async function importCarrierFile(ctx: MessageContext, file: { fileName: string; rows: TableRow[] }): Promise<void> {
  const { services, person } = ctx;
  const { year, source } = carrierImportYear(file.fileName, file.rows, services.clock(), services.env.BOT_TIMEZONE);
  const result = await importCarrierTable(services.db, services.office, { rows: file.rows, filename: file.fileName, year, actorId: person.openId, now: services.clock() });
  const lines = carrierImportLines(result);
  if (result.ok) lines.push(`年份：${year} 年（${YEAR_SOURCES[source]}）。发送「载体」查看载体库。`);
  await ctx.reply(noticeCard(result.ok ? '载体汇总表已导入' : '载体汇总表未导入', lines.map((l) => md(l)), result.ok ? 'green' : 'red'));
}

// ---- /carriers ---------------------------------------------------------------------------------------

async function runCarriers(ctx: MessageContext): Promise<void> {
  const { services } = ctx;
  const typed = ctx.args.join('').trim();
  const all = await listCarriers(services.db);
  if (all.length === 0) {
    await ctx.reply('尚未导入载体汇总表。管理员可以把载体汇总表（CSV 或 Excel，含“建设镇区”“科创载体名称”两列）发给我导入。');
    return;
  }
  let shown = all;
  if (typed) {
    const town = resolveTown(services.office, typed);
    const k = typed.normalize('NFKC');
    shown = town ? all.filter((c) => c.town === town) : all.filter((c) => c.name.normalize('NFKC').includes(k) || (c.direction ?? '').includes(k) || c.chains.includes(k));
    if (shown.length === 0) {
      await ctx.reply(`没有找到镇区或名称、方向、产业链含「${userText(Array.from(typed).slice(0, 30).join(''))}」的载体。发送「载体」查看全部。`);
      return;
    }
    if (shown.length === 1) {
      await ctx.reply(carrierCard(shown[0]));
      return;
    }
  }
  const progress = await loadCarrierProgress(services.db, services.office, thisYear(services));
  await ctx.reply(carriersCard(shown, { ...(progress && !typed ? { progress } : {}), ...(typed ? { filter: typed } : {}) }));
}

// ---- /carrier ----------------------------------------------------------------------------------------

const CARRIER_USAGE = [
  '用法：/carrier <载体名称> 查看一个载体；',
  '管理员更新：/carrier <载体名称> 面积 <㎡> 已用 <㎡> 入驻 <企业1、企业2…>',
  '（三项可只写其中几项；「入驻 +企业」为追加，「入驻 无」为清空）',
].join('\n');

type KeywordName = 'area' | 'used' | 'tenants';
const KEYWORDS: Record<string, KeywordName> = {
  面积: 'area', 总面积: 'area', 孵化面积: 'area', area: 'area',
  已用: 'used', 已用面积: 'used', 已使用: 'used', used: 'used',
  入驻: 'tenants', 入驻企业: 'tenants', tenants: 'tenants',
};

export type CarrierCommand =
  | { ok: true; name: string; area?: string; used?: string; tenants?: string[] }
  | { ok: false; error: string };

/** Splits `/carrier` arguments into the carrier's name and the keyword values. */
export function parseCarrierArgs(args: string[]): CarrierCommand {
  const out: { name: string[]; area?: string; used?: string; tenants?: string[] } = { name: [] };
  let current: KeywordName | 'name' = 'name';
  for (const raw of args) {
    // 「面积12000」 typed against its keyword.
    const glued = /^(面积|总面积|孵化面积|已用面积|已用|已使用|入驻企业|入驻)[:：]?(.+)$/.exec(raw);
    const word = glued ? glued[1] : raw.replace(/[:：]$/, '');
    const kw = KEYWORDS[word.toLowerCase()];
    if (kw) {
      if (kw === 'tenants' ? out.tenants !== undefined : out[kw] !== undefined) return { ok: false, error: `「${word}」写了两次。` };
      current = kw;
      if (kw === 'tenants') out.tenants = [];
      if (glued) {
        if (kw === 'tenants') out.tenants!.push(glued[2]);
        else out[kw] = glued[2];
      }
      continue;
    }
    if (current === 'name') out.name.push(raw);
    else if (current === 'tenants') out.tenants!.push(raw);
    else if (out[current] === undefined) out[current] = raw;
    else return { ok: false, error: `「${raw}」放在哪一项？面积和已用面积各写一个数字。` };
  }
  const name = out.name.join(' ').trim();
  if (!name) return { ok: false, error: '请写上载体名称。' };
  return { ok: true, name, ...(out.area !== undefined ? { area: out.area } : {}), ...(out.used !== undefined ? { used: out.used } : {}), ...(out.tenants !== undefined ? { tenants: out.tenants } : {}) };
}

/** The update a parsed command asks for, checked against the stored carrier; or the Chinese refusal. */
export function carrierUpdateOf(cmd: Extract<CarrierCommand, { ok: true }>, stored: Carrier): { update: CarrierUpdate } | { error: string } {
  const update: CarrierUpdate = {};
  for (const [k, label] of [['area', '面积'], ['used', '已用面积']] as const) {
    const text = cmd[k];
    if (text === undefined) continue;
    const n = parseArea(text);
    if (n === undefined) return { error: `${label}「${userText(text)}」不是数字，单位为㎡，如 12000 或 1.2万。` };
    if (n > MAX_AREA_SQM) return { error: `${label} ${formatNumber(n)}㎡ 过大，请确认单位是平方米。` };
    if (k === 'area') update.areaSqm = n;
    else update.usedSqm = n;
  }
  if (cmd.tenants !== undefined) {
    const words = cmd.tenants.flatMap((t) => splitList(t));
    if (words.length === 0) return { error: '「入驻」后请写上企业名称（多个用顿号分隔），或写「无」清空。' };
    if (words.length === 1 && /^(无|清空|none)$/i.test(words[0])) update.tenants = [];
    else {
      const append = words[0].startsWith('+') || words[0].startsWith('＋');
      const names = words.map((w) => w.replace(/^[+＋]/, '').trim()).filter((w) => w !== '');
      if (names.some((n) => Array.from(n).length > 100)) return { error: '企业名称不能超过 100 个字。' };
      const list = append ? [...stored.tenants, ...names] : names;
      update.tenants = [...new Set(list)];
      if (update.tenants.length > MAX_TENANTS) return { error: `入驻企业最多记录 ${MAX_TENANTS} 家。` };
    }
  }
  const area = update.areaSqm ?? stored.areaSqm;
  const used = update.usedSqm ?? stored.usedSqm;
  if (area !== null && used !== null && used > area) {
    return { error: `已用面积 ${formatNumber(used)}㎡ 不能大于面积 ${formatNumber(area)}㎡。` };
  }
  return { update };
}

async function runCarrier(ctx: MessageContext): Promise<void> {
  const { services, person } = ctx;
  if (ctx.args.length === 0) {
    await ctx.reply(CARRIER_USAGE);
    return;
  }
  const cmd = parseCarrierArgs(ctx.args);
  if (!cmd.ok) {
    await ctx.reply(`${cmd.error}\n${CARRIER_USAGE}`);
    return;
  }
  const { carrier, candidates } = await findCarrierByName(services.db, cmd.name);
  if (!carrier) {
    const name = userText(Array.from(cmd.name).slice(0, 40).join(''));
    await ctx.reply(candidates.length > 1
      ? `有 ${candidates.length} 个载体名称含「${name}」：${candidates.slice(0, 10).map((c) => c.name).join('、')}。请写全名称。`
      : `没有找到载体「${name}」。发送「载体」查看载体库。`);
    return;
  }
  const wantsUpdate = cmd.area !== undefined || cmd.used !== undefined || cmd.tenants !== undefined;
  if (!wantsUpdate) {
    await ctx.reply(carrierCard(carrier));
    return;
  }
  if (!person.roles.has('admin')) {
    await ctx.reply(CARRIER_ADMIN_ONLY);
    return;
  }
  const checked = carrierUpdateOf(cmd, carrier);
  if ('error' in checked) {
    await ctx.reply(`未更新「${carrier.name}」：${checked.error}`);
    return;
  }
  const now = services.clock();
  const updated = await services.db.$transaction((tx) => updateCarrier(tx, { id: carrier.id, update: checked.update, actorId: person.openId, now }));
  await ctx.reply(carrierCard(updated, '已更新（已记入操作记录）。'));
}

/** Registers /carriers (载体) and /carrier (载体信息). */
export function registerCarriers(bot: Bot): void {
  bot.command({
    name: 'carriers',
    words: ['载体', '载体库'],
    summary: '查看科创载体库：各镇区载体的面积、使用和入驻情况',
    usage: '/carriers [镇区|关键词]',
    run: runCarriers,
  });
  bot.command({
    name: 'carrier',
    words: ['载体信息', '更新载体'],
    summary: '查看一个载体；管理员可更新面积、已用面积和入驻企业',
    usage: '/carrier <名称> [面积 <㎡>] [已用 <㎡>] [入驻 <企业…>]',
    run: runCarrier,
  });
}
