// A content's status derived from facts, end to end: generated histories of approval, scheduler and
// publisher events, produced to Kafka shuffled and duplicated (each copy a new event id, as a replay
// or a re-emission would be), consumed by intake's own handlers against the real database. Whatever
// the order, the content ends in the status its publications call for with the audit entries of the
// in-order history. Then the reconciliation: contents stuck in an existing database are repaired,
// each step on the audit trail, by the service and by `npm run reconcile`.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import {
  ContentApprovedSchema,
  PublicationCancelledSchema,
  PublicationFailedSchema,
  PublicationHeldSchema,
  PublicationPublishedSchema,
  PublicationScheduledSchema,
  PublishRequestedSchema,
} from '@prasar/contracts';
import { asPlatform } from '@prasar/persistence';
import fc from 'fast-check';
import {
  contentInput,
  principal,
  startIntake,
  uniqueCode,
  type IntakeHarness,
} from '../testing/intake-harness';
import {
  arrival,
  arrive,
  expectedStatus,
  replay,
  statusHistory,
  type StatusEvent,
} from '../testing/status-history';
import { Content, type ContentStatus } from './content.entity';
import { toContentBody } from './content.resolver';
import { StatusReconciler } from './status-reconciler';

const APPROVER = { subject: 'secretary-health', name: 'Secretary', roles: ['DEPT_APPROVER'] };

describe("a content's status over Kafka, whatever order its events arrive in", () => {
  let h: IntakeHarness;
  const code = uniqueCode('health');
  let departmentId: string;
  const editor = () => principal('DEPT_EDITOR', code, 'editor-health');
  const accounts = [`x-${code}`, `fb-${code}`, `fb2-${code}`];

  beforeAll(async () => {
    h = await startIntake('content_status', { consume: true });
    departmentId = await h.department(code);
    await h.connectAccount(accounts[0] as string, departmentId, 'X');
    await h.connectAccount(accounts[1] as string, departmentId, 'FACEBOOK');
    await h.connectAccount(accounts[2] as string, departmentId, 'FACEBOOK');
  });

  afterAll(async () => {
    await h?.close();
  });

  /** A content under review, aimed at `targets`, with a text of its own (the duplicate-text rule). */
  async function submitted(targets: string[], tag: string): Promise<string> {
    const content = await h.contents.create(
      editor(),
      departmentId,
      toContentBody(
        contentInput({
          title: `Vaccination drive ${tag}`,
          body: [
            { language: 'HI', text: `टीकाकरण अभियान ${tag}` },
            { language: 'EN', text: `Vaccination drive ${tag} reached every district.` },
          ],
          targetAccountIds: targets,
        }),
      ),
    );
    await h.contents.submit(editor(), content.id);
    return content.id;
  }

  /** The event each generated fact is, as the approval service, the scheduler or the publisher sends it. */
  function toEvent(
    contentId: string,
    publicationIds: Map<string, string>,
    e: StatusEvent,
  ): [DescMessage, MessageInitShape<DescMessage>] {
    if (e.type === 'APPROVED')
      return [ContentApprovedSchema, { contentId, departmentId, contentVersion: 1, approvers: [APPROVER] }];
    const publication = {
      contentId,
      departmentId,
      publicationId: publicationIds.get(e.publicationId) as string,
      accountId: e.accountId,
    };
    switch (e.state) {
      case 'SCHEDULED':
        return [PublicationScheduledSchema, { ...publication, contentVersion: 1 }];
      case 'HELD':
        return [PublicationHeldSchema, { ...publication, detail: 'Model Code of Conduct' }];
      case 'PUBLISHING':
        return [PublishRequestedSchema, { ...publication, contentVersion: 1, attempt: 1 }];
      case 'PUBLISHED':
        return [
          PublicationPublishedSchema,
          { ...publication, contentVersion: 1, attempt: 1, externalId: 'post-1' },
        ];
      case 'FAILED':
        return [
          PublicationFailedSchema,
          { ...publication, contentVersion: 1, attempt: 1, reason: 'media rejected', permanent: true },
        ];
      case 'CANCELLED':
        return [PublicationCancelledSchema, { ...publication, reason: 'Not needed any more' }];
    }
  }

  const stateOf = (id: string) =>
    asPlatform(h.ds, async (em) => {
      const content = await em.findOneByOrFail(Content, { id });
      const history = await h.audit.history(em, id);
      const [{ n }] = (await em.query(
        `SELECT count(*)::int AS n FROM prasar_outbox WHERE key = $1::text AND type LIKE '%ContentStatusChanged'`,
        [id],
      )) as { n: number }[];
      return { status: content.status, history, statusEvents: n };
    });

  it('ends in the status the publications call for, with the audit entries of the in-order history', async () => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(statusHistory, arrival, async (history, how) => {
        cases += 1;
        // The generator's targets are account-0..2: this department's accounts in their place.
        const real = new Map(history.targets.map((t, i) => [t, accounts[i] as string]));
        const targets = history.targets.map((t) => real.get(t) as string);
        const events = history.events.map((e) =>
          e.type === 'APPROVED' ? e : { ...e, accountId: real.get(e.accountId) as string },
        );
        // A content of its own per case (shrinking reruns cases: each gets a fresh one).
        const contentId = await submitted(targets, `case ${cases} ${randomUUID().slice(0, 8)}`);
        const publicationIds = new Map(
          events.flatMap((e) => (e.type === 'PROGRESS' ? [[e.publicationId, randomUUID()]] : [])) as [
            string,
            string,
          ][],
        );

        const ids: string[] = [];
        for (const e of arrive(events, how)) {
          const [schema, message] = toEvent(contentId, publicationIds, e);
          ids.push(await h.emit(schema, message));
        }
        for (const id of ids) expect(await h.handled(id)).toBe('handled');

        const expected = replay(targets, events);
        const state = await stateOf(contentId);
        expect(state.status).toBe(expectedStatus(history.finals));
        expect(state.status).toBe(expected.status);
        const transitions = state.history
          .filter((e) => e.action !== 'CREATED' && e.action !== 'SUBMITTED')
          .map((e) => `${e.fromStatus}→${e.toStatus}${e.note ? ` (${e.note})` : ''}`);
        expect(transitions).toEqual(expected.audit);
        // Submission's status change, then one per step; the trail's chain is intact.
        expect(state.statusEvents).toBe(1 + expected.audit.length);
        expect(await h.audit.verify(contentId)).toMatchObject({ intact: true, brokenAt: null });
      }),
      // A fixed seed: every run checks the same twelve cases through Kafka; a failure is shrunk.
      { seed: 4242, numRuns: 12 },
    );
    expect(cases).toBeGreaterThanOrEqual(12);
  });

  describe('reconciliation of contents stuck in an existing database', () => {
    /** A content as the old code left it: APPROVED although both its publications are PUBLISHED. */
    async function stuck(status: ContentStatus, states: string[]): Promise<string> {
      const targets = accounts.slice(0, states.length);
      const id = await submitted(targets, `stuck ${randomUUID().slice(0, 6)}`);
      await asPlatform(h.ds, async (em) => {
        await em.query(`UPDATE contents SET status = $2 WHERE id = $1`, [id, status]);
        for (const [i, state] of states.entries())
          await em.query(
            `INSERT INTO publication_progress (publication_id, content_id, department_id, version, account_id, state, updated_at)
             VALUES ($1, $2, $3, 1, $4, $5, now())`,
            [randomUUID(), id, departmentId, targets[i], state],
          );
      });
      return id;
    }

    it('repairs each one through every step, on the audit trail, and a second run finds nothing', async () => {
      const approved = await stuck('APPROVED', ['PUBLISHED', 'PUBLISHED']);
      const publishing = await stuck('PUBLISHING', ['PUBLISHED', 'FAILED']);
      const scheduled = await stuck('SCHEDULED', ['PUBLISHING', 'SCHEDULED']);
      const right = await stuck('SCHEDULED', ['SCHEDULED']);

      const repaired = await h.contents.reconcileStatuses();
      const mine = repaired.filter((r) => [approved, publishing, scheduled, right].includes(r.contentId));
      expect(mine.sort((a, b) => a.from.localeCompare(b.from))).toEqual([
        { contentId: approved, from: 'APPROVED', to: 'PUBLISHED' },
        { contentId: publishing, from: 'PUBLISHING', to: 'PARTIALLY_PUBLISHED' },
        { contentId: scheduled, from: 'SCHEDULED', to: 'PUBLISHING' },
      ]);
      const trail = async (id: string) =>
        (await stateOf(id)).history
          .filter((e) => !['CREATED', 'SUBMITTED'].includes(e.action))
          .map((e) => [e.action, e.actor, e.fromStatus, e.toStatus]);
      expect(await trail(approved)).toEqual([
        ['SCHEDULED', 'service:scheduler', 'APPROVED', 'SCHEDULED'],
        ['PUBLISHING', 'service:scheduler', 'SCHEDULED', 'PUBLISHING'],
        ['PUBLISHED', 'service:publisher', 'PUBLISHING', 'PUBLISHED'],
      ]);
      expect(await trail(publishing)).toEqual([
        ['PARTIALLY_PUBLISHED', 'service:publisher', 'PUBLISHING', 'PARTIALLY_PUBLISHED'],
      ]);
      expect((await stateOf(right)).status).toBe('SCHEDULED');
      for (const id of [approved, publishing, scheduled])
        expect(await h.audit.verify(id)).toMatchObject({ intact: true, brokenAt: null });

      expect(await h.contents.reconcileStatuses()).toEqual([]);
    });

    it('runs at intake start', async () => {
      const id = await stuck('APPROVED', ['FAILED']);
      const reconciler = h.app.get(StatusReconciler);
      reconciler.onApplicationBootstrap(); // what Nest calls once the application is up
      await reconciler.done;
      expect((await stateOf(id)).status).toBe('FAILED');
    });

    it('runs as `npm run reconcile` against the service database', async () => {
      const id = await stuck('SCHEDULED', ['PUBLISHED']);
      const root = join(__dirname, '../../../..');
      await promisify(execFile)(
        process.execPath,
        ['scripts/run-ts.mjs', 'services/intake/src/reconcile-statuses.ts'],
        {
          cwd: root,
          env: {
            ...process.env,
            DATABASE_URL: h.databaseUrl,
            LOG_LEVEL: 'warn',
          },
          timeout: 90_000,
        },
      );
      const state = await stateOf(id);
      expect(state.status).toBe('PUBLISHED');
      expect(state.history.at(-1)).toMatchObject({
        action: 'PUBLISHED',
        fromStatus: 'PUBLISHING',
        toStatus: 'PUBLISHED',
        note: '1 published, 0 failed',
      });
    }, 120_000);
  });
});
