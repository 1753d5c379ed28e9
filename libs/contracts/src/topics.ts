import topicsConfig from '../topics.json';

/** The areas that publish events, each with one topic named after its proto package. */
export const EVENT_AREAS = ['content', 'approval', 'schedule', 'publish', 'engagement'] as const;
export type EventArea = (typeof EVENT_AREAS)[number];

/** A Kafka topic carrying events: `prasar.<area>.v1`, the proto package of its events. */
export type Topic = `prasar.${EventArea}.v1`;

/** Thrown for a topic name that is not one of TOPICS. */
export class UnknownTopicError extends Error {
  override readonly name = 'UnknownTopicError';
  constructor(readonly topic: string) {
    super(`"${topic}" is not a Prasar event topic (known: ${topicsConfig.topics.join(', ')})`);
  }
}

// topics.json is what the infrastructure creates; the code must agree with it exactly, so a
// mismatch fails at load rather than as a consumer silently waiting on a topic nobody writes.
function topicsFromConfig(): Readonly<Record<EventArea, Topic>> {
  const configured = new Set(topicsConfig.topics);
  const byArea = Object.fromEntries(
    EVENT_AREAS.map((area) => [area, `prasar.${area}.v1` satisfies Topic]),
  ) as Record<EventArea, Topic>;
  const expected = new Set<string>(Object.values(byArea));
  const missing = [...expected].filter((t) => !configured.has(t));
  const extra = [...configured].filter((t) => !expected.has(t));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `libs/contracts/topics.json disagrees with the event areas: missing [${missing.join(', ')}], ` +
        `unexpected [${extra.join(', ')}]`,
    );
  }
  return Object.freeze(byArea);
}

/** Topic of each area, e.g. `TOPICS.content === 'prasar.content.v1'`. */
export const TOPICS = topicsFromConfig();

/** Every event topic, in the order of topics.json. */
export const ALL_TOPICS: readonly Topic[] = Object.freeze(topicsConfig.topics as Topic[]);

/** Partitions each topic (and its DLQ twin) is created with. */
export const TOPIC_PARTITIONS: number = topicsConfig.partitions;

/** Suffix of a topic's dead-letter twin. */
export const DLQ_SUFFIX: string = topicsConfig.dlqSuffix;

/** True when `name` is one of the event topics (not a DLQ). */
export function isTopic(name: string): name is Topic {
  return (ALL_TOPICS as readonly string[]).includes(name);
}

/** The dead-letter topic of an event topic: `prasar.content.v1` → `prasar.content.v1.dlq`. */
export function dlqTopicOf(topic: string): string {
  // Any consumed topic may have a twin (tests use their own); a DLQ has no DLQ of its own.
  if (!topic || topic.endsWith(DLQ_SUFFIX)) throw new UnknownTopicError(topic);
  return `${topic}${DLQ_SUFFIX}`;
}

/** The event topic a dead-letter topic belongs to (for replaying it). */
export function topicOfDlq(dlqTopic: string): Topic {
  const topic = dlqTopic.endsWith(DLQ_SUFFIX) ? dlqTopic.slice(0, -DLQ_SUFFIX.length) : '';
  if (!isTopic(topic)) throw new UnknownTopicError(dlqTopic);
  return topic;
}
