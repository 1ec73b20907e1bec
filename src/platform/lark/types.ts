// Shapes that cross the Lark edge, independent of how they travelled (webhook or long connection).

import type { CardJson } from '../cards/kit.ts';

// A card's shape is the card kit's (src/platform/cards); re-exported for the messages that carry one.
export type { CardJson };

export type ToastType = 'info' | 'success' | 'warning' | 'error';

/** What a card callback answers within 3 s. */
export interface CardReply {
  toast?: { type: ToastType; content: string };
  card?: CardJson;
}

export interface Mention {
  key: string; // "@_user_1"
  openId: string;
  name: string;
}

/** The bot itself, as Lark knows it (GET /open-apis/bot/v3/info). */
export interface BotIdentity {
  openId: string;
  name: string;
}

/** A text or file message from a user (p2p, or a group message that @mentions the bot). */
export interface MessageEvent {
  kind: 'message';
  eventId: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  messageId: string;
  senderId: string; // open_id
  messageType: string; // text | file | ...
  /** For text: the text with mention keys removed and trimmed. */
  text: string;
  mentions: Mention[];
  file?: { fileKey: string; fileName: string };
  createdAt: Date;
  /**
   * Not a message but a tap on the bot's custom menu (application.bot.menu_v6) or on a menu card's button:
   * `text` is the menu item's key, and there is no message to reply under (answers go to the p2p chat).
   */
  fromMenu?: true;
}

/** A click or form submit on one of our cards. */
export interface CardActionEvent {
  kind: 'card';
  eventId: string;
  operatorId: string; // open_id
  value: Record<string, unknown>;
  formValue?: Record<string, unknown>;
  option?: string;
  tag?: string;
  name?: string;
  messageId?: string;
  chatId?: string;
  /** Token for a delayed card update (valid 30 min, 2 uses, only after the callback was answered). */
  token?: string;
}

/**
 * A card_update's token expiry travels in the row's ref: refType CARD_TOKEN_REF, refId the expiry in ms
 * since the epoch (the callback's arrival + 30 min).
 */
export const CARD_TOKEN_REF = 'card_token_expires';
/** Delayed-update token rules (https://open.feishu.cn/document/ukTMukTMukTM/uMDO1YjLzgTN24yM4UjN): 30 minutes, 2 uses. */
export const CARD_TOKEN_TTL_MS = 30 * 60 * 1000;
export const CARD_TOKEN_USES = 2;

/** Ways to address a message. */
export type Recipient = { openId: string } | { chatId: string };

/** A message or card update to deliver; written to the outbox first, sent by the worker. */
export interface OutgoingMessage {
  /** Lark de-duplication key (stable across retries). Defaults to a random UUID. */
  uuid?: string;
  op: 'send' | 'reply' | 'patch' | 'card_update';
  /** card_update: 'message_id' and the clicked card's message id, patched instead once the token is spent or expired. */
  receiveIdType?: 'open_id' | 'chat_id' | 'message_id';
  receiveId?: string;
  msgType: 'text' | 'interactive' | 'file';
  /** As Lark wants it: a JSON string ({"text":...} for text, the card JSON for interactive, {"file_key":...} for file). */
  content: string;
  /** Message id for reply/patch; update token for card_update. */
  targetId?: string;
  /** What the message is about (e.g. refType "step", refId "42"), so every copy can be patched later. */
  refType?: string;
  refId?: string;
}
