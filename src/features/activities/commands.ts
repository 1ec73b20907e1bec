// 活动安排表: /activities [year] (活动) lists the year's 科技招商 activities with what comes up in the next 30
// days; admins import the table from the command line (npm run activity:import -- <file> --year <y>) or by
// sending the file to the bot (importActivityFile, called by the bot's file handler when the file's header
// row is an 活动安排表's).
import { toast, valueId, type ActionContext, type Bot, type MessageContext } from '../../platform/bot/router.ts';
import type { CardReply } from '../../platform/lark/types.ts';
import { z } from 'zod';
import { costPerLead } from './record.ts';
import { formatNumber } from '../leads/format.ts';
import { onPick, onRecord, runRecord, ACTIVITY_PICK, ACTIVITY_RECORD, RECORD_WORDS } from './recording.ts';
import type { Services } from '../../platform/bot/services.ts';
import type { CardJson } from '../../platform/lark/types.ts';
import { activitiesOf, importActivityTable, leadsPerActivity, type ActivityImportResult, type ActivityLeadCounts, type ActivityRow } from './store.ts';

export { leadsPerActivity, type ActivityLeadCounts };
import { card, form, greyText, header, markdown, noticeCard, select, submitButton, table, type CardElement } from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import { assertValidCard } from '../../platform/cards/validate.ts';
import { upcomingActivities, yearOfActivityTimes } from './activity.ts';
import type { TableRow } from '../../platform/imports/table.ts';
import { localParts } from '../../platform/time.ts';
import { activityDayText } from './reminders.ts';

/** How far ahead the listing looks for 近期活动. */
const UPCOMING_DAYS = 30;

function thisYear(services: Services): number {
  return localParts(services.clock(), services.env.BOT_TIMEZONE).year;
}

function whenText(a: ActivityRow): string {
  if (a.date) return `${activityDayText(a.date)}`;
  return a.timeText;
}

/** 「3月15日 · 120人」, 「未举办」, or 「—」 when nothing is recorded. */
function heldText(a: ActivityRow): string {
  if (a.held === null) return '—';
  if (!a.held) return '未举办';
  const parts = [a.heldOn ? `${a.heldOn.getUTCMonth() + 1}月${a.heldOn.getUTCDate()}日` : '已举办'];
  if (a.attendance !== null) parts.push(`${formatNumber(a.attendance)}人`);
  return parts.join(' · ');
}

/** 「5万元（预算8）· 每项目1.67」; empty without cost and budget. */
function costText(a: ActivityRow, leads: number): string {
  const parts: string[] = [];
  if (a.costWan !== null) parts.push(`${formatNumber(a.costWan)}万元${a.budgetWan !== null ? `（预算${formatNumber(a.budgetWan)}）` : ''}`);
  else if (a.budgetWan !== null) parts.push(`预算${formatNumber(a.budgetWan)}万元`);
  const per = costPerLead(a.costWan, leads);
  if (per !== undefined) parts.push(`每项目${formatNumber(per)}`);
  return parts.join(' · ');
}

/**
 * 活动成效: per activity with a record, leads or a budget: held (day, attendance), leads / approved / signed,
 * cost (against the budget) and cost per lead; then the year's totals.
 */
function resultsElements(rows: ActivityRow[], counts: ActivityLeadCounts): CardElement[] {
  const shown = rows.filter((a) => a.held !== null || counts.has(a.id) || a.budgetWan !== null || a.costWan !== null);
  if (shown.length === 0) return [];
  const held = rows.filter((a) => a.held === true).length;
  const notHeld = rows.filter((a) => a.held === false).length;
  const cost = rows.reduce((n, a) => n + (a.costWan ?? 0), 0);
  const budget = rows.reduce((n, a) => n + (a.budgetWan ?? 0), 0);
  const leads = [...counts.values()].reduce((n, c) => n + c.leads, 0);
  const per = costPerLead(cost > 0 ? cost : null, leads);
  const summary = [
    `已举办 **${held}** 项${notHeld ? `，未举办 ${notHeld} 项` : ''}，未登记 ${rows.length - held - notHeld} 项`,
    `费用合计 **${formatNumber(Math.round(cost * 100) / 100)}** 万元${budget > 0 ? `（预算 ${formatNumber(Math.round(budget * 100) / 100)} 万元，已用 ${Math.round((cost / budget) * 1000) / 10}%）` : ''}`,
    ...(per !== undefined ? [`每个来源项目 ${formatNumber(per)} 万元`] : []),
  ];
  return [
    markdown(`**活动成效**\n${summary.join('；')}\n${greyText('「项目」列：来源项目/通过/签约；费用单位：万元。')}`),
    table(
      [
        { name: 'name', label: '活动', width: 'auto' },
        { name: 'held', label: '举办', width: 'auto' },
        { name: 'leads', label: '项目', width: 'auto' },
        { name: 'cost', label: '费用', width: 'auto' },
      ],
      shown.map((a) => {
        const c = counts.get(a.id) ?? { leads: 0, approved: 0, signed: 0 };
        return { name: `${a.seq}. ${a.name}`, held: heldText(a), leads: `${c.leads}/${c.approved}/${c.signed}`, cost: costText(a, c.leads) };
      }),
      10,
    ),
  ];
}

/** The admin's picker under the listing: choose an activity, open its record form. */
function recordPicker(rows: ActivityRow[]): CardElement {
  return form('activity_pick', [
    select({ name: 'activity_id', label: '登记活动情况（管理员）', options: rows.map((a) => ({ value: String(a.id), label: `${a.seq}. ${a.name}` })), required: true }),
  ], submitButton('登记举办情况', { action: ACTIVITY_PICK }, 'primary'));
}

export function activitiesCard(year: number, rows: ActivityRow[], now: Date, tz: string, counts: ActivityLeadCounts = new Map(), opts: { admin?: boolean } = {}): CardJson {
  const title = `${year}年科技招商活动安排（共 ${rows.length} 项）`;
  const elements: CardElement[] = [];
  const soon = upcomingActivities(rows, now, UPCOMING_DAYS, tz);
  if (soon.length > 0) {
    const lines = soon.map(({ activity: a, daysAway, monthOnly }) => {
      const when = monthOnly ? `${a.month}月` : daysAway === 0 ? '今天' : `${daysAway} 天后，${activityDayText(a.date!)}`;
      return `- **${md(a.name)}**（${md(when)}）`;
    });
    elements.push(markdown(`**近期活动**\n${lines.join('\n')}`));
  }
  elements.push(table(
    [
      // Four columns of width auto: read on a phone (≈ 360 px), fixed widths would scroll sideways.
      { name: 'name', label: '活动', width: 'auto' },
      { name: 'time', label: '时间', width: 'auto' },
      { name: 'organizer', label: '主办', width: 'auto' },
      { name: 'leads', label: '项目(通过)', width: 'auto' },
    ],
    rows.map((a) => {
      const c = counts.get(a.id);
      return { name: `${a.seq}. ${a.name}`, time: whenText(a), organizer: a.organizer ?? '', leads: c ? `${c.leads}（${c.approved}）` : '0' };
    }),
    10,
  ));
  const total = [...counts.values()].reduce((n, c) => n + c.leads, 0);
  if (total > 0) elements.push(markdown(`本年度共有 ${total} 个项目在登记时注明了来源活动。`, 'notation'));
  elements.push(...resultsElements(rows, counts));
  elements.push(markdown(greyText('有具体日期的活动，订阅了提醒的群会在活动前 7 天和前 1 天收到提醒。'), 'notation'));
  if (opts.admin) elements.push(recordPicker(rows));
  const c = card(header(title, 'blue'), elements, title);
  assertValidCard(c);
  return c;
}

async function runActivities(ctx: MessageContext): Promise<void> {
  const { services } = ctx;
  if (ctx.args.length > 0 && RECORD_WORDS.has(ctx.args[0].toLowerCase())) return runRecord(ctx, ctx.args.slice(1));
  const typed = ctx.args.join('').normalize('NFKC').replace(/年$/, '').trim();
  let year = thisYear(services);
  if (typed) {
    if (!/^\d{4}$/.test(typed) || Number(typed) < 2000 || Number(typed) > 2100) {
      await ctx.reply('请写上年份，如：活动 2023');
      return;
    }
    year = Number(typed);
  }
  const rows = await activitiesOf(services.db, year);
  if (rows.length === 0) {
    await ctx.reply(`尚未导入 ${year} 年的活动安排表。管理员可以把活动安排表（CSV 或 Excel，含“活动名称”“时间”两列）发给我导入。`);
    return;
  }
  const counts = await leadsPerActivity(services.db, rows.map((a) => a.id));
  await ctx.reply(activitiesCard(year, rows, services.clock(), services.env.BOT_TIMEZONE, counts, { admin: ctx.person.roles.has('admin') }));
}

/** Lines that tell the importer what happened (used by the chat import and the CLI). */
export function importSummaryLines(r: ActivityImportResult): string[] {
  if (!r.ok) return ['活动安排表未导入，请修改后重新上传：', ...r.errors.map((e) => `- ${e}`)];
  const dated = r.activities.filter((a) => a.date).length;
  const monthOnly = r.activities.filter((a) => !a.date && a.month).length;
  const allYear = r.activities.filter((a) => a.allYear).length;
  const lines = [
    `已导入 ${r.year} 年活动安排表：共 ${r.activities.length} 项（新增 ${r.created} 项，更新 ${r.updated} 项${r.removed ? `，删除 ${r.removed} 项` : ''}）。`,
    `其中有具体日期 ${dated} 项，仅有月份 ${monthOnly} 项，全年 ${allYear} 项。有具体日期的活动会在前 7 天和前 1 天提醒订阅的群。`,
  ];
  if (r.warnings.length > 0) lines.push('注意：', ...r.warnings.map((w) => `- ${w}`));
  return lines;
}

/** Whether a file's name suggests an 活动安排表 (a tie-breaker only: the header row decides). */
export function looksLikeActivityFile(fileName: string): boolean {
  return /活动/.test(fileName);
}

/** The year a file name states ("2023年科技招商活动安排表.xlsx"), or undefined. */
export function yearInFileName(fileName: string): number | undefined {
  const m = /(20\d{2})/.exec(fileName.normalize('NFKC'));
  return m ? Number(m[1]) : undefined;
}

export const ACTIVITY_ADMIN_ONLY = '只有管理员可以导入活动安排表。';

type ActivityYearSource = 'file_name' | 'dates' | 'current';

const ACTIVITY_YEAR_SOURCES: Record<ActivityYearSource, string> = {
  file_name: '取自文件名',
  dates: '取自表中时间',
  current: '默认为今年',
};

/** How to import the table for another year, when some 时间 is not in the year the import used. */
function yearHint(year: number, source: ActivityYearSource, errors: string[]): string {
  const other = errors.map((e) => /时间“(\d{4})/.exec(e)?.[1]).find((y) => y !== undefined && Number(y) !== year);
  const example = `如「${other ?? year + 1}年活动安排表.xlsx」`;
  if (source === 'file_name') {
    return `导入年份 ${year} 年取自文件名，而表中时间写的是其他年份。请把文件名中的年份改为活动所在的年份（${example}），或修改表中时间，然后重新发送。`;
  }
  return `文件名中没有年份，表中时间写明的年份也不一致，已按今年（${year} 年）核对。一张活动安排表只能导入一个年份：请在文件名中写明年份（${example}），并让表中时间都在该年内，然后重新发送。`;
}

/**
 * Imports an 活动安排表 an admin sent to the bot, already checked, downloaded and read by the bot's single file
 * handler (./quota.ts). The year: a year in the file name, else the one year the table's 时间 cells state (when
 * they all agree), else the current year.
 */
export async function importActivityFile(ctx: MessageContext, file: { fileName: string; rows: TableRow[] }): Promise<void> {
  const { services, person } = ctx;
  const { rows } = file;
  const fromName = yearInFileName(file.fileName);
  const fromDates = yearOfActivityTimes(rows);
  const { year, source }: { year: number; source: ActivityYearSource } =
    fromName !== undefined ? { year: fromName, source: 'file_name' } : fromDates !== undefined ? { year: fromDates, source: 'dates' } : { year: thisYear(services), source: 'current' };
  const result = await importActivityTable(services.db, { rows, filename: file.fileName, year, actorId: person.openId, now: services.clock() });
  const lines = importSummaryLines(result);
  if (result.ok) lines.push(`导入年份：${year} 年（${ACTIVITY_YEAR_SOURCES[source]}）`);
  else if (result.errors.some((e) => /不在\d{4}年/.test(e))) lines.push(yearHint(year, source, result.errors));
  await ctx.reply(activityImportCard(result.ok, lines));
}

/** The result card of an import by chat. */
export function activityImportCard(ok: boolean, lines: string[]): CardJson {
  return noticeCard(ok ? '活动安排表已导入' : '活动安排表未导入', lines.map((l) => md(l)), ok ? 'green' : 'red');
}

/** Registers /activities (活动), /activity record (活动登记) and the record form's actions. */
export function registerActivities(bot: Bot): void {
  bot.command({
    name: 'activities',
    words: ['活动', '活动安排'],
    summary: '查看年度科技招商活动安排、近期活动和活动成效（项目、通过、签约、费用）',
    usage: '/activities [年份]',
    run: runActivities,
  });
  bot.command({
    name: 'activity',
    words: ['活动登记', '登记活动'],
    summary: '登记活动举办情况：是否举办、日期、参加人数、费用、备注',
    usage: '/activity record <序号|名称> [年份]',
    howTo: '发送「活动登记 3」打开今年第 3 项活动的登记表，填写是否举办、举办日期、参加人数、费用（万元）和备注；也可在「活动」列表下方选择活动登记。',
    roles: ['admin'],
    run: (ctx) => runRecord(ctx, ctx.args[0] && RECORD_WORDS.has(ctx.args[0].toLowerCase()) ? ctx.args.slice(1) : ctx.args),
  });
  bot.action(ACTIVITY_PICK, z.object({}).passthrough(), onPick);
  bot.action(ACTIVITY_RECORD, z.object({ activityId: valueId }), onRecord);
}
