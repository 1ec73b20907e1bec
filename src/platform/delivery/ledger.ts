// The run ledger: one JobRun row per (job, period, target) — e.g. ('weekly-digest', '2026-W48', chat id).
// A row is written BEFORE the message is queued, in the same transaction, so a restart or a second
// process never sends the same thing twice. `force` (npm run job -- … --force) bypasses it.
import { createHash, randomUUID } from 'node:crypto';
import { TX_OPTIONS, type Db, type Tx } from '../db/client.ts';
import { enqueue, enqueueDeferred, type DeferredCard } from './outbox.ts';
import { bulkChunk, bulkRows } from '../db/bulk.ts';
import type { OutgoingMessage } from '../lark/types.ts';

/**
 * Records (job, period, target) inside `tx`; returns false when it was already recorded, in which case
 * the caller must not send. With `force` the row is kept but the send goes ahead.
 */
export async function claimRun(tx: Db | Tx, job: string, period: string, target: string, force = false): Promise<boolean> {
  // ON CONFLICT DO NOTHING rather than catching a unique violation: on PostgreSQL a failed statement
  // would abort the surrounding transaction.
  const inserted = await tx.$executeRaw`INSERT INTO "JobRun" ("job", "period", "target", "status") VALUES (${job}, ${period}, ${target}, 'done') ON CONFLICT DO NOTHING`;
  return inserted === 1 || force;
}

/** Whether (job, period, target) is in the ledger. */
export async function hasRun(db: Db | Tx, job: string, period: string, target: string): Promise<boolean> {
  return (await db.jobRun.count({ where: { job, period, target } })) > 0;
}


/** One ledger entry of a job: (period, target). */
export interface LedgerKey {
  period: string;
  target: string;
}

/**
 * Lark's de-duplication key of the message about some ledger entries of `job`: the same entries always give
 * the same key (at most 50 characters), so Lark drops a repeat; a forced re-send gets a fresh random one.
 */
export function ledgerUuid(job: string, keys: readonly LedgerKey[], force: boolean): string {
  if (force) return randomUUID();
  const text = keys.map((k) => `${job}\u0000${k.period}\u0000${k.target}`).join('\n');
  return `run-${createHash('sha256').update(text).digest('hex').slice(0, 40)}`;
}

export interface QueueOnce<T> {
  job: string;
  force: boolean;
  /** What the message may carry, each with its ledger entry. */
  items: ReadonlyArray<LedgerKey & { item: T }>;
  /** The message (its uuid is set here) built from the items whose entry was new; may write rows through `tx`. */
  message: (fresh: T[], tx: Tx) => Omit<OutgoingMessage, 'uuid'> | Promise<Omit<OutgoingMessage, 'uuid'>>;
}

/**
 * Claim the ledger, then queue the message, in ONE transaction: every entry of `items` is recorded, and the
 * message is built from the items whose entry was new and queued with them, so a restart, a catch-up run or
 * a second process never sends it twice. Returns false (nothing queued) when every entry was already there.
 * With `force` the entries count as new and the message gets a fresh uuid.
 */
export async function queueOnce<T>(db: Db, q: QueueOnce<T>): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const fresh: Array<LedgerKey & { item: T }> = [];
    for (const entry of q.items) if (await claimRun(tx, q.job, entry.period, entry.target, q.force)) fresh.push(entry);
    if (fresh.length === 0) return false;
    const message = await q.message(fresh.map((f) => f.item), tx);
    await enqueue(tx, [{ ...message, uuid: ledgerUuid(q.job, fresh, q.force) }]);
    return true;
  }, TX_OPTIONS);
}

/**
 * claimRun for many targets of one (job, period) in one statement per bulkChunk: the targets whose entry
 * was new (all of them with `force`).
 */
export async function claimRuns(tx: Db | Tx, job: string, period: string, targets: readonly string[], force = false): Promise<Set<string>> {
  const fresh = new Set<string>();
  const chunkSize = bulkChunk(1);
  for (let i = 0; i < targets.length; i += chunkSize) {
    const chunk = targets.slice(i, i + chunkSize);
    const rows = await tx.$queryRaw<Array<{ target: string }>>`INSERT INTO "JobRun" ("target", "job", "period", "status")
      SELECT r.*, ${job}, ${period}, 'done' FROM (${bulkRows(tx, ['text'], chunk.map((t) => [t]))}) AS r WHERE true ON CONFLICT DO NOTHING RETURNING "target"`;
    for (const r of force ? chunk.map((target) => ({ target })) : rows) fresh.add(r.target);
  }
  return fresh;
}

export interface QueueEach<T> {
  job: string;
  force: boolean;
  period: string;
  /** One message per item, each with its own ledger target. */
  items: ReadonlyArray<{ target: string; item: T }>;
  /**
   * The messages (uuids are set here) of the items whose entry was new, in their order; may write rows through
   * `tx`. A card with `render` is queued without its content (enqueueDeferred), to be made when it is sent.
   */
  messages: (fresh: T[], tx: Tx) => Promise<Array<Omit<OutgoingMessage, 'uuid'> | Omit<DeferredCard, 'uuid'>>>;
}

/**
 * queueOnce for many independent messages (one per item, e.g. one 一月一报 per project): ONE transaction for
 * the lot, the ledger claimed in a statement or two and the messages written together, instead of a
 * transaction per message. Pass batches of up to a few thousand. Returns how many were queued and how many skipped.
 */
export async function queueEach<T>(db: Db, q: QueueEach<T>): Promise<{ queued: number; skipped: number }> {
  if (q.items.length === 0) return { queued: 0, skipped: 0 };
  if (new Set(q.items.map((i) => i.target)).size !== q.items.length) throw new Error(`queueEach ${q.job}: a target given twice`);
  return db.$transaction(async (tx) => {
    const fresh = await claimRuns(tx, q.job, q.period, q.items.map((i) => i.target), q.force);
    const items = q.items.filter((i) => fresh.has(i.target));
    if (items.length === 0) return { queued: 0, skipped: q.items.length };
    const messages = await q.messages(items.map((i) => i.item), tx);
    if (messages.length !== items.length) throw new Error(`queueEach ${q.job}: ${messages.length} messages for ${items.length} items`);
    const ready: OutgoingMessage[] = [];
    const deferred: DeferredCard[] = [];
    messages.forEach((m, k) => {
      const uuid = ledgerUuid(q.job, [{ period: q.period, target: items[k].target }], q.force);
      if ('render' in m) deferred.push({ ...m, uuid });
      else ready.push({ ...m, uuid });
    });
    if (ready.length > 0) await enqueue(tx, ready);
    if (deferred.length > 0) await enqueueDeferred(tx, deferred);
    return { queued: items.length, skipped: q.items.length - items.length };
  }, TX_OPTIONS);
}

