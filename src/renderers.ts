// Every feature's outbox renderers: what makes a card that a job queued without its content
// (enqueueDeferred), by the name on its row. The service and `npm run job` deliver with these.
import type { ServiceRenderer } from './platform/bot/services.ts';
import { REMINDER_RENDER, renderReminder } from './features/approval/reminders.ts';
import { FOLLOW_UP_RENDER, renderFollowUp } from './features/lifecycle/follow-ups.ts';

export const RENDERERS: Readonly<Record<string, ServiceRenderer>> = {
  [REMINDER_RENDER]: renderReminder,
  [FOLLOW_UP_RENDER]: renderFollowUp,
};
