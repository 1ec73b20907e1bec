// Renders the digests computed by src/features/digests/digest.ts as Card JSON 2.0. Every card goes through fitCard:
// whatever the data size, it stays within 30 KB, and a list that had to be cut ends with "另有 N 项…" and
// the command that shows the rest.
import type { CardJson } from '../../platform/lark/types.ts';
import {
  card, collapsible, header, markdown, hr, table, fitCard, truncateList, moreItems, pieChart, barChart,
  type CardElement, type TableColumn, type TableRow,
} from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import {
  DIGEST_LABELS, rankedLagging, RETURNS_NEEDING_COORDINATION, type RankedLagging,
  type BimonthlyDigest, type Change, type MonthlyDigest, type WaitingItem, type WeeklyDigest,
} from './digest.ts';
import { LEAD_KINDS } from '../../office/config.ts';
import { LEAD_KIND_LABELS, leadKindLabel } from '../leads/lead.ts';
import { LEAD_STATUS_LABELS, PENDING_STEP_LABELS, STEP_KINDS, type LeadStatus, type StepKind } from '../approval/workflow.ts';
import { METRIC_LABELS, QUOTA_METRICS, type MetricProgress, type TownProgress } from '../quotas/quota.ts';
import { localParts } from '../../platform/time.ts';
import { FOLLOW_UP_ANSWER_DAYS, STAGE_LABELS, isoDate, isStageCode } from '../lifecycle/lifecycle.ts';

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

/** "11月16日" in the office time zone (统计区间 shows days, not clock times). */
export function formatDate(at: Date, tz: string): string {
  const p = localParts(at, tz);
  return `${p.month}月${p.day}日`;
}

/** A project code never wraps: its column is wide enough for 「KZ-2026-0001」 on a phone. */
const CODE_COLUMN: TableColumn = { name: 'code', label: '项目编号', width: '110px' };

/** "滞后镇区 2 个（综合完成率由低到高）：白蒲镇 25.0% · 丁堰镇 33.3%": every lagging town once, on one line. */
function laggingLine(lag: readonly RankedLagging[]): string {
  return `**滞后镇区 ${lag.length} 个**（综合完成率由低到高）：${lag.map((l) => `${md(l.town)} ${percent(l.completion)}`).join(' · ')}`;
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

const WAITING_COLUMNS: TableColumn[] = [
  CODE_COLUMN,
  { name: 'name', label: '项目名称' },
  { name: 'step', label: '环节' },
  { name: 'days', label: '天数', type: 'markdown' },
];

function waitingRows(items: readonly WaitingItem[], stuck: (i: WaitingItem) => boolean = () => false): TableRow[] {
  return items.map((i) => ({ code: i.code, name: `${i.projectName}（${i.town}）`, step: waitingLabel(i), days: stuck(i) ? `⚠️\u00a0${i.days}` : String(i.days) }));
}

/** "科创类 2、基金类 1": the kinds a town's new leads are, without the zeros. */
function kindsText(byKind: Record<string, number>): string {
  return LEAD_KINDS.filter((k) => byKind[k] > 0).map((k) => `${LEAD_KIND_LABELS[k]} ${byKind[k]}`).join('、');
}

export function weeklyCard(d: WeeklyDigest, tz: string): CardJson {
  const { year, week } = parsePeriodWeek(d.period);
  const title = `${DIGEST_LABELS.weekly} · ${year}年第${week}周`;
  const subtitle = `统计区间：${formatDate(d.window.from, tz)} — ${formatDate(d.window.to, tz)}`;
  const kindLine = LEAD_KINDS.map((k) => `${LEAD_KIND_LABELS[k]} ${d.newLeads.byKind[k]}`).join(' · ');
  const dec = d.leadDecisions;
  const stuckIds = new Set(d.stuck.map((s) => s.leadId));
  const queueRows = waitingRows(d.queue, (i) => stuckIds.has(i.leadId));
  // Stuck leads already in the queue table are marked ⚠️ there; only the returned ones are listed again.
  const stuckReturned = d.stuck.filter((s) => s.status === 'returned');
  const stuckRows = waitingRows(stuckReturned);
  const activityLines = d.activities.map((a) => {
    const when = a.monthOnly ? `${formatDay(a.startsOn).replace(/\d+日$/, '')}（具体日期待定）` : `${formatDay(a.startsOn)}（${a.daysAway === 0 ? '今天' : `${a.daysAway} 天后`}）`;
    return `- ${when} ${md(a.name)}${a.organizer ? ` · 主办：${md(a.organizer)}` : ''}`;
  });
  const stepCounts = STEP_KINDS.map((step) => [PENDING_STEP_LABELS[step], d.queue.filter((q) => q.step === step).length] as const).filter(([, n]) => n > 0);

  return fitCard((max) => {
    // Key figures first: what a leader reads before scrolling.
    const els: CardElement[] = [
      markdown(subtitle, 'notation'),
      markdown(`**新增 ${d.newLeads.total} 项 · 审批通过 ${dec.approved} 项 · 待审批 ${d.queue.length} 项 · 停滞 ${d.stuck.length} 项**`),
    ];
    els.push(section(`本周新增项目 ${d.newLeads.total} 项`));
    if (d.newLeads.total === 0) els.push(markdown('本周没有新增项目。'));
    else {
      els.push(markdown(kindLine, 'notation'));
      const rows: TableRow[] = d.newLeads.rows.map((r) => ({ town: r.town, total: r.total, kinds: kindsText(r.byKind) }));
      const { shown, left } = cut(rows, max);
      els.push(table([{ name: 'town', label: '镇区', width: 'auto' }, { name: 'total', label: '项目数', type: 'number' }, { name: 'kinds', label: '类别' }], [...shown, { town: '合计', total: d.newLeads.total, kinds: kindsText(d.newLeads.byKind) }]));
      if (left > 0) els.push(markdown(`${moreItems(left)}（其余镇区已计入合计）`, 'notation'));
      // One bar per town (the busiest, the rest as 其他): kinds are in the table, a phone cannot show 5 bars per town.
      const townChart = topCategories(d.newLeads.rows.map((r) => ({ label: r.town, total: r.total })), (r) => [r.total], CHART_MAX_CATEGORIES);
      els.push(barChart('本周新增项目按镇区（项）', townChart.labels, [{ name: '新增', values: townChart.series.map((v) => v[0]) }]));
    }
    els.push(section('本周审批（按项目计）'));
    els.push(markdown(`审批通过 ${dec.approved} 项 · 通过某一环节、仍在审批 ${dec.advanced} 项 · 驳回 ${dec.rejected} 项 · 退回修改 ${dec.returned} 项`));
    els.push(hr());
    els.push(section(`待审批 ${d.queue.length} 项`));
    if (d.queue.length === 0) els.push(markdown('当前没有待审批的项目。'));
    else {
      els.push(barChart('待审批项目按环节（项）', stepCounts.map(([label]) => label), [{ name: '待审批', values: stepCounts.map(([, n]) => n) }]));
      els.push(markdown(`按等待时间排序，最早的在前；⚠️ 为停滞超过 ${d.stuckDays} 天`, 'notation'));
      els.push(...cutTable(WAITING_COLUMNS, queueRows, max, `，${SEE_LEADS}`));
    }
    els.push(section(`停滞超过 ${d.stuckDays} 天 ${d.stuck.length} 项`));
    if (d.stuck.length === 0) els.push(markdown(`没有停滞超过 ${d.stuckDays} 天的项目。`));
    else {
      const inQueue = d.stuck.length - stuckReturned.length;
      if (inQueue > 0) els.push(markdown(`待审批 ${inQueue} 项（上表 ⚠️ 标出）${stuckReturned.length > 0 ? `；退回待修改 ${stuckReturned.length} 项：` : ''}`, 'notation'));
      if (stuckRows.length > 0) els.push(...cutTable(WAITING_COLUMNS, stuckRows, max, `，${SEE_LEADS}`));
    }
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

const metricCell = (p: MetricProgress) => (p.target > 0 ? `${p.done}/${p.target}` : p.done > 0 ? `${p.done}（无目标）` : '—');

const PROGRESS_COLUMNS: TableColumn[] = [
  { name: 'town', label: '镇区', width: 'auto' },
  { name: 'projects', label: '总数', width: 'auto' },
  { name: 'completion', label: '综合完成率', width: 'auto' },
  { name: 'state', label: '进度', width: 'auto' },
];

function progressRow(name: string, metrics: TownProgress['metrics'], completion: number | null, lagging: boolean | null): TableRow {
  return { town: name, projects: metricCell(metrics.projects), completion: percent(completion), state: lagging === null ? '' : lagging ? '滞后' : '正常' };
}

/** "**丁堰镇**：发明专利 2/5 · 实用新型 — · 平台类 1/2 · 基金类 —" (the metrics beside 总数, in the folded panel). */
function detailLine(name: string, metrics: TownProgress['metrics']): string {
  return `**${md(name)}**：${QUOTA_METRICS.filter((m) => m !== 'projects').map((m) => `${METRIC_SHORT[m]} ${metricCell(metrics[m])}`).join(' · ')}`;
}

const METRIC_SHORT: Record<string, string> = { invention_patents: '发明专利', utility_models: '实用新型', platforms: '平台类', funds: '基金类' };

/** 审批状态 before approval, the lifecycle stage after it. */
function progressLabel(k: { status: string; step: string | null; stage: string | null }): string {
  if (k.status === 'approved' && k.stage && isStageCode(k.stage)) return STAGE_LABELS[k.stage];
  return leadStatusLabel(k.status, k.step);
}

export function bimonthlyCard(d: BimonthlyDigest, tz: string): CardJson {
  // One period label: the two months the meeting reviews, in the title and in the body alike.
  const title = `${DIGEST_LABELS.bimonthly} · ${d.windowLabel}`;
  const subtitle = `统计区间：${d.windowLabel}；任务进度截至 ${formatDate(d.progressAsOf, tz)}`;
  const laggingTownsSet = new Set(d.lagging.map((l) => l.town));
  const progressRows = d.progress.towns.map((t) => progressRow(t.town, t.metrics, t.completion, t.completion === null ? null : laggingTownsSet.has(t.town)));
  const keyRows: TableRow[] = d.keyProjects.map((k) => ({
    code: k.code,
    // Every listed project is 重点类 or 重大; the major ones say so. Three columns leave the name room on a phone.
    name: `${k.major ? '【重大】' : ''}${k.projectName}（${k.town}，${leadKindLabel(k.kind)}）`,
    stage: [progressLabel(k), k.panel, k.decision].filter(Boolean).join(' · '),
  }));
  const coordRows: TableRow[] = d.coordination.map((c) => ({
    code: c.code,
    name: `${c.projectName}（${c.town}）`,
    step: waitingLabel(c),
    why: [c.stuck ? `停滞 ${c.days} 天` : '', c.returns >= RETURNS_NEEDING_COORDINATION ? `退回 ${c.returns} 次` : ''].filter(Boolean).join('，'),
  }));
  const moveRows: TableRow[] = d.movements.map((m) => ({
    code: m.code,
    name: `${m.projectName}（${m.town}）`,
    stage: isStageCode(m.stage) ? STAGE_LABELS[m.stage] : m.stage,
    date: formatDay(isoDate(m.date)), // a stored calendar day (UTC midnight)
  }));
  const moveCounts = Object.entries(d.movementCounts)
    .map(([stage, n]) => `${isStageCode(stage) ? STAGE_LABELS[stage] : md(stage)} ${n}`)
    .join(' · ');
  const lag = rankedLagging(d.lagging, d.progress, d.progress.towns.map((t) => t.town));

  return fitCard((max) => {
    const els: CardElement[] = [
      markdown(subtitle, 'notation'),
      markdown(`**全市综合完成率 ${percent(d.progress.city.completion)}**（序时进度 ${percent(d.progress.share)}）· 滞后镇区 ${lag.length} 个 · 重点项目 ${d.keyProjects.length} 项 · 需协调 ${d.coordination.length} 项`),
    ];
    els.push(section(`${d.progress.year} 年任务进度`));
    if (progressRows.length === 0) els.push(markdown(`尚未导入 ${d.progress.year} 年任务分解表，也没有已通过的项目。`));
    else {
      const { shown, left } = cut(progressRows, max);
      els.push(table(PROGRESS_COLUMNS, [...shown, progressRow('全市', d.progress.city.metrics, d.progress.city.completion, null)]));
      if (left > 0) els.push(markdown(`${moreItems(left)}（已计入全市合计），${SEE_QUOTA}`, 'notation'));
      const details = d.progress.towns.slice(0, shown.length).map((t) => detailLine(t.town, t.metrics));
      details.push(detailLine('全市', d.progress.city.metrics));
      els.push(collapsible('**分项明细**（发明专利、实用新型、平台类、基金类）', [markdown(details.join('\n'))]));
    }
    if (lag.length > 0) els.push(markdown(laggingLine(lag.slice(0, Math.min(max, HARD_MAX_ROWS)))));
    els.push(hr());
    els.push(section(`重点项目 ${d.keyProjects.length} 项`));
    if (keyRows.length === 0) els.push(markdown('暂无重点类或重大项目。'));
    else {
      els.push(...cutTable(
        [CODE_COLUMN, { name: 'name', label: '项目名称' }, { name: 'stage', label: '进展' }],
        keyRows, max, `，${SEE_LEADS}`,
      ));
    }
    els.push(section(`需协调事项 ${d.coordination.length} 项`));
    if (coordRows.length === 0) els.push(markdown(`没有停滞超过 ${d.stuckDays} 天或退回 ${RETURNS_NEEDING_COORDINATION} 次以上的项目。`));
    else {
      els.push(markdown(`停滞超过 ${d.stuckDays} 天，或退回修改 ${RETURNS_NEEDING_COORDINATION} 次以上`, 'notation'));
      els.push(...cutTable(
        [CODE_COLUMN, { name: 'name', label: '项目名称' }, { name: 'step', label: '状态' }, { name: 'why', label: '原因' }],
        coordRows, max, `，${SEE_LEADS}`,
      ));
    }
    els.push(hr());
    els.push(section(`项目进展 ${d.movements.length} 项`));
    if (moveRows.length === 0) els.push(markdown('本期没有登记新的项目进展。'));
    else {
      els.push(markdown(moveCounts, 'notation'));
      els.push(...cutTable(
        [CODE_COLUMN, { name: 'name', label: '项目名称' }, { name: 'stage', label: '进展' }, { name: 'date', label: '日期' }],
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
  const lag = rankedLagging(d.lagging, d.progress, d.progress.towns.map((x) => x.town));

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
      // 序时进度 is one reference line across the chart, not a bar beside every town.
      els.push(barChart(
        `各镇区任务综合完成率（%）`,
        chartTowns.map((x) => x.town),
        [{ name: '综合完成率', values: chartTowns.map((x) => round1((x.completion ?? 0) * 100)) }],
        { value: round1(d.progress.share * 100), label: `序时进度 ${round1(d.progress.share * 100)}%` },
      ));
      if (towns.length > chartTowns.length) els.push(markdown(`${moreItems(towns.length - chartTowns.length)}（其余镇区未在图中列出）`, 'notation'));
    }
    if (lag.length > 0) els.push(markdown(laggingLine(lag.slice(0, Math.min(max, HARD_MAX_ROWS)))));
    if (d.silentFollowUps.length > 0) {
      // One project per line, its code first, so a code never breaks across lines.
      const lines = d.silentFollowUps.map((f) => `- ${md(f.code)} ${md(f.projectName)}（${md(f.town)}，${md(f.ownerName)}）`);
      els.push(markdown(`**一月一报超过 ${FOLLOW_UP_ANSWER_DAYS} 天未反馈 ${d.silentFollowUps.length} 项**\n${truncateList(lines, Math.min(max, HARD_MAX_ROWS)).join('\n')}`));
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
