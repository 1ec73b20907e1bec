// The Lark side of a callback, for the sandbox: builds event bodies as the Open Platform sends them (v2
// envelope), encrypts them (AES-256-CBC, key = SHA-256 of the encrypt key, random IV in front, base64 in
// `{"encrypt": …}`) and signs them (X-Lark-Signature = sha256hex(timestamp + nonce + encryptKey + body)).
// The bot's intake (src/platform/lark/intake.ts) checks exactly this, so the sandbox exercises the real code path.
import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';

export interface CallbackSecrets {
  encryptKey: string;
  verificationToken: string;
}

/** Fresh random secrets for one sandbox run. */
export function generateSecrets(): CallbackSecrets {
  return { encryptKey: randomBytes(24).toString('base64url'), verificationToken: randomBytes(16).toString('hex') };
}

/** The raw request body Lark posts when encryption is on: `{"encrypt":"<base64>"}`. */
export function encryptPayload(encryptKey: string, payload: unknown): string {
  const key = createHash('sha256').update(encryptKey).digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const data = Buffer.concat([iv, cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return JSON.stringify({ encrypt: data.toString('base64') });
}

/** Headers Lark sends with a callback: timestamp (seconds), nonce and signature over the exact body. */
export function signatureHeaders(encryptKey: string, rawBody: string, nowMs: number = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = randomUUID();
  const signature = createHash('sha256').update(timestamp + nonce + encryptKey + rawBody).digest('hex');
  return {
    'content-type': 'application/json; charset=utf-8',
    'x-lark-request-timestamp': timestamp,
    'x-lark-request-nonce': nonce,
    'x-lark-signature': signature,
  };
}

const TENANT = 'sandbox_tenant';

function envelope(eventType: string, secrets: CallbackSecrets, appId: string, event: Record<string, unknown>): Record<string, unknown> {
  return {
    schema: '2.0',
    header: { event_id: randomUUID(), event_type: eventType, create_time: String(Date.now()), token: secrets.verificationToken, app_id: appId, tenant_key: TENANT },
    event,
  };
}

export interface MentionInput {
  key: string;
  openId: string;
  name: string;
}

export interface MessageEventInput {
  appId: string;
  senderId: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  messageId: string;
  messageType: 'text' | 'file';
  /** The message content as Lark carries it (before JSON encoding): `{text}` or `{file_key, file_name}`. */
  content: Record<string, unknown>;
  mentions?: MentionInput[];
  createdAt: number;
}

/** `im.message.receive_v1`: a user sent a message to the bot. */
export function messageEvent(secrets: CallbackSecrets, i: MessageEventInput): Record<string, unknown> {
  return envelope('im.message.receive_v1', secrets, i.appId, {
    sender: { sender_id: { open_id: i.senderId }, sender_type: 'user', tenant_key: TENANT },
    message: {
      message_id: i.messageId,
      create_time: String(i.createdAt),
      chat_id: i.chatId,
      chat_type: i.chatType,
      message_type: i.messageType,
      content: JSON.stringify(i.content),
      mentions: (i.mentions ?? []).map((m) => ({ key: m.key, id: { open_id: m.openId }, name: m.name, tenant_key: TENANT })),
    },
  });
}

/**
 * `application.bot.menu_v6`: a user tapped an item of the bot's custom menu whose action is 推送事件
 * (https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/application-v6/bot/events/menu).
 */
export function botMenuEvent(secrets: CallbackSecrets, i: { appId: string; operatorId: string; eventKey: string }): Record<string, unknown> {
  return envelope('application.bot.menu_v6', secrets, i.appId, {
    operator: { operator_id: { open_id: i.operatorId } },
    event_key: i.eventKey,
    timestamp: String(Date.now()),
  });
}

export interface CardActionInput {
  appId: string;
  operatorId: string;
  /** The card-update token of this callback (valid for two delayed updates). */
  token: string;
  messageId: string;
  chatId: string;
  action: {
    tag: string;
    /** A callback button's value; a form submit has none (Feishu documents `name` + `form_value` for it). */
    value?: Record<string, unknown>;
    name?: string;
    formValue?: Record<string, unknown>;
    option?: string;
    options?: string[];
    checked?: boolean;
    inputValue?: string;
  };
}

/** `card.action.trigger`: a user clicked a button, submitted a form or changed an interactive field. */
export function cardActionEvent(secrets: CallbackSecrets, i: CardActionInput): Record<string, unknown> {
  const a = i.action;
  const action: Record<string, unknown> = { tag: a.tag, timezone: 'Asia/Shanghai' };
  if (a.value !== undefined) action.value = a.value;
  if (a.name !== undefined) action.name = a.name;
  if (a.formValue !== undefined) action.form_value = a.formValue;
  if (a.option !== undefined) action.option = a.option;
  if (a.options !== undefined) action.options = a.options;
  if (a.checked !== undefined) action.checked = a.checked;
  if (a.inputValue !== undefined) action.input_value = a.inputValue;
  return envelope('card.action.trigger', secrets, i.appId, {
    operator: { open_id: i.operatorId, tenant_key: TENANT },
    token: i.token,
    action,
    host: 'im_message',
    context: { open_message_id: i.messageId, open_chat_id: i.chatId },
  });
}

export interface CallbackAnswer {
  status: number;
  /** Parsed JSON body, or the text when it is not JSON. */
  body: unknown;
}

/** Posts one event to the bot, encrypted and signed, as Lark does. */
export async function postCallback(url: string, secrets: CallbackSecrets, payload: unknown, timeoutMs = 10_000): Promise<CallbackAnswer> {
  const raw = encryptPayload(secrets.encryptKey, payload);
  const res = await fetch(url, { method: 'POST', headers: signatureHeaders(secrets.encryptKey, raw), body: raw, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep the text */
  }
  return { status: res.status, body };
}
