// The `scoring` section of the office's YAML (综合评价模型): its schema and defaults. The rules that use them
// are in src/features/leads/scoring.ts; they live here so the office config does not import a feature.
import { z } from 'zod';

/** The defaults: a 科创类 lead at 产业化 in a matching town with a few patents and 1,000 万元 is 重点类. */
export const defaultScoring = {
  chainFit: { town: 20, park: 10 },
  techStage: { 产业化: 20, 中试: 12, 研发: 5 } as Record<string, number>,
  talentTitle: { 国家级人才: 25, 海外高层次人才: 20, 省级人才: 15, 市级人才: 8 } as Record<string, number>,
  partnerType: { 央企: 15, 龙头企业: 15, 高校: 12, 科研院所: 12 } as Record<string, number>,
  patents: {
    invention: { each: 3, max: 15 },
    utility: { each: 1, max: 5 },
  },
  /** Bands of 计划投资额 in 万元: the highest band reached counts. */
  investment: [
    { minWan: 10000, points: 20 },
    { minWan: 5000, points: 15 },
    { minWan: 1000, points: 10 },
    { minWan: 100, points: 5 },
  ],
  needsFund: 5,
  /** score ≥ key → 重点类; score ≥ regular → 常规类; below → 潜力类. */
  tiers: { key: 60, regular: 35 },
};

const points = z.number().min(0, '分值不能为负').max(1000);
const pointTable = z.record(z.string().trim().min(1), points);
const cap = z.object({ each: points, max: points });
const clone = <T>(v: T) => () => structuredClone(v);

/**
 * The `scoring` section of BOT_CONFIG (officeSchema's `scoring`). Every key is optional: what the file leaves
 * out comes from defaultScoring, so a loaded office config always has `office.scoring` in full.
 */
export const scoringSchema = z.object({
  chainFit: z.object({ town: points.default(defaultScoring.chainFit.town), park: points.default(defaultScoring.chainFit.park) }).default(clone(defaultScoring.chainFit)),
  techStage: pointTable.default(clone(defaultScoring.techStage)),
  talentTitle: pointTable.default(clone(defaultScoring.talentTitle)),
  partnerType: pointTable.default(clone(defaultScoring.partnerType)),
  patents: z.object({
    invention: cap.default(clone(defaultScoring.patents.invention)),
    utility: cap.default(clone(defaultScoring.patents.utility)),
  }).default(clone(defaultScoring.patents)),
  investment: z.array(z.object({ minWan: z.number().min(0), points })).default(clone(defaultScoring.investment)),
  needsFund: points.default(defaultScoring.needsFund),
  tiers: z.object({ key: z.number().min(0), regular: z.number().min(0) })
    .refine((t) => t.key > t.regular, 'tiers.key must be greater than tiers.regular')
    .default(clone(defaultScoring.tiers)),
});

export type ScoringConfig = z.infer<typeof scoringSchema>;
