// Integration: topic creation against the local broker, with throwaway topics only (never the
// project's own), run twice to show it is idempotent, in process and as the CLI the Helm Job runs.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import pino from 'pino';
import { readInfraEnv } from '@prasar/testing';
import { createKafka } from './client';
import { ensureTopics, prasarTopicSpecs, topicSpecs, topicsCliShape, type TopicSpec } from './topics-cli';
import { z } from '@prasar/config';

const ROOT = join(__dirname, '..', '..', '..');
const logger = pino({ level: 'silent' });
const env = readInfraEnv();

/** Runs topics-cli.ts as a process, as the chart's Job does (but from source). */
function runCli(extraEnv: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'libs/kafka/src/topics-cli.ts'], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('topics-cli', () => {
  let kafka: Kafka;
  let admin: Admin;
  const prefix = `prasar-test-topics-${randomUUID().slice(0, 8)}`;
  const made: string[] = [];

  beforeAll(async () => {
    kafka = createKafka('topics-cli-test', env.KAFKA_BROKERS.split(','), logger);
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    if (made.length > 0) await admin.deleteTopics({ topics: made }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('derives every topic and its .dlq twin from topics.json', () => {
    const specs = prasarTopicSpecs();
    expect(specs.map((s) => s.topic)).toEqual(
      expect.arrayContaining(['prasar.content.v1', 'prasar.content.v1.dlq', 'prasar.engagement.v1.dlq']),
    );
    expect(specs).toHaveLength(10);
    expect(new Set(specs.map((s) => s.partitions))).toEqual(new Set([6]));
  });

  it('reads a replication factor of 3 unless told otherwise', () => {
    const shape = z.object(topicsCliShape);
    expect(shape.parse({ KAFKA_BROKERS: 'k:9092' }).KAFKA_REPLICATION_FACTOR).toBe(3);
    expect(
      shape.parse({ KAFKA_BROKERS: 'k:9092', KAFKA_REPLICATION_FACTOR: '1' }).KAFKA_REPLICATION_FACTOR,
    ).toBe(1);
    expect(shape.safeParse({ KAFKA_BROKERS: 'k:9092', KAFKA_REPLICATION_FACTOR: '0' }).success).toBe(false);
  });

  it('creates missing topics with their partitions, and a second run changes nothing', async () => {
    const specs: TopicSpec[] = topicSpecs({ partitions: 3, dlqSuffix: '.dlq', topics: [`${prefix}.a`] });
    made.push(...specs.map((s) => s.topic));

    const first = await ensureTopics(admin, specs, 1, logger);
    expect(first.created).toEqual([`${prefix}.a`, `${prefix}.a.dlq`]);
    expect(first.existing).toEqual([]);

    const second = await ensureTopics(admin, specs, 1, logger);
    expect(second).toEqual({ created: [], existing: [`${prefix}.a`, `${prefix}.a.dlq`], mismatched: [] });

    const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
    expect(topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([
      [`${prefix}.a`, 3],
      [`${prefix}.a.dlq`, 3],
    ]);
  });

  it('reports, and leaves alone, an existing topic with another partition count', async () => {
    const topic = `${prefix}.b`;
    made.push(topic);
    await ensureTopics(admin, [{ topic, partitions: 2 }], 1, logger);
    const report = await ensureTopics(admin, [{ topic, partitions: 4 }], 1, logger);
    expect(report.mismatched).toEqual([{ topic, partitions: 2, wanted: 4 }]);
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics[0]!.partitions).toHaveLength(2);
  });

  it('runs as a CLI from a topics file, twice, and fails clearly when replicas cannot be placed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prasar-topics-'));
    try {
      const file = join(dir, 'topics.json');
      writeFileSync(file, JSON.stringify({ partitions: 2, dlqSuffix: '.dlq', topics: [`${prefix}.cli`] }));
      made.push(`${prefix}.cli`, `${prefix}.cli.dlq`);
      const cliEnv = { KAFKA_BROKERS: env.KAFKA_BROKERS, KAFKA_TOPICS_FILE: file };

      const first = await runCli({ ...cliEnv, KAFKA_REPLICATION_FACTOR: '1' });
      expect(first.output).toContain('created 2 topic(s)');
      expect(first.code).toBe(0);
      const second = await runCli({ ...cliEnv, KAFKA_REPLICATION_FACTOR: '1' });
      expect(second.output).not.toContain('topic(s)');
      expect(second.output).toContain('2 topics in place: 0 created, 2 already there');
      expect(second.code).toBe(0);

      // The default (3 replicas) cannot be met by the single local broker: a non-zero exit, not a hang.
      writeFileSync(file, JSON.stringify({ partitions: 1, dlqSuffix: '.dlq', topics: [`${prefix}.rf`] }));
      const refused = await runCli(cliEnv);
      expect(refused.code).toBe(1);
      expect(refused.output).toContain('creating topics failed');
      expect((await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.rf`))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses to start without brokers, naming the variable', async () => {
    const { code, output } = await runCli({ KAFKA_BROKERS: '' });
    expect(code).toBe(78);
    expect(output).toContain('KAFKA_BROKERS');
  });
});
