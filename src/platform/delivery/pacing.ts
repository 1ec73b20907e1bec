// Pacing of the outbox's sends to Lark's limits: in this process (Pacer: spacing and sliding windows per
// key) and across every replica on one PostgreSQL (SharedPacer: the next free slot per key in the database).
import type { Db } from '../db/client.ts';

/** At most `max` requests per `windowMs`, over any window (sliding, as the stand-in counts). */
export interface WindowLimit {
  max: number;
  windowMs: number;
}

/**
 * Pacing per key, in real time: a minimum spacing between sends (smooth token buckets of size 1) and
 * sliding windows. A send counts in a window from when it starts until `windowMs` after its answer came:
 * Lark counts it when it arrives, which is somewhere in between, so the limit holds whatever the latency.
 */
export class Pacer {
  private readonly next = new Map<string, number>();
  /** key → answer times of finished sends still within the longest window, oldest first. */
  private readonly done = new Map<string, number[]>();
  private readonly inflight = new Map<string, number>();

  constructor(
    private readonly intervalOf: (key: string) => number,
    private readonly windowsOf: (key: string) => WindowLimit[],
  ) {}

  /** Milliseconds until every key allows a send; Infinity while only a send in flight can free a window. */
  wait(keys: string[], now: number): number {
    let wait = Math.max(0, ...keys.map((k) => (this.next.get(k) ?? 0) - now));
    for (const k of keys) {
      const done = this.done.get(k) ?? [];
      const inflight = this.inflight.get(k) ?? 0;
      for (const w of this.windowsOf(k)) {
        let from = 0;
        while (from < done.length && done[from] <= now - w.windowMs) from++;
        const over = inflight + (done.length - from) - w.max; // free one more than this
        if (over < 0) continue;
        const i = from + over;
        wait = Math.max(wait, i < done.length ? done[i] + w.windowMs - now + 1 : Infinity);
      }
    }
    return wait;
  }

  take(keys: string[], now: number): void {
    for (const k of keys) {
      this.next.set(k, Math.max(this.next.get(k) ?? 0, now) + this.intervalOf(k));
      this.inflight.set(k, (this.inflight.get(k) ?? 0) + 1);
    }
    if (this.next.size > 10_000) for (const [k, t] of this.next) if (t < now) this.next.delete(k);
  }

  /** The send taken for these keys got its answer (or failed) at `now`. */
  finish(keys: string[], now: number): void {
    for (const k of keys) {
      const n = (this.inflight.get(k) ?? 1) - 1;
      if (n > 0) this.inflight.set(k, n);
      else this.inflight.delete(k);
      const longest = Math.max(0, ...this.windowsOf(k).map((w) => w.windowMs));
      const done = (this.done.get(k) ?? []).filter((t) => t > now - longest);
      done.push(now);
      this.done.set(k, done);
    }
    if (this.done.size > 10_000) {
      for (const [k, times] of this.done) {
        const longest = Math.max(0, ...this.windowsOf(k).map((w) => w.windowMs));
        if (!this.inflight.has(k) && times.every((t) => t <= now - longest)) this.done.delete(k);
      }
    }
  }

  /** Nothing for these keys before `until` (Lark said so). */
  block(keys: string[], until: number): void {
    for (const k of keys) this.next.set(k, Math.max(this.next.get(k) ?? 0, until));
  }
}

/**
 * Pacing shared by every replica on one PostgreSQL: per key (the app, a chat, an updated message) one row
 * of "Lease" named `pace:<key>` whose expiresAt is the next free slot. A sender reserves its slot with one
 * atomic upsert (GREATEST(next, now) + interval, on the database's clock, so the replicas' clocks do not
 * matter) and waits until it comes. The chat's slot is taken first and the app's no earlier than it, so the
 * send happens at the app slot it holds: sends are spaced by the interval whatever the number of replicas.
 */
export class SharedPacer {
  constructor(
    private readonly db: Db,
    private readonly intervalOf: (key: string) => number,
  ) {}

  /** Reserves a slot of every key (the lane first, the app last); resolves when the last has come. */
  async pace(keys: string[]): Promise<void> {
    let waitMs = 0;
    for (const key of [...keys].reverse()) waitMs = await this.reserve(key, waitMs);
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  }

  /** Milliseconds from now until this key's reserved slot, which is at least `notBeforeMs` from now. */
  private async reserve(key: string, notBeforeMs: number): Promise<number> {
    const secs = this.intervalOf(key) / 1000;
    const after = notBeforeMs / 1000;
    const rows = await this.db.$queryRaw<Array<{ wait: number }>>`
      INSERT INTO "Lease" ("name", "holder", "expiresAt")
      VALUES (${`pace:${key}`}, 'pace', clock_timestamp() + make_interval(secs => ${after}::float8) + make_interval(secs => ${secs}::float8))
      ON CONFLICT ("name") DO UPDATE SET "expiresAt" =
        GREATEST("Lease"."expiresAt", clock_timestamp() + make_interval(secs => ${after}::float8)) + make_interval(secs => ${secs}::float8)
      RETURNING (EXTRACT(EPOCH FROM ("expiresAt" - clock_timestamp())) * 1000 - ${secs * 1000}::float8)::float8 AS wait`;
    return Math.max(0, Math.ceil(Number(rows[0]?.wait ?? 0)));
  }

  /** No slot of these keys before `untilMs` from now (Lark said so). */
  async block(keys: string[], untilMs: number): Promise<void> {
    for (const key of keys) {
      const after = untilMs / 1000;
      await this.db.$executeRaw`
        INSERT INTO "Lease" ("name", "holder", "expiresAt") VALUES (${`pace:${key}`}, 'pace', clock_timestamp() + make_interval(secs => ${after}::float8))
        ON CONFLICT ("name") DO UPDATE SET "expiresAt" = GREATEST("Lease"."expiresAt", clock_timestamp() + make_interval(secs => ${after}::float8))`;
    }
  }
}

/**
 * Lark's send limits (频控策略 and the message API pages): 50/s and 1000/min per app, 5/s per chat or user
 * (all bots in a group share it) and 5/s per updated message. The outbox keeps to all of them at once.
 */
export const DEFAULT_PACING = Object.freeze({ appRate: 50, appPerMinute: 1000, minuteMs: 60_000, chatRate: 5 });
