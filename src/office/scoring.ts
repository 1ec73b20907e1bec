// The `scoring` section of the office's YAML (综合评价模型): its schema and defaults. The rules that use them
// are in src/features/leads/scoring.ts; they live here so the office config does not import a feature.
//
// The model (seeds 000 事前评价机制「产业特征、发展形势、团队构成、技术水平、市场前景、预计指标贡献」, 002「技术水平和
// 市场规模、经营团队、商业模式、成长性」, 001/004 苏府办〔2022〕127号「技术先进性、技术成熟度、产业化前景」「产业结构优、
// 科技含量高、行业地位前、亩均效益好」): a list of indicators, each with a weight per kind. Every indicator gives a
// share in [0, 1] of its weight from the lead's facts; a kind's weights are scaled to 100, so every kind is
// scored on the same 100-point scale and can reach every tier on its merits.
import { z } from 'zod';
import { LEAD_KINDS } from './kinds.ts';

export const INDICATORS = [
  'advancement', 'maturity', 'market', 'team', 'growth', 'business', 'contribution', 'investment', 'position', 'land', 'chain',
] as const;
export type Indicator = (typeof INDICATORS)[number];

export const INDICATOR_LABELS: Readonly<Record<Indicator, string>> = {
  advancement: '技术先进性',
  maturity: '技术成熟度',
  market: '市场前景',
  team: '团队',
  growth: '成长性',
  business: '商业模式',
  contribution: '预计指标贡献',
  investment: '投资规模',
  position: '行业地位',
  land: '亩均效益',
  chain: '产业链契合',
};

type Weights = Record<Indicator, number>;
type Band = { min: number; share: number };

const w = (...v: number[]): Weights => Object.fromEntries(INDICATORS.map((k, i) => [k, v[i]])) as Weights;

/** The defaults. Weights per kind, in INDICATORS order; each row sums to 100. */
export const defaultScoring = {
  weights: {
    //            adv mat mkt team grow bus contr inv pos land chain
    tech: w(20, 10, 10, 10, 10, 5, 15, 5, 5, 5, 5),
    talent: w(20, 5, 10, 25, 10, 5, 10, 5, 5, 0, 5),
    platform: w(20, 5, 5, 20, 10, 5, 15, 10, 5, 0, 5),
    service: w(10, 5, 15, 15, 10, 15, 15, 5, 5, 0, 5),
    fund: w(0, 5, 0, 15, 10, 0, 20, 25, 10, 0, 15),
  } as Record<string, Weights>,
  /** score ≥ key → 重点类; score ≥ regular → 常规类; below → 潜力类 (on the 100-point scale). */
  tiers: { key: 60, regular: 35 },
  /** Shares (0–1) of an indicator's weight for the values of a select on the form or a stage reached. */
  levels: {
    /** 技术成熟度: 项目阶段 on the form (科创类). */
    techStage: { 研发: 0.3, 中试: 0.6, 产业化: 1 } as Record<string, number>,
    /** 技术成熟度: the stage the project has reached after approval (any kind). */
    lifecycleStage: { signed: 0.5, registered: 0.6, landed: 0.8, producing: 1 } as Record<string, number>,
    marketOutlook: { 广阔: 1, 较好: 0.6, 一般: 0.3 } as Record<string, number>,
    industryPosition: { 国际领先: 1, 国内领先: 0.8, 省内领先: 0.5, 一般: 0.2 } as Record<string, number>,
    businessModel: { '已验证（有订单或营收）': 1, 初步形成: 0.6, 尚在探索: 0.2 } as Record<string, number>,
    teamStrength: { 国家级人才领衔: 1, 省市级人才或博士领衔: 0.7, 有专职研发团队: 0.4, 尚在组建: 0.1 } as Record<string, number>,
    talentTitle: { 国家级人才: 1, 海外高层次人才: 0.9, 省级人才: 0.7, 市级人才: 0.4, 其他: 0.2 } as Record<string, number>,
    partnerType: { 央企: 1, 龙头企业: 1, 高校: 0.9, 科研院所: 0.9, 其他: 0.3 } as Record<string, number>,
    fundStage: { 天使: 1, VC: 0.8, PE: 0.5 } as Record<string, number>,
    /** 成长性: 预计满足高企申报条件年限 (科创类), in years. */
    yearsToHighTech: { '1': 1, '2': 0.7, '3': 0.4 } as Record<string, number>,
    /** 成长性: growth milestones reached after approval. */
    milestones: { tech_sme: 0.5, high_tech: 0.8, leading: 1 } as Record<string, number>,
  },
  /** 技术先进性: what the kind's own technology field gives (高新技术领域, 核心技术, 平台类型, 服务类型), plus patents. */
  advancement: {
    base: 0.4,
    invention: { each: 0.12, max: 0.48 },
    utility: { each: 0.04, max: 0.12 },
  },
  /** Bands: the highest `min` reached gives its share. Amounts in 万元, people in 人, ratios as fractions. */
  bands: {
    output: [{ min: 50000, share: 1 }, { min: 10000, share: 0.7 }, { min: 2000, share: 0.4 }, { min: 500, share: 0.2 }] as Band[],
    tax: [{ min: 5000, share: 1 }, { min: 1000, share: 0.7 }, { min: 200, share: 0.4 }, { min: 50, share: 0.2 }] as Band[],
    rnd: [{ min: 2000, share: 1 }, { min: 500, share: 0.7 }, { min: 100, share: 0.4 }, { min: 20, share: 0.2 }] as Band[],
    jobs: [{ min: 200, share: 1 }, { min: 100, share: 0.7 }, { min: 30, share: 0.4 }, { min: 10, share: 0.2 }] as Band[],
    /** 计划投资额 (基金类: 基金规模). */
    investment: [{ min: 10000, share: 1 }, { min: 5000, share: 0.75 }, { min: 1000, share: 0.5 }, { min: 100, share: 0.25 }] as Band[],
    /** 亩均税收, 万元 per 亩. */
    taxPerMu: [{ min: 50, share: 1 }, { min: 30, share: 0.7 }, { min: 15, share: 0.4 }, { min: 0, share: 0.2 }] as Band[],
    /** 研发投入 / 产值 (成长性). */
    rndShare: [{ min: 0.1, share: 1 }, { min: 0.05, share: 0.7 }, { min: 0.03, share: 0.4 }] as Band[],
    /** 计划人员规模 (平台类, 团队). */
    staff: [{ min: 100, share: 1 }, { min: 50, share: 0.7 }, { min: 20, share: 0.4 }, { min: 5, share: 0.2 }] as Band[],
  },
  /** 亩均效益 of a project with projected tax or output and no new land (用地面积 blank or 0, e.g. in a 载体). */
  noLandShare: 1,
  /** 产业链契合: industry in a chain of the lead's own town (or a park there), or in any chain of the city. */
  chain: { town: 1, city: 0.9 },
  /** 一月一报 by tier: a project is asked every n months (counted from the month it was approved). */
  followUpMonths: { key: 1, regular: 1, potential: 1 },
  /** 考核: how much one approved project of each tier counts (see tierWeight); 1 = as any project. */
  quotaWeight: { key: 1, regular: 1, potential: 1 },
};

const share = z.number().min(0, '比例不能为负').max(1, '比例不能超过 1');
const shareTable = z.record(z.string().trim().min(1), share);
const bands = z.array(z.object({ min: z.number().min(0), share }));
const weight = z.number().min(0, '权重不能为负').max(1000);
const clone = <T>(v: T) => () => structuredClone(v);
const perTier = (d: { key: number; regular: number; potential: number }, item: z.ZodNumber) =>
  z.object({ key: item.default(d.key), regular: item.default(d.regular), potential: item.default(d.potential) }).default(clone(d));

/** One kind's weights: indicators left out weigh 0; at least one must weigh more than 0. */
const kindWeights = z.object(Object.fromEntries(INDICATORS.map((k) => [k, weight.optional()])) as Record<Indicator, z.ZodOptional<typeof weight>>)
  .strict()
  .transform((v) => Object.fromEntries(INDICATORS.map((k) => [k, v[k] ?? 0])) as Weights)
  .refine((v) => Object.values(v).some((x) => x > 0), 'at least one indicator must weigh more than 0');

const levels = defaultScoring.levels;
const b = defaultScoring.bands;

/**
 * The `scoring` section of BOT_CONFIG (officeSchema's `scoring`). Every key is optional: what the file leaves
 * out comes from defaultScoring, so a loaded office config always has `office.scoring` in full. A kind listed
 * under `weights` replaces that kind's default weights as a whole (indicators it leaves out weigh 0).
 */
export const scoringSchema = z.object({
  weights: z.object(Object.fromEntries(LEAD_KINDS.map((k) => [k, kindWeights.default(clone(defaultScoring.weights[k]))])) as Record<string, z.ZodDefault<typeof kindWeights>>)
    .strict()
    .default(clone(defaultScoring.weights)),
  tiers: z.object({ key: z.number().min(0).max(100), regular: z.number().min(0).max(100) })
    .refine((t) => t.key > t.regular, 'tiers.key must be greater than tiers.regular')
    .default(clone(defaultScoring.tiers)),
  levels: z.object({
    techStage: shareTable.default(clone(levels.techStage)),
    lifecycleStage: shareTable.default(clone(levels.lifecycleStage)),
    marketOutlook: shareTable.default(clone(levels.marketOutlook)),
    industryPosition: shareTable.default(clone(levels.industryPosition)),
    businessModel: shareTable.default(clone(levels.businessModel)),
    teamStrength: shareTable.default(clone(levels.teamStrength)),
    talentTitle: shareTable.default(clone(levels.talentTitle)),
    partnerType: shareTable.default(clone(levels.partnerType)),
    fundStage: shareTable.default(clone(levels.fundStage)),
    yearsToHighTech: shareTable.default(clone(levels.yearsToHighTech)),
    milestones: shareTable.default(clone(levels.milestones)),
  }).default(clone(levels)),
  advancement: z.object({
    base: share.default(defaultScoring.advancement.base),
    invention: z.object({ each: share, max: share }).default(clone(defaultScoring.advancement.invention)),
    utility: z.object({ each: share, max: share }).default(clone(defaultScoring.advancement.utility)),
  }).default(clone(defaultScoring.advancement)),
  bands: z.object({
    output: bands.default(clone(b.output)),
    tax: bands.default(clone(b.tax)),
    rnd: bands.default(clone(b.rnd)),
    jobs: bands.default(clone(b.jobs)),
    investment: bands.default(clone(b.investment)),
    taxPerMu: bands.default(clone(b.taxPerMu)),
    rndShare: bands.default(clone(b.rndShare)),
    staff: bands.default(clone(b.staff)),
  }).default(clone(b)),
  noLandShare: share.default(defaultScoring.noLandShare),
  chain: z.object({ town: share.default(defaultScoring.chain.town), city: share.default(defaultScoring.chain.city) }).default(clone(defaultScoring.chain)),
  followUpMonths: perTier(defaultScoring.followUpMonths, z.number().int().min(1).max(12)),
  quotaWeight: perTier(defaultScoring.quotaWeight, z.number().min(0).max(10)),
}).strict(); // a key of the old model (chainFit, techStage, needsFund …) is refused, not silently ignored

export type ScoringConfig = z.infer<typeof scoringSchema>;
