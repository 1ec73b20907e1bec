// What the Lark stand-in checks in a message or card before accepting it: receive id and message types, the
// body size limits, the content's JSON, the de-duplication uuid and the Card JSON rules.
import { validateCard } from '../../platform/cards/validate.ts';

export const RECEIVE_ID_TYPES = new Set(['open_id', 'user_id', 'union_id', 'email', 'chat_id']);
const MSG_TYPES = new Set(['text', 'post', 'image', 'file', 'audio', 'media', 'sticker', 'interactive', 'share_chat', 'share_user']);
// "文本消息请求体最大不能超过150KB；卡片及富文本消息请求体最大不能超过30KB": the limit is on the raw request body
// (https://open.feishu.cn/document/server-docs/im-v1/message/create,
// https://open.feishu.cn/document/server-docs/im-v1/message-card/patch), measured on the bytes received.
export const CARD_LIMIT = 30 * 1024;
const TEXT_LIMIT = 150 * 1024;
/**
 * Answer to a card that breaks the Card JSON rules. The brief for this stand-in names 230099 (the im-v1 message
 * create page's error table lists 230099 for a card that cannot be created from its content); we could not read
 * that table in a stored copy of the page, so the exact code is unconfirmed. The bot only relies on `code != 0`.
 */
const CARD_CONTENT_ERROR = 230099;

export type Json = Record<string, unknown>;

/** Lark's de-duplication uuid: at most 50 characters. */
export function checkUuid(uuid: unknown): string | undefined {
  if (uuid === undefined) return undefined;
  return typeof uuid === 'string' && uuid.length <= 50 ? undefined : 'uuid must be a string of at most 50 characters';
}

export function asObject(v: unknown): Json {
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
export interface CardRefusal {
  code: number;
  msg: string;
}

export function cardRefusal(card: unknown): CardRefusal | undefined {
  const checked = validateCard(card);
  return checked.ok ? undefined : { code: CARD_CONTENT_ERROR, msg: `Failed to create card content: ${checked.errors.join('; ')}` };
}

/**
 * Checks a message body as Lark does before accepting it; returns an error text, a card refusal, or undefined.
 * `bodyBytes` is the size of the raw request body as received.
 */
export function checkContent(msgType: unknown, content: unknown, bodyBytes: number): string | CardRefusal | undefined {
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
