// Composition root: one service instance (HTTP server, database, Lark gateway, outbox worker, scheduler).
// main.ts runs one; tests run several side by side.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Env } from './platform/config/env.ts';
import { larkReadiness, requireCallbackSecrets } from './platform/config/env.ts';
import type { OfficeConfig } from './office/config.ts';
import { openDatabase, type Database } from './platform/db/client.ts';
import { migrate } from './platform/db/migrate.ts';
import { describeTarget, parseDatabaseUrl } from './platform/db/url.ts';
import { installErrorHandlers } from './platform/errors.ts';
import { healthPlugin } from './platform/http/health.ts';
import { larkRoutes } from './platform/http/lark.ts';
import { createMetrics, type Metrics } from './platform/metrics.ts';
import { createLarkApi } from './platform/lark/api.ts';
import { OutboxWorker, refreshOutboxDepth } from './platform/delivery/outbox.ts';
import { createBot } from './bot.ts';
import { Inbox } from './platform/delivery/inbox.ts';
import type { Bot } from './platform/bot/router.ts';
import { createServices, type Services } from './platform/bot/services.ts';
import { startLongConnection, type LongConnection } from './platform/lark/ws.ts';
import type { EventSink } from './platform/lark/intake.ts';
import { BotIdentityLoader } from './platform/lark/identity.ts';
// Scheduled jobs (digests, reminders, quota alerts).
import { rescoreIfChanged } from './features/leads/scores.ts';
import { JOBS } from './jobs.ts';
import { RENDERERS } from './renderers.ts';
import { createScheduler, type Scheduler } from './platform/jobs/scheduler.ts';

export interface AppOptions {
  env: Env;
  office: OfficeConfig;
  /** The time source; tests move it. */
  clock?: () => Date;
}

export interface App {
  server: FastifyInstance;
  database: Database;
  metrics: Metrics;
  services: Services;
  bot: Bot;
  inbox: Inbox;
  outbox: OutboxWorker;
  /** Runs the jobs on office.schedules; catches up missed digests on start. */
  scheduler: Scheduler;
  /** The sandbox page's address when running without Lark credentials (after listen). */
  sandboxUrl(): string | undefined;
  /** Settles when the start-up re-scoring for a changed 综合评价模型 (run after listen) has finished. */
  rescored(): Promise<void>;
  /** Listens on HOST:PORT, starts the workers; returns the address. */
  listen(): Promise<string>;
  /** Stops accepting, finishes in-flight work, closes the database. */
  stop(): Promise<void>;
}

export async function createApp(opts: AppOptions): Promise<App> {
  const { env, office } = opts;
  requireCallbackSecrets(env);
  const clock = opts.clock ?? (() => new Date());
  const server = Fastify({
    logger: { level: env.LOG_LEVEL, redact: ['req.headers.authorization', 'req.headers["x-lark-signature"]'] },
    bodyLimit: 1024 * 1024,
    // Per-request lines only when debugging; refusals and errors are logged by the routes themselves.
    logController: new LogController({ disableRequestLogging: env.LOG_LEVEL !== 'debug' && env.LOG_LEVEL !== 'trace' }),
  });
  // Every route answers failures with the error catalogue's {code, msg}; set before any plugin registers.
  installErrorHandlers(server);
  const log = server.log;
  const target = parseDatabaseUrl(env.DATABASE_URL);
  if (env.DB_AUTO_MIGRATE) {
    const applied = await migrate(target);
    log.info(`database ${describeTarget(target)}: ${applied.length ? `applied ${applied.length} migration(s)` : 'schema up to date'}`);
  } else {
    log.info(`database ${describeTarget(target)} (DB_AUTO_MIGRATE=false: migrations not applied)`);
  }
  const database = openDatabase(target);
  const metrics = createMetrics();
  const readiness = larkReadiness(env);
  log.info(`Lark: ${readiness.message}`);

  // ---- Effective Lark settings, decided once: from LARK_* or, without LARK_APP_ID, the local sandbox's
  // (src/sandbox/: the Open Platform stand-in and the /sandbox page on this server, with generated secrets).
  // Loaded only without Lark credentials: a production bot never carries the sandbox and its stand-in.
  const sandbox = readiness.ready ? undefined : await (await import('./sandbox/index.ts')).mountSandbox(server, { db: database.prisma, log });
  const lark = sandbox?.api ?? createLarkApi({ appId: env.LARK_APP_ID!, appSecret: env.LARK_APP_SECRET!, domain: env.LARK_DOMAIN });
  const larkSecrets = sandbox?.secrets ?? { encryptKey: env.LARK_ENCRYPT_KEY, verificationToken: env.LARK_VERIFICATION_TOKEN };
  // ---- end of Lark settings
  const { services, outbox } = createServices({ env, office, database, log, metrics, clock, lark, renderers: RENDERERS });
  // The bot's own open_id (a group message is for the bot only when it @mentions it): learnt on listen.
  const identity = new BotIdentityLoader({ fetch: () => lark.getBotInfo(), log });
  const bot = createBot(services).setIdentity(identity);
  const inbox = new Inbox(services, bot);
  // Cron timers follow the real clock, so an app on a simulated clock (tests) only catches up on start.
  const scheduler = createScheduler({ services, database, jobs: JOBS, office, timezone: env.BOT_TIMEZONE, cron: !opts.clock });

  await server.register(healthPlugin, {
    db: database,
    metrics,
    larkState: () => (!readiness.ready ? 'sandbox' : ws ? `ws:${ws.state()}` : 'webhook'),
    beforeMetrics: () => refreshOutboxDepth(database.prisma, metrics),
  });
  // Both receivers (webhook route, long connection) feed this one sink.
  const deliver: EventSink = (event, answered, arrivedAt) => inbox.accept(event, answered, arrivedAt);
  // In ws mode events arrive over the long connection only: no callback URL is served, so nothing can
  // be posted to the bot from the network.
  if (!(readiness.ready && env.LARK_MODE === 'ws')) {
    await server.register(larkRoutes, { secrets: larkSecrets, deliver, metrics });
  }

  let ws: LongConnection | undefined;
  let stopped = false;
  let rescoring: Promise<void> = Promise.resolve();
  return {
    server,
    database,
    metrics,
    services,
    bot,
    inbox,
    outbox,
    scheduler,
    sandboxUrl: () => sandbox?.url(),
    rescored: () => rescoring,
    async listen() {
      const address = await server.listen({ port: env.PORT, host: env.HOST });
      // A changed 综合评价模型 in BOT_CONFIG re-scores every lead once (one process does it), in the
      // background: a million leads would keep the bot deaf for minutes. A lead edited meanwhile is scored
      // from its new fields when it is saved, and the re-scoring skips it (it writes only unchanged rows).
      rescoring = database
        .withLock('scoring-config', () => rescoreIfChanged(database.prisma, office))
        .then((r) => { if (r?.changed) log.info(`scoring: the model changed, ${r.rescored} lead(s) re-scored`); })
        .catch((err) => log.error({ err }, 're-scoring leads failed'));
      // After listen: in the sandbox the Open Platform stand-in is served by this server.
      identity.start();
      outbox.start();
      if (env.LARK_MODE === 'ws' && env.LARK_APP_ID && env.LARK_APP_SECRET) {
        ws = startLongConnection({ appId: env.LARK_APP_ID, appSecret: env.LARK_APP_SECRET, domain: env.LARK_DOMAIN, deliver, log });
      }
      void inbox.resume().catch((err) => log.error({ err }, 'resuming unhandled events failed'));
      inbox.startRetries();
      void scheduler.start().catch((err) => log.error({ err }, 'starting the scheduler failed'));
      return address;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      ws?.close();
      identity.stop();
      await server.close();
      await inbox.close();
      await scheduler.stop();
      await rescoring;
      // Deliver what the last handled events queued, within the shutdown budget; the rest stays in
      // the outbox and goes out after the next start.
      await outbox.drain(4000).catch((err: Error) => log.warn(`shutdown: ${err.message}`));
      await outbox.stop();
      await database.close();
    },
  };
}
