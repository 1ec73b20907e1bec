// POST /lark/events (event subscription URL) and POST /lark/card (card callback URL).
// There is no fastify adapter in the node-sdk, so this route keeps the raw body (the signature covers the
// exact bytes), lets src/platform/lark/intake.ts decrypt and verify it, and hands the event to the sink (the inbox).
import type { FastifyPluginAsync } from 'fastify';
import { ERRORS, errorBody } from '../errors.ts';
import { normaliseEvent, toLarkAnswer, verifyRequest, type EventSink, type IntakeSecrets } from '../lark/intake.ts';
import type { Metrics } from '../metrics.ts';

export interface LarkRoutesDeps {
  secrets: IntakeSecrets;
  /** Where each verified event goes (the app's dispatcher: the durable inbox). */
  deliver: EventSink;
  metrics: Metrics;
  now?: () => number;
}

export const larkRoutes: FastifyPluginAsync<LarkRoutesDeps> = async (app, deps) => {
  // Encapsulated: only these routes read bodies as raw strings.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));

  // When each request arrived: a card action's 3 s run from here, not from when its handler got the CPU.
  const arrivals = new WeakMap<object, number>();
  app.addHook('onRequest', async (req) => {
    arrivals.set(req.raw, Date.now());
  });

  const handle = async (req: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const raw = typeof req.body === 'string' ? req.body : '';
    const result = verifyRequest(raw, req.headers, deps.secrets, (deps.now ?? Date.now)());
    if ('status' in result) {
      req.log.warn({ route: req.url, reason: result.reason, ip: req.ip }, `refused Lark callback: ${result.reason}`);
      deps.metrics.eventsReceived.inc({ type: 'refused', outcome: String(result.status) });
      const refusal = result.status === 401 ? ERRORS.UNAUTHORIZED : result.reason === 'malformed JSON' ? ERRORS.BAD_JSON : ERRORS.BAD_REQUEST;
      return reply.code(result.status).send(errorBody(refusal));
    }
    if (result.kind === 'challenge') return reply.send({ challenge: result.challenge });
    const event = normaliseEvent(result.eventId, result.eventType, result.payload);
    // Settles once the answer has been written out (or the connection is gone): a delayed card update
    // must come after Lark has the callback's answer.
    const answered = new Promise<void>((resolve) => {
      reply.raw.once('finish', resolve);
      reply.raw.once('close', resolve);
    });
    const answer = await deps.deliver(event, answered, arrivals.get(req.raw));
    return reply.send(toLarkAnswer(answer));
  };

  app.post('/lark/events', handle);
  app.post('/lark/card', handle);
};
