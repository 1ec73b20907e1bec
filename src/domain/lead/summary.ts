// Human-readable facts about a lead for cards and digests, and the 重大项目 rule.
import type { OfficeConfig } from '../../config/office.ts';
import { leadKindFields, type LeadFieldDef } from './fields.ts';
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
 * contact and summary when asked for. Empty values are left out.
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
        field.name === 'invention_patents' ? lead.inventionPatents
        : field.name === 'utility_models' ? lead.utilityModels
        : Object.hasOwn(details, field.name) ? details[field.name]
        : undefined;
      add(field.label, showValue(field, value));
    }
  }

  if (opts.includeContact) {
    add('联系人', lead.contactName);
    add('联系电话', lead.contactPhone);
  }
  if (opts.includeSummary) add('项目简介', lead.summary);
  return rows;
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

/** 重大项目 (一事一议): planned investment at or above the office's threshold (approval.majorThresholdWan). */
export function isMajor(lead: { investmentWan?: number | null }, office: OfficeConfig): boolean {
  return typeof lead.investmentWan === 'number' && lead.investmentWan >= office.approval.majorThresholdWan;
}
