import { hostname } from 'node:os';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { resolveEnvironment, resolveServiceName } from './env';

export type { Logger } from 'pino';

/** Paths pino replaces with `[Redacted]` in every log line. */
export const REDACT_PATHS: readonly string[] = [
  'authorization',
  'password',
  'token',
  'accessToken',
  'refreshToken',
  '*.authorization',
  '*.accessToken',
  '*.refreshToken',
  '*.password',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

export const REDACT_CENSOR = '[Redacted]';

/** Names whose value is a secret wherever they appear: a JSON key, a GraphQL argument, key=value. */
const SECRET_NAMES =
  'access_?token|refresh_?token|id_?token|verify_?token|token|password|passwd|pwd|secret|client_?secret|app_?secret|' +
  'api_?key|authorization|cookie|credentials?|private_?key';

/**
 * Secrets inside strings, which path redaction cannot see: a request body logged as one JSON string
 * (`"{\"accessToken\":\"...\"}"`), a GraphQL document with a literal argument, an
 * `Authorization: Bearer` value, `password=...`, a URL's user:password@. Applied to every serialized
 * line, at any depth of escaping.
 */
const SECRETS_IN_TEXT: readonly [RegExp, string][] = [
  // "accessToken":"v", \"accessToken\":\"v\", accessToken: \"v\" (GraphQL), at any escaping depth.
  [
    new RegExp(`((?:\\\\*")?\\b(?:${SECRET_NAMES})(?:\\\\*")?\\s*:\\s*)(\\\\*")((?:(?!\\2).)*)\\2`, 'gi'),
    `$1$2${REDACT_CENSOR}$2`,
  ],
  [/\b([Bb]earer)\s+[A-Za-z0-9\-._~+/]+=*/g, `$1 ${REDACT_CENSOR}`],
  [new RegExp(`\\b(${SECRET_NAMES})=[^\\s&"\\\\,;]+`, 'gi'), `$1=${REDACT_CENSOR}`],
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/\s"@\\]+:)[^@\s"/\\]+@/gi, `$1${REDACT_CENSOR}@`],
];

/** A serialized log line with every secret found inside its strings replaced by REDACT_CENSOR. */
export function redactSecretsInText(line: string): string {
  let out = line;
  for (const [pattern, replacement] of SECRETS_IN_TEXT) out = out.replace(pattern, replacement);
  return out;
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** `LOG_LEVEL` when it names a pino level, else `info`. */
export function resolveLogLevel(env: NodeJS.ProcessEnv = process.env): string {
  const level = env.LOG_LEVEL?.trim().toLowerCase();
  return level && LEVELS.has(level) ? level : 'info';
}

/** Fields pino mixes into every line: the active span's ids, when there is a valid one. */
export function traceMixin(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getSpanContext(context.active());
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

export interface LoggerSettings {
  /** Component name, logged as `name`. */
  name?: string;
  /** Overrides `LOG_LEVEL`. */
  level?: string;
  /** Overrides the resolved service name. */
  serviceName?: string;
}

/** The pino options behind every Prasar logger (also used by the Nest request logger). */
export function loggerOptions(settings: LoggerSettings = {}): LoggerOptions {
  return {
    name: settings.name,
    level: settings.level ?? resolveLogLevel(),
    base: {
      service: settings.serviceName ?? resolveServiceName(),
      env: resolveEnvironment(),
      pid: process.pid,
      hostname: hostname(),
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceMixin,
    redact: { paths: [...REDACT_PATHS], censor: REDACT_CENSOR },
    hooks: { streamWrite: redactSecretsInText },
  };
}

let root: Logger | undefined;

/**
 * The process's root logger (JSON to stdout), created on first use. Writes are synchronous: a line
 * logged just before SIGTERM ends the process is not lost in a buffer.
 */
export function rootLogger(): Logger {
  root ??= pino(loggerOptions(), pino.destination({ dest: 1, sync: true }));
  return root;
}

export interface CreateLoggerOptions {
  /** Write somewhere else than stdout (tests); gives a logger of its own instead of a child of the root. */
  destination?: DestinationStream;
  level?: string;
}

/**
 * THE logger of every service and lib: JSON lines on stdout, level from `LOG_LEVEL`, `service` and
 * `env` in every line, `trace_id`/`span_id` of the active span, secrets redacted.
 */
export function createLogger(name?: string, options: CreateLoggerOptions = {}): Logger {
  if (options.destination) {
    return pino(loggerOptions({ name, level: options.level }), options.destination);
  }
  const base = rootLogger();
  if (!name && !options.level) return base;
  const child = base.child(name ? { name } : {});
  if (options.level) child.level = options.level;
  return child;
}
