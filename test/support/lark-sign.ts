// Builds callbacks the way Lark does: AES-256-CBC encryption (key = SHA-256 of the encrypt key, random IV
// in front) and the X-Lark-Signature headers. Written independently of src/platform/lark/intake.ts.
import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';

export function encryptBody(encryptKey: string, payload: unknown): string {
  const key = createHash('sha256').update(encryptKey).digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const data = Buffer.concat([iv, cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return JSON.stringify({ encrypt: data.toString('base64') });
}

export function signedHeaders(encryptKey: string, rawBody: string, opts: { timestampSec?: number; nonce?: string } = {}): Record<string, string> {
  const timestamp = String(opts.timestampSec ?? Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? randomUUID();
  const signature = createHash('sha256').update(timestamp + nonce + encryptKey + rawBody).digest('hex');
  return {
    'content-type': 'application/json',
    'x-lark-request-timestamp': timestamp,
    'x-lark-request-nonce': nonce,
    'x-lark-signature': signature,
  };
}

export interface TextEventInput {
  eventId?: string;
  token: string;
  senderId: string;
  chatId: string;
  chatType?: 'p2p' | 'group';
  text: string;
  messageId?: string;
  mentions?: { key: string; openId: string; name: string }[];
}

export function textEvent(i: TextEventInput): Record<string, unknown> {
  return messageEvent(i, i.chatType ?? 'p2p', 'text', { text: i.text }, i.mentions ?? []);
}

export interface FileEventInput { token: string; senderId: string; chatId: string; fileKey: string; fileName: string; messageId?: string; eventId?: string }

export function fileEvent(i: FileEventInput): Record<string, unknown> {
  return messageEvent(i, 'p2p', 'file', { file_key: i.fileKey, file_name: i.fileName }, []);
}

/** The im.message.receive_v1 envelope both message kinds share. */
function messageEvent(
  i: { eventId?: string; token: string; senderId: string; chatId: string; messageId?: string },
  chatType: 'p2p' | 'group',
  messageType: string,
  content: Record<string, unknown>,
  mentions: { key: string; openId: string; name: string }[],
): Record<string, unknown> {
  return {
    schema: '2.0',
    header: { event_id: i.eventId ?? randomUUID(), event_type: 'im.message.receive_v1', create_time: String(Date.now()), token: i.token, app_id: 'cli_a1b2c3d4e5f6a7b8', tenant_key: 'tenant' },
    event: {
      sender: { sender_id: { open_id: i.senderId }, sender_type: 'user', tenant_key: 'tenant' },
      message: {
        message_id: i.messageId ?? `om_${randomUUID().replace(/-/g, '')}`,
        create_time: String(Date.now()),
        chat_id: i.chatId,
        chat_type: chatType,
        message_type: messageType,
        content: JSON.stringify(content),
        mentions: mentions.map((m) => ({ key: m.key, id: { open_id: m.openId }, name: m.name, tenant_key: 'tenant' })),
      },
    },
  };
}

export interface CardEventInput {
  eventId?: string;
  token: string;
  operatorId: string;
  /** A callback button's value; a form submit carries none (Feishu documents `name` + `form_value` for it). */
  value?: Record<string, unknown>;
  /** The component's name: for a form submit, the submit button's name. */
  name?: string;
  formValue?: Record<string, unknown>;
  messageId?: string;
  chatId?: string;
}

export function cardEvent(i: CardEventInput): Record<string, unknown> {
  return {
    schema: '2.0',
    header: { event_id: i.eventId ?? randomUUID(), event_type: 'card.action.trigger', create_time: String(Date.now()), token: i.token, app_id: 'cli_a1b2c3d4e5f6a7b8', tenant_key: 'tenant' },
    event: {
      operator: { open_id: i.operatorId, tenant_key: 'tenant' },
      token: `c-${randomUUID()}`,
      action: { tag: 'button', ...(i.value ? { value: i.value } : {}), ...(i.name !== undefined ? { name: i.name } : {}), ...(i.formValue ? { form_value: i.formValue } : {}) },
      host: 'im_message',
      context: { open_message_id: i.messageId ?? 'om_unknown', open_chat_id: i.chatId ?? 'oc_unknown' },
    },
  };
}

/**
 * application.bot.menu_v6: a user tapped an item of the bot's custom menu whose action is 推送事件
 * (https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/application-v6/bot/events/menu).
 */
export function botMenuEvent(i: { token: string; operatorId: string; eventKey: string; eventId?: string }): Record<string, unknown> {
  return {
    schema: '2.0',
    header: { event_id: i.eventId ?? randomUUID(), event_type: 'application.bot.menu_v6', create_time: String(Date.now()), token: i.token, app_id: 'cli_a1b2c3d4e5f6a7b8', tenant_key: 'tenant' },
    event: {
      operator: { operator_name: '', operator_id: { open_id: i.operatorId, union_id: 'on_x', user_id: 'u_x' } },
      event_key: i.eventKey,
      timestamp: String(Date.now()),
    },
  };
}
