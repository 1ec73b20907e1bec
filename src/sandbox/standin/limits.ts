// Feishu's send limits as the Lark stand-in enforces them: the limits, the sliding windows that count the
// requests accepted, and the gateway's refusal when one is full.
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Feishu's send limits, as the stand-in enforces them (sliding windows over the requests it accepted).
 * - 50/s and 1000/min per app, per API: "接口频率限制 1000 次/分钟、50 次/秒" on the pages of
 *   发送消息 https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/create,
 *   回复消息 https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/reply and
 *   更新已发送的消息卡片 https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/patch;
 *   频控策略 https://open.feishu.cn/document/ukTMukTMukTM/uUzN04SN3QjL1cDN: limits apply per API, per app,
 *   per tenant, and reaching either the QPS or the QPM limit throttles.
 * - 5/s per user and per group chat, shared by all bots in the group (使用限制 on the 发送消息 and 回复消息
 *   pages); sends and replies into one chat share it here (both pages word it as "向同一群组发送消息").
 * - 5/s per message for PATCH (更新已发送的消息卡片, 使用限制: 单条消息更新频控为 5 QPS).
 * The docs do not say whether the windows slide or are fixed; a sliding window is the stricter reading
 * (whatever passes it passes fixed windows too). They do not say whether refused requests count: here they do not.
 */
export interface RateLimits {
  /** Requests per second per app and API. */
  perSecond: number;
  /** Requests per minute per app and API. */
  perMinute: number;
  /** Messages per second into one chat (send and reply). */
  perChat: number;
  /** PATCHes per second of one message. */
  perMessageUpdate: number;
  /** Length of "a second" and "a minute", ms (tests may shrink the minute). */
  secondMs: number;
  minuteMs: number;
}

export const FEISHU_RATE_LIMITS: Readonly<RateLimits> = Object.freeze({
  perSecond: 50,
  perMinute: 1000,
  perChat: 5,
  perMessageUpdate: 5,
  secondMs: 1000,
  minuteMs: 60_000,
});

/** One limit a request falls under: at most `max` accepted requests with this key per `windowMs`. */
export interface Limit {
  key: string;
  max: number;
  windowMs: number;
}

/** What a full limit answers: the seconds until it frees a slot, its size and its key. */
export interface FullLimit {
  resetSec: number;
  max: number;
  key: string;
}

/** Sliding windows over the requests accepted, by limit key. */
export class RateWindows {
  /** Rate-limit key → times of the requests accepted, oldest first. */
  private readonly windows = new Map<string, number[]>();

  /**
   * Counts one request against every limit it falls under, or none if one of them is full: then returns
   * the seconds until that limit frees a slot (Feishu's x-ogw-ratelimit-reset) and the limit.
   */
  admit(limits: readonly Limit[], now: number): FullLimit | undefined {
    for (const l of limits) {
      const times = this.windows.get(l.key) ?? [];
      while (times.length > 0 && times[0] <= now - l.windowMs) times.shift();
      if (times.length >= l.max) {
        const freeAt = times[times.length - l.max] + l.windowMs;
        return { resetSec: Math.max(1, Math.ceil((freeAt - now) / 1000)), max: l.max, key: l.key };
      }
    }
    for (const l of limits) {
      const times = this.windows.get(l.key) ?? [];
      times.push(now);
      this.windows.set(l.key, times);
    }
    return undefined;
  }
}

/** The stand-in's side of the limits (LarkStandInState): what is enforced, the windows, the refusals so far. */
export interface RateGuard {
  rateLimits: RateLimits | undefined;
  admit(limits: readonly Limit[]): FullLimit | undefined;
  readonly throttled: { at: number; method: string; path: string; limit: string }[];
}

export type ApiName = 'send' | 'reply' | 'patch';

/** The limits a call to `api` falls under (see RateLimits); `scope` is the chat, or the message patched. */
export function limitsOf(r: RateLimits, api: ApiName, scope: string): Limit[] {
  const limits: Limit[] = [
    { key: `${api}:second`, max: r.perSecond, windowMs: r.secondMs },
    { key: `${api}:minute`, max: r.perMinute, windowMs: r.minuteMs },
  ];
  if (api === 'patch') limits.push({ key: `message:${scope}`, max: r.perMessageUpdate, windowMs: r.secondMs });
  else limits.push({ key: `chat:${scope}`, max: r.perChat, windowMs: r.secondMs });
  return limits;
}

/**
 * Refuses the call as Feishu's gateway does when a limit is full (频控策略: HTTP 429, code 99991400, headers
 * x-ogw-ratelimit-limit and x-ogw-ratelimit-reset in seconds); returns true when it did. The send page does
 * not give the code of a per-chat refusal; the same answer is used (the bot also waits out 230020).
 */
export function throttled(state: RateGuard, req: FastifyRequest, reply: FastifyReply, api: ApiName, scope: string): boolean {
  if (!state.rateLimits) return false;
  const full = state.admit(limitsOf(state.rateLimits, api, scope));
  if (!full) return false;
  state.throttled.push({ at: Date.now(), method: req.method, path: new URL(req.url, 'http://standin').pathname, limit: full.key });
  reply
    .code(429)
    .header('x-ogw-ratelimit-limit', String(full.max))
    .header('x-ogw-ratelimit-reset', String(full.resetSec))
    .send({ code: 99991400, msg: 'request trigger frequency limit' });
  return true;
}
