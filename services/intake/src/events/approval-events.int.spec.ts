// The approval service's decisions keep Content.status current: events produced to Kafka by this
// test, consumed by intake's own consumer (inbox, platform transaction), against the real database.
import { durationFromMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  ApprovalEscalatedSchema,
  ChangesRequestedSchema,
  ContentApprovedSchema,
  ContentRejectedSchema,
  Priority,
} from '@prasar/contracts';
import { asPlatform } from '@prasar/persistence';
import { Content } from '../content/content.entity';
import { toContentBody } from '../content/content.resolver';
import {
  contentInput,
  principal,
  startIntake,
  uniqueCode,
  type IntakeHarness,
} from '../testing/intake-harness';

const APPROVER = { subject: 'secretary-agri', name: 'Secretary', roles: ['DEPT_APPROVER'] };
const MINISTER_OFFICE = { subject: 'mo-agri', name: "Minister's office", roles: ['MINISTER_OFFICE'] };

describe('status from the approval service’s events, over Kafka', () => {
  let h: IntakeHarness;
  const code = uniqueCode('agri');
  let departmentId: string;
  const editor = () => principal('DEPT_EDITOR', code, 'editor-agri');
  const account = () => `fb-${code}`;

  beforeAll(async () => {
    h = await startIntake('approval_events', { consume: true });
    departmentId = await h.department(code);
    await h.connectAccount(account(), departmentId, 'FACEBOOK');
  });

  afterAll(async () => {
    await h?.close();
  });

  async function submitted(title = 'Wheat procurement'): Promise<string> {
    const content = await h.contents.create(
      editor(),
      departmentId,
      toContentBody(contentInput({ title, targetAccountIds: [account()] })),
    );
    await h.contents.submit(editor(), content.id);
    return content.id;
  }

  const stateOf = (id: string) =>
    asPlatform(h.ds, async (em) => {
      const content = await em.findOneByOrFail(Content, { id });
      const history = await h.audit.history(em, id);
      return { status: content.status, version: content.version, history };
    });

  const base = (contentId: string, contentVersion = 1) => ({
    contentId,
    departmentId,
    approvalId: '5f3d0c1e-9a57-4c3b-8e0a-6d2f0e1c4a90',
    contentVersion,
  });

  it('ContentApproved makes the content APPROVED, on record with the approver who completed it', async () => {
    const id = await submitted();
    const event = await h.emit(ContentApprovedSchema, {
      ...base(id),
      approvers: [APPROVER, MINISTER_OFFICE],
      approvedAt: timestampFromDate(new Date()),
    });
    expect(await h.handled(event)).toBe('handled');
    const { status, history } = await stateOf(id);
    expect(status).toBe('APPROVED');
    expect(history.at(-1)).toMatchObject({
      action: 'APPROVED',
      actor: MINISTER_OFFICE.subject,
      fromStatus: 'IN_REVIEW',
      toStatus: 'APPROVED',
    });
    expect(await h.audit.verify(id)).toMatchObject({ intact: true });
    const [changed] = (await h.outbox('ContentStatusChanged')).filter(
      (e) => e.key === id && (e.message.toStatus as number) === 4,
    );
    expect(changed.message).toMatchObject({
      fromStatus: 2,
      toStatus: 4,
      actor: { subject: MINISTER_OFFICE.subject },
    });
  });

  it('ContentRejected makes it REJECTED with the reason as the note', async () => {
    const id = await submitted();
    const event = await h.emit(ContentRejectedSchema, {
      ...base(id),
      stageIndex: 0,
      actor: APPROVER,
      reason: 'The figures are not from the mandi board',
    });
    expect(await h.handled(event)).toBe('handled');
    const { status, history } = await stateOf(id);
    expect(status).toBe('REJECTED');
    expect(history.at(-1)).toMatchObject({
      action: 'REJECTED',
      actor: APPROVER.subject,
      note: 'The figures are not from the mandi board',
    });
  });

  it('ChangesRequested sends it back; after the edit and resubmission only the new version’s decision counts', async () => {
    const id = await submitted();
    const back = await h.emit(ChangesRequestedSchema, {
      ...base(id),
      stageIndex: 0,
      actor: APPROVER,
      comment: 'Name the districts',
    });
    expect(await h.handled(back)).toBe('handled');
    expect(await stateOf(id)).toMatchObject({ status: 'CHANGES_REQUESTED', version: 1 });
    expect((await stateOf(id)).history.at(-1)).toMatchObject({
      action: 'CHANGES_REQUESTED',
      note: 'Name the districts',
    });

    await h.contents.update(
      editor(),
      id,
      1,
      toContentBody(
        contentInput({ title: 'Wheat procurement in Sehore and Vidisha', targetAccountIds: [account()] }),
      ),
    );
    await h.contents.submit(editor(), id);
    const before = await stateOf(id);
    expect(before).toMatchObject({ status: 'IN_REVIEW', version: 2 });

    // A late approval of version 1 changes nothing.
    const stale = await h.emit(ContentApprovedSchema, { ...base(id, 1), approvers: [APPROVER] });
    expect(await h.handled(stale)).toBe('handled');
    expect(await stateOf(id)).toEqual(before);

    const current = await h.emit(ContentApprovedSchema, { ...base(id, 2), approvers: [APPROVER] });
    expect(await h.handled(current)).toBe('handled');
    expect(await stateOf(id)).toMatchObject({ status: 'APPROVED', version: 2 });
    expect((await stateOf(id)).history.map((e) => e.action)).toEqual([
      'CREATED',
      'SUBMITTED',
      'CHANGES_REQUESTED',
      'UPDATED',
      'SUBMITTED',
      'APPROVED',
    ]);
  });

  it('ApprovalEscalated adds an audit entry and leaves the status alone', async () => {
    const id = await submitted();
    const event = await h.emit(ApprovalEscalatedSchema, {
      ...base(id),
      stageIndex: 0,
      role: 'DEPT_APPROVER',
      dueAt: timestampFromDate(new Date('2026-08-15T04:00:00Z')),
      overdueBy: durationFromMs(5 * 60_000),
      priority: Priority.NORMAL,
    });
    expect(await h.handled(event)).toBe('handled');
    const { status, history } = await stateOf(id);
    expect(status).toBe('IN_REVIEW');
    expect(history.at(-1)).toMatchObject({
      action: 'ESCALATED',
      actor: 'service:approval',
      fromStatus: null,
      toStatus: null,
      note: 'Approval stage 1 (DEPT_APPROVER) is overdue (due 2026-08-15T04:00:00.000Z)',
    });
    expect(await h.audit.verify(id)).toMatchObject({ intact: true });
  });

  it('handles a decision the lifecycle refuses (the content was withdrawn meanwhile) without retrying or changing anything', async () => {
    const id = await submitted();
    await h.contents.withdraw(editor(), id, 'Withdrawn while in review');
    const before = await stateOf(id);
    const event = await h.emit(ContentApprovedSchema, { ...base(id), approvers: [APPROVER] });
    expect(await h.handled(event)).toBe('handled');
    expect(await stateOf(id)).toEqual(before);
    expect(before.status).toBe('WITHDRAWN');
  });

  it('ignores a decision about content it does not have', async () => {
    const event = await h.emit(ContentRejectedSchema, {
      ...base('0b7e6a52-1d2c-4f3b-9e8a-7c6d5e4f3a21'),
      actor: APPROVER,
      reason: 'x',
    });
    expect(await h.handled(event)).toBe('handled');
  });
});
