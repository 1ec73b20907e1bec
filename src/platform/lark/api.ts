// The calls the bot makes to the Lark Open Platform, on top of the node-sdk Client.
//
// Everything goes through `client.request(...)` (the SDK adds the tenant token); the SDK's generated
// methods are not used because they hide what we need: `im.file.create` returns `data || null` and drops
// `code`, and errors carry the HTTP status and `x-ogw-ratelimit-reset` only on the raw axios error.
// Requests run through the SDK's own axios instance wrapped to add a timeout to every call, the token
// request included (the SDK sets none). Each API instance has its own token cache.
import { Client, defaultHttpInstance, LoggerLevel, type Cache, type HttpInstance, type HttpRequestOptions, type Logger } from '@larksuiteoapi/node-sdk';
import type { BotIdentity, CardJson } from './types.ts';

export interface LarkApi {
  send(receiveIdType: 'open_id' | 'chat_id', receiveId: string, msgType: string, content: string, uuid: string): Promise<{ messageId: string }>;
  reply(messageId: string, msgType: string, content: string, uuid: string): Promise<{ messageId: string }>;
  /** Replaces the card of an interactive message (it needs `config.update_multi: true`). */
  patch(messageId: string, content: string): Promise<void>;
  /** Delayed update through the token of a card callback. */
  cardUpdate(token: string, card: CardJson): Promise<void>;
  /** The user's display name, or undefined when Lark does not show this user to the app. */
  getUserName(openId: string): Promise<string | undefined>;
  /** A file a user sent in a message. */
  downloadResource(messageId: string, fileKey: string): Promise<Buffer>;
  /** Uploads a file to send as `msg_type: "file"`; returns its file_key. */
  uploadFile(name: string, data: Buffer): Promise<string>;
  /** The bot's own open_id and name (GET /open-apis/bot/v3/info). */
  getBotInfo(): Promise<BotIdentity>;
}

export interface LarkApiOptions {
  appId: string;
  appSecret: string;
  /** Base URL, e.g. https://open.feishu.cn (or http://127.0.0.1:PORT for the stand-in). */
  domain: string;
  /** Per request, token request included. Default 10 s. */
  timeoutMs?: number;
}

export interface LarkApiErrorInit {
  status?: number;
  code?: number;
  retryAfterSec?: number;
  retryable: boolean;
}

/** A failed Lark call. `retryable`: network error, timeout, 5xx or rate limit (then `retryAfterSec`). */
export class LarkApiError extends Error {
  readonly status?: number;
  readonly code?: number;
  readonly retryAfterSec?: number;
  readonly retryable: boolean;

  constructor(message: string, init: LarkApiErrorInit) {
    super(message);
    this.name = 'LarkApiError';
    this.status = init.status;
    this.code = init.code;
    this.retryAfterSec = init.retryAfterSec;
    this.retryable = init.retryable;
  }
}

/** Lark codes meaning "the tenant token is invalid/missing": clear the cache and retry once. */
export const TOKEN_INVALID_CODES: ReadonlySet<number> = new Set([99991663, 99991661]);
/** Lark's rate-limit code for the whole app (HTTP 429). */
export const RATE_LIMIT_CODE = 99991400;
/** "This operation triggers the frequency limit": too many messages to one chat (may come without a 429). */
export const CHAT_RATE_LIMIT_CODE = 230020;
/**
 * Throttled because Lark is under load (频控策略, https://open.feishu.cn/document/ukTMukTMukTM/uUzN04SN3QjL1cDN:
 * "因系统压力导致的 11232 限流错误", most likely at busy times such as full and half hours, which Lark advises
 * avoiding). The page gives neither its HTTP status nor a reset header: retried like a 429, after the
 * header's seconds if present, else 1 s, and it holds back the whole app meanwhile.
 */
export const LOAD_LIMIT_CODE = 11232;

const DEFAULT_TIMEOUT_MS = 10_000;

/** The token cache of one API instance (the SDK's default cache is shared by the whole process). */
class TokenCache implements Cache {
  private readonly values = new Map<string, { value: unknown; expiresAt?: number }>();

  private key(key: string | Symbol, namespace?: string): string {
    return `${namespace ?? ''}/${key.toString()}`;
  }

  async get(key: string | Symbol, options?: { namespace?: string }): Promise<unknown> {
    const hit = this.values.get(this.key(key, options?.namespace));
    if (!hit) return undefined;
    if (hit.expiresAt !== undefined && hit.expiresAt <= Date.now()) return undefined;
    return hit.value;
  }

  async set(key: string | Symbol, value: unknown, expiresAt?: number, options?: { namespace?: string }): Promise<boolean> {
    this.values.set(this.key(key, options?.namespace), { value, expiresAt });
    return true;
  }

  clear(): void {
    this.values.clear();
  }
}

/** The SDK's axios instance with a default timeout on every call. */
function withTimeout(base: HttpInstance, timeoutMs: number): HttpInstance {
  const opts = <D>(o?: HttpRequestOptions<D>): HttpRequestOptions<D> => ({ ...o, timeout: o?.timeout ?? timeoutMs });
  return {
    request: (o) => base.request(opts(o)),
    get: (url, o) => base.get(url, opts(o)),
    delete: (url, o) => base.delete(url, opts(o)),
    head: (url, o) => base.head(url, opts(o)),
    options: (url, o) => base.options(url, opts(o)),
    post: (url, data, o) => base.post(url, data, opts(o)),
    put: (url, data, o) => base.put(url, data, opts(o)),
    patch: (url, data, o) => base.patch(url, data, opts(o)),
  };
}

const quietLogger: Logger = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };

interface LarkBody {
  code?: number;
  msg?: string;
  data?: Record<string, unknown>;
}

/** Shape of an axios error, read structurally (axios is the SDK's dependency, not ours). */
interface HttpFailure {
  code?: string;
  message?: string;
  response?: { status?: number; headers?: Record<string, unknown>; data?: unknown };
}

function bodyOf(data: unknown): LarkBody | undefined {
  if (Buffer.isBuffer(data) || data instanceof ArrayBuffer) {
    try {
      return JSON.parse(Buffer.from(data as ArrayBuffer).toString('utf8')) as LarkBody;
    } catch {
      return undefined;
    }
  }
  if (typeof data === 'string') {
    try {
      return JSON.parse(data) as LarkBody;
    } catch {
      return undefined;
    }
  }
  return typeof data === 'object' && data !== null ? (data as LarkBody) : undefined;
}

function codeError(what: string, status: number | undefined, body: LarkBody | undefined, headers?: Record<string, unknown>): LarkApiError {
  const code = typeof body?.code === 'number' ? body.code : undefined;
  const resetRaw = headers?.['x-ogw-ratelimit-reset'];
  const reset = resetRaw === undefined ? NaN : Number(resetRaw);
  const rateLimited = status === 429 || code === RATE_LIMIT_CODE || code === CHAT_RATE_LIMIT_CODE || code === LOAD_LIMIT_CODE;
  const retryable = rateLimited || (status !== undefined && status >= 500);
  const detail = [status ? `HTTP ${status}` : '', code !== undefined ? `code ${code}` : '', body?.msg ?? ''].filter(Boolean).join(', ');
  return new LarkApiError(`${what}: ${detail || 'failed'}`, {
    status,
    code,
    retryable,
    retryAfterSec: rateLimited ? (Number.isFinite(reset) && reset >= 0 ? reset : 1) : undefined,
  });
}

/** Turns whatever the SDK/axios threw into a LarkApiError. */
function toLarkError(what: string, err: unknown): LarkApiError {
  if (err instanceof LarkApiError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpFailure;
  if (e.response && e.response.status !== undefined) {
    return codeError(what, e.response.status, bodyOf(e.response.data), e.response.headers);
  }
  const message = e.message ?? String(err);
  // The SDK throws a plain Error for a token answer without a token: "failed to get tenant_access_token, code: X, msg: Y".
  const tokenCode = /failed to get tenant_access_token, code: (\d+)/.exec(message);
  if (tokenCode) return new LarkApiError(`${what}: ${message}`, { code: Number(tokenCode[1]), retryable: false });
  // No response: timeout, refused, reset, DNS — worth another try.
  const timeout = e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT' || /timeout/i.test(message);
  return new LarkApiError(`${what}: ${timeout ? 'timed out' : 'network error'} (${e.code ?? message})`, { retryable: true });
}

export function createLarkApi(opts: LarkApiOptions): LarkApi {
  const cache = new TokenCache();
  const domain = opts.domain.replace(/\/+$/, '');
  const client = new Client({
    appId: opts.appId,
    appSecret: opts.appSecret,
    domain,
    cache,
    // The SDK's instance answers with the body (its response interceptor), which is what HttpInstance declares.
    httpInstance: withTimeout(defaultHttpInstance as unknown as HttpInstance, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    logger: quietLogger,
    loggerLevel: LoggerLevel.error,
  });

  // The SDK has no single-flight: several cold calls would each fetch a token. One fetch at a time here.
  let tokenFetch: Promise<unknown> | undefined;
  async function ensureToken(): Promise<void> {
    tokenFetch ??= client.tokenManager.getTenantAccessToken().finally(() => {
      tokenFetch = undefined;
    });
    await tokenFetch;
  }

  interface Call {
    method: 'GET' | 'POST' | 'PATCH';
    url: string;
    params?: Record<string, string>;
    data?: Record<string, unknown>;
    headers?: Record<string, string>;
    binary?: boolean;
  }

  async function once(what: string, call: Call): Promise<unknown> {
    try {
      await ensureToken();
      return await client.request({
        method: call.method,
        url: `${domain}${call.url}`,
        params: call.params,
        data: call.data,
        headers: call.headers,
        // For files: the raw bytes plus headers, to tell a file from a JSON error answered with HTTP 200.
        ...(call.binary ? { responseType: 'arraybuffer' as const, $return_headers: true } : {}),
      });
    } catch (err) {
      throw toLarkError(what, err);
    }
  }

  /** One call; `code != 0` is an error; an invalid token is cleared and the call retried once. */
  async function call(what: string, c: Call): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        let res = await once(what, c);
        if (c.binary) {
          const { data, headers } = res as { data: unknown; headers?: Record<string, unknown> };
          const json = /json/i.test(String(headers?.['content-type'] ?? ''));
          if (!json && (Buffer.isBuffer(data) || data instanceof ArrayBuffer)) return Buffer.from(data as ArrayBuffer);
          res = data;
        }
        const body = bodyOf(res);
        if (!body || body.code !== 0) throw codeError(what, 200, body);
        return body;
      } catch (err) {
        if (attempt === 1 && err instanceof LarkApiError && err.code !== undefined && TOKEN_INVALID_CODES.has(err.code)) {
          cache.clear();
          continue;
        }
        throw err;
      }
    }
  }

  const enc = encodeURIComponent;
  const messageIdOf = (what: string, body: unknown): string => {
    const id = (body as LarkBody).data?.message_id;
    if (typeof id !== 'string') throw new LarkApiError(`${what}: answer without message_id`, { retryable: false });
    return id;
  };

  return {
    async send(receiveIdType, receiveId, msgType, content, uuid) {
      const what = `send ${msgType} to ${receiveIdType} ${receiveId}`;
      const body = await call(what, {
        method: 'POST',
        url: '/open-apis/im/v1/messages',
        params: { receive_id_type: receiveIdType },
        data: { receive_id: receiveId, msg_type: msgType, content, uuid },
      });
      return { messageId: messageIdOf(what, body) };
    },

    async reply(messageId, msgType, content, uuid) {
      const what = `reply ${msgType} to ${messageId}`;
      const body = await call(what, {
        method: 'POST',
        url: `/open-apis/im/v1/messages/${enc(messageId)}/reply`,
        data: { msg_type: msgType, content, uuid },
      });
      return { messageId: messageIdOf(what, body) };
    },

    async patch(messageId, content) {
      await call(`patch card ${messageId}`, { method: 'PATCH', url: `/open-apis/im/v1/messages/${enc(messageId)}`, data: { content } });
    },

    async cardUpdate(token, card) {
      await call('delayed card update', { method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token, card } });
    },

    async getUserName(openId) {
      try {
        const body = (await call(`user ${openId}`, {
          method: 'GET',
          url: `/open-apis/contact/v3/users/${enc(openId)}`,
          params: { user_id_type: 'open_id' },
        })) as LarkBody;
        const user = body.data?.user as { name?: unknown } | undefined;
        return typeof user?.name === 'string' && user.name ? user.name : undefined;
      } catch (err) {
        // Lark refusing this one user (not visible to the app, unknown) is "no name", not a failure.
        if (err instanceof LarkApiError && !err.retryable && err.code !== undefined && !TOKEN_INVALID_CODES.has(err.code)) return undefined;
        throw err;
      }
    },

    async downloadResource(messageId, fileKey) {
      const res = await call(`download ${fileKey}`, {
        method: 'GET',
        url: `/open-apis/im/v1/messages/${enc(messageId)}/resources/${enc(fileKey)}`,
        params: { type: 'file' },
        binary: true,
      });
      if (!Buffer.isBuffer(res)) throw new LarkApiError(`download ${fileKey}: not a file`, { retryable: false });
      return res;
    },

    async uploadFile(name, data) {
      const what = `upload ${name}`;
      // axios turns a plain object into multipart/form-data when the content type says so.
      const body = (await call(what, {
        method: 'POST',
        url: '/open-apis/im/v1/files',
        headers: { 'Content-Type': 'multipart/form-data' },
        data: { file_type: 'stream', file_name: name, file: data },
      })) as LarkBody;
      const key = body.data?.file_key;
      if (typeof key !== 'string') throw new LarkApiError(`${what}: answer without file_key`, { retryable: false });
      return key;
    },

    async getBotInfo() {
      // This answer has no `data`: `{code, msg, bot: {open_id, app_name, activate_status, ...}}`.
      const body = (await call('bot info', { method: 'GET', url: '/open-apis/bot/v3/info' })) as { bot?: { open_id?: unknown; app_name?: unknown } };
      const openId = body.bot?.open_id;
      if (typeof openId !== 'string' || !openId) throw new LarkApiError('bot info: answer without bot.open_id', { retryable: false });
      return { openId, name: typeof body.bot?.app_name === 'string' ? body.bot.app_name : '' };
    },
  };
}
