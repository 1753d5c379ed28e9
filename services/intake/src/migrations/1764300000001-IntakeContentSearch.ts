import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Listing and text search for `contents(filter, first, after)`.
 *
 * `search_text` holds the title and body texts (Hindi and English), NFC-normalised and lower-cased,
 * matched with `LIKE '%…%'`. There is deliberately no pg_trgm GIN index: the service's role could
 * create the extension (pg_trgm is trusted since PostgreSQL 13), but under the row-level security
 * forced on `contents`, PostgreSQL only lets leakproof operators use an index before the tenant
 * policy has filtered the rows, and LIKE (textlike) is not leakproof — the planner never uses such
 * an index (measured: a sequential scan even with enable_seqscan off). Only a superuser could
 * change that. What the tenant rules let PostgreSQL use are the B-tree indexes below, whose
 * operators (uuid and timestamptz comparisons) are leakproof: a department's list (and search
 * within it) walks its own rows newest first; the IT cell's state-wide list walks them all.
 */
export class IntakeContentSearch1764300000001 implements MigrationInterface {
  name = 'IntakeContentSearch1764300000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contents ADD COLUMN search_text text NOT NULL DEFAULT ''`);
    await q.query(`
      UPDATE contents SET search_text = lower(normalize(
        title || coalesce((SELECT string_agg(E'\\n' || (b.e->>'text'), '' ORDER BY b.i)
                        FROM jsonb_array_elements(body) WITH ORDINALITY AS b(e, i)), ''),
        NFC))`);
    // The listing order (created_at DESC, id DESC), per department and state-wide.
    await q.query(`DROP INDEX contents_department_created`);
    await q.query(
      `CREATE INDEX contents_department_listing ON contents (department_id, created_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX contents_listing ON contents (created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX contents_listing`);
    await q.query(`DROP INDEX contents_department_listing`);
    await q.query(
      `CREATE INDEX contents_department_created ON contents (department_id, created_at DESC, id)`,
    );
    await q.query(`ALTER TABLE contents DROP COLUMN search_text`);
  }
}
