// 催办, automatic: steps pending longer than office.approval.reminderHours remind their assignees (the step
// card again, headed 催办) at most once per local day and only on work days (office.approval.workDays, less
// its holidays, plus its makeupWorkdays) within office.approval.workHours in BOT_TIMEZONE. A step with nobody to decide alerts the admins instead. The
// hourly schedule lives in src/jobs; it calls runReminders().
//
// An office with thousands of leads in approval has thousands of steps to remind each morning, each with
// several reviewers: the job records the reminders a batch of steps per transaction and queues each person's
// card without its content (enqueueDeferred). The card is made when the outbox sends it (renderReminder), from
// the lead as it is then: a step decided in the meantime, or a person who has answered, gets nothing.
import { dueReminders, reminderDay, reminderRecipients, remindStep } from './workflow.ts';
import { loadStep, loadWorkflow, markStepsReminded, pendingSteps, toStepState } from './store.ts';
import { loadHolders } from '../../platform/people.ts';
import type { Services } from '../../platform/bot/services.ts';
import { TX_OPTIONS } from '../../platform/db/client.ts';
import { enqueueDeferred, type RenderRequest } from '../../platform/delivery/outbox.ts';
import type { CardJson } from '../../platform/lark/types.ts';
import { applyTransition, loadView, runLeadTransaction, STEP_REF_TYPE, stepCopyRef } from './service.ts';
import { stepCard } from './cards.ts';

/** The outbox renderer of a 催办 card (refId: stepCopyRef). */
export const REMINDER_RENDER = 'approval.reminder';

/** Steps whose reminders are recorded and queued per transaction. */
const REMINDER_BATCH = 200;

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
  const day = reminderDay(now, env.BOT_TIMEZONE);
  const stepIds: number[] = [];
  const toPeople = due.filter((s) => reminderRecipients(toStepState(s)).length > 0);
  for (let i = 0; i < toPeople.length; i += REMINDER_BATCH) {
    const batch = toPeople.slice(i, i + REMINDER_BATCH);
    const reminded = await services.db.$transaction(async (tx) => {
      const marked = await markStepsReminded(tx, batch.map((s) => s.id), now, day);
      const steps = batch.filter((s) => marked.has(s.id));
      await enqueueDeferred(
        tx,
        steps.flatMap((s) =>
          reminderRecipients(toStepState(s)).map((userId) => ({
            receiveIdType: 'open_id' as const, receiveId: userId, render: REMINDER_RENDER, refType: STEP_REF_TYPE, refId: stepCopyRef(s.id, userId),
          })),
        ),
      );
      return steps.map((s) => s.id);
    }, TX_OPTIONS);
    stepIds.push(...reminded);
  }
  // A step with nobody left to decide alerts the admins (rare): one transition each, as a click is.
  for (const candidate of due.filter((s) => reminderRecipients(toStepState(s)).length === 0)) {
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

/**
 * A queued 催办 card as it reads when sent: the step card headed 催办 for its person, or nothing when the step
 * is no longer waiting for him (decided, withdrawn, transferred away, or he answered).
 */
export async function renderReminder(services: Services, req: RenderRequest): Promise<CardJson | null> {
  const ref = req.refId ?? '';
  const sep = ref.indexOf(':');
  const stepId = Number(ref.slice(0, sep));
  const userId = ref.slice(sep + 1);
  if (sep < 0 || !Number.isInteger(stepId)) return null;
  const step = await loadStep(services.db, stepId);
  if (!step || step.status !== 'pending' || !reminderRecipients(toStepState(step)).includes(userId)) return null;
  const loaded = await loadWorkflow(services.db, step.leadId);
  if (!loaded || loaded.lead.status !== 'pending' || loaded.lead.round !== step.round) return null;
  const holders = await loadHolders(services.db, services.env.BOT_ADMINS);
  const view = await loadView(services.db, services, loaded, holders);
  return stepCard(view, view.steps.find((s) => s.id === stepId) ?? step, userId, { reason: 'remind', now: services.clock() });
}
