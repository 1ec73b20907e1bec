// The office's own settings (BOT_CONFIG, a YAML file): towns, industry chains, approval rules, schedules,
// thresholds. Every key is optional; what a file leaves out comes from the defaults below, taken from the
// 2023 如皋市科技招商工作实施方案 (shared seed 003).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { validate as validCron } from 'node-cron';
import { defaultScoring, scoringSchema } from './scoring.ts';

import { LEAD_KINDS, type LeadKind } from './kinds.ts';

export { LEAD_KINDS, type LeadKind };

/**
 * 考核 counting rule: the event that counts a project toward its town's quota, in the year it happened:
 * approval (审批通过), 签约, 注册 or 落地（开工）. The seed (003) 考核s towns on projects that really 注册/落地.
 */
export const COUNT_RULES = ['approved', 'signed', 'registered', 'landed'] as const;
export type CountRule = (typeof COUNT_RULES)[number];

const cron = z.string().trim().refine((v) => validCron(v), 'must be a cron expression such as "17 9 * * 1"');
/** A calendar date "YYYY-MM-DD" (a YAML 1.1 timestamp is taken as its UTC date). */
const localDay = z.preprocess(
  (v) => (v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString().slice(0, 10) : v),
  z.string().trim().refine((v) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
    if (!m) return false;
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    return d.toISOString().slice(0, 10) === v;
  }, 'must be a date such as "2026-10-01"'),
);

/**
 * Stage codes the lifecycle feature owns (签约 … 领军企业): a pre-签约 stage of the YAML may not reuse them.
 * Kept in step with STAGE_CODES in src/features/lifecycle/lifecycle.ts (the office sits below the features).
 */
export const RESERVED_STAGE_CODES = ['signed', 'registered', 'landed', 'producing', 'tech_sme', 'high_tech', 'leading'] as const;

/** One stage before 签约 (接洽, 在谈, …): a stable code (stored) and the label people read. */
const preStageSchema = z.object({
  code: z.string().trim().regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be lower-case letters, digits and _ (e.g. negotiating)')
    .refine((c) => !(RESERVED_STAGE_CODES as readonly string[]).includes(c), 'is a built-in stage code'),
  label: z.string().trim().min(1).max(12),
});

export const DEFAULT_PRE_SIGNING = [{ code: 'contact', label: '接洽' }, { code: 'negotiating', label: '在谈' }];

/** 协调事项 categories (seed 000 双月例会「协调推进招商重点工作」): 用地, 厂房, 资金, 审批, 人才, 其他. */
export const PROBLEM_CATEGORIES = ['land', 'plant', 'funding', 'permits', 'talent', 'other'] as const;

const townSchema = z.object({
  name: z.string().trim().min(1),
  aliases: z.array(z.string().trim().min(1)).default([]),
  chains: z.array(z.string().trim().min(1)).default([]),
});

const parkSchema = z.object({
  name: z.string().trim().min(1),
  town: z.string().trim().optional(),
  chains: z.array(z.string().trim().min(1)).min(1),
});

export const officeSchema = z.object({
  name: z.string().trim().min(1).default('如皋市'),
  towns: z.array(townSchema).min(1).default([
    { name: '丁堰镇', aliases: [], chains: [] },
    { name: '东陈镇', aliases: [], chains: [] },
    { name: '白蒲镇', aliases: [], chains: [] },
    { name: '下原镇', aliases: [], chains: ['大健康'] },
    { name: '吴窑镇', aliases: [], chains: [] },
    { name: '磨头镇', aliases: [], chains: ['合成生物学'] },
    { name: '九华镇', aliases: [], chains: [] },
    { name: '石庄镇', aliases: [], chains: [] },
    { name: '江安镇', aliases: [], chains: [] },
    { name: '搬经镇', aliases: [], chains: [] },
    { name: '长江镇', aliases: ['长江镇（如皋港工业园区）', '如皋港工业园区'], chains: ['前沿新材料', '高端装备制造'] },
    { name: '开发区', aliases: ['经济技术开发区（城北街道）', '经济技术开发区', '如皋经济技术开发区', '城北街道'], chains: ['氢能', '储能节能', '汽车及核心零部件'] },
    { name: '高新区', aliases: ['高新区（如城街道、城南街道）', '如皋高新技术产业开发区', '如城街道', '城南街道'], chains: ['精密光学制造', '光电及泛半导体', '合成生物学'] },
  ]),
  industries: z.array(z.string().trim().min(1)).min(1).default([
    '精密光学制造', '高端装备制造', '光电及泛半导体', '前沿新材料', '氢能',
    '汽车及核心零部件', '储能节能', '合成生物学', '大健康', '其他',
  ]),
  parks: z.array(parkSchema).default([
    { name: '沪苏科创产业园', chains: ['精密光学制造', '高端装备制造'] },
    { name: '电子信息产业园', chains: ['光电及泛半导体'] },
    { name: '化工新材料产业园', town: '长江镇', chains: ['前沿新材料'] },
    { name: '氢能产业园', town: '开发区', chains: ['氢能', '储能节能'] },
    { name: '新能源汽车产业园', chains: ['汽车及核心零部件'] },
    { name: '电力及智能装备产业园', chains: ['储能节能'] },
    { name: '长寿未来农业园', chains: ['合成生物学', '大健康'] },
  ]),
  approval: z.object({
    prereviewKinds: z.array(z.enum(LEAD_KINDS)).default(['tech', 'talent']),
    majorThresholdWan: z.number().nonnegative().default(10000),
    reminderHours: z.number().positive().default(24),
    workHours: z.object({ start: z.number().int().min(0).max(23).default(9), end: z.number().int().min(1).max(24).default(18) }).default({ start: 9, end: 18 }),
    // Local weekdays on which automatic reminders go out (ISO: 1 = Monday … 7 = Sunday).
    workDays: z.array(z.number().int().min(1).max(7)).min(1).default([1, 2, 3, 4, 5]),
    // 法定节假日: local dates with no reminders although their weekday is a work day.
    holidays: z.array(localDay).default([]),
    // 调休上班日: local dates that are work days although their weekday is not.
    makeupWorkdays: z.array(localDay).default([]),
  }).default({ prereviewKinds: ['tech', 'talent'], majorThresholdWan: 10000, reminderHours: 24, workHours: { start: 9, end: 18 }, workDays: [1, 2, 3, 4, 5], holidays: [], makeupWorkdays: [] }),
  // 专家组评审 (预审 by a panel of experts from /experts) and 一事一议 (seed 000: 专家组评判 … 领导小组集体决议).
  panel: z.object({
    // 预审 by a panel; false: one expert decides alone (或签), as before.
    prereview: z.boolean().default(true),
    // 一事一议: a panel's 专家评审 step before the 领导小组 (seed 000: 聘请专家组评判…出具项目分析报告).
    major: z.boolean().default(true),
    size: z.number().int().min(1).max(15).default(3),
    // mean: the mean sheet total (out of 100) ≥ threshold passes; majority: more than half the experts vote 通过.
    rule: z.enum(['mean', 'majority']).default('mean'),
    threshold: z.number().min(0).max(100).default(60),
  }).default({ prereview: true, major: true, size: 3, rule: 'mean', threshold: 60 }),
  major: z.object({
    // How the 领导小组 decides a 一事一议: a meeting recorded by the secretary, or every leader's 会签.
    decision: z.enum(['meeting', 'unanimous']).default('meeting'),
  }).default({ decision: 'meeting' }),
  digests: z.object({
    stuckDays: z.number().int().positive().default(7),
    leadersByP2p: z.boolean().default(false),
    missedRunDays: z.number().int().min(0).default(3),
  }).default({ stuckDays: 7, leadersByP2p: false, missedRunDays: 3 }),
  quota: z.object({
    alertShare: z.number().gt(0).max(1).default(0.8),
    countOn: z.enum(COUNT_RULES).default('registered'),
  }).default({ alertShare: 0.8, countOn: 'registered' }),
  // 载体 targets (seed 003: 新建盘活科创载体孵化面积40万平方米以上，新增国家、省级科技企业孵化器各1家).
  carriers: z.object({
    areaSqm: z.number().nonnegative().default(400_000),
    incubators: z.object({
      national: z.number().int().nonnegative().default(1),
      provincial: z.number().int().nonnegative().default(1),
    }).default({ national: 1, provincial: 1 }),
  }).default({ areaSqm: 400_000, incubators: { national: 1, provincial: 1 } }),
  // The stages before 签约, in order (any may be skipped; default 接洽 → 在谈).
  pipeline: z.object({
    preSigning: z.array(preStageSchema).max(6).default(() => structuredClone(DEFAULT_PRE_SIGNING)),
  }).default(() => ({ preSigning: structuredClone(DEFAULT_PRE_SIGNING) })),
  // 协调事项: the departments a problem may be assigned to (empty: typed freely), and the meeting's cut-off.
  coordination: z.object({
    departments: z.array(z.string().trim().min(1).max(30)).default([]),
  }).default({ departments: [] }),
  // 综合评价模型: weights, rules and tier cut-offs (see src/features/leads/scoring.ts).
  scoring: scoringSchema.default(() => structuredClone(defaultScoring)),
  // Defaults avoid minute :00 and :30, when Lark throttles bursts.
  schedules: z.object({
    'weekly-digest': cron.default('17 9 * * 1'),
    'bimonthly-digest': cron.default('23 9 1-7 1,3,5,7,9,11 1'),
    'monthly-report': cron.default('37 8 1 * *'),
    'quota-alerts': cron.default('47 9 25 * *'),
    reminders: cron.default('13 9-17 * * *'),
    'follow-ups': cron.default('41 9 1 * *'),
    'activity-reminders': cron.default('7 9 * * *'),
    housekeeping: cron.default('53 3 * * *'),
  }).default({
    'weekly-digest': '17 9 * * 1',
    'bimonthly-digest': '23 9 1-7 1,3,5,7,9,11 1',
    'monthly-report': '37 8 1 * *',
    'quota-alerts': '47 9 25 * *',
    reminders: '13 9-17 * * *',
    'follow-ups': '41 9 1 * *',
    'activity-reminders': '7 9 * * *',
    housekeeping: '53 3 * * *',
  }),
});

export type OfficeConfig = z.infer<typeof officeSchema>;

export function defaultOffice(): OfficeConfig {
  return officeSchema.parse({});
}

/** Reads and validates the office YAML file; throws an Error with a one-line Chinese-free operator message. */
export function loadOffice(path: string | undefined): OfficeConfig {
  if (!path) return defaultOffice();
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8')) ?? {};
  } catch (err) {
    throw new Error(`BOT_CONFIG: cannot read ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  const result = officeSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`BOT_CONFIG ${path}: ${lines.join('; ')}`);
  }
  const office = result.data;
  const problems = officeProblems(office, raw);
  if (problems.length > 0) throw new Error(`BOT_CONFIG ${path}: ${problems.join('; ')}`);
  return office;
}

/**
 * What the schema cannot see: names given twice, and chains or towns that name nothing (a typo there would
 * silently take the chain out of scoring and push). `raw` is the file as read: the built-in parks name 如皋's
 * towns, so their towns are only checked when the file lists its own parks.
 */
function officeProblems(office: OfficeConfig, raw: unknown): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const t of office.towns) {
    for (const n of [t.name, ...t.aliases]) {
      if (names.has(n)) problems.push(`towns: "${n}" appears twice`);
      names.add(n);
    }
  }
  const industries = new Set<string>();
  for (const i of office.industries) {
    if (industries.has(i)) problems.push(`industries: "${i}" appears twice`);
    industries.add(i);
  }
  const unknownChains = (chains: string[]) => chains.filter((c) => !industries.has(c)).map((c) => `"${c}"`).join(', ');
  for (const t of office.towns) {
    const bad = unknownChains(t.chains);
    if (bad) problems.push(`towns: ${t.name}: chains ${bad} not in industries`);
  }
  const fileHasParks = !!raw && typeof raw === 'object' && Object.hasOwn(raw, 'parks');
  for (const p of office.parks) {
    const bad = unknownChains(p.chains);
    if (bad) problems.push(`parks: ${p.name}: chains ${bad} not in industries`);
    if (fileHasParks && p.town !== undefined && !office.towns.some((t) => t.name === p.town)) {
      const canonical = resolveTown(office, p.town);
      problems.push(`parks: ${p.name}: town "${p.town}" is not a town name${canonical ? ` (write "${canonical}")` : ' in towns'}`);
    }
  }
  const stageCodes = new Set<string>();
  const stageLabels = new Set<string>(['签约', '注册', '落地', '落地（开工）', '投产']);
  for (const st of office.pipeline.preSigning) {
    if (stageCodes.has(st.code)) problems.push(`pipeline.preSigning: code "${st.code}" appears twice`);
    if (stageLabels.has(st.label)) problems.push(`pipeline.preSigning: label "${st.label}" appears twice or is a built-in stage`);
    stageCodes.add(st.code);
    stageLabels.add(st.label);
  }
  if (new Set(office.coordination.departments).size !== office.coordination.departments.length) problems.push('coordination.departments: a department appears twice');
  const { start, end } = office.approval.workHours;
  if (start >= end) problems.push(`approval.workHours: start (${start}) must be before end (${end})`);
  const both = office.approval.holidays.filter((d) => office.approval.makeupWorkdays.includes(d));
  if (both.length > 0) problems.push(`approval: ${both.join(', ')} both in holidays and in makeupWorkdays`);
  return problems;
}

/** Finds a town by its name or one of its aliases (spaces and full/half-width brackets ignored). */
export function resolveTown(office: OfficeConfig, input: string): string | undefined {
  const norm = (s: string) => s.replace(/\s+/g, '').replace(/\(/g, '（').replace(/\)/g, '）');
  const wanted = norm(input);
  return office.towns.find((t) => norm(t.name) === wanted || t.aliases.some((a) => norm(a) === wanted))?.name;
}
