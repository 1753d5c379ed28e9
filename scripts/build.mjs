#!/usr/bin/env node
// Builds a service for a container image: transpiles the service and the libraries it may import
// with swc (decorator metadata kept, `@prasar/*` aliases rewritten to relative paths) into
// dist/<service>/, with the non-code files they read at run time (SDL, JSON). Type checking is a
// separate step (`npm run typecheck`). Usage: node scripts/build.mjs <service>|--all [--out <dir>]
// (--out: another directory inside the repository than dist/, so node_modules still resolve; the
// end-to-end tests build their own copy there and run it, as the image does).
import { transformFile } from '@swc/core';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const swcrc = JSON.parse(readFileSync(join(ROOT, '.swcrc'), 'utf8'));
const { compilerOptions } = JSON.parse(readFileSync(join(ROOT, 'tsconfig.base.json'), 'utf8'));
const ASSET = /\.(graphql|json)$/;

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === '__fixtures__' ? [] : walk(path);
    return [path];
  });
}

const isSource = (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && !f.endsWith('.d.ts');

async function build(service, outRoot) {
  const serviceDir = join(ROOT, 'services', service);
  if (!existsSync(serviceDir)) throw new Error(`no service ${service}`);
  const out = join(outRoot, service);
  rmSync(out, { recursive: true, force: true });
  const roots = [
    join(serviceDir, 'src'),
    ...readdirSync(join(ROOT, 'libs')).map((l) => join(ROOT, 'libs', l, 'src')),
  ];
  const files = roots.flatMap(walk);
  let count = 0;
  for (const file of files) {
    const target = join(out, relative(ROOT, file));
    mkdirSync(dirname(target), { recursive: true });
    if (isSource(file)) {
      const { code, map } = await transformFile(file, {
        ...swcrc,
        swcrc: false,
        filename: file,
        sourceMaps: true,
        jsc: { ...swcrc.jsc, baseUrl: ROOT, paths: compilerOptions.paths },
      });
      writeFileSync(
        target.replace(/\.ts$/, '.js'),
        `${code}\n//# sourceMappingURL=${target.split('/').pop().replace(/\.ts$/, '.js.map')}`,
      );
      if (map) writeFileSync(target.replace(/\.ts$/, '.js.map'), map);
      count++;
    } else if (ASSET.test(file) || file.endsWith('.cjs')) {
      cpSync(file, target);
    }
  }
  // Files read at run time from outside src/ (topics, the gateway's supergraph).
  for (const extra of ['libs/contracts/topics.json', `services/${service}/supergraph.graphql`]) {
    if (existsSync(join(ROOT, extra))) cpSync(join(ROOT, extra), join(out, extra));
  }
  // A service with a web app (the console) also gets its static files, built by Vite, beside it.
  const viteConfig = join(serviceDir, 'web', 'vite.config.mts');
  if (existsSync(viteConfig)) {
    const { build: viteBuild } = await import('vite');
    process.env.NODE_ENV = 'production'; // React's production build, whatever the caller set
    await viteBuild({ configFile: viteConfig, logLevel: 'warn', build: { outDir: join(out, 'web') } });
    process.stdout.write(`[build] ${service}: web app → ${relative(ROOT, join(out, 'web'))}/\n`);
  }
  process.stdout.write(
    `[build] ${service}: ${count} modules → ${relative(ROOT, out)}/services/${service}/src/main.js\n`,
  );
}

const arg = process.argv[2];
const outFlag = process.argv.indexOf('--out');
const outRoot = outFlag > 0 ? resolve(process.argv[outFlag + 1]) : join(ROOT, 'dist');
if (!arg || (outFlag > 0 && !process.argv[outFlag + 1])) {
  process.stderr.write('usage: node scripts/build.mjs <service>|--all [--out <dir>]\n');
  process.exit(2);
}
const services = arg === '--all' ? readdirSync(join(ROOT, 'services')) : [arg];
for (const s of services) await build(s, outRoot);
