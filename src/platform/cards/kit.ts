// Small typed builders for Card JSON 2.0 elements, used by every feature. Everything here produces cards
// that pass validateCard(). User text must go through md() before it lands in markdown; the builders that
// take "values" (keyValues, table cells of type markdown, field errors) escape for you.
import { md, renderTemplate } from './template.ts';
import { assertValidCard, CARD_MAX_BYTES, cardSize, HEADER_COLORS } from './validate.ts';

/** A Card JSON 2.0 document. */
export type CardJson = Record<string, unknown>;

export type CardElement = Record<string, unknown>;
export type HeaderColor = (typeof HEADER_COLORS)[number];
export type ButtonType = 'default' | 'primary' | 'danger' | 'primary_filled' | 'danger_filled' | 'text' | 'primary_text';
export interface CardHeader {
  title: { tag: 'plain_text'; content: string };
  subtitle?: { tag: 'plain_text'; content: string };
  template: HeaderColor;
}

/** Markdown that is already safe (built by code, user parts escaped): passed through by keyValues/table. */
export interface RawMarkdown {
  raw: string;
}
export const raw = (markdownText: string): RawMarkdown => ({ raw: markdownText });

const plain = (content: string) => ({ tag: 'plain_text' as const, content });

function cell(value: string | number | RawMarkdown | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'object') return value.raw;
  return md(value);
}

// ---- card and header ---------------------------------------------------------------------------------

export function header(title: string, color: HeaderColor = 'blue', subtitle?: string): CardHeader {
  return subtitle ? { title: plain(title), subtitle: plain(subtitle), template: color } : { title: plain(title), template: color };
}

/** A whole 2.0 card. `summary` is the preview text in the chat list (defaults to the title). */
export function card(head: CardHeader, elements: CardElement[], summary?: string): CardJson {
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: summary ?? head.title.content } },
    header: head,
    body: { elements },
  };
}

// ---- text --------------------------------------------------------------------------------------------

export function markdown(content: string, size?: 'normal' | 'notation' | 'heading'): CardElement {
  return size ? { tag: 'markdown', content, text_size: size } : { tag: 'markdown', content };
}

export const hr = (): CardElement => ({ tag: 'hr' });

/** Red text (markdown `<font color='red'>`); the text is escaped. */
export const redText = (text: string): string => `<font color='red'>${md(text)}</font>`;
/** Grey text; the text is escaped. */
export const greyText = (text: string): string => `<font color='grey'>${md(text)}</font>`;
/** Mentions a user by open_id. */
export function at(openId: string): string {
  if (!/^ou_[A-Za-z0-9]+$/.test(openId)) throw new Error(`not an open_id: ${openId}`);
  return `<at id=${openId}></at>`;
}

export type KeyValue = [label: string, value: string | number | RawMarkdown | null | undefined];

/** "**label**：value" lines in one markdown element; values are escaped, empty values show "—". */
export function keyValues(pairs: KeyValue[]): CardElement {
  return markdown(pairs.map(([label, value]) => `**${md(label)}**：${cell(value)}`).join('\n'));
}

// ---- table -------------------------------------------------------------------------------------------

export interface TableColumn {
  name: string;
  label: string;
  /** text: shown as is; markdown: the cell is escaped unless given as raw(); number: right-aligned number. */
  type?: 'text' | 'markdown' | 'number';
  width?: string; // "auto", "120px" (80-600) or "25%"
}
export type TableRow = Record<string, string | number | RawMarkdown | null | undefined>;

/** A 2.0 table (body root only, at most 5 per card, 10 columns). `pageSize` 1-10 rows per page. */
export function table(columns: TableColumn[], rows: TableRow[], pageSize = 10): CardElement {
  const types = new Map(columns.map((c) => [c.name, c.type ?? 'text']));
  return {
    tag: 'table',
    page_size: Math.min(10, Math.max(1, pageSize)),
    row_height: 'low',
    header_style: { background_style: 'grey', bold: true, text_align: 'left' },
    columns: columns.map((c) => ({
      name: c.name,
      display_name: c.label,
      data_type: c.type === 'markdown' ? 'lark_md' : (c.type ?? 'text'),
      ...(c.width ? { width: c.width } : {}),
      ...(c.type === 'number' ? { horizontal_align: 'right' } : {}),
    })),
    rows: rows.map((r) => {
      const out: Record<string, string | number> = {};
      for (const [k, v] of Object.entries(r)) {
        const type = types.get(k);
        if (type === 'markdown') out[k] = cell(v);
        else if (type === 'number') {
          const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
          if (Number.isFinite(n)) out[k] = n; // an empty or non-numeric cell stays blank
        }
        else out[k] = v === null || v === undefined ? '' : typeof v === 'object' ? v.raw : String(v);
      }
      return out;
    }),
  };
}

// ---- buttons -----------------------------------------------------------------------------------------

export interface ButtonOptions {
  /** Ask "are you sure?" before the click goes through. */
  confirm?: { title: string; text: string };
  disabled?: boolean;
}

/** A button whose click arrives as a card callback carrying `value`. */
export function button(text: string, value: Record<string, unknown>, type: ButtonType = 'default', opts: ButtonOptions = {}): CardElement {
  const el: CardElement = { tag: 'button', text: plain(text), type, behaviors: [{ type: 'callback', value }] };
  if (opts.confirm) el.confirm = { title: plain(opts.confirm.title), text: plain(opts.confirm.text) };
  if (opts.disabled) el.disabled = true;
  return el;
}

/** What a submit button routes on: the action name and a few ids / words (see submitName). */
export type SubmitValue = Record<string, string | number | boolean | undefined>;

/** Prefix of a submit button's `name` that carries its routing value; the router decodes it (decodeSubmitName). */
export const SUBMIT_NAME_PREFIX = 'cb_';

/**
 * The `name` of a form's submit button, encoding its routing value. Feishu documents what a form submit
 * delivers in `card.action.trigger`: the button's `name` in `action.name` and the fields in
 * `action.form_value` (卡片回传交互: https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-callback-communication;
 * 表单容器: https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/containers/form-container).
 * Whether a `behaviors` callback value on a button inside a form arrives is not documented, so the value
 * travels in the name. The name must be unique in the card (it identifies the component); the pages
 * state no charset or length rule for it, so the name keeps to letters, digits and `_`: `k=v&k=v`
 * (values URI-encoded) with every other byte written as `_XX` (hex).
 */
export function submitName(value: SubmitValue): string {
  const plain = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      if (!/^[A-Za-z][A-Za-z0-9]{0,31}$/.test(k)) throw new Error(`submit value key "${k}" must be letters and digits`);
      const s = String(v);
      // Decoding reads digit strings as numbers and true/false as booleans: a string must not look like one.
      if (typeof v === 'string' && (/^\d+$/.test(s) || s === 'true' || s === 'false')) throw new Error(`submit value ${k}="${s}" would decode as a number or boolean`);
      return `${k}=${encodeURIComponent(s)}`;
    })
    .join('&');
  let out = SUBMIT_NAME_PREFIX;
  for (const b of new TextEncoder().encode(plain)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9]/.test(c) ? c : `_${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * A form's submit button. Feishu sends the button's `name` (which encodes `value`, see submitName) and every
 * named field in `action.form_value`; the callback `value` stays on the button too, but the bot routes on
 * the name.
 */
export function submitButton(text: string, value: SubmitValue, type: ButtonType = 'primary_filled'): CardElement {
  const defined = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
  return { ...button(text, defined, type), form_action_type: 'submit', name: submitName(defined) };
}

/** A form's reset button (clears what the user typed; no callback). */
export function resetButton(text = '清空', name = 'reset'): CardElement {
  return { tag: 'button', text: plain(text), type: 'default', form_action_type: 'reset', name };
}

/** Buttons side by side (a column_set; wraps on narrow screens). */
export function buttonRow(buttons: CardElement[]): CardElement {
  return {
    tag: 'column_set',
    flex_mode: 'flow',
    horizontal_spacing: '8px',
    columns: buttons.map((b) => ({ tag: 'column', width: 'auto', elements: [b] })),
  };
}

/** One list item: its markdown line, and its buttons to the right (wrapping under it on narrow screens). */
export function listItem(line: string, buttons: CardElement[]): CardElement {
  return {
    tag: 'column_set',
    flex_mode: 'flow',
    horizontal_spacing: '8px',
    columns: [
      { tag: 'column', width: 'weighted', weight: 3, vertical_align: 'center', elements: [markdown(line)] },
      ...buttons.map((b) => ({ tag: 'column', width: 'auto', vertical_align: 'center', elements: [b] })),
    ],
  };
}

// ---- forms and fields --------------------------------------------------------------------------------
// Each field builder returns its elements: a label line, the field, and (when `error` is set) a red line
// under it. Pass them to form() as they are; form() flattens.

interface FieldBase {
  name: string;
  label: string;
  required?: boolean;
  /** Shown in red under the field (e.g. after a rejected submit). */
  error?: string;
}

function labelLine(label: string, required?: boolean): CardElement {
  return markdown(`**${md(label)}**${required ? " <font color='red'>*</font>" : ''}`);
}

function withLabel(f: FieldBase, field: CardElement): CardElement[] {
  const out = [labelLine(f.label, f.required), field];
  if (f.error) out.push(markdown(redText(f.error), 'notation'));
  return out;
}

export interface InputField extends FieldBase {
  value?: string;
  placeholder?: string;
  maxLength?: number;
  multiline?: boolean;
}

export function input(f: InputField): CardElement[] {
  const el: CardElement = { tag: 'input', name: f.name, placeholder: plain(f.placeholder ?? '请输入'), width: 'fill' };
  if (f.required) el.required = true;
  if (f.value !== undefined && f.value !== '') el.default_value = f.value;
  if (f.maxLength) el.max_length = f.maxLength;
  if (f.multiline) {
    el.input_type = 'multiline_text';
    el.rows = 3;
  }
  return withLabel(f, el);
}

export type Option = string | { value: string; label: string };
const toOption = (o: Option) =>
  typeof o === 'string' ? { text: plain(o), value: o } : { text: plain(o.label), value: o.value };

export interface SelectField extends FieldBase {
  options: Option[];
  value?: string;
  placeholder?: string;
}

export function select(f: SelectField): CardElement[] {
  const el: CardElement = {
    tag: 'select_static',
    name: f.name,
    placeholder: plain(f.placeholder ?? '请选择'),
    width: 'fill',
    options: f.options.map(toOption),
  };
  if (f.required) el.required = true;
  if (f.value !== undefined && f.value !== '') el.initial_option = f.value;
  return withLabel(f, el);
}

export interface MultiSelectField extends FieldBase {
  options: Option[];
  values?: string[];
  placeholder?: string;
}

export function multiSelect(f: MultiSelectField): CardElement[] {
  const el: CardElement = {
    tag: 'multi_select_static',
    name: f.name,
    placeholder: plain(f.placeholder ?? '请选择（可多选）'),
    width: 'fill',
    options: f.options.map(toOption),
  };
  if (f.required) el.required = true;
  if (f.values?.length) el.selected_values = f.values;
  return withLabel(f, el);
}

export interface DatePickerField extends FieldBase {
  /** YYYY-MM-DD */
  value?: string;
  placeholder?: string;
}

export function datePicker(f: DatePickerField): CardElement[] {
  const el: CardElement = { tag: 'date_picker', name: f.name, placeholder: plain(f.placeholder ?? '请选择日期'), width: 'fill' };
  if (f.required) el.required = true;
  if (f.value) el.initial_date = f.value;
  return withLabel(f, el);
}

export interface CheckerField {
  name: string;
  /** The text next to the box. */
  label: string;
  checked?: boolean;
  error?: string;
}

export function checker(f: CheckerField): CardElement[] {
  const el: CardElement = { tag: 'checker', name: f.name, checked: f.checked ?? false, text: plain(f.label) };
  return f.error ? [el, markdown(redText(f.error), 'notation')] : [el];
}

/**
 * A form (body root only). `fields` are field builder results or plain elements; `submit` is one button or
 * several (shown in a row). Submit buttons must come from submitButton()/resetButton().
 */
export function form(name: string, fields: Array<CardElement | CardElement[]>, submit: CardElement | CardElement[]): CardElement {
  const buttons = Array.isArray(submit) ? submit : [submit];
  return {
    tag: 'form',
    name,
    elements: [...fields.flat(), buttons.length === 1 ? buttons[0] : buttonRow(buttons)],
  };
}

// ---- collapsible panel -------------------------------------------------------------------------------

/**
 * A folded panel for detail a phone reader opens on demand (Card JSON 2.0 collapsible_panel). It may not hold a
 * form or a table (tables sit at the body root only): put markdown in it.
 */
export function collapsible(title: string, elements: CardElement[], expanded = false): CardElement {
  return {
    tag: 'collapsible_panel',
    expanded,
    header: { title: { tag: 'markdown', content: title }, width: 'fill' },
    border: { color: 'grey', corner_radius: '5px' },
    vertical_spacing: '8px',
    padding: '8px 8px 8px 8px',
    elements,
  };
}

// ---- charts ------------------------------------------------------------------------------------------

/** A chart element around a VChart spec (no functions; at most 5 per card). */
export function chart(spec: Record<string, unknown>, aspectRatio: '1:1' | '2:1' | '4:3' | '16:9' = '16:9'): CardElement {
  return { tag: 'chart', aspect_ratio: aspectRatio, color_theme: 'brand', chart_spec: spec };
}

export interface BarSeries {
  name: string;
  values: number[]; // one per category
}

/** A horizontal reference line across a bar chart (VChart markLine at a value), e.g. 序时进度. */
export interface ReferenceLine {
  value: number;
  label: string;
}

/** Grouped bar chart: one bar per series for each category; `reference` draws a dashed line at a value. */
export function barChart(title: string, categories: string[], series: BarSeries[], reference?: ReferenceLine): CardElement {
  const values = series.flatMap((s) => categories.map((c, i) => ({ category: c, series: s.name, value: s.values[i] ?? 0 })));
  const grouped = series.length > 1;
  return chart({
    type: 'bar',
    title: { visible: true, text: title },
    data: [{ id: 'data', values }],
    xField: grouped ? ['category', 'series'] : 'category',
    yField: 'value',
    seriesField: 'series',
    label: { visible: true },
    legends: { visible: grouped, orient: 'bottom' },
    ...(reference
      ? { markLine: [{ y: reference.value, label: { visible: true, text: reference.label, position: 'insideEndTop' }, line: { style: { lineDash: [6, 4] } } }] }
      : {}),
  });
}

/** Pie (donut) chart of named values. */
export function pieChart(title: string, items: Array<{ name: string; value: number }>): CardElement {
  return chart(
    {
      type: 'pie',
      title: { visible: true, text: title },
      data: [{ id: 'data', values: items.map((i) => ({ name: i.name, value: i.value })) }],
      categoryField: 'name',
      valueField: 'value',
      outerRadius: 0.8,
      innerRadius: 0.5,
      label: { visible: true },
      legends: { visible: true, orient: 'right' },
    },
    '4:3',
  );
}

// ---- long lists --------------------------------------------------------------------------------------

export const moreItems = (n: number): string => `另有 ${n} 项…`;

/** The first `max` lines, followed by "另有 N 项…" when some were left out. */
export function truncateList(lines: string[], max: number, moreText: (n: number) => string = moreItems): string[] {
  if (lines.length <= max) return lines;
  const shown = Math.max(0, Math.floor(max));
  return [...lines.slice(0, shown), moreText(lines.length - shown)];
}

/**
 * Builds the card with as many list items as fit in `maxBytes` (30 KB by default). `build(max)` must show at
 * most `max` items (use truncateList) and grow with `max`. Returns the biggest card that fits, validated.
 */
export function fitCard(build: (max: number) => CardJson, maxBytes = CARD_MAX_BYTES): CardJson {
  const fits = (c: CardJson) => cardSize(c) <= maxBytes;
  const full = build(Number.POSITIVE_INFINITY);
  if (fits(full)) {
    assertValidCard(full);
    return full;
  }
  let best = build(0);
  if (!fits(best)) throw new Error(`card does not fit in ${maxBytes} bytes even with an empty list`);
  // Double until the card is too big, then bisect between the last fit (lo) and the first miss (hi).
  let lo = 0;
  let hi = 1;
  for (;;) {
    const c = build(hi);
    if (!fits(c)) break;
    best = c;
    lo = hi;
    hi *= 2;
    if (hi > 1e7) throw new Error('fitCard: build(max) does not grow with max');
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const c = build(mid);
    if (fits(c)) {
      best = c;
      lo = mid;
    } else {
      hi = mid;
    }
  }
  assertValidCard(best);
  return best;
}

// ---- notice (rendered from cards/notice.json) --------------------------------------------------------

/**
 * A plain notice: a title and markdown lines (escape user parts with md()), optionally followed by more
 * elements (e.g. a buttonRow). Long line lists are cut to fit 30 KB, ending with "另有 N 项…".
 */
export function noticeCard(title: string, lines: string[], color: HeaderColor = 'blue', extra: CardElement[] = []): CardJson {
  return fitCard((max) =>
    renderTemplate('notice', { title, color, body: truncateList(lines, max).join('\n') || ' ', extra }),
  );
}
