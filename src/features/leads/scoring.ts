// 综合评价模型 (seed 004: "建立综合评价模型对项目进行评估分类"): a score out of 100 for every lead and its tier
// 重点类 / 常规类 / 潜力类 (seed 002: 潜力类、常规类、重点类三级梯队，进行分类管理和考核). Pure: no I/O.
//
// The indicators and their weights per kind live in the office's `scoring` section (src/office/scoring.ts).
// Each indicator gives a share in [0, 1] of its weight from the lead's facts (the registration form, the stage
// reached and the growth milestones); a kind's weights are scaled to 100, so each kind is scored on the same
// scale and can reach every tier. The score is the sum; tiers are cut-offs on it.
import type { OfficeConfig } from '../../office/config.ts';
import { formatNumber } from './format.ts';

export const TIERS = ['key', 'regular', 'potential'] as const;
export type Tier = (typeof TIERS)[number];

export const TIER_LABELS: Readonly<Record<Tier, string>> = {
  key: '重点类',
  regular: '常规类',
  potential: '潜力类',
};

export function isTier(value: unknown): value is Tier {
  return typeof value === 'string' && (TIERS as readonly string[]).includes(value);
}

/** The Chinese label of a stored tier; empty for none. */
export function tierLabel(tier: string | null | undefined): string {
  return isTier(tier) ? TIER_LABELS[tier] : '';
}

// ---------------------------------------------------------------------------------------------------------
// Configuration: the schema and defaults live with the office's YAML (src/office/scoring.ts).
export { defaultScoring, scoringSchema, INDICATORS, INDICATOR_LABELS, type ScoringConfig, type Indicator } from '../../office/scoring.ts';
import { INDICATORS, INDICATOR_LABELS, type Indicator, type ScoringConfig } from '../../office/scoring.ts';

/**
 * Everything a score depends on, as one canonical JSON string: the model and the chains of towns and
 * parks. When it changes, every lead is scored again (see rescoreIfChanged in src/features/lifecycle/store.ts).
 */
export function scoringFingerprint(office: OfficeConfig, scoring: ScoringConfig): string {
  const chains = {
    towns: office.towns.map((t) => [t.name, [...t.chains].sort()]),
    parks: office.parks.map((p) => [p.name, p.town ?? '', [...p.chains].sort()]),
  };
  // Follow-up frequency and 考核 weights do not change a score.
  const { followUpMonths: _f, quotaWeight: _q, ...model } = scoring;
  return canonicalJson({ scoring: model, chains });
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------------------
// Scoring

/** What scoreLead reads: a LeadInput or a Lead row (details is JSON there), with what happened since. */
export interface ScoringLead {
  kind: string;
  industry?: string | null;
  town: string;
  investmentWan?: number | null;
  inventionPatents?: number;
  utilityModels?: number;
  details?: unknown;
  /** The lifecycle stage reached (signed | registered | landed | producing). */
  stage?: string | null;
  /** Growth milestones recorded (tech_sme | high_tech | leading). */
  milestones?: readonly string[];
}

/** The indicator codes are the rules; one reason per indicator with a weight. */
export type ScoreRule = Indicator;

/**
 * One indicator's result; `text` is what users see: "技术先进性 16/20：高新技术领域（新材料）、发明专利实审 2 件".
 * `max` is the indicator's weight on the 100-point scale.
 */
export interface ScoreReason {
  rule: ScoreRule;
  points: number;
  max?: number;
  text: string;
}

export interface LeadScore {
  score: number;
  tier: Tier;
  reasons: ScoreReason[];
}

/** One line of a scoring sheet: an indicator and its weight for a kind, on the 100-point scale. */
export interface IndicatorWeight {
  indicator: Indicator;
  label: string;
  /** Points out of 100. */
  max: number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The indicators that count for `kind` (weight > 0), in model order, with their weights scaled to 100: the
 * sheet an expert fills in for that kind uses the same list.
 */
export function scoringIndicators(kind: string, scoring: ScoringConfig): IndicatorWeight[] {
  const weights = (scoring.weights as Record<string, Record<Indicator, number>>)[kind];
  if (!weights) return [];
  const total = INDICATORS.reduce((s, k) => s + weights[k], 0);
  if (total <= 0) return [];
  return INDICATORS.filter((k) => weights[k] > 0).map((k) => ({ indicator: k, label: INDICATOR_LABELS[k], max: round1((weights[k] / total) * 100) }));
}

function detail(lead: ScoringLead, name: string): unknown {
  const d = lead.details;
  return d && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>)[name] : undefined;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);

function tableHit(table: Record<string, number>, value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const key = String(value);
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function band(bands: ReadonlyArray<{ min: number; share: number }>, value: number | undefined): number {
  if (value === undefined) return 0;
  return [...bands].sort((a, b) => b.min - a.min).find((b) => value >= b.min)?.share ?? 0;
}

/** The best of several facts: the highest share, with what gave it. */
function best(candidates: Array<[number | undefined, string]>): { share: number; facts: string[] } {
  let top: [number, string] | undefined;
  for (const [s, fact] of candidates) if (s !== undefined && (!top || s > top[0])) top = [s, fact];
  return top ? { share: top[0], facts: [top[1]] } : { share: 0, facts: [] };
}

/** The city's chains: every town's and every park's. */
function cityChains(office: OfficeConfig): Set<string> {
  return new Set([...office.towns.flatMap((t) => t.chains), ...office.parks.flatMap((p) => p.chains)]);
}

/**
 * Where an industry fits: a chain of the lead's own town (directly or through a park there), or a chain
 * anywhere in the city (another town or a park), or nowhere.
 */
export function chainFit(lead: { industry?: string | null; town: string }, office: OfficeConfig): { level: 'town'; via: string } | { level: 'city'; via: string } | undefined {
  const industry = lead.industry?.trim();
  if (!industry) return undefined;
  const town = office.towns.find((t) => t.name === lead.town);
  if (town?.chains.includes(industry)) return { level: 'town', via: town.name };
  const localPark = office.parks.find((p) => p.town === lead.town && p.chains.includes(industry));
  if (localPark) return { level: 'town', via: `${lead.town}${localPark.name}` };
  if (cityChains(office).has(industry)) return { level: 'city', via: '全市' };
  return undefined;
}

const STAGE_NAMES: Record<string, string> = { signed: '已签约', registered: '已注册', landed: '已落地', producing: '已投产' };
const MILESTONE_NAMES: Record<string, string> = { tech_sme: '科技型中小企业入库', high_tech: '高新技术企业认定', leading: '领军企业' };

type Measure = { share: number; facts: string[] };

function measure(indicator: Indicator, lead: ScoringLead, office: OfficeConfig, scoring: ScoringConfig): Measure {
  const L = scoring.levels;
  const d = (name: string) => detail(lead, name);
  const milestones = lead.milestones ?? [];
  switch (indicator) {
    case 'advancement': {
      const own: Record<string, [string, string]> = {
        tech: ['hightech_field', '高新技术领域'], talent: ['core_technology', '核心技术'],
        platform: ['platform_type', '平台类型'], service: ['service_type', '服务类型'],
      };
      const facts: string[] = [];
      let share = 0;
      const o = own[lead.kind];
      const ownValue = o ? str(d(o[0])) : undefined;
      if (o && ownValue) {
        share += scoring.advancement.base;
        facts.push(lead.kind === 'talent' ? '有核心技术' : `${o[1]}（${ownValue}）`);
      }
      const pat = (n: number | undefined, c: { each: number; max: number }, label: string) => {
        if (!n || n <= 0) return;
        share += Math.min(n * c.each, c.max);
        facts.push(`${label} ${n} 件`);
      };
      pat(lead.inventionPatents, scoring.advancement.invention, '发明专利实审');
      pat(lead.utilityModels, scoring.advancement.utility, '实用新型授权');
      return { share: Math.min(1, share), facts };
    }
    case 'maturity': {
      const stage = lead.kind === 'tech' ? str(d('stage')) : undefined;
      return best([
        [stage ? tableHit(L.techStage, stage) : undefined, `项目阶段：${stage}`],
        [tableHit(L.lifecycleStage, lead.stage), STAGE_NAMES[lead.stage ?? ''] ?? ''],
      ]);
    }
    case 'market':
      return best([[tableHit(L.marketOutlook, d('market_outlook')), `市场前景${String(d('market_outlook'))}`]]);
    case 'business':
      return best([[tableHit(L.businessModel, d('business_model')), `商业模式${String(d('business_model'))}`]]);
    case 'team': {
      const staff = num(d('planned_staff'));
      return best([
        [tableHit(L.teamStrength, d('team_strength')), `${String(d('team_strength'))}`],
        [lead.kind === 'talent' ? tableHit(L.talentTitle, d('talent_title')) : undefined, `人才层次：${String(d('talent_title'))}`],
        [lead.kind === 'platform' ? tableHit(L.partnerType, d('partner_type')) : undefined, `合作单位：${String(d('partner_type'))}`],
        [staff !== undefined && staff > 0 ? band(scoring.bands.staff, staff) || undefined : undefined, `计划人员 ${staff} 人`],
      ]);
    }
    case 'growth': {
      const output = num(d('output_wan'));
      const rnd = num(d('rnd_wan'));
      const rndShare = output && rnd !== undefined ? rnd / output : undefined;
      const reached = milestones.map((m) => [tableHit(L.milestones, m), MILESTONE_NAMES[m] ?? m] as [number | undefined, string]);
      return best([
        [lead.kind === 'tech' ? tableHit(L.yearsToHighTech, d('years_to_high_tech')) : undefined, `预计 ${String(d('years_to_high_tech'))} 年满足高企条件`],
        [lead.kind === 'fund' ? tableHit(L.fundStage, d('fund_stage')) : undefined, `投资阶段：${String(d('fund_stage'))}`],
        [rndShare !== undefined ? band(scoring.bands.rndShare, rndShare) || undefined : undefined, `研发投入占产值 ${formatNumber(round1((rndShare ?? 0) * 100))}%`],
        ...reached,
      ]);
    }
    case 'contribution': {
      const parts: Array<[string, string, string, ReadonlyArray<{ min: number; share: number }>]> = [
        ['output_wan', '产值', '万元', scoring.bands.output],
        ['tax_wan', '税收', '万元', scoring.bands.tax],
        ['rnd_wan', '研发投入', '万元', scoring.bands.rnd],
        ['jobs', '就业', '人', scoring.bands.jobs],
      ];
      const facts: string[] = [];
      let share = 0;
      for (const [name, label, unit, bands] of parts) {
        const v = num(d(name));
        if (v === undefined) continue;
        share += band(bands, v) / parts.length;
        facts.push(`${label} ${formatNumber(v)} ${unit}`);
      }
      return { share, facts: facts.length > 0 ? [`预计${facts.join('、')}`] : [] };
    }
    case 'investment': {
      const fundSize = num(d('fund_size_wan'));
      const [amount, label] = typeof lead.investmentWan === 'number' ? [lead.investmentWan, '计划投资额']
        : lead.kind === 'fund' && fundSize !== undefined ? [fundSize, '基金规模'] : [undefined, ''];
      return amount === undefined ? { share: 0, facts: [] } : { share: band(scoring.bands.investment, amount), facts: [`${label} ${formatNumber(amount)} 万元`] };
    }
    case 'position':
      return best([
        [tableHit(L.industryPosition, d('industry_position')), `行业地位${String(d('industry_position'))}`],
        [milestones.includes('leading') ? 1 : undefined, '领军企业'],
      ]);
    case 'land': {
      const tax = num(d('tax_wan'));
      const output = num(d('output_wan'));
      const mu = num(d('land_mu'));
      if (mu && mu > 0) {
        if (tax === undefined) return { share: 0, facts: [`用地 ${formatNumber(mu)} 亩，未填预计税收`] };
        const perMu = tax / mu;
        return { share: band(scoring.bands.taxPerMu, perMu), facts: [`亩均税收 ${formatNumber(round1(perMu))} 万元`] };
      }
      if ((tax ?? 0) > 0 || (output ?? 0) > 0) return { share: scoring.noLandShare, facts: ['不新增用地'] };
      return { share: 0, facts: [] };
    }
    case 'chain': {
      const industries = lead.kind === 'fund' && Array.isArray(d('focus_industries'))
        ? [lead.industry, ...(d('focus_industries') as unknown[])].filter((x): x is string => typeof x === 'string')
        : [lead.industry ?? ''];
      const fits = industries.map((industry) => ({ industry, fit: chainFit({ industry, town: lead.town }, office) }));
      const town = fits.find((f) => f.fit?.level === 'town');
      if (town) return { share: scoring.chain.town, facts: [`所在镇区产业链（${town.fit!.via}·${town.industry}）`] };
      const city = fits.find((f) => f.fit?.level === 'city');
      if (city) return { share: scoring.chain.city, facts: [`全市产业链（${city.industry}）`] };
      return { share: 0, facts: [] };
    }
  }
}

/** Scores one lead: one reason per indicator that weighs for its kind, in model order. */
export function scoreLead(lead: ScoringLead, office: OfficeConfig, scoring: ScoringConfig): LeadScore {
  const reasons: ScoreReason[] = scoringIndicators(lead.kind, scoring).map(({ indicator, label, max }) => {
    const m = measure(indicator, lead, office, scoring);
    const share = Math.max(0, Math.min(1, m.share));
    const points = round1(share * max);
    const why = m.facts.filter(Boolean).join('、') || '未填写';
    return { rule: indicator, points, max, text: `${label} ${formatNumber(points)}/${formatNumber(max)}：${why}` };
  });
  const score = round1(reasons.reduce((s, r) => s + r.points, 0));
  return { score, tier: tierOf(score, scoring), reasons };
}

/** How often (every n months) a project of this tier is asked for its 一月一报; 1 without a tier. */
export function followUpEveryMonths(tier: string | null | undefined, scoring: ScoringConfig): number {
  return isTier(tier) ? scoring.followUpMonths[tier] : 1;
}

/** How much one approved project of this tier counts in 考核 (the office's scoring.quotaWeight); 1 without a tier. */
export function tierWeight(tier: string | null | undefined, scoring: ScoringConfig): number {
  return isTier(tier) ? scoring.quotaWeight[tier] : 1;
}

export function tierOf(score: number, scoring: ScoringConfig): Tier {
  if (score >= scoring.tiers.key) return 'key';
  if (score >= scoring.tiers.regular) return 'regular';
  return 'potential';
}

/** Reads reasons stored in Lead.scoreReasons (JSON); anything malformed is left out. */
export function storedReasons(json: unknown): ScoreReason[] {
  if (!Array.isArray(json)) return [];
  return json.filter(
    (r): r is ScoreReason => !!r && typeof r === 'object' && typeof (r as ScoreReason).text === 'string' && typeof (r as ScoreReason).points === 'number',
  );
}

/**
 * Lines for a card (approval card, lifecycle card): "综合评分：72 分 · 重点类" then one line per reason.
 * Empty when the lead has no score yet. Plain text: escape with md() before putting it in markdown.
 */
export function scoreSummaryLines(lead: { score?: number | null; tier?: string | null; scoreReasons?: unknown }): string[] {
  if (typeof lead.score !== 'number') return [];
  const label = tierLabel(lead.tier);
  return [`综合评分：${formatNumber(lead.score)} 分${label ? ` · ${label}` : ''}`, ...storedReasons(lead.scoreReasons).map((r) => `· ${r.text}`)];
}
