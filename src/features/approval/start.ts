// Entry points of the approval workflow for the registration feature. Both run INSIDE the caller's
// transaction (the one that wrote the lead), so the lead, its steps, the audit trail and the first cards
// commit together or not at all.
//
// Contract (agreed with src/bot/features/register and src/features/leads/store.ts):
//
// startApproval(tx, services, leadId) — round 1.
//   Before: the caller inserted the lead with status 'pending', round 1, no ApprovalStep rows, and its
//           AuditEvent 'submit' (createLead in src/features/leads/store.ts does both).
//   Does:   workflow.submit: marks it major when the investment reaches the threshold, creates every step of
//           round 1 ([预审] → 初审 → 审签 [→ 领导小组]), starts the first one with every current holder of its
//           role (never the submitter), bumps Lead.version, and enqueues the step cards (or the admins'
//           无人可审批 alert when nobody holds the role). It records no AuditEvent 'submit' of its own.
//
// startResubmission(tx, services, leadId) — the submitter sends a returned (退回修改) or withdrawn (撤回)
//   lead again.
//   Before: the caller saved the submitter's edits into the lead's columns and LEFT `status`
//           ('returned' | 'withdrawn') AND `round` UNCHANGED (bumping `version` is fine).
//   Does:   workflow.resubmit: status → 'pending', round → round + 1, a new round starting again at the first
//           step (planned from the edited kind and investment), AuditEvent 'resubmit', step cards to the
//           first step's assignees.
//   Throws: when the lead is not returned/withdrawn (e.g. the caller already moved it to 'pending'); the
//           caller's transaction then rolls back.
//
// Both throw WorkflowConflict when the lead's version changed under them (the caller may retry). Neither
// wakes the outbox: call services.kickOutbox() after your transaction commits (ctx.reply does it).
// Neither may be called outside a transaction, and neither takes the per-lead queue of service.ts.
import type { Tx } from '../../platform/db/client.ts';
import { loadWorkflow } from './store.ts';
import { loadHolders } from '../../platform/people.ts';
import { planSteps, resubmit, submit } from './workflow.ts';
import type { Services } from '../../platform/bot/services.ts';
import { adoptLivingCard, applyTransition, auditPanelDraw, panelDrawer, supersedeLivingCards } from './service.ts';
import type { ApprovalView } from './cards.ts';

export interface StartOptions {
  /**
   * The message of the form the submitter just submitted: it becomes the lead's living card (the caller
   * answers the callback with livingCardOf). Without it the living card is sent as a new message.
   */
  cardMessageId?: string;
}

/** Returns the view the first cards were drawn from (the lead as the approval left it), when any. */
export async function startApproval(tx: Tx, services: Services, leadId: number, opts: StartOptions = {}): Promise<ApprovalView | undefined> {
  const loaded = await loadWorkflow(tx, leadId);
  if (!loaded) throw new Error(`startApproval: lead ${leadId} does not exist`);
  if (loaded.steps.length > 0) throw new Error(`startApproval: lead ${leadId} already has approval steps`);
  const now = services.clock();
  const holders = await loadHolders(tx, services.env.BOT_ADMINS);
  const panel = await panelDrawer(tx, services, loaded.lead, planSteps(loaded.state.lead, services.office)[0]?.mode === 'panel');
  const t = submit(loaded.state.lead, services.office, holders, now, panel.draw);
  // createLead recorded 'submit' already (with the submitter's role): drop the workflow's own.
  const effects = t.effects.filter((e) => !(e.type === 'audit' && e.action === 'submit'));
  if (opts.cardMessageId) await adoptLivingCard(tx, services, leadId, opts.cardMessageId);
  const view = await applyTransition(tx, services, leadId, effects, holders, now, { answeredMessageId: opts.cardMessageId });
  await auditPanelDraw(tx, leadId, panel.last(), now);
  return view;
}

/** As startApproval: returns the view the new round's cards were drawn from. */
export async function startResubmission(tx: Tx, services: Services, leadId: number, opts: StartOptions = {}): Promise<ApprovalView | undefined> {
  const loaded = await loadWorkflow(tx, leadId);
  if (!loaded) throw new Error(`startResubmission: lead ${leadId} does not exist`);
  const { lead } = loaded.state;
  if (lead.status !== 'returned' && lead.status !== 'withdrawn') {
    throw new Error(
      `startResubmission: lead ${leadId} is ${lead.status} in round ${lead.round}; it must still be returned or withdrawn ` +
        '(save the edits without changing status or round — startResubmission opens the next round)',
    );
  }
  const now = services.clock();
  const holders = await loadHolders(tx, services.env.BOT_ADMINS);
  const panel = await panelDrawer(tx, services, loaded.lead, planSteps(loaded.state.lead, services.office)[0]?.mode === 'panel');
  const r = resubmit(loaded.state, { id: lead.submitterId, roles: [] }, services.office, holders, now, panel.draw);
  if (!r.ok) throw new Error(`startResubmission: lead ${leadId}: ${r.reason}`);
  if (opts.cardMessageId) {
    // Edited from another card than the living one (e.g. the /lead card): that card becomes the living one.
    const earlier = loaded.lead.cardMessageId;
    const moved = earlier !== opts.cardMessageId;
    await adoptLivingCard(tx, services, leadId, opts.cardMessageId);
    const view = await applyTransition(tx, services, leadId, r.effects, holders, now, { answeredMessageId: opts.cardMessageId });
    if (moved) await supersedeLivingCards(tx, services, leadId, earlier);
    await auditPanelDraw(tx, leadId, panel.last(), now);
    return view;
  }
  const view = await applyTransition(tx, services, leadId, r.effects, holders, now);
  await auditPanelDraw(tx, leadId, panel.last(), now);
  return view;
}
