// 项目进度 after approval: /stage <code> (进度) shows the lifecycle card (签约 → 注册 → 落地（开工）→ 投产, the
// milestones 科技型中小企业入库 / 高新技术企业认定 / 领军企业, score and tier); its owner (登记人), reviewers
// and admins get buttons that open a small form per update. Also the answers to 一月一报 (「无变化」 or a note).
import { LIFECYCLE_SHOW_ACTION } from '../approval/cards.ts';
import { MENU_ACTION, toast, valueId, type Bot, type ActionContext, type MessageContext } from '../../platform/bot/router.ts';
import { z } from 'zod';
import type { Services } from '../../platform/bot/services.ts';
import type { Person } from '../../platform/people.ts';
import type { CardJson, CardReply } from '../../platform/lark/types.ts';
import { isUniqueViolation } from '../../platform/db/client.ts';
import { canSee, findLeadByCode } from '../leads/store.ts';
import { LifecycleConflict, loadLifecycle, recordStage, type LeadLifecycle } from './store.ts';
import {
  button, buttonRow, card, datePicker, form, greyText, header, hr, input, keyValues, listItem, markdown, noticeCard, submitButton,
  type CardElement,
} from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import { assertValidCard } from '../../platform/cards/validate.ts';
import { formatLeadCode, formatNumber, leadKindLabel, parseLeadCode } from '../leads/lead.ts';
import {
  isLifecycleStage, isStageCode, isoDate, mayUpdateLifecycle, MILESTONES, nextStage, NOT_ALLOWED, periodLabel, STAGE_FIELDS, STAGE_LABELS,
  stageDataText, stageProgressLine, stageRefusal, validateStageForm, LIFECYCLE_STAGES,
  type StageCode, type StageRecord,
} from './lifecycle.ts';
import { localDate } from '../../platform/time.ts';
import { scoreSummaryLines, tierLabel } from '../leads/scoring.ts';
import { rescoreLead, type Rescored } from '../leads/scores.ts';
import { followUpCard, NOTE_MAX } from './follow-ups.ts';
import { leadStatusText } from '../approval/workflow.ts';


function today(services: Services): string {
  return localDate(services.clock(), services.env.BOT_TIMEZONE);
}


function records(l: LeadLifecycle): StageRecord[] {
  return l.stages.map((s) => ({ stage: s.stage, date: s.date, data: s.data }));
}

// ---- cards -------------------------------------------------------------------------------------------

/** The lifecycle card; `canEdit` adds the buttons for the next stage and the missing milestones. */
export function lifecycleCard(l: LeadLifecycle, canEdit: boolean, note?: string): CardJson {
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
    markdown(`**进度**：${md(stageProgressLine(done))}`),
  ];
  const ordered = [...LIFECYCLE_STAGES, ...MILESTONES]
    .map((code) => done.find((d) => d.stage === code))
    .filter((d): d is StageRecord => d !== undefined);
  if (ordered.length > 0) {
    elements.push(markdown(ordered.map((d) => {
      const extra = stageDataText(d.stage, d.data);
      return `- **${md(STAGE_LABELS[d.stage as StageCode])}** ${isoDate(d.date)}${extra ? `：${md(extra)}` : ''}`;
    }).join('\n')));
  }
  const score = scoreSummaryLines(lead);
  // One <font> per line: a colour tag spanning a line break shows as literal tags.
  if (score.length > 0) elements.push(markdown(`**${md(score[0])}**${score.length > 1 ? `\n${score.slice(1).map(greyText).join('\n')}` : ''}`));
  if (lead.status !== 'approved') {
    elements.push(markdown(greyText('项目审批通过后可登记签约、注册、落地（开工）、投产等进度。'), 'notation'));
  } else if (canEdit) {
    const buttons: CardElement[] = [];
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
  if (note) elements.push(markdown(greyText(note), 'notation'));
  const title = `项目进度：${lead.projectName}`;
  const c = card(header(title, lead.stage === 'producing' ? 'green' : 'blue', lead.code), elements, title);
  assertValidCard(c);
  return c;
}

export function stageFormCard(l: LeadLifecycle, stage: StageCode, values: Record<string, string> = {}, errors: Record<string, string> = {}): CardJson {
  const fields = STAGE_FIELDS[stage].map((f) =>
    f.type === 'date'
      ? datePicker({ name: f.name, label: f.label, required: f.required, value: values[f.name], error: errors[f.name] })
      : input({ name: f.name, label: f.label, required: f.required, value: values[f.name], error: errors[f.name], placeholder: f.placeholder, maxLength: f.type === 'text' ? f.maxLength : 30 }),
  );
  const title = `登记${STAGE_LABELS[stage]}：${l.lead.projectName}`;
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
    const mine = await services.db.lead.findMany({
      where: { submitterId: person.openId, status: 'approved' },
      orderBy: { id: 'desc' },
      take: 200,
      select: { code: true, projectName: true, stage: true },
    });
    // Each with its 登记进展 button (the first ones; a card holds a limited number of elements).
    const items = mine.slice(0, STAGE_LIST_BUTTONS).map((l) => listItem(
      `**${md(l.code)}** ${md(l.projectName)}：${isLifecycleStage(l.stage) ? STAGE_LABELS[l.stage] : '尚未签约'}`,
      [button('登记进展', { action: MENU_ACTION, command: 'stage', args: l.code }, 'primary')],
    ));
    const rest = mine.slice(STAGE_LIST_BUTTONS).map((l) => `- ${l.code} ${md(l.projectName)}：${isLifecycleStage(l.stage) ? STAGE_LABELS[l.stage] : '尚未签约'}`);
    await ctx.reply(noticeCard(
      `我的已通过项目（共 ${mine.length} 项）`,
      mine.length > 0 ? [greyText('点「登记进展」查看并登记签约、注册、落地、投产。')] : ['您还没有审批通过的项目。发送「进度 编号」可查看其他项目的进度。'],
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
  const found = await findLeadByCode(services.db, code);
  if (!found || !canSee(person, found)) {
    await ctx.reply(`未找到项目 ${code}，或您无权查看该项目。`);
    return;
  }
  const l = (await loadLifecycle(services.db, found.id))!;
  await ctx.reply(lifecycleCard(l, mayUpdateLifecycle(person, l.lead)));
}

// ---- card actions ------------------------------------------------------------------------------------

const LeadValue = z.object({ leadId: valueId });
const StageValue = z.object({ leadId: valueId, stage: z.string().refine(isStageCode) });
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
  return { card: lifecycleCard(l, mayUpdateLifecycle(ctx.person, l.lead)) };
}

/** Why this person cannot record `stage` on this lead now, or undefined. */
function refusal(person: Person, l: LeadLifecycle, stage: StageCode): string | undefined {
  if (!mayUpdateLifecycle(person, l.lead)) return NOT_ALLOWED;
  return stageRefusal(l.lead, records(l), stage);
}

async function onOpen(ctx: ActionContext<z.output<typeof StageValue>>): Promise<CardReply> {
  const { stage } = ctx.value;
  const l = await visibleLifecycle(ctx);
  if (isReply(l)) return l;
  const why = refusal(ctx.person, l, stage);
  if (why) return toast('error', why);
  return { card: stageFormCard(l, stage) };
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
  const why = refusal(person, l, stage);
  if (why) return toast('error', why);
  const checked = validateStageForm(stage, ctx.form, { today: today(services), done: records(l) });
  if (!checked.ok) {
    return {
      toast: { type: 'warning', content: `有 ${Object.keys(checked.errors).length} 项需要修改，尚未保存` },
      card: stageFormCard(l, stage, checked.values, checked.errors),
    };
  }
  const now = services.clock();
  let rescored: Rescored | undefined;
  try {
    rescored = await services.db.$transaction(async (tx) => {
      const role = actingRole(person, l.lead);
      await recordStage(tx, { lead: l.lead, update: checked.update, actorId: person.openId, role, now });
      // A stage or milestone changes the facts the 综合评价模型 reads (技术成熟度, 成长性, 行业地位).
      return rescoreLead(tx, l.lead.id, services.office, { actorId: person.openId, role, now, cause: `登记「${STAGE_LABELS[stage]}」` });
    });
  } catch (err) {
    if (!(err instanceof LifecycleConflict) && !isUniqueViolation(err)) throw err;
    const fresh = (await loadLifecycle(services.db, l.lead.id))!;
    return toast('error', stageRefusal(fresh.lead, records(fresh), stage) ?? '项目进度刚被他人更新，请重新打开进度卡片后再试。');
  }
  const fresh = (await loadLifecycle(services.db, l.lead.id))!;
  const tierNote = rescored && rescored.before.tier !== rescored.after.tier && tierLabel(rescored.before.tier)
    ? `；评级由${tierLabel(rescored.before.tier)}调整为${tierLabel(rescored.after.tier)}`
    : '';
  return {
    toast: { type: 'success', content: `已登记「${STAGE_LABELS[stage]}」${tierNote}` },
    card: lifecycleCard(fresh, true, tierNote ? `综合评分 ${formatNumber(rescored!.before.score ?? 0)} → ${formatNumber(rescored!.after.score)} 分${tierNote}` : undefined),
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

  let note: string | null = null;
  if (answer === 'updated') {
    const raw = typeof ctx.form.note === 'string' ? ctx.form.note.replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g, '').trim() : '';
    const error = raw === '' ? `请填写${month}进展，或点「无变化」` : Array.from(raw).length > NOTE_MAX ? `${month}进展不能超过 ${NOTE_MAX} 个字` : undefined;
    if (error) return { toast: { type: 'warning', content: error }, card: followUpCard(f, lead, tz, error) };
    note = raw;
  }
  const now = services.clock();
  const updated = await services.db.$transaction(async (tx) => {
    const r = await tx.followUp.updateMany({ where: { id: f.id, answeredAt: null }, data: { answeredAt: now, answer, note } });
    if (r.count === 1) {
      await tx.auditEvent.create({
        data: { actorId: person.openId, action: 'follow_up', role: 'submitter', leadId: lead.id, data: { period: f.period, answer, ...(note ? { note } : {}) }, createdAt: now },
      });
    }
    return tx.followUp.findUnique({ where: { id: f.id } });
  });
  return {
    toast: { type: 'success', content: answer === 'unchanged' ? `已记录：${month}无变化` : `已记录${month}进展` },
    card: followUpCard(updated!, lead, tz),
  };
}

// ---- registration ------------------------------------------------------------------------------------

/** Registers /stage and the lifecycle and follow-up card actions. */
export function registerLifecycle(bot: Bot): void {
  bot.command({
    name: 'stage',
    words: ['进度'],
    summary: '查看和登记项目进度：签约、注册、落地（开工）、投产及企业资质',
    usage: '/stage [项目编号]',
    run: runStage,
  });
  bot.action(LIFECYCLE_SHOW_ACTION, LeadValue, onShow);
  bot.action('lifecycle.back', LeadValue, onShow);
  bot.action('lifecycle.open', StageValue, onOpen);
  bot.action('lifecycle.submit', StageValue, onSubmit);
  bot.action('followup.unchanged', FollowUpValue, (ctx) => answerFollowUp(ctx, 'unchanged'));
  bot.action('followup.update', FollowUpValue, (ctx) => answerFollowUp(ctx, 'updated'));
}
