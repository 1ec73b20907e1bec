// The 活动安排表: imported with `npm run activity:import`, listed with /activities (活动), imported from a file
// sent to the bot, and reminded to subscribed chats 7 days and 1 day before dated activities.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBot, cardOf } from '../support/harness.ts';
import { cardText } from '../support/cards.ts';
import { ROOT, runScript, type Finished } from '../support/process.ts';
import { validateCard } from '../../src/platform/cards/validate.ts';
import { activityRemindersJob } from '../../src/features/activities/reminders.ts';
import type { DeliveredMessage } from '../../src/sandbox/standin.ts';

const ADMIN = 'ou_admin0001';
const STAFF = 'ou_staff0001';
const FIXTURE = join(ROOT, 'test', 'fixtures', 'rugao-2023-activities.csv');

let now = new Date('2023-02-01T02:00:00Z');
let bot: TestBot;
const db = () => bot.app.database.prisma;
const textOf = (m: DeliveredMessage) => cardText(cardOf(m));
const dir = mkdtempSync(join(tmpdir(), 'activities-'));

/** Runs `npm run activity:import -- <args>` (the script itself, as npm would) against the test database. */
function importCli(args: string[]): Promise<Finished> {
  return runScript('activity-import.ts', args, { DATABASE_URL: bot.databaseUrl.url });
}

/** The fixture with two activities given exact days, as an office does once the dates are fixed. */
function datedCalendar(): string {
  const text = readFileSync(FIXTURE, 'utf8')
    .replace('12,氢能与燃料电池专题招商活动,9月,', '12,氢能与燃料电池专题招商活动,2023-09-15,')
    .replace('13,如皋市科技·人才洽谈会,10月,', '13,如皋市科技·人才洽谈会,10月20日,');
  const file = join(dir, '2023年活动安排表（定档）.csv');
  writeFileSync(file, text);
  return file;
}

beforeAll(async () => {
  bot = await TestBot.start({ name: 'activities', clock: () => now, admins: [ADMIN] });
  await db().roleGrant.create({ data: { userId: STAFF, role: 'staff', town: '开发区', grantedBy: ADMIN } });
});

afterAll(async () => {
  await bot?.stop();
});

describe('importing the 2023 如皋 calendar', () => {
  it('imports the 20 activities with the CLI and lists them with /activities', async () => {
    const r = await importCli([FIXTURE, '--year', '2023']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('已导入 2023 年活动安排表：共 20 项（新增 20 项，更新 0 项）');
    expect(r.stdout).toContain('其中有具体日期 0 项，仅有月份 18 项，全年 2 项');
    const rows = await db().activity.findMany({ where: { year: 2023 }, orderBy: { seq: 'asc' } });
    expect(rows).toHaveLength(20);
    expect(rows[2]).toMatchObject({ seq: 3, name: '如皋市创新创业大赛（孵化项目专场）', month: 3, allYear: false, organizer: '市科技局' });
    expect(rows[6]).toMatchObject({ seq: 7, timeText: '全年', allYear: true, month: null });
    expect(await db().auditEvent.count({ where: { action: 'activity_import', actorId: 'cli' } })).toBe(1);

    // Three leads name the 科技·人才洽谈会 as their source; two were approved.
    const fair = rows.find((a) => a.seq === 13)!;
    await db().lead.createMany({
      data: ['approved', 'approved', 'pending'].map((status, i) => ({
        code: `KZ-2023-09${i}1`, kind: 'talent', projectName: `洽谈会项目${i}`, town: '高新区', submitterId: STAFF, status, activityId: fair.id,
      })),
    });
    const before = bot.messagesTo(STAFF).length;
    await bot.say(STAFF, '活动 2023');
    // It arrives: the stand-in refuses a card Feishu would refuse (a table column narrower than 80px did).
    expect(bot.messagesTo(STAFF)).toHaveLength(before + 1);
    const card = bot.lastMessageTo(STAFF);
    expect(validateCard(cardOf(card))).toEqual({ ok: true });
    const text = textOf(card);
    expect(text).toContain('2023年科技招商活动安排（共 20 项）');
    expect(text).toContain('如皋市科创载体建设推进会 | 2月 | 市科技局');
    expect(text).toContain('各镇区科技招商活动 | 全年 | 各镇（区、街道） | 0');
    // The yearly count of leads per activity.
    expect(text).toContain('如皋市科技·人才洽谈会 | 10月 | 市委市政府 | 3（2）');
    expect(text).toContain('本年度共有 3 个项目在登记时注明了来源活动');
    // On 1 February, the two February activities are coming up.
    expect(text).toContain('近期活动');
    expect(text).toContain('如皋-苏州科技人才项目恳谈会**（2月）');
  });

  it('refuses a bad file and bad arguments, changing nothing', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, '序号,活动名称,时间,主办单位\n1,甲,2024年3月,市科技局\n2,,3月,市科技局\n');
    const r = await importCli([bad, '--year', '2023']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('活动安排表未导入');
    expect(r.stderr).toContain('第2行：时间“2024年3月”不在2023年');
    expect(r.stderr).toContain('第3行：缺少活动名称');
    expect(await db().activity.count({ where: { year: 2023 } })).toBe(20);
    const noYear = await importCli([FIXTURE]);
    expect(noYear.code).toBe(2);
    expect(noYear.stderr).toContain('--year is required');
  });

  it('says so when a year has no calendar', async () => {
    await bot.say(STAFF, '/activities 2031');
    expect(bot.lastMessageTo(STAFF).content).toContain('尚未导入 2031 年的活动安排表');
  });
});

describe('reminders before dated activities', () => {
  const run = (at: Date) => activityRemindersJob.run({ services: bot.app.services, now: at, force: false });

  beforeAll(async () => {
    const r = await importCli([datedCalendar(), '--year', '2023']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('共 20 项（新增 0 项，更新 20 项）');
    expect(r.stdout).toContain('其中有具体日期 2 项');
    await db().subscription.createMany({
      data: [
        { chatId: 'oc_alerts', topic: 'alerts', filter: '开发区', createdBy: ADMIN },
        { chatId: 'oc_alerts', topic: 'weekly', filter: '', createdBy: ADMIN },
        { chatId: 'oc_weekly', topic: 'weekly', filter: '', createdBy: ADMIN },
        { chatId: 'oc_leads', topic: 'leads', filter: '氢能', createdBy: ADMIN },
      ],
    });
  });

  it('reminds each subscribed chat once 7 days before and once 1 day before', async () => {
    // 8 September 09:07 in Asia/Shanghai: 7 days before 15 September.
    const d7 = new Date('2023-09-08T01:07:00Z');
    expect(await run(d7)).toMatchObject({ sent: 2, skipped: 0 });
    expect(await run(new Date(d7.getTime() + 3600_000))).toMatchObject({ sent: 0, skipped: 2 });
    await bot.settle();
    for (const chat of ['oc_alerts', 'oc_weekly']) {
      const got = bot.messagesTo(chat);
      expect(got).toHaveLength(1);
      expect(validateCard(cardOf(got[0]))).toEqual({ ok: true });
      expect(textOf(got[0])).toContain('活动提醒：下周有招商活动');
      expect(textOf(got[0])).toContain('氢能与燃料电池专题招商活动**（7 天后，9月15日（周五））');
      expect(textOf(got[0])).toContain('主办单位：市科技局、开发区');
    }
    expect(bot.messagesTo('oc_leads')).toHaveLength(0);

    expect(await run(new Date('2023-09-10T01:07:00Z'))).toMatchObject({ sent: 0, skipped: 0 });

    const d1 = new Date('2023-09-14T01:07:00Z');
    expect(await run(d1)).toMatchObject({ sent: 2, skipped: 0 });
    expect(await run(new Date(d1.getTime() + 7200_000))).toMatchObject({ sent: 0, skipped: 2 });
    await bot.settle();
    for (const chat of ['oc_alerts', 'oc_weekly']) {
      const got = bot.messagesTo(chat);
      expect(got).toHaveLength(2);
      expect(textOf(got[1])).toContain('活动提醒：明天有招商活动');
      expect(textOf(got[1])).toContain('氢能与燃料电池专题招商活动**（明天，9月15日（周五））');
    }
    expect(bot.messagesTo('oc_leads')).toHaveLength(0);
  });

  it('uses the office clock: 16:30 UTC on 12 October is already 13 October, 7 days before the 洽谈会', async () => {
    expect(await run(new Date('2023-10-12T15:30:00Z'))).toMatchObject({ sent: 0 });
    expect(await run(new Date('2023-10-12T16:30:00Z'))).toMatchObject({ sent: 2 });
    await bot.settle();
    expect(textOf(bot.lastMessageTo('oc_weekly'))).toContain('如皋市科技·人才洽谈会**（7 天后，10月20日（周五））');
  });

  it('shows dated activities coming up in the listing', async () => {
    now = new Date('2023-09-01T02:00:00Z');
    await bot.say(STAFF, '活动');
    const text = textOf(bot.lastMessageTo(STAFF));
    expect(text).toContain('氢能与燃料电池专题招商活动**（14 天后，9月15日（周五））');
    expect(text).toContain('氢能与燃料电池专题招商活动 | 9月15日（周五） | 市科技局、开发区');
  });
});

describe('importing a calendar sent to the bot', () => {
  it('imports for admins, for the year in the file name', async () => {
    await bot.sendFile(ADMIN, '2024年科技招商活动安排表.csv', Buffer.from('序号,活动名称,时间,主办单位\n1,如皋-上海科技招商专场活动,2024年4月18日,市科创办\n2,各镇区科技招商活动,全年,各镇（区、街道）\n'));
    const text = textOf(bot.lastMessageTo(ADMIN));
    expect(text).toContain('活动安排表已导入');
    expect(text).toContain('已导入 2024 年活动安排表：共 2 项（新增 2 项，更新 0 项）');
    const rows = await db().activity.findMany({ where: { year: 2024 }, orderBy: { seq: 'asc' } });
    expect(rows.map((a) => [a.name, a.date?.toISOString().slice(0, 10) ?? null, a.allYear])).toEqual([
      ['如皋-上海科技招商专场活动', '2024-04-18', false],
      ['各镇区科技招商活动', null, true],
    ]);
  });

  it('refuses staff', async () => {
    await bot.sendFile(STAFF, '2025年活动安排表.csv', Buffer.from('序号,活动名称,时间\n1,甲,3月\n'));
    expect(bot.lastMessageTo(STAFF).content).toContain('只有管理员可以导入活动安排表。');
    expect(await db().activity.count({ where: { year: 2025 } })).toBe(0);
  });

  it('recognises a calendar by its header row, whatever the file is called, and takes the year its dates state', async () => {
    // 附件3.xlsx: no 活动 in the name, no year in the name; every date says 2029.
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Sheet1').addRows([
      ['序号', '活动名称', '时间', '主办单位'],
      [1, '如皋-深圳科技招商推介会', '2029年5月20日', '市科创办'],
      [2, '长三角科技成果对接会', '2029年6月', '市科技局'],
      [3, '各镇区科技招商活动', '全年', '各镇（区、街道）'],
    ]);
    await bot.sendFile(ADMIN, '附件3.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
    let text = textOf(bot.lastMessageTo(ADMIN));
    expect(text).toContain('活动安排表已导入');
    expect(text).not.toContain('镇区');
    expect(text).toContain('已导入 2029 年活动安排表：共 3 项');
    expect(text).toContain('导入年份：2029 年（取自表中时间）');
    expect((await db().activity.findMany({ where: { year: 2029 }, orderBy: { seq: 'asc' } })).map((a) => a.date?.toISOString().slice(0, 10) ?? null)).toEqual(['2029-05-20', null, null]);

    // A year in the file name, and again no 活动 in it.
    await bot.sendFile(ADMIN, 'act2028.csv', Buffer.from('序号,活动名称,时间\n1,科技人才洽谈会,9月\n'));
    text = textOf(bot.lastMessageTo(ADMIN));
    expect(text).toContain('已导入 2028 年活动安排表：共 1 项');
    expect(text).toContain('导入年份：2028 年（取自文件名）');
    expect(await db().activity.count({ where: { year: 2028 } })).toBe(1);

    // 活动安排.csv dated 2027 is imported for 2027, not refused for not being in this year (2023).
    await bot.sendFile(ADMIN, '活动安排.csv', Buffer.from('序号,活动名称,时间,主办单位\n1,如皋-上海科技招商专场活动,2027年5月20日,市科创办\n'));
    text = textOf(bot.lastMessageTo(ADMIN));
    expect(text).toContain('已导入 2027 年活动安排表：共 1 项');
    expect(text).not.toContain('不在2023年');
    expect((await db().activity.findFirstOrThrow({ where: { year: 2027 } })).date?.toISOString().slice(0, 10)).toBe('2027-05-20');
    expect(await db().quota.count()).toBe(0);
    expect(await db().leadDraft.count({ where: { kind: 'quota_import' } })).toBe(0);
  });

  it('says how to choose the year when the dates do not fit the year used', async () => {
    const before = await db().activity.count();
    // Dates of two different years, none in the file name: checked against this year, and refused.
    await bot.sendFile(ADMIN, '活动安排（草稿）.csv', Buffer.from('序号,活动名称,时间\n1,甲活动,2027年12月5日\n2,乙活动,2028年1月10日\n'));
    let text = textOf(bot.lastMessageTo(ADMIN));
    expect(text).toContain('活动安排表未导入');
    expect(text).toContain('第2行：时间“2027年12月5日”不在2023年');
    expect(text).toContain('文件名中没有年份，表中时间写明的年份也不一致，已按今年（2023 年）核对');
    expect(text).toContain('请在文件名中写明年份（如「2027年活动安排表.xlsx」）');

    // The file name says one year, the dates another.
    await bot.sendFile(ADMIN, '2026年活动安排表.csv', Buffer.from('序号,活动名称,时间\n1,甲活动,2027年5月20日\n'));
    text = textOf(bot.lastMessageTo(ADMIN));
    expect(text).toContain('第2行：时间“2027年5月20日”不在2026年');
    expect(text).toContain('导入年份 2026 年取自文件名，而表中时间写的是其他年份。请把文件名中的年份改为活动所在的年份（如「2027年活动安排表.xlsx」）');
    expect(await db().activity.count()).toBe(before);
  });
});

describe('re-importing a renumbered calendar', () => {
  const send = async (csv: string) => {
    await bot.sendFile(ADMIN, '2026年科技招商活动安排表.csv', Buffer.from(`序号,活动名称,时间,主办单位\n${csv}`));
    return textOf(bot.lastMessageTo(ADMIN));
  };
  const rows = async () => (await db().activity.findMany({ where: { year: 2026 }, orderBy: { seq: 'asc' } })).map((a) => [a.seq, a.name, a.timeText]);
  const sourceOf = async (code: string) => (await db().activity.findUniqueOrThrow({ where: { id: (await db().lead.findUniqueOrThrow({ where: { code } })).activityId! } })).name;

  it('keeps each lead on its own activity, matched by name, when rows are inserted, moved or dropped', async () => {
    expect(await send('1,氢能专场推介会,3月,市科技局\n2,长三角人才洽谈会,4月,市人才办\n')).toContain('新增 2 项，更新 0 项');
    const [hydrogen, talent] = await db().activity.findMany({ where: { year: 2026 }, orderBy: { seq: 'asc' } });
    await db().lead.createMany({
      data: [
        { code: 'KZ-2026-0901', kind: 'tech', projectName: '推介会项目', town: '开发区', submitterId: STAFF, status: 'approved', activityId: hydrogen.id },
        { code: 'KZ-2026-0902', kind: 'talent', projectName: '洽谈会项目', town: '开发区', submitterId: STAFF, status: 'pending', activityId: talent.id },
      ],
    });

    // A new first row renumbers the others; the 洽谈会 is also written with other spaces and a new month.
    const text = await send('1,高校院所对接会,2月,市科技局\n2,氢能专场推介会,3月,市科技局\n3,长三角 人才洽谈会,5月,市人才办\n');
    expect(text).toContain('新增 1 项，更新 2 项');
    expect(await rows()).toEqual([[1, '高校院所对接会', '2月'], [2, '氢能专场推介会', '3月'], [3, '长三角 人才洽谈会', '5月']]);
    expect(await sourceOf('KZ-2026-0901')).toBe('氢能专场推介会');
    expect(await sourceOf('KZ-2026-0902')).toBe('长三角 人才洽谈会');
    expect((await db().activity.findUniqueOrThrow({ where: { id: hydrogen.id } })).seq).toBe(2);

    // The 推介会 is dropped and the 对接会 moves up to its 序号: it stays (a lead names it), after the last row.
    const dropped = await send('1,长三角人才洽谈会,5月,市人才办\n2,高校院所对接会,6月,市科技局\n');
    expect(dropped).toContain('「氢能专场推介会」（原序号 2）不在新表中，但已有项目将其作为来源活动，未删除，现排在序号 3');
    expect(await rows()).toEqual([[1, '长三角人才洽谈会', '5月'], [2, '高校院所对接会', '6月'], [3, '氢能专场推介会', '3月']]);
    expect(await sourceOf('KZ-2026-0901')).toBe('氢能专场推介会');
    expect(await sourceOf('KZ-2026-0902')).toBe('长三角人才洽谈会');

    // A row renamed in place (same 序号, no row of the old name left) is taken as the same activity, and said so.
    const renamed = await send('1,长三角人才与项目洽谈会,5月,市人才办\n2,高校院所对接会,6月,市科技局\n3,氢能专场推介会,3月,市科技局\n');
    expect(renamed).toContain('序号 1 的「长三角人才洽谈会」已改名为「长三角人才与项目洽谈会」（按同一活动处理，1 个项目以其为来源活动）');
    expect(await sourceOf('KZ-2026-0902')).toBe('长三角人才与项目洽谈会');
    expect(await sourceOf('KZ-2026-0901')).toBe('氢能专场推介会');
    expect(await db().activity.count({ where: { year: 2026 } })).toBe(3);
  });
});
