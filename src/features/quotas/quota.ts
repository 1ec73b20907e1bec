// 任务分解表 (quotas): importing the yearly table of targets per town, and measuring progress against it.
import { localDate, localParts } from '../../platform/time.ts';
import type { CountRule, LeadKind, OfficeConfig } from '../../office/config.ts';
import { resolveTown } from '../../office/config.ts';
import { columnLetter, isBlankRow, readTable, type TableRow } from '../../platform/imports/table.ts';

export const QUOTA_METRICS = ['projects', 'invention_patents', 'utility_models', 'platforms', 'funds'] as const;
export type QuotaMetric = (typeof QUOTA_METRICS)[number];

/** What users see for each metric. */
export const METRIC_LABELS: Record<QuotaMetric, string> = {
  projects: '总数',
  invention_patents: '发明专利实审数',
  utility_models: '实用新型专利授权数',
  platforms: '平台类项目',
  funds: '基金类项目',
};

/** Lead kinds counted in 总数. */
export const PROJECT_KINDS: readonly LeadKind[] = ['tech', 'talent', 'service'];

/** How a card names the office's counting rule (quota.countOn): 「按注册计」. */
export const COUNT_RULE_LABELS: Readonly<Record<CountRule, string>> = {
  approved: '按审批通过计',
  signed: '按签约计',
  registered: '按注册计',
  landed: '按落地计',
};

/** The event of each rule, as a sentence says it: 项目按「注册」日期计入当年. */
export const COUNT_RULE_EVENTS: Readonly<Record<CountRule, string>> = {
  approved: '审批通过',
  signed: '签约',
  registered: '注册',
  landed: '落地（开工）',
};

/** One line saying what counts: 「项目按注册计入当年（注册日期）；专利按一月一报登记的成果计。」 */
export function countRuleNote(rule: CountRule): string {
  return `项目${COUNT_RULE_LABELS[rule]}（${COUNT_RULE_EVENTS[rule]}日期所在年度）；发明专利、实用新型按一月一报登记的成果计。`;
}

export function isQuotaMetric(value: string): value is QuotaMetric {
  return (QUOTA_METRICS as readonly string[]).includes(value);
}

export type MetricValues = Record<QuotaMetric, number>;

export interface QuotaRow extends MetricValues {
  /** Canonical town name from the office config. */
  town: string;
  /** The town as written in the file. */
  sourceName: string;
  rowNumber: number;
}

export type QuotaImport =
  | {
      ok: true;
      rows: QuotaRow[];
      /** Sum of the imported town rows. */
      totals: MetricValues;
      /** What the file's 合计/总计 row says, metric by metric (blank cells there are not stated). */
      statedTotals?: Partial<MetricValues>;
      warnings: string[];
    }
  | { ok: false; errors: string[] };

/** One Quota record as stored: year × town × metric. */
export interface QuotaTarget {
  year?: number;
  town: string;
  metric: string;
  target: number;
}

function zeroValues(): MetricValues {
  return { projects: 0, invention_patents: 0, utility_models: 0, platforms: 0, funds: 0 };
}

/** Flattens imported rows into Quota records for one year (every metric of every town, zeros included). */
export function quotaRecords(year: number, rows: QuotaRow[]): Array<{ year: number; town: string; metric: QuotaMetric; target: number }> {
  return rows.flatMap((r) => QUOTA_METRICS.map((metric) => ({ year, town: r.town, metric, target: r[metric] })));
}

// ---------------------------------------------------------------------------------------------------------
// Import

/** Reads a 任务分解表 from CSV or XLSX bytes. Any error refuses the whole file. */
export async function parseQuotaTable(buffer: Uint8Array, filename: string, office: OfficeConfig): Promise<QuotaImport> {
  const table = await readTable(buffer, filename);
  if (!table.ok) return table;
  return parseQuotaRows(table.rows, office);
}

const compact = (s: string) => s.replace(/\s+/g, '');

const TOWN_HEADER = /镇区|镇[（(]区|乡镇|镇街|板块|区域|地区|单位|^镇$|^名称$/;
const TOTAL_LABEL = /^(全市)?(合计|总计|总合计)[:：]?$/;
const SUBTOTAL_LABEL = /^小计[:：]?$/;
const NOTE_LABEL = /^(注|备注|说明|附注)/;

/** Which metric a (joined, whitespace-free) header label names; the more specific names are checked first. */
function metricOfHeader(label: string): QuotaMetric | undefined {
  if (label.includes('发明')) return 'invention_patents';
  if (label.includes('实用新型')) return 'utility_models';
  if (label.includes('平台')) return 'platforms';
  if (label.includes('基金')) return 'funds';
  if (/总数|项目数|科创类|人才类|服务类/.test(label)) return 'projects';
  return undefined;
}

/** A cell holding a plain number (or a dash meaning none); used to tell header rows from data rows. */
function looksNumeric(cell: string): boolean {
  return /^[-+]?\d[\d,]*(\.\d+)?$/.test(compact(cell.normalize('NFKC')));
}

type NumberCell = { value: number } | { blank: true } | { error: string };

/** The largest target one town may have for one metric (imported or set with /quota set). */
export const MAX_TARGET = 1_000_000;

/** Parses one target cell: blank or a dash = 0; must be a non-negative integer (a trailing 个/件/项/家 is allowed). */
function parseCount(raw: string): NumberCell {
  const s = compact(raw.normalize('NFKC')).replace(/(?<=\d)[个件项家]$/, '');
  if (s === '' || /^[-—–/]$/.test(s) || s === '－') return { blank: true };
  if (!/^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$/.test(s)) return { error: `不是数字（${raw}）` };
  const n = Number(s.replace(/,/g, ''));
  if (n < 0) return { error: `不能为负数（${raw}）` };
  if (!Number.isInteger(n)) return { error: `必须是整数（${raw}）` };
  return { value: n };
}

interface Header {
  rowIndex: number; // index in rows of the first header row
  lastIndex: number; // index of the last header row
  townCol: number;
  metricCols: Map<QuotaMetric, number>;
  errors: string[];
  warnings: string[];
}

function findHeader(rows: TableRow[]): Header | undefined {
  const limit = Math.min(rows.length, 20);
  for (let i = 0; i < limit; i++) {
    const cells = rows[i].cells.map(compact);
    const townCol = cells.findIndex((c) => c !== '' && c.length <= 12 && TOWN_HEADER.test(c));
    if (townCol < 0) continue;
    // Following rows belong to the header while their town cell is blank (or repeats a merged header)
    // and they hold text rather than numbers.
    let last = i;
    while (last + 1 < rows.length && last - i < 3) {
      const next = rows[last + 1].cells.map(compact);
      const townCell = next[townCol] ?? '';
      const texts = next.filter((c, ci) => ci !== townCol && c !== '');
      if ((townCell === '' || townCell === cells[townCol]) && texts.length > 0 && !texts.some(looksNumeric)) last++;
      else break;
    }
    const width = Math.max(...rows.slice(i, last + 1).map((r) => r.cells.length));
    const metricCols = new Map<QuotaMetric, number>();
    const errors: string[] = [];
    const ignored: string[] = [];
    for (let c = 0; c < width; c++) {
      if (c === townCol) continue;
      const parts: string[] = [];
      for (let r = i; r <= last; r++) {
        const t = compact(rows[r].cells[c] ?? '');
        if (t !== '' && parts[parts.length - 1] !== t) parts.push(t);
      }
      const label = parts.join(' ');
      if (label === '') continue;
      const metric = metricOfHeader(label);
      if (!metric) {
        if (!/^(序号|编号)$/.test(label)) ignored.push(parts[parts.length - 1]);
        continue;
      }
      const prev = metricCols.get(metric);
      if (prev !== undefined) {
        errors.push(`第${rows[i].rowNumber}行表头：“${METRIC_LABELS[metric]}”列出现两次（${columnLetter(prev)}列和${columnLetter(c)}列）`);
      } else {
        metricCols.set(metric, c);
      }
    }
    if (metricCols.size === 0) continue;
    const warnings: string[] = [];
    if (ignored.length > 0) warnings.push(`已忽略无法识别的列：${ignored.join('、')}`);
    const missing = QUOTA_METRICS.filter((m) => !metricCols.has(m));
    if (missing.length > 0) warnings.push(`表中没有以下列，目标按 0 处理：${missing.map((m) => METRIC_LABELS[m]).join('、')}`);
    return { rowIndex: i, lastIndex: last, townCol, metricCols, errors, warnings };
  }
  return undefined;
}

/** Edit distance, for suggesting a town when a name is slightly off. */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The configured town a mistyped name most likely means (containment or one or two typos), if any. */
export function suggestTown(office: OfficeConfig, input: string): string | undefined {
  const base = (s: string) => compact(s).replace(/[（(].*$/, '');
  const wanted = base(input);
  if (wanted.length < 2) return undefined;
  let best: { town: string; score: number } | undefined;
  for (const t of office.towns) {
    for (const name of [t.name, ...t.aliases]) {
      const n = base(name);
      if (n.length < 2) continue;
      let score: number;
      if (n.includes(wanted) || wanted.includes(n)) score = 0.5 + Math.abs(n.length - wanted.length) / 100;
      else {
        const d = editDistance(n, wanted);
        if (d > (Math.min(n.length, wanted.length) >= 6 ? 2 : 1)) continue;
        score = d;
      }
      if (!best || score < best.score) best = { town: t.name, score };
    }
  }
  return best?.town;
}

/** Whether the rows have a 任务分解表 header (a 镇区 column and at least one metric column) in their first rows. */
export function hasQuotaHeader(rows: TableRow[]): boolean {
  return findHeader(rows) !== undefined;
}

/** Validates already-read table rows as a 任务分解表. */
export function parseQuotaRows(rows: TableRow[], office: OfficeConfig): QuotaImport {
  if (rows.every(isBlankRow)) return { ok: false, errors: ['表格为空'] };
  const header = findHeader(rows);
  if (!header) {
    return { ok: false, errors: ['缺少“镇区”列：请确认表头含“镇区”以及“总数”“发明专利实审数”等指标列'] };
  }
  const errors = [...header.errors];
  const warnings = [...header.warnings];
  const imported: QuotaRow[] = [];
  const seen = new Map<string, number>();
  let stated: { rowNumber: number; values: Partial<MetricValues> } | undefined;
  const subtotals: Array<{ rowNumber: number; values: Partial<MetricValues> }> = [];

  for (const row of rows.slice(header.lastIndex + 1)) {
    if (isBlankRow(row)) continue;
    const name = (row.cells[header.townCol] ?? '').trim();
    const label = compact(name);
    if (NOTE_LABEL.test(label)) continue;
    const values = zeroValues();
    const statedValues: Partial<MetricValues> = {};
    const rowErrors: string[] = [];
    for (const [metric, col] of header.metricCols) {
      const parsed = parseCount(row.cells[col] ?? '');
      if ('error' in parsed) rowErrors.push(`第${row.rowNumber}行“${METRIC_LABELS[metric]}”${parsed.error}`);
      else if ('value' in parsed) {
        values[metric] = parsed.value;
        statedValues[metric] = parsed.value;
      }
    }
    if (label === '') {
      errors.push(`第${row.rowNumber}行：缺少镇区名称`);
      errors.push(...rowErrors);
      continue;
    }
    errors.push(...rowErrors);
    if (TOTAL_LABEL.test(label)) {
      stated = { rowNumber: row.rowNumber, values: statedValues };
      continue;
    }
    if (SUBTOTAL_LABEL.test(label)) {
      subtotals.push({ rowNumber: row.rowNumber, values: statedValues });
      continue;
    }
    // A town's target has the same ceiling as /quota set (only the 合计 row may add up to more).
    for (const [metric, col] of header.metricCols) {
      if (values[metric] > MAX_TARGET) errors.push(`第${row.rowNumber}行“${METRIC_LABELS[metric]}”超过上限 ${MAX_TARGET}（${(row.cells[col] ?? '').trim()}）`);
    }
    const town = resolveTown(office, name);
    if (!town) {
      const hint = suggestTown(office, name);
      errors.push(`第${row.rowNumber}行：未知镇区“${name}”${hint ? `，是否为“${hint}”？` : ''}`);
      continue;
    }
    const first = seen.get(town);
    if (first !== undefined) {
      errors.push(`第${row.rowNumber}行：镇区“${town}”重复（第${first}行已填写）`);
      continue;
    }
    seen.set(town, row.rowNumber);
    imported.push({ town, sourceName: name, rowNumber: row.rowNumber, ...values });
  }

  if (imported.length === 0 && errors.length === 0) errors.push('表格中没有镇区数据');
  if (errors.length > 0) return { ok: false, errors };

  const totals = zeroValues();
  for (const r of imported) for (const m of QUOTA_METRICS) totals[m] += r[m];

  // A lone 小计 row stands in for 合计 when the table has no 合计 row.
  const statedRow = stated ?? (subtotals.length === 1 ? subtotals[0] : undefined);
  const statedTotals = statedRow?.values;
  if (statedTotals) {
    const diffs = QUOTA_METRICS.filter((m) => statedTotals[m] !== undefined && statedTotals[m] !== totals[m]).map(
      (m) => `${METRIC_LABELS[m]} 合计 ${statedTotals[m]}，各镇区之和 ${totals[m]}`,
    );
    if (diffs.length > 0) warnings.push(`合计行与各镇区之和不一致：${diffs.join('；')}`);
  }
  const absent = office.towns.map((t) => t.name).filter((t) => !seen.has(t));
  if (absent.length > 0) warnings.push(`以下镇区未出现在表中，目标按 0 处理：${absent.join('、')}`);

  return { ok: true, rows: imported, totals, ...(statedTotals ? { statedTotals } : {}), warnings };
}

// ---------------------------------------------------------------------------------------------------------
// Calendar time in the office time zone (wall-clock helpers: ./time.ts)

/**
 * Share of `year` elapsed at `now`, on the office's wall clock: 0 at 00:00 on 1 January, 1 at the end of
 * 31 December; clamped to [0, 1] outside the year. Days weigh the same (366 of them in a leap year), and a
 * daylight-saving jump does not skew the share because wall-clock time is used.
 */
export function yearShare(now: Date, year: number, tz: string): number {
  const p = localParts(now, tz);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, now.getUTCMilliseconds());
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  return Math.min(1, Math.max(0, (wall - start) / (end - start)));
}

/** Where a quota year stands on the office calendar at `now`: over, under way, or not begun. */
export type YearPhase = 'past' | 'current' | 'future';

export interface YearPace {
  phase: YearPhase;
  /** The date the year's progress is as of: today, or 31 December of a year that is over ("YYYY-MM-DD"). */
  asOf: string;
  /** Elapsed share of the year: 1 for a past year, 0 for a future one (as yearShare). */
  share: number;
}

/**
 * The pace of `year` at `now`: a past year is measured as of its 31 December against its full targets
 * (share 1), a future year expects nothing yet (share 0), the current year is as of today.
 */
export function yearPace(year: number, now: Date, tz: string): YearPace {
  const current = localParts(now, tz).year;
  const share = yearShare(now, year, tz);
  if (year < current) return { phase: 'past', asOf: `${year}-12-31`, share };
  if (year > current) return { phase: 'future', asOf: localDate(now, tz), share };
  return { phase: 'current', asOf: localDate(now, tz), share };
}

// ---------------------------------------------------------------------------------------------------------
// Progress

/**
 * A lead counted toward its town's quota: `countedAt` is the moment of the counting event (approval, or the
 * start of the local day of its 签约 / 注册 / 落地 under quota.countOn). Pass only counted leads.
 */
export interface CountedLeadFact {
  town: string;
  kind: string;
  countedAt: Date | null;
  /** How many leads this fact stands for (an SQL group). Default 1. */
  count?: number;
  /** How much each of those leads counts as a project (tierWeight of their tier, src/features/leads/scoring.ts). Default 1. */
  weight?: number;
}

/** Patents recorded in the 一月一报 answers of a town for one reported month ("YYYY-MM"), summed. */
export interface PatentFact {
  town: string;
  period: string;
  inventionPatents: number;
  utilityModels: number;
}

export interface MetricProgress {
  done: number;
  target: number;
  /** done / target × 100, unrounded; null when there is no target. */
  percent: number | null;
  /** Where the town should be by now: target × elapsed share of the year. */
  expected: number;
  /** expected − done: positive means behind the pace, negative ahead of it. */
  gap: number;
  /** max(0, target − done): still needed for the full-year target. */
  remaining: number;
}

export interface TownProgress {
  town: string;
  metrics: Record<QuotaMetric, MetricProgress>;
  /**
   * Overall completion in [0, 1]: the mean, over metrics with a target > 0, of min(done / target, 1).
   * Capping keeps one over-fulfilled metric from hiding another that lags. null when the town has no targets.
   */
  completion: number | null;
  /** 1 = best completion; equal completions share a rank (1, 2, 2, 4). null when completion is null. */
  rank: number | null;
}

export interface QuotaProgress {
  year: number;
  /** Elapsed share of the year used for `expected`. */
  share: number;
  /** Ranked towns first (best first), then towns without targets by name. */
  towns: TownProgress[];
  city: { metrics: Record<QuotaMetric, MetricProgress>; completion: number | null };
  /** The event that counted a project (quota.countOn). */
  rule: CountRule;
}

function metricProgress(done: number, target: number, share: number): MetricProgress {
  const expected = target * share;
  return {
    done,
    target,
    percent: target > 0 ? (done / target) * 100 : null,
    expected,
    gap: expected - done,
    remaining: Math.max(0, target - done),
  };
}

function completionOf(metrics: Record<QuotaMetric, MetricProgress>): number | null {
  const withTarget = QUOTA_METRICS.filter((m) => metrics[m].target > 0);
  if (withTarget.length === 0) return null;
  return withTarget.reduce((sum, m) => sum + Math.min(metrics[m].done / metrics[m].target, 1), 0) / withTarget.length;
}

/** Which metrics a counted lead adds to, and by how much (its count times its tier weight). */
function leadContribution(lead: CountedLeadFact): Partial<MetricValues> {
  const n = (lead.count ?? 1) * (lead.weight ?? 1);
  if ((PROJECT_KINDS as readonly string[]).includes(lead.kind)) return { projects: n };
  if (lead.kind === 'platform') return { platforms: n };
  if (lead.kind === 'fund') return { funds: n };
  return {};
}

export interface ProgressOptions {
  /** The counting rule the facts were selected by (shown on the cards); default 'registered'. */
  rule?: CountRule;
  /** Patents recorded in 一月一报 answers; those of the year's months count. */
  patents?: readonly PatentFact[];
}

/**
 * Progress of every town against its quotas for `year`. 总数 counts tech, talent and service leads whose
 * counting event (quota.countOn) falls within the year (office calendar), 平台类项目 / 基金类项目 count
 * platform / fund leads likewise; 发明专利实审数 / 实用新型专利授权数 sum the patents recorded in the
 * 一月一报 answers of the year's months. Towns with counted leads but no quota appear with target 0, so the
 * city totals equal the sum of the towns.
 */
export function computeProgress(
  year: number,
  quotas: QuotaTarget[],
  counted: readonly CountedLeadFact[],
  now: Date,
  tz: string,
  opts: ProgressOptions = {},
): QuotaProgress {
  const share = yearShare(now, year, tz);
  const targets = new Map<string, MetricValues>();
  const done = new Map<string, MetricValues>();
  const get = (map: Map<string, MetricValues>, town: string) => {
    let v = map.get(town);
    if (!v) map.set(town, (v = zeroValues()));
    return v;
  };
  for (const q of quotas) {
    if (q.year !== undefined && q.year !== year) continue;
    if (!isQuotaMetric(q.metric)) continue;
    get(targets, q.town)[q.metric] += q.target;
  }
  for (const lead of counted) {
    if (!lead.countedAt || localParts(lead.countedAt, tz).year !== year) continue;
    const add = leadContribution(lead);
    const v = get(done, lead.town);
    for (const m of QUOTA_METRICS) v[m] += add[m] ?? 0;
  }
  for (const p of opts.patents ?? []) {
    if (!p.period.startsWith(`${year}-`)) continue;
    const v = get(done, p.town);
    v.invention_patents += Math.max(0, p.inventionPatents || 0);
    v.utility_models += Math.max(0, p.utilityModels || 0);
  }
  const townNames = [...new Set([...targets.keys(), ...done.keys()])];
  const towns: TownProgress[] = townNames.map((town) => {
    const t = targets.get(town) ?? zeroValues();
    const d = done.get(town) ?? zeroValues();
    const metrics = Object.fromEntries(QUOTA_METRICS.map((m) => [m, metricProgress(d[m], t[m], share)])) as Record<QuotaMetric, MetricProgress>;
    return { town, metrics, completion: completionOf(metrics), rank: null };
  });

  const ranked = towns.filter((t) => t.completion !== null).sort((a, b) => b.completion! - a.completion! || a.town.localeCompare(b.town, 'zh-CN'));
  const EPS = 1e-9;
  ranked.forEach((t, i) => {
    const prev = ranked[i - 1];
    t.rank = prev && Math.abs(prev.completion! - t.completion!) < EPS ? prev.rank : i + 1;
  });
  const unranked = towns.filter((t) => t.completion === null).sort((a, b) => a.town.localeCompare(b.town, 'zh-CN'));

  const cityMetrics = Object.fromEntries(
    QUOTA_METRICS.map((m) => {
      const d = towns.reduce((s, t) => s + t.metrics[m].done, 0);
      const tg = towns.reduce((s, t) => s + t.metrics[m].target, 0);
      return [m, metricProgress(d, tg, share)];
    }),
  ) as Record<QuotaMetric, MetricProgress>;

  return {
    year,
    share,
    towns: [...ranked, ...unranked],
    city: { metrics: cityMetrics, completion: completionOf(cityMetrics) },
    rule: opts.rule ?? 'registered',
  };
}

export interface LaggingEntry {
  town: string;
  metric: QuotaMetric;
  done: number;
  target: number;
  expected: number;
  /** expected − done. */
  gap: number;
}

/** Every (town, metric) with a target whose done is below `share` × expected pace (default 0.8). */
export function laggingTowns(progress: QuotaProgress, share = 0.8): LaggingEntry[] {
  const out: LaggingEntry[] = [];
  for (const t of progress.towns) {
    for (const metric of QUOTA_METRICS) {
      const p = t.metrics[metric];
      if (p.target > 0 && p.done < share * p.expected) {
        out.push({ town: t.town, metric, done: p.done, target: p.target, expected: p.expected, gap: p.gap });
      }
    }
  }
  return out;
}

export interface ReachedEntry {
  town: string;
  metric: QuotaMetric;
  done: number;
  target: number;
}

/** Whether `town` has reached every one of its positive targets (false when it has none). */
export function reachedAllTargets(progress: QuotaProgress, town: string): boolean {
  const t = progress.towns.find((x) => x.town === town);
  if (!t) return false;
  const withTarget = QUOTA_METRICS.filter((m) => t.metrics[m].target > 0);
  return withTarget.length > 0 && withTarget.every((m) => t.metrics[m].done >= t.metrics[m].target);
}

/** Every (town, metric) whose done has reached a positive target. */
export function reachedTargets(progress: QuotaProgress): ReachedEntry[] {
  const out: ReachedEntry[] = [];
  for (const t of progress.towns) {
    for (const metric of QUOTA_METRICS) {
      const p = t.metrics[metric];
      if (p.target > 0 && p.done >= p.target) out.push({ town: t.town, metric, done: p.done, target: p.target });
    }
  }
  return out;
}
