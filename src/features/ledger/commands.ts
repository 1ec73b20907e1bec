// 项目台账 and 信息提供人统计 in chat:
//   /leads export [年份] [镇区]   (项目台账) the year's leads as an XLSX file, as the viewer may see them
//   /referrals [年份]            (信息提供人 / 推荐统计) per referrer: leads registered, approved, signed
import { resolveTown } from '../../office/config.ts';
import type { Bot, MessageContext } from '../../platform/bot/router.ts';
import type { Services } from '../../platform/bot/services.ts';
import { card, fitCard, greyText, header, markdown, table, type CardElement } from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import { userText } from '../../platform/lark/text.ts';
import type { CardJson } from '../../platform/lark/types.ts';
import { localParts } from '../../platform/time.ts';
import { seesAll, type Viewer } from '../leads/store.ts';
import { suggestTown } from '../quotas/quota.ts';
import { ledgerBuffer, ledgerFileName } from './ledger.ts';
import { referralTable, referrerText, type ReferralTable } from './referrals.ts';

/** Lark refuses files above 30 MB. */
const MAX_UPLOAD_BYTES = 30 * 1024 * 1024;
const EXPORT_WORDS = new Set(['export', '导出']);
const LEDGER_USAGE = '用法：/leads export [年份] [镇区]，例如「项目台账 2023 丁堰镇」；不写年份为今年，不写镇区为您可查看的全部镇区。';

function thisYear(services: Services): number {
  return localParts(services.clock(), services.env.BOT_TIMEZONE).year;
}

function readYear(text: string): number | undefined {
  const m = /^(\d{4})年?$/.exec(text.normalize('NFKC').trim());
  const y = m ? Number(m[1]) : NaN;
  return y >= 2000 && y <= 2100 ? y : undefined;
}

/** Reads `[export] [年份] [镇区]` in any order; an error is the Chinese reply. */
export function ledgerArgs(services: Services, args: string[]): { year: number; town?: string } | { error: string } {
  let year: number | undefined;
  let town: string | undefined;
  for (const arg of args) {
    if (EXPORT_WORDS.has(arg.toLowerCase())) continue;
    const y = readYear(arg);
    if (y !== undefined && year === undefined) {
      year = y;
      continue;
    }
    // 「丁堰」 for 丁堰镇: the name without 镇 as people say it.
    const t = resolveTown(services.office, arg) ?? resolveTown(services.office, `${arg}镇`);
    if (t && town === undefined) {
      town = t;
      continue;
    }
    const hint = suggestTown(services.office, arg);
    return { error: `无法识别「${userText(Array.from(arg).slice(0, 20).join(''))}」${hint ? `，是否为「${hint}」？` : '。'}\n${LEDGER_USAGE}` };
  }
  return { year: year ?? thisYear(services), town };
}

async function runLedger(ctx: MessageContext): Promise<void> {
  const { services, person } = ctx;
  if (ctx.event.chatType === 'group') {
    await ctx.reply('项目台账含联系人和联系电话，请在与我的单聊中发送「项目台账」导出。');
    return;
  }
  const parsed = ledgerArgs(services, ctx.args);
  if ('error' in parsed) {
    await ctx.reply(parsed.error);
    return;
  }
  const { year, town } = parsed;
  const viewer: Viewer = person;
  if (town && !seesAll(viewer) && viewer.town !== town) {
    await ctx.reply(`您只能导出${viewer.town ? `${viewer.town}及` : ''}您本人登记的项目台账，不能导出${town}的台账。`);
    return;
  }
  const tz = services.env.BOT_TIMEZONE;
  const { data, leads } = await ledgerBuffer(services.db, { year, town, viewer, tz, officeName: services.office.name, now: services.clock() });
  if (leads === 0) {
    await ctx.reply(`${year} 年${town ?? ''}没有${seesAll(viewer) ? '' : '您可查看的'}登记项目，未生成台账。`);
    return;
  }
  if (data.length > MAX_UPLOAD_BYTES) {
    await ctx.reply(`台账文件过大（${Math.ceil(data.length / 1024 / 1024)} MB，飞书限 30 MB）。请按镇区分别导出，如「项目台账 ${year} ${services.office.towns[0]?.name ?? '某镇'}」，或由管理员在服务器上运行 npm run leads:export。`);
    return;
  }
  let fileKey: string;
  try {
    fileKey = await services.lark.uploadFile(ledgerFileName(services.office.name, year, town), data);
  } catch (err) {
    services.log.error({ err }, 'ledger export: upload failed');
    await ctx.reply('导出文件上传失败，请稍后重试。');
    return;
  }
  await ctx.reply({ fileKey });
}

/** At most this many referrers are listed on the card; the rest are counted. */
const REFERRAL_ROWS = 50;

export function referralCard(year: number, t: ReferralTable, scope: string): CardJson {
  const title = `${year}年信息提供人统计`;
  return fitCard((max) => {
    const shown = t.rows.slice(0, Math.min(REFERRAL_ROWS, max));
    const elements: CardElement[] = [];
    const totals = t.rows.reduce((a, r) => ({ approved: a.approved + r.approved, signed: a.signed + r.signed }), { approved: 0, signed: 0 });
    elements.push(markdown(
      `**${t.rows.length} 位信息提供人**，提供项目 **${t.withReferrer}** 个（通过 ${totals.approved}，签约 ${totals.signed}）；未填信息提供人的项目 ${t.withoutReferrer} 个。`,
    ));
    if (shown.length > 0) {
      elements.push(table(
        [
          { name: 'who', label: '信息提供人', width: 'auto' },
          { name: 'leads', label: '登记', type: 'number', width: 'auto' },
          { name: 'approved', label: '通过', type: 'number', width: 'auto' },
          { name: 'signed', label: '签约', type: 'number', width: 'auto' },
        ],
        shown.map((r) => ({ who: referrerText(r), leads: r.leads, approved: r.approved, signed: r.signed })),
        10,
      ));
    }
    if (t.rows.length > shown.length) elements.push(markdown(`另有 ${t.rows.length - shown.length} 位信息提供人未列出（完整名单见「项目台账」导出）。`, 'notation'));
    elements.push(markdown(greyText(`按签约、通过、登记数排序。签约指已登记签约及以后阶段。${scope}`), 'notation'));
    return card(header(title, 'turquoise'), elements, `${title}：${t.rows.length} 位，提供项目 ${t.withReferrer} 个`);
  });
}

async function runReferrals(ctx: MessageContext): Promise<void> {
  const { services, person } = ctx;
  const typed = ctx.args.join('').trim();
  const year = typed ? readYear(typed) : thisYear(services);
  if (year === undefined) {
    await ctx.reply('用法：/referrals [年份]，例如「信息提供人 2023」');
    return;
  }
  const t = await referralTable(services.db, { year, tz: services.env.BOT_TIMEZONE, viewer: person });
  if (t.withReferrer === 0) {
    await ctx.reply(`${year} 年${seesAll(person) ? '' : '您可查看的'}项目中没有填写信息提供人的。登记项目时可在「信息提供人」一栏填写提供项目信息的个人或单位。`);
    return;
  }
  const scope = seesAll(person) ? '' : `统计范围：${person.town ? `${md(person.town)}及` : ''}您登记的项目。`;
  await ctx.reply(referralCard(year, t, scope));
}

/** Registers /leads (项目台账) and /referrals (信息提供人). */
export function registerLedger(bot: Bot): void {
  bot.command({
    name: 'leads',
    words: ['项目台账', '台账'],
    summary: '导出项目台账（Excel）：全部字段、审批日期、进度、评分、一月一报反馈',
    usage: '/leads export [年份] [镇区]',
    howTo: '发送「项目台账 2023」导出 2023 年的项目台账，或「项目台账 2023 丁堰镇」只导出一个镇区；招商人员只能导出本镇区的项目。',
    run: runLedger,
  });
  bot.command({
    name: 'referrals',
    words: ['信息提供人', '推荐统计'],
    summary: '按信息提供人统计提供的项目数、通过数和签约数',
    usage: '/referrals [年份]',
    run: runReferrals,
  });
}
