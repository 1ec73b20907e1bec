// Reading an uploaded 任务分解表 for import, shared by the chat upload and `npm run quota:import`: which
// files are tables, which year a file is for, and the preview text. Pure: callers hand over the bytes.
//
// The year of an import, first match wins:
//   1. chosen explicitly: `--year` on the command line, or `/quota import <year>` sent in chat shortly before;
//   2. a year in the file name (「2023年任务分解表.xlsx」, 「rugao-2023-quota.csv」);
//   3. 「<year>年」 in the title or header rows of the table (「如皋市2023年科技招商任务分解表」);
//   4. the current year on the office clock (BOT_TIMEZONE).
import type { OfficeConfig } from '../../office/config.ts';
import { METRIC_LABELS, QUOTA_METRICS, parseQuotaRows, type MetricValues, type QuotaImport } from './quota.ts';
import { readTable, type TableResult } from '../../platform/imports/table.ts';

export const MIN_YEAR = 2000;
export const MAX_YEAR = 2099;

export type YearSource = 'chosen' | 'file_name' | 'title' | 'current';

export const YEAR_SOURCE_LABELS: Record<YearSource, string> = {
  chosen: '按指定',
  file_name: '取自文件名',
  title: '取自表格标题',
  current: '默认为今年',
};

/** File names the bot treats as a table (old .xls/.et are let through so the reader can explain). */
export function isTableFileName(name: string): boolean {
  return /\.(csv|tsv|txt|xlsx|xlsm|xls|et)$/i.test(name.trim());
}

/** A plausible year, from user text such as "2023" or "2023年". */
export function parseYear(text: string): number | undefined {
  const m = /^(\d{4})年?$/.exec(text.trim());
  if (!m) return undefined;
  const year = Number(m[1]);
  return year >= MIN_YEAR && year <= MAX_YEAR ? year : undefined;
}

/** The one year a text names; undefined when it names none or several different ones. */
function singleYear(matches: Iterable<RegExpMatchArray>): number | undefined {
  const years = new Set<number>();
  for (const m of matches) {
    const y = Number(m[1]);
    if (y >= MIN_YEAR && y <= MAX_YEAR) years.add(y);
  }
  return years.size === 1 ? [...years][0] : undefined;
}

/** A year in a file name: four digits standing alone ("2023年…", "…-2023-…"), not part of a longer number. */
export function yearInFileName(name: string): number | undefined {
  const base = name.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  return singleYear(base.matchAll(/(?<!\d)(20\d{2})(?!\d)/g));
}

/** "<year>年" in the first rows of a table (its title and header). */
export function yearInTitle(rows: Array<{ cells: string[] }>): number | undefined {
  const text = rows.slice(0, 5).flatMap((r) => r.cells).join(' ');
  return singleYear(text.matchAll(/(?<!\d)(20\d{2})\s*年/g));
}

export interface QuotaFile {
  result: QuotaImport;
  /** A year the file itself names (file name before title), if any. */
  namedYear?: { year: number; source: 'file_name' | 'title' };
}

/** Reads and validates a 任务分解表 (CSV or XLSX bytes) and looks for the year it names. */
export async function readQuotaFile(buffer: Uint8Array, fileName: string, office: OfficeConfig): Promise<QuotaFile> {
  return quotaFileOf(await readTable(buffer, fileName), fileName, office);
}

/** readQuotaFile for a table already read (by the chat upload, in a worker). */
export function quotaFileOf(table: TableResult, fileName: string, office: OfficeConfig): QuotaFile {
  if (!table.ok) return { result: table };
  const result = parseQuotaRows(table.rows, office);
  const fromName = yearInFileName(fileName);
  if (fromName !== undefined) return { result, namedYear: { year: fromName, source: 'file_name' } };
  const fromTitle = yearInTitle(table.rows);
  if (fromTitle !== undefined) return { result, namedYear: { year: fromTitle, source: 'title' } };
  return { result };
}

/** Picks the import year by the rules at the top of this file. */
export function chooseYear(chosen: number | undefined, file: QuotaFile, currentYear: number): { year: number; source: YearSource } {
  if (chosen !== undefined) return { year: chosen, source: 'chosen' };
  if (file.namedYear) return file.namedYear;
  return { year: currentYear, source: 'current' };
}

/** "总数 398，发明专利实审数 398，…" for the metrics given. */
export function metricsLine(values: Partial<MetricValues>): string {
  return QUOTA_METRICS.filter((m) => values[m] !== undefined)
    .map((m) => `${METRIC_LABELS[m]} ${values[m]}`)
    .join('，');
}
