// The three digest jobs: 周例会 (weekly-digest), 双月例会 (bimonthly-digest), 一月一报 (monthly-report).
// Each run works out its period, finds the recipients (subscribed chats, and leaders by p2p when the office
// wants it), and for every recipient records (job, period, recipient) in the run ledger and queues the card
// in ONE transaction: a restart, a catch-up run or a second process never sends the same digest twice.
import { overdueFollowUps } from '../lifecycle/follow-ups.ts';
import { previousMonth } from '../lifecycle/lifecycle.ts';
import { namesOf } from '../../platform/people.ts';
import type { Services } from '../../platform/bot/services.ts';
import type { CardJson } from '../../platform/lark/types.ts';
import { cardContent } from '../../platform/delivery/outbox.ts';
import { digestCard, type Digest } from './cards.ts';
import { digestRecipients, loadBimonthlyRows, loadMonthlyRows, loadWeeklyRows, type DigestRecipient } from './store.ts';
import {
  bimonthlyDigest, bimonthlyProgressMoment, bimonthlyWindow, digestPeriod, monthlyDigest, monthlyWindows, weeklyDigest, weeklyWindow,
  type DigestKind,
} from './digest.ts';
import { localParts } from '../../platform/time.ts';
import { loadCarrierProgress } from '../carriers/store.ts';
import { hasRun, queueOnce } from '../../platform/delivery/ledger.ts';
import type { JobDef, JobName, JobResult } from '../../platform/jobs/scheduler.ts';

export const DIGEST_JOBS: Readonly<Record<DigestKind, JobName>> = {
  weekly: 'weekly-digest',
  bimonthly: 'bimonthly-digest',
  monthly: 'monthly-report',
};

/** Computes a digest as of `now` from the database (no ledger, nothing sent). */
export async function computeDigest(services: Services, kind: DigestKind, now: Date): Promise<Digest> {
  const { db, office, env } = services;
  const tz = env.BOT_TIMEZONE;
  const towns = office.towns.map((t) => t.name);
  switch (kind) {
    case 'weekly': {
      const pre = office.pipeline.preSigning;
      const rows = await loadWeeklyRows(db, weeklyWindow(now), localParts(now, tz).year, pre.map((p) => p.code));
      return weeklyDigest({ now, tz, towns, stuckDays: office.digests.stuckDays, ...rows, pre });
    }
    case 'bimonthly': {
      const { year, at } = bimonthlyProgressMoment(now, tz);
      const rows = await loadBimonthlyRows(db, bimonthlyWindow(now, tz), { year, asOf: at }, office.quota.countOn, tz, office.scoring);
      const carriers = await loadCarrierProgress(db, office, year);
      return bimonthlyDigest({ now, tz, towns, stuckDays: office.digests.stuckDays, alertShare: office.quota.alertShare, ...rows, pre: office.pipeline.preSigning, ...(carriers ? { carriers } : {}) });
    }
    case 'monthly': {
      const w = monthlyWindows(now, tz);
      const reported = digestPeriod('monthly', now, tz);
      // The answers of the month are those to the cards sent at its start, which ask about the month before.
      const rows = await loadMonthlyRows(db, { from: w.previous.from, to: w.current.to }, w.year, {
        rule: office.quota.countOn, tz, reported, answersPeriod: previousMonth(reported), scoring: office.scoring,
      });
      const silent = await overdueFollowUps(db, reported, now);
      const owners = await namesOf(db, silent.map((f) => f.ownerId));
      const silentFollowUps = silent.map((f) => ({ code: f.code, projectName: f.projectName, town: f.town, ownerName: owners.get(f.ownerId)! }));
      return monthlyDigest({ now, tz, towns, industries: office.industries, alertShare: office.quota.alertShare, ...rows, silentFollowUps });
    }
  }
}

/** The card of a digest as of `now`. */
export async function renderDigest(services: Services, kind: DigestKind, now: Date): Promise<{ digest: Digest; card: CardJson }> {
  const digest = await computeDigest(services, kind, now);
  return { digest, card: digestCard(digest, services.env.BOT_TIMEZONE) };
}

function describe(r: DigestRecipient): string {
  return r.receiveIdType === 'chat_id' ? 'chat' : 'leader';
}

function digestJob(kind: DigestKind): JobDef {
  const name = DIGEST_JOBS[kind];
  return {
    name,
    async run({ services, now, force }): Promise<JobResult> {
      const { db, office, env } = services;
      const period = digestPeriod(kind, now, env.BOT_TIMEZONE);
      const recipients = await digestRecipients(db, kind, office.digests.leadersByP2p);
      // Computing a digest reads a lot; skip it when every recipient already has this period's.
      const due: DigestRecipient[] = [];
      for (const r of recipients) if (force || !(await hasRun(db, name, period, r.id))) due.push(r);
      let skipped = recipients.length - due.length;
      let sent = 0;
      if (due.length > 0) {
        const { card } = await renderDigest(services, kind, now);
        const content = cardContent(card);
        for (const r of due) {
          const queued = await queueOnce(db, {
            job: name,
            force,
            items: [{ period, target: r.id, item: r }],
            message: () => ({
              op: 'send',
              receiveIdType: r.receiveIdType,
              receiveId: r.id,
              msgType: 'interactive',
              content,
              refType: 'digest',
              refId: `${name}:${period}`,
            }),
          });
          if (queued) sent++;
          else skipped++;
        }
        if (sent > 0) services.kickOutbox();
      }
      const kinds = [...new Set(recipients.map(describe))].join('/') || 'recipient';
      const summary = recipients.length === 0
        ? `${name} ${period}: no subscribed chat${office.digests.leadersByP2p ? ' or leader' : ''}; nothing sent`
        : `${name} ${period}: queued for ${sent} ${kinds}(s)${skipped ? `, ${skipped} already sent` : ''}${force ? ' (forced)' : ''}`;
      return { sent, skipped, summary };
    },
  };
}

export const weeklyDigestJob: JobDef = digestJob('weekly');
export const bimonthlyDigestJob: JobDef = digestJob('bimonthly');
export const monthlyReportJob: JobDef = digestJob('monthly');
