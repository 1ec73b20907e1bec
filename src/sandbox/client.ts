// The bot's Lark client in sandbox mode: the real client (src/platform/lark/api.ts), pointed at the stand-in mounted
// on the bot's own server. The server's address is known only once it listens (PORT may be 0), so the
// client is built on its first call, from the address the server actually got. Nothing calls Lark before
// an event arrives or the outbox has work, and both need a listening server.
import type { AddressInfo } from 'node:net';
import { createLarkApi, LarkApiError, type LarkApi } from '../platform/lark/api.ts';

/** Base URL of a listening server as seen from this machine (a wildcard address becomes loopback). */
export function loopbackUrl(address: AddressInfo | string | null): string | undefined {
  if (!address || typeof address === 'string') return undefined;
  const host = address.address;
  if (host === '0.0.0.0' || host === '::' || host === '') return `http://127.0.0.1:${address.port}`;
  return address.family === 'IPv6' || host.includes(':') ? `http://[${host}]:${address.port}` : `http://${host}:${address.port}`;
}

export interface DeferredLarkApiOptions {
  appId: string;
  appSecret: string;
  /** The stand-in's base URL; undefined while the server is not listening yet. */
  domain: () => string | undefined;
}

/** A LarkApi whose real client is created on first use, when the domain is known. */
export function deferredLarkApi(opts: DeferredLarkApiOptions): LarkApi {
  let api: LarkApi | undefined;
  const get = (): LarkApi => {
    if (api) return api;
    const domain = opts.domain();
    // Retryable: the outbox tries again once the server listens.
    if (!domain) throw new LarkApiError('sandbox: the server is not listening yet', { retryable: true });
    api = createLarkApi({ appId: opts.appId, appSecret: opts.appSecret, domain });
    return api;
  };
  return {
    send: async (...args) => get().send(...args),
    reply: async (...args) => get().reply(...args),
    patch: async (...args) => get().patch(...args),
    cardUpdate: async (...args) => get().cardUpdate(...args),
    getUserName: async (...args) => get().getUserName(...args),
    downloadResource: async (...args) => get().downloadResource(...args),
    uploadFile: async (...args) => get().uploadFile(...args),
    getBotInfo: async () => get().getBotInfo(),
  };
}
