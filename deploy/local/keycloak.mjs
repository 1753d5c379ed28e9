// The embedded identity provider: Keycloak from Maven Central's keycloak-quarkus-dist zip, built
// once per version (`kc.sh build`), started optimized on loopback, with the Prasar realm created
// from deploy/local/keycloak/prasar-realm.json through the admin REST API. Used by infra.mjs;
// skipped when AUTH_ISSUER points at another OpenID Connect provider.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  HOST,
  InfraError,
  cmdline,
  commandExists,
  execChecked,
  isAlive,
  portInUse,
  seconds,
  tail,
  writeFileAtomic,
} from './proc.mjs';

export const KEYCLOAK_VERSION = '26.4.7';
export const KEYCLOAK_PORT = 18080;
export const KEYCLOAK_MANAGEMENT_PORT = 18090;
export const REALM = 'prasar';
export const CONSOLE_CLIENT_ID = 'prasar-console';
export const GATEWAY_CLIENT_ID = 'prasar-gateway';
export const DIRECTORY_CLIENT_ID = 'prasar-directory';
const ADMIN_USER = 'prasar-admin';
// Options fixed at build time (`kc.sh build`); changing them rebuilds the cached server.
const BUILD_OPTIONS = ['--db=dev-file', '--health-enabled=true', '--metrics-enabled=true'];
const HEAP = '-Xms64m -Xmx512m';
const START_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 30_000;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REALM_TEMPLATE = path.join(HERE, 'keycloak', 'prasar-realm.json');

const baseUrl = `http://${HOST}:${KEYCLOAK_PORT}`;
const issuer = `${baseUrl}/realms/${REALM}`;

export const isExternal = () => Boolean(process.env.AUTH_ISSUER);

function paths(home) {
  const root = path.join(home, 'keycloak', KEYCLOAK_VERSION);
  return {
    root,
    dist: path.join(root, 'dist'),
    marker: path.join(root, 'dist', '.prasar-built'),
    data: path.join(home, 'run', 'keycloak', 'data'),
    log: path.join(home, 'run', 'keycloak.log'),
    pid: path.join(home, 'run', 'keycloak.pid'),
  };
}

const buildKey = () =>
  createHash('sha256')
    .update(JSON.stringify([KEYCLOAK_VERSION, BUILD_OPTIONS]))
    .digest('hex');

/** Fetches the distribution once, unpacks it and runs `kc.sh build`; cached by version and options. */
async function ensureBuilt(P, say) {
  if (fs.existsSync(P.marker) && fs.readFileSync(P.marker, 'utf8').trim() === buildKey()) return;
  if (!commandExists('mvn') || !commandExists('jar')) {
    throw new InfraError(
      `mvn and a JDK's jar are needed once to fetch Keycloak ${KEYCLOAK_VERSION} (apt-get install maven openjdk-17-jdk-headless), or set AUTH_ISSUER to another OpenID Connect provider`,
    );
  }
  const started = Date.now();
  say(`keycloak ${KEYCLOAK_VERSION}: fetching and building the server (one time, about a minute)…`);
  const download = path.join(P.root, 'download');
  fs.mkdirSync(download, { recursive: true });
  const zip = path.join(download, `keycloak-quarkus-dist-${KEYCLOAK_VERSION}.zip`);
  if (!fs.existsSync(zip)) {
    const artifact = `org.keycloak:keycloak-quarkus-dist:${KEYCLOAK_VERSION}:zip`;
    await execChecked('fetching Keycloak with Maven', 'mvn', [
      '-q',
      '-B',
      'dependency:copy',
      `-Dartifact=${artifact}`,
      `-DoutputDirectory=${download}`,
    ]);
  }
  // Unpacked and built beside the final place, then renamed: an interrupted build never looks done.
  const partial = `${P.dist}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  // The JDK's jar unpacks zips on any machine with Java (unzip may be missing); it keeps no modes.
  await execChecked('unpacking Keycloak', 'jar', ['xf', zip], { cwd: partial });
  const inner = path.join(partial, `keycloak-${KEYCLOAK_VERSION}`);
  for (const script of fs.readdirSync(path.join(inner, 'bin')).filter((f) => f.endsWith('.sh'))) {
    fs.chmodSync(path.join(inner, 'bin', script), 0o755);
  }
  await execChecked('building Keycloak (kc.sh build)', path.join(inner, 'bin', 'kc.sh'), [
    'build',
    ...BUILD_OPTIONS,
  ]);
  fs.writeFileSync(path.join(inner, '.prasar-built'), `${buildKey()}\n`);
  fs.rmSync(P.dist, { recursive: true, force: true });
  fs.renameSync(inner, P.dist);
  fs.rmSync(partial, { recursive: true, force: true });
  fs.rmSync(zip, { force: true });
  say(`keycloak ${KEYCLOAK_VERSION}: built in ${P.dist} (${seconds(started)})`);
}

const isOurs = (P, pid) => cmdline(pid).some((arg) => arg.includes(`-Dkc.home.dir=${P.dist}`));

function findRunning(P) {
  const recorded = fs.existsSync(P.pid) ? Number(fs.readFileSync(P.pid, 'utf8')) : 0;
  if (recorded && isAlive(recorded) && isOurs(P, recorded)) return recorded;
  if (recorded) fs.rmSync(P.pid, { force: true });
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (pid && pid !== process.pid && isAlive(pid) && isOurs(P, pid)) {
      writeFileAtomic(P.pid, `${pid}\n`);
      return pid;
    }
  }
  return 0;
}

function readLog(P) {
  try {
    return fs.readFileSync(P.log, 'utf8').slice(-20_000);
  } catch {
    return '(no log file)';
  }
}

async function ready() {
  try {
    const res = await fetch(`http://${HOST}:${KEYCLOAK_MANAGEMENT_PORT}/health/ready`, {
      signal: AbortSignal.timeout(2000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

function startServer(P, secrets) {
  // Keycloak's state (an H2 file: the realm, its users and clients) lives with the rest of run/.
  fs.mkdirSync(P.data, { recursive: true });
  const distData = path.join(P.dist, 'data');
  if (!fs.existsSync(distData) || fs.realpathSync(distData) !== fs.realpathSync(P.data)) {
    fs.rmSync(distData, { recursive: true, force: true });
    fs.symlinkSync(P.data, distData);
  }
  if (fs.existsSync(P.log) && fs.statSync(P.log).size > 20 * 1024 * 1024)
    fs.renameSync(P.log, `${P.log}.old`);
  const log = fs.openSync(P.log, 'a');
  fs.writeSync(log, `\n--- ${new Date().toISOString()} infra.mjs starts Keycloak ${KEYCLOAK_VERSION} ---\n`);
  const child = spawn(
    path.join(P.dist, 'bin', 'kc.sh'),
    [
      'start',
      '--optimized',
      '--http-enabled=true',
      `--http-host=${HOST}`,
      `--http-port=${KEYCLOAK_PORT}`,
      `--http-management-port=${KEYCLOAK_MANAGEMENT_PORT}`,
      `--hostname=${baseUrl}`,
      '--log-level=WARN,org.keycloak.services:INFO,io.quarkus:INFO',
    ],
    {
      cwd: P.root,
      detached: true,
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        // Used once, when the master realm has no admin yet; stored in secrets.json.
        KC_BOOTSTRAP_ADMIN_USERNAME: ADMIN_USER,
        KC_BOOTSTRAP_ADMIN_PASSWORD: secrets.keycloakAdminPassword,
        JAVA_OPTS_KC_HEAP: HEAP,
      },
    },
  );
  child.on('error', () => {});
  child.unref();
  fs.closeSync(log);
  return child.pid;
}

async function waitReady(P, launcherPid) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await ready()) return findRunning(P);
    // kc.sh execs java; if neither it nor a server of ours is alive, start-up failed.
    if (!isAlive(launcherPid) && !findRunning(P)) {
      throw new InfraError(`keycloak exited during start-up; last lines of ${P.log}:\n${tail(readLog(P))}`);
    }
    await sleep(500);
  }
  throw new InfraError(`keycloak not ready after ${START_TIMEOUT_MS / 1000}s; see ${P.log}`);
}

// ---------------------------------------------------------------------------------------------
// The realm

/** The realm file with this machine's values filled in; its digest tells whether it changed. */
export function renderRealm(secrets) {
  const values = {
    REALM,
    AUDIENCE: 'prasar',
    CONSOLE_CLIENT_ID,
    GATEWAY_CLIENT_ID,
    GATEWAY_CLIENT_SECRET: secrets.keycloakGatewaySecret,
    DIRECTORY_CLIENT_ID,
    DIRECTORY_CLIENT_SECRET: secrets.keycloakDirectorySecret,
  };
  const fill = (text) =>
    text.replace(/\{\{(\w+)\}\}/g, (_, name) => {
      if (name === 'DIGEST') return '{{DIGEST}}';
      if (!(name in values)) throw new Error(`realm placeholder {{${name}}} has no value`);
      return String(values[name]);
    });
  const withoutDigest = fill(fs.readFileSync(REALM_TEMPLATE, 'utf8'));
  const digest = createHash('sha256').update(withoutDigest).digest('hex').slice(0, 32);
  return { realm: JSON.parse(withoutDigest.replace('{{DIGEST}}', digest)), digest };
}

async function adminToken(secrets) {
  const res = await fetch(`${baseUrl}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'admin-cli',
      username: ADMIN_USER,
      password: secrets.keycloakAdminPassword,
    }),
  });
  if (!res.ok) {
    throw new InfraError(
      `keycloak: the admin ${ADMIN_USER} cannot sign in (${res.status}); its password is in secrets.json. ` +
        'To start Keycloak afresh: infra down, then remove run/keycloak',
    );
  }
  return (await res.json()).access_token;
}

async function admin(token, method, url, body) {
  const res = await fetch(`${baseUrl}/admin/realms${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok && res.status !== 404) {
    throw new InfraError(
      `keycloak: ${method} /admin/realms${url} answered ${res.status}: ${await res.text()}`,
    );
  }
  return res;
}

/** Creates the realm from the file, or re-creates it when the file (or a secret in it) changed. */
async function ensureRealm(secrets, say) {
  const { realm, digest } = renderRealm(secrets);
  const token = await adminToken(secrets);
  const res = await admin(token, 'GET', `/${REALM}`);
  if (res.status === 200) {
    const current = await res.json();
    if (current.attributes?.prasarRealmDigest === digest) return false;
    say(
      `keycloak: ${path.basename(REALM_TEMPLATE)} changed; re-creating realm ${REALM} (the seed adds its users again)`,
    );
    await admin(token, 'DELETE', `/${REALM}`);
  }
  const created = await admin(token, 'POST', '', realm);
  if (created.status !== 201)
    throw new InfraError(`keycloak: creating realm ${REALM} answered ${created.status}`);
  say(`keycloak: realm ${REALM} created from ${path.relative(process.cwd(), REALM_TEMPLATE)}`);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Public API (for infra.mjs)

/** What the services and tools need to trust and use the provider (no network). */
export function envFor(secrets) {
  if (isExternal()) {
    return {
      OIDC_ISSUER: process.env.AUTH_ISSUER,
      OIDC_JWKS_URL: process.env.AUTH_JWKS_URL ?? `${process.env.AUTH_ISSUER}/protocol/openid-connect/certs`,
    };
  }
  return {
    OIDC_ISSUER: issuer,
    OIDC_JWKS_URL: `${issuer}/protocol/openid-connect/certs`,
    OIDC_INTROSPECTION_URL: `${issuer}/protocol/openid-connect/token/introspect`,
    OIDC_TOKEN_URL: `${issuer}/protocol/openid-connect/token`,
    KEYCLOAK_URL: baseUrl,
    KEYCLOAK_REALM: REALM,
    KEYCLOAK_ADMIN_CONSOLE: `${baseUrl}/admin/master/console/#/${REALM}`,
    KEYCLOAK_ADMIN_USER: ADMIN_USER,
    KEYCLOAK_ADMIN_PASSWORD: secrets.keycloakAdminPassword,
    OIDC_CONSOLE_CLIENT_ID: CONSOLE_CLIENT_ID,
    OIDC_GATEWAY_CLIENT_ID: GATEWAY_CLIENT_ID,
    OIDC_GATEWAY_CLIENT_SECRET: secrets.keycloakGatewaySecret,
    OIDC_DIRECTORY_CLIENT_ID: DIRECTORY_CLIENT_ID,
    OIDC_DIRECTORY_CLIENT_SECRET: secrets.keycloakDirectorySecret,
    DEMO_USER_PASSWORD: secrets.demoUserPassword,
  };
}

/** Keys of envFor's result that hold secrets (shown as *** when env.json is printed). */
export const SECRET_KEYS = [
  'KEYCLOAK_ADMIN_PASSWORD',
  'OIDC_GATEWAY_CLIENT_SECRET',
  'OIDC_DIRECTORY_CLIENT_SECRET',
  'DEMO_USER_PASSWORD',
];

/** Starts (or checks) Keycloak and its realm. */
export async function up({ home, secrets, say }) {
  if (isExternal()) {
    say(`auth: using the OpenID Connect provider ${process.env.AUTH_ISSUER} (not started here)`);
    return;
  }
  const P = paths(home);
  let pid = findRunning(P);
  if (pid && (await ready())) {
    say(`keycloak: already running (pid ${pid}) on ${baseUrl}`);
  } else {
    if (!pid) {
      for (const port of [KEYCLOAK_PORT, KEYCLOAK_MANAGEMENT_PORT]) {
        if (await portInUse(port)) {
          throw new InfraError(
            `port ${port} is busy with something that is not our Keycloak (see: ss -ltnp 'sport = :${port}')`,
          );
        }
      }
      await ensureBuilt(P, say);
    }
    const started = Date.now();
    const launcher = pid || startServer(P, secrets);
    if (!pid) say(`keycloak ${KEYCLOAK_VERSION}: starting (pid ${launcher}), log in ${P.log}`);
    pid = await waitReady(P, launcher);
    writeFileAtomic(P.pid, `${pid}\n`);
    say(`keycloak: ready on ${baseUrl} after ${seconds(started)}`);
  }
  await ensureRealm(secrets, say);
}

export async function down({ home, say }) {
  if (isExternal()) return;
  const P = paths(home);
  const pid = findRunning(P);
  if (!pid) {
    say('keycloak: not running');
    return;
  }
  say(`keycloak: stopping (pid ${pid})…`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(100);
  fs.rmSync(P.pid, { force: true });
  say('keycloak: stopped');
}

export async function status({ home }) {
  if (isExternal()) return { external: true, issuer: process.env.AUTH_ISSUER, ready: true };
  const P = paths(home);
  const pid = findRunning(P) || null;
  return { external: false, pid, url: baseUrl, ready: Boolean(pid) && (await ready()) };
}
