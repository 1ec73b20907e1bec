import { describe, expect, it } from 'vitest';
import {
  at,
  barChart,
  button,
  buttonRow,
  card,
  checker,
  datePicker,
  fitCard,
  form,
  header,
  hr,
  input,
  keyValues,
  markdown,
  multiSelect,
  noticeCard,
  pieChart,
  raw,
  resetButton,
  select,
  submitButton,
  submitName,
  table,
  truncateList,
  type CardElement,
} from '../../src/platform/cards/kit.ts';
import { fillTemplate, md, renderTemplate } from '../../src/platform/cards/template.ts';
import { CARD_MAX_BYTES, cardSize, validateCard } from '../../src/platform/cards/validate.ts';
import { decodeSubmitName } from '../../src/platform/bot/router.ts';

const elementsOf = (c: Record<string, unknown>) => (c.body as { elements: CardElement[] }).elements;
const HOSTILE = "**[点我领奖](https://evil.example)** <at id=all></at> <font color='red'>急</font>\n# 假标题\n- 假列表 `code` ~~删~~ _斜_ | 表 | {{title}}\u0000\u202E";

describe('kit builders produce valid 2.0 cards', () => {
  it('accepts a display card with every display builder', () => {
    const c = card(header('项目详情', 'green', 'KZ-2026-0001'), [
      markdown('**状态**：待初审'),
      hr(),
      keyValues([
        ['项目名称', '氢能 *重点* 项目'],
        ['投资额（万元）', 5000],
        ['登记人', raw(at('ou_abc123'))],
        ['备注', null],
      ]),
      table(
        [
          { name: 'code', label: '项目编号' },
          { name: 'name', label: '项目名称', type: 'markdown' },
          { name: 'amount', label: '投资额（万元）', type: 'number', width: '120px' },
        ],
        [
          { code: 'KZ-2026-0001', name: '氢能 [项目]', amount: 5000 },
          { code: 'KZ-2026-0002', name: raw('**加粗**'), amount: '' },
        ],
        5,
      ),
      barChart('各镇项目数', ['城南街道', '搬经镇'], [
        { name: '目标', values: [10, 8] },
        { name: '完成', values: [6, 9] },
      ]),
      pieChart('项目类别', [
        { name: '科创类', value: 12 },
        { name: '人才类', value: 5 },
      ]),
      buttonRow([
        button('同意', { action: 'approve', stepId: 1 }, 'primary_filled'),
        button('驳回', { action: 'reject', stepId: 1 }, 'danger', { confirm: { title: '确认驳回？', text: '驳回后登记人需重新提交。' } }),
      ]),
    ]);
    expect(validateCard(c)).toEqual({ ok: true });
    expect(c.header).toEqual({
      title: { tag: 'plain_text', content: '项目详情' },
      subtitle: { tag: 'plain_text', content: 'KZ-2026-0001' },
      template: 'green',
    });
  });

  it('accepts a form card with every field builder, errors shown in red under the field', () => {
    const c = card(header('登记项目', 'blue'), [
      form(
        'register',
        [
          input({ name: 'name', label: '项目名称', required: true, value: '氢能项目', error: '项目名称不能包含 <script>' }),
          input({ name: 'note', label: '备注', multiline: true, maxLength: 500 }),
          select({ name: 'town', label: '所属镇（区、街道）', options: ['城南街道', '搬经镇'], value: '搬经镇', required: true }),
          multiSelect({
            name: 'industries',
            label: '产业方向',
            options: [
              { value: 'hydrogen', label: '氢能' },
              { value: 'synbio', label: '合成生物学' },
            ],
            values: ['synbio'],
            error: '请至少选择一个产业方向',
          }),
          datePicker({ name: 'signedOn', label: '签约日期', value: '2026-03-01' }),
          checker({ name: 'major', label: '重大项目（一事一议）', checked: true }),
        ],
        [submitButton('提交', { action: 'register.submit' }), resetButton()],
      ),
    ]);
    expect(validateCard(c)).toEqual({ ok: true });

    const fields = (elementsOf(c)[0].elements as CardElement[]);
    const nameIdx = fields.findIndex((e) => e.tag === 'input' && e.name === 'name');
    expect(fields[nameIdx - 1]).toEqual({ tag: 'markdown', content: "**项目名称** <font color='red'>*</font>" });
    expect(fields[nameIdx + 1]).toEqual({
      tag: 'markdown',
      content: "<font color='red'>项目名称不能包含 &#60;script&#62;</font>",
      text_size: 'notation',
    });
    expect(fields[nameIdx]).toMatchObject({ required: true, default_value: '氢能项目' });
    const town = fields.find((e) => e.name === 'town');
    expect(town).toMatchObject({ tag: 'select_static', initial_option: '搬经镇' });
    // a field without an error has no red line after it
    const noteIdx = fields.findIndex((e) => e.name === 'note');
    expect(fields[noteIdx + 1].content).toBe("**所属镇（区、街道）** <font color='red'>*</font>");
  });

  it('a single submit button sits directly in the form; its name carries the routing value, which the router reads back', () => {
    const f = form('x', [input({ name: 'a', label: 'A' })], submitButton('保存', { action: 'save', leadId: 7 }));
    const last = (f.elements as CardElement[]).at(-1)!;
    expect(last).toMatchObject({ tag: 'button', form_action_type: 'submit', behaviors: [{ type: 'callback', value: { action: 'save', leadId: 7 } }] });
    expect(last.name).toMatch(/^cb_[A-Za-z0-9_]+$/);
    expect(decodeSubmitName(last.name as string)).toEqual({ action: 'save', leadId: 7 });
    const odd = { action: 'approval.decide', decision: 'approve', major: true, openedBy: 'ou_a&b=c 张三%', leadId: 0 };
    expect(decodeSubmitName(submitName(odd))).toEqual(odd);
    // Each decision of one form has its own name (names are unique in a card).
    expect(submitName({ action: 'a', decision: 'approve' })).not.toBe(submitName({ action: 'a', decision: 'reject' }));
    // A string that would come back as a number is refused when the card is built, not when it is clicked.
    expect(() => submitName({ action: 'a', code: '0042' })).toThrow();
    for (const bad of ['cb_', 'cb_action_3D', 'cb_action_3Dx_26action_3Dy', 'cb__ZZ', 'submit', `cb_${'a'.repeat(2000)}`]) expect(decodeSubmitName(bad), bad).toBeUndefined();
  });

  it('rejects what the validator should catch when builders are misused', () => {
    const dup = card(header('x'), [
      form('f', [input({ name: 'a', label: 'A' }), select({ name: 'a', label: 'B', options: ['1'] })], submitButton('提交', {})),
    ]);
    expect(validateCard(dup).ok).toBe(false);
  });

  it('bar chart data has one value per category and series', () => {
    const el = barChart('t', ['a', 'b', 'c'], [{ name: 's1', values: [1, 2, 3] }, { name: 's2', values: [4, 5, 6] }]);
    const spec = el.chart_spec as { data: Array<{ values: unknown[] }>; xField: unknown };
    expect(spec.data[0].values).toHaveLength(6);
    expect(spec.data[0].values).toContainEqual({ category: 'b', series: 's2', value: 5 });
    expect(spec.xField).toEqual(['category', 'series']);
  });
});

describe('long lists', () => {
  it('truncateList ends with 另有 N 项… only when something was left out', () => {
    expect(truncateList(['a', 'b'], 5)).toEqual(['a', 'b']);
    expect(truncateList(['a', 'b', 'c', 'd'], 2)).toEqual(['a', 'b', '另有 2 项…']);
  });

  it('fitCard keeps a 5,000-row list under 30 KB and ends with 另有 N 项', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${String(i + 1).padStart(4, '0')}. KZ-2026-${String(i + 1).padStart(4, '0')} ${md('如皋某某新能源科技有限公司 [氢能]')} · 待初审`);
    const c = fitCard((max) => card(header('待办项目'), [keyValues([['总数', rows.length]]), markdown(truncateList(rows, max).join('\n'))]));
    expect(cardSize(c)).toBeLessThanOrEqual(CARD_MAX_BYTES);
    expect(validateCard(c)).toEqual({ ok: true });
    const lines = (elementsOf(c)[1].content as string).split('\n');
    const last = lines.at(-1)!;
    const m = /^另有 (\d+) 项…$/.exec(last);
    expect(m).not.toBeNull();
    const shown = lines.length - 1;
    expect(shown).toBeGreaterThan(50);
    expect(shown + Number(m![1])).toBe(5000);
    expect(lines[shown - 1]).toBe(rows[shown - 1]);
    // it is the longest list that fits: one more row would break the limit
    const oneMore = card(header('待办项目'), [keyValues([['总数', rows.length]]), markdown(truncateList(rows, shown + 1).join('\n'))]);
    expect(cardSize(oneMore)).toBeGreaterThan(CARD_MAX_BYTES);
  });

  it('fitCard returns the full card when it already fits', () => {
    const c = fitCard((max) => card(header('t'), [markdown(truncateList(['一', '二'], max).join('\n'))]));
    expect(elementsOf(c)[0].content).toBe('一\n二');
  });

  it('fitCard refuses a card that cannot fit even with no items', () => {
    expect(() => fitCard(() => card(header('t'), [markdown('科'.repeat(11_000))]))).toThrow(/does not fit/);
  });
});

describe('md()', () => {
  it('neutralises a hostile project name', () => {
    const out = md(HOSTILE);
    expect(out).not.toMatch(/[*\[\]<>`~_|\u0000\u202E]/);
    expect(out).not.toMatch(/^#/m);
    expect(out).not.toMatch(/^- /m);
    expect(out).toContain('&#42;&#42;&#91;点我领奖&#93;&#40;https://evil.example&#41;&#42;&#42;');
    expect(out).toContain('&#60;at id=all&#62;&#60;/at&#62;');
    expect(out.split('\n')).toHaveLength(3);
    expect(out.split('\n')[2].startsWith('&#45; 假列表')).toBe(true);
  });

  it('leaves ordinary names readable and does not let user text smuggle entities', () => {
    expect(md('KZ-2026-0001 氢能 A&B 科技 10:30')).toBe('KZ-2026-0001 氢能 A&B 科技 10:30');
    expect(md('&#42;')).toBe('&#38;&#35;42;'); // shows the literal text &#42;, not a star
    expect(md(null)).toBe('');
    expect(md(42)).toBe('42');
  });

  it('hostile text inside a kit card stays text and the card stays valid', () => {
    const c = card(header(HOSTILE), [keyValues([['项目名称', HOSTILE]])]);
    expect(validateCard(c)).toEqual({ ok: true });
    expect(elementsOf(c)[0].content).toBe(`**项目名称**：${md(HOSTILE)}`);
  });
});

describe('templates', () => {
  it('replaces a whole-string placeholder by any JSON value and inline ones by text', () => {
    const t = { a: '{{n}}', b: '{{obj}}', c: '共 {{n}} 项，{{who}} 提交', d: ['{{list}}'], keep: 3 };
    const out = fillTemplate(t, { n: 12, obj: { x: [1] }, who: '张三', list: ['p', 'q'] });
    expect(out).toEqual({ a: 12, b: { x: [1] }, c: '共 12 项，张三 提交', d: [['p', 'q']], keep: 3 });
    expect(t.a).toBe('{{n}}'); // the template is not modified
  });

  it('splices an array of elements in place of "{{...key}}"', () => {
    const t = { elements: [{ tag: 'hr' }, '{{...rows}}', { tag: 'hr' }] };
    const rows = [markdown('一'), markdown('二')];
    expect(fillTemplate(t, { rows })).toEqual({ elements: [{ tag: 'hr' }, rows[0], rows[1], { tag: 'hr' }] });
    expect(fillTemplate(t, { rows: [] })).toEqual({ elements: [{ tag: 'hr' }, { tag: 'hr' }] });
  });

  it('throws on a missing variable, a spliced non-array and an object inside text', () => {
    expect(() => fillTemplate({ a: '{{x}}' }, {})).toThrow(/missing template variable "x"/);
    expect(() => fillTemplate({ a: '前缀 {{x}}' }, { y: 1 })).toThrow(/missing template variable "x"/);
    expect(() => fillTemplate(['{{...x}}'], { x: 'no' })).toThrow(/must be an array/);
    expect(() => fillTemplate({ a: '值：{{x}}' }, { x: { y: 1 } })).toThrow(/used inside text/);
  });

  it('does not expand placeholders that arrive inside values', () => {
    expect(fillTemplate({ a: '名称：{{name}}' }, { name: '{{secret}}', secret: 'leak' })).toEqual({ a: '名称：{{secret}}' });
  });

  it('renders cards/notice.json; renders are independent copies', () => {
    const a = renderTemplate('notice', { title: '提醒', color: 'orange', body: '第一行', extra: [hr()] });
    expect(validateCard(a)).toEqual({ ok: true });
    expect(a.header).toEqual({ title: { tag: 'plain_text', content: '提醒' }, template: 'orange' });
    expect(elementsOf(a)).toEqual([{ tag: 'markdown', content: '第一行' }, { tag: 'hr' }]);
    (elementsOf(a)[0] as CardElement).content = 'changed';
    const b = renderTemplate('notice', { title: '提醒', color: 'orange', body: '第一行', extra: [] });
    expect(elementsOf(b)).toEqual([{ tag: 'markdown', content: '第一行' }]);
    expect(() => renderTemplate('notice', { title: '提醒' })).toThrow(/cards\/notice\.json: missing template variable "color"/);
    expect(() => renderTemplate('../package', {})).toThrow(/bad card template name/);
  });

  it('noticeCard renders through the template and trims long lists to fit', () => {
    const c = noticeCard('审批提醒', ['**待初审**：3 项', md('项目 <A>')], 'orange', [buttonRow([button('查看', { action: 'list' })])]);
    expect(validateCard(c)).toEqual({ ok: true });
    expect(elementsOf(c)[0]).toEqual({ tag: 'markdown', content: '**待初审**：3 项\n项目 &#60;A&#62;' });
    expect(elementsOf(c)[1].tag).toBe('column_set');

    const long = noticeCard('全部项目', Array.from({ length: 5000 }, (_, i) => `${i + 1}. 某某科技有限公司项目`));
    expect(cardSize(long)).toBeLessThanOrEqual(CARD_MAX_BYTES);
    expect(elementsOf(long)[0].content as string).toMatch(/\n另有 \d+ 项…$/);
  });
});
