// 活动提醒: chats subscribed to 'alerts' or 'weekly' get a reminder 7 days and 1 day before each dated activity
// of the 活动安排表, once each (ledger: job 'activity-reminders', period "<date>:<year>-<seq>:<d7|d1>",
// target the chat). Activities known only by month or 全年 are not reminded (they have no day).
import type { Tx } from '../db/client.ts';
import type { CardJson } from '../lark/types.ts';
import { cardContent, enqueue } from '../lark/outbox.ts';
import { card, greyText, header, markdown } from '../cards/kit.ts';
import { assertValidCard } from '../cards/validate.ts';
import { md } from '../cards/template.ts';
import { activityReminderDue } from '../domain/activity.ts';
import { isoDate } from '../domain/lifecycle.ts';
import { localParts } from '../domain/quota.ts';
import { datedActivities, type ActivityRow } from '../db/lifecycle.ts';
import { claimRun, type JobDef } from './ledger.ts';

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
}

export function activityReminderCard(items: DueActivity[]): CardJson {
  const soon = items.some((i) => i.due === 'd1');
  const lines = items.map(({ activity: a, due }) => {
    const when = `${due === 'd1' ? '明天' : '7 天后'}，${activityDayText(a.date!)}`;
    return `- **${md(a.name)}**（${when}）${a.organizer ? `\n  主办单位：${md(a.organizer)}` : ''}`;
  });
  const title = soon ? '活动提醒：明天有招商活动' : '活动提醒：下周有招商活动';
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
    const due: DueActivity[] = [];
    for (const activity of activities) {
      const d = activityReminderDue(activity, now, tz);
      if (d) due.push({ activity, due: d });
    }
    if (due.length === 0) return { sent: 0, skipped: 0, summary: '活动提醒：今天没有需要提醒的活动' };
    const subs = await services.db.subscription.findMany({ where: { topic: { in: ACTIVITY_REMINDER_TOPICS } }, orderBy: { id: 'asc' } });
    const chats = [...new Set(subs.map((s) => s.chatId))];
    let sent = 0;
    let skipped = 0;
    for (const chatId of chats) {
      const queued = await services.db.$transaction(async (tx: Tx) => {
        const mine: DueActivity[] = [];
        for (const item of due) {
          const a = item.activity;
          const period = `${isoDate(a.date!)}:${a.year}-${a.seq}:${item.due}`;
          if (await claimRun(tx, ACTIVITY_REMINDERS_JOB, period, chatId, force)) mine.push(item);
        }
        if (mine.length === 0) return false;
        await enqueue(tx, [{
          op: 'send',
          receiveIdType: 'chat_id',
          receiveId: chatId,
          msgType: 'interactive',
          content: cardContent(activityReminderCard(mine)),
          refType: 'activity-reminder',
          refId: mine.map((m) => `${m.activity.id}:${m.due}`).join(','),
        }]);
        return true;
      });
      if (queued) sent++;
      else skipped++;
    }
    if (sent > 0) services.kickOutbox();
    return { sent, skipped, summary: `活动提醒：${due.length} 项活动，发往 ${sent} 个群，已提醒过跳过 ${skipped} 个群` };
  },
};
