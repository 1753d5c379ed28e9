#!/usr/bin/env node
// Local infrastructure for Prasar: a single-node Kafka, a dedicated PostgreSQL cluster with one
// database per service, the embedded Keycloak, the Mailpit mail sink
// and dev JWT signing keys.
//
//   node deploy/local/infra.mjs up | down | status | env
//
// Other scripts can `import { up, down, status, readEnv } from './deploy/local/infra.mjs'`.
// See deploy/local/README.md.
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { runAsMain } from '../cli.mjs';
import * as keycloak from './keycloak.mjs';
import * as mailpit from './mailpit.mjs';
import {
  HOST,
  InfraError,
  cmdline,
  commandExists,
  exec,
  execChecked,
  isAlive,
  portInUse,
  readJson,
  seconds,
  tail,
  writeFileAtomic,
} from './proc.mjs';

export { InfraError };

export const SERVICES = ['intake', 'approval', 'scheduler', 'publisher', 'analytics'];

export const KAFKA_VERSION = '4.1.1';
export const KAFKA_PORT = 59092;
export const KAFKA_CONTROLLER_PORT = 59093;
const KAFKA_HEAP = ['-Xms256m', '-Xmx768m'];
export const PG_CLUSTER = 'prasar';
export const PG_PORT = 55432;
const PG_ADMIN_ROLE = 'prasar_admin';
const AUTH_ISSUER = 'https://auth.prasar.local';
const AUTH_AUDIENCE = 'prasar';

const KAFKA_START_TIMEOUT_MS = 90_000;
const KAFKA_STOP_TIMEOUT_MS = 30_000;
const EXTERNAL_WAIT_TIMEOUT_MS = 60_000;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const TOPICS_FILE = path.join(REPO, 'libs/contracts/topics.json');

const HOME = process.env.PRASAR_HOME || path.join(os.homedir(), '.cache', 'prasar');
const RUN = path.join(HOME, 'run');
const P = {
  kafkaHome: path.join(HOME, 'kafka', KAFKA_VERSION),
  kafkaLibs: path.join(HOME, 'kafka', KAFKA_VERSION, 'libs'),
  kafkaProps: path.join(RUN, 'kafka', 'server.properties'),
  kafkaLog4j: path.join(RUN, 'kafka', 'log4j2.yaml'),
  kafkaData: path.join(RUN, 'kafka-data'),
  kafkaLog: path.join(RUN, 'kafka.log'),
  kafkaPid: path.join(RUN, 'kafka.pid'),
  secrets: path.join(RUN, 'secrets.json'),
  jwks: path.join(RUN, 'auth', 'jwks.json'),
  privateJwk: path.join(RUN, 'auth', 'dev-private.jwk.json'),
  env: path.join(RUN, 'env.json'),
  lock: path.join(RUN, 'infra.lock'),
};

// ---------------------------------------------------------------------------------------------
// Small helpers

let quiet = false;
const say = (msg) => {
  if (!quiet) process.stdout.write(`[infra] ${msg}\n`);
};

// Serialises up/down within this process and across processes (two terminals, parallel test
// runners): both would otherwise race to start the same broker or create the same roles.
let queue = Promise.resolve();
function exclusive(fn) {
  const run = queue.then(() => withLockFile(fn));
  queue = run.catch(() => {});
  return run;
}

async function withLockFile(fn) {
  fs.mkdirSync(RUN, { recursive: true, mode: 0o700 });
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(P.lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let holder = 0;
    let age = 0;
    try {
      holder = Number(fs.readFileSync(P.lock, 'utf8'));
      age = Date.now() - fs.statSync(P.lock).mtimeMs;
    } catch {
      continue; // released between our attempts
    }
    // An empty lock file older than a few seconds belongs to a process that died mid-write.
    if ((holder && !isAlive(holder)) || (!holder && age > 5000)) {
      fs.rmSync(P.lock, { force: true });
      continue;
    }
    if (!announced) say(`waiting for another infra.mjs (pid ${holder || '?'}) to finish…`);
    announced = true;
    await sleep(500);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(P.lock, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Secrets and dev keys

/** Loads secrets.json, generating (once) whatever is missing. */
function ensureSecrets() {
  const secrets = fs.existsSync(P.secrets) ? readJson(P.secrets) : {};
  let changed = false;
  // Hex keeps passwords safe inside URLs and SQL literals without any escaping.
  const generate = () => randomBytes(24).toString('hex');
  if (!secrets.postgresAdminPassword) {
    secrets.postgresAdminPassword = generate();
    changed = true;
  }
  secrets.servicePasswords ??= {};
  secrets.appPasswords ??= {};
  for (const svc of SERVICES) {
    for (const passwords of [secrets.servicePasswords, secrets.appPasswords]) {
      if (!passwords[svc]) {
        passwords[svc] = generate();
        changed = true;
      }
    }
  }
  // Keycloak: its bootstrap admin, the gateway's and the directory's client secrets, and the one
  // development password of the demo people the seed creates (Keycloak's policy: 12+ characters).
  for (const key of ['keycloakAdminPassword', 'keycloakGatewaySecret', 'keycloakDirectorySecret']) {
    if (!secrets[key]) {
      secrets[key] = generate();
      changed = true;
    }
  }
  if (!secrets.demoUserPassword) {
    secrets.demoUserPassword = `Prasar-${randomBytes(6).toString('hex')}`;
    changed = true;
  }
  if (changed) writeFileAtomic(P.secrets, JSON.stringify(secrets, null, 2) + '\n', 0o600);
  return secrets;
}

function loadSecrets() {
  if (!fs.existsSync(P.secrets)) {
    throw new InfraError(`no ${P.secrets} yet: run \`node deploy/local/infra.mjs up\` first`);
  }
  return readJson(P.secrets);
}

/** RFC 7638 thumbprint: a kid that is stable for the key and needs no bookkeeping. */
function jwkThumbprint({ crv, kty, x, y }) {
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
}

function ensureDevKeys() {
  if (fs.existsSync(P.jwks) && fs.existsSync(P.privateJwk)) return;
  // Both files are written together: a JWKS without its private key (or the reverse) is useless.
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = publicKey.export({ format: 'jwk' });
  const meta = { kid: jwkThumbprint(pub), alg: 'ES256', use: 'sig' };
  writeFileAtomic(
    P.privateJwk,
    JSON.stringify({ ...privateKey.export({ format: 'jwk' }), ...meta }, null, 2) + '\n',
    0o600,
  );
  writeFileAtomic(P.jwks, JSON.stringify({ keys: [{ ...pub, ...meta }] }, null, 2) + '\n', 0o644);
  say(`auth: generated a dev ES256 key pair (kid ${meta.kid}) in ${path.dirname(P.jwks)}`);
}

// ---------------------------------------------------------------------------------------------
// Kafka

const kafkaIsExternal = () => Boolean(process.env.KAFKA_BROKERS);
const kafkaBrokers = () =>
  kafkaIsExternal()
    ? process.env.KAFKA_BROKERS.split(',')
        .map((b) => b.trim())
        .filter(Boolean)
    : [`${HOST}:${KAFKA_PORT}`];

function kafkaClient(brokers, retries) {
  return new kafkajs.Kafka({
    clientId: 'prasar-infra',
    brokers,
    logLevel: kafkajs.logLevel.NOTHING, // we report failures ourselves, once, in our words
    connectionTimeout: 1000,
    requestTimeout: 10_000,
    retry: { retries },
  });
}

async function withAdmin(brokers, retries, fn) {
  const admin = kafkaClient(brokers, retries).admin();
  try {
    await admin.connect();
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

const probeKafka = (brokers) => withAdmin(brokers, 0, (admin) => admin.describeCluster());

/** Polls describeCluster until the broker answers; fails early if our broker process died. */
async function waitForKafka(brokers, { pid, timeoutMs }) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (pid && !isAlive(pid)) {
      throw new InfraError(`kafka exited during start-up; last lines of ${P.kafkaLog}:\n${tail(readLog())}`);
    }
    try {
      return await probeKafka(brokers);
    } catch (e) {
      lastError = e;
    }
    await sleep(500);
  }
  const where = pid ? `; see ${P.kafkaLog}` : '';
  throw new InfraError(
    `kafka at ${brokers.join(',')} not ready after ${timeoutMs / 1000}s (${lastError?.message})${where}`,
  );
}

function readLog() {
  try {
    return fs.readFileSync(P.kafkaLog, 'utf8').slice(-20_000);
  } catch {
    return '(no log file)';
  }
}

const isOurKafka = (pid) => {
  const argv = cmdline(pid);
  return argv.includes('kafka.Kafka') && argv.includes(P.kafkaProps);
};

/** Pid of the broker started from our server.properties, via the pid file or, failing that, /proc. */
function findOurKafka() {
  const recorded = fs.existsSync(P.kafkaPid) ? Number(fs.readFileSync(P.kafkaPid, 'utf8')) : 0;
  if (recorded && isAlive(recorded) && isOurKafka(recorded)) return recorded;
  if (recorded) {
    say(`kafka: removing stale pid file (pid ${recorded} is not our broker any more)`);
    fs.rmSync(P.kafkaPid, { force: true });
  }
  // The pid file can be lost while the broker runs on (run dir cleaned by hand); adopt it.
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (pid && pid !== process.pid && isAlive(pid) && isOurKafka(pid)) {
      writeFileAtomic(P.kafkaPid, `${pid}\n`);
      return pid;
    }
  }
  return 0;
}

async function ensureJava() {
  let out;
  try {
    ({ out } = await exec('java', ['-version']));
  } catch (e) {
    if (e instanceof InfraError) {
      throw new InfraError('java not found: install a JDK 17 (apt-get install openjdk-17-jre-headless)');
    }
    throw e;
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(out);
  const major = m ? Number(m[1] === '1' ? m[2] : m[1]) : 0;
  if (major < 17) {
    throw new InfraError(
      `java ${major || '(unknown version)'} found, Kafka ${KAFKA_VERSION} needs 17 or newer (apt-get install openjdk-17-jre-headless)`,
    );
  }
}

const POM = path.join(HERE, 'kafka/pom.xml');
const JARS_MARKER = path.join(P.kafkaLibs, '.complete');
// The marker holds a hash of the pom, so editing the pom (a new dependency) refetches the jars.
const pomHash = () => createHash('sha256').update(fs.readFileSync(POM)).digest('hex');
const hasKafkaJars = () =>
  fs.existsSync(JARS_MARKER) && fs.readFileSync(JARS_MARKER, 'utf8').trim() === pomHash();

async function ensureKafkaJars() {
  if (hasKafkaJars()) return;
  if (!commandExists('mvn')) {
    throw new InfraError(
      `mvn not found: install Maven (apt-get install maven) to fetch Kafka ${KAFKA_VERSION} once, or set KAFKA_BROKERS to use a running broker`,
    );
  }
  const started = Date.now();
  say(`kafka ${KAFKA_VERSION}: fetching jars with Maven (one time)…`);
  const build = path.join(P.kafkaHome, 'build');
  fs.mkdirSync(build, { recursive: true });
  fs.copyFileSync(POM, path.join(build, 'pom.xml'));
  // Maven fills a side folder that is renamed at the end, so an interrupted fetch never looks
  // like a complete cache.
  const partial = `${P.kafkaLibs}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  const goal = ['dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${partial}`];
  const mvnArgs = ['-q', '-B', `-Dkafka.version=${KAFKA_VERSION}`, ...goal];
  await execChecked(`fetching Kafka ${KAFKA_VERSION} with Maven`, 'mvn', mvnArgs, { cwd: build });
  if (!fs.existsSync(path.join(partial, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
    throw new InfraError(`Maven finished but fetched no kafka_2.13-${KAFKA_VERSION}.jar into ${partial}`);
  }
  const count = fs.readdirSync(partial).length;
  fs.writeFileSync(path.join(partial, '.complete'), `${pomHash()}\n`);
  fs.rmSync(P.kafkaLibs, { recursive: true, force: true });
  fs.renameSync(partial, P.kafkaLibs);
  say(`kafka ${KAFKA_VERSION}: ${count} jars cached in ${P.kafkaLibs} (${seconds(started)})`);
}

/** Fills {{NAME}} placeholders; an unknown placeholder is a bug in the template, so it throws. */
function render(template, vars) {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name) => {
    if (!(name in vars)) throw new Error(`template placeholder {{${name}}} has no value`);
    return String(vars[name]);
  });
}

function writeKafkaConfig() {
  const template = fs.readFileSync(path.join(HERE, 'kafka/server.properties'), 'utf8');
  const vars = { HOST, PORT: KAFKA_PORT, CONTROLLER_PORT: KAFKA_CONTROLLER_PORT, DATA_DIR: P.kafkaData };
  writeFileAtomic(P.kafkaProps, render(template, vars));
  fs.copyFileSync(path.join(HERE, 'kafka/log4j2.yaml'), P.kafkaLog4j);
}

const javaArgs = (mainClass, ...args) => [
  `-Dlog4j2.configurationFile=${P.kafkaLog4j}`,
  // The JVM expands `libs/*` itself; no shell is involved, so the glob reaches it intact.
  '-cp',
  path.join(P.kafkaLibs, '*'),
  mainClass,
  ...args,
];

/** Formats the KRaft metadata in the data dir once; the marker inside it records that. */
async function formatKafkaStorage() {
  const marker = path.join(P.kafkaData, '.prasar-formatted');
  if (fs.existsSync(marker)) return;
  fs.mkdirSync(P.kafkaData, { recursive: true });
  if (!fs.existsSync(path.join(P.kafkaData, 'meta.properties'))) {
    // A cluster id is 16 random bytes in unpadded URL-safe base64 (what `StorageTool random-uuid`
    // prints); making it here saves a JVM start. Kafka refuses ids that begin with '-'.
    let clusterId;
    do clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-'));
    say(`kafka: formatting storage in ${P.kafkaData}`);
    await execChecked(
      'formatting Kafka storage',
      'java',
      javaArgs('kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', P.kafkaProps),
    );
  }
  fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
}

function startKafka() {
  // Keep one previous log around instead of growing a file forever.
  if (fs.existsSync(P.kafkaLog) && fs.statSync(P.kafkaLog).size > 50 * 1024 * 1024) {
    fs.renameSync(P.kafkaLog, `${P.kafkaLog}.old`);
  }
  const log = fs.openSync(P.kafkaLog, 'a');
  fs.writeSync(log, `\n--- ${new Date().toISOString()} infra.mjs starts Kafka ${KAFKA_VERSION} ---\n`);
  // Detached, with output going to a file rather than a pipe, so the broker outlives this
  // process and `up` can return.
  const child = spawn(
    'java',
    [
      ...KAFKA_HEAP,
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      ...javaArgs('kafka.Kafka', P.kafkaProps),
    ],
    { cwd: RUN, detached: true, stdio: ['ignore', log, log] },
  );
  child.on('error', () => {}); // java was checked just before; a late spawn error surfaces as "exited"
  child.unref();
  fs.closeSync(log);
  writeFileAtomic(P.kafkaPid, `${child.pid}\n`);
  return child.pid;
}

function readTopicsSpec() {
  const spec = readJson(TOPICS_FILE);
  const ok =
    Number.isInteger(spec.partitions) &&
    spec.partitions > 0 &&
    typeof spec.dlqSuffix === 'string' &&
    spec.dlqSuffix &&
    Array.isArray(spec.topics) &&
    spec.topics.every((t) => typeof t === 'string' && t);
  if (!ok) throw new InfraError(`${TOPICS_FILE} must look like {partitions, dlqSuffix, topics: [...]}`);
  return spec;
}

const wantedTopics = (spec) => spec.topics.flatMap((t) => [t, `${t}${spec.dlqSuffix}`]);

/** Creates every topic of topics.json and its dead-letter twin; existing topics are left alone. */
async function ensureTopics(brokers) {
  const spec = readTopicsSpec();
  const wanted = wantedTopics(spec);
  await withAdmin(brokers, 5, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !existing.has(t));
    const present = wanted.filter((t) => existing.has(t));
    if (missing.length) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({ topic, numPartitions: spec.partitions, replicationFactor: 1 })),
        });
      } catch (e) {
        // Another process may have created some of them in the meantime; that is fine.
        const raced = e.errors?.every((err) => err.type === 'TOPIC_ALREADY_EXISTS');
        if (!raced) throw new InfraError(`creating topics failed: ${e.message}`);
      }
      say(
        `kafka: created ${missing.length} topic(s) with ${spec.partitions} partitions: ${missing.join(', ')}`,
      );
    }
    if (present.length) {
      const { topics } = await admin.fetchTopicMetadata({ topics: present });
      for (const t of topics) {
        if (t.partitions.length !== spec.partitions) {
          say(
            `kafka: warning: ${t.name} has ${t.partitions.length} partitions, topics.json says ${spec.partitions} (left unchanged)`,
          );
        }
      }
      if (!missing.length) say(`kafka: all ${wanted.length} topics present`);
    }
  });
}

/**
 * Kafka creates __consumer_offsets on the first group lookup, and the first consumer then waits
 * on "coordinator is loading" errors. Looking a group up here moves that wait into `up`.
 */
async function warmGroupCoordinator(brokers) {
  const started = Date.now();
  await withAdmin(brokers, 10, (admin) => admin.describeGroups(['prasar-infra-probe']));
  if (Date.now() - started > 1000) say(`kafka: group coordinator ready after ${seconds(started)}`);
}

async function upKafka() {
  const brokers = kafkaBrokers();
  if (kafkaIsExternal()) {
    say(`kafka: using ${brokers.join(',')} from KAFKA_BROKERS (not started here)`);
    await waitForKafka(brokers, { timeoutMs: EXTERNAL_WAIT_TIMEOUT_MS });
  } else {
    let pid = findOurKafka();
    if (pid) {
      await waitForKafka(brokers, { pid, timeoutMs: KAFKA_START_TIMEOUT_MS });
      say(`kafka: already running (pid ${pid}) on ${brokers[0]}`);
    } else {
      for (const port of [KAFKA_PORT, KAFKA_CONTROLLER_PORT]) {
        if (await portInUse(port)) {
          throw new InfraError(
            `port ${port} is busy with something that is not our Kafka (see: ss -ltnp 'sport = :${port}')`,
          );
        }
      }
      await ensureJava();
      await ensureKafkaJars();
      writeKafkaConfig();
      await formatKafkaStorage();
      const started = Date.now();
      pid = startKafka();
      say(`kafka ${KAFKA_VERSION}: starting (pid ${pid}), log in ${P.kafkaLog}`);
      await waitForKafka(brokers, { pid, timeoutMs: KAFKA_START_TIMEOUT_MS });
      say(`kafka: ready on ${brokers[0]} after ${seconds(started)}`);
    }
  }
  await ensureTopics(brokers);
  await warmGroupCoordinator(brokers);
}

async function stopKafka() {
  if (kafkaIsExternal()) {
    say('kafka: external (KAFKA_BROKERS), left running');
    return;
  }
  const pid = findOurKafka();
  if (!pid) {
    say('kafka: not running');
    return;
  }
  say(`kafka: stopping (pid ${pid})…`);
  process.kill(pid, 'SIGTERM'); // the broker shuts down cleanly on SIGTERM
  const deadline = Date.now() + KAFKA_STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) {
    say(`kafka: still running after ${KAFKA_STOP_TIMEOUT_MS / 1000}s, sending SIGKILL`);
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(100);
  }
  fs.rmSync(P.kafkaPid, { force: true });
  say('kafka: stopped');
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

const pgIsExternal = () => Boolean(process.env.DATABASE_URL);
const localAdminUrl = (password) => `postgres://${PG_ADMIN_ROLE}:${password}@${HOST}:${PG_PORT}/postgres`;
const redactUrl = (url) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

function serviceUrl(adminUrl, svc, password, role = `prasar_${svc}`) {
  const url = new URL(adminUrl);
  url.username = role;
  url.password = password;
  url.pathname = `/prasar_${svc}`;
  return url.toString();
}

/** Installed server versions, newest first. */
function pgVersions() {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin/postgres')))
    .sort((a, b) => Number(b) - Number(a));
}

const pgClusterDir = (ver) => `/etc/postgresql/${ver}/${PG_CLUSTER}`;
// pg_dropcluster leaves the folder behind when our conf.d file is in it, so look for the main file.
const pgClusterExists = (ver) => fs.existsSync(path.join(pgClusterDir(ver), 'postgresql.conf'));

/** The version that already has our cluster, else the newest installed one. */
function pgVersion() {
  const versions = pgVersions();
  return versions.find(pgClusterExists) ?? versions[0];
}

async function ensurePgInstalled() {
  if (pgVersions().length && commandExists('pg_ctlcluster') && commandExists('pg_createcluster')) return;
  if (process.getuid?.() !== 0 || !commandExists('apt-get')) {
    throw new InfraError(
      'PostgreSQL server not found: install it (apt-get install postgresql, as root), or set DATABASE_URL to an existing server',
    );
  }
  const started = Date.now();
  say('postgres: server not installed; apt-get update && apt-get install postgresql (one time)…');
  await execChecked('apt-get update', 'apt-get', ['update']);
  await execChecked('apt-get install postgresql', 'apt-get', ['install', '-y', 'postgresql'], {
    env: { DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (!pgVersions().length) {
    throw new InfraError('apt-get installed postgresql but no server is in /usr/lib/postgresql');
  }
  say(`postgres: installed PostgreSQL ${pgVersions()[0]} (${seconds(started)})`);
}

async function pgClusterState(ver) {
  if (!ver || !pgClusterExists(ver)) return 'missing';
  const { code } = await exec('pg_ctlcluster', [ver, PG_CLUSTER, 'status']);
  return code === 0 ? 'online' : 'down'; // 3 = not running, 4 = no accessible data dir
}

/** Copies our settings into the cluster's conf.d; returns true if they changed. */
function syncPgConf(ver) {
  const target = path.join(pgClusterDir(ver), 'conf.d', 'prasar.conf');
  const wanted = fs.readFileSync(path.join(HERE, 'postgres/prasar.conf'), 'utf8');
  if (fs.existsSync(target) && fs.readFileSync(target, 'utf8') === wanted) return false;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, wanted, { mode: 0o644 });
  const { uid, gid } = fs.statSync(pgClusterDir(ver));
  fs.chownSync(target, uid, gid);
  return true;
}

async function startLocalPostgres() {
  await ensurePgInstalled();
  const ver = pgVersion();
  const name = `${ver}/${PG_CLUSTER}`;
  let state = await pgClusterState(ver);
  if (state === 'missing') {
    say(`postgres: creating cluster ${name} on port ${PG_PORT}…`);
    const args = ['--start-conf=manual', '--locale=C.UTF-8', '-p', String(PG_PORT), ver, PG_CLUSTER];
    await execChecked(`pg_createcluster ${name}`, 'pg_createcluster', args);
    state = 'down';
  }
  const confChanged = syncPgConf(ver);
  if (state === 'online') {
    if (confChanged) {
      await execChecked(`restarting ${name}`, 'pg_ctlcluster', [ver, PG_CLUSTER, 'restart']);
      say(`postgres: settings changed, cluster ${name} restarted on ${HOST}:${PG_PORT}`);
    } else {
      say(`postgres: cluster ${name} already running on ${HOST}:${PG_PORT}`);
    }
    return ver;
  }
  if (await portInUse(PG_PORT)) {
    throw new InfraError(
      `port ${PG_PORT} is busy with something that is not cluster ${name} (see: ss -ltnp 'sport = :${PG_PORT}')`,
    );
  }
  await execChecked(`pg_ctlcluster ${name} start`, 'pg_ctlcluster', [ver, PG_CLUSTER, 'start']);
  say(`postgres: cluster ${name} started on ${HOST}:${PG_PORT}`);
  return ver;
}

async function canConnect(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Creates or re-passwords prasar_admin through the Unix socket as the postgres OS user. Only
 * needed the first time (or when secrets.json was replaced); the rest goes over TCP.
 */
async function ensureLocalAdmin(password) {
  if (await canConnect(localAdminUrl(password))) return;
  if (!/^[0-9a-f]+$/.test(password)) throw new InfraError(`${P.secrets}: postgresAdminPassword must be hex`);
  // Superuser because this is a throwaway dev cluster whose admin runs migrations and
  // creates extensions; never use this setup for shared servers.
  const sql = `
    DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${PG_ADMIN_ROLE}') THEN
        CREATE ROLE ${PG_ADMIN_ROLE};
      END IF;
    END $$;
    ALTER ROLE ${PG_ADMIN_ROLE} WITH LOGIN SUPERUSER PASSWORD '${password}';
  `;
  const psql = ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-p', String(PG_PORT), '-d', 'postgres'];
  await execChecked(`creating role ${PG_ADMIN_ROLE}`, 'runuser', ['-u', 'postgres', '--', ...psql], {
    input: sql, // on stdin, so the password never shows up in `ps`
    cwd: '/', // psql as postgres cannot enter root's working directory
  });
  say(`postgres: admin role ${PG_ADMIN_ROLE} ready`);
}

async function connectAdmin(adminUrl, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      return client;
    } catch (e) {
      await client.end().catch(() => {});
      const transient = ['ECONNREFUSED', '57P03'].includes(e.code); // refused / starting up
      if (!transient || Date.now() > deadline) {
        throw new InfraError(`cannot connect to PostgreSQL as ${redactUrl(adminUrl)}: ${e.message}`);
      }
      await sleep(500);
    }
  }
}

/**
 * Runs provisioning statements; one the admin may not perform (SQLSTATE 42501) is reported and
 * skipped, because on a managed server the databases may have been created by someone else.
 */
function provisioner(client) {
  const changed = new Set();
  const denied = [];
  const attempt = async (svc, what, sql) => {
    try {
      await client.query(sql);
      changed.add(svc);
      return true;
    } catch (e) {
      if (e.code !== '42501') throw new InfraError(`postgres: could not ${what}: ${e.message}`);
      denied.push(what);
      say(`postgres: not permitted to ${what} (${e.message}); skipping`);
      return false;
    }
  };
  return { attempt, changed, denied };
}

/** Role prasar_<svc> with LOGIN, and database prasar_<svc> owned by it and closed to PUBLIC. */
async function ensureServiceDatabase(client, { attempt }, svc, password, roles, db) {
  const name = `prasar_${svc}`;
  const ident = client.escapeIdentifier(name);
  if (!roles.has(name)) {
    const sql = `CREATE ROLE ${ident} LOGIN PASSWORD ${client.escapeLiteral(password)}`;
    if (await attempt(svc, `create role ${name}`, sql)) roles.add(name);
  }
  if (roles.has(name) && (!db || db.owner !== name)) {
    // Giving a database to a role requires membership in it unless the admin is superuser.
    const { rows } = await client.query("SELECT pg_has_role(current_user, $1, 'MEMBER') AS yes", [name]);
    if (!rows[0].yes) {
      await attempt(svc, `grant ${name} to the admin role`, `GRANT ${ident} TO CURRENT_USER`);
    }
  }
  if (!db) {
    const created = await attempt(svc, `create database ${name}`, `CREATE DATABASE ${ident} OWNER ${ident}`);
    if (!created) return;
  } else if (db.owner !== name && roles.has(name)) {
    await attempt(svc, `make ${name} own its database`, `ALTER DATABASE ${ident} OWNER TO ${ident}`);
  }
  // A NULL acl means the defaults, which let PUBLIC connect; entries starting '=' are PUBLIC's.
  if (!db || !db.acl || db.acl.some((entry) => entry.startsWith('='))) {
    await attempt(svc, `close database ${name} to PUBLIC`, `REVOKE ALL ON DATABASE ${ident} FROM PUBLIC`);
  }
}

const appRole = (svc) => `prasar_${svc}_app`;

/**
 * prasar_<svc>_app: what the service itself connects as. It may read and write the rows of every
 * table the owner (prasar_<svc>, who runs the migrations) has or will create, within row-level
 * security, and nothing else: no DDL, not the owner of anything, no BYPASSRLS.
 */
async function ensureAppRole(client, { attempt }, adminUrl, svc, password) {
  const role = appRole(svc);
  const ident = client.escapeIdentifier(role);
  const owner = client.escapeIdentifier(`prasar_${svc}`);
  const db = client.escapeIdentifier(`prasar_${svc}`);
  const { rows } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  const literal = client.escapeLiteral(password);
  if (!rows.length)
    await attempt(svc, `create role ${role}`, `CREATE ROLE ${ident} LOGIN PASSWORD ${literal}`);
  else if (!(await canConnect(serviceUrl(adminUrl, svc, password, role)))) {
    await attempt(svc, `set the password of ${role}`, `ALTER ROLE ${ident} LOGIN PASSWORD ${literal}`);
  }
  await attempt(svc, `let ${role} connect`, `GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${ident}`);
  // Schema and table privileges are granted inside the service's database.
  const url = new URL(adminUrl);
  url.pathname = `/prasar_${svc}`;
  const scoped = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await scoped.connect();
  try {
    for (const sql of [
      `GRANT USAGE ON SCHEMA public TO ${ident}`,
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${ident}`,
      `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${ident}`,
      `GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${ident}`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${ident}`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${ident}`,
    ]) {
      try {
        await scoped.query(sql);
      } catch (e) {
        if (e.code !== '42501') throw new InfraError(`postgres: could not ${sql}: ${e.message}`);
        say(`postgres: not permitted to ${sql} (${e.message}); skipping`);
      }
    }
  } finally {
    await scoped.end().catch(() => {});
  }
}

/**
 * Roles that existed before may carry another password (secrets.json replaced, or another
 * PRASAR_HOME used this server): logging in is the one check that tells.
 */
async function repairPasswords(client, { attempt }, adminUrl, secrets, services) {
  const urls = services.map((svc) => serviceUrl(adminUrl, svc, secrets.servicePasswords[svc]));
  const logins = await Promise.all(urls.map(canConnect));
  for (const svc of services.filter((_, i) => !logins[i])) {
    const name = `prasar_${svc}`;
    const password = client.escapeLiteral(secrets.servicePasswords[svc]);
    const sql = `ALTER ROLE ${client.escapeIdentifier(name)} LOGIN PASSWORD ${password}`;
    if (!(await attempt(svc, `set the password of ${name}`, sql))) {
      say(`postgres: warning: ${name} does not accept the password in ${P.secrets} (DATABASE_URLS.${svc})`);
    }
  }
}

/** Per-service roles and databases, created through the admin URL; idempotent. */
async function ensureServiceDatabases(adminUrl, secrets) {
  const client = await connectAdmin(adminUrl, pgIsExternal() ? EXTERNAL_WAIT_TIMEOUT_MS : 10_000);
  const names = SERVICES.map((svc) => `prasar_${svc}`);
  const steps = provisioner(client);
  try {
    const roleRows = await client.query('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [names]);
    const roles = new Set(roleRows.rows.map((r) => r.rolname));
    const dbRows = await client.query(
      'SELECT datname, pg_get_userbyid(datdba) AS owner, datacl::text[] AS acl FROM pg_database WHERE datname = ANY($1)',
      [names],
    );
    const dbs = new Map(dbRows.rows.map((r) => [r.datname, r]));
    const preexisting = SERVICES.filter((svc) => roles.has(`prasar_${svc}`));

    for (const svc of SERVICES) {
      const password = secrets.servicePasswords[svc];
      await ensureServiceDatabase(client, steps, svc, password, roles, dbs.get(`prasar_${svc}`));
    }
    for (const svc of SERVICES) await ensureAppRole(client, steps, adminUrl, svc, secrets.appPasswords[svc]);

    const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [names]);
    const present = new Set(rows.map((r) => r.datname));
    const loginsToCheck = preexisting.filter((svc) => present.has(`prasar_${svc}`));
    await repairPasswords(client, steps, adminUrl, secrets, loginsToCheck);
    const missing = names.filter((n) => !present.has(n));
    if (missing.length) {
      throw new InfraError(
        `postgres: databases ${missing.join(', ')} do not exist and could not be created as ${redactUrl(adminUrl)}; ` +
          'create them (and their roles) with a more privileged account, or use a different DATABASE_URL',
      );
    }
    if (steps.denied.length) say(`postgres: continuing: all ${names.length} service databases exist`);
    if (steps.changed.size) {
      say(`postgres: roles and databases created or updated for ${[...steps.changed].join(', ')}`);
    } else {
      say(`postgres: service databases in place (${names.join(', ')})`);
    }
  } finally {
    await client.end().catch(() => {});
  }
}

async function upPostgres(secrets) {
  let adminUrl;
  if (pgIsExternal()) {
    adminUrl = process.env.DATABASE_URL;
    say(`postgres: using ${redactUrl(adminUrl)} from DATABASE_URL (not started here)`);
  } else {
    await startLocalPostgres();
    await ensureLocalAdmin(secrets.postgresAdminPassword);
    adminUrl = localAdminUrl(secrets.postgresAdminPassword);
  }
  await ensureServiceDatabases(adminUrl, secrets);
}

async function stopPostgres() {
  if (pgIsExternal()) {
    say('postgres: external (DATABASE_URL), left running');
    return;
  }
  const ver = pgVersion();
  const state = await pgClusterState(ver);
  if (state === 'missing') say(`postgres: no ${PG_CLUSTER} cluster`);
  else if (state === 'down') say(`postgres: cluster ${ver}/${PG_CLUSTER} not running`);
  else {
    await execChecked(`pg_ctlcluster ${ver}/${PG_CLUSTER} stop`, 'pg_ctlcluster', [ver, PG_CLUSTER, 'stop']);
    say(`postgres: cluster ${ver}/${PG_CLUSTER} stopped`);
  }
}

// ---------------------------------------------------------------------------------------------
// Environment for the services

function buildEnv(secrets) {
  const adminUrl = pgIsExternal() ? process.env.DATABASE_URL : localAdminUrl(secrets.postgresAdminPassword);
  return {
    KAFKA_BROKERS: kafkaBrokers().join(','),
    DATABASE_ADMIN_URL: adminUrl,
    // Services connect as prasar_<svc>_app (data privileges only, bound by row-level security);
    // migrations as prasar_<svc>, the owner of the database and its tables.
    DATABASE_URLS: Object.fromEntries(
      SERVICES.map((svc) => [svc, serviceUrl(adminUrl, svc, secrets.appPasswords[svc], appRole(svc))]),
    ),
    DATABASE_MIGRATION_URLS: Object.fromEntries(
      SERVICES.map((svc) => [svc, serviceUrl(adminUrl, svc, secrets.servicePasswords[svc])]),
    ),
    // The development issuer (`npm run token`), trusted beside the provider in local runs only.
    AUTH_JWKS_FILE: P.jwks,
    AUTH_DEV_PRIVATE_KEY_FILE: P.privateJwk,
    AUTH_ISSUER,
    AUTH_AUDIENCE,
    // The OpenID Connect provider: the embedded Keycloak, or the one AUTH_ISSUER names.
    ...keycloak.envFor(secrets),
    // The mail sink: the local Mailpit, or the SMTP server SMTP_URL names.
    ...mailpit.envFor(),
  };
}

const writeEnv = (env) => writeFileAtomic(P.env, JSON.stringify(env, null, 2) + '\n', 0o600);

function redactEnv(env) {
  return {
    ...env,
    DATABASE_ADMIN_URL: redactUrl(env.DATABASE_ADMIN_URL),
    DATABASE_URLS: Object.fromEntries(Object.entries(env.DATABASE_URLS).map(([k, v]) => [k, redactUrl(v)])),
    DATABASE_MIGRATION_URLS: Object.fromEntries(
      Object.entries(env.DATABASE_MIGRATION_URLS).map(([k, v]) => [k, redactUrl(v)]),
    ),
    ...Object.fromEntries(keycloak.SECRET_KEYS.filter((k) => k in env).map((k) => [k, '***'])),
  };
}

// ---------------------------------------------------------------------------------------------
// Public API

/** Starts (or checks) Kafka, PostgreSQL and the dev keys; resolves the env.json contents. */
export function up({ quiet: silent = false } = {}) {
  return exclusive(async () => {
    const before = quiet;
    quiet = silent;
    try {
      const started = Date.now();
      fs.mkdirSync(RUN, { recursive: true, mode: 0o700 });
      const secrets = ensureSecrets();
      ensureDevKeys();
      // Side by side: PostgreSQL gets ready while the Kafka and Keycloak JVMs boot.
      const results = await Promise.allSettled([
        upKafka(),
        upPostgres(secrets),
        keycloak.up({ home: HOME, secrets, say }),
        mailpit.up({ home: HOME, say }),
      ]);
      const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
      if (failures.length === 1) throw failures[0];
      if (failures.length > 1) {
        throw new InfraError(
          failures.map((e) => (e instanceof InfraError ? e.message : e.stack)).join('\n[infra] error: '),
        );
      }
      const env = buildEnv(secrets);
      writeEnv(env);
      say(`up in ${seconds(started)}; environment written to ${P.env} (passwords shown as ***):`);
      if (!quiet) process.stdout.write(`${JSON.stringify(redactEnv(env), null, 2)}\n`);
      return env;
    } finally {
      quiet = before;
    }
  });
}

/** Stops our Kafka and the prasar PostgreSQL cluster; data is kept. */
export function down() {
  return exclusive(async () => {
    await stopKafka();
    await stopPostgres();
    await keycloak.down({ home: HOME, say });
    await mailpit.down({ home: HOME, say });
  });
}

/** Reports what runs, without starting or changing anything; `ok` means everything is usable. */
export async function status() {
  const brokers = kafkaBrokers();
  const spec = readTopicsSpec();
  const wanted = wantedTopics(spec);
  const kafka = { external: kafkaIsExternal(), brokers: brokers.join(','), pid: null, ready: false };
  if (!kafka.external) kafka.pid = findOurKafka() || null;
  if (kafka.external || kafka.pid) {
    try {
      await probeKafka(brokers);
      const topics = new Set(await withAdmin(brokers, 0, (admin) => admin.listTopics()));
      kafka.ready = true;
      kafka.topicsPresent = wanted.filter((t) => topics.has(t)).length;
      kafka.topicsWanted = wanted.length;
    } catch (e) {
      kafka.error = e.message;
    }
  } else if (await portInUse(KAFKA_PORT)) {
    kafka.error = `port ${KAFKA_PORT} is taken by something that is not our Kafka`;
  }

  const postgres = { external: pgIsExternal(), ready: false };
  if (!postgres.external) {
    postgres.version = pgVersion() ?? null;
    postgres.cluster = postgres.version ? `${postgres.version}/${PG_CLUSTER}` : null;
    postgres.port = PG_PORT;
    postgres.state = await pgClusterState(postgres.version);
  }
  if (fs.existsSync(P.secrets) && (postgres.external || postgres.state === 'online')) {
    const adminUrl = buildEnv(loadSecrets()).DATABASE_ADMIN_URL;
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      const names = SERVICES.map((svc) => `prasar_${svc}`);
      const { rows } = await client.query(
        'SELECT count(*)::int AS n FROM pg_database WHERE datname = ANY($1)',
        [names],
      );
      postgres.ready = true;
      postgres.databasesPresent = rows[0].n;
      postgres.databasesWanted = names.length;
    } catch (e) {
      postgres.error = e.message;
    } finally {
      await client.end().catch(() => {});
    }
  }

  const auth = {
    jwks: fs.existsSync(P.jwks) ? P.jwks : null,
    privateKey: fs.existsSync(P.privateJwk) ? P.privateJwk : null,
  };
  const oidc = await keycloak.status({ home: HOME });
  const mail = await mailpit.status({ home: HOME });
  const ok =
    oidc.ready &&
    mail.ready &&
    kafka.ready &&
    kafka.topicsPresent === kafka.topicsWanted &&
    postgres.ready &&
    postgres.databasesPresent === postgres.databasesWanted;
  return { ok, kafka, postgres, auth, oidc, mail, envFile: fs.existsSync(P.env) ? P.env : null };
}

/** The contents of env.json as written by the last `up` (or `env`). */
export function readEnv() {
  if (!fs.existsSync(P.env)) {
    throw new InfraError(`no ${P.env} yet: run \`node deploy/local/infra.mjs up\` first`);
  }
  return readJson(P.env);
}

/** Rewrites env.json from secrets.json and the current KAFKA_BROKERS / DATABASE_URL. */
export function writeEnvFile() {
  const env = buildEnv(loadSecrets());
  writeEnv(env);
  return env;
}

// ---------------------------------------------------------------------------------------------
// CLI

function printStatus(s) {
  const k = s.kafka;
  const where = k.external ? `${k.brokers} (external)` : k.pid ? `pid ${k.pid} on ${k.brokers}` : null;
  if (k.ready) say(`kafka: running, ${where}, ${k.topicsPresent}/${k.topicsWanted} topics`);
  else if (where) say(`kafka: not answering, ${where}${k.error ? ` (${k.error})` : ''}`);
  else say(`kafka: not running${k.error ? ` (${k.error})` : ''}`);

  const p = s.postgres;
  const pgWhere = p.external
    ? 'external server (DATABASE_URL)'
    : `cluster ${p.cluster ?? `?/${PG_CLUSTER}`} ${p.state} on ${HOST}:${PG_PORT}`;
  const dbs = p.ready ? `, ${p.databasesPresent}/${p.databasesWanted} service databases` : '';
  say(`postgres: ${pgWhere}${dbs}${p.error ? ` (${p.error})` : ''}`);

  say(
    `auth: ${s.auth.jwks && s.auth.privateKey ? `dev keys in ${path.dirname(s.auth.jwks)}` : 'no dev keys yet'}`,
  );
  const o = s.oidc;
  if (o.external) say(`oidc: external provider ${o.issuer}`);
  else
    say(
      `keycloak: ${o.ready ? `running, pid ${o.pid} on ${o.url}` : o.pid ? `not answering, pid ${o.pid}` : 'not running'}`,
    );
  const m = s.mail;
  if (m.external) say(`mail: external SMTP server (SMTP_URL)`);
  else
    say(
      `mailpit: ${m.ready ? `running, pid ${m.pid}; SMTP ${m.smtpUrl}, API ${m.apiUrl}` : m.pid ? `not answering, pid ${m.pid}` : 'not running'}`,
    );
  say(`env: ${s.envFile ?? 'no env.json yet'}`);
}

async function main([command]) {
  switch (command) {
    case 'up':
      await up();
      return 0;
    case 'down':
      await down();
      return 0;
    case 'status': {
      const s = await status();
      printStatus(s);
      return s.ok ? 0 : 1;
    }
    case 'env':
      // Meant for tools (`... env | jq`), hence plain JSON with the passwords in it.
      process.stdout.write(JSON.stringify(writeEnvFile(), null, 2) + '\n');
      return 0;
    default:
      console.error('usage: node deploy/local/infra.mjs up | down | status | env');
      return 2;
  }
}

runAsMain(import.meta.url, main, { tag: 'infra', expected: InfraError });
