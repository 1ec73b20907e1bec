// Durable inbox: every event is recorded by id before it is answered, so a re-sent event (Lark re-sends
// what it did not get a 200 for within 3 s), a restart or a second process never handles it twice.
import { assertValidCard } from '../cards/validate.ts';
import type { Db } from '../db/client.ts';
import { isUniqueViolation } from '../db/client.ts';
import { CARD_TOKEN_REF, CARD_TOKEN_TTL_MS, type CardActionEvent, type CardReply, type MessageEvent, type OutgoingMessage } from '../lark/types.ts';
import { cardContent, enqueue, textContent } from './outbox.ts';
import type { Normalised } from '../lark/intake.ts';
import type { Bot } from '../bot/router.ts';
import type { Services } from '../bot/services.ts';
import { userText } from '../lark/text.ts';

const CARD_BUDGET_MS = 2500;
/** Card actions worked on at once; past it a click is answered "正在处理" at once and handled after. */
const MAX_CARDS_IN_FLIGHT = 64;
/**
 * A claim on an event is a short lease (app clock), renewed every third of it while the handler runs: when
 * the holder dies, another process's retry pass (every RETRY_INTERVAL_MS) takes the event within seconds.
 */
export const LEASE_MS = 4_000;
export const RETRY_INTERVAL_MS = 3_000;
/** A handler that threw is tried again after this times the attempts so far (a poison event is not hammered). */
const FAILED_RETRY_MS = 30_000;
const MAX_ATTEMPTS = 5;
/** Messages handled at the same time by one process; the rest wait their turn (already recorded). */
const MAX_HANDLING = 4;
/** Event ids written by one statement at most. */
const RECORD_BATCH = 500;

export const BUSY_REPLY: CardReply = { toast: { type: 'info', content: '已收到，正在处理，请稍候。' } };
const FAILED_TEXT = '处理失败，请稍后重试。如多次失败，请联系管理员。';
const FAILED_REPLY: CardReply = { toast: { type: 'error', content: FAILED_TEXT } };

export class Inbox {
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  private retryTimer?: NodeJS.Timeout;

  private readonly recorder: EventRecorder;
  /** Messages being handled now, and those waiting for a slot (at most MAX_HANDLING at a time). */
  private handling = 0;
  /** Events this process is handling now (see renewWhileWorking). */
  private readonly working = new Set<string>();
  private cardsInFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly services: Services, private readonly bot: Bot) {
    this.recorder = new EventRecorder(() => this.services.db);
  }

  private get db(): Db {
    return this.services.db;
  }

  /**
   * Takes one verified event. Messages: recorded, then handled in the background (the caller answers 200
   * at once). Card actions: recorded and handled within the 3 s budget; the answer is kept, so a re-sent
   * callback gets the same answer. Returns the card answer, or undefined for other events.
   *
   * `answered` (card actions) settles once the transport has handed the answer to Lark: the HTTP 200 was
   * written, or the long connection's ACK was sent. A delayed card update waits for it: Feishu says an
   * update before or in parallel with the answer fails or reverts
   * (https://open.feishu.cn/document/ukTMukTMukTM/uMDO1YjLzgTN24yM4UjN).
   */
  async accept(ev: Normalised, answered: Promise<unknown> = Promise.resolve(), arrivedAt = Date.now()): Promise<CardReply | undefined> {
    const { metrics } = this.services;
    if (ev.kind === 'ignored') {
      metrics.eventsReceived.inc({ type: ev.eventType, outcome: 'ignored' });
      return undefined;
    }
    if (ev.kind === 'card') return this.answerCard(ev, answered, arrivedAt);
    if (!(await this.record(ev))) {
      metrics.eventsReceived.inc({ type: 'message', outcome: 'duplicate' });
      return undefined;
    }
    metrics.eventsReceived.inc({ type: 'message', outcome: 'accepted' });
    this.track(this.slot(() => this.process(ev.eventId, ev)));
    return undefined;
  }

  /**
   * Handles events a crash left unhandled (messages, and card clicks whose answer never came): those not
   * handled and whose lease ran out. Called on start and by the retry pass.
   */
  async resume(): Promise<number> {
    const rows = await this.db.processedEvent.findMany({
      where: { status: 'received', eventType: { in: ['message', 'card'] }, OR: [{ lockedUntil: null }, { lockedUntil: { lt: this.services.clock() } }] },
      select: { eventId: true, eventType: true },
      orderBy: { receivedAt: 'asc' },
      take: 500,
    });
    for (const r of rows) {
      if (this.working.has(r.eventId)) continue; // still in this process's hands
      await (r.eventType === 'card' ? this.resumeCard(r.eventId) : this.process(r.eventId));
    }
    return rows.length;
  }

  /**
   * Every `intervalMs`, hands events whose handling failed (or whose process died) to `resume` again,
   * up to MAX_ATTEMPTS tries each.
   */
  startRetries(intervalMs = RETRY_INTERVAL_MS): void {
    if (this.closed) return;
    clearInterval(this.retryTimer);
    this.retryTimer = setInterval(() => {
      this.track(this.resume().then(
        () => undefined,
        (err) => this.services.log.error({ err }, 'retrying unhandled events failed'),
      ));
    }, intervalMs);
    this.retryTimer.unref();
  }

  /** Waits for background handling to finish (graceful shutdown, tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.retryTimer);
    await this.idle();
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    p.finally(() => this.inFlight.delete(p));
  }

  /** Records the event's id; false when it was recorded before (a re-delivery). Group-committed: see EventRecorder. */
  private record(ev: MessageEvent | CardActionEvent): Promise<boolean> {
    return this.recorder.record({
      eventId: ev.eventId,
      eventType: ev.kind,
      // A card click keeps its event too, so another process can finish it if this one dies.
      payload: JSON.stringify(ev),
      lockedUntil: ev.kind === 'card' ? this.leaseEnd() : null,
    });
  }

  private async previousAnswer(eventId: string): Promise<CardReply> {
    const row = await this.db.processedEvent.findUnique({ where: { eventId } });
    if (row?.response) return JSON.parse(row.response) as CardReply;
    return BUSY_REPLY;
  }

  /**
   * Records and handles a card action, answering within CARD_BUDGET_MS of its arrival (`arrivedAt`, when
   * the request reached the server: time spent queued before this call counts, and so does recording: a
   * slow database must not make Lark wait). When the budget runs out first, or MAX_CARDS_IN_FLIGHT actions
   * are already being worked on, the user sees "正在处理" at once and the real answer follows when it is
   * ready (`deliverLate`).
   */
  private async answerCard(ev: CardActionEvent, answered: Promise<unknown>, arrivedAt: number): Promise<CardReply> {
    const { metrics } = this.services;
    // arrivedAt is also Lark's time for the token's 30 minutes, not the app clock.
    const budget = this.cardsInFlight >= MAX_CARDS_IN_FLIGHT ? 0 : Math.max(0, CARD_BUDGET_MS - (Date.now() - arrivedAt));
    this.cardsInFlight++;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), budget);
    });
    const work = (async (): Promise<{ reply: CardReply; fresh: boolean }> => {
      if (!(await this.record(ev))) {
        metrics.eventsReceived.inc({ type: 'card', outcome: 'duplicate' });
        return { reply: await this.previousAnswer(ev.eventId), fresh: false };
      }
      metrics.eventsReceived.inc({ type: 'card', outcome: 'accepted' });
      return { reply: await this.handleCard(ev), fresh: true };
    })();
    this.track(work.then(() => undefined, () => undefined).finally(() => this.cardsInFlight--));
    const first = await Promise.race([work, late]);
    clearTimeout(timer);
    const reply = first === 'late' ? BUSY_REPLY : first.reply;
    if (first === 'late') {
      this.track(work.then(
        // Only once Lark has the "正在处理" answer may the token update the card.
        ({ reply: answer, fresh }) => (fresh ? answered.then(() => this.deliverLate(ev, answer, arrivedAt)) : undefined),
        (err) => this.services.log.error({ err, eventId: ev.eventId }, 'card action failed after its answer'),
      ));
    }
    metrics.callbacksAnswered.inc({ toast: reply.toast?.type ?? 'none' });
    return reply;
  }

  /** Runs the card action's handler and keeps its answer for a re-sent callback. */
  private async handleCard(ev: CardActionEvent): Promise<CardReply> {
    let reply: CardReply;
    const heartbeat = this.renewWhileWorking(ev.eventId);
    try {
      reply = await this.bot.handleCardAction(ev);
      // The replacement card obeys the same rules as a sent one (Lark would show the user an error).
      if (reply.card) assertValidCard(reply.card);
    } catch (err) {
      this.services.log.error({ err, eventId: ev.eventId }, 'card action failed');
      reply = FAILED_REPLY;
    } finally {
      heartbeat.stop();
    }
    await this.db.processedEvent.update({
      where: { eventId: ev.eventId },
      data: { status: 'done', response: JSON.stringify(reply), payload: null, doneAt: this.services.clock(), lockedUntil: null },
    });
    return reply;
  }

  /**
   * The answer to a card action that came after the user was told "正在处理": its card replaces the clicked
   * card through the callback's delayed-update token (or a patch of the clicked message); a toast, which
   * can no longer be shown, becomes a reply under the card.
   */
  private async deliverLate(ev: CardActionEvent, reply: CardReply, arrivedAt: number): Promise<void> {
    const uuid = `late-${ev.eventId}`;
    let msg: OutgoingMessage | undefined;
    const expiresAt = arrivedAt + CARD_TOKEN_TTL_MS;
    if (reply.card && ev.token && Date.now() < expiresAt) {
      // The outbox patches the clicked message instead once the token is spent or expired.
      msg = {
        op: 'card_update',
        targetId: ev.token,
        msgType: 'interactive',
        content: cardContent(reply.card),
        uuid,
        ...(ev.messageId ? { receiveIdType: 'message_id' as const, receiveId: ev.messageId } : {}),
        refType: CARD_TOKEN_REF,
        refId: String(expiresAt),
      };
    } else if (reply.card && ev.messageId) {
      msg = { op: 'patch', targetId: ev.messageId, msgType: 'interactive', content: cardContent(reply.card), uuid };
    } else if (reply.toast && ev.messageId) {
      msg = { op: 'reply', targetId: ev.messageId, receiveId: ev.chatId, msgType: 'text', content: textContent(userText(reply.toast.content)), uuid };
    }
    if (!msg) return;
    await enqueue(this.db, [msg]);
    this.services.kickOutbox();
  }

  /**
   * Runs `fn` when fewer than MAX_HANDLING messages are being handled: a burst is recorded at once (and
   * answered), and handled a few at a time, so handling never starves the intake of the database.
   */
  private async slot(fn: () => Promise<void>): Promise<void> {
    if (this.handling >= MAX_HANDLING) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.handling++;
    try {
      await fn();
    } finally {
      this.handling--;
      this.waiting.shift()?.();
    }
  }

  /** Handles one recorded message; `fresh` is the event itself when it was recorded just now (saves reading it back). */
  private async process(eventId: string, fresh?: MessageEvent): Promise<void> {
    if (this.closed) return;
    const now = this.services.clock();
    const free = { OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] };
    // Claim: only one process (and one call) handles a row at a time. The attempt is counted in the same
    // write, before the handler runs, so a try whose process died (a poison message) counts too.
    const claimed = await this.db.processedEvent.updateMany({
      where: { eventId, status: 'received', attempts: { lt: MAX_ATTEMPTS }, ...free },
      data: { lockedUntil: this.leaseEnd(), attempts: { increment: 1 } },
    });
    if (claimed.count !== 1) return this.giveUpIfExhausted(eventId, free);
    const heartbeat = this.renewWhileWorking(eventId);
    const row = fresh ? { attempts: 1 } : await this.db.processedEvent.findUnique({ where: { eventId } });
    const ev = fresh ?? (row && 'payload' in row && row.payload ? (JSON.parse(row.payload, (k, v) => (k === 'createdAt' ? new Date(v) : v)) as MessageEvent) : undefined);
    if (!row || !ev) return heartbeat.stop();
    try {
      await this.bot.handleMessage(ev);
      heartbeat.stop();
      await this.db.processedEvent.update({ where: { eventId }, data: { status: 'done', payload: null, doneAt: this.services.clock(), lockedUntil: null } });
    } catch (err) {
      heartbeat.stop();
      this.services.log.error({ err, eventId }, 'message handling failed');
      // `row` was read after the claim counted this attempt.
      const failed = row.attempts >= MAX_ATTEMPTS;
      const retryAt = new Date(this.services.clock().getTime() + FAILED_RETRY_MS * row.attempts);
      await this.db.processedEvent.update({ where: { eventId }, data: { status: failed ? 'failed' : 'received', lockedUntil: failed ? null : retryAt } }).catch(() => {});
      // The last try failed: say so rather than leave the person waiting for an answer that never comes.
      if (failed) await this.tellFailed(ev).catch((e) => this.services.log.error({ err: e, eventId }, 'could not tell the sender'));
    }
  }

  /**
   * A row whose every try was taken and none finished (each process died while handling it, or its
   * lock ran out): given up, once, with the usual reply, instead of being tried again forever.
   */
  private async giveUpIfExhausted(eventId: string, free: object): Promise<void> {
    const gaveUp = await this.db.processedEvent.updateMany({
      where: { eventId, status: 'received', attempts: { gte: MAX_ATTEMPTS }, ...free },
      data: { status: 'failed', lockedUntil: null },
    });
    if (gaveUp.count !== 1) return;
    const row = await this.db.processedEvent.findUnique({ where: { eventId } });
    this.services.log.error({ eventId, attempts: row?.attempts }, 'message given up: its handling never finished');
    if (!row?.payload) return;
    const ev = JSON.parse(row.payload) as MessageEvent;
    await this.tellFailed(ev).catch((e) => this.services.log.error({ err: e, eventId }, 'could not tell the sender'));
  }

  private leaseEnd(): Date {
    return new Date(this.services.clock().getTime() + LEASE_MS);
  }

  /**
   * Renews the lease on an event being handled every third of it, until stopped. While this process works
   * on an event, its own retry pass leaves it alone even when a renewal could not be written (a database
   * locked longer than the lease): running a click twice would, e.g., register the lead twice.
   */
  private renewWhileWorking(eventId: string): { stop(): void } {
    this.working.add(eventId);
    const timer = setInterval(() => {
      this.db.processedEvent
        .updateMany({ where: { eventId, status: 'received' }, data: { lockedUntil: this.leaseEnd() } })
        .catch((err) => this.services.log.warn({ err, eventId }, 'renewing the lease on an event failed'));
    }, Math.floor(LEASE_MS / 3));
    timer.unref();
    return {
      stop: () => {
        clearInterval(timer);
        this.working.delete(eventId);
      },
    };
  }

  /**
   * A card click whose process died before answering it (its lease ran out): handled here, and its answer
   * delivered as a late one (delayed card update, a patch of the clicked card, or a reply under it). Lark
   * may still have shown the user an error for the missing answer; the card now shows the result.
   */
  private async resumeCard(eventId: string): Promise<void> {
    if (this.closed) return;
    const free = { OR: [{ lockedUntil: null }, { lockedUntil: { lt: this.services.clock() } }] };
    const claimed = await this.db.processedEvent.updateMany({
      where: { eventId, eventType: 'card', status: 'received', attempts: { lt: MAX_ATTEMPTS }, ...free },
      data: { lockedUntil: this.leaseEnd(), attempts: { increment: 1 } },
    });
    if (claimed.count !== 1) {
      // Every try died: given up without a reply (the click has no message to answer).
      await this.db.processedEvent.updateMany({ where: { eventId, eventType: 'card', status: 'received', attempts: { gte: MAX_ATTEMPTS }, ...free }, data: { status: 'failed', lockedUntil: null } });
      return;
    }
    const row = await this.db.processedEvent.findUnique({ where: { eventId } });
    if (!row?.payload) {
      // Recorded before clicks kept their event: nothing to run again.
      await this.db.processedEvent.update({ where: { eventId }, data: { status: 'failed', lockedUntil: null } });
      return;
    }
    const ev = JSON.parse(row.payload) as CardActionEvent;
    const reply = await this.handleCard(ev);
    await this.deliverLate(ev, reply, row.receivedAt.getTime());
  }

  private async tellFailed(ev: MessageEvent): Promise<void> {
    await enqueue(this.db, [{ op: 'reply', targetId: ev.messageId, receiveId: ev.chatId, msgType: 'text', content: textContent(FAILED_TEXT), uuid: `failed-${ev.eventId}` }]);
    this.services.kickOutbox();
  }
}

interface EventRow {
  eventId: string;
  eventType: string;
  payload: string | null;
  lockedUntil: Date | null;
}

/**
 * Group commit of event ids: the events that arrive while one write is under way are recorded together by
 * the next one (one read of the ids already known, one INSERT of the new ones), so a burst costs a few
 * database round trips instead of one per event, and every event is durable before it is answered.
 * Writes run one after another, so within this process no two can insert the same id; another process
 * inserting it meanwhile (PostgreSQL, two bots) makes the batch fail as a whole, and its events are then
 * recorded one by one, where the unique key decides.
 */
class EventRecorder {
  private queue: { row: EventRow; resolve: (fresh: boolean) => void; reject: (err: unknown) => void }[] = [];
  private flushing = false;

  constructor(private readonly db: () => Db) {}

  record(row: EventRow): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Let the events that arrived in the same turn of the event loop join this write.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, RECORD_BATCH);
      try {
        const fresh = await this.write(batch.map((b) => b.row));
        for (const b of batch) b.resolve(fresh.delete(b.row));
      } catch {
        for (const b of batch) this.one(b.row).then(b.resolve, b.reject);
      }
    }
    this.flushing = false;
  }

  /** Inserts the rows whose ids are new (the first of a repeated id); returns the rows inserted. */
  private async write(rows: EventRow[]): Promise<Set<EventRow>> {
    const ids = [...new Set(rows.map((r) => r.eventId))];
    const known = new Set((await this.db().processedEvent.findMany({ where: { eventId: { in: ids } }, select: { eventId: true } })).map((r) => r.eventId));
    const fresh = new Set<EventRow>();
    for (const r of rows) {
      if (known.has(r.eventId)) continue;
      known.add(r.eventId);
      fresh.add(r);
    }
    if (fresh.size) await this.db().processedEvent.createMany({ data: [...fresh] });
    return fresh;
  }

  private async one(row: EventRow): Promise<boolean> {
    try {
      await this.db().processedEvent.create({ data: row });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }
}
