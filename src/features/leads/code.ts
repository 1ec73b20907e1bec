// Lead codes: KZ-<year>-<sequence>, the sequence zero-padded to four digits (KZ-2026-0001).

export interface LeadCodeParts {
  year: number;
  seq: number;
}

export function formatLeadCode(year: number, seq: number): string {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`lead code year out of range: ${year}`);
  if (!Number.isInteger(seq) || seq < 1) throw new RangeError(`lead code sequence must be a positive integer: ${seq}`);
  return `KZ-${year}-${String(seq).padStart(4, '0')}`;
}

/**
 * Reads a code as a user may type it: `KZ-2026-0001`, `kz-2026-1`, `KZ 2026 0001`, `KZ20260001`,
 * full-width characters included. Returns undefined for anything else (including sequence 0).
 */
export function parseLeadCode(input: string): LeadCodeParts | undefined {
  const t = input.normalize('NFKC').trim();
  const m = /^KZ[\s_-]*(\d{4})[\s_-]*(\d{1,6})$/i.exec(t);
  if (!m) return undefined;
  const year = Number(m[1]);
  const seq = Number(m[2]);
  if (year < 1000 || seq < 1) return undefined;
  return { year, seq };
}

/**
 * As parseLeadCode, and also the shorter forms people type: the number alone (`0001`, `12` → `year`'s
 * lead) and the year with the number (`2026-0001`, `2026 1`).
 */
export function parseLeadCodeIn(input: string, year: number): LeadCodeParts | undefined {
  const full = parseLeadCode(input);
  if (full) return full;
  const t = input.normalize('NFKC').trim().replace(/^(?:编号|号)[:：]?\s*/, '').replace(/号$/, '');
  const withYear = /^(\d{4})[\s_-]+(\d{1,6})$/.exec(t);
  if (withYear) return Number(withYear[2]) >= 1 ? { year: Number(withYear[1]), seq: Number(withYear[2]) } : undefined;
  if (/^\d{1,6}$/.test(t) && Number(t) >= 1) return { year, seq: Number(t) };
  return undefined;
}
