// PostgreSQL refusing connections for 10 s (a restart, a failover): the bot keeps answering within Lark's
// limits, says so politely, leaks nothing, and loses nothing: an event it could not record is answered 5xx so
// Lark re-sends it, and the re-sent event is handled once the database is back.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, VERIFICATION_TOKEN } from '../support/harness.ts';
import { testDatabase, testProvider, TEST_PG_URL, type TestDatabaseUrl } from '../support/db.ts';
import { textEvent } from '../support/lark-sign.ts';
import { p2pChatId } from '../../src/sandbox/standin.ts';

/** A TCP proxy in front of PostgreSQL that can refuse every connection for a while. */
class Outage {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async up(): Promise<void> {
    if (this.server?.listening) return;
    this.server = createServer((client) => {
      const upstream = connect(5432, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Drops every open connection and refuses new ones (the port stops listening). */
  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

const STAFF = 'ou_staffdy01';
const LEAK = /prisma|invocation|ECONNREFUSED|\.ts\b|node_modules|\/work\/|SELECT|INSERT|stack/i;

describe.skipIf(testProvider() !== 'postgres')('PostgreSQL refusing connections for 10 s', () => {
  const outage = new Outage();
  let db: TestDatabaseUrl;
  let bot: TestBot;

  beforeAll(async () => {
    await outage.up();
    db = await testDatabase('db-outage');
    const schema = new URL(db.url).searchParams.get('schema');
    const viaProxy = `${TEST_PG_URL.replace(':5432', `:${outage.port}`)}${TEST_PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    bot = await TestBot.start({ name: 'db-outage-unused', env: { DATABASE_URL: viaProxy } });
    await bot.app.database.prisma.roleGrant.create({ data: { userId: STAFF, role: 'staff', town: '丁堰镇', grantedBy: 'test' } });
  });
  afterAll(async () => {
    await bot?.stop().catch(() => {});
    await outage.down().catch(() => {});
    await db?.drop();
  });

  it('answers politely and fast while down, and handles the re-sent message once it is back', async () => {
    await bot.say(STAFF, '/my');
    expect(bot.lastText(STAFF) + JSON.stringify(bot.messagesTo(STAFF).at(-1))).toContain('我的项目');

    await outage.down();
    const downAt = Date.now();
    try {
      // A card click: HTTP 200 within Lark's 3 s with a Chinese toast, nothing of the driver's words.
      const t0 = Date.now();
      const reply = await bot.clickValue(STAFF, { action: 'register.open' }, { settle: false });
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(reply.toast?.content).toMatch(/系统|正在处理/);
      expect(JSON.stringify(reply)).not.toMatch(LEAK);

      // A message: the event id cannot be recorded, so the answer is a 5xx (Lark will send it again), fast.
      const messageId = bot.state.registerIncoming({ chatId: p2pChatId(STAFF), senderId: STAFF, content: JSON.stringify({ text: '/my' }) });
      const event = textEvent({ token: VERIFICATION_TOKEN, senderId: STAFF, chatId: p2pChatId(STAFF), text: '/my', messageId, eventId: randomUUID() });
      const e0 = Date.now();
      const first = await bot.post('/lark/events', event);
      expect(Date.now() - e0).toBeLessThan(3000);
      expect(first.status).toBeGreaterThanOrEqual(500);
      expect(JSON.stringify(first.body)).not.toMatch(LEAK);

      const h0 = Date.now();
      const health = await fetch(`${bot.url}/healthz`);
      expect(Date.now() - h0).toBeLessThan(1500);
      expect(health.status).toBe(503);
      expect(JSON.stringify(await health.json())).not.toMatch(LEAK);

      // Back after 10 s: Lark re-sends the event; it is handled, once.
      await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - downAt))));
      await outage.up();
      const repliesBefore = bot.state.messages.filter((m) => m.parentId === messageId).length;
      expect(repliesBefore).toBe(0);
      const again = await bot.post('/lark/events', event);
      expect(again.status).toBe(200);
      await bot.settle();
      const dup = await bot.post('/lark/events', event);
      expect(dup.status).toBe(200);
      await bot.settle();
      const replies = bot.state.messages.filter((m) => m.parentId === messageId);
      expect(replies).toHaveLength(1);
      expect(replies[0].content).toContain('我的项目');
      expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    } finally {
      await outage.up().catch(() => {});
    }
  }, 60_000);
});
