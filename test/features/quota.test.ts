// 任务分解表 and 任务进度 end to end through the real HTTP routes: importing the 如皋 2023 table by chat
// (CSV) and by the CLI (XLSX), refusals, /quota with seeded approved leads, /quota set, /quota export as an
// XLSX file, and the quota-alerts job (once a month, 表彰 once per year, town and metric).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, cardOf } from '../support/harness.ts';
import { zipBomb } from '../support/tables.ts';
import { buttons, cardText, replyCard, validCard } from '../support/cards.ts';
import { testDatabase } from '../support/db.ts';
import { ROOT, runScript, type Finished } from '../support/process.ts';
import { assertValidCard, cardSize, CARD_MAX_BYTES } from '../../src/platform/cards/validate.ts';
import { openDatabase } from '../../src/platform/db/client.ts';
import { parseDatabaseUrl } from '../../src/platform/db/url.ts';
import { QUOTA_METRICS, yearShare, type QuotaMetric } from '../../src/features/quotas/quota.ts';
import { defaultOffice } from '../../src/office/config.ts';
import { localMonth } from '../../src/platform/time.ts';
import { quotaAlertsJob } from '../../src/features/quotas/alerts.ts';
import { housekeepingJob } from '../../src/platform/jobs/housekeeping.ts';
import type { CardJson, CardReply } from '../../src/platform/lark/types.ts';
import type { DeliveredMessage } from '../../src/sandbox/standin.ts';

const ADMIN = 'ou_admin0001';
const ADMIN2 = 'ou_admin0002';
const STAFF = 'ou_staffdy01'; // 丁堰镇
const LEADER = 'ou_leader001';
const NOBODY = 'ou_nobody001';
const TZ = 'Asia/Shanghai';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)));
const SEED_CSV = fixture('rugao-2023-quota.csv');
const SEED_TOTALS = { projects: 398, invention_patents: 398, utility_models: 1990, platforms: 3, funds: 4 };
const TOWNS_2023 = ['丁堰镇', '东陈镇', '白蒲镇', '下原镇', '吴窑镇', '磨头镇', '九华镇', '石庄镇', '江安镇', '搬经镇', '长江镇', '开发区', '高新区'];

// The office clock: 2 July 2023 12:00 in Shanghai unless a test moves it.
let nowMs = Date.parse('2023-07-02T04:00:00Z');
const clock = () => new Date(nowMs);

let bot: TestBot;
const prisma = () => bot.app.database.prisma;

beforeAll(async () => {
  // These tests count a project on approval (quota.countOn: approved); test/features/quota-rules.test.ts covers the rules.
  const office = defaultOffice();
  bot = await TestBot.start({ name: 'quota', admins: [ADMIN], clock, office: { ...office, quota: { ...office.quota, countOn: 'approved' } } });
  await prisma().roleGrant.createMany({
    data: [
      { userId: ADMIN2, role: 'admin', grantedBy: ADMIN },
      { userId: STAFF, role: 'staff', town: '丁堰镇', grantedBy: ADMIN },
      { userId: LEADER, role: 'leader', grantedBy: ADMIN },
    ],
  });
});

afterAll(async () => {
  await bot?.stop();
});

// ---- helpers -----------------------------------------------------------------------------------------

const valid = validCard;


const lastCard = (who: string) => bot.lastCard(who);

const lastText = (who: string) => bot.lastText(who);

const title = (card: CardJson) => (card.header as { title: { content: string } }).title.content;

/** Rows of the card's first table, cell markup (font tags, entities) removed. */
function tableRows(card: CardJson): Array<Record<string, string>> {
  const el = ((card.body as { elements: Array<Record<string, unknown>> }).elements).find((e) => e.tag === 'table');
  expect(el, 'card has a table').toBeDefined();
  return (el!.rows as Array<Record<string, string | number>>).map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v).replace(/<[^>]+>/g, '').replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))])),
  );
}

function rowOf(rows: Array<Record<string, string>>, town: string): Record<string, string> {
  const row = rows.find((r) => r.town === town);
  expect(row, `row for ${town}`).toBeDefined();
  return row!;
}

async function quotaTotals(year: number): Promise<Record<QuotaMetric, number>> {
  const rows = await prisma().quota.findMany({ where: { year } });
  return Object.fromEntries(QUOTA_METRICS.map((m) => [m, rows.filter((r) => r.metric === m).reduce((s, r) => s + r.target, 0)])) as Record<QuotaMetric, number>;
}

async function target(year: number, town: string, metric: QuotaMetric): Promise<number | undefined> {
  return (await prisma().quota.findUnique({ where: { year_town_metric: { year, town, metric } } }))?.target;
}

let leadSeq = 0;
/** A lead; its patents are recorded as its owner's 一月一报 answer for the month it was approved. */
async function lead(town: string, kind: string, approvedAt: string | null, opts: { inventionPatents?: number; utilityModels?: number; status?: string } = {}) {
  leadSeq += 1;
  const row = await prisma().lead.create({
    data: {
      code: `KZ-TEST-${String(leadSeq).padStart(4, '0')}`,
      kind,
      projectName: `测试项目${leadSeq}`,
      town,
      submitterId: STAFF,
      status: opts.status ?? 'approved',
      approvedAt: approvedAt ? new Date(approvedAt) : null,
    },
  });
  if (approvedAt && (opts.status ?? 'approved') === 'approved' && (opts.inventionPatents || opts.utilityModels)) {
    const at = new Date(approvedAt);
    await prisma().followUp.create({
      data: {
        leadId: row.id, period: localMonth(at, TZ), sentAt: at, answeredAt: at, answer: 'updated',
        inventionPatents: opts.inventionPatents ?? 0, utilityModels: opts.utilityModels ?? 0,
      },
    });
  }
}

const downloads = () => bot.state.callsTo('/open-apis/im/v1/messages/:message_id/resources/:file_key', 'GET').length;
const quotaDrafts = () => prisma().leadDraft.count({ where: { kind: 'quota_import' } });

// ---- import by chat ----------------------------------------------------------------------------------

describe('importing the 任务分解表 in chat', () => {
  it('previews the 如皋 2023 CSV (13 towns, sums 398/398/1990/3/4, 合计 warning) and imports it on 确认导入, audited', async () => {
    await bot.sendFile(ADMIN, '如皋市2023年科技招商任务分解表.csv', SEED_CSV);
    const { msg, card } = lastCard(ADMIN);
    expect(title(card)).toBe('任务分解表预览 · 2023 年');
    const text = cardText(card);
    expect(text).toContain('2023 年（取自文件名）');
    expect(text).toContain('13 个');
    expect(text).toContain('合计行与各镇区之和不一致');
    expect(text).toContain('总数 合计 400，各镇区之和 398');
    expect(text).toContain('实用新型专利授权数 合计 2000，各镇区之和 1990');
    const rows = tableRows(card);
    expect(rows.slice(0, 13).map((r) => r.town)).toEqual(TOWNS_2023);
    expect(rowOf(rows, '长江镇')).toMatchObject({ projects: '55', platforms: '1', funds: '1' });
    expect(rowOf(rows, '合计（各镇区之和）')).toMatchObject({ projects: '398', invention_patents: '398', utility_models: '1990', platforms: '3', funds: '4' });
    expect(rowOf(rows, '表中合计行')).toMatchObject({ projects: '400', invention_patents: '400', utility_models: '2000' });
    expect(buttons(card).map((b) => b.text)).toEqual(['确认导入', '取消']);
    expect(await prisma().quota.count()).toBe(0);

    // Another admin cannot confirm someone else's upload.
    const foreign = await bot.click(ADMIN2, msg, '确认导入');
    expect(foreign.toast?.content).toContain('只有发送该文件的管理员');
    expect(await prisma().quota.count()).toBe(0);

    const confirm = buttons(card).find((b) => b.text === '确认导入')!.value;
    const reply = await bot.click(ADMIN, msg, '确认导入');
    expect(reply.toast?.type).toBe('success');
    const done = replyCard(reply);
    expect(title(done)).toBe('已导入 2023 年任务分解表');
    expect(cardText(done)).toContain('13 个');

    expect(await prisma().quota.count({ where: { year: 2023 } })).toBe(65);
    expect(await quotaTotals(2023)).toEqual(SEED_TOTALS);
    expect(await target(2023, '高新区', 'funds')).toBe(2);
    expect(await target(2023, '丁堰镇', 'platforms')).toBe(0);
    const audits = await prisma().auditEvent.findMany({ where: { action: 'quota_import' } });
    expect(audits).toHaveLength(1);
    expect(audits[0].actorId).toBe(ADMIN);
    expect(audits[0].data).toMatchObject({ year: 2023, via: 'chat', records: 65, replaced: 0, totals: SEED_TOTALS });

    // A second click (from another copy of the card) imports nothing more.
    const again = await bot.clickValue(ADMIN, confirm);
    expect(again.toast?.content).toBe('该导入已确认、已取消或已过期（2 天）。请重新发送任务分解表文件。');
    expect(await prisma().auditEvent.count({ where: { action: 'quota_import' } })).toBe(1);
    expect(await quotaDrafts()).toBe(0);
  });

  it('refuses files from non-admins without downloading them, and answers a non-table file with a hint', async () => {
    const before = downloads();
    for (const user of [STAFF, NOBODY]) {
      await bot.sendFile(user, '2023年任务分解表.csv', SEED_CSV);
      expect(lastText(user)).toContain('需要管理员权限');
    }
    await bot.sendFile(ADMIN, '工作方案.pdf', Buffer.from('%PDF-1.4 not a table'));
    // The hint names both kinds of table the bot imports, and the columns each needs.
    const hint = lastText(ADMIN);
    expect(hint).toContain('暂只能处理任务分解表、活动安排表或载体汇总表文件（.xlsx 或 .csv）');
    expect(hint).toContain('任务分解表：需要“镇区”列');
    expect(hint).toContain('活动安排表：需要“活动名称”和“时间”两列');
    expect(downloads()).toBe(before);
    expect(await quotaDrafts()).toBe(0);
  });

  it('refuses a malformed table whole, listing every bad row by number, and stores nothing', async () => {
    const broken = SEED_CSV.toString('utf8')
      .replace('丁堰镇,22,22,110,,', '丁燕镇,22,22,110,,')
      .replace('东陈镇,19,19,95,,', '东陈镇,-1,19,95,,')
      .replace('白蒲镇,24,24,120,,', '白蒲镇,24,2.5,120,,')
      .replace('下原镇,24,24,120,,', '磨头镇,24,24,120,,');
    const auditsBefore = await prisma().auditEvent.count();
    await bot.sendFile(ADMIN, '2024年任务分解表.csv', Buffer.from(broken, 'utf8'));
    const { card } = lastCard(ADMIN);
    expect(title(card)).toBe('任务分解表未导入');
    const text = cardText(card);
    expect(text).toContain('4 处问题');
    expect(text).toContain('未导入任何数据');
    for (const line of ['第3行：未知镇区“丁燕镇”，是否为“丁堰镇”？', '第4行“总数”不能为负数（-1）', '第5行“发明专利实审数”必须是整数（2.5）', '第8行：镇区“磨头镇”重复（第6行已填写）']) {
      expect(text).toContain(line);
    }
    expect(buttons(card)).toEqual([]);

    // A spreadsheet that is neither a quota table nor an activity table: the reply names both and their columns.
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Sheet1').addRows([['姓名', '电话'], ['张三', '13800000000']]);
    await bot.sendFile(ADMIN, '通讯录.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
    const unknown = lastCard(ADMIN).card;
    expect(title(unknown)).toBe('未能识别表格');
    const unknownText = cardText(unknown);
    expect(unknownText).toContain('文件「通讯录.xlsx」的表头不像任务分解表、活动安排表或载体汇总表');
    expect(unknownText).toContain('未导入任何数据');
    expect(unknownText).toContain('任务分解表：需要“镇区”列，以及“总数”“发明专利实审数”');
    expect(unknownText).toContain('活动安排表：需要“活动名称”和“时间”两列');

    expect(await prisma().quota.count({ where: { year: 2024 } })).toBe(0);
    expect(await quotaTotals(2023)).toEqual(SEED_TOTALS);
    expect(await quotaDrafts()).toBe(0);
    expect(await prisma().auditEvent.count()).toBe(auditsBefore);
  });
});

describe('import limits', () => {
  it('refuses a sheet with a cell far to the right, and a zip bomb, while the bot keeps answering', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Sheet1');
    ws.getCell('A1').value = '镇区';
    ws.getCell('B1').value = '总数';
    ws.getCell('XFD1').value = 'x';
    ws.getCell('A5000').value = '丁堰镇';
    const wide = Buffer.from(await wb.xlsx.writeBuffer());
    expect(wide.length).toBeLessThan(10_000);
    await bot.sendFile(ADMIN, '2024年任务分解表.xlsx', wide);
    const { card } = lastCard(ADMIN);
    expect(title(card)).toBe('任务分解表未导入');
    expect(cardText(card)).toContain('表格列数过多：第1行的 XFD 列有内容，最多读取 100 列（到 CV 列）');

    const bomb = await zipBomb(40);
    const upload = bot.sendFile(ADMIN, '2024年任务分解表.xlsx', bomb);
    const health = await fetch(`${bot.url}/healthz`);
    expect(health.status).toBe(200);
    await upload;
    expect(cardText(lastCard(ADMIN).card)).toContain('Excel 文件过大（解压后超过 30 MB）');
    expect(await quotaDrafts()).toBe(0);
    expect(await prisma().quota.count({ where: { year: 2024 } })).toBe(0);
  });

  it('refuses a town target above the /quota set limit, naming its row', async () => {
    await bot.sendFile(ADMIN, '2024年任务分解表.csv', Buffer.from('镇区,总数,平台类项目\n丁堰镇,12,1\n高新区,5000000,2\n', 'utf8'));
    const { card } = lastCard(ADMIN);
    expect(title(card)).toBe('任务分解表未导入');
    expect(cardText(card)).toContain('第3行“总数”超过上限 1000000（5000000）');
    expect(buttons(card)).toEqual([]);
    expect(await quotaDrafts()).toBe(0);
  });

  it('says a preview left longer than the housekeeping keeps drafts has expired', async () => {
    await bot.sendFile(ADMIN, '2031年任务分解表.csv', Buffer.from('镇区,总数\n丁堰镇,12\n', 'utf8'));
    const { msg, card } = lastCard(ADMIN);
    expect(title(card)).toBe('任务分解表预览 · 2031 年');
    await housekeepingJob.run({ services: bot.app.services, now: new Date(nowMs + 3 * 86_400_000), force: false });
    const reply = await bot.click(ADMIN, msg, '确认导入');
    expect(reply.toast).toEqual({ type: 'warning', content: '该导入已确认、已取消或已过期（2 天）。请重新发送任务分解表文件。' });
    expect(await prisma().quota.count({ where: { year: 2031 } })).toBe(0);
  });
});

describe('the bot\'s one file handler', () => {
  it('passes a file named like an 活动安排表 to the activity import instead of reading it as quotas', async () => {
    await bot.sendFile(ADMIN, '2024年科技招商活动安排表.csv', Buffer.from('序号,活动名称,时间,主办单位\n1,如皋-上海科技招商专场活动,2024年4月18日,市科创办\n', 'utf8'));
    expect(title(lastCard(ADMIN).card)).toBe('活动安排表已导入');
    expect(await prisma().activity.count({ where: { year: 2024 } })).toBe(1);
    expect(await quotaDrafts()).toBe(0);
  });

  it('goes by the header row, not the file name: an activity table called 附件3.xlsx, a quota table called 活动….csv', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Sheet1').addRows([
      ['序号', '活动名称', '时间', '主办单位'],
      [1, '如皋-杭州科技招商推介会', '2025年3月12日', '市科创办'],
    ]);
    await bot.sendFile(ADMIN, '附件3.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
    const text = cardText(lastCard(ADMIN).card);
    expect(title(lastCard(ADMIN).card)).toBe('活动安排表已导入');
    expect(text).not.toContain('镇区');
    expect(await prisma().activity.count({ where: { year: 2025 } })).toBe(1);
    expect(await quotaDrafts()).toBe(0);

    await bot.sendFile(ADMIN, '活动经费与任务分解表2032.csv', Buffer.from('镇区,总数,平台类项目\n丁堰镇,12,1\n', 'utf8'));
    expect(title(lastCard(ADMIN).card)).toBe('任务分解表预览 · 2032 年');
    expect(await quotaDrafts()).toBe(1);
    await bot.click(ADMIN, lastCard(ADMIN).msg, '取消');
    expect(await quotaDrafts()).toBe(0);
    expect(await prisma().activity.count({ where: { year: 2032 } })).toBe(0);
  });
});

// ---- /quota --------------------------------------------------------------------------------------------

describe('/quota: progress against the 2023 quotas', () => {
  beforeAll(async () => {
    await lead('丁堰镇', 'tech', '2023-03-01T02:00:00Z', { inventionPatents: 2, utilityModels: 5 });
    await lead('丁堰镇', 'talent', '2023-05-10T02:00:00Z', { inventionPatents: 1 });
    await lead('丁堰镇', 'service', '2023-06-10T02:00:00Z', { utilityModels: 3 });
    await lead('丁堰镇', 'platform', '2023-04-01T02:00:00Z');
    await lead('丁堰镇', 'tech', '2022-06-01T02:00:00Z', { inventionPatents: 9 }); // last year
    await lead('丁堰镇', 'tech', null, { status: 'pending' }); // not approved
    await lead('丁堰镇', 'tech', '2023-04-01T02:00:00Z', { status: 'rejected' });
    await lead('东陈镇', 'tech', '2023-12-31T16:30:00Z'); // 1 January 2024 in Shanghai
    await lead('高新区', 'fund', '2023-02-01T02:00:00Z');
    await lead('高新区', 'fund', '2023-03-01T02:00:00Z');
    await lead('白蒲镇', 'service', '2023-01-01T00:30:00Z', { inventionPatents: 1 }); // 08:30 on 1 January
  });

  it('/quota arrives at Lark: the stand-in refuses a card Feishu would refuse, e.g. a 60px table column', async () => {
    const before = bot.messagesTo(STAFF).length;
    const refusedBefore = bot.state.calls.filter((c) => c.status === 400).length;
    await bot.say(STAFF, '/quota 2023');
    const got = bot.messagesTo(STAFF);
    expect(got).toHaveLength(before + 1);
    expect(bot.state.calls.filter((c) => c.status === 400)).toHaveLength(refusedBefore);
    const el = (valid(cardOf(got.at(-1)!)).body as { elements: Array<Record<string, unknown>> }).elements.find((e) => e.tag === 'table')!;
    for (const c of el.columns as Array<{ width?: string }>) expect(c.width === 'auto' || /^([89]\d|[1-5]\d\d|600)px$/.test(c.width ?? 'auto')).toBe(true);
  });

  it('shows done/target, rank and the city total to anyone with a role, with a completion chart', async () => {
    await bot.say(STAFF, '/quota 2023');
    const { card } = lastCard(STAFF);
    expect(title(card)).toBe('如皋市2023年科技招商任务进度');
    const rows = tableRows(card);
    expect(rows.map((r) => r.town)).toEqual(expect.arrayContaining([...TOWNS_2023, '全市合计']));
    expect(rows).toHaveLength(14);
    // Phone-first: four narrow columns (排名, 镇区, 总数, 综合完成率); the other metrics are in the folded panel.
    const table = (card.body as { elements: Array<Record<string, unknown>> }).elements.find((e) => e.tag === 'table')!;
    expect((table.columns as Array<{ display_name: string }>).map((c) => c.display_name)).toEqual(['排名', '镇区', '总数', '综合完成率']);
    const dy = rowOf(rows, '丁堰镇');
    expect(dy.projects).toBe('⚠️\u00a03/22'); // behind its pace: marked ⚠️ (no colour in table cells)
    expect(rowOf(rows, '东陈镇').projects).toBe('⚠️\u00a00/19');
    expect(rowOf(rows, '高新区')).toMatchObject({ rank: '1' });
    expect(dy.rank).toBe('2');
    expect(rowOf(rows, '白蒲镇').rank).toBe('3');
    expect(rowOf(rows, '吴窑镇').rank).toBe('4');
    expect(rowOf(rows, '全市合计').projects).toMatch(/^(⚠️\u00a0)?4\/398$/);
    // The city target as 附件2 states it (合计 400/400/2000) is kept beside the towns' sum (398/398/1990).
    expect(cardText(card)).toContain('全市目标（任务分解表合计行）：总数 400 · 发明专利 400 · 实用新型 2000');
    expect(cardText(card)).toContain('各镇区目标之和：总数 398 · 发明专利 398 · 实用新型 1990');
    const elements = (card.body as { elements: Array<Record<string, unknown>> }).elements;
    const panel = elements.find((e) => e.tag === 'collapsible_panel')!;
    expect(panel.expanded).toBe(false);
    const detail = cardText({ schema: '2.0', body: { elements: panel.elements } } as unknown as CardJson);
    // The pace: on 2 July 12:00 half of 2023 has passed, so 22 × 182.5/365 = 11 are expected of 丁堰镇: whole numbers only.
    expect(detail).toContain('**丁堰镇**：总数 ⚠️\u00a03/22（13.6%，应 11） · 发明专利 ⚠️\u00a03/22（13.6%，应 11） · 实用新型 ⚠️\u00a08/110（7.3%，应 55） · 平台类 1（无目标）');
    expect(detail).toContain('基金类 2/2（100%，应 1）'); // 高新区: 0.5 of a fund is shown as 1, never 应0.5
    expect(detail).not.toMatch(/应 ?\d+\.\d/);
    expect(detail).not.toContain('1/—');
    // 序时进度 is a reference line on the chart, not a bar beside every town.
    const chart = elements.find((e) => e.tag === 'chart')!;
    const spec = chart.chart_spec as { data: Array<{ values: Array<{ series: string }> }>; markLine: Array<{ y: number; label: { text: string } }> };
    expect(new Set(spec.data[0].values.map((v) => v.series))).toEqual(new Set(['综合完成率']));
    expect(spec.markLine[0].label.text).toMatch(/^序时进度 \d+(\.\d)?%$/);
    expect(spec.markLine[0].y).toBeCloseTo(50, 0);

    // The Chinese word without a year means this year (2023 on the office clock).
    await bot.say(LEADER, '任务进度');
    expect(tableRows(lastCard(LEADER).card).find((r) => r.town === '丁堰镇')?.projects).toMatch(/^⚠️\u00a03\/22/);
  });

  it('tells a person without a role to ask for one, and says when a year has no table', async () => {
    await bot.say(NOBODY, '/quota');
    expect(lastText(NOBODY)).toContain('您没有权限使用「任务进度」指令');
    await bot.say(STAFF, '/quota 2021');
    expect(lastText(STAFF)).toContain('2021 年还没有导入任务分解表');
  });
});

describe('/quota set', () => {
  it('lets an admin correct one target by Chinese label or code, audited; refuses others and bad input', async () => {
    await bot.say(ADMIN, '/quota set 丁堰镇 总数 30 2023');
    expect(lastText(ADMIN)).toBe('已将 2023 年「丁堰镇」的「总数」目标由 22 改为 30。');
    expect(await target(2023, '丁堰镇', 'projects')).toBe(30);
    await bot.say(ADMIN, '/quota set 经济技术开发区 invention_patents 60 2023');
    expect(lastText(ADMIN)).toContain('「开发区」的「发明专利实审数」目标由 55 改为 60');
    expect(await target(2023, '开发区', 'invention_patents')).toBe(60);
    const audits = await prisma().auditEvent.findMany({ where: { action: 'quota_set' }, orderBy: { id: 'asc' } });
    expect(audits.map((a) => a.data)).toEqual([
      { year: 2023, town: '丁堰镇', metric: 'projects', from: 22, to: 30 },
      { year: 2023, town: '开发区', metric: 'invention_patents', from: 55, to: 60 },
    ]);
    expect(audits.every((a) => a.actorId === ADMIN)).toBe(true);

    await bot.say(ADMIN, '/quota set 丁堰 总数 31 2023');
    expect(lastText(ADMIN)).toContain('未知镇区「丁堰」，是否为「丁堰镇」？');
    await bot.say(ADMIN, '/quota set 丁堰镇 专利 31 2023');
    expect(lastText(ADMIN)).toContain('未知指标「专利」');
    await bot.say(ADMIN, '/quota set 丁堰镇 总数 -5 2023');
    expect(lastText(ADMIN)).toContain('目标数量「-5」无效');
    await bot.say(ADMIN, '/quota set 丁堰镇 总数 1000001 2023');
    expect(lastText(ADMIN)).toContain('目标数量「1000001」过大：不能超过 1000000。');
    await bot.say(STAFF, '/quota set 丁堰镇 总数 99 2023');
    expect(lastText(STAFF)).toContain('需要管理员权限');
    expect(await target(2023, '丁堰镇', 'projects')).toBe(30);
    expect(await prisma().auditEvent.count({ where: { action: 'quota_set' } })).toBe(2);

    await bot.say(STAFF, '/quota 2023');
    expect(rowOf(tableRows(lastCard(STAFF).card), '丁堰镇').projects).toBe('⚠️\u00a03/30');
  });
});

describe('/quota export', () => {
  it('sends the progress table as an XLSX file that reads back with the right numbers', async () => {
    await bot.say(STAFF, '/quota export 2023');
    const msg = bot.lastMessageTo(STAFF);
    expect(msg.msgType).toBe('file');
    const fileKey = JSON.parse(msg.content).file_key as string;
    const file = bot.state.files.get(fileKey);
    expect(file?.name).toBe('如皋市2023年科技招商任务进度.xlsx');

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file!.data as unknown as Parameters<typeof wb.xlsx.load>[0]);
    const ws = wb.getWorksheet('任务进度')!;
    const rowFor = (town: string) => {
      for (let r = 1; r <= ws.rowCount; r++) if (ws.getRow(r).getCell(2).value === town) return ws.getRow(r);
      throw new Error(`no row for ${town}`);
    };
    const cells = (town: string, metricIndex: number) => {
      const row = rowFor(town);
      return [3, 4, 5].map((c) => row.getCell(c + metricIndex * 4).value);
    };
    // Columns per metric: 完成, 目标, 完成率, 序时应完成.
    expect(ws.getRow(2).getCell(3).value).toBe('总数');
    expect(ws.getRow(3).getCell(3).value).toBe('完成');
    expect(cells('丁堰镇', 0)).toEqual([3, 30, 0.1]);
    expect(cells('丁堰镇', 2)).toEqual([8, 110, 8 / 110]);
    expect(cells('开发区', 1)).toEqual([0, 60, 0]);
    expect(cells('高新区', 4)).toEqual([2, 2, 1]);
    expect(rowFor('高新区').getCell(1).value).toBe(1);
    const totals = await quotaTotals(2023);
    expect(cells('全市合计', 0)).toEqual([4, totals.projects, 4 / totals.projects]);
    expect(cells('全市合计', 4)).toEqual([2, 4, 0.5]);
    expect(totals.projects).toBe(398 + 8);
    expect(Number(rowFor('丁堰镇').getCell(6).value)).toBeCloseTo(15, 1); // 30 × half the year

    const upload = bot.state.callsTo('/open-apis/im/v1/files', 'POST').at(-1)!;
    expect(upload.body).toMatchObject({ fields: { file_type: 'stream', file_name: '如皋市2023年科技招商任务进度.xlsx' } });
  });
});

describe('re-importing and choosing the year', () => {
  it('取消 keeps everything; /quota import <year> picks the year; a re-import replaces the year atomically', async () => {
    const small = Buffer.from('镇区,总数,平台类项目\n丁堰镇,12,1\n高新区,20,2\n', 'utf8');

    await bot.say(ADMIN, '/quota import 2025');
    expect(lastText(ADMIN)).toContain('请在 30 分钟内发送 2025 年的任务分解表文件');
    await bot.sendFile(ADMIN, '任务分解表.csv', small);
    let { msg, card } = lastCard(ADMIN);
    expect(cardText(card)).toContain('2025 年（按指定）');
    expect(cardText(card)).toContain('2025 年尚无任务分解表');
    const cancelled = replyCard(await bot.click(ADMIN, msg, '取消'));
    expect(title(cancelled)).toBe('已取消导入');
    expect(await prisma().quota.count({ where: { year: 2025 } })).toBe(0);
    expect(await quotaDrafts()).toBe(0);

    // The year choice applied to that one file; the next one without a year in its name is for this year.
    await bot.sendFile(ADMIN, '任务分解表.csv', small);
    ({ msg, card } = lastCard(ADMIN));
    expect(cardText(card)).toContain('2023 年（默认为今年）');
    expect(cardText(card)).toContain('替换 2023 年现有的任务分解表（13 个镇区）');
    expect(cardText(card)).toContain('以下镇区未出现在表中');
    await bot.click(ADMIN, msg, '确认导入');
    const rows = await prisma().quota.findMany({ where: { year: 2023 } });
    expect(rows).toHaveLength(10);
    expect(new Set(rows.map((r) => r.town))).toEqual(new Set(['丁堰镇', '高新区']));
    expect(await target(2023, '丁堰镇', 'projects')).toBe(12);
    const audit = await prisma().auditEvent.findFirst({ where: { action: 'quota_import' }, orderBy: { id: 'desc' } });
    expect(audit?.data).toMatchObject({ year: 2023, replaced: 65, records: 10 });

    // Back to the seed table, this time with the year in the table's title.
    const titled = Buffer.concat([Buffer.from('如皋市2023年科技招商任务分解表,,,,,\n', 'utf8'), SEED_CSV]);
    await bot.sendFile(ADMIN, '附件2.csv', titled);
    ({ msg, card } = lastCard(ADMIN));
    expect(cardText(card)).toContain('2023 年（取自表格标题）');
    await bot.click(ADMIN, msg, '确认导入');
    expect(await prisma().quota.count({ where: { year: 2023 } })).toBe(65);
    expect(await quotaTotals(2023)).toEqual(SEED_TOTALS);
  });
});

// ---- the CLI ---------------------------------------------------------------------------------------------

function runCli(args: string[], databaseUrl: string): Promise<Finished> {
  return runScript('quota-import.ts', args, { DATABASE_URL: databaseUrl });
}

describe('npm run quota:import', () => {
  it('imports the XLSX fixture for --year, printing the preview with the 合计 warning; refuses a bad file with exit 1', async () => {
    const target = await testDatabase('quota-cli');
    const dir = await mkdtemp(join(tmpdir(), 'quota-cli-'));
    const database = openDatabase(parseDatabaseUrl(target.url));
    try {
      const xlsx = join(ROOT, 'test', 'fixtures', 'rugao-2023-quota.xlsx');
      const ok = await runCli([xlsx, '--year', '2023'], target.url);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('2023 年（按指定），13 个镇区');
      expect(ok.stdout).toContain('合计（各镇区之和）：总数 398，发明专利实审数 398，实用新型专利授权数 1990，平台类项目 3，基金类项目 4');
      expect(ok.stdout).toContain('合计行与各镇区之和不一致：总数 合计 400，各镇区之和 398');
      expect(ok.stdout).toContain('已导入 2023 年任务分解表：13 个镇区，65 条目标');
      const db = database.prisma;
      const rows = await db.quota.findMany({ where: { year: 2023 } });
      expect(rows).toHaveLength(65);
      expect(new Set(rows.map((r) => r.town))).toEqual(new Set(TOWNS_2023));
      for (const m of QUOTA_METRICS) expect(rows.filter((r) => r.metric === m).reduce((s, r) => s + r.target, 0)).toBe(SEED_TOTALS[m]);
      const audit = await db.auditEvent.findFirst({ where: { action: 'quota_import' } });
      expect(audit).toMatchObject({ actorId: 'cli', data: expect.objectContaining({ year: 2023, via: 'cli', records: 65 }) });

      const bad = join(dir, '2023年任务分解表.csv');
      await writeFile(bad, SEED_CSV.toString('utf8').replace('东陈镇,19,19,95,,', '东陈镇,19,19,9五,,').replace('江安镇,24', '火星基地,24'));
      const refused = await runCli([bad, '--year', '2023'], target.url);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('未导入任何数据');
      expect(refused.stderr).toContain('第4行“实用新型专利授权数”不是数字（9五）');
      expect(refused.stderr).toContain('第11行：未知镇区“火星基地”');
      expect(await db.quota.count({ where: { year: 2023 } })).toBe(65);
      expect((await db.quota.findUnique({ where: { year_town_metric: { year: 2023, town: '东陈镇', metric: 'utility_models' } } }))?.target).toBe(95);
      expect(await db.auditEvent.count({ where: { action: 'quota_import' } })).toBe(1);

      const usage = await runCli([xlsx, '--year', 'next'], target.url);
      expect(usage.code).toBe(2);
    } finally {
      await database.close();
      await target.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---- quota-alerts ----------------------------------------------------------------------------------------

describe('quota-alerts job', () => {
  const ALL = 'oc_alerts_all';
  const DY = 'oc_alerts_dy';
  const BP = 'oc_alerts_bp';
  const WEEKLY = 'oc_weekly';
  const july = new Date('2024-07-25T01:47:00Z'); // 25 July 09:47 in Shanghai
  const run = (now: Date) => quotaAlertsJob.run({ services: bot.app.services, now, force: false });
  const cardsTo = (chat: string) => bot.messagesTo(chat).filter((m) => m.msgType === 'interactive').map((m) => valid(cardOf(m)));

  beforeAll(async () => {
    nowMs = Date.parse('2024-07-20T02:00:00Z');
    for (const cmd of ['/quota set 丁堰镇 总数 10', '/quota set 白蒲镇 总数 2', '/quota set 白蒲镇 基金类项目 1']) {
      await bot.say(ADMIN, cmd);
      expect(lastText(ADMIN)).toContain('2024 年');
    }
    for (let i = 0; i < 3; i++) await lead('丁堰镇', 'tech', '2024-03-01T02:00:00Z');
    for (let i = 0; i < 2; i++) await lead('白蒲镇', 'service', '2024-03-01T02:00:00Z');
    await prisma().subscription.createMany({
      data: [
        { chatId: ALL, topic: 'alerts', filter: '', createdBy: ADMIN },
        { chatId: DY, topic: 'alerts', filter: '丁堰镇', createdBy: ADMIN },
        { chatId: BP, topic: 'alerts', filter: '白蒲镇', createdBy: ADMIN },
        { chatId: WEEKLY, topic: 'weekly', filter: '', createdBy: ADMIN },
      ],
    });
  });

  it('alerts each lagging town once a month in its chats, ranks all towns for leaders, and praises a reached target once', async () => {
    const share = yearShare(july, 2024, TZ);
    const first = await run(july);
    await bot.settle();
    // 丁堰镇 → ALL, DY; 白蒲镇 → ALL, BP; 表彰 白蒲镇 → ALL, BP; one leader.
    expect(first).toMatchObject({ sent: 7, skipped: 0 });

    const dy = cardsTo(DY);
    expect(dy.map(title)).toEqual(['任务进度预警 · 丁堰镇']);
    const dyText = cardText(dy[0]);
    expect(dyText).toContain(`总数**：已完成 3，序时应完成 ${Math.ceil(10 * share)}，差 ${Math.ceil(10 * share) - 3}（全年目标 10）`);
    expect(dyText).not.toContain('白蒲镇');

    const bp = cardsTo(BP);
    expect(bp.map(title).sort()).toEqual(['任务进度预警 · 白蒲镇', '表彰 · 白蒲镇'].sort());
    const bpAlert = cardText(bp.find((c) => title(c).startsWith('任务进度预警'))!);
    expect(bpAlert).toContain(`基金类项目**：已完成 0，序时应完成 1，差 1（全年目标 1）`);
    expect(bpAlert).not.toContain('**总数**');
    // The praise names the metric reached: 白蒲镇 still lags on 基金类项目, so the year is not complete.
    const praise = cardText(bp.find((c) => title(c).startsWith('表彰'))!);
    expect(praise).toContain('总数**：已完成 2，全年目标 2');
    expect(praise).toContain('祝贺 **白蒲镇** 完成 2024 年「总数」任务目标');
    expect(praise).not.toContain('年科技招商任务目标');
    expect(praise).not.toContain('全面完成');

    expect(cardsTo(ALL).map(title).sort()).toEqual(['任务进度预警 · 丁堰镇', '任务进度预警 · 白蒲镇', '表彰 · 白蒲镇'].sort());
    expect(bot.messagesTo(WEEKLY)).toHaveLength(0);

    const leader = cardsTo(LEADER).filter((c) => title(c).includes('排名'));
    expect(leader).toHaveLength(1);
    const ranking = tableRows(leader[0]);
    // 东陈镇 has a lead approved on 1 January 2024 but no 2024 quota: listed, not ranked.
    expect(ranking.map((r) => [r.rank, r.town])).toEqual([['1', '白蒲镇'], ['2', '丁堰镇'], ['—', '东陈镇'], ['—', '全市合计']]);
    expect(rowOf(ranking, '丁堰镇').lagging).toBe('总数');
    expect(rowOf(ranking, '白蒲镇').lagging).toBe('基金类');

    // Later the same month: nothing new.
    const counts = [ALL, DY, BP, LEADER].map((c) => bot.messagesTo(c).length);
    const second = await run(new Date('2024-07-28T01:47:00Z'));
    await bot.settle();
    expect(second).toMatchObject({ sent: 0, skipped: 7 });
    expect([ALL, DY, BP, LEADER].map((c) => bot.messagesTo(c).length)).toEqual(counts);

    // Next month, still behind: alerted again, but no second 表彰.
    const august = await run(new Date('2024-08-25T01:47:00Z'));
    await bot.settle();
    expect(august).toMatchObject({ sent: 5, skipped: 2 });
    expect(cardsTo(DY).map(title)).toEqual(['任务进度预警 · 丁堰镇', '任务进度预警 · 丁堰镇']);
    expect(cardsTo(BP).filter((c) => title(c).startsWith('表彰'))).toHaveLength(1);
    expect(cardsTo(ALL).filter((c) => title(c).startsWith('表彰'))).toHaveLength(1);
    expect(cardsTo(LEADER).filter((c) => title(c).includes('排名'))).toHaveLength(2);
    expect(await prisma().jobRun.count({ where: { job: 'quota-alerts', period: '2024-08', target: `${DY}:丁堰镇:projects` } })).toBe(1);
  });

  it('praises a town once when it reaches its target, and stops alerting that metric', async () => {
    for (let i = 0; i < 7; i++) await lead('丁堰镇', 'talent', '2024-09-02T02:00:00Z');
    const before = cardsTo(DY).length;
    const september = await run(new Date('2024-09-25T01:47:00Z'));
    await bot.settle();
    const fresh = cardsTo(DY).slice(before);
    expect(fresh.map(title)).toEqual(['表彰 · 丁堰镇']);
    expect(cardText(fresh[0])).toContain('总数**：已完成 10，全年目标 10');
    // 总数 is 丁堰镇's only target: now the whole year's target is met.
    expect(cardText(fresh[0])).toContain('祝贺 **丁堰镇** 完成 2024 年「总数」任务目标');
    expect(cardText(fresh[0])).toContain('至此，**丁堰镇** 已全面完成 2024 年科技招商任务目标（各项指标均已达标）');
    expect(september.sent).toBeGreaterThan(0);

    await run(new Date('2024-10-25T01:47:00Z'));
    await bot.settle();
    expect(cardsTo(DY).slice(before).map(title)).toEqual(['表彰 · 丁堰镇']);
    expect(cardsTo(ALL).filter((c) => title(c) === '表彰 · 丁堰镇')).toHaveLength(1);
  });

  it('a service back after missing the 25th sends that month’s alerts once, as of the 25th', async () => {
    // Down over 25 November 09:47 and back on the 27th; the fund approved on the 26th did not count on the 25th.
    await lead('白蒲镇', 'fund', '2024-11-26T02:00:00Z');
    nowMs = Date.parse('2024-11-27T02:00:00Z');
    const before = cardsTo(BP).length;
    const quotaAlerts = (outcomes: Awaited<ReturnType<typeof bot.app.scheduler.catchUp>>) => outcomes.filter((o) => o.job === 'quota-alerts');
    const first = quotaAlerts(await bot.app.scheduler.catchUp(clock()));
    await bot.settle();
    expect(first).toEqual([expect.objectContaining({ status: 'done', at: new Date('2024-11-25T01:47:00Z'), result: expect.objectContaining({ sent: 3 }) })]);
    const fresh = cardsTo(BP).slice(before);
    expect(fresh.map(title)).toEqual(['任务进度预警 · 白蒲镇']);
    expect(cardText(fresh[0])).toContain('截至 2024-11-25');
    expect(cardText(fresh[0])).toContain('基金类项目**：已完成 0，');
    expect(cardsTo(LEADER).filter((c) => title(c).includes('排名'))).toHaveLength(5);

    // Started again an hour later: nothing more.
    const second = quotaAlerts(await bot.app.scheduler.catchUp(new Date(nowMs + 3600_000)));
    await bot.settle();
    expect(second).toEqual([expect.objectContaining({ status: 'done', result: expect.objectContaining({ sent: 0 }) })]);
    expect(cardsTo(BP)).toHaveLength(before + 1);
    expect(cardsTo(LEADER).filter((c) => title(c).includes('排名'))).toHaveLength(5);
  });
});

describe('表彰 when the last target is met', () => {
  it('names the metric and, with every target now met, says the whole year is complete', async () => {
    // 白蒲镇 was praised for 总数 in July; its fund, approved on 26 November, counts on 25 December.
    const before = bot.messagesTo('oc_alerts_bp').length;
    await quotaAlertsJob.run({ services: bot.app.services, now: new Date('2024-12-25T01:47:00Z'), force: false });
    await bot.settle();
    const fresh = bot.messagesTo('oc_alerts_bp').slice(before).map((m) => valid(cardOf(m)));
    expect(fresh.map(title)).toEqual(['表彰 · 白蒲镇']);
    const text = cardText(fresh[0]);
    expect(text).toContain('祝贺 **白蒲镇** 完成 2024 年「基金类项目」任务目标');
    expect(text).toContain('基金类项目**：已完成 1，全年目标 1');
    expect(text).not.toContain('总数**');
    expect(text).toContain('至此，**白蒲镇** 已全面完成 2024 年科技招商任务目标');
  });
});

describe('/quota for a year that is over or has not begun', () => {
  const subtitle = (card: CardJson) => (card.header as { subtitle?: { content: string } }).subtitle?.content;

  beforeAll(() => {
    nowMs = Date.parse('2024-11-25T02:00:00Z'); // 25 November 2024 in Shanghai
  });

  it('shows a past year as of its 31 December against the full targets (全年), also in the export', async () => {
    await bot.say(STAFF, '/quota 2023');
    const { card } = lastCard(STAFF);
    expect(title(card)).toBe('如皋市2023年科技招商任务进度');
    expect(subtitle(card)).toBe('截至 2023-12-31 · 全年 · 按审批通过计');
    const text = cardText(card);
    expect(text).not.toContain('2024-11-25');
    expect(text).not.toContain('序时进度 100%');
    expect(text).toContain('**全市合计**（全年）');
    expect(text).toContain('2023 年已结束，应完成数即全年目标');
    // 丁堰镇: 3 of 22 by the end of 2023; the whole target was due.
    expect(rowOf(tableRows(card), '丁堰镇').projects).toBe('⚠️\u00a03/22');
    expect(text).toContain('总数 ⚠️\u00a03/22（13.6%，应 22）');

    await bot.say(STAFF, '/quota export 2023');
    const file = bot.state.files.get(JSON.parse(bot.lastMessageTo(STAFF).content).file_key as string)!;
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file.data as unknown as Parameters<typeof wb.xlsx.load>[0]);
    expect(wb.getWorksheet('任务进度')!.getRow(1).getCell(1).value).toBe('如皋市2023年科技招商任务进度（截至2023-12-31，全年，按审批通过计）');
  });

  it('shows a future year as not begun, with nothing expected yet', async () => {
    await bot.say(ADMIN, '/quota set 丁堰镇 总数 12 2025');
    await bot.say(STAFF, '/quota 2025');
    const { card } = lastCard(STAFF);
    expect(title(card)).toBe('如皋市2025年科技招商任务进度');
    expect(subtitle(card)).toBe('截至 2024-11-25 · 2025 年尚未开始，暂无序时进度要求 · 按审批通过计');
    expect(cardText(card)).toContain('**全市合计**（尚未开始）');
    expect(cardText(card)).not.toContain('，序时应完成');
    expect(rowOf(tableRows(card), '丁堰镇').projects).toBe('0/12');
    expect(cardText(card)).toContain('**丁堰镇**：总数 0/12（0%）');

    // The current year is still as of today with its pace.
    await bot.say(STAFF, '/quota 2024');
    const current = lastCard(STAFF).card;
    const pace = Math.round(yearShare(new Date(nowMs), 2024, TZ) * 1000) / 10; // 329 days and 10 hours of 366: 90%
    expect(subtitle(current)).toBe(`截至 2024-11-25 · 序时进度 ${pace}% · 按审批通过计`);
  });
});
