// Keeps the bookkeeping tables small: handled event ids, delivered outbox rows and abandoned drafts are
// only needed for a while.
//   - ProcessedEvent: Lark re-sends an unanswered event for a few hours; ids are kept 7 days.
//   - OutboxMessage: a sent card must stay findable to be patched while it is interactive (14 days);
//     sent, given-up and dropped (a card made when sent that had nothing left to say) rows are kept 30 days.
//   - LeadDraft: a form waiting for 仍然提交 or 确认导入 is dropped after 2 days.
import type { JobDef } from './scheduler.ts';

const DAY = 86_400_000;
export const KEEP = { events: 7 * DAY, outbox: 30 * DAY, drafts: 2 * DAY } as const;

export const housekeepingJob: JobDef = {
  name: 'housekeeping',
  async run({ services, now }) {
    const db = services.db;
    const before = (ms: number) => new Date(now.getTime() - ms);
    const events = await db.processedEvent.deleteMany({ where: { status: { in: ['done', 'failed'] }, receivedAt: { lt: before(KEEP.events) } } });
    const outbox = await db.outboxMessage.deleteMany({ where: { status: { in: ['sent', 'dead', 'dropped'] }, createdAt: { lt: before(KEEP.outbox) } } });
    const drafts = await db.leadDraft.deleteMany({ where: { createdAt: { lt: before(KEEP.drafts) } } });
    return {
      sent: 0,
      skipped: 0,
      summary: `housekeeping: removed ${events.count} handled event id(s), ${outbox.count} delivered outbox row(s), ${drafts.count} abandoned draft(s)`,
    };
  },
};
