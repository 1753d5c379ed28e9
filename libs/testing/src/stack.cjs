// How Prasar's processes are started, shared by `npm start`, `npm test` and the end-to-end tests
// (CommonJS so that both the ESM launcher and Jest can load it).
const { spawn } = require('node:child_process');
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..', '..');

/** The platform simulator's control-API token for local runs and tests (SIM_ADMIN_TOKEN overrides it). */
const SIM_DEV_ADMIN_TOKEN = 'prasar-dev-platform-sim';

/** The simulator's admin token: SIM_ADMIN_TOKEN when set, else the development value. */
function simAdminToken() {
  return process.env.SIM_ADMIN_TOKEN || SIM_DEV_ADMIN_TOKEN;
}

/**
 * The publisher's secrets for local runs and tests, unless the environment gives them: derived from
 * the local development key pair, so they are stable on one machine (credentials sealed yesterday
 * still open) and never the same on two. Production sets its own.
 */
function publisherDevSecrets(infra) {
  const derive = (label) => {
    if (!infra.AUTH_DEV_PRIVATE_KEY_FILE)
      throw new Error('set PUBLISHER_CREDENTIALS_KEYS: there is no local key pair to derive one from');
    return createHash('sha256').update(label).update(readFileSync(infra.AUTH_DEV_PRIVATE_KEY_FILE)).digest();
  };
  return {
    PUBLISHER_CREDENTIALS_KEYS:
      process.env.PUBLISHER_CREDENTIALS_KEYS ||
      `dev:${derive('prasar-publisher-credentials').toString('base64')}`,
    WHATSAPP_APP_SECRET:
      process.env.WHATSAPP_APP_SECRET || derive('prasar-whatsapp-app-secret').toString('hex'),
  };
}

/**
 * Every process of the platform, in start order. `db` names its database in env.json; `graphql:
 * false` marks a service without a /graphql endpoint; `env` adds variables of its own. The
 * simulator starts first: the publisher calls it.
 */
const SERVICES = [
  {
    name: 'platform-sim',
    entry: 'services/platform-sim/src/main.ts',
    port: 4900,
    graphql: false,
    env: () => ({ SIM_ADMIN_TOKEN: simAdminToken() }),
  },
  { name: 'intake', entry: 'services/intake/src/main.ts', port: 4101, db: 'intake' },
  { name: 'approval', entry: 'services/approval/src/main.ts', port: 4102, db: 'approval' },
  { name: 'scheduler', entry: 'services/scheduler/src/main.ts', port: 4103, db: 'scheduler' },
  {
    name: 'publisher',
    entry: 'services/publisher/src/main.ts',
    port: 4104,
    db: 'publisher',
    env: (infra) => ({
      ...publisherDevSecrets(infra),
      // The simulator serves test media on loopback (any port: tests choose theirs); the publisher
      // refuses loopback media URLs otherwise.
      PUBLISHER_MEDIA_ALLOWED_HOSTS: process.env.PUBLISHER_MEDIA_ALLOWED_HOSTS || '127.0.0.1,localhost',
    }),
  },
  {
    name: 'analytics',
    entry: 'services/analytics/src/main.ts',
    port: 4105,
    db: 'analytics',
    // A read model at engagement volume: its consumer makes one span per batch, and kafkajs's
    // instrumentation would add one per message (a fifth of its CPU).
    // It also owns notifications: their mail goes to the local Mailpit (or SMTP_URL's server).
    env: (infra) => ({
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'kafkajs',
      ...(infra.SMTP_URL ? { SMTP_URL: infra.SMTP_URL } : {}),
    }),
  },
  { name: 'gateway', entry: 'services/gateway/src/main.ts', port: 4000 },
  {
    // The web console: its static files and /graphql passed to the gateway (GATEWAY_URL, below).
    name: 'console',
    entry: 'services/console/src/main.ts',
    port: 4300,
    graphql: false,
    env: (infra) => ({
      CONSOLE_OIDC_ISSUER: process.env.CONSOLE_OIDC_ISSUER || infra.OIDC_ISSUER,
      CONSOLE_OIDC_CLIENT_ID: process.env.CONSOLE_OIDC_CLIENT_ID || infra.OIDC_CONSOLE_CLIENT_ID,
    }),
  },
];

/** Services that own a database and therefore have migrations. */
const MIGRATING = SERVICES.filter((s) => s.db).map((s) => ({
  name: s.name,
  entry: `services/${s.name}/src/migrate.ts`,
  db: s.db,
}));

/** Where a service answers: its /graphql endpoint, or its base URL (platform-sim). */
function serviceUrl(service, port) {
  return `http://127.0.0.1:${port}${service.graphql === false ? '' : '/graphql'}`;
}

/** The environment of one process, from the infrastructure's env.json and the chosen ports. */
function serviceEnv(service, infra, ports = {}) {
  const portOf = (name) => ports[name] ?? SERVICES.find((s) => s.name === name).port;
  const env = {
    ...process.env,
    PORT: String(portOf(service.name)),
    KAFKA_BROKERS: infra.KAFKA_BROKERS,
    AUTH_AUDIENCE: infra.AUTH_AUDIENCE,
    OTEL_SERVICE_NAME: service.name,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    ...authEnv(service, infra),
  };
  if (service.db) env.DATABASE_URL = infra.DATABASE_URLS[service.db];
  // INTAKE_URL, …, PLATFORM_SIM_URL (the base URL the publisher's adapters are pointed at locally).
  for (const s of SERVICES)
    env[`${s.name.toUpperCase().replace(/-/g, '_')}_URL`] = serviceUrl(s, portOf(s.name));
  if (service.env) Object.assign(env, service.env(infra));
  return env;
}

/**
 * How a process trusts tokens: the OpenID Connect provider (the embedded Keycloak, or the one
 * AUTH_ISSUER named at infra:up) and, beside it in local runs, the development issuer of
 * `npm run token`. The gateway introspects the provider's tokens (a disabled or rotated client is
 * refused at once); intake manages integration clients through the provider's admin API.
 */
function authEnv(service, infra) {
  if (!infra.OIDC_ISSUER) return { AUTH_ISSUER: infra.AUTH_ISSUER, AUTH_JWKS_FILE: infra.AUTH_JWKS_FILE };
  const env = {
    AUTH_ISSUER: infra.OIDC_ISSUER,
    AUTH_JWKS_URL: infra.OIDC_JWKS_URL,
    AUTH_DEV_ISSUER: infra.AUTH_ISSUER,
    AUTH_DEV_JWKS_FILE: infra.AUTH_JWKS_FILE,
  };
  if (service.name === 'gateway' && infra.OIDC_INTROSPECTION_URL) {
    Object.assign(env, {
      AUTH_INTROSPECTION_URL: infra.OIDC_INTROSPECTION_URL,
      AUTH_INTROSPECTION_CLIENT_ID: infra.OIDC_GATEWAY_CLIENT_ID,
      AUTH_INTROSPECTION_CLIENT_SECRET: infra.OIDC_GATEWAY_CLIENT_SECRET,
    });
  }
  if (service.name === 'intake' && infra.KEYCLOAK_URL) {
    Object.assign(env, {
      IDENTITY_DIRECTORY: 'keycloak',
      IDENTITY_DIRECTORY_URL: infra.KEYCLOAK_URL,
      IDENTITY_DIRECTORY_REALM: infra.KEYCLOAK_REALM,
      IDENTITY_DIRECTORY_CLIENT_ID: infra.OIDC_DIRECTORY_CLIENT_ID,
      IDENTITY_DIRECTORY_CLIENT_SECRET: infra.OIDC_DIRECTORY_CLIENT_SECRET,
    });
  }
  return env;
}

/** Node arguments that run a TypeScript entry point, with telemetry loaded before anything else. */
function nodeArgs(entry, { telemetry = true } = {}) {
  const args = ['-r', '@swc-node/register'];
  // PRASAR_CPU_PROF=<dir>: each service writes a V8 CPU profile there when it stops (for the bench).
  if (telemetry && process.env.PRASAR_CPU_PROF)
    args.unshift('--cpu-prof', `--cpu-prof-dir=${process.env.PRASAR_CPU_PROF}`);
  if (telemetry) args.push('-r', './libs/telemetry/src/register.ts');
  return [...args, entry];
}

/**
 * Node arguments that run a service from its built form under `builtRoot` (what
 * `node scripts/build.mjs --all --out <builtRoot>` wrote), as the container image runs it.
 */
function builtArgs(service, builtRoot) {
  const root = join(builtRoot, service.name);
  return [
    '-r',
    join(root, 'libs/telemetry/src/register.js'),
    join(root, `services/${service.name}/src/main.js`),
  ];
}

/**
 * Starts one service (from its TypeScript source, or from its built form when `builtRoot` is
 * given); its output lines are passed to `onLine`.
 */
function spawnService(service, infra, { ports, onLine, extraEnv, builtRoot } = {}) {
  const args = builtRoot ? builtArgs(service, builtRoot) : nodeArgs(service.entry);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...serviceEnv(service, infra, ports), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        onLine?.(service.name, buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
    });
  }
  return child;
}

/** Waits until a service answers its health check, or fails with what went wrong. */
async function waitHealthy(name, port, child, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`${name} exited with code ${child.exitCode} while starting`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} did not become healthy on port ${port} within ${timeoutMs} ms`);
}

/** Runs a TypeScript entry to completion (migrations, seeds); rejects on a non-zero exit. */
function runToCompletion(entry, env, { onLine } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs(entry, { telemetry: false }), {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        output += chunk;
        if (onLine) for (const line of chunk.split('\n').filter(Boolean)) onLine(line);
      });
    }
    child.on('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${entry} exited with ${code}:\n${output.slice(-4000)}`)),
    );
  });
}

/** Newest modification time of the files under `dir` (skipping node_modules). */
function newestMtime(dir) {
  const { readdirSync, statSync } = require('node:fs');
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    const info = statSync(path);
    newest = Math.max(newest, info.isDirectory() ? newestMtime(path) : info.mtimeMs);
  }
  return newest;
}

/**
 * Builds the console's web app (dist/console/web, which its server serves) when it is missing or
 * older than its sources; `npm start` and the end-to-end tests call it before starting the console.
 */
function ensureConsoleBuilt({ onLine } = {}) {
  const { existsSync, statSync } = require('node:fs');
  const index = join(ROOT, 'dist', 'console', 'web', 'index.html');
  const sources = [join(ROOT, 'services', 'console', 'web'), join(ROOT, 'services', 'console', 'src')];
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources.map(newestMtime))) return;
  onLine?.('console', 'building the web app…');
  const res = require('node:child_process').spawnSync(
    process.execPath,
    [join(ROOT, 'scripts', 'build.mjs'), 'console'],
    // A production build, whatever the caller's NODE_ENV (Jest sets `test`).
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } },
  );
  if (res.status !== 0) throw new Error(`building the console failed:\n${res.stdout}${res.stderr}`);
}

/** Migrates every service's database, as the role that owns it (services run as another). */
async function migrateAll(infra, { onLine } = {}) {
  for (const m of MIGRATING) {
    const env = { ...serviceEnv(m, infra), DATABASE_URL: migrationUrl(infra, m.db) };
    await runToCompletion(m.entry, env, { onLine: (l) => onLine?.(m.name, l) });
  }
}

/** The owner's URL of a service's database (env.json from before the app roles: the one URL). */
function migrationUrl(infra, db) {
  return (infra.DATABASE_MIGRATION_URLS ?? {})[db] ?? infra.DATABASE_URLS[db];
}

module.exports = {
  ROOT,
  SIM_DEV_ADMIN_TOKEN,
  simAdminToken,
  SERVICES,
  publisherDevSecrets,
  serviceUrl,
  MIGRATING,
  serviceEnv,
  nodeArgs,
  builtArgs,
  spawnService,
  waitHealthy,
  runToCompletion,
  migrateAll,
  ensureConsoleBuilt,
  migrationUrl,
};
