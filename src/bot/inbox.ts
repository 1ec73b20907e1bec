// Durable inbox: every event is recorded by id before it is answered, so a re-sent event (Lark re-sends
// what it did not get a 200 for within 3 s), a restart or a second process never handles it twice.
import { assertValidCard } from '../cards/validate.ts';
import type { Db } from '../db/client.ts';
import { isUniqueViolation } from '../db/client.ts';
import type { CardActionEvent, CardReply, MessageEvent } from '../lark/types.ts';
import type { Normalised } from '../lark/intake.ts';
import type { Bot } from './router.ts';
import type { Services } from './services.ts';

const CARD_BUDGET_MS = 2500;
const LOCK_MS = 60_000;
const MAX_ATTEMPTS = 5;

export const BUSY_REPLY: CardReply = { toast: { type: 'info', content: '已收到，正在处理，请稍候。' } };

export class Inbox {
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  private retryTimer?: NodeJS.Timeout;

  constructor(private readonly services: Services, private readonly bot: Bot) {}

  private get db(): Db {
    return this.services.db;
  }

  /**
   * Takes one verified event. Messages: recorded, then handled in the background (the caller answers 200
   * at once). Card actions: recorded and handled within the 3 s budget; the answer is kept, so a re-sent
   * callback gets the same answer. Returns the card answer, or undefined for other events.
   */
  async accept(ev: Normalised): Promise<CardReply | undefined> {
    const { metrics } = this.services;
    if (ev.kind === 'ignored') {
      metrics.eventsReceived.inc({ type: ev.eventType, outcome: 'ignored' });
      return undefined;
    }
    const type = ev.kind === 'message' ? 'message' : 'card';
    const fresh = await this.record(ev);
    if (!fresh) {
      metrics.eventsReceived.inc({ type, outcome: 'duplicate' });
      if (ev.kind === 'card') return this.previousAnswer(ev.eventId);
      return undefined;
    }
    metrics.eventsReceived.inc({ type, outcome: 'accepted' });
    if (ev.kind === 'message') {
      this.track(this.process(ev.eventId));
      return undefined;
    }
    return this.answerCard(ev);
  }

  /** Handles events a crash left unhandled. Called on start. */
  async resume(): Promise<number> {
    const rows = await this.db.processedEvent.findMany({
      where: { status: 'received', eventType: 'message', OR: [{ lockedUntil: null }, { lockedUntil: { lt: this.services.clock() } }] },
      select: { eventId: true },
      orderBy: { receivedAt: 'asc' },
      take: 500,
    });
    for (const r of rows) await this.process(r.eventId);
    return rows.length;
  }

  /**
   * Every `intervalMs`, hands events whose handling failed (or whose process died) to `resume` again,
   * up to MAX_ATTEMPTS tries each.
   */
  startRetries(intervalMs = 60_000): void {
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

  private async record(ev: MessageEvent | CardActionEvent): Promise<boolean> {
    try {
      await this.db.processedEvent.create({
        data: {
          eventId: ev.eventId,
          eventType: ev.kind,
          payload: ev.kind === 'message' ? JSON.stringify(ev) : null,
          lockedUntil: ev.kind === 'card' ? new Date(this.services.clock().getTime() + LOCK_MS) : null,
        },
      });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  private async previousAnswer(eventId: string): Promise<CardReply> {
    const row = await this.db.processedEvent.findUnique({ where: { eventId } });
    if (row?.response) return JSON.parse(row.response) as CardReply;
    return BUSY_REPLY;
  }

  private async answerCard(ev: CardActionEvent): Promise<CardReply> {
    const { metrics, log } = this.services;
    const work = (async () => {
      let reply: CardReply;
      try {
        reply = await this.bot.handleCardAction(ev);
        // The replacement card obeys the same rules as a sent one (Lark would show the user an error).
        if (reply.card) assertValidCard(reply.card);
      } catch (err) {
        log.error({ err, eventId: ev.eventId }, 'card action failed');
        reply = { toast: { type: 'error', content: '处理失败，请稍后重试。如多次失败，请联系管理员。' } };
      }
      await this.db.processedEvent.update({
        where: { eventId: ev.eventId },
        data: { status: 'done', response: JSON.stringify(reply), doneAt: this.services.clock(), lockedUntil: null },
      });
      return reply;
    })();
    this.track(work.then(() => undefined, () => undefined));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<CardReply>((resolve) => {
      timer = setTimeout(() => resolve(BUSY_REPLY), CARD_BUDGET_MS);
    });
    const reply = await Promise.race([work, late]);
    clearTimeout(timer);
    metrics.callbacksAnswered.inc({ toast: reply.toast?.type ?? 'none' });
    return reply;
  }

  private async process(eventId: string): Promise<void> {
    if (this.closed) return;
    const now = this.services.clock();
    // Claim: only one process (and one call) handles a row at a time.
    const claimed = await this.db.processedEvent.updateMany({
      where: { eventId, status: 'received', OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
      data: { lockedUntil: new Date(now.getTime() + LOCK_MS), attempts: { increment: 1 } },
    });
    if (claimed.count !== 1) return;
    const row = await this.db.processedEvent.findUnique({ where: { eventId } });
    if (!row?.payload) return;
    const ev = JSON.parse(row.payload, (k, v) => (k === 'createdAt' ? new Date(v) : v)) as MessageEvent;
    try {
      await this.bot.handleMessage(ev);
      await this.db.processedEvent.update({ where: { eventId }, data: { status: 'done', payload: null, doneAt: this.services.clock(), lockedUntil: null } });
    } catch (err) {
      this.services.log.error({ err, eventId }, 'message handling failed');
      const failed = row.attempts + 1 >= MAX_ATTEMPTS;
      await this.db.processedEvent.update({ where: { eventId }, data: { status: failed ? 'failed' : 'received', lockedUntil: null } }).catch(() => {});
    }
  }
}
