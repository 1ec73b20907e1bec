// Cards of the approval workflow: the step card (lead facts, progress, and the decision form for whoever may
// act), notices to the submitter, the assignees and the admins, and the /pending and /history lists.
// Every user-typed text (names, comments, lead fields) is escaped; every card is validated and ≤ 30 KB.
import { scoreSummaryLines } from '../leads/scoring.ts';
import type { CardJson } from '../../platform/lark/types.ts';
import {
  button, buttonRow, card, fitCard, form, header, hr, input, keyValues, markdown, moreItems, noticeCard, select, submitButton,
  truncateList, type CardElement, type HeaderColor, type KeyValue,
} from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import { unknownUserName } from '../../platform/people.ts';
import { assertValidCard, CARD_MAX_BYTES, cardSize } from '../../platform/cards/validate.ts';
import { leadKindLabel, leadSummaryRows } from '../leads/lead.ts';
import {
  ACTION_LABELS, canAct, canWithdraw, eligibleFor, LEAD_STATUS_LABELS, MAX_COMMENT_LENGTH, OUTCOME_LABELS, progressLine, ROLE_LABELS,
  isStepKind, leadStatusText, STEP_LABELS, STEP_ROLE, type Holders, type Role, type StepKind, type StepOutcome,
  type StepState, type SubmitterEvent, type WorkflowAction,
} from './workflow.ts';
import { toStepState, type LeadRow, type StepRow } from './store.ts';
import { localDateTime } from '../../platform/time.ts';
import { userText } from '../../platform/lark/text.ts';
import { datePicker } from '../../platform/cards/kit.ts';
import { MEETING_OUTCOME_LABELS, type MeetingOutcome, type SheetIndicator } from './panel.ts';

/** Card action names (value.action). */
export const APPROVAL_ACTIONS = {
  decide: 'approval.decide',
  withdraw: 'approval.withdraw',
  remind: 'approval.remind',
  open: 'approval.open',
  sheet: 'approval.sheet',
  meeting: 'approval.meeting',
} as const;

/** The registration feature's "edit a returned lead" action (src/bot/features/register). */
export const EDIT_LEAD_ACTION = 'register.edit';
/** Opens the lead's 签约→注册→落地→投产 card (src/features/lifecycle/commands.ts). */
export const LIFECYCLE_SHOW_ACTION = 'lifecycle.show';

/** Everything a step card shows, loaded in the transaction that changed it. */
export interface ApprovalView {
  lead: LeadRow;
  /** Steps of the lead's current round, by position. */
  steps: StepRow[];
  /** open_id → display name, for everybody the cards mention. */
  names: ReadonlyMap<string, string>;
  holders: Holders;
  tz: string;
  /** 转交 notes of this round: `${stepId}:${to}` → the note the transferring person wrote (latest wins). */
  transferNotes?: ReadonlyMap<string, string>;
  /** Why the previous round ended, when it was 退回修改: shown on this round's step cards. */
  previousReturn?: PreviousReturn;
  /** The submitter chose 仍然提交 for this round despite these possible duplicates. */
  confirmedDuplicates?: ConfirmedDuplicates;
  /** The towns of the submitter's staff grants now (none: an admin, or no longer staff). */
  submitterTowns?: readonly string[];
  /** 评分表 filed on this round's panel steps, and the indicators of a new sheet for this lead. */
  sheets?: readonly PanelSheetView[];
  indicators?: readonly SheetIndicator[];
  /** 领导小组 meetings recorded on this round's meeting steps, oldest first. */
  meetings?: readonly MeetingView[];
  /** 尽调 / 项目分析报告 attached to the lead. */
  reports?: readonly { fileName: string }[];
}

export interface PanelSheetView {
  stepId: number;
  expertId: string;
  total: number;
  pass: boolean;
  comment: string | null;
}

export interface MeetingView {
  stepId: number;
  date: string;
  attendees: string;
  outcome: string;
  minutes: string | null;
}

export interface ConfirmedDuplicates {
  codes: string[];
  /** What the leads share: the 统一社会信用代码, or only the company name. */
  by: 'credit_code' | 'company';
}

export interface PreviousReturn {
  round: number;
  by: string;
  step: StepKind | null;
  comment: string;
}

/** Key of ApprovalView.transferNotes. */
export const transferNoteKey = (stepId: number, to: string): string => `${stepId}:${to}`;

export type StepCardReason = 'started' | 'transferred' | 'added' | 'remind';

export interface StepCardOptions {
  reason?: StepCardReason;
  /** For reminders: how long the step has waited. */
  now?: Date;
}

// ---- small formatters --------------------------------------------------------------------------------

/** "3 天 2 小时", "5 小时", "12 分钟". */
export function formatAge(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return hours > 0 ? `${days} 天 ${hours} 小时` : `${days} 天`;
  if (hours > 0) return `${hours} 小时`;
  return `${Math.max(1, minutes)} 分钟`;
}

const nameIn = (view: Pick<ApprovalView, 'names'>, id: string | null | undefined): string =>
  id ? view.names.get(id) ?? unknownUserName(id) : '—';

/** Every open_id a card about this lead may name. */
export function idsToName(lead: Pick<LeadRow, 'submitterId'>, steps: readonly StepRow[], holders: Holders): string[] {
  const ids = new Set<string>([lead.submitterId]);
  for (const s of steps) {
    if (s.decidedBy) ids.add(s.decidedBy);
    for (const a of s.assignees) {
      ids.add(a.userId);
      if (a.transferredFrom) ids.add(a.transferredFrom);
    }
    for (const h of holders[STEP_ROLE[s.step]] ?? []) ids.add(h);
  }
  return [...ids];
}

/** 同意 / 驳回 / 退回修改 for a stored decision. */
const decisionWord = (decision: string): string => ACTION_LABELS[decision as WorkflowAction] ?? decision;

/**
 * A 会签 step lists every leader's comment, and the list grows with the group: on the card each is cut to
 * this many characters (the full text is in /history), so the card stays within 30 KB.
 */
export const CARD_COMMENT_CHARS = 60;

/** A note (转交附言, the previous round's 退回意见) is cut to this many characters on a full card, CARD_COMMENT_CHARS on a shorter one. */
export const CARD_NOTE_CHARS = 200;

/** `text` cut to `max` characters (code points) with …, and whether it was cut. */
export function clip(text: string, max = CARD_COMMENT_CHARS): { text: string; clipped: boolean } {
  const chars = Array.from(text);
  return chars.length > max ? { text: `${chars.slice(0, max).join('')}…`, clipped: true } : { text, clipped: false };
}

const STEP_COLORS: Record<string, HeaderColor> = { approved: 'green', rejected: 'red', returned: 'orange', cancelled: 'grey' };
/** Header colours of the submitter's cards, by the lead's status. */
/** Header colour of a card about a lead, by its status. */
export const STATUS_COLORS: Record<string, HeaderColor> = { pending: 'blue', approved: 'green', rejected: 'red', returned: 'orange', withdrawn: 'grey' };

function progressOf(steps: readonly StepRow[]): string {
  return progressLine(steps.map((s) => toStepState(s)));
}

// ---- the step card -----------------------------------------------------------------------------------

/** The facts rows at the top of every step card. */
function factRows(view: ApprovalView, step: StepRow): KeyValue[] {
  const { lead } = view;
  const rows: KeyValue[] = [
    ['项目编号', lead.code],
    ['项目名称', lead.projectName],
    ['登记人', nameIn(view, lead.submitterId)],
    ['审批环节', `${STEP_LABELS[step.step]}（${step.mode === 'all' ? '会签：全体成员同意方可通过' : '或签：一人处理即可'}）`],
    ['当前状态', leadStatusText(view.lead, view.steps.map(toStepState))],
  ];
  if (view.steps.length > 0) rows.push(['审批进度', progressOf(view.steps)]);
  if (lead.round > 1) rows.push(['审批轮次', `第 ${lead.round} 轮`]);
  if (lead.major) rows.push(['重大项目', '是（一事一议，须领导小组会签）']);
  return rows;
}

/** On the cards of a resubmitted round: who returned the previous round and what he asked for. */
function previousReturnLine(view: ApprovalView, detail: 'full' | 'short' | 'minimal'): string | undefined {
  const r = view.previousReturn;
  if (!r || view.lead.round !== r.round + 1) return undefined;
  const cut = clip(r.comment, detail === 'full' ? CARD_NOTE_CHARS : CARD_COMMENT_CHARS);
  const where = r.step ? `（${STEP_LABELS[r.step]}）` : '';
  const more = cut.clipped ? `（完整意见请发送 /history ${md(view.lead.code)} 查看）` : '';
  return `**第 ${r.round} 轮退回修改**：${md(nameIn(view, r.by))}${where} · 意见：${md(cut.text)}${more}`;
}

/** On the cards of a round submitted despite a possible duplicate: which leads it resembles. */
function confirmedDuplicateLine(view: ApprovalView): string | undefined {
  const d = view.confirmedDuplicates;
  if (!d || d.codes.length === 0) return undefined;
  const what = d.by === 'credit_code' ? '统一社会信用代码相同' : '企业名称相同';
  return `⚠️ **疑似重复**：与 ${d.codes.map(md).join('、')} ${what}，登记人已确认仍然提交，请核实`;
}

/** On the cards of a lead registered by staff of another town (跨镇区登记): whose town it is, and his. */
export function crossTownLine(view: Pick<ApprovalView, 'lead' | 'names' | 'submitterTowns'>): string | undefined {
  const towns = view.submitterTowns ?? [];
  if (towns.length === 0 || towns.includes(view.lead.town)) return undefined;
  return `⚠️ **跨镇区登记**：登记人 ${md(nameIn(view, view.lead.submitterId))} 属${towns.map(md).join('、')}，项目登记在${md(view.lead.town)}，请核实归属`;
}

/** Decisions taken earlier in this round: "**预审**：张三 同意 · 意见：…". */
function earlierDecisions(view: ApprovalView, step: StepRow): string[] {
  const lines: string[] = [];
  for (const s of view.steps) {
    if (s.position >= step.position || s.round !== step.round) continue;
    for (const a of s.assignees) {
      if (!a.decision) continue;
      const comment = a.comment ? ` · 意见：${md(a.comment)}` : '';
      lines.push(`**${STEP_LABELS[s.step]}**：${md(nameIn(view, a.userId))} ${decisionWord(a.decision)}${comment}`);
    }
  }
  return lines;
}

/**
 * Who decided what on a step, one line per person who acted or still has to (at most `max` of them), each
 * comment cut to CARD_COMMENT_CHARS.
 */
function memberLines(view: ApprovalView, step: StepRow, max = Number.POSITIVE_INFINITY): string[] {
  let clipped = false;
  const lines = step.assignees
    .filter((a) => a.active || a.decision)
    .map((a) => {
      const who = md(nameIn(view, a.userId));
      if (!a.decision) return `${who}：待处理`;
      const when = a.decidedAt ? `（${localDateTime(a.decidedAt, view.tz)}）` : '';
      const cut = a.comment ? clip(a.comment) : undefined;
      if (cut?.clipped) clipped = true;
      const comment = cut ? ` · 意见：${md(cut.text)}` : '';
      return `${who}：${decisionWord(a.decision)}${when}${comment}`;
    });
  const shown = truncateList(lines, max);
  if (clipped) shown.push(`（较长的意见已截断，完整意见请发送 /history ${md(view.lead.code)} 查看）`);
  return shown;
}

/** The outcome block of a step that no longer takes decisions. */
function outcomeLines(view: ApprovalView, step: StepRow, maxMembers = Number.POSITIVE_INFINITY): string[] {
  if ((step.mode === 'panel' || step.mode === 'meeting') && (step.status === 'approved' || step.status === 'rejected')) {
    const word = step.mode === 'panel' ? '专家组评审' : '领导小组会议决议';
    return [`**处理结果**：${word}${step.status === 'approved' ? '通过' : '未通过'}${step.decidedAt ? `（${localDateTime(step.decidedAt, view.tz)}）` : ''}`];
  }
  if (step.status === 'approved' && step.mode === 'all') return ['**处理结果**：会签通过', ...memberLines(view, step, maxMembers)];
  switch (step.status) {
    case 'approved':
    case 'rejected':
    case 'returned': {
      const by = step.assignees.find((a) => a.userId === step.decidedBy && a.decision);
      const word = by?.decision ? decisionWord(by.decision) : OUTCOME_LABELS[step.status as StepOutcome];
      const when = step.decidedAt ? `（${localDateTime(step.decidedAt, view.tz)}）` : '';
      const lines = [`**处理结果**：${md(nameIn(view, step.decidedBy))} ${word}${when}`];
      if (by?.comment) lines.push(`**${step.status === 'approved' ? '意见' : step.status === 'rejected' ? '驳回理由' : '修改意见'}**：${md(by.comment)}`);
      if (step.mode === 'all' && step.status !== 'approved') lines.push(...memberLines(view, step, maxMembers));
      return lines;
    }
    case 'cancelled':
      return [view.lead.status === 'withdrawn' ? '**处理结果**：登记人已撤回该项目，无需处理。' : '**处理结果**：该环节已取消，无需处理。'];
    default:
      return [];
  }
}

/** People the viewer may transfer the step to: other eligible holders of the role (workflow.eligibleFor), not already on it. */
export function transferTargets(view: ApprovalView, step: StepRow, viewerId: string): string[] {
  return eligibleFor(view.lead, view.steps, toStepState(step), view.holders).filter(
    (id) => id !== viewerId && !step.assignees.some((a) => a.userId === id && a.active),
  );
}

/** The expert's 评分表: a score and a comment per indicator, a vote and an overall comment. */
function sheetForm(view: ApprovalView, step: StepRow): CardElement {
  const fields: Array<CardElement | CardElement[]> = [];
  for (const ind of view.indicators ?? []) {
    fields.push(input({ name: `score_${ind.key}`, label: `${ind.label}（0–${ind.max} 分）`, placeholder: `0–${ind.max}`, required: true, maxLength: 6 }));
    fields.push(input({ name: `comment_${ind.key}`, label: `${ind.label} · 评语`, placeholder: '可不填', maxLength: 200 }));
  }
  fields.push(select({ name: 'vote', label: '评审结论', required: true, options: [{ value: 'pass', label: '通过' }, { value: 'fail', label: '不通过' }] }));
  fields.push(input({ name: 'comment', label: '综合意见', placeholder: '可不填', maxLength: MAX_COMMENT_LENGTH, multiline: true }));
  return form('sheet', fields, submitButton('提交评分表', { action: APPROVAL_ACTIONS.sheet, leadId: view.lead.id, stepId: step.id }, 'primary_filled'));
}

/** The secretary's record of the 领导小组 meeting on a 一事一议. */
function meetingForm(view: ApprovalView, step: StepRow): CardElement {
  const fields: Array<CardElement | CardElement[]> = [
    datePicker({ name: 'date', label: '会议日期', required: true }),
    input({ name: 'attendees', label: '参会人员', placeholder: '例如：孙一、周二、吴三', required: true, maxLength: 300 }),
    select({ name: 'outcome', label: '会议结论', required: true, options: (['pass', 'fail', 'defer'] as const).map((o) => ({ value: o, label: MEETING_OUTCOME_LABELS[o] })) }),
    input({ name: 'minutes', label: '会议纪要', placeholder: '决议要点', maxLength: 1000, multiline: true }),
  ];
  return form('meeting', fields, submitButton('提交会议决议', { action: APPROVAL_ACTIONS.meeting, leadId: view.lead.id, stepId: step.id }, 'primary_filled'));
}

/** A panel step's sheets ("钱七：78.5 分 · 通过") and a meeting step's meetings, for the card. */
function panelLines(view: ApprovalView, step: StepRow): string[] {
  const lines: string[] = [];
  if (step.mode === 'panel') {
    const sheets = (view.sheets ?? []).filter((x) => x.stepId === step.id);
    const active = step.assignees.filter((a) => a.active || a.decision);
    lines.push(`**专家组**（已评 ${sheets.length}/${active.length}）`);
    for (const a of active) {
      const sh = sheets.find((x) => x.expertId === a.userId);
      lines.push(sh ? `${md(nameIn(view, a.userId))}：${sh.total} 分 · ${sh.pass ? '通过' : '不通过'}${sh.comment ? ` · ${md(clip(sh.comment).text)}` : ''}` : `${md(nameIn(view, a.userId))}：待评分`);
    }
  }
  if (step.mode === 'meeting') {
    for (const m of (view.meetings ?? []).filter((x) => x.stepId === step.id)) {
      lines.push(`**领导小组会议**（${md(m.date)}）：${MEETING_OUTCOME_LABELS[m.outcome as MeetingOutcome] ?? md(m.outcome)} · 参会：${md(clip(m.attendees).text)}`);
      if (m.minutes) lines.push(`纪要：${md(clip(m.minutes, CARD_NOTE_CHARS).text)}`);
    }
  }
  return lines;
}

function decisionForm(view: ApprovalView, step: StepRow, viewerId: string): CardElement {
  const base = { action: APPROVAL_ACTIONS.decide, leadId: view.lead.id, stepId: step.id };
  const targets = transferTargets(view, step, viewerId);
  const fields: Array<CardElement | CardElement[]> = [
    input({
      name: 'comment',
      label: '审批意见',
      placeholder: '同意时可不填；驳回、退回修改时必填',
      maxLength: MAX_COMMENT_LENGTH,
      multiline: true,
    }),
  ];
  if (targets.length > 0) {
    fields.push(select({
      name: 'to',
      label: `转交给其他${ROLE_LABELS[STEP_ROLE[step.step]]}（仅「转交」时选择）`,
      placeholder: '请选择转交对象',
      options: targets.map((id) => ({ value: id, label: nameIn(view, id) })),
    }));
  }
  const buttons: CardElement[] = [submitButton('同意', { ...base, decision: 'approve' }, 'primary_filled')];
  if (step.step === 'review' && !view.lead.major) {
    buttons.push(submitButton('同意并提交一事一议', { ...base, decision: 'approve', major: true }, 'primary'));
  }
  buttons.push(submitButton('退回修改', { ...base, decision: 'return' }, 'default'));
  buttons.push({
    ...submitButton('驳回', { ...base, decision: 'reject' }, 'danger'),
    confirm: { title: { tag: 'plain_text', content: '确认驳回' }, text: { tag: 'plain_text', content: '驳回后审批结束，项目不能再提交。确定驳回吗？' } },
  });
  if (targets.length > 0) buttons.push(submitButton('转交', { ...base, decision: 'transfer' }, 'default'));
  return form('decision', fields, buttons);
}

/** Why this viewer's copy of a pending step has no buttons. */
function waitingLine(view: ApprovalView, step: StepRow, viewerId: string): string | undefined {
  const me = step.assignees.find((a) => a.userId === viewerId);
  if (!me) return undefined;
  if (me.active && me.decision && step.mode === 'panel') {
    return '您已提交评分表，等待其他专家评审。';
  }
  if (me.active && me.decision) {
    const active = step.assignees.filter((a) => a.active);
    const agreed = active.filter((a) => a.decision === 'approve').length;
    return `您已${decisionWord(me.decision)}，等待其他成员审议（已同意 ${agreed}/${active.length}）。`;
  }
  if (!me.active) {
    const heir = step.assignees.find((a) => a.active && a.transferredFrom === viewerId);
    return heir ? `您已将该环节转交给 ${md(nameIn(view, heir.userId))}。` : '您已不再是该环节的审批人，无需处理。';
  }
  return undefined;
}

/** "张三 将该环节转交给您处理。附言：…" while the viewer may act on a step transferred to him. */
function transferredLine(view: ApprovalView, step: StepRow, viewerId: string, detail: 'full' | 'short' | 'minimal'): string | undefined {
  const me = step.assignees.find((a) => a.userId === viewerId && a.active);
  if (!me?.transferredFrom || !canAct(toStepState(step), viewerId)) return undefined;
  const note = view.transferNotes?.get(transferNoteKey(step.id, viewerId));
  const cut = note ? clip(note, detail === 'full' ? CARD_NOTE_CHARS : CARD_COMMENT_CHARS) : undefined;
  return `${md(nameIn(view, me.transferredFrom))} 将该环节转交给您处理。${cut ? `\n**转交附言**：${md(cut.text)}` : ''}`;
}

function introLine(view: ApprovalView, step: StepRow, viewerId: string, opts: StepCardOptions, detail: 'full' | 'short' | 'minimal'): string | undefined {
  if (!canAct(toStepState(step), viewerId)) return undefined;
  const transferred = transferredLine(view, step, viewerId, detail);
  switch (opts.reason) {
    case 'transferred':
      return transferred;
    case 'added':
      return '您已被分配为该环节的审批人，请处理。';
    case 'remind': {
      const waited = step.startedAt && opts.now ? `已等待 ${formatAge(opts.now.getTime() - step.startedAt.getTime())}，` : '';
      return `<font color='red'>催办：该项目${waited}请尽快处理。</font>`;
    }
    default:
      // A later update of a transferred step's card keeps saying who handed it over, and why.
      return transferred;
  }
}

function buildStepCard(
  view: ApprovalView,
  step: StepRow,
  viewerId: string,
  opts: StepCardOptions,
  detail: 'full' | 'short' | 'minimal',
  maxMembers = Number.POSITIVE_INFINITY,
): CardJson {
  const label = STEP_LABELS[step.step];
  const mine = canAct(toStepState(step), viewerId);
  const remind = opts.reason === 'remind' && mine;
  const title = `${remind ? '催办 · ' : ''}${label}审批 · ${view.lead.projectName}`;
  const color: HeaderColor = step.status === 'pending' ? (remind ? 'orange' : mine ? 'blue' : 'wathet') : STEP_COLORS[step.status] ?? 'grey';

  const elements: CardElement[] = [];
  const intro = introLine(view, step, viewerId, opts, detail);
  if (intro) elements.push(markdown(intro));
  elements.push(keyValues(factRows(view, step)));
  const returned = previousReturnLine(view, detail);
  if (returned) elements.push(markdown(returned));
  const duplicate = confirmedDuplicateLine(view);
  if (duplicate) elements.push(markdown(duplicate));
  const crossTown = crossTownLine(view);
  if (crossTown) elements.push(markdown(crossTown));
  if (detail !== 'minimal') {
    const summary = leadSummaryRows(view.lead, { includeContact: detail === 'full', includeSummary: detail === 'full' });
    if (summary.length > 0) elements.push(hr(), keyValues(detail === 'full' ? summary : summary.slice(0, 8)));
  }
  const score = scoreSummaryLines(view.lead);
  if (score.length > 0 && detail !== 'minimal') elements.push(markdown((detail === 'full' ? score : score.slice(0, 1)).map(md).join('\n')));
  const earlier = earlierDecisions(view, step);
  if (earlier.length > 0 && detail !== 'minimal') elements.push(hr(), markdown(earlier.join('\n')));
  elements.push(hr());

  if (step.step === 'leadership' && (view.reports?.length ?? 0) > 0) {
    elements.push(markdown(`**尽调 / 分析报告**：${view.reports!.map((r) => md(r.fileName)).join('、')}`));
  }
  const panel = panelLines(view, step);
  if (panel.length > 0) elements.push(markdown(panel.join('\n')));
  if (step.status === 'pending' && view.lead.status === 'pending') {
    if (step.mode === 'all') elements.push(markdown(memberLines(view, step, maxMembers).join('\n') || '暂无审批人'));
    if (mine) elements.push(step.mode === 'panel' ? sheetForm(view, step) : step.mode === 'meeting' ? meetingForm(view, step) : decisionForm(view, step, viewerId));
    else {
      const line = waitingLine(view, step, viewerId);
      if (line) elements.push(markdown(line));
    }
  } else {
    const lines = outcomeLines(view, step, maxMembers);
    elements.push(markdown(lines.length ? lines.join('\n') : `**当前状态**：${LEAD_STATUS_LABELS[view.lead.status]}`));
  }
  return card(header(title, color, view.lead.code), elements, `${title}（${view.lead.code}）`);
}

/**
 * The card of one step as `viewerId` sees it: the decision form while he may act (canAct), otherwise the
 * outcome or why he waits, never buttons. A reminder (`reason: 'remind'`) is a shorter card headed 催办.
 */
export function stepCard(view: ApprovalView, step: StepRow, viewerId: string, opts: StepCardOptions = {}): CardJson {
  const order: Array<'full' | 'short' | 'minimal'> = opts.reason === 'remind' ? ['short', 'minimal'] : ['full', 'short', 'minimal'];
  for (const detail of order) {
    const c = buildStepCard(view, step, viewerId, opts, detail);
    if (cardSize(c) <= CARD_MAX_BYTES) {
      assertValidCard(c);
      return c;
    }
  }
  // A very large 会签 group: the minimal card with as many members as fit ("另有 N 项…").
  return fitCard((max) => buildStepCard(view, step, viewerId, opts, 'minimal', max));
}

// ---- the submitter's buttons and notices -------------------------------------------------------------

/**
 * 撤回 and 催办 for the submitter's cards (the registration confirmation appends these). 撤回 works while no
 * one has acted yet; 催办 reminds the assignees of the pending step (at most once an hour).
 */
export function submitterButtons(leadId: number, opts: { withdraw?: boolean; remind?: boolean } = {}): CardElement {
  const list: CardElement[] = [];
  if (opts.withdraw !== false) {
    list.push(button('撤回', { action: APPROVAL_ACTIONS.withdraw, leadId }, 'danger', {
      confirm: { title: '确认撤回', text: '撤回后审批人将不再处理该项目，您可以修改后重新提交。确定撤回吗？' },
    }));
  }
  if (opts.remind !== false) list.push(button('催办', { action: APPROVAL_ACTIONS.remind, leadId }, 'default'));
  return buttonRow(list);
}

export interface SubmitterNoticeInput {
  view: ApprovalView;
  event: SubmitterEvent;
  step: StepKind;
  by: string;
  comment: string | null;
}

/** At most this many leaders are named when a 会签 is credited ("孙一、周二 等 25 位领导"). */
export const NAMED_VOTERS = 5;

/** "孙一、周二、吴三" or "孙一、周二、吴三、周四、郑五 等 25 位领导": everyone who agreed to a 会签 step. */
function agreedNames(view: ApprovalView, step: StepRow): string {
  const agreed = step.assignees.filter((a) => a.active && a.decision === 'approve').map((a) => md(nameIn(view, a.userId)));
  if (agreed.length <= NAMED_VOTERS) return agreed.join('、');
  return `${agreed.slice(0, NAMED_VOTERS).join('、')} 等 ${agreed.length} 位领导`;
}

/**
 * The submitter's notice after a decision on his lead. A 初审/审签 progress notice carries 催办 while the lead
 * is in approval; once the lead is closed it is re-rendered (service.ts) with the lead's state instead.
 */
export function submitterNotice({ view, event, step, by, comment }: SubmitterNoticeInput): CardJson {
  const { lead } = view;
  const who = md(nameIn(view, by));
  const name = `「${md(lead.projectName)}」（${md(lead.code)}）`;
  const lines: string[] = [];
  const extra: CardElement[] = [];
  const row = view.steps.find((s) => s.step === step);
  let title: string;
  let color: HeaderColor;
  switch (event) {
    case 'step_approved': {
      // The step after this one (by position), so a later re-render still says where it went.
      const next = row ? [...view.steps].sort((a, b) => a.position - b.position).find((s) => s.position > row.position) : undefined;
      title = `${STEP_LABELS[step]}已通过 · ${lead.code}`;
      color = 'blue';
      lines.push(`您登记的项目${name}${STEP_LABELS[step]}已通过（${who} 同意）${next ? `，进入${STEP_LABELS[next.step]}。` : '。'}`);
      if (comment) lines.push(`**意见**：${md(comment)}`);
      if (lead.status === 'pending') {
        if (next) extra.push(submitterButtons(lead.id, { withdraw: false }));
      } else {
        color = STATUS_COLORS[lead.status] ?? 'grey';
        lines.push(`**当前状态**：${leadStatusText(view.lead, view.steps.map(toStepState))}`);
      }
      break;
    }
    case 'approved':
      title = `审批通过 · ${lead.code}`;
      color = 'green';
      if (row && (row.mode === 'meeting' || row.mode === 'panel')) {
        lines.push(`您登记的项目${name}已审批通过（${row.mode === 'meeting' ? '领导小组会议决议通过' : '专家组评审通过'}）。`);
        if (comment) lines.push(`**${row.mode === 'meeting' ? '会议决议' : '评审结果'}**：${md(comment)}`);
      } else if (row && row.mode === 'all') {
        // 会签: the decision is the group's, not the last voter's.
        lines.push(`您登记的项目${name}已审批通过（${STEP_LABELS[step]}会签通过：${agreedNames(view, row)} 同意）。`);
        if (row.assignees.some((a) => a.active && a.decision === 'approve' && a.comment)) {
          lines.push(`各位领导的意见请发送 /history ${md(lead.code)} 查看。`);
        }
      } else {
        lines.push(`您登记的项目${name}已审批通过（${STEP_LABELS[step]}：${who} 同意）。`);
        if (comment) lines.push(`**意见**：${md(comment)}`);
      }
      lines.push('请继续推进签约、注册、落地，并在这里登记每一步进展。');
      extra.push(buttonRow([button('登记项目进展', { action: LIFECYCLE_SHOW_ACTION, leadId: lead.id }, 'primary_filled')]));
      break;
    case 'rejected':
      title = `已驳回 · ${lead.code}`;
      color = 'red';
      if (row && (row.mode === 'panel' || row.mode === 'meeting')) {
        lines.push(`您登记的项目${name}${row.mode === 'panel' ? `未通过${STEP_LABELS[step]}专家组评审` : '未获领导小组会议通过'}，审批结束。`);
        if (comment) lines.push(`**${row.mode === 'panel' ? '评审结果' : '会议决议'}**：${md(comment)}`);
      } else {
        lines.push(`您登记的项目${name}在${STEP_LABELS[step]}环节被 ${who} 驳回，审批结束。`);
        if (comment) lines.push(`**驳回理由**：${md(comment)}`);
      }
      break;
    case 'returned':
      title = `退回修改 · ${lead.code}`;
      color = 'orange';
      lines.push(`您登记的项目${name}在${STEP_LABELS[step]}环节被 ${who} 退回修改。`);
      if (comment) lines.push(`**修改意见**：${md(comment)}`);
      lines.push('修改后重新提交，审批将从第一个环节重新开始。');
      extra.push(buttonRow([button('修改并重新提交', { action: EDIT_LEAD_ACTION, leadId: lead.id }, 'primary_filled')]));
      break;
  }
  if (view.steps.length > 0) lines.push(`**审批进度**：${progressOf(view.steps)}`);
  return noticeCard(title, lines, color, extra);
}

/** 项目简介 on the living card is cut to this many characters (the whole text is on the /lead card). */
const LIVING_SUMMARY_MAX = 300;

/** What comes next for a lead, as its submitter reads it on his card. */
function nextLine(view: ApprovalView): string {
  const status = view.lead.status;
  switch (status) {
    case 'pending': {
      const step = view.steps.find((s) => s.status === 'pending');
      if (!step) return '等待审批';
      const label = STEP_LABELS[step.step];
      const waiting = step.assignees.filter((a) => a.active && !a.decision).map((a) => md(nameIn(view, a.userId)));
      if (waiting.length === 0) return `等待${label}（暂无审批人，已通知管理员）`;
      if (step.mode === 'all') {
        const active = step.assignees.filter((a) => a.active);
        const agreed = active.filter((a) => a.decision === 'approve').length;
        return `等待${label}会签（已同意 ${agreed}/${active.length}），待 ${truncateList(waiting, NAMED_VOTERS, (n) => `等 ${n + NAMED_VOTERS} 人`).join('、')} 处理`;
      }
      return `等待${label}：${truncateList(waiting, NAMED_VOTERS, (n) => `等 ${n + NAMED_VOTERS} 人`).join('、')}${waiting.length > 1 ? '（任一人处理即可）' : ''}`;
    }
    case 'returned':
      return '请按修改意见修改后重新提交，审批将从第一个环节重新开始';
    case 'withdrawn':
      return '修改后可以重新提交，审批将从第一个环节重新开始';
    case 'approved':
      return '签约 → 注册 → 落地 → 投产：请在这里登记每一步进展';
    case 'rejected':
      return '审批已结束';
  }
  return '—';
}

/** Who did what in this round, oldest first: "**初审**：张三 同意（03-02 09:30） · 意见：…". */
function roundDecisions(view: ApprovalView): string[] {
  const lines: string[] = [];
  for (const s of [...view.steps].sort((a, b) => a.position - b.position)) {
    const acted = s.assignees.filter((a) => a.decision).sort((a, b) => (a.decidedAt?.getTime() ?? 0) - (b.decidedAt?.getTime() ?? 0));
    for (const a of acted) {
      const when = a.decidedAt ? `（${localDateTime(a.decidedAt, view.tz)}）` : '';
      const comment = a.comment ? ` · 意见：${md(clip(a.comment).text)}` : '';
      lines.push(`**${STEP_LABELS[s.step]}**：${md(nameIn(view, a.userId))} ${decisionWord(a.decision!)}${when}${comment}`);
    }
    if (s.status === 'cancelled' && view.lead.status === 'withdrawn' && acted.length === 0 && s.startedAt) {
      lines.push(`**${STEP_LABELS[s.step]}**：登记人撤回，未处理`);
    }
  }
  return lines;
}

/**
 * The submitter's living card about his lead (one per lead: the form he submitted turns into it, and it is
 * updated in place at every step): state, progress, who acted, what comes next, the lead's facts, and only
 * the buttons that apply now: 撤回 while nobody has acted, 催办 while in approval, 修改并重新提交 once
 * withdrawn or returned, 登记项目进展 once approved. `done` says what the submitter's own click just did.
 */
export function submitterLeadCard(view: ApprovalView, done?: string): CardJson {
  const { lead } = view;
  const status = lead.status;
  const statusText = leadStatusText(view.lead, view.steps.map(toStepState));
  const buttons: CardElement[] = [];
  if (status === 'withdrawn' || status === 'returned') {
    buttons.push(button('修改并重新提交', { action: EDIT_LEAD_ACTION, leadId: lead.id }, 'primary_filled'));
  } else if (status === 'approved') {
    buttons.push(button('登记项目进展', { action: LIFECYCLE_SHOW_ACTION, leadId: lead.id }, 'primary_filled'));
  }
  const rows: KeyValue[] = [['项目编号', lead.code], ['项目名称', lead.projectName], ['当前状态', statusText]];
  if (view.steps.length > 0) rows.push(['审批进度', progressOf(view.steps)]);
  rows.push(['下一步', nextLine(view)]);
  if (lead.round > 1) rows.push(['审批轮次', `第 ${lead.round} 轮`]);
  if (lead.major) rows.push(['重大项目', '是（一事一议，须领导小组会签）']);
  const returned = status === 'returned'
    ? view.steps.find((s) => s.status === 'returned')?.assignees.find((a) => a.decision === 'return')
    : undefined;
  const decisions = roundDecisions(view);
  const facts: KeyValue[] = leadSummaryRows(lead, { includeContact: true });
  if (lead.summary?.trim()) facts.push(['项目简介', clip(lead.summary, LIVING_SUMMARY_MAX).text]);
  const title = `${statusText} · ${lead.code}`;
  return fitCard((max) => {
    const elements: CardElement[] = [];
    if (done) elements.push(markdown(done));
    elements.push(keyValues(rows));
    if (returned?.comment) elements.push(markdown(`<font color='orange'>**修改意见**（${md(nameIn(view, returned.userId))}）：${md(clip(returned.comment, CARD_NOTE_CHARS).text)}</font>`));
    const previous = previousReturnLine(view, 'short');
    if (previous) elements.push(markdown(previous));
    if (decisions.length > 0) elements.push(hr(), markdown(['**审批经过**', ...truncateList(decisions, max)].join('\n')));
    if (facts.length > 0) elements.push(hr(), keyValues(facts));
    if (status === 'pending') elements.push(submitterButtons(lead.id, { withdraw: canWithdraw({ lead: { status }, steps: view.steps }) }));
    else if (buttons.length > 0) elements.push(buttonRow(buttons));
    return card(header(title, STATUS_COLORS[status] ?? 'grey', lead.projectName), elements, `${title} ${lead.projectName}`);
  });
}

/**
 * The brief text the submitter gets when a round ends (his living card is updated in place and makes no
 * sound): returned (修改并重新提交 is on the card), approved, rejected.
 */
export function submitterOutcomeText({ view, event, step, by, comment }: SubmitterNoticeInput): string {
  const { lead } = view;
  const name = `「${userText(lead.projectName)}」（${lead.code}）`;
  const who = userText(nameIn(view, by));
  const said = comment ? `：${userText(clip(comment, CARD_NOTE_CHARS).text)}` : '';
  switch (event) {
    case 'returned':
      return `您登记的项目${name}在${STEP_LABELS[step]}环节被 ${who} 退回修改${said}。请在项目卡片上点「修改并重新提交」。`;
    case 'rejected': {
      // A panel's or a meeting's decision is the group's, not the last one's to file.
      const row = view.steps.find((s) => s.step === step);
      if (row?.mode === 'panel') return `您登记的项目${name}未通过${STEP_LABELS[step]}专家组评审${said}，审批结束。`;
      if (row?.mode === 'meeting') return `您登记的项目${name}未获领导小组会议通过${said}，审批结束。`;
      return `您登记的项目${name}在${STEP_LABELS[step]}环节被 ${who} 驳回${said}，审批结束。`;
    }
    case 'approved': {
      const row = view.steps.find((s) => s.step === step);
      if (row?.mode === 'panel' || row?.mode === 'meeting') {
        return `您登记的项目${name}已审批通过（${row.mode === 'meeting' ? '领导小组会议决议通过' : '专家组评审通过'}${said}）。请在项目卡片上点「登记项目进展」登记签约、注册、落地。`;
      }
      const agreed = row?.assignees.filter((a) => a.active && a.decision === 'approve').map((a) => userText(nameIn(view, a.userId))) ?? [];
      const voters = agreed.length <= NAMED_VOTERS ? agreed.join('、') : `${agreed.slice(0, NAMED_VOTERS).join('、')} 等 ${agreed.length} 位领导`;
      const how = row?.mode === 'all' ? `${STEP_LABELS[step]}会签通过：${voters} 同意` : `${STEP_LABELS[step]}：${who} 同意`;
      return `您登记的项目${name}已审批通过（${how}）。请在项目卡片上点「登记项目进展」登记签约、注册、落地。`;
    }
    default:
      return `您登记的项目${name}${STEP_LABELS[step]}已通过（${who} 同意）。`;
  }
}

/** The submitter's earlier living card, after he resubmitted the lead from another card: no buttons, a pointer. */
export function supersededLeadCard(view: ApprovalView): CardJson {
  const { lead } = view;
  return noticeCard(`已重新提交 · ${lead.code}`, [
    `项目「${md(lead.projectName)}」（${md(lead.code)}）已修改并重新提交，最新进度见新的项目卡片，或发送「项目 ${md(lead.code)}」查看。`,
  ], 'grey');
}

/** To assignees whose step the submitter withdrew. */
export function withdrawnNotice(view: ApprovalView, step: StepKind): CardJson {
  const { lead } = view;
  return noticeCard(`项目已撤回 · ${lead.code}`, [
    `${md(nameIn(view, lead.submitterId))} 已撤回项目「${md(lead.projectName)}」（${md(lead.code)}），该项目的${STEP_LABELS[step]}无需您处理。`,
  ], 'grey');
}

/** To admins: a pending step has nobody who holds its role. */
export function noAssigneeNotice(view: ApprovalView, step: StepKind, role: Role): CardJson {
  const { lead } = view;
  return noticeCard(`无人可审批 · ${lead.code}`, [
    `项目「${md(lead.projectName)}」（${md(lead.code)}）正在等待${STEP_LABELS[step]}，但目前没有可以审批的${ROLE_LABELS[role]}（登记人本人、已处理本轮前面环节的人不能审批）。`,
    `请发送 \`/role add ${role} @某人\` 授予角色，该环节会自动分配给新的${ROLE_LABELS[role]}。`,
  ], 'red');
}

// ---- /pending and /history ---------------------------------------------------------------------------

export interface WaitingLine {
  leadId: number;
  stepId: number;
  code: string;
  projectName: string;
  kind: string;
  town: string;
  step: StepKind;
  startedAt: Date | null;
}

const OPEN_BUTTONS = 10;

/** 我的待办: what waits for this person, oldest first, with its age; a button re-sends the first cards. */
/** At most `max` of `lines`, then 「另有 N 项…」 counting also the `total - lines.length` not read. */
function listedOf(lines: string[], max: number, total: number): string[] {
  const unread = total - lines.length;
  if (lines.length > max) return truncateList(lines, max, (n) => moreItems(n + unread));
  return unread > 0 ? [...lines, moreItems(unread)] : lines;
}

/** `total`: how many wait in all, when `items` holds only the oldest of them. */
export function pendingCard(items: readonly WaitingLine[], now: Date, total = items.length): CardJson {
  if (items.length === 0) {
    return noticeCard('我的待办', ['目前没有等待您处理的审批。'], 'green');
  }
  const lines = items.map((i, n) => {
    const age = i.startedAt ? `已等待 ${formatAge(now.getTime() - i.startedAt.getTime())}` : '';
    return `${n + 1}. **${md(i.code)}** ${md(i.projectName)} · ${leadKindLabel(i.kind)} · ${md(i.town)} · ${STEP_LABELS[i.step]} · ${age}`;
  });
  const openButtons = items.slice(0, OPEN_BUTTONS).map((i, n) =>
    button(`${n + 1}. ${i.code}`, { action: APPROVAL_ACTIONS.open, stepId: i.stepId, list: 'pending' }, 'default'),
  );
  return fitCard((max) => {
    const elements: CardElement[] = [
      markdown(`共 ${total} 项等待您处理（最早的在前）：`),
      markdown(listedOf(lines, max, total).join('\n')),
      hr(),
      markdown('点击项目编号重新获取审批卡片，在卡片上处理。', 'notation'),
      buttonRow(openButtons),
    ];
    return card(header('我的待办', 'orange'), elements);
  });
}

export interface HistoryEntry {
  at: Date;
  actorId: string;
  action: string;
  role: string | null;
  comment: string | null;
  data: unknown;
}

const HISTORY_ACTIONS: Record<string, string> = {
  ...ACTION_LABELS,
  submit: '提交',
  resubmit: '重新提交',
  restaff: '调整审批人',
  duplicate_confirmed: '确认疑似重复仍提交',
  panel_drawn: '抽取专家组',
  sheet: '提交评分表',
  panel_result: '专家组评审结果',
  meeting: '记录领导小组会议决议',
  report: '上传尽调 / 分析报告',
  report_expected: '准备上传尽调 / 分析报告',
};

/** open_ids a history entry names besides its actor (transfer target, people re-staffing removed or added). */
export function historyIds(data: unknown): string[] {
  const d = data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  const ids: string[] = [];
  if (typeof d.to === 'string') ids.push(d.to);
  for (const k of ['removed', 'added', 'chosen']) if (typeof d[k] === 'string' && d[k]) ids.push(...(d[k] as string).split(','));
  if (typeof d.skipped === 'string' && d.skipped) ids.push(...d.skipped.split(';').map((x) => x.split(':')[0]));
  return ids;
}

function historyLine(e: HistoryEntry, names: ReadonlyMap<string, string>, tz: string): string {
  const data = e.data && typeof e.data === 'object' && !Array.isArray(e.data) ? (e.data as Record<string, unknown>) : {};
  const who = e.actorId === 'system' ? '系统' : md(names.get(e.actorId) ?? unknownUserName(e.actorId));
  const role = e.role && e.role in ROLE_LABELS ? `（${ROLE_LABELS[e.role as Role]}）` : '';
  const step = isStepKind(data.step) ? `${STEP_LABELS[data.step]} · ` : '';
  let action = HISTORY_ACTIONS[e.action] ?? md(e.action);
  if (e.action === 'approve' && data.major === true) action += '并提交一事一议';
  if (e.action === 'transfer' && typeof data.to === 'string') action += `给 ${md(names.get(data.to) ?? unknownUserName(data.to))}`;
  let detail = '';
  if (e.action === 'restaff') {
    const people = (v: unknown) => (typeof v === 'string' && v ? v.split(',').map((id) => md(names.get(id) ?? unknownUserName(id))).join('、') : '');
    const parts: string[] = [];
    if (people(data.removed)) parts.push(`移除 ${people(data.removed)}`);
    if (people(data.added)) parts.push(`新增 ${people(data.added)}`);
    if (data.settled === true) parts.push('该环节会签通过');
    if (parts.length > 0) detail = `（${parts.join('；')}）`;
  }
  const nameOfId = (id: string) => md(names.get(id) ?? unknownUserName(id));
  if (e.action === 'sheet' && typeof data.total === 'number') detail = `（${data.total} 分 · ${data.pass === true ? '通过' : '不通过'}）`;
  if (e.action === 'panel_drawn') {
    const chosen = typeof data.chosen === 'string' && data.chosen ? data.chosen.split(',').map(nameOfId).join('、') : '无';
    const skipped = typeof data.skipped === 'string' && data.skipped
      ? data.skipped.split(';').map((x) => { const [id, ...why] = x.split(':'); return `${nameOfId(id)}（${md(why.join(':'))}）`; }).join('、')
      : '';
    detail = `（${chosen}${skipped ? `；回避：${skipped}` : ''}）`;
  }
  const round = typeof data.round === 'number' && data.round > 1 ? `第 ${data.round} 轮 · ` : '';
  const comment = e.comment ? ` · 意见：${md(e.comment)}` : '';
  return `${localDateTime(e.at, tz)} · ${round}${step}${who}${role} · **${action}**${detail}${comment}`;
}

/** 审批记录: the lead's audit trail (who, role, action, comment, time). */
export interface HistorySheet {
  expertId: string;
  /** Null when the sheet's step is gone. */
  step: StepKind | null;
  total: number;
  pass: boolean;
  lines: readonly { label: string; score: number; max: number; comment: string | null }[];
}

/** One expert's 评分表 for /history: "**钱七**（预审）78.5 分 · 通过：产业链匹配度 15/20（评语）；…". */
function sheetLine(x: HistorySheet, names: ReadonlyMap<string, string>): string {
  const who = md(names.get(x.expertId) ?? unknownUserName(x.expertId));
  const label = x.step ? STEP_LABELS[x.step] : '';
  const parts = x.lines.map((l) => `${md(l.label)} ${l.score}/${l.max}${l.comment ? `（${md(clip(l.comment).text)}）` : ''}`);
  return `**${who}**（${label}）${x.total} 分 · ${x.pass ? '通过' : '不通过'}：${parts.join('；')}`;
}

export function historyCard(
  lead: Pick<LeadRow, 'code' | 'projectName' | 'status'> & { steps: readonly StepRow[] },
  entries: readonly HistoryEntry[],
  names: ReadonlyMap<string, string>,
  tz: string,
  sheets: readonly HistorySheet[] = [],
): CardJson {
  const lines = entries.map((e) => historyLine(e, names, tz));
  if (sheets.length > 0) lines.push('**专家评分表**', ...sheets.map((x) => sheetLine(x, names)));
  const status = leadStatusText(lead, lead.steps.map(toStepState));
  const head: KeyValue[] = [['项目编号', lead.code], ['项目名称', lead.projectName], ['当前状态', status]];
  if (lead.steps.length > 0) head.push(['审批进度', progressOf(lead.steps)]);
  return fitCard((max) => card(header(`审批记录 · ${lead.code}`, 'blue'), [
    keyValues(head),
    hr(),
    markdown(lines.length ? truncateList(lines, max).join('\n') : '暂无记录。'),
  ]));
}

// ---- the answer to a clicking person -----------------------------------------------------------------

/** The toast after a successful action. */
export function doneToast(action: string, stepState?: Pick<StepState, 'step' | 'status' | 'mode'>): string {
  switch (action) {
    case 'approve':
      return stepState?.mode === 'all' && stepState.status === 'pending' ? '已同意，等待其他成员审议' : '已同意';
    case 'reject':
      return '已驳回';
    case 'return':
      return '已退回修改';
    case 'transfer':
      return '已转交';
    case 'withdraw':
      return '已撤回';
    case 'remind':
      return '已催办';
    default:
      return '已处理';
  }
}
