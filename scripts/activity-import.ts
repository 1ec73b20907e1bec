// Imports a 活动安排表 (CSV or XLSX) into DATABASE_URL for one year, replacing that year's calendar:
//   npm run activity:import -- <file> --year <y>
// Exit status: 0 imported, 1 the file was refused (errors printed), 2 bad arguments or configuration.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fail, loadConfig, parseCli, runImport, usageError } from './cli.ts';
import { importActivityTable } from '../src/features/activities/store.ts';
import { importSummaryLines } from '../src/features/activities/commands.ts';

const USAGE = 'usage: npm run activity:import -- <file.csv|file.xlsx> --year <year>';

function readArgs(argv: string[]): { file: string; year: number } {
  const { values, positionals } = parseCli(argv, USAGE, { year: { type: 'string' } });
  const file = positionals[0];
  if (!file) usageError('which file? name one', USAGE);
  if (values.year === undefined) usageError('--year is required', USAGE);
  if (!/^\d{4}$/.test(values.year)) usageError('--year needs a four-digit year', USAGE);
  return { file, year: Number(values.year) };
}

async function main(): Promise<void> {
  const { file, year } = readArgs(process.argv.slice(2));
  let buffer: Buffer;
  try {
    buffer = readFileSync(file);
  } catch (err) {
    fail(`cannot read ${file}: ${(err as Error).message}`);
  }
  const { env } = loadConfig();
  await runImport(env, (db) => importActivityTable(db, { buffer, filename: basename(file), year, actorId: 'cli', now: new Date() }), importSummaryLines);
}

main().catch((err: Error) => fail(`activity import failed: ${err.message.split('\n')[0]}`, 1));
