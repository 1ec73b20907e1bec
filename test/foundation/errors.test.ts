// One error handler for every route: a database that refuses connections, malformed and oversized bodies and
// unknown paths are answered from the error catalogue ({code, msg}), never with a stack, a path, SQL or
// Prisma's text; a card callback still gets HTTP 200 with a Chinese toast (Lark shows an error otherwise).
import { mkdtempSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { parseEnv } from '../../src/platform/config/env.ts';
import { defaultOffice } from '../../src/office/config.ts';
import { ERRORS } from '../../src/platform/errors.ts';
import { BUSY_REPLY } from '../../src/platform/delivery/inbox.ts';
import { startLarkStandIn, STANDIN_APP_ID, STANDIN_APP_SECRET, type RunningStandIn } from '../../src/sandbox/standin.ts';
import { cardEvent, encryptBody, signedHeaders, textEvent } from '../support/lark-sign.ts';
import { testProvider } from '../support/db.ts';
import { freePort } from '../support/process.ts';

const ENCRYPT_KEY = 'errors-encrypt-key';
const TOKEN = 'errors-verification-token';
const ALICE = 'ou_alice0001';

// What must never reach the caller: Prisma's and the drivers' words, source paths, code, SQL.
const LEAK = /prisma|invocation|ECONNREFUSED|sqlite|\.ts\b|\.js\b|node_modules|\/work\/|at \w|SELECT|INSERT|stack|→/i;

let lark: RunningStandIn;
let app: App;
let url: string;

/** A database that cannot be used: a PostgreSQL port nobody listens on, or a SQLite "file" that is a directory. */
async function deadDatabaseUrl(): Promise<string> {
  if (testProvider() === 'postgres') return `postgresql://postgres@127.0.0.1:${await freePort()}/test?schema=t_dead`;
  return `file:${mkdtempSync(join(tmpdir(), 'kezhao-dead-db-'))}`;
}

beforeAll(async () => {
  lark = await startLarkStandIn();
  const env = parseEnv({
    PORT: '1',
    HOST: '127.0.0.1',
    DATABASE_URL: await deadDatabaseUrl(),
    DB_AUTO_MIGRATE: 'false',
    LARK_APP_ID: STANDIN_APP_ID,
    LARK_APP_SECRET: STANDIN_APP_SECRET,
    LARK_DOMAIN: lark.url,
    LARK_ENCRYPT_KEY: ENCRYPT_KEY,
    LARK_VERIFICATION_TOKEN: TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  });
  app = await createApp({ env: { ...env, PORT: 0 }, office: defaultOffice() });
  url = await app.listen();
});
afterAll(async () => {
  await app?.stop().catch(() => {});
  await lark?.close();
});

async function post(path: string, raw: string, headers: Record<string, string> = signedHeaders(ENCRYPT_KEY, raw)): Promise<{ status: number; text: string; body: any }> {
  const res = await fetch(url + path, { method: 'POST', headers, body: raw });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, text, body };
}

describe('with the database refusing connections', () => {
  it('answers a card callback with HTTP 200 and a polite Chinese toast, nothing of Prisma in it', async () => {
    const raw = encryptBody(ENCRYPT_KEY, cardEvent({ token: TOKEN, operatorId: ALICE, value: { action: 'lead.show', code: 'KZ-2026-0001' }, eventId: randomUUID() }));
    const res = await post('/lark/card', raw);
    expect(res.status).toBe(200);
    expect(res.text).not.toMatch(LEAK);
    // The catalogue's toast; or, when the failure takes longer than the 3 s budget (a slow machine), the
    // inbox's 「正在处理」 given on time instead.
    expect(res.body).toBeOneOf([{ toast: { type: 'error', content: ERRORS.DB_UNAVAILABLE.msg } }, BUSY_REPLY]);
  });

  it('answers a message event with a 5xx (so Lark re-sends it) and only {code, msg}', async () => {
    const raw = encryptBody(ENCRYPT_KEY, textEvent({ token: TOKEN, senderId: ALICE, chatId: 'oc_x', text: '/help', eventId: randomUUID() }));
    const res = await post('/lark/events', raw);
    expect(res.status).toBe(503);
    expect(res.text).not.toMatch(LEAK);
    expect(res.body).toEqual({ code: 'KZ_DB_UNAVAILABLE', msg: ERRORS.DB_UNAVAILABLE.msg });
  });
});

describe('bad requests', () => {
  it('answers malformed JSON with a clean 400', async () => {
    const bad = '{"schema": "2.0", ';
    for (const path of ['/lark/events', '/lark/card']) {
      const res = await post(path, bad);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 'KZ_BAD_JSON', msg: ERRORS.BAD_JSON.msg });
    }
  });

  it('answers a body over 1 MB with a clean 413', async () => {
    const big = JSON.stringify({ encrypt: 'a'.repeat(1024 * 1024 + 10) });
    const res = await post('/lark/events', big);
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ code: 'KZ_BODY_TOO_LARGE', msg: ERRORS.BODY_TOO_LARGE.msg });
  });

  it('answers an unknown path with a clean 404', async () => {
    const res = await fetch(url + '/no/such/path');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 'KZ_NOT_FOUND', msg: ERRORS.NOT_FOUND.msg });
  });
});
