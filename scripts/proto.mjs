#!/usr/bin/env node
// Event contracts: generate the TypeScript in libs/contracts/src/gen from proto/, or check that
// the contracts are lint-clean, backward compatible and that the committed generated code is fresh.
//
//   node scripts/proto.mjs generate
//   node scripts/proto.mjs check
//
// Everything runs offline: buf and protoc-gen-es come from node_modules, nothing from the BSR.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const buf = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'buf.cmd' : 'buf');
const PROTO_DIR = 'proto';
const GEN_DIR = 'libs/contracts/src/gen';

class CheckFailed extends Error {}

function say(message) {
  process.stdout.write(`proto: ${message}\n`);
}

/** Runs a command in the repo root; returns its result without throwing. */
function run(command, args, { capture = false } = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
  });
  if (result.error) throw new CheckFailed(`cannot run ${command}: ${result.error.message}`);
  return result;
}

function runBuf(args, failure) {
  if (!existsSync(buf)) throw new CheckFailed(`${relative(root, buf)} is missing: run npm install`);
  if (run(buf, args).status !== 0) throw new CheckFailed(failure);
}

function git(args) {
  const result = run('git', args, { capture: true });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function generate(outputBase) {
  const args = ['generate', '--template', 'buf.gen.yaml'];
  if (outputBase) args.push('--output', outputBase);
  runBuf(args, 'buf generate failed');
}

function lint() {
  say('buf lint');
  runBuf(['lint', PROTO_DIR], 'buf lint found problems (see above)');
}

/**
 * The commit to compare against: HEAD while proto/ has uncommitted changes (they are what is
 * being checked), else HEAD~1 (what the last commit changed). Undefined when there is none.
 */
function breakingBase() {
  if (git(['rev-parse', '--is-inside-work-tree']) !== 'true') {
    say('not a git work tree: skipping buf breaking');
    return undefined;
  }
  const dirty = git(['status', '--porcelain', '--untracked-files=all', '--', PROTO_DIR]);
  const ref = dirty ? 'HEAD' : 'HEAD~1';
  const commit = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (!commit) {
    say(
      ref === 'HEAD'
        ? 'no commit yet: nothing to compare against, skipping buf breaking'
        : 'HEAD has no parent (first commit, or a shallow clone): skipping buf breaking',
    );
    return undefined;
  }
  const files = git(['ls-tree', '-r', '--name-only', commit, '--', `${PROTO_DIR}/`]) ?? '';
  if (!files.split('\n').some((f) => f.endsWith('.proto'))) {
    say(`${ref} (${commit.slice(0, 12)}) has no proto files yet: skipping buf breaking`);
    return undefined;
  }
  return { ref, commit };
}

function breaking() {
  const base = breakingBase();
  if (!base) return;
  const gitDir = join(git(['rev-parse', '--show-toplevel']), '.git');
  const against = `${gitDir}#ref=${base.commit},subdir=${PROTO_DIR}`;
  say(`buf breaking against ${base.ref} (${base.commit.slice(0, 12)})`);
  runBuf(
    ['breaking', PROTO_DIR, '--against', against],
    `proto/ breaks compatibility with ${base.ref} (see above). Events already on Kafka must stay ` +
      'readable: add fields or messages instead, mark old ones [deprecated = true] rather than ' +
      'removing or renaming them, or start a new vN package.',
  );
}

function listFiles(dir, base = dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path, base) : [relative(base, path)];
  });
}

function fresh() {
  say(`regenerating into a temporary folder to compare with ${GEN_DIR}`);
  const scratch = mkdtempSync(join(tmpdir(), 'prasar-proto-'));
  try {
    generate(scratch);
    const expectedDir = join(scratch, GEN_DIR);
    const actualDir = join(root, GEN_DIR);
    const expected = new Set(listFiles(expectedDir));
    const actual = new Set(listFiles(actualDir));
    const problems = [];
    for (const file of expected) {
      if (!actual.has(file)) problems.push(`missing   ${GEN_DIR}/${file}`);
      else if (!readFileSync(join(expectedDir, file)).equals(readFileSync(join(actualDir, file)))) {
        problems.push(`outdated  ${GEN_DIR}/${file}`);
      }
    }
    for (const file of actual) if (!expected.has(file)) problems.push(`extra     ${GEN_DIR}/${file}`);
    if (problems.length > 0) {
      console.error(problems.map((p) => `  ${p}`).join('\n'));
      throw new CheckFailed(
        `${GEN_DIR} is stale (${problems.length} file(s)): run \`npm run proto:generate\` and commit the result`,
      );
    }
    say(`${GEN_DIR} is up to date (${expected.size} files)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const commands = {
  generate: () => {
    generate();
    say(`generated ${GEN_DIR}`);
  },
  check: () => {
    lint();
    breaking();
    fresh();
    say('check passed');
  },
};

const name = process.argv[2];
const command = commands[name];
if (!command) {
  console.error('usage: node scripts/proto.mjs <generate|check>');
  process.exit(2);
}
try {
  command();
} catch (err) {
  if (!(err instanceof CheckFailed)) throw err;
  console.error(`proto: FAILED: ${err.message}`);
  process.exit(1);
}
