#!/usr/bin/env node
// The tools the chart's checks run, built or installed once from the package registries and cached
// outside the clone, one folder per version, under $PRASAR_HOME/tools (default ~/.cache/prasar/tools):
//
//   helm/v3.22.0/helm                      go install helm.sh/helm/v3/cmd/helm@v3.22.0 (+ Makefile ldflags)
//   helm-unittest/v1.1.2/helm-unittest     go build of the module's ./cmd/helm-unittest
//   pyvenv/py3.11-kubernetes-validate-1.37.0-checkov-3.3.30/bin/{kubernetes-validate,checkov}
//   mailpit/v1.33.1/mailpit                go install github.com/axllent/mailpit@v1.33.1 (the local mail sink)
//
//   node deploy/tools.mjs ensure helm|helm-unittest|pyvenv|mailpit|all [...] [--json]
//   node deploy/tools.mjs path helm|helm-unittest|pyvenv|mailpit
//
// A folder counts only once its `.prasar-tool.json` marker is written (the last step), so an
// interrupted build is redone, and a second `ensure` costs a stat. The marker records the recipe
// revision too: a folder built by an older recipe is rebuilt. Progress goes to stderr;
// `--json` prints { tool: { version, dir, bin: { name: path } } } on stdout for other scripts.
// Only Node built-ins: this runs before anything else is installed.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runAsMain } from './cli.mjs';

export const HELM_VERSION = '3.22.0';
export const HELM_UNITTEST_VERSION = '1.1.2';
/** The local SMTP server with an HTTP API (deploy/local/mailpit.mjs); MailHog does not build. */
export const MAILPIT_VERSION = '1.33.1';
/** The Python tools, pinned: the schemas of kubernetes-validate and the checks of checkov move with them. */
export const PYTHON_PACKAGES = { 'kubernetes-validate': '1.37.0', checkov: '3.3.30' };

export const HOME = process.env.PRASAR_HOME || path.join(os.homedir(), '.cache', 'prasar');
export const TOOLS_DIR = path.join(HOME, 'tools');
const MARKER = '.prasar-tool.json';

/** A failure whose message says what to do; printed without a stack. */
export class ToolError extends Error {}

const say = (line) => process.stderr.write(`[tools] ${line}\n`);
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const tail = (text, lines = 30) => text.trimEnd().split('\n').slice(-lines).join('\n');

export function onPath(cmd) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export function requireCommand(cmd, forTool, hint) {
  if (!onPath(cmd)) throw new ToolError(`${forTool} needs ${cmd}, which is not on PATH: ${hint}`);
}

/** Runs a command to completion; rejects with its last output lines on a non-zero exit. */
export function run(what, cmd, args, { cwd, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out = (out + c).slice(-2_000_000)));
    child.stderr.on('data', (c) => (err = (err + c).slice(-200_000)));
    child.on('error', (e) => reject(new ToolError(`${what}: cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new ToolError(`${what} failed (exit ${code}):\n${tail(`${out}\n${err}`)}`)),
    );
  });
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** One builder per tool folder at a time, across processes (two test runs starting together). */
export async function withLock(file, fn) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    const holder = Number(fs.readFileSync(file, 'utf8') || 0);
    const age = Date.now() - fs.statSync(file).mtimeMs;
    if ((holder && !isAlive(holder)) || (!holder && age > 5000)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (!announced) say(`waiting for another tools.mjs (pid ${holder}) building the same tool…`);
    announced = true;
    await sleep(500);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function readMarker(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
  } catch {
    return null;
  }
}

/** The cached folder of a tool, building it first when its marker is missing. */
export async function cached(spec) {
  const result = () => ({
    version: spec.version,
    dir: spec.dir,
    bin: Object.fromEntries(Object.entries(spec.bin).map(([name, rel]) => [name, path.join(spec.dir, rel)])),
  });
  const ready = () =>
    readMarker(spec.dir)?.recipe === spec.recipe &&
    Object.values(result().bin).every((file) => fs.existsSync(file));
  if (ready()) return result();
  return withLock(`${spec.dir}.lock`, async () => {
    if (ready()) return result(); // built by whoever held the lock
    spec.preflight(); // a missing go or python3 is named before anything is announced or removed
    const started = Date.now();
    say(`${spec.name} ${spec.version}: not cached; ${spec.how} (${spec.expect} on 2 cores)…`);
    fs.rmSync(spec.dir, { recursive: true, force: true });
    await spec.build(spec.dir);
    for (const file of Object.values(result().bin)) {
      if (!fs.existsSync(file)) throw new ToolError(`${spec.name}: the build left no ${file}`);
    }
    const marker = {
      tool: spec.name,
      version: spec.version,
      recipe: spec.recipe,
      builtAt: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(spec.dir, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    say(`${spec.name} ${spec.version}: ready in ${seconds(started)} → ${spec.dir}`);
    return result();
  });
}

// Helm 3.22 and helm-unittest 1.1.2 declare go 1.26 (an older go fetches that toolchain through the proxy).
export const GO_HINT = 'install Go 1.26 or newer (https://go.dev/dl) and retry';

// ---------------------------------------------------------------------------------------------
// The tools

function helmSpec() {
  const dir = path.join(TOOLS_DIR, 'helm', `v${HELM_VERSION}`);
  return {
    name: 'helm',
    version: HELM_VERSION,
    dir,
    // Bumped whenever the way it is built changes, so older builds are redone.
    recipe: 2,
    bin: { helm: 'helm' },
    how: `go install helm.sh/helm/v3/cmd/helm@v${HELM_VERSION}`,
    expect: 'about 80 s',
    preflight: () => requireCommand('go', 'helm', GO_HINT),
    async build(target) {
      // Into a scratch folder first, so a half-written binary never sits where the marker points.
      const scratch = `${target}.tmp-${process.pid}`;
      fs.rmSync(scratch, { recursive: true, force: true });
      fs.mkdirSync(scratch, { recursive: true });
      try {
        // What Helm's Makefile stamps in: without it `helm version` is incomplete and the default
        // Kubernetes version of `helm template`/`lint` falls back to 1.20.
        const info = JSON.parse(
          await run('go mod download helm', 'go', [
            'mod',
            'download',
            '-json',
            `helm.sh/helm/v3@v${HELM_VERSION}`,
          ]),
        );
        const goMod = fs.readFileSync(path.join(info.Dir, 'go.mod'), 'utf8');
        const clientGo = /k8s\.io\/client-go v0\.(\d+)\./.exec(goMod);
        if (!clientGo) throw new ToolError(`helm ${HELM_VERSION}: no k8s.io/client-go in its go.mod`);
        const ldflags = [
          '-s -w',
          `-X helm.sh/helm/v3/internal/version.version=v${HELM_VERSION}`,
          ...['pkg/chartutil', 'pkg/lint/rules'].flatMap((pkg) => [
            `-X helm.sh/helm/v3/${pkg}.k8sVersionMajor=1`,
            `-X helm.sh/helm/v3/${pkg}.k8sVersionMinor=${clientGo[1]}`,
          ]),
        ].join(' ');
        await run(
          'go install helm',
          'go',
          ['install', '-trimpath', `-ldflags=${ldflags}`, `helm.sh/helm/v3/cmd/helm@v${HELM_VERSION}`],
          { env: { GOBIN: scratch, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' } },
        );
        fs.renameSync(scratch, target);
      } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
      }
    },
  };
}

function helmUnittestSpec() {
  const dir = path.join(TOOLS_DIR, 'helm-unittest', `v${HELM_UNITTEST_VERSION}`);
  const module = `github.com/helm-unittest/helm-unittest@v${HELM_UNITTEST_VERSION}`;
  return {
    name: 'helm-unittest',
    version: HELM_UNITTEST_VERSION,
    dir,
    recipe: 1,
    bin: { 'helm-unittest': 'helm-unittest' },
    how: `go mod download ${module}, then go build ./cmd/helm-unittest in a copy`,
    expect: 'about 25 s',
    preflight: () => requireCommand('go', 'helm-unittest', GO_HINT),
    async build(target) {
      // Its go.mod has replace directives, so `go install …@version` refuses it; and its Helm
      // plugin installer downloads a release binary, which this network does not serve. Building
      // the module's own source, with its own go.mod, is what works.
      const info = JSON.parse(await run('go mod download', 'go', ['mod', 'download', '-json', module]));
      if (!info.Dir) throw new ToolError(`go mod download ${module} gave no Dir: ${info.Error ?? ''}`);
      const scratch = `${target}.src-${process.pid}`;
      fs.rmSync(scratch, { recursive: true, force: true });
      try {
        fs.cpSync(info.Dir, scratch, { recursive: true });
        makeWritable(scratch); // the module cache is read-only; go may rewrite go.sum in the copy
        fs.mkdirSync(target, { recursive: true });
        await run(
          'go build helm-unittest',
          'go',
          ['build', '-o', path.join(target, 'helm-unittest'), './cmd/helm-unittest'],
          { cwd: scratch, env: { GOFLAGS: '-buildvcs=false -mod=mod', GOWORK: 'off', CGO_ENABLED: '0' } },
        );
      } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
      }
    },
  };
}

function mailpitSpec() {
  const dir = path.join(TOOLS_DIR, 'mailpit', `v${MAILPIT_VERSION}`);
  const module = `github.com/axllent/mailpit@v${MAILPIT_VERSION}`;
  return {
    name: 'mailpit',
    version: MAILPIT_VERSION,
    dir,
    recipe: 1,
    bin: { mailpit: 'mailpit' },
    how: `go install ${module}`,
    expect: 'about 2 min',
    preflight: () => requireCommand('go', 'mailpit', GO_HINT),
    async build(target) {
      // Into a scratch folder first, so a half-written binary never sits where the marker points.
      const scratch = `${target}.tmp-${process.pid}`;
      fs.rmSync(scratch, { recursive: true, force: true });
      fs.mkdirSync(scratch, { recursive: true });
      try {
        await run('go install mailpit', 'go', ['install', '-trimpath', '-ldflags=-s -w', module], {
          env: { GOBIN: scratch, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' },
        });
        fs.renameSync(scratch, target);
      } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
      }
    },
  };
}

export function makeWritable(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    fs.chmodSync(p, entry.isDirectory() ? 0o755 : 0o644);
    if (entry.isDirectory()) makeWritable(p);
  }
}

function pythonVersion() {
  const res = spawnSync('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
    encoding: 'utf8',
  });
  if (res.error || res.status !== 0) return null;
  return res.stdout.trim();
}

function pyvenvSpec() {
  requireCommand(
    'python3',
    'pyvenv (kubernetes-validate, checkov)',
    'install Python 3.9+ (Debian `python3 python3-venv`)',
  );
  const py = pythonVersion();
  if (!py) throw new ToolError('pyvenv: python3 does not run: install Python 3.9+ (Debian `python3`)');
  const pins = Object.entries(PYTHON_PACKAGES);
  // A virtualenv is bound to its interpreter and cannot be moved: key it by both, build it in place.
  const key = [`py${py}`, ...pins.map(([name, version]) => `${name}-${version}`)].join('-');
  const dir = path.join(TOOLS_DIR, 'pyvenv', key);
  return {
    name: 'pyvenv',
    version: key,
    dir,
    recipe: 1,
    bin: { python: 'bin/python', 'kubernetes-validate': 'bin/kubernetes-validate', checkov: 'bin/checkov' },
    how: `python3 -m venv, pip install ${pins.map(([n, v]) => `${n}==${v}`).join(' ')}`,
    expect: 'about 30 s',
    preflight() {
      const venvCheck = spawnSync('python3', ['-c', 'import venv, ensurepip'], { encoding: 'utf8' });
      if (venvCheck.status !== 0) {
        throw new ToolError('pyvenv needs the venv module of python3: install Debian `python3-venv`');
      }
    },
    async build(target) {
      await run('python3 -m venv', 'python3', ['-m', 'venv', target]);
      const pip = path.join(target, 'bin', 'pip');
      await run('pip install', pip, [
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-input',
        ...pins.map(([name, version]) => `${name}==${version}`),
      ]);
    },
  };
}

/**
 * Prometheus and promtool (the observability tests scrape the running platform and unit-test the
 * alert rules) come from Debian's package, installed once, system-wide.
 */
async function ensurePrometheus() {
  if (!onPath('promtool') || !onPath('prometheus')) {
    requireCommand(
      'apt-get',
      'prometheus',
      'install Prometheus 2.x by hand (prometheus and promtool on PATH)',
    );
    const since = Date.now();
    say('prometheus: installing the Debian package (one time)…');
    await run('apt-get update', 'apt-get', ['update', '-qq']);
    await run('apt-get install prometheus', 'apt-get', ['install', '-y', '-qq', 'prometheus'], {
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    });
    say(`prometheus: installed in ${seconds(since)}`);
  }
  return {
    version: 'debian',
    dir: '/usr/bin',
    bin: { prometheus: '/usr/bin/prometheus', promtool: '/usr/bin/promtool' },
  };
}

const SPECS = {
  helm: helmSpec,
  'helm-unittest': helmUnittestSpec,
  pyvenv: pyvenvSpec,
  mailpit: mailpitSpec,
  prometheus: null,
};
export const TOOL_NAMES = Object.keys(SPECS);

/** Builds or installs a tool unless its cached folder is complete; resolves its paths. */
export async function ensure(name) {
  if (name === 'prometheus') return ensurePrometheus();
  const spec = SPECS[name];
  if (!spec) throw new ToolError(`unknown tool "${name}" (known: ${TOOL_NAMES.join(', ')})`);
  return cached(spec());
}

// ---------------------------------------------------------------------------------------------
// CLI

async function main(argv) {
  const json = argv.includes('--json');
  const [command, ...rest] = argv.filter((a) => a !== '--json');
  const names = rest.includes('all') ? TOOL_NAMES : rest;
  if (!['ensure', 'path'].includes(command) || names.length === 0) {
    process.stderr.write(
      `usage: node deploy/tools.mjs ensure <${TOOL_NAMES.join('|')}|all>... [--json]\n` +
        `       node deploy/tools.mjs path <${TOOL_NAMES.join('|')}>\n`,
    );
    return 2;
  }
  const found = {};
  for (const name of names) {
    if (command === 'path') {
      const spec = SPECS[name]?.();
      if (!spec) throw new ToolError(`unknown tool "${name}"`);
      if (!readMarker(spec.dir))
        throw new ToolError(`${name} is not built yet: node deploy/tools.mjs ensure ${name}`);
      process.stdout.write(`${spec.dir}\n`);
      continue;
    }
    found[name] = await ensure(name);
    if (!json) say(`${name} ${found[name].version}: ${Object.values(found[name].bin).join(' ')}`);
  }
  if (json) process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
  return 0;
}

runAsMain(import.meta.url, main, { tag: 'tools', expected: ToolError });
