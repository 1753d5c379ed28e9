import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { signDevToken, type DevTokenClaims } from '@prasar/auth';

export * from './platform-sim';
export * from './oidc';
export * from './property';

/** What `npm run infra:up` wrote: brokers, database URLs, the dev JWT key pair. */
export interface InfraEnv {
  KAFKA_BROKERS: string;
  DATABASE_ADMIN_URL: string;
  DATABASE_URLS: Record<string, string>;
  AUTH_JWKS_FILE: string;
  AUTH_DEV_PRIVATE_KEY_FILE: string;
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
  /** The OpenID Connect provider (the embedded Keycloak unless AUTH_ISSUER named another at infra:up). */
  OIDC_ISSUER?: string;
  OIDC_JWKS_URL?: string;
  OIDC_TOKEN_URL?: string;
  OIDC_INTROSPECTION_URL?: string;
  KEYCLOAK_URL?: string;
  KEYCLOAK_REALM?: string;
  KEYCLOAK_ADMIN_CONSOLE?: string;
  KEYCLOAK_ADMIN_USER?: string;
  KEYCLOAK_ADMIN_PASSWORD?: string;
  OIDC_CONSOLE_CLIENT_ID?: string;
  OIDC_GATEWAY_CLIENT_ID?: string;
  OIDC_GATEWAY_CLIENT_SECRET?: string;
  OIDC_DIRECTORY_CLIENT_ID?: string;
  OIDC_DIRECTORY_CLIENT_SECRET?: string;
  DEMO_USER_PASSWORD?: string;
}

/** Reads the local infrastructure's environment (PRASAR_INFRA_ENV or $PRASAR_HOME/run/env.json). */
export function readInfraEnv(): InfraEnv {
  if (process.env.PRASAR_INFRA_ENV) return JSON.parse(process.env.PRASAR_INFRA_ENV) as InfraEnv;
  const home = process.env.PRASAR_HOME ?? join(homedir(), '.cache', 'prasar');
  const file = join(home, 'run', 'env.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as InfraEnv;
  } catch {
    throw new Error(`${file} is missing: run \`npm run infra:up\` (or \`npm test\`) first`);
  }
}

/** A development token for tests, signed with the local key. */
export async function tokenFor(claims: DevTokenClaims, env: InfraEnv = readInfraEnv()): Promise<string> {
  const key = JSON.parse(readFileSync(env.AUTH_DEV_PRIVATE_KEY_FILE, 'utf8'));
  return signDevToken(key, claims, env.AUTH_ISSUER, env.AUTH_AUDIENCE);
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** Posts a GraphQL operation. */
export async function gql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLResponse<T>;
}

/** Retries an assertion until it passes or the time is up (for effects that travel over Kafka). */
export async function eventually<T>(
  check: () => Promise<T>,
  timeoutMs = 20_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

interface StackModule {
  SERVICES: { name: string; entry: string; port: number; db?: string; graphql?: boolean }[];
  serviceUrl: (service: { name: string; graphql?: boolean }, port: number) => string;
  spawnService: (
    service: unknown,
    infra: InfraEnv,
    opts: {
      ports?: Record<string, number>;
      onLine?: (name: string, line: string) => void;
      extraEnv?: Record<string, string>;
    },
  ) => ChildProcess;
  waitHealthy: (name: string, port: number, child: ChildProcess, timeoutMs?: number) => Promise<void>;
  ensureConsoleBuilt: (options?: { onLine?: (name: string, line: string) => void }) => void;
}

/**
 * Ports for every service of the stack, offset from `base` the way the defaults are offset from
 * 4000 (gateway = base, intake = base + 101, ...), so parallel e2e suites never collide. Bases
 * stay below the ephemeral port range.
 */
export function portsFor(base: number): Record<string, number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const stack = require('./stack.cjs') as StackModule;
  const ports = Object.fromEntries(stack.SERVICES.map((s) => [s.name, base + (s.port - 4000)]));
  // Ports from Linux's ephemeral range (32768-60999) can be taken at any moment by an outgoing
  // connection's local port, and a listen then fails with EADDRINUSE.
  const high = Object.entries(ports).filter(([, port]) => port >= 32768);
  if (high.length)
    throw new Error(
      `portsFor(${base}): keep test ports below 32768 (${high.map(([n, p]) => `${n} ${p}`).join(', ')})`,
    );
  return ports;
}

export interface RunningStack {
  gatewayUrl: string;
  /** Each service's URL: `/graphql` for the GraphQL services, the base URL for platform-sim. */
  urls: Record<string, string>;
  logs: string[];
  stop(): Promise<void>;
  /** Stops one service (SIGTERM, as a rolling restart does) and waits until it has exited. */
  stopService(name: string): Promise<void>;
  /** Starts a stopped service again and waits until it is healthy. */
  startService(name: string): Promise<void>;
}

/**
 * Starts the platform's processes the way `npm start` does, on the given ports, for end-to-end
 * tests. Their log lines are kept for assertions and printed if start-up fails.
 */
export async function startStack(options: {
  ports: Record<string, number>;
  extraEnv?: Record<string, string>;
}): Promise<RunningStack> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const stack = require('./stack.cjs') as StackModule;
  const env = readInfraEnv();
  const logs: string[] = [];
  const children = new Map<string, ChildProcess>();
  const terminate = (c: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 5000).unref();
    });
  const stop = async () => {
    await Promise.all([...children.values()].map(terminate));
  };
  const serviceNamed = (name: string) => {
    const service = stack.SERVICES.find((s) => s.name === name);
    if (!service) throw new Error(`no service named ${name}`);
    return service;
  };
  const start = async (service: StackModule['SERVICES'][number]) => {
    const child = stack.spawnService(service, env, {
      ports: options.ports,
      extraEnv: { LOG_LEVEL: 'warn', ...options.extraEnv },
      onLine: (name, line) => logs.push(`${name}| ${line}`),
    });
    children.set(service.name, child);
    await stack.waitHealthy(service.name, options.ports[service.name], child);
  };
  const missing = stack.SERVICES.filter((s) => options.ports[s.name] === undefined).map((s) => s.name);
  if (missing.length)
    throw new Error(`startStack needs a port for every service; missing: ${missing.join(', ')}`);
  try {
    stack.ensureConsoleBuilt();
    for (const service of stack.SERVICES) await start(service);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- service output ---\n${logs.slice(-60).join('\n')}`);
  }
  const urls = Object.fromEntries(
    stack.SERVICES.map((s) => [s.name, stack.serviceUrl(s, options.ports[s.name])]),
  );
  return {
    gatewayUrl: urls.gateway,
    urls,
    logs,
    stop,
    stopService: async (name) => {
      const child = children.get(serviceNamed(name).name);
      if (child) await terminate(child);
    },
    startService: async (name) => {
      const child = children.get(name);
      if (child && child.exitCode === null && child.signalCode === null)
        throw new Error(`${name} is running`);
      await start(serviceNamed(name));
    },
  };
}

/**
 * A throwaway database on the local server for a library's integration test, owned by a fresh
 * non-superuser role (superusers bypass row-level security); drop() removes both.
 */
export async function scratchDatabase(prefix: string, env: InfraEnv = readInfraEnv()) {
  const { Client } = await import('pg');
  const { randomBytes } = await import('node:crypto');
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
  const password = randomBytes(12).toString('hex');
  const admin = new Client({ connectionString: env.DATABASE_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
    await admin.query(`CREATE DATABASE ${name} OWNER ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(env.DATABASE_ADMIN_URL);
  url.pathname = `/${name}`;
  url.username = name;
  url.password = password;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: env.DATABASE_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${name}`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A decoded event a service wrote to its outbox. */
export interface OutboxEvent {
  type: string;
  key: string;
  departmentId: string | null;
  message: Record<string, unknown>;
}

/** Every event in a service's outbox, oldest first, optionally of one type (short name, e.g. `ContentUpdated`). */
export async function readOutbox(
  db: { query(sql: string): Promise<unknown> },
  type?: string,
): Promise<OutboxEvent[]> {
  const { decodeEvent } = await import('@prasar/contracts');
  const rows = (await db.query(
    `SELECT type, key, department_id, payload FROM prasar_outbox ORDER BY seq`,
  )) as { type: string; key: string; department_id: string | null; payload: Buffer }[];
  return rows
    .filter((r) => !type || r.type.endsWith(`.${type}`))
    .map((r) => ({
      type: r.type,
      key: r.key,
      departmentId: r.department_id,
      message: decodeEvent(r.type, r.payload).message as unknown as Record<string, unknown>,
    }));
}

/** A superuser connection to one database (to bypass triggers and row-level security in tamper tests). */
export async function adminClientFor(database: string, env: InfraEnv = readInfraEnv()) {
  const { Client } = await import('pg');
  const url = new URL(env.DATABASE_ADMIN_URL);
  url.pathname = `/${database}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}
