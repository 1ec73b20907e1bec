// A stand-in of Lark's long-connection (长连接) endpoint, for tests and the local sandbox. A fastify plugin:
// POST /callback/ws/endpoint hands out a one-time WebSocket URL on the same HTTP server, and the socket
// speaks Lark's protobuf frames (pbbp2.Frame): it answers pings with pongs carrying the client config, and
// `pushEvent` sends an event frame and resolves with the client's ACK.
//
// The frame schema below is written from the wire format (field numbers and types as the node-sdk's
// generated pbbp2 code reads and writes them) and encoded with protobufjs, not with the SDK's own encoder,
// so a test that passes shows the SDK really speaks it.
// Stand-in choices (not confirmed from an official page): the error codes of the endpoint (taken from the
// SDK's ErrorCode enum), the URL's query parameters, and the 403 for an unknown ticket.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import protobuf from 'protobufjs';

// ---- protobuf frames ------------------------------------------------------------------------------------

const root = protobuf.Root.fromJSON({
  nested: {
    pbbp2: {
      nested: {
        Header: {
          fields: {
            key: { rule: 'required', type: 'string', id: 1 },
            value: { rule: 'required', type: 'string', id: 2 },
          },
        },
        Frame: {
          fields: {
            SeqID: { rule: 'required', type: 'uint64', id: 1 },
            LogID: { rule: 'required', type: 'uint64', id: 2 },
            service: { rule: 'required', type: 'int32', id: 3 },
            method: { rule: 'required', type: 'int32', id: 4 },
            headers: { rule: 'repeated', type: 'Header', id: 5 },
            payloadEncoding: { type: 'string', id: 6 },
            payloadType: { type: 'string', id: 7 },
            payload: { type: 'bytes', id: 8 },
            LogIDNew: { type: 'string', id: 9 },
          },
        },
      },
    },
  },
});
const FrameType = root.lookupType('pbbp2.Frame');

/** Frame.method */
export const FRAME_CONTROL = 0;
export const FRAME_DATA = 1;

export interface Frame {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: { key: string; value: string }[];
  payload?: Uint8Array;
}

export function encodeFrame(frame: Frame): Uint8Array {
  return FrameType.encode(FrameType.fromObject(frame)).finish();
}

export function decodeFrame(bytes: Uint8Array): Frame {
  const o = FrameType.toObject(FrameType.decode(bytes), { longs: Number, defaults: true }) as Frame;
  return { ...o, headers: o.headers ?? [], payload: o.payload && o.payload.length ? o.payload : undefined };
}

export function frameHeader(frame: Frame, key: string): string | undefined {
  return frame.headers.find((h) => h.key === key)?.value;
}

// ---- the `ws` package, typed by what this file uses (it ships no types of its own) -----------------------

interface WsSocket {
  readonly readyState: number;
  send(data: Uint8Array, cb?: (err?: Error) => void): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer) => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}
interface WsServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WsSocket) => void): void;
  close(): void;
}
const { WebSocketServer } = createRequire(import.meta.url)('ws') as { WebSocketServer: new (opts: { noServer: true }) => WsServer };
const OPEN = 1;

// ---- the stand-in ---------------------------------------------------------------------------------------

/** What Lark tells the client in the endpoint answer and in every pong. Seconds; ReconnectCount -1 = forever. */
export interface WsClientConfig {
  PingInterval: number;
  ReconnectCount: number;
  ReconnectInterval: number;
  ReconnectNonce: number;
}

export interface WsStandInOptions {
  appId: string;
  appSecret: string;
  /** Defaults are Lark's: ping every 120 s, reconnect forever every 120 s, spread by up to 30 s. */
  clientConfig?: Partial<WsClientConfig>;
  /** How long pushEvent waits for the ACK. */
  ackTimeoutMs?: number;
}

/** The client's answer to one event frame. */
export interface WsAck {
  /** 200 when the handler ran, 500 when it threw. */
  code: number;
  /** The handler's return value (for card callbacks: the toast / card answer), when it returned one. */
  data?: unknown;
  /** Headers of the ACK frame (the event's, plus biz_rt). */
  headers: Record<string, string>;
}

export const WS_PATH = '/ws/v2';
export const WS_ENDPOINT_PATH = '/callback/ws/endpoint';
/** Lark allows at most 50 long connections per app. */
export const MAX_CONNECTIONS = 50;
const SERVICE_ID = 33554678;
const TICKET_TTL_MS = 60_000;

interface Connection {
  id: string;
  socket: WsSocket;
  connectedAt: number;
}

interface PendingAck {
  resolve: (ack: WsAck) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class LarkWsStandIn {
  readonly appId: string;
  readonly appSecret: string;
  readonly clientConfig: WsClientConfig;
  readonly ackTimeoutMs: number;
  /** Every endpoint request, in order. */
  readonly endpointCalls: { at: number; appId: unknown; ok: boolean }[] = [];
  /** Connections ever accepted (a reconnect adds one). */
  connectionsAccepted = 0;
  /** Pings received from clients. */
  pings = 0;
  /** When false, pings go unanswered (a half-open connection). */
  answerPings = true;

  private readonly tickets = new Map<string, number>();
  private readonly live = new Set<Connection>();
  private readonly pending = new Map<string, PendingAck>();
  private seq = 0;
  private next = 0;

  constructor(opts: WsStandInOptions) {
    this.appId = opts.appId;
    this.appSecret = opts.appSecret;
    this.clientConfig = { PingInterval: 120, ReconnectCount: -1, ReconnectInterval: 120, ReconnectNonce: 30, ...opts.clientConfig };
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
  }

  /** Open connections. */
  connections(): number {
    return [...this.live].filter((c) => c.socket.readyState === OPEN).length;
  }

  /** Cuts every connection at once, as a network failure would. */
  dropAll(): void {
    for (const c of this.live) c.socket.terminate();
    this.live.clear();
  }

  /**
   * Sends one v2 event (`{schema, header, event}`) to ONE connected client, as Lark does, and resolves with
   * its ACK. Rejects when no client is connected or no ACK arrives within `ackTimeoutMs`.
   */
  pushEvent(envelope: Record<string, unknown>): Promise<WsAck> {
    const open = [...this.live].filter((c) => c.socket.readyState === OPEN);
    if (!open.length) return Promise.reject(new Error('no client is connected to the long-connection stand-in'));
    const target = open[this.next++ % open.length];
    const messageId = `msg_${randomUUID()}`;
    this.seq += 1;
    const frame: Frame = {
      SeqID: this.seq,
      LogID: this.seq,
      service: SERVICE_ID,
      method: FRAME_DATA,
      headers: [
        { key: 'type', value: 'event' },
        { key: 'message_id', value: messageId },
        { key: 'sum', value: '1' },
        { key: 'seq', value: '0' },
        { key: 'trace_id', value: randomUUID() },
      ],
      payload: Buffer.from(JSON.stringify(envelope)),
    };
    return new Promise<WsAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(messageId);
        reject(new Error(`no ACK for event frame ${messageId} within ${this.ackTimeoutMs} ms`));
      }, this.ackTimeoutMs);
      this.pending.set(messageId, { resolve, reject, timer });
      target.socket.send(encodeFrame(frame), (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(messageId);
        reject(err);
      });
    });
  }

  /** Answers POST /callback/ws/endpoint. `host` is the Host header the client used. */
  endpoint(body: unknown, host: string): { code: number; msg: string; data?: unknown } {
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const ok = b.AppID === this.appId && b.AppSecret === this.appSecret;
    this.endpointCalls.push({ at: Date.now(), appId: b.AppID, ok });
    // Error answers carry an empty `data`: the SDK destructures it before it looks at `code`.
    if (!ok) return { code: 514, msg: 'auth failed: app id or app secret is wrong', data: {} };
    if (this.connections() >= MAX_CONNECTIONS) return { code: 1000040350, msg: 'exceed connection limit', data: {} };
    const ticket = randomBytes(16).toString('hex');
    this.tickets.set(ticket, Date.now() + TICKET_TTL_MS);
    const deviceId = randomBytes(8).toString('hex');
    return {
      code: 0,
      msg: 'ok',
      data: {
        URL: `ws://${host}${WS_PATH}?fpid=1&device_id=${deviceId}&service_id=${SERVICE_ID}&ticket=${ticket}`,
        ClientConfig: { ...this.clientConfig },
      },
    };
  }

  /** Takes a ticket from a WebSocket URL: valid once, for a minute. */
  takeTicket(ticket: string | null): boolean {
    if (!ticket) return false;
    const until = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    return until !== undefined && until >= Date.now();
  }

  attach(socket: WsSocket): void {
    const conn: Connection = { id: randomUUID(), socket, connectedAt: Date.now() };
    this.live.add(conn);
    this.connectionsAccepted += 1;
    socket.on('message', (data) => this.onFrame(conn, data));
    socket.on('close', () => this.live.delete(conn));
    socket.on('error', () => this.live.delete(conn));
  }

  /** Ends every connection and every waiting push. */
  close(): void {
    this.dropAll();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error('long-connection stand-in closed'));
      this.pending.delete(id);
    }
  }

  private onFrame(conn: Connection, data: Buffer): void {
    let frame: Frame;
    try {
      frame = decodeFrame(data);
    } catch {
      conn.socket.terminate();
      return;
    }
    const type = frameHeader(frame, 'type');
    if (frame.method === FRAME_CONTROL && type === 'ping') {
      this.pings += 1;
      if (!this.answerPings) return;
      const pong: Frame = {
        SeqID: 0,
        LogID: 0,
        service: frame.service,
        method: FRAME_CONTROL,
        headers: [{ key: 'type', value: 'pong' }],
        payload: Buffer.from(JSON.stringify(this.clientConfig)),
      };
      conn.socket.send(encodeFrame(pong));
      return;
    }
    if (frame.method === FRAME_DATA) {
      const messageId = frameHeader(frame, 'message_id');
      const waiting = messageId ? this.pending.get(messageId) : undefined;
      if (!messageId || !waiting) return;
      this.pending.delete(messageId);
      clearTimeout(waiting.timer);
      waiting.resolve(decodeAck(frame));
    }
  }
}

function decodeAck(frame: Frame): WsAck {
  const headers = Object.fromEntries(frame.headers.map((h) => [h.key, h.value]));
  const body = frame.payload ? (JSON.parse(Buffer.from(frame.payload).toString('utf8')) as { code?: number; data?: string }) : {};
  const data = typeof body.data === 'string' ? JSON.parse(Buffer.from(body.data, 'base64').toString('utf8')) : undefined;
  return { code: typeof body.code === 'number' ? body.code : 0, data, headers };
}

export interface LarkWsStandInPluginOptions {
  standIn: LarkWsStandIn;
}

/**
 * The long-connection endpoint as a fastify plugin. It also takes over WebSocket upgrades on the server it
 * is registered on (only WS_PATH is served; other upgrade requests get 404).
 */
export const larkWsStandInPlugin: FastifyPluginAsync<LarkWsStandInPluginOptions> = async (app, { standIn }) => {
  const wss = new WebSocketServer({ noServer: true });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    if (url.pathname !== WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (!standIn.takeTicket(url.searchParams.get('ticket'))) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => standIn.attach(ws));
  };
  app.server.on('upgrade', onUpgrade);

  app.post(WS_ENDPOINT_PATH, async (req) => standIn.endpoint(req.body, req.headers.host ?? '127.0.0.1'));

  // Upgraded sockets keep the HTTP server from closing: end them first.
  app.addHook('preClose', async () => {
    app.server.off('upgrade', onUpgrade);
    standIn.close();
    wss.close();
  });
};
