// Reading cards the bot sent, as a person would: visible text, buttons, forms.
import { expect } from 'vitest';
import { assertValidCard, cardSize, CARD_MAX_BYTES } from '../../src/platform/cards/validate.ts';
import type { DeliveredMessage } from '../../src/sandbox/standin.ts';
import type { CardJson, CardReply } from '../../src/platform/lark/types.ts';

type Node = Record<string, unknown>;

function walk(node: unknown, visit: (n: Node, inForm: boolean) => void, inForm = false): void {
  if (Array.isArray(node)) {
    for (const x of node) walk(x, visit, inForm);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as Node;
  const here = inForm || n.tag === 'form';
  if (typeof n.tag === 'string') visit(n, inForm);
  for (const [k, v] of Object.entries(n)) {
    if (k === 'behaviors' || k === 'value') continue;
    walk(v, visit, here);
  }
}

/** All text a person sees on the card (header, markdown, plain text, table cells, button labels). */
export function cardText(card: CardJson): string {
  const parts: string[] = [];
  const header = card.header as Node | undefined;
  const title = header?.title as Node | undefined;
  if (title && typeof title.content === 'string') parts.push(title.content);
  walk(card.body ?? card, (n) => {
    if (typeof n.content === 'string') parts.push(n.content);
    const text = n.text as Node | undefined;
    if (text && typeof text.content === 'string') parts.push(text.content);
    if (n.tag === 'table' && Array.isArray(n.rows)) {
      for (const row of n.rows as Node[]) parts.push(Object.values(row).map((v) => (typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v))).join(' | '));
    }
    if (n.tag === 'chart') parts.push(JSON.stringify(n.chart_spec));
  });
  return parts.join('\n');
}

export interface FoundButton {
  text: string;
  value: Record<string, unknown>;
  inForm: boolean;
  name?: string;
}

export function buttons(card: CardJson): FoundButton[] {
  const found: FoundButton[] = [];
  walk(card.body ?? card, (n, inForm) => {
    if (n.tag !== 'button') return;
    const text = ((n.text as Node | undefined)?.content as string) ?? '';
    const behaviors = (n.behaviors as Node[] | undefined) ?? [];
    const cb = behaviors.find((b) => b.type === 'callback');
    const value = (cb?.value as Record<string, unknown>) ?? (n.value as Record<string, unknown>) ?? {};
    found.push({ text, value, inForm, name: n.name as string | undefined });
  });
  return found;
}

export function findButton(card: CardJson, text: string | RegExp): FoundButton | undefined {
  return buttons(card).find((b) => (typeof text === 'string' ? b.text === text || b.text.includes(text) : text.test(b.text)));
}

/** Names of the form fields on the card. */
export function formFieldNames(card: CardJson): string[] {
  const names: string[] = [];
  walk(card.body ?? card, (n, inForm) => {
    if (inForm && n.tag !== 'button' && n.tag !== 'form' && typeof n.name === 'string') names.push(n.name);
  });
  return names;
}

/** The value a form field shows (default_value / initial_option / selected_values / checked). */
export function fieldValue(card: CardJson, name: string): unknown {
  let value: unknown;
  walk(card.body ?? card, (n) => {
    if (n.name !== name || n.tag === 'button') return;
    value = n.default_value ?? n.initial_option ?? n.selected_values ?? n.initial_date ?? n.checked;
  });
  return value;
}

/** The card, after checking it against the Card JSON 2.0 rules and the 30 KB limit. */
export function validCard(card: CardJson): CardJson {
  assertValidCard(card);
  expect(cardSize(card)).toBeLessThanOrEqual(CARD_MAX_BYTES);
  return card;
}

/** The replacement card a callback answered with (Lark's `{type: "raw", data}` or bare), checked. */
export function replyCard(reply: CardReply): CardJson {
  expect(reply.card, JSON.stringify(reply)).toBeDefined();
  const c = reply.card as CardJson & { data?: CardJson };
  return validCard(c.data ?? c);
}

/** What a person reads in a delivered message: the text, or the card's visible text. */
export function messageText(msg: DeliveredMessage): string {
  return msg.msgType === 'text' ? (JSON.parse(msg.content).text as string) : cardText(JSON.parse(msg.currentContent) as CardJson);
}
