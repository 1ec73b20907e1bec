import { describe, expect, it } from 'vitest';
import { defaultOffice, officeSchema } from '../../src/office/config.ts';
import {
  defaultScoring, followUpEveryMonths, scoreLead, scoreSummaryLines, scoringFingerprint, scoringIndicators, scoringSchema, tierLabel,
  tierWeight, type ScoringLead,
} from '../../src/features/leads/scoring.ts';
import { LEAD_KINDS } from '../../src/office/config.ts';
import { followUpDue } from '../../src/features/lifecycle/follow-ups.ts';

const office = defaultOffice();
const scoring = scoringSchema.parse({});

// Default weights (points out of 100), src/office/scoring.ts:
//            技术先进性 成熟度 市场 团队 成长性 商业模式 指标贡献 投资 行业地位 亩均 产业链
// 科创类          20      10    10   10    10      5       15     5     5      5     5
// 人才类          20       5    10   25    10      5       10     5     5      0     5
// 平台类          20       5     5   20    10      5       15    10     5      0     5
// 服务类          10       5    15   15    10     15       15     5     5      0     5
// 基金类           0       5     0   15    10      0       20    25    10      0    15

const hydrogen: ScoringLead = {
  kind: 'tech',
  industry: '氢能',
  town: '开发区', // chains: 氢能, 储能节能, 汽车及核心零部件
  investmentWan: 1200,
  inventionPatents: 3,
  utilityModels: 2,
  details: {
    hightech_field: '新能源与节能', stage: '中试', years_to_high_tech: 2, team_strength: '省市级人才或博士领衔',
    market_outlook: '较好', industry_position: '国内领先', business_model: '初步形成',
    output_wan: 12000, tax_wan: 1500, rnd_wan: 800, jobs: 120, land_mu: 20,
  },
};

const optics: ScoringLead = {
  kind: 'talent',
  industry: '精密光学制造', // not a chain of 下原镇 (大健康); 沪苏科创产业园 carries it: a city chain
  town: '下原镇',
  investmentWan: 3000,
  inventionPatents: 4,
  utilityModels: 0,
  details: {
    talent_name: '张三', talent_title: '国家级人才', core_technology: '超精密光学加工', market_outlook: '广阔',
    industry_position: '国际领先', business_model: '初步形成', output_wan: 2000, rnd_wan: 300, jobs: 30,
  },
};

/** The 2亿 platform that is a 重大项目 (it scored 「20 分 · 潜力类」 before). */
const materials: ScoringLead = {
  kind: 'platform',
  industry: '前沿新材料',
  town: '长江镇', // chains: 前沿新材料, 高端装备制造
  investmentWan: 20000,
  inventionPatents: 2,
  utilityModels: 0,
  details: {
    partner_institution: '中科院某所', partner_type: '科研院所', platform_type: '新型研发机构', planned_staff: 120,
    market_outlook: '较好', industry_position: '省内领先', business_model: '尚在探索',
    output_wan: 10000, tax_wan: 1200, rnd_wan: 1000, jobs: 120,
  },
};

const testing: ScoringLead = {
  kind: 'service',
  industry: '光电及泛半导体',
  town: '高新区', // chains: 精密光学制造, 光电及泛半导体, 合成生物学
  investmentWan: 1500,
  details: {
    service_type: '技术评估检测', team_strength: '省市级人才或博士领衔', market_outlook: '广阔', industry_position: '省内领先',
    business_model: '已验证（有订单或营收）', output_wan: 3000, tax_wan: 250, rnd_wan: 400, jobs: 40,
  },
};

/** The 5亿 fund (it scored 常规类 before), in a town that hosts no chain. */
const fund: ScoringLead = {
  kind: 'fund',
  industry: null,
  town: '丁堰镇',
  investmentWan: null,
  details: {
    fund_manager: '某创投', fund_size_wan: 50000, fund_stage: 'VC', focus_industries: ['氢能', '合成生物学'],
    team_strength: '省市级人才或博士领衔', industry_position: '国内领先', tax_wan: 200, jobs: 20,
  },
};

describe('综合评价模型 with the default weights: every kind can reach 重点类 on its merits', () => {
  it('scores a 科创类 project indicator by indicator: 72.8 → 重点类', () => {
    const r = scoreLead(hydrogen, office, scoring);
    expect(r.reasons.map((x) => x.text)).toEqual([
      '技术先进性 16.8/20：高新技术领域（新能源与节能）、发明专利实审 3 件、实用新型授权 2 件', // 0.4 + 3×0.12 + 2×0.04 = 0.84
      '技术成熟度 6/10：项目阶段：中试', // 0.6
      '市场前景 6/10：市场前景较好', // 0.6
      '团队 7/10：省市级人才或博士领衔', // 0.7
      '成长性 7/10：预计 2 年满足高企条件', // 0.7 (研发投入占产值 6.7% is 0.7 too)
      '商业模式 3/5：商业模式初步形成', // 0.6
      '预计指标贡献 10.5/15：预计产值 12,000 万元、税收 1,500 万元、研发投入 800 万元、就业 120 人', // 0.7 each
      '投资规模 2.5/5：计划投资额 1,200 万元', // ≥1,000 → 0.5
      '行业地位 4/5：行业地位国内领先', // 0.8
      '亩均效益 5/5：亩均税收 75 万元', // 1,500 / 20 ≥ 50 → 1
      '产业链契合 5/5：所在镇区产业链（开发区·氢能）',
    ]);
    expect(r.score).toBe(72.8);
    expect(r.tier).toBe('key');
  });

  it('scores a 人才类 project: 17.6 + 0 + 10 + 25 + 10 + 3 + 3 + 2.5 + 5 + 4.5 = 80.6 → 重点类', () => {
    const r = scoreLead(optics, office, scoring);
    expect(r.reasons.map((x) => [x.rule, x.points])).toEqual([
      ['advancement', 17.6], // 核心技术 0.4 + 4 发明专利 0.48
      ['maturity', 0], // no stage yet
      ['market', 10],
      ['team', 25], // 国家级人才
      ['growth', 10], // 研发投入 300 / 产值 2,000 = 15%
      ['business', 3],
      ['contribution', 3], // (0.4 + 0 + 0.4 + 0.4) / 4 × 10
      ['investment', 2.5],
      ['position', 5],
      ['chain', 4.5], // a city chain, not the town's: 0.9
    ]);
    expect(r.reasons[1].text).toBe('技术成熟度 0/5：未填写');
    expect(r.reasons[9].text).toBe('产业链契合 4.5/5：全市产业链（精密光学制造）');
    expect([r.score, r.tier]).toEqual([80.6, 'key']);
  });

  it('scores the 2亿 平台类 project: 12.8 + 0 + 3 + 20 + 10 + 1 + 10.5 + 10 + 2.5 + 5 = 74.8 → 重点类', () => {
    const r = scoreLead(materials, office, scoring);
    expect(r.reasons.map((x) => x.points)).toEqual([12.8, 0, 3, 20, 10, 1, 10.5, 10, 2.5, 5]);
    expect(r.reasons[3].text).toBe('团队 20/20：计划人员 120 人'); // 120 人 → 1, better than 科研院所 0.9
    expect([r.score, r.tier]).toEqual([74.8, 'key']);
  });

  it('scores a 服务类 project: 4 + 0 + 15 + 10.5 + 10 + 15 + 6 + 2.5 + 2.5 + 5 = 70.5 → 重点类', () => {
    const r = scoreLead(testing, office, scoring);
    expect(r.reasons.map((x) => x.points)).toEqual([4, 0, 15, 10.5, 10, 15, 6, 2.5, 2.5, 5]);
    expect([r.score, r.tier]).toEqual([70.5, 'key']);
  });

  it('scores the 5亿 基金类 fund in a town without chains: 0 + 10.5 + 8 + 3 + 25 + 8 + 13.5 = 68 → 重点类', () => {
    const r = scoreLead(fund, office, scoring);
    expect(r.reasons.map((x) => x.text)).toEqual([
      '技术成熟度 0/5：未填写',
      '团队 10.5/15：省市级人才或博士领衔',
      '成长性 8/10：投资阶段：VC',
      '预计指标贡献 3/20：预计税收 200 万元、就业 20 人', // (0.4 + 0.2) / 4 × 20
      '投资规模 25/25：基金规模 50,000 万元',
      '行业地位 8/10：行业地位国内领先',
      '产业链契合 13.5/15：全市产业链（氢能）', // 重点投向 氢能 is a chain of 开发区
    ]);
    expect([r.score, r.tier]).toEqual([68, 'key']);
  });

  it('scores every kind on 100 points: the weights of each kind add up to 100', () => {
    for (const kind of LEAD_KINDS) {
      expect(scoringIndicators(kind, scoring).reduce((s, i) => s + i.max, 0)).toBe(100);
    }
    expect(scoringIndicators('fund', scoring).map((i) => `${i.label} ${i.max}`)).toEqual([
      '技术成熟度 5', '团队 15', '成长性 10', '预计指标贡献 20', '投资规模 25', '行业地位 10', '产业链契合 15',
    ]);
    expect(scoringIndicators('nonsense', scoring)).toEqual([]);
  });

  it('does not let the town decide the tier: the same project in a town without chains loses half a point', () => {
    const here = scoreLead(hydrogen, office, scoring);
    const there = scoreLead({ ...hydrogen, town: '丁堰镇' }, office, scoring);
    expect(here.score - there.score).toBeCloseTo(0.5);
    expect(there.tier).toBe(here.tier);
    expect(there.reasons.at(-1)!.text).toBe('产业链契合 4.5/5：全市产业链（氢能）');
    // An industry no chain of the city carries scores nothing there.
    expect(scoreLead({ ...hydrogen, industry: '其他' }, office, scoring).reasons.at(-1)!.text).toBe('产业链契合 0/5：未填写');
  });

  it('raises 技术成熟度, 成长性 and 行业地位 as the project moves on', () => {
    const base = scoreLead(hydrogen, office, scoring).score;
    const landed = scoreLead({ ...hydrogen, stage: 'landed' }, office, scoring);
    expect(landed.reasons[1].text).toBe('技术成熟度 8/10：已落地'); // 0.8 beats 中试 0.6
    expect(landed.score).toBeCloseTo(base + 2);
    const leading = scoreLead({ ...hydrogen, stage: 'producing', milestones: ['high_tech', 'leading'] }, office, scoring);
    expect(leading.reasons.find((r) => r.rule === 'growth')!.text).toBe('成长性 10/10：领军企业');
    expect(leading.reasons.find((r) => r.rule === 'position')!.text).toBe('行业地位 5/5：领军企业');
    expect(leading.score).toBeCloseTo(base + 4 + 3 + 1);
  });

  it('gives a bare lead nothing, with every indicator shown as 未填写', () => {
    const r = scoreLead({ kind: 'service', industry: null, town: '丁堰镇', details: {} }, office, scoring);
    expect(r.score).toBe(0);
    expect(r.tier).toBe('potential');
    expect(r.reasons).toHaveLength(10);
    expect(r.reasons.every((x) => x.text.endsWith('：未填写'))).toBe(true);
  });

  it('counts a project in a 载体 (no new land) as full 亩均效益 once it projects tax or output', () => {
    const noLand = scoreLead({ ...hydrogen, details: { ...(hydrogen.details as object), land_mu: 0 } }, office, scoring);
    expect(noLand.reasons.find((r) => r.rule === 'land')!.text).toBe('亩均效益 5/5：不新增用地');
    const big = scoreLead({ ...hydrogen, details: { ...(hydrogen.details as object), land_mu: 100 } }, office, scoring);
    expect(big.reasons.find((r) => r.rule === 'land')!.text).toBe('亩均效益 2/5：亩均税收 15 万元'); // ≥15 → 0.4
  });
});

describe('a configured model', () => {
  it('takes weights from the YAML per kind, scaled to 100, and keeps the defaults for what it leaves out', () => {
    const custom = scoringSchema.parse({ weights: { service: { market: 1, business: 1 } }, tiers: { key: 80, regular: 40 } });
    expect(custom.weights.tech).toEqual(defaultScoring.weights.tech);
    expect(scoringIndicators('service', custom)).toEqual([
      { indicator: 'market', label: '市场前景', max: 50 },
      { indicator: 'business', label: '商业模式', max: 50 },
    ]);
    const r = scoreLead(testing, office, custom);
    expect(r.reasons.map((x) => x.text)).toEqual(['市场前景 50/50：市场前景广阔', '商业模式 50/50：商业模式已验证（有订单或营收）']);
    expect([r.score, r.tier]).toEqual([100, 'key']);
    const lower = scoringSchema.parse({ levels: { marketOutlook: { 广阔: 0.5 } } });
    expect(scoreLead(testing, office, lower).reasons[2].text).toBe('市场前景 7.5/15：市场前景广阔');
  });

  it('refuses cut-offs in the wrong order, unknown indicators, shares above 1 and a kind weighing nothing', () => {
    expect(scoringSchema.safeParse({ tiers: { key: 30, regular: 40 } }).success).toBe(false);
    expect(scoringSchema.safeParse({ weights: { tech: { luck: 10 } } }).success).toBe(false);
    expect(scoringSchema.safeParse({ weights: { tech: { market: 0 } } }).success).toBe(false);
    expect(scoringSchema.safeParse({ weights: { gadget: { market: 10 } } }).success).toBe(false);
    expect(scoringSchema.safeParse({ levels: { marketOutlook: { 广阔: 2 } } }).success).toBe(false);
    expect(scoringSchema.safeParse({ followUpMonths: { potential: 0 } }).success).toBe(false);
  });

  it('is parsed with the office config: the defaults, and a partial section filled in from them', () => {
    expect(office.scoring).toEqual(scoring);
    const withSection = officeSchema.parse({ scoring: { chain: { city: 0.5 } } });
    expect(withSection.scoring).toEqual({ ...scoring, chain: { town: 1, city: 0.5 } });
  });

  it('has a fingerprint that changes with the model and the chains, not with follow-up or 考核 settings', () => {
    const base = scoringFingerprint(office, scoring);
    expect(scoringFingerprint(office, scoringSchema.parse({}))).toBe(base);
    expect(scoringFingerprint(office, scoringSchema.parse({ chain: { city: 0.5 } }))).not.toBe(base);
    expect(scoringFingerprint(office, scoringSchema.parse({ followUpMonths: { potential: 3 }, quotaWeight: { key: 1.5 } }))).toBe(base);
    const moved = officeSchema.parse({ towns: office.towns.map((t) => (t.name === '丁堰镇' ? { ...t, chains: ['氢能'] } : t)) });
    expect(scoringFingerprint(moved, scoring)).not.toBe(base);
    const reordered = { ...scoring, tiers: { regular: scoring.tiers.regular, key: scoring.tiers.key } };
    expect(scoringFingerprint(office, reordered)).toBe(base);
  });
});

describe('the tier in use', () => {
  it('asks for 一月一报 by the tier\'s frequency, from the month of approval', () => {
    const s = scoringSchema.parse({ followUpMonths: { potential: 3 } });
    expect([followUpEveryMonths('key', s), followUpEveryMonths('potential', s), followUpEveryMonths(null, s)]).toEqual([1, 3, 1]);
    expect(['2026-03', '2026-04', '2026-05', '2026-06', '2026-09'].map((p) => followUpDue('2026-03', p, 3))).toEqual([true, false, false, true, true]);
    expect(followUpDue('2026-03', '2026-02', 1)).toBe(false);
  });

  it('weighs a tier in 考核 as the YAML says, 1 by default', () => {
    const s = scoringSchema.parse({ quotaWeight: { key: 1.5 } });
    expect([tierWeight('key', s), tierWeight('regular', s), tierWeight(null, s), tierWeight('key', scoring)]).toEqual([1.5, 1, 1, 1]);
  });
});

describe('score lines for cards', () => {
  it('shows the score, tier and stored reasons', () => {
    const r = scoreLead(fund, office, scoring);
    const lines = scoreSummaryLines({ score: r.score, tier: r.tier, scoreReasons: JSON.parse(JSON.stringify(r.reasons)) });
    expect(lines[0]).toBe('综合评分：68 分 · 重点类');
    expect(lines[5]).toBe('· 投资规模 25/25：基金规模 50,000 万元');
    expect(scoreSummaryLines({ score: null, tier: null })).toEqual([]);
    expect(tierLabel('potential')).toBe('潜力类');
  });
});
