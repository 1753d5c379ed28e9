import type { Logger } from 'pino';

let log: Logger | undefined;

/**
 * The library's own logger, loaded on first use: `register.ts` must not load pino before the SDK
 * has enabled the pino instrumentation.
 */
export function internalLogger(): Logger {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  log ??= (require('./logger') as typeof import('./logger')).createLogger('telemetry');
  return log;
}
