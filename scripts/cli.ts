// What every command-line script shares: plain errors with an exit code, the configuration, and the
// database (migrated first unless DB_AUTO_MIGRATE=false).
import { parseEnv, type Env } from '../src/config/env.ts';
import { loadOffice, type OfficeConfig } from '../src/config/office.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { parseDatabaseUrl } from '../src/db/url.ts';

/** Prints `message` on stderr and exits (2 = bad arguments or configuration, the default). */
export function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
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
