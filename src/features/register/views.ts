// Looking at leads: 我的项目 (/my), 查询 (/find <keyword>), 项目 (/lead <code>), with the visibility rule:
// town staff see their own town's leads (and their own), reviewers, approvers, experts, leaders and admins see all.
import { loadWorkflow, waitingFor } from '../approval/store.ts';
import { resendStepCard } from '../approval/service.ts';
import { z } from 'zod';
import { valueId, type ActionContext } from '../../platform/bot/router.ts';
import type { CardJson, CardReply } from '../../platform/lark/types.ts';
import { mayUpdateLifecycle } from '../lifecycle/lifecycle.ts';
import { MENU_ACTION } from '../../platform/bot/router.ts';
import { button, type CardElement } from '../../platform/cards/kit.ts';
import type { Person } from '../../platform/people.ts';
import type { Services } from '../../platform/bot/services.ts';
import type { LeadWithSteps } from '../leads/store.ts';
import { nameOf } from '../../platform/people.ts';
import { canWithdraw } from '../approval/workflow.ts';
import {
  findVisibleLead, leadNotFound, lastReturnComment, listLeadsBySubmitter, loadLeadWithSteps, searchLeads, seesAll,
} from '../leads/store.ts';
import { formatLeadCode, normalizeCompanyName, parseLeadCode, parseLeadCodeIn } from '../leads/lead.ts';
import { localParts } from '../../platform/time.ts';
import type { MessageContext } from '../../platform/bot/router.ts';
import { md } from '../../platform/cards/template.ts';
import { userText } from '../../platform/lark/text.ts';
import { leadCard, leadLine, leadListCard } from './cards.ts';
import { leadCarrierLines } from '../carriers/store.ts';

/** How many leads a list reads at most; the rest is counted ("另有 N 项…"). */
const LIST_LIMIT = 200;
const MAX_KEYWORD = 50;

/**
 * The buttons of one lead in a list: 查看 (its card), 登记进展 (approved, for who may record it), 待我审批
 * (its approval step waits for the viewer: a fresh copy of the step card).
 */
function leadButtons(lead: LeadWithSteps, person: Person, waiting: Map<number, number>, list: ListRef): CardElement[] {
  const out = [button('查看', { action: MENU_ACTION, command: 'lead', args: lead.code })];
  if (lead.status === 'approved' && mayUpdateLifecycle(person, lead)) out.push(button('登记进展', { action: MENU_ACTION, command: 'stage', args: lead.code }));
  const stepId = waiting.get(lead.id);
  if (stepId !== undefined) out.push(button('待我审批', { action: WAITING_ACTION, stepId, ...list }, 'primary'));
  return out;
}

/** 待我审批 on a list card: a fresh copy of the step card, or (already handled) the list redrawn as it is now. */
export const WAITING_ACTION = 'register.waiting';
/** Which list a 待我审批 button is on, so a stale click can redraw it. */
type ListRef = { list: 'my' } | { list: 'find'; q: string };
export const WaitingValue = z.object({
  stepId: valueId,
  list: z.enum(['my', 'find']).optional(),
  q: z.string().max(MAX_KEYWORD).optional(),
});

export async function onWaiting(ctx: ActionContext<z.output<typeof WaitingValue>>): Promise<CardReply> {
  const r = await resendStepCard(ctx.services, ctx.person.openId, ctx.value.stepId);
  if (r.ok) return { toast: { type: 'success', content: r.toast } };
  const toast = { type: r.toastType, content: r.reason };
  const { list, q } = ctx.value;
  if (list === 'my') return { toast, card: await myListCard(ctx.services, ctx.person) };
  if (list === 'find' && q) return { toast, card: await findListCard(ctx.services, ctx.person, q) };
  return { toast };
}

/** Lead id → the step that waits for `person` on it. */
async function waitingSteps(services: Services, person: Person, leads: readonly LeadWithSteps[]): Promise<Map<number, number>> {
  const items = await waitingFor(services.db, person.openId, { leadIds: leads.map((l) => l.id) });
  return new Map(items.map(({ step, lead }) => [lead.id, step.id]));
}

async function myListCard(services: Services, person: Person): Promise<CardJson> {
  const { leads, total } = await listLeadsBySubmitter(services.db, person.openId, LIST_LIMIT);
  const waiting = await waitingSteps(services, person, leads);
  return leadListCard(
    `我的项目（共 ${total} 项）`,
    leads.map((l) => leadLine(l)),
    total,
    '您还没有登记过项目。发送「登记」开始登记。',
    total > 0 ? '点「查看」打开项目详情和审批进度。' : '',
    leads.map((l) => leadButtons(l, person, waiting, { list: 'my' })),
  );
}

export async function runMy(ctx: MessageContext): Promise<void> {
  await ctx.reply(await myListCard(ctx.services, ctx.person));
}

async function findListCard(services: Services, person: Person, keyword: string): Promise<CardJson> {
  const parsed = parseLeadCode(keyword);
  const code = parsed ? formatLeadCode(parsed.year, parsed.seq) : undefined;
  const { leads, total, atLeast } = await searchLeads(services.db, person, keyword, normalizeCompanyName(keyword), code, LIST_LIMIT);
  const waiting = await waitingSteps(services, person, leads);
  const scope = seesAll(person) ? '' : person.town ? `（${person.town}及您登记的项目）` : '（您登记的项目）';
  return leadListCard(
    atLeast ? `查询「${keyword}」：超过 ${total.toLocaleString('en-US')} 项` : `查询「${keyword}」：共 ${total} 项`,
    leads.map((l) => leadLine(l, { town: true })),
    total,
    `没有找到项目名称或企业名称含「${md(keyword)}」的项目${scope}。`,
    scope ? `查询范围${scope}` : '',
    leads.map((l) => leadButtons(l, person, waiting, { list: 'find', q: keyword })),
    atLeast ? (n) => `另有 ${n.toLocaleString('en-US')} 余项…，请换一个更具体的关键词` : undefined,
  );
}

export async function runFind(ctx: MessageContext): Promise<void> {
  const keyword = Array.from(ctx.args.join(' ').replace(/[\u0000-\u001F\u007F-\u009F]/g, '').trim()).slice(0, MAX_KEYWORD).join('');
  if (!keyword) {
    await ctx.reply('请在指令后写上关键词，如：查询 氢能 或 /find 如皋光电。可按项目名称或企业名称查询。');
    return;
  }
  await ctx.reply(await findListCard(ctx.services, ctx.person, keyword));
}

export async function runLead(ctx: MessageContext): Promise<void> {
  const typed = ctx.args.join(' ').trim();
  // `项目 0001` means this year's KZ-<year>-0001 (the office's year).
  const year = localParts(ctx.services.clock(), ctx.services.env.BOT_TIMEZONE).year;
  const parsed = typed ? parseLeadCodeIn(typed, year) : undefined;
  if (!parsed) {
    await ctx.reply(typed
      ? `「${userText(Array.from(typed).slice(0, 30).join(''))}」不是项目编号。请写上项目编号，如：项目 KZ-${year}-0001，或今年的项目只写序号：项目 0001`
      : `请在指令后写上项目编号，如：项目 KZ-${year}-0001，或今年的项目只写序号：项目 0001`);
    return;
  }
  const code = formatLeadCode(parsed.year, parsed.seq);
  const { db, env } = ctx.services;
  const found = await findVisibleLead(db, ctx.person, code);
  if (!found) {
    await ctx.reply(leadNotFound(code));
    return;
  }
  const lead = (await loadLeadWithSteps(db, found.id))!;
  const isSubmitter = lead.submitterId === ctx.person.openId;
  await ctx.reply(leadCard({
    lead,
    submitterName: await nameOf(db, lead.submitterId),
    tz: env.BOT_TIMEZONE,
    returnComment: lead.status === 'returned' ? await lastReturnComment(db, lead.id) : undefined,
    canEdit: isSubmitter && (lead.status === 'returned' || lead.status === 'withdrawn'),
    canRemind: isSubmitter && lead.status === 'pending',
    // As the withdrawal itself decides: only while nobody has acted in this round.
    canWithdraw: isSubmitter && lead.status === 'pending' && canWithdraw((await loadWorkflow(db, lead.id))!.state),
    // Visibility is checked for the requester, but in a group the whole group reads the card.
    inGroup: ctx.event.chatType === 'group',
    carrierLines: await leadCarrierLines(db, lead),
  }));
}
