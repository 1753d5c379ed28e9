// Process and file helpers shared by the local infrastructure scripts (infra.mjs, keycloak.mjs).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const HOST = '127.0.0.1';

/** An expected failure: its message tells the user what is missing; no stack trace. */
export class InfraError extends Error {}

export const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;
export const tail = (text, lines = 25) => text.trimEnd().split('\n').slice(-lines).join('\n');

export function writeFileAtomic(file, content, mode = 0o644) {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.chmodSync(tmp, mode); // the umask may have narrowed or a previous file widened it
  fs.renameSync(tmp, file);
}

export const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

export function commandExists(cmd) {
  return (process.env.PATH || '').split(':').some((dir) => {
    try {
      fs.accessSync(path.join(dir, cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Runs a command to completion; resolves { code, out } with stdout and stderr interleaved. */
export function exec(cmd, args, { input, env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env } });
    let out = '';
    const collect = (chunk) => {
      out = (out + chunk).slice(-200_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (e) => reject(e.code === 'ENOENT' ? new InfraError(`${cmd} not found`) : e));
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(input ?? '');
  });
}

export async function execChecked(what, cmd, args, opts) {
  const { code, out } = await exec(cmd, args, opts);
  if (code !== 0) throw new InfraError(`${what} failed (exit ${code}):\n${tail(out)}`);
  return out;
}

/** True if the process exists and is not a zombie (a zombie still answers kill 0). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** True if something accepts TCP connections on HOST:port. */
export function portInUse(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    const done = (used) => {
      socket.destroy();
      resolve(used);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
