// Creates Prasar's event topics and their dead-letter twins: the Helm chart's topic Job runs it
// (`node dist/<svc>/libs/kafka/src/topics-cli.js`). Brokers refuse to create topics on first use
// (`auto.create.topics.enable=false`), so topics exist only because this (or infra.mjs locally) made them.
//
//   KAFKA_BROKERS=host:port[,...]   required
//   KAFKA_REPLICATION_FACTOR=3      replicas per partition (3 for production; 1 on a single broker)
//   KAFKA_TOPICS_FILE=<path>        another topics.json (tests); default: @prasar/contracts' own
import { readFileSync } from 'node:fs';
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { loadConfigOrExit, vars, z } from '@prasar/config';
import { ALL_TOPICS, DLQ_SUFFIX, TOPIC_PARTITIONS } from '@prasar/contracts';
import { createLogger } from '@prasar/telemetry';
import { createKafka } from './client';

/** One topic to exist, with its partition count. */
export interface TopicSpec {
  topic: string;
  partitions: number;
}

/** The shape of libs/contracts/topics.json. */
export interface TopicsFile {
  partitions: number;
  dlqSuffix: string;
  topics: string[];
}

/** What ensureTopics found and did. */
export interface TopicsReport {
  created: string[];
  existing: string[];
  /** Existing topics whose partition count differs from the spec (left as they are). */
  mismatched: { topic: string; partitions: number; wanted: number }[];
}

/** Every topic of a topics file followed by its `.dlq` twin, each with the file's partitions. */
export function topicSpecs(file: TopicsFile): TopicSpec[] {
  return file.topics.flatMap((topic) => [
    { topic, partitions: file.partitions },
    { topic: `${topic}${file.dlqSuffix}`, partitions: file.partitions },
  ]);
}

/** The project's own topics (libs/contracts/topics.json) with their dead-letter twins. */
export function prasarTopicSpecs(): TopicSpec[] {
  return topicSpecs({ partitions: TOPIC_PARTITIONS, dlqSuffix: DLQ_SUFFIX, topics: [...ALL_TOPICS] });
}

/** Reads and checks a topics file (same shape as libs/contracts/topics.json). */
export function readTopicsFile(path: string): TopicsFile {
  const parsed = z
    .object({
      partitions: z.number().int().min(1),
      dlqSuffix: z.string().min(1),
      topics: z.array(z.string().min(1)).min(1),
    })
    .safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} must look like {partitions, dlqSuffix, topics: [...]}`);
  return parsed.data;
}

/**
 * Creates the topics that do not exist yet; idempotent, and safe when another process creates
 * some at the same time. Existing topics are never altered: adding partitions would move keys to
 * other partitions and break the per-content ordering consumers rely on, so a mismatch is reported.
 */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  replicationFactor: number,
  logger?: Logger,
): Promise<TopicsReport> {
  const present = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !present.has(s.topic));
  const existing = specs.filter((s) => present.has(s.topic));
  if (missing.length > 0) {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({ topic: s.topic, numPartitions: s.partitions, replicationFactor })),
      });
    } catch (err) {
      const errors = (err as { errors?: { type?: string }[] }).errors;
      const raced = errors?.length && errors.every((e) => e.type === 'TOPIC_ALREADY_EXISTS');
      if (!raced) throw err;
    }
    logger?.info(
      { topics: missing.map((s) => s.topic), replicationFactor },
      `created ${missing.length} topic(s)`,
    );
  }
  const mismatched: TopicsReport['mismatched'] = [];
  if (existing.length > 0) {
    const { topics } = await admin.fetchTopicMetadata({ topics: existing.map((s) => s.topic) });
    for (const t of topics) {
      const wanted = existing.find((s) => s.topic === t.name)!.partitions;
      if (t.partitions.length !== wanted) {
        mismatched.push({ topic: t.name, partitions: t.partitions.length, wanted });
      }
    }
    for (const m of mismatched) {
      logger?.warn(m, `${m.topic} has ${m.partitions} partitions, ${m.wanted} wanted (left unchanged)`);
    }
  }
  return { created: missing.map((s) => s.topic), existing: existing.map((s) => s.topic), mismatched };
}

/** The CLI's environment. */
export const topicsCliShape = {
  KAFKA_BROKERS: vars.brokers(),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).default(3),
  KAFKA_TOPICS_FILE: z.string().min(1).optional(),
};

/** Runs the CLI against a Kafka client; resolves the report. */
export async function runTopicsCli(
  kafka: Kafka,
  config: { KAFKA_REPLICATION_FACTOR: number; KAFKA_TOPICS_FILE?: string },
  logger: Logger,
): Promise<TopicsReport> {
  const specs = config.KAFKA_TOPICS_FILE
    ? topicSpecs(readTopicsFile(config.KAFKA_TOPICS_FILE))
    : prasarTopicSpecs();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const report = await ensureTopics(admin, specs, config.KAFKA_REPLICATION_FACTOR, logger);
    logger.info(
      { created: report.created.length, existing: report.existing.length },
      `${specs.length} topics in place: ${report.created.length} created, ${report.existing.length} already there`,
    );
    return report;
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit(topicsCliShape);
  const logger = createLogger('topics');
  try {
    await runTopicsCli(createKafka('prasar-topics', config.KAFKA_BROKERS, logger), config, logger);
  } catch (err) {
    logger.error({ err }, 'creating topics failed');
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
