import { describe, expect, it } from 'vitest';
import { defaultOffice, officeSchema } from '../../src/office/config.ts';
import {
  defaultScoring, scoreLead, scoreSummaryLines, scoringFingerprint, scoringSchema, tierLabel, type ScoringLead,
} from '../../src/features/leads/scoring.ts';

const office = defaultOffice();
const scoring = scoringSchema.parse({});

// The defaults (src/features/leads/scoring.ts): chain fit town 20 / park 10; 项目阶段 产业化 20, 中试 12, 研发 5;
// 人才层次 国家级 25, 海外高层次 20, 省级 15, 市级 8; 合作单位 央企/龙头企业 15, 高校/科研院所 12;
// 发明专利 3 each up to 15, 实用新型 1 each up to 5; 投资 ≥10000 → 20, ≥5000 → 15, ≥1000 → 10, ≥100 → 5;
// 落地即带投资需求 5; 重点类 ≥ 60, 常规类 ≥ 35.

const hydrogen: ScoringLead = {
  kind: 'tech',
  industry: '氢能',
  town: '开发区', // chains: 氢能, 储能节能, 汽车及核心零部件
  investmentWan: 1200,
  needsFund: true,
  inventionPatents: 3,
  utilityModels: 8,
  details: { hightech_field: '新能源与节能', stage: '产业化' },
};

const optics: ScoringLead = {
  kind: 'talent',
  industry: '精密光学制造', // not a chain of 下原镇 (大健康); 沪苏科创产业园 carries it
  town: '下原镇',
  investmentWan: null,
  needsFund: false,
  inventionPatents: 1,
  utilityModels: 0,
  details: { talent_name: '张三', talent_title: '省级人才' },
};

const materials: ScoringLead = {
  kind: 'platform',
  industry: '前沿新材料',
  town: '长江镇', // chains: 前沿新材料, 高端装备制造
  investmentWan: 500,
  needsFund: false,
  inventionPatents: 0,
  utilityModels: 0,
  details: { partner_institution: '中科院某所', partner_type: '科研院所', platform_type: '新型研发机构' },
};

describe('综合评价模型 with the default weights', () => {
  it('scores a 科创类 hydrogen project in 开发区 as 重点类: 20 + 20 + 9 + 5 + 10 + 5 = 69', () => {
    const r = scoreLead(hydrogen, office, scoring);
    expect(r.reasons.map((x) => x.text)).toEqual([
      '产业方向与所在镇区产业链匹配（开发区·氢能） +20',
      '项目阶段：产业化 +20',
      '发明专利实审 3 件（每件 3 分，上限 15 分） +9',
      '实用新型授权 8 件（每件 1 分，上限 5 分） +5',
      '计划投资额 1,200 万元（≥1,000 万元） +10',
      '落地即带投资需求 +5',
    ]);
    expect(r.score).toBe(69);
    expect(r.tier).toBe('key');
    expect(tierLabel(r.tier)).toBe('重点类');
  });

  it('scores a 人才类 optics project in 下原镇 as 潜力类: park 10 + 省级 15 + 1 patent 3 = 28', () => {
    const r = scoreLead(optics, office, scoring);
    expect(r.reasons.map((x) => [x.rule, x.points])).toEqual([
      ['chain_park', 10],
      ['talent_title', 15],
      ['invention_patents', 3],
    ]);
    expect(r.reasons[0].text).toBe('产业方向符合专业园区招引方向（沪苏科创产业园·精密光学制造） +10');
    expect(r.score).toBe(28);
    expect(r.tier).toBe('potential');
  });

  it('scores a 平台类 new-materials platform in 长江镇 as 常规类: 20 + 科研院所 12 + 500 万元 5 = 37', () => {
    const r = scoreLead(materials, office, scoring);
    expect(r.reasons.map((x) => x.text)).toEqual([
      '产业方向与所在镇区产业链匹配（长江镇·前沿新材料） +20',
      '合作单位类型：科研院所 +12',
      '计划投资额 500 万元（≥100 万元） +5',
    ]);
    expect(r.score).toBe(37);
    expect(r.tier).toBe('regular');
  });

  it('uses 基金规模 for a 基金类 lead without 计划投资额, and a park of another town counts as park fit', () => {
    const r = scoreLead(
      { kind: 'fund', industry: '氢能', town: '白蒲镇', investmentWan: null, details: { fund_manager: '某创投', fund_size_wan: 50000 } },
      office,
      scoring,
    );
    // 白蒲镇 has no chains; 氢能产业园 (开发区) carries 氢能 → park 10; 50,000 万元 ≥ 10,000 → 20.
    expect(r.reasons.map((x) => x.text)).toEqual([
      '产业方向符合专业园区招引方向（氢能产业园·氢能） +10',
      '基金规模 50,000 万元（≥10,000 万元） +20',
    ]);
    expect(r.score).toBe(30);
    expect(r.tier).toBe('potential');
  });

  it('gives nothing for a lead without industry, stage, patents or amount', () => {
    const r = scoreLead({ kind: 'service', industry: null, town: '丁堰镇', details: { service_type: '科技咨询' } }, office, scoring);
    expect(r).toEqual({ score: 0, tier: 'potential', reasons: [] });
  });

  it('counts a park located in the lead\'s own town as a town fit', () => {
    const o = officeSchema.parse({
      towns: [{ name: '开发区', chains: [] }, { name: '丁堰镇', chains: [] }],
      parks: [{ name: '氢能产业园', town: '开发区', chains: ['氢能'] }],
    });
    expect(scoreLead({ ...hydrogen, details: {}, inventionPatents: 0, utilityModels: 0, investmentWan: null, needsFund: false }, o, scoring).reasons.map((x) => x.text))
      .toEqual(['产业方向与所在镇区产业链匹配（开发区氢能产业园·氢能） +20']);
    expect(scoreLead({ ...hydrogen, town: '丁堰镇', details: {}, inventionPatents: 0, utilityModels: 0, investmentWan: null, needsFund: false }, o, scoring).reasons.map((x) => x.text))
      .toEqual(['产业方向符合专业园区招引方向（氢能产业园·氢能） +10']);
  });
});

describe('a configured model', () => {
  it('takes weights and cut-offs from the config, keeping defaults for what it leaves out', () => {
    const custom = scoringSchema.parse({ chainFit: { town: 30 }, techStage: { 产业化: 25 }, tiers: { key: 80, regular: 40 } });
    expect(custom.chainFit).toEqual({ town: 30, park: 10 });
    expect(custom.patents).toEqual(defaultScoring.patents);
    // 30 + 25 + 9 + 5 + 10 + 5 = 84 → 重点类 (≥ 80)
    const r = scoreLead(hydrogen, office, custom);
    expect(r.score).toBe(84);
    expect(r.tier).toBe('key');
    // 中试 is no longer in the table: the stage adds nothing. 30 + 9 + 5 + 10 + 5 = 59 → 常规类 (40 ≤ 59 < 80)
    const pilot = scoreLead({ ...hydrogen, details: { stage: '中试' } }, office, custom);
    expect(pilot.reasons.some((x) => x.rule === 'tech_stage')).toBe(false);
    expect(pilot.score).toBe(59);
    expect(pilot.tier).toBe('regular');
  });

  it('refuses cut-offs in the wrong order and negative weights', () => {
    expect(scoringSchema.safeParse({ tiers: { key: 30, regular: 40 } }).success).toBe(false);
    expect(scoringSchema.safeParse({ needsFund: -5 }).success).toBe(false);
  });

  it('is parsed with the office config: the defaults, and a partial section filled in from them', () => {
    expect(office.scoring).toEqual(scoring);
    const withSection = officeSchema.parse({ scoring: { needsFund: 9 } });
    expect(withSection.scoring).toEqual({ ...scoring, needsFund: 9 });
  });

  it('has a fingerprint that changes with the weights and with the chains, not with key order', () => {
    const base = scoringFingerprint(office, scoring);
    expect(scoringFingerprint(office, scoringSchema.parse({}))).toBe(base);
    expect(scoringFingerprint(office, scoringSchema.parse({ needsFund: 6 }))).not.toBe(base);
    const moved = officeSchema.parse({ towns: office.towns.map((t) => (t.name === '丁堰镇' ? { ...t, chains: ['氢能'] } : t)) });
    expect(scoringFingerprint(moved, scoring)).not.toBe(base);
    const reordered = { ...scoring, tiers: { regular: scoring.tiers.regular, key: scoring.tiers.key } };
    expect(scoringFingerprint(office, reordered)).toBe(base);
  });
});

describe('score lines for cards', () => {
  it('shows the score, tier and stored reasons', () => {
    const r = scoreLead(materials, office, scoring);
    expect(scoreSummaryLines({ score: r.score, tier: r.tier, scoreReasons: JSON.parse(JSON.stringify(r.reasons)) })).toEqual([
      '综合评分：37 分 · 常规类',
      '· 产业方向与所在镇区产业链匹配（长江镇·前沿新材料） +20',
      '· 合作单位类型：科研院所 +12',
      '· 计划投资额 500 万元（≥100 万元） +5',
    ]);
    expect(scoreSummaryLines({ score: null, tier: null })).toEqual([]);
  });
});
