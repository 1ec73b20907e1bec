// What every listener may use. Built once per service instance in src/app.ts.
import type { FastifyBaseLogger } from 'fastify';
import type { Env } from '../config/env.ts';
import type { OfficeConfig } from '../../office/config.ts';
import type { Database, Db } from '../db/client.ts';
import type { Metrics } from '../metrics.ts';
import type { LarkApi } from '../lark/api.ts';
import { OutboxWorker } from '../delivery/outbox.ts';

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

export interface ServicesInput extends Omit<Services, 'db' | 'kickOutbox'> {
  /** The clock that stamps sentAt on delivered messages (default: `clock`). */
  outboxClock?: () => Date;
}

/** The services and the outbox worker that delivers what they queue (the service and `npm run job` alike). */
export function createServices(input: ServicesInput): { services: Services; outbox: OutboxWorker } {
  const { outboxClock, ...rest } = input;
  const { database, lark, metrics, log, clock } = rest;
  // Several replicas may share a PostgreSQL: pace and order across them there.
  const outbox = new OutboxWorker({ db: database.prisma, api: lark, metrics, log, clock: outboxClock ?? clock, sharedPacing: database.target.provider === 'postgres' });
  return { services: { ...rest, db: database.prisma, kickOutbox: () => outbox.kick() }, outbox };
}
