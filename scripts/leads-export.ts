// Exports the 项目台账 (every lead of a year, optionally one town) from DATABASE_URL as an XLSX file:
//   npm run leads:export -- [--year <y>] [--town <镇区>] [--out <file.xlsx>]
// Without --year: this year (BOT_TIMEZONE). Without --out: 「<office><year>年科技招商项目台账[（镇区）].xlsx」 in
// the current directory. The file is written as the leads are read (in pages), so a large year fits.
// Exit status: 0 written, 2 bad arguments or configuration.
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { fail, loadConfig, openCliDatabase, parseCli, usageError } from './cli.ts';
import { resolveTown } from '../src/office/config.ts';
import { localParts } from '../src/platform/time.ts';
import { ledgerFileName, writeLedger } from '../src/features/ledger/ledger.ts';

const USAGE = 'usage: npm run leads:export -- [--year <year>] [--town <镇区>] [--out <file.xlsx>]';

async function main(): Promise<void> {
  const { values } = parseCli(process.argv.slice(2), USAGE, { year: { type: 'string' }, town: { type: 'string' }, out: { type: 'string' } }, 0);
  const { env, office } = loadConfig();
  let year = localParts(new Date(), env.BOT_TIMEZONE).year;
  if (values.year !== undefined) {
    if (!/^\d{4}$/.test(values.year) || Number(values.year) < 2000 || Number(values.year) > 2100) usageError('--year needs a year between 2000 and 2100', USAGE);
    year = Number(values.year);
  }
  let town: string | undefined;
  if (values.town !== undefined) {
    town = resolveTown(office, values.town);
    if (!town) usageError(`unknown town "${values.town}" (towns: ${office.towns.map((t) => t.name).join(', ')})`, USAGE);
  }
  const out = values.out ?? ledgerFileName(office.name, year, town);
  const database = await openCliDatabase(env);
  try {
    const stream = createWriteStream(out);
    const { leads } = await writeLedger(database.prisma, { year, town, tz: env.BOT_TIMEZONE, officeName: office.name }, stream);
    await finished(stream);
    process.stdout.write(`已导出 ${year} 年${town ?? ''}项目台账：${leads} 个项目 → ${out}\n`);
  } finally {
    await database.close();
  }
}

main().catch((err: Error) => fail(`leads export failed: ${err.message.split('\n')[0]}`, 1));
