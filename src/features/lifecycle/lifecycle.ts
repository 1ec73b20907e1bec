// After approval (seed 003 成长路径): the office's stages before 签约 (office.pipeline.preSigning, default
// 接洽 → 在谈, any may be skipped), the stages 签约 → 注册 → 落地（开工）→ 投产 and the growth milestones
// 科技型中小企业入库 / 高新技术企业认定 / 领军企业. Pure: which update is allowed next, who may make it, the
// small form of each update and its validation (zod, Chinese messages), and the 一月一报 period. No I/O.
import { z } from 'zod';
import { checkCreditCode } from '../leads/creditCode.ts';
import { MAX_WAN } from '../leads/fields.ts';
import { formatNumber, formatWan } from '../leads/format.ts';
import { parseAmount, parseDay } from '../leads/values.ts';
import { addMonths, isoDate, localMonth } from '../../platform/time.ts';
import { fieldErrors } from '../../platform/forms.ts';
import { DEFAULT_PRE_SIGNING } from '../../office/config.ts';

/** One stage before 签约 as the office names it (office.pipeline.preSigning). */
export interface PreStage {
  code: string;
  label: string;
}
export type PreStages = readonly PreStage[];
export const DEFAULT_PRE_STAGES: PreStages = DEFAULT_PRE_SIGNING;

/** Action value of the 「提出问题」 button (handled by src/features/coordination). */
export const PROBLEM_RAISE_ACTION = 'problem.raise';

export const LIFECYCLE_STAGES = ['signed', 'registered', 'landed', 'producing'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export const MILESTONES = ['tech_sme', 'high_tech', 'leading'] as const;
export type Milestone = (typeof MILESTONES)[number];

/** What one LeadStage row records: a stage or a milestone. */
export type StageCode = LifecycleStage | Milestone;
export const STAGE_CODES: readonly StageCode[] = [...LIFECYCLE_STAGES, ...MILESTONES];

export const STAGE_LABELS: Readonly<Record<StageCode, string>> = {
  signed: '签约',
  registered: '注册',
  landed: '落地（开工）',
  producing: '投产',
  tech_sme: '科技型中小企业入库',
  high_tech: '高新技术企业认定',
  leading: '领军企业',
};

/** Words a user may type for each code (besides the code and the label). */
const STAGE_WORDS: Readonly<Record<StageCode, string[]>> = {
  signed: ['签约'],
  registered: ['注册'],
  landed: ['落地', '开工', '落地开工'],
  producing: ['投产'],
  tech_sme: ['科技型中小企业', '科小', '入库'],
  high_tech: ['高新技术企业', '高企', '高企认定'],
  leading: ['领军企业', '创新型领军企业', '领军'],
};

export function isStageCode(value: unknown): value is StageCode {
  return typeof value === 'string' && (STAGE_CODES as readonly string[]).includes(value);
}

export function isLifecycleStage(value: unknown): value is LifecycleStage {
  return typeof value === 'string' && (LIFECYCLE_STAGES as readonly string[]).includes(value);
}

export function isMilestone(value: unknown): value is Milestone {
  return typeof value === 'string' && (MILESTONES as readonly string[]).includes(value);
}

export function isPreStage(value: unknown, pre: PreStages = DEFAULT_PRE_STAGES): boolean {
  return typeof value === 'string' && pre.some((p) => p.code === value);
}

/** A stage this office records: a pre-签约 stage, a stage or a milestone. */
export function isKnownStage(value: unknown, pre: PreStages = DEFAULT_PRE_STAGES): value is string {
  return isStageCode(value) || isPreStage(value, pre);
}

/** The pipeline in order: the pre-签约 stages, then 签约 → 注册 → 落地（开工）→ 投产. */
export function pipelineOrder(pre: PreStages = DEFAULT_PRE_STAGES): string[] {
  return [...pre.map((p) => p.code), ...LIFECYCLE_STAGES];
}

/** What users read for a stage code; a code the office no longer lists shows as itself. */
export function stageLabel(code: string, pre: PreStages = DEFAULT_PRE_STAGES): string {
  if (isStageCode(code)) return STAGE_LABELS[code];
  return pre.find((p) => p.code === code)?.label ?? code;
}

/** A stage as typed: code, label or a common word (落地, 高企, ...), or a pre-签约 stage's code or label. */
export function parseStageCode(input: string, pre: PreStages = DEFAULT_PRE_STAGES): string | undefined {
  const t = input.normalize('NFKC').replace(/\s+/g, '').replace(/[()（）]/g, '').toLowerCase();
  if (!t) return undefined;
  return STAGE_CODES.find((c) => c === t || STAGE_LABELS[c].replace(/[（）]/g, '') === t || STAGE_WORDS[c].includes(t))
    ?? pre.find((p) => p.code === t || p.label.normalize('NFKC').replace(/\s+/g, '').toLowerCase() === t)?.code;
}

/** The main stage after `current` (null, '' or a pre-签约 stage = 签约 next); undefined once 投产. */
export function nextStage(current: string | null | undefined): LifecycleStage | undefined {
  const i = LIFECYCLE_STAGES.indexOf(current as LifecycleStage);
  return i < 0 ? LIFECYCLE_STAGES[0] : LIFECYCLE_STAGES[i + 1];
}

/** The pre-签约 stages still open to a lead at `current` (later than it; none once 签约). */
export function nextPreStages(current: string | null | undefined, pre: PreStages = DEFAULT_PRE_STAGES): PreStage[] {
  if (isLifecycleStage(current)) return [];
  const i = pre.findIndex((p) => p.code === current);
  return pre.slice(i + 1);
}

// ---------------------------------------------------------------------------------------------------------
// Who and when

/** Besides the lead's owner (登记人), these roles may record stages. */
export const LIFECYCLE_EDITOR_ROLES = ['reviewer', 'admin'] as const;

export function mayUpdateLifecycle(person: { openId: string; roles: ReadonlySet<string> }, lead: { submitterId: string }): boolean {
  return lead.submitterId === person.openId || LIFECYCLE_EDITOR_ROLES.some((r) => person.roles.has(r));
}

export const NOT_ALLOWED = '只有项目登记人、初审人员或管理员可以更新项目进度。';

/** A recorded stage, as LeadStage stores it (date: UTC midnight of the day). */
export interface StageRecord {
  stage: string;
  date: Date;
  data?: unknown;
}

export interface LifecycleLead {
  status: string;
  stage: string | null;
}

const LEAD_NOT_APPROVED: Record<string, string> = {
  pending: '项目尚在审批中，审批通过后才能登记进度。',
  returned: '项目已退回修改，审批通过后才能登记进度。',
  rejected: '项目已被驳回，不能登记进度。',
  withdrawn: '项目已撤回，不能登记进度。',
};

/**
 * Why `target` cannot be recorded now, or undefined: the lead must be approved; stages go forward one at a
 * time and never twice; milestones need 注册 first and are recorded once each.
 */
export function stageRefusal(lead: LifecycleLead, done: readonly StageRecord[], target: string, pre: PreStages = DEFAULT_PRE_STAGES): string | undefined {
  if (lead.status !== 'approved') return LEAD_NOT_APPROVED[lead.status] ?? '项目尚未审批通过，不能登记进度。';
  if (!isKnownStage(target, pre)) return '没有这个进度阶段。';
  const label = stageLabel(target, pre);
  const already = done.find((d) => d.stage === target);
  if (isMilestone(target)) {
    if (already) return `「${label}」已于 ${isoDate(already.date)} 登记，不能重复登记。`;
    if (!done.some((d) => d.stage === 'registered')) return `企业完成「注册」后才能登记「${label}」。`;
    return undefined;
  }
  // Pre-签约 stages may be skipped (a lead may go straight to 签约); from 签约 on, one stage at a time.
  const order = pipelineOrder(pre);
  const current = lead.stage ? order.indexOf(lead.stage) : -1;
  const wanted = order.indexOf(target);
  if (wanted < current) return `项目已到「${stageLabel(order[current], pre)}」阶段，不能回到「${label}」。`;
  if (already) return `「${label}」已于 ${isoDate(already.date)} 登记，不能重复登记。`;
  if (wanted === current) return `「${label}」已登记，不能重复登记。`;
  if (isLifecycleStage(target)) {
    const mainCurrent = isLifecycleStage(lead.stage) ? LIFECYCLE_STAGES.indexOf(lead.stage) : -1;
    const mainWanted = LIFECYCLE_STAGES.indexOf(target);
    if (mainWanted > mainCurrent + 1) return `请先登记「${STAGE_LABELS[LIFECYCLE_STAGES[mainCurrent + 1]]}」，再登记「${label}」。`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The forms

export type StageFieldType = 'date' | 'wan' | 'text' | 'credit_code';

export interface StageFieldDef {
  name: string;
  label: string;
  type: StageFieldType;
  required: boolean;
  maxLength?: number;
  placeholder?: string;
}

const dateField = (label: string): StageFieldDef => ({ name: 'date', label, type: 'date', required: true });

export const STAGE_FIELDS: Readonly<Record<StageCode, readonly StageFieldDef[]>> = {
  signed: [
    dateField('签约日期'),
    { name: 'investment_wan', label: '协议投资额（万元）', type: 'wan', required: true, placeholder: '单位：万元，如 5000' },
  ],
  registered: [
    { name: 'credit_code', label: '统一社会信用代码', type: 'credit_code', required: true, placeholder: '18 位' },
    dateField('注册日期'),
  ],
  landed: [
    { name: 'carrier', label: '落地载体', type: 'text', required: true, maxLength: 100, placeholder: '如：皋加速科创园、氢能孵化器' },
    { name: 'address', label: '地址', type: 'text', required: true, maxLength: 200, placeholder: '门牌号或厂房、楼栋' },
    dateField('开工日期'),
  ],
  producing: [dateField('投产日期')],
  tech_sme: [dateField('入库日期')],
  high_tech: [dateField('认定日期'), { name: 'certificate_no', label: '证书编号', type: 'text', required: false, maxLength: 40 }],
  leading: [dateField('认定日期')],
};

/** The small form of a stage: the built-in ones, or a pre-签约 stage's date and an optional note. */
export function stageFields(stage: string, pre: PreStages = DEFAULT_PRE_STAGES): readonly StageFieldDef[] {
  if (isStageCode(stage)) return STAGE_FIELDS[stage];
  return [
    dateField(`${stageLabel(stage, pre)}日期`),
    { name: 'note', label: '进展说明', type: 'text', required: false, maxLength: 200, placeholder: '如：已实地考察，正在商谈用地' },
  ];
}

export interface StageFormContext {
  /** Today in the office time zone, YYYY-MM-DD: dates may not be later. */
  today: string;
  /** Stages already recorded: a stage's date may not be earlier than the stage before it. */
  done: readonly StageRecord[];
  /** The office's pre-签约 stages (default 接洽, 在谈). */
  pre?: PreStages;
}

/** The validated update: the date (UTC midnight) and what LeadStage.data keeps. */
export interface StageUpdate {
  stage: string;
  /** What users read for the stage. */
  label: string;
  date: Date;
  data: Record<string, string | number>;
}

export type StageFormResult =
  | { ok: true; update: StageUpdate }
  | { ok: false; errors: Record<string, string>; values: Record<string, string> };

function text(raw: unknown): string {
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (typeof raw !== 'string') return '';
  return raw.replace(/[\u0000-\u001F\u007F-\u009F]/g, ' ').trim();
}

export { isoDate };

export function dayToDate(day: string): Date {
  return new Date(`${day}T00:00:00.000Z`);
}

function fieldSchema(f: StageFieldDef, ctx: StageFormContext, floor: { day: string; label: string } | undefined) {
  const need = f.required ? `请填写${f.label}` : '';
  return z.unknown().transform((raw, c) => {
    const s = text(raw);
    if (s === '') {
      if (f.required) c.addIssue({ code: 'custom', message: need });
      return undefined;
    }
    switch (f.type) {
      case 'date': {
        const day = parseDay(s);
        if (!day) c.addIssue({ code: 'custom', message: `${f.label}格式不正确，请按 2026-03-01 填写` });
        else if (day > ctx.today) c.addIssue({ code: 'custom', message: `${f.label}不能晚于今天（${ctx.today}）` });
        else if (floor && day < floor.day) c.addIssue({ code: 'custom', message: `${f.label}不能早于${floor.label}日期（${floor.day}）` });
        else return day;
        return z.NEVER;
      }
      case 'wan': {
        // As registration reads 计划投资额: 5,000 / 5000万元 / 1.5亿.
        const amount = parseAmount(s, '万元');
        const n = 'value' in amount ? amount.value : NaN;
        if (!Number.isFinite(n)) c.addIssue({ code: 'custom', message: `${f.label}应为数字，单位万元，如 5000` });
        else if (n <= 0) c.addIssue({ code: 'custom', message: `${f.label}应大于 0` });
        else if (n > MAX_WAN) c.addIssue({ code: 'custom', message: `${f.label}超过 ${formatNumber(MAX_WAN)} 万元，请确认单位是万元` });
        else return n;
        return z.NEVER;
      }
      case 'credit_code': {
        const r = checkCreditCode(s);
        if (!r.ok) {
          c.addIssue({ code: 'custom', message: r.message });
          return z.NEVER;
        }
        return r.code;
      }
      case 'text': {
        const max = f.maxLength ?? 200;
        if (Array.from(s).length > max) {
          c.addIssue({ code: 'custom', message: `${f.label}不能超过 ${max} 个字` });
          return z.NEVER;
        }
        return s;
      }
    }
  });
}

/** The latest recorded pipeline stage before `stage`, whose date bounds the new one from below. */
function previousStage(stage: string, done: readonly StageRecord[], pre: PreStages): { day: string; label: string } | undefined {
  const all = pipelineOrder(pre);
  const order: readonly string[] = isMilestone(stage) ? ['registered'] : all.slice(0, Math.max(0, all.indexOf(stage)));
  for (let i = order.length - 1; i >= 0; i--) {
    const rec = done.find((d) => d.stage === order[i]);
    if (rec) return { day: isoDate(rec.date), label: stageLabel(order[i], pre).replace(/（.*）/, '') };
  }
  return undefined;
}

/** Validates the small form of one update. Keys that are not fields of the form are ignored. */
export function validateStageForm(stage: string, raw: Record<string, unknown>, ctx: StageFormContext): StageFormResult {
  const input = raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {};
  const pre = ctx.pre ?? DEFAULT_PRE_STAGES;
  const fields = stageFields(stage, pre);
  const floor = previousStage(stage, ctx.done, pre);
  const schema = z.object(Object.fromEntries(fields.map((f) => [f.name, fieldSchema(f, ctx, floor)])));
  const parsed = schema.safeParse(Object.fromEntries(fields.map((f) => [f.name, Object.hasOwn(input, f.name) ? input[f.name] : undefined])));
  const values: Record<string, string> = {};
  for (const f of fields) {
    const s = text(input[f.name]);
    if (s) values[f.name] = f.type === 'date' ? (parseDay(s) ?? Array.from(s).slice(0, 40).join('')) : Array.from(s).slice(0, 300).join('');
  }
  if (!parsed.success) {
    const errors = fieldErrors(parsed.error);
    return { ok: false, errors, values };
  }
  const data: Record<string, string | number> = {};
  let day = '';
  for (const [k, v] of Object.entries(parsed.data as Record<string, string | number | undefined>)) {
    if (v === undefined) continue;
    if (k === 'date') day = String(v);
    else data[k] = v;
  }
  return { ok: true, update: { stage, label: stageLabel(stage, pre), date: dayToDate(day), data } };
}

// ---------------------------------------------------------------------------------------------------------
// Display

/** "接洽 ✓ → 在谈 → 签约 ✓ → 注册 ✓ → 落地（开工） → 投产". */
export function stageProgressLine(done: readonly StageRecord[], pre: PreStages = DEFAULT_PRE_STAGES): string {
  return pipelineOrder(pre).map((s) => (done.some((d) => d.stage === s) ? `${stageLabel(s, pre)} ✓` : stageLabel(s, pre))).join(' → ');
}

/** What a recorded update says besides its date: "协议投资额 5,000 万元", "统一社会信用代码 …". */
export function stageDataText(stage: string, data: unknown, pre: PreStages = DEFAULT_PRE_STAGES): string {
  if (!isKnownStage(stage, pre) || !data || typeof data !== 'object') return '';
  const d = data as Record<string, unknown>;
  const parts: string[] = [];
  for (const f of stageFields(stage, pre)) {
    if (f.name === 'date') continue;
    const v = d[f.name];
    if (v === undefined || v === null || v === '') continue;
    const label = f.label.replace(/（万元）$/, '');
    parts.push(f.type === 'wan' && typeof v === 'number' ? `${label} ${formatWan(v)}` : `${label} ${String(v)}`);
  }
  return parts.join('，');
}

// ---------------------------------------------------------------------------------------------------------
// 一月一报

/**
 * The month a 一月一报 sent at `now` asks about, "YYYY-MM": the local month before `now`'s. The job runs at
 * the start of a month (the 1st), so it asks about the month that just ended; the FollowUp row and the run
 * ledger are keyed by that month, and the answers are filed under it.
 */
export function followUpPeriod(now: Date, tz: string): string {
  return previousMonth(localMonth(now, tz));
}

/** "2026-01" → "2025-12". */
export function previousMonth(period: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (!m) throw new Error(`not a month: ${period}`);
  const prev = addMonths(Number(m[1]), Number(m[2]), -1);
  return `${prev.year}-${String(prev.month).padStart(2, '0')}`;
}

/** "2026-03" → "2026年3月". */
export function periodLabel(period: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  return m ? `${m[1]}年${Number(m[2])}月` : period;
}

/** Days an owner has to answer a follow-up before it counts as overdue. */
export const FOLLOW_UP_ANSWER_DAYS = 7;

/** Whether a follow-up sent at `sentAt` and not answered is overdue at `now`. */
export function followUpOverdue(sentAt: Date, answeredAt: Date | null, now: Date): boolean {
  return answeredAt === null && now.getTime() - sentAt.getTime() >= FOLLOW_UP_ANSWER_DAYS * 86_400_000;
}

// ---------------------------------------------------------------------------------------------------------
// 一月一报 answers (the follow-up form)

/** The stage an owner may report: none yet (尚未签约) or one of the four. */
export const REPORTED_STAGES = ['none', ...LIFECYCLE_STAGES] as const;
export type ReportedStage = (typeof REPORTED_STAGES)[number];

export function reportedStageLabel(stage: string | null | undefined): string {
  return isLifecycleStage(stage) ? STAGE_LABELS[stage] : '尚未签约';
}

/** Most patents one project may report for one month (a typo guard). */
export const MAX_MONTH_PATENTS = 1000;
export const PROBLEMS_MAX = 500;

/** A validated 一月一报 answer, as the FollowUp row stores it. */
export interface FollowUpAnswer {
  stage: ReportedStage;
  /** 到位投资（万元，累计）; null when not given. */
  investmentArrivedWan: number | null;
  inventionPatents: number;
  utilityModels: number;
  problems: string | null;
  note: string | null;
}

export type FollowUpFormResult =
  | { ok: true; answer: FollowUpAnswer }
  | { ok: false; errors: Record<string, string>; values: Record<string, string> };

export const FOLLOW_UP_FIELDS = {
  stage: '当前阶段',
  investment_arrived_wan: '累计到位投资（万元）',
  invention_patents: '上月新增发明专利实审（件）',
  utility_models: '上月新增实用新型专利授权（件）',
  problems: '需协调解决的问题',
  note: '进展说明',
} as const;

const cleanText = (raw: unknown): string =>
  typeof raw === 'string' ? raw.replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g, '').trim() : typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : '';

const patentsField = (label: string) =>
  z.unknown().transform((raw, c) => {
    const s = cleanText(raw).normalize('NFKC').replace(/\s+/g, '').replace(/件$/, '');
    if (s === '') return 0;
    if (!/^\d+$/.test(s)) {
      c.addIssue({ code: 'custom', message: `${label}应为 0 或正整数` });
      return z.NEVER;
    }
    const n = Number(s);
    if (n > MAX_MONTH_PATENTS) {
      c.addIssue({ code: 'custom', message: `${label}超过 ${MAX_MONTH_PATENTS} 件，请核对` });
      return z.NEVER;
    }
    return n;
  });

const longText = (label: string, max: number) =>
  z.unknown().transform((raw, c) => {
    const s = cleanText(raw);
    if (s === '') return null;
    if (Array.from(s).length > max) {
      c.addIssue({ code: 'custom', message: `${label}不能超过 ${max} 个字` });
      return z.NEVER;
    }
    return s;
  });

const followUpSchema = z.object({
  stage: z.unknown().transform((raw, c) => {
    const s = cleanText(raw);
    if ((REPORTED_STAGES as readonly string[]).includes(s)) return s as ReportedStage;
    c.addIssue({ code: 'custom', message: `请选择${FOLLOW_UP_FIELDS.stage}` });
    return z.NEVER;
  }),
  investment_arrived_wan: z.unknown().transform((raw, c) => {
    const s = cleanText(raw);
    if (s === '') return null;
    const amount = parseAmount(s, '万元');
    const n = 'value' in amount ? amount.value : NaN;
    const label = FOLLOW_UP_FIELDS.investment_arrived_wan;
    if (!Number.isFinite(n)) c.addIssue({ code: 'custom', message: `${label}应为数字，单位万元，如 1200` });
    else if (n < 0) c.addIssue({ code: 'custom', message: `${label}不能为负数` });
    else if (n > MAX_WAN) c.addIssue({ code: 'custom', message: `${label}超过 ${formatNumber(MAX_WAN)} 万元，请确认单位是万元` });
    else return n;
    return z.NEVER;
  }),
  invention_patents: patentsField('上月新增发明专利实审'),
  utility_models: patentsField('上月新增实用新型专利授权'),
  problems: longText(FOLLOW_UP_FIELDS.problems, PROBLEMS_MAX),
  note: longText(FOLLOW_UP_FIELDS.note, PROBLEMS_MAX),
});

/**
 * Validates the 一月一报 form (the card's fields; other keys are ignored). The stage select starts at the
 * recorded stage: a form sent without it keeps `recordedStage`.
 */
export function validateFollowUpForm(raw: Record<string, unknown>, recordedStage: string | null): FollowUpFormResult {
  const given = raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {};
  const input = cleanText(given.stage) === '' ? { ...given, stage: isLifecycleStage(recordedStage) ? recordedStage : 'none' } : given;
  const keys = Object.keys(FOLLOW_UP_FIELDS) as Array<keyof typeof FOLLOW_UP_FIELDS>;
  const parsed = followUpSchema.safeParse(Object.fromEntries(keys.map((k) => [k, Object.hasOwn(input, k) ? input[k] : undefined])));
  if (parsed.success) {
    const d = parsed.data;
    return {
      ok: true,
      answer: {
        stage: d.stage,
        investmentArrivedWan: d.investment_arrived_wan,
        inventionPatents: d.invention_patents,
        utilityModels: d.utility_models,
        problems: d.problems,
        note: d.note,
      },
    };
  }
  const errors = fieldErrors(parsed.error);
  const values: Record<string, string> = {};
  for (const k of keys) {
    const s = cleanText(input[k]);
    if (s) values[k] = Array.from(s).slice(0, PROBLEMS_MAX).join('');
  }
  return { ok: false, errors, values };
}
