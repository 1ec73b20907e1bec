// The Lark Open Platform endpoints the bot uses, as a fastify plugin over a LarkStandInState: the token,
// sending, replying and updating messages and cards, the bot's info, users and files.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { asObject, CARD_LIMIT, cardRefusal, checkContent, checkUuid, RECEIVE_ID_TYPES, type CardRefusal, type Json } from './content.ts';
import { throttled } from './limits.ts';
import { parseMultipart, type MultipartBody, type MultipartPart } from './multipart.ts';
import { p2pChatId, TOKEN_PATH, type DeliveredMessage, type LarkStandInState, type RecordedCall } from './state.ts';

export interface LarkStandInPluginOptions {
  state: LarkStandInState;
}

function ok(data: unknown = {}): Json {
  return { code: 0, msg: 'success', data };
}

function fail(reply: FastifyReply, status: number, code: number, msg: string) {
  return reply.code(status).send({ code, msg });
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h && /^Bearer /i.test(h) ? h.slice(7).trim() : undefined;
}

function recordBody(body: unknown): unknown {
  if (body instanceof Buffer) return { bytes: body.length };
  const b = asObject(body);
  if (b.fields && b.files) {
    const files: Record<string, { filename?: string; size: number }> = {};
    for (const [k, f] of Object.entries(b.files as Record<string, MultipartPart>)) files[k] = { filename: f.filename, size: f.data.length };
    return { fields: b.fields, files };
  }
  return body;
}

function holdUnlessClosed(reply: FastifyReply, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      reply.raw.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    reply.raw.once('close', done);
  });
}

/** The Lark endpoints, as a fastify plugin. Register it without a prefix: paths start with /open-apis. */
export const larkStandInPlugin: FastifyPluginAsync<LarkStandInPluginOptions> = async (app, { state }) => {
  // JSON bodies are parsed here (this plugin's scope only) so the size checks see the raw bytes received.
  const bodyBytes = new WeakMap<FastifyRequest, number>();
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const raw = body as Buffer;
    bodyBytes.set(req, raw.length);
    if (raw.length === 0) return done(null, {});
    try {
      done(null, JSON.parse(raw.toString('utf8')));
    } catch {
      const err = new Error('request body is not valid JSON') as Error & { statusCode: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });
  const sizeOf = (req: FastifyRequest) => bodyBytes.get(req) ?? Number(req.headers['content-length'] ?? 0);
  const refuse = (reply: FastifyReply, bad: string | CardRefusal) =>
    typeof bad === 'string' ? fail(reply, 400, 99992402, `field validation failed: ${bad}`) : fail(reply, 400, bad.code, bad.msg);

  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: 32 * 1024 * 1024 }, (req, body, done) => {
    done(null, parseMultipart(body as Buffer, String(req.headers['content-type'] ?? '')));
  });

  const callOf = new WeakMap<FastifyRequest, RecordedCall>();

  app.addHook('preHandler', async (req, reply) => {
    const url = new URL(req.url, 'http://standin');
    const call: RecordedCall = {
      at: Date.now(),
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: recordBody(req.body),
    };
    state.calls.push(call);
    callOf.set(req, call);
    const fault = state.takeFault(call.path);
    if (fault) {
      if (fault.headers) reply.headers(fault.headers);
      return reply.code(fault.status).send(fault.body ?? { code: fault.code ?? fault.status, msg: fault.msg ?? 'injected fault' });
    }
    if (call.path === TOKEN_PATH) return;
    const token = bearer(req);
    if (!token) return reply.code(401).send({ code: 99991661, msg: 'Missing access token for authorization' });
    if (!state.isValidToken(token)) return reply.code(401).send({ code: 99991663, msg: 'Invalid access token for authorization' });
  });

  app.addHook('onSend', async (req, reply) => {
    const call = callOf.get(req);
    if (call) call.status = reply.statusCode;
    // Held answers end early when the client has gone away (e.g. a test killed it).
    if (state.delayMs > 0 && call?.path !== TOKEN_PATH) await holdUnlessClosed(reply, state.delayMs);
  });

  app.post(TOKEN_PATH, async (req, reply) => {
    const b = asObject(req.body);
    if (b.app_id !== state.appId || b.app_secret !== state.appSecret) return fail(reply, 400, 10014, 'app secret invalid');
    return { code: 0, msg: 'ok', tenant_access_token: state.issueToken(), expire: state.tokenExpireSec };
  });

  app.post('/open-apis/im/v1/messages', async (req, reply) => {
    const q = asObject(req.query);
    const b = asObject(req.body);
    const idType = q.receive_id_type;
    if (typeof idType !== 'string' || !RECEIVE_ID_TYPES.has(idType)) return fail(reply, 400, 99992402, 'field validation failed: receive_id_type');
    if (typeof b.receive_id !== 'string' || !b.receive_id) return fail(reply, 400, 99992402, 'field validation failed: receive_id');
    const bad = checkContent(b.msg_type, b.content, sizeOf(req)) ?? checkUuid(b.uuid);
    if (bad) return refuse(reply, bad);
    const chatId = idType === 'chat_id' ? b.receive_id : p2pChatId(b.receive_id);
    if (throttled(state, req, reply, 'send', chatId)) return reply;
    const msg = state.deliver({
      chatId,
      receiveIdType: idType,
      receiveId: b.receive_id,
      msgType: b.msg_type as string,
      content: b.content as string,
      uuid: typeof b.uuid === 'string' && b.uuid ? b.uuid : undefined,
    });
    return ok(messageView(msg, state.appId));
  });

  app.post<{ Params: { message_id: string } }>('/open-apis/im/v1/messages/:message_id/reply', async (req, reply) => {
    const parent = state.message(req.params.message_id) ?? state.incoming.get(req.params.message_id);
    if (!parent) return fail(reply, 400, 230001, 'invalid message_id');
    const b = asObject(req.body);
    const bad = checkContent(b.msg_type, b.content, sizeOf(req)) ?? checkUuid(b.uuid);
    if (bad) return refuse(reply, bad);
    if (throttled(state, req, reply, 'reply', parent.chatId)) return reply;
    const msg = state.deliver({
      chatId: parent.chatId,
      receiveIdType: 'chat_id',
      receiveId: parent.chatId,
      msgType: b.msg_type as string,
      content: b.content as string,
      uuid: typeof b.uuid === 'string' && b.uuid ? b.uuid : undefined,
      parentId: parent.messageId,
    });
    return ok(messageView(msg, state.appId));
  });

  app.patch<{ Params: { message_id: string } }>('/open-apis/im/v1/messages/:message_id', async (req, reply) => {
    const msg = state.message(req.params.message_id);
    if (!msg) return fail(reply, 400, 230001, 'invalid message_id');
    if (msg.msgType !== 'interactive') return fail(reply, 400, 230001, 'only card messages can be updated');
    const b = asObject(req.body);
    const bad = checkContent('interactive', b.content, sizeOf(req));
    if (bad) return refuse(reply, bad);
    if (throttled(state, req, reply, 'patch', msg.messageId)) return reply;
    msg.currentContent = b.content as string;
    msg.updates.push({ at: Date.now(), content: msg.currentContent, via: 'patch' });
    return ok();
  });

  app.post('/open-apis/interactive/v1/card/update', async (req, reply) => {
    const b = asObject(req.body);
    if (typeof b.token !== 'string' || typeof b.card !== 'object' || b.card === null) return fail(reply, 400, 99992402, 'field validation failed: token and card are required');
    const card = JSON.stringify(b.card);
    // The delayed update carries the card as an object; the 30 KB limit applies to the body as received.
    if (sizeOf(req) > CARD_LIMIT) return fail(reply, 400, 99992402, 'field validation failed: card request body exceeds 30 KB');
    const refused = cardRefusal(b.card);
    if (refused) return fail(reply, 400, refused.code, refused.msg);
    const used = state.useCardToken(b.token);
    if (!used.ok) return fail(reply, 400, 99992402, `field validation failed: ${used.msg}`);
    state.cardUpdates.push({ at: Date.now(), token: b.token, card: b.card, messageId: used.messageId });
    const msg = used.messageId ? state.message(used.messageId) : undefined;
    if (msg) {
      msg.currentContent = card;
      msg.updates.push({ at: Date.now(), content: card, via: 'card_update' });
    }
    return { code: 0, msg: 'success' };
  });

  // Lark's shape: the bot is at the top level, not under `data`.
  app.get('/open-apis/bot/v3/info', async () => ({
    code: 0,
    msg: 'ok',
    bot: { activate_status: 2, app_name: state.bot.name, avatar_url: '', ip_white_list: [], open_id: state.bot.openId },
  }));

  app.get<{ Params: { user_id: string } }>('/open-apis/contact/v3/users/:user_id', async (req, reply) => {
    const user = state.users.get(req.params.user_id);
    if (!user) return fail(reply, 400, 41050, 'no user authority');
    return ok({ user: { open_id: req.params.user_id, name: user.name } });
  });

  app.get<{ Params: { message_id: string; file_key: string } }>('/open-apis/im/v1/messages/:message_id/resources/:file_key', async (req, reply) => {
    const file = state.files.get(req.params.file_key);
    if (!file || (file.messageId && file.messageId !== req.params.message_id)) return fail(reply, 400, 234003, 'file not found in this message');
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`)
      .send(file.data);
  });

  app.post('/open-apis/im/v1/files', async (req, reply) => {
    const b = req.body as MultipartBody | undefined;
    const file = b?.files?.file;
    const name = b?.fields?.file_name;
    if (!file || !name || !b?.fields?.file_type) return fail(reply, 400, 99992402, 'field validation failed: file_type, file_name and file are required');
    if (file.data.length === 0) return fail(reply, 400, 99992402, 'field validation failed: empty file');
    const key = state.registerFile({ name, data: file.data });
    return ok({ file_key: key });
  });
};

function messageView(msg: DeliveredMessage, appId: string): Json {
  return {
    message_id: msg.messageId,
    ...(msg.parentId ? { root_id: msg.parentId, parent_id: msg.parentId } : {}),
    msg_type: msg.msgType,
    create_time: String(msg.at),
    update_time: String(msg.at),
    chat_id: msg.chatId,
    sender: { id: appId, id_type: 'app_id', sender_type: 'app' },
    body: { content: msg.content },
  };
}
