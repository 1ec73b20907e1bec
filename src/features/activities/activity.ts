// 活动安排表 (activity calendar): importing the yearly list of events and finding what comes up next.
import { localParts } from '../../platform/time.ts';
import { columnLetter, isBlankRow, readTable, type TableRow } from '../../platform/imports/table.ts';
import { parseAmount } from '../leads/values.ts';

export interface ParsedActivity {
  year: number;
  seq: number;
  name: string;
  /** 时间 as written, line breaks removed. */
  timeText: string;
  /** 1-12 when the time names a month (also set for dated activities). */
  month?: number;
  /** A calendar date, stored as UTC midnight of that day (a date without a time zone). */
  date?: Date;
  /** 全年: runs through the year. */
  allYear: boolean;
  organizer?: string;
  /** 预算 (万元), when the table has a 预算 / 经费 column. */
  budgetWan?: number;
  rowNumber: number;
}

export type ActivityImport =
  | { ok: true; activities: ParsedActivity[]; warnings: string[] }
  | { ok: false; errors: string[] };

/** Reads a 活动安排表 (序号, 活动名称, 时间, 主办单位) from CSV or XLSX bytes. Any error refuses the whole file. */
export async function parseActivityTable(buffer: Uint8Array, filename: string, year: number): Promise<ActivityImport> {
  const table = await readTable(buffer, filename);
  if (!table.ok) return table;
  return parseActivityRows(table.rows, year);
}

const compact = (s: string) => s.replace(/\s+/g, '');

/** Joins a cell written over several lines into one line ("大赛\n（专场）" → "大赛（专场）"). */
export function joinLines(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  return lines.reduce((acc, line) => {
    if (acc === '') return line;
    const needsSpace = /[A-Za-z0-9]$/.test(acc) && /^[A-Za-z0-9]/.test(line);
    return acc + (needsSpace ? ' ' : '') + line;
  }, '');
}

interface Columns {
  seq?: number;
  name: number;
  time: number;
  organizer?: number;
  budget?: number;
}

function findColumns(cells: string[]): Columns | undefined {
  const labels = cells.map(compact);
  const find = (re: RegExp, not?: RegExp) => {
    const i = labels.findIndex((l) => l !== '' && l.length <= 12 && re.test(l) && !(not && not.test(l)));
    return i < 0 ? undefined : i;
  };
  const name = find(/名称/) ?? find(/活动|项目/, /时间|日期|月份|单位|序号/);
  const time = find(/时间|日期|月份/);
  if (name === undefined || time === undefined || name === time) return undefined;
  return { seq: find(/^(序号|编号|NO\.?)$/i), name, time, organizer: find(/主办|承办|单位|组织/), budget: find(/预算|经费/) };
}

const CN_DIGITS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 十: 10, 十一: 11, 十二: 12 };

export type TimeParse =
  | { kind: 'allYear' }
  | { kind: 'month'; month: number }
  | { kind: 'date'; month: number; day: number }
  | { kind: 'unknown' }
  | { kind: 'error'; message: string };

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Reads a 时间 cell: "全年", "2月", "2023年3月", "3月中旬", "三月", "3-4月" (first month), "3月15日",
 * "2023年3月15日", "3月15日-16日" (first day), "2023-03-15", "2023/3/15", "2023.3.15".
 */
export function parseActivityTime(raw: string, year: number): TimeParse {
  const s = compact(joinLines(raw).normalize('NFKC'));
  if (s === '') return { kind: 'error', message: '时间为空' };
  if (/^(全年|全年度|常年|全年举办|全年开展)$/.test(s)) return { kind: 'allYear' };

  const checkYear = (y: string | undefined) => (y !== undefined && Number(y) !== year ? `时间“${raw}”不在${year}年` : undefined);
  const checkMonth = (m: number) => (m >= 1 && m <= 12 ? undefined : `时间“${raw}”的月份无效`);

  let m = /^(?:(\d{4})[-/.])(\d{1,2})[-/.](\d{1,2})$/.exec(s) ?? /^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]?(?:[-—~至到].*)?$/.exec(s);
  if (m) {
    const month = Number(m[2]);
    const day = Number(m[3]);
    const err = checkYear(m[1]) ?? checkMonth(month);
    if (err) return { kind: 'error', message: err };
    if (day < 1 || day > daysInMonth(year, month)) return { kind: 'error', message: `时间“${raw}”的日期无效` };
    return { kind: 'date', month, day };
  }
  m = /^(?:(\d{4})年)?(\d{1,2})(?:[-—~至到]\d{1,2})?月(?:份)?(?:上旬|中旬|下旬|初|中|底|末)?$/.exec(s);
  if (m) {
    const month = Number(m[2]);
    const err = checkYear(m[1]) ?? checkMonth(month);
    if (err) return { kind: 'error', message: err };
    return { kind: 'month', month };
  }
  m = /^(?:(\d{4})年)?(十[一二]?|[一二三四五六七八九])月(?:份)?(?:上旬|中旬|下旬|初|中|底|末)?$/.exec(s);
  if (m) {
    const err = checkYear(m[1]);
    if (err) return { kind: 'error', message: err };
    return { kind: 'month', month: CN_DIGITS[m[2]] };
  }
  m = /^(\d{4})[-/.](\d{1,2})$/.exec(s);
  if (m) {
    const month = Number(m[2]);
    const err = checkYear(m[1]) ?? checkMonth(month);
    if (err) return { kind: 'error', message: err };
    return { kind: 'month', month };
  }
  return { kind: 'unknown' };
}

/** The index of the 活动安排表 header row (活动名称 and 时间 columns) among the first rows, or -1. */
export function findActivityHeader(rows: TableRow[]): number {
  return rows.slice(0, 20).findIndex((r) => findColumns(r.cells) !== undefined);
}

/**
 * The one year the 时间 cells of a 活动安排表 state ("2027年5月20日", "2027-05-20", "2027年3月"), or undefined
 * when none states a year or they state different years.
 */
export function yearOfActivityTimes(rows: TableRow[]): number | undefined {
  const headerIndex = findActivityHeader(rows);
  if (headerIndex < 0) return undefined;
  const { time } = findColumns(rows[headerIndex].cells)!;
  const years = new Set<number>();
  for (const row of rows.slice(headerIndex + 1)) {
    const m = /^(\d{4})(?:年|[-/.]\d)/.exec(compact(joinLines(row.cells[time] ?? '').normalize('NFKC')));
    if (m) years.add(Number(m[1]));
  }
  return years.size === 1 ? [...years][0] : undefined;
}

/** Validates already-read table rows as a 活动安排表. */
export function parseActivityRows(rows: TableRow[], year: number): ActivityImport {
  if (rows.every(isBlankRow)) return { ok: false, errors: ['表格为空'] };
  const headerIndex = findActivityHeader(rows);
  if (headerIndex < 0) return { ok: false, errors: ['缺少表头：需要“活动名称”和“时间”两列（可另有“序号”“主办单位”）'] };
  const cols = findColumns(rows[headerIndex].cells)!;
  const errors: string[] = [];
  const warnings: string[] = [];
  const activities: ParsedActivity[] = [];
  const seqRows = new Map<number, number>();
  const cell = (row: TableRow, col: number | undefined) => (col === undefined ? '' : (row.cells[col] ?? '').trim());

  for (const row of rows.slice(headerIndex + 1)) {
    if (isBlankRow(row)) continue;
    const seqText = compact(cell(row, cols.seq));
    const name = joinLines(cell(row, cols.name));
    const timeText = joinLines(cell(row, cols.time));
    const organizer = joinLines(cell(row, cols.organizer));
    const budgetText = compact(cell(row, cols.budget));
    if (/^(注|备注|说明)/.test(compact(name || seqText))) continue;

    // A row holding only more of the previous name (a name broken over two rows) is joined to it.
    const prev = activities[activities.length - 1];
    if (prev && seqText === '' && timeText === '' && organizer === '' && budgetText === '' && name !== '') {
      prev.name = joinLines(`${prev.name}\n${name}`);
      continue;
    }
    if (name === '') {
      errors.push(`第${row.rowNumber}行：缺少活动名称`);
      continue;
    }
    let seq: number;
    if (seqText === '') {
      seq = Math.max(0, ...activities.map((a) => a.seq)) + 1;
    } else if (/^\d+$/.test(seqText.normalize('NFKC'))) {
      seq = Number(seqText.normalize('NFKC'));
    } else {
      errors.push(`第${row.rowNumber}行：序号“${seqText}”不是正整数（${columnLetter(cols.seq!)}列）`);
      continue;
    }
    const dup = seqRows.get(seq);
    if (dup !== undefined) {
      errors.push(`第${row.rowNumber}行：序号 ${seq} 重复（第${dup}行已使用）`);
      continue;
    }
    seqRows.set(seq, row.rowNumber);

    const time = parseActivityTime(timeText, year);
    const activity: ParsedActivity = { year, seq, name, timeText, allYear: false, rowNumber: row.rowNumber };
    if (organizer !== '') activity.organizer = organizer;
    if (budgetText !== '') {
      const amount = parseAmount(budgetText, '万元');
      if ('error' in amount || amount.value < 0) {
        errors.push(`第${row.rowNumber}行：预算“${budgetText}”不是万元数（${columnLetter(cols.budget!)}列）`);
        continue;
      }
      activity.budgetWan = amount.value;
    }
    switch (time.kind) {
      case 'error':
        errors.push(`第${row.rowNumber}行：${time.message}`);
        continue;
      case 'allYear':
        activity.allYear = true;
        break;
      case 'month':
        activity.month = time.month;
        break;
      case 'date':
        activity.month = time.month;
        activity.date = new Date(Date.UTC(year, time.month - 1, time.day));
        break;
      case 'unknown':
        warnings.push(`第${row.rowNumber}行：时间“${timeText}”无法识别，仅保存原文，不会提醒`);
        break;
    }
    activities.push(activity);
  }
  if (activities.length === 0 && errors.length === 0) errors.push('表格中没有活动');
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, activities, warnings };
}

/** An activity name as compared across imports: width, case and spaces ignored. */
export function activityNameKey(name: string): string {
  return name.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
}

/**
 * Pairs the rows of a new 活动安排表 with the stored activities of that year, so a stored activity (and the
 * leads naming it as their source) follows its own row when the table is renumbered: first the same name and
 * 序号, then the same name, then the same 序号 (an activity renamed in place). Returns the stored activity for
 * each row, in row order, or undefined for a new one; each stored activity is used at most once.
 */
export function matchActivityRows<S extends { seq: number; name: string }>(stored: readonly S[], rows: ReadonlyArray<{ seq: number; name: string }>): Array<S | undefined> {
  const matched: Array<S | undefined> = rows.map(() => undefined);
  const used = new Set<S>();
  const pass = (same: (s: S, row: { seq: number; name: string }) => boolean) => {
    rows.forEach((row, i) => {
      if (matched[i]) return;
      const hit = stored.find((s) => !used.has(s) && same(s, row));
      if (hit) {
        matched[i] = hit;
        used.add(hit);
      }
    });
  };
  pass((s, row) => s.seq === row.seq && activityNameKey(s.name) === activityNameKey(row.name));
  pass((s, row) => activityNameKey(s.name) === activityNameKey(row.name));
  pass((s, row) => s.seq === row.seq);
  return matched;
}

// ---------------------------------------------------------------------------------------------------------
// Calendar

/** What the calendar functions need; parsed activities and stored Activity rows both fit. */
export interface ActivityLike {
  year: number;
  month?: number | null;
  date?: Date | null;
  allYear: boolean;
}

const DAY_MS = 86_400_000;

/** Today's local date in the office time zone, as a UTC-midnight timestamp. */
function localDay(now: Date, tz: string): number {
  const p = localParts(now, tz);
  return Date.UTC(p.year, p.month - 1, p.day);
}

/** The calendar day a dated activity falls on, as a UTC-midnight timestamp. */
function activityDay(date: Date): number {
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export interface UpcomingActivity<T> {
  activity: T;
  /** YYYY-MM-DD: the activity's date, or the first day of its month for month-only activities. */
  startsOn: string;
  /** Whole days from today (0 = today, or a month-only activity whose month has begun). */
  daysAway: number;
  monthOnly: boolean;
}

/**
 * Activities coming up within the next `days` days (today included), soonest first: dated ones whose date is
 * in [today, today + days]; month-only ones whose month begins by today + days and has not ended (one whose
 * month has begun counts as today: it may be any day until the month's last). A dated activity comes before
 * a month-only one on the same day. 全年 activities are not listed.
 */
export function upcomingActivities<T extends ActivityLike>(activities: T[], now: Date, days: number, tz: string): Array<UpcomingActivity<T>> {
  const today = localDay(now, tz);
  const out: Array<UpcomingActivity<T>> = [];
  for (const activity of activities) {
    if (activity.allYear) continue;
    let start: number;
    let end: number;
    let monthOnly = false;
    if (activity.date) start = end = activityDay(activity.date);
    else if (activity.month) {
      start = Date.UTC(activity.year, activity.month - 1, 1);
      end = Date.UTC(activity.year, activity.month, 0);
      monthOnly = true;
    } else continue;
    if (end < today) continue;
    const daysAway = Math.max(0, Math.round((start - today) / DAY_MS));
    if (daysAway <= days) out.push({ activity, startsOn: isoDay(start), daysAway, monthOnly });
  }
  return out.sort((a, b) => a.daysAway - b.daysAway || Number(a.monthOnly) - Number(b.monthOnly));
}

/** 'd7' on the local day one week before a dated activity, 'd1' on the day before, otherwise undefined. */
export function activityReminderDue(activity: ActivityLike, now: Date, tz: string): 'd7' | 'd1' | undefined {
  if (activity.allYear || !activity.date) return undefined;
  const daysAway = Math.round((activityDay(activity.date) - localDay(now, tz)) / DAY_MS);
  if (daysAway === 7) return 'd7';
  if (daysAway === 1) return 'd1';
  return undefined;
}
