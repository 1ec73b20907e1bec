// Runs the real service (`src/main.ts`, as `npm start` does) in a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = join(import.meta.dirname, '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface Child {
  proc: ChildProcess;
  output: () => string;
  /** Resolves once the process has exited and its output has been read. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** This process's environment without the service's own variables (LARK_*, BOT_*, DATABASE_URL, PORT, HOST), plus `env`. */
export function childEnv(env: Record<string, string | undefined>): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('LARK_') && !k.startsWith('BOT_') && k !== 'DATABASE_URL' && k !== 'PORT' && k !== 'HOST') clean[k] = v;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
  return clean;
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args` in ROOT with childEnv(env); resolves once it has exited and its output has been read. */
export function runToEnd(command: string, args: string[], env: Record<string, string | undefined>): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d) => (stdout += d));
    proc.stderr!.on('data', (d) => (stderr += d));
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs one of scripts/ as its npm script does (`node --import tsx scripts/<file> args`). */
export function runScript(file: string, args: string[], env: Record<string, string | undefined>): Promise<Finished> {
  return runToEnd(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', file), ...args], env);
}

export function startService(env: Record<string, string | undefined>, cwd = ROOT): Child {
  const clean = childEnv(env);
  // The loader by absolute URL: `--import tsx` would be resolved from `cwd`, which may be any folder.
  const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const proc = spawn(process.execPath, ['--import', tsx, join(ROOT, 'src', 'main.ts')], { cwd, env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('close', (code, signal) => resolve({ code, signal })));
  return { proc, output: () => out, exited };
}

/** Polls `url` until it answers (any status) or `ms` pass. */
export async function waitForHttp(url: string, ms = 30_000): Promise<Response> {
  const until = Date.now() + ms;
  let last: unknown;
  while (Date.now() < until) {
    try {
      return await fetch(url);
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not answer within ${ms} ms: ${String(last)}`);
}
