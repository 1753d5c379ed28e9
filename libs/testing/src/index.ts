import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { signDevToken, type DevTokenClaims } from '@prasar/auth';

export * from './platform-sim';
export * from './oidc';

/** What `npm run infra:up` wrote: brokers, database URLs, the dev JWT key pair. */
export interface InfraEnv {
  KAFKA_BROKERS: string;
  DATABASE_ADMIN_URL: string;
  /** Each service's URL as the service runs: prasar_<svc>_app, bound by row-level security. */
  DATABASE_URLS: Record<string, string>;
  /** Each service's URL as its migrations run: prasar_<svc>, the owner of its tables. */
  DATABASE_MIGRATION_URLS?: Record<string, string>;
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
  /** The mail sink: the local Mailpit's SMTP address (or the server SMTP_URL named at infra:up). */
  SMTP_URL?: string;
  /** The local Mailpit's HTTP API, where tests read what arrived (absent with another SMTP server). */
  MAILPIT_API_URL?: string;
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
      builtRoot?: string;
    },
  ) => ChildProcess;
  waitHealthy: (name: string, port: number, child: ChildProcess, timeoutMs?: number) => Promise<void>;
  ensureConsoleBuilt: (options?: { onLine?: (name: string, line: string) => void }) => void;
}

/**
 * Runs one service of the stack as `npm start` would (for a test of how it starts or refuses to):
 * resolves with its exit code once it exits, and the lines it printed.
 */
export async function runServiceUntilExit(
  name: string,
  options: { port: number; extraEnv?: Record<string, string>; timeoutMs?: number },
): Promise<{ code: number | null; lines: string[] }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const stack = require('./stack.cjs') as StackModule;
  const service = stack.SERVICES.find((s) => s.name === name);
  if (!service) throw new Error(`no service named ${name}`);
  const lines: string[] = [];
  const child = stack.spawnService(service, readInfraEnv(), {
    ports: { [name]: options.port },
    extraEnv: options.extraEnv,
    onLine: (_n, line) => lines.push(line),
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, lines };
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
  /** Freezes a running service (SIGSTOP): it keeps its port and answers nothing, like a hung process. */
  pauseService(name: string): void;
  /** Lets a frozen service run on (SIGCONT). */
  resumeService(name: string): void;
  /** Kills one service at once (SIGKILL, as a crash or an OOM kill does) and waits until it is gone. */
  killService(name: string): Promise<void>;
  /** Starts a stopped service again and waits until it is healthy; resolves with how long that took (ms). */
  startService(name: string): Promise<number>;
}

/**
 * Starts the platform's processes the way `npm start` does, on the given ports, for end-to-end
 * tests. Their log lines are kept for assertions and printed if start-up fails.
 */
export async function startStack(options: {
  ports: Record<string, number>;
  extraEnv?: Record<string, string>;
  /**
   * Run every service from its built form (`scripts/build.mjs`, what the container image runs),
   * built first into a directory of this stack's own under dist/ (removed by stop()).
   */
  built?: boolean;
}): Promise<RunningStack> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const stack = require('./stack.cjs') as StackModule & { ROOT: string };
  const env = readInfraEnv();
  let builtRoot: string | undefined;
  if (options.built) {
    const { execFileSync } = await import('node:child_process');
    const { randomUUID } = await import('node:crypto');
    builtRoot = join(stack.ROOT, 'dist', `e2e-${randomUUID().slice(0, 8)}`);
    execFileSync(process.execPath, ['scripts/build.mjs', '--all', '--out', builtRoot], {
      cwd: stack.ROOT,
      stdio: 'ignore',
    });
  }
  const removeBuilt = async () => {
    if (!builtRoot) return;
    const { rm } = await import('node:fs/promises');
    await rm(builtRoot, { recursive: true, force: true });
  };
  const logs: string[] = [];
  const children = new Map<string, ChildProcess>();
  const terminate = (c: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGCONT'); // a paused service could not act on SIGTERM
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 5000).unref();
    });
  const stop = async () => {
    await Promise.all([...children.values()].map(terminate));
    await removeBuilt();
  };
  const kill = (c: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  const serviceNamed = (name: string) => {
    const service = stack.SERVICES.find((s) => s.name === name);
    if (!service) throw new Error(`no service named ${name}`);
    return service;
  };
  const start = async (service: StackModule['SERVICES'][number]) => {
    const began = Date.now();
    const child = stack.spawnService(service, env, {
      ports: options.ports,
      extraEnv: { LOG_LEVEL: 'warn', ...options.extraEnv },
      onLine: (name, line) => logs.push(`${name}| ${line}`),
      builtRoot,
    });
    children.set(service.name, child);
    await stack.waitHealthy(service.name, options.ports[service.name], child);
    return Date.now() - began;
  };
  const missing = stack.SERVICES.filter((s) => options.ports[s.name] === undefined).map((s) => s.name);
  if (missing.length) {
    await removeBuilt();
    throw new Error(`startStack needs a port for every service; missing: ${missing.join(', ')}`);
  }
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
    killService: async (name) => {
      const child = children.get(serviceNamed(name).name);
      if (child) await kill(child);
    },
    startService: async (name) => {
      const child = children.get(name);
      if (child && child.exitCode === null && child.signalCode === null)
        throw new Error(`${name} is running`);
      return start(serviceNamed(name));
    },
    pauseService: (name) => {
      children.get(serviceNamed(name).name)?.kill('SIGSTOP');
    },
    resumeService: (name) => {
      children.get(serviceNamed(name).name)?.kill('SIGCONT');
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
