// The approval workflow (双层签批) as a pure state machine. No I/O: every function takes plain data (the lead,
// the steps of its current round with their assignees, the acting person with his roles, the holders of each
// role, `now`) and returns the new state plus a list of effects. The persistence layer applies the effects
// in order, in one transaction:
//
// - The first effect of every transition is `lead_version`: update the lead's `version` from `expected` to
//   `next` with a conditional update. Zero rows updated means someone else changed the lead meanwhile: roll
//   back, reload the state and call the function again (the second call then gives the proper refusal, e.g.
//   "该环节已由 张三 处理（同意）"). All other updates should be conditional too (each effect carries what it
//   expects: `from` statuses, `previous` reminder times).
// - Steps are named by (lead, round, step), which is unique in the schema; `stepId` is null for a step
//   created by the same transition (`step_created` comes before anything else that names it).
// - Effects that talk to people (`send_step_cards`, `update_step_cards`, `notify_*`) go to the outbox.
//
// Admins get no bypass: only an active assignee of the pending step may decide it. An office that needs an
// admin to decide grants him the role (he then gets the next steps) or has an assignee transfer the step.
import { localParts, zonedInstant } from '../../platform/time.ts';
import type { LeadKind, OfficeConfig } from '../../office/config.ts';
import type { Holders, Role } from '../../platform/people.ts';
import { reachesMajorThreshold } from '../leads/summary.ts';

// ---------------------------------------------------------------------------------------------------------
// Vocabulary

export { ROLES, type Holders, type Role } from '../../platform/people.ts';

/** `evaluation`: 专家组评审 of a 一事一议 before the 领导小组 (seed 000: 聘请专家组评判…交由领导小组集体决议). */
export const STEP_KINDS = ['prereview', 'review', 'signoff', 'evaluation', 'leadership'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/**
 * 或签 (`any`: the first decision settles the step) / 会签 (`all`: every active assignee must agree) /
 * 专家组 (`panel`: each drawn expert files a sheet, the office's rule settles the step, see panel.ts) /
 * 会议 (`meeting`: the 领导小组's decision, recorded by its secretary, settles the step).
 */
export const STEP_MODES = ['any', 'all', 'panel', 'meeting'] as const;
export type StepMode = (typeof STEP_MODES)[number];
export const STEP_STATUSES = ['waiting', 'pending', 'approved', 'rejected', 'returned', 'cancelled'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
export const LEAD_STATUSES = ['pending', 'returned', 'approved', 'rejected', 'withdrawn'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];
/** What one assignee decided (stored in StepAssignee.decision). */
export type Decision = 'approve' | 'reject' | 'return';
export type StepOutcome = 'approved' | 'rejected' | 'returned';

/** Whether a stored string is one of `values` (a step kind, a lead status, …). */
function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

/**
 * One of `values`, or a loud failure: a stored value the workflow does not know is a corrupt row, not a card
 * to draw. Stores read their strings through this once, so what they hand out is typed.
 */
export function oneOf<T extends string>(values: readonly T[], value: string, what: string): T {
  if (isOneOf(values, value)) return value;
  throw new Error(`approval: unknown ${what} "${value}"`);
}

export const isStepKind = (value: unknown): value is StepKind => isOneOf(STEP_KINDS, value);
export const isStepStatus = (value: unknown): value is StepStatus => isOneOf(STEP_STATUSES, value);
export const isLeadStatus = (value: unknown): value is LeadStatus => isOneOf(LEAD_STATUSES, value);
/** A stored Lead.status as the workflow's type (throws on an unknown one). */
export const asLeadStatus = (value: string): LeadStatus => oneOf(LEAD_STATUSES, value, 'lead status');
/** A stored step kind as the workflow's type (throws on an unknown one). */
export const asStepKind = (value: string): StepKind => oneOf(STEP_KINDS, value, 'step');
/** A stored step status as the workflow's type (throws on an unknown one). */
export const asStepStatus = (value: string): StepStatus => oneOf(STEP_STATUSES, value, 'step status');

export const WORKFLOW_ACTIONS = ['approve', 'reject', 'return', 'transfer', 'withdraw', 'remind'] as const;
export type WorkflowAction = (typeof WORKFLOW_ACTIONS)[number];
/** `restaff`: an admin's role change re-staffed a pending step (assignees removed or added, or a 会签 settled). */
/** `sheet`: an expert's 评分表; `panel_result`: the panel's result; `meeting`: a recorded 领导小组 meeting. */
export type AuditAction = WorkflowAction | 'submit' | 'resubmit' | 'restaff' | 'sheet' | 'panel_result' | 'meeting';

export const STEP_ROLE: Readonly<Record<StepKind, Role>> = {
  prereview: 'expert',
  review: 'reviewer',
  signoff: 'approver',
  evaluation: 'expert',
  leadership: 'leader',
};

export const STEP_MODE: Readonly<Record<StepKind, StepMode>> = {
  prereview: 'any',
  review: 'any',
  signoff: 'any',
  evaluation: 'panel',
  leadership: 'all',
};

export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  staff: '招商人员',
  reviewer: '初审人员',
  approver: '审签人员',
  expert: '预审专家',
  leader: '领导小组成员',
  secretary: '领导小组秘书',
  admin: '管理员',
};

export const STEP_LABELS: Readonly<Record<StepKind, string>> = {
  prereview: '预审',
  review: '初审',
  signoff: '审签',
  evaluation: '专家评审',
  leadership: '领导小组',
};

/** The role that takes a step: the secretary (or an admin) records a meeting step, else STEP_ROLE. */
export function stepRole(step: Pick<StepState, 'step' | 'mode'>): Role {
  return step.mode === 'meeting' ? 'secretary' : STEP_ROLE[step.step];
}

/** Whether the actor holds the role that takes the step (a meeting step: the secretary or an admin). */
function holdsStepRole(actor: Actor, step: Pick<StepState, 'step' | 'mode'>): boolean {
  const role = stepRole(step);
  return actor.roles.includes(role) || (role === 'secretary' && actor.roles.includes('admin'));
}

/** The mode of a step as the office configures it (专家组预审, 领导小组会议 or 会签). */
export function modeFor(step: StepKind, office: OfficeConfig): StepMode {
  if (step === 'prereview' && office.panel.prereview) return 'panel';
  if (step === 'leadership' && office.major.decision === 'meeting') return 'meeting';
  return STEP_MODE[step];
}

/** The lead's status as users read it; a pending lead is named after its pending step. */
export const PENDING_STEP_LABELS: Readonly<Record<StepKind, string>> = {
  prereview: '待预审',
  review: '待初审',
  signoff: '待审签',
  evaluation: '待专家评审',
  leadership: '待领导小组审议',
};

export const LEAD_STATUS_LABELS: Readonly<Record<LeadStatus, string>> = {
  pending: '审批中',
  approved: '已通过',
  rejected: '已驳回',
  returned: '退回修改',
  withdrawn: '已撤回',
};

/**
 * A lead's status in words: the pending step (待初审, 待审签, …) when the steps are given and one is pending,
 * else 审批中 / 已通过 / 已驳回 / 退回修改 / 已撤回; an unknown stored status (a row no store has read) as it is.
 */
export function leadStatusText(lead: { status: string }, steps: readonly Pick<StepState, 'step' | 'status'>[] = []): string {
  if (lead.status === 'pending') {
    const pending = steps.find((s) => s.status === 'pending');
    if (pending) return PENDING_STEP_LABELS[pending.step];
  }
  return isLeadStatus(lead.status) ? LEAD_STATUS_LABELS[lead.status] : lead.status;
}

export const ACTION_LABELS: Readonly<Record<WorkflowAction, string>> = {
  approve: '同意',
  reject: '驳回',
  return: '退回修改',
  transfer: '转交',
  withdraw: '撤回',
  remind: '催办',
};

export const OUTCOME_LABELS: Readonly<Record<StepOutcome, string>> = { approved: '同意', rejected: '驳回', returned: '退回修改' };

export const MAX_COMMENT_LENGTH = 500;
/** A person may 催办 the same step at most once per this interval. */
export const MANUAL_REMIND_INTERVAL_MS = 60 * 60 * 1000;

// ---------------------------------------------------------------------------------------------------------
// State

/** The lead's fields the workflow reads. `major` is sticky: once set (by amount or 一事一议 flag) it stays. */
export interface LeadFacts {
  id: number;
  kind: LeadKind;
  investmentWan: number | null;
  major: boolean;
  status: LeadStatus;
  round: number;
  submitterId: string;
  version: number;
}

export interface AssigneeState {
  userId: string;
  active: boolean;
  decision: Decision | null;
  comment: string | null;
  decidedAt: Date | null;
  transferredFrom: string | null;
}

export interface StepState {
  /** Null until the persistence layer has inserted the step. */
  id: number | null;
  round: number;
  position: number;
  step: StepKind;
  mode: StepMode;
  status: StepStatus;
  startedAt: Date | null;
  decidedAt: Date | null;
  decidedBy: string | null;
  lastRemindedAt: Date | null;
  assignees: AssigneeState[];
}

/** The lead and the steps of its current round (older rounds are settled and play no part). */
export interface WorkflowState {
  lead: LeadFacts;
  steps: StepState[];
}

export interface Actor {
  id: string;
  roles: readonly Role[];
}

export interface PlannedStep {
  step: StepKind;
  role: Role;
  mode: StepMode;
  position: number;
}

// ---------------------------------------------------------------------------------------------------------
// Effects

export interface StepRef {
  stepId: number | null;
  round: number;
  step: StepKind;
}

export type SubmitterEvent = 'step_approved' | 'approved' | 'rejected' | 'returned';

export type Effect =
  /** Conditional update of Lead.version (expected → next); zero rows = conflict, retry. */
  | { type: 'lead_version'; expected: number; next: number }
  /** Lead.status from → to (conditional on `from`); also set `round`, and approvedAt / closedAt when given. */
  | { type: 'lead_status'; from: LeadStatus; to: LeadStatus; round: number; approvedAt?: Date; closedAt?: Date }
  /** Lead.major = true. `amount`: investment reached the threshold; `flag`: a reviewer's 一事一议 flag. */
  | { type: 'lead_major'; reason: 'amount' | 'flag'; by: string | null; at: Date }
  /** Insert an ApprovalStep row in status `waiting`. */
  | ({ type: 'step_created'; position: number; role: Role; mode: StepMode; status: 'waiting' } & StepRef)
  /** Step waiting → pending, startedAt = at; insert one active StepAssignee row per assignee (may be none). */
  | ({ type: 'step_started'; role: Role; mode: StepMode; assignees: string[]; at: Date } & StepRef)
  /** Set one assignee's decision, comment, decidedAt (where he is active and undecided). */
  | ({ type: 'assignee_decided'; userId: string; decision: Decision; comment: string | null; at: Date } & StepRef)
  /** Step pending → outcome, decidedAt = at, decidedBy = by. */
  | ({ type: 'step_decided'; outcome: StepOutcome; by: string; at: Date } & StepRef)
  /** Step from → cancelled. */
  | ({ type: 'step_cancelled'; from: 'waiting' | 'pending' } & StepRef)
  /** Deactivate `from`; upsert `to` as active, undecided, transferredFrom = from. */
  | ({ type: 'assignee_transferred'; from: string; to: string; at: Date } & StepRef)
  /** Upsert these users as active, undecided assignees (transferredFrom = null). */
  | ({ type: 'assignees_added'; userIds: string[]; at: Date } & StepRef)
  /** Deactivate these assignees (they no longer hold the step's role). */
  | ({ type: 'assignees_removed'; userIds: string[] } & StepRef)
  /** ApprovalStep.lastRemindedAt previous → at (conditional on `previous`). */
  | ({ type: 'step_reminded'; previous: Date | null; at: Date } & StepRef)
  /** Send each user the step's card with its buttons. `remind` = 催办, headed as a reminder. */
  | ({ type: 'send_step_cards'; userIds: string[]; reason: 'started' | 'transferred' | 'added' | 'remind' } & StepRef)
  /** Re-render every sent copy of the step's card from the new state: buttons only where canAct() is true. */
  | ({ type: 'update_step_cards' } & StepRef)
  /** Tell these assignees, in a plain message, that the step no longer needs them. */
  | ({ type: 'notify_assignees'; userIds: string[]; event: 'withdrawn' } & StepRef)
  | { type: 'notify_submitter'; userId: string; event: SubmitterEvent; step: StepKind; by: string; comment: string | null }
  /** Tell the admins "无人可审批": the step is pending and nobody holds its role. */
  | ({ type: 'notify_admins_no_assignee'; role: Role } & StepRef)
  /** One AuditEvent row (leadId is the state's lead). */
  | {
      type: 'audit';
      actorId: string;
      action: AuditAction;
      role: Role | null;
      comment: string | null;
      stepId: number | null;
      round: number;
      step: StepKind | null;
      data?: Record<string, string | number | boolean>;
    };

export interface Transition {
  next: WorkflowState;
  effects: Effect[];
}

export type RefusalCode =
  | 'stale_card'
  | 'step_settled'
  | 'step_not_started'
  | 'lead_closed'
  | 'not_assignee'
  | 'transferred_away'
  | 'role_lost'
  | 'already_voted'
  | 'comment_required'
  | 'comment_too_long'
  | 'flag_not_allowed'
  | 'bad_transfer'
  | 'not_submitter'
  | 'already_acted'
  | 'not_allowed'
  | 'no_assignee'
  | 'too_soon';

export interface Refusal {
  ok: false;
  code: RefusalCode;
  /** Chinese, ready to show. */
  reason: string;
  /** Who settled the step, for `step_settled`. */
  decidedBy?: string;
}

export type DecideResult = Refusal | ({ ok: true } & Transition);

export interface DecideInput {
  /** Current role holders: who gets the next step, and who may receive a transfer. */
  holders: Holders;
  /** The step the card belongs to; without it the lead's pending step is meant. */
  stepId?: number;
  /** 意见: required for reject and return; optional otherwise. */
  comment?: string;
  /** 一事一议: a reviewer may set it with `approve` on the review step. Ignored for reject/return. */
  major?: boolean;
  /** Transfer target (open_id). */
  to?: string;
  /** Display names for refusals; the open_id is shown when it gives nothing. */
  nameOf?: (openId: string) => string | undefined;
  /** Draws a panel from the eligible experts (see panel.ts drawPanel); without it every eligible expert sits. */
  draw?: PanelDrawFn;
  /** The office config, for the mode of a 领导小组 step added by a 一事一议 flag (会签 without it). */
  office?: OfficeConfig;
}

/** Chooses a panel step's assignees from the eligible holders (pure; the service builds it from /experts). */
export type PanelDrawFn = (eligible: string[], step: StepKind) => string[];

// ---------------------------------------------------------------------------------------------------------
// Planning

/** Whether a round ends with 领导小组会签 (一事一议): the lead is flagged major, or its amount reaches the threshold. */
export function needsLeadership(lead: Pick<LeadFacts, 'investmentWan' | 'major'>, office: OfficeConfig): boolean {
  return lead.major || reachesMajorThreshold(lead, office);
}

/** The steps of a new round, in order. */
export function planSteps(lead: Pick<LeadFacts, 'kind' | 'investmentWan' | 'major'>, office: OfficeConfig): PlannedStep[] {
  const kinds: StepKind[] = [];
  if (office.approval.prereviewKinds.includes(lead.kind)) kinds.push('prereview');
  kinds.push('review', 'signoff');
  if (needsLeadership(lead, office)) {
    if (office.panel.major) kinds.push('evaluation');
    kinds.push('leadership');
  }
  return kinds.map((step, i) => {
    const mode = modeFor(step, office);
    return { step, role: stepRole({ step, mode }), mode, position: i + 1 };
  });
}

/**
 * Opens round 1 of a lead the service has just inserted (status `pending`, round 1, no steps):
 * creates every step of the round and starts the first one.
 */
export function submit(lead: LeadFacts, office: OfficeConfig, holders: Holders, now: Date, draw?: PanelDrawFn): Transition {
  if (lead.status !== 'pending' || lead.round !== 1) {
    throw new Error(`submit: lead ${lead.id} must be pending in round 1 (is ${lead.status}, round ${lead.round})`);
  }
  const ctx = begin({ lead, steps: [] }, holders, now, draw);
  openRound(ctx, office);
  audit(ctx, lead.submitterId, 'submit', null, null, null);
  return { next: ctx.s, effects: ctx.fx };
}

/**
 * The submitter sends a returned (退回修改) or withdrawn (撤回) lead again: a new round starting at the
 * first step. `state.lead` must already carry his edits (kind, investment); `state.steps` is the old round.
 */
export function resubmit(state: WorkflowState, actor: Actor, office: OfficeConfig, holders: Holders, now: Date, draw?: PanelDrawFn): DecideResult {
  const lead = state.lead;
  if (actor.id !== lead.submitterId) return refuse('not_submitter', '只有项目登记人可以重新提交');
  if (lead.status !== 'returned' && lead.status !== 'withdrawn') {
    return refuse('lead_closed', lead.status === 'pending' ? '该项目正在审批中，无需重新提交' : leadClosedReason(lead.status, true));
  }
  const ctx = begin({ lead: state.lead, steps: [] }, holders, now, draw);
  const from = ctx.s.lead.status;
  ctx.s.lead.status = 'pending';
  ctx.s.lead.round += 1;
  ctx.fx.push({ type: 'lead_status', from, to: 'pending', round: ctx.s.lead.round });
  openRound(ctx, office);
  audit(ctx, actor.id, 'resubmit', null, null, null);
  return { ok: true, next: ctx.s, effects: ctx.fx };
}

// ---------------------------------------------------------------------------------------------------------
// Decisions

/** Applies one person's action to the lead's current round. */
export function decide(state: WorkflowState, actor: Actor, action: WorkflowAction, input: DecideInput, now: Date): DecideResult {
  const ctx = begin(state, input.holders, now, input.draw, input.office);
  if (action === 'withdraw') return withdraw(ctx, actor);

  const located = locate(ctx.s, actor, input);
  if ('ok' in located) return located;
  const step = located;
  if (action === 'remind') return remind(ctx, actor, step);

  const me = checkAssignee(step, actor, input);
  if ('ok' in me) return me;
  if (step.mode === 'panel' && action !== 'transfer') return refuse('not_allowed', '专家组评审请填写评分表后提交');
  if (step.mode === 'meeting' && action !== 'transfer') return refuse('not_allowed', '请填写领导小组会议记录后提交');

  const comment = input.comment?.trim() || null;
  if (comment && comment.length > MAX_COMMENT_LENGTH) return refuse('comment_too_long', `意见不能超过 ${MAX_COMMENT_LENGTH} 字`);

  switch (action) {
    case 'approve':
      if (input.major && step.step !== 'review') return refuse('flag_not_allowed', '只有初审环节可以标记一事一议');
      return approve(ctx, actor, step, me, comment, input.major === true);
    case 'reject':
      if (!comment) return refuse('comment_required', '驳回须填写理由');
      return settleNegative(ctx, actor, step, me, 'reject', comment);
    case 'return':
      if (!comment) return refuse('comment_required', '退回修改须填写修改意见');
      return settleNegative(ctx, actor, step, me, 'return', comment);
    case 'transfer':
      return transfer(ctx, actor, step, me, input, comment);
  }
}

/** The acting assignee of a located step, or why he may not act on it. */
function checkAssignee(step: StepState, actor: Actor, input: Pick<DecideInput, 'nameOf'>): AssigneeState | Refusal {
  const role = stepRole(step);
  const me = step.assignees.find((a) => a.userId === actor.id);
  const name = nameFn(input);
  if (!me) return refuse('not_assignee', '您不是该环节的审批人');
  if (!me.active) {
    const heir = step.assignees.find((a) => a.active && a.transferredFrom === actor.id);
    return heir
      ? refuse('transferred_away', `您已将该环节转交给 ${name(heir.userId)}`)
      : refuse('not_assignee', '您不是该环节的审批人');
  }
  if (!holdsStepRole(actor, step)) return refuse('role_lost', `您已不再担任${ROLE_LABELS[role]}，无法处理该环节`);
  if (me.decision) return refuse('already_voted', `您已${ACTION_LABELS[me.decision]}，等待其他成员审议`);
  return me;
}

export interface SheetDecision {
  holders: Holders;
  stepId?: number;
  /** The expert's vote (通过 / 不通过) and his overall comment. */
  pass: boolean;
  comment?: string;
  /** His sheet's total (out of 100), for the audit trail. */
  total: number;
  /**
   * The panel's result by the office's rule, counting this sheet, computed by the caller from every sheet
   * of the step (panel.ts panelResult); used when this is the last sheet the step waits for.
   */
  result: { outcome: 'approved' | 'rejected'; text: string };
  nameOf?: (openId: string) => string | undefined;
  draw?: PanelDrawFn;
  office?: OfficeConfig;
}

/**
 * An expert files his 评分表 on a panel step: his vote is recorded (通过 as approve, 不通过 as reject); once
 * every drawn expert has filed, the panel's result settles the step: approved → the next step, rejected →
 * the lead is rejected. Comments are the sheets' own.
 */
export function submitSheet(state: WorkflowState, actor: Actor, input: SheetDecision, now: Date): DecideResult {
  const ctx = begin(state, input.holders, now, input.draw, input.office);
  const located = locate(ctx.s, actor, input);
  if ('ok' in located) return located;
  const step = located;
  if (step.mode !== 'panel') return refuse('not_allowed', '该环节不是专家组评审');
  const me = checkAssignee(step, actor, input);
  if ('ok' in me) return me;
  const comment = input.comment?.trim() || null;
  if (comment && comment.length > MAX_COMMENT_LENGTH) return refuse('comment_too_long', `意见不能超过 ${MAX_COMMENT_LENGTH} 字`);
  recordDecision(ctx, step, me, input.pass ? 'approve' : 'reject', comment);
  audit(ctx, actor.id, 'sheet', 'expert', comment, step, { total: input.total, pass: input.pass });
  if (waitingOn(step).length > 0) {
    ctx.fx.push({ type: 'update_step_cards', ...ref(step) });
    return { ok: true, next: ctx.s, effects: ctx.fx };
  }
  const { outcome, text } = input.result;
  audit(ctx, actor.id, 'panel_result', null, text, step, { outcome });
  if (outcome === 'approved') {
    closeStep(ctx, step, 'approved', actor.id);
    advance(ctx, step, actor.id, text);
  } else {
    closeNegative(ctx, step, 'rejected', actor.id, text);
  }
  return { ok: true, next: ctx.s, effects: ctx.fx };
}

export interface MeetingDecision {
  holders: Holders;
  stepId?: number;
  outcome: 'pass' | 'fail' | 'defer';
  /** A line for the audit trail and the submitter: "2026-03-05 领导小组会议：通过". */
  summary: string;
  nameOf?: (openId: string) => string | undefined;
}

/**
 * The secretary records the 领导小组's meeting on a 一事一议 (meeting step): 通过 approves the step (and the
 * lead), 不通过 rejects the lead, 暂缓 leaves the step pending for a later meeting.
 */
export function recordMeeting(state: WorkflowState, actor: Actor, input: MeetingDecision, now: Date): DecideResult {
  const ctx = begin(state, input.holders, now);
  const located = locate(ctx.s, actor, input);
  if ('ok' in located) return located;
  const step = located;
  if (step.mode !== 'meeting') return refuse('not_allowed', '该环节不由领导小组会议决定');
  const me = checkAssignee(step, actor, input);
  if ('ok' in me) return me;
  audit(ctx, actor.id, 'meeting', stepRole(step), input.summary, step, { outcome: input.outcome });
  if (input.outcome === 'defer') {
    ctx.fx.push({ type: 'update_step_cards', ...ref(step) });
    return { ok: true, next: ctx.s, effects: ctx.fx };
  }
  recordDecision(ctx, step, me, input.outcome === 'pass' ? 'approve' : 'reject', input.summary);
  if (input.outcome === 'pass') {
    closeStep(ctx, step, 'approved', actor.id);
    advance(ctx, step, actor.id, input.summary);
  } else {
    closeNegative(ctx, step, 'rejected', actor.id, input.summary);
  }
  return { ok: true, next: ctx.s, effects: ctx.fx };
}

function approve(ctx: Ctx, actor: Actor, step: StepState, me: AssigneeState, comment: string | null, flag: boolean): DecideResult {
  const role = stepRole(step);
  recordDecision(ctx, step, me, 'approve', comment);
  audit(ctx, actor.id, 'approve', role, comment, step, flag ? { major: true } : undefined);
  const done = step.mode === 'any' || step.assignees.filter((a) => a.active).every((a) => a.decision === 'approve');
  if (!done) {
    ctx.fx.push({ type: 'update_step_cards', ...ref(step) });
    return { ok: true, next: ctx.s, effects: ctx.fx };
  }
  closeStep(ctx, step, 'approved', actor.id);
  if (flag) flagMajor(ctx, actor.id);
  advance(ctx, step, actor.id, comment);
  return { ok: true, next: ctx.s, effects: ctx.fx };
}

/** reject (驳回, final) or return (退回修改, the submitter may edit and resubmit). */
function settleNegative(
  ctx: Ctx,
  actor: Actor,
  step: StepState,
  me: AssigneeState,
  decision: 'reject' | 'return',
  comment: string,
): DecideResult {
  const outcome = decision === 'reject' ? 'rejected' : 'returned';
  recordDecision(ctx, step, me, decision, comment);
  closeNegative(ctx, step, outcome, actor.id, comment);
  audit(ctx, actor.id, decision, stepRole(step), comment, step);
  return { ok: true, next: ctx.s, effects: ctx.fx };
}

/** Closes the step rejected or returned, cancels the rest of the round and tells the submitter. */
function closeNegative(ctx: Ctx, step: StepState, outcome: 'rejected' | 'returned', by: string, comment: string | null): void {
  closeStep(ctx, step, outcome, by);
  cancelRemaining(ctx);
  const lead = ctx.s.lead;
  const from = lead.status;
  lead.status = outcome;
  ctx.fx.push(
    outcome === 'rejected'
      ? { type: 'lead_status', from, to: outcome, round: lead.round, closedAt: ctx.now }
      : { type: 'lead_status', from, to: outcome, round: lead.round },
  );
  ctx.fx.push({ type: 'notify_submitter', userId: lead.submitterId, event: outcome, step: step.step, by, comment });
}

function transfer(ctx: Ctx, actor: Actor, step: StepState, me: AssigneeState, input: DecideInput, comment: string | null): DecideResult {
  const role = stepRole(step);
  const to = input.to?.trim();
  if (!to) return refuse('bad_transfer', '请选择转交对象');
  if (to === actor.id) return refuse('bad_transfer', '不能转交给自己');
  if (to === ctx.s.lead.submitterId) return refuse('bad_transfer', '不能转交给项目登记人');
  if (!eligibleFor(ctx.s.lead, [], step, ctx.holders).includes(to) && !(ctx.holders[role] ?? []).includes(to)) return refuse('bad_transfer', `对方不是${ROLE_LABELS[role]}，不能转交`);
  if (!eligibleFor(ctx.s.lead, ctx.s.steps, step, ctx.holders).includes(to)) {
    return refuse('bad_transfer', '对方已处理本轮前面的环节，不能再审批该环节');
  }
  const existing = step.assignees.find((a) => a.userId === to);
  if (existing?.active) return refuse('bad_transfer', '对方已是该环节的审批人');

  me.active = false;
  const heir: AssigneeState = { userId: to, active: true, decision: null, comment: null, decidedAt: null, transferredFrom: actor.id };
  if (existing) Object.assign(existing, heir);
  else step.assignees.push(heir);
  ctx.fx.push({ type: 'assignee_transferred', ...ref(step), from: actor.id, to, at: ctx.now });
  ctx.fx.push({ type: 'send_step_cards', ...ref(step), userIds: [to], reason: 'transferred' });
  ctx.fx.push({ type: 'update_step_cards', ...ref(step) });
  audit(ctx, actor.id, 'transfer', role, comment, step, { to });
  return { ok: true, next: ctx.s, effects: ctx.fx };
}

function withdraw(ctx: Ctx, actor: Actor): DecideResult {
  const lead = ctx.s.lead;
  if (actor.id !== lead.submitterId) return refuse('not_submitter', '只有项目登记人可以撤回');
  if (lead.status !== 'pending') return refuse('lead_closed', leadClosedReason(lead.status, true));
  if (!canWithdraw(ctx.s)) {
    return refuse('already_acted', '审批人已处理该项目，无法撤回');
  }
  const pending = ctx.s.steps.find((s) => s.status === 'pending');
  for (const s of ctx.s.steps) {
    if (s.status !== 'pending' && s.status !== 'waiting') continue;
    ctx.fx.push({ type: 'step_cancelled', ...ref(s), from: s.status });
    s.status = 'cancelled';
  }
  if (pending) {
    const waiting = pending.assignees.filter((a) => a.active).map((a) => a.userId);
    if (waiting.length > 0) ctx.fx.push({ type: 'notify_assignees', ...ref(pending), userIds: waiting, event: 'withdrawn' });
    ctx.fx.push({ type: 'update_step_cards', ...ref(pending) });
  }
  lead.status = 'withdrawn';
  ctx.fx.push({ type: 'lead_status', from: 'pending', to: 'withdrawn', round: lead.round });
  audit(ctx, actor.id, 'withdraw', null, null, pending ?? null);
  return { ok: true, next: ctx.s, effects: ctx.fx };
}

function remind(ctx: Ctx, actor: Actor, step: StepState): DecideResult {
  const isAdmin = actor.roles.includes('admin');
  if (actor.id !== ctx.s.lead.submitterId && !isAdmin) return refuse('not_allowed', '只有项目登记人或管理员可以催办');
  if (waitingOn(step).length === 0) return refuse('no_assignee', '该环节暂无审批人，请联系管理员分配');
  if (step.lastRemindedAt && ctx.now.getTime() - step.lastRemindedAt.getTime() < MANUAL_REMIND_INTERVAL_MS) {
    return refuse('too_soon', '该环节 1 小时内已催办过，请稍后再试');
  }
  ctx.fx.push(...remindStep(step, ctx.now));
  step.lastRemindedAt = ctx.now;
  audit(ctx, actor.id, 'remind', isAdmin && actor.id !== ctx.s.lead.submitterId ? 'admin' : null, null, step);
  return { ok: true, next: ctx.s, effects: ctx.fx };
}

// ---------------------------------------------------------------------------------------------------------
// Role changes and reminders

/**
 * Re-checks the pending step against the current role holders; call it after a role is granted or revoked,
 * for every pending step of that role. Assignees who may no longer take the step (lost the role; see
 * eligibleFor) and have not decided are removed; a 会签 step whose remaining assignees have all agreed is
 * approved; a step left with nobody to decide gets every eligible holder, or an admin alert "无人可审批" when
 * there is none. `by` (the admin who changed the role) is recorded in one `restaff` audit when anything changed.
 */
export function restaff(state: WorkflowState, holders: Holders, now: Date, by: string): Transition {
  const ctx = begin(state, holders, now);
  const step = ctx.s.steps.find((s) => s.status === 'pending');
  if (!step || ctx.s.lead.status !== 'pending') return { next: structuredClone(state), effects: [] };
  const role = stepRole(step);
  const allowed = new Set(eligibleFor(ctx.s.lead, ctx.s.steps, step, holders));

  const dropped = waitingOn(step).filter((a) => !allowed.has(a.userId));
  for (const a of dropped) a.active = false;
  if (dropped.length > 0) ctx.fx.push({ type: 'assignees_removed', ...ref(step), userIds: dropped.map((a) => a.userId) });

  const record: Record<string, string | boolean> = {};
  if (dropped.length > 0) record.removed = dropped.map((a) => a.userId).join(',');
  if (waitingOn(step).length === 0) {
    const agreed = step.assignees.filter((a) => a.active && a.decision === 'approve');
    if (step.mode === 'all' && agreed.length > 0) {
      const last = agreed.reduce((x, y) => ((y.decidedAt?.getTime() ?? 0) > (x.decidedAt?.getTime() ?? 0) ? y : x));
      closeStep(ctx, step, 'approved', last.userId);
      advance(ctx, step, last.userId, null);
      record.settled = true;
    } else {
      // A panel keeps the experts it drew: only a panel left with nobody gets the eligible experts.
      const fresh = step.mode === 'panel' && step.assignees.some((a) => a.active)
        ? []
        : [...allowed].filter((id) => !step.assignees.some((a) => a.active && a.userId === id));
      if (fresh.length > 0) {
        for (const id of fresh) {
          const row: AssigneeState = { userId: id, active: true, decision: null, comment: null, decidedAt: null, transferredFrom: null };
          const old = step.assignees.find((a) => a.userId === id);
          if (old) Object.assign(old, row);
          else step.assignees.push(row);
        }
        ctx.fx.push({ type: 'assignees_added', ...ref(step), userIds: fresh, at: now });
        ctx.fx.push({ type: 'send_step_cards', ...ref(step), userIds: fresh, reason: 'added' });
        record.added = fresh.join(',');
      }
    }
  }
  const changed = ctx.fx.length > 1;
  if (changed) audit(ctx, by, 'restaff', 'admin', null, step, record);
  if (dropped.length > 0 && step.status === 'pending') ctx.fx.push({ type: 'update_step_cards', ...ref(step) });
  if (step.status === 'pending' && waitingOn(step).length === 0) {
    ctx.fx.push({ type: 'notify_admins_no_assignee', ...ref(step), role });
  }
  if (!changed) {
    // Nothing changed: no version guard, the state stays as it was; at most the admin alert remains.
    ctx.fx.shift();
    ctx.s.lead.version -= 1;
  }
  return { next: ctx.s, effects: ctx.fx };
}

export interface ReminderCandidate {
  status: string;
  startedAt: Date | null;
  lastRemindedAt: Date | null;
}

/**
 * Steps to remind now (催办, automatic): pending for at least office.approval.reminderHours, not reminded yet
 * on the current local day, and only while `now` is on a work day (isWorkDay) and within
 * office.approval.workHours in time zone `tz`.
 * Returns the given objects themselves, so the caller can pass rows that carry whatever it needs.
 */
export function dueReminders<T extends ReminderCandidate>(pendingSteps: readonly T[], now: Date, office: OfficeConfig, tz: string): T[] {
  const { start, end } = office.approval.workHours;
  const local = zonedParts(now, tz);
  if (!isWorkDay(local.day, local.weekday, office) || local.hour < start || local.hour >= end) return [];
  const waitMs = office.approval.reminderHours * 3600_000;
  return pendingSteps.filter(
    (s) =>
      s.status === 'pending' &&
      s.startedAt !== null &&
      now.getTime() - s.startedAt.getTime() >= waitMs &&
      (s.lastRemindedAt === null || zonedParts(s.lastRemindedAt, tz).day !== local.day),
  );
}

/**
 * Whether a local date is a work day: a 调休上班日 (office.approval.makeupWorkdays) always is, a 法定节假日
 * (office.approval.holidays) never is, and otherwise its weekday decides (office.approval.workDays).
 */
export function isWorkDay(day: string, weekday: number, office: OfficeConfig): boolean {
  const { workDays, holidays, makeupWorkdays } = office.approval;
  if (makeupWorkdays.includes(day)) return true;
  if (holidays.includes(day)) return false;
  return workDays.includes(weekday);
}

/**
 * Effects of one reminder on a pending step (automatic or 催办): mark it reminded and send its assignees the
 * card again; a step with nobody to decide alerts the admins instead.
 */
export function remindStep(step: Pick<StepState, 'id' | 'round' | 'step' | 'lastRemindedAt' | 'assignees'> & { mode?: StepMode }, now: Date): Effect[] {
  const to = waitingOn(step).map((a) => a.userId);
  const effects: Effect[] = [{ type: 'step_reminded', ...ref(step), previous: step.lastRemindedAt, at: now }];
  effects.push(
    to.length > 0
      ? { type: 'send_step_cards', ...ref(step), userIds: to, reason: 'remind' }
      : { type: 'notify_admins_no_assignee', ...ref(step), role: step.mode ? stepRole({ step: step.step, mode: step.mode }) : STEP_ROLE[step.step] },
  );
  return effects;
}

/** Whom a reminder of this step goes to: its active assignees who have not decided (none: the admins are alerted). */
export function reminderRecipients(step: Pick<StepState, 'assignees'>): string[] {
  return waitingOn(step).map((a) => a.userId);
}

/**
 * The local day of `now` in `tz`, as the instants [start, end): a step last reminded outside it may be
 * reminded today. dueReminders' once-a-day rule, for the conditional update that records a reminder.
 */
export function reminderDay(now: Date, tz: string): { start: Date; end: Date } {
  const p = localParts(now, tz);
  const next = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
  return { start: zonedInstant(p.year, p.month, p.day, tz), end: zonedInstant(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), tz) };
}

/** Local calendar day ("YYYY-MM-DD"), ISO weekday (1 = Monday … 7 = Sunday), hour (0-23) and minute of an instant in an IANA time zone. */
export function zonedParts(at: Date, tz: string): { day: string; weekday: number; hour: number; minute: number } {
  const p = localParts(at, tz);
  const pad = (n: number) => String(n).padStart(2, '0');
  const weekday = new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay() || 7;
  return { day: `${p.year}-${pad(p.month)}-${pad(p.day)}`, weekday, hour: p.hour, minute: p.minute };
}

// ---------------------------------------------------------------------------------------------------------
// Display

export interface ProgressStep {
  step: StepKind;
  status: string;
  position: number;
  mode?: StepMode;
  assignees?: readonly { active: boolean; decision: string | null }[];
}

/** "预审 ✓ → 初审 ✓ → 审签 … → 领导小组"; ✗ rejected, ↩ returned; a pending 会签 step shows "… 1/3". */
export function progressLine(steps: readonly ProgressStep[]): string {
  return [...steps]
    .sort((a, b) => a.position - b.position)
    .map((s) => {
      const label = STEP_LABELS[s.step];
      switch (s.status) {
        case 'approved':
          return `${label} ✓`;
        case 'rejected':
          return `${label} ✗`;
        case 'returned':
          return `${label} ↩`;
        case 'pending': {
          if (s.mode === 'all' && s.assignees) {
            const active = s.assignees.filter((a) => a.active);
            return `${label} … ${active.filter((a) => a.decision === 'approve').length}/${active.length}`;
          }
          return `${label} …`;
        }
        default:
          return label;
      }
    })
    .join(' → ');
}

/** The lead's pending step, if any. */
export function currentStep(state: WorkflowState): StepState | undefined {
  return state.lead.status === 'pending' ? state.steps.find((s) => s.status === 'pending') : undefined;
}

/** Whether the submitter may still 撤回: the lead is in approval and nobody has decided anything in this round. */
export function canWithdraw(state: { lead: Pick<LeadFacts, 'status'>; steps: readonly { assignees: readonly { decision: string | null }[] }[] }): boolean {
  return state.lead.status === 'pending' && !state.steps.some((s) => s.assignees.some((a) => a.decision !== null));
}

/** Whether this user's copy of the step card shows buttons. */
export function canAct(step: Pick<StepState, 'status' | 'assignees'>, userId: string): boolean {
  return step.status === 'pending' && step.assignees.some((a) => a.userId === userId && a.active && a.decision === null);
}

// ---------------------------------------------------------------------------------------------------------
// Internals

interface Ctx {
  s: WorkflowState;
  fx: Effect[];
  now: Date;
  holders: Holders;
  draw?: PanelDrawFn;
  office?: OfficeConfig;
}

/** Copies the state (the caller's objects are never changed) and opens the version guard. */
function begin(state: WorkflowState, holders: Holders, now: Date, draw?: PanelDrawFn, office?: OfficeConfig): Ctx {
  const s = structuredClone(state);
  const expected = s.lead.version;
  s.lead.version = expected + 1;
  return { s, fx: [{ type: 'lead_version', expected, next: expected + 1 }], now, holders, draw, office };
}

function refuse(code: RefusalCode, reason: string, decidedBy?: string): Refusal {
  return decidedBy === undefined ? { ok: false, code, reason } : { ok: false, code, reason, decidedBy };
}

function nameFn(input: Pick<DecideInput, 'nameOf'>): (id: string) => string {
  return (id) => input.nameOf?.(id) || id;
}

function ref(step: Pick<StepState, 'id' | 'round' | 'step'>): StepRef {
  return { stepId: step.id, round: step.round, step: step.step };
}

function waitingOn(step: Pick<StepState, 'assignees'>): AssigneeState[] {
  return step.assignees.filter((a) => a.active && a.decision === null);
}

/**
 * Holders of the step's role who may take it: nobody decides on a lead he registered himself, and nobody
 * who decided an earlier step of the same round takes a later one, so 初审 and 审签 (双层签批) are signed by
 * different people. The leadership step is exempt: the 领导小组 is a body of its own and keeps every leader; so
 * is a 一事一议's 专家评审 (the experts of its 预审 may sit on it again).
 * `steps` are the lead's steps (any round; only the step's round counts).
 */
export function eligibleFor(
  lead: Pick<LeadFacts, 'submitterId'>,
  steps: readonly { round: number; position: number; assignees: readonly { userId: string; decision: string | null }[] }[],
  step: Pick<StepState, 'round' | 'position' | 'step'> & { mode?: StepMode },
  holders: Holders,
): string[] {
  const excluded = new Set([lead.submitterId]);
  if (step.step !== 'leadership' && step.step !== 'evaluation') {
    for (const s of steps) {
      if (s.round !== step.round || s.position >= step.position) continue;
      for (const a of s.assignees) if (a.decision !== null) excluded.add(a.userId);
    }
  }
  const pool = step.mode === 'meeting' ? [...(holders.secretary ?? []), ...(holders.admin ?? [])] : holders[STEP_ROLE[step.step]] ?? [];
  return [...new Set(pool)].filter((id) => !excluded.has(id));
}

/** Why a closed lead takes no action; `toSubmitter`: said to the submitter himself (second person). */
function leadClosedReason(status: LeadStatus, toSubmitter = false): string {
  switch (status) {
    case 'approved':
      return '该项目已审批通过';
    case 'rejected':
      return '该项目已被驳回，审批已结束';
    case 'returned':
      return toSubmitter ? '该项目已退回修改，请修改后重新提交' : '该项目已退回修改，等待登记人重新提交';
    case 'withdrawn':
      return toSubmitter ? '您已撤回该项目' : '该项目已由登记人撤回';
    case 'pending':
      return '该项目当前没有待处理的环节';
  }
}

/** Finds the step an action is about and refuses when it is not open for decisions. */
function locate(s: WorkflowState, actor: Actor, input: Pick<DecideInput, 'stepId' | 'nameOf'>): StepState | Refusal {
  const closed = () => leadClosedReason(s.lead.status, actor.id === s.lead.submitterId);
  const step =
    input.stepId !== undefined ? s.steps.find((x) => x.id === input.stepId) : s.steps.find((x) => x.status === 'pending');
  if (!step) {
    if (input.stepId !== undefined) return refuse('stale_card', '该审批卡片已失效，请以最新卡片为准');
    return refuse('lead_closed', closed());
  }
  switch (step.status) {
    case 'pending':
      return s.lead.status === 'pending' ? step : refuse('lead_closed', closed());
    case 'waiting':
      return refuse('step_not_started', '该环节尚未开始，请等待前一环节完成');
    case 'cancelled':
      return refuse('lead_closed', s.lead.status === 'pending' ? '该环节已取消' : closed());
    case 'approved':
    case 'rejected':
    case 'returned': {
      const by = step.decidedBy ?? '';
      if (step.mode === 'all' && step.status === 'approved') return refuse('step_settled', '该环节已会签通过', by);
      const outcome = OUTCOME_LABELS[step.status];
      if (by === actor.id) return refuse('step_settled', `您已处理该环节（${outcome}）`, by);
      return refuse('step_settled', `该环节已由 ${nameFn(input)(by)} 处理（${outcome}）`, by);
    }
  }
}

function recordDecision(ctx: Ctx, step: StepState, me: AssigneeState, decision: Decision, comment: string | null): void {
  me.decision = decision;
  me.comment = comment;
  me.decidedAt = ctx.now;
  ctx.fx.push({ type: 'assignee_decided', ...ref(step), userId: me.userId, decision, comment, at: ctx.now });
}

function closeStep(ctx: Ctx, step: StepState, outcome: StepOutcome, by: string): void {
  step.status = outcome;
  step.decidedAt = ctx.now;
  step.decidedBy = by;
  ctx.fx.push({ type: 'step_decided', ...ref(step), outcome, by, at: ctx.now });
  ctx.fx.push({ type: 'update_step_cards', ...ref(step) });
}

function cancelRemaining(ctx: Ctx): void {
  for (const s of ctx.s.steps) {
    if (s.status !== 'waiting') continue;
    ctx.fx.push({ type: 'step_cancelled', ...ref(s), from: 'waiting' });
    s.status = 'cancelled';
  }
}

/** After `done` was approved: start the next step, or approve the lead. */
function advance(ctx: Ctx, done: StepState, by: string, comment: string | null): void {
  const lead = ctx.s.lead;
  const next = ctx.s.steps
    .filter((s) => s.status === 'waiting')
    .sort((a, b) => a.position - b.position)[0];
  if (next) {
    ctx.fx.push({ type: 'notify_submitter', userId: lead.submitterId, event: 'step_approved', step: done.step, by, comment });
    startStep(ctx, next);
    return;
  }
  lead.status = 'approved';
  ctx.fx.push({ type: 'lead_status', from: 'pending', to: 'approved', round: lead.round, approvedAt: ctx.now });
  ctx.fx.push({ type: 'notify_submitter', userId: lead.submitterId, event: 'approved', step: done.step, by, comment });
}

/** A reviewer's 一事一议 flag: the lead becomes major and the round gains the leadership step. */
function flagMajor(ctx: Ctx, by: string): void {
  const lead = ctx.s.lead;
  if (!lead.major) {
    lead.major = true;
    ctx.fx.push({ type: 'lead_major', reason: 'flag', by, at: ctx.now });
  }
  if (ctx.office?.panel.major && !ctx.s.steps.some((s) => s.step === 'evaluation' || s.step === 'leadership')) {
    const position = Math.max(0, ...ctx.s.steps.map((s) => s.position)) + 1;
    createStep(ctx, { step: 'evaluation', role: 'expert', mode: 'panel', position });
  }
  if (!ctx.s.steps.some((s) => s.step === 'leadership')) {
    const position = Math.max(0, ...ctx.s.steps.map((s) => s.position)) + 1;
    const mode = ctx.office ? modeFor('leadership', ctx.office) : STEP_MODE.leadership;
    createStep(ctx, { step: 'leadership', role: stepRole({ step: 'leadership', mode }), mode, position });
  }
}

function createStep(ctx: Ctx, p: PlannedStep): StepState {
  const step: StepState = {
    id: null,
    round: ctx.s.lead.round,
    position: p.position,
    step: p.step,
    mode: p.mode,
    status: 'waiting',
    startedAt: null,
    decidedAt: null,
    decidedBy: null,
    lastRemindedAt: null,
    assignees: [],
  };
  ctx.s.steps.push(step);
  ctx.fx.push({ type: 'step_created', ...ref(step), position: p.position, role: p.role, mode: p.mode, status: 'waiting' });
  return step;
}

function startStep(ctx: Ctx, step: StepState): void {
  const role = stepRole(step);
  const eligible = eligibleFor(ctx.s.lead, ctx.s.steps, step, ctx.holders);
  const assignees = step.mode === 'panel' && ctx.draw && eligible.length > 0 ? ctx.draw(eligible, step.step) : eligible;
  step.status = 'pending';
  step.startedAt = ctx.now;
  step.assignees = assignees.map((userId) => ({ userId, active: true, decision: null, comment: null, decidedAt: null, transferredFrom: null }));
  ctx.fx.push({ type: 'step_started', ...ref(step), role, mode: step.mode, assignees, at: ctx.now });
  ctx.fx.push(
    assignees.length > 0
      ? { type: 'send_step_cards', ...ref(step), userIds: assignees, reason: 'started' }
      : { type: 'notify_admins_no_assignee', ...ref(step), role },
  );
}

function openRound(ctx: Ctx, office: OfficeConfig): void {
  const lead = ctx.s.lead;
  if (!lead.major && reachesMajorThreshold(lead, office)) {
    lead.major = true;
    ctx.fx.push({ type: 'lead_major', reason: 'amount', by: null, at: ctx.now });
  }
  const steps = planSteps(lead, office).map((p) => createStep(ctx, p));
  startStep(ctx, steps[0]);
}

function audit(
  ctx: Ctx,
  actorId: string,
  action: AuditAction,
  role: Role | null,
  comment: string | null,
  step: StepState | null,
  data?: Record<string, string | number | boolean>,
): void {
  ctx.fx.push({
    type: 'audit',
    actorId,
    action,
    role,
    comment,
    stepId: step?.id ?? null,
    round: step?.round ?? ctx.s.lead.round,
    step: step?.step ?? null,
    ...(data ? { data } : {}),
  });
}
