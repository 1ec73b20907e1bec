// One benchmark target in its own process (so the load generator never shares its event loop):
//   sdk      the node-sdk's own express + EventDispatcher sample (persists nothing)
//   fastify  a fastify hello-world
//   bot      this bot (createApp), on DATABASE_URL, with Lark at LARK_DOMAIN; BENCH_SEED=cards seeds staff
//            and leads in approval for the card-callback section, outbound queues BENCH_OUTBOUND messages
// It sends {port, ...} over IPC once it listens, then waits for SIGTERM.
import type { AddressInfo } from 'node:net';
import { ENCRYPT_KEY, loadBenchModule, VERIFICATION_TOKEN } from './lib.ts';

type Ready = { port: number; [k: string]: unknown };
const send = (msg: Ready) => process.send?.(msg);

async function sdkSample(): Promise<void> {
  const lark = await import('@larksuiteoapi/node-sdk');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- express is a bench-only devDependency without types here
  const express = await loadBenchModule<any>('express');
  // As in the SDK's README: express.json(), an EventDispatcher with the encrypt key, adaptExpress.
  const dispatcher = new lark.EventDispatcher({ encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN, loggerLevel: lark.LoggerLevel.error }).register({
    'im.message.receive_v1': async () => {},
  });
  const app = express();
  app.use(express.json());
  app.post('/lark/events', lark.adaptExpress(dispatcher, { autoChallenge: true }));
  const server = app.listen(0, '127.0.0.1', () => send({ port: (server.address() as AddressInfo).port }));
}

async function fastifyHello(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.post('/lark/events', async () => ({ hello: 'world' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  send({ port: (app.server.address() as AddressInfo).port });
}

/** The service as `npm start` runs it: compiled (dist/) when the build is current, else the sources. */
async function service(): Promise<{ code: string; ext: string }> {
  // @ts-expect-error -- a plain .mjs script without types
  const { isStale } = (await import('../build.mjs')) as { isStale: () => boolean };
  return isStale() ? { code: '../../src', ext: 'ts' } : { code: '../../dist', ext: 'js' };
}

async function bot(): Promise<void> {
  const { code, ext } = await service();
  const { parseEnv } = (await import(`${code}/platform/config/env.${ext}`)) as typeof import('../../src/platform/config/env.ts');
  const { defaultOffice } = (await import(`${code}/office/config.${ext}`)) as typeof import('../../src/office/config.ts');
  const { createApp } = (await import(`${code}/app.${ext}`)) as typeof import('../../src/app.ts');
  const env = parseEnv({ ...process.env, PORT: '1', HOST: '127.0.0.1', LARK_ENCRYPT_KEY: ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN, LOG_LEVEL: 'silent' });
  const app = await createApp({ env: { ...env, PORT: 0 }, office: defaultOffice() });
  const extra: Record<string, unknown> = {};
  if (process.env.BENCH_SEED === 'cards') Object.assign(extra, await (await import('./seed.ts')).seedCards(app, Number(process.env.BENCH_CLICKS ?? 300)));
  if (process.env.BENCH_OUTBOUND) {
    const { enqueue, textContent } = await import('../../src/platform/delivery/outbox.ts');
    const n = Number(process.env.BENCH_OUTBOUND);
    const msgs = Array.from({ length: n }, (_, i) => ({ op: 'send' as const, receiveIdType: 'chat_id' as const, receiveId: `oc_benchchat${i % 20}`, msgType: 'text' as const, content: textContent(`第 ${i + 1} 条`) }));
    for (let i = 0; i < msgs.length; i += 200) await enqueue(app.database.prisma, msgs.slice(i, i + 200));
  }
  const address = await app.listen();
  send({ port: Number(new URL(address).port), ...extra });
  process.on('SIGTERM', () => void app.stop().finally(() => process.exit(0)));
}

const kind = process.argv[2];
const run = kind === 'sdk' ? sdkSample : kind === 'fastify' ? fastifyHello : kind === 'bot' ? bot : undefined;
if (!run) throw new Error(`unknown target ${kind}`);
process.on('SIGTERM', () => process.exit(0));
await run();
