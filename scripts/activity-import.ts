// Imports a 活动安排表 (CSV or XLSX) into DATABASE_URL for one year, replacing that year's calendar:
//   npm run activity:import -- <file> --year <y>
// Exit status: 0 imported, 1 the file was refused (errors printed), 2 bad arguments or configuration.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fail, loadConfig, openCliDatabase } from './cli.ts';
import { importActivityTable } from '../src/db/lifecycle.ts';
import { importSummaryLines } from '../src/bot/features/activities.ts';

const USAGE = 'usage: npm run activity:import -- <file.csv|file.xlsx> --year <year>';

function parseArgs(argv: string[]): { file: string; year: number } {
  let file: string | undefined;
  let year: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--year' || a.startsWith('--year=')) {
      const v = a === '--year' ? argv[++i] : a.slice('--year='.length);
      if (!v || !/^\d{4}$/.test(v)) fail(`--year needs a four-digit year\n${USAGE}`);
      year = Number(v);
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a.startsWith('--')) {
      fail(`unknown option ${a}\n${USAGE}`);
    } else if (file === undefined) {
      file = a;
    } else {
      fail(`only one file may be given\n${USAGE}`);
    }
  }
  if (!file) fail(USAGE);
  if (year === undefined) fail(`--year is required\n${USAGE}`);
  return { file, year };
}

async function main(): Promise<void> {
  const { file, year } = parseArgs(process.argv.slice(2));
  let buffer: Buffer;
  try {
    buffer = readFileSync(file);
  } catch (err) {
    fail(`cannot read ${file}: ${(err as Error).message}`);
  }
  const { env } = loadConfig();
  const database = await openCliDatabase(env);
  try {
    const result = await importActivityTable(database.prisma, { buffer, filename: basename(file), year, actorId: 'cli', now: new Date() });
    const out = importSummaryLines(result).join('\n') + '\n';
    if (result.ok) process.stdout.write(out);
    else {
      process.stderr.write(out);
      process.exitCode = 1;
    }
  } finally {
    await database.close();
  }
}

main().catch((err: Error) => fail(`activity import failed: ${err.message.split('\n')[0]}`, 1));
