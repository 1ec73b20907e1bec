// A stand-in of the Lark Open Platform (the few endpoints the bot uses), for tests and the local sandbox.
// It is a fastify plugin, so it can be mounted on the bot's own server, and `startLarkStandIn()` runs it
// alone on 127.0.0.1 with a random port. A test inspects and steers it through `LarkStandInState`.
//
// Paths and shapes follow the Open Platform. Error codes Lark documents are used where the bot depends on
// them (99991663/99991661 token, 99991400 rate limit, 99992402 invalid field); the remaining failure
// codes (unknown message, user or file) are stand-in choices: the bot only relies on `code != 0`.
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import { validateCard } from '../platform/cards/validate.ts';

export interface RecordedCall {
  /** Date.now() when the request arrived. */
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body; for multipart, `{ fields, files: { name: { filename, size } } }`. */
  body: unknown;
  /** HTTP status answered (set when the answer is sent). */
  status?: number;
}

export interface DeliveredMessage {
  messageId: string;
  /** The chat the message landed in (a p2p chat `oc_p2p_<open_id>` for messages to a user). */
  chatId: string;
  receiveIdType: string;
  receiveId: string;
  msgType: string;
  /** Content as first delivered (a JSON string). */
  content: string;
  /** Content after PATCH / card updates. */
  currentContent: string;
  uuid?: string;
  /** For replies: the message replied to. */
  parentId?: string;
  at: number;
  /** Every content replacement, in order. */
  updates: { at: number; content: string; via: 'patch' | 'card_update' }[];
}

export interface Delivery {
  chatId: string;
  messageId: string;
  at: number;
}

export interface StandInFile {
  name: string;
  data: Buffer;
  /** When set, the file can only be downloaded through this message. */
  messageId?: string;
}

/** A message a user sent (it exists in Lark before the bot hears of it); the bot may reply to it. */
export interface IncomingMessage {
  messageId: string;
  chatId: string;
  senderId: string;
  msgType: string;
  content: string;
  at: number;
}

export interface Fault {
  status: number;
  code?: number;
  msg?: string;
  /** Replaces the JSON body `{code, msg}`. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Only calls whose path contains this string. Default: every API call except the token endpoint. */
  path?: string;
}

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

export interface StandInOptions {
  /**
   * Feishu's send limits (FEISHU_RATE_LIMITS by default). `false` turns enforcement off: only for a test that
   * is about something else and must burst (none of the suite's tests does today).
   */
  rateLimits?: Partial<RateLimits> | false;
  /** The clock of the rate limits (default Date.now), so a test can step through a minute. */
  now?: () => number;
  appId?: string;
  appSecret?: string;
  /** Lifetime reported for tenant tokens, seconds (Lark: 7200). */
  tokenExpireSec?: number;
  /** The app's bot, as GET /open-apis/bot/v3/info answers (default STANDIN_BOT). */
  bot?: { openId: string; name: string };
}

export const STANDIN_APP_ID = 'cli_a1b2c3d4e5f60718';
export const STANDIN_APP_SECRET = 'standin-app-secret';
/** The stand-in app's bot: a group message must @mention this open_id to reach the bot under test. */
export const STANDIN_BOT = { openId: 'ou_botself01', name: '科招助手' } as const;

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
const RECEIVE_ID_TYPES = new Set(['open_id', 'user_id', 'union_id', 'email', 'chat_id']);
const MSG_TYPES = new Set(['text', 'post', 'image', 'file', 'audio', 'media', 'sticker', 'interactive', 'share_chat', 'share_user']);
// "文本消息请求体最大不能超过150KB；卡片及富文本消息请求体最大不能超过30KB": the limit is on the raw request body
// (https://open.feishu.cn/document/server-docs/im-v1/message/create,
// https://open.feishu.cn/document/server-docs/im-v1/message-card/patch), measured on the bytes received.
const CARD_LIMIT = 30 * 1024;
const TEXT_LIMIT = 150 * 1024;
/**
 * Answer to a card that breaks the Card JSON rules. The brief for this stand-in names 230099 (the im-v1 message
 * create page's error table lists 230099 for a card that cannot be created from its content); we could not read
 * that table in a stored copy of the page, so the exact code is unconfirmed. The bot only relies on `code != 0`.
 */
const CARD_CONTENT_ERROR = 230099;
/** Delayed-update token: 30 minutes, 2 uses (https://open.feishu.cn/document/ukTMukTMukTM/uMDO1YjLzgTN24yM4UjN). */
const CARD_TOKEN_TTL_MS = 30 * 60 * 1000;
const CARD_TOKEN_USES = 2;

/** What the stand-in knows and what a test can change. */
export class LarkStandInState {
  readonly appId: string;
  readonly appSecret: string;
  readonly tokenExpireSec: number;
  /** The app's bot (GET /open-apis/bot/v3/info). */
  readonly bot: { openId: string; name: string };
  /** Every request, in arrival order. */
  readonly calls: RecordedCall[] = [];
  /** Messages delivered (one per uuid), in delivery order. */
  readonly messages: DeliveredMessage[] = [];
  /** Deliveries in order, with the chat they went to (a repeated uuid adds none). */
  readonly deliveries: Delivery[] = [];
  /** open_id → user info answered by the contact API. */
  readonly users = new Map<string, { name: string }>();
  /** file_key → file (registered by a test, or uploaded). */
  readonly files = new Map<string, StandInFile>();
  /** Delayed card updates received. */
  readonly cardUpdates: { at: number; token: string; card: unknown; messageId?: string }[] = [];
  /** Milliseconds every API answer (not the token endpoint's) is held back AFTER the request took effect: a slow network. */
  delayMs = 0;
  /** Tenant tokens handed out so far. */
  tokensIssued = 0;
  /** The send limits enforced, or undefined when enforcement is off. */
  rateLimits: RateLimits | undefined;
  /** Requests refused for a rate limit, in order. */
  readonly throttled: { at: number; method: string; path: string; limit: string }[] = [];
  readonly now: () => number;

  private readonly validTokens = new Set<string>();
  private readonly faults: Fault[] = [];
  private readonly byUuid = new Map<string, DeliveredMessage>();
  private readonly cardTokens = new Map<string, { messageId?: string; uses: number; issuedAt: number; answered: boolean }>();
  /** Added to the clock (rate limits, card-token validity): a test moves time on with advanceClock. */
  private clockOffsetMs = 0;
  private seq = 0;
  /** Rate-limit key → times (this.now()) of the requests accepted, oldest first. */
  private readonly windows = new Map<string, number[]>();

  constructor(opts: StandInOptions = {}) {
    this.rateLimits = opts.rateLimits === false ? undefined : { ...FEISHU_RATE_LIMITS, ...opts.rateLimits };
    const base = opts.now ?? Date.now;
    this.now = () => base() + this.clockOffsetMs;
    this.appId = opts.appId ?? STANDIN_APP_ID;
    this.appSecret = opts.appSecret ?? STANDIN_APP_SECRET;
    this.tokenExpireSec = opts.tokenExpireSec ?? 7200;
    this.bot = { ...(opts.bot ?? STANDIN_BOT) };
  }

  /** The next `n` API calls (matching `fault.path`, if given) answer with this fault instead. */
  failNext(n: number, fault: Fault): void {
    for (let i = 0; i < n; i++) this.faults.push({ ...fault });
  }

  /** Pending faults not yet used. */
  get pendingFaults(): number {
    return this.faults.length;
  }

  /** Every token issued so far stops working (Lark answers 99991663); clients must fetch a new one. */
  invalidateTokens(): void {
    this.validTokens.clear();
  }

  /** Messages users sent (see registerIncoming), by message_id. */
  readonly incoming = new Map<string, IncomingMessage>();

  /**
   * A message a user sends in a chat (p2p: pass chatId = p2pChatId(openId)). Register it before handing the
   * event to the bot, as Lark has it before the event goes out; replies to unknown message ids are refused.
   * Returns its message_id.
   */
  registerIncoming(msg: { chatId: string; senderId: string; messageId?: string; msgType?: string; content?: string }): string {
    const messageId = msg.messageId ?? `om_${this.id()}`;
    this.incoming.set(messageId, {
      messageId,
      chatId: msg.chatId,
      senderId: msg.senderId,
      msgType: msg.msgType ?? 'text',
      content: msg.content ?? JSON.stringify({ text: '' }),
      at: Date.now(),
    });
    return messageId;
  }

  /** A file a user "sent" in `messageId`; returns its file_key. */
  registerFile(file: StandInFile): string {
    const key = `file_v3_${this.id()}`;
    this.files.set(key, file);
    return key;
  }

  /**
   * A card-update token as a card callback carries it. It works only after the callback was answered
   * (callbackAnswered), for 30 minutes, twice (see useCardToken).
   */
  issueCardToken(messageId?: string): string {
    const token = `c-${this.id()}`;
    this.cardTokens.set(token, { messageId, uses: 0, issuedAt: this.now(), answered: false });
    return token;
  }

  /** Whoever played Lark's client (harness, sandbox) received the bot's answer to the callback carrying `token`. */
  callbackAnswered(token: string): void {
    const t = this.cardTokens.get(token);
    if (t) t.answered = true;
  }

  /** Moves the stand-in's clock on (card tokens expire 30 minutes after their callback; rate windows pass). */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  message(messageId: string): DeliveredMessage | undefined {
    return this.messages.find((m) => m.messageId === messageId);
  }

  /** Deliveries to one chat (or one user's p2p chat: pass the open_id), in order. */
  deliveriesTo(chatOrOpenId: string): Delivery[] {
    const chatId = chatOrOpenId.startsWith('ou_') ? p2pChatId(chatOrOpenId) : chatOrOpenId;
    return this.deliveries.filter((d) => d.chatId === chatId);
  }

  /** Calls to a path (exact, or with `:param` segments as wildcards) and optional method. */
  callsTo(pathPattern: string, method?: string): RecordedCall[] {
    const re = new RegExp(`^${pathPattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\/:[^/]+/g, '/[^/]+')}$`);
    return this.calls.filter((c) => re.test(c.path) && (!method || c.method === method.toUpperCase()));
  }

  // ---- used by the plugin ----

  id(): string {
    this.seq += 1;
    return `${this.seq.toString(36).padStart(4, '0')}${randomBytes(6).toString('hex')}`;
  }

  issueToken(): string {
    const token = `t-${this.id()}`;
    this.validTokens.add(token);
    this.tokensIssued += 1;
    return token;
  }

  isValidToken(token: string): boolean {
    return this.validTokens.has(token);
  }

  takeFault(path: string): Fault | undefined {
    const i = this.faults.findIndex((f) => (f.path ? path.includes(f.path) : path !== TOKEN_PATH));
    if (i < 0) return undefined;
    return this.faults.splice(i, 1)[0];
  }

  deliver(msg: Omit<DeliveredMessage, 'messageId' | 'at' | 'currentContent' | 'updates'>): DeliveredMessage {
    if (msg.uuid) {
      const seen = this.byUuid.get(msg.uuid);
      if (seen) return seen;
    }
    const delivered: DeliveredMessage = { ...msg, messageId: `om_${this.id()}`, at: Date.now(), currentContent: msg.content, updates: [] };
    if (msg.uuid) this.byUuid.set(msg.uuid, delivered);
    this.messages.push(delivered);
    this.deliveries.push({ chatId: delivered.chatId, messageId: delivered.messageId, at: delivered.at });
    return delivered;
  }

  /**
   * Counts one request against every limit it falls under, or none if one of them is full: then returns
   * the seconds until that limit frees a slot (Feishu's x-ogw-ratelimit-reset) and the limit.
   */
  admit(limits: { key: string; max: number; windowMs: number }[]): { resetSec: number; max: number; key: string } | undefined {
    const now = this.now();
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

  /**
   * Feishu's rules for the delayed-update token (延时更新消息卡片,
   * https://open.feishu.cn/document/ukTMukTMukTM/uMDO1YjLzgTN24yM4UjN): the update must come after the
   * callback was answered ("并行执行或提前执行会出现更新失败或更新后立即复原"), the token is valid for 30
   * minutes and may be used 2 times. The page gives no error codes for these refusals: the stand-in answers
   * HTTP 400 with its field-validation code (the bot only relies on `code != 0`).
   */
  useCardToken(token: string): { ok: true; messageId?: string } | { ok: false; msg: string } {
    const t = this.cardTokens.get(token);
    if (!t) return { ok: false, msg: 'invalid token' };
    if (!t.answered) return { ok: false, msg: 'the callback carrying this token has not been answered yet' };
    if (this.now() - t.issuedAt > CARD_TOKEN_TTL_MS) return { ok: false, msg: 'token expired (valid 30 minutes)' };
    if (t.uses >= CARD_TOKEN_USES) return { ok: false, msg: 'token used up (2 uses)' };
    t.uses += 1;
    return { ok: true, messageId: t.messageId };
  }
}

export function p2pChatId(openId: string): string {
  return `oc_p2p_${openId}`;
}

export interface LarkStandInPluginOptions {
  state: LarkStandInState;
}

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export interface MultipartBody {
  fields: Record<string, string>;
  files: Record<string, MultipartPart>;
}

type Json = Record<string, unknown>;

function ok(data: unknown = {}): Json {
  return { code: 0, msg: 'success', data };
}

/** Lark's de-duplication uuid: at most 50 characters. */
function checkUuid(uuid: unknown): string | undefined {
  if (uuid === undefined) return undefined;
  return typeof uuid === 'string' && uuid.length <= 50 ? undefined : 'uuid must be a string of at most 50 characters';
}

function fail(reply: FastifyReply, status: number, code: number, msg: string) {
  return reply.code(status).send({ code, msg });
}

function asObject(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function isJsonString(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try {
    JSON.parse(v);
    return true;
  } catch {
    return false;
  }
}

/** An invalid card: Lark answers HTTP 400 with a card-content error. */
interface CardRefusal {
  code: number;
  msg: string;
}

function cardRefusal(card: unknown): CardRefusal | undefined {
  const checked = validateCard(card);
  return checked.ok ? undefined : { code: CARD_CONTENT_ERROR, msg: `Failed to create card content: ${checked.errors.join('; ')}` };
}

/**
 * Checks a message body as Lark does before accepting it; returns an error text, a card refusal, or undefined.
 * `bodyBytes` is the size of the raw request body as received.
 */
function checkContent(msgType: unknown, content: unknown, bodyBytes: number): string | CardRefusal | undefined {
  if (typeof msgType !== 'string' || !MSG_TYPES.has(msgType)) return 'msg_type is invalid';
  if (!isJsonString(content)) return 'content is not a JSON string';
  if (msgType === 'interactive' && bodyBytes > CARD_LIMIT) return `card request body is ${bodyBytes} bytes; it exceeds 30 KB`;
  if (bodyBytes > TEXT_LIMIT) return 'request body exceeds 150 KB';
  if (msgType === 'interactive') {
    const refused = cardRefusal(JSON.parse(content));
    if (refused) return refused;
  }
  const parsed = asObject(JSON.parse(content));
  if (msgType === 'text' && typeof parsed.text !== 'string') return 'text content needs a "text" field';
  if (msgType === 'file' && typeof parsed.file_key !== 'string') return 'file content needs a "file_key" field';
  return undefined;
}

export function parseMultipart(body: Buffer, contentType: string): MultipartBody {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const result: MultipartBody = { fields: {}, files: {} };
  if (!m) return result;
  const delimiter = Buffer.from(`--${m[1] ?? m[2]}`);
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // skip CRLF after delimiter and before the next one
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const data = part.subarray(headerEnd + 4);
      const name = /name="([^"]*)"/i.exec(headers)?.[1];
      const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
      const type = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1];
      if (name !== undefined) {
        if (filename !== undefined || type !== undefined) result.files[name] = { name, filename, contentType: type, data: Buffer.from(data) };
        else result.fields[name] = data.toString('utf8');
      }
    }
    pos = next;
  }
  return result;
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h && /^Bearer /i.test(h) ? h.slice(7).trim() : undefined;
}

function recordBody(body: unknown): unknown {
  if (body instanceof Buffer) return { bytes: body.length };
  const b = asObject(body);
  if (b.fields && b.files) {
    const files: Record<string, { filename?: string; size: number }> = {};
    for (const [k, f] of Object.entries(b.files as Record<string, MultipartPart>)) files[k] = { filename: f.filename, size: f.data.length };
    return { fields: b.fields, files };
  }
  return body;
}

function holdUnlessClosed(reply: FastifyReply, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      reply.raw.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    reply.raw.once('close', done);
  });
}

type ApiName = 'send' | 'reply' | 'patch';

/** The limits a call to `api` falls under (see RateLimits); `scope` is the chat, or the message patched. */
function limitsOf(r: RateLimits, api: ApiName, scope: string): { key: string; max: number; windowMs: number }[] {
  const limits = [
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
function throttled(state: LarkStandInState, req: FastifyRequest, reply: FastifyReply, api: ApiName, scope: string): boolean {
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

/** The Lark endpoints, as a fastify plugin. Register it without a prefix: paths start with /open-apis. */
export const larkStandInPlugin: FastifyPluginAsync<LarkStandInPluginOptions> = async (app, { state }) => {
  // JSON bodies are parsed here (this plugin's scope only) so the size checks see the raw bytes received.
  const bodyBytes = new WeakMap<FastifyRequest, number>();
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const raw = body as Buffer;
    bodyBytes.set(req, raw.length);
    if (raw.length === 0) return done(null, {});
    try {
      done(null, JSON.parse(raw.toString('utf8')));
    } catch {
      const err = new Error('request body is not valid JSON') as Error & { statusCode: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });
  const sizeOf = (req: FastifyRequest) => bodyBytes.get(req) ?? Number(req.headers['content-length'] ?? 0);
  const refuse = (reply: FastifyReply, bad: string | CardRefusal) =>
    typeof bad === 'string' ? fail(reply, 400, 99992402, `field validation failed: ${bad}`) : fail(reply, 400, bad.code, bad.msg);

  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: 32 * 1024 * 1024 }, (req, body, done) => {
    done(null, parseMultipart(body as Buffer, String(req.headers['content-type'] ?? '')));
  });

  const callOf = new WeakMap<FastifyRequest, RecordedCall>();

  app.addHook('preHandler', async (req, reply) => {
    const url = new URL(req.url, 'http://standin');
    const call: RecordedCall = {
      at: Date.now(),
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: recordBody(req.body),
    };
    state.calls.push(call);
    callOf.set(req, call);
    const fault = state.takeFault(call.path);
    if (fault) {
      if (fault.headers) reply.headers(fault.headers);
      return reply.code(fault.status).send(fault.body ?? { code: fault.code ?? fault.status, msg: fault.msg ?? 'injected fault' });
    }
    if (call.path === TOKEN_PATH) return;
    const token = bearer(req);
    if (!token) return reply.code(401).send({ code: 99991661, msg: 'Missing access token for authorization' });
    if (!state.isValidToken(token)) return reply.code(401).send({ code: 99991663, msg: 'Invalid access token for authorization' });
  });

  app.addHook('onSend', async (req, reply) => {
    const call = callOf.get(req);
    if (call) call.status = reply.statusCode;
    // Held answers end early when the client has gone away (e.g. a test killed it).
    if (state.delayMs > 0 && call?.path !== TOKEN_PATH) await holdUnlessClosed(reply, state.delayMs);
  });

  app.post(TOKEN_PATH, async (req, reply) => {
    const b = asObject(req.body);
    if (b.app_id !== state.appId || b.app_secret !== state.appSecret) return fail(reply, 400, 10014, 'app secret invalid');
    return { code: 0, msg: 'ok', tenant_access_token: state.issueToken(), expire: state.tokenExpireSec };
  });

  app.post('/open-apis/im/v1/messages', async (req, reply) => {
    const q = asObject(req.query);
    const b = asObject(req.body);
    const idType = q.receive_id_type;
    if (typeof idType !== 'string' || !RECEIVE_ID_TYPES.has(idType)) return fail(reply, 400, 99992402, 'field validation failed: receive_id_type');
    if (typeof b.receive_id !== 'string' || !b.receive_id) return fail(reply, 400, 99992402, 'field validation failed: receive_id');
    const bad = checkContent(b.msg_type, b.content, sizeOf(req)) ?? checkUuid(b.uuid);
    if (bad) return refuse(reply, bad);
    const chatId = idType === 'chat_id' ? b.receive_id : p2pChatId(b.receive_id);
    if (throttled(state, req, reply, 'send', chatId)) return reply;
    const msg = state.deliver({
      chatId,
      receiveIdType: idType,
      receiveId: b.receive_id,
      msgType: b.msg_type as string,
      content: b.content as string,
      uuid: typeof b.uuid === 'string' && b.uuid ? b.uuid : undefined,
    });
    return ok(messageView(msg, state.appId));
  });

  app.post<{ Params: { message_id: string } }>('/open-apis/im/v1/messages/:message_id/reply', async (req, reply) => {
    const parent = state.message(req.params.message_id) ?? state.incoming.get(req.params.message_id);
    if (!parent) return fail(reply, 400, 230001, 'invalid message_id');
    const b = asObject(req.body);
    const bad = checkContent(b.msg_type, b.content, sizeOf(req)) ?? checkUuid(b.uuid);
    if (bad) return refuse(reply, bad);
    if (throttled(state, req, reply, 'reply', parent.chatId)) return reply;
    const msg = state.deliver({
      chatId: parent.chatId,
      receiveIdType: 'chat_id',
      receiveId: parent.chatId,
      msgType: b.msg_type as string,
      content: b.content as string,
      uuid: typeof b.uuid === 'string' && b.uuid ? b.uuid : undefined,
      parentId: parent.messageId,
    });
    return ok(messageView(msg, state.appId));
  });

  app.patch<{ Params: { message_id: string } }>('/open-apis/im/v1/messages/:message_id', async (req, reply) => {
    const msg = state.message(req.params.message_id);
    if (!msg) return fail(reply, 400, 230001, 'invalid message_id');
    if (msg.msgType !== 'interactive') return fail(reply, 400, 230001, 'only card messages can be updated');
    const b = asObject(req.body);
    const bad = checkContent('interactive', b.content, sizeOf(req));
    if (bad) return refuse(reply, bad);
    if (throttled(state, req, reply, 'patch', msg.messageId)) return reply;
    msg.currentContent = b.content as string;
    msg.updates.push({ at: Date.now(), content: msg.currentContent, via: 'patch' });
    return ok();
  });

  app.post('/open-apis/interactive/v1/card/update', async (req, reply) => {
    const b = asObject(req.body);
    if (typeof b.token !== 'string' || typeof b.card !== 'object' || b.card === null) return fail(reply, 400, 99992402, 'field validation failed: token and card are required');
    const card = JSON.stringify(b.card);
    // The delayed update carries the card as an object; the 30 KB limit applies to the body as received.
    if (sizeOf(req) > CARD_LIMIT) return fail(reply, 400, 99992402, 'field validation failed: card request body exceeds 30 KB');
    const refused = cardRefusal(b.card);
    if (refused) return fail(reply, 400, refused.code, refused.msg);
    const used = state.useCardToken(b.token);
    if (!used.ok) return fail(reply, 400, 99992402, `field validation failed: ${used.msg}`);
    state.cardUpdates.push({ at: Date.now(), token: b.token, card: b.card, messageId: used.messageId });
    const msg = used.messageId ? state.message(used.messageId) : undefined;
    if (msg) {
      msg.currentContent = card;
      msg.updates.push({ at: Date.now(), content: card, via: 'card_update' });
    }
    return { code: 0, msg: 'success' };
  });

  // Lark's shape: the bot is at the top level, not under `data`.
  app.get('/open-apis/bot/v3/info', async () => ({
    code: 0,
    msg: 'ok',
    bot: { activate_status: 2, app_name: state.bot.name, avatar_url: '', ip_white_list: [], open_id: state.bot.openId },
  }));

  app.get<{ Params: { user_id: string } }>('/open-apis/contact/v3/users/:user_id', async (req, reply) => {
    const user = state.users.get(req.params.user_id);
    if (!user) return fail(reply, 400, 41050, 'no user authority');
    return ok({ user: { open_id: req.params.user_id, name: user.name } });
  });

  app.get<{ Params: { message_id: string; file_key: string } }>('/open-apis/im/v1/messages/:message_id/resources/:file_key', async (req, reply) => {
    const file = state.files.get(req.params.file_key);
    if (!file || (file.messageId && file.messageId !== req.params.message_id)) return fail(reply, 400, 234003, 'file not found in this message');
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`)
      .send(file.data);
  });

  app.post('/open-apis/im/v1/files', async (req, reply) => {
    const b = req.body as MultipartBody | undefined;
    const file = b?.files?.file;
    const name = b?.fields?.file_name;
    if (!file || !name || !b?.fields?.file_type) return fail(reply, 400, 99992402, 'field validation failed: file_type, file_name and file are required');
    if (file.data.length === 0) return fail(reply, 400, 99992402, 'field validation failed: empty file');
    const key = state.registerFile({ name, data: file.data });
    return ok({ file_key: key });
  });
};

function messageView(msg: DeliveredMessage, appId: string): Json {
  return {
    message_id: msg.messageId,
    ...(msg.parentId ? { root_id: msg.parentId, parent_id: msg.parentId } : {}),
    msg_type: msg.msgType,
    create_time: String(msg.at),
    update_time: String(msg.at),
    chat_id: msg.chatId,
    sender: { id: appId, id_type: 'app_id', sender_type: 'app' },
    body: { content: msg.content },
  };
}

export interface RunningStandIn {
  /** Base URL, e.g. http://127.0.0.1:41234 (use as the Lark `domain`). */
  url: string;
  state: LarkStandInState;
  close(): Promise<void>;
}

/** Runs the stand-in on 127.0.0.1 with a random port. */
export async function startLarkStandIn(opts: StandInOptions = {}): Promise<RunningStandIn> {
  const state = new LarkStandInState(opts);
  const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });
  await app.register(larkStandInPlugin, { state });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('stand-in did not get a TCP port');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    state,
    close: async () => {
      await app.close();
    },
  };
}
