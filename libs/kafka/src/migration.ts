import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The outbox and inbox tables every service that produces or consumes events needs. */
export class KafkaOutboxInbox1764100000000 implements MigrationInterface {
  name = 'KafkaOutboxInbox1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE prasar_outbox (
        seq           bigserial PRIMARY KEY,
        id            uuid NOT NULL UNIQUE,
        topic         text NOT NULL,
        key           text NOT NULL,
        type          text NOT NULL,
        department_id uuid,
        payload       bytea NOT NULL,
        headers       jsonb NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        published_at  timestamptz
      )`);
    await q.query(`CREATE INDEX prasar_outbox_pending ON prasar_outbox (seq) WHERE published_at IS NULL`);
    await q.query(`
      CREATE TABLE prasar_inbox (
        consumer_group text NOT NULL,
        event_id       uuid NOT NULL,
        processed_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer_group, event_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE prasar_inbox`);
    await q.query(`DROP TABLE prasar_outbox`);
  }
}
