// 协调事项: 「提出问题」 on a lead's progress card opens a small form (类别, 问题描述, 责任部门, 完成时限);
// /problems (问题 / 协调事项) lists the open ones the person may see, each with a button to its card, where
// the raiser, leaders and admins answer it (保存答复) or close it (答复并关闭).
import { z } from 'zod';
import { toast, valueId, type ActionContext, type Bot, type MessageContext } from '../../platform/bot/router.ts';
import type { Services } from '../../platform/bot/services.ts';
import type { Person } from '../../platform/people.ts';
import { nameOf } from '../../platform/people.ts';
import type { CardJson, CardReply } from '../../platform/lark/types.ts';
import {
  button, card, datePicker, form, greyText, header, hr, input, keyValues, listItem, markdown, noticeCard, select, submitButton,
  type CardElement, type KeyValue,
} from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import { assertValidCard } from '../../platform/cards/validate.ts';
import { localDate, localDateTime } from '../../platform/time.ts';
import { canSee } from '../leads/store.ts';
import { PROBLEM_RAISE_ACTION, isoDate } from '../lifecycle/lifecycle.ts';
import {
  ANSWER_MAX, DEPARTMENT_MAX, DESCRIPTION_MAX, NOT_ANSWERER, PROBLEM_CATEGORIES, PROBLEM_CATEGORY_LABELS, daysOpen, daysOverdue,
  mayAnswerProblem, problemCategoryLabel, problemTitle, raiseRefusal, validateAnswer, validateProblemForm,
} from './problem.ts';
import { answerProblem, loadProblem, openProblemsFor, raiseProblem } from './store.ts';

const today = (services: Services) => localDate(services.clock(), services.env.BOT_TIMEZONE);
const NOT_FOUND = '未找到该项目，或您无权查看该项目。';
const PROBLEM_GONE = '未找到该协调事项，或您无权查看。';
/** How many open problems /problems lists with a button; the rest as lines. */
const LIST_BUTTONS = 10;
const LIST_MAX = 60;

interface LeadRef {
  id: number;
  code: string;
  projectName: string;
  town: string;
}

// ---- cards -------------------------------------------------------------------------------------------

export function problemFormCard(lead: LeadRef, departments: readonly string[], values: Record<string, string> = {}, errors: Record<string, string> = {}): CardJson {
  const owner = departments.length > 0
    ? select({ name: 'owner_dept', label: '责任部门', required: true, options: [...departments], value: values.owner_dept, error: errors.owner_dept })
    : input({ name: 'owner_dept', label: '责任部门', required: true, value: values.owner_dept, error: errors.owner_dept, placeholder: '如：自然资源和规划局', maxLength: DEPARTMENT_MAX });
  const title = `提出问题：${lead.projectName}`;
  const c = card(header(title, 'orange', lead.code), [
    markdown(greyText('需要协调解决的问题将列入双月例会「协调事项」，由责任部门答复。'), 'notation'),
    form('problem_form', [
      select({
        name: 'category', label: '问题类别', required: true, value: values.category, error: errors.category,
        options: PROBLEM_CATEGORIES.map((c) => ({ value: c, label: PROBLEM_CATEGORY_LABELS[c] })),
      }),
      input({ name: 'description', label: '问题描述', required: true, multiline: true, value: values.description, error: errors.description, placeholder: '需要协调解决什么问题', maxLength: DESCRIPTION_MAX }),
      owner,
      datePicker({ name: 'due_date', label: '完成时限', required: true, value: values.due_date, error: errors.due_date }),
    ], submitButton('提交', { action: 'problem.submit', leadId: lead.id })),
    button('返回', { action: 'lifecycle.back', leadId: lead.id }, 'text'),
  ], title);
  assertValidCard(c);
  return c;
}

type ProblemView = NonNullable<Awaited<ReturnType<typeof loadProblem>>>;

/** One problem: facts, the answer, and for an open one the answer form when the viewer may answer. */
export function problemCard(p: ProblemView, raiserName: string, canAnswer: boolean, now: Date, tz: string, error?: string): CardJson {
  const day = localDate(now, tz);
  const overdue = p.status === 'open' ? daysOverdue(p.dueDate, day) : 0;
  const rows: KeyValue[] = [
    ['项目', `${p.lead.code} ${p.lead.projectName}（${p.lead.town}）`],
    ['问题类别', problemCategoryLabel(p.category)],
    ['责任部门', p.ownerDept],
    ['完成时限', `${isoDate(p.dueDate)}${overdue > 0 ? `（已逾期 ${overdue} 天）` : ''}`],
    ['提出人', `${raiserName}，${localDateTime(p.createdAt, tz)}`],
    ['状态', p.status === 'open' ? `待解决，已 ${daysOpen(p.createdAt, now)} 天` : `已解决（${localDateTime(p.solvedAt!, tz)}）`],
  ];
  const els: CardElement[] = [keyValues(rows), markdown(`**问题描述**：${md(p.description)}`)];
  if (p.answer) els.push(markdown(`**答复**：${md(p.answer)}`), markdown(greyText(`答复时间 ${localDateTime(p.answeredAt!, tz)}`), 'notation'));
  if (p.status === 'open' && canAnswer) {
    els.push(hr(), form('problem_answer', [
      input({ name: 'answer', label: '答复', multiline: true, value: undefined, error, placeholder: '责任部门的答复或处理进展；关闭时可不填', maxLength: ANSWER_MAX }),
    ], [
      submitButton('保存答复', { action: 'problem.answer', problemId: p.id }, 'primary'),
      submitButton('答复并关闭', { action: 'problem.solve', problemId: p.id }, 'primary_filled'),
    ]));
  }
  const title = `协调事项：${problemTitle(p, 16)}`;
  const c = card(header(title, p.status === 'open' ? (overdue > 0 ? 'red' : 'orange') : 'green', p.lead.code), els, title);
  assertValidCard(c);
  return c;
}

// ---- /problems ---------------------------------------------------------------------------------------

async function runProblems(ctx: MessageContext): Promise<void> {
  const { services, person } = ctx;
  const now = services.clock();
  const day = localDate(now, services.env.BOT_TIMEZONE);
  const { rows, total } = await openProblemsFor(services.db, person, LIST_MAX);
  const line = (p: (typeof rows)[number]) => {
    const overdue = daysOverdue(p.dueDate, day);
    const due = overdue > 0 ? `⚠️ 逾期 ${overdue} 天` : `时限 ${isoDate(p.dueDate).slice(5)}`;
    return `**${md(p.lead.code)}** ${md(problemTitle(p, 24))}\n${md(p.ownerDept)} · 已 ${daysOpen(p.createdAt, now)} 天 · ${due}`;
  };
  const items = rows.slice(0, LIST_BUTTONS).map((p) => listItem(line(p), [
    button(mayAnswerProblem(person, p) ? '答复/关闭' : '查看', { action: 'problem.show', problemId: p.id }, mayAnswerProblem(person, p) ? 'primary' : 'default'),
  ]));
  const rest = rows.slice(LIST_BUTTONS).map((p) => `- ${line(p).replace('\n', ' · ')}`);
  const more = total - rows.length;
  await ctx.reply(noticeCard(
    `待协调事项（共 ${total} 项）`,
    total > 0
      ? [greyText('按完成时限排序，最早的在前。在项目进度卡片上点「提出问题」登记新的协调事项。')]
      : ['当前没有待协调的事项。在项目进度卡片（发送「进度 项目编号」）上点「提出问题」可登记需要协调的问题。'],
    'orange',
    [...items, ...(rest.length > 0 ? [markdown(rest.join('\n'))] : []), ...(more > 0 ? [markdown(greyText(`另有 ${more} 项未列出。`), 'notation')] : [])],
  ));
}

// ---- card actions ------------------------------------------------------------------------------------

const LeadValue = z.object({ leadId: valueId });
const ProblemValue = z.object({ problemId: valueId });

async function visibleLead(ctx: ActionContext<{ leadId: number }>): Promise<(LeadRef & { status: string; submitterId: string }) | undefined> {
  const lead = await ctx.services.db.lead.findUnique({
    where: { id: ctx.value.leadId },
    select: { id: true, code: true, projectName: true, town: true, status: true, submitterId: true },
  });
  return lead && canSee(ctx.person, lead) ? lead : undefined;
}

async function onRaise(ctx: ActionContext<z.output<typeof LeadValue>>): Promise<CardReply> {
  const lead = await visibleLead(ctx);
  if (!lead) return toast('error', NOT_FOUND);
  const why = raiseRefusal(lead);
  if (why) return toast('error', why);
  return { card: problemFormCard(lead, ctx.services.office.coordination.departments) };
}

async function problemReply(services: Services, p: ProblemView, person: Person, error?: string): Promise<CardJson> {
  return problemCard(p, await nameOf(services.db, p.raisedBy), mayAnswerProblem(person, p), services.clock(), services.env.BOT_TIMEZONE, error);
}

async function onSubmit(ctx: ActionContext<z.output<typeof LeadValue>>): Promise<CardReply> {
  const { services, person } = ctx;
  const lead = await visibleLead(ctx);
  if (!lead) return toast('error', NOT_FOUND);
  const why = raiseRefusal(lead);
  if (why) return toast('error', why);
  const departments = services.office.coordination.departments;
  const checked = validateProblemForm(ctx.form, { today: today(services), departments });
  if (!checked.ok) {
    return {
      toast: { type: 'warning', content: `有 ${Object.keys(checked.errors).length} 项需要修改，尚未保存` },
      card: problemFormCard(lead, departments, checked.values, checked.errors),
    };
  }
  const now = services.clock();
  const row = await services.db.$transaction((tx) => raiseProblem(tx, { leadId: lead.id, leadCode: lead.code, problem: checked.problem, actorId: person.openId, now }));
  const p = (await loadProblem(services.db, row.id))!;
  return { toast: { type: 'success', content: '已登记协调事项，将列入双月例会' }, card: await problemReply(services, p, person) };
}

async function visibleProblem(ctx: ActionContext<{ problemId: number }>): Promise<ProblemView | undefined> {
  const p = await loadProblem(ctx.services.db, ctx.value.problemId);
  return p && canSee(ctx.person, p.lead) ? p : undefined;
}

async function onShow(ctx: ActionContext<z.output<typeof ProblemValue>>): Promise<CardReply> {
  const p = await visibleProblem(ctx);
  if (!p) return toast('error', PROBLEM_GONE);
  return { card: await problemReply(ctx.services, p, ctx.person) };
}

function answeringRole(person: Person, p: { raisedBy: string }): string {
  if (person.roles.has('admin')) return 'admin';
  if (person.roles.has('leader')) return 'leader';
  return p.raisedBy === person.openId ? 'raiser' : 'other';
}

async function onAnswer(ctx: ActionContext<z.output<typeof ProblemValue>>, solve: boolean): Promise<CardReply> {
  const { services, person } = ctx;
  const p = await visibleProblem(ctx);
  if (!p) return toast('error', PROBLEM_GONE);
  if (!mayAnswerProblem(person, p)) return toast('error', NOT_ANSWERER);
  if (p.status !== 'open') return { toast: { type: 'info', content: '该协调事项已解决' }, card: await problemReply(services, p, person) };
  const checked = validateAnswer(ctx.form.answer, !solve);
  if (!checked.ok) return { toast: { type: 'warning', content: checked.error }, card: await problemReply(services, p, person, checked.error) };
  const now = services.clock();
  const done = await services.db.$transaction((tx) => answerProblem(tx, { problem: p, answer: checked.answer, solve, actorId: person.openId, role: answeringRole(person, p), now }));
  const fresh = (await loadProblem(services.db, p.id))!;
  if (!done) return { toast: { type: 'info', content: '该协调事项刚被他人处理，请查看最新状态' }, card: await problemReply(services, fresh, person) };
  return { toast: { type: 'success', content: solve ? '已关闭：问题已解决' : '已保存答复' }, card: await problemReply(services, fresh, person) };
}

// ---- registration ------------------------------------------------------------------------------------

/** Registers /problems and the 协调事项 card actions. */
export function registerCoordination(bot: Bot): void {
  bot.command({
    name: 'problems',
    words: ['问题', '协调事项', '待协调'],
    summary: '查看待协调事项（用地、厂房、资金、审批、人才等问题），答复或关闭',
    usage: '/problems',
    howTo: '在项目进度卡片（发送「进度 项目编号」）上点「提出问题」登记需要协调的问题；发送「问题」查看待协调事项，提出人、领导和管理员可以答复或关闭。',
    run: runProblems,
  });
  bot.action(PROBLEM_RAISE_ACTION, LeadValue, onRaise);
  bot.action('problem.submit', LeadValue, onSubmit);
  bot.action('problem.show', ProblemValue, onShow);
  bot.action('problem.answer', ProblemValue, (ctx) => onAnswer(ctx, false));
  bot.action('problem.solve', ProblemValue, (ctx) => onAnswer(ctx, true));
}
