// Editing, withdrawing and authorising content through the service layer against the real
// database: versions, optimistic concurrency under real concurrency, who may write, and tenancy.
import { randomUUID } from 'node:crypto';
import { DomainError, type Principal, type Role } from '@prasar/auth';
import { asCaller, asPlatform } from '@prasar/persistence';
import { eventually } from '@prasar/testing';
import { Client } from 'pg';
import {
  contentInput,
  IT_CELL,
  principal,
  startIntake,
  uniqueCode,
  type IntakeHarness,
} from '../testing/intake-harness';
import { Content, ContentVersion } from './content.entity';
import { toContentBody, type ContentInputArgs } from './content.resolver';

/** The refusal an operation ends in (code and violations), or null when it succeeded. */
async function refusal(work: Promise<unknown>) {
  try {
    await work;
    return null;
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return { code: err.code, message: err.message, violations: err.violations };
  }
}

describe('content editing and tenancy against the real database', () => {
  let h: IntakeHarness;
  const agri = uniqueCode('agri');
  const health = uniqueCode('health');
  let agriId: string;
  let healthId: string;
  const as = (role: Role, code = agri, subject?: string): Principal => principal(role, code, subject);
  const xAgri = () => `x-${agri}`;
  const fbAgri = () => `fb-${agri}`;
  const fbHealth = () => `fb-${health}`;
  const input = (overrides: Partial<ContentInputArgs> = {}) =>
    toContentBody(contentInput({ targetAccountIds: [fbAgri()], ...overrides }));

  beforeAll(async () => {
    h = await startIntake('content');
    agriId = await h.department(agri);
    healthId = await h.department(health);
    await h.connectAccount(xAgri(), agriId, 'X');
    await h.connectAccount(fbAgri(), agriId, 'FACEBOOK');
    await h.connectAccount(fbHealth(), healthId, 'FACEBOOK');
  });

  afterAll(async () => {
    await h?.close();
  });

  async function versionsOf(id: string): Promise<ContentVersion[]> {
    return asPlatform(h.ds, (em) =>
      em.find(ContentVersion, { where: { contentId: id }, order: { version: 'ASC' } }),
    );
  }

  async function rowOf(id: string): Promise<Content> {
    return asPlatform(h.ds, (em) => em.findOneByOrFail(Content, { id }));
  }

  describe('updateContent', () => {
    it('makes a new version for every edit, keeps the old ones, and emits ContentUpdated', async () => {
      const created = await h.contents.create(as('DEPT_EDITOR'), agriId, input());
      const v2 = await h.contents.update(as('DEPT_EDITOR'), created.id, 1, input({ title: 'Second title' }));
      const v3 = await h.contents.update(
        as('DEPT_ADMIN'),
        created.id,
        2,
        input({ title: 'Third title', targetAccountIds: [fbAgri(), xAgri()] }),
      );
      expect([v2.version, v3.version]).toEqual([2, 3]);
      const versions = await versionsOf(created.id);
      expect(versions.map((v) => [v.version, v.snapshot.title])).toEqual([
        [1, 'गेहूं उपार्जन / Wheat procurement'],
        [2, 'Second title'],
        [3, 'Third title'],
      ]);
      expect(await rowOf(created.id)).toMatchObject({
        version: 3,
        title: 'Third title',
        targetAccountIds: [fbAgri(), xAgri()],
        status: 'DRAFT',
      });
      const found = await h.listing.list(as('VIEWER'), { search: 'THIRD TITLE' }, null, null);
      expect(found.edges.map((e) => e.node.id)).toEqual([created.id]);
      expect((await h.listing.list(as('VIEWER'), { search: 'second title' }, null, null)).totalCount).toBe(0);
      const updates = (await h.outbox('ContentUpdated')).filter((e) => e.key === created.id);
      expect(
        updates.map((e) => {
          const snapshot = e.message.snapshot as { version: number; title: string };
          return [e.message.previousVersion, snapshot.version, snapshot.title, e.departmentId];
        }),
      ).toEqual([
        [1, 2, 'Second title', agriId],
        [2, 3, 'Third title', agriId],
      ]);
    });

    it('refuses a stale expectedVersion with CONFLICT and changes nothing', async () => {
      const created = await h.contents.create(as('DEPT_EDITOR'), agriId, input());
      await h.contents.update(as('DEPT_EDITOR'), created.id, 1, input({ title: 'Saved first' }));
      const events = (await h.outbox()).length;
      const stale = await refusal(
        h.contents.update(as('DEPT_EDITOR'), created.id, 1, input({ title: 'Lost edit' })),
      );
      expect(stale?.code).toBe('CONFLICT');
      expect((await rowOf(created.id)).title).toBe('Saved first');
      expect((await versionsOf(created.id)).map((v) => v.version)).toEqual([1, 2]);
      expect((await h.outbox()).length).toBe(events);
    });

    it('lets exactly one of two editors saving the same version at the same moment win; the other gets CONFLICT', async () => {
      const created = await h.contents.create(as('DEPT_EDITOR'), agriId, input());
      // Hold the row so both saves are in flight together, each on its own connection, then let go.
      const holder = new Client({ connectionString: h.databaseUrl });
      await holder.connect();
      const admin = await h.adminClient();
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT set_config('prasar.department_id', '*', true)`);
        await holder.query('SELECT id FROM contents WHERE id = $1 FOR UPDATE', [created.id]);
        const saves = [
          h.contents.update(
            as('DEPT_EDITOR', agri, 'editor-asha'),
            created.id,
            1,
            input({ title: 'Asha’s edit' }),
          ),
          h.contents.update(
            as('DEPT_EDITOR', agri, 'editor-ravi'),
            created.id,
            1,
            input({ title: 'Ravi’s edit' }),
          ),
        ].map((p) => refusal(p));
        await eventually(async () => {
          const { rows } = await admin.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'`,
            [h.databaseName],
          );
          expect(rows[0].n).toBe(2);
        });
        await holder.query('COMMIT');
        const outcomes = await Promise.all(saves);
        expect(outcomes.filter((o) => o === null)).toHaveLength(1);
        expect(outcomes.filter((o) => o?.code === 'CONFLICT')).toHaveLength(1);
      } finally {
        await holder.end();
        await admin.end();
      }
      const row = await rowOf(created.id);
      expect(row.version).toBe(2);
      expect(['Asha’s edit', 'Ravi’s edit']).toContain(row.title);
      expect((await versionsOf(created.id)).map((v) => [v.version, v.snapshot.title])).toEqual([
        [1, 'गेहूं उपार्जन / Wheat procurement'],
        [2, row.title],
      ]);
      const history = await asPlatform(h.ds, (em) => h.audit.history(em, created.id));
      expect(history.map((e) => e.action)).toEqual(['CREATED', 'UPDATED']);
      expect(await h.audit.verify(created.id)).toMatchObject({ intact: true });
    });

    it('refuses malformed input with BAD_USER_INPUT and every violation, and saves nothing', async () => {
      const created = await h.contents.create(as('DEPT_EDITOR'), agriId, input());
      const bad = await refusal(
        h.contents.update(
          as('DEPT_EDITOR'),
          created.id,
          1,
          input({
            kind: 'ORDER',
            title: ' ',
            body: [{ language: 'HI', text: ' ' }],
            link: 'ftp://example.org',
            media: [{ url: 'https://img.mp.gov.in/a.jpg', mimeType: 'image/jpeg', altText: ' ' }],
            hashtags: ['#ok', 'not ok'],
          }),
        ),
      );
      expect(bad?.code).toBe('BAD_USER_INPUT');
      expect(bad?.violations.map((v) => `${v.field}:${v.rule}`).sort()).toEqual([
        'body:BODY_REQUIRED',
        'evidence:EVIDENCE_REQUIRED',
        'hashtags[1]:HASHTAG',
        'link:URL',
        'media[0].altText:ALT_TEXT_REQUIRED',
        'title:REQUIRED',
      ]);
      expect((await rowOf(created.id)).version).toBe(1);
    });
  });

  describe('target accounts', () => {
    it("refuses unknown accounts and another department's accounts alike, with UNKNOWN_ACCOUNT", async () => {
      const before = await asPlatform(h.ds, (em) => em.count(Content));
      const unknown = await refusal(
        h.contents.create(as('DEPT_EDITOR'), agriId, input({ targetAccountIds: [fbAgri(), 'x-nobody'] })),
      );
      const foreign = await refusal(
        h.contents.create(as('DEPT_EDITOR'), agriId, input({ targetAccountIds: [fbHealth()] })),
      );
      for (const r of [unknown, foreign]) {
        expect(r?.code).toBe('BAD_USER_INPUT');
        expect(r?.violations.map((v) => `${v.field}:${v.rule}`)).toEqual([
          'targetAccountIds:UNKNOWN_ACCOUNT',
        ]);
      }
      expect(unknown?.violations[0].message).toContain('x-nobody');
      expect(await asPlatform(h.ds, (em) => em.count(Content))).toBe(before);
      // The IT cell writing for the department is held to the department's accounts too.
      const itCell = await refusal(
        h.contents.create(IT_CELL, agriId, input({ targetAccountIds: [fbHealth()] })),
      );
      expect(itCell?.violations.map((v) => v.rule)).toEqual(['UNKNOWN_ACCOUNT']);
    });

    it('checks the targets again at submission (an account that moved department is refused)', async () => {
      const moving = `wa-${agri}`;
      await h.connectAccount(moving, agriId, 'WHATSAPP');
      const created = await h.contents.create(
        as('DEPT_EDITOR'),
        agriId,
        input({ targetAccountIds: [moving] }),
      );
      await h.connectAccount(moving, healthId, 'WHATSAPP');
      const refused = await refusal(h.contents.submit(as('DEPT_EDITOR'), created.id));
      expect(refused?.code).toBe('BAD_USER_INPUT');
      expect(refused?.violations.map((v) => v.rule)).toEqual(['UNKNOWN_ACCOUNT']);
      expect((await rowOf(created.id)).status).toBe('DRAFT');
    });
  });

  describe('withdrawContent', () => {
    it('requires a reason, records it, and emits ContentWithdrawn with the status it left', async () => {
      const created = await h.contents.create(as('DEPT_EDITOR'), agriId, input());
      await h.contents.submit(as('DEPT_EDITOR'), created.id);
      const blank = await refusal(h.contents.withdraw(as('DEPT_EDITOR'), created.id, '   '));
      expect(blank).toMatchObject({
        code: 'BAD_USER_INPUT',
        violations: [{ field: 'reason', rule: 'REQUIRED' }],
      });
      expect((await rowOf(created.id)).status).toBe('IN_REVIEW');

      const withdrawn = await h.contents.withdraw(as('INTEGRATION'), created.id, ' Event postponed ');
      expect(withdrawn.status).toBe('WITHDRAWN');
      const last = (await asPlatform(h.ds, (em) => h.audit.history(em, created.id))).at(-1);
      expect(last).toMatchObject({
        action: 'WITHDRAWN',
        fromStatus: 'IN_REVIEW',
        toStatus: 'WITHDRAWN',
        note: 'Event postponed',
      });
      const [event] = (await h.outbox('ContentWithdrawn')).filter((e) => e.key === created.id);
      expect(event.message).toMatchObject({
        version: 1,
        reason: 'Event postponed',
        fromStatus: 2 /* IN_REVIEW */,
      });
    });
  });

  describe('authorization', () => {
    it.each(['VIEWER', 'DEPT_APPROVER', 'MINISTER_OFFICE'] as Role[])(
      '%s may read but never write (FORBIDDEN)',
      async (role) => {
        const created = await h.contents.create(as('DEPT_EDITOR'), agriId, input());
        const reader = as(role);
        expect((await h.contents.get(reader, created.id)).id).toBe(created.id);
        const attempts = [
          h.contents.create(reader, agriId, input()),
          h.contents.update(reader, created.id, 1, input({ title: 'x' })),
          h.contents.submit(reader, created.id),
          h.contents.withdraw(reader, created.id, 'no'),
        ];
        for (const attempt of attempts) expect((await refusal(attempt))?.code).toBe('FORBIDDEN');
        expect(await rowOf(created.id)).toMatchObject({ version: 1, status: 'DRAFT' });
      },
    );

    it.each(['DEPT_EDITOR', 'DEPT_ADMIN', 'INTEGRATION', 'IT_CELL_ADMIN'] as Role[])(
      '%s writes',
      async (role) => {
        const author = role === 'IT_CELL_ADMIN' ? IT_CELL : as(role);
        const created = await h.contents.create(author, agriId, input());
        await h.contents.update(author, created.id, 1, input({ title: `By ${role}` }));
        const submitted = await h.contents.submit(author, created.id);
        expect(submitted).toMatchObject({ status: 'IN_REVIEW', version: 2, title: `By ${role}` });
      },
    );

    it("answers NOT_FOUND for another department's content exactly as for a missing one, and changes nothing", async () => {
      const created = await h.contents.create(as('DEPT_EDITOR'), agriId, input());
      const outsider = as('DEPT_EDITOR', health);
      const missing = randomUUID();
      const operations = (id: string) => [
        h.contents.get(outsider, id),
        h.contents.update(outsider, id, 1, input({ title: 'x', targetAccountIds: [fbHealth()] })),
        h.contents.submit(outsider, id),
        h.contents.withdraw(outsider, id, 'x'),
      ];
      const theirs = await Promise.all(operations(created.id).map(refusal));
      const nobody = await Promise.all(operations(missing).map(refusal));
      expect(theirs.map((r) => r?.code)).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
      expect(theirs.map((r) => r?.message.replace(created.id, '<id>'))).toEqual(
        nobody.map((r) => r?.message.replace(missing, '<id>')),
      );
      expect(await h.contents.findVisible(outsider, created.id)).toBeNull();
      expect(await rowOf(created.id)).toMatchObject({ version: 1, status: 'DRAFT' });
      const intrusion = await refusal(h.contents.create(outsider, agriId, input()));
      expect(intrusion?.code).toBe('NOT_FOUND');
    });
  });

  describe('row-level security on the service tables', () => {
    const TABLES = ['departments', 'contents', 'content_versions', 'audit_entries', 'target_accounts'];

    async function departmentsSeen(
      run: <T>(work: (em: import('typeorm').EntityManager) => Promise<T>) => Promise<T>,
    ) {
      const seen: Record<string, string[]> = {};
      await run(async (em) => {
        for (const table of TABLES) {
          const column = table === 'departments' ? 'id' : 'department_id';
          // No WHERE clause: only row-level security decides what comes back.
          const rows: { d: string }[] = await em.query(`SELECT DISTINCT ${column}::text AS d FROM ${table}`);
          seen[table] = rows
            .map((r) => r.d)
            .filter((d) => d === agriId || d === healthId)
            .sort();
        }
      });
      return seen;
    }

    beforeAll(async () => {
      await h.contents.create(as('DEPT_EDITOR', health), healthId, input({ targetAccountIds: [fbHealth()] }));
      await h.contents.create(as('DEPT_EDITOR'), agriId, input());
    });

    it('shows a platform transaction every department, and a departmental caller only its own', async () => {
      const both = [agriId, healthId].sort();
      expect(await departmentsSeen((work) => asPlatform(h.ds, work))).toEqual(
        Object.fromEntries(TABLES.map((t) => [t, both])),
      );
      expect(await departmentsSeen((work) => asCaller(h.ds, IT_CELL, work))).toEqual(
        Object.fromEntries(TABLES.map((t) => [t, both])),
      );
      expect(await departmentsSeen((work) => asCaller(h.ds, as('VIEWER', health), work))).toEqual(
        Object.fromEntries(TABLES.map((t) => [t, [healthId]])),
      );
    });

    it('shows nothing without a tenant, and refuses a departmental write into another department', async () => {
      const counts = await h.ds.transaction(async (em) => {
        const n: number[] = [];
        for (const t of TABLES) n.push((await em.query(`SELECT count(*)::int AS n FROM ${t}`))[0].n);
        return n;
      });
      expect(counts).toEqual(TABLES.map(() => 0));
      const intruder = asCaller(h.ds, as('DEPT_ADMIN', health), (em) =>
        em.query(`UPDATE contents SET title = 'hijacked' WHERE department_id = $1`, [agriId]),
      );
      expect((await intruder)[1]).toBe(0);
      await expect(
        asCaller(h.ds, as('DEPT_ADMIN', health), (em) =>
          em.query(
            `INSERT INTO target_accounts (id, department_id, platform, handle, status, updated_at)
             VALUES ('sneaky', $1, 'X', '@s', 'ACTIVE', now())`,
            [agriId],
          ),
        ),
      ).rejects.toThrow(/row-level security/);
    });
  });

  describe('the audit trail', () => {
    it('is hash-chained: verify() finds a row tampered with behind the append-only trigger', async () => {
      const created = await h.contents.create(as('DEPT_EDITOR'), agriId, input());
      await h.contents.update(as('DEPT_EDITOR'), created.id, 1, input({ title: 'v2' }));
      await h.contents.submit(as('DEPT_EDITOR'), created.id);
      expect(await h.audit.verify(created.id)).toMatchObject({ intact: true });
      const history = await asPlatform(h.ds, (em) => h.audit.history(em, created.id));
      const target = history[1];

      // The service's own role cannot change the record: the trigger refuses.
      await expect(
        asPlatform(h.ds, (em) =>
          em.query(`UPDATE audit_entries SET note = 'x' WHERE seq = $1`, [target.seq]),
        ),
      ).rejects.toThrow(/append-only/);

      // A superuser with triggers off can; the chain shows it.
      const admin = await h.adminClient();
      try {
        await admin.query(`SET session_replication_role = replica`);
        await admin.query(`UPDATE audit_entries SET actor = 'someone-else' WHERE seq = $1`, [target.seq]);
      } finally {
        await admin.end();
      }
      expect(await h.audit.verify(created.id)).toMatchObject({ intact: false, brokenAt: target.seq });
    });
  });
});
