// Every environment variable the service reads, parsed in one place. A bad value stops the process with
// one line that names the variable and what is expected.
import { z } from 'zod';

const bool = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), `${name} must be true or false`)
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const openIdList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^ou_[A-Za-z0-9]+$/, 'each entry must be an open_id like ou_xxx')));

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const envSchema = z.object({
  PORT: z
    .string()
    .regex(/^\d+$/, 'must be a port number (1-65535)')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be a port number (1-65535)').max(65535, 'must be a port number (1-65535)'))
    .default(3000),
  HOST: z.string().trim().min(1, 'must be a host name or address').default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || /^(postgres(ql)?:\/\/|file:)/.test(v), 'must start with postgresql:// or file:'),
  DB_AUTO_MIGRATE: bool('DB_AUTO_MIGRATE').default(true),
  LARK_APP_ID: z.string().trim().optional().transform((v) => v || undefined),
  LARK_APP_SECRET: z.string().trim().optional().transform((v) => v || undefined),
  LARK_ENCRYPT_KEY: z.string().trim().optional().transform((v) => v || undefined),
  LARK_VERIFICATION_TOKEN: z.string().trim().optional().transform((v) => v || undefined),
  LARK_DOMAIN: z.string().trim().url('must be a URL such as https://open.feishu.cn').transform((v) => v.replace(/\/+$/, '')).default('https://open.feishu.cn'),
  LARK_MODE: z.enum(['webhook', 'ws'], { message: 'must be webhook or ws' }).default('webhook'),
  BOT_ADMINS: openIdList.default([]),
  BOT_TIMEZONE: z.string().trim().refine(validTimezone, 'must be an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai'),
  BOT_CONFIG: z.string().trim().optional().transform((v) => v || undefined),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'must be one of fatal, error, warn, info, debug, trace, silent' }).default('info'),
}).superRefine((env, ctx) => {
  if (env.LARK_APP_ID && !env.LARK_APP_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['LARK_APP_SECRET'], message: 'is required when LARK_APP_ID is set' });
  }
  if (env.LARK_MODE === 'ws' && !env.LARK_APP_ID) {
    ctx.addIssue({ code: 'custom', path: ['LARK_APP_ID'], message: 'is required when LARK_MODE=ws' });
  }
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError whose message is one line per bad variable. */
export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = source[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const result = envSchema.safeParse(picked);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `${String(i.path[0] ?? 'environment')}: ${i.message}`);
  throw new ConfigError(`invalid configuration: ${[...new Set(lines)].join('; ')}`);
}

/**
 * The service takes callbacks on /lark/events and /lark/card only when it can tell Lark's from anyone
 * else's: with a Lark app in webhook mode, LARK_VERIFICATION_TOKEN is required. Throws ConfigError.
 */
export function requireCallbackSecrets(env: Env): void {
  if (env.LARK_APP_ID && env.LARK_MODE === 'webhook' && !env.LARK_VERIFICATION_TOKEN) {
    throw new ConfigError(
      'invalid configuration: LARK_VERIFICATION_TOKEN: is required when LARK_MODE=webhook (the Verification Token of the Lark app\'s 事件与回调 › 加密策略); without it anyone who reaches /lark/events could act as any user',
    );
  }
}

/** One plain line saying what Lark settings are missing and how the bot behaves without them. */
export function larkReadiness(env: Env): { ready: boolean; message: string } {
  if (!env.LARK_APP_ID) {
    return { ready: false, message: 'LARK_APP_ID and LARK_APP_SECRET are not set: the bot cannot reach Lark and runs with the local sandbox (no messages leave this machine).' };
  }
  if (env.LARK_MODE === 'webhook' && !env.LARK_ENCRYPT_KEY) {
    return { ready: true, message: `Lark app ${env.LARK_APP_ID} via ${env.LARK_DOMAIN} (webhook): LARK_ENCRYPT_KEY not set, so callbacks are neither signed nor encrypted and are checked by the verification token only; set it in production.` };
  }
  return { ready: true, message: `Lark app ${env.LARK_APP_ID} via ${env.LARK_DOMAIN} (${env.LARK_MODE}).` };
}
