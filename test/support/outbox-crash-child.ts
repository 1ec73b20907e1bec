// A process that writes to the outbox and is then killed by the test (SIGKILL), to check what survives.
//   CRASH_MODE=before-send  enqueue (in a transaction, as a decision would) and never start a worker
//   CRASH_MODE=during-send  enqueue and start a worker; the stand-in holds its answer, so the row stays 'sending'
//   LOCK_MS (optional)      the worker's lease; its default when unset
// Prints "ENQUEUED <id>" once the row is committed, then waits to be killed.
import { openDatabase } from '../../src/platform/db/client.ts';
import { parseDatabaseUrl } from '../../src/platform/db/url.ts';
import { createLarkApi } from '../../src/platform/lark/api.ts';
import { enqueue, textContent, OutboxWorker } from '../../src/platform/delivery/outbox.ts';
import { createMetrics } from '../../src/platform/metrics.ts';

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}

const mode = need('CRASH_MODE');
const db = openDatabase(parseDatabaseUrl(need('DATABASE_URL')));
const uuid = need('OUTBOX_UUID');

const [id] = await db.prisma.$transaction(async (tx) => {
  await enqueue(tx, [{ uuid, op: 'send', receiveIdType: 'chat_id', receiveId: need('OUTBOX_CHAT'), msgType: 'text', content: textContent(need('OUTBOX_TEXT')) }]);
  const row = await tx.outboxMessage.findUniqueOrThrow({ where: { uuid } });
  return [row.id];
});

if (mode === 'during-send') {
  const api = createLarkApi({ appId: need('LARK_APP_ID'), appSecret: need('LARK_APP_SECRET'), domain: need('LARK_DOMAIN'), timeoutMs: 60_000 });
  const quiet = { info() {}, warn() {}, error() {} };
  new OutboxWorker({ db: db.prisma, api, metrics: createMetrics(), log: quiet, ...(process.env.LOCK_MS ? { lockMs: Number(process.env.LOCK_MS) } : {}) }).start();
} else if (mode !== 'before-send') {
  throw new Error(`unknown CRASH_MODE ${mode}`);
}

process.stdout.write(`ENQUEUED ${id}\n`);
setInterval(() => {}, 60_000); // stay alive until killed
