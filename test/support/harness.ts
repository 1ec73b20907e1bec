// Runs the real service (createApp: fastify, database, inbox, outbox worker) against a stand-in of the Lark
// Open Platform, and talks to it the way Lark does: signed, encrypted callbacks over HTTP.
import { createApp, type App } from '../../src/app.ts';
import { parseEnv } from '../../src/platform/config/env.ts';
import { defaultOffice, type OfficeConfig } from '../../src/office/config.ts';
import { startLarkStandIn, p2pChatId, STANDIN_APP_ID, STANDIN_APP_SECRET, type DeliveredMessage, type LarkStandInState, type RunningStandIn } from '../../src/sandbox/standin.ts';
import type { CardJson, CardReply } from '../../src/platform/lark/types.ts';
import { botMenuEvent, cardEvent, encryptBody, signedHeaders, textEvent, fileEvent } from './lark-sign.ts';
import { testDatabase } from './db.ts';
import { findButton, messageText, validCard } from './cards.ts';

export const ENCRYPT_KEY = 'harness-encrypt-key';
export const VERIFICATION_TOKEN = 'harness-verification-token';

export interface TestBotOptions {
  /** Names the test database. */
  name: string;
  env?: Record<string, string>;
  office?: OfficeConfig;
  clock?: () => Date;
  admins?: string[];
  /** Prepares the Lark stand-in before the service starts (e.g. a fault for its first calls). */
  beforeStart?: (lark: LarkStandInState) => void;
}

export interface SayOptions {
  chatId?: string;
  chatType?: 'p2p' | 'group';
  mentions?: { openId: string; name: string }[];
  eventId?: string;
}

export class TestBot {
  private constructor(
    readonly app: App,
    readonly url: string,
    readonly lark: RunningStandIn,
    readonly databaseUrl: { url: string; drop: () => Promise<void> },
  ) {}

  static async start(opts: TestBotOptions): Promise<TestBot> {
    const lark = await startLarkStandIn();
    opts.beforeStart?.(lark.state);
    const db = await testDatabase(opts.name);
    const env = parseEnv({
      PORT: '1',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      LARK_APP_ID: STANDIN_APP_ID,
      LARK_APP_SECRET: STANDIN_APP_SECRET,
      LARK_DOMAIN: lark.url,
      LARK_ENCRYPT_KEY: ENCRYPT_KEY,
      LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN,
      BOT_ADMINS: (opts.admins ?? []).join(','),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...opts.env,
    });
    const app = await createApp({ env: { ...env, PORT: 0 }, office: opts.office ?? defaultOffice(), clock: opts.clock });
    const address = await app.listen();
    return new TestBot(app, address, lark, db);
  }

  get state() {
    return this.lark.state;
  }

  /** Posts a raw body to one of our routes, signed (and encrypted unless `plain`). */
  async post(path: '/lark/events' | '/lark/card', payload: unknown, opts: { plain?: boolean; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any }> {
    const raw = opts.plain ? JSON.stringify(payload) : encryptBody(ENCRYPT_KEY, payload);
    const res = await fetch(this.url + path, { method: 'POST', headers: { ...signedHeaders(ENCRYPT_KEY, raw), ...opts.headers }, body: raw });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* keep text */
    }
    return { status: res.status, body };
  }

  /** A user sends a text message to the bot; waits until the bot has handled it and sent its replies. */
  async say(openId: string, text: string, opts: SayOptions = {}): Promise<void> {
    const mentions = (opts.mentions ?? []).map((m, i) => ({ key: `@_user_${i + 1}`, ...m }));
    let body = text;
    mentions.forEach((m) => (body = body.replace(`@${m.name}`, m.key)));
    const chatId = opts.chatId ?? p2pChatId(openId);
    // Like Lark, the stand-in must know the user's message for the bot to reply to it.
    const messageId = this.state.registerIncoming({ chatId, senderId: openId, msgType: 'text', content: JSON.stringify({ text: body }) });
    const event = textEvent({ token: VERIFICATION_TOKEN, senderId: openId, chatId, chatType: opts.chatType ?? (opts.chatId ? 'group' : 'p2p'), text: body, mentions, eventId: opts.eventId, messageId });
    const res = await this.post('/lark/events', event);
    if (res.status !== 200) throw new Error(`/lark/events answered ${res.status}: ${JSON.stringify(res.body)}`);
    await this.settle();
  }

  /** A user taps an item of the bot's custom menu (机器人自定义菜单) whose event key is `eventKey`. */
  async tapMenu(openId: string, eventKey: string, opts: { eventId?: string } = {}): Promise<void> {
    const res = await this.post('/lark/events', botMenuEvent({ token: VERIFICATION_TOKEN, operatorId: openId, eventKey, eventId: opts.eventId }));
    if (res.status !== 200) throw new Error(`/lark/events answered ${res.status}: ${JSON.stringify(res.body)}`);
    await this.settle();
  }

  /** A user sends a file to the bot. */
  async sendFile(openId: string, fileName: string, data: Buffer): Promise<void> {
    const messageId = this.state.registerIncoming({ chatId: p2pChatId(openId), senderId: openId, msgType: 'file', content: JSON.stringify({ file_name: fileName }) });
    const fileKey = this.state.registerFile({ name: fileName, data, messageId });
    const res = await this.post('/lark/events', fileEvent({ token: VERIFICATION_TOKEN, senderId: openId, chatId: p2pChatId(openId), fileKey, fileName, messageId }));
    if (res.status !== 200) throw new Error(`/lark/events answered ${res.status}`);
    await this.settle();
  }

  /**
   * A user clicks a button (found by its text) on a card the bot delivered; `formValue` for form submits.
   * Like the Lark client, a card in the answer replaces the clicked card.
   */
  /** Clicks a button of a delivered card; `settle: false` returns as soon as the callback is answered. */
  async click(openId: string, message: DeliveredMessage, buttonText: string | RegExp, formValue?: Record<string, unknown>, opts: { settle?: boolean } = {}): Promise<CardReply> {
    const card = JSON.parse(message.currentContent) as CardJson;
    const button = findButton(card, buttonText);
    if (!button) throw new Error(`no button ${String(buttonText)} on card: ${message.currentContent.slice(0, 400)}`);
    // A submit button of a form: Feishu delivers the button's name and the form's fields, and no value.
    if (button.inForm) return this.submitForm(openId, button.name ?? '', formValue ?? {}, { message, settle: opts.settle });
    return this.clickValue(openId, button.value, { message, settle: opts.settle });
  }

  /** A form submit as Feishu documents it: `action.name` (the submit button's name) and `action.form_value`, no `value`. */
  async submitForm(openId: string, name: string, formValue: Record<string, unknown>, opts: { message?: DeliveredMessage; eventId?: string; settle?: boolean } = {}): Promise<CardReply> {
    return this.callback(openId, { name, formValue }, opts);
  }

  async clickValue(openId: string, value: Record<string, unknown>, opts: { formValue?: Record<string, unknown>; message?: DeliveredMessage; eventId?: string; settle?: boolean } = {}): Promise<CardReply> {
    return this.callback(openId, { value, formValue: opts.formValue }, opts);
  }

  private async callback(openId: string, action: { value?: Record<string, unknown>; name?: string; formValue?: Record<string, unknown> }, opts: { message?: DeliveredMessage; eventId?: string; settle?: boolean }): Promise<CardReply> {
    const token = this.state.issueCardToken(opts.message?.messageId);
    const event = cardEvent({ token: VERIFICATION_TOKEN, operatorId: openId, ...action, messageId: opts.message?.messageId, chatId: opts.message?.chatId, eventId: opts.eventId });
    (event.event as { token: string }).token = token;
    const res = await this.post('/lark/card', event);
    // Lark now has the callback's answer: from here on, the token may update the card.
    this.state.callbackAnswered(token);
    if (res.status !== 200) throw new Error(`/lark/card answered ${res.status}: ${JSON.stringify(res.body)}`);
    const reply = res.body as CardReply & { card?: { type: string; data: CardJson } };
    if (reply.card && opts.message) {
      const data = (reply.card as unknown as { data?: CardJson }).data ?? reply.card;
      opts.message.currentContent = JSON.stringify(data);
    }
    if (opts.settle !== false) await this.settle();
    return reply;
  }

  /** Waits until handled events are done and the outbox has nothing due. */
  async settle(): Promise<void> {
    await this.app.scheduler.idle();
    await this.app.inbox.idle();
    await this.app.outbox.drain(10_000);
  }

  /** Messages delivered to a user (p2p) or a chat, in order. */
  messagesTo(openIdOrChatId: string): DeliveredMessage[] {
    const chatId = openIdOrChatId.startsWith('ou_') ? p2pChatId(openIdOrChatId) : openIdOrChatId;
    return this.state.messages.filter((m) => m.chatId === chatId);
  }

  lastMessageTo(openIdOrChatId: string): DeliveredMessage {
    const all = this.messagesTo(openIdOrChatId);
    if (!all.length) throw new Error(`nothing was delivered to ${openIdOrChatId}`);
    return all[all.length - 1];
  }

  /** The last message to a user or chat, which must be a card; checked against the Card JSON 2.0 rules. */
  lastCard(openIdOrChatId: string): { msg: DeliveredMessage; card: CardJson } {
    const msg = this.lastMessageTo(openIdOrChatId);
    if (msg.msgType !== 'interactive') throw new Error(`the last message to ${openIdOrChatId} is ${msg.msgType}, not a card: ${msg.content.slice(0, 200)}`);
    return { msg, card: validCard(TestBot.cardOf(msg)) };
  }

  /** What the user reads in the last message to them (text, or the card's visible text). */
  lastText(openIdOrChatId: string): string {
    return messageText(this.lastMessageTo(openIdOrChatId));
  }

  /** The card JSON a message shows now (after patches). */
  static cardOf(message: DeliveredMessage): CardJson {
    return JSON.parse(message.currentContent) as CardJson;
  }

  async stop(): Promise<void> {
    await this.app.stop();
    await this.lark.close();
    await this.databaseUrl.drop();
  }
}

export const cardOf = TestBot.cardOf;
