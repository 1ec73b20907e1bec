// What the Lark stand-in knows (tokens, messages delivered, files, users, card-update tokens, faults to inject)
// and what a test can change, with the options it is created with.
import { randomBytes } from 'node:crypto';
import { FEISHU_RATE_LIMITS, RateWindows, type FullLimit, type Limit, type RateLimits } from './limits.ts';

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

export const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
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
  /** The requests accepted, counted against the rate limits (times of this.now()). */
  private readonly windows = new RateWindows();

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
  admit(limits: readonly Limit[]): FullLimit | undefined {
    return this.windows.admit(limits, this.now());
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
