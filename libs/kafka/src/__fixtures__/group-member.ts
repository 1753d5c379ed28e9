// A consumer-group member in a process of its own, for rebalance.int.spec.ts to kill with SIGKILL:
// an EventConsumer with the library's defaults on GROUP_ID / TOPIC, which prints "assigned" once
// it holds partitions and then idles. It handles nothing (the spec produces nothing), so it needs
// no database.
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { createIdempotentProducer, createKafka } from '../client';
import { EventConsumer } from '../consumer';

async function main(): Promise<void> {
  const { KAFKA_BROKERS, GROUP_ID, TOPIC } = process.env;
  if (!KAFKA_BROKERS || !GROUP_ID || !TOPIC) throw new Error('KAFKA_BROKERS, GROUP_ID and TOPIC are needed');
  const logger = pino({ level: 'silent' });
  const kafka = createKafka(`member-${process.pid}`, KAFKA_BROKERS.split(','), logger);
  const producer = createIdempotentProducer(kafka);
  const consumer = new EventConsumer(
    kafka,
    producer,
    undefined as unknown as DataSource,
    logger,
    { groupId: GROUP_ID, topics: [TOPIC] },
    () => undefined,
  );
  await consumer.start();
  await consumer.waitForAssignment(60_000);
  process.stdout.write('assigned\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
