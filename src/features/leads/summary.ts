// Human-readable facts about a lead for cards and digests, and the 重大项目 rule.
import type { OfficeConfig } from '../../office/config.ts';
import { leadKindFields, referrerTypeLabel, type LeadFieldDef } from './fields.ts';
import { formatNumber, formatWan } from './format.ts';
import { isLeadKind, leadKindLabel } from './kinds.ts';

/** What leadSummaryRows reads: a LeadInput or a Lead row (details is JSON there). */
export interface LeadSummarySource {
  kind: string;
  companyName?: string | null;
  creditCode?: string | null;
  industry?: string | null;
  town: string;
  sourceRegion?: string | null;
  investmentWan?: number | null;
  needsFund?: boolean;
  inventionPatents?: number;
  utilityModels?: number;
  contactName?: string | null;
  contactPhone?: string | null;
  summary?: string | null;
  referrer?: string | null;
  referrerType?: string | null;
  details?: unknown;
}

export interface LeadSummaryOptions {
  /** Add 联系人 / 联系电话 (for reviewers; leave out for group digests). */
  includeContact?: boolean;
  /** Add 项目简介 as the last row. */
  includeSummary?: boolean;
}

export type LeadSummaryRow = [label: string, value: string];

/**
 * Rows of [label, value] in Chinese, in a fixed order: 项目类别, 企业名称, 统一社会信用代码, 产业方向,
 * 所属镇区, 来源地, 计划投资额 ("1,200 万元"), 落地即带投资需求 (only when yes), then the kind-specific
 * fields in form order (patents as "3 件", amounts in 万元, lists joined with 、, checkers as 是/否), then
 * contact and summary when asked for. Empty values are left out, and so are patent counts of 0 (a blank field
 * is stored as 0; see givenCount).
 */
export function leadSummaryRows(lead: LeadSummarySource, opts: LeadSummaryOptions = {}): LeadSummaryRow[] {
  const rows: LeadSummaryRow[] = [];
  const add = (label: string, value: string | null | undefined) => {
    if (value !== null && value !== undefined && value.trim() !== '') rows.push([label, value]);
  };
  add('项目类别', leadKindLabel(lead.kind));
  add('企业名称', lead.companyName);
  add('统一社会信用代码', lead.creditCode);
  add('产业方向', lead.industry);
  add('所属镇区', lead.town);
  add('来源地', lead.sourceRegion);
  if (typeof lead.investmentWan === 'number') add('计划投资额', formatWan(lead.investmentWan));
  if (lead.needsFund) add('落地即带投资需求', '是');

  if (isLeadKind(lead.kind)) {
    const details = lead.details && typeof lead.details === 'object' ? (lead.details as Record<string, unknown>) : {};
    for (const field of leadKindFields(lead.kind)) {
      const value =
        field.name === 'invention_patents' ? givenCount(lead.inventionPatents)
        : field.name === 'utility_models' ? givenCount(lead.utilityModels)
        : Object.hasOwn(details, field.name) ? details[field.name]
        : undefined;
      add(field.label, showValue(field, value));
    }
  }

  if (opts.includeContact) {
    if (lead.referrer) add('信息提供人', lead.referrerType ? `${lead.referrer}（${referrerTypeLabel(lead.referrerType)}）` : lead.referrer);
    add('联系人', lead.contactName);
    add('联系电话', lead.contactPhone);
  }
  if (opts.includeSummary) add('项目简介', lead.summary);
  return rows;
}

/**
 * A patent count as given: the Lead columns hold 0 when the field was left blank (they are summed for quotas
 * and scored), so 0 counts as not given and is neither shown nor put back into the form.
 */
export function givenCount(n: number | null | undefined): number | undefined {
  return typeof n === 'number' && n > 0 ? n : undefined;
}

function showValue(field: LeadFieldDef, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value ? '是' : '否';
  if (Array.isArray(value)) return value.filter((x) => typeof x === 'string').join('、');
  if (typeof value === 'number') {
    if (field.unit === '万元') return formatWan(value);
    return field.unit ? `${formatNumber(value)} ${field.unit}` : formatNumber(value);
  }
  return typeof value === 'string' ? value : undefined;
}

// Contact details typed into free text (项目简介): e-mail addresses, 18-digit 居民身份证号码, mobile numbers
// (+86 optional), landlines with an area code and 400/800 numbers; spaces and hyphens inside allowed.
const CONTACT_PATTERNS: readonly RegExp[] = [
  /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g,
  /(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])/g,
  /(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)/g,
  /(?<!\d)0\d{2,3}[ -]?\d{7,8}(?!\d)/g,
  /(?<!\d)[48]00[ -]?\d{3}[ -]?\d{4}(?!\d)/g,
];

export const HIDDEN_CONTACT = '（联系方式已隐藏）';

/**
 * `text` with the contact details in it replaced by （联系方式已隐藏）, for cards other people see (group chats).
 * Full-width digits, letters and signs are recognised too (compared on a same-length half-width copy).
 */
export function hideContacts(text: string): string {
  // U+FF01–FF5E and U+3000 map one-to-one onto ASCII, so offsets in `plain` are offsets in `text`.
  const plain = text.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ');
  const hidden = new Array<boolean>(text.length).fill(false);
  for (const pattern of CONTACT_PATTERNS) {
    for (const m of plain.matchAll(pattern)) hidden.fill(true, m.index, m.index + m[0].length);
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (!hidden[i]) out += text[i];
    else if (i === 0 || !hidden[i - 1]) out += HIDDEN_CONTACT;
  }
  return out;
}

/**
 * Whether the amount alone makes a lead 重大项目 (一事一议): planned investment at or above the office's
 * threshold (approval.majorThresholdWan). A reviewer may also flag a lead major; see needsLeadership.
 */
export function reachesMajorThreshold(lead: { investmentWan?: number | null }, office: OfficeConfig): boolean {
  return typeof lead.investmentWan === 'number' && lead.investmentWan >= office.approval.majorThresholdWan;
}
