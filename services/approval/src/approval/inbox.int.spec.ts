// The approver's inbox against the real PostgreSQL: who sees what, in which order, page by page.
import { ContentKind, Priority } from '@prasar/contracts';
import { AGRI, HEALTH, approvalHarness, codeOf, person, type Harness } from '../__fixtures__/harness';
import type { ContentConnection } from './inbox.service';

const MINUTE = 60_000;
const approverA = person('approver-a', ['DEPT_APPROVER'], AGRI);
const approverB = person('approver-b', ['DEPT_APPROVER'], AGRI);
const ministerOffice = person('minister-office', ['MINISTER_OFFICE'], AGRI);
const healthApprover = person('approver-h', ['DEPT_APPROVER'], HEALTH);
const itCell = person('it-admin', ['IT_CELL_ADMIN']);
const editor = person('editor-agriculture', ['DEPT_EDITOR'], AGRI);

const ids = (c: ContentConnection) => c.edges.map((e) => e.node.id);

describe('the approval inbox', () => {
  let h: Harness;
  const t0 = new Date('2026-02-01T04:00:00Z');
  const at = (minutes: number) => new Date(t0.getTime() + minutes * MINUTE);
  const content: Record<string, string> = {};

  beforeAll(async () => {
    h = await approvalHarness('approval_inbox');
    content.achievement = (await h.submit({}, at(0))).contentId;
    content.ministerMessage = (await h.submit({ kind: ContentKind.MINISTER_MESSAGE }, at(1))).contentId;
    content.advertisement = (await h.submit({ kind: ContentKind.ADVERTISEMENT }, at(2))).contentId;
    // Submitted last but due first: 30 minutes instead of 4 hours.
    content.urgent = (await h.submit({ priority: Priority.URGENT }, at(3))).contentId;
    content.byApproverA = (await h.submit({ author: 'approver-a' }, at(4))).contentId;
    content.submittedByApproverA = (await h.submit({ submitter: 'approver-a' }, at(5))).contentId;
    content.health = (await h.submit({ department: HEALTH }, at(6))).contentId;
    content.healthAd = (
      await h.submit({ department: HEALTH, kind: ContentKind.ADVERTISEMENT }, at(7))
    ).contentId;
  });
  afterAll(async () => {
    await h?.close();
  });

  it("shows an approver their department's current stages, the soonest due first, without their own content", async () => {
    const inbox = await h.inbox.inbox(approverA);
    expect(ids(inbox)).toEqual([
      content.urgent,
      content.achievement,
      content.ministerMessage,
      content.advertisement,
    ]);
    expect(inbox.totalCount).toBe(4);
    expect(inbox.edges[0].node).toEqual({ __typename: 'Content', id: content.urgent });
    expect(inbox.pageInfo).toEqual({ hasNextPage: false, endCursor: inbox.edges[3].cursor });

    // Another approver of the department sees what approver A wrote or submitted.
    expect(ids(await h.inbox.inbox(approverB))).toEqual([
      content.urgent,
      content.achievement,
      content.ministerMessage,
      content.advertisement,
      content.byApproverA,
      content.submittedByApproverA,
    ]);
    expect(ids(await h.inbox.inbox(healthApprover))).toEqual([content.health, content.healthAd]);
  });

  it('shows the later stages to their roles once the earlier stages pass: the IT cell across departments', async () => {
    expect((await h.inbox.inbox(ministerOffice)).totalCount).toBe(0);
    expect((await h.inbox.inbox(itCell)).totalCount).toBe(0);
    expect((await h.inbox.inbox(editor)).totalCount).toBe(0);

    await h.decisions.decide(approverB, content.ministerMessage, 'APPROVE', null, at(100));
    await h.decisions.decide(approverB, content.advertisement, 'APPROVE', null, at(101));
    await h.decisions.decide(healthApprover, content.healthAd, 'APPROVE', null, at(102));

    expect(ids(await h.inbox.inbox(ministerOffice))).toEqual([content.ministerMessage]);
    expect((await h.inbox.inbox(person('minister-office-h', ['MINISTER_OFFICE'], HEALTH))).totalCount).toBe(
      0,
    );
    expect(ids(await h.inbox.inbox(itCell))).toEqual([content.advertisement, content.healthAd]);
    expect(ids(await h.inbox.inbox(approverA))).toEqual([content.urgent, content.achievement]);
  });

  it('drops a content item once the caller has approved it, while it waits for a second approver', async () => {
    const dept = 'water';
    const waterApprover = (s: string) => person(s, ['DEPT_APPROVER'], dept);
    await h.workflows.set(itCell, waterApprover('x').departmentId!, [
      { role: 'DEPT_APPROVER', requiredApprovals: 2 },
    ]);
    const { contentId } = await h.submit({ department: dept });
    await h.decisions.decide(waterApprover('w-1'), contentId, 'APPROVE');
    expect((await h.inbox.inbox(waterApprover('w-1'))).totalCount).toBe(0);
    expect(ids(await h.inbox.inbox(waterApprover('w-2')))).toEqual([contentId]);
  });

  describe('pages', () => {
    const dept = 'tourism';
    const tourismApprover = person('tourism-approver', ['DEPT_APPROVER'], dept);
    const order: string[] = [];

    beforeAll(async () => {
      // Two share a due time: the approval id breaks the tie, the same way on every page.
      for (const minutes of [0, 10, 10, 20, 30])
        order.push((await h.submit({ department: dept }, at(minutes))).contentId);
      const page = await h.inbox.inbox(tourismApprover);
      order.splice(0, order.length, ...ids(page));
    });

    it('walks the inbox page by page with opaque cursors and a total count', async () => {
      const first = await h.inbox.inbox(tourismApprover, 2);
      expect(ids(first)).toEqual(order.slice(0, 2));
      expect(first).toMatchObject({ totalCount: 5, pageInfo: { hasNextPage: true } });
      const second = await h.inbox.inbox(tourismApprover, 2, first.pageInfo.endCursor);
      expect(ids(second)).toEqual(order.slice(2, 4));
      expect(second).toMatchObject({ totalCount: 5, pageInfo: { hasNextPage: true } });
      const third = await h.inbox.inbox(tourismApprover, 2, second.pageInfo.endCursor);
      expect(ids(third)).toEqual(order.slice(4));
      expect(third).toMatchObject({ totalCount: 5, pageInfo: { hasNextPage: false } });
      // Any edge's cursor continues after that edge.
      expect(ids(await h.inbox.inbox(tourismApprover, 10, first.edges[0].cursor))).toEqual(order.slice(1));
    });

    it('keeps cursors stable when new work arrives ahead of them', async () => {
      const before = await h.inbox.inbox(tourismApprover, 2);
      const urgent = await h.submit({ department: dept, priority: Priority.URGENT }, at(40));
      const again = await h.inbox.inbox(tourismApprover, 3);
      expect(ids(again)).toEqual([urgent.contentId, ...order.slice(0, 2)]);
      expect(again.edges.slice(1).map((e) => e.cursor)).toEqual(before.edges.map((e) => e.cursor));
      const next = await h.inbox.inbox(tourismApprover, 2, before.pageInfo.endCursor);
      expect(ids(next)).toEqual(order.slice(2, 4));
      expect(next.totalCount).toBe(6);
    });

    it('refuses a cursor it did not make and a page size out of range with BAD_USER_INPUT', async () => {
      for (const cursor of ['garbage', Buffer.from('["x","y"]').toString('base64url')]) {
        expect(await codeOf(h.inbox.inbox(tourismApprover, 2, cursor))).toBe('BAD_USER_INPUT');
      }
      for (const size of [-1, 101])
        expect(await codeOf(h.inbox.inbox(tourismApprover, size))).toBe('BAD_USER_INPUT');
      expect(await h.inbox.inbox(tourismApprover, 0)).toMatchObject({
        edges: [],
        totalCount: 6,
        pageInfo: { hasNextPage: true },
      });
    });
  });
});
