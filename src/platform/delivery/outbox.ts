// Durable outbox: every message and card update to Lark is first a row in OutboxMessage, written in the
// same transaction as the decision that caused it; the worker delivers the rows.
//
// Delivery is at-least-once towards Lark and exactly-once as users see it: a send/reply carries the row's
// `uuid`, which Lark uses to drop a repeat, so re-sending after a crash is safe. Rows are claimed with a
// conditional update (status + attempts as a version), so two processes on one PostgreSQL never send the
// same row at the same time. A claim is a short lease (`lockedUntil`, LEASE_MS) that the worker renews
// while the send is in flight; a row left 'sending' past it (its process died) is claimed again by any
// worker, so another replica takes the work over within seconds.
//
// A job that writes thousands of cards at once (一月一报, 催办) queues them without their content
// (enqueueDeferred): the row names a renderer, and the worker makes the card when it sends it, from the
// state of that moment. Writing 200,000 of them is then a few small rows each, not 200,000 rendered cards;
// at Lark's pace they take hours to deliver anyway, and each shows what is true when it arrives.
import { assertValidCard, CARD_MAX_BYTES, contentWireSize } from '../cards/validate.ts';
import { createHash, randomUUID } from 'node:crypto';
import type { Db, Tx } from '../db/client.ts';
import { bulkChunk, bulkRows, type BulkType } from '../db/bulk.ts';
import type { Metrics } from '../metrics.ts';
import { LarkApiError, LOAD_LIMIT_CODE, RATE_LIMIT_CODE, type LarkApi } from '../lark/api.ts';
import { CARD_TOKEN_REF, CARD_TOKEN_USES, type CardJson, type OutgoingMessage } from '../lark/types.ts';
import { DEFAULT_PACING, Pacer, SharedPacer, type WindowLimit } from './pacing.ts';

export { DEFAULT_PACING, type WindowLimit } from './pacing.ts';

type DbOrTx = Db | Tx;

/** A stored outbox row, as the worker reads it. */
export interface OutboxRow {
  id: number;
  uuid: string;
  op: string;
  receiveIdType: string | null;
  receiveId: string | null;
  msgType: string;
  /** Null until sent for a row queued by enqueueDeferred: `render` names what makes it. */
  content: string | null;
  render: string | null;
  targetId: string | null;
  refType: string | null;
  refId: string | null;
  status: string;
  attempts: number;
  nextAttemptAt: Date;
  lockedUntil: Date | null;
  lastError: string | null;
  messageId: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** A patch whose card is not sent yet targets the outbox row: `outbox:<id>`. */
const OUTBOX_TARGET = 'outbox:';

/** Lark updates only messages sent in the last 14 days; a day's margin for the time between queueing and sending. */
const PATCHABLE_MS = 13 * 24 * 3_600_000;

/** Lark's de-duplication `uuid` is at most 50 characters: a longer key is replaced by a stable hash of it. */
export function larkUuid(key: string): string {
  return key.length <= 50 ? key : `h-${createHash('sha256').update(key).digest('hex').slice(0, 48)}`;
}

export function cardContent(card: CardJson): string {
  return JSON.stringify(card);
}

export function textContent(text: string): string {
  return JSON.stringify({ text });
}

/**
 * A card queued without its content (enqueueDeferred): the renderer registered under `render` makes it when
 * the worker sends it. `refType`/`refId` name what it is about, as for any card, so later updates find it.
 */
export interface DeferredCard {
  /** Lark de-duplication key (stable across retries). Defaults to a random UUID. */
  uuid?: string;
  receiveIdType: 'open_id' | 'chat_id';
  receiveId: string;
  render: string;
  refType: string;
  refId: string;
}

/** What a renderer is given: the queued row's fields. */
export interface RenderRequest {
  render: string;
  refType: string | null;
  refId: string | null;
  receiveId: string | null;
  /** When the card was queued. */
  createdAt: Date;
}

/** Makes a deferred card as it should read now, or null when there is nothing to send any more (the row ends 'dropped'). */
export type Renderer = (req: RenderRequest) => Promise<CardJson | null>;

function check(m: OutgoingMessage): void {
  const where = `outbox ${m.op}`;
  if (typeof m.content !== 'string' || !m.content) throw new Error(`${where}: content must be a non-empty JSON string`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(m.content);
  } catch {
    throw new Error(`${where}: content is not JSON`);
  }
  // Lark rejects a card that breaks the Card JSON 2.0 rules or whose request body is over 30 KB: refuse it
  // here, before anything is written, so the mistake shows where it was made. The size is that of `content`
  // as it will sit, escaped, in the request body (validate.ts keeps a margin for the other body fields).
  if (m.msgType === 'interactive') {
    assertValidCard(parsed);
    const size = contentWireSize(m.content);
    if (size > CARD_MAX_BYTES) throw new Error(`${where}: card content is ${size} bytes in the request body; the limit is ${CARD_MAX_BYTES}`);
  }
  if (m.op === 'send' && (!m.receiveIdType || !m.receiveId)) throw new Error(`${where}: receiveIdType and receiveId are required`);
  if (m.op !== 'send' && !m.targetId) throw new Error(`${where}: targetId is required`);
  if ((m.op === 'patch' || m.op === 'card_update') && m.msgType !== 'interactive') throw new Error(`${where}: only cards can be updated`);
}

/**
 * Writes messages to the outbox. Pass the transaction that records the decision, so both commit together.
 * A message whose `uuid` is already in the outbox is skipped (the same decision handled twice).
 * Returns the uuid of every message, in order.
 */
export async function enqueue(db: DbOrTx, msgs: OutgoingMessage[]): Promise<string[]> {
  const withIds = msgs.map((m) => {
    check(m);
    return { ...m, uuid: larkUuid(m.uuid ?? randomUUID()) };
  });
  if (withIds.length === 0) return [];
  const existing = await db.outboxMessage.findMany({ where: { uuid: { in: withIds.map((m) => m.uuid) } }, select: { uuid: true } });
  const seen = new Set(existing.map((r) => r.uuid));
  const now = new Date();
  const rows = [];
  for (const m of withIds) {
    if (seen.has(m.uuid)) continue;
    seen.add(m.uuid);
    rows.push({
      uuid: m.uuid,
      op: m.op,
      receiveIdType: m.receiveIdType ?? null,
      receiveId: m.receiveId ?? null,
      msgType: m.msgType,
      content: m.content,
      targetId: m.targetId ?? null,
      refType: m.refType ?? null,
      refId: m.refId ?? null,
      status: 'pending',
      nextAttemptAt: now,
      createdAt: now,
    });
  }
  // One statement for the lot (a job queues hundreds in one transaction); ids still follow the order given.
  if (rows.length > 0) await db.outboxMessage.createMany({ data: rows });
  return withIds.map((m) => m.uuid);
}

const DEFERRED_TYPES: readonly BulkType[] = ['text', 'text', 'text', 'text', 'text', 'text'];

/**
 * Queues cards without their content, in the caller's transaction: each is made when it is sent, by the
 * renderer its `render` names (OutboxWorkerOptions.renderers). For jobs that queue thousands at once: one
 * statement per 1,000 cards (bulkRows), with no card built, validated or stored now. A card whose uuid is
 * already in the outbox is skipped. Returns the uuid of every card, in order.
 */
export async function enqueueDeferred(db: DbOrTx, cards: readonly DeferredCard[]): Promise<string[]> {
  const uuids = cards.map((c) => larkUuid(c.uuid ?? randomUUID()));
  const now = new Date();
  const chunk = bulkChunk(DEFERRED_TYPES.length);
  for (let i = 0; i < cards.length; i += chunk) {
    const rows = cards.slice(i, i + chunk).map((c, k) => {
      if (!c.receiveId || !c.render) throw new Error('outbox deferred card: receiveId and render are required');
      return [uuids[i + k], c.receiveIdType, c.receiveId, c.render, c.refType, c.refId];
    });
    await db.$executeRaw`INSERT INTO "OutboxMessage" ("uuid", "receiveIdType", "receiveId", "render", "refType", "refId", "op", "msgType", "status", "nextAttemptAt", "createdAt")
      SELECT r.*, 'send', 'interactive', 'pending', ${now}, ${now} FROM (${bulkRows(db, DEFERRED_TYPES, rows)}) AS r WHERE true ON CONFLICT ("uuid") DO NOTHING`;
  }
  return uuids;
}

/**
 * "Update every copy of this card": each delivered card about (refType, refId) gets a patch; cards still
 * waiting in the outbox go out with the new card instead (or, made when sent, as their renderer makes them then); a card being sent right now is patched once it
 * has a message id. Several updates in a row collapse: a waiting patch of the same message gets the newest card.
 * Returns the number of copies affected.
 */
export async function enqueuePatchRef(db: DbOrTx, refType: string, refId: string, card: CardJson): Promise<number> {
  assertValidCard(card);
  const content = cardContent(card);
  const rows = await db.outboxMessage.findMany({
    where: { refType, refId, op: { in: ['send', 'reply'] }, msgType: 'interactive', status: { in: ['pending', 'sending', 'sent'] } },
    orderBy: { id: 'asc' },
  });
  const now = new Date();
  const patch = async (targets: string[]) => {
    const waiting = await db.outboxMessage.updateMany({ where: { op: 'patch', status: 'pending', targetId: { in: targets } }, data: { content } });
    if (waiting.count > 0) return;
    await db.outboxMessage.create({
      data: { uuid: randomUUID(), op: 'patch', msgType: 'interactive', content, targetId: targets[0], refType, refId, status: 'pending', nextAttemptAt: now, createdAt: now },
    });
  };
  for (const row of rows) {
    if (row.status === 'pending' && row.attempts === 0 && row.content === null) {
      // Never tried and made when it is sent (enqueueDeferred): its renderer shows the state of then.
      continue;
    } else if (row.status === 'pending' && row.attempts === 0) {
      // Never tried: it goes out with the new card. (A row already tried may have reached Lark, which
      // would drop the retry as a repeat of its uuid and keep the old card: that one is patched instead.)
      const replaced = await db.outboxMessage.updateMany({ where: { id: row.id, status: 'pending', attempts: 0 }, data: { content } });
      if (replaced.count === 1) continue;
      // Claimed by a worker meanwhile: patch it once it is sent.
      await patch([`${OUTBOX_TARGET}${row.id}`]);
    } else if (row.status === 'sent' && row.createdAt.getTime() < now.getTime() - PATCHABLE_MS) {
      // Lark refuses to update a message older than 14 days: that copy keeps what it shows.
      continue;
    } else if (row.status === 'sent' && row.messageId) {
      await patch([row.messageId, `${OUTBOX_TARGET}${row.id}`]);
    } else {
      await patch([`${OUTBOX_TARGET}${row.id}`]);
    }
  }
  return rows.length;
}

/**
 * "Show this card in that message now": a patch of one Lark message the bot sent (e.g. a card a user clicked,
 * whose id came with the callback). Updates in a row collapse: a waiting patch of the message gets the newest
 * card. `ref` names what the card is about (kept on the row, for the logs).
 */
export async function enqueuePatchMessage(db: DbOrTx, messageId: string, card: CardJson, ref?: { refType: string; refId: string }): Promise<void> {
  assertValidCard(card);
  const content = cardContent(card);
  const waiting = await db.outboxMessage.updateMany({ where: { op: 'patch', status: 'pending', targetId: messageId }, data: { content } });
  if (waiting.count > 0) return;
  const now = new Date();
  await db.outboxMessage.create({
    data: {
      uuid: randomUUID(), op: 'patch', msgType: 'interactive', content, targetId: messageId,
      refType: ref?.refType ?? null, refId: ref?.refId ?? null, status: 'pending', nextAttemptAt: now, createdAt: now,
    },
  });
}

/** When the newest card about (refType, refId) that may still be updated (sent or on its way) was queued; undefined: none. */
export async function newestRefAt(db: DbOrTx, refType: string, refId: string): Promise<Date | undefined> {
  const row = await db.outboxMessage.findFirst({
    where: { refType, refId, op: { in: ['send', 'reply'] }, msgType: 'interactive', status: { in: ['pending', 'sending', 'sent'] } },
    orderBy: { id: 'desc' },
    select: { createdAt: true },
  });
  return row?.createdAt;
}

/** Whether a card queued at `at` may still be updated (Lark: 14 days, with a day's margin). */
export function stillPatchable(at: Date, now: Date = new Date()): boolean {
  return at.getTime() >= now.getTime() - PATCHABLE_MS;
}

/** Lark message ids of every delivered message about (refType, refId), oldest first. */
export async function messageIdsForRef(db: DbOrTx, refType: string, refId: string): Promise<string[]> {
  const rows = await db.outboxMessage.findMany({
    where: { refType, refId, op: { in: ['send', 'reply'] }, status: 'sent', messageId: { not: null } },
    orderBy: { id: 'asc' },
    select: { messageId: true },
  });
  return rows.map((r) => r.messageId).filter((id): id is string => id !== null);
}

/** Messages waiting (pending or being sent). */
export async function outboxDepth(db: DbOrTx): Promise<number> {
  return db.outboxMessage.count({ where: { status: { in: ['pending', 'sending'] } } });
}

/** Sets the outbox-depth gauge (for /metrics' `beforeMetrics`). */
export async function refreshOutboxDepth(db: DbOrTx, metrics: Metrics): Promise<void> {
  metrics.outboxDepth.set(await outboxDepth(db));
}

const APP_KEY = 'app';
/** A claim's lease: renewed every third of it while the send runs, so a dead holder's row is free again within it. */
export const LEASE_MS = 5_000;
const PAGE_SIZE = 100;
const PAGES_PER_PASS = 10;

/** What a pass reads of a due row to schedule it; the sender reads the whole row once it has claimed it. */
const DUE_COLUMNS = { id: true, op: true, receiveId: true, targetId: true, status: true, attempts: true } as const;
type DueRow = Pick<OutboxRow, keyof typeof DUE_COLUMNS>;

/** The queue a row is paced in besides the app: its chat/user (5 QPS), or the message it updates. */
function laneOf(row: Pick<OutboxRow, 'op' | 'receiveId' | 'targetId'>): string | undefined {
  if (row.op === 'send') return `to:${row.receiveId}`;
  if (row.op === 'reply') return row.receiveId ? `to:${row.receiveId}` : `msg:${row.targetId}`;
  if (row.op === 'patch') return `msg:${row.targetId}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Worker

export interface OutboxLog {
  info(msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface OutboxWorkerOptions {
  db: Db;
  api: LarkApi;
  metrics: Metrics;
  log: OutboxLog;
  /**
   * The app's clock, recorded as `sentAt`. Retry, lock and pacing times always use real time: they must
   * agree between processes, and a test that freezes its clock must not stall delivery.
   */
  clock?: () => Date;
  /** Requests per second for the whole app (Lark: 50). */
  appRate?: number;
  /** Requests per minute for the whole app (Lark: 1000), over any `minuteMs` window. */
  appPerMinute?: number;
  /** The length of that window (60 000; tests shrink it). */
  minuteMs?: number;
  /** Requests per second per chat/user and per updated message (Lark: 5). */
  chatRate?: number;
  /** Attempts before a row is given up ('dead'). Rate-limit answers do not count. */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * The lease on a claimed row (LEASE_MS). It is renewed while the send is in flight; once a holder stops
   * renewing it (its process died) another worker claims the row again.
   */
  lockMs?: number;
  /** Sends in flight at once. */
  concurrency?: number;
  /** Longest sleep between looks at the table (rows written by other processes are seen within this). */
  pollMs?: number;
  /**
   * Pace in the database, across every process on it (PostgreSQL: several replicas), and keep each chat's
   * order across them: a row waits while an earlier one of its chat is unsent. Off: pacing in this process
   * only (SQLite, where one process owns the file).
   */
  sharedPacing?: boolean;
  /** What makes the cards queued by enqueueDeferred, by their `render` name. */
  renderers?: ReadonlyMap<string, Renderer>;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function failureReason(e: LarkApiError): string {
  if (e.retryAfterSec !== undefined) return 'rate_limited';
  if (e.status !== undefined && e.status >= 500) return 'server_error';
  if (e.retryable) return 'network';
  return 'rejected';
}

type Outcome =
  | { kind: 'sent'; messageId: string | null; targetId?: string }
  | { kind: 'defer'; why: string }
  | { kind: 'dead'; why: string }
  | { kind: 'dropped'; why: string };

/** A row with the content it goes out with (made now for a deferred card). */
type ReadyRow = OutboxRow & { content: string };

export class OutboxWorker {
  private readonly db: Db;
  private readonly api: LarkApi;
  private readonly metrics: Metrics;
  private readonly log: OutboxLog;
  private readonly clock: () => Date;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly lockMs: number;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly pacer: Pacer;
  private readonly shared?: SharedPacer;
  private readonly renderers: ReadonlyMap<string, Renderer>;

  private running = false;
  private loop?: Promise<void>;
  private wake?: Deferred;
  private kicked = false;
  private readonly inflight = new Map<number, Promise<void>>();
  private readonly busyLanes = new Set<string>();
  private depthAt = 0;

  constructor(opts: OutboxWorkerOptions) {
    this.db = opts.db;
    this.api = opts.api;
    this.metrics = opts.metrics;
    this.log = opts.log;
    this.clock = opts.clock ?? (() => new Date());
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.retryBaseMs = opts.retryBaseMs ?? 1000;
    this.retryMaxMs = opts.retryMaxMs ?? 5 * 60_000;
    this.lockMs = opts.lockMs ?? LEASE_MS;
    this.concurrency = opts.concurrency ?? 8;
    this.pollMs = opts.pollMs ?? 1000;
    this.renderers = opts.renderers ?? new Map();
    const appRate = opts.appRate ?? DEFAULT_PACING.appRate;
    const chatRate = opts.chatRate ?? DEFAULT_PACING.chatRate;
    const appWindows: WindowLimit[] = [
      { max: appRate, windowMs: 1000 },
      { max: opts.appPerMinute ?? DEFAULT_PACING.appPerMinute, windowMs: opts.minuteMs ?? DEFAULT_PACING.minuteMs },
    ];
    const laneWindows: WindowLimit[] = [{ max: chatRate, windowMs: 1000 }];
    this.pacer = new Pacer(
      (key) => (key === APP_KEY ? 1000 / appRate : 1000 / chatRate),
      (key) => (key === APP_KEY ? appWindows : laneWindows),
    );
    if (opts.sharedPacing) {
      // Even spacing that keeps every window: the app's second and minute, the chat's second, with a tenth
      // to spare for the time between a slot and the request reaching Lark.
      const appInterval = 1.1 * Math.max(1000 / appRate, appWindows[1].windowMs / appWindows[1].max);
      this.shared = new SharedPacer(this.db, (key) => (key === APP_KEY ? appInterval : 1.1 * (1000 / chatRate)));
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops claiming; waits for the sends in flight to finish and be recorded. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.kick();
    await this.loop;
    await Promise.all(this.inflight.values());
  }

  /** Look at the table now (e.g. right after enqueueing). */
  kick(): void {
    this.kicked = true;
    this.wake?.resolve();
  }

  /** For tests: resolves once no message is waiting (none pending or being sent); rejects after timeoutMs. */
  async drain(timeoutMs = 10_000): Promise<void> {
    if (!this.running) throw new Error('outbox worker is not started');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.kick();
      if (this.inflight.size === 0) {
        const waiting = await outboxDepth(this.db);
        this.metrics.outboxDepth.set(waiting);
        if (waiting === 0 && this.inflight.size === 0) return;
        if (Date.now() >= deadline) throw new Error(`outbox not drained within ${timeoutMs} ms: ${waiting} message(s) waiting`);
      } else if (Date.now() >= deadline) {
        throw new Error(`outbox not drained within ${timeoutMs} ms: ${this.inflight.size} send(s) in flight`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.kicked = false;
      let waitMs = this.pollMs;
      try {
        waitMs = await this.pass();
      } catch (err) {
        this.log.error({ err }, 'outbox: reading the outbox failed');
      }
      if (!this.running) break;
      await this.sleep(waitMs);
    }
  }

  private async sleep(ms: number): Promise<void> {
    if (this.kicked) return; // woken while the last pass ran
    const wake = deferred();
    this.wake = wake;
    const timer = setTimeout(wake.resolve, Math.max(1, ms));
    await wake.promise;
    clearTimeout(timer);
  }

  /** Starts every send that is due and allowed now; returns how long to sleep. */
  private async pass(): Promise<number> {
    const now = new Date();
    let waitMs = this.pollMs;
    // Every send takes a slot of the app's pacing: while it has none, no row can start, and reading the
    // queue would only skip each row (the worker is kicked by every enqueue and every finished send, so
    // under load most passes fall in the app's 20 ms spacing). It is read again once a slot is free.
    const appWait = this.pacer.wait([APP_KEY], Date.now());
    if (appWait > 0) return this.idleFor(Math.min(this.pollMs, appWait));
    // Page through due rows so a long queue for one paced chat does not hide the rows behind it.
    let afterId = 0;
    for (let page = 0; page < PAGES_PER_PASS && this.running && this.inflight.size < this.concurrency && !this.appBlocked(); page++) {
      const due: DueRow[] = await this.db.outboxMessage.findMany({
        where: { id: { gt: afterId }, OR: [{ status: 'pending', nextAttemptAt: { lte: now } }, { status: 'sending', lockedUntil: { lt: now } }] },
        orderBy: { id: 'asc' },
        take: PAGE_SIZE,
        select: DUE_COLUMNS,
      });
      for (const row of due) {
        afterId = row.id;
        if (!this.running || this.inflight.size >= this.concurrency) break;
        if (this.appBlocked()) break; // nothing more can start now: each row's wait would be at least the app's
        if (this.inflight.has(row.id)) continue;
        const lane = laneOf(row);
        if (lane && this.busyLanes.has(lane)) continue; // one at a time per chat keeps the order; woken when done
        if (this.shared && lane && (await this.earlierInLane(row, lane))) continue; // another replica's turn first
        const keys = lane ? [APP_KEY, lane] : [APP_KEY];
        const wait = this.pacer.wait(keys, Date.now());
        if (wait > 0) {
          waitMs = Math.min(waitMs, wait);
          continue;
        }
        const attempts = await this.claim(row);
        if (attempts === undefined) continue;
        this.pacer.take(keys, Date.now());
        if (lane) this.busyLanes.add(lane);
        const job = this.deliver(row.id, attempts, keys)
          .catch((err) => this.log.error({ err, outboxId: row.id }, 'outbox: recording a delivery failed'))
          .finally(() => {
            this.pacer.finish(keys, Date.now());
            this.inflight.delete(row.id);
            if (lane) this.busyLanes.delete(lane);
            this.kick();
          });
        this.inflight.set(row.id, job);
      }
      if (due.length < PAGE_SIZE) break;
    }
    // No earlier wake-up is of use while the app's pacing allows nothing (rows due meanwhile wait for it).
    const blockedFor = this.pacer.wait([APP_KEY], Date.now());
    if (blockedFor > 0) return this.idleFor(Math.min(waitMs, blockedFor));
    const [nextPending, nextLock] = await Promise.all([
      this.db.outboxMessage.findFirst({ where: { status: 'pending', nextAttemptAt: { gt: now } }, orderBy: { nextAttemptAt: 'asc' }, select: { nextAttemptAt: true } }),
      this.db.outboxMessage.findFirst({ where: { status: 'sending', lockedUntil: { gte: now } }, orderBy: { lockedUntil: 'asc' }, select: { lockedUntil: true } }),
    ]);
    for (const at of [nextPending?.nextAttemptAt, nextLock?.lockedUntil]) {
      if (at) waitMs = Math.min(waitMs, at.getTime() - now.getTime() + 1);
    }
    return this.idleFor(waitMs);
  }

  /** True while the app's pacing allows no send (then no row can start, whatever its chat). */
  private appBlocked(): boolean {
    return this.pacer.wait([APP_KEY], Date.now()) > 0;
  }

  /** The end of a pass: refreshes the outbox-depth gauge (at most once a second); returns the sleep. */
  private async idleFor(waitMs: number): Promise<number> {
    if (Date.now() - this.depthAt >= 1000) {
      this.depthAt = Date.now();
      await refreshOutboxDepth(this.db, this.metrics);
    }
    return Math.max(1, waitMs);
  }

  /**
   * Whether a row of the same chat (or updated message) queued before this one is being sent or is due:
   * it goes first, whichever replica has it. (A row waiting out a retry delay does not hold the chat up,
   * as within one process.)
   */
  private async earlierInLane(row: DueRow, lane: string): Promise<boolean> {
    const same = lane.startsWith('to:') ? { receiveId: row.receiveId } : { targetId: row.targetId };
    const earlier = await this.db.outboxMessage.findFirst({
      where: { ...same, id: { lt: row.id }, OR: [{ status: 'sending' }, { status: 'pending', nextAttemptAt: { lte: new Date() } }] },
      select: { id: true },
    });
    return earlier !== null;
  }

  /** Takes the row if nobody else did; returns the attempt number it now carries. */
  private async claim(row: DueRow): Promise<number | undefined> {
    const res = await this.db.outboxMessage.updateMany({
      where: { id: row.id, status: row.status, attempts: row.attempts },
      data: { status: 'sending', lockedUntil: new Date(Date.now() + this.lockMs), attempts: { increment: 1 } },
    });
    return res.count === 1 ? row.attempts + 1 : undefined;
  }

  /** Sends one claimed row and records the outcome (only while the claim is still ours). */
  private async deliver(id: number, attempts: number, keys: string[]): Promise<void> {
    const heartbeat = this.renewWhileWorking(id, attempts);
    try {
      await this.deliverClaimed(id, attempts, keys);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Renews the lease on a claimed row every third of it until cleared; a row no longer ours is left alone. */
  private renewWhileWorking(id: number, attempts: number): NodeJS.Timeout {
    const timer = setInterval(() => {
      this.db.outboxMessage
        .updateMany({ where: { id, status: 'sending', attempts }, data: { lockedUntil: new Date(Date.now() + this.lockMs) } })
        .catch((err) => this.log.warn({ err, outboxId: id }, 'outbox: renewing a claim failed'));
    }, Math.max(50, Math.floor(this.lockMs / 3)));
    timer.unref();
    return timer;
  }

  private async deliverClaimed(id: number, attempts: number, keys: string[]): Promise<void> {
    // Read again after claiming: enqueuePatchRef may have replaced a pending card just before.
    const row: OutboxRow | null = await this.db.outboxMessage.findUnique({ where: { id } });
    if (!row || row.status !== 'sending' || row.attempts !== attempts) return;
    const mine = { id, status: 'sending', attempts };
    let outcome: Outcome;
    let rendered: string | undefined;
    try {
      const ready = row.content === null ? await this.rendered(row) : (row as ReadyRow);
      if ('kind' in ready) outcome = ready;
      else {
        if (row.content === null) rendered = ready.content;
        if (this.shared) await this.shared.pace(keys);
        outcome = await this.send(ready);
      }
    } catch (err) {
      const e = err instanceof LarkApiError ? err : new LarkApiError(err instanceof Error ? err.message : String(err), { retryable: true });
      this.metrics.messagesFailed.inc({ reason: failureReason(e) });
      const rateLimited = e.retryAfterSec !== undefined;
      if (e.retryable && (rateLimited || attempts < this.maxAttempts)) {
        const delayMs = rateLimited ? e.retryAfterSec! * 1000 : this.backoff(attempts);
        // The app's limit or Lark's load holds back every send; a chat's limit only that chat's.
        const appWide = e.code === RATE_LIMIT_CODE || e.code === LOAD_LIMIT_CODE;
        if (rateLimited) this.pacer.block(appWide ? keys : keys.slice(1), Date.now() + delayMs);
        if (rateLimited && this.shared) await this.shared.block(appWide ? keys : keys.slice(1), delayMs).catch(() => {});
        await this.db.outboxMessage.updateMany({
          where: mine,
          data: {
            status: 'pending',
            lockedUntil: null,
            nextAttemptAt: new Date(Date.now() + delayMs),
            lastError: e.message.slice(0, 1000),
            // Being throttled is not the message's fault: it does not use up an attempt.
            ...(rateLimited ? { attempts: { decrement: 1 } } : {}),
          },
        });
        this.log.warn({ outboxId: id, op: row.op, attempt: attempts, retryInMs: delayMs, err: e.message }, 'outbox: delivery failed, will retry');
        return;
      }
      await this.db.outboxMessage.updateMany({ where: mine, data: { status: 'dead', lockedUntil: null, lastError: e.message.slice(0, 1000) } });
      this.log.error(
        { outboxId: id, uuid: row.uuid, op: row.op, receiveId: row.receiveId, targetId: row.targetId, attempts, status: e.status, code: e.code, err: e.message },
        'outbox: message given up',
      );
      return;
    }
    if (outcome.kind === 'sent') {
      const done = await this.db.outboxMessage.updateMany({
        where: mine,
        data: {
          status: 'sent', lockedUntil: null, lastError: null, messageId: outcome.messageId, sentAt: this.clock(),
          ...(outcome.targetId ? { targetId: outcome.targetId } : {}),
          // What a deferred card said when it went out (a retry makes it again from the state of then).
          ...(rendered !== undefined ? { content: rendered } : {}),
        },
      });
      if (done.count === 1) this.metrics.messagesSent.inc({ op: row.op });
      else this.log.warn({ outboxId: id }, 'outbox: claim expired during the send; another worker owns the row now');
    } else if (outcome.kind === 'defer') {
      // Not an attempt: waiting for something else to happen first.
      await this.db.outboxMessage.updateMany({
        where: mine,
        data: { status: 'pending', lockedUntil: null, nextAttemptAt: new Date(Date.now() + this.retryBaseMs), attempts: { decrement: 1 }, lastError: outcome.why },
      });
    } else if (outcome.kind === 'dropped') {
      await this.db.outboxMessage.updateMany({ where: mine, data: { status: 'dropped', lockedUntil: null, attempts: { decrement: 1 }, lastError: outcome.why } });
      this.log.info(`outbox: ${row.render} card ${id} not sent: ${outcome.why}`);
    } else {
      await this.db.outboxMessage.updateMany({ where: mine, data: { status: 'dead', lockedUntil: null, lastError: outcome.why } });
      this.log.error({ outboxId: id, op: row.op, targetId: row.targetId, err: outcome.why }, 'outbox: message given up');
    }
  }

  /**
   * A deferred card made now by its renderer and checked as enqueue checks a card; or why it is not sent:
   * 'dropped' when the renderer finds nothing left to say (the step was decided, the project closed), 'dead'
   * when nothing can make it or what was made breaks Lark's rules. A failing renderer (e.g. the database
   * away) throws, and the row is tried again like a failed send.
   */
  private async rendered(row: OutboxRow): Promise<ReadyRow | Extract<Outcome, { kind: 'dead' | 'dropped' }>> {
    const renderer = row.render ? this.renderers.get(row.render) : undefined;
    if (!row.render) return { kind: 'dead', why: 'no content and no renderer' };
    if (!renderer) return { kind: 'dead', why: `no renderer named ${row.render}` };
    const card = await renderer({ render: row.render, refType: row.refType, refId: row.refId, receiveId: row.receiveId, createdAt: row.createdAt });
    if (card === null) return { kind: 'dropped', why: 'nothing left to send' };
    const content = cardContent(card);
    try {
      check({ op: 'send', receiveIdType: 'open_id', receiveId: row.receiveId ?? '', msgType: 'interactive', content });
    } catch (err) {
      return { kind: 'dead', why: `the ${row.render} card: ${err instanceof Error ? err.message : String(err)}` };
    }
    return { ...row, content };
  }

  private backoff(attempts: number): number {
    const base = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(base * (1 + Math.random() * 0.1)); // jitter only adds, so two workers spread out
  }

  private async send(row: ReadyRow): Promise<Outcome> {
    switch (row.op) {
      case 'send': {
        if (row.receiveIdType !== 'open_id' && row.receiveIdType !== 'chat_id') return { kind: 'dead', why: `unsupported receiveIdType ${row.receiveIdType}` };
        const { messageId } = await this.api.send(row.receiveIdType, row.receiveId ?? '', row.msgType, row.content, row.uuid);
        return { kind: 'sent', messageId };
      }
      case 'reply': {
        const { messageId } = await this.api.reply(row.targetId ?? '', row.msgType, row.content, row.uuid);
        return { kind: 'sent', messageId };
      }
      case 'patch': {
        const target = await this.patchTarget(row);
        if (target.kind !== 'ready') return target;
        await this.api.patch(target.messageId, row.content);
        return { kind: 'sent', messageId: target.messageId, targetId: target.messageId };
      }
      case 'card_update': {
        // The token works 30 minutes and twice (each attempt may have used it); after that, or when Lark
        // refuses it, the clicked card is patched by its message id (our cards carry update_multi).
        const fallback = row.receiveIdType === 'message_id' && row.receiveId ? row.receiveId : undefined;
        const expiresAt = row.refType === CARD_TOKEN_REF ? Number(row.refId) : NaN;
        const tokenUsable = row.attempts <= CARD_TOKEN_USES && !(Date.now() >= expiresAt);
        if (tokenUsable || !fallback) {
          try {
            await this.api.cardUpdate(row.targetId ?? '', JSON.parse(row.content) as CardJson);
            return { kind: 'sent', messageId: null };
          } catch (err) {
            if (!fallback || (err instanceof LarkApiError && err.retryable)) throw err;
            this.log.warn({ outboxId: row.id, err: err instanceof Error ? err.message : String(err) }, 'outbox: delayed card update refused; patching the card instead');
          }
        }
        await this.api.patch(fallback, row.content);
        return { kind: 'sent', messageId: fallback, targetId: fallback };
      }
      default:
        return { kind: 'dead', why: `unknown op ${row.op}` };
    }
  }

  /** The message a patch applies to; waits while that card is unsent or an earlier patch of it is unfinished. */
  private async patchTarget(row: ReadyRow): Promise<{ kind: 'ready'; messageId: string } | Exclude<Outcome, { kind: 'sent' }>> {
    let messageId = row.targetId ?? '';
    if (messageId.startsWith(OUTBOX_TARGET)) {
      const source = await this.db.outboxMessage.findUnique({ where: { id: Number(messageId.slice(OUTBOX_TARGET.length)) } });
      if (!source || source.status === 'dead') return { kind: 'dead', why: 'the card to update was never delivered' };
      if (!source.messageId) return { kind: 'defer', why: 'waiting for the card to be delivered' };
      messageId = source.messageId;
    }
    const earlier = await this.db.outboxMessage.count({
      where: { op: 'patch', id: { lt: row.id }, status: { in: ['pending', 'sending'] }, targetId: { in: [messageId, row.targetId ?? messageId] } },
    });
    if (earlier > 0) return { kind: 'defer', why: 'waiting for an earlier update of this card' };
    return { kind: 'ready', messageId };
  }
}
