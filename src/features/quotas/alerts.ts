// quota-alerts (default: the 25th of every month): towns behind their pace get a 预警 card, leaders get
// the month's ranking, towns that reach a full-year target get a one-time 表彰 card.
//
// Who receives what:
// - 预警: every chat subscribed to topic 'alerts' for the town (filter = town) or for all towns (filter ''),
//   one card per town naming each metric below office.quota.alertShare of its pace (done, expected, gap).
//   Ledger: period 'YYYY-MM', target '<chat>:<town>:<metric>', so a (town, metric) is alerted once a month
//   per chat and again next month if it still lags; a card only carries the metrics not yet alerted.
// - The ranking: every holder of role 'leader', p2p. Ledger: period 'YYYY-MM', target 'leader:<open_id>'.
// - 表彰: the same chats as 预警. Ledger: period 'YYYY' (the quota year), target 'praise:<chat>:<town>:<metric>',
//   so it is sent once per year, town and metric.
// Each ledger row is written in the transaction that queues its card.
import { resolveTown } from '../../office/config.ts';
import { loadQuotaProgress } from './store.ts';
import { holdersOf } from '../../platform/people.ts';
import { laggingTowns, reachedAllTargets, reachedTargets, type LaggingEntry, type ReachedEntry } from './quota.ts';
import { localMonth, localParts } from '../../platform/time.ts';
import { cardContent } from '../../platform/delivery/outbox.ts';
import type { CardJson } from '../../platform/lark/types.ts';
import { commendationCard, leaderSummaryCard, quotaAlertCard } from './cards.ts';
import { queueOnce } from '../../platform/delivery/ledger.ts';
import type { JobContext, JobDef, JobResult } from '../../platform/jobs/scheduler.ts';

const JOB = 'quota-alerts';

function groupByTown<T extends { town: string }>(entries: T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const e of entries) map.set(e.town, [...(map.get(e.town) ?? []), e]);
  return map;
}

interface Target {
  receiveIdType: 'chat_id' | 'open_id';
  receiveId: string;
}

/** Queues one card built from the items whose ledger key (in `period`) was new; whether a card was queued. */
function sendOnce<T>(
  ctx: JobContext,
  to: Target,
  period: string,
  items: Array<{ item: T; key: string }>,
  build: (fresh: T[]) => CardJson,
): Promise<boolean> {
  return queueOnce(ctx.services.db, {
    job: JOB,
    force: ctx.force,
    items: items.map(({ item, key }) => ({ period, target: key, item })),
    message: (fresh) => ({ op: 'send', receiveIdType: to.receiveIdType, receiveId: to.receiveId, msgType: 'interactive', content: cardContent(build(fresh)) }),
  });
}

export const quotaAlertsJob: JobDef = {
  name: JOB,
  async run(ctx: JobContext): Promise<JobResult> {
    const { services, now } = ctx;
    const { db, office, env } = services;
    const tz = env.BOT_TIMEZONE;
    const year = localParts(now, tz).year;
    const month = localMonth(now, tz);
    const { progress, quotaTowns } = await loadQuotaProgress(db, year, now, tz, office.quota.countOn, office.scoring);
    if (quotaTowns === 0) return { sent: 0, skipped: 0, summary: `quota-alerts ${month}: no quotas for ${year}, nothing sent` };

    const lagging = laggingTowns(progress, office.quota.alertShare);
    const reached = reachedTargets(progress);
    const subscriptions = await db.subscription.findMany({ where: { topic: 'alerts' }, orderBy: { id: 'asc' } });
    const chatsFor = (town: string) => [
      ...new Set(subscriptions.filter((s) => s.filter === '' || (resolveTown(office, s.filter) ?? s.filter) === town).map((s) => s.chatId)),
    ];

    let sent = 0;
    let skipped = 0;
    const count = (queued: boolean) => (queued ? sent++ : skipped++);

    for (const [town, entries] of groupByTown<LaggingEntry>(lagging)) {
      for (const chat of chatsFor(town)) {
        const items = entries.map((e) => ({ item: e, key: `${chat}:${town}:${e.metric}` }));
        count(
          await sendOnce(ctx, { receiveIdType: 'chat_id', receiveId: chat }, month, items, (fresh) =>
            quotaAlertCard({ town, year, entries: fresh, share: progress.share, alertShare: office.quota.alertShare, rule: progress.rule, now, tz }),
          ),
        );
      }
    }

    for (const [town, entries] of groupByTown<ReachedEntry>(reached)) {
      for (const chat of chatsFor(town)) {
        const items = entries.map((e) => ({ item: e, key: `praise:${chat}:${town}:${e.metric}` }));
        count(await sendOnce(ctx, { receiveIdType: 'chat_id', receiveId: chat }, String(year), items, (fresh) => commendationCard({ town, year, entries: fresh, allReached: reachedAllTargets(progress, town) })));
      }
    }

    const leaders = await holdersOf(db, 'leader');
    if (leaders.length > 0) {
      const summary = leaderSummaryCard({ officeName: office.name, progress, lagging, now, tz });
      for (const openId of leaders) {
        count(await sendOnce(ctx, { receiveIdType: 'open_id', receiveId: openId }, month, [{ item: null, key: `leader:${openId}` }], () => summary));
      }
    }

    if (sent > 0) services.kickOutbox();
    const lagTowns = new Set(lagging.map((e) => e.town)).size;
    return {
      sent,
      skipped,
      summary: `quota-alerts ${month}: ${lagTowns} town(s) behind pace, ${new Set(reached.map((e) => e.town)).size} reached a target; ${sent} card(s) queued, ${skipped} already sent`,
    };
  },
};
