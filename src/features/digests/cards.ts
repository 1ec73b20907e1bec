// Renders the digests computed by src/features/digests/digest.ts as Card JSON 2.0. Every card goes through fitCard:
// whatever the data size, it stays within 30 KB, and a list that had to be cut ends with "另有 N 项…" and
// the command that shows the rest.
import { carrierTargetsLine } from '../carriers/carrier.ts';
import type { CardJson } from '../../platform/lark/types.ts';
import {
  card, collapsible, header, markdown, hr, table, fitCard, truncateList, moreItems, pieChart, barChart,
  type CardElement, type TableColumn, type TableRow,
} from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import {
  DIGEST_LABELS, rankedLagging, RETURNS_NEEDING_COORDINATION, wan, type RankedLagging,
  type BimonthlyDigest, type Change, type MonthlyDigest, type WaitingItem, type WeeklyDigest,
} from './digest.ts';
import { LEAD_KINDS } from '../../office/config.ts';
import { LEAD_KIND_LABELS, leadKindLabel } from '../leads/lead.ts';
import { LEAD_STATUS_LABELS, PENDING_STEP_LABELS, STEP_KINDS, type LeadStatus, type StepKind } from '../approval/workflow.ts';
import { COUNT_RULE_LABELS, countRuleNote, METRIC_LABELS, QUOTA_METRICS, type MetricProgress, type TownProgress } from '../quotas/quota.ts';
import { localParts } from '../../platform/time.ts';
import { FOLLOW_UP_ANSWER_DAYS, isoDate, isStageCode, STAGE_LABELS, stageLabel } from '../lifecycle/lifecycle.ts';
import { problemCategoryLabel, problemTitle, type OwnerGroup } from '../coordination/problem.ts';

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

function leadStatusLabel(status: LeadStatus, step: StepKind | null): string {
  if (status === 'pending' && step) return PENDING_STEP_LABELS[step];
  return LEAD_STATUS_LABELS[status];
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
function cutTable(columns: TableColumn[], rows: readonly TableRow[], max: number, hint: string, total = rows.length): CardElement[] {
  return cutItems(columns, rows, (r) => r, max, hint, total);
}

/** cutTable over `items`, turning into rows only those shown (fitCard builds a card many times). */
function cutItems<T>(columns: TableColumn[], items: readonly T[], toRow: (item: T) => TableRow, max: number, hint: string, total = items.length): CardElement[] {
  const { shown } = cut(items, max);
  const left = total - shown.length;
  const out: CardElement[] = [];
  if (shown.length > 0) out.push(table(columns, shown.map(toRow)));
  if (left > 0) out.push(markdown(`${moreItems(left)}${shown.length > 0 ? '' : '（卡片篇幅有限，未能列出）'}${md(hint)}`, 'notation'));
  return out;
}

/** truncateList(items.map(line), min(max, HARD_MAX_ROWS)), formatting only the lines shown. */
function listUpTo<T>(items: readonly T[], max: number, line: (item: T) => string): string {
  const { shown, left } = cut(items, max);
  return [...shown.map(line), ...(left > 0 ? [moreItems(left)] : [])].join('\n');
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
  return items.map((i) => ({ code: i.code, name: `${i.key ? '【重点】' : ''}${i.projectName}（${i.town}）`, step: waitingLabel(i), days: stuck(i) ? `⚠️\u00a0${i.days}` : String(i.days) }));
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
  const inTalks = d.pipeline.inTalks.reduce((n, s) => n + s.leads.length, 0);
  const stepCounts = STEP_KINDS.map((step) => [PENDING_STEP_LABELS[step], d.queue.filter((q) => q.step === step).length] as const).filter(([, n]) => n > 0);

  return fitCard((max) => {
    // Key figures first: what a leader reads before scrolling.
    const els: CardElement[] = [
      markdown(subtitle, 'notation'),
      markdown(`**新增 ${d.newLeads.total} 项 · 推进 ${d.pipeline.moved.length} 项 · 在谈 ${inTalks} 项 · 审批通过 ${dec.approved} 项 · 待审批 ${d.queue.length} 项 · 停滞 ${d.stuck.length} 项**`),
    ];
    els.push(...pipelineSection(d, max));
    els.push(hr());
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
      els.push(markdown(`【重点】为重点类项目，排在前面；其余按等待时间排序，最早的在前；⚠️ 为停滞超过 ${d.stuckDays} 天`, 'notation'));
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

/** 周例会「汇报科技招商信息进展」: what moved along the pipeline this week, then the leads in talks. */
function pipelineSection(d: WeeklyDigest, max: number): CardElement[] {
  const p = d.pipeline;
  const limit = Math.min(max, HARD_MAX_ROWS);
  const els: CardElement[] = [section(`本周项目推进 ${p.moved.length} 项`)];
  if (p.moved.length === 0) els.push(markdown('本周没有登记新的项目进展（接洽、在谈、签约、注册、落地、投产）。'));
  else {
    els.push(markdown(p.transitions.map((t) => `${md(t.from)} → ${md(t.to)} **${t.count}**`).join(' · ')));
    const lines = p.moved.map((m) => `- **${md(m.code)}** ${md(m.projectName)}（${md(m.town)}）：${md(m.from)} → ${md(m.to)}（${formatDay(isoDate(m.date))}）`);
    els.push(collapsible(`**推进明细**（${p.moved.length} 项）`, [markdown(truncateList(lines, limit, (n) => `${moreItems(n)}，${SEE_LEADS}`).join('\n'))]));
  }
  const total = p.inTalks.reduce((n, s) => n + s.leads.length, 0);
  els.push(section(`在谈项目 ${total} 项`));
  if (p.inTalks.length === 0) els.push(markdown('本办公室未设置签约前阶段。'));
  else if (total === 0) els.push(markdown(`当前没有处于${p.inTalks.map((s) => md(s.stage)).join('、')}阶段的项目。`));
  else {
    els.push(markdown(p.inTalks.map((s) => `${md(s.stage)} ${s.leads.length}`).join(' · ')));
    for (const s of p.inTalks.filter((x) => x.leads.length > 0)) {
      const lines = s.leads.map((l) => `- **${md(l.code)}** ${md(l.projectName)}（${md(l.town)}）· ${l.days} 天`);
      els.push(collapsible(`**${md(s.stage)}** ${s.leads.length} 项（按所处天数，最久的在前）`, [markdown(truncateList(lines, limit, (n) => `${moreItems(n)}，${SEE_LEADS}`).join('\n'))]));
    }
  }
  return els;
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
function progressLabel(k: { status: LeadStatus; step: StepKind | null; stage: string | null }, pre: BimonthlyDigest['pre']): string {
  if (k.status === 'approved' && k.stage) return stageLabel(k.stage, pre);
  return leadStatusLabel(k.status, k.step);
}

/** 双月例会「协调推进招商重点工作」: open problems by owner department with their age, then the solved ones. */
function problemSection(d: BimonthlyDigest, tz: string, max: number): CardElement[] {
  const r = d.problems;
  const limit = Math.min(max, HARD_MAX_ROWS);
  const els: CardElement[] = [section(`协调事项 ${r.openCount} 项${r.overdueCount > 0 ? `（逾期 ${r.overdueCount} 项）` : ''}`)];
  if (r.openCount === 0) els.push(markdown('当前没有待协调的问题。在项目进度卡片上点「提出问题」登记。'));
  else {
    els.push(markdown('按责任部门，各部门内提出最早的在前；⚠️ 为超过完成时限', 'notation'));
    const groupLine = (g: OwnerGroup) => `**${md(g.ownerDept)}** ${g.problems.length} 项${g.overdue > 0 ? ` · ⚠️ 逾期 ${g.overdue}` : ''}`;
    els.push(markdown(truncateList(r.open.map(groupLine), limit).join('\n')));
    for (const g of r.open.slice(0, limit)) {
      const lines = g.problems.map((p) => `- ${p.overdueDays > 0 ? '⚠️ ' : ''}**${md(p.code)}** ${md(problemTitle(p, 60))}（${md(p.town)}）· 已 ${p.days} 天${p.overdueDays > 0 ? ` · 逾期 ${p.overdueDays} 天` : ` · 时限 ${formatDay(isoDate(p.dueDate))}`}`);
      els.push(collapsible(groupLine(g), [markdown(truncateList(lines, limit, (n) => `${moreItems(n)}，发送 /problems 查看`).join('\n'))]));
    }
  }
  els.push(section(`本期已解决 ${r.solved.length} 项`));
  if (r.solved.length === 0) els.push(markdown(`${d.windowLabel}没有解决的协调事项。`));
  else {
    const lines = r.solved.map((p) => `- **${md(p.code)}** 【${problemCategoryLabel(p.category)}】${md(p.ownerDept)}，${formatDate(p.solvedAt!, tz)}解决${p.answer ? `：${md(Array.from(p.answer).slice(0, 60).join(''))}` : ''}`);
    els.push(markdown(truncateList(lines, limit).join('\n')));
  }
  return els;
}

export function bimonthlyCard(d: BimonthlyDigest, tz: string): CardJson {
  // One period label: the two months the meeting reviews, in the title and in the body alike.
  const title = `${DIGEST_LABELS.bimonthly} · ${d.windowLabel}`;
  const subtitle = `统计区间：${d.windowLabel}；任务进度截至 ${formatDate(d.progressAsOf, tz)}，${COUNT_RULE_LABELS[d.progress.rule]}`;
  const laggingTownsSet = new Set(d.lagging.map((l) => l.town));
  const progressRows = d.progress.towns.map((t) => progressRow(t.town, t.metrics, t.completion, t.completion === null ? null : laggingTownsSet.has(t.town)));
  const keyRows: TableRow[] = d.keyProjects.map((k) => ({
    code: k.code,
    // Every listed project is 重点类 or 重大; the major ones say so. Three columns leave the name room on a phone.
    name: `${k.major ? '【重大】' : ''}${k.projectName}（${k.town}，${leadKindLabel(k.kind)}）`,
    stage: [progressLabel(k, d.pre), k.panel, k.decision].filter(Boolean).join(' · '),
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
    stage: stageLabel(m.stage, d.pre),
    date: formatDay(isoDate(m.date)), // a stored calendar day (UTC midnight)
  }));
  const moveCounts = Object.entries(d.movementCounts)
    .map(([stage, n]) => `${md(stageLabel(stage, d.pre))} ${n}`)
    .join(' · ');
  const lag = rankedLagging(d.lagging, d.progress, d.progress.towns.map((t) => t.town));

  return fitCard((max) => {
    const els: CardElement[] = [
      markdown(subtitle, 'notation'),
      markdown(`**全市综合完成率 ${percent(d.progress.city.completion)}**（序时进度 ${percent(d.progress.share)}）· 滞后镇区 ${lag.length} 个 · 重点项目 ${d.keyProjectsTotal} 项 · 协调事项 ${d.problems.openCount} 项 · 审批需协调 ${d.coordination.length} 项`),
    ];
    els.push(section(`${d.progress.year} 年任务进度（${COUNT_RULE_LABELS[d.progress.rule]}）`));
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
    if (d.carriers) els.push(markdown(carrierTargetsLine(d.carriers)));
    els.push(hr());
    els.push(section(`重点项目 ${d.keyProjectsTotal} 项`));
    if (keyRows.length === 0) els.push(markdown('暂无重点类或重大项目。'));
    else {
      els.push(...cutTable(
        [CODE_COLUMN, { name: 'name', label: '项目名称' }, { name: 'stage', label: '进展' }],
        keyRows, max, `，${SEE_LEADS}`, d.keyProjectsTotal,
      ));
    }
    els.push(hr());
    els.push(...problemSection(d, tz, max));
    els.push(section(`审批需协调 ${d.coordination.length} 项`));
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
    return card(header(title, 'indigo'), els, `${title}：重点项目 ${d.keyProjectsTotal} 项，协调事项 ${d.problems.openCount} 项`);
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
    els.push(...followUpSection(d, max));
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
        `各镇区任务综合完成率（%，${COUNT_RULE_LABELS[d.progress.rule]}）`,
        chartTowns.map((x) => x.town),
        [{ name: '综合完成率', values: chartTowns.map((x) => round1((x.completion ?? 0) * 100)) }],
        { value: round1(d.progress.share * 100), label: `序时进度 ${round1(d.progress.share * 100)}%` },
      ));
      if (towns.length > chartTowns.length) els.push(markdown(`${moreItems(towns.length - chartTowns.length)}（其余镇区未在图中列出）`, 'notation'));
      els.push(markdown(countRuleNote(d.progress.rule), 'notation'));
    }
    if (lag.length > 0) els.push(markdown(laggingLine(lag.slice(0, Math.min(max, HARD_MAX_ROWS)))));
    if (d.silentFollowUps.length > 0) {
      // One project per line, its code first, so a code never breaks across lines.
      const lines = listUpTo(d.silentFollowUps, max, (f) => `- ${md(f.code)} ${md(f.projectName)}（${md(f.town)}，${md(f.ownerName)}）`);
      els.push(markdown(`**一月一报超过 ${FOLLOW_UP_ANSWER_DAYS} 天未反馈 ${d.silentFollowUps.length} 项**\n${lines}`));
    }
    return card(header(title, 'turquoise'), els, `${title}：新增 ${t.newLeads.current} 项，通过 ${t.approved.current} 项`);
  });
}

/**
 * 一月一分析: the landed projects against their agreements (协议投资额 vs 到位), the month's 一月一报 answers
 * (patents, stages reported but not yet recorded) and the problems raised.
 */
function followUpSection(d: MonthlyDigest, max: number): CardElement[] {
  const f = d.followUps;
  const els: CardElement[] = [section(`落地项目 ${f.landed.length} 个：协议与到位`)];
  if (f.landed.length === 0) els.push(markdown('暂无已落地（开工）的项目。'));
  else {
    els.push(...cutItems(
      [CODE_COLUMN, { name: 'name', label: '项目' }, { name: 'agreed', label: '协议(万元)' }, { name: 'arrived', label: '到位(万元)' }],
      f.landed,
      (l): TableRow => ({
        code: l.code,
        name: `${l.projectName}（${l.town}）${l.stage === 'producing' ? '·已投产' : ''}`,
        agreed: l.agreementWan === null ? '—' : wan(l.agreementWan),
        arrived: l.arrivedWan === null ? '未报' : `${wan(l.arrivedWan)}${l.ratio === null ? '' : `（${(l.ratio * 100).toFixed(0)}%）`}`,
      }),
      max, `，${SEE_LEADS}`,
    ));
  }
  els.push(section(`一月一报反馈 ${f.answered}/${f.asked}`));
  const lines: string[] = [];
  if (f.asked > 0) lines.push(`新增发明专利实审 **${f.inventionPatents}** 件 · 实用新型授权 **${f.utilityModels}** 件（计入任务进度）`);
  else lines.push('本期没有发出一月一报。');
  if (f.stageMismatches.length > 0) {
    const mism = listUpTo(f.stageMismatches, max, (m) =>
      `- ${md(m.code)} ${md(m.projectName)}：反馈「${stageName(m.reportedStage)}」，已登记「${stageName(m.recordedStage)}」`);
    lines.push(`**反馈阶段与登记不一致 ${f.stageMismatches.length} 项**（请登记人登记新阶段）\n${mism}`);
  }
  if (f.problems.length > 0) {
    const probs = listUpTo(f.problems, max, (p) => `- ${md(p.code)} ${md(p.projectName)}（${md(p.town)}）：${md(p.text)}`);
    lines.push(`**反映的问题 ${f.problems.length} 项**\n${probs}`);
  }
  els.push(markdown(lines.join('\n')));
  return els;
}

function stageName(stage: string | null): string {
  return isStageCode(stage) ? STAGE_LABELS[stage] : '尚未签约';
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
