import { authShape, loadConfigOrExit, MAX_REQUEST_BODY_BYTES, vars, z } from '@prasar/config';
import { SUPERGRAPH_PATH } from './compose';
import { subgraphs, type SubgraphName, type SubgraphUrlEnv } from './subgraphs';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

// INTAKE_URL, APPROVAL_URL, ...: one optional override per subgraph, from subgraphs.ts.
const subgraphUrlShape = Object.fromEntries(
  subgraphs.map((s) => [s.urlEnv, vars.url().optional()]),
) as Record<SubgraphUrlEnv, z.ZodOptional<z.ZodString>>;

/** The gateway's environment variables (README.md lists them). */
export const gatewayShape = {
  PORT: vars.port(4000),
  LOG_LEVEL: vars.logLevel(),
  ...authShape,
  ...subgraphUrlShape,
  GATEWAY_SUPERGRAPH_FILE: z.string().min(1).default(SUPERGRAPH_PATH),
  GATEWAY_QUERY_PLANNER: z.enum(['rust', 'js']).default('rust'),
  GATEWAY_MAX_DEPTH: positiveInt(12),
  GATEWAY_MAX_TOKENS: positiveInt(2000),
  GATEWAY_MAX_ALIASES: z.coerce.number().int().min(0).default(30),
  GATEWAY_MAX_COST: positiveInt(5000),
  // At most the platform's limit (@prasar/config), which every service's body parser also has.
  GATEWAY_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_REQUEST_BODY_BYTES)
    .default(MAX_REQUEST_BODY_BYTES),
  // 0 turns the per-call timeout off: it costs about a fifth of the throughput (README, Performance).
  GATEWAY_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayShape>>;

/** Reads the gateway's configuration, or prints every bad variable and exits (78, EX_CONFIG). */
export function loadGatewayConfigOrExit(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const config = loadConfigOrExit(gatewayShape, env);
  // Tokens are checked against a JWKS from a URL or a file: without a URL, the file is required.
  if (!config.AUTH_JWKS_URL) loadConfigOrExit({ AUTH_JWKS_FILE: authShape.AUTH_JWKS_FILE.unwrap() }, env);
  return config;
}

/** The subgraph URLs the environment overrides; the others keep the supergraph's. */
export function subgraphUrlOverrides(config: GatewayConfig): Partial<Record<SubgraphName, string>> {
  const urls: Partial<Record<SubgraphName, string>> = {};
  for (const subgraph of subgraphs) {
    const url = config[subgraph.urlEnv];
    if (url) urls[subgraph.name] = url;
  }
  return urls;
}
