// Checks and normalises what Lark posts to us: decryption (the SDK's AESCipher), signature, freshness,
// verification token, and the v2 / v1 / legacy-card envelopes. Pure functions: the HTTP route and the
// long-connection client both end in `normaliseEvent`.
import { createHash, timingSafeEqual } from 'node:crypto';
import { AESCipher } from '@larksuiteoapi/node-sdk';
import type { CardActionEvent, CardReply, Mention, MessageEvent } from './types.ts';

export interface IntakeSecrets {
  encryptKey?: string;
  verificationToken?: string;
}

export type Refusal = { status: 400 | 401; reason: string };

export type Verified =
  | { kind: 'challenge'; challenge: string }
  | { kind: 'event'; eventId: string; eventType: string; payload: Record<string, unknown> };

const MAX_SKEW_MS = 5 * 60 * 1000;

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function signatureOf(timestamp: string, nonce: string, encryptKey: string, rawBody: string): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey + rawBody).digest('hex');
}

/** Legacy card callbacks (消息卡片请求网址) sign with SHA-1 over the verification token. */
export function legacyCardSignatureOf(timestamp: string, nonce: string, verificationToken: string, rawBody: string): string {
  return createHash('sha1').update(timestamp + nonce + verificationToken + rawBody).digest('hex');
}

type Headers = Record<string, string | string[] | undefined>;
const header = (h: Headers, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * Verifies one request body. `now` is the current time in ms.
 * Returns what the route must answer or hand on; never throws for bad input.
 */
export function verifyRequest(rawBody: string, headers: Headers, secrets: IntakeSecrets, now: number): Verified | Refusal {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return { status: 400, reason: 'malformed JSON' };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { status: 400, reason: 'body is not a JSON object' };
  let data = body as Record<string, unknown>;

  if (typeof data.encrypt === 'string') {
    if (!secrets.encryptKey) return { status: 400, reason: 'encrypted body but LARK_ENCRYPT_KEY is not set' };
    try {
      data = JSON.parse(new AESCipher(secrets.encryptKey).decrypt(data.encrypt));
    } catch {
      return { status: 400, reason: 'cannot decrypt body' };
    }
    if (!data || typeof data !== 'object') return { status: 400, reason: 'decrypted body is not a JSON object' };
  }

  const token = tokenOf(data);
  if (data.type === 'url_verification') {
    if (secrets.verificationToken && !(typeof token === 'string' && safeEqual(token, secrets.verificationToken))) {
      return { status: 401, reason: 'wrong verification token' };
    }
    return typeof data.challenge === 'string' ? { kind: 'challenge', challenge: data.challenge } : { status: 400, reason: 'url_verification without challenge' };
  }

  const legacyCard = isLegacyCard(data);
  const timestamp = header(headers, 'x-lark-request-timestamp');
  const nonce = header(headers, 'x-lark-request-nonce');
  const signature = header(headers, 'x-lark-signature');
  // A legacy card action carries no verification token of its own: only its signature can vouch for it.
  if (legacyCard && !secrets.verificationToken) return { status: 401, reason: 'legacy card action cannot be verified without LARK_VERIFICATION_TOKEN' };
  const signingSecret = legacyCard ? secrets.verificationToken : secrets.encryptKey;
  if (signingSecret) {
    if (!timestamp || !nonce || !signature) return { status: 401, reason: 'missing signature headers' };
    const expected = legacyCard
      ? legacyCardSignatureOf(timestamp, nonce, signingSecret, rawBody)
      : signatureOf(timestamp, nonce, signingSecret, rawBody);
    if (!safeEqual(signature, expected)) return { status: 401, reason: 'bad signature' };
  }
  if (timestamp !== undefined) {
    // Lark sends seconds; accept milliseconds too.
    const n = Number(timestamp);
    const ms = n > 1e12 ? n : n * 1000;
    if (!Number.isFinite(n) || Math.abs(now - ms) > MAX_SKEW_MS) return { status: 401, reason: 'stale or invalid timestamp' };
  } else if (signingSecret) {
    return { status: 401, reason: 'missing timestamp' };
  }
  if (secrets.verificationToken && !legacyCard) {
    if (!(typeof token === 'string' && safeEqual(token, secrets.verificationToken))) return { status: 401, reason: 'wrong verification token' };
  }

  // v2 envelope
  if (data.schema === '2.0' && data.header && typeof data.header === 'object') {
    const h = data.header as Record<string, unknown>;
    if (typeof h.event_id !== 'string' || typeof h.event_type !== 'string') return { status: 400, reason: 'v2 envelope without event_id/event_type' };
    return { kind: 'event', eventId: h.event_id, eventType: h.event_type, payload: (data.event ?? {}) as Record<string, unknown> };
  }
  // v1 envelope
  if (data.type === 'event_callback' && typeof data.uuid === 'string' && data.event && typeof data.event === 'object') {
    const e = data.event as Record<string, unknown>;
    return { kind: 'event', eventId: `v1:${data.uuid}`, eventType: `v1.${String(e.type ?? 'unknown')}`, payload: e };
  }
  if (legacyCard) {
    // Legacy card actions carry no event id: a re-sent callback has the same body and headers.
    const id = createHash('sha256').update(`${timestamp ?? ''}|${nonce ?? ''}|${rawBody}`).digest('hex').slice(0, 32);
    return { kind: 'event', eventId: `card:${id}`, eventType: 'card.action.legacy', payload: data };
  }
  return { status: 400, reason: 'unknown envelope' };
}

function tokenOf(data: Record<string, unknown>): unknown {
  if (data.header && typeof data.header === 'object') return (data.header as Record<string, unknown>).token;
  return data.token;
}

function isLegacyCard(data: Record<string, unknown>): boolean {
  return data.schema === undefined && data.type === undefined && typeof data.action === 'object' && data.action !== null && (typeof data.open_id === 'string' || typeof data.user_id === 'string');
}

// ---------------------------------------------------------------------------------------------------------
// Normalisation into transport-independent shapes.

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export type Normalised = MessageEvent | CardActionEvent | { kind: 'ignored'; eventId: string; eventType: string };

/**
 * What a receiver (the webhook route, the long connection) hands each verified event to, as bolt-js's
 * Receivers hand theirs to one App: nothing past this knows which transport delivered the event.
 * `answered` settles once the receiver has written Lark's answer (a delayed card update must come after it);
 * `arrivedAt` is when the request reached the receiver (a card action's 3 s run from there).
 */
export type EventSink = (event: Normalised, answered?: Promise<unknown>, arrivedAt?: number) => Promise<CardReply | undefined>;

export function normaliseEvent(eventId: string, eventType: string, payload: Obj): Normalised {
  if (eventType === 'im.message.receive_v1') return normaliseMessageV2(eventId, payload) ?? { kind: 'ignored', eventId, eventType };
  if (eventType === 'card.action.trigger') return normaliseCardV2(eventId, payload) ?? { kind: 'ignored', eventId, eventType };
  if (eventType === 'card.action.legacy') return normaliseLegacyCard(eventId, payload) ?? { kind: 'ignored', eventId, eventType };
  if (eventType === 'application.bot.menu_v6') return normaliseBotMenu(eventId, payload) ?? { kind: 'ignored', eventId, eventType };
  if (eventType === 'v1.message') return normaliseMessageV1(eventId, payload) ?? { kind: 'ignored', eventId, eventType };
  return { kind: 'ignored', eventId, eventType };
}

function normaliseMessageV2(eventId: string, e: Obj): MessageEvent | undefined {
  const sender = obj(obj(e.sender).sender_id);
  const m = obj(e.message);
  const senderId = str(sender.open_id);
  const chatId = str(m.chat_id);
  const messageId = str(m.message_id);
  if (!senderId || !chatId || !messageId) return undefined;
  if (str(obj(e.sender).sender_type) === 'app') return undefined; // our own or another bot's message
  const mentions: Mention[] = (Array.isArray(m.mentions) ? m.mentions : []).map((x) => {
    const mm = obj(x);
    return { key: str(mm.key) ?? '', openId: str(obj(mm.id).open_id) ?? '', name: str(mm.name) ?? '' };
  }).filter((x) => x.key && x.openId);
  const messageType = str(m.message_type) ?? 'text';
  let content: Obj = {};
  try {
    content = obj(JSON.parse(str(m.content) ?? '{}'));
  } catch {
    content = {};
  }
  const createMs = Number(str(m.create_time) ?? Date.now());
  return {
    kind: 'message',
    eventId,
    chatId,
    chatType: str(m.chat_type) === 'group' ? 'group' : 'p2p',
    messageId,
    senderId,
    messageType,
    text: messageType === 'text' ? (str(content.text) ?? '').trim() : '',
    mentions,
    file: messageType === 'file' && str(content.file_key) ? { fileKey: str(content.file_key)!, fileName: str(content.file_name) ?? '' } : undefined,
    createdAt: new Date(Number.isFinite(createMs) ? createMs : Date.now()),
  };
}

/**
 * A tap on the bot's custom menu (机器人自定义菜单, an item whose action is 推送事件):
 * `event.operator.operator_id.open_id` and `event.event_key` (1–30 characters), no chat or message
 * (https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/application-v6/bot/events/menu). It becomes a
 * menu message whose text is the key, so it goes through the same dispatcher as typed commands.
 */
function normaliseBotMenu(eventId: string, e: Obj): MessageEvent | undefined {
  const openId = str(obj(obj(e.operator).operator_id).open_id);
  const key = str(e.event_key)?.trim();
  if (!openId || !key || Array.from(key).length > 30) return undefined;
  const ts = Number(str(e.timestamp));
  // The timestamp is documented only as a string; seconds or milliseconds are both seen in samples.
  const at = Number.isFinite(ts) && ts > 0 ? new Date(ts > 1e12 ? ts : ts * 1000) : new Date();
  return menuMessage(eventId, openId, key, at);
}

/** A menu tap (bot menu, or a menu card's button) as a message event from `openId` whose text is `key`. */
export function menuMessage(eventId: string, openId: string, key: string, at: Date = new Date()): MessageEvent {
  return {
    kind: 'message',
    eventId,
    chatId: '',
    chatType: 'p2p',
    messageId: eventId,
    senderId: openId,
    messageType: 'text',
    text: key,
    mentions: [],
    createdAt: at,
    fromMenu: true,
  };
}

function normaliseMessageV1(eventId: string, e: Obj): MessageEvent | undefined {
  const senderId = str(e.open_id);
  const chatId = str(e.open_chat_id);
  const messageId = str(e.open_message_id);
  if (!senderId || !chatId || !messageId) return undefined;
  const messageType = str(e.msg_type) ?? 'text';
  return {
    kind: 'message',
    eventId,
    chatId,
    chatType: str(e.chat_type) === 'group' ? 'group' : 'p2p',
    messageId,
    senderId,
    messageType,
    text: (str(e.text_without_at_bot) ?? str(e.text) ?? '').trim(),
    mentions: [],
    file: messageType === 'file' && str(e.file_key) ? { fileKey: str(e.file_key)!, fileName: str(e.file_name) ?? '' } : undefined,
    createdAt: new Date(),
  };
}

function normaliseCardV2(eventId: string, e: Obj): CardActionEvent | undefined {
  const ctx = obj(e.context);
  return cardAction(eventId, str(obj(e.operator).open_id), obj(e.action), str(ctx.open_message_id), str(ctx.open_chat_id), str(e.token));
}

function normaliseLegacyCard(eventId: string, e: Obj): CardActionEvent | undefined {
  return cardAction(eventId, str(e.open_id), obj(e.action), str(e.open_message_id), str(e.open_chat_id), str(e.token));
}

/** The two card callback shapes differ only in where the operator and the message are. */
function cardAction(eventId: string, operatorId: string | undefined, a: Obj, messageId?: string, chatId?: string, token?: string): CardActionEvent | undefined {
  if (!operatorId) return undefined;
  return {
    kind: 'card',
    eventId,
    operatorId,
    value: obj(a.value),
    formValue: a.form_value ? obj(a.form_value) : undefined,
    option: str(a.option),
    tag: str(a.tag),
    name: str(a.name),
    messageId,
    chatId,
    token,
  };
}

/** What a Chinese input method types for a leading `/`: the full-width slash ／ and the enumeration comma 、. */
const SLASH_FORMS = /^[/／、]/;

/**
 * The command word as typed, with the input-method forms made plain: full-width letters and slash become
 * ASCII (NFKC), a leading 、 becomes `/`. `／my` and `、help` read as `/my` and `/help`.
 */
export function normaliseCommandWord(word: string): string {
  return word.normalize('NFKC').replace(SLASH_FORMS, '/');
}

/**
 * Splits a text message into the command word and its arguments. The @mentions before the command (the
 * bot, and perhaps people mentioned ahead of it: `@王招商 @科招助手 /lead KZ-…`) are skipped, also when a
 * mention key is typed right against the command (`@_user_1/help`).
 */
export function splitCommand(text: string, mentions: Mention[]): { word: string; args: string[]; mentioned: Mention[] } {
  const keys = mentions.map((m) => m.key).filter(Boolean).sort((a, b) => b.length - a.length);
  let remaining = text.trimStart();
  for (;;) {
    // A key, but not the start of a longer one (@_user_1 in @_user_12).
    const key = keys.find((k) => remaining.startsWith(k) && !/^\d/.test(remaining.slice(k.length)));
    if (key) remaining = remaining.slice(key.length).trimStart();
    else if (remaining.startsWith('@')) remaining = remaining.replace(/^\S+\s*/, '');
    else break;
  }
  let tokens = remaining.split(/\s+/).filter(Boolean);
  // A slash typed on its own before the word: `／ my`.
  if (tokens.length > 1 && SLASH_FORMS.test(tokens[0]) && tokens[0].length === 1) tokens = [tokens[0] + tokens[1], ...tokens.slice(2)];
  const [rawWord = '', ...rest] = tokens;
  const word = normaliseCommandWord(rawWord);
  const byKey = new Map(mentions.map((m) => [m.key, m]));
  const mentioned = rest.map((t) => byKey.get(t)).filter((m): m is Mention => !!m);
  return { word, args: rest, mentioned };
}

/** The callback answer as Lark reads it: a card goes as `{type: "raw", data}`. Both transports use this. */
export function toLarkAnswer(reply: CardReply | undefined): Record<string, unknown> {
  if (!reply) return {};
  const out: Record<string, unknown> = {};
  if (reply.toast) out.toast = reply.toast;
  if (reply.card) out.card = { type: 'raw', data: reply.card };
  return out;
}
