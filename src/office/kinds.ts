// The five kinds of 科技招商 project (seed 003) as code names; shared by the office config and its scoring section.
export const LEAD_KINDS = ['tech', 'talent', 'platform', 'service', 'fund'] as const;
export type LeadKind = (typeof LEAD_KINDS)[number];
