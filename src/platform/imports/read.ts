// Reads an uploaded CSV/XLSX in a worker thread with a memory ceiling and a time limit. The reader itself
// (src/platform/imports/table.ts) refuses files over its row, column, cell and unpacked-size limits before the work;
// this keeps what slips past those (a zip whose stated sizes lie, a sheet that is slow to parse) from
// blocking the bot or taking the process down: the worker is stopped and the file refused in Chinese.
import { Worker } from 'node:worker_threads';
import type { TableResult } from './table.ts';

export interface IsolationLimits {
  /** Wall time for one file, ms. */
  timeoutMs: number;
  /** Heap ceiling of the worker, MB. */
  memoryMb: number;
}

export const DEFAULT_LIMITS: IsolationLimits = { timeoutMs: 15_000, memoryMb: 256 };

export function readTableIsolated(bytes: Uint8Array, filename: string, limits: IsolationLimits = DEFAULT_LIMITS): Promise<TableResult> {
  return new Promise((resolve) => {
    // A copy the worker owns (the caller keeps its buffer).
    const copy = new Uint8Array(bytes).buffer;
    const worker = new Worker(new URL('./table-worker.mjs', import.meta.url), {
      workerData: { bytes: copy, filename },
      transferList: [copy],
      resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb, maxYoungGenerationSizeMb: 32 },
      stdout: false,
      stderr: false,
    });
    let settled = false;
    const finish = (result: TableResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, errors: [`文件处理超时（超过 ${Math.ceil(limits.timeoutMs / 1000)} 秒），未导入任何数据。请确认文件内容后重新发送`] }),
      limits.timeoutMs,
    );
    worker.once('message', (result: TableResult) => finish(result));
    worker.once('error', (err: Error & { code?: string }) =>
      finish({
        ok: false,
        errors: [
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? `文件过大（读取时超过 ${limits.memoryMb} MB 内存上限），未导入任何数据`
            : '无法读取文件：文件已损坏或格式不受支持',
        ],
      }),
    );
    worker.once('exit', () => finish({ ok: false, errors: ['无法读取文件：文件已损坏或格式不受支持'] }));
  });
}
