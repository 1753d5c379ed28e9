import type { EntityManager } from 'typeorm';

/**
 * Records that a consumer group handled an event, in the handler's own transaction.
 * Returns false when the event was already handled: the redelivery must change nothing.
 */
export async function recordInboxEvent(
  em: EntityManager,
  consumerGroup: string,
  eventId: string,
): Promise<boolean> {
  const rows: unknown[] = await em.query(
    `INSERT INTO prasar_inbox (consumer_group, event_id) VALUES ($1, $2)
     ON CONFLICT DO NOTHING RETURNING 1`,
    [consumerGroup, eventId],
  );
  return rows.length === 1;
}
