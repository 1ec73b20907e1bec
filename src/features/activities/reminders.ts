// 活动提醒: chats subscribed to 'alerts' or 'weekly' get a reminder 7 days and 1 day before each dated activity
// of the 活动安排表, once each (ledger: job 'activity-reminders', period "<date>:<year>-<seq>:<d7|d1>",
// target the chat). Activities known only by month or 全年 are not reminded (they have no day).
// A run caught up after a missed day (as of its scheduled time, on a later day) words each reminder from the
// day it actually goes out, and drops those whose activity has already begun.
import type { CardJson } from '../../platform/lark/types.ts';
import { cardContent } from '../../platform/delivery/outbox.ts';
import { card, greyText, header, markdown } from '../../platform/cards/kit.ts';
import { assertValidCard } from '../../platform/cards/validate.ts';
import { md } from '../../platform/cards/template.ts';
import { activityReminderDue } from './activity.ts';
import { isoDate, localParts } from '../../platform/time.ts';
import { datedActivities, type ActivityRow } from './store.ts';
import { queueOnce } from '../../platform/delivery/ledger.ts';
import type { JobDef } from '../../platform/jobs/scheduler.ts';

export const ACTIVITY_REMINDERS_JOB = 'activity-reminders';
export const ACTIVITY_REMINDER_TOPICS = ['alerts', 'weekly'];

const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];

/** "3月15日（周三）" for a stored activity date (UTC midnight of the day). */
export function activityDayText(date: Date): string {
  return `${date.getUTCMonth() + 1}月${date.getUTCDate()}日（周${WEEKDAYS[date.getUTCDay()]}）`;
}

export interface DueActivity {
  activity: ActivityRow;
  due: 'd7' | 'd1';
  /** Days from the day the card goes out to the activity: 7 or 1 (fewer when a missed run is caught up late). */
  daysAway: number;
}

const DAY_MS = 86_400_000;

/** A local calendar day as a number of days (for differences between days). */
function dayNumber(at: Date, tz: string): number {
  const p = localParts(at, tz);
  return Date.UTC(p.year, p.month - 1, p.day) / DAY_MS;
}

export function activityReminderCard(items: DueActivity[]): CardJson {
  const soon = items.some((i) => i.daysAway === 1);
  const lines = items.map(({ activity: a, daysAway }) => {
    const when = `${daysAway === 1 ? '明天' : `${daysAway} 天后`}，${activityDayText(a.date!)}`;
    return `- **${md(a.name)}**（${when}）${a.organizer ? `\n  主办单位：${md(a.organizer)}` : ''}`;
  });
  const title = soon ? '活动提醒：明天有招商活动' : items.every((i) => i.daysAway >= 7) ? '活动提醒：下周有招商活动' : '活动提醒：近期有招商活动';
  const c = card(header(title, soon ? 'orange' : 'blue'), [
    markdown(lines.join('\n')),
    markdown(greyText('来自年度科技招商活动安排表。发送「活动」查看全年活动。'), 'notation'),
  ], title);
  assertValidCard(c);
  return c;
}

export const activityRemindersJob: JobDef = {
  name: ACTIVITY_REMINDERS_JOB,
  async run({ services, now, force }) {
    const tz = services.env.BOT_TIMEZONE;
    const year = localParts(now, tz).year;
    const activities = await datedActivities(services.db, [year, year + 1]);
    // The day the cards go out: the run's day, or today when a missed run is caught up on a later day.
    const sendDay = Math.max(dayNumber(now, tz), dayNumber(services.clock(), tz));
    const due: DueActivity[] = [];
    for (const activity of activities) {
      const d = activityReminderDue(activity, now, tz);
      const daysAway = Math.floor(activity.date!.getTime() / DAY_MS) - sendDay; // the date's UTC day is its calendar day
      if (d && daysAway >= 1) due.push({ activity, due: d, daysAway });
    }
    if (due.length === 0) return { sent: 0, skipped: 0, summary: '活动提醒：今天没有需要提醒的活动' };
    const subs = await services.db.subscription.findMany({ where: { topic: { in: ACTIVITY_REMINDER_TOPICS } }, orderBy: { id: 'asc' } });
    const chats = [...new Set(subs.map((s) => s.chatId))];
    let sent = 0;
    let skipped = 0;
    for (const chatId of chats) {
      const queued = await queueOnce(services.db, {
        job: ACTIVITY_REMINDERS_JOB,
        force,
        items: due.map((item) => ({ period: `${isoDate(item.activity.date!)}:${item.activity.year}-${item.activity.seq}:${item.due}`, target: chatId, item })),
        message: (mine) => ({
          op: 'send',
          receiveIdType: 'chat_id',
          receiveId: chatId,
          msgType: 'interactive',
          content: cardContent(activityReminderCard(mine)),
          refType: 'activity-reminder',
          refId: mine.map((m) => `${m.activity.id}:${m.due}`).join(','),
        }),
      });
      if (queued) sent++;
      else skipped++;
    }
    if (sent > 0) services.kickOutbox();
    return { sent, skipped, summary: `活动提醒：${due.length} 项活动，发往 ${sent} 个群，已提醒过跳过 ${skipped} 个群` };
  },
};
