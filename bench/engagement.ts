// Engagement ingestion: EngagementSnapshot events (what the publisher's insights poller emits) as
// fast as the producer sends them, timed until the analytics read models have taken all of them
// (its consumer group has no lag left on the engagement topic).
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { departmentIdOf } from '@prasar/auth';
import { EngagementSnapshotSchema, Platform } from '@prasar/contracts';
import { createIdempotentProducer, createKafka, toEventRecord } from '@prasar/kafka';
import type { InfraEnv } from '@prasar/testing';
import { totalLag } from './lag';
import type { Measurement } from './report';
import { sleep } from './util';

export async function runEngagement(
  env: InfraEnv,
  options: { events: number; publications: number; timeoutMs: number },
): Promise<Measurement[]> {
  const kafka = createKafka(
    'prasar-bench-engagement',
    env.KAFKA_BROKERS.split(','),
    pino({ level: 'error' }),
  );
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const departments = Array.from({ length: 20 }, (_, i) => departmentIdOf(`bench-engagement-${i}`));
  const publications = Array.from({ length: options.publications }, (_, i) => ({
    publicationId: randomUUID(),
    contentId: randomUUID(),
    departmentId: departments[i % departments.length],
    platform: [Platform.X, Platform.FACEBOOK, Platform.INSTAGRAM, Platform.WHATSAPP][i % 4],
  }));
  const started = Date.now();
  try {
    for (let sent = 0; sent < options.events; sent += 500) {
      const messages = [];
      for (let i = sent; i < Math.min(options.events, sent + 500); i++) {
        const p = publications[i % publications.length];
        const round = Math.floor(i / publications.length) + 1;
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
            observedAt: timestampFromDate(new Date(started + round * 1000)),
          },
        });
        messages.push({ key: record.key, value: record.value, headers: record.headers });
      }
      await producer.send({ topic: 'prasar.engagement.v1', acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
  const produced = Date.now();
  let lag = Number.POSITIVE_INFINITY;
  while (Date.now() - started < options.timeoutMs) {
    lag = await totalLag(env, ['prasar-analytics']);
    if (lag === 0) break;
    await sleep(200);
  }
  const seconds = (Date.now() - started) / 1000;
  const done = lag === 0;
  return [
    {
      name: 'engagement.ingestion',
      value: done ? options.events / seconds : null,
      unit: 'events/s',
      ceiling: 'kafka.consume',
      target: '≥ 20,000 events/s',
      detail: done
        ? `${options.events} EngagementSnapshot events for ${options.publications} publications, produced in ${((produced - started) / 1000).toFixed(1)} s, all in the read models ${seconds.toFixed(1)} s after the first send`
        : `not drained within ${options.timeoutMs / 1000} s (lag ${lag})`,
    },
  ];
}
