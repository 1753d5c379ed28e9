import { loadConfigOrExit, vars, z } from '@prasar/config';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where `node scripts/build.mjs console` writes the web app: beside the built server
 * (dist/console/web) when running from dist/, dist/console/web at the root when running the sources.
 */
export const DEFAULT_STATIC_DIR =
  [
    join(__dirname, '..', '..', '..', 'web'),
    join(__dirname, '..', '..', '..', 'dist', 'console', 'web'),
  ].find((dir) => existsSync(join(dir, 'index.html'))) ??
  join(__dirname, '..', '..', '..', 'dist', 'console', 'web');

/** The console server's environment variables (README.md lists them). */
export const consoleShape = {
  PORT: vars.port(4300),
  LOG_LEVEL: vars.logLevel(),
  /** The gateway's GraphQL endpoint; the browser calls `/graphql` on the console's own origin. */
  GATEWAY_URL: vars.url(),
  /** The OpenID Connect provider people sign in with, and the console's public client there. */
  CONSOLE_OIDC_ISSUER: vars.url(),
  CONSOLE_OIDC_CLIENT_ID: z.string().min(1),
  CONSOLE_STATIC_DIR: z.string().min(1).default(DEFAULT_STATIC_DIR),
  CONSOLE_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(256 * 1024),
  CONSOLE_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(1).default(15_000),
};

export type ConsoleConfig = z.infer<z.ZodObject<typeof consoleShape>>;

export function loadConsoleConfigOrExit(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  return loadConfigOrExit(consoleShape, env);
}
