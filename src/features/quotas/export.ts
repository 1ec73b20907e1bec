// 任务进度 as an XLSX workbook (`/quota export`): one row per town with done, target, completion and the
// pace for every metric, ranked, and the city total. Returns the bytes; the caller uploads them.
// exceljs is loaded on the first export, not when the bot starts.
import type ExcelJS from 'exceljs';
import { COUNT_RULE_LABELS, countRuleNote, METRIC_LABELS, QUOTA_METRICS, yearPace, type MetricProgress, type QuotaProgress } from './quota.ts';

export const EXPORT_SHEET = '任务进度';
/** Sub-columns under each metric, in order. */
export const EXPORT_SUBCOLUMNS = ['完成', '目标', '完成率', '序时应完成'] as const;

const round1 = (n: number) => Math.round(n * 10) / 10;

/** File name for the year's export, e.g. 如皋市2023年科技招商任务进度.xlsx. */
export function exportFileName(officeName: string, year: number): string {
  return `${officeName}${year}年科技招商任务进度.xlsx`;
}

function metricCells(p: MetricProgress): Array<number | null> {
  return [p.done, p.target, p.target > 0 ? p.done / p.target : null, round1(p.expected)];
}

export interface ExportInput {
  officeName: string;
  progress: QuotaProgress;
  /** The moment the figures are as of. */
  now: Date;
  tz: string;
}

export async function quotaWorkbook(input: ExportInput): Promise<Buffer> {
  const { progress } = input;
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.Workbook();
  wb.creator = '科招助手';
  const ws = wb.addWorksheet(EXPORT_SHEET, { views: [{ state: 'frozen', xSplit: 2, ySplit: 3 }] });
  const width = 2 + QUOTA_METRICS.length * EXPORT_SUBCOLUMNS.length + 1;

  const pace = yearPace(progress.year, input.now, input.tz);
  const paceText = pace.phase === 'past' ? '全年' : pace.phase === 'future' ? '尚未开始' : `序时进度${round1(progress.share * 100)}%`;
  const title = ws.addRow([`${input.officeName}${progress.year}年科技招商任务进度（截至${pace.asOf}，${paceText}，${COUNT_RULE_LABELS[progress.rule]}）`]);
  ws.mergeCells(1, 1, 1, width);
  title.font = { bold: true, size: 14 };

  const top: string[] = ['排名', '镇区'];
  const sub: string[] = ['', ''];
  for (const m of QUOTA_METRICS) {
    top.push(METRIC_LABELS[m], '', '', '');
    sub.push(...EXPORT_SUBCOLUMNS);
  }
  top.push('综合完成率');
  sub.push('');
  ws.addRow(top);
  ws.addRow(sub);
  ws.mergeCells(2, 1, 3, 1);
  ws.mergeCells(2, 2, 3, 2);
  QUOTA_METRICS.forEach((_, i) => ws.mergeCells(2, 3 + i * 4, 2, 6 + i * 4));
  ws.mergeCells(2, width, 3, width);
  for (const r of [2, 3]) {
    const row = ws.getRow(r);
    row.font = { bold: true };
    row.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  }

  const dataRow = (rank: number | string | null, town: string, metrics: Record<string, MetricProgress>, completion: number | null) => {
    const row = ws.addRow([rank, town, ...QUOTA_METRICS.flatMap((m) => metricCells(metrics[m])), completion]);
    QUOTA_METRICS.forEach((_, i) => (row.getCell(5 + i * 4).numFmt = '0.0%'));
    row.getCell(width).numFmt = '0.0%';
    return row;
  };
  for (const t of progress.towns) dataRow(t.rank, t.town, t.metrics, t.completion);
  const total = dataRow(null, '全市合计', progress.city.metrics, progress.city.completion);
  total.font = { bold: true };

  ws.getColumn(1).width = 6;
  ws.getColumn(2).width = 14;
  for (let c = 3; c <= width; c++) ws.getColumn(c).width = 10;
  ws.addRow([]);
  ws.addRow([`说明：${countRuleNote(progress.rule)}序时应完成 = 全年目标 × 已过去的时间比例；综合完成率为各有目标指标完成率（封顶100%）的平均值。`]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
