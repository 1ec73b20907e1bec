// Activity records (活动成效): whether an activity of the calendar was held, on which day, how many attended,
// what it cost (万元) and notes; entered by an admin on a form card. Pure: the form's validation (zod, with
// Chinese messages) and the per-activity results (leads, approvals, signings, cost per lead). No I/O.
import { z } from 'zod';
import { MAX_WAN } from '../leads/fields.ts';
import { formatNumber } from '../leads/format.ts';
import { parseAmount, parseDay } from '../leads/values.ts';

export const NOTE_MAX = 500;
export const MAX_ATTENDANCE = 1_000_000;

/** What a record form holds, as the card refills it. */
export interface RecordFormValues {
  held?: string;
  held_on?: string;
  attendance?: string;
  cost_wan?: string;
  note?: string;
}

/** A checked record, as stored on the Activity row. */
export interface ActivityRecordInput {
  held: boolean;
  /** UTC midnight of the day held; null when not held or not given. */
  heldOn: Date | null;
  attendance: number | null;
  costWan: number | null;
  resultNote: string | null;
}

export type RecordValidation =
  | { ok: true; record: ActivityRecordInput; values: RecordFormValues }
  | { ok: false; errors: Partial<Record<keyof RecordFormValues, string>>; values: RecordFormValues };

const text = z.preprocess(
  (v) => (Array.isArray(v) && v.length === 1 ? v[0] : v),
  z.union([z.string(), z.number()]).transform((v) => String(v).replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g, '').trim()),
).optional();

const formSchema = z.object({ held: text, held_on: text, attendance: text, cost_wan: text, note: text });

/**
 * Checks a submitted record form. `held` is 「yes」/「no」 (the select) or 是/否; a held activity needs its day
 * (not after `today`, within the calendar's `year`); attendance is a whole
 * number of people; cost is in 万元 (「5万」, 「1.2万元」 accepted, 元 refused); note ≤ 500 characters.
 */
export function validateRecordForm(raw: Record<string, unknown>, ctx: { year: number; today: string }): RecordValidation {
  const parsed = formSchema.safeParse(raw ?? {});
  if (!parsed.success) return { ok: false, errors: { held: '表单内容格式不正确，请重新填写' }, values: {} };
  const f = parsed.data;
  const values: RecordFormValues = {};
  for (const [k, v] of Object.entries(f)) if (v) values[k as keyof RecordFormValues] = v;
  const errors: Partial<Record<keyof RecordFormValues, string>> = {};

  const heldWord = (f.held ?? '').toLowerCase();
  const held = ['yes', '是', '已举办', 'true'].includes(heldWord) ? true : ['no', '否', '未举办', 'false'].includes(heldWord) ? false : undefined;
  if (held === undefined) errors.held = '请选择是否已举办';

  let heldOn: Date | null = null;
  if (f.held_on) {
    const day = parseDay(f.held_on);
    if (!day) errors.held_on = '举办日期格式不正确，请按 2023-03-15 填写';
    else if (day > ctx.today) errors.held_on = '举办日期不能晚于今天';
    else if (!day.startsWith(`${ctx.year}-`)) errors.held_on = `举办日期应在${ctx.year}年内`;
    else heldOn = new Date(`${day}T00:00:00Z`);
  } else if (held === true) {
    errors.held_on = '已举办的活动请填写举办日期';
  }

  let attendance: number | null = null;
  if (f.attendance) {
    const n = parseAmount(f.attendance, '人');
    if ('error' in n || !Number.isInteger(n.value) || n.value < 0) errors.attendance = '参加人数请填写不小于 0 的整数';
    else if (n.value > MAX_ATTENDANCE) errors.attendance = `参加人数不能超过 ${formatNumber(MAX_ATTENDANCE)}`;
    else attendance = n.value;
  }

  let costWan: number | null = null;
  if (f.cost_wan) {
    const n = parseAmount(f.cost_wan, '万元');
    if ('error' in n) errors.cost_wan = n.error === 'yuan' ? '费用以万元为单位：请填写万元数，如 5.5' : '费用请填写数字（万元），如 5.5';
    else if (n.value < 0) errors.cost_wan = '费用不能为负数';
    else if (n.value > MAX_WAN) errors.cost_wan = `费用不能超过 ${formatNumber(MAX_WAN)} 万元，请确认单位为万元`;
    else costWan = n.value;
  }

  const note = f.note ?? '';
  if (Array.from(note).length > NOTE_MAX) errors.note = `备注不能超过 ${NOTE_MAX} 个字（当前 ${Array.from(note).length} 个字）`;

  if (held === false && (heldOn || attendance)) {
    errors.held = '未举办的活动不填举办日期和参加人数；如已举办请选择「已举办」';
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors, values };
  return { ok: true, record: { held: held!, heldOn, attendance, costWan, resultNote: note || null }, values };
}

/** The form values that reproduce a stored record. */
export function recordFormValues(a: { held: boolean | null; heldOn: Date | null; attendance: number | null; costWan: number | null; resultNote: string | null }): RecordFormValues {
  const v: RecordFormValues = {};
  if (a.held !== null) v.held = a.held ? 'yes' : 'no';
  if (a.heldOn) v.held_on = a.heldOn.toISOString().slice(0, 10);
  if (a.attendance !== null) v.attendance = String(a.attendance);
  if (a.costWan !== null) v.cost_wan = String(a.costWan);
  if (a.resultNote) v.note = a.resultNote;
  return v;
}

/** Leads naming an activity as their source: all, approved, and signed (approved and 签约 or later). */
export interface ActivityLeadCount {
  leads: number;
  approved: number;
  signed: number;
}

/** 万元 per lead, rounded to 0.01; undefined without a cost or without leads. */
export function costPerLead(costWan: number | null, leads: number): number | undefined {
  if (costWan === null || leads === 0) return undefined;
  return Math.round((costWan / leads) * 100) / 100;
}
