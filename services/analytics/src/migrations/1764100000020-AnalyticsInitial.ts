import type { MigrationInterface, QueryRunner } from 'typeorm';
import { enableTenantIsolation } from '@prasar/persistence';

/**
 * Analytics' read models. Every table is written by keyed upserts (or per-event-id inserts), so
 * replaying the topics from the start leaves the same rows and therefore the same numbers.
 */
export class AnalyticsInitial1764100000020 implements MigrationInterface {
  name = 'AnalyticsInitial1764100000020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE departments (
        department_id uuid PRIMARY KEY,
        first_seen_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE contents (
        content_id    uuid PRIMARY KEY,
        department_id uuid NOT NULL,
        kind          text NOT NULL,
        priority      text NOT NULL,
        title         text NOT NULL,
        has_link      boolean NOT NULL,
        version       int NOT NULL,
        created_by    text NOT NULL,
        created_at    timestamptz NOT NULL,
        updated_at    timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX contents_department_created ON contents (department_id, created_at)`);
    await q.query(`
      CREATE TABLE content_versions (
        content_id    uuid NOT NULL,
        version       int NOT NULL,
        department_id uuid NOT NULL,
        kind          text NOT NULL,
        title         text NOT NULL,
        body          jsonb NOT NULL,
        hashtags      text[] NOT NULL,
        link          text,
        actor         text NOT NULL,
        at            timestamptz NOT NULL,
        PRIMARY KEY (content_id, version)
      )`);
    await q.query(`CREATE INDEX content_versions_department_at ON content_versions (department_id, at)`);
    await q.query(`
      CREATE TABLE content_submissions (
        content_id    uuid NOT NULL,
        submitted_at  timestamptz NOT NULL,
        department_id uuid NOT NULL,
        version       int NOT NULL,
        PRIMARY KEY (content_id, submitted_at)
      )`);
    // One row per decision event (stage decisions and the final approval or rejection).
    await q.query(`
      CREATE TABLE decisions (
        event_id      text PRIMARY KEY,
        content_id    uuid NOT NULL,
        department_id uuid NOT NULL,
        version       int NOT NULL,
        stage_index   int,
        decision      text NOT NULL,
        final         boolean NOT NULL,
        actor         text NOT NULL,
        comment       text,
        decided_at    timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX decisions_department_at ON decisions (department_id, decided_at)`);
    await q.query(`CREATE INDEX decisions_content ON decisions (content_id)`);
    await q.query(`
      CREATE TABLE publications (
        publication_id  uuid PRIMARY KEY,
        department_id   uuid NOT NULL,
        content_id      uuid NOT NULL,
        account_id      text NOT NULL,
        platform        text NOT NULL,
        kind            text,
        has_link        boolean,
        content_version int,
        state           text NOT NULL,
        scheduled_at    timestamptz,
        published_at    timestamptz,
        external_id     text,
        url             text
      )`);
    await q.query(
      `CREATE INDEX publications_department_published ON publications (department_id, published_at)`,
    );
    await q.query(`CREATE INDEX publications_content ON publications (content_id)`);
    await q.query(`
      CREATE TABLE engagement (
        publication_id uuid PRIMARY KEY,
        department_id  uuid NOT NULL,
        content_id     uuid NOT NULL,
        platform       text NOT NULL,
        impressions    bigint NOT NULL,
        reach          bigint NOT NULL,
        likes          bigint NOT NULL,
        shares         bigint NOT NULL,
        comments       bigint NOT NULL,
        clicks         bigint NOT NULL,
        video_views    bigint NOT NULL,
        observed_at    timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX engagement_content ON engagement (content_id)`);
    // An approval stage escalates once: keyed by approval and stage, whatever the redelivery.
    await q.query(`
      CREATE TABLE sla_breaches (
        approval_id   uuid NOT NULL,
        stage_index   int NOT NULL,
        department_id uuid NOT NULL,
        content_id    uuid NOT NULL,
        role          text NOT NULL,
        priority      text NOT NULL,
        due_at        timestamptz NOT NULL,
        PRIMARY KEY (approval_id, stage_index)
      )`);
    await q.query(`CREATE INDEX sla_breaches_department_due ON sla_breaches (department_id, due_at)`);
    // Per department, per day in Asia/Kolkata: posts by kind and platform and what they cost.
    // Recomputed from the rows above for every day an event touches, so it never drifts.
    await q.query(`
      CREATE TABLE daily_facts (
        department_id uuid NOT NULL,
        day           date NOT NULL,
        kind          text NOT NULL,
        platform      text NOT NULL,
        published     int NOT NULL,
        cost          numeric(14, 4) NOT NULL,
        PRIMARY KEY (department_id, day, kind, platform)
      )`);
    await q.query(`CREATE INDEX daily_facts_day ON daily_facts (day)`);
    for (const table of [
      'departments',
      'contents',
      'content_versions',
      'content_submissions',
      'decisions',
      'publications',
      'engagement',
      'sla_breaches',
      'daily_facts',
    ]) {
      await enableTenantIsolation(q, table);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'daily_facts',
      'sla_breaches',
      'engagement',
      'publications',
      'decisions',
      'content_submissions',
      'content_versions',
      'contents',
      'departments',
    ]) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
