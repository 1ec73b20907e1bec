// The scheduler only asks node-cron about minutes whose local minute-of-hour the expression names; these
// checks hold that prefilter to node-cron's own answer, minute by minute, in zones with whole-hour,
// half-hour and daylight-saving offsets.
import { describe, expect, it } from 'vitest';
import { createTask } from 'node-cron';
import { minuteFilter, minutesOf } from '../../src/platform/jobs/scheduler.ts';

describe('minutesOf', () => {
  it('reads the minute field of 5- and 6-field expressions', () => {
    expect([...minutesOf('17 9 * * 1')]).toEqual([17]);
    expect([...minutesOf('0 30 9 * * 1')]).toEqual([30]);
    expect([...minutesOf('5,35 * * * *')]).toEqual([5, 35]);
    expect([...minutesOf('*/15 8-18 * * *')]).toEqual([0, 15, 30, 45]);
    expect([...minutesOf('10-50/20 * * * *')]).toEqual([10, 30, 50]);
    expect([...minutesOf('0-2 * * * *')]).toEqual([0, 1, 2]);
  });

  it('takes every minute when it cannot read the field', () => {
    for (const e of ['', 'x * * * *', '61 * * * *', '5-1 * * * *', '1 2']) expect(minutesOf(e).size).toBe(60);
  });
});

describe('the prefilter agrees with node-cron', () => {
  const cases: [string, string, string][] = [
    ['17 9 * * 1', 'Asia/Shanghai', '2026-11-30T00:00:00Z'],
    ['7 9 1 * *', 'Asia/Shanghai', '2026-11-29T00:00:00Z'],
    ['*/20 9-10 * * *', 'Asia/Kolkata', '2026-12-01T00:00:00Z'], // +05:30
    ['45 1-3 * * *', 'America/New_York', '2026-03-07T00:00:00Z'], // across the spring DST change
    ['15 0 * * *', 'Australia/Lord_Howe', '2026-10-02T00:00:00Z'], // +10:30 → +11:00 on 4 October
  ];
  for (const [expression, timezone, fromIso] of cases) {
    it(`${expression} in ${timezone}`, () => {
      const task = createTask(expression, () => {}, { timezone });
      const from = Date.parse(fromIso);
      const to = from + 3 * 86_400_000;
      const worth = minuteFilter([minutesOf(expression)], from, to, timezone);
      const all: number[] = [];
      const filtered: number[] = [];
      for (let t = from; t <= to; t += 60_000) {
        if (!task.match(new Date(t))) continue;
        all.push(t);
        if (worth(t)) filtered.push(t);
      }
      expect(all.length).toBeGreaterThan(0);
      expect(filtered).toEqual(all);
      task.destroy();
    });
  }
});
