// Entry point of `npm start`.
import { ConfigError, parseEnv } from './platform/config/env.ts';
import { loadOffice } from './office/config.ts';

const SHUTDOWN_LIMIT_MS = 10_000;

async function main(): Promise<void> {
  let env;
  let office;
  try {
    env = parseEnv();
    office = loadOffice(env.BOT_CONFIG);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  // Loaded after the configuration is known to be good, so a bad value fails fast and plainly.
  const { createApp } = await import('./app.ts');
  const app = await createApp({ env, office });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.server.log.info(`${signal}: shutting down`);
    const timer = setTimeout(() => {
      app.server.log.error('shutdown took longer than 10 s; exiting anyway');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    timer.unref();
    app.stop().then(
      () => process.exit(0),
      (err) => {
        app.server.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await app.listen();
  // The one line a newcomer needs, readable among the JSON log lines.
  const sandbox = app.sandboxUrl();
  if (sandbox) process.stdout.write(`\nSandbox: ${sandbox}  (no Lark app configured: open this page to try the bot)\n\n`);
}

main().catch((err: Error) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`startup failed: ${err.message.split('\n')[0]}\n`);
  process.exit(1);
});
