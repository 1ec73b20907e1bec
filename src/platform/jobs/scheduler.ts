// Runs the jobs on office.schedules (node-cron, in BOT_TIMEZONE), and on start catches up the runs missed
// while the service was down. Exactly once across restarts and processes:
// - every run holds database.withLock(`job:<name>`) (a PostgreSQL advisory lock), so two processes never
//   run the same job at the same moment; the one that finds it held skips the run ("busy");
// - each job records (job, period, target) in the run ledger in the transaction that queues the message,
//   so a later run of the same period (the other process, a restart, a catch-up) sends nothing.
// The timers are unref'd: the scheduler never keeps the process alive, and stop() waits for a running job.
import { createTask, type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import type { Services } from '../bot/services.ts';
import type { OfficeConfig } from '../../office/config.ts';
import type { Database } from '../db/client.ts';

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

  // One node-cron task per scheduled job; also used to match times for the catch-up.
  const tasks = new Map<JobName, ScheduledTask>();
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
        const result = await runLocked(database, job, services, now, runOpts.force ?? false);
        if (!result) {
          log.info(`job ${name} as of ${now.toISOString()}: running elsewhere, skipped`);
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

  function lastScheduled(name: JobName, now: Date, windowMs: number): Date | undefined {
    const task = tasks.get(name);
    if (!task) return undefined;
    const limit = now.getTime() - windowMs;
    for (let t = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS; t >= limit; t -= MINUTE_MS) {
      const at = new Date(t);
      if (task.match(at)) return at;
    }
    return undefined;
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
      if (opts.cron !== false) for (const task of tasks.values()) await task.start();
      return track(catchUp(services.clock()));
    },
    async stop() {
      stopped = true;
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
