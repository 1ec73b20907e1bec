import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { defaultOffice } from '../../src/office/config.ts';
import { localMonth } from '../../src/platform/time.ts';
import {
  computeProgress,
  computeProgress as computeProgressOf,
  laggingTowns,
  MAX_TARGET,
  parseQuotaTable,
  quotaRecords,
  reachedAllTargets,
  reachedTargets,
  yearPace,
  yearShare,
  type CountedLeadFact, type PatentFact,
  type QuotaImport,
  type QuotaTarget,
} from '../../src/features/quotas/quota.ts';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)));
const office = defaultOffice();
const TZ = 'Asia/Shanghai';

const TOWNS_2023 = ['丁堰镇', '东陈镇', '白蒲镇', '下原镇', '吴窑镇', '磨头镇', '九华镇', '石庄镇', '江安镇', '搬经镇', '长江镇', '开发区', '高新区'];

function okImport(result: QuotaImport) {
  if (!result.ok) throw new Error(`import refused: ${result.errors.join(' | ')}`);
  return result;
}

function refused(result: QuotaImport): string[] {
  if (result.ok) throw new Error('import was accepted');
  return result.errors;
}

/** GB18030 encoder for tests: Node only decodes GB18030, so build the table by decoding every 2-byte code. */
function encodeGb18030(text: string): Buffer {
  const pairs: number[] = [];
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) if (trail !== 0x7f) pairs.push(lead, trail);
  }
  const decoded = new TextDecoder('gb18030').decode(Uint8Array.from(pairs));
  const table = new Map<string, [number, number]>();
  [...decoded].forEach((ch, i) => {
    if (!table.has(ch)) table.set(ch, [pairs[2 * i], pairs[2 * i + 1]]);
  });
  const out: number[] = [];
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) out.push(ch.charCodeAt(0));
    else {
      const bytes = table.get(ch);
      if (!bytes) throw new Error(`no GB18030 two-byte code for ${ch}`);
      out.push(...bytes);
    }
  }
  return Buffer.from(out);
}

const csv = (text: string) => Buffer.from(text, 'utf8');

function expectSeedTable(result: QuotaImport) {
  const r = okImport(result);
  expect(r.rows.map((row) => row.town)).toEqual(TOWNS_2023);
  expect(r.totals).toEqual({ projects: 398, invention_patents: 398, utility_models: 1990, platforms: 3, funds: 4 });
  expect(r.statedTotals).toEqual({ projects: 400, invention_patents: 400, utility_models: 2000, platforms: 3, funds: 4 });
  const mismatch = r.warnings.find((w) => w.startsWith('合计行与各镇区之和不一致'));
  expect(mismatch).toBeDefined();
  expect(mismatch).toContain('总数 合计 400，各镇区之和 398');
  expect(mismatch).toContain('发明专利实审数 合计 400，各镇区之和 398');
  expect(mismatch).toContain('实用新型专利授权数 合计 2000，各镇区之和 1990');
  expect(mismatch).not.toContain('平台类项目');
  expect(mismatch).not.toContain('基金类项目');
  const byTown = new Map(r.rows.map((row) => [row.town, row]));
  expect(byTown.get('丁堰镇')).toMatchObject({ projects: 22, invention_patents: 22, utility_models: 110, platforms: 0, funds: 0 });
  expect(byTown.get('长江镇')).toMatchObject({ sourceName: '长江镇（如皋港工业园区）', projects: 55, platforms: 1, funds: 1 });
  expect(byTown.get('开发区')).toMatchObject({ sourceName: '经济技术开发区（城北街道）', utility_models: 275 });
  expect(byTown.get('高新区')).toMatchObject({ projects: 70, invention_patents: 70, utility_models: 350, platforms: 1, funds: 2 });
  return r;
}

describe('importing the 如皋 2023 任务分解表', () => {
  it('reads the seed table from CSV: 13 towns, sums 398/398/1990/3/4, and warns that 合计 says 400/400/2000', async () => {
    const r = expectSeedTable(await parseQuotaTable(fixture('rugao-2023-quota.csv'), '任务分解表.csv', office));
    expect(r.rows[0].rowNumber).toBe(3); // two header rows come first
  });

  it('reads the same table from XLSX with a title row and a merged two-row header', async () => {
    const r = expectSeedTable(await parseQuotaTable(fixture('rugao-2023-quota.xlsx'), '任务分解表.xlsx', office));
    expect(r.rows[0].rowNumber).toBe(4);
  });

  it('reads CSV saved with a UTF-8 BOM and CSV saved as GB18030/GBK', async () => {
    const text = fixture('rugao-2023-quota.csv').toString('utf8');
    expectSeedTable(await parseQuotaTable(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), csv(text)]), 'a.csv', office));
    const gbk = encodeGb18030(text);
    expect(gbk.equals(csv(text))).toBe(false);
    expectSeedTable(await parseQuotaTable(gbk, 'a.csv', office));
  });

  it('accepts a one-row header with loose names, a 总计 row, blanks as 0 and Quota records per metric', async () => {
    const r = okImport(
      await parseQuotaTable(
        csv('序号,镇（区、街道）,总数（个）,其中：发明专利实审数（件）,实用新型专利授权数（件）,平台类项目（个）,基金类项目（个）\n1,丁堰镇,3,,2,,\n2,高新区,5,1,4,1,2\n,总计,8,1,6,1,2\n'),
        'q.csv',
        office,
      ),
    );
    expect(r.rows.map((x) => [x.town, x.projects, x.invention_patents, x.utility_models, x.platforms, x.funds])).toEqual([
      ['丁堰镇', 3, 0, 2, 0, 0],
      ['高新区', 5, 1, 4, 1, 2],
    ]);
    expect(r.warnings.some((w) => w.includes('合计行'))).toBe(false);
    expect(r.warnings.some((w) => w.includes('未出现在表中') && w.includes('东陈镇'))).toBe(true);
    const records = quotaRecords(2024, r.rows);
    expect(records).toHaveLength(10);
    expect(records).toContainEqual({ year: 2024, town: '高新区', metric: 'funds', target: 2 });
    expect(records).toContainEqual({ year: 2024, town: '丁堰镇', metric: 'invention_patents', target: 0 });
  });

  it('warns about metric columns the table does not have', async () => {
    const r = okImport(await parseQuotaTable(csv('镇区,总数\n丁堰镇,3个\n'), 'q.csv', office));
    expect(r.rows[0]).toMatchObject({ town: '丁堰镇', projects: 3, platforms: 0 });
    expect(r.warnings.some((w) => w.includes('没有以下列') && w.includes('发明专利实审数') && w.includes('基金类项目'))).toBe(true);
  });
});

describe('malformed quota tables are refused whole', () => {
  const seedCsv = fixture('rugao-2023-quota.csv').toString('utf8');

  it('lists every bad row with the row number the user sees: unknown town, -1, 2.5, duplicate town', async () => {
    const broken = seedCsv
      .replace('丁堰镇,22,22,110,,', '丁燕镇,22,22,110,,')
      .replace('东陈镇,19,19,95,,', '东陈镇,-1,19,95,,')
      .replace('白蒲镇,24,24,120,,', '白蒲镇,24,2.5,120,,')
      .replace('下原镇,24,24,120,,', '磨头镇,24,24,120,,');
    const errors = refused(await parseQuotaTable(csv(broken), 'q.csv', office));
    expect(errors).toEqual([
      '第3行：未知镇区“丁燕镇”，是否为“丁堰镇”？',
      '第4行“总数”不能为负数（-1）',
      '第5行“发明专利实审数”必须是整数（2.5）',
      '第8行：镇区“磨头镇”重复（第6行已填写）',
    ]);
  });

  it('names an unknown town without a suggestion when nothing is close, and rejects text in number cells', async () => {
    const errors = refused(await parseQuotaTable(csv('镇区,总数\n火星基地,3\n丁堰镇,三个\n'), 'q.csv', office));
    expect(errors).toEqual(['第2行：未知镇区“火星基地”', '第3行“总数”不是数字（三个）']);
  });

  it('refuses a town target above MAX_TARGET with its row number, but not a 合计 row adding up to more', async () => {
    const errors = refused(await parseQuotaTable(csv('镇区,总数,平台类项目\n丁堰镇,"1,000,001",1\n高新区,1000000,2\n合计,2000001,3\n'), 'q.csv', office));
    expect(errors).toEqual([`第2行“总数”超过上限 ${MAX_TARGET}（1,000,001）`]);
    expect(okImport(await parseQuotaTable(csv('镇区,总数\n丁堰镇,1000000\n高新区,1000000\n合计,2000000\n'), 'q.csv', office)).rows).toHaveLength(2);
  });

  it('suggests the town for a short or bracketed name that is not a configured alias', async () => {
    const errors = refused(await parseQuotaTable(csv('镇区,总数\n丁堰,3\n高新区（如城街道）,4\n'), 'q.csv', office));
    expect(errors).toEqual(['第2行：未知镇区“丁堰”，是否为“丁堰镇”？', '第3行：未知镇区“高新区（如城街道）”，是否为“高新区”？']);
  });

  it('refuses a table without a 镇区 column, an empty file and a header without towns', async () => {
    expect(refused(await parseQuotaTable(csv('名字,总数\n丁堰镇,3\n'), 'q.csv', office))[0]).toContain('缺少“镇区”列');
    expect(refused(await parseQuotaTable(csv(''), 'q.csv', office))).toEqual(['文件为空']);
    expect(refused(await parseQuotaTable(csv('\n,,\n'), 'q.csv', office))).toEqual(['表格为空']);
    expect(refused(await parseQuotaTable(csv('镇区,总数,平台类项目\n'), 'q.csv', office))).toEqual(['表格中没有镇区数据']);
  });

  it('refuses an XLSX with a negative cell and an old .xls file', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Sheet1');
    ws.addRow(['镇区', '总数（个）', '平台类项目（个）']);
    ws.addRow(['丁堰镇', 5, -1]);
    ws.addRow(['东陈镇', 4.5, 0]);
    const buf = Buffer.from(await wb.xlsx.writeBuffer());
    expect(refused(await parseQuotaTable(buf, 'q.xlsx', office))).toEqual([
      '第2行“平台类项目”不能为负数（-1）',
      '第3行“总数”必须是整数（4.5）',
    ]);
    const ole = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]);
    expect(refused(await parseQuotaTable(ole, 'q.xls', office))[0]).toContain('.xlsx 或 CSV');
  });
});

describe('yearShare: elapsed share of the year on the office clock', () => {
  // Local midnight in Asia/Shanghai (UTC+8, no DST).
  const sh = (y: number, m: number, d: number, h = 0, min = 0) => new Date(Date.UTC(y, m - 1, d, h - 8, min));

  it('is 0 at the start of the year and 1 at its end', () => {
    expect(yearShare(sh(2023, 1, 1), 2023, TZ)).toBe(0);
    expect(yearShare(sh(2024, 1, 1), 2023, TZ)).toBe(1);
    expect(yearShare(sh(2022, 12, 31, 23, 59), 2023, TZ)).toBe(0);
    expect(yearShare(sh(2023, 12, 31, 23, 59), 2023, TZ)).toBeCloseTo(1 - 1 / (365 * 24 * 60), 12);
    expect(yearShare(sh(2025, 6, 1), 2023, TZ)).toBe(1);
  });

  it('counts 365 days in 2023 and 366 in 2024 at the ends of January and February', () => {
    expect(yearShare(sh(2023, 2, 1), 2023, TZ)).toBeCloseTo(31 / 365, 12);
    expect(yearShare(sh(2023, 3, 1), 2023, TZ)).toBeCloseTo(59 / 365, 12);
    expect(yearShare(sh(2024, 2, 1), 2024, TZ)).toBeCloseTo(31 / 366, 12);
    expect(yearShare(sh(2024, 3, 1), 2024, TZ)).toBeCloseTo(60 / 366, 12);
  });

  it('is half way at noon on 2 July 2023 and at midnight starting 2 July 2024', () => {
    expect(yearShare(sh(2023, 7, 2, 12), 2023, TZ)).toBeCloseTo(182.5 / 365, 12);
    expect(yearShare(sh(2024, 7, 2), 2024, TZ)).toBeCloseTo(183 / 366, 12);
    expect(yearShare(sh(2024, 7, 2), 2024, TZ)).toBeCloseTo(0.5, 12);
  });

  it('uses the Shanghai date when UTC is still on the previous day', () => {
    const now = new Date('2023-02-28T23:00:00Z'); // 1 March 07:00 in Shanghai
    expect(yearShare(now, 2023, TZ)).toBeCloseTo((59 + 7 / 24) / 365, 12);
    expect(yearShare(now, 2023, 'UTC')).toBeCloseTo((58 + 23 / 24) / 365, 12);
    const newYear = new Date('2022-12-31T16:30:00Z'); // 1 January 2023 00:30 in Shanghai
    expect(yearShare(newYear, 2023, TZ)).toBeCloseTo(0.5 / 24 / 365, 12);
    expect(yearShare(newYear, 2022, TZ)).toBe(1);
  });

  it('follows the wall clock across a daylight-saving change', () => {
    // 12 March 2023 12:00 in New York, hours after clocks went forward.
    expect(yearShare(new Date('2023-03-12T16:00:00Z'), 2023, 'America/New_York')).toBeCloseTo(70.5 / 365, 12);
  });
});

describe('yearPace: a year that is over, under way or not begun', () => {
  it('measures a past year as of its 31 December against the full targets', () => {
    const now = new Date('2026-11-25T02:00:00Z');
    expect(yearPace(2025, now, TZ)).toEqual({ phase: 'past', asOf: '2025-12-31', share: 1 });
    expect(yearPace(2026, now, TZ)).toEqual({ phase: 'current', asOf: '2026-11-25', share: yearShare(now, 2026, TZ) });
    expect(yearPace(2027, now, TZ)).toEqual({ phase: 'future', asOf: '2026-11-25', share: 0 });
  });

  it('goes by the office calendar at the turn of the year', () => {
    const newYear = new Date('2025-12-31T16:30:00Z'); // 1 January 2026 00:30 in Shanghai
    expect(yearPace(2025, newYear, TZ).phase).toBe('past');
    expect(yearPace(2026, newYear, TZ)).toMatchObject({ phase: 'current', asOf: '2026-01-01' });
    expect(yearPace(2025, newYear, 'UTC')).toMatchObject({ phase: 'current', asOf: '2025-12-31' });
  });

  it('expects every target of a past year and nothing of a future one', () => {
    const quotas: QuotaTarget[] = [
      { town: '丁堰镇', metric: 'projects', target: 10 },
      { town: '丁堰镇', metric: 'funds', target: 1 },
    ];
    const leads: CountedLeadFact[] = [{ town: '丁堰镇', kind: 'fund', countedAt: new Date('2025-05-01T02:00:00Z') }];
    const now = new Date('2026-11-25T02:00:00Z');
    const past = computeProgress(2025, quotas, leads, now, TZ);
    expect(past.share).toBe(1);
    expect(past.towns[0].metrics.projects).toMatchObject({ done: 0, target: 10, expected: 10, gap: 10 });
    expect(laggingTowns(past).map((l) => l.metric)).toEqual(['projects']);
    const future = computeProgress(2027, quotas, leads, now, TZ);
    expect(future.share).toBe(0);
    expect(future.towns[0].metrics.projects).toMatchObject({ done: 0, target: 10, expected: 0, gap: 0 });
    expect(laggingTowns(future)).toEqual([]);
  });
});

describe('computeProgress: counted leads and recorded patents against the year quotas', () => {
  /** A lead counted at `at`, whose owner reported patents in that month's 一月一报 (as the stores pass them). */
  interface LeadFixture extends CountedLeadFact { inventionPatents: number; utilityModels: number; status?: string }
  const lead = (town: string, kind: string, at: string | null, inventionPatents = 0, utilityModels = 0, status?: string): LeadFixture => ({
    town,
    kind,
    countedAt: at ? new Date(at) : null,
    inventionPatents,
    utilityModels,
    ...(status ? { status } : {}),
  });
  /** What the stores select: counted leads that are approved, and the patents of their answers by month. */
  const computeProgress = (year: number, quotas: QuotaTarget[], leads: LeadFixture[], now: Date, tz: string) => {
    const counted = leads.filter((l) => (l.status ?? 'approved') === 'approved');
    const patents: PatentFact[] = counted
      .filter((l) => l.countedAt)
      .map((l) => ({ town: l.town, period: localMonth(l.countedAt!, tz), inventionPatents: l.inventionPatents, utilityModels: l.utilityModels }));
    return computeProgressOf(year, quotas, counted, now, tz, { patents });
  };

  async function seedQuotas(): Promise<QuotaTarget[]> {
    const r = okImport(await parseQuotaTable(fixture('rugao-2023-quota.csv'), 'q.csv', office));
    return quotaRecords(2023, r.rows);
  }

  it('counts a project by its tier weight when the caller gives one (scoring.quotaWeight), patents as they are', () => {
    const at = '2023-03-01T02:00:00Z';
    const weighted = [
      { ...lead('丁堰镇', 'tech', at, 2, 0), count: 2, weight: 1.5 }, // two 重点类 leads
      { ...lead('丁堰镇', 'talent', at, 1, 0), weight: 1 },
      { ...lead('丁堰镇', 'platform', at), weight: 1.5 },
    ];
    const p = computeProgress(2023, [], weighted, new Date('2023-07-02T04:00:00Z'), TZ);
    const dingyan = p.towns.find((t) => t.town === '丁堰镇')!;
    expect(dingyan.metrics.projects.done).toBe(4); // 2 × 1.5 + 1
    expect(dingyan.metrics.platforms.done).toBe(1.5);
    expect(dingyan.metrics.invention_patents.done).toBe(3);
  });

  it('counts only approved leads of the year in the town, by kind, on the Shanghai calendar', async () => {
    const quotas = [...(await seedQuotas()), { year: 2022, town: '丁堰镇', metric: 'projects', target: 99 }];
    const leads = [
      lead('丁堰镇', 'tech', '2023-03-01T02:00:00Z', 2, 5),
      lead('丁堰镇', 'talent', '2023-05-10T02:00:00Z', 1, 0),
      lead('丁堰镇', 'service', '2023-06-10T02:00:00Z', 0, 3),
      lead('丁堰镇', 'tech', '2022-12-31T17:00:00Z', 1, 1), // 1 Jan 2023 01:00 in Shanghai: counts
      lead('丁堰镇', 'tech', '2023-12-31T16:30:00Z', 4, 4), // 1 Jan 2024 00:30 in Shanghai: next year
      lead('丁堰镇', 'tech', '2022-06-01T02:00:00Z', 4, 4), // last year
      lead('丁堰镇', 'tech', null, 4, 4), // never approved
      lead('丁堰镇', 'tech', '2023-04-01T02:00:00Z', 4, 4, 'rejected'),
      lead('丁堰镇', 'platform', '2023-04-01T02:00:00Z', 7, 7),
      lead('丁堰镇', 'fund', '2023-04-02T02:00:00Z'),
      lead('东陈镇', 'tech', '2023-04-02T02:00:00Z', 9, 9),
    ];
    const now = new Date('2023-07-02T04:00:00Z'); // 2 July 12:00 in Shanghai
    const p = computeProgress(2023, quotas, leads, now, TZ);
    expect(p.share).toBeCloseTo(182.5 / 365, 12);
    const dingyan = p.towns.find((t) => t.town === '丁堰镇')!;
    expect(dingyan.metrics.projects).toMatchObject({ done: 4, target: 22, remaining: 18 });
    expect(dingyan.metrics.projects.percent).toBeCloseTo((4 / 22) * 100, 9);
    expect(dingyan.metrics.projects.expected).toBeCloseTo((22 * 182.5) / 365, 9);
    expect(dingyan.metrics.projects.gap).toBeCloseTo((22 * 182.5) / 365 - 4, 9);
    // Recorded patents count whatever the kind: 2+1+0+1 of the projects and 7 of the platform.
    expect(dingyan.metrics.invention_patents.done).toBe(11);
    expect(dingyan.metrics.utility_models.done).toBe(16);
    expect(dingyan.metrics.platforms).toMatchObject({ done: 1, target: 0, percent: null, remaining: 0 });
    expect(dingyan.metrics.funds).toMatchObject({ done: 1, target: 0 });
    const dongchen = p.towns.find((t) => t.town === '东陈镇')!;
    expect(dongchen.metrics.projects.done).toBe(1);
    expect(dongchen.metrics.invention_patents.done).toBe(9);
    expect(p.towns).toHaveLength(13);
    expect(p.city.metrics.projects).toMatchObject({ done: 5, target: 398 });
    expect(p.city.metrics.platforms).toMatchObject({ done: 1, target: 3 });
    expect(p.city.metrics.funds).toMatchObject({ done: 1, target: 4 });
    expect(p.city.metrics.utility_models.expected).toBeCloseTo((1990 * 182.5) / 365, 9);
  });

  it('ranks towns by mean capped completion, ties share a rank, towns without targets come last unranked', () => {
    const quotas: QuotaTarget[] = [
      { town: '丁堰镇', metric: 'projects', target: 10 },
      { town: '东陈镇', metric: 'projects', target: 10 },
      { town: '东陈镇', metric: 'invention_patents', target: 10 },
      { town: '白蒲镇', metric: 'projects', target: 10 },
      { town: '下原镇', metric: 'projects', target: 10 },
    ];
    const many = (town: string, n: number, kind = 'tech') => Array.from({ length: n }, () => lead(town, kind, '2023-05-01T02:00:00Z'));
    const leads = [
      ...many('丁堰镇', 5), // 0.5
      ...many('东陈镇', 20), // projects capped at 1, patents 0 → 0.5
      ...many('白蒲镇', 8), // 0.8
      ...many('下原镇', 2), // 0.2
      ...many('九华镇', 3), // no quota
    ];
    const p = computeProgress(2023, quotas, leads, new Date('2023-06-30T16:00:00Z'), TZ);
    expect(p.towns.map((t) => [t.town, t.rank, t.completion])).toEqual([
      ['白蒲镇', 1, 0.8],
      [expect.any(String), 2, 0.5],
      [expect.any(String), 2, 0.5],
      ['下原镇', 4, 0.2],
      ['九华镇', null, null],
    ]);
    expect(new Set(p.towns.slice(1, 3).map((t) => t.town))).toEqual(new Set(['丁堰镇', '东陈镇']));
    expect(p.city.metrics.projects).toMatchObject({ done: 38, target: 40 });
    expect(p.city.completion).toBeCloseTo((38 / 40 + 0 / 10) / 2, 12);
  });

  it('lists lagging (town, metric) pairs below 80% of the pace and reached targets', () => {
    const quotas: QuotaTarget[] = [
      { town: '丁堰镇', metric: 'projects', target: 10 },
      { town: '东陈镇', metric: 'projects', target: 10 },
      { town: '白蒲镇', metric: 'projects', target: 2 },
      { town: '白蒲镇', metric: 'funds', target: 1 },
    ];
    const at = '2024-03-01T02:00:00Z';
    const leads = [
      ...Array.from({ length: 3 }, () => lead('丁堰镇', 'tech', at)),
      ...Array.from({ length: 4 }, () => lead('东陈镇', 'talent', at)),
      ...Array.from({ length: 2 }, () => lead('白蒲镇', 'service', at)),
      lead('九华镇', 'platform', at),
    ];
    const now = new Date(Date.UTC(2024, 6, 1, 16)); // 2 July 2024 00:00 in Shanghai: half of leap year 2024
    const p = computeProgress(2024, quotas, leads, now, TZ);
    expect(p.share).toBeCloseTo(0.5, 12);
    const lag = laggingTowns(p);
    // 丁堰镇 3 < 0.8 × 5 lags; 东陈镇 4 is exactly 0.8 × 5 and does not; 白蒲镇 has no fund yet.
    expect(lag.map((l) => [l.town, l.metric, l.done, l.expected, l.gap])).toEqual(
      expect.arrayContaining([
        ['丁堰镇', 'projects', 3, 5, 2],
        ['白蒲镇', 'funds', 0, 0.5, 0.5],
      ]),
    );
    expect(lag).toHaveLength(2);
    expect(laggingTowns(p, 1).map((l) => `${l.town}/${l.metric}`).sort()).toEqual(['丁堰镇/projects', '东陈镇/projects', '白蒲镇/funds'].sort());
    expect(reachedTargets(p)).toEqual([{ town: '白蒲镇', metric: 'projects', done: 2, target: 2 }]);
    // 白蒲镇 reached 总数 but not 基金类项目: its year is not complete. A town without targets never is.
    expect(reachedAllTargets(p, '白蒲镇')).toBe(false);
    expect(reachedAllTargets(p, '九华镇')).toBe(false);
    const withFund = computeProgress(2024, quotas, [...leads, lead('白蒲镇', 'fund', at)], now, TZ);
    expect(reachedAllTargets(withFund, '白蒲镇')).toBe(true);
    expect(reachedAllTargets(withFund, '丁堰镇')).toBe(false);
    const atStart = computeProgress(2024, quotas, [], new Date(Date.UTC(2023, 11, 31, 16)), TZ);
    expect(atStart.share).toBe(0);
    expect(laggingTowns(atStart)).toEqual([]);
  });
});
