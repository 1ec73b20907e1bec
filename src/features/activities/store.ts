// The 活动安排表 in the database: each year's activities, and importing a table that replaces a year.
import type { Db, Prisma, Tx } from '../../platform/db/client.ts';
import type { TableRow } from '../../platform/imports/table.ts';
import type { ActivityLeadCount, ActivityRecordInput } from './record.ts';
import { activityNameKey, matchActivityRows, parseActivityRows, parseActivityTable, type ParsedActivity } from './activity.ts';

type DbOrTx = Db | Tx;

/** Leads that name an activity as their source (登记 form, 来源活动): all, approved, signed (签约 or later). */
export type ActivityLeadCounts = ReadonlyMap<number, ActivityLeadCount>;

export async function leadsPerActivity(db: DbOrTx, activityIds: number[]): Promise<ActivityLeadCounts> {
  const rows = await db.lead.groupBy({ by: ['activityId', 'status', 'stage'], where: { activityId: { in: activityIds } }, _count: { _all: true } });
  const counts = new Map<number, ActivityLeadCount>();
  for (const r of rows) {
    if (r.activityId === null) continue;
    const c = counts.get(r.activityId) ?? { leads: 0, approved: 0, signed: 0 };
    c.leads += r._count._all;
    if (r.status === 'approved') c.approved += r._count._all;
    if (r.status === 'approved' && r.stage) c.signed += r._count._all;
    counts.set(r.activityId, c);
  }
  return counts;
}


export type ActivityRow = Prisma.ActivityModel;

export async function activitiesOf(db: DbOrTx, year: number): Promise<ActivityRow[]> {
  return db.activity.findMany({ where: { year }, orderBy: { seq: 'asc' } });
}

/** Activities with a date, of the given years. */
export async function datedActivities(db: DbOrTx, years: number[]): Promise<ActivityRow[]> {
  return db.activity.findMany({ where: { year: { in: years }, date: { not: null } }, orderBy: [{ date: 'asc' }, { seq: 'asc' }] });
}

export type ActivityImportResult =
  | {
      ok: true;
      year: number;
      activities: ParsedActivity[];
      created: number;
      updated: number;
      /** Rows of that year no longer in the file, deleted. */
      removed: number;
      /** 序号 of the rows no longer in the file but kept because leads name them as their source. */
      kept: number[];
      warnings: string[];
    }
  | { ok: false; errors: string[] };

/**
 * Imports a 活动安排表 for one year, replacing that year's calendar. Rows are matched to the stored activities
 * by name, then by 序号 (matchActivityRows), and updated in place, so ids stay and leads keep their source
 * activity even when the table is renumbered; stored activities missing from the file are deleted unless a
 * lead names them (those are kept, moved after the last row when the new table uses their 序号). Records
 * AuditEvent 'activity_import'. Any error in the file refuses the whole file.
 */
export async function importActivityTable(
  db: Db,
  input: { filename: string; year: number; actorId: string; now: Date } & ({ buffer: Uint8Array } | { rows: TableRow[] }),
): Promise<ActivityImportResult> {
  // Rows already read (by the chat upload, in a worker) are not read again.
  const parsed = 'rows' in input ? parseActivityRows(input.rows, input.year) : await parseActivityTable(input.buffer, input.filename, input.year);
  if (!parsed.ok) return parsed;
  const { year } = input;
  return db.$transaction(async (tx) => {
    const existing = await tx.activity.findMany({ where: { year }, orderBy: { seq: 'asc' } });
    const matches = matchActivityRows(existing, parsed.activities);
    const matchedIds = new Set(matches.flatMap((m) => (m ? [m.id] : [])));
    const gone = existing.filter((a) => !matchedIds.has(a.id));
    const referenced = gone.length
      ? new Set((await tx.lead.findMany({ where: { activityId: { in: gone.map((a) => a.id) } }, select: { activityId: true } })).map((l) => l.activityId))
      : new Set<number | null>();
    const keptRows = gone.filter((a) => referenced.has(a.id));
    const removable = gone.filter((a) => !referenced.has(a.id)).map((a) => a.id);
    if (removable.length) await tx.activity.deleteMany({ where: { id: { in: removable } } });

    // Where each stored activity ends up: its row's 序号, or (kept) its own unless the new table uses it.
    const fileSeqs = new Set(parsed.activities.map((a) => a.seq));
    let after = Math.max(0, ...fileSeqs, ...keptRows.map((a) => a.seq));
    const keptSeq = new Map(keptRows.map((a) => [a.id, fileSeqs.has(a.seq) ? ++after : a.seq]));
    const finalSeq = new Map<number, number>(keptSeq);
    matches.forEach((m, i) => m && finalSeq.set(m.id, parsed.activities[i].seq));
    // Those changing 序号 step aside first (to -id), so no two rows ever hold the same (year, 序号).
    for (const a of existing) {
      const to = finalSeq.get(a.id);
      if (to !== undefined && to !== a.seq) await tx.activity.update({ where: { id: a.id }, data: { seq: -a.id } });
    }
    let created = 0;
    let updated = 0;
    for (const [i, a] of parsed.activities.entries()) {
      const data = {
        seq: a.seq,
        name: a.name,
        timeText: a.timeText,
        month: a.month ?? null,
        date: a.date ?? null,
        allYear: a.allYear,
        organizer: a.organizer ?? null,
        budgetWan: a.budgetWan ?? null,
      };
      const old = matches[i];
      if (old) {
        await tx.activity.update({ where: { id: old.id }, data });
        updated++;
      } else {
        await tx.activity.create({ data: { year, ...data } });
        created++;
      }
    }
    for (const a of keptRows) {
      const to = keptSeq.get(a.id)!;
      if (to !== a.seq) await tx.activity.update({ where: { id: a.id }, data: { seq: to } });
    }
    const kept = keptRows.map((a) => keptSeq.get(a.id)!);
    // Matched by 序号 alone: taken as renamed. Say so when leads name it, in case it is another activity.
    const renamed = parsed.activities.flatMap((a, i) => {
      const old = matches[i];
      return old && activityNameKey(old.name) !== activityNameKey(a.name) ? [{ old, name: a.name }] : [];
    });
    const renamedLeads = new Map<number, number>();
    if (renamed.length) {
      const named = await tx.lead.findMany({ where: { activityId: { in: renamed.map((r) => r.old.id) } }, select: { activityId: true } });
      for (const l of named) renamedLeads.set(l.activityId!, (renamedLeads.get(l.activityId!) ?? 0) + 1);
    }
    await tx.auditEvent.create({
      data: {
        actorId: input.actorId,
        action: 'activity_import',
        data: { year, file: input.filename, count: parsed.activities.length, created, updated, removed: removable.length },
        createdAt: input.now,
      },
    });
    const warnings = [
      ...parsed.warnings,
      ...keptRows.map((a) => {
        const to = keptSeq.get(a.id)!;
        return `「${a.name}」（原序号 ${a.seq}）不在新表中，但已有项目将其作为来源活动，未删除${to !== a.seq ? `，现排在序号 ${to}` : ''}`;
      }),
      ...renamed.filter((r) => renamedLeads.has(r.old.id)).map((r) =>
        `序号 ${r.old.seq} 的「${r.old.name}」已改名为「${r.name}」（按同一活动处理，${renamedLeads.get(r.old.id)} 个项目以其为来源活动）`),
    ];
    return { ok: true as const, year, activities: parsed.activities, created, updated, removed: removable.length, kept, warnings };
  });
}

/**
 * Saves an admin's record of an activity (举办情况) and AuditEvent 'activity_record', in one transaction.
 * Returns the updated row, or undefined when the activity is gone.
 */
export async function saveActivityRecord(
  db: Db,
  input: { activityId: number; record: ActivityRecordInput; actorId: string; now: Date },
): Promise<ActivityRow | undefined> {
  const { record } = input;
  return db.$transaction(async (tx) => {
    const res = await tx.activity.updateMany({
      where: { id: input.activityId },
      data: { ...record, recordedBy: input.actorId, recordedAt: input.now },
    });
    if (res.count !== 1) return undefined;
    const row = await tx.activity.findUnique({ where: { id: input.activityId } });
    await tx.auditEvent.create({
      data: {
        actorId: input.actorId,
        action: 'activity_record',
        role: 'admin',
        data: {
          activityId: input.activityId, year: row!.year, seq: row!.seq, held: record.held,
          heldOn: record.heldOn ? record.heldOn.toISOString().slice(0, 10) : null, attendance: record.attendance, costWan: record.costWan,
        },
        createdAt: input.now,
      },
    });
    return row ?? undefined;
  });
}
