// npm run bench: side-by-side measurements in one run, printed as a table and written to bench/results.json.
// Every server runs in a process of its own; only 127.0.0.1 is used. A benchmark, not a test: it asserts
// nothing, and the machine's noise is in every number (compare the ratios within one run).
//   intake    identical signed+encrypted im.message.receive_v1 payloads (10 % re-deliveries), autocannon,
//             50 connections: this bot on SQLite and PostgreSQL, the node-sdk express sample, fastify hello-world
//   cards     registration submit and approval 同意 at 1, 10 and 100 concurrent clickers
//   outbound  1,000 messages to 20 chats against the stand-in enforcing Feishu's limits
//   start     `npm start` to /healthz, RSS idle and after load
//   digest    scripts/bench-digest.ts (in-memory digest compute and render)
// BENCH_QUICK=1 shortens every section (a smoke run); TEST_PG_URL names the PostgreSQL server (skipped when
// it does not answer).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { ENCRYPT_KEY, VERIFICATION_TOKEN, cardEvent, intakePayloads, latencyStats, loadBenchModule, round, rssMiB, signed, type LatencyStats, type SignedRequest } from './lib.ts';
import type { Click } from './seed.ts';
import { startLarkStandIn, FEISHU_RATE_LIMITS, STANDIN_APP_ID, STANDIN_APP_SECRET, type RunningStandIn } from '../../src/sandbox/standin.ts';
import { migrate } from '../../src/platform/db/migrate.ts';
import { parseDatabaseUrl } from '../../src/platform/db/url.ts';
import pg from 'pg';

const ROOT = join(import.meta.dirname, '..', '..');
const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : 3;
const ROUND_S = QUICK ? 2 : 5;
const CONNECTIONS = 50;
const CLICK_LEVELS: [number, number][] = QUICK ? [[1, 10], [10, 30], [100, 100]] : [[1, 30], [10, 100], [100, 300]];
const OUTBOUND = QUICK ? 200 : 1000;
const PG_URL = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const started = Date.now();

const log = (s: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Target {
  child: ChildProcess;
  port: number;
  info: Record<string, unknown>;
  stop(): Promise<void>;
}

function startTarget(kind: string, env: Record<string, string> = {}): Promise<Target> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench/target.ts'), kind], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`target ${kind} exited with ${code}`)));
    child.once('message', (m: { port: number }) =>
      resolve({
        child,
        port: m.port,
        info: m,
        stop: () => new Promise<void>((done) => {
          child.removeAllListeners('exit');
          child.once('exit', () => done());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        }),
      }),
    );
  });
}

/** CPU time (user + system) of a process, in ms. */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // 100 ticks per second
}

// ---------------------------------------------------------------------------------------------------------
type Autocannon = (opts: Record<string, unknown>) => Promise<{ requests: { average: number; total: number }; latency: { p99: number; p50: number; max: number }; non2xx: number; errors: number }>;

async function load(port: number, payloads: SignedRequest[], cursor: { i: number }, seconds: number) {
  const autocannon = await loadBenchModule<Autocannon>('autocannon');
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{
      method: 'POST',
      path: '/lark/events',
      setupRequest: (req: Record<string, unknown>) => {
        const p = payloads[cursor.i++ % payloads.length];
        return { ...req, body: p.body, headers: p.headers };
      },
    }],
  });
}

interface IntakeRow { target: string; reqPerSec: number; p50: number; p99: number; max: number; non2xx: number; cpuMsPerEvent: number; rssIdleMiB: number; rssAfterMiB: number }

async function intake(name: string, kind: string, env: Record<string, string>, payloads: SignedRequest[]): Promise<IntakeRow> {
  const t = await startTarget(kind, env);
  await sleep(2000);
  const rssIdle = rssMiB(t.child.pid!);
  const cursor = { i: 0 };
  await load(t.port, payloads, cursor, QUICK ? 1 : 2); // warm-up
  const rounds: { rps: number; p50: number; p99: number; max: number; non2xx: number; cpu: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const cpu0 = cpuMs(t.child.pid!);
    const res = await load(t.port, payloads, cursor, ROUND_S);
    rounds.push({ rps: res.requests.average, p50: res.latency.p50, p99: res.latency.p99, max: res.latency.max, non2xx: res.non2xx + res.errors, cpu: (cpuMs(t.child.pid!) - cpu0) / Math.max(1, res.requests.total) });
  }
  const rssAfter = rssMiB(t.child.pid!);
  await t.stop();
  const mid = rounds.find((x) => x.rps === median(rounds.map((y) => y.rps)))!;
  const row = { target: name, reqPerSec: round(mid.rps, 0), p50: mid.p50, p99: mid.p99, max: mid.max, non2xx: rounds.reduce((s, x) => s + x.non2xx, 0), cpuMsPerEvent: round(mid.cpu, 2), rssIdleMiB: rssIdle, rssAfterMiB: rssAfter };
  log(`intake ${name}: ${row.reqPerSec} req/s, p99 ${row.p99} ms`);
  return row;
}

// ---------------------------------------------------------------------------------------------------------
interface CardRow extends LatencyStats { db: string; kind: string; clickers: number; errors: number }

async function clickRun(port: number, clicks: Click[], clickers: number): Promise<{ stats: LatencyStats; errors: number }> {
  const times: number[] = [];
  let errors = 0;
  let next = 0;
  // Built (and signed) just before they are posted: the signature's timestamp must be fresh.
  const requests = clicks.map((c) => signed(cardEvent(c.operator, c.action)));
  await Promise.all(Array.from({ length: clickers }, async () => {
    while (next < requests.length) {
      const r = requests[next++];
      const t0 = performance.now();
      try {
        const res = await fetch(`http://127.0.0.1:${port}/lark/card`, { method: 'POST', headers: r.headers, body: r.body });
        const body = (await res.json()) as { toast?: { type: string } };
        if (res.status !== 200 || body.toast?.type === 'error') errors++;
      } catch {
        errors++;
      }
      times.push(performance.now() - t0);
    }
  }));
  return { stats: latencyStats(times), errors };
}

async function cards(db: string, env: Record<string, string>): Promise<CardRow[]> {
  const total = CLICK_LEVELS.reduce((s, [, n]) => s + n, 0);
  const t = await startTarget('bot', { ...env, BENCH_SEED: 'cards', BENCH_CLICKS: String(total) });
  const { register, approve } = t.info as unknown as { register: Click[]; approve: Click[] };
  const rows: CardRow[] = [];
  for (const [kind, all] of [['registration submit', register], ['approval 同意', approve]] as const) {
    let offset = 0;
    for (const [clickers, n] of CLICK_LEVELS) {
      const { stats, errors } = await clickRun(t.port, all.slice(offset, offset + n), clickers);
      offset += n;
      rows.push({ db, kind, clickers, errors, ...stats });
      log(`cards ${db} ${kind} ×${clickers}: p99 ${stats.p99} ms, max ${stats.max} ms, errors ${errors}`);
    }
  }
  await t.stop();
  return rows;
}

// ---------------------------------------------------------------------------------------------------------
async function outbound(env: Record<string, string>): Promise<Record<string, number>> {
  const lark = await startLarkStandIn();
  const r = FEISHU_RATE_LIMITS;
  // The fastest Feishu's limits allow: the app's per-second and per-minute windows, and each chat's 5/s.
  const perChat = Math.ceil(OUTBOUND / 20);
  const minimumS = Math.max(OUTBOUND / r.perSecond, (perChat - 1) / r.perChat, Math.floor((OUTBOUND - 1) / r.perMinute) * 60);
  const t0 = Date.now();
  const t = await startTarget('bot', { ...env, LARK_DOMAIN: lark.url, BENCH_OUTBOUND: String(OUTBOUND) });
  const sendStart = Date.now();
  const deadline = sendStart + 120_000;
  while (lark.state.messages.length < OUTBOUND && Date.now() < deadline) await sleep(50);
  const totalS = (Date.now() - sendStart) / 1000;
  const res = { messages: OUTBOUND, chats: 20, delivered: lark.state.messages.length, throttled429: lark.state.throttled.length, totalS: round(totalS, 2), minimumS: round(minimumS, 2), ratio: round(totalS / minimumS, 2), startS: round((sendStart - t0) / 1000, 1) };
  await t.stop();
  await lark.close();
  log(`outbound: ${res.delivered}/${OUTBOUND} in ${res.totalS} s (minimum ${res.minimumS} s), ${res.throttled429} × 429`);
  return res;
}

// ---------------------------------------------------------------------------------------------------------
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** `npm start` as a newcomer runs it: the time until /healthz answers 200, and the idle RSS of the process tree. */
async function startup(env: Record<string, string>): Promise<Record<string, number>> {
  // As after `npm install`: dist/ built (else npm start compiles first and the time measured is tsc's).
  // @ts-expect-error -- a plain .mjs script without types
  const { build, isStale } = (await import('../build.mjs')) as { build: () => number; isStale: () => boolean };
  if (isStale()) log(`start: built dist/ first (${round(build() / 1000, 1)} s), as npm install does`);
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  let healthzMs = NaN;
  while (performance.now() - t0 < 60_000) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) {
        healthzMs = performance.now() - t0;
        break;
      }
    } catch {
      /* not yet */
    }
    await sleep(20);
  }
  await sleep(5000);
  const rssIdle = rssMiB(child.pid!);
  const cpu0 = treeCpu(child.pid!);
  await sleep(5000);
  const idleCpuPct = (treeCpu(child.pid!) - cpu0) / 50;
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
  log(`start: /healthz after ${round(healthzMs, 0)} ms, idle RSS ${rssIdle} MiB`);
  return { healthzMs: round(healthzMs, 0), rssIdleMiB: rssIdle, idleCpuPercent: round(idleCpuPct, 2) };
}

function treeCpu(pid: number): number {
  let sum = 0;
  const visit = (p: number) => {
    try {
      sum += cpuMs(p);
      for (const c of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').split(/\s+/).filter(Boolean)) visit(Number(c));
    } catch {
      /* gone */
    }
  };
  visit(pid);
  return sum;
}

function digest(): Promise<string[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench-digest.ts')], { cwd: ROOT, env: { ...process.env, ...(QUICK ? { BENCH_LEADS: '10000', BENCH_ROUNDS: '1' } : { BENCH_ROUNDS: '2' }) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('exit', () => resolve(out.trim().split('\n')));
  });
}

// ---------------------------------------------------------------------------------------------------------
async function pgAvailable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const work = join(tmpdir(), `kezhao-bench-${randomBytes(4).toString('hex')}`);
  mkdirSync(work, { recursive: true });
  const lark = await startLarkStandIn();
  const larkEnv = { LARK_APP_ID: STANDIN_APP_ID, LARK_APP_SECRET: STANDIN_APP_SECRET, LARK_DOMAIN: lark.url, LARK_ENCRYPT_KEY: ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN, DB_AUTO_MIGRATE: 'true' };
  const schemas: string[] = [];
  let n = 0;
  const dbs = async (): Promise<[string, string][]> => {
    const out: [string, string][] = [['SQLite', `file:${join(work, `bench-${++n}.db`)}`]];
    if (hasPg) {
      const schema = `t_bench_${randomBytes(4).toString('hex')}`;
      schemas.push(schema);
      out.push(['PostgreSQL', `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`]);
    }
    for (const [, url] of out) await migrate(parseDatabaseUrl(url));
    return out;
  };
  const hasPg = await pgAvailable();
  if (!hasPg) log(`PostgreSQL at ${PG_URL} does not answer: its rows are skipped`);
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemMiB: Math.round(totalmem() / 2 ** 20), freeMemMiB: Math.round(freemem() / 2 ** 20), node: process.version, platform: process.platform, load: readFileSync('/proc/loadavg', 'utf8').trim() },
    settings: { quick: QUICK, rounds: ROUNDS, roundSeconds: ROUND_S, connections: CONNECTIONS, clickLevels: CLICK_LEVELS, outbound: OUTBOUND },
  };
  try {
    log('startup');
    results.start = await startup({ ...larkEnv, DATABASE_URL: `file:${join(work, 'start.db')}` });

    log('intake');
    const payloads = intakePayloads(QUICK ? 5000 : 40_000);
    const rows: IntakeRow[] = [];
    rows.push(await intake('node-sdk express + EventDispatcher (persists nothing)', 'sdk', {}, payloads));
    rows.push(await intake('fastify hello-world', 'fastify', {}, payloads));
    for (const [name, url] of await dbs()) rows.push(await intake(`this bot, ${name}`, 'bot', { ...larkEnv, DATABASE_URL: url }, payloads));
    results.intake = rows;

    log('card callbacks');
    const cardRows: CardRow[] = [];
    for (const [name, url] of await dbs()) cardRows.push(...(await cards(name, { ...larkEnv, DATABASE_URL: url })));
    results.cards = cardRows;

    log('outbound');
    results.outbound = await outbound({ ...larkEnv, DATABASE_URL: `file:${join(work, 'outbound.db')}` });

    log('digest');
    results.digest = await digest();
  } finally {
    await lark.close();
    rmSync(work, { recursive: true, force: true });
    for (const s of schemas) {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).finally(() => c.end());
    }
  }
  results.seconds = round((Date.now() - started) / 1000, 0);
  mkdirSync(join(ROOT, 'bench'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${table(results)}\n`);
}

/** The results as Markdown tables (README shows the latest). */
export function table(r: Record<string, any>): string {
  const out: string[] = [];
  out.push(`Benchmark of ${r.date.slice(0, 16)}Z, ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}, load ${r.machine.load.split(' ').slice(0, 3).join(' ')}, ${r.seconds} s${r.settings.quick ? ' (BENCH_QUICK)' : ''}`, '');
  const sdk = r.intake[0].reqPerSec;
  out.push('| intake (50 connections) | req/s | × SDK sample | p50 ms | p99 ms | max ms | non-2xx | CPU ms/event | RSS idle → after MiB |', '|---|---|---|---|---|---|---|---|---|');
  for (const x of r.intake) out.push(`| ${x.target} | ${x.reqPerSec} | ${round(x.reqPerSec / sdk, 2)} | ${x.p50} | ${x.p99} | ${x.max} | ${x.non2xx} | ${x.cpuMsPerEvent} | ${x.rssIdleMiB} → ${x.rssAfterMiB} |`);
  out.push('', '| card callbacks | clickers | clicks | p50 ms | p99 ms | max ms | answered after 3 s | errors |', '|---|---|---|---|---|---|---|---|');
  for (const x of r.cards) out.push(`| ${x.kind}, ${x.db} | ${x.clickers} | ${x.n} | ${x.p50} | ${x.p99} | ${x.max} | ${x.over3s} | ${x.errors} |`);
  const o = r.outbound;
  out.push('', '| outbound | delivered | 429s | total s | minimum s | × minimum |', '|---|---|---|---|---|---|');
  out.push(`| ${o.messages} messages to ${o.chats} chats | ${o.delivered} | ${o.throttled429} | ${o.totalS} | ${o.minimumS} | ${o.ratio} |`);
  const s = r.start;
  out.push('', '| start | value |', '|---|---|', `| \`npm start\` → /healthz 200 | ${s.healthzMs} ms |`, `| RSS idle (npm + server, 5 s after start) | ${s.rssIdleMiB} MiB |`, `| CPU while idle | ${s.idleCpuPercent} % |`);
  out.push('', '```', ...r.digest, '```');
  return out.join('\n');
}

await main();
