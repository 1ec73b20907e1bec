// The real service (createApp) whose message handler never finishes: it prints "HANDLING <eventId>" and waits
// to be killed by the test (SIGKILL), as a process that dies while handling a poison message would.
//   DATABASE_URL, LARK_DOMAIN (the test's stand-in), CLOCK_OFFSET_MS (this process's clock runs ahead by it,
//   so a lock taken by an earlier, killed child has expired)
import { createApp } from '../../src/app.ts';
import { parseEnv } from '../../src/platform/config/env.ts';
import { defaultOffice } from '../../src/office/config.ts';
import { STANDIN_APP_ID, STANDIN_APP_SECRET } from '../../src/sandbox/standin.ts';

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}

const offset = Number(need('CLOCK_OFFSET_MS'));
const env = parseEnv({
  PORT: '1',
  HOST: '127.0.0.1',
  DATABASE_URL: need('DATABASE_URL'),
  DB_AUTO_MIGRATE: 'false',
  LARK_APP_ID: STANDIN_APP_ID,
  LARK_APP_SECRET: STANDIN_APP_SECRET,
  LARK_DOMAIN: need('LARK_DOMAIN'),
  LARK_ENCRYPT_KEY: 'crash-child-key',
  LARK_VERIFICATION_TOKEN: 'crash-child-token',
  LOG_LEVEL: 'silent',
});
const app = await createApp({ env: { ...env, PORT: 0 }, office: defaultOffice(), clock: () => new Date(Date.now() + offset) });
app.bot.handleMessage = async (ev) => {
  process.stdout.write(`HANDLING ${ev.eventId}\n`);
  await new Promise(() => {}); // dies here
};
await app.listen(); // resumes unhandled events
process.stdout.write('LISTENING\n');
setInterval(() => {}, 60_000); // stay alive until killed
