// 综合评价模型 (seed 004: "建立综合评价模型对项目进行评估分类"): a configurable weighted score for every lead,
// and its tier 重点类 / 常规类 / 潜力类 (seed 002: 潜力类、常规类、重点类三级梯队). Pure: no I/O.
//
// Rules, each adding points (weights from the office's `scoring` section, defaults below):
// - fit between the lead's industry and its town's chains (towns[].chains, or a park in that town), or else
//   a specialised park's chains anywhere in the city;
// - maturity: 项目阶段 of a 科创类 lead (产业化 > 中试 > 研发);
// - team: 人才层次 of a 人才类 lead (国家级 > 海外高层次 > 省级 > 市级), 合作单位类型 of a 平台类 lead;
// - patents: 发明专利实审数 and 实用新型授权数, so many points each up to a cap;
// - investment: 计划投资额 in bands (基金类: 基金规模 when no 计划投资额 is given);
// - 落地即带投资需求 (seed 003: 重点支持并优先保障对落地即带投资需求的项目).
// The score is the sum; tiers are cut-offs on the score.
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
export { defaultScoring, scoringSchema, type ScoringConfig } from '../../office/scoring.ts';
import type { ScoringConfig } from '../../office/scoring.ts';

/**
 * Everything a score depends on, as one canonical JSON string: the weights and the chains of towns and
 * parks. When it changes, every lead is scored again (see rescoreIfChanged in src/features/lifecycle/store.ts).
 */
export function scoringFingerprint(office: OfficeConfig, scoring: ScoringConfig): string {
  const chains = {
    towns: office.towns.map((t) => [t.name, [...t.chains].sort()]),
    parks: office.parks.map((p) => [p.name, p.town ?? '', [...p.chains].sort()]),
  };
  return canonicalJson({ scoring, chains });
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

/** What scoreLead reads: a LeadInput or a Lead row (details is JSON there). */
export interface ScoringLead {
  kind: string;
  industry?: string | null;
  town: string;
  investmentWan?: number | null;
  needsFund?: boolean;
  inventionPatents?: number;
  utilityModels?: number;
  details?: unknown;
}

export type ScoreRule = 'chain_town' | 'chain_park' | 'tech_stage' | 'talent_title' | 'partner_type' | 'invention_patents' | 'utility_models' | 'investment' | 'needs_fund';

/** One rule that added points; `text` is what users see: "产业方向与所在镇区产业链匹配（开发区·氢能）+20". */
export interface ScoreReason {
  rule: ScoreRule;
  points: number;
  text: string;
}

export interface LeadScore {
  score: number;
  tier: Tier;
  reasons: ScoreReason[];
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function detail(lead: ScoringLead, name: string): unknown {
  const d = lead.details;
  return d && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>)[name] : undefined;
}

function tableHit(table: Record<string, number>, value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  return Object.hasOwn(table, value) ? table[value] : undefined;
}

/** Where the lead's industry fits: its own town (directly or through a park there), another park, or nowhere. */
export function chainFit(lead: Pick<ScoringLead, 'industry' | 'town'>, office: OfficeConfig): { level: 'town'; via: string } | { level: 'park'; via: string } | undefined {
  const industry = lead.industry?.trim();
  if (!industry) return undefined;
  const town = office.towns.find((t) => t.name === lead.town);
  if (town?.chains.includes(industry)) return { level: 'town', via: town.name };
  const localPark = office.parks.find((p) => p.town === lead.town && p.chains.includes(industry));
  if (localPark) return { level: 'town', via: `${lead.town}${localPark.name}` };
  const park = office.parks.find((p) => p.chains.includes(industry));
  if (park) return { level: 'park', via: park.name };
  return undefined;
}

/** Scores one lead; the reasons list every rule that added points, in rule order. */
export function scoreLead(lead: ScoringLead, office: OfficeConfig, scoring: ScoringConfig): LeadScore {
  const reasons: ScoreReason[] = [];
  const add = (rule: ScoreRule, pts: number, label: string) => {
    if (pts > 0) reasons.push({ rule, points: round1(pts), text: `${label} +${formatNumber(round1(pts))}` });
  };

  const fit = chainFit(lead, office);
  if (fit?.level === 'town') add('chain_town', scoring.chainFit.town, `产业方向与所在镇区产业链匹配（${fit.via}·${lead.industry}）`);
  else if (fit?.level === 'park') add('chain_park', scoring.chainFit.park, `产业方向符合专业园区招引方向（${fit.via}·${lead.industry}）`);

  if (lead.kind === 'tech') {
    const stage = detail(lead, 'stage');
    const pts = tableHit(scoring.techStage, stage);
    if (pts !== undefined) add('tech_stage', pts, `项目阶段：${stage as string}`);
  }
  if (lead.kind === 'talent') {
    const title = detail(lead, 'talent_title');
    const pts = tableHit(scoring.talentTitle, title);
    if (pts !== undefined) add('talent_title', pts, `人才层次：${title as string}`);
  }
  if (lead.kind === 'platform') {
    const partner = detail(lead, 'partner_type');
    const pts = tableHit(scoring.partnerType, partner);
    if (pts !== undefined) add('partner_type', pts, `合作单位类型：${partner as string}`);
  }

  const patent = (rule: ScoreRule, count: number | undefined, label: string, c: { each: number; max: number }) => {
    const n = count ?? 0;
    if (n <= 0) return;
    add(rule, Math.min(n * c.each, c.max), `${label} ${n} 件（每件 ${formatNumber(c.each)} 分，上限 ${formatNumber(c.max)} 分）`);
  };
  patent('invention_patents', lead.inventionPatents, '发明专利实审', scoring.patents.invention);
  patent('utility_models', lead.utilityModels, '实用新型授权', scoring.patents.utility);

  const fundSize = detail(lead, 'fund_size_wan');
  const [amount, amountLabel] =
    typeof lead.investmentWan === 'number' ? [lead.investmentWan, '计划投资额']
    : lead.kind === 'fund' && typeof fundSize === 'number' ? [fundSize, '基金规模']
    : [undefined, ''];
  if (amount !== undefined) {
    const band = [...scoring.investment].sort((a, b) => b.minWan - a.minWan).find((b) => amount >= b.minWan);
    if (band) add('investment', band.points, `${amountLabel} ${formatNumber(amount)} 万元（≥${formatNumber(band.minWan)} 万元）`);
  }

  if (lead.needsFund) add('needs_fund', scoring.needsFund, '落地即带投资需求');

  const score = round1(reasons.reduce((s, r) => s + r.points, 0));
  return { score, tier: tierOf(score, scoring), reasons };
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
