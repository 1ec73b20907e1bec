// A stand-in of the Lark Open Platform (the few endpoints the bot uses), for tests and the local sandbox.
// It is a fastify plugin, so it can be mounted on the bot's own server, and `startLarkStandIn()` runs it
// alone on 127.0.0.1 with a random port. A test inspects and steers it through `LarkStandInState`.
//
// Paths and shapes follow the Open Platform. Error codes Lark documents are used where the bot depends on
// them (99991663/99991661 token, 99991400 rate limit, 99992402 invalid field); the remaining failure
// codes (unknown message, user or file) are stand-in choices: the bot only relies on `code != 0`.
//
// The parts live in standin/: state.ts (what the stand-in knows, LarkStandInState), routes.ts (the endpoints,
// larkStandInPlugin), limits.ts (Feishu's rate limits), content.ts (message and card checks), multipart.ts.
import Fastify from 'fastify';
import { larkStandInPlugin } from './standin/routes.ts';
import { LarkStandInState, type StandInOptions } from './standin/state.ts';

export {
  LarkStandInState, p2pChatId, STANDIN_APP_ID, STANDIN_APP_SECRET, STANDIN_BOT,
  type DeliveredMessage, type Delivery, type Fault, type IncomingMessage, type RecordedCall, type StandInFile, type StandInOptions,
} from './standin/state.ts';
export { FEISHU_RATE_LIMITS, type RateLimits } from './standin/limits.ts';
export { larkStandInPlugin, type LarkStandInPluginOptions } from './standin/routes.ts';
export { parseMultipart, type MultipartBody, type MultipartPart } from './standin/multipart.ts';

export interface RunningStandIn {
  /** Base URL, e.g. http://127.0.0.1:41234 (use as the Lark `domain`). */
  url: string;
  state: LarkStandInState;
  close(): Promise<void>;
}

/** Runs the stand-in on 127.0.0.1 with a random port. */
export async function startLarkStandIn(opts: StandInOptions = {}): Promise<RunningStandIn> {
  const state = new LarkStandInState(opts);
  const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });
  await app.register(larkStandInPlugin, { state });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('stand-in did not get a TCP port');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    state,
    close: async () => {
      await app.close();
    },
  };
}
