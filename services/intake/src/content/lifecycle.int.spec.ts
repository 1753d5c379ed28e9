// The lifecycle as a table, through the service layer against the real database: for every status
// and every operation or event that moves content, the allowed ones succeed and every other is
// refused with CONFLICT and changes nothing.
import type { Role } from '@prasar/auth';
import { DomainError } from '@prasar/auth';
import { asPlatform } from '@prasar/persistence';
import {
  contentInput,
  principal,
  startIntake,
  uniqueCode,
  type IntakeHarness,
} from '../testing/intake-harness';
import type { Content, ContentStatus } from './content.entity';
import { toContentBody } from './content.resolver';
import { CONTENT_STATUSES, allows, type LifecycleOperation } from './lifecycle';

type Operation = 'submit' | 'update' | 'withdraw' | 'approved' | 'rejected' | 'changes requested';

/** Written out by hand from DOMAIN.md, so the test checks lifecycle.ts rather than repeating it. */
const EXPECTED: Record<Operation, { from: ContentStatus[]; to: ContentStatus | 'unchanged' }> = {
  submit: { from: ['DRAFT', 'CHANGES_REQUESTED'], to: 'IN_REVIEW' },
  update: { from: ['DRAFT', 'CHANGES_REQUESTED'], to: 'unchanged' },
  withdraw: { from: ['DRAFT', 'IN_REVIEW', 'CHANGES_REQUESTED', 'APPROVED', 'SCHEDULED'], to: 'WITHDRAWN' },
  approved: { from: ['IN_REVIEW'], to: 'APPROVED' },
  rejected: { from: ['IN_REVIEW'], to: 'REJECTED' },
  'changes requested': { from: ['IN_REVIEW'], to: 'CHANGES_REQUESTED' },
};

const LIFECYCLE_OPERATION: Record<Operation, LifecycleOperation> = {
  submit: 'SUBMIT',
  update: 'UPDATE',
  withdraw: 'WITHDRAW',
  approved: 'APPROVE',
  rejected: 'REJECT',
  'changes requested': 'REQUEST_CHANGES',
};

const AUDIT_ACTION: Record<Operation, string> = {
  submit: 'SUBMITTED',
  update: 'UPDATED',
  withdraw: 'WITHDRAWN',
  approved: 'APPROVED',
  rejected: 'REJECTED',
  'changes requested': 'CHANGES_REQUESTED',
};

const APPROVER = { subject: 'approver-7', name: 'Secretary', roles: ['DEPT_APPROVER'] };

describe('the content lifecycle, status by status and operation by operation', () => {
  let h: IntakeHarness;
  const code = uniqueCode('agri');
  let departmentId: string;
  const editor = (role: Role = 'DEPT_EDITOR') => principal(role, code, `editor@${code}`);
  const account = `fb-${code}`;

  beforeAll(async () => {
    h = await startIntake('lifecycle');
    departmentId = await h.department(code);
    await h.connectAccount(account, departmentId, 'FACEBOOK');
  });

  afterAll(async () => {
    await h?.close();
  });

  /** A content item put directly into a status (the row as the other services' events would leave it). */
  async function contentIn(status: ContentStatus): Promise<Content> {
    const content = await h.contents.create(
      editor(),
      departmentId,
      toContentBody(contentInput({ targetAccountIds: [account] })),
    );
    await asPlatform(h.ds, (em) =>
      em.query(`UPDATE contents SET status = $1 WHERE id = $2`, [status, content.id]),
    );
    return { ...content, status };
  }

  /** Everything an operation could change. */
  async function stateOf(id: string) {
    return asPlatform(h.ds, async (em) => {
      const [row] = await em.query(
        `SELECT status, version,
                (SELECT count(*)::int FROM audit_entries WHERE content_id = $1) AS audit,
                (SELECT count(*)::int FROM content_versions WHERE content_id = $1) AS versions,
                (SELECT count(*)::int FROM prasar_outbox WHERE key = $1::text) AS events
         FROM contents WHERE id = $1`,
        [id],
      );
      return row as {
        status: ContentStatus;
        version: number;
        audit: number;
        versions: number;
        events: number;
      };
    });
  }

  function run(operation: Operation, c: Content): Promise<unknown> {
    const outcome = (op: 'APPROVE' | 'REJECT' | 'REQUEST_CHANGES', note?: string) =>
      asPlatform(h.ds, (em) =>
        h.contents.applyApprovalOutcome(em, {
          operation: op,
          contentId: c.id,
          version: c.version,
          actor: APPROVER,
          note,
        }),
      );
    switch (operation) {
      case 'submit':
        return h.contents.submit(editor(), c.id);
      case 'update':
        return h.contents.update(
          editor(),
          c.id,
          c.version,
          toContentBody(contentInput({ title: 'Revised title', targetAccountIds: [account] })),
        );
      case 'withdraw':
        return h.contents.withdraw(editor(), c.id, 'Superseded by a newer order');
      case 'approved':
        return outcome('APPROVE');
      case 'rejected':
        return outcome('REJECT', 'Figures are not verified');
      case 'changes requested':
        return outcome('REQUEST_CHANGES', 'Add the district names');
    }
  }

  it('lifecycle.ts allows exactly the table above', () => {
    for (const operation of Object.keys(EXPECTED) as Operation[])
      for (const status of CONTENT_STATUSES)
        expect([operation, status, allows(LIFECYCLE_OPERATION[operation], status)]).toEqual([
          operation,
          status,
          EXPECTED[operation].from.includes(status),
        ]);
  });

  const cases = (Object.keys(EXPECTED) as Operation[]).flatMap((operation) =>
    CONTENT_STATUSES.map((status) => ({
      operation,
      status,
      allowed: EXPECTED[operation].from.includes(status),
    })),
  );

  it.each(cases.filter((c) => c.allowed))(
    '$operation from $status succeeds',
    async ({ operation, status }) => {
      const content = await contentIn(status);
      const before = await stateOf(content.id);
      await run(operation, content);
      const after = await stateOf(content.id);
      const to = EXPECTED[operation].to;
      expect(after.status).toBe(to === 'unchanged' ? status : to);
      expect(after.version).toBe(operation === 'update' ? before.version + 1 : before.version);
      expect(after.versions).toBe(operation === 'update' ? before.versions + 1 : before.versions);
      expect(after.audit).toBe(before.audit + 1);
      const history = await asPlatform(h.ds, (em) => h.audit.history(em, content.id));
      const last = history.at(-1);
      expect(last).toMatchObject({
        action: AUDIT_ACTION[operation],
        actor: ['approved', 'rejected', 'changes requested'].includes(operation)
          ? APPROVER.subject
          : `editor@${code}`,
        fromStatus: to === 'unchanged' ? null : status,
        toStatus: to === 'unchanged' ? null : to,
      });
      expect(await h.audit.verify(content.id)).toMatchObject({ intact: true });
      // Each operation emits its events: a status change is always on record as ContentStatusChanged.
      const all = (await h.outbox()).filter((e) => e.key === content.id).map((e) => e.type.split('.').pop());
      // Every audit entry is announced with its hashes (for the records export), one each.
      expect(all.filter((t) => t === 'AuditEntryRecorded')).toHaveLength(after.audit);
      const events = all.filter((t) => t !== 'AuditEntryRecorded');
      const expectedEvents = {
        submit: ['ContentStatusChanged', 'ContentSubmitted'],
        update: ['ContentUpdated'],
        withdraw: ['ContentStatusChanged', 'ContentWithdrawn'],
        approved: ['ContentStatusChanged'],
        rejected: ['ContentStatusChanged'],
        'changes requested': ['ContentStatusChanged'],
      }[operation];
      expect(events).toEqual(['ContentCreated', ...expectedEvents]);
    },
  );

  it.each(cases.filter((c) => !c.allowed))(
    '$operation from $status is refused with CONFLICT and changes nothing',
    async ({ operation, status }) => {
      const content = await contentIn(status);
      const before = await stateOf(content.id);
      const error = await run(operation, content).then(
        () => null,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('CONFLICT');
      expect(await stateOf(content.id)).toEqual(before);
    },
  );

  it('records the rejection reason and the requested changes as the audit note', async () => {
    const rejected = await contentIn('IN_REVIEW');
    await run('rejected', rejected);
    const sentBack = await contentIn('IN_REVIEW');
    await run('changes requested', sentBack);
    const notes = await asPlatform(h.ds, async (em) => [
      (await h.audit.history(em, rejected.id)).at(-1)?.note,
      (await h.audit.history(em, sentBack.id)).at(-1)?.note,
    ]);
    expect(notes).toEqual(['Figures are not verified', 'Add the district names']);
  });

  it('ignores a decision on a version that is not the current one, changing nothing', async () => {
    const content = await contentIn('CHANGES_REQUESTED');
    await run('update', content);
    await asPlatform(h.ds, (em) =>
      em.query(`UPDATE contents SET status = 'IN_REVIEW' WHERE id = $1`, [content.id]),
    );
    const before = await stateOf(content.id);
    const effect = await asPlatform(h.ds, (em) =>
      h.contents.applyApprovalOutcome(em, {
        operation: 'APPROVE',
        contentId: content.id,
        version: content.version, // version 1; the content is at 2
        actor: APPROVER,
      }),
    );
    expect(effect).toBe('ignored');
    expect(await stateOf(content.id)).toEqual(before);
  });
});
