import { describe, expect, it } from 'vitest';
import { assertValidCard, CARD_BODY_LIMIT, CARD_MAX_BYTES, cardSize, cardWireSize, validateCard } from '../../src/platform/cards/validate.ts';

type El = Record<string, unknown>;

function cardWith(elements: El[]): Record<string, unknown> {
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: { tag: 'plain_text', content: '测试' }, template: 'blue' },
    body: { elements },
  };
}

const md = (content: string): El => ({ tag: 'markdown', content });
const submit = (name = 'submit'): El => ({
  tag: 'button',
  text: { tag: 'plain_text', content: '提交' },
  type: 'primary_filled',
  form_action_type: 'submit',
  name,
  behaviors: [{ type: 'callback', value: { action: 'save' } }],
});
const input = (name: string): El => ({ tag: 'input', name, placeholder: { tag: 'plain_text', content: '请输入' } });
const form = (name: string, elements: El[]): El => ({ tag: 'form', name, elements });
const chart = (): El => ({ tag: 'chart', chart_spec: { type: 'pie', data: [{ values: [] }] } });
const table = (): El => ({
  tag: 'table',
  columns: [{ name: 'a', display_name: 'A', data_type: 'text' }],
  rows: [{ a: 'x' }],
});

function errorsOf(card: unknown): string[] {
  const r = validateCard(card);
  return r.ok ? [] : r.errors;
}

describe('validateCard', () => {
  it('accepts a well-formed 2.0 card', () => {
    const card = cardWith([md('**你好**'), { tag: 'hr' }, table(), chart(), form('f', [input('title'), submit()])]);
    expect(validateCard(card)).toEqual({ ok: true });
    expect(() => assertValidCard(card)).not.toThrow();
  });

  it('rejects a card that is not schema 2.0', () => {
    expect(errorsOf({ ...cardWith([md('x')]), schema: '1.0' })).toContain('schema: must be "2.0"');
  });

  it('rejects an unknown tag, including 1.0-only tags', () => {
    expect(errorsOf(cardWith([{ tag: 'note', elements: [] }])).join('\n')).toMatch(/body\.elements\[0\]: unknown tag "note"/);
    expect(errorsOf(cardWith([{ tag: 'action', actions: [] }])).join('\n')).toMatch(/unknown tag "action"/);
    expect(errorsOf(cardWith([{ content: 'no tag' }])).join('\n')).toMatch(/unknown tag undefined/);
  });

  it('rejects an unknown property on an element, on the card and in the header', () => {
    expect(errorsOf(cardWith([{ tag: 'markdown', content: 'x', href: {} }]))).toEqual([
      'body.elements[0] (markdown): unknown property "href"',
    ]);
    expect(errorsOf({ ...cardWith([md('x')]), elements: [] })).toContain('card: unknown property "elements"');
    const badHeader = cardWith([md('x')]);
    badHeader.header = { title: { tag: 'plain_text', content: 't' }, template: 'pink', color: 'x' };
    const errs = errorsOf(badHeader);
    expect(errs).toContain('header: unknown property "color"');
    expect(errs).toContain('header.template: unknown color "pink"');
  });

  it('rejects a nested form and a form inside a column', () => {
    const nested = cardWith([form('outer', [form('inner', [input('a'), submit('s2')]), submit()])]);
    expect(errorsOf(nested)).toEqual(['body.elements[0] (form).elements[0] (form): a form may only sit at the body root']);
    const inColumn = cardWith([
      { tag: 'column_set', columns: [{ tag: 'column', elements: [form('f', [input('a'), submit()])] }] },
    ]);
    expect(errorsOf(inColumn).join('\n')).toMatch(/columns\[0\]\.elements\[0\] \(form\): a form may only sit at the body root/);
  });

  it('rejects a table inside a form', () => {
    const errs = errorsOf(cardWith([form('f', [table(), input('a'), submit()])]));
    expect(errs).toContain('body.elements[0] (form).elements[0] (table): a table may not sit inside a form');
  });

  it('allows five charts and rejects six', () => {
    expect(validateCard(cardWith(Array.from({ length: 5 }, chart)))).toEqual({ ok: true });
    expect(errorsOf(cardWith(Array.from({ length: 6 }, chart)))).toEqual(['card has 6 charts; at most 5 are allowed']);
  });

  it('rejects duplicate field names anywhere in the card', () => {
    const errs = errorsOf(cardWith([form('f', [input('title'), input('title'), submit()])]));
    expect(errs.join('\n')).toMatch(/duplicate name "title"/);
    // the form name and a field name share one namespace
    expect(errorsOf(cardWith([form('f', [input('f'), submit()])])).join('\n')).toMatch(/duplicate name "f"/);
  });

  it('requires form fields and form buttons to be named, and a submit button', () => {
    const noName = cardWith([form('f', [{ tag: 'input' }, submit()])]);
    expect(errorsOf(noName).join('\n')).toMatch(/\(input\): "name" must be a non-empty string/);
    const plainButton = cardWith([
      form('f', [input('a'), { tag: 'button', text: { tag: 'plain_text', content: '提交' }, behaviors: [{ type: 'callback', value: {} }] }]),
    ]);
    const errs = errorsOf(plainButton).join('\n');
    expect(errs).toMatch(/a button inside a form needs form_action_type/);
    expect(errs).toMatch(/has no button with form_action_type "submit"/);
  });

  it('rejects form-only properties outside a form', () => {
    const errs = errorsOf(cardWith([submit(), { ...input('a'), required: true }])).join('\n');
    expect(errs).toMatch(/form_action_type only works inside a form/);
    expect(errs).toMatch(/"required" only works inside a form/);
  });

  it('rejects a callback behavior without an object value', () => {
    const btn = (value: unknown): El => ({ tag: 'button', text: { tag: 'plain_text', content: '同意' }, behaviors: [{ type: 'callback', value }] });
    expect(errorsOf(cardWith([btn('approve')])).join('\n')).toMatch(/callback behavior needs an object "value"/);
    expect(errorsOf(cardWith([btn(['approve'])])).join('\n')).toMatch(/callback behavior needs an object "value"/);
    expect(validateCard(cardWith([btn({ action: 'approve', step: 1 })]))).toEqual({ ok: true });
  });

  it('rejects a table that is not at the root, has too many rows per page or unknown row keys', () => {
    const errs = errorsOf(
      cardWith([
        { tag: 'column_set', columns: [{ tag: 'column', elements: [table()] }] },
        { ...table(), page_size: 20, rows: [{ b: 1 }] },
      ]),
    ).join('\n');
    expect(errs).toMatch(/a table may only sit at the body root/);
    expect(errs).toMatch(/"page_size" must be an integer 1-10/);
    expect(errs).toMatch(/no column named "b"/);
  });

  it('counts bytes in UTF-8 and rejects a card over 30 KB', () => {
    const small = cardWith([md('科')]);
    const ascii = cardWith([md('k')]);
    expect(cardSize(small) - cardSize(ascii)).toBe(2); // 3 bytes vs 1

    // 10,600 Chinese characters: only ~10 K characters but ~31 KB on the wire.
    const big = cardWith([md('科'.repeat(10_600))]);
    expect(cardSize(big)).toBeGreaterThan(31 * 1024);
    expect(JSON.stringify(big).length).toBeLessThan(CARD_MAX_BYTES);
    expect(errorsOf(big)).toEqual([
      `card is ${cardSize(big)} bytes as a message body's content; the limit is ${CARD_MAX_BYTES} bytes (30 KB body less 320 for its other fields)`,
    ]);

    const justUnder = cardWith([md('科'.repeat(10_000))]);
    expect(cardSize(justUnder)).toBeLessThanOrEqual(CARD_MAX_BYTES);
    expect(validateCard(justUnder)).toEqual({ ok: true });
  });

  it('measures the card as the escaped content string of the request body, not as bare JSON', () => {
    // Quotes are escaped once more inside `content`: a card of many short cells grows by well over 10 %.
    const cells = Array.from({ length: 400 }, (_, i) => ({ tag: 'markdown', content: `第${i}项` }));
    const c = cardWith(cells);
    const bare = Buffer.byteLength(JSON.stringify(c));
    const body = Buffer.byteLength(JSON.stringify({ receive_id: 'oc_x', msg_type: 'interactive', content: JSON.stringify(c) }));
    expect(cardWireSize(c)).toBeGreaterThan(bare * 1.1);
    expect(cardWireSize(c)).toBeLessThan(body);
    expect(cardSize(c)).toBe(cardWireSize(c));
    // The limit leaves room for the body's other fields (receive_id, msg_type, uuid).
    expect(CARD_MAX_BYTES).toBeLessThan(CARD_BODY_LIMIT);
    const fields = JSON.stringify({ receive_id: `oc_${'a'.repeat(61)}`, msg_type: 'interactive', content: '', uuid: 'u'.repeat(50) });
    expect(CARD_MAX_BYTES + Buffer.byteLength(fields)).toBeLessThanOrEqual(CARD_BODY_LIMIT);
  });

  it('checks value ranges, not only property names', () => {
    const col = (width: string): El => ({ ...table(), columns: [{ name: 'a', display_name: 'A', data_type: 'text', width }] });
    expect(errorsOf(cardWith([col('60px')])).join('\n')).toMatch(/"width" "60px" is not auto, \[80,600\]px or a percentage/);
    expect(errorsOf(cardWith([col('601px')]))).toHaveLength(1);
    for (const ok of ['auto', '80px', '600px', '25%', '100%']) expect(errorsOf(cardWith([col(ok)])), ok).toEqual([]);

    const errs = errorsOf(
      cardWith([
        { ...table(), row_height: '20px', page_size: 0 },
        { tag: 'column_set', horizontal_spacing: '100px', flex_mode: 'wrap', columns: [{ tag: 'column', width: '10px', weight: 6, elements: [] }] },
        { tag: 'markdown', content: 'x', text_size: 'huge', margin: '0px 100px' },
        { tag: 'button', text: { tag: 'plain_text', content: '按钮' }, size: 'xl', width: '50px' },
        form('f', [{ ...input('a'), max_length: 2000, rows: 0, width: '99px' }, submit()]),
        { tag: 'chart', chart_spec: { data: [] } },
      ]),
    ).join('\n');
    for (const re of [
      /"row_height" "20px"/, /"page_size" must be an integer 1-10/, /"horizontal_spacing" "100px"/, /"flex_mode" "wrap"/,
      /columns\[0\]: "width" "10px"/, /"weight" 6/, /"text_size" "huge"/, /"margin" "0px 100px"/, /"size" "xl"/,
      /button\): "width" "50px"/, /"max_length" 2000/, /"rows" 0/, /input\): "width" "99px"/, /"chart_spec.type"/,
    ]) expect(errs).toMatch(re);

    const good = cardWith([
      { tag: 'column_set', horizontal_spacing: 'extra_large', flex_mode: 'flow', columns: [{ tag: 'column', width: 'weighted', weight: 2, padding: '4px 8px', vertical_spacing: '8px', elements: [] }] },
      { tag: 'markdown', content: 'x', text_size: 'notation', margin: '0px 0px 8px 0px' },
      form('f', [{ ...input('a'), max_length: 1000, input_type: 'multiline_text', rows: 3, width: 'fill' }, submit()]),
    ]);
    expect(errorsOf(good)).toEqual([]);
  });

  it('flags a <font> tag that spans a line break, and <font> inside table cells', () => {
    expect(errorsOf(cardWith([md("<font color='grey'>一\n二</font>")])).join()).toMatch(/<font> tag spans a line break/);
    expect(errorsOf(cardWith([md("<font color='grey'>一</font>\n<font color='grey'>二</font>")]))).toEqual([]);
    const cell = { ...table(), columns: [{ name: 'a', display_name: 'A', data_type: 'lark_md' }], rows: [{ a: "<font color='red'>落后</font>" }] };
    expect(errorsOf(cardWith([cell])).join()).toMatch(/rows\[0\]\.a: <font> colour is not documented for table cells/);
  });

  it('accepts a collapsible panel of markdown, and refuses a table, a form or an unknown property in it', () => {
    const panel = (elements: El[], extra: El = {}): El => ({
      tag: 'collapsible_panel', expanded: false, header: { title: { tag: 'markdown', content: '**明细**' }, width: 'fill' },
      border: { color: 'grey', corner_radius: '5px' }, vertical_spacing: '8px', padding: '8px', elements, ...extra,
    });
    expect(errorsOf(cardWith([panel([md('丁堰镇 3/10')])]))).toEqual([]);
    expect(errorsOf(cardWith([panel([table()])])).join()).toMatch(/a table may only sit at the body root/);
    expect(errorsOf(cardWith([panel([form('f', [input('a'), submit()])])])).join()).toMatch(/a form may not sit inside a collapsible_panel/);
    expect(errorsOf(cardWith([panel([md('x')], { folded: true })])).join()).toMatch(/unknown property "folded"/);
    expect(errorsOf(cardWith([panel([md('x')], { header: { title: { tag: 'markdown', content: 'x' }, width: 'wide' } })])).join()).toMatch(/"width" "wide"/);
  });

  it('assertValidCard throws with every error listed', () => {
    expect(() => assertValidCard(cardWith([{ tag: 'note' }, { tag: 'markdown', content: 1 }]))).toThrow(
      /unknown tag "note"[\s\S]*"content" must be a string/,
    );
  });
});
