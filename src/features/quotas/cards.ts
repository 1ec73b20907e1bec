// Cards of 任务分解表 and 任务进度: the import preview, refusals and results, the progress table with its
// chart, and the cards of the quota-alerts job (预警 per town, the leaders' ranking, 表彰).
import { carrierTargetsLine, type CarrierProgress } from '../carriers/carrier.ts';
import type { CardJson } from '../../platform/lark/types.ts';
import {
  barChart, button, buttonRow, card, collapsible, fitCard, greyText, header, hr, keyValues, markdown, moreItems, noticeCard,
  raw, table, type CardElement, type TableColumn, type TableRow,
} from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import type { CountRule } from '../../office/config.ts';
import {
  COUNT_RULE_LABELS, countRuleNote, METRIC_LABELS, QUOTA_METRICS, yearPace,
  type LaggingEntry, type MetricProgress, type MetricValues, type QuotaProgress, type ReachedEntry, type TownProgress,
} from './quota.ts';
import { localDate } from '../../platform/time.ts';
import { YEAR_SOURCE_LABELS, metricsLine, type YearSource } from './import.ts';
import type { TownTargets } from './store.ts';

export const IMPORT_CONFIRM = 'quota.import.confirm';
export const IMPORT_CANCEL = 'quota.import.cancel';

/** Short metric names for narrow table columns. */
const SHORT_LABELS: Record<string, string> = {
  projects: '总数',
  invention_patents: '发明专利',
  utility_models: '实用新型',
  platforms: '平台类',
  funds: '基金类',
};

/** A number with at most one decimal: 12, 12.5. */
export function fmt(n: number): string {
  const r = Math.round(n * 10) / 10;
  return Number.isInteger(r) ? String(r) : r.toFixed(1);
}

/** A percentage with one decimal, or — when there is nothing to divide by. */
export function pct(percent: number | null): string {
  return percent === null ? '—' : `${fmt(percent)}%`;
}

// ---- import ------------------------------------------------------------------------------------------

export interface PreviewInput {
  draftId: number;
  fileName: string;
  year: number;
  yearSource: YearSource;
  rows: TownTargets[];
  totals: MetricValues;
  statedTotals?: Partial<MetricValues>;
  warnings: string[];
  /** Towns that already have quotas in that year (they will be replaced). */
  existingTowns: number;
}

/** What was read from the file, with 确认导入 / 取消. */
export function quotaPreviewCard(p: PreviewInput): CardJson {
  const columns: TableColumn[] = [
    { name: 'town', label: '镇区', width: 'auto' },
    ...QUOTA_METRICS.map((m) => ({ name: m, label: SHORT_LABELS[m], type: 'number' as const })),
  ];
  const row = (town: string, v: Partial<MetricValues>): TableRow => ({ town, ...Object.fromEntries(QUOTA_METRICS.map((m) => [m, v[m] ?? null])) });
  return fitCard((max) => {
    const shown = Number.isFinite(max) ? p.rows.slice(0, Math.max(0, max)) : p.rows;
    const rows = shown.map((r) => row(r.town, r));
    rows.push(row('合计（各镇区之和）', p.totals));
    if (p.statedTotals) rows.push(row('表中合计行', p.statedTotals));
    const elements: CardElement[] = [
      keyValues([
        ['文件', p.fileName],
        ['导入年份', `${p.year} 年（${YEAR_SOURCE_LABELS[p.yearSource]}）`],
        ['镇区', `${p.rows.length} 个`],
        ['全年目标合计', metricsLine(p.totals)],
        ['导入后', p.existingTowns > 0 ? `替换 ${p.year} 年现有的任务分解表（${p.existingTowns} 个镇区）` : `${p.year} 年尚无任务分解表，将新建`],
      ]),
      table(columns, rows, 10),
    ];
    if (shown.length < p.rows.length) elements.push(markdown(greyText(`表格仅显示前 ${shown.length} 个镇区，另有 ${p.rows.length - shown.length} 个镇区将一并导入。`), 'notation'));
    if (p.warnings.length > 0) {
      elements.push(markdown(`**请注意（${p.warnings.length} 条）**\n${p.warnings.map((w) => `- ${md(w)}`).join('\n')}`));
    }
    elements.push(markdown(greyText(`年份不对？请先发送「/quota import 年份」，再重新发送文件。`), 'notation'));
    elements.push(
      buttonRow([
        button('确认导入', { action: IMPORT_CONFIRM, draftId: p.draftId }, 'primary_filled', {
          confirm: { title: '确认导入', text: `将用本表替换 ${p.year} 年的全部任务目标。` },
        }),
        button('取消', { action: IMPORT_CANCEL, draftId: p.draftId }),
      ]),
    );
    return card(header(`任务分解表预览 · ${p.year} 年`, 'blue', '请核对后确认导入'), elements);
  });
}

/** A refused file: every error with its row number; nothing was stored. */
export function quotaErrorsCard(fileName: string, errors: string[]): CardJson {
  return noticeCard(
    '任务分解表未导入',
    [`文件「${md(fileName)}」中发现 ${errors.length} 处问题，**未导入任何数据**。请修改后重新发送：`, ...errors.map((e) => `- ${md(e)}`)],
    'red',
  );
}

export function quotaImportedCard(year: number, towns: number, totals: MetricValues, replaced: number): CardJson {
  return noticeCard(
    `已导入 ${year} 年任务分解表`,
    [
      `**镇区**：${towns} 个`,
      `**全年目标合计**：${md(metricsLine(totals))}`,
      replaced > 0 ? `已替换原有的 ${replaced} 条目标。` : '',
      '发送「/quota」或「任务进度」查看完成情况。',
    ].filter(Boolean),
    'green',
  );
}

export function quotaCancelledCard(year: number): CardJson {
  return noticeCard('已取消导入', [`${year} 年任务分解表未做任何修改。`], 'grey');
}

// ---- progress ----------------------------------------------------------------------------------------

export interface ProgressCardInput {
  officeName: string;
  progress: QuotaProgress;
  now: Date;
  tz: string;
  /** A metric below this share of its pace is shown in red (office.quota.alertShare). */
  alertShare: number;
  /** The city targets as the imported table's 合计 row stated them (kept beside the towns' sum). */
  statedTargets?: Partial<MetricValues>;
  /** 科创载体 against the office's carrier targets, when the year has carriers. */
  carriers?: CarrierProgress;
}

/** Marks a lagging progress cell (tables cannot colour text). */
const LAG_MARK = '⚠️';

function isLagging(p: MetricProgress, alertShare: number): boolean {
  return p.target > 0 && p.done < alertShare * p.expected;
}

/**
 * What a town should have done by now, as a whole number (a fraction of a project means nothing to a reader):
 * rounded up, so a town behind its pace always falls short of the number shown (0.9 of a platform → 1).
 */
export function expectedWhole(p: Pick<MetricProgress, 'expected'>): number {
  return Math.max(0, Math.ceil(p.expected - 1e-9));
}

/** The narrow table cell: "3/22", "⚠️ 3/22" when behind the pace, "1（无目标）" when done without a target. */
function progressCell(p: MetricProgress, alertShare: number) {
  if (p.target === 0) return p.done > 0 ? `${p.done}（无目标）` : '—';
  const text = `${p.done}/${p.target}`;
  // No <font> colour in table cells (not documented for them, see validate.ts): a lagging cell is marked ⚠️.
  return raw(isLagging(p, alertShare) ? `${LAG_MARK}\u00a0${md(text)}` : md(text)); // the mark never sits alone on a line
}

/** One metric in the detail panel: "发明专利 ⚠️ 3/22（13.6%，应 11）", "平台类 1（无目标）". */
function detailPart(metric: string, p: MetricProgress, alertShare: number, showExpected: boolean): string {
  if (p.target === 0) return `${SHORT_LABELS[metric]} ${p.done > 0 ? `${p.done}（无目标）` : '—'}`;
  const mark = isLagging(p, alertShare) ? `${LAG_MARK}\u00a0` : '';
  return `${SHORT_LABELS[metric]} ${mark}${p.done}/${p.target}（${pct(p.percent)}${showExpected ? `，应 ${expectedWhole(p)}` : ''}）`;
}

function completionText(c: number | null): string {
  return c === null ? '—' : pct(c * 100);
}

function townRow(t: { rank: number | null; town: string; metrics: Record<string, MetricProgress>; completion: number | null }, alertShare: number): TableRow {
  return {
    rank: t.rank === null ? '—' : String(t.rank),
    town: t.town,
    projects: progressCell(t.metrics.projects, alertShare),
    completion: completionText(t.completion),
  };
}

/**
 * "截至 … · 序时进度 …" of a progress view: a past year is as of its 31 December (全年), a future year has not
 * begun (nothing expected yet), the current year is as of today with its elapsed share.
 */
function paceHeadline(year: number, share: number, now: Date, tz: string): { asOf: string; pace: string } {
  const p = yearPace(year, now, tz);
  const pace = p.phase === 'past' ? '全年' : p.phase === 'future' ? `${year} 年尚未开始，暂无序时进度要求` : `序时进度 ${fmt(share * 100)}%`;
  return { asOf: `截至 ${p.asOf}`, pace };
}

/** "全市目标（任务分解表合计行）：总数 400 · 发明专利 400 · 实用新型 2000；各镇区目标之和 398 · 398 · 1990". */
function statedLine(stated: Partial<MetricValues> | undefined, progress: QuotaProgress): CardElement[] {
  if (!stated) return [];
  const metrics = QUOTA_METRICS.filter((m) => stated[m] !== undefined);
  if (metrics.length === 0) return [];
  const statedText = metrics.map((m) => `${SHORT_LABELS[m]} ${stated[m]}`).join(' · ');
  const sumText = metrics.map((m) => `${SHORT_LABELS[m]} ${progress.city.metrics[m].target}`).join(' · ');
  const same = metrics.every((m) => stated[m] === progress.city.metrics[m].target);
  return [markdown(same ? `全市目标（任务分解表合计行）：${statedText}` : `全市目标（任务分解表合计行）：${statedText}\n各镇区目标之和：${sumText}（完成率按各镇区之和计算）`, 'notation')];
}

/**
 * `/quota`, phone-first (≈ 360 px): the city's figures first, then a four-column table (排名, 镇区, 总数,
 * 综合完成率), every town's other metrics in a folded panel, and the completion chart with 序时进度 as a line.
 */
export function quotaProgressCard(input: ProgressCardInput): CardJson {
  const { progress, alertShare } = input;
  const phase = yearPace(progress.year, input.now, input.tz).phase;
  const headline = paceHeadline(progress.year, progress.share, input.now, input.tz);
  const columns: TableColumn[] = [
    { name: 'rank', label: '排名', width: 'auto' }, // table column width: auto, [80,600]px or a percentage
    { name: 'town', label: '镇区', width: 'auto' },
    { name: 'projects', label: '总数', type: 'markdown', width: 'auto' },
    { name: 'completion', label: '综合完成率', width: 'auto' },
  ];
  const city = { rank: null, town: '全市合计', metrics: progress.city.metrics, completion: progress.city.completion };
  const ranked = progress.towns.filter((t) => t.completion !== null);
  const pace = fmt(progress.share * 100);
  const showExpected = phase !== 'future';
  return fitCard((max) => {
    const shown = Number.isFinite(max) ? progress.towns.slice(0, Math.max(0, max)) : progress.towns;
    const detailLines = [...shown, city].map(
      (t) => `**${md(t.town)}**：${QUOTA_METRICS.map((m) => detailPart(m, t.metrics[m], alertShare, showExpected)).join(' · ')}`,
    );
    const elements: CardElement[] = [
      markdown(
        `**全市合计**（${phase === 'current' ? `序时进度 ${pace}%` : phase === 'past' ? '全年' : '尚未开始'}）· 综合完成率 ${completionText(progress.city.completion)}\n` +
          QUOTA_METRICS.map((m) => {
            const p = progress.city.metrics[m];
            return `- ${METRIC_LABELS[m]}：${p.done} / ${p.target}（${pct(p.percent)}）${phase === 'current' ? `，应完成 ${expectedWhole(p)}` : ''}`;
          }).join('\n'),
      ),
      ...statedLine(input.statedTargets, progress),
      ...(input.carriers ? [markdown(carrierTargetsLine(input.carriers))] : []),
      table(columns, [...shown.map((t) => townRow(t, alertShare)), townRow(city, alertShare)], 10),
      collapsible(`**各镇区分项明细**（发明专利、实用新型、平台类、基金类）`, [markdown(detailLines.join('\n'))]),
    ];
    if (shown.length < progress.towns.length) {
      elements.push(markdown(greyText(`${moreItems(progress.towns.length - shown.length)} 完整表格请发送「/quota export ${progress.year}」导出。`), 'notation'));
    }
    if (ranked.length > 0) {
      elements.push(
        barChart(
          '各镇区综合完成率（%）',
          ranked.map((t) => t.town),
          [{ name: '综合完成率', values: ranked.map((t) => Math.round(t.completion! * 1000) / 10) }],
          phase === 'current' ? { value: Math.round(progress.share * 1000) / 10, label: `序时进度 ${pace}%` } : undefined,
        ),
      );
    }
    elements.push(
      markdown(
        greyText(
          `「3/22」为完成/目标，「应」为序时应完成数（取整），「无目标」表示该镇区此项目标为 0 但已有完成；${
            phase === 'past' ? `${progress.year} 年已结束，应完成数即全年目标，${LAG_MARK} 表示完成不足全年目标的 ${fmt(alertShare * 100)}%` : `${LAG_MARK} 表示低于序时进度的 ${fmt(alertShare * 100)}%`
          }。${countRuleNote(progress.rule)}综合完成率为各指标完成率（封顶 100%）的平均值。`,
        ),
        'notation',
      ),
    );
    return card(header(`${input.officeName}${progress.year}年科技招商任务进度`, 'blue', `${headline.asOf} · ${headline.pace} · ${COUNT_RULE_LABELS[progress.rule]}`), elements);
  });
}

// ---- quota-alerts job --------------------------------------------------------------------------------

function metricLine(e: LaggingEntry): string {
  const expected = expectedWhole(e); // whole projects and patents
  return `- **${METRIC_LABELS[e.metric]}**：已完成 ${e.done}，序时应完成 ${expected}，差 ${Math.max(0, expected - e.done)}（全年目标 ${e.target}）`;
}

/** One town's metrics that lag behind the pace. */
export function quotaAlertCard(input: { town: string; year: number; entries: LaggingEntry[]; share: number; alertShare: number; rule: CountRule; now: Date; tz: string }): CardJson {
  const lines = [
    `截至 ${localDate(input.now, input.tz)}，${input.year} 年序时进度为 ${fmt(input.share * 100)}%。**${md(input.town)}**以下指标低于序时进度的 ${fmt(input.alertShare * 100)}%，请加快推进：`,
    ...input.entries.map(metricLine),
    greyText(countRuleNote(input.rule)),
  ];
  return noticeCard(`任务进度预警 · ${input.town}`, lines, 'orange');
}

/** The leaders' monthly ranking of all towns, with the metrics that lag. */
export function leaderSummaryCard(input: { officeName: string; progress: QuotaProgress; lagging: LaggingEntry[]; now: Date; tz: string }): CardJson {
  const { progress } = input;
  const lagByTown = new Map<string, string[]>();
  for (const e of input.lagging) lagByTown.set(e.town, [...(lagByTown.get(e.town) ?? []), SHORT_LABELS[e.metric]]);
  const columns: TableColumn[] = [
    { name: 'rank', label: '排名', width: '80px' },
    { name: 'town', label: '镇区', width: 'auto' },
    { name: 'completion', label: '综合完成率', width: 'auto' },
    { name: 'projects', label: '总数', width: 'auto' },
    { name: 'lagging', label: '落后于序时进度', type: 'markdown', width: 'auto' },
  ];
  const row = (t: Pick<TownProgress, 'rank' | 'town' | 'metrics' | 'completion'>): TableRow => {
    const lag = lagByTown.get(t.town) ?? [];
    const p = t.metrics.projects;
    return {
      rank: t.rank === null ? '—' : String(t.rank),
      town: t.town,
      completion: completionText(t.completion),
      projects: p.target > 0 ? `${p.done}/${p.target}` : p.done > 0 ? `${p.done}/—` : '—',
      lagging: lag.length > 0 ? lag.join('、') : '—',
    };
  };
  return fitCard((max) => {
    const shown = Number.isFinite(max) ? progress.towns.slice(0, Math.max(0, max)) : progress.towns;
    const elements: CardElement[] = [
      markdown(
        `截至 ${localDate(input.now, input.tz)}，序时进度 ${fmt(progress.share * 100)}%，全市综合完成率 ${completionText(progress.city.completion)}；` +
          `${lagByTown.size > 0 ? `${lagByTown.size} 个镇区有指标落后于序时进度。` : '各镇区均未明显落后于序时进度。'}`,
      ),
      table(columns, [...shown.map(row), row({ rank: null, town: '全市合计', metrics: progress.city.metrics, completion: progress.city.completion })], 10),
    ];
    if (shown.length < progress.towns.length) elements.push(markdown(greyText(moreItems(progress.towns.length - shown.length)), 'notation'));
    elements.push(hr(), markdown(greyText(`${countRuleNote(progress.rule)}发送「/quota」查看各指标明细，「/quota export」导出表格。`), 'notation'));
    return card(header(`${input.officeName}${progress.year}年科技招商任务进度排名`, 'indigo', COUNT_RULE_LABELS[progress.rule]), elements);
  });
}

/**
 * 表彰: a town reached one or more full-year targets. The card names the metrics reached; only when
 * `allReached` (every metric with a target is met) does it say the whole year's target is complete.
 */
export function commendationCard(input: { town: string; year: number; entries: ReachedEntry[]; allReached?: boolean }): CardJson {
  const names = input.entries.map((e) => `「${METRIC_LABELS[e.metric]}」`).join('、');
  const lines = [
    `祝贺 **${md(input.town)}** 完成 ${input.year} 年${names}任务目标：`,
    ...input.entries.map((e) => `- **${METRIC_LABELS[e.metric]}**：已完成 ${e.done}，全年目标 ${e.target}`),
    input.allReached ? `至此，**${md(input.town)}** 已全面完成 ${input.year} 年科技招商任务目标（各项指标均已达标）。` : '',
    '特此表彰，望再接再厉！',
  ].filter(Boolean);
  return noticeCard(`表彰 · ${input.town}`, lines, 'green');
}
