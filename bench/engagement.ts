// Engagement ingestion: EngagementSnapshot events (what the publisher's insights poller emits) as
// fast as the producer sends them, timed until the analytics read models have taken all of them
// (its consumer group has no lag left on the engagement topic).
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { departmentIdOf } from '@prasar/auth';
import { EngagementSnapshotSchema, Platform } from '@prasar/contracts';
import { Partitioners } from 'kafkajs';
import { createKafka, toEventRecord } from '@prasar/kafka';
import type { InfraEnv, RunningStack } from '@prasar/testing';
import { cpuBetween, cpuSnapshot, describeCpu } from './cpu';
import { totalLag } from './lag';
import type { Measurement } from './report';
import { sleep } from './util';

/** Messages per produce request of the load generator. */
const PER_SEND = 2000;

type Batch = { key: string; value: Buffer; headers: Record<string, string> }[];
interface Publication {
  publicationId: string;
  contentId: string;
  departmentId: string;
  platform: Platform;
}

/** Snapshots for every publication, round after round (the counts grow each round). */
function encode(publications: Publication[], events: number, firstRound: number, base: number): Batch[] {
  const batches: Batch[] = [];
  for (let sent = 0; sent < events; sent += PER_SEND) {
    const messages: Batch = [];
    for (let i = sent; i < Math.min(events, sent + PER_SEND); i++) {
      const p = publications[i % publications.length];
      const round = firstRound + Math.floor(i / publications.length);
      const record = toEventRecord('/prasar/bench', {
        schema: EngagementSnapshotSchema,
        message: {
          ...p,
          impressions: 100 * round,
          reach: 80 * round,
          likes: 5 * round,
          shares: round,
          comments: round,
          clicks: 2 * round,
          videoViews: 0,
          observedAt: timestampFromDate(new Date(base + round * 1000)),
        },
      });
      messages.push({ key: record.key, value: record.value, headers: record.headers });
    }
    batches.push(messages);
  }
  return batches;
}

/**
 * (1) live: the events are produced as fast as the load generator can while analytics takes them,
 * timed from the first send until its consumer group has no lag; (2) backlog: analytics is stopped,
 * the events wait in Kafka, analytics is started again and the drain is timed from the first
 * committed progress to no lag (the consumer alone, with the machine to itself).
 */
export async function runEngagement(
  env: InfraEnv,
  stack: RunningStack,
  options: { events: number; backlogEvents: number; publications: number; timeoutMs: number },
): Promise<Measurement[]> {
  const kafka = createKafka(
    'prasar-bench-engagement',
    env.KAFKA_BROKERS.split(','),
    pino({ level: 'error' }),
  );
  // The load generator: sends pipelined (several requests in flight), so it outruns the consumer
  // it measures; the platform's own producers are idempotent with one request in flight.
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const produce = async (batches: Batch[]) => {
    const senders = 4;
    await Promise.all(
      Array.from({ length: senders }, async (_, k) => {
        for (let b = k; b < batches.length; b += senders)
          await producer.send({ topic: 'prasar.engagement.v1', acks: -1, messages: batches[b] });
      }),
    );
  };
  const lag = () => totalLag(env, ['prasar-analytics']);
  const departments = Array.from({ length: 20 }, (_, i) => departmentIdOf(`bench-engagement-${i}`));
  const publications: Publication[] = Array.from({ length: options.publications }, (_, i) => ({
    publicationId: randomUUID(),
    contentId: randomUUID(),
    departmentId: departments[i % departments.length],
    platform: [Platform.X, Platform.FACEBOOK, Platform.INSTAGRAM, Platform.WHATSAPP][i % 4],
  }));
  const base = Date.now();
  const results: Measurement[] = [];
  try {
    // Encoded before the clock starts: the bench client's encoding is not the platform's cost.
    const live = encode(publications, options.events, 1, base);
    const cpu0 = cpuSnapshot();
    const started = Date.now();
    await produce(live);
    const produced = Date.now();
    let left = Number.POSITIVE_INFINITY;
    while (Date.now() - started < options.timeoutMs) {
      left = await lag();
      if (left === 0) break;
      await sleep(200);
    }
    const seconds = (Date.now() - started) / 1000;
    const cpu = describeCpu(cpuBetween(cpu0, cpuSnapshot()));
    results.push({
      name: 'engagement.ingestion.live',
      value: left === 0 ? options.events / seconds : null,
      unit: 'events/s',
      ceiling: 'kafka.consume',
      detail:
        left === 0
          ? `${options.events} EngagementSnapshot events for ${options.publications} publications, produced in ${((produced - started) / 1000).toFixed(1)} s by the load generator on the same cores, all in the read models ${seconds.toFixed(1)} s after the first send; ${cpu}`
          : `not drained within ${options.timeoutMs / 1000} s (lag ${left})`,
    });

    const rounds = Math.ceil(options.events / options.publications);
    const backlog = encode(publications, options.backlogEvents, rounds + 1, base);
    await stack.stopService('analytics');
    await produce(backlog);
    const waiting = await lag();
    await stack.startService('analytics');
    const restarted = Date.now();
    let first: { at: number; lag: number } | undefined;
    let cpuFirst: ReturnType<typeof cpuSnapshot> = null;
    left = waiting;
    while (Date.now() - restarted < options.timeoutMs) {
      left = await lag();
      if (!first && left < waiting) {
        first = { at: Date.now(), lag: left };
        cpuFirst = cpuSnapshot();
      }
      if (left === 0) break;
      await sleep(100);
    }
    const drained = Date.now();
    const drainCpu = describeCpu(cpuBetween(cpuFirst, cpuSnapshot()));
    const ok = left === 0 && first !== undefined && drained > first.at;
    results.push({
      name: 'engagement.ingestion',
      value: ok ? first!.lag / ((drained - first!.at) / 1000) : null,
      unit: 'events/s',
      ceiling: 'kafka.consume',
      target: '≥ 20,000 events/s',
      detail: ok
        ? `a backlog of ${waiting} events (analytics stopped while they were produced): ${first!.lag} drained in ${((drained - first!.at) / 1000).toFixed(1)} s from the first committed progress (${((first!.at - restarted) / 1000).toFixed(1)} s after the restarted service was healthy); ${drainCpu}`
        : `backlog of ${waiting} not drained within ${options.timeoutMs / 1000} s (lag ${left})`,
    });
  } finally {
    await producer.disconnect();
  }
  return results;
}
