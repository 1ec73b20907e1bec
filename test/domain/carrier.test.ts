// 载体 domain rules (src/features/carriers/carrier.ts): reading 建设方式 and areas, levels, chains, matching a
// lead to carriers, and the targets line.
import { describe, expect, it } from 'vitest';
import { defaultOffice, officeSchema } from '../../src/office/config.ts';
import {
  carrierProgress, carrierTargetsLine, inferChains, levelOf, matchCarriers, parseArea, parseBuildMode, parseCarrierRows,
} from '../../src/features/carriers/carrier.ts';
import { parseCarrierArgs } from '../../src/features/carriers/commands.ts';

const office = defaultOffice();
const rows = (lines: string[][]) => lines.map((cells, i) => ({ rowNumber: i + 1, cells }));

describe('reading a 载体汇总表', () => {
  it('reads 建设方式, areas and levels as an office writes them', () => {
    expect(['新建载体', '新建', '盘活厂房', '盘活', '升级', '升级改造', '拆除'].map(parseBuildMode)).toEqual(['new', 'new', 'revived', 'revived', 'upgrade', 'upgrade', undefined]);
    expect(['12000', '1.2万', '12,000㎡', '12000平方米', '3000 m²', '一万', '-5'].map(parseArea)).toEqual([12000, 12000, 12000, 12000, 3000, undefined, undefined]);
    expect(['国家级孵化器', '省级专业孵化器（合成生物）', '加速器', ''].map(levelOf)).toEqual(['national', 'provincial', undefined, undefined]);
  });

  it('infers chains from the name or 建设方向, else the town', () => {
    expect(inferChains(office, { town: '高新区', name: '合成生物孵化器', direction: '省级专业孵化器（合成生物）' })).toEqual(['合成生物学']);
    expect(inferChains(office, { town: '开发区', name: '氢能孵化器', direction: '省级专业孵化器（先进制造）' })).toEqual(['氢能', '高端装备制造']);
    expect(inferChains(office, { town: '长江镇', name: '国骄产业园', direction: null })).toEqual(['前沿新材料', '高端装备制造']);
    expect(inferChains(office, { town: '丁堰镇', name: '凤凰科创园', direction: '省级众创空间' })).toEqual([]);
  });

  it('skips notes and 合计 rows and finds the header under a title row', () => {
    const r = parseCarrierRows(rows([
      ['2023年如皋市新建（盘活）孵化载体汇总表'],
      ['序号', '建设镇区', '科创载体名称', '建设方式', '建设方向'],
      ['1', '城南街道', '初曦科技创业中心', '盘活厂房', '省级孵化器'],
      ['', '合计', '', '', ''],
      ['注：建设方向为规划方向'],
    ]), office);
    expect(r).toEqual({ ok: true, warnings: [], carriers: [{ town: '高新区', name: '初曦科技创业中心', buildMode: 'revived', direction: '省级孵化器', level: 'provincial', rowNumber: 3 }] });
  });

  it('refuses a table without the two key columns', () => {
    expect(parseCarrierRows(rows([['序号', '名称', '方式']]), office)).toEqual({ ok: false, errors: [expect.stringContaining('缺少表头')] });
  });
});

describe('matching a lead to carriers', () => {
  const carriers = [
    { id: 1, name: '甲', town: '高新区', areaSqm: 10000, usedSqm: 9000, chains: ['氢能'] },
    { id: 2, name: '乙', town: '开发区', areaSqm: 20000, usedSqm: 5000, chains: ['氢能'] },
    { id: 3, name: '丙', town: '开发区', areaSqm: null, usedSqm: null, chains: ['氢能', '储能节能'] },
    { id: 4, name: '丁', town: '开发区', areaSqm: 50000, usedSqm: 0, chains: ['大健康'] },
    { id: 5, name: '戊', town: '高新区', areaSqm: 30000, usedSqm: 0, chains: ['氢能'] },
  ];
  it('keeps carriers of the chain with enough free area, own town first, then most free', () => {
    expect(matchCarriers(carriers, { industry: '氢能', town: '开发区', spaceSqm: 2000 }).map((m) => m.carrier.name)).toEqual(['乙', '丙', '戊']);
    expect(matchCarriers(carriers, { industry: '氢能', town: '开发区' }).map((m) => m.carrier.name)).toEqual(['乙', '丙', '戊', '甲']);
    expect(matchCarriers(carriers, { industry: null, town: '开发区' })).toEqual([]);
    expect(matchCarriers(carriers, { industry: '氢能', town: '开发区', spaceSqm: 2000 })[0].reasons).toEqual(['服务氢能', '空余 15,000㎡', '同镇区']);
  });
});

describe('targets and the /carrier command', () => {
  it('takes the targets from the office YAML, defaulting to the 方案 (40万㎡, one national and one provincial incubator)', () => {
    expect(office.carriers).toEqual({ areaSqm: 400000, incubators: { national: 1, provincial: 1 } });
    expect(officeSchema.parse({ carriers: { areaSqm: 500000 } }).carriers).toEqual({ areaSqm: 500000, incubators: { national: 1, provincial: 1 } });
    expect(officeSchema.safeParse({ carriers: { incubators: { national: -1 } } }).success).toBe(false);
  });

  it('counts area and incubators by level', () => {
    const p = carrierProgress(2023, [
      { areaSqm: 150000, usedSqm: 1000, direction: '国家级孵化器' },
      { areaSqm: 50000, usedSqm: null, direction: '省级众创空间' },
      { areaSqm: null, usedSqm: null, direction: '省级专业孵化器（合成生物）' },
    ], office.carriers);
    expect(p).toMatchObject({ carriers: 3, areaSqm: 200000, usedSqm: 1000, withoutArea: 1, incubators: { national: 1, provincial: 1 } });
    expect(carrierTargetsLine(p)).toBe('**科创载体**：孵化面积 20万㎡ / 40万㎡（50%） · 国家级孵化器 1 / 1 · 省级孵化器 1 / 1（共 3 个载体，1 个未填面积；孵化器按建设方向统计）');
  });

  it('splits /carrier arguments into a name and its keywords', () => {
    expect(parseCarrierArgs(['皋加速科创园', '面积', '12000', '已用', '8000', '入驻', '甲公司、乙公司', '丙公司'])).toEqual({ ok: true, name: '皋加速科创园', area: '12000', used: '8000', tenants: ['甲公司、乙公司', '丙公司'] });
    expect(parseCarrierArgs(['皋加速科创园', '面积12000'])).toEqual({ ok: true, name: '皋加速科创园', area: '12000' });
    expect(parseCarrierArgs(['面积', '12000'])).toEqual({ ok: false, error: '请写上载体名称。' });
    expect(parseCarrierArgs(['甲', '面积', '1', '面积', '2'])).toEqual({ ok: false, error: '「面积」写了两次。' });
  });
});
