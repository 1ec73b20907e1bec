// Every feature registers its commands and card actions here.
import { Bot } from './router.ts';
import type { Services } from './services.ts';
import { registerHelp } from './features/help.ts';
import { registerRegistration } from './features/register.ts';
import { registerApproval } from './features/approval.ts';
import { registerRoles } from './features/roles.ts';
import { registerQuota } from './features/quota.ts';
import { registerLifecycle } from './features/lifecycle.ts';
import { registerActivities } from './features/activities.ts';
import { registerDigests } from './features/digests.ts';

export function createBot(services: Services): Bot {
  const bot = new Bot(services);
  registerHelp(bot);
  registerRegistration(bot);
  registerApproval(bot);
  registerRoles(bot);
  registerQuota(bot);
  registerLifecycle(bot);
  registerActivities(bot);
  registerDigests(bot);
  return bot;
}
