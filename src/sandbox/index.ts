// The local sandbox: with no Lark credentials, the bot's own server also runs the stand-in of the Lark Open
// Platform (src/sandbox/standin.ts) and a web page (/sandbox) where demo people chat with the bot.
//
// The bot runs its real code path: the page's actions reach /lark/events and /lark/card as signed,
// encrypted callbacks, and its replies go through the Open Platform API (the real client, pointed at the
// stand-in). Both sides share one set of secrets generated here at start: `mountSandbox` returns them and
// the Lark client, and createApp uses those instead of the LARK_* settings.
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Db } from '../platform/db/client.ts';
import type { LarkApi } from '../platform/lark/api.ts';
import type { IntakeSecrets } from '../platform/lark/intake.ts';
import { larkStandInPlugin, LarkStandInState, STANDIN_APP_ID } from './standin.ts';
import { SandboxChats } from './chats.ts';
import { deferredLarkApi, loopbackUrl } from './client.ts';
import { DEMO_PEOPLE, DEMO_TOWN_STAFF, ensureDemoPeople, SANDBOX_BOT } from './people.ts';
import { sandboxRoutes } from './routes.ts';
import { generateSecrets } from './signer.ts';

export interface SandboxOptions {
  db: Db;
  log: FastifyBaseLogger;
}

export interface Sandbox {
  /** The bot's Lark client: talks to the stand-in on this server. */
  api: LarkApi;
  /** What the bot's callback routes must check: the secrets the sandbox signs and encrypts with. */
  secrets: Required<IntakeSecrets>;
  /** The stand-in's state (messages, files, users), for tests. */
  state: LarkStandInState;
  /** Resolves when the demo people are in the database (never rejects). */
  ready: Promise<void>;
  /** The page's URL once the server listens, e.g. http://localhost:3000/sandbox. */
  url(): string | undefined;
}

/** Registers the stand-in and the sandbox page on `server` (before it listens) and seeds the demo people. */
export async function mountSandbox(server: FastifyInstance, opts: SandboxOptions): Promise<Sandbox> {
  // The stand-in's bot is the one the page @mentions in the group, so the bot recognises itself there.
  const state = new LarkStandInState({ appId: STANDIN_APP_ID, appSecret: randomBytes(16).toString('hex'), bot: SANDBOX_BOT });
  for (const p of [...DEMO_PEOPLE, ...DEMO_TOWN_STAFF]) state.users.set(p.openId, { name: p.name });
  const secrets = generateSecrets();
  const baseUrl = () => loopbackUrl(server.server.address());
  // In the background: a database that does not answer must not keep the service from starting (/healthz says so).
  const ready = ensureDemoPeople(opts.db).catch((err: Error) => {
    opts.log.warn({ err }, `sandbox: could not add the demo people: ${err.message.split('\n')[0]}`);
  });

  await server.register(larkStandInPlugin, { state });
  await server.register(sandboxRoutes, { state, chats: new SandboxChats(state), secrets, db: opts.db, baseUrl, ready });

  // localhost when listening on every interface or on loopback; otherwise the address it listens on.
  const url = () => {
    const base = baseUrl();
    return base ? `${base.replace(/^http:\/\/(127\.0\.0\.1|\[::1\])(?=:)/, 'http://localhost')}/sandbox` : undefined;
  };
  server.addHook('onListen', async () => {
    opts.log.info(`Sandbox: ${url()}`);
  });

  return {
    api: deferredLarkApi({ appId: state.appId, appSecret: state.appSecret, domain: baseUrl }),
    secrets,
    state,
    ready,
    url,
  };
}
