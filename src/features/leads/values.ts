// Reading one submitted form value according to its field definition. Card forms send strings (inputs,
// single selects, date pickers), string[] (multi-selects) and booleans (checkers); other callers may send
// numbers. Everything is read liberally and every refusal is a Chinese message naming the problem.
import type { LeadFieldDef, LeadFieldOption } from './fields.ts';
import { formatNumber } from './format.ts';

/** A value as it goes back into the form (trimmed, as entered). */
export type LeadFormValue = string | string[] | boolean;
/** A value as it is stored. */
export type LeadFieldValue = string | number | boolean | string[];

export interface FieldReading {
  /** What to put back into the form; undefined when nothing was entered. */
  refill?: LeadFormValue;
  /** The accepted value; undefined when empty or refused. */
  value?: LeadFieldValue;
  error?: string;
}

// C0/C1 controls other than tab and line breaks, bidirectional overrides and isolates, lone surrogates.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]|\p{Cs}/gu;
const HAS_CONTROL = new RegExp(CONTROL.source, 'u');
// Invisible characters that carry nothing in a form value; removed silently.
const INVISIBLE = /[\u200B\u2060\uFEFF]/g;

export const codePointLength = (s: string): number => Array.from(s).length;
const cut = (s: string, n: number): string => Array.from(s).slice(0, n).join('');

function firstString(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (Array.isArray(raw) && raw.length === 1) return firstString(raw[0]);
  return undefined;
}

/** Nothing entered: absent, null, blank text or an empty list. */
export const isEmpty = (raw: unknown): boolean =>
  raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '') || (Array.isArray(raw) && raw.length === 0);

function requiredMessage(field: LeadFieldDef): string {
  const pick = field.type === 'select' || field.type === 'multi_select' || field.type === 'date';
  return `${pick ? '请选择' : '请填写'}${field.label}`;
}

/** Reads one field. `resolve` maps a typed select value to an option value (defaults to value/label match). */
export function readField(
  field: LeadFieldDef,
  raw: unknown,
  resolve: (input: string) => string | undefined = (input) => matchOption(field.options ?? [], input),
): FieldReading {
  if (field.type === 'checker') return readChecker(field, raw);
  if (isEmpty(raw)) return field.required ? { error: requiredMessage(field) } : {};
  switch (field.type) {
    case 'text':
    case 'textarea':
      return readText(field, raw);
    case 'number':
    case 'integer':
      return readNumber(field, raw);
    case 'select':
      return readSelect(field, raw, resolve);
    case 'multi_select':
      return readMultiSelect(field, raw, resolve);
    case 'date':
      return readDate(field, raw);
  }
}

function readText(field: LeadFieldDef, raw: unknown): FieldReading {
  const s = firstString(raw);
  if (s === undefined) return { error: `${field.label}格式不正确` };
  let t = s.replace(INVISIBLE, '').replace(/\r\n?/g, '\n');
  const hadControl = HAS_CONTROL.test(t);
  t = t.replace(CONTROL, '');
  t = field.type === 'textarea'
    ? t.split('\n').map((line) => line.trimEnd()).join('\n').trim()
    : t.replace(/\s+/g, ' ').trim();
  const max = field.maxLength ?? 2000;
  // The form is refilled with at most twice the limit, so a pasted novel cannot overflow the card.
  const refill = cut(t, max * 2);
  if (hadControl) return { refill, error: `${field.label}含有不可见的控制字符，已在表单中删除，请核对后重新提交` };
  if (t === '') return field.required ? { error: requiredMessage(field) } : {};
  const length = codePointLength(t);
  if (length > max) return { refill, error: `${field.label}不能超过 ${max} 个字（当前 ${length} 个字）` };
  if (field.needsText && !/[\p{L}\p{N}]/u.test(t)) return { refill, error: `${field.label}需包含文字` };
  return { refill, value: t };
}

/**
 * The number in a typed amount: full-width digits and separators, thousands separators (`1,200` / `1，200`),
 * spaces, and `unit` after the number (`12件`) are accepted. For amounts in 万元, `100万` / `100万元` mean 100
 * and `1.5亿` / `1.5亿元` mean 15000; a bare `元` is refused ('yuan') because the unit would be ambiguous.
 * Rounded to 4 decimals (1 元 for 万元). The one reader of amounts: registration and the 进度 forms use it.
 */
export function parseAmount(text: string, unit?: string): { value: number } | { error: 'yuan' | 'not_number' } {
  let t = text.normalize('NFKC').replace(/\s+/g, '');
  let factor = 1;
  if (unit === '万元') {
    if (/亿元?$/.test(t)) {
      factor = 10_000;
      t = t.replace(/亿元?$/, '');
    } else if (/万元?$/.test(t)) {
      t = t.replace(/万元?$/, '');
    } else if (/元$/.test(t)) {
      return { error: 'yuan' };
    }
  } else if (unit && t.endsWith(unit)) {
    t = t.slice(0, -unit.length);
  }
  if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(t)) t = t.replace(/,/g, '');
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t)) return { error: 'not_number' };
  return { value: Math.round(Number(t) * factor * 10_000) / 10_000 };
}

/** Numbers (see parseAmount), checked against the field's bounds. Integers accept `3.0` but not `3.5`. */
export function readNumber(field: LeadFieldDef, raw: unknown): FieldReading {
  let text: string;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return { error: `${field.label}请填写数字` };
    text = String(raw);
  } else {
    const s = firstString(raw);
    if (s === undefined) return { error: `${field.label}格式不正确` };
    text = s.trim();
  }
  const refill = cut(text, 40);
  const amount = parseAmount(text, field.unit);
  if ('error' in amount) {
    if (amount.error === 'yuan') return { refill, error: `${field.label}以万元为单位：请填写万元数，如 1200` };
    const example = field.type === 'integer' ? '3' : '1200';
    return { refill, error: `${field.label}请填写数字，如 ${example}` };
  }
  const n = amount.value;
  if (field.type === 'integer' && !Number.isInteger(n)) return { refill, error: `${field.label}须为整数` };
  const unit = field.unit ? ` ${field.unit}` : '';
  if (field.min !== undefined && n < field.min) {
    return { refill, error: field.min === 0 ? `${field.label}不能为负数` : `${field.label}不能小于 ${field.min}${unit}` };
  }
  if (field.max !== undefined && n > field.max) {
    const hint = field.unit === '万元' ? '，请确认单位为万元' : '';
    return { refill, error: `${field.label}不能超过 ${formatNumber(field.max)}${unit}${hint}` };
  }
  return { refill, value: n };
}

/** Matches a typed value against option values, then labels, ignoring case, width and spaces. */
export function matchOption(options: readonly LeadFieldOption[], input: string): string | undefined {
  const norm = (s: string) => s.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
  const wanted = norm(input);
  return (
    options.find((o) => o.value === input)?.value ??
    options.find((o) => norm(o.value) === wanted || norm(o.label) === wanted)?.value
  );
}

function readSelect(field: LeadFieldDef, raw: unknown, resolve: (input: string) => string | undefined): FieldReading {
  const s = firstString(raw);
  if (s === undefined) return { error: `${field.label}格式不正确` };
  const t = s.replace(CONTROL, '').trim();
  const value = resolve(t);
  if (value === undefined) return { refill: cut(t, 100), error: `${field.label}「${cut(t, 20)}」不在可选范围内` };
  return { refill: value, value };
}

function readMultiSelect(field: LeadFieldDef, raw: unknown, resolve: (input: string) => string | undefined): FieldReading {
  let items: string[];
  if (Array.isArray(raw)) {
    if (!raw.every((x) => typeof x === 'string')) return { error: `${field.label}格式不正确` };
    items = raw;
  } else if (typeof raw === 'string') {
    items = raw.split(/[,，、;；\n]+/);
  } else {
    return { error: `${field.label}格式不正确` };
  }
  const entered = [...new Set(items.map((x) => x.replace(CONTROL, '').trim()).filter((x) => x !== ''))];
  if (entered.length === 0) return field.required ? { error: requiredMessage(field) } : {};
  const values: string[] = [];
  const unknown: string[] = [];
  for (const item of entered) {
    const v = resolve(item);
    if (v === undefined) unknown.push(item);
    else if (!values.includes(v)) values.push(v);
  }
  const refill = entered.map((item) => resolve(item) ?? cut(item, 100)).slice(0, 50);
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 3).map((u) => `「${cut(u, 20)}」`).join('');
    return { refill, error: `${field.label}中${shown}${unknown.length > 3 ? '等' : ''}不在可选范围内` };
  }
  return { refill: values, value: values };
}

const TRUE_WORDS = new Set(['true', '1', '是', 'yes', 'y', 'on', '有', '需要']);
const FALSE_WORDS = new Set(['false', '0', '否', 'no', 'n', 'off', '无', '不需要', '']);

/** Checkers are never "missing": an absent value is false. */
function readChecker(field: LeadFieldDef, raw: unknown): FieldReading {
  if (raw === undefined || raw === null) return { value: false };
  if (typeof raw === 'boolean') return { refill: raw, value: raw };
  if (typeof raw === 'number' && (raw === 0 || raw === 1)) return { refill: raw === 1, value: raw === 1 };
  if (typeof raw === 'string') {
    const t = raw.normalize('NFKC').trim().toLowerCase();
    if (TRUE_WORDS.has(t)) return { refill: true, value: true };
    if (FALSE_WORDS.has(t)) return { refill: false, value: false };
    return { refill: cut(raw.trim(), 20), error: `${field.label}请选择是或否` };
  }
  return { error: `${field.label}请选择是或否` };
}

/**
 * The parts of a typed day: `2026-03-01`, `2026/3/1`, `2026.3.1`, `2026年3月1日`, and the date picker's
 * `2026-03-01 +0800` (anything after the date separated by a space or T is ignored). The day may not exist.
 */
function dayParts(input: string): { year: string; month: string; day: string } | undefined {
  const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$/.exec(input.normalize('NFKC').trim());
  return m ? { year: m[1], month: m[2], day: m[3] } : undefined;
}

/**
 * A typed day (see dayParts) as `YYYY-MM-DD`, or undefined when it is not a date or the day does not exist.
 * The one reader of typed days: registration and the 进度 forms use it.
 */
export function parseDay(input: string): string | undefined {
  const p = dayParts(input);
  if (!p) return undefined;
  const [year, month, day] = [Number(p.year), Number(p.month), Number(p.day)];
  const d = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return `${p.year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Dates (see parseDay), stored as `YYYY-MM-DD`. */
function readDate(field: LeadFieldDef, raw: unknown): FieldReading {
  const s = firstString(raw);
  if (s === undefined) return { error: `${field.label}格式不正确` };
  const refill = cut(s.trim(), 40);
  const iso = parseDay(s);
  if (iso) return { refill: iso, value: iso };
  const p = dayParts(s);
  if (!p) return { refill, error: `${field.label}格式不正确，请按 2026-03-01 填写` };
  return { refill, error: `${field.label}日期不存在：${p.year}-${p.month}-${p.day}` };
}
