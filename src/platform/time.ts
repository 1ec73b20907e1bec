// Wall-clock time in the office's time zone (BOT_TIMEZONE), with Intl only.

export interface LocalParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock date and time of an instant in an IANA time zone. */
export function localParts(instant: Date, tz: string): LocalParts {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(instant)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute, second: parts.second };
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** The local calendar date of an instant: "2026-11-28". */
export function localDate(instant: Date, tz: string): string {
  const p = localParts(instant, tz);
  return `${p.year}-${pad2(p.month)}-${pad2(p.day)}`;
}

/** The local date and time of an instant, to the minute: "2026-11-28 09:17". */
export function localDateTime(instant: Date, tz: string): string {
  const p = localParts(instant, tz);
  return `${p.year}-${pad2(p.month)}-${pad2(p.day)} ${pad2(p.hour)}:${pad2(p.minute)}`;
}

/** The local month of an instant: "2026-11". */
export function localMonth(instant: Date, tz: string): string {
  const p = localParts(instant, tz);
  return `${p.year}-${pad2(p.month)}`;
}

/**
 * localMonth for many instants (a job reading thousands of leads): "YYYY-MM" in `tz`, from the month's first
 * instant, computed once per month and time zone, instead of formatting each instant. A local month differs
 * from the UTC one by at most one (offsets are within ±14 hours).
 */
export function monthReader(tz: string): (instant: Date) => string {
  const starts = new Map<number, number>(); // year * 12 + month - 1 → the month's first instant in tz
  const startOf = (index: number): number => {
    let t = starts.get(index);
    if (t === undefined) starts.set(index, (t = zonedInstant(Math.floor(index / 12), (index % 12) + 1, 1, tz).getTime()));
    return t;
  };
  return (instant) => {
    const t = instant.getTime();
    let index = instant.getUTCFullYear() * 12 + instant.getUTCMonth();
    if (t < startOf(index)) index--;
    else if (t >= startOf(index + 1)) index++;
    return `${Math.floor(index / 12)}-${pad2((index % 12) + 1)}`;
  };
}

/** The instant a wall-clock time in `tz` names (the later one if the clock jumped over it). */
export function zonedInstant(year: number, month: number, day: number, tz: string, hour = 0, minute = 0): Date {
  const wanted = Date.UTC(year, month - 1, day, hour, minute);
  let t = wanted;
  for (let i = 0; i < 3; i++) {
    const p = localParts(new Date(t), tz);
    const diff = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - wanted;
    if (diff === 0) break;
    t -= diff;
  }
  return new Date(t);
}

/** The month `delta` months from year/month (month 1–12). */
export function addMonths(year: number, month: number, delta: number): { year: number; month: number } {
  const index = year * 12 + (month - 1) + delta;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

/** The UTC calendar day of `d`, YYYY-MM-DD (stored dates are UTC midnights). */
export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}
