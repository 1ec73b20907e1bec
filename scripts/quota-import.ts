// Imports a 任务分解表 (CSV or XLSX shaped like 附件2) into DATABASE_URL, replacing that year's quotas:
//   npm run quota:import -- <file> --year <y> [--dry-run]
// Prints the preview (towns, totals, warnings such as a 合计 row that disagrees with the towns' sum). A file
// with any bad row is refused whole: the errors are printed with their row numbers and nothing is stored.
// Without --year the year is taken from the file name, else from 「<year>年」 in the title, else this year
// (BOT_TIMEZONE). --dry-run only prints the preview.
// Exit status: 0 imported (or previewed), 1 the file was refused, 2 bad arguments or configuration.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fail, loadConfig, openCliDatabase, parseCli, usageError } from './cli.ts';
import { quotaTownCount, replaceQuotaYear } from '../src/features/quotas/store.ts';
import { METRIC_LABELS, QUOTA_METRICS } from '../src/features/quotas/quota.ts';
import { localParts } from '../src/platform/time.ts';
import { chooseYear, metricsLine, parseYear, readQuotaFile, YEAR_SOURCE_LABELS } from '../src/features/quotas/import.ts';

const USAGE = 'usage: npm run quota:import -- <file.csv|file.xlsx> [--year <year>] [--dry-run]';

function readArgs(argv: string[]): { file: string; year?: number; dryRun: boolean } {
  const { values, positionals } = parseCli(argv, USAGE, { year: { type: 'string' }, 'dry-run': { type: 'boolean' } });
  const file = positionals[0];
  if (!file) usageError('which file? name one', USAGE);
  const year = values.year === undefined ? undefined : parseYear(values.year);
  if (values.year !== undefined && year === undefined) usageError('--year needs a year between 2000 and 2099', USAGE);
  return { file, year, dryRun: values['dry-run'] === true };
}

async function main(): Promise<void> {
  const args = readArgs(process.argv.slice(2));
  let buffer: Buffer;
  try {
    buffer = readFileSync(args.file);
  } catch (err) {
    fail(`cannot read ${args.file}: ${(err as Error).message}`);
  }
  const { env, office } = loadConfig();
  const fileName = basename(args.file);
  const read = await readQuotaFile(buffer, fileName, office);
  if (!read.result.ok) {
    process.stderr.write(`任务分解表「${fileName}」未导入：发现 ${read.result.errors.length} 处问题，未导入任何数据。\n`);
    for (const e of read.result.errors) process.stderr.write(`  - ${e}\n`);
    process.exitCode = 1;
    return;
  }
  const now = new Date();
  const { year, source } = chooseYear(args.year, read, localParts(now, env.BOT_TIMEZONE).year);
  const { rows, totals, statedTotals, warnings } = read.result;

  const out: string[] = [`任务分解表「${fileName}」：${year} 年（${YEAR_SOURCE_LABELS[source]}），${rows.length} 个镇区`];
  const width = Math.max(...rows.map((r) => [...r.town].length));
  for (const r of rows) {
    const pad = ' '.repeat(width - [...r.town].length);
    const written = r.sourceName !== r.town ? `（表中为「${r.sourceName}」）` : '';
    out.push(`  第${r.rowNumber}行  ${r.town}${pad}  ${QUOTA_METRICS.map((m) => `${METRIC_LABELS[m]} ${r[m]}`).join('  ')}${written}`);
  }
  out.push(`合计（各镇区之和）：${metricsLine(totals)}`);
  if (statedTotals) out.push(`表中合计行：${metricsLine(statedTotals)}`);
  if (warnings.length > 0) out.push(`注意（${warnings.length} 条）：`, ...warnings.map((w) => `  - ${w}`));
  process.stdout.write(`${out.join('\n')}\n`);
  if (args.dryRun) {
    process.stdout.write('--dry-run：仅预览，未写入数据库。\n');
    return;
  }

  const database = await openCliDatabase(env);
  try {
    const db = database.prisma;
    const before = await quotaTownCount(db, year);
    const outcome = await db.$transaction((tx) =>
      replaceQuotaYear(tx, { year, rows, actorId: 'cli', via: 'cli', fileName, totals, statedTotals, warnings, now }),
    );
    process.stdout.write(
      `已导入 ${year} 年任务分解表：${rows.length} 个镇区，${outcome.created} 条目标` +
        `${outcome.replaced > 0 ? `（替换原有 ${before} 个镇区的 ${outcome.replaced} 条目标）` : ''}。\n`,
    );
  } finally {
    await database.close();
  }
}

main().catch((err: Error) => fail(`quota import failed: ${err.message.split('\n')[0]}`, 1));
