// SLA escalation against the real PostgreSQL: overdue stages escalate once, whoever polls.
import { durationMs, timestampDate } from '@bufbuild/protobuf/wkt';
import { ApprovalEscalatedSchema, ApprovalOpenedSchema, ContentKind, Priority } from '@prasar/contracts';
import { EventPublisher } from '@prasar/kafka';
import { renderMetrics } from '@prasar/telemetry';
import { eventually } from '@prasar/testing';
import { AGRI, approvalHarness, person, type Harness } from '../__fixtures__/harness';
import { EscalationPoller } from './escalation.poller';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const approver = person('approver-a', ['DEPT_APPROVER'], AGRI);

describe('SLA escalation', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await approvalHarness('approval_sla', { pollIntervalMs: 50 });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A second replica's poller: its own connection pool on the same database. */
  async function secondPoller(batchSize?: number) {
    return new EscalationPoller(await h.secondDataSource(), h.moduleRef.get(EventPublisher), {
      intervalMs: 30_000,
      batchSize,
    });
  }

  const overdue = (contentId: string, minutes: number) =>
    h.sql(
      `UPDATE approval_stages s SET due_at = now() - make_interval(mins => $2)
       FROM approvals a WHERE a.id = s.approval_id AND a.content_id = $1 AND s.index = a.current_stage`,
      [contentId, minutes],
    );

  describe('with two pollers at the same time', () => {
    it('escalates an overdue stage exactly once', async () => {
      const { contentId, approval } = await h.submit();
      await overdue(contentId, 5);
      const other = await secondPoller();
      const counts = await Promise.all([h.poller.escalateOverdue(), other.escalateOverdue()]);
      expect(counts.sort()).toEqual([0, 1]);
      expect(await Promise.all([h.poller.escalateOverdue(), other.escalateOverdue()])).toEqual([0, 0]);

      const [escalated, ...more] = await h.events(ApprovalEscalatedSchema, contentId);
      expect(more).toEqual([]);
      expect(escalated).toMatchObject({
        approvalId: approval!.id,
        contentVersion: 1,
        stageIndex: 0,
        role: 'DEPT_APPROVER',
        priority: Priority.NORMAL,
      });
      expect(durationMs(escalated.overdueBy!)).toBeGreaterThanOrEqual(5 * MINUTE);
      const [stage] = await h.sql<{ escalated_at: Date | null; state: string }>(
        `SELECT escalated_at, state FROM approval_stages WHERE approval_id = $1`,
        [approval!.id],
      );
      expect(stage.escalated_at).toBeInstanceOf(Date);
      // Escalation notifies; the approval stays open for a decision.
      expect(stage.state).toBe('PENDING');
      expect(await h.decisions.decide(approver, contentId, 'APPROVE')).toMatchObject({ state: 'APPROVED' });
    });

    it('shares a backlog between replicas in small batches, escalating each stage once', async () => {
      const backlog = [];
      for (let i = 0; i < 30; i++) backlog.push((await h.submit()).contentId);
      await h.sql(
        `UPDATE approval_stages s SET due_at = now() - interval '1 hour'
         FROM approvals a WHERE a.id = s.approval_id AND a.content_id = ANY($1::uuid[])`,
        [backlog],
      );
      const [one, two] = [await secondPoller(3), await secondPoller(3)];
      const counts = await Promise.all([one.escalateOverdue(), two.escalateOverdue(), one.escalateOverdue()]);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(30);
      const rows = await h.sql<{ key: string; n: number }>(
        `SELECT key, count(*)::int AS n FROM prasar_outbox
         WHERE type = 'prasar.approval.v1.ApprovalEscalated' AND key = ANY($1) GROUP BY key`,
        [backlog],
      );
      expect(rows).toHaveLength(30);
      expect(rows.every((r) => r.n === 1)).toBe(true);
    });
  });

  it('escalates only the current stage, and the next one on its own once it is current and overdue', async () => {
    const t0 = new Date('2026-03-01T04:00:00Z');
    const at = (hours: number) => new Date(t0.getTime() + hours * HOUR);
    const { contentId } = await h.submit({ kind: ContentKind.MINISTER_MESSAGE }, t0);
    await h.poller.escalateOverdue(at(9)); // stage 1's provisional due time (8 h) has passed too
    expect((await h.events(ApprovalEscalatedSchema, contentId)).map((e) => e.stageIndex)).toEqual([0]);

    await h.decisions.decide(approver, contentId, 'APPROVE', null, at(10)); // stage 1 due at 14 h
    await h.poller.escalateOverdue(at(13));
    expect((await h.events(ApprovalEscalatedSchema, contentId)).map((e) => e.stageIndex)).toEqual([0]);
    await h.poller.escalateOverdue(at(15));
    const escalations = await h.events(ApprovalEscalatedSchema, contentId);
    expect(escalations.map((e) => [e.stageIndex, e.role])).toEqual([
      [0, 'DEPT_APPROVER'],
      [1, 'MINISTER_OFFICE'],
    ]);
    expect(timestampDate(escalations[1].dueAt!)).toEqual(at(14));
    expect(durationMs(escalations[1].overdueBy!)).toBe(HOUR);
  });

  it('never escalates an approval that is no longer pending', async () => {
    const { contentId } = await h.submit();
    await h.withdraw(contentId);
    await h.poller.escalateOverdue(new Date(Date.now() + 24 * HOUR));
    expect(await h.events(ApprovalEscalatedSchema, contentId)).toEqual([]);
  });

  it('gives an urgent submission a 30-minute SLA', async () => {
    const submittedAt = new Date('2026-04-01T04:00:00Z');
    const { contentId, approval } = await h.submit({ priority: Priority.URGENT }, submittedAt);
    const [opened] = await h.events(ApprovalOpenedSchema, contentId);
    expect(opened.stages.map((s) => durationMs(s.sla!))).toEqual([30 * MINUTE]);
    expect(timestampDate(opened.stages[0].dueAt!)).toEqual(new Date(submittedAt.getTime() + 30 * MINUTE));
    expect(approval!.priority).toBe('URGENT');

    await h.poller.escalateOverdue(new Date(submittedAt.getTime() + 29 * MINUTE));
    expect(await h.events(ApprovalEscalatedSchema, contentId)).toEqual([]);
    await h.poller.escalateOverdue(new Date(submittedAt.getTime() + 31 * MINUTE));
    expect(await h.events(ApprovalEscalatedSchema, contentId)).toMatchObject([
      { stageIndex: 0, priority: Priority.URGENT },
    ]);
    // A normal submission's stage has four hours.
    const normal = await h.submit({}, submittedAt);
    const [normalOpened] = await h.events(ApprovalOpenedSchema, normal.contentId);
    expect(durationMs(normalOpened.stages[0].sla!)).toBe(4 * HOUR);
  });

  it('polls on its own between application start and shutdown', async () => {
    const { contentId } = await h.submit();
    await overdue(contentId, 1);
    h.poller.onApplicationBootstrap();
    try {
      await eventually(async () =>
        expect(await h.events(ApprovalEscalatedSchema, contentId)).toHaveLength(1),
      );
    } finally {
      await h.poller.beforeApplicationShutdown();
    }
  });

  it('counts SLA breaches and approval turnaround for Prometheus, labelled by role, priority and outcome only', async () => {
    const metrics = await renderMetrics();
    expect(metrics).toMatch(/prasar_approval_sla_breaches_total\{[^}]*role="DEPT_APPROVER"[^}]*\} \d+/);
    expect(metrics).toMatch(/prasar_approval_sla_breaches_total\{[^}]*priority="URGENT"[^}]*\} 1\b/);
    expect(metrics).toMatch(/prasar_approval_turnaround_seconds_count\{[^}]*outcome="APPROVED"[^}]*\} \d+/);
    const labels = new Set(
      [...metrics.matchAll(/prasar_approval_[a-z_]+\{([^}]*)\}/g)].flatMap((m) =>
        m[1].split(',').map((pair) => pair.split('=')[0]),
      ),
    );
    const ours = [...labels].filter((l) => !l.startsWith('otel_'));
    expect(ours.sort()).toEqual(['le', 'outcome', 'priority', 'role']);
  });
});
