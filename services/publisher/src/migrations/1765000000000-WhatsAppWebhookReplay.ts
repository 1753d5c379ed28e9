import type { MigrationInterface, QueryRunner } from 'typeorm';
import { enableTenantIsolation } from '@prasar/persistence';

/**
 * Inbound WhatsApp messages already acted on, by WhatsApp's message id: a signed delivery
 * captured and sent again (a START replayed after a STOP) is recognised and changes nothing.
 */
export class WhatsAppWebhookReplay1765000000000 implements MigrationInterface {
  name = 'WhatsAppWebhookReplay1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE whatsapp_webhook_messages (
        message_id    text PRIMARY KEY,
        account_id    uuid NOT NULL,
        department_id uuid NOT NULL,
        sent_at       timestamptz NOT NULL,
        received_at   timestamptz NOT NULL
      )`);
    await q.query(
      `CREATE INDEX whatsapp_webhook_messages_received ON whatsapp_webhook_messages (received_at)`,
    );
    await enableTenantIsolation(q, 'whatsapp_webhook_messages');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE whatsapp_webhook_messages`);
  }
}
