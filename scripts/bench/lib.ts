// Shared by the benchmark (scripts/bench/index.ts) and its targets (scripts/bench/target.ts): payloads signed
// and encrypted the way Lark sends them, latency statistics, process RSS, loading the bench-only packages.
import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const ENCRYPT_KEY = 'bench-encrypt-key';
export const VERIFICATION_TOKEN = 'bench-verification-token';

/**
 * Loads a devDependency of the benchmark (autocannon, express). BENCH_MODULES may name a folder holding a
 * node_modules of its own, to try the benchmark before the packages are installed in the project.
 */
export async function loadBenchModule<T>(name: string): Promise<T> {
  try {
    return ((await import(name)) as { default: T }).default;
  } catch (err) {
    const dir = process.env.BENCH_MODULES;
    if (!dir) throw new Error(`${name} is not installed: npm install -D autocannon express (or set BENCH_MODULES)`, { cause: err });
    return createRequire(join(dir, 'noop.js'))(name) as T;
  }
}

export function encryptBody(payload: unknown): string {
  const key = createHash('sha256').update(ENCRYPT_KEY).digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const data = Buffer.concat([iv, cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return JSON.stringify({ encrypt: data.toString('base64') });
}

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

export function signed(payload: unknown): SignedRequest {
  const body = encryptBody(payload);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomUUID();
  const signature = createHash('sha256').update(timestamp + nonce + ENCRYPT_KEY + body).digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': signature } };
}

/** An im.message.receive_v1 text message from `sender` in their p2p chat. */
export function messageEvent(eventId: string, sender: string, text: string, messageId = `om_${randomUUID().replace(/-/g, '')}`): Record<string, unknown> {
  return {
    schema: '2.0',
    header: { event_id: eventId, event_type: 'im.message.receive_v1', create_time: String(Date.now()), token: VERIFICATION_TOKEN, app_id: 'cli_a1b2c3d4e5f60718', tenant_key: 'tenant' },
    event: {
      sender: { sender_id: { open_id: sender }, sender_type: 'user', tenant_key: 'tenant' },
      message: { message_id: messageId, create_time: String(Date.now()), chat_id: `oc_p2p_${sender}`, chat_type: 'p2p', message_type: 'text', content: JSON.stringify({ text }), mentions: [] },
    },
  };
}

export function cardEvent(operator: string, action: Record<string, unknown>, messageId?: string): Record<string, unknown> {
  return {
    schema: '2.0',
    header: { event_id: randomUUID(), event_type: 'card.action.trigger', create_time: String(Date.now()), token: VERIFICATION_TOKEN, app_id: 'cli_a1b2c3d4e5f60718', tenant_key: 'tenant' },
    event: {
      operator: { open_id: operator, tenant_key: 'tenant' },
      token: `c-${randomUUID()}`,
      action: { tag: 'button', ...action },
      host: 'im_message',
      context: messageId ? { open_message_id: messageId, open_chat_id: `oc_p2p_${operator}` } : {},
    },
  };
}

/**
 * `count` message events from 200 senders; every tenth is a re-delivery of an earlier one (same event
 * id, as Lark re-sends it).
 */
export function intakePayloads(count: number): SignedRequest[] {
  const out: SignedRequest[] = [];
  const firsts: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    let ev: Record<string, unknown>;
    if (i % 10 === 9 && firsts.length) ev = firsts[Math.floor(firsts.length / 2 + (i % 7)) % firsts.length];
    else {
      ev = messageEvent(randomUUID(), `ou_bench${String(i % 200).padStart(4, '0')}`, '你好');
      firsts.push(ev);
    }
    out.push(signed(ev));
  }
  return out;
}

export interface LatencyStats {
  n: number;
  p50: number;
  p99: number;
  max: number;
  over3s: number;
}

export function latencyStats(ms: number[]): LatencyStats {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : NaN);
  return { n: s.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(s[s.length - 1] ?? NaN), over3s: s.filter((x) => x > 3000).length };
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Resident set size of a process and its descendants, in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  let kb = 0;
  const seen = new Set<number>();
  const visit = (p: number) => {
    if (seen.has(p)) return;
    seen.add(p);
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
      for (const t of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').split(/\s+/).filter(Boolean)) visit(Number(t));
    } catch {
      /* gone */
    }
  };
  visit(pid);
  return round(kb / 1024);
}
