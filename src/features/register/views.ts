// Looking at leads: 我的项目 (/my), 查询 (/find <keyword>), 项目 (/lead <code>), with the visibility rule:
// town staff see their own town's leads (and their own), reviewers, approvers, experts, leaders and admins see all.
import { loadWorkflow, waitingFor } from '../approval/store.ts';
import { APPROVAL_ACTIONS } from '../approval/cards.ts';
import { mayUpdateLifecycle } from '../lifecycle/lifecycle.ts';
import { MENU_ACTION } from '../../platform/bot/router.ts';
import { button, type CardElement } from '../../platform/cards/kit.ts';
import type { Person } from '../../platform/people.ts';
import type { Services } from '../../platform/bot/services.ts';
import type { LeadWithSteps } from '../leads/store.ts';
import { nameOf } from '../../platform/people.ts';
import { canWithdraw } from '../approval/workflow.ts';
import {
  canSee, findLeadByCode, lastReturnComment, listLeadsBySubmitter, loadLeadWithSteps, searchLeads, seesAll,
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
function leadButtons(lead: LeadWithSteps, person: Person, waiting: Map<number, number>): CardElement[] {
  const out = [button('查看', { action: MENU_ACTION, command: 'lead', args: lead.code })];
  if (lead.status === 'approved' && mayUpdateLifecycle(person, lead)) out.push(button('登记进展', { action: MENU_ACTION, command: 'stage', args: lead.code }));
  const stepId = waiting.get(lead.id);
  if (stepId !== undefined) out.push(button('待我审批', { action: APPROVAL_ACTIONS.open, stepId }, 'primary'));
  return out;
}

/** Lead id → the step that waits for `person` on it. */
async function waitingSteps(services: Services, person: Person): Promise<Map<number, number>> {
  const items = await waitingFor(services.db, person.openId);
  return new Map(items.map(({ step, lead }) => [lead.id, step.id]));
}

export async function runMy(ctx: MessageContext): Promise<void> {
  const { leads, total } = await listLeadsBySubmitter(ctx.services.db, ctx.person.openId, LIST_LIMIT);
  const waiting = await waitingSteps(ctx.services, ctx.person);
  await ctx.reply(leadListCard(
    `我的项目（共 ${total} 项）`,
    leads.map((l) => leadLine(l)),
    total,
    '您还没有登记过项目。发送「登记」开始登记。',
    total > 0 ? '点「查看」打开项目详情和审批进度。' : '',
    leads.map((l) => leadButtons(l, ctx.person, waiting)),
  ));
}

export async function runFind(ctx: MessageContext): Promise<void> {
  const keyword = Array.from(ctx.args.join(' ').replace(/[\u0000-\u001F\u007F-\u009F]/g, '').trim()).slice(0, MAX_KEYWORD).join('');
  if (!keyword) {
    await ctx.reply('请在指令后写上关键词，如：查询 氢能 或 /find 如皋光电。可按项目名称或企业名称查询。');
    return;
  }
  const parsed = parseLeadCode(keyword);
  const code = parsed ? formatLeadCode(parsed.year, parsed.seq) : undefined;
  const { leads, total } = await searchLeads(ctx.services.db, ctx.person, keyword, normalizeCompanyName(keyword), code, LIST_LIMIT);
  const waiting = await waitingSteps(ctx.services, ctx.person);
  const scope = seesAll(ctx.person) ? '' : ctx.person.town ? `（${ctx.person.town}及您登记的项目）` : '（您登记的项目）';
  await ctx.reply(leadListCard(
    `查询「${keyword}」：共 ${total} 项`,
    leads.map((l) => leadLine(l, { town: true })),
    total,
    `没有找到项目名称或企业名称含「${md(keyword)}」的项目${scope}。`,
    scope ? `查询范围${scope}` : '',
    leads.map((l) => leadButtons(l, ctx.person, waiting)),
  ));
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
  const found = await findLeadByCode(db, code);
  if (!found || !canSee(ctx.person, found)) {
    await ctx.reply(`未找到项目 ${code}，或您无权查看该项目。`);
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
