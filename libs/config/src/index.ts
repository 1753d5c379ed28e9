import { z } from 'zod';

export { z };

/** Raised when the environment does not satisfy a service's configuration schema. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super('Invalid configuration:\n' + problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Validates environment variables against a zod shape; throws ConfigError naming every bad variable. */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    variable: String(issue.path[0] ?? '(root)'),
    message: env[String(issue.path[0])] === undefined ? 'is required but not set' : issue.message,
  }));
  throw new ConfigError(problems);
}

/** Loads configuration, or prints the problem and exits: a bad value stops start-up. */
export function loadConfigOrExit<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv = process.env) {
  try {
    return loadConfig(shape, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

/**
 * The largest HTTP request body any Prasar process accepts, in bytes: the gateway refuses a larger
 * one first (413, BAD_USER_INPUT, naming the limit), and every service's body parser has the same
 * limit (@prasar/service), so a request the gateway passes on is never refused behind it.
 */
export const MAX_REQUEST_BODY_BYTES = 256 * 1024;

/** Reusable variable types. */
export const vars = {
  port: (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback),
  postgresUrl: () =>
    z
      .string()
      .url()
      .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// URL'),
  brokers: () =>
    z
      .string()
      .min(1)
      .transform((v) => v.split(',').map((s) => s.trim()))
      .refine((list) => list.every((b) => /^[^:\s]+:\d+$/.test(b)), 'must be host:port[,host:port...]'),
  url: () => z.string().url(),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
};

/**
 * How a service trusts tokens (libs/auth's verifierOptionsFrom reads these): the OpenID Connect
 * provider's issuer and keys, the audience, the maximum token age, optionally token introspection
 * (the gateway) and, in local runs only, the development issuer of `npm run token`.
 */
export const authShape = {
  AUTH_JWKS_FILE: z.string().min(1).optional(),
  AUTH_JWKS_URL: vars.url().optional(),
  AUTH_ISSUER: z.string().min(1),
  AUTH_AUDIENCE: z.string().min(1),
  AUTH_DEV_ISSUER: z.string().min(1).optional(),
  AUTH_DEV_JWKS_FILE: z.string().min(1).optional(),
  AUTH_MAX_TOKEN_AGE_SECONDS: z.coerce.number().int().min(1).default(3600),
  AUTH_INTROSPECTION_URL: vars.url().optional(),
  AUTH_INTROSPECTION_CLIENT_ID: z.string().min(1).optional(),
  AUTH_INTROSPECTION_CLIENT_SECRET: z.string().min(1).optional(),
  AUTH_INTROSPECTION_CACHE_SECONDS: z.coerce.number().int().min(0).default(30),
};

/** Where integration clients (and, for the seed, people) are managed: libs/auth's directoryFrom. */
export const directoryShape = {
  IDENTITY_DIRECTORY: z.enum(['keycloak', 'none']).default('none'),
  IDENTITY_DIRECTORY_URL: vars.url().optional(),
  IDENTITY_DIRECTORY_REALM: z.string().min(1).optional(),
  IDENTITY_DIRECTORY_CLIENT_ID: z.string().min(1).optional(),
  IDENTITY_DIRECTORY_CLIENT_SECRET: z.string().min(1).optional(),
};

/** Variables every backend service reads. */
export const serviceShape = {
  PORT: vars.port(4000),
  LOG_LEVEL: vars.logLevel(),
  DATABASE_URL: vars.postgresUrl(),
  KAFKA_BROKERS: vars.brokers(),
  ...authShape,
};
