// The sandbox web page and its small JSON API, under /sandbox. The page acts as the Lark client: what a
// person types or clicks becomes a signed, encrypted callback posted over loopback HTTP to the bot's own
// /lark/events and /lark/card; the bot answers through the Open Platform stand-in mounted on the same server.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Db } from '../platform/db/client.ts';
import { ROLE_LABELS, type Role } from '../features/approval/workflow.ts';
import { validateCard } from '../platform/cards/validate.ts';
import type { LarkStandInState } from './standin.ts';
import { isMember, p2pOwner, SandboxChats } from './chats.ts';
import { DEMO_GROUP, DEMO_PEOPLE, demoPerson, SANDBOX_BOT, type DemoPerson } from './people.ts';
import { botMenuEvent, cardActionEvent, messageEvent, postCallback, type CallbackSecrets, type MentionInput } from './signer.ts';

export interface SandboxRoutesOptions {
  state: LarkStandInState;
  chats: SandboxChats;
  secrets: CallbackSecrets;
  db: Db;
  /** This server's base URL (loopback), once it listens. */
  baseUrl: () => string | undefined;
  /** Resolves when the demo people are in the database (never rejects). */
  ready: Promise<void>;
}

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const MAX_TEXT = 4000;
const MAX_FILE_BYTES = 20 * 1024 * 1024;
const MAX_CALL_LOG = 1000;

const jsonObject = z.record(z.string(), z.unknown());
const sendBody = z.object({ from: z.string(), text: z.string() });
/** A tap on the bot's custom menu: the keys README asks the admin to set up. */
const menuBody = z.object({ from: z.string(), key: z.enum(['登记', '我的项目', '待办', '帮助']) });
const actionBody = z.object({
  operator: z.string(),
  tag: z.string().default('button'),
  value: jsonObject.optional(),
  name: z.string().max(2000).optional(),
  formValue: jsonObject.optional(),
  option: z.string().optional(),
  options: z.array(z.string()).optional(),
  checked: z.boolean().optional(),
  inputValue: z.string().optional(),
});

function refuse(reply: FastifyReply, status: number, error: string) {
  return reply.code(status).send({ error });
}

/** Why the bot refused a callback, from its answer, for the page. */
function refusalText(status: number, body: unknown): string {
  const reason = typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : '';
  return `机器人未接受回调（HTTP ${status}${reason ? `：${reason}` : ''}）`;
}

/**
 * Turns "@王招商" in typed text into Lark mention keys ("@_user_N") for the demo people named; in the group
 * the bot is @mentioned first, as a group message must do to reach it.
 */
export function withMentions(text: string, group: boolean): { text: string; mentions: MentionInput[] } {
  const mentions: MentionInput[] = [];
  const keyFor = (openId: string, name: string) => {
    const key = `@_user_${mentions.length + 1}`;
    mentions.push({ key, openId, name });
    return key;
  };
  const prefix = group ? `${keyFor(SANDBOX_BOT.openId, SANDBOX_BOT.name)} ` : '';
  const names = [...DEMO_PEOPLE].sort((a, b) => b.name.length - a.name.length);
  let out = text;
  for (const p of names) {
    const at = `@${p.name}`;
    if (!out.includes(at)) continue;
    const key = keyFor(p.openId, p.name);
    out = out.split(at).join(key);
  }
  return { text: prefix + out, mentions };
}

export const sandboxRoutes: FastifyPluginAsync<SandboxRoutesOptions> = async (app, opts) => {
  const { state, chats, secrets, db } = opts;

  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_FILE_BYTES }, (_req, body, done) => done(null, body));

  const sendAsset = async (reply: FastifyReply, name: string) => {
    const body = await readFile(PUBLIC_DIR + name);
    return reply.header('content-type', ASSETS[name]).header('cache-control', 'no-store').header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').send(body);
  };
  app.get('/sandbox', (_req, reply) => sendAsset(reply, 'index.html'));
  app.get('/sandbox/', (_req, reply) => sendAsset(reply, 'index.html'));
  for (const name of ['app.js', 'style.css']) app.get(`/sandbox/${name}`, (_req, reply) => sendAsset(reply, name));

  const callbackUrl = (path: '/lark/events' | '/lark/card') => {
    const base = opts.baseUrl();
    if (!base) throw new Error('sandbox: the server is not listening');
    return base + path;
  };

  /** The sender of a page request: a demo person who belongs to the chat. */
  const member = (reply: FastifyReply, openId: string, chatId: string): DemoPerson | undefined => {
    const person = demoPerson(openId);
    if (!person) {
      void refuse(reply, 400, '未知的演示人员');
      return undefined;
    }
    if (!isMember(openId, chatId)) {
      void refuse(reply, 403, '只能在自己的单聊或工作群中操作');
      return undefined;
    }
    return person;
  };

  /**
   * Shows what a person sent in the chat (`shown`), then hands it to the bot as Lark would: a signed,
   * encrypted im.message.receive_v1 on /lark/events carrying `content` and `mentions`.
   */
  const deliver = async (
    reply: FastifyReply,
    chatId: string,
    person: DemoPerson,
    messageType: 'text' | 'file',
    shown: Record<string, string>,
    content: Record<string, string>,
    mentions: MentionInput[],
    recorded?: (messageId: string) => void,
  ) => {
    const msg = chats.recordUserMessage(chatId, person.openId, messageType, shown);
    recorded?.(msg.messageId);
    const event = messageEvent(secrets, {
      appId: state.appId,
      senderId: person.openId,
      chatId,
      chatType: chatId === DEMO_GROUP.chatId ? 'group' : 'p2p',
      messageId: msg.messageId,
      messageType,
      content,
      mentions,
      createdAt: msg.at,
    });
    const answer = await postCallback(callbackUrl('/lark/events'), secrets, event);
    if (answer.status !== 200) return refuse(reply, 502, refusalText(answer.status, answer.body));
    return reply.code(201).send({ message: chats.messages(chatId).find((m) => m.id === msg.messageId) });
  };

  app.get('/sandbox/api/people', async () => {
    await opts.ready;
    const ids = DEMO_PEOPLE.map((p) => p.openId);
    const [grants, users] = await Promise.all([
      db.roleGrant.findMany({ where: { userId: { in: ids } }, orderBy: { id: 'asc' } }),
      db.user.findMany({ where: { name: { not: null } }, orderBy: { createdAt: 'asc' }, take: 2000 }),
    ]);
    return {
      bot: SANDBOX_BOT,
      group: DEMO_GROUP,
      /** open_id → name of everyone the bot knows, for @mentions on cards. */
      names: Object.fromEntries(users.map((u) => [u.openId, u.name])),
      people: DEMO_PEOPLE.map((p) => ({
        openId: p.openId,
        name: users.find((u) => u.openId === p.openId)?.name ?? p.name,
        title: p.title,
        roles: grants
          .filter((g) => g.userId === p.openId)
          .map((g) => ({ role: g.role, label: ROLE_LABELS[g.role as Role] ?? g.role, town: g.town ?? undefined })),
      })),
    };
  });

  app.get<{ Querystring: { person?: string } }>('/sandbox/api/chats', async (req, reply) => {
    const person = demoPerson(req.query.person ?? '');
    if (!person) return refuse(reply, 400, '未知的演示人员');
    return { chats: chats.chats(person.openId) };
  });

  app.get<{ Params: { chatId: string }; Querystring: { since?: string } }>('/sandbox/api/chats/:chatId/messages', async (req) => {
    // The stand-in logs every API call for tests; the sandbox never reads that log, so it is kept short.
    if (state.calls.length > MAX_CALL_LOG) state.calls.splice(0, state.calls.length - MAX_CALL_LOG / 2);
    // Taken before reading: a change at this very millisecond is sent again next time (the page de-duplicates).
    const stamp = Date.now();
    const since = Number(req.query.since ?? 0);
    const all = chats.messages(req.params.chatId);
    return { stamp, messages: Number.isFinite(since) && since > 0 ? all.filter((m) => m.lastChange >= since) : all };
  });

  app.post<{ Params: { chatId: string } }>('/sandbox/api/chats/:chatId/messages', async (req, reply) => {
    const parsed = sendBody.safeParse(req.body);
    if (!parsed.success) return refuse(reply, 400, '请求格式不正确');
    const { chatId } = req.params;
    const person = member(reply, parsed.data.from, chatId);
    if (!person) return reply;
    const text = parsed.data.text.trim();
    if (!text) return refuse(reply, 400, '消息不能为空');
    if (text.length > MAX_TEXT) return refuse(reply, 400, `消息不能超过 ${MAX_TEXT} 字`);
    await opts.ready;
    const group = chatId === DEMO_GROUP.chatId;
    const { text: sent, mentions } = withMentions(text, group);
    return deliver(reply, chatId, person, 'text', { text: group ? `@${SANDBOX_BOT.name} ${text}` : text }, { text: sent }, mentions);
  });

  // The bot's custom menu (机器人自定义菜单): Lark sends application.bot.menu_v6, with no chat or message.
  app.post('/sandbox/api/menu', async (req, reply) => {
    const parsed = menuBody.safeParse(req.body);
    if (!parsed.success) return refuse(reply, 400, '请求格式不正确');
    const person = demoPerson(parsed.data.from);
    if (!person) return refuse(reply, 400, '未知的演示人员');
    await opts.ready;
    const event = botMenuEvent(secrets, { appId: state.appId, operatorId: person.openId, eventKey: parsed.data.key });
    const answer = await postCallback(callbackUrl('/lark/events'), secrets, event);
    if (answer.status !== 200) return refuse(reply, 502, refusalText(answer.status, answer.body));
    return reply.code(202).send({ ok: true });
  });

  app.post<{ Params: { chatId: string }; Querystring: { from?: string; name?: string } }>('/sandbox/api/chats/:chatId/files', async (req, reply) => {
    const { chatId } = req.params;
    const person = member(reply, req.query.from ?? '', chatId);
    if (!person) return reply;
    const name = (req.query.name ?? '').trim();
    if (!name) return refuse(reply, 400, '缺少文件名');
    const data = req.body;
    if (!Buffer.isBuffer(data) || data.length === 0) return refuse(reply, 400, '文件为空');
    await opts.ready;
    const fileKey = state.registerFile({ name, data });
    const content = { file_key: fileKey, file_name: name };
    return deliver(reply, chatId, person, 'file', content, content, chatId === DEMO_GROUP.chatId ? withMentions('', true).mentions : [], (messageId) => {
      state.files.get(fileKey)!.messageId = messageId;
    });
  });

  app.post<{ Params: { messageId: string } }>('/sandbox/api/messages/:messageId/actions', async (req, reply) => {
    const parsed = actionBody.safeParse(req.body);
    if (!parsed.success) return refuse(reply, 400, '请求格式不正确');
    const msg = chats.botMessage(req.params.messageId);
    if (!msg || msg.msgType !== 'interactive') return refuse(reply, 404, '找不到这张卡片');
    const a = parsed.data;
    const person = member(reply, a.operator, msg.chatId);
    if (!person) return reply;
    const owner = p2pOwner(msg.chatId);
    if (owner && owner.openId !== person.openId) return refuse(reply, 403, '只能操作自己会话中的卡片');
    const token = state.issueCardToken(msg.messageId);
    const event = cardActionEvent(secrets, {
      appId: state.appId,
      operatorId: person.openId,
      token,
      messageId: msg.messageId,
      chatId: msg.chatId,
      action: { tag: a.tag, value: a.value, name: a.name, formValue: a.formValue, option: a.option, options: a.options, checked: a.checked, inputValue: a.inputValue },
    });
    const answer = await postCallback(callbackUrl('/lark/card'), secrets, event);
    // Lark has the answer now: only from here on may the bot update the card with this callback's token.
    state.callbackAnswered(token);
    if (answer.status !== 200) return refuse(reply, 502, refusalText(answer.status, answer.body));
    const body = (typeof answer.body === 'object' && answer.body !== null ? answer.body : {}) as { toast?: unknown; card?: { type?: unknown; data?: unknown } };
    let toast = body.toast;
    const card = body.card?.type === 'raw' ? body.card.data : undefined;
    if (card !== undefined) {
      const checked = validateCard(card);
      // Lark refuses a card that breaks the 2.0 rules and keeps the old one; so does the sandbox, and says why.
      if (checked.ok) chats.applyAnswerCard(msg, card);
      else toast = { type: 'error', content: `机器人返回的卡片不符合卡片 JSON 2.0 规范，飞书会拒绝显示：${checked.errors.slice(0, 3).join('；')}` };
    }
    return { toast, message: chats.messages(msg.chatId).find((m) => m.id === msg.messageId) };
  });

  app.get<{ Params: { fileKey: string } }>('/sandbox/api/files/:fileKey', async (req, reply) => {
    const file = state.files.get(req.params.fileKey);
    if (!file) return refuse(reply, 404, '文件不存在');
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`)
      .send(file.data);
  });
};
