// Prasar's benchmark (`npm run bench`): the machine's ceilings, the publishing pipeline, the gateway
// against a subgraph, and engagement ingestion once analytics exists. Loopback only; every loop has
// a count and a time limit. Results go to bench/results/<timestamp>.json and latest.json.
import { join } from 'node:path';
import { portsFor, readInfraEnv, startStack, type RunningStack } from '@prasar/testing';
import { kafkaCeilings, postgresCeiling } from './ceilings';
import { runEngagement } from './engagement';
import { runGateway } from './gateway';
import { runIdentity } from './identity';
import { runPipeline, setupPipeline, type PipelineOptions } from './pipeline';
import { line, machine, saveResults, table, withRatio, write, type Measurement } from './report';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const stackDefs = require('../libs/testing/src/stack.cjs') as {
  ROOT: string;
  SERVICES: { name: string }[];
  migrateAll: (infra: unknown) => Promise<void>;
};

const PIPELINE: PipelineOptions = {
  departments: 20,
  // A rate the platform sustains on 2 cores (the latency floor), then the target's 50/s.
  latencyPhases: [
    { rate: 5, contents: 50 },
    { rate: 50, contents: 200 },
  ],
  drainTimeoutMs: 60_000,
  throughputContents: 400,
  concurrency: 48,
};

const PHASES = ['ceilings', 'identity', 'pipeline', 'gateway', 'engagement'] as const;
type Phase = (typeof PHASES)[number];

/** `--only=engagement,gateway` runs some phases (for working on one); only a full run is the latest. */
function selectedPhases(argv: string[]): Set<Phase> {
  const arg = argv.find((a) => a.startsWith('--only='));
  if (!arg) return new Set(PHASES);
  const names = arg.slice('--only='.length).split(',').filter(Boolean);
  const unknown = names.filter((n) => !(PHASES as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0)
    throw new Error(`--only takes some of ${PHASES.join(', ')}; got ${arg}`);
  return new Set(names as Phase[]);
}

async function main(): Promise<void> {
  const phases = selectedPhases(process.argv.slice(2));
  const partial = phases.size < PHASES.length;
  const startedAt = new Date();
  const env = readInfraEnv();
  const measurements: Measurement[] = [];
  const notes: string[] = [];
  const add = (ms: Measurement[]) => {
    for (const m of ms) {
      const full = withRatio(m, [...measurements, ...ms]);
      measurements.push(full);
      write(`${line(full)}\n`);
    }
  };

  if (phases.has('ceilings')) {
    write('== ceilings (before the platform starts)\n');
    add(await kafkaCeilings(env, { maxMessages: 300_000, maxMs: 8_000 }));
    add(await postgresCeiling(env, { maxRows: 2_000_000, maxMs: 6_000 }));
  }

  if (phases.has('identity')) {
    write('== identity provider (before the platform starts)\n');
    add(await runIdentity(env, { signIns: 30, tokens: 100 }));
  }

  write('== migrations\n');
  await stackDefs.migrateAll(env);

  write('== starting the platform on ports from 22000\n');
  let stack: RunningStack | undefined;
  const stopOnSignal = () => void stack?.stop().finally(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    const t = Date.now();
    stack = await startStack({ ports: portsFor(22000) });
    write(
      `  ${stackDefs.SERVICES.map((s) => s.name).join(', ')} up in ${((Date.now() - t) / 1000).toFixed(1)} s\n`,
    );

    const groups = stackDefs.SERVICES.filter(
      (s) => !['gateway', 'platform-sim', 'console'].includes(s.name),
    ).map((s) => `prasar-${s.name}`);
    if (phases.has('pipeline') || phases.has('gateway')) {
      write('== pipeline\n');
      const setup = await setupPipeline(stack, env, groups, PIPELINE);
      if (phases.has('pipeline')) add(await runPipeline(stack, env, groups, setup, PIPELINE));
      if (phases.has('gateway')) {
        write('== gateway\n');
        add(await runGateway(stack, setup.departments[0], { seconds: 10, warmupSeconds: 2 }));
      }
    }

    if (phases.has('engagement')) {
      write('== engagement ingestion\n');
      add(
        await runEngagement(env, stack, {
          events: 100_000,
          backlogEvents: 200_000,
          publications: 10_000,
          timeoutMs: 120_000,
        }),
      );
    }
  } catch (err) {
    if (stack) write(`--- last service output ---\n${stack.logs.slice(-40).join('\n')}\n`);
    throw err;
  } finally {
    await stack?.stop();
  }

  const result = {
    startedAt: startedAt.toISOString(),
    ...(partial ? { phases: [...phases] } : {}),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: machine(),
    pipeline: PIPELINE,
    measurements: measurements.map((m) => ({
      ...m,
      value: m.value === null ? null : Number(m.value.toFixed(2)),
    })),
    notes,
  };
  const files = saveResults(join(stackDefs.ROOT, 'bench', 'results'), result, { latest: !partial });
  write(
    `\n${table(measurements)}\n\nwritten to ${[files.file, files.latest].filter(Boolean).join(' and ')} (${result.seconds} s)\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
