// The approval workflow end to end through the gateway: real services, Kafka and PostgreSQL.
import { randomUUID } from 'node:crypto';
import { departmentIdOf } from '@prasar/auth';
import { eventually, gql, portsFor, startStack, tokenFor, type RunningStack } from '@prasar/testing';
import { announceAccount } from './support';

describe('approval workflow through the gateway', () => {
  let stack: RunningStack;
  const run = randomUUID().slice(0, 8);
  const code = `wf-${run}`;
  const departmentId = departmentIdOf(code);
  const account = `x-${code}`;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startStack({ ports: portsFor(28000) });
    const admin = await tokenFor({ subject: 'it-admin', roles: ['IT_CELL_ADMIN'] });
    tokens.editor = await tokenFor({
      subject: `editor-${run}`,
      name: 'Sunita (cell in-charge)',
      roles: ['DEPT_EDITOR'],
      department: code,
    });
    tokens.approver = await tokenFor({
      subject: `secretary-${run}`,
      name: 'Secretary',
      roles: ['DEPT_APPROVER'],
      department: code,
    });
    tokens.minister = await tokenFor({
      subject: `mo-${run}`,
      name: "Minister's office",
      roles: ['MINISTER_OFFICE'],
      department: code,
    });
    tokens.editorApprover = await tokenFor({
      subject: `both-${run}`,
      roles: ['DEPT_EDITOR', 'DEPT_APPROVER'],
      department: code,
    });
    const res = await gql(
      stack.gatewayUrl,
      'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }',
      {
        i: {
          code,
          name: 'Farmer Welfare and Agriculture Development',
          nameHi: 'किसान कल्याण तथा कृषि विकास विभाग',
        },
      },
      admin,
    );
    expect(res.errors).toBeUndefined();
    await announceAccount(account, departmentId, '@mp_agri');
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const body = (text: string) => [{ language: 'HI', text }];

  async function createAndSubmit(token: string, kind: string, text: string): Promise<string> {
    const created = await eventually(async () => {
      const res = await gql<{ createContent: { id: string } }>(
        stack.gatewayUrl,
        'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }',
        {
          d: departmentId,
          i: { kind, title: text.slice(0, 40), body: body(text), targetAccountIds: [account] },
        },
        token,
      );
      expect(res.errors).toBeUndefined(); // the account may not have reached intake yet
      return res.data!.createContent.id;
    }, 30_000);
    const submitted = await gql(
      stack.gatewayUrl,
      'mutation($id: ID!) { submitContent(id: $id) { status } }',
      { id: created },
      token,
    );
    expect(submitted.errors).toBeUndefined();
    return created;
  }

  async function decide(token: string, contentId: string, decision: string, comment?: string) {
    return gql<{ decide: { state: string; currentStage: number | null } }>(
      stack.gatewayUrl,
      'mutation($c: ID!, $d: Decision!, $m: String) { decide(contentId: $c, decision: $d, comment: $m) { state currentStage } }',
      { c: contentId, d: decision, m: comment },
      token,
    );
  }

  const statusOf = async (id: string) =>
    (
      await gql<{
        content: {
          status: string;
          version: number;
          approval: { state: string; contentVersion: number } | null;
        };
      }>(
        stack.gatewayUrl,
        'query($id: ID!) { content(id: $id) { status version approval { state contentVersion } } }',
        { id },
        tokens.editor,
      )
    ).data?.content;

  /** Waits until the approval service has opened the approval for the content's current version. */
  const pendingFor = (id: string, version = 1) =>
    eventually(
      async () =>
        expect(await statusOf(id)).toMatchObject({ approval: { state: 'PENDING', contentVersion: version } }),
      30_000,
    );

  it("takes a minister's message through the department approver and the minister's office to APPROVED", async () => {
    const id = await createAndSubmit(
      tokens.editor,
      'MINISTER_MESSAGE',
      'कृषि मंत्री का संदेश: किसान सम्मान निधि की नई किस्त जारी',
    );
    await pendingFor(id);

    const inbox = await gql<{ approvalInbox: { edges: { node: { id: string } }[] } }>(
      stack.gatewayUrl,
      '{ approvalInbox(first: 50) { edges { node { id title } } } }',
      {},
      tokens.minister,
    );
    expect(inbox.data?.approvalInbox.edges.map((e) => e.node.id)).not.toContain(id); // not the minister's turn yet
    const early = await decide(tokens.minister, id, 'APPROVE');
    expect(early.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const first = await decide(tokens.approver, id, 'APPROVE');
    expect(first.errors).toBeUndefined();
    expect(first.data?.decide).toEqual({ state: 'PENDING', currentStage: 1 });

    const ministerInbox = await gql<{ approvalInbox: { edges: { node: { id: string } }[] } }>(
      stack.gatewayUrl,
      '{ approvalInbox(first: 50) { edges { node { id } } } }',
      {},
      tokens.minister,
    );
    expect(ministerInbox.data?.approvalInbox.edges.map((e) => e.node.id)).toContain(id);

    const second = await decide(tokens.minister, id, 'APPROVE');
    expect(second.data?.decide.state).toBe('APPROVED');
    await eventually(async () => expect((await statusOf(id))?.status).toBe('APPROVED'), 30_000);

    const history = await gql<{ content: { history: { action: string; toStatus: string | null }[] } }>(
      stack.gatewayUrl,
      'query($id: ID!) { content(id: $id) { history { action toStatus actor } } }',
      { id },
      tokens.editor,
    );
    expect(history.data?.content.history.map((h) => h.toStatus).filter(Boolean)).toEqual([
      'DRAFT',
      'IN_REVIEW',
      'APPROVED',
    ]);
  });

  it('read-your-writes: a decision right after the submission and a schedule right after the approval each succeed on the first call', async () => {
    // No waiting in between: approval and the scheduler each wait (bounded) for the event they need.
    const id = await createAndSubmit(tokens.editor, 'ACHIEVEMENT', 'प्रदेश में 3 लाख नए किसान क्रेडिट कार्ड जारी');
    const decided = await decide(tokens.approver, id, 'APPROVE');
    expect(decided.errors).toBeUndefined();
    expect(decided.data?.decide.state).toBe('APPROVED');

    const scheduled = await gql<{ schedule: { state: string }[] }>(
      stack.gatewayUrl,
      'mutation($c: ID!) { schedule(input: { contentId: $c, nextFreeSlot: true }) { state } }',
      { c: id },
      tokens.editor,
    );
    expect(scheduled.errors).toBeUndefined();
    expect(scheduled.data?.schedule.map((p) => p.state)).toEqual(['SCHEDULED']);
    // And the status a department reads follows: APPROVED, then SCHEDULED (or further).
    await eventually(
      async () =>
        expect(['SCHEDULED', 'PUBLISHING', 'PUBLISHED', 'FAILED']).toContain((await statusOf(id))?.status),
      30_000,
    );
  });

  it('a rejection needs a reason and is final', async () => {
    const id = await createAndSubmit(tokens.editor, 'SCHEME', 'मुख्यमंत्री कृषक उन्नति योजना के आवेदन शुरू');
    await pendingFor(id);
    const noReason = await decide(tokens.approver, id, 'REJECT');
    expect(noReason.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const rejected = await decide(tokens.approver, id, 'REJECT', 'Scheme dates not yet notified');
    expect(rejected.data?.decide.state).toBe('REJECTED');
    await eventually(async () => expect((await statusOf(id))?.status).toBe('REJECTED'), 30_000);
    const again = await decide(tokens.approver, id, 'APPROVE');
    expect(again.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it('a request for changes goes back to the editor, whose revision restarts the workflow on the new version', async () => {
    const id = await createAndSubmit(tokens.editor, 'ACHIEVEMENT', 'प्रदेश में 2 लाख किसानों को मृदा स्वास्थ्य कार्ड');
    await pendingFor(id);
    const asked = await decide(tokens.approver, id, 'REQUEST_CHANGES', 'Add the district-wise figures');
    expect(asked.data?.decide.state).toBe('CHANGES_REQUESTED');
    await eventually(async () => expect((await statusOf(id))?.status).toBe('CHANGES_REQUESTED'), 30_000);

    const updated = await gql<{ updateContent: { version: number } }>(
      stack.gatewayUrl,
      'mutation($id: ID!, $v: Int!, $i: ContentInput!) { updateContent(id: $id, expectedVersion: $v, input: $i) { version status } }',
      {
        id,
        v: 1,
        i: {
          kind: 'ACHIEVEMENT',
          title: 'Soil health cards',
          body: body('प्रदेश में 2 लाख किसानों को मृदा स्वास्थ्य कार्ड (भोपाल 12,000, सीहोर 9,500)'),
          targetAccountIds: [account],
        },
      },
      tokens.editor,
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data?.updateContent.version).toBe(2);
    const stale = await gql(
      stack.gatewayUrl,
      'mutation($id: ID!, $v: Int!, $i: ContentInput!) { updateContent(id: $id, expectedVersion: $v, input: $i) { version } }',
      { id, v: 1, i: { kind: 'ACHIEVEMENT', title: 'x', body: body('पुराना'), targetAccountIds: [account] } },
      tokens.editor,
    );
    expect(stale.errors?.[0].extensions?.code).toBe('CONFLICT');

    const resubmitted = await gql(
      stack.gatewayUrl,
      'mutation($id: ID!) { submitContent(id: $id) { status } }',
      { id },
      tokens.editor,
    );
    expect(resubmitted.errors).toBeUndefined();
    await pendingFor(id, 2);
    const approved = await decide(tokens.approver, id, 'APPROVE');
    expect(approved.data?.decide.state).toBe('APPROVED');
    await eventually(
      async () => expect(await statusOf(id)).toMatchObject({ status: 'APPROVED', version: 2 }),
      30_000,
    );
  });

  it('refuses self-approval, even to someone who holds the approver role', async () => {
    const id = await createAndSubmit(tokens.editorApprover, 'ACHIEVEMENT', 'सिंचाई क्षमता 50 लाख हेक्टेयर पार');
    await pendingFor(id);
    const self = await decide(tokens.editorApprover, id, 'APPROVE');
    expect(self.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await statusOf(id))?.approval?.state).toBe('PENDING');
  });
});
