// The 载体库 (issue 19): importing seed 003 附件4 with `npm run carrier:import` and by sending the file, refusing
// malformed files with row numbers, /carriers (载体) and an admin's /carrier update, matching a lead to
// carriers (on /lead and at 落地), and the carrier targets in /quota and the 双月例会.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, cardOf } from '../support/harness.ts';
import { cardText } from '../support/cards.ts';
import { ROOT, runScript, type Finished } from '../support/process.ts';
import { validateCard } from '../../src/platform/cards/validate.ts';
import type { DeliveredMessage } from '../../src/sandbox/standin.ts';

const ADMIN = 'ou_admin0001';
const STAFF = 'ou_staff0001';
const FIXTURE = join(ROOT, 'test', 'fixtures', 'rugao-2023-carriers.csv');

let now = new Date('2023-06-15T02:00:00Z');
let bot: TestBot;
const db = () => bot.app.database.prisma;
const textOf = (m: DeliveredMessage) => cardText(cardOf(m));

function importCli(args: string[]): Promise<Finished> {
  return runScript('carrier-import.ts', args, { DATABASE_URL: bot.databaseUrl.url });
}

beforeAll(async () => {
  bot = await TestBot.start({ name: 'carriers', clock: () => now, admins: [ADMIN] });
  await db().roleGrant.create({ data: { userId: STAFF, role: 'staff', town: '开发区', grantedBy: ADMIN } });
});

afterAll(async () => {
  await bot?.stop();
});

describe('importing the 2023 如皋 载体汇总表 (附件4)', () => {
  // The CLI is a child process (tsx compiles it first): slow on a busy machine, hence the longer timeout.
  it('imports the 25 carriers with the CLI', { timeout: 60_000 }, async () => {
    const r = await importCli([FIXTURE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('已导入 2023 年载体汇总表：共 25 个载体，9 个镇区（新增 25 个，更新 0 个）');
    const rows = await db().carrier.findMany({ orderBy: { id: 'asc' } });
    expect(rows).toHaveLength(25);
    expect(rows[0]).toMatchObject({ town: '高新区', name: '皋加速科创园', buildMode: 'new', direction: '加速器', level: null, year: 2023 });
    expect(rows[1]).toMatchObject({ name: '合成生物孵化器', direction: '省级专业孵化器（合成生物）', level: 'provincial', chains: ['合成生物学'] });
    expect(rows[6]).toMatchObject({ name: '兰生产业园', buildMode: 'revived', direction: null });
    expect(rows[8]).toMatchObject({ name: '光华科技产业园', buildMode: 'upgrade', level: 'national' });
    // No chain named: the town's chains (开发区 hosts 氢能, 储能节能, 汽车及核心零部件).
    expect(rows[11]).toMatchObject({ name: '麦腾智汇天地', town: '开发区', chains: ['氢能', '储能节能', '汽车及核心零部件'] });
    expect(rows[24]).toMatchObject({ name: '标龙蓝色美谷', town: '下原镇', chains: ['大健康'] });
    expect(await db().auditEvent.count({ where: { action: 'carrier_import', actorId: 'cli' } })).toBe(1);

    // Again, sent in chat: the same 25, updated in place.
    await bot.sendFile(ADMIN, 'rugao-2023-carriers.csv', readFileSync(FIXTURE));
    expect(textOf(bot.lastMessageTo(ADMIN))).toContain('共 25 个载体，9 个镇区（新增 0 个，更新 25 个）');
    expect(await db().carrier.count()).toBe(25);
  });

  it('refuses a malformed file whole, naming each row', async () => {
    const bad = [
      '序号,建设镇区,科创载体名称,建设方式,建设方向,面积,已用面积',
      '1,高新区,甲载体,新建载体,加速器,12000,3000',
      '2,火星镇,乙载体,新建载体,,,',
      '3,开发区,,盘活厂房,,,',
      '4,开发区,丙载体,拆除,,,',
      '5,开发区,丁载体,升级,,一万,',
      '6,开发区,戊载体,升级,,1000,2000',
      '7,高新区,甲载体,新建载体,,,',
    ].join('\n');
    const before = await db().carrier.count();
    await bot.sendFile(ADMIN, '载体汇总表（有误）.csv', Buffer.from(bad));
    const text = textOf(bot.lastMessageTo(ADMIN));
    expect(text).toContain('载体汇总表未导入');
    expect(text).toContain('第3行：未知镇区「火星镇」（B列）');
    expect(text).toContain('第4行：缺少科创载体名称（C列）');
    expect(text).toContain('第5行：建设方式“拆除”应为 新建载体、盘活厂房 或 升级（D列）');
    expect(text).toContain('第6行：面积“一万”不是数字（单位㎡）（F列）');
    expect(text).toContain('第7行：已用面积 2,000㎡ 大于面积 1,000㎡');
    expect(text).toContain('第8行：载体「甲载体」重复（第2行已有）');
    // Nothing was written, not even the good first row.
    expect(await db().carrier.count()).toBe(before);
    expect(await db().carrier.findFirst({ where: { name: '甲载体' } })).toBeNull();
  });

  it('recognises a 载体汇总表 sent in chat by its header row (XLSX with a title row) and imports it', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('附件4');
    ws.addRow(['2024年如皋市新建（盘活）孵化载体汇总表']);
    ws.addRow(['序号', '建设镇区', '科创载体名称', '建设方式', '建设方向', '孵化面积（㎡）', '已用面积', '入驻企业']);
    ws.addRow([1, '城北街道', '氢能二期加速器', '新建载体', '加速器', 20000, 5000, '江苏氢芯能源科技有限公司、如皋氢动力有限公司']);
    await bot.sendFile(ADMIN, '附件4.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
    const text = textOf(bot.lastMessageTo(ADMIN));
    expect(text).toContain('载体汇总表已导入');
    expect(text).toContain('已导入 2024 年载体汇总表：共 1 个载体，1 个镇区（新增 1 个，更新 0 个）');
    expect(text).toContain('年份：2024 年（取自表格标题）');
    const row = await db().carrier.findUnique({ where: { name: '氢能二期加速器' } });
    expect(row).toMatchObject({ town: '开发区', areaSqm: 20000, usedSqm: 5000, tenants: ['江苏氢芯能源科技有限公司', '如皋氢动力有限公司'], year: 2024 });
  });

  it('tells staff that importing is for admins', async () => {
    await bot.sendFile(STAFF, '载体汇总表.csv', readFileSync(FIXTURE));
    expect(bot.lastText(STAFF)).toContain('只有管理员可以导入或更新载体');
  });
});

describe('/carriers and /carrier', () => {
  it('lists the carriers grouped by town, with occupancy, in folded panels', async () => {
    await bot.say(STAFF, '载体');
    const msg = bot.lastMessageTo(STAFF);
    expect(validateCard(cardOf(msg))).toEqual({ ok: true });
    const text = textOf(msg);
    expect(text).toContain('科创载体库（共 26 个）');
    expect(text).toContain('**26** 个载体 · 9 个镇区 · 面积 20,000㎡ · 已用 5,000㎡ · 入驻 2 家');
    expect(text).toContain('**高新区**（9 个）');
    expect(text).toContain('**开发区**（4 个，已用 5,000 / 20,000㎡）');
    expect(text).toContain('**氢能二期加速器**');
    expect(text).toContain('面积 20,000㎡ · 已用 5,000㎡（25%） · 入驻 2 家');
    expect(text).toContain('**光华科技产业园**');
    const panels = JSON.stringify(cardOf(msg)).match(/"collapsible_panel"/g) ?? [];
    expect(panels).toHaveLength(9);
    // The year's targets (2023: the 25 of 附件4).
    expect(text).toContain('**科创载体**：孵化面积 0㎡ / 40万㎡（0%） · 国家级孵化器 1 / 1 · 省级孵化器 8 / 1（共 25 个载体，25 个未填面积；孵化器按建设方向统计）');
  });

  it('filters by town and shows one carrier by name', async () => {
    await bot.say(STAFF, '载体 吴窑镇');
    const text = textOf(bot.lastMessageTo(STAFF));
    expect(text).toContain('科创载体库 · 吴窑镇（共 4 个）');
    expect(text).toContain('**吴窑镇**（4 个）');
    expect(text).not.toContain('高新区');

    await bot.say(STAFF, '/carrier 光华科技产业园');
    const one = textOf(bot.lastMessageTo(STAFF));
    expect(one).toContain('光华科技产业园');
    expect(one).toContain('国家级孵化器');
    expect(one).toContain('升级');
  });

  it('lets an admin update area, area used and tenants (audited); staff may not', async () => {
    await bot.say(STAFF, '/carrier 皋加速科创园 已用 100');
    expect(bot.lastText(STAFF)).toContain('只有管理员可以导入或更新载体');

    await bot.say(ADMIN, '/carrier 皋加速科创园 面积 1.2万 已用 8000 入驻 如皋精光装备科技有限公司、如皋明镜光学科技有限公司');
    const text = textOf(bot.lastMessageTo(ADMIN));
    expect(text).toContain('12,000㎡');
    expect(text).toContain('8,000㎡');
    expect(text).toContain('空余面积');
    expect(text).toContain('4,000㎡');
    expect(text).toContain('入驻企业（2 家）');
    expect(text).toContain('已更新（已记入操作记录）');
    const row = await db().carrier.findUnique({ where: { name: '皋加速科创园' } });
    expect(row).toMatchObject({ areaSqm: 12000, usedSqm: 8000, tenants: ['如皋精光装备科技有限公司', '如皋明镜光学科技有限公司'] });
    const audit = await db().auditEvent.findFirst({ where: { action: 'carrier_update' }, orderBy: { id: 'desc' } });
    expect(audit).toMatchObject({ actorId: ADMIN, role: 'admin' });
    expect(audit!.data).toMatchObject({ name: '皋加速科创园', before: { areaSqm: null, usedSqm: null, tenants: [] }, after: { areaSqm: 12000, usedSqm: 8000 } });

    // Appending a tenant; a used area above the area is refused and nothing changes.
    await bot.say(ADMIN, '/carrier 皋加速科创园 入驻 +江苏新光科技有限公司');
    expect((await db().carrier.findUnique({ where: { name: '皋加速科创园' } }))!.tenants).toHaveLength(3);
    await bot.say(ADMIN, '/carrier 皋加速科创园 已用 13000');
    expect(bot.lastText(ADMIN)).toContain('已用面积 13,000㎡ 不能大于面积 12,000㎡');
    expect((await db().carrier.findUnique({ where: { name: '皋加速科创园' } }))!.usedSqm).toBe(8000);
  });
});

describe('carrier targets (40万㎡, one national and one provincial incubator)', () => {
  const LINE = '**科创载体**：孵化面积 1.2万㎡ / 40万㎡（3%） · 国家级孵化器 1 / 1 · 省级孵化器 8 / 1（共 25 个载体，24 个未填面积；孵化器按建设方向统计）';

  it('shows one line in /quota', async () => {
    await db().quota.create({ data: { year: 2023, town: '丁堰镇', metric: 'projects', target: 10 } });
    await bot.say(STAFF, '任务进度 2023');
    const msg = bot.lastMessageTo(STAFF);
    expect(validateCard(cardOf(msg))).toEqual({ ok: true });
    expect(textOf(msg)).toContain(LINE);
  });

  it('and in the 双月例会 digest', async () => {
    const GROUP = 'oc_carriers01';
    await bot.say(ADMIN, '@科招助手 /digest bimonthly', { chatId: GROUP, mentions: [{ openId: 'ou_botself01', name: '科招助手' }] });
    const text = textOf(bot.lastMessageTo(GROUP));
    expect(text).toContain('双月例会简报');
    expect(text).toContain(LINE);
  });
});

describe('matching a lead to carriers', () => {
  let leadId = 0;
  const CODE = 'KZ-2023-0101';
  const COMPANY = '江苏氢驰动力科技有限公司';

  it('shows the carriers serving the lead chain with room for its 需求面积 on /lead', async () => {
    const lead = await db().lead.create({
      data: {
        code: CODE, kind: 'tech', projectName: '氢燃料电池电堆项目', companyName: COMPANY, industry: '氢能', town: '开发区',
        submitterId: STAFF, status: 'approved', approvedAt: new Date('2023-03-01T02:00:00Z'), stage: 'registered',
        details: { hightech_field: '新能源与节能', space_sqm: 3000 },
      },
    });
    leadId = lead.id;
    await db().leadStage.createMany({
      data: [
        { leadId, stage: 'signed', date: new Date('2023-03-05T00:00:00Z'), actorId: STAFF, data: { investment_wan: 5000 } },
        { leadId, stage: 'registered', date: new Date('2023-04-01T00:00:00Z'), actorId: STAFF, data: { credit_code: '91320682MA1W3T8K2K' } },
      ],
    });
    await bot.say(STAFF, `项目 ${CODE}`);
    const text = textOf(bot.lastMessageTo(STAFF));
    expect(text).toContain('**需求面积**：3,000 ㎡');
    expect(text).toContain('**匹配载体**（按产业链「氢能」、需求面积 3,000㎡）');
    // In its own town and with 15,000㎡ free: first. Carriers of other chains are not offered.
    expect(text).toContain('- 氢能二期加速器（开发区）：空余 15,000㎡，同镇区\n- 氢能产业园（开发区）：同镇区');
    expect(text).not.toContain('皋加速科创园（高新区）');

    // A carrier without room for 3,000㎡ is left out.
    await bot.say(ADMIN, '/carrier 氢能二期加速器 已用 18000');
    await bot.say(STAFF, `项目 ${CODE}`);
    expect(textOf(bot.lastMessageTo(STAFF))).not.toContain('氢能二期加速器');
    await bot.say(ADMIN, '/carrier 氢能二期加速器 已用 5000');
  });

  it('offers the 载体库 at 落地, matching carriers first, and records the chosen one', async () => {
    await bot.say(STAFF, `进度 ${CODE}`);
    const card = bot.lastMessageTo(STAFF);
    await bot.click(STAFF, card, '登记落地（开工）');
    const formCard = cardOf(card);
    expect(validateCard(formCard)).toEqual({ ok: true });
    const json = JSON.stringify(formCard);
    expect(json).toContain('落地载体（载体库）');
    expect(json.indexOf('【匹配】氢能二期加速器（开发区）')).toBeGreaterThan(0);
    expect(json.indexOf('【匹配】氢能二期加速器（开发区）')).toBeLessThan(json.indexOf('皋加速科创园（高新区）'));

    const carrier = (await db().carrier.findUnique({ where: { name: '氢能二期加速器' } }))!;
    const reply = await bot.click(STAFF, card, '提交', { carrier_id: String(carrier.id), address: '开发区氢能二期 2 号楼', date: '2023-06-01' });
    expect(reply.toast).toEqual({ type: 'success', content: '已登记「落地（开工）」' });
    expect(textOf(card)).toContain('落地（开工）** 2023-06-01：落地载体 氢能二期加速器，地址 开发区氢能二期 2 号楼');
    expect((await db().lead.findUnique({ where: { id: leadId } }))!.carrierId).toBe(carrier.id);
    expect((await db().carrier.findUnique({ where: { id: carrier.id } }))!.tenants).toContain(COMPANY);

    // The lead card now names where it landed instead of offering carriers.
    await bot.say(STAFF, `项目 ${CODE}`);
    const text = textOf(bot.lastMessageTo(STAFF));
    expect(text).toContain('**落地载体**：氢能二期加速器（开发区）');
    expect(text).not.toContain('匹配载体');
  });

  it('still takes a typed 落地载体 for a carrier not in the 载体库 (free text, as before)', async () => {
    const lead = await db().lead.create({
      data: {
        code: 'KZ-2023-0102', kind: 'tech', projectName: '光学镜头项目', industry: '精密光学制造', town: '高新区',
        submitterId: STAFF, status: 'approved', approvedAt: new Date('2023-03-01T02:00:00Z'), stage: 'registered',
        details: { hightech_field: '先进制造与自动化' },
      },
    });
    await db().leadStage.create({ data: { leadId: lead.id, stage: 'registered', date: new Date('2023-04-01T00:00:00Z'), actorId: STAFF } });
    await bot.say(STAFF, '进度 KZ-2023-0102');
    const card = bot.lastMessageTo(STAFF);
    await bot.click(STAFF, card, '登记落地（开工）');
    const reply = await bot.click(STAFF, card, '提交', { carrier: '某民营厂房', address: '城南街道 1 号', date: '2023-06-02' });
    expect(reply.toast).toEqual({ type: 'success', content: '已登记「落地（开工）」' });
    expect(textOf(card)).toContain('落地载体 某民营厂房');
    expect((await db().lead.findUnique({ where: { id: lead.id } }))!.carrierId).toBeNull();
  });
});
