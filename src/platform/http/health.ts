// GET /healthz and GET /metrics.
import type { FastifyPluginAsync } from 'fastify';
import type { Database } from '../db/client.ts';
import type { Metrics } from '../metrics.ts';
import { classify } from '../errors.ts';

export interface HealthDeps {
  db: Database;
  metrics: Metrics;
  /** Lark connection state in a word or two, e.g. "webhook", "ws:connected", "sandbox". */
  larkState: () => string;
  /** Called before /metrics renders, to refresh gauges (e.g. outbox depth). */
  beforeMetrics?: () => Promise<void>;
}

export const healthPlugin: FastifyPluginAsync<HealthDeps> = async (app, deps) => {
  app.get('/healthz', async (req, reply) => {
    let db = 'ok';
    try {
      // A database that does not answer within 1 s (down, or locked by another process) is reported at once.
      await deps.db.ping(1000);
    } catch (err) {
      // The answer names the catalogue code only; the driver's text (host, path, SQL) goes to the log.
      db = classify(err).code;
      req.log.warn({ err }, 'healthz: the database does not answer');
    }
    const body = { status: db === 'ok' ? 'ok' : 'error', db, lark: deps.larkState() };
    return reply.code(db === 'ok' ? 200 : 503).send(body);
  });

  app.get('/metrics', async (_req, reply) => {
    await deps.beforeMetrics?.().catch(() => {});
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
};
