// Imports a 载体汇总表 (CSV or XLSX, shaped like seed 003 附件4) into DATABASE_URL: each row creates or updates
// the carrier of that name; carriers not in the file stay.
//   npm run carrier:import -- <file> [--year <y>]
// The year: --year, else a year in the file name, else 「<year>年」 in the title rows, else this year.
// Exit status: 0 imported, 1 the file was refused (errors printed), 2 bad arguments or configuration.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fail, loadConfig, parseCli, runImport, usageError } from './cli.ts';
import { readTable } from '../src/platform/imports/table.ts';
import { importCarrierTable } from '../src/features/carriers/store.ts';
import { carrierImportLines, carrierImportYear } from '../src/features/carriers/commands.ts';

const USAGE = 'usage: npm run carrier:import -- <file.csv|file.xlsx> [--year <year>]';

async function main(): Promise<void> {
  const { values, positionals } = parseCli(process.argv.slice(2), USAGE, { year: { type: 'string' } });
  const file = positionals[0];
  if (!file) usageError('which file? name one', USAGE);
  if (values.year !== undefined && !/^\d{4}$/.test(values.year)) usageError('--year needs a four-digit year', USAGE);
  let buffer: Buffer;
  try {
    buffer = readFileSync(file);
  } catch (err) {
    fail(`cannot read ${file}: ${(err as Error).message}`);
  }
  const { env, office } = loadConfig();
  const table = await readTable(buffer, basename(file));
  if (!table.ok) {
    process.stderr.write(carrierImportLines(table).join('\n') + '\n');
    process.exitCode = 1;
    return;
  }
  const now = new Date();
  const year = values.year !== undefined ? Number(values.year) : carrierImportYear(basename(file), table.rows, now, env.BOT_TIMEZONE).year;
  await runImport(env, (db) => importCarrierTable(db, office, { rows: table.rows, filename: basename(file), year, actorId: 'cli', now }), carrierImportLines);
}

main().catch((err: Error) => fail(`carrier import failed: ${err.message.split('\n')[0]}`, 1));
