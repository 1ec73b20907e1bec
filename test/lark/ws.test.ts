// LARK_MODE=ws: the real service (createApp) connects with the node-sdk's WSClient to a stand-in of Lark's
// long-connection endpoint, served on the same 127.0.0.1 server as the stand-in of the Open Platform API.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { parseEnv } from '../../src/platform/config/env.ts';
import { defaultOffice } from '../../src/office/config.ts';
import { LarkStandInState, larkStandInPlugin, p2pChatId, STANDIN_BOT } from '../../src/sandbox/standin.ts';
import { LarkWsStandIn, larkWsStandInPlugin } from '../../src/sandbox/standin-ws.ts';
import { startLongConnection } from '../../src/platform/lark/ws.ts';
import { cardText } from '../support/cards.ts';
import { testDatabase, type TestDatabaseUrl } from '../support/db.ts';
import { cardEvent, textEvent } from '../support/lark-sign.ts';

const APP_ID = 'cli_a1b2c3d4e5f6a7b8';
const APP_SECRET = 'ws-test-app-secret';
const ALICE = 'ou_wsalice0001';

let lark: FastifyInstance;
let larkUrl: string;
let api: LarkStandInState;
let longConn: LarkWsStandIn;
let db: TestDatabaseUrl;
const apps: App[] = [];

interface Running {
  app: App;
  url: string;
  /** Every string the service logged at info, warn or error level. */
  logged: () => string[];
}

async function startService(env: Record<string, string>): Promise<Running> {
  const parsed = parseEnv({
    PORT: '1',
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    LARK_MODE: 'ws',
    LARK_APP_ID: APP_ID,
    LARK_APP_SECRET: APP_SECRET,
    LARK_DOMAIN: larkUrl,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
  const app = await createApp({ env: { ...parsed, PORT: 0 }, office: defaultOffice() });
  apps.push(app);
  // Observe (and pass on) what the service logs; the long connection is started by listen().
  const spies = (['info', 'warn', 'error'] as const).map((level) => vi.spyOn(app.server.log, level));
  const url = await app.listen();
  const logged = () => spies.flatMap((s) => s.mock.calls.flat().filter((a): a is string => typeof a === 'string'));
  return { app, url, logged };
}

async function larkHealth(url: string): Promise<string> {
  const body = (await (await fetch(`${url}/healthz`)).json()) as { lark: string };
  return body.lark;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function settle(app: App): Promise<void> {
  await app.inbox.idle();
  await app.outbox.drain(10_000);
}

/** A message the user sent: it exists on Lark's side, so the bot can reply to it. */
function userMessage(openId: string): string {
  return api.deliver({ chatId: p2pChatId(openId), receiveIdType: 'open_id', receiveId: openId, msgType: 'text', content: JSON.stringify({ text: '/help' }) }).messageId;
}

const repliesTo = (messageId: string) => api.messages.filter((m) => m.parentId === messageId);

beforeAll(async () => {
  api = new LarkStandInState({ appId: APP_ID, appSecret: APP_SECRET });
  longConn = new LarkWsStandIn({ appId: APP_ID, appSecret: APP_SECRET, clientConfig: { ReconnectNonce: 0, ReconnectInterval: 1 } });
  lark = Fastify({ logger: false });
  await lark.register(larkStandInPlugin, { state: api });
  await lark.register(larkWsStandInPlugin, { standIn: longConn });
  larkUrl = await lark.listen({ host: '127.0.0.1', port: 0 });
  db = await testDatabase('lark-ws');
});

afterAll(async () => {
  for (const app of apps) await app.stop();
  await lark?.close();
  await db?.drop();
});

describe('LARK_MODE=ws', () => {
  let svc: Running;

  beforeAll(async () => {
    svc = await startService({});
  });

  it('connects through the long-connection endpoint and reports it on /healthz', async () => {
    await waitFor('lark ws:connected on /healthz', async () => (await larkHealth(svc.url)) === 'ws:connected');
    expect(longConn.connections()).toBe(1);
    expect(longConn.endpointCalls.map((c) => [c.appId, c.ok])).toEqual([[APP_ID, true]]);
    expect(longConn.pings).toBeGreaterThanOrEqual(1);
    expect(svc.logged().some((l) => l.includes('Lark long connection: connected'))).toBe(true);
    // Events come over the connection only: the callback URLs are not served, so nobody can post to them.
    for (const path of ['/lark/events', '/lark/card']) {
      const res = await fetch(svc.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"url_verification","challenge":"x"}' });
      expect(res.status).toBe(404);
    }
  });

  it('answers /help pushed over the socket with the Chinese help card, through the reply API', async () => {
    const messageId = userMessage(ALICE);
    const ack = await longConn.pushEvent(textEvent({ token: 'unused-in-ws-mode', senderId: ALICE, chatId: p2pChatId(ALICE), text: '/help', messageId }));
    expect(ack.code).toBe(200);
    expect(ack.data).toBeUndefined();
    await settle(svc.app);

    const replies = repliesTo(messageId);
    expect(replies).toHaveLength(1);
    expect(replies[0].msgType).toBe('interactive');
    const text = cardText(JSON.parse(replies[0].content));
    expect(text).toContain('科招助手 · 指令帮助');
    expect(text).toContain('帮助');
    expect(api.callsTo(`/open-apis/im/v1/messages/${messageId}/reply`, 'POST').some((c) => c.status === 200)).toBe(true);
  });

  it('in a group, answers a message that @mentions the bot and not one that @mentions only a person', async () => {
    const group = 'oc_ws_group';
    const wang = { key: '@_user_1', openId: 'ou_wswang0001', name: '王招商' };
    const toPerson = api.registerIncoming({ chatId: group, senderId: ALICE, content: JSON.stringify({ text: '@_user_1 请看下' }) });
    await longConn.pushEvent(textEvent({ token: 'unused', senderId: ALICE, chatId: group, chatType: 'group', text: '@_user_1 请看下', mentions: [wang], messageId: toPerson }));
    const toBot = api.registerIncoming({ chatId: group, senderId: ALICE, content: JSON.stringify({ text: '@_user_1 @_user_2 帮助' }) });
    await longConn.pushEvent(textEvent({ token: 'unused', senderId: ALICE, chatId: group, chatType: 'group', text: '@_user_1 @_user_2 帮助', mentions: [wang, { key: '@_user_2', ...STANDIN_BOT }], messageId: toBot }));
    await settle(svc.app);
    expect(repliesTo(toPerson)).toHaveLength(0);
    expect(repliesTo(toBot)).toHaveLength(1);
    expect(cardText(JSON.parse(repliesTo(toBot)[0].content))).toContain('指令帮助');
    expect(api.callsTo('/open-apis/bot/v3/info', 'GET').filter((c) => c.status === 200).length).toBeGreaterThanOrEqual(1);
  });

  it('returns the answer to a card action in the ACK', async () => {
    const ack = await longConn.pushEvent(cardEvent({ token: 'unused-in-ws-mode', operatorId: ALICE, value: { action: 'nope' } }));
    expect(ack.code).toBe(200);
    expect(ack.data).toEqual({ toast: { type: 'warning', content: expect.stringContaining('该卡片已过期') } });
  });

  it('handles an event pushed twice once, and answers a repeated card action the same way', async () => {
    const messageId = userMessage(ALICE);
    const message = textEvent({ token: 'unused', senderId: ALICE, chatId: p2pChatId(ALICE), text: '帮助', messageId, eventId: randomUUID() });
    expect((await longConn.pushEvent(message)).code).toBe(200);
    await settle(svc.app);
    expect((await longConn.pushEvent(message)).code).toBe(200);
    await settle(svc.app);
    expect(repliesTo(messageId)).toHaveLength(1);

    const card = cardEvent({ token: 'unused', operatorId: ALICE, value: { action: 'nope' }, eventId: randomUUID() });
    const first = await longConn.pushEvent(card);
    const second = await longConn.pushEvent(card);
    expect(first.data).toMatchObject({ toast: { type: 'warning' } });
    expect(second.data).toEqual(first.data);
    const eventId = (card.header as { event_id: string }).event_id;
    expect(await svc.app.database.prisma.processedEvent.count({ where: { eventId: { in: [eventId, (message.header as { event_id: string }).event_id] } } })).toBe(2);
  });

  it('reconnects after the connection is cut and keeps receiving events', async () => {
    const accepted = longConn.connectionsAccepted;
    longConn.dropAll();
    await waitFor('a new connection', () => longConn.connectionsAccepted === accepted + 1 && longConn.connections() === 1);
    await waitFor('lark ws:connected on /healthz again', async () => (await larkHealth(svc.url)) === 'ws:connected');
    const lines = svc.logged();
    expect(lines.some((l) => l.includes('connection lost, reconnecting'))).toBe(true);
    expect(lines.some((l) => l.includes('Lark long connection: reconnected'))).toBe(true);
    expect(longConn.endpointCalls.filter((c) => c.ok).length).toBe(2);

    const ack = await longConn.pushEvent(cardEvent({ token: 'unused', operatorId: ALICE, value: { action: 'nope' } }));
    expect(ack.data).toMatchObject({ toast: { type: 'warning' } });
  });

  it('replaces a connection that stopped answering pings (a half-open socket)', async () => {
    // A second endpoint whose sockets stay open but never answer a ping.
    const silent = new LarkWsStandIn({ appId: APP_ID, appSecret: APP_SECRET, clientConfig: { ReconnectNonce: 0, ReconnectInterval: 1 } });
    silent.answerPings = false;
    const server = Fastify({ logger: false });
    await server.register(larkWsStandInPlugin, { standIn: silent });
    const domain = await server.listen({ host: '127.0.0.1', port: 0 });
    const conn = startLongConnection({ appId: APP_ID, appSecret: APP_SECRET, domain, deliver: (e, a, t) => svc.app.inbox.accept(e, a, t), log: svc.app.server.log, pingTimeoutSec: 1 });
    try {
      await waitFor('the client to give up on the silent socket and connect again', () => silent.connectionsAccepted >= 2);
      silent.answerPings = true;
      await waitFor('the new connection', () => conn.state() === 'connected' && silent.connections() === 1);
      const ack = await silent.pushEvent(cardEvent({ token: 'unused', operatorId: ALICE, value: { action: 'nope' } }));
      expect(ack.data).toMatchObject({ toast: { type: 'warning' } });
    } finally {
      conn.close();
      await server.close();
    }
  });
});

describe('LARK_MODE=ws with bad credentials', () => {
  it('reports ws:failed and says why when the app secret is wrong', async () => {
    const svc = await startService({ LARK_APP_SECRET: 'wrong-secret' });
    await waitFor('lark ws:failed on /healthz', async () => (await larkHealth(svc.url)) === 'ws:failed');
    expect(svc.logged().some((l) => l.includes('Lark long connection: gave up') && l.includes('LARK_APP_SECRET'))).toBe(true);
  });

  it('reports ws:failed and names LARK_APP_ID when it is not a self-built app id', async () => {
    const svc = await startService({ LARK_APP_ID: 'cli_notanappid' });
    expect(await larkHealth(svc.url)).toBe('ws:failed');
    expect(svc.logged().some((l) => l.includes('LARK_APP_ID "cli_notanappid"'))).toBe(true);
    expect(longConn.endpointCalls.some((c) => c.appId === 'cli_notanappid')).toBe(false);
  });
});
