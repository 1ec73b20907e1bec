// What every listener may use. Built once per service instance in src/app.ts.
import type { FastifyBaseLogger } from 'fastify';
import type { Env } from '../config/env.ts';
import type { OfficeConfig } from '../config/office.ts';
import type { Database, Db } from '../db/client.ts';
import type { Metrics } from '../metrics.ts';
import type { LarkApi } from '../lark/api.ts';

export interface Services {
  env: Env;
  office: OfficeConfig;
  database: Database;
  db: Db;
  log: FastifyBaseLogger;
  metrics: Metrics;
  clock: () => Date;
  /** The Open Platform client (also used for file downloads and user names). */
  lark: LarkApi;
  /** Wakes the outbox worker after a transaction enqueued messages. */
  kickOutbox: () => void;
}
