// Checks a Card JSON 2.0 document against the rules Lark enforces and that we rely on. Lark rejects a 2.0
// card with an unknown property outright, so every element is checked against the property list of its tag.
// Sources: the official "卡片 JSON 2.0 结构" and component pages on open.feishu.cn (see cards/README.md).
// Errors are for developers (logs, tests), so they are in English.

/**
 * Feishu's 30 KB limit is on the REQUEST BODY of a card message, not on the card: "卡片及富文本消息请求体最大不能
 * 超过30KB" (https://open.feishu.cn/document/server-docs/im-v1/message/create and
 * https://open.feishu.cn/document/server-docs/im-v1/message-card/patch). `content` is the card serialised as a
 * JSON string inside that body, so every quote and backslash is escaped once more.
 */
export const CARD_BODY_LIMIT = 30 * 1024;
/**
 * Bytes kept free for the body's other fields: `{"receive_id":"…","msg_type":"interactive","content":…,"uuid":"…"}`
 * (receive_id ≤ ~64 characters, uuid ≤ 50) take well under this.
 */
export const CARD_BODY_MARGIN = 320;
/** The most a card may measure with cardWireSize(): the body limit less the margin for the other fields. */
export const CARD_MAX_BYTES = CARD_BODY_LIMIT - CARD_BODY_MARGIN;
/** At most five charts per card (official recommendation). */
export const MAX_CHARTS = 5;
/** At most five tables per card. */
export const MAX_TABLES = 5;

export type CardValidation = { ok: true } | { ok: false; errors: string[] };

/** Bytes a message `content` string takes inside the JSON request body (escaped, quoted, UTF-8). */
export function contentWireSize(content: string): number {
  return Buffer.byteLength(JSON.stringify(content), 'utf8');
}

/**
 * What a card costs on the wire: its JSON as the `content` string of an im/v1 message body (UTF-8, a Chinese
 * character is 3 bytes; escaping adds a byte per quote). interactive/v1/card/update sends the card as an object,
 * which is smaller, so this bounds both. Compare with CARD_MAX_BYTES.
 */
export function cardWireSize(card: unknown): number {
  return contentWireSize(JSON.stringify(card));
}

/** The size every limit check uses: cardWireSize(). */
export const cardSize = cardWireSize;

// Properties every 2.0 element may carry.
const COMMON = ['tag', 'element_id', 'margin'];
const CONTAINER_LAYOUT = [
  'direction',
  'horizontal_spacing',
  'vertical_spacing',
  'horizontal_align',
  'vertical_align',
  'padding',
];

const ELEMENT_PROPS: Record<string, string[]> = {
  markdown: ['content', 'text_align', 'text_size', 'icon', 'i18n_content'],
  div: ['text', 'fields', 'icon', 'width'],
  hr: [],
  img: ['img_key', 'alt', 'title', 'corner_radius', 'scale_type', 'size', 'transparent', 'preview'],
  column_set: ['columns', 'flex_mode', 'horizontal_spacing', 'horizontal_align', 'background_style', 'action'],
  table: ['page_size', 'row_height', 'row_max_height', 'freeze_first_column', 'header_style', 'columns', 'rows'],
  chart: ['chart_spec', 'aspect_ratio', 'color_theme', 'preview', 'height'],
  form: ['name', 'elements', ...CONTAINER_LAYOUT],
  // https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/containers/collapsible-panel
  collapsible_panel: ['expanded', 'background_color', 'header', 'border', 'elements', ...CONTAINER_LAYOUT],
  button: [
    'text', 'type', 'size', 'width', 'icon', 'hover_tips', 'disabled', 'disabled_tips', 'confirm', 'behaviors',
    'form_action_type', 'name',
  ],
  input: [
    'name', 'required', 'disabled', 'placeholder', 'default_value', 'width', 'max_length', 'input_type',
    'show_icon', 'rows', 'auto_resize', 'max_rows', 'label', 'label_position', 'value', 'confirm', 'fallback',
    'behaviors',
  ],
  select_static: [
    'type', 'name', 'required', 'disabled', 'placeholder', 'width', 'initial_option', 'options', 'confirm',
    'behaviors',
  ],
  multi_select_static: [
    'type', 'name', 'required', 'disabled', 'placeholder', 'width', 'selected_values', 'options', 'confirm',
    'behaviors',
  ],
  date_picker: ['name', 'required', 'disabled', 'width', 'placeholder', 'initial_date', 'confirm', 'behaviors'],
  checker: [
    'name', 'checked', 'text', 'overall_checkable', 'button_area', 'checked_style', 'padding', 'behaviors',
    'hover_tips', 'disabled', 'disabled_tips', 'confirm',
  ],
};

const COLUMN_PROPS = [
  'tag', 'element_id', 'margin', 'width', 'weight', 'background_style', 'elements', 'action', ...CONTAINER_LAYOUT,
];
// collapsible_panel header and border (same page as the panel).
const PANEL_HEADER_PROPS = ['title', 'background_color', 'vertical_align', 'padding', 'width', 'icon', 'icon_position', 'icon_expanded_angle'];
const PANEL_BORDER_PROPS = ['color', 'corner_radius'];
const FIELD_TAGS = new Set(['input', 'select_static', 'multi_select_static', 'date_picker', 'checker']);
const TOP_PROPS = ['schema', 'config', 'card_link', 'header', 'body'];
const CONFIG_PROPS = [
  'update_multi', 'enable_forward', 'enable_forward_interaction', 'width_mode', 'use_custom_translation',
  'streaming_mode', 'streaming_config', 'summary', 'locales', 'style',
];
const HEADER_PROPS = ['title', 'subtitle', 'text_tag_list', 'i18n_text_tag_list', 'template', 'icon', 'padding'];
const BODY_PROPS = ['elements', ...CONTAINER_LAYOUT];
const TEXT_PROPS = ['tag', 'content', 'text_size', 'text_color', 'text_align', 'lines', 'i18n_content'];
export const HEADER_COLORS = [
  'blue', 'wathet', 'turquoise', 'green', 'yellow', 'orange', 'red', 'carmine', 'violet', 'purple', 'indigo',
  'grey', 'default',
] as const;
const BUTTON_TYPES = [
  'default', 'primary', 'danger', 'text', 'primary_text', 'danger_text', 'primary_filled', 'danger_filled', 'laser',
];
const TABLE_DATA_TYPES = ['text', 'lark_md', 'options', 'number', 'persons', 'date', 'markdown'];
const TABLE_COLUMN_PROPS = ['name', 'display_name', 'width', 'horizontal_align', 'data_type', 'format', 'date_format'];
const ASPECT_RATIOS = ['1:1', '2:1', '4:3', '16:9'];

type Obj = Record<string, unknown>;

// ---- value ranges ------------------------------------------------------------------------------------
// Each rule cites the Card JSON 2.0 page it comes from. Where a page gives no range, only the type is checked.

/** "Npx" with N an integer in [min, max] (max may be Infinity). */
function pxIn(v: unknown, min: number, max: number): boolean {
  if (typeof v !== 'string') return false;
  const m = /^(-?\d+)px$/.exec(v);
  return m !== null && Number(m[1]) >= min && Number(m[1]) <= max;
}

/** An enum value or "Npx" within [min, max]. */
function enumOrPx(v: unknown, values: readonly string[], min: number, max: number): boolean {
  return (typeof v === 'string' && values.includes(v)) || pxIn(v, min, max);
}

/**
 * margin / padding: one to four space-separated values ("0", "8px", "4px 12px 4px 12px"), each "0" or "Npx"
 * in [min, max]. Component pages: margin "支持范围 [-99,99]px"; container padding "[0,99]px".
 */
function boxIn(v: unknown, min: number, max: number): boolean {
  if (typeof v !== 'string') return false;
  const parts = v.trim().split(/\s+/);
  return parts.length >= 1 && parts.length <= 4 && parts.every((p) => p === '0' || pxIn(p, min, max));
}

// Spacings of containers (column_set horizontal_spacing; form/column/body vertical_spacing): small, medium,
// large, extra_large or [0,99]px. https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/containers/column-set, https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/containers/form-container
const SPACINGS = ['small', 'medium', 'large', 'extra_large'];
// markdown text_size. https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/content-components/rich-text
const TEXT_SIZES = [
  'heading-0', 'heading-1', 'heading-2', 'heading-3', 'heading-4', 'heading', 'normal', 'notation', 'xxxx-large',
  'xxx-large', 'xx-large', 'x-large', 'large', 'medium', 'small', 'x-small',
];
const ALIGNS = ['left', 'center', 'right'];
// column_set flex_mode. https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/containers/column-set
const FLEX_MODES = ['none', 'stretch', 'flow', 'bisect', 'trisect'];
// button size. https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/interactive-components/button
const BUTTON_SIZES = ['tiny', 'small', 'medium', 'large'];
// table row_height: low, middle, high, auto or [32,124]px. https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/content-components/table
const ROW_HEIGHTS = ['low', 'middle', 'high', 'auto'];
// input input_type. https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/interactive-components/input
const INPUT_TYPES = ['text', 'multiline_text', 'password'];

function checkRange(ctx: Ctx, at: string, name: string, v: unknown, ok: (v: unknown) => boolean, expected: string): void {
  if (v !== undefined && !ok(v)) ctx.errors.push(`${at}: "${name}" ${JSON.stringify(v)} is not ${expected}`);
}

/** Percentage column width, e.g. "25%" (1-100). */
const PERCENT = /^(100|[1-9]\d?)(\.\d+)?%$/;

const isInt = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** Properties shared by many tags: margin, padding, spacings, text_size/text_align, width of fields. */
function checkCommonValues(ctx: Ctx, at: string, el: Obj): void {
  // margin: "默认值 "0"，支持范围 [-99,99]px" on every 2.0 component page (e.g. https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/content-components/table).
  checkRange(ctx, at, 'margin', el.margin, (v) => boxIn(v, -99, 99), 'one to four of 0 / [-99,99]px');
  // padding of containers: [0,99]px. https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/containers/column-set, https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/containers/form-container
  checkRange(ctx, at, 'padding', el.padding, (v) => boxIn(v, 0, 99), 'one to four of 0 / [0,99]px');
  for (const k of ['horizontal_spacing', 'vertical_spacing'] as const) {
    checkRange(ctx, at, k, el[k], (v) => enumOrPx(v, SPACINGS, 0, 99), `${SPACINGS.join('/')} or [0,99]px`);
  }
  checkRange(ctx, at, 'horizontal_align', el.horizontal_align, (v) => ALIGNS.includes(v as string), ALIGNS.join('/'));
}

/** `<font …>` is a rich-text (markdown) tag; it is documented as inline text colouring, closed on the same line. */
const FONT_TAG = /<font\b[^>]*>([\s\S]*?)<\/font>/g;

/**
 * The rich-text page documents coloured text as `<font color='red'>text</font>` around inline text
 * (https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/content-components/rich-text); a tag left open across a line break shows as literal tags on the clients. One
 * `<font>` per line.
 */
function checkFontMarkup(ctx: Ctx, at: string, text: unknown): void {
  if (typeof text !== 'string' || !text.includes('<font')) return;
  for (const m of text.matchAll(FONT_TAG)) {
    if (m[1].includes('\n')) {
      ctx.errors.push(`${at}: a <font> tag spans a line break; close it on each line (one <font> per line)`);
      return;
    }
  }
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Ctx {
  errors: string[];
  names: Map<string, string>; // name → path of first use
  charts: number;
  tables: number;
}

/** Where an element sits: at the body root, inside a form, or inside some other container. */
interface Place {
  root: boolean;
  inForm: boolean;
}

function unknownProps(ctx: Ctx, path: string, obj: Obj, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) ctx.errors.push(`${path}: unknown property "${key}"`);
  }
}

function checkText(ctx: Ctx, path: string, v: unknown, required: boolean): void {
  if (v === undefined) {
    if (required) ctx.errors.push(`${path}: missing text object`);
    return;
  }
  if (!isObj(v)) {
    ctx.errors.push(`${path}: must be a text object {tag, content}`);
    return;
  }
  if (v.tag !== 'plain_text' && v.tag !== 'lark_md') ctx.errors.push(`${path}.tag: must be plain_text or lark_md`);
  if (typeof v.content !== 'string') ctx.errors.push(`${path}.content: must be a string`);
  unknownProps(ctx, path, v, TEXT_PROPS);
}

function claimName(ctx: Ctx, path: string, name: unknown): void {
  if (typeof name !== 'string' || name === '') {
    ctx.errors.push(`${path}: "name" must be a non-empty string`);
    return;
  }
  const first = ctx.names.get(name);
  if (first) ctx.errors.push(`${path}: duplicate name "${name}" (first used at ${first})`);
  else ctx.names.set(name, path);
}

function checkBehaviors(ctx: Ctx, path: string, v: unknown): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) {
    ctx.errors.push(`${path}.behaviors: must be an array`);
    return;
  }
  v.forEach((b, i) => {
    const p = `${path}.behaviors[${i}]`;
    if (!isObj(b)) {
      ctx.errors.push(`${p}: must be an object`);
      return;
    }
    if (b.type === 'callback') {
      if (!isObj(b.value)) ctx.errors.push(`${p}: a callback behavior needs an object "value"`);
      unknownProps(ctx, p, b, ['type', 'value']);
    } else if (b.type === 'open_url') {
      if (typeof b.default_url !== 'string') ctx.errors.push(`${p}: an open_url behavior needs "default_url"`);
      unknownProps(ctx, p, b, ['type', 'default_url', 'pc_url', 'ios_url', 'android_url']);
    } else {
      ctx.errors.push(`${p}: unknown behavior type ${JSON.stringify(b.type)}`);
    }
  });
}

function checkOptions(ctx: Ctx, path: string, el: Obj): string[] {
  const values: string[] = [];
  if (!Array.isArray(el.options) || el.options.length === 0) {
    ctx.errors.push(`${path}: "options" must be a non-empty array`);
    return values;
  }
  el.options.forEach((o, i) => {
    const p = `${path}.options[${i}]`;
    if (!isObj(o)) {
      ctx.errors.push(`${p}: must be an object {text, value}`);
      return;
    }
    checkText(ctx, `${p}.text`, o.text, true);
    if (typeof o.value !== 'string') ctx.errors.push(`${p}.value: must be a string`);
    else values.push(o.value);
    unknownProps(ctx, p, o, ['text', 'value', 'icon']);
  });
  return values;
}

function checkElements(ctx: Ctx, path: string, v: unknown, place: Place): void {
  if (!Array.isArray(v)) {
    ctx.errors.push(`${path}: "elements" must be an array`);
    return;
  }
  v.forEach((el, i) => checkElement(ctx, `${path}[${i}]`, el, place));
}

function checkElement(ctx: Ctx, path: string, el: unknown, place: Place): void {
  if (!isObj(el)) {
    ctx.errors.push(`${path}: element must be an object`);
    return;
  }
  const tag = el.tag;
  if (typeof tag !== 'string' || !(tag in ELEMENT_PROPS)) {
    ctx.errors.push(`${path}: unknown tag ${JSON.stringify(tag)}`);
    return;
  }
  const at = `${path} (${tag})`;
  unknownProps(ctx, at, el, [...COMMON, ...ELEMENT_PROPS[tag]]);
  checkCommonValues(ctx, at, el);
  const nested: Place = { root: false, inForm: place.inForm };

  if (FIELD_TAGS.has(tag)) {
    if (place.inForm || el.name !== undefined) claimName(ctx, at, el.name);
    if (!place.inForm && el.required !== undefined) ctx.errors.push(`${at}: "required" only works inside a form`);
    checkBehaviors(ctx, at, el.behaviors);
    checkText(ctx, `${at}.placeholder`, el.placeholder, false);
    // Field width: default, fill or [100,∞)px (input, select, date picker pages, e.g.
    // https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/interactive-components/input).
    if (tag !== 'checker') checkRange(ctx, at, 'width', el.width, (v) => enumOrPx(v, ['default', 'fill'], 100, Infinity), 'default/fill or [100,∞)px');
  }

  switch (tag) {
    case 'markdown':
      if (typeof el.content !== 'string') ctx.errors.push(`${at}: "content" must be a string`);
      checkRange(ctx, at, 'text_size', el.text_size, (v) => TEXT_SIZES.includes(v as string), TEXT_SIZES.join('/'));
      checkRange(ctx, at, 'text_align', el.text_align, (v) => ALIGNS.includes(v as string), ALIGNS.join('/'));
      checkFontMarkup(ctx, at, el.content);
      break;
    case 'div':
      if (el.text === undefined && el.fields === undefined) ctx.errors.push(`${at}: needs "text" or "fields"`);
      checkText(ctx, `${at}.text`, el.text, false);
      if (isObj(el.text) && el.text.tag === 'lark_md') checkFontMarkup(ctx, `${at}.text`, el.text.content);
      break;
    case 'img':
      if (typeof el.img_key !== 'string') ctx.errors.push(`${at}: "img_key" must be a string`);
      break;
    case 'column_set':
      if (!Array.isArray(el.columns)) {
        ctx.errors.push(`${at}: "columns" must be an array`);
        break;
      }
      checkRange(ctx, at, 'flex_mode', el.flex_mode, (v) => FLEX_MODES.includes(v as string), FLEX_MODES.join('/'));
      el.columns.forEach((col, i) => {
        const p = `${at}.columns[${i}]`;
        if (!isObj(col) || col.tag !== 'column') {
          ctx.errors.push(`${p}: must be a {tag: "column"} object`);
          return;
        }
        unknownProps(ctx, p, col, COLUMN_PROPS);
        checkCommonValues(ctx, p, col);
        // column width: auto, weighted or [16,600]px; weight: an integer 1-5 (with width "weighted").
        // https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/containers/column-set
        checkRange(ctx, p, 'width', col.width, (v) => enumOrPx(v, ['auto', 'weighted'], 16, 600), 'auto/weighted or [16,600]px');
        checkRange(ctx, p, 'weight', col.weight, (v) => isInt(v, 1, 5), 'an integer 1-5');
        checkRange(ctx, p, 'vertical_align', col.vertical_align, (v) => ['top', 'center', 'bottom'].includes(v as string), 'top/center/bottom');
        checkElements(ctx, `${p}.elements`, col.elements ?? [], nested);
      });
      break;
    case 'form':
      if (!place.root) ctx.errors.push(`${at}: a form may only sit at the body root`);
      claimName(ctx, at, el.name);
      checkElements(ctx, `${at}.elements`, el.elements, { root: false, inForm: true });
      if (!containsSubmit(el.elements)) ctx.errors.push(`${at}: has no button with form_action_type "submit"`);
      break;
    case 'collapsible_panel': {
      // Collapsible panel (JSON 2.0): a header with a plain_text or markdown title; "折叠面板不支持内嵌表单容器（form）组件";
      // a table may only sit at the body root (table page: "表格组件不可被内嵌在其它组件内，只可放在卡片根节点下").
      // https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/containers/collapsible-panel
      if (place.inForm) ctx.errors.push(`${at}: a collapsible_panel may not sit inside a form`);
      if (el.expanded !== undefined && typeof el.expanded !== 'boolean') ctx.errors.push(`${at}: "expanded" must be a boolean`);
      if (!isObj(el.header)) ctx.errors.push(`${at}: "header" must be an object`);
      else {
        unknownProps(ctx, `${at}.header`, el.header, PANEL_HEADER_PROPS);
        const title = el.header.title;
        if (title !== undefined) {
          if (!isObj(title) || (title.tag !== 'plain_text' && title.tag !== 'markdown') || typeof title.content !== 'string') {
            ctx.errors.push(`${at}.header.title: must be {tag: "plain_text" | "markdown", content}`);
          } else unknownProps(ctx, `${at}.header.title`, title, TEXT_PROPS);
        }
        checkRange(ctx, `${at}.header`, 'width', el.header.width, (v) => ['fill', 'auto', 'auto_when_fold'].includes(v as string), 'fill/auto/auto_when_fold');
        checkRange(ctx, `${at}.header`, 'icon_position', el.header.icon_position, (v) => ['left', 'right', 'follow_text'].includes(v as string), 'left/right/follow_text');
        checkRange(ctx, `${at}.header`, 'icon_expanded_angle', el.header.icon_expanded_angle, (v) => [-180, -90, 90, 180].includes(v as number), '-180/-90/90/180');
      }
      if (el.border !== undefined) {
        if (!isObj(el.border)) ctx.errors.push(`${at}: "border" must be an object`);
        else unknownProps(ctx, `${at}.border`, el.border, PANEL_BORDER_PROPS);
      }
      if (Array.isArray(el.elements)) {
        el.elements.forEach((child, i) => {
          if (isObj(child) && child.tag === 'form') ctx.errors.push(`${at}.elements[${i}]: a form may not sit inside a collapsible_panel`);
        });
      }
      checkElements(ctx, `${at}.elements`, el.elements ?? [], nested);
      break;
    }
    case 'table':
      ctx.tables++;
      if (!place.root) {
        ctx.errors.push(place.inForm ? `${at}: a table may not sit inside a form` : `${at}: a table may only sit at the body root`);
      }
      checkTable(ctx, at, el);
      break;
    case 'chart':
      ctx.charts++;
      if (place.inForm) ctx.errors.push(`${at}: a chart may not sit inside a form`);
      // chart_spec: a VChart spec object with a chart "type"; the page forbids JavaScript (functions) in it.
      // https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/content-components/chart
      if (!isObj(el.chart_spec)) ctx.errors.push(`${at}: "chart_spec" must be an object`);
      else {
        if (typeof el.chart_spec.type !== 'string' || el.chart_spec.type === '') ctx.errors.push(`${at}: "chart_spec.type" must be a chart type string`);
        if (containsFunction(el.chart_spec)) ctx.errors.push(`${at}: "chart_spec" may not contain functions`);
      }
      if (el.aspect_ratio !== undefined && !ASPECT_RATIOS.includes(el.aspect_ratio as string)) {
        ctx.errors.push(`${at}: "aspect_ratio" must be one of ${ASPECT_RATIOS.join(', ')}`);
      }
      break;
    case 'button':
      checkText(ctx, `${at}.text`, el.text, true);
      if (el.type !== undefined && !BUTTON_TYPES.includes(el.type as string)) {
        ctx.errors.push(`${at}: unknown button type ${JSON.stringify(el.type)}`);
      }
      // size: tiny/small/medium/large; width: default, fill or [100,∞)px. https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/interactive-components/button
      checkRange(ctx, at, 'size', el.size, (v) => BUTTON_SIZES.includes(v as string), BUTTON_SIZES.join('/'));
      checkRange(ctx, at, 'width', el.width, (v) => enumOrPx(v, ['default', 'fill'], 100, Infinity), 'default/fill or [100,∞)px');
      checkBehaviors(ctx, at, el.behaviors);
      if (place.inForm) {
        if (el.form_action_type !== 'submit' && el.form_action_type !== 'reset') {
          ctx.errors.push(`${at}: a button inside a form needs form_action_type "submit" or "reset"`);
        }
        claimName(ctx, at, el.name);
      } else if (el.form_action_type !== undefined) {
        ctx.errors.push(`${at}: form_action_type only works inside a form`);
      }
      break;
    case 'input':
      checkText(ctx, `${at}.label`, el.label, false);
      // max_length: [1,1000]; input_type: text/multiline_text/password; rows: the page gives a default (5) but no
      // range, so only a positive integer is required. https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/interactive-components/input
      checkRange(ctx, at, 'max_length', el.max_length, (v) => isInt(v, 1, 1000), 'an integer 1-1000');
      checkRange(ctx, at, 'input_type', el.input_type, (v) => INPUT_TYPES.includes(v as string), INPUT_TYPES.join('/'));
      checkRange(ctx, at, 'rows', el.rows, (v) => isInt(v, 1, Number.MAX_SAFE_INTEGER), 'a positive integer');
      break;
    case 'select_static': {
      const values = checkOptions(ctx, at, el);
      if (el.initial_option !== undefined && !values.includes(el.initial_option as string)) {
        ctx.errors.push(`${at}: initial_option ${JSON.stringify(el.initial_option)} is not an option value`);
      }
      break;
    }
    case 'multi_select_static': {
      const values = checkOptions(ctx, at, el);
      if (el.selected_values !== undefined) {
        if (!Array.isArray(el.selected_values)) ctx.errors.push(`${at}: "selected_values" must be an array`);
        else {
          for (const s of el.selected_values) {
            if (!values.includes(s as string)) ctx.errors.push(`${at}: selected value ${JSON.stringify(s)} is not an option value`);
          }
        }
      }
      break;
    }
    case 'date_picker':
      if (el.initial_date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(el.initial_date))) {
        ctx.errors.push(`${at}: "initial_date" must be YYYY-MM-DD`);
      }
      break;
    case 'checker':
      checkText(ctx, `${at}.text`, el.text, false);
      if (isObj(el.button_area) && Array.isArray(el.button_area.buttons)) {
        el.button_area.buttons.forEach((b, i) => {
          const p = `${at}.button_area.buttons[${i}]`;
          if (!isObj(b) || b.tag !== 'button') ctx.errors.push(`${p}: must be a button`);
          else checkElement(ctx, p, b, nested);
        });
      }
      break;
  }
}

function containsSubmit(elements: unknown): boolean {
  if (!Array.isArray(elements)) return false;
  return elements.some((el) => {
    if (!isObj(el)) return false;
    if (el.tag === 'button' && el.form_action_type === 'submit') return true;
    if (el.tag === 'column_set' && Array.isArray(el.columns)) {
      return el.columns.some((c) => isObj(c) && containsSubmit(c.elements));
    }
    return false;
  });
}

function containsFunction(v: unknown): boolean {
  if (typeof v === 'function') return true;
  if (Array.isArray(v)) return v.some(containsFunction);
  return isObj(v) && Object.values(v).some(containsFunction);
}

// Table rules: page_size an integer [1,10]; row_height low/middle/high/auto or [32,124]px; row_max_height
// [32,999]px; column width auto, [80,600]px or a percentage. https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/content-components/table
function checkTable(ctx: Ctx, at: string, el: Obj): void {
  checkRange(ctx, at, 'row_height', el.row_height, (v) => enumOrPx(v, ROW_HEIGHTS, 32, 124), 'low/middle/high/auto or [32,124]px');
  checkRange(ctx, at, 'row_max_height', el.row_max_height, (v) => pxIn(v, 32, 999), '[32,999]px');
  if (el.page_size !== undefined) {
    const n = el.page_size;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 10) {
      ctx.errors.push(`${at}: "page_size" must be an integer 1-10`);
    }
  }
  if (!Array.isArray(el.columns) || el.columns.length === 0 || el.columns.length > 10) {
    ctx.errors.push(`${at}: "columns" must be an array of 1-10 columns`);
    return;
  }
  const names = new Set<string>();
  const mdColumns: string[] = [];
  el.columns.forEach((c, i) => {
    const p = `${at}.columns[${i}]`;
    if (!isObj(c)) {
      ctx.errors.push(`${p}: must be an object`);
      return;
    }
    unknownProps(ctx, p, c, TABLE_COLUMN_PROPS);
    if (typeof c.name !== 'string' || c.name === '') ctx.errors.push(`${p}: "name" must be a non-empty string`);
    else names.add(c.name);
    if (!TABLE_DATA_TYPES.includes(c.data_type as string)) {
      ctx.errors.push(`${p}: "data_type" must be one of ${TABLE_DATA_TYPES.join(', ')}`);
    }
    checkRange(ctx, p, 'width', c.width, (v) => v === 'auto' || pxIn(v, 80, 600) || PERCENT.test(String(v)), 'auto, [80,600]px or a percentage');
    checkRange(ctx, p, 'horizontal_align', c.horizontal_align, (v) => ALIGNS.includes(v as string), ALIGNS.join('/'));
    if (c.data_type === 'lark_md' || c.data_type === 'markdown') mdColumns.push(String(c.name));
  });
  if (!Array.isArray(el.rows)) {
    ctx.errors.push(`${at}: "rows" must be an array`);
    return;
  }
  el.rows.forEach((r, i) => {
    if (!isObj(r)) ctx.errors.push(`${at}.rows[${i}]: must be an object`);
    else {
      for (const k of Object.keys(r)) if (!names.has(k)) ctx.errors.push(`${at}.rows[${i}]: no column named "${k}"`);
      // Text colour (<font color=…>) is documented for the rich-text component, not for table cells: the table
      // page (above) does not mention it for lark_md/markdown cells, and an unrendered tag shows as literal text.
      // Colour belongs in a markdown element, not a table cell.
      for (const k of mdColumns) {
        if (typeof r[k] === 'string' && /<font\b/i.test(r[k])) ctx.errors.push(`${at}.rows[${i}].${k}: <font> colour is not documented for table cells`);
      }
    }
  });
}

/** Checks a Card JSON 2.0 document. Never throws. */
export function validateCard(card: unknown): CardValidation {
  const ctx: Ctx = { errors: [], names: new Map(), charts: 0, tables: 0 };
  if (!isObj(card)) return { ok: false, errors: ['card must be a JSON object'] };

  if (card.schema !== '2.0') ctx.errors.push('schema: must be "2.0"');
  unknownProps(ctx, 'card', card, TOP_PROPS);

  if (card.config !== undefined) {
    if (!isObj(card.config)) ctx.errors.push('config: must be an object');
    else {
      unknownProps(ctx, 'config', card.config, CONFIG_PROPS);
      if (card.config.update_multi !== undefined && card.config.update_multi !== true) {
        ctx.errors.push('config.update_multi: 2.0 cards only support true');
      }
    }
  }

  if (card.header !== undefined) {
    if (!isObj(card.header)) ctx.errors.push('header: must be an object');
    else {
      unknownProps(ctx, 'header', card.header, HEADER_PROPS);
      checkText(ctx, 'header.title', card.header.title, true);
      checkText(ctx, 'header.subtitle', card.header.subtitle, false);
      const t = card.header.template;
      if (t !== undefined && !(HEADER_COLORS as readonly string[]).includes(t as string)) {
        ctx.errors.push(`header.template: unknown color ${JSON.stringify(t)}`);
      }
    }
  }

  if (!isObj(card.body)) ctx.errors.push('body: must be an object with "elements"');
  else {
    unknownProps(ctx, 'body', card.body, BODY_PROPS);
    checkCommonValues(ctx, 'body', card.body);
    checkElements(ctx, 'body.elements', card.body.elements, { root: true, inForm: false });
  }

  if (ctx.charts > MAX_CHARTS) ctx.errors.push(`card has ${ctx.charts} charts; at most ${MAX_CHARTS} are allowed`);
  if (ctx.tables > MAX_TABLES) ctx.errors.push(`card has ${ctx.tables} tables; at most ${MAX_TABLES} are allowed`);

  const size = cardWireSize(card);
  if (size > CARD_MAX_BYTES) {
    ctx.errors.push(`card is ${size} bytes as a message body's content; the limit is ${CARD_MAX_BYTES} bytes (30 KB body less ${CARD_BODY_MARGIN} for its other fields)`);
  }

  return ctx.errors.length === 0 ? { ok: true } : { ok: false, errors: ctx.errors };
}

/** Throws when the card breaks a rule (a programming error: our builders must produce valid cards). */
export function assertValidCard(card: unknown): void {
  const result = validateCard(card);
  if (!result.ok) throw new Error(`invalid card:\n- ${result.errors.join('\n- ')}`);
}
