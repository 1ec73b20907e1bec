// The 载体库 in the database: importing a 载体汇总表 (upsert by name), listing, an admin's update of area,
// area used and tenants (audited), the carrier a lead landed in, and the year's progress against targets.
import type { Db, Prisma, Tx } from '../../platform/db/client.ts';
import type { OfficeConfig } from '../../office/config.ts';
import type { TableRow } from '../../platform/imports/table.ts';
import { readTable } from '../../platform/imports/table.ts';
import {
  carrierProgress, inferChains, matchCarriers, parseCarrierRows, type CarrierLike, type CarrierMatch, type CarrierProgress, type LeadNeed, type ParsedCarrier,
} from './carrier.ts';
import { formatNumber } from '../leads/format.ts';
import { md } from '../../platform/cards/template.ts';

type DbOrTx = Db | Tx;
export type CarrierRow = Prisma.CarrierModel;

/** A stored carrier with its JSON lists read. */
export interface Carrier extends CarrierLike {
  buildMode: string | null;
  direction: string | null;
  level: string | null;
  areaSqm: number | null;
  usedSqm: number | null;
  tenants: string[];
  year: number | null;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function toCarrier(r: CarrierRow): Carrier {
  return {
    id: r.id,
    name: r.name,
    town: r.town,
    buildMode: r.buildMode,
    direction: r.direction,
    level: r.level,
    areaSqm: r.areaSqm,
    usedSqm: r.usedSqm,
    tenants: strings(r.tenants),
    chains: strings(r.chains),
    year: r.year,
  };
}

/** Every carrier, by town then id (the order of the 汇总表). */
export async function listCarriers(db: DbOrTx): Promise<Carrier[]> {
  return (await db.carrier.findMany({ orderBy: [{ id: 'asc' }] })).map(toCarrier);
}

export async function findCarrier(db: DbOrTx, id: number): Promise<Carrier | undefined> {
  const r = await db.carrier.findUnique({ where: { id } });
  return r ? toCarrier(r) : undefined;
}

const key = (s: string) => s.normalize('NFKC').replace(/\s+/g, '');

/** A carrier by its name, typed loosely (width and spaces ignored); a unique prefix or substring also finds it. */
export async function findCarrierByName(db: DbOrTx, typed: string): Promise<{ carrier?: Carrier; candidates: Carrier[] }> {
  const all = await listCarriers(db);
  const k = key(typed);
  const exact = all.find((c) => key(c.name) === k);
  if (exact) return { carrier: exact, candidates: [] };
  const partial = all.filter((c) => key(c.name).includes(k));
  return partial.length === 1 ? { carrier: partial[0], candidates: [] } : { candidates: partial };
}

export type CarrierImportResult =
  | { ok: true; year: number; carriers: ParsedCarrier[]; created: number; updated: number; warnings: string[] }
  | { ok: false; errors: string[] };

/**
 * Imports a 载体汇总表: each row creates the carrier or updates the one of that name (a cell left blank keeps
 * what is stored); carriers not in the file stay. Chains not given are inferred (inferChains). Records
 * AuditEvent 'carrier_import'. Any error in the file refuses the whole file.
 */
export async function importCarrierTable(
  db: Db,
  office: OfficeConfig,
  input: { filename: string; year: number; actorId: string; now: Date } & ({ buffer: Uint8Array } | { rows: TableRow[] }),
): Promise<CarrierImportResult> {
  let rows: TableRow[];
  if ('rows' in input) rows = input.rows;
  else {
    const table = await readTable(input.buffer, input.filename);
    if (!table.ok) return table;
    rows = table.rows;
  }
  const parsed = parseCarrierRows(rows, office);
  if (!parsed.ok) return parsed;
  const { year } = input;
  return db.$transaction(async (tx) => {
    const existing = new Map((await tx.carrier.findMany()).map((c) => [key(c.name), c]));
    let created = 0;
    let updated = 0;
    for (const p of parsed.carriers) {
      const data = {
        town: p.town,
        year,
        ...(p.buildMode ? { buildMode: p.buildMode } : {}),
        ...(p.direction ? { direction: p.direction, level: p.level ?? null } : {}),
        ...(p.areaSqm !== undefined ? { areaSqm: p.areaSqm } : {}),
        ...(p.usedSqm !== undefined ? { usedSqm: p.usedSqm } : {}),
        ...(p.tenants ? { tenants: p.tenants } : {}),
        chains: p.chains ?? inferChains(office, p),
      };
      const old = existing.get(key(p.name));
      if (old) {
        await tx.carrier.update({ where: { id: old.id }, data });
        updated++;
      } else {
        await tx.carrier.create({ data: { name: p.name, ...data } });
        created++;
      }
    }
    await tx.auditEvent.create({
      data: { actorId: input.actorId, action: 'carrier_import', data: { year, file: input.filename, count: parsed.carriers.length, created, updated }, createdAt: input.now },
    });
    return { ok: true as const, year, carriers: parsed.carriers, created, updated, warnings: parsed.warnings };
  });
}

export interface CarrierUpdate {
  areaSqm?: number;
  usedSqm?: number;
  /** Replaces the tenant list. */
  tenants?: string[];
}

/** An admin's update of one carrier (area, area used, tenants), with AuditEvent 'carrier_update' (before → after). */
export async function updateCarrier(tx: Tx, input: { id: number; update: CarrierUpdate; actorId: string; now: Date }): Promise<Carrier> {
  const before = await tx.carrier.findUniqueOrThrow({ where: { id: input.id } });
  const { update } = input;
  const row = await tx.carrier.update({
    where: { id: input.id },
    data: {
      ...(update.areaSqm !== undefined ? { areaSqm: update.areaSqm } : {}),
      ...(update.usedSqm !== undefined ? { usedSqm: update.usedSqm } : {}),
      ...(update.tenants !== undefined ? { tenants: update.tenants } : {}),
    },
  });
  const b = toCarrier(before);
  await tx.auditEvent.create({
    data: {
      actorId: input.actorId,
      action: 'carrier_update',
      role: 'admin',
      data: {
        carrierId: row.id,
        name: row.name,
        before: { areaSqm: b.areaSqm, usedSqm: b.usedSqm, tenants: b.tenants },
        after: { areaSqm: row.areaSqm, usedSqm: row.usedSqm, tenants: strings(row.tenants) },
      },
      createdAt: input.now,
    },
  });
  return toCarrier(row);
}

/** Adds a company to a carrier's tenants when a lead lands there (no duplicate names). */
export async function addTenant(tx: Tx, carrierId: number, company: string): Promise<void> {
  const c = await tx.carrier.findUnique({ where: { id: carrierId } });
  if (!c) return;
  const tenants = strings(c.tenants);
  if (tenants.some((t) => key(t) === key(company))) return;
  await tx.carrier.update({ where: { id: carrierId }, data: { tenants: [...tenants, company] } });
}

/** The year's carriers against the office's targets. */
export async function loadCarrierProgress(db: DbOrTx, office: OfficeConfig, year: number): Promise<CarrierProgress | undefined> {
  const rows = await db.carrier.findMany({ where: { year }, select: { areaSqm: true, usedSqm: true, direction: true } });
  if (rows.length === 0) return undefined;
  return carrierProgress(year, rows, office.carriers);
}

/** What a lead needs from a carrier: its chain, town and 需求面积 (details.space_sqm). */
export function leadNeed(lead: { industry?: string | null; town: string; details?: unknown }): LeadNeed {
  const details = lead.details && typeof lead.details === 'object' ? (lead.details as Record<string, unknown>) : {};
  const space = typeof details.space_sqm === 'number' && details.space_sqm > 0 ? details.space_sqm : undefined;
  return { industry: lead.industry ?? null, town: lead.town, ...(space !== undefined ? { spaceSqm: space } : {}) };
}

/** The carriers a lead fits, best first (matchCarriers over every stored carrier). */
export async function carriersForLead(db: DbOrTx, lead: { industry?: string | null; town: string; details?: unknown }, limit = 5): Promise<Array<CarrierMatch<Carrier>>> {
  const need = leadNeed(lead);
  if (!need.industry) return [];
  return matchCarriers(await listCarriers(db), need, limit);
}

/**
 * The 载体 lines of a lead's card: where it landed (the carrier chosen at 落地), else the carriers it fits,
 * or undefined when there is nothing to say (no carriers imported, or no chain to match on).
 */
export async function leadCarrierLines(db: DbOrTx, lead: { carrierId?: number | null; industry?: string | null; town: string; details?: unknown }): Promise<string[] | undefined> {
  if (lead.carrierId) {
    const c = await findCarrier(db, lead.carrierId);
    if (c) return [`**落地载体**：${md(c.name)}（${md(c.town)}）`];
  }
  const need = leadNeed(lead);
  if (!need.industry || (await db.carrier.count()) === 0) return undefined;
  const matches = await carriersForLead(db, lead, 3);
  const space = need.spaceSqm ? `、需求面积 ${formatNumber(need.spaceSqm)}㎡` : '';
  if (matches.length === 0) return [`**匹配载体**：暂无服务「${md(need.industry)}」${space ? '且空余面积足够' : ''}的载体`];
  return [`**匹配载体**（按产业链「${md(need.industry)}」${space}）`, ...matches.map((m) => `- ${md(m.carrier.name)}（${md(m.carrier.town)}）：${m.reasons.slice(1).join('，') || '面积未填'}`)];
}
