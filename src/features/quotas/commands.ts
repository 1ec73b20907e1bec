// 任务分解表 and 任务进度 in chat:
//   /quota [year]                          (任务进度) progress card: done/target, pace, rank, city total, chart
//   /quota export [year]                   the same as an XLSX file
//   /quota set <town> <metric> <n> [year]  (admin) correct one target
//   /quota import [year]                   (admin) the year for the next table file this admin sends
//   an admin sends a .xlsx/.csv file       preview card with 确认导入 / 取消; confirming replaces the year
// This feature owns the bot's single file handler. The header row of a table decides what it is: 科创载体名称
// and 建设镇区 columns make a 载体汇总表 (passed to importCarrierFile, src/features/carriers), 活动名称 and
// 时间 columns an 活动安排表 (passed to importActivityFile, src/features/activities), a 镇区 column with metric
// columns a 任务分解表; a file name containing 活动 only breaks a tie between the last two.
// The year of an uploaded table: `/quota import <year>` sent within 30 minutes before, else a year in the
// file name, else 「<year>年」 in its title rows, else the current year (see src/features/quotas/import.ts).
import type { CardReply } from '../../platform/lark/types.ts';
import { resolveTown } from '../../office/config.ts';
import { ROLES } from '../../platform/people.ts';
import {
  clearYearIntent, dropQuotaDraft, findQuotaDraft, loadQuotaProgress, quotaTownCount, replaceQuotaYear, statedCityTargets,
  saveQuotaDraft, saveYearIntent, setQuota, takeQuotaDraft, yearIntent, type QuotaDraft,
} from './store.ts';
import { noticeCard } from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import { findActivityHeader } from '../activities/activity.ts';
import { hasQuotaHeader, isQuotaMetric, MAX_TARGET, METRIC_LABELS, QUOTA_METRICS, suggestTown, type QuotaMetric } from './quota.ts';
import { isBlankRow, type TableRow } from '../../platform/imports/table.ts';
import { readTableIsolated } from '../../platform/imports/read.ts';
import { localParts } from '../../platform/time.ts';
import { exportFileName, quotaWorkbook } from './export.ts';
import { chooseYear, isTableFileName, parseYear, quotaFileOf, type YearSource } from './import.ts';
import {
  IMPORT_CANCEL, IMPORT_CONFIRM, quotaCancelledCard, quotaErrorsCard, quotaImportedCard, quotaPreviewCard, quotaProgressCard,
} from './cards.ts';
import { toast, valueId, type ActionContext, type Bot, type MessageContext } from '../../platform/bot/router.ts';
import { z } from 'zod';
import type { Services } from '../../platform/bot/services.ts';
import { ACTIVITY_ADMIN_ONLY, activityImportCard, importActivityFile, importSummaryLines, looksLikeActivityFile } from '../activities/commands.ts';
import { userText } from '../../platform/lark/text.ts';
import { findCarrierHeader } from '../carriers/carrier.ts';
import { loadCarrierProgress } from '../carriers/store.ts';
import { CARRIER_ADMIN_ONLY, importCarrierFile } from '../carriers/commands.ts';
import { AppError, cardFailure, ERRORS } from '../../platform/errors.ts';

/** How long `/quota import <year>` applies to the next file. */
export const YEAR_CHOICE_MS = 30 * 60 * 1000;
/** A quota table is a few KB; anything far bigger is not one. */
const MAX_FILE_BYTES = 5 * 1024 * 1024;

// Previews nobody confirmed are dropped by the housekeeping job (KEEP.drafts, see the catalogue entry).
const GONE = ERRORS.QUOTA_IMPORT_GONE.msg;
const ADMIN_ONLY = '导入或修改任务分解表需要管理员权限。如需调整任务目标，请联系管理员。';
const TABLE_KINDS = [
  '- 任务分解表：需要“镇区”列，以及“总数”“发明专利实审数”“实用新型专利授权数”“平台类项目”“基金类项目”等指标列；',
  '- 活动安排表：需要“活动名称”和“时间”两列（可另有“序号”“主办单位”）；',
  '- 载体汇总表：需要“建设镇区”和“科创载体名称”两列（可另有“建设方式”“建设方向”“面积”“已用面积”“入驻企业”“服务产业链”）。',
];
const UNSUPPORTED_FILE = [
  '暂只能处理任务分解表、活动安排表或载体汇总表文件（.xlsx 或 .csv），管理员发送即可导入：',
  ...TABLE_KINDS,
  '查看任务进度请发送「任务进度」，查看活动安排请发送「活动」。',
].join('\n');
const USAGE = [
  '用法：',
  '/quota [年份]：查看任务进度（也可发送「任务进度」）',
  '/quota export [年份]：导出任务进度表格（Excel）',
  '/quota set <镇区> <指标> <数量> [年份]：修改一项任务目标（管理员）',
  '/quota import [年份]：指定接下来发送的任务分解表所属年份（管理员）',
  `指标：${QUOTA_METRICS.map((m) => METRIC_LABELS[m]).join('、')}（也可用 ${QUOTA_METRICS.join('、')}）`,
  '导入任务分解表、活动安排表或载体汇总表：管理员直接向我发送 .xlsx 或 .csv 文件，按表头识别。',
].join('\n');


function currentYear(services: Services): number {
  return localParts(services.clock(), services.env.BOT_TIMEZONE).year;
}


/** A metric from its code, its label, a short label (发明专利, 平台类) or the start of its label (2+ characters). */
export function parseMetric(input: string): QuotaMetric | undefined {
  const s = input.trim().normalize('NFKC');
  if (isQuotaMetric(s.toLowerCase())) return s.toLowerCase() as QuotaMetric;
  const exact = QUOTA_METRICS.find((m) => METRIC_LABELS[m] === s);
  if (exact) return exact;
  if ([...s].length < 2) return undefined;
  const prefixed = QUOTA_METRICS.filter((m) => METRIC_LABELS[m].startsWith(s.replace(/类$/, '')));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

// ---- /quota ------------------------------------------------------------------------------------------

async function runQuota(ctx: MessageContext): Promise<void> {
  const [sub, ...rest] = ctx.args;
  if (sub === undefined) return showProgress(ctx, currentYear(ctx.services));
  const year = parseYear(sub);
  if (year !== undefined && rest.length === 0) return showProgress(ctx, year);
  switch (sub.toLowerCase()) {
    case 'export':
    case '导出':
      return runExport(ctx, rest);
    case 'set':
    case '设置':
    case '修改':
      return runSet(ctx, rest);
    case 'import':
    case '导入':
      return runImportYear(ctx, rest);
    default:
      await ctx.reply(USAGE);
  }
}

/** The year argument of a sub-command: absent → this year; anything else must be a year. */
function yearArg(ctx: MessageContext, args: string[]): number | undefined | 'bad' {
  if (args.length === 0) return currentYear(ctx.services);
  if (args.length > 1) return 'bad';
  return parseYear(args[0]) ?? 'bad';
}

async function noQuotaReply(ctx: MessageContext, year: number): Promise<void> {
  await ctx.reply(`${year} 年还没有导入任务分解表。管理员可直接向我发送任务分解表文件（.xlsx 或 .csv）导入。`);
}

async function showProgress(ctx: MessageContext, year: number): Promise<void> {
  const { services } = ctx;
  const now = services.clock();
  const { progress, quotaTowns } = await loadQuotaProgress(services.db, year, now, services.env.BOT_TIMEZONE, services.office.quota.countOn, services.office.scoring);
  if (quotaTowns === 0) return noQuotaReply(ctx, year);
  await ctx.reply(
    quotaProgressCard({
      officeName: services.office.name, progress, now, tz: services.env.BOT_TIMEZONE, alertShare: services.office.quota.alertShare,
      statedTargets: await statedCityTargets(services.db, year), carriers: await loadCarrierProgress(services.db, services.office, year),
    }),
  );
}

async function runExport(ctx: MessageContext, args: string[]): Promise<void> {
  const { services } = ctx;
  const year = yearArg(ctx, args);
  if (year === undefined || year === 'bad') {
    await ctx.reply('用法：/quota export [年份]，例如 /quota export 2023');
    return;
  }
  const now = services.clock();
  const tz = services.env.BOT_TIMEZONE;
  const { progress, quotaTowns } = await loadQuotaProgress(services.db, year, now, tz, services.office.quota.countOn, services.office.scoring);
  if (quotaTowns === 0) return noQuotaReply(ctx, year);
  const data = await quotaWorkbook({ officeName: services.office.name, progress, now, tz });
  let fileKey: string;
  try {
    fileKey = await services.lark.uploadFile(exportFileName(services.office.name, year), data);
  } catch (err) {
    services.log.error({ err }, 'quota export: upload failed');
    await ctx.reply('导出文件上传失败，请稍后重试。');
    return;
  }
  await ctx.reply({ fileKey });
}

async function runSet(ctx: MessageContext, args: string[]): Promise<void> {
  const { services, person } = ctx;
  if (!person.roles.has('admin')) {
    await ctx.reply(ADMIN_ONLY);
    return;
  }
  const usage = '用法：/quota set <镇区> <指标> <数量> [年份]，例如 /quota set 丁堰镇 总数 25 2023';
  if (args.length < 3 || args.length > 4) {
    await ctx.reply(usage);
    return;
  }
  const [townText, metricText, targetText, yearText] = args;
  const town = resolveTown(services.office, townText);
  if (!town) {
    const hint = suggestTown(services.office, townText);
    await ctx.reply(`未知镇区「${userText(townText)}」${hint ? `，是否为「${hint}」？` : '。'}\n${usage}`);
    return;
  }
  const metric = parseMetric(metricText);
  if (!metric) {
    await ctx.reply(`未知指标「${userText(metricText)}」。指标可以是：${QUOTA_METRICS.map((m) => `${METRIC_LABELS[m]}（${m}）`).join('、')}`);
    return;
  }
  const targetNorm = targetText.normalize('NFKC').replace(/[个件项家]$/, '');
  const target = /^\d+$/.test(targetNorm) ? Number(targetNorm) : NaN;
  if (!Number.isInteger(target)) {
    await ctx.reply(`目标数量「${userText(targetText)}」无效：请填写不小于 0 的整数。\n${usage}`);
    return;
  }
  if (target > MAX_TARGET) {
    await ctx.reply(`目标数量「${userText(targetText)}」过大：不能超过 ${MAX_TARGET}。\n${usage}`);
    return;
  }
  const year = yearText === undefined ? currentYear(services) : parseYear(yearText);
  if (year === undefined) {
    await ctx.reply(`年份「${userText(yearText)}」无效。\n${usage}`);
    return;
  }
  const now = services.clock();
  const { previous } = await services.db.$transaction((tx) => setQuota(tx, { year, town, metric, target, actorId: person.openId, now }));
  const change = previous === null ? `设为 ${target}` : previous === target ? `保持为 ${target}（未变化）` : `由 ${previous} 改为 ${target}`;
  await ctx.reply(`已将 ${year} 年「${town}」的「${METRIC_LABELS[metric]}」目标${change}。`);
}

async function runImportYear(ctx: MessageContext, args: string[]): Promise<void> {
  const { services, person } = ctx;
  if (!person.roles.has('admin')) {
    await ctx.reply(ADMIN_ONLY);
    return;
  }
  const year = yearArg(ctx, args);
  if (year === undefined || year === 'bad') {
    await ctx.reply('用法：/quota import [年份]，例如 /quota import 2023；然后发送任务分解表文件。');
    return;
  }
  await saveYearIntent(services.db, person.openId, year, services.clock());
  await ctx.reply(`好的，请在 30 分钟内发送 ${year} 年的任务分解表文件（.xlsx 或 .csv），我会按 ${year} 年导入。`);
}

// ---- a table file ------------------------------------------------------------------------------------

/** What a table is, by its header row; the file name's hint only breaks a tie. */
function tableKind(rows: TableRow[], nameSaysActivity: boolean): 'carriers' | 'activities' | 'quotas' | undefined {
  // A 载体汇总表's header (科创载体名称 + 建设镇区) is unlike the others'; a 名称 column could look like an 活动名称.
  if (findCarrierHeader(rows) >= 0) return 'carriers';
  const activities = findActivityHeader(rows) >= 0;
  const quotas = hasQuotaHeader(rows);
  if (activities && quotas) return nameSaysActivity ? 'activities' : 'quotas';
  return activities ? 'activities' : quotas ? 'quotas' : undefined;
}

/** The bot's one file handler: 活动安排表 go to the activities feature, 任务分解表 are imported here. */
async function onFile(ctx: MessageContext): Promise<void> {
  const { services, person, event } = ctx;
  const file = event.file;
  if (!file || !isTableFileName(file.fileName)) {
    await ctx.reply(UNSUPPORTED_FILE);
    return;
  }
  const nameSaysActivity = looksLikeActivityFile(file.fileName);
  if (!person.roles.has('admin')) {
    await ctx.reply(nameSaysActivity ? ACTIVITY_ADMIN_ONLY : /载体/.test(file.fileName) ? CARRIER_ADMIN_ONLY : ADMIN_ONLY);
    return;
  }
  let data: Buffer;
  try {
    data = await services.lark.downloadResource(event.messageId, file.fileKey);
  } catch (err) {
    services.log.error({ err, fileKey: file.fileKey }, 'table import: download failed');
    await ctx.reply('文件下载失败，请稍后重新发送。');
    return;
  }
  if (data.length > MAX_FILE_BYTES) {
    await ctx.reply('文件过大（超过 5 MB），不像是任务分解表或活动安排表。请确认后重新发送。');
    return;
  }
  // Read once, off the main thread, within limits (src/platform/imports/read.ts).
  const raw = await readTableIsolated(data, file.fileName);
  const table = raw.ok && raw.rows.every(isBlankRow) ? { ok: false as const, errors: ['表格为空'] } : raw;
  if (!table.ok) {
    await ctx.reply(nameSaysActivity ? activityImportCard(false, importSummaryLines(table)) : quotaErrorsCard(file.fileName, table.errors));
    return;
  }
  const kind = tableKind(table.rows, nameSaysActivity);
  if (kind === 'activities') return importActivityFile(ctx, { fileName: file.fileName, rows: table.rows });
  if (kind === 'carriers') return importCarrierFile(ctx, { fileName: file.fileName, rows: table.rows });
  if (kind === undefined) {
    await ctx.reply(noticeCard('未能识别表格', [
      `文件「${md(file.fileName)}」的表头不像任务分解表、活动安排表或载体汇总表，**未导入任何数据**。请确认表头后重新发送：`,
      ...TABLE_KINDS.map((l) => md(l)),
    ], 'red'));
    return;
  }
  const read = quotaFileOf(table, file.fileName, services.office);
  if (!read.result.ok) {
    await ctx.reply(quotaErrorsCard(file.fileName, read.result.errors));
    return;
  }
  const now = services.clock();
  const chosen = await yearIntent(services.db, person.openId, new Date(now.getTime() - YEAR_CHOICE_MS));
  const { year, source } = chooseYear(chosen, read, currentYear(services));
  const { rows, totals, statedTotals, warnings } = read.result;
  const draft: QuotaDraft = {
    year,
    yearSource: source,
    fileName: file.fileName,
    rows: rows.map((r) => ({ town: r.town, ...Object.fromEntries(QUOTA_METRICS.map((m) => [m, r[m]])) }) as QuotaDraft['rows'][number]),
    totals,
    ...(statedTotals ? { statedTotals } : {}),
    warnings,
  };
  const draftId = await saveQuotaDraft(services.db, person.openId, draft, now);
  await clearYearIntent(services.db, person.openId);
  const existingTowns = await quotaTownCount(services.db, year);
  await ctx.reply(quotaPreviewCard({ ...draft, draftId, yearSource: source as YearSource, existingTowns }));
}

// ---- 确认导入 / 取消 ------------------------------------------------------------------------------------

const DraftValue = z.object({ draftId: valueId });

async function onConfirm(ctx: ActionContext<z.output<typeof DraftValue>>): Promise<CardReply> {
  const { services, person } = ctx;
  if (!person.roles.has('admin')) return toast('error', ADMIN_ONLY);
  const id = ctx.value.draftId;
  const found = await findQuotaDraft(services.db, id);
  if (!found) return toast('warning', GONE);
  if (found.userId !== person.openId) return toast('error', '只有发送该文件的管理员可以确认导入。');
  const now = services.clock();
  try {
    const done = await services.db.$transaction(async (tx) => {
      const draft = await takeQuotaDraft(tx, id, person.openId);
      if (!draft) throw new AppError(ERRORS.QUOTA_IMPORT_GONE);
      const outcome = await replaceQuotaYear(tx, {
        year: draft.year,
        rows: draft.rows,
        actorId: person.openId,
        via: 'chat',
        fileName: draft.fileName,
        totals: draft.totals,
        statedTotals: draft.statedTotals,
        warnings: draft.warnings,
        now,
      });
      return { draft, ...outcome };
    });
    return {
      toast: { type: 'success', content: `已导入 ${done.draft.year} 年任务分解表` },
      card: quotaImportedCard(done.draft.year, done.draft.rows.length, done.draft.totals, done.replaced),
    };
  } catch (err) {
    if (err instanceof AppError) return cardFailure(err.spec);
    throw err;
  }
}

async function onCancel(ctx: ActionContext<z.output<typeof DraftValue>>): Promise<CardReply> {
  const { services, person } = ctx;
  const id = ctx.value.draftId;
  const found = await findQuotaDraft(services.db, id);
  if (!found) return toast('warning', GONE);
  if (found.userId !== person.openId) return toast('error', '只有发送该文件的管理员可以取消。');
  if (!(await dropQuotaDraft(services.db, id, person.openId))) return toast('warning', GONE);
  return { toast: { type: 'info', content: '已取消导入' }, card: quotaCancelledCard(found.year) };
}

export function registerQuota(bot: Bot): void {
  bot.command({
    name: 'quota',
    words: ['任务进度', '任务分解表'],
    summary: '查看各镇区科技招商任务完成进度、排名，导出表格；管理员可导入或修改任务分解表',
    usage: '/quota [年份] | /quota export [年份] | /quota set <镇区> <指标> <数量> [年份]',
    roles: [...ROLES],
    run: runQuota,
  });
  bot.file(onFile);
  bot.action(IMPORT_CONFIRM, DraftValue, onConfirm);
  bot.action(IMPORT_CANCEL, DraftValue, onCancel);
}
