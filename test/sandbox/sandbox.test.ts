// The local sandbox over HTTP: the page and its API on the bot's own server, with no Lark credentials.
// Everything a person does on the page reaches the real bot as signed, encrypted callbacks; its answers
// come back through the Open Platform stand-in mounted on the same server.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { parseEnv } from '../../src/platform/config/env.ts';
import { defaultOffice } from '../../src/office/config.ts';
import type { CardJson } from '../../src/platform/lark/types.ts';
import { buttons, cardText, findButton, formFieldNames } from '../support/cards.ts';
import { testDatabase, type TestDatabaseUrl } from '../support/db.ts';
import { TestBot } from '../support/harness.ts';
import { freePort, ROOT, startService, waitForHttp, type Child } from '../support/process.ts';
import { localParts } from '../../src/platform/time.ts';
import { openDatabase } from '../../src/platform/db/client.ts';
import { parseDatabaseUrl } from '../../src/platform/db/url.ts';

const STAFF = 'ou_demostaff';
const REVIEWER = 'ou_demoreviewer';
const STAFF_CHAT = `oc_p2p_${STAFF}`;
const GROUP = 'oc_demogroup';

interface MessageView {
  id: string;
  chatId: string;
  from: { kind: 'bot' | 'user'; openId?: string; name: string };
  msgType: string;
  content: any;
  parentId?: string;
  version: number;
  lastChange: number;
  fileName?: string;
  cardErrors?: string[];
}

let app: App;
let base: string;
let db: TestDatabaseUrl;

beforeAll(async () => {
  db = await testDatabase('sandbox');
  const env = parseEnv({ PORT: '1', HOST: '127.0.0.1', DATABASE_URL: db.url, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
  app = await createApp({ env: { ...env, PORT: 0 }, office: defaultOffice() });
  base = await app.listen();
});

afterAll(async () => {
  await app?.stop();
  await db?.drop();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

/** Waits until the bot has handled what it received and sent its messages. */
async function settle(): Promise<void> {
  await app.inbox.idle();
  await app.outbox.drain(10_000);
}

async function messages(chatId: string, since?: number): Promise<{ stamp: number; messages: MessageView[] }> {
  const res = await api('GET', `/sandbox/api/chats/${chatId}/messages${since ? `?since=${since}` : ''}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function say(from: string, chatId: string, text: string): Promise<MessageView> {
  const res = await api('POST', `/sandbox/api/chats/${chatId}/messages`, { from, text });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await settle();
  return res.body.message;
}

/** The bot's replies to one message. */
async function repliesTo(chatId: string, messageId: string): Promise<MessageView[]> {
  return (await messages(chatId)).messages.filter((m) => m.from.kind === 'bot' && m.parentId === messageId);
}

async function click(operator: string, message: MessageView, buttonText: string, formValue?: Record<string, unknown>) {
  const button = findButton(message.content as CardJson, buttonText);
  if (!button) throw new Error(`no button ${buttonText} on ${JSON.stringify(message.content).slice(0, 300)}`);
  const res = await api('POST', `/sandbox/api/messages/${message.id}/actions`, {
    operator,
    tag: 'button',
    value: button.value,
    name: button.name,
    formValue: button.inForm ? formValue ?? {} : undefined,
  });
  await settle();
  return res;
}

const title = (card: any): string => card?.header?.title?.content ?? '';

describe('the sandbox page', () => {
  it('is served with its script and styles, loading nothing from outside this server', async () => {
    const page = await fetch(`${base}/sandbox`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('科招助手 · 本地沙盒');
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref, ref).toMatch(/^(\/sandbox\/|#|data:)/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");

    const script = await fetch(`${base}/sandbox/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    const js = await script.text();
    expect(js).not.toMatch(/fetch\(\s*['"`]https?:/);
    expect(js).not.toMatch(/\bimport\s.*from\s+['"]https?:/);
    const styles = await fetch(`${base}/sandbox/style.css`);
    expect(styles.status).toBe(200);
    expect(styles.headers.get('content-type')).toMatch(/text\/css/);
    expect(await styles.text()).not.toMatch(/url\(\s*['"]?https?:|@import/);
  });

  it('lists the demo people with the roles they hold in the database', async () => {
    const res = await api('GET', '/sandbox/api/people');
    expect(res.status).toBe(200);
    const people = res.body.people as Array<{ openId: string; name: string; roles: Array<{ role: string; label: string; town?: string }> }>;
    const byName = new Map(people.map((p) => [p.name, p]));
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['王招商', '李初审', '张审签', '陈市长', '刘副市长', '赵管理']));
    expect(byName.get('王招商')!.roles).toEqual([{ role: 'staff', label: '招商人员', town: '丁堰镇' }]);
    expect(byName.get('李初审')!.roles.map((r) => r.role)).toEqual(['reviewer']);
    expect(byName.get('张审签')!.roles.map((r) => r.role)).toEqual(['approver']);
    expect(byName.get('陈市长')!.roles.map((r) => r.role)).toEqual(['leader']);
    expect(byName.get('刘副市长')!.roles.map((r) => r.role)).toEqual(['leader']);
    expect(byName.get('赵管理')!.roles.map((r) => r.role)).toEqual(['admin']);
    // They are real rows the bot reads, not page decoration.
    const grant = await app.database.prisma.roleGrant.findUnique({ where: { userId_role: { userId: STAFF, role: 'staff' } } });
    expect(grant?.town).toBe('丁堰镇');
    expect((await app.database.prisma.user.findUnique({ where: { openId: REVIEWER } }))?.name).toBe('李初审');
    const chats = await api('GET', `/sandbox/api/chats?person=${STAFF}`);
    expect(chats.body.chats.map((c: { chatId: string; kind: string }) => [c.chatId, c.kind])).toEqual([[STAFF_CHAT, 'p2p'], [GROUP, 'group']]);
  });
});

describe('talking to the bot', () => {
  it('a typed 帮助 reaches the bot and its help card comes back as a reply in the chat', async () => {
    const sent = await say(STAFF, STAFF_CHAT, '帮助');
    expect(sent).toMatchObject({ chatId: STAFF_CHAT, msgType: 'text', from: { kind: 'user', name: '王招商' }, content: { text: '帮助' } });
    const [reply] = await repliesTo(STAFF_CHAT, sent.id);
    expect(reply).toBeDefined();
    expect(reply.msgType).toBe('interactive');
    expect(title(reply.content)).toBe('科招助手 · 指令帮助');
    // The bot read this person's role grant from the database.
    expect(cardText(reply.content)).toContain('您的角色：招商人员');
    expect(reply.cardErrors).toBeUndefined();
  });

  it("a tap on the bot's custom menu reaches the bot as application.bot.menu_v6; the answer lands in the private chat", async () => {
    const before = (await messages(STAFF_CHAT)).messages.length;
    const res = await api('POST', '/sandbox/api/menu', { from: STAFF, key: '我的项目' });
    expect(res.status).toBe(202);
    await settle();
    const after = (await messages(STAFF_CHAT)).messages;
    expect(after.length).toBe(before + 1);
    expect(title(after[after.length - 1].content)).toContain('我的项目');
    expect((await api('POST', '/sandbox/api/menu', { from: STAFF, key: '删库' })).status).toBe(400);
  });

  it('a message in the group @mentions the bot and the answer lands in the group', async () => {
    const sent = await say(REVIEWER, GROUP, '/help');
    expect(sent.content.text).toBe('@科招助手 /help');
    const [reply] = await repliesTo(GROUP, sent.id);
    expect(reply).toBeDefined();
    expect(cardText(reply.content)).toContain('初审人员');
  });

  it('the callback routes check the secrets the sandbox signs with: an unsigned event is refused', async () => {
    const forged = {
      schema: '2.0',
      header: { event_id: 'forged-1', event_type: 'im.message.receive_v1', token: 'guess', create_time: String(Date.now()) },
      event: { sender: { sender_id: { open_id: STAFF }, sender_type: 'user' }, message: { message_id: 'om_forged', chat_id: STAFF_CHAT, chat_type: 'p2p', message_type: 'text', content: '{"text":"帮助"}' } },
    };
    const res = await fetch(`${base}/lark/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(forged) });
    expect(res.status).toBe(401);
  });

  it('refuses people who are not demo people, and chats that are not theirs', async () => {
    expect((await api('POST', `/sandbox/api/chats/${STAFF_CHAT}/messages`, { from: 'ou_stranger', text: '帮助' })).status).toBe(400);
    const other = await api('POST', `/sandbox/api/chats/${STAFF_CHAT}/messages`, { from: REVIEWER, text: '帮助' });
    expect(other.status).toBe(403);
    expect(other.body.error).toBe('只能在自己的单聊或工作群中操作');
    expect((await api('POST', `/sandbox/api/chats/${STAFF_CHAT}/messages`, { from: STAFF, text: '   ' })).body.error).toBe('消息不能为空');
  });
});

describe('clicking on cards', () => {
  it('a button click goes to the bot as a signed card callback; the answer card replaces the clicked one', async () => {
    const sent = await say(STAFF, STAFF_CHAT, '登记');
    const [chooser] = await repliesTo(STAFF_CHAT, sent.id);
    expect(title(chooser.content)).toBe('登记项目');
    expect(buttons(chooser.content).map((b) => b.text)).toContain('服务类');
    const before = (await messages(STAFF_CHAT)).stamp;

    const res = await click(STAFF, chooser, '服务类');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.message.id).toBe(chooser.id);
    expect(res.body.message.version).toBe(1);
    expect(title(res.body.message.content)).toBe('登记服务类项目');
    expect(formFieldNames(res.body.message.content)).toEqual(expect.arrayContaining(['project_name', 'town', 'service_type']));

    // The chat shows the replaced card; a poll since before the click returns just that change.
    const changed = await messages(STAFF_CHAT, before);
    expect(changed.messages.map((m) => m.id)).toEqual([chooser.id]);
    expect(title(changed.messages[0].content)).toBe('登记服务类项目');
  });

  it('a form submit carries the named fields; the bot saves the lead and answers with a toast and a card', async () => {
    const sent = await say(STAFF, STAFF_CHAT, '登记 服务类');
    const [form] = await repliesTo(STAFF_CHAT, sent.id);
    expect(title(form.content)).toBe('登记服务类项目');

    const empty = await click(STAFF, form, '提交', {});
    expect(empty.status).toBe(200);
    expect(empty.body.toast.type).toBe('warning');

    const res = await click(STAFF, empty.body.message, '提交', {
      category: 'service',
      project_name: '沙盒测试咨询服务项目',
      company_name: '如皋沙盒咨询有限公司',
      town: '丁堰镇',
      service_type: '科技咨询',
      needs_fund: false,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.toast).toMatchObject({ type: 'success' });
    expect(res.body.toast.content).toMatch(/^已提交：KZ-\d{4}-\d{4}$/);
    const code = res.body.toast.content.replace('已提交：', '');
    expect(cardText(res.body.message.content)).toContain(code);
    const lead = await app.database.prisma.lead.findUnique({ where: { code } });
    expect(lead).toMatchObject({ projectName: '沙盒测试咨询服务项目', town: '丁堰镇', kind: 'service', submitterId: STAFF });
  });

  it('nobody can click a card in another person’s chat', async () => {
    const sent = await say(STAFF, STAFF_CHAT, '登记');
    const [chooser] = await repliesTo(STAFF_CHAT, sent.id);
    const res = await click(REVIEWER, chooser, '服务类');
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('只能在自己的单聊或工作群中操作');
    expect((await api('POST', '/sandbox/api/messages/om_nothing/actions', { operator: STAFF, value: {} })).status).toBe(404);
  });
});

describe('files', () => {
  it('a file sent from the page is a file message the bot receives, and can be downloaded', async () => {
    const data = Buffer.from('镇区,总数（个）\n丁堰镇,22\n', 'utf8');
    const res = await fetch(`${base}/sandbox/api/chats/${STAFF_CHAT}/files?from=${STAFF}&name=${encodeURIComponent('任务分解表.csv')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
    expect(res.status).toBe(201);
    const sent = ((await res.json()) as { message: MessageView }).message;
    expect(sent).toMatchObject({ msgType: 'file', fileName: '任务分解表.csv', from: { kind: 'user', name: '王招商' } });
    await settle();
    // The bot answered the file message (whatever it makes of it).
    expect((await repliesTo(STAFF_CHAT, sent.id)).length).toBeGreaterThan(0);
    const download = await fetch(`${base}/sandbox/api/files/${sent.content.file_key}`);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(data)).toBe(true);
    const handled = await app.database.prisma.processedEvent.findMany({ where: { eventType: 'message', status: 'done' } });
    expect(handled.length).toBeGreaterThan(0);
  });
});

describe('when Lark credentials are set', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await TestBot.start({ name: 'sandbox-off' });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('there is no sandbox: /sandbox, its API and the stand-in are not served', async () => {
    for (const path of ['/sandbox', '/sandbox/app.js', '/sandbox/api/people']) {
      expect((await fetch(bot.url + path)).status, path).toBe(404);
    }
    const token = await fetch(`${bot.url}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(token.status).toBe(404);
  });
});

describe('npm start without LARK_APP_ID', () => {
  let child: Child | undefined;
  let dbUrl: TestDatabaseUrl | undefined;
  afterAll(async () => {
    child?.proc.kill('SIGKILL');
    await dbUrl?.drop();
  });

  it('prints where the sandbox page is and serves it on the same port', async () => {
    dbUrl = await testDatabase('sandbox-start');
    const port = await freePort();
    child = startService({ PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: dbUrl.url });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    expect((await fetch(`http://127.0.0.1:${port}/sandbox`)).status).toBe(200);
    const until = Date.now() + 10_000;
    while (!child.output().includes('Sandbox: ') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(child.output()).toContain(`Sandbox: http://localhost:${port}/sandbox`);
  });
});

describe('npm run demo:seed', () => {
  let dbUrl: TestDatabaseUrl | undefined;
  let seeded: App | undefined;
  afterAll(async () => {
    await seeded?.stop();
    await dbUrl?.drop();
  });

  const runSeed = (url: string) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'demo-seed.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: url },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout;
  };

  it('fills the database once with quotas, activities, carriers, people and leads whose approval rows agree', async () => {
    dbUrl = await testDatabase('sandbox-seed');
    expect(runSeed(dbUrl.url)).toContain('项目：新增 36 个');
    // Scored at once, as registrations are: a service already running shows their 评级.
    const direct = openDatabase(parseDatabaseUrl(dbUrl.url));
    try {
      expect(await direct.prisma.lead.count({ where: { tier: null } })).toBe(0);
    } finally {
      await direct.close();
    }
    const out = runSeed(dbUrl.url);
    expect(out).toContain('项目：新增 0 个，已存在 36 个');
    expect(out).toContain('任务分解表：新增 0 条指标');
    expect(out).toContain('载体库（附件4）：新增 0 个载体');

    const env = parseEnv({ PORT: '1', HOST: '127.0.0.1', DATABASE_URL: dbUrl.url, LOG_LEVEL: 'silent' });
    seeded = await createApp({ env: { ...env, PORT: 0 }, office: defaultOffice() });
    const url = await seeded.listen();
    const prisma = seeded.database.prisma;
    const year = localParts(new Date(), env.BOT_TIMEZONE).year;

    expect(await prisma.lead.count()).toBe(36);
    expect(await prisma.quota.count({ where: { year, town: '丁堰镇', metric: 'projects' } })).toBe(1);
    expect((await prisma.quota.findFirst({ where: { year, town: '高新区', metric: 'projects' } }))?.target).toBe(70);
    expect(await prisma.activity.count({ where: { year } })).toBe(20);
    expect(await prisma.carrier.count({ where: { year } })).toBe(25);
    expect(await prisma.roleGrant.count({ where: { role: 'staff' } })).toBeGreaterThanOrEqual(7);
    expect((await prisma.subscription.findMany({ where: { chatId: GROUP } })).map((s) => s.topic).sort()).toEqual(['bimonthly', 'monthly', 'weekly']);

    const leads = await prisma.lead.findMany({ include: { steps: { include: { assignees: true } } } });
    const statuses = new Set(leads.map((l) => l.status));
    expect([...statuses].sort()).toEqual(['approved', 'pending', 'rejected', 'returned']);
    for (const l of leads) {
      const audits = await prisma.auditEvent.findMany({ where: { leadId: l.id } });
      expect(audits.filter((a) => a.action === 'submit'), l.code).toHaveLength(1);
      const pending = l.steps.filter((s) => s.status === 'pending');
      if (l.status === 'pending') {
        expect(pending, l.code).toHaveLength(1);
        expect(pending[0].assignees.some((a) => a.active && a.decision === null), l.code).toBe(true);
      } else {
        expect(pending, l.code).toHaveLength(0);
      }
      if (l.status === 'approved') {
        expect(l.approvedAt && localParts(l.approvedAt, env.BOT_TIMEZONE).year, l.code).toBe(year);
        expect(l.steps.every((s) => s.status === 'approved'), l.code).toBe(true);
        // An approval is a 同意, a passing 评分表 (专家组) or a meeting's 通过 (一事一议).
        const data = (a: { data: unknown }) => (a.data ?? {}) as Record<string, unknown>;
        const agreed = audits.filter((a) => a.action === 'approve' || (a.action === 'sheet' && data(a).pass === true) || (a.action === 'meeting' && data(a).outcome === 'pass'));
        expect(agreed.length, l.code).toBe(l.steps.flatMap((s) => s.assignees).filter((a) => a.decision === 'approve').length);
      }
      if (l.status === 'returned' || l.status === 'rejected') {
        expect(audits.some((a) => a.action === (l.status === 'returned' ? 'return' : 'reject') && a.comment), l.code).toBe(true);
      }
    }

    // The reviewer's /pending lists exactly the leads waiting at 初审.
    const waiting = leads.filter((l) => l.steps.some((s) => s.step === 'review' && s.status === 'pending')).map((l) => l.code);
    expect(waiting.length).toBeGreaterThan(0);
    const post = await fetch(`${url}/sandbox/api/chats/oc_p2p_${REVIEWER}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: REVIEWER, text: '/pending' }) });
    expect(post.status).toBe(201);
    const sent = ((await post.json()) as { message: MessageView }).message;
    await seeded.inbox.idle();
    await seeded.outbox.drain(10_000);
    const chat = (await (await fetch(`${url}/sandbox/api/chats/oc_p2p_${REVIEWER}/messages`)).json()) as { messages: MessageView[] };
    const reply = chat.messages.find((m) => m.parentId === sent.id)!;
    const text = cardText(reply.content);
    for (const code of waiting) expect(text).toContain(code);
  });
});
