// 协调事项 (coordination register, seed 000 双月例会「协调推进招商重点工作」): a problem raised on a lead — its
// category (用地 / 厂房 / 资金 / 审批 / 人才 / 其他), description, owner department and due date — answered and
// marked solved. Pure: the form's validation (zod, Chinese messages), who may raise and answer, how long a
// problem has been open and whether it is overdue, and the register as the 双月例会 reads it. No I/O.
import { z } from 'zod';
import { PROBLEM_CATEGORIES } from '../../office/config.ts';
import { parseDay } from '../leads/values.ts';
import { fieldErrors } from '../../platform/forms.ts';

export { PROBLEM_CATEGORIES };
export type ProblemCategory = (typeof PROBLEM_CATEGORIES)[number];

export const PROBLEM_CATEGORY_LABELS: Readonly<Record<ProblemCategory, string>> = {
  land: '用地',
  plant: '厂房',
  funding: '资金',
  permits: '审批',
  talent: '人才',
  other: '其他',
};

export function problemCategoryLabel(category: string): string {
  return PROBLEM_CATEGORY_LABELS[category as ProblemCategory] ?? category;
}

export const DESCRIPTION_MAX = 500;
export const DEPARTMENT_MAX = 30;
export const ANSWER_MAX = 500;
const DAY_MS = 86_400_000;

// ---- who -----------------------------------------------------------------------------------------------

/** Besides the person who raised it, these roles may answer a problem and mark it solved. */
export const PROBLEM_ANSWER_ROLES = ['admin', 'leader'] as const;

export function mayAnswerProblem(person: { openId: string; roles: ReadonlySet<string> }, problem: { raisedBy: string }): boolean {
  return problem.raisedBy === person.openId || PROBLEM_ANSWER_ROLES.some((r) => person.roles.has(r));
}

export const NOT_ANSWERER = '只有提出人、领导或管理员可以答复或关闭协调事项。';

/** Why a problem cannot be raised on a lead in this state, or undefined. */
export function raiseRefusal(lead: { status: string }): string | undefined {
  if (lead.status === 'rejected') return '项目已被驳回，不能提出协调事项。';
  if (lead.status === 'withdrawn') return '项目已撤回，不能提出协调事项。';
  return undefined;
}

// ---- the form ------------------------------------------------------------------------------------------

export interface ProblemInput {
  category: ProblemCategory;
  description: string;
  ownerDept: string;
  /** YYYY-MM-DD */
  dueDay: string;
}

export interface ProblemFormContext {
  /** Today in the office time zone, YYYY-MM-DD: a due date may not be earlier. */
  today: string;
  /** office.coordination.departments: when not empty, the owner must be one of them. */
  departments: readonly string[];
}

export type ProblemFormResult =
  | { ok: true; problem: ProblemInput }
  | { ok: false; errors: Record<string, string>; values: Record<string, string> };

function text(raw: unknown): string {
  if (typeof raw !== 'string') return '';
  return raw.replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g, ' ').trim();
}

const len = (s: string) => Array.from(s).length;

function problemSchema(ctx: ProblemFormContext) {
  return z.object({
    category: z.unknown().transform((raw, c) => {
      const v = text(raw);
      if (!(PROBLEM_CATEGORIES as readonly string[]).includes(v)) {
        c.addIssue({ code: 'custom', message: '请选择问题类别' });
        return z.NEVER;
      }
      return v as ProblemCategory;
    }),
    description: z.unknown().transform((raw, c) => {
      const v = text(raw);
      if (v === '') c.addIssue({ code: 'custom', message: '请填写问题描述' });
      else if (len(v) > DESCRIPTION_MAX) c.addIssue({ code: 'custom', message: `问题描述不能超过 ${DESCRIPTION_MAX} 个字` });
      else return v;
      return z.NEVER;
    }),
    owner_dept: z.unknown().transform((raw, c) => {
      const v = text(raw);
      if (v === '') c.addIssue({ code: 'custom', message: '请填写责任部门' });
      else if (len(v) > DEPARTMENT_MAX) c.addIssue({ code: 'custom', message: `责任部门不能超过 ${DEPARTMENT_MAX} 个字` });
      else if (ctx.departments.length > 0 && !ctx.departments.includes(v)) c.addIssue({ code: 'custom', message: `责任部门请从列表中选择：${ctx.departments.join('、')}` });
      else return v;
      return z.NEVER;
    }),
    due_date: z.unknown().transform((raw, c) => {
      const v = text(raw);
      const day = v ? parseDay(v) : undefined;
      if (v === '') c.addIssue({ code: 'custom', message: '请选择完成时限' });
      else if (!day) c.addIssue({ code: 'custom', message: '完成时限格式不正确，请按 2026-03-01 填写' });
      else if (day < ctx.today) c.addIssue({ code: 'custom', message: `完成时限不能早于今天（${ctx.today}）` });
      else return day;
      return z.NEVER;
    }),
  });
}

/** Validates the 「提出问题」 form: every field required, nothing saved unless all are right. */
export function validateProblemForm(raw: Record<string, unknown>, ctx: ProblemFormContext): ProblemFormResult {
  const input = raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {};
  const values: Record<string, string> = {};
  for (const k of ['category', 'description', 'owner_dept', 'due_date']) {
    const v = text(input[k]);
    if (v) values[k] = k === 'due_date' ? (parseDay(v) ?? v.slice(0, 40)) : Array.from(v).slice(0, DESCRIPTION_MAX + 50).join('');
  }
  const parsed = problemSchema(ctx).safeParse({ category: input.category, description: input.description, owner_dept: input.owner_dept, due_date: input.due_date });
  if (!parsed.success) {
    const errors = fieldErrors(parsed.error);
    return { ok: false, errors, values };
  }
  const d = parsed.data;
  return { ok: true, problem: { category: d.category, description: d.description, ownerDept: d.owner_dept, dueDay: d.due_date } };
}

/** The answer text: required unless the problem is only being closed. */
export function validateAnswer(raw: unknown, required: boolean): { ok: true; answer: string | null } | { ok: false; error: string } {
  const v = text(raw);
  if (v === '') return required ? { ok: false, error: '请填写答复内容' } : { ok: true, answer: null };
  if (len(v) > ANSWER_MAX) return { ok: false, error: `答复不能超过 ${ANSWER_MAX} 个字` };
  return { ok: true, answer: v };
}

// ---- age -----------------------------------------------------------------------------------------------

/** Whole days a problem raised at `createdAt` has been open at `now`. */
export function daysOpen(createdAt: Date, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - createdAt.getTime()) / DAY_MS));
}

/** Days past its due date (0 when not overdue): due 2026-11-20 and today 2026-11-23 → 3. */
export function daysOverdue(dueDate: Date, today: string): number {
  const due = dueDate.toISOString().slice(0, 10);
  if (today <= due) return 0;
  return Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${due}T00:00:00Z`)) / DAY_MS);
}

// ---- the register as the 双月例会 reads it ----------------------------------------------------------

/** One problem with its lead, as the digests and /problems read it. */
export interface ProblemFact {
  id: number;
  leadId: number;
  code: string;
  projectName: string;
  town: string;
  category: string;
  description: string;
  ownerDept: string;
  dueDate: Date;
  raisedBy: string;
  createdAt: Date;
  answer: string | null;
  answeredAt: Date | null;
  solvedAt: Date | null;
}

export interface OpenProblem extends ProblemFact {
  days: number;
  overdueDays: number;
}

export interface OwnerGroup {
  ownerDept: string;
  problems: OpenProblem[];
  overdue: number;
}

export interface ProblemRegister {
  /** Open at `now`, by owner department: most open first; within one, the oldest first. */
  open: OwnerGroup[];
  openCount: number;
  overdueCount: number;
  /** Solved in [from, to), newest first. */
  solved: ProblemFact[];
}

/**
 * The register as of `now` (`today` its local date): problems raised by then and not solved by then, and
 * those solved in the window [from, to).
 */
export function problemRegister(rows: readonly ProblemFact[], now: Date, today: string, window: { from: Date; to: Date }): ProblemRegister {
  const open: OpenProblem[] = rows
    .filter((p) => p.createdAt.getTime() <= now.getTime() && (p.solvedAt === null || p.solvedAt.getTime() > now.getTime()))
    .map((p) => ({ ...p, days: daysOpen(p.createdAt, now), overdueDays: daysOverdue(p.dueDate, today) }));
  const groups = new Map<string, OwnerGroup>();
  for (const p of open) {
    let g = groups.get(p.ownerDept);
    if (!g) groups.set(p.ownerDept, (g = { ownerDept: p.ownerDept, problems: [], overdue: 0 }));
    g.problems.push(p);
    if (p.overdueDays > 0) g.overdue++;
  }
  for (const g of groups.values()) g.problems.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id);
  const solved = rows
    .filter((p) => p.solvedAt !== null && p.solvedAt.getTime() >= window.from.getTime() && p.solvedAt.getTime() < window.to.getTime())
    .sort((a, b) => b.solvedAt!.getTime() - a.solvedAt!.getTime() || b.id - a.id);
  return {
    open: [...groups.values()].sort((a, b) => b.problems.length - a.problems.length || b.overdue - a.overdue || a.ownerDept.localeCompare(b.ownerDept, 'zh-CN')),
    openCount: open.length,
    overdueCount: open.filter((p) => p.overdueDays > 0).length,
    solved,
  };
}

/** "【用地】缺少工业用地指标" clipped for a list line. */
export function problemTitle(p: { category: string; description: string }, max = 40): string {
  const chars = Array.from(p.description.replace(/\s+/g, ' '));
  return `【${problemCategoryLabel(p.category)}】${chars.length > max ? `${chars.slice(0, max).join('')}…` : chars.join('')}`;
}
