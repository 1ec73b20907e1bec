// What every command-line script shares: plain errors with an exit code, the configuration, and the
// database (migrated first unless DB_AUTO_MIGRATE=false).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseEnv, type Env } from '../src/platform/config/env.ts';
import { loadOffice, type OfficeConfig } from '../src/office/config.ts';
import { openDatabase, type Database } from '../src/platform/db/client.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { parseDatabaseUrl } from '../src/platform/db/url.ts';

/** Prints `message` on stderr and exits (2 = bad arguments or configuration, the default). */
export function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a script's arguments with node's own parser: `--help`/`-h` prints `usage` and exits 0; an unknown
 * option, a missing option value or more than `maxPositionals` positionals print one plain line and the
 * usage, and exit 2. Each script checks the values themselves (see `usageError`).
 */
export function parseCli<O extends Options>(argv: string[], usage: string, options: O, maxPositionals = 1) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    // Node's messages are long ("To specify a positional argument starting with a '-', …"): keep the first sentence.
    const first = (err as Error).message.split(/(?<=\.) /)[0]!.replace(/\.$/, '');
    usageError(first.replace(/^Unknown option '(.*)'$/, 'unknown option $1').replace(/^Option '(.*?)(?: <value>)?' argument missing$/, '$1 needs a value'), usage);
  }
  if (parsed.positionals.length > maxPositionals) usageError(`unexpected argument "${parsed.positionals[maxPositionals]}"`, usage);
  return parsed;
}

/** Prints one line saying what is wrong with the arguments, then the usage, and exits 2. */
export function usageError(message: string, usage: string): never {
  fail(`${message}\n${usage}`);
}

/** The environment and the office's configuration; a bad value ends the script with exit 2. */
export function loadConfig(): { env: Env; office: OfficeConfig } {
  try {
    const env = parseEnv();
    return { env, office: loadOffice(env.BOT_CONFIG) };
  } catch (err) {
    fail((err as Error).message);
  }
}

/** Opens DATABASE_URL, applying pending migrations first unless DB_AUTO_MIGRATE=false. */
export async function openCliDatabase(env: Env): Promise<Database> {
  const target = parseDatabaseUrl(env.DATABASE_URL);
  if (env.DB_AUTO_MIGRATE) await migrate(target);
  return openDatabase(target);
}

/**
 * Runs one import against DATABASE_URL and prints what it says: on stdout when it was taken, on stderr with
 * exit status 1 when the file was refused (nothing stored). Closes the database either way.
 */
export async function runImport<R extends { ok: boolean }>(env: Env, run: (db: Database['prisma']) => Promise<R>, lines: (result: R) => string[]): Promise<void> {
  const database = await openCliDatabase(env);
  try {
    const result = await run(database.prisma);
    const out = lines(result).join('\n') + '\n';
    if (result.ok) process.stdout.write(out);
    else {
      process.stderr.write(out);
      process.exitCode = 1;
    }
  } finally {
    await database.close();
  }
}

