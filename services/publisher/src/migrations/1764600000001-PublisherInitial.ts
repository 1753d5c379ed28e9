import type { MigrationInterface, QueryRunner } from 'typeorm';
import { enableTenantIsolation } from '@prasar/persistence';

export class PublisherInitial1764600000001 implements MigrationInterface {
  name = 'PublisherInitial1764600000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE social_accounts (
        id                         uuid PRIMARY KEY,
        department_id              uuid NOT NULL,
        platform                   text NOT NULL CHECK (platform IN ('X', 'FACEBOOK', 'INSTAGRAM', 'WHATSAPP')),
        handle                     text NOT NULL,
        external_account_id        text NOT NULL,
        status                     text NOT NULL CHECK (status IN ('ACTIVE', 'NEEDS_REAUTH', 'DISABLED')),
        status_reason              text,
        api_base_url               text,
        whatsapp_template          text,
        whatsapp_template_language text,
        whatsapp_tier              int CHECK (whatsapp_tier > 0),
        connected_by               text NOT NULL,
        connected_at               timestamptz NOT NULL,
        updated_at                 timestamptz NOT NULL
      )`);
    // One account per platform identity: connecting it again is a reconnect, never a second row.
    await q.query(
      `CREATE UNIQUE INDEX social_accounts_identity ON social_accounts (platform, external_account_id)`,
    );
    await q.query(`CREATE INDEX social_accounts_department ON social_accounts (department_id)`);

    // Secrets live apart from the account, sealed (AES-256-GCM); no column ever holds a token.
    await q.query(`
      CREATE TABLE account_credentials (
        account_id    uuid PRIMARY KEY REFERENCES social_accounts (id),
        department_id uuid NOT NULL,
        key_id        text NOT NULL,
        iv            bytea NOT NULL,
        ciphertext    bytea NOT NULL,
        auth_tag      bytea NOT NULL,
        version       int NOT NULL,
        updated_at    timestamptz NOT NULL
      )`);

    await q.query(`
      CREATE TABLE publish_jobs (
        publication_id    text PRIMARY KEY,
        content_id        uuid NOT NULL,
        department_id     uuid NOT NULL,
        account_id        text NOT NULL,
        platform          text NOT NULL,
        content_version   int NOT NULL,
        requested_attempt int NOT NULL,
        snapshot          bytea NOT NULL,
        state             text NOT NULL
                          CHECK (state IN ('PENDING', 'IN_FLIGHT', 'HELD', 'PUBLISHED', 'FAILED', 'CANCELLED')),
        next_attempt_at   timestamptz NOT NULL,
        lease_until       timestamptz,
        reconcile_first   boolean NOT NULL DEFAULT false,
        attempts          int NOT NULL DEFAULT 0,
        text_hash         text,
        hold_reason       text,
        last_error        text,
        external_id       text,
        url               text,
        published_at      timestamptz,
        reconciled        boolean NOT NULL DEFAULT false,
        recipients        int,
        ig_container_id   text,
        first_attempt_at  timestamptz,
        audience_built_at timestamptz,
        next_insights_at  timestamptz,
        created_at        timestamptz NOT NULL,
        updated_at        timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX publish_jobs_due ON publish_jobs (next_attempt_at) WHERE state = 'PENDING'`);
    await q.query(`CREATE INDEX publish_jobs_leases ON publish_jobs (lease_until) WHERE state = 'IN_FLIGHT'`);
    await q.query(`CREATE INDEX publish_jobs_held ON publish_jobs (account_id) WHERE state = 'HELD'`);
    await q.query(
      `CREATE INDEX publish_jobs_published_text ON publish_jobs (account_id, text_hash) WHERE state = 'PUBLISHED'`,
    );
    await q.query(
      `CREATE INDEX publish_jobs_insights ON publish_jobs (next_insights_at) WHERE state = 'PUBLISHED'`,
    );

    // Every call (or look-up) made for a publication; outcome NULL while it is in flight.
    await q.query(`
      CREATE TABLE publish_attempts (
        publication_id text NOT NULL,
        attempt        int NOT NULL,
        department_id  uuid NOT NULL,
        account_id     text NOT NULL,
        platform       text NOT NULL,
        reconcile      boolean NOT NULL,
        outcome        text,
        http_status    int,
        error          text,
        retry_after_ms bigint,
        started_at     timestamptz NOT NULL,
        finished_at    timestamptz,
        PRIMARY KEY (publication_id, attempt)
      )`);

    await q.query(`
      CREATE TABLE whatsapp_subscribers (
        account_id       uuid NOT NULL REFERENCES social_accounts (id),
        wa_id            text NOT NULL,
        department_id    uuid NOT NULL,
        opted_in_at      timestamptz NOT NULL,
        opt_in_source    text NOT NULL,
        opt_in_evidence  text NOT NULL,
        recorded_by      text NOT NULL,
        opted_out_at     timestamptz,
        opt_out_evidence text,
        PRIMARY KEY (account_id, wa_id)
      )`);

    // One row per recipient of a broadcast: the row changes state before the message is sent, so
    // nobody is messaged twice for one publication, whatever crashes.
    await q.query(`
      CREATE TABLE whatsapp_deliveries (
        publication_id text NOT NULL,
        wa_id          text NOT NULL,
        account_id     uuid NOT NULL,
        department_id  uuid NOT NULL,
        state          text NOT NULL
                       CHECK (state IN ('PENDING', 'SENDING', 'SENT', 'UNCERTAIN', 'FAILED', 'SKIPPED_OPTED_OUT')),
        attempt        int,
        message_id     text,
        error          text,
        sent_at        timestamptz,
        updated_at     timestamptz NOT NULL,
        PRIMARY KEY (publication_id, wa_id)
      )`);
    await q.query(
      `CREATE INDEX whatsapp_deliveries_window ON whatsapp_deliveries (account_id, sent_at) WHERE sent_at IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX whatsapp_deliveries_message ON whatsapp_deliveries (message_id) WHERE message_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX whatsapp_deliveries_pending ON whatsapp_deliveries (publication_id) WHERE state = 'PENDING'`,
    );

    // Delivery statuses as WhatsApp reports them by webhook, by message: they may arrive before the
    // sender has recorded the message id, so they are kept on their own.
    await q.query(`
      CREATE TABLE whatsapp_message_statuses (
        message_id    text PRIMARY KEY,
        account_id    uuid NOT NULL,
        department_id uuid NOT NULL,
        recipient_id  text NOT NULL,
        status        text NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
        error         text,
        updated_at    timestamptz NOT NULL
      )`);

    for (const table of [
      'social_accounts',
      'account_credentials',
      'publish_jobs',
      'publish_attempts',
      'whatsapp_subscribers',
      'whatsapp_deliveries',
      'whatsapp_message_statuses',
    ]) {
      await enableTenantIsolation(q, table);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'whatsapp_message_statuses',
      'whatsapp_deliveries',
      'whatsapp_subscribers',
      'publish_attempts',
      'publish_jobs',
      'account_credentials',
      'social_accounts',
    ]) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
