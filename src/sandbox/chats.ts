// The chats as the sandbox page shows them, read from the stand-in's state: what users sent
// (LarkStandInState.incoming) and what the bot delivered (LarkStandInState.messages), per chat, with the
// card each message shows now.
import { validateCard } from '../platform/cards/validate.ts';
import { p2pChatId, type DeliveredMessage, type IncomingMessage, type LarkStandInState } from './standin.ts';
import { DEMO_GROUP, DEMO_PEOPLE, demoPerson, SANDBOX_BOT, type DemoPerson } from './people.ts';

export interface ChatView {
  chatId: string;
  /** What the page calls the chat. */
  name: string;
  kind: 'p2p' | 'group';
  /** Messages in the chat so far. */
  count: number;
  /** When the last message arrived or changed (ms), 0 when empty. */
  lastChange: number;
}

export interface MessageView {
  id: string;
  chatId: string;
  from: { kind: 'bot'; name: string } | { kind: 'user'; openId: string; name: string };
  msgType: string;
  /** The content now (parsed JSON): `{text}`, a card, `{file_key, file_name}`. */
  content: unknown;
  /** For files: the file's name, when known. */
  fileName?: string;
  parentId?: string;
  /** When the message was sent (ms). */
  at: number;
  /** Bumped on every change of the content (patch, delayed update, card in a callback answer). */
  version: number;
  /** When the message last changed (ms). */
  lastChange: number;
  /** For cards: rules of Card JSON 2.0 the card breaks (Lark would refuse it). */
  cardErrors?: string[];
}

/** The chats a person sees: the p2p chat with the bot and the group. */
export function chatsOf(openId: string): Array<Omit<ChatView, 'count' | 'lastChange'>> {
  return [
    { chatId: p2pChatId(openId), name: `与${SANDBOX_BOT.name}的单聊`, kind: 'p2p' },
    { chatId: DEMO_GROUP.chatId, name: DEMO_GROUP.name, kind: 'group' },
  ];
}

/** The owner of a p2p chat with the bot, or undefined for the group or an unknown chat. */
export function p2pOwner(chatId: string): DemoPerson | undefined {
  return DEMO_PEOPLE.find((p) => p2pChatId(p.openId) === chatId);
}

/** True when `openId` may read and write in `chatId`. */
export function isMember(openId: string, chatId: string): boolean {
  return chatId === DEMO_GROUP.chatId || chatId === p2pChatId(openId);
}

function parse(content: string): unknown {
  try {
    return JSON.parse(content);
  } catch {
    return { text: content };
  }
}

/** Keeps what the stand-in does not: card replacements from callback answers, per message. */
export class SandboxChats {
  private readonly answered = new Map<string, { count: number; at: number }>();

  constructor(private readonly state: LarkStandInState) {}

  /** Records a message a user sends (before the bot hears of it); returns its message_id. */
  recordUserMessage(chatId: string, senderId: string, msgType: 'text' | 'file', content: Record<string, unknown>): IncomingMessage {
    const id = this.state.registerIncoming({ chatId, senderId, msgType, content: JSON.stringify(content) });
    return this.state.incoming.get(id)!;
  }

  botMessage(messageId: string): DeliveredMessage | undefined {
    return this.state.message(messageId);
  }

  /** Shows the card of a callback answer in place of the clicked one, as the Lark client does. */
  applyAnswerCard(msg: DeliveredMessage, card: unknown): void {
    msg.currentContent = JSON.stringify(card);
    const prev = this.answered.get(msg.messageId);
    this.answered.set(msg.messageId, { count: (prev?.count ?? 0) + 1, at: Date.now() });
  }

  private botView(m: DeliveredMessage): MessageView {
    const answered = this.answered.get(m.messageId);
    const lastUpdate = m.updates.length ? m.updates[m.updates.length - 1].at : 0;
    const content = parse(m.currentContent);
    const view: MessageView = {
      id: m.messageId,
      chatId: m.chatId,
      from: { kind: 'bot', name: SANDBOX_BOT.name },
      msgType: m.msgType,
      content,
      at: m.at,
      version: m.updates.length + (answered?.count ?? 0),
      lastChange: Math.max(m.at, lastUpdate, answered?.at ?? 0),
    };
    if (m.parentId) view.parentId = m.parentId;
    if (m.msgType === 'interactive') {
      const checked = validateCard(content);
      if (!checked.ok) view.cardErrors = checked.errors.slice(0, 5);
    }
    if (m.msgType === 'file') view.fileName = this.fileName(content);
    return view;
  }

  private userView(m: IncomingMessage): MessageView {
    const content = parse(m.content);
    const view: MessageView = {
      id: m.messageId,
      chatId: m.chatId,
      from: { kind: 'user', openId: m.senderId, name: demoPerson(m.senderId)?.name ?? m.senderId },
      msgType: m.msgType,
      content,
      at: m.at,
      version: 0,
      lastChange: m.at,
    };
    if (m.msgType === 'file') view.fileName = this.fileName(content);
    return view;
  }

  private fileName(content: unknown): string | undefined {
    const c = content as { file_key?: unknown; file_name?: unknown };
    if (typeof c?.file_name === 'string' && c.file_name) return c.file_name;
    return typeof c?.file_key === 'string' ? this.state.files.get(c.file_key)?.name : undefined;
  }

  /** Every message of a chat, oldest first. */
  messages(chatId: string): MessageView[] {
    const users = [...this.state.incoming.values()].filter((m) => m.chatId === chatId).map((m) => this.userView(m));
    const bots = this.state.messages.filter((m) => m.chatId === chatId).map((m) => this.botView(m));
    // Merge by time; each list is already in order. A user's message goes first on a tie (the bot answers it).
    const out: MessageView[] = [];
    let i = 0;
    let j = 0;
    while (i < users.length || j < bots.length) {
      if (j >= bots.length || (i < users.length && users[i].at <= bots[j].at)) out.push(users[i++]);
      else out.push(bots[j++]);
    }
    return out;
  }

  /** The chats of one person with their size and last change. */
  chats(openId: string): ChatView[] {
    return chatsOf(openId).map((c) => {
      const all = this.messages(c.chatId);
      return { ...c, count: all.length, lastChange: all.reduce((max, m) => Math.max(max, m.lastChange), 0) };
    });
  }
}
