// Renders the digests computed by src/features/digests/digest.ts as Card JSON 2.0. Every card goes through fitCard:
// whatever the data size, it stays within 30 KB, and a list that had to be cut ends with "另有 N 项…" and
// the command that shows the rest.
import type { CardJson } from '../../platform/lark/types.ts';
import {
  card, header, markdown, hr, table, fitCard, truncateList, moreItems, pieChart, barChart,
  type CardElement, type TableColumn, type TableRow,
} from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import {
  DIGEST_LABELS, laggingSummary, RETURNS_NEEDING_COORDINATION,
  type BimonthlyDigest, type Change, type MonthlyDigest, type WaitingItem, type WeeklyDigest,
} from './digest.ts';
import { LEAD_KINDS } from '../../office/config.ts';
import { LEAD_KIND_LABELS, leadKindLabel } from '../leads/lead.ts';
import { LEAD_STATUS_LABELS, PENDING_STEP_LABELS, STEP_KINDS, type LeadStatus, type StepKind } from '../approval/workflow.ts';
import { METRIC_LABELS, QUOTA_METRICS, type MetricProgress, type TownProgress } from '../quotas/quota.ts';
import { localParts } from '../../platform/time.ts';
import { FOLLOW_UP_ANSWER_DAYS, STAGE_LABELS, isoDate, isStageCode } from '../lifecycle/lifecycle.ts';
import { tierLabel } from '../leads/scoring.ts';

export type Digest = WeeklyDigest | BimonthlyDigest | MonthlyDigest;

/**
 * Rows per list that can never fit in 30 KB anyway (a row takes well over 60 bytes): lists are cut here
 * before fitCard measures, so a digest over 100,000 leads does not build a 100,000-row card first.
 */
const HARD_MAX_ROWS = 500;
/** Categories in a chart; the rest are added up as "其他". */
const CHART_MAX_CATEGORIES = 12;
/** Where the rest of a cut list of projects can be seen. */
const SEE_LEADS = '发送「/lead 项目编号」查看项目详情，「/find 关键词」查找项目';
/** Where the whole activity calendar and the quota table can be seen. */
const SEE_ACTIVITIES = '发送 /activities 查看全年活动安排';
const SEE_QUOTA = '发送 /quota 查看各镇区完成情况';

// ---- small formatters -----------------------------------------------------------------------------------

/** "11月16日 09:17" in the office time zone. */
export function formatMoment(at: Date, tz: string): string {
  const p = localParts(at, tz);
  return `${p.month}月${p.day}日 ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}

/** "2026-11-28" → "11月28日". */
function formatDay(isoDay: string): string {
  const [, m, d] = isoDay.split('-').map(Number);
  return `${m}月${d}日`;
}

const percent = (x: number | null, digits = 1) => (x === null ? '—' : `${(x * 100).toFixed(digits)}%`);
const round1 = (x: number) => Math.round(x * 10) / 10;

function leadStatusLabel(status: string, step: string | null): string {
  if (status === 'pending' && step && step in PENDING_STEP_LABELS) return PENDING_STEP_LABELS[step as StepKind];
  return LEAD_STATUS_LABELS[status as LeadStatus] ?? status;
}

function waitingLabel(item: WaitingItem): string {
  return item.status === 'returned' ? '退回修改（待登记人修改）' : leadStatusLabel('pending', item.step);
}

/** The first `max` rows (never more than HARD_MAX_ROWS) and how many were left out. */
function cut<T>(rows: readonly T[], max: number): { shown: T[]; left: number } {
  const n = Math.min(rows.length, Math.max(0, Math.floor(Math.min(max, HARD_MAX_ROWS))));
  return { shown: rows.slice(0, n), left: rows.length - n };
}

/** A table of `rows` cut to `max`, followed by "另有 N 项…，<hint>" when some were left out. */
function cutTable(columns: TableColumn[], rows: readonly TableRow[], max: number, hint: string): CardElement[] {
  const { shown, left } = cut(rows, max);
  const out: CardElement[] = [];
  if (shown.length > 0) out.push(table(columns, shown));
  if (left > 0) out.push(markdown(`${moreItems(left)}${shown.length > 0 ? '' : '（卡片篇幅有限，未能列出）'}${md(hint)}`, 'notation'));
  return out;
}

function section(title: string): CardElement {
  return markdown(`**${title}**`);
}

// ---- 周例会 -------------------------------------------------------------------------------------------

const KIND_COLUMNS: TableColumn[] = LEAD_KINDS.map((k) => ({ name: k, label: LEAD_KIND_LABELS[k], type: 'number' as const }));

const WAITING_COLUMNS: TableColumn[] = [
  { name: 'code', label: '项目编号' },
  { name: 'name', label: '项目名称' },
  { name: 'town', label: '镇区' },
  { name: 'step', label: '当前环节' },
  { name: 'days', label: '已等待（天）', type: 'number' },
];

function waitingRows(items: readonly WaitingItem[]): TableRow[] {
  return items.map((i) => ({ code: i.code, name: i.projectName, town: i.town, step: waitingLabel(i), days: i.days }));
}

export function weeklyCard(d: WeeklyDigest, tz: string): CardJson {
  const { year, week } = parsePeriodWeek(d.period);
  const title = `${DIGEST_LABELS.weekly} · ${year}年第${week}周`;
  const subtitle = `统计区间：${formatMoment(d.window.from, tz)} — ${formatMoment(d.window.to, tz)}`;
  const kindLine = LEAD_KINDS.map((k) => `${LEAD_KIND_LABELS[k]} ${d.newLeads.byKind[k]}`).join(' · ');
  const dec = d.decisions;
  const queueRows = waitingRows(d.queue);
  const stuckRows = waitingRows(d.stuck);
  const activityLines = d.activities.map((a) => {
    const when = a.monthOnly ? `${formatDay(a.startsOn).replace(/\d+日$/, '')}（具体日期待定）` : `${formatDay(a.startsOn)}（${a.daysAway === 0 ? '今天' : `${a.daysAway} 天后`}）`;
    return `- ${when} ${md(a.name)}${a.organizer ? ` · 主办：${md(a.organizer)}` : ''}`;
  });

  // Charts: new leads per town, one bar per kind (the busiest towns, the rest as 其他), and the queue per step.
  const townChart = topCategories(
    d.newLeads.rows.map((r) => ({ label: r.town, byKind: r.byKind })),
    (r) => LEAD_KINDS.map((k) => r.byKind[k]),
    CHART_MAX_CATEGORIES,
  );
  const stepCounts = STEP_KINDS.map((step) => [PENDING_STEP_LABELS[step], d.queue.filter((q) => q.step === step).length] as const).filter(([, n]) => n > 0);

  return fitCard((max) => {
    const els: CardElement[] = [markdown(subtitle, 'notation')];
    els.push(section(`本周新增项目 ${d.newLeads.total} 项`));
    if (d.newLeads.total === 0) els.push(markdown('本周没有新增项目。'));
    else {
      els.push(markdown(kindLine, 'notation'));
      const rows: TableRow[] = d.newLeads.rows.map((r) => ({ town: r.town, ...r.byKind, total: r.total }));
      const { shown, left } = cut(rows, max);
      els.push(table([{ name: 'town', label: '镇区' }, ...KIND_COLUMNS, { name: 'total', label: '合计', type: 'number' }], [...shown, { town: '合计', ...d.newLeads.byKind, total: d.newLeads.total }]));
      if (left > 0) els.push(markdown(`${moreItems(left)}（其余镇区已计入合计）`, 'notation'));
    }
    if (townChart.labels.length > 0) {
      els.push(barChart('本周新增项目按镇区（项）', townChart.labels, LEAD_KINDS.filter((k) => d.newLeads.byKind[k] > 0).map((k) => ({
        name: LEAD_KIND_LABELS[k],
        values: townChart.series.map((v) => v[LEAD_KINDS.indexOf(k)]),
      }))));
    }
    els.push(section('本周审批'));
    els.push(markdown(`同意 ${dec.approve} 次 · 驳回 ${dec.reject} 次 · 退回修改 ${dec.return} 次；完成全部审批 ${dec.approvedLeads} 项`));
    els.push(hr());
    els.push(section(`待审批 ${d.queue.length} 项`));
    if (d.queue.length === 0) els.push(markdown('当前没有待审批的项目。'));
    else {
      els.push(barChart('待审批项目按环节（项）', stepCounts.map(([label]) => label), [{ name: '待审批', values: stepCounts.map(([, n]) => n) }]));
      els.push(markdown('按等待时间排序，最早的在前', 'notation'));
      els.push(...cutTable(WAITING_COLUMNS, queueRows, max, `，${SEE_LEADS}`));
    }
    els.push(section(`停滞超过 ${d.stuckDays} 天 ${d.stuck.length} 项`));
    if (d.stuck.length === 0) els.push(markdown(`没有停滞超过 ${d.stuckDays} 天的项目。`));
    else els.push(...cutTable(WAITING_COLUMNS, stuckRows, max, `，${SEE_LEADS}`));
    els.push(hr());
    els.push(section(`未来 14 天活动 ${d.activities.length} 项`));
    els.push(markdown(d.activities.length === 0 ? '未来 14 天没有活动安排。' : truncateList(activityLines, Math.min(max, HARD_MAX_ROWS), (n) => `${moreItems(n)}，${SEE_ACTIVITIES}`).join('\n')));
    return card(header(title, 'blue'), els, `${title}：新增 ${d.newLeads.total} 项，待审批 ${d.queue.length} 项`);
  });
}

function parsePeriodWeek(period: string): { year: number; week: number } {
  const m = /^(\d{4})-W(\d{2})$/.exec(period);
  return m ? { year: Number(m[1]), week: Number(m[2]) } : { year: 0, week: 0 };
}

// ---- 双月例会 -----------------------------------------------------------------------------------------

const metricCell = (p: MetricProgress) => (p.target > 0 || p.done > 0 ? `${p.done}/${p.target}` : '—');

function progressRow(name: string, metrics: TownProgress['metrics'], completion: number | null, lagging: boolean | null): TableRow {
  const row: TableRow = { town: name };
  for (const m of QUOTA_METRICS) row[m] = metricCell(metrics[m]);
  row.completion = percent(completion);
  row.state = lagging === null ? '' : lagging ? '滞后' : '正常';
  return row;
}

const PROGRESS_COLUMNS: TableColumn[] = [
  { name: 'town', label: '镇区' },
  ...QUOTA_METRICS.map((m) => ({ name: m, label: METRIC_LABELS[m] })),
  { name: 'completion', label: '综合完成率' },
  { name: 'state', label: '进度' },
];

export function bimonthlyCard(d: BimonthlyDigest, tz: string): CardJson {
  const block = Number(d.period.slice(-1));
  const title = `${DIGEST_LABELS.bimonthly} · ${d.period.slice(0, 4)}年${block * 2 - 1}–${block * 2}月`;
  const subtitle = `项目动态：${d.windowLabel}；任务进度截至 ${formatMoment(d.progressAsOf, tz)}`;
  const laggingTownsSet = new Set(d.lagging.map((l) => l.town));
  const progressRows = d.progress.towns.map((t) => progressRow(t.town, t.metrics, t.completion, t.completion === null ? null : laggingTownsSet.has(t.town)));
  const keyRows: TableRow[] = d.keyProjects.map((k) => ({
    code: k.code,
    name: k.projectName,
    town: k.town,
    kind: leadKindLabel(k.kind),
    tier: [k.major ? '重大项目' : '', tierLabel(k.tier)].filter(Boolean).join('、'),
    status: leadStatusLabel(k.status, k.step),
    stage: k.stage && isStageCode(k.stage) ? STAGE_LABELS[k.stage] : '—',
  }));
  const coordRows: TableRow[] = d.coordination.map((c) => ({
    code: c.code,
    name: c.projectName,
    town: c.town,
    step: waitingLabel(c),
    days: c.days,
    returns: c.returns,
    why: [c.stuck ? `停滞 ${c.days} 天` : '', c.returns >= RETURNS_NEEDING_COORDINATION ? `退回 ${c.returns} 次` : ''].filter(Boolean).join('，'),
  }));
  const moveRows: TableRow[] = d.movements.map((m) => ({
    code: m.code,
    name: m.projectName,
    town: m.town,
    stage: isStageCode(m.stage) ? STAGE_LABELS[m.stage] : m.stage,
    date: isoDate(m.date), // a stored calendar day (UTC midnight)
  }));
  const moveCounts = Object.entries(d.movementCounts)
    .map(([stage, n]) => `${isStageCode(stage) ? STAGE_LABELS[stage] : md(stage)} ${n}`)
    .join(' · ');
  const lag = laggingSummary(d.lagging, d.progress.towns.map((t) => t.town));

  return fitCard((max) => {
    const els: CardElement[] = [markdown(subtitle, 'notation')];
    els.push(section(`${d.progress.year} 年任务进度`));
    els.push(markdown(`序时进度 ${percent(d.progress.share)}（全年时间已过比例）；全市综合完成率 ${percent(d.progress.city.completion)}`, 'notation'));
    if (progressRows.length === 0) els.push(markdown(`尚未导入 ${d.progress.year} 年任务分解表，也没有已通过的项目。`));
    else {
      const { shown, left } = cut(progressRows, max);
      els.push(table(PROGRESS_COLUMNS, [...shown, progressRow('全市', d.progress.city.metrics, d.progress.city.completion, null)]));
      if (left > 0) els.push(markdown(`${moreItems(left)}（已计入全市合计），${SEE_QUOTA}`, 'notation'));
    }
    if (lag.length > 0) els.push(markdown(`**滞后镇区**：${truncateList(lag.map(md), Math.min(max, HARD_MAX_ROWS)).join('；')}`));
    els.push(hr());
    els.push(section(`重点项目 ${d.keyProjects.length} 项`));
    if (keyRows.length === 0) els.push(markdown('暂无重点类或重大项目。'));
    else {
      els.push(...cutTable(
        [
          { name: 'code', label: '项目编号' }, { name: 'name', label: '项目名称' }, { name: 'town', label: '镇区' },
          { name: 'kind', label: '类别' }, { name: 'tier', label: '分级' }, { name: 'status', label: '审批状态' }, { name: 'stage', label: '进展' },
        ],
        keyRows, max, `，${SEE_LEADS}`,
      ));
    }
    els.push(section(`需协调事项 ${d.coordination.length} 项`));
    if (coordRows.length === 0) els.push(markdown(`没有停滞超过 ${d.stuckDays} 天或退回 ${RETURNS_NEEDING_COORDINATION} 次以上的项目。`));
    else {
      els.push(markdown(`停滞超过 ${d.stuckDays} 天，或退回修改 ${RETURNS_NEEDING_COORDINATION} 次以上`, 'notation'));
      els.push(...cutTable(
        [
          { name: 'code', label: '项目编号' }, { name: 'name', label: '项目名称' }, { name: 'town', label: '镇区' },
          { name: 'step', label: '当前状态' }, { name: 'days', label: '已等待（天）', type: 'number' },
          { name: 'returns', label: '退回次数', type: 'number' }, { name: 'why', label: '原因' },
        ],
        coordRows, max, `，${SEE_LEADS}`,
      ));
    }
    els.push(hr());
    els.push(section(`项目进展（${d.windowLabel}）${d.movements.length} 项`));
    if (moveRows.length === 0) els.push(markdown('本期没有登记新的项目进展。'));
    else {
      els.push(markdown(moveCounts, 'notation'));
      els.push(...cutTable(
        [{ name: 'code', label: '项目编号' }, { name: 'name', label: '项目名称' }, { name: 'town', label: '镇区' }, { name: 'stage', label: '进展' }, { name: 'date', label: '日期' }],
        moveRows, max, `，${SEE_LEADS}`,
      ));
    }
    return card(header(title, 'indigo'), els, `${title}：重点项目 ${d.keyProjects.length} 项，需协调 ${d.coordination.length} 项`);
  });
}

// ---- 一月一报 -----------------------------------------------------------------------------------------

function changeCell(c: Change): string {
  if (c.change === 0) return '持平';
  const sign = c.change > 0 ? '+' : '−';
  return `${sign}${Math.abs(c.change)}${c.ratio === null ? '' : `（${sign}${(Math.abs(c.ratio) * 100).toFixed(1)}%）`}`;
}

/** Top categories by value, the rest added up as "其他". */
function topCategories<T extends { label: string }>(items: readonly T[], values: (i: T) => number[], max: number): { labels: string[]; series: number[][] } {
  const head = items.slice(0, max);
  const tail = items.slice(max);
  const labels = head.map((i) => i.label);
  const series = head.map(values);
  if (tail.length > 0) {
    labels.push(`其他（${tail.length} 项）`);
    series.push(tail.map(values).reduce((acc, v) => acc.map((x, i) => x + v[i]), values(tail[0]).map(() => 0)));
  }
  return { labels, series };
}

export function monthlyCard(d: MonthlyDigest, _tz: string): CardJson {
  const title = `${DIGEST_LABELS.monthly} · ${d.monthLabel}`;
  const subtitle = `统计 ${d.monthLabel}，与 ${d.previousLabel} 对比`;
  const t = d.totals;
  const totalsTable = table(
    [{ name: 'metric', label: '指标' }, { name: 'current', label: '本月', type: 'number' }, { name: 'previous', label: '上月', type: 'number' }, { name: 'change', label: '环比' }],
    [
      { metric: '新增项目', current: t.newLeads.current, previous: t.newLeads.previous, change: changeCell(t.newLeads) },
      { metric: '审批通过', current: t.approved.current, previous: t.approved.previous, change: changeCell(t.approved) },
      { metric: '驳回', current: t.rejected.current, previous: t.rejected.previous, change: changeCell(t.rejected) },
    ],
  );
  const kinds = d.byKind.filter((k) => k.current > 0);
  const industries = d.byIndustry.filter((i) => i.current > 0 || i.previous > 0);
  const ind = topCategories(industries, (i) => [i.current, i.previous], CHART_MAX_CATEGORIES);
  const towns = d.progress.towns.filter((x) => x.completion !== null);
  // Completions cannot be added up like counts: towns past the chart's limit are named in the text instead.
  const chartTowns = towns.slice(0, CHART_MAX_CATEGORIES * 2);
  const lag = laggingSummary(d.lagging, d.progress.towns.map((x) => x.town));

  return fitCard((max) => {
    const els: CardElement[] = [markdown(subtitle, 'notation'), totalsTable];
    els.push(section('分析'));
    els.push(markdown(d.analysis.map(md).join('')));
    els.push(hr());
    if (kinds.length === 0) els.push(markdown(`**新增项目按类别**：${d.monthLabel}没有新增项目。`));
    else els.push(pieChart(`${d.monthLabel}新增项目按类别（项）`, kinds.map((k) => ({ name: k.label, value: k.current }))));
    if (industries.length === 0) els.push(markdown('**新增项目按产业方向**：本月和上月都没有新增项目。'));
    else {
      els.push(barChart('新增项目按产业方向（项）', ind.labels, [
        { name: '本月', values: ind.series.map((v) => v[0]) },
        { name: '上月', values: ind.series.map((v) => v[1]) },
      ]));
    }
    if (towns.length === 0) els.push(markdown(`**各镇区任务完成率**：尚未导入 ${d.progress.year} 年任务分解表。`));
    else {
      els.push(barChart(`各镇区任务综合完成率（%）`, chartTowns.map((x) => x.town), [
        { name: '综合完成率', values: chartTowns.map((x) => round1((x.completion ?? 0) * 100)) },
        { name: '序时进度', values: chartTowns.map(() => round1(d.progress.share * 100)) },
      ]));
      if (towns.length > chartTowns.length) els.push(markdown(`${moreItems(towns.length - chartTowns.length)}（其余镇区未在图中列出）`, 'notation'));
    }
    if (lag.length > 0) els.push(markdown(`**滞后镇区**：${truncateList(lag.map(md), Math.min(max, HARD_MAX_ROWS)).join('；')}`));
    if (d.silentFollowUps.length > 0) {
      const lines = d.silentFollowUps.map((f) => `${md(f.code)} ${md(f.projectName)}（${md(f.town)}，${md(f.ownerName)}）`);
      els.push(markdown(`**一月一报超过 ${FOLLOW_UP_ANSWER_DAYS} 天未反馈**：${truncateList(lines, Math.min(max, HARD_MAX_ROWS)).join('；')}`));
    }
    return card(header(title, 'turquoise'), els, `${title}：新增 ${t.newLeads.current} 项，通过 ${t.approved.current} 项`);
  });
}

// ---- any digest ---------------------------------------------------------------------------------------

export function digestCard(d: Digest, tz: string): CardJson {
  switch (d.kind) {
    case 'weekly':
      return weeklyCard(d, tz);
    case 'bimonthly':
      return bimonthlyCard(d, tz);
    case 'monthly':
      return monthlyCard(d, tz);
  }
}
