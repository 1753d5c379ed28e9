import type { MigrationInterface, QueryRunner } from 'typeorm';
import { enableTenantIsolation } from '@prasar/persistence';

/**
 * Notifications to people: who to write to (a department's or the IT cell's contact addresses),
 * what they were told (one row per event and audience, unique, written in the transaction of the
 * event's inbox record), what each person has read, the mail outbox (one mail per notification,
 * a sent flag), and the facts the clock needs (blackout windows, open approval stages).
 * The IT cell's rows carry the nil UUID as their department, which only the IT cell's scope sees.
 */
export class Notifications1764100000030 implements MigrationInterface {
  name = 'Notifications1764100000030';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE notification_contacts (
        department_id uuid PRIMARY KEY,
        emails        text[] NOT NULL,
        updated_by    text NOT NULL,
        updated_at    timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE notifications (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        event_key     text NOT NULL,
        department_id uuid NOT NULL,
        -- '' for everyone in the department (or the IT cell), else the one role told.
        audience_role text NOT NULL DEFAULT '',
        kind          text NOT NULL,
        subject_hi    text NOT NULL,
        subject_en    text NOT NULL,
        body_hi       text NOT NULL,
        body_en       text NOT NULL,
        about         jsonb NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        UNIQUE (event_key, department_id, audience_role)
      )`);
    await q.query(
      `CREATE INDEX notifications_audience ON notifications (department_id, created_at DESC, id DESC)`,
    );
    await q.query(`
      CREATE TABLE notification_reads (
        notification_id uuid NOT NULL REFERENCES notifications (id),
        subject         text NOT NULL,
        department_id   uuid NOT NULL,
        read_at         timestamptz NOT NULL,
        PRIMARY KEY (notification_id, subject)
      )`);
    await q.query(`
      CREATE TABLE notification_emails (
        notification_id uuid PRIMARY KEY REFERENCES notifications (id),
        department_id   uuid NOT NULL,
        recipients      text[] NOT NULL,
        message_id      text NOT NULL,
        subject         text NOT NULL,
        body            text NOT NULL,
        attempts        int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        sent_at         timestamptz,
        last_error      text
      )`);
    await q.query(
      `CREATE INDEX notification_emails_due ON notification_emails (next_attempt_at) WHERE sent_at IS NULL`,
    );
    // State-wide facts (no department): Model Code of Conduct windows and open approval stages.
    await q.query(`
      CREATE TABLE blackout_windows (
        blackout_id uuid PRIMARY KEY,
        regions     text[] NOT NULL,
        reason      text NOT NULL,
        starts_at   timestamptz NOT NULL,
        ends_at     timestamptz NOT NULL,
        ended_at    timestamptz
      )`);
    await q.query(`
      CREATE TABLE approval_stage_watch (
        approval_id   uuid NOT NULL,
        stage_index   int NOT NULL,
        department_id uuid NOT NULL,
        content_id    uuid NOT NULL,
        role          text NOT NULL,
        -- Set when the stage becomes active (ApprovalOpened for the first, StageDecided after).
        opened_at     timestamptz,
        due_at        timestamptz,
        closed        boolean NOT NULL DEFAULT false,
        PRIMARY KEY (approval_id, stage_index)
      )`);
    await q.query(`CREATE INDEX approval_stage_watch_open ON approval_stage_watch (due_at) WHERE NOT closed`);
    for (const table of [
      'notification_contacts',
      'notifications',
      'notification_reads',
      'notification_emails',
      'approval_stage_watch',
    ]) {
      await enableTenantIsolation(q, table);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'approval_stage_watch',
      'blackout_windows',
      'notification_emails',
      'notification_reads',
      'notifications',
      'notification_contacts',
    ]) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
