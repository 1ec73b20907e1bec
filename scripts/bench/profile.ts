// npm run bench:profile: the bot on SQLite under the intake load of `npm run bench` (identical signed and
// encrypted messages, 10 % re-deliveries, 50 connections) for BENCH_SECONDS (default 8), with V8's CPU
// profiler on; prints where the time went: self time by package (our code, Prisma, the SQLite driver,
// fastify, the node-sdk, node internals …) and the top functions. The profile is written to
// bench/profile-intake.cpuprofile (open it in Chrome's DevTools) — a measurement, not a test.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ENCRYPT_KEY, VERIFICATION_TOKEN, intakePayloads, loadBenchModule } from './lib.ts';
import { startLarkStandIn, STANDIN_APP_ID, STANDIN_APP_SECRET } from '../../src/sandbox/standin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

function bucket(url: string): string {
  if (!url) return '(native / gc / idle)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const src = Math.max(url.indexOf('/src/'), url.indexOf('/dist/'));
  if (src >= 0) return `our code: ${url.slice(src + 1).split('/').slice(1, 3).join('/')}`;
  return url;
}

async function main(): Promise<void> {
  const work = join(tmpdir(), `kezhao-profile-${randomBytes(4).toString('hex')}`);
  mkdirSync(work, { recursive: true });
  const lark = await startLarkStandIn();
  const env = {
    ...process.env,
    LARK_APP_ID: STANDIN_APP_ID, LARK_APP_SECRET: STANDIN_APP_SECRET, LARK_DOMAIN: lark.url,
    LARK_ENCRYPT_KEY: ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN, DB_AUTO_MIGRATE: 'true',
    DATABASE_URL: `file:${join(work, 'profile.db')}`,
  };
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${work}`, '--import', 'tsx', join(ROOT, 'scripts/bench/target.ts'), 'bot'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const payloads = intakePayloads(20_000);
  let i = 0;
  const autocannon = await loadBenchModule<(o: Record<string, unknown>) => Promise<{ requests: { average: number } }>>('autocannon');
  const res = await autocannon({
    url: `http://127.0.0.1:${port}`, connections: 50, duration: SECONDS,
    requests: [{ method: 'POST', path: '/lark/events', setupRequest: (req: Record<string, unknown>) => ({ ...req, ...payloads[i++ % payloads.length] }) }],
  });
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  await lark.close();
  const file = readdirSync(work).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  const out = join(ROOT, 'bench', 'profile-intake.cpuprofile');
  renameSync(join(work, file), out);
  rmSync(work, { recursive: true, force: true });

  const p = JSON.parse(readFileSync(out, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, k) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[k] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, t] of self) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') continue;
    const b = f.functionName === '(garbage collector)' ? '(garbage collector)' : bucket(f.url);
    groups.set(b, (groups.get(b) ?? 0) + t);
    const name = `${f.functionName || '(anonymous)'} ${bucket(f.url)}:${f.lineNumber + 1}`;
    fns.set(name, (fns.get(name) ?? 0) + t);
  }
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1)} %`;
  console.log(`intake on SQLite, ${SECONDS} s, ${Math.round(res.requests.average)} req/s; CPU busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s`);
  console.log('\n| self time by package | share of busy CPU |\n|---|---|');
  for (const [b, t] of [...groups].sort((a, c) => c[1] - a[1]).slice(0, 15)) console.log(`| ${b} | ${pct(t)} |`);
  console.log('\n| top functions (self) | share |\n|---|---|');
  for (const [n, t] of [...fns].sort((a, c) => c[1] - a[1]).slice(0, 15)) console.log(`| ${n} | ${pct(t)} |`);
  console.log(`\nprofile: ${out}`);
}

await main();
