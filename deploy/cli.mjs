// How a deploy script runs as a command: `main(argv)` gives the exit code; an expected failure
// (the script's own error class) prints one line, anything else its stack.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Runs `main` when the module at `moduleUrl` is the script node was started with. */
export function runAsMain(moduleUrl, main, { tag, expected }) {
  let isMain = false;
  try {
    isMain = fs.realpathSync(process.argv[1]) === fileURLToPath(moduleUrl);
  } catch {
    isMain = false;
  }
  if (!isMain) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(e instanceof expected ? `[${tag}] error: ${e.message}\n` : `${e.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
