// Runs the jobs on office.schedules (node-cron, in BOT_TIMEZONE), and on start catches up the runs missed
// while the service was down. Exactly once across restarts and processes:
// - every run holds database.withLock(`job:<name>`) (a PostgreSQL advisory lock), so two processes never
//   run the same job at the same moment; the one that finds it held skips the run ("busy");
// - each job records (job, period, target) in the run ledger in the transaction that queues the message,
//   so a later run of the same period (the other process, a restart, a catch-up) sends nothing;
// - a finished run is marked in the ledger (`run:<job>`, its time, '*'); a process turned away keeps trying
//   the lock (every TAKEOVER_POLL_MS) until that mark appears, so when the holder dies mid-run (its advisory
//   lock goes with its connection) another replica finishes the run.
// The timers are unref'd: the scheduler never keeps the process alive, and stop() waits for a running job.
import { createTask, type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import type { Services } from '../bot/services.ts';
import type { OfficeConfig } from '../../office/config.ts';
import type { Database } from '../db/client.ts';
import { claimRun, hasRun } from '../delivery/ledger.ts';

// What a job is: its name, its context and what one run reports (the ledger only records the runs).
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

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** How far ahead the scheduler looks for the next due job (6 h: a few thousand matches, a few ms). */
const ARM_HORIZON_MS = 6 * 3_600_000;
/** How often a process turned away from a running job checks whether the holder finished or died. */
export const TAKEOVER_POLL_MS = 1_000;
/** A holder still running after this long is left to finish on its own. */
const TAKEOVER_MAX_MS = 30 * MINUTE_MS;

export type JobOutcome =
  | { job: JobName; at: Date; status: 'done'; result: JobResult }
  /** Another process (or another run in this one) was running the job: nothing was done. */
  | { job: JobName; at: Date; status: 'busy' }
  | { job: JobName; at: Date; status: 'failed'; error: string };

/**
 * Jobs run again on start, as of their last scheduled time within office.digests.missedRunDays: a run missed
 * while the service was down is made up once (each keys its ledger by the period of that time, so a run
 * that did happen is not repeated). Not reminders (hourly, and it re-reminds anyway) nor housekeeping.
 */
export const CATCH_UP_JOBS: readonly JobName[] = ['weekly-digest', 'bimonthly-digest', 'monthly-report', 'quota-alerts', 'follow-ups', 'activity-reminders'];

export interface SchedulerOptions {
  services: Services;
  database: Database;
  jobs: readonly JobDef[];
  office: OfficeConfig;
  /** IANA time zone the cron expressions are read in (BOT_TIMEZONE). */
  timezone: string;
  /** Jobs caught up on start; default: CATCH_UP_JOBS (the digests, quota-alerts, follow-ups, activity-reminders). */
  catchUpJobs?: readonly JobName[];
  /**
   * Arm the cron timers (default true). They follow the real clock: an app running on a simulated clock
   * (tests) leaves them off and still catches up on start as of its clock.
   */
  cron?: boolean;
}

export interface Scheduler {
  /** Arms the timers, then catches up as of services.clock(); resolves when the catch-up is done. */
  start(): Promise<JobOutcome[]>;
  /** Disarms the timers and waits for the runs in progress. */
  stop(): Promise<void>;
  /** Runs, as of its last scheduled time, every catch-up job whose schedule fell within missedRunDays before `now`. */
  catchUp(now: Date): Promise<JobOutcome[]>;
  /** Runs one job as of `now` under its lock. */
  run(name: JobName, now: Date, opts?: { force?: boolean }): Promise<JobOutcome>;
  /** The most recent time `name` was scheduled at or before `now`, within `windowMs`. */
  lastScheduled(name: JobName, now: Date, windowMs: number): Date | undefined;
  /** Resolves when no run is in progress. */
  idle(): Promise<void>;
}

/** Runs one job while holding its cross-process lock; undefined when someone else holds it. */
export function runLocked(database: Database, job: JobDef, services: Services, now: Date, force = false): Promise<JobResult | undefined> {
  return database.withLock(`job:${job.name}`, () => job.run({ services, now, force }));
}

/** runLocked for the scheduler: a finished run is also marked in the ledger, for the replicas that wait on it. */
function runLockedAndMark(database: Database, job: JobDef, services: Services, now: Date, force: boolean): Promise<JobResult | undefined> {
  return database.withLock(`job:${job.name}`, async () => {
    const result = await job.run({ services, now, force });
    await markFinished(services, job.name, now);
    return result;
  });
}

/** The ledger entry saying the run of `name` as of `now` finished (one per run time). */
function finishedKey(name: JobName, now: Date): [string, string, string] {
  return [`run:${name}`, now.toISOString(), '*'];
}

async function markFinished(services: Services, name: JobName, now: Date): Promise<void> {
  try {
    await claimRun(services.db, ...finishedKey(name, now));
  } catch (err) {
    services.log.warn({ err, job: name }, 'job: could not mark the run finished');
  }
}

/**
 * The minutes of the hour (0–59) at which a cron expression can fire, read from its minute field (`*`, `5`,
 * `1,31`, `0-30`, steps such as `10-50/20` or every 15th); all 60 when the field is anything else. node-cron's match formats
 * the time in the zone (Intl) on every call: scanning days minute by minute cost seconds of CPU at start
 * (a profile under load: 13 % of it). Only minutes that can match are handed to it.
 */
export function minutesOf(expression: string): ReadonlySet<number> {
  const all = new Set(Array.from({ length: 60 }, (_, i) => i));
  const fields = expression.trim().split(/\s+/);
  const field = fields.length === 6 ? fields[1] : fields.length === 5 ? fields[0] : undefined;
  if (field === undefined) return all;
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|(\d{1,2})(?:-(\d{1,2}))?)(?:\/(\d{1,2}))?$/.exec(part);
    if (!m) return all;
    const from = m[1] === '*' ? 0 : Number(m[2]);
    const to = m[1] === '*' ? 59 : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? 59 : from;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (from > 59 || to > 59 || from > to || step < 1) return all;
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out.size ? out : all;
}

/** The zone's UTC offset at `at`, in minutes modulo 60 (0 for whole-hour zones, 30 or 45 for the others). */
function offsetMinuteOfHour(at: Date, timezone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hour12: false, minute: '2-digit' }).formatToParts(at);
  const localMinute = Number(parts.find((p) => p.type === 'minute')?.value ?? at.getUTCMinutes());
  return (((localMinute - at.getUTCMinutes()) % 60) + 60) % 60;
}

/**
 * A filter for the minutes between `from` and `to` (ms) worth matching against tasks with these minute
 * sets: a minute whose local minute-of-hour no task names is skipped. When the zone's offset changes by a
 * part of an hour within the range, every minute is worth matching.
 */
export function minuteFilter(sets: readonly ReadonlySet<number>[], from: number, to: number, timezone: string): (t: number) => boolean {
  const a = offsetMinuteOfHour(new Date(from), timezone);
  if (a !== offsetMinuteOfHour(new Date(to), timezone)) return () => true;
  const wanted = new Set<number>();
  for (const s of sets) for (const v of s) wanted.add(v);
  return (t) => wanted.has((Math.floor(t / MINUTE_MS) + a) % 60);
}

export function createScheduler(opts: SchedulerOptions): Scheduler {
  const { services, database, office, timezone } = opts;
  const log = services.log;
  const jobs = new Map(opts.jobs.map((j) => [j.name, j]));
  const catchUpJobs = opts.catchUpJobs ?? CATCH_UP_JOBS;
  const cronLogger: CronLogger = {
    info: (m) => log.debug(`node-cron: ${m}`),
    warn: (m) => log.warn(`node-cron: ${m}`),
    error: (m, err) => log.error({ err: err ?? m }, 'node-cron error'),
    debug: () => {},
  };
  const running = new Set<Promise<unknown>>();
  let stopped = false;

  // One node-cron task per scheduled job: node-cron parses the expression and matches times (in the time
  // zone), for the timer below and for the catch-up. Its own timers are never started: they tick every
  // second per task, also while idle.
  const tasks = new Map<JobName, ScheduledTask>();
  const minuteSets = new Map<JobName, ReadonlySet<number>>();
  for (const job of opts.jobs) {
    const expression = (office.schedules as Record<string, string | undefined>)[job.name];
    if (!expression) {
      log.warn(`scheduler: no schedule for job ${job.name}; it runs only through npm run job`);
      continue;
    }
    const task = createTask(expression, (ctx) => {
      if (stopped) return;
      void run(job.name, ctx.date);
    }, { name: `kezhao:${job.name}`, timezone, noOverlap: true, unref: true, logger: cronLogger, suppressMissedWarning: true });
    tasks.set(job.name, task);
    minuteSets.set(job.name, minutesOf(expression));
  }

  function track<T>(p: Promise<T>): Promise<T> {
    running.add(p);
    void p.finally(() => running.delete(p)).catch(() => {});
    return p;
  }

  function run(name: JobName, now: Date, runOpts: { force?: boolean } = {}): Promise<JobOutcome> {
    const job = jobs.get(name);
    if (!job) return Promise.resolve({ job: name, at: now, status: 'failed', error: `unknown job ${name}` });
    return track((async (): Promise<JobOutcome> => {
      try {
        const result = await runLockedAndMark(database, job, services, now, runOpts.force ?? false);
        if (!result) {
          log.info(`job ${name} as of ${now.toISOString()}: running elsewhere; finishing it here if its holder dies`);
          void track(takeOver(job, now, runOpts.force ?? false));
          return { job: name, at: now, status: 'busy' };
        }
        log.info(`job ${name} as of ${now.toISOString()}: ${result.summary}`);
        return { job: name, at: now, status: 'done', result };
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        log.error({ err, job: name }, `job ${name} as of ${now.toISOString()} failed`);
        return { job: name, at: now, status: 'failed', error };
      }
    })());
  }

  /**
   * Waits for the holder of `job`'s lock: once the lock is free, the run as of `now` is done here unless the
   * ledger says the holder finished it (a holder that died left no mark).
   */
  async function takeOver(job: JobDef, now: Date, force: boolean): Promise<void> {
    const giveUpAt = Date.now() + TAKEOVER_MAX_MS;
    try {
      while (!stopped && Date.now() < giveUpAt) {
        await new Promise((r) => setTimeout(r, TAKEOVER_POLL_MS).unref());
        if (stopped || (await hasRun(services.db, ...finishedKey(job.name, now)))) return;
        const result = await database.withLock(`job:${job.name}`, async () => {
          if (await hasRun(services.db, ...finishedKey(job.name, now))) return 'finished elsewhere';
          const done = await job.run({ services, now, force });
          await markFinished(services, job.name, now);
          return done;
        });
        if (result === undefined) continue; // still held
        if (typeof result !== 'string') log.warn(`job ${job.name} as of ${now.toISOString()}: its holder stopped before finishing; finished here: ${result.summary}`);
        return;
      }
    } catch (err) {
      log.error({ err, job: job.name }, `job ${job.name} as of ${now.toISOString()}: taking over the run failed`);
    }
  }

  function lastScheduled(name: JobName, now: Date, windowMs: number): Date | undefined {
    const task = tasks.get(name);
    if (!task) return undefined;
    const limit = now.getTime() - windowMs;
    const start = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
    const worth = minuteFilter([minuteSets.get(name)!], limit, start, timezone);
    for (let t = start; t >= limit; t -= MINUTE_MS) {
      if (!worth(t)) continue;
      const at = new Date(t);
      if (task.match(at)) return at;
    }
    return undefined;
  }

  // One timer for all jobs, set for the next minute at which one of them is due (looked for up to
  // ARM_HORIZON_MS ahead; with none due by then it wakes there and looks again). Idle costs nothing.
  let timer: NodeJS.Timeout | undefined;
  let lastFired = 0;
  function arm(): void {
    clearTimeout(timer);
    if (stopped || tasks.size === 0) return;
    const from = Math.max(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS + MINUTE_MS, lastFired + MINUTE_MS);
    const horizon = from + ARM_HORIZON_MS;
    let at = horizon;
    const due: JobName[] = [];
    const worth = minuteFilter([...minuteSets.values()], from, horizon, timezone);
    for (let t = from; t < horizon && due.length === 0; t += MINUTE_MS) {
      if (!worth(t)) continue;
      const d = new Date(t);
      for (const [name, task] of tasks) if (task.match(d)) due.push(name);
      if (due.length) at = t;
    }
    timer = setTimeout(() => {
      if (stopped) return;
      lastFired = at;
      for (const name of due) void run(name, new Date(at));
      arm();
    }, Math.max(0, at - Date.now()));
    timer.unref();
  }

  async function catchUp(now: Date): Promise<JobOutcome[]> {
    const windowMs = office.digests.missedRunDays * DAY_MS;
    const outcomes: JobOutcome[] = [];
    if (windowMs <= 0) return outcomes;
    for (const name of catchUpJobs) {
      if (stopped) break;
      const at = lastScheduled(name, now, windowMs);
      if (at) outcomes.push(await run(name, at));
    }
    return outcomes;
  }

  return {
    async start() {
      if (stopped) return [];
      if (opts.cron !== false) arm();
      return track(catchUp(services.clock()));
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      for (const task of tasks.values()) await task.destroy();
      tasks.clear();
      await Promise.allSettled([...running]);

    },
    catchUp: (now) => track(catchUp(now)),
    run,
    lastScheduled,
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
