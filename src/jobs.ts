// The job registry: every job the scheduler runs on office.schedules (one cron expression per job name) and
// `npm run job` runs by name.
import { runReminders } from './features/approval/reminders.ts';
import { activityRemindersJob } from './features/activities/reminders.ts';
import { bimonthlyDigestJob, monthlyReportJob, weeklyDigestJob } from './features/digests/jobs.ts';
import { followUpsJob } from './features/lifecycle/follow-ups.ts';
import { housekeepingJob } from './platform/jobs/housekeeping.ts';
import type { JobDef, JobName } from './platform/jobs/scheduler.ts';
import { quotaAlertsJob } from './features/quotas/alerts.ts';

/** 催办: reminds the approval steps that waited too long (src/features/approval/reminders.ts). */
export const remindersJob: JobDef = {
  name: 'reminders',
  async run({ services, now }) {
    const { stepIds } = await runReminders(services, now);
    return { sent: stepIds.length, skipped: 0, summary: `reminders: reminded ${stepIds.length} step(s)` };
  },
};

/** Every scheduled job, in the order `npm run job` lists them. */
export const JOBS: readonly JobDef[] = [
  weeklyDigestJob,
  bimonthlyDigestJob,
  monthlyReportJob,
  quotaAlertsJob,
  remindersJob,
  followUpsJob,
  activityRemindersJob,
  housekeepingJob,
];

export function findJob(name: string): JobDef | undefined {
  return JOBS.find((j) => j.name === name);
}
