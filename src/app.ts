// Composition root: one service instance (HTTP server, database, Lark gateway, outbox worker, scheduler).
// main.ts runs one; tests run several side by side.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Env } from './config/env.ts';
import { larkReadiness } from './config/env.ts';
import type { OfficeConfig } from './config/office.ts';
import { openDatabase, type Database } from './db/client.ts';
import { migrate } from './db/migrate.ts';
import { describeTarget, parseDatabaseUrl } from './db/url.ts';
import { healthPlugin } from './http/health.ts';
import { createMetrics, type Metrics } from './metrics.ts';

export interface AppOptions {
  env: Env;
  office: OfficeConfig;
  /** The time source; tests move it. */
  clock?: () => Date;
}

export interface App {
  server: FastifyInstance;
  db: Database;
  metrics: Metrics;
  /** Listens on HOST:PORT; returns the address. */
  listen(): Promise<string>;
  /** Stops accepting, finishes in-flight work, closes the database. */
  stop(): Promise<void>;
}

export async function createApp(opts: AppOptions): Promise<App> {
  const { env } = opts;
  const server = Fastify({
    logger: { level: env.LOG_LEVEL, redact: ['req.headers.authorization', 'req.headers["x-lark-signature"]'] },
    bodyLimit: 1024 * 1024,
    disableRequestLogging: env.LOG_LEVEL !== 'debug' && env.LOG_LEVEL !== 'trace',
  });
  const log = server.log;
  const target = parseDatabaseUrl(env.DATABASE_URL);
  if (env.DB_AUTO_MIGRATE) {
    const applied = await migrate(target);
    log.info(`database ${describeTarget(target)}: ${applied.length ? `applied ${applied.length} migration(s)` : 'schema up to date'}`);
  } else {
    log.info(`database ${describeTarget(target)} (DB_AUTO_MIGRATE=false: migrations not applied)`);
  }
  const db = openDatabase(target);
  const metrics = createMetrics();
  const lark = larkReadiness(env);
  log.info(`Lark: ${lark.message}`);

  await server.register(healthPlugin, {
    db,
    metrics,
    larkState: () => (lark.ready ? env.LARK_MODE : 'sandbox'),
  });

  let stopped = false;
  return {
    server,
    db,
    metrics,
    async listen() {
      return server.listen({ port: env.PORT, host: env.HOST });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
      await db.close();
    },
  };
}
