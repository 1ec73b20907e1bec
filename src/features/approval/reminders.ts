// 催办, automatic: steps pending longer than office.approval.reminderHours remind their assignees (the step
// card again, headed 催办) at most once per local day and only on work days (office.approval.workDays, less
// its holidays, plus its makeupWorkdays) within office.approval.workHours in BOT_TIMEZONE. A step with nobody to decide alerts the admins instead. The
// hourly schedule lives in src/jobs; it calls runReminders().
import { dueReminders, remindStep } from './workflow.ts';
import { loadStep, pendingSteps, toStepState } from './store.ts';
import { loadHolders } from '../../platform/people.ts';
import type { Services } from '../../platform/bot/services.ts';
import { applyTransition, runLeadTransaction } from './service.ts';

export interface ReminderRun {
  /** Ids of the steps reminded now. */
  stepIds: number[];
}

/**
 * Reminds every step that is due at `now`. Safe to run from several processes at once: each reminder is a
 * conditional update of the step's lastRemindedAt, so a step is reminded once.
 */
export async function runReminders(services: Services, now: Date = services.clock()): Promise<ReminderRun> {
  const { office, env } = services;
  const due = dueReminders(await pendingSteps(services.db), now, office, env.BOT_TIMEZONE);
  const stepIds: number[] = [];
  for (const candidate of due) {
    const reminded = await runLeadTransaction(services, candidate.leadId, async (tx) => {
      const step = await loadStep(tx, candidate.id);
      const lead = step && (await tx.lead.findUnique({ where: { id: step.leadId }, select: { status: true, round: true } }));
      if (!step || !lead || lead.status !== 'pending' || lead.round !== step.round) return false;
      if (dueReminders([step], now, office, env.BOT_TIMEZONE).length === 0) return false;
      const holders = await loadHolders(tx, env.BOT_ADMINS);
      await applyTransition(tx, services, step.leadId, remindStep(toStepState(step), now), holders, now);
      return true;
    });
    if (reminded) stepIds.push(candidate.id);
  }
  if (stepIds.length > 0) services.kickOutbox();
  return { stepIds };
}
