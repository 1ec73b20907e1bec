// Cards are data: JSON templates in cards/*.json, filled with variables. See cards/README.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where card templates live (cards/ at the project root). */
export const CARDS_DIR = fileURLToPath(new URL('../../../cards/', import.meta.url));

/** Values a template variable may take: any JSON value. */
export type TemplateVars = Record<string, unknown>;

const WHOLE = /^\{\{(\w+)\}\}$/;
const SPREAD = /^\{\{\.\.\.(\w+)\}\}$/;
const INLINE = /\{\{(\w+)\}\}/g;

const cache = new Map<string, unknown>();

function lookup(vars: TemplateVars, key: string, where: string): unknown {
  if (!Object.hasOwn(vars, key) || vars[key] === undefined) {
    throw new Error(`${where}: missing template variable "${key}"`);
  }
  return vars[key];
}

function inlineString(value: unknown, key: string, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${where}: variable "${key}" is used inside text and must be a string, number or boolean`);
}

/**
 * Fills placeholders in a parsed template (pure; the template is not modified). In one pass, so text that
 * arrives in a variable is never itself expanded:
 * - a string that is exactly "{{key}}" becomes vars.key, whatever JSON value it is;
 * - "{{key}}" inside a longer string becomes the string form of vars.key;
 * - an array item that is exactly "{{...key}}" is replaced by the items of the array vars.key.
 * A missing variable throws.
 */
export function fillTemplate(template: unknown, vars: TemplateVars, where = 'template'): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole) return lookup(vars, whole[1], where);
    if (SPREAD.test(template)) throw new Error(`${where}: "${template}" may only be an array item`);
    return template.replace(INLINE, (_, key: string) => inlineString(lookup(vars, key, where), key, where));
  }
  if (Array.isArray(template)) {
    const out: unknown[] = [];
    for (const item of template) {
      const spread = typeof item === 'string' ? SPREAD.exec(item) : null;
      if (spread) {
        const value = lookup(vars, spread[1], where);
        if (!Array.isArray(value)) throw new Error(`${where}: variable "${spread[1]}" is spliced and must be an array`);
        out.push(...value);
      } else {
        out.push(fillTemplate(item, vars, where));
      }
    }
    return out;
  }
  if (typeof template === 'object' && template !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) out[k] = fillTemplate(v, vars, where);
    return out;
  }
  return template;
}

/** Reads cards/<name>.json once and keeps the parsed template. */
export function loadTemplate(name: string): unknown {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new Error(`bad card template name "${name}"`);
  let template = cache.get(name);
  if (template === undefined) {
    const file = join(CARDS_DIR, `${name}.json`);
    try {
      template = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`cannot load card template ${file}: ${(err as Error).message}`);
    }
    cache.set(name, template);
  }
  return template;
}

/** Renders cards/<name>.json with the given variables. */
export function renderTemplate(name: string, vars: TemplateVars): Record<string, unknown> {
  return fillTemplate(loadTemplate(name), vars, `cards/${name}.json`) as Record<string, unknown>;
}

// Markdown characters Lark would interpret, mapped to HTML entities (the escape the Lark rich-text
// documentation gives for special characters). A backslash escape is not used: it is not documented for cards.
const MD_ENTITIES: Record<string, string> = {
  '\\': '&#92;',
  '*': '&#42;',
  _: '&#95;',
  '~': '&#126;',
  '`': '&#96;',
  '[': '&#91;',
  ']': '&#93;',
  '(': '&#40;',
  ')': '&#41;',
  '<': '&#60;',
  '>': '&#62;',
  '#': '&#35;',
  '|': '&#124;',
  '$': '&#36;',
  '!': '&#33;',
};

/**
 * Neutralises user text for use inside a markdown element: no bold, links, mentions, HTML tags, headings,
 * lists or tables can be injected. Control characters (and bidi overrides) are removed, CR/LF become "\n".
 * `null`/`undefined` give "".
 */
export function md(text: unknown): string {
  if (text === null || text === undefined) return '';
  return String(text)
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ')
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g, '')
    // One pass, so the entities written here are not escaped again; "&" only where it would start an entity.
    .replace(/&(?=#?\w+;)|[\\*_~`[\]()<>#|$!]/g, (c) => (c === '&' ? '&#38;' : MD_ENTITIES[c]))
    .replace(/^(\s*)([-+])(?=\s)/gm, (_, sp: string, c: string) => `${sp}${c === '-' ? '&#45;' : '&#43;'}`)
    .replace(/^(\s*\d+)\.(?=\s)/gm, '$1&#46;');
}
