import type { Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { kafkaMetrics, observeOutboxBacklog } from './metrics';

export interface RelayOptions {
  /** Rows published per round. */
  batchSize?: number;
  /** Pause between rounds when the outbox is empty. */
  idleMs?: number;
  /**
   * Called after the batch was sent to Kafka and before it is marked sent. Tests use it to kill
   * the relay at the worst moment; production leaves it unset.
   */
  afterSend?: (eventIds: string[]) => Promise<void>;
}

interface OutboxRow {
  seq: string;
  id: string;
  topic: string;
  key: string;
  payload: Buffer;
  headers: Record<string, string>;
}

// One relay at a time per service database, so the outbox is published in commit order.
const RELAY_LOCK = 0x70726173; // 'pras'

/**
 * Publishes the transactional outbox to Kafka with an idempotent producer. A crash between send
 * and mark re-sends the batch on restart; consumers drop the copy by its ce_id (inbox), which
 * makes delivery effectively-once end to end.
 */
export class OutboxRelay {
  private running = false;
  private stopBacklog?: () => void;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly ds: DataSource,
    private readonly producer: Producer,
    private readonly logger: Logger,
    private readonly options: RelayOptions = {},
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopBacklog = observeOutboxBacklog(() => this.backlog());
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopBacklog?.();
    this.wake?.();
    await this.loop;
  }

  /** Nudges an idle relay (e.g. right after a local commit) instead of waiting for the next poll. */
  notify(): void {
    this.wake?.();
  }

  /** Publishes one batch; returns how many events were sent. */
  async relayOnce(): Promise<number> {
    return this.ds.transaction(async (em) => {
      const [{ locked }] = await em.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [RELAY_LOCK]);
      if (!locked) return 0;
      const rows: OutboxRow[] = await em.query(
        `SELECT seq, id, topic, key, payload, headers FROM prasar_outbox
         WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
        [this.options.batchSize ?? 500],
      );
      if (rows.length === 0) return 0;
      const byTopic = new Map<string, OutboxRow[]>();
      for (const row of rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((r) => ({ key: r.key, value: r.payload, headers: r.headers })),
        })),
      });
      await this.options.afterSend?.(rows.map((r) => r.id));
      await em.query(`UPDATE prasar_outbox SET published_at = now() WHERE seq = ANY($1::bigint[])`, [
        rows.map((r) => r.seq),
      ]);
      kafkaMetrics().outboxPublished.add(rows.length);
      return rows.length;
    });
  }

  /** Pending events and the age of the oldest, for metrics and readiness. */
  async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const [row] = await this.ds.query(
      `SELECT count(*)::int AS pending,
              COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS age
       FROM prasar_outbox WHERE published_at IS NULL`,
    );
    return { pending: row.pending, oldestAgeSeconds: row.age };
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const sent = await this.relayOnce();
        failures = 0;
        if (sent > 0) continue;
      } catch (err) {
        failures += 1;
        this.logger.error({ err }, 'outbox relay round failed; will retry');
      }
      const pause = failures === 0 ? (this.options.idleMs ?? 50) : Math.min(5000, 100 * 2 ** failures);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
