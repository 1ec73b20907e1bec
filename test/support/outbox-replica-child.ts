// One replica's outbox worker on a shared database (as each bot process runs it), for the pacing test:
// starts a worker with the pacing createServices gives the provider and prints "READY"; stops on SIGTERM.
//   DATABASE_URL, LARK_DOMAIN, LARK_APP_ID, LARK_APP_SECRET
import { openDatabase } from '../../src/platform/db/client.ts';
import { parseDatabaseUrl } from '../../src/platform/db/url.ts';
import { createLarkApi } from '../../src/platform/lark/api.ts';
import { OutboxWorker } from '../../src/platform/delivery/outbox.ts';
import { createMetrics } from '../../src/platform/metrics.ts';

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}

const database = openDatabase(parseDatabaseUrl(need('DATABASE_URL')));
const api = createLarkApi({ appId: need('LARK_APP_ID'), appSecret: need('LARK_APP_SECRET'), domain: need('LARK_DOMAIN'), timeoutMs: 10_000 });
const quiet = { info() {}, warn() {}, error() {} };
// As createServices sets it up for this provider.
const worker = new OutboxWorker({ db: database.prisma, api, metrics: createMetrics(), log: quiet, pollMs: 200, sharedPacing: database.target.provider === 'postgres' });
worker.start();
process.on('SIGTERM', () => {
  void worker.stop().then(() => database.close()).then(() => process.exit(0));
});
process.stdout.write('READY\n');
setInterval(() => {}, 60_000);
