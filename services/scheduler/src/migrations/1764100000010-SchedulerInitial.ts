import type { MigrationInterface, QueryRunner } from 'typeorm';
import { enableTenantIsolation } from '@prasar/persistence';

export class SchedulerInitial1764100000010 implements MigrationInterface {
  name = 'SchedulerInitial1764100000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE approved_contents (
        content_id         uuid PRIMARY KEY,
        department_id      uuid NOT NULL,
        version            int NOT NULL,
        kind               text NOT NULL,
        priority           text NOT NULL,
        desired_publish_at timestamptz,
        target_account_ids text[] NOT NULL,
        snapshot           bytea NOT NULL,
        withdrawn          boolean NOT NULL DEFAULT false,
        approved_at        timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE accounts (
        id              text PRIMARY KEY,
        department_id   uuid NOT NULL,
        platform        text NOT NULL,
        handle          text NOT NULL,
        status          text NOT NULL,
        min_gap_minutes int NOT NULL CHECK (min_gap_minutes >= 0),
        daily_cap       int NOT NULL CHECK (daily_cap > 0)
      )`);
    await q.query(`
      CREATE TABLE publications (
        id              uuid PRIMARY KEY,
        content_id      uuid NOT NULL,
        department_id   uuid NOT NULL,
        account_id      text NOT NULL,
        platform        text NOT NULL,
        content_version int NOT NULL,
        state           text NOT NULL,
        scheduled_at    timestamptz NOT NULL,
        hold_reason     text,
        held_detail     text,
        blackout_id     uuid,
        dispatches      int NOT NULL DEFAULT 0,
        published_at    timestamptz,
        external_id     text,
        url             text,
        attempts        int NOT NULL DEFAULT 0,
        last_error      text,
        created_at      timestamptz NOT NULL,
        updated_at      timestamptz NOT NULL
      )`);
    // One live publication per content version and account: scheduling twice cannot post twice.
    await q.query(`CREATE UNIQUE INDEX publications_one_per_target ON publications (content_id, content_version, account_id)
                   WHERE state <> 'CANCELLED'`);
    await q.query(`CREATE INDEX publications_due ON publications (scheduled_at) WHERE state = 'SCHEDULED'`);
    await q.query(`CREATE INDEX publications_account_time ON publications (account_id, scheduled_at)`);
    await q.query(`CREATE INDEX publications_department_time ON publications (department_id, scheduled_at)`);
    await q.query(`CREATE INDEX publications_content ON publications (content_id)`);
    await q.query(`
      CREATE TABLE blackout_windows (
        id          uuid PRIMARY KEY,
        regions     text[] NOT NULL,
        starts_at   timestamptz NOT NULL,
        ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
        reason      text NOT NULL,
        declared_by text NOT NULL,
        ended_at    timestamptz,
        released_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE department_regions (
        department_id uuid NOT NULL,
        region        text NOT NULL,
        PRIMARY KEY (department_id, region)
      )`);
    for (const table of ['approved_contents', 'accounts', 'publications', 'department_regions']) {
      await enableTenantIsolation(q, table);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'department_regions',
      'blackout_windows',
      'publications',
      'accounts',
      'approved_contents',
    ]) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
