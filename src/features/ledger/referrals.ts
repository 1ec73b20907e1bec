// 信息提供人统计 (/referrals): per referrer (a person or unit named on the registration form), how many leads
// of the year were registered, approved and signed (签约 or any later stage). Seed 000 rewards 「提供优质项目信息」
// 的单位和个人; this is the table the office decides those rewards from. Visibility as for every lead list.
import type { Db } from '../../platform/db/client.ts';
import { referrerTypeLabel } from '../leads/lead.ts';
import { visibleTo, type Viewer } from '../leads/store.ts';
import { zonedInstant } from '../../platform/time.ts';

export interface ReferrerRow {
  referrer: string;
  /** The stored type (person | unit | enterprise | agent) most of this referrer's leads give; null if none. */
  type: string | null;
  leads: number;
  approved: number;
  signed: number;
}

export interface ReferralTable {
  rows: ReferrerRow[];
  /** Leads of the year (visible to the viewer) with and without a referrer. */
  withReferrer: number;
  withoutReferrer: number;
}

/** One referrer however it was typed: width, case and spaces ignored. */
export const referrerKey = (name: string): string => name.normalize('NFKC').replace(/\s+/g, '').toLowerCase();

/** The year's referral table, most signings first, then approvals, then leads, then name. */
export async function referralTable(db: Db, input: { year: number; tz: string; viewer?: Viewer }): Promise<ReferralTable> {
  const year = { createdAt: { gte: zonedInstant(input.year, 1, 1, input.tz), lt: zonedInstant(input.year + 1, 1, 1, input.tz) } };
  const where = { AND: [year, input.viewer ? visibleTo(input.viewer) : {}] };
  const groups = await db.lead.groupBy({
    by: ['referrer', 'referrerType', 'status', 'stage'],
    where,
    _count: { _all: true },
  });
  const byKey = new Map<string, ReferrerRow & { types: Map<string, number>; spellings: Map<string, number> }>();
  let withReferrer = 0;
  let withoutReferrer = 0;
  for (const g of groups) {
    const n = g._count._all;
    if (!g.referrer) {
      withoutReferrer += n;
      continue;
    }
    withReferrer += n;
    const key = referrerKey(g.referrer);
    const row = byKey.get(key) ?? { referrer: g.referrer, type: null, leads: 0, approved: 0, signed: 0, types: new Map<string, number>(), spellings: new Map<string, number>() };
    row.spellings.set(g.referrer, (row.spellings.get(g.referrer) ?? 0) + n);
    row.leads += n;
    if (g.status === 'approved') row.approved += n;
    if (g.status === 'approved' && g.stage) row.signed += n;
    if (g.referrerType) row.types.set(g.referrerType, (row.types.get(g.referrerType) ?? 0) + n);
    byKey.set(key, row);
  }
  // Shown as most of its leads spell it (ties: the shorter, so 「张三」 over 「张 三」), with the commonest type.
  const commonest = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].length - b[0].length)[0]?.[0];
  const rows = [...byKey.values()].map(({ types, spellings, ...r }) => ({
    ...r,
    referrer: commonest(spellings) ?? r.referrer,
    type: commonest(types) ?? null,
  }));
  rows.sort((a, b) => b.signed - a.signed || b.approved - a.approved || b.leads - a.leads || a.referrer.localeCompare(b.referrer, 'zh'));
  return { rows, withReferrer, withoutReferrer };
}

/** 「张三（个人）」, or the name alone when no type was given. */
export function referrerText(r: Pick<ReferrerRow, 'referrer' | 'type'>): string {
  return r.type ? `${r.referrer}（${referrerTypeLabel(r.type)}）` : r.referrer;
}
