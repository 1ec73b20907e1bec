// Every feature registers its commands and card actions here.
import { Bot } from './platform/bot/router.ts';
import type { Services } from './platform/bot/services.ts';
import { registerHelp } from './features/help/help.ts';
import { registerRegistration } from './features/register/commands.ts';
import { registerApproval } from './features/approval/commands.ts';
import { registerExperts } from './features/approval/experts.ts';
import { registerRoles } from './features/admin/roles.ts';
import { registerQuota } from './features/quotas/commands.ts';
import { registerLifecycle } from './features/lifecycle/commands.ts';
import { registerActivities } from './features/activities/commands.ts';
import { registerDigests } from './features/digests/commands.ts';
import { registerLedger } from './features/ledger/commands.ts';
import { registerCarriers } from './features/carriers/commands.ts';
import { registerCoordination } from './features/coordination/commands.ts';

export function createBot(services: Services): Bot {
  const bot = new Bot(services);
  registerHelp(bot);
  registerRegistration(bot);
  registerApproval(bot);
  registerRoles(bot);
  registerExperts(bot);
  registerQuota(bot);
  registerLifecycle(bot);
  registerActivities(bot);
  registerCoordination(bot);
  registerDigests(bot);
  registerLedger(bot);
  registerCarriers(bot);
  return bot;
}
