// 活动安排表: /activities [year] (活动) lists the year's 科技招商 activities with what comes up in the next 30
// days; admins import the table from the command line (npm run activity:import -- <file> --year <y>) or by
// sending the file to the bot (importActivityFile, called by the bot's file handler when the file's header
// row is an 活动安排表's).
import type { Bot, MessageContext } from '../../platform/bot/router.ts';
import type { Services } from '../../platform/bot/services.ts';
import type { CardJson } from '../../platform/lark/types.ts';
import { activitiesOf, importActivityTable, type ActivityImportResult, type ActivityRow } from './store.ts';
import { card, greyText, header, markdown, noticeCard, table, type CardElement } from '../../platform/cards/kit.ts';
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

/** Leads that name an activity as their source (登记 form, 来源活动): all of them and the approved ones. */
export type ActivityLeadCounts = ReadonlyMap<number, { leads: number; approved: number }>;

export async function leadsPerActivity(db: Services['db'], activityIds: number[]): Promise<ActivityLeadCounts> {
  const rows = await db.lead.groupBy({ by: ['activityId', 'status'], where: { activityId: { in: activityIds } }, _count: { _all: true } });
  const counts = new Map<number, { leads: number; approved: number }>();
  for (const r of rows) {
    if (r.activityId === null) continue;
    const c = counts.get(r.activityId) ?? { leads: 0, approved: 0 };
    c.leads += r._count._all;
    if (r.status === 'approved') c.approved += r._count._all;
    counts.set(r.activityId, c);
  }
  return counts;
}

export function activitiesCard(year: number, rows: ActivityRow[], now: Date, tz: string, counts: ActivityLeadCounts = new Map()): CardJson {
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
      { name: 'seq', label: '序号', type: 'number', width: '80px' }, // column width: auto, [80,600]px or a percentage
      { name: 'name', label: '活动名称', width: 'auto' },
      { name: 'time', label: '时间', width: '100px' },
      { name: 'organizer', label: '主办单位', width: 'auto' },
      { name: 'leads', label: '来源项目（通过）', width: '90px' },
    ],
    rows.map((a) => {
      const c = counts.get(a.id);
      return { seq: a.seq, name: a.name, time: whenText(a), organizer: a.organizer ?? '', leads: c ? `${c.leads}（${c.approved}）` : '0' };
    }),
    10,
  ));
  const total = [...counts.values()].reduce((n, c) => n + c.leads, 0);
  if (total > 0) elements.push(markdown(`本年度共有 ${total} 个项目在登记时注明了来源活动。`, 'notation'));
  elements.push(markdown(greyText('有具体日期的活动，订阅了提醒的群会在活动前 7 天和前 1 天收到提醒。'), 'notation'));
  const c = card(header(title, 'blue'), elements, title);
  assertValidCard(c);
  return c;
}

async function runActivities(ctx: MessageContext): Promise<void> {
  const { services } = ctx;
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
  await ctx.reply(activitiesCard(year, rows, services.clock(), services.env.BOT_TIMEZONE, counts));
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

/** Registers /activities (活动). */
export function registerActivities(bot: Bot): void {
  bot.command({
    name: 'activities',
    words: ['活动', '活动安排'],
    summary: '查看年度科技招商活动安排和近期活动',
    usage: '/activities [年份]',
    run: runActivities,
  });
}
