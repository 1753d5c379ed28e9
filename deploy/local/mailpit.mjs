// The local mail sink: Mailpit (a real SMTP server with an HTTP API to read what arrived), built
// once from the Go module proxy by deploy/tools.mjs into $PRASAR_HOME/tools/mailpit/v<version>,
// started on loopback with its messages in run/mailpit. Used by infra.mjs; skipped when SMTP_URL
// points at another server (then MAILPIT_API_URL is not written either).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAILPIT_VERSION, ensure as ensureTool } from '../tools.mjs';
import { HOST, InfraError, cmdline, isAlive, portInUse, seconds, tail, writeFileAtomic } from './proc.mjs';

export const MAILPIT_SMTP_PORT = Number(process.env.PRASAR_MAILPIT_SMTP_PORT || 11025);
export const MAILPIT_HTTP_PORT = Number(process.env.PRASAR_MAILPIT_HTTP_PORT || 18025);
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** Messages kept (oldest pruned first): enough for every test run of a day. */
const MAX_MESSAGES = 5000;

const smtpUrl = `smtp://${HOST}:${MAILPIT_SMTP_PORT}`;
const apiUrl = `http://${HOST}:${MAILPIT_HTTP_PORT}`;

export const isExternal = () => Boolean(process.env.SMTP_URL);

function paths(home) {
  return {
    data: path.join(home, 'run', 'mailpit'),
    db: path.join(home, 'run', 'mailpit', 'mailpit.db'),
    log: path.join(home, 'run', 'mailpit.log'),
    pid: path.join(home, 'run', 'mailpit.pid'),
  };
}

/** Ours: a process started from the cached binary with our database file. */
const isOurs = (P, pid) => {
  const args = cmdline(pid);
  return args.some((a) => a.endsWith(`${path.sep}mailpit`)) && args.includes(P.db);
};

function findRunning(P) {
  const recorded = fs.existsSync(P.pid) ? Number(fs.readFileSync(P.pid, 'utf8')) : 0;
  if (recorded && isAlive(recorded) && isOurs(P, recorded)) return recorded;
  if (recorded) fs.rmSync(P.pid, { force: true });
  return 0;
}

async function ready() {
  try {
    const res = await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

function readLog(P) {
  try {
    return fs.readFileSync(P.log, 'utf8').slice(-20_000);
  } catch {
    return '(no log file)';
  }
}

function startServer(P, bin) {
  fs.mkdirSync(P.data, { recursive: true, mode: 0o700 });
  if (fs.existsSync(P.log) && fs.statSync(P.log).size > 20 * 1024 * 1024)
    fs.renameSync(P.log, `${P.log}.old`);
  const log = fs.openSync(P.log, 'a');
  fs.writeSync(log, `\n--- ${new Date().toISOString()} infra.mjs starts Mailpit ${MAILPIT_VERSION} ---\n`);
  const child = spawn(
    bin,
    [
      '--database',
      P.db,
      '--smtp',
      `${HOST}:${MAILPIT_SMTP_PORT}`,
      '--listen',
      `${HOST}:${MAILPIT_HTTP_PORT}`,
      // Loopback only and no TLS: any client may send, with or without credentials.
      '--smtp-auth-accept-any',
      '--smtp-auth-allow-insecure',
      '--max',
      String(MAX_MESSAGES),
      '--disable-version-check',
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  child.on('error', () => {});
  child.unref();
  fs.closeSync(log);
  return child.pid;
}

// ---------------------------------------------------------------------------------------------
// Public API (for infra.mjs)

/** Where the services send mail and where tests read it (no network). */
export function envFor() {
  if (isExternal()) return { SMTP_URL: process.env.SMTP_URL };
  return { SMTP_URL: smtpUrl, MAILPIT_API_URL: apiUrl };
}

/** Builds (once) and starts Mailpit, or checks the one running. */
export async function up({ home, say }) {
  if (isExternal()) {
    say(`mail: using the SMTP server of SMTP_URL (not started here)`);
    return;
  }
  const P = paths(home);
  let pid = findRunning(P);
  if (pid && (await ready())) {
    say(`mailpit: already running (pid ${pid}); SMTP ${smtpUrl}, API ${apiUrl}`);
    return;
  }
  if (!pid) {
    for (const port of [MAILPIT_SMTP_PORT, MAILPIT_HTTP_PORT]) {
      if (await portInUse(port)) {
        throw new InfraError(
          `port ${port} is busy with something that is not our Mailpit (see: ss -ltnp 'sport = :${port}'); ` +
            'PRASAR_MAILPIT_SMTP_PORT / PRASAR_MAILPIT_HTTP_PORT move it, SMTP_URL uses another server',
        );
      }
    }
  }
  let bin;
  try {
    bin = (await ensureTool('mailpit')).bin.mailpit;
  } catch (e) {
    throw new InfraError(`mailpit: ${e.message} (or set SMTP_URL to another SMTP server)`);
  }
  const started = Date.now();
  if (!pid) {
    pid = startServer(P, bin);
    say(`mailpit ${MAILPIT_VERSION}: starting (pid ${pid}), log in ${P.log}`);
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await ready())) {
    if (!isAlive(pid)) {
      throw new InfraError(`mailpit exited during start-up; last lines of ${P.log}:\n${tail(readLog(P))}`);
    }
    if (Date.now() > deadline) throw new InfraError(`mailpit not ready after 30s; see ${P.log}`);
    await sleep(200);
  }
  writeFileAtomic(P.pid, `${pid}\n`);
  say(`mailpit: ready after ${seconds(started)}; SMTP ${smtpUrl}, API and web UI ${apiUrl}`);
}

export async function down({ home, say }) {
  if (isExternal()) return;
  const P = paths(home);
  const pid = findRunning(P);
  if (!pid) {
    say('mailpit: not running');
    return;
  }
  say(`mailpit: stopping (pid ${pid})…`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
  fs.rmSync(P.pid, { force: true });
  say('mailpit: stopped');
}

export async function status({ home }) {
  if (isExternal()) return { external: true, smtpUrl: process.env.SMTP_URL, ready: true };
  const P = paths(home);
  const pid = findRunning(P) || null;
  return { external: false, pid, smtpUrl, apiUrl, ready: Boolean(pid) && (await ready()) };
}
