// The subgraph over HTTP with real tokens: the SDL and the resolvers agree, errors carry the
// contract's codes, and Content.approval answers only the content's department.
import { departmentIdOf } from '@prasar/auth';
import { ContentKind } from '@prasar/contracts';
import { gql, tokenFor } from '@prasar/testing';
import { AGRI, HEALTH, approvalHarness, type Harness } from '../__fixtures__/harness';

describe('the approval subgraph', () => {
  let h: Harness;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    h = await approvalHarness('approval_graphql', { graphql: true });
    tokens.approver = await tokenFor({ subject: 'approver-a', roles: ['DEPT_APPROVER'], department: AGRI });
    tokens.minister = await tokenFor({
      subject: 'minister-office',
      roles: ['MINISTER_OFFICE'],
      department: AGRI,
    });
    tokens.admin = await tokenFor({ subject: 'agri-admin', roles: ['DEPT_ADMIN'], department: AGRI });
    tokens.health = await tokenFor({ subject: 'approver-h', roles: ['DEPT_APPROVER'], department: HEALTH });
    tokens.itCell = await tokenFor({ subject: 'it-admin', roles: ['IT_CELL_ADMIN'] });
  });
  afterAll(async () => {
    await h?.close();
  });

  const decideMutation = `
    mutation($id: ID!, $d: Decision!, $c: String) {
      decide(contentId: $id, decision: $d, comment: $c) {
        id contentVersion state currentStage content { id }
        stages { index role requiredApprovals state dueAt decisions { by decision comment at } }
      }
    }`;
  const inboxQuery = `
    query($first: Int, $after: String) {
      approvalInbox(first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } }
      }
    }`;

  it('decides through the mutation and shows the decisions on the stages', async () => {
    const { contentId } = await h.submit({ kind: ContentKind.MINISTER_MESSAGE });
    const inbox = await gql<{ approvalInbox: { totalCount: number; edges: { node: { id: string } }[] } }>(
      h.url,
      inboxQuery,
      {},
      tokens.approver,
    );
    expect(inbox.errors).toBeUndefined();
    expect(inbox.data?.approvalInbox.edges.map((e) => e.node.id)).toEqual([contentId]);

    const res = await gql<{
      decide: Record<string, unknown> & { stages: { dueAt: string; decisions: { at: string }[] }[] };
    }>(
      h.url,
      decideMutation,
      { id: contentId, d: 'APPROVE', c: 'Verified with the district office' },
      tokens.approver,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.decide).toMatchObject({
      contentVersion: 1,
      state: 'PENDING',
      currentStage: 1,
      content: { id: contentId },
      stages: [
        {
          index: 0,
          role: 'DEPT_APPROVER',
          requiredApprovals: 1,
          state: 'APPROVED',
          decisions: [
            { by: 'approver-a', decision: 'APPROVE', comment: 'Verified with the district office' },
          ],
        },
        { index: 1, role: 'MINISTER_OFFICE', requiredApprovals: 1, state: 'PENDING', decisions: [] },
      ],
    });
    expect(res.data?.decide.stages[0].decisions[0].at).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);

    const inboxes = await gql<{ approvalInbox: { totalCount: number } }>(
      h.url,
      inboxQuery,
      {},
      tokens.minister,
    );
    expect(inboxes.data?.approvalInbox.totalCount).toBe(1);
  });

  it('answers refusals with the contract codes and violations', async () => {
    const { contentId } = await h.submit();
    const rejectWithoutReason = await gql(
      h.url,
      decideMutation,
      { id: contentId, d: 'REJECT' },
      tokens.approver,
    );
    expect(rejectWithoutReason.errors?.[0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      violations: [{ field: 'comment', rule: 'REASON_REQUIRED', message: 'Say why the content is rejected' }],
    });
    const otherDepartment = await gql(h.url, decideMutation, { id: contentId, d: 'APPROVE' }, tokens.health);
    expect(otherDepartment.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const wrongRole = await gql(h.url, decideMutation, { id: contentId, d: 'APPROVE' }, tokens.minister);
    expect(wrongRole.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const badCursor = await gql(h.url, inboxQuery, { after: 'nonsense' }, tokens.approver);
    expect(badCursor.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const anonymous = await gql(h.url, inboxQuery, {});
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it("resolves Content.approval for the content's department and the IT cell, null for anyone else", async () => {
    const { contentId, approval } = await h.submit();
    const query = `
      query($r: [_Any!]!) { _entities(representations: $r) { ... on Content { id approval { id state } } } }`;
    const as = async (token: string) =>
      (
        await gql<{ _entities: { approval: unknown }[] }>(
          h.url,
          query,
          { r: [{ __typename: 'Content', id: contentId }] },
          token,
        )
      ).data?._entities[0].approval;
    expect(await as(tokens.approver)).toEqual({ id: approval!.id, state: 'PENDING' });
    expect(await as(tokens.itCell)).toEqual({ id: approval!.id, state: 'PENDING' });
    expect(await as(tokens.health)).toBeNull();
  });

  it("resolves a page of contents' approvals with one query, each to its own approval", async () => {
    const submitted = [];
    for (let i = 0; i < 4; i++) submitted.push(await h.submit());
    const unknown = '00000000-0000-4000-8000-000000000000';
    const batches = jest.spyOn(h.approvals, 'latestForMany');
    try {
      const res = await gql<{ _entities: { id: string; approval: { id: string } | null }[] }>(
        h.url,
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Content { id approval { id } } } }`,
        { r: [...submitted.map((s) => s.contentId), unknown].map((id) => ({ __typename: 'Content', id })) },
        tokens.approver,
      );
      expect(res.data?._entities).toEqual([
        ...submitted.map((s) => ({ id: s.contentId, approval: { id: s.approval!.id } })),
        { id: unknown, approval: null },
      ]);
      expect(batches).toHaveBeenCalledTimes(1);
    } finally {
      batches.mockRestore();
    }
  });

  it('reads and replaces a workflow', async () => {
    const variables = {
      d: departmentIdOf(AGRI),
      s: [
        { role: 'DEPT_APPROVER', requiredApprovals: 1 },
        { role: 'DEPT_ADMIN', requiredApprovals: 1 },
      ],
    };
    const set = await gql(
      h.url,
      `mutation($d: ID!, $s: [WorkflowStageInput!]!) { setWorkflow(departmentId: $d, stages: $s) { role requiredApprovals } }`,
      variables,
      tokens.admin,
    );
    expect(set).toEqual({ data: { setWorkflow: variables.s } });
    const read = await gql(
      h.url,
      `query($d: ID!) { workflow(departmentId: $d) { role requiredApprovals } }`,
      { d: variables.d },
      tokens.approver,
    );
    expect(read).toEqual({ data: { workflow: variables.s } });
    const forbidden = await gql(
      h.url,
      `mutation($d: ID!, $s: [WorkflowStageInput!]!) { setWorkflow(departmentId: $d, stages: $s) { role } }`,
      variables,
      tokens.approver,
    );
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
