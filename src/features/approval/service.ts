// Runs workflow transitions against the database: ONE transaction per action. The transaction reads the
// lead's state, asks the pure workflow (src/features/approval/workflow.ts) what to do, applies the effects with
// conditional updates (src/features/approval/store.ts) and writes every card and notice to the outbox, so a decision
// and its messages commit together. A click reads the lead once: the cards after it are rendered from the state
// the workflow's transition leads to (viewAfter), not from a second read.
//
// A decision is taken exactly once. The first effect of every transition is a conditional update of the
// lead's version; when it misses (another transaction changed the lead meanwhile), the transaction is rolled
// back and the action runs again on the fresh state, where the workflow answers with its refusal
// ("该环节已由 张三 处理（同意）"). On PostgreSQL concurrent transactions really interleave and this guard
// decides. On SQLite transactions already run one at a time (src/platform/db/sqlite-serial.ts), so the guard never
// misses there; actions on one lead are still queued in-process, so 50 concurrent clicks on one card wait
// their turn in memory instead of all waiting on the connection's transaction lock, where every wait counts
// against TX_OPTIONS.maxWait. Never call these functions inside another transaction.
import { onLeadApproved } from '../push/push.ts';
import { TX_OPTIONS, type Tx } from '../../platform/db/client.ts';
import { enqueue, enqueuePatchMessage, enqueuePatchRef, cardContent, newestRefAt, stillPatchable, textContent } from '../../platform/delivery/outbox.ts';
import type { CardJson, OutgoingMessage, ToastType } from '../../platform/lark/types.ts';
import { loadHolders, namesOf, type Person } from '../../platform/people.ts';
import { sheetTotal as sheetTotalOf } from './panel.ts';
import {
  applyEffects, auditTrail, loadStep, loadWorkflow, stepKey, WorkflowConflict, type LeadRow, type LoadedWorkflow, type MessageEffect, type StepRow,
} from './store.ts';
import {
  decide, isStepKind, restaff, STEP_LABELS, type Effect, type Holders, type RefusalCode, type Role, type StepKind, type WorkflowAction, type WorkflowState,
} from './workflow.ts';
import type { Services } from '../../platform/bot/services.ts';
import {
  doneToast, idsToName, noAssigneeNotice, stepCard, submitterLeadCard, submitterNotice, submitterOutcomeText, supersededLeadCard, transferNoteKey, withdrawnNotice,
  type ApprovalView, type ConfirmedDuplicates, type MeetingView, type PanelSheetView, type PreviousReturn,
} from './cards.ts';
import { leadsWithPendingStepOf } from './store.ts';
import {
  drawPanel, panelResult, parseMeeting, parseSheet, sheetIndicators, MEETING_OUTCOME_LABELS, type ExpertProfile, type PanelDraw,
} from './panel.ts';
import { recordMeeting, submitSheet, type PanelDrawFn } from './workflow.ts';

const MAX_ATTEMPTS = 25;

/** Every copy of a step card is sent with refType 'step' and this refId, so each person's copies can be re-rendered for him. */
export const STEP_REF_TYPE = 'step';
export function stepCopyRef(stepId: number, userId: string): string {
  return `${stepId}:${userId}`;
}

/**
 * The submitter's progress notices ("初审已通过", with 催办) are sent with refType 'submitter' and this refId, so
 * they can be re-rendered without 催办 once the lead leaves approval, as the step cards are.
 */
export const SUBMITTER_REF_TYPE = 'submitter';
export function submitterNoticeRef(leadId: number, round: number, step: StepKind): string {
  return `${leadId}:${round}:${step}`;
}

/**
 * The submitter's living card (submitterLeadCard) when it is not the form he clicked (Lead.cardMessageId):
 * sent by the outbox with refType 'lead' and the lead's id as refId, and updated through enqueuePatchRef.
 */
export const LEAD_CARD_REF_TYPE = 'lead';

// ---- serialising and retrying ------------------------------------------------------------------------

const queues = new WeakMap<object, Map<number, Promise<void>>>();

/**
 * Runs `fn` after every earlier call for the same lead (SQLite only; elsewhere at once): a burst of clicks on
 * one lead waits here rather than on the SQLite transaction lock and its maxWait.
 */
export async function withLeadQueue<T>(services: Services, leadId: number, fn: () => Promise<T>): Promise<T> {
  if (services.database.target.provider !== 'sqlite') return fn();
  let byLead = queues.get(services.database);
  if (!byLead) queues.set(services.database, (byLead = new Map()));
  const before = byLead.get(leadId) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = before.then(() => mine);
  byLead.set(leadId, tail);
  await before;
  try {
    return await fn();
  } finally {
    release();
    if (byLead.get(leadId) === tail) byLead.delete(leadId);
  }
}

/**
 * One transaction about one lead, queued per lead on SQLite and run again (from scratch) when a conditional
 * update finds the lead changed. `body` must do everything through `tx`.
 */
export async function runLeadTransaction<T>(services: Services, leadId: number, body: (tx: Tx) => Promise<T>): Promise<T> {
  return withLeadQueue(services, leadId, async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await services.db.$transaction(async (tx) => {
          // Take the lead's row lock first (a no-op UPDATE, valid on both providers): on PostgreSQL two
          // clicks on one lead then run one after the other, so the loser reads the step and its
          // assignees as the winner committed them, never a mix of before and after. SQLite already has
          // one writer at a time.
          await tx.$executeRaw`UPDATE "Lead" SET "version" = "version" WHERE "id" = ${leadId}`;
          return body(tx);
        }, TX_OPTIONS);
      } catch (err) {
        if (err instanceof WorkflowConflict && attempt < MAX_ATTEMPTS) {
          services.log.debug({ leadId, attempt }, 'approval: lead changed meanwhile, deciding again');
          continue;
        }
        throw err;
      }
    }
  });
}

// ---- rendering and enqueueing ------------------------------------------------------------------------

/** What the cards need, read in the transaction: the lead, its current round, names and role holders. */
export async function loadView(tx: Tx | Services['db'], services: Services, loaded: LoadedWorkflow, holders: Holders, extraIds: string[] = []): Promise<ApprovalView> {
  const { transferNotes, previousReturn, confirmedDuplicates } = await notesOf(tx, loaded);
  const ids = [...idsToName(loaded.lead, loaded.steps, holders), ...extraIds, ...(previousReturn ? [previousReturn.by] : [])];
  // Only what this round's steps can show: sheets of panel steps, meetings of meeting steps, reports for 领导小组.
  const panelIds = loaded.steps.filter((x) => x.mode === 'panel').map((x) => x.id);
  const meetingIds = loaded.steps.filter((x) => x.mode === 'meeting').map((x) => x.id);
  const [sheets, meetings, reports] = await Promise.all([
    panelIds.length > 0 ? tx.panelSheet.findMany({ where: { stepId: { in: panelIds } }, orderBy: { id: 'asc' } }) : [],
    meetingIds.length > 0 ? tx.leadMeeting.findMany({ where: { stepId: { in: meetingIds } }, orderBy: { id: 'asc' } }) : [],
    loaded.steps.some((x) => x.step === 'leadership') ? tx.leadReport.findMany({ where: { leadId: loaded.lead.id }, orderBy: { id: 'asc' } }) : [],
  ]);
  const names = await namesOf(tx, ids);
  const grants = await tx.roleGrant.findMany({ where: { userId: loaded.lead.submitterId, role: 'staff' }, select: { town: true } });
  const submitterTowns = [...new Set(grants.flatMap((g) => (g.town ? [g.town] : [])))];
  return {
    lead: loaded.lead, steps: loaded.steps, names, holders, tz: services.env.BOT_TIMEZONE, transferNotes, previousReturn, confirmedDuplicates, submitterTowns,
    sheets: sheets.map((x) => ({ stepId: x.stepId, expertId: x.expertId, total: x.total, pass: x.pass, comment: x.comment })),
    indicators: sheetIndicators(services.office.scoring, loaded.lead.kind),
    meetings: meetings.map((m) => ({ stepId: m.stepId, date: m.meetingDate, attendees: m.attendees, outcome: m.outcome, minutes: m.minutes })),
    reports: reports.map((r) => ({ fileName: r.fileName })),
  };
}

/** From the audit trail: the 转交 notes of this round's steps, and the 退回修改 that ended the previous round. */
async function notesOf(tx: Tx | Services['db'], loaded: LoadedWorkflow): Promise<{ transferNotes: Map<string, string>; previousReturn?: PreviousReturn; confirmedDuplicates?: ConfirmedDuplicates }> {
  const transferNotes = new Map<string, string>();
  let previousReturn: PreviousReturn | undefined;
  let confirmedDuplicates: ConfirmedDuplicates | undefined;
  const stepIds = new Set(loaded.steps.map((s) => s.id));
  const round = loaded.lead.round;
  for (const e of await auditTrail(tx, loaded.lead.id)) {
    const data = e.data && typeof e.data === 'object' && !Array.isArray(e.data) ? (e.data as Record<string, unknown>) : {};
    if (e.action === 'transfer' && e.stepId !== null && stepIds.has(e.stepId) && typeof data.to === 'string') {
      if (e.comment) transferNotes.set(transferNoteKey(e.stepId, data.to), e.comment);
      else transferNotes.delete(transferNoteKey(e.stepId, data.to));
    } else if (e.action === 'return' && e.comment && round > 1 && data.round === round - 1) {
      previousReturn = { round: round - 1, by: e.actorId, step: isStepKind(data.step) ? data.step : null, comment: e.comment };
    } else if (e.action === 'duplicate_confirmed' && data.round === round && Array.isArray(data.codes)) {
      confirmedDuplicates = { codes: data.codes.filter((c): c is string => typeof c === 'string'), by: data.by === 'credit_code' ? 'credit_code' : 'company' };
    }
  }
  return { transferNotes, ...(previousReturn ? { previousReturn } : {}), ...(confirmedDuplicates ? { confirmedDuplicates } : {}) };
}

async function stepIn(tx: Tx, view: ApprovalView, stepId: number | null): Promise<StepRow | undefined> {
  if (stepId === null) return undefined;
  return view.steps.find((s) => s.id === stepId) ?? (await loadStep(tx, stepId)) ?? undefined;
}

function sendCard(to: string, c: CardJson, ref?: { refType: string; refId: string }): OutgoingMessage {
  return { op: 'send', receiveIdType: 'open_id', receiveId: to, msgType: 'interactive', content: cardContent(c), ...ref };
}

/**
 * Renders and enqueues the people-facing effects of a transition that was just applied, from `view` (the state
 * after the transition): step cards to assignees (one tracked copy per person), in-place updates of every
 * copy, notices.
 */
async function deliver(tx: Tx, view: ApprovalView, messages: readonly MessageEffect[], holders: Holders, now: Date): Promise<void> {
  const out: OutgoingMessage[] = [];
  for (const m of messages) {
    switch (m.type) {
      case 'send_step_cards': {
        const step = await stepIn(tx, view, m.stepId);
        if (!step) break;
        for (const userId of m.userIds) {
          out.push(sendCard(userId, stepCard(view, step, userId, { reason: m.reason, now }), { refType: STEP_REF_TYPE, refId: stepCopyRef(step.id, userId) }));
        }
        break;
      }
      case 'update_step_cards': {
        const step = await stepIn(tx, view, m.stepId);
        if (!step) break;
        for (const userId of new Set(step.assignees.map((a) => a.userId))) {
          await enqueuePatchRef(tx, STEP_REF_TYPE, stepCopyRef(step.id, userId), stepCard(view, step, userId));
        }
        break;
      }
      case 'notify_assignees':
        for (const userId of m.userIds) out.push(sendCard(userId, withdrawnNotice(view, m.step)));
        break;
      case 'notify_submitter': {
        // The submitter follows his lead on ONE living card, updated in place (refreshLivingCard). Only the
        // end of a round gets a brief text as well (a patched card makes no sound): returned (he must act),
        // approved (he records 签约 → 投产 next), rejected.
        if (m.event === 'step_approved') break;
        out.push({ op: 'send', receiveIdType: 'open_id', receiveId: m.userId, msgType: 'text', content: textContent(submitterOutcomeText({ view, event: m.event, step: m.step, by: m.by, comment: m.comment })) });
        break;
      }
      case 'notify_admins_no_assignee':
        for (const admin of holders.admin ?? []) out.push(sendCard(admin, noAssigneeNotice(view, m.step, m.role)));
        break;
    }
  }
  await enqueue(tx, out);
}

/**
 * Once the lead leaves approval (approved, rejected, returned, withdrawn), the submitter's progress notices of
 * this round still carry 催办: every copy is re-rendered (enqueuePatchRef, as for the step cards) with the
 * lead's state and without buttons.
 */
async function updateSubmitterNotices(tx: Tx, leadId: number, view: ApprovalView): Promise<void> {
  if (view.lead.status === 'pending') return;
  for (const s of view.steps) {
    if (s.status !== 'approved' || !s.decidedBy) continue;
    const decider = s.assignees.find((a) => a.userId === s.decidedBy);
    const notice = submitterNotice({ view, event: 'step_approved', step: s.step, by: s.decidedBy, comment: decider?.comment ?? null });
    await enqueuePatchRef(tx, SUBMITTER_REF_TYPE, submitterNoticeRef(leadId, view.lead.round, s.step), notice);
  }
}

/** Effects after which a card about the lead shows something else (not a reminder, not an audit row alone). */
const STATE_EFFECTS: ReadonlySet<Effect['type']> = new Set([
  'lead_status', 'lead_major', 'step_started', 'assignee_decided', 'step_decided', 'step_cancelled', 'assignee_transferred', 'assignees_added', 'assignees_removed',
]);

export interface TransitionOptions {
  /**
   * The message whose callback answer already shows the new state (the card the person clicked): the living
   * card is not patched when it is that message (a patch may reach Lark before the answer and be undone by it).
   */
  answeredMessageId?: string;
  /**
   * The view the transition was decided on and the state the domain says it leads to: the cards are rendered
   * from these (viewAfter) and the lead is not read again. Without it the lead is read after the effects.
   */
  decidedOn?: DecidedOn;
}

export interface DecidedOn {
  view: ApprovalView;
  next: WorkflowState;
  /** Rows the caller wrote beside the effects that the view shows: a 评分表, a meeting's record. */
  sheets?: readonly PanelSheetView[];
  meetings?: readonly MeetingView[];
}

/**
 * The view after a transition, without reading the lead again: the lead and the steps of its round as the
 * domain's `next` state says they are now (the ids of steps the effects created from `stepIds`), the 转交 notes
 * of the transition's audit rows added to those read before. Reads only what the earlier view could not hold:
 * the names of people it did not name, and the lead's reports when the transition added its 领导小组 step.
 * Within one round, as every decision is (a new round is opened by start.ts, which reads).
 */
async function viewAfter(
  tx: Tx,
  from: DecidedOn,
  effects: readonly Effect[],
  stepIds: ReadonlyMap<string, number>,
  holders: Holders,
  now: Date,
  extraIds: readonly string[],
): Promise<ApprovalView> {
  const { view: before, next } = from;
  if (next.lead.round !== before.lead.round) throw new Error(`viewAfter: lead ${before.lead.id} changed round`);
  const idOf = (s: { id: number | null; round: number; step: StepKind }): number => {
    const id = s.id ?? stepIds.get(stepKey(s.round, s.step));
    if (id === undefined) throw new Error(`viewAfter: no id for step ${s.step} of round ${s.round} (lead ${before.lead.id})`);
    return id;
  };

  // The lead's columns the effects write (updatedAt, which no card shows, is left as read).
  let lead: LeadRow = { ...before.lead, status: next.lead.status, round: next.lead.round, major: next.lead.major, version: next.lead.version };
  const bumps = new Map<number, number>();
  for (const e of effects) {
    if (e.type === 'lead_status') lead = { ...lead, ...(e.approvedAt ? { approvedAt: e.approvedAt } : {}), ...(e.closedAt ? { closedAt: e.closedAt } : {}) };
    if (e.type === 'step_decided' || e.type === 'step_cancelled') {
      const id = idOf({ id: e.stepId, round: e.round, step: e.step });
      bumps.set(id, (bumps.get(id) ?? 0) + 1);
    }
  }

  // The steps as loadWorkflow reads them: by position, assignees by userId.
  const steps: StepRow[] = next.steps.map((s) => {
    const id = idOf(s);
    const read = before.steps.find((x) => x.id === id);
    return {
      id, leadId: lead.id, round: s.round, position: s.position, step: s.step, mode: s.mode, status: s.status,
      startedAt: s.startedAt, decidedAt: s.decidedAt, decidedBy: s.decidedBy, lastRemindedAt: s.lastRemindedAt,
      version: (read?.version ?? 0) + (bumps.get(id) ?? 0),
      createdAt: read?.createdAt ?? now,
      assignees: s.assignees
        .map((a) => ({ stepId: id, userId: a.userId, decision: a.decision, comment: a.comment, decidedAt: a.decidedAt, transferredFrom: a.transferredFrom, active: a.active }))
        .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0)),
    };
  }).sort((a, b) => a.position - b.position);

  // 转交 notes, as notesOf reads them from the audit trail: the transition's rows come last.
  const transferNotes = new Map(before.transferNotes ?? []);
  for (const e of effects) {
    if (e.type !== 'audit' || e.action !== 'transfer' || !e.step || typeof e.data?.to !== 'string') continue;
    const key = transferNoteKey(idOf({ id: e.stepId, round: e.round, step: e.step }), e.data.to);
    if (e.comment) transferNotes.set(key, e.comment);
    else transferNotes.delete(key);
  }

  // namesOf answers every id it is asked for (an unknown one as such): the names read are the ids asked.
  const named = new Set(before.names.keys());
  const ids = [...idsToName(lead, steps, holders), ...extraIds, ...(before.previousReturn ? [before.previousReturn.by] : [])];
  const unnamed = [...new Set(ids.filter((id) => !named.has(id)))];
  const names = unnamed.length > 0 ? new Map([...before.names, ...(await namesOf(tx, unnamed))]) : before.names;
  const hadLeadership = before.steps.some((x) => x.step === 'leadership');
  const reports = !hadLeadership && steps.some((x) => x.step === 'leadership')
    ? (await tx.leadReport.findMany({ where: { leadId: lead.id }, orderBy: { id: 'asc' } })).map((r) => ({ fileName: r.fileName }))
    : before.reports;
  const panelIds = new Set(steps.filter((x) => x.mode === 'panel').map((x) => x.id));
  const meetingIds = new Set(steps.filter((x) => x.mode === 'meeting').map((x) => x.id));
  return {
    ...before,
    lead,
    steps,
    names,
    transferNotes,
    reports,
    sheets: [...(before.sheets ?? []), ...(from.sheets ?? [])].filter((x) => panelIds.has(x.stepId)),
    meetings: [...(before.meetings ?? []), ...(from.meetings ?? [])].filter((x) => meetingIds.has(x.stepId)),
  };
}

/** The view after a transition, read from the database (callers that decided without one). */
async function readView(tx: Tx, services: Services, leadId: number, holders: Holders, extraIds: string[]): Promise<ApprovalView | undefined> {
  const loaded = await loadWorkflow(tx, leadId);
  return loaded ? loadView(tx, services, loaded, holders, extraIds) : undefined;
}

/**
 * Every copy of every step card of the round (reviewers', approvers', experts', leaders') shows the lead as it
 * is now: an earlier step's card no longer says 待审签 once a leader rejected, and buttons stay only on the
 * copies of whoever may still act (stepCard). Copies queued by this very transition are left as rendered.
 */
async function refreshStepCopies(tx: Tx, view: ApprovalView, messages: readonly MessageEffect[]): Promise<void> {
  const done = new Set<string>();
  for (const m of messages) {
    if (!('stepId' in m) || m.stepId === null) continue;
    if (m.type === 'send_step_cards') for (const u of m.userIds) done.add(stepCopyRef(m.stepId, u));
    if (m.type === 'update_step_cards') {
      const step = view.steps.find((s) => s.id === m.stepId);
      for (const a of step?.assignees ?? []) done.add(stepCopyRef(m.stepId, a.userId));
    }
  }
  for (const step of view.steps) {
    if (step.status === 'waiting') continue;
    for (const userId of new Set(step.assignees.map((a) => a.userId))) {
      const ref = stepCopyRef(step.id, userId);
      if (done.has(ref)) continue;
      await enqueuePatchRef(tx, STEP_REF_TYPE, ref, stepCard(view, step, userId));
    }
  }
}

/**
 * The submitter's living card shows the lead as it is now: the form he submitted (Lead.cardMessageId, while
 * Lark still lets it be updated) is patched; otherwise the card the outbox sent him (refType 'lead') is, and
 * when there is none that may still be updated, a new one is sent.
 */
async function refreshLivingCard(tx: Tx, services: Services, view: ApprovalView, answeredMessageId?: string): Promise<void> {
  const { lead } = view;
  const card = submitterLeadCard(view);
  const refId = String(lead.id);
  if (lead.cardMessageId && lead.cardMessageAt && stillPatchable(lead.cardMessageAt, services.clock())) {
    if (lead.cardMessageId !== answeredMessageId) await enqueuePatchMessage(tx, lead.cardMessageId, card, { refType: LEAD_CARD_REF_TYPE, refId });
    return;
  }
  const newest = await newestRefAt(tx, LEAD_CARD_REF_TYPE, refId);
  if (newest && stillPatchable(newest)) {
    await enqueuePatchRef(tx, LEAD_CARD_REF_TYPE, refId, card);
    return;
  }
  await enqueue(tx, [sendCard(lead.submitterId, card, { refType: LEAD_CARD_REF_TYPE, refId })]);
}

/**
 * Makes `messageId` (the form the submitter just submitted) the lead's living card, IN THE TRANSACTION THAT
 * SUBMITS IT, before the approval starts. An earlier living card (a form submitted before, or one the outbox
 * sent) is turned into a pointer without buttons once the round has started (see supersedeLivingCards).
 */
export async function adoptLivingCard(tx: Tx, services: Services, leadId: number, messageId: string): Promise<void> {
  await tx.lead.update({ where: { id: leadId }, data: { cardMessageId: messageId, cardMessageAt: services.clock() }, select: { id: true } });
}

/** After a resubmission from another card: the earlier living cards point to the new one and lose their buttons. */
export async function supersedeLivingCards(tx: Tx, services: Services, leadId: number, earlier: string | null): Promise<void> {
  const loaded = await loadWorkflow(tx, leadId);
  if (!loaded) return;
  const view = await loadView(tx, services, loaded, {});
  const card = supersededLeadCard(view);
  if (earlier && earlier !== loaded.lead.cardMessageId) await enqueuePatchMessage(tx, earlier, card, { refType: LEAD_CARD_REF_TYPE, refId: String(leadId) });
  await enqueuePatchRef(tx, LEAD_CARD_REF_TYPE, String(leadId), card);
}

/** The submitter's living card as it is now (the answer to his submit), read in the caller's transaction. */
export async function livingCardOf(tx: Tx, services: Services, leadId: number, done?: string): Promise<CardJson | undefined> {
  const loaded = await loadWorkflow(tx, leadId);
  if (!loaded) return undefined;
  const holders = await loadHolders(tx, services.env.BOT_ADMINS);
  return submitterLeadCard(await loadView(tx, services, loaded, holders), done);
}

/**
 * Applies a transition's effects and delivers its messages, in the caller's transaction. Returns the view after
 * the transition, or undefined when it neither sends anything nor changes what a card shows.
 */
export async function applyTransition(tx: Tx, services: Services, leadId: number, effects: readonly Effect[], holders: Holders, now: Date, opts: TransitionOptions = {}): Promise<ApprovalView | undefined> {
  const { messages, stepIds } = await applyEffects(tx, leadId, effects, now);
  // 靶向推送: chats following the lead's industry chain hear of it once it is approved.
  if (effects.some((e) => e.type === 'lead_status' && e.to === 'approved')) await onLeadApproved(tx, services, leadId);
  const leftApproval = effects.some((e) => e.type === 'lead_status' && e.from === 'pending');
  const changed = effects.some((e) => STATE_EFFECTS.has(e.type));
  if (messages.length === 0 && !leftApproval && !changed) return undefined;
  const extraIds = messages.flatMap((m) => (m.type === 'notify_submitter' ? [m.by] : []));
  const view = opts.decidedOn
    ? await viewAfter(tx, opts.decidedOn, effects, stepIds, holders, now, extraIds)
    : await readView(tx, services, leadId, holders, extraIds);
  if (!view) return undefined;
  if (messages.length > 0) await deliver(tx, view, messages, holders, now);
  if (!leftApproval && !changed) return view;
  if (leftApproval) await updateSubmitterNotices(tx, leadId, view);
  if (changed) {
    await refreshStepCopies(tx, view, messages);
    await refreshLivingCard(tx, services, view, opts.answeredMessageId);
  }
  return view;
}

// ---- actions -----------------------------------------------------------------------------------------

export interface ActRequest {
  leadId: number;
  /** The step whose card was clicked; absent for the submitter's 撤回 / 催办. */
  stepId?: number;
  action: WorkflowAction;
  comment?: string;
  /** 一事一议 with approve on the review step. */
  major?: boolean;
  /** Transfer target. */
  to?: string;
  /** The message clicked (its callback answer shows the new state). */
  messageId?: string;
}

export type ActResult =
  | { ok: true; toast: string; card?: CardJson }
  | { ok: false; code: RefusalCode | 'no_lead'; reason: string; toastType: ToastType; card?: CardJson };

/** Refusals that mean the clicked card is out of date: answer with the card as it is now. */
const STALE: ReadonlySet<string> = new Set(['stale_card', 'step_settled', 'step_not_started', 'lead_closed', 'transferred_away', 'already_voted', 'role_lost']);
/** Refusals of the submitter's 撤回 / 催办 that mean his card is out of date: answer with his card as it is now. */
const SUBMITTER_STALE: ReadonlySet<string> = new Set(['lead_closed', 'already_acted']);
/** Refusals of someone who may not act at all. */
const FORBIDDEN: ReadonlySet<string> = new Set(['not_assignee', 'not_submitter', 'not_allowed', 'role_lost', 'transferred_away']);

/** "已催办初审（2 位审批人）。" for the submitter's card after his 催办. */
function remindedLine(view: ApprovalView): string | undefined {
  const step = view.steps.find((s) => s.status === 'pending');
  if (!step) return undefined;
  const waiting = step.assignees.filter((a) => a.active && !a.decision).length;
  return `已催办${STEP_LABELS[step.step]}（${waiting} 位审批人）。`;
}

/** One person's action on a lead, in one transaction; returns what to answer the click with. */
export async function act(services: Services, person: Person, req: ActRequest): Promise<ActResult> {
  const now = services.clock();
  const result = await runLeadTransaction(services, req.leadId, async (tx): Promise<ActResult> => {
    const loaded = await loadWorkflow(tx, req.leadId);
    if (!loaded) return { ok: false, code: 'no_lead', reason: '该项目不存在', toastType: 'error' };
    const holders = await loadHolders(tx, services.env.BOT_ADMINS);
    const view = await loadView(tx, services, loaded, holders, req.to ? [req.to] : []);
    const actor = { id: person.openId, roles: [...person.roles] };
    const panel = await panelDrawer(tx, services, loaded.lead, loaded.state.steps.some((s) => s.status === 'waiting' && s.mode === 'panel') || (req.major === true && services.office.panel.major));
    const r = decide(loaded.state, actor, req.action, {
      holders,
      stepId: req.stepId,
      comment: req.comment,
      major: req.major,
      to: req.to,
      nameOf: (id) => view.names.get(id),
      draw: panel.draw,
      office: services.office,
    }, now);

    const submitter = req.stepId === undefined && person.openId === loaded.lead.submitterId;
    if (!r.ok) {
      let card: CardJson | undefined;
      if (req.stepId !== undefined && STALE.has(r.code)) {
        const step = await stepIn(tx, view, req.stepId);
        if (step && step.assignees.some((a) => a.userId === person.openId)) card = stepCard(view, step, person.openId);
      }
      if (submitter && SUBMITTER_STALE.has(r.code)) card = submitterLeadCard(view);
      return { ok: false, code: r.code, reason: r.reason, toastType: FORBIDDEN.has(r.code) ? 'error' : 'warning', ...(card ? { card } : {}) };
    }

    const decidedOn = { view, next: r.next };
    const after = (await applyTransition(tx, services, req.leadId, r.effects, holders, now, { answeredMessageId: req.messageId, decidedOn })) ?? view;
    await auditPanelDraw(tx, req.leadId, panel.last(), now);
    let card: CardJson | undefined;
    let stepAfter: StepRow | undefined;
    if (req.stepId !== undefined) {
      stepAfter = await stepIn(tx, after, req.stepId);
      if (stepAfter) card = stepCard(after, stepAfter, person.openId);
    } else if (submitter) {
      // 撤回 / 催办 on one of the submitter's cards: that card now shows the lead as it is.
      card = submitterLeadCard(after, req.action === 'remind' ? remindedLine(after) : undefined);
    }
    const toast = stepAfter ? doneToast(req.action, { step: stepAfter.step, status: stepAfter.status, mode: stepAfter.mode }) : doneToast(req.action);
    return { ok: true, toast, ...(card ? { card } : {}) };
  });
  if (result.ok) services.kickOutbox();
  return result;
}

/**
 * After a grant or removal of `role`, IN THE TRANSACTION THAT CHANGED THE ROLE (so the change and its
 * re-staffing commit together): re-staffs every pending step taken by that role (a step left without a
 * holder gets the new one; people who lost the role drop out), audited as done by `by`. A no-op for steps
 * that need no change, so it may run after a command that changed nothing. Each lead's row is locked
 * first, as runLeadTransaction does. Returns how many leads changed; the caller kicks the outbox after commit.
 */
export async function restaffRoleIn(tx: Tx, services: Services, role: Role, by: string): Promise<number> {
  // Ascending ids: two role commands at once lock the leads in the same order (no deadlock on PostgreSQL).
  const leadIds = (await leadsWithPendingStepOf(tx, role)).sort((a, b) => a - b);
  let changed = 0;
  for (const leadId of leadIds) {
    await tx.$executeRaw`UPDATE "Lead" SET "version" = "version" WHERE "id" = ${leadId}`;
    const loaded = await loadWorkflow(tx, leadId);
    if (!loaded || loaded.state.lead.status !== 'pending') continue;
    const holders = await loadHolders(tx, services.env.BOT_ADMINS);
    const now = services.clock();
    const t = restaff(loaded.state, holders, now, by);
    if (t.effects.length === 0) continue;
    await applyTransition(tx, services, leadId, t.effects, holders, now);
    if (t.effects.some((e) => e.type === 'lead_version')) changed++;
  }
  return changed;
}

/** Sends `userId` a fresh copy of a step card he may act on (from 我的待办). */
export async function resendStepCard(services: Services, userId: string, stepId: number): Promise<ActResult> {
  const step = await loadStep(services.db, stepId);
  if (!step) return { ok: false, code: 'stale_card', reason: '该审批环节不存在', toastType: 'warning' };
  const result = await runLeadTransaction(services, step.leadId, async (tx): Promise<ActResult> => {
    const loaded = await loadWorkflow(tx, step.leadId);
    if (!loaded) return { ok: false, code: 'no_lead', reason: '该项目不存在', toastType: 'error' };
    const holders = await loadHolders(tx, services.env.BOT_ADMINS);
    const view = await loadView(tx, services, loaded, holders);
    const current = view.steps.find((s) => s.id === stepId);
    const mine = current?.status === 'pending' && loaded.lead.status === 'pending' && current.assignees.some((a) => a.userId === userId && a.active && !a.decision);
    if (!current || !mine) return { ok: false, code: 'step_settled', reason: '该环节已处理或已不需要您处理', toastType: 'warning' };
    await enqueue(tx, [sendCard(userId, stepCard(view, current, userId), { refType: STEP_REF_TYPE, refId: stepCopyRef(current.id, userId) })]);
    return { ok: true, toast: '已重新发送审批卡片' };
  });
  if (result.ok) services.kickOutbox();
  return result;
}

// ---- 专家组评审 and 领导小组会议 -------------------------------------------------------------------------

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The expert register (专家库) as profiles by open_id. */
export async function expertProfiles(db: Tx | Services['db']): Promise<Map<string, ExpertProfile>> {
  const rows = await db.expert.findMany();
  return new Map(rows.map((r) => [r.userId, { userId: r.userId, fields: strings(r.fields), companies: strings(r.companies), towns: strings(r.towns) }]));
}

/**
 * A panel draw for this lead from the expert register (panel.ts drawPanel, office.panel.size) and what it
 * drew last, so the caller can audit who was skipped for a conflict of interest.
 */
export async function panelDrawer(tx: Tx, services: Services, lead: LeadRow, needed = true): Promise<{ draw: PanelDrawFn; last: () => PanelDraw | undefined }> {
  // The register is read only when a panel may start (registrations and clicks stay one query lighter).
  const profiles = needed ? await expertProfiles(tx) : new Map<string, ExpertProfile>();
  let last: PanelDraw | undefined;
  const draw: PanelDrawFn = (eligible) => {
    last = drawPanel(eligible, profiles, lead, services.office.panel.size);
    return last.chosen;
  };
  return { draw, last: () => last };
}

/** Records the panel drawn by a transition (who sits, who was skipped and why) in the audit trail. */
export async function auditPanelDraw(tx: Tx, leadId: number, drawn: PanelDraw | undefined, now: Date): Promise<void> {
  if (!drawn) return;
  const data: Record<string, string | number> = { chosen: drawn.chosen.join(',') };
  if (drawn.skipped.length > 0) data.skipped = drawn.skipped.map((x) => `${x.userId}:${x.reason}`).join(';');
  await tx.auditEvent.create({ data: { actorId: 'system', action: 'panel_drawn', role: null, leadId, comment: null, data, createdAt: now } });
}

export interface FormRequest {
  leadId: number;
  stepId: number;
  form: Record<string, unknown>;
}

/** What a form wrote beside the transition's effects, as the step card shows it. */
type Written = Pick<DecidedOn, 'sheets' | 'meetings'>;

/** Runs a sheet or meeting transition on a step card's form; answers like act(). */
async function actOnForm(
  services: Services,
  person: Person,
  req: FormRequest,
  run: (tx: Tx, loaded: LoadedWorkflow, view: ApprovalView, holders: Holders, now: Date) => Promise<{ r: ReturnType<typeof submitSheet>; after?: () => Promise<Written> } | { refusal: string }>,
  toastText: string,
): Promise<ActResult> {
  const now = services.clock();
  const result = await runLeadTransaction(services, req.leadId, async (tx): Promise<ActResult> => {
    const loaded = await loadWorkflow(tx, req.leadId);
    if (!loaded) return { ok: false, code: 'no_lead', reason: '该项目不存在', toastType: 'error' };
    const holders = await loadHolders(tx, services.env.BOT_ADMINS);
    const view = await loadView(tx, services, loaded, holders);
    const out = await run(tx, loaded, view, holders, now);
    if ('refusal' in out) return { ok: false, code: 'not_allowed', reason: out.refusal, toastType: 'warning' };
    const { r } = out;
    if (!r.ok) {
      let card: CardJson | undefined;
      if (STALE.has(r.code)) {
        const step = await stepIn(tx, view, req.stepId);
        if (step && step.assignees.some((a) => a.userId === person.openId)) card = stepCard(view, step, person.openId);
      }
      return { ok: false, code: r.code, reason: r.reason, toastType: FORBIDDEN.has(r.code) ? 'error' : 'warning', ...(card ? { card } : {}) };
    }
    const written = (await out.after?.()) ?? {};
    const after = (await applyTransition(tx, services, req.leadId, r.effects, holders, now, { decidedOn: { view, next: r.next, ...written } })) ?? view;
    const stepAfter = await stepIn(tx, after, req.stepId);
    return { ok: true, toast: toastText, ...(stepAfter ? { card: stepCard(after, stepAfter, person.openId) } : {}) };
  });
  if (result.ok) services.kickOutbox();
  return result;
}

/** An expert files his 评分表 (the step card's sheet form). */
export async function fileSheet(services: Services, person: Person, req: FormRequest): Promise<ActResult> {
  return actOnForm(services, person, req, async (tx, loaded, view, holders, now) => {
    const parsed = parseSheet(view.indicators ?? [], req.form);
    if (!parsed.ok) return { refusal: parsed.reason };
    const total = sheetTotalOf(parsed.lines);
    const step = loaded.steps.find((s) => s.id === req.stepId);
    const others = (view.sheets ?? []).filter((x) => x.stepId === req.stepId && x.expertId !== person.openId
      && step?.assignees.some((a) => a.userId === x.expertId && a.active));
    const { rule, threshold } = services.office.panel;
    const result = panelResult([...others, { total, pass: parsed.pass }], rule, threshold);
    const r = submitSheet(loaded.state, { id: person.openId, roles: [...person.roles] }, {
      holders, stepId: req.stepId, pass: parsed.pass, comment: parsed.comment ?? undefined, total, result,
      nameOf: (id) => view.names.get(id), office: services.office,
    }, now);
    return {
      r,
      after: async () => {
        const x = await tx.panelSheet.create({
          data: { leadId: req.leadId, stepId: req.stepId, expertId: person.openId, lines: parsed.lines as never, total, pass: parsed.pass, comment: parsed.comment, createdAt: now },
        });
        return { sheets: [{ stepId: x.stepId, expertId: x.expertId, total: x.total, pass: x.pass, comment: x.comment }] };
      },
    };
  }, '已提交评分表');
}

/** The secretary records the 领导小组's meeting (the step card's meeting form). */
export async function fileMeeting(services: Services, person: Person, req: FormRequest): Promise<ActResult> {
  return actOnForm(services, person, req, async (tx, loaded, view, holders, now) => {
    const parsed = parseMeeting(req.form);
    if (!parsed.ok) return { refusal: parsed.reason };
    const m = parsed.meeting;
    const r = recordMeeting(loaded.state, { id: person.openId, roles: [...person.roles] }, {
      holders, stepId: req.stepId, outcome: m.outcome, summary: `${m.date} 领导小组会议：${MEETING_OUTCOME_LABELS[m.outcome]}${m.minutes ? `。${m.minutes}` : ''}`.slice(0, 500),
      nameOf: (id) => view.names.get(id),
    }, now);
    return {
      r,
      after: async () => {
        const x = await tx.leadMeeting.create({
          data: { leadId: req.leadId, stepId: req.stepId, meetingDate: m.date, attendees: m.attendees, outcome: m.outcome, minutes: m.minutes, recordedBy: person.openId, createdAt: now },
        });
        return { meetings: [{ stepId: x.stepId, date: x.meetingDate, attendees: x.attendees, outcome: x.outcome, minutes: x.minutes }] };
      },
    };
  }, '已记录会议决议');
}
