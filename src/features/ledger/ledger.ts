// 项目台账: every lead of a year (optionally one town) as one XLSX row, in the column order an office hands
// upward: identity and fields, 信息提供人, 登记, status and approval dates (预审 / 初审 / 审签 / 一事一议 /
// 通过), score and tier, lifecycle stages and milestones with their dates, 一月一报 answers and the approval
// comments (退回 / 驳回 意见). Leads are read in pages by id and written row by row with exceljs's streaming
// WorkbookWriter, so a year of 100k leads never sits in memory at once.
import type { Writable } from 'node:stream';
import type { Db, Prisma } from '../../platform/db/client.ts';
import { namesOf } from '../../platform/people.ts';
import { isoDate, localDate, zonedInstant } from '../../platform/time.ts';
import { leadKindLabel, leadKindFields, isLeadKind, referrerTypeLabel } from '../leads/lead.ts';
import { visibleTo, type Viewer } from '../leads/store.ts';
import { tierLabel } from '../leads/scoring.ts';
import { leadStatusText, STEP_LABELS, type StepKind } from '../approval/workflow.ts';
import { typedStep } from '../approval/store.ts';
import { STAGE_CODES, STAGE_LABELS, type StageCode } from '../lifecycle/lifecycle.ts';

export const LEDGER_SHEET = '项目台账';
/** Leads read per query. */
export const LEDGER_PAGE = 500;

/** File name of a ledger, e.g. 如皋市2023年科技招商项目台账（丁堰镇）.xlsx. */
export function ledgerFileName(officeName: string, year: number, town?: string): string {
  return `${officeName}${year}年科技招商项目台账${town ? `（${town}）` : ''}.xlsx`;
}

const APPROVAL_DATE_STEPS: readonly StepKind[] = ['prereview', 'review', 'signoff', 'leadership'];
const STAGE_DATE_LABEL = (s: StageCode) => (s === 'tech_sme' || s === 'high_tech' || s === 'leading' ? STAGE_LABELS[s] : `${STAGE_LABELS[s]}日期`);

/** The header row, in order. Tests and readers find columns by these names. */
export const LEDGER_COLUMNS: readonly { header: string; width: number }[] = [
  { header: '编号', width: 14 },
  { header: '项目名称', width: 28 },
  { header: '企业名称', width: 28 },
  { header: '类别', width: 8 },
  { header: '产业方向', width: 12 },
  { header: '镇区', width: 10 },
  { header: '投资额（万元）', width: 12 },
  { header: '信息提供人', width: 16 },
  { header: '信息提供人类型', width: 14 },
  { header: '登记人', width: 10 },
  { header: '登记日期', width: 12 },
  { header: '状态', width: 10 },
  ...APPROVAL_DATE_STEPS.map((s) => ({ header: `${STEP_LABELS[s]}日期`, width: 12 })),
  { header: '通过日期', width: 12 },
  { header: '重大项目', width: 8 },
  { header: '评分', width: 8 },
  { header: '分级', width: 8 },
  { header: '当前阶段', width: 12 },
  ...STAGE_CODES.map((s) => ({ header: STAGE_DATE_LABEL(s), width: 12 })),
  { header: '统一社会信用代码', width: 22 },
  { header: '来源地', width: 10 },
  { header: '来源活动', width: 24 },
  { header: '落地即带投资需求', width: 10 },
  { header: '发明专利实审数', width: 10 },
  { header: '实用新型专利授权数', width: 10 },
  { header: '类别信息', width: 36 },
  { header: '联系人', width: 10 },
  { header: '联系电话', width: 16 },
  { header: '项目简介', width: 40 },
  { header: '一月一报反馈', width: 40 },
  { header: '审批意见', width: 40 },
];

export interface LedgerQuery {
  year: number;
  /** Canonical town name; undefined: every town the viewer may see. */
  town?: string;
  /** Who asks; undefined: everything (the command line). */
  viewer?: Viewer;
  tz: string;
  officeName: string;
  /** The export's moment, for the title row (default: the wall clock). */
  now?: Date;
  /** Leads read per query (default LEDGER_PAGE). */
  pageSize?: number;
}

/** The where clause of a ledger: the year's registrations (office clock), the town, what the viewer may see. */
export function ledgerWhere(q: LedgerQuery): Prisma.LeadWhereInput {
  const and: Prisma.LeadWhereInput[] = [
    { createdAt: { gte: zonedInstant(q.year, 1, 1, q.tz), lt: zonedInstant(q.year + 1, 1, 1, q.tz) } },
  ];
  if (q.town) and.push({ town: q.town });
  if (q.viewer) and.push(visibleTo(q.viewer));
  return { AND: and };
}

const pageInclude = {
  steps: { include: { assignees: { select: { userId: true, decision: true, comment: true, decidedAt: true } } }, orderBy: [{ round: 'asc' }, { position: 'asc' }] },
  stages: { orderBy: [{ date: 'asc' }, { id: 'asc' }] },
} satisfies Prisma.LeadInclude;
/** A lead of a page as read, its steps' strings read as the workflow's types (approval/store.ts typedStep). */
const typedPage = (lead: Prisma.LeadGetPayload<{ include: typeof pageInclude }>) => ({ ...lead, steps: lead.steps.map(typedStep) });
type PageLead = ReturnType<typeof typedPage>;

const DECISION_WORDS: Record<string, string> = { return: '退回修改', reject: '驳回' };

function kindDetails(lead: PageLead): string {
  if (!isLeadKind(lead.kind)) return '';
  const details = lead.details && typeof lead.details === 'object' && !Array.isArray(lead.details) ? (lead.details as Record<string, unknown>) : {};
  const parts: string[] = [];
  for (const f of leadKindFields(lead.kind)) {
    const v = details[f.name];
    if (v === undefined || v === null || v === '') continue;
    const text = Array.isArray(v) ? v.join('、') : typeof v === 'boolean' ? (v ? '是' : '否') : `${String(v)}${f.unit && typeof v === 'number' ? f.unit : ''}`;
    parts.push(`${f.label}：${text}`);
  }
  return parts.join('；');
}

function rowOf(
  lead: PageLead,
  ctx: { tz: string; names: Map<string, string>; activities: Map<number, string>; followUps: Map<number, string[]> },
): Array<string | number | null> {
  const day = (d: Date | null | undefined) => (d ? localDate(d, ctx.tz) : null);
  const current = lead.steps.filter((s) => s.round === lead.round);
  const stepDate = (kind: StepKind) => day(current.find((s) => s.step === kind && s.status === 'approved')?.decidedAt);
  const stageDate = (code: StageCode) => {
    const st = lead.stages.find((s) => s.stage === code);
    return st ? isoDate(st.date) : null;
  };
  const comments = lead.steps.flatMap((s) =>
    s.assignees
      .filter((a) => a.decision && DECISION_WORDS[a.decision])
      .map((a) => `第${s.round}轮${STEP_LABELS[s.step]}${DECISION_WORDS[a.decision!]}（${ctx.names.get(a.userId) ?? a.userId}${a.decidedAt ? `，${localDate(a.decidedAt, ctx.tz)}` : ''}）${a.comment ? `：${a.comment}` : ''}`),
  );
  return [
    lead.code,
    lead.projectName,
    lead.companyName,
    leadKindLabel(lead.kind),
    lead.industry,
    lead.town,
    lead.investmentWan,
    lead.referrer,
    lead.referrer ? referrerTypeLabel(lead.referrerType) || null : null,
    ctx.names.get(lead.submitterId) ?? lead.submitterId,
    day(lead.createdAt),
    leadStatusText(lead, current),
    ...APPROVAL_DATE_STEPS.map(stepDate),
    day(lead.approvedAt),
    lead.major ? '是' : '否',
    lead.score,
    tierLabel(lead.tier) || null,
    lead.stage ? STAGE_LABELS[lead.stage as StageCode] ?? lead.stage : null,
    ...STAGE_CODES.map(stageDate),
    lead.creditCode,
    lead.sourceRegion,
    lead.activityId !== null ? ctx.activities.get(lead.activityId) ?? null : null,
    lead.needsFund ? '是' : '否',
    lead.inventionPatents || null,
    lead.utilityModels || null,
    kindDetails(lead) || null,
    lead.contactName,
    lead.contactPhone,
    lead.summary,
    (ctx.followUps.get(lead.id) ?? []).join('\n') || null,
    comments.join('\n') || null,
  ];
}

/**
 * Writes the ledger as XLSX into `out` (ended when done). Returns how many leads it holds. The first sheet
 * has a title row, the header row (frozen) and one row per lead, oldest code first.
 */
export async function writeLedger(db: Db, q: LedgerQuery, out: Writable): Promise<{ leads: number }> {
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  wb.creator = '科招助手';
  const ws = wb.addWorksheet(LEDGER_SHEET, { views: [{ state: 'frozen', xSplit: 2, ySplit: 2 }] });
  ws.columns = LEDGER_COLUMNS.map((c) => ({ width: c.width }));
  const title = ws.addRow([`${q.officeName}${q.year}年科技招商项目台账${q.town ? `（${q.town}）` : ''}（导出日期 ${localDate(q.now ?? new Date(), q.tz)}）`]);
  title.font = { bold: true, size: 14 };
  title.commit();
  const head = ws.addRow(LEDGER_COLUMNS.map((c) => c.header));
  head.font = { bold: true };
  head.alignment = { vertical: 'middle', wrapText: true };
  head.commit();

  const activities = new Map((await db.activity.findMany({ select: { id: true, name: true } })).map((a) => [a.id, a.name]));
  const where = ledgerWhere(q);
  const pageSize = q.pageSize ?? LEDGER_PAGE;
  let after = 0;
  let count = 0;
  for (;;) {
    const page: PageLead[] = (await db.lead.findMany({ where: { AND: [where, { id: { gt: after } }] }, orderBy: { id: 'asc' }, take: pageSize, include: pageInclude })).map(typedPage);
    if (page.length === 0) break;
    const ids = page.map((l) => l.id);
    const people = page.flatMap((l) => [l.submitterId, ...l.steps.flatMap((s) => s.assignees.map((a) => a.userId))]);
    const names = await namesOf(db, people);
    const followUps = new Map<number, string[]>();
    for (const f of await db.followUp.findMany({ where: { leadId: { in: ids } }, orderBy: [{ leadId: 'asc' }, { period: 'asc' }] })) {
      const text = !f.answeredAt ? `${f.period} 未反馈` : f.answer === 'unchanged' ? `${f.period} 无变化` : `${f.period} 有进展${f.note ? `：${f.note}` : ''}`;
      followUps.set(f.leadId, [...(followUps.get(f.leadId) ?? []), text]);
    }
    for (const lead of page) {
      const row = ws.addRow(rowOf(lead, { tz: q.tz, names, activities, followUps }));
      row.commit();
    }
    count += page.length;
    after = page[page.length - 1].id;
    if (page.length < pageSize) break;
  }
  if (count === 0) ws.addRow([q.viewer ? '（没有您可查看的项目）' : '（没有项目）']).commit();
  ws.commit();
  await wb.commit();
  return { leads: count };
}

/** The ledger as bytes (for sending in chat). */
export async function ledgerBuffer(db: Db, q: LedgerQuery): Promise<{ data: Buffer; leads: number }> {
  const { PassThrough } = await import('node:stream');
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    sink.on('end', resolve);
    sink.on('error', reject);
  });
  const { leads } = await writeLedger(db, q, sink);
  await done;
  return { data: Buffer.concat(chunks), leads };
}
