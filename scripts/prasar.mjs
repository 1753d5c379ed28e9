#!/usr/bin/env node
// The two commands. `start`: dependencies, infrastructure, migrations, every service, demo data,
// then the gateway URL and a development token. `test`: the same provisioning, then every check
// and test. Only Node built-ins are used before dependencies are installed.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
// Nx: no background daemon (CI and short-lived runs), no cloud.
process.env.NX_DAEMON ??= 'false';
process.env.NX_NO_CLOUD ??= 'true';
const say = (line) => process.stdout.write(`[prasar] ${line}\n`);

function run(cmd, args, options = {}) {
  const res = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...options });
  if (res.error) throw new Error(`${cmd} could not be run: ${res.error.message}`);
  return res.status ?? 1;
}

/** Installs dependencies when node_modules is missing or older than the lock file. */
function ensureDependencies() {
  const marker = join(ROOT, 'node_modules', '.package-lock.json');
  const lock = join(ROOT, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  say('installing dependencies (npm ci)…');
  if (run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']) !== 0) {
    throw new Error('npm ci failed: see the output above');
  }
}

/**
 * Chromium for the console's browser tests (Debian's package; Playwright's own browser download is
 * not reachable everywhere). Installed with apt-get when missing, as root, as CI starts fresh.
 */
function ensureChromium() {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(path)) return;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    throw new Error(`no Chromium at ${path}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  say('installing Chromium for the console tests (apt-get install chromium)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run('apt-get', ['install', '-y', 'chromium'], { env });
  if (install() !== 0 && (run('apt-get', ['update'], { env }) !== 0 || install() !== 0))
    throw new Error('could not install Chromium: see the output above');
}

async function provision() {
  ensureDependencies();
  const infra = await import('../deploy/local/infra.mjs');
  const wasUp = (await infra.status()).ok;
  await infra.up({});
  const env = infra.readEnv();
  const stack = require('../libs/testing/src/stack.cjs');
  say('migrating databases…');
  await stack.migrateAll(env, {
    onLine: (name, line) => process.env.PRASAR_VERBOSE && say(`${name}: ${line}`),
  });
  return { env, stack, infra, startedInfra: !wasUp };
}

async function start() {
  const { env, stack, infra, startedInfra } = await provision();
  const children = [];
  const stopAll = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  };
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping services…');
    stopAll();
    await Promise.all(
      children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)),
    );
    // Ctrl-C stops what this command started; infrastructure that was already running stays up.
    if (startedInfra) {
      say('stopping PostgreSQL and Kafka…');
      await infra.down();
    }
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  stack.ensureConsoleBuilt({ onLine: (name, line) => say(`${name}: ${line}`) });
  for (const service of stack.SERVICES) {
    say(`starting ${service.name} on port ${service.port}…`);
    const child = stack.spawnService(service, env, {
      onLine: (name, line) => process.stdout.write(`${name.padEnd(9)}| ${line}\n`),
    });
    child.on('exit', (code) => code !== 0 && code !== null && say(`${service.name} exited with ${code}`));
    children.push(child);
    await stack.waitHealthy(service.name, service.port, child);
  }
  say('seeding the demo state (Madhya Pradesh departments and their simulator accounts)…');
  const sim = stack.SERVICES.find((s) => s.name === 'platform-sim');
  await stack.runToCompletion(
    'scripts/seed.ts',
    {
      ...process.env,
      GATEWAY_URL: 'http://127.0.0.1:4000/graphql',
      PLATFORM_SIM_URL: `http://127.0.0.1:${sim.port}`,
      SIM_ADMIN_TOKEN: stack.simAdminToken(),
    },
    {
      onLine: (line) => say(line),
    },
  );
  const consolePort = stack.SERVICES.find((s) => s.name === 'console').port;
  say('');
  say(`Prasar Console: http://127.0.0.1:${consolePort}/ (sign in as e.g. agriculture.editor)`);
  say('Prasar is up. GraphQL gateway: http://127.0.0.1:4000/graphql');
  say(
    'Tokens: people sign in at the provider above; for quick API calls, `npm run token -- --role DEPT_EDITOR --department agriculture` prints a development token. Ctrl-C stops the services.',
  );
}

async function test() {
  const { env: infraEnv } = await provision();
  const steps = [
    ['proto contracts (lint, breaking, generated code fresh)', ['node', ['scripts/proto.mjs', 'check']]],
    ['supergraph is fresh', ['node', ['scripts/run-ts.mjs', 'services/gateway/src/compose.ts', '--check']]],
    [
      'generated operation types are fresh',
      ['node', ['scripts/run-ts.mjs', 'scripts/codegen.ts', '--check']],
    ],
    ['typecheck', ['npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']]],
    ['typecheck the console web app', ['npx', ['tsc', '-p', 'services/console/web/tsconfig.json']]],
    ['build every service', ['node', ['scripts/build.mjs', '--all']]],
    // The module-boundary lint rule reads Nx's project graph; compute it first (no daemon in CI).
    ['project graph', ['npx', ['nx', 'show', 'projects']]],
    ['lint', ['npx', ['eslint', '.', '--max-warnings=0']]],
    ['formatting', ['npx', ['prettier', '--check', '--log-level=warn', '.']]],
  ];
  for (const [name, [cmd, args]] of steps) {
    say(`check: ${name}`);
    if (run(cmd, args) !== 0) throw new Error(`check failed: ${name}`);
  }
  // Helm, helm-unittest, kubernetes-validate, checkov and Prometheus: built or installed once,
  // cached by version under ~/.cache/prasar/tools.
  say('tools for the chart and observability tests…');
  if (run('node', ['deploy/tools.mjs', 'ensure', 'all']) !== 0)
    throw new Error('could not provide the test tools');
  // etcd, kube-apiserver, controller-manager, scheduler and kwok for test/k8s: built once (about
  // 5 min on 2 cores), cached by version under ~/.cache/prasar/k8s.
  say('Kubernetes control-plane binaries for the chart-on-Kubernetes tests…');
  if (run('node', ['deploy/k8s/cluster.mjs', 'ensure']) !== 0)
    throw new Error('could not provide the Kubernetes control-plane binaries');
  ensureChromium();
  say('running the test suites against the real PostgreSQL and Kafka…');
  const env = { ...process.env, PRASAR_INFRA_ENV: JSON.stringify(infraEnv) };
  const extra = process.argv.slice(3);
  if (extra.length) {
    if (run('npx', ['jest', '--ci', ...extra], { env }) !== 0) throw new Error('tests failed');
    return;
  }
  // Libraries and services in parallel; then the cross-service suites one at a time: each starts
  // the whole platform, and its consumer groups share partitions with no other stack's; test/k8s
  // starts the local Kubernetes control plane (and stops it, unless it was already up).
  const unit = run(
    'npx',
    ['jest', '--ci', '--testPathIgnorePatterns', '/node_modules/', '/test/(e2e|ops|k8s)/'],
    { env },
  );
  say('running the cross-service suites (one platform at a time)…');
  const e2e = run('npx', ['jest', '--ci', '--runInBand', 'test/e2e', 'test/ops', 'test/k8s'], { env });
  if (unit !== 0 || e2e !== 0) throw new Error('tests failed');
}

async function migrate() {
  await provision();
  say('migrations applied');
}

const commands = { start, test, migrate };
const command = commands[process.argv[2]];
if (!command) {
  process.stderr.write(`usage: node scripts/prasar.mjs ${Object.keys(commands).join('|')}\n`);
  process.exit(2);
}
command().catch((err) => {
  process.stderr.write(`[prasar] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
