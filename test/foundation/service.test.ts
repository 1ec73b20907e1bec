import { existsSync, mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startService, waitForHttp, type Child } from '../support/process.ts';

const PG = 'postgresql://postgres@127.0.0.1:5432/test';
const children: Child[] = [];
const schemas: string[] = [];
afterAll(async () => {
  for (const c of children) c.proc.kill('SIGKILL');
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await client.end();
});

async function stopGracefully(child: Child): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  child.proc.kill('SIGTERM');
  return child.exited;
}

describe('npm start', () => {
  it('creates ./data/zhaoshang.db, reports healthy, serves metrics and stops on SIGTERM with exit 0', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'svc-'));
    const port = await freePort();
    const child = startService({ PORT: String(port), HOST: '127.0.0.1' }, cwd);
    children.push(child);
    const res = await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', db: 'ok', lark: 'sandbox' });
    expect(existsSync(join(cwd, 'data', 'zhaoshang.db'))).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const name of ['kezhao_events_received_total', 'kezhao_callbacks_answered_total', 'kezhao_messages_sent_total', 'kezhao_messages_failed_total', 'kezhao_outbox_depth', 'kezhao_job_runs_total']) {
      expect(metrics).toContain(`# TYPE ${name}`);
    }
    expect(child.output()).toMatch(/LARK_APP_ID and LARK_APP_SECRET are not set/);
    const { code } = await stopGracefully(child);
    expect(code).toBe(0);
    expect(child.output()).toContain('SIGTERM: shutting down');
  });

  it('runs the same service on PostgreSQL', async () => {
    const schema = `t_svc_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    const port = await freePort();
    const child = startService({ PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: `${PG}?schema=${schema}` });
    children.push(child);
    const res = await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', db: 'ok' });
    const client = new pg.Client({ connectionString: PG });
    await client.connect();
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM "${schema}"."_prisma_migrations"`);
    await client.end();
    expect(rows[0].n).toBeGreaterThan(0);
    expect((await stopGracefully(child)).code).toBe(0);
  });

  it('answers 503 on /healthz when the database does not answer', async () => {
    const dead = await freePort(); // nothing listens there
    const port = await freePort();
    const child = startService({ PORT: String(port), HOST: '127.0.0.1', DB_AUTO_MIGRATE: 'false', DATABASE_URL: `postgresql://postgres@127.0.0.1:${dead}/test` });
    children.push(child);
    const res = await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; db: string };
    expect(body.status).toBe('error');
    // A catalogue code, never the driver's text (host, port, path).
    expect(body.db).toMatch(/^KZ_DB_(UNAVAILABLE|BUSY)$|^KZ_INTERNAL$/);
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/);
    expect((await stopGracefully(child)).code).toBe(0);
  });
});
