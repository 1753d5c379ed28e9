import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { SpanKind, SpanStatusCode, trace, type SpanContext } from '@opentelemetry/api';
import { decodeEvent, dlqTopicOf, isTopic, type Topic } from '@prasar/contracts';
import { envelopeProblem, UntrustedEventError } from './envelope';
import { ALL_DEPARTMENTS, setTenant } from '@prasar/persistence';
import { extractTraceContext, withExtractedContext } from '@prasar/telemetry';
import { flushDeferred } from './deferred';
import { HEADER, readHeaders } from './headers';
import { recordInboxEvent } from './inbox';
import { kafkaMetrics, observeConsumerLag } from './metrics';
import { startTimer } from '@prasar/telemetry';

/** A decoded event as a handler sees it. */
export interface InboundEvent<T = unknown> {
  id: string;
  type: string;
  source: string;
  time: Date;
  key: string;
  departmentId?: string;
  topic: string;
  partition: number;
  offset: string;
  headers: Record<string, string>;
  message: T;
}

/** Does an event's work inside the transaction that also records it in the inbox. */
export type EventHandler = (event: InboundEvent, em: EntityManager) => Promise<void>;

export interface ConsumerOptions {
  /** The consumer group: one per service (and per purpose), never derived by a framework. */
  groupId: string;
  topics: string[];
  /** Attempts before a message is parked on the topic's dead-letter twin. */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  partitionsConsumedConcurrently?: number;
  /** A new group starts at the earliest offset, so nothing produced before it existed is missed. */
  fromBeginning?: boolean;
  /**
   * Handles up to this many messages of a Kafka batch in ONE transaction (one inbox insert for all
   * of them), for high-volume read models. If the transaction fails, those messages are handled
   * one by one as usual, so a poison message is still retried and parked alone. Off by default.
   */
  transactionBatchSize?: number;
  /**
   * In batch mode, a span per event (child of the trace the event carries, so a journey stays one
   * trace) — the default. False: one span per batch, linked to (up to 32 of) its events' traces,
   * for read models at a volume where a span per event would cost more than handling it.
   */
  spanPerEvent?: boolean;
  /**
   * A test's own topics and the contract topic each stands for, so their events' types are checked
   * as on the real topic (envelope.ts). Contract topics need no entry.
   */
  topicAliases?: Record<string, Topic>;
  /**
   * How long the broker waits without a heartbeat before it takes a member's partitions away (a
   * killed process's partitions move to the survivors after about this long). 6 s, the broker's
   * minimum (group.min.session.timeout.ms); heartbeats go every `heartbeatIntervalMs` (1 s), and
   * after every chunk of a batch and during retry backoffs. A stopped consumer leaves the group at
   * once (disconnect on SIGTERM), so only a crash waits for the timeout.
   */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

/** A killed consumer's partitions move after this long (see ConsumerOptions.sessionTimeoutMs). */
export const DEFAULT_SESSION_TIMEOUT_MS = 6_000;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;

export type Outcome = 'handled' | 'duplicate' | 'ignored' | 'dead-lettered';

const tracer = trace.getTracer('@prasar/kafka');

/**
 * Consumes topics with at-least-once delivery and makes it effectively-once: each message's
 * effects and its inbox record commit in one transaction, the offset is resolved only after
 * that commit, failures retry with backoff, and a message that keeps failing is parked on the
 * dead-letter topic so the partition moves on.
 */
export class EventConsumer {
  private consumer?: Consumer;
  private assigned?: Promise<void>;
  private stopLag?: () => void;
  private lagAdmin?: Promise<import('kafkajs').Admin>;
  private readonly maxAttempts: number;
  /** Observers for metrics and tests. */
  onOutcome?: (
    outcome: Outcome,
    event: { id?: string; type?: string; topic: string; attempts: number },
  ) => void;

  constructor(
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly ds: DataSource,
    private readonly logger: Logger,
    private readonly options: ConsumerOptions,
    private readonly handlerFor: (type: string) => EventHandler | undefined,
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
      // An idle consumer hears of a rebalance between fetches: a long poll of at most a second
      // (kafkajs waits 5 s by default) lets the survivors rejoin soon after a member died.
      maxWaitTimeInMs: 1_000,
    });
    this.consumer = consumer;
    this.assigned = new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.GROUP_JOIN, (e) => {
        if (Object.keys(e.payload.memberAssignment).length > 0) {
          remove();
          resolve();
        }
      });
    });
    await consumer.connect();
    this.stopLag = observeConsumerLag(this.options.groupId, this.options.topics, () => {
      this.lagAdmin ??= (async () => {
        const admin = this.kafka.admin();
        await admin.connect();
        return admin;
      })();
      return this.lagAdmin;
    });
    await consumer.subscribe({
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    // Not awaited: run() resolves only once the group has been joined, and a join waits for every
    // member to rejoin (after a crash, for the dead member's session to time out). The service
    // serves meanwhile; its partitions come when the group has settled (waitForAssignment).
    consumer
      .run({
        autoCommit: true,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
        eachBatch: (payload) => this.eachBatch(payload),
      })
      .catch((err: unknown) =>
        this.logger.error({ err, groupId: this.options.groupId }, 'the consumer could not join its group'),
      );
  }

  /** Resolves once the group has been assigned partitions (useful before producing in tests). */
  async waitForAssignment(timeoutMs = 30_000): Promise<void> {
    if (!this.assigned) throw new Error('consumer not started');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no partitions assigned to ${this.options.groupId}`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.assigned, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.stopLag?.();
    await this.consumer?.disconnect();
    this.consumer = undefined;
    const admin = this.lagAdmin;
    this.lagAdmin = undefined;
    await (await admin)?.disconnect();
  }

  private async eachBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload) {
    const size = this.options.transactionBatchSize ?? 0;
    if (size > 1) {
      for (let i = 0; i < batch.messages.length; i += size) {
        if (!isRunning() || isStale()) break;
        const chunk = batch.messages.slice(i, i + size);
        // One transaction for the chunk can outlast the session on a busy machine: heartbeats go
        // on while it runs (a rebalance they report is acted on at the heartbeat below).
        const keepAlive = setInterval(
          () => void heartbeat().catch(() => undefined),
          this.options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
        );
        try {
          if (!(await this.processTogether(batch.topic, batch.partition, chunk))) {
            for (const message of chunk) await this.process(batch.topic, batch.partition, message, heartbeat);
          }
        } finally {
          clearInterval(keepAlive);
        }
        resolveOffset(chunk[chunk.length - 1].offset);
        await commitOffsetsIfNecessary();
        await heartbeat();
      }
      return;
    }
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      await this.process(batch.topic, batch.partition, message, heartbeat);
      resolveOffset(message.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  }

  /**
   * Handles messages in one transaction; false (nothing committed) when any of them cannot be
   * handled that way, so the caller handles them one by one.
   */
  private async processTogether(
    topic: string,
    partition: number,
    messages: KafkaMessage[],
  ): Promise<boolean> {
    const items: { id: string; type: string; handler?: EventHandler; event?: InboundEvent }[] = [];
    for (const message of messages) {
      const headers = readHeaders(message.headers);
      const type = headers[HEADER.type];
      const id = headers[HEADER.id];
      if (!type || !id) return false;
      const handler = this.handlerFor(type);
      if (!handler) {
        items.push({ id, type });
        continue;
      }
      try {
        const decoded = decodeEvent(type, message.value ?? Buffer.alloc(0));
        // An untrusted envelope is parked alone, by the one-by-one path.
        if (this.envelopeProblem(topic, type, headers[HEADER.departmentId], decoded)) return false;
        items.push({
          id,
          type,
          handler,
          event: {
            id,
            type,
            source: headers[HEADER.source] ?? '',
            time: new Date(headers[HEADER.time] ?? Date.now()),
            key: message.key?.toString('utf8') ?? '',
            departmentId: headers[HEADER.departmentId],
            topic,
            partition,
            offset: message.offset,
            headers,
            message: decoded.message,
          },
        });
      } catch {
        return false;
      }
    }
    const elapsed = startTimer();
    const perEvent = this.options.spanPerEvent ?? true;
    // Otherwise one span for the transaction, linked to the traces of (up to 32 of) its messages.
    const links = (perEvent ? [] : items)
      .slice(0, 32)
      .map((item) => trace.getSpanContext(extractTraceContext(item.event?.headers ?? {})))
      .filter((c): c is SpanContext => !!c)
      .map((c) => ({ context: c }));
    const span = perEvent
      ? undefined
      : tracer.startSpan(`process ${topic} batch`, {
          kind: SpanKind.CONSUMER,
          links,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.destination.name': topic,
            'messaging.consumer.group.name': this.options.groupId,
            'messaging.destination.partition.id': String(partition),
            'messaging.batch.message_count': items.length,
          },
        });
    try {
      const outcomes = await this.ds.transaction(async (em) => {
        const ids = items.filter((i) => i.handler).map((i) => i.id);
        const fresh: { event_id: string }[] = ids.length
          ? await em.query(
              `INSERT INTO prasar_inbox (consumer_group, event_id)
               SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id`,
              [this.options.groupId, ids],
            )
          : [];
        const unseen = new Set(fresh.map((r) => r.event_id));
        await setTenant(em, ALL_DEPARTMENTS);
        const result: Outcome[] = [];
        for (const item of items) {
          if (!item.handler || !item.event) result.push('ignored');
          else if (!unseen.delete(item.id)) result.push('duplicate');
          else {
            const { handler, event } = item;
            if (perEvent) await this.eventSpan(event, event.offset, () => handler(event, em));
            else await handler(event, em);
            result.push('handled');
          }
        }
        await flushDeferred(em);
        return result;
      });
      const seconds = elapsed() / Math.max(1, items.length);
      items.forEach((item, i) => {
        if (item.handler)
          kafkaMetrics().duration.record(seconds, {
            consumer_group: this.options.groupId,
            event_type: item.type,
          });
        this.report(outcomes[i], item.id, item.type, topic, 1);
      });
      return true;
    } catch (err) {
      span?.recordException(err as Error);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: errorText(err) });
      this.logger.warn(
        { err, topic, messages: messages.length },
        'batch transaction failed; handling its messages one by one',
      );
      return false;
    } finally {
      span?.end();
    }
  }

  private envelopeProblem(
    topic: string,
    type: string,
    departmentHeader: string | undefined,
    decoded: ReturnType<typeof decodeEvent>,
  ): string | undefined {
    const aliases = this.options.topicAliases ?? {};
    return envelopeProblem(
      topic,
      type,
      departmentHeader,
      decoded,
      (t) => aliases[t] ?? (isTopic(t) ? t : undefined),
    );
  }

  /** Handles one message to a final outcome; only a broken broker connection escapes as an error. */
  async process(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<Outcome> {
    const headers = readHeaders(message.headers);
    const type = headers[HEADER.type];
    const id = headers[HEADER.id];
    if (!type || !id) {
      return this.deadLetter(topic, partition, message, headers, 'message has no ce_id/ce_type header', 0);
    }
    const handler = this.handlerFor(type);
    if (!handler) {
      this.report('ignored', id, type, topic, 0);
      return 'ignored';
    }
    let event: InboundEvent;
    try {
      const decoded = decodeEvent(type, message.value ?? Buffer.alloc(0));
      const problem = this.envelopeProblem(topic, type, headers[HEADER.departmentId], decoded);
      // A forged or misrouted event is never handled: parked at once with the reason, nothing changed.
      if (problem) return this.deadLetter(topic, partition, message, headers, problem, 0);
      event = {
        id,
        type,
        source: headers[HEADER.source] ?? '',
        time: new Date(headers[HEADER.time] ?? Date.now()),
        key: message.key?.toString('utf8') ?? '',
        departmentId: headers[HEADER.departmentId],
        topic,
        partition,
        offset: message.offset,
        headers,
        message: decoded.message,
      };
    } catch (err) {
      // A message that cannot be decoded will never succeed: park it at once.
      return this.deadLetter(topic, partition, message, headers, errorText(err), 0);
    }

    const elapsed = startTimer();
    const timed = <T>(value: T): T => {
      kafkaMetrics().duration.record(elapsed(), { consumer_group: this.options.groupId, event_type: type });
      return value;
    };
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      try {
        const outcome = await this.eventSpan(event, message.offset, () =>
          this.ds.transaction(async (em) => {
            if (!(await recordInboxEvent(em, this.options.groupId, id))) return 'duplicate' as const;
            // Handlers act for the platform: row-level security lets them see every department.
            await setTenant(em, ALL_DEPARTMENTS);
            await handler(event, em);
            await flushDeferred(em);
            return 'handled' as const;
          }),
        );
        this.report(outcome, id, type, topic, attempt);
        return timed(outcome);
      } catch (err) {
        lastError = err;
        if (err instanceof UntrustedEventError) {
          // Retrying would not make it true: parked at once, with the reason.
          return timed(
            await this.deadLetter(topic, partition, message, headers, errorText(err), attempt, type),
          );
        }
        this.logger.warn(
          { err, eventType: type, eventId: id, topic, partition, offset: message.offset, attempt },
          'event handler failed',
        );
        if (attempt < this.maxAttempts) await this.backoff(attempt, heartbeat);
      }
    }
    return timed(
      await this.deadLetter(topic, partition, message, headers, errorText(lastError), this.maxAttempts, type),
    );
  }

  /** Runs `fn` in a consumer span that continues the trace the event carries. */
  private eventSpan<T>(event: InboundEvent, offset: string, fn: () => Promise<T>): Promise<T> {
    return withExtractedContext(event.headers, () =>
      tracer.startActiveSpan(
        `process ${event.type}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.destination.name': event.topic,
            'messaging.consumer.group.name': this.options.groupId,
            'messaging.message.id': event.id,
            'messaging.kafka.message.key': event.key,
            'messaging.destination.partition.id': String(event.partition),
            'messaging.kafka.offset': Number(offset),
          },
        },
        async (span) => {
          try {
            return await fn();
          } catch (err) {
            span.recordException(err as Error);
            span.setStatus({ code: SpanStatusCode.ERROR, message: errorText(err) });
            throw err;
          } finally {
            span.end();
          }
        },
      ),
    );
  }

  private async backoff(attempt: number, heartbeat: () => Promise<void>) {
    const initial = this.options.initialBackoffMs ?? 200;
    const max = this.options.maxBackoffMs ?? 10_000;
    let remaining = Math.min(max, initial * 2 ** (attempt - 1));
    // Sleep in slices so the group keeps seeing heartbeats during a long backoff.
    while (remaining > 0) {
      const slice = Math.min(remaining, 1000);
      await new Promise((r) => setTimeout(r, slice));
      remaining -= slice;
      await heartbeat();
    }
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    headers: Record<string, string>,
    error: string,
    attempts: number,
    type?: string,
  ): Promise<Outcome> {
    await this.producer.send({
      topic: dlqTopicOf(topic),
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...headers,
            [HEADER.dlqError]: error.slice(0, 2000),
            [HEADER.dlqAttempts]: String(attempts),
            [HEADER.dlqTopic]: topic,
            [HEADER.dlqPartition]: String(partition),
            [HEADER.dlqOffset]: message.offset,
            [HEADER.dlqGroup]: this.options.groupId,
            [HEADER.dlqAt]: new Date().toISOString(),
          },
        },
      ],
    });
    this.logger.error(
      { eventType: type, topic, partition, offset: message.offset, attempts, error },
      'event parked on the dead-letter topic',
    );
    this.report('dead-lettered', headers[HEADER.id], type, topic, attempts);
    return 'dead-lettered';
  }

  private report(
    outcome: Outcome,
    id: string | undefined,
    type: string | undefined,
    topic: string,
    attempts: number,
  ) {
    const m = kafkaMetrics();
    // Unknown or missing types are reported as 'unknown', so the label stays bounded.
    const eventType = type && this.handlerFor(type) ? type : 'unknown';
    m.processed.add(1, { consumer_group: this.options.groupId, event_type: eventType, outcome });
    if (outcome === 'dead-lettered') m.deadLettered.add(1, { consumer_group: this.options.groupId, topic });
    this.onOutcome?.(outcome, { id, type, topic, attempts });
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  if (typeof err === 'object' && err !== null) {
    try {
      return JSON.stringify(err);
    } catch {
      return String(err);
    }
  }
  return String(err);
}
