// Decisions against the real PostgreSQL: the whole matrix, and approvers deciding at the same moment.
import { randomUUID } from 'node:crypto';
import { equals } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  ApprovalCancelledSchema,
  CancelReason,
  ChangesRequestedSchema,
  ContentApprovedSchema,
  ContentKind,
  ContentRejectedSchema,
  ContentSnapshotSchema,
  Decision,
  PersonRole,
  StageDecidedSchema,
} from '@prasar/contracts';
import { asPlatform } from '@prasar/persistence';
import { renderMetrics } from '@prasar/telemetry';
import { eventually } from '@prasar/testing';
import { AGRI, HEALTH, approvalHarness, codeOf, person, type Harness } from '../__fixtures__/harness';

const HOUR = 3_600_000;
const approverA = person('approver-a', ['DEPT_APPROVER'], AGRI);
const approverB = person('approver-b', ['DEPT_APPROVER'], AGRI);
const ministerOffice = person('minister-office', ['MINISTER_OFFICE'], AGRI);
const healthApprover = person('approver-h', ['DEPT_APPROVER'], HEALTH);
const itCell = person('it-admin', ['IT_CELL_ADMIN']);
const forest = (subject: string) => person(subject, ['DEPT_APPROVER'], 'forest');

describe('deciding on an approval', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await approvalHarness('approval_decide');
    // The forest department's own workflow: two distinct approvers.
    await h.workflows.set(person('forest-admin', ['DEPT_ADMIN'], 'forest'), forest('x').departmentId!, [
      { role: 'DEPT_APPROVER', requiredApprovals: 2 },
    ]);
  });
  afterAll(async () => {
    await h?.close();
  });

  const decisionsOf = (approvalId: string) =>
    h.sql<{ decided_by: string; decision: string; stage_index: number }>(
      `SELECT decided_by, decision, stage_index FROM approval_decisions WHERE approval_id = $1 ORDER BY seq`,
      [approvalId],
    );

  it('approves through a two-stage minister workflow: the next stage restarts its SLA, ContentApproved carries the snapshot and the approvers', async () => {
    const opened = new Date('2026-01-05T04:00:00Z');
    const { contentId, event } = await h.submit({ kind: ContentKind.MINISTER_MESSAGE }, opened);

    const firstAt = new Date(opened.getTime() + 3 * HOUR);
    const afterFirst = await h.decisions.decide(approverA, contentId, 'APPROVE', ' Facts checked ', firstAt);
    expect(afterFirst).toMatchObject({ state: 'PENDING', currentStage: 1, contentVersion: 1 });
    const stages = await h.approvals.stages(approverA, afterFirst.id);
    expect(stages.map((s) => [s.index, s.role, s.requiredApprovals, s.state])).toEqual([
      [0, 'DEPT_APPROVER', 1, 'APPROVED'],
      [1, 'MINISTER_OFFICE', 1, 'PENDING'],
    ]);
    expect(stages[1].dueAt).toEqual(new Date(firstAt.getTime() + 4 * HOUR));
    expect(stages[0].decisions).toMatchObject([
      { decidedBy: 'approver-a', decision: 'APPROVE', comment: 'Facts checked', decidedAt: firstAt },
    ]);

    const secondAt = new Date(firstAt.getTime() + HOUR);
    const approved = await h.decisions.decide(ministerOffice, contentId, 'APPROVE', null, secondAt);
    expect(approved).toMatchObject({ state: 'APPROVED', currentStage: null, closedAt: secondAt });

    const decided = await h.events(StageDecidedSchema, contentId);
    expect(
      decided.map((d) => [
        d.stageIndex,
        d.role,
        d.decision,
        d.approvals,
        d.requiredApprovals,
        d.stagePassed,
        d.nextStageIndex,
      ]),
    ).toEqual([
      [0, 'DEPT_APPROVER', Decision.APPROVE, 1, 1, true, 1],
      [1, 'MINISTER_OFFICE', Decision.APPROVE, 1, 1, true, undefined],
    ]);
    expect(timestampDate(decided[0].nextStageDueAt!)).toEqual(new Date(firstAt.getTime() + 4 * HOUR));
    expect(decided[0].actor?.subject).toBe('approver-a');

    const [contentApproved, ...more] = await h.events(ContentApprovedSchema, contentId);
    expect(more).toEqual([]);
    expect(equals(ContentSnapshotSchema, contentApproved.snapshot!, event.snapshot!)).toBe(true);
    expect(contentApproved.approvers.map((a) => [a.subject, a.name])).toEqual([
      ['approver-a', 'name of approver-a'],
      ['minister-office', 'name of minister-office'],
    ]);
    expect(timestampDate(contentApproved.approvedAt!)).toEqual(secondAt);
  });

  it('adds the minister stage for media that tags a minister, and the IT cell stage for an advertisement', async () => {
    const tagged = await h.submit({
      media: [
        {
          id: 'm-1',
          url: 'https://img.mp.gov.in/visit.jpg',
          mimeType: 'image/jpeg',
          altText: 'मंत्री किसानों के साथ',
          people: [{ role: PersonRole.MINISTER, name: 'कृषि मंत्री' }],
        },
      ],
    });
    const ad = await h.submit({ kind: ContentKind.ADVERTISEMENT });
    const roles = async (approvalId: string) =>
      (await h.approvals.stages(itCell, approvalId)).map((s) => s.role);
    expect(await roles(tagged.approval!.id)).toEqual(['DEPT_APPROVER', 'MINISTER_OFFICE']);
    expect(await roles(ad.approval!.id)).toEqual(['DEPT_APPROVER', 'IT_CELL_ADMIN']);

    await h.decisions.decide(approverA, ad.contentId, 'APPROVE');
    // The IT cell decides its stage for every department, without belonging to one.
    expect(await h.decisions.decide(itCell, ad.contentId, 'APPROVE')).toMatchObject({ state: 'APPROVED' });
  });

  it('refuses a rejection without a reason, and makes a rejection with one final', async () => {
    const { contentId, approval } = await h.submit({ kind: ContentKind.ADVERTISEMENT });
    for (const reason of [undefined, null, '   ']) {
      await expect(h.decisions.decide(approverA, contentId, 'REJECT', reason)).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
        violations: [{ field: 'comment', rule: 'REASON_REQUIRED' }],
      });
    }
    expect(await decisionsOf(approval!.id)).toEqual([]);

    const rejected = await h.decisions.decide(approverA, contentId, 'REJECT', 'Shows a party symbol');
    expect(rejected).toMatchObject({ state: 'REJECTED', currentStage: null });
    const stages = await h.approvals.stages(approverA, rejected.id);
    expect(stages.map((s) => s.state)).toEqual(['REJECTED', 'CANCELLED']);
    expect(await h.events(ContentRejectedSchema, contentId)).toMatchObject([
      {
        approvalId: rejected.id,
        stageIndex: 0,
        reason: 'Shows a party symbol',
        actor: { subject: 'approver-a' },
      },
    ]);
    expect(await h.events(StageDecidedSchema, contentId)).toMatchObject([
      { decision: Decision.REJECT, comment: 'Shows a party symbol', stagePassed: false },
    ]);
    expect(await codeOf(h.decisions.decide(approverB, contentId, 'APPROVE'))).toBe('CONFLICT');
  });

  it('refuses a change request without a comment; one with a comment ends the approval, and resubmission opens a new one', async () => {
    const { contentId, approval } = await h.submit();
    await expect(h.decisions.decide(approverA, contentId, 'REQUEST_CHANGES', '')).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      violations: [{ field: 'comment', rule: 'COMMENT_REQUIRED' }],
    });
    expect(await decisionsOf(approval!.id)).toEqual([]);

    const sentBack = await h.decisions.decide(
      approverA,
      contentId,
      'REQUEST_CHANGES',
      'Add the district names',
    );
    expect(sentBack).toMatchObject({ state: 'CHANGES_REQUESTED', currentStage: null });
    expect(await h.events(ChangesRequestedSchema, contentId)).toMatchObject([
      {
        approvalId: sentBack.id,
        stageIndex: 0,
        comment: 'Add the district names',
        actor: { subject: 'approver-a' },
      },
    ]);
    expect(await codeOf(h.decisions.decide(approverB, contentId, 'APPROVE'))).toBe('CONFLICT');

    const { approval: second } = await h.submit({ contentId, version: 2 });
    expect(second).toMatchObject({ state: 'PENDING', contentVersion: 2 });
    // The change request stays on record as it was; nothing was cancelled.
    expect(await h.sql(`SELECT state FROM approvals WHERE id = $1`, [sentBack.id])).toEqual([
      { state: 'CHANGES_REQUESTED' },
    ]);
    expect(await h.events(ApprovalCancelledSchema, contentId)).toEqual([]);
    expect(await h.decisions.decide(approverB, contentId, 'APPROVE')).toMatchObject({
      id: second!.id,
      state: 'APPROVED',
    });
  });

  it('refuses a caller without the current stage role with FORBIDDEN, and records nothing', async () => {
    const { contentId, approval } = await h.submit({ kind: ContentKind.MINISTER_MESSAGE });
    const callers = [
      person('editor-2', ['DEPT_EDITOR'], AGRI),
      person('viewer', ['VIEWER'], AGRI),
      person('dept-admin', ['DEPT_ADMIN'], AGRI),
      ministerOffice, // its stage comes second
      itCell, // sees every department but is not the department's approver
      person('it-approver', ['IT_CELL_ADMIN', 'DEPT_APPROVER']), // an approver of no department
    ];
    for (const caller of callers) {
      expect([caller.subject, await codeOf(h.decisions.decide(caller, contentId, 'APPROVE'))]).toEqual([
        caller.subject,
        'FORBIDDEN',
      ]);
    }
    expect(await decisionsOf(approval!.id)).toEqual([]);
  });

  it("answers NOT_FOUND for another department's content, exactly as for content that does not exist", async () => {
    const { contentId, approval } = await h.submit();
    const missing = randomUUID();
    const other = await h.decisions.decide(healthApprover, contentId, 'APPROVE').catch((e: Error) => e);
    const absent = await h.decisions.decide(healthApprover, missing, 'APPROVE').catch((e: Error) => e);
    expect(other).toMatchObject({ code: 'NOT_FOUND' });
    expect(absent).toMatchObject({ code: 'NOT_FOUND' });
    expect((other as Error).message.replace(contentId, '<id>')).toBe(
      (absent as Error).message.replace(missing, '<id>'),
    );
    expect(await codeOf(h.decisions.decide(healthApprover, 'not-a-uuid', 'APPROVE'))).toBe('NOT_FOUND');
    expect(await decisionsOf(approval!.id)).toEqual([]);
  });

  it('lets nobody decide on content they wrote or submitted', async () => {
    const author = person('author-approver', ['DEPT_EDITOR', 'DEPT_APPROVER'], AGRI);
    const submitter = person('submitter-approver', ['DEPT_ADMIN', 'DEPT_APPROVER'], AGRI);
    const { contentId, approval } = await h.submit({ author: author.subject, submitter: submitter.subject });
    for (const decision of ['APPROVE', 'REJECT', 'REQUEST_CHANGES'] as const) {
      expect(await codeOf(h.decisions.decide(author, contentId, decision, 'mine'))).toBe('FORBIDDEN');
      expect(await codeOf(h.decisions.decide(submitter, contentId, decision, 'mine'))).toBe('FORBIDDEN');
    }
    expect(await decisionsOf(approval!.id)).toEqual([]);
    expect(await h.decisions.decide(approverA, contentId, 'APPROVE')).toMatchObject({ state: 'APPROVED' });
  });

  it('answers CONFLICT for a decision on a finished approval, and on a stage that has already passed', async () => {
    const single = await h.submit();
    await h.decisions.decide(approverA, single.contentId, 'APPROVE');
    for (const decision of ['APPROVE', 'REJECT', 'REQUEST_CHANGES'] as const) {
      expect(await codeOf(h.decisions.decide(approverB, single.contentId, decision, 'late'))).toBe(
        'CONFLICT',
      );
    }

    const twoStage = await h.submit({ kind: ContentKind.MINISTER_MESSAGE });
    await h.decisions.decide(approverA, twoStage.contentId, 'APPROVE');
    // approver B's stage passed while they were reading: told so, never counted, never FORBIDDEN.
    expect(await codeOf(h.decisions.decide(approverB, twoStage.contentId, 'APPROVE'))).toBe('CONFLICT');
    expect(await decisionsOf(twoStage.approval!.id)).toEqual([
      { decided_by: 'approver-a', decision: 'APPROVE', stage_index: 0 },
    ]);
  });

  it('read-your-writes: a decision that arrives before ContentSubmitted was consumed waits for it and succeeds on the first call', async () => {
    const contentId = randomUUID();
    const call = h.decisions.decide(approverA, contentId, 'APPROVE');
    // intake's ContentSubmitted reaches approval a moment later.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await h.submit({ contentId });
    expect(await call).toMatchObject({ contentId, state: 'APPROVED' });
  });

  it('answers a decision on an approval already decided with CONFLICT at once (nothing to wait for)', async () => {
    const { contentId } = await h.submit();
    await h.decisions.decide(approverA, contentId, 'APPROVE');
    const started = Date.now();
    expect(await codeOf(h.decisions.decide(approverB, contentId, 'APPROVE'))).toBe('CONFLICT');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('never decides before the approval opened: a decision read earlier than the opening counts as immediate, turnaround 0', async () => {
    const turnaroundSum = async () => {
      const metrics = await renderMetrics();
      const sums = [
        ...metrics.matchAll(
          /prasar_approval_turnaround_seconds_sum\{[^}]*outcome="APPROVED"[^}]*\} ([-0-9.e+]+)/g,
        ),
      ];
      return sums.reduce((total, m) => total + Number(m[1]), 0);
    };
    const opened = new Date();
    const { contentId } = await h.submit({}, opened);
    const before = await turnaroundSum();
    // The request's time was read 1.1 s before the submission it decides on was opened (another
    // transaction committed the opening while this request waited for a connection).
    const approved = await h.decisions.decide(
      approverA,
      contentId,
      'APPROVE',
      null,
      new Date(opened.getTime() - 1100),
    );
    expect(approved).toMatchObject({ state: 'APPROVED', closedAt: opened });
    const [decision] = await h.sql<{ decided_at: Date }>(
      `SELECT decided_at FROM approval_decisions WHERE approval_id = $1`,
      [approved.id],
    );
    expect(decision?.decided_at).toEqual(opened);
    expect(await turnaroundSum()).toBe(before);
  });

  it('counts distinct approvers: the same person approving twice is a CONFLICT', async () => {
    const { contentId, approval } = await h.submit({ department: 'forest' });
    expect(await h.decisions.decide(forest('ranger-1'), contentId, 'APPROVE')).toMatchObject({
      state: 'PENDING',
      currentStage: 0,
    });
    expect(await codeOf(h.decisions.decide(forest('ranger-1'), contentId, 'APPROVE'))).toBe('CONFLICT');
    expect(await h.events(StageDecidedSchema, contentId)).toMatchObject([
      { approvals: 1, requiredApprovals: 2, stagePassed: false },
    ]);
    expect(await h.decisions.decide(forest('ranger-2'), contentId, 'APPROVE')).toMatchObject({
      state: 'APPROVED',
    });
    expect((await decisionsOf(approval!.id)).map((d) => d.decided_by)).toEqual(['ranger-1', 'ranger-2']);
  });

  it('supersedes the pending approval of an earlier version on resubmission, once however often it is delivered', async () => {
    const { contentId, approval: first } = await h.submit();
    const { approval: second, event } = await h.submit({ contentId, version: 2, submitter: 'editor-2' });
    expect(await h.sql(`SELECT state, current_stage FROM approvals WHERE id = $1`, [first!.id])).toEqual([
      { state: 'CANCELLED', current_stage: null },
    ]);
    expect(await h.events(ApprovalCancelledSchema, contentId)).toMatchObject([
      {
        approvalId: first!.id,
        contentVersion: 1,
        reason: CancelReason.SUPERSEDED,
        actor: { subject: 'editor-2' },
      },
    ]);
    // The same version delivered again (a replay) opens nothing new.
    expect(await asPlatform(h.ds, (em) => h.approvals.open(em, event))).toBeNull();
    expect(
      await h.sql(`SELECT count(*)::int AS n FROM approvals WHERE content_id = $1`, [contentId]),
    ).toEqual([{ n: 2 }]);
    expect(await h.approvals.latestFor(approverA, contentId)).toMatchObject({
      id: second!.id,
      contentVersion: 2,
    });
    expect(await h.decisions.decide(approverA, contentId, 'APPROVE')).toMatchObject({
      id: second!.id,
      state: 'APPROVED',
    });
  });

  it('cancels the pending approval when the content is withdrawn', async () => {
    const { contentId, approval } = await h.submit({ kind: ContentKind.MINISTER_MESSAGE });
    await h.decisions.decide(approverA, contentId, 'APPROVE');
    const cancelled = await h.withdraw(contentId);
    expect(cancelled.map((a) => a.id)).toEqual([approval!.id]);
    expect(await h.approvals.latestFor(approverA, contentId)).toMatchObject({
      state: 'CANCELLED',
      currentStage: null,
    });
    expect((await h.approvals.stages(approverA, approval!.id)).map((s) => s.state)).toEqual([
      'APPROVED',
      'CANCELLED',
    ]);
    expect(await h.events(ApprovalCancelledSchema, contentId)).toMatchObject([
      { approvalId: approval!.id, reason: CancelReason.WITHDRAWN, actor: { subject: 'editor-agriculture' } },
    ]);
    expect(await codeOf(h.decisions.decide(ministerOffice, contentId, 'APPROVE'))).toBe('CONFLICT');
    // Withdrawing again finds nothing left to cancel.
    expect(await h.withdraw(contentId)).toEqual([]);
  });

  describe('approvers deciding at the same moment, on separate connections', () => {
    /**
     * Holds the approval's row lock on a connection of its own until released, so that the
     * decisions started meanwhile all reach the lock and wait there together.
     */
    async function holdApproval(contentId: string) {
      const runner = h.ds.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      await runner.query(`SELECT set_config('prasar.department_id', '*', true)`);
      await runner.query(`SELECT id FROM approvals WHERE content_id = $1 AND state = 'PENDING' FOR UPDATE`, [
        contentId,
      ]);
      return async () => {
        await runner.commitTransaction();
        await runner.release();
      };
    }

    async function waitingOnLocks(count: number) {
      await eventually(async () => {
        const [{ n }] = (await h.ds.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )) as { n: number }[];
        expect(n).toBe(count);
      });
    }

    async function decideTogether(contentId: string, approvers: (typeof approverA)[]) {
      const release = await holdApproval(contentId);
      const outcomes = approvers.map((a) => h.decisions.decide(a, contentId, 'APPROVE'));
      await waitingOnLocks(approvers.length);
      await release();
      const settled = await Promise.allSettled(outcomes);
      return settled.map((s) => (s.status === 'fulfilled' ? 'counted' : (s.reason as { code: string }).code));
    }

    it('with one approver required, exactly one decision counts and the other gets CONFLICT', async () => {
      const { contentId, approval } = await h.submit();
      const outcomes = await decideTogether(contentId, [approverA, approverB]);
      expect(outcomes.sort()).toEqual(['CONFLICT', 'counted']);
      expect(await decisionsOf(approval!.id)).toHaveLength(1);
      expect(await h.events(StageDecidedSchema, contentId)).toHaveLength(1);
      expect(await h.events(ContentApprovedSchema, contentId)).toHaveLength(1);
    });

    it('with two required and three approvers at once, exactly two count', async () => {
      const rangers = ['ranger-3', 'ranger-4', 'ranger-5'].map(forest);
      const { contentId, approval } = await h.submit({ department: 'forest' });
      const outcomes = await decideTogether(contentId, rangers);
      expect(outcomes.sort()).toEqual(['CONFLICT', 'counted', 'counted']);
      const counted = await decisionsOf(approval!.id);
      expect(counted).toHaveLength(2);
      expect(new Set(counted.map((d) => d.decided_by)).size).toBe(2);
      expect(await h.events(StageDecidedSchema, contentId)).toMatchObject([
        { approvals: 1, stagePassed: false },
        { approvals: 2, stagePassed: true },
      ]);
      const [approved, ...more] = await h.events(ContentApprovedSchema, contentId);
      expect(more).toEqual([]);
      expect(approved.approvers.map((a) => a.subject)).toEqual(counted.map((d) => d.decided_by));
    });
  });
});
