// LARK_MODE=ws: events and card callbacks over Lark's long connection (长连接), for networks that give the
// bot no public URL. The node-sdk's WSClient fetches the socket address from {domain}/callback/ws/endpoint,
// keeps the socket alive and reconnects; every event goes to the same sink (the durable inbox) as the webhook route's.
// A card callback's answer (toast / card) travels back in the frame's ACK.
import { EventDispatcher, LoggerLevel, WSClient, type Logger } from '@larksuiteoapi/node-sdk';
import type { FastifyBaseLogger } from 'fastify';
import { normaliseEvent, toLarkAnswer, type EventSink } from './intake.ts';
import type { CardReply } from './types.ts';

export interface LongConnection {
  /** idle | connecting | connected | reconnecting | failed */
  state(): string;
  close(): void;
}

export interface LongConnectionOptions {
  appId: string;
  appSecret: string;
  domain: string;
  /** Where each event goes (the app's dispatcher: the durable inbox). */
  deliver: EventSink;
  log: FastifyBaseLogger;
  /** Seconds without any frame after a ping before the socket counts as dead and is replaced. */
  pingTimeoutSec?: number;
  /** Milliseconds a WebSocket handshake may take before the attempt is abandoned and retried. */
  handshakeTimeoutMs?: number;
}

/** The SDK's WSClient.start() only accepts self-built app ids of this shape, and says so only in its log. */
export const LARK_APP_ID_SHAPE = /^cli_[0-9a-fA-F]{16}$/;

const DEFAULT_PING_TIMEOUT_SEC = 30;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 15_000;

const LEVELS: Record<string, LoggerLevel> = {
  fatal: LoggerLevel.fatal,
  error: LoggerLevel.error,
  warn: LoggerLevel.warn,
  info: LoggerLevel.info,
  debug: LoggerLevel.debug,
  trace: LoggerLevel.trace,
  silent: LoggerLevel.fatal,
};

/** The SDK calls each logger method with ONE argument: the array of what it wanted to log. */
function oneLine(args: unknown[]): string {
  const parts = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  return parts
    .map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p)))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Routes the SDK's log lines into our pino logger, one line each, tagged as coming from the SDK. The SDK's
 * info lines (a console how-to on start, "ws client ready", "reconnect") go to debug: the hooks below log
 * each state change in one plain line, and every failure the SDK reports is at warn or error.
 */
export function sdkLogger(log: FastifyBaseLogger): Logger {
  const at = (level: 'error' | 'warn' | 'debug' | 'trace') => (...args: unknown[]) => {
    log[level](`lark sdk: ${oneLine(args)}`);
  };
  return { error: at('error'), warn: at('warn'), info: at('debug'), debug: at('debug'), trace: at('trace') };
}

type Payload = Record<string, unknown>;

/** The SDK hands a handler the v2 header and event merged into one object. */
function idsOf(data: Payload, fallbackType: string): { eventId: string; eventType: string } {
  const eventId = typeof data.event_id === 'string' ? data.event_id : '';
  const eventType = typeof data.event_type === 'string' ? data.event_type : fallbackType;
  return { eventId, eventType };
}

export function startLongConnection(opts: LongConnectionOptions): LongConnection {
  const { appId, appSecret, domain, deliver, log } = opts;
  const logger = sdkLogger(log);
  const loggerLevel = LEVELS[log.level] ?? LoggerLevel.info;

  if (!LARK_APP_ID_SHAPE.test(appId)) {
    log.error(
      `Lark long connection not started: LARK_APP_ID "${appId}" is not a self-built app id (cli_ followed by 16 hex digits), ` +
        'and the node-sdk refuses any other. No events or card callbacks will arrive until LARK_APP_ID is corrected.',
    );
    return { state: () => 'failed', close: () => {} };
  }

  const accept = async (fallbackType: string, data: Payload, answered?: Promise<void>): Promise<CardReply | undefined> => {
    const { eventId, eventType } = idsOf(data, fallbackType);
    if (!eventId) {
      log.warn(`Lark long connection: ${eventType} event without event_id ignored`);
      return undefined;
    }
    try {
      return await deliver(normaliseEvent(eventId, eventType, data), answered);
    } catch (err) {
      // The SDK answers the frame with code 500, so Lark pushes the event again later.
      log.error({ err, eventId, eventType }, `Lark long connection: event ${eventId} (${eventType}) could not be recorded`);
      throw err;
    }
  };

  const dispatcher = new EventDispatcher({ logger, loggerLevel }).register({
    'im.message.receive_v1': async (data: Payload) => {
      await accept('im.message.receive_v1', data);
    },
    // The return value goes back in the ACK: that is the callback's answer (toast and/or card).
    // The SDK writes the ACK frame to the socket in the same turn its await of this handler resumes
    // (WSClient.handleEventData: invoke, then sendMessage), so a macrotask after we return comes after the
    // ACK: only then may a delayed card update use this callback's token.
    'card.action.trigger': async (data: Payload) => {
      let acked!: () => void;
      const answered = new Promise<void>((resolve) => (acked = resolve));
      try {
        return toLarkAnswer(await accept('card.action.trigger', data, answered));
      } finally {
        setImmediate(acked);
      }
    },
  });

  const client = new WSClient({
    appId,
    appSecret,
    domain,
    logger,
    loggerLevel,
    handshakeTimeoutMs: opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    wsConfig: { pingTimeout: opts.pingTimeoutSec ?? DEFAULT_PING_TIMEOUT_SEC },
    onReady: () => log.info(`Lark long connection: connected to ${domain} as ${appId}`),
    onReconnecting: () => log.warn('Lark long connection: connection lost, reconnecting'),
    onReconnected: () => log.info('Lark long connection: reconnected'),
    onError: (err) =>
      log.error(
        `Lark long connection: gave up: ${err.message}. Check LARK_APP_ID / LARK_APP_SECRET and that the app subscribes to events through the long connection (使用长连接接收事件/回调).`,
      ),
  });

  let closed = false;
  client.start({ eventDispatcher: dispatcher }).catch((err: unknown) => {
    log.error({ err }, `Lark long connection: could not start: ${err instanceof Error ? err.message : String(err)}`);
  });

  return {
    state: () => client.getConnectionStatus().state,
    close: () => {
      if (closed) return;
      closed = true;
      client.close({ force: true });
      log.info('Lark long connection: closed');
    },
  };
}
