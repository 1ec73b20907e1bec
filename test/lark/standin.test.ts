// The Lark API client (node-sdk underneath) against the HTTP stand-in of the Open Platform: what each call
// does on the Lark side, and how failures come back to the caller.
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { cardText } from '../support/cards.ts';
import { noticeCard } from '../../src/platform/cards/kit.ts';
import { createLarkApi, LarkApiError, type LarkApi } from '../../src/platform/lark/api.ts';
import {
  FEISHU_RATE_LIMITS,
  larkStandInPlugin,
  LarkStandInState,
  p2pChatId,
  startLarkStandIn,
  STANDIN_APP_ID,
  STANDIN_APP_SECRET,
  STANDIN_BOT,
  type RunningStandIn,
  type StandInOptions,
} from '../../src/sandbox/standin.ts';

const running: RunningStandIn[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

async function setup(timeoutMs = 5000, opts: StandInOptions = {}): Promise<{ lark: RunningStandIn; api: LarkApi }> {
  const lark = await startLarkStandIn(opts);
  running.push(lark);
  return { lark, api: createLarkApi({ appId: STANDIN_APP_ID, appSecret: STANDIN_APP_SECRET, domain: lark.url, timeoutMs }) };
}

async function failure(p: Promise<unknown>): Promise<LarkApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(LarkApiError);
    return err as LarkApiError;
  }
  throw new Error('expected the call to fail');
}

const card = (title: string) => JSON.stringify({ schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: title }] } });

describe('sending', () => {
  it('delivers a message once per uuid and answers a repeat with the same message', async () => {
    const { lark, api } = await setup();
    const first = await api.send('chat_id', 'oc_group', 'text', JSON.stringify({ text: '新线索' }), 'uuid-1');
    const again = await api.send('chat_id', 'oc_group', 'text', JSON.stringify({ text: '新线索' }), 'uuid-1');
    const other = await api.send('open_id', 'ou_zhang', 'interactive', card('待初审'), 'uuid-2');
    expect(again.messageId).toBe(first.messageId);
    expect(other.messageId).not.toBe(first.messageId);
    expect(lark.state.messages.map((m) => [m.chatId, m.msgType])).toEqual([
      ['oc_group', 'text'],
      ['oc_p2p_ou_zhang', 'interactive'],
    ]);
    expect(lark.state.deliveriesTo('oc_group')).toHaveLength(1);
    expect(lark.state.deliveriesTo('ou_zhang')).toHaveLength(1);
    const sent = lark.state.callsTo('/open-apis/im/v1/messages', 'POST');
    expect(sent[0].query).toEqual({ receive_id_type: 'chat_id' });
    expect(sent[0].body).toEqual({ receive_id: 'oc_group', msg_type: 'text', content: JSON.stringify({ text: '新线索' }), uuid: 'uuid-1' });
  });

  it('replies in the chat of the message replied to, one of ours or one a user sent', async () => {
    const { lark, api } = await setup();
    const { messageId } = await api.send('chat_id', 'oc_group', 'text', JSON.stringify({ text: '登记' }), 'u-a');
    const reply = await api.reply(messageId, 'text', JSON.stringify({ text: '已登记' }), 'u-b');
    expect(lark.state.message(reply.messageId)).toMatchObject({ chatId: 'oc_group', parentId: messageId });
    const fromUser = lark.state.registerIncoming({ chatId: p2pChatId('ou_wang'), senderId: 'ou_wang', content: JSON.stringify({ text: '帮助' }) });
    const answer = await api.reply(fromUser, 'text', JSON.stringify({ text: '可用命令：' }), 'u-d');
    expect(lark.state.message(answer.messageId)).toMatchObject({ chatId: 'oc_p2p_ou_wang', parentId: fromUser });
    expect(lark.state.deliveriesTo('ou_wang')).toHaveLength(1);
    const err = await failure(api.reply('om_missing', 'text', JSON.stringify({ text: 'x' }), 'u-c'));
    expect(err.retryable).toBe(false);
    expect(err.status).toBe(400);
  });

  it('replaces a card by PATCH and by a delayed update with a callback token (two uses)', async () => {
    const { lark, api } = await setup();
    const { messageId } = await api.send('chat_id', 'oc_group', 'interactive', card('待初审'), 'u-card');
    await api.patch(messageId, card('初审通过'));
    expect(lark.state.message(messageId)!.currentContent).toBe(card('初审通过'));

    const token = lark.state.issueCardToken(messageId);
    lark.state.callbackAnswered(token);
    await api.cardUpdate(token, JSON.parse(card('审签通过')));
    expect(JSON.parse(lark.state.message(messageId)!.currentContent)).toEqual(JSON.parse(card('审签通过')));
    await api.cardUpdate(token, JSON.parse(card('已归档')));
    const third = await failure(api.cardUpdate(token, JSON.parse(card('第三次'))));
    expect(third.retryable).toBe(false);
    expect(lark.state.message(messageId)!.updates.map((u) => u.via)).toEqual(['patch', 'card_update', 'card_update']);
  });

  it('refuses a delayed update before the callback was answered, and after 30 minutes', async () => {
    const { lark, api } = await setup();
    const { messageId } = await api.send('chat_id', 'oc_group', 'interactive', card('待初审'), 'u-early');
    const token = lark.state.issueCardToken(messageId);
    const early = await failure(api.cardUpdate(token, JSON.parse(card('太早'))));
    expect(early.retryable).toBe(false);
    expect(early.message).toContain('not been answered');
    lark.state.callbackAnswered(token);
    lark.state.advanceClock(30 * 60 * 1000 + 1);
    const late = await failure(api.cardUpdate(token, JSON.parse(card('太晚'))));
    expect(late.message).toContain('expired');
    expect(lark.state.message(messageId)!.updates).toEqual([]);
  });

  it('refuses content Lark would refuse', async () => {
    const { lark, api } = await setup();
    const err = await failure(api.send('chat_id', 'oc_group', 'interactive', JSON.stringify({ big: 'x'.repeat(31 * 1024) }), 'u-big'));
    expect(err.code).toBe(99992402);
    expect(err.retryable).toBe(false);
    expect(lark.state.messages).toHaveLength(0);
  });
});

describe('card conformance', () => {
  // A long list card, each line with quotes and a line break: escaping in `content` adds well over 10 %.
  const lines = Array.from({ length: 2000 }, (_, i) => `- **项目 ${i}**："新材料" 镇区 ${i % 13}`);

  it('takes a list card fitCard filled to the limit; refuses a body over 30 KB, measured as received', async () => {
    const { lark, api } = await setup();
    const c = noticeCard('待办项目', lines);
    expect(cardText(c)).toMatch(/另有 \d+ 项/);
    const { messageId } = await api.send('chat_id', 'oc_group', 'interactive', JSON.stringify(c), 'u-list');
    expect(lark.state.message(messageId)).toBeDefined();

    // The same list cut to 30 KB of card JSON (what fitCard used to aim at) is ~33 KB on the wire.
    let n = lines.length;
    const bare = (k: number) => JSON.stringify({ ...c, body: { elements: [{ tag: 'markdown', content: lines.slice(0, k).join('\n') }] } });
    while (Buffer.byteLength(bare(n)) > 30 * 1024) n--;
    const err = await failure(api.send('chat_id', 'oc_group', 'interactive', bare(n), 'u-list-30k'));
    expect(err.code).toBe(99992402);
    expect(err.message).toMatch(/exceeds 30 KB/);
    expect(lark.state.messages).toHaveLength(1);
  });

  it('refuses an invalid card (code 230099) on send, reply, PATCH and delayed update', async () => {
    const { lark, api } = await setup();
    const narrow = JSON.stringify({
      schema: '2.0',
      body: { elements: [{ tag: 'table', columns: [{ name: 'rank', display_name: '排名', data_type: 'text', width: '60px' }], rows: [{ rank: '1' }] }] },
    });
    for (const p of [api.send('chat_id', 'oc_group', 'interactive', narrow, 'u-narrow')]) {
      const err = await failure(p);
      expect([err.status, err.code]).toEqual([400, 230099]);
      expect(err.retryable).toBe(false);
    }
    const { messageId } = await api.send('chat_id', 'oc_group', 'interactive', card('待初审'), 'u-ok');
    for (const p of [api.reply(messageId, 'interactive', narrow, 'u-r'), api.patch(messageId, narrow), api.cardUpdate(lark.state.issueCardToken(messageId), JSON.parse(narrow))]) {
      expect((await failure(p)).code).toBe(230099);
    }
    expect(lark.state.messages).toHaveLength(1);
    expect(lark.state.message(messageId)!.updates).toEqual([]);
  });
});

describe('users and files', () => {
  it('reads a user name, and gives undefined for a user Lark does not show', async () => {
    const { lark, api } = await setup();
    lark.state.users.set('ou_li', { name: '李娜' });
    expect(await api.getUserName('ou_li')).toBe('李娜');
    expect(await api.getUserName('ou_nobody')).toBeUndefined();
    expect(lark.state.callsTo('/open-apis/contact/v3/users/:id', 'GET')[0].query).toEqual({ user_id_type: 'open_id' });
  });

  it('downloads a file a user sent, and uploads one to send', async () => {
    const { lark, api } = await setup();
    const bytes = Buffer.from('序号,项目名称\n1,氢能装备\n', 'utf8');
    const fileKey = lark.state.registerFile({ name: '项目清单.csv', data: bytes, messageId: 'om_user_file' });
    expect((await api.downloadResource('om_user_file', fileKey)).equals(bytes)).toBe(true);
    expect((await failure(api.downloadResource('om_other', fileKey))).retryable).toBe(false);

    const report = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff]);
    const key = await api.uploadFile('周报.xlsx', report);
    expect(lark.state.files.get(key)?.name).toBe('周报.xlsx');
    expect(lark.state.files.get(key)?.data.equals(report)).toBe(true);
  });
});

describe('the bot itself', () => {
  it('reads the bot\'s open_id and name from /open-apis/bot/v3/info, with the tenant token', async () => {
    const { lark, api } = await setup();
    expect(await api.getBotInfo()).toEqual({ openId: STANDIN_BOT.openId, name: '科招助手' });
    expect(lark.state.callsTo('/open-apis/bot/v3/info', 'GET').map((c) => c.status)).toEqual([200]);
    // Without a token the stand-in refuses, as Lark does.
    const bare = await fetch(`${lark.url}/open-apis/bot/v3/info`);
    expect(bare.status).toBe(401);
    lark.state.failNext(1, { status: 500, code: 500, path: '/open-apis/bot/v3/info' });
    expect((await failure(api.getBotInfo())).retryable).toBe(true);
  });
});

describe('tokens', () => {
  it('fetches one token for concurrent first calls and reuses it', async () => {
    const { lark, api } = await setup();
    await Promise.all([1, 2, 3, 4, 5].map((i) => api.send('chat_id', `oc_${i}`, 'text', JSON.stringify({ text: `${i}` }), `t-${i}`)));
    await api.send('chat_id', 'oc_6', 'text', JSON.stringify({ text: '6' }), 't-6');
    expect(lark.state.tokensIssued).toBe(1);
    expect(lark.state.messages).toHaveLength(6);
  });

  it('keeps a token cache per instance', async () => {
    const { lark, api } = await setup();
    const second = createLarkApi({ appId: STANDIN_APP_ID, appSecret: STANDIN_APP_SECRET, domain: lark.url });
    await api.send('chat_id', 'oc_a', 'text', JSON.stringify({ text: 'a' }), 'c-1');
    lark.state.invalidateTokens();
    await second.send('chat_id', 'oc_b', 'text', JSON.stringify({ text: 'b' }), 'c-2');
    // The second instance fetched its own token instead of trying the first one's (now invalid).
    expect(lark.state.calls.filter((c) => c.status === 401)).toHaveLength(0);
    expect(lark.state.tokensIssued).toBe(2);
  });

  it('refreshes an invalidated token once and retries the call', async () => {
    const { lark, api } = await setup();
    await api.send('chat_id', 'oc_a', 'text', JSON.stringify({ text: 'a' }), 'r-1');
    lark.state.invalidateTokens();
    await api.send('chat_id', 'oc_a', 'text', JSON.stringify({ text: 'b' }), 'r-2');
    expect(lark.state.tokensIssued).toBe(2);
    expect(lark.state.calls.map((c) => `${c.status} ${c.path}`)).toEqual([
      '200 /open-apis/auth/v3/tenant_access_token/internal',
      '200 /open-apis/im/v1/messages',
      '401 /open-apis/im/v1/messages',
      '200 /open-apis/auth/v3/tenant_access_token/internal',
      '200 /open-apis/im/v1/messages',
    ]);
  });

  it('does not loop when the fresh token is refused too', async () => {
    const { lark, api } = await setup();
    await api.send('chat_id', 'oc_a', 'text', JSON.stringify({ text: 'a' }), 'l-1');
    lark.state.failNext(2, { status: 401, code: 99991663, path: '/open-apis/im/v1/messages' });
    const err = await failure(api.send('chat_id', 'oc_a', 'text', JSON.stringify({ text: 'b' }), 'l-2'));
    expect(err.code).toBe(99991663);
    expect(lark.state.callsTo('/open-apis/im/v1/messages', 'POST')).toHaveLength(3);
  });

  it('answers 99991661/99991663 to calls without a valid token', async () => {
    const { lark } = await setup();
    const noToken = await fetch(`${lark.url}/open-apis/contact/v3/users/ou_x`);
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as { code: number }).code).toBe(99991661);
    const badToken = await fetch(`${lark.url}/open-apis/contact/v3/users/ou_x`, { headers: { authorization: 'Bearer t-forged' } });
    expect(((await badToken.json()) as { code: number }).code).toBe(99991663);
  });

  it('reports wrong app credentials as a non-retryable error', async () => {
    const lark = await startLarkStandIn();
    running.push(lark);
    const api = createLarkApi({ appId: STANDIN_APP_ID, appSecret: 'wrong', domain: lark.url });
    const err = await failure(api.send('chat_id', 'oc_a', 'text', JSON.stringify({ text: 'a' }), 'w-1'));
    expect(err.retryable).toBe(false);
    expect(lark.state.messages).toHaveLength(0);
  });
});

describe('failures', () => {
  it('marks 5xx as retryable and keeps the status', async () => {
    const { lark, api } = await setup();
    lark.state.failNext(1, { status: 502, code: 502 });
    const err = await failure(api.send('chat_id', 'oc_a', 'text', JSON.stringify({ text: 'a' }), 'f-1'));
    expect(err).toMatchObject({ status: 502, retryable: true });
  });

  it('reads the reset time of a 429', async () => {
    const { lark, api } = await setup();
    lark.state.failNext(1, { status: 429, code: 99991400, headers: { 'x-ogw-ratelimit-reset': '7' } });
    const err = await failure(api.send('chat_id', 'oc_a', 'text', JSON.stringify({ text: 'a' }), 'f-2'));
    expect(err).toMatchObject({ status: 429, code: 99991400, retryAfterSec: 7, retryable: true });
  });

  it('treats HTTP 200 with a non-zero code as an error', async () => {
    const { lark, api } = await setup();
    lark.state.failNext(1, { status: 200, code: 230002, msg: 'Bot/User can NOT be out of the chat.' });
    const err = await failure(api.send('chat_id', 'oc_a', 'text', JSON.stringify({ text: 'a' }), 'f-3'));
    expect(err).toMatchObject({ status: 200, code: 230002, retryable: false });
  });

  it('times out a slow answer as retryable; the message still arrived once', async () => {
    const { lark, api } = await setup(300);
    lark.state.delayMs = 2000;
    const err = await failure(api.send('chat_id', 'oc_a', 'text', JSON.stringify({ text: 'a' }), 'f-4'));
    expect(err.retryable).toBe(true);
    expect(err.status).toBeUndefined();
    lark.state.delayMs = 0;
    await api.send('chat_id', 'oc_a', 'text', JSON.stringify({ text: 'a' }), 'f-4');
    expect(lark.state.messages).toHaveLength(1);
  });

  it('reports an unreachable Lark as retryable', async () => {
    const { lark } = await setup();
    const url = lark.url;
    await running.pop()!.close();
    const api = createLarkApi({ appId: STANDIN_APP_ID, appSecret: STANDIN_APP_SECRET, domain: url, timeoutMs: 2000 });
    const err = await failure(api.send('chat_id', 'oc_a', 'text', JSON.stringify({ text: 'a' }), 'f-5'));
    expect(err.retryable).toBe(true);
  });
});

describe("Feishu's send limits", () => {
  const text = (t: string) => JSON.stringify({ text: t });

  it('enforces 50/s and 1000/min per app, 5/s per chat and 5/s per patched message by default', () => {
    expect(new LarkStandInState().rateLimits).toEqual({ perSecond: 50, perMinute: 1000, perChat: 5, perMessageUpdate: 5, secondMs: 1000, minuteMs: 60_000 });
    expect(FEISHU_RATE_LIMITS).toEqual(new LarkStandInState().rateLimits);
    expect(new LarkStandInState({ rateLimits: false }).rateLimits).toBeUndefined();
  });

  it('answers the 51st send within a second with HTTP 429, code 99991400 and x-ogw-ratelimit-reset', async () => {
    const { lark, api } = await setup();
    const results = await Promise.allSettled(Array.from({ length: 51 }, (_, i) => api.send('chat_id', `oc_s${i}`, 'text', text('周报'), `s-${i}`)));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as LarkApiError);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ status: 429, code: 99991400, retryAfterSec: 1, retryable: true });
    expect(lark.state.messages).toHaveLength(50);
    expect(lark.state.throttled.map((t) => t.limit)).toEqual(['send:second']);
  });

  it('answers the 1001st send within a minute with 429 until the oldest has left the window', async () => {
    let now = 1_000_000;
    const { lark, api } = await setup(5000, { now: () => now });
    // 1000 sends spread over 59.94 s: never 50 in a second.
    for (let i = 0; i < 1000; i++) {
      await api.send('chat_id', `oc_m${i % 100}`, 'text', text('周报'), `m-${i}`);
      now += 60;
    }
    now = 1_000_000 + 59_990;
    const err = await failure(api.send('chat_id', 'oc_late', 'text', text('周报'), 'm-late'));
    expect(err).toMatchObject({ status: 429, code: 99991400 });
    expect(err.retryAfterSec).toBe(1); // the first leaves the window in 10 ms
    expect(lark.state.throttled.map((t) => t.limit)).toEqual(['send:minute']);
    now = 1_000_000 + 60_000;
    await api.send('chat_id', 'oc_late', 'text', text('周报'), 'm-late');
    expect(lark.state.messages).toHaveLength(1001);
  }, 30_000);

  it('lets 5 messages a second into one chat, sends and replies together, and refuses the 6th', async () => {
    const { lark, api } = await setup();
    const first = await api.send('chat_id', 'oc_busy', 'text', text('1'), 'c-1');
    const more = await Promise.allSettled([
      ...Array.from({ length: 3 }, (_, i) => api.send('chat_id', 'oc_busy', 'text', text(`${i + 2}`), `c-${i + 2}`)),
      api.reply(first.messageId, 'text', text('回复'), 'c-r1'),
      api.reply(first.messageId, 'text', text('回复'), 'c-r2'),
    ]);
    expect(more.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(lark.state.deliveriesTo('oc_busy')).toHaveLength(5);
    expect(lark.state.throttled.map((t) => t.limit)).toEqual(['chat:oc_busy']);
    // Other chats are not held up.
    await api.send('chat_id', 'oc_quiet', 'text', text('x'), 'c-q');
  });

  it('lets a card be patched 5 times a second and refuses the 6th', async () => {
    const { lark, api } = await setup();
    const { messageId } = await api.send('chat_id', 'oc_card', 'interactive', card('待初审'), 'p-0');
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => api.patch(messageId, card(`第${i + 1}版`))));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as LarkApiError);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ status: 429, code: 99991400 });
    expect(lark.state.message(messageId)!.updates).toHaveLength(5);
  });

  it('enforces nothing when a test turns the limits off', async () => {
    const { lark, api } = await setup(5000, { rateLimits: false });
    await Promise.all(Array.from({ length: 8 }, (_, i) => api.send('chat_id', 'oc_any', 'text', text(`${i}`), `o-${i}`)));
    expect(lark.state.deliveriesTo('oc_any')).toHaveLength(8);
  });
});

describe('as a plugin', () => {
  it('mounts on another fastify server without touching its other routes', async () => {
    const state = new LarkStandInState();
    const app = Fastify();
    app.get('/healthz', async () => ({ status: 'ok' }));
    await app.register(larkStandInPlugin, { state });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = app.server.address() as { port: number };
      const base = `http://127.0.0.1:${port}`;
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      const api = createLarkApi({ appId: STANDIN_APP_ID, appSecret: STANDIN_APP_SECRET, domain: base });
      await api.send('chat_id', 'oc_sandbox', 'text', JSON.stringify({ text: '沙盒' }), 's-1');
      expect(state.messages).toHaveLength(1);
      expect(state.calls.map((c) => c.path)).not.toContain('/healthz');
    } finally {
      await app.close();
    }
  });
});
