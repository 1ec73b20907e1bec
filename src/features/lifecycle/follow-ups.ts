// 一月一报: on the 1st of each month, the owner (登记人) of every approved project not yet 投产 and due by its
// tier (the office's scoring.followUpMonths: every n months from the month of approval) gets a card
// asking for the progress of the month that just ended (sent on 1 December: 2026年11月): one tap 「无变化」,
// or the form (current stage, cumulative 到位投资 in 万元, the month's new 发明专利实审 / 实用新型授权,
// problems needing coordination, a note), stored as typed FollowUp fields; or 「登记新阶段」. The patents
// count toward the towns' quotas (src/features/quotas/store.ts patentFacts). One FollowUp row per (lead, reported month) and one ledger row per
// (reported month, lead) make it once; the answer is filed under the reported month. Owners who have not
// answered within 7 days are listed by overdueFollowUps (for the monthly report). The job writes only those
// rows and the outbox's; each card is made when the outbox sends it (renderFollowUp), with the stage of then.
import type { Db, Tx } from '../../platform/db/client.ts';
import type { CardJson } from '../../platform/lark/types.ts';
import type { RenderRequest } from '../../platform/delivery/outbox.ts';
import type { Services } from '../../platform/bot/services.ts';
import { bulkRows } from '../../platform/db/bulk.ts';
import { button, buttonRow, card, form, greyText, header, hr, input, keyValues, markdown, select, submitButton } from '../../platform/cards/kit.ts';
import { assertValidCard } from '../../platform/cards/validate.ts';
import { md } from '../../platform/cards/template.ts';
import {
  FOLLOW_UP_ANSWER_DAYS, FOLLOW_UP_FIELDS, followUpPeriod, isLifecycleStage, MAX_MONTH_PATENTS, periodLabel, previousMonth, PROBLEMS_MAX,
  REPORTED_STAGES, reportedStageLabel, STAGE_LABELS, stageLabel,
} from './lifecycle.ts';
import { formatWan } from '../leads/format.ts';
import { localDateTime, monthReader } from '../../platform/time.ts';
import { queueEach } from '../../platform/delivery/ledger.ts';
import type { JobDef } from '../../platform/jobs/scheduler.ts';
import { inChunks } from '../../platform/db/chunks.ts';
import { followUpEveryMonths, type ScoringConfig } from '../leads/scoring.ts';

export const FOLLOW_UP_JOB = 'follow-ups';
/** The outbox renderer of a queued 一月一报 card, and what its copies are about (refId: the FollowUp row's id). */
export const FOLLOW_UP_RENDER = 'lifecycle.follow-up';
export const FOLLOW_UP_REF_TYPE = 'followup';
export const NOTE_MAX = 500;

/** Stages after which no follow-up is asked for. */
const DONE_STAGES = ['producing'];

export interface FollowUpView {
  id: number;
  period: string;
  answeredAt: Date | null;
  answer: string | null;
  note: string | null;
  stage?: string | null;
  investmentArrivedWan?: number | null;
  inventionPatents?: number;
  utilityModels?: number;
  problems?: string | null;
}

/** A refused submit: the messages per field and what was typed. */
export interface FollowUpFormState {
  errors: Record<string, string>;
  values: Record<string, string>;
}

/** What an answered card says: 「阶段 注册 · 累计到位 1,200 万元 · 发明专利 +2 · 实用新型 +0」 and the texts. */
export function followUpAnswerLines(f: FollowUpView): string[] {
  if (f.answer === 'unchanged') return ['无变化'];
  const facts = [
    `阶段 ${reportedStageLabel(f.stage)}`,
    ...(f.investmentArrivedWan !== null && f.investmentArrivedWan !== undefined ? [`累计到位 ${formatWan(f.investmentArrivedWan)}`] : []),
    `发明专利实审 +${f.inventionPatents ?? 0}`,
    `实用新型授权 +${f.utilityModels ?? 0}`,
  ];
  return [facts.join(' · '), ...(f.problems ? [`问题：${f.problems}`] : []), ...(f.note ? [`说明：${f.note}`] : [])];
}

export interface FollowUpLead {
  id: number;
  code: string;
  projectName: string;
  town: string;
  stage: string | null;
}

function stageText(stage: string | null): string {
  return stage ? stageLabel(stage) : '已审批通过，尚未签约';
}

/** The follow-up card: asking (with 「无变化」 and the answer form), or answered (no buttons). */
export function followUpCard(f: FollowUpView, lead: FollowUpLead, tz: string, state?: FollowUpFormState): CardJson {
  const month = periodLabel(f.period);
  const title = `一月一报：${month}项目进展`;
  const facts = keyValues([
    ['项目编号', lead.code],
    ['项目名称', lead.projectName],
    ['所属镇区', lead.town],
    ['当前阶段', stageText(lead.stage)],
  ]);
  let c: CardJson;
  if (f.answeredAt) {
    const lines = followUpAnswerLines(f).map(md);
    c = card(header(title, 'green', '已反馈'), [facts, hr(), markdown(`**已反馈**：${lines.join('\n')}`), markdown(greyText(`反馈时间 ${localDateTime(f.answeredAt, tz)}`), 'notation')], title);
  } else {
    const v = state?.values ?? {};
    const e = state?.errors ?? {};
    const currentStage = isLifecycleStage(lead.stage) ? lead.stage : 'none';
    c = card(header(title, 'orange'), [
      facts,
      markdown(`请在 ${FOLLOW_UP_ANSWER_DAYS} 天内反馈上月（${month}）的项目进展：没有变化请点「无变化」；有进展请填写下表后提交（专利数计入镇区任务进度），登记签约、注册、落地（开工）、投产请点「登记新阶段」。`),
      buttonRow([
        button('无变化', { action: 'followup.unchanged', followUpId: f.id }, 'primary'),
        button('登记新阶段', { action: 'lifecycle.show', leadId: lead.id }),
      ]),
      form('followup_form', [
        select({ name: 'stage', label: FOLLOW_UP_FIELDS.stage, required: true, value: v.stage ?? currentStage, error: e.stage, options: REPORTED_STAGES.map((s) => ({ value: s, label: reportedStageLabel(s) })) }),
        input({ name: 'investment_arrived_wan', label: FOLLOW_UP_FIELDS.investment_arrived_wan, value: v.investment_arrived_wan, error: e.investment_arrived_wan, placeholder: '截至月末累计到位，如 1200', maxLength: 30 }),
        input({ name: 'invention_patents', label: FOLLOW_UP_FIELDS.invention_patents, value: v.invention_patents, error: e.invention_patents, placeholder: `0–${MAX_MONTH_PATENTS}，不填为 0`, maxLength: 6 }),
        input({ name: 'utility_models', label: FOLLOW_UP_FIELDS.utility_models, value: v.utility_models, error: e.utility_models, placeholder: `0–${MAX_MONTH_PATENTS}，不填为 0`, maxLength: 6 }),
        input({ name: 'problems', label: FOLLOW_UP_FIELDS.problems, value: v.problems, error: e.problems, multiline: true, maxLength: PROBLEMS_MAX, placeholder: '如：用地指标、厂房、资金、审批、人才等，没有可不填' }),
        input({ name: 'note', label: FOLLOW_UP_FIELDS.note, value: v.note, error: e.note, multiline: true, maxLength: NOTE_MAX, placeholder: '如：已完成厂房选址，预计近期签约' }),
      ], submitButton('提交进展', { action: 'followup.update', followUpId: f.id })),
    ], title);
  }
  assertValidCard(c);
  return c;
}

const monthIndex = (period: string) => Number(period.slice(0, 4)) * 12 + Number(period.slice(5, 7)) - 1;

/**
 * Whether a lead approved in `approvedMonth` reports on `period` when its tier reports every `every` months:
 * the month it was approved, then every `every` months after it.
 */
export function followUpDue(approvedMonth: string, period: string, every: number): boolean {
  const since = monthIndex(period) - monthIndex(approvedMonth);
  return since >= 0 && since % Math.max(1, every) === 0;
}

/** Leads read per page and queued per transaction by the follow-ups job. */
const FOLLOW_UP_PAGE = 2000;
const FOLLOW_UP_BATCH = 2000;
/** Batches written at once (each its own transaction). */
const FOLLOW_UP_WRITERS = 2;

type LeadToFollow = { id: number; submitterId: string; approvedAt: Date | null; tier: string | null };

/**
 * Approved leads that owe a report on `period`, a page at a time (ids after `afterId`): not 投产, not closed,
 * approved by the end of that month, and due by their tier's frequency (the office's scoring.followUpMonths:
 * 重点类 monthly, others maybe less often). `last` is the page's last id, undefined when the page was empty.
 */

async function leadsToFollow(
  db: Db, period: string, now: Date, monthOf: (d: Date) => string, scoring: ScoringConfig, afterId: number,
): Promise<{ last: number | undefined; due: LeadToFollow[] }> {
  const rows = await db.lead.findMany({
    where: { id: { gt: afterId }, status: 'approved', closedAt: null, approvedAt: { lt: now }, OR: [{ stage: null }, { stage: { notIn: DONE_STAGES } }] },
    orderBy: { id: 'asc' },
    take: FOLLOW_UP_PAGE,
    select: { id: true, submitterId: true, approvedAt: true, tier: true },
  });
  return {
    last: rows.at(-1)?.id,
    due: rows.filter((r) => r.approvedAt && followUpDue(monthOf(r.approvedAt), period, followUpEveryMonths(r.tier, scoring))),
  };
}

/**
 * The ids of the follow-up rows of `period` for these leads (a batch: at most bulkChunk(1)), created where missing
 * (a forced run reuses them), by lead id: one INSERT … ON CONFLICT DO NOTHING RETURNING, and a read of the
 * rows that were already there.
 */
async function followUpIds(tx: Tx, leadIds: readonly number[], period: string, now: Date): Promise<Map<number, number>> {
  const created = await tx.$queryRaw<Array<{ id: number; leadId: number }>>`INSERT INTO "FollowUp" ("leadId", "period", "sentAt")
    SELECT r.*, ${period}, ${now} FROM (${bulkRows(tx, ['int'], leadIds.map((id) => [id]))}) AS r WHERE true ON CONFLICT ("leadId", "period") DO NOTHING RETURNING "id", "leadId"`;
  const ids = new Map(created.map((f) => [Number(f.leadId), Number(f.id)]));
  const missing = leadIds.filter((id) => !ids.has(id));
  if (missing.length > 0) {
    const existing = await tx.$queryRaw<Array<{ id: number; leadId: number }>>`SELECT "id", "leadId" FROM "FollowUp"
      WHERE "period" = ${period} AND "leadId" IN (SELECT "column1" FROM (${bulkRows(tx, ['int'], missing.map((id) => [id]))}) AS b)`;
    for (const f of existing) ids.set(Number(f.leadId), Number(f.id));
  }
  return ids;
}

/**
 * A queued 一月一报 card as it reads when sent (refId: the FollowUp row): the project's stage of that moment;
 * nothing when the project was closed or is no longer approved in the meantime.
 */
export async function renderFollowUp(services: Services, req: RenderRequest): Promise<CardJson | null> {
  const id = Number(req.refId);
  if (!Number.isInteger(id)) return null;
  const f = await services.db.followUp.findUnique({ where: { id } });
  const lead = f && (await services.db.lead.findUnique({ where: { id: f.leadId }, select: { id: true, code: true, projectName: true, town: true, stage: true, status: true, closedAt: true } }));
  if (!f || !lead || lead.status !== 'approved' || lead.closedAt) return null;
  return followUpCard(f, lead, services.env.BOT_TIMEZONE);
}

export const followUpsJob: JobDef = {
  name: FOLLOW_UP_JOB,
  async run({ services, now, force }) {
    const tz = services.env.BOT_TIMEZONE;
    const period = followUpPeriod(now, tz);
    let sent = 0;
    let skipped = 0;
    const monthOf = monthReader(tz);
    const read = (after: number) => leadsToFollow(services.db, period, now, monthOf, services.office.scoring, after);
    const write = async (batch: LeadToFollow[]) => {
      const r = await queueEach(services.db, {
        job: FOLLOW_UP_JOB,
        force,
        period,
        items: batch.map((lead) => ({ target: `lead:${lead.id}`, item: lead })),
        // The cards are made when sent (renderFollowUp): here only their rows.
        messages: async (fresh, tx) => {
          const ids = await followUpIds(tx, fresh.map((l) => l.id), period, now);
          return fresh.map((lead) => ({ receiveIdType: 'open_id' as const, receiveId: lead.submitterId, render: FOLLOW_UP_RENDER, refType: FOLLOW_UP_REF_TYPE, refId: String(ids.get(lead.id)!) }));
        },
      });
      sent += r.queued;
      skipped += r.skipped;
      if (r.queued > 0) services.kickOutbox();
    };
    // A page of leads at a time, a transaction per batch (the ledger claimed and the cards written together):
    // a city with years of projects is never held in memory, nor written one transaction per card. On
    // PostgreSQL the next page is read and two batches are written at once, each on its own connection
    // (the batches hold different projects); SQLite runs them one after the other.
    const writing: Array<Promise<void>> = [];
    try {
      let next = read(0);
      for (;;) {
        const page = await next;
        if (page.last === undefined) break;
        next = read(page.last);
        next.catch(() => {}); // awaited on the next turn, where a failure is thrown
        for (let i = 0; i < page.due.length; i += FOLLOW_UP_BATCH) {
          const w = write(page.due.slice(i, i + FOLLOW_UP_BATCH));
          w.catch(() => {}); // awaited below, where a failure is thrown
          writing.push(w);
          if (writing.length >= FOLLOW_UP_WRITERS) await writing.shift();
        }
      }
      await Promise.all(writing);
    } finally {
      await Promise.allSettled(writing);
    }
    return { sent, skipped, summary: `一月一报 ${period}：发出 ${sent} 份，已发过跳过 ${skipped} 份` };
  },
};

export interface OverdueFollowUp {
  followUpId: number;
  leadId: number;
  code: string;
  projectName: string;
  town: string;
  ownerId: string;
  sentAt: Date;
}

/**
 * The follow-ups sent in `month` ("YYYY-MM", the monthly report's month; they ask about the month before it)
 * that were sent at least 7 days before `now` and are still unanswered, by town then code.
 */
export async function overdueFollowUps(db: Db | Tx, month: string, now: Date): Promise<OverdueFollowUp[]> {
  const before = new Date(now.getTime() - FOLLOW_UP_ANSWER_DAYS * 86_400_000);
  const period = previousMonth(month);
  const rows = await db.followUp.findMany({ where: { period, answeredAt: null, sentAt: { lte: before } }, orderBy: { id: 'asc' } });
  if (rows.length === 0) return [];
  const leads = await inChunks([...new Set(rows.map((r) => r.leadId))], (chunk) =>
    db.lead.findMany({
      where: { id: { in: chunk } },
      select: { id: true, code: true, projectName: true, town: true, submitterId: true, status: true },
    }),
  );
  const byId = new Map(leads.map((l) => [l.id, l]));
  const out: OverdueFollowUp[] = [];
  for (const r of rows) {
    const l = byId.get(r.leadId);
    if (!l || l.status !== 'approved') continue;
    out.push({ followUpId: r.id, leadId: l.id, code: l.code, projectName: l.projectName, town: l.town, ownerId: l.submitterId, sentAt: r.sentAt });
  }
  return out.sort((a, b) => (a.town === b.town ? (a.code < b.code ? -1 : 1) : a.town < b.town ? -1 : 1));
}
