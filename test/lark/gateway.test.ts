import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, ENCRYPT_KEY, VERIFICATION_TOKEN, cardOf } from '../support/harness.ts';
import { encryptBody, signedHeaders, textEvent, cardEvent } from '../support/lark-sign.ts';
import { cardText, findButton } from '../support/cards.ts';
import { p2pChatId, STANDIN_BOT, startLarkStandIn } from '../../src/sandbox/standin.ts';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { testDatabase } from '../support/db.ts';
import { ROOT } from '../support/process.ts';
import { ERRORS } from '../../src/platform/errors.ts';
import { openDatabase } from '../../src/platform/db/client.ts';
import { parseDatabaseUrl } from '../../src/platform/db/url.ts';

const ALICE = 'ou_alice0001';
let bot: TestBot;

beforeAll(async () => {
  bot = await TestBot.start({ name: 'gateway' });
});
afterAll(async () => {
  await bot?.stop();
});

async function rows() {
  return bot.app.database.prisma.processedEvent.count();
}

describe('intake', () => {
  it('answers url_verification with the challenge', async () => {
    const res = await bot.post('/lark/events', { type: 'url_verification', challenge: 'ch-123', token: VERIFICATION_TOKEN }, { plain: true });
    expect(res).toEqual({ status: 200, body: { challenge: 'ch-123' } });
  });

  it('refuses a forged signature, a wrong token and a stale timestamp with 401 and changes nothing', async () => {
    const before = await rows();
    const sent = bot.state.messages.length;
    const event = textEvent({ token: VERIFICATION_TOKEN, senderId: ALICE, chatId: p2pChatId(ALICE), text: '/help' });
    const raw = encryptBody(ENCRYPT_KEY, event);

    const forged = await fetch(bot.url + '/lark/events', { method: 'POST', headers: { ...signedHeaders(ENCRYPT_KEY, raw), 'x-lark-signature': '0'.repeat(64) }, body: raw });
    expect(forged.status).toBe(401);

    const wrong = encryptBody(ENCRYPT_KEY, textEvent({ token: 'not-the-token', senderId: ALICE, chatId: p2pChatId(ALICE), text: '/help' }));
    const wrongRes = await fetch(bot.url + '/lark/events', { method: 'POST', headers: signedHeaders(ENCRYPT_KEY, wrong), body: wrong });
    expect(wrongRes.status).toBe(401);

    const stale = await fetch(bot.url + '/lark/card', { method: 'POST', headers: signedHeaders(ENCRYPT_KEY, raw, { timestampSec: Math.floor(Date.now() / 1000) - 600 }), body: raw });
    expect(stale.status).toBe(401);

    await bot.settle();
    expect(await rows()).toBe(before);
    expect(bot.state.messages.length).toBe(sent);
  });

  it('answers 400 to malformed JSON and 413 to bodies over 1 MB', async () => {
    const bad = '{"schema": "2.0", ';
    expect((await fetch(bot.url + '/lark/events', { method: 'POST', headers: signedHeaders(ENCRYPT_KEY, bad), body: bad })).status).toBe(400);
    const big = JSON.stringify({ encrypt: 'a'.repeat(1024 * 1024 + 10) });
    expect((await fetch(bot.url + '/lark/events', { method: 'POST', headers: signedHeaders(ENCRYPT_KEY, big), body: big })).status).toBe(413);
  });

  it('handles one event delivered 5 times exactly once', async () => {
    const eventId = randomUUID();
    const before = bot.messagesTo(ALICE).length;
    const messageId = bot.state.registerIncoming({ chatId: p2pChatId(ALICE), senderId: ALICE });
    const event = textEvent({ token: VERIFICATION_TOKEN, senderId: ALICE, chatId: p2pChatId(ALICE), text: '/help', eventId, messageId });
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => bot.post('/lark/events', event)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    await bot.settle();
    expect(bot.messagesTo(ALICE).length - before).toBe(1);
    const row = await bot.app.database.prisma.processedEvent.findUnique({ where: { eventId } });
    expect(row?.status).toBe('done');
  });

  it('gives a re-sent card callback the same answer without handling it again', async () => {
    const eventId = randomUUID();
    const event = cardEvent({ token: VERIFICATION_TOKEN, operatorId: ALICE, value: { action: 'no.such.action' }, eventId });
    const first = await bot.post('/lark/card', event);
    const second = await bot.post('/lark/card', event);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ toast: { type: 'warning', content: ERRORS.CARD_EXPIRED.msg } });
    expect(second.body).toEqual(first.body);
    const metrics = await bot.app.metrics.registry.getSingleMetricAsString('kezhao_events_received_total');
    expect(metrics).toMatch(/type="card",outcome="duplicate"\} [1-9]/);
  });

  it('handles a message a crash left unhandled, once, on the next start', async () => {
    const eventId = randomUUID();
    const messageId = bot.state.registerIncoming({ chatId: p2pChatId(ALICE), senderId: ALICE });
    await bot.app.database.prisma.processedEvent.create({
      data: {
        eventId,
        eventType: 'message',
        payload: JSON.stringify({ kind: 'message', eventId, chatId: p2pChatId(ALICE), chatType: 'p2p', messageId, senderId: ALICE, messageType: 'text', text: '帮助', mentions: [], createdAt: new Date() }),
      },
    });
    expect(await bot.app.inbox.resume()).toBe(1);
    expect(await bot.app.inbox.resume()).toBe(0);
    await bot.settle();
    const replies = bot.state.messages.filter((m) => m.parentId === messageId);
    expect(replies).toHaveLength(1);
  });
  it('finishes a card click whose process died before answering it: the answer arrives under the card', async () => {
    const eventId = randomUUID();
    const messageId = bot.state.registerIncoming({ chatId: p2pChatId(ALICE), senderId: ALICE });
    const handled: string[] = [];
    const original = bot.app.bot.handleCardAction.bind(bot.app.bot);
    bot.app.bot.handleCardAction = async (ev) => {
      handled.push(ev.eventId);
      return { toast: { type: 'success', content: '已处理完毕' } };
    };
    try {
      // As a process killed while handling the click leaves it: recorded, its lease run out, no answer.
      await bot.app.database.prisma.processedEvent.create({
        data: {
          eventId,
          eventType: 'card',
          attempts: 0,
          lockedUntil: new Date(bot.app.services.clock().getTime() - 1000),
          payload: JSON.stringify({ kind: 'card', eventId, operatorId: ALICE, value: { action: 'noop' }, messageId, chatId: p2pChatId(ALICE) }),
        },
      });
      expect(await bot.app.inbox.resume()).toBe(1);
      await bot.settle();
      expect(await bot.app.inbox.resume()).toBe(0);
      expect(handled).toEqual([eventId]);
      const row = await bot.app.database.prisma.processedEvent.findUniqueOrThrow({ where: { eventId } });
      expect(row.status).toBe('done');
      const replies = bot.state.messages.filter((m) => m.parentId === messageId);
      expect(replies.map((m) => JSON.parse(m.content).text)).toEqual(['已处理完毕']);
    } finally {
      bot.app.bot.handleCardAction = original;
    }
  });

  it('tells the sender when handling a message failed on its last try, and not before', async () => {
    const messageId = bot.state.registerIncoming({ chatId: p2pChatId(ALICE), senderId: ALICE });
    // A payload the router cannot handle (as a bug would): every try throws.
    const broken = (eventId: string, attempts: number) => bot.app.database.prisma.processedEvent.create({
      data: {
        eventId,
        eventType: 'message',
        attempts,
        payload: JSON.stringify({ kind: 'message', eventId, chatId: p2pChatId(ALICE), chatType: 'p2p', messageId, senderId: ALICE, messageType: 'text', text: '帮助', mentions: 'not a list', createdAt: new Date() }),
      },
    });
    const early = randomUUID();
    await broken(early, 0);
    await bot.app.inbox.resume();
    await bot.settle();
    expect((await bot.app.database.prisma.processedEvent.findUniqueOrThrow({ where: { eventId: early } })).status).toBe('received');
    expect(bot.state.messages.filter((m) => m.parentId === messageId)).toHaveLength(0);
    await bot.app.database.prisma.processedEvent.delete({ where: { eventId: early } });

    const last = randomUUID();
    await broken(last, 4); // four tries failed already; the fifth is the last
    await bot.app.inbox.resume();
    await bot.settle();
    expect((await bot.app.database.prisma.processedEvent.findUniqueOrThrow({ where: { eventId: last } })).status).toBe('failed');
    const replies = bot.state.messages.filter((m) => m.parentId === messageId);
    expect(replies.map((m) => JSON.parse(m.content).text)).toEqual(['处理失败，请稍后重试。如多次失败，请联系管理员。']);
  });

  it('keeps retrying, while running, an event whose handling did not finish', async () => {
    const eventId = randomUUID();
    const messageId = bot.state.registerIncoming({ chatId: p2pChatId(ALICE), senderId: ALICE });
    bot.app.inbox.startRetries(25);
    try {
      // As a failed attempt leaves it: received, tried once, not locked.
      await bot.app.database.prisma.processedEvent.create({
        data: {
          eventId,
          eventType: 'message',
          attempts: 1,
          payload: JSON.stringify({ kind: 'message', eventId, chatId: p2pChatId(ALICE), chatType: 'p2p', messageId, senderId: ALICE, messageType: 'text', text: '帮助', mentions: [], createdAt: new Date() }),
        },
      });
      for (let i = 0; i < 200; i++) {
        const row = await bot.app.database.prisma.processedEvent.findUnique({ where: { eventId } });
        if (row?.status === 'done') break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await bot.settle();
      expect((await bot.app.database.prisma.processedEvent.findUnique({ where: { eventId } }))?.status).toBe('done');
      expect(bot.state.messages.filter((m) => m.parentId === messageId)).toHaveLength(1);
    } finally {
      bot.app.inbox.startRetries();
    }
  });
});

describe('commands', () => {
  it('/help answers in Chinese with the commands this person may run', async () => {
    await bot.say(ALICE, '/help');
    const text = cardText(cardOf(bot.lastMessageTo(ALICE)));
    expect(text).toContain('科招助手 · 指令帮助');
    // Only admins read the English keys (issue 18).
    expect(text).not.toContain('/help');
    expect(text).toContain('帮助');
    expect(text).toContain('未分配角色');
  });

  it('understands the Chinese word and a group message that @mentions the bot', async () => {
    await bot.say(ALICE, '@科招助手 帮助', { chatId: 'oc_group_1', mentions: [STANDIN_BOT] });
    expect(cardText(cardOf(bot.lastMessageTo('oc_group_1')))).toContain('指令帮助');
  });

  it('stays silent in a group when nobody @mentions it (people talking among themselves)', async () => {
    const before = bot.messagesTo('oc_group_2').length;
    await bot.say(ALICE, '今天下午三点开周例会', { chatId: 'oc_group_2' });
    await bot.say(ALICE, '帮助', { chatId: 'oc_group_2' });
    expect(bot.messagesTo('oc_group_2').length - before).toBe(0);
    await bot.say(ALICE, '@科招助手 帮助', { chatId: 'oc_group_2', mentions: [STANDIN_BOT] });
    expect(bot.messagesTo('oc_group_2').length - before).toBe(1);
  });

  it('stays silent in a group when a message @mentions only a person, not the bot', async () => {
    const group = 'oc_group_people';
    const wang = { openId: 'ou_wang0001', name: '王招商' };
    await bot.say(ALICE, '@王招商 请看下', { chatId: group, mentions: [wang] });
    await bot.say(ALICE, '@王招商 /help', { chatId: group, mentions: [wang] });
    expect(bot.messagesTo(group)).toHaveLength(0);
    // The bot learnt who it is from the Open Platform, once.
    expect(bot.state.callsTo('/open-apis/bot/v3/info', 'GET').map((c) => c.status)).toEqual([200]);
  });

  it('answers in a group when the bot is @mentioned, also after a person', async () => {
    const group = 'oc_group_people2';
    await bot.say(ALICE, '@王招商 @科招助手 /help', { chatId: group, mentions: [{ openId: 'ou_wang0001', name: '王招商' }, STANDIN_BOT] });
    expect(bot.messagesTo(group)).toHaveLength(1);
    expect(cardText(cardOf(bot.lastMessageTo(group)))).toContain('指令帮助');
    await bot.say(ALICE, '@科招助手 ／my', { chatId: group, mentions: [STANDIN_BOT] });
    expect(cardText(cardOf(bot.lastMessageTo(group)))).toContain('我的项目');
  });

  it('understands commands typed with a Chinese input method: ／my, 、help, help, HELP, ／ｍｙ', async () => {
    for (const [typed, expected] of [['／my', '我的项目'], ['、help', '指令帮助'], ['help', '指令帮助'], ['HELP', '指令帮助'], ['／ｍｙ', '我的项目'], ['、 my', '我的项目'], ['/帮助', '指令帮助']]) {
      const before = bot.messagesTo(ALICE).length;
      await bot.say(ALICE, typed);
      const replies = bot.messagesTo(ALICE).slice(before);
      expect(replies, typed).toHaveLength(1);
      expect(replies[0].msgType, typed).toBe('interactive');
      expect(cardText(cardOf(replies[0])), typed).toContain(expected);
    }
  });

  it('answers a sentence starting with 、 like any other unknown text', async () => {
    await bot.say(ALICE, '、我们下午再对一下');
    expect(cardText(bot.lastCard(ALICE).card)).toContain('没有看懂');
  });

  it('answers unknown text with a small menu card, not silence', async () => {
    await bot.say(ALICE, '今天天气怎么样');
    const { card } = bot.lastCard(ALICE);
    expect(cardText(card)).toContain('没有看懂');
    expect(findButton(card, '帮助')).toBeDefined();
  });
});

describe('when the bot cannot learn its own open_id at start', () => {
  it('still starts and answers, treating any @mention in a group as addressed to it', async () => {
    const other = await TestBot.start({
      name: 'gateway-noident',
      beforeStart: (lark) => lark.failNext(1, { status: 500, code: 500, msg: 'internal error', path: '/open-apis/bot/v3/info' }),
    });
    try {
      await other.say(ALICE, '/help');
      expect(cardText(cardOf(other.lastMessageTo(ALICE)))).toContain('指令帮助');
      // The rule before the bot knew its open_id: an @mention of anyone addresses it (here, the hint).
      await other.say(ALICE, '@王招商 请看下', { chatId: 'oc_group_x', mentions: [{ openId: 'ou_wang0001', name: '王招商' }] });
      expect(other.messagesTo('oc_group_x')).toHaveLength(1);
      expect(other.state.callsTo('/open-apis/bot/v3/info', 'GET').map((c) => c.status)).toEqual([500]);
    } finally {
      await other.stop();
    }
  });
});

describe('graceful stop', () => {
  it('finishes an event taken just before stopping and delivers its reply', async () => {
    const other = await TestBot.start({ name: 'gateway-stop' });
    const messageId = other.state.registerIncoming({ chatId: p2pChatId(ALICE), senderId: ALICE });
    const event = textEvent({ token: VERIFICATION_TOKEN, senderId: ALICE, chatId: p2pChatId(ALICE), text: '/help', messageId });
    expect((await other.post('/lark/events', event)).status).toBe(200);
    await other.app.stop();
    expect(other.state.messages.filter((m) => m.parentId === messageId)).toHaveLength(1);
    await other.lark.close();
    await other.databaseUrl.drop();
  });
});

describe('two processes on one database', () => {
  it('handle an event that reaches both exactly once', async () => {
    // A second instance on the first one's database and Lark.
    const other = await TestBot.start({ name: 'gateway-2', env: { DATABASE_URL: bot.databaseUrl.url, LARK_DOMAIN: bot.lark.url } });
    try {
      const eventId = randomUUID();
      const before = bot.messagesTo(ALICE).length;
      const messageId = bot.state.registerIncoming({ chatId: p2pChatId(ALICE), senderId: ALICE });
      const event = textEvent({ token: VERIFICATION_TOKEN, senderId: ALICE, chatId: p2pChatId(ALICE), text: '/help', eventId, messageId });
      const raw = encryptBody(ENCRYPT_KEY, event);
      const send = (url: string) => fetch(url + '/lark/events', { method: 'POST', headers: signedHeaders(ENCRYPT_KEY, raw), body: raw });
      const [a, b] = await Promise.all([send(bot.url), send(other.url)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      await bot.settle();
      await other.settle();
      expect(bot.messagesTo(ALICE).length - before).toBe(1);
    } finally {
      await other.app.stop();
      await other.lark.close();
    }
  });
});

describe('a message whose handling kills the process (poison message)', () => {
  it('is given up after the usual 5 tries with the usual 「处理失败」 reply, not retried forever', { timeout: 120_000 }, async () => {
    const lark = await startLarkStandIn();
    const poison = await testDatabase('gateway-poison');
    const children: ReturnType<typeof spawn>[] = [];
    let final: TestBot | undefined;
    try {
      const eventId = randomUUID();
      const messageId = lark.state.registerIncoming({ chatId: p2pChatId(ALICE), senderId: ALICE });
      // Recorded, as the route records it before answering Lark; then every process that takes it dies.
      // Written once the setup service (which migrated the database) has stopped: a running one could take
      // it in its retry pass and handle it before the children start.
      const setup = await TestBot.start({ name: 'gateway-poison-setup', env: { DATABASE_URL: poison.url, LARK_DOMAIN: lark.url } });
      await setup.app.stop();
      await setup.databaseUrl.drop();
      await setup.lark.close();
      const writer = openDatabase(parseDatabaseUrl(poison.url));
      await writer.prisma.processedEvent.create({
        // Three processes already died taking it (two more are killed below, for real).
        data: { eventId, eventType: 'message', attempts: 3, payload: JSON.stringify({ kind: 'message', eventId, chatId: p2pChatId(ALICE), chatType: 'p2p', messageId, senderId: ALICE, messageType: 'text', text: '帮助', mentions: [], createdAt: new Date() }) },
      });
      await writer.close();

      const LOCK_MS = 60_000;
      for (let i = 0; i < 2; i++) {
        // Each process starts a lock period after the last (its clock runs ahead), takes the event and is
        // killed (SIGKILL) while handling it.
        const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'support', 'inbox-crash-child.ts')], {
          cwd: ROOT,
          env: { ...process.env, DATABASE_URL: poison.url, LARK_DOMAIN: lark.url, CLOCK_OFFSET_MS: String(i * (LOCK_MS + 1000)) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        children.push(proc);
        let out = '';
        proc.stdout!.on('data', (d) => (out += d));
        proc.stderr!.on('data', (d) => (out += d));
        const exited = new Promise((resolve) => proc.on('close', resolve));
        const until = Date.now() + 30_000;
        while (!out.includes(`HANDLING ${eventId}`)) {
          if (Date.now() > until || proc.exitCode !== null) throw new Error(`child ${i + 1} did not take the event:\n${out}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        proc.kill('SIGKILL');
        await exited;
      }

      // The next start, after the last lock ran out: the event is not handled a sixth time.
      final = await TestBot.start({ name: 'gateway-poison-final', env: { DATABASE_URL: poison.url, LARK_DOMAIN: lark.url }, clock: () => new Date(Date.now() + 2 * (LOCK_MS + 1000)) });
      const replied = () => lark.state.messages.some((m) => m.parentId === messageId);
      for (let i = 0; i < 400 && !replied(); i++) await new Promise((r) => setTimeout(r, 25));
      await final.settle();
      const row = await final.app.database.prisma.processedEvent.findUniqueOrThrow({ where: { eventId } });
      expect(row.status).toBe('failed');
      expect(row.attempts).toBe(5);
      const replies = lark.state.messages.filter((m) => m.parentId === messageId);
      expect(replies.map((m) => JSON.parse(m.content).text)).toEqual(['处理失败，请稍后重试。如多次失败，请联系管理员。']);
      // And it stays given up.
      expect(await final.app.inbox.resume()).toBe(0);
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await final?.app.stop();
      await final?.databaseUrl.drop();
      await final?.lark.close();
      await lark.close();
      await poison.drop();
    }
  });
});
