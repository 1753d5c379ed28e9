// The machine's ceilings, measured in the same run as the platform: raw kafkajs idempotent produce
// and eachBatch consume on a throwaway topic, and raw PostgreSQL 1,000-row multi-row inserts into a
// scratch table. The platform's own numbers are read against these.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import pino from 'pino';
import { createIdempotentProducer, createKafka } from '@prasar/kafka';
import { scratchDatabase, type InfraEnv } from '@prasar/testing';
import type { Measurement } from './report';

const MESSAGE_BYTES = 300;
const BATCH = 500;

/** Produces up to `maxMessages` (or for `maxMs`), then consumes them back with one eachBatch consumer. */
export async function kafkaCeilings(
  env: InfraEnv,
  opts: { maxMessages: number; maxMs: number },
): Promise<Measurement[]> {
  const logger = pino({ level: 'error' });
  const kafka = createKafka('prasar-bench', env.KAFKA_BROKERS.split(','), logger);
  const topic = `prasar-bench-ceiling-${Date.now().toString(36)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  const producer = createIdempotentProducer(kafka);
  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  try {
    await producer.connect();
    const payload = randomBytes(MESSAGE_BYTES / 2).toString('hex');
    // Warm-up: metadata, producer id, connections.
    await producer.send({ topic, acks: -1, messages: [{ key: 'warm', value: payload }] });
    let produced = 1;
    const start = performance.now();
    const deadline = start + opts.maxMs;
    for (let round = 0; produced < opts.maxMessages && performance.now() < deadline; round++) {
      const messages = Array.from({ length: BATCH }, (_, i) => ({ key: `k${round}-${i}`, value: payload }));
      await producer.send({ topic, acks: -1, messages });
      produced += BATCH;
    }
    const produceSeconds = (performance.now() - start) / 1000;
    const produceRate = (produced - 1) / produceSeconds;

    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let consumed = 0;
    let firstAt = 0;
    let lastAt = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch }) => {
          if (!firstAt) firstAt = performance.now();
          consumed += batch.messages.length;
          lastAt = performance.now();
          if (consumed >= produced) resolve();
        },
      });
    });
    const consumeDeadline = new Promise<void>((r) => setTimeout(r, 60_000).unref());
    const consumeStart = performance.now();
    await Promise.race([done, consumeDeadline]);
    // From the subscription (group join included) and from the first batch (steady state).
    const consumeRate = consumed / ((lastAt - firstAt) / 1000 || 1);
    const consumeWithJoin = consumed / ((lastAt - consumeStart) / 1000 || 1);
    return [
      {
        name: 'kafka.produce',
        value: produceRate,
        unit: 'msg/s',
        detail: `${produced - 1} × ${MESSAGE_BYTES} B, idempotent, acks=all, batches of ${BATCH}, 3 partitions`,
      },
      {
        name: 'kafka.consume',
        value: consumeRate,
        unit: 'msg/s',
        detail: `${consumed} msgs, eachBatch, first batch to last (${Math.round(consumeWithJoin)} msg/s counting the group join)`,
      },
    ];
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** 1,000-row multi-row inserts into a logged table of a scratch database. */
export async function postgresCeiling(
  env: InfraEnv,
  opts: { maxRows: number; maxMs: number },
): Promise<Measurement[]> {
  const db = await scratchDatabase('prasar_bench', env);
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(
      'CREATE TABLE bench_rows (id bigint PRIMARY KEY, account text NOT NULL, n int NOT NULL, at timestamptz NOT NULL)',
    );
    const ROWS = 1000;
    const placeholders = Array.from(
      { length: ROWS },
      (_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`,
    ).join(',');
    const sql = `INSERT INTO bench_rows (id, account, n, at) VALUES ${placeholders}`;
    const now = new Date();
    let inserted = 0;
    const start = performance.now();
    const deadline = start + opts.maxMs;
    while (inserted < opts.maxRows && performance.now() < deadline) {
      const params: unknown[] = [];
      for (let i = 0; i < ROWS; i++) params.push(inserted + i, `acct-${(inserted + i) % 97}`, i, now);
      await client.query(sql, params);
      inserted += ROWS;
    }
    const seconds = (performance.now() - start) / 1000;
    return [
      {
        name: 'postgres.insert',
        value: inserted / seconds,
        unit: 'rows/s',
        detail: `${inserted} rows in 1,000-row multi-row inserts, logged table, one connection`,
      },
    ];
  } finally {
    await client.end().catch(() => undefined);
    await db.drop();
  }
}
