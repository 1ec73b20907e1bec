// The nightly housekeeping job keeps the inbox, outbox and drafts small without touching what is still needed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot } from '../support/harness.ts';

const NOW = new Date('2026-06-30T19:53:00Z'); // 03:53 on 1 July in Asia/Shanghai
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);
let bot: TestBot;

beforeAll(async () => {
  bot = await TestBot.start({ name: 'housekeeping', clock: () => NOW });
});
afterAll(async () => {
  await bot?.stop();
});

describe('housekeeping', () => {
  it('drops old handled event ids, delivered outbox rows and abandoned drafts, and keeps the rest', async () => {
    const db = bot.app.database.prisma;
    await db.processedEvent.createMany({
      data: [
        { eventId: 'old-done', eventType: 'message', status: 'done', receivedAt: daysAgo(8) },
        { eventId: 'new-done', eventType: 'message', status: 'done', receivedAt: daysAgo(6) },
        { eventId: 'old-unhandled', eventType: 'message', status: 'received', payload: '{}', receivedAt: daysAgo(8) },
      ],
    });
    const row = (uuid: string, status: string, age: number) => ({ uuid, op: 'send', receiveIdType: 'chat_id', receiveId: 'oc_1', msgType: 'text', content: '{"text":"x"}', status, createdAt: daysAgo(age), nextAttemptAt: daysAgo(age) });
    await db.outboxMessage.createMany({
      // The pending one waits for a retry an hour from now (the worker runs on real time), so it stays put.
      data: [row('old-sent', 'sent', 31), row('recent-sent', 'sent', 13), row('old-dead', 'dead', 40), row('old-dropped', 'dropped', 31), row('recent-dropped', 'dropped', 2), { ...row('old-pending', 'pending', 40), nextAttemptAt: new Date(Date.now() + 3_600_000) }],
    });
    await db.leadDraft.createMany({
      data: [
        { userId: 'ou_a', kind: 'tech', values: {}, createdAt: daysAgo(3) },
        { userId: 'ou_a', kind: 'quota_import', values: {}, createdAt: daysAgo(1) },
      ],
    });

    const outcome = await bot.app.scheduler.run('housekeeping', NOW);
    expect(outcome).toMatchObject({ status: 'done' });

    expect((await db.processedEvent.findMany({ orderBy: { eventId: 'asc' } })).map((e) => e.eventId)).toEqual(['new-done', 'old-unhandled']);
    expect((await db.outboxMessage.findMany({ orderBy: { uuid: 'asc' } })).map((m) => m.uuid)).toEqual(['old-pending', 'recent-dropped', 'recent-sent']);
    expect((await db.leadDraft.findMany()).map((d) => d.kind)).toEqual(['quota_import']);
  });
});
