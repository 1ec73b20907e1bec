// 项目台账 (/leads export, npm run leads:export) and 信息提供人 (the registration field, the lead card, the
// /referrals table), driven as people would: the registration form, 初审 → 审签 on cards, then the export
// opened with exceljs.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, cardOf } from '../support/harness.ts';
import { cardText, replyCard } from '../support/cards.ts';
import { runScript } from '../support/process.ts';
import { LEDGER_COLUMNS, LEDGER_SHEET, ledgerBuffer } from '../../src/features/ledger/ledger.ts';
import { STANDIN_BOT, type DeliveredMessage } from '../../src/sandbox/standin.ts';

const ADMIN = 'ou_admin0001';
const STAFF_DY = 'ou_staffdy01'; // 丁堰镇
const STAFF_BP = 'ou_staffbp01'; // 白蒲镇
const REV = 'ou_review001';
const APP = 'ou_approve01';

const now = new Date('2023-06-15T02:00:00Z'); // 10:00 in Asia/Shanghai
let bot: TestBot;
let seq = 100;
const db = () => bot.app.database.prisma;
const textOf = (m: DeliveredMessage) => cardText(cardOf(m));
const dir = mkdtempSync(join(tmpdir(), 'ledger-'));

/** A lead written directly (approval and lifecycle are other features' tests). */
async function insertLead(o: { town: string; submitterId: string; status?: string; referrer?: string | null; referrerType?: string | null; stage?: string | null; createdAt?: Date }) {
  seq++;
  return db().lead.create({
    data: {
      code: `KZ-2023-${String(seq).padStart(4, '0')}`, kind: 'tech', projectName: `直写项目${seq}`, town: o.town, submitterId: o.submitterId,
      status: o.status ?? 'pending', referrer: o.referrer ?? null, referrerType: o.referrerType ?? null, stage: o.stage ?? null,
      approvedAt: o.status === 'approved' ? new Date('2023-03-01T02:00:00Z') : null, createdAt: o.createdAt ?? new Date('2023-02-01T02:00:00Z'),
    },
  });
}

async function loadSheet(data: Buffer | Uint8Array): Promise<ExcelJS.Worksheet> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(data as unknown as Parameters<typeof wb.xlsx.load>[0]);
  return wb.getWorksheet(LEDGER_SHEET)!;
}

/** Row values by header name, for the row whose 编号 is `code`. */
function rowOf(ws: ExcelJS.Worksheet, code: string): Record<string, unknown> {
  const headers = (ws.getRow(2).values as unknown[]).slice(1);
  for (let r = 3; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    if (row.getCell(1).value === code) return Object.fromEntries(headers.map((h, i) => [String(h), row.getCell(i + 1).value]));
  }
  throw new Error(`no row for ${code}`);
}

function codesIn(ws: ExcelJS.Worksheet): string[] {
  const out: string[] = [];
  for (let r = 3; r <= ws.rowCount; r++) {
    const v = ws.getRow(r).getCell(1).value;
    if (typeof v === 'string' && v.startsWith('KZ-')) out.push(v);
  }
  return out;
}

/** Sends 项目台账 … and returns the workbook the bot sent back. */
async function exportAs(user: string, text: string): Promise<{ name: string; ws: ExcelJS.Worksheet }> {
  await bot.say(user, text);
  const msg = bot.lastMessageTo(user);
  expect(msg.msgType, msg.content).toBe('file');
  const file = bot.state.files.get(JSON.parse(msg.content).file_key as string)!;
  return { name: file.name, ws: await loadSheet(file.data as Buffer) };
}

let approvedCode = '';

beforeAll(async () => {
  bot = await TestBot.start({ name: 'ledger', clock: () => now, admins: [ADMIN] });
  await db().roleGrant.createMany({
    data: [
      { userId: STAFF_DY, role: 'staff', town: '丁堰镇', grantedBy: ADMIN },
      { userId: STAFF_BP, role: 'staff', town: '白蒲镇', grantedBy: ADMIN },
      { userId: REV, role: 'reviewer', grantedBy: ADMIN },
      { userId: APP, role: 'approver', grantedBy: ADMIN },
    ],
  });
  await db().user.createMany({ data: [{ openId: STAFF_DY, name: '王招商' }, { openId: REV, name: '李初审' }, { openId: APP, name: '张审签' }] });
});

afterAll(async () => {
  await bot?.stop();
});

describe('信息提供人 on the registration form', () => {
  it('is recorded with its type, shown on the lead card, and a type without a name is refused', async () => {
    await bot.say(STAFF_DY, '登记 服务');
    const form = bot.lastMessageTo(STAFF_DY);
    expect(textOf(form)).toContain('信息提供人');

    const refused = replyCard(await bot.click(STAFF_DY, form, /提交/, { project_name: '只有类型', town: '丁堰镇', service_type: '法律', referrer_type: 'person' }));
    expect(cardText(refused)).toContain('选择了信息提供人类型，请填写信息提供人名称');
    expect(await db().lead.count({ where: { projectName: '只有类型' } })).toBe(0);

    await bot.say(STAFF_DY, '登记 服务');
    const again = bot.lastMessageTo(STAFF_DY);
    await bot.click(STAFF_DY, again, /提交/, {
      project_name: '知识产权代理服务中心', company_name: '如皋知联知识产权服务有限公司', town: '丁堰镇', service_type: '法律',
      investment_wan: '300', industry: '其他', contact_name: '周经理', contact_phone: '13912345678',
      referrer: ' 张三 ', referrer_type: '个人',
    });
    const lead = await db().lead.findFirstOrThrow({ where: { projectName: '知识产权代理服务中心' } });
    expect([lead.referrer, lead.referrerType]).toEqual(['张三', 'person']);
    approvedCode = lead.code;

    await bot.say(STAFF_DY, `项目 ${lead.code}`);
    expect(bot.lastText(STAFF_DY)).toContain('信息提供人**：张三（个人）');
  });

  it('goes through 初审 and 审签 on cards; the lead is then signed and has a 一月一报 answer', async () => {
    const lead = await db().lead.findUniqueOrThrow({ where: { code: approvedCode } });
    const reviewCard = bot.messagesTo(REV).filter((m) => m.msgType === 'interactive' && textOf(m).includes(lead.code)).at(-1)!;
    await bot.click(REV, reviewCard, '同意', { comment: '同意' });
    const signoffCard = bot.messagesTo(APP).filter((m) => m.msgType === 'interactive' && textOf(m).includes(lead.code)).at(-1)!;
    await bot.click(APP, signoffCard, '同意', { comment: '同意' });
    expect((await db().lead.findUniqueOrThrow({ where: { id: lead.id } })).status).toBe('approved');
    // 签约 and a follow-up answer, as the lifecycle feature records them.
    await db().lead.update({ where: { id: lead.id }, data: { stage: 'signed' } });
    await db().leadStage.create({ data: { leadId: lead.id, stage: 'signed', date: new Date('2023-05-20T00:00:00Z'), actorId: STAFF_DY } });
    await db().followUp.create({ data: { leadId: lead.id, period: '2023-05', answeredAt: now, answer: 'updated', note: '办公场地待协调' } });
  });
});

describe('/referrals (信息提供人)', () => {
  beforeAll(async () => {
    // The same person typed with a space and full-width letters, a unit, and a lead without a referrer.
    await insertLead({ town: '白蒲镇', submitterId: STAFF_BP, status: 'approved', referrer: '张 三', referrerType: 'person' });
    await insertLead({ town: '白蒲镇', submitterId: STAFF_BP, status: 'approved', referrer: '南通市产业研究院', referrerType: 'unit', stage: 'landed' });
    await insertLead({ town: '白蒲镇', submitterId: STAFF_BP, referrer: '南通市产业研究院', referrerType: 'unit' });
    await insertLead({ town: '白蒲镇', submitterId: STAFF_BP });
    // Another year does not count.
    await insertLead({ town: '白蒲镇', submitterId: STAFF_BP, referrer: '去年的人', referrerType: 'person', createdAt: new Date('2022-05-01T02:00:00Z') });
  });

  it('counts per referrer the leads registered, approved and signed', async () => {
    await bot.say(ADMIN, '信息提供人 2023');
    const text = bot.lastText(ADMIN);
    expect(text).toContain('2023年信息提供人统计');
    expect(text).toContain('**2 位信息提供人**，提供项目 **4** 个（通过 3，签约 2）；未填信息提供人的项目 1 个');
    // Signings first: both have one; then approvals (张三 2, the 研究院 1).
    expect(text).toMatch(/张三（个人） \| 2 \| 2 \| 1[\s\S]*南通市产业研究院（单位） \| 2 \| 1 \| 1/);
    expect(text).not.toContain('去年的人');
  });

  it('shows town staff their town and their own leads only', async () => {
    await bot.say(STAFF_DY, '/referrals 2023');
    const text = bot.lastText(STAFF_DY);
    expect(text).toContain('**1 位信息提供人**，提供项目 **1** 个（通过 1，签约 1）');
    expect(text).not.toContain('南通市产业研究院');
    expect(text).toContain('统计范围：丁堰镇及您登记的项目');
  });
});

describe('/leads export (项目台账)', () => {
  beforeAll(async () => {
    // A rejected lead of 丁堰镇 with the reviewer's comment.
    const rejected = await insertLead({ town: '丁堰镇', submitterId: STAFF_DY, status: 'rejected' });
    const step = await db().approvalStep.create({
      data: { leadId: rejected.id, round: 1, position: 1, step: 'review', mode: 'any', status: 'rejected', decidedAt: new Date('2023-02-03T02:00:00Z'), decidedBy: REV },
    });
    await db().stepAssignee.create({ data: { stepId: step.id, userId: REV, decision: 'reject', comment: '不属于科技招商范围', decidedAt: new Date('2023-02-03T02:00:00Z') } });
  });

  it('sends admins every lead of the year with fields, approval dates, stages, score, follow-ups and comments', async () => {
    const { name, ws } = await exportAs(ADMIN, '/leads export 2023');
    expect(name).toBe('如皋市2023年科技招商项目台账.xlsx');
    expect(ws.getRow(1).getCell(1).value).toBe('如皋市2023年科技招商项目台账（导出日期 2023-06-15）');
    const headers = (ws.getRow(2).values as unknown[]).slice(1);
    expect(headers).toEqual(LEDGER_COLUMNS.map((c) => c.header));
    expect(headers.slice(0, 12)).toEqual(['编号', '项目名称', '企业名称', '类别', '产业方向', '镇区', '投资额（万元）', '信息提供人', '信息提供人类型', '登记人', '登记日期', '状态']);
    expect(codesIn(ws)).toHaveLength(6); // 1 registered by form + 5 written this year (not last year's)

    const row = rowOf(ws, approvedCode);
    expect(row).toMatchObject({
      项目名称: '知识产权代理服务中心', 企业名称: '如皋知联知识产权服务有限公司', 类别: '服务类', 产业方向: '其他', 镇区: '丁堰镇',
      '投资额（万元）': 300, 信息提供人: '张三', 信息提供人类型: '个人', 登记人: '王招商', 登记日期: '2023-06-15', 状态: '已通过',
      初审日期: '2023-06-15', 审签日期: '2023-06-15', 通过日期: '2023-06-15', 预审日期: null, 重大项目: '否',
      当前阶段: '签约', 签约日期: '2023-05-20', 投产日期: null, 联系人: '周经理', 联系电话: '13912345678',
      类别信息: '服务类型：法律', 一月一报反馈: '2023-05 有进展：办公场地待协调',
    });
    expect(typeof row['评分']).toBe('number');
    expect(['重点类', '常规类', '潜力类']).toContain(row['分级']);

    const rejected = rowOf(ws, codesIn(ws).at(-1)!);
    expect(rejected).toMatchObject({ 状态: '已驳回', 审批意见: '第1轮初审驳回（李初审，2023-02-03）：不属于科技招商范围' });
  });

  it('gives town staff only their town, refuses another town and a group chat', async () => {
    const { name, ws } = await exportAs(STAFF_BP, '项目台账 2023');
    expect(name).toBe('如皋市2023年科技招商项目台账.xlsx');
    const codes = codesIn(ws);
    expect(codes).toHaveLength(4);
    for (const code of codes) expect(rowOf(ws, code)['镇区']).toBe('白蒲镇');
    expect(codes).not.toContain(approvedCode);

    const mine = await exportAs(STAFF_DY, '台账 2023 丁堰');
    expect(mine.name).toBe('如皋市2023年科技招商项目台账（丁堰镇）.xlsx');
    expect(codesIn(mine.ws)).toHaveLength(2);

    await bot.say(STAFF_BP, '/leads export 2023 丁堰镇');
    expect(bot.lastText(STAFF_BP)).toContain('不能导出丁堰镇的台账');
    await bot.say(STAFF_BP, '@科招助手 /leads export 2023', { chatId: 'oc_workgroup', mentions: [{ openId: STANDIN_BOT.openId, name: STANDIN_BOT.name }] });
    expect(bot.lastText('oc_workgroup')).toContain('请在与我的单聊中发送「项目台账」导出');
    await bot.say(STAFF_BP, '/leads export 2031');
    expect(bot.lastText(STAFF_BP)).toContain('2031 年没有您可查看的登记项目');
  });

  it('reads the leads page by page: every lead once, in code order, whatever the page size', async () => {
    const all = await db().lead.findMany({ where: { createdAt: { gte: new Date('2022-12-31T16:00:00Z'), lt: new Date('2023-12-31T16:00:00Z') } }, orderBy: { id: 'asc' }, select: { code: true } });
    for (const pageSize of [1, 2, 5]) {
      const { data, leads } = await ledgerBuffer(db(), { year: 2023, tz: 'Asia/Shanghai', officeName: '如皋市', pageSize });
      expect(leads).toBe(all.length);
      expect(codesIn(await loadSheet(data))).toEqual(all.map((l) => l.code));
    }
  });

  it('is written by npm run leads:export for one town to a file', async () => {
    const out = join(dir, 'ledger.xlsx');
    const r = await runScript('leads-export.ts', ['--year', '2023', '--town', '白蒲镇', '--out', out], { DATABASE_URL: bot.databaseUrl.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('已导出 2023 年白蒲镇项目台账：4 个项目');
    const ws = await loadSheet(readFileSync(out));
    expect(codesIn(ws)).toHaveLength(4);
    expect(rowOf(ws, codesIn(ws)[1])).toMatchObject({ 信息提供人: '南通市产业研究院', 信息提供人类型: '单位', 当前阶段: '落地（开工）' });
    const bad = await runScript('leads-export.ts', ['--town', '火星镇'], { DATABASE_URL: bot.databaseUrl.url });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown town "火星镇"');
  }, 120_000); // two child processes (tsx) on a busy machine
});
