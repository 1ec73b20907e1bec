// Worker entry for readTableIsolated (read.ts): reads one uploaded table off the main thread, so a hostile
// or huge file can cost this worker its memory or its time limit, never the bot's event loop.
// Plain JavaScript so it starts the same under tsx, vitest and node: it loads tsx's loader itself when the
// reader is still TypeScript.
import { parentPort, workerData } from 'node:worker_threads';

const target = new URL('./table.ts', import.meta.url);
if (target.pathname.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
const { readTable } = await import(target.href);
const { bytes, filename } = workerData;
const result = await readTable(new Uint8Array(bytes), filename);
parentPort.postMessage(result);
