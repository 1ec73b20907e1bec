// The bot's own open_id, learnt once from the Open Platform (GET /open-apis/bot/v3/info) when the service
// starts, whichever transport brings the events. In a group the bot answers only messages that @mention
// this open_id. Learning it must never stop the service: a failure is logged once and tried again later;
// until it is known, callers fall back to "any @mention addresses the bot".
import type { BotIdentity } from './types.ts';

export interface IdentitySource {
  /** The bot's identity; waits for a fetch in flight; undefined while unknown. */
  current(): Promise<BotIdentity | undefined>;
}

export interface BotIdentityOptions {
  fetch: () => Promise<BotIdentity>;
  log: { info(msg: string): void; warn(msg: string): void };
  /** First retry after a failure; doubles up to `maxRetryMs`. Default 60 s. */
  retryMs?: number;
  /** Default 30 min. */
  maxRetryMs?: number;
}

export class BotIdentityLoader implements IdentitySource {
  private known?: BotIdentity;
  private pending?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private stopped = false;

  constructor(private readonly opts: BotIdentityOptions) {}

  /** Starts the first fetch (in the background). */
  start(): void {
    if (!this.known && !this.pending && !this.stopped) this.load();
  }

  async current(): Promise<BotIdentity | undefined> {
    if (!this.known && this.pending) await this.pending;
    return this.known;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private load(): void {
    this.pending = this.opts.fetch().then(
      (identity) => {
        this.known = identity;
        if (this.failures > 0) this.opts.log.info(`Lark: learnt the bot's open_id ${identity.openId}; group messages now need an @mention of the bot`);
      },
      (err: Error) => {
        this.failures += 1;
        // One line, once: until it is known, any @mention in a group counts as addressing the bot.
        if (this.failures === 1) this.opts.log.warn(`Lark: could not learn the bot's open_id (${err.message}); answering group messages with any @mention until it is known, retrying in the background`);
        if (this.stopped) return;
        const delay = Math.min((this.opts.retryMs ?? 60_000) * 2 ** (this.failures - 1), this.opts.maxRetryMs ?? 30 * 60_000);
        this.timer = setTimeout(() => this.load(), delay);
        this.timer.unref();
      },
    ).finally(() => {
      this.pending = undefined;
    });
  }
}
