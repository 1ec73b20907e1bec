// The five kinds of 科技招商 project (seed 003, 一、科技招商领域): code names, labels, one-line descriptions.
import { LEAD_KINDS, type LeadKind } from '../../office/config.ts';

export { LEAD_KINDS, type LeadKind };

export const LEAD_KIND_LABELS: Readonly<Record<LeadKind, string>> = {
  tech: '科创类',
  talent: '人才类',
  platform: '平台类',
  service: '服务类',
  fund: '基金类',
};

/** One line per kind, shortened from the 2023 如皋 plan (城市名 replaced by 本市 so any office can use it). */
export const LEAD_KIND_DESCRIPTIONS: Readonly<Record<LeadKind, string>> = {
  tech: '从市外引进、符合《国家重点支持的高新技术领域》或《江苏省高新技术产业统计分类目录》、一般可在三年内满足高新技术企业申报条件的项目',
  talent: '从市外引入并在本地创办企业、拥有与主营产品相关核心技术或自主知识产权的高端人才',
  platform: '引进国内外高校院所、央企、头部企业、优秀团队与本市合作共建的新型研发机构、成果转移中心等科技创新平台',
  service: '引进的科技咨询服务机构、载体平台运营机构、技术评估检测或设计机构、财会审计机构等科技服务业项目',
  fund: '引进国内外知名创投机构在本市设立的重点产业基金',
};

export function isLeadKind(value: unknown): value is LeadKind {
  return typeof value === 'string' && (LEAD_KINDS as readonly string[]).includes(value);
}

/** The Chinese label of a kind; an unknown code is shown as it is. */
export function leadKindLabel(kind: string): string {
  return isLeadKind(kind) ? LEAD_KIND_LABELS[kind] : kind;
}

/**
 * Reads a kind as a user may type it: the code name (`tech`), the label (`科创类`) or the label without
 * 类 (`科创`). Case, spaces and full-width letters are ignored. Returns undefined when nothing matches.
 */
export function parseLeadKind(input: string): LeadKind | undefined {
  const t = input.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
  if (!t) return undefined;
  for (const kind of LEAD_KINDS) {
    const label = LEAD_KIND_LABELS[kind];
    if (t === kind || t === label || t === label.replace(/类$/, '') || t === `${label}项目`) return kind;
  }
  return undefined;
}
