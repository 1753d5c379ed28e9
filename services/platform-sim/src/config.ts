import { ConfigError, loadConfig, vars, z } from '@prasar/config';

/** The simulator's environment variables (README.md lists them). */
export const simShape = {
  PORT: vars.port(4900),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: vars.logLevel(),
  /** Serve the control API under /_sim/ (it needs SIM_ADMIN_TOKEN). */
  SIM_CONTROL: vars.bool(true),
  SIM_ADMIN_TOKEN: z.string().min(8).optional(),
  /** `wall`: the clock runs (plus what tests advance); `frozen`: it moves only when advanced. */
  SIM_CLOCK: z.enum(['wall', 'frozen']).default('wall'),
  SIM_CLOCK_START: z.iso.datetime({ offset: true }).optional(),
  /** The default WhatsApp webhook and the app secret that signs it. */
  SIM_WHATSAPP_WEBHOOK_URL: vars.url().optional(),
  SIM_META_APP_SECRET: z.string().min(1).optional(),
  SIM_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(1).default(5000),
};

export type SimConfig = z.infer<z.ZodObject<typeof simShape>>;

/** Reads the configuration; throws ConfigError naming every bad or missing variable. */
export function loadSimConfig(env: NodeJS.ProcessEnv = process.env): SimConfig {
  const config = loadConfig(simShape, env);
  // The control API registers accounts and injects faults: it is never open without a token.
  if (config.SIM_CONTROL) loadConfig({ SIM_ADMIN_TOKEN: simShape.SIM_ADMIN_TOKEN.unwrap() }, env);
  if (config.SIM_WHATSAPP_WEBHOOK_URL)
    loadConfig({ SIM_META_APP_SECRET: simShape.SIM_META_APP_SECRET.unwrap() }, env);
  return config;
}

/** Reads the configuration, or prints every bad variable and exits (78, EX_CONFIG). */
export function loadSimConfigOrExit(env: NodeJS.ProcessEnv = process.env): SimConfig {
  try {
    return loadSimConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}
