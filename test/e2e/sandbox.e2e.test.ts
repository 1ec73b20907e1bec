// The sandbox in a real browser (Debian's Chromium, driven by playwright-core): a town staff member
// opens the registration from the bot's menu and registers a lead, the reviewer and the approver approve it
// on their cards, the staff member sees the result on his one card about the lead, pastes a paragraph about
// another company and submits the pre-filled form, and an admin asks for the weekly digest and sees its chart. Every step leaves a screenshot under
// test/artifacts/ (git-ignored). The page may only talk to the bot's own server.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { parseEnv } from '../../src/platform/config/env.ts';
import { defaultOffice } from '../../src/office/config.ts';
import { testDatabase, type TestDatabaseUrl } from '../support/db.ts';
import { ROOT } from '../support/process.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test', 'artifacts');
const PROJECT = '沙盒演示科技咨询服务项目';
const COMPANY = '如皋沙盒科技咨询有限公司';
/** A paragraph as staff receive them in WeChat groups (丁堰镇 is 王招商's town). */
const PASTED = '上海沪创知识产权代理有限公司，科技咨询服务，拟在丁堰镇设立分公司，投资100万元，联系人：韩女士，手机：17751301234，91310115MA7B2GHJ33';
const PASTED_COMPANY = '上海沪创知识产权代理有限公司';
const WAIT = 15_000;

describe.skipIf(!existsSync(CHROMIUM))('the sandbox in Chromium', () => {
  let app: App;
  let db: TestDatabaseUrl;
  let base: string;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const outside: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await testDatabase('sandbox-e2e');
    const env = parseEnv({ PORT: '1', HOST: '127.0.0.1', DATABASE_URL: db.url, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
    app = await createApp({ env: { ...env, PORT: 0 }, office: defaultOffice() });
    base = await app.listen();
    profile = mkdtempSync(join(tmpdir(), 'sandbox-e2e-profile-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      locale: 'zh-CN',
      viewport: { width: 390, height: 844 }, // a phone: leaders read the cards there (issue 17)
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
        '--disable-component-update', '--disable-sync',
      ],
    });
    // The page must work without network access: anything not addressed to the bot's server is refused and noted.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base) || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('dialog', (dialog) => void dialog.accept());
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await app?.stop();
    await db?.drop();
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `sandbox-${name}.png`) });
  const composer = () => page.getByRole('textbox', { name: /的身份发送消息/ });
  /** The newest card on screen that shows `text`. */
  const card = (text: string | RegExp): Locator => page.locator('article.card', { hasText: text }).last();
  const toast = (text: string | RegExp): Locator => page.locator('#toasts .toast', { hasText: text });

  async function actAs(name: string): Promise<void> {
    await page.getByRole('radio', { name: new RegExp(name) }).check();
    await expect.poll(() => page.locator('#chat-title').textContent(), { timeout: WAIT }).toBe('与科招助手的单聊');
    await expect.poll(() => page.locator('#composer-label').textContent(), { timeout: WAIT }).toContain(name);
  }

  async function send(text: string): Promise<void> {
    await composer().fill(text);
    await composer().press('Enter');
    await page.locator('.msg.mine .bubble', { hasText: text }).last().waitFor({ timeout: WAIT });
  }

  it('registers, approves in two layers, tells the submitter and draws the weekly digest', async () => {
    try {
      await flow();
    } catch (err) {
      // What the person saw when it went wrong.
      await shot('failed-here').catch(() => {});
      throw err;
    }
  }, 180_000);

  async function flow(): Promise<void> {
    await page.goto(`${base}/sandbox`);
    await expect.poll(() => page.getByRole('radio', { name: /王招商/ }).isChecked(), { timeout: WAIT }).toBe(true);

    // 1. 王招商 (丁堰镇) taps 登记 in the bot's menu and registers a 服务类 lead on the form card.
    const menu = page.getByRole('navigation', { name: '机器人菜单' });
    await menu.getByRole('button', { name: '登记', exact: true }).click();
    const chooser = card('登记项目');
    await chooser.waitFor({ timeout: WAIT });
    await menu.screenshot({ path: join(ARTIFACTS, 'sandbox-0-staff-bot-menu-bar.png') });
    await shot('0-staff-bot-menu');
    await chooser.getByRole('button', { name: '服务类' }).click();
    const form = card('登记服务类项目');
    await form.waitFor({ timeout: WAIT });
    await form.getByLabel('项目名称').fill(PROJECT);
    await form.getByLabel('企业名称').fill(COMPANY);
    await form.getByLabel('服务类型').selectOption('科技咨询');
    expect(await form.getByLabel('所属镇区').inputValue()).toBe('丁堰镇');
    await form.getByRole('button', { name: '提交', exact: true }).click();
    await toast(/已提交：KZ-\d{4}-\d{4}/).waitFor({ timeout: WAIT });
    const code = /KZ-\d{4}-\d{4}/.exec((await toast(/已提交/).textContent()) ?? '')![0];
    // The form turned into the lead's living card.
    await card(`待初审 · ${code}`).waitFor({ timeout: WAIT });
    await shot('1-staff-registered');

    // 2. 李初审 gets the 初审 card and approves it.
    await actAs('李初审');
    const review = card(PROJECT);
    await review.getByRole('button', { name: '同意', exact: true }).waitFor({ timeout: WAIT });
    await shot('2-reviewer-card');
    await review.getByRole('button', { name: '同意', exact: true }).click();
    await toast('已同意').waitFor({ timeout: WAIT });
    // The clicked card is replaced by the bot's answer: the decision is shown, the buttons are gone.
    await card(/处理结果：李初审 同意/).waitFor({ timeout: WAIT });
    expect(await card(PROJECT).getByRole('button', { name: '同意', exact: true }).count()).toBe(0);
    await shot('2-reviewer-approved');

    // 3. 张审签 gets the 审签 card and approves it.
    await actAs('张审签');
    const signoff = card(PROJECT);
    await signoff.getByRole('button', { name: '同意', exact: true }).waitFor({ timeout: WAIT });
    await shot('3-approver-card');
    await signoff.getByRole('button', { name: '同意', exact: true }).click();
    await toast('已同意').waitFor({ timeout: WAIT });
    await card(/处理结果：张审签 同意/).waitFor({ timeout: WAIT });
    await shot('3-approver-approved');
    expect((await app.database.prisma.lead.findUnique({ where: { code } }))?.status).toBe('approved');

    // 4. 王招商 sees that it passed, on the same card, which now offers only 登记项目进展.
    await actAs('王招商');
    const result = card(`已通过 · ${code}`);
    await result.waitFor({ timeout: WAIT });
    expect(await result.textContent()).toContain(PROJECT);
    expect(await page.locator('article.card', { hasText: code }).count(), 'one card about the lead').toBe(1);
    expect(await result.getByRole('button').allTextContents()).toEqual(['登记项目进展']);
    await shot('4-staff-sees-result');

    // 4b. 王招商 pastes a paragraph about another company: the form comes pre-filled, he submits it.
    await send(PASTED);
    const pasted = card('已从您粘贴的文字中读出');
    await pasted.waitFor({ timeout: WAIT });
    expect(await pasted.getByLabel('企业名称').inputValue()).toBe(PASTED_COMPANY);
    expect(await pasted.getByLabel('所属镇区').inputValue()).toBe('丁堰镇');
    await shot('4b-staff-pasted-form');
    if (!(await pasted.getByLabel('服务类型').inputValue())) await pasted.getByLabel('服务类型').selectOption('科技咨询');
    if (!(await pasted.getByLabel('项目名称').inputValue())) await pasted.getByLabel('项目名称').fill('知识产权服务分公司');
    await pasted.getByRole('button', { name: '提交', exact: true }).click();
    await toast(/已提交：KZ-\d{4}-\d{4}/).last().waitFor({ timeout: WAIT });
    const pastedCode = /KZ-\d{4}-\d{4}/.exec((await toast(/已提交/).last().textContent()) ?? '')![0];
    expect(pastedCode).not.toBe(code);
    const living = card(`待初审 · ${pastedCode}`);
    await living.waitFor({ timeout: WAIT });
    expect(await living.textContent()).toContain(PASTED_COMPANY);
    expect((await app.database.prisma.lead.findUnique({ where: { code: pastedCode } }))?.creditCode).toBe('91310115MA7B2GHJ33');
    await shot('4b-staff-pasted-submitted');

    // 5. 赵管理 asks for the weekly digest in the group and sees its chart.
    await actAs('赵管理');
    await page.getByRole('button', { name: /科技招商工作群/ }).click();
    await expect.poll(() => page.locator('#chat-title').textContent(), { timeout: WAIT }).toBe('科技招商工作群');
    await send('/digest weekly');
    const digest = page.locator('.msg.bot article.card', { hasText: '周例会简报' }).last();
    await digest.waitFor({ timeout: WAIT });
    await shot('5-admin-weekly-digest');
    const chart = digest.locator('figure.chart svg[role="img"]').first();
    expect(await digest.locator('figure.chart').count(), 'the weekly digest card shows a chart').toBeGreaterThan(0);
    expect(await chart.locator('rect, path, polyline').count()).toBeGreaterThan(0);
    await digest.locator('figure.chart').first().screenshot({ path: join(ARTIFACTS, 'sandbox-5-admin-weekly-digest-chart.png') });

    expect(outside).toEqual([]);
    expect(pageErrors).toEqual([]);
  }
});
