// Registering leads on cards, end to end through the real HTTP routes: /register → kind → form → 已提交,
// field errors, duplicates, 我的项目 / 查询 / 项目 with visibility, editing a returned lead, concurrency.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { TestBot, cardOf, VERIFICATION_TOKEN } from '../support/harness.ts';
import { cardEvent } from '../support/lark-sign.ts';
import { normaliseEvent } from '../../src/platform/lark/intake.ts';
import { holdTables, testProvider } from '../support/db.ts';
import { ROOT } from '../support/process.ts';
import { parseDatabaseUrl } from '../../src/platform/db/url.ts';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buttons, cardText, fieldValue, findButton, formFieldNames, replyCard, validCard } from '../support/cards.ts';
import { assertValidCard, cardSize, CARD_MAX_BYTES } from '../../src/platform/cards/validate.ts';
import { creditCodeCheckChar, LEAD_KIND_LABELS, type LeadKind } from '../../src/features/leads/lead.ts';
import type { CardJson, CardReply } from '../../src/platform/lark/types.ts';
import type { DeliveredMessage } from '../../src/sandbox/standin.ts';

const ADMIN = 'ou_admin0001';
const STAFF_DY = 'ou_staffdy01'; // 丁堰镇
const STAFF_DY2 = 'ou_staffdy02'; // 丁堰镇, a colleague
const STAFF_BP = 'ou_staffbp01'; // 白蒲镇
const STAFF_NOTOWN = 'ou_staffnt01';
const REVIEWER = 'ou_reviewer1';
const NOBODY = 'ou_nobody001';

// 2026-12-31 16:30 UTC is already 2027-01-01 in Asia/Shanghai: codes must carry 2027.
const BASE = Date.parse('2026-12-31T16:30:00Z');
const started = Date.now();
const clock = () => new Date(BASE + (Date.now() - started));

let bot: TestBot;
const prisma = () => bot.app.database.prisma;

/** A valid 统一社会信用代码 for a 9-character organisation code. */
function creditCode(org: string): string {
  const first17 = `91320682${org}`;
  return first17 + creditCodeCheckChar(first17);
}

const COMMON_FIELDS = [
  'project_name', 'company_name', 'credit_code', 'industry', 'town', 'source_region', 'contact_name',
  'contact_phone', 'investment_wan', 'needs_fund', 'summary',
];

beforeAll(async () => {
  bot = await TestBot.start({ name: 'register', admins: [ADMIN], clock });
  const db = prisma();
  await db.roleGrant.createMany({
    data: [
      { userId: STAFF_DY, role: 'staff', town: '丁堰镇', grantedBy: ADMIN },
      { userId: STAFF_DY2, role: 'staff', town: '丁堰镇', grantedBy: ADMIN },
      { userId: STAFF_BP, role: 'staff', town: '白蒲镇', grantedBy: ADMIN },
      { userId: STAFF_NOTOWN, role: 'staff', town: null, grantedBy: ADMIN },
      { userId: REVIEWER, role: 'reviewer', grantedBy: ADMIN },
    ],
  });
  await db.user.createMany({
    data: [
      { openId: ADMIN, name: '王管理' },
      { openId: STAFF_DY, name: '张丁堰' },
      { openId: STAFF_DY2, name: '李丁堰' },
      { openId: STAFF_BP, name: '陈白蒲' },
      { openId: REVIEWER, name: '赵初审' },
    ],
  });
  await db.activity.createMany({
    data: [
      { year: 2027, seq: 1, name: '2027 科技招商春季推介会', timeText: '3月', month: 3 },
      { year: 2027, seq: 2, name: '2027 长三角创新创业大赛', timeText: '6月', month: 6 },
      { year: 2026, seq: 1, name: '2026 旧活动', timeText: '5月', month: 5 },
    ],
  });
});

afterAll(async () => {
  await bot?.stop();
});

const valid = validCard;


const lastCard = (who: string) => bot.lastCard(who);

const lastText = (who: string) => bot.lastText(who);

/** /register, choose the kind on the card; returns the message now showing the form. */
async function openForm(user: string, kind: LeadKind): Promise<{ msg: DeliveredMessage; card: CardJson }> {
  await bot.say(user, '/register');
  const { msg, card } = lastCard(user);
  expect(cardText(card)).toContain('请选择要登记的项目类别');
  const reply = await bot.click(user, msg, LEAD_KIND_LABELS[kind]);
  return { msg, card: replyCard(reply) };
}

async function submit(user: string, msg: DeliveredMessage, form: Record<string, unknown>, button: string | RegExp = /提交/): Promise<{ reply: CardReply; card: CardJson }> {
  const reply = await bot.click(user, msg, button, form);
  // On a loaded machine the first save may outlast Lark's 3 s: the answer is 正在处理 and the card follows as a
  // delayed update of the clicked message (tested on its own below); the person then sees that card.
  if (!reply.card && reply.toast?.content === '已收到，正在处理，请稍候。') return { reply, card: validCard(cardOf(msg)) };
  return { reply, card: replyCard(reply) };
}

const headerTitle = (card: CardJson) => ((card.header as { title: { content: string } }).title.content);
const codeIn = (card: CardJson) => /KZ-\d{4}-\d{4}/.exec(headerTitle(card))?.[0];
const leadCount = () => prisma().lead.count();

const holdDatabase = () => holdTables(prisma(), ['ProcessedEvent', 'Lead']);

const KIND_FORMS: Record<LeadKind, { form: Record<string, unknown>; details: Record<string, unknown> }> = {
  tech: {
    form: {
      hightech_field: '新能源与节能', stage: '中试', years_to_high_tech: '2', invention_patents: '3', utility_models: '５件',
      market_outlook: '较好', output_wan: '1.2亿', tax_wan: '800', rnd_wan: '600万', jobs: '120人', land_mu: '0',
    },
    details: {
      hightech_field: '新能源与节能', stage: '中试', years_to_high_tech: 2,
      market_outlook: '较好', output_wan: 12000, tax_wan: 800, rnd_wan: 600, jobs: 120, land_mu: 0,
    },
  },
  talent: {
    form: { talent_name: '周博士', talent_title: '省级人才', core_technology: '固态电解质', founding_locally: true, invention_patents: '1' },
    details: { talent_name: '周博士', talent_title: '省级人才', core_technology: '固态电解质', founding_locally: true },
  },
  platform: {
    form: { partner_institution: '南京大学', partner_type: '高校', platform_type: '新型研发机构', planned_staff: '30人' },
    details: { partner_institution: '南京大学', partner_type: '高校', platform_type: '新型研发机构', planned_staff: 30 },
  },
  service: {
    form: { service_type: '技术评估检测' },
    details: { service_type: '技术评估检测' },
  },
  fund: {
    form: { fund_manager: '深创投', fund_size_wan: '1.5亿', focus_industries: ['氢能', '合成生物学'], fund_stage: 'VC', planned_setup_date: '2027-03-01 +0800' },
    details: { fund_manager: '深创投', fund_size_wan: 15000, focus_industries: ['氢能', '合成生物学'], fund_stage: 'VC', planned_setup_date: '2027-03-01' },
  },
};

describe('registering each kind end to end', () => {
  it.each(Object.keys(KIND_FORMS) as LeadKind[])('%s: /register → kind → form → 已提交 with a KZ code', async (kind) => {
    const before = await leadCount();
    const { msg, card: formCard } = await openForm(STAFF_DY, kind);
    expect(headerTitle(formCard)).toBe(`登记${LEAD_KIND_LABELS[kind]}项目`);
    const names = formFieldNames(formCard);
    for (const n of COMMON_FIELDS) expect(names).toContain(n);
    for (const n of Object.keys(KIND_FORMS[kind].form)) expect(names).toContain(n);
    // The kind is fixed on its form: text, not a select (issue 18).
    expect(names).not.toContain('category');
    expect(cardText(formCard)).toContain(`项目类别**：${LEAD_KIND_LABELS[kind]}`);
    expect(fieldValue(formCard, 'town')).toBe('丁堰镇');
    // This year's activities are offered, last year's are not.
    expect(names).toContain('activity_id');
    expect(cardText(formCard)).not.toContain('2026 旧活动');

    const activity = await prisma().activity.findFirstOrThrow({ where: { year: 2027, seq: 2 } });
    const company = `如皋${LEAD_KIND_LABELS[kind]}示范科技有限公司`;
    const { card } = await submit(STAFF_DY, msg, {
      category: kind,
      project_name: `  ${LEAD_KIND_LABELS[kind]}示范项目  `,
      company_name: company,
      industry: '氢能',
      town: '丁堰镇',
      source_region: '上海',
      contact_name: '钱经理',
      contact_phone: '138 1234 5678',
      investment_wan: '1,200',
      needs_fund: false,
      summary: '团队来自上海，计划明年落地。',
      activity_id: String(activity.id),
      ...KIND_FORMS[kind].form,
    });
    const code = codeIn(card);
    expect(cardText(card)).toContain('已提交，进入审批');
    expect(code).toMatch(/^KZ-2027-\d{4}$/);
    expect(buttons(card).map((b) => b.text)).toEqual(['撤回', '催办']);
    const text = cardText(card);
    expect(text).toContain(`${LEAD_KIND_LABELS[kind]}示范项目`);
    expect(text).toMatch(/\*\*当前状态\*\*：待(预审|初审)/);
    expect(text).toContain('**下一步**：等待');
    expect(text).toContain('1,200 万元');
    expect(text).toContain('项目简介');
    expect(text).toContain('团队来自上海，计划明年落地。');

    expect(await leadCount()).toBe(before + 1);
    const row = await prisma().lead.findUniqueOrThrow({ where: { code: code! } });
    expect(row).toMatchObject({
      kind,
      projectName: `${LEAD_KIND_LABELS[kind]}示范项目`,
      companyName: company,
      industry: '氢能',
      town: '丁堰镇',
      sourceRegion: '上海',
      contactName: '钱经理',
      contactPhone: '13812345678',
      investmentWan: 1200,
      submitterId: STAFF_DY,
      status: 'pending',
      round: 1,
      major: false,
      activityId: activity.id,
    });
    expect(row.details).toMatchObject(KIND_FORMS[kind].details);
    if (kind === 'tech') {
      expect([row.inventionPatents, row.utilityModels]).toEqual([3, 5]);
      // Scored at submit (default weights, out of 100): 技术先进性 (0.4 + 3×0.12 + 0.12) × 20 = 17.6, 中试 0.6 × 10 = 6,
      // 市场前景较好 0.6 × 10 = 6, 成长性 (2 年 / 研发投入占产值 5%) 0.7 × 10 = 7, 指标贡献 (0.7 + 0.4 + 0.7 + 0.7) / 4 × 15
      // = 9.4, 1,200 万元 0.5 × 5 = 2.5, 不新增用地 5, 氢能 a chain of the city, not of 丁堰镇: 0.9 × 5 = 4.5
      // → 58 → 常规类; each indicator is listed on the card.
      expect([row.score, row.tier]).toEqual([58, 'regular']);
    }
    expect(row.tier).not.toBeNull();
    const audit = await prisma().auditEvent.findMany({ where: { leadId: row.id } });
    expect(audit.map((a) => [a.action, a.actorId])).toContainEqual(['submit', STAFF_DY]);
  });

  it('opens the form directly with /register <kind> and the Chinese kind names', async () => {
    await bot.say(STAFF_BP, '/register fund');
    expect(headerTitle(lastCard(STAFF_BP).card)).toBe('登记基金类项目');
    await bot.say(STAFF_BP, '登记 科创');
    const { card } = lastCard(STAFF_BP);
    expect(headerTitle(card)).toBe('登记科创类项目');
    expect(cardText(card)).toContain('项目类别**：科创类');
    expect(fieldValue(card, 'town')).toBe('白蒲镇');
    await bot.say(STAFF_BP, '登记 火箭类');
    const chooser = lastCard(STAFF_BP).card;
    expect(cardText(chooser)).toContain('未识别的项目类别「火箭类」');
    expect(buttons(chooser).map((b) => b.text)).toEqual(Object.values(LEAD_KIND_LABELS));
  });

  it('a 重大项目 (investment at the threshold) is stored as major; an admin without a town registers too', async () => {
    await bot.say(ADMIN, '/register service');
    const { msg, card: form } = lastCard(ADMIN);
    expect(fieldValue(form, 'town')).toBeUndefined();
    const { card } = await submit(ADMIN, msg, { project_name: '检测中心', town: '开发区', investment_wan: '1亿', service_type: '技术评估检测' });
    const row = await prisma().lead.findUniqueOrThrow({ where: { code: codeIn(card)! } });
    expect(row).toMatchObject({ major: true, investmentWan: 10000, town: '开发区', submitterId: ADMIN });
    expect(cardText(card)).toContain('一事一议');
  });
});

describe('field errors', () => {
  it('a bad phone, a wrong credit-code check digit and a missing name come back beside their fields, values kept, nothing stored', async () => {
    const before = await leadCount();
    const { msg } = await openForm(STAFF_DY, 'tech');
    const goodCode = creditCode('MA1XYW123');
    const badCode = goodCode.slice(0, 17) + (goodCode[17] === '0' ? '1' : '0');
    const entered = {
      category: 'tech',
      project_name: '   ',
      company_name: '  错误示范科技有限公司 ',
      credit_code: badCode,
      town: '丁堰镇',
      contact_phone: '12345',
      summary: '保留这段简介',
      hightech_field: '新材料',
      focus_industries: ['氢能'], // not a field of this kind: ignored
    };
    const { reply, card } = await submit(STAFF_DY, msg, entered);
    expect(reply.toast?.content).toContain('尚未保存');
    const text = cardText(card);
    expect(text).toContain('请填写项目名称');
    expect(text).toContain('联系电话格式不正确');
    expect(text).toContain('统一社会信用代码校验位不正确');
    expect(text).toContain('有 3 项需要修改');
    // The errors sit right under their fields: each red line follows its own input.
    const order = JSON.stringify(card);
    expect(order.indexOf('"name":"contact_phone"')).toBeLessThan(order.indexOf('联系电话格式不正确'));
    expect(order.indexOf('联系电话格式不正确')).toBeLessThan(order.indexOf('"name":"investment_wan"'));
    expect(fieldValue(card, 'contact_phone')).toBe('12345');
    expect(fieldValue(card, 'credit_code')).toBe(badCode);
    expect(fieldValue(card, 'company_name')).toBe('错误示范科技有限公司');
    expect(fieldValue(card, 'summary')).toBe('保留这段简介');
    expect(fieldValue(card, 'hightech_field')).toBe('新材料');
    expect(fieldValue(card, 'town')).toBe('丁堰镇');
    expect(await leadCount()).toBe(before);

    // Fixed on the same card, it goes through.
    const fixed = await submit(STAFF_DY, msg, { ...entered, project_name: '纠错后的项目', credit_code: goodCode, contact_phone: '0513-87654321' });
    expect(cardText(fixed.card)).toContain('已提交，进入审批');
    const row = await prisma().lead.findUniqueOrThrow({ where: { code: codeIn(fixed.card)! } });
    expect(row).toMatchObject({ projectName: '纠错后的项目', creditCode: goodCode, contactPhone: '0513-87654321', companyName: '错误示范科技有限公司' });
  });

  it('over-long text, control characters and emoji-only names are refused politely, not crashed on', async () => {
    const before = await leadCount();
    const { msg } = await openForm(STAFF_DY, 'talent');
    const { card } = await submit(STAFF_DY, msg, {
      project_name: '😀😀😀',
      company_name: '控制\u0007字符公司',
      talent_name: '王'.repeat(40),
      summary: '长'.repeat(5000),
      town: '丁堰镇',
    });
    const text = cardText(card);
    expect(text).toContain('项目名称需包含文字');
    expect(text).toContain('企业名称含有不可见的控制字符');
    expect(text).toContain('人才姓名不能超过 30 个字');
    expect(text).toContain('项目简介不能超过 2000 个字');
    expect(fieldValue(card, 'company_name')).toBe('控制字符公司');
    expect(await leadCount()).toBe(before);
  });

  it('a submitted 项目类别 of another kind (an old card, a forged submit) is an error on that field', async () => {
    const { msg } = await openForm(STAFF_DY, 'service');
    const { card } = await submit(STAFF_DY, msg, { category: 'fund', project_name: '选错类别', town: '丁堰镇', service_type: '法律' });
    expect(cardText(card)).toContain('项目类别选了「基金类」');
  });
});

describe('duplicates', () => {
  it('the same credit code asks before saving; only the owner can confirm, once; 仍然提交 saves', async () => {
    const code = creditCode('MA2DUP001');
    const { msg: first } = await openForm(STAFF_DY, 'tech');
    const original = await submit(STAFF_DY, first, { project_name: '原始项目', company_name: '甲公司', credit_code: code, town: '丁堰镇', hightech_field: '新材料' });
    const originalCode = codeIn(original.card)!;

    const before = await leadCount();
    const { msg } = await openForm(STAFF_DY2, 'platform');
    const { card } = await submit(STAFF_DY2, msg, {
      project_name: '同一企业的平台项目', company_name: '名称不同的乙公司', credit_code: code.toLowerCase(), town: '丁堰镇',
      partner_institution: '东南大学', platform_type: '重点实验室',
    });
    expect(headerTitle(card)).toBe('可能重复登记');
    const text = cardText(card);
    expect(text).toContain(originalCode);
    expect(text).toContain('张丁堰');
    expect(text).toContain('审批中');
    expect(text).toContain('统一社会信用代码');
    expect(await leadCount()).toBe(before);
    const confirm = buttons(card).find((b) => b.text === '仍然提交')!;
    expect(confirm.value).toMatchObject({ action: 'register.confirm' });
    expect(await prisma().leadDraft.count({ where: { id: Number(confirm.value.draftId), userId: STAFF_DY2 } })).toBe(1);

    // Somebody else cannot use the draft.
    const stranger = await bot.clickValue(STAFF_BP, confirm.value);
    expect(stranger.toast?.type).toBe('error');
    expect(stranger.card).toBeUndefined();
    expect(await leadCount()).toBe(before);

    const saved = await submit(STAFF_DY2, msg, {}, '仍然提交');
    expect(cardText(saved.card)).toContain('已提交，进入审批');
    const row = await prisma().lead.findUniqueOrThrow({ where: { code: codeIn(saved.card)! } });
    expect(row).toMatchObject({ kind: 'platform', creditCode: code, submitterId: STAFF_DY2, companyName: '名称不同的乙公司' });
    expect(row.details).toMatchObject({ partner_institution: '东南大学', platform_type: '重点实验室' });
    expect(await leadCount()).toBe(before + 1);
    // The reviewers are told the submitter confirmed a possible duplicate, and of which lead.
    await bot.settle();
    const stepCard = bot.messagesTo(REVIEWER).map((m) => cardText(cardOf(m))).find((t) => t.includes('同一企业的平台项目'));
    expect(stepCard).toContain(`疑似重复**：与 ${originalCode} 统一社会信用代码相同，登记人已确认仍然提交`);

    // The draft is used up: a second click saves nothing.
    const again = await bot.clickValue(STAFF_DY2, confirm.value);
    expect(again.toast?.content).toContain('已提交或已失效');
    expect(await leadCount()).toBe(before + 1);
  });

  it("shows another town's match by its code and town only, as /lead would hide it", async () => {
    const code = creditCode('MA2DUPX9T');
    const { msg: first } = await openForm(STAFF_BP, 'tech');
    const theirs = await submit(STAFF_BP, first, { project_name: '白蒲的保密项目', company_name: '白蒲丙公司', credit_code: code, town: '白蒲镇', hightech_field: '新材料' });
    const theirCode = codeIn(theirs.card)!;

    // 丁堰镇 staff may not open it with /lead ...
    await bot.say(STAFF_DY, `/lead ${theirCode}`);
    expect(lastText(STAFF_DY)).not.toContain('白蒲的保密项目');
    // ... nor read it on the duplicate card.
    const { msg } = await openForm(STAFF_DY, 'tech');
    const { card } = await submit(STAFF_DY, msg, { project_name: '丁堰的项目', company_name: '丁公司', credit_code: code, town: '丁堰镇', hightech_field: '新材料' });
    expect(headerTitle(card)).toBe('可能重复登记');
    const text = cardText(card);
    expect(text).toContain(theirCode);
    expect(text).toContain('白蒲镇');
    for (const hidden of ['白蒲的保密项目', '白蒲丙公司', '陈白蒲', '审批中']) expect(text).not.toContain(hidden);

    // Whoever sees every lead (an admin) reads the match in full.
    const { msg: adminForm } = await openForm(ADMIN, 'tech');
    const admin = await submit(ADMIN, adminForm, { project_name: '管理员的项目', company_name: '戊公司', credit_code: code, town: '丁堰镇', hightech_field: '新材料' });
    expect(headerTitle(admin.card)).toBe('可能重复登记');
    expect(cardText(admin.card)).toContain('白蒲的保密项目');
    expect(cardText(admin.card)).toContain('陈白蒲');
  });

  it('the same company name written differently（（）vs ()，有限责任公司）is a duplicate; 返回修改 keeps the values', async () => {
    const { msg: first } = await openForm(STAFF_BP, 'service');
    const original = await submit(STAFF_BP, first, { project_name: '氢能检测服务', company_name: '苏州（如皋）氢能科技有限公司', town: '白蒲镇', service_type: '技术评估检测' });
    const originalCode = codeIn(original.card)!;

    const before = await leadCount();
    const { msg } = await openForm(STAFF_DY, 'service');
    const entered = { project_name: '另一个氢能服务', company_name: '苏州(如皋)氢能科技 有限责任公司', town: '丁堰镇', service_type: '科技咨询', contact_phone: '13900001111' };
    const { card } = await submit(STAFF_DY, msg, entered);
    expect(headerTitle(card)).toBe('可能重复登记');
    expect(cardText(card)).toContain(originalCode);
    // Another town's lead: its code and town, not who registered it (see the test above).
    expect(cardText(card)).toContain('白蒲镇');
    expect(cardText(card)).not.toContain('陈白蒲');
    expect(await leadCount()).toBe(before);

    const back = await submit(STAFF_DY, msg, {}, '返回修改');
    expect(headerTitle(back.card)).toBe('登记服务类项目');
    expect(fieldValue(back.card, 'company_name')).toBe('苏州(如皋)氢能科技 有限责任公司');
    expect(fieldValue(back.card, 'contact_phone')).toBe('13900001111');
    expect(fieldValue(back.card, 'service_type')).toBe('科技咨询');

    // Submitting again asks again; this time 仍然提交.
    const asked = await submit(STAFF_DY, msg, entered);
    expect(headerTitle(asked.card)).toBe('可能重复登记');
    const saved = await submit(STAFF_DY, msg, {}, '仍然提交');
    const row = await prisma().lead.findUniqueOrThrow({ where: { code: codeIn(saved.card)! } });
    expect(row).toMatchObject({ companyName: '苏州(如皋)氢能科技 有限责任公司', companyNorm: '苏州如皋氢能科技', town: '丁堰镇' });
    expect(await leadCount()).toBe(before + 1);

    // Returned for edits: resubmitting for the same company does not ask again (it was asked when registered)…
    await prisma().lead.update({ where: { id: row.id }, data: { status: 'returned' } });
    await bot.say(STAFF_DY, `/lead ${row.code}`);
    const { msg: view } = lastCard(STAFF_DY);
    replyCard(await bot.click(STAFF_DY, view, '修改并重新提交'));
    const resubmitted = await submit(STAFF_DY, view, { ...entered, service_type: '技术评估检测' }, '重新提交');
    expect(cardText(resubmitted.card)).toContain('已重新提交，审批从第一个环节重新开始');

    // …but naming another company that is already registered does.
    const { msg: third } = await openForm(STAFF_BP, 'service');
    await submit(STAFF_BP, third, { project_name: '另一家企业的服务', company_name: '如皋另一家检测有限公司', town: '白蒲镇', service_type: '法律' });
    await prisma().lead.update({ where: { id: row.id }, data: { status: 'returned' } });
    await bot.say(STAFF_DY, `/lead ${row.code}`);
    const { msg: again } = lastCard(STAFF_DY);
    replyCard(await bot.click(STAFF_DY, again, '修改并重新提交'));
    const otherCompany = await submit(STAFF_DY, again, { ...entered, company_name: '如皋另一家检测有限公司' }, '重新提交');
    expect(headerTitle(otherCompany.card)).toBe('可能重复登记');
    expect(await leadCount()).toBe(before + 2);
  });
});

describe('looking at leads', () => {
  let bpCode: string;

  beforeAll(async () => {
    const { msg } = await openForm(STAFF_BP, 'tech');
    const { card } = await submit(STAFF_BP, msg, { project_name: '白蒲精密光电项目', company_name: '白蒲光电有限公司', town: '白蒲镇', hightech_field: '电子信息', contact_phone: '13700000000' });
    bpCode = codeIn(card)!;
  });

  it('/my lists my leads with code, name, kind, status and next step, and nobody else\'s', async () => {
    await bot.say(STAFF_DY, '/my');
    const { card } = lastCard(STAFF_DY);
    const text = cardText(card);
    const mine = await prisma().lead.findMany({ where: { submitterId: STAFF_DY } });
    expect(mine.length).toBeGreaterThan(3);
    expect(headerTitle(card)).toBe(`我的项目（共 ${mine.length} 项）`);
    for (const l of mine) expect(text).toContain(l.code);
    expect(text).toContain('科创类示范项目');
    expect(text).toContain('科创类');
    expect(text).toContain('审批中');
    expect(text).toContain('下一步：');
    expect(text).not.toContain(bpCode);
    expect(text).not.toContain('白蒲精密光电项目');

    await bot.say(STAFF_DY, '我的项目');
    expect(headerTitle(lastCard(STAFF_DY).card)).toBe(`我的项目（共 ${mine.length} 项）`);
  });

  it('/find: staff of 丁堰镇 cannot see 白蒲镇\'s lead; the reviewer and 白蒲镇 staff can', async () => {
    await bot.say(STAFF_DY, '/find 光电');
    expect(cardText(lastCard(STAFF_DY).card)).not.toContain(bpCode);
    expect(cardText(lastCard(STAFF_DY).card)).toContain('没有找到');

    await bot.say(STAFF_DY, '查询 示范');
    const dyText = cardText(lastCard(STAFF_DY).card);
    expect(dyText).toContain('科创类示范项目');

    await bot.say(REVIEWER, '/find 光电');
    const reviewerText = cardText(lastCard(REVIEWER).card);
    expect(reviewerText).toContain(bpCode);
    expect(reviewerText).toContain('白蒲精密光电项目');

    await bot.say(STAFF_BP, '查询 白蒲光电有限公司');
    expect(cardText(lastCard(STAFF_BP).card)).toContain(bpCode);

    // The company name matches however its brackets are written.
    await bot.say(REVIEWER, '查询 苏州(如皋)氢能');
    expect(cardText(lastCard(REVIEWER).card)).toContain('氢能检测服务');

    await bot.say(NOBODY, '/find 光电');
    expect(lastText(NOBODY)).toContain('没有权限');

    // A code finds its lead for those who see it, typed the ways people type it; for the others it is a
    // keyword like any other, and finds nothing.
    await bot.say(REVIEWER, `/find ${bpCode.toLowerCase().replace(/-/g, ' ')}`);
    expect(headerTitle(lastCard(REVIEWER).card)).toContain('共 1 项');
    expect(cardText(lastCard(REVIEWER).card)).toContain('白蒲精密光电项目');
    await bot.say(STAFF_DY, `/find ${bpCode}`);
    expect(cardText(lastCard(STAFF_DY).card)).toContain('没有找到');
  });

  it('/lead shows one lead\'s card to those who may see it', async () => {
    await bot.say(REVIEWER, `/lead ${bpCode.toLowerCase()}`);
    const { card } = lastCard(REVIEWER);
    expect(headerTitle(card)).toBe(`${bpCode} · 白蒲精密光电项目`);
    const text = cardText(card);
    expect(text).toContain('审批中');
    expect(text).toContain('白蒲光电有限公司');
    expect(text).toContain('电子信息');
    expect(text).toContain('陈白蒲');
    expect(buttons(card)).toEqual([]);

    await bot.say(STAFF_BP, `项目 ${bpCode}`);
    expect(headerTitle(lastCard(STAFF_BP).card)).toBe(`${bpCode} · 白蒲精密光电项目`);

    await bot.say(STAFF_DY, `项目 ${bpCode}`);
    expect(lastText(STAFF_DY)).toContain('无权查看');
    expect(lastText(STAFF_DY)).not.toContain('白蒲精密光电项目');

    await bot.say(STAFF_DY, '项目 KZ-2027-9999');
    expect(lastText(STAFF_DY)).toContain('未找到项目 KZ-2027-9999');
  });

  it('long lists end with "另有 N 项" and stay within 30 KB', async () => {
    const many = 'ou_manyleads';
    await prisma().roleGrant.create({ data: { userId: many, role: 'staff', town: '九华镇', grantedBy: ADMIN } });
    await prisma().lead.createMany({
      data: Array.from({ length: 260 }, (_, i) => ({
        code: `KZ-2020-${String(i + 1).padStart(4, '0')}`,
        kind: 'tech',
        projectName: `批量导入的很长很长的项目名称用于测试卡片大小限制${'长'.repeat(60)}${i}`,
        town: '九华镇',
        submitterId: many,
        status: 'pending',
      })),
    });
    await bot.say(many, '/my');
    const { card } = lastCard(many);
    expect(headerTitle(card)).toBe('我的项目（共 260 项）');
    expect(cardText(card)).toMatch(/另有 \d+ 项/);
    const shown = (cardText(card).match(/KZ-2020-\d{4}/g) ?? []).length;
    const more = Number(/另有 (\d+) 项/.exec(cardText(card))![1]);
    expect(shown + more).toBe(260);

    await bot.say(REVIEWER, '查询 批量导入');
    const found = lastCard(REVIEWER).card;
    expect(cardText(found)).toMatch(/另有 \d+ 项/);
  });
});

describe('editing a returned lead', () => {
  it('the submitter sees 修改并重新提交, gets the form pre-filled, and resubmits into round 2', async () => {
    const { msg: first } = await openForm(STAFF_DY, 'fund');
    const submitted = await submit(STAFF_DY, first, { project_name: '待修改的基金', town: '丁堰镇', fund_manager: '某创投', fund_size_wan: '5000', focus_industries: ['氢能'] });
    const code = codeIn(submitted.card)!;
    const lead = await prisma().lead.findUniqueOrThrow({ where: { code } });
    // A reviewer returned it (the approval feature's decision, written here directly).
    await prisma().lead.update({ where: { id: lead.id }, data: { status: 'returned' } });
    await prisma().auditEvent.create({ data: { actorId: REVIEWER, action: 'return', role: 'reviewer', leadId: lead.id, comment: '请补充基金管理人全称' } });

    await bot.say(REVIEWER, `/lead ${code}`);
    expect(buttons(lastCard(REVIEWER).card)).toEqual([]);

    await bot.say(STAFF_DY, `/lead ${code}`);
    const { msg, card } = lastCard(STAFF_DY);
    expect(cardText(card)).toContain('退回修改');
    expect(cardText(card)).toContain('请补充基金管理人全称');
    expect(buttons(card).map((b) => b.text)).toEqual(['修改并重新提交']);

    // Only the submitter may open the edit form.
    const other = await bot.clickValue(STAFF_DY2, buttons(card)[0].value);
    expect(other.toast).toEqual({ type: 'error', content: '只有项目登记人可以修改并重新提交。' });
    // Someone without the 招商人员 role is told the same, not which role he lacks.
    const reviewer = await bot.clickValue(REVIEWER, buttons(card)[0].value);
    expect(reviewer.toast).toEqual({ type: 'error', content: '只有项目登记人可以修改并重新提交。' });
    const forged = await bot.clickValue(REVIEWER, { action: 'register.submit', kind: 'fund', leadId: lead.id, openedBy: REVIEWER }, { formValue: { project_name: '冒改', town: '丁堰镇', fund_manager: 'x' } });
    expect(forged.toast).toEqual({ type: 'error', content: '只有项目登记人可以修改并重新提交。' });

    const opened = replyCard(await bot.click(STAFF_DY, msg, '修改并重新提交'));
    expect(headerTitle(opened)).toBe(`修改项目 ${code}`);
    expect(fieldValue(opened, 'project_name')).toBe('待修改的基金');
    expect(fieldValue(opened, 'fund_manager')).toBe('某创投');
    expect(fieldValue(opened, 'fund_size_wan')).toBe('5000');
    expect(fieldValue(opened, 'focus_industries')).toEqual(['氢能']);

    const before = await leadCount();
    const { card: done } = await submit(STAFF_DY, msg, {
      project_name: '待修改的基金', town: '丁堰镇', fund_manager: '某某创业投资管理有限公司', fund_size_wan: '5000', focus_industries: ['氢能', '大健康'],
    }, '重新提交');
    expect(cardText(done)).toContain('已重新提交，审批从第一个环节重新开始');
    expect(buttons(done).map((b) => b.text)).toEqual(['撤回', '催办']);
    expect(await leadCount()).toBe(before);
    const row = await prisma().lead.findUniqueOrThrow({ where: { code } });
    expect(row).toMatchObject({ status: 'pending', round: 2 });
    expect(row.details).toMatchObject({ fund_manager: '某某创业投资管理有限公司', focus_industries: ['氢能', '大健康'] });
    const audit = await prisma().auditEvent.findMany({ where: { leadId: row.id, action: 'resubmit' } });
    expect(audit).toHaveLength(1);

    // Pending again: no more editing.
    const late = await bot.clickValue(STAFF_DY, { action: 'register.submit', kind: 'fund', leadId: row.id, openedBy: STAFF_DY }, { formValue: { project_name: '再改', town: '丁堰镇', fund_manager: 'x' } });
    expect(late.toast?.content).toContain('只有退回修改或已撤回的项目可以修改');
    expect((await prisma().lead.findUniqueOrThrow({ where: { code } })).projectName).toBe('待修改的基金');
  });

  it('a lead whose 来源活动 is of last year keeps it when edited in the new year', async () => {
    const { msg: first } = await openForm(STAFF_DY, 'service');
    const submitted = await submit(STAFF_DY, first, { project_name: '去年活动对接的服务', town: '丁堰镇', service_type: '法律' });
    const code = codeIn(submitted.card)!;
    const old = await prisma().activity.findFirstOrThrow({ where: { year: 2026, seq: 1 } });
    // Registered from last year's activity, returned after the new year began.
    await prisma().lead.update({ where: { code }, data: { activityId: old.id, status: 'returned' } });

    await bot.say(STAFF_DY, `/lead ${code}`);
    const { msg } = lastCard(STAFF_DY);
    const opened = replyCard(await bot.click(STAFF_DY, msg, '修改并重新提交'));
    expect(fieldValue(opened, 'activity_id')).toBe(String(old.id));
    expect(cardText(opened)).toContain('2026 旧活动（2026年）');
    expect(cardText(opened)).toContain('2027 科技招商春季推介会');

    const { card: done } = await submit(STAFF_DY, msg, {
      project_name: '去年活动对接的服务', town: '丁堰镇', service_type: '技术交易', activity_id: String(old.id),
    }, '重新提交');
    expect(cardText(done)).toContain('已重新提交，审批从第一个环节重新开始');
    expect(await prisma().lead.findUniqueOrThrow({ where: { code } })).toMatchObject({ status: 'pending', activityId: old.id });
  });
});

describe('withdrawing', () => {
  it('the submitter withdraws from the 已提交 card before anyone acts, then edits and resubmits', async () => {
    const { msg } = await openForm(STAFF_BP, 'service');
    const submitted = await submit(STAFF_BP, msg, { project_name: '撤回后再提交的服务', town: '白蒲镇', service_type: '法律' });
    const code = codeIn(submitted.card)!;
    expect(buttons(submitted.card).map((b) => b.text)).toEqual(['撤回', '催办']);

    // Someone else cannot withdraw it.
    const stranger = await bot.clickValue(STAFF_DY, buttons(submitted.card)[0].value);
    expect(stranger.toast?.type).toBe('error');
    expect((await prisma().lead.findUniqueOrThrow({ where: { code } })).status).toBe('pending');

    const reply = await bot.click(STAFF_BP, msg, '撤回');
    expect(reply.toast?.type).not.toBe('error');
    expect((await prisma().lead.findUniqueOrThrow({ where: { code } })).status).toBe('withdrawn');

    await bot.say(STAFF_BP, `/lead ${code}`);
    const { msg: view, card } = lastCard(STAFF_BP);
    expect(cardText(card)).toContain('已撤回');
    expect(buttons(card).map((b) => b.text)).toEqual(['修改并重新提交']);
    replyCard(await bot.click(STAFF_BP, view, '修改并重新提交'));
    const { card: done } = await submit(STAFF_BP, view, { project_name: '撤回后再提交的服务', town: '白蒲镇', service_type: '技术交易' }, '重新提交');
    expect(cardText(done)).toContain('已重新提交，审批从第一个环节重新开始');
    expect(await prisma().lead.findUniqueOrThrow({ where: { code } })).toMatchObject({ status: 'pending', round: 2 });
  });
});

describe('/lead for its submitter while in approval', () => {
  it('offers 撤回 and 催办 until someone acts, then 催办 only', async () => {
    const { msg } = await openForm(STAFF_BP, 'service');
    const code = codeIn((await submit(STAFF_BP, msg, { project_name: '初审后不能撤回的服务', town: '白蒲镇', service_type: '法律' })).card)!;
    await bot.say(STAFF_BP, `/lead ${code}`);
    expect(buttons(lastCard(STAFF_BP).card).map((b) => b.text)).toEqual(['撤回', '催办']);

    const step = bot.messagesTo(REVIEWER).filter((m) => m.msgType === 'interactive' && m.content.includes(code)).at(-1)!;
    await bot.click(REVIEWER, step, '同意');
    expect((await prisma().lead.findUniqueOrThrow({ where: { code } })).status).toBe('pending');
    await bot.say(STAFF_BP, `/lead ${code}`);
    expect(buttons(lastCard(STAFF_BP).card).map((b) => b.text)).toEqual(['催办']);
  });
});

describe('who may register', () => {
  it('a person without a role is refused in Chinese and told whom to ask; a submit from them stores nothing', async () => {
    await bot.say(NOBODY, '/register');
    const text = lastText(NOBODY);
    expect(text).toContain('招商人员');
    expect(text).toContain('管理员');
    expect(text).toContain('王管理');

    const before = await leadCount();
    const reply = await bot.clickValue(NOBODY, { action: 'register.submit', kind: 'service' }, { formValue: { project_name: '偷偷提交', town: '丁堰镇', service_type: '法律' } });
    expect(reply.toast?.type).toBe('error');
    expect(reply.toast?.content).toContain('招商人员');
    expect(await leadCount()).toBe(before);
  });

  it('staff without a town are asked to have one set', async () => {
    await bot.say(STAFF_NOTOWN, '登记');
    expect(lastText(STAFF_NOTOWN)).toContain('没有指定所属镇区');
  });
});

describe('concurrency', () => {
  it('a 提交 slower than Lark waits is answered 正在处理 at once, then the form is replaced by the 已提交 card', async () => {
    const { msg } = await openForm(STAFF_DY, 'service');
    const before = await leadCount();
    const updatesBefore = bot.state.cardUpdates.length;
    // The database stays busy until the click has been answered: longer than the 3 s Lark waits.
    const hold = await holdDatabase();
    const reply = await bot.click(STAFF_DY, msg, /提交/, { project_name: '慢提交项目', town: '丁堰镇', service_type: '法律' }, { settle: false });
    await hold.release();
    await bot.settle();
    expect(reply.card).toBeUndefined();
    expect(reply.toast?.content).toContain('正在处理');
    expect(await leadCount()).toBe(before + 1);
    // The answer came later through the callback's delayed-update token and replaced the clicked form.
    expect(bot.state.cardUpdates.slice(updatesBefore).map((u) => u.messageId)).toEqual([msg.messageId]);
    const shown = JSON.parse(bot.state.message(msg.messageId)!.currentContent) as CardJson;
    const lead = await prisma().lead.findFirstOrThrow({ where: { projectName: '慢提交项目' } });
    expect(codeIn(shown)).toBe(lead.code);
  });

  it.skipIf(testProvider() !== 'sqlite')('another process holding the SQLite write lock for 6 s freezes nothing: the click is answered within 3 s, /healthz at once, and the lead is saved afterwards', async () => {
    const { msg } = await openForm(STAFF_DY, 'service');
    const before = await leadCount();
    const file = parseDatabaseUrl(bot.databaseUrl.url);
    if (file.provider !== 'sqlite') throw new Error('not sqlite');
    // Another process (an admin's script, a second bot) takes the write lock and keeps it for 6 s.
    const holder = spawn(process.execPath, ['-e', `
      const Database = require(${JSON.stringify(join(ROOT, 'node_modules/better-sqlite3'))});
      const db = new Database(${JSON.stringify(file.file)});
      db.prepare('BEGIN IMMEDIATE').run();
      process.stdout.write('locked\\n');
      setTimeout(() => { db.prepare('COMMIT').run(); db.close(); }, 6000);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => holder.once('close', resolve));
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    const lockedAt = Date.now();

    const t0 = Date.now();
    const reply = await bot.click(STAFF_DY, msg, /提交/, { project_name: '锁表期间提交', town: '丁堰镇', service_type: '法律' }, { settle: false });
    const answeredIn = Date.now() - t0;
    const h0 = Date.now();
    const health = await fetch(`${bot.url}/healthz`);
    const healthIn = Date.now() - h0;

    expect(answeredIn).toBeLessThan(3000);
    expect(reply.toast?.content).toContain('正在处理');
    expect(healthIn).toBeLessThan(1500);
    expect([200, 503]).toContain(health.status);
    expect(Date.now() - lockedAt).toBeLessThan(6000); // all of the above happened while the lock was held

    await exited;
    await bot.settle();
    expect(await leadCount()).toBe(before + 1);
    const lead = await prisma().lead.findFirstOrThrow({ where: { projectName: '锁表期间提交' } });
    const shown = JSON.parse(bot.state.message(msg.messageId)!.currentContent) as CardJson;
    expect(codeIn(shown)).toBe(lead.code);
  });

  /** A late 提交 fed straight to the inbox, with the moment Lark receives the answer in the test's hands. */
  async function lateSubmit(projectName: string) {
    const { msg } = await openForm(STAFF_DY, 'service');
    const name = findButton(cardOf(msg), /提交/)!.name!;
    const token = bot.state.issueCardToken(msg.messageId);
    const payload = cardEvent({ token: VERIFICATION_TOKEN, operatorId: STAFF_DY, name, formValue: { project_name: projectName, town: '丁堰镇', service_type: '法律' }, messageId: msg.messageId, chatId: msg.chatId });
    (payload.event as { token: string }).token = token;
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const before = await leadCount();
    const hold = await holdDatabase();
    const reply = await bot.app.inbox.accept(normaliseEvent(randomUUID(), 'card.action.trigger', payload.event as Record<string, unknown>), answered);
    expect(reply?.toast?.content).toContain('正在处理');
    await hold.release();
    for (let i = 0; i < 200 && (await leadCount()) === before; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await leadCount()).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 300)); // time for an (early) update to go out
    return { msg, token, lark: () => { bot.state.callbackAnswered(token); answer(); } };
  }

  it('the delayed update waits until Lark has the 正在处理 answer (an earlier one fails or reverts)', async () => {
    const updates = bot.state.callsTo('/open-apis/interactive/v1/card/update').length;
    const { msg, lark } = await lateSubmit('等应答后更新的项目');
    // The answer has not reached Lark yet: the clicked form is untouched.
    expect(bot.state.callsTo('/open-apis/interactive/v1/card/update')).toHaveLength(updates);
    expect(bot.state.message(msg.messageId)!.updates).toHaveLength(0);
    lark();
    await bot.settle();
    const lead = await prisma().lead.findFirstOrThrow({ where: { projectName: '等应答后更新的项目' } });
    expect(bot.state.message(msg.messageId)!.updates.map((u) => u.via)).toEqual(['card_update']);
    expect(codeIn(cardOf(bot.state.message(msg.messageId)!))).toBe(lead.code);
  });

  it('when the token no longer works (30 minutes passed), the clicked card is patched by its message id', async () => {
    const { msg, lark } = await lateSubmit('令牌过期后的项目');
    bot.state.advanceClock(31 * 60 * 1000);
    lark();
    await bot.settle();
    const lead = await prisma().lead.findFirstOrThrow({ where: { projectName: '令牌过期后的项目' } });
    expect(bot.state.message(msg.messageId)!.updates.map((u) => u.via)).toEqual(['patch']);
    expect(codeIn(cardOf(bot.state.message(msg.messageId)!))).toBe(lead.code);
  });

  it('20 submissions at once get 20 distinct, consecutive codes', async () => {
    const before = await prisma().lead.findMany({ where: { code: { startsWith: 'KZ-2027-' } }, select: { id: true } });
    const seen = new Set(before.map((b) => b.id));
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      bot.clickValue(i % 2 ? STAFF_DY : STAFF_BP, { action: 'register.submit', kind: 'service', openedBy: i % 2 ? STAFF_DY : STAFF_BP }, {
        formValue: { project_name: `并发项目 ${i}`, town: i % 2 ? '丁堰镇' : '白蒲镇', service_type: '法律' },
        // Settled once for all below (each submit without a message id also sends its living card).
        settle: false,
      }),
    ));
    await bot.settle();
    const rows = (await prisma().lead.findMany({ where: { projectName: { startsWith: '并发项目' } } })).filter((r) => !seen.has(r.id));
    expect(rows).toHaveLength(20);
    const seqs = rows.map((r) => {
      expect(r.code).toMatch(/^KZ-2027-\d{4}$/);
      return Number(r.code.slice(-4));
    }).sort((a, b) => a - b);
    expect(new Set(seqs).size).toBe(20);
    expect(seqs[19] - seqs[0]).toBe(19);
    // The sequence row agrees with the codes handed out.
    const sequence = await prisma().leadSequence.findUniqueOrThrow({ where: { year: 2027 } });
    expect(sequence.last).toBe(before.length + 20);
    expect(seqs[19]).toBe(sequence.last);
    // Every answer that came in time shows its own code (a slow one is the "正在处理" toast).
    const answered = replies.filter((r) => r.card).map((r) => codeIn(replyCard(r)));
    expect(new Set(answered).size).toBe(answered.length);
    for (const code of answered) expect(rows.map((r) => r.code)).toContain(code);
    for (const r of replies.filter((x) => !x.card)) expect(r.toast?.content).toContain('正在处理');
  });
});

describe('the 已提交 card', () => {
  it('shows the 项目简介 the submitter wrote, a long one shortened, within 30 KB', async () => {
    const { msg } = await openForm(STAFF_DY, 'service');
    const entered = '团队来自上海交通大学，主攻检测认证。'.repeat(111); // 1,998 characters: the form takes up to 2,000
    const { card } = await submit(STAFF_DY, msg, { project_name: '长简介的服务项目', town: '丁堰镇', service_type: '法律', summary: entered });
    expect(cardText(card)).toContain('已提交，进入审批');
    const text = cardText(card);
    expect(text).toContain('项目简介');
    expect(text).toContain('团队来自上海交通大学，主攻检测认证。');
    expect(text).toContain('…');
    expect(text).not.toContain(entered);
    expect(cardSize(card)).toBeLessThanOrEqual(CARD_MAX_BYTES);
    // The whole text is stored and on the lead card.
    const row = await prisma().lead.findUniqueOrThrow({ where: { code: codeIn(card)! } });
    expect(row.summary).toBe(entered);
  });
});

describe('a blank optional count', () => {
  it('stays empty: not shown on the cards and not pre-filled as 0 in the edit form', async () => {
    const { msg } = await openForm(STAFF_DY, 'tech');
    const { card } = await submit(STAFF_DY, msg, {
      project_name: '未填实用新型的科创项目', town: '丁堰镇', hightech_field: '新材料', invention_patents: '2', utility_models: '',
    });
    const code = codeIn(card)!;
    expect(cardText(card)).toContain('发明专利实审数');
    expect(cardText(card)).not.toContain('实用新型授权数');

    // Returned for changes: the submitter's lead card and the edit form.
    await prisma().lead.update({ where: { code }, data: { status: 'returned' } });
    await bot.say(STAFF_DY, `/lead ${code}`);
    const { msg: view, card: leadView } = lastCard(STAFF_DY);
    expect(cardText(leadView)).not.toContain('实用新型授权数');
    const opened = replyCard(await bot.click(STAFF_DY, view, '修改并重新提交'));
    expect(fieldValue(opened, 'invention_patents')).toBe('2');
    expect(fieldValue(opened, 'utility_models')).toBeUndefined();
  });
});

describe('下一步 follows the lead', () => {
  it('after 投产 it is growth, before it the next stage; withdrawn and returned leads are edited and resubmitted', async () => {
    const { msg } = await openForm(STAFF_BP, 'service');
    const { card } = await submit(STAFF_BP, msg, { project_name: '阶段测试服务项目', town: '白蒲镇', service_type: '法律' });
    const code = codeIn(card)!;
    const nextStepOf = async () => {
      await bot.say(STAFF_BP, '/my');
      const line = cardText(lastCard(STAFF_BP).card).split('\n').find((l) => l.includes(code))!;
      await bot.say(STAFF_BP, `/lead ${code}`);
      const row = cardText(lastCard(STAFF_BP).card).split('\n').find((l) => l.startsWith('**下一步**'))!;
      const fromList = /下一步：(.*)$/.exec(line)![1];
      expect(row).toContain(fromList);
      return fromList;
    };
    const set = (data: { status: string; stage?: string | null }) => prisma().lead.update({ where: { code }, data });

    await set({ status: 'approved', stage: 'producing' });
    expect(await nextStepOf()).toBe('跟进投产后成长（科技型中小企业→高新技术企业）');
    await set({ status: 'approved', stage: 'signed' });
    expect(await nextStepOf()).toBe('推进注册');
    await set({ status: 'approved', stage: null });
    expect(await nextStepOf()).toBe('推进签约');
    await set({ status: 'withdrawn', stage: null });
    expect(await nextStepOf()).toBe('修改后重新提交');
    await set({ status: 'returned' });
    expect(await nextStepOf()).toBe('修改后重新提交');
    await set({ status: 'rejected' });
    expect(await nextStepOf()).toBe('无');
  });
});

describe('/help', () => {
  /** One section of the help card: from its bold title to the blank line before the next one. */
  const section = (text: string, title: string) => {
    const rest = text.slice(Math.max(0, text.indexOf(`**${title}**`)));
    return text.includes(`**${title}**`) ? rest.split('\n\n')[0] : '';
  };

  it('lists 登记 under the roles that may register, not under 所有人可用', async () => {
    await bot.say(STAFF_DY, '/help');
    const staff = cardText(lastCard(STAFF_DY).card);
    // Staff read the Chinese words only (issue 18): no /register [tech|…].
    expect(section(staff, '所有人可用')).toContain('**我的项目**');
    expect(section(staff, '所有人可用')).not.toContain('**登记');
    expect(staff).not.toContain('/register');
    expect(section(staff, '招商人员')).toContain('**登记**');

    await bot.say(ADMIN, '帮助');
    expect(section(cardText(lastCard(ADMIN).card), '管理员')).toContain('**/register');
    expect(section(cardText(lastCard(ADMIN).card), '所有人可用')).not.toContain('**/register');

    await bot.say(NOBODY, '/help');
    const nobody = cardText(lastCard(NOBODY).card);
    expect(nobody).not.toContain('**登记');
    expect(section(nobody, '所有人可用')).toContain('**我的项目**');
    // Still told whom to ask when they try.
    await bot.say(NOBODY, '登记');
    expect(lastText(NOBODY)).toContain('王管理');
  });
});

describe('in a group chat', () => {
  const GROUP = 'oc_register_work_group';
  const inGroup = (user: string, text: string) =>
    bot.say(user, `@科招助手 ${text}`, { chatId: GROUP, mentions: [{ openId: 'ou_botself01', name: '科招助手' }] });
  const groupCard = () => lastCard(GROUP);

  it('登记 in a group sends the form to the private chat; only its opener may use a form or chooser', async () => {
    // 张丁堰 asks for a form in the group: the group is told where it went, the form arrives privately.
    const groupBefore = bot.messagesTo(GROUP).length;
    await inGroup(STAFF_DY, '登记 科创');
    const toGroup = bot.messagesTo(GROUP).slice(groupBefore);
    expect(toGroup.map((m) => m.msgType)).toEqual(['text']);
    expect(JSON.parse(toGroup[0].content).text).toContain('单聊');
    const { msg, card: form } = lastCard(STAFF_DY);
    expect(headerTitle(form)).toBe('登记科创类项目');

    // A colleague replaying its button value (with his own form values) changes nothing.
    const before = await leadCount();
    const entered = { project_name: '别人代填的项目', town: '丁堰镇', hightech_field: '新材料' };
    const submitValue = findButton(form, /提交/)!.value;
    const hijack = await bot.clickValue(STAFF_DY2, submitValue, { formValue: entered });
    expect(hijack.toast?.type).toBe('error');
    expect(hijack.toast?.content).toContain('其他人打开');
    expect(hijack.card).toBeUndefined();
    // A value without its opener (or a made-up one) is refused too.
    const bare = await bot.clickValue(STAFF_DY2, { action: 'register.submit', kind: 'tech' }, { formValue: entered });
    expect(bare.toast?.content).toContain('已过期');
    const forged = await bot.clickValue(STAFF_DY2, { action: 'register.submit', kind: 'tech', openedBy: { id: STAFF_DY2 } }, { formValue: entered });
    expect(forged.toast?.content).toContain('已过期');
    // A submit whose button name is garbled or made up (Feishu sends the name, not a value) is expired too:
    // 该卡片已过期 from the router, or the form's own 该表单已过期 for a name that decodes to a half value.
    const name = findButton(form, /提交/)!.name!;
    for (const bad of [`${name.slice(0, -3)}_ZZ`, 'cb_action_3Dregister_2Esubmit_26kind_3D', 'submit']) {
      const garbled = await bot.submitForm(STAFF_DY, bad, entered, { message: msg });
      expect(garbled.toast?.content, bad).toContain('已过期');
    }
    expect(await leadCount()).toBe(before);

    // The opener submits it in his private chat; it is his, with its contact details shown to him.
    const { card: done } = await submit(STAFF_DY, msg, { ...entered, project_name: '本人提交的群内项目', contact_name: '钱经理', contact_phone: '13812345678' });
    expect(cardText(done)).toContain('已提交，进入审批');
    const row = await prisma().lead.findUniqueOrThrow({ where: { code: codeIn(done)! } });
    expect(row.submitterId).toBe(STAFF_DY);
    expect(cardText(done)).toContain('13812345678');
    // Nothing with the contact details reached the group.
    for (const m of bot.messagesTo(GROUP).slice(groupBefore)) expect(m.currentContent).not.toContain('13812345678');

    // The kind chooser, too: private, and only its opener may choose.
    await inGroup(STAFF_DY, '登记');
    const { msg: chooser, card: choices } = lastCard(STAFF_DY);
    expect(headerTitle(choices)).toBe('登记项目');
    const chose = await bot.clickValue(STAFF_DY2, findButton(choices, '服务类')!.value);
    expect(chose.toast?.content).toContain('其他人打开');
    const mine = replyCard(await bot.click(STAFF_DY, chooser, '服务类'));
    expect(headerTitle(mine)).toBe('登记服务类项目');

    // A returned lead shown in the group offers no edit form there (it would show the contact details).
    await prisma().lead.update({ where: { id: row.id }, data: { status: 'returned' } });
    await inGroup(STAFF_DY, `项目 ${row.code}`);
    const { card: view } = groupCard();
    expect(buttons(view)).toEqual([]);
    expect(cardText(view)).toContain(`请在与机器人的单聊中发送「项目 ${row.code}」`);
    // In the private chat the owner gets the button; a replayed edit value by someone else is refused.
    await bot.say(STAFF_DY, `项目 ${row.code}`);
    const { msg: own } = lastCard(STAFF_DY);
    const editForm = replyCard(await bot.click(STAFF_DY, own, '修改并重新提交'));
    const edited = await bot.clickValue(STAFF_DY2, findButton(editForm, '重新提交')!.value, { formValue: { ...entered, project_name: '被别人改掉' } });
    expect(edited.toast?.type).toBe('error');
    expect(await prisma().lead.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ status: 'returned', projectName: '本人提交的群内项目', round: 1 });
  });

  it('/lead, /find and /my leave out contact details in a group and say where to see them; the private chat shows them', async () => {
    const { msg } = await openForm(STAFF_DY, 'service');
    const { card } = await submit(STAFF_DY, msg, {
      project_name: '联系方式保密的服务项目', company_name: '保密检测有限公司', town: '丁堰镇', service_type: '法律',
      contact_name: '孙经理', contact_phone: '13912345678', summary: '检测认证团队，可联系 sun@example.com 或 0513-87650000 洽谈。',
    });
    const code = codeIn(card)!;
    const secrets = ['孙经理', '13912345678', 'sun@example.com', '87650000'];

    await inGroup(STAFF_DY, `/lead ${code}`);
    const group = cardText(groupCard().card);
    expect(group).toContain('联系方式保密的服务项目');
    expect(group).toContain('保密检测有限公司');
    expect(group).toContain('检测认证团队');
    for (const s of secrets) expect(group).not.toContain(s);
    expect(group).toContain('联系方式仅在与机器人的单聊中显示');

    for (const command of ['/my', '/find 联系方式保密']) {
      await inGroup(STAFF_DY, command);
      const list = cardText(groupCard().card);
      expect(list).toContain(code);
      for (const s of secrets) expect(list).not.toContain(s);
    }

    await bot.say(STAFF_DY, `/lead ${code}`);
    const own = cardText(lastCard(STAFF_DY).card);
    for (const s of secrets) expect(own).toContain(s);
    expect(own).not.toContain('仅在与机器人的单聊中显示');

    // A 退回意见 quoting a phone number is shown to the group without it.
    const lead = await prisma().lead.findUniqueOrThrow({ where: { code } });
    await prisma().lead.update({ where: { id: lead.id }, data: { status: 'returned' } });
    await prisma().auditEvent.create({ data: { actorId: REVIEWER, action: 'return', role: 'reviewer', leadId: lead.id, comment: '联系电话有误，应为 13812345678' } });
    await inGroup(STAFF_DY, `/lead ${code}`);
    const returned = cardText(groupCard().card);
    expect(returned).toContain('联系电话有误');
    expect(returned).not.toContain('13812345678');
    await bot.say(STAFF_DY, `/lead ${code}`);
    expect(cardText(lastCard(STAFF_DY).card)).toContain('13812345678');
  });
});

describe('/find over many matches', () => {
  it('counts a common keyword up to 10,000 and says there are more, instead of reading every lead', { timeout: 60_000 }, async () => {
    const n = 10_050;
    await prisma().lead.createMany({
      data: Array.from({ length: n }, (_, i) => ({
        code: `KZ-2019-${String(i + 1).padStart(5, '0')}`, kind: 'service', projectName: `常见词项目${i + 1}号`, town: '白蒲镇', submitterId: 'ou_bulk0001', status: 'approved',
      })),
    });
    await bot.say(REVIEWER, '/find 常见词');
    const { card } = lastCard(REVIEWER);
    expect(headerTitle(card)).toBe('查询「常见词」：超过 10,000 项');
    const text = cardText(card);
    expect(text).toContain(`常见词项目${n}号`); // the newest first
    expect(text).toMatch(/另有 9,\d{3} 余项…，请换一个更具体的关键词/);
    await prisma().lead.deleteMany({ where: { submitterId: 'ou_bulk0001' } });
  });
});
