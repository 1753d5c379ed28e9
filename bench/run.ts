// Prasar's benchmark (`npm run bench`): the machine's ceilings, the publishing pipeline, the gateway
// against a subgraph, and engagement ingestion once analytics exists. Loopback only; every loop has
// a count and a time limit. Results go to bench/results/<timestamp>.json and latest.json.
import { join } from 'node:path';
import { portsFor, readInfraEnv, startStack, type RunningStack } from '@prasar/testing';
import { kafkaCeilings, postgresCeiling } from './ceilings';
import { runEngagement } from './engagement';
import { runGateway } from './gateway';
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

async function main(): Promise<void> {
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

  write('== ceilings (before the platform starts)\n');
  add(await kafkaCeilings(env, { maxMessages: 300_000, maxMs: 8_000 }));
  add(await postgresCeiling(env, { maxRows: 2_000_000, maxMs: 6_000 }));

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

    write('== pipeline\n');
    const groups = stackDefs.SERVICES.filter((s) => !['gateway', 'platform-sim'].includes(s.name)).map(
      (s) => `prasar-${s.name}`,
    );
    const setup = await setupPipeline(stack, env, groups, PIPELINE);
    add(await runPipeline(stack, env, groups, setup, PIPELINE));

    write('== gateway\n');
    add(await runGateway(stack, setup.departments[0], { seconds: 10, warmupSeconds: 2 }));

    write('== engagement ingestion\n');
    if (stackDefs.SERVICES.some((s) => s.name === 'analytics')) {
      add(await runEngagement(env, { events: 100_000, publications: 10_000, timeoutMs: 120_000 }));
    } else {
      notes.push('engagement ingestion skipped: analytics is not in the stack');
    }
  } catch (err) {
    if (stack) write(`--- last service output ---\n${stack.logs.slice(-40).join('\n')}\n`);
    throw err;
  } finally {
    await stack?.stop();
  }

  const result = {
    startedAt: startedAt.toISOString(),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: machine(),
    pipeline: PIPELINE,
    measurements: measurements.map((m) => ({
      ...m,
      value: m.value === null ? null : Number(m.value.toFixed(2)),
    })),
    notes,
  };
  const files = saveResults(join(stackDefs.ROOT, 'bench', 'results'), result);
  write(`\n${table(measurements)}\n\nwritten to ${files.file} and ${files.latest} (${result.seconds} s)\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
