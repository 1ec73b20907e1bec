// 科招助手 本地沙盒: a small stand-in of the Lark client. Lists the demo people and their chats, shows the
// bot's messages and Card JSON 2.0 cards, and turns typing and clicking into calls to the sandbox API, which
// posts them to the bot as signed Lark callbacks. Plain DOM, no framework, no network beyond this server.
// All user-visible text is Chinese; every piece of card text is set as text (never parsed as HTML).

const POLL_MS = 1000;
const BURST_MS = 250;
const BURST_FOR_MS = 4000;
const TOAST_MS = 6000;

const $ = (id) => document.getElementById(id);

const app = {
  bot: { openId: '', name: '科招助手' },
  group: { chatId: '', name: '' },
  people: [],
  /** open_id → display name, for @mentions in cards. */
  names: new Map(),
  person: null,
  chatId: null,
  /** chatId → { messages: Map(id → view), stamp } */
  chats: new Map(),
  /** `${person}|${chatId}` → how many messages were seen. */
  seen: new Map(),
  /** chatId → chat info from the server */
  chatInfo: new Map(),
  burstUntil: 0,
  pollTimer: 0,
  polling: false,
  uid: 0,
};

const nextId = (prefix) => `${prefix}-${++app.uid}`;

// ---------------------------------------------------------------------------------------------------------
// HTTP

async function request(method, path, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    if (body instanceof Blob || body instanceof ArrayBuffer) {
      init.body = body;
      init.headers['content-type'] = 'application/octet-stream';
    } else {
      init.body = JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
  }
  const res = await fetch(path, init);
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) throw new Error((data && data.error) || `请求失败（HTTP ${res.status}）`);
  return data;
}

// ---------------------------------------------------------------------------------------------------------
// Small DOM helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'className') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== undefined && c !== null) node.append(c);
  return node;
}

const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const textOf = (t) => (isObj(t) && typeof t.content === 'string' ? t.content : typeof t === 'string' ? t : '');
const safeClass = (s) => (typeof s === 'string' && /^[a-z_-]{1,20}$/.test(s) ? s : '');

function formatTime(ms) {
  const d = new Date(ms);
  return d.toLocaleTimeString('zh-CN', { hour12: false });
}

// ---------------------------------------------------------------------------------------------------------
// Toasts

function toast(type, content) {
  if (!content) return;
  const kind = ['info', 'success', 'warning', 'error'].includes(type) ? type : 'info';
  const label = { info: '提示', success: '成功', warning: '注意', error: '错误' }[kind];
  const node = el('div', { className: `toast ${kind}` }, el('span', { className: 'sr-only', text: `${label}：` }), content);
  $('toasts').append(node);
  setTimeout(() => node.remove(), TOAST_MS);
}

// ---------------------------------------------------------------------------------------------------------
// Markdown (the safe subset cards use): bold, italics, strikethrough, code, links shown as text,
// <font color>, <at>, <text_tag>, <br>, lists, headings, line breaks, HTML entities.

function decodeEntities(s) {
  return s
    .replace(/&#(\d{1,7});/g, (m, n) => safeCodePoint(Number(n), m))
    .replace(/&#x([0-9a-f]{1,6});/gi, (m, n) => safeCodePoint(parseInt(n, 16), m))
    .replace(/&(amp|lt|gt|quot|apos|nbsp);/g, (m, n) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' })[n]);
}

function safeCodePoint(n, fallback) {
  try {
    return String.fromCodePoint(n);
  } catch {
    return fallback;
  }
}

function nameOf(openId) {
  if (openId === 'all') return '所有人';
  return app.names.get(openId) || `用户${String(openId).slice(-4)}`;
}

/** Appends the inline markdown `s` to `parent`. */
function inline(s, parent) {
  let buf = '';
  const flush = () => {
    if (buf) parent.append(document.createTextNode(decodeEntities(buf)));
    buf = '';
  };
  const wrap = (tag, cls, inner) => {
    flush();
    const node = el(tag, cls ? { className: cls } : {});
    inline(inner, node);
    parent.append(node);
  };
  let i = 0;
  while (i < s.length) {
    const rest = s.slice(i);
    let m;
    if (rest.startsWith('**')) {
      const end = s.indexOf('**', i + 2);
      if (end > i + 2) { wrap('strong', '', s.slice(i + 2, end)); i = end + 2; continue; }
    }
    if (rest.startsWith('~~')) {
      const end = s.indexOf('~~', i + 2);
      if (end > i + 2) { wrap('del', '', s.slice(i + 2, end)); i = end + 2; continue; }
    }
    if (s[i] === '*' && s[i + 1] !== ' ') {
      const end = s.indexOf('*', i + 1);
      if (end > i + 1) { wrap('em', '', s.slice(i + 1, end)); i = end + 1; continue; }
    }
    if (s[i] === '`') {
      const end = s.indexOf('`', i + 1);
      if (end > i + 1) { flush(); parent.append(el('code', { text: decodeEntities(s.slice(i + 1, end)) })); i = end + 1; continue; }
    }
    if (s[i] === '[' && (m = /^\[([^\]\n]*)\]\(([^)\s]*)\)/.exec(rest))) {
      flush();
      const span = el('span', { className: 'link', title: `链接：${decodeEntities(m[2])}（沙盒中不打开）` });
      inline(m[1], span);
      parent.append(span);
      i += m[0].length;
      continue;
    }
    if (s[i] === '<') {
      if ((m = /^<br\s*\/?>/i.exec(rest))) { flush(); parent.append(el('br')); i += m[0].length; continue; }
      if ((m = /^<at\s+(?:id|user_id|open_id|email)\s*=\s*['"]?([^'"\s>]+)['"]?\s*>([\s\S]*?)<\/at>/i.exec(rest))) {
        flush();
        parent.append(el('span', { className: 'at', text: `@${nameOf(m[1])}` }));
        i += m[0].length;
        continue;
      }
      if ((m = /^<font\s+color\s*=\s*['"]?([a-z-]+)['"]?\s*>/i.exec(rest))) {
        const close = s.indexOf('</font>', i + m[0].length);
        if (close > 0) {
          const cls = safeClass(m[1].toLowerCase());
          wrap('span', cls ? `c-${cls}` : '', s.slice(i + m[0].length, close));
          i = close + '</font>'.length;
          continue;
        }
      }
      if ((m = /^<text_tag(?:\s+color\s*=\s*['"]?([a-z-]+)['"]?)?\s*>([\s\S]*?)<\/text_tag>/i.exec(rest))) {
        wrap('span', 'tag', m[2]);
        i += m[0].length;
        continue;
      }
    }
    buf += s[i];
    i += 1;
  }
  flush();
}

/** Renders a markdown text into a block element. */
function markdown(content, className = 'md') {
  const root = el('div', { className });
  const lines = String(content ?? '').replace(/\r\n?/g, '\n').split('\n');
  let list = null;
  for (const line of lines) {
    let m;
    if ((m = /^\s*[-*+]\s+(.*)$/.exec(line))) {
      if (!list || list.tagName !== 'UL') { list = el('ul'); root.append(list); }
      const li = el('li');
      inline(m[1], li);
      list.append(li);
      continue;
    }
    if ((m = /^\s*(\d+)\.\s+(.*)$/.exec(line))) {
      if (!list || list.tagName !== 'OL') { list = el('ol', { start: m[1] }); root.append(list); }
      const li = el('li');
      inline(m[2], li);
      list.append(li);
      continue;
    }
    list = null;
    if ((m = /^#{1,6}\s+(.*)$/.exec(line))) {
      const p = el('p', { className: 'md-h' });
      inline(m[1], p);
      root.append(p);
      continue;
    }
    if (/^\s*-{3,}\s*$/.test(line)) { root.append(el('hr')); continue; }
    const p = el('p');
    if (line.trim() === '') p.append('\u00a0');
    else inline(line, p);
    root.append(p);
  }
  return root;
}

// ---------------------------------------------------------------------------------------------------------
// Cards (Card JSON 2.0)

/** What a rendered card needs to talk back: its message, and the form being built. */
function cardContext(view) {
  return { messageId: view.id, chatId: view.chatId, root: null, form: null, lastLabelId: null };
}

function renderCard(card, view) {
  const ctx = cardContext(view);
  const root = el('article', { className: 'card', tabindex: '-1' });
  ctx.root = root;
  const head = isObj(card.header) ? card.header : null;
  const title = head ? textOf(head.title) : '';
  if (head) {
    const h = el('header', { className: `card-header tpl-${safeClass(head.template) || 'default'}` });
    const titleId = nextId('card-title');
    h.append(el('h3', { id: titleId, text: title }));
    root.setAttribute('aria-labelledby', titleId);
    const subtitle = textOf(head.subtitle);
    if (subtitle) h.append(el('p', { className: 'subtitle', text: subtitle }));
    const tags = Array.isArray(head.text_tag_list) ? head.text_tag_list : [];
    if (tags.length) h.append(el('div', { className: 'tags' }, tags.map((t) => el('span', { className: 'tag', text: textOf(t && t.text) }))));
    root.append(h);
  } else {
    root.setAttribute('aria-label', '卡片');
  }
  const body = el('div', { className: 'card-body' });
  const elements = isObj(card.body) && Array.isArray(card.body.elements) ? card.body.elements : Array.isArray(card.elements) ? card.elements : [];
  renderElements(elements, body, ctx);
  root.append(body);
  if (Array.isArray(view.cardErrors) && view.cardErrors.length) {
    root.append(el('div', { className: 'card-errors', role: 'note' },
      '此卡片不符合卡片 JSON 2.0 规范，飞书会拒绝发送：',
      el('ul', {}, view.cardErrors.map((e) => el('li', { text: e })))));
  }
  return root;
}

function renderElements(elements, parent, ctx) {
  for (const e of elements) {
    const node = renderElement(e, ctx);
    if (node) parent.append(node);
  }
}

function renderElement(e, ctx) {
  if (!isObj(e)) return null;
  const labelId = ctx.lastLabelId;
  ctx.lastLabelId = null;
  switch (e.tag) {
    case 'markdown': {
      const node = markdown(e.content, `md${e.text_size ? ` size-${safeClass(e.text_size)}` : ''}${e.text_align ? ` align-${safeClass(e.text_align)}` : ''}`);
      node.id = nextId('md');
      ctx.lastLabelId = node.id;
      return node;
    }
    case 'div':
      return renderDiv(e, ctx);
    case 'hr':
      return el('hr');
    case 'img':
      return el('div', { className: 'img-placeholder', role: 'img', 'aria-label': textOf(e.alt) || '图片' }, `［图片${textOf(e.alt) ? `：${textOf(e.alt)}` : ''}，沙盒中不显示］`);
    case 'column_set':
      return renderColumns(e, ctx);
    case 'collapsible_panel':
      return renderPanel(e, ctx);
    case 'table':
      return renderTable(e);
    case 'chart':
      return renderChart(e.chart_spec);
    case 'form':
      return renderForm(e, ctx);
    case 'button':
      return renderButton(e, ctx);
    case 'input':
    case 'select_static':
    case 'multi_select_static':
    case 'date_picker':
    case 'checker':
      return renderField(e, ctx, labelId);
    default:
      return el('div', { className: 'unknown', text: `［沙盒暂不支持显示「${String(e.tag)}」元素］` });
  }
}

function renderDiv(e) {
  const box = el('div');
  if (e.text) {
    const t = e.text;
    box.append(t.tag === 'lark_md' ? markdown(t.content) : el('p', { className: 'md', text: textOf(t) }));
  }
  if (Array.isArray(e.fields)) {
    const grid = el('div', { className: 'fields-grid' });
    for (const f of e.fields) {
      const t = f && f.text;
      const node = t && t.tag === 'lark_md' ? markdown(t.content) : el('p', { className: 'md', text: textOf(t) });
      if (!f.is_short) node.classList.add('full');
      grid.append(node);
    }
    box.append(grid);
  }
  return box;
}

/** collapsible_panel: a <details> folded unless `expanded`, its header title as the summary. */
function renderPanel(e, ctx) {
  const box = el('details', { className: 'fold', open: e.expanded === true || undefined });
  const title = isObj(e.header) && isObj(e.header.title) ? e.header.title : null;
  const summary = el('summary');
  if (title && title.tag === 'markdown') summary.append(markdown(title.content, 'md inline'));
  else summary.textContent = title ? textOf(title) : '展开';
  box.append(summary);
  const inner = el('div', { className: 'fold-body' });
  renderElements(Array.isArray(e.elements) ? e.elements : [], inner, ctx);
  box.append(inner);
  return box;
}

function renderColumns(e, ctx) {
  const row = el('div', { className: `columns${e.flex_mode === 'flow' || e.flex_mode === 'bisect' || e.flex_mode === 'trisect' ? ' flow' : ''}` });
  for (const c of Array.isArray(e.columns) ? e.columns : []) {
    if (!isObj(c)) continue;
    const col = el('div', { className: `column ${c.width === 'auto' ? 'auto' : 'weighted'}` });
    if (c.width !== 'auto' && Number(c.weight) > 0) col.style.flexGrow = String(Number(c.weight));
    renderElements(Array.isArray(c.elements) ? c.elements : [], col, ctx);
    row.append(col);
  }
  return row;
}

// ---- tables ----

function tableCell(column, value) {
  const td = el('td');
  const type = column.data_type;
  if (value === undefined || value === null || value === '') return td;
  if (type === 'number') {
    td.className = 'num';
    const n = Number(value);
    const digits = isObj(column.format) && Number.isInteger(column.format.precision) ? column.format.precision : undefined;
    td.textContent = Number.isFinite(n) ? n.toLocaleString('zh-CN', digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits }) : String(value);
  } else if (type === 'lark_md' || type === 'markdown') {
    td.append(markdown(String(value)));
  } else if (type === 'options') {
    for (const o of Array.isArray(value) ? value : [value]) td.append(el('span', { className: 'tag', text: isObj(o) ? String(o.text ?? '') : String(o) }));
  } else if (type === 'persons') {
    td.textContent = (Array.isArray(value) ? value : [value]).map((p) => nameOf(isObj(p) ? p.id : p)).join('、');
  } else if (type === 'date') {
    const d = new Date(Number(value));
    td.textContent = Number.isFinite(d.getTime()) ? d.toLocaleDateString('zh-CN') : String(value);
  } else {
    td.textContent = isObj(value) || Array.isArray(value) ? JSON.stringify(value) : String(value);
  }
  if (column.horizontal_align === 'right') td.classList.add('num');
  return td;
}

function renderTable(e) {
  const columns = (Array.isArray(e.columns) ? e.columns : []).filter(isObj);
  const rows = (Array.isArray(e.rows) ? e.rows : []).filter(isObj);
  const pageSize = Number.isInteger(e.page_size) && e.page_size > 0 ? e.page_size : 5;
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  let page = 0;
  const wrap = el('div', { className: 'table-wrap' });
  const table = el('table');
  const thead = el('thead', {}, el('tr', {}, columns.map((c) => {
    const th = el('th', { scope: 'col', className: c.data_type === 'number' ? 'num' : undefined, text: String(c.display_name ?? c.name ?? '') });
    if (typeof c.width === 'string' && /^\d+(px|%)$/.test(c.width)) th.style.width = c.width;
    // A fixed pixel width is kept as Lark keeps it (the column does not shrink below it).
    if (typeof c.width === 'string' && /^\d+px$/.test(c.width)) th.style.minWidth = c.width;
    return th;
  })));
  const tbody = el('tbody');
  table.append(thead, tbody);
  wrap.append(table);
  const status = el('span', { 'aria-live': 'polite' });
  const prev = el('button', { type: 'button', className: 'btn', text: '上一页', onclick: () => show(page - 1) });
  const next = el('button', { type: 'button', className: 'btn', text: '下一页', onclick: () => show(page + 1) });
  function show(p) {
    page = Math.min(Math.max(0, p), pages - 1);
    tbody.replaceChildren(...rows.slice(page * pageSize, (page + 1) * pageSize).map((r) => el('tr', {}, columns.map((c) => tableCell(c, r[c.name])))));
    status.textContent = `第 ${page + 1} / ${pages} 页，共 ${rows.length} 行`;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }
  show(0);
  if (rows.length === 0) tbody.append(el('tr', {}, el('td', { colspan: String(Math.max(1, columns.length)), className: 'muted', text: '暂无数据' })));
  if (pages > 1) wrap.append(el('div', { className: 'pager' }, status, prev, next));
  return wrap;
}

// ---- charts (VChart specs drawn as simple SVG, with the data as a table) ----

const CHART_TYPES = { bar: '柱状图', line: '折线图', area: '面积图', pie: '饼图' };

function chartValues(spec) {
  let data = spec.data;
  if (Array.isArray(data)) data = data.find((d) => isObj(d) && Array.isArray(d.values)) ?? data[0];
  return isObj(data) && Array.isArray(data.values) ? data.values.filter(isObj) : [];
}

const unique = (xs) => [...new Set(xs)];
const num = (v) => (Number.isFinite(Number(v)) ? Number(v) : 0);
const shortLabel = (s, n) => (Array.from(s).length > n ? `${Array.from(s).slice(0, n - 1).join('')}…` : s);
const fmt = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function chartTitle(spec) {
  const t = spec.title;
  if (isObj(t) && t.visible !== false && typeof t.text === 'string') return t.text;
  if (isObj(t) && Array.isArray(t.text)) return t.text.join('');
  return '';
}

/** Category / value / series fields of a cartesian spec (bar, line, area), whichever direction. */
function cartesianFields(spec) {
  const horizontal = spec.direction === 'horizontal';
  const catField = horizontal ? spec.yField : spec.xField;
  const valField = horizontal ? spec.xField : spec.yField;
  const cat = Array.isArray(catField) ? catField[0] : catField;
  const series = spec.seriesField ?? (Array.isArray(catField) ? catField[1] : undefined);
  return { cat, val: Array.isArray(valField) ? valField[0] : valField, series };
}

function renderChart(spec) {
  const fig = el('figure', { className: 'chart' });
  if (!isObj(spec)) return el('div', { className: 'unknown', text: '［图表缺少 chart_spec］' });
  const title = chartTitle(spec);
  const typeLabel = CHART_TYPES[spec.type] ?? '图表';
  fig.append(el('figcaption', { text: title || typeLabel }));
  const values = chartValues(spec);
  let drawn = null;
  try {
    if (spec.type === 'pie') drawn = drawPie(spec, values, title || typeLabel);
    else if (spec.type === 'bar' || spec.type === 'line' || spec.type === 'area') drawn = drawCartesian(spec, values, title || typeLabel);
  } catch {
    drawn = null;
  }
  if (drawn) fig.append(...drawn);
  else fig.append(el('p', { className: 'muted small', text: `沙盒不绘制「${String(spec.type)}」类型的图表，以下为图表数据。` }));
  fig.append(dataTable(values, !drawn));
  return fig;
}

function dataTable(values, open) {
  const keys = unique(values.flatMap((v) => Object.keys(v)));
  const details = el('details', { open: open || undefined });
  details.append(el('summary', { text: '查看图表数据' }));
  const table = el('table', {},
    el('thead', {}, el('tr', {}, keys.map((k) => el('th', { scope: 'col', text: k })))),
    el('tbody', {}, values.map((v) => el('tr', {}, keys.map((k) => el('td', { className: typeof v[k] === 'number' ? 'num' : undefined, text: v[k] === undefined ? '' : String(v[k]) }))))));
  details.append(el('div', { className: 'table-wrap' }, table));
  return details;
}

function legend(names) {
  return el('ul', { className: 'legend', 'aria-hidden': 'true' }, names.map((n, i) => el('li', {}, el('span', { className: `swatch sw-${i % 8}` }), n)));
}

/** Axis scale: a round step (1, 2, 2.5 or 5 × 10ⁿ; whole numbers for counts) and the top tick above `max`. */
function niceScale(max, integers) {
  if (!(max > 0)) return { step: 1, top: 1 };
  const raw = max / 4;
  const pow = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  if (integers) step = Math.max(1, Math.ceil(step));
  return { step, top: Math.ceil(max / step - 1e-9) * step };
}

function drawCartesian(spec, values, label) {
  const { cat, val, series } = cartesianFields(spec);
  if (!cat || !val || values.length === 0) return null;
  const categories = unique(values.map((v) => String(v[cat] ?? '')));
  const seriesNames = series ? unique(values.map((v) => String(v[series] ?? ''))) : [''];
  const valueAt = (c, s) => values.filter((v) => String(v[cat] ?? '') === c && (!series || String(v[series] ?? '') === s)).reduce((sum, v) => sum + num(v[val]), 0);
  const stacked = spec.stack === true || (spec.type === 'area' && spec.stack !== false && seriesNames.length > 1);
  const totals = categories.map((c) => seriesNames.map((s) => valueAt(c, s)));
  // markLine: horizontal reference lines ({y, label: {text}}) such as 序时进度, drawn dashed across the plot.
  const refLines = (Array.isArray(spec.markLine) ? spec.markLine : isObj(spec.markLine) ? [spec.markLine] : [])
    .filter((m) => isObj(m) && Number.isFinite(Number(m.y)))
    .map((m) => ({ y: Number(m.y), text: isObj(m.label) && typeof m.label.text === 'string' ? m.label.text : '' }));
  const highest = Math.max(0, ...refLines.map((r) => r.y), ...totals.map((row) => (stacked ? row.reduce((a, b) => a + Math.max(0, b), 0) : Math.max(0, ...row))));
  const { step, top: maxValue } = niceScale(highest, values.every((v) => Number.isInteger(num(v[val]))));
  const rotate = categories.length > 6;
  const W = 600;
  const H = rotate ? 320 : 280;
  const left = 44;
  const right = 12;
  const top = 18;
  const bottom = rotate ? 86 : 40;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const y = (v) => top + plotH - (v / maxValue) * plotH;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${label}（${CHART_TYPES[spec.type] ?? '图表'}）` });
  for (let v = 0; v <= maxValue + step / 1000; v += step) {
    root.append(svg('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), class: 'grid' }));
    root.append(svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmt(Math.round(v * 100) / 100)));
  }
  root.append(svg('line', { x1: left, x2: W - right, y1: top + plotH, y2: top + plotH, class: 'axis' }));
  const band = plotW / categories.length;
  categories.forEach((c, ci) => {
    const cx = left + band * ci + band / 2;
    const labelY = top + plotH + 14;
    root.append(rotate
      ? svg('text', { x: cx, y: labelY, 'text-anchor': 'end', transform: `rotate(-40 ${cx} ${labelY})` }, shortLabel(c, 10))
      : svg('text', { x: cx, y: labelY, 'text-anchor': 'middle' }, shortLabel(c, 8)));
  });
  if (spec.type === 'bar') {
    const groupW = band * 0.74;
    categories.forEach((c, ci) => {
      const x0 = left + band * ci + (band - groupW) / 2;
      let base = 0;
      seriesNames.forEach((s, si) => {
        const v = Math.max(0, totals[ci][si]);
        const w = stacked ? groupW : groupW / seriesNames.length;
        const x = stacked ? x0 : x0 + w * si;
        const yTop = y(base + v);
        const h = y(base) - yTop;
        const rect = svg('rect', { x, y: yTop, width: Math.max(1, w - 2), height: Math.max(0, h), class: `sw-${si % 8}` });
        rect.append(svg('title', {}, `${c}${s ? ` · ${s}` : ''}：${fmt(totals[ci][si])}`));
        root.append(rect);
        if (!stacked && seriesNames.length * categories.length <= 40) {
          root.append(svg('text', { x: x + w / 2 - 1, y: yTop - 3, 'text-anchor': 'middle', class: 'value-label' }, fmt(totals[ci][si])));
        }
        if (stacked) base += v;
      });
    });
  } else {
    seriesNames.forEach((s, si) => {
      const points = categories.map((c, ci) => `${left + band * ci + band / 2},${y(Math.max(0, totals[ci][si]))}`).join(' ');
      root.append(svg('polyline', { points, class: `line sw-${si % 8}`, fill: 'none' }));
      categories.forEach((c, ci) => {
        const dot = svg('circle', { cx: left + band * ci + band / 2, cy: y(Math.max(0, totals[ci][si])), r: 3, class: `sw-${si % 8}` });
        dot.append(svg('title', {}, `${c}${s ? ` · ${s}` : ''}：${fmt(totals[ci][si])}`));
        root.append(dot);
      });
    });
  }
  for (const r of refLines) {
    root.append(svg('line', { x1: left, x2: W - right, y1: y(r.y), y2: y(r.y), class: 'ref-line' }));
    if (r.text) root.append(svg('text', { x: W - right, y: y(r.y) - 4, 'text-anchor': 'end', class: 'ref-label' }, r.text));
  }
  const out = [root];
  if (series && seriesNames.length > 1) out.push(legend(seriesNames));
  return out;
}

function drawPie(spec, values, label) {
  const cat = spec.categoryField;
  const val = spec.valueField;
  if (!cat || !val || values.length === 0) return null;
  const items = values.map((v) => ({ name: String(v[cat] ?? ''), value: Math.max(0, num(v[val])) }));
  const total = items.reduce((a, b) => a + b.value, 0);
  if (total <= 0) return null;
  const W = 600;
  const H = 260;
  const cx = 150;
  const cy = 130;
  const r = 110;
  const inner = typeof spec.innerRadius === 'number' && spec.innerRadius > 0 && spec.innerRadius < 1 ? r * spec.innerRadius / (spec.outerRadius || 1) : 0;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${label}（饼图）` });
  let angle = -Math.PI / 2;
  const point = (a, radius) => `${cx + radius * Math.cos(a)} ${cy + radius * Math.sin(a)}`;
  items.forEach((it, i) => {
    if (it.value <= 0) return;
    const sweep = (it.value / total) * Math.PI * 2;
    const end = angle + sweep;
    const large = sweep > Math.PI ? 1 : 0;
    let d;
    if (sweep >= Math.PI * 2 - 1e-6) {
      d = `M ${point(0, r)} A ${r} ${r} 0 1 1 ${point(Math.PI, r)} A ${r} ${r} 0 1 1 ${point(0, r)} Z`;
    } else if (inner > 0) {
      d = `M ${point(angle, r)} A ${r} ${r} 0 ${large} 1 ${point(end, r)} L ${point(end, inner)} A ${inner} ${inner} 0 ${large} 0 ${point(angle, inner)} Z`;
    } else {
      d = `M ${cx} ${cy} L ${point(angle, r)} A ${r} ${r} 0 ${large} 1 ${point(end, r)} Z`;
    }
    const path = svg('path', { d, class: `sw-${i % 8}`, stroke: '#fff', 'stroke-width': 1 });
    path.append(svg('title', {}, `${it.name}：${fmt(it.value)}（${fmt((it.value / total) * 100)}%）`));
    root.append(path);
    angle = end;
  });
  if (inner > 0) root.append(svg('circle', { cx, cy, r: inner - 1, fill: '#fbfcfd' }));
  items.forEach((it, i) => {
    const ly = 30 + i * 22;
    if (ly > H - 10) return;
    root.append(svg('rect', { x: 300, y: ly - 10, width: 12, height: 12, class: `sw-${i % 8}` }));
    root.append(svg('text', { x: 318, y: ly }, `${shortLabel(it.name, 14)}：${fmt(it.value)}（${fmt((it.value / total) * 100)}%）`));
  });
  return [root];
}

// ---- buttons, forms and fields ----

function callbackValue(e) {
  const behaviors = Array.isArray(e.behaviors) ? e.behaviors : [];
  const cb = behaviors.find((b) => isObj(b) && b.type === 'callback');
  if (cb && isObj(cb.value)) return cb.value;
  return isObj(e.value) ? e.value : null;
}

function openUrl(e) {
  const behaviors = Array.isArray(e.behaviors) ? e.behaviors : [];
  const b = behaviors.find((x) => isObj(x) && x.type === 'open_url');
  return b ? b.default_url : undefined;
}

function confirmed(e) {
  if (!isObj(e.confirm)) return true;
  const title = textOf(e.confirm.title);
  const text = textOf(e.confirm.text);
  return window.confirm([title, text].filter(Boolean).join('\n'));
}

function renderButton(e, ctx) {
  const type = safeClass(e.type) || 'default';
  const label = textOf(e.text) || '按钮';
  const inForm = !!ctx.form && (e.form_action_type === 'submit' || e.form_action_type === 'reset');
  const b = el('button', {
    type: inForm ? e.form_action_type : 'button',
    className: `btn btn-${type}${e.width === 'fill' ? ' fill' : ''}`,
    title: textOf(e.hover_tips) || (e.disabled ? textOf(e.disabled_tips) : undefined),
    disabled: e.disabled === true,
    text: label,
  });
  if (inForm) {
    b.dataset.name = typeof e.name === 'string' ? e.name : '';
    b._card = e;
    return b;
  }
  b.addEventListener('click', () => {
    const url = openUrl(e);
    if (url) {
      toast('info', `沙盒不打开外部链接：${url}`);
      return;
    }
    if (!confirmed(e)) return;
    const value = callbackValue(e);
    if (!value) return;
    act(ctx, { tag: 'button', value, name: typeof e.name === 'string' ? e.name : undefined });
  });
  return b;
}

function renderForm(e, ctx) {
  const form = el('form', { className: 'card-form', novalidate: true, 'aria-label': '卡片表单' });
  const outer = ctx.form;
  ctx.form = { fields: [], node: form };
  renderElements(Array.isArray(e.elements) ? e.elements : [], form, ctx);
  const fields = ctx.form.fields;
  ctx.form = outer;
  // Enter in a one-line field does not submit the card (the Lark client does not either).
  form.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && ev.target instanceof HTMLInputElement && ev.target.type !== 'checkbox') ev.preventDefault();
  });
  form.addEventListener('reset', () => {
    setTimeout(() => fields.forEach((f) => f.clearError()), 0);
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const button = ev.submitter;
    const def = button && button._card;
    if (!def) return;
    let missing = 0;
    const formValue = {};
    for (const f of fields) {
      f.clearError();
      const v = f.value();
      const empty = v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
      if (f.required && empty) {
        f.showError('此项为必填项');
        missing += 1;
        continue;
      }
      if (v !== undefined) formValue[f.name] = v;
    }
    if (missing) {
      toast('warning', `还有 ${missing} 项必填项未填写`);
      const first = fields.find((f) => f.invalid);
      if (first) first.focus();
      return;
    }
    if (!confirmed(def)) return;
    // A form submit carries what Feishu documents for it: the submit button's name and the fields
    // (action.name + action.form_value), no callback value.
    act(ctx, { tag: 'button', name: typeof def.name === 'string' ? def.name : '', formValue });
  });
  return form;
}

function fieldLabel(e, labelId, control) {
  const own = textOf(e.label);
  if (own) {
    const id = nextId('label');
    return { node: el('label', { id, for: control.id, text: own }), attrs: {} };
  }
  if (labelId) return { node: null, attrs: { 'aria-labelledby': labelId } };
  return { node: null, attrs: { 'aria-label': textOf(e.placeholder) || '输入项' } };
}

function renderField(e, ctx, labelId) {
  const name = typeof e.name === 'string' ? e.name : '';
  const wrap = el('div', { className: 'field' });
  const errorId = nextId('err');
  const error = el('div', { id: errorId, className: 'field-error', role: 'alert', hidden: true });
  let control;
  let value;
  let focusable;
  const placeholder = textOf(e.placeholder);
  switch (e.tag) {
    case 'input': {
      const multiline = e.input_type === 'multiline_text';
      control = multiline
        ? el('textarea', { rows: String(Number(e.rows) || 3), placeholder, maxlength: e.max_length })
        : el('input', { type: e.input_type === 'password' ? 'password' : 'text', placeholder, maxlength: e.max_length });
      control.value = typeof e.default_value === 'string' ? e.default_value : '';
      value = () => control.value;
      break;
    }
    case 'select_static': {
      control = el('select', {}, el('option', { value: '', text: placeholder || '请选择' }));
      for (const o of Array.isArray(e.options) ? e.options : []) {
        if (!isObj(o)) continue;
        control.append(el('option', { value: String(o.value), text: textOf(o.text) || String(o.value), selected: o.value === e.initial_option }));
      }
      value = () => (control.value === '' ? undefined : control.value);
      break;
    }
    case 'multi_select_static': {
      control = el('div', { className: 'multi', role: 'group' });
      const selected = Array.isArray(e.selected_values) ? e.selected_values : [];
      const boxes = [];
      for (const o of Array.isArray(e.options) ? e.options : []) {
        if (!isObj(o)) continue;
        const box = el('input', { type: 'checkbox', value: String(o.value), checked: selected.includes(o.value) });
        boxes.push(box);
        control.append(el('label', {}, box, textOf(o.text) || String(o.value)));
      }
      value = () => boxes.filter((b) => b.checked).map((b) => b.value);
      focusable = () => boxes[0];
      break;
    }
    case 'date_picker': {
      control = el('input', { type: 'date' });
      if (typeof e.initial_date === 'string') control.value = e.initial_date;
      // As the Lark client sends it: the date and the user's UTC offset.
      value = () => (control.value ? `${control.value} +0800` : undefined);
      break;
    }
    case 'checker': {
      const box = el('input', { type: 'checkbox', checked: e.checked === true, disabled: e.disabled === true });
      control = el('label', { className: 'checker' }, box, el('span', {}, markdown(textOf(e.text))));
      value = () => box.checked;
      focusable = () => box;
      if (!ctx.form && callbackValue(e)) {
        box.addEventListener('change', () => act(ctx, { tag: 'checker', value: callbackValue(e), name, checked: box.checked }));
      }
      wrap.append(control);
      break;
    }
  }
  if (e.tag !== 'checker') {
    control.id = nextId('field');
    if (e.disabled === true && control.tagName !== 'DIV') control.disabled = true;
    const label = fieldLabel(e, labelId, control);
    for (const [k, v] of Object.entries(label.attrs)) control.setAttribute(k, v);
    if (e.required === true && control.tagName !== 'DIV') control.setAttribute('aria-required', 'true');
    control.setAttribute('aria-describedby', errorId);
    if (label.node) wrap.append(label.node);
    wrap.append(control);
    if (!ctx.form && callbackValue(e)) {
      if (e.tag === 'select_static') control.addEventListener('change', () => act(ctx, { tag: 'select_static', value: callbackValue(e), name, option: control.value }));
      if (e.tag === 'date_picker') control.addEventListener('change', () => act(ctx, { tag: 'date_picker', value: callbackValue(e), name, option: value() }));
      if (e.tag === 'input') {
        control.addEventListener('keydown', (ev) => {
          if (ev.key === 'Enter' && !ev.isComposing && control.tagName === 'INPUT') act(ctx, { tag: 'input', value: callbackValue(e), name, inputValue: control.value });
        });
      }
    }
  }
  wrap.append(error);
  const target = () => (focusable ? focusable() : control);
  if (ctx.form && name) {
    const field = {
      name,
      required: e.required === true,
      invalid: false,
      value,
      focus: () => target() && target().focus(),
      showError(text) {
        this.invalid = true;
        error.textContent = text;
        error.hidden = false;
        control.setAttribute('aria-invalid', 'true');
      },
      clearError() {
        this.invalid = false;
        error.textContent = '';
        error.hidden = true;
        control.removeAttribute('aria-invalid');
      },
    };
    ctx.form.fields.push(field);
  }
  return wrap;
}

/** Sends one card interaction to the bot (through the sandbox API) and shows its answer. */
async function act(ctx, action) {
  const card = ctx.root;
  if (card.getAttribute('aria-busy') === 'true') return;
  // Keyboard users keep their place: when the card is replaced, focus moves to the new one.
  const hadFocus = card.contains(document.activeElement);
  card.setAttribute('aria-busy', 'true');
  const buttons = [...card.querySelectorAll('button')].filter((b) => !b.disabled);
  buttons.forEach((b) => (b.disabled = true));
  try {
    const res = await request('POST', `/sandbox/api/messages/${encodeURIComponent(ctx.messageId)}/actions`, { operator: app.person, ...action });
    if (res.toast) toast(res.toast.type, res.toast.content);
    if (res.message) upsertMessage(res.message.chatId, res.message, true);
    if (hadFocus && !card.isConnected) {
      const fresh = document.querySelector(`[data-message-id="${CSS.escape(ctx.messageId)}"] article.card`);
      if (fresh) fresh.focus();
    }
  } catch (err) {
    toast('error', err.message);
  } finally {
    if (card.isConnected) {
      card.removeAttribute('aria-busy');
      buttons.forEach((b) => (b.disabled = false));
    }
    burst();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Messages

function renderContent(view) {
  const c = view.content;
  if (view.msgType === 'interactive' && isObj(c)) return renderCard(c, view);
  if (view.msgType === 'text' && isObj(c)) {
    const bubble = el('div', { className: 'bubble' });
    const text = String(c.text ?? '');
    // Bot texts may @mention people: <at user_id="ou_x">名字</at>.
    const parts = text.split(/(<at\s+[^>]*>[\s\S]*?<\/at>)/g);
    for (const part of parts) {
      const m = /^<at\s+(?:user_id|id|open_id)\s*=\s*['"]?([^'"\s>]+)['"]?[^>]*>([\s\S]*?)<\/at>$/.exec(part);
      if (m) bubble.append(el('span', { className: 'at', text: `@${m[2] || nameOf(m[1])}` }));
      else if (part) bubble.append(part);
    }
    return bubble;
  }
  if (view.msgType === 'file' && isObj(c)) {
    const name = view.fileName || '文件';
    return el('div', { className: 'bubble file' }, '📎 文件：',
      el('a', { href: `/sandbox/api/files/${encodeURIComponent(String(c.file_key))}`, download: name, text: name }));
  }
  if (view.msgType === 'post' && isObj(c)) {
    const post = isObj(c.zh_cn) ? c.zh_cn : c;
    const bubble = el('div', { className: 'bubble' });
    if (post.title) bubble.append(el('strong', { text: String(post.title) }), el('br'));
    for (const line of Array.isArray(post.content) ? post.content : []) {
      for (const item of Array.isArray(line) ? line : []) if (isObj(item)) bubble.append(String(item.text ?? ''));
      bubble.append(el('br'));
    }
    return bubble;
  }
  return el('div', { className: 'bubble muted', text: `［${view.msgType} 消息］` });
}

function renderMessage(view) {
  const mine = view.from.kind === 'user' && view.from.openId === app.person;
  const who = view.from.name;
  const node = el('div', { className: `msg ${view.from.kind}${mine ? ' mine' : ''}`, 'data-message-id': view.id });
  node.append(el('div', { className: 'avatar', 'aria-hidden': 'true', text: Array.from(who).slice(-2).join('') }));
  const main = el('div', { className: 'msg-main' });
  main.append(el('div', { className: 'msg-meta' }, `${who} · ${formatTime(view.at)}${view.version > 0 ? ' · 已更新' : ''}`));
  main.append(renderContent(view));
  node.append(main);
  return node;
}

function chatStore(chatId) {
  let store = app.chats.get(chatId);
  if (!store) {
    store = { messages: new Map(), stamp: 0 };
    app.chats.set(chatId, store);
  }
  return store;
}

/** Adds or replaces one message; redraws it when its content changed. */
function upsertMessage(chatId, view, force = false) {
  const store = chatStore(chatId);
  const old = store.messages.get(view.id);
  if (old && old.version === view.version && !force) return false;
  store.messages.set(view.id, view);
  if (chatId !== app.chatId) return !old;
  const list = $('messages');
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const existing = list.querySelector(`[data-message-id="${CSS.escape(view.id)}"]`);
  const node = renderMessage(view);
  if (existing) existing.replaceWith(node);
  else {
    list.querySelector('.empty')?.remove();
    list.append(node);
    // Follow the conversation unless the person scrolled up to read older messages.
    if (nearBottom || (view.from.kind === 'user' && view.from.openId === app.person)) node.scrollIntoView({ block: 'end' });
  }
  return !old;
}

function drawChat() {
  const list = $('messages');
  const store = chatStore(app.chatId);
  list.replaceChildren();
  const views = [...store.messages.values()];
  if (views.length === 0) list.append(el('p', { className: 'muted empty', text: '暂无消息。发送「帮助」查看您可以使用的指令。' }));
  for (const v of views) list.append(renderMessage(v));
  list.scrollTop = list.scrollHeight;
}

// ---------------------------------------------------------------------------------------------------------
// People and chats

function personInfo(openId) {
  return app.people.find((p) => p.openId === openId);
}

function drawPeople() {
  const box = $('people');
  box.replaceChildren();
  for (const p of app.people) {
    const roles = p.roles.map((r) => (r.town ? `${r.label}（${r.town}）` : r.label)).join('、') || '未分配角色';
    const input = el('input', { type: 'radio', name: 'person', value: p.openId, checked: p.openId === app.person, 'aria-describedby': `person-${p.openId}-desc` });
    input.addEventListener('change', () => selectPerson(p.openId));
    box.append(el('label', { className: 'person' },
      input,
      el('span', { className: 'name', text: p.name }),
      el('span', { className: 'title', id: `person-${p.openId}-desc`, text: p.title }),
      el('span', { className: 'roles', text: `角色：${roles}` })));
  }
}

function drawChats() {
  const list = $('chats');
  list.replaceChildren();
  for (const [chatId, info] of app.chatInfo) {
    const current = chatId === app.chatId;
    const seen = app.seen.get(`${app.person}|${chatId}`) ?? 0;
    const unread = current ? 0 : Math.max(0, info.count - seen);
    const button = el('button', { type: 'button', className: 'chat-btn', 'aria-current': current ? 'true' : undefined },
      el('span', { text: info.name }),
      unread ? el('span', { className: 'badge', text: `${unread} 条新消息` }) : null);
    button.addEventListener('click', () => selectChat(chatId));
    list.append(el('li', {}, button));
  }
}

function drawChatHead() {
  const info = app.chatInfo.get(app.chatId);
  const me = personInfo(app.person);
  $('chat-title').textContent = info ? info.name : '会话';
  $('chat-hint').textContent = info && info.kind === 'group'
    ? `${me ? me.name : ''} 在群聊中发言：消息会自动 @${app.bot.name}。`
    : `${me ? me.name : ''} 与 ${app.bot.name} 的单聊。`;
  $('composer-label').textContent = `以 ${me ? me.name : ''} 的身份发送消息`;
  // Like the Lark client, the bot's custom menu sits under its private chat only.
  $('bot-menu').hidden = !(info && info.kind === 'p2p');
}

async function selectPerson(openId) {
  // Toasts belong to the client of the person who acted.
  $('toasts').replaceChildren();
  app.person = openId;
  sessionStorage.setItem('sandbox.person', openId);
  app.chatInfo.clear();
  await refreshChats();
  const p2p = [...app.chatInfo.values()].find((c) => c.kind === 'p2p');
  await selectChat(p2p ? p2p.chatId : app.group.chatId);
}

async function selectChat(chatId) {
  app.chatId = chatId;
  drawChatHead();
  drawChat();
  drawChats();
  await poll();
}

async function refreshChats() {
  const { chats } = await request('GET', `/sandbox/api/chats?person=${encodeURIComponent(app.person)}`);
  app.chatInfo = new Map(chats.map((c) => [c.chatId, c]));
  for (const c of chats) {
    const key = `${app.person}|${c.chatId}`;
    // What was there before this person first looked counts as read; the current chat is always read.
    if (!app.seen.has(key) || c.chatId === app.chatId) app.seen.set(key, c.count);
  }
  drawChats();
}

// ---------------------------------------------------------------------------------------------------------
// Polling

async function pollMessages() {
  const chatId = app.chatId;
  if (!chatId) return;
  const store = chatStore(chatId);
  const res = await request('GET', `/sandbox/api/chats/${encodeURIComponent(chatId)}/messages?since=${store.stamp}`);
  if (chatId !== app.chatId) return;
  for (const m of res.messages) upsertMessage(chatId, m);
  store.stamp = res.stamp;
}

async function poll() {
  if (app.polling || !app.person) return;
  app.polling = true;
  try {
    await pollMessages();
    await refreshChats();
  } catch (err) {
    console.warn('sandbox poll failed', err);
  } finally {
    app.polling = false;
  }
}

function schedule() {
  clearTimeout(app.pollTimer);
  const delay = Date.now() < app.burstUntil ? BURST_MS : POLL_MS;
  app.pollTimer = setTimeout(async () => {
    await poll();
    schedule();
  }, delay);
}

/** Polls faster for a few seconds after an action, while the bot answers. */
function burst() {
  app.burstUntil = Date.now() + BURST_FOR_MS;
  schedule();
}

// ---------------------------------------------------------------------------------------------------------
// Composer

async function sendText() {
  const box = $('composer-text');
  const text = box.value.trim();
  if (!text || !app.chatId) return;
  try {
    const res = await request('POST', `/sandbox/api/chats/${encodeURIComponent(app.chatId)}/messages`, { from: app.person, text });
    box.value = '';
    if (res.message) upsertMessage(app.chatId, res.message);
  } catch (err) {
    toast('error', err.message);
  }
  burst();
}

async function sendFile() {
  const input = $('composer-file');
  const file = input.files && input.files[0];
  if (!file) {
    toast('warning', '请先选择要发送的文件');
    input.focus();
    return;
  }
  try {
    const path = `/sandbox/api/chats/${encodeURIComponent(app.chatId)}/files?from=${encodeURIComponent(app.person)}&name=${encodeURIComponent(file.name)}`;
    const res = await request('POST', path, file);
    input.value = '';
    showChosenFile();
    if (res.message) upsertMessage(app.chatId, res.message);
  } catch (err) {
    toast('error', err.message);
  }
  burst();
}

/** A tap on the bot's menu: the sandbox sends application.bot.menu_v6, as Lark does; the answer comes to this chat. */
async function tapMenu(key) {
  try {
    await request('POST', '/sandbox/api/menu', { from: app.person, key });
  } catch (err) {
    toast('error', err.message);
  }
  burst();
}

function showChosenFile() {
  const input = $('composer-file');
  const file = input.files && input.files[0];
  $('file-name').textContent = file ? `已选择：${file.name}` : '未选择文件';
}

function wireComposer() {
  $('composer-file').addEventListener('change', showChosenFile);
  $('composer').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void sendText();
  });
  $('composer-text').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      void sendText();
    }
  });
  $('send-file').addEventListener('click', () => void sendFile());
  for (const b of document.querySelectorAll('#bot-menu [data-menu-key]')) {
    b.addEventListener('click', () => void tapMenu(b.dataset.menuKey));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Start

async function start() {
  wireComposer();
  try {
    const data = await request('GET', '/sandbox/api/people');
    app.bot = data.bot;
    app.group = data.group;
    app.people = data.people;
    app.names = new Map(Object.entries(data.names || {}));
    app.names.set(data.bot.openId, data.bot.name);
    for (const p of app.people) app.names.set(p.openId, p.name);
  } catch (err) {
    $('people').replaceChildren(el('p', { className: 'field-error', text: `无法加载演示人员：${err.message}` }));
    return;
  }
  const saved = sessionStorage.getItem('sandbox.person');
  app.person = personInfo(saved) ? saved : app.people[0].openId;
  drawPeople();
  await selectPerson(app.person);
  schedule();
}

void start();
