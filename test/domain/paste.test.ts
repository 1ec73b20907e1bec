// Paste a lead (issue 18): the parser against a corpus of WeChat-style paragraphs written for this project
// (test/fixtures/paste-corpus.json: varied order, punctuation and omissions). Reports per-field accuracy and
// holds a floor; README states the numbers.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultOffice } from '../../src/office/config.ts';
import { checkCreditCode } from '../../src/features/leads/creditCode.ts';
import { amountInWan, looksLikeLead, parsePastedLead } from '../../src/features/leads/paste.ts';

const office = defaultOffice();
interface Example {
  text: string;
  expected: Record<string, string | number | null>;
}
const corpus = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/paste-corpus.json'), 'utf8')) as Example[];
const FIELDS = ['company_name', 'credit_code', 'contact_phone', 'amount_wan', 'town', 'industry', 'kind'] as const;
/** The floor every field must reach (share of paragraphs where the field is read right, absent ones included). */
const FLOOR = 0.9;

function read(text: string): Record<string, string | number | null> {
  const p = parsePastedLead(text, office);
  const amount = p.values.investment_wan ?? p.values.fund_size_wan;
  return {
    company_name: (p.values.company_name as string | undefined) ?? null,
    credit_code: (p.values.credit_code as string | undefined) ?? null,
    contact_phone: (p.values.contact_phone as string | undefined) ?? null,
    amount_wan: amount === undefined ? null : Number(amount),
    town: (p.values.town as string | undefined) ?? null,
    industry: (p.values.industry as string | undefined) ?? null,
    kind: p.kind ?? null,
  };
}

describe('the paste corpus', () => {
  it('has at least 40 paragraphs', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
  });

  it(`reads every field right in at least ${FLOOR * 100}% of the paragraphs`, () => {
    const right = Object.fromEntries(FIELDS.map((f) => [f, 0])) as Record<(typeof FIELDS)[number], number>;
    const misses: string[] = [];
    for (const [i, ex] of corpus.entries()) {
      const got = read(ex.text);
      for (const f of FIELDS) {
        if (got[f] === ex.expected[f]) right[f]++;
        else misses.push(`#${i} ${f}: expected ${JSON.stringify(ex.expected[f])}, read ${JSON.stringify(got[f])}`);
      }
    }
    const table = FIELDS.map((f) => `${f.padEnd(14)} ${((right[f] / corpus.length) * 100).toFixed(1).padStart(5)}%  (${right[f]}/${corpus.length})`);
    console.log(`paste-a-lead accuracy over ${corpus.length} paragraphs\n${table.join('\n')}\n${misses.length ? `misses:\n${misses.join('\n')}` : ''}`);
    for (const f of FIELDS) expect(right[f] / corpus.length, `${f}\n${misses.filter((m) => m.includes(` ${f}:`)).join('\n')}`).toBeGreaterThanOrEqual(FLOOR);
  });

  it('every paragraph in the corpus reads as a lead', () => {
    for (const ex of corpus) expect(looksLikeLead(parsePastedLead(ex.text, office)), ex.text).toBe(true);
  });
});

describe('parsePastedLead', () => {
  it('amounts in 亿 / 千万 / 百万 / 万 become 万元; 美元 is not guessed', () => {
    expect(amountInWan('1.5', '亿元')).toBe(15000);
    expect(amountInWan('三', '亿')).toBe(30000);
    expect(amountInWan('5', '个亿')).toBe(50000);
    expect(amountInWan('8', '千万')).toBe(8000);
    expect(amountInWan('3', '百万元')).toBe(300);
    expect(amountInWan('1,200', '万元')).toBe(1200);
    expect(amountInWan('十二', '亿')).toBe(120000);
    expect(amountInWan('100', '万美元')).toBeUndefined();
  });

  it('a credit code whose check digit is wrong is kept but marked for checking; a right one is not', () => {
    const wrong = corpus.find((e) => typeof e.expected.credit_code === 'string' && !checkCreditCode(e.expected.credit_code).ok)!;
    const bad = parsePastedLead(wrong.text, office);
    expect(bad.values.credit_code).toBe(wrong.expected.credit_code);
    expect(bad.uncertain.credit_code).toContain('校验位');
    const good = corpus.find((e) => e.expected.credit_code)!;
    const p = parsePastedLead(good.text, office);
    expect(p.uncertain.credit_code).toBeUndefined();
  });

  it('marks guesses: the kind, an industry read from a keyword, a company name without a label', () => {
    const p = parsePastedLead('今天对接了苏州擎氢动力科技有限公司，做燃料电池，计划投资2亿元，丁堰镇，王总13812345678', office);
    expect(p.kind).toBe('tech');
    expect(p.uncertain.category).toContain('推断');
    expect(p.values.industry).toBe('氢能');
    expect(p.uncertain.industry).toContain('燃料电池');
    expect(p.uncertain.company_name).toBeDefined();
    expect(p.values.contact_name).toBe('王总');
    expect(p.values.summary).toContain('擎氢');
  });

  it('chit-chat and commands are not leads', () => {
    for (const t of ['今天天气怎么样', '好的，收到', '下午三点开会，地点在开发区管委会', '项目 0001']) {
      expect(looksLikeLead(parsePastedLead(t, office)), t).toBe(false);
    }
  });
});
