#!/usr/bin/env node
// Runs a TypeScript file with the swc register hook (tsconfig path aliases included):
//   node scripts/run-ts.mjs <file.ts> [args...]
// It re-executes Node rather than registering the hook in this ESM process, so the script runs as plain
// CommonJS with inherited stdio; the launcher exits with the script's exit code, or dies by its signal.
import { spawn } from 'node:child_process';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node scripts/run-ts.mjs <file.ts> [args...]\n');
  process.exit(64);
}

const child = spawn(process.execPath, [...process.execArgv, '-r', '@swc-node/register', file, ...args], {
  stdio: 'inherit',
});

// Ctrl-C reaches the whole process group, the child included: the launcher only waits for it to finish.
// A SIGTERM sent to the launcher alone (a process manager) is passed on.
const ignore = () => {};
const forward = () => child.kill('SIGTERM');
process.on('SIGINT', ignore);
process.on('SIGTERM', forward);

child.on('error', (err) => {
  process.stderr.write(`run-ts: ${err.message}\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', forward);
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});
