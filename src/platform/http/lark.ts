// POST /lark/events (event subscription URL) and POST /lark/card (card callback URL).
// There is no fastify adapter in the node-sdk, so this route keeps the raw body (the signature covers the
// exact bytes), lets src/platform/lark/intake.ts decrypt and verify it, and hands the event to the inbox.
import type { FastifyPluginAsync } from 'fastify';
import { normaliseEvent, toLarkAnswer, verifyRequest, type IntakeSecrets } from '../lark/intake.ts';
import type { Inbox } from '../delivery/inbox.ts';
import type { Metrics } from '../metrics.ts';

export interface LarkRoutesDeps {
  secrets: IntakeSecrets;
  inbox: Inbox;
  metrics: Metrics;
  now?: () => number;
}

export const larkRoutes: FastifyPluginAsync<LarkRoutesDeps> = async (app, deps) => {
  // Encapsulated: only these routes read bodies as raw strings.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));

  const handle = async (req: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const raw = typeof req.body === 'string' ? req.body : '';
    const result = verifyRequest(raw, req.headers, deps.secrets, (deps.now ?? Date.now)());
    if ('status' in result) {
      req.log.warn({ route: req.url, reason: result.reason, ip: req.ip }, `refused Lark callback: ${result.reason}`);
      deps.metrics.eventsReceived.inc({ type: 'refused', outcome: String(result.status) });
      return reply.code(result.status).send({ error: result.reason });
    }
    if (result.kind === 'challenge') return reply.send({ challenge: result.challenge });
    const event = normaliseEvent(result.eventId, result.eventType, result.payload);
    const answer = await deps.inbox.accept(event);
    return reply.send(toLarkAnswer(answer));
  };

  app.post('/lark/events', handle);
  app.post('/lark/card', handle);
};
