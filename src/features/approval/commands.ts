// 双层签批 in chat: the decision buttons of the step card (同意 / 同意并提交一事一议 / 退回修改 / 驳回 / 转交),
// the submitter's 撤回 and 催办, 我的待办 (/pending) and 审批记录 (/history <code>).
import { valueId, type ActionContext, type Bot } from '../../platform/bot/router.ts';
import { z } from 'zod';
import type { CardJson, CardReply } from '../../platform/lark/types.ts';
import { act, fileMeeting, fileSheet, resendStepCard, type ActRequest, type ActResult } from '../approval/service.ts';
import { APPROVAL_ACTIONS, historyCard, historyIds, pendingCard } from '../approval/cards.ts';
import { auditTrail, countWaiting, leadByCode, loadWorkflow, stepKindsOf, waitingFor } from './store.ts';
import { namesOf } from '../../platform/people.ts';
import { canSee, listLeadsBySubmitter } from '../leads/store.ts';
import { formatLeadCode, parseLeadCode } from '../leads/lead.ts';
import type { StepKind } from './workflow.ts';
import { userText } from '../../platform/lark/text.ts';
import type { Role } from '../../platform/people.ts';
import type { Services } from '../../platform/bot/services.ts';

const DecideValue = z.object({
  leadId: valueId,
  stepId: valueId,
  decision: z.enum(['approve', 'reject', 'return', 'transfer']),
  major: z.boolean().optional(),
});
const LeadValue = z.object({ leadId: valueId });
/** `list: 'pending'`: the button is on a 我的待办 card (a stale click refreshes that card). */
const StepValue = z.object({ stepId: valueId, list: z.literal('pending').optional() });
const FormValue = z.object({ leadId: valueId, stepId: valueId });

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function answer(r: ActResult): CardReply {
  if (r.ok) return { toast: { type: 'success', content: r.toast }, ...(r.card ? { card: r.card } : {}) };
  return { toast: { type: r.toastType, content: r.reason }, ...(r.card ? { card: r.card } : {}) };
}

async function onDecide(ctx: ActionContext<z.output<typeof DecideValue>>): Promise<CardReply> {
  const { leadId, stepId, decision } = ctx.value;
  // Too long a comment is refused by the workflow (意见不能超过 500 字).
  const comment = text(ctx.form.comment);
  const req: ActRequest = {
    leadId,
    stepId,
    action: decision,
    comment,
    major: decision === 'approve' && ctx.value.major === true,
    to: decision === 'transfer' ? text(ctx.form.to) : undefined,
    messageId: ctx.event.messageId,
  };
  return answer(await act(ctx.services, ctx.person, req));
}

const APPROVING_ROLES: Role[] = ['expert', 'reviewer', 'approver', 'leader', 'secretary'];

/**
 * 待办 for someone who approves nothing (town staff, mostly): not a refusal, but what waits for him, i.e.
 * his own leads sent back for changes, and where the rest is.
 */
async function ownToDo(db: Services['db'], openId: string): Promise<string> {
  const { leads } = await listLeadsBySubmitter(db, openId, 200);
  const returned = leads.filter((l) => l.status === 'returned');
  const pending = leads.filter((l) => l.status === 'pending').length;
  const lines = ['「待办」列出等待审批人办理的项目；您不参与审批，所以这里列出需要您本人处理的事项。'];
  if (returned.length > 0) {
    lines.push(`您登记的项目中有 ${returned.length} 项被退回修改，请修改后重新提交：`);
    for (const l of returned.slice(0, 20)) lines.push(`- ${l.code} ${userText(l.projectName)}（发送「项目 ${l.code}」打开）`);
  } else {
    lines.push('目前没有需要您修改的项目。');
  }
  if (pending > 0) lines.push(`另有 ${pending} 项正在审批中，审批结果会通知您。`);
  lines.push('发送「我的项目」查看您登记的全部项目。');
  return lines.join('\n');
}

/** The oldest waiting items /pending lists (the card says how many wait in all). */
const PENDING_LIMIT = 200;

/** 我的待办 of one person as it is now. */
async function pendingCardFor(services: Services, openId: string): Promise<CardJson> {
  const [items, total] = await Promise.all([waitingFor(services.db, openId, { take: PENDING_LIMIT }), countWaiting(services.db, openId)]);
  return pendingCard(
    items.map(({ step, lead }) => ({
      leadId: lead.id,
      stepId: step.id,
      code: lead.code,
      projectName: lead.projectName,
      kind: lead.kind,
      town: lead.town,
      step: step.step,
      startedAt: step.startedAt,
    })),
    services.clock(),
    total,
  );
}

export function registerApproval(bot: Bot): void {
  bot.action(APPROVAL_ACTIONS.decide, DecideValue, onDecide);

  bot.action(APPROVAL_ACTIONS.withdraw, LeadValue, async (ctx) =>
    answer(await act(ctx.services, ctx.person, { leadId: ctx.value.leadId, action: 'withdraw', messageId: ctx.event.messageId })));

  bot.action(APPROVAL_ACTIONS.remind, LeadValue, async (ctx) =>
    answer(await act(ctx.services, ctx.person, { leadId: ctx.value.leadId, action: 'remind', messageId: ctx.event.messageId })));

  bot.action(APPROVAL_ACTIONS.sheet, FormValue, async (ctx) =>
    answer(await fileSheet(ctx.services, ctx.person, { leadId: ctx.value.leadId, stepId: ctx.value.stepId, form: ctx.form })));

  bot.action(APPROVAL_ACTIONS.meeting, FormValue, async (ctx) =>
    answer(await fileMeeting(ctx.services, ctx.person, { leadId: ctx.value.leadId, stepId: ctx.value.stepId, form: ctx.form })));

  bot.action(APPROVAL_ACTIONS.open, StepValue, async (ctx) => {
    const r = await resendStepCard(ctx.services, ctx.person.openId, ctx.value.stepId);
    if (r.ok || ctx.value.list !== 'pending') return answer(r);
    // A stale button of a 我的待办 card: the card becomes the list as it is now (no button for what is handled).
    return { ...answer(r), card: await pendingCardFor(ctx.services, ctx.person.openId) };
  });

  bot.command({
    name: 'pending',
    words: ['待办', '我的待办'],
    summary: '查看等待我审批的项目（最早的在前）',
    usage: '/pending',
    // Not `roles`: anyone typing 待办 gets an answer, and staff see what waits for them instead (below).
    listedFor: APPROVING_ROLES,
    howTo: '发送「待办」查看等待您审批的项目，最早的在前；点项目旁的按钮即可打开审批卡片办理。',
    async run(ctx) {
      if (!APPROVING_ROLES.some((r) => ctx.person.roles.has(r))) {
        await ctx.reply(await ownToDo(ctx.services.db, ctx.person.openId));
        return;
      }
      await ctx.reply(await pendingCardFor(ctx.services, ctx.person.openId));
    },
  });

  bot.command({
    name: 'history',
    words: ['历史', '审批记录'],
    summary: '查看项目的审批记录（谁、何时、什么意见）',
    usage: '/history <项目编号>',
    async run(ctx) {
      const input = ctx.args.join(' ').trim();
      if (!input) {
        await ctx.reply('请在指令后写项目编号，例如：/history KZ-2026-0001');
        return;
      }
      const parts = parseLeadCode(input);
      const code = parts ? formatLeadCode(parts.year, parts.seq) : undefined;
      const lead = code ? await leadByCode(ctx.services.db, code) : null;
      if (!lead || !canSee(ctx.person, lead)) {
        await ctx.reply(`未找到项目「${userText(input)}」，或您无权查看该项目。`);
        return;
      }
      const [loaded, entries, sheetRows] = await Promise.all([
        loadWorkflow(ctx.services.db, lead.id),
        auditTrail(ctx.services.db, lead.id),
        ctx.services.db.panelSheet.findMany({ where: { leadId: lead.id }, orderBy: { id: 'asc' } }),
      ]);
      const stepKinds = await stepKindsOf(ctx.services.db, lead.id);
      const sheets = sheetRows.map((x) => ({
        expertId: x.expertId,
        step: stepKinds.get(x.stepId) ?? null,
        total: x.total,
        pass: x.pass,
        lines: Array.isArray(x.lines) ? (x.lines as Array<{ label: string; score: number; max: number; comment: string | null }>) : [],
      }));
      const ids = [...entries.flatMap((e) => [e.actorId, ...historyIds(e.data)]), ...sheets.map((x) => x.expertId)];
      const names = await namesOf(ctx.services.db, ids);
      await ctx.reply(historyCard(
        { code: lead.code, projectName: lead.projectName, status: lead.status, steps: loaded?.steps ?? [] },
        entries.map((e) => ({ at: e.createdAt, actorId: e.actorId, action: e.action, role: e.role, comment: e.comment, data: e.data })),
        names,
        ctx.services.env.BOT_TIMEZONE,
        sheets,
      ));
    },
  });
}
