// The registration conversation: /register → kind → form → (possible duplicate → 仍然提交) → 已提交, and
// editing a returned lead. Card callbacks answer with the next card, which replaces the clicked one; every
// save is one transaction that also starts the approval.
import { scoreAndStore } from '../leads/scores.ts';
import type { CardJson, CardReply } from '../../platform/lark/types.ts';
import type { Person } from '../../platform/people.ts';
import { namesOf } from '../../platform/people.ts';
import {
  activitiesOfYear, createLead, findDraft, findDuplicates, findLeadById, lastReturnComment, saveLeadEdits,
  canSee, saveDraft, takeDraft, type LeadRow, type Viewer,
} from '../leads/store.ts';
import {
  isLeadKind, LEAD_KINDS, reachesMajorThreshold, leadFormValues, parseLeadKind, validateLeadForm,
  type LeadFormValues, type LeadInput, type LeadKind,
} from '../leads/lead.ts';
import { localParts } from '../../platform/time.ts';
import { startApproval, startResubmission } from '../approval/start.ts';
import { livingCardOf } from '../approval/service.ts';
import { submitterLeadCard, type ApprovalView } from '../approval/cards.ts';
import { toast, valueId, type ActionContext, type MessageContext } from '../../platform/bot/router.ts';
import { z } from 'zod';
import type { Services } from '../../platform/bot/services.ts';
import { registeringRole, registrationRefusal } from './access.ts';
import { duplicateCard, kindChooserCard, leadStatusText, type DuplicateView, type HiddenDuplicateView } from './cards.ts';
import { leadFormCard } from './form.ts';
import { looksLikeLead, parsePastedLead } from '../leads/paste.ts';
import { AppError, cardFailure, ERRORS } from '../../platform/errors.ts';
import { TX_OPTIONS, type Tx } from '../../platform/db/client.ts';
import { noticeCard } from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';


const GONE = ERRORS.REGISTRATION_GONE.msg;
const NOT_YOURS = '这张登记表是其他人打开的，只有打开它的本人可以填写和提交。如需登记，请发送「登记」打开您自己的登记表。';
const GROUP_FORM_NOTE = '登记表已发到您与机器人的单聊中，请在那里填写（表中的联系方式不在群里显示）。';


/** The year on the office's clock (lead codes and the activity list follow it). */
function yearOf(services: Services, at: Date = services.clock()): number {
  return localParts(at, services.env.BOT_TIMEZONE).year;
}

/** The staff member's town, when the office still has it. */
function homeTown(services: Services, person: Person): string | undefined {
  return person.town && services.office.towns.some((t) => t.name === person.town) ? person.town : undefined;
}

interface FormState {
  values?: LeadFormValues;
  errors?: Record<string, string>;
  checks?: Record<string, string>;
  pasted?: boolean;
  edit?: { leadId: number; code: string; comment?: string };
}

/**
 * Why `person` may not act on a registration card opened by `ownerId`, or undefined. The forms go to the
 * opener's private chat, but a card value can still be replayed by someone else: only its opener may choose,
 * fill in, submit or confirm. The kind chooser and the forms carry the opener in their button value
 * (`openedBy`), a possible duplicate keeps him in its draft.
 */
function notOwner(ownerId: string, person: Person, why = NOT_YOURS): string | undefined {
  return ownerId === person.openId ? undefined : why;
}

// The values of the registration cards' buttons. `openedBy` names who opened the kind chooser or form; a
// missing or malformed one is answered after the registration refusal (someone without the role is told
// whom to ask first), so it parses to undefined here and openerRefusal answers it.
const openedBy = z.string().regex(/^[\w-]{1,100}$/).optional().catch(undefined);
/** A kind button of the chooser (a kind no longer offered is answered with 请选择项目类别). */
export const KindValue = z.object({ kind: z.string().max(100).optional(), openedBy });
/** The form's 提交 / 重新提交 (`leadId` when it edits a returned lead). */
export const SubmitValue = z.object({ kind: z.enum(LEAD_KINDS), leadId: valueId.optional(), openedBy });
/** 修改并重新提交 on a returned lead. */
export const EditValue = z.object({ leadId: valueId });
/** 仍然提交 / 返回修改 on the possible-duplicate card. */
export const DraftValue = z.object({ draftId: valueId });

/** The toast refusing a click on a kind chooser or form that is not the clicker's. */
function openerRefusal(ctx: ActionContext<{ openedBy?: string | undefined }>): CardReply | undefined {
  if (!ctx.value.openedBy) return cardFailure(ERRORS.CARD_EXPIRED);
  const notMine = notOwner(ctx.value.openedBy, ctx.person);
  return notMine ? toast('error', notMine) : undefined;
}

/** The 来源活动 on offer: this year's activities, and the edited lead's own (which may be of an earlier year). */
function activityOptions(services: Services, editing?: Pick<LeadRow, 'activityId'> | null) {
  return activitiesOfYear(services.db, yearOf(services), editing?.activityId);
}

async function formCard(services: Services, person: Person, kind: LeadKind, state: FormState = {}, editing?: LeadRow | null): Promise<CardJson> {
  const activities = await activityOptions(services, editing);
  return leadFormCard({ kind, office: services.office, activities, defaultTown: homeTown(services, person), openedBy: person.openId, ...state });
}


// ---- /register ---------------------------------------------------------------------------------------

export async function runRegister(ctx: MessageContext): Promise<void> {
  const refusal = await registrationRefusal(ctx.services, ctx.person);
  if (refusal) {
    await ctx.reply(refusal);
    return;
  }
  const typed = ctx.args.join('').trim();
  const kind = typed ? parseLeadKind(typed) : undefined;
  const note = typed && !kind ? `未识别的项目类别「${Array.from(typed).slice(0, 20).join('')}」，请从下面选择。` : undefined;
  const opened = kind ? await formCard(ctx.services, ctx.person, kind, {}) : kindChooserCard(ctx.person.openId, { note });
  if (ctx.event.chatType !== 'group') {
    await ctx.reply(opened);
    return;
  }
  // The form asks for contact details and shows field errors with the values typed: a group would read them.
  await ctx.replyPrivately(opened);
  await ctx.reply(GROUP_FORM_NOTE);
}

/** Text shorter than this is not taken for a pasted lead (commands, chit-chat). */
const MIN_PASTE = 20;

/**
 * A pasted paragraph about a company (as staff receive them in WeChat groups) becomes a registration form
 * filled with what could be read, guesses marked; nothing is stored until it is submitted. Returns false
 * when the text does not read as a lead.
 */
export async function onPastedText(ctx: MessageContext, text: string): Promise<boolean> {
  if (Array.from(text).length < MIN_PASTE) return false;
  const pasted = parsePastedLead(text, ctx.services.office);
  if (!looksLikeLead(pasted)) return false;
  const refusal = await registrationRefusal(ctx.services, ctx.person);
  if (refusal) {
    await ctx.reply(`这段文字像是一条项目线索。${refusal}`);
    return true;
  }
  const kind = pasted.kind ?? 'tech';
  const values: LeadFormValues = { ...pasted.values };
  const opened = await formCard(ctx.services, ctx.person, kind, { values, checks: pasted.uncertain, pasted: true });
  if (ctx.event.chatType !== 'group') {
    await ctx.reply(opened);
    return true;
  }
  await ctx.replyPrivately(opened);
  await ctx.reply(GROUP_FORM_NOTE);
  return true;
}

export async function onKind(ctx: ActionContext<z.output<typeof KindValue>>): Promise<CardReply> {
  const refusal = await registrationRefusal(ctx.services, ctx.person);
  if (refusal) return toast('error', refusal);
  const refused = openerRefusal(ctx);
  if (refused) return refused;
  const kind = ctx.value.kind;
  if (!isLeadKind(kind)) return toast('warning', '请选择项目类别。');
  return { card: await formCard(ctx.services, ctx.person, kind, {}) };
}

// ---- editing a returned lead -------------------------------------------------------------------------

/** Why this person cannot edit the lead now, or undefined. */
function editRefusal(lead: LeadRow | null, person: Person): string | undefined {
  if (!lead) return '未找到该项目。';
  if (lead.submitterId !== person.openId) return '只有项目登记人可以修改并重新提交。';
  if (lead.status !== 'returned' && lead.status !== 'withdrawn') {
    return `项目 ${lead.code} 当前状态为「${leadStatusText(lead)}」，只有退回修改或已撤回的项目可以修改。`;
  }
  return undefined;
}

export async function onEdit(ctx: ActionContext<z.output<typeof EditValue>>): Promise<CardReply> {
  // Whose lead it is comes first: someone else is told that, not which role they lack.
  const lead = await findLeadById(ctx.services.db, ctx.value.leadId);
  const why = editRefusal(lead, ctx.person);
  if (lead && why && lead.submitterId === ctx.person.openId) {
    // A stale 修改并重新提交 (the lead was resubmitted meanwhile): the clicked card shows the lead as it is now.
    const card = await ctx.services.db.$transaction((tx) => livingCardOf(tx, ctx.services, lead.id), TX_OPTIONS);
    return { toast: { type: 'warning', content: why }, ...(card ? { card } : {}) };
  }
  if (why || !lead) return toast('error', why ?? '未找到该项目。');
  const refusal = await registrationRefusal(ctx.services, ctx.person);
  if (refusal) return toast('error', refusal);
  if (!isLeadKind(lead.kind)) return toast('error', `项目类别「${lead.kind}」已不再使用，请联系管理员。`);
  const comment = await lastReturnComment(ctx.services.db, lead.id);
  const state: FormState = { values: leadFormValues(lead), edit: { leadId: lead.id, code: lead.code, comment } };
  return { card: await formCard(ctx.services, ctx.person, lead.kind, state, lead) };
}

// ---- submitting --------------------------------------------------------------------------------------

export async function onSubmit(ctx: ActionContext<z.output<typeof SubmitValue>>): Promise<CardReply> {
  const { services, person } = ctx;
  const { leadId } = ctx.value;
  // An edit: whose lead it is comes first, as in onEdit.
  const lead = leadId === undefined ? undefined : await findLeadById(services.db, leadId);
  if (lead !== undefined) {
    const why = editRefusal(lead, person);
    if (why || !lead) return toast('error', why ?? '未找到该项目。');
  }
  const refusal = await registrationRefusal(services, person);
  if (refusal) return toast('error', refusal);
  const refused = openerRefusal(ctx);
  if (refused) return refused;

  let kind: LeadKind;
  let edit: FormState['edit'];
  let editing: LeadRow | undefined;
  if (lead) {
    if (!isLeadKind(lead.kind)) return toast('error', `项目类别「${lead.kind}」已不再使用，请联系管理员。`);
    kind = lead.kind;
    editing = lead;
    edit = { leadId: lead.id, code: lead.code, comment: await lastReturnComment(services.db, lead.id) };
  } else {
    kind = ctx.value.kind;
  }

  const activities = await activityOptions(services, editing);
  const checked = validateLeadForm(kind, ctx.form, services.office, { activities });
  if (!checked.ok) {
    const n = Object.keys(checked.errors).length;
    return {
      toast: { type: 'warning', content: `有 ${n} 项需要修改，尚未保存` },
      card: leadFormCard({
        kind, office: services.office, activities, values: checked.values, errors: checked.errors, edit, defaultTown: homeTown(services, person),
        openedBy: person.openId,
      }),
    };
  }

  // An edit asks again only when the company it names has changed: the first submission already asked.
  const sameCompany = editing !== undefined
    && (editing.creditCode ?? null) === (checked.lead.creditCode ?? null)
    && (editing.companyNorm ?? null) === (checked.lead.companyNorm ?? null);
  const duplicates = sameCompany ? [] : await findDuplicates(services.db, checked.lead, edit?.leadId);
  if (duplicates.length > 0) {
    // A draft nobody comes back to is dropped by the housekeeping job (src/platform/jobs/housekeeping.ts).
    const draftId = await saveDraft(services.db, { userId: person.openId, kind, values: checked.values, leadId: edit?.leadId, now: services.clock() });
    return { card: duplicateCard(checked.lead, await duplicateViews(services, person, checked.lead, duplicates), draftId, { editing: edit?.code }) };
  }
  return save(ctx, checked.lead, { editId: edit?.leadId });
}

/** What the person may see of each match: in full when /lead would show it, else its code and town only. */
async function duplicateViews(services: Services, viewer: Viewer, lead: LeadInput, rows: LeadRow[]): Promise<Array<DuplicateView | HiddenDuplicateView>> {
  const names = await namesOf(services.db, rows.filter((r) => canSee(viewer, r)).map((r) => r.submitterId));
  return rows.map((r): DuplicateView | HiddenDuplicateView => {
    if (!canSee(viewer, r)) return { hidden: true, code: r.code, town: r.town };
    const reasons: string[] = [];
    if (lead.creditCode && r.creditCode === lead.creditCode) reasons.push('统一社会信用代码');
    if (lead.companyNorm && r.companyNorm === lead.companyNorm) reasons.push('企业名称');
    return {
      code: r.code,
      projectName: r.projectName,
      companyName: r.companyName,
      town: r.town,
      ownerName: names.get(r.submitterId)!,
      status: leadStatusText(r),
      reasons,
    };
  });
}

/**
 * Stores the lead (new, or the edits of a returned one) and starts its approval, in one transaction; a
 * draft being confirmed is used up in the same transaction.
 */
async function save(ctx: ActionContext<unknown>, lead: LeadInput, opts: { editId?: number; draftId?: number }): Promise<CardReply> {
  const { services, person } = ctx;
  const { editId, draftId } = opts;
  const now = services.clock();
  const role = registeringRole(person);
  const major = reachesMajorThreshold(lead, services.office);
  // The form being submitted becomes the lead's living card (updated in place at every step).
  const cardMessageId = ctx.event.messageId;
  let saved: { row: LeadRow; card: CardJson | undefined };
  try {
    saved = await services.db.$transaction(async (tx) => {
      if (draftId !== undefined && !(await takeDraft(tx, draftId, person.openId))) throw new AppError(ERRORS.REGISTRATION_GONE);
      let id: number;
      let view: ApprovalView | undefined;
      if (editId !== undefined) {
        const updated = await saveLeadEdits(tx, { leadId: editId, lead, submitterId: person.openId, major });
        if (!updated) throw new AppError(ERRORS.LEAD_NOT_RETURNED);
        // Scored before approval starts, so the approval card shows the tier.
        await scoreAndStore(tx, updated.id, services.office);
        if (draftId !== undefined) await recordConfirmedDuplicates(tx, { ...updated, round: updated.round + 1 }, lead, person.openId, role, now);
        view = await startResubmission(tx, services, updated.id, { cardMessageId });
        id = updated.id;
      } else {
        const created = await createLead(tx, { lead, submitterId: person.openId, year: yearOf(services, now), major, role, now });
        await scoreAndStore(tx, created.id, services.office);
        if (draftId !== undefined) await recordConfirmedDuplicates(tx, created, lead, person.openId, role, now);
        view = await startApproval(tx, services, created.id, { cardMessageId });
        id = created.id;
      }
      // As the approval left it (status, round, major).
      const done = editId !== undefined
        ? '✅ 已重新提交，审批从第一个环节重新开始。这张卡片会随审批进度更新。'
        : '✅ 已提交，进入审批。这张卡片会随审批进度更新；在有人处理之前，您可以撤回。';
      const card = !cardMessageId ? undefined : view ? submitterLeadCard(view, done) : await livingCardOf(tx, services, id, done);
      return { row: view?.lead ?? (await tx.lead.findUniqueOrThrow({ where: { id } })), card };
    }, TX_OPTIONS);
  } catch (err) {
    if (err instanceof AppError) return toast('error', err.spec.msg);
    throw err;
  }
  services.kickOutbox();
  const resubmitted = editId !== undefined;
  const { row, card } = saved;
  return {
    toast: { type: 'success', content: `${resubmitted ? '已重新提交' : '已提交'}：${row.code}` },
    // Without the clicked message's id the living card was sent as a new message: the form just says so.
    card: card ?? submittedNote(row, resubmitted),
  };
}

/** The submitted form when its message id is unknown: the living card went out as a new message. */
function submittedNote(row: LeadRow, resubmitted: boolean): CardJson {
  return noticeCard(`${resubmitted ? '已重新提交' : '已提交'} · ${row.code}`, [
    `项目「${md(row.projectName)}」（${md(row.code)}）已进入审批，进度见项目卡片，或发送「项目 ${md(row.code)}」查看。`,
  ], 'green');
}

// ---- a possible duplicate ----------------------------------------------------------------------------

/**
 * 仍然提交 despite a possible duplicate: the audit trail keeps which leads it resembles (by code) and why, so
 * the approval cards of the round tell reviewers (AuditEvent 'duplicate_confirmed', data {round, codes, by}).
 */
async function recordConfirmedDuplicates(tx: Tx, saved: { id: number; round: number }, lead: LeadInput, actorId: string, role: string, now: Date): Promise<void> {
  const matches = await findDuplicates(tx, lead, saved.id);
  if (matches.length === 0) return;
  const byCredit = matches.some((m) => lead.creditCode && m.creditCode === lead.creditCode);
  await tx.auditEvent.create({
    data: {
      actorId,
      action: 'duplicate_confirmed',
      role,
      leadId: saved.id,
      comment: null,
      data: { round: saved.round, codes: matches.map((m) => m.code), by: byCredit ? 'credit_code' : 'company' },
      createdAt: now,
    },
  });
}

async function ownDraft(ctx: ActionContext<z.output<typeof DraftValue>>) {
  const draft = await findDraft(ctx.services.db, ctx.value.draftId);
  if (!draft) return { why: GONE };
  const notMine = notOwner(draft.userId, ctx.person, '只有填写该登记表的本人可以确认提交。');
  if (notMine) return { why: notMine };
  if (!isLeadKind(draft.kind)) return { why: GONE };
  return { draft, kind: draft.kind };
}

/** 仍然提交: saves the kept values despite the possible duplicate. */
export async function onConfirm(ctx: ActionContext<z.output<typeof DraftValue>>): Promise<CardReply> {
  const { services, person } = ctx;
  const refusal = await registrationRefusal(services, person);
  if (refusal) return toast('error', refusal);
  const found = await ownDraft(ctx);
  if (!found.draft || !found.kind) return toast('error', found.why ?? GONE);
  const { draft, kind } = found;
  // The values were valid when kept; check again (an activity or town may have gone since).
  const lead = draft.leadId ? await findLeadById(services.db, draft.leadId) : null;
  const activities = await activityOptions(services, lead);
  const checked = validateLeadForm(kind, draft.values, services.office, { activities });
  if (!checked.ok) {
    await services.db.$transaction((tx) => takeDraft(tx, draft.id, person.openId));
    const edit = lead ? { leadId: lead.id, code: lead.code } : undefined;
    return { card: leadFormCard({ kind, office: services.office, activities, values: checked.values, errors: checked.errors, edit, openedBy: person.openId }) };
  }
  return save(ctx, checked.lead, { editId: draft.leadId ?? undefined, draftId: draft.id });
}

/** 返回修改: the form again, with the kept values. */
export async function onBack(ctx: ActionContext<z.output<typeof DraftValue>>): Promise<CardReply> {
  const { services, person } = ctx;
  const found = await ownDraft(ctx);
  if (!found.draft || !found.kind) return toast('error', found.why ?? GONE);
  const { draft, kind } = found;
  const taken = await services.db.$transaction((tx) => takeDraft(tx, draft.id, person.openId));
  if (!taken) return toast('error', GONE);
  let edit: FormState['edit'];
  const lead = draft.leadId ? await findLeadById(services.db, draft.leadId) : null;
  if (lead) edit = { leadId: lead.id, code: lead.code, comment: await lastReturnComment(services.db, lead.id) };
  return { card: await formCard(services, person, kind, { values: draft.values as LeadFormValues, edit }, lead) };
}
