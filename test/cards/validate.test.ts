import { describe, expect, it } from 'vitest';
import { assertValidCard, CARD_MAX_BYTES, cardSize, validateCard } from '../../src/platform/cards/validate.ts';

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
    expect(errorsOf(big)).toEqual([`card is ${cardSize(big)} bytes; the limit is 30720 bytes (30 KB)`]);

    const justUnder = cardWith([md('科'.repeat(10_100))]);
    expect(cardSize(justUnder)).toBeLessThanOrEqual(CARD_MAX_BYTES);
    expect(validateCard(justUnder)).toEqual({ ok: true });
  });

  it('assertValidCard throws with every error listed', () => {
    expect(() => assertValidCard(cardWith([{ tag: 'note' }, { tag: 'markdown', content: 1 }]))).toThrow(
      /unknown tag "note"[\s\S]*"content" must be a string/,
    );
  });
});
