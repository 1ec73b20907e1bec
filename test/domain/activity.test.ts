import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import {
  activityReminderDue,
  parseActivityTable,
  upcomingActivities,
  type ActivityImport,
  type ActivityLike,
} from '../../src/features/activities/activity.ts';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)));
const TZ = 'Asia/Shanghai';
const csv = (text: string) => Buffer.from(text, 'utf8');

function accepted(result: ActivityImport) {
  if (!result.ok) throw new Error(`import refused: ${result.errors.join(' | ')}`);
  return result;
}

function refused(result: ActivityImport): string[] {
  if (result.ok) throw new Error('import was accepted');
  return result.errors;
}

describe('importing the 2023 如皋 活动安排表', () => {
  it('reads all 20 activities with their months, 全年 flags, organizers and names joined across lines', async () => {
    const r = accepted(await parseActivityTable(fixture('rugao-2023-activities.csv'), '活动安排表.csv', 2023));
    expect(r.warnings).toEqual([]);
    expect(r.activities.map((a) => a.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(r.activities.map((a) => a.month ?? null)).toEqual([2, 2, 3, 3, 4, 5, null, 6, 7, 7, 8, 9, 10, 10, 10, 10, 11, 11, 12, null]);
    expect(r.activities.filter((a) => a.allYear).map((a) => a.seq)).toEqual([7, 20]);
    expect(r.activities.every((a) => a.year === 2023 && a.date === undefined)).toBe(true);
    const bySeq = new Map(r.activities.map((a) => [a.seq, a]));
    expect(bySeq.get(3)!.name).toBe('如皋市创新创业大赛（孵化项目专场）');
    expect(bySeq.get(8)!.name).toBe('如皋市创新创业大赛（科创项目专场）');
    expect(bySeq.get(19)!.name).toBe('如皋市创新创业大赛（市级攻关计划专场）');
    expect(bySeq.get(15)!.name).toBe('如皋市“梦想之星”创新创业大赛');
    expect(bySeq.get(7)).toMatchObject({ timeText: '全年', organizer: '高新区、开发区、长江镇', allYear: true });
    expect(bySeq.get(20)!.organizer).toBe('各镇（区、街道）');
    expect(bySeq.get(13)).toMatchObject({ name: '如皋市科技·人才洽谈会', timeText: '10月', month: 10, organizer: '市委市政府' });
  });

  it('understands the ways 时间 is written', async () => {
    const r = accepted(
      await parseActivityTable(
        csv(
          '序号,活动名称,时间,主办单位\n' +
            '1,甲,2023年3月,市科技局\n' +
            '2,乙,3月15日,市科技局\n' +
            '3,丙,2023-03-15,市科技局\n' +
            '4,丁,2023/4/1,市科技局\n' +
            '5,戊,全年,市科技局\n' +
            '6,己,十一月,市科技局\n' +
            '7,庚,5月中旬,市科技局\n' +
            '8,辛,待定,市科技局\n',
        ),
        'a.csv',
        2023,
      ),
    );
    const view = r.activities.map((a) => [a.seq, a.month ?? null, a.date?.toISOString().slice(0, 10) ?? null, a.allYear]);
    expect(view).toEqual([
      [1, 3, null, false],
      [2, 3, '2023-03-15', false],
      [3, 3, '2023-03-15', false],
      [4, 4, '2023-04-01', false],
      [5, null, null, true],
      [6, 11, null, false],
      [7, 5, null, false],
      [8, null, null, false],
    ]);
    expect(r.warnings).toEqual(['第9行：时间“待定”无法识别，仅保存原文，不会提醒']);
  });

  it('joins a name continued on the next row and reads dates typed as Excel dates', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('附件3');
    ws.addRow(['2023年如皋市科技招商活动安排表']);
    ws.addRow(['序号', '活动名称', '时间', '主办单位']);
    ws.addRow([1, '如皋市创新创业大赛', '3月', '市科技局']);
    ws.addRow([null, '（孵化项目专场）', null, null]);
    ws.addRow([2, '路演', new Date(Date.UTC(2023, 4, 20)), '市科创投集团']);
    const r = accepted(await parseActivityTable(Buffer.from(await wb.xlsx.writeBuffer()), 'a.xlsx', 2023));
    expect(r.activities.map((a) => [a.seq, a.name, a.month, a.date?.toISOString().slice(0, 10) ?? null, a.rowNumber])).toEqual([
      [1, '如皋市创新创业大赛（孵化项目专场）', 3, null, 3],
      [2, '路演', 5, '2023-05-20', 5],
    ]);
  });

  it('refuses the whole file with row-numbered errors', async () => {
    const errors = refused(
      await parseActivityTable(
        csv('序号,活动名称,时间,主办单位\n1,甲,2月,市科技局\n2,,3月,市科技局\n1,乙,4月,市科技局\n3,丙,2月30日,市科技局\n4,丁,2024年3月,市科技局\n5,戊,13月,市科技局\n六,己,5月,市科技局\n'),
        'a.csv',
        2023,
      ),
    );
    expect(errors).toEqual([
      '第3行：缺少活动名称',
      '第4行：序号 1 重复（第2行已使用）',
      '第5行：时间“2月30日”的日期无效',
      '第6行：时间“2024年3月”不在2023年',
      '第7行：时间“13月”的月份无效',
      '第8行：序号“六”不是正整数（A列）',
    ]);
    expect(refused(await parseActivityTable(csv('编号,内容\n1,甲\n'), 'a.csv', 2023))[0]).toContain('活动名称');
    expect(refused(await parseActivityTable(csv('序号,活动名称,时间\n'), 'a.csv', 2023))).toEqual(['表格中没有活动']);
  });

  it('accepts 29 February only in a leap year', async () => {
    const table = csv('活动名称,时间\n甲,2月29日\n');
    expect(accepted(await parseActivityTable(table, 'a.csv', 2024)).activities[0].date!.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(refused(await parseActivityTable(table, 'a.csv', 2023))).toEqual(['第2行：时间“2月29日”的日期无效']);
  });
});

describe('upcoming activities and reminders on the Shanghai calendar', () => {
  const dated = (y: number, m: number, d: number): ActivityLike & { label: string } => ({
    label: `${m}-${d}`,
    year: y,
    month: m,
    date: new Date(Date.UTC(y, m - 1, d)),
    allYear: false,
  });
  const monthly = (y: number, m: number): ActivityLike & { label: string } => ({ label: `${m}月`, year: y, month: m, date: null, allYear: false });
  const allYear: ActivityLike & { label: string } = { label: '全年', year: 2023, month: null, date: null, allYear: true };

  it('lists dated activities and months starting within the next N days, soonest first', () => {
    const activities = [dated(2023, 3, 5), dated(2023, 3, 3), monthly(2023, 3), monthly(2023, 2), dated(2023, 2, 24), dated(2023, 2, 25), allYear, monthly(2023, 4)];
    const now = new Date('2023-02-24T17:00:00Z'); // 25 February 01:00 in Shanghai, still the 24th in UTC
    const up = upcomingActivities(activities, now, 7, TZ);
    expect(up.map((u) => [u.activity.label, u.startsOn, u.daysAway, u.monthOnly])).toEqual([
      ['2-25', '2023-02-25', 0, false],
      ['2月', '2023-02-01', 0, true], // February has begun but not ended: still to come, as of today
      ['3月', '2023-03-01', 4, true],
      ['3-3', '2023-03-03', 6, false],
    ]);
    expect(upcomingActivities(activities, now, 40, TZ).map((u) => u.activity.label)).toEqual(['2-25', '2月', '3月', '3-3', '3-5', '4月']);
  });

  it('keeps a month-only activity through the last day of its month, by Shanghai date', () => {
    const activities = [monthly(2023, 3), dated(2023, 3, 31)];
    const labels = (now: Date) => upcomingActivities(activities, now, 30, TZ).map((u) => [u.activity.label, u.daysAway]);
    expect(labels(new Date('2023-03-01T04:00:00Z'))).toEqual([['3月', 0], ['3-31', 30]]);
    expect(labels(new Date('2023-03-15T04:00:00Z'))).toEqual([['3月', 0], ['3-31', 16]]);
    // 31 March 23:59 in Shanghai: the dated activity is today and comes first; the month is not over.
    expect(labels(new Date('2023-03-31T15:59:00Z'))).toEqual([['3-31', 0], ['3月', 0]]);
    // 1 April 00:00 in Shanghai (still 31 March in UTC): both are past.
    expect(labels(new Date('2023-03-31T16:00:00Z'))).toEqual([]);
  });

  it('is due d7 a week before and d1 the day before a dated activity, by Shanghai date', () => {
    const event = dated(2023, 3, 15);
    expect(activityReminderDue(event, new Date('2023-03-07T17:00:00Z'), TZ)).toBe('d7'); // 8 March 01:00 local
    expect(activityReminderDue(event, new Date('2023-03-07T15:00:00Z'), TZ)).toBeUndefined(); // 7 March 23:00 local
    expect(activityReminderDue(event, new Date('2023-03-08T15:59:00Z'), TZ)).toBe('d7'); // 8 March 23:59 local
    expect(activityReminderDue(event, new Date('2023-03-13T16:00:00Z'), TZ)).toBe('d1'); // 14 March 00:00 local
    expect(activityReminderDue(event, new Date('2023-03-14T16:00:00Z'), TZ)).toBeUndefined(); // the day itself
    expect(activityReminderDue(event, new Date('2023-03-10T04:00:00Z'), TZ)).toBeUndefined();
    expect(activityReminderDue(monthly(2023, 3), new Date('2023-02-22T04:00:00Z'), TZ)).toBeUndefined();
    expect(activityReminderDue(allYear, new Date('2023-02-22T04:00:00Z'), TZ)).toBeUndefined();
  });
});
