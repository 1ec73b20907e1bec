// npm run job -- <job> [--at <ISO time>] [--force]
//
// Runs one scheduled job once, as of a given time, against DATABASE_URL (no HTTP server): the job queues
// its messages in the outbox (and the run ledger, so a scheduled run of the same period sends nothing
// again); then, when Lark credentials are set, this process delivers them to LARK_DOMAIN before exiting,
// otherwise they stay queued for the running service. Prints one summary line on stdout.
// Exit codes: 0 done; 1 the job failed, stayed busy in another process, or messages were not delivered;
// 2 bad arguments.
import Fastify from 'fastify';
import { loadConfig, openCliDatabase, parseCli, usageError } from './cli.ts';
import { describeTarget, parseDatabaseUrl } from '../src/platform/db/url.ts';
import { createLarkApi } from '../src/platform/lark/api.ts';
import { createMetrics } from '../src/platform/metrics.ts';
import { createServices } from '../src/platform/bot/services.ts';
import { JOBS, findJob } from '../src/jobs.ts';
import { RENDERERS } from '../src/renderers.ts';
import { runLocked } from '../src/platform/jobs/scheduler.ts';
import { describeError } from '../src/platform/errors.ts';

const USAGE = `usage: npm run job -- <${JOBS.map((j) => j.name).join('|')}> [--at <ISO time>] [--force]`;
/** How long to wait for another process that is running the same job. */
const LOCK_WAIT_MS = 60_000;
/** How long to wait for the queued messages to reach Lark. */
const DELIVERY_LIMIT_MS = 120_000;

interface Args {
  job: string;
  at?: Date;
  force: boolean;
}

function readArgs(argv: string[]): Args {
  const { values, positionals } = parseCli(argv, USAGE, { at: { type: 'string' }, force: { type: 'boolean' } });
  const job = positionals[0];
  if (!job) usageError('which job? name one', USAGE);
  if (!findJob(job)) usageError(`unknown job "${job}"`, USAGE);
  let at: Date | undefined;
  if (values.at !== undefined) {
    const ms = Date.parse(values.at);
    if (!/^\d{4}-\d{2}-\d{2}/.test(values.at) || Number.isNaN(ms)) usageError(`--at: "${values.at}" is not an ISO time such as 2026-11-23T09:17:00+08:00`, USAGE);
    at = new Date(ms);
  }
  return { job, at, force: values.force === true };
}

async function main(): Promise<number> {
  const args = readArgs(process.argv.slice(2));
  const { env, office } = loadConfig();
  const job = findJob(args.job)!;
  const now = args.at ?? new Date();

  // The service's logger, without its HTTP server (never listens): JSON lines on stderr.
  const logger = Fastify({ logger: { level: env.LOG_LEVEL, stream: process.stderr } });
  const log = logger.log;
  const database = await openCliDatabase(env);
  const canDeliver = Boolean(env.LARK_APP_ID && env.LARK_APP_SECRET);
  const lark = createLarkApi({ appId: env.LARK_APP_ID ?? 'cli_sandbox00000000', appSecret: env.LARK_APP_SECRET ?? 'sandbox', domain: env.LARK_DOMAIN });
  const metrics = createMetrics();
  const { services, outbox } = createServices({ env, office, database, log, metrics, clock: () => now, lark, outboxClock: () => new Date(), renderers: RENDERERS });
  const prefix = `${job.name} as of ${now.toISOString()} (${describeTarget(database.target)})`;
  try {
    const before = (await database.prisma.outboxMessage.aggregate({ _max: { id: true } }))._max.id ?? 0;
    // Another process running the same job holds its lock: wait for it (its ledger rows then make this
    // run send only what is still missing).
    let result = await runLocked(database, job, services, now, args.force);
    for (const until = Date.now() + LOCK_WAIT_MS; !result && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 250));
      result = await runLocked(database, job, services, now, args.force);
    }
    if (!result) {
      process.stdout.write(`${prefix}: ${job.name} was running in another process for over ${LOCK_WAIT_MS / 1000} s; nothing was done, try again later\n`);
      return 1;
    }
    const mine = { id: { gt: before } };
    const queued = await database.prisma.outboxMessage.count({ where: { ...mine, status: { in: ['pending', 'sending'] } } });
    if (queued === 0) {
      process.stdout.write(`${prefix}: ${result.summary}\n`);
      return 0;
    }
    if (!canDeliver) {
      process.stdout.write(`${prefix}: ${result.summary}; ${queued} message(s) left in the outbox for the running service (LARK_APP_ID/LARK_APP_SECRET not set)\n`);
      return 0;
    }
    outbox.start();
    const deadline = Date.now() + DELIVERY_LIMIT_MS;
    let waiting = queued;
    while (waiting > 0 && Date.now() < deadline) {
      outbox.kick();
      await new Promise((r) => setTimeout(r, 50));
      waiting = await database.prisma.outboxMessage.count({ where: { ...mine, status: { in: ['pending', 'sending'] } } });
    }
    await outbox.stop();
    const [sent, dead] = await Promise.all([
      database.prisma.outboxMessage.count({ where: { ...mine, status: 'sent' } }),
      database.prisma.outboxMessage.count({ where: { ...mine, status: 'dead' } }),
    ]);
    const notes = [`delivered ${sent} message(s) to ${env.LARK_DOMAIN}`];
    if (dead > 0) notes.push(`${dead} refused by Lark (see the log)`);
    if (waiting > 0) notes.push(`${waiting} still queued after ${DELIVERY_LIMIT_MS / 1000} s; the running service will retry them`);
    process.stdout.write(`${prefix}: ${result.summary}; ${notes.join('; ')}\n`);
    return dead > 0 || waiting > 0 ? 1 : 0;
  } catch (err) {
    log.error({ err }, `${job.name} failed`);
    process.stdout.write(`${prefix}: failed: ${describeError(err)}\n`);
    return 1;
  } finally {
    await outbox.stop();
    await database.close();
    await logger.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`job: ${describeError(err)}\n`);
    process.exit(1);
  },
);
