// 项目进度 after approval: /stage <code> (进度) shows the lifecycle card (签约 → 注册 → 落地（开工）→ 投产, the
// milestones 科技型中小企业入库 / 高新技术企业认定 / 领军企业, score and tier); its owner (登记人), reviewers
// and admins get buttons that open a small form per update. Also the answers to 一月一报 (「无变化」 or a note).
import { LIFECYCLE_SHOW_ACTION } from '../approval/cards.ts';
import { MENU_ACTION, toast, valueId, type Bot, type ActionContext, type MessageContext } from '../../platform/bot/router.ts';
import { cardFailure, ERRORS } from '../../platform/errors.ts';
import { z } from 'zod';
import type { Services } from '../../platform/bot/services.ts';
import type { Person } from '../../platform/people.ts';
import type { CardJson, CardReply } from '../../platform/lark/types.ts';
import { isUniqueViolation } from '../../platform/db/client.ts';
import { canSee, findVisibleLead, leadNotFound } from '../leads/store.ts';
import { LifecycleConflict, loadLifecycle, recordStage, type LeadLifecycle } from './store.ts';
import {
  button, buttonRow, card, datePicker, form, greyText, header, hr, input, keyValues, listItem, markdown, noticeCard, select, submitButton,
  type CardElement,
} from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import { assertValidCard } from '../../platform/cards/validate.ts';
import { formatLeadCode, formatNumber, leadKindLabel, parseLeadCode } from '../leads/lead.ts';
import {
  isKnownStage, isoDate, mayUpdateLifecycle, MILESTONES, nextPreStages, nextStage, NOT_ALLOWED, periodLabel, pipelineOrder, PROBLEM_RAISE_ACTION,
  STAGE_LABELS, stageDataText, stageFields, stageLabel, stageProgressLine, stageRefusal, validateStageForm,
  type PreStages, type StageRecord,
} from './lifecycle.ts';
import { localDate, localMonth } from '../../platform/time.ts';
import { scoreSummaryLines, tierLabel } from '../leads/scoring.ts';
import { rescoreLead, type Rescored } from '../leads/scores.ts';
import { followUpCard, NOTE_MAX } from './follow-ups.ts';
import { followUpPeriod, isLifecycleStage, MAX_MONTH_PATENTS, validateFollowUpForm, type FollowUpAnswer } from './lifecycle.ts';
import { leadStatusText } from '../approval/workflow.ts';
import { carriersForLead, findCarrier, listCarriers } from '../carriers/store.ts';


function today(services: Services): string {
  return localDate(services.clock(), services.env.BOT_TIMEZONE);
}


function records(l: LeadLifecycle): StageRecord[] {
  return l.stages.map((s) => ({ stage: s.stage, date: s.date, data: s.data }));
}

// ---- cards -------------------------------------------------------------------------------------------

/**
 * The lifecycle card; `canEdit` adds the buttons for the open pre-签约 stages, the next stage and the missing
 * milestones. Everyone who sees an approved lead's card may raise a problem for the 双月例会 (「提出问题」).
 */
export function lifecycleCard(l: LeadLifecycle, canEdit: boolean, note?: string, pre?: PreStages): CardJson {
  const { lead } = l;
  const done = records(l);
  const elements: CardElement[] = [
    keyValues([
      ['项目编号', lead.code],
      ['项目类别', leadKindLabel(lead.kind)],
      ['所属镇区', lead.town],
      ['产业方向', lead.industry],
      ['审批状态', leadStatusText(lead)],
    ]),
    hr(),
    markdown(`**进度**：${md(stageProgressLine(done, pre))}`),
  ];
  const ordered = [...pipelineOrder(pre), ...MILESTONES]
    .map((code) => done.find((d) => d.stage === code))
    .filter((d): d is StageRecord => d !== undefined);
  if (ordered.length > 0) {
    elements.push(markdown(ordered.map((d) => {
      const extra = stageDataText(d.stage, d.data, pre);
      return `- **${md(stageLabel(d.stage, pre))}** ${isoDate(d.date)}${extra ? `：${md(extra)}` : ''}`;
    }).join('\n')));
  }
  const score = scoreSummaryLines(lead);
  // One <font> per line: a colour tag spanning a line break shows as literal tags.
  if (score.length > 0) elements.push(markdown(`**${md(score[0])}**${score.length > 1 ? `\n${score.slice(1).map(greyText).join('\n')}` : ''}`));
  if (lead.status !== 'approved') {
    elements.push(markdown(greyText('项目审批通过后可登记签约、注册、落地（开工）、投产等进度。'), 'notation'));
  } else if (canEdit) {
    const buttons: CardElement[] = [];
    for (const p of nextPreStages(lead.stage, pre)) buttons.push(button(`登记${p.label}`, { action: 'lifecycle.open', leadId: lead.id, stage: p.code }));
    const next = nextStage(lead.stage);
    if (next) buttons.push(button(`登记${STAGE_LABELS[next]}`, { action: 'lifecycle.open', leadId: lead.id, stage: next }, 'primary'));
    if (done.some((d) => d.stage === 'registered')) {
      for (const m of MILESTONES) {
        if (!done.some((d) => d.stage === m)) buttons.push(button(`登记${STAGE_LABELS[m]}`, { action: 'lifecycle.open', leadId: lead.id, stage: m }));
      }
    }
    if (buttons.length > 0) elements.push(buttonRow(buttons));
    else elements.push(markdown(greyText('项目已投产，成长路径已全部登记。'), 'notation'));
  }
  // Anyone working an approved lead raises what needs coordinating (src/features/coordination).
  if (lead.status === 'approved') elements.push(buttonRow([button('提出问题', { action: PROBLEM_RAISE_ACTION, leadId: lead.id })]));
  if (note) elements.push(markdown(greyText(note), 'notation'));
  const title = `项目进度：${lead.projectName}`;
  const c = card(header(title, lead.stage === 'producing' ? 'green' : 'blue', lead.code), elements, title);
  assertValidCard(c);
  return c;
}

/** At most this many carriers in the 落地 form's select (the card must stay under 30 KB); the text field covers the rest. */
const MAX_CARRIER_OPTIONS = 100;

/** A carrier offered at 落地: the matching ones first, marked 匹配. */
export interface CarrierOption {
  value: string;
  label: string;
}

/**
 * The 载体库's carriers offered at 落地 for this lead: those matching its chain and 需求面积 first (marked
 * 「匹配」), then the others of its town, then the rest (the first MAX_CARRIER_OPTIONS). Empty when no carriers
 * were imported.
 */
export async function landedCarrierOptions(services: Services, lead: LeadLifecycle['lead']): Promise<CarrierOption[]> {
  const all = await listCarriers(services.db);
  if (all.length === 0) return [];
  const matched = (await carriersForLead(services.db, lead, 10)).map((m) => m.carrier);
  const ids = new Set(matched.map((c) => c.id));
  const rest = all.filter((c) => !ids.has(c.id)).sort((a, b) => Number(b.town === lead.town) - Number(a.town === lead.town));
  return [
    ...matched.map((c) => ({ value: String(c.id), label: `【匹配】${c.name}（${c.town}）` })),
    ...rest.map((c) => ({ value: String(c.id), label: `${c.name}（${c.town}）` })),
  ].slice(0, MAX_CARRIER_OPTIONS);
}

export function stageFormCard(
  l: LeadLifecycle, stage: string, values: Record<string, string> = {}, errors: Record<string, string> = {}, pre?: PreStages, carriers: CarrierOption[] = [],
): CardJson {
  const offer = stage === 'landed' && carriers.length > 0;
  const fields = stageFields(stage, pre).map((f) => {
    if (f.type === 'date') return datePicker({ name: f.name, label: f.label, required: f.required, value: values[f.name], error: errors[f.name] });
    // At 落地 the 载体库 is offered first; the text is for a carrier not in it.
    const typed = offer && f.name === 'carrier';
    return input({
      name: f.name, label: typed ? '落地载体（载体库中没有时填写）' : f.label, required: typed ? false : f.required, value: values[f.name],
      error: errors[f.name], placeholder: f.placeholder, maxLength: f.type === 'text' ? f.maxLength : 30,
    });
  });
  if (offer) {
    fields.unshift(select({ name: 'carrier_id', label: '落地载体（载体库）', options: carriers, value: values.carrier_id, error: errors.carrier_id, placeholder: '选择载体；匹配的排在前面' }));
  }
  const title = `登记${stageLabel(stage, pre)}：${l.lead.projectName}`;
  const c = card(header(title, 'blue', l.lead.code), [
    form('stage_form', fields, submitButton('提交', { action: 'lifecycle.submit', leadId: l.lead.id, stage })),
    button('返回', { action: 'lifecycle.back', leadId: l.lead.id }, 'text'),
  ], title);
  assertValidCard(c);
  return c;
}

// ---- /stage ------------------------------------------------------------------------------------------

/** How many leads of the /stage list get their own button. */
const STAGE_LIST_BUTTONS = 10;

async function runStage(ctx: MessageContext): Promise<void> {
  const { services, person } = ctx;
  const typed = ctx.args.join(' ').trim();
  if (!typed) {
    const pre = services.office.pipeline.preSigning;
    const stageText = (stage: string | null) => (stage ? stageLabel(stage, pre) : '尚未签约');
    const mine = await services.db.lead.findMany({
      where: { submitterId: person.openId, status: 'approved' },
      orderBy: { id: 'desc' },
      take: 200,
      select: { code: true, projectName: true, stage: true },
    });
    // Each with its 登记进展 button (the first ones; a card holds a limited number of elements).
    const items = mine.slice(0, STAGE_LIST_BUTTONS).map((l) => listItem(
      `**${md(l.code)}** ${md(l.projectName)}：${md(stageText(l.stage))}`,
      [button('登记进展', { action: MENU_ACTION, command: 'stage', args: l.code }, 'primary')],
    ));
    const rest = mine.slice(STAGE_LIST_BUTTONS).map((l) => `- ${l.code} ${md(l.projectName)}：${md(stageText(l.stage))}`);
    await ctx.reply(noticeCard(
      `我的已通过项目（共 ${mine.length} 项）`,
      mine.length > 0 ? [greyText(`点「登记进展」查看并登记${pre.map((p) => `${p.label}、`).join('')}签约、注册、落地、投产。`)] : ['您还没有审批通过的项目。发送「进度 编号」可查看其他项目的进度。'],
      'blue',
      rest.length > 0 ? [...items, markdown(rest.join('\n'))] : items,
    ));
    return;
  }
  const parsed = parseLeadCode(typed);
  if (!parsed) {
    await ctx.reply('请在指令后写上项目编号，如：进度 KZ-2026-0001');
    return;
  }
  const code = formatLeadCode(parsed.year, parsed.seq);
  const found = await findVisibleLead(services.db, person, code);
  if (!found) {
    await ctx.reply(leadNotFound(code));
    return;
  }
  const l = (await loadLifecycle(services.db, found.id))!;
  await ctx.reply(lifecycleCard(l, mayUpdateLifecycle(person, l.lead), undefined, services.office.pipeline.preSigning));
}

// ---- card actions ------------------------------------------------------------------------------------

const LeadValue = z.object({ leadId: valueId });
// A stage code: the built-in ones or the office's pre-签约 stages (checked against the office in each handler).
const StageValue = z.object({ leadId: valueId, stage: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/) });
const FollowUpValue = z.object({ followUpId: valueId });

async function visibleLifecycle(ctx: ActionContext<{ leadId: number }>): Promise<LeadLifecycle | CardReply> {
  const l = await loadLifecycle(ctx.services.db, ctx.value.leadId);
  if (!l || !canSee(ctx.person, l.lead)) return toast('error', '未找到该项目，或您无权查看该项目。');
  return l;
}

const isReply = (x: LeadLifecycle | CardReply): x is CardReply => !('lead' in x);

async function onShow(ctx: ActionContext<z.output<typeof LeadValue>>): Promise<CardReply> {
  const l = await visibleLifecycle(ctx);
  if (isReply(l)) return l;
  return { card: lifecycleCard(l, mayUpdateLifecycle(ctx.person, l.lead), undefined, ctx.services.office.pipeline.preSigning) };
}

/** Why this person cannot record `stage` on this lead now, or undefined. */
function refusal(person: Person, l: LeadLifecycle, stage: string, pre: PreStages): string | undefined {
  if (!isKnownStage(stage, pre)) return '没有这个进度阶段，请重新打开进度卡片。';
  if (!mayUpdateLifecycle(person, l.lead)) return NOT_ALLOWED;
  return stageRefusal(l.lead, records(l), stage, pre);
}

async function onOpen(ctx: ActionContext<z.output<typeof StageValue>>): Promise<CardReply> {
  const { stage } = ctx.value;
  // A stage this office does not have: a forged card, or one drawn under another configuration.
  if (!isKnownStage(stage, ctx.services.office.pipeline.preSigning)) return cardFailure(ERRORS.CARD_EXPIRED);
  const l = await visibleLifecycle(ctx);
  if (isReply(l)) return l;
  const pre = ctx.services.office.pipeline.preSigning;
  const why = refusal(ctx.person, l, stage, pre);
  if (why) return toast('error', why);
  return { card: stageFormCard(l, stage, {}, {}, pre, stage === 'landed' ? await landedCarrierOptions(ctx.services, l.lead) : []) };
}

function actingRole(person: Person, lead: { submitterId: string }): string {
  if (lead.submitterId === person.openId) return 'submitter';
  return person.roles.has('reviewer') ? 'reviewer' : 'admin';
}

async function onSubmit(ctx: ActionContext<z.output<typeof StageValue>>): Promise<CardReply> {
  const { services, person } = ctx;
  const { stage } = ctx.value;
  const l = await visibleLifecycle(ctx);
  if (isReply(l)) return l;
  const pre = services.office.pipeline.preSigning;
  const why = refusal(person, l, stage, pre);
  if (why) return toast('error', why);
  // 落地: a carrier chosen from the 载体库 is the 落地载体 (its name is recorded too, as typed ones are).
  const carrierId = stage === 'landed' && typeof ctx.form.carrier_id === 'string' && /^\d{1,9}$/.test(ctx.form.carrier_id) ? Number(ctx.form.carrier_id) : undefined;
  const chosen = carrierId !== undefined ? await findCarrier(services.db, carrierId) : undefined;
  const form = chosen ? { ...ctx.form, carrier: chosen.name } : ctx.form;
  const checked = validateStageForm(stage, form, { today: today(services), done: records(l), pre });
  if (!checked.ok) {
    const options = stage === 'landed' ? await landedCarrierOptions(services, l.lead) : [];
    const values = chosen ? { ...checked.values, carrier_id: String(chosen.id) } : checked.values;
    return {
      toast: { type: 'warning', content: `有 ${Object.keys(checked.errors).length} 项需要修改，尚未保存` },
      card: stageFormCard(l, stage, values, checked.errors, pre, options),
    };
  }
  if (chosen) checked.update.data.carrier_id = chosen.id;
  const now = services.clock();
  let rescored: Rescored | undefined;
  try {
    rescored = await services.db.$transaction(async (tx) => {
      const role = actingRole(person, l.lead);
      await recordStage(tx, { lead: l.lead, update: checked.update, actorId: person.openId, role, now });
      // A stage or milestone changes the facts the 综合评价模型 reads (技术成熟度, 成长性, 行业地位).
      return rescoreLead(tx, l.lead.id, services.office, { actorId: person.openId, role, now, cause: `登记「${checked.update.label}」` });
    });
  } catch (err) {
    if (!(err instanceof LifecycleConflict) && !isUniqueViolation(err)) throw err;
    const fresh = (await loadLifecycle(services.db, l.lead.id))!;
    return toast('error', stageRefusal(fresh.lead, records(fresh), stage, pre) ?? '项目进度刚被他人更新，请重新打开进度卡片后再试。');
  }
  const fresh = (await loadLifecycle(services.db, l.lead.id))!;
  const tierNote = rescored && rescored.before.tier !== rescored.after.tier && tierLabel(rescored.before.tier)
    ? `；评级由${tierLabel(rescored.before.tier)}调整为${tierLabel(rescored.after.tier)}`
    : '';
  return {
    toast: { type: 'success', content: `已登记「${checked.update.label}」${tierNote}` },
    card: lifecycleCard(fresh, true, tierNote ? `综合评分 ${formatNumber(rescored!.before.score ?? 0)} → ${formatNumber(rescored!.after.score)} 分${tierNote}` : undefined, pre),
  };
}

// ---- 一月一报 answers --------------------------------------------------------------------------------

async function answerFollowUp(ctx: ActionContext<z.output<typeof FollowUpValue>>, answer: 'unchanged' | 'updated'): Promise<CardReply> {
  const { services, person } = ctx;
  const tz = services.env.BOT_TIMEZONE;
  const f = await services.db.followUp.findUnique({ where: { id: ctx.value.followUpId } });
  const lead = f ? await services.db.lead.findUnique({ where: { id: f.leadId } }) : null;
  if (!f || !lead) return toast('error', '该一月一报已失效。');
  if (lead.submitterId !== person.openId) return toast('error', '只有项目登记人可以反馈一月一报。');
  // The card asks about the month it is filed under (the month before it was sent).
  const month = periodLabel(f.period);
  if (f.answeredAt) return { toast: { type: 'info', content: `${month}进展已反馈过` }, card: followUpCard(f, lead, tz) };

  let fields: FollowUpAnswer;
  if (answer === 'updated') {
    const checked = validateFollowUpForm(ctx.form, lead.stage);
    if (!checked.ok) {
      return {
        toast: { type: 'warning', content: `有 ${Object.keys(checked.errors).length} 项需要修改，尚未保存` },
        card: followUpCard(f, lead, tz, { errors: checked.errors, values: checked.values }),
      };
    }
    fields = checked.answer;
  } else {
    // 无变化: the recorded stage, the 到位 last reported, no new patents.
    const last = await services.db.followUp.findFirst({
      where: { leadId: lead.id, period: { lt: f.period }, answeredAt: { not: null }, investmentArrivedWan: { not: null } },
      orderBy: { period: 'desc' },
      select: { investmentArrivedWan: true },
    });
    fields = {
      stage: isLifecycleStage(lead.stage) ? lead.stage : 'none',
      investmentArrivedWan: last?.investmentArrivedWan ?? null,
      inventionPatents: 0,
      utilityModels: 0,
      problems: null,
      note: null,
    };
  }
  const now = services.clock();
  const updated = await services.db.$transaction(async (tx) => {
    const r = await tx.followUp.updateMany({ where: { id: f.id, answeredAt: null }, data: { answeredAt: now, answer, ...fields } });
    if (r.count === 1) {
      await tx.auditEvent.create({
        data: { actorId: person.openId, action: 'follow_up', role: 'submitter', leadId: lead.id, data: { period: f.period, answer, ...fields }, createdAt: now },
      });
    }
    return tx.followUp.findUnique({ where: { id: f.id } });
  });
  return {
    toast: { type: 'success', content: answer === 'unchanged' ? `已记录：${month}无变化` : `已记录${month}进展` },
    card: followUpCard(updated!, lead, tz),
  };
}

// ---- /patents: recording a month's patents outside the card -------------------------------------------

const PATENTS_USAGE = '用法：/patents 项目编号 发明专利实审数 实用新型授权数 [月份]，例如 /patents KZ-2026-0001 2 3 2026-10（不写月份为上月）';

/**
 * /patents <code> <发明专利实审> <实用新型授权> [YYYY-MM]: the owner, a reviewer or an admin sets the new
 * patents of one reported month (default: the month just ended) on that month's 一月一报 row, creating it
 * (answered) when the month had no card. Sets, not adds: sending it again corrects the month. Audited.
 */
async function runPatents(ctx: MessageContext): Promise<void> {
  const { services, person } = ctx;
  const tz = services.env.BOT_TIMEZONE;
  const now = services.clock();
  const args = ctx.args.join(' ').normalize('NFKC').trim().split(/\s+/).filter(Boolean);
  if (args.length < 3 || args.length > 4) {
    await ctx.reply(PATENTS_USAGE);
    return;
  }
  const parsed = parseLeadCode(args[0]);
  const count = (s: string) => (/^\d{1,4}$/.test(s) && Number(s) <= MAX_MONTH_PATENTS ? Number(s) : undefined);
  const invention = count(args[1]);
  const utility = count(args[2]);
  const period = args[3] ?? followUpPeriod(now, tz);
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (!parsed || invention === undefined || utility === undefined || !m || Number(m[2]) < 1 || Number(m[2]) > 12) {
    await ctx.reply(`${PATENTS_USAGE}。专利数为 0–${MAX_MONTH_PATENTS} 的整数。`);
    return;
  }
  if (period > localMonth(now, tz)) {
    await ctx.reply(`不能登记 ${periodLabel(period)} 的专利：该月尚未开始。`);
    return;
  }
  const code = formatLeadCode(parsed.year, parsed.seq);
  const lead = await findVisibleLead(services.db, person, code);
  if (!lead) {
    await ctx.reply(leadNotFound(code));
    return;
  }
  if (!mayUpdateLifecycle(person, lead)) {
    await ctx.reply('只有项目登记人、初审人员或管理员可以登记专利。');
    return;
  }
  if (lead.status !== 'approved') {
    await ctx.reply('项目审批通过后才能登记专利。');
    return;
  }
  await services.db.$transaction(async (tx) => {
    const key = { leadId_period: { leadId: lead.id, period } };
    const before = await tx.followUp.findUnique({ where: key });
    await tx.followUp.upsert({
      where: key,
      create: { leadId: lead.id, period, sentAt: now, answeredAt: now, answer: 'updated', inventionPatents: invention, utilityModels: utility },
      update: { inventionPatents: invention, utilityModels: utility, ...(before?.answeredAt ? {} : { answeredAt: now, answer: 'updated' }) },
    });
    await tx.auditEvent.create({
      data: {
        actorId: person.openId, action: 'patents_set', role: actingRole(person, lead), leadId: lead.id, createdAt: now,
        data: { period, inventionPatents: invention, utilityModels: utility, from: before ? { inventionPatents: before.inventionPatents, utilityModels: before.utilityModels } : null },
      },
    });
  });
  await ctx.reply(`已登记 ${code} ${periodLabel(period)}新增专利：发明专利实审 ${invention} 件，实用新型授权 ${utility} 件（计入${lead.town}任务进度）。`);
}

// ---- registration ------------------------------------------------------------------------------------

/** Registers /stage and the lifecycle and follow-up card actions. */
export function registerLifecycle(bot: Bot): void {
  bot.command({
    name: 'stage',
    words: ['进度'],
    summary: '查看和登记项目进度：接洽、在谈、签约、注册、落地（开工）、投产及企业资质',
    usage: '/stage [项目编号]',
    run: runStage,
  });
  bot.command({
    name: 'patents',
    words: ['专利'],
    summary: '登记项目某月新增的发明专利（实审）和实用新型专利数，计入镇区任务进度',
    usage: '/patents 项目编号 发明专利数 实用新型数 [月份]',
    roles: ['staff', 'reviewer', 'admin'],
    run: runPatents,
  });
  bot.action(LIFECYCLE_SHOW_ACTION, LeadValue, onShow);
  bot.action('lifecycle.back', LeadValue, onShow);
  bot.action('lifecycle.open', StageValue, onOpen);
  bot.action('lifecycle.submit', StageValue, onSubmit);
  bot.action('followup.unchanged', FollowUpValue, (ctx) => answerFollowUp(ctx, 'unchanged'));
  bot.action('followup.update', FollowUpValue, (ctx) => answerFollowUp(ctx, 'updated'));
}
