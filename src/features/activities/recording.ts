// Recording how an activity went (admins): `/activity record <序号|名称> [年份]` (活动登记 3) or the picker under
// the /activities listing open a form card (已举办/未举办, 举办日期, 参加人数, 费用（万元）, 备注); submitting it
// saves the record on the Activity row (AuditEvent 'activity_record') and shows the activity's results.
import type { ActionContext, MessageContext } from '../../platform/bot/router.ts';
import { toast } from '../../platform/bot/router.ts';
import type { Services } from '../../platform/bot/services.ts';
import {
  card, datePicker, form, greyText, header, input, keyValues, markdown, select, submitButton, type CardElement,
} from '../../platform/cards/kit.ts';
import { assertValidCard } from '../../platform/cards/validate.ts';
import { userText } from '../../platform/lark/text.ts';
import type { CardJson, CardReply } from '../../platform/lark/types.ts';
import { localDate, localParts } from '../../platform/time.ts';
import { formatNumber } from '../leads/format.ts';
import { activityNameKey } from './activity.ts';
import { costPerLead, NOTE_MAX, recordFormValues, validateRecordForm, type RecordFormValues } from './record.ts';
import { leadsPerActivity, saveActivityRecord, type ActivityRow } from './store.ts';

export const ACTIVITY_PICK = 'activity.pick';
export const ACTIVITY_RECORD = 'activity.record';
/** Sub-command words of /activities that open a record form. */
export const RECORD_WORDS = new Set(['record', '登记', '记录']);

const ADMIN_ONLY = '只有管理员可以登记活动举办情况。';
const USAGE = '用法：/activity record <序号|名称> [年份]，例如「活动登记 3」或「活动登记 创新创业大赛 2023」';

function thisYear(services: Services): number {
  return localParts(services.clock(), services.env.BOT_TIMEZONE).year;
}

/** An activity of `year` by its 序号 or (part of) its name; several matches are an error listing them. */
export async function findActivity(services: Services, year: number, typed: string): Promise<{ row: ActivityRow } | { error: string }> {
  const rows = await services.db.activity.findMany({ where: { year }, orderBy: { seq: 'asc' } });
  if (rows.length === 0) return { error: `尚未导入 ${year} 年的活动安排表。` };
  const t = typed.normalize('NFKC').trim();
  if (/^\d+$/.test(t)) {
    const row = rows.find((a) => a.seq === Number(t));
    return row ? { row } : { error: `${year} 年活动安排表中没有序号 ${t}（共 ${rows.length} 项）。发送「活动 ${year}」查看。` };
  }
  const key = activityNameKey(t);
  const exact = rows.filter((a) => activityNameKey(a.name) === key);
  const hits = exact.length > 0 ? exact : rows.filter((a) => activityNameKey(a.name).includes(key));
  if (hits.length === 1) return { row: hits[0] };
  if (hits.length === 0) return { error: `${year} 年活动安排表中没有名称含「${userText(Array.from(t).slice(0, 30).join(''))}」的活动。发送「活动 ${year}」查看。` };
  return { error: `有 ${hits.length} 项活动名称含「${userText(t)}」，请写序号：\n${hits.slice(0, 10).map((a) => `${a.seq}. ${a.name}`).join('\n')}` };
}

const HELD_OPTIONS = [{ value: 'yes', label: '已举办' }, { value: 'no', label: '未举办' }];

/** The record form of one activity, refilled with `values` and showing `errors`. */
export function recordFormCard(a: ActivityRow, values: RecordFormValues, errors: Partial<Record<keyof RecordFormValues, string>> = {}): CardJson {
  const title = `登记活动情况：${a.seq}. ${a.name}`;
  const facts = keyValues([
    ['时间（计划）', a.timeText],
    ...(a.organizer ? ([['主办单位', a.organizer]] as [string, string][]) : []),
    ...(a.budgetWan !== null ? ([['预算', `${formatNumber(a.budgetWan)} 万元`]] as [string, string][]) : []),
  ]);
  const elements: CardElement[] = [
    facts,
    form('activity_record', [
      select({ name: 'held', label: '是否已举办', options: HELD_OPTIONS, value: values.held, required: true, error: errors.held }),
      datePicker({ name: 'held_on', label: '举办日期', value: values.held_on, error: errors.held_on }),
      input({ name: 'attendance', label: '参加人数', value: values.attendance, placeholder: '如 120', error: errors.attendance }),
      input({ name: 'cost_wan', label: '费用（万元）', value: values.cost_wan, placeholder: '单位：万元，如 5.5', error: errors.cost_wan }),
      input({ name: 'note', label: '备注', value: values.note, placeholder: '成效、签约意向、问题等', maxLength: NOTE_MAX * 2, multiline: true, error: errors.note }),
    ], submitButton('保存', { action: ACTIVITY_RECORD, activityId: a.id })),
    markdown(greyText('来源项目、通过和签约数按登记项目时选择的「来源活动」自动统计。'), 'notation'),
  ];
  const c = card(header(title, 'blue'), elements, title);
  assertValidCard(c);
  return c;
}

/** The saved record with the activity's results. */
async function recordedCard(services: Services, a: ActivityRow): Promise<CardJson> {
  const counts = (await leadsPerActivity(services.db, [a.id])).get(a.id) ?? { leads: 0, approved: 0, signed: 0 };
  const per = costPerLead(a.costWan, counts.leads);
  const rows: Array<[string, string]> = [['是否举办', a.held ? '已举办' : '未举办']];
  if (a.heldOn) rows.push(['举办日期', a.heldOn.toISOString().slice(0, 10)]);
  if (a.attendance !== null) rows.push(['参加人数', `${formatNumber(a.attendance)} 人`]);
  if (a.costWan !== null) rows.push(['费用', `${formatNumber(a.costWan)} 万元${a.budgetWan !== null ? `（预算 ${formatNumber(a.budgetWan)} 万元）` : ''}`]);
  rows.push(['来源项目', `${counts.leads} 个（通过 ${counts.approved}，签约 ${counts.signed}）`]);
  if (per !== undefined) rows.push(['每个项目费用', `${formatNumber(per)} 万元`]);
  if (a.resultNote) rows.push(['备注', a.resultNote]);
  const title = `已登记：${a.seq}. ${a.name}`;
  const c = card(header(title, 'green'), [keyValues(rows), markdown(greyText(`登记时间 ${localDate(a.recordedAt ?? services.clock(), services.env.BOT_TIMEZONE)}。发送「活动」查看全年活动成效。`), 'notation')], title);
  assertValidCard(c);
  return c;
}

export async function runRecord(ctx: MessageContext, args: string[]): Promise<void> {
  const { services, person } = ctx;
  if (!person.roles.has('admin')) {
    await ctx.reply(ADMIN_ONLY);
    return;
  }
  let year = thisYear(services);
  const words = [...args];
  const last = words.at(-1)?.normalize('NFKC').replace(/年$/, '');
  if (words.length > 1 && last && /^\d{4}$/.test(last)) {
    year = Number(last);
    words.pop();
  }
  const typed = words.join(' ').trim();
  if (!typed) {
    await ctx.reply(USAGE);
    return;
  }
  const found = await findActivity(services, year, typed);
  if ('error' in found) {
    await ctx.reply(`${found.error}\n${USAGE}`);
    return;
  }
  await ctx.reply(recordFormCard(found.row, recordFormValues(found.row)));
}

/** The picker under /activities: open the chosen activity's form in place of the listing. */
export async function onPick(ctx: ActionContext<Record<string, unknown>>): Promise<CardReply> {
  if (!ctx.person.roles.has('admin')) return toast('error', ADMIN_ONLY);
  const raw = ctx.form.activity_id;
  const id = Number(Array.isArray(raw) ? raw[0] : raw);
  if (!Number.isInteger(id) || id <= 0) return toast('warning', '请先选择活动');
  const row = await ctx.services.db.activity.findUnique({ where: { id } });
  if (!row) return toast('error', '该活动已不在活动安排表中。');
  return { card: recordFormCard(row, recordFormValues(row)) };
}

export async function onRecord(ctx: ActionContext<{ activityId: number }>): Promise<CardReply> {
  const { services, person } = ctx;
  if (!person.roles.has('admin')) return toast('error', ADMIN_ONLY);
  const row = await services.db.activity.findUnique({ where: { id: ctx.value.activityId } });
  if (!row) return toast('error', '该活动已不在活动安排表中。');
  const now = services.clock();
  const checked = validateRecordForm(ctx.form, { year: row.year, today: localDate(now, services.env.BOT_TIMEZONE) });
  if (!checked.ok) {
    return {
      toast: { type: 'warning', content: `有 ${Object.keys(checked.errors).length} 项需要修改，尚未保存` },
      card: recordFormCard(row, checked.values, checked.errors),
    };
  }
  const saved = await saveActivityRecord(services.db, { activityId: row.id, record: checked.record, actorId: person.openId, now });
  if (!saved) return toast('error', '该活动已不在活动安排表中。');
  return { toast: { type: 'success', content: '已保存活动情况' }, card: await recordedCard(services, saved) };
}


