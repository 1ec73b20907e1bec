// The error catalogue: every failure the service answers for has a stable code, a short Chinese message for
// the person (or Lark) on the other side, an HTTP status and a log level (modelled on fastify's
// lib/errors.js). Answers carry only `{code, msg}`: never a stack, a source path, SQL or a driver's text;
// the details go to the log.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CardReply } from './lark/types.ts';
import { KEEP } from './jobs/housekeeping.ts';

export type LogLevel = 'info' | 'warn' | 'error';

export interface ErrorSpec {
  /** Stable, documented; clients and dashboards key on it. */
  readonly code: string;
  /** What the user reads (Simplified Chinese). */
  readonly msg: string;
  readonly status: number;
  readonly level: LogLevel;
}

function spec(code: string, status: number, level: LogLevel, msg: string): ErrorSpec {
  return Object.freeze({ code, status, level, msg });
}

export const ERRORS = {
  NOT_FOUND: spec('KZ_NOT_FOUND', 404, 'info', '没有这个地址。'),
  BAD_JSON: spec('KZ_BAD_JSON', 400, 'warn', '请求内容不是有效的 JSON。'),
  BAD_REQUEST: spec('KZ_BAD_REQUEST', 400, 'warn', '请求格式不正确。'),
  UNAUTHORIZED: spec('KZ_UNAUTHORIZED', 401, 'warn', '请求未通过校验。'),
  BODY_TOO_LARGE: spec('KZ_BODY_TOO_LARGE', 413, 'warn', '请求内容过大（上限 1 MB）。'),
  UNSUPPORTED_MEDIA_TYPE: spec('KZ_UNSUPPORTED_MEDIA_TYPE', 415, 'warn', '不支持的请求内容类型。'),
  DB_BUSY: spec('KZ_DB_BUSY', 503, 'error', '系统繁忙，请稍后再试。'),
  DB_UNAVAILABLE: spec('KZ_DB_UNAVAILABLE', 503, 'error', '系统暂时无法处理，请稍后再试。'),
  /** A card button whose value no longer routes or parses (an old card, a forged or garbled value). */
  CARD_EXPIRED: spec('KZ_CARD_EXPIRED', 410, 'info', '该卡片已过期，请以最新卡片为准或重新发送指令。'),
  /** 登记: the form's draft was used up (submitted twice) or dropped by housekeeping. */
  REGISTRATION_GONE: spec('KZ_REGISTRATION_GONE', 409, 'info', '该登记已提交或已失效。如需登记，请重新发送「登记」。'),
  /** 修改并重新提交 on a lead that is no longer 退回修改 (someone acted in between). */
  LEAD_NOT_RETURNED: spec('KZ_LEAD_NOT_RETURNED', 409, 'info', '该项目已不是退回修改状态（可能已被处理），未保存修改。'),
  /** A quota import preview confirmed, cancelled or dropped by housekeeping (KEEP.drafts). */
  QUOTA_IMPORT_GONE: spec('KZ_QUOTA_IMPORT_GONE', 409, 'info', `该导入已确认、已取消或已过期（${KEEP.drafts / 86_400_000} 天）。请重新发送任务分解表文件。`),
  INTERNAL: spec('KZ_INTERNAL', 500, 'error', '系统出错了，请稍后再试。如多次出现，请联系管理员。'),
} as const satisfies Record<string, ErrorSpec>;

/** An error that already knows its catalogue entry (thrown by our own code). */
export class AppError extends Error {
  constructor(readonly spec: ErrorSpec, detail?: string, options?: { cause?: unknown }) {
    super(detail ?? spec.code, options);
    this.name = 'AppError';
  }
}

const FASTIFY_CODES: Record<string, ErrorSpec> = {
  FST_ERR_NOT_FOUND: ERRORS.NOT_FOUND,
  FST_ERR_CTP_INVALID_JSON_BODY: ERRORS.BAD_JSON,
  FST_ERR_CTP_EMPTY_JSON_BODY: ERRORS.BAD_JSON,
  FST_ERR_CTP_BODY_TOO_LARGE: ERRORS.BODY_TOO_LARGE,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ERRORS.BAD_REQUEST,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ERRORS.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_VALIDATION: ERRORS.BAD_REQUEST,
  FST_ERR_BAD_URL: ERRORS.BAD_REQUEST,
};

// Connection-level failures of either driver (pg / better-sqlite3) and Prisma's connection codes
// (P1001 can't reach, P1002 timed out, P1008 operation timed out, P1017 server closed, P2024 pool timeout).
const UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P03', 'SQLITE_CANTOPEN']);
const UNAVAILABLE_TEXT = /ECONNREFUSED|connection terminated|Can't reach database|timeout exceeded when trying to connect|unable to open database|DatabaseNotReachable|SocketTimeout|Connection ?Closed/i;
const BUSY_TEXT = /SQLITE_BUSY|database is locked|TooManyConnections/i;

/** The catalogue entry for any thrown value (ours, fastify's, Prisma's or a driver's). */
export function classify(err: unknown): ErrorSpec {
  if (err instanceof AppError) return err.spec;
  const seen = new Set<unknown>();
  let text = '';
  let cur: unknown = err;
  // Look through the cause chain: Prisma wraps the driver's error.
  while (cur && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur);
    const e = cur as { code?: unknown; name?: unknown; message?: unknown; kind?: unknown; cause?: unknown };
    const code = typeof e.code === 'string' ? e.code : '';
    if (FASTIFY_CODES[code]) return FASTIFY_CODES[code];
    if (UNAVAILABLE_CODES.has(code)) return ERRORS.DB_UNAVAILABLE;
    text += ` ${String(e.name ?? '')} ${String(e.kind ?? '')} ${String(e.message ?? '')}`;
    cur = e.cause;
  }
  if (BUSY_TEXT.test(text)) return ERRORS.DB_BUSY;
  if (UNAVAILABLE_TEXT.test(text) || /PrismaClientInitializationError/.test(text)) return ERRORS.DB_UNAVAILABLE;
  // Fastify-made client errors we have no entry for: keep their 4xx status, with a generic message.
  const status = (err as FastifyError | undefined)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return status === 404 ? ERRORS.NOT_FOUND : { ...ERRORS.BAD_REQUEST, status };
  return ERRORS.INTERNAL;
}

/** The body every route answers with for a failure. */
export function errorBody(s: ErrorSpec): { code: string; msg: string } {
  return { code: s.code, msg: s.msg };
}

/** A card callback's answer for a failure: Lark shows the user an error for anything but HTTP 200, so a polite toast. */
export function cardFailure(s: ErrorSpec): CardReply {
  return { toast: { type: s.status >= 500 ? 'error' : 'warning', content: s.msg } };
}

/** Routes whose caller is Lark's card callback: a server-side failure still answers 200 with a toast. */
const CARD_ROUTES = new Set(['/lark/card']);

/**
 * One error handler and one 404 handler for every route of `app` (set on the root instance, before plugins
 * register, so encapsulated plugins inherit them).
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const s = classify(err);
    const route = req.routeOptions?.url ?? req.url;
    req.log[s.level]({ err, code: s.code, route, method: req.method }, `${req.method} ${route}: ${s.code}`);
    if (CARD_ROUTES.has(route) && s.status >= 500) return reply.code(200).send(cardFailure(s));
    return reply.code(s.status).send(errorBody(s));
  });
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    req.log.info({ url: req.url, method: req.method }, `no route ${req.method} ${req.url}`);
    return reply.code(404).send(errorBody(ERRORS.NOT_FOUND));
  });
}

/**
 * One line for an operator (CLI output, never shown to users): the error's code and its last non-empty
 * message line (Prisma's messages start with a blank line and the call site; the cause comes last).
 * Never empty.
 */
export function describeError(err: unknown): string {
  const e = (err ?? {}) as { code?: unknown; name?: unknown; message?: unknown };
  const lines = String(e.message ?? (typeof err === 'string' ? err : '')).split('\n').map((l) => l.trim()).filter(Boolean);
  const text = (lines[lines.length - 1] ?? '').slice(0, 300);
  const code = typeof e.code === 'string' || typeof e.code === 'number' ? String(e.code) : '';
  const head = code || (typeof e.name === 'string' && e.name !== 'Error' ? e.name : '');
  return [head && `[${head}]`, text].filter(Boolean).join(' ') || `${classify(err).code} (no message)`;
}
