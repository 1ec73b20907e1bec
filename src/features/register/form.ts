// The registration form card: one Card JSON 2.0 `form` built from the field definitions of one kind
// (leadFormFields), refilled with what the user entered and a red message under every refused field.
import type { OfficeConfig } from '../../office/config.ts';
import type { CardJson } from '../../platform/lark/types.ts';
import {
  checker, datePicker, form, greyText, header, input, markdown, multiSelect, redText, select, submitButton, card,
  type CardElement, type SubmitValue,
} from '../../platform/cards/kit.ts';
import { md } from '../../platform/cards/template.ts';
import { assertValidCard, CARD_MAX_BYTES, cardSize } from '../../platform/cards/validate.ts';
import {
  LEAD_KIND_LABELS, leadFormFields, type LeadActivityOption, type LeadFieldDef, type LeadFormValues, type LeadKind,
} from '../leads/lead.ts';

export const FORM_NAME = 'lead_form';
/** Lark's input accepts max_length up to 1000. */
const INPUT_MAX_LENGTH = 1000;

export interface LeadFormCardInput {
  kind: LeadKind;
  office: OfficeConfig;
  /**
   * The activities the form offers as 来源活动 (when there are any): the current year's, plus the edited lead's
   * own. A selected value not among them is not shown, and so not submitted again.
   */
  activities: LeadActivityOption[];
  /** What to show in the fields (entered values, or a stored lead's values). */
  values?: LeadFormValues;
  /** Field name → Chinese message shown in red under the field. */
  errors?: Record<string, string>;
  /** Preselected town (the staff member's) when `values` has none. */
  defaultTown?: string;
  /** Editing a returned lead: its id and code, and the reviewer's comment. */
  edit?: { leadId: number; code: string; comment?: string };
  /** The open_id of the person the form is for: only he may submit it. */
  openedBy: string;
  /** Field name → why the person should check what was filled in (a pasted lead's guesses), shown in orange. */
  checks?: Record<string, string>;
  /** The values were read from a pasted paragraph (the intro says so). */
  pasted?: boolean;
}

const cut = (s: string, n: number) => Array.from(s).slice(0, n).join('');
const optionValues = (f: LeadFieldDef) => new Set((f.options ?? []).map((o) => o.value));

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

const orangeText = (text: string): string => `<font color='orange'>${md(text)}</font>`;

function fieldElements(f: LeadFieldDef, value: unknown, error: string | undefined, refillLimit: (f: LeadFieldDef) => number, check?: string): CardElement[] {
  const withCheck = (els: CardElement[]) => (check && !error ? [...els, markdown(orangeText(`请核对：${check}`), 'notation')] : els);
  // The kind is the form's own: shown as text, not a select one could change (and then be refused).
  if (f.name === 'category') {
    const label = (f.options ?? []).find((o) => o.value === text(value))?.label ?? text(value) ?? '';
    return withCheck([
      markdown(`**${md(f.label)}**：${md(label)}`),
      markdown(error ? redText(error) : greyText('如需登记其他类别，请发送「登记」重新选择'), 'notation'),
    ]);
  }
  const label = f.unit && (f.type === 'number' || f.type === 'integer') ? `${f.label}（${f.unit}）` : f.label;
  const base = { name: f.name, label, required: f.required, error };
  let out: CardElement[];
  switch (f.type) {
    case 'text':
    case 'textarea':
    case 'number':
    case 'integer': {
      const shown = text(value) === undefined ? undefined : cut(text(value)!, refillLimit(f));
      const max = f.maxLength && f.maxLength <= INPUT_MAX_LENGTH && Array.from(shown ?? '').length <= f.maxLength ? f.maxLength : undefined;
      out = input({ ...base, value: shown, placeholder: f.placeholder, maxLength: max, multiline: f.type === 'textarea' });
      break;
    }
    case 'select': {
      const v = text(value);
      out = select({ ...base, options: f.options ?? [], value: v !== undefined && optionValues(f).has(v) ? v : undefined, placeholder: f.placeholder });
      break;
    }
    case 'multi_select': {
      const allowed = optionValues(f);
      const values = Array.isArray(value) ? value.filter((x): x is string => typeof x === 'string' && allowed.has(x)) : [];
      out = multiSelect({ ...base, options: f.options ?? [], values });
      break;
    }
    case 'date': {
      const v = text(value);
      out = datePicker({ ...base, value: v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined, placeholder: f.placeholder });
      break;
    }
    case 'checker':
      out = checker({ name: f.name, label: f.label, checked: value === true, error });
      break;
  }
  if (f.hint) out.push(markdown(greyText(f.hint), 'notation'));
  return withCheck(out);
}

function build(inp: LeadFormCardInput, refillLimit: (f: LeadFieldDef) => number): CardJson {
  const { kind, office, activities, edit } = inp;
  const values: LeadFormValues = { ...(inp.values ?? {}) };
  // The form's kind, whatever a submit claimed (it is shown as text and cannot be changed).
  values.category = kind;
  if (values.town === undefined && inp.defaultTown) values.town = inp.defaultTown;
  const errors = inp.errors ?? {};
  const fields = leadFormFields(kind, office, { activities });
  const label = LEAD_KIND_LABELS[kind];

  const elements: CardElement[] = [];
  const checks = inp.checks ?? {};
  const intro = edit
    ? `项目 **${md(edit.code)}** 已退回修改。请修改后点「重新提交」，将重新进入审批。`
    : inp.pasted
      ? `已从您粘贴的文字中读出下列信息（原文放在「项目简介」中），<font color='orange'>橙色提示</font>的项目请核对。请补全后点「提交」，提交前不会保存。`
      : `请填写${label}项目信息，带 <font color='red'>*</font> 的为必填项。提交后进入审批，结果会通知您。`;
  elements.push(markdown(intro));
  if (edit?.comment) elements.push(markdown(`**退回意见**：${md(edit.comment)}`));
  const bad = Object.keys(errors).length;
  if (bad > 0) elements.push(markdown(redText(`有 ${bad} 项需要修改，请按红字提示修改后重新提交。已填写的内容已保留，尚未保存。`)));

  const formElements: Array<CardElement | CardElement[]> = [];
  let kindHeading = false;
  for (const f of fields) {
    if (f.section === kind && !kindHeading) {
      kindHeading = true;
      formElements.push(markdown(`**${label}信息**`, 'heading'));
    }
    formElements.push(fieldElements(f, values[f.name], errors[f.name], refillLimit, checks[f.name]));
  }
  // An error on a field this form does not show (should not happen) is still told.
  const shown = new Set(fields.map((f) => f.name));
  for (const [name, message] of Object.entries(errors)) {
    if (!shown.has(name)) formElements.push(markdown(redText(message), 'notation'));
  }
  const submitValue: SubmitValue = { action: 'register.submit', kind, openedBy: inp.openedBy };
  if (edit) submitValue.leadId = edit.leadId;
  elements.push(form(FORM_NAME, formElements, submitButton(edit ? '重新提交' : '提交', submitValue)));

  const title = edit ? `修改项目 ${edit.code}` : `登记${label}项目`;
  return card(header(title, bad > 0 ? 'orange' : 'blue'), elements);
}

/**
 * The form card. Values refused as over-long are refilled up to twice the limit; when that would make the
 * card larger than 30 KB, they are cut to the limit, then dropped.
 */
export function leadFormCard(inp: LeadFormCardInput): CardJson {
  const limits: Array<(f: LeadFieldDef) => number> = [
    (f) => (f.maxLength ?? 2000) * 2,
    (f) => f.maxLength ?? 2000,
    (f) => Math.min(f.maxLength ?? 100, 100),
  ];
  for (const limit of limits) {
    const c = build(inp, limit);
    if (cardSize(c) <= CARD_MAX_BYTES) {
      assertValidCard(c);
      return c;
    }
  }
  const c = build({ ...inp, values: {} }, limits[2]);
  assertValidCard(c);
  return c;
}
