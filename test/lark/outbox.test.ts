// The outbox and its worker against a real database (SQLite, or PostgreSQL with TEST_DB=postgres) and the
// HTTP stand-in of Lark: what ends up delivered, how often, in which order and when.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/client.ts';
import { parseDatabaseUrl } from '../../src/platform/db/url.ts';
import { createLarkApi } from '../../src/platform/lark/api.ts';
import {
  cardContent,
  DEFAULT_PACING,
  enqueue,
  enqueueDeferred,
  enqueuePatchRef,
  LEASE_MS,
  messageIdsForRef,
  OutboxWorker,
  textContent,
  type OutboxLog,
  type RenderRequest,
  type OutboxWorkerOptions,
} from '../../src/platform/delivery/outbox.ts';
import { FEISHU_RATE_LIMITS, startLarkStandIn, STANDIN_APP_ID, STANDIN_APP_SECRET, type RecordedCall, type RunningStandIn, type StandInOptions } from '../../src/sandbox/standin.ts';
import type { CardJson, OutgoingMessage } from '../../src/platform/lark/types.ts';
import { createMetrics, type Metrics } from '../../src/platform/metrics.ts';
import { openTestDb, testProvider, type TestDb } from '../support/db.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SEND_PATH = '/open-apis/im/v1/messages';

let testDb: TestDb;
let db: Database;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  testDb = await openTestDb('outbox');
  db = testDb.db;
});
afterAll(async () => {
  await testDb.cleanup();
});
beforeEach(async () => {
  await db.prisma.outboxMessage.deleteMany();
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface LogEntry {
  level: 'info' | 'warn' | 'error';
  obj?: object;
  msg: string;
}

async function setup(opts: Partial<OutboxWorkerOptions> = {}, standIn: StandInOptions = {}) {
  const lark = await startLarkStandIn(standIn);
  const api = createLarkApi({ appId: STANDIN_APP_ID, appSecret: STANDIN_APP_SECRET, domain: lark.url, timeoutMs: 5000 });
  const metrics = createMetrics();
  const logs: LogEntry[] = [];
  const log: OutboxLog = {
    info: (msg) => logs.push({ level: 'info', msg }),
    warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => logs.push({ level: 'error', obj, msg }),
  };
  const worker = new OutboxWorker({ db: db.prisma, api, metrics, log, retryBaseMs: 100, ...opts });
  cleanups.push(async () => {
    await worker.stop();
    await lark.close();
  });
  return { lark, api, metrics, logs, log, worker };
}

function text(chatId: string, body: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return { op: 'send', receiveIdType: 'chat_id', receiveId: chatId, msgType: 'text', content: textContent(body), ...extra };
}

function card(title: string): CardJson {
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: { tag: 'plain_text', content: title }, template: 'blue' },
    body: { elements: [{ tag: 'markdown', content: `状态：${title}` }] },
  };
}

function cardTo(receiveId: string, title: string, ref: { refType: string; refId: string }): OutgoingMessage {
  return {
    op: 'send',
    receiveIdType: receiveId.startsWith('ou_') ? 'open_id' : 'chat_id',
    receiveId,
    msgType: 'interactive',
    content: cardContent(card(title)),
    ...ref,
  };
}

function sendCallsFor(lark: RunningStandIn, uuid: string): RecordedCall[] {
  return lark.state.callsTo(SEND_PATH, 'POST').filter((c) => (c.body as { uuid?: string }).uuid === uuid);
}

async function counter(metric: Metrics['messagesSent'] | Metrics['messagesFailed'], labels: Record<string, string>): Promise<number> {
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k as keyof typeof v.labels] === val)).reduce((s, v) => s + v.value, 0);
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const rowByUuid = (uuid: string) => db.prisma.outboxMessage.findUniqueOrThrow({ where: { uuid } });

describe('outbox delivery', () => {
  it('delivers exactly one message after three HTTP 500 answers, backing off longer each time', async () => {
    const { lark, worker, metrics } = await setup({ retryBaseMs: 100 });
    lark.state.failNext(3, { status: 500, code: 500, msg: 'internal error' });
    const [uuid] = await enqueue(db.prisma, [text('oc_retry', '项目线索已登记')]);
    worker.start();
    await worker.drain(15_000);

    const sends = sendCallsFor(lark, uuid);
    expect(sends.map((c) => c.status)).toEqual([500, 500, 500, 200]);
    for (let i = 1; i < sends.length; i++) expect(sends[i].at - sends[i - 1].at).toBeGreaterThanOrEqual(100 * 2 ** (i - 1));
    expect(lark.state.messages).toHaveLength(1);
    expect(JSON.parse(lark.state.messages[0].content)).toEqual({ text: '项目线索已登记' });
    const row = await rowByUuid(uuid);
    expect(row.status).toBe('sent');
    expect(row.messageId).toBe(lark.state.messages[0].messageId);
    expect(row.sentAt).not.toBeNull();
    expect(await counter(metrics.messagesFailed, { reason: 'server_error' })).toBe(3);
    expect(await counter(metrics.messagesSent, { op: 'send' })).toBe(1);
  });

  it('waits out a 429 until x-ogw-ratelimit-reset has passed, then delivers once', async () => {
    const { lark, worker, metrics } = await setup();
    lark.state.failNext(1, { status: 429, code: 99991400, msg: 'request trigger frequency limit', headers: { 'x-ogw-ratelimit-reset': '1' } });
    const [uuid] = await enqueue(db.prisma, [text('oc_busy', '本周招商活动提醒')]);
    worker.start();
    await worker.drain(15_000);

    const sends = sendCallsFor(lark, uuid);
    expect(sends.map((c) => c.status)).toEqual([429, 200]);
    expect(sends[1].at - sends[0].at).toBeGreaterThanOrEqual(1000);
    expect(lark.state.messages).toHaveLength(1);
    expect(await counter(metrics.messagesFailed, { reason: 'rate_limited' })).toBe(1);
  });

  it('does not count rate-limit answers as failed attempts', async () => {
    const { lark, worker } = await setup({ maxAttempts: 1 });
    lark.state.failNext(1, { status: 429, code: 99991400, headers: { 'x-ogw-ratelimit-reset': '0' } });
    const [uuid] = await enqueue(db.prisma, [text('oc_busy', '限流后仍要送达')]);
    worker.start();
    await worker.drain(15_000);
    expect((await rowByUuid(uuid)).status).toBe('sent');
    expect(lark.state.messages).toHaveLength(1);
  });

  it("waits out Lark's per-chat frequency limit (code 230020, without a 429) instead of giving the message up", async () => {
    const { lark, worker, metrics } = await setup({ maxAttempts: 1 });
    lark.state.failNext(1, { status: 400, code: 230020, msg: 'This operation triggers the frequency limit, ext=chat rate limit' });
    const [uuid] = await enqueue(db.prisma, [text('oc_busy', '群内限频后仍要送达')]);
    worker.start();
    await worker.drain(15_000);
    expect(sendCallsFor(lark, uuid).map((c) => c.status)).toEqual([400, 200]);
    expect((await rowByUuid(uuid)).status).toBe('sent');
    expect(lark.state.messages.filter((m) => m.content.includes('群内限频后仍要送达'))).toHaveLength(1);
    expect(await counter(metrics.messagesFailed, { reason: 'rate_limited' })).toBe(1);
  });

  it('waits out code 11232 (Lark throttling under load) instead of giving the message up', async () => {
    const { lark, worker, metrics } = await setup({ maxAttempts: 1 });
    // 频控策略 gives no HTTP status for 11232; a 400 is the harshest reading (not retryable otherwise).
    lark.state.failNext(1, { status: 400, code: 11232, msg: 'create message trigger rate limit' });
    const [uuid] = await enqueue(db.prisma, [text('oc_busy', '系统限流后仍要送达')]);
    worker.start();
    await worker.drain(15_000);
    expect(sendCallsFor(lark, uuid).map((c) => c.status)).toEqual([400, 200]);
    expect((await rowByUuid(uuid)).status).toBe('sent');
    expect(lark.state.messages).toHaveLength(1);
    expect(await counter(metrics.messagesFailed, { reason: 'rate_limited' })).toBe(1);
  });

  it('fetches a new tenant token once when Lark says the token is invalid, and delivers', async () => {
    const { lark, worker } = await setup();
    worker.start();
    await enqueue(db.prisma, [text('oc_token', '第一条')]);
    await worker.drain();
    expect(lark.state.tokensIssued).toBe(1);

    lark.state.invalidateTokens();
    const [uuid] = await enqueue(db.prisma, [text('oc_token', '第二条')]);
    worker.kick();
    await worker.drain();

    expect(lark.state.tokensIssued).toBe(2);
    expect(sendCallsFor(lark, uuid).map((c) => c.status)).toEqual([401, 200]);
    expect(lark.state.messages.map((m) => JSON.parse(m.content).text)).toEqual(['第一条', '第二条']);
    expect((await rowByUuid(uuid)).attempts).toBe(1);
  });

  it('gives a message up at once when Lark rejects it, and logs why', async () => {
    const { lark, worker, logs, metrics } = await setup();
    lark.state.failNext(1, { status: 400, code: 230002, msg: 'Bot/User can NOT be out of the chat.' });
    const [uuid] = await enqueue(db.prisma, [text('oc_gone', '机器人已被移出群')]);
    worker.start();
    await worker.drain();

    const row = await rowByUuid(uuid);
    expect(row.status).toBe('dead');
    expect(row.attempts).toBe(1);
    expect(row.lastError).toContain('230002');
    expect(sendCallsFor(lark, uuid)).toHaveLength(1);
    expect(lark.state.messages).toHaveLength(0);
    const given = logs.find((l) => l.level === 'error');
    expect(given?.obj).toMatchObject({ uuid, code: 230002 });
    expect(await counter(metrics.messagesFailed, { reason: 'rejected' })).toBe(1);
  });

  it('gives a message up after maxAttempts failed attempts', async () => {
    const { lark, worker } = await setup({ maxAttempts: 3, retryBaseMs: 20 });
    lark.state.failNext(5, { status: 503, code: 503 });
    const [uuid] = await enqueue(db.prisma, [text('oc_down', '服务不可用')]);
    worker.start();
    await worker.drain();

    const row = await rowByUuid(uuid);
    expect(row.status).toBe('dead');
    expect(sendCallsFor(lark, uuid)).toHaveLength(3);
    expect(lark.state.messages).toHaveLength(0);
  });

  it('retries on real time even when the app clock stands still, and records the app clock as sentAt', async () => {
    const appTime = new Date('2024-03-01T08:00:00+08:00');
    const { lark, worker } = await setup({ clock: () => appTime });
    lark.state.failNext(1, { status: 500, code: 500 });
    const [uuid] = await enqueue(db.prisma, [text('oc_clock', '定时摘要')]);
    worker.start();
    await worker.drain();
    const row = await rowByUuid(uuid);
    expect(row.status).toBe('sent');
    expect(row.sentAt?.toISOString()).toBe(appTime.toISOString());
    expect(lark.state.messages).toHaveLength(1);
  });

  it('treats an HTTP 200 answer with a non-zero code as a failure', async () => {
    const { lark, worker } = await setup();
    lark.state.failNext(1, { status: 200, code: 230002, msg: 'Bot/User can NOT be out of the chat.' });
    const [uuid] = await enqueue(db.prisma, [text('oc_200', '看似成功')]);
    worker.start();
    await worker.drain();
    expect((await rowByUuid(uuid)).status).toBe('dead');
  });
});

describe('outbox writes and transactions', () => {
  it('sends what a committed transaction wrote and nothing of a rolled-back one', async () => {
    const { lark, worker } = await setup();
    await expect(
      db.prisma.$transaction(async (tx) => {
        await enqueue(tx, [text('oc_tx', '不该发出')]);
        throw new Error('decision failed');
      }),
    ).rejects.toThrow('decision failed');
    await db.prisma.$transaction(async (tx) => {
      await enqueue(tx, [text('oc_tx', '审批已通过')]);
    });
    worker.start();
    await worker.drain();
    expect(lark.state.messages.map((m) => JSON.parse(m.content).text)).toEqual(['审批已通过']);
  });

  it('keeps one row when the same uuid is enqueued twice', async () => {
    const { lark, worker } = await setup();
    const uuid = randomUUID();
    await enqueue(db.prisma, [text('oc_dup', '重复事件', { uuid })]);
    await enqueue(db.prisma, [text('oc_dup', '重复事件', { uuid })]);
    expect(await db.prisma.outboxMessage.count({ where: { uuid } })).toBe(1);
    worker.start();
    await worker.drain();
    expect(lark.state.messages).toHaveLength(1);
  });

  it('turns a key longer than Lark allows (50 characters) into a stable one that Lark accepts', async () => {
    const { lark, worker } = await setup();
    const key = `push:lead:123456:${'oc_'.padEnd(40, 'x')}`;
    const [a] = await enqueue(db.prisma, [text('oc_long', '长键消息', { uuid: key })]);
    const [b] = await enqueue(db.prisma, [text('oc_long', '长键消息', { uuid: key })]);
    expect(a).toBe(b);
    expect(a.length).toBeLessThanOrEqual(50);
    worker.start();
    await worker.drain();
    expect(sendCallsFor(lark, a).map((c) => c.status)).toEqual([200]);
    expect(lark.state.messages).toHaveLength(1);
  });

  it('rejects a message that cannot be delivered before writing it', async () => {
    await expect(enqueue(db.prisma, [{ op: 'send', msgType: 'text', content: textContent('无收件人') }])).rejects.toThrow(/receiveId/);
    await expect(enqueue(db.prisma, [{ op: 'reply', msgType: 'text', content: 'not json' , targetId: 'om_1' }])).rejects.toThrow(/JSON/);
    // A card that breaks the Card JSON 2.0 rules, or one over 30 KB, never reaches the outbox.
    const unknownTag = { ...card('坏卡片'), body: { elements: [{ tag: 'note', elements: [] }] } };
    await expect(enqueue(db.prisma, [{ op: 'send', receiveIdType: 'chat_id', receiveId: 'oc_1', msgType: 'interactive', content: JSON.stringify(unknownTag) }])).rejects.toThrow(/note/);
    const huge = { ...card('大卡片'), body: { elements: [{ tag: 'markdown', content: '长'.repeat(11_000) }] } };
    await expect(enqueue(db.prisma, [{ op: 'send', receiveIdType: 'chat_id', receiveId: 'oc_1', msgType: 'interactive', content: JSON.stringify(huge) }])).rejects.toThrow(/30/);
    await expect(enqueuePatchRef(db.prisma, 'step', '1', unknownTag)).rejects.toThrow(/note/);
    expect(await db.prisma.outboxMessage.count()).toBe(0);
  });

  it('delivers replies and delayed card updates', async () => {
    const { lark, worker } = await setup();
    worker.start();
    const [cardUuid] = await enqueue(db.prisma, [cardTo('oc_ops', '待初审', { refType: 'step', refId: 'ops' })]);
    await worker.drain();
    const messageId = (await rowByUuid(cardUuid)).messageId!;
    const token = lark.state.issueCardToken(messageId);
    lark.state.callbackAnswered(token);
    await enqueue(db.prisma, [
      { op: 'reply', targetId: messageId, receiveId: 'oc_ops', msgType: 'text', content: textContent('已收到') },
      { op: 'card_update', targetId: token, msgType: 'interactive', content: cardContent(card('初审通过')) },
    ]);
    worker.kick();
    await worker.drain();
    const reply = lark.state.messages.find((m) => m.parentId === messageId);
    expect(reply?.chatId).toBe('oc_ops');
    expect(JSON.parse(lark.state.message(messageId)!.currentContent)).toEqual(card('初审通过'));
  });
});

describe('crashes', () => {
  function runChild(env: Record<string, string>) {
    const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'support', 'outbox-crash-child.ts')], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: testDb.url, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('close', (_code, signal) => resolve(signal)));
    cleanups.push(async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    });
    return { proc, output: () => out, exited };
  }

  it('delivers once a message whose process died after writing it and before sending it', async () => {
    const { lark, worker } = await setup();
    const uuid = randomUUID();
    const child = runChild({ CRASH_MODE: 'before-send', OUTBOX_UUID: uuid, OUTBOX_CHAT: 'oc_crash1', OUTBOX_TEXT: '崩溃前写入' });
    await until('the child to enqueue', () => child.output().includes('ENQUEUED'));
    child.proc.kill('SIGKILL');
    expect(await child.exited).toBe('SIGKILL');
    expect((await rowByUuid(uuid)).status).toBe('pending');
    expect(lark.state.calls).toHaveLength(0);

    worker.start();
    await worker.drain();
    expect(lark.state.messages.filter((m) => m.uuid === uuid)).toHaveLength(1);
    expect(JSON.parse(lark.state.messages[0].content)).toEqual({ text: '崩溃前写入' });
    expect((await rowByUuid(uuid)).status).toBe('sent');
  });

  it('re-sends with the same uuid a message delivered by a process that died before marking it sent: Lark shows one', async () => {
    const { lark, worker } = await setup();
    lark.state.delayMs = 60_000; // the answer never reaches the child
    const uuid = randomUUID();
    const child = runChild({
      CRASH_MODE: 'during-send',
      OUTBOX_UUID: uuid,
      OUTBOX_CHAT: 'oc_crash2',
      OUTBOX_TEXT: '发送后崩溃',
      LARK_APP_ID: STANDIN_APP_ID,
      LARK_APP_SECRET: STANDIN_APP_SECRET,
      LARK_DOMAIN: lark.url,
      LOCK_MS: '1000',
    });
    await until('the child to deliver', () => lark.state.deliveriesTo('oc_crash2').length > 0);
    child.proc.kill('SIGKILL');
    expect(await child.exited).toBe('SIGKILL');
    lark.state.delayMs = 0;
    const stuck = await rowByUuid(uuid);
    expect(stuck.status).toBe('sending');
    expect(stuck.messageId).toBeNull();

    worker.start();
    await worker.drain(15_000);
    expect(sendCallsFor(lark, uuid)).toHaveLength(2);
    const delivered = lark.state.messages.filter((m) => m.uuid === uuid);
    expect(delivered).toHaveLength(1);
    expect(lark.state.deliveriesTo('oc_crash2')).toHaveLength(1);
    const row = await rowByUuid(uuid);
    expect(row.status).toBe('sent');
    expect(row.messageId).toBe(delivered[0].messageId);
  });

  it('a replica takes over the send of a process killed mid-send within 15 s, and not while the holder lives', async () => {
    const { lark, worker } = await setup();
    lark.state.delayMs = 60_000; // the answer never reaches the child
    const uuid = randomUUID();
    const child = runChild({
      CRASH_MODE: 'during-send',
      OUTBOX_UUID: uuid,
      OUTBOX_CHAT: 'oc_crash3',
      OUTBOX_TEXT: '副本接手',
      LARK_APP_ID: STANDIN_APP_ID,
      LARK_APP_SECRET: STANDIN_APP_SECRET,
      LARK_DOMAIN: lark.url,
    });
    await until('the child to send', () => sendCallsFor(lark, uuid).length > 0);
    // The other replica starts once the child holds the row: running before, its poll could fall between
    // the child's commit and its first pass (a few tens of ms) and take the row first, then send it again.
    worker.start();
    // Longer than a lease: the living holder keeps renewing its claim, so the replica leaves the row alone.
    await new Promise((r) => setTimeout(r, LEASE_MS + 1500));
    expect(sendCallsFor(lark, uuid)).toHaveLength(1);
    expect((await rowByUuid(uuid)).status).toBe('sending');

    child.proc.kill('SIGKILL');
    expect(await child.exited).toBe('SIGKILL');
    const killedAt = Date.now();
    lark.state.delayMs = 0;
    await until('the replica to deliver', async () => (await rowByUuid(uuid)).status === 'sent', 15_000);
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(lark.state.messages.filter((m) => m.uuid === uuid)).toHaveLength(1);
    expect(lark.state.deliveriesTo('oc_crash3')).toHaveLength(1);
  });

  it.skipIf(testProvider() !== 'postgres')('three replicas on one PostgreSQL keep to Feishu\'s limits together: no 429, every message once, each chat in order', async () => {
    const { lark } = await setup(); // the stand-in enforces FEISHU_RATE_LIMITS
    const chats = Array.from({ length: 10 }, (_, i) => `oc_replica${i}`);
    const msgs: OutgoingMessage[] = [];
    for (let n = 0; n < 15; n++) for (const chat of chats) msgs.push(text(chat, `第${n}条`));
    await enqueue(db.prisma, msgs);
    const children = [1, 2, 3].map(() => {
      const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'support', 'outbox-replica-child.ts')], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: testDb.url, LARK_DOMAIN: lark.url, LARK_APP_ID: STANDIN_APP_ID, LARK_APP_SECRET: STANDIN_APP_SECRET },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      proc.stdout.on('data', (d) => (out += d));
      proc.stderr.on('data', (d) => (out += d));
      const exited = new Promise<void>((resolve) => proc.on('close', () => resolve()));
      cleanups.push(async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
        await exited;
      });
      return { proc, output: () => out };
    });
    await until('every message to be sent', async () => (await db.prisma.outboxMessage.count({ where: { status: 'sent' } })) === msgs.length, 90_000);
    expect(lark.state.throttled).toEqual([]);
    expect(lark.state.messages).toHaveLength(msgs.length);
    expect(new Set(lark.state.messages.map((m) => m.uuid)).size).toBe(msgs.length);
    for (const chat of chats) {
      const texts = lark.state.messages.filter((m) => m.chatId === chat).map((m) => JSON.parse(m.content).text);
      expect(texts).toEqual(Array.from({ length: 15 }, (_, n) => `第${n}条`));
    }
    // All three took part.
    expect(children.every((c) => c.output().includes('READY'))).toBe(true);
  }, 120_000);

  it('stop() lets the send in flight finish and records it', async () => {
    const { lark, worker } = await setup();
    lark.state.delayMs = 300;
    const [uuid] = await enqueue(db.prisma, [text('oc_stop', '停机前最后一条')]);
    worker.start();
    await until('the send to arrive', () => lark.state.messages.length === 1);
    await worker.stop();
    const row = await rowByUuid(uuid);
    expect(row.status).toBe('sent');
    expect(row.messageId).toBe(lark.state.messages[0].messageId);
  });
});

describe('two workers on one database', () => {
  it('send every message exactly once', async () => {
    const { lark, worker, api, log } = await setup();
    const other = openDatabase(parseDatabaseUrl(testDb.url));
    const worker2 = new OutboxWorker({ db: other.prisma, api, metrics: createMetrics(), log });
    cleanups.push(async () => {
      await worker2.stop();
      await other.close();
    });
    const uuids = await enqueue(
      db.prisma,
      Array.from({ length: 20 }, (_, i) => text(`oc_pair_${i}`, `第${i + 1}条`)),
    );
    worker.start();
    worker2.start();
    await Promise.all([worker.drain(15_000), worker2.drain(15_000)]);
    for (const uuid of uuids) expect(sendCallsFor(lark, uuid)).toHaveLength(1);
    expect(lark.state.messages).toHaveLength(20);
  });
});

describe('pacing', () => {
  it('sends at most 5 messages per second to one chat, in order, without holding up other chats', async () => {
    const { lark, worker } = await setup();
    await enqueue(db.prisma, Array.from({ length: 12 }, (_, i) => text('oc_pace', `第${i + 1}条`)));
    await enqueue(db.prisma, Array.from({ length: 3 }, (_, i) => text('oc_other', `其他群${i + 1}`)));
    worker.start();
    await worker.drain(20_000);

    const paced = lark.state.deliveriesTo('oc_pace');
    expect(paced.map((d) => JSON.parse(lark.state.message(d.messageId)!.content).text)).toEqual(Array.from({ length: 12 }, (_, i) => `第${i + 1}条`));
    // 12 sends at 5/s need at least 11 gaps of 200 ms = 2.2 s; keep a margin for timer granularity.
    expect(paced[11].at - paced[0].at).toBeGreaterThanOrEqual(1800);
    const other = lark.state.deliveriesTo('oc_other');
    expect(other).toHaveLength(3);
    expect(other[2].at).toBeLessThan(paced[11].at);
  });

  it('keeps the whole app under its rate', async () => {
    const { lark, worker } = await setup({ appRate: 10 });
    await enqueue(db.prisma, Array.from({ length: 12 }, (_, i) => text(`oc_app_${i}`, `第${i + 1}条`)));
    worker.start();
    await worker.drain(20_000);
    const all = lark.state.deliveries;
    expect(all).toHaveLength(12);
    // 11 gaps of 100 ms at 10/s
    expect(all[11].at - all[0].at).toBeGreaterThanOrEqual(900);
  });
});

describe('the per-minute limit', () => {
  it('keeps to the same limits as Feishu (and the stand-in) by default', () => {
    expect(DEFAULT_PACING).toEqual({
      appRate: FEISHU_RATE_LIMITS.perSecond,
      appPerMinute: FEISHU_RATE_LIMITS.perMinute,
      minuteMs: FEISHU_RATE_LIMITS.minuteMs,
      chatRate: FEISHU_RATE_LIMITS.perChat,
    });
    expect(DEFAULT_PACING).toEqual({ appRate: 50, appPerMinute: 1000, minuteMs: 60_000, chatRate: 5 });
  });

  // A digest burst of 1,100 messages against 1000/min, scaled down tenfold in count and 20-fold in time:
  // 110 messages to 110 chats against 100 per 3 s, at the real 50/s.
  it('delivers a burst bigger than a minute allows to many chats without one 429', async () => {
    const limits = { perMinute: 100, minuteMs: 3000 };
    const { lark, worker } = await setup({ appPerMinute: limits.perMinute, minuteMs: limits.minuteMs }, { rateLimits: limits });
    const uuids = await enqueue(db.prisma, Array.from({ length: 110 }, (_, i) => text(`oc_digest_${i}`, `周报${i + 1}`)));
    worker.start();
    await worker.drain(30_000);
    expect(lark.state.throttled).toEqual([]);
    expect(lark.state.callsTo(SEND_PATH, 'POST').filter((c) => c.status !== 200)).toEqual([]);
    expect(lark.state.deliveries).toHaveLength(110);
    for (const uuid of uuids) expect(sendCallsFor(lark, uuid)).toHaveLength(1);
    // The 101st could only go once the first had left the window.
    const at = lark.state.deliveries.map((d) => d.at);
    expect(at[100] - at[0]).toBeGreaterThanOrEqual(limits.minuteMs - 50);
  });
});

describe('updating every copy of a card', () => {
  const ref = { refType: 'step', refId: '42' };

  it('patches delivered copies and sends waiting copies with the newest card', async () => {
    const { lark, worker } = await setup();
    worker.start();
    await enqueue(db.prisma, [cardTo('oc_reviewers', '待初审', ref), cardTo('ou_approver', '待初审', ref), cardTo('oc_other', '其他事项', { refType: 'step', refId: '43' })]);
    await worker.drain();
    await worker.stop();

    await enqueue(db.prisma, [cardTo('ou_leader', '待初审', ref)]);
    await enqueuePatchRef(db.prisma, ref.refType, ref.refId, card('初审通过'));
    await enqueuePatchRef(db.prisma, ref.refType, ref.refId, card('审签通过'));
    worker.start();
    await worker.drain();

    const ids = await messageIdsForRef(db.prisma, ref.refType, ref.refId);
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(JSON.parse(lark.state.message(id)!.currentContent)).toEqual(card('审签通过'));
    // Two updates in a row reached each delivered copy as one patch; the waiting copy needed none.
    expect(lark.state.callsTo('/open-apis/im/v1/messages/:id', 'PATCH')).toHaveLength(2);
    const leader = lark.state.deliveriesTo('ou_leader');
    expect(JSON.parse(lark.state.message(leader[0].messageId)!.content)).toEqual(card('审签通过'));
    const untouched = (await messageIdsForRef(db.prisma, 'step', '43'))[0];
    expect(JSON.parse(lark.state.message(untouched)!.currentContent)).toEqual(card('其他事项'));
  });

  it('patches a copy whose first try reached Lark unanswered, instead of re-sending it changed under the same uuid', async () => {
    const { lark, api, worker } = await setup();
    const [uuid] = await enqueue(db.prisma, [cardTo('oc_timeout', '待初审', ref)]);
    // As a try that timed out leaves things: Lark has the card, the row is waiting for its next try.
    const row = await rowByUuid(uuid);
    await api.send('chat_id', 'oc_timeout', 'interactive', row.content!, uuid);
    await db.prisma.outboxMessage.update({ where: { uuid }, data: { attempts: 1, lastError: 'timeout' } });

    await enqueuePatchRef(db.prisma, ref.refType, ref.refId, card('初审通过'));
    worker.start();
    await worker.drain();

    // The retry is a repeat to Lark (same uuid), so only a patch can change what people see.
    expect(lark.state.messages).toHaveLength(1);
    expect(JSON.parse(lark.state.messages[0].currentContent)).toEqual(card('初审通过'));
  });

  it('leaves copies older than Lark lets anyone update (14 days) as they are', async () => {
    const { lark, worker } = await setup();
    worker.start();
    const [old, recent] = await enqueue(db.prisma, [cardTo('oc_old', '待审签', ref), cardTo('oc_recent', '待审签', ref)]);
    await worker.drain();
    await db.prisma.outboxMessage.updateMany({ where: { uuid: old }, data: { createdAt: new Date(Date.now() - 15 * 86_400_000) } });
    await enqueuePatchRef(db.prisma, ref.refType, ref.refId, card('审签通过'));
    await worker.drain();

    const patches = lark.state.callsTo('/open-apis/im/v1/messages/:id', 'PATCH');
    expect(patches).toHaveLength(1);
    expect(await db.prisma.outboxMessage.count({ where: { status: 'dead' } })).toBe(0);
    const shown = (u: string) => rowByUuid(u).then((r) => JSON.parse(lark.state.message(r.messageId!)!.currentContent));
    expect(await shown(recent)).toEqual(card('审签通过'));
    expect(await shown(old)).toEqual(card('待审签'));
  });

  it('patches a card that was being sent when the update came, once it has a message id', async () => {
    const { lark, worker } = await setup();
    lark.state.delayMs = 500;
    const [uuid] = await enqueue(db.prisma, [cardTo('oc_slow', '待审签', ref)]);
    worker.start();
    await until('the card to arrive', () => lark.state.messages.length === 1);
    expect((await rowByUuid(uuid)).status).toBe('sending');
    await enqueuePatchRef(db.prisma, ref.refType, ref.refId, card('已退回'));
    lark.state.delayMs = 0;
    await worker.drain();

    const msg = lark.state.messages[0];
    expect(JSON.parse(msg.content)).toEqual(card('待审签'));
    expect(JSON.parse(msg.currentContent)).toEqual(card('已退回'));
  });
});

describe('cards made when they are sent (enqueueDeferred)', () => {
  /** A renderer that makes 「状态：<state of now>」 for the ref it is given, or nothing once the ref is settled. */
  function statusRenderer(states: Map<string, string | null>, calls: RenderRequest[] = []) {
    return new Map([['test.status', async (req: RenderRequest) => {
      calls.push(req);
      const state = states.get(req.refId ?? '');
      if (state === 'boom') throw new Error('database went away');
      if (state === 'broken') return { schema: '2.0', body: { elements: [{ tag: 'no_such_tag' }] } } as unknown as CardJson;
      return state ? card(state) : null;
    }]]);
  }
  const deferred = (refId: string, receiveId = `oc_${refId}`) => ({ receiveIdType: receiveId.startsWith('ou_') ? ('open_id' as const) : ('chat_id' as const), receiveId, render: 'test.status', refType: 'test', refId });

  it('writes no content, makes each card from the state when it is sent, and keeps what was sent', async () => {
    const states = new Map<string, string | null>([['a', '待初审'], ['b', '待审签']]);
    const calls: RenderRequest[] = [];
    const { lark, worker } = await setup({ renderers: statusRenderer(states, calls) });
    const [ua, ub] = await enqueueDeferred(db.prisma, [deferred('a'), deferred('b')]);
    expect((await rowByUuid(ua)).content).toBeNull();
    expect(calls).toHaveLength(0); // nothing is made while queueing

    states.set('a', '初审通过'); // the state changed between queueing and sending
    worker.start();
    await worker.drain();

    expect(lark.state.messages.map((m) => JSON.parse(m.content))).toEqual([card('初审通过'), card('待审签')]);
    expect(calls.map((c) => [c.refType, c.refId, c.receiveId])).toEqual([['test', 'a', 'oc_a'], ['test', 'b', 'oc_b']]);
    const a = await rowByUuid(ua);
    expect(a.status).toBe('sent');
    expect(JSON.parse(a.content!)).toEqual(card('初审通过'));
    expect((await rowByUuid(ub)).messageId).toBe(lark.state.messages[1].messageId);
  });

  it('sends nothing for a card whose renderer finds nothing left to say, and marks it dropped', async () => {
    const { lark, worker, logs } = await setup({ renderers: statusRenderer(new Map([['gone', null], ['kept', '待初审']])) });
    const [gone] = await enqueueDeferred(db.prisma, [deferred('gone'), deferred('kept')]);
    worker.start();
    await worker.drain();
    expect(lark.state.messages).toHaveLength(1);
    expect(JSON.parse(lark.state.messages[0].content)).toEqual(card('待初审'));
    const row = await rowByUuid(gone);
    expect(row).toMatchObject({ status: 'dropped', attempts: 0, content: null });
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('gives up a card nothing can make or whose card breaks the Card JSON rules, and retries one whose renderer failed', async () => {
    const states = new Map<string, string | null>([['boom', 'boom'], ['broken', 'broken']]);
    const { lark, worker } = await setup({ renderers: statusRenderer(states) });
    const [boom, broken, unknown] = await enqueueDeferred(db.prisma, [deferred('boom'), deferred('broken'), { ...deferred('x'), render: 'test.unknown' }]);
    worker.start();
    await until('the failed render to be retried', async () => (await rowByUuid(boom)).attempts >= 1 && (await rowByUuid(broken)).status === 'dead' && (await rowByUuid(unknown)).status === 'dead');
    expect(await rowByUuid(broken)).toMatchObject({ status: 'dead', lastError: expect.stringContaining('no_such_tag') });
    expect(await rowByUuid(unknown)).toMatchObject({ status: 'dead', lastError: 'no renderer named test.unknown' });
    expect((await rowByUuid(boom)).lastError).toContain('database went away');
    states.set('boom', '已恢复');
    await worker.drain();
    expect(lark.state.messages.map((m) => JSON.parse(m.content))).toEqual([card('已恢复')]);
  });

  it('leaves a waiting card to its renderer when every copy is updated: it shows the new state once, unpatched', async () => {
    const states = new Map<string, string | null>([['42', '待初审']]);
    const calls: RenderRequest[] = [];
    const { lark, worker } = await setup({ renderers: statusRenderer(states, calls) });
    const [uuid] = await enqueueDeferred(db.prisma, [{ ...deferred('42', 'ou_reviewer'), refType: 'step' }]);
    states.set('42', '初审通过'); // a decision, which updates every copy of the step's card
    await enqueuePatchRef(db.prisma, 'step', '42', card('初审通过'));
    expect((await rowByUuid(uuid)).content).toBeNull();
    worker.start();
    await worker.drain();
    expect(calls).toHaveLength(1);
    expect(lark.state.deliveriesTo('ou_reviewer').map((m) => JSON.parse(lark.state.message(m.messageId)!.content))).toEqual([card('初审通过')]);
    expect(lark.state.callsTo('/open-apis/im/v1/messages/:id', 'PATCH')).toHaveLength(0);
  });

  it('queues thousands in a transaction (RAW_MAX_BOUND values in one statement), skipping a uuid already queued', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ ...deferred(String(i)), uuid: `deferred-${i}` }));
    await db.prisma.$transaction(async (tx) => {
      await enqueueDeferred(tx, many.slice(0, 10));
      await enqueueDeferred(tx, many);
    });
    expect(await db.prisma.outboxMessage.count({ where: { render: 'test.status', status: 'pending', content: null } })).toBe(1000);
  });
});
