// The Lark API client (node-sdk underneath) against the HTTP stand-in of the Open Platform: what each call
// does on the Lark side, and how failures come back to the caller.
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createLarkApi, LarkApiError, type LarkApi } from '../../src/platform/lark/api.ts';
import { larkStandInPlugin, LarkStandInState, p2pChatId, startLarkStandIn, STANDIN_APP_ID, STANDIN_APP_SECRET, STANDIN_BOT, type RunningStandIn } from '../../src/sandbox/standin.ts';

const running: RunningStandIn[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

async function setup(timeoutMs = 5000): Promise<{ lark: RunningStandIn; api: LarkApi }> {
  const lark = await startLarkStandIn();
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
    await api.cardUpdate(token, JSON.parse(card('审签通过')));
    expect(JSON.parse(lark.state.message(messageId)!.currentContent)).toEqual(JSON.parse(card('审签通过')));
    await api.cardUpdate(token, JSON.parse(card('已归档')));
    const third = await failure(api.cardUpdate(token, JSON.parse(card('第三次'))));
    expect(third.retryable).toBe(false);
    expect(lark.state.message(messageId)!.updates.map((u) => u.via)).toEqual(['patch', 'card_update', 'card_update']);
  });

  it('refuses content Lark would refuse', async () => {
    const { lark, api } = await setup();
    const err = await failure(api.send('chat_id', 'oc_group', 'interactive', JSON.stringify({ big: 'x'.repeat(31 * 1024) }), 'u-big'));
    expect(err.code).toBe(99992402);
    expect(err.retryable).toBe(false);
    expect(lark.state.messages).toHaveLength(0);
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
