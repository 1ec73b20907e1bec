// 专家组评审: drawing a panel of experts for a lead (by field, skipping conflicts of interest), the sheet each
// expert fills in (one score and comment per indicator of the scoring model) and the panel's result by the
// office's rule (mean total against a threshold, or majority of votes). Pure: no I/O.
import type { OfficeConfig } from '../../office/config.ts';
import type { ScoringConfig } from '../../office/scoring.ts';
import { scoringIndicators } from '../leads/scoring.ts';

/** An expert's register entry (专家库): fields (industry chains or lead kinds) and conflicts of interest. */
export interface ExpertProfile {
  userId: string;
  fields: readonly string[];
  companies: readonly string[];
  towns: readonly string[];
}

/** What the draw reads of a lead. */
export interface PanelLead {
  kind: string;
  industry?: string | null;
  companyName?: string | null;
  town: string;
}

const norm = (s: string) => s.replace(/\s+/g, '').replace(/[()（）]/g, '').toLowerCase();

/** Why an expert may not sit on this lead's panel: "回避：所在单位…" / "回避：镇区…"; undefined when he may. */
export function conflictOf(profile: ExpertProfile | undefined, lead: PanelLead): string | undefined {
  if (!profile) return undefined;
  const company = lead.companyName ? norm(lead.companyName) : '';
  if (company) {
    const hit = profile.companies.find((c) => {
      const n = norm(c);
      return n.length > 0 && (company.includes(n) || n.includes(company));
    });
    if (hit) return `与项目单位「${hit}」有利益关系`;
  }
  if (profile.towns.includes(lead.town)) return `与项目所在镇区（${lead.town}）有利益关系`;
  return undefined;
}

/** Whether the expert's fields cover the lead: its industry chain or its kind (tech, 科创类 …). */
export function fieldMatches(profile: ExpertProfile | undefined, lead: PanelLead, kindLabels: Readonly<Record<string, string>> = {}): boolean {
  if (!profile) return false;
  return profile.fields.some((f) => f === lead.industry || f === lead.kind || (kindLabels[lead.kind] !== undefined && f === kindLabels[lead.kind]));
}

export interface PanelDraw {
  chosen: string[];
  /** Experts passed over for a conflict of interest, with the reason. */
  skipped: Array<{ userId: string; reason: string }>;
}

/**
 * Draws up to `size` experts from `eligible` (holders of the expert role, oldest grant first): those whose
 * fields cover the lead first, then the others; an expert with a conflict of interest is skipped and the next
 * one drawn. Deterministic, so a test (and an audit) can tell who was drawn and why.
 */
export function drawPanel(
  eligible: readonly string[],
  profiles: ReadonlyMap<string, ExpertProfile>,
  lead: PanelLead,
  size: number,
  kindLabels: Readonly<Record<string, string>> = {},
): PanelDraw {
  const skipped: PanelDraw['skipped'] = [];
  const fit: string[] = [];
  const rest: string[] = [];
  for (const id of new Set(eligible)) {
    const profile = profiles.get(id);
    const conflict = conflictOf(profile, lead);
    if (conflict) {
      skipped.push({ userId: id, reason: conflict });
      continue;
    }
    (fieldMatches(profile, lead, kindLabels) ? fit : rest).push(id);
  }
  return { chosen: [...fit, ...rest].slice(0, Math.max(1, size)), skipped };
}

// ---- the sheet -----------------------------------------------------------------------------------------

/** One line of an expert's 评分表. */
export interface SheetIndicator {
  key: string;
  label: string;
  max: number;
}

/**
 * The sheet's indicators: the 综合评价模型's indicators for this kind (scoringIndicators, from the office's
 * YAML), each worth what the model gives it out of 100. Only this function knows the model's shape.
 */
export function sheetIndicators(scoring: ScoringConfig, kind: string): SheetIndicator[] {
  return scoringIndicators(kind, scoring).map((i) => ({ key: i.indicator, label: i.label, max: i.max }));
}

export interface SheetLine extends SheetIndicator {
  score: number;
  comment: string | null;
}

/** A sheet's total on a 100-point scale (the sum of its scores over the sum of its maxima), one decimal. */
export function sheetTotal(lines: readonly Pick<SheetLine, 'score' | 'max'>[]): number {
  const max = lines.reduce((s, l) => s + l.max, 0);
  if (max <= 0) return 0;
  const got = lines.reduce((s, l) => s + Math.min(Math.max(l.score, 0), l.max), 0);
  return Math.round((got / max) * 1000) / 10;
}

/**
 * Reads a submitted sheet form: `score_<key>` (a number 0…max) and `comment_<key>` per indicator, `vote`
 * (pass | fail). Returns the lines or the first problem, in Chinese.
 */
export function parseSheet(
  indicators: readonly SheetIndicator[],
  form: Record<string, unknown>,
): { ok: true; lines: SheetLine[]; pass: boolean; comment: string | null } | { ok: false; reason: string } {
  const lines: SheetLine[] = [];
  for (const ind of indicators) {
    const raw = form[`score_${ind.key}`];
    const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
    if (!text) return { ok: false, reason: `请为「${ind.label}」打分（0–${ind.max}）` };
    const score = Number(text);
    if (!Number.isFinite(score) || score < 0 || score > ind.max) return { ok: false, reason: `「${ind.label}」的得分须在 0 到 ${ind.max} 之间` };
    const c = form[`comment_${ind.key}`];
    const comment = typeof c === 'string' && c.trim() ? c.trim().slice(0, 200) : null;
    lines.push({ ...ind, score, comment });
  }
  const vote = form.vote;
  if (vote !== 'pass' && vote !== 'fail') return { ok: false, reason: '请选择评审结论（通过 / 不通过）' };
  const c = form.comment;
  const comment = typeof c === 'string' && c.trim() ? c.trim().slice(0, 500) : null;
  return { ok: true, lines, pass: vote === 'pass', comment };
}

// ---- the panel's result ----------------------------------------------------------------------------------

export type PanelRule = OfficeConfig['panel']['rule'];

export interface PanelResult {
  outcome: 'approved' | 'rejected';
  /** Mean of the sheet totals, one decimal. */
  mean: number;
  passVotes: number;
  sheets: number;
  /** "均分 72.5 ≥ 60，通过" / "3 票中 2 票通过，过半，通过". */
  text: string;
}

/** The panel's result by the office's rule: `mean` (mean total ≥ threshold) or `majority` (pass votes > half). */
export function panelResult(sheets: readonly { total: number; pass: boolean }[], rule: PanelRule, threshold: number): PanelResult {
  const n = sheets.length;
  const mean = n === 0 ? 0 : Math.round((sheets.reduce((s, x) => s + x.total, 0) / n) * 10) / 10;
  const passVotes = sheets.filter((s) => s.pass).length;
  if (rule === 'mean') {
    const ok = n > 0 && mean >= threshold;
    return { outcome: ok ? 'approved' : 'rejected', mean, passVotes, sheets: n, text: `均分 ${mean} ${ok ? '≥' : '<'} ${threshold}，${ok ? '通过' : '未通过'}` };
  }
  const ok = passVotes * 2 > n;
  return { outcome: ok ? 'approved' : 'rejected', mean, passVotes, sheets: n, text: `${n} 票中 ${passVotes} 票通过，${ok ? '过半，通过' : '未过半，未通过'}` };
}

// ---- the meeting -----------------------------------------------------------------------------------------

export const MEETING_OUTCOMES = ['pass', 'fail', 'defer'] as const;
export type MeetingOutcome = (typeof MEETING_OUTCOMES)[number];
export const MEETING_OUTCOME_LABELS: Readonly<Record<MeetingOutcome, string>> = { pass: '通过', fail: '不通过', defer: '暂缓' };

export interface MeetingRecord {
  date: string;
  attendees: string;
  outcome: MeetingOutcome;
  minutes: string | null;
}

/** Reads the secretary's meeting form: date (YYYY-MM-DD), attendees, outcome, minutes. */
export function parseMeeting(form: Record<string, unknown>): { ok: true; meeting: MeetingRecord } | { ok: false; reason: string } {
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const date = str(form.date).slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return { ok: false, reason: '请选择会议日期' };
  const attendees = str(form.attendees);
  if (!attendees) return { ok: false, reason: '请填写参会人员' };
  if (attendees.length > 300) return { ok: false, reason: '参会人员不能超过 300 字' };
  const outcome = str(form.outcome);
  if (!(MEETING_OUTCOMES as readonly string[]).includes(outcome)) return { ok: false, reason: '请选择会议结论（通过 / 不通过 / 暂缓）' };
  const minutes = str(form.minutes);
  if (minutes.length > 1000) return { ok: false, reason: '会议纪要不能超过 1000 字' };
  return { ok: true, meeting: { date, attendees, outcome: outcome as MeetingOutcome, minutes: minutes || null } };
}

