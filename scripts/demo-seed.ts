// `npm run demo:seed`: fills the sandbox database (DATABASE_URL, or ./data/zhaoshang.db) with demo data:
// the 如皋 2023 quota table, activity calendar and carriers (附件4) for the current year, the demo people and their roles,
// and a few dozen leads in every approval state. Safe to run again: nothing is added twice.
import { describeTarget } from '../src/platform/db/url.ts';
import { loadConfig, openCliDatabase } from './cli.ts';
import { seedDemo } from '../src/sandbox/seed.ts';

async function main(): Promise<void> {
  const { env, office } = loadConfig();
  const database = await openCliDatabase(env);
  const target = database.target;
  try {
    const r = await seedDemo(database.prisma, { office, tz: env.BOT_TIMEZONE, now: new Date() });
    process.stdout.write(
      [
        `演示数据已写入 ${describeTarget(target)}（${r.year} 年）：`,
        `- 任务分解表：新增 ${r.quotasAdded} 条指标`,
        `- 活动安排表：新增 ${r.activitiesAdded} 项活动`,
        `- 载体库（附件4）：新增 ${r.carriersAdded} 个载体`,
        `- 科技招商工作群订阅简报：新增 ${r.subscriptionsAdded} 项（周例会、双月例会、一月一报）`,
        `- 项目：新增 ${r.leadsAdded} 个${r.leadsKept ? `，已存在 ${r.leadsKept} 个（未重复添加）` : ''}`,
        '启动 npm start（不设置 LARK_APP_ID）后，打开日志中 “Sandbox:” 后的地址即可体验。',
        '',
      ].join('\n'),
    );
  } finally {
    await database.close();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`demo seed failed: ${err.message.split('\n')[0]}\n`);
  process.exit(1);
});
