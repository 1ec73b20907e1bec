// Every feature registers its commands and card actions here.
import { Bot } from './router.ts';
import type { Services } from './services.ts';
import { registerHelp } from './features/help.ts';

export function createBot(services: Services): Bot {
  const bot = new Bot(services);
  registerHelp(bot);
  return bot;
}
