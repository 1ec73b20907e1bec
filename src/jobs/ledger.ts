// The run ledger: one JobRun row per (job, period, target) — e.g. ('weekly-digest', '2026-W48', chat id).
// A row is written BEFORE the message is queued, in the same transaction, so a restart or a second
// process never sends the same thing twice. `force` (npm run job -- … --force) bypasses it.
import type { Db, Tx } from '../db/client.ts';
import type { Services } from '../bot/services.ts';

export const JOB_NAMES = ['weekly-digest', 'bimonthly-digest', 'monthly-report', 'quota-alerts', 'reminders', 'follow-ups', 'activity-reminders', 'housekeeping'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface JobContext {
  services: Services;
  /** The moment the run is "as of" (schedulers pass the scheduled time; `--at` sets it). */
  now: Date;
  /** Ignore the ledger (operators re-sending on purpose). */
  force: boolean;
}

export interface JobResult {
  /** Messages queued by this run. */
  sent: number;
  /** Targets skipped because the ledger already had them. */
  skipped: number;
  /** One plain line for logs and `npm run job`. */
  summary: string;
}

export interface JobDef {
  name: JobName;
  run(ctx: JobContext): Promise<JobResult>;
}

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
