// What every listener may use. Built once per service instance in src/app.ts.
import type { FastifyBaseLogger } from 'fastify';
import type { Env } from '../config/env.ts';
import type { OfficeConfig } from '../../office/config.ts';
import type { Database, Db } from '../db/client.ts';
import type { Metrics } from '../metrics.ts';
import type { LarkApi } from '../lark/api.ts';
import { OutboxWorker, type RenderRequest } from '../delivery/outbox.ts';
import type { CardJson } from '../lark/types.ts';

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

/** Makes a card queued without its content (enqueueDeferred) as it reads now; null: nothing left to send. */
export type ServiceRenderer = (services: Services, req: RenderRequest) => Promise<CardJson | null>;

export interface ServicesInput extends Omit<Services, 'db' | 'kickOutbox'> {
  /** The clock that stamps sentAt on delivered messages (default: `clock`). */
  outboxClock?: () => Date;
  /** The outbox's renderers by name (src/renderers.ts). */
  renderers?: Readonly<Record<string, ServiceRenderer>>;
}

/** The services and the outbox worker that delivers what they queue (the service and `npm run job` alike). */
export function createServices(input: ServicesInput): { services: Services; outbox: OutboxWorker } {
  const { outboxClock, renderers = {}, ...rest } = input;
  const { database, lark, metrics, log, clock } = rest;
  const render = new Map(Object.entries(renderers).map(([name, fn]) => [name, (req: RenderRequest) => fn(services, req)]));
  // Several replicas may share a PostgreSQL: pace and order across them there.
  const outbox = new OutboxWorker({
    db: database.prisma, api: lark, metrics, log, clock: outboxClock ?? clock, sharedPacing: database.target.provider === 'postgres', renderers: render,
  });
  const services: Services = { ...rest, db: database.prisma, kickOutbox: () => outbox.kick() };
  return { services, outbox };
}
